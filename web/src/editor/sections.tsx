// The editor's form sections below the message: media, audience (a saved segment or filters —
// editor/FilterFields.tsx — with the live count, who is left out because Telegram refused them
// before: people who charge Stars, privacy; saving the filters as a segment), sending
// (quiet hours), follow-ups (nudges), links and discount codes. Each reads the store's state and
// writes through store.update(); API errors appear at the input they name.
import type { ComponentChildren } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { dateTime } from '../results/format';
import { onLinkClick } from '../router';
import type { Audience, NudgeCondition } from '../api-campaigns';
import { Field } from '../views/Field';
import { categoryInfo, FilterFields, filterPhrases } from './FilterFields';
import { MAX_NUDGES, newNudge, poolCodes, type DelayUnit, type DiscountMode, type NudgeForm } from './form';
import { MessageEditor } from './MessageEditor';
import { MAX_TEXT } from './validate';
import type { EditorStore } from './store';
import { M } from './sections.i18n';

const CONDITIONS: NudgeCondition[] = ['no_reply', 'no_click', 'no_reply_no_click'];

const UNITS: DelayUnit[] = ['minutes', 'hours', 'days'];

type Errors = Record<string, string>;
const err = (e: Errors, f: string) => e[f] ?? null;

export function Card(props: { id: string; title: string; sub?: ComponentChildren; aside?: ComponentChildren; children: ComponentChildren; testid?: string; extra?: Record<string, string> }) {
  return (
    <section class="card ed-card" aria-labelledby={props.id + '-h'} data-testid={props.testid} {...props.extra}>
      <div class="ed-card-head">
        <div>
          <h2 id={props.id + '-h'}>{props.title}</h2>
          {props.sub && <p class="hint">{props.sub}</p>}
        </div>
        {props.aside}
      </div>
      {props.children}
    </section>
  );
}

// ---- Media ----

export function MediaField({ store, disabled }: { store: EditorStore; disabled: boolean }) {
  const s = store.state;
  const [drag, setDrag] = useState(false);
  const error = s.uploadError ?? err(s.fieldErrors, 'media_ids') ?? err(s.fieldErrors, 'file');
  const pct = s.upload ? Math.round(s.upload.fraction * 100) : 0;
  const m = M();
  return (
    <div class={error ? 'field media-field has-error' : 'field media-field'}>
      <span class="label" id="ed-media-label">
        {m.media} <span class="muted">{m.optional}</span>
      </span>
      {s.media ? (
        <div class="media-card">
          {s.media.kind === 'video' ? (
            <video class="media-thumb" src={s.media.url} controls muted playsInline preload="metadata" data-testid="media-preview" aria-label={m.attachedVideo} />
          ) : (
            <img class="media-thumb" src={s.media.url} alt={m.attachedImage} data-testid="media-preview" />
          )}
          <div class="media-meta">
            {s.media.name ? (
              <span class="name" translate={false}>
                {s.media.name}
              </span>
            ) : (
              <span class="name">{s.media.kind === 'video' ? m.video : m.image}</span>
            )}
            <span class="sub">{m.caption}</span>
            <button type="button" class="btn btn-sm" onClick={() => store.removeMedia()} disabled={disabled}>
              {s.media.kind === 'video' ? m.removeVideo : m.removeImage}
            </button>
          </div>
        </div>
      ) : s.upload ? (
        <div class="upload-row" role="group" aria-label={m.upload}>
          <div class="upload-info">
            <span class="name">
              {m.uploading} <span translate={false}>{s.upload.name}</span>
            </span>
            <span class="sub" aria-live="polite">{pct}%</span>
          </div>
          <progress class="progress" max={100} value={pct} aria-label={m.uploadingFile(s.upload.name)} data-testid="upload-progress" />
          <button type="button" class="btn btn-sm btn-ghost" onClick={() => store.cancelUpload()}>
            {m.cancel}
          </button>
        </div>
      ) : (
        <div
          class={'dropzone' + (drag ? ' drag' : '') + (disabled ? ' is-disabled' : '')}
          onDragOver={(e) => {
            if (disabled) return;
            e.preventDefault();
            setDrag(true);
          }}
          onDragLeave={() => setDrag(false)}
          onDrop={(e) => {
            e.preventDefault();
            setDrag(false);
            const f = e.dataTransfer?.files?.[0];
            if (f && !disabled) store.chooseFile(f);
          }}
        >
          <input
            id="ed-media"
            class="file-input"
            type="file"
            accept="image/jpeg,image/png,image/webp,image/gif,video/mp4"
            disabled={disabled}
            aria-describedby={'ed-media-hint' + (error ? ' ed-media-error' : '')}
            aria-invalid={error ? 'true' : undefined}
            onChange={(e) => {
              const f = e.currentTarget.files?.[0];
              e.currentTarget.value = '';
              if (f) store.chooseFile(f);
            }}
          />
          <label for="ed-media" class="btn btn-sm">
            {m.choose}
          </label>
          <span class="muted drop-text">{m.drop}</span>
        </div>
      )}
      <p class="hint" id="ed-media-hint">
        JPEG, PNG, <span translate={false}>WebP</span>
        {m.mediaHint}
      </p>
      {error && (
        <p class="field-error" id="ed-media-error" role="alert">
          {error}
        </p>
      )}
    </div>
  );
}

// ---- Audience ----

/** Who the filters matched but the audience leaves out, and why: Telegram's marks (the boxes below
 *  include them) and those no campaign messages now (opted out, blocked, the frequency cap). */
function LeftOut({ a }: { a: Audience }) {
  const charging = a.left_out?.charges_for_messages ?? 0;
  const privacy = a.left_out?.privacy_restricted ?? 0;
  const ex = a.excluded ?? { opted_out: 0, blocked: 0, frequency_cap: 0 };
  const cap = a.frequency_cap_days ?? 0;
  if (!charging && !privacy && !ex.opted_out && !ex.blocked && !ex.frequency_cap) return null;
  const m = M();
  return (
    <div class="aud-left-out" data-testid="audience-left-out">
      <span class="aud-left-title">{m.leftOut}</span>
      <ul>
        {ex.frequency_cap > 0 && (
          <li data-testid="left-out-cap" data-count={ex.frequency_cap}>
            {m.capped(ex.frequency_cap, cap)}
          </li>
        )}
        {ex.opted_out > 0 && (
          <li data-testid="left-out-opted-out" data-count={ex.opted_out}>
            {m.optedOut(ex.opted_out)}
          </li>
        )}
        {ex.blocked > 0 && (
          <li data-testid="left-out-blocked" data-count={ex.blocked}>
            {m.blocked(ex.blocked)}
          </li>
        )}
        {charging > 0 && (
          <li data-testid="left-out-charging" data-count={charging}>
            {m.charging(charging)}
          </li>
        )}
        {privacy > 0 && (
          <li data-testid="left-out-privacy" data-count={privacy}>
            {m.privacy(privacy)}
          </li>
        )}
      </ul>
    </div>
  );
}

export type EmptyCause = 'frequency_cap' | 'opted_out' | 'marks' | 'filters';

/** Why an audience of 0 is empty: the frequency cap first (time fixes it), then people who said no,
 *  then Telegram's marks, else the filters themselves. */
export function emptyCause(a: Audience): EmptyCause {
  const ex = a.excluded ?? { opted_out: 0, blocked: 0, frequency_cap: 0 };
  if (ex.frequency_cap > 0) return 'frequency_cap';
  if (ex.opted_out + ex.blocked > 0) return 'opted_out';
  if ((a.left_out?.charges_for_messages ?? 0) + (a.left_out?.privacy_restricted ?? 0) > 0) return 'marks';
  return 'filters';
}

/** One sentence beside a disabled Start. */
export function emptyShort(a: Audience): string {
  const m = M();
  switch (emptyCause(a)) {
    case 'frequency_cap':
      return m.shortCap(a.frequency_cap_days ?? 0);
    case 'opted_out':
      return m.shortOptedOut;
    case 'marks':
      return m.shortMarks;
    default:
      return m.shortFilters;
  }
}

/** Why nobody is in the audience, in words, with the way out. */
export function EmptyAudience({ a, segment }: { a: Audience; segment: boolean }) {
  const ex = a.excluded ?? { opted_out: 0, blocked: 0, frequency_cap: 0 };
  const cap = a.frequency_cap_days ?? 0;
  const cause = emptyCause(a);
  const ends = a.cap_ends_at ? new Date(a.cap_ends_at) : null;
  const m = M();
  let body: ComponentChildren;
  if (cause === 'frequency_cap')
    body = (
      <>
        <strong>{m.capHolds}</strong> {m.capBody(ex.frequency_cap, cap, segment)}
        {ends && (
          <>
            {' '}
            {m.capEnds}
            <strong data-testid="cap-ends-at">{dateTime.format(ends)}</strong>
            {m.capEndsAfter}
          </>
        )}{' '}
        {m.capFix}{' '}
        <a href="/app/settings" onClick={onLinkClick}>
          {m.capLink}
        </a>
        .
      </>
    );
  else if (cause === 'opted_out')
    body = (
      <>
        <strong>{m.saidNo(segment)}</strong>{' '}
        {[ex.opted_out ? m.optedOut(ex.opted_out) : null, ex.blocked ? m.blocked(ex.blocked) : null].filter(Boolean).join(m.and)}
        {m.neverMessaged(segment)}
      </>
    );
  else if (cause === 'marks')
    body = (
      <>
        <strong>{m.refused(segment)}</strong>
        {m.refusedWhy}
      </>
    );
  else
    body = (
      <>
        <strong>{m.noMatch(segment)}</strong>
        {m.loosen}
      </>
    );
  return (
    <p class="aud-empty" data-testid="empty-reason" data-cause={cause}>
      {body}
    </p>
  );
}

/** Where the audience comes from: a saved segment (picked here) or the campaign's own filters,
 *  which can be saved as a new segment (the campaign then uses it). */
function SegmentChoice({ store, disabled }: { store: EditorStore; disabled: boolean }) {
  const s = store.state;
  const segments = s.segments ?? [];
  const chosen = s.form.segmentId ?? null;
  const seg = chosen !== null ? segments.find((x) => x.id === chosen) : undefined;
  const error = s.fieldErrors.segment_id ?? null;
  const m = M();
  return (
    <div class="seg-choice" data-testid="segment-choice">
      <Field
        id="ed-segment"
        label={m.segment}
        error={error}
        hint={
          <>
            {m.segmentHintA}{' '}
            <a href="/app/segments" onClick={onLinkClick}>
              {m.segmentsPage}
            </a>
            {m.segmentHintB}
          </>
        }
      >
        {(a) => (
          <select
            {...a}
            value={chosen === null ? '' : String(chosen)}
            disabled={disabled || s.segments === null}
            onChange={(ev) => store.chooseSegment(ev.currentTarget.value ? Number(ev.currentTarget.value) : null)}
          >
            <option value="">{m.noSegment}</option>
            {chosen !== null && !seg && <option value={String(chosen)}>{m.segmentN(chosen)}</option>}
            {segments.map((x) => (
              // The segment's name is the user's: the option is left untranslated as a whole.
              <option key={x.id} value={String(x.id)} translate={false}>
                {x.name} · {m.people(x.count)}
              </option>
            ))}
          </select>
        )}
      </Field>
      {seg && (
        <p class="seg-summary" data-testid="segment-summary">
          <strong translate={false}>{seg.name}:</strong> {filterPhrases(seg.filters, s.campaignNames).join(' · ') || m.everyone}
        </p>
      )}
    </div>
  );
}

function SaveAsSegment({ store, disabled }: { store: EditorStore; disabled: boolean }) {
  const [open, setOpen] = useState(false);
  const [name, setName] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const m = M();
  if (!open)
    return (
      <button type="button" class="btn btn-sm btn-ghost seg-save-open" disabled={disabled} onClick={() => setOpen(true)}>
        {m.saveAsSegment}
      </button>
    );
  async function save() {
    setBusy(true);
    setError(await store.saveAsSegment(name));
    setBusy(false);
  }
  return (
    <form
      class="seg-save"
      onSubmit={(ev) => {
        ev.preventDefault();
        void save();
      }}
    >
      <Field id="ed-segment-name" label={m.segmentName} error={error} hint={m.segmentNameHint}>
        {(a) => <input {...a} type="text" value={name} maxLength={200} autoComplete="off" onInput={(ev) => setName(ev.currentTarget.value)} />}
      </Field>
      <div class="actions">
        <button type="submit" class="btn btn-sm btn-primary" disabled={busy || disabled || !name.trim()}>
          {busy ? m.saving : m.saveSegment}
        </button>
        <button type="button" class="btn btn-sm btn-ghost" onClick={() => setOpen(false)}>
          {m.cancel}
        </button>
      </div>
    </form>
  );
}

export function AudienceSection({ store, disabled }: { store: EditorStore; disabled: boolean }) {
  const s = store.state;
  const ready = s.id !== null && s.rev === s.savedRev && !s.saving && s.audienceRev === s.savedRev && !s.audienceLoading && s.audience !== null;
  const a = s.audience;
  const stale = a !== null && !ready;
  const total = a ? a.by_category.buyer + a.by_category.browser + a.by_category.refund_risk : 0;
  const e = s.fieldErrors;
  const audienceErrors = Object.keys(e).some((k) => k.startsWith('filters') || k === 'segment_id');
  const m = M();
  return (
    <Card
      id="ed-aud"
      title={m.audience}
      sub={m.audienceSub}
      testid="audience"
      extra={{ 'data-ready': ready ? 'true' : 'false' }}
    >
      <div class="aud-grid">
        <div class="aud-filters">
          <SegmentChoice store={store} disabled={disabled} />
          {s.form.segmentId == null && (
            <>
              <FilterFields form={s.form} update={(p) => store.update(p)} errors={e} disabled={disabled} idPrefix="ed" campaignNames={s.campaignNames} />
              <SaveAsSegment store={store} disabled={disabled || s.segments === null} />
            </>
          )}
        </div>
        <div class={'aud-result' + (stale ? ' stale' : '')} aria-live="polite" aria-busy={ready ? 'false' : 'true'}>
          {s.id === null ? (
            <p class="muted aud-wait">{m.audienceWait}</p>
          ) : a === null ? (
            <p class="muted aud-wait">{s.audienceError ?? m.counting}</p>
          ) : (
            <>
              <p class="aud-big">
                <strong data-testid="audience-count">{String(a.count)}</strong>
                <span>{m.willReceive(a.count)}</span>
              </p>
              {stale ? (
                <p class="hint">{audienceErrors ? m.fixToCount : m.updating}</p>
              ) : (
                audienceErrors && (
                  <p class="hint" data-testid="audience-count-saved-filters">
                    {m.lastSaved}
                  </p>
                )
              )}
              <ul class="aud-cats" data-testid="audience-by-category" aria-label={m.byCategory}>
                {categoryInfo().map((c) => {
                  const n = a.by_category[c.value] ?? 0;
                  return (
                    <li key={c.value} data-category={c.value}>
                      <span class="aud-cat-label">{c.label}</span>
                      <span class="aud-bar" aria-hidden="true">
                        <span class={'aud-fill fill-' + c.value} style={{ width: total ? `${Math.round((n / total) * 100)}%` : '0%' }} />
                      </span>
                      <span class="aud-n">{n}</span>
                    </li>
                  );
                })}
              </ul>
              {a.count === 0 && !stale && <EmptyAudience a={a} segment={s.form.segmentId != null} />}
              <LeftOut a={a} />
              {a.sample.length > 0 && (
                <p class="aud-sample">
                  <span class="muted">{m.forExample}</span>
                  {a.sample.slice(0, 5).map((c, i) => (
                    <span key={c.id} class="aud-name">
                      {i > 0 ? ', ' : ''}
                      <span translate={false}>{[c.first_name, c.last_name].filter(Boolean).join(' ') || (c.username ? '@' + c.username : m.telegramUser)}</span>
                    </span>
                  ))}
                  {a.count > 5 ? <span class="muted">{m.more(a.count - 5)}</span> : null}
                </p>
              )}
              {s.audienceError && <p class="field-error">{s.audienceError}</p>}
            </>
          )}
        </div>
      </div>
    </Card>
  );
}

// ---- Quiet hours ----

export function timeZones(extra: (string | null)[]): string[] {
  const intl = Intl as unknown as { supportedValuesOf?: (k: string) => string[] };
  let list: string[] = [];
  try {
    list = intl.supportedValuesOf?.('timeZone') ?? [];
  } catch {
    list = [];
  }
  const all = new Set(list);
  all.add('UTC');
  for (const z of extra) if (z) all.add(z);
  return [...all].sort((a, b) => a.localeCompare(b));
}

/** The local time in a zone now, and whether it falls inside quiet hours there. */
export function quietNow(start: string, end: string, tz: string): { time: string; inside: boolean } | null {
  try {
    const parts = new Intl.DateTimeFormat('en-GB', { timeZone: tz, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).formatToParts(new Date());
    const h = Number(parts.find((p) => p.type === 'hour')?.value);
    const m = Number(parts.find((p) => p.type === 'minute')?.value);
    const toMin = (s: string) => {
      const x = /^(\d\d):(\d\d)$/.exec(s);
      return x ? Number(x[1]) * 60 + Number(x[2]) : NaN;
    };
    const now = h * 60 + m;
    const a = toMin(start);
    const b = toMin(end);
    if (!Number.isFinite(now) || !Number.isFinite(a) || !Number.isFinite(b)) return null;
    const inside = a < b ? now >= a && now < b : now >= a || now < b;
    return { time: `${String(h).padStart(2, '0')}:${String(m).padStart(2, '0')}`, inside };
  } catch {
    return null;
  }
}

export function SendingSection({ store, disabled }: { store: EditorStore; disabled: boolean }) {
  const s = store.state;
  const f = s.form;
  const e = s.fieldErrors;
  const [zones] = useState(() => timeZones([s.accountTimezone, f.timezone]));
  const zoneList = zones.includes(f.timezone) ? zones : [...zones, f.timezone].sort();
  const [, tick] = useState(0);
  useEffect(() => {
    const t = window.setInterval(() => tick((n) => n + 1), 30_000);
    return () => window.clearInterval(t);
  }, []);
  const now = f.quietOn ? quietNow(f.quietStart, f.quietEnd, f.timezone) : null;
  const m = M();
  return (
    <Card id="ed-send" title={m.quiet} sub={m.quietSub}>
      <label class="check switch-row" for="ed-quiet-on">
        <input id="ed-quiet-on" type="checkbox" checked={f.quietOn} disabled={disabled} onChange={(ev) => store.update({ quietOn: ev.currentTarget.checked })} />
        <span>{m.quietOn}</span>
      </label>
      {f.quietOn && (
        <>
          <div class="grid-3">
            <Field id="ed-quiet-start" label={m.from} error={err(e, 'quiet_hours.start')}>
              {(x) => <input {...x} type="time" value={f.quietStart} disabled={disabled} required onInput={(ev) => store.update({ quietStart: ev.currentTarget.value })} />}
            </Field>
            <Field id="ed-quiet-end" label={m.until} error={err(e, 'quiet_hours.end')}>
              {(x) => <input {...x} type="time" value={f.quietEnd} disabled={disabled} required onInput={(ev) => store.update({ quietEnd: ev.currentTarget.value })} />}
            </Field>
            <Field id="ed-quiet-tz" label={m.timeZone} error={err(e, 'quiet_hours.timezone')}>
              {(x) => (
                <select {...x} value={f.timezone} disabled={disabled} onChange={(ev) => store.update({ timezone: ev.currentTarget.value })}>
                  {zoneList.map((z) => (
                    // A zone's name stays as it is: the option is left untranslated as a whole.
                    <option key={z} value={z} translate={false}>
                      {z.replace(/_/g, ' ')}
                      {z === s.accountTimezone ? m.account : ''}
                    </option>
                  ))}
                </select>
              )}
            </Field>
          </div>
          {now && (
            <p class={now.inside ? 'quiet-now inside' : 'quiet-now'} role="status">
              {m.nowIn(now.time)}
              <span translate={false}>{f.timezone.replace(/_/g, ' ')}</span>
              {m.nowState(now.time, now.inside, f.quietEnd)}
            </p>
          )}
        </>
      )}
    </Card>
  );
}

// ---- Follow-ups ----

function NudgeRow({ store, n, i, disabled }: { store: EditorStore; n: NudgeForm; i: number; disabled: boolean }) {
  const e = store.state.fieldErrors;
  const set = (patch: Partial<NudgeForm>) => store.update({ nudges: store.state.form.nudges.map((x) => (x.key === n.key ? { ...x, ...patch } : x)) });
  const delayErr = err(e, `nudges[${i}].after_seconds`);
  const condErr = err(e, `nudges[${i}].condition`);
  const textErr = err(e, `nudges[${i}].message_text`);
  const m = M();
  const amount = Number(n.amount.replace(',', '.'));
  return (
    <li class="nudge" data-testid="nudge">
      <div class="nudge-head">
        <h3>{m.followUp(i + 1)}</h3>
        <button
          type="button"
          class="btn btn-sm btn-ghost"
          disabled={disabled}
          aria-label={m.removeFollowUp(i + 1)}
          onClick={() => store.update({ nudges: store.state.form.nudges.filter((x) => x.key !== n.key) })}
        >
          {m.remove}
        </button>
      </div>
      <div class="nudge-when">
        <div class={delayErr ? 'field has-error' : 'field'}>
          <label for={`ed-nudge-${i}-amount`}>{m.sendAfter}</label>
          <div class="inline-2">
            <input
              id={`ed-nudge-${i}-amount`}
              type="number"
              min="1"
              step="any"
              inputMode="decimal"
              value={n.amount}
              disabled={disabled}
              aria-invalid={delayErr ? 'true' : undefined}
              aria-describedby={delayErr ? `ed-nudge-${i}-amount-error` : undefined}
              onInput={(ev) => set({ amount: ev.currentTarget.value })}
            />
            <select id={`ed-nudge-${i}-unit`} aria-label={m.delayUnit(i + 1)} value={n.unit} disabled={disabled} onChange={(ev) => set({ unit: ev.currentTarget.value as DelayUnit })}>
              {UNITS.map((u) => (
                <option key={u} value={u}>
                  {m.unit(u, amount)}
                </option>
              ))}
            </select>
          </div>
          {delayErr && (
            <p class="field-error" id={`ed-nudge-${i}-amount-error`} role="alert">
              {delayErr}
            </p>
          )}
        </div>
        <Field id={`ed-nudge-${i}-condition`} label={m.ifContact} error={condErr}>
          {(x) => (
            <select {...x} value={n.condition} disabled={disabled} onChange={(ev) => set({ condition: ev.currentTarget.value as NudgeCondition })}>
              {CONDITIONS.map((c) => (
                <option key={c} value={c}>
                  {m.condition(c)}
                </option>
              ))}
            </select>
          )}
        </Field>
      </div>
      <MessageEditor
        key={`${n.key}-${store.state.epoch}`}
        idBase={`ed-nudge-${i}-text`}
        label={m.followUpMessage(i + 1)}
        initialHtml={n.text}
        disabled={disabled}
        error={textErr}
        maxLength={MAX_TEXT}
        placeholder={m.followUpPlaceholder}
        onChange={(html) => set({ text: html })}
      />
      <button
        type="button"
        class="btn btn-sm"
        data-testid="preview-nudge"
        disabled={store.state.id === null}
        onClick={() => {
          store.choosePreviewStep(i + 1);
          document.getElementById('ed-preview')?.scrollIntoView({ block: 'nearest' });
          document.getElementById('ed-preview-step')?.focus({ preventScroll: true });
        }}
      >
        {m.previewFollowUp(i + 1)}
      </button>
    </li>
  );
}

export function NudgesSection({ store, disabled }: { store: EditorStore; disabled: boolean }) {
  const f = store.state.form;
  const e = err(store.state.fieldErrors, 'nudges');
  const m = M();
  return (
    <Card id="ed-nudges" title={m.followUps} sub={m.followUpsSub}>
      {f.nudges.length > 0 && (
        <ol class="nudges">
          {f.nudges.map((n, i) => (
            <NudgeRow key={n.key} store={store} n={n} i={i} disabled={disabled} />
          ))}
        </ol>
      )}
      <button
        type="button"
        id="ed-add-nudge"
        class="btn btn-sm"
        disabled={disabled || f.nudges.length >= MAX_NUDGES}
        onClick={() => store.update({ nudges: [...f.nudges, newNudge()] })}
      >
        {m.addFollowUp}
      </button>
      {f.nudges.length >= MAX_NUDGES && <p class="hint">{m.atMost(MAX_NUDGES)}</p>}
      {e && (
        <p class="field-error" role="alert">
          {e}
        </p>
      )}
    </Card>
  );
}

// ---- Links and discount codes ----

export function ExtrasSection({ store, disabled }: { store: EditorStore; disabled: boolean }) {
  const f = store.state.form;
  const e = store.state.fieldErrors;
  const usesCode = /\{\{\s*discount_code\s*[|}]/.test(f.html);
  const m = M();
  const modes: { value: DiscountMode; label: string }[] = [
    { value: 'none', label: m.modeNone },
    { value: 'static', label: m.modeStatic },
    { value: 'pool', label: m.modePool },
  ];
  const codes = poolCodes(f.poolText);
  const modeErr = err(e, 'discount_codes.mode') ?? err(e, 'discount_codes');
  return (
    <Card id="ed-extras" title={m.extras}>
      <label class="check switch-row" for="ed-track">
        <input id="ed-track" type="checkbox" checked={f.trackLinks} disabled={disabled} onChange={(ev) => store.update({ trackLinks: ev.currentTarget.checked })} />
        <span>
          {m.track}
          <span class="check-hint">{m.trackHint}</span>
        </span>
      </label>
      <fieldset class="discount" aria-describedby={modeErr ? 'ed-discount-error' : undefined}>
        <legend>{m.codes}</legend>
        <div class="radio-row">
          {modes.map((m) => (
            <label key={m.value} class="check" for={'ed-discount-' + m.value}>
              <input
                id={'ed-discount-' + m.value}
                type="radio"
                name="ed-discount"
                value={m.value}
                checked={f.discountMode === m.value}
                disabled={disabled}
                onChange={() => store.update({ discountMode: m.value })}
              />
              <span>{m.label}</span>
            </label>
          ))}
        </div>
        {modeErr && (
          <p class="field-error" id="ed-discount-error" role="alert">
            {modeErr}
          </p>
        )}
        {f.discountMode === 'static' && (
          <Field id="ed-discount-code" label={m.code} error={err(e, 'discount_codes.code')} hint={m.codeHint}>
            {(x) => (
              <input {...x} type="text" value={f.staticCode} disabled={disabled} autoComplete="off" spellcheck={false} onInput={(ev) => store.update({ staticCode: ev.currentTarget.value })} />
            )}
          </Field>
        )}
        {f.discountMode === 'pool' && (
          <Field
            id="ed-discount-codes"
            label={m.pool}
            error={err(e, 'discount_codes.codes')}
            hint={m.poolHint(codes.length)}
          >
            {(x) => (
              <textarea {...x} rows={5} value={f.poolText} disabled={disabled} spellcheck={false} placeholder={'SPRING-A1\nSPRING-B2'} onInput={(ev) => store.update({ poolText: ev.currentTarget.value })} />
            )}
          </Field>
        )}
        {f.discountMode !== 'none' && !usesCode && (
          <p class="alert alert-info">{m.putCode}</p>
        )}
        {f.discountMode === 'none' && usesCode && <p class="alert alert-info">{m.usesCode}</p>}
      </fieldset>
    </Card>
  );
}
