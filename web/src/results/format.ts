// Number, money, time and label formatting shared by the results views (monitor, analytics,
// scorecard). Money arrives in minor units with an ISO-4217 currency beside it. The words and the
// one-line explanations for Telegram's error codes and for tgr's own failure reasons, and which
// codes mean a dead session, come from the Telegram error registry (share/telegram-errors.json,
// generated from the server's src/core/tgerror.h), in Russian from telegram-errors.ru.ts; only the
// pause reasons have words of their own here. Every word is read in the current language when it is
// asked for (i18n.ts), never fixed when this module loads.
import type { CampaignStatus } from '../api';
import { dateTimeFormat, formatter, lang, messages, numberFormat, plural } from '../i18n';
import telegramErrors from '../../../share/telegram-errors.json';
import { RU_ERRORS, RU_OWN, type RuReason } from './telegram-errors.ru';

const M = messages(
  {
    seconds: (s: number) => `${s} s`,
    minutes: (m: number, s: string) => `${m} min ${s} s`,
    hours: (h: number, m: string) => `${h} h ${m} min`,
    days: (d: number) => `${d} days`,
    firstMessage: 'First message',
    followUp: (step: number) => `Follow-up ${step}`,
    draft: 'Draft',
    scheduled: 'Scheduled',
    running: 'Sending',
    paused: 'Paused',
    nudging: 'Following up',
    completed: 'Completed',
    cancelled: 'Cancelled',
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
  },
  {
    seconds: (s) => `${s} с`,
    minutes: (m, s) => `${m} мин ${s} с`,
    hours: (h, m) => `${h} ч ${m} мин`,
    days: (d) => plural(d, { one: '# день', few: '# дня', many: '# дней', other: '# дня' }),
    firstMessage: 'Первое сообщение',
    followUp: (step) => `Напоминание ${step}`,
    draft: 'Черновик',
    scheduled: 'Запланирована',
    running: 'Идёт отправка',
    paused: 'На паузе',
    nudging: 'Идут напоминания',
    completed: 'Завершена',
    cancelled: 'Отменена',
    MEDIA_UNAVAILABLE: 'Хранилище медиафайлов недоступно',
    peer_flood: 'Telegram ограничил аккаунт',
    session_invalid: 'Telegram отключил аккаунт',
    account_frozen: 'Аккаунт заморожен Telegram',
    error_streak: 'Одна и та же ошибка раз за разом',
    storage_error: 'Не удалось записать в базу данных',
    media_unavailable: 'Медиафайлы недоступны',
    manual: 'Вручную',
    no_session: 'Telegram не был подключён',
    empty_audience: 'В аудитории никого не было',
    discount_codes_empty: 'Промокоды закончились',
  },
);

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
  const m = M();
  if (s < 60) return m.seconds(s);
  const min = Math.floor(s / 60);
  if (min < 60) return m.minutes(min, String(s % 60).padStart(2, '0'));
  const h = Math.floor(min / 60);
  if (h < 48) return m.hours(h, String(min % 60).padStart(2, '0'));
  return m.days(Math.floor(h / 24));
}

const STATUSES: readonly CampaignStatus[] = ['draft', 'scheduled', 'running', 'paused', 'nudging', 'completed', 'cancelled'];

/** A campaign status in words, in the current language. */
export function statusLabel(s: CampaignStatus): string {
  return M()[s];
}

/** The same as a record (STATUS_LABEL[status]): each entry a getter, read in the current language. */
export const STATUS_LABEL: Readonly<Record<CampaignStatus, string>> = Object.defineProperties(
  {} as Record<CampaignStatus, string>,
  Object.fromEntries(STATUSES.map((k) => [k, { get: () => statusLabel(k), enumerable: true }])),
);

export function isLive(s: CampaignStatus): boolean {
  return s === 'running' || s === 'nudging';
}

type TelegramError = { class: string; mark: string | null; words: string; explain: string };
type OwnReason = { words: string; explain: string };
const TELEGRAM_ERRORS: Record<string, TelegramError> = telegramErrors.errors;
/** tgr's own failure reasons (template_invalid, retries_exhausted, no_discount_code…). */
const OWN_REASONS: Record<string, OwnReason> = telegramErrors.own;
const RU_TELEGRAM: Record<string, RuReason> = RU_ERRORS;
const RU_OWN_REASONS: Record<string, RuReason> = RU_OWN;
const has = (o: object, k: string) => Object.prototype.hasOwnProperty.call(o, k);

/** The registry's key for a Telegram code, found as the server finds it: the code itself, else
 *  the code without a numeric suffix ("FLOOD_WAIT_37", "ALLOW_PAYMENT_REQUIRED_50"). */
function telegramKey(code: string): string | null {
  if (has(TELEGRAM_ERRORS, code)) return code;
  const m = /^(.+)_\d{1,9}$/.exec(code);
  return m && has(TELEGRAM_ERRORS, m[1]) ? m[1] : null;
}

/** The registry's entry for a Telegram code (its English words). */
export function telegramError(code: string): TelegramError | null {
  const key = telegramKey(code);
  return key ? TELEGRAM_ERRORS[key] : null;
}

/** The campaign's pause reasons and the media store's code: what neither Telegram's codes nor
 *  tgr's own failure reasons in the registry name (their words are in the catalog above). */
const PAUSE_CODES = [
  'MEDIA_UNAVAILABLE',
  'peer_flood',
  'session_invalid',
  'account_frozen',
  'error_streak',
  'storage_error',
  'media_unavailable',
  'manual',
  'no_session',
  'empty_audience',
  'discount_codes_empty',
] as const;
const isPauseCode = (code: string): code is (typeof PAUSE_CODES)[number] => (PAUSE_CODES as readonly string[]).includes(code);

/** One of tgr's own failure reasons (template_invalid…), not an answer of Telegram's. */
export const isOwnReason = (code: string) => has(OWN_REASONS, code);

/** The registry's words and explanation of a code in the current language, or null. */
function registryWords(code: string): OwnReason | null {
  const ru = lang() === 'ru';
  if (has(OWN_REASONS, code)) return (ru ? RU_OWN_REASONS : OWN_REASONS)[code];
  const key = telegramKey(code);
  return key ? (ru ? RU_TELEGRAM : TELEGRAM_ERRORS)[key] : null;
}

export function reasonLabel(code: string): string {
  const words = registryWords(code)?.words ?? (isPauseCode(code) ? M()[code] : null);
  if (words) return words;
  // A code nobody named: its own letters in English, "a code tgr does not know" in Russian.
  return lang() === 'ru' ? 'Неизвестная ошибка' : code.replace(/_/g, ' ').toLowerCase().replace(/^./, (c) => c.toUpperCase());
}

/** One line for people about a failure code: the server's (analytics `reasons`), else the
 *  registry's; null for a code tgr does not know. The server says it in English, from the same
 *  registry: in Russian the registry's Russian is used. */
export function reasonExplain(code: string, fromServer?: Record<string, string | null>): string | null {
  const said = lang() === 'en' && fromServer && has(fromServer, code) ? fromServer[code] : null;
  if (said) return said;
  return registryWords(code)?.explain ?? null;
}

export function stepLabel(step: number): string {
  return step === 0 ? M().firstMessage : M().followUp(step);
}

/** Dead-session codes (the registry's class session_dead) and tgr's own: the campaign pauses and
 * the account must reconnect. */
export const SESSION_DEAD = new Set([
  ...Object.keys(TELEGRAM_ERRORS).filter((code) => TELEGRAM_ERRORS[code].class === 'session_dead'),
  'session_invalid',
  'no_session',
]);
