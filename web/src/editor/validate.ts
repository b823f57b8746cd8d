// Every check of the editor's form at once (issue 18, item 5): the server names one problem per
// answer, so the editor checks every field itself, shows each problem at its field and in the
// summary, and saves the rest. A field with a problem is left out of the save (the server keeps
// what it had); fields still empty that a start needs (a static code, a pool) are problems only
// once the user tries to start, schedule or test (`strict`). Messages name the field's own words.
import type { FormState, NudgeForm } from './form';
import { filterErrors, nudgeSeconds, poolCodes } from './form';
import { deltaText, htmlToDelta } from './html';
import { messages, numberFormat, plural } from '../i18n';

const count = numberFormat();

/** Which message a problem is about: the first one or a follow-up's. */
type Which = 'message' | 'follow-up message';

const M = messages(
  {
    neverClosed: (start: string) => `“${start}…” is never closed with }}.`,
    notPlaceholder: (name: string) => `{{${name}}} is not a placeholder. Use Insert placeholder: {{first_name}}, {{last_order}} or {{discount_code}}.`,
    fallbackBraces: (name: string) => `The fallback of {{${name}}} cannot hold “{{”.`,
    write: (what: Which) => `Write the ${what}.`,
    tooLong: (what: Which, length: number, max: number, caption: boolean) =>
      plural(length, { one: `The ${what} is # character long`, other: `The ${what} is # characters long` }) +
      `; Telegram takes at most ${count.format(max)}${caption ? ' under an image or video' : ''}.`,
    delay: 'Enter a delay greater than 0.',
    delayMax: 'A follow-up goes out at most 30 days after the first message.',
    name: 'Give the campaign a name (only you see it).',
    nameMax: (max: number) => plural(max, { one: 'Use at most # character.', other: 'Use at most # characters.' }),
    quietStart: 'Enter a time such as 21:00.',
    quietEnd: 'Enter a time such as 09:00.',
    quietSame: 'The quiet hours must end at another time than they start.',
    timezone: 'Choose a time zone.',
    codeNeeded: 'Type the code everyone gets, or choose None.',
    codeBad: 'Use 1–64 letters, digits, “-” or “_” (no spaces), e.g. SPRING20.',
    poolNeeded: 'Paste the codes, one per line, or choose None.',
    poolBad: (code: string) => `“${code}” is not a code: use 1–64 letters, digits, “-” or “_” per line.`,
    poolTwice: (code: string) => `“${code}” is in the list twice: each person gets a different code.`,
    poolMax: 'At most 100,000 codes.',
  },
  {
    neverClosed: (start) => `«${start}…» не закрыто скобками }}.`,
    notPlaceholder: (name) => `{{${name}}} — не подстановка. Используйте «Вставить подстановку»: {{first_name}}, {{last_order}} или {{discount_code}}.`,
    fallbackBraces: (name) => `Замена в {{${name}}} не может содержать «{{».`,
    write: (what) => (what === 'message' ? 'Напишите сообщение.' : 'Напишите текст напоминания.'),
    tooLong: (what, length, max, caption) =>
      `${what === 'message' ? 'В сообщении' : 'В напоминании'} ` +
      plural(length, { one: '# символ', few: '# символа', many: '# символов', other: '# символа' }) +
      `, а Telegram принимает не больше ${count.format(max)}${caption ? ' в подписи к изображению или видео' : ''}.`,
    delay: 'Введите задержку больше 0.',
    delayMax: 'Напоминание уходит не позже чем через 30 дней после первого сообщения.',
    name: 'Дайте кампании название (его видите только вы).',
    nameMax: (max) => plural(max, { one: 'Не больше # символа.', few: 'Не больше # символов.', many: 'Не больше # символов.', other: 'Не больше # символа.' }),
    quietStart: 'Введите время, например 21:00.',
    quietEnd: 'Введите время, например 09:00.',
    quietSame: 'Тихие часы должны заканчиваться в другое время, чем начинаются.',
    timezone: 'Выберите часовой пояс.',
    codeNeeded: 'Введите код, который получат все, или выберите «Нет».',
    codeBad: 'Используйте 1–64 буквы, цифры, «-» или «_» (без пробелов), например SPRING20.',
    poolNeeded: 'Вставьте коды, по одному в строке, или выберите «Нет».',
    poolBad: (code) => `«${code}» — не код: в каждой строке 1–64 буквы, цифры, «-» или «_».`,
    poolTwice: (code) => `«${code}» есть в списке дважды: каждый получает свой код.`,
    poolMax: 'Не больше 100 000 кодов.',
  },
);

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
    if (close < 0) return M().neverClosed(text.slice(open, open + 20));
    const inner = text.slice(open + 2, close);
    const name = inner.split('|')[0]!.trim();
    if (!KNOWN_PLACEHOLDERS.includes(name)) return M().notPlaceholder(name);
    if (inner.includes('{{')) return M().fallbackBraces(name);
    at = close + 2;
  }
}

function messageProblem(html: string, max: number, what: Which): string | null {
  const text = messageText(html);
  if (!text.trim()) return M().write(what);
  if (text.length > max) return M().tooLong(what, text.length, max, max === MAX_CAPTION);
  return placeholderProblem(html);
}

function nudgeErrors(n: NudgeForm, i: number, e: Record<string, string>) {
  const amount = Number(n.amount.replace(',', '.'));
  const secs = nudgeSeconds(n);
  if (!n.amount.trim() || !Number.isFinite(amount) || amount <= 0) e[`nudges[${i}].after_seconds`] = M().delay;
  else if (!Number.isFinite(secs) || secs > MAX_NUDGE_SECONDS) e[`nudges[${i}].after_seconds`] = M().delayMax;
  const text = messageProblem(n.text, MAX_TEXT, 'follow-up message');
  if (text) e[`nudges[${i}].message_text`] = text;
}

/** Checks every field of the form. `exists`: the campaign is saved (a name and a message are then
 *  required at once); `strict`: a start is being asked for. */
export function checkForm(f: FormState, opts: { exists: boolean; strict: boolean }): Checked {
  const e: Record<string, string> = {};
  const m = M();
  const must = opts.exists || opts.strict;
  if (!f.name.trim()) {
    if (must) e.name = m.name;
  } else if (f.name.trim().length > MAX_NAME) e.name = m.nameMax(MAX_NAME);
  if (must || f.html.trim()) {
    const m = messageProblem(f.html, f.mediaIds.length ? MAX_CAPTION : MAX_TEXT, 'message');
    if (m) e.message_text = m;
  }
  // A segment's filters were checked when it was saved; the inputs left behind do not count.
  if (f.segmentId == null) Object.assign(e, filterErrors(f));
  if (f.quietOn) {
    const hhmm = /^([01]\d|2[0-3]):[0-5]\d$/;
    if (!hhmm.test(f.quietStart)) e['quiet_hours.start'] = m.quietStart;
    if (!hhmm.test(f.quietEnd)) e['quiet_hours.end'] = m.quietEnd;
    else if (f.quietStart === f.quietEnd) e['quiet_hours.end'] = m.quietSame;
    if (!f.timezone) e['quiet_hours.timezone'] = m.timezone;
  }
  f.nudges.forEach((n, i) => nudgeErrors(n, i, e));
  if (f.discountMode === 'static') {
    const code = f.staticCode.trim();
    if (!code) {
      if (opts.strict) e['discount_codes.code'] = m.codeNeeded;
    } else if (!CODE_RE.test(code)) e['discount_codes.code'] = m.codeBad;
  } else if (f.discountMode === 'pool') {
    const codes = poolCodes(f.poolText);
    const bad = codes.find((c) => !CODE_RE.test(c));
    const seen = new Set<string>();
    const dup = codes.find((c) => (seen.has(c) ? true : (seen.add(c), false)));
    if (!codes.length) {
      if (opts.strict) e['discount_codes.codes'] = m.poolNeeded;
    } else if (bad) e['discount_codes.codes'] = m.poolBad(bad);
    else if (dup) e['discount_codes.codes'] = m.poolTwice(dup);
    else if (codes.length > 100000) e['discount_codes.codes'] = m.poolMax;
  }
  return { errors: e, omit: new Set(Object.keys(e).map(sectionOf)) };
}
