// Editor message format: Quill's Delta ⇄ the API's Telegram-style HTML (API.md "Campaigns").
//
// The editor allows only bold, italic, underline, strike, code and link, so a Delta is a list of
// text runs with some of those attributes. Out: each run becomes its text, escaped (&lt; &gt;
// &amp; &quot;), inside <a href> <b> <i> <u> <s> <code> (outermost first); lines are joined with
// "\n", which the API keeps as line breaks. In: the stored HTML (ours, or any the API accepts:
// <strong> <em> <pre> <br> <p> and the escapes) is tokenised here and turned into a Delta directly;
// it never goes through innerHTML, so nothing in it can run or load.
import type { Op } from 'quill';

export type InlineFormat = 'bold' | 'italic' | 'underline' | 'strike' | 'code';
export interface RunAttrs {
  bold?: true;
  italic?: true;
  underline?: true;
  strike?: true;
  code?: true;
  link?: string;
}

const TAG_OF: Record<InlineFormat, string> = { bold: 'b', italic: 'i', underline: 'u', strike: 's', code: 'code' };
const ORDER: InlineFormat[] = ['bold', 'italic', 'underline', 'strike', 'code'];

export function escapeText(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** A link the API accepts (absolute http(s) or tg://), or null. A bare "shop.example/x" gets https://. */
export function normaliseHref(href: string): string | null {
  const h = href.trim();
  if (!h || /\s/.test(h) || h.length > 2048) return null;
  if (/^https?:\/\/[^/?#@\s]+/i.test(h) || /^tg:\/\/\S+/i.test(h)) return h;
  if (/^[a-z][a-z0-9+.-]*:/i.test(h)) return null; // mailto:, javascript:, …
  if (/^[a-z0-9-]+(\.[a-z0-9-]+)+([/?#].*)?$/i.test(h)) return 'https://' + h;
  return null;
}

function wrap(text: string, attrs: RunAttrs | undefined): string {
  let out = escapeText(text);
  if (!attrs) return out;
  for (let k = ORDER.length - 1; k >= 0; k--) {
    const f = ORDER[k]!;
    if (attrs[f]) out = `<${TAG_OF[f]}>${out}</${TAG_OF[f]}>`;
  }
  const href = typeof attrs.link === 'string' ? normaliseHref(attrs.link) : null;
  if (href) out = `<a href="${escapeText(href)}">${out}</a>`;
  return out;
}

/** Quill contents → message_text. Trailing line breaks (Quill always ends with one) are dropped. */
export function deltaToHtml(ops: readonly Op[]): string {
  let html = '';
  for (const op of ops) {
    if (typeof op.insert !== 'string') continue; // no embeds are allowed; ignore any
    const attrs = op.attributes as RunAttrs | undefined;
    const lines = op.insert.split('\n');
    lines.forEach((line, i) => {
      if (i > 0) html += '\n';
      if (line) html += wrap(line, attrs);
    });
  }
  return html.replace(/\n+$/, '');
}

/** Plain text of a Delta (for "is the message empty?"). */
export function deltaText(ops: readonly Op[]): string {
  return ops.map((o) => (typeof o.insert === 'string' ? o.insert : '')).join('');
}

const NAMED: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'", nbsp: '\u00a0', '#39': "'" };

function decodeEntities(s: string): string {
  return s.replace(/&(#x[0-9a-f]{1,6}|#[0-9]{1,7}|[a-z]+|#39);/gi, (m, ref: string) => {
    const r = ref.toLowerCase();
    if (r in NAMED) return NAMED[r]!;
    if (r.startsWith('#x') || r.startsWith('#')) {
      const cp = r.startsWith('#x') ? parseInt(r.slice(2), 16) : parseInt(r.slice(1), 10);
      if (cp > 0 && cp <= 0x10ffff && !(cp >= 0xd800 && cp <= 0xdfff)) return String.fromCodePoint(cp);
    }
    return m;
  });
}

function attrValue(attrs: string, name: string): string | null {
  const re = new RegExp(`(?:^|\\s)${name}\\s*=\\s*(?:"([^"]*)"|'([^']*)')`, 'i');
  const m = re.exec(attrs);
  if (!m) return null;
  return decodeEntities(m[1] ?? m[2] ?? '');
}

const FORMAT_OF_TAG: Record<string, InlineFormat> = {
  b: 'bold',
  strong: 'bold',
  i: 'italic',
  em: 'italic',
  u: 'underline',
  s: 'strike',
  code: 'code',
  pre: 'code',
};

/**
 * message_text → Quill ops. Unknown tags are dropped (their text kept); <br> and </p> between
 * paragraphs become line breaks, as the server reads them.
 */
export function htmlToDelta(html: string): Op[] {
  const ops: Op[] = [];
  const counts: Partial<Record<InlineFormat, number>> = {};
  const links: string[] = [];
  let pendingBreaks = 0;
  let seenText = false;
  let afterP = false; // whitespace right after </p> is layout, not text

  const current = (): RunAttrs | undefined => {
    const a: RunAttrs = {};
    let any = false;
    for (const f of ORDER)
      if ((counts[f] ?? 0) > 0) {
        a[f] = true;
        any = true;
      }
    const link = links[links.length - 1];
    if (link) {
      a.link = link;
      any = true;
    }
    return any ? a : undefined;
  };
  const push = (text: string, attrs: RunAttrs | undefined) => {
    if (!text) return;
    const last = ops[ops.length - 1];
    if (last && typeof last.insert === 'string' && JSON.stringify(last.attributes ?? null) === JSON.stringify(attrs ?? null)) {
      last.insert += text;
      return;
    }
    ops.push(attrs ? { insert: text, attributes: { ...attrs } } : { insert: text });
  };
  const flushBreaks = () => {
    if (pendingBreaks && seenText) push('\n'.repeat(pendingBreaks), undefined);
    pendingBreaks = 0;
  };
  const text = (t: string) => {
    if (!t || (afterP && !t.trim())) return;
    afterP = false;
    flushBreaks();
    // Newlines are always plain: Quill keeps inline formats off line ends.
    const parts = t.split('\n');
    parts.forEach((p, i) => {
      if (i > 0) push('\n', undefined);
      push(p, current());
    });
    seenText = true;
  };

  const re = /<(\/?)([a-zA-Z][a-zA-Z0-9]*)((?:[^>"']|"[^"]*"|'[^']*')*)>/g;
  let at = 0;
  let m: RegExpExecArray | null;
  while ((m = re.exec(html))) {
    text(decodeEntities(html.slice(at, m.index)));
    at = re.lastIndex;
    const closing = m[1] === '/';
    const tag = m[2]!.toLowerCase();
    if (tag === 'br') {
      pendingBreaks++;
      continue;
    }
    if (tag === 'p') {
      if (closing) {
        pendingBreaks = Math.max(pendingBreaks, 1);
        afterP = true;
      }
      continue;
    }
    afterP = false;
    if (tag === 'a') {
      if (closing) links.pop();
      else links.push(attrValue(m[3] ?? '', 'href') ?? '');
      continue;
    }
    const f = FORMAT_OF_TAG[tag];
    if (!f) continue;
    counts[f] = Math.max(0, (counts[f] ?? 0) + (closing ? -1 : 1));
  }
  text(decodeEntities(html.slice(at)));
  ops.push({ insert: '\n' });
  return ops;
}
