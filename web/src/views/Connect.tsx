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
import { M } from './Connect.i18n';

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
        return { field: 'code', text: M().codeWrong };
      case 'phone_code_expired':
        return { field: 'code', text: M().codeExpired };
      case 'password_invalid':
        return { field: 'password', text: M().passwordWrong };
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

const keptWords = (k: Kept) => M().keptWords(k);

/** A phone number in the words: user data, never translated. */
const Phone = ({ p }: { p: string }) => <span translate={false}>{p}</span>;

/** The notice of the simulated Telegram, in every state of the page. */
export function SimNotice({ session, children }: { session: Session; children?: ComponentChildren }) {
  if (!session.simulator) return null;
  const m = M();
  return (
    <div class="alert alert-info" role="note" data-testid="sim-notice">
      <strong>{m.simTitle}</strong>
      {m.simBefore}
      <code translate={false}>--telegram sim</code>
      {m.simAfter} {children}
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
    if (!phone.trim()) return setFieldError({ field: 'phone', text: M().enterPhone });
    setBusy(true);
    try {
      await connectSession(phone.trim());
      setCode('');
      setStep('code');
      setNotice(M().codeSent);
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
        setNotice(M().twoStepOn);
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
    if (!code.trim()) return setFieldError({ field: 'code', text: M().enterCode });
    void verify({ code: code.trim() });
  }

  function sendPassword(e: Event) {
    e.preventDefault();
    reset();
    if (!password) return setFieldError({ field: 'password', text: M().enterPassword });
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
      setNotice(M().synced(r.contacts_added, r.contacts_updated, r.messages_added));
    } catch (err) {
      setFormError(describeError(err));
    } finally {
      setBusy(false);
    }
  }

  const err = (f: string) => (fieldError?.field === f ? fieldError.text : null);
  const m = M();

  if (!session) {
    return (
      <main class="page narrow" id="main">
        <h1>Telegram</h1>
        <FormError message={state.sessionError} />
        {!state.sessionError && <p class="muted">{m.checking}</p>}
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
              <strong>{m.frozenTitle}</strong> {frozenSince(session.frozen_at) || m.frozenNow}
              {m.frozenText}
            </p>
            <AppealSteps />
            <SpamBotLink primary />
          </div>
        )}
        <SimNotice session={session} />
        {after && (
          <div class="alert alert-info" role="status" data-testid="reconnect-after">
            <strong>{m.keptAfter(keptWords(after.kept))}</strong>{' '}
            {after.before ? (
              <>
                {m.nowUses}
                {session.phone ? <Phone p={session.phone} /> : m.thisAccount}
                {m.insteadOf}
                <Phone p={after.before} />
                {m.insteadEnd}
              </>
            ) : (
              ''
            )}
            {m.sameList}
            {after.kept.sending ? m.sendingNow(after.kept.sending) : m.everyCampaignAfter}.{after.before ? m.mayRefuseAfter : ''}
          </div>
        )}
        <section class="card">
          <h2>{m.connected}</h2>
          <p>
            {m.connectedTo}
            {session.phone ? ' ' : ''}
            {session.phone && <strong translate={false}>{session.phone}</strong>}
            {m.contactsAppear}
            <a href="/app/contacts" onClick={onLinkClick}>
              {m.contactsLink}
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
              {m.viewContacts}
            </a>
            <button type="button" class="btn" onClick={sync} disabled={busy}>
              {m.syncNow}
            </button>
            {!confirmLogout ? (
              <button type="button" class="btn btn-ghost" onClick={() => setConfirmLogout(true)} disabled={busy}>
                {m.disconnectAsk}
              </button>
            ) : (
              <span class="confirm" data-testid="disconnect-confirm">
                <span>
                  {m.logOutAsk}
                  {kept && (kept.contacts || kept.campaigns) ? m.keptStay(keptWords(kept)) : m.allStay}
                  {m.withResults} {kept?.sending ? m.sendingWait(kept.sending) : m.laterSend}
                </span>
                <button type="button" class="btn btn-danger" onClick={logout} disabled={busy}>
                  {m.disconnect}
                </button>
                <button type="button" class="btn btn-ghost" onClick={() => setConfirmLogout(false)}>
                  {m.cancel}
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
    { id: 'phone', label: m.stepPhone },
    { id: 'code', label: m.stepCode },
    { id: 'password', label: m.stepPassword },
  ];
  const stepIndex = steps.findIndex((s) => s.id === step);
  const last = lastPhone();

  return (
    <main class="page narrow" id="main">
      <h1>{m.connectTitle}</h1>
      {status === 'invalid' && (
        <div class="alert alert-error" role="alert">
          {m.invalid}
        </div>
      )}
      <section class="card">
        <ol class="steps" aria-label={m.progress}>
          {steps.map((s, i) => (
            <li key={s.id} class={i < stepIndex ? 'done' : i === stepIndex ? 'current' : ''} aria-current={i === stepIndex ? 'step' : undefined}>
              <span class="step-num">{i + 1}</span>
              {s.label}
            </li>
          ))}
        </ol>
        {session?.simulator && (
          <SimNotice session={session}>
            {m.simLogin}
            {session.simulator.phone ? (
              <>
                {m.simPhone}
                <code translate={false}>{session.simulator.phone}</code>
                {m.simAnd}
              </>
            ) : (
              ''
            )}
            {m.simCode(!!session.simulator.phone)}
            <code data-testid="sim-code" translate={false}>
              {session.simulator.code}
            </code>
            {session.simulator.two_step ? m.simTwoStep : ''}.
          </SimNotice>
        )}
        {kept && (kept.contacts > 0 || kept.campaigns > 0) && (
          <div class="alert alert-info" role="note" data-testid="reconnect-before">
            <strong>{m.keptBefore(keptWords(kept))}</strong>
            {m.addsChats}
            {kept.sending ? m.sendingGoOn(kept.sending) : m.everyCampaign}
            {last ? (
              <>
                {m.lastNumber}
                <Phone p={last} />
                {m.lastNumberEnd}
              </>
            ) : (
              m.noLastNumber
            )}
            {m.otherNumber(!!last)}
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
              label={m.phoneLabel}
              error={err('phone')}
              hint={m.phoneHint}
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
              {busy ? m.sending : m.sendCode}
            </button>
          </form>
        )}

        {step === 'code' && (
          <form onSubmit={sendCode} noValidate>
            <Field
              id="tg-code"
              label={m.codeLabel}
              error={err('code')}
              hint={
                <>
                  {m.codeHint}
                  {session.phone ? m.codeHintFor : ''}
                  {session.phone && <Phone p={session.phone} />}
                  {m.codeHintEnd}
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
                {busy ? m.checkingBusy : m.verify}
              </button>
              <button
                type="button"
                class="btn btn-ghost"
                onClick={() => {
                  reset();
                  setStep('phone');
                }}
              >
                {m.anotherNumber}
              </button>
            </div>
          </form>
        )}

        {step === 'password' && (
          <form onSubmit={sendPassword} noValidate>
            <Field
              id="tg-password"
              label={m.passwordLabel}
              error={err('password')}
              hint={m.passwordHint}
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
                {busy ? m.checkingBusy : m.connect}
              </button>
              <button
                type="button"
                class="btn btn-ghost"
                onClick={() => {
                  reset();
                  setStep('phone');
                }}
              >
                {m.startOver}
              </button>
            </div>
          </form>
        )}
      </section>
    </main>
  );
}
