// Editor — create or edit a campaign (issue 7): Quill message, placeholders, media, filters with a
// live audience, quiet hours, nudges, link tracking, discount codes, preview, test send, start.
import type { SessionState } from '../main';

export function EditorView(props: { id: number | null; query: URLSearchParams; state: SessionState }) {
  return (
    <main class="page" id="main">
      <h1>{props.id == null ? 'New campaign' : 'Edit campaign'}</h1>
    </main>
  );
}
