// The orders page (issue 17): the latest orders the shop sent (webhook or CSV), newest first, with
// amount, status and which campaign each was credited to and how — tracked link, discount code or
// a campaign message within 7 days — so a shop can see attribution working. Test orders are
// marked. Nothing about customers is shown (the API gives nothing). OrdersTable is also the
// "recent orders" of the Connect your shop page.
import { useEffect, useState } from 'preact/hooks';
import { describeError, listCampaigns } from '../api';
import { listOrders, type AttributedVia, type Order } from '../api-shop';
import { dateTime, money } from '../results/format';
import { onLinkClick } from '../router';
import { FormError } from './Field';
import '../shop.css';

const PAGE = 50;

export const VIA_LABEL: Record<Exclude<AttributedVia, null>, string> = {
  ref: 'Tracked link',
  discount_code: 'Discount code',
  window: 'Message within 7 days',
};

/** Campaign names by id, for the "Credited to" column (one read per page). */
export function useCampaignNames(): Map<number, string> {
  const [names, setNames] = useState<Map<number, string>>(new Map());
  useEffect(() => {
    listCampaigns().then(
      (l) => setNames(new Map(l.campaigns.map((c) => [c.id, c.name]))),
      () => setNames(new Map()),
    );
  }, []);
  return names;
}

export function OrdersTable({ orders, names, highlight }: { orders: Order[]; names: Map<number, string>; highlight?: string | null }) {
  return (
    <table class="table orders" data-testid="orders-table">
      <thead>
        <tr>
          <th scope="col">Order</th>
          <th scope="col">Date</th>
          <th scope="col" class="num">
            Amount
          </th>
          <th scope="col">Status</th>
          <th scope="col">Credited to</th>
          <th scope="col">How</th>
        </tr>
      </thead>
      <tbody>
        {orders.map((o) => {
          const cid = o.attributed_campaign_id;
          return (
            <tr key={o.order_id} data-testid="order-row" data-order-id={o.order_id} class={o.order_id === highlight ? 'just-arrived' : undefined}>
              <td data-label="Order">
                <span class="name">{o.order_id}</span>
                {o.test && (
                  <span class="tag tag-test" data-testid="order-test" title="A test order: listed, never credited, not in revenue">
                    Test
                  </span>
                )}
              </td>
              <td data-label="Date">{dateTime.format(new Date(o.created_at))}</td>
              <td data-label="Amount" class="num">
                {money(o.amount, o.currency)}
              </td>
              <td data-label="Status">
                <span class={o.status === 'refunded' ? 'bad-text' : undefined}>{o.status === 'refunded' ? 'Refunded' : 'Paid'}</span>
              </td>
              <td data-label="Credited to" data-testid="order-campaign">
                {cid ? (
                  <a href={`/app/campaigns/${cid}/scorecard`} onClick={onLinkClick}>
                    {names.get(cid) ?? `Campaign ${cid}`}
                  </a>
                ) : (
                  <span class="muted">—</span>
                )}
              </td>
              <td data-label="How" data-testid="order-via">
                {o.attributed_via ? VIA_LABEL[o.attributed_via] : <span class="muted">{o.test ? 'Test order' : 'Not credited'}</span>}
              </td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}

export function OrdersView() {
  const names = useCampaignNames();
  const [orders, setOrders] = useState<Order[]>([]);
  const [next, setNext] = useState<number | null>(null);
  const [loaded, setLoaded] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  async function load(after: number | null) {
    setBusy(true);
    try {
      const page = await listOrders(PAGE, after);
      setOrders((old) => (after == null ? page.orders : [...old, ...page.orders]));
      setNext(page.next_after);
      setError(null);
    } catch (e) {
      setError(describeError(e));
    } finally {
      setBusy(false);
      setLoaded(true);
    }
  }
  useEffect(() => {
    void load(null);
  }, []);

  return (
    <main class="page" id="main">
      <div class="page-head">
        <h1>Orders</h1>
        <a class="btn" href="/app/shop" onClick={onLinkClick}>
          Connect your shop
        </a>
      </div>
      <p class="muted">
        The orders your shop sent, newest first. Each is credited to a campaign by its <strong>tracked link</strong> (the <code>tgr_ref</code> a link added), else
        by a campaign's <strong>discount code</strong>, else to the latest campaign message the customer got <strong>within 7 days</strong> before ordering.
      </p>
      <FormError message={error} />
      <section class="card card-flush" data-loaded={loaded ? 'orders' : undefined}>
        {loaded && orders.length === 0 && !error ? (
          <div class="empty">
            <p>
              <strong>No orders yet.</strong>
            </p>
            <p class="muted">
              <a href="/app/shop" onClick={onLinkClick}>
                Connect your shop
              </a>{' '}
              so that its orders arrive here, or import a CSV file of them.
            </p>
          </div>
        ) : (
          <OrdersTable orders={orders} names={names} />
        )}
        {next != null && (
          <div class="list-foot">
            <button type="button" class="btn" onClick={() => load(next)} disabled={busy}>
              {busy ? 'Loading…' : 'Load more'}
            </button>
          </div>
        )}
      </section>
    </main>
  );
}
