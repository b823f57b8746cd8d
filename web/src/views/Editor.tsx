// Editor — create or edit a campaign (issue 7): Quill message, placeholders, media, filters with a
// live audience (or a saved segment), quiet hours, nudges, link tracking, discount codes, preview,
// test send, start, and a scheduled start (editor/Schedule.tsx, issue 16).
// The state and every API call live in editor/store.ts (it survives the remount that follows the
// first save); this file lays the page out and explains the answers of /start.
import type { ComponentChildren } from 'preact';
import { useEffect, useLayoutEffect, useRef, useState } from 'preact/hooks';
import { ApiError, describeError, listCampaigns } from '../api';
import { STATUS_LABEL } from '../results/format';
import { onLinkClick } from '../router';
import type { SessionState } from '../main';
import { Field, FormError } from './Field';
import { MessageEditor } from '../editor/MessageEditor';
import { PreviewPanel } from '../editor/Preview';
import { AudienceSection, Card, ExtrasSection, MediaField, NudgesSection, SendingSection, quietNow } from '../editor/sections';
import { fieldInputId, fieldLabel } from '../editor/form';
import { obtainStore, releaseStore, type EditorStore } from '../editor/store';
import { NotStarted, ScheduleControls } from '../editor/Schedule';
import '../editor.css';

function useStore(store: EditorStore): void {
  const [, force] = useState(0);
  useEffect(() => store.subscribe(() => force((n) => n + 1)), [store]);
}

function SaveStatus({ store }: { store: EditorStore }) {
  const s = store.state;
  let text: string;
  let cls = 'save-state';
  if (s.loading) text = 'Loading…';
  else if (!store.editable) text = '';
  else if (s.saving) text = 'Saving…';
  else if (Object.keys(s.fieldErrors).length) {
    text = 'Not saved: fix the problems marked';
    cls += ' bad';
  } else if (s.saveError) {
    text = 'Not saved';
    cls += ' bad';
  } else if (s.id === null) text = store.canCreate ? 'Saving…' : 'Draft: add a name and a message to save';
  else if (s.rev !== s.savedRev) text = 'Unsaved changes…';
  else {
    text = 'All changes saved';
    cls += ' ok';
  }
  return (
    <span class={cls} role="status" data-testid="save-state">
      {text}
    </span>
  );
}

function ErrorSummary({ store }: { store: EditorStore }) {
  const entries = Object.entries(store.state.fieldErrors);
  if (!entries.length) return null;
  const go = (field: string) => {
    const id = fieldInputId(field);
    const el = id ? document.getElementById(id) : null;
    if (el) {
      el.scrollIntoView({ block: 'center' });
      el.focus();
    }
  };
  return (
    <div class="alert alert-error err-summary" role="alert" data-testid="error-summary">
      <strong>{entries.length === 1 ? 'One thing needs fixing before this can be saved:' : `${entries.length} things need fixing before this can be saved:`}</strong>
      <ul>
        {entries.map(([field, message]) => (
          <li key={field}>
            <button type="button" class="linklike" onClick={() => go(field)}>
              {fieldLabel(field)}
            </button>
            : {message}
          </li>
        ))}
      </ul>
    </div>
  );
}


/** Why /start said no, in the shop owner's words, with the way out. */
function StartProblem({ problem, id }: { problem: ApiError | string; id: number | null }) {
  const [running, setRunning] = useState<number | null>(null);
  const code = problem instanceof ApiError ? problem.code : null;
  useEffect(() => {
    // ApiError keeps code/message/field only, so find the running campaign in the list.
    if (code !== 'campaign_running') return;
    listCampaigns().then(
      (l) => setRunning(l.campaigns.find((c) => (c.status === 'running' || c.status === 'nudging') && c.id !== id)?.id ?? null),
      () => undefined,
    );
  }, [code, id]);
  let body: ComponentChildren;
  if (typeof problem === 'string') body = problem;
  else
    switch (problem.code) {
      case 'campaign_running':
        body = (
          <>
            Another campaign is sending right now, and only one runs at a time. Pause or cancel it first, or wait until it is done.{' '}
            {running !== null && (
              <a href={`/app/campaigns/${running}`} onClick={onLinkClick}>
                Open the running campaign
              </a>
            )}
          </>
        );
        break;
      case 'no_session':
        body = (
          <>
            Telegram is not connected, so nothing can be sent.{' '}
            <a href="/app/connect" onClick={onLinkClick}>
              Connect Telegram
            </a>{' '}
            and start again.
          </>
        );
        break;
      case 'empty_audience':
        body = 'No contact matches the audience filters (opted-out, blocked and recently messaged contacts are left out). Loosen the filters and try again.';
        break;
      case 'discount_codes_empty':
        body = 'The discount code pool has no unused codes. Paste more codes, one per line, or choose one code for everyone.';
        break;
      case 'invalid_state':
        body = (
          <>
            This campaign can no longer be started: {problem.message}.{' '}
            {id !== null && (
              <a href={`/app/campaigns/${id}`} onClick={onLinkClick}>
                Open the campaign
              </a>
            )}
          </>
        );
        break;
      default:
        body = describeError(problem);
    }
  return (
    <div class="alert alert-error" role="alert" data-testid="start-error">
      {body}
    </div>
  );
}

function StartDialog(props: {
  store: EditorStore;
  dialog: { current: HTMLDialogElement | null };
  onChoose: (override: boolean) => void;
}) {
  const s = props.store.state;
  const f = s.form;
  const n = s.audience?.count ?? null;
  const who = n === null ? 'the audience' : `${n} contact${n === 1 ? '' : 's'}`;
  const now = f.quietOn ? quietNow(f.quietStart, f.quietEnd, f.timezone) : null;
  const close = () => props.dialog.current?.close();
  return (
    <dialog ref={props.dialog} class="start-dialog" aria-labelledby="ed-start-title" data-testid="start-dialog">
      {f.quietOn ? (
        <>
          <h2 id="ed-start-title">Quiet hours are set</h2>
          <p>
            This campaign does not send between <strong>{f.quietStart}</strong> and <strong>{f.quietEnd}</strong> ({f.timezone.replace(/_/g, ' ')}).
            {now && (
              <>
                {' '}
                It is {now.time} there now{now.inside ? ', inside quiet hours.' : '.'}
              </>
            )}
          </p>
          <p>How should it start sending to {who}?</p>
          <div class="dialog-choices">
            {/* Issue 18: the choice says what it does — the old "Wait for quiet hours" read as
                "wait until they begin" and its "Sends now" as ignoring them. */}
            <button type="button" class="choice" onClick={() => props.onChoose(false)} autofocus data-testid="start-respect-quiet">
              <strong>Respect quiet hours</strong>
              <span>
                {now?.inside
                  ? `Starts now, but sends nothing until ${f.quietEnd}, when quiet hours end; then it sends, pausing again every day from ${f.quietStart} to ${f.quietEnd}.`
                  : `Starts sending now and pauses at ${f.quietStart}; sending goes on by itself at ${f.quietEnd}, every day until everyone has it.`}
              </span>
            </button>
            <button type="button" class="choice" onClick={() => props.onChoose(true)} data-testid="start-override-quiet">
              <strong>Send now anyway (override)</strong>
              <span>{`Sends at any hour, also between ${f.quietStart} and ${f.quietEnd}: quiet hours are ignored for this campaign.`}</span>
            </button>
          </div>
        </>
      ) : (
        <>
          <h2 id="ed-start-title">Start sending?</h2>
          <p>
            The message goes to {who} from your Telegram account, paced to Telegram’s limits. You can pause it at any time from the campaign page.
          </p>
          <div class="actions">
            <button type="button" class="btn btn-primary" onClick={() => props.onChoose(false)} autofocus>
              Start sending
            </button>
          </div>
        </>
      )}
      <div class="dialog-foot">
        <button type="button" class="btn btn-ghost" onClick={close}>
          Cancel
        </button>
      </div>
    </dialog>
  );
}

export function EditorView(props: { id: number | null; query: URLSearchParams; state: SessionState }) {
  const [store] = useState(() => obtainStore(props.id));
  useStore(store);
  useEffect(() => () => releaseStore(store), [store]);
  // "New campaign" from the Segments page: /app/campaigns/new?segment=<id>.
  useEffect(() => {
    const seg = props.query.get('segment');
    if (props.id === null && seg && /^\d+$/.test(seg)) store.chooseSegment(Number(seg));
  }, [store]);
  const s = store.state;
  const f = s.form;
  const dialog = useRef<HTMLDialogElement>(null);
  const [starting, setStarting] = useState(false);
  const [startProblem, setStartProblem] = useState<ApiError | string | null>(null);
  const [testing, setTesting] = useState(false);
  const [testResult, setTestResult] = useState<{ ok: boolean; message: string } | null>(null);

  // After the first save's remount: put the keyboard back where it was.
  useLayoutEffect(() => {
    const mark = store.focus;
    store.focus = null;
    if (!mark) return;
    const el = document.getElementById(mark.id);
    if (el instanceof HTMLElement) {
      el.focus({ preventScroll: true });
      if ((el instanceof HTMLInputElement || el instanceof HTMLTextAreaElement) && mark.start !== null) {
        try {
          el.setSelectionRange(mark.start, mark.end ?? mark.start);
        } catch {
          /* not a text input */
        }
      }
    }
  }, [store]);

  const editable = store.editable;
  const disabled = !editable;
  const e = s.fieldErrors;
  const readOnly = !s.loading && !s.loadError && s.status !== null && !editable;

  async function openStart() {
    setStartProblem(null);
    setTestResult(null);
    if (!(await store.flush())) {
      setStartProblem(store.notReadyMessage());
      return;
    }
    dialog.current?.showModal();
  }

  async function choose(override: boolean) {
    dialog.current?.close();
    setStarting(true);
    const problem = await store.start(override);
    setStarting(false);
    if (problem) setStartProblem(problem);
  }

  async function test() {
    setTesting(true);
    setTestResult(null);
    setTestResult(await store.sendTest());
    setTesting(false);
  }

  const title = props.id == null && s.id == null ? 'New campaign' : f.name.trim() || 'Edit campaign';

  return (
    <main class="page editor-page" id="main">
      <div class="ed-head">
        <a class="back" href="/app/campaigns" onClick={onLinkClick}>
          ← Campaigns
        </a>
        <div class="ed-title">
          <h1>{title}</h1>
          {s.status && <span class={'badge status status-' + s.status}>{STATUS_LABEL[s.status]}</span>}
          <SaveStatus store={store} />
        </div>
      </div>

      {s.loadError && <FormError message={s.loadError} />}
      <NotStarted store={store} />
      {readOnly && s.id !== null && s.status === 'scheduled' && (
        <div class="alert alert-info" role="status" data-testid="read-only">
          This campaign is scheduled, so it can no longer be edited. Unschedule it (beside the preview) to change it.
        </div>
      )}
      {readOnly && s.id !== null && s.status !== 'scheduled' && (
        <div class="alert alert-info" role="status" data-testid="read-only">
          This campaign is {s.status ? STATUS_LABEL[s.status].toLowerCase() : ''}, so it can no longer be edited.{' '}
          <a href={`/app/campaigns/${s.id}`} onClick={onLinkClick}>
            Open its live view
          </a>
          .
        </div>
      )}
      {s.status === 'paused' && s.id !== null && (
        <div class="alert alert-info" role="status">
          This campaign is paused. Changes save automatically;{' '}
          <a href={`/app/campaigns/${s.id}`} onClick={onLinkClick}>
            resume it from its campaign page
          </a>
          .
        </div>
      )}
      {s.restored && (
        <div class="alert alert-info restored" role="status">
          <span>Your unsaved changes from before were restored.</span>
          <button type="button" class="btn btn-sm btn-ghost" onClick={() => store.discardRestored()}>
            OK
          </button>
        </div>
      )}
      <ErrorSummary store={store} />
      {s.saveError && <FormError message={s.saveError} />}

      {s.loading ? (
        <p class="muted">Loading the campaign…</p>
      ) : s.loadError ? null : (
        <div class="editor-layout">
          <div class="ed-main">
            <Card id="ed-msg" title="Message">
              <Field id="ed-name" label="Campaign name" error={e.name ?? null} hint="Only you see it, e.g. “Spring sale, buyers”.">
                {(a) => (
                  <input {...a} type="text" value={f.name} maxLength={200} disabled={disabled} autoComplete="off" onInput={(ev) => store.update({ name: ev.currentTarget.value })} />
                )}
              </Field>
              <MessageEditor
                key={s.epoch}
                initialHtml={f.html}
                disabled={disabled}
                error={e.message_text ?? null}
                maxLength={f.mediaIds.length ? 1024 : 4096}
                onChange={(html) => store.update({ html })}
                carry={store.carry}
              />
              <MediaField store={store} disabled={disabled} />
            </Card>
            <AudienceSection store={store} disabled={disabled} />
            <SendingSection store={store} disabled={disabled} />
            <NudgesSection store={store} disabled={disabled} />
            <ExtrasSection store={store} disabled={disabled} />
          </div>

          <aside class="ed-side" aria-label="Preview and start">
            <section class="card ed-card side-card" aria-labelledby="ed-prev-h">
              <h2 id="ed-prev-h">Preview</h2>
              <PreviewPanel store={store} />
              <div class="side-actions">
                <button type="button" class="btn btn-block" onClick={() => void test()} disabled={testing || !editable || s.id === null} data-testid="send-test">
                  {testing ? 'Sending test…' : 'Send test to my Saved Messages'}
                </button>
                {testResult && (
                  <p class={testResult.ok ? 'test-result ok' : 'test-result bad'} role={testResult.ok ? 'status' : 'alert'} data-testid="test-result">
                    {testResult.message}
                    {!testResult.ok && /not connected/.test(testResult.message) && (
                      <>
                        {' '}
                        <a href="/app/connect" onClick={onLinkClick}>
                          Connect Telegram
                        </a>
                      </>
                    )}
                  </p>
                )}
                {s.status === 'draft' || s.status === null ? (
                  <button type="button" class="btn btn-primary btn-block btn-start" onClick={() => void openStart()} disabled={starting || !editable || s.id === null} data-testid="start">
                    {starting ? 'Starting…' : s.audience ? `Start campaign · ${s.audience.count} contact${s.audience.count === 1 ? '' : 's'}` : 'Start campaign'}
                  </button>
                ) : null}
                <ScheduleControls store={store} />
                {startProblem && <StartProblem problem={startProblem} id={s.id} />}
              </div>
            </section>
          </aside>
        </div>
      )}
      <StartDialog store={store} dialog={dialog} onChoose={(o) => void choose(o)} />
    </main>
  );
}
