// Monitor — one campaign live (issue 7): the send log over Server-Sent Events (newest first, with
// a live/reconnecting indicator), progress, counters (sent, failed by reason, read, replied,
// clicks/CTR, orders, revenue), rate and ETA, quiet hours with their resume time, the FloodWait
// countdown, follow-up (nudge) status, notices that say what to do (PEER_FLOOD: wait; dead
// session: reconnect Telegram; account frozen: appeal through @SpamBot; an error streak: the code,
// what it means and what to check; the daily limit: when sending resumes), failures by reason
// with one line each on what they mean, and Pause / Resume (with the quiet-hours override) /
// Cancel; "People" opens the results per person (views/People.tsx). Counters come from GET /campaigns/:id/analytics, polled every 2 s while the campaign is
// active and refreshed as log events arrive. Contact names are rendered as text only. The words are
// in Monitor.i18n.ts (English and Russian).
import { useCallback, useEffect, useMemo, useRef, useState } from 'preact/hooks';
import '../results.css';
import { ApiError, describeError, type Campaign, type Session } from '../api';
import { getCampaign } from '../api-campaigns';
import {
  cancelCampaign,
  getCampaignAnalytics,
  pauseCampaign,
  resumeCampaign,
  type CampaignAnalytics,
  type LogEntry,
  type StepProgress,
} from '../api-results';
import type { SessionState } from '../main';
import { onLinkClick } from '../router';
import { SESSION_DEAD, count, dateTime, duration, isLive, isOwnReason, money, percent, reasonExplain, reasonLabel, stepLabel, time, when } from '../results/format';
import { Coded, NotFoundPage, Notice, Reason, RepliedStat, Stat, StatusPill, fill, useNow } from '../results/ui';
import { useLogStream, type LogStream } from '../results/useLogStream';
import { AppealSteps, SpamBotLink, frozenSince } from './Frozen';
import { LogAnnouncer, type LogWords } from '../results/LogAnnouncer'; // issue 20: failures and pauses, read out
import { lang } from '../i18n';
import { M, logDetailRu } from './Monitor.i18n';

const POLL_MS = 2000;
const SETTLED_POLL_MS = 10_000;

function conditionLabel(condition: string): string {
  const m = M();
  if (condition === 'no_reply') return m.condNoReply;
  if (condition === 'no_click') return m.condNoClick;
  if (condition === 'no_reply_no_click') return m.condNeither;
  return condition;
}

function after(seconds: number): string {
  const m = M();
  if (seconds % 86400 === 0) return m.days(seconds / 86400);
  if (seconds % 3600 === 0) return m.hours(seconds / 3600);
  if (seconds % 60 === 0) return m.minutes(seconds / 60);
  return m.seconds(seconds);
}

// ---- Live log ----

/** A log status's words and tone; an unknown status shows as it is. */
function logStatus(status: string): { label: string; tone: string } {
  const m = M();
  const known: Record<string, { label: string; tone: string }> = {
    sent: { label: m.stSent, tone: 'ok' },
    failed: { label: m.stFailed, tone: 'bad' },
    flood_wait: { label: m.stWaiting, tone: 'warn' },
    retry: { label: m.stRetry, tone: 'warn' },
    skipped: { label: m.stSkipped, tone: 'muted' },
    paused: { label: m.stPaused, tone: 'warn' },
    resumed: { label: m.stResumed, tone: 'info' },
    quiet_hours: { label: m.stQuiet, tone: 'info' },
    daily_limit: { label: m.stDaily, tone: 'info' },
    not_started: { label: m.stNotStarted, tone: 'muted' },
  };
  return Object.prototype.hasOwnProperty.call(known, status) ? known[status] : { label: status, tone: 'muted' };
}

/** Whether the log line names a person (their name is user data) rather than an event. */
const isPerson = (e: LogEntry) => e.contact_id != null && !!e.name && !!e.name.trim();

function logWho(e: LogEntry): string {
  const m = M();
  if (e.contact_id == null) {
    if (e.status === 'paused') return m.whoPaused;
    if (e.status === 'resumed') return m.whoResumed;
    if (e.status === 'quiet_hours') return m.whoQuiet;
    if (e.status === 'daily_limit') return m.whoDaily;
    if (e.status === 'flood_wait') return m.whoFlood;
    return m.whoCampaign;
  }
  return e.name && e.name.trim() ? e.name : m.whoContact(e.contact_id);
}

/** A log entry in words, for the screen-reader announcements (LogAnnouncer). */
const logWords = (e: LogEntry): LogWords => ({ who: logWho(e), detail: logDetail(e), person: isPerson(e) });

const ISO_TIME = /\d{4}-\d\d-\d\dT\d\d:\d\d(?::\d\d(?:\.\d+)?)?Z/g;

function logDetail(e: LogEntry): string | null {
  if (lang() === 'ru') return logDetailRu(e);
  // Times in the server's words ("resumes at 2026-11-25T12:28:00Z") are shown in the user's clock.
  const details = e.error_details ? e.error_details.replace(ISO_TIME, (t) => when(t)) : null;
  if (e.status === 'quiet_hours') return details ? details.replace(/^quiet hours;\s*/i, '').replace(/^./, (c) => c.toUpperCase()) : null;
  if (e.status === 'flood_wait') return details ? `FloodWait: ${details}` : 'FloodWait';
  if (e.status === 'daily_limit') return details ? details.replace(/^./, (c) => c.toUpperCase()) : M().dailyTomorrow;
  const code = e.error_code;
  if (!code) return details;
  const label = reasonLabel(code);
  const named = label !== code ? `${label} (${code})` : code;
  if (!details || details === code) return named;
  return details.includes(code) ? details.replace(/^./, (c) => c.toUpperCase()) : `${named}: ${details}`;
}

function ConnectionBadge({ s, now }: { s: LogStream; now: number }) {
  const m = M();
  if (s.state === 'live')
    return (
      <span class="badge badge-ok conn" data-testid="log-connection" data-state="live" title={m.liveTitle}>
        <span class="dot pulse" aria-hidden="true" />
        {m.live}
      </span>
    );
  if (s.state === 'stopped')
    return (
      <span class="badge badge-bad conn" data-testid="log-connection" data-state="stopped" title={s.error ?? undefined}>
        <span class="dot" aria-hidden="true" />
        {m.stopped}
      </span>
    );
  const secs = s.retryAt ? Math.max(0, Math.ceil((s.retryAt - now) / 1000)) : null;
  return (
    <span class="badge badge-warn conn" data-testid="log-connection" data-state={s.state} title={s.error ?? undefined}>
      <span class="dot" aria-hidden="true" />
      {s.state === 'connecting' ? m.connecting : secs ? m.reconnectingIn(secs) : m.reconnecting}
    </span>
  );
}

function LogList({ stream, now }: { stream: LogStream; now: number }) {
  const shown = stream.entries.slice(0, 200);
  const m = M();
  return (
    <section class="card card-flush log-card" aria-labelledby="log-title">
      <div class="card-head">
        <h2 id="log-title">{m.activity}</h2>
        <ConnectionBadge s={stream} now={now} />
      </div>
      {stream.state !== 'live' && stream.error && <p class="log-error">{stream.error}</p>}
      {shown.length === 0 ? (
        <p class="empty">{stream.state === 'live' ? m.nothingYet : m.loadingActivity}</p>
      ) : (
        <div class="log" role="log" aria-live="off" aria-label={m.logLabel} tabIndex={0}>
          <ol class="log-list" data-testid="log">
          {shown.map((e) => {
            const st = logStatus(e.status);
            const detail = logDetail(e);
            return (
              <li key={e.id} class={'log-row log-' + st.tone} data-testid="log-row" data-status={e.status}>
                <time class="log-time" dateTime={e.at} title={dateTime.format(new Date(e.at))}>
                  {time.format(new Date(e.at))}
                </time>
                <span class="log-main">
                  <span class={e.contact_id == null ? 'log-who log-event' : 'log-who'} data-testid="log-name" translate={!isPerson(e)}>
                    {logWho(e)}
                  </span>
                  {e.contact_id != null && <span class="log-step">{stepLabel(e.step)}</span>}
                  {detail && (
                    <span class="log-detail">
                      <Coded text={detail} />
                    </span>
                  )}
                </span>
                <span class={'pill pill-' + st.tone}>{st.label}</span>
              </li>
            );
          })}
          </ol>
        </div>
      )}
      {stream.entries.length > shown.length && (
        <p class="log-more muted">{m.showing(shown.length, stream.entries.length)}</p>
      )}
    </section>
  );
}

// ---- Notices: what happened, and what to do ----

function Notices(props: { c: Campaign; a: CampaignAnalytics | null; codes: Set<string>; session: Session | null; now: number; actionError: ApiError | null }) {
  const { c, a, codes, now } = props;
  const m = M();
  const out = [];
  const peerFlood = c.pause_reason === 'peer_flood' || (c.status === 'paused' && codes.has('PEER_FLOOD'));
  const sessionDead =
    c.pause_reason === 'session_invalid' ||
    props.actionError?.code === 'no_session' ||
    (c.status !== 'completed' && c.status !== 'cancelled' && (props.session?.status === 'invalid' || [...codes].some((k) => SESSION_DEAD.has(k))));
  if (sessionDead)
    out.push(
      <Notice
        key="session"
        tone="bad"
        testid="notice-session"
        title={m.sessionTitle}
        action={
          <a class="btn btn-primary btn-sm" href="/app/connect" onClick={onLinkClick}>
            {m.reconnect}
          </a>
        }
      >
        {m.sessionText}
      </Notice>,
    );
  if (peerFlood)
    out.push(
      <Notice key="peer" tone="bad" testid="notice-peer-flood" title={m.peerTitle}>
        {m.peerText}
      </Notice>,
    );
  if (c.status === 'paused' && c.pause_reason === 'account_frozen')
    out.push(
      <Notice key="frozen" tone="bad" testid="notice-frozen" title={m.frozenTitle} action={<SpamBotLink primary />}>
        <p>
          {frozenSince(props.session?.frozen ? props.session.frozen_at : null) || m.frozenNow}
          {m.frozenText}
        </p>
        <AppealSteps />
      </Notice>,
    );
  if (c.status === 'paused' && c.pause_reason === 'error_streak') {
    const code = c.pause_code ?? null;
    const why = code ? reasonExplain(code, a?.reasons) : null;
    out.push(
      <Notice key="streak" tone="bad" testid="notice-error-streak" title={m.streakTitle}>
        <p>
          {fill(m.streakText, {
            lead: code && isOwnReason(code) ? m.streakOwn : m.streakTelegram,
            what: code
              ? fill(m.streakCode, {
                  label: reasonLabel(code),
                  code: (
                    <code data-testid="streak-code" translate={false}>
                      {code}
                    </code>
                  ),
                })
              : m.streakAnError,
            why: <span data-testid="streak-why">{why ?? m.unknownCode}</span>,
          })}
        </p>
        <p>{m.checkFirst}</p>
        <ul class="notice-list">
          {!why && <li>{m.checkNewCode}</li>}
          <li>{m.checkMessage}</li>
          <li>{m.checkAccount}</li>
        </ul>
        <p>{m.streakAgain}</p>
      </Notice>,
    );
  }
  if (c.waiting === 'daily_limit' && isLive(c.status)) {
    const resumes = c.resumes_at ?? null;
    out.push(
      <Notice
        key="daily"
        tone="info"
        testid="notice-daily-limit"
        title={m.dailyTitle}
        action={
          <a class="btn btn-sm" href="/app/connect#limits" onClick={onLinkClick}>
            {m.changeLimit}
          </a>
        }
      >
        {m.dailyText}{' '}
        {resumes
          ? fill(m.dailyAt, {
              time: (
                <time dateTime={resumes} data-testid="daily-resumes">
                  {when(resumes, now)}
                </time>
              ),
              left: duration(Date.parse(resumes) - now),
            })
          : m.dailyByItselfTomorrow}{' '}
        {m.dailyWhere}
      </Notice>,
    );
  }
  if (c.status === 'paused' && c.pause_reason === 'storage_error')
    out.push(
      <Notice key="storage" tone="bad" testid="notice-storage" title={m.storageTitle}>
        {m.storageText}
      </Notice>,
    );
  if (c.status === 'paused' && c.pause_reason === 'media_unavailable')
    out.push(
      <Notice key="media" tone="bad" testid="notice-media" title={m.mediaTitle}>
        {m.mediaText}
      </Notice>,
    );
  if (a?.flood_wait_until) {
    const left = Date.parse(a.flood_wait_until) - now;
    if (left > 0)
      out.push(
        <Notice key="flood" tone="warn" testid="notice-flood-wait" title={m.floodTitle}>
          {fill(m.floodText, {
            left: (
              <strong class="countdown" data-testid="flood-countdown">
                {duration(left)}
              </strong>
            ),
          })}
        </Notice>,
      );
  }
  if (a?.quiet_hours.active && c.status !== 'completed' && c.status !== 'cancelled') {
    const qh = c.quiet_hours;
    const resumes = a.quiet_hours.resumes_at;
    out.push(
      <Notice key="quiet" tone="info" testid="notice-quiet-hours" title={m.quietTitle}>
        {qh ? fill(m.quietBetween, { start: qh.start, end: qh.end, tz: <span translate={false}>{qh.timezone}</span> }) : ''}
        {resumes
          ? fill(m.quietResumes, { time: <time dateTime={resumes}>{when(resumes, now)}</time>, left: duration(Date.parse(resumes) - now) })
          : m.quietWhenEnd}
      </Notice>,
    );
  }
  const behind = a?.waiting_behind ?? [];
  if (behind.length > 0 && isLive(c.status))
    out.push(
      <Notice key="behind" tone="info" testid="notice-waiting-behind" title={m.behindTitle}>
        {m.behindText}{' '}
        {behind.map((b, i) => (
          <span key={b.campaign_id}>
            {i > 0 ? '; ' : ''}
            <a href={`/app/campaigns/${b.campaign_id}`} onClick={onLinkClick} data-testid="waiting-behind-link" translate={false}>
              {b.name}
            </a>
            {m.behindHas(b.messages, b.status === 'nudging')}
          </span>
        ))}
        {m.behindEnd}
      </Notice>,
    );
  if (c.status === 'scheduled') {
    const running = c.waiting === 'campaign_running' ? behind[0] : undefined;
    out.push(
      <Notice key="scheduled" tone="info" testid="notice-scheduled" title={m.scheduledTitle} live={false}>
        {c.start_at
          ? fill(m.startsAt, {
              time: <time dateTime={c.start_at}>{when(c.start_at, now)}</time>,
              left: Date.parse(c.start_at) > now ? m.startsIn(duration(Date.parse(c.start_at) - now)) : '',
            })
          : null}
        {c.waiting === 'campaign_running'
          ? running
            ? fill(m.startsAfter, {
                link: (
                  <a href={`/app/campaigns/${running.campaign_id}`} onClick={onLinkClick} data-testid="waiting-behind-link" translate={false}>
                    {running.name}
                  </a>
                ),
                left: count.format(running.messages),
              })
            : m.startsAfterSending
          : ''}
      </Notice>,
    );
  }
  if (props.session?.simulator)
    out.push(
      <Notice key="sim" tone="info" testid="sim-notice" live={false} title={m.simTitle}>
        {m.simText}
      </Notice>,
    );
  if (c.status === 'paused' && c.pause_reason === 'manual')
    out.push(
      <Notice key="manual" tone="warn" title={m.manualTitle} live={false}>
        {m.manualText}
      </Notice>,
    );
  if (c.status === 'completed')
    out.push(
      <Notice
        key="done"
        tone="ok"
        title={m.doneTitle}
        live={false}
        action={
          <a class="btn btn-primary btn-sm" href={`/app/campaigns/${c.id}/scorecard`} onClick={onLinkClick}>
            {m.seeScorecard}
          </a>
        }
      >
        {c.finished_at ? m.finishedAt(dateTime.format(new Date(c.finished_at))) : ''}
        {m.doneText}
      </Notice>,
    );
  return out.length ? <div class="notices">{out}</div> : null;
}

// ---- Actions ----

function Actions(props: { c: Campaign; a: CampaignAnalytics | null; busy: boolean; run: (what: 'pause' | 'resume' | 'resume-override' | 'cancel') => void }) {
  const { c, a, busy, run } = props;
  const [ask, setAsk] = useState<null | 'cancel' | 'resume'>(null);
  const cancelBtn = useRef<HTMLButtonElement>(null);
  const resumeBtn = useRef<HTMLButtonElement>(null);
  const firstChoice = useRef<HTMLButtonElement>(null);
  const asked = useRef<typeof ask>(null);
  // Focus moves into a question when it opens and back to the button that asked when it closes.
  useEffect(() => {
    if (ask) firstChoice.current?.focus();
    else if (asked.current === 'cancel') cancelBtn.current?.focus();
    else if (asked.current === 'resume') resumeBtn.current?.focus();
    asked.current = ask;
  }, [ask]);
  useEffect(() => setAsk(null), [c.status]);
  const m = M();

  if (ask === 'cancel')
    return (
      <div class="confirm-box" role="group" aria-label={m.confirmCancel}>
        <span>{m.cancelQuestion}</span>
        <div class="actions">
          <button ref={firstChoice} type="button" class="btn btn-danger btn-sm" disabled={busy} onClick={() => run('cancel')}>
            {m.yesCancel}
          </button>
          <button type="button" class="btn btn-sm" onClick={() => setAsk(null)}>
            {m.keepIt}
          </button>
        </div>
      </div>
    );
  if (ask === 'resume')
    return (
      <div class="confirm-box" role="group" aria-label={m.resumeQuiet}>
        <span>{m.quietOn(a?.quiet_hours.resumes_at ? when(a.quiet_hours.resumes_at) : null)}</span>
        <div class="actions">
          <button ref={firstChoice} type="button" class="btn btn-primary btn-sm" disabled={busy} onClick={() => run('resume')}>
            {m.resumeRespect}
          </button>
          <button type="button" class="btn btn-sm" disabled={busy} onClick={() => run('resume-override')}>
            {m.sendNow}
          </button>
          <button type="button" class="btn btn-ghost btn-sm" onClick={() => setAsk(null)}>
            {m.back}
          </button>
        </div>
      </div>
    );

  const live = isLive(c.status);
  return (
    <div class="actions">
      {live && (
        <button type="button" class="btn btn-sm" disabled={busy} onClick={() => run('pause')}>
          {m.pause}
        </button>
      )}
      {c.status === 'paused' && (
        <button
          ref={resumeBtn}
          type="button"
          class={'btn btn-sm' + (c.pause_reason === 'peer_flood' || c.pause_reason === 'account_frozen' ? '' : ' btn-primary')}
          disabled={busy}
          onClick={() => (a?.quiet_hours.active ? setAsk('resume') : run('resume'))}
        >
          {m.resume}
        </button>
      )}
      {(c.status === 'draft' || c.status === 'paused') && (
        <a class="btn btn-sm" href={`/app/campaigns/${c.id}/edit`} onClick={onLinkClick}>
          {m.edit}
        </a>
      )}
      {c.started_at && (
        <a class={'btn btn-sm' + (c.status === 'completed' ? ' btn-primary' : '')} href={`/app/campaigns/${c.id}/scorecard`} onClick={onLinkClick} data-testid="scorecard-link">
          {m.scorecard}
        </a>
      )}
      {c.started_at && (
        <a class="btn btn-sm" href={`/app/campaigns/${c.id}/people`} onClick={onLinkClick} data-testid="people-link">
          {m.people}
        </a>
      )}
      {c.status === 'scheduled' && (
        <a class="btn btn-sm" href={`/app/campaigns/${c.id}/edit`} onClick={onLinkClick}>
          {m.changeSchedule}
        </a>
      )}
      {(live || c.status === 'paused') && (
        <button ref={cancelBtn} type="button" class="btn btn-ghost btn-sm danger-text" disabled={busy} onClick={() => setAsk('cancel')}>
          {m.cancelCampaign}
        </button>
      )}
    </div>
  );
}

// ---- Numbers ----

/** Done of a part of the progress (sent, failed or skipped: nothing more will happen to them). */
const doneOf = (p: StepProgress) => p.sent + p.failed + p.skipped;

/** The first message's part, from the server's counts or, from an older server, the totals. */
function firstPart(a: CampaignAnalytics): StepProgress {
  if (a.first_message) return a.first_message;
  const skipped = a.skipped ?? 0;
  return { total: a.sent + a.failed + skipped + a.pending, sent: a.sent, failed: a.failed, skipped, pending: a.pending, eta: a.eta };
}

/** When the queued part goes: "~2 min (14:05)", or why it waits. */
function Eta({ p, a, c, now, testid }: { p: StepProgress; a: CampaignAnalytics; c: Campaign; now: number; testid: string }) {
  const eta = p.eta ? Date.parse(p.eta) : null;
  const quiet = a.quiet_hours.active && a.quiet_hours.resumes_at;
  const daily = c.waiting === 'daily_limit' ? (c.resumes_at ?? null) : null;
  const flood = a.flood_wait_until && Date.parse(a.flood_wait_until) > now;
  const m = M();
  const why = quiet ? m.afterQuiet : daily ? m.afterDaily : flood ? m.afterFlood : (a.waiting_behind?.length ?? 0) > 0 ? m.afterOther : null;
  return (
    <dd data-testid={testid}>
      {eta && eta > now ? (
        <>
          ~{duration(eta - now)} <span class="muted">({when(p.eta as string, now)}{why ? `, ${why}` : ''})</span>
        </>
      ) : c.status === 'paused' ? (
        m.paused
      ) : p.pending > 0 && isLive(c.status) ? (
        m.anyMoment
      ) : (
        '—'
      )}
    </dd>
  );
}

function Progress({ a, c, now }: { a: CampaignAnalytics; c: Campaign; now: number }) {
  const first = firstPart(a);
  const fu = a.follow_ups ?? null;
  const firstDone = doneOf(first);
  const pct = first.total > 0 ? Math.min(1, firstDone / first.total) : 0;
  const hasFollowUps = c.nudges.length > 0 || (fu !== null && fu.total > 0);
  const fuDone = fu ? doneOf(fu) : 0;
  const fuPct = fu && fu.total > 0 ? Math.min(1, fuDone / fu.total) : 0;
  const cats = a.category_distribution;
  const finished = c.status === 'completed' || c.status === 'cancelled';
  const quiet = a.quiet_hours.active && !finished;
  const daily = c.waiting === 'daily_limit' && !finished ? (c.resumes_at ?? null) : null;
  const nextDue = a.nudges
    .map((n) => (n.next_at ? Date.parse(n.next_at) : null))
    .filter((t): t is number => t !== null)
    .sort((x, y) => x - y)[0];
  const m = M();
  const failedSkipped = (p: StepProgress) =>
    [p.failed ? m.failedN(count.format(p.failed)) : null, p.skipped ? m.skippedN(count.format(p.skipped)) : null].filter(Boolean).join(', ');
  return (
    <section class="card progress-card" aria-labelledby="progress-title">
      <h2 id="progress-title">{m.progress}</h2>
      <div class="pstep" data-testid="progress-first">
        <div class="progress-head">
          <h3 id="progress-first-title">{m.firstMessage}</h3>
          <span class="progress-pct" data-testid="progress-percent">
            {percent.format(pct)}
          </span>
        </div>
        <progress class="progress progress-lg" max={first.total > 0 ? first.total : 1} value={firstDone} aria-labelledby="progress-first-title" aria-describedby="progress-text" />
        <p class="progress-text" id="progress-text">
          {fill(m.handled(first.total), {
            done: <strong data-testid="progress-done">{count.format(firstDone)}</strong>,
            total: <span data-testid="progress-total">{count.format(first.total)}</span>,
          })}
          {failedSkipped(first) && <span class="muted">{m.sentParts(count.format(first.sent), failedSkipped(first))}</span>}
          {first.pending > 0 && m.waiting(count.format(first.pending))}
        </p>
      </div>
      {hasFollowUps && (
        <div class="pstep" data-testid="progress-follow-ups">
          <div class="progress-head">
            <h3 id="progress-fu-title">{m.followUps}</h3>
            <span class="progress-pct" data-testid="follow-up-percent">
              {fu && fu.total > 0 ? percent.format(fuPct) : '—'}
            </span>
          </div>
          <progress class="progress progress-lg" max={fu && fu.total > 0 ? fu.total : 1} value={fuDone} aria-labelledby="progress-fu-title" aria-describedby="progress-fu-text" />
          <p class="progress-text" id="progress-fu-text">
            {fill(m.fuHandled, {
              done: <strong data-testid="follow-up-done">{count.format(fuDone)}</strong>,
              total: <span data-testid="follow-up-total">{count.format(fu?.total ?? 0)}</span>,
            })}
            {fu && failedSkipped(fu) && <span class="muted">{m.sentParts(count.format(fu.sent), failedSkipped(fu))}</span>}
            {fu && fu.pending > 0 && m.queued(count.format(fu.pending))}
            {!finished && nextDue ? m.moreDue(nextDue > now ? duration(nextDue - now) : null) : null}
          </p>
          {!finished && <p class="card-note pstep-note">{m.atMost}</p>}
        </div>
      )}
      <dl class="facts">
        <div>
          <dt>{m.audience}</dt>
          <dd>{m.people_(a.audience)}</dd>
        </div>
        <div>
          <dt>{m.speed}</dt>
          <dd>{quiet ? m.quietHours : daily ? m.dailyReached : isLive(c.status) && a.pending > 0 ? m.perMinute(Math.round(a.send_rate_per_min)) : '—'}</dd>
        </div>
        {finished ? (
          <div>
            <dt>{m.finished}</dt>
            <dd data-testid="eta">{c.finished_at ? when(c.finished_at, now) : '—'}</dd>
          </div>
        ) : (
          <>
            <div>
              <dt>{first.pending > 0 || c.status === 'draft' || c.status === 'scheduled' ? m.everyoneIn : m.firstMessage}</dt>
              {first.pending > 0 ? <Eta p={first} a={a} c={c} now={now} testid="eta" /> : <dd data-testid="eta">{c.started_at ? m.sentToEveryone : '—'}</dd>}
            </div>
            {hasFollowUps && fu && fu.pending > 0 && (
              <div>
                <dt>{m.fuOutIn}</dt>
                <Eta p={fu} a={a} c={c} now={now} testid="eta-follow-ups" />
              </div>
            )}
          </>
        )}
        {c.started_at && (
          <div>
            <dt>{m.started}</dt>
            <dd>{when(c.started_at, now)}</dd>
          </div>
        )}
      </dl>
      {cats && (cats.buyer || cats.browser || cats.refund_risk) ? (
        <p class="cats-line" data-testid="audience-categories">
          <span class="muted">{m.atStart}</span>
          <span class="cat cat-buyer">{m.buyers(count.format(cats.buyer ?? 0))}</span>
          <span class="cat cat-browser">{m.browsers(count.format(cats.browser ?? 0))}</span>
          <span class="cat cat-refund_risk">{m.refundRisk(count.format(cats.refund_risk ?? 0))}</span>
        </p>
      ) : null}
    </section>
  );
}

function Stats({ a }: { a: CampaignAnalytics }) {
  const failures = Object.entries(a.failures_by_reason ?? {}).sort((x, y) => y[1] - x[1]);
  const rate = (n: number) => (a.sent > 0 ? percent.format(n / a.sent) : '—');
  const m = M();
  return (
    <section class="stats" aria-label={m.results}>
      <Stat label={m.sent} value={count.format(a.sent)} testid="stat-sent" sub={m.toTelegram} />
      <Stat label={m.failed} value={count.format(a.failed)} testid="stat-failed" tone={a.failed ? 'bad' : undefined}>
        {failures.length > 0 ? (
          <ul class="reasons" aria-label={m.byReason}>
            {failures.map(([code, n]) => {
              const why = reasonExplain(code, a.reasons);
              return (
                <li key={code} data-testid="failure-reason" data-code={code}>
                  <Reason code={code} />
                  <span class="num">{count.format(n)}</span>
                  <span class="reason-why">{why ?? fill(m.codeUnknown, { code: <span translate={false}>{code}</span> })}</span>
                </li>
              );
            })}
          </ul>
        ) : (
          <span class="stat-sub">{m.noFailures}</span>
        )}
      </Stat>
      <Stat label={m.read} value={count.format(a.read)} testid="stat-read" sub={m.ofSent(rate(a.read))} />
      <RepliedStat m={a} testid="stat-replied" />
      <Stat
        label={m.clicked}
        value={count.format(a.unique_clicks)}
        testid="stat-clicks"
        tone={a.unique_clicks ? 'accent' : undefined}
        sub={m.ctr(percent.format(a.ctr || 0), a.clicks)}
      />
      <Stat label={m.orders} value={count.format(a.orders)} testid="stat-orders" tone={a.orders ? 'ok' : undefined} sub={m.credited} />
      <Stat
        label={m.revenue}
        value={money(a.revenue, a.currency)}
        testid="stat-revenue"
        tone={a.revenue ? 'ok' : undefined}
        sub={a.orders ? m.perOrder(money(Math.round(a.revenue / a.orders), a.currency)) : m.fromAttributed}
      />
    </section>
  );
}

function Nudges({ c, a, sentByStep, now }: { c: Campaign; a: CampaignAnalytics; sentByStep: Map<number, number>; now: number }) {
  if (!c.nudges.length) return null;
  const m = M();
  return (
    <section class="card" aria-labelledby="nudges-title">
      <h2 id="nudges-title">{m.followUps}</h2>
      <ol class="fu-list" data-testid="nudges">
        {c.nudges.map((n, i) => {
          const p = a.nudges.find((x) => x.step === i + 1);
          const sent = p?.sent ?? sentByStep.get(i + 1) ?? 0;
          const next = p?.next_at ? Date.parse(p.next_at) : null;
          return (
            <li key={i} class="fu-item" data-testid="nudge-status">
              <span class="fu-num" aria-hidden="true">
                {i + 1}
              </span>
              <div class="fu-body">
                <strong>{fill(m.nudgeWhen, { after: after(n.after_seconds), who: conditionLabel(n.condition) })}</strong>
                <span class="sub">
                  {m.nudgeSub(count.format(sent), count.format(p?.scheduled ?? 0))}
                  {next
                    ? next > now
                      ? m.nextIn(duration(next - now), when(p!.next_at as string, now))
                      : m.dueNow
                    : c.status === 'completed' || c.status === 'cancelled'
                      ? ''
                      : m.waitsFirst}
                </span>
              </div>
            </li>
          );
        })}
      </ol>
    </section>
  );
}

// ---- The view ----

export function MonitorView(props: { id: number; state: SessionState }) {
  const { id } = props;
  const [c, setC] = useState<Campaign | null>(null);
  const [a, setA] = useState<CampaignAnalytics | null>(null);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [notFound, setNotFound] = useState(false);
  const [busy, setBusy] = useState(false);
  const [actionError, setActionError] = useState<ApiError | null>(null);
  const [actionMsg, setActionMsg] = useState<string | null>(null);
  const seq = useRef(0);
  const refreshTimer = useRef<number | undefined>(undefined);

  const load = useCallback(async () => {
    const my = ++seq.current;
    try {
      const [camp, stats] = await Promise.all([getCampaign(id), getCampaignAnalytics(id)]);
      if (my !== seq.current) return;
      setC(camp);
      setA(stats);
      setLoadError(null);
    } catch (e) {
      if (my !== seq.current) return;
      if (e instanceof ApiError && e.status === 404) setNotFound(true);
      else setLoadError(describeError(e));
    }
  }, [id]);

  // Log events move the counters: refresh soon after a burst (coalesced).
  const onEntries = useCallback(() => {
    if (refreshTimer.current !== undefined) return;
    refreshTimer.current = window.setTimeout(() => {
      refreshTimer.current = undefined;
      void load();
    }, 300);
  }, [load]);
  const stream = useLogStream(id, onEntries);

  useEffect(() => {
    void load();
    return () => {
      seq.current++;
      window.clearTimeout(refreshTimer.current);
    };
  }, [load]);

  const status = c?.status;
  const active = status === 'running' || status === 'nudging' || status === 'paused';
  // Clicks and orders keep coming after the last message: a finished campaign is re-read slowly.
  const settled = status === 'completed' || status === 'cancelled';
  useEffect(() => {
    if (!active && !settled) return undefined;
    const t = window.setInterval(() => {
      if (active || document.visibilityState === 'visible') void load();
    }, active ? POLL_MS : SETTLED_POLL_MS);
    return () => window.clearInterval(t);
  }, [active, settled, load]);

  // An account-level pause (frozen, disconnected) changes the session too: read it again.
  const pauseReason = c?.pause_reason ?? null;
  const refreshSession = props.state.refreshSession;
  useEffect(() => {
    if (pauseReason === 'account_frozen' || pauseReason === 'session_invalid') void refreshSession();
  }, [pauseReason, refreshSession]);

  const ticking = active || stream.state === 'reconnecting';
  const now = useNow(ticking);

  // What the log says beyond the counters: error codes that need an action, sends per step.
  const { codes, sentByStep } = useMemo(() => {
    const codes = new Set<string>();
    const sentByStep = new Map<number, number>();
    for (const e of stream.entries) {
      if (e.error_code) codes.add(e.error_code);
      if (e.status === 'sent') sentByStep.set(e.step, (sentByStep.get(e.step) ?? 0) + 1);
    }
    return { codes, sentByStep };
  }, [stream.entries]);

  async function run(what: 'pause' | 'resume' | 'resume-override' | 'cancel') {
    setBusy(true);
    setActionError(null);
    setActionMsg(null);
    try {
      const next =
        what === 'pause'
          ? await pauseCampaign(id)
          : what === 'cancel'
            ? await cancelCampaign(id)
            : await resumeCampaign(id, what === 'resume-override');
      setC(next);
      setActionMsg(what === 'pause' ? M().didPause : what === 'cancel' ? M().didCancel : M().didResume);
      void load();
    } catch (e) {
      setActionError(e instanceof ApiError ? e : new ApiError(0, 'unknown', describeError(e), null, null));
      void load();
    } finally {
      setBusy(false);
    }
  }

  const m = M();
  if (notFound) return <NotFoundPage what={m.whoCampaign} title={m.notFound} back="/app/campaigns" backLabel={m.backToCampaigns} />;

  return (
    <main class="page results monitor" id="main" data-loaded={c && a ? 'monitor' : undefined}>
      <a class="res-back" href="/app/campaigns" onClick={onLinkClick}>
        {m.campaigns}
      </a>
      <div class="res-head">
        <div class="res-title">
          <h1 data-testid="campaign-title" translate={!c}>
            {c ? c.name : m.whoCampaign}
          </h1>
          {c && <StatusPill status={c.status} />}
        </div>
        {c && <Actions c={c} a={a} busy={busy} run={(w) => void run(w)} />}
      </div>
      {loadError && (
        <div class="alert alert-error" role="alert">
          {loadError}
        </div>
      )}
      {actionError && (
        <div class="alert alert-error" role="alert">
          {describeError(actionError)}
          {actionError.code === 'no_session' && (
            <>
              {' '}
              <a href="/app/connect" onClick={onLinkClick}>
                {m.reconnect}
              </a>
            </>
          )}
        </div>
      )}
      <p class="sr-only" role="status">
        {actionMsg ?? ''}
      </p>
      <LogAnnouncer entries={stream.entries} since={stream.since} words={logWords} />
      {c && <Notices c={c} a={a} codes={codes} session={props.state.session} now={now} actionError={actionError} />}
      {c && a ? (
        <div class="monitor-grid">
          <div class="monitor-main">
            <Progress a={a} c={c} now={now} />
            <Stats a={a} />
            <Nudges c={c} a={a} sentByStep={sentByStep} now={now} />
          </div>
          <LogList stream={stream} now={now} />
        </div>
      ) : (
        !loadError && <p class="empty">{m.loading}</p>
      )}
    </main>
  );
}
