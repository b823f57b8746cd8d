// Browser test, campaign editor part (issue 7): create a campaign in the editor and start it.
// Called by run.mjs with a logged-in, connected page; returns { campaignId }.
export async function editorFlow(ctx) {
  ctx.log('editor flow: not written yet');
  return { campaignId: null };
}
