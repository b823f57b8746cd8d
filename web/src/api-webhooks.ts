// Typed calls for outgoing webhooks (shared/API.md "Additions (second round)": "Outgoing webhooks";
// README "Webhooks"; docs/DECISIONS.md 68). Owned by the Webhooks page.
import { request } from './api';
import { messages } from './i18n';

/** The event types, in the server's order. */
export const WEBHOOK_EVENTS = [
  { type: 'message.sent' },
  { type: 'message.failed' },
  { type: 'message.read' },
  { type: 'message.replied' },
  { type: 'link.clicked' },
  { type: 'order.attributed' },
  { type: 'contact.opted_out' },
  { type: 'campaign.status_changed' },
] as const;
export type WebhookEvent = (typeof WEBHOOK_EVENTS)[number]['type'];

/** What each event means to a shop (label), and a word for it beside its code (Russian only: in
 *  English the code says it). */
const M = messages(
  {
    'message.sent': 'A campaign message was sent',
    'message.failed': 'A campaign message failed',
    'message.read': 'A campaign message was read',
    'message.replied': 'Someone replied to a campaign message',
    'link.clicked': 'A tracked link was clicked',
    'order.attributed': 'An order was credited to a campaign (or its credit refunded)',
    'contact.opted_out': 'Someone opted out',
    'campaign.status_changed': "A campaign's status changed",
  },
  {
    'message.sent': 'Сообщение кампании отправлено',
    'message.failed': 'Сообщение кампании не отправлено',
    'message.read': 'Сообщение кампании прочитано',
    'message.replied': 'Кто-то ответил на сообщение кампании',
    'link.clicked': 'Переход по отслеживаемой ссылке',
    'order.attributed': 'Заказ засчитан кампании (или засчитанный заказ возвращён)',
    'contact.opted_out': 'Кто-то отписался',
    'campaign.status_changed': 'Статус кампании изменился',
  },
);
const WORDS = messages(
  {
    'message.sent': '',
    'message.failed': '',
    'message.read': '',
    'message.replied': '',
    'link.clicked': '',
    'order.attributed': '',
    'contact.opted_out': '',
    'campaign.status_changed': '',
  },
  {
    'message.sent': 'отправлено',
    'message.failed': 'не отправлено',
    'message.read': 'прочитано',
    'message.replied': 'ответ',
    'link.clicked': 'переход',
    'order.attributed': 'заказ засчитан',
    'contact.opted_out': 'отписка',
    'campaign.status_changed': 'статус кампании',
  },
);

/** What the event means, in the current language (its code when the server sent one the app does not know). */
export function eventLabel(type: string): string {
  return (M() as Record<string, string>)[type] ?? type;
}

/** A short word for the event shown beside its code, or null (English, or an unknown code). */
export function eventWord(type: string): string | null {
  return (WORDS() as Record<string, string>)[type] || null;
}

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
