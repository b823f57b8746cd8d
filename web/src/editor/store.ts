// Editor state outside the component: the form, autosave (POST once, then PATCH, 400 ms after the
// last change), the live audience, media upload, preview, test send and start.
//
// After the first save the URL becomes /app/campaigns/:id/edit by a history *replace*, which keeps
// the entry's key (router.ts pageKey), so main.tsx keeps the same EditorView and this store: the
// editor is never rebuilt mid-edit (an earlier hand-over between two views lost a keystroke's
// selection now and then — issue 18). The URL changes only while the editor is on screen: a save
// that lands after the user left never takes them back into the draft.
//
// Every field is checked at once (editor/validate.ts); a field with a problem is left out of the
// save and the rest is saved. Unsaved work survives a reload or a session expiry: every change is
// written to sessionStorage, and removed once the server has all of it; an editor opened on the same
// campaign (or a new one) restores it. A new campaign is created by the first autosave while the
// user is on the page (a name and a message); leaving before that keeps the input in the tab only.
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
import { browserTimezone, emptyForm, fieldMessage, filterErrors, filterFormFrom, filtersFromForm, formFromCampaign, formToInput, type FormState } from './form';
import { previewPeople } from './preview-people';
import { checkForm, sectionOf, type Section } from './validate';
import { M } from './store.i18n';

const SAVE_DELAY_MS = 400;
/** How many people of the audience "Preview as" offers. */
const PREVIEW_SAMPLE = 50;
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
  /** Every problem shown, field → message: the form's own checks and the API's answers. */
  fieldErrors: Record<string, string>;
  /** The API's field errors, kept until their section of the form changes. */
  apiErrors: Record<string, string>;
  /** A start, schedule or test was asked for: what a start needs is checked too. */
  strict: boolean;
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
  /** The message previewed: 0 the first one, k follow-up k. */
  previewStep: number;
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
  /** False once the view has let go (the user left): the URL is then no longer the editor's. */
  mounted = true;
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
      apiErrors: {},
      strict: false,
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
      previewStep: 0,
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
    const next = { ...this.state, ...patch };
    next.fieldErrors = { ...next.apiErrors, ...this.check(next).errors };
    this.state = next;
    this.listeners.forEach((l) => l());
  }

  /** The form's own checks (nothing while it is read-only or loading). */
  private check(s: EditorState = this.state) {
    if (!isEditable(s.status) || s.loading || s.loadError) return { errors: {}, omit: new Set<Section>() };
    return checkForm(s.form, { exists: s.id !== null, strict: s.strict });
  }

  get editable(): boolean {
    return isEditable(this.state.status) && !this.state.loading && !this.state.loadError;
  }

  /** True when the server has exactly what the form shows (no field left out for a problem). */
  get clean(): boolean {
    const s = this.state;
    return s.id !== null && s.rev === s.savedRev && !s.saving && Object.keys(s.fieldErrors).length === 0;
  }

  /** True when the server has what the form shows but the fields with a problem. */
  get savedButMarked(): boolean {
    const s = this.state;
    return s.id !== null && s.rev === s.savedRev && !s.saving && !s.saveError;
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
      this.set({ loading: false, loadError: e instanceof ApiError && e.status === 404 ? M().notFound : describeError(e) });
    }
  }

  /** Puts back input the server does not have. A saved campaign saves it again at once; a new one
   *  waits for the user (typing on, or "Keep it"), so opening "New campaign" never creates a draft
   *  from an earlier, abandoned start by itself. */
  private restore(form: FormState) {
    this.set({ form, restored: true, epoch: this.state.epoch + 1, rev: this.state.rev + 1 });
    if (form.mediaIds[0]) void this.loadMedia(form.mediaIds[0]);
    if (this.state.id !== null) this.schedule();
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
      // Only for a preview when nobody is in the audience ("Preview as" offers its people).
      const page = await listContacts({ limit: 20 });
      this.set({ contacts: page.contacts });
      if (this.state.previewContactId === null) this.pickPreviewPerson();
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
      this.set({ uploadError: M().mediaNotLoaded(describeError(e)) });
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
    const before = this.state.form;
    const form = { ...before, ...patch };
    // An API error stays until its part of the form changes.
    const a = formToInput(before);
    const b = formToInput(form);
    const changed = new Set<Section>(
      (Object.keys(b) as (keyof typeof b)[]).filter((k) => JSON.stringify(a[k]) !== JSON.stringify(b[k])).map((k) => sectionOf(k === 'filters' ? 'segment_id' : k)),
    );
    const apiErrors = Object.fromEntries(Object.entries(this.state.apiErrors).filter(([f]) => !changed.has(sectionOf(f))));
    this.set({ form, rev: this.state.rev + 1, apiErrors });
    this.keepLocally();
    this.schedule();
  }

  /** The form as typed, for a reload or a session expiry (removed once the server has all of it). */
  private keepLocally() {
    try {
      sessionStorage.setItem(DRAFT_KEY, JSON.stringify({ id: this.state.id, form: this.state.form } satisfies StoredDraft));
    } catch {
      /* storage full or disabled: autosave still works */
    }
  }

  /** "OK" ("Keep it" on a new campaign) on the notice: it goes, a new campaign saves; the stored
   *  copy goes too once the server has everything. */
  discardRestored() {
    if (this.clean) sessionStorage.removeItem(DRAFT_KEY);
    this.set({ restored: false });
    if (this.state.id === null) this.schedule();
  }

  /** "Start over" on a new campaign whose earlier input was restored. */
  startOver() {
    if (this.state.id !== null) return;
    sessionStorage.removeItem(DRAFT_KEY);
    if (this.timer !== null) window.clearTimeout(this.timer);
    this.timer = null;
    const tz = this.state.accountTimezone ?? browserTimezone();
    this.set({ form: emptyForm(tz), restored: false, epoch: this.state.epoch + 1, rev: this.state.rev + 1, apiErrors: {}, strict: false });
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
    if (s.id !== null && s.rev === s.savedRev && !s.saveError) return Promise.resolve();
    const omit = this.check().omit;
    // A new campaign needs a name and a message without problems; a saved one sends what it can.
    if (s.id === null && (!this.canCreate || omit.has('name') || omit.has('message_text'))) return Promise.resolve();
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
    const omit = this.check().omit;
    const input = formToInput(form, omit);
    this.set({ saving: true });
    try {
      const id = this.state.id;
      const c = id === null ? await createCampaign(input) : await patchCampaign(id, input);
      const first = id === null;
      this.set({ id: c.id, ...scheduleState(c), savedRev: rev, saving: false, saveError: null, apiErrors: {} });
      if (rev === this.state.rev && omit.size === 0) {
        try {
          const d = readDraft();
          if (!d || d.id === null || d.id === c.id) sessionStorage.removeItem(DRAFT_KEY);
        } catch {
          /* ignore */
        }
      } else if (this.mounted) {
        this.keepLocally(); // what the server does not have yet stays in the tab, under the new id
      }
      if (first) this.promote(c.id);
      void this.loadAudience(rev);
      if (this.state.previewContactId !== null) void this.loadPreview();
    } catch (e) {
      if (e instanceof ApiError && e.status === 400 && e.field) {
        this.set({ saving: false, saveError: null, apiErrors: { ...this.state.apiErrors, [e.field]: fieldMessage(e.field, e.message) } });
      } else if (e instanceof ApiError && e.status === 409 && e.code === 'invalid_state' && this.state.id !== null) {
        this.set({ saving: false, saveError: M().startedMeanwhile });
        try {
          const c = await getCampaign(this.state.id);
          this.set({ status: c.status });
        } catch {
          /* keep the message */
        }
      } else if (e instanceof ApiError && e.status === 401) {
        this.set({ saving: false }); // api.ts sends the user to log in; the draft is in sessionStorage
      } else {
        this.set({ saving: false, saveError: M().notSaved(describeError(e)) });
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
      if (Object.keys(this.state.fieldErrors).length || this.state.saveError || this.state.id === null) break;
    }
    return this.clean;
  }

  /** After the first save: the URL names the campaign (a replace: Back still goes where the user
   *  came from) — only while the editor is on screen, never after the user has left it. */
  private promote(id: number) {
    if (!this.mounted || location.pathname !== '/app/campaigns/new') return;
    navigate(`/app/campaigns/${id}/edit`, { replace: true });
  }

  /** Asks for a start (or schedule, or test): what a start needs is checked from now on. */
  requireStartable() {
    if (!this.state.strict) this.set({ strict: true });
  }

  // ---- audience ----

  private async loadAudience(rev: number) {
    const id = this.state.id;
    if (id === null) return;
    const my = ++this.audienceSeq;
    this.set({ audienceLoading: true });
    try {
      const a = await getAudience(id, PREVIEW_SAMPLE);
      if (my !== this.audienceSeq) return;
      this.set({ audience: a, audienceRev: rev, audienceLoading: false, audienceError: null });
      this.pickPreviewPerson();
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
      this.set({ uploadError: M().unsupported(file.name) });
      return;
    }
    const video = type === 'video/mp4';
    if (file.size > (video ? VIDEO_MAX : PHOTO_MAX)) {
      this.set({ uploadError: M().tooLarge(file.name, video) });
      return;
    }
    this.upload?.abort();
    const up = uploadMedia(file, (fraction) => {
      if (this.upload === up) this.set({ upload: { name: file.name, fraction } });
    });
    this.upload = up;
    this.set({ upload: { name: file.name, fraction: 0 }, uploadError: null, apiErrors: this.without('media_ids') });
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
    const e = { ...this.state.apiErrors };
    delete e[field];
    return e;
  }

  // ---- preview, test, start ----

  choosePreviewContact(id: number | null) {
    this.set({ previewContactId: id, preview: null, previewError: null });
    if (id !== null) void this.loadPreview();
  }

  /** Which message the preview shows: 0 the first, k follow-up k. */
  choosePreviewStep(step: number) {
    this.set({ previewStep: step, preview: null, previewError: null });
    void this.loadPreview();
  }

  /** Keeps the previewed person in the audience: the typical one when none is chosen or the chosen
   *  one has left it; someone of the account when nobody is in it. */
  private pickPreviewPerson() {
    const s = this.state;
    const people = previewPeople(s.audience, s.form.html);
    let want = s.previewContactId;
    if (people.length) {
      if (want === null || !people.some((p) => p.contact.id === want)) want = people[0]!.contact.id;
    } else if (s.audience && s.contacts?.length) {
      if (want === null || !s.contacts.some((c) => c.id === want)) want = s.contacts[0]!.id;
    }
    if (want !== s.previewContactId) this.choosePreviewContact(want);
  }

  async loadPreview() {
    const id = this.state.id;
    const contact = this.state.previewContactId;
    if (id === null || contact === null) return;
    // A follow-up removed meanwhile: back to the first message.
    const step = this.state.previewStep <= this.state.form.nudges.length ? this.state.previewStep : 0;
    if (step !== this.state.previewStep) this.set({ previewStep: step });
    const my = ++this.previewSeq;
    this.set({ previewLoading: true });
    try {
      const p = await previewCampaign(id, contact, step);
      if (my !== this.previewSeq) return;
      this.set({ preview: p, previewLoading: false, previewError: null });
    } catch (e) {
      if (my !== this.previewSeq) return;
      this.set({ previewLoading: false, previewError: describeError(e) });
    }
  }

  /** The test's outcome in words; `noSession`: Telegram is not connected (the view links to connect it). */
  async sendTest(): Promise<{ ok: boolean; message: string; noSession?: boolean }> {
    if (!(await this.flush())) return { ok: false, message: this.notReadyMessage() };
    try {
      await sendTest(this.state.id!);
      return { ok: true, message: M().testSent };
    } catch (e) {
      const noSession = e instanceof ApiError && e.code === 'no_session';
      return { ok: false, message: noSession ? M().testNoSession : M().testFailed(describeError(e)), noSession };
    }
  }

  notReadyMessage(): string {
    const n = Object.keys(this.state.fieldErrors).length;
    if (n) return M().fixFirst(n);
    if (this.state.id === null && !this.canCreate) return M().nameAndMessage;
    return this.state.saveError ?? M().notSavedRetry;
  }

  /** POST /start; on success goes to the live monitor. Errors come back for the view to explain. */
  async start(override: boolean): Promise<ApiError | string | null> {
    this.requireStartable();
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
        if (e.status === 400 && e.field) this.set({ apiErrors: { ...this.state.apiErrors, [e.field]: fieldMessage(e.field, e.message) } });
        if (e.code === 'empty_audience') void this.loadAudience(this.state.savedRev);
        if (e.code === 'discount_codes_empty')
          this.set({ apiErrors: { ...this.state.apiErrors, 'discount_codes.codes': M().poolUsedUp } });
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
    this.update(patch);
  }

  /** Saves the form's filters as a new segment, which the campaign then uses; a problem in words, or null. */
  async saveAsSegment(name: string): Promise<string | null> {
    if (!this.editable) return null;
    if (!name.trim()) return M().segmentName;
    if (Object.keys(filterErrors(this.state.form)).length) return M().fixFilters;
    try {
      const seg = await createSegment(name.trim(), filtersFromForm(this.state.form));
      this.set({ segments: [...(this.state.segments ?? []), seg] });
      this.update({ segmentId: seg.id });
      return null;
    } catch (e) {
      if (e instanceof ApiError && e.status === 400 && e.field?.startsWith('filters')) {
        this.set({ apiErrors: { ...this.state.apiErrors, [e.field]: fieldMessage(e.field, e.message) } });
        return M().fixFilters;
      }
      if (e instanceof ApiError && e.field === 'name') return fieldMessage('name', e.message);
      return describeError(e);
    }
  }

  // ---- scheduling (issue 16) ----

  /** POST /schedule (saving first): the campaign waits for `startAt`. Errors come back for the view. */
  async scheduleStart(startAt: string, override: boolean): Promise<ApiError | string | null> {
    this.requireStartable();
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
      return M().notUnscheduled(describeError(e));
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

/**
 * The view lets go of its store (the user left the editor). A saved campaign's pending changes still
 * go out (the last keystrokes are not lost by leaving); a new campaign that was never saved is not
 * created on the way out — its input stays in the tab and "New campaign" restores it.
 */
export function releaseStore(s: EditorStore) {
  s.mounted = false;
  const done = s.state.id !== null && !s.clean && s.editable ? s.flush() : Promise.resolve(true);
  void done.finally(() => s.dispose());
}
