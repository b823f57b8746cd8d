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
import '../shop.css';

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
  return (
    <div class={error ? 'field has-error' : 'field'}>
      <label for="set-tz-search">Time zone</label>
      <input
        id="set-tz-search"
        type="search"
        placeholder="Search: Berlin, New York, Asia…"
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
        aria-label="Time zones"
        aria-invalid={error ? 'true' : undefined}
        aria-describedby={error ? 'set-tz-error' : undefined}
        onChange={(e) => onChange(e.currentTarget.value)}
      >
        {shown.map((z) => (
          <option key={z} value={z}>
            {zoneLabel(z)}
          </option>
        ))}
      </select>
      <p class="hint" id="set-tz-hint">
        Selected: <strong data-testid="tz-selected">{zoneLabel(value)}</strong>
        {now ? <> — it is {now} there now.</> : null} Quiet hours default to it, and the daily limit counts its calendar days.
      </p>
      {suggested && suggested !== value && (
        <button type="button" class="btn btn-sm" onClick={() => onChange(suggested)} data-testid="tz-suggest">
          Use {zoneLabel(suggested)} (this browser's time zone)
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
    if (!/^\d+$/.test(c) || Number(c) > 365) return setErrors({ frequency_cap_days: 'Enter a whole number of days from 0 to 365.' });
    setBusy(true);
    try {
      const a = await patchAccount({ timezone: tz, frequency_cap_days: Number(c) });
      onSaved(a);
      setTz(a.timezone);
      setCap(String(a.frequency_cap_days));
      setSaved(true);
    } catch (err) {
      if (err instanceof ApiError && (err.field === 'timezone' || err.field === 'frequency_cap_days'))
        setErrors({ [err.field]: fieldMessage(err.field, err.message) });
      else setFormError(describeError(err));
    } finally {
      setBusy(false);
    }
  }

  return (
    <section class="card" aria-labelledby="set-general-h" data-testid="settings-general" id="frequency-cap">
      <h2 id="set-general-h">Time zone and frequency</h2>
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
          label="Message the same person at most once every … days"
          error={errors.frequency_cap_days}
          hint="The frequency cap: a campaign leaves out anyone a campaign messaged within this many days (follow-ups of the same campaign still go). 0 = no cap; at most 365."
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
            {busy ? 'Saving…' : 'Save'}
          </button>
          <span class="muted" role="status" data-testid="general-saved">
            {saved ? 'Saved.' : ''}
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
    if (!current) errs.current_password = 'Enter your current password.';
    if (!fresh) errs.new_password = 'Enter a new password.';
    else if (problem) errs.new_password = problem;
    else if (fresh === current) errs.new_password = 'The new password must differ from the current one.';
    setErrors(errs);
    if (errs.current_password) return currentRef.current?.focus();
    if (errs.new_password) return freshRef.current?.focus();
    setBusy(true);
    try {
      await changePassword(current, fresh);
      signedOut('Your password was changed and every device was signed out, this one too. Log in with the new password.');
    } catch (err) {
      setBusy(false);
      if (err instanceof ApiError && err.field === 'current_password') {
        setErrors({ current_password: 'That is not your current password.' });
        currentRef.current?.select();
      } else if (err instanceof ApiError && err.field === 'new_password') {
        setErrors({ new_password: fieldMessage('new_password', err.message) });
        freshRef.current?.focus();
      } else setFormError(describeError(err));
    }
  }

  return (
    <section class="card" aria-labelledby="set-pw-h" data-testid="settings-password">
      <h2 id="set-pw-h">Password</h2>
      <FormError message={formError} />
      <form onSubmit={save} noValidate>
        <input type="text" name="username" autoComplete="username" value={getEmail() ?? ''} readOnly hidden />
        <Field id="set-pw-current" label="Current password" error={errors.current_password}>
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
          label="New password"
          error={errors.new_password}
          hint={
            <>
              At least {PASSWORD_MIN} characters (at most {PASSWORD_MAX}); spaces count, so a few words make a good one.{' '}
              <span data-testid="pw-rule" class={fresh && !problem ? 'ok-text' : undefined}>
                {fresh ? (problem ? `${new TextEncoder().encode(fresh).length} so far.` : 'Long enough.') : ''}
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
          <input type="checkbox" checked={show} onChange={(ev) => setShow(ev.currentTarget.checked)} /> Show the passwords
        </label>
        <p class="muted">Changing the password signs out every browser and device, this one too: you then log in with the new password. API keys keep working.</p>
        <div class="actions">
          <button type="submit" class="btn btn-primary" disabled={busy}>
            {busy ? 'Changing…' : 'Change password'}
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

  return (
    <section class="card" aria-labelledby="set-key-h" data-testid="settings-api-key">
      <h2 id="set-key-h">API key</h2>
      <p class="muted">
        For scripts and your shop's server: they send it as the <code>X-API-Key</code> header. tgr keeps only a fingerprint of it, so it cannot show your current key
        again — make a new one when it is lost.
      </p>
      <FormError message={error} />
      {key && (
        <ShownOnce
          testid="api-key-shown"
          headline="Copy your new API key now: it is shown only this once."
          advice="The old key no longer works; give this one to everything that used it."
          id="set-key-value"
          label="New API key"
          value={key}
          valueTestid="api-key-value"
          onDone={() => setKey(null)}
        />
      )}
      <ConfirmAction
        label="Make a new API key…"
        groupLabel="Confirm the new API key"
        warning="The current key stops working at once: scripts and a shop that use it fail until they get the new one."
        action="Make a new key"
        busyAction="Making…"
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
      signedOut('You were signed out everywhere, this browser too. Log in again.');
    } catch (err) {
      setBusy(false);
      setError(describeError(err));
    }
  }
  return (
    <section class="card" aria-labelledby="set-out-h" data-testid="settings-sign-out">
      <h2 id="set-out-h">Sign out everywhere</h2>
      <p class="muted">Signs out every browser and device logged in to this account, this one too — for a lost phone or a shared computer. API keys keep working.</p>
      <FormError message={error} />
      <ConfirmAction
        label="Sign out everywhere…"
        groupLabel="Confirm signing out everywhere"
        warning="Sign out every session now?"
        action="Sign out everywhere"
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
  return (
    <main class="page settings" id="main">
      <h1>Settings</h1>
      <p class="muted">
        {account ? <>Account {account.email}. </> : null}
        Orders from your shop:{' '}
        <a href="/app/shop" onClick={onLinkClick}>
          connect your shop
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
