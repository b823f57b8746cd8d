// Typed calls of the shop's side of the account (issue 17; shared/API.md "Account settings and the
// shop's orders", README "Revenue"): the owner's credentials (password, API key, sign out
// everywhere), the orders list, the order webhook's secret and signed example, a test order sent
// through the real webhook, and the CSV import with upload and processing progress.
import { ApiError, clearToken, request } from './api';
import { apiErrorFrom, xhrPost, type Upload } from './api-campaigns';
import { messages, plural } from './i18n';
import { navigate } from './router';

const M = messages(
  {
    passwordChanged: 'Your password was changed and every device was signed out, this one too. Log in with the new password.',
    signedOutEverywhere: 'You were signed out everywhere, this browser too. Log in again.',
    atLeast: (n: number) => `At least ${n} characters.`,
    atMost: (n: number) => `At most ${n} characters.`,
  },
  {
    passwordChanged: 'Пароль изменён, и все устройства вышли из аккаунта, это тоже. Войдите с новым паролем.',
    signedOutEverywhere: 'Вы вышли из аккаунта везде, в этом браузере тоже. Войдите снова.',
    atLeast: (n) => `Не меньше ${plural(n, { one: '# символа', other: '# символов' })}.`,
    atMost: (n) => `Не больше ${plural(n, { one: '# символа', other: '# символов' })}.`,
  },
);

export type AttributedVia = 'ref' | 'discount_code' | 'window' | null;

/** One row of GET /orders: nothing about the customer. Money in minor units. */
export interface Order {
  order_id: string;
  amount: number;
  currency: string;
  status: 'paid' | 'refunded';
  created_at: string;
  attributed_campaign_id: number | null;
  attributed_via: AttributedVia;
  /** A test order (the webhook's "test": true): listed, never credited, no revenue. */
  test: boolean;
}

export interface OrderPage {
  orders: Order[];
  next_after: number | null;
}

export function listOrders(limit: number, after: number | null = null): Promise<OrderPage> {
  const p = new URLSearchParams({ limit: String(limit) });
  if (after != null) p.set('after', String(after));
  return request<OrderPage>('GET', '/orders?' + p.toString());
}

// ---- credentials ----

/** 204; the token in use is signed out with every other one, so the caller logs in again. */
export const changePassword = (current_password: string, new_password: string) =>
  request<void>('POST', '/account/password', { current_password, new_password });
export const newApiKey = () => request<{ api_key: string }>('POST', '/account/api-key');
export const logoutAll = () => request<void>('POST', '/auth/logout-all');

const NOTICE_KEY = 'tgr.notice';

/** Why the owner was signed out: the login page says it in the language it shows. */
export type LoginNotice = 'passwordChanged' | 'signedOutEverywhere';

/** Forget the token (the server no longer takes it) and go to the login page with a notice. */
export function signedOut(notice: LoginNotice, next = '/app/settings'): void {
  clearToken();
  sessionStorage.setItem(NOTICE_KEY, notice);
  navigate('/app/login?next=' + encodeURIComponent(next), { replace: true });
}

/** The notice signedOut left for the login page, once, in the current language. */
export function takeLoginNotice(): string | null {
  const n = sessionStorage.getItem(NOTICE_KEY);
  sessionStorage.removeItem(NOTICE_KEY);
  return n === 'passwordChanged' || n === 'signedOutEverywhere' ? M()[n] : null;
}

/** Rules of a new password, as the server checks them: 12 to 1024 bytes of UTF-8. */
export const PASSWORD_MIN = 12;
export const PASSWORD_MAX = 1024;
export function passwordProblem(pw: string): string | null {
  const n = new TextEncoder().encode(pw).length;
  if (n < PASSWORD_MIN) return M().atLeast(PASSWORD_MIN);
  if (n > PASSWORD_MAX) return M().atMost(PASSWORD_MAX);
  return null;
}

// ---- the order webhook ----

export const newWebhookSecret = () => request<{ webhook_secret: string }>('POST', '/account/webhook-secret');

/** GET /orders/webhook-example: a test order signed with the account's secret (no signature header
 *  while the account has no secret). */
export interface WebhookExample {
  url: string;
  account_id: number;
  secret_set: boolean;
  headers: Record<string, string>;
  body: string;
  order_id: string;
}
export const getWebhookExample = () => request<WebhookExample>('GET', '/orders/webhook-example');

/** The example as a shell command, each value in single quotes. */
export function curlCommand(ex: WebhookExample): string {
  const q = (s: string) => "'" + s.replace(/'/g, `'\\''`) + "'";
  const lines = [`curl -X POST ${q(ex.url)}`, ...Object.entries(ex.headers).map(([k, v]) => `  -H ${q(k + ': ' + v)}`), `  --data-raw ${q(ex.body)}`];
  return lines.join(' \\\n');
}

/** What the shop's system does: POST the example's body with its headers to the webhook, on this
 *  server (the example's URL may be the public address behind a proxy). A refusal is the webhook's
 *  own answer, not a sign-out: no redirect to the login page. */
export async function sendTestOrder(ex: WebhookExample): Promise<{ status: number; attributed_campaign_id: number | null }> {
  let res: Response;
  try {
    res = await fetch('/webhooks/orders', { method: 'POST', headers: ex.headers, body: ex.body, credentials: 'omit', cache: 'no-store' });
  } catch {
    throw new ApiError(0, 'network', 'Cannot reach the tgr server. Check your connection and try again.', null, null);
  }
  const text = await res.text();
  if (!res.ok) throw apiErrorFrom(res.status, text, res.headers.get('Retry-After'), false);
  const data = JSON.parse(text) as { attributed_campaign_id: number | null };
  return { status: res.status, attributed_campaign_id: data.attributed_campaign_id };
}

// ---- the CSV import ----

export interface ImportError {
  line: number;
  message: string;
}
export interface ImportResult {
  imported: number;
  skipped: number;
  errors: ImportError[];
  errors_total: number;
}
export interface ImportProgress {
  id: string;
  lines: number;
  bytes_done: number;
  bytes_total: number;
  finished: boolean;
  updated_at: string;
}
export const importProgress = (id: string) => request<ImportProgress>('GET', '/orders/imports/' + encodeURIComponent(id));

export interface Import extends Upload<ImportResult> {
  /** The id GET /orders/imports/:id knows the processing under. */
  id: string;
}

/** POST /orders/import?progress=<id> with the file as text/csv; onUpload gets 0..1 while it uploads.
 *  The answer comes when every line is processed (poll importProgress(id) meanwhile). */
export function importOrders(file: File, onUpload: (fraction: number) => void): Import {
  const raw = new Uint8Array(8);
  crypto.getRandomValues(raw);
  const id = 'web-' + Array.from(raw, (b) => b.toString(16).padStart(2, '0')).join('');
  return { id, ...xhrPost<ImportResult>('/orders/import?progress=' + id, file, onUpload, 'text/csv') };
}
