// The preview panel: "Preview as" a chosen contact (POST /campaigns/:id/preview), drawn as a
// Telegram message bubble from text + entities; media from the editor's blob URL.
import type { Contact } from '../api';
import { renderEntities } from './entities';
import type { EditorStore } from './store';

export function contactName(c: Contact): string {
  const n = [c.first_name, c.last_name].filter((x) => x && x.trim()).join(' ');
  return n || (c.username ? '@' + c.username : c.phone || 'Telegram user ' + c.tg_user_id);
}

const clock = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit' });

export function PreviewPanel({ store }: { store: EditorStore }) {
  const s = store.state;
  const p = s.preview;
  const media = s.media && p && p.media_ids.includes(s.media.id) ? s.media : null;
  const saved = s.id !== null;
  return (
    <div class="preview">
      <div class="field">
        <label for="ed-preview-contact">Preview as</label>
        <select
          id="ed-preview-contact"
          value={s.previewContactId == null ? '' : String(s.previewContactId)}
          disabled={!s.contacts || s.contacts.length === 0}
          onChange={(e) => store.choosePreviewContact(e.currentTarget.value ? Number(e.currentTarget.value) : null)}
        >
          {!s.contacts && <option value="">Loading contacts…</option>}
          {s.contacts && s.contacts.length === 0 && <option value="">No contacts yet</option>}
          {s.contacts?.map((c) => (
            <option key={c.id} value={String(c.id)}>
              {contactName(c)}
            </option>
          ))}
        </select>
      </div>
      <div class="tg-chat" aria-live="polite" aria-busy={s.previewLoading ? 'true' : 'false'}>
        {!saved ? (
          <p class="tg-empty">The preview appears once the draft is saved (a name and a message).</p>
        ) : s.previewError ? (
          <p class="tg-empty bad-text">{s.previewError}</p>
        ) : !p ? (
          <p class="tg-empty">{s.previewContactId == null ? 'Choose a contact to preview.' : 'Rendering…'}</p>
        ) : (
          <div class={'tg-bubble' + (media ? ' has-media' : '')} data-testid="preview-bubble">
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
    </div>
  );
}
