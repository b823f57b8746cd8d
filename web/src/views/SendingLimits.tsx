// The account's sending limits on the Telegram page and the settings page (issues 15, 17): messages per day and how many
// failures in a row with one error pause a campaign (GET and PATCH /account). API errors are
// shown at their field. The monitor's daily-limit notice links here (/app/connect#limits).
import { useEffect, useRef, useState } from 'preact/hooks';
import { ApiError, describeError } from '../api';
import { getAccount, patchAccount, type AccountSettings } from '../api-campaigns';
import { fieldMessage } from '../editor/form';
import type { ComponentChildren } from 'preact';
import { messages } from '../i18n';
import { Field, FormError } from './Field';

const M = messages(
  {
    dailyLabel: 'Messages per day',
    dailyHintBefore: 'First messages and follow-ups per calendar day in your time zone (',
    dailyHintAfter: '); when they are used up, sending waits for midnight. 0 = no limit. Test sends do not count.',
    dailyInvalid: 'Enter a whole number (0 for no limit).',
    streakLabel: 'Pause after this many failures in a row',
    streakHint:
      'When this many people in a row fail with the same error (one that is not a refusal by that person), the campaign pauses: an error Telegram invents costs a few people, never the audience. 2 to 50.',
    streakInvalid: 'Enter a whole number from 2 to 50.',
    title: 'Sending limits',
    intro: 'Safety nets for every campaign of this account.',
    saving: 'Saving…',
    save: 'Save limits',
    saved: 'Saved.',
    /** The server's refusal at its field: its sentence in English, the field's rule in Russian. */
    atField: (_rule: string, field: string, message: string) => fieldMessage(field, message),
  },
  {
    dailyLabel: 'Сообщений в день',
    dailyHintBefore: 'Первые сообщения и напоминания за календарный день в вашем часовом поясе (',
    dailyHintAfter: '); когда лимит исчерпан, отправка ждёт полуночи. 0 — без лимита. Тестовые отправки не считаются.',
    dailyInvalid: 'Введите целое число (0 — без лимита).',
    streakLabel: 'Пауза после стольких ошибок подряд',
    streakHint:
      'Если у стольких людей подряд отправка не удалась с одной и той же ошибкой (и это не отказ самого человека), кампания встаёт на паузу: незнакомая ошибка Telegram обойдётся в несколько человек, а не во всю аудиторию. От 2 до 50.',
    streakInvalid: 'Введите целое число от 2 до 50.',
    title: 'Ограничения отправки',
    intro: 'Страховка для всех кампаний этого аккаунта.',
    saving: 'Сохраняем…',
    save: 'Сохранить ограничения',
    saved: 'Сохранено.',
    atField: (rule) => rule,
  },
);

type LimitField = 'daily_send_limit' | 'error_streak_limit';

/** The two settings, as the form shows them, in the current language. */
function limits(): { field: LimitField; id: string; label: string; hint: (tz: string) => ComponentChildren; invalid: string }[] {
  const m = M();
  return [
    {
      field: 'daily_send_limit',
      id: 'limit-daily',
      label: m.dailyLabel,
      hint: (tz) => (
        <>
          {m.dailyHintBefore}
          <span translate={false}>{tz}</span>
          {m.dailyHintAfter}
        </>
      ),
      invalid: m.dailyInvalid,
    },
    { field: 'error_streak_limit', id: 'limit-streak', label: m.streakLabel, hint: () => m.streakHint, invalid: m.streakInvalid },
  ];
}

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
    for (const l of limits()) if (!/^\d+$/.test(values[l.field].trim())) local[l.field] = l.invalid;
    if (Object.keys(local).length) return setErrors(local);
    setBusy(true);
    try {
      show(await patchAccount({ daily_send_limit: Number(values.daily_send_limit.trim()), error_streak_limit: Number(values.error_streak_limit.trim()) }));
      setSaved(true);
    } catch (err) {
      const limit = err instanceof ApiError ? limits().find((l) => l.field === err.field) : undefined;
      if (limit && err instanceof ApiError) setErrors({ [limit.field]: M().atField(limit.invalid, limit.field, err.message) });
      else setFormError(describeError(err));
    } finally {
      setBusy(false);
    }
  }

  const m = M();
  return (
    <section class="card" id="limits" aria-labelledby="limits-h" data-testid="sending-limits">
      <h2 id="limits-h">{m.title}</h2>
      <p class="muted">{m.intro}</p>
      <FormError message={formError} />
      {account && (
        <form onSubmit={save} noValidate>
          <div class="limits-grid">
            {limits().map((l) => (
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
              {busy ? m.saving : m.save}
            </button>
            <span class="muted" role="status" data-testid="limits-saved">
              {saved ? m.saved : ''}
            </span>
          </div>
        </form>
      )}
    </section>
  );
}
