// The message editor: Quill with bold, italic, underline, strike, code and link only (the
// `formats` list also keeps pasted content to those), a placeholder menu that inserts
// {{first_name}} / {{last_order}} / {{discount_code}} (with an optional fallback) at the caret,
// and a character count. Content goes out as the API's HTML (editor/html.ts) on every change.
import { Component } from 'preact';
import { useEffect, useLayoutEffect, useRef, useState } from 'preact/hooks';
import type Quill from 'quill';
import { deltaText, deltaToHtml, htmlToDelta } from './html';
import { loadQuill, quillIfLoaded, type QuillClass } from './quill-load';

export const FORMATS = ['bold', 'italic', 'underline', 'strike', 'code', 'link'];

export const PLACEHOLDERS: { name: string; label: string; hint: string; example: string }[] = [
  { name: 'first_name', label: 'First name', hint: 'The contact’s first name in Telegram', example: 'there' },
  { name: 'last_order', label: 'Last order', hint: 'Their latest order, e.g. #1042 (€19.99)', example: 'your order' },
  { name: 'discount_code', label: 'Discount code', hint: 'A code from “Discount codes” below', example: '' },
];

/** A fallback is literal text up to "}}": it may not hold braces, "|" or "<". */
export function cleanFallback(s: string): string {
  return s.replace(/[{}|<]/g, '').trim();
}

/** Quill's own toolbar buttons (it fills in their icons); never re-rendered by Preact. */
class Toolbar extends Component {
  shouldComponentUpdate() {
    return false;
  }
  render() {
    const b = (cls: string, label: string) => <button type="button" class={cls} aria-label={label} title={label} />;
    return (
    <div class="msg-toolbar">
      <span class="ql-formats">
        {b('ql-bold', 'Bold (Ctrl+B)')}
        {b('ql-italic', 'Italic (Ctrl+I)')}
        {b('ql-underline', 'Underline (Ctrl+U)')}
        {b('ql-strike', 'Strikethrough')}
      </span>
      <span class="ql-formats">
        {b('ql-code', 'Code (monospace)')}
        {b('ql-link', 'Link (Ctrl+K)')}
      </span>
    </div>
    );
  }
}

function PlaceholderMenu(props: { disabled: boolean; onInsert: (text: string) => void; carry: EditorCarry }) {
  const ref = useRef<HTMLDetailsElement>(null);
  const [fallback, setFallback] = useState('');
  // Open at mount when the previous editor had it open (the remount after the first save); after
  // that the element keeps its own state (a controlled `open` would fight the user's clicks).
  useLayoutEffect(() => {
    if (props.carry.menuOpen && ref.current) ref.current.open = true;
    props.carry.menuOpen = false;
  }, []);
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
      <summary id="ed-ph-summary" class={props.disabled ? 'btn btn-sm disabled' : 'btn btn-sm'} aria-disabled={props.disabled ? 'true' : undefined}>
        <span aria-hidden="true">{'{ }'}</span> Insert placeholder
      </summary>
      <div class="ph-pop" role="group" aria-label="Placeholders">
        <div class="field">
          <label for="ed-ph-fallback">Fallback if empty (optional)</label>
          <input
            id="ed-ph-fallback"
            type="text"
            value={fallback}
            placeholder="e.g. there"
            maxLength={60}
            onInput={(e) => setFallback(e.currentTarget.value)}
            aria-describedby="ed-ph-fallback-hint"
          />
          <p class="hint" id="ed-ph-fallback-hint">
            Used when a contact has no value, e.g. “Hi {'{{first_name|there}}'}”.
          </p>
        </div>
        <ul class="ph-list">
          {PLACEHOLDERS.map((p) => (
            <li key={p.name}>
              <button
                type="button"
                class="ph-item"
                disabled={props.disabled}
                onClick={() => {
                  const fb = cleanFallback(fallback);
                  props.onInsert(`{{${p.name}${fb ? '|' + fb : ''}}}`);
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

export interface MessageEditorProps {
  /** The message at mount; later changes come from the editor itself. */
  initialHtml: string;
  disabled: boolean;
  error: string | null;
  maxLength: number;
  onChange: (html: string) => void;
  /** Survives a remount (after the first save): the caret, whether the editor had the keyboard, the menu. */
  carry: EditorCarry;
}

/** What a remounted editor takes over from the previous one. */
export interface EditorCarry {
  range: { index: number; length: number } | null;
  focused: boolean;
  menuOpen: boolean;
  /** The link box was open with this text in it. */
  link: string | null;
  /** Set by the mounted editor: reads the caret and focus now. */
  read: (() => void) | null;
}

export function MessageEditor(props: MessageEditorProps) {
  const host = useRef<HTMLDivElement>(null);
  const box = useRef<HTMLDivElement>(null);
  const quillRef = useRef<Quill | null>(null);
  const lastRange = useRef<{ index: number; length: number } | null>(null);
  const lastHtml = useRef(props.initialHtml);
  const propsRef = useRef(props);
  propsRef.current = props;
  const [ready, setReady] = useState(false);
  const [length, setLength] = useState(0);
  const [loadError, setLoadError] = useState<string | null>(null);

  useLayoutEffect(() => {
    let cancelled = false;
    let reader: (() => void) | null = null;
    const create = (Q: QuillClass) => {
      const el = host.current;
      if (cancelled || !el) return;
      const q = new Q(el, {
        theme: 'snow',
        formats: FORMATS,
        placeholder: 'Hi {{first_name|there}}, …',
        modules: {
          toolbar: { container: box.current?.querySelector('.msg-toolbar') ?? false },
          keyboard: {
            bindings: {
              // Ctrl/Cmd+K: the link button (Quill has no key for it by default).
              link: {
                key: 'k',
                shortKey: true,
                handler: () => {
                  box.current?.querySelector<HTMLButtonElement>('.ql-link')?.click();
                  return false;
                },
              },
            },
          },
        },
        bounds: el.parentElement ?? undefined,
      });
      q.setContents(htmlToDelta(propsRef.current.initialHtml), 'silent');
      q.history.clear();
      const root = q.root;
      root.id = 'ed-message';
      root.setAttribute('role', 'textbox');
      root.setAttribute('aria-multiline', 'true');
      root.setAttribute('aria-labelledby', 'ed-message-label');
      root.setAttribute('aria-describedby', 'ed-message-hint ed-message-count');
      // Quill's link box has no label of its own.
      const linkInput = el.parentElement?.querySelector<HTMLInputElement>('.ql-tooltip input[type=text]');
      if (linkInput) {
        linkInput.setAttribute('aria-label', 'Link address');
        linkInput.setAttribute('data-link', 'https://your-shop.example/sale');
      }
      setLength(deltaText(q.getContents().ops).replace(/\n$/, '').length);
      q.on('text-change', () => {
        const ops = q.getContents().ops;
        setLength(deltaText(ops).replace(/\n$/, '').length);
        const html = deltaToHtml(ops);
        if (html !== lastHtml.current) {
          lastHtml.current = html;
          propsRef.current.onChange(html);
        }
      });
      // Where the caret is, for the placeholder menu (which takes the focus) and for a remount.
      q.on('editor-change', () => {
        const [range] = q.selection.getRange();
        if (range) lastRange.current = { index: range.index, length: range.length };
      });
      const carry = propsRef.current.carry;
      reader = () => {
        carry.range = lastRange.current;
        carry.focused = q.hasFocus();
        carry.menuOpen = !!box.current?.querySelector('details.ph-menu[open]');
        const tip = box.current?.querySelector('.ql-tooltip.ql-editing:not(.ql-hidden)');
        carry.link = tip ? (tip.querySelector<HTMLInputElement>('input[type=text]')?.value ?? '') : null;
      };
      carry.read = reader;
      q.enable(!propsRef.current.disabled);
      quillRef.current = q;
      if (carry.range) {
        const max = Math.max(0, q.getLength() - 1);
        const index = Math.min(carry.range.index, max);
        const len = Math.min(carry.range.length, max - index);
        lastRange.current = { index, length: len };
        if (carry.focused || carry.link !== null) q.setSelection(index, len, 'silent');
        if (carry.link !== null && len > 0) {
          // Reopen the link box the remount closed, with what was typed in it.
          const theme = q.theme as unknown as { tooltip?: { edit: (mode: string, value: string) => void } };
          theme.tooltip?.edit('link', carry.link);
        }
      }
      carry.link = null;
      carry.focused = false;
      setReady(true);
    };
    const Q = quillIfLoaded();
    if (Q) create(Q);
    else
      loadQuill().then(create, () => {
        if (!cancelled) setLoadError('The editor could not be loaded. Reload the page to try again.');
      });
    return () => {
      cancelled = true;
      // Only our own reader: the next editor may have installed its own already.
      if (reader && propsRef.current.carry.read === reader) propsRef.current.carry.read = null;
      quillRef.current = null;
    };
  }, []);

  useEffect(() => {
    quillRef.current?.enable(!props.disabled);
  }, [props.disabled, ready]);

  useEffect(() => {
    const root = quillRef.current?.root;
    if (!root) return;
    if (props.error) root.setAttribute('aria-invalid', 'true');
    else root.removeAttribute('aria-invalid');
    root.setAttribute('aria-describedby', (props.error ? 'ed-message-error ' : '') + 'ed-message-hint ed-message-count');
  }, [props.error, ready]);

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

  const over = length > props.maxLength;
  return (
    <div class={props.error ? 'field msg-field has-error' : 'field msg-field'}>
      <span class="label" id="ed-message-label">
        Message
      </span>
      <div ref={box} class={'msg-box' + (props.disabled ? ' is-disabled' : '')}>
        <div class="msg-bar">
          <Toolbar />
          <PlaceholderMenu disabled={props.disabled || !ready} onInsert={insert} carry={props.carry} />
        </div>
        <div class="msg-host">
          <div ref={host} class="msg-editor" />
        </div>
      </div>
      {loadError && (
        <p class="field-error" role="alert">
          {loadError}
        </p>
      )}
      <div class="msg-foot">
        <p class="hint" id="ed-message-hint">
          Bold, italic, underline, strikethrough, code and links are kept; everything else is sent as plain text.
        </p>
        <span class={over ? 'msg-count over' : 'msg-count'} id="ed-message-count" aria-live="polite">
          {length} / {props.maxLength}
        </span>
      </div>
      {props.error && (
        <p class="field-error" id="ed-message-error" role="alert">
          {props.error}
        </p>
      )}
    </div>
  );
}
