// useLogStream — a campaign's send log, live. Opens the event stream (api-results readLogStream),
// keeps the entries (deduplicated by id, newest first) and reconnects by itself with backoff,
// resuming after the last id it saw, when the stream ends or the network fails. It stops for good
// on 401 (the user is sent to login) and 404 (no such campaign), and on unmount (the fetch aborts).
import { useEffect, useRef, useState } from 'preact/hooks';
import { ApiError } from '../api';
import { readLogStream, type LogEntry } from '../api-results';
import { messages } from '../i18n';

const M = messages(
  {
    closed: 'The live log was closed by the server.',
    noCampaign: 'This campaign does not exist.',
    logIn: 'Please log in again.',
    lost: 'The connection to the server was lost.',
  },
  {
    closed: 'Сервер закрыл журнал в реальном времени.',
    noCampaign: 'Такой кампании нет.',
    logIn: 'Войдите снова.',
    lost: 'Связь с сервером потеряна.',
  },
);

export type StreamState = 'connecting' | 'live' | 'reconnecting' | 'stopped';

/** Entries kept in memory; older ones drop off the end (the counters stay exact). */
const KEEP = 1000;
const BACKOFF_MIN_MS = 1000;
const BACKOFF_MAX_MS = 30_000;

export interface LogStream {
  entries: LogEntry[];
  state: StreamState;
  /** Why the stream stopped, or the last error while reconnecting. */
  error: string | null;
  /** Milliseconds until the next attempt while reconnecting. */
  retryAt: number | null;
  /** The server's time (ms) when the stream first opened: entries before it are history. */
  since: number | null;
}

export function useLogStream(campaignId: number, onEntries?: (batch: LogEntry[]) => void): LogStream {
  const [entries, setEntries] = useState<LogEntry[]>([]);
  const [state, setState] = useState<StreamState>('connecting');
  const [error, setError] = useState<string | null>(null);
  const [retryAt, setRetryAt] = useState<number | null>(null);
  const [since, setSince] = useState<number | null>(null);
  const cb = useRef(onEntries);
  cb.current = onEntries;

  useEffect(() => {
    const ctl = new AbortController();
    let lastId: number | null = null;
    const seen = new Set<number>();
    // Entries arrive in bursts (the history on connect): render them in batches.
    let pending: LogEntry[] = [];
    let flushTimer: number | undefined;
    const flush = () => {
      flushTimer = undefined;
      if (!pending.length || ctl.signal.aborted) return;
      const batch = pending;
      pending = [];
      const newestFirst = batch.slice().reverse();
      setEntries((old) => {
        const next = newestFirst.concat(old);
        return next.length > KEEP ? next.slice(0, KEEP) : next;
      });
      cb.current?.(batch);
    };

    const sleep = (ms: number) =>
      new Promise<void>((resolve) => {
        const t = window.setTimeout(resolve, ms);
        ctl.signal.addEventListener('abort', () => {
          window.clearTimeout(t);
          resolve();
        });
      });

    void (async () => {
      let attempt = 0;
      while (!ctl.signal.aborted) {
        try {
          await readLogStream(campaignId, lastId, ctl.signal, {
            onOpen: (serverDate) => {
              attempt = 0;
              setSince((s) => s ?? (Date.parse(serverDate ?? '') || Date.now()));
              setState('live');
              setError(null);
              setRetryAt(null);
            },
            onEntry: (e) => {
              lastId = e.id;
              if (seen.has(e.id)) return;
              seen.add(e.id);
              pending.push(e);
              if (flushTimer === undefined) flushTimer = window.setTimeout(flush, 60);
            },
          });
          if (ctl.signal.aborted) return;
          setError(M().closed);
        } catch (e) {
          if (ctl.signal.aborted) return;
          if (e instanceof ApiError && (e.status === 401 || e.status === 404)) {
            setState('stopped');
            setError(e.status === 404 ? M().noCampaign : M().logIn);
            return;
          }
          setError(e instanceof ApiError ? e.message : M().lost);
        }
        // Back off: 1 s, 2 s, 4 s … 30 s, with jitter so many tabs do not reconnect at once.
        const wait = Math.min(BACKOFF_MAX_MS, BACKOFF_MIN_MS * 2 ** attempt) * (0.75 + Math.random() * 0.5);
        attempt++;
        setState('reconnecting');
        setRetryAt(Date.now() + wait);
        await sleep(wait);
      }
    })();

    return () => {
      ctl.abort();
      window.clearTimeout(flushTimer);
    };
  }, [campaignId]);

  return { entries, state, error, retryAt, since };
}
