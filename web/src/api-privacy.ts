// Typed calls for a person's export and erasure and the account audit log (shared/API.md
// "Additions (second round)": "Privacy", "Audit log"; docs/DECISIONS.md 69 and 70). Owned by the
// contact page (Export, Erase) and the Audit log page.
import { request } from './api';
import { downloadFile } from './api-people';

/** GET /contacts/:id/export, handed to the browser as contact-<id>.json. */
export const exportContact = (id: number): Promise<void> => downloadFile(`/contacts/${id}/export`, 'application/json', `contact-${id}.json`);

/** DELETE /contacts/:id: erases the person (204). */
export const eraseContact = (id: number): Promise<void> => request<void>('DELETE', `/contacts/${id}`);

export type AuditActor = 'user' | 'api_key' | 'system';

/** One entry of GET /audit. details holds field names, outcomes and settings only. */
export interface AuditEntry {
  id: number;
  at: string;
  actor: AuditActor | string;
  ip: string | null;
  action: string;
  /** "campaign:7", "contact:12", "segment:3", "account:1", "session", "keys", or null. */
  target: string | null;
  details: Record<string, unknown>;
}

export interface AuditPage {
  entries: AuditEntry[];
  /** An entry id to pass as `after`, or null on the last page. */
  next_after: number | null;
}

export function listAudit(limit: number, after: number | null): Promise<AuditPage> {
  const p = new URLSearchParams({ limit: String(limit) });
  if (after != null) p.set('after', String(after));
  return request<AuditPage>('GET', '/audit?' + p.toString());
}
