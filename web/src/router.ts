// A tiny client-side router over history.pushState. Routes are plain paths under /app/.
//
// Each history entry the app pushes carries {key, from} in history.state: a key of its own (a view
// keyed by pageKey() is the same page for as long as the entry lives) and the path it was opened
// from (cameFrom(), for "Back" links that go where the user came from). A replace keeps both: the
// editor names a new campaign in the URL after its first save without becoming another page.
import { useEffect, useState } from 'preact/hooks';

interface EntryState {
  key?: string;
  from?: string | null;
}

let keys = 0;

function entryState(): EntryState {
  const s: unknown = history.state;
  return s && typeof s === 'object' ? (s as EntryState) : {};
}

/** The identity of the current history entry: its key, or its path for an entry the app did not push
 *  (the first page load). */
export function pageKey(): string {
  return entryState().key ?? location.pathname;
}

/** The in-app path this entry was opened from, or null (typed, reloaded from a bookmark). */
export function cameFrom(): string | null {
  return entryState().from ?? null;
}

type Listener = () => void;
const listeners = new Set<Listener>();

export function currentPath(): string {
  return location.pathname + location.search;
}

export function navigate(to: string, opts: { replace?: boolean } = {}): void {
  if (to === currentPath()) return;
  if (opts.replace) history.replaceState({ key: pageKey(), from: cameFrom() } satisfies EntryState, '', to);
  else history.pushState({ key: `p${Date.now().toString(36)}-${++keys}`, from: currentPath() } satisfies EntryState, '', to);
  listeners.forEach((l) => l());
}

/** Updates the query string of the current page without adding a history entry. */
export function replaceQuery(params: Record<string, string>): void {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v) p.set(k, v);
  const qs = p.toString();
  history.replaceState(history.state, '', location.pathname + (qs ? '?' + qs : ''));
}

window.addEventListener('popstate', () => listeners.forEach((l) => l()));

export interface Route {
  path: string;
  query: URLSearchParams;
}

export function useRoute(): Route {
  const [, force] = useState(0);
  useEffect(() => {
    const l = () => force((n) => n + 1);
    listeners.add(l);
    return () => listeners.delete(l);
  }, []);
  return { path: location.pathname.replace(/\/+$/, '') || '/', query: new URLSearchParams(location.search) };
}

/** Same-origin links that route without a reload; modified clicks keep the browser's behaviour. */
export function onLinkClick(e: MouseEvent): void {
  const a = (e.currentTarget as HTMLAnchorElement | null) ?? null;
  if (!a || e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
  if (a.target && a.target !== '_self') return;
  const url = new URL(a.href);
  if (url.origin !== location.origin) return;
  e.preventDefault();
  navigate(url.pathname + url.search + url.hash);
}
