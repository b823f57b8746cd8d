// Small building blocks shared by the results views: status pill, stat tile, notice, a ticking
// clock for countdowns. Contact- and user-supplied strings are passed as children (text) only.
import type { ComponentChildren } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import type { CampaignStatus } from '../api';
import { STATUS_LABEL, isLive } from './format';

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
