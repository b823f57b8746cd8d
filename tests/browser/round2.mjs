// Browser test, issue 18 ("The web app, round two", items 1, 3, 8 and 11), each check failing on
// the old behaviour: on the main server, a campaign's progress polled from the monitor while its
// follow-ups are queued (the first message's and the follow-ups' percentages never go down, the
// first message's total stays the audience), a campaign waiting behind another one's follow-ups
// (named and linked, its time said to count them), the start dialog's quiet-hours choices, the
// "Simulated Telegram" notice while connected, and what a new login keeps (said before
// disconnecting, before connecting and after); then on a third server started with --demo, the
// example campaign's data on the analytics page, the scorecard (attribution, best lines with
// their placeholders' fallbacks, the frequency cap defined), the monitor (failure reasons in
// words first, opt-outs said as on the scorecard) and the contacts (spent with its currency,
// confidence readable at phone width). Called by run.mjs with its ctx. Screenshots 60–69.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const hhmm = (ms) => new Date(ms).toISOString().slice(11, 16);
const HOUR = 3600_000;

export async function round2Flow(ctx) {
  const { page, base, api, check, log, shot, Failure } = ctx;
  const until = async (what, fn, ms = 30_000) => {
    let last;
    for (const end = Date.now() + ms; Date.now() < end; await sleep(250)) if ((last = await fn())) return last;
    throw new Failure(`timed out waiting for ${what}`);
  };
  const monitor = async (b, id) => {
    await page.goto(`${b}/app/campaigns/${id}`);
    await page.waitForFunction(() => document.querySelector('main[data-loaded]')?.getAttribute('data-loaded') === 'monitor');
  };
  const noOverflow = async (where) => {
    await page.setViewportSize({ width: 390, height: 844 });
    await page.waitForTimeout(200);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    check(overflow <= 0, `no horizontal scrolling on ${where} at 390 px (overflow ${overflow})`);
  };
  const wide = () => page.setViewportSize({ width: 1200, height: 800 });

  // ---- 3. Progress never goes backwards ----------------------------------------------------------
  await api('PATCH', '/account', { frequency_cap_days: 0 });
  await until('no campaign of the main account running', async () => !(await api('GET', '/campaigns')).campaigns.some((c) => c.status === 'running'), 60_000);
  const followUp = [{ after_seconds: 1, condition: 'no_reply', message_text: 'Still there, {{first_name|friend}}?' }];
  const a = await api('POST', '/campaigns', { name: 'Follow-up check', message_text: 'Hi {{first_name|there}}, a quick check.', nudges: followUp });
  const audience = (await api('GET', `/campaigns/${a.id}/audience`)).count;
  check(audience >= 3, `the follow-up check reaches ${audience} people`);
  await api('POST', `/campaigns/${a.id}/start`, {});
  await monitor(base, a.id);
  const samples = [];
  let shotBoth = false;
  for (const end = Date.now() + 90_000; Date.now() < end; await sleep(200)) {
    const s = await page.evaluate(() => {
      const t = (id) => document.querySelector(`[data-testid=${id}]`)?.textContent ?? null;
      const num = (x) => (x === null || !/\d/.test(x) ? null : Number(x.replace(/[^0-9.]/g, '')));
      return {
        pct: num(t('progress-percent')),
        done: num(t('progress-done')),
        total: num(t('progress-total')),
        fuPct: num(t('follow-up-percent')),
        fuDone: num(t('follow-up-done')),
        fuTotal: num(t('follow-up-total')),
        waiting: (document.querySelector('#progress-text')?.textContent ?? '').includes('waiting'),
        queued: (document.querySelector('#progress-fu-text')?.textContent ?? '').includes('queued'),
        status: document.querySelector('main [data-testid=campaign-status]')?.getAttribute('data-status'),
      };
    });
    samples.push(s);
    if (s.waiting && s.queued && !shotBoth) {
      shotBoth = true;
      await shot('60-monitor-progress-follow-ups-queued');
    }
    if (s.status === 'completed') break;
  }
  const last = samples[samples.length - 1];
  check(last.status === 'completed', `the follow-up check completed (${samples.length} polls)`);
  check(samples.some((s) => s.waiting && s.queued), 'first messages and follow-ups were queued at once during the polls');
  check(samples.every((s) => s.total === audience), `"of N people" stays the audience (${audience}) in every poll`);
  const never = (key, cmp) => samples.every((s, i) => i === 0 || s[key] === null || samples[i - 1][key] === null || cmp(samples[i - 1][key], s[key]));
  check(never('pct', (x, y) => y >= x) && never('done', (x, y) => y >= x), `the first message's percentage never went down: ${samples.map((s) => s.pct).join(' ')}`);
  check(never('fuPct', (x, y) => y >= x) && never('fuDone', (x, y) => y >= x), `the follow-ups' percentage never went down: ${samples.map((s) => s.fuPct).join(' ')}`);
  check(never('fuTotal', (x, y) => y <= x), `the follow-ups' "at most" never grew: ${samples.map((s) => s.fuTotal).join(' ')}`);
  check(last.pct === 100 && last.fuPct === 100 && last.fuDone === last.fuTotal, 'both parts end at 100 %');
  await shot('61-monitor-progress-done');

  // A campaign whose follow-ups are held by its quiet hours holds the account's queue: the next
  // campaign says whom it waits for, links to it, and its time counts it.
  const quiet = { start: hhmm(Date.now() - HOUR), end: hhmm(Date.now() + HOUR), timezone: 'UTC' };
  const night = await api('POST', '/campaigns', { name: 'Night follow-ups', message_text: 'Evening news for {{first_name|you}}.', quiet_hours: quiet, nudges: followUp });
  await api('POST', `/campaigns/${night.id}/start`, { override_quiet_hours: true });
  await until('the night campaign to have follow-ups queued', async () => {
    const x = await api('GET', `/campaigns/${night.id}/analytics`);
    return x.status === 'nudging' && x.follow_ups.pending > 0;
  });
  await api('POST', `/campaigns/${night.id}/pause`);
  await api('POST', `/campaigns/${night.id}/resume`, { override_quiet_hours: false });
  // Resumed, it is running until the engine sees its first messages are all out.
  await until('the night campaign to be following up again', async () => (await api('GET', `/campaigns/${night.id}`)).status === 'nudging');
  const day = await api('POST', '/campaigns', { name: 'Day campaign', message_text: 'Good day, {{first_name|friend}}!' });
  await api('POST', `/campaigns/${day.id}/start`, {});
  await monitor(base, day.id);
  const behind = page.getByTestId('notice-waiting-behind');
  await behind.waitFor({ timeout: 10_000 });
  check((await behind.getByTestId('waiting-behind-link').textContent()) === 'Night follow-ups', 'the monitor names the campaign it waits behind');
  check(/follow-ups? queued before this campaign/.test(await behind.textContent()), `it says its follow-ups go first ("${await behind.textContent()}")`);
  check((await page.getByTestId('eta').textContent()).includes('after the other campaign'), `its time counts the other campaign ("${await page.getByTestId('eta').textContent()}")`);
  await shot('62-monitor-waiting-behind');
  await behind.getByTestId('waiting-behind-link').click();
  await page.waitForURL(`**/app/campaigns/${night.id}`);
  check(true, 'the name links to the campaign it waits behind');
  await api('POST', `/campaigns/${night.id}/cancel`);
  await until('the day campaign to finish', async () => (await api('GET', `/campaigns/${day.id}`)).status === 'completed', 60_000);
  await monitor(base, day.id);
  check((await page.getByTestId('notice-waiting-behind').count()) === 0, 'no waiting notice once nothing is ahead');

  // ---- 1. Simulated Telegram, said everywhere; what a new login keeps ------------------------------------
  check(await page.getByTestId('sim-notice').isVisible(), 'the monitor says Telegram is simulated');
  await page.goto(base + '/app/connect');
  await page.getByRole('heading', { name: 'Connected' }).waitFor();
  check(await page.getByTestId('sim-notice').isVisible(), 'the Telegram page says Telegram is simulated while connected');
  await page.getByRole('button', { name: 'Disconnect…' }).click();
  const confirm = await page.getByTestId('disconnect-confirm').textContent();
  check(/campaigns? stay in tgr/.test(confirm) && confirm.includes('contacts'), `before disconnecting it says contacts and campaigns stay ("${confirm}")`);
  await shot('63-disconnect-confirm');
  await page.getByTestId('disconnect-confirm').getByRole('button', { name: 'Disconnect', exact: true }).click();
  await page.getByLabel('Phone number').waitFor();
  const badge = page.getByTestId('tg-status');
  await badge.filter({ hasText: 'not connected' }).waitFor();
  check((await badge.textContent()).trim() === 'Simulated Telegram: not connected', 'the badge says "Simulated Telegram: not connected"');
  const before = page.getByTestId('reconnect-before');
  await before.waitFor();
  check((await before.textContent()).includes('stay, whichever number you connect') && (await before.textContent()).includes('Telegram may refuse'), 'before connecting it says what stays and what another number means');
  await shot('64-connect-another-number');
  await page.getByLabel('Phone number').fill('+15550003333');
  await page.getByRole('button', { name: 'Send code' }).click();
  await page.getByLabel('Login code').fill('24680');
  await page.getByRole('button', { name: 'Verify' }).click();
  await page.getByLabel('Two-step verification password').fill('pw-2fa');
  await page.getByRole('button', { name: 'Connect', exact: true }).click();
  await page.getByRole('heading', { name: 'Connected' }).waitFor();
  const after = page.getByTestId('reconnect-after');
  await after.waitFor();
  const afterText = await after.textContent();
  check(afterText.includes('from before are kept') && afterText.includes('instead of +1555***1111'), `after connecting another number it says what was kept ("${afterText}")`);
  await shot('65-reconnected');

  // ---- 8. The start dialog says what "respect quiet hours" does, inside and outside them --------------------
  const dialogText = async (qh) => {
    const draft = await api('POST', '/campaigns', { name: 'Dialog check', message_text: 'Hello {{first_name|there}}', quiet_hours: qh });
    await page.goto(`${base}/app/campaigns/${draft.id}/edit`);
    await page.getByTestId('start').click();
    const dialog = page.getByTestId('start-dialog');
    await dialog.getByTestId('start-respect-quiet').waitFor();
    const text = await dialog.getByTestId('start-respect-quiet').textContent();
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await api('DELETE', `/campaigns/${draft.id}`);
    return text;
  };
  const inside = await dialogText(quiet);
  check(inside.startsWith('Respect quiet hours') && inside.includes(`sends nothing until ${quiet.end}`), `inside quiet hours: "${inside}"`);
  const later = { start: hhmm(Date.now() + 2 * HOUR), end: hhmm(Date.now() + 3 * HOUR), timezone: 'UTC' };
  const outside = await dialogText(later);
  check(outside.includes(`Starts sending now and pauses at ${later.start}`), `outside quiet hours: "${outside}"`);
  ctx.noProblems('in the round-two checks on the main server');

  // ---- 11. The demo: a finished campaign with data in every view -------------------------------------------
  const dir = path.join(ctx.tmp, 'demo');
  fs.mkdirSync(path.join(dir, 'scenarios'), { recursive: true });
  const scenario = path.join(dir, 'scenarios', 'demo.json');
  fs.copyFileSync(path.join(root, 'scenarios', 'demo.json'), scenario);
  const demo = await ctx.startServer(scenario, dir, ['--demo', '--send-rate', '20']);
  log('demo server at', demo);
  const loginFile = path.join(dir, 'data', 'demo-login.txt');
  await until('the demo login', async () => fs.existsSync(loginFile), 10_000);
  const [demoEmail, demoPassword] = fs.readFileSync(loginFile, 'utf8').trim().split(/\s+/);
  await page.goto(demo + '/app/login');
  await page.getByLabel('Email').fill(demoEmail);
  await page.getByLabel('Password').fill(demoPassword);
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.waitForURL('**/app/contacts');
  const dapi = ctx.makeApi(demo, await page.evaluate(() => sessionStorage.getItem('tgr.token')));
  const row = await until(
    'the example campaign to finish with reads, replies, clicks and orders',
    async () => {
      const r = (await dapi('GET', '/analytics/campaigns')).campaigns[0];
      return r && r.status === 'completed' && r.read > 0 && r.replied > 0 && r.unique_clicks > 0 && r.orders > 0 ? r : null;
    },
    120_000,
  );
  check(row.name === 'Autumn sale (example)', `the demo has its example campaign: ${row.read} read, ${row.replied} replied, ${row.unique_clicks} clicked, ${row.orders} orders`);

  await page.goto(demo + '/app/analytics');
  await page.waitForFunction(() => document.querySelector('main[data-loaded]')?.getAttribute('data-loaded') === 'analytics');
  check(/[1-9]/.test(await page.getByTestId('revenue-total').textContent()), `the analytics revenue is not zero (${await page.getByTestId('revenue-total').textContent()})`);
  const cmp = page.locator(`[data-testid=compare-row][data-campaign-id="${row.campaign_id}"]`);
  check(Number((await cmp.getByTestId('compare-clicks').textContent()).split('·')[0].replace(/\D/g, '')) > 0, 'the analytics table shows its clicks');
  check(Number((await cmp.getByTestId('compare-orders').textContent()).replace(/\D/g, '')) > 0, 'the analytics table shows its orders');
  const revenue = (await cmp.getByTestId('compare-revenue').textContent()).trim();
  check(/[1-9]/.test(revenue), `the analytics table shows its revenue (${revenue})`);
  const lines = page.getByTestId('best-line');
  await lines.first().waitFor({ timeout: 10_000 });
  const texts = await page.locator('[data-testid=best-line] .line-text').allTextContents();
  check(texts.includes('Hi {{first_name|there}}!'), `a best line shows its placeholder with the fallback (${texts.join(' | ')})`);
  const scores = (await page.getByTestId('best-line-score').allTextContents()).map((t) => Number(t.replace(/[^0-9.]/g, '')));
  check(scores.every((s, i) => i === 0 || s <= scores[i - 1]), `best lines are ranked by the score they show (${scores.join(', ')})`);
  await shot('66-demo-analytics');
  await noOverflow('the analytics page');
  await wide();

  await page.goto(`${demo}/app/campaigns/${row.campaign_id}/scorecard`);
  await page.waitForFunction(() => document.querySelector('main[data-loaded]')?.getAttribute('data-loaded') === 'scorecard');
  const card = await page.locator('main').textContent();
  check(card.includes('shop.example/autumn-sale') && card.includes('AUTUMN20'), 'the scorecard credits revenue by link and by discount code');
  const cap = page.getByTestId('frequency-cap');
  check((await cap.count()) === 1 && (await cap.textContent()).includes('in the last 2 days'), `the scorecard defines the frequency cap ("${(await cap.count()) ? await cap.textContent() : ''}")`);
  check((await cap.getByRole('link', { name: 'Change it in Settings' }).getAttribute('href')) === '/app/settings#frequency-cap', 'and links to where it is changed');
  const words = (n) => (n ? `${n} of them opted out since` : 'nobody opted out');
  const scoreOut = (await page.getByTestId('opted-out').textContent()).trim();
  const nScore = (await dapi('GET', `/campaigns/${row.campaign_id}/analytics`)).opted_out;
  await shot('67-demo-scorecard');

  await monitor(demo, row.campaign_id);
  const monOut = (await page.getByTestId('opted-out').textContent()).trim();
  const nMon = (await dapi('GET', `/campaigns/${row.campaign_id}/analytics`)).opted_out;
  check(scoreOut === words(nScore) && monOut === words(nMon), `opt-outs in the same words on the scorecard ("${scoreOut}") and the monitor ("${monOut}")`);
  const blocked = page.locator('[data-testid=failure-reason][data-code=USER_IS_BLOCKED] [data-testid=reason]');
  const reason = (await blocked.textContent()).trim();
  check(!reason.startsWith('USER_IS_BLOCKED') && reason.endsWith('USER_IS_BLOCKED'), `a failure reason reads words first, the code second ("${reason}")`);
  check(await page.getByTestId('sim-notice').isVisible(), 'the demo monitor says Telegram is simulated');
  await shot('68-demo-monitor');

  await page.goto(demo + '/app/contacts');
  await page.waitForFunction(() => document.querySelector('section[data-loaded]')?.dataset.loaded === '|');
  check((await page.locator('th', { hasText: 'Spent' }).textContent()).includes('(EUR)'), 'the contacts list names the currency of Spent');
  check((await page.getByTestId('contact-spent').first().textContent()).includes('€'), `a spent amount shows its currency (${await page.getByTestId('contact-spent').first().textContent()})`);
  await noOverflow('the contacts page');
  const conf = page.getByTestId('category-badge').first().locator('.cat-conf');
  check((await conf.isVisible()) && /% sure|no signal yet/.test(await conf.textContent()), `confidence is readable without hovering at phone width ("${await conf.textContent()}")`);
  await shot('69-demo-contacts-phone');
  await wide();
  ctx.noProblems('in the demo');
}
