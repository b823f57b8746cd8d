// Who "Preview as" offers (issue 18, item 9): people of the campaign's audience only (its sample,
// GET /campaigns/:id/audience?sample=), each once, a typical one first — someone of the audience's
// largest category for whom every placeholder the message uses has a value — and names that repeat
// told apart. Also the words of the warning when a placeholder is empty for the chosen person.
import type { Contact } from '../api';
import type { Audience } from '../api-campaigns';
import { messages, plural } from '../i18n';
import { dayMonth } from '../results/format';

const CATEGORY_RU: Record<string, string> = { buyer: 'покупатель', browser: 'интересовался', refund_risk: 'риск возврата', unknown: 'без категории' };
const PLACEHOLDER_EN: Record<string, string> = { first_name: 'first name', last_order: 'last order', discount_code: 'discount code' };
/** What a person does not have, after "нет": the genitive. */
const PLACEHOLDER_RU: Record<string, string> = { first_name: 'имени', last_order: 'последнего заказа', discount_code: 'промокода' };
const has = (o: object, k: string) => Object.prototype.hasOwnProperty.call(o, k);
const upper = (s: string) => s[0]!.toUpperCase() + s.slice(1);

const M = messages(
  {
    telegramUser: (id: number | string) => 'Telegram user ' + id,
    orders: (n: number) => plural(n, { one: '# order', other: '# orders' }),
    category: (c: string) => c,
    wrote: (date: string) => 'wrote ' + date,
    contactN: (id: number) => 'contact #' + id,
    typical: (label: string) => `${label} — typical`,
    poolEmpty: 'the pool of discount codes has none left',
    noCode: 'this campaign has no discount code yet',
    hasNo: (who: string, name: string) => `${who} has no ${has(PLACEHOLDER_EN, name) ? PLACEHOLDER_EN[name] : name}`,
    readsFallback: (what: string, name: string, fallback: string) => `${upper(what)}: {{${name}}} reads “${fallback}” (its fallback).`,
    isEmpty: (what: string, name: string) =>
      `${upper(what)}: {{${name}}} is empty in this message${
        name === 'discount_code' ? ' — choose the codes under “Links and discount codes”' : ' — add a fallback (Insert placeholder → Fallback if empty)'
      }.`,
  },
  {
    telegramUser: (id) => 'Пользователь Telegram ' + id,
    orders: (n) => plural(n, { one: '# заказ', few: '# заказа', many: '# заказов', other: '# заказа' }),
    category: (c) => (has(CATEGORY_RU, c) ? CATEGORY_RU[c]! : c),
    wrote: (date) => 'писал ' + date,
    contactN: (id) => 'контакт №' + id,
    typical: (label) => `${label} — типичный`,
    poolEmpty: 'в наборе не осталось промокодов',
    noCode: 'у этой кампании пока нет промокода',
    hasNo: (who, name) => `у контакта ${who} нет ${has(PLACEHOLDER_RU, name) ? PLACEHOLDER_RU[name] : name}`,
    readsFallback: (what, name, fallback) => `${upper(what)}: вместо {{${name}}} будет «${fallback}» (замена).`,
    isEmpty: (what, name) =>
      `${upper(what)}: {{${name}}} в этом сообщении будет пустым${
        name === 'discount_code' ? ' — выберите коды в блоке «Ссылки и промокоды»' : ' — добавьте замену (Вставить подстановку → Замена, если пусто)'
      }.`,
  },
);

export interface PreviewPerson {
  contact: Contact;
  /** The option's text: the name, with what tells it apart when another person has it too. */
  label: string;
}

export function contactName(c: Contact): string {
  const n = [c.first_name, c.last_name].filter((x) => x && x.trim()).join(' ');
  return n || (c.username ? '@' + c.username : c.phone || M().telegramUser(c.tg_user_id));
}

const usesPlaceholder = (html: string, name: string) => new RegExp(`\\{\\{\\s*${name}\\s*[|}]`).test(html);

/** How well a person shows what the message will look like (higher first). */
function typicalScore(c: Contact, html: string, topCategory: string | null): number {
  let s = 0;
  if (c.first_name?.trim() || !usesPlaceholder(html, 'first_name')) s += 4;
  if (c.orders_count > 0 || !usesPlaceholder(html, 'last_order')) s += 2;
  if (topCategory && c.category === topCategory) s += 1;
  return s;
}

/** The people of the audience to preview as, the typical one first; [] when nobody is in it. */
export function previewPeople(a: Audience | null, html: string): PreviewPerson[] {
  if (!a) return [];
  const seen = new Set<number>();
  const people = a.sample.filter((c) => (seen.has(c.id) ? false : (seen.add(c.id), true)));
  const cats = Object.entries(a.by_category).sort((x, y) => y[1] - x[1]);
  const top = cats[0] && cats[0][1] > 0 ? cats[0][0] : null;
  let best = 0;
  people.forEach((c, i) => {
    if (typicalScore(c, html, top) > typicalScore(people[best]!, html, top)) best = i;
  });
  const ordered = people.length ? [people[best]!, ...people.filter((_, i) => i !== best)] : [];
  // Names that repeat get what tells them apart: the first detail that differs within the group.
  const groups = new Map<string, Contact[]>();
  for (const c of ordered) groups.set(contactName(c), [...(groups.get(contactName(c)) ?? []), c]);
  const m = M();
  const details = (c: Contact): string[] => [
    c.username ? '@' + c.username : '',
    c.phone ?? '',
    m.orders(c.orders_count),
    m.category(c.category),
    c.last_message_at ? m.wrote(dayMonth.format(new Date(c.last_message_at))) : '',
  ];
  return ordered.map((c, i) => {
    const name = contactName(c);
    const group = groups.get(name)!;
    let label = name;
    if (group.length > 1) {
      const mine = details(c);
      const k = mine.findIndex((d, j) => d && group.every((o) => o === c || details(o)[j] !== d));
      label = `${name} (${k >= 0 ? mine[k] : m.contactN(c.id)})`;
    }
    return { contact: c, label: i === 0 ? m.typical(label) : label };
  });
}

/** The fallback written in the message for a placeholder ({{last_order|your order}} → "your order"),
 *  '' for an empty one, or null when it has none. */
export function fallbackOf(html: string, name: string): string | null {
  const m = new RegExp(`\\{\\{\\s*${name}\\s*(\\|([^}]*))?\\}\\}`).exec(html);
  if (!m || m[1] === undefined) return null;
  return (m[2] ?? '').trim();
}

/** One sentence per placeholder that is empty for this person: what the message reads instead. */
export function emptyWarnings(empty: readonly string[], html: string, who: string, poolOfCodes: boolean): string[] {
  const m = M();
  return empty.map((name) => {
    const fb = fallbackOf(html, name);
    const what = name === 'discount_code' ? (poolOfCodes ? m.poolEmpty : m.noCode) : m.hasNo(who, name);
    return fb ? m.readsFallback(what, name, fb) : m.isEmpty(what, name);
  });
}
