import { render } from 'preact';
import { useCallback, useEffect, useState } from 'preact/hooks';
import './styles.css';
import { ApiError, clearToken, getEmail, getSession, getToken, type Session } from './api';
import { navigate, onLinkClick, pageKey, useRoute } from './router';
import { LoginView } from './views/Login';
import { ConnectView } from './views/Connect';
import { ContactsView } from './views/Contacts';
import { CampaignsView } from './views/Campaigns';
import { EditorView } from './views/Editor';
import { MonitorView } from './views/Monitor';
import { ScorecardView } from './views/Scorecard';
import { AnalyticsView } from './views/Analytics';
// the shop's side (issue 17)
import { OrdersView } from './views/Orders';
import { SettingsView } from './views/Settings';
import { ShopView } from './views/Shop';
// Issue 16: results per person, contact pages, saved segments.
import { PeopleView } from './views/People';
import { ContactView } from './views/Contact';
import { SegmentsView } from './views/Segments';
// Issue 19: outgoing webhooks.
import { WebhooksView } from './views/Webhooks';
// Issue 19: the audit log.
import { AuditView } from './views/Audit';

export interface SessionState {
  session: Session | null;
  /** Set when GET /session itself failed (network, 503…). */
  sessionError: string | null;
  refreshSession: () => Promise<Session | null>;
}

function StatusBadge({ session, error }: { session: Session | null; error: string | null }) {
  let cls = 'badge badge-muted';
  let text = 'Telegram: checking…';
  let link = false;
  if (error) {
    cls = 'badge badge-warn';
    text = 'Telegram: status unknown';
  } else if (session) {
    switch (session.status) {
      case 'connected':
        if (session.frozen) {
          cls = 'badge badge-bad';
          text = 'Telegram: frozen → appeal';
          link = true;
        } else {
          cls = 'badge badge-ok';
          text = 'Telegram: connected';
        }
        break;
      case 'invalid':
        cls = 'badge badge-bad';
        text = 'Telegram: invalid → reconnect';
        link = true;
        break;
      default:
        cls = 'badge badge-muted';
        text = 'Telegram: not connected';
        link = true;
    }
  }
  // On the simulator the badge says so in every state (issue 18): nothing real leaves the server.
  if (session?.simulator) text = text.replace(/^Telegram:/, 'Simulated Telegram:');
  const dot = <span class="dot" aria-hidden="true" />;
  if (link)
    return (
      <a class={cls + ' badge-link'} href="/app/connect" onClick={onLinkClick} data-testid="tg-status" data-simulated={session?.simulator ? 'true' : undefined} title={error ?? undefined}>
        {dot}
        {text}
      </a>
    );
  return (
    <span class={cls} data-testid="tg-status" data-simulated={session?.simulator ? 'true' : undefined} role="status" title={error ?? (session?.simulator ? 'No real messages leave this server' : undefined)}>
      {dot}
      {text}
    </span>
  );
}

const NAV = [
  { href: '/app/contacts', label: 'Contacts' },
  { href: '/app/campaigns', label: 'Campaigns' },
  { href: '/app/segments', label: 'Segments' }, // issue 16
  { href: '/app/analytics', label: 'Analytics' },
  { href: '/app/orders', label: 'Orders' },
  { href: '/app/connect', label: 'Telegram' },
  { href: '/app/settings', label: 'Settings' },
  { href: '/app/webhooks', label: 'Webhooks' }, // issue 19
  { href: '/app/audit', label: 'Audit log' }, // issue 19
];

function Header({ path, state }: { path: string; state: SessionState }) {
  const email = getEmail();
  return (
    <header class="topbar">
      <div class="topbar-inner">
        <a class="brand" href="/app/contacts" onClick={onLinkClick}>
          tgr
        </a>
        <nav class="nav" aria-label="Main">
          {NAV.map((n) => (
            <a
              key={n.href}
              href={n.href}
              onClick={onLinkClick}
              class={path === n.href || path.startsWith(n.href + '/') ? 'nav-link active' : 'nav-link'}
              aria-current={path === n.href ? 'page' : undefined}
            >
              {n.label}
            </a>
          ))}
        </nav>
        <div class="topbar-end">
          <StatusBadge session={state.session} error={state.sessionError} />
          <button
            type="button"
            class="btn btn-ghost btn-sm"
            title={email ? 'Log out ' + email : 'Log out'}
            onClick={() => {
              clearToken();
              navigate('/app/login', { replace: true });
            }}
          >
            Log out
          </button>
        </div>
      </div>
    </header>
  );
}

function NotFound() {
  return (
    <main class="page">
      <div class="card">
        <h1>Page not found</h1>
        <p>
          <a href="/app/contacts" onClick={onLinkClick}>
            Go to contacts
          </a>
        </p>
      </div>
    </main>
  );
}

function App() {
  const route = useRoute();
  const loggedIn = getToken() !== null;
  const [session, setSession] = useState<Session | null>(null);
  const [sessionError, setSessionError] = useState<string | null>(null);

  const refreshSession = useCallback(async () => {
    if (!getToken()) return null;
    try {
      const s = await getSession();
      setSession(s);
      setSessionError(null);
      return s;
    } catch (e) {
      if (!(e instanceof ApiError && e.status === 401)) setSessionError(e instanceof Error ? e.message : String(e));
      return null;
    }
  }, []);

  // Redirects: "/" and "/app" pick a start page; every page but login needs a token.
  let redirect: string | null = null;
  if (route.path === '/' || route.path === '/index.html' || route.path === '/app')
    redirect = loggedIn ? '/app/contacts' : '/app/login';
  else if (!loggedIn && route.path !== '/app/login')
    redirect = '/app/login?next=' + encodeURIComponent(route.path + location.search);
  useEffect(() => {
    if (redirect) navigate(redirect, { replace: true });
  }, [redirect]);

  useEffect(() => {
    if (!loggedIn) {
      setSession(null);
      return undefined;
    }
    void refreshSession();
    const t = window.setInterval(() => void refreshSession(), 60_000);
    return () => window.clearInterval(t);
  }, [loggedIn, refreshSession]);

  useEffect(() => {
    const titles: Record<string, string> = {
      '/app/login': 'Log in',
      '/app/connect': 'Connect Telegram',
      '/app/contacts': 'Contacts',
      '/app/campaigns': 'Campaigns',
      '/app/campaigns/new': 'New campaign',
      '/app/analytics': 'Analytics',
      '/app/orders': 'Orders',
      '/app/shop': 'Connect your shop',
      '/app/settings': 'Settings',
    };
    let title = titles[route.path];
    if (!title && /^\/app\/campaigns\/\d+\/edit$/.test(route.path)) title = 'Edit campaign';
    else if (!title && /^\/app\/campaigns\/\d+\/scorecard$/.test(route.path)) title = 'Scorecard';
    else if (!title && /^\/app\/campaigns\/\d+$/.test(route.path)) title = 'Campaign';
    // Issue 16.
    else if (!title && /^\/app\/campaigns\/\d+\/people$/.test(route.path)) title = 'People';
    else if (!title && /^\/app\/contacts\/\d+$/.test(route.path)) title = 'Contact';
    else if (!title && route.path === '/app/segments') title = 'Segments';
    else if (!title && route.path === '/app/webhooks') title = 'Webhooks'; // issue 19
    else if (!title && route.path === '/app/audit') title = 'Audit log';
    document.title = (title ? title + ' · ' : '') + 'tgr';
  }, [route.path]);

  if (redirect) return null;

  if (route.path === '/app/login') return <LoginView next={route.query.get('next')} />;

  const state: SessionState = { session, sessionError, refreshSession };
  let view;
  let m: RegExpExecArray | null;
  if (route.path === '/app/connect') view = <ConnectView state={state} />;
  else if (route.path === '/app/contacts') view = <ContactsView state={state} query={route.query} />;
  else if (route.path === '/app/campaigns') view = <CampaignsView />;
  else if (route.path === '/app/campaigns/new') view = <EditorView key={pageKey()} id={null} query={route.query} state={state} />;
  else if (route.path === '/app/analytics') view = <AnalyticsView />;
  else if (route.path === '/app/orders') view = <OrdersView />;
  else if (route.path === '/app/shop') view = <ShopView />;
  else if (route.path === '/app/settings') view = <SettingsView />;
  else if ((m = /^\/app\/campaigns\/(\d+)\/edit$/.exec(route.path))) view = <EditorView key={pageKey()} id={Number(m[1])} query={route.query} state={state} />;
  else if ((m = /^\/app\/campaigns\/(\d+)\/scorecard$/.exec(route.path))) view = <ScorecardView key={m[1]} id={Number(m[1])} />;
  else if ((m = /^\/app\/campaigns\/(\d+)$/.exec(route.path))) view = <MonitorView key={m[1]} id={Number(m[1])} state={state} />;
  // Issue 16: a campaign's people, a contact's page, saved segments.
  else if ((m = /^\/app\/campaigns\/(\d+)\/people$/.exec(route.path))) view = <PeopleView key={m[1]} id={Number(m[1])} query={route.query} />;
  else if ((m = /^\/app\/contacts\/(\d+)$/.exec(route.path))) view = <ContactView key={m[1]} id={Number(m[1])} query={route.query} />;
  else if (route.path === '/app/segments') view = <SegmentsView />;
  else if (route.path === '/app/webhooks') view = <WebhooksView />; // issue 19
  else if (route.path === '/app/audit') view = <AuditView />;
  else view = <NotFound />;
  return (
    <>
      <a class="skip-link" href="#main">
        Skip to content
      </a>
      <Header path={route.path} state={state} />
      {view}
    </>
  );
}

render(<App />, document.getElementById('app')!);
