// Typed client for the parts of the tgr HTTP API (shared/API.md) the web app uses.
// The token lives in sessionStorage (per tab, gone when the tab closes). A 401 on any
// authenticated call forgets it and sends the user to the login page, keeping the route.

import { navigate, currentPath } from './router';
import { M, errorText } from './api.i18n';

const TOKEN_KEY = 'tgr.token';
const EXPIRES_KEY = 'tgr.expires_at';
const EMAIL_KEY = 'tgr.email';

/** An error in the API's one shape, {"error":{"code","message","field"}}, plus status and Retry-After.
 *  `message` follows the app's language: in English the sentence the error came with (the server's),
 *  in Russian a text chosen by the code, naming the field (api.i18n.ts); `serverMessage` keeps the former. */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly field: string | null;
  readonly retryAfter: number | null;
  readonly serverMessage: string;
  constructor(status: number, code: string, message: string, field: string | null, retryAfter: number | null) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.field = field;
    this.retryAfter = retryAfter;
    this.serverMessage = message;
    // Read when shown, so a language switch changes it too.
    Object.defineProperty(this, 'message', { get: () => errorText(this.code, this.field, this.serverMessage, this.status), configurable: true });
  }
}

export function getToken(): string | null {
  const token = sessionStorage.getItem(TOKEN_KEY);
  const expires = sessionStorage.getItem(EXPIRES_KEY);
  if (!token) return null;
  if (expires && Date.parse(expires) <= Date.now()) {
    clearToken();
    return null;
  }
  return token;
}

export function getEmail(): string | null {
  return sessionStorage.getItem(EMAIL_KEY);
}

export function clearToken(): void {
  sessionStorage.removeItem(TOKEN_KEY);
  sessionStorage.removeItem(EXPIRES_KEY);
  sessionStorage.removeItem(EMAIL_KEY);
}

function loginPathFor(path: string): string {
  return '/app/login?next=' + encodeURIComponent(path);
}

/** Sends the user to the login page, remembering where they were. */
export function requireLogin(): void {
  const here = currentPath();
  if (here.startsWith('/app/login')) return;
  navigate(loginPathFor(here), { replace: true });
}

interface ErrorBody {
  error?: { code?: unknown; message?: unknown; field?: unknown };
}

/** One JSON call; non-2xx answers become ApiError (401 also sends the user to login). */
export async function request<T>(method: string, path: string, body?: unknown, opts: { auth?: boolean } = {}): Promise<T> {
  const auth = opts.auth !== false;
  const headers: Record<string, string> = { Accept: 'application/json' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (auth) {
    const token = getToken();
    if (!token) {
      requireLogin();
      throw new ApiError(401, 'unauthorized', 'Please log in.', null, null);
    }
    headers.Authorization = 'Bearer ' + token;
  }
  let res: Response;
  try {
    res = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: 'same-origin',
      cache: 'no-store',
    });
  } catch {
    throw new ApiError(0, 'network', 'Cannot reach the tgr server. Check your connection and try again.', null, null);
  }
  if (res.status === 204) return undefined as T;
  let data: unknown = null;
  const text = await res.text();
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      data = null;
    }
  }
  if (!res.ok) {
    const e = (data as ErrorBody | null)?.error;
    const ra = res.headers.get('Retry-After');
    const retryAfter = ra && /^\d+$/.test(ra) ? Number(ra) : null;
    const err = new ApiError(
      res.status,
      typeof e?.code === 'string' ? e.code : 'http_' + res.status,
      typeof e?.message === 'string' && e.message ? e.message : `The server answered ${res.status}.`,
      typeof e?.field === 'string' ? e.field : null,
      retryAfter,
    );
    if (res.status === 401 && auth) {
      clearToken();
      requireLogin();
    }
    throw err;
  }
  return data as T;
}

// ---- Types (API.md) ----

export interface Account {
  id: number;
  email: string;
  plan_type: string;
}

export interface LoginResponse {
  token: string;
  expires_at: string;
  account: Account;
}

export type SessionStatus = 'none' | 'code_sent' | 'password_required' | 'connected' | 'invalid';

export interface Session {
  status: SessionStatus;
  phone?: string | null;
  /** Telegram froze the account (FROZEN_* answers since 2025): it stays connected but cannot send
   *  until an appeal to @SpamBot succeeds. Cleared by the first message that goes through. */
  frozen?: boolean;
  frozen_at?: string | null;
  /** Present when tgr runs on the simulated Telegram: the login it expects. */
  simulator?: { code: string; phone?: string | null; two_step: boolean };
}

export interface VerifyResponse {
  status: 'connected';
  user: { id: string | number; first_name: string | null; username: string | null };
}

export interface SyncResponse {
  contacts_added: number;
  contacts_updated: number;
  messages_added: number;
}

export type Category = 'buyer' | 'browser' | 'refund_risk';

export interface Contact {
  id: number;
  tg_user_id: string;
  first_name: string | null;
  last_name: string | null;
  username: string | null;
  phone: string | null;
  category: Category | 'unknown';
  confidence: number;
  last_message_at: string | null;
  messages_count: number;
  orders_count: number;
  /** Minor units; the API gives no currency beside it. */
  spent: number;
  opted_out: boolean;
  /** Telegram said this person charges Stars for messages (tgr never pays: campaigns skip them). */
  charges_for_messages?: boolean;
  /** The price in Stars when Telegram gave it. */
  charges_stars?: number | null;
  /** Their privacy settings refused the account (USER_PRIVACY_RESTRICTED and the like). */
  privacy_restricted?: boolean;
}

export interface ContactPage {
  contacts: Contact[];
  next_after: number | null;
  /** The currency of every contact's `spent`: the account's, the one most of its orders use (issue 18). */
  currency?: string;
}

export interface ContactQuery {
  q?: string;
  category?: Category | '';
  limit?: number;
  after?: number | null;
  /** GET /contacts?opted_out=true|false (issue 16); null or absent: everyone. */
  opted_out?: boolean | null;
}

export type CampaignStatus = 'draft' | 'scheduled' | 'running' | 'paused' | 'nudging' | 'completed' | 'cancelled';

/** A campaign object (API.md "Campaigns"); only what the list reads is typed strictly. */
export interface Campaign {
  id: number;
  name: string;
  status: CampaignStatus;
  message_text: string;
  media_ids: number[];
  filters: Record<string, unknown>;
  quiet_hours: { start: string; end: string; timezone: string } | null;
  nudges: { after_seconds: number; condition: 'no_reply' | 'no_click' | 'no_reply_no_click'; message_text: string }[];
  track_links: boolean;
  discount_codes: { mode: 'static'; code: string } | { mode: 'pool'; codes: string[] } | null;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
  /** manual, peer_flood, session_invalid, account_frozen, error_streak, storage_error, media_unavailable. */
  pause_reason: string | null;
  /** The error code of an error_streak pause, else null. */
  pause_code?: string | null;
  /** A sending campaign whose account used up its daily limit waits until resumes_at; a scheduled
   *  one whose time has come waits while another campaign of the account is running. */
  waiting?: 'daily_limit' | 'campaign_running' | null;
  resumes_at?: string | null;
  /** The saved segment whose filters are the audience (issue 16); `filters` then shows the segment's. */
  segment_id?: number | null;
  /** When a scheduled campaign starts (issue 16). */
  start_at?: string | null;
}

export interface CampaignList {
  campaigns: Campaign[];
}

/** The live counters of a campaign, as /analytics/campaigns rows and /campaigns/:id/analytics
 *  both carry them. Money in minor units. */
export interface CampaignCounters {
  status: CampaignStatus;
  audience: number;
  pending: number;
  sent: number;
  failed: number;
  skipped?: number;
  read: number;
  replied: number;
  opted_out: number;
  clicks: number;
  unique_clicks: number;
  /** unique clicks / sent, 0..1 */
  ctr: number;
  orders: number;
  revenue: number;
}

/** One row of GET /analytics/campaigns (API.md "Analytics"). */
export interface CampaignStats extends CampaignCounters {
  campaign_id: number;
  /** The first message's progress apart from the follow-ups' (issue 18). */
  first_message?: { total: number; sent: number; failed: number; skipped: number; pending: number };
  name: string;
  currency?: string;
  started_at: string | null;
}

export interface CampaignStatsList {
  campaigns: CampaignStats[];
}

// ---- Calls ----

export async function login(email: string, password: string): Promise<LoginResponse> {
  const r = await request<LoginResponse>('POST', '/auth/login', { email, password }, { auth: false });
  sessionStorage.setItem(TOKEN_KEY, r.token);
  sessionStorage.setItem(EXPIRES_KEY, r.expires_at);
  sessionStorage.setItem(EMAIL_KEY, r.account.email);
  return r;
}

export const getSession = () => request<Session>('GET', '/session');
export const connectSession = (phone: string) => request<{ status: 'code_sent' }>('POST', '/session/connect', { phone });
export const verifySession = (v: { code?: string; password?: string }) =>
  request<VerifyResponse>('POST', '/session/verify', v);
export const deleteSession = () => request<void>('DELETE', '/session');
export const syncSession = () => request<SyncResponse>('POST', '/session/sync');

/** The query string of the contact filters ("?q=…&category=…", or ""), for the list and contacts.csv. */
export function contactQueryString(q: ContactQuery): string {
  const p = new URLSearchParams();
  if (q.q) p.set('q', q.q);
  if (q.category) p.set('category', q.category);
  if (q.opted_out != null) p.set('opted_out', String(q.opted_out));
  if (q.limit) p.set('limit', String(q.limit));
  if (q.after != null) p.set('after', String(q.after));
  const qs = p.toString();
  return qs ? '?' + qs : '';
}

export function listContacts(q: ContactQuery): Promise<ContactPage> {
  return request<ContactPage>('GET', '/contacts' + contactQueryString(q));
}

export const listCampaigns = () => request<CampaignList>('GET', '/campaigns');
export const listCampaignStats = () => request<CampaignStatsList>('GET', '/analytics/campaigns');

/** A user-facing sentence for an error, with the wait for 429s. */
export function describeError(e: unknown): string {
  if (e instanceof ApiError) {
    if (e.status === 429) return M().tooMany(e.retryAfter);
    if (e.status === 503 && e.code !== 'unavailable') return M().telegramDown;
    return e.message;
  }
  return M().wentWrong;
}
