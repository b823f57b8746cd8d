// Who "Preview as" offers (issue 18, item 9): people of the campaign's audience only (its sample,
// GET /campaigns/:id/audience?sample=), each once, a typical one first — someone of the audience's
// largest category for whom every placeholder the message uses has a value — and names that repeat
// told apart. Also the words of the warning when a placeholder is empty for the chosen person.
import type { Contact } from '../api';
import type { Audience } from '../api-campaigns';
import { dayMonth } from '../results/format';

export interface PreviewPerson {
  contact: Contact;
  /** The option's text: the name, with what tells it apart when another person has it too. */
  label: string;
}

export function contactName(c: Contact): string {
  const n = [c.first_name, c.last_name].filter((x) => x && x.trim()).join(' ');
  return n || (c.username ? '@' + c.username : c.phone || 'Telegram user ' + c.tg_user_id);
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
  const details = (c: Contact): string[] => [
    c.username ? '@' + c.username : '',
    c.phone ?? '',
    `${c.orders_count} order${c.orders_count === 1 ? '' : 's'}`,
    c.category,
    c.last_message_at ? 'wrote ' + dayMonth.format(new Date(c.last_message_at)) : '',
  ];
  return ordered.map((c, i) => {
    const name = contactName(c);
    const group = groups.get(name)!;
    let label = name;
    if (group.length > 1) {
      const mine = details(c);
      const k = mine.findIndex((d, j) => d && group.every((o) => o === c || details(o)[j] !== d));
      label = `${name} (${k >= 0 ? mine[k] : 'contact #' + c.id})`;
    }
    return { contact: c, label: i === 0 ? `${label} — typical` : label };
  });
}

const PLACEHOLDER_WORDS: Record<string, string> = {
  first_name: 'first name',
  last_order: 'last order',
  discount_code: 'discount code',
};

/** The fallback written in the message for a placeholder ({{last_order|your order}} → "your order"),
 *  '' for an empty one, or null when it has none. */
export function fallbackOf(html: string, name: string): string | null {
  const m = new RegExp(`\\{\\{\\s*${name}\\s*(\\|([^}]*))?\\}\\}`).exec(html);
  if (!m || m[1] === undefined) return null;
  return (m[2] ?? '').trim();
}

/** One sentence per placeholder that is empty for this person: what the message reads instead. */
export function emptyWarnings(empty: readonly string[], html: string, who: string, poolOfCodes: boolean): string[] {
  return empty.map((name) => {
    const fb = fallbackOf(html, name);
    const what =
      name === 'discount_code'
        ? poolOfCodes
          ? 'the pool of discount codes has none left'
          : 'this campaign has no discount code yet'
        : `${who} has no ${PLACEHOLDER_WORDS[name] ?? name}`;
    if (fb) return `${what[0]!.toUpperCase() + what.slice(1)}: {{${name}}} reads “${fb}” (its fallback).`;
    return `${what[0]!.toUpperCase() + what.slice(1)}: {{${name}}} is empty in this message${
      name === 'discount_code' ? ' — choose the codes under “Links and discount codes”' : ' — add a fallback (Insert placeholder → Fallback if empty)'
    }.`;
  });
}
