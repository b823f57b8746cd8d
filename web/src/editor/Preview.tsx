// The preview panel: the first message or a follow-up ("Message"), "Preview as" one of the people of
// the audience — a typical one first (editor/preview-people.ts) — drawn as a Telegram message bubble
// from POST /campaigns/:id/preview's text + entities, with a warning for each placeholder that is
// empty for that person; media (the first message only) from the editor's blob URL.
import type { Contact } from '../api';
import { renderEntities } from './entities';
import { contactName, emptyWarnings, previewPeople } from './preview-people';
import type { EditorStore } from './store';

const clock = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit' });

export function PreviewPanel({ store }: { store: EditorStore }) {
  const s = store.state;
  const p = s.preview;
  const step = s.previewStep <= s.form.nudges.length ? s.previewStep : 0;
  const html = step === 0 ? s.form.html : (s.form.nudges[step - 1]?.text ?? '');
  const media = s.media && p && p.media_ids.includes(s.media.id) ? s.media : null;
  const saved = s.id !== null;
  const people = previewPeople(s.audience, html);
  // Nobody in the audience: the text can still be read, as someone of the account.
  const outside: Contact[] = people.length === 0 && s.audience ? (s.contacts ?? []) : [];
  const chosen = people.find((x) => x.contact.id === s.previewContactId)?.contact ?? outside.find((c) => c.id === s.previewContactId) ?? null;
  // Codes that can run out: a pool of valid codes (a static code, once saved, is never empty).
  const poolSaved = s.form.discountMode === 'pool' && s.form.poolText.trim() !== '' && !s.fieldErrors['discount_codes.codes'];
  const warnings = p && chosen ? emptyWarnings(p.empty_placeholders ?? [], html, chosen.first_name?.trim() || contactName(chosen), poolSaved) : [];
  return (
    <div class="preview" id="ed-preview">
      {s.form.nudges.length > 0 && (
        <div class="field">
          <label for="ed-preview-step">Message</label>
          <select id="ed-preview-step" value={String(step)} onChange={(e) => store.choosePreviewStep(Number(e.currentTarget.value))}>
            <option value="0">First message</option>
            {s.form.nudges.map((n, i) => (
              <option key={n.key} value={String(i + 1)}>
                Follow-up {i + 1}
              </option>
            ))}
          </select>
        </div>
      )}
      <div class="field">
        <label for="ed-preview-contact">Preview as</label>
        <select
          id="ed-preview-contact"
          value={s.previewContactId == null ? '' : String(s.previewContactId)}
          disabled={people.length + outside.length === 0}
          aria-describedby="ed-preview-contact-hint"
          onChange={(e) => store.choosePreviewContact(e.currentTarget.value ? Number(e.currentTarget.value) : null)}
        >
          {!s.audience && <option value="">{saved ? 'Counting the audience…' : 'The audience shows once the draft is saved'}</option>}
          {s.audience && people.length + outside.length === 0 && <option value="">Nobody yet</option>}
          {people.map((x) => (
            <option key={x.contact.id} value={String(x.contact.id)}>
              {x.label}
            </option>
          ))}
          {outside.map((c) => (
            <option key={c.id} value={String(c.id)}>
              {contactName(c)} (not in the audience)
            </option>
          ))}
        </select>
        <p class="hint" id="ed-preview-contact-hint">
          {outside.length
            ? 'Nobody is in the audience, so the preview uses someone of your contacts.'
            : s.audience && s.audience.count > people.length
              ? `${people.length} of the ${s.audience.count} people in the audience, a typical one first.`
              : 'The people in the audience, a typical one first.'}
        </p>
      </div>
      <div class="tg-chat" aria-live="polite" aria-busy={s.previewLoading ? 'true' : 'false'}>
        {!saved ? (
          <p class="tg-empty">The preview appears once the draft is saved (a name and a message).</p>
        ) : s.previewError ? (
          <p class="tg-empty bad-text">{s.previewError}</p>
        ) : !p ? (
          <p class="tg-empty">{s.previewContactId == null ? (s.audience ? 'Nobody to preview as yet.' : 'Counting the audience…') : 'Rendering…'}</p>
        ) : (
          <div class={'tg-bubble' + (media ? ' has-media' : '')} data-testid="preview-bubble" data-step={String(p.step ?? 0)}>
            {media &&
              (media.kind === 'video' ? (
                <video class="tg-media" src={media.url} muted playsInline controls preload="metadata" aria-label="Attached video" />
              ) : (
                <img class="tg-media" src={media.url} alt="Attached image" />
              ))}
            {p.text && <div class="tg-text">{renderEntities(p.text, p.entities)}</div>}
            <span class="tg-meta" aria-hidden="true">
              {clock.format(new Date())} <span class="tg-ticks">✓✓</span>
            </span>
          </div>
        )}
      </div>
      {warnings.length > 0 && (
        <ul class="preview-warnings" data-testid="preview-warnings">
          {warnings.map((w) => (
            <li key={w} data-testid="preview-warning">
              {w}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
