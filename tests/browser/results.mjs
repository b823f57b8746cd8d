// Browser test, results part (issue 7): live monitor, a click and an order in analytics, the
// scorecard and a follow-up campaign. Called by run.mjs after editorFlow with its result.
export async function resultsFlow(ctx, made) {
  ctx.log('results flow: not written yet', made);
}
