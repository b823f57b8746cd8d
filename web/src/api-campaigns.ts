// Typed calls for one campaign's life before and while it sends (shared/API.md "Campaigns"):
// create, read, edit, delete, audience, preview, test send, start, media upload.
import { request, type Campaign, type Category, type Contact } from './api';

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
  quiet_hours?: QuietHours | null;
  nudges?: Nudge[];
  track_links?: boolean;
  discount_codes?: DiscountCodes;
}

export interface Audience {
  count: number;
  by_category: { buyer: number; browser: number; refund_risk: number };
  sample: Contact[];
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
export const getAudience = (id: number) => request<Audience>('GET', `/campaigns/${id}/audience`);
export const previewCampaign = (id: number, contactId: number) =>
  request<Preview>('POST', `/campaigns/${id}/preview`, { contact_id: contactId });
export const sendTest = (id: number) => request<{ status: string; message_id?: number }>('POST', `/campaigns/${id}/test`, {});
export const startCampaign = (id: number, overrideQuietHours: boolean) =>
  request<Campaign>('POST', `/campaigns/${id}/start`, { override_quiet_hours: overrideQuietHours });

/** The fields of a campaign that a copy takes over (a copy is a new draft). */
export function campaignInput(c: Campaign): CampaignInput {
  return {
    name: c.name,
    message_text: c.message_text,
    media_ids: c.media_ids,
    filters: c.filters as Filters,
    quiet_hours: c.quiet_hours,
    nudges: c.nudges,
    track_links: c.track_links,
    discount_codes: c.discount_codes,
  };
}
