// Editor — create or edit a campaign (issue 7): Quill message, placeholders, media, filters with a
// live audience (or a saved segment), quiet hours, nudges, link tracking, discount codes, preview,
// test send, start, and a scheduled start (editor/Schedule.tsx, issue 16).
// The state and every API call live in editor/store.ts; this file lays the page out, explains the
// answers of /start and why an audience is empty (Start is disabled then), goes back where the
// user came from, and says what a follow-up made from a scorecard suggestion is (issue 18).
import type { ComponentChildren } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { ApiError, describeError, listCampaigns } from '../api';
import { STATUS_LABEL } from '../results/format';
import { cameFrom, navigate, onLinkClick } from '../router';
import type { SessionState } from '../main';
import { Field, FormError } from './Field';
import { MessageEditor } from '../editor/MessageEditor';
import { PreviewPanel } from '../editor/Preview';
import { AudienceSection, Card, EmptyAudience, ExtrasSection, MediaField, NudgesSection, SendingSection, emptyShort, quietNow } from '../editor/sections';
import { fieldInputId, fieldLabel } from '../editor/form';
import { EditorStore, releaseStore } from '../editor/store';
import { MAX_CAPTION, MAX_TEXT } from '../editor/validate';
import { NotStarted, ScheduleControls } from '../editor/Schedule';
import '../editor.css';
import { M } from './Editor.i18n';

function useStore(store: EditorStore): void {
  const [, force] = useState(0);
  useEffect(() => store.subscribe(() => force((n) => n + 1)), [store]);
}

function SaveStatus({ store }: { store: EditorStore }) {
  const s = store.state;
  const problems = Object.keys(s.fieldErrors).length;
  let text: string;
  let cls = 'save-state';
  const m = M();
  if (s.loading) text = m.loading;
  else if (!store.editable) text = '';
  else if (s.saving) text = m.saving;
  else if (s.saveError) {
    text = m.notSaved;
    cls += ' bad';
  } else if (s.id === null) {
    text = problems ? m.notSavedFix : store.canCreate ? m.saving : m.draftNeeds;
    if (problems) cls += ' bad';
  } else if (s.rev !== s.savedRev) text = m.unsaved;
  else if (problems) {
    text = m.savedExcept(problems);
    cls += ' bad';
  } else {
    text = m.allSaved;
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
      <strong>
        {M().toFix(entries.length)}
        {store.state.id === null ? M().beforeSave : M().restSaved}
      </strong>
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
function StartProblem({ problem, id, store }: { problem: ApiError | string; id: number | null; store: EditorStore }) {
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
  const m = M();
  if (typeof problem === 'string') body = problem;
  else
    switch (problem.code) {
      case 'campaign_running':
        body = (
          <>
            {m.campaignRunning}{' '}
            {running !== null && (
              <a href={`/app/campaigns/${running}`} onClick={onLinkClick}>
                {m.openRunning}
              </a>
            )}
          </>
        );
        break;
      case 'no_session':
        body = (
          <>
            {m.noSession}{' '}
            <a href="/app/connect" onClick={onLinkClick}>
              {m.connect}
            </a>{' '}
            {m.startAgain}
          </>
        );
        break;
      case 'empty_audience': {
        const a = store.state.audience;
        body = a && a.count === 0 ? <EmptyAudience a={a} segment={store.state.form.segmentId != null} /> : m.emptyAtStart;
        break;
      }
      case 'discount_codes_empty':
        body = m.poolEmpty;
        break;
      case 'invalid_state':
        body = (
          <>
            {m.cannotStart(problem.message)}{' '}
            {id !== null && (
              <a href={`/app/campaigns/${id}`} onClick={onLinkClick}>
                {m.openCampaign}
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
  const m = M();
  const now = f.quietOn ? quietNow(f.quietStart, f.quietEnd, f.timezone) : null;
  const close = () => props.dialog.current?.close();
  return (
    <dialog ref={props.dialog} class="start-dialog" aria-labelledby="ed-start-title" data-testid="start-dialog">
      {f.quietOn ? (
        <>
          <h2 id="ed-start-title">{m.quietSet}</h2>
          <p>
            {m.quietBetween}
            <strong>{f.quietStart}</strong>
            {m.quietAnd}
            <strong>{f.quietEnd}</strong> (<span translate={false}>{f.timezone.replace(/_/g, ' ')}</span>).
            {now && (
              <>
                {' '}
                {m.nowThere(now.time, now.inside)}
              </>
            )}
          </p>
          <p>{m.howStart(n)}</p>
          <div class="dialog-choices">
            {/* Issue 18: the choice says what it does — the old "Wait for quiet hours" read as
                "wait until they begin" and its "Sends now" as ignoring them. */}
            <button type="button" class="choice" onClick={() => props.onChoose(false)} autofocus data-testid="start-respect-quiet">
              <strong>{m.respect}</strong>
              <span>{now?.inside ? m.respectInside(f.quietStart, f.quietEnd) : m.respectOutside(f.quietStart, f.quietEnd)}</span>
            </button>
            <button type="button" class="choice" onClick={() => props.onChoose(true)} data-testid="start-override-quiet">
              <strong>{m.override}</strong>
              <span>{m.overrideWhat(f.quietStart, f.quietEnd)}</span>
            </button>
          </div>
        </>
      ) : (
        <>
          <h2 id="ed-start-title">{m.startSending}</h2>
          <p>{m.goesTo(n)}</p>
          <div class="actions">
            <button type="button" class="btn btn-primary" onClick={() => props.onChoose(false)} autofocus>
              {m.startButton}
            </button>
          </div>
        </>
      )}
      <div class="dialog-foot">
        <button type="button" class="btn btn-ghost" onClick={close}>
          {m.cancel}
        </button>
      </div>
    </dialog>
  );
}

type BackLabel = 'backScorecard' | 'backCampaign' | 'backSegments' | 'backCampaigns';

/** Where "Back" goes, and its words: the page the editor was opened from, else the campaigns. */
function backTarget(): { path: string; label: BackLabel; history: boolean } {
  const from = cameFrom();
  const path = from ? from.split('?')[0]! : '';
  if (/^\/app\/campaigns\/\d+\/scorecard$/.test(path)) return { path: from!, label: 'backScorecard', history: true };
  if (/^\/app\/campaigns\/\d+$/.test(path)) return { path: from!, label: 'backCampaign', history: true };
  if (path === '/app/segments') return { path: from!, label: 'backSegments', history: true };
  if (path === '/app/campaigns') return { path: from!, label: 'backCampaigns', history: true };
  return { path: '/app/campaigns', label: 'backCampaigns', history: false };
}

/** What a follow-up made from a scorecard suggestion is (the URL says: ?follow_up=<id>&kind=…). */
function FollowUpNote({ query, store }: { query: URLSearchParams; store: EditorStore }) {
  const from = query.get('follow_up');
  const kind = query.get('kind') ?? '';
  if (!from || !/^\d+$/.test(from)) return null;
  const name = store.state.campaignNames[Number(from)];
  const m = M();
  return (
    <div class="alert alert-info" role="status" data-testid="follow-up-note">
      <span>
        {m.followUpTo}{' '}
        <a href={`/app/campaigns/${from}/scorecard`} onClick={onLinkClick}>
          {name ? (
            <>
              {m.lq}
              <span translate={false}>{name}</span>
              {m.rq}
            </>
          ) : (
            m.yourCampaign
          )}
        </a>
        {m.followUpFor(kind)} {m.followUpDraft}
        {query.get('pool') === '1' && (
          <>
            {' '}
            <strong>{m.poolGone}</strong> {m.poolFresh}
          </>
        )}
      </span>
    </div>
  );
}

export function EditorView(props: { id: number | null; query: URLSearchParams; state: SessionState }) {
  const [store] = useState(() => new EditorStore(props.id));
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
  const [testResult, setTestResult] = useState<{ ok: boolean; message: string; noSession?: boolean } | null>(null);
  const [back] = useState(backTarget);

  const editable = store.editable;
  const disabled = !editable;
  const e = s.fieldErrors;
  const readOnly = !s.loading && !s.loadError && s.status !== null && !editable;
  // The audience of what is saved has nobody: Start cannot help (the 409 would only say so later).
  const audienceReady = s.id !== null && s.rev === s.savedRev && !s.saving && s.audienceRev === s.savedRev && !s.audienceLoading;
  const nobody = audienceReady && s.audience !== null && s.audience.count === 0;

  async function openStart() {
    setStartProblem(null);
    setTestResult(null);
    store.requireStartable();
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

  const m = M();
  const named = !(props.id == null && s.id == null) && f.name.trim() !== '';
  const title = props.id == null && s.id == null ? m.newCampaign : f.name.trim() || m.editCampaign;

  return (
    <main class="page editor-page" id="main">
      <div class="ed-head">
        <a
          class="back"
          href={back.path}
          data-testid="editor-back"
          onClick={(e) => {
            if (e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
            e.preventDefault();
            // The page it came from is the entry before this one: go back rather than forward to it.
            if (back.history) history.back();
            else navigate(back.path);
          }}
        >
          ← {m[back.label]}
        </a>
        <div class="ed-title">
          <h1 translate={named ? false : undefined}>{title}</h1>
          {s.status && <span class={'badge status status-' + s.status}>{STATUS_LABEL[s.status]}</span>}
          <SaveStatus store={store} />
        </div>
      </div>

      {s.loadError && <FormError message={s.loadError} />}
      <NotStarted store={store} />
      {readOnly && s.id !== null && s.status === 'scheduled' && (
        <div class="alert alert-info" role="status" data-testid="read-only">
          {m.scheduledReadOnly}
        </div>
      )}
      {readOnly && s.id !== null && s.status !== 'scheduled' && (
        <div class="alert alert-info" role="status" data-testid="read-only">
          {s.status ? m.readOnly(s.status, STATUS_LABEL[s.status]) : ''}{' '}
          <a href={`/app/campaigns/${s.id}`} onClick={onLinkClick}>
            {m.openLive}
          </a>
          .
        </div>
      )}
      {s.status === 'paused' && s.id !== null && (
        <div class="alert alert-info" role="status">
          {m.paused}{' '}
          <a href={`/app/campaigns/${s.id}`} onClick={onLinkClick}>
            {m.resumeLink}
          </a>
          .
        </div>
      )}
      <FollowUpNote query={props.query} store={store} />
      {s.restored && (
        <div class="alert alert-info restored" role="status" data-testid="restored">
          <span>
            {s.id === null ? m.restoredNew : m.restored}
          </span>
          <button type="button" class="btn btn-sm btn-ghost" onClick={() => store.discardRestored()}>
            {s.id === null ? m.keepIt : m.ok}
          </button>
          {s.id === null && (
            <button type="button" class="btn btn-sm btn-ghost" onClick={() => store.startOver()}>
              {m.startOver}
            </button>
          )}
        </div>
      )}
      <ErrorSummary store={store} />
      {s.saveError && <FormError message={s.saveError} />}

      {s.loading ? (
        <p class="muted">{m.loadingCampaign}</p>
      ) : s.loadError ? null : (
        <div class="editor-layout">
          <div class="ed-main">
            <Card id="ed-msg" title={m.message}>
              <Field id="ed-name" label={m.name} error={e.name ?? null} hint={m.nameHint}>
                {(a) => (
                  <input {...a} type="text" value={f.name} maxLength={200} disabled={disabled} autoComplete="off" onInput={(ev) => store.update({ name: ev.currentTarget.value })} />
                )}
              </Field>
              <MessageEditor
                key={s.epoch}
                initialHtml={f.html}
                disabled={disabled}
                error={e.message_text ?? null}
                maxLength={f.mediaIds.length ? MAX_CAPTION : MAX_TEXT}
                onChange={(html) => store.update({ html })}
              />
              <MediaField store={store} disabled={disabled} />
            </Card>
            <AudienceSection store={store} disabled={disabled} />
            <SendingSection store={store} disabled={disabled} />
            <NudgesSection store={store} disabled={disabled} />
            <ExtrasSection store={store} disabled={disabled} />
          </div>

          <aside class="ed-side" aria-label={m.side}>
            <section class="card ed-card side-card" aria-labelledby="ed-prev-h">
              <h2 id="ed-prev-h">{m.preview}</h2>
              <PreviewPanel store={store} />
              <div class="side-actions">
                <button type="button" class="btn btn-block" onClick={() => void test()} disabled={testing || !editable || s.id === null} data-testid="send-test">
                  {testing ? m.sendingTest : m.sendTest}
                </button>
                {testResult && (
                  <p class={testResult.ok ? 'test-result ok' : 'test-result bad'} role={testResult.ok ? 'status' : 'alert'} data-testid="test-result">
                    {testResult.message}
                    {testResult.noSession && (
                      <>
                        {' '}
                        <a href="/app/connect" onClick={onLinkClick}>
                          {m.connect}
                        </a>
                      </>
                    )}
                  </p>
                )}
                {s.status === 'draft' || s.status === null ? (
                  <button
                    type="button"
                    class="btn btn-primary btn-block btn-start"
                    onClick={() => void openStart()}
                    disabled={starting || !editable || s.id === null || nobody}
                    aria-describedby={nobody ? 'ed-start-nobody' : undefined}
                    data-testid="start"
                  >
                    {starting ? m.starting : s.audience ? m.startCount(s.audience.count) : m.start}
                  </button>
                ) : null}
                {nobody && s.audience && (
                  <p class="start-nobody" id="ed-start-nobody" data-testid="start-nobody">
                    {emptyShort(s.audience)}{' '}
                    <a
                      href="#ed-aud-h"
                      onClick={(e) => {
                        e.preventDefault();
                        document.getElementById('ed-aud-h')?.scrollIntoView({ block: 'start' });
                      }}
                    >
                      {m.why}
                    </a>
                  </p>
                )}
                <ScheduleControls store={store} />
                {startProblem && <StartProblem problem={startProblem} id={s.id} store={store} />}
              </div>
            </section>
          </aside>
        </div>
      )}
      <StartDialog store={store} dialog={dialog} onChoose={(o) => void choose(o)} />
    </main>
  );
}
