import { useEffect, useRef, useState } from 'preact/hooks';
import { describeError, listCampaignStats, listCampaigns, type Campaign, type CampaignStats, type CampaignStatus } from '../api';
import { FormError } from './Field';

/** While a campaign is sending, the list refreshes itself this often. */
const LIVE_REFRESH_MS = 5000;

const STATUS_LABEL: Record<CampaignStatus, string> = {
  draft: 'draft',
  running: 'running',
  paused: 'paused',
  nudging: 'nudging',
  completed: 'completed',
  cancelled: 'cancelled',
};

const day = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium' });
const fullTime = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });
const count = new Intl.NumberFormat(undefined);
const percent = new Intl.NumberFormat(undefined, { style: 'percent', maximumFractionDigits: 1 });
const plainMoney = new Intl.NumberFormat(undefined, { minimumFractionDigits: 2, maximumFractionDigits: 2 });

/** Revenue comes in minor units; shown as major units with 2 decimals (with the currency when given). */
function money(minor: number, currency: string | undefined): string {
  if (currency && /^[A-Z]{3}$/.test(currency)) {
    try {
      return new Intl.NumberFormat(undefined, { style: 'currency', currency, minimumFractionDigits: 2, maximumFractionDigits: 2 }).format(minor / 100);
    } catch {
      /* unknown currency code: fall through */
    }
  }
  return plainMoney.format(minor / 100);
}

function isLive(s: CampaignStatus): boolean {
  return s === 'running' || s === 'nudging';
}

function StatusBadge({ c }: { c: Campaign }) {
  const label = STATUS_LABEL[c.status] ?? String(c.status);
  const text = c.status === 'paused' && c.pause_reason ? `${label}: ${c.pause_reason}` : label;
  return (
    <span class={'badge status status-' + c.status} data-testid="campaign-status">
      {isLive(c.status) && <span class="dot" aria-hidden="true" />}
      {text}
    </span>
  );
}

function Progress({ c, s }: { c: Campaign; s: CampaignStats | undefined }) {
  if (!s || (c.status === 'draft' && s.audience === 0 && s.sent + s.failed === 0)) return <span class="muted">—</span>;
  const done = s.sent + s.failed;
  const total = Math.max(s.audience, done);
  const pct = total > 0 ? done / total : 0;
  return (
    <span class="progress-cell">
      <progress class="progress" max={total > 0 ? total : 1} value={done} aria-label={`${done} of ${total} processed`} />
      <span class="sub">
        {count.format(done)} / {count.format(total)}
        {total > 0 && <> · {percent.format(pct)}</>}
      </span>
    </span>
  );
}

const dash = <span class="muted">—</span>;

export function CampaignsView() {
  const [campaigns, setCampaigns] = useState<Campaign[] | null>(null);
  const [stats, setStats] = useState<Map<number, CampaignStats>>(new Map());
  const [loading, setLoading] = useState(false);
  const [loaded, setLoaded] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const seq = useRef(0);

  async function load() {
    const my = ++seq.current;
    setLoading(true);
    try {
      const [list, rows] = await Promise.all([listCampaigns(), listCampaignStats()]);
      if (my !== seq.current) return;
      setCampaigns(list.campaigns);
      setStats(new Map(rows.campaigns.map((r) => [r.campaign_id, r])));
      setError(null);
      setLoaded(true);
    } catch (e) {
      if (my !== seq.current) return;
      setError(describeError(e));
    } finally {
      if (my === seq.current) setLoading(false);
    }
  }

  useEffect(() => {
    void load();
    return () => {
      seq.current++;
    };
  }, []);

  // Live numbers while something is sending.
  const live = campaigns?.some((c) => isLive(c.status)) ?? false;
  useEffect(() => {
    if (!live) return undefined;
    const t = window.setInterval(() => {
      if (document.visibilityState === 'visible') void load();
    }, LIVE_REFRESH_MS);
    return () => window.clearInterval(t);
  }, [live]);

  return (
    <main class="page" id="main">
      <div class="page-head">
        <h1>Campaigns</h1>
        <button type="button" class="btn btn-sm" onClick={() => void load()} disabled={loading}>
          {loading ? 'Refreshing…' : 'Refresh'}
        </button>
      </div>
      <FormError message={error} />

      <section class="card card-flush" aria-busy={loading ? 'true' : 'false'} data-loaded={loaded && !loading ? 'campaigns' : undefined}>
        {campaigns === null ? (
          <p class="empty">{error ? 'Campaigns could not be loaded.' : 'Loading campaigns…'}</p>
        ) : campaigns.length === 0 ? (
          <p class="empty">No campaigns yet. Campaigns you create appear here with their progress and results.</p>
        ) : (
          <table class="table campaigns">
            <caption class="sr-only">Campaigns</caption>
            <thead>
              <tr>
                <th scope="col">Campaign</th>
                <th scope="col">Status</th>
                <th scope="col">Progress</th>
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
                  Clicks · CTR
                </th>
                <th scope="col" class="num">
                  Orders
                </th>
                <th scope="col" class="num">
                  Revenue
                </th>
                <th scope="col">Started</th>
              </tr>
            </thead>
            <tbody>
              {campaigns.map((c) => {
                const s = stats.get(c.id);
                return (
                  <tr key={c.id} data-testid="campaign-row" data-campaign-id={c.id}>
                    <td data-label="Campaign">
                      <span class="name" data-testid="campaign-name">
                        {c.name}
                      </span>
                    </td>
                    <td data-label="Status">
                      <StatusBadge c={c} />
                    </td>
                    <td data-label="Progress">
                      <Progress c={c} s={s} />
                    </td>
                    <td data-label="Sent" class="num">
                      {s ? (
                        <span>
                          <span data-testid="campaign-sent">{count.format(s.sent)}</span>
                          {s.failed > 0 && <span class="sub bad-text">{count.format(s.failed)} failed</span>}
                        </span>
                      ) : (
                        dash
                      )}
                    </td>
                    <td data-label="Read" class="num">
                      {s ? count.format(s.read) : dash}
                    </td>
                    <td data-label="Replied" class="num">
                      {s ? count.format(s.replied) : dash}
                    </td>
                    <td data-label="Clicks · CTR" class="num">
                      {s ? (
                        <span title={`${count.format(s.clicks)} clicks in all`}>
                          {count.format(s.unique_clicks)}
                          <span class="muted"> · {percent.format(s.ctr || 0)}</span>
                        </span>
                      ) : (
                        dash
                      )}
                    </td>
                    <td data-label="Orders" class="num">
                      {s ? count.format(s.orders) : dash}
                    </td>
                    <td data-label="Revenue" class="num">
                      {s ? money(s.revenue, s.currency) : dash}
                    </td>
                    <td data-label="Started">
                      {c.started_at ? (
                        <time dateTime={c.started_at} title={fullTime.format(new Date(c.started_at))}>
                          {day.format(new Date(c.started_at))}
                        </time>
                      ) : (
                        <span class="muted">Not started</span>
                      )}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        )}
      </section>
      <div class="list-foot">
        <span class="muted" role="status">
          {campaigns ? `${campaigns.length} campaign${campaigns.length === 1 ? '' : 's'}` : ''}
          {live ? ' · updating live' : ''}
        </span>
      </div>
    </main>
  );
}
