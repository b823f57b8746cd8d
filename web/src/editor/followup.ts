// A follow-up campaign from a scorecard suggestion (issue 18, item 2): not the original word for
// word, but a draft message that fits what the people of the suggestion did — a reminder for those
// who clicked and did not buy, a one-word question for silent readers, a shorter opening for those
// who did not read, an apology for complaints, a thank-you for buyers — using the original's first
// link where a link belongs. It keeps the original's quiet hours, link tracking and a static
// discount code; a pool's codes were handed out one per person, so the follow-up starts without
// them (the editor says so). Created as a draft at once: "Create follow-up campaign" is a save the
// user asked for, and the editor then shows its live audience and why it may be empty.
import type { Campaign } from '../api';
import type { CampaignInput, Filters } from '../api-campaigns';
import type { Suggestion, SuggestionKind } from '../api-results';
import { messages } from '../i18n';

/** A suggestion's title by its kind, in Russian (the server says it in English). */
const TITLE_RU: Record<SuggestionKind, string> = {
  clicked_not_bought: 'Перешли, но не купили',
  read_not_replied: 'Прочитали, но не ответили',
  not_read: 'Не прочитали',
  refund_risk: 'Ответили словами о возврате',
  bought: 'Купили после кампании',
};

/** The draft messages (the API's HTML, placeholders as they are) in the app's language; `a` makes
 *  words the original's first link when it has one. */
const M = messages(
  {
    ourOffer: 'our offer',
    codeStillWorks: '\nYour code {{discount_code}} still works at checkout.',
    clicked: (offer: string, code: string) =>
      `Hi {{first_name|there}}, you had a look at ${offer} — it is still there for you.` + code + '\nAny questions about it? Just reply here.',
    readNotReplied: 'Hi {{first_name|there}}, quick question: is this something for you? A simple <b>yes</b> or <b>no</b> is enough — just reply here.',
    missed: 'In case you missed our last message:\n',
    somethingForYou: 'we have something for you.',
    refundRisk: 'Hi {{first_name|there}}, we are sorry something went wrong with your order. Reply here and we will sort it out with you personally.',
    thanks: 'Thank you for your order, {{first_name|there}}! We hope you love it.',
    thanksCode: '\nAs a thank-you, {{discount_code}} takes something off your next order.',
    goesWith: 'See what goes with it',
    notRight: '\nIf anything is not right, just reply here.',
    /** The follow-up's name after the original's: the suggestion's title as the server says it. */
    title: (_kind: SuggestionKind | null, serverTitle: string) => serverTitle,
  },
  {
    ourOffer: 'наше предложение',
    codeStillWorks: '\nВаш промокод {{discount_code}} всё ещё действует при оформлении заказа.',
    clicked: (offer, code) => `Привет, {{first_name|друг}}! Вы смотрели ${offer} — оно всё ещё ждёт вас.` + code + '\nЕсть вопросы? Просто ответьте здесь.',
    readNotReplied: 'Привет, {{first_name|друг}}! Короткий вопрос: вам это интересно? Достаточно ответить <b>да</b> или <b>нет</b> — прямо здесь.',
    missed: 'Если вы пропустили наше прошлое сообщение:\n',
    somethingForYou: 'у нас есть кое-что для вас.',
    refundRisk: '{{first_name|Здравствуйте}}, нам очень жаль, что с вашим заказом что-то пошло не так. Ответьте здесь — и мы лично во всём разберёмся.',
    thanks: 'Спасибо за заказ, {{first_name|друг}}! Надеемся, он вам понравится.',
    thanksCode: '\nВ благодарность — промокод {{discount_code}} на скидку к следующему заказу.',
    goesWith: 'Посмотреть, что к нему подойдёт',
    notRight: '\nЕсли что-то не так, просто ответьте здесь.',
    title: (kind, serverTitle) => (kind ? TITLE_RU[kind] : serverTitle),
  },
);

/** The kind of a suggestion, from `kind` or, for a server that does not send it, its title. */
export function suggestionKind(s: Suggestion): SuggestionKind | null {
  if (s.kind) return s.kind;
  const byTitle: Record<string, SuggestionKind> = {
    'Clicked but never bought': 'clicked_not_bought',
    'Read but did not reply': 'read_not_replied',
    'Did not read': 'not_read',
    'Replied with refund-risk words': 'refund_risk',
    Bought: 'bought',
  };
  return byTitle[s.title] ?? null;
}

/** The first link of a message: its address and its words, both as they are in the HTML (escaped). */
function firstLink(html: string): { href: string; text: string } | null {
  const m = /<a\s[^>]*href\s*=\s*("([^"]*)"|'([^']*)')[^>]*>([\s\S]*?)<\/a>/i.exec(html);
  if (!m) return null;
  const text = m[4]!.replace(/<[^>]*>/g, '').trim();
  // A single-quoted value may hold a '"'; everything else is escaped already.
  return { href: (m[2] ?? m[3] ?? '').replace(/"/g, '&quot;'), text: text || M().ourOffer };
}

/** The original's first line with text, as plain (still escaped) text: a line of Telegram HTML may
 *  open a tag another line closes, so no tag is kept. */
function openingOf(html: string): string {
  const lines = html.split(/\n|<br\s*\/?>|<\/p>/i).map((l) => l.replace(/<[^>]*>/g, '').trim());
  return lines.find((l) => l) ?? '';
}

/** The draft message (the API's HTML) for a kind of suggestion. */
export function followUpMessage(kind: SuggestionKind | null, original: Campaign, withCode: boolean): string {
  const link = firstLink(original.message_text);
  const a = (words: string) => (link ? `<a href="${link.href}">${words}</a>` : words);
  const m = M();
  const code = withCode ? m.codeStillWorks : '';
  switch (kind) {
    case 'clicked_not_bought':
      return m.clicked(link ? a(link.text) : m.ourOffer, code);
    case 'read_not_replied':
      return m.readNotReplied;
    case 'not_read': {
      const opening = openingOf(original.message_text);
      return `${m.missed}${opening || m.somethingForYou}${link ? '\n' + a(link.text) : ''}${code}`;
    }
    case 'refund_risk':
      return m.refundRisk;
    case 'bought':
      return m.thanks + (withCode ? m.thanksCode : '') + (link ? `\n${a(m.goesWith)}` : '') + m.notRight;
    default:
      return original.message_text;
  }
}

/** The new draft for a suggestion, and whether the original had a pool of codes it cannot take. */
export function followUpInput(original: Campaign, s: Suggestion): { input: CampaignInput; droppedPool: boolean } {
  const kind = suggestionKind(s);
  const d = original.discount_codes;
  const staticCode = d && d.mode === 'static' && d.code ? d.code : null;
  // An apology is no promotion: it goes without a code.
  const withCode = staticCode !== null && kind !== 'refund_risk' && kind !== 'read_not_replied';
  const input: CampaignInput = {
    name: `${original.name} — ${M().title(kind, s.title)}`,
    message_text: followUpMessage(kind, original, withCode),
    // The picture belongs to the offer: a reminder or a second try carries it, a thank-you does not.
    media_ids: kind === 'clicked_not_bought' || kind === 'not_read' ? [...(original.media_ids ?? [])] : [],
    filters: s.filters as Filters,
    quiet_hours: original.quiet_hours,
    track_links: original.track_links,
    discount_codes: withCode ? { mode: 'static', code: staticCode } : null,
  };
  return { input, droppedPool: !!d && d.mode === 'pool' };
}
