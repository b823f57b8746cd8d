// Scorecard — what a campaign achieved and what to send next (issue 7): its metrics, the lines
// that worked best, where the revenue came from (by link, by message step, by discount code), and
// suggestions of who to message next, each with its audience and "Create follow-up campaign",
// which makes a draft with the suggestion's filters and a message that fits it (editor/followup.ts)
// and opens the editor.
import { useState } from 'preact/hooks';
import '../results.css';
import { describeError, type Campaign } from '../api';
import { createCampaign, getAccount, getCampaign } from '../api-campaigns';
import { followUpInput, suggestionKind } from '../editor/followup';
import { getScorecard, type AttributionRow, type CampaignAnalytics, type Scorecard, type Suggestion } from '../api-results';
import { navigate, onLinkClick } from '../router';
import { BestLinesList, RankNote } from '../results/BestLines';
import { count, dateTime, money, percent, stepLabel } from '../results/format';
import { CampaignHead, FrequencyCapNote, RepliedStat, Stat } from '../results/ui';
import { useLoad } from '../results/useLoad';

function Metrics({ m }: { m: CampaignAnalytics }) {
  const rate = (n: number) => (m.sent > 0 ? percent.format(n / m.sent) : '—');
  return (
    <section class="stats" aria-label="Results">
      <Stat
        label="Sent"
        value={count.format(m.sent)}
        testid="score-sent"
        sub={m.sent > m.audience ? `to ${count.format(m.audience)} people, follow-ups included` : `of ${count.format(m.audience)} people`}
      />
      <Stat label="Read" value={count.format(m.read)} sub={`${rate(m.read)} of sent`} />
      <RepliedStat m={m} testid="score-replied" />
      <Stat
        label="Clicked"
        value={count.format(m.unique_clicks)}
        testid="score-clicks"
        tone={m.unique_clicks ? 'accent' : undefined}
        sub={`CTR ${percent.format(m.ctr || 0)} · ${count.format(m.clicks)} in all`}
      />
      <Stat label="Orders" value={count.format(m.orders)} testid="score-orders" tone={m.orders ? 'ok' : undefined} sub={m.sent ? `${rate(m.orders)} of sent` : undefined} />
      <Stat label="Revenue" value={money(m.revenue, m.currency)} testid="score-revenue" tone={m.revenue ? 'ok' : undefined} sub={m.sent ? `${money(Math.round(m.revenue / m.sent), m.currency)} per message` : undefined} />
      <Stat label="Failed" value={count.format(m.failed)} tone={m.failed ? 'bad' : undefined} sub={m.failed ? 'not delivered: the monitor says why' : 'no failures'} />
    </section>
  );
}

function hostPath(url: string): string {
  try {
    const u = new URL(url);
    return u.host + (u.pathname === '/' ? '' : u.pathname);
  } catch {
    return url;
  }
}

function AttributionList(props: { title: string; rows: AttributionRow[]; currency: string; keyOf: (r: AttributionRow) => string; empty: string; extra?: (r: AttributionRow) => string | null }) {
  const rows = props.rows.slice().sort((a, b) => b.revenue - a.revenue);
  return (
    <div class="card attr">
      <h3>{props.title}</h3>
      {rows.length === 0 ? (
        <p class="attr-empty">{props.empty}</p>
      ) : (
        <ul class="attr-list">
          {rows.map((r, i) => (
            <li key={i}>
              <span class="attr-key">
                {props.keyOf(r)}
                {props.extra?.(r) && <span class="sub">{props.extra(r)}</span>}
              </span>
              <span class="attr-val">
                <strong>{money(r.revenue, props.currency)}</strong>
                <span class="sub">
                  {count.format(r.orders)} order{r.orders === 1 ? '' : 's'}
                </span>
              </span>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

/** Who a suggestion can reach, now or once the frequency cap has passed. */
function reach(s: Suggestion): number {
  return Math.max(s.audience_count, s.audience_count_after_cap ?? 0);
}

function SuggestionCard(props: { s: Suggestion; campaign: Campaign }) {
  const { s, campaign } = props;
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const later = s.audience_count_after_cap ?? s.audience_count;
  const nobody = s.audience_count === 0 && later === 0;

  async function create() {
    setBusy(true);
    setError(null);
    try {
      // A message that fits the suggestion, the original's quiet hours, tracking and code.
      const { input, droppedPool } = followUpInput(campaign, s);
      const draft = await createCampaign(input);
      const q = new URLSearchParams({ follow_up: String(campaign.id), kind: suggestionKind(s) ?? '' });
      if (droppedPool) q.set('pool', '1');
      navigate(`/app/campaigns/${draft.id}/edit?${q}`);
    } catch (e) {
      setError(describeError(e));
      setBusy(false);
    }
  }

  const titleId = `sugg-${s.title.replace(/[^a-z0-9]+/gi, '-').toLowerCase()}`;
  return (
    <article class={'suggestion' + (nobody ? ' empty-audience' : '')} aria-labelledby={titleId} data-testid="suggestion">
      <h3 id={titleId}>{s.title}</h3>
      <p>{s.reason}</p>
      <div class="suggestion-audience">
        <strong data-testid="suggestion-audience">{count.format(s.audience_count)}</strong>
        <span>{s.audience_count === 1 ? 'person' : 'people'} to message now</span>
      </div>
      {later > s.audience_count && (
        <span class="sub" data-testid="suggestion-audience-later">
          {count.format(later)} once the frequency cap has passed
        </span>
      )}
      {error && (
        <p class="field-error" role="alert">
          {error}
        </p>
      )}
      <button
        type="button"
        class={'btn btn-sm' + (nobody ? '' : ' btn-primary')}
        onClick={() => void create()}
        disabled={busy || nobody}
        data-testid="create-follow-up"
        aria-describedby={titleId}
        title={nobody ? 'Nobody matches this yet' : undefined}
      >
        {busy ? 'Creating…' : 'Create follow-up campaign'}
      </button>
    </article>
  );
}

export function ScorecardView(props: { id: number }) {
  const { id } = props;
  const loaded = useLoad(() => Promise.all([getCampaign(id), getScorecard(id)]), [id]);
  const [campaign, card]: [Campaign | null, Scorecard | null] = loaded.data ? loaded.data : [null, null];
  const cur = card?.metrics.currency ?? 'EUR';
  // The frequency cap's length, to define it where a suggestion mentions it.
  const account = useLoad(getAccount, []);
  const capDays = account.data?.frequency_cap_days ?? null;

  return (
    <main class="page results scorecard" id="main" data-loaded={card && !loaded.loading ? 'scorecard' : undefined}>
      <CampaignHead id={id} eyebrow="Scorecard" campaign={campaign}>
        <a class="btn btn-sm" href={`/app/campaigns/${id}/people`} onClick={onLinkClick} data-testid="people-link">
          Who did what
        </a>
        <button type="button" class="btn btn-sm" onClick={() => void loaded.reload()} disabled={loaded.loading}>
          {loaded.loading ? 'Refreshing…' : 'Refresh'}
        </button>
      </CampaignHead>
      {campaign?.started_at && (
        <p class="res-sub">
          Started {dateTime.format(new Date(campaign.started_at))}
          {campaign.finished_at ? ` · finished ${dateTime.format(new Date(campaign.finished_at))}` : ' · still going: the numbers grow as people react'}
        </p>
      )}
      {loaded.error && (
        <div class="alert alert-error" role="alert">
          {loaded.error}
        </div>
      )}
      {!card || !campaign ? (
        !loaded.error && <p class="empty">Loading the scorecard…</p>
      ) : (
        <>
          <Metrics m={card.metrics} />

          <h2 class="section-title">Who to message next</h2>
          {card.suggestions.some((s) => (s.audience_count_after_cap ?? s.audience_count) > s.audience_count) && <FrequencyCapNote days={capDays} />}
          <div class="suggestions">
            {/* Those with people to message first; the server's order otherwise. */}
            {card.suggestions
              .map((s, i) => ({ s, i }))
              .sort((a, b) => Number(reach(b.s) > 0) - Number(reach(a.s) > 0) || a.i - b.i)
              .map(({ s }) => (
                <SuggestionCard key={s.title} s={s} campaign={campaign} />
              ))}
          </div>

          <h2 class="section-title">Where the revenue came from</h2>
          <div class="sc-grid">
            <AttributionList
              title="By link"
              rows={card.revenue_attribution.by_link}
              currency={cur}
              keyOf={(r) => (r.url ? hostPath(r.url) : 'Link')}
              extra={(r) => (r.clicks != null ? `${count.format(r.clicks)} click${r.clicks === 1 ? '' : 's'}` : null)}
              empty={campaign.track_links ? 'No order came through a tracked link yet.' : 'Link tracking was off for this campaign.'}
            />
            <AttributionList
              title="By message"
              rows={card.revenue_attribution.by_step}
              currency={cur}
              keyOf={(r) => stepLabel(r.step ?? 0)}
              empty="No orders credited yet."
            />
            <AttributionList
              title="By discount code"
              rows={card.revenue_attribution.by_code}
              currency={cur}
              keyOf={(r) => r.code ?? 'Code'}
              empty={campaign.discount_codes ? 'No order used a code of this campaign yet.' : 'This campaign had no discount codes.'}
            />
          </div>

          <section class="card" aria-labelledby="lines-title">
            <h2 id="lines-title">What worked best</h2>
            <RankNote currency={cur} />
            {card.best_lines.length ? (
              <BestLinesList lines={card.best_lines.map((line) => ({ line, campaignId: id, campaignName: campaign.name }))} currency={cur} showCampaign={false} />
            ) : (
              <p class="attr-empty">Nothing sent yet.</p>
            )}
          </section>
        </>
      )}
    </main>
  );
}
