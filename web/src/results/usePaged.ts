// usePaged — a list read page by page (the API's next_after), each "Load more" appending the next
// page; the answers of an earlier load that arrive late are dropped. `key` names what is asked
// (the filters): `loadedKey` is the key of the list shown, so a page (and the browser test) can
// tell that the list is current. Used by Contacts, a campaign's People and a contact's timeline.
import { useRef, useState } from 'preact/hooks';
import { describeError } from '../api';

export interface Page<T, C> {
  items: T[];
  next: C | null;
  /** Rows of the filter in all, when the API says. */
  total?: number;
}

export interface Paged<T, C> {
  /** null until the first page has come. */
  items: T[] | null;
  next: C | null;
  total: number | null;
  loading: boolean;
  error: string | null;
  loadedKey: string | null;
  /** The first page (after = null, replacing the list) or the one after `after` (appended). */
  load: (after: C | null) => Promise<void>;
}

export function usePaged<T, C>(fetchPage: (after: C | null) => Promise<Page<T, C>>, key: string): Paged<T, C> {
  const [items, setItems] = useState<T[] | null>(null);
  const [next, setNext] = useState<C | null>(null);
  const [total, setTotal] = useState<number | null>(null);
  const [loading, setLoading] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [loadedKey, setLoadedKey] = useState<string | null>(null);
  const seq = useRef(0);
  // The latest render's fetch and key: a load always asks what the page shows now.
  const latest = useRef({ fetchPage, key });
  latest.current = { fetchPage, key };

  async function load(after: C | null) {
    const my = ++seq.current;
    const { fetchPage: get, key: asked } = latest.current;
    setLoading(true);
    setError(null);
    try {
      const page = await get(after);
      if (my !== seq.current) return;
      setItems((prev) => (after !== null && prev ? [...prev, ...page.items] : page.items));
      setNext(page.next);
      setTotal(page.total ?? null);
      setLoadedKey(asked);
    } catch (e) {
      if (my !== seq.current) return;
      setError(describeError(e));
    } finally {
      if (my === seq.current) setLoading(false);
    }
  }

  return { items, next, total, loading, error, loadedKey, load };
}
