// The message editor, used for the first message and for every follow-up: Quill with bold, italic,
// underline, strike, code and link only (the `formats` list also keeps pasted content to those), a
// placeholder menu that inserts {{first_name}} / {{last_order}} / {{discount_code}} (with an
// optional fallback) at the caret, a link dialog, and a character count. Content goes out as the
// API's HTML (editor/html.ts) on every change.
//
// Keyboard (issue 18): Tab and Shift+Tab leave the editor (a tab character is not a message
// feature); Ctrl/Cmd+K opens the link dialog, with or without a selection. A link is never lost
// silently: the dialog takes only an address the API accepts (a bare "shop.example/sale" gets
// https://), says why it refuses anything else, and a link that arrives without a valid address
// (pasted) is pointed out under the editor.
import { Component } from 'preact';
import { useEffect, useLayoutEffect, useRef, useState } from 'preact/hooks';
import type Quill from 'quill';
import { deltaText, deltaToHtml, htmlToDelta, normaliseHref } from './html';
import { loadQuill, quillIfLoaded, type QuillClass } from './quill-load';
import { messages, useLang } from '../i18n';

const M = messages(
  {
    first_name: 'First name',
    first_nameHint: 'The contact’s first name in Telegram',
    last_order: 'Last order',
    last_orderHint: 'Their latest order, e.g. #1042 (€19.99)',
    discount_code: 'Discount code',
    discount_codeHint: 'A code from “Discount codes” below',
    bold: 'Bold (Ctrl+B)',
    italic: 'Italic (Ctrl+I)',
    underline: 'Underline (Ctrl+U)',
    strike: 'Strikethrough',
    code: 'Code (monospace)',
    link: 'Link (Ctrl+K)',
    insert: 'Insert placeholder',
    placeholders: 'Placeholders',
    fallback: 'Fallback if empty (optional)',
    fallbackExample: 'e.g. there',
    fallbackHint: 'Used when a contact has no value, e.g. “Hi {{first_name|there}}”.',
    enterAddress: 'Enter the address the link opens, e.g. https://your-shop.example/sale.',
    webOnly: 'Only web addresses (https://…) and Telegram links (tg://…) can be sent.',
    notAddress: (v: string) => `“${v}” is not a web address. Enter one like https://your-shop.example/sale.`,
    enterText: 'Enter the words that show the link, e.g. Shop the sale.',
    changeLink: 'Change the link',
    addLink: 'Add a link',
    linkOn: 'Link on',
    lq: '“',
    rq: '”',
    linkText: 'Link text',
    linkTextExample: 'e.g. Shop the sale',
    linkAddress: 'Link address',
    linkAddressHint: 'A web address; “https://” is added when it is missing.',
    saveLink: 'Save link',
    removeLink: 'Remove link',
    cancel: 'Cancel',
    messagePlaceholder: 'Hi {{first_name|there}}, …',
    loadFailed: 'The editor could not be loaded. Reload the page to try again.',
    message: 'Message',
    brokenOn: (single: boolean): string => (single ? 'The link on ' : 'The links on '),
    brokenWhy: (single: boolean) =>
      ` ${single ? 'has' : 'have'} no web address, so ${single ? 'it would be' : 'they would be'} sent as plain text. Click the link and choose Edit to give it one.`,
    hintKept: 'Bold, italic, underline, strikethrough, code and links are kept; everything else is sent as plain text.',
    hintTab: 'moves on to the next field.',
  },
  {
    first_name: 'Имя',
    first_nameHint: 'Имя контакта в Telegram',
    last_order: 'Последний заказ',
    last_orderHint: 'Последний заказ контакта, например #1042 (19,99 €)',
    discount_code: 'Промокод',
    discount_codeHint: 'Код из раздела «Промокоды» ниже',
    bold: 'Жирный (Ctrl+B)',
    italic: 'Курсив (Ctrl+I)',
    underline: 'Подчёркнутый (Ctrl+U)',
    strike: 'Зачёркнутый',
    code: 'Код (моноширинный)',
    link: 'Ссылка (Ctrl+K)',
    insert: 'Вставить подстановку',
    placeholders: 'Подстановки',
    fallback: 'Замена, если пусто (необязательно)',
    fallbackExample: 'например, друг',
    fallbackHint: 'Подставляется, когда у контакта нет значения, например «Привет, {{first_name|друг}}».',
    enterAddress: 'Введите адрес, который откроет ссылка, например https://your-shop.example/sale.',
    webOnly: 'Отправлять можно только веб-адреса (https://…) и ссылки Telegram.',
    notAddress: (v) => `«${v}» — не веб-адрес. Введите адрес вида https://your-shop.example/sale.`,
    enterText: 'Введите текст ссылки, например «К распродаже».',
    changeLink: 'Изменить ссылку',
    addLink: 'Добавить ссылку',
    linkOn: 'Текст ссылки:',
    lq: '«',
    rq: '»',
    linkText: 'Текст ссылки',
    linkTextExample: 'например, К распродаже',
    linkAddress: 'Адрес ссылки',
    linkAddressHint: 'Веб-адрес; «https://» добавится, если его нет.',
    saveLink: 'Сохранить ссылку',
    removeLink: 'Удалить ссылку',
    cancel: 'Отмена',
    messagePlaceholder: 'Привет, {{first_name|друг}}, …',
    loadFailed: 'Не удалось загрузить редактор. Перезагрузите страницу и попробуйте снова.',
    message: 'Сообщение',
    brokenOn: (single) => (single ? 'У ссылки на ' : 'У ссылок на '),
    brokenWhy: (single) =>
      ` нет веб-адреса, поэтому ${single ? 'она уйдёт' : 'они уйдут'} обычным текстом. Нажмите на ссылку и выберите «Изменить», чтобы указать адрес.`,
    hintKept: 'Жирный, курсив, подчёркнутый, зачёркнутый, код и ссылки сохраняются; остальное уходит обычным текстом.',
    hintTab: 'переводит к следующему полю.',
  },
);

export const FORMATS = ['bold', 'italic', 'underline', 'strike', 'code', 'link'];

const PLACEHOLDER_NAMES = ['first_name', 'last_order', 'discount_code'] as const;

/** The placeholders the menu inserts, with their words in the current language. */
export function placeholders(): { name: string; label: string; hint: string }[] {
  const m = M();
  return PLACEHOLDER_NAMES.map((name) => ({ name, label: m[name], hint: m[`${name}Hint`] }));
}

/** The toolbar's buttons: Quill's class and the catalog's key of the button's name. */
const BUTTONS: [cls: string, key: 'bold' | 'italic' | 'underline' | 'strike' | 'code' | 'link'][][] = [
  [
    ['ql-bold', 'bold'],
    ['ql-italic', 'italic'],
    ['ql-underline', 'underline'],
    ['ql-strike', 'strike'],
  ],
  [
    ['ql-code', 'code'],
    ['ql-link', 'link'],
  ],
];

/** A fallback is literal text up to "}}": it may not hold braces, "|" or "<". */
export function cleanFallback(s: string): string {
  return s.replace(/[{}|<]/g, '').trim();
}

/** Quill's own toolbar buttons (it fills in their icons); never re-rendered by Preact. A language
 *  switch renames the buttons in place. */
class Toolbar extends Component<{ lang: string }> {
  private root: HTMLDivElement | null = null;
  shouldComponentUpdate(next: { lang: string }) {
    if (next.lang !== this.props.lang && this.root) {
      const m = M();
      for (const [cls, key] of BUTTONS.flat()) {
        const b = this.root.querySelector('.' + cls);
        b?.setAttribute('aria-label', m[key]);
        b?.setAttribute('title', m[key]);
      }
    }
    return false;
  }
  render() {
    const m = M();
    return (
      <div class="msg-toolbar" ref={(el) => void (this.root = el)}>
        {BUTTONS.map((group, i) => (
          <span key={i} class="ql-formats">
            {group.map(([cls, key]) => (
              <button key={cls} type="button" class={cls} aria-label={m[key]} title={m[key]} />
            ))}
          </span>
        ))}
      </div>
    );
  }
}

function PlaceholderMenu(props: { idBase: string; disabled: boolean; onInsert: (text: string) => void }) {
  const ref = useRef<HTMLDetailsElement>(null);
  const [fallback, setFallback] = useState('');
  // Close on a click elsewhere or Escape, as a menu does.
  useEffect(() => {
    const onDoc = (e: MouseEvent) => {
      const d = ref.current;
      if (d?.open && e.target instanceof Node && !d.contains(e.target)) d.open = false;
    };
    document.addEventListener('click', onDoc);
    return () => document.removeEventListener('click', onDoc);
  }, []);
  const close = () => {
    const d = ref.current;
    if (d) {
      d.open = false;
      d.querySelector('summary')?.focus();
    }
  };
  const fb = `${props.idBase}-ph-fallback`;
  const m = M();
  return (
    <details
      ref={ref}
      class="ph-menu"
      onKeyDown={(e) => {
        if (e.key === 'Escape') {
          e.preventDefault();
          close();
        }
      }}
    >
      <summary id={`${props.idBase}-ph-summary`} class={props.disabled ? 'btn btn-sm disabled' : 'btn btn-sm'} aria-disabled={props.disabled ? 'true' : undefined}>
        <span aria-hidden="true">{'{ }'}</span> {m.insert}
      </summary>
      <div class="ph-pop" role="group" aria-label={m.placeholders}>
        <div class="field">
          <label for={fb}>{m.fallback}</label>
          <input
            id={fb}
            type="text"
            value={fallback}
            placeholder={m.fallbackExample}
            maxLength={60}
            onInput={(e) => setFallback(e.currentTarget.value)}
            aria-describedby={`${fb}-hint`}
          />
          <p class="hint" id={`${fb}-hint`}>
            {m.fallbackHint}
          </p>
        </div>
        <ul class="ph-list">
          {placeholders().map((p) => (
            <li key={p.name}>
              <button
                type="button"
                class="ph-item"
                disabled={props.disabled}
                onClick={() => {
                  const f = cleanFallback(fallback);
                  props.onInsert(`{{${p.name}${f ? '|' + f : ''}}}`);
                  setFallback('');
                  const d = ref.current;
                  if (d) d.open = false;
                }}
              >
                <span class="ph-name">{p.label}</span>
                <code class="ph-code">{`{{${p.name}}}`}</code>
                <span class="ph-hint">{p.hint}</span>
              </button>
            </li>
          ))}
        </ul>
      </div>
    </details>
  );
}

/** The link being made or changed: where, and the text when there was no selection. */
interface LinkEdit {
  index: number;
  length: number;
  /** The selected words (shown), or null when there was no selection: the dialog asks for a text. */
  selected: string | null;
  /** The address the range links to already, if any. */
  existing: string | null;
}

/** The error for an address the dialog refuses, or null. */
function hrefProblem(value: string): string | null {
  const v = value.trim();
  const m = M();
  if (!v) return m.enterAddress;
  if (normaliseHref(v)) return null;
  if (/^(javascript|data|vbscript|file):/i.test(v)) return m.webOnly;
  return m.notAddress(v.length > 60 ? v.slice(0, 60) + '…' : v);
}

function LinkDialog(props: { idBase: string; edit: LinkEdit; onSave: (href: string, text: string) => void; onRemove: () => void; onCancel: () => void }) {
  const { edit, idBase } = props;
  // The selected words become the address only when they are one (a pasted "shop.example/sale").
  const [href, setHref] = useState(() => edit.existing ?? (edit.selected ? (normaliseHref(edit.selected) ?? '') : ''));
  const [text, setText] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [textError, setTextError] = useState<string | null>(null);
  const first = useRef<HTMLInputElement>(null);
  useLayoutEffect(() => {
    first.current?.focus();
    first.current?.select();
  }, []);
  const hrefId = `${idBase}-link-href`;
  const textId = `${idBase}-link-text`;
  function submit() {
    const problem = hrefProblem(href);
    const noText = edit.selected === null && !text.trim();
    setError(problem);
    setTextError(noText ? M().enterText : null);
    if (problem || noText) return;
    props.onSave(normaliseHref(href.trim())!, text.trim());
  }
  const m = M();
  return (
    <div
      class="link-dialog"
      role="dialog"
      aria-label={edit.existing ? m.changeLink : m.addLink}
      data-testid="link-dialog"
      onKeyDown={(e) => {
        if (e.key === 'Escape') {
          e.preventDefault();
          e.stopPropagation();
          props.onCancel();
        } else if (e.key === 'Enter' && e.target instanceof HTMLInputElement) {
          e.preventDefault();
          submit();
        }
      }}
    >
      {edit.selected !== null ? (
        <p class="link-on">
          {m.linkOn}{' '}
          <strong>
            {m.lq}
            <span translate={false}>{edit.selected.length > 80 ? edit.selected.slice(0, 80) + '…' : edit.selected}</span>
            {m.rq}
          </strong>
        </p>
      ) : (
        <div class={textError ? 'field has-error' : 'field'}>
          <label for={textId}>{m.linkText}</label>
          <input
            ref={first}
            id={textId}
            type="text"
            value={text}
            placeholder={m.linkTextExample}
            aria-invalid={textError ? 'true' : undefined}
            aria-describedby={textError ? `${textId}-error` : undefined}
            onInput={(e) => setText(e.currentTarget.value)}
          />
          {textError && (
            <p class="field-error" id={`${textId}-error`} role="alert">
              {textError}
            </p>
          )}
        </div>
      )}
      <div class={error ? 'field has-error' : 'field'}>
        <label for={hrefId}>{m.linkAddress}</label>
        <input
          ref={edit.selected !== null ? first : undefined}
          id={hrefId}
          type="text"
          inputMode="url"
          autoComplete="url"
          spellcheck={false}
          value={href}
          placeholder="https://your-shop.example/sale"
          aria-invalid={error ? 'true' : undefined}
          aria-describedby={`${hrefId}-hint` + (error ? ` ${hrefId}-error` : '')}
          onInput={(e) => {
            setHref(e.currentTarget.value);
            if (error) setError(null);
          }}
        />
        <p class="hint" id={`${hrefId}-hint`}>
          {m.linkAddressHint}
        </p>
        {error && (
          <p class="field-error" id={`${hrefId}-error`} role="alert">
            {error}
          </p>
        )}
      </div>
      <div class="actions">
        <button type="button" class="btn btn-sm btn-primary" onClick={submit}>
          {m.saveLink}
        </button>
        {edit.existing && (
          <button type="button" class="btn btn-sm" onClick={props.onRemove}>
            {m.removeLink}
          </button>
        )}
        <button type="button" class="btn btn-sm btn-ghost" onClick={props.onCancel}>
          {m.cancel}
        </button>
      </div>
    </div>
  );
}

export interface MessageEditorProps {
  /** The message at mount; later changes come from the editor itself. */
  initialHtml: string;
  disabled: boolean;
  error: string | null;
  maxLength: number;
  onChange: (html: string) => void;
  /** Ids start with it: the editable area is `idBase` itself (editor/form.ts fieldInputId). */
  idBase?: string;
  label?: string;
  placeholder?: string;
}

/** The texts of links whose address the API would refuse (they would be sent as plain text). */
function badLinks(ops: readonly { insert?: unknown; attributes?: Record<string, unknown> }[]): string[] {
  const out: string[] = [];
  for (const op of ops) {
    const link = op.attributes?.link;
    if (typeof link === 'string' && typeof op.insert === 'string' && !normaliseHref(link)) out.push(op.insert.trim() || link);
  }
  return out;
}

export function MessageEditor(props: MessageEditorProps) {
  const idBase = props.idBase ?? 'ed-message';
  const host = useRef<HTMLDivElement>(null);
  const box = useRef<HTMLDivElement>(null);
  const quillRef = useRef<Quill | null>(null);
  const lastRange = useRef<{ index: number; length: number } | null>(null);
  const lastHtml = useRef(props.initialHtml);
  const propsRef = useRef(props);
  propsRef.current = props;
  const [ready, setReady] = useState(false);
  const [length, setLength] = useState(0);
  const [broken, setBroken] = useState<string[]>([]);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [link, setLink] = useState<LinkEdit | null>(null);
  const openLinkRef = useRef<(r: { index: number; length: number } | null) => void>(() => undefined);

  /** Opens the link dialog for a range (the caret's link, the selection, or a new link at the caret). */
  openLinkRef.current = (range) => {
    const q = quillRef.current;
    if (!q || propsRef.current.disabled) return;
    let r = range ?? lastRange.current ?? { index: Math.max(0, q.getLength() - 1), length: 0 };
    const LinkBlot = (q.constructor as QuillClass).import('formats/link') as unknown as { formats: (n: Node) => string };
    let existing: string | null = null;
    // The caret (or the selection's start) inside a link: that link's address; a caret changes the whole link.
    const scroll = q.scroll as unknown as { descendant: (k: unknown, i: number) => [{ length: () => number; domNode: Node } | null, number] };
    const [blot, offset] = scroll.descendant(LinkBlot, r.index);
    if (blot) {
      existing = LinkBlot.formats(blot.domNode);
      if (!r.length) r = { index: r.index - offset, length: blot.length() };
    }
    const selected = r.length ? q.getText(r.index, r.length) : null;
    setLink({ index: r.index, length: r.length, selected, existing });
  };

  useLayoutEffect(() => {
    let cancelled = false;
    const create = (Q: QuillClass) => {
      const el = host.current;
      if (cancelled || !el) return;
      const q = new Q(el, {
        theme: 'snow',
        formats: FORMATS,
        placeholder: propsRef.current.placeholder ?? M().messagePlaceholder,
        modules: {
          toolbar: {
            container: box.current?.querySelector('.msg-toolbar') ?? false,
            handlers: { link: () => openLinkRef.current(q.getSelection(true)) },
          },
          keyboard: {
            bindings: {
              // Ctrl/Cmd+K: the link dialog, with or without a selection.
              link: {
                key: 'k',
                shortKey: true,
                handler: (range: { index: number; length: number }) => {
                  openLinkRef.current(range);
                  return false;
                },
              },
              // Tab moves the focus on, as in any form; Quill would insert a tab character.
              tab: null,
              'remove tab': null,
              indent: null,
              outdent: null,
              'indent code-block': null,
              'outdent code-block': null,
            },
          },
        },
        bounds: el.parentElement ?? undefined,
      });
      q.setContents(htmlToDelta(propsRef.current.initialHtml), 'silent');
      q.history.clear();
      const root = q.root;
      root.setAttribute('role', 'textbox');
      root.setAttribute('aria-multiline', 'true');
      // A link's "Edit" in Quill's own preview bubble opens our dialog instead of Quill's box.
      const tooltip = (q.theme as unknown as { tooltip?: { edit: (mode?: string) => void; hide: () => void; linkRange?: { index: number; length: number } } }).tooltip;
      if (tooltip) {
        tooltip.edit = (mode?: string) => {
          if (mode !== 'link') return;
          const r = tooltip.linkRange ?? null;
          tooltip.hide();
          openLinkRef.current(r);
        };
      }
      const measure = () => {
        const ops = q.getContents().ops;
        setLength(deltaText(ops).replace(/\n$/, '').length);
        setBroken(badLinks(ops as never));
        return ops;
      };
      measure();
      q.on('text-change', () => {
        const html = deltaToHtml(measure());
        if (html !== lastHtml.current) {
          lastHtml.current = html;
          propsRef.current.onChange(html);
        }
      });
      // Where the caret is, for the placeholder menu and the link button (which take the focus).
      q.on('editor-change', () => {
        const [range] = q.selection.getRange();
        if (range) lastRange.current = { index: range.index, length: range.length };
      });
      q.enable(!propsRef.current.disabled);
      quillRef.current = q;
      setReady(true);
    };
    const Q = quillIfLoaded();
    if (Q) create(Q);
    else
      loadQuill().then(create, () => {
        if (!cancelled) setLoadError(M().loadFailed);
      });
    return () => {
      cancelled = true;
      quillRef.current = null;
    };
  }, []);

  useEffect(() => {
    quillRef.current?.enable(!props.disabled);
  }, [props.disabled, ready]);

  // The language can change while the editor is open: the empty editor's example text follows it.
  const language = useLang();
  const placeholder = props.placeholder ?? M().messagePlaceholder;
  useEffect(() => {
    quillRef.current?.root.setAttribute('data-placeholder', placeholder);
  }, [placeholder, ready]);

  // The ids follow idBase: a follow-up's number changes when one before it is removed.
  useEffect(() => {
    const root = quillRef.current?.root;
    if (!root) return;
    root.id = idBase;
    root.setAttribute('aria-labelledby', `${idBase}-label`);
    if (props.error) root.setAttribute('aria-invalid', 'true');
    else root.removeAttribute('aria-invalid');
    root.setAttribute('aria-describedby', (props.error ? `${idBase}-error ` : '') + `${idBase}-hint ${idBase}-count`);
  }, [props.error, ready, idBase]);

  function insert(text: string) {
    const q = quillRef.current;
    if (!q) return;
    const end = Math.max(0, q.getLength() - 1);
    const r = lastRange.current ?? { index: end, length: 0 };
    const index = Math.min(r.index, end);
    if (r.length) q.deleteText(index, r.length, 'user');
    q.insertText(index, text, 'user');
    q.setSelection(index + text.length, 0, 'user');
    q.focus();
  }

  function closeLink(caret: number | null) {
    setLink(null);
    const q = quillRef.current;
    if (!q) return;
    q.focus();
    if (caret !== null) q.setSelection(caret, 0, 'user');
  }

  function saveLink(href: string, text: string) {
    const q = quillRef.current;
    const e = link;
    if (!q || !e) return;
    if (e.length) {
      q.formatText(e.index, e.length, 'link', href, 'user');
      closeLink(e.index + e.length);
    } else {
      q.insertText(e.index, text, { link: href }, 'user');
      closeLink(e.index + text.length);
      // What is typed next is not part of the link.
      q.format('link', false, 'user');
    }
  }

  const over = length > props.maxLength;
  const m = M();
  return (
    <div class={props.error ? 'field msg-field has-error' : 'field msg-field'}>
      <span class="label" id={`${idBase}-label`}>
        {props.label ?? m.message}
      </span>
      <div ref={box} class={'msg-box' + (props.disabled ? ' is-disabled' : '')}>
        <div class="msg-bar">
          <Toolbar lang={language} />
          <PlaceholderMenu idBase={idBase} disabled={props.disabled || !ready} onInsert={insert} />
        </div>
        {link && (
          <LinkDialog
            idBase={idBase}
            edit={link}
            onSave={saveLink}
            onRemove={() => {
              quillRef.current?.formatText(link.index, link.length, 'link', false, 'user');
              closeLink(link.index + link.length);
            }}
            onCancel={() => {
              const q = quillRef.current;
              setLink(null);
              if (q) {
                q.focus();
                q.setSelection(link.index, link.length, 'user');
              }
            }}
          />
        )}
        <div class="msg-host">
          {/* The message is the user's: browsers' translators leave it alone. */}
          <div ref={host} class="msg-editor" translate={false} />
        </div>
      </div>
      {loadError && (
        <p class="field-error" role="alert">
          {loadError}
        </p>
      )}
      {broken.length > 0 && (
        <p class="field-error" role="alert" data-testid="broken-links">
          {m.brokenOn(broken.length === 1)}
          {broken.map((t, i) => (
            <span key={i}>
              {i > 0 ? ', ' : ''}
              {m.lq}
              <span translate={false}>{t}</span>
              {m.rq}
            </span>
          ))}
          {m.brokenWhy(broken.length === 1)}
        </p>
      )}
      <div class="msg-foot">
        <p class="hint" id={`${idBase}-hint`}>
          {m.hintKept} <kbd>Tab</kbd> {m.hintTab}
        </p>
        <span class={over ? 'msg-count over' : 'msg-count'} id={`${idBase}-count`} aria-live="polite">
          {length} / {props.maxLength}
        </span>
      </div>
      {props.error && (
        <p class="field-error" id={`${idBase}-error`} role="alert">
          {props.error}
        </p>
      )}
    </div>
  );
}
