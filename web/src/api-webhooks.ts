// Typed calls for outgoing webhooks (shared/API.md "Additions (second round)": "Outgoing webhooks";
// README "Webhooks"; docs/DECISIONS.md 68). Owned by the Webhooks page.
import { request } from './api';

/** The event types, in the server's order, with what each means to a shop. */
export const WEBHOOK_EVENTS = [
  { type: 'message.sent', label: 'A campaign message was sent' },
  { type: 'message.failed', label: 'A campaign message failed' },
  { type: 'message.read', label: 'A campaign message was read' },
  { type: 'message.replied', label: 'Someone replied to a campaign message' },
  { type: 'link.clicked', label: 'A tracked link was clicked' },
  { type: 'order.attributed', label: 'An order was credited to a campaign (or its credit refunded)' },
  { type: 'contact.opted_out', label: 'Someone opted out' },
  { type: 'campaign.status_changed', label: "A campaign's status changed" },
] as const;
export type WebhookEvent = (typeof WEBHOOK_EVENTS)[number]['type'];

export type DeliveryStatus = 'pending' | 'delivered' | 'failed';

export interface Webhook {
  id: number;
  url: string;
  events: WebhookEvent[];
  description: string;
  created_at: string;
  /** Of its newest delivery tried at least once; null before the first. */
  last_status: DeliveryStatus | null;
  last_status_code: number | null;
  last_attempt_at: string | null;
}

/** POST /webhooks answers the secret once. */
export interface NewWebhook extends Webhook {
  secret: string;
}

export interface Delivery {
  id: number;
  event_id: number;
  type: WebhookEvent;
  status: DeliveryStatus;
  attempts: number;
  last_status_code: number | null;
  /** When it is tried again (pending only). */
  next_attempt_at: string | null;
  created_at: string;
  last_attempt_at: string | null;
  last_error: string | null;
}

export const listWebhooks = () => request<{ webhooks: Webhook[] }>('GET', '/webhooks');
export const createWebhook = (url: string, events: WebhookEvent[], description: string) =>
  request<NewWebhook>('POST', '/webhooks', { url, events, description });
export const deleteWebhook = (id: number) => request<void>('DELETE', `/webhooks/${id}`);
export const listDeliveries = (id: number, limit = 20) =>
  request<{ deliveries: Delivery[]; next_after: number | null }>('GET', `/webhooks/${id}/deliveries?limit=${limit}`);
