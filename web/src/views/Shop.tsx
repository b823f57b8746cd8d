// "Connect your shop" (issue 17): what a shop owner who is not a developer needs to get orders into
// tgr — the webhook address to paste into the shop's system, the secret (made or remade here,
// shown once), the exact headers and a ready curl example signed for this account, a "Send a test
// order" button that sends a signed sample through the real webhook and shows it arriving (test
// orders are marked and never count as revenue), and the CSV import: drag and drop, a progress
// bar while the file uploads and while the server reads it, and the lines it refused and why.
import { useEffect, useRef, useState } from 'preact/hooks';
import { describeError } from '../api';
import { getAccount } from '../api-campaigns';
import {
  curlCommand,
  getWebhookExample,
  importOrders,
  importProgress,
  listOrders,
  newWebhookSecret,
  sendTestOrder,
  type ImportProgress,
  type ImportResult,
  type Order,
  type WebhookExample,
} from '../api-shop';
import { count } from '../results/format';
import { onLinkClick } from '../router';
import { ConfirmAction, CopyBlock, CopyField, ShownOnce } from './Copy';
import { FormError } from './Field';
import { OrdersTable, useCampaignNames } from './Orders';
import '../shop.css';

const RECENT = 5;
const IMPORT_MAX_BYTES = 32 * 1024 * 1024; // the route's body cap
const POLL_MS = 400;
const CSV_COLUMNS = 'order_id,amount,currency,status,created_at,telegram_user_id,phone,username,discount_code,ref';

function SecretCard({ set, onChange }: { set: boolean; onChange: () => void }) {
  const [secret, setSecret] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  async function make() {
    setBusy(true);
    setError(null);
    try {
      setSecret((await newWebhookSecret()).webhook_secret);
      onChange();
    } catch (e) {
      setError(describeError(e));
    } finally {
      setBusy(false);
    }
  }
  return (
    <section class="card" aria-labelledby="shop-secret-h" data-testid="shop-secret">
      <h2 id="shop-secret-h">2. The secret</h2>
      <p class="muted">
        Your shop signs each order with this secret, so tgr knows it comes from your shop. It goes into your shop's settings beside the address. tgr keeps it encrypted and
        never shows it again.
      </p>
      <p data-testid="secret-state">
        {set ? <span class="tag tag-ok">A secret is set</span> : <span class="tag tag-warn">No secret yet</span>}
      </p>
      <FormError message={error} />
      {secret && (
        <ShownOnce
          testid="secret-shown"
          headline="Copy the secret now: it is shown only this once."
          advice="Put it into your shop's webhook settings."
          id="shop-secret-value"
          label="Webhook secret"
          value={secret}
          valueTestid="secret-value"
          onDone={() => setSecret(null)}
        />
      )}
      {!set ? (
        <button type="button" class="btn btn-primary" onClick={make} disabled={busy}>
          {busy ? 'Making…' : 'Make a secret'}
        </button>
      ) : (
        <ConfirmAction
          label="Make a new secret…"
          groupLabel="Confirm the new secret"
          warning="The current secret stops working at once: orders your shop signs with it are refused until you give it the new one."
          action="Make a new secret"
          busy={busy}
          onConfirm={make}
        />
      )}
    </section>
  );
}

function RequestCard({ ex }: { ex: WebhookExample | null }) {
  return (
    <section class="card" aria-labelledby="shop-req-h" data-testid="shop-request">
      <h2 id="shop-req-h">3. What your shop sends</h2>
      <p class="muted">One POST per order, when it is paid and again if it is refunded, with these headers and a JSON body:</p>
      <table class="table kv">
        <tbody>
          <tr>
            <th scope="row">
              <code>Content-Type</code>
            </th>
            <td>
              <code>application/json</code>
            </td>
          </tr>
          <tr>
            <th scope="row">
              <code>X-Tgr-Account</code>
            </th>
            <td>
              <code data-testid="account-header">{ex ? ex.account_id : '…'}</code> (your account)
            </td>
          </tr>
          <tr>
            <th scope="row">
              <code>X-Tgr-Signature</code>
            </th>
            <td>
              <code>sha256=</code> and the HMAC-SHA256 of the exact body bytes, keyed with the secret, in hex
            </td>
          </tr>
        </tbody>
      </table>
      <ul class="fields-list">
        <li>
          <code>order_id</code> your shop's order number; <code>amount</code> in cents (<code>1999</code> = 19.99); <code>currency</code> such as <code>EUR</code>;{' '}
          <code>status</code> <code>paid</code> or <code>refunded</code>; <code>created_at</code> (optional) like <code>2026-11-25T08:00:00Z</code>.
        </li>
        <li>
          <code>customer</code>: <code>{'{"telegram_user_id"}'}</code>, <code>{'{"phone"}'}</code> or <code>{'{"username"}'}</code> — how tgr finds who bought.
        </li>
        <li>
          <code>ref</code>: the <code>tgr_ref</code> that a campaign's tracked link added to your shop's address (keep it with the cart); <code>discount_code</code>: the
          code used at checkout.
        </li>
        <li>
          <code>test</code>: <code>true</code> for a test order (listed, marked, never counted as revenue). Leave it out for real orders.
        </li>
      </ul>
      {ex &&
        (ex.secret_set ? (
          <>
            <CopyBlock label="Ready example (a test order signed with your secret)" text={curlCommand(ex)} testid="curl-example" />
            <p class="hint">Run it as it is and a test order shows up below. Any change to the body needs a new signature.</p>
          </>
        ) : (
          <p class="alert alert-info">Make a secret first (step 2): the example is signed with it.</p>
        ))}
    </section>
  );
}

type ImportPhase =
  | { kind: 'idle' }
  | { kind: 'uploading'; name: string; fraction: number }
  | { kind: 'processing'; name: string; progress: ImportProgress | null }
  | { kind: 'done'; name: string; result: ImportResult }
  | { kind: 'failed'; name: string; message: string };

function ImportCard({ onImported }: { onImported: () => void }) {
  const [phase, setPhase] = useState<ImportPhase>({ kind: 'idle' });
  const [over, setOver] = useState(false);
  const fileRef = useRef<HTMLInputElement>(null);
  const busy = phase.kind === 'uploading' || phase.kind === 'processing';

  async function start(file: File | undefined) {
    if (!file || busy) return;
    if (file.size > IMPORT_MAX_BYTES)
      return setPhase({ kind: 'failed', name: file.name, message: 'The file is larger than 32 MB: split it and import the parts one after the other.' });
    setPhase({ kind: 'uploading', name: file.name, fraction: 0 });
    let uploaded = false;
    let done = false;
    const imp = importOrders(file, (f) => {
      if (!uploaded) setPhase({ kind: 'uploading', name: file.name, fraction: f });
      if (f >= 1 && !uploaded) {
        uploaded = true;
        setPhase({ kind: 'processing', name: file.name, progress: null });
      }
    });
    // While the server reads the file, ask how far it has got (any instance can answer).
    const poll = async () => {
      while (!done) {
        await new Promise((r) => setTimeout(r, POLL_MS));
        if (done || !uploaded) continue;
        try {
          const p = await importProgress(imp.id);
          if (!done) setPhase({ kind: 'processing', name: file.name, progress: p });
        } catch {
          /* not started yet, or kept elsewhere: the bar stays indeterminate */
        }
      }
    };
    void poll();
    try {
      const result = await imp.promise;
      done = true;
      setPhase({ kind: 'done', name: file.name, result });
      onImported();
    } catch (e) {
      done = true;
      setPhase({ kind: 'failed', name: file.name, message: describeError(e) });
    }
    if (fileRef.current) fileRef.current.value = '';
  }

  return (
    <section class="card" aria-labelledby="shop-import-h" data-testid="shop-import">
      <h2 id="shop-import-h">Or import a CSV file</h2>
      <p class="muted">
        Export your orders from the shop or a spreadsheet with the columns <code class="wrap">{CSV_COLUMNS}</code> (any order; leave a cell empty when you do not know it).
        Amounts in cents or with a dot (<code>19.99</code>). Orders already imported are skipped, so importing a file twice is safe.
      </p>
      <div
        class={'dropzone' + (over ? ' over' : '') + (busy ? ' busy' : '')}
        data-testid="dropzone"
        onDragOver={(e) => {
          e.preventDefault();
          setOver(true);
        }}
        onDragLeave={() => setOver(false)}
        onDrop={(e) => {
          e.preventDefault();
          setOver(false);
          void start(e.dataTransfer?.files?.[0]);
        }}
      >
        <p>
          <strong>Drop the CSV file here</strong> or
        </p>
        <label class="btn" for="shop-import-file">
          Choose a CSV file
        </label>
        <input
          id="shop-import-file"
          ref={fileRef}
          class="sr-only"
          type="file"
          accept=".csv,text/csv,text/plain"
          disabled={busy}
          onChange={(e) => void start(e.currentTarget.files?.[0])}
        />
      </div>
      <div role="status" aria-live="polite" data-testid="import-status" data-phase={phase.kind}>
        {phase.kind === 'uploading' && (
          <div class="import-progress">
            <span>
              Uploading {phase.name}… {Math.round(phase.fraction * 100)} %
            </span>
            <progress class="progress" max={1} value={phase.fraction} aria-label="Upload" />
          </div>
        )}
        {phase.kind === 'processing' && (
          <div class="import-progress">
            <span>
              Reading {phase.name}…{' '}
              {phase.progress && phase.progress.bytes_total > 0
                ? `${count.format(phase.progress.lines)} lines, ${Math.round((100 * phase.progress.bytes_done) / phase.progress.bytes_total)} %`
                : ''}
            </span>
            {phase.progress && phase.progress.bytes_total > 0 ? (
              <progress class="progress" max={phase.progress.bytes_total} value={phase.progress.bytes_done} aria-label="Processing" />
            ) : (
              <progress class="progress" aria-label="Processing" />
            )}
          </div>
        )}
        {phase.kind === 'failed' && (
          <div class="alert alert-error" role="alert">
            {phase.name}: {phase.message}
          </div>
        )}
        {phase.kind === 'done' && <ImportDone name={phase.name} result={phase.result} />}
      </div>
    </section>
  );
}

function ImportDone({ name, result }: { name: string; result: ImportResult }) {
  const more = result.errors_total - result.errors.length;
  return (
    <div data-testid="import-result">
      <p class={result.errors_total ? 'alert alert-warn' : 'alert alert-info'}>
        {name}: <strong data-testid="import-imported">{count.format(result.imported)}</strong> imported
        {result.skipped ? <>, {count.format(result.skipped)} already there (skipped)</> : null}
        {result.errors_total ? (
          <>
            , <strong data-testid="import-refused">{count.format(result.errors_total)}</strong> {result.errors_total === 1 ? 'line' : 'lines'} refused
          </>
        ) : null}
        .
      </p>
      {result.errors.length > 0 && (
        <table class="table refused-lines" data-testid="import-errors">
          <caption>Refused lines — fix them in the file and import it again (the imported ones are skipped).</caption>
          <thead>
            <tr>
              <th scope="col" class="num">
                Line
              </th>
              <th scope="col">Why</th>
            </tr>
          </thead>
          <tbody>
            {result.errors.map((e) => (
              <tr key={e.line + e.message} data-testid="import-error">
                <td data-label="Line" class="num">
                  {e.line}
                </td>
                <td data-label="Why">{e.message}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {more > 0 && <p class="muted">…and {count.format(more)} more refused lines not listed.</p>}
    </div>
  );
}

export function ShopView() {
  const names = useCampaignNames();
  const [secretSet, setSecretSet] = useState<boolean | null>(null);
  const [ex, setEx] = useState<WebhookExample | null>(null);
  const [recent, setRecent] = useState<Order[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [test, setTest] = useState<{ busy: boolean; message: string | null; error: string | null; order: string | null }>({ busy: false, message: null, error: null, order: null });

  const loadExample = () =>
    getWebhookExample().then(
      (e) => {
        setEx(e);
        setSecretSet(e.secret_set);
      },
      (e) => setError(describeError(e)),
    );
  const loadRecent = () =>
    listOrders(RECENT).then(
      (p) => setRecent(p.orders),
      (e) => setError(describeError(e)),
    );
  useEffect(() => {
    getAccount().then(
      (a) => setSecretSet((s) => s ?? a.webhook_secret_set),
      () => {},
    );
    void loadExample();
    void loadRecent();
  }, []);

  async function sendTest() {
    setTest({ busy: true, message: null, error: null, order: null });
    try {
      const fresh = await getWebhookExample(); // a new order id each time
      setEx(fresh);
      if (!fresh.secret_set) throw new Error('Make a secret first (step 2): a test order is signed with it.');
      const r = await sendTestOrder(fresh);
      await loadRecent();
      setTest({ busy: false, message: `Test order ${fresh.order_id} arrived: the webhook answered ${r.status} Accepted. It is marked Test below and never counts as revenue.`, error: null, order: fresh.order_id });
    } catch (e) {
      setTest({ busy: false, message: null, error: e instanceof Error && !('status' in e) ? e.message : describeError(e), order: null });
    }
  }

  return (
    <main class="page shop" id="main">
      <h1>Connect your shop</h1>
      <p class="muted">
        Send every order of your shop to tgr and it credits each one to the campaign that earned it — so every campaign shows the revenue it brought. Three steps in your
        shop's settings (or for its developer), then a test.
      </p>
      <FormError message={error} />
      <section class="card" aria-labelledby="shop-url-h" data-testid="shop-url">
        <h2 id="shop-url-h">1. The webhook address</h2>
        <p class="muted">Paste it where your shop's system sends order notifications (often called a webhook or notification URL).</p>
        {ex ? <CopyField id="shop-url-value" label="Webhook address" value={ex.url} testid="webhook-url" /> : <p class="muted">Loading…</p>}
      </section>
      {secretSet !== null && <SecretCard set={secretSet} onChange={() => void loadExample()} />}
      <RequestCard ex={ex} />
      <section class="card" aria-labelledby="shop-test-h" data-testid="shop-test">
        <h2 id="shop-test-h">4. Send a test order</h2>
        <p class="muted">tgr sends a signed test order to its own webhook, exactly as your shop will, and shows it arriving below.</p>
        <div class="actions">
          <button type="button" class="btn btn-primary" onClick={sendTest} disabled={test.busy || !secretSet}>
            {test.busy ? 'Sending…' : 'Send a test order'}
          </button>
          {!secretSet && <span class="muted">Make a secret first (step 2).</span>}
        </div>
        {test.message && (
          <div class="alert alert-info" role="status" data-testid="test-result">
            {test.message}
          </div>
        )}
        <FormError message={test.error} />
        <h3>Latest orders</h3>
        {recent && recent.length === 0 ? (
          <p class="muted" data-testid="no-orders">
            No orders yet.
          </p>
        ) : recent ? (
          <OrdersTable orders={recent} names={names} highlight={test.order} />
        ) : null}
        <p>
          <a href="/app/orders" onClick={onLinkClick}>
            All orders and how each was credited →
          </a>
        </p>
      </section>
      <ImportCard onImported={() => void loadRecent()} />
    </main>
  );
}
