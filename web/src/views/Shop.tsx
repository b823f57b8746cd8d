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
import { M, importReason } from './Shop.i18n';
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
  const m = M();
  return (
    <section class="card" aria-labelledby="shop-secret-h" data-testid="shop-secret">
      <h2 id="shop-secret-h">{m.secretTitle}</h2>
      <p class="muted">{m.secretText}</p>
      <p data-testid="secret-state">{set ? <span class="tag tag-ok">{m.secretSet}</span> : <span class="tag tag-warn">{m.noSecret}</span>}</p>
      <FormError message={error} />
      {secret && (
        <ShownOnce
          testid="secret-shown"
          headline={m.secretHeadline}
          advice={m.secretAdvice}
          id="shop-secret-value"
          label={m.secretLabel}
          value={secret}
          valueTestid="secret-value"
          onDone={() => setSecret(null)}
        />
      )}
      {!set ? (
        <button type="button" class="btn btn-primary" onClick={make} disabled={busy}>
          {busy ? m.making : m.makeSecret}
        </button>
      ) : (
        <ConfirmAction
          label={m.newSecretAsk}
          groupLabel={m.newSecretGroup}
          warning={m.newSecretWarning}
          action={m.newSecretAction}
          busy={busy}
          onConfirm={make}
        />
      )}
    </section>
  );
}

/** A code sample in the words: never translated. */
const C = ({ children }: { children: string }) => <code translate={false}>{children}</code>;

function RequestCard({ ex }: { ex: WebhookExample | null }) {
  const m = M();
  return (
    <section class="card" aria-labelledby="shop-req-h" data-testid="shop-request">
      <h2 id="shop-req-h">{m.requestTitle}</h2>
      <p class="muted">
        {m.requestBefore}
        <span translate={false}>POST</span>
        {m.requestText}
      </p>
      <table class="table kv">
        <tbody>
          <tr>
            <th scope="row">
              <C>Content-Type</C>
            </th>
            <td>
              <C>application/json</C>
            </td>
          </tr>
          <tr>
            <th scope="row">
              <C>X-Tgr-Account</C>
            </th>
            <td>
              <code data-testid="account-header">{ex ? ex.account_id : '…'}</code>
              {m.yourAccount}
            </td>
          </tr>
          <tr>
            <th scope="row">
              <C>X-Tgr-Signature</C>
            </th>
            <td>
              <C>sha256=</C>
              {m.signatureText}
            </td>
          </tr>
        </tbody>
      </table>
      <ul class="fields-list">
        <li>
          <C>order_id</C>
          {m.orderId}
          <C>amount</C>
          {m.amountIn}
          <C>1999</C>
          {m.amountEg}
          <C>currency</C>
          {m.suchAs}
          <C>EUR</C>
          {m.sep}
          <C>status</C>
          {m.statusSep}
          <C>paid</C>
          {m.or}
          <C>refunded</C>
          {m.sep}
          <C>created_at</C>
          {m.optionalLike}
          <C>2026-11-25T08:00:00Z</C>
          {m.end}
        </li>
        <li>
          <C>customer</C>
          {m.colon}
          <C>{'{"telegram_user_id"}'}</C>
          {m.comma}
          <C>{'{"phone"}'}</C>
          {m.or}
          <C>{'{"username"}'}</C>
          {m.howFound}
        </li>
        <li>
          <C>ref</C>
          {m.refThe}
          <C>tgr_ref</C>
          {m.refText}
          <C>discount_code</C>
          {m.codeText}
        </li>
        <li>
          <C>test</C>
          {m.colon}
          <C>true</C>
          {m.testText}
        </li>
      </ul>
      {ex &&
        (ex.secret_set ? (
          <>
            <CopyBlock label={m.example} text={curlCommand(ex)} testid="curl-example" />
            <p class="hint">{m.exampleHint}</p>
          </>
        ) : (
          <p class="alert alert-info">{m.secretFirstExample}</p>
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
      return setPhase({ kind: 'failed', name: file.name, message: M().tooLarge });
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

  const m = M();
  return (
    <section class="card" aria-labelledby="shop-import-h" data-testid="shop-import">
      <h2 id="shop-import-h">{m.importTitle}</h2>
      <p class="muted">
        {m.importBefore}
        <code class="wrap" translate={false}>
          {CSV_COLUMNS}
        </code>
        {m.importMiddle}
        <C>19.99</C>
        {m.importAfter}
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
          <strong>{m.drop}</strong>
          {m.dropOr}
        </p>
        <label class="btn" for="shop-import-file">
          {m.choose}
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
              {m.uploading}
              <span translate={false}>{phase.name}</span>… {Math.round(phase.fraction * 100)} %
            </span>
            <progress class="progress" max={1} value={phase.fraction} aria-label={m.upload} />
          </div>
        )}
        {phase.kind === 'processing' && (
          <div class="import-progress">
            <span>
              {m.reading}
              <span translate={false}>{phase.name}</span>…{' '}
              {phase.progress && phase.progress.bytes_total > 0
                ? m.lines(phase.progress.lines, Math.round((100 * phase.progress.bytes_done) / phase.progress.bytes_total))
                : ''}
            </span>
            {phase.progress && phase.progress.bytes_total > 0 ? (
              <progress class="progress" max={phase.progress.bytes_total} value={phase.progress.bytes_done} aria-label={m.processing} />
            ) : (
              <progress class="progress" aria-label={m.processing} />
            )}
          </div>
        )}
        {phase.kind === 'failed' && (
          <div class="alert alert-error" role="alert">
            <span translate={false}>{phase.name}</span>: {phase.message}
          </div>
        )}
        {phase.kind === 'done' && <ImportDone name={phase.name} result={phase.result} />}
      </div>
    </section>
  );
}

/** Why a line was refused: words, with the codes and order ids the sentence names kept as they are. */
function Reason({ message }: { message: string }) {
  const pieces = importReason(message);
  return (
    <span lang={pieces.english ? 'en' : undefined}>
      {pieces.map((p, i) => (typeof p === 'string' ? p : <code key={i} translate={false}>{p.code}</code>))}
    </span>
  );
}

function ImportDone({ name, result }: { name: string; result: ImportResult }) {
  const more = result.errors_total - result.errors.length;
  const m = M();
  return (
    <div data-testid="import-result">
      <p class={result.errors_total ? 'alert alert-warn' : 'alert alert-info'}>
        <span translate={false}>{name}</span>: {m.importedBefore(result.imported)}
        <strong data-testid="import-imported">{count.format(result.imported)}</strong>
        {m.importedAfter(result.imported)}
        {result.skipped ? m.skipped(count.format(result.skipped)) : null}
        {result.errors_total ? (
          <>
            {m.refusedBefore(result.errors_total)}
            <strong data-testid="import-refused">{count.format(result.errors_total)}</strong>
            {m.refusedAfter(result.errors_total)}
          </>
        ) : null}
        .
      </p>
      {result.errors.length > 0 && (
        <table class="table refused-lines" data-testid="import-errors">
          <caption>{m.refusedCaption}</caption>
          <thead>
            <tr>
              <th scope="col" class="num">
                {m.line}
              </th>
              <th scope="col">{m.why}</th>
            </tr>
          </thead>
          <tbody>
            {result.errors.map((e) => (
              <tr key={e.line + e.message} data-testid="import-error">
                <td data-label={m.line} class="num">
                  {e.line}
                </td>
                <td data-label={m.why}>
                  <Reason message={e.message} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {more > 0 && <p class="muted">{m.moreRefused(count.format(more))}</p>}
    </div>
  );
}

export function ShopView() {
  const names = useCampaignNames();
  const [secretSet, setSecretSet] = useState<boolean | null>(null);
  const [ex, setEx] = useState<WebhookExample | null>(null);
  const [recent, setRecent] = useState<Order[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  /** The test order's outcome: the order id and the webhook's status when it arrived. */
  const [test, setTest] = useState<{ busy: boolean; arrived: number | null; error: string | null; order: string | null }>({ busy: false, arrived: null, error: null, order: null });

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
    setTest({ busy: true, arrived: null, error: null, order: null });
    try {
      const fresh = await getWebhookExample(); // a new order id each time
      setEx(fresh);
      if (!fresh.secret_set) throw new Error(M().secretFirstTest);
      const r = await sendTestOrder(fresh);
      await loadRecent();
      setTest({ busy: false, arrived: r.status, error: null, order: fresh.order_id });
    } catch (e) {
      setTest({ busy: false, arrived: null, error: e instanceof Error && !('status' in e) ? e.message : describeError(e), order: null });
    }
  }

  const m = M();
  return (
    <main class="page shop" id="main">
      <h1>{m.title}</h1>
      <p class="muted">{m.intro}</p>
      <FormError message={error} />
      <section class="card" aria-labelledby="shop-url-h" data-testid="shop-url">
        <h2 id="shop-url-h">{m.urlTitle}</h2>
        <p class="muted">{m.urlText}</p>
        {ex ? <CopyField id="shop-url-value" label={m.urlLabel} value={ex.url} testid="webhook-url" /> : <p class="muted">{m.loading}</p>}
      </section>
      {secretSet !== null && <SecretCard set={secretSet} onChange={() => void loadExample()} />}
      <RequestCard ex={ex} />
      <section class="card" aria-labelledby="shop-test-h" data-testid="shop-test">
        <h2 id="shop-test-h">{m.testTitle}</h2>
        <p class="muted">{m.testText2}</p>
        <div class="actions">
          <button type="button" class="btn btn-primary" onClick={sendTest} disabled={test.busy || !secretSet}>
            {test.busy ? m.sending : m.sendTest}
          </button>
          {!secretSet && <span class="muted">{m.secretFirst}</span>}
        </div>
        {test.arrived !== null && test.order && (
          <div class="alert alert-info" role="status" data-testid="test-result">
            {m.testArrived}
            <span translate={false}>{test.order}</span>
            {m.testAnswered(test.arrived)}
          </div>
        )}
        <FormError message={test.error} />
        <h3>{m.latest}</h3>
        {recent && recent.length === 0 ? (
          <p class="muted" data-testid="no-orders">
            {m.noOrders}
          </p>
        ) : recent ? (
          <OrdersTable orders={recent} names={names} highlight={test.order} />
        ) : null}
        <p>
          <a href="/app/orders" onClick={onLinkClick}>
            {m.allOrders}
          </a>
        </p>
      </section>
      <ImportCard onImported={() => void loadRecent()} />
    </main>
  );
}
