// ContactPrivacy — the contact page's "Privacy" card (issue 19; API.md "Privacy"; docs/DECISIONS.md
// 69): Export downloads everything tgr holds about the person as JSON (GET /contacts/:id/export),
// Erase deletes it (DELETE /contacts/:id) after the user typed "erase" — nothing can bring it back,
// so a click alone is not enough. Both land in the audit log.
import { useState } from 'preact/hooks';
import { describeError, type Contact } from '../api';
import { eraseContact, exportContact } from '../api-privacy';
import { displayName } from './Contacts';
import { Field } from './Field';

const CONFIRM_WORD = 'erase';

export function PrivacyControl({ c, onErased }: { c: Contact; onErased: () => void }) {
  const [exporting, setExporting] = useState(false);
  const [exported, setExported] = useState(false);
  const [open, setOpen] = useState(false);
  const [typed, setTyped] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [exportError, setExportError] = useState<string | null>(null);

  async function doExport() {
    setExportError(null);
    setExporting(true);
    try {
      await exportContact(c.id);
      setExported(true);
    } catch (e) {
      setExportError(describeError(e));
    } finally {
      setExporting(false);
    }
  }

  async function doErase() {
    setError(null);
    if (typed.trim().toLowerCase() !== CONFIRM_WORD) {
      setError(`Type “${CONFIRM_WORD}” to confirm.`);
      return;
    }
    setBusy(true);
    try {
      await eraseContact(c.id);
      onErased();
    } catch (e) {
      setError(describeError(e));
      setBusy(false);
    }
  }

  return (
    <section class="card privacy" aria-labelledby="privacy-h" data-testid="privacy">
      <h2 id="privacy-h">Privacy</h2>
      <p>Everything tgr holds about this person: their profile, messages, campaign messages, clicks and orders.</p>
      <div class="actions">
        <button type="button" class="btn btn-sm" onClick={() => void doExport()} disabled={exporting} data-testid="export-contact">
          {exporting ? 'Exporting…' : 'Export (JSON)'}
        </button>
        {!open && (
          <button type="button" class="btn btn-sm btn-danger" onClick={() => setOpen(true)} data-testid="erase-open">
            Erase…
          </button>
        )}
      </div>
      {exported && (
        <p class="hint" role="status">
          The export was downloaded. It holds personal data: keep it safe.
        </p>
      )}
      {exportError && (
        <p class="field-error" role="alert">
          {exportError}
        </p>
      )}
      {open && (
        <form
          noValidate
          aria-labelledby="erase-h"
          onSubmit={(ev) => {
            ev.preventDefault();
            void doErase();
          }}
        >
          <h3 id="erase-h">Erase {displayName(c)}?</h3>
          <p>
            Their messages, clicks, category and opt-out history are deleted for good, and their orders and campaign
            messages no longer name them (your totals stay). A message they write later makes them a new contact. This
            cannot be undone: export first if you need a copy.
          </p>
          <Field id="erase-confirm" label={`Type “${CONFIRM_WORD}” to confirm`} error={error}>
            {(a) => <input {...a} type="text" autoComplete="off" value={typed} onInput={(ev) => setTyped(ev.currentTarget.value)} />}
          </Field>
          <div class="actions">
            <button type="submit" class="btn btn-sm btn-danger" disabled={busy} data-testid="erase-submit">
              {busy ? 'Erasing…' : 'Erase for good'}
            </button>
            <button
              type="button"
              class="btn btn-sm btn-ghost"
              onClick={() => {
                setOpen(false);
                setTyped('');
                setError(null);
              }}
            >
              Cancel
            </button>
          </div>
        </form>
      )}
    </section>
  );
}
