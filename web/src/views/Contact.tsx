// Contact — one person (issue 16; API.md "Results per person", "Opt-outs"): the profile, the
// category with its confidence, what Telegram told about them (charges Stars, privacy restricted),
// their orders, the timeline (GET /contacts/:id/timeline, newest first, paged with "Show older";
// each event in words), and opting them out by hand (a reason optional) or back in (a reason
// required, kept in the contact's audit log). `?limit=` sets the timeline's page size. Everything
// the person wrote or is called is rendered as text only.
import type { ComponentChildren } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import '../results.css';
import '../people.css';
import { ApiError, describeError, listCampaigns, listContacts, type Contact } from '../api';
import { getContact, getTimeline, optIn, optOut, type TimelineEvent } from '../api-people';
import { count, dateTime, money, reasonExplain, reasonLabel, stepLabel, when } from '../results/format';
import { NotFoundPage } from '../results/ui';
import { usePaged } from '../results/usePaged';
import { onLinkClick } from '../router';
import { CategoryBadge, Marks, displayName, initials } from './Contacts';
import { Field, FormError } from './Field';
import { PrivacyControl } from './ContactPrivacy';

const PAGE = 50;
/** The orders list reads the timeline in pages this big, this many at most. */
const ORDER_SCAN_PAGE = 500;
const ORDER_SCAN_PAGES = 4;

const CATEGORY_WORDS: Record<string, string> = { buyer: 'Buyer', browser: 'Browser', refund_risk: 'Refund risk', unknown: 'Unknown' };

const str = (v: unknown): string | null => (typeof v === 'string' && v ? v : null);
const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

function pageSize(v: string | null): number {
  const n = v && /^\d+$/.test(v) ? Number(v) : PAGE;
  return Math.min(500, Math.max(1, n));
}

/** Who changed an opt-out: by the shop in the app, through the API, by writing "stop"… */
function byWhom(d: Record<string, unknown>): string | null {
  const source = str(d.source);
  const actor = str(d.actor);
  if (source === 'stop_message') return 'by writing “stop”';
  if (source === 'before_audit') return 'before tgr kept this log';
  if (source === 'classification') return null;
  if (actor === 'user') return 'by you';
  if (actor === 'api_key') return 'through the API';
  if (actor === 'system') return 'by tgr';
  return null;
}

interface Described {
  title: ComponentChildren;
  body?: ComponentChildren;
  tone: 'in' | 'out' | 'ok' | 'bad' | 'info' | 'warn';
}

/** One event in words: what happened, and the person's or the campaign's text beside it. */
function describe(e: TimelineEvent, campaignName: (id: number | null) => ComponentChildren): Described {
  const d = e.details ?? {};
  const step = num(d.step);
  const inCampaign = e.campaign_id != null ? <> of {campaignName(e.campaign_id)}</> : null;
  const amount = num(d.amount);
  const price = amount !== null ? money(amount, str(d.currency)) : null;
  switch (e.type) {
    case 'message_in':
      return { title: 'Wrote to you', body: e.text ? <q class="tl-quote">{e.text}</q> : null, tone: 'in' };
    case 'message_out':
      return { title: 'You wrote', body: e.text ? <q class="tl-quote">{e.text}</q> : null, tone: 'out' };
    case 'campaign_sent':
      return { title: <>Got the {step !== null ? stepLabel(step).toLowerCase() : 'message'}{inCampaign}</>, tone: 'out' };
    case 'campaign_failed': {
      const code = str(d.error_code);
      const explain = code ? reasonExplain(code) : null;
      return {
        title: (
          <>
            Not delivered: {code ? reasonLabel(code).toLowerCase() : 'failed'}
            {code && (
              <>
                {' '}
                <code class="reason-code">{code}</code>
              </>
            )}
            {inCampaign}
          </>
        ),
        body: explain ? <span class="sub">{explain}</span> : null,
        tone: 'bad',
      };
    }
    case 'read':
      return { title: <>Read the {step !== null ? stepLabel(step).toLowerCase() : 'message'}{inCampaign}</>, tone: 'info' };
    case 'replied':
      return { title: <>Replied to {e.campaign_id != null ? campaignName(e.campaign_id) : 'a campaign'}</>, tone: 'info' };
    case 'clicked':
      return { title: <>Clicked a link{e.campaign_id != null ? <> in {campaignName(e.campaign_id)}</> : null}</>, body: e.text ? <span class="sub tl-url">{e.text}</span> : null, tone: 'info' };
    case 'order':
      return {
        title: (
          <>
            Ordered {e.text ? `#${e.text}` : ''}
            {price ? ` · ${price}` : ''}
          </>
        ),
        body: e.campaign_id != null ? <span class="sub">Credited to {campaignName(e.campaign_id)}</span> : null,
        tone: 'ok',
      };
    case 'refund':
      return { title: <>Refunded {e.text ? `#${e.text}` : ''}{price ? ` · ${price}` : ''}</>, tone: 'bad' };
    case 'opted_out':
    case 'opted_in': {
      const who = byWhom(d);
      return {
        title: (
          <>
            {e.type === 'opted_out' ? 'Opted out' : 'Opted back in'}
            {who ? ` ${who}` : ''}
          </>
        ),
        body: e.text ? <span class="sub">Reason: {e.text}</span> : null,
        tone: e.type === 'opted_out' ? 'warn' : 'ok',
      };
    }
    case 'category_changed': {
      const from = str(d.from);
      const to = str(d.to) ?? e.text;
      const conf = num(d.confidence);
      const toWords = to ? (CATEGORY_WORDS[to] ?? to) : 'unknown';
      return {
        title: from && from !== 'unknown' ? <>Category: {CATEGORY_WORDS[from] ?? from} → {toWords}</> : <>Classified as {toWords}</>,
        body: conf !== null && conf > 0 ? <span class="sub">{Math.round(conf * 100)}% confidence</span> : null,
        tone: 'info',
      };
    }
    default:
      return { title: e.text ?? e.type, tone: 'info' };
  }
}

const TYPE_WORDS: Record<string, string> = {
  message_in: 'Message',
  message_out: 'Message',
  campaign_sent: 'Campaign',
  campaign_failed: 'Campaign',
  read: 'Read',
  replied: 'Reply',
  clicked: 'Click',
  order: 'Order',
  refund: 'Refund',
  opted_out: 'Opt-out',
  opted_in: 'Opt-in',
  category_changed: 'Category',
};

function Timeline(props: { events: TimelineEvent[]; campaignName: (id: number | null) => ComponentChildren }) {
  return (
    <ol class="timeline" data-testid="timeline">
      {props.events.map((e, i) => {
        const x = describe(e, props.campaignName);
        return (
          <li key={`${e.at}-${e.type}-${i}`} class={'tl-item tl-' + x.tone} data-testid="timeline-event" data-type={e.type}>
            <time class="tl-time" dateTime={e.at} title={dateTime.format(new Date(e.at))}>
              {when(e.at)}
            </time>
            <span class="tl-kind">{TYPE_WORDS[e.type] ?? e.type}</span>
            <div class="tl-main">
              <span class="tl-title">{x.title}</span>
              {x.body}
            </div>
          </li>
        );
      })}
    </ol>
  );
}

/** Opt out (a reason optional) or back in (a reason required): a button that opens a small form. */
function OptOutControl({ c, onChanged }: { c: Contact; onChanged: (c: Contact) => void }) {
  const [open, setOpen] = useState(false);
  const [reason, setReason] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const back = c.opted_out;
  useEffect(() => {
    setOpen(false);
    setReason('');
    setError(null);
  }, [c.opted_out]);

  async function submit() {
    setError(null);
    if (back && !reason.trim()) {
      setError('Say why this person may get campaigns again: the reason is kept in their log.');
      return;
    }
    setBusy(true);
    try {
      onChanged(back ? await optIn(c.id, reason.trim()) : await optOut(c.id, reason));
    } catch (e) {
      setError(e instanceof ApiError && e.field === 'reason' ? e.message.replace(/^./, (x) => x.toUpperCase()) : describeError(e));
    } finally {
      setBusy(false);
    }
  }

  return (
    <section class="card optout" aria-labelledby="optout-h" data-testid="opt-out">
      <h2 id="optout-h">Campaign messages</h2>
      {back ? (
        <p>
          <strong class="bad-text">Opted out.</strong> This person gets no campaign messages and follow-ups from you.
        </p>
      ) : (
        <p>This person can receive your campaigns. Opt them out if they asked you to stop, whatever way they said it.</p>
      )}
      {!open ? (
        <button type="button" class={'btn btn-sm' + (back ? '' : ' btn-danger')} onClick={() => setOpen(true)} data-testid={back ? 'opt-in-open' : 'opt-out-open'}>
          {back ? 'Opt back in…' : 'Opt out…'}
        </button>
      ) : (
        <form
          noValidate
          onSubmit={(ev) => {
            ev.preventDefault();
            void submit();
          }}
        >
          <Field
            id="optout-reason"
            label={back ? 'Why may they get campaigns again?' : 'Reason (optional)'}
            error={error}
            hint={back ? 'Required, kept in their log (e.g. “asked for the offers again by phone, 12 May”).' : 'Kept in their log, e.g. “asked by phone to stop”.'}
          >
            {(a) => <textarea {...a} rows={2} maxLength={500} value={reason} onInput={(ev) => setReason(ev.currentTarget.value)} />}
          </Field>
          <div class="actions">
            <button type="submit" class={'btn btn-sm' + (back ? ' btn-primary' : ' btn-danger')} disabled={busy} data-testid="opt-submit">
              {busy ? 'Saving…' : back ? 'Opt back in' : 'Opt out'}
            </button>
            <button type="button" class="btn btn-sm btn-ghost" onClick={() => setOpen(false)}>
              Cancel
            </button>
          </div>
        </form>
      )}
    </section>
  );
}

/** The person's orders and refunds, read from the timeline (API.md has no per-person orders route). */
function Orders({ c, orders, more, campaignName }: { c: Contact; orders: TimelineEvent[] | null; more: boolean; campaignName: (id: number | null) => ComponentChildren }) {
  return (
    <section class="card" aria-labelledby="orders-h" data-testid="contact-orders">
      <h2 id="orders-h">Orders</h2>
      {orders === null ? (
        <p class="muted">Loading…</p>
      ) : orders.length === 0 ? (
        <p class="muted">{c.orders_count > 0 ? 'Orders are counted, but none is in the history read so far.' : 'No orders yet.'}</p>
      ) : (
        <ul class="attr-list">
          {orders.map((e, i) => {
            const amount = num(e.details.amount);
            return (
              <li key={`${e.at}-${i}`} data-testid="contact-order" data-type={e.type}>
                <span class="attr-key">
                  {e.type === 'refund' ? 'Refund ' : ''}#{e.text ?? '?'}
                  <span class="sub">
                    <time dateTime={e.at}>{dateTime.format(new Date(e.at))}</time>
                    {e.campaign_id != null && <> · credited to {campaignName(e.campaign_id)}</>}
                  </span>
                </span>
                <span class={'attr-val' + (e.type === 'refund' ? ' bad-text' : '')}>
                  {amount !== null ? (e.type === 'refund' ? '−' : '') + money(amount, str(e.details.currency)) : ''}
                </span>
              </li>
            );
          })}
        </ul>
      )}
      {more && <p class="hint">Older orders are in the timeline below.</p>}
    </section>
  );
}

export function ContactView(props: { id: number; query: URLSearchParams }) {
  const { id } = props;
  const [limit] = useState(pageSize(props.query.get('limit')));
  const [c, setC] = useState<Contact | null>(null);
  const [notFound, setNotFound] = useState(false);
  const [erased, setErased] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const timeline = usePaged<TimelineEvent, string>(async (after) => {
    const p = await getTimeline(id, limit, after);
    return { items: p.events, next: p.next_after };
  }, 'timeline');
  const { items: events, next, loading, load: loadTimeline } = timeline;
  const [orders, setOrders] = useState<TimelineEvent[] | null>(null);
  const [moreOrders, setMoreOrders] = useState(false);
  const [names, setNames] = useState<Record<number, string>>({});
  /** spent's currency, as the contacts list gives it (issue 18). */
  const [currency, setCurrency] = useState<string | null>(null);
  async function loadOrders() {
    const found: TimelineEvent[] = [];
    let after: string | null = null;
    let pages = 0;
    try {
      do {
        const p: { events: TimelineEvent[]; next_after: string | null } = await getTimeline(id, ORDER_SCAN_PAGE, after);
        found.push(...p.events.filter((e) => e.type === 'order' || e.type === 'refund'));
        after = p.next_after;
      } while (after && ++pages < ORDER_SCAN_PAGES);
      setOrders(found);
      setMoreOrders(after !== null);
    } catch {
      setOrders(found);
      setMoreOrders(true);
    }
  }

  useEffect(() => {
    getContact(id).then(setC, (e: unknown) => {
      if (e instanceof ApiError && e.status === 404) setNotFound(true);
      else setError(describeError(e));
    });
    listCampaigns().then(
      (l) => setNames(Object.fromEntries(l.campaigns.map((x) => [x.id, x.name]))),
      () => undefined,
    );
    listContacts({ limit: 1 }).then(
      (p) => setCurrency(p.currency ?? null),
      () => undefined,
    );
    void loadTimeline(null);
    void loadOrders();
  }, [id]);

  const campaignName = (cid: number | null): ComponentChildren =>
    cid == null ? null : (
      <a href={`/app/campaigns/${cid}`} onClick={onLinkClick}>
        “{names[cid] ?? `campaign #${cid}`}”
      </a>
    );

  if (notFound) return <NotFoundPage what="Contact" back="/app/contacts" backLabel="Back to contacts" />;
  if (erased !== null)
    return (
      <main class="page" id="main">
        <div class="card" data-testid="contact-erased" role="status">
          <h1>{erased} was erased</h1>
          <p>Nothing about this person is kept. Your campaign counts and revenue are unchanged.</p>
          <p>
            <a href="/app/contacts" onClick={onLinkClick}>
              Back to contacts
            </a>
          </p>
        </div>
      </main>
    );

  const pct = c ? Math.round(Math.max(0, Math.min(1, c.confidence || 0)) * 100) : 0;
  return (
    <main class="page results contact-page" id="main" data-loaded={c && events && !loading ? 'contact' : undefined}>
      <a class="res-back" href="/app/contacts" onClick={onLinkClick}>
        ← Contacts
      </a>
      <FormError message={error ?? timeline.error} />
      {!c ? (
        !error && <p class="empty">Loading the contact…</p>
      ) : (
        <div class="contact-grid">
          <div class="contact-side">
            <section class="card profile" aria-labelledby="profile-h" data-testid="profile">
              <div class="who">
                <span class="avatar avatar-lg" aria-hidden="true">
                  {initials(c)}
                </span>
                <div class="who-text">
                  <h1 id="profile-h" class="name" data-testid="contact-title">
                    {displayName(c)}
                  </h1>
                  {(c.username || c.phone) && <span class="sub">{[c.username ? '@' + c.username : null, c.phone].filter(Boolean).join(' · ')}</span>}
                </div>
              </div>
              <p class="marks-line">
                <CategoryBadge c={c} /> <Marks c={c} />
              </p>
              <dl class="facts">
                <div>
                  <dt>Category</dt>
                  <dd data-testid="contact-category">
                    {CATEGORY_WORDS[c.category] ?? c.category}
                    {pct > 0 ? `, ${pct}% confidence` : ' (no signal yet)'}
                  </dd>
                </div>
                <div>
                  <dt>Last message</dt>
                  <dd>{c.last_message_at ? dateTime.format(new Date(c.last_message_at)) : '—'}</dd>
                </div>
                <div>
                  <dt>Messages</dt>
                  <dd>{count.format(c.messages_count)}</dd>
                </div>
                <div>
                  <dt>Orders</dt>
                  <dd data-testid="contact-orders-count">{count.format(c.orders_count)}</dd>
                </div>
                <div>
                  <dt>Spent</dt>
                  <dd>{c.spent ? money(c.spent, currency) : '—'}</dd>
                </div>
                <div>
                  <dt>Telegram id</dt>
                  <dd>{c.tg_user_id}</dd>
                </div>
              </dl>
              {c.charges_for_messages && (
                <p class="hint">Telegram asks for {c.charges_stars ? `${c.charges_stars} Stars` : 'Stars'} to message this person. tgr never pays: campaigns leave them out unless their filters include them.</p>
              )}
              {c.privacy_restricted && <p class="hint">Their privacy settings refused the shop’s account. Campaigns leave them out unless their filters include them.</p>}
            </section>
            <OptOutControl
              c={c}
              onChanged={(next) => {
                setC(next);
                void loadTimeline(null);
              }}
            />
            <Orders c={c} orders={orders} more={moreOrders} campaignName={campaignName} />
            <PrivacyControl c={c} onErased={() => setErased(displayName(c))} />
          </div>
          <section class="card card-flush contact-timeline" aria-labelledby="timeline-h">
            <div class="card-head">
              <h2 id="timeline-h">Timeline</h2>
              <span class="muted">newest first</span>
            </div>
            {events === null ? (
              <p class="empty">Loading the timeline…</p>
            ) : events.length === 0 ? (
              <p class="empty">Nothing happened with this person yet.</p>
            ) : (
              <Timeline events={events} campaignName={campaignName} />
            )}
            {next && (
              <div class="log-more">
                <button type="button" class="btn btn-sm" onClick={() => void loadTimeline(next)} disabled={loading} data-testid="timeline-more">
                  {loading ? 'Loading…' : 'Show older'}
                </button>
              </div>
            )}
          </section>
        </div>
      )}
    </main>
  );
}
