// The audience filter inputs — reactions to an earlier campaign (removable chips), categories,
// recency, orders, money spent, and the two boxes for people Telegram refused before — shared by
// the editor's Audience card and the Segments page. Ids start with `idPrefix` ("ed" in the editor,
// where editor/form.ts maps API error fields to them); errors are keyed by API field
// ("filters.min_orders"). Also the filters in words, for a segment's summary.
import type { Category } from '../api';
import type { Filters } from '../api-campaigns';
import { Field } from '../views/Field';
import { CAMPAIGN_FILTERS, type CampaignFilterKey, type FilterForm } from './form';

export const CATEGORY_INFO: { value: Category; label: string; hint: string }[] = [
  { value: 'buyer', label: 'Buyers', hint: 'have ordered or said they did' },
  { value: 'browser', label: 'Browsers', hint: 'asked about products, no order yet' },
  { value: 'refund_risk', label: 'Refund risk', hint: 'complained or asked for a refund' },
];

const CAMPAIGN_FILTER_TEXT: Record<CampaignFilterKey, string> = {
  clicked_campaign: 'Clicked a link in',
  not_replied_to_campaign: 'Did not reply to',
  read_campaign: 'Read',
  not_read_campaign: 'Did not read',
  replied_to_campaign: 'Replied to',
  bought_from_campaign: 'Bought after',
};

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
  return (
    <div class="cf-list" role="group" aria-label="Earlier campaigns">
      <span class="label">Reaction to an earlier campaign</span>
      <ul>
        {keys.map((k) => {
          const id = cf[k]!;
          const name = p.campaignNames[id] ?? `campaign #${id}`;
          const error = p.errors[`filters.${k}`] ?? null;
          return (
            <li key={k} class="cf-chip">
              <span>
                {CAMPAIGN_FILTER_TEXT[k]} <strong>“{name}”</strong>
              </span>
              <button
                type="button"
                id={`${p.idPrefix}-cf-${k}`}
                class="btn btn-sm btn-ghost"
                disabled={p.disabled}
                aria-label={`Remove filter: ${CAMPAIGN_FILTER_TEXT[k]} “${name}”`}
                onClick={() => {
                  const next = { ...cf };
                  delete next[k];
                  p.update({ campaignFilters: next });
                }}
              >
                ✕
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

const REFUSED: { key: 'includeCharging' | 'includePrivacy'; id: string; label: string; hint: string }[] = [
  {
    key: 'includeCharging',
    id: 'include-charging',
    label: 'Include people who charge Stars for messages',
    hint: 'They may have stopped charging; if not, they are skipped again — tgr never pays.',
  },
  {
    key: 'includePrivacy',
    id: 'include-privacy',
    label: 'Include people whose privacy settings refused the account',
    hint: 'They may have changed their settings; if not, the message to them fails again.',
  },
];

/** The filter inputs (without the live count, which each page shows its own way). */
export function FilterFields(p: FilterFieldsProps) {
  const { form: f, errors: e, disabled, idPrefix: id } = p;
  const toggle = (c: Category, on: boolean) => {
    const set = new Set(f.categories);
    if (on) set.add(c);
    else set.delete(c);
    p.update({ categories: CATEGORY_INFO.map((x) => x.value).filter((x) => set.has(x)) });
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
  return (
    <>
      <CampaignFilters {...p} />
      <fieldset class={catError ? 'cats has-error' : 'cats'} aria-describedby={`${id}-cats-hint` + (catError ? ` ${id}-cats-error` : '')}>
        <legend>Categories</legend>
        {CATEGORY_INFO.map((c) => (
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
          None ticked means every category.
        </p>
        {catError && (
          <p class="field-error" id={`${id}-cats-error`} role="alert">
            {catError}
          </p>
        )}
      </fieldset>
      <div class="grid-2">
        <Field id={`${id}-last-days`} label="Wrote to you within (days)" error={e['filters.last_message_within_days'] ?? null} hint="Empty: any time.">
          {(x) => number('lastDays', x, 'e.g. 30')}
        </Field>
        <Field id={`${id}-min-spent`} label="Spent at least" error={e['filters.min_spent'] ?? null} hint="In your shop’s currency, e.g. 25 or 19.99.">
          {(x) => number('minSpent', x, '0.00')}
        </Field>
        <Field id={`${id}-min-orders`} label="Orders, at least" error={e['filters.min_orders'] ?? null}>
          {(x) => number('minOrders', x, 'any')}
        </Field>
        <Field id={`${id}-max-orders`} label="Orders, at most" error={e['filters.max_orders'] ?? null}>
          {(x) => number('maxOrders', x, 'any')}
        </Field>
      </div>
      <fieldset class="refused">
        <legend>People Telegram refused before</legend>
        {REFUSED.map((r) => (
          <label key={r.key} class="check" for={`${id}-${r.id}`}>
            <input id={`${id}-${r.id}`} type="checkbox" checked={f[r.key]} disabled={disabled} onChange={(ev) => p.update({ [r.key]: ev.currentTarget.checked })} />
            <span>
              {r.label}
              <span class="check-hint">{r.hint}</span>
            </span>
          </label>
        ))}
      </fieldset>
    </>
  );
}

const plainMoney = new Intl.NumberFormat(undefined, { minimumFractionDigits: 2, maximumFractionDigits: 2 });

/** Stored filters in words, one phrase each ("Buyers or Browsers", "wrote within 30 days"…); empty: everyone. */
export function filterPhrases(f: Filters | null | undefined, campaignNames: Record<number, string>): string[] {
  if (!f) return [];
  const out: string[] = [];
  if (f.categories?.length) out.push(f.categories.map((c) => CATEGORY_INFO.find((x) => x.value === c)?.label ?? c).join(' or '));
  if (typeof f.last_message_within_days === 'number') out.push(`wrote within ${f.last_message_within_days} day${f.last_message_within_days === 1 ? '' : 's'}`);
  if (typeof f.min_orders === 'number') out.push(`at least ${f.min_orders} order${f.min_orders === 1 ? '' : 's'}`);
  if (typeof f.max_orders === 'number') out.push(`at most ${f.max_orders} order${f.max_orders === 1 ? '' : 's'}`);
  if (typeof f.min_spent === 'number') out.push(`spent at least ${plainMoney.format(f.min_spent / 100)}`);
  for (const k of CAMPAIGN_FILTERS) {
    const v = f[k];
    if (typeof v === 'number') out.push(`${CAMPAIGN_FILTER_TEXT[k].toLowerCase()} “${campaignNames[v] ?? `campaign #${v}`}”`);
  }
  if (f.include_charging) out.push('including people who charge Stars');
  if (f.include_privacy_restricted) out.push('including privacy refusals');
  return out;
}
