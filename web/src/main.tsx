import { render } from 'preact';
import { useCallback, useEffect, useState } from 'preact/hooks';
import './styles.css';
import { ApiError, clearToken, getEmail, getSession, getToken, type Session } from './api';
import { navigate, onLinkClick, pageKey, useRoute } from './router';
import { messages, useLang } from './i18n';
import { LangSwitch } from './LangSwitch';
import { LoginView } from './views/Login';
import { lazyView } from './lazy';

// Every view but the login page is a chunk of its own, fetched when its route is first shown
// (lazy.tsx): Chart.js comes with Analytics and Quill with the editor, never with the first page.
const ConnectView = lazyView(() => import('./views/Connect').then((v) => v.ConnectView));
const ContactsView = lazyView(() => import('./views/Contacts').then((v) => v.ContactsView));
const CampaignsView = lazyView(() => import('./views/Campaigns').then((v) => v.CampaignsView));
const EditorView = lazyView(() => import('./views/Editor').then((v) => v.EditorView));
const MonitorView = lazyView(() => import('./views/Monitor').then((v) => v.MonitorView));
const ScorecardView = lazyView(() => import('./views/Scorecard').then((v) => v.ScorecardView));
const AnalyticsView = lazyView(() => import('./views/Analytics').then((v) => v.AnalyticsView));
// the shop's side (issue 17)
const OrdersView = lazyView(() => import('./views/Orders').then((v) => v.OrdersView));
const SettingsView = lazyView(() => import('./views/Settings').then((v) => v.SettingsView));
const ShopView = lazyView(() => import('./views/Shop').then((v) => v.ShopView));
// Issue 16: results per person, contact pages, saved segments.
const PeopleView = lazyView(() => import('./views/People').then((v) => v.PeopleView));
const ContactView = lazyView(() => import('./views/Contact').then((v) => v.ContactView));
const SegmentsView = lazyView(() => import('./views/Segments').then((v) => v.SegmentsView));
// Issue 19: outgoing webhooks and the audit log.
const WebhooksView = lazyView(() => import('./views/Webhooks').then((v) => v.WebhooksView));
const AuditView = lazyView(() => import('./views/Audit').then((v) => v.AuditView));

const M = messages(
  {
    checking: 'Telegram: checking…',
    unknown: 'Telegram: status unknown',
    frozen: 'Telegram: frozen → appeal',
    connected: 'Telegram: connected',
    invalid: 'Telegram: invalid → reconnect',
    notConnected: 'Telegram: not connected',
    simulated: 'Simulated Telegram',
    simulatedTitle: 'No real messages leave this server',
    navContacts: 'Contacts',
    navCampaigns: 'Campaigns',
    navSegments: 'Segments',
    navAnalytics: 'Analytics',
    navOrders: 'Orders',
    navTelegram: 'Telegram',
    navSettings: 'Settings',
    navWebhooks: 'Webhooks',
    navAudit: 'Audit log',
    mainNav: 'Main',
    logOut: 'Log out',
    logOutWho: (email: string) => 'Log out ' + email,
    notFound: 'Page not found',
    goContacts: 'Go to contacts',
    skip: 'Skip to content',
    tLogin: 'Log in',
    tConnect: 'Connect Telegram',
    tNewCampaign: 'New campaign',
    tShop: 'Connect your shop',
    tEdit: 'Edit campaign',
    tScorecard: 'Scorecard',
    tCampaign: 'Campaign',
    tPeople: 'People',
    tContact: 'Contact',
  },
  {
    checking: 'Telegram: проверка…',
    unknown: 'Telegram: состояние неизвестно',
    frozen: 'Telegram: заморожен → обжаловать',
    connected: 'Telegram: подключён',
    invalid: 'Telegram: сессия недействительна → переподключить',
    notConnected: 'Telegram: не подключён',
    simulated: 'Симулятор Telegram',
    simulatedTitle: 'Настоящие сообщения с этого сервера не уходят',
    navContacts: 'Контакты',
    navCampaigns: 'Кампании',
    navSegments: 'Сегменты',
    navAnalytics: 'Аналитика',
    navOrders: 'Заказы',
    navTelegram: 'Telegram',
    navSettings: 'Настройки',
    navWebhooks: 'Вебхуки',
    navAudit: 'Журнал действий',
    mainNav: 'Главное меню',
    logOut: 'Выйти',
    logOutWho: (email: string) => 'Выйти из ' + email,
    notFound: 'Страница не найдена',
    goContacts: 'К контактам',
    skip: 'Перейти к содержимому',
    tLogin: 'Вход',
    tConnect: 'Подключение Telegram',
    tNewCampaign: 'Новая кампания',
    tShop: 'Подключение магазина',
    tEdit: 'Редактирование кампании',
    tScorecard: 'Итоги',
    tCampaign: 'Кампания',
    tPeople: 'Люди',
    tContact: 'Контакт',
  },
);

export interface SessionState {
  session: Session | null;
  /** Set when GET /session itself failed (network, 503…). */
  sessionError: string | null;
  refreshSession: () => Promise<Session | null>;
}

function StatusBadge({ session, error }: { session: Session | null; error: string | null }) {
  const m = M();
  let cls = 'badge badge-muted';
  let text = m.checking;
  let link = false;
  if (error) {
    cls = 'badge badge-warn';
    text = m.unknown;
  } else if (session) {
    switch (session.status) {
      case 'connected':
        if (session.frozen) {
          cls = 'badge badge-bad';
          text = m.frozen;
          link = true;
        } else {
          cls = 'badge badge-ok';
          text = m.connected;
        }
        break;
      case 'invalid':
        cls = 'badge badge-bad';
        text = m.invalid;
        link = true;
        break;
      default:
        cls = 'badge badge-muted';
        text = m.notConnected;
        link = true;
    }
  }
  // On the simulator the badge says so in every state (issue 18): nothing real leaves the server.
  if (session?.simulator) text = text.replace(/^Telegram:/, m.simulated + ':');
  const dot = <span class="dot" aria-hidden="true" />;
  if (link)
    return (
      <a class={cls + ' badge-link'} href="/app/connect" onClick={onLinkClick} data-testid="tg-status" data-simulated={session?.simulator ? 'true' : undefined} title={error ?? undefined}>
        {dot}
        {text}
      </a>
    );
  return (
    <span class={cls} data-testid="tg-status" data-simulated={session?.simulator ? 'true' : undefined} role="status" title={error ?? (session?.simulator ? m.simulatedTitle : undefined)}>
      {dot}
      {text}
    </span>
  );
}

const NAV = [
  { href: '/app/contacts', label: 'navContacts' },
  { href: '/app/campaigns', label: 'navCampaigns' },
  { href: '/app/segments', label: 'navSegments' }, // issue 16
  { href: '/app/analytics', label: 'navAnalytics' },
  { href: '/app/orders', label: 'navOrders' },
  { href: '/app/connect', label: 'navTelegram' },
  { href: '/app/settings', label: 'navSettings' },
  { href: '/app/webhooks', label: 'navWebhooks' }, // issue 19
  { href: '/app/audit', label: 'navAudit' }, // issue 19
] as const;

function Header({ path, state }: { path: string; state: SessionState }) {
  const email = getEmail();
  const m = M();
  return (
    <header class="topbar">
      <div class="topbar-inner">
        <a class="brand" href="/app/contacts" onClick={onLinkClick}>
          tgr
        </a>
        <nav class="nav" aria-label={m.mainNav}>
          {NAV.map((n) => (
            <a
              key={n.href}
              href={n.href}
              onClick={onLinkClick}
              class={path === n.href || path.startsWith(n.href + '/') ? 'nav-link active' : 'nav-link'}
              aria-current={path === n.href ? 'page' : undefined}
            >
              {m[n.label]}
            </a>
          ))}
        </nav>
        <div class="topbar-end">
          <StatusBadge session={state.session} error={state.sessionError} />
          <LangSwitch />
          <button
            type="button"
            class="btn btn-ghost btn-sm"
            title={email ? m.logOutWho(email) : m.logOut}
            onClick={() => {
              clearToken();
              navigate('/app/login', { replace: true });
            }}
          >
            {m.logOut}
          </button>
        </div>
      </div>
    </header>
  );
}

function NotFound() {
  return (
    <main class="page" id="main">
      <div class="card">
        <h1>{M().notFound}</h1>
        <p>
          <a href="/app/contacts" onClick={onLinkClick}>
            {M().goContacts}
          </a>
        </p>
      </div>
    </main>
  );
}

function App() {
  const route = useRoute();
  const language = useLang(); // a switch re-renders the whole tree in the new language
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
    const m = M();
    const titles: Record<string, string> = {
      '/app/login': m.tLogin,
      '/app/connect': m.tConnect,
      '/app/contacts': m.navContacts,
      '/app/campaigns': m.navCampaigns,
      '/app/campaigns/new': m.tNewCampaign,
      '/app/analytics': m.navAnalytics,
      '/app/orders': m.navOrders,
      '/app/shop': m.tShop,
      '/app/settings': m.navSettings,
    };
    let title = titles[route.path];
    if (!title && /^\/app\/campaigns\/\d+\/edit$/.test(route.path)) title = m.tEdit;
    else if (!title && /^\/app\/campaigns\/\d+\/scorecard$/.test(route.path)) title = m.tScorecard;
    else if (!title && /^\/app\/campaigns\/\d+$/.test(route.path)) title = m.tCampaign;
    // Issue 16.
    else if (!title && /^\/app\/campaigns\/\d+\/people$/.test(route.path)) title = m.tPeople;
    else if (!title && /^\/app\/contacts\/\d+$/.test(route.path)) title = m.tContact;
    else if (!title && route.path === '/app/segments') title = m.navSegments;
    else if (!title && route.path === '/app/webhooks') title = m.navWebhooks; // issue 19
    else if (!title && route.path === '/app/audit') title = m.navAudit;
    document.title = (title ? title + ' · ' : '') + 'tgr';
  }, [route.path, language]);

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
        {M().skip}
      </a>
      <Header path={route.path} state={state} />
      {view}
    </>
  );
}

render(<App />, document.getElementById('app')!);
