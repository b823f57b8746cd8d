// The webhooks page (issue 19; API.md "Outgoing webhooks"; README "Webhooks"): the endpoints that
// hear about what happens in tgr — add one (its URL, the events it wants, a note), its secret shown
// once with a copy button, the list with how each one's latest delivery went, its recent
// deliveries (attempts, answer, next try), and delete (confirmed inline). The page's own docs say
// what a delivery looks like and how a receiver checks its signature, in Python and Node.
import { useEffect, useState } from 'preact/hooks';
import { ApiError, describeError } from '../api';
import {
  WEBHOOK_EVENTS,
  createWebhook,
  deleteWebhook,
  eventLabel,
  eventWord,
  listDeliveries,
  listWebhooks,
  type Delivery,
  type NewWebhook,
  type Webhook,
  type WebhookEvent,
} from '../api-webhooks';
import { dateTime } from '../results/format';
import { ConfirmAction, CopyBlock, ShownOnce } from './Copy';
import { Field, FormError } from './Field';
import { M, deliveryError, fieldError } from './Webhooks.i18n';
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

function when(t: string | null): string {
  return t ? dateTime.format(new Date(t)) : '';
}

/** An event's code (user-visible as the server names it), with a word for it in Russian. */
function EventName({ type, plain }: { type: string; plain?: boolean }) {
  const word = eventWord(type);
  const code = plain ? <span translate={false}>{type}</span> : <code translate={false}>{type}</code>;
  return word ? (
    <>
      {word} <span class="muted">{code}</span>
    </>
  ) : (
    code
  );
}

/** How the latest delivery went, in words, with a colour. */
function LastStatus({ hook }: { hook: Webhook }) {
  const m = M();
  const code = hook.last_status_code != null ? m.httpCode(hook.last_status_code) : hook.last_status === 'delivered' ? '' : m.noAnswerParen;
  let cls = 'badge badge-muted';
  let text = m.noDeliveries;
  if (hook.last_status === 'delivered') {
    cls = 'badge badge-ok';
    text = m.delivered + code;
  } else if (hook.last_status === 'pending') {
    cls = 'badge badge-warn';
    text = m.failing + code;
  } else if (hook.last_status === 'failed') {
    cls = 'badge badge-bad';
    text = m.gaveUp24 + code;
  }
  return (
    <span class={cls} data-testid="webhook-status" title={hook.last_attempt_at ? m.lastAttempt(when(hook.last_attempt_at)) : undefined}>
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
  const m = M();
  if (error) return <FormError message={error} />;
  if (!rows) return <p class="muted">{m.loading}</p>;
  if (rows.length === 0) return <p class="muted" data-testid="webhook-deliveries-empty">{m.deliveriesEmpty}</p>;
  return (
    <div class="hook-deliveries-wrap">
      <table class="table hook-deliveries" data-testid="webhook-deliveries">
        <thead>
          <tr>
            <th scope="col">{m.event}</th>
            <th scope="col">{m.status}</th>
            <th scope="col" class="num">
              {m.attempts}
            </th>
            <th scope="col">{m.lastAnswer}</th>
            <th scope="col">{m.nextTry}</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((d) => (
            <tr key={d.id}>
              <td data-label={m.event}>
                <EventName type={d.type} /> <span class="muted">#{d.event_id}</span>
                <div class="muted small">{when(d.created_at)}</div>
              </td>
              <td data-label={m.status}>{d.status === 'delivered' ? m.delivered : d.status === 'failed' ? m.gaveUp : m.waiting}</td>
              <td data-label={m.attempts} class="num">
                {d.attempts}
              </td>
              <td data-label={m.lastAnswer}>
                {d.last_status_code != null ? `HTTP ${d.last_status_code}` : d.attempts ? m.noAnswer : '—'}
                {d.last_error && <LastError e={d.last_error} />}
              </td>
              <td data-label={m.nextTry}>{d.next_attempt_at ? when(d.next_attempt_at) : '—'}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** A delivery's last error as the current language says it; a host it names is user data. */
function LastError({ e }: { e: string }) {
  const d = deliveryError(e);
  return (
    <div class="muted small" lang={d.english ? 'en' : undefined}>
      {d.text}
      {d.host != null && <span translate={false}>{d.host}</span>}
      {d.after}
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
      else setError(M().notDeleted + describeError(e));
    } finally {
      setBusy(false);
    }
  }
  const m = M();
  return (
    <li class="card hook-item" data-testid="webhook-row" data-webhook-id={hook.id}>
      <div class="hook-head">
        <code class="wrap hook-url" data-testid="webhook-url-shown" translate={false}>
          {hook.url}
        </code>
        <LastStatus hook={hook} />
      </div>
      {hook.description && (
        <p class="hook-note" translate={false}>
          {hook.description}
        </p>
      )}
      <ul class="hook-events" aria-label={m.eventsItGets}>
        {hook.events.map((e) => (
          <li key={e} class="tag" title={eventLabel(e)}>
            <EventName type={e} plain />
          </li>
        ))}
      </ul>
      <p class="muted small">{m.added(when(hook.created_at))}</p>
      <FormError message={error} />
      <div class="actions">
        <button type="button" class="btn" aria-expanded={open} onClick={() => setOpen(!open)}>
          {open ? m.hideDeliveries : m.recentDeliveries}
        </button>
        <ConfirmAction
          label={m.deleteAsk}
          groupLabel={m.deleteGroup(hook.url)}
          warning={m.deleteWarning}
          action={m.delete}
          busyAction={m.deleting}
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
    if (!/^https?:\/\/[^/\s]+/i.test(u)) local.url = M().urlLocal;
    if (events.size === 0) local.events = M().eventsLocal;
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
        setErrors({ [e.field]: fieldError(e.field, e.serverMessage) });
      else setProblem(describeError(e));
    } finally {
      setBusy(false);
    }
  }

  const m = M();
  return (
    <section class="card" aria-labelledby="hook-add-h">
      <h2 id="hook-add-h">{m.addTitle}</h2>
      <form class="hook-form" noValidate onSubmit={save} data-testid="webhook-form">
        <Field
          id="hook-url"
          label={m.urlLabel}
          error={errors.url ?? null}
          hint={
            <>
              {m.urlHintBefore}
              <span translate={false}>POST</span>
              {m.urlHint}
            </>
          }
        >
          {(a) => <input {...a} type="url" inputMode="url" value={url} maxLength={2048} autoComplete="off" spellcheck={false} placeholder="https://" onInput={(e) => setUrl(e.currentTarget.value)} />}
        </Field>
        <fieldset class={errors.events ? 'field has-error hook-events-pick' : 'field hook-events-pick'} aria-describedby={errors.events ? 'hook-events-error' : undefined}>
          <legend>{m.eventsItGets}</legend>
          {WEBHOOK_EVENTS.map((e) => (
            <label key={e.type} class="check">
              <input type="checkbox" checked={events.has(e.type)} onChange={(ev) => toggle(e.type, ev.currentTarget.checked)} />
              <span>
                {eventLabel(e.type)}{' '}
                <code class="muted" translate={false}>
                  {e.type}
                </code>
              </span>
            </label>
          ))}
          {errors.events && (
            <p class="field-error" id="hook-events-error" role="alert">
              {errors.events}
            </p>
          )}
        </fieldset>
        <Field id="hook-note" label={m.noteLabel} error={errors.description ?? null} hint={m.noteHint}>
          {(a) => <input {...a} type="text" value={description} maxLength={500} autoComplete="off" onInput={(e) => setDescription(e.currentTarget.value)} />}
        </Field>
        <FormError message={problem} />
        <div class="actions">
          <button type="submit" class="btn btn-primary" disabled={busy} data-testid="webhook-save">
            {busy ? m.adding : m.add}
          </button>
        </div>
      </form>
    </section>
  );
}

function Docs({ open, onToggle }: { open: boolean; onToggle: (open: boolean) => void }) {
  const m = M();
  return (
    <details id="webhook-docs" class="card hook-docs" open={open} onToggle={(e) => onToggle((e.currentTarget as HTMLDetailsElement).open)}>
      <summary>
        <h2>{m.docsTitle}</h2>
      </summary>
      <p>
        {m.d1}
        <code translate={false}>POST</code>
        {m.d2}
        <code translate={false}>X-Tgr-Event</code>
        {m.d3}
        <code translate={false}>X-Tgr-Delivery</code>
        {m.d4}
        <code>{m.sigFormat}</code>
        {m.d5}
        <code translate={false}>v1</code>
        {m.d6}
        <code>{m.signedText}</code>
        {m.d7}
        <code translate={false}>t</code>.
      </p>
      <pre class="code" translate={false}>
        {SAMPLE_BODY}
      </pre>
      <p>
        {m.a1}
        <strong translate={false}>2xx</strong>
        {m.a2}
        <strong>{m.a3}</strong>
        {m.a4}
        <code translate={false}>id</code>
        {m.a5}
      </p>
      <CopyBlock label={m.checkPython} text={PYTHON_CHECK} testid="webhook-docs-python" />
      <CopyBlock label={m.checkNode} text={NODE_CHECK} />
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

  const m = M();
  return (
    <main class="page" id="main">
      <div class="page-head">
        <h1>{m.title}</h1>
        <a
          class="btn"
          href="#webhook-docs"
          onClick={() => {
            setDocsOpen(true);
          }}
        >
          {m.howToReceive}
        </a>
      </div>
      <p class="muted">{m.intro}</p>
      {created && (
        <ShownOnce
          testid="webhook-secret-shown"
          headline={m.secretHeadline}
          advice={m.secretAdvice}
          id="hook-secret"
          label={m.secretLabel}
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
          {m.yours}
        </h2>
        {hooks && hooks.length === 0 && (
          <div class="card empty" data-testid="webhooks-empty">
            <p>
              <strong>{m.empty}</strong>
              {m.emptyAdd}
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
