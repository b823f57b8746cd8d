import { useEffect, useRef, useState } from 'preact/hooks';
import { describeError, listCampaignStats, listCampaigns, type Campaign, type CampaignStats } from '../api';
import { campaignInput, createCampaign, deleteCampaign, getAccount } from '../api-campaigns';
import { formatInZone, knownZone, zoneLabel } from '../people/zone';
import { browserTimezone } from '../editor/form';
import { navigate, onLinkClick } from '../router';
import { FormError } from './Field';
import '../people.css';
import { STATUS_LABEL, count, isLive, money, percent, reasonLabel } from '../results/format';

/** While a campaign is sending, the list refreshes itself this often. */
const LIVE_REFRESH_MS = 5000;

const day = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium' });
const fullTime = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });

function StatusBadge({ c }: { c: Campaign }) {
  const label = STATUS_LABEL[c.status] ?? String(c.status);
  const text = c.status === 'paused' && c.pause_reason ? `${label}: ${reasonLabel(c.pause_reason)}` : label;
  return (
    <span class={'badge status status-' + c.status} data-testid="campaign-status" data-status={c.status}>
      {isLive(c.status) && <span class="dot" aria-hidden="true" />}
      {text}
    </span>
  );
}

function Progress({ c, s }: { c: Campaign; s: CampaignStats | undefined }) {
  if (!s || (c.status === 'draft' && s.audience === 0 && s.sent + s.failed === 0)) return <span class="muted">—</span>;
  // The first message only: follow-ups are counted apart (the monitor shows them), so the bar
  // never goes backwards when follow-ups are queued (issue 18).
  const f = s.first_message;
  const done = f ? f.sent + f.failed + f.skipped : s.sent + s.failed;
  const total = f ? f.total : Math.max(s.audience, done);
  const pct = total > 0 ? Math.min(1, done / total) : 0;
  return (
    <span class="progress-cell">
      <progress class="progress" max={total > 0 ? total : 1} value={done} aria-label={`First message: ${done} of ${total} people handled`} />
      <span class="sub">
        {count.format(done)} / {count.format(total)}
        {total > 0 && <> · {percent.format(pct)}</>}
      </span>
    </span>
  );
}

const dash = <span class="muted">—</span>;

/** Drafts and scheduled campaigns open in the editor (where a scheduled one is unscheduled);
 *  everything that has started opens in the live monitor. */
export function campaignHref(c: Campaign): string {
  return c.status === 'draft' || c.status === 'scheduled' ? `/app/campaigns/${c.id}/edit` : `/app/campaigns/${c.id}`;
}

/** A scheduled start this close (or passed, waiting) keeps the list refreshing. */
const SOON_MS = 15 * 60_000;

/** The "Started" cell of a campaign that has not started: when a scheduled one starts (in the
 *  account's zone) and what it waits for, or why a scheduled start did not happen (issue 16). */
function NotStartedCell({ c, running, tz }: { c: Campaign; running: Campaign | undefined; tz: string }) {
  if (c.status === 'scheduled' && c.start_at)
    return (
      <span class="when" data-testid="campaign-start-at">
        <span>
          Starts{' '}
          <time dateTime={c.start_at} title={formatInZone(c.start_at, tz) + ' (' + zoneLabel(tz) + ')'}>
            {formatInZone(c.start_at, tz, 'short')}
          </time>
        </span>
        {c.waiting === 'campaign_running' && (
          <span class="sub" data-testid="campaign-waiting">
            waiting for {running ? `“${running.name}”` : 'the campaign that is sending'}
          </span>
        )}
        {tz !== knownZone(browserTimezone()) && <span class="sub">{zoneLabel(tz)}</span>}
      </span>
    );
  if (c.status === 'draft' && c.pause_reason && c.pause_reason !== 'manual')
    return (
      <span class="when">
        <span class="muted">Not started</span>
        <span class="sub bad-text">Scheduled start failed: {reasonLabel(c.pause_reason).toLowerCase()}</span>
      </span>
    );
  return <span class="muted">Not started</span>;
}

/** "Copy of …", kept within the API's 200-character name limit. */
function copyName(name: string): string {
  const n = 'Copy of ' + name;
  return Array.from(n).length > 200 ? Array.from(n).slice(0, 199).join('') + '…' : n;
}

/** Duplicate (any campaign → a new draft in the editor) and delete (drafts only, confirmed inline). */
function RowActions({ c, onDeleted, onError }: { c: Campaign; onDeleted: () => void; onError: (m: string) => void }) {
  const [busy, setBusy] = useState(false);
  const [confirming, setConfirming] = useState(false);
  async function duplicate() {
    setBusy(true);
    try {
      const copy = await createCampaign({ ...campaignInput(c), name: copyName(c.name) });
      navigate(`/app/campaigns/${copy.id}/edit`);
    } catch (e) {
      onError('Could not duplicate “' + c.name + '”: ' + describeError(e));
      setBusy(false);
    }
  }
  async function remove() {
    setBusy(true);
    try {
      await deleteCampaign(c.id);
      onDeleted();
    } catch (e) {
      onError('Could not delete “' + c.name + '”: ' + describeError(e));
    } finally {
      setBusy(false);
      setConfirming(false);
    }
  }
  if (confirming)
    return (
      <span class="confirm" role="group" aria-label={'Delete ' + c.name + '?'}>
        <span>Delete this draft?</span>
        <button type="button" class="btn btn-danger btn-sm" disabled={busy} onClick={() => void remove()}>
          {busy ? 'Deleting…' : 'Delete'}
        </button>
        <button type="button" class="btn btn-sm" disabled={busy} onClick={() => setConfirming(false)}>
          Keep
        </button>
      </span>
    );
  return (
    <span class="actions row-actions">
      <button type="button" class="btn btn-sm" disabled={busy} onClick={() => void duplicate()} aria-label={'Duplicate ' + c.name}>
        Duplicate
      </button>
      {c.status === 'draft' && (
        <button type="button" class="btn btn-ghost btn-sm" disabled={busy} onClick={() => setConfirming(true)} aria-label={'Delete ' + c.name}>
          Delete
        </button>
      )}
    </span>
  );
}

export function CampaignsView() {
  const [campaigns, setCampaigns] = useState<Campaign[] | null>(null);
  const [stats, setStats] = useState<Map<number, CampaignStats>>(new Map());
  const [loading, setLoading] = useState(false);
  const [loaded, setLoaded] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [tz, setTz] = useState(() => knownZone(browserTimezone()));
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
    getAccount().then(
      (a) => setTz(knownZone(a.timezone)),
      () => undefined,
    );
    return () => {
      seq.current++;
    };
  }, []);

  // Live numbers while something is sending, or a scheduled start is near (it starts by itself).
  const live =
    campaigns?.some((c) => isLive(c.status) || (c.status === 'scheduled' && (!c.start_at || Date.parse(c.start_at) - Date.now() < SOON_MS))) ?? false;
  const running = campaigns?.find((c) => c.status === 'running');
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
        <div class="actions">
          <button type="button" class="btn btn-sm" onClick={() => void load()} disabled={loading}>
            {loading ? 'Refreshing…' : 'Refresh'}
          </button>
          <a class="btn btn-primary btn-sm" href="/app/campaigns/new" onClick={onLinkClick}>
            New campaign
          </a>
        </div>
      </div>
      <FormError message={error} />

      <section class="card card-flush" aria-busy={loading ? 'true' : 'false'} data-loaded={loaded && !loading ? 'campaigns' : undefined}>
        {campaigns === null ? (
          <p class="empty">{error ? 'Campaigns could not be loaded.' : 'Loading campaigns…'}</p>
        ) : campaigns.length === 0 ? (
          <p class="empty">
            No campaigns yet. Campaigns you create appear here with their progress and results.{' '}
            <a href="/app/campaigns/new" onClick={onLinkClick}>
              Create your first campaign
            </a>
          </p>
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
                <th scope="col">
                  <span class="sr-only">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {campaigns.map((c) => {
                const s = stats.get(c.id);
                return (
                  <tr key={c.id} data-testid="campaign-row" data-campaign-id={c.id}>
                    <td data-label="Campaign">
                      <a class="name" data-testid="campaign-name" href={campaignHref(c)} onClick={onLinkClick}>
                        {c.name}
                      </a>
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
                        <NotStartedCell c={c} running={running} tz={tz} />
                      )}
                    </td>
                    <td data-label="Actions">
                      <RowActions c={c} onDeleted={() => void load()} onError={setError} />
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
