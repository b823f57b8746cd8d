// Small building blocks shared by the results views: status pill, stat tile, notice, a ticking
// clock for countdowns, a campaign page's head and the page for an unknown id; and the words said
// the same way wherever they appear (issue 18): a failure reason (words first, the code second),
// a campaign's opt-outs, the frequency cap with its definition. Contact- and
// user-supplied strings are passed as children (text) only.
import type { ComponentChildren } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import type { Campaign, CampaignStatus } from '../api';
import { onLinkClick } from '../router';
import { STATUS_LABEL, count, isLive, percent, reasonLabel } from './format';

export function StatusPill({ status }: { status: CampaignStatus }) {
  return (
    <span class={'badge status status-' + status} data-testid="campaign-status" data-status={status}>
      {isLive(status) && <span class="dot pulse" aria-hidden="true" />}
      {STATUS_LABEL[status] ?? status}
    </span>
  );
}

export function Stat(props: {
  label: string;
  value: ComponentChildren;
  sub?: ComponentChildren;
  testid?: string;
  tone?: 'ok' | 'bad' | 'accent';
  children?: ComponentChildren;
}) {
  return (
    <div class={'stat' + (props.tone ? ' stat-' + props.tone : '')}>
      <span class="stat-label">{props.label}</span>
      <span class="stat-value" data-testid={props.testid}>
        {props.value}
      </span>
      {props.sub != null && <span class="stat-sub">{props.sub}</span>}
      {props.children}
    </div>
  );
}

/** A notice with what happened and what to do about it. */
export function Notice(props: {
  tone: 'info' | 'warn' | 'bad' | 'ok';
  title: ComponentChildren;
  children?: ComponentChildren;
  action?: ComponentChildren;
  testid?: string;
  live?: boolean;
}) {
  const role = props.tone === 'bad' ? 'alert' : 'status';
  return (
    <div class={'notice notice-' + props.tone} role={props.live === false ? undefined : role} data-testid={props.testid}>
      <span class="notice-icon" aria-hidden="true">
        {props.tone === 'bad' || props.tone === 'warn' ? '!' : props.tone === 'ok' ? '✓' : 'i'}
      </span>
      <div class="notice-body">
        <strong class="notice-title">{props.title}</strong>
        {props.children && <div class="notice-text">{props.children}</div>}
      </div>
      {props.action && <div class="notice-action">{props.action}</div>}
    </div>
  );
}

/** Date.now(), re-rendered every `ms` while `active`. */
export function useNow(active: boolean, ms = 1000): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (!active) return undefined;
    setNow(Date.now());
    const t = window.setInterval(() => setNow(Date.now()), ms);
    return () => window.clearInterval(t);
  }, [active, ms]);
  return now;
}

/** The page for an id that is not the account's (404). */
export function NotFoundPage(props: { what: string; back: string; backLabel: string }) {
  return (
    <main class="page" id="main">
      <div class="card">
        <h1>{props.what} not found</h1>
        <p>
          <a href={props.back} onClick={onLinkClick}>
            {props.backLabel}
          </a>
        </p>
      </div>
    </main>
  );
}

/** The head of a page about one campaign (scorecard, people): the way back to its activity, the
 *  page's name over the campaign's, its status, and the page's buttons. */
export function CampaignHead(props: { id: number; eyebrow: string; campaign: Campaign | null; children?: ComponentChildren }) {
  return (
    <>
      <a class="res-back" href={`/app/campaigns/${props.id}`} onClick={onLinkClick}>
        ← Campaign activity
      </a>
      <div class="res-head">
        <div class="res-title">
          <h1>
            <span class="eyebrow">{props.eyebrow}</span>
            <span data-testid="campaign-title">{props.campaign ? props.campaign.name : 'Campaign'}</span>
          </h1>
          {props.campaign && <StatusPill status={props.campaign.status} />}
        </div>
        <div class="actions">{props.children}</div>
      </div>
    </>
  );
}

/** A failure or skip reason: the words first, Telegram's code (or tgr's own) second. */
export function Reason({ code }: { code: string }) {
  const words = reasonLabel(code);
  return (
    <span class="reason" data-testid="reason" data-code={code}>
      <span class="reason-words">{words}</span> <code class="reason-code">{code}</code>
    </span>
  );
}

/** A campaign's opt-outs (analytics `opted_out`: people it reached who opted out since), in the
 *  same words on the monitor and the scorecard. */
export function OptedOut({ n }: { n: number }) {
  return <span data-testid="opted-out">{n ? `${count.format(n)} of them opted out since` : 'nobody opted out'}</span>;
}

/** Replies with the campaign's opt-outs beside them: one tile for the monitor and the scorecard. */
export function RepliedStat({ m, testid }: { m: { sent: number; replied: number; opted_out: number }; testid: string }) {
  return (
    <Stat
      label="Replied"
      value={count.format(m.replied)}
      testid={testid}
      sub={
        <>
          {m.sent > 0 ? percent.format(m.replied / m.sent) : '—'} of sent · <OptedOut n={m.opted_out} />
        </>
      }
    />
  );
}

/** The frequency cap, defined where it is mentioned, with where to change it. */
export function FrequencyCapNote({ days }: { days: number | null }) {
  return (
    <p class="card-note cap-note" data-testid="frequency-cap">
      <strong>The frequency cap</strong>: a campaign leaves out anyone a campaign messaged in the last{' '}
      {days === null ? 'few days' : days === 1 ? 'day' : `${days} days`}, so right after a campaign most of its people wait.{' '}
      <a href="/app/settings#frequency-cap" onClick={onLinkClick}>
        Change it in Settings
      </a>
      .
    </p>
  );
}
