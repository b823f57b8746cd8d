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
import { messages } from '../i18n';
import '../shop.css';

const PAGE = 50;

const M = messages(
  {
    ref: 'Tracked link',
    discount_code: 'Discount code',
    window: 'Message within 7 days',
    order: 'Order',
    date: 'Date',
    amount: 'Amount',
    status: 'Status',
    creditedTo: 'Credited to',
    how: 'How',
    testTitle: 'A test order: listed, never credited, not in revenue',
    test: 'Test',
    refunded: 'Refunded',
    paid: 'Paid',
    campaign: (id: number) => `Campaign ${id}`,
    testOrder: 'Test order',
    notCredited: 'Not credited',
    title: 'Orders',
    connectShop: 'Connect your shop',
    i1: 'The orders your shop sent, newest first. Each is credited to a campaign by its ',
    i2: 'tracked link',
    i3: ' (the ',
    i4: ' a link added), else by a campaign\'s ',
    i5: 'discount code',
    i6: ', else to the latest campaign message the customer got ',
    i7: 'within 7 days',
    i8: ' before ordering.',
    empty: 'No orders yet.',
    emptyLink: 'Connect your shop',
    emptyRest: ' so that its orders arrive here, or import a CSV file of them.',
    loading: 'Loading…',
    more: 'Load more',
  },
  {
    ref: 'Отслеживаемая ссылка',
    discount_code: 'Промокод',
    window: 'Сообщение за 7 дней',
    order: 'Заказ',
    date: 'Дата',
    amount: 'Сумма',
    status: 'Статус',
    creditedTo: 'Засчитан кампании',
    how: 'Как',
    testTitle: 'Тестовый заказ: виден в списке, но никогда не засчитывается и не входит в выручку',
    test: 'Тест',
    refunded: 'Возврат',
    paid: 'Оплачен',
    campaign: (id) => `Кампания ${id}`,
    testOrder: 'Тестовый заказ',
    notCredited: 'Не засчитан',
    title: 'Заказы',
    connectShop: 'Подключить магазин',
    i1: 'Заказы, которые прислал ваш магазин, сначала новые. Каждый засчитывается кампании по её ',
    i2: 'отслеживаемой ссылке',
    i3: ' (метка ',
    i4: ', которую добавила ссылка), иначе по ',
    i5: 'промокоду',
    i6: ' кампании, иначе — последней кампании, сообщение которой покупатель получил ',
    i7: 'за 7 дней',
    i8: ' до заказа.',
    empty: 'Заказов пока нет.',
    emptyLink: 'Подключите магазин',
    emptyRest: ', чтобы его заказы приходили сюда, или импортируйте их из CSV-файла.',
    loading: 'Загрузка…',
    more: 'Показать ещё',
  },
);

/** How an order was credited, in words. */
export const viaLabel = (via: Exclude<AttributedVia, null>) => M()[via];

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
  const m = M();
  return (
    <table class="table orders" data-testid="orders-table">
      <thead>
        <tr>
          <th scope="col">{m.order}</th>
          <th scope="col">{m.date}</th>
          <th scope="col" class="num">
            {m.amount}
          </th>
          <th scope="col">{m.status}</th>
          <th scope="col">{m.creditedTo}</th>
          <th scope="col">{m.how}</th>
        </tr>
      </thead>
      <tbody>
        {orders.map((o) => {
          const cid = o.attributed_campaign_id;
          return (
            <tr key={o.order_id} data-testid="order-row" data-order-id={o.order_id} class={o.order_id === highlight ? 'just-arrived' : undefined}>
              <td data-label={m.order}>
                <span class="name" translate={false}>
                  {o.order_id}
                </span>
                {o.test && (
                  <span class="tag tag-test" data-testid="order-test" title={m.testTitle}>
                    {m.test}
                  </span>
                )}
              </td>
              <td data-label={m.date} class="date">{dateTime.format(new Date(o.created_at))}</td>
              <td data-label={m.amount} class="num">
                {money(o.amount, o.currency)}
              </td>
              <td data-label={m.status}>
                <span class={o.status === 'refunded' ? 'bad-text' : undefined}>{o.status === 'refunded' ? m.refunded : m.paid}</span>
              </td>
              <td data-label={m.creditedTo} data-testid="order-campaign">
                {cid ? (
                  <a href={`/app/campaigns/${cid}/scorecard`} onClick={onLinkClick}>
                    {names.has(cid) ? <span translate={false}>{names.get(cid)}</span> : m.campaign(cid)}
                  </a>
                ) : (
                  <span class="muted">—</span>
                )}
              </td>
              <td data-label={m.how} data-testid="order-via">
                {o.attributed_via ? viaLabel(o.attributed_via) : <span class="muted">{o.test ? m.testOrder : m.notCredited}</span>}
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

  const m = M();
  return (
    <main class="page" id="main">
      <div class="page-head">
        <h1>{m.title}</h1>
        <a class="btn" href="/app/shop" onClick={onLinkClick}>
          {m.connectShop}
        </a>
      </div>
      <p class="muted">
        {m.i1}
        <strong>{m.i2}</strong>
        {m.i3}
        <code translate={false}>tgr_ref</code>
        {m.i4}
        <strong>{m.i5}</strong>
        {m.i6}
        <strong>{m.i7}</strong>
        {m.i8}
      </p>
      <FormError message={error} />
      <section class="card card-flush" data-loaded={loaded ? 'orders' : undefined}>
        {loaded && orders.length === 0 && !error ? (
          <div class="empty">
            <p>
              <strong>{m.empty}</strong>
            </p>
            <p class="muted">
              <a href="/app/shop" onClick={onLinkClick}>
                {m.emptyLink}
              </a>
              {m.emptyRest}
            </p>
          </div>
        ) : (
          <OrdersTable orders={orders} names={names} />
        )}
        {next != null && (
          <div class="list-foot">
            <button type="button" class="btn" onClick={() => load(next)} disabled={busy}>
              {busy ? m.loading : m.more}
            </button>
          </div>
        )}
      </section>
    </main>
  );
}
