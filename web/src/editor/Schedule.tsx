// The editor's scheduled start (issue 16; API.md "Scheduling"): "Schedule…" beside Start opens a
// dialog with a date-time picker in the account's time zone (GET /account `timezone`, not the
// browser's: the shop's customers live there); a scheduled campaign shows when it starts, whether
// it waits behind a running campaign, "Change time…" and "Unschedule"; and a draft whose scheduled
// start could not happen says why. The store keeps the state and makes the calls.
import { useEffect, useRef, useState } from 'preact/hooks';
import { ApiError, describeError, listCampaigns } from '../api';
import { reasonLabel } from '../results/format';
import { onLinkClick } from '../router';
import { formatInZone, instantToZoned, knownZone, zoneLabel, zonedToInstant } from '../people/zone';
import { Field } from '../views/Field';
import { browserTimezone } from './form';
import type { EditorStore } from './store';
import { messages } from '../i18n';

const M = messages(
  {
    chooseTime: 'Choose a date and a time.',
    passed: 'That time has passed. Choose a later one.',
    withinYear: 'Choose a time within a year.',
    title: 'Schedule the start',
    startAt: 'Start at',
    inZone: 'In your account’s time zone, ',
    nowThere: (now: string) => ` (it is ${now} there now).`,
    whereYouAre: (at: string) => ` That is ${at} where you are.`,
    duringQuiet: 'Send even during quiet hours',
    quietAre: (start: string, end: string) => `Quiet hours are ${start}–${end}; left unticked, a start inside them waits for them to end.`,
    howItStarts: 'It starts as Start would, within a second of that time. Until then you can change the time or unschedule it; the message can no longer be edited.',
    cancel: 'Cancel',
    scheduling: 'Scheduling…',
    schedule: 'Schedule',
    scheduled: 'Scheduled.',
    starts: 'Starts',
    soon: 'soon',
    waiting: 'Its time has come, but another campaign is sending',
    lq: '“',
    rq: '”',
    waitingEnd: '. It starts as soon as that one ends.',
    changeTime: 'Change time…',
    unschedule: 'Unschedule',
    scheduleButton: 'Schedule…',
    notStarted: (reason: string) =>
      `The scheduled start did not happen: ${reason.toLowerCase()}. The campaign is a draft again; fix that and start or schedule it anew.`,
  },
  {
    chooseTime: 'Выберите дату и время.',
    passed: 'Это время уже прошло. Выберите более позднее.',
    withinYear: 'Выберите время в пределах года.',
    title: 'Запланировать запуск',
    startAt: 'Время запуска',
    inZone: 'В часовом поясе аккаунта, ',
    nowThere: (now) => ` (сейчас там ${now}).`,
    whereYouAre: (at) => ` У вас это ${at}.`,
    duringQuiet: 'Отправлять и в тихие часы',
    quietAre: (start, end) => `Тихие часы: ${start}–${end}; если не отмечено, запуск в это время подождёт, пока они закончатся.`,
    howItStarts:
      'Кампания запустится так же, как по кнопке «Запустить», в пределах секунды от этого времени. До тех пор можно изменить время или отменить планирование; само сообщение изменить уже нельзя.',
    cancel: 'Отмена',
    scheduling: 'Планируем…',
    schedule: 'Запланировать',
    scheduled: 'Запланирована.',
    starts: 'Запуск',
    soon: 'скоро',
    waiting: 'Время пришло, но сейчас отправляется другая кампания',
    lq: '«',
    rq: '»',
    waitingEnd: '. Эта запустится, как только та закончится.',
    changeTime: 'Изменить время…',
    unschedule: 'Отменить планирование',
    scheduleButton: 'Запланировать…',
    notStarted: (reason) =>
      `Запланированный запуск не состоялся: ${reason.toLowerCase()}. Кампания снова стала черновиком; исправьте это и запустите или запланируйте её заново.`,
  },
);

/** How often a scheduled campaign's status is read again while the editor shows it. */
const POLL_MS = 2000;

/** The account's zone (the browser's until GET /account has answered). */
function zoneOf(store: EditorStore): string {
  return knownZone(store.state.accountTimezone ?? browserTimezone());
}

function ScheduleDialog(props: { store: EditorStore; dialog: { current: HTMLDialogElement | null } }) {
  const { store } = props;
  const tz = zoneOf(store);
  const f = store.state.form;
  const [value, setValue] = useState('');
  const [override, setOverride] = useState(false);
  const [busy, setBusy] = useState(false);
  const [fieldError, setFieldError] = useState<string | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const [now, setNow] = useState(() => Date.now());

  // Each opening starts from the campaign's time, or the next whole hour after the next one.
  useEffect(() => {
    const d = props.dialog.current;
    if (!d) return undefined;
    const onOpen = () => {
      const t = Date.now();
      setNow(t);
      const at = store.state.startAt ? Date.parse(store.state.startAt) : Math.ceil((t + 3600_000) / 3600_000) * 3600_000;
      setValue(instantToZoned(at, tz));
      setFieldError(null);
      setProblem(null);
    };
    d.addEventListener('tgr-open', onOpen);
    return () => d.removeEventListener('tgr-open', onOpen);
  }, [props.dialog, tz]);

  const at = zonedToInstant(value, tz);
  const elsewhere = tz !== knownZone(browserTimezone());

  async function submit() {
    setFieldError(null);
    setProblem(null);
    if (at === null) return setFieldError(M().chooseTime);
    if (at < Date.now()) return setFieldError(M().passed);
    if (at > Date.now() + 365 * 86400_000) return setFieldError(M().withinYear);
    setBusy(true);
    const p = await store.scheduleStart(new Date(at).toISOString(), f.quietOn && override);
    setBusy(false);
    if (p === null) props.dialog.current?.close();
    else if (p instanceof ApiError && p.field === 'start_at') setFieldError(p.message.replace(/^start_at\s*/, '').replace(/^./, (c) => c.toUpperCase()));
    else setProblem(typeof p === 'string' ? p : describeError(p));
  }

  const m = M();
  return (
    <dialog ref={props.dialog} class="start-dialog" aria-labelledby="ed-schedule-title" data-testid="schedule-dialog">
      <form
        noValidate
        onSubmit={(ev) => {
          ev.preventDefault();
          void submit();
        }}
      >
        <h2 id="ed-schedule-title">{m.title}</h2>
        <Field
          id="ed-schedule-at"
          label={m.startAt}
          error={fieldError}
          hint={
            <>
              {m.inZone}
              <strong translate={false}>{zoneLabel(tz)}</strong>
              {m.nowThere(formatInZone(Math.floor(now / 60_000) * 60_000, tz))}
              {elsewhere && at !== null && m.whereYouAre(formatInZone(at, knownZone(browserTimezone())))}
            </>
          }
        >
          {(a) => <input {...a} type="datetime-local" value={value} min={instantToZoned(now, tz)} onInput={(ev) => setValue(ev.currentTarget.value)} data-testid="schedule-at" />}
        </Field>
        {f.quietOn && (
          <label class="check" for="ed-schedule-override">
            <input id="ed-schedule-override" type="checkbox" checked={override} onChange={(ev) => setOverride(ev.currentTarget.checked)} />
            <span>
              {m.duringQuiet}
              <span class="check-hint">{m.quietAre(f.quietStart, f.quietEnd)}</span>
            </span>
          </label>
        )}
        <p class="hint">{m.howItStarts}</p>
        {problem && (
          <div class="alert alert-error" role="alert">
            {problem}
          </div>
        )}
        <div class="dialog-foot">
          <button type="button" class="btn btn-ghost" onClick={() => props.dialog.current?.close()}>
            {m.cancel}
          </button>
          <button type="submit" class="btn btn-primary" disabled={busy} data-testid="schedule-confirm">
            {busy ? m.scheduling : m.schedule}
          </button>
        </div>
      </form>
    </dialog>
  );
}

/** The name and id of the account's running campaign, for "waiting for …". */
function useRunning(active: boolean): { id: number; name: string } | null {
  const [running, setRunning] = useState<{ id: number; name: string } | null>(null);
  useEffect(() => {
    if (!active) return;
    listCampaigns().then(
      (l) => {
        const c = l.campaigns.find((x) => x.status === 'running');
        setRunning(c ? { id: c.id, name: c.name } : null);
      },
      () => undefined,
    );
  }, [active]);
  return running;
}

function ScheduledPanel({ store, open }: { store: EditorStore; open: () => void }) {
  const s = store.state;
  const tz = zoneOf(store);
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<string | null>(null);
  const running = useRunning(s.waiting === 'campaign_running');
  // It starts by itself: look again every few seconds while the page shows it.
  useEffect(() => {
    const t = window.setInterval(() => {
      if (document.visibilityState === 'visible') void store.refreshStatus();
    }, POLL_MS);
    return () => window.clearInterval(t);
  }, [store]);
  const m = M();
  return (
    <div class="scheduled-box" data-testid="scheduled" role="status">
      <p>
        <strong>{m.scheduled}</strong> {m.starts} {s.startAt ? <time dateTime={s.startAt}>{formatInZone(s.startAt, tz)}</time> : m.soon} (
        <span translate={false}>{zoneLabel(tz)}</span>).
      </p>
      {s.waiting === 'campaign_running' && (
        <p data-testid="scheduled-waiting">
          {m.waiting}
          {running ? (
            <>
              {': '}
              <a href={`/app/campaigns/${running.id}`} onClick={onLinkClick}>
                {m.lq}
                <span translate={false}>{running.name}</span>
                {m.rq}
              </a>
            </>
          ) : null}
          {m.waitingEnd}
        </p>
      )}
      <div class="actions">
        <button type="button" class="btn btn-sm" disabled={busy} onClick={open}>
          {m.changeTime}
        </button>
        <button
          type="button"
          class="btn btn-sm btn-ghost"
          disabled={busy}
          data-testid="unschedule"
          onClick={async () => {
            setBusy(true);
            setProblem(await store.unschedule());
            setBusy(false);
          }}
        >
          {m.unschedule}
        </button>
      </div>
      {problem && (
        <p class="field-error" role="alert">
          {problem}
        </p>
      )}
    </div>
  );
}

/** Beside Start: "Schedule…" for a draft, the scheduled time and its controls for a scheduled
 *  campaign (once it has started by itself, the editor's read-only notice links to its live view). */
export function ScheduleControls({ store }: { store: EditorStore }) {
  const s = store.state;
  const dialog = useRef<HTMLDialogElement>(null);
  const open = () => {
    const d = dialog.current;
    if (!d) return;
    d.dispatchEvent(new Event('tgr-open'));
    d.showModal();
  };
  return (
    <>
      {(s.status === 'draft' || s.status === null) && (
        <button type="button" class="btn btn-block" disabled={!store.editable || s.id === null} onClick={open} data-testid="schedule">
          {M().scheduleButton}
        </button>
      )}
      {s.status === 'scheduled' && <ScheduledPanel store={store} open={open} />}
      <ScheduleDialog store={store} dialog={dialog} />
    </>
  );
}

/** A draft again because its scheduled start could not happen: why, in words. */
export function NotStarted({ store }: { store: EditorStore }) {
  const s = store.state;
  if (s.status !== 'draft' || !s.pauseReason || !['no_session', 'empty_audience', 'discount_codes_empty'].includes(s.pauseReason)) return null;
  return (
    <div class="alert alert-error" role="alert" data-testid="not-started">
      {M().notStarted(reasonLabel(s.pauseReason))}
    </div>
  );
}
