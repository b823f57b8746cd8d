// The web app's languages (issue 19 item 5): English and Russian. Owns the current language (the
// one remembered in localStorage, else the browser's first language we have, else English), the
// switch's listeners, the message catalogs' shape, plural forms (Intl.PluralRules) and the locale
// every Intl formatter uses.
//
// A catalog is declared next to the code that shows its words:
//
//   const M = messages({ title: 'Contacts', count: (n: number) => plural(n, { one: '# contact', other: '# contacts' }) },
//                      { title: 'Контакты', count: (n) => plural(n, { one: '# контакт', few: '# контакта', many: '# контактов', other: '# контакта' }) });
//   … <h1>{M().title}</h1> <p>{M().count(total)}</p>
//
// The Russian half must have every key of the English one with the same type (TypeScript checks
// it in `npm run build`), so a key cannot be left untranslated; the browser test reads every page
// in Russian and fails on English words that are not user data (marked translate="no").
import { useEffect, useState } from 'preact/hooks';

export type Lang = 'en' | 'ru';
export const LANGS: readonly { code: Lang; name: string }[] = [
  { code: 'en', name: 'English' },
  { code: 'ru', name: 'Русский' },
];
const STORE_KEY = 'tgr.lang';

function isLang(v: unknown): v is Lang {
  return v === 'en' || v === 'ru';
}

function stored(): Lang | null {
  try {
    const v = localStorage.getItem(STORE_KEY);
    return isLang(v) ? v : null;
  } catch {
    return null; // storage disabled: the browser's language decides every time
  }
}

/** The browser's first preferred language that the app has ("ru-RU" → ru), else English. */
export function browserLang(): Lang {
  const prefs = navigator.languages?.length ? navigator.languages : [navigator.language];
  for (const p of prefs) {
    const base = (p || '').toLowerCase().split('-')[0];
    if (isLang(base)) return base;
  }
  return 'en';
}

let current: Lang = stored() ?? browserLang();
const listeners = new Set<(l: Lang) => void>();
document.documentElement.lang = current;

export function lang(): Lang {
  return current;
}

/** The BCP 47 locale for Intl: the browser's own when it is a variant of the app's language
 *  (en-GB keeps day-month dates), else the language itself. */
export function locale(): string {
  const nav = navigator.language || '';
  return nav.toLowerCase().split('-')[0] === current ? nav : current;
}

/** Switches the language, remembers it and re-renders whoever listens (the app's root). */
export function setLang(l: Lang): void {
  if (l === current) return;
  current = l;
  try {
    localStorage.setItem(STORE_KEY, l);
  } catch {
    /* not remembered: storage disabled */
  }
  document.documentElement.lang = l;
  listeners.forEach((f) => f(l));
}

/** The current language as state: the component re-renders (with its children) on a switch. */
export function useLang(): Lang {
  const [l, set] = useState(current);
  useEffect(() => {
    listeners.add(set);
    set(current);
    return () => void listeners.delete(set);
  }, []);
  return l;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Msg = string | ((...args: any[]) => string);
/** The Russian side of a catalog: every key, strings for strings, the same function types. */
export type Translation<T> = { [K in keyof T]: T[K] extends string ? string : T[K] };

/** A catalog in both languages; calling the result gives the current language's half. */
export function messages<T extends Record<string, Msg>>(en: T, ru: Translation<T>): () => T {
  return () => (current === 'ru' ? (ru as T) : en);
}

const rulesCache = new Map<string, Intl.PluralRules>();
function pluralRules(): Intl.PluralRules {
  let r = rulesCache.get(current);
  if (!r) rulesCache.set(current, (r = new Intl.PluralRules(current)));
  return r;
}

type Forms = Partial<Record<Intl.LDMLPluralRule, string>> & { other: string };

/** The form of a count for the current language ("#" is the number, formatted):
 *  plural(2, {one: '# контакт', few: '# контакта', many: '# контактов', other: '# контакта'}). */
export function plural(n: number, forms: Forms): string {
  const form = forms[pluralRules().select(n)] ?? forms.other;
  return form.replace('#', formatter(NUMBER_OPTS).format(n));
}

const NUMBER_OPTS: Intl.NumberFormatOptions = {};
const numberCache = new Map<string, Intl.NumberFormat>();
const dateCache = new Map<string, Intl.DateTimeFormat>();
const relativeCache = new Map<string, Intl.RelativeTimeFormat>();

/** One Intl formatter per locale and options: building one loads locale data (tens of ms the
 *  first time in Chromium), so a list must not build one per row. */
function cached<T>(cache: Map<string, T>, opts: object, make: (locale: string) => T): T {
  const key = locale() + '\u0000' + JSON.stringify(opts);
  let f = cache.get(key);
  if (!f) cache.set(key, (f = make(locale())));
  return f;
}

/** A cached Intl.NumberFormat for the current locale and these options. */
export function formatter(opts: Intl.NumberFormatOptions): Intl.NumberFormat {
  return cached(numberCache, opts, (l) => new Intl.NumberFormat(l, opts));
}

/** A cached Intl.DateTimeFormat for the current locale and these options. */
export function dateFormatter(opts: Intl.DateTimeFormatOptions): Intl.DateTimeFormat {
  return cached(dateCache, opts, (l) => new Intl.DateTimeFormat(l, opts));
}

/** A formatter that follows the language: `.format()` like Intl's, built on first use per locale. */
export function numberFormat(opts: Intl.NumberFormatOptions = {}): { format(n: number): string } {
  return { format: (n: number) => formatter(opts).format(n) };
}

export function dateTimeFormat(opts: Intl.DateTimeFormatOptions): { format(d: Date | number): string } {
  return { format: (d: Date | number) => dateFormatter(opts).format(d) };
}

export function relativeTimeFormat(opts: Intl.RelativeTimeFormatOptions): { format(v: number, unit: Intl.RelativeTimeFormatUnit): string } {
  return {
    format: (v, unit) => cached(relativeCache, opts, (l) => new Intl.RelativeTimeFormat(l, opts)).format(v, unit),
  };
}
