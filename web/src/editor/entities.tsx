// Telegram text + entities (UTF-16 offsets, as POST /campaigns/:id/preview answers) → Preact
// elements, for the preview bubble. Everything is built as elements and text nodes: the text of a
// message (contact names included) can never become markup. JavaScript strings index UTF-16 code
// units, which is what the offsets count, so slicing needs no conversion.
import type { ComponentChildren } from 'preact';
import type { Entity } from '../api-campaigns';

/** Only links a Telegram client would open; anything else is shown as plain text. */
export function safeUrl(url: string | undefined): string | null {
  if (!url) return null;
  return /^(https?|tg):\/\//i.test(url.trim()) ? url.trim() : null;
}

function wrap(e: Entity, text: string, child: ComponentChildren, key: string): ComponentChildren {
  switch (e.type) {
    case 'bold':
      return <strong key={key}>{child}</strong>;
    case 'italic':
      return <em key={key}>{child}</em>;
    case 'underline':
      return <u key={key}>{child}</u>;
    case 'strikethrough':
      return <s key={key}>{child}</s>;
    case 'code':
      return <code key={key}>{child}</code>;
    case 'pre':
      return (
        <code key={key} class="tg-pre">
          {child}
        </code>
      );
    case 'text_link':
    case 'text_url':
    case 'url': {
      const href = safeUrl(e.type === 'url' ? text : e.url);
      if (!href) return child;
      return (
        <a key={key} href={href} target="_blank" rel="noopener noreferrer" title={href}>
          {child}
        </a>
      );
    }
    case 'spoiler':
      return (
        <span key={key} class="tg-spoiler">
          {child}
        </span>
      );
    default:
      return child;
  }
}

/** Splits the text at every entity boundary; each piece is wrapped in the entities covering it. */
export function renderEntities(text: string, entities: readonly Entity[]): ComponentChildren[] {
  const ents = entities
    .filter((e) => e.length > 0 && e.offset >= 0 && e.offset < text.length)
    .map((e, i) => ({ e, i, end: Math.min(text.length, e.offset + e.length) }));
  const cuts = new Set<number>([0, text.length]);
  for (const x of ents) {
    cuts.add(x.e.offset);
    cuts.add(x.end);
  }
  const points = [...cuts].sort((a, b) => a - b);
  const out: ComponentChildren[] = [];
  for (let k = 0; k + 1 < points.length; k++) {
    const from = points[k]!;
    const to = points[k + 1]!;
    const piece = text.slice(from, to);
    // Outer entities (earlier start, then longer) wrap inner ones.
    const covering = ents
      .filter((x) => x.e.offset <= from && x.end >= to)
      .sort((a, b) => a.e.offset - b.e.offset || b.end - a.end || a.i - b.i);
    let node: ComponentChildren = piece;
    for (let j = covering.length - 1; j >= 0; j--) {
      const x = covering[j]!;
      node = wrap(x.e, text.slice(x.e.offset, x.end), node, `${from}-${j}`);
    }
    out.push(typeof node === 'string' ? node : node);
  }
  return out;
}
