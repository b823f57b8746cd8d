// The Telegram page: the login (phone → code → two-step password), and once connected the
// account's state (frozen by Telegram: how to appeal), sync, disconnect and the sending limits.
// On the simulator it says so in every state; before disconnecting, before connecting a number to
// an account that already has contacts or campaigns, and after, it says what happens to them
// (they stay, and every campaign sends from the account connected now: docs/DECISIONS.md 66).
import type { ComponentChildren } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { ApiError, connectSession, deleteSession, describeError, listCampaigns, listContacts, syncSession, verifySession, type Session } from '../api';
import { onLinkClick } from '../router';
import type { SessionState } from '../main';
import { Field, FormError } from './Field';
import { AppealSteps, SpamBotLink, frozenSince } from './Frozen';
import { SendingLimits } from './SendingLimits';

type Step = 'phone' | 'code' | 'password';

function stepFor(status: string | undefined): Step {
  if (status === 'code_sent') return 'code';
  if (status === 'password_required') return 'password';
  return 'phone';
}

/** Messages for the refusals the API names (422 and 409 during login). */
function verifyMessage(e: unknown): { field: 'code' | 'password' | null; text: string } {
  if (e instanceof ApiError) {
    switch (e.code) {
      case 'phone_code_invalid':
        return { field: 'code', text: 'That code is not right. Check the code Telegram sent you and try again.' };
      case 'phone_code_expired':
        return { field: 'code', text: 'That code has expired. Ask for a new code.' };
      case 'password_invalid':
        return { field: 'password', text: 'That password is not right. It is your Telegram two-step verification password.' };
    }
    if (e.field === 'code' || e.field === 'password') return { field: e.field, text: describeError(e) };
  }
  return { field: null, text: describeError(e) };
}


/** What tgr keeps of an account when its Telegram login changes: how many contacts (one page
 *  is enough to know "some") and campaigns it has. */
interface Kept {
  contacts: number;
  more: boolean;
  campaigns: number;
  sending: number;
}

async function readKept(): Promise<Kept | null> {
  try {
    const [contacts, campaigns] = await Promise.all([listContacts({ limit: 50 }), listCampaigns()]);
    return {
      contacts: contacts.contacts.length,
      more: contacts.next_after != null,
      campaigns: campaigns.campaigns.length,
      sending: campaigns.campaigns.filter((c) => c.status === 'running' || c.status === 'nudging').length,
    };
  } catch {
    return null; /* the words below fall back to the general rule */
  }
}

const plural = (n: number, one: string, many = one + 's') => `${n} ${n === 1 ? one : many}`;

function keptWords(k: Kept): string {
  const parts = [];
  if (k.contacts) parts.push(k.more ? `${k.contacts}+ contacts` : plural(k.contacts, 'contact'));
  if (k.campaigns) parts.push(plural(k.campaigns, 'campaign'));
  return parts.join(' and ');
}

/** The notice of the simulated Telegram, in every state of the page. */
export function SimNotice({ session, children }: { session: Session; children?: ComponentChildren }) {
  if (!session.simulator) return null;
  return (
    <div class="alert alert-info" role="note" data-testid="sim-notice">
      <strong>Simulated Telegram — no real messages leave this server.</strong> tgr runs with the simulator (<code>--telegram sim</code>): the
      customers, their replies, reads and clicks come from a scenario file. {children}
    </div>
  );
}

/** The last number connected in this browser (masked, as the server shows it), to say "another number". */
const LAST_PHONE_KEY = 'tgr.lastPhone';
function lastPhone(): string | null {
  try {
    return localStorage.getItem(LAST_PHONE_KEY);
  } catch {
    return null;
  }
}
function rememberPhone(p: string | null | undefined) {
  try {
    if (p) localStorage.setItem(LAST_PHONE_KEY, p);
  } catch {
    /* private mode: the words only lose "instead of" */
  }
}

export function ConnectView({ state }: { state: SessionState }) {
  const { session, refreshSession } = state;
  const status = session?.status;
  const [step, setStep] = useState<Step>(stepFor(status));
  const [phone, setPhone] = useState('');
  const [code, setCode] = useState('');
  const [password, setPassword] = useState('');
  const [fieldError, setFieldError] = useState<{ field: string; text: string } | null>(null);
  const [formError, setFormError] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [confirmLogout, setConfirmLogout] = useState(false);
  const [kept, setKept] = useState<Kept | null>(null);
  /** After a login that kept data from before: what was kept, and the number before if another. */
  const [after, setAfter] = useState<{ kept: Kept; before: string | null } | null>(null);
  const inputRef = useRef<HTMLInputElement>(null);

  // What stays when the login changes, for the words before disconnecting and connecting.
  useEffect(() => {
    if (status === undefined) return;
    void readKept().then(setKept);
  }, [status]);
  useEffect(() => {
    if (status === 'connected') rememberPhone(session?.phone);
  }, [status, session?.phone]);

  // Follow the server's state when it changes (e.g. on first load).
  useEffect(() => {
    if (status) setStep(stepFor(status));
  }, [status]);
  useEffect(() => {
    if (status !== 'connected') inputRef.current?.focus();
  }, [step, status]);

  function fail(e: unknown, fallbackField: string | null) {
    const m = verifyMessage(e);
    const field = m.field ?? (e instanceof ApiError && e.field ? e.field : fallbackField);
    if (field && e instanceof ApiError && e.status !== 429 && e.status < 500) setFieldError({ field, text: m.text });
    else setFormError(m.text);
    inputRef.current?.select();
  }

  function reset() {
    setFieldError(null);
    setFormError(null);
    setNotice(null);
  }

  async function sendPhone(e: Event) {
    e.preventDefault();
    reset();
    if (!phone.trim()) return setFieldError({ field: 'phone', text: 'Enter the phone number of your Telegram account.' });
    setBusy(true);
    try {
      await connectSession(phone.trim());
      setCode('');
      setStep('code');
      setNotice('Telegram sent a login code to your Telegram apps.');
      void refreshSession();
    } catch (err) {
      if (err instanceof ApiError && err.code === 'invalid_state') await refreshSession();
      fail(err, 'phone');
    } finally {
      setBusy(false);
    }
  }

  async function verify(body: { code?: string; password?: string }) {
    setBusy(true);
    try {
      const before = lastPhone();
      const keptBefore = kept ?? (await readKept());
      await verifySession(body);
      setNotice(null);
      const now = await refreshSession();
      if (keptBefore && (keptBefore.contacts || keptBefore.campaigns))
        setAfter({ kept: keptBefore, before: before && now?.phone && before !== now.phone ? before : null });
    } catch (err) {
      if (err instanceof ApiError && err.code === 'password_required') {
        setPassword('');
        setStep('password');
        setNotice('Your account has two-step verification. Enter your Telegram password.');
        void refreshSession();
      } else {
        if (err instanceof ApiError && err.code === 'phone_code_expired') setStep('code');
        fail(err, body.password !== undefined ? 'password' : 'code');
      }
    } finally {
      setBusy(false);
    }
  }

  function sendCode(e: Event) {
    e.preventDefault();
    reset();
    if (!code.trim()) return setFieldError({ field: 'code', text: 'Enter the code Telegram sent you.' });
    void verify({ code: code.trim() });
  }

  function sendPassword(e: Event) {
    e.preventDefault();
    reset();
    if (!password) return setFieldError({ field: 'password', text: 'Enter your two-step verification password.' });
    void verify({ password });
  }

  async function logout() {
    reset();
    setBusy(true);
    try {
      await deleteSession();
      setConfirmLogout(false);
      setStep('phone');
      await refreshSession();
    } catch (err) {
      setFormError(describeError(err));
    } finally {
      setBusy(false);
    }
  }

  async function sync() {
    reset();
    setBusy(true);
    try {
      const r = await syncSession();
      setNotice(
        `Synced: ${r.contacts_added} new contacts, ${r.contacts_updated} updated, ${r.messages_added} new messages.`,
      );
    } catch (err) {
      setFormError(describeError(err));
    } finally {
      setBusy(false);
    }
  }

  const err = (f: string) => (fieldError?.field === f ? fieldError.text : null);

  if (!session) {
    return (
      <main class="page narrow" id="main">
        <h1>Telegram</h1>
        <FormError message={state.sessionError} />
        {!state.sessionError && <p class="muted">Checking the Telegram session…</p>}
      </main>
    );
  }

  if (status === 'connected') {
    return (
      <main class="page narrow" id="main">
        <h1>Telegram</h1>
        {session.frozen && (
          <div class="alert alert-error frozen" role="alert" data-testid="frozen-notice">
            <p>
              <strong>Telegram froze this account.</strong> {frozenSince(session.frozen_at) || 'Now '}it can read its chats but send nothing, so
              every campaign of the account is paused. tgr stays connected: nothing to do here.
            </p>
            <AppealSteps />
            <SpamBotLink primary />
          </div>
        )}
        <SimNotice session={session} />
        {after && (
          <div class="alert alert-info" role="status" data-testid="reconnect-after">
            <strong>Your {keptWords(after.kept)} from before are kept.</strong>{' '}
            {after.before ? `tgr now uses ${session.phone ?? 'this account'} instead of ${after.before}. ` : ''}
            This account’s chats are added to the same contact list
            {after.kept.sending ? `, and the ${plural(after.kept.sending, 'campaign')} under way now send${after.kept.sending === 1 ? 's' : ''} from it` : ', and every campaign you start sends from it'}.
            {after.before ? ' Telegram may refuse messages to people who never wrote to this number; they are listed as failed with Telegram’s reason.' : ''}
          </div>
        )}
        <section class="card">
          <h2>Connected</h2>
          <p>
            tgr is connected to the Telegram account{session.phone ? ' ' : ''}
            {session.phone && <strong>{session.phone}</strong>}. Contacts who write to you appear in{' '}
            <a href="/app/contacts" onClick={onLinkClick}>
              Contacts
            </a>
            .
          </p>
          <FormError message={formError} />
          {notice && (
            <div class="alert alert-info" role="status">
              {notice}
            </div>
          )}
          <div class="actions">
            <a class="btn btn-primary" href="/app/contacts" onClick={onLinkClick}>
              View contacts
            </a>
            <button type="button" class="btn" onClick={sync} disabled={busy}>
              Sync now
            </button>
            {!confirmLogout ? (
              <button type="button" class="btn btn-ghost" onClick={() => setConfirmLogout(true)} disabled={busy}>
                Disconnect…
              </button>
            ) : (
              <span class="confirm" data-testid="disconnect-confirm">
                <span>
                  Log tgr out of Telegram? {kept && (kept.contacts || kept.campaigns) ? `Your ${keptWords(kept)} stay in tgr` : 'Contacts and campaigns stay in tgr'}, with
                  their results and orders.{' '}
                  {kept?.sending
                    ? `The ${plural(kept.sending, 'campaign')} under way wait${kept.sending === 1 ? 's' : ''} until a Telegram account is connected again, then go${kept.sending === 1 ? 'es' : ''} on from that account.`
                    : 'Campaigns you start later send from the account connected then.'}
                </span>
                <button type="button" class="btn btn-danger" onClick={logout} disabled={busy}>
                  Disconnect
                </button>
                <button type="button" class="btn btn-ghost" onClick={() => setConfirmLogout(false)}>
                  Cancel
                </button>
              </span>
            )}
          </div>
        </section>
        <SendingLimits />
      </main>
    );
  }

  const steps: { id: Step; label: string }[] = [
    { id: 'phone', label: 'Phone' },
    { id: 'code', label: 'Code' },
    { id: 'password', label: 'Password' },
  ];
  const stepIndex = steps.findIndex((s) => s.id === step);

  return (
    <main class="page narrow" id="main">
      <h1>Connect Telegram</h1>
      {status === 'invalid' && (
        <div class="alert alert-error" role="alert">
          The Telegram session is no longer valid (it was logged out or revoked). Connect again to keep sending.
        </div>
      )}
      <section class="card">
        <ol class="steps" aria-label="Progress">
          {steps.map((s, i) => (
            <li key={s.id} class={i < stepIndex ? 'done' : i === stepIndex ? 'current' : ''} aria-current={i === stepIndex ? 'step' : undefined}>
              <span class="step-num">{i + 1}</span>
              {s.label}
            </li>
          ))}
        </ol>
        {session?.simulator && (
          <SimNotice session={session}>
            Log in with
            {session.simulator.phone ? <> the phone number <code>{session.simulator.phone}</code> and</> : ''} the code{' '}
            <code data-testid="sim-code">{session.simulator.code}</code>
            {session.simulator.two_step ? '; the two-step password is the one in the scenario file' : ''}.
          </SimNotice>
        )}
        {kept && (kept.contacts > 0 || kept.campaigns > 0) && (
          <div class="alert alert-info" role="note" data-testid="reconnect-before">
            <strong>Your {keptWords(kept)} stay, whichever number you connect.</strong> tgr adds the chats of the account you connect to the same
            contact list, and {kept.sending ? `the ${plural(kept.sending, 'campaign')} under way go${kept.sending === 1 ? 'es' : ''} on from it` : 'every campaign sends from it'}.
            {lastPhone() ? ` The last number connected here was ${lastPhone()}; ` : ' '}
            with another number, Telegram may refuse messages to people who never wrote to that account: they are listed as failed with Telegram’s reason.
          </div>
        )}
        <FormError message={formError} />
        {notice && (
          <div class="alert alert-info" role="status">
            {notice}
          </div>
        )}

        {step === 'phone' && (
          <form onSubmit={sendPhone} noValidate>
            <Field
              id="tg-phone"
              label="Phone number"
              error={err('phone')}
              hint="The number of the Telegram account your shop uses, with country code, e.g. +15551234567."
            >
              {(a) => (
                <input
                  {...a}
                  ref={inputRef}
                  type="tel"
                  name="phone"
                  autoComplete="tel"
                  value={phone}
                  onInput={(e) => setPhone(e.currentTarget.value)}
                />
              )}
            </Field>
            <button type="submit" class="btn btn-primary" disabled={busy}>
              {busy ? 'Sending…' : 'Send code'}
            </button>
          </form>
        )}

        {step === 'code' && (
          <form onSubmit={sendCode} noValidate>
            <Field
              id="tg-code"
              label="Login code"
              error={err('code')}
              hint={
                <>
                  Telegram sent it to your Telegram apps{session.phone ? ' for ' : ''}
                  {session.phone}.
                </>
              }
            >
              {(a) => (
                <input
                  {...a}
                  ref={inputRef}
                  type="text"
                  name="code"
                  inputMode="numeric"
                  autoComplete="one-time-code"
                  value={code}
                  onInput={(e) => setCode(e.currentTarget.value)}
                />
              )}
            </Field>
            <div class="actions">
              <button type="submit" class="btn btn-primary" disabled={busy}>
                {busy ? 'Checking…' : 'Verify'}
              </button>
              <button
                type="button"
                class="btn btn-ghost"
                onClick={() => {
                  reset();
                  setStep('phone');
                }}
              >
                Use another number / new code
              </button>
            </div>
          </form>
        )}

        {step === 'password' && (
          <form onSubmit={sendPassword} noValidate>
            <Field
              id="tg-password"
              label="Two-step verification password"
              error={err('password')}
              hint="The cloud password you set in Telegram (Settings → Privacy and Security)."
            >
              {(a) => (
                <input
                  {...a}
                  ref={inputRef}
                  type="password"
                  name="password"
                  autoComplete="current-password"
                  value={password}
                  onInput={(e) => setPassword(e.currentTarget.value)}
                />
              )}
            </Field>
            <div class="actions">
              <button type="submit" class="btn btn-primary" disabled={busy}>
                {busy ? 'Checking…' : 'Connect'}
              </button>
              <button
                type="button"
                class="btn btn-ghost"
                onClick={() => {
                  reset();
                  setStep('phone');
                }}
              >
                Start over
              </button>
            </div>
          </form>
        )}
      </section>
    </main>
  );
}
