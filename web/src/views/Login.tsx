import { useEffect, useRef, useState } from 'preact/hooks';
import { ApiError, describeError, login } from '../api';
import { takeLoginNotice } from '../api-shop';
import { navigate } from '../router';
import { messages } from '../i18n';
import { LangSwitch } from '../LangSwitch';
import { Field, FormError } from './Field';

const M = messages(
  {
    enterEmail: 'Enter your email.',
    enterPassword: 'Enter your password.',
    wrong: 'Wrong email or password.',
    title: 'Log in',
    submit: 'Log in',
    tagline: 'Telegram retargeting for your shop.',
    email: 'Email',
    password: 'Password',
    busy: 'Logging in…',
  },
  {
    enterEmail: 'Введите адрес почты.',
    enterPassword: 'Введите пароль.',
    wrong: 'Неверная почта или пароль.',
    title: 'Вход',
    submit: 'Войти',
    tagline: 'Ретаргетинг в Telegram для вашего магазина.',
    email: 'Почта',
    password: 'Пароль',
    busy: 'Входим…',
  },
);

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
    if (!email.trim()) errs.email = M().enterEmail;
    if (!password) errs.password = M().enterPassword;
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
        setErrors({ password: M().wrong });
        passwordRef.current?.select();
      } else if (err instanceof ApiError && (err.field === 'email' || err.field === 'password')) {
        setErrors({ [err.field]: err.message });
        (err.field === 'email' ? emailRef : passwordRef).current?.focus();
      } else {
        setErrors({ form: describeError(err) });
      }
    }
  }

  const m = M();
  return (
    <main class="auth-page" id="main">
      <div class="card auth-card">
        <div class="auth-lang">
          <LangSwitch />
        </div>
        <div class="auth-brand" aria-hidden="true">
          tgr
        </div>
        <h1>{m.title}</h1>
        <p class="muted">{m.tagline}</p>
        {notice && (
          <div class="alert alert-info" role="status" data-testid="login-notice">
            {notice}
          </div>
        )}
        <form onSubmit={submit} noValidate>
          <FormError message={errors.form ?? null} />
          <Field id="login-email" label={m.email} error={errors.email}>
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
          <Field id="login-password" label={m.password} error={errors.password}>
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
            {busy ? m.busy : m.submit}
          </button>
        </form>
      </div>
    </main>
  );
}
