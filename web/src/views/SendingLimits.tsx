// The account's sending limits on the Telegram page and the settings page (issues 15, 17): messages per day and how many
// failures in a row with one error pause a campaign (GET and PATCH /account). API errors are
// shown at their field. The monitor's daily-limit notice links here (/app/connect#limits).
import { useEffect, useRef, useState } from 'preact/hooks';
import { ApiError, describeError } from '../api';
import { getAccount, patchAccount, type AccountSettings } from '../api-campaigns';
import { fieldMessage } from '../editor/form';
import { Field, FormError } from './Field';

type LimitField = 'daily_send_limit' | 'error_streak_limit';

/** The two settings, as the form shows them. */
const LIMITS: { field: LimitField; id: string; label: string; hint: (tz: string) => string; invalid: string }[] = [
  {
    field: 'daily_send_limit',
    id: 'limit-daily',
    label: 'Messages per day',
    hint: (tz) =>
      `First messages and follow-ups per calendar day in your time zone (${tz}); when they are used up, sending waits for midnight. 0 = no limit. Test sends do not count.`,
    invalid: 'Enter a whole number (0 for no limit).',
  },
  {
    field: 'error_streak_limit',
    id: 'limit-streak',
    label: 'Pause after this many failures in a row',
    hint: () =>
      'When this many people in a row fail with the same error (one that is not a refusal by that person), the campaign pauses: an error Telegram invents costs a few people, never the audience. 2 to 50.',
    invalid: 'Enter a whole number from 2 to 50.',
  },
];

type Values = Record<LimitField, string>;

export function SendingLimits() {
  const [account, setAccount] = useState<AccountSettings | null>(null);
  const [values, setValues] = useState<Values>({ daily_send_limit: '', error_streak_limit: '' });
  const [errors, setErrors] = useState<Partial<Values>>({});
  const [formError, setFormError] = useState<string | null>(null);
  const [saved, setSaved] = useState(false);
  const [busy, setBusy] = useState(false);
  const dailyRef = useRef<HTMLInputElement>(null);

  const show = (a: AccountSettings) => {
    setAccount(a);
    setValues({ daily_send_limit: String(a.daily_send_limit ?? 0), error_streak_limit: String(a.error_streak_limit ?? 5) });
  };
  useEffect(() => {
    getAccount().then(show, (e) => setFormError(describeError(e)));
  }, []);
  // Arriving from the monitor's "Change the limit": straight to the daily limit.
  const loaded = account !== null;
  useEffect(() => {
    if (loaded && location.hash === '#limits') {
      dailyRef.current?.scrollIntoView({ block: 'center' });
      dailyRef.current?.focus();
    }
  }, [loaded]);

  async function save(e: Event) {
    e.preventDefault();
    setErrors({});
    setFormError(null);
    setSaved(false);
    const local: Partial<Values> = {};
    for (const l of LIMITS) if (!/^\d+$/.test(values[l.field].trim())) local[l.field] = l.invalid;
    if (Object.keys(local).length) return setErrors(local);
    setBusy(true);
    try {
      show(await patchAccount({ daily_send_limit: Number(values.daily_send_limit.trim()), error_streak_limit: Number(values.error_streak_limit.trim()) }));
      setSaved(true);
    } catch (err) {
      const field = err instanceof ApiError ? LIMITS.find((l) => l.field === err.field)?.field : undefined;
      if (field && err instanceof ApiError) setErrors({ [field]: fieldMessage(field, err.message) });
      else setFormError(describeError(err));
    } finally {
      setBusy(false);
    }
  }

  return (
    <section class="card" id="limits" aria-labelledby="limits-h" data-testid="sending-limits">
      <h2 id="limits-h">Sending limits</h2>
      <p class="muted">Safety nets for every campaign of this account.</p>
      <FormError message={formError} />
      {account && (
        <form onSubmit={save} noValidate>
          <div class="limits-grid">
            {LIMITS.map((l) => (
              <Field key={l.field} id={l.id} label={l.label} error={errors[l.field]} hint={l.hint(account.timezone)}>
                {(a) => (
                  <input
                    {...a}
                    ref={l.field === 'daily_send_limit' ? dailyRef : undefined}
                    type="text"
                    inputMode="numeric"
                    name={l.field}
                    value={values[l.field]}
                    onInput={(ev) => {
                      const v = ev.currentTarget.value;
                      setValues((old) => ({ ...old, [l.field]: v }));
                      setSaved(false);
                    }}
                  />
                )}
              </Field>
            ))}
          </div>
          <div class="actions">
            <button type="submit" class="btn" disabled={busy}>
              {busy ? 'Saving…' : 'Save limits'}
            </button>
            <span class="muted" role="status" data-testid="limits-saved">
              {saved ? 'Saved.' : ''}
            </span>
          </div>
        </form>
      )}
    </section>
  );
}
