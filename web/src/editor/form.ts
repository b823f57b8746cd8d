// Editor form state: what the inputs hold (strings as typed), how it becomes the API's campaign
// input, how a stored campaign fills it, and where each API error field is shown.
import type { Campaign, Category } from '../api';
import type { CampaignInput, DiscountCodes, Filters, NudgeCondition } from '../api-campaigns';
import { messages, plural } from '../i18n';

const M = messages(
  {
    defaultNudge: 'Hi {{first_name|there}}, just checking you saw our message. Any questions? Simply reply here.',
    daysRange: 'Enter a number of days from 1 to 3650, or leave it empty.',
    ordersWhole: 'Enter a whole number of orders (0 or more), or leave it empty.',
    ordersNobody: (min: number, max: number) =>
      plural(max, {
        one: `Nobody has at least ${min} and at most # order: make “at most” ${min} or more.`,
        other: `Nobody has at least ${min} and at most # orders: make “at most” ${min} or more.`,
      }),
    amount: 'Enter an amount like 25 or 19.99.',
    followUpField: (n: number, what: 'delay' | 'condition' | 'message') => `Follow-up ${n}, ${what}`,
    name: 'Campaign name',
    message_text: 'Message',
    media: 'Image or video',
    categories: 'Categories',
    lastDays: 'Wrote to you within (days)',
    minOrders: 'Orders, at least',
    maxOrders: 'Orders, at most',
    minSpent: 'Spent at least',
    campaignFilter: 'Earlier campaign filter',
    includeCharging: 'People who charge Stars',
    includePrivacy: 'People whose privacy refused you',
    segment: 'Saved segment',
    quiet: 'Quiet hours',
    quietStart: 'Quiet hours start',
    quietEnd: 'Quiet hours end',
    timezone: 'Time zone',
    nudges: 'Follow-ups',
    trackLinks: 'Link tracking',
    discountCodes: 'Discount codes',
    discountCode: 'Discount code',
    discountPool: 'Discount code pool',
    previewContact: 'Preview contact',
  },
  {
    defaultNudge: 'Привет, {{first_name|друг}}! Хотим убедиться, что вы видели наше сообщение. Есть вопросы? Просто ответьте здесь.',
    daysRange: 'Введите число дней от 1 до 3650 или оставьте поле пустым.',
    ordersWhole: 'Введите целое число заказов (0 или больше) или оставьте поле пустым.',
    ordersNobody: (min, max) => `Нет никого, у кого заказов не меньше ${min} и не больше ${max}: сделайте «не больше» равным ${min} или больше.`,
    amount: 'Введите сумму, например 25 или 19,99.',
    followUpField: (n, what) => `Напоминание ${n}, ${{ delay: 'задержка', condition: 'условие', message: 'сообщение' }[what]}`,
    name: 'Название кампании',
    message_text: 'Сообщение',
    media: 'Изображение или видео',
    categories: 'Категории',
    lastDays: 'Писал вам за последние (дней)',
    minOrders: 'Заказов, не меньше',
    maxOrders: 'Заказов, не больше',
    minSpent: 'Потратил не меньше',
    campaignFilter: 'Фильтр по прошлой кампании',
    includeCharging: 'Те, кто берёт плату звёздами',
    includePrivacy: 'Те, чья приватность не пропустила аккаунт',
    segment: 'Сохранённый сегмент',
    quiet: 'Тихие часы',
    quietStart: 'Начало тихих часов',
    quietEnd: 'Конец тихих часов',
    timezone: 'Часовой пояс',
    nudges: 'Напоминания',
    trackLinks: 'Отслеживание ссылок',
    discountCodes: 'Промокоды',
    discountCode: 'Промокод',
    discountPool: 'Набор промокодов',
    previewContact: 'Контакт для предпросмотра',
  },
);

export type DelayUnit = 'minutes' | 'hours' | 'days';
export type DiscountMode = 'none' | 'static' | 'pool';

export interface NudgeForm {
  /** Stable key for lists (not sent). */
  key: number;
  amount: string;
  unit: DelayUnit;
  condition: NudgeCondition;
  text: string;
}

/** Filters on contacts' reactions to an earlier campaign (set by the scorecard's follow-ups). */
export const CAMPAIGN_FILTERS = [
  'clicked_campaign',
  'not_replied_to_campaign',
  'read_campaign',
  'not_read_campaign',
  'replied_to_campaign',
  'bought_from_campaign',
] as const;
export type CampaignFilterKey = (typeof CAMPAIGN_FILTERS)[number];

/** The audience filters as the inputs hold them: the editor's, and a saved segment's (Segments page). */
export interface FilterForm {
  categories: Category[];
  lastDays: string;
  minOrders: string;
  maxOrders: string;
  /** Major units as typed ("12.50"); sent as minor units. */
  minSpent: string;
  /** Kept as they came (the editor shows them and can remove them, not build them). */
  campaignFilters: Partial<Record<CampaignFilterKey, number>>;
  /** filters.include_charging / include_privacy_restricted: people Telegram refused before. */
  includeCharging: boolean;
  includePrivacy: boolean;
}

export interface FormState extends FilterForm {
  name: string;
  /** message_text, kept in the API's format (editor/html.ts converts from and to Quill). */
  html: string;
  mediaIds: number[];
  /** A saved segment as the audience instead of the filters (issue 16); the filter inputs then
   *  keep what they held, for when the campaign gets filters of its own again. */
  segmentId?: number | null;
  quietOn: boolean;
  quietStart: string;
  quietEnd: string;
  timezone: string;
  nudges: NudgeForm[];
  trackLinks: boolean;
  discountMode: DiscountMode;
  staticCode: string;
  poolText: string;
}

export const UNIT_SECONDS: Record<DelayUnit, number> = { minutes: 60, hours: 3600, days: 86400 };
export const MAX_NUDGES = 5;
/** A new follow-up's message, in the app's language (the user makes it theirs). */
export const defaultNudgeText = () => M().defaultNudge;

let nextKey = 1;
export const newKey = () => nextKey++;

export function browserTimezone(): string {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
  } catch {
    return 'UTC';
  }
}

export function emptyFilterForm(): FilterForm {
  return filterFormFrom({});
}

export function emptyForm(timezone: string): FormState {
  return {
    name: '',
    html: '',
    mediaIds: [],
    ...emptyFilterForm(),
    segmentId: null,
    quietOn: false,
    quietStart: '21:00',
    quietEnd: '09:00',
    timezone,
    nudges: [],
    trackLinks: true,
    discountMode: 'none',
    staticCode: '',
    poolText: '',
  };
}

export function newNudge(): NudgeForm {
  return { key: newKey(), amount: '1', unit: 'days', condition: 'no_reply', text: defaultNudgeText() };
}

function secondsToDelay(s: number): { amount: string; unit: DelayUnit } {
  if (s % 86400 === 0) return { amount: String(s / 86400), unit: 'days' };
  if (s % 3600 === 0) return { amount: String(s / 3600), unit: 'hours' };
  return { amount: String(Math.round((s / 60) * 100) / 100), unit: 'minutes' };
}

const numText = (v: unknown): string => (typeof v === 'number' && Number.isFinite(v) ? String(v) : '');

/** The inputs of stored filters (a campaign's or a segment's). */
export function filterFormFrom(filters: Filters | null | undefined): FilterForm {
  const f = filters ?? {};
  return {
    categories: Array.isArray(f.categories) ? [...f.categories] : [],
    lastDays: numText(f.last_message_within_days),
    minOrders: numText(f.min_orders),
    maxOrders: numText(f.max_orders),
    minSpent: typeof f.min_spent === 'number' ? String(f.min_spent / 100) : '',
    campaignFilters: Object.fromEntries(CAMPAIGN_FILTERS.filter((k) => typeof f[k] === 'number').map((k) => [k, f[k] as number])),
    includeCharging: f.include_charging === true,
    includePrivacy: f.include_privacy_restricted === true,
  };
}

export function formFromCampaign(c: Campaign, fallbackTz: string): FormState {
  const d = c.discount_codes;
  return {
    name: c.name,
    html: c.message_text,
    mediaIds: [...(c.media_ids ?? [])],
    // With a segment, `filters` shows the segment's: the inputs start from them if it is let go.
    ...filterFormFrom(c.filters as Filters),
    segmentId: c.segment_id ?? null,
    quietOn: c.quiet_hours != null,
    quietStart: c.quiet_hours?.start ?? '21:00',
    quietEnd: c.quiet_hours?.end ?? '09:00',
    timezone: c.quiet_hours?.timezone ?? fallbackTz,
    nudges: (c.nudges ?? []).map((n) => ({
      key: newKey(),
      ...secondsToDelay(n.after_seconds),
      condition: (['no_reply', 'no_click', 'no_reply_no_click'].includes(n.condition) ? n.condition : 'no_reply') as NudgeCondition,
      text: n.message_text,
    })),
    trackLinks: c.track_links,
    discountMode: d ? d.mode : 'none',
    staticCode: d && d.mode === 'static' ? d.code ?? '' : '',
    poolText: d && d.mode === 'pool' ? d.codes.join('\n') : '',
  };
}

/** A whole number as typed, or undefined when empty; NaN when not a whole number (the API says why). */
function intOrUndef(s: string): number | undefined {
  const t = s.trim();
  if (!t) return undefined;
  return /^-?\d+$/.test(t) ? Number(t) : NaN;
}

export function poolCodes(text: string): string[] {
  return text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter(Boolean);
}

export function nudgeSeconds(n: NudgeForm): number {
  const a = Number(n.amount.replace(',', '.'));
  if (!Number.isFinite(a)) return NaN;
  return Math.max(1, Math.round(a * UNIT_SECONDS[n.unit]));
}

/**
 * Problems of the filter inputs, each at its input (keys are API field names). Shared with the
 * Segments page. "At least 5, at most 2" orders is one: nobody can match it.
 */
export function filterErrors(f: FilterForm): Record<string, string> {
  const e: Record<string, string> = {};
  const m = M();
  const whole = (key: string, v: string, min: number, max: number, msg: string): number | undefined => {
    const t = v.trim();
    if (!t) return undefined;
    if (!/^\d+$/.test(t) || Number(t) < min || Number(t) > max) {
      e[key] = msg;
      return undefined;
    }
    return Number(t);
  };
  whole('filters.last_message_within_days', f.lastDays, 1, 3650, m.daysRange);
  const min = whole('filters.min_orders', f.minOrders, 0, 1000000, m.ordersWhole);
  const max = whole('filters.max_orders', f.maxOrders, 0, 1000000, m.ordersWhole);
  if (min !== undefined && max !== undefined && min > max) e['filters.max_orders'] = m.ordersNobody(min, max);
  if (f.minSpent.trim() && !/^\d+([.,]\d{1,2})?$/.test(f.minSpent.trim())) e['filters.min_spent'] = m.amount;
  return e;
}

export function filtersFromForm(f: FilterForm): Filters {
  const filters: Filters = {};
  if (f.categories.length) filters.categories = [...f.categories];
  const days = intOrUndef(f.lastDays);
  if (days !== undefined && Number.isFinite(days)) filters.last_message_within_days = days;
  const minO = intOrUndef(f.minOrders);
  if (minO !== undefined && Number.isFinite(minO)) filters.min_orders = minO;
  const maxO = intOrUndef(f.maxOrders);
  if (maxO !== undefined && Number.isFinite(maxO)) filters.max_orders = maxO;
  const spent = f.minSpent.trim() ? Number(f.minSpent.trim().replace(',', '.')) : NaN;
  if (Number.isFinite(spent)) filters.min_spent = Math.round(spent * 100);
  for (const k of CAMPAIGN_FILTERS) {
    const v = f.campaignFilters?.[k];
    if (typeof v === 'number') filters[k] = v;
  }
  if (f.includeCharging) filters.include_charging = true;
  if (f.includePrivacy) filters.include_privacy_restricted = true;
  return filters;
}

/**
 * What a save sends. Sections in `omit` (they have a problem: editor/validate.ts) are left out, so
 * the server keeps what it had and the rest is saved. A static code or a pool still empty is saved
 * as "no codes yet" (null): choosing the mode is not an error before anything is typed.
 */
export function formToInput(f: FormState, omit: ReadonlySet<string> = new Set()): CampaignInput {
  let discount: DiscountCodes = null;
  if (f.discountMode === 'static' && f.staticCode.trim()) discount = { mode: 'static', code: f.staticCode.trim() };
  else if (f.discountMode === 'pool' && poolCodes(f.poolText).length) discount = { mode: 'pool', codes: poolCodes(f.poolText) };
  const input: CampaignInput = {
    name: f.name.trim(),
    message_text: f.html,
    media_ids: [...f.mediaIds],
    // Filters of its own let a segment go (the server drops segment_id); a segment drops the filters.
    ...(f.segmentId != null ? { segment_id: f.segmentId } : { filters: filtersFromForm(f) }),
    quiet_hours: f.quietOn ? { start: f.quietStart, end: f.quietEnd, timezone: f.timezone } : null,
    nudges: f.nudges.map((n) => ({ after_seconds: nudgeSeconds(n), condition: n.condition, message_text: n.text })),
    track_links: f.trackLinks,
    discount_codes: discount,
  };
  if (omit.has('name')) delete input.name;
  if (omit.has('message_text')) delete input.message_text;
  if (omit.has('audience')) {
    delete input.filters;
    delete input.segment_id;
  }
  if (omit.has('quiet_hours')) delete input.quiet_hours;
  if (omit.has('nudges')) delete input.nudges;
  if (omit.has('discount_codes')) delete input.discount_codes;
  return input;
}

// ---- Where API errors are shown ----

/** The input id of an API error field, for aria-describedby and the summary's links. */
export function fieldInputId(field: string): string | null {
  const n = /^nudges\[(\d+)\]\.(after_seconds|condition|message_text)$/.exec(field);
  if (n) return `ed-nudge-${n[1]}-${n[2] === 'after_seconds' ? 'amount' : n[2] === 'condition' ? 'condition' : 'text'}`;
  const ids: Record<string, string> = {
    name: 'ed-name',
    message_text: 'ed-message',
    media_ids: 'ed-media',
    file: 'ed-media',
    'filters.categories': 'ed-cat-buyer',
    'filters.last_message_within_days': 'ed-last-days',
    'filters.min_orders': 'ed-min-orders',
    'filters.max_orders': 'ed-max-orders',
    'filters.min_spent': 'ed-min-spent',
    ...Object.fromEntries(CAMPAIGN_FILTERS.map((k) => [`filters.${k}`, `ed-cf-${k}`])),
    'filters.include_charging': 'ed-include-charging',
    'filters.include_privacy_restricted': 'ed-include-privacy',
    segment_id: 'ed-segment',
    quiet_hours: 'ed-quiet-on',
    'quiet_hours.start': 'ed-quiet-start',
    'quiet_hours.end': 'ed-quiet-end',
    'quiet_hours.timezone': 'ed-quiet-tz',
    nudges: 'ed-add-nudge',
    track_links: 'ed-track',
    discount_codes: 'ed-discount-none',
    'discount_codes.mode': 'ed-discount-none',
    'discount_codes.code': 'ed-discount-code',
    'discount_codes.codes': 'ed-discount-codes',
    contact_id: 'ed-preview-contact',
  };
  return ids[field] ?? null;
}

/** A short human name of a field, for the error summary. */
export function fieldLabel(field: string): string {
  const m = M();
  const n = /^nudges\[(\d+)\]\.(after_seconds|condition|message_text)$/.exec(field);
  if (n) {
    const what = n[2] === 'after_seconds' ? 'delay' : n[2] === 'condition' ? 'condition' : 'message';
    return m.followUpField(Number(n[1]) + 1, what);
  }
  const labels: Record<string, string> = {
    name: m.name,
    message_text: m.message_text,
    media_ids: m.media,
    file: m.media,
    'filters.categories': m.categories,
    'filters.last_message_within_days': m.lastDays,
    'filters.min_orders': m.minOrders,
    'filters.max_orders': m.maxOrders,
    'filters.min_spent': m.minSpent,
    ...Object.fromEntries(CAMPAIGN_FILTERS.map((k) => [`filters.${k}`, m.campaignFilter])),
    'filters.include_charging': m.includeCharging,
    'filters.include_privacy_restricted': m.includePrivacy,
    segment_id: m.segment,
    quiet_hours: m.quiet,
    'quiet_hours.start': m.quietStart,
    'quiet_hours.end': m.quietEnd,
    'quiet_hours.timezone': m.timezone,
    nudges: m.nudges,
    track_links: m.trackLinks,
    discount_codes: m.discountCodes,
    'discount_codes.mode': m.discountCodes,
    'discount_codes.code': m.discountCode,
    'discount_codes.codes': m.discountPool,
    contact_id: m.previewContact,
  };
  return labels[field] ?? field;
}

/** The API's message reads "quiet_hours.start must be HH:MM"; at the field, the name is redundant. */
export function fieldMessage(field: string, message: string): string {
  let m = message;
  if (m.startsWith(field)) m = m.slice(field.length).replace(/^[:\s]+/, '');
  if (!m) return message;
  return m.charAt(0).toUpperCase() + m.slice(1) + (/[.!?)]$/.test(m) ? '' : '.');
}
