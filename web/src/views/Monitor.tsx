// Monitor — one campaign live (issue 7): SSE log, progress, counters, rate/ETA, quiet hours,
// FloodWait countdown, nudges, error notices with their action, pause/resume/cancel.
import type { SessionState } from '../main';

export function MonitorView(props: { id: number; state: SessionState }) {
  return (
    <main class="page" id="main">
      <h1>Campaign {props.id}</h1>
    </main>
  );
}
