// Typed calls for results per person and the people behind them (shared/API.md "Additions (second
// round)": "Results per person", "Opt-outs"; docs/DECISIONS.md 61): a campaign's recipients, the
// CSV exports (fetched with the Authorization header and handed to the browser as a download), a
// contact, its timeline, and opting a person out or back in by hand. Owned by the people views
// (People, Contact) and the Contacts list's export.
import { ApiError, contactQueryString, request, type Contact, type ContactQuery } from './api';
import { fetchAuthed } from './api-campaigns';
import { messages } from './i18n';

const M = messages({ cutOff: 'The export was cut off before its end. Try again.' }, { cutOff: 'Экспорт оборвался до конца. Попробуйте ещё раз.' });

export type RecipientStatus = 'pending' | 'sent' | 'failed' | 'skipped' | 'cancelled';

/** One row of GET /campaigns/:id/recipients: a (person, step) pair. Names are contact-supplied: text only. */
export interface Recipient {
  contact_id: number;
  first_name: string | null;
  last_name: string | null;
  username: string | null;
  /** 0 the first message, 1… the follow-ups. */
  step: number;
  status: RecipientStatus;
  /** A failure's code or a skip's reason (opted_out, unreachable, ALLOW_PAYMENT_REQUIRED_50…). */
  error_code: string | null;
  sent_at: string | null;
  read_at: string | null;
  replied_at: string | null;
  clicked_at: string | null;
  clicks: number;
  orders: number;
  /** Minor units, summed whatever the currency. */
  revenue: number;
  opted_out: boolean;
}

export interface RecipientPage {
  recipients: Recipient[];
  /** A row id to pass as `after`, or null on the last page. */
  next_after: number | null;
  /** Rows of the filter, every page. */
  total: number;
}

export interface RecipientQuery {
  status?: RecipientStatus | '';
  step?: number | null;
  limit?: number;
  after?: number | null;
}

export type TimelineType =
  | 'message_in'
  | 'message_out'
  | 'campaign_sent'
  | 'campaign_failed'
  | 'read'
  | 'replied'
  | 'clicked'
  | 'order'
  | 'refund'
  | 'opted_out'
  | 'opted_in'
  | 'category_changed';

/** One event of a contact's timeline. `text` may be the person's own words: text only. */
export interface TimelineEvent {
  at: string;
  type: TimelineType | string;
  campaign_id: number | null;
  /** The message, the campaign's name, the URL, the order id, the opt-out's reason, the new category. */
  text: string | null;
  /** step, error_code, tg_message_id, order_id, amount, currency, actor, source, from, to, confidence. */
  details: Record<string, unknown>;
}

export interface TimelinePage {
  events: TimelineEvent[];
  /** An opaque cursor ("<unix ms>.<rank>.<id>"), or null on the last page. */
  next_after: string | null;
}

function recipientQueryString(q: RecipientQuery): string {
  const p = new URLSearchParams();
  if (q.status) p.set('status', q.status);
  if (q.step != null) p.set('step', String(q.step));
  if (q.limit) p.set('limit', String(q.limit));
  if (q.after != null) p.set('after', String(q.after));
  const qs = p.toString();
  return qs ? '?' + qs : '';
}

export const listRecipients = (campaignId: number, q: RecipientQuery) =>
  request<RecipientPage>('GET', `/campaigns/${campaignId}/recipients` + recipientQueryString(q));
export const getContact = (id: number) => request<Contact>('GET', `/contacts/${id}`);

export function getTimeline(id: number, limit: number, after: string | null): Promise<TimelinePage> {
  const p = new URLSearchParams({ limit: String(limit) });
  if (after) p.set('after', after);
  return request<TimelinePage>('GET', `/contacts/${id}/timeline?` + p.toString());
}

/** Opts a person out by hand; the reason is optional. */
export const optOut = (id: number, reason: string) =>
  request<Contact>('POST', `/contacts/${id}/opt-out`, reason.trim() ? { reason: reason.trim() } : {});
/** Opts a person back in; the server requires a reason (400 on `reason` without one). */
export const optIn = (id: number, reason: string) => request<Contact>('DELETE', `/contacts/${id}/opt-out`, { reason });

// ---- CSV exports ----

/** The file name of a Content-Disposition header (filename="…"), if any. */
function dispositionName(h: string | null): string | null {
  const m = h ? /filename="?([^";]+)"?/i.exec(h) : null;
  return m ? m[1] : null;
}

/**
 * GET a CSV route with the Authorization header (an <a href> cannot send it) and hand the file to
 * the browser as a download. The whole file passes through memory once, as a Blob.
 */
function downloadCsv(path: string, fallbackName: string): Promise<void> {
  return downloadFile(path, 'text/csv', fallbackName);
}

/** The same for any file: a CSV export, a person's export (JSON, api-privacy.ts). */
export async function downloadFile(path: string, accept: string, fallbackName: string): Promise<void> {
  const res = await fetchAuthed(path, accept);
  let blob: Blob;
  try {
    blob = await res.blob();
  } catch {
    throw new ApiError(0, 'network', M().cutOff, null, null);
  }
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = dispositionName(res.headers.get('Content-Disposition')) ?? fallbackName;
  document.body.appendChild(a);
  a.click();
  a.remove();
  window.setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

/** recipients.csv with the people view's filters (no paging: every row of the filter). */
export function exportRecipients(campaignId: number, q: RecipientQuery): Promise<void> {
  return downloadCsv(`/campaigns/${campaignId}/recipients.csv` + recipientQueryString({ status: q.status, step: q.step }), `campaign-${campaignId}-recipients.csv`);
}

/** contacts.csv with the Contacts page's filters. */
export function exportContacts(q: ContactQuery): Promise<void> {
  return downloadCsv('/contacts.csv' + contactQueryString({ q: q.q, category: q.category, opted_out: q.opted_out }), 'contacts.csv');
}
