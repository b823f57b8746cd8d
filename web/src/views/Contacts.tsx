// Contacts: the list with search, category and opt-out filters and paging (kept in the URL), each
// contact's category and what Telegram told about them (opted out, charges Stars for messages,
// privacy settings refused the account); a name opens the contact's page (views/Contact.tsx), and
// "Export CSV" downloads contacts.csv with the page's filters (issue 16). Contact data is rendered
// as text only.
import { useEffect, useState } from 'preact/hooks';
import { describeError, listContacts, syncSession, type Category, type Contact } from '../api';
import { exportContacts } from '../api-people';
import { onLinkClick, replaceQuery } from '../router';
import type { SessionState } from '../main';
import { FormError } from './Field';
import { usePaged } from '../results/usePaged';
import { money } from '../results/format';

const PAGE = 50;
const CATEGORIES: { value: Category | ''; label: string }[] = [
  { value: '', label: 'All categories' },
  { value: 'buyer', label: 'Buyer' },
  { value: 'browser', label: 'Browser' },
  { value: 'refund_risk', label: 'Refund risk' },
];
const CATEGORY_LABEL: Record<string, string> = { buyer: 'Buyer', browser: 'Browser', refund_risk: 'Refund risk' };

function asCategory(v: string | null): Category | '' {
  return v === 'buyer' || v === 'browser' || v === 'refund_risk' ? v : '';
}

/** The opt-out filter as the URL and the select hold it: '', 'true' or 'false'. */
type OptedOut = '' | 'true' | 'false';
const asOptedOut = (v: string | null): OptedOut => (v === 'true' || v === 'false' ? v : '');
const optedOutQuery = (v: OptedOut): boolean | null => (v === '' ? null : v === 'true');

const fullTime = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });
const relTime = new Intl.RelativeTimeFormat(undefined, { numeric: 'auto' });

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
  return n || (c.username ? '@' + c.username : c.phone || 'Telegram user ' + c.tg_user_id);
}

export function initials(c: Contact): string {
  const n = displayName(c).replace(/^@/, '');
  return Array.from(n.trim())[0]?.toUpperCase() ?? '?';
}

export function CategoryBadge({ c }: { c: Contact }) {
  const label = CATEGORY_LABEL[c.category] ?? 'Unknown';
  const pct = Math.round(Math.max(0, Math.min(1, c.confidence || 0)) * 100);
  return (
    <span class={'cat cat-' + c.category} title={pct ? `${label}, ${pct}% confidence` : `${label} (no signal yet)`} data-testid="category-badge">
      {label}
      {/* Readable without hovering (phones have no hover): what the number is, in words (issue 18). */}
      <span class="cat-conf">{pct > 0 ? ` · ${pct}% sure` : ' · no signal yet'}</span>
    </span>
  );
}

/** What Telegram answered about this person, as small marks beside the name. */
export function Marks({ c }: { c: Contact }) {
  const stars = c.charges_stars;
  if (!c.opted_out && !c.charges_for_messages && !c.privacy_restricted) return null;
  return (
    <span class="marks">
      {c.opted_out && <span class="tag">opted out</span>}
      {c.charges_for_messages && (
        <span
          class="tag tag-warn"
          data-testid="mark-charges"
          title="Telegram asks for Stars to message this person. tgr never pays: campaigns leave them out unless their filters include them."
        >
          ★ {stars ? `charges ${stars} Stars` : 'charges Stars'}
        </span>
      )}
      {c.privacy_restricted && (
        <span
          class="tag tag-warn"
          data-testid="mark-privacy"
          title="Their privacy settings refused the shop’s account. Campaigns leave them out unless their filters include them."
        >
          privacy restricted
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
      setError('The export did not complete: ' + describeError(e));
    } finally {
      setExporting(false);
    }
  }

  async function sync() {
    setSyncNote(null);
    try {
      const r = await syncSession();
      setSyncNote(`Synced: ${r.contacts_added} new, ${r.contacts_updated} updated.`);
      await load(null);
    } catch (e) {
      setError(describeError(e));
    }
  }

  const connected = state.session?.status === 'connected';
  const filtered = debouncedQ !== '' || category !== '' || optedOut !== '';

  return (
    <main class="page" id="main">
      <div class="page-head">
        <h1>Contacts</h1>
        <div class="actions">
          {connected && (
            <button type="button" class="btn btn-sm" onClick={sync}>
              Sync now
            </button>
          )}
          <button
            type="button"
            class="btn btn-sm"
            onClick={() => void exportCsv()}
            disabled={exporting}
            title="Every contact of the search and filters below, as a spreadsheet file"
            data-testid="export-csv"
          >
            {exporting ? 'Exporting…' : 'Export CSV'}
          </button>
        </div>
      </div>
      {state.session && !connected && (
        <div class="alert alert-info">
          Telegram is not connected.{' '}
          <a href="/app/connect" onClick={onLinkClick}>
            Connect your Telegram account
          </a>{' '}
          to collect contacts.
        </div>
      )}
      {syncNote && (
        <div class="alert alert-info" role="status">
          {syncNote}
        </div>
      )}
      <form class="toolbar" role="search" onSubmit={(e) => e.preventDefault()}>
        <div class="field grow">
          <label for="contacts-q">Search</label>
          <input
            id="contacts-q"
            type="search"
            name="q"
            placeholder="Name, @username or phone"
            maxLength={100}
            value={q}
            onInput={(e) => setQ(e.currentTarget.value)}
          />
        </div>
        <div class="field">
          <label for="contacts-category">Category</label>
          <select
            id="contacts-category"
            name="category"
            value={category}
            onChange={(e) => setCategory(asCategory(e.currentTarget.value))}
          >
            {CATEGORIES.map((c) => (
              <option key={c.value} value={c.value}>
                {c.label}
              </option>
            ))}
          </select>
        </div>
        <div class="field">
          <label for="contacts-opted-out">Opt-outs</label>
          <select id="contacts-opted-out" name="opted_out" value={optedOut} onChange={(e) => setOptedOut(asOptedOut(e.currentTarget.value))}>
            <option value="">Everyone</option>
            <option value="false">Not opted out</option>
            <option value="true">Opted out</option>
          </select>
        </div>
      </form>
      <FormError message={error ?? list.error} />

      <section class="card card-flush" aria-busy={loading ? 'true' : 'false'} data-loaded={loading ? undefined : (loadedKey ?? undefined)}>
        {contacts === null ? (
          <p class="empty">Loading contacts…</p>
        ) : contacts.length === 0 ? (
          <p class="empty">
            {filtered
              ? 'No contacts match this search.'
              : connected
                ? 'No contacts yet. People who write to your Telegram account appear here after a sync.'
                : 'No contacts yet.'}
          </p>
        ) : (
          <table class="table contacts">
            <caption class="sr-only">Contacts</caption>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Category</th>
                <th scope="col">Last message</th>
                <th scope="col" class="num">
                  Orders
                </th>
                <th scope="col" class="num">
                  Spent{currency ? ` (${currency})` : ''}
                </th>
              </tr>
            </thead>
            <tbody>
              {contacts.map((c) => (
                <tr key={c.id} data-testid="contact-row">
                  <td data-label="Name">
                    <div class="who">
                      <span class="avatar" aria-hidden="true">
                        {initials(c)}
                      </span>
                      <div class="who-text">
                        <a class="name" href={`/app/contacts/${c.id}`} onClick={onLinkClick} data-testid="contact-name">
                          {displayName(c)}
                        </a>
                        {(c.username || c.phone) && (
                          <span class="sub">{[c.username ? '@' + c.username : null, c.phone].filter(Boolean).join(' · ')}</span>
                        )}
                      </div>
                      <Marks c={c} />
                    </div>
                  </td>
                  <td data-label="Category">
                    <CategoryBadge c={c} />
                  </td>
                  <td data-label="Last message">
                    <span class="when">
                      {c.last_message_at ? (
                        <time dateTime={c.last_message_at} title={fullTime.format(new Date(c.last_message_at))}>
                          {relative(c.last_message_at)}
                        </time>
                      ) : (
                        <span class="muted">—</span>
                      )}
                      <span class="sub">
                        {c.messages_count} message{c.messages_count === 1 ? '' : 's'}
                      </span>
                    </span>
                  </td>
                  <td data-label="Orders" class="num">
                    {c.orders_count}
                  </td>
                  <td data-label="Spent" class="num">
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
          {contacts ? `${contacts.length} shown` : ''}
        </span>
        {nextAfter != null && (
          <button type="button" class="btn" onClick={() => void load(nextAfter)} disabled={loading}>
            {loading ? 'Loading…' : 'Load more'}
          </button>
        )}
      </div>
    </main>
  );
}
