// Typed calls for one campaign's life before and while it sends (shared/API.md "Campaigns"):
// create, read, edit, delete, audience, preview, test send, start, media upload and download,
// and the account settings (the editor reads the timezone; the Telegram page edits the sending limits).
import { ApiError, clearToken, getToken, request, requireLogin, type Campaign, type Category, type Contact } from './api';
import { messages } from './i18n';

/** The client's own error sentences (the server's come in its error shape). */
const M = messages(
  {
    answered: (status: number) => `The server answered ${status}.`,
    logIn: 'Please log in.',
    unreadable: 'The server sent an answer the app cannot read.',
    uploadUnreached: 'The upload did not reach the tgr server. Check your connection and try again.',
    uploadCancelled: 'The upload was cancelled.',
    unreached: 'Cannot reach the tgr server. Check your connection and try again.',
  },
  {
    answered: (status) => `Сервер ответил кодом ${status}.`,
    logIn: 'Войдите в аккаунт.',
    unreadable: 'Сервер прислал ответ, который приложение не может прочитать.',
    uploadUnreached: 'Файл не дошёл до сервера tgr. Проверьте подключение и попробуйте ещё раз.',
    uploadCancelled: 'Загрузка отменена.',
    unreached: 'Нет связи с сервером tgr. Проверьте подключение и попробуйте ещё раз.',
  },
);

/** Filters as the API takes them (all optional, AND-ed); the extra *_campaign ones are tgr's own. */
export interface Filters {
  last_message_within_days?: number;
  categories?: Category[];
  min_orders?: number;
  max_orders?: number;
  min_spent?: number;
  clicked_campaign?: number;
  not_replied_to_campaign?: number;
  read_campaign?: number;
  not_read_campaign?: number;
  replied_to_campaign?: number;
  bought_from_campaign?: number;
  /** Also people who charge Stars for messages (left out by default; tgr never pays). */
  include_charging?: boolean;
  /** Also people whose privacy settings refused the account before (left out by default). */
  include_privacy_restricted?: boolean;
}

export interface QuietHours {
  start: string;
  end: string;
  timezone: string;
}

export type NudgeCondition = 'no_reply' | 'no_click' | 'no_reply_no_click';

export interface Nudge {
  after_seconds: number;
  condition: NudgeCondition;
  message_text: string;
}

export type DiscountCodes = { mode: 'static'; code: string } | { mode: 'pool'; codes: string[] } | null;

/** What POST /campaigns and PATCH /campaigns/:id take. */
export interface CampaignInput {
  name?: string;
  message_text?: string;
  media_ids?: number[];
  filters?: Filters;
  /** A saved segment instead of filters (issue 16; both together are a 400). */
  segment_id?: number | null;
  quiet_hours?: QuietHours | null;
  nudges?: Nudge[];
  track_links?: boolean;
  discount_codes?: DiscountCodes;
}

export interface Audience {
  count: number;
  by_category: { buyer: number; browser: number; refund_risk: number };
  sample: Contact[];
  /** People the filters matched but Telegram refused before, left out unless the filters include them. */
  left_out?: { charges_for_messages: number; privacy_restricted: number };
  /** People the filters matched whom no campaign messages now (issue 18), each under one reason. */
  excluded?: { opted_out: number; blocked: number; frequency_cap: number };
  frequency_cap_days?: number;
  /** When the first person held by the frequency cap can be messaged again. */
  cap_ends_at?: string | null;
}

/** A message exactly as it would be sent: text plus Telegram entities (UTF-16 offsets). */
export interface Entity {
  type: string;
  offset: number;
  length: number;
  url?: string;
  language?: string;
}

export interface Preview {
  text: string;
  entities: Entity[];
  media_ids: number[];
  /** 0 the first message, k follow-up k. */
  step?: number;
  /** Placeholders the message uses that have no value for this person. */
  empty_placeholders?: string[];
}

export interface Media {
  id: number;
  kind: 'photo' | 'video';
  mime: string;
  size: number;
  sha256: string;
}

export const getCampaign = (id: number) => request<Campaign>('GET', `/campaigns/${id}`);
export const createCampaign = (c: CampaignInput) => request<Campaign>('POST', '/campaigns', c);
export const patchCampaign = (id: number, c: CampaignInput) => request<Campaign>('PATCH', `/campaigns/${id}`, c);
export const deleteCampaign = (id: number) => request<void>('DELETE', `/campaigns/${id}`);
export const getAudience = (id: number, sample?: number) =>
  request<Audience>('GET', `/campaigns/${id}/audience` + (sample !== undefined ? `?sample=${sample}` : ''));
export const previewCampaign = (id: number, contactId: number, step = 0) =>
  request<Preview>('POST', `/campaigns/${id}/preview`, step ? { contact_id: contactId, step } : { contact_id: contactId });
export const sendTest = (id: number) => request<{ status: string; message_id?: number }>('POST', `/campaigns/${id}/test`, {});
export const startCampaign = (id: number, overrideQuietHours: boolean) =>
  request<Campaign>('POST', `/campaigns/${id}/start`, { override_quiet_hours: overrideQuietHours });

/** The fields of a campaign that a copy takes over (a copy is a new draft). */
export function campaignInput(c: Campaign): CampaignInput {
  return {
    name: c.name,
    message_text: c.message_text,
    media_ids: c.media_ids,
    ...(c.segment_id ? { segment_id: c.segment_id } : { filters: c.filters as Filters }),
    quiet_hours: c.quiet_hours,
    nudges: c.nudges,
    track_links: c.track_links,
    discount_codes: c.discount_codes,
  };
}

// ---- Account settings, contacts for the preview, media (editor) ----

/** GET /account (API.md "Auth"): the editor reads the timezone for quiet hours. */
export interface AccountSettings {
  id: number;
  email: string;
  plan_type: string;
  timezone: string;
  frequency_cap_days: number;
  webhook_secret_set: boolean;
  /** Campaign messages (first messages and follow-ups) per calendar day in `timezone`; 0 = no limit. */
  daily_send_limit?: number;
  /** This many recipients in a row failing with one code that is not a personal refusal pause the campaign (2–50). */
  error_streak_limit?: number;
}

export const getAccount = () => request<AccountSettings>('GET', '/account');
export const patchAccount = (p: Partial<Pick<AccountSettings, 'timezone' | 'frequency_cap_days' | 'daily_send_limit' | 'error_streak_limit'>>) =>
  request<AccountSettings>('PATCH', '/account', p);

/** Turns a failed XHR/fetch answer (the media routes, the orders import, the order webhook) into
 *  the API's one error shape; a 401 sends the user to login unless loginOn401 is false. */
export function apiErrorFrom(status: number, text: string, retryAfter: string | null, loginOn401 = true): ApiError {
  let code = 'http_' + status;
  let message = M().answered(status);
  let field: string | null = null;
  try {
    const e = (JSON.parse(text) as { error?: { code?: unknown; message?: unknown; field?: unknown } }).error;
    if (typeof e?.code === 'string') code = e.code;
    if (typeof e?.message === 'string' && e.message) message = e.message;
    if (typeof e?.field === 'string') field = e.field;
  } catch {
    /* not JSON: keep the generic message */
  }
  if (status === 401 && loginOn401) {
    clearToken();
    requireLogin();
  }
  const ra = retryAfter && /^\d+$/.test(retryAfter) ? Number(retryAfter) : null;
  return new ApiError(status, code, message, field, ra);
}

export interface Upload<T = Media> {
  promise: Promise<T>;
  abort: () => void;
}

/** POST body to path with the token, through XHR for its upload progress (0..1, onProgress; 1 once
 *  the body is sent); the JSON answer, or the API's error shape. Media uploads and orders imports. */
export function xhrPost<T>(path: string, body: XMLHttpRequestBodyInit, onProgress: (fraction: number) => void, contentType?: string): Upload<T> {
  const xhr = new XMLHttpRequest();
  const promise = new Promise<T>((resolve, reject) => {
    const token = getToken();
    if (!token) {
      requireLogin();
      reject(new ApiError(401, 'unauthorized', M().logIn, null, null));
      return;
    }
    xhr.open('POST', path);
    xhr.setRequestHeader('Authorization', 'Bearer ' + token);
    xhr.setRequestHeader('Accept', 'application/json');
    if (contentType) xhr.setRequestHeader('Content-Type', contentType);
    xhr.upload.onprogress = (e) => {
      if (e.lengthComputable && e.total > 0) onProgress(e.loaded / e.total);
    };
    xhr.upload.onload = () => onProgress(1);
    xhr.onload = () => {
      if (xhr.status >= 200 && xhr.status < 300) {
        try {
          resolve(JSON.parse(xhr.responseText) as T);
        } catch {
          reject(new ApiError(xhr.status, 'bad_response', M().unreadable, null, null));
        }
      } else {
        reject(apiErrorFrom(xhr.status, xhr.responseText, xhr.getResponseHeader('Retry-After')));
      }
    };
    xhr.onerror = () => reject(new ApiError(0, 'network', M().uploadUnreached, null, null));
    xhr.onabort = () => reject(new ApiError(0, 'aborted', M().uploadCancelled, null, null));
    xhr.send(body);
  });
  return { promise, abort: () => xhr.abort() };
}

/** POST /media/upload as multipart (field `file`), with upload progress (0..1) for a progress bar. */
export function uploadMedia(file: File, onProgress: (fraction: number) => void): Upload {
  const body = new FormData();
  body.append('file', file, file.name);
  return xhrPost<Media>('/media/upload', body, onProgress);
}

/** A GET that returns bytes rather than JSON (media, CSV exports), with the Authorization header;
 *  a non-2xx answer becomes ApiError (401 → login). */
export async function fetchAuthed(path: string, accept?: string): Promise<Response> {
  const token = getToken();
  if (!token) {
    requireLogin();
    throw new ApiError(401, 'unauthorized', M().logIn, null, null);
  }
  let res: Response;
  try {
    res = await fetch(path, { headers: { Authorization: 'Bearer ' + token, ...(accept ? { Accept: accept } : {}) }, credentials: 'same-origin', cache: 'no-store' });
  } catch {
    throw new ApiError(0, 'network', M().unreached, null, null);
  }
  if (!res.ok) throw apiErrorFrom(res.status, await res.text(), res.headers.get('Retry-After'));
  return res;
}

/** GET /media/:id needs the Authorization header, so <img src> cannot load it: fetch it as a Blob. */
export async function fetchMedia(id: number): Promise<Blob> {
  return await (await fetchAuthed(`/media/${id}`)).blob();
}
