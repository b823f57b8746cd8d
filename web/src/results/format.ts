// Number, money, time and label formatting shared by the results views (monitor, analytics,
// scorecard). Money arrives in minor units with an ISO-4217 currency beside it.
import type { CampaignStatus } from '../api';

export const count = new Intl.NumberFormat(undefined);
export const percent = new Intl.NumberFormat(undefined, { style: 'percent', maximumFractionDigits: 1 });
const plainMoney = new Intl.NumberFormat(undefined, { minimumFractionDigits: 2, maximumFractionDigits: 2 });
const moneyFormats = new Map<string, Intl.NumberFormat>();

/** Minor units as major units with two decimals, with the currency when it is a valid code. */
export function money(minor: number, currency: string | null | undefined): string {
  if (currency && /^[A-Z]{3}$/.test(currency)) {
    let f = moneyFormats.get(currency);
    if (!f) {
      try {
        f = new Intl.NumberFormat(undefined, { style: 'currency', currency, minimumFractionDigits: 2, maximumFractionDigits: 2 });
        moneyFormats.set(currency, f);
      } catch {
        /* unknown currency code: plain number */
      }
    }
    if (f) return f.format(minor / 100);
  }
  return plainMoney.format(minor / 100);
}

export const time = new Intl.DateTimeFormat(undefined, { timeStyle: 'medium' });
export const shortTime = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit' });
export const dayMonth = new Intl.DateTimeFormat(undefined, { day: 'numeric', month: 'short' });
export const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });

/** "14:05" today, "3 Dec, 14:05" on another day. */
export function when(iso: string, now = Date.now()): string {
  const d = new Date(iso);
  const same = new Date(now).toDateString() === d.toDateString();
  return same ? shortTime.format(d) : dayMonth.format(d) + ', ' + shortTime.format(d);
}

/** A duration in words: "45 s", "3 min 05 s", "2 h 10 min". */
export function duration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${String(s % 60).padStart(2, '0')} s`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h} h ${String(m % 60).padStart(2, '0')} min`;
  return `${Math.floor(h / 24)} days`;
}

export const STATUS_LABEL: Record<CampaignStatus, string> = {
  draft: 'Draft',
  running: 'Sending',
  paused: 'Paused',
  nudging: 'Following up',
  completed: 'Completed',
  cancelled: 'Cancelled',
};

export function isLive(s: CampaignStatus): boolean {
  return s === 'running' || s === 'nudging';
}

/** Telegram refusals a shop owner may see, in plain words. */
const REASONS: Record<string, string> = {
  USER_IS_BLOCKED: 'Blocked your account',
  YOU_BLOCKED_USER: 'You blocked them',
  USER_PRIVACY_RESTRICTED: 'Privacy settings',
  PRIVACY_PREMIUM_REQUIRED: 'Accepts Premium senders only',
  INPUT_USER_DEACTIVATED: 'Account deleted',
  USER_DEACTIVATED: 'Account deleted',
  PEER_ID_INVALID: 'Unknown to Telegram',
  CHAT_WRITE_FORBIDDEN: 'Cannot write to them',
  retries_exhausted: 'Gave up after retries',
  PEER_FLOOD: 'Account limited by Telegram',
  FLOOD_WAIT: 'Telegram asked to wait',
  TIMEOUT: 'Timed out',
  NETWORK: 'Network error',
  MEDIA_UNAVAILABLE: 'Media store unavailable',
  peer_flood: 'Telegram limited the account',
  session_invalid: 'Telegram disconnected',
  storage_error: 'Database write failed',
  media_unavailable: 'Media unavailable',
  manual: 'By you',
};

export function reasonLabel(code: string): string {
  return REASONS[code] ?? code.replace(/_/g, ' ').toLowerCase().replace(/^./, (c) => c.toUpperCase());
}

export function stepLabel(step: number): string {
  return step === 0 ? 'First message' : `Follow-up ${step}`;
}

/** Dead-session codes (DESIGN §4): the campaign pauses and the account must reconnect. */
export const SESSION_DEAD = new Set([
  'AUTH_KEY_UNREGISTERED',
  'SESSION_REVOKED',
  'USER_DEACTIVATED',
  'USER_DEACTIVATED_BAN',
  'AUTH_KEY_DUPLICATED',
  'session_invalid',
  'no_session',
]);
