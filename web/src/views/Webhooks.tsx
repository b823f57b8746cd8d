// The webhooks page (issue 19; API.md "Outgoing webhooks"; README "Webhooks"): the endpoints that
// hear about what happens in tgr — add one (its URL, the events it wants, a note), its secret shown
// once with a copy button, the list with how each one's latest delivery went, its recent
// deliveries (attempts, answer, next try), and delete (confirmed inline). The page's own docs say
// what a delivery looks like and how a receiver checks its signature, in Python and Node.
import { useEffect, useState } from 'preact/hooks';
import { ApiError, describeError } from '../api';
import { WEBHOOK_EVENTS, createWebhook, deleteWebhook, listDeliveries, listWebhooks, type Delivery, type NewWebhook, type Webhook, type WebhookEvent } from '../api-webhooks';
import { dateTime } from '../results/format';
import { ConfirmAction, CopyBlock, ShownOnce } from './Copy';
import { Field, FormError } from './Field';
import '../editor.css';
import '../shop.css';
import '../webhooks.css';

const PYTHON_CHECK = `import hashlib, hmac, time

def verify(secret: str, header: str, body: bytes, tolerance: int = 300) -> bool:
    """header: X-Tgr-Signature; body: the request's raw bytes."""
    parts = dict(p.split("=", 1) for p in header.split(",") if "=" in p)
    t, v1 = parts.get("t", ""), parts.get("v1", "")
    if not t.isdigit() or abs(time.time() - int(t)) > tolerance:
        return False  # missing, or too old: a replay
    mac = hmac.new(secret.encode(), t.encode() + b"." + body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(mac, v1)`;

const NODE_CHECK = `const crypto = require('node:crypto');

// header: X-Tgr-Signature; rawBody: the request's raw bytes (a Buffer), before any JSON parsing.
function verify(secret, header, rawBody, tolerance = 300) {
  const parts = Object.fromEntries(header.split(',').map((p) => p.split('=', 2)));
  if (!/^\\d+$/.test(parts.t ?? '') || Math.abs(Date.now() / 1000 - Number(parts.t)) > tolerance) return false;
  const mac = crypto.createHmac('sha256', secret).update(parts.t + '.').update(rawBody).digest('hex');
  return typeof parts.v1 === 'string' && parts.v1.length === mac.length && crypto.timingSafeEqual(Buffer.from(mac), Buffer.from(parts.v1));
}`;

const SAMPLE_BODY = `{"id": 4012, "type": "message.sent", "created_at": "2026-03-02T10:15:00.120Z", "account_id": 1,
 "data": {"campaign_id": 7, "contact_id": 311, "step": 0, "at": "2026-03-02T10:15:00.120Z",
          "telegram_message_id": 88213}}`;

const EVENT_LABEL: Record<string, string> = Object.fromEntries(WEBHOOK_EVENTS.map((e) => [e.type, e.label]));

function when(t: string | null): string {
  return t ? dateTime.format(new Date(t)) : '';
}

/** How the latest delivery went, in words, with a colour. */
function LastStatus({ hook }: { hook: Webhook }) {
  const code = hook.last_status_code != null ? ` (HTTP ${hook.last_status_code})` : hook.last_status === 'delivered' ? '' : ' (no answer)';
  let cls = 'badge badge-muted';
  let text = 'No deliveries yet';
  if (hook.last_status === 'delivered') {
    cls = 'badge badge-ok';
    text = 'Delivered' + code;
  } else if (hook.last_status === 'pending') {
    cls = 'badge badge-warn';
    text = 'Failing, trying again' + code;
  } else if (hook.last_status === 'failed') {
    cls = 'badge badge-bad';
    text = 'Gave up after 24 h' + code;
  }
  return (
    <span class={cls} data-testid="webhook-status" title={hook.last_attempt_at ? 'Last attempt ' + when(hook.last_attempt_at) : undefined}>
      <span class="dot" aria-hidden="true" />
      {text}
    </span>
  );
}

function DeliveriesTable({ id }: { id: number }) {
  const [rows, setRows] = useState<Delivery[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    listDeliveries(id).then(
      (r) => setRows(r.deliveries),
      (e) => setError(describeError(e)),
    );
  }, [id]);
  if (error) return <FormError message={error} />;
  if (!rows) return <p class="muted">Loading…</p>;
  if (rows.length === 0) return <p class="muted" data-testid="webhook-deliveries-empty">Nothing was sent to it yet: deliveries start with its first event.</p>;
  return (
    <div class="hook-deliveries-wrap">
      <table class="table hook-deliveries" data-testid="webhook-deliveries">
        <thead>
          <tr>
            <th scope="col">Event</th>
            <th scope="col">Status</th>
            <th scope="col" class="num">
              Attempts
            </th>
            <th scope="col">Last answer</th>
            <th scope="col">Next try</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((d) => (
            <tr key={d.id}>
              <td data-label="Event">
                <code>{d.type}</code> <span class="muted">#{d.event_id}</span>
                <div class="muted small">{when(d.created_at)}</div>
              </td>
              <td data-label="Status">{d.status === 'delivered' ? 'Delivered' : d.status === 'failed' ? 'Gave up' : 'Waiting'}</td>
              <td data-label="Attempts" class="num">
                {d.attempts}
              </td>
              <td data-label="Last answer">
                {d.last_status_code != null ? `HTTP ${d.last_status_code}` : d.attempts ? 'No answer' : '—'}
                {d.last_error && <div class="muted small">{d.last_error}</div>}
              </td>
              <td data-label="Next try">{d.next_attempt_at ? when(d.next_attempt_at) : '—'}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function WebhookItem({ hook, onDeleted }: { hook: Webhook; onDeleted: () => void }) {
  const [open, setOpen] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  async function remove() {
    setBusy(true);
    setError(null);
    try {
      await deleteWebhook(hook.id);
      onDeleted();
    } catch (e) {
      if (e instanceof ApiError && e.status === 404) onDeleted();
      else setError('The webhook was not deleted: ' + describeError(e));
    } finally {
      setBusy(false);
    }
  }
  return (
    <li class="card hook-item" data-testid="webhook-row" data-webhook-id={hook.id}>
      <div class="hook-head">
        <code class="wrap hook-url" data-testid="webhook-url-shown">
          {hook.url}
        </code>
        <LastStatus hook={hook} />
      </div>
      {hook.description && <p class="hook-note">{hook.description}</p>}
      <ul class="hook-events" aria-label="Events it gets">
        {hook.events.map((e) => (
          <li key={e} class="tag" title={EVENT_LABEL[e]}>
            {e}
          </li>
        ))}
      </ul>
      <p class="muted small">Added {when(hook.created_at)}</p>
      <FormError message={error} />
      <div class="actions">
        <button type="button" class="btn" aria-expanded={open} onClick={() => setOpen(!open)}>
          {open ? 'Hide deliveries' : 'Recent deliveries'}
        </button>
        <ConfirmAction
          label="Delete…"
          groupLabel={'Confirm deleting the webhook to ' + hook.url}
          warning="Nothing more is sent to it, and its waiting deliveries are dropped."
          action="Delete"
          busyAction="Deleting…"
          busy={busy}
          onConfirm={remove}
        />
      </div>
      {open && <DeliveriesTable id={hook.id} />}
    </li>
  );
}

type FormField = 'url' | 'events' | 'description';

function AddWebhook({ onCreated }: { onCreated: (h: NewWebhook) => void }) {
  const [url, setUrl] = useState('');
  const [events, setEvents] = useState<Set<WebhookEvent>>(new Set(WEBHOOK_EVENTS.map((e) => e.type)));
  const [description, setDescription] = useState('');
  const [errors, setErrors] = useState<Partial<Record<FormField, string>>>({});
  const [problem, setProblem] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  function toggle(t: WebhookEvent, on: boolean) {
    setEvents((old) => {
      const s = new Set(old);
      if (on) s.add(t);
      else s.delete(t);
      return s;
    });
  }

  async function save(ev: Event) {
    ev.preventDefault();
    const local: Partial<Record<FormField, string>> = {};
    const u = url.trim();
    if (!/^https?:\/\/[^/\s]+/i.test(u)) local.url = 'Enter the address of your receiver, starting with https:// (or http://).';
    if (events.size === 0) local.events = 'Pick at least one event.';
    setErrors(local);
    setProblem(null);
    if (Object.keys(local).length) return;
    setBusy(true);
    try {
      const order = WEBHOOK_EVENTS.map((e) => e.type).filter((t) => events.has(t));
      const created = await createWebhook(u, order, description.trim());
      setUrl('');
      setDescription('');
      onCreated(created);
    } catch (e) {
      if (e instanceof ApiError && e.status === 400 && (e.field === 'url' || e.field === 'events' || e.field === 'description'))
        setErrors({ [e.field]: e.message.replace(/^(url|events|description) /, 'It ') });
      else setProblem(describeError(e));
    } finally {
      setBusy(false);
    }
  }

  return (
    <section class="card" aria-labelledby="hook-add-h">
      <h2 id="hook-add-h">Add a webhook</h2>
      <form class="hook-form" noValidate onSubmit={save} data-testid="webhook-form">
        <Field id="hook-url" label="Receiver URL" error={errors.url ?? null} hint="Your server's address that takes a POST, e.g. https://crm.example.com/hooks/tgr. It must be reachable from the Internet.">
          {(a) => <input {...a} type="url" inputMode="url" value={url} maxLength={2048} autoComplete="off" spellcheck={false} placeholder="https://" onInput={(e) => setUrl(e.currentTarget.value)} />}
        </Field>
        <fieldset class={errors.events ? 'field has-error hook-events-pick' : 'field hook-events-pick'} aria-describedby={errors.events ? 'hook-events-error' : undefined}>
          <legend>Events it gets</legend>
          {WEBHOOK_EVENTS.map((e) => (
            <label key={e.type} class="check">
              <input type="checkbox" checked={events.has(e.type)} onChange={(ev) => toggle(e.type, ev.currentTarget.checked)} />
              <span>
                {e.label} <code class="muted">{e.type}</code>
              </span>
            </label>
          ))}
          {errors.events && (
            <p class="field-error" id="hook-events-error" role="alert">
              {errors.events}
            </p>
          )}
        </fieldset>
        <Field id="hook-note" label="Note (optional)" error={errors.description ?? null} hint="Only you see it, e.g. “CRM” or “Google Sheet via Zapier”.">
          {(a) => <input {...a} type="text" value={description} maxLength={500} autoComplete="off" onInput={(e) => setDescription(e.currentTarget.value)} />}
        </Field>
        <FormError message={problem} />
        <div class="actions">
          <button type="submit" class="btn btn-primary" disabled={busy} data-testid="webhook-save">
            {busy ? 'Adding…' : 'Add webhook'}
          </button>
        </div>
      </form>
    </section>
  );
}

function Docs({ open, onToggle }: { open: boolean; onToggle: (open: boolean) => void }) {
  return (
    <details id="webhook-docs" class="card hook-docs" open={open} onToggle={(e) => onToggle((e.currentTarget as HTMLDetailsElement).open)}>
      <summary>
        <h2>How deliveries look, and how to check them</h2>
      </summary>
      <p>
        Each event is a <code>POST</code> of JSON to your URL with the headers <code>X-Tgr-Event</code> (its type), <code>X-Tgr-Delivery</code> (an id of
        this delivery) and <code>X-Tgr-Signature: t=&lt;unix seconds&gt;,v1=&lt;hex&gt;</code>, where <code>v1</code> is the HMAC-SHA256 of{' '}
        <code>t + "." + the raw body</code> keyed with the webhook's secret. Check it before you trust the body, and refuse an old <code>t</code>.
      </p>
      <pre class="code">{SAMPLE_BODY}</pre>
      <p>
        Answer with any <strong>2xx</strong> within <strong>10 seconds</strong>. Anything else — an error, a redirect, no answer — is tried again after 30 s,
        1 min, 2 min and so on, doubling, for 24 hours. The same event keeps its <code>id</code> on every try, so store the ids you have handled and skip a
        repeat. Webhooks are only sent to public addresses.
      </p>
      <CopyBlock label="Check a signature in Python" text={PYTHON_CHECK} testid="webhook-docs-python" />
      <CopyBlock label="Check a signature in Node.js" text={NODE_CHECK} />
    </details>
  );
}

export function WebhooksView() {
  const [hooks, setHooks] = useState<Webhook[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [created, setCreated] = useState<NewWebhook | null>(null);
  const [docsOpen, setDocsOpen] = useState(false);

  async function load() {
    try {
      setHooks((await listWebhooks()).webhooks);
      setError(null);
    } catch (e) {
      setError(describeError(e));
    }
  }
  useEffect(() => {
    void load();
  }, []);

  return (
    <main class="page" id="main">
      <div class="page-head">
        <h1>Webhooks</h1>
        <a
          class="btn"
          href="#webhook-docs"
          onClick={() => {
            setDocsOpen(true);
          }}
        >
          How to receive them
        </a>
      </div>
      <p class="muted">
        Tell your other systems — a CRM, a helpdesk, a spreadsheet through a no-code tool — what happens here: messages sent, read and replied to, clicks, credited
        orders, opt-outs and campaigns starting or ending. tgr sends each event to every webhook that asked for it.
      </p>
      {created && (
        <ShownOnce
          testid="webhook-secret-shown"
          headline="Copy the signing secret now: it is shown only this once."
          advice={'Your receiver uses it to check that a delivery comes from tgr (see “How to receive them”). Lost? Delete the webhook and add it again.'}
          id="hook-secret"
          label="Signing secret"
          value={created.secret}
          valueTestid="webhook-secret-value"
          onDone={() => setCreated(null)}
        />
      )}
      <AddWebhook
        onCreated={(h) => {
          setCreated(h);
          void load();
        }}
      />
      <FormError message={error} />
      <section aria-labelledby="hook-list-h" data-loaded={hooks ? 'webhooks' : undefined}>
        <h2 id="hook-list-h" class="section-title">
          Your webhooks
        </h2>
        {hooks && hooks.length === 0 && (
          <div class="card empty" data-testid="webhooks-empty">
            <p>
              <strong>No webhooks yet.</strong> Add one above to start receiving events.
            </p>
          </div>
        )}
        <ul class="hook-list">
          {(hooks ?? []).map((h) => (
            <WebhookItem key={h.id} hook={h} onDeleted={() => setHooks((old) => (old ?? []).filter((x) => x.id !== h.id))} />
          ))}
        </ul>
      </section>
      <Docs open={docsOpen} onToggle={setDocsOpen} />
    </main>
  );
}
