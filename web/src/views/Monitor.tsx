// Monitor — one campaign live (issue 7): the send log over Server-Sent Events (newest first, with
// a live/reconnecting indicator), progress, counters (sent, failed by reason, read, replied,
// clicks/CTR, orders, revenue), rate and ETA, quiet hours with their resume time, the FloodWait
// countdown, follow-up (nudge) status, notices that say what to do (PEER_FLOOD: wait; dead
// session: reconnect Telegram; account frozen: appeal through @SpamBot; an error streak: the code,
// what it means and what to check; the daily limit: when sending resumes), failures by reason
// with one line each on what they mean, and Pause / Resume (with the quiet-hours override) /
// Cancel; "People" opens the results per person (views/People.tsx). Counters come from GET /campaigns/:id/analytics, polled every 2 s while the campaign is
// active and refreshed as log events arrive. Contact names are rendered as text only.
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
import { NotFoundPage, Notice, Reason, RepliedStat, Stat, StatusPill, useNow } from '../results/ui';
import { useLogStream, type LogStream } from '../results/useLogStream';
import { AppealSteps, SpamBotLink, frozenSince } from './Frozen';
import { LogAnnouncer, type LogWords } from '../results/LogAnnouncer'; // issue 20: failures and pauses, read out

const POLL_MS = 2000;
const SETTLED_POLL_MS = 10_000;

const CONDITION_LABEL: Record<string, string> = {
  no_reply: 'to those who did not reply',
  no_click: 'to those who did not click',
  no_reply_no_click: 'to those who neither replied nor clicked',
};

function after(seconds: number): string {
  if (seconds % 86400 === 0) return seconds === 86400 ? '1 day' : `${seconds / 86400} days`;
  if (seconds % 3600 === 0) return seconds === 3600 ? '1 hour' : `${seconds / 3600} hours`;
  if (seconds % 60 === 0) return `${seconds / 60} min`;
  return `${seconds} s`;
}

// ---- Live log ----

const LOG_STATUS: Record<string, { label: string; tone: string }> = {
  sent: { label: 'Sent', tone: 'ok' },
  failed: { label: 'Failed', tone: 'bad' },
  flood_wait: { label: 'Waiting', tone: 'warn' },
  retry: { label: 'Retrying', tone: 'warn' },
  skipped: { label: 'Skipped', tone: 'muted' },
  paused: { label: 'Paused', tone: 'warn' },
  resumed: { label: 'Resumed', tone: 'info' },
  quiet_hours: { label: 'Quiet hours', tone: 'info' },
  daily_limit: { label: 'Daily limit', tone: 'info' },
};

function logWho(e: LogEntry): string {
  if (e.contact_id == null) {
    if (e.status === 'paused') return 'Campaign paused';
    if (e.status === 'resumed') return 'Campaign resumed';
    if (e.status === 'quiet_hours') return 'Quiet hours started';
    if (e.status === 'daily_limit') return 'Daily limit reached';
    if (e.status === 'flood_wait') return 'Telegram asked to slow down';
    return 'Campaign';
  }
  return e.name && e.name.trim() ? e.name : `Contact #${e.contact_id}`;
}

/** A log entry in words, for the screen-reader announcements (LogAnnouncer). */
const logWords = (e: LogEntry): LogWords => ({ who: logWho(e), detail: logDetail(e) });

const ISO_TIME = /\d{4}-\d\d-\d\dT\d\d:\d\d(?::\d\d(?:\.\d+)?)?Z/g;

function logDetail(e: LogEntry): string | null {
  // Times in the server's words ("resumes at 2026-11-25T12:28:00Z") are shown in the user's clock.
  const details = e.error_details ? e.error_details.replace(ISO_TIME, (t) => when(t)) : null;
  if (e.status === 'quiet_hours') return details ? details.replace(/^quiet hours;\s*/i, '').replace(/^./, (c) => c.toUpperCase()) : null;
  if (e.status === 'flood_wait') return details ? `FloodWait: ${details}` : 'FloodWait';
  if (e.status === 'daily_limit') return details ? details.replace(/^./, (c) => c.toUpperCase()) : 'Sending resumes tomorrow.';
  const code = e.error_code;
  if (!code) return details;
  const label = reasonLabel(code);
  const named = label !== code ? `${label} (${code})` : code;
  if (!details || details === code) return named;
  return details.includes(code) ? details.replace(/^./, (c) => c.toUpperCase()) : `${named}: ${details}`;
}

function ConnectionBadge({ s, now }: { s: LogStream; now: number }) {
  if (s.state === 'live')
    return (
      <span class="badge badge-ok conn" data-testid="log-connection" data-state="live" title="New events appear here as they happen">
        <span class="dot pulse" aria-hidden="true" />
        Live
      </span>
    );
  if (s.state === 'stopped')
    return (
      <span class="badge badge-bad conn" data-testid="log-connection" data-state="stopped" title={s.error ?? undefined}>
        <span class="dot" aria-hidden="true" />
        Stopped
      </span>
    );
  const secs = s.retryAt ? Math.max(0, Math.ceil((s.retryAt - now) / 1000)) : null;
  return (
    <span class="badge badge-warn conn" data-testid="log-connection" data-state={s.state} title={s.error ?? undefined}>
      <span class="dot" aria-hidden="true" />
      {s.state === 'connecting' ? 'Connecting…' : secs ? `Reconnecting in ${secs} s…` : 'Reconnecting…'}
    </span>
  );
}

function LogList({ stream, now }: { stream: LogStream; now: number }) {
  const shown = stream.entries.slice(0, 200);
  return (
    <section class="card card-flush log-card" aria-labelledby="log-title">
      <div class="card-head">
        <h2 id="log-title">Activity</h2>
        <ConnectionBadge s={stream} now={now} />
      </div>
      {stream.state !== 'live' && stream.error && <p class="log-error">{stream.error}</p>}
      {shown.length === 0 ? (
        <p class="empty">{stream.state === 'live' ? 'Nothing sent yet. Messages appear here the moment they go out.' : 'Loading the activity…'}</p>
      ) : (
        <div class="log" role="log" aria-live="off" aria-label="Send log, newest first" tabIndex={0}>
          <ol class="log-list" data-testid="log">
          {shown.map((e) => {
            const st = LOG_STATUS[e.status] ?? { label: e.status, tone: 'muted' };
            const detail = logDetail(e);
            return (
              <li key={e.id} class={'log-row log-' + st.tone} data-testid="log-row" data-status={e.status}>
                <time class="log-time" dateTime={e.at} title={dateTime.format(new Date(e.at))}>
                  {time.format(new Date(e.at))}
                </time>
                <span class="log-main">
                  <span class={e.contact_id == null ? 'log-who log-event' : 'log-who'} data-testid="log-name">
                    {logWho(e)}
                  </span>
                  {e.contact_id != null && <span class="log-step">{stepLabel(e.step)}</span>}
                  {detail && <span class="log-detail">{detail}</span>}
                </span>
                <span class={'pill pill-' + st.tone}>{st.label}</span>
              </li>
            );
          })}
          </ol>
        </div>
      )}
      {stream.entries.length > shown.length && (
        <p class="log-more muted">
          Showing the latest {shown.length} of {count.format(stream.entries.length)} events.
        </p>
      )}
    </section>
  );
}

// ---- Notices: what happened, and what to do ----

function Notices(props: { c: Campaign; a: CampaignAnalytics | null; codes: Set<string>; session: Session | null; now: number; actionError: ApiError | null }) {
  const { c, a, codes, now } = props;
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
        title="Telegram disconnected this account"
        action={
          <a class="btn btn-primary btn-sm" href="/app/connect" onClick={onLinkClick}>
            Reconnect Telegram
          </a>
        }
      >
        The login session is no longer valid (for example it was ended from another device). Sending has stopped. Reconnect Telegram, then come back and
        press Resume — nobody gets a message twice.
      </Notice>,
    );
  if (peerFlood)
    out.push(
      <Notice key="peer" tone="bad" testid="notice-peer-flood" title="Telegram has limited this account (PEER_FLOOD)">
        Telegram thinks the account sent too many messages to people who don't have it in their contacts. The campaign is paused. Wait at least a day
        before resuming and do not resend the same message — pushing on can get the account banned. Messages already sent are not affected.
      </Notice>,
    );
  if (c.status === 'paused' && c.pause_reason === 'account_frozen')
    out.push(
      <Notice key="frozen" tone="bad" testid="notice-frozen" title="Telegram froze this account" action={<SpamBotLink primary />}>
        <p>
          {frozenSince(props.session?.frozen ? props.session.frozen_at : null) || 'Now '}Telegram lets the account read its chats but send nothing. Every
          campaign of the account is paused; the message that met the freeze went back to the queue, so nobody was lost. tgr stays connected.
        </p>
        <AppealSteps />
      </Notice>,
    );
  if (c.status === 'paused' && c.pause_reason === 'error_streak') {
    const code = c.pause_code ?? null;
    const why = code ? reasonExplain(code, a?.reasons) : null;
    out.push(
      <Notice key="streak" tone="bad" testid="notice-error-streak" title="Paused: several people in a row failed with the same error">
        <p>
          {code && isOwnReason(code) ? 'The messages failed with' : 'Telegram answered'}{' '}
          {code ? (
            <>
              “{reasonLabel(code)}” (<code data-testid="streak-code">{code}</code>)
            </>
          ) : (
            'an error'
          )}
          {' — '}
          <span data-testid="streak-why">{why ?? 'a code tgr does not know.'}</span> tgr paused the campaign so that one error cannot cost the
          whole audience; the people not reached yet are still waiting.
        </p>
        <p>Before you resume, check:</p>
        <ul class="notice-list">
          {!why && <li>The code is new to tgr (perhaps a new Telegram rule): look its name up in Telegram's API documentation.</li>}
          <li>The message: press Edit, then “Send test to my Saved Messages”. If the test fails with the same code, fix the message first.</li>
          <li>The account: open the Telegram app as this account and write to someone; ask @SpamBot whether the account is limited.</li>
        </ul>
        <p>If the same error comes back after Resume, the campaign pauses again after a few people, never the whole audience.</p>
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
        title="Daily limit reached — sending waits"
        action={
          <a class="btn btn-sm" href="/app/connect#limits" onClick={onLinkClick}>
            Change the limit
          </a>
        }
      >
        This account has sent as many messages today as its daily limit allows.{' '}
        {resumes ? (
          <>
            Sending resumes by itself at{' '}
            <time dateTime={resumes} data-testid="daily-resumes">
              {when(resumes, now)}
            </time>{' '}
            your time (in {duration(Date.parse(resumes) - now)}).
          </>
        ) : (
          'Sending resumes by itself tomorrow.'
        )}{' '}
        The limit is set on the Telegram page, under Sending limits.
      </Notice>,
    );
  }
  if (c.status === 'paused' && c.pause_reason === 'storage_error')
    out.push(
      <Notice key="storage" tone="bad" testid="notice-storage" title="The server could not save its work">
        Writing to the database failed (a full disk, for example), so sending stopped before anything could be sent without being recorded. Free
        up space or fix the database, then press Resume — nothing is lost and nobody gets a message twice.
      </Notice>,
    );
  if (c.status === 'paused' && c.pause_reason === 'media_unavailable')
    out.push(
      <Notice key="media" tone="bad" testid="notice-media" title="The campaign's image or video could not be read">
        The media store did not give the file back after several tries, so nothing was sent without it. Check the media storage (or S3
        settings), then press Resume.
      </Notice>,
    );
  if (a?.flood_wait_until) {
    const left = Date.parse(a.flood_wait_until) - now;
    if (left > 0)
      out.push(
        <Notice key="flood" tone="warn" testid="notice-flood-wait" title="Telegram asked us to slow down">
          Sending continues by itself in{' '}
          <strong class="countdown" data-testid="flood-countdown">
            {duration(left)}
          </strong>
          . Nothing to do — messages are not lost.
        </Notice>,
      );
  }
  if (a?.quiet_hours.active && c.status !== 'completed' && c.status !== 'cancelled') {
    const qh = c.quiet_hours;
    const resumes = a.quiet_hours.resumes_at;
    out.push(
      <Notice key="quiet" tone="info" testid="notice-quiet-hours" title="Quiet hours — not sending right now">
        {qh ? `No messages between ${qh.start} and ${qh.end} (${qh.timezone}). ` : ''}
        {resumes ? (
          <>
            Sending resumes at <time dateTime={resumes}>{when(resumes, now)}</time> (in {duration(Date.parse(resumes) - now)}).
          </>
        ) : (
          'Sending resumes when they end.'
        )}
      </Notice>,
    );
  }
  const behind = a?.waiting_behind ?? [];
  if (behind.length > 0 && isLive(c.status))
    out.push(
      <Notice key="behind" tone="info" testid="notice-waiting-behind" title="Waiting for another campaign">
        Your Telegram account sends one message at a time, in the order they were queued.{' '}
        {behind.map((b, i) => (
          <span key={b.campaign_id}>
            {i > 0 ? '; ' : ''}
            <a href={`/app/campaigns/${b.campaign_id}`} onClick={onLinkClick} data-testid="waiting-behind-link">
              {b.name}
            </a>{' '}
            has {count.format(b.messages)} {b.status === 'nudging' ? 'follow-up' : 'first message'}
            {b.messages === 1 ? '' : 's'} queued before this campaign’s
          </span>
        ))}
        . They go out first; this campaign goes on by itself after them, and its times below count them.
      </Notice>,
    );
  if (c.status === 'scheduled') {
    const running = c.waiting === 'campaign_running' ? behind[0] : undefined;
    out.push(
      <Notice key="scheduled" tone="info" testid="notice-scheduled" title="Scheduled — not started yet" live={false}>
        {c.start_at ? (
          <>
            Starts at <time dateTime={c.start_at}>{when(c.start_at, now)}</time>
            {Date.parse(c.start_at) > now ? ` (in ${duration(Date.parse(c.start_at) - now)})` : ''}.{' '}
          </>
        ) : null}
        {c.waiting === 'campaign_running' ? (
          running ? (
            <>
              Its time has come; it starts as soon as{' '}
              <a href={`/app/campaigns/${running.campaign_id}`} onClick={onLinkClick} data-testid="waiting-behind-link">
                {running.name}
              </a>{' '}
              has sent its first message to everyone ({count.format(running.messages)} left): one campaign sends at a time.
            </>
          ) : (
            'Its time has come; it starts as soon as the campaign that is sending ends.'
          )
        ) : (
          ''
        )}
      </Notice>,
    );
  }
  if (props.session?.simulator)
    out.push(
      <Notice key="sim" tone="info" testid="sim-notice" live={false} title="Simulated Telegram — no real messages leave this server">
        tgr runs with the simulator: the messages below went to the customers of a scenario file, whose reads, replies and clicks are
        simulated too.
      </Notice>,
    );
  if (c.status === 'paused' && c.pause_reason === 'manual')
    out.push(
      <Notice key="manual" tone="warn" title="Paused" live={false}>
        Nothing is sent until you press Resume. Follow-ups wait too.
      </Notice>,
    );
  if (c.status === 'completed')
    out.push(
      <Notice
        key="done"
        tone="ok"
        title="Campaign completed"
        live={false}
        action={
          <a class="btn btn-primary btn-sm" href={`/app/campaigns/${c.id}/scorecard`} onClick={onLinkClick}>
            See the scorecard
          </a>
        }
      >
        {c.finished_at ? `Finished ${dateTime.format(new Date(c.finished_at))}. ` : ''}See what worked and who to message next.
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

  if (ask === 'cancel')
    return (
      <div class="confirm-box" role="group" aria-label="Confirm cancelling">
        <span>Cancel this campaign? Messages not sent yet will not go out, and follow-ups stop. This cannot be undone.</span>
        <div class="actions">
          <button ref={firstChoice} type="button" class="btn btn-danger btn-sm" disabled={busy} onClick={() => run('cancel')}>
            Yes, cancel campaign
          </button>
          <button type="button" class="btn btn-sm" onClick={() => setAsk(null)}>
            Keep it
          </button>
        </div>
      </div>
    );
  if (ask === 'resume')
    return (
      <div class="confirm-box" role="group" aria-label="Resume during quiet hours?">
        <span>
          Quiet hours are on
          {a?.quiet_hours.resumes_at ? ` until ${when(a.quiet_hours.resumes_at)}` : ''}. Resume now and wait for them to end, or send during quiet hours?
        </span>
        <div class="actions">
          <button ref={firstChoice} type="button" class="btn btn-primary btn-sm" disabled={busy} onClick={() => run('resume')}>
            Resume, respect quiet hours
          </button>
          <button type="button" class="btn btn-sm" disabled={busy} onClick={() => run('resume-override')}>
            Send now, ignore quiet hours
          </button>
          <button type="button" class="btn btn-ghost btn-sm" onClick={() => setAsk(null)}>
            Back
          </button>
        </div>
      </div>
    );

  const live = isLive(c.status);
  return (
    <div class="actions">
      {live && (
        <button type="button" class="btn btn-sm" disabled={busy} onClick={() => run('pause')}>
          Pause
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
          Resume
        </button>
      )}
      {(c.status === 'draft' || c.status === 'paused') && (
        <a class="btn btn-sm" href={`/app/campaigns/${c.id}/edit`} onClick={onLinkClick}>
          Edit
        </a>
      )}
      {c.started_at && (
        <a class={'btn btn-sm' + (c.status === 'completed' ? ' btn-primary' : '')} href={`/app/campaigns/${c.id}/scorecard`} onClick={onLinkClick} data-testid="scorecard-link">
          Scorecard
        </a>
      )}
      {c.started_at && (
        <a class="btn btn-sm" href={`/app/campaigns/${c.id}/people`} onClick={onLinkClick} data-testid="people-link">
          People
        </a>
      )}
      {c.status === 'scheduled' && (
        <a class="btn btn-sm" href={`/app/campaigns/${c.id}/edit`} onClick={onLinkClick}>
          Change the schedule
        </a>
      )}
      {(live || c.status === 'paused') && (
        <button ref={cancelBtn} type="button" class="btn btn-ghost btn-sm danger-text" disabled={busy} onClick={() => setAsk('cancel')}>
          Cancel campaign
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
  const why = quiet ? 'after quiet hours' : daily ? 'after the daily limit' : flood ? 'after Telegram’s wait' : (a.waiting_behind?.length ?? 0) > 0 ? 'after the other campaign' : null;
  return (
    <dd data-testid={testid}>
      {eta && eta > now ? (
        <>
          ~{duration(eta - now)} <span class="muted">({when(p.eta as string, now)}{why ? `, ${why}` : ''})</span>
        </>
      ) : c.status === 'paused' ? (
        'Paused'
      ) : p.pending > 0 && isLive(c.status) ? (
        'Any moment'
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
  const failedSkipped = (p: StepProgress) =>
    [p.failed ? `${count.format(p.failed)} failed` : null, p.skipped ? `${count.format(p.skipped)} skipped` : null].filter(Boolean).join(', ');
  return (
    <section class="card progress-card" aria-labelledby="progress-title">
      <h2 id="progress-title">Progress</h2>
      <div class="pstep" data-testid="progress-first">
        <div class="progress-head">
          <h3 id="progress-first-title">First message</h3>
          <span class="progress-pct" data-testid="progress-percent">
            {percent.format(pct)}
          </span>
        </div>
        <progress class="progress progress-lg" max={first.total > 0 ? first.total : 1} value={firstDone} aria-labelledby="progress-first-title" aria-describedby="progress-text" />
        <p class="progress-text" id="progress-text">
          <strong data-testid="progress-done">{count.format(firstDone)}</strong> of <span data-testid="progress-total">{count.format(first.total)}</span> people handled
          {failedSkipped(first) && <span class="muted"> ({count.format(first.sent)} sent, {failedSkipped(first)})</span>}
          {first.pending > 0 && <> · {count.format(first.pending)} waiting</>}
        </p>
      </div>
      {hasFollowUps && (
        <div class="pstep" data-testid="progress-follow-ups">
          <div class="progress-head">
            <h3 id="progress-fu-title">Follow-ups</h3>
            <span class="progress-pct" data-testid="follow-up-percent">
              {fu && fu.total > 0 ? percent.format(fuPct) : '—'}
            </span>
          </div>
          <progress class="progress progress-lg" max={fu && fu.total > 0 ? fu.total : 1} value={fuDone} aria-labelledby="progress-fu-title" aria-describedby="progress-fu-text" />
          <p class="progress-text" id="progress-fu-text">
            <strong data-testid="follow-up-done">{count.format(fuDone)}</strong> of at most <span data-testid="follow-up-total">{count.format(fu?.total ?? 0)}</span> handled
            {fu && failedSkipped(fu) && <span class="muted"> ({count.format(fu.sent)} sent, {failedSkipped(fu)})</span>}
            {fu && fu.pending > 0 && <> · {count.format(fu.pending)} queued</>}
            {!finished && nextDue ? <> · more come due {nextDue > now ? `in ${duration(nextDue - now)}` : 'now'}</> : null}
          </p>
          {!finished && (
            <p class="card-note pstep-note">
              “At most”: people who reply (for “did not reply” follow-ups), click (for “did not click”), opt out or cannot be reached get no
              follow-up, so this number only falls as they do.
            </p>
          )}
        </div>
      )}
      <dl class="facts">
        <div>
          <dt>Audience</dt>
          <dd>{count.format(a.audience)} people</dd>
        </div>
        <div>
          <dt>Speed</dt>
          <dd>
            {quiet ? 'Quiet hours' : daily ? 'Daily limit reached' : isLive(c.status) && a.pending > 0 ? `${count.format(Math.round(a.send_rate_per_min))} messages / min` : '—'}
          </dd>
        </div>
        {finished ? (
          <div>
            <dt>Finished</dt>
            <dd data-testid="eta">{c.finished_at ? when(c.finished_at, now) : '—'}</dd>
          </div>
        ) : (
          <>
            <div>
              <dt>{first.pending > 0 || c.status === 'draft' || c.status === 'scheduled' ? 'Everyone reached in' : 'First message'}</dt>
              {first.pending > 0 ? <Eta p={first} a={a} c={c} now={now} testid="eta" /> : <dd data-testid="eta">{c.started_at ? 'Sent to everyone' : '—'}</dd>}
            </div>
            {hasFollowUps && fu && fu.pending > 0 && (
              <div>
                <dt>Queued follow-ups out in</dt>
                <Eta p={fu} a={a} c={c} now={now} testid="eta-follow-ups" />
              </div>
            )}
          </>
        )}
        {c.started_at && (
          <div>
            <dt>Started</dt>
            <dd>{when(c.started_at, now)}</dd>
          </div>
        )}
      </dl>
      {cats && (cats.buyer || cats.browser || cats.refund_risk) ? (
        <p class="cats-line" data-testid="audience-categories">
          <span class="muted">In the audience at the start:</span>
          <span class="cat cat-buyer">Buyers {count.format(cats.buyer ?? 0)}</span>
          <span class="cat cat-browser">Browsers {count.format(cats.browser ?? 0)}</span>
          <span class="cat cat-refund_risk">Refund risk {count.format(cats.refund_risk ?? 0)}</span>
        </p>
      ) : null}
    </section>
  );
}

function Stats({ a }: { a: CampaignAnalytics }) {
  const failures = Object.entries(a.failures_by_reason ?? {}).sort((x, y) => y[1] - x[1]);
  const rate = (n: number) => (a.sent > 0 ? percent.format(n / a.sent) : '—');
  return (
    <section class="stats" aria-label="Results">
      <Stat label="Sent" value={count.format(a.sent)} testid="stat-sent" sub="delivered to Telegram" />
      <Stat label="Failed" value={count.format(a.failed)} testid="stat-failed" tone={a.failed ? 'bad' : undefined}>
        {failures.length > 0 ? (
          <ul class="reasons" aria-label="Failures by reason">
            {failures.map(([code, n]) => {
              const why = reasonExplain(code, a.reasons);
              return (
                <li key={code} data-testid="failure-reason" data-code={code}>
                  <Reason code={code} />
                  <span class="num">{count.format(n)}</span>
                  <span class="reason-why">{why ?? `${code}: a code tgr does not know.`}</span>
                </li>
              );
            })}
          </ul>
        ) : (
          <span class="stat-sub">no failures</span>
        )}
      </Stat>
      <Stat label="Read" value={count.format(a.read)} testid="stat-read" sub={`${rate(a.read)} of sent`} />
      <RepliedStat m={a} testid="stat-replied" />
      <Stat
        label="Clicked"
        value={count.format(a.unique_clicks)}
        testid="stat-clicks"
        tone={a.unique_clicks ? 'accent' : undefined}
        sub={`CTR ${percent.format(a.ctr || 0)} · ${count.format(a.clicks)} click${a.clicks === 1 ? '' : 's'} in all`}
      />
      <Stat label="Orders" value={count.format(a.orders)} testid="stat-orders" tone={a.orders ? 'ok' : undefined} sub="credited to this campaign" />
      <Stat label="Revenue" value={money(a.revenue, a.currency)} testid="stat-revenue" tone={a.revenue ? 'ok' : undefined} sub={a.orders ? `${money(Math.round(a.revenue / a.orders), a.currency)} per order` : 'from attributed orders'} />
    </section>
  );
}

function Nudges({ c, a, sentByStep, now }: { c: Campaign; a: CampaignAnalytics; sentByStep: Map<number, number>; now: number }) {
  if (!c.nudges.length) return null;
  return (
    <section class="card" aria-labelledby="nudges-title">
      <h2 id="nudges-title">Follow-ups</h2>
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
                <strong>
                  After {after(n.after_seconds)}, {CONDITION_LABEL[n.condition] ?? n.condition}
                </strong>
                <span class="sub">
                  {count.format(sent)} sent · {count.format(p?.scheduled ?? 0)} queued
                  {next
                    ? next > now
                      ? ` · next in ${duration(next - now)} (${when(p!.next_at as string, now)})`
                      : ' · due now'
                    : c.status === 'completed' || c.status === 'cancelled'
                      ? ''
                      : ' · waits for the first messages'}
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
      setActionMsg(what === 'pause' ? 'Campaign paused.' : what === 'cancel' ? 'Campaign cancelled.' : 'Campaign resumed.');
      void load();
    } catch (e) {
      setActionError(e instanceof ApiError ? e : new ApiError(0, 'unknown', describeError(e), null, null));
      void load();
    } finally {
      setBusy(false);
    }
  }

  if (notFound) return <NotFoundPage what="Campaign" back="/app/campaigns" backLabel="Back to campaigns" />;

  return (
    <main class="page results monitor" id="main" data-loaded={c && a ? 'monitor' : undefined}>
      <a class="res-back" href="/app/campaigns" onClick={onLinkClick}>
        ← Campaigns
      </a>
      <div class="res-head">
        <div class="res-title">
          <h1 data-testid="campaign-title">{c ? c.name : 'Campaign'}</h1>
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
                Reconnect Telegram
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
        !loadError && <p class="empty">Loading the campaign…</p>
      )}
    </main>
  );
}
