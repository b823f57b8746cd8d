// Editor state outside the component: the form, autosave (POST once, then PATCH, 400 ms after the
// last change), the live audience, media upload, preview, test send and start.
//
// Why a store and not component state: after the first save the URL becomes
// /app/campaigns/:id/edit and main.tsx renders a new EditorView for it (its key changes), so the
// component is remounted mid-edit. The store is handed over to that new instance (with the focused
// input and caret), so typing, an upload in flight or a pending save carry on as if nothing happened.
//
// Unsaved work survives a session expiry: every change is written to sessionStorage, and removed
// once the server has it; an editor opened on the same campaign (or a new one) restores it.
import { ApiError, describeError, listCampaigns, listContacts, type Campaign, type CampaignStatus, type Contact } from '../api';
import {
  createCampaign,
  fetchMedia,
  getAccount,
  getAudience,
  getCampaign,
  patchCampaign,
  previewCampaign,
  sendTest,
  startCampaign,
  uploadMedia,
  type Audience,
  type Preview,
  type Upload,
} from '../api-campaigns';
import { createSegment, listSegments, scheduleCampaign, unscheduleCampaign, type Segment } from '../api-segments';
import { navigate } from '../router';
import type { EditorCarry } from './MessageEditor';
import {
  browserTimezone,
  emptyForm,
  fieldMessage,
  filterErrors,
  filterFormFrom,
  filtersFromForm,
  formFromCampaign,
  formToInput,
  localErrors,
  type FormState,
} from './form';

const SAVE_DELAY_MS = 400;
const DRAFT_KEY = 'tgr.editor.draft';
const PHOTO_MAX = 10 * 1024 * 1024;
const VIDEO_MAX = 50 * 1024 * 1024;
const ACCEPTED = ['image/jpeg', 'image/png', 'image/webp', 'image/gif', 'video/mp4'];

export interface MediaView {
  id: number;
  url: string;
  kind: 'photo' | 'video';
  name: string | null;
}

export interface EditorState {
  id: number | null;
  /** null while new (not saved yet). */
  status: CampaignStatus | null;
  loading: boolean;
  loadError: string | null;
  form: FormState;
  /** Bumped when the form is replaced wholesale (load, restore, discard): editors remount. */
  epoch: number;
  /** Bumped on every change; savedRev is the rev the server has. */
  rev: number;
  savedRev: number;
  saving: boolean;
  /** A save problem that belongs to no field (network, 5xx…). */
  saveError: string | null;
  /** API field → message (the API names one at a time; local checks may add more). */
  fieldErrors: Record<string, string>;
  restored: boolean;
  audience: Audience | null;
  audienceRev: number;
  audienceLoading: boolean;
  audienceError: string | null;
  media: MediaView | null;
  upload: { name: string; fraction: number } | null;
  uploadError: string | null;
  contacts: Contact[] | null;
  previewContactId: number | null;
  preview: Preview | null;
  previewLoading: boolean;
  previewError: string | null;
  accountTimezone: string | null;
  /** Names of the account's campaigns, for filters that name an earlier one. */
  campaignNames: Record<number, string>;
  /** The account's saved segments (issue 16), null until loaded. */
  segments: Segment[] | null;
  /** When a scheduled campaign starts; why a scheduled start did not happen (a draft's
   *  pause_reason: no_session, empty_audience, discount_codes_empty); waiting behind a running one. */
  startAt: string | null;
  pauseReason: string | null;
  waiting: string | null;
}

/** Where the keyboard was, so a remount can put it back. */
export interface FocusMark {
  id: string;
  start: number | null;
  end: number | null;
}

interface StoredDraft {
  id: number | null;
  form: FormState;
}

function readDraft(): StoredDraft | null {
  try {
    const raw = sessionStorage.getItem(DRAFT_KEY);
    if (!raw) return null;
    const d = JSON.parse(raw) as StoredDraft;
    return d && typeof d === 'object' && d.form && typeof d.form.html === 'string' ? d : null;
  } catch {
    return null;
  }
}

/** The campaign's status and its scheduling fields, as the store keeps them. */
function scheduleState(c: Campaign): Pick<EditorState, 'status' | 'startAt' | 'pauseReason' | 'waiting'> {
  return { status: c.status, startAt: c.start_at ?? null, pauseReason: c.pause_reason, waiting: c.waiting ?? null };
}

function isEditable(s: CampaignStatus | null): boolean {
  return s === null || s === 'draft' || s === 'paused';
}

export class EditorStore {
  state: EditorState;
  private listeners = new Set<() => void>();
  private timer: number | null = null;
  private inflight: Promise<void> | null = null;
  private again = false;
  private audienceSeq = 0;
  private previewSeq = 0;
  private upload: Upload | null = null;
  /** Set just before the URL changes after the first save: the next EditorView takes this store. */
  handoff = false;
  /** Views holding this store (0 or 1, 2 for a moment during a hand-over). */
  owners = 0;
  focus: FocusMark | null = null;
  disposed = false;

  constructor(id: number | null) {
    const tz = browserTimezone();
    this.state = {
      id,
      status: null,
      loading: id !== null,
      loadError: null,
      form: emptyForm(tz),
      epoch: 0,
      rev: 0,
      savedRev: 0,
      saving: false,
      saveError: null,
      fieldErrors: {},
      restored: false,
      audience: null,
      audienceRev: -1,
      audienceLoading: false,
      audienceError: null,
      media: null,
      upload: null,
      uploadError: null,
      contacts: null,
      previewContactId: null,
      preview: null,
      previewLoading: false,
      previewError: null,
      accountTimezone: null,
      campaignNames: {},
      segments: null,
      startAt: null,
      pauseReason: null,
      waiting: null,
    };
    void this.init();
  }

  subscribe(l: () => void): () => void {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  }

  private set(patch: Partial<EditorState>) {
    if (this.disposed) return;
    this.state = { ...this.state, ...patch };
    this.listeners.forEach((l) => l());
  }

  get editable(): boolean {
    return isEditable(this.state.status) && !this.state.loading && !this.state.loadError;
  }

  /** True when the server has exactly what the form shows. */
  get clean(): boolean {
    const s = this.state;
    return s.id !== null && s.rev === s.savedRev && !s.saving && Object.keys(s.fieldErrors).length === 0;
  }

  private async init() {
    void this.loadAccount();
    void this.loadContacts();
    listSegments().then(
      (l) => this.set({ segments: l.segments }),
      () => this.set({ segments: [] }),
    );
    listCampaigns().then(
      (l) => this.set({ campaignNames: Object.fromEntries(l.campaigns.map((c) => [c.id, c.name])) }),
      () => undefined,
    );
    const draft = readDraft();
    if (this.state.id === null) {
      if (draft && draft.id === null) this.restore(draft.form);
      return;
    }
    try {
      const c = await getCampaign(this.state.id);
      const form = formFromCampaign(c, this.state.accountTimezone ?? browserTimezone());
      this.set({ ...scheduleState(c), form, loading: false, epoch: this.state.epoch + 1 });
      if (form.mediaIds[0]) void this.loadMedia(form.mediaIds[0]);
      if (isEditable(c.status) && draft && draft.id === c.id && JSON.stringify(draft.form) !== JSON.stringify(form)) {
        this.restore(draft.form);
      } else {
        void this.loadAudience(this.state.savedRev);
      }
    } catch (e) {
      this.set({ loading: false, loadError: e instanceof ApiError && e.status === 404 ? 'This campaign does not exist (or belongs to another account).' : describeError(e) });
    }
  }

  private restore(form: FormState) {
    this.set({ form, restored: true, epoch: this.state.epoch + 1, rev: this.state.rev + 1 });
    if (form.mediaIds[0]) void this.loadMedia(form.mediaIds[0]);
    this.schedule();
  }

  private async loadAccount() {
    try {
      const a = await getAccount();
      const patch: Partial<EditorState> = { accountTimezone: a.timezone };
      // The account's zone is the default for quiet hours until the user turns them on.
      if (!this.state.form.quietOn && a.timezone) patch.form = { ...this.state.form, timezone: a.timezone };
      this.set(patch);
    } catch {
      /* the browser's zone stays the default */
    }
  }

  private async loadContacts() {
    try {
      const page = await listContacts({ limit: 200 });
      const contacts = page.contacts;
      const patch: Partial<EditorState> = { contacts };
      if (this.state.previewContactId === null && contacts[0]) patch.previewContactId = contacts[0].id;
      this.set(patch);
      if (patch.previewContactId != null && this.clean) void this.loadPreview();
    } catch {
      this.set({ contacts: [] });
    }
  }

  private async loadMedia(id: number) {
    try {
      const blob = await fetchMedia(id);
      if (this.state.form.mediaIds[0] !== id) return;
      this.replaceMedia({ id, url: URL.createObjectURL(blob), kind: blob.type.startsWith('video/') ? 'video' : 'photo', name: null });
    } catch (e) {
      this.set({ uploadError: 'The attached media could not be loaded for preview: ' + describeError(e) });
    }
  }

  private replaceMedia(m: MediaView | null) {
    if (this.state.media && this.state.media.url !== m?.url) URL.revokeObjectURL(this.state.media.url);
    this.set({ media: m });
  }

  dispose() {
    this.disposed = true;
    if (this.timer !== null) window.clearTimeout(this.timer);
    this.upload?.abort();
    if (this.state.media) URL.revokeObjectURL(this.state.media.url);
    this.listeners.clear();
  }

  // ---- editing and autosave ----

  update(patch: Partial<FormState>) {
    if (!this.editable) return;
    const form = { ...this.state.form, ...patch };
    this.set({ form, rev: this.state.rev + 1 });
    try {
      sessionStorage.setItem(DRAFT_KEY, JSON.stringify({ id: this.state.id, form } satisfies StoredDraft));
    } catch {
      /* storage full or disabled: autosave still works */
    }
    this.schedule();
  }

  discardRestored() {
    sessionStorage.removeItem(DRAFT_KEY);
    this.set({ restored: false });
  }

  private schedule() {
    if (this.timer !== null) window.clearTimeout(this.timer);
    this.timer = window.setTimeout(() => {
      this.timer = null;
      void this.save();
    }, SAVE_DELAY_MS);
  }

  /** True when there is enough for POST /campaigns (a name and a message). */
  get canCreate(): boolean {
    const f = this.state.form;
    return f.name.trim() !== '' && f.html.trim() !== '';
  }

  save(): Promise<void> {
    if (this.inflight) {
      this.again = true;
      return this.inflight;
    }
    if (!this.editable || this.disposed) return Promise.resolve();
    const s = this.state;
    if (s.id !== null && s.rev === s.savedRev && Object.keys(s.fieldErrors).length === 0) return Promise.resolve();
    const local = localErrors(s.form);
    if (Object.keys(local).length) {
      this.set({ fieldErrors: local });
      return Promise.resolve();
    }
    if (s.id === null && !this.canCreate) {
      this.set({ fieldErrors: {} });
      return Promise.resolve();
    }
    this.inflight = this.doSave().finally(() => {
      this.inflight = null;
      if (this.again) {
        this.again = false;
        void this.save();
      }
    });
    return this.inflight;
  }

  private async doSave() {
    const rev = this.state.rev;
    const form = this.state.form;
    const input = formToInput(form);
    this.set({ saving: true });
    try {
      const id = this.state.id;
      const c = id === null ? await createCampaign(input) : await patchCampaign(id, input);
      const first = id === null;
      this.set({ id: c.id, ...scheduleState(c), savedRev: rev, saving: false, saveError: null, fieldErrors: {} });
      if (rev === this.state.rev) {
        try {
          const d = readDraft();
          if (!d || d.id === null || d.id === c.id) sessionStorage.removeItem(DRAFT_KEY);
        } catch {
          /* ignore */
        }
      } else {
        try {
          sessionStorage.setItem(DRAFT_KEY, JSON.stringify({ id: c.id, form: this.state.form } satisfies StoredDraft));
        } catch {
          /* ignore */
        }
      }
      if (first) this.promote(c.id);
      void this.loadAudience(rev);
      if (this.state.previewContactId !== null) void this.loadPreview();
    } catch (e) {
      if (e instanceof ApiError && e.status === 400 && e.field) {
        this.set({ saving: false, saveError: null, fieldErrors: { [e.field]: fieldMessage(e.field, e.message) } });
      } else if (e instanceof ApiError && e.status === 409 && e.code === 'invalid_state' && this.state.id !== null) {
        this.set({ saving: false, saveError: 'This campaign was started meanwhile, so it can no longer be edited here.' });
        try {
          const c = await getCampaign(this.state.id);
          this.set({ status: c.status });
        } catch {
          /* keep the message */
        }
      } else if (e instanceof ApiError && e.status === 401) {
        this.set({ saving: false }); // api.ts sends the user to log in; the draft is in sessionStorage
      } else {
        this.set({ saving: false, saveError: 'Not saved: ' + describeError(e) });
      }
    }
  }

  /** Saves now (no debounce) and waits; true when the server then has what the form shows. */
  async flush(): Promise<boolean> {
    if (this.timer !== null) {
      window.clearTimeout(this.timer);
      this.timer = null;
    }
    for (let i = 0; i < 3 && !this.clean; i++) {
      await this.save();
      if (this.inflight) await this.inflight;
      if (Object.keys(this.state.fieldErrors).length || this.state.saveError || (this.state.id === null && !this.canCreate)) break;
    }
    return this.clean;
  }

  /** After the first save: the URL names the campaign; the remounted view takes over this store. */
  private promote(id: number) {
    const a = document.activeElement;
    this.focus = null;
    this.carry.read?.();
    if (a instanceof HTMLElement && a.closest('.editor-page') && !a.closest('.ql-editor')) {
      if (a.id) {
        const field = a instanceof HTMLInputElement || a instanceof HTMLTextAreaElement ? a : null;
        let start: number | null = null;
        let end: number | null = null;
        try {
          start = field?.selectionStart ?? null;
          end = field?.selectionEnd ?? null;
        } catch {
          /* inputs without a selection (checkbox, number) */
        }
        this.focus = { id: a.id, start, end };
      }
    }
    this.handoff = true;
    navigate(`/app/campaigns/${id}/edit`, { replace: true });
  }

  /** The message editor's caret, focus and menu, for the hand-over. */
  carry: EditorCarry = { range: null, focused: false, menuOpen: false, link: null, read: null };

  // ---- audience ----

  private async loadAudience(rev: number) {
    const id = this.state.id;
    if (id === null) return;
    const my = ++this.audienceSeq;
    this.set({ audienceLoading: true });
    try {
      const a = await getAudience(id);
      if (my !== this.audienceSeq) return;
      this.set({ audience: a, audienceRev: rev, audienceLoading: false, audienceError: null });
    } catch (e) {
      if (my !== this.audienceSeq) return;
      this.set({ audienceLoading: false, audienceError: describeError(e) });
    }
  }

  // ---- media ----

  /** Checks a chosen file, uploads it with progress, and attaches it (one media per campaign). */
  chooseFile(file: File) {
    if (!this.editable) return;
    const type = file.type;
    if (type && !ACCEPTED.includes(type)) {
      this.set({ uploadError: `“${file.name}” is not a supported file. Use a JPEG, PNG, WebP or GIF image, or an MP4 video.` });
      return;
    }
    const video = type === 'video/mp4';
    if (file.size > (video ? VIDEO_MAX : PHOTO_MAX)) {
      this.set({ uploadError: `“${file.name}” is too large: ${video ? 'videos up to 50 MB' : 'images up to 10 MB'} can be sent.` });
      return;
    }
    this.upload?.abort();
    const up = uploadMedia(file, (fraction) => {
      if (this.upload === up) this.set({ upload: { name: file.name, fraction } });
    });
    this.upload = up;
    this.set({ upload: { name: file.name, fraction: 0 }, uploadError: null, fieldErrors: this.without('media_ids') });
    up.promise.then(
      (m) => {
        if (this.upload !== up) return;
        this.upload = null;
        this.set({ upload: null });
        this.replaceMedia({ id: m.id, url: URL.createObjectURL(file), kind: m.kind, name: file.name });
        this.update({ mediaIds: [m.id] });
      },
      (e: unknown) => {
        if (this.upload !== up) return;
        this.upload = null;
        const aborted = e instanceof ApiError && e.code === 'aborted';
        this.set({ upload: null, uploadError: aborted ? null : describeError(e) });
      },
    );
  }

  cancelUpload() {
    this.upload?.abort();
  }

  removeMedia() {
    if (!this.editable) return;
    this.replaceMedia(null);
    this.set({ uploadError: null });
    this.update({ mediaIds: [] });
  }

  private without(field: string): Record<string, string> {
    const e = { ...this.state.fieldErrors };
    delete e[field];
    return e;
  }

  // ---- preview, test, start ----

  choosePreviewContact(id: number | null) {
    this.set({ previewContactId: id, preview: null, previewError: null });
    if (id !== null) void this.loadPreview();
  }

  async loadPreview() {
    const id = this.state.id;
    const contact = this.state.previewContactId;
    if (id === null || contact === null) return;
    const my = ++this.previewSeq;
    this.set({ previewLoading: true });
    try {
      const p = await previewCampaign(id, contact);
      if (my !== this.previewSeq) return;
      this.set({ preview: p, previewLoading: false, previewError: null });
    } catch (e) {
      if (my !== this.previewSeq) return;
      this.set({ previewLoading: false, previewError: describeError(e) });
    }
  }

  async sendTest(): Promise<{ ok: boolean; message: string }> {
    if (!(await this.flush())) return { ok: false, message: this.notReadyMessage() };
    try {
      await sendTest(this.state.id!);
      return { ok: true, message: 'Sent. Open “Saved Messages” in Telegram to see it as your customers will (placeholders empty or with their fallbacks).' };
    } catch (e) {
      if (e instanceof ApiError && e.code === 'no_session') return { ok: false, message: 'Telegram is not connected, so nothing can be sent. Connect it first.' };
      return { ok: false, message: 'The test message was not sent: ' + describeError(e) };
    }
  }

  notReadyMessage(): string {
    if (this.state.id === null && !this.canCreate) return 'Give the campaign a name and write a message first.';
    if (Object.keys(this.state.fieldErrors).length) return 'Fix the problems marked above first.';
    return this.state.saveError ?? 'The campaign could not be saved. Try again.';
  }

  /** POST /start; on success goes to the live monitor. Errors come back for the view to explain. */
  async start(override: boolean): Promise<ApiError | string | null> {
    if (!(await this.flush())) return this.notReadyMessage();
    const id = this.state.id!;
    try {
      const c = await startCampaign(id, override);
      this.set({ status: c.status });
      try {
        sessionStorage.removeItem(DRAFT_KEY);
      } catch {
        /* ignore */
      }
      navigate(`/app/campaigns/${id}`);
      return null;
    } catch (e) {
      if (e instanceof ApiError) {
        if (e.status === 400 && e.field) this.set({ fieldErrors: { [e.field]: fieldMessage(e.field, e.message) } });
        if (e.code === 'discount_codes_empty')
          this.set({ fieldErrors: { 'discount_codes.codes': 'The pool has no unused codes left. Paste more codes, one per line.' } });
        return e;
      }
      return describeError(e);
    }
  }

  // ---- segments (issue 16) ----

  /** A saved segment as the audience, or null for the campaign's own filters (which then start
   *  from the segment's, as the campaign showed them). */
  chooseSegment(id: number | null) {
    if (!this.editable) return;
    const prev = this.state.form.segmentId ?? null;
    if (id === prev) return;
    const patch: Partial<FormState> = { segmentId: id };
    const seg = prev !== null ? this.state.segments?.find((x) => x.id === prev) : undefined;
    if (id === null && seg) Object.assign(patch, filterFormFrom(seg.filters));
    this.set({ fieldErrors: this.without('segment_id') });
    this.update(patch);
  }

  /** Saves the form's filters as a new segment, which the campaign then uses; a problem in words, or null. */
  async saveAsSegment(name: string): Promise<string | null> {
    if (!this.editable) return null;
    if (!name.trim()) return 'Give the segment a name.';
    const local = filterErrors(this.state.form);
    if (Object.keys(local).length) {
      this.set({ fieldErrors: { ...this.state.fieldErrors, ...local } });
      return 'Fix the filters marked first.';
    }
    try {
      const seg = await createSegment(name.trim(), filtersFromForm(this.state.form));
      this.set({ segments: [...(this.state.segments ?? []), seg] });
      this.update({ segmentId: seg.id });
      return null;
    } catch (e) {
      if (e instanceof ApiError && e.status === 400 && e.field?.startsWith('filters')) {
        this.set({ fieldErrors: { ...this.state.fieldErrors, [e.field]: fieldMessage(e.field, e.message) } });
        return 'Fix the filters marked first.';
      }
      if (e instanceof ApiError && e.field === 'name') return fieldMessage('name', e.message);
      return describeError(e);
    }
  }

  // ---- scheduling (issue 16) ----

  /** POST /schedule (saving first): the campaign waits for `startAt`. Errors come back for the view. */
  async scheduleStart(startAt: string, override: boolean): Promise<ApiError | string | null> {
    if (!(await this.flush())) return this.notReadyMessage();
    try {
      const c = await scheduleCampaign(this.state.id!, startAt, override);
      this.set(scheduleState(c));
      try {
        sessionStorage.removeItem(DRAFT_KEY);
      } catch {
        /* ignore */
      }
      return null;
    } catch (e) {
      return e instanceof ApiError ? e : describeError(e);
    }
  }

  /** POST /unschedule: a draft again, editable. */
  async unschedule(): Promise<string | null> {
    const id = this.state.id;
    if (id === null) return null;
    try {
      this.set(scheduleState(await unscheduleCampaign(id)));
      return null;
    } catch (e) {
      await this.refreshStatus();
      return 'The campaign was not unscheduled: ' + describeError(e);
    }
  }

  /** Reads the campaign's status again (a scheduled one starts by itself). */
  async refreshStatus() {
    const id = this.state.id;
    if (id === null) return;
    try {
      this.set(scheduleState(await getCampaign(id)));
    } catch {
      /* the next look tries again */
    }
  }
}

// ---- One live store, handed from the "new" view to the ":id/edit" view ----

let live: EditorStore | null = null;

export function obtainStore(id: number | null): EditorStore {
  let s: EditorStore;
  if (live && live.handoff && live.state.id === id) {
    live.handoff = false;
    s = live;
  } else {
    if (live && live.owners === 0) live.dispose();
    s = new EditorStore(id);
    live = s;
  }
  s.owners++;
  return s;
}

/**
 * A view lets go of its store. On a hand-over the next view has taken it already (Preact mounts the
 * new view before it unmounts the old one), so only a store nobody holds is wound down: a pending
 * autosave still goes out (the last keystrokes are not lost by leaving), then timers and blob URLs go.
 */
export function releaseStore(s: EditorStore) {
  s.owners--;
  window.setTimeout(() => {
    if (s.owners > 0 || s.handoff) return;
    const done = !s.clean && s.editable ? s.flush() : Promise.resolve(true);
    void done.finally(() => {
      if (s.owners > 0) return;
      if (live === s) live = null;
      s.dispose();
    });
  }, 0);
}
