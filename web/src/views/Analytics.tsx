// Analytics — the account's dashboard (issue 7): revenue over time (Chart.js line, 7/30/90 days),
// who the contacts are (category doughnut), campaigns side by side (bars + a table), and the
// best-performing message lines from the scorecards of recent campaigns. Every chart has a text
// alternative: an aria-label summary plus a table (visible, or visually hidden for the line).
import type { ChartConfiguration } from 'chart.js';
import { useMemo, useState } from 'preact/hooks';
import '../results.css';
import { listCampaignStats, type CampaignStats, type Category } from '../api';
import { getCategories, getRevenue, getScorecard } from '../api-results';
import { BestLinesList, RankNote, type RankedLine } from '../results/BestLines';
import { onLinkClick, replaceQuery } from '../router';
import { COLORS, ChartCanvas } from '../results/charts';
import { count, dayMonth, money, percent } from '../results/format';
import { Stat, StatusPill } from '../results/ui';
import { useLoad } from '../results/useLoad';

const RANGES = [7, 30, 90] as const;
type Range = (typeof RANGES)[number];
const DAY_MS = 86_400_000;

const CATS: { key: Category; label: string; color: string }[] = [
  { key: 'buyer', label: 'Buyers', color: COLORS.ok },
  { key: 'browser', label: 'Browsers', color: COLORS.primary },
  { key: 'refund_risk', label: 'Refund risk', color: COLORS.bad },
];

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
  const config = useMemo<ChartConfiguration<'line', number[], string> | null>(() => {
    if (!data) return null;
    return {
      type: 'line',
      data: {
        labels: data.series.map((p) => dayMonth.format(new Date(p.t))),
        datasets: [
          {
            label: 'Revenue',
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
                return `${money(p.revenue, cur)} · ${p.orders} order${p.orders === 1 ? '' : 's'}`;
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
  }, [data, cur]);

  const withOrders = data?.series.filter((p) => p.orders > 0 || p.revenue > 0) ?? [];
  const best = withOrders.reduce<(typeof withOrders)[number] | null>((b, p) => (!b || p.revenue > b.revenue ? p : b), null);
  const label = data
    ? `Revenue per day over the last ${props.days} days: ${money(data.total, cur)} in all` +
      (best ? `, highest on ${dayMonth.format(new Date(best.t))} with ${money(best.revenue, cur)}.` : ', no orders yet.')
    : 'Revenue per day';

  return (
    <section class="card" aria-labelledby="rev-title">
      <div class="card-title-row">
        <div>
          <h2 id="rev-title">Revenue from campaigns</h2>
          <p class="card-note">Orders credited to a campaign (tracked link, discount code or a message in the 7 days before).</p>
        </div>
        <fieldset class="segmented">
          <legend>Period</legend>
          {RANGES.map((d) => (
            <label key={d}>
              <input type="radio" name="range" value={d} checked={props.days === d} onChange={() => props.setDays(d)} />
              {d} days
            </label>
          ))}
        </fieldset>
      </div>
      {error && (
        <div class="alert alert-error" role="alert">
          {error}
        </div>
      )}
      {config ? <ChartCanvas config={config} label={label} size="lg" testid="revenue-chart" /> : <div class="chart-box chart-lg chart-empty">Loading…</div>}
      {data && (
        <table class="sr-only">
          <caption>Days with orders in the last {props.days} days</caption>
          <thead>
            <tr>
              <th scope="col">Day</th>
              <th scope="col">Revenue</th>
              <th scope="col">Orders</th>
            </tr>
          </thead>
          <tbody>
            {withOrders.length === 0 ? (
              <tr>
                <td colSpan={3}>No orders in this period.</td>
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
  }, [data]);
  const label = data
    ? `Contacts by category: ` + CATS.map((c) => `${c.label} ${data.distribution[c.key] ?? 0}`).join(', ') + ` of ${data.total}.`
    : 'Contacts by category';
  return (
    <section class="card" aria-labelledby="cat-title">
      <h2 id="cat-title">Your contacts</h2>
      <p class="card-note" data-testid="categories-note">
        Everyone a campaign can reach — opted-out, blocked and deleted people left out, before the frequency cap — by category: buyers ordered or
        say they did, browsers ask but have not bought, refund risks complained or asked for their money back.
      </p>
      {error && (
        <div class="alert alert-error" role="alert">
          {error}
        </div>
      )}
      {config ? (
        <ChartCanvas config={config} label={label} size="sm" testid="categories-chart" />
      ) : (
        <div class="chart-box chart-sm chart-empty">{data ? 'No contacts yet. Connect Telegram to import them.' : 'Loading…'}</div>
      )}
      {data && (
        <ul class="legend" aria-label="Contacts by category">
          {CATS.map((c) => {
            const n = data.distribution[c.key] ?? 0;
            return (
              <li key={c.key}>
                <span class={'swatch swatch-' + c.key} aria-hidden="true" />
                {c.label}
                <span class="num">
                  {count.format(n)}
                  <span class="muted"> · {data.total ? percent.format(n / data.total) : '0%'}</span>
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
  const config = useMemo<ChartConfiguration<'bar', number[], string> | null>(() => {
    if (!chartRows.length) return null;
    const labels = chartRows.map((r) => shortName(r.name));
    const datasets =
      metric === 'revenue'
        ? [{ label: 'Revenue', data: chartRows.map((r) => r.revenue / 100), backgroundColor: COLORS.ok, borderRadius: 4 }]
        : [
            { label: 'Sent', data: chartRows.map((r) => r.sent), backgroundColor: '#b8cfe3', borderRadius: 3 },
            { label: 'Read', data: chartRows.map((r) => r.read), backgroundColor: COLORS.primary, borderRadius: 3 },
            { label: 'Replied', data: chartRows.map((r) => r.replied), backgroundColor: COLORS.violet, borderRadius: 3 },
            { label: 'Clicked', data: chartRows.map((r) => r.unique_clicks), backgroundColor: COLORS.warn, borderRadius: 3 },
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
    // chartRows derives from started
  }, [started, metric, currency]);
  const label =
    metric === 'revenue'
      ? 'Revenue per campaign: ' + chartRows.map((r) => `${r.name} ${money(r.revenue, currency)}`).join('; ')
      : 'Sent, read, replied and clicked per campaign: ' + chartRows.map((r) => `${r.name}: ${r.sent} sent, ${r.read} read, ${r.replied} replied, ${r.unique_clicks} clicked`).join('; ');

  return (
    <section class="card" aria-labelledby="cmp-title">
      <div class="card-title-row">
        <div>
          <h2 id="cmp-title">Campaigns side by side</h2>
          <p class="card-note">The {chartRows.length > 1 ? `${chartRows.length} most recent` : 'started'} campaigns; every campaign is in the table below.</p>
        </div>
        <fieldset class="segmented">
          <legend>Compare by</legend>
          <label>
            <input type="radio" name="metric" value="engagement" checked={metric === 'engagement'} onChange={() => setMetric('engagement')} />
            Engagement
          </label>
          <label>
            <input type="radio" name="metric" value="revenue" checked={metric === 'revenue'} onChange={() => setMetric('revenue')} />
            Revenue
          </label>
        </fieldset>
      </div>
      {props.error && (
        <div class="alert alert-error" role="alert">
          {props.error}
        </div>
      )}
      {config ? (
        <ChartCanvas config={config} label={label} size={chartRows.length > 4 ? 'lg' : 'md'} testid="compare-chart" />
      ) : (
        <div class="chart-box chart-sm chart-empty">{rows ? 'No campaign has been started yet.' : 'Loading…'}</div>
      )}
    </section>
  );
}

function CompareTable({ rows, currency }: { rows: CampaignStats[]; currency: string }) {
  if (!rows.length) return null;
  return (
    <section class="card card-flush" aria-labelledby="tbl-title">
      <div class="card-head">
        <h2 id="tbl-title">All campaigns</h2>
      </div>
      <div class="table-wrap">
        <table class="table compare" data-testid="compare-table">
          <caption class="sr-only">Results per campaign</caption>
          <thead>
            <tr>
              <th scope="col">Campaign</th>
              <th scope="col">Status</th>
              <th scope="col" class="num">
                Sent
              </th>
              <th scope="col" class="num">
                Read
              </th>
              <th scope="col" class="num">
                Replied
              </th>
              <th scope="col" class="num">
                Clicked · CTR
              </th>
              <th scope="col" class="num">
                Orders
              </th>
              <th scope="col" class="num">
                Revenue
              </th>
            </tr>
          </thead>
          <tbody>
            {rows.map((r) => (
              <tr key={r.campaign_id} data-testid="compare-row" data-campaign-id={r.campaign_id}>
                <td data-label="Campaign">
                  <a class="name" href={`/app/campaigns/${r.campaign_id}`} onClick={onLinkClick}>
                    {r.name}
                  </a>
                </td>
                <td data-label="Status">
                  <StatusPill status={r.status} />
                </td>
                <td data-label="Sent" class="num" data-testid="compare-sent">
                  <span>
                    {count.format(r.sent)}
                    {r.failed > 0 && <span class="sub bad-text">{count.format(r.failed)} failed</span>}
                  </span>
                </td>
                <td data-label="Read" class="num">
                  {count.format(r.read)}
                </td>
                <td data-label="Replied" class="num">
                  {count.format(r.replied)}
                </td>
                <td data-label="Clicked · CTR" class="num" data-testid="compare-clicks">
                  <span>
                    {count.format(r.unique_clicks)}
                    <span class="muted"> · {percent.format(r.ctr || 0)}</span>
                  </span>
                </td>
                <td data-label="Orders" class="num" data-testid="compare-orders">
                  {count.format(r.orders)}
                </td>
                <td data-label="Revenue" class="num" data-testid="compare-revenue">
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
  return (
    <section class="card" aria-labelledby="best-title">
      <h2 id="best-title">Best-performing lines</h2>
      <RankNote currency={currency} />
      {best.error && (
        <div class="alert alert-error" role="alert">
          {best.error}
        </div>
      )}
      {best.data && best.data.length > 0 ? (
        <BestLinesList lines={best.data} currency={currency} showCampaign />
      ) : (
        <p class="attr-empty">{best.loading || !rows ? 'Loading…' : 'Lines appear here once a campaign has sent messages.'}</p>
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

  return (
    <main class="page results analytics" id="main" data-loaded={revenue.data && stats.data && !loading ? 'analytics' : undefined}>
      <div class="res-head">
        <h1>Analytics</h1>
        <button type="button" class="btn btn-sm" onClick={refresh} disabled={loading}>
          {loading ? 'Refreshing…' : 'Refresh'}
        </button>
      </div>
      <section class="kpis" aria-label="Key numbers">
        <Stat
          label={`Revenue, ${days} days`}
          value={revenue.data ? money(revenue.data.total, currency) : '…'}
          testid="revenue-total"
          tone={revenue.data?.total ? 'ok' : undefined}
          sub="credited to campaigns"
        />
        <Stat
          label={`Orders, ${days} days`}
          value={revenue.data ? count.format(revenue.data.orders ?? revenue.data.series.reduce((n, p) => n + p.orders, 0)) : '…'}
          testid="orders-total"
          sub={revenue.data?.by_campaign.length ? `from ${revenue.data.by_campaign.length} campaign${revenue.data.by_campaign.length === 1 ? '' : 's'}` : 'none yet'}
        />
        <Stat label="Messages sent" value={rows ? count.format(totals.sent) : '…'} sub={`in ${totals.started} campaign${totals.started === 1 ? '' : 's'}`} />
        <Stat
          label="Click-through"
          value={rows ? (totals.sent ? percent.format(totals.unique / totals.sent) : '—') : '…'}
          tone={totals.unique ? 'accent' : undefined}
          sub={`${count.format(totals.unique)} ${totals.unique === 1 ? 'person' : 'people'} clicked · ${count.format(totals.replied)} replied`}
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
