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
import { messages, plural } from '../i18n';

const M = messages(
  {
    nameNeeded: 'Give the segment a name.',
    /** The server's answer about the name (only its length can be refused: the form checks the rest). */
    nameRefused: (message: string) => fieldMessage('name', message),
    segmentName: 'Segment name',
    nameHint: 'Only you see it, e.g. “Buyers of the last 90 days”.',
    saving: 'Saving…',
    cancel: 'Cancel',
    inUse:
      'This segment cannot be deleted while a draft or scheduled campaign uses it. Give that campaign filters of its own (or another segment) in the editor, or delete the draft, then try again.',
    notDeleted: (why: string) => 'The segment was not deleted: ' + why,
    newName: 'New name',
    saveName: 'Save name',
    peopleNow: (n: number) => plural(n, { one: 'person now', other: 'people now' }),
    everyone: 'Everyone (no filters)',
    usedBy: 'Used by',
    changed: (when: string) => 'Changed ' + when,
    usingNow: 'Using it now:',
    saveFilters: 'Save filters',
    deleteWhat: (name: string) => 'Delete ' + name + '?',
    deleteThis: 'Delete this segment?',
    deleting: 'Deleting…',
    delete: 'Delete',
    keep: 'Keep',
    // the buttons' names, said before the segment's name (aria-labelledby: the name is not translated)
    renameSegment: 'Rename',
    rename: 'Rename',
    editFiltersOf: 'Edit filters of',
    editFilters: 'Edit filters',
    newCampaign: 'New campaign',
    deleteSegment: 'Delete',
    title: 'Segments',
    refreshing: 'Refreshing…',
    refreshCounts: 'Refresh counts',
    newSegment: 'New segment',
    intro:
      'A segment is a named audience: filters kept under a name, with the number of people they reach now. A campaign that uses one takes its filters as they are when it starts.',
    createSegment: 'Create segment',
    loading: 'Loading segments…',
    none: 'No segments yet. Create one here, or save a campaign’s filters as a segment in the editor.',
    total: (n: number) => plural(n, { one: '# segment', other: '# segments' }),
  },
  {
    nameNeeded: 'Дайте сегменту название.',
    nameRefused: (message: string) => {
      const most = /at most (\d+)/.exec(message);
      return most ? `Название должно быть не длиннее ${plural(Number(most[1]), { one: '# символа', other: '# символов' })}.` : 'Дайте сегменту название.';
    },
    segmentName: 'Название сегмента',
    nameHint: 'Его видите только вы, например «Покупатели за последние 90 дней».',
    saving: 'Сохраняем…',
    cancel: 'Отмена',
    inUse:
      'Этот сегмент нельзя удалить, пока его использует черновик или запланированная кампания. Задайте этой кампании собственные фильтры (или другой сегмент) в редакторе либо удалите черновик и попробуйте снова.',
    notDeleted: (why: string) => 'Сегмент не удалён: ' + why,
    newName: 'Новое название',
    saveName: 'Сохранить название',
    peopleNow: (n: number) => plural(n, { one: 'человек сейчас', few: 'человека сейчас', many: 'человек сейчас', other: 'человека сейчас' }),
    everyone: 'Все (без фильтров)',
    usedBy: 'Используют:',
    changed: (when: string) => 'Изменён ' + when,
    usingNow: 'Сейчас его используют:',
    saveFilters: 'Сохранить фильтры',
    deleteWhat: (name: string) => `Удалить сегмент «${name}»?`,
    deleteThis: 'Удалить этот сегмент?',
    deleting: 'Удаляем…',
    delete: 'Удалить',
    keep: 'Оставить',
    renameSegment: 'Переименовать сегмент',
    rename: 'Переименовать',
    editFiltersOf: 'Изменить фильтры сегмента',
    editFilters: 'Изменить фильтры',
    newCampaign: 'Новая кампания',
    deleteSegment: 'Удалить сегмент',
    title: 'Сегменты',
    refreshing: 'Обновляем…',
    refreshCounts: 'Пересчитать',
    newSegment: 'Новый сегмент',
    intro:
      'Сегмент — это аудитория с названием: фильтры, сохранённые под именем, и число людей, которых они охватывают сейчас. Кампания с сегментом берёт его фильтры такими, какие они в момент её запуска.',
    createSegment: 'Создать сегмент',
    loading: 'Загружаем сегменты…',
    none: 'Сегментов пока нет. Создайте сегмент здесь или сохраните фильтры кампании как сегмент в редакторе.',
    total: (n: number) => plural(n, { one: '# сегмент', few: '# сегмента', many: '# сегментов', other: '# сегмента' }),
  },
);

/** Splits an API error into one for a field (name or filters.*) or for the form. */
function apiProblem(e: unknown): { fields: Record<string, string>; form: string | null } {
  if (e instanceof ApiError && e.status === 400 && e.field)
    return { fields: { [e.field]: e.field === 'name' ? M().nameRefused(e.message) : fieldMessage(e.field, e.message) }, form: null };
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
    if (props.withName && !name.trim()) local.name = M().nameNeeded;
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

  const m = M();
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
        <Field id={`${props.idPrefix}-name`} label={m.segmentName} error={errors.name ?? null} hint={m.nameHint}>
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
          {busy ? m.saving : props.submitLabel}
        </button>
        <button type="button" class="btn btn-ghost btn-sm" onClick={props.onCancel}>
          {m.cancel}
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
    if (!name.trim()) return setNameError(M().nameNeeded);
    setBusy(true);
    try {
      props.onChanged(await patchSegment(seg.id, { name: name.trim() }));
      setMode('view');
      setNameError(null);
    } catch (e) {
      setNameError(e instanceof ApiError && e.field === 'name' ? M().nameRefused(e.message) : describeError(e));
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
        setProblem(M().inUse);
      else setProblem(M().notDeleted(describeError(e)));
    } finally {
      setBusy(false);
    }
  }

  const m = M();
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
            <Field id={`seg-${seg.id}-rename`} label={m.newName} error={nameError}>
              {(a) => <input {...a} type="text" value={name} maxLength={200} autoComplete="off" onInput={(ev) => setName(ev.currentTarget.value)} />}
            </Field>
            <div class="actions">
              <button type="submit" class="btn btn-primary btn-sm" disabled={busy}>
                {m.saveName}
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
                {m.cancel}
              </button>
            </div>
          </form>
        ) : (
          <h2 class="seg-name" id={`seg-${seg.id}-name`} data-testid="segment-name" translate={false}>
            {seg.name}
          </h2>
        )}
        <p class="seg-count">
          <strong data-testid="segment-count">{count.format(seg.count)}</strong> {m.peopleNow(seg.count)}
        </p>
      </div>
      <p class="seg-filters" data-testid="segment-filters">
        {phrases.length ? phrases.join(' · ') : m.everyone}
      </p>
      <p class="sub">
        {users.length ? (
          <>
            {m.usedBy}{' '}
            {users.map((c, i) => (
              <span key={c.id}>
                {i > 0 ? ', ' : ''}
                <a
                  href={c.status === 'draft' || c.status === 'scheduled' ? `/app/campaigns/${c.id}/edit` : `/app/campaigns/${c.id}`}
                  onClick={onLinkClick}
                  translate={false}
                >
                  {c.name}
                </a>{' '}
                ({STATUS_LABEL[c.status]?.toLowerCase() ?? c.status})
              </span>
            ))}
            {' · '}
          </>
        ) : null}
        {m.changed(dateTime.format(new Date(seg.updated_at)))}
      </p>
      {problem && (
        <div class="alert alert-error" role="alert" data-testid="segment-problem">
          {problem}
          {holding.length > 0 && (
            <>
              {' '}
              {m.usingNow}{' '}
              {holding.map((c, i) => (
                <span key={c.id}>
                  {i > 0 ? ', ' : ''}
                  <a href={`/app/campaigns/${c.id}/edit`} onClick={onLinkClick} translate={false}>
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
          submitLabel={m.saveFilters}
          campaignNames={props.campaignNames}
          onSave={async (_n, form) => {
            props.onChanged(await patchSegment(seg.id, { filters: filtersFromForm(form) }));
            setMode('view');
          }}
          onCancel={() => setMode('view')}
        />
      )}
      {mode === 'delete' ? (
        <span class="confirm" role="group" aria-label={m.deleteWhat(seg.name)}>
          <span>{m.deleteThis}</span>
          <button type="button" class="btn btn-danger btn-sm" disabled={busy} onClick={() => void remove()}>
            {busy ? m.deleting : m.delete}
          </button>
          <button type="button" class="btn btn-sm" disabled={busy} onClick={() => setMode('view')}>
            {m.keep}
          </button>
        </span>
      ) : (
        mode === 'view' && (
          <div class="actions">
            {/* The buttons are named "<what> <the segment's name>" from these words and the heading. */}
            <span hidden id={`seg-${seg.id}-l-rename`}>
              {m.renameSegment}
            </span>
            <span hidden id={`seg-${seg.id}-l-filters`}>
              {m.editFiltersOf}
            </span>
            <span hidden id={`seg-${seg.id}-l-delete`}>
              {m.deleteSegment}
            </span>
            <button type="button" class="btn btn-sm" onClick={() => setMode('rename')} aria-labelledby={`seg-${seg.id}-l-rename seg-${seg.id}-name`}>
              {m.rename}
            </button>
            <button type="button" class="btn btn-sm" onClick={() => setMode('filters')} aria-labelledby={`seg-${seg.id}-l-filters seg-${seg.id}-name`}>
              {m.editFilters}
            </button>
            <a class="btn btn-sm" href={`/app/campaigns/new?segment=${seg.id}`} onClick={onLinkClick}>
              {m.newCampaign}
            </a>
            <button type="button" class="btn btn-ghost btn-sm" onClick={() => setMode('delete')} aria-labelledby={`seg-${seg.id}-l-delete seg-${seg.id}-name`}>
              {m.delete}
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
  const m = M();

  return (
    <main class="page segments-page" id="main" data-loaded={segments && !loading ? 'segments' : undefined}>
      <div class="page-head">
        <h1>{m.title}</h1>
        <div class="actions">
          <button type="button" class="btn btn-sm" onClick={() => void load()} disabled={loading}>
            {loading ? m.refreshing : m.refreshCounts}
          </button>
          {!creating && (
            <button type="button" class="btn btn-primary btn-sm" onClick={() => setCreating(true)}>
              {m.newSegment}
            </button>
          )}
        </div>
      </div>
      <p class="muted">{m.intro}</p>
      <FormError message={error} />
      {creating && (
        <section class="card seg-new" aria-labelledby="seg-new-h">
          <h2 id="seg-new-h">{m.newSegment}</h2>
          <SegmentForm
            idPrefix="seg-new"
            initial={{ name: '', form: emptyFilterForm() }}
            withName
            submitLabel={m.createSegment}
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
        !error && <p class="empty">{m.loading}</p>
      ) : segments.length === 0 ? (
        !creating && (
          <div class="card">
            <p class="empty">{m.none}</p>
          </div>
        )
      ) : (
        <ul class="seg-list" aria-label={m.title}>
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
          {segments ? m.total(total) : ''}
        </span>
      </div>
    </main>
  );
}
