// Every check of the editor's form at once (issue 18, item 5): the server names one problem per
// answer, so the editor checks every field itself, shows each problem at its field and in the
// summary, and saves the rest. A field with a problem is left out of the save (the server keeps
// what it had); fields still empty that a start needs (a static code, a pool) are problems only
// once the user tries to start, schedule or test (`strict`). Messages name the field's own words.
import type { FormState, NudgeForm } from './form';
import { filterErrors, nudgeSeconds, poolCodes } from './form';
import { deltaText, htmlToDelta } from './html';

/** The parts of a campaign a save sends (or leaves out when they have a problem). */
export type Section = 'name' | 'message_text' | 'media_ids' | 'audience' | 'quiet_hours' | 'nudges' | 'track_links' | 'discount_codes';

/** The section an API error field belongs to ("filters.min_orders" → audience). */
export function sectionOf(field: string): Section {
  if (field.startsWith('filters') || field === 'segment_id') return 'audience';
  if (field.startsWith('quiet_hours')) return 'quiet_hours';
  if (field.startsWith('nudges')) return 'nudges';
  if (field.startsWith('discount_codes')) return 'discount_codes';
  if (field === 'file') return 'media_ids';
  return field as Section;
}

export interface Checked {
  /** API field name → message, for every problem found. */
  errors: Record<string, string>;
  /** Sections a save leaves out because of them. */
  omit: Set<Section>;
}

export const KNOWN_PLACEHOLDERS = ['first_name', 'last_order', 'discount_code'];
export const MAX_NAME = 200;
export const MAX_TEXT = 4096;
export const MAX_CAPTION = 1024;
const MAX_NUDGE_SECONDS = 30 * 86400;
const CODE_RE = /^[A-Za-z0-9_-]{1,64}$/;

/** The text of a message as the editor shows it (placeholders as written), for its length. */
export function messageText(html: string): string {
  return deltaText(htmlToDelta(html)).replace(/\n$/, '');
}

/** A problem with the placeholders of a message, or null: unknown names, "{{" never closed. */
export function placeholderProblem(html: string): string | null {
  const text = messageText(html);
  let at = 0;
  for (;;) {
    const open = text.indexOf('{{', at);
    if (open < 0) return null;
    const close = text.indexOf('}}', open + 2);
    if (close < 0) return `“${text.slice(open, open + 20)}…” is never closed with }}.`;
    const inner = text.slice(open + 2, close);
    const name = inner.split('|')[0]!.trim();
    if (!KNOWN_PLACEHOLDERS.includes(name))
      return `{{${name}}} is not a placeholder. Use Insert placeholder: {{first_name}}, {{last_order}} or {{discount_code}}.`;
    if (inner.includes('{{')) return `The fallback of {{${name}}} cannot hold “{{”.`;
    at = close + 2;
  }
}

function messageProblem(html: string, max: number, what: string): string | null {
  const text = messageText(html);
  if (!text.trim()) return `Write the ${what}.`;
  if (text.length > max)
    return `The ${what} is ${text.length} characters long; Telegram takes at most ${max}${max === MAX_CAPTION ? ' under an image or video' : ''}.`;
  return placeholderProblem(html);
}

function nudgeErrors(n: NudgeForm, i: number, e: Record<string, string>) {
  const amount = Number(n.amount.replace(',', '.'));
  const secs = nudgeSeconds(n);
  if (!n.amount.trim() || !Number.isFinite(amount) || amount <= 0) e[`nudges[${i}].after_seconds`] = 'Enter a delay greater than 0.';
  else if (!Number.isFinite(secs) || secs > MAX_NUDGE_SECONDS) e[`nudges[${i}].after_seconds`] = 'A follow-up goes out at most 30 days after the first message.';
  const text = messageProblem(n.text, MAX_TEXT, 'follow-up message');
  if (text) e[`nudges[${i}].message_text`] = text;
}

/** Checks every field of the form. `exists`: the campaign is saved (a name and a message are then
 *  required at once); `strict`: a start is being asked for. */
export function checkForm(f: FormState, opts: { exists: boolean; strict: boolean }): Checked {
  const e: Record<string, string> = {};
  const must = opts.exists || opts.strict;
  if (!f.name.trim()) {
    if (must) e.name = 'Give the campaign a name (only you see it).';
  } else if (f.name.trim().length > MAX_NAME) e.name = `Use at most ${MAX_NAME} characters.`;
  if (must || f.html.trim()) {
    const m = messageProblem(f.html, f.mediaIds.length ? MAX_CAPTION : MAX_TEXT, 'message');
    if (m) e.message_text = m;
  }
  // A segment's filters were checked when it was saved; the inputs left behind do not count.
  if (f.segmentId == null) Object.assign(e, filterErrors(f));
  if (f.quietOn) {
    const hhmm = /^([01]\d|2[0-3]):[0-5]\d$/;
    if (!hhmm.test(f.quietStart)) e['quiet_hours.start'] = 'Enter a time such as 21:00.';
    if (!hhmm.test(f.quietEnd)) e['quiet_hours.end'] = 'Enter a time such as 09:00.';
    else if (f.quietStart === f.quietEnd) e['quiet_hours.end'] = 'The quiet hours must end at another time than they start.';
    if (!f.timezone) e['quiet_hours.timezone'] = 'Choose a time zone.';
  }
  f.nudges.forEach((n, i) => nudgeErrors(n, i, e));
  if (f.discountMode === 'static') {
    const code = f.staticCode.trim();
    if (!code) {
      if (opts.strict) e['discount_codes.code'] = 'Type the code everyone gets, or choose None.';
    } else if (!CODE_RE.test(code)) e['discount_codes.code'] = 'Use 1–64 letters, digits, “-” or “_” (no spaces), e.g. SPRING20.';
  } else if (f.discountMode === 'pool') {
    const codes = poolCodes(f.poolText);
    const bad = codes.find((c) => !CODE_RE.test(c));
    const seen = new Set<string>();
    const dup = codes.find((c) => (seen.has(c) ? true : (seen.add(c), false)));
    if (!codes.length) {
      if (opts.strict) e['discount_codes.codes'] = 'Paste the codes, one per line, or choose None.';
    } else if (bad) e['discount_codes.codes'] = `“${bad}” is not a code: use 1–64 letters, digits, “-” or “_” per line.`;
    else if (dup) e['discount_codes.codes'] = `“${dup}” is in the list twice: each person gets a different code.`;
    else if (codes.length > 100000) e['discount_codes.codes'] = 'At most 100,000 codes.';
  }
  return { errors: e, omit: new Set(Object.keys(e).map(sectionOf)) };
}
