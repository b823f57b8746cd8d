// Contacts: the list with search, category and opt-out filters and paging (kept in the URL), each
// contact's category and what Telegram told about them (opted out, charges Stars for messages,
// privacy settings refused the account); a name opens the contact's page (views/Contact.tsx), and
// "Export CSV" downloads contacts.csv with the page's filters (issue 16). Contact data is rendered
// as text only. Also the contact categories' names in both languages (categoryLabel), for every page.
import { useEffect, useState } from 'preact/hooks';
import { describeError, listContacts, syncSession, type Category, type Contact } from '../api';
import { exportContacts } from '../api-people';
import { onLinkClick, replaceQuery } from '../router';
import type { SessionState } from '../main';
import { FormError } from './Field';
import { usePaged } from '../results/usePaged';
import { dateTime, money } from '../results/format';
import { formatter, messages, plural, relativeTimeFormat } from '../i18n';

/** The contact categories' names, one person's (`one`) and a group's (`group`, filters and charts). */
const CAT = messages(
  {
    buyer: 'Buyer',
    browser: 'Browser',
    refund_risk: 'Refund risk',
    unknown: 'Unknown',
    groupBuyer: 'Buyers',
    groupBrowser: 'Browsers',
    groupRefundRisk: 'Refund risk',
  },
  {
    buyer: 'Покупатель',
    browser: 'Интересовался',
    refund_risk: 'Риск возврата',
    unknown: 'Не определена',
    groupBuyer: 'Покупатели',
    groupBrowser: 'Интересовались',
    groupRefundRisk: 'Риск возврата',
  },
);

/**
 * A contact category's name in the app's language ("buyer" → "Buyer" / "Покупатель"); `group`
 * names the people of the category ("Buyers" / "Покупатели"), as filters and charts do. null for a
 * value that is not a category. For every page that shows categories.
 */
export function categoryLabel(category: string, group = false): string | null {
  const m = CAT();
  switch (category) {
    case 'buyer':
      return group ? m.groupBuyer : m.buyer;
    case 'browser':
      return group ? m.groupBrowser : m.browser;
    case 'refund_risk':
      return group ? m.groupRefundRisk : m.refund_risk;
    case 'unknown':
      return m.unknown;
    default:
      return null;
  }
}

const M = messages(
  {
    allCategories: 'All categories',
    telegramUser: (id: number | string) => 'Telegram user ' + id,
    confidenceTitle: (label: string, pct: number) => `${label}, ${pct}% confidence`,
    noSignalTitle: (label: string) => `${label} (no signal yet)`,
    sure: (pct: number) => ` · ${pct}% sure`,
    noSignal: ' · no signal yet',
    optedOutMark: 'opted out',
    chargesTitle: 'Telegram asks for Stars to message this person. tgr never pays: campaigns leave them out unless their filters include them.',
    chargesStars: (stars: number) => `charges ${stars} Stars`,
    chargesAny: 'charges Stars',
    privacyTitle: 'Their privacy settings refused the shop’s account. Campaigns leave them out unless their filters include them.',
    privacyMark: 'privacy restricted',
    exportFailed: (why: string) => 'The export did not complete: ' + why,
    synced: (added: number, updated: number) => `Synced: ${added} new, ${updated} updated.`,
    title: 'Contacts',
    syncNow: 'Sync now',
    exportTitle: 'Every contact of the search and filters below, as a spreadsheet file',
    exporting: 'Exporting…',
    exportCsv: 'Export CSV',
    notConnected: 'Telegram is not connected.',
    connect: 'Connect your Telegram account',
    toCollect: ' to collect contacts.',
    search: 'Search',
    searchPlaceholder: 'Name, @username or phone',
    category: 'Category',
    optOuts: 'Opt-outs',
    everyone: 'Everyone',
    notOptedOut: 'Not opted out',
    optedOut: 'Opted out',
    loading: 'Loading contacts…',
    noMatch: 'No contacts match this search.',
    noneConnected: 'No contacts yet. People who write to your Telegram account appear here after a sync.',
    none: 'No contacts yet.',
    name: 'Name',
    lastMessage: 'Last message',
    orders: 'Orders',
    spent: 'Spent',
    messagesCount: (n: number) => plural(n, { one: '# message', other: '# messages' }),
    shown: (n: number) => `${n} shown`,
    loadingMore: 'Loading…',
    loadMore: 'Load more',
  },
  {
    allCategories: 'Все категории',
    telegramUser: (id: number | string) => 'Пользователь Telegram ' + id,
    confidenceTitle: (label: string, pct: number) => `${label}, уверенность ${wholePercent(pct)}`,
    noSignalTitle: (label: string) => `${label} (сигналов пока нет)`,
    sure: (pct: number) => ` · уверенность ${wholePercent(pct)}`,
    noSignal: ' · сигналов пока нет',
    optedOutMark: 'отписался',
    chargesTitle:
      'Telegram просит звёзды за сообщения этому человеку. tgr никогда не платит: кампании обходят таких людей, если фильтры кампании не включают их явно.',
    chargesStars: (stars: number) => plural(stars, { one: 'сообщение за # звезду', few: 'сообщение за # звезды', many: 'сообщение за # звёзд', other: 'сообщение за # звезды' }),
    chargesAny: 'платные сообщения',
    privacyTitle:
      'Настройки приватности этого человека не пропускают аккаунт магазина. Кампании обходят таких людей, если фильтры кампании не включают их явно.',
    privacyMark: 'ограничения приватности',
    exportFailed: (why: string) => 'Экспорт не завершён: ' + why,
    synced: (added: number, updated: number) => `Синхронизировано: новых — ${added}, обновлено — ${updated}.`,
    title: 'Контакты',
    syncNow: 'Синхронизировать',
    exportTitle: 'Все контакты по поиску и фильтрам ниже в виде таблицы',
    exporting: 'Экспорт…',
    exportCsv: 'Экспорт в CSV',
    notConnected: 'Telegram не подключён.',
    connect: 'Подключите аккаунт Telegram',
    toCollect: ', чтобы собирать контакты.',
    search: 'Поиск',
    searchPlaceholder: 'Имя, @ник или телефон',
    category: 'Категория',
    optOuts: 'Отписки',
    everyone: 'Все',
    notOptedOut: 'Не отписались',
    optedOut: 'Отписались',
    loading: 'Загружаем контакты…',
    noMatch: 'По этому запросу контактов нет.',
    noneConnected: 'Контактов пока нет. Люди, которые пишут в ваш Telegram, появятся здесь после синхронизации.',
    none: 'Контактов пока нет.',
    name: 'Имя',
    lastMessage: 'Последнее сообщение',
    orders: 'Заказы',
    spent: 'Потрачено',
    messagesCount: (n: number) => plural(n, { one: '# сообщение', few: '# сообщения', many: '# сообщений', other: '# сообщения' }),
    shown: (n: number) => `Показано: ${n}`,
    loadingMore: 'Загрузка…',
    loadMore: 'Показать ещё',
  },
);

/** A whole percentage as the language writes it ("80%", "80 %"). */
export function wholePercent(pct: number): string {
  return formatter({ style: 'percent', maximumFractionDigits: 0 }).format(pct / 100);
}

const PAGE = 50;
const CATEGORY_VALUES: Category[] = ['buyer', 'browser', 'refund_risk'];

function asCategory(v: string | null): Category | '' {
  return v === 'buyer' || v === 'browser' || v === 'refund_risk' ? v : '';
}

/** The opt-out filter as the URL and the select hold it: '', 'true' or 'false'. */
type OptedOut = '' | 'true' | 'false';
const asOptedOut = (v: string | null): OptedOut => (v === 'true' || v === 'false' ? v : '');
const optedOutQuery = (v: OptedOut): boolean | null => (v === '' ? null : v === 'true');

const relTime = relativeTimeFormat({ numeric: 'auto' });

function relative(iso: string): string {
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return iso;
  const s = (t - Date.now()) / 1000;
  const abs = Math.abs(s);
  if (abs < 60) return relTime.format(Math.round(s), 'second');
  if (abs < 3600) return relTime.format(Math.round(s / 60), 'minute');
  if (abs < 86400) return relTime.format(Math.round(s / 3600), 'hour');
  if (abs < 86400 * 30) return relTime.format(Math.round(s / 86400), 'day');
  if (abs < 86400 * 365) return relTime.format(Math.round(s / (86400 * 30)), 'month');
  return relTime.format(Math.round(s / (86400 * 365)), 'year');
}

export function displayName(c: Contact): string {
  const n = [c.first_name, c.last_name].filter((x) => x && x.trim()).join(' ');
  return n || (c.username ? '@' + c.username : c.phone || M().telegramUser(c.tg_user_id));
}

/** displayName() is the person's own (a name, username or phone), not the app's words: translate={false} when it is. */
export function nameIsData(c: Contact): boolean {
  return Boolean(c.first_name?.trim() || c.last_name?.trim() || c.username || c.phone);
}

export function initials(c: Contact): string {
  const n = displayName(c).replace(/^@/, '');
  return Array.from(n.trim())[0]?.toUpperCase() ?? '?';
}

export function CategoryBadge({ c }: { c: Contact }) {
  const m = M();
  const label = categoryLabel(c.category) ?? categoryLabel('unknown')!;
  const pct = Math.round(Math.max(0, Math.min(1, c.confidence || 0)) * 100);
  return (
    <span class={'cat cat-' + c.category} title={pct ? m.confidenceTitle(label, pct) : m.noSignalTitle(label)} data-testid="category-badge">
      {label}
      {/* Readable without hovering (phones have no hover): what the number is, in words (issue 18). */}
      <span class="cat-conf">{pct > 0 ? m.sure(pct) : m.noSignal}</span>
    </span>
  );
}

/** Why campaigns leave out a person whose privacy settings refused the shop's account. */
export const privacyNote = () => M().privacyTitle;

/** What Telegram answered about this person, as small marks beside the name. */
export function Marks({ c }: { c: Contact }) {
  const stars = c.charges_stars;
  if (!c.opted_out && !c.charges_for_messages && !c.privacy_restricted) return null;
  const m = M();
  return (
    <span class="marks">
      {c.opted_out && <span class="tag">{m.optedOutMark}</span>}
      {c.charges_for_messages && (
        <span class="tag tag-warn" data-testid="mark-charges" title={m.chargesTitle}>
          ★ {stars ? m.chargesStars(stars) : m.chargesAny}
        </span>
      )}
      {c.privacy_restricted && (
        <span class="tag tag-warn" data-testid="mark-privacy" title={m.privacyTitle}>
          {m.privacyMark}
        </span>
      )}
    </span>
  );
}

function pageSize(v: string | null): number {
  const n = v && /^\d+$/.test(v) ? Number(v) : PAGE;
  return Math.min(200, Math.max(1, n));
}

export function ContactsView({ state, query }: { state: SessionState; query: URLSearchParams }) {
  const [limit] = useState(pageSize(query.get('limit')));
  const [q, setQ] = useState(query.get('q') ?? '');
  const [category, setCategory] = useState<Category | ''>(asCategory(query.get('category')));
  const [optedOut, setOptedOut] = useState<OptedOut>(asOptedOut(query.get('opted_out')));
  const [exporting, setExporting] = useState(false);
  const [debouncedQ, setDebouncedQ] = useState(q);
  /** The search whose results are shown ("q|category", "|opted_out" when set): lets tests and tools know the list is current. */
  const listKey = debouncedQ + '|' + category + (optedOut ? '|' + optedOut : '');
  /** The currency of `spent` (the account's: the one most of its orders use; GET /contacts gives it). */
  const [currency, setCurrency] = useState<string | null>(null);
  const list = usePaged<Contact, number>(async (after) => {
    const page = await listContacts({ q: debouncedQ, category, opted_out: optedOutQuery(optedOut), limit, after });
    if (page.currency) setCurrency(page.currency);
    return { items: page.contacts, next: page.next_after };
  }, listKey);
  const { items: contacts, next: nextAfter, loading, loadedKey } = list;
  const [error, setError] = useState<string | null>(null);
  const [syncNote, setSyncNote] = useState<string | null>(null);

  useEffect(() => {
    const t = window.setTimeout(() => setDebouncedQ(q.trim()), 250);
    return () => window.clearTimeout(t);
  }, [q]);

  const load = list.load;
  useEffect(() => {
    replaceQuery({ q: debouncedQ, category, opted_out: optedOut, limit: limit === PAGE ? '' : String(limit) });
    void load(null);
  }, [debouncedQ, category, optedOut]);

  async function exportCsv() {
    setExporting(true);
    setError(null);
    try {
      await exportContacts({ q: debouncedQ, category, opted_out: optedOutQuery(optedOut) });
    } catch (e) {
      setError(M().exportFailed(describeError(e)));
    } finally {
      setExporting(false);
    }
  }

  async function sync() {
    setSyncNote(null);
    try {
      const r = await syncSession();
      setSyncNote(M().synced(r.contacts_added, r.contacts_updated));
      await load(null);
    } catch (e) {
      setError(describeError(e));
    }
  }

  const connected = state.session?.status === 'connected';
  const filtered = debouncedQ !== '' || category !== '' || optedOut !== '';
  const m = M();

  return (
    <main class="page" id="main">
      <div class="page-head">
        <h1>{m.title}</h1>
        <div class="actions">
          {connected && (
            <button type="button" class="btn btn-sm" onClick={sync}>
              {m.syncNow}
            </button>
          )}
          <button
            type="button"
            class="btn btn-sm"
            onClick={() => void exportCsv()}
            disabled={exporting}
            title={m.exportTitle}
            data-testid="export-csv"
          >
            {exporting ? m.exporting : m.exportCsv}
          </button>
        </div>
      </div>
      {state.session && !connected && (
        <div class="alert alert-info">
          {m.notConnected}{' '}
          <a href="/app/connect" onClick={onLinkClick}>
            {m.connect}
          </a>
          {m.toCollect}
        </div>
      )}
      {syncNote && (
        <div class="alert alert-info" role="status">
          {syncNote}
        </div>
      )}
      <form class="toolbar" role="search" onSubmit={(e) => e.preventDefault()}>
        <div class="field grow">
          <label for="contacts-q">{m.search}</label>
          <input
            id="contacts-q"
            type="search"
            name="q"
            placeholder={m.searchPlaceholder}
            maxLength={100}
            value={q}
            onInput={(e) => setQ(e.currentTarget.value)}
          />
        </div>
        <div class="field">
          <label for="contacts-category">{m.category}</label>
          <select
            id="contacts-category"
            name="category"
            value={category}
            onChange={(e) => setCategory(asCategory(e.currentTarget.value))}
          >
            <option value="">{m.allCategories}</option>
            {CATEGORY_VALUES.map((c) => (
              <option key={c} value={c}>
                {categoryLabel(c)}
              </option>
            ))}
          </select>
        </div>
        <div class="field">
          <label for="contacts-opted-out">{m.optOuts}</label>
          <select id="contacts-opted-out" name="opted_out" value={optedOut} onChange={(e) => setOptedOut(asOptedOut(e.currentTarget.value))}>
            <option value="">{m.everyone}</option>
            <option value="false">{m.notOptedOut}</option>
            <option value="true">{m.optedOut}</option>
          </select>
        </div>
      </form>
      <FormError message={error ?? list.error} />

      <section class="card card-flush" aria-busy={loading ? 'true' : 'false'} data-loaded={loading ? undefined : (loadedKey ?? undefined)}>
        {contacts === null ? (
          /* As tall as the screen while the first page loads, so the footer below is out of view
             and does not jump when the rows arrive (Lighthouse's layout shift). */
          <p class="empty list-wait">{m.loading}</p>
        ) : contacts.length === 0 ? (
          <p class="empty">
            {filtered ? m.noMatch : connected ? m.noneConnected : m.none}
          </p>
        ) : (
          <table class="table contacts">
            <caption class="sr-only">{m.title}</caption>
            <thead>
              <tr>
                <th scope="col">{m.name}</th>
                <th scope="col">{m.category}</th>
                <th scope="col">{m.lastMessage}</th>
                <th scope="col" class="num">
                  {m.orders}
                </th>
                <th scope="col" class="num">
                  {m.spent}
                  {currency ? ` (${currency})` : ''}
                </th>
              </tr>
            </thead>
            <tbody>
              {contacts.map((c) => (
                <tr key={c.id} data-testid="contact-row">
                  <td data-label={m.name}>
                    <div class="who">
                      <span class="avatar" aria-hidden="true">
                        {initials(c)}
                      </span>
                      <div class="who-text">
                        <a class="name" href={`/app/contacts/${c.id}`} onClick={onLinkClick} data-testid="contact-name" translate={nameIsData(c) ? false : undefined}>
                          {displayName(c)}
                        </a>
                        {(c.username || c.phone) && (
                          <span class="sub" translate={false}>
                            {[c.username ? '@' + c.username : null, c.phone].filter(Boolean).join(' · ')}
                          </span>
                        )}
                      </div>
                      <Marks c={c} />
                    </div>
                  </td>
                  <td data-label={m.category}>
                    <CategoryBadge c={c} />
                  </td>
                  <td data-label={m.lastMessage}>
                    <span class="when">
                      {c.last_message_at ? (
                        <time dateTime={c.last_message_at} title={dateTime.format(new Date(c.last_message_at))}>
                          {relative(c.last_message_at)}
                        </time>
                      ) : (
                        <span class="muted">—</span>
                      )}
                      <span class="sub">{m.messagesCount(c.messages_count)}</span>
                    </span>
                  </td>
                  <td data-label={m.orders} class="num">
                    {c.orders_count}
                  </td>
                  <td data-label={m.spent} class="num">
                    {c.spent ? <span data-testid="contact-spent">{money(c.spent, currency)}</span> : <span class="muted">—</span>}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
      <div class="list-foot">
        <span class="muted" role="status">
          {contacts ? m.shown(contacts.length) : ''}
        </span>
        {nextAfter != null && (
          <button type="button" class="btn" onClick={() => void load(nextAfter)} disabled={loading}>
            {loading ? m.loadingMore : m.loadMore}
          </button>
        )}
      </div>
    </main>
  );
}
