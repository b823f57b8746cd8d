// Typed calls for saved segments and scheduled starts (shared/API.md "Additions (second round)":
// "Segments", "Scheduling"; README "Segments and scheduling"; docs/DECISIONS.md 62). Owned by the
// Segments page, the editor's segment picker and its Schedule… dialog.
import { request, type Campaign } from './api';
import type { Filters } from './api-campaigns';

export interface Segment {
  id: number;
  name: string;
  /** Canonical filters, as a campaign's. */
  filters: Filters;
  /** Who it reaches now, as a campaign's audience would (opt-outs, marks, the frequency cap). */
  count: number;
  created_at: string;
  updated_at: string;
}

export const listSegments = () => request<{ segments: Segment[] }>('GET', '/segments');
export const createSegment = (name: string, filters: Filters) => request<Segment>('POST', '/segments', { name, filters });
export const patchSegment = (id: number, p: { name?: string; filters?: Filters }) => request<Segment>('PATCH', `/segments/${id}`, p);
/** 409 invalid_state while a draft or scheduled campaign uses it. */
export const deleteSegment = (id: number) => request<void>('DELETE', `/segments/${id}`);

/** A draft (or a scheduled campaign, for a new time) → `scheduled` at `startAt` (RFC 3339). */
export const scheduleCampaign = (id: number, startAt: string, overrideQuietHours: boolean) =>
  request<Campaign>('POST', `/campaigns/${id}/schedule`, { start_at: startAt, override_quiet_hours: overrideQuietHours });
export const unscheduleCampaign = (id: number) => request<Campaign>('POST', `/campaigns/${id}/unschedule`, {});
