// Segments — saved audiences (issue 16; API.md "Segments"): each with its filters in words, how
// many people it reaches now (a live count, as a campaign's audience: opt-outs, marks and the
// frequency cap applied) and the campaigns that use it; create, rename, edit the filters (the
// editor's inputs, editor/FilterFields.tsx) and delete — refused (409) while a draft or scheduled
// campaign uses the segment, which is said in words with those campaigns named.
import { useEffect, useRef, useState } from 'preact/hooks';
import '../editor.css';
import '../people.css';
import { ApiError, describeError, listCampaigns, type Campaign } from '../api';
import { createSegment, deleteSegment, listSegments, patchSegment, type Segment } from '../api-segments';
import { FilterFields, filterPhrases } from '../editor/FilterFields';
import { emptyFilterForm, fieldMessage, filterErrors, filterFormFrom, filtersFromForm, type FilterForm } from '../editor/form';
import { STATUS_LABEL, count, dateTime } from '../results/format';
import { onLinkClick } from '../router';
import { Field, FormError } from './Field';

/** Splits an API error into one for a field (name or filters.*) or for the form. */
function apiProblem(e: unknown): { fields: Record<string, string>; form: string | null } {
  if (e instanceof ApiError && e.status === 400 && e.field) return { fields: { [e.field]: fieldMessage(e.field, e.message) }, form: null };
  return { fields: {}, form: describeError(e) };
}

/** A segment's name and filters as a form: for a new one, or to edit the filters of one. */
function SegmentForm(props: {
  idPrefix: string;
  initial: { name: string; form: FilterForm };
  withName: boolean;
  submitLabel: string;
  campaignNames: Record<number, string>;
  onSave: (name: string, form: FilterForm) => Promise<unknown>;
  onCancel: () => void;
}) {
  const [name, setName] = useState(props.initial.name);
  const [form, setForm] = useState<FilterForm>(props.initial.form);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [problem, setProblem] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function save() {
    const local = filterErrors(form);
    if (props.withName && !name.trim()) local.name = 'Give the segment a name.';
    setErrors(local);
    setProblem(null);
    if (Object.keys(local).length) return;
    setBusy(true);
    try {
      await props.onSave(name.trim(), form);
    } catch (e) {
      const p = apiProblem(e);
      setErrors(p.fields);
      setProblem(p.form);
    } finally {
      setBusy(false);
    }
  }

  return (
    <form
      class="seg-form"
      noValidate
      onSubmit={(ev) => {
        ev.preventDefault();
        void save();
      }}
    >
      {props.withName && (
        <Field id={`${props.idPrefix}-name`} label="Segment name" error={errors.name ?? null} hint="Only you see it, e.g. “Buyers of the last 90 days”.">
          {(a) => <input {...a} type="text" value={name} maxLength={200} autoComplete="off" onInput={(ev) => setName(ev.currentTarget.value)} />}
        </Field>
      )}
      <FilterFields
        form={form}
        update={(p) => setForm((f) => ({ ...f, ...p }))}
        errors={errors}
        disabled={busy}
        idPrefix={props.idPrefix}
        campaignNames={props.campaignNames}
      />
      <FormError message={problem} />
      <div class="actions">
        <button type="submit" class="btn btn-primary btn-sm" disabled={busy}>
          {busy ? 'Saving…' : props.submitLabel}
        </button>
        <button type="button" class="btn btn-ghost btn-sm" onClick={props.onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}

function SegmentItem(props: { seg: Segment; campaigns: Campaign[]; campaignNames: Record<number, string>; onChanged: (s: Segment | null) => void }) {
  const { seg } = props;
  const [mode, setMode] = useState<'view' | 'rename' | 'filters' | 'delete'>('view');
  const [name, setName] = useState(seg.name);
  const [nameError, setNameError] = useState<string | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const users = props.campaigns.filter((c) => c.segment_id === seg.id);
  const holding = users.filter((c) => c.status === 'draft' || c.status === 'scheduled');
  const phrases = filterPhrases(seg.filters, props.campaignNames);

  async function rename() {
    if (!name.trim()) return setNameError('Give the segment a name.');
    setBusy(true);
    try {
      props.onChanged(await patchSegment(seg.id, { name: name.trim() }));
      setMode('view');
      setNameError(null);
    } catch (e) {
      setNameError(e instanceof ApiError && e.field === 'name' ? fieldMessage('name', e.message) : describeError(e));
    } finally {
      setBusy(false);
    }
  }

  async function remove() {
    setBusy(true);
    setProblem(null);
    try {
      await deleteSegment(seg.id);
      props.onChanged(null);
    } catch (e) {
      setMode('view');
      if (e instanceof ApiError && e.status === 409)
        setProblem(
          'This segment cannot be deleted while a draft or scheduled campaign uses it. Give that campaign filters of its own (or another segment) in the editor, or delete the draft, then try again.',
        );
      else setProblem('The segment was not deleted: ' + describeError(e));
    } finally {
      setBusy(false);
    }
  }

  return (
    <li class="card seg-item" data-testid="segment-row" data-segment-id={seg.id}>
      <div class="seg-head">
        {mode === 'rename' ? (
          <form
            class="seg-rename"
            onSubmit={(ev) => {
              ev.preventDefault();
              void rename();
            }}
          >
            <Field id={`seg-${seg.id}-rename`} label="New name" error={nameError}>
              {(a) => <input {...a} type="text" value={name} maxLength={200} autoComplete="off" onInput={(ev) => setName(ev.currentTarget.value)} />}
            </Field>
            <div class="actions">
              <button type="submit" class="btn btn-primary btn-sm" disabled={busy}>
                Save name
              </button>
              <button
                type="button"
                class="btn btn-ghost btn-sm"
                onClick={() => {
                  setMode('view');
                  setName(seg.name);
                  setNameError(null);
                }}
              >
                Cancel
              </button>
            </div>
          </form>
        ) : (
          <h2 class="seg-name" data-testid="segment-name">
            {seg.name}
          </h2>
        )}
        <p class="seg-count">
          <strong data-testid="segment-count">{count.format(seg.count)}</strong> {seg.count === 1 ? 'person' : 'people'} now
        </p>
      </div>
      <p class="seg-filters" data-testid="segment-filters">
        {phrases.length ? phrases.join(' · ') : 'Everyone (no filters)'}
      </p>
      <p class="sub">
        {users.length ? (
          <>
            Used by{' '}
            {users.map((c, i) => (
              <span key={c.id}>
                {i > 0 ? ', ' : ''}
                <a href={c.status === 'draft' || c.status === 'scheduled' ? `/app/campaigns/${c.id}/edit` : `/app/campaigns/${c.id}`} onClick={onLinkClick}>
                  {c.name}
                </a>{' '}
                ({STATUS_LABEL[c.status]?.toLowerCase() ?? c.status})
              </span>
            ))}
            {' · '}
          </>
        ) : null}
        Changed {dateTime.format(new Date(seg.updated_at))}
      </p>
      {problem && (
        <div class="alert alert-error" role="alert" data-testid="segment-problem">
          {problem}
          {holding.length > 0 && (
            <>
              {' '}
              Using it now:{' '}
              {holding.map((c, i) => (
                <span key={c.id}>
                  {i > 0 ? ', ' : ''}
                  <a href={`/app/campaigns/${c.id}/edit`} onClick={onLinkClick}>
                    {c.name}
                  </a>
                </span>
              ))}
              .
            </>
          )}
        </div>
      )}
      {mode === 'filters' && (
        <SegmentForm
          idPrefix={`seg-${seg.id}`}
          initial={{ name: seg.name, form: filterFormFrom(seg.filters) }}
          withName={false}
          submitLabel="Save filters"
          campaignNames={props.campaignNames}
          onSave={async (_n, form) => {
            props.onChanged(await patchSegment(seg.id, { filters: filtersFromForm(form) }));
            setMode('view');
          }}
          onCancel={() => setMode('view')}
        />
      )}
      {mode === 'delete' ? (
        <span class="confirm" role="group" aria-label={'Delete ' + seg.name + '?'}>
          <span>Delete this segment?</span>
          <button type="button" class="btn btn-danger btn-sm" disabled={busy} onClick={() => void remove()}>
            {busy ? 'Deleting…' : 'Delete'}
          </button>
          <button type="button" class="btn btn-sm" disabled={busy} onClick={() => setMode('view')}>
            Keep
          </button>
        </span>
      ) : (
        mode === 'view' && (
          <div class="actions">
            <button type="button" class="btn btn-sm" onClick={() => setMode('rename')} aria-label={'Rename ' + seg.name}>
              Rename
            </button>
            <button type="button" class="btn btn-sm" onClick={() => setMode('filters')} aria-label={'Edit filters of ' + seg.name}>
              Edit filters
            </button>
            <a class="btn btn-sm" href={`/app/campaigns/new?segment=${seg.id}`} onClick={onLinkClick}>
              New campaign
            </a>
            <button type="button" class="btn btn-ghost btn-sm" onClick={() => setMode('delete')} aria-label={'Delete ' + seg.name}>
              Delete
            </button>
          </div>
        )
      )}
    </li>
  );
}

export function SegmentsView() {
  const [segments, setSegments] = useState<Segment[] | null>(null);
  const [campaigns, setCampaigns] = useState<Campaign[]>([]);
  const [error, setError] = useState<string | null>(null);
  const [loading, setLoading] = useState(false);
  const [creating, setCreating] = useState(false);
  const seq = useRef(0);

  async function load() {
    const my = ++seq.current;
    setLoading(true);
    try {
      const [s, c] = await Promise.all([listSegments(), listCampaigns()]);
      if (my !== seq.current) return;
      setSegments(s.segments);
      setCampaigns(c.campaigns);
      setError(null);
    } catch (e) {
      if (my === seq.current) setError(describeError(e));
    } finally {
      if (my === seq.current) setLoading(false);
    }
  }

  useEffect(() => {
    void load();
    return () => {
      seq.current++;
    };
  }, []);

  const names = Object.fromEntries(campaigns.map((c) => [c.id, c.name]));
  const total = segments?.length ?? 0;

  return (
    <main class="page segments-page" id="main" data-loaded={segments && !loading ? 'segments' : undefined}>
      <div class="page-head">
        <h1>Segments</h1>
        <div class="actions">
          <button type="button" class="btn btn-sm" onClick={() => void load()} disabled={loading}>
            {loading ? 'Refreshing…' : 'Refresh counts'}
          </button>
          {!creating && (
            <button type="button" class="btn btn-primary btn-sm" onClick={() => setCreating(true)}>
              New segment
            </button>
          )}
        </div>
      </div>
      <p class="muted">
        A segment is a named audience: filters kept under a name, with the number of people they reach now. A campaign that uses one takes its filters as they are when it starts.
      </p>
      <FormError message={error} />
      {creating && (
        <section class="card seg-new" aria-labelledby="seg-new-h">
          <h2 id="seg-new-h">New segment</h2>
          <SegmentForm
            idPrefix="seg-new"
            initial={{ name: '', form: emptyFilterForm() }}
            withName
            submitLabel="Create segment"
            campaignNames={names}
            onSave={async (name, form) => {
              const s = await createSegment(name, filtersFromForm(form));
              setSegments((prev) => [...(prev ?? []), s]);
              setCreating(false);
            }}
            onCancel={() => setCreating(false)}
          />
        </section>
      )}
      {segments === null ? (
        !error && <p class="empty">Loading segments…</p>
      ) : segments.length === 0 ? (
        !creating && (
          <div class="card">
            <p class="empty">No segments yet. Create one here, or save a campaign’s filters as a segment in the editor.</p>
          </div>
        )
      ) : (
        <ul class="seg-list" aria-label="Segments">
          {segments.map((s) => (
            <SegmentItem
              key={s.id}
              seg={s}
              campaigns={campaigns}
              campaignNames={names}
              onChanged={(next) => setSegments((prev) => (prev ?? []).flatMap((x) => (x.id !== s.id ? [x] : next ? [next] : [])))}
            />
          ))}
        </ul>
      )}
      <div class="list-foot">
        <span class="muted" role="status">
          {segments ? `${total} segment${total === 1 ? '' : 's'}` : ''}
        </span>
      </div>
    </main>
  );
}
