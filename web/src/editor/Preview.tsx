// The preview panel: the first message or a follow-up ("Message"), "Preview as" one of the people of
// the audience — a typical one first (editor/preview-people.ts) — drawn as a Telegram message bubble
// from POST /campaigns/:id/preview's text + entities, with a warning for each placeholder that is
// empty for that person; media (the first message only) from the editor's blob URL.
import type { Contact } from '../api';
import { messages, plural } from '../i18n';
import { shortTime } from '../results/format';
import { renderEntities } from './entities';
import { contactName, emptyWarnings, previewPeople } from './preview-people';
import type { EditorStore } from './store';

const M = messages(
  {
    message: 'Message',
    firstMessage: 'First message',
    followUp: (n: number) => `Follow-up ${n}`,
    previewAs: 'Preview as',
    counting: 'Counting the audience…',
    afterSave: 'The audience shows once the draft is saved',
    nobodyYet: 'Nobody yet',
    notInAudience: ' (not in the audience)',
    outside: 'Nobody is in the audience, so the preview uses someone of your contacts.',
    someOf: (shown: number, total: number) => `${shown} ${plural(total, { one: 'of the # person', other: 'of the # people' })} in the audience, a typical one first.`,
    all: 'The people in the audience, a typical one first.',
    unsaved: 'The preview appears once the draft is saved (a name and a message).',
    nobodyToPreview: 'Nobody to preview as yet.',
    rendering: 'Rendering…',
    attachedVideo: 'Attached video',
    attachedImage: 'Attached image',
  },
  {
    message: 'Сообщение',
    firstMessage: 'Первое сообщение',
    followUp: (n) => `Напоминание ${n}`,
    previewAs: 'Предпросмотр для',
    counting: 'Считаем аудиторию…',
    afterSave: 'Аудитория появится, когда черновик сохранится',
    nobodyYet: 'Пока никого',
    notInAudience: ' (не в аудитории)',
    outside: 'В аудитории никого нет, поэтому для предпросмотра взят один из ваших контактов.',
    someOf: (shown, total) =>
      `${shown} ${plural(total, { one: 'из # человека', few: 'из # человек', many: 'из # человек', other: 'из # человека' })} в аудитории, сначала типичный.`,
    all: 'Люди из аудитории, сначала типичный.',
    unsaved: 'Предпросмотр появится, когда черновик сохранится (нужны название и сообщение).',
    nobodyToPreview: 'Пока не для кого показать предпросмотр.',
    rendering: 'Готовим…',
    attachedVideo: 'Прикреплённое видео',
    attachedImage: 'Прикреплённое изображение',
  },
);

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
  const m = M();
  return (
    <div class="preview" id="ed-preview">
      {s.form.nudges.length > 0 && (
        <div class="field">
          <label for="ed-preview-step">{m.message}</label>
          <select id="ed-preview-step" value={String(step)} onChange={(e) => store.choosePreviewStep(Number(e.currentTarget.value))}>
            <option value="0">{m.firstMessage}</option>
            {s.form.nudges.map((n, i) => (
              <option key={n.key} value={String(i + 1)}>
                {m.followUp(i + 1)}
              </option>
            ))}
          </select>
        </div>
      )}
      <div class="field">
        <label for="ed-preview-contact">{m.previewAs}</label>
        <select
          id="ed-preview-contact"
          value={s.previewContactId == null ? '' : String(s.previewContactId)}
          disabled={people.length + outside.length === 0}
          aria-describedby="ed-preview-contact-hint"
          onChange={(e) => store.choosePreviewContact(e.currentTarget.value ? Number(e.currentTarget.value) : null)}
        >
          {!s.audience && <option value="">{saved ? m.counting : m.afterSave}</option>}
          {s.audience && people.length + outside.length === 0 && <option value="">{m.nobodyYet}</option>}
          {/* People's names: each option is left untranslated as a whole. */}
          {people.map((x) => (
            <option key={x.contact.id} value={String(x.contact.id)} translate={false}>
              {x.label}
            </option>
          ))}
          {outside.map((c) => (
            <option key={c.id} value={String(c.id)} translate={false}>
              {contactName(c)}
              {m.notInAudience}
            </option>
          ))}
        </select>
        <p class="hint" id="ed-preview-contact-hint">
          {outside.length ? m.outside : s.audience && s.audience.count > people.length ? m.someOf(people.length, s.audience.count) : m.all}
        </p>
      </div>
      <div class="tg-chat" aria-live="polite" aria-busy={s.previewLoading ? 'true' : 'false'}>
        {!saved ? (
          <p class="tg-empty">{m.unsaved}</p>
        ) : s.previewError ? (
          <p class="tg-empty bad-text">{s.previewError}</p>
        ) : !p ? (
          <p class="tg-empty">{s.previewContactId == null ? (s.audience ? m.nobodyToPreview : m.counting) : m.rendering}</p>
        ) : (
          <div class={'tg-bubble' + (media ? ' has-media' : '')} data-testid="preview-bubble" data-step={String(p.step ?? 0)}>
            {media &&
              (media.kind === 'video' ? (
                <video class="tg-media" src={media.url} muted playsInline controls preload="metadata" aria-label={m.attachedVideo} />
              ) : (
                <img class="tg-media" src={media.url} alt={m.attachedImage} />
              ))}
            {p.text && (
              <div class="tg-text" translate={false}>
                {renderEntities(p.text, p.entities)}
              </div>
            )}
            <span class="tg-meta" aria-hidden="true">
              {shortTime.format(new Date())} <span class="tg-ticks">✓✓</span>
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
