// A value the user must copy: a read-only field (or a block of code) and a Copy button that says
// when it worked. The clipboard API needs a secure context; elsewhere the text is selected and
// copied with the older command, and failing that left selected for Ctrl+C.
import { useEffect, useRef, useState } from 'preact/hooks';
import { messages } from '../i18n';

/** "API key" → "aPI key" is wrong: the first letter is lowered only when the second is not a capital. */
const lowerFirst = (s: string) => (/^.[^A-ZА-ЯЁ]/.test(s) ? s.charAt(0).toLowerCase() + s.slice(1) : s);

const M = messages(
  {
    copy: 'Copy',
    copyWhat: (label: string) => 'Copy ' + label.toLowerCase(),
    copied: 'Copied.',
    selected: 'Selected: press Ctrl+C (⌘C) to copy.',
    copiedIt: 'I have copied it',
    cancel: 'Cancel',
  },
  {
    copy: 'Копировать',
    copyWhat: (label: string) => 'Копировать ' + lowerFirst(label),
    copied: 'Скопировано.',
    selected: 'Выделено: нажмите Ctrl+C (⌘C), чтобы скопировать.',
    copiedIt: 'Скопировано, скрыть',
    cancel: 'Отмена',
  },
);

async function copyText(text: string, el: HTMLInputElement | HTMLElement | null): Promise<boolean> {
  try {
    if (navigator.clipboard && window.isSecureContext) {
      await navigator.clipboard.writeText(text);
      return true;
    }
  } catch {
    /* fall through to selecting the text */
  }
  if (el instanceof HTMLInputElement) el.select();
  else if (el) {
    const range = document.createRange();
    range.selectNodeContents(el);
    const sel = window.getSelection();
    sel?.removeAllRanges();
    sel?.addRange(range);
  }
  try {
    return document.execCommand('copy');
  } catch {
    return false;
  }
}

function CopyButton({ text, target, label }: { text: string; target: () => HTMLElement | null; label: string }) {
  const [state, setState] = useState<'idle' | 'copied' | 'select'>('idle');
  const m = M();
  return (
    <>
      <button
        type="button"
        class="btn btn-sm"
        aria-label={label}
        onClick={async () => setState((await copyText(text, target())) ? 'copied' : 'select')}
      >
        {m.copy}
      </button>
      <span class="muted copy-state" role="status">
        {state === 'copied' ? m.copied : state === 'select' ? m.selected : ''}
      </span>
    </>
  );
}

/** A read-only one-line value with a Copy button; testid names the input. */
export function CopyField({ id, label, value, testid }: { id: string; label: string; value: string; testid?: string }) {
  const ref = useRef<HTMLInputElement>(null);
  return (
    <div class="field">
      <label for={id}>{label}</label>
      <div class="copy-row">
        <input id={id} ref={ref} type="text" readOnly value={value} spellcheck={false} data-testid={testid} onFocus={(e) => e.currentTarget.select()} />
        <CopyButton text={value} target={() => ref.current} label={M().copyWhat(label)} />
      </div>
    </div>
  );
}

/** A block of code (a command) with a Copy button. */
export function CopyBlock({ label, text, testid }: { label: string; text: string; testid?: string }) {
  const ref = useRef<HTMLPreElement>(null);
  return (
    <div class="copy-block">
      <div class="copy-row">
        <span class="copy-label">{label}</span>
        <CopyButton text={text} target={() => ref.current} label={M().copyWhat(label)} />
      </div>
      <pre ref={ref} class="code" data-testid={testid} tabIndex={0}>
        {text}
      </pre>
    </div>
  );
}

/** A secret shown once: what to do with it, the value with its Copy button, and a way to hide it. */
export function ShownOnce(props: { testid: string; headline: string; advice: string; id: string; label: string; value: string; valueTestid: string; onDone: () => void }) {
  return (
    <div class="alert alert-warn secret-once" role="status" data-testid={props.testid}>
      <p>
        <strong>{props.headline}</strong> {props.advice}
      </p>
      <CopyField id={props.id} label={props.label} value={props.value} testid={props.valueTestid} />
      <button type="button" class="btn btn-sm btn-ghost" onClick={props.onDone}>
        {M().copiedIt}
      </button>
    </div>
  );
}

/** A button that asks first: its label opens the warning with the action and Cancel. */
export function ConfirmAction(props: { label: string; warning: string; groupLabel: string; action: string; busyAction?: string; busy: boolean; onConfirm: () => void; primary?: boolean }) {
  const [open, setOpen] = useState(false);
  useEffect(() => {
    if (!props.busy) setOpen(false);
  }, [props.busy]);
  if (!open)
    return (
      <button type="button" class={props.primary ? 'btn btn-primary' : 'btn'} onClick={() => setOpen(true)} disabled={props.busy}>
        {props.label}
      </button>
    );
  return (
    <div class="confirm" role="group" aria-label={props.groupLabel}>
      <span>{props.warning}</span>
      <button type="button" class="btn btn-danger" onClick={props.onConfirm} disabled={props.busy}>
        {props.busy && props.busyAction ? props.busyAction : props.action}
      </button>
      <button type="button" class="btn btn-ghost" onClick={() => setOpen(false)}>
        {M().cancel}
      </button>
    </div>
  );
}
