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
import { count, dateTime, money, reasonExplain, reasonLabel, when } from '../results/format';
import { NotFoundPage } from '../results/ui';
import { usePaged } from '../results/usePaged';
import { onLinkClick } from '../router';
import { CategoryBadge, Marks, categoryLabel, displayName, initials, nameIsData, privacyNote } from './Contacts';
import { Field, FormError } from './Field';
import { PrivacyControl } from './ContactPrivacy';
import { M, type Who } from './Contact.i18n';

const PAGE = 50;
/** The orders list reads the timeline in pages this big, this many at most. */
const ORDER_SCAN_PAGE = 500;
const ORDER_SCAN_PAGES = 4;

const str = (v: unknown): string | null => (typeof v === 'string' && v ? v : null);
const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

function pageSize(v: string | null): number {
  const n = v && /^\d+$/.test(v) ? Number(v) : PAGE;
  return Math.min(500, Math.max(1, n));
}

/** Who changed an opt-out: by the shop in the app, through the API, by writing "stop"… */
function byWhom(d: Record<string, unknown>): Who | null {
  const source = str(d.source);
  const actor = str(d.actor);
  if (source === 'stop_message') return 'stop';
  if (source === 'before_audit') return 'before';
  if (source === 'classification') return null;
  if (actor === 'user') return 'user';
  if (actor === 'api_key') return 'api';
  if (actor === 'system') return 'system';
  return null;
}

/** A category's name, else the value as it came. */
const categoryWords = (c: string) => categoryLabel(c) ?? c;

interface Described {
  title: ComponentChildren;
  body?: ComponentChildren;
  tone: 'in' | 'out' | 'ok' | 'bad' | 'info' | 'warn';
}

/** One event in words: what happened, and the person's or the campaign's text beside it. */
function describe(e: TimelineEvent, campaignName: (id: number | null) => ComponentChildren): Described {
  const m = M();
  const d = e.details ?? {};
  const step = num(d.step);
  const inCampaign = (of: string) =>
    e.campaign_id != null ? (
      <>
        {of}
        {campaignName(e.campaign_id)}
      </>
    ) : null;
  const amount = num(d.amount);
  const price = amount !== null ? money(amount, str(d.currency)) : null;
  const what = step !== null ? m.stepWords(step) : m.aMessage;
  /** An order's id is the shop's: not translated. */
  const orderId = e.text ? <span translate={false}>#{e.text}</span> : null;
  switch (e.type) {
    case 'message_in':
      return { title: m.wroteToYou, body: e.text ? <q class="tl-quote" translate={false}>{e.text}</q> : null, tone: 'in' };
    case 'message_out':
      return { title: m.youWrote, body: e.text ? <q class="tl-quote" translate={false}>{e.text}</q> : null, tone: 'out' };
    case 'campaign_sent':
      return {
        title: (
          <>
            {m.got(what)}
            {inCampaign(m.ofCampaign)}
          </>
        ),
        tone: 'out',
      };
    case 'campaign_failed': {
      const code = str(d.error_code);
      const explain = code ? reasonExplain(code) : null;
      return {
        title: (
          <>
            {m.notDelivered(code ? reasonLabel(code).toLowerCase() : null)}
            {code && (
              <>
                {' '}
                <code class="reason-code">{code}</code>
              </>
            )}
            {inCampaign(m.failedOf)}
          </>
        ),
        body: explain ? <span class="sub">{explain}</span> : null,
        tone: 'bad',
      };
    }
    case 'read':
      return {
        title: (
          <>
            {m.read(what)}
            {inCampaign(m.ofCampaign)}
          </>
        ),
        tone: 'info',
      };
    case 'replied':
      return { title: e.campaign_id != null ? inCampaign(m.repliedTo) : m.repliedAny, tone: 'info' };
    case 'clicked':
      return {
        title: (
          <>
            {m.clicked}
            {inCampaign(m.clickedIn)}
          </>
        ),
        body: e.text ? (
          <span class="sub tl-url" translate={false}>
            {e.text}
          </span>
        ) : null,
        tone: 'info',
      };
    case 'order':
      return {
        title: (
          <>
            {m.ordered}
            {orderId}
            {price ? ` · ${price}` : ''}
          </>
        ),
        body: e.campaign_id != null ? <span class="sub">{inCampaign(m.creditedTo)}</span> : null,
        tone: 'ok',
      };
    case 'refund':
      return {
        title: (
          <>
            {m.refunded}
            {orderId}
            {price ? ` · ${price}` : ''}
          </>
        ),
        tone: 'bad',
      };
    case 'opted_out':
    case 'opted_in':
      return {
        title: m.opted(e.type === 'opted_out', byWhom(d)),
        body: e.text ? (
          <span class="sub">
            {m.reason}
            <span translate={false}>{e.text}</span>
          </span>
        ) : null,
        tone: e.type === 'opted_out' ? 'warn' : 'ok',
      };
    case 'category_changed': {
      const from = str(d.from);
      const to = str(d.to) ?? e.text;
      const conf = num(d.confidence);
      const toWords = to ? categoryWords(to) : m.unknownLower;
      return {
        title:
          from && from !== 'unknown' ? (
            <>
              {m.categoryChange}
              {categoryWords(from)} → {toWords}
            </>
          ) : (
            <>
              {m.classifiedAs}
              {toWords}
            </>
          ),
        body: conf !== null && conf > 0 ? <span class="sub">{m.confidence(Math.round(conf * 100))}</span> : null,
        tone: 'info',
      };
    }
    default:
      return { title: e.text ?? e.type, tone: 'info' };
  }
}

/** An event's kind in a word, for the timeline's left column. */
function kindWord(type: string): string {
  const m = M();
  switch (type) {
    case 'message_in':
    case 'message_out':
      return m.kindMessage;
    case 'campaign_sent':
    case 'campaign_failed':
      return m.kindCampaign;
    case 'read':
      return m.kindRead;
    case 'replied':
      return m.kindReply;
    case 'clicked':
      return m.kindClick;
    case 'order':
      return m.kindOrder;
    case 'refund':
      return m.kindRefund;
    case 'opted_out':
      return m.kindOptOut;
    case 'opted_in':
      return m.kindOptIn;
    case 'category_changed':
      return m.kindCategory;
    default:
      return type;
  }
}

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
            <span class="tl-kind">{kindWord(e.type)}</span>
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
      setError(M().reasonNeeded);
      return;
    }
    setBusy(true);
    try {
      onChanged(back ? await optIn(c.id, reason.trim()) : await optOut(c.id, reason));
    } catch (e) {
      setError(e instanceof ApiError && e.field === 'reason' ? M().reasonRefused(e.message) : describeError(e));
    } finally {
      setBusy(false);
    }
  }

  const m = M();
  return (
    <section class="card optout" aria-labelledby="optout-h" data-testid="opt-out">
      <h2 id="optout-h">{m.campaignMessages}</h2>
      {back ? (
        <p>
          <strong class="bad-text">{m.optedOutStrong}</strong>
          {m.optedOutText}
        </p>
      ) : (
        <p>{m.canReceive}</p>
      )}
      {!open ? (
        <button type="button" class={'btn btn-sm' + (back ? '' : ' btn-danger')} onClick={() => setOpen(true)} data-testid={back ? 'opt-in-open' : 'opt-out-open'}>
          {back ? m.optBackInOpen : m.optOutOpen}
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
            label={back ? m.whyBack : m.reasonOptional}
            error={error}
            hint={back ? m.hintBack : m.hintOut}
          >
            {(a) => <textarea {...a} rows={2} maxLength={500} value={reason} onInput={(ev) => setReason(ev.currentTarget.value)} />}
          </Field>
          <div class="actions">
            <button type="submit" class={'btn btn-sm' + (back ? ' btn-primary' : ' btn-danger')} disabled={busy} data-testid="opt-submit">
              {busy ? m.saving : back ? m.optBackIn : m.optOut}
            </button>
            <button type="button" class="btn btn-sm btn-ghost" onClick={() => setOpen(false)}>
              {m.cancel}
            </button>
          </div>
        </form>
      )}
    </section>
  );
}

/** The person's orders and refunds, read from the timeline (API.md has no per-person orders route). */
function Orders({ c, orders, more, campaignName }: { c: Contact; orders: TimelineEvent[] | null; more: boolean; campaignName: (id: number | null) => ComponentChildren }) {
  const m = M();
  return (
    <section class="card" aria-labelledby="orders-h" data-testid="contact-orders">
      <h2 id="orders-h">{m.orders}</h2>
      {orders === null ? (
        <p class="muted">{m.loading}</p>
      ) : orders.length === 0 ? (
        <p class="muted">{c.orders_count > 0 ? m.ordersUnread : m.noOrders}</p>
      ) : (
        <ul class="attr-list">
          {orders.map((e, i) => {
            const amount = num(e.details.amount);
            return (
              <li key={`${e.at}-${i}`} data-testid="contact-order" data-type={e.type}>
                <span class="attr-key">
                  {e.type === 'refund' ? m.refundPrefix : ''}
                  <span translate={false}>#{e.text ?? '?'}</span>
                  <span class="sub">
                    <time dateTime={e.at}>{dateTime.format(new Date(e.at))}</time>
                    {e.campaign_id != null && (
                      <>
                        {m.creditedToSub}
                        {campaignName(e.campaign_id)}
                      </>
                    )}
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
      {more && <p class="hint">{m.olderOrders}</p>}
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

  const m = M();
  const campaignName = (cid: number | null): ComponentChildren =>
    cid == null ? null : (
      <a href={`/app/campaigns/${cid}`} onClick={onLinkClick}>
        {m.quoteOpen}
        {names[cid] != null ? <span translate={false}>{names[cid]}</span> : m.campaignNumber(cid)}
        {m.quoteClose}
      </a>
    );

  if (notFound) return <NotFoundPage what={m.contact} back="/app/contacts" backLabel={m.backToContacts} />;
  if (erased !== null)
    return (
      <main class="page" id="main">
        <div class="card" data-testid="contact-erased" role="status">
          <h1>
            {m.erasedBefore}
            <span translate={false}>{erased}</span>
            {m.erasedAfter}
          </h1>
          <p>{m.erasedText}</p>
          <p>
            <a href="/app/contacts" onClick={onLinkClick}>
              {m.backToContacts}
            </a>
          </p>
        </div>
      </main>
    );

  const pct = c ? Math.round(Math.max(0, Math.min(1, c.confidence || 0)) * 100) : 0;
  return (
    <main class="page results contact-page" id="main" data-loaded={c && events && !loading ? 'contact' : undefined}>
      <a class="res-back" href="/app/contacts" onClick={onLinkClick}>
        {m.backArrow}
      </a>
      <FormError message={error ?? timeline.error} />
      {!c ? (
        !error && <p class="empty">{m.loadingContact}</p>
      ) : (
        <div class="contact-grid">
          <div class="contact-side">
            <section class="card profile" aria-labelledby="profile-h" data-testid="profile">
              <div class="who">
                <span class="avatar avatar-lg" aria-hidden="true">
                  {initials(c)}
                </span>
                <div class="who-text">
                  <h1 id="profile-h" class="name" data-testid="contact-title" translate={nameIsData(c) ? false : undefined}>
                    {displayName(c)}
                  </h1>
                  {(c.username || c.phone) && (
                    <span class="sub" translate={false}>
                      {[c.username ? '@' + c.username : null, c.phone].filter(Boolean).join(' · ')}
                    </span>
                  )}
                </div>
              </div>
              <p class="marks-line">
                <CategoryBadge c={c} /> <Marks c={c} />
              </p>
              <dl class="facts">
                <div>
                  <dt>{m.category}</dt>
                  <dd data-testid="contact-category">
                    {categoryWords(c.category)}
                    {pct > 0 ? m.withConfidence(pct) : m.noSignal}
                  </dd>
                </div>
                <div>
                  <dt>{m.lastMessage}</dt>
                  <dd>{c.last_message_at ? dateTime.format(new Date(c.last_message_at)) : '—'}</dd>
                </div>
                <div>
                  <dt>{m.messagesFact}</dt>
                  <dd>{count.format(c.messages_count)}</dd>
                </div>
                <div>
                  <dt>{m.orders}</dt>
                  <dd data-testid="contact-orders-count">{count.format(c.orders_count)}</dd>
                </div>
                <div>
                  <dt>{m.spent}</dt>
                  <dd>{c.spent ? money(c.spent, currency) : '—'}</dd>
                </div>
                <div>
                  <dt>{m.telegramId}</dt>
                  <dd>{c.tg_user_id}</dd>
                </div>
              </dl>
              {c.charges_for_messages && <p class="hint">{m.chargesHint(c.charges_stars)}</p>}
              {c.privacy_restricted && <p class="hint">{privacyNote()}</p>}
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
              <h2 id="timeline-h">{m.timeline}</h2>
              <span class="muted">{m.newestFirst}</span>
            </div>
            {events === null ? (
              <p class="empty">{m.loadingTimeline}</p>
            ) : events.length === 0 ? (
              <p class="empty">{m.nothingYet}</p>
            ) : (
              <Timeline events={events} campaignName={campaignName} />
            )}
            {next && (
              <div class="log-more">
                <button type="button" class="btn btn-sm" onClick={() => void loadTimeline(next)} disabled={loading} data-testid="timeline-more">
                  {loading ? m.loading : m.showOlder}
                </button>
              </div>
            )}
          </section>
        </div>
      )}
    </main>
  );
}
