// ContactPrivacy — the contact page's "Privacy" card (issue 19; API.md "Privacy"; docs/DECISIONS.md
// 69): Export downloads everything tgr holds about the person as JSON (GET /contacts/:id/export),
// Erase deletes it (DELETE /contacts/:id) after the user typed "erase" (in Russian «удалить»; the
// English word is accepted in both) — nothing can bring it back, so a click alone is not enough.
// Both land in the audit log.
import { useState } from 'preact/hooks';
import { describeError, type Contact } from '../api';
import { eraseContact, exportContact } from '../api-privacy';
import { messages } from '../i18n';
import { displayName, nameIsData } from './Contacts';
import { Field } from './Field';

const M = messages(
  {
    confirmWord: 'erase',
    typeToConfirm: (word: string) => `Type “${word}” to confirm`,
    typeToConfirmError: (word: string) => `Type “${word}” to confirm.`,
    privacy: 'Privacy',
    holds: 'Everything tgr holds about this person: their profile, messages, campaign messages, clicks and orders.',
    exporting: 'Exporting…',
    exportJson: 'Export (JSON)',
    eraseOpen: 'Erase…',
    exported: 'The export was downloaded. It holds personal data: keep it safe.',
    eraseBefore: 'Erase ',
    eraseAfter: '?',
    eraseText:
      'Their messages, clicks, category and opt-out history are deleted for good, and their orders and campaign messages no longer name them (your totals stay). A message they write later makes them a new contact. This cannot be undone: export first if you need a copy.',
    erasing: 'Erasing…',
    eraseForGood: 'Erase for good',
    cancel: 'Cancel',
  },
  {
    confirmWord: 'удалить',
    typeToConfirm: (word: string) => `Введите «${word}» для подтверждения`,
    typeToConfirmError: (word: string) => `Введите «${word}» для подтверждения.`,
    privacy: 'Персональные данные',
    holds: 'Всё, что tgr хранит об этом человеке: профиль, сообщения, сообщения кампаний, переходы и заказы.',
    exporting: 'Экспорт…',
    exportJson: 'Экспорт (JSON)',
    eraseOpen: 'Удалить…',
    exported: 'Файл экспорта скачан. В нём персональные данные: храните его надёжно.',
    eraseBefore: 'Удалить контакт ',
    eraseAfter: '?',
    eraseText:
      'Сообщения, переходы, категория и история отписок этого человека удаляются навсегда, а его заказы и сообщения кампаний больше не будут его называть (ваши итоги не изменятся). Если он напишет позже, он станет новым контактом. Отменить это нельзя: если нужна копия, сначала сделайте экспорт.',
    erasing: 'Удаляем…',
    eraseForGood: 'Удалить навсегда',
    cancel: 'Отмена',
  },
);
/** The English word is accepted in every language (people who learned it, scripts). */
const ENGLISH_WORD = 'erase';

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
    const word = typed.trim().toLowerCase();
    if (word !== M().confirmWord && word !== ENGLISH_WORD) {
      setError(M().typeToConfirmError(M().confirmWord));
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

  const m = M();
  return (
    <section class="card privacy" aria-labelledby="privacy-h" data-testid="privacy">
      <h2 id="privacy-h">{m.privacy}</h2>
      <p>{m.holds}</p>
      <div class="actions">
        <button type="button" class="btn btn-sm" onClick={() => void doExport()} disabled={exporting} data-testid="export-contact">
          {exporting ? m.exporting : m.exportJson}
        </button>
        {!open && (
          <button type="button" class="btn btn-sm btn-danger" onClick={() => setOpen(true)} data-testid="erase-open">
            {m.eraseOpen}
          </button>
        )}
      </div>
      {exported && (
        <p class="hint" role="status">
          {m.exported}
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
          <h3 id="erase-h">
            {m.eraseBefore}
            <span translate={nameIsData(c) ? false : undefined}>{displayName(c)}</span>
            {m.eraseAfter}
          </h3>
          <p>{m.eraseText}</p>
          <Field id="erase-confirm" label={m.typeToConfirm(m.confirmWord)} error={error}>
            {(a) => <input {...a} type="text" autoComplete="off" value={typed} onInput={(ev) => setTyped(ev.currentTarget.value)} />}
          </Field>
          <div class="actions">
            <button type="submit" class="btn btn-sm btn-danger" disabled={busy} data-testid="erase-submit">
              {busy ? m.erasing : m.eraseForGood}
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
              {m.cancel}
            </button>
          </div>
        </form>
      )}
    </section>
  );
}
