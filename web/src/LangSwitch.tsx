// The language switch in the header and on the login page (issue 19 item 5): a labelled select of
// the app's languages, each named in its own language; the choice is remembered (i18n.ts).
import { LANGS, lang, messages, setLang, type Lang } from './i18n';

const M = messages({ label: 'Language' }, { label: 'Язык' });

export function LangSwitch() {
  return (
    <select
      class="lang-switch"
      aria-label={M().label}
      title={M().label}
      data-testid="lang-switch"
      value={lang()}
      onChange={(e) => setLang(e.currentTarget.value as Lang)}
    >
      {LANGS.map((l) => (
        <option key={l.code} value={l.code} lang={l.code}>
          {l.name}
        </option>
      ))}
    </select>
  );
}
