// People — a campaign's results per person (issue 16; API.md "Results per person"): one row per
// person and message (a person followed up twice has three), with the status (sent, failed,
// skipped, pending, cancelled), what they did (read, replied, clicked, bought), the failure or skip
// in words from the error registry, and a link to the contact. Filters (status, message) and the
// page size live in the URL; "Load more" follows next_after; "Export CSV" downloads
// recipients.csv with the same filters. Reached from the monitor and the scorecard. Names are
// contact-supplied: text only.
import { useEffect, useState } from 'preact/hooks';
import '../results.css';
import '../people.css';
import { ApiError, describeError, type Campaign } from '../api';
import { getCampaign } from '../api-campaigns';
import { exportRecipients, listRecipients, type Recipient, type RecipientStatus } from '../api-people';
import { getCampaignAnalytics } from '../api-results';
import { count, dateTime, money, reasonExplain, reasonLabel, stepLabel, when } from '../results/format';
import { CampaignHead, NotFoundPage } from '../results/ui';
import { usePaged } from '../results/usePaged';
import { onLinkClick, replaceQuery } from '../router';
import { FormError } from './Field';

const PAGE = 100;

const STATUSES: { value: RecipientStatus | ''; label: string }[] = [
  { value: '', label: 'Every status' },
  { value: 'sent', label: 'Sent' },
  { value: 'failed', label: 'Failed' },
  { value: 'skipped', label: 'Skipped' },
  { value: 'pending', label: 'Pending' },
  { value: 'cancelled', label: 'Cancelled' },
];

const STATUS_CHIP: Record<RecipientStatus, { label: string; tone: string }> = {
  sent: { label: 'Sent', tone: 'ok' },
  failed: { label: 'Failed', tone: 'bad' },
  skipped: { label: 'Skipped', tone: 'muted' },
  pending: { label: 'Pending', tone: 'info' },
  cancelled: { label: 'Cancelled', tone: 'muted' },
};

/** Why a row was skipped, for tgr's own reasons (Telegram's come from the registry). */
const SKIP_WORDS: Record<string, string> = {
  opted_out: 'Opted out',
  unreachable: 'Blocked the shop or deleted the account',
  replied: 'Replied before this follow-up',
};

function asStatus(v: string | null): RecipientStatus | '' {
  return v === 'sent' || v === 'failed' || v === 'skipped' || v === 'pending' || v === 'cancelled' ? v : '';
}

function asStep(v: string | null): number | null {
  return v && /^\d{1,4}$/.test(v) ? Number(v) : null;
}

function pageSize(v: string | null): number {
  const n = v && /^\d+$/.test(v) ? Number(v) : PAGE;
  return Math.min(500, Math.max(1, n));
}

function personName(r: Recipient): string {
  const n = [r.first_name, r.last_name].filter((x) => x && x.trim()).join(' ');
  return n || (r.username ? '@' + r.username : `Contact #${r.contact_id}`);
}

/** The failure or skip of a row in words, with the registry's one-line explanation. */
function problem(r: Recipient): { words: string; code: string | null; explain: string | null } | null {
  if (r.status === 'cancelled') return { words: 'Not sent: the campaign was cancelled', code: null, explain: null };
  if (r.status === 'skipped') {
    if (!r.error_code) return { words: r.step > 0 ? 'Not needed: they had replied or clicked' : 'Skipped', code: null, explain: null };
    if (SKIP_WORDS[r.error_code]) return { words: SKIP_WORDS[r.error_code], code: null, explain: null };
    return { words: reasonLabel(r.error_code), code: r.error_code, explain: reasonExplain(r.error_code) };
  }
  // Words first, the code second (issue 18).
  if (r.status === 'failed' && r.error_code) return { words: reasonLabel(r.error_code), code: r.error_code, explain: reasonExplain(r.error_code) };
  return null;
}

const Time = ({ iso }: { iso: string }) => (
  <time dateTime={iso} title={dateTime.format(new Date(iso))}>
    {when(iso)}
  </time>
);

/** What the person did after this message, as chips. */
function Reactions({ r, currency }: { r: Recipient; currency: string | null }) {
  const chips = [];
  if (r.read_at)
    chips.push(
      <span key="read" class="pill pill-info" data-chip="read" title={'Read ' + dateTime.format(new Date(r.read_at))}>
        Read
      </span>,
    );
  if (r.replied_at)
    chips.push(
      <span key="replied" class="pill pill-info" data-chip="replied" title={'Replied ' + dateTime.format(new Date(r.replied_at))}>
        Replied
      </span>,
    );
  if (r.clicks > 0 || r.clicked_at)
    chips.push(
      <span key="clicked" class="pill pill-info" data-chip="clicked" title={r.clicked_at ? 'First click ' + dateTime.format(new Date(r.clicked_at)) : undefined}>
        Clicked{r.clicks > 1 ? ` ×${r.clicks}` : ''}
      </span>,
    );
  if (r.orders > 0)
    chips.push(
      <span key="bought" class="pill pill-ok" data-chip="bought">
        Bought{r.orders > 1 ? ` ×${r.orders}` : ''} · {money(r.revenue, currency)}
      </span>,
    );
  if (r.opted_out)
    chips.push(
      <span key="out" class="pill pill-warn" data-chip="opted_out">
        Opted out
      </span>,
    );
  return chips.length ? <span class="chips">{chips}</span> : <span class="muted">—</span>;
}

export function PeopleView(props: { id: number; query: URLSearchParams }) {
  const { id } = props;
  const [limit] = useState(pageSize(props.query.get('limit')));
  const [status, setStatus] = useState<RecipientStatus | ''>(asStatus(props.query.get('status')));
  const [step, setStep] = useState<number | null>(asStep(props.query.get('step')));
  const [campaign, setCampaign] = useState<Campaign | null>(null);
  const [currency, setCurrency] = useState<string | null>(null);
  const list = usePaged<Recipient, number>(async (after) => {
    const page = await listRecipients(id, { status, step, limit, after });
    return { items: page.recipients, next: page.next_after, total: page.total };
  }, `${status}|${step ?? ''}`);
  const { items: rows, next: nextAfter, total, loading, loadedKey, error: listError, load } = list;
  const [error, setError] = useState<string | null>(null);
  const [notFound, setNotFound] = useState(false);
  const [exporting, setExporting] = useState(false);
  const [exportError, setExportError] = useState<string | null>(null);

  useEffect(() => {
    getCampaign(id).then(setCampaign, (e: unknown) => {
      setNotFound(e instanceof ApiError && e.status === 404);
      setError(describeError(e));
    });
    getCampaignAnalytics(id).then(
      (a) => setCurrency(a.currency),
      () => undefined,
    );
  }, [id]);

  useEffect(() => {
    replaceQuery({ status, step: step === null ? '' : String(step), limit: limit === PAGE ? '' : String(limit) });
    void load(null);
  }, [status, step]);

  async function exportCsv() {
    setExporting(true);
    setExportError(null);
    try {
      await exportRecipients(id, { status, step });
    } catch (e) {
      setExportError('The export did not complete: ' + describeError(e));
    } finally {
      setExporting(false);
    }
  }

  if (notFound) return <NotFoundPage what="Campaign" back="/app/campaigns" backLabel="Back to campaigns" />;

  const steps = campaign ? 1 + (campaign.nudges?.length ?? 0) : Math.max(1, (step ?? 0) + 1);
  const filtered = status !== '' || step !== null;

  return (
    <main class="page results people" id="main">
      <CampaignHead id={id} eyebrow="People" campaign={campaign}>
        {campaign?.started_at && (
          <a class="btn btn-sm" href={`/app/campaigns/${id}/scorecard`} onClick={onLinkClick}>
            Scorecard
          </a>
        )}
        <button type="button" class="btn btn-sm" onClick={() => void load(null)} disabled={loading}>
          {loading ? 'Refreshing…' : 'Refresh'}
        </button>
        <button type="button" class="btn btn-sm btn-primary" onClick={() => void exportCsv()} disabled={exporting} data-testid="export-csv">
          {exporting ? 'Exporting…' : 'Export CSV'}
        </button>
      </CampaignHead>
      <p class="res-sub">One row per person and message: who got it, what happened, and what they did after. The export has every row of the filters below.</p>
      <FormError message={exportError} />

      <form class="toolbar" onSubmit={(e) => e.preventDefault()} aria-label="Filter people">
        <div class="field">
          <label for="people-status">Status</label>
          <select id="people-status" value={status} onChange={(e) => setStatus(asStatus(e.currentTarget.value))}>
            {STATUSES.map((s) => (
              <option key={s.value} value={s.value}>
                {s.label}
              </option>
            ))}
          </select>
        </div>
        <div class="field">
          <label for="people-step">Message</label>
          <select id="people-step" value={step === null ? '' : String(step)} onChange={(e) => setStep(asStep(e.currentTarget.value))}>
            <option value="">Every message</option>
            {Array.from({ length: steps }, (_, i) => (
              <option key={i} value={String(i)}>
                {stepLabel(i)}
              </option>
            ))}
          </select>
        </div>
      </form>
      <FormError message={error ?? listError} />

      <section class="card card-flush" aria-busy={loading ? 'true' : 'false'} data-loaded={loading ? undefined : (loadedKey ?? undefined)}>
        {rows === null ? (
          <p class="empty">{error || listError ? 'The people could not be loaded.' : 'Loading…'}</p>
        ) : rows.length === 0 ? (
          <p class="empty">
            {filtered
              ? 'Nobody matches these filters.'
              : campaign?.status === 'draft' || campaign?.status === 'scheduled'
                ? 'Nobody yet: people appear here once the campaign starts.'
                : 'Nobody yet.'}
          </p>
        ) : (
          <table class="table people-table">
            <caption class="sr-only">People of this campaign</caption>
            <thead>
              <tr>
                <th scope="col">Person</th>
                <th scope="col">Message</th>
                <th scope="col">Status</th>
                <th scope="col">What they did</th>
                <th scope="col">Sent</th>
                <th scope="col">Problem</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((r) => {
                const chip = STATUS_CHIP[r.status] ?? { label: r.status, tone: 'muted' };
                const p = problem(r);
                return (
                  <tr key={`${r.contact_id}-${r.step}`} data-testid="person-row" data-status={r.status} data-contact-id={r.contact_id}>
                    <td data-label="Person">
                      <a class="name" href={`/app/contacts/${r.contact_id}`} onClick={onLinkClick} data-testid="person-name">
                        {personName(r)}
                      </a>
                      {r.username && (r.first_name || r.last_name) && <span class="sub">@{r.username}</span>}
                    </td>
                    <td data-label="Message">{stepLabel(r.step)}</td>
                    <td data-label="Status">
                      <span class={'pill pill-' + chip.tone} data-testid="person-status">
                        {chip.label}
                      </span>
                    </td>
                    <td data-label="What they did">
                      <Reactions r={r} currency={currency} />
                    </td>
                    <td data-label="Sent">{r.sent_at ? <Time iso={r.sent_at} /> : <span class="muted">—</span>}</td>
                    <td data-label="Problem">
                      {p ? (
                        <span class="problem" data-testid="person-problem">
                          <span class={r.status === 'failed' ? 'bad-text' : undefined} data-testid="person-problem">
                            {p.words}
                            {p.code && (
                              <>
                                {' '}
                                <code class="reason-code">{p.code}</code>
                              </>
                            )}
                          </span>
                          {p.explain && <span class="sub">{p.explain}</span>}
                        </span>
                      ) : (
                        <span class="muted">—</span>
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
        <span class="muted" role="status" data-testid="people-count">
          {rows && total !== null ? `${count.format(rows.length)} of ${count.format(total)} shown` : ''}
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
