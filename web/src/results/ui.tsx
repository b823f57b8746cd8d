// Small building blocks shared by the results views: status pill, stat tile, notice, a ticking
// clock for countdowns, a campaign page's head and the page for an unknown id; and the words said
// the same way wherever they appear (issue 18): a failure reason (words first, the code second),
// a campaign's opt-outs, the frequency cap with its definition; and fill(), a catalog's sentence
// with elements in it. Contact- and user-supplied strings are passed as children (text) only.
import type { ComponentChildren } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import type { Campaign, CampaignStatus } from '../api';
import { messages, plural } from '../i18n';
import { onLinkClick } from '../router';
import { count, isLive, percent, reasonLabel, statusLabel } from './format';

const M = messages(
  {
    notFound: (what: string) => `${what} not found`,
    back: '← Campaign activity',
    campaign: 'Campaign',
    optedOut: (n: number) => `${count.format(n)} of them opted out since`,
    nobodyOptedOut: 'nobody opted out',
    replied: 'Replied',
    ofSent: (pct: string) => `${pct} of sent · `,
    cap: 'The frequency cap',
    capText: '{cap}: a campaign leaves out anyone a campaign messaged in the last {days}, so right after a campaign most of its people wait. {link}.',
    capDays: (days: number | null) => (days === null ? 'few days' : plural(days, { one: 'day', other: '# days' })),
    capLink: 'Change it in Settings',
  },
  {
    notFound: (what) => `${what}: не найдено`,
    back: '← Ход кампании',
    campaign: 'Кампания',
    optedOut: (n) => plural(n, { one: '# из них с тех пор отписался', few: '# из них с тех пор отписались', many: '# из них с тех пор отписались', other: '# из них с тех пор отписались' }),
    nobodyOptedOut: 'никто не отписался',
    replied: 'Ответили',
    ofSent: (pct) => `${pct} от отправленных · `,
    cap: 'Ограничение частоты',
    capText: '{cap}: кампания пропускает всех, кому любая кампания уже писала в течение {days}, поэтому сразу после кампании большинство её людей ждут. {link}.',
    capDays: (days) => (days === null ? 'нескольких дней' : plural(days, { one: '# дня', few: '# дней', many: '# дней', other: '# дня' })),
    capLink: 'Изменить в настройках',
  },
);

/** A sentence of a catalog with elements in it: fill('Starts at {time}.', { time: <time …/> }).
 *  The words stay one string per language (their order is the language's); the parts go where
 *  their {name} stands. */
export function fill(template: string, parts: Record<string, ComponentChildren>): ComponentChildren[] {
  return template.split(/\{(\w+)\}/).map((s, i) => (i % 2 ? parts[s] : s));
}

/** Error codes in a line of text (USER_IS_BLOCKED, TIMEOUT, retries_exhausted) kept as they are,
 *  marked not to be translated; the rest is text. */
export function Coded({ text }: { text: string }) {
  const parts = text.split(/\b([A-Z][A-Z0-9]{2,}(?:_[A-Z0-9]+)*|[a-z][a-z0-9]*(?:_[a-z0-9]+)+)\b/);
  return <>{parts.map((s, i) => (i % 2 ? <span translate={false}>{s}</span> : s))}</>;
}

export function StatusPill({ status }: { status: CampaignStatus }) {
  return (
    <span class={'badge status status-' + status} data-testid="campaign-status" data-status={status}>
      {isLive(status) && <span class="dot pulse" aria-hidden="true" />}
      {statusLabel(status) ?? status}
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
export function NotFoundPage(props: { what: string; back: string; backLabel: string; title?: string }) {
  return (
    <main class="page" id="main">
      <div class="card">
        <h1>{props.title ?? M().notFound(props.what)}</h1>
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
  const m = M();
  return (
    <>
      <a class="res-back" href={`/app/campaigns/${props.id}`} onClick={onLinkClick}>
        {m.back}
      </a>
      <div class="res-head">
        <div class="res-title">
          <h1>
            <span class="eyebrow">{props.eyebrow}</span>
            <span data-testid="campaign-title" translate={!props.campaign}>
              {props.campaign ? props.campaign.name : m.campaign}
            </span>
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
      <span class="reason-words">{words}</span>{' '}
      <code class="reason-code" translate={false}>
        {code}
      </code>
    </span>
  );
}

/** A campaign's opt-outs (analytics `opted_out`: people it reached who opted out since), in the
 *  same words on the monitor and the scorecard. */
export function OptedOut({ n }: { n: number }) {
  return <span data-testid="opted-out">{n ? M().optedOut(n) : M().nobodyOptedOut}</span>;
}

/** Replies with the campaign's opt-outs beside them: one tile for the monitor and the scorecard. */
export function RepliedStat({ m, testid }: { m: { sent: number; replied: number; opted_out: number }; testid: string }) {
  return (
    <Stat
      label={M().replied}
      value={count.format(m.replied)}
      testid={testid}
      sub={
        <>
          {M().ofSent(m.sent > 0 ? percent.format(m.replied / m.sent) : '—')}
          <OptedOut n={m.opted_out} />
        </>
      }
    />
  );
}

/** The frequency cap, defined where it is mentioned, with where to change it. */
export function FrequencyCapNote({ days }: { days: number | null }) {
  const m = M();
  return (
    <p class="card-note cap-note" data-testid="frequency-cap">
      {fill(m.capText, {
        cap: <strong>{m.cap}</strong>,
        days: m.capDays(days),
        link: (
          <a href="/app/settings#frequency-cap" onClick={onLinkClick}>
            {m.capLink}
          </a>
        ),
      })}
    </p>
  );
}
