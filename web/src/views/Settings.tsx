// The settings page (issue 17): the account's time zone (searchable, the browser's suggested) and
// frequency cap, the sending limits (SendingLimits, also on the Telegram page), the password
// (current + new with the rules shown), a new API key (shown once, with a copy button and a
// warning) and "sign out everywhere". Each form checks what the API checks and shows the API's
// field errors at their field.
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { ApiError, describeError, getEmail } from '../api';
import { getAccount, patchAccount, type AccountSettings } from '../api-campaigns';
import { PASSWORD_MAX, PASSWORD_MIN, changePassword, logoutAll, newApiKey, passwordProblem, signedOut } from '../api-shop';
import { timeZones } from '../editor/sections';
import { fieldMessage } from '../editor/form';
import { onLinkClick } from '../router';
import { ConfirmAction, ShownOnce } from './Copy';
import { Field, FormError } from './Field';
import { SendingLimits } from './SendingLimits';
import { messages, plural } from '../i18n';
import '../shop.css';

const M = messages(
  {
    timeZone: 'Time zone',
    search: 'Search: Berlin, New York, Asia…',
    timeZones: 'Time zones',
    selected: 'Selected: ',
    nowBefore: ' — it is ',
    nowAfter: ' there now.',
    zoneUse: ' Quiet hours default to it, and the daily limit counts its calendar days.',
    useBefore: 'Use ',
    useAfter: " (this browser's time zone)",
    capInvalid: 'Enter a whole number of days from 0 to 365.',
    general: 'Time zone and frequency',
    capLabel: 'Message the same person at most once every … days',
    capHint:
      'The frequency cap: a campaign leaves out anyone a campaign messaged within this many days (follow-ups of the same campaign still go). 0 = no cap; at most 365.',
    saving: 'Saving…',
    save: 'Save',
    saved: 'Saved.',
    enterCurrent: 'Enter your current password.',
    enterNew: 'Enter a new password.',
    mustDiffer: 'The new password must differ from the current one.',
    notCurrent: 'That is not your current password.',
    password: 'Password',
    currentPassword: 'Current password',
    newPassword: 'New password',
    rules: (min: number, max: number) => `At least ${min} characters (at most ${max}); spaces count, so a few words make a good one.`,
    soFar: (n: number) => `${n} so far.`,
    longEnough: 'Long enough.',
    showPasswords: 'Show the passwords',
    changeSignsOut: 'Changing the password signs out every browser and device, this one too: you then log in with the new password. API keys keep working.',
    changing: 'Changing…',
    changePassword: 'Change password',
    apiKey: 'API key',
    keyBefore: "For scripts and your shop's server: they send it as the ",
    keyAfter: ' header. tgr keeps only a fingerprint of it, so it cannot show your current key again — make a new one when it is lost.',
    keyHeadline: 'Copy your new API key now: it is shown only this once.',
    keyAdvice: 'The old key no longer works; give this one to everything that used it.',
    newKey: 'New API key',
    newKeyAsk: 'Make a new API key…',
    newKeyGroup: 'Confirm the new API key',
    newKeyWarning: 'The current key stops working at once: scripts and a shop that use it fail until they get the new one.',
    newKeyAction: 'Make a new key',
    making: 'Making…',
    signOut: 'Sign out everywhere',
    signOutText: 'Signs out every browser and device logged in to this account, this one too — for a lost phone or a shared computer. API keys keep working.',
    signOutAsk: 'Sign out everywhere…',
    signOutGroup: 'Confirm signing out everywhere',
    signOutWarning: 'Sign out every session now?',
    settings: 'Settings',
    account: 'Account ',
    accountEnd: '. ',
    ordersFrom: 'Orders from your shop:',
    connectShop: 'connect your shop',
    /** The server's refusal at its field: its sentence in English, the field's rule in Russian. */
    atField: (field: 'timezone' | 'frequency_cap_days' | 'new_password', message: string) => fieldMessage(field, message),
  },
  {
    timeZone: 'Часовой пояс',
    search: 'Поиск: город или регион латиницей…',
    timeZones: 'Часовые пояса',
    selected: 'Выбран: ',
    nowBefore: ' — там сейчас ',
    nowAfter: '.',
    zoneUse: ' По нему по умолчанию идут тихие часы, и по его календарным дням считается дневной лимит.',
    useBefore: 'Выбрать ',
    useAfter: ' (часовой пояс этого браузера)',
    capInvalid: 'Введите целое число дней от 0 до 365.',
    general: 'Часовой пояс и частота',
    capLabel: 'Писать одному человеку не чаще раза в … дней',
    capHint:
      'Ограничение частоты: кампания пропускает тех, кому любая кампания писала за это число дней (напоминания той же кампании всё равно уходят). 0 — без ограничения; не больше 365.',
    saving: 'Сохраняем…',
    save: 'Сохранить',
    saved: 'Сохранено.',
    enterCurrent: 'Введите текущий пароль.',
    enterNew: 'Введите новый пароль.',
    mustDiffer: 'Новый пароль должен отличаться от текущего.',
    notCurrent: 'Это не ваш текущий пароль.',
    password: 'Пароль',
    currentPassword: 'Текущий пароль',
    newPassword: 'Новый пароль',
    rules: (min, max) =>
      `Не меньше ${plural(min, { one: '# символа', other: '# символов' })} (и не больше ${max}); пробелы тоже считаются, так что несколько слов — хороший пароль.`,
    soFar: (n) => `Пока ${plural(n, { one: '# символ', few: '# символа', many: '# символов', other: '# символа' })}.`,
    longEnough: 'Достаточно.',
    showPasswords: 'Показать пароли',
    changeSignsOut:
      'Смена пароля завершает сессии во всех браузерах и на всех устройствах, в этом тоже: затем вы входите с новым паролем. Ключи API продолжают работать.',
    changing: 'Меняем…',
    changePassword: 'Сменить пароль',
    apiKey: 'Ключ API',
    keyBefore: 'Для скриптов и сервера вашего магазина: они передают его в заголовке ',
    keyAfter: '. tgr хранит только отпечаток ключа, поэтому не может показать текущий ключ ещё раз — если он потерян, создайте новый.',
    keyHeadline: 'Скопируйте новый ключ API сейчас: он показывается только один раз.',
    keyAdvice: 'Старый ключ больше не работает; передайте новый всем, кто пользовался старым.',
    newKey: 'Новый ключ API',
    newKeyAsk: 'Создать новый ключ API…',
    newKeyGroup: 'Подтверждение нового ключа API',
    newKeyWarning: 'Текущий ключ сразу перестанет работать: скрипты и магазин, которые им пользуются, будут получать ошибки, пока не получат новый.',
    newKeyAction: 'Создать новый ключ',
    making: 'Создаём…',
    signOut: 'Выйти везде',
    signOutText:
      'Завершает сессии во всех браузерах и на всех устройствах, где выполнен вход в этот аккаунт, в этом тоже — на случай потерянного телефона или чужого компьютера. Ключи API продолжают работать.',
    signOutAsk: 'Выйти везде…',
    signOutGroup: 'Подтверждение выхода везде',
    signOutWarning: 'Завершить все сессии сейчас?',
    settings: 'Настройки',
    account: 'Аккаунт ',
    accountEnd: '. ',
    ordersFrom: 'Заказы из вашего магазина:',
    connectShop: 'подключите магазин',
    atField: (field) =>
      field === 'timezone'
        ? 'Выберите часовой пояс из списка.'
        : field === 'frequency_cap_days'
          ? 'Введите целое число дней от 0 до 365.'
          : `Пароль: не меньше ${PASSWORD_MIN} и не больше ${PASSWORD_MAX} символов.`,
  },
);

/** The browser's own IANA zone, when it says. */
function browserZone(): string | null {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone || null;
  } catch {
    return null;
  }
}

function localTime(tz: string): string | null {
  try {
    return new Intl.DateTimeFormat('en-GB', { timeZone: tz, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(new Date());
  } catch {
    return null;
  }
}

const zoneLabel = (z: string) => z.replace(/_/g, ' ');

/** A searchable list of IANA time zones: a search box narrowing a list box, the browser's zone offered. */
function TimeZonePicker({ value, onChange, error }: { value: string; onChange: (tz: string) => void; error?: string | null }) {
  const suggested = useMemo(browserZone, []);
  const zones = useMemo(() => timeZones([value, suggested]), [value, suggested]);
  const [q, setQ] = useState('');
  const shown = useMemo(() => {
    const words = q.trim().toLowerCase().replace(/_/g, ' ').split(/\s+/).filter(Boolean);
    const hit = zones.filter((z) => {
      const name = z.toLowerCase().replace(/_/g, ' ');
      return words.every((w) => name.includes(w));
    });
    return hit.includes(value) ? hit : [value, ...hit];
  }, [q, zones, value]);
  const now = localTime(value);
  const m = M();
  return (
    <div class={error ? 'field has-error' : 'field'}>
      <label for="set-tz-search">{m.timeZone}</label>
      <input
        id="set-tz-search"
        type="search"
        placeholder={m.search}
        value={q}
        aria-describedby="set-tz-hint"
        aria-controls="set-tz"
        onInput={(e) => setQ(e.currentTarget.value)}
        onKeyDown={(e) => {
          if (e.key === 'ArrowDown') {
            e.preventDefault();
            document.getElementById('set-tz')?.focus();
          } else if (e.key === 'Enter' && shown.length > 0) {
            e.preventDefault();
            onChange(shown.find((z) => z !== value) ?? shown[0]);
          }
        }}
      />
      <select
        id="set-tz"
        class="tz-list"
        size={7}
        value={value}
        aria-label={m.timeZones}
        aria-invalid={error ? 'true' : undefined}
        aria-describedby={error ? 'set-tz-error' : undefined}
        onChange={(e) => onChange(e.currentTarget.value)}
      >
        {shown.map((z) => (
          <option key={z} value={z} translate={false}>
            {zoneLabel(z)}
          </option>
        ))}
      </select>
      <p class="hint" id="set-tz-hint">
        {m.selected}
        <strong data-testid="tz-selected" translate={false}>
          {zoneLabel(value)}
        </strong>
        {now ? (
          <>
            {m.nowBefore}
            {now}
            {m.nowAfter}
          </>
        ) : null}
        {m.zoneUse}
      </p>
      {suggested && suggested !== value && (
        <button type="button" class="btn btn-sm" onClick={() => onChange(suggested)} data-testid="tz-suggest">
          {m.useBefore}
          <span translate={false}>{zoneLabel(suggested)}</span>
          {m.useAfter}
        </button>
      )}
      {error && (
        <p class="field-error" id="set-tz-error" role="alert">
          {error}
        </p>
      )}
    </div>
  );
}

type GeneralField = 'timezone' | 'frequency_cap_days';

function GeneralCard({ account, onSaved }: { account: AccountSettings; onSaved: (a: AccountSettings) => void }) {
  const [tz, setTz] = useState(account.timezone);
  const [cap, setCap] = useState(String(account.frequency_cap_days));
  const [errors, setErrors] = useState<Partial<Record<GeneralField, string>>>({});
  const [formError, setFormError] = useState<string | null>(null);
  const [saved, setSaved] = useState(false);
  const [busy, setBusy] = useState(false);

  async function save(e: Event) {
    e.preventDefault();
    setErrors({});
    setFormError(null);
    setSaved(false);
    const c = cap.trim();
    if (!/^\d+$/.test(c) || Number(c) > 365) return setErrors({ frequency_cap_days: M().capInvalid });
    setBusy(true);
    try {
      const a = await patchAccount({ timezone: tz, frequency_cap_days: Number(c) });
      onSaved(a);
      setTz(a.timezone);
      setCap(String(a.frequency_cap_days));
      setSaved(true);
    } catch (err) {
      if (err instanceof ApiError && (err.field === 'timezone' || err.field === 'frequency_cap_days'))
        setErrors({ [err.field]: M().atField(err.field, err.message) });
      else setFormError(describeError(err));
    } finally {
      setBusy(false);
    }
  }

  const m = M();
  return (
    <section class="card" aria-labelledby="set-general-h" data-testid="settings-general" id="frequency-cap">
      <h2 id="set-general-h">{m.general}</h2>
      <FormError message={formError} />
      <form onSubmit={save} noValidate>
        <TimeZonePicker
          value={tz}
          error={errors.timezone}
          onChange={(z) => {
            setTz(z);
            setSaved(false);
          }}
        />
        <Field
          id="set-cap"
          label={m.capLabel}
          error={errors.frequency_cap_days}
          hint={m.capHint}
        >
          {(a) => (
            <input
              {...a}
              type="text"
              inputMode="numeric"
              name="frequency_cap_days"
              class="input-short"
              value={cap}
              onInput={(ev) => {
                setCap(ev.currentTarget.value);
                setSaved(false);
              }}
            />
          )}
        </Field>
        <div class="actions">
          <button type="submit" class="btn btn-primary" disabled={busy}>
            {busy ? m.saving : m.save}
          </button>
          <span class="muted" role="status" data-testid="general-saved">
            {saved ? m.saved : ''}
          </span>
        </div>
      </form>
    </section>
  );
}

type PasswordField = 'current_password' | 'new_password';

function PasswordCard() {
  const [current, setCurrent] = useState('');
  const [fresh, setFresh] = useState('');
  const [show, setShow] = useState(false);
  const [errors, setErrors] = useState<Partial<Record<PasswordField, string>>>({});
  const [formError, setFormError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const currentRef = useRef<HTMLInputElement>(null);
  const freshRef = useRef<HTMLInputElement>(null);
  const problem = fresh ? passwordProblem(fresh) : null;
  // Preact's types tie an input's other attributes to a literal type; both kinds take these.
  const pwType = (show ? 'text' : 'password') as 'password';

  async function save(e: Event) {
    e.preventDefault();
    setFormError(null);
    const errs: Partial<Record<PasswordField, string>> = {};
    if (!current) errs.current_password = M().enterCurrent;
    if (!fresh) errs.new_password = M().enterNew;
    else if (problem) errs.new_password = problem;
    else if (fresh === current) errs.new_password = M().mustDiffer;
    setErrors(errs);
    if (errs.current_password) return currentRef.current?.focus();
    if (errs.new_password) return freshRef.current?.focus();
    setBusy(true);
    try {
      await changePassword(current, fresh);
      signedOut('passwordChanged');
    } catch (err) {
      setBusy(false);
      if (err instanceof ApiError && err.field === 'current_password') {
        setErrors({ current_password: M().notCurrent });
        currentRef.current?.select();
      } else if (err instanceof ApiError && err.field === 'new_password') {
        setErrors({ new_password: M().atField('new_password', err.message) });
        freshRef.current?.focus();
      } else setFormError(describeError(err));
    }
  }

  const m = M();
  return (
    <section class="card" aria-labelledby="set-pw-h" data-testid="settings-password">
      <h2 id="set-pw-h">{m.password}</h2>
      <FormError message={formError} />
      <form onSubmit={save} noValidate>
        <input type="text" name="username" autoComplete="username" value={getEmail() ?? ''} readOnly hidden />
        <Field id="set-pw-current" label={m.currentPassword} error={errors.current_password}>
          {(a) => (
            <input
              {...a}
              ref={currentRef}
              type={pwType}
              name="current_password"
              autoComplete="current-password"
              value={current}
              onInput={(ev) => setCurrent(ev.currentTarget.value)}
            />
          )}
        </Field>
        <Field
          id="set-pw-new"
          label={m.newPassword}
          error={errors.new_password}
          hint={
            <>
              {m.rules(PASSWORD_MIN, PASSWORD_MAX)}{' '}
              <span data-testid="pw-rule" class={fresh && !problem ? 'ok-text' : undefined}>
                {fresh ? (problem ? m.soFar(new TextEncoder().encode(fresh).length) : m.longEnough) : ''}
              </span>
            </>
          }
        >
          {(a) => (
            <input
              {...a}
              ref={freshRef}
              type={pwType}
              name="new_password"
              autoComplete="new-password"
              value={fresh}
              onInput={(ev) => setFresh(ev.currentTarget.value)}
            />
          )}
        </Field>
        <label class="check-inline">
          <input type="checkbox" checked={show} onChange={(ev) => setShow(ev.currentTarget.checked)} /> {m.showPasswords}
        </label>
        <p class="muted">{m.changeSignsOut}</p>
        <div class="actions">
          <button type="submit" class="btn btn-primary" disabled={busy}>
            {busy ? m.changing : m.changePassword}
          </button>
        </div>
      </form>
    </section>
  );
}

function ApiKeyCard() {
  const [key, setKey] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function regenerate() {
    setBusy(true);
    setError(null);
    try {
      setKey((await newApiKey()).api_key);
    } catch (err) {
      setError(describeError(err));
    } finally {
      setBusy(false);
    }
  }

  const m = M();
  return (
    <section class="card" aria-labelledby="set-key-h" data-testid="settings-api-key">
      <h2 id="set-key-h">{m.apiKey}</h2>
      <p class="muted">
        {m.keyBefore}
        <code translate={false}>X-API-Key</code>
        {m.keyAfter}
      </p>
      <FormError message={error} />
      {key && (
        <ShownOnce
          testid="api-key-shown"
          headline={m.keyHeadline}
          advice={m.keyAdvice}
          id="set-key-value"
          label={m.newKey}
          value={key}
          valueTestid="api-key-value"
          onDone={() => setKey(null)}
        />
      )}
      <ConfirmAction
        label={m.newKeyAsk}
        groupLabel={m.newKeyGroup}
        warning={m.newKeyWarning}
        action={m.newKeyAction}
        busyAction={m.making}
        busy={busy}
        onConfirm={regenerate}
      />
    </section>
  );
}

function SignOutCard() {
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  async function go() {
    setBusy(true);
    setError(null);
    try {
      await logoutAll();
      signedOut('signedOutEverywhere');
    } catch (err) {
      setBusy(false);
      setError(describeError(err));
    }
  }
  const m = M();
  return (
    <section class="card" aria-labelledby="set-out-h" data-testid="settings-sign-out">
      <h2 id="set-out-h">{m.signOut}</h2>
      <p class="muted">{m.signOutText}</p>
      <FormError message={error} />
      <ConfirmAction
        label={m.signOutAsk}
        groupLabel={m.signOutGroup}
        warning={m.signOutWarning}
        action={m.signOut}
        busy={busy}
        onConfirm={go}
      />
    </section>
  );
}

export function SettingsView() {
  const [account, setAccount] = useState<AccountSettings | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    getAccount().then(setAccount, (e) => setError(describeError(e)));
  }, []);
  const m = M();
  return (
    <main class="page settings" id="main">
      <h1>{m.settings}</h1>
      <p class="muted">
        {account ? (
          <>
            {m.account}
            <span translate={false}>{account.email}</span>
            {m.accountEnd}
          </>
        ) : null}
        {m.ordersFrom}{' '}
        <a href="/app/shop" onClick={onLinkClick}>
          {m.connectShop}
        </a>
        .
      </p>
      <FormError message={error} />
      {account && <GeneralCard key={account.id} account={account} onSaved={setAccount} />}
      {account && <SendingLimits />}
      <PasswordCard />
      <ApiKeyCard />
      <SignOutCard />
    </main>
  );
}
