// The audit log page (issue 19 item 3; API.md "Audit log"; docs/DECISIONS.md 70): who did what on
// the account, newest first — logins, the Telegram connection, campaign, segment and webhook
// changes, a person's export, erasure and opt-outs, settings and key rotations — with the client's
// address, paged with "Show older". Entries cannot be changed; nothing personal is in them.
import { Fragment, type ComponentChildren } from 'preact';
import { useEffect } from 'preact/hooks';
import { fieldName } from '../api.i18n';
import { listAudit, type AuditEntry } from '../api-privacy';
import { lang } from '../i18n';
import { dateTime, when } from '../results/format';
import { usePaged } from '../results/usePaged';
import { onLinkClick } from '../router';
import { FormError } from './Field';
import '../shop.css';
import '../audit.css';
import { ACTIONS, ACTORS, BARE_TARGETS, DETAIL_KEYS, DETAIL_VALUES, M } from './Audit.i18n';

const PAGE = 50;

/** Where an entry's target lives in the app, if anywhere; `raw`: shown as the server wrote it. */
function targetLink(target: string | null): { href: string | null; text: string; raw?: boolean } | null {
  if (!target) return null;
  const m = /^([a-z_]+):(\d+)$/.exec(target);
  if (!m) {
    const bare = (BARE_TARGETS() as Record<string, string>)[target];
    return bare ? { href: null, text: bare } : { href: null, text: target, raw: true };
  }
  const [, kind, id] = m;
  switch (kind) {
    case 'campaign':
      return { href: `/app/campaigns/${id}`, text: M().campaign(id) };
    case 'contact':
      return { href: `/app/contacts/${id}`, text: M().contact(id) };
    case 'segment':
      return { href: '/app/segments', text: M().segment(id) };
    case 'account':
      return { href: null, text: M().thisAccount };
    default:
      return { href: null, text: target, raw: true };
  }
}

/** One detail's value: words for booleans and codes the app knows, else as it came (user data:
 *  a time zone, a host, event codes, numbers). */
function detailValue(k: string, v: unknown): ComponentChildren {
  if (typeof v === 'boolean') return v ? M().yes : M().no;
  const ru = lang() === 'ru';
  if (ru && k === 'fields' && Array.isArray(v)) return v.map((f) => fieldName(String(f))).join(', ');
  if (ru && k === 'start_at' && typeof v === 'string' && !Number.isNaN(Date.parse(v))) return dateTime.format(new Date(v));
  if (typeof v === 'string' && (k === 'outcome' || k === 'source' || k === 'status')) {
    const word = (DETAIL_VALUES() as Record<string, string>)[v];
    if (word) return word;
  }
  return <span translate={false}>{Array.isArray(v) ? v.join(', ') : String(v)}</span>;
}

/** The details as short "key: value" pieces (they hold field names, outcomes and settings only). */
function Details({ d }: { d: Record<string, unknown> }) {
  const keys = DETAIL_KEYS() as Record<string, string>;
  return (
    <span>
      {Object.entries(d).map(([k, v], i) => (
        <Fragment key={k}>
          {i > 0 && ' · '}
          {keys[k] ?? k.replace(/_/g, ' ')}: {detailValue(k, v)}
        </Fragment>
      ))}
    </span>
  );
}

function Row({ e }: { e: AuditEntry }) {
  const t = targetLink(e.target);
  const failed = e.action === 'auth.login_failed' || (typeof e.details.outcome === 'string' && !['connected', 'code_sent', 'changed'].includes(e.details.outcome));
  const m = M();
  const actor = (ACTORS() as Record<string, string>)[e.actor];
  const action = (ACTIONS() as Record<string, string>)[e.action];
  return (
    <tr data-testid="audit-row" data-action={e.action}>
      <td data-label={m.when} class="at">
        <time dateTime={e.at} title={dateTime.format(new Date(e.at))}>
          {when(e.at)}
        </time>
      </td>
      <td data-label={m.who}>
        {actor ?? <span translate={false}>{e.actor}</span>}
        {e.ip && (
          <span class="ip muted">
            {m.from}
            <span translate={false}>{e.ip}</span>
          </span>
        )}
      </td>
      <td data-label={m.what} class={failed ? 'what bad-text' : 'what'}>
        {action ?? <span translate={false}>{e.action}</span>}
      </td>
      <td data-label={m.on} class="on">
        {t ? (
          t.href ? (
            <a href={t.href} onClick={onLinkClick}>
              {t.text}
            </a>
          ) : t.raw ? (
            <span translate={false}>{t.text}</span>
          ) : (
            t.text
          )
        ) : (
          <span class="muted">—</span>
        )}
      </td>
      <td data-label={m.details} class="details muted">
        <Details d={e.details} />
      </td>
    </tr>
  );
}

export function AuditView() {
  const log = usePaged<AuditEntry, number>(async (after) => {
    const p = await listAudit(PAGE, after);
    return { items: p.entries, next: p.next_after };
  }, 'audit');
  const { items, next, loading, error, load } = log;
  useEffect(() => {
    void load(null);
  }, []);

  const m = M();
  return (
    <main class="page" id="main">
      <div class="page-head">
        <h1>{m.title}</h1>
      </div>
      <p class="muted">{m.intro}</p>
      <FormError message={error} />
      <section class="card card-flush" data-loaded={items !== null ? 'audit' : undefined}>
        {items !== null && items.length === 0 && !error ? (
          <div class="empty">
            <p>{m.nothing}</p>
          </div>
        ) : (
          <table class="table audit" data-testid="audit-table">
            <thead>
              <tr>
                <th scope="col">{m.when}</th>
                <th scope="col">{m.who}</th>
                <th scope="col">{m.what}</th>
                <th scope="col">{m.on}</th>
                <th scope="col">{m.details}</th>
              </tr>
            </thead>
            <tbody>{(items ?? []).map((e) => <Row key={e.id} e={e} />)}</tbody>
          </table>
        )}
        {next != null && (
          <div class="list-foot">
            <button type="button" class="btn" onClick={() => void load(next)} disabled={loading} data-testid="audit-more">
              {loading ? m.loading : m.older}
            </button>
          </div>
        )}
      </section>
    </main>
  );
}
