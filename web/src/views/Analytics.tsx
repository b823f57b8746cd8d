// Analytics — the account's dashboard (issue 7): revenue over time (Chart.js line, 7/30/90 days),
// who the contacts are (category doughnut), campaigns side by side (bars + a table), and the
// best-performing message lines from the scorecards of recent campaigns. Every chart has a text
// alternative: an aria-label summary plus a table (visible, or visually hidden for the line).
// The charts are rebuilt when the language changes (their labels are words).
import type { ChartConfiguration } from 'chart.js';
import { useMemo, useState } from 'preact/hooks';
import '../results.css';
import { listCampaignStats, type CampaignStats, type Category } from '../api';
import { getCategories, getRevenue, getScorecard } from '../api-results';
import { lang, messages, plural } from '../i18n';
import { BestLinesList, RankNote, type RankedLine } from '../results/BestLines';
import { onLinkClick, replaceQuery } from '../router';
import { COLORS, ChartCanvas } from '../results/charts';
import { count, dayMonth, money, percent } from '../results/format';
import { Stat, StatusPill } from '../results/ui';
import { useLoad } from '../results/useLoad';

const M = messages(
  {
    buyers: 'Buyers',
    browsers: 'Browsers',
    refundRisk: 'Refund risk',
    revenue: 'Revenue',
    orders: 'Orders',
    tooltip: (m: string, orders: number) => `${m} · ${plural(orders, { one: '# order', other: '# orders' })}`,
    revenueLabel: (days: number, total: string) => `Revenue per day over the last ${days} days: ${total} in all`,
    revenueBest: (day: string, m: string) => `, highest on ${day} with ${m}.`,
    revenueNone: ', no orders yet.',
    revenuePerDay: 'Revenue per day',
    revenueTitle: 'Revenue from campaigns',
    revenueNote: 'Orders credited to a campaign (tracked link, discount code or a message in the 7 days before).',
    period: 'Period',
    days: (d: number) => plural(d, { one: '# day', other: '# days' }),
    loading: 'Loading…',
    daysCaption: (d: number) => `Days with orders in the last ${d} days`,
    day: 'Day',
    noOrders: 'No orders in this period.',
    byCategory: 'Contacts by category',
    categoriesLabel: (parts: string, total: number) => `Contacts by category: ${parts} of ${total}.`,
    yourContacts: 'Your contacts',
    categoriesNote:
      'Everyone a campaign can reach — opted-out, blocked and deleted people left out, before the frequency cap — by category: buyers ordered or say they did, browsers ask but have not bought, refund risks complained or asked for their money back.',
    noContacts: 'No contacts yet. Connect Telegram to import them.',
    sent: 'Sent',
    read: 'Read',
    replied: 'Replied',
    clicked: 'Clicked',
    revenuePerCampaign: 'Revenue per campaign: ',
    engagementLabel: 'Sent, read, replied and clicked per campaign: ',
    engagementRow: (name: string, sent: number, read: number, replied: number, clicked: number) =>
      `${name}: ${sent} sent, ${read} read, ${replied} replied, ${clicked} clicked`,
    sideBySide: 'Campaigns side by side',
    compareNote: (n: number) => `The ${n > 1 ? `${n} most recent` : 'started'} campaigns; every campaign is in the table below.`,
    compareBy: 'Compare by',
    engagement: 'Engagement',
    noneStarted: 'No campaign has been started yet.',
    allCampaigns: 'All campaigns',
    perCampaign: 'Results per campaign',
    campaign: 'Campaign',
    status: 'Status',
    clickedCtr: 'Clicked · CTR',
    failed: (n: string) => `${n} failed`,
    bestLines: 'Best-performing lines',
    linesLater: 'Lines appear here once a campaign has sent messages.',
    analytics: 'Analytics',
    refreshing: 'Refreshing…',
    refresh: 'Refresh',
    keyNumbers: 'Key numbers',
    revenueDays: (d: number) => `Revenue, ${d} days`,
    creditedToCampaigns: 'credited to campaigns',
    ordersDays: (d: number) => `Orders, ${d} days`,
    fromCampaigns: (n: number) => plural(n, { one: 'from # campaign', other: 'from # campaigns' }),
    noneYet: 'none yet',
    messagesSent: 'Messages sent',
    inCampaigns: (n: number) => plural(n, { one: 'in # campaign', other: 'in # campaigns' }),
    clickThrough: 'Click-through',
    clickedReplied: (clicked: number, replied: string) => `${plural(clicked, { one: '# person', other: '# people' })} clicked · ${replied} replied`,
  },
  {
    buyers: 'Покупатели',
    browsers: 'Интересовались',
    refundRisk: 'Риск возврата',
    revenue: 'Выручка',
    orders: 'Заказы',
    tooltip: (m, orders) => `${m} · ${plural(orders, { one: '# заказ', few: '# заказа', many: '# заказов', other: '# заказа' })}`,
    revenueLabel: (days, total) => `Выручка по дням за последние ${plural(days, { one: '# день', few: '# дня', many: '# дней', other: '# дня' })}: всего ${total}`,
    revenueBest: (day, m) => `, больше всего ${day} — ${m}.`,
    revenueNone: ', заказов пока нет.',
    revenuePerDay: 'Выручка по дням',
    revenueTitle: 'Выручка от кампаний',
    revenueNote: 'Заказы, засчитанные кампании (по отслеживаемой ссылке, промокоду или сообщению за 7 дней до заказа).',
    period: 'Период',
    days: (d) => plural(d, { one: '# день', few: '# дня', many: '# дней', other: '# дня' }),
    loading: 'Загрузка…',
    daysCaption: (d) => `Дни с заказами за последние ${plural(d, { one: '# день', few: '# дня', many: '# дней', other: '# дня' })}`,
    day: 'День',
    noOrders: 'За этот период заказов нет.',
    byCategory: 'Контакты по категориям',
    categoriesLabel: (parts, total) => `Контакты по категориям: ${parts} из ${total}.`,
    yourContacts: 'Ваши контакты',
    categoriesNote:
      'Все, до кого может дойти кампания (без отписавшихся, заблокировавших и удалённых, до ограничения частоты), по категориям: покупатели заказывали или говорят, что заказывали; интересовались — спрашивали, но не купили; риск возврата — жаловались или просили вернуть деньги.',
    noContacts: 'Контактов пока нет. Подключите Telegram, чтобы их импортировать.',
    sent: 'Отправлено',
    read: 'Прочитано',
    replied: 'Ответили',
    clicked: 'Перешли',
    revenuePerCampaign: 'Выручка по кампаниям: ',
    engagementLabel: 'Отправлено, прочитано, ответили и перешли по кампаниям: ',
    engagementRow: (name, sent, read, replied, clicked) => `${name}: отправлено ${sent}, прочитано ${read}, ответили ${replied}, перешли ${clicked}`,
    sideBySide: 'Кампании рядом',
    compareNote: (n) =>
      (n > 1 ? plural(n, { one: '# последняя кампания', few: '# последние кампании', many: '# последних кампаний', other: '# последней кампании' }) : 'Начатые кампании') +
      '; все кампании — в таблице ниже.',
    compareBy: 'Сравнение',
    engagement: 'Вовлечённость',
    noneStarted: 'Ещё ни одна кампания не запускалась.',
    allCampaigns: 'Все кампании',
    perCampaign: 'Результаты по кампаниям',
    campaign: 'Кампания',
    status: 'Статус',
    clickedCtr: 'Перешли · доля',
    failed: (n) => `${n} с ошибкой`,
    bestLines: 'Лучшие строки',
    linesLater: 'Строки появятся здесь, когда кампания отправит сообщения.',
    analytics: 'Аналитика',
    refreshing: 'Обновляем…',
    refresh: 'Обновить',
    keyNumbers: 'Ключевые показатели',
    revenueDays: (d) => `Выручка за ${plural(d, { one: '# день', few: '# дня', many: '# дней', other: '# дня' })}`,
    creditedToCampaigns: 'засчитана кампаниям',
    ordersDays: (d) => `Заказы за ${plural(d, { one: '# день', few: '# дня', many: '# дней', other: '# дня' })}`,
    fromCampaigns: (n) => plural(n, { one: 'из # кампании', few: 'из # кампаний', many: 'из # кампаний', other: 'из # кампании' }),
    noneYet: 'пока нет',
    messagesSent: 'Отправлено сообщений',
    inCampaigns: (n) => plural(n, { one: 'в # кампании', few: 'в # кампаниях', many: 'в # кампаниях', other: 'в # кампании' }),
    clickThrough: 'Доля переходов',
    clickedReplied: (clicked, replied) => `перешли: ${count.format(clicked)} · ответили: ${replied}`,
  },
);

const RANGES = [7, 30, 90] as const;
type Range = (typeof RANGES)[number];
const DAY_MS = 86_400_000;

/** The contact categories with their words (in the current language) and colours. */
function cats(): { key: Category; label: string; color: string }[] {
  const m = M();
  return [
    { key: 'buyer', label: m.buyers, color: COLORS.ok },
    { key: 'browser', label: m.browsers, color: COLORS.primary },
    { key: 'refund_risk', label: m.refundRisk, color: COLORS.bad },
  ];
}

type Metric = 'engagement' | 'revenue';

/** How many recent campaigns the best lines are gathered from (one scorecard request each). */
const BEST_FROM = 6;


function initialRange(): Range {
  const d = Number(new URLSearchParams(location.search).get('days'));
  return (RANGES as readonly number[]).includes(d) ? (d as Range) : 30;
}

function shortName(s: string): string {
  return s.length > 26 ? s.slice(0, 25) + '…' : s;
}

// ---- Revenue over time ----

function RevenueCard(props: { days: Range; setDays: (d: Range) => void; report: ReturnType<typeof useRevenue> }) {
  const { data, error } = props.report;
  const cur = data?.currency ?? 'EUR';
  const m = M();
  const language = lang();
  const config = useMemo<ChartConfiguration<'line', number[], string> | null>(() => {
    if (!data) return null;
    return {
      type: 'line',
      data: {
        labels: data.series.map((p) => dayMonth.format(new Date(p.t))),
        datasets: [
          {
            label: m.revenue,
            data: data.series.map((p) => p.revenue / 100),
            borderColor: COLORS.primary,
            backgroundColor: COLORS.primarySoft,
            fill: true,
            cubicInterpolationMode: 'monotone',
            // Dots only on days with orders: a month of zeros stays a quiet baseline.
            pointRadius: data.series.map((p) => (p.orders > 0 || p.revenue > 0 ? 4 : 0)),
            pointBackgroundColor: COLORS.primary,
            pointHoverRadius: 5,
            borderWidth: 2,
          },
        ],
      },
      options: {
        responsive: true,
        interaction: { mode: 'index', intersect: false },
        plugins: {
          legend: { display: false },
          tooltip: {
            callbacks: {
              label: (ctx) => {
                const p = data.series[ctx.dataIndex];
                return m.tooltip(money(p.revenue, cur), p.orders);
              },
            },
          },
        },
        scales: {
          x: { grid: { display: false }, ticks: { maxRotation: 0, autoSkip: true, maxTicksLimit: 8 } },
          y: { beginAtZero: true, ticks: { callback: (v) => money(Number(v) * 100, cur).replace(/[.,]00(?=\D*$)/, '') }, suggestedMax: 10 },
        },
      },
    };
    // m follows the language
  }, [data, cur, language]);

  const withOrders = data?.series.filter((p) => p.orders > 0 || p.revenue > 0) ?? [];
  const best = withOrders.reduce<(typeof withOrders)[number] | null>((b, p) => (!b || p.revenue > b.revenue ? p : b), null);
  const label = data
    ? m.revenueLabel(props.days, money(data.total, cur)) + (best ? m.revenueBest(dayMonth.format(new Date(best.t)), money(best.revenue, cur)) : m.revenueNone)
    : m.revenuePerDay;

  return (
    <section class="card" aria-labelledby="rev-title">
      <div class="card-title-row">
        <div>
          <h2 id="rev-title">{m.revenueTitle}</h2>
          <p class="card-note">{m.revenueNote}</p>
        </div>
        <fieldset class="segmented">
          <legend>{m.period}</legend>
          {RANGES.map((d) => (
            <label key={d}>
              <input type="radio" name="range" value={d} checked={props.days === d} onChange={() => props.setDays(d)} />
              {m.days(d)}
            </label>
          ))}
        </fieldset>
      </div>
      {error && (
        <div class="alert alert-error" role="alert">
          {error}
        </div>
      )}
      {config ? <ChartCanvas config={config} label={label} size="lg" testid="revenue-chart" /> : <div class="chart-box chart-lg chart-empty">{m.loading}</div>}
      {data && (
        <table class="sr-only">
          <caption>{m.daysCaption(props.days)}</caption>
          <thead>
            <tr>
              <th scope="col">{m.day}</th>
              <th scope="col">{m.revenue}</th>
              <th scope="col">{m.orders}</th>
            </tr>
          </thead>
          <tbody>
            {withOrders.length === 0 ? (
              <tr>
                <td colSpan={3}>{m.noOrders}</td>
              </tr>
            ) : (
              withOrders.map((p) => (
                <tr key={p.t}>
                  <td>{dayMonth.format(new Date(p.t))}</td>
                  <td>{money(p.revenue, cur)}</td>
                  <td>{p.orders}</td>
                </tr>
              ))
            )}
          </tbody>
        </table>
      )}
    </section>
  );
}

function useRevenue(days: Range) {
  return useLoad(() => {
    const to = new Date(Date.now() + 60_000);
    const start = new Date();
    start.setHours(0, 0, 0, 0);
    const from = new Date(start.getTime() - (days - 1) * DAY_MS);
    return getRevenue(from, to, 'day');
  }, [days]);
}

// ---- Categories ----

function CategoriesCard() {
  const { data, error } = useLoad(getCategories, []);
  const m = M();
  const CATS = cats();
  const language = lang();
  const config = useMemo<ChartConfiguration<'doughnut', number[], string> | null>(() => {
    if (!data || data.total === 0) return null;
    return {
      type: 'doughnut',
      data: {
        labels: CATS.map((c) => c.label),
        datasets: [{ data: CATS.map((c) => data.distribution[c.key] ?? 0), backgroundColor: CATS.map((c) => c.color), borderWidth: 2, borderColor: '#fff' }],
      },
      options: { responsive: true, cutout: '62%', plugins: { legend: { display: false } } },
    };
    // CATS follows the language
  }, [data, language]);
  const label = data ? m.categoriesLabel(CATS.map((c) => `${c.label} ${data.distribution[c.key] ?? 0}`).join(', '), data.total) : m.byCategory;
  return (
    <section class="card" aria-labelledby="cat-title">
      <h2 id="cat-title">{m.yourContacts}</h2>
      <p class="card-note" data-testid="categories-note">
        {m.categoriesNote}
      </p>
      {error && (
        <div class="alert alert-error" role="alert">
          {error}
        </div>
      )}
      {config ? (
        <ChartCanvas config={config} label={label} size="sm" testid="categories-chart" />
      ) : (
        <div class="chart-box chart-sm chart-empty">{data ? m.noContacts : m.loading}</div>
      )}
      {data && (
        <ul class="legend" aria-label={m.byCategory}>
          {CATS.map((c) => {
            const n = data.distribution[c.key] ?? 0;
            return (
              <li key={c.key}>
                <span class={'swatch swatch-' + c.key} aria-hidden="true" />
                {c.label}
                <span class="num">
                  {count.format(n)}
                  <span class="muted"> · {percent.format(data.total ? n / data.total : 0)}</span>
                </span>
              </li>
            );
          })}
        </ul>
      )}
    </section>
  );
}

// ---- Campaign comparison ----

function CompareCard(props: { rows: CampaignStats[] | null; error: string | null; currency: string }) {
  const [metric, setMetric] = useState<Metric>('engagement');
  const { rows, currency } = props;
  const started = useMemo(
    () => (rows ?? []).filter((r) => r.started_at).sort((a, b) => Date.parse(b.started_at as string) - Date.parse(a.started_at as string)),
    [rows],
  );
  const chartRows = started.slice(0, 8);
  const m = M();
  const language = lang();
  const config = useMemo<ChartConfiguration<'bar', number[], string> | null>(() => {
    if (!chartRows.length) return null;
    const labels = chartRows.map((r) => shortName(r.name));
    const datasets =
      metric === 'revenue'
        ? [{ label: m.revenue, data: chartRows.map((r) => r.revenue / 100), backgroundColor: COLORS.ok, borderRadius: 4 }]
        : [
            { label: m.sent, data: chartRows.map((r) => r.sent), backgroundColor: '#b8cfe3', borderRadius: 3 },
            { label: m.read, data: chartRows.map((r) => r.read), backgroundColor: COLORS.primary, borderRadius: 3 },
            { label: m.replied, data: chartRows.map((r) => r.replied), backgroundColor: COLORS.violet, borderRadius: 3 },
            { label: m.clicked, data: chartRows.map((r) => r.unique_clicks), backgroundColor: COLORS.warn, borderRadius: 3 },
          ];
    return {
      type: 'bar',
      data: { labels, datasets },
      options: {
        responsive: true,
        indexAxis: 'y',
        plugins: {
          legend: { display: metric !== 'revenue', position: 'bottom', labels: { boxWidth: 12, boxHeight: 12 } },
          tooltip: metric === 'revenue' ? { callbacks: { label: (ctx) => money(Math.round(Number(ctx.raw) * 100), currency) } } : {},
        },
        scales: {
          x: {
            beginAtZero: true,
            ticks: metric === 'revenue' ? { callback: (v) => money(Number(v) * 100, currency).replace(/[.,]00(?=\D*$)/, '') } : { precision: 0 },
          },
          y: { grid: { display: false } },
        },
      },
    };
    // chartRows derives from started; m follows the language
  }, [started, metric, currency, language]);
  const label =
    metric === 'revenue'
      ? m.revenuePerCampaign + chartRows.map((r) => `${r.name} ${money(r.revenue, currency)}`).join('; ')
      : m.engagementLabel + chartRows.map((r) => m.engagementRow(r.name, r.sent, r.read, r.replied, r.unique_clicks)).join('; ');

  return (
    <section class="card" aria-labelledby="cmp-title">
      <div class="card-title-row">
        <div>
          <h2 id="cmp-title">{m.sideBySide}</h2>
          <p class="card-note">{m.compareNote(chartRows.length)}</p>
        </div>
        <fieldset class="segmented">
          <legend>{m.compareBy}</legend>
          <label>
            <input type="radio" name="metric" value="engagement" checked={metric === 'engagement'} onChange={() => setMetric('engagement')} />
            {m.engagement}
          </label>
          <label>
            <input type="radio" name="metric" value="revenue" checked={metric === 'revenue'} onChange={() => setMetric('revenue')} />
            {m.revenue}
          </label>
        </fieldset>
      </div>
      {props.error && (
        <div class="alert alert-error" role="alert">
          {props.error}
        </div>
      )}
      {config ? (
        <ChartCanvas config={config} label={label} size={chartRows.length > 4 ? 'lg' : 'md'} testid="compare-chart" userData />
      ) : (
        <div class="chart-box chart-sm chart-empty">{rows ? m.noneStarted : m.loading}</div>
      )}
    </section>
  );
}

function CompareTable({ rows, currency }: { rows: CampaignStats[]; currency: string }) {
  if (!rows.length) return null;
  const m = M();
  return (
    <section class="card card-flush" aria-labelledby="tbl-title">
      <div class="card-head">
        <h2 id="tbl-title">{m.allCampaigns}</h2>
      </div>
      <div class="table-wrap">
        <table class="table compare" data-testid="compare-table">
          <caption class="sr-only">{m.perCampaign}</caption>
          <thead>
            <tr>
              <th scope="col">{m.campaign}</th>
              <th scope="col">{m.status}</th>
              <th scope="col" class="num">
                {m.sent}
              </th>
              <th scope="col" class="num">
                {m.read}
              </th>
              <th scope="col" class="num">
                {m.replied}
              </th>
              <th scope="col" class="num">
                {m.clickedCtr}
              </th>
              <th scope="col" class="num">
                {m.orders}
              </th>
              <th scope="col" class="num">
                {m.revenue}
              </th>
            </tr>
          </thead>
          <tbody>
            {rows.map((r) => (
              <tr key={r.campaign_id} data-testid="compare-row" data-campaign-id={r.campaign_id}>
                <td data-label={m.campaign}>
                  <a class="name" href={`/app/campaigns/${r.campaign_id}`} onClick={onLinkClick} translate={false}>
                    {r.name}
                  </a>
                </td>
                <td data-label={m.status}>
                  <StatusPill status={r.status} />
                </td>
                <td data-label={m.sent} class="num" data-testid="compare-sent">
                  <span>
                    {count.format(r.sent)}
                    {r.failed > 0 && <span class="sub bad-text">{m.failed(count.format(r.failed))}</span>}
                  </span>
                </td>
                <td data-label={m.read} class="num">
                  {count.format(r.read)}
                </td>
                <td data-label={m.replied} class="num">
                  {count.format(r.replied)}
                </td>
                <td data-label={m.clickedCtr} class="num" data-testid="compare-clicks">
                  <span>
                    {count.format(r.unique_clicks)}
                    <span class="muted"> · {percent.format(r.ctr || 0)}</span>
                  </span>
                </td>
                <td data-label={m.orders} class="num" data-testid="compare-orders">
                  {count.format(r.orders)}
                </td>
                <td data-label={m.revenue} class="num" data-testid="compare-revenue">
                  {money(r.revenue, r.currency ?? currency)}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}

// ---- Best lines ----

async function loadBestLines(rows: CampaignStats[]): Promise<RankedLine[]> {
  const recent = rows
    .filter((r) => r.started_at && r.sent > 0)
    .sort((a, b) => Date.parse(b.started_at as string) - Date.parse(a.started_at as string))
    .slice(0, BEST_FROM);
  const cards = await Promise.all(recent.map((r) => getScorecard(r.campaign_id).then((s) => ({ r, s }), () => null)));
  const out: RankedLine[] = [];
  for (const x of cards) {
    if (!x) continue;
    for (const line of x.s.best_lines) if (line.sent > 0) out.push({ line, campaignId: x.r.campaign_id, campaignName: x.r.name });
  }
  out.sort((a, b) => b.line.score - a.line.score || b.line.revenue - a.line.revenue || b.line.unique_clicks - a.line.unique_clicks);
  return out.slice(0, 6);
}

function BestLinesCard({ rows, currency }: { rows: CampaignStats[] | null; currency: string }) {
  const key = (rows ?? []).map((r) => `${r.campaign_id}:${r.sent}:${r.unique_clicks}:${r.replied}:${r.revenue}`).join(',');
  const best = useLoad(() => (rows ? loadBestLines(rows) : Promise.resolve(null)), [key]);
  const m = M();
  return (
    <section class="card" aria-labelledby="best-title">
      <h2 id="best-title">{m.bestLines}</h2>
      <RankNote currency={currency} />
      {best.error && (
        <div class="alert alert-error" role="alert">
          {best.error}
        </div>
      )}
      {best.data && best.data.length > 0 ? (
        <BestLinesList lines={best.data} currency={currency} showCampaign />
      ) : (
        <p class="attr-empty">{best.loading || !rows ? m.loading : m.linesLater}</p>
      )}
    </section>
  );
}

// ---- The view ----

export function AnalyticsView() {
  const [days, setDaysState] = useState<Range>(initialRange);
  const setDays = (d: Range) => {
    setDaysState(d);
    replaceQuery(d === 30 ? {} : { days: String(d) });
  };
  const revenue = useRevenue(days);
  const stats = useLoad(listCampaignStats, []);
  const rows = stats.data?.campaigns ?? null;
  const currency = revenue.data?.currency ?? 'EUR';

  const totals = useMemo(() => {
    const t = { sent: 0, unique: 0, replied: 0, started: 0 };
    for (const r of rows ?? []) {
      t.sent += r.sent;
      t.unique += r.unique_clicks;
      t.replied += r.replied;
      if (r.started_at) t.started++;
    }
    return t;
  }, [rows]);

  const refresh = () => {
    void revenue.reload();
    void stats.reload();
  };
  const loading = revenue.loading || stats.loading;
  const m = M();

  return (
    <main class="page results analytics" id="main" data-loaded={revenue.data && stats.data && !loading ? 'analytics' : undefined}>
      <div class="res-head">
        <h1>{m.analytics}</h1>
        <button type="button" class="btn btn-sm" onClick={refresh} disabled={loading}>
          {loading ? m.refreshing : m.refresh}
        </button>
      </div>
      <section class="kpis" aria-label={m.keyNumbers}>
        <Stat
          label={m.revenueDays(days)}
          value={revenue.data ? money(revenue.data.total, currency) : '…'}
          testid="revenue-total"
          tone={revenue.data?.total ? 'ok' : undefined}
          sub={m.creditedToCampaigns}
        />
        <Stat
          label={m.ordersDays(days)}
          value={revenue.data ? count.format(revenue.data.orders ?? revenue.data.series.reduce((n, p) => n + p.orders, 0)) : '…'}
          testid="orders-total"
          sub={revenue.data?.by_campaign.length ? m.fromCampaigns(revenue.data.by_campaign.length) : m.noneYet}
        />
        <Stat label={m.messagesSent} value={rows ? count.format(totals.sent) : '…'} sub={m.inCampaigns(totals.started)} />
        <Stat
          label={m.clickThrough}
          value={rows ? (totals.sent ? percent.format(totals.unique / totals.sent) : '—') : '…'}
          tone={totals.unique ? 'accent' : undefined}
          sub={m.clickedReplied(totals.unique, count.format(totals.replied))}
        />
      </section>
      <div class="dash-grid">
        <RevenueCard days={days} setDays={setDays} report={revenue} />
        <CategoriesCard />
      </div>
      <CompareCard rows={rows} error={stats.error} currency={currency} />
      {rows && <CompareTable rows={rows} currency={currency} />}
      <BestLinesCard rows={rows} currency={currency} />
    </main>
  );
}
