// Number, money, time and label formatting shared by the results views (monitor, analytics,
// scorecard). Money arrives in minor units with an ISO-4217 currency beside it. The words and the
// one-line explanations for Telegram's error codes and for tgr's own failure reasons, and which
// codes mean a dead session, come from the Telegram error registry (share/telegram-errors.json,
// generated from the server's src/core/tgerror.h); only the pause reasons have words of their own here.
import type { CampaignStatus } from '../api';
import { dateTimeFormat, formatter, numberFormat } from '../i18n';
import telegramErrors from '../../../share/telegram-errors.json';

// Every formatter follows the app's language (i18n.ts): built per locale on first use.
export const count = numberFormat();
export const percent = numberFormat({ style: 'percent', maximumFractionDigits: 1 });
const plainMoney = numberFormat({ minimumFractionDigits: 2, maximumFractionDigits: 2 });

/** Minor units as major units with two decimals, with the currency when it is a valid code. */
export function money(minor: number, currency: string | null | undefined): string {
  if (currency && /^[A-Z]{3}$/.test(currency)) {
    try {
      return formatter({ style: 'currency', currency, minimumFractionDigits: 2, maximumFractionDigits: 2 }).format(minor / 100);
    } catch {
      /* unknown currency code: plain number */
    }
  }
  return plainMoney.format(minor / 100);
}

export const time = dateTimeFormat({ timeStyle: 'medium' });
export const shortTime = dateTimeFormat({ hour: '2-digit', minute: '2-digit' });
export const dayMonth = dateTimeFormat({ day: 'numeric', month: 'short' });
export const dateTime = dateTimeFormat({ dateStyle: 'medium', timeStyle: 'short' });

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
  scheduled: 'Scheduled',
  running: 'Sending',
  paused: 'Paused',
  nudging: 'Following up',
  completed: 'Completed',
  cancelled: 'Cancelled',
};

export function isLive(s: CampaignStatus): boolean {
  return s === 'running' || s === 'nudging';
}

type TelegramError = { class: string; mark: string | null; words: string; explain: string };
type OwnReason = { words: string; explain: string };
const TELEGRAM_ERRORS: Record<string, TelegramError> = telegramErrors.errors;
/** tgr's own failure reasons (template_invalid, retries_exhausted, no_discount_code…). */
const OWN_REASONS: Record<string, OwnReason> = telegramErrors.own;
const has = (o: object, k: string) => Object.prototype.hasOwnProperty.call(o, k);

/** The registry's entry for a Telegram code, found as the server finds it: the code itself, else
 *  the code without a numeric suffix ("FLOOD_WAIT_37", "ALLOW_PAYMENT_REQUIRED_50"). */
export function telegramError(code: string): TelegramError | null {
  if (has(TELEGRAM_ERRORS, code)) return TELEGRAM_ERRORS[code];
  const m = /^(.+)_\d{1,9}$/.exec(code);
  return m && has(TELEGRAM_ERRORS, m[1]) ? TELEGRAM_ERRORS[m[1]] : null;
}

/** Words for what neither Telegram's codes nor tgr's own failure reasons in the registry name:
 *  the campaign's pause reasons and the media store's code. */
const PAUSE_WORDS: Record<string, string> = {
  MEDIA_UNAVAILABLE: 'Media store unavailable',
  peer_flood: 'Telegram limited the account',
  session_invalid: 'Telegram disconnected',
  account_frozen: 'Account frozen by Telegram',
  error_streak: 'The same error again and again',
  storage_error: 'Database write failed',
  media_unavailable: 'Media unavailable',
  manual: 'By you',
  // Why a scheduled start did not happen (the campaign is a draft again; issue 16).
  no_session: 'Telegram was not connected',
  empty_audience: 'Nobody was in the audience',
  discount_codes_empty: 'No discount codes were left',
};

/** One of tgr's own failure reasons (template_invalid…), not an answer of Telegram's. */
export const isOwnReason = (code: string) => has(OWN_REASONS, code);

export function reasonLabel(code: string): string {
  const words = telegramError(code)?.words ?? (has(OWN_REASONS, code) ? OWN_REASONS[code].words : null) ?? (has(PAUSE_WORDS, code) ? PAUSE_WORDS[code] : null);
  return words ?? code.replace(/_/g, ' ').toLowerCase().replace(/^./, (c) => c.toUpperCase());
}

/** One line for people about a failure code: the server's (analytics `reasons`), else the
 *  registry's; null for a code tgr does not know. */
export function reasonExplain(code: string, fromServer?: Record<string, string | null>): string | null {
  const said = fromServer && has(fromServer, code) ? fromServer[code] : null;
  if (said) return said;
  return telegramError(code)?.explain ?? (has(OWN_REASONS, code) ? OWN_REASONS[code].explain : null);
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
