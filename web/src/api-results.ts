// Typed calls for what a campaign achieved (shared/API.md "Campaigns" analytics/logs/scorecard,
// "Analytics"): live counters, the log stream (Server-Sent Events read with fetch, since
// EventSource cannot send the Authorization header), pause/resume/cancel, the scorecard and the
// account-wide revenue, categories and comparison reports. Owned by the results views
// (Monitor, Analytics, Scorecard).
import { ApiError, clearToken, getToken, request, requireLogin, type Campaign, type CampaignCounters, type Category } from './api';
import type { Filters } from './api-campaigns';
import { messages } from './i18n';

const M = messages(
  {
    logIn: 'Please log in.',
    answered: (status: number) => `The server answered ${status}.`,
    noStreams: 'The browser cannot read event streams.',
  },
  {
    logIn: 'Войдите.',
    answered: (status) => `Сервер ответил кодом ${status}.`,
    noStreams: 'Браузер не умеет читать потоки событий.',
  },
);

// ---- Types ----

export type LogStatus = 'sent' | 'failed' | 'flood_wait' | 'retry' | 'skipped' | 'paused' | 'resumed' | 'quiet_hours' | 'daily_limit';

/** One line of a campaign's send log. `name` is contact-supplied: render it only as text. */
export interface LogEntry {
  id: number;
  at: string;
  contact_id: number | null;
  name: string | null;
  step: number;
  status: LogStatus | string;
  error_code: string | null;
  error_details: string | null;
}

export interface NudgeProgress {
  step: number;
  /** Rows of this step still waiting to go out. */
  scheduled: number;
  sent?: number;
  next_at: string | null;
}

/** One part of a campaign's progress (issue 18): the first message, or the follow-ups. Done
 *  (sent + failed + skipped) only grows; `total` is fixed for the first message (its audience)
 *  and, for the follow-ups, the most that can still go out, which only shrinks — so done/total
 *  never goes backwards. */
export interface StepProgress {
  total: number;
  sent: number;
  failed: number;
  skipped: number;
  /** Queued now (follow-ups: made and due, not sent yet). */
  pending: number;
  /** When the queued ones will have gone, counting the queue ahead, FloodWait, quiet hours and the daily limit. */
  eta: string | null;
}

/** Another campaign of the account whose queued messages go out before this one's. */
export interface WaitingBehind {
  campaign_id: number;
  name: string;
  status: 'running' | 'nudging' | string;
  /** How many of its messages go first (a scheduled campaign: the first messages it has left). */
  messages: number;
}

/** GET /campaigns/:id/analytics — counters kept in real time. Money in minor units. */
export interface CampaignAnalytics extends CampaignCounters {
  failures_by_reason: Record<string, number>;
  /** One line for people per code of failures_by_reason; null for a code nobody knows. */
  reasons?: Record<string, string | null>;
  currency: string;
  category_distribution: Partial<Record<Category, number>>;
  send_rate_per_min: number;
  eta: string | null;
  flood_wait_until: string | null;
  quiet_hours: { active: boolean; resumes_at: string | null };
  nudges: NudgeProgress[];
  first_message?: StepProgress;
  follow_ups?: StepProgress;
  waiting_behind?: WaitingBehind[];
}

export interface BestLine {
  text: string;
  step: number;
  sent: number;
  clicks: number;
  unique_clicks: number;
  replies: number;
  revenue: number;
  score: number;
  /** The same line in the account's earlier campaigns, or null when it is new. */
  earlier: { campaigns: number; sent: number; clicks: number; replies: number } | null;
}

export interface AttributionRow {
  orders: number;
  revenue: number;
  url?: string;
  clicks?: number;
  step?: number;
  code?: string;
}

export type SuggestionKind = 'clicked_not_bought' | 'read_not_replied' | 'not_read' | 'refund_risk' | 'bought';

export interface Suggestion {
  /** The rule (issue 18): the follow-up's draft message is chosen by it. */
  kind?: SuggestionKind;
  title: string;
  reason: string;
  /** Who a campaign with these filters reaches now (the frequency cap applied). */
  audience_count: number;
  /** The same once the frequency cap has passed. */
  audience_count_after_cap?: number;
  /** not_read only, when anyone read: the hour (0–23, the account's time zone) its readers read most. */
  read_hour?: number;
  filters: Filters;
}

export interface Scorecard {
  metrics: CampaignAnalytics;
  best_lines: BestLine[];
  revenue_attribution: { by_link: AttributionRow[]; by_step: AttributionRow[]; by_code: AttributionRow[] };
  suggestions: Suggestion[];
}

export interface RevenueReport {
  currency: string;
  total: number;
  orders?: number;
  series: { t: string; revenue: number; orders: number }[];
  by_campaign: { campaign_id: number; name: string; revenue: number; orders: number }[];
}

export interface CategoryReport {
  total: number;
  distribution: Record<Category, number>;
}

// ---- Calls ----

export const getCampaignAnalytics = (id: number) => request<CampaignAnalytics>('GET', `/campaigns/${id}/analytics`);
export const pauseCampaign = (id: number) => request<Campaign>('POST', `/campaigns/${id}/pause`, {});
export const resumeCampaign = (id: number, overrideQuietHours: boolean) =>
  request<Campaign>('POST', `/campaigns/${id}/resume`, overrideQuietHours ? { override_quiet_hours: true } : {});
export const cancelCampaign = (id: number) => request<Campaign>('POST', `/campaigns/${id}/cancel`, {});
export const getScorecard = (id: number) => request<Scorecard>('GET', `/campaigns/${id}/scorecard`);
export const getCategories = () => request<CategoryReport>('GET', '/analytics/categories');

export function getRevenue(from: Date, to: Date, bucket: 'day' | 'week'): Promise<RevenueReport> {
  const p = new URLSearchParams({ from: from.toISOString(), to: to.toISOString(), bucket });
  return request<RevenueReport>('GET', '/analytics/revenue?' + p.toString());
}

// ---- The live log (Server-Sent Events over fetch) ----

export interface LogStreamHandlers {
  /** The server accepted the stream (200). */
  /** The stream is open; `serverDate` is its response's Date header (the server's clock), if any. */
  onOpen: (serverDate: string | null) => void;
  /** One log entry; `id` is the SSE id to resume from. */
  onEntry: (entry: LogEntry) => void;
}

/** How long a stream may stay silent before it is treated as dead (the server pings every 15 s). */
const STALL_MS = 40_000;

/**
 * Reads GET /campaigns/:id/logs as an event stream until it ends, the signal aborts or it stalls.
 * Resolves when the server closes the stream (the caller reconnects); rejects with ApiError for a
 * non-2xx answer (401 also forgets the token and sends the user to login) and with the fetch's
 * error for network failures and aborts.
 */
export async function readLogStream(id: number, lastId: number | null, signal: AbortSignal, h: LogStreamHandlers): Promise<void> {
  const token = getToken();
  if (!token) {
    requireLogin();
    throw new ApiError(401, 'unauthorized', M().logIn, null, null);
  }
  const headers: Record<string, string> = { Accept: 'text/event-stream', Authorization: 'Bearer ' + token };
  if (lastId != null) headers['Last-Event-ID'] = String(lastId);

  // A per-connection controller so a stall can cut this stream without touching the caller's signal.
  const conn = new AbortController();
  const onAbort = () => conn.abort();
  signal.addEventListener('abort', onAbort);
  let stall: number | undefined;
  const arm = () => {
    window.clearTimeout(stall);
    stall = window.setTimeout(() => conn.abort(), STALL_MS);
  };
  try {
    arm();
    const res = await fetch(`/campaigns/${id}/logs`, { headers, signal: conn.signal, cache: 'no-store', credentials: 'same-origin' });
    if (!res.ok) {
      let code = 'http_' + res.status;
      let message = M().answered(res.status);
      try {
        const body = (await res.json()) as { error?: { code?: unknown; message?: unknown } };
        if (typeof body.error?.code === 'string') code = body.error.code;
        if (typeof body.error?.message === 'string') message = body.error.message;
      } catch {
        /* not JSON */
      }
      if (res.status === 401) {
        clearToken();
        requireLogin();
      }
      throw new ApiError(res.status, code, message, null, null);
    }
    if (!res.body) throw new ApiError(0, 'network', M().noStreams, null, null);
    h.onOpen(res.headers.get('Date'));
    const reader = res.body.getReader();
    const decoder = new TextDecoder();
    let buf = '';
    let data: string[] = [];
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      arm();
      buf += decoder.decode(value, { stream: true });
      // Dispatch every complete line; keep a partial one for the next chunk.
      let nl: number;
      while ((nl = buf.search(/\r\n|\r|\n/)) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + (buf[nl] === '\r' && buf[nl + 1] === '\n' ? 2 : 1));
        if (line === '') {
          if (data.length) {
            const text = data.join('\n');
            data = [];
            try {
              const entry = JSON.parse(text) as LogEntry;
              if (entry && typeof entry.id === 'number') h.onEntry(entry);
            } catch {
              /* a malformed event is skipped, the stream goes on */
            }
          }
          continue;
        }
        if (line.startsWith(':')) continue; // comment / heartbeat
        const colon = line.indexOf(':');
        const field = colon < 0 ? line : line.slice(0, colon);
        let value = colon < 0 ? '' : line.slice(colon + 1);
        if (value.startsWith(' ')) value = value.slice(1);
        if (field === 'data') data.push(value);
        // `id:` duplicates entry.id; `event:` and `retry:` are not used by tgr.
      }
    }
  } finally {
    window.clearTimeout(stall);
    signal.removeEventListener('abort', onAbort);
  }
}
