// LogAnnouncer — what a screen reader hears from a campaign's live log (issue 20; DECISIONS 65):
// the failures and pauses that happen while the page is open, each burst as one short sentence in a
// visually hidden live region (role="log", polite). Sent messages, waits and the history the stream
// replays when it connects stay silent; the visible log itself is not a live region, since a
// campaign sending a message a second would otherwise talk without pause.
import type { ComponentChildren } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import type { LogEntry } from '../api-results';
import { messages, plural } from '../i18n';
import { Coded, fill } from './ui';

const M = messages(
  {
    failedOne: 'Message to {who} failed{detail}.',
    failedMany: (n: number) => `${n} messages failed{detail}.`,
    paused: 'Campaign paused{detail}.',
    region: 'Failures and pauses',
  },
  {
    failedOne: 'Сообщение для {who} не доставлено{detail}.',
    failedMany: (n) =>
      plural(n, { one: '# сообщение не доставлено', few: '# сообщения не доставлены', many: '# сообщений не доставлено', other: '# сообщения не доставлено' }) +
      '{detail}.',
    paused: 'Кампания на паузе{detail}.',
    region: 'Ошибки и паузы',
  },
);

/** Sentences kept in the region (a screen reader reads each once, as it is added). */
const KEEP = 5;

export interface LogWords {
  /** The person's name, or what the event is ("Campaign paused"). */
  who: string;
  /** The reason, in words, or null. */
  detail: string | null;
  /** `who` is a person's name (user data, not translated), not the app's words. */
  person?: boolean;
}

/** ": the detail", its error codes marked as codes; nothing without one. */
const detail = (d: string | null | undefined) => (d ? <Coded text={': ' + d} /> : '');

/** The sentence for a batch of new entries (oldest first), or null when none is worth saying. */
export function announcement(batch: LogEntry[], words: (e: LogEntry) => LogWords): ComponentChildren[] | null {
  const failed = batch.filter((e) => e.status === 'failed');
  const paused = batch.filter((e) => e.status === 'paused');
  const parts: ComponentChildren[][] = [];
  const m = M();
  if (failed.length === 1) {
    const w = words(failed[0]);
    parts.push(fill(m.failedOne, { who: <span translate={!w.person}>{w.who}</span>, detail: detail(w.detail) }));
  } else if (failed.length > 1) {
    const reasons = [...new Set(failed.map((e) => words(e).detail ?? e.error_code ?? '').filter(Boolean))];
    parts.push(fill(m.failedMany(failed.length), { detail: detail(reasons.slice(0, 3).join('; ')) }));
  }
  if (paused.length) {
    const w = words(paused[paused.length - 1]);
    parts.push(fill(m.paused, { detail: detail(w.detail) }));
  }
  return parts.length ? parts.flatMap((p, i) => (i ? [' ', ...p] : p)) : null;
}

/**
 * @param entries the stream's entries, newest first (useLogStream)
 * @param since the server's time (ms) when the stream first opened; entries before it are history
 *        and are not announced; null until then
 */
export function LogAnnouncer(props: { entries: LogEntry[]; since: number | null; words: (e: LogEntry) => LogWords }) {
  const [said, setSaid] = useState<{ key: number; text: ComponentChildren[] }[]>([]);
  const lastId = useRef(-1);
  const { entries, since, words } = props;

  useEffect(() => {
    if (since === null || !entries.length) return;
    const fresh: LogEntry[] = [];
    for (const e of entries) {
      if (e.id <= lastId.current) break;
      fresh.push(e);
    }
    if (!fresh.length) return;
    lastId.current = fresh[0].id;
    const text = announcement(fresh.reverse().filter((e) => Date.parse(e.at) >= since), words);
    if (text) setSaid((old) => old.concat({ key: lastId.current, text }).slice(-KEEP));
  }, [entries, since, words]);

  return (
    <div class="sr-only" role="log" aria-live="polite" aria-label={M().region} data-testid="log-announcer" data-since={since ?? undefined}>
      {said.map((s) => (
        <p key={s.key}>{s.text}</p>
      ))}
    </div>
  );
}
