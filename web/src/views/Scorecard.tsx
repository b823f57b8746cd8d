// Scorecard — what a finished campaign achieved and what to send next (issue 7).
export function ScorecardView(props: { id: number }) {
  return (
    <main class="page" id="main">
      <h1>Scorecard {props.id}</h1>
    </main>
  );
}
