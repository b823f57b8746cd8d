// The audience filter inputs — reactions to an earlier campaign (removable chips), categories,
// recency, orders, money spent, and the two boxes for people Telegram refused before — shared by
// the editor's Audience card and the Segments page. Ids start with `idPrefix` ("ed" in the editor,
// where editor/form.ts maps API error fields to them); errors are keyed by API field
// ("filters.min_orders"). Also the filters in words, for a segment's summary.
import type { Category } from '../api';
import type { Filters } from '../api-campaigns';
import { Field } from '../views/Field';
import { messages, numberFormat, plural } from '../i18n';
import { CAMPAIGN_FILTERS, type CampaignFilterKey, type FilterForm } from './form';

const CATEGORIES: Category[] = ['buyer', 'browser', 'refund_risk'];

const M = messages(
  {
    buyer: 'Buyers',
    buyerHint: 'have ordered or said they did',
    browser: 'Browsers',
    browserHint: 'asked about products, no order yet',
    refund_risk: 'Refund risk',
    refund_riskHint: 'complained or asked for a refund',
    clicked_campaign: 'Clicked a link in',
    not_replied_to_campaign: 'Did not reply to',
    read_campaign: 'Read',
    not_read_campaign: 'Did not read',
    replied_to_campaign: 'Replied to',
    bought_from_campaign: 'Bought after',
    lq: '“',
    rq: '”',
    campaignN: (id: number) => `campaign #${id}`,
    earlier: 'Earlier campaigns',
    reaction: 'Reaction to an earlier campaign',
    removeFilter: 'Remove filter:',
    includeCharging: 'Include people who charge Stars for messages',
    includeChargingHint: 'They may have stopped charging; if not, they are skipped again — tgr never pays.',
    includePrivacy: 'Include people whose privacy settings refused the account',
    includePrivacyHint: 'They may have changed their settings; if not, the message to them fails again.',
    categories: 'Categories',
    noneTicked: 'None ticked means every category.',
    lastDays: 'Wrote to you within (days)',
    lastDaysHint: 'Empty: any time.',
    lastDaysExample: 'e.g. 30',
    minSpent: 'Spent at least',
    minSpentHint: 'In your shop’s currency, e.g. 25 or 19.99.',
    minOrders: 'Orders, at least',
    maxOrders: 'Orders, at most',
    any: 'any',
    refused: 'People Telegram refused before',
    or: ' or ',
    wroteWithin: (n: number) => plural(n, { one: 'wrote within # day', other: 'wrote within # days' }),
    atLeastOrders: (n: number) => plural(n, { one: 'at least # order', other: 'at least # orders' }),
    atMostOrders: (n: number) => plural(n, { one: 'at most # order', other: 'at most # orders' }),
    spentAtLeast: (amount: string) => `spent at least ${amount}`,
    withCharging: 'including people who charge Stars',
    withPrivacy: 'including privacy refusals',
  },
  {
    buyer: 'Покупатели',
    buyerHint: 'заказывали или говорили, что заказывали',
    browser: 'Интересовались',
    browserHint: 'спрашивали о товарах, но ещё не заказывали',
    refund_risk: 'Риск возврата',
    refund_riskHint: 'жаловались или просили вернуть деньги',
    clicked_campaign: 'Перешли по ссылке из',
    not_replied_to_campaign: 'Не ответили на',
    read_campaign: 'Прочитали',
    not_read_campaign: 'Не прочитали',
    replied_to_campaign: 'Ответили на',
    bought_from_campaign: 'Купили после',
    lq: '«',
    rq: '»',
    campaignN: (id) => `кампания №${id}`,
    earlier: 'Прошлые кампании',
    reaction: 'Реакция на прошлую кампанию',
    removeFilter: 'Убрать фильтр:',
    includeCharging: 'Включить тех, кто берёт плату звёздами за сообщения',
    includeChargingHint: 'Возможно, они перестали брать плату; если нет, их снова пропустят — tgr никогда не платит.',
    includePrivacy: 'Включить тех, чьи настройки приватности не пропустили аккаунт',
    includePrivacyHint: 'Возможно, они изменили настройки; если нет, сообщение им снова не дойдёт.',
    categories: 'Категории',
    noneTicked: 'Если ничего не отмечено — все категории.',
    lastDays: 'Писал вам за последние (дней)',
    lastDaysHint: 'Пусто — когда угодно.',
    lastDaysExample: 'например, 30',
    minSpent: 'Потратил не меньше',
    minSpentHint: 'В валюте магазина, например 25 или 19,99.',
    minOrders: 'Заказов, не меньше',
    maxOrders: 'Заказов, не больше',
    any: 'любое',
    refused: 'Кому Telegram раньше не доставил',
    or: ' или ',
    wroteWithin: (n) => plural(n, { one: 'писали в течение # дня', few: 'писали в течение # дней', many: 'писали в течение # дней', other: 'писали в течение # дня' }),
    atLeastOrders: (n) => plural(n, { one: 'не меньше # заказа', few: 'не меньше # заказов', many: 'не меньше # заказов', other: 'не меньше # заказа' }),
    atMostOrders: (n) => plural(n, { one: 'не больше # заказа', few: 'не больше # заказов', many: 'не больше # заказов', other: 'не больше # заказа' }),
    spentAtLeast: (amount) => `потратили не меньше ${amount}`,
    withCharging: 'включая тех, кто берёт плату звёздами',
    withPrivacy: 'включая отказы из-за настроек приватности',
  },
);

/** The categories with their words, in the current language. */
export function categoryInfo(): { value: Category; label: string; hint: string }[] {
  const m = M();
  return CATEGORIES.map((value) => ({ value, label: m[value], hint: m[`${value}Hint`] }));
}

/** A campaign filter's words ("Clicked a link in"), in the current language. */
const campaignFilterText = (k: CampaignFilterKey): string => M()[k];

export interface FilterFieldsProps {
  form: FilterForm;
  update: (patch: Partial<FilterForm>) => void;
  /** API field → message. */
  errors: Record<string, string>;
  disabled: boolean;
  idPrefix: string;
  /** Names of the account's campaigns, for the filters that name an earlier one. */
  campaignNames: Record<number, string>;
}

function CampaignFilters(p: FilterFieldsProps) {
  const cf = p.form.campaignFilters ?? {};
  const keys = CAMPAIGN_FILTERS.filter((k) => typeof cf[k] === 'number');
  if (!keys.length) return null;
  const m = M();
  return (
    <div class="cf-list" role="group" aria-label={m.earlier}>
      <span class="label">{m.reaction}</span>
      <ul>
        {keys.map((k) => {
          const id = cf[k]!;
          const known = p.campaignNames[id] !== undefined;
          const name = known ? p.campaignNames[id]! : m.campaignN(id);
          const error = p.errors[`filters.${k}`] ?? null;
          return (
            <li key={k} class="cf-chip">
              <span id={`${p.idPrefix}-cf-${k}-what`}>
                {campaignFilterText(k)}{' '}
                <strong>
                  {m.lq}
                  <span translate={known ? false : undefined}>{name}</span>
                  {m.rq}
                </strong>
              </span>
              <button
                type="button"
                id={`${p.idPrefix}-cf-${k}`}
                class="btn btn-sm btn-ghost"
                disabled={p.disabled}
                aria-labelledby={`${p.idPrefix}-cf-${k}-remove ${p.idPrefix}-cf-${k}-what`}
                onClick={() => {
                  const next = { ...cf };
                  delete next[k];
                  p.update({ campaignFilters: next });
                }}
              >
                <span id={`${p.idPrefix}-cf-${k}-remove`} hidden>
                  {m.removeFilter}
                </span>
                <span aria-hidden="true">✕</span>
              </button>
              {error && (
                <p class="field-error" role="alert">
                  {error}
                </p>
              )}
            </li>
          );
        })}
      </ul>
    </div>
  );
}

type NumberKey = 'lastDays' | 'minOrders' | 'maxOrders' | 'minSpent';

const REFUSED: { key: 'includeCharging' | 'includePrivacy'; id: string }[] = [
  { key: 'includeCharging', id: 'include-charging' },
  { key: 'includePrivacy', id: 'include-privacy' },
];

/** The filter inputs (without the live count, which each page shows its own way). */
export function FilterFields(p: FilterFieldsProps) {
  const { form: f, errors: e, disabled, idPrefix: id } = p;
  const toggle = (c: Category, on: boolean) => {
    const set = new Set(f.categories);
    if (on) set.add(c);
    else set.delete(c);
    p.update({ categories: CATEGORIES.filter((x) => set.has(x)) });
  };
  const number = (key: NumberKey, a: Record<string, unknown>, placeholder: string) => (
    <input
      {...a}
      type="text"
      inputMode={key === 'minSpent' ? 'decimal' : 'numeric'}
      value={f[key]}
      placeholder={placeholder}
      disabled={disabled}
      onInput={(ev) => p.update({ [key]: ev.currentTarget.value })}
    />
  );
  const catError = e['filters.categories'] ?? null;
  const m = M();
  return (
    <>
      <CampaignFilters {...p} />
      <fieldset class={catError ? 'cats has-error' : 'cats'} aria-describedby={`${id}-cats-hint` + (catError ? ` ${id}-cats-error` : '')}>
        <legend>{m.categories}</legend>
        {categoryInfo().map((c) => (
          <label key={c.value} class="check" for={`${id}-cat-${c.value}`}>
            <input
              id={`${id}-cat-${c.value}`}
              type="checkbox"
              checked={f.categories.includes(c.value)}
              disabled={disabled}
              onChange={(ev) => toggle(c.value, ev.currentTarget.checked)}
            />
            <span class={'cat cat-' + c.value}>{c.label}</span>
            <span class="check-hint">{c.hint}</span>
          </label>
        ))}
        <p class="hint" id={`${id}-cats-hint`}>
          {m.noneTicked}
        </p>
        {catError && (
          <p class="field-error" id={`${id}-cats-error`} role="alert">
            {catError}
          </p>
        )}
      </fieldset>
      <div class="grid-2">
        <Field id={`${id}-last-days`} label={m.lastDays} error={e['filters.last_message_within_days'] ?? null} hint={m.lastDaysHint}>
          {(x) => number('lastDays', x, m.lastDaysExample)}
        </Field>
        <Field id={`${id}-min-spent`} label={m.minSpent} error={e['filters.min_spent'] ?? null} hint={m.minSpentHint}>
          {(x) => number('minSpent', x, plainMoney.format(0))}
        </Field>
        <Field id={`${id}-min-orders`} label={m.minOrders} error={e['filters.min_orders'] ?? null}>
          {(x) => number('minOrders', x, m.any)}
        </Field>
        <Field id={`${id}-max-orders`} label={m.maxOrders} error={e['filters.max_orders'] ?? null}>
          {(x) => number('maxOrders', x, m.any)}
        </Field>
      </div>
      <fieldset class="refused">
        <legend>{m.refused}</legend>
        {REFUSED.map((r) => (
          <label key={r.key} class="check" for={`${id}-${r.id}`}>
            <input id={`${id}-${r.id}`} type="checkbox" checked={f[r.key]} disabled={disabled} onChange={(ev) => p.update({ [r.key]: ev.currentTarget.checked })} />
            <span>
              {m[r.key]}
              <span class="check-hint">{m[`${r.key}Hint`]}</span>
            </span>
          </label>
        ))}
      </fieldset>
    </>
  );
}

const plainMoney = numberFormat({ minimumFractionDigits: 2, maximumFractionDigits: 2 });

/** Stored filters in words, one phrase each ("Buyers or Browsers", "wrote within 30 days"…); empty: everyone. */
export function filterPhrases(f: Filters | null | undefined, campaignNames: Record<number, string>): string[] {
  if (!f) return [];
  const m = M();
  const out: string[] = [];
  if (f.categories?.length) out.push(f.categories.map((c) => categoryInfo().find((x) => x.value === c)?.label ?? c).join(m.or));
  if (typeof f.last_message_within_days === 'number') out.push(m.wroteWithin(f.last_message_within_days));
  if (typeof f.min_orders === 'number') out.push(m.atLeastOrders(f.min_orders));
  if (typeof f.max_orders === 'number') out.push(m.atMostOrders(f.max_orders));
  if (typeof f.min_spent === 'number') out.push(m.spentAtLeast(plainMoney.format(f.min_spent / 100)));
  for (const k of CAMPAIGN_FILTERS) {
    const v = f[k];
    if (typeof v === 'number') out.push(`${campaignFilterText(k).toLowerCase()} ${m.lq}${campaignNames[v] ?? m.campaignN(v)}${m.rq}`);
  }
  if (f.include_charging) out.push(m.withCharging);
  if (f.include_privacy_restricted) out.push(m.withPrivacy);
  return out;
}
