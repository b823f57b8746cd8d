// People — a campaign's results per person (issue 16; API.md "Results per person"): one row per
// person and message (a person followed up twice has three), with the status (sent, failed,
// skipped, pending, cancelled), what they did (read, replied, clicked, bought), the failure or skip
// in words from the error registry, and a link to the contact. Filters (status, message) and the
// page size live in the URL; "Load more" follows next_after; "Export CSV" downloads
// recipients.csv with the same filters. Reached from the monitor and the scorecard. Names are
// contact-supplied: text only.
import { useEffect, useState } from 'preact/hooks';
import '../results.css';
import '../people.css';
import { ApiError, describeError, type Campaign } from '../api';
import { getCampaign } from '../api-campaigns';
import { exportRecipients, listRecipients, type Recipient, type RecipientStatus } from '../api-people';
import { getCampaignAnalytics } from '../api-results';
import { count, dateTime, money, reasonExplain, reasonLabel, stepLabel, when } from '../results/format';
import { CampaignHead, NotFoundPage } from '../results/ui';
import { usePaged } from '../results/usePaged';
import { onLinkClick, replaceQuery } from '../router';
import { FormError } from './Field';
import { messages } from '../i18n';

const M = messages(
  {
    everyStatus: 'Every status',
    sent: 'Sent',
    failed: 'Failed',
    skipped: 'Skipped',
    pending: 'Pending',
    cancelled: 'Cancelled',
    optedOut: 'Opted out',
    unreachable: 'Blocked the shop or deleted the account',
    repliedBefore: 'Replied before this follow-up',
    contactNumber: (id: number) => `Contact #${id}`,
    notSentCancelled: 'Not sent: the campaign was cancelled',
    notNeeded: 'Not needed: they had replied or clicked',
    readAt: (at: string) => 'Read ' + at,
    read: 'Read',
    repliedAt: (at: string) => 'Replied ' + at,
    replied: 'Replied',
    firstClickAt: (at: string) => 'First click ' + at,
    clicked: 'Clicked',
    bought: 'Bought',
    exportFailed: (why: string) => 'The export did not complete: ' + why,
    campaign: 'Campaign',
    backToCampaigns: 'Back to campaigns',
    people: 'People',
    scorecard: 'Scorecard',
    refreshing: 'Refreshing…',
    refresh: 'Refresh',
    exporting: 'Exporting…',
    exportCsv: 'Export CSV',
    intro: 'One row per person and message: who got it, what happened, and what they did after. The export has every row of the filters below.',
    filterPeople: 'Filter people',
    status: 'Status',
    message: 'Message',
    everyMessage: 'Every message',
    notLoaded: 'The people could not be loaded.',
    loading: 'Loading…',
    noMatch: 'Nobody matches these filters.',
    nobodyBeforeStart: 'Nobody yet: people appear here once the campaign starts.',
    nobody: 'Nobody yet.',
    caption: 'People of this campaign',
    person: 'Person',
    whatTheyDid: 'What they did',
    problem: 'Problem',
    shown: (n: string, total: string) => `${n} of ${total} shown`,
    loadMore: 'Load more',
  },
  {
    everyStatus: 'Все статусы',
    sent: 'Отправлено',
    failed: 'Ошибка',
    skipped: 'Пропущено',
    pending: 'В очереди',
    cancelled: 'Отменено',
    optedOut: 'Отписался',
    unreachable: 'Заблокировал магазин или удалил аккаунт',
    repliedBefore: 'Ответил до этого напоминания',
    contactNumber: (id: number) => `Контакт #${id}`,
    notSentCancelled: 'Не отправлено: кампания отменена',
    notNeeded: 'Не понадобилось: человек уже ответил или перешёл по ссылке',
    readAt: (at: string) => 'Прочитано ' + at,
    read: 'Прочитано',
    repliedAt: (at: string) => 'Ответ ' + at,
    replied: 'Ответ',
    firstClickAt: (at: string) => 'Первый переход ' + at,
    clicked: 'Переход',
    bought: 'Покупка',
    exportFailed: (why: string) => 'Экспорт не завершён: ' + why,
    campaign: 'Кампания',
    backToCampaigns: 'К кампаниям',
    people: 'Люди',
    scorecard: 'Итоги',
    refreshing: 'Обновляем…',
    refresh: 'Обновить',
    exporting: 'Экспорт…',
    exportCsv: 'Экспорт в CSV',
    intro: 'Строка на каждого человека и сообщение: кто получил, что произошло и что человек сделал потом. В экспорт попадают все строки по фильтрам ниже.',
    filterPeople: 'Фильтр людей',
    status: 'Статус',
    message: 'Сообщение',
    everyMessage: 'Все сообщения',
    notLoaded: 'Не удалось загрузить список людей.',
    loading: 'Загрузка…',
    noMatch: 'По этим фильтрам никого нет.',
    nobodyBeforeStart: 'Пока никого: люди появятся здесь, когда кампания начнётся.',
    nobody: 'Пока никого.',
    caption: 'Люди этой кампании',
    person: 'Человек',
    whatTheyDid: 'Действия',
    problem: 'Проблема',
    shown: (n: string, total: string) => `Показано ${n} из ${total}`,
    loadMore: 'Показать ещё',
  },
);

const PAGE = 100;

const STATUS_VALUES: RecipientStatus[] = ['sent', 'failed', 'skipped', 'pending', 'cancelled'];
const STATUS_TONE: Record<RecipientStatus, string> = { sent: 'ok', failed: 'bad', skipped: 'muted', pending: 'info', cancelled: 'muted' };

/** A row's status in a word. */
function statusLabel(s: RecipientStatus): string {
  return M()[s];
}

/** Why a row was skipped, for tgr's own reasons (Telegram's come from the registry). */
function skipWords(code: string): string | null {
  const m = M();
  if (code === 'opted_out') return m.optedOut;
  if (code === 'unreachable') return m.unreachable;
  if (code === 'replied') return m.repliedBefore;
  return null;
}

function asStatus(v: string | null): RecipientStatus | '' {
  return v === 'sent' || v === 'failed' || v === 'skipped' || v === 'pending' || v === 'cancelled' ? v : '';
}

function asStep(v: string | null): number | null {
  return v && /^\d{1,4}$/.test(v) ? Number(v) : null;
}

function pageSize(v: string | null): number {
  const n = v && /^\d+$/.test(v) ? Number(v) : PAGE;
  return Math.min(500, Math.max(1, n));
}

function personName(r: Recipient): string {
  const n = [r.first_name, r.last_name].filter((x) => x && x.trim()).join(' ');
  return n || (r.username ? '@' + r.username : M().contactNumber(r.contact_id));
}

/** The failure or skip of a row in words, with the registry's one-line explanation. */
function problem(r: Recipient): { words: string; code: string | null; explain: string | null } | null {
  const m = M();
  if (r.status === 'cancelled') return { words: m.notSentCancelled, code: null, explain: null };
  if (r.status === 'skipped') {
    if (!r.error_code) return { words: r.step > 0 ? m.notNeeded : m.skipped, code: null, explain: null };
    const skip = skipWords(r.error_code);
    if (skip) return { words: skip, code: null, explain: null };
    return { words: reasonLabel(r.error_code), code: r.error_code, explain: reasonExplain(r.error_code) };
  }
  // Words first, the code second (issue 18).
  if (r.status === 'failed' && r.error_code) return { words: reasonLabel(r.error_code), code: r.error_code, explain: reasonExplain(r.error_code) };
  return null;
}

const Time = ({ iso }: { iso: string }) => (
  <time dateTime={iso} title={dateTime.format(new Date(iso))}>
    {when(iso)}
  </time>
);

/** What the person did after this message, as chips. */
function Reactions({ r, currency }: { r: Recipient; currency: string | null }) {
  const m = M();
  const chips = [];
  if (r.read_at)
    chips.push(
      <span key="read" class="pill pill-info" data-chip="read" title={m.readAt(dateTime.format(new Date(r.read_at)))}>
        {m.read}
      </span>,
    );
  if (r.replied_at)
    chips.push(
      <span key="replied" class="pill pill-info" data-chip="replied" title={m.repliedAt(dateTime.format(new Date(r.replied_at)))}>
        {m.replied}
      </span>,
    );
  if (r.clicks > 0 || r.clicked_at)
    chips.push(
      <span key="clicked" class="pill pill-info" data-chip="clicked" title={r.clicked_at ? m.firstClickAt(dateTime.format(new Date(r.clicked_at))) : undefined}>
        {m.clicked}
        {r.clicks > 1 ? ` ×${count.format(r.clicks)}` : ''}
      </span>,
    );
  if (r.orders > 0)
    chips.push(
      <span key="bought" class="pill pill-ok" data-chip="bought">
        {m.bought}
        {r.orders > 1 ? ` ×${count.format(r.orders)}` : ''} · {money(r.revenue, currency)}
      </span>,
    );
  if (r.opted_out)
    chips.push(
      <span key="out" class="pill pill-warn" data-chip="opted_out">
        {m.optedOut}
      </span>,
    );
  return chips.length ? <span class="chips">{chips}</span> : <span class="muted">—</span>;
}

export function PeopleView(props: { id: number; query: URLSearchParams }) {
  const { id } = props;
  const [limit] = useState(pageSize(props.query.get('limit')));
  const [status, setStatus] = useState<RecipientStatus | ''>(asStatus(props.query.get('status')));
  const [step, setStep] = useState<number | null>(asStep(props.query.get('step')));
  const [campaign, setCampaign] = useState<Campaign | null>(null);
  const [currency, setCurrency] = useState<string | null>(null);
  const list = usePaged<Recipient, number>(async (after) => {
    const page = await listRecipients(id, { status, step, limit, after });
    return { items: page.recipients, next: page.next_after, total: page.total };
  }, `${status}|${step ?? ''}`);
  const { items: rows, next: nextAfter, total, loading, loadedKey, error: listError, load } = list;
  const [error, setError] = useState<string | null>(null);
  const [notFound, setNotFound] = useState(false);
  const [exporting, setExporting] = useState(false);
  const [exportError, setExportError] = useState<string | null>(null);

  useEffect(() => {
    getCampaign(id).then(setCampaign, (e: unknown) => {
      setNotFound(e instanceof ApiError && e.status === 404);
      setError(describeError(e));
    });
    getCampaignAnalytics(id).then(
      (a) => setCurrency(a.currency),
      () => undefined,
    );
  }, [id]);

  useEffect(() => {
    replaceQuery({ status, step: step === null ? '' : String(step), limit: limit === PAGE ? '' : String(limit) });
    void load(null);
  }, [status, step]);

  async function exportCsv() {
    setExporting(true);
    setExportError(null);
    try {
      await exportRecipients(id, { status, step });
    } catch (e) {
      setExportError(M().exportFailed(describeError(e)));
    } finally {
      setExporting(false);
    }
  }

  const m = M();
  if (notFound) return <NotFoundPage what={m.campaign} back="/app/campaigns" backLabel={m.backToCampaigns} />;

  const steps = campaign ? 1 + (campaign.nudges?.length ?? 0) : Math.max(1, (step ?? 0) + 1);
  const filtered = status !== '' || step !== null;

  return (
    <main class="page results people" id="main">
      <CampaignHead id={id} eyebrow={m.people} campaign={campaign}>
        {campaign?.started_at && (
          <a class="btn btn-sm" href={`/app/campaigns/${id}/scorecard`} onClick={onLinkClick}>
            {m.scorecard}
          </a>
        )}
        <button type="button" class="btn btn-sm" onClick={() => void load(null)} disabled={loading}>
          {loading ? m.refreshing : m.refresh}
        </button>
        <button type="button" class="btn btn-sm btn-primary" onClick={() => void exportCsv()} disabled={exporting} data-testid="export-csv">
          {exporting ? m.exporting : m.exportCsv}
        </button>
      </CampaignHead>
      <p class="res-sub">{m.intro}</p>
      <FormError message={exportError} />

      <form class="toolbar" onSubmit={(e) => e.preventDefault()} aria-label={m.filterPeople}>
        <div class="field">
          <label for="people-status">{m.status}</label>
          <select id="people-status" value={status} onChange={(e) => setStatus(asStatus(e.currentTarget.value))}>
            <option value="">{m.everyStatus}</option>
            {STATUS_VALUES.map((s) => (
              <option key={s} value={s}>
                {statusLabel(s)}
              </option>
            ))}
          </select>
        </div>
        <div class="field">
          <label for="people-step">{m.message}</label>
          <select id="people-step" value={step === null ? '' : String(step)} onChange={(e) => setStep(asStep(e.currentTarget.value))}>
            <option value="">{m.everyMessage}</option>
            {Array.from({ length: steps }, (_, i) => (
              <option key={i} value={String(i)}>
                {stepLabel(i)}
              </option>
            ))}
          </select>
        </div>
      </form>
      <FormError message={error ?? listError} />

      <section class="card card-flush" aria-busy={loading ? 'true' : 'false'} data-loaded={loading ? undefined : (loadedKey ?? undefined)}>
        {rows === null ? (
          <p class="empty">{error || listError ? m.notLoaded : m.loading}</p>
        ) : rows.length === 0 ? (
          <p class="empty">{filtered ? m.noMatch : campaign?.status === 'draft' || campaign?.status === 'scheduled' ? m.nobodyBeforeStart : m.nobody}</p>
        ) : (
          <table class="table people-table">
            <caption class="sr-only">{m.caption}</caption>
            <thead>
              <tr>
                <th scope="col">{m.person}</th>
                <th scope="col">{m.message}</th>
                <th scope="col">{m.status}</th>
                <th scope="col">{m.whatTheyDid}</th>
                <th scope="col">{m.sent}</th>
                <th scope="col">{m.problem}</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((r) => {
                const known = STATUS_VALUES.includes(r.status);
                const chip = { label: known ? statusLabel(r.status) : r.status, tone: known ? STATUS_TONE[r.status] : 'muted' };
                const p = problem(r);
                return (
                  <tr key={`${r.contact_id}-${r.step}`} data-testid="person-row" data-status={r.status} data-contact-id={r.contact_id}>
                    <td data-label={m.person}>
                      <a
                        class="name"
                        href={`/app/contacts/${r.contact_id}`}
                        onClick={onLinkClick}
                        data-testid="person-name"
                        translate={r.first_name?.trim() || r.last_name?.trim() || r.username ? false : undefined}
                      >
                        {personName(r)}
                      </a>
                      {r.username && (r.first_name || r.last_name) && (
                        <span class="sub" translate={false}>
                          @{r.username}
                        </span>
                      )}
                    </td>
                    <td data-label={m.message}>{stepLabel(r.step)}</td>
                    <td data-label={m.status}>
                      <span class={'pill pill-' + chip.tone} data-testid="person-status">
                        {chip.label}
                      </span>
                    </td>
                    <td data-label={m.whatTheyDid}>
                      <Reactions r={r} currency={currency} />
                    </td>
                    <td data-label={m.sent}>{r.sent_at ? <Time iso={r.sent_at} /> : <span class="muted">—</span>}</td>
                    <td data-label={m.problem}>
                      {p ? (
                        <span class="problem" data-testid="person-problem">
                          <span class={r.status === 'failed' ? 'bad-text' : undefined} data-testid="person-problem">
                            {p.words}
                            {p.code && (
                              <>
                                {' '}
                                <code class="reason-code">{p.code}</code>
                              </>
                            )}
                          </span>
                          {p.explain && <span class="sub">{p.explain}</span>}
                        </span>
                      ) : (
                        <span class="muted">—</span>
                      )}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        )}
      </section>
      <div class="list-foot">
        <span class="muted" role="status" data-testid="people-count">
          {rows && total !== null ? m.shown(count.format(rows.length), count.format(total)) : ''}
        </span>
        {nextAfter != null && (
          <button type="button" class="btn" onClick={() => void load(nextAfter)} disabled={loading}>
            {loading ? m.loading : m.loadMore}
          </button>
        )}
      </div>
    </main>
  );
}
