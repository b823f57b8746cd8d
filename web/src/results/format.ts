// Number, money, time and label formatting shared by the results views (monitor, analytics,
// scorecard). Money arrives in minor units with an ISO-4217 currency beside it. The words for
// Telegram's error codes, and which of them mean a dead session, come from the Telegram error
// registry (share/telegram-errors.json, generated from the server's src/core/tgerror.h).
import type { CampaignStatus } from '../api';
import telegramErrors from '../../../share/telegram-errors.json';

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

type TelegramError = { class: string; mark: string | null; words: string };
const TELEGRAM_ERRORS: Record<string, TelegramError> = telegramErrors.errors;

/** Telegram refusals a shop owner may see, in plain words, then tgr's own reasons. */
const REASONS: Record<string, string> = {
  ...Object.fromEntries(Object.entries(TELEGRAM_ERRORS).map(([code, e]) => [code, e.words])),
  retries_exhausted: 'Gave up after retries',
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

/** Dead-session codes (the registry's class session_dead) and tgr's own: the campaign pauses and
 * the account must reconnect. */
export const SESSION_DEAD = new Set([
  ...Object.keys(TELEGRAM_ERRORS).filter((code) => TELEGRAM_ERRORS[code].class === 'session_dead'),
  'session_invalid',
  'no_session',
]);
