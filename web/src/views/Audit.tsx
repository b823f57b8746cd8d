// The audit log page (issue 19 item 3; API.md "Audit log"; docs/DECISIONS.md 70): who did what on
// the account, newest first — logins, the Telegram connection, campaign, segment and webhook
// changes, a person's export, erasure and opt-outs, settings and key rotations — with the client's
// address, paged with "Show older". Entries cannot be changed; nothing personal is in them.
import { useEffect } from 'preact/hooks';
import { listAudit, type AuditEntry } from '../api-privacy';
import { dateTime, when } from '../results/format';
import { usePaged } from '../results/usePaged';
import { onLinkClick } from '../router';
import { FormError } from './Field';
import '../shop.css';
import '../audit.css';

const PAGE = 50;

const ACTION_WORDS: Record<string, string> = {
  'auth.login': 'Logged in',
  'auth.login_failed': 'Failed login',
  'auth.logout_all': 'Signed out everywhere',
  'session.connect': 'Telegram: code requested',
  'session.verify': 'Telegram: login',
  'session.logout': 'Telegram: disconnected',
  'campaign.create': 'Campaign created',
  'campaign.update': 'Campaign changed',
  'campaign.schedule': 'Campaign scheduled',
  'campaign.unschedule': 'Campaign unscheduled',
  'campaign.start': 'Campaign started',
  'campaign.pause': 'Campaign paused',
  'campaign.resume': 'Campaign resumed',
  'campaign.cancel': 'Campaign cancelled',
  'campaign.delete': 'Campaign deleted',
  'segment.create': 'Segment created',
  'segment.update': 'Segment changed',
  'segment.delete': 'Segment deleted',
  'webhook.create': 'Webhook added',
  'webhook.delete': 'Webhook deleted',
  'contact.export': 'Person exported',
  'contact.erase': 'Person erased',
  'contact.opt_out': 'Opted out',
  'contact.opt_in': 'Opted back in',
  'account.update': 'Settings changed',
  'account.password_change': 'Password change',
  'account.api_key_rotate': 'New API key',
  'account.webhook_secret_rotate': 'New webhook secret',
  'keys.rotate': 'Master key rotated',
};

/** user: a login (the web app, or a script with a token); api_key: X-API-Key; system: tgr itself. */
const ACTOR_WORDS: Record<string, string> = { user: 'You', api_key: 'API key', system: 'tgr' };

/** Where an entry's target lives in the app, if anywhere. */
function targetLink(target: string | null): { href: string | null; text: string } | null {
  if (!target) return null;
  const m = /^([a-z_]+):(\d+)$/.exec(target);
  if (!m) return { href: null, text: target };
  const [, kind, id] = m;
  switch (kind) {
    case 'campaign':
      return { href: `/app/campaigns/${id}`, text: `Campaign #${id}` };
    case 'contact':
      return { href: `/app/contacts/${id}`, text: `Contact #${id}` };
    case 'segment':
      return { href: '/app/segments', text: `Segment #${id}` };
    case 'account':
      return { href: null, text: 'This account' };
    default:
      return { href: null, text: target };
  }
}

/** The details as short "key: value" pieces (they hold field names, outcomes and settings only). */
function detailText(d: Record<string, unknown>): string {
  return Object.entries(d)
    .map(([k, v]) => `${k.replace(/_/g, ' ')}: ${Array.isArray(v) ? v.join(', ') : String(v)}`)
    .join(' · ');
}

function Row({ e }: { e: AuditEntry }) {
  const t = targetLink(e.target);
  const failed = e.action === 'auth.login_failed' || (typeof e.details.outcome === 'string' && !['connected', 'code_sent', 'changed'].includes(e.details.outcome));
  return (
    <tr data-testid="audit-row" data-action={e.action}>
      <td data-label="When">
        <time dateTime={e.at} title={dateTime.format(new Date(e.at))}>
          {when(e.at)}
        </time>
      </td>
      <td data-label="Who">
        {ACTOR_WORDS[e.actor] ?? e.actor}
        {e.ip && <span class="ip muted">from {e.ip}</span>}
      </td>
      <td data-label="What" class={failed ? 'bad-text' : undefined}>
        {ACTION_WORDS[e.action] ?? e.action}
      </td>
      <td data-label="On">
        {t ? (
          t.href ? (
            <a href={t.href} onClick={onLinkClick}>
              {t.text}
            </a>
          ) : (
            t.text
          )
        ) : (
          <span class="muted">—</span>
        )}
      </td>
      <td data-label="Details" class="muted">
        {detailText(e.details)}
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

  return (
    <main class="page" id="main">
      <div class="page-head">
        <h1>Audit log</h1>
      </div>
      <p class="muted">
        Who did what on this account, newest first. Entries are kept for good and cannot be changed; they never hold passwords, login codes, messages or
        anything about your customers.
      </p>
      <FormError message={error} />
      <section class="card card-flush" data-loaded={items !== null ? 'audit' : undefined}>
        {items !== null && items.length === 0 && !error ? (
          <div class="empty">
            <p>Nothing recorded yet.</p>
          </div>
        ) : (
          <table class="table audit" data-testid="audit-table">
            <thead>
              <tr>
                <th scope="col">When</th>
                <th scope="col">Who</th>
                <th scope="col">What</th>
                <th scope="col">On</th>
                <th scope="col">Details</th>
              </tr>
            </thead>
            <tbody>{(items ?? []).map((e) => <Row key={e.id} e={e} />)}</tbody>
          </table>
        )}
        {next != null && (
          <div class="list-foot">
            <button type="button" class="btn" onClick={() => void load(next)} disabled={loading} data-testid="audit-more">
              {loading ? 'Loading…' : 'Show older'}
            </button>
          </div>
        )}
      </section>
    </main>
  );
}
