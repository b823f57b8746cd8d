// Scorecard — what a campaign achieved and what to send next (issue 7): its metrics, the lines
// that worked best, where the revenue came from (by link, by message step, by discount code), and
// suggestions of who to message next, each with its audience and "Create follow-up campaign",
// which makes a draft with the suggestion's filters and a message that fits it (editor/followup.ts)
// and opens the editor. The server says each suggestion in English (title, reason); in Russian it
// is said here from its `kind` (and `read_hour`).
import type { ComponentChildren } from 'preact';
import { useState } from 'preact/hooks';
import '../results.css';
import { describeError, type Campaign } from '../api';
import { createCampaign, getAccount, getCampaign } from '../api-campaigns';
import { followUpInput, suggestionKind } from '../editor/followup';
import { getScorecard, type AttributionRow, type CampaignAnalytics, type Scorecard, type Suggestion, type SuggestionKind } from '../api-results';
import { lang, messages, plural } from '../i18n';
import { navigate, onLinkClick } from '../router';
import { BestLinesList, RankNote } from '../results/BestLines';
import { count, dateTime, money, percent, stepLabel } from '../results/format';
import { CampaignHead, FrequencyCapNote, RepliedStat, Stat, fill } from '../results/ui';
import { useLoad } from '../results/useLoad';

const M = messages(
  {
    results: 'Results',
    sent: 'Sent',
    toPeople: (n: number) => `to ${count.format(n)} people, follow-ups included`,
    ofPeople: (n: number) => `of ${count.format(n)} people`,
    read: 'Read',
    ofSent: (pct: string) => `${pct} of sent`,
    clicked: 'Clicked',
    ctr: (pct: string, clicks: string) => `CTR ${pct} · ${clicks} in all`,
    orders: 'Orders',
    revenue: 'Revenue',
    perMessage: (m: string) => `${m} per message`,
    failed: 'Failed',
    notDelivered: 'not delivered: the monitor says why',
    noFailures: 'no failures',
    ordersN: (n: number) => plural(n, { one: '# order', other: '# orders' }),
    toMessageNow: (n: number) => plural(n, { one: 'person to message now', other: 'people to message now' }),
    afterCap: (n: string) => `${n} once the frequency cap has passed`,
    nobody: 'Nobody matches this yet',
    creating: 'Creating…',
    create: 'Create follow-up campaign',
    scorecard: 'Scorecard',
    whoDidWhat: 'Who did what',
    refreshing: 'Refreshing…',
    refresh: 'Refresh',
    started: (t: string) => `Started ${t}`,
    finished: (t: string) => ` · finished ${t}`,
    stillGoing: ' · still going: the numbers grow as people react',
    loading: 'Loading the scorecard…',
    whoNext: 'Who to message next',
    whereRevenue: 'Where the revenue came from',
    byLink: 'By link',
    link: 'Link',
    clicks: (n: number) => plural(n, { one: '# click', other: '# clicks' }),
    noLinkOrder: 'No order came through a tracked link yet.',
    trackingOff: 'Link tracking was off for this campaign.',
    byMessage: 'By message',
    noOrders: 'No orders credited yet.',
    byCode: 'By discount code',
    code: 'Code',
    noCodeOrder: 'No order used a code of this campaign yet.',
    noCodes: 'This campaign had no discount codes.',
    worked: 'What worked best',
    nothingSent: 'Nothing sent yet.',
  },
  {
    results: 'Результаты',
    sent: 'Отправлено',
    toPeople: (n) =>
      plural(n, { one: '# получателю, с учётом напоминаний', few: '# получателям, с учётом напоминаний', many: '# получателям, с учётом напоминаний', other: '# получателя, с учётом напоминаний' }),
    ofPeople: (n) => plural(n, { one: 'из # человека', few: 'из # человек', many: 'из # человек', other: 'из # человека' }),
    read: 'Прочитано',
    ofSent: (pct) => `${pct} от отправленных`,
    clicked: 'Перешли',
    ctr: (pct, clicks) => `доля переходов ${pct} · всего ${clicks}`,
    orders: 'Заказы',
    revenue: 'Выручка',
    perMessage: (m) => `${m} на сообщение`,
    failed: 'Ошибки',
    notDelivered: 'не дошли: причины — на странице кампании',
    noFailures: 'ошибок нет',
    ordersN: (n) => plural(n, { one: '# заказ', few: '# заказа', many: '# заказов', other: '# заказа' }),
    toMessageNow: (n) => plural(n, { one: 'человек доступен сейчас', few: 'человека доступны сейчас', many: 'человек доступны сейчас', other: 'человека доступны сейчас' }),
    afterCap: (n) => `${n} — когда пройдёт ограничение частоты`,
    nobody: 'Пока никто не подходит',
    creating: 'Создаём…',
    create: 'Создать повторную кампанию',
    scorecard: 'Итоги',
    whoDidWhat: 'Кто что сделал',
    refreshing: 'Обновляем…',
    refresh: 'Обновить',
    started: (t) => `Начата ${t}`,
    finished: (t) => ` · завершена ${t}`,
    stillGoing: ' · ещё идёт: цифры растут, пока люди реагируют',
    loading: 'Загружаем итоги…',
    whoNext: 'Кому написать дальше',
    whereRevenue: 'Откуда пришла выручка',
    byLink: 'По ссылкам',
    link: 'Ссылка',
    clicks: (n) => plural(n, { one: '# переход', few: '# перехода', many: '# переходов', other: '# перехода' }),
    noLinkOrder: 'Пока ни один заказ не пришёл по отслеживаемой ссылке.',
    trackingOff: 'В этой кампании отслеживание ссылок было выключено.',
    byMessage: 'По сообщениям',
    noOrders: 'Засчитанных заказов пока нет.',
    byCode: 'По промокодам',
    code: 'Промокод',
    noCodeOrder: 'Пока ни в одном заказе не было промокода этой кампании.',
    noCodes: 'В этой кампании не было промокодов.',
    worked: 'Что сработало лучше всего',
    nothingSent: 'Пока ничего не отправлено.',
  },
);

/** The suggestions in Russian, by rule (h_scorecard.c has the English). */
const RU_SUGGESTION: Record<SuggestionKind, { title: string; reason: string }> = {
  clicked_not_bought: {
    title: 'Перешли, но не купили',
    reason: 'Они открывали ссылку из этой кампании, но ещё ничего не заказали: напоминание с промокодом часто помогает им решиться.',
  },
  read_not_replied: {
    title: 'Прочитали, но не ответили',
    reason: 'Они видели сообщение и промолчали: задайте простой вопрос, на который можно ответить одним словом.',
  },
  not_read: { title: 'Не прочитали', reason: 'Они его ещё не открыли; попробуйте другое время дня или более короткую первую строку.' },
  refund_risk: {
    title: 'Ответили словами о возврате',
    reason: 'Их ответы похожи на жалобы или просьбы вернуть деньги: передайте их в поддержку и не включайте в рекламные рассылки.',
  },
  bought: { title: 'Купили', reason: 'Этой кампании засчитан заказ: поблагодарите покупателей или предложите то, что подходит к покупке.' },
};
const RU_READ_HOUR = 'Они его не открыли. Читатели этой кампании чаще всего читали около {hour}{tz}: отправьте в это время.';

/** A suggestion's title and reason in the current language: the server's English, or the Russian
 *  of its rule (with the hour its readers read most, in the account's time zone). */
function suggestionWords(s: Suggestion, timezone: string | null): { title: string; reason: ComponentChildren } {
  const ru = lang() === 'ru' && s.kind && Object.prototype.hasOwnProperty.call(RU_SUGGESTION, s.kind) ? RU_SUGGESTION[s.kind] : null;
  if (!ru) return { title: s.title, reason: s.reason };
  if (s.kind !== 'not_read' || s.read_hour == null) return ru;
  const hour = String(s.read_hour).padStart(2, '0') + ':00';
  return { title: ru.title, reason: fill(RU_READ_HOUR, { hour, tz: timezone ? <> (<span translate={false}>{timezone}</span>)</> : '' }) };
}

function Metrics({ m }: { m: CampaignAnalytics }) {
  const rate = (n: number) => (m.sent > 0 ? percent.format(n / m.sent) : '—');
  const t = M();
  return (
    <section class="stats" aria-label={t.results}>
      <Stat
        label={t.sent}
        value={count.format(m.sent)}
        testid="score-sent"
        sub={m.sent > m.audience ? t.toPeople(m.audience) : t.ofPeople(m.audience)}
      />
      <Stat label={t.read} value={count.format(m.read)} sub={t.ofSent(rate(m.read))} />
      <RepliedStat m={m} testid="score-replied" />
      <Stat
        label={t.clicked}
        value={count.format(m.unique_clicks)}
        testid="score-clicks"
        tone={m.unique_clicks ? 'accent' : undefined}
        sub={t.ctr(percent.format(m.ctr || 0), count.format(m.clicks))}
      />
      <Stat label={t.orders} value={count.format(m.orders)} testid="score-orders" tone={m.orders ? 'ok' : undefined} sub={m.sent ? t.ofSent(rate(m.orders)) : undefined} />
      <Stat
        label={t.revenue}
        value={money(m.revenue, m.currency)}
        testid="score-revenue"
        tone={m.revenue ? 'ok' : undefined}
        sub={m.sent ? t.perMessage(money(Math.round(m.revenue / m.sent), m.currency)) : undefined}
      />
      <Stat label={t.failed} value={count.format(m.failed)} tone={m.failed ? 'bad' : undefined} sub={m.failed ? t.notDelivered : t.noFailures} />
    </section>
  );
}

function hostPath(url: string): string {
  try {
    const u = new URL(url);
    return u.host + (u.pathname === '/' ? '' : u.pathname);
  } catch {
    return url;
  }
}

function AttributionList(props: {
  title: string;
  rows: AttributionRow[];
  currency: string;
  keyOf: (r: AttributionRow) => string;
  /** The keys are the shop's own (links, discount codes), not words of the app's. */
  userKeys?: boolean;
  empty: string;
  extra?: (r: AttributionRow) => string | null;
}) {
  const rows = props.rows.slice().sort((a, b) => b.revenue - a.revenue);
  return (
    <div class="card attr">
      <h3>{props.title}</h3>
      {rows.length === 0 ? (
        <p class="attr-empty">{props.empty}</p>
      ) : (
        <ul class="attr-list">
          {rows.map((r, i) => (
            <li key={i}>
              <span class="attr-key">
                <span translate={!props.userKeys}>{props.keyOf(r)}</span>
                {props.extra?.(r) && <span class="sub">{props.extra(r)}</span>}
              </span>
              <span class="attr-val">
                <strong>{money(r.revenue, props.currency)}</strong>
                <span class="sub">{M().ordersN(r.orders)}</span>
              </span>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

/** Who a suggestion can reach, now or once the frequency cap has passed. */
function reach(s: Suggestion): number {
  return Math.max(s.audience_count, s.audience_count_after_cap ?? 0);
}

function SuggestionCard(props: { s: Suggestion; campaign: Campaign; timezone: string | null }) {
  const { s, campaign } = props;
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const later = s.audience_count_after_cap ?? s.audience_count;
  const nobody = s.audience_count === 0 && later === 0;

  async function create() {
    setBusy(true);
    setError(null);
    try {
      // A message that fits the suggestion, the original's quiet hours, tracking and code.
      const { input, droppedPool } = followUpInput(campaign, s);
      const draft = await createCampaign(input);
      const q = new URLSearchParams({ follow_up: String(campaign.id), kind: suggestionKind(s) ?? '' });
      if (droppedPool) q.set('pool', '1');
      navigate(`/app/campaigns/${draft.id}/edit?${q}`);
    } catch (e) {
      setError(describeError(e));
      setBusy(false);
    }
  }

  const titleId = `sugg-${s.title.replace(/[^a-z0-9]+/gi, '-').toLowerCase()}`;
  const m = M();
  const words = suggestionWords(s, props.timezone);
  return (
    <article class={'suggestion' + (nobody ? ' empty-audience' : '')} aria-labelledby={titleId} data-testid="suggestion" data-kind={s.kind}>
      <h3 id={titleId}>{words.title}</h3>
      <p>{words.reason}</p>
      <div class="suggestion-audience">
        <strong data-testid="suggestion-audience">{count.format(s.audience_count)}</strong>
        <span>{m.toMessageNow(s.audience_count)}</span>
      </div>
      {later > s.audience_count && (
        <span class="sub" data-testid="suggestion-audience-later">
          {m.afterCap(count.format(later))}
        </span>
      )}
      {error && (
        <p class="field-error" role="alert">
          {error}
        </p>
      )}
      <button
        type="button"
        class={'btn btn-sm' + (nobody ? '' : ' btn-primary')}
        onClick={() => void create()}
        disabled={busy || nobody}
        data-testid="create-follow-up"
        aria-describedby={titleId}
        title={nobody ? m.nobody : undefined}
      >
        {busy ? m.creating : m.create}
      </button>
    </article>
  );
}

export function ScorecardView(props: { id: number }) {
  const { id } = props;
  const loaded = useLoad(() => Promise.all([getCampaign(id), getScorecard(id)]), [id]);
  const [campaign, card]: [Campaign | null, Scorecard | null] = loaded.data ? loaded.data : [null, null];
  const cur = card?.metrics.currency ?? 'EUR';
  // The frequency cap's length, to define it where a suggestion mentions it.
  const account = useLoad(getAccount, []);
  const capDays = account.data?.frequency_cap_days ?? null;
  const m = M();

  return (
    <main class="page results scorecard" id="main" data-loaded={card && !loaded.loading ? 'scorecard' : undefined}>
      <CampaignHead id={id} eyebrow={m.scorecard} campaign={campaign}>
        <a class="btn btn-sm" href={`/app/campaigns/${id}/people`} onClick={onLinkClick} data-testid="people-link">
          {m.whoDidWhat}
        </a>
        <button type="button" class="btn btn-sm" onClick={() => void loaded.reload()} disabled={loaded.loading}>
          {loaded.loading ? m.refreshing : m.refresh}
        </button>
      </CampaignHead>
      {campaign?.started_at && (
        <p class="res-sub">
          {m.started(dateTime.format(new Date(campaign.started_at)))}
          {campaign.finished_at ? m.finished(dateTime.format(new Date(campaign.finished_at))) : m.stillGoing}
        </p>
      )}
      {loaded.error && (
        <div class="alert alert-error" role="alert">
          {loaded.error}
        </div>
      )}
      {!card || !campaign ? (
        !loaded.error && <p class="empty">{m.loading}</p>
      ) : (
        <>
          <Metrics m={card.metrics} />

          <h2 class="section-title">{m.whoNext}</h2>
          {card.suggestions.some((s) => (s.audience_count_after_cap ?? s.audience_count) > s.audience_count) && <FrequencyCapNote days={capDays} />}
          <div class="suggestions">
            {/* Those with people to message first; the server's order otherwise. */}
            {card.suggestions
              .map((s, i) => ({ s, i }))
              .sort((a, b) => Number(reach(b.s) > 0) - Number(reach(a.s) > 0) || a.i - b.i)
              .map(({ s }) => (
                <SuggestionCard key={s.title} s={s} campaign={campaign} timezone={account.data?.timezone ?? null} />
              ))}
          </div>

          <h2 class="section-title">{m.whereRevenue}</h2>
          <div class="sc-grid">
            <AttributionList
              title={m.byLink}
              rows={card.revenue_attribution.by_link}
              currency={cur}
              keyOf={(r) => (r.url ? hostPath(r.url) : m.link)}
              userKeys
              extra={(r) => (r.clicks != null ? m.clicks(r.clicks) : null)}
              empty={campaign.track_links ? m.noLinkOrder : m.trackingOff}
            />
            <AttributionList title={m.byMessage} rows={card.revenue_attribution.by_step} currency={cur} keyOf={(r) => stepLabel(r.step ?? 0)} empty={m.noOrders} />
            <AttributionList
              title={m.byCode}
              rows={card.revenue_attribution.by_code}
              currency={cur}
              keyOf={(r) => r.code ?? m.code}
              userKeys
              empty={campaign.discount_codes ? m.noCodeOrder : m.noCodes}
            />
          </div>

          <section class="card" aria-labelledby="lines-title">
            <h2 id="lines-title">{m.worked}</h2>
            <RankNote currency={cur} />
            {card.best_lines.length ? (
              <BestLinesList lines={card.best_lines.map((line) => ({ line, campaignId: id, campaignName: campaign.name }))} currency={cur} showCampaign={false} />
            ) : (
              <p class="attr-empty">{m.nothingSent}</p>
            )}
          </section>
        </>
      )}
    </main>
  );
}
