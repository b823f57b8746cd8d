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
import { CATEGORY_INFO, FilterFields, filterPhrases } from './FilterFields';
import { MAX_NUDGES, newNudge, poolCodes, type DelayUnit, type DiscountMode, type NudgeForm } from './form';
import { MessageEditor } from './MessageEditor';
import { MAX_TEXT } from './validate';
import type { EditorStore } from './store';

const CONDITIONS: { value: NudgeCondition; label: string }[] = [
  { value: 'no_reply', label: 'has not replied' },
  { value: 'no_click', label: 'has not clicked a link' },
  { value: 'no_reply_no_click', label: 'has neither replied nor clicked' },
];

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
  return (
    <div class={error ? 'field media-field has-error' : 'field media-field'}>
      <span class="label" id="ed-media-label">
        Image or video <span class="muted">(optional)</span>
      </span>
      {s.media ? (
        <div class="media-card">
          {s.media.kind === 'video' ? (
            <video class="media-thumb" src={s.media.url} controls muted playsInline preload="metadata" data-testid="media-preview" aria-label="Attached video" />
          ) : (
            <img class="media-thumb" src={s.media.url} alt="Attached image" data-testid="media-preview" />
          )}
          <div class="media-meta">
            <span class="name">{s.media.name ?? (s.media.kind === 'video' ? 'Video' : 'Image')}</span>
            <span class="sub">Sent with the message; the text becomes its caption.</span>
            <button type="button" class="btn btn-sm" onClick={() => store.removeMedia()} disabled={disabled}>
              Remove {s.media.kind === 'video' ? 'video' : 'image'}
            </button>
          </div>
        </div>
      ) : s.upload ? (
        <div class="upload-row" role="group" aria-label="Upload">
          <div class="upload-info">
            <span class="name">Uploading {s.upload.name}</span>
            <span class="sub" aria-live="polite">{pct}%</span>
          </div>
          <progress class="progress" max={100} value={pct} aria-label={`Uploading ${s.upload.name}`} data-testid="upload-progress" />
          <button type="button" class="btn btn-sm btn-ghost" onClick={() => store.cancelUpload()}>
            Cancel
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
            Choose image or video
          </label>
          <span class="muted drop-text">or drop a file here</span>
        </div>
      )}
      <p class="hint" id="ed-media-hint">
        JPEG, PNG, WebP or GIF up to 10 MB, or an MP4 video up to 50 MB. One per message.
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

const people = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;

/** Who the filters matched but the audience leaves out, and why: Telegram's marks (the boxes below
 *  include them) and those no campaign messages now (opted out, blocked, the frequency cap). */
function LeftOut({ a }: { a: Audience }) {
  const charging = a.left_out?.charges_for_messages ?? 0;
  const privacy = a.left_out?.privacy_restricted ?? 0;
  const ex = a.excluded ?? { opted_out: 0, blocked: 0, frequency_cap: 0 };
  const cap = a.frequency_cap_days ?? 0;
  if (!charging && !privacy && !ex.opted_out && !ex.blocked && !ex.frequency_cap) return null;
  return (
    <div class="aud-left-out" data-testid="audience-left-out">
      <span class="aud-left-title">Left out</span>
      <ul>
        {ex.frequency_cap > 0 && (
          <li data-testid="left-out-cap" data-count={ex.frequency_cap}>
            {people(ex.frequency_cap, 'person', 'people')} got a campaign message in the last {cap} day{cap === 1 ? '' : 's'} (your frequency cap)
          </li>
        )}
        {ex.opted_out > 0 && (
          <li data-testid="left-out-opted-out" data-count={ex.opted_out}>
            {people(ex.opted_out, 'person', 'people')} opted out
          </li>
        )}
        {ex.blocked > 0 && (
          <li data-testid="left-out-blocked" data-count={ex.blocked}>
            {people(ex.blocked, 'person', 'people')} blocked the account or deleted theirs
          </li>
        )}
        {charging > 0 && (
          <li data-testid="left-out-charging" data-count={charging}>
            {people(charging, 'person charges', 'people charge')} Stars for messages — tgr never pays
          </li>
        )}
        {privacy > 0 && (
          <li data-testid="left-out-privacy" data-count={privacy}>
            {people(privacy, 'person’s', 'people’s')} privacy settings refused the account
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
  switch (emptyCause(a)) {
    case 'frequency_cap':
      return `Nobody to send to now: everyone these filters select got a campaign message within your frequency cap (${a.frequency_cap_days ?? 0} days).`;
    case 'opted_out':
      return 'Nobody to send to: everyone these filters select opted out or blocked the account.';
    case 'marks':
      return 'Nobody to send to: everyone these filters select charges Stars or refused the account before.';
    default:
      return 'Nobody to send to: no contact matches these filters.';
  }
}

/** Why nobody is in the audience, in words, with the way out. */
export function EmptyAudience({ a, segment }: { a: Audience; segment: boolean }) {
  const ex = a.excluded ?? { opted_out: 0, blocked: 0, frequency_cap: 0 };
  const cap = a.frequency_cap_days ?? 0;
  const cause = emptyCause(a);
  const ends = a.cap_ends_at ? new Date(a.cap_ends_at) : null;
  const which = segment ? 'this segment selects' : 'these filters select';
  let body: ComponentChildren;
  if (cause === 'frequency_cap')
    body = (
      <>
        <strong>The frequency cap holds everyone back.</strong> {ex.frequency_cap === 1 ? 'The one person' : `The ${ex.frequency_cap} people`} {which}{' '}
        {ex.frequency_cap === 1 ? 'was' : 'were'} sent a campaign message in the last {cap} day{cap === 1 ? '' : 's'}, and your frequency cap lets nobody
        get two campaign messages within {cap} day{cap === 1 ? '' : 's'}.
        {ends && (
          <>
            {' '}
            The first of them can be messaged again on <strong data-testid="cap-ends-at">{dateTime.format(ends)}</strong>.
          </>
        )}{' '}
        Schedule this campaign for then, or change the cap under{' '}
        <a href="/app/settings" onClick={onLinkClick}>
          Settings → Time zone and frequency
        </a>
        .
      </>
    );
  else if (cause === 'opted_out')
    body = (
      <>
        <strong>Everyone {which} said no.</strong>{' '}
        {[ex.opted_out ? `${people(ex.opted_out, 'person', 'people')} opted out` : null, ex.blocked ? `${people(ex.blocked, 'person', 'people')} blocked the account or deleted theirs` : null]
          .filter(Boolean)
          .join(' and ')}
        ; they are never messaged. Change the {segment ? 'segment' : 'filters'} to reach other people.
      </>
    );
  else if (cause === 'marks')
    body = (
      <>
        <strong>Telegram refused everyone {which} before</strong> (they charge Stars, or their privacy settings refused the account). Tick the boxes under
        “People Telegram refused before” to try them again.
      </>
    );
  else
    body = (
      <>
        <strong>No contact matches {segment ? 'this segment' : 'these filters'}.</strong> Loosen them: tick more categories, widen “Wrote to you within”, or remove
        an earlier-campaign filter.
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
  return (
    <div class="seg-choice" data-testid="segment-choice">
      <Field
        id="ed-segment"
        label="Saved segment"
        error={error}
        hint={
          <>
            A named audience kept on the{' '}
            <a href="/app/segments" onClick={onLinkClick}>
              Segments
            </a>{' '}
            page; the campaign takes its filters as they are when it starts.
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
            <option value="">None: the filters below</option>
            {chosen !== null && !seg && <option value={String(chosen)}>Segment #{chosen}</option>}
            {segments.map((x) => (
              <option key={x.id} value={String(x.id)}>
                {x.name} · {x.count} {x.count === 1 ? 'person' : 'people'}
              </option>
            ))}
          </select>
        )}
      </Field>
      {seg && (
        <p class="seg-summary" data-testid="segment-summary">
          <strong>{seg.name}:</strong> {filterPhrases(seg.filters, s.campaignNames).join(' · ') || 'everyone'}
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
  if (!open)
    return (
      <button type="button" class="btn btn-sm btn-ghost seg-save-open" disabled={disabled} onClick={() => setOpen(true)}>
        Save these filters as a segment…
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
      <Field id="ed-segment-name" label="Segment name" error={error} hint="The campaign then uses the segment; the Segments page lists it.">
        {(a) => <input {...a} type="text" value={name} maxLength={200} autoComplete="off" onInput={(ev) => setName(ev.currentTarget.value)} />}
      </Field>
      <div class="actions">
        <button type="submit" class="btn btn-sm btn-primary" disabled={busy || disabled || !name.trim()}>
          {busy ? 'Saving…' : 'Save segment'}
        </button>
        <button type="button" class="btn btn-sm btn-ghost" onClick={() => setOpen(false)}>
          Cancel
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
  return (
    <Card
      id="ed-aud"
      title="Audience"
      sub="Who receives this message. Opted-out and blocked contacts are always left out, and so is anyone who got a campaign message within your frequency cap (the days that must pass between two campaign messages to one person)."
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
            <p class="muted aud-wait">Give the campaign a name and write the message: the draft saves itself and shows here how many contacts it reaches.</p>
          ) : a === null ? (
            <p class="muted aud-wait">{s.audienceError ?? 'Counting…'}</p>
          ) : (
            <>
              <p class="aud-big">
                <strong data-testid="audience-count">{String(a.count)}</strong>
                <span>{a.count === 1 ? 'contact will receive it' : 'contacts will receive it'}</span>
              </p>
              {stale ? (
                <p class="hint">{audienceErrors ? 'Fix the problems marked to update the count.' : 'Updating…'}</p>
              ) : (
                audienceErrors && (
                  <p class="hint" data-testid="audience-count-saved-filters">
                    This is who the filters last saved reach: fix the ones marked to count again.
                  </p>
                )
              )}
              <ul class="aud-cats" data-testid="audience-by-category" aria-label="By category">
                {CATEGORY_INFO.map((c) => {
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
                  <span class="muted">For example: </span>
                  {a.sample.slice(0, 5).map((c, i) => (
                    <span key={c.id} class="aud-name">
                      {i > 0 ? ', ' : ''}
                      {[c.first_name, c.last_name].filter(Boolean).join(' ') || (c.username ? '@' + c.username : 'Telegram user')}
                    </span>
                  ))}
                  {a.count > 5 ? <span class="muted"> and {a.count - 5} more</span> : null}
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
  return (
    <Card id="ed-send" title="Quiet hours" sub="Sending pauses inside the window and resumes by itself when it ends.">
      <label class="check switch-row" for="ed-quiet-on">
        <input id="ed-quiet-on" type="checkbox" checked={f.quietOn} disabled={disabled} onChange={(ev) => store.update({ quietOn: ev.currentTarget.checked })} />
        <span>Don’t send during quiet hours</span>
      </label>
      {f.quietOn && (
        <>
          <div class="grid-3">
            <Field id="ed-quiet-start" label="From" error={err(e, 'quiet_hours.start')}>
              {(x) => <input {...x} type="time" value={f.quietStart} disabled={disabled} required onInput={(ev) => store.update({ quietStart: ev.currentTarget.value })} />}
            </Field>
            <Field id="ed-quiet-end" label="Until" error={err(e, 'quiet_hours.end')}>
              {(x) => <input {...x} type="time" value={f.quietEnd} disabled={disabled} required onInput={(ev) => store.update({ quietEnd: ev.currentTarget.value })} />}
            </Field>
            <Field id="ed-quiet-tz" label="Time zone" error={err(e, 'quiet_hours.timezone')}>
              {(x) => (
                <select {...x} value={f.timezone} disabled={disabled} onChange={(ev) => store.update({ timezone: ev.currentTarget.value })}>
                  {zoneList.map((z) => (
                    <option key={z} value={z}>
                      {z.replace(/_/g, ' ')}
                      {z === s.accountTimezone ? ' (account)' : ''}
                    </option>
                  ))}
                </select>
              )}
            </Field>
          </div>
          {now && (
            <p class={now.inside ? 'quiet-now inside' : 'quiet-now'} role="status">
              It is {now.time} in {f.timezone.replace(/_/g, ' ')} now — {now.inside ? 'inside quiet hours: a campaign started now waits until ' + f.quietEnd + ' unless you override.' : 'outside quiet hours.'}
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
  return (
    <li class="nudge" data-testid="nudge">
      <div class="nudge-head">
        <h3>Follow-up {i + 1}</h3>
        <button
          type="button"
          class="btn btn-sm btn-ghost"
          disabled={disabled}
          aria-label={`Remove follow-up ${i + 1}`}
          onClick={() => store.update({ nudges: store.state.form.nudges.filter((x) => x.key !== n.key) })}
        >
          Remove
        </button>
      </div>
      <div class="nudge-when">
        <div class={delayErr ? 'field has-error' : 'field'}>
          <label for={`ed-nudge-${i}-amount`}>Send after</label>
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
            <select id={`ed-nudge-${i}-unit`} aria-label={`Follow-up ${i + 1} delay unit`} value={n.unit} disabled={disabled} onChange={(ev) => set({ unit: ev.currentTarget.value as DelayUnit })}>
              <option value="minutes">minutes</option>
              <option value="hours">hours</option>
              <option value="days">days</option>
            </select>
          </div>
          {delayErr && (
            <p class="field-error" id={`ed-nudge-${i}-amount-error`} role="alert">
              {delayErr}
            </p>
          )}
        </div>
        <Field id={`ed-nudge-${i}-condition`} label="…if the contact" error={condErr}>
          {(x) => (
            <select {...x} value={n.condition} disabled={disabled} onChange={(ev) => set({ condition: ev.currentTarget.value as NudgeCondition })}>
              {CONDITIONS.map((c) => (
                <option key={c.value} value={c.value}>
                  {c.label}
                </option>
              ))}
            </select>
          )}
        </Field>
      </div>
      <MessageEditor
        key={`${n.key}-${store.state.epoch}`}
        idBase={`ed-nudge-${i}-text`}
        label={`Follow-up ${i + 1} message`}
        initialHtml={n.text}
        disabled={disabled}
        error={textErr}
        maxLength={MAX_TEXT}
        placeholder="Hi {{first_name|there}}, just checking you saw our message…"
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
        Preview follow-up {i + 1}
      </button>
    </li>
  );
}

export function NudgesSection({ store, disabled }: { store: EditorStore; disabled: boolean }) {
  const f = store.state.form;
  const e = err(store.state.fieldErrors, 'nudges');
  return (
    <Card id="ed-nudges" title="Follow-ups" sub="Nudge contacts who did not react. A reply always stops the follow-ups for that contact.">
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
        + Add follow-up
      </button>
      {f.nudges.length >= MAX_NUDGES && <p class="hint">At most {MAX_NUDGES} follow-ups.</p>}
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
  const modes: { value: DiscountMode; label: string }[] = [
    { value: 'none', label: 'None' },
    { value: 'static', label: 'One code for everyone' },
    { value: 'pool', label: 'A different code per contact' },
  ];
  const codes = poolCodes(f.poolText);
  const modeErr = err(e, 'discount_codes.mode') ?? err(e, 'discount_codes');
  return (
    <Card id="ed-extras" title="Links and discount codes">
      <label class="check switch-row" for="ed-track">
        <input id="ed-track" type="checkbox" checked={f.trackLinks} disabled={disabled} onChange={(ev) => store.update({ trackLinks: ev.currentTarget.checked })} />
        <span>
          Track link clicks
          <span class="check-hint">Links go through a short redirect so clicks and the orders after them are counted.</span>
        </span>
      </label>
      <fieldset class="discount" aria-describedby={modeErr ? 'ed-discount-error' : undefined}>
        <legend>Discount codes</legend>
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
          <Field id="ed-discount-code" label="Code" error={err(e, 'discount_codes.code')} hint="Letters, digits, “-” and “_”, e.g. SPRING10.">
            {(x) => (
              <input {...x} type="text" value={f.staticCode} disabled={disabled} autoComplete="off" spellcheck={false} onInput={(ev) => store.update({ staticCode: ev.currentTarget.value })} />
            )}
          </Field>
        )}
        {f.discountMode === 'pool' && (
          <Field
            id="ed-discount-pool"
            label="Codes, one per line"
            error={err(e, 'discount_codes.codes')}
            hint={`${codes.length} code${codes.length === 1 ? '' : 's'}. Each contact gets a different one; when the pool runs out, sending stops.`}
          >
            {(x) => (
              <textarea {...x} rows={5} value={f.poolText} disabled={disabled} spellcheck={false} placeholder={'SPRING-A1\nSPRING-B2'} onInput={(ev) => store.update({ poolText: ev.currentTarget.value })} />
            )}
          </Field>
        )}
        {f.discountMode !== 'none' && !usesCode && (
          <p class="alert alert-info">Put {'{{discount_code}}'} into the message (Insert placeholder → Discount code) where the code should appear.</p>
        )}
        {f.discountMode === 'none' && usesCode && <p class="alert alert-info">The message uses {'{{discount_code}}'}: choose the codes to send here.</p>}
      </fieldset>
    </Card>
  );
}
