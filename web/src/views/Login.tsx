import { useEffect, useRef, useState } from 'preact/hooks';
import { ApiError, describeError, login } from '../api';
import { takeLoginNotice } from '../api-shop';
import { navigate } from '../router';
import { Field, FormError } from './Field';

type Errors = { email?: string; password?: string; form?: string };

/** Only same-app paths are accepted as the place to go back to after logging in. */
function safeNext(next: string | null): string {
  if (next && next.startsWith('/app/') && !next.startsWith('/app/login') && !next.startsWith('//')) return next;
  return '/app/contacts';
}

export function LoginView({ next }: { next: string | null }) {
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [errors, setErrors] = useState<Errors>({});
  const [busy, setBusy] = useState(false);
  const [notice] = useState(takeLoginNotice); // after a password change or "sign out everywhere"
  const emailRef = useRef<HTMLInputElement>(null);
  const passwordRef = useRef<HTMLInputElement>(null);

  useEffect(() => emailRef.current?.focus(), []);

  async function submit(e: Event) {
    e.preventDefault();
    const errs: Errors = {};
    if (!email.trim()) errs.email = 'Enter your email.';
    if (!password) errs.password = 'Enter your password.';
    setErrors(errs);
    if (errs.email) return emailRef.current?.focus();
    if (errs.password) return passwordRef.current?.focus();
    setBusy(true);
    try {
      await login(email.trim(), password);
      navigate(safeNext(next), { replace: true });
    } catch (err) {
      setBusy(false);
      if (err instanceof ApiError && err.code === 'invalid_credentials') {
        setErrors({ password: 'Wrong email or password.' });
        passwordRef.current?.select();
      } else if (err instanceof ApiError && (err.field === 'email' || err.field === 'password')) {
        setErrors({ [err.field]: err.message });
        (err.field === 'email' ? emailRef : passwordRef).current?.focus();
      } else {
        setErrors({ form: describeError(err) });
      }
    }
  }

  return (
    <main class="auth-page" id="main">
      <div class="card auth-card">
        <div class="auth-brand" aria-hidden="true">
          tgr
        </div>
        <h1>Log in</h1>
        <p class="muted">Telegram retargeting for your shop.</p>
        {notice && (
          <div class="alert alert-info" role="status" data-testid="login-notice">
            {notice}
          </div>
        )}
        <form onSubmit={submit} noValidate>
          <FormError message={errors.form ?? null} />
          <Field id="login-email" label="Email" error={errors.email}>
            {(a) => (
              <input
                {...a}
                ref={emailRef}
                type="email"
                name="email"
                autoComplete="username"
                inputMode="email"
                value={email}
                onInput={(e) => setEmail(e.currentTarget.value)}
              />
            )}
          </Field>
          <Field id="login-password" label="Password" error={errors.password}>
            {(a) => (
              <input
                {...a}
                ref={passwordRef}
                type="password"
                name="password"
                autoComplete="current-password"
                value={password}
                onInput={(e) => setPassword(e.currentTarget.value)}
              />
            )}
          </Field>
          <button type="submit" class="btn btn-primary btn-block" disabled={busy}>
            {busy ? 'Logging in…' : 'Log in'}
          </button>
        </form>
      </div>
    </main>
  );
}
