// Wall-clock times in a named time zone (the account's, GET /account `timezone`), for the editor's
// Schedule… picker and for showing when scheduled campaigns start. A <input type=datetime-local>
// holds a wall-clock time without a zone; these turn it into an instant and back with Intl alone
// (with 'en-US' numbers read by code), and show a time in the app's language.
import { dateFormatter } from '../i18n';

/** The zone if Intl knows it, else UTC. */
export function knownZone(tz: string | null | undefined): string {
  if (!tz) return 'UTC';
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return tz;
  } catch {
    return 'UTC';
  }
}

const wallFormats = new Map<string, Intl.DateTimeFormat>();

/** The wall clock of `tz` at instant `t` (ms), as numbers. */
function wall(t: number, tz: string): { y: number; mo: number; d: number; h: number; mi: number; s: number } {
  let f = wallFormats.get(tz);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: tz,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    wallFormats.set(tz, f);
  }
  const parts = f.formatToParts(new Date(t));
  const get = (k: string) => Number(parts.find((p) => p.type === k)?.value);
  return { y: get('year'), mo: get('month'), d: get('day'), h: get('hour') % 24, mi: get('minute'), s: get('second') };
}

/** How far `tz`'s wall clock is ahead of UTC at instant `t`, in ms. */
function offsetAt(t: number, tz: string): number {
  const whole = Math.floor(t / 1000) * 1000;
  const w = wall(whole, tz);
  return Date.UTC(w.y, w.mo - 1, w.d, w.h, w.mi, w.s) - whole;
}

const pad = (n: number, w = 2) => String(n).padStart(w, '0');

/**
 * The instant (ms) of a wall-clock time "YYYY-MM-DDTHH:MM[:SS]" in `tz`, or null when the text is
 * not one. A time skipped by a clock change (spring forward) lands that much later, as clocks do.
 */
export function zonedToInstant(local: string, tz: string): number | null {
  const m = /^(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d)(?::(\d\d)(?:\.\d+)?)?$/.exec(local);
  if (!m) return null;
  const asUtc = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6] ?? 0));
  if (Number.isNaN(asUtc)) return null;
  // Two rounds: the offset at a first guess, then at the instant it gives (they differ near a change).
  const first = asUtc - offsetAt(asUtc, tz);
  return asUtc - offsetAt(first, tz);
}

/** The wall clock of `tz` at instant `t`, as a datetime-local value "YYYY-MM-DDTHH:MM". */
export function instantToZoned(t: number, tz: string): string {
  const w = wall(t, tz);
  return `${pad(w.y, 4)}-${pad(w.mo)}-${pad(w.d)}T${pad(w.h)}:${pad(w.mi)}`;
}

/** "Tue, 12 May 2026, 10:00" in `tz` (seconds when they are not zero); `short`: "12 May, 10:00"
 *  (the year only when it is not this one), for lists. */
export function formatInZone(t: number | string, tz: string, style: 'long' | 'short' = 'long'): string {
  const ms = typeof t === 'string' ? Date.parse(t) : t;
  const withSeconds = Math.floor(ms / 1000) % 60 !== 0;
  const thisYear = wall(Date.now(), tz).y === wall(ms, tz).y;
  return dateFormatter({
    timeZone: tz,
    ...(style === 'long' ? { weekday: 'short', year: 'numeric' } : thisYear ? {} : { year: 'numeric' }),
    day: 'numeric',
    month: 'short',
    hour: '2-digit',
    minute: '2-digit',
    ...(withSeconds ? { second: '2-digit' } : {}),
  }).format(new Date(ms));
}

/** "Europe/Berlin" → "Europe/Berlin"; "America/Argentina/Buenos_Aires" → with spaces for people.
 *  A zone's name is not translated: show it in an element with translate={false}. */
export const zoneLabel = (tz: string) => tz.replace(/_/g, ' ');

