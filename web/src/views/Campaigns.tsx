import { useEffect, useRef, useState } from 'preact/hooks';
import { describeError, listCampaignStats, listCampaigns, type Campaign, type CampaignStats } from '../api';
import { campaignInput, createCampaign, deleteCampaign, getAccount } from '../api-campaigns';
import { formatInZone, knownZone, zoneLabel } from '../people/zone';
import { browserTimezone } from '../editor/form';
import { navigate, onLinkClick } from '../router';
import { FormError } from './Field';
import '../people.css';
import { STATUS_LABEL, count, dateTime, isLive, money, percent, reasonLabel } from '../results/format';
import { dateTimeFormat, messages, plural } from '../i18n';

const M = messages(
  {
    firstMessage: (done: number, total: number) => `First message: ${done} of ${total} people handled`,
    starts: 'Starts',
    waitingFor: 'waiting for',
    lq: '“',
    rq: '”',
    theSending: 'the campaign that is sending',
    notStarted: 'Not started',
    startFailed: (reason: string) => 'Scheduled start failed: ' + reason.toLowerCase(),
    copyOf: (name: string) => 'Copy of ' + name,
    noDuplicate: (name: string, why: string) => 'Could not duplicate “' + name + '”: ' + why,
    noDelete: (name: string, why: string) => 'Could not delete “' + name + '”: ' + why,
    deleteDraft: 'Delete this draft?',
    deleting: 'Deleting…',
    delete: 'Delete',
    keep: 'Keep',
    duplicate: 'Duplicate',
    title: 'Campaigns',
    refreshing: 'Refreshing…',
    refresh: 'Refresh',
    newCampaign: 'New campaign',
    loadFailed: 'Campaigns could not be loaded.',
    loading: 'Loading campaigns…',
    none: 'No campaigns yet. Campaigns you create appear here with their progress and results.',
    createFirst: 'Create your first campaign',
    campaign: 'Campaign',
    status: 'Status',
    progress: 'Progress',
    sent: 'Sent',
    read: 'Read',
    replied: 'Replied',
    clicks: 'Clicks · CTR',
    orders: 'Orders',
    revenue: 'Revenue',
    started: 'Started',
    actions: 'Actions',
    failed: (n: number) => plural(n, { other: '# failed' }),
    clicksInAll: (n: number) => plural(n, { one: '# click in all', other: '# clicks in all' }),
    campaigns: (n: number) => plural(n, { one: '# campaign', other: '# campaigns' }),
    live: ' · updating live',
  },
  {
    firstMessage: (done, total) => `Первое сообщение: обработано ${done} из ${total}`,
    starts: 'Запуск',
    waitingFor: 'ждёт завершения',
    lq: '«',
    rq: '»',
    theSending: 'кампании, которая сейчас отправляется',
    notStarted: 'Не запускалась',
    startFailed: (reason) => 'Запланированный запуск не состоялся: ' + reason.toLowerCase(),
    copyOf: (name) => 'Копия: ' + name,
    noDuplicate: (name, why) => `Не удалось скопировать «${name}»: ${why}`,
    noDelete: (name, why) => `Не удалось удалить «${name}»: ${why}`,
    deleteDraft: 'Удалить этот черновик?',
    deleting: 'Удаляем…',
    delete: 'Удалить',
    keep: 'Оставить',
    duplicate: 'Копировать',
    title: 'Кампании',
    refreshing: 'Обновляем…',
    refresh: 'Обновить',
    newCampaign: 'Новая кампания',
    loadFailed: 'Не удалось загрузить кампании.',
    loading: 'Загружаем кампании…',
    none: 'Кампаний пока нет. Созданные кампании появятся здесь вместе с ходом отправки и результатами.',
    createFirst: 'Создать первую кампанию',
    campaign: 'Кампания',
    status: 'Статус',
    progress: 'Ход отправки',
    sent: 'Отправлено',
    read: 'Прочитано',
    replied: 'Ответили',
    clicks: 'Переходы · CTR',
    orders: 'Заказы',
    revenue: 'Выручка',
    started: 'Запущена',
    actions: 'Действия',
    failed: (n) => plural(n, { one: '# ошибка', few: '# ошибки', many: '# ошибок', other: '# ошибки' }),
    clicksInAll: (n) => plural(n, { one: 'всего # переход', few: 'всего # перехода', many: 'всего # переходов', other: 'всего # перехода' }),
    campaigns: (n) => plural(n, { one: '# кампания', few: '# кампании', many: '# кампаний', other: '# кампании' }),
    live: ' · обновляется автоматически',
  },
);

/** While a campaign is sending, the list refreshes itself this often. */
const LIVE_REFRESH_MS = 5000;

const day = dateTimeFormat({ dateStyle: 'medium' });

function StatusBadge({ c }: { c: Campaign }) {
  const label = STATUS_LABEL[c.status] ?? String(c.status);
  const text = c.status === 'paused' && c.pause_reason ? `${label}: ${reasonLabel(c.pause_reason)}` : label;
  return (
    <span class={'badge status status-' + c.status} data-testid="campaign-status" data-status={c.status}>
      {isLive(c.status) && <span class="dot" aria-hidden="true" />}
      {text}
    </span>
  );
}

function Progress({ c, s }: { c: Campaign; s: CampaignStats | undefined }) {
  if (!s || (c.status === 'draft' && s.audience === 0 && s.sent + s.failed === 0)) return <span class="muted">—</span>;
  // The first message only: follow-ups are counted apart (the monitor shows them), so the bar
  // never goes backwards when follow-ups are queued (issue 18).
  const f = s.first_message;
  const done = f ? f.sent + f.failed + f.skipped : s.sent + s.failed;
  const total = f ? f.total : Math.max(s.audience, done);
  const pct = total > 0 ? Math.min(1, done / total) : 0;
  return (
    <span class="progress-cell">
      <progress class="progress" max={total > 0 ? total : 1} value={done} aria-label={M().firstMessage(done, total)} />
      <span class="sub">
        {count.format(done)} / {count.format(total)}
        {total > 0 && <> · {percent.format(pct)}</>}
      </span>
    </span>
  );
}

const dash = <span class="muted">—</span>;

/** Drafts and scheduled campaigns open in the editor (where a scheduled one is unscheduled);
 *  everything that has started opens in the live monitor. */
export function campaignHref(c: Campaign): string {
  return c.status === 'draft' || c.status === 'scheduled' ? `/app/campaigns/${c.id}/edit` : `/app/campaigns/${c.id}`;
}

/** A scheduled start this close (or passed, waiting) keeps the list refreshing. */
const SOON_MS = 15 * 60_000;

/** The "Started" cell of a campaign that has not started: when a scheduled one starts (in the
 *  account's zone) and what it waits for, or why a scheduled start did not happen (issue 16). */
function NotStartedCell({ c, running, tz }: { c: Campaign; running: Campaign | undefined; tz: string }) {
  const m = M();
  if (c.status === 'scheduled' && c.start_at)
    return (
      <span class="when" data-testid="campaign-start-at">
        <span>
          {m.starts}{' '}
          <time dateTime={c.start_at} title={formatInZone(c.start_at, tz) + ' (' + zoneLabel(tz) + ')'}>
            {formatInZone(c.start_at, tz, 'short')}
          </time>
        </span>
        {c.waiting === 'campaign_running' && (
          <span class="sub" data-testid="campaign-waiting">
            {m.waitingFor}{' '}
            {running ? (
              <>
                {m.lq}
                <span translate={false}>{running.name}</span>
                {m.rq}
              </>
            ) : (
              m.theSending
            )}
          </span>
        )}
        {tz !== knownZone(browserTimezone()) && (
          <span class="sub" translate={false}>
            {zoneLabel(tz)}
          </span>
        )}
      </span>
    );
  if (c.status === 'draft' && c.pause_reason && c.pause_reason !== 'manual')
    return (
      <span class="when">
        <span class="muted">{m.notStarted}</span>
        <span class="sub bad-text">{m.startFailed(reasonLabel(c.pause_reason))}</span>
      </span>
    );
  return <span class="muted">{m.notStarted}</span>;
}

/** "Copy of …", kept within the API's 200-character name limit. */
function copyName(name: string): string {
  const n = M().copyOf(name);
  return Array.from(n).length > 200 ? Array.from(n).slice(0, 199).join('') + '…' : n;
}

/** Duplicate (any campaign → a new draft in the editor) and delete (drafts only, confirmed inline). */
function RowActions({ c, onDeleted, onError }: { c: Campaign; onDeleted: () => void; onError: (m: string) => void }) {
  const [busy, setBusy] = useState(false);
  const [confirming, setConfirming] = useState(false);
  async function duplicate() {
    setBusy(true);
    try {
      const copy = await createCampaign({ ...campaignInput(c), name: copyName(c.name) });
      navigate(`/app/campaigns/${copy.id}/edit`);
    } catch (e) {
      onError(M().noDuplicate(c.name, describeError(e)));
      setBusy(false);
    }
  }
  async function remove() {
    setBusy(true);
    try {
      await deleteCampaign(c.id);
      onDeleted();
    } catch (e) {
      onError(M().noDelete(c.name, describeError(e)));
    } finally {
      setBusy(false);
      setConfirming(false);
    }
  }
  const m = M();
  // The buttons' names end with the campaign's, read from its link (user data, not translated).
  const nameId = `campaign-${c.id}-name`;
  if (confirming)
    return (
      <span class="confirm" role="group" aria-labelledby={`campaign-${c.id}-confirm ${nameId}`}>
        <span id={`campaign-${c.id}-confirm`}>{m.deleteDraft}</span>
        <button type="button" class="btn btn-danger btn-sm" disabled={busy} onClick={() => void remove()}>
          {busy ? m.deleting : m.delete}
        </button>
        <button type="button" class="btn btn-sm" disabled={busy} onClick={() => setConfirming(false)}>
          {m.keep}
        </button>
      </span>
    );
  return (
    <span class="actions row-actions">
      <button
        type="button"
        id={`campaign-${c.id}-duplicate`}
        class="btn btn-sm"
        disabled={busy}
        onClick={() => void duplicate()}
        aria-labelledby={`campaign-${c.id}-duplicate ${nameId}`}
      >
        {m.duplicate}
      </button>
      {c.status === 'draft' && (
        <button
          type="button"
          id={`campaign-${c.id}-delete`}
          class="btn btn-ghost btn-sm"
          disabled={busy}
          onClick={() => setConfirming(true)}
          aria-labelledby={`campaign-${c.id}-delete ${nameId}`}
        >
          {m.delete}
        </button>
      )}
    </span>
  );
}

export function CampaignsView() {
  const [campaigns, setCampaigns] = useState<Campaign[] | null>(null);
  const [stats, setStats] = useState<Map<number, CampaignStats>>(new Map());
  const [loading, setLoading] = useState(false);
  const [loaded, setLoaded] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [tz, setTz] = useState(() => knownZone(browserTimezone()));
  const seq = useRef(0);

  async function load() {
    const my = ++seq.current;
    setLoading(true);
    try {
      const [list, rows] = await Promise.all([listCampaigns(), listCampaignStats()]);
      if (my !== seq.current) return;
      setCampaigns(list.campaigns);
      setStats(new Map(rows.campaigns.map((r) => [r.campaign_id, r])));
      setError(null);
      setLoaded(true);
    } catch (e) {
      if (my !== seq.current) return;
      setError(describeError(e));
    } finally {
      if (my === seq.current) setLoading(false);
    }
  }

  useEffect(() => {
    void load();
    getAccount().then(
      (a) => setTz(knownZone(a.timezone)),
      () => undefined,
    );
    return () => {
      seq.current++;
    };
  }, []);

  // Live numbers while something is sending, or a scheduled start is near (it starts by itself).
  const live =
    campaigns?.some((c) => isLive(c.status) || (c.status === 'scheduled' && (!c.start_at || Date.parse(c.start_at) - Date.now() < SOON_MS))) ?? false;
  const running = campaigns?.find((c) => c.status === 'running');
  useEffect(() => {
    if (!live) return undefined;
    const t = window.setInterval(() => {
      if (document.visibilityState === 'visible') void load();
    }, LIVE_REFRESH_MS);
    return () => window.clearInterval(t);
  }, [live]);

  const m = M();
  return (
    <main class="page" id="main">
      <div class="page-head">
        <h1>{m.title}</h1>
        <div class="actions">
          <button type="button" class="btn btn-sm" onClick={() => void load()} disabled={loading}>
            {loading ? m.refreshing : m.refresh}
          </button>
          <a class="btn btn-primary btn-sm" href="/app/campaigns/new" onClick={onLinkClick}>
            {m.newCampaign}
          </a>
        </div>
      </div>
      <FormError message={error} />

      <section class="card card-flush" aria-busy={loading ? 'true' : 'false'} data-loaded={loaded && !loading ? 'campaigns' : undefined}>
        {campaigns === null ? (
          <p class="empty">{error ? m.loadFailed : m.loading}</p>
        ) : campaigns.length === 0 ? (
          <p class="empty">
            {m.none}{' '}
            <a href="/app/campaigns/new" onClick={onLinkClick}>
              {m.createFirst}
            </a>
          </p>
        ) : (
          <table class="table campaigns">
            <caption class="sr-only">{m.title}</caption>
            <thead>
              <tr>
                <th scope="col">{m.campaign}</th>
                <th scope="col">{m.status}</th>
                <th scope="col">{m.progress}</th>
                <th scope="col" class="num">
                  {m.sent}
                </th>
                <th scope="col" class="num">
                  {m.read}
                </th>
                <th scope="col" class="num">
                  {m.replied}
                </th>
                <th scope="col" class="num">
                  {m.clicks}
                </th>
                <th scope="col" class="num">
                  {m.orders}
                </th>
                <th scope="col" class="num">
                  {m.revenue}
                </th>
                <th scope="col">{m.started}</th>
                <th scope="col">
                  <span class="sr-only">{m.actions}</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {campaigns.map((c) => {
                const s = stats.get(c.id);
                return (
                  <tr key={c.id} data-testid="campaign-row" data-campaign-id={c.id}>
                    <td data-label={m.campaign}>
                      <a class="name" id={`campaign-${c.id}-name`} translate={false} data-testid="campaign-name" href={campaignHref(c)} onClick={onLinkClick}>
                        {c.name}
                      </a>
                    </td>
                    <td data-label={m.status}>
                      <StatusBadge c={c} />
                    </td>
                    <td data-label={m.progress}>
                      <Progress c={c} s={s} />
                    </td>
                    <td data-label={m.sent} class="num">
                      {s ? (
                        <span>
                          <span data-testid="campaign-sent">{count.format(s.sent)}</span>
                          {s.failed > 0 && <span class="sub bad-text">{m.failed(s.failed)}</span>}
                        </span>
                      ) : (
                        dash
                      )}
                    </td>
                    <td data-label={m.read} class="num">
                      {s ? count.format(s.read) : dash}
                    </td>
                    <td data-label={m.replied} class="num">
                      {s ? count.format(s.replied) : dash}
                    </td>
                    <td data-label={m.clicks} class="num">
                      {s ? (
                        <span title={m.clicksInAll(s.clicks)}>
                          {count.format(s.unique_clicks)}
                          <span class="muted"> · {percent.format(s.ctr || 0)}</span>
                        </span>
                      ) : (
                        dash
                      )}
                    </td>
                    <td data-label={m.orders} class="num">
                      {s ? count.format(s.orders) : dash}
                    </td>
                    <td data-label={m.revenue} class="num">
                      {s ? money(s.revenue, s.currency) : dash}
                    </td>
                    <td data-label={m.started} class="col-started">
                      {c.started_at ? (
                        <time dateTime={c.started_at} title={dateTime.format(new Date(c.started_at))}>
                          {day.format(new Date(c.started_at))}
                        </time>
                      ) : (
                        <NotStartedCell c={c} running={running} tz={tz} />
                      )}
                    </td>
                    <td data-label={m.actions}>
                      <RowActions c={c} onDeleted={() => void load()} onError={setError} />
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        )}
      </section>
      <div class="list-foot">
        <span class="muted" role="status">
          {campaigns ? m.campaigns(campaigns.length) : ''}
          {live ? m.live : ''}
        </span>
      </div>
    </main>
  );
}
