#!/usr/bin/env node
// Browser test of the web app in English: starts build/tgr on a free port with a simulated Telegram
// (two-step verification on), creates an account with the CLI, then drives Chromium through login,
// connecting Telegram (phone → code → password) and the contacts list, then the campaign workflow
// (editor.mjs, results.mjs), segments, a scheduled start, results per person, CSV exports and a
// contact's timeline (people.mjs), progress, the simulator's notices, a new login and the demo
// (round2.mjs, with a third server started with --demo), on a second server with a scenario of
// its own the Telegram account safety notices (safety.mjs), and back on the first the Webhooks
// page (webhooks.mjs), the settings, connecting the shop's orders and the orders list (shop.mjs),
// then a contact's export and erasure and the audit log (privacy.mjs). The same workflow in
// Russian is ru.mjs. Fails (exit 1) on any assertion, page dialog, uncaught page error or
// unexpected console error. Screenshots go to build/screenshots/.
//
//   node tests/browser/run.mjs          (TGR_BIN overrides build/tgr; CHROMIUM overrides /usr/bin/chromium)
import fs from 'node:fs';
import path from 'node:path';
import { EMAIL, Failure, HOSTILE, PASSWORD, SHOTS, WEB, check, launchBrowser, log, makeApi, root, run, startServer, tmp } from './harness.mjs';
import { editorFlow } from './editor.mjs';
import { resultsFlow } from './results.mjs';
import { safetyFlow } from './safety.mjs';
import { shopFlow } from './shop.mjs'; // issue 17: settings, connecting the shop, orders
import { peopleFlow } from './people.mjs';
import { createA11y } from './axe.mjs'; // issue 20: axe-core and focus indicators at every screenshot
import { round2Flow } from './round2.mjs'; // issue 18: progress, the simulator, words, the demo
import { webhooksFlow } from './webhooks.mjs'; // issue 19: outgoing webhooks
import { privacyFlow } from './privacy.mjs'; // issue 19: a person's export and erasure, the audit log

function writeScenario() {
  const ago = (h) => h * 3600;
  const scenario = {
    me: { id: '100', first_name: 'Shop' },
    login: { code: '24680', password: 'pw-2fa' },
    users: [
      {
        id: '201', access_hash: '1001', first_name: 'Alice', last_name: 'Walker', username: 'alice_w',
        messages: [
          { text: 'Hi! Is the blue ceramic mug still available?', ago_seconds: ago(30) },
          { text: 'Yes, it is in stock.', ago_seconds: ago(29), out: true },
          { text: 'Great, I ordered two, thanks!', ago_seconds: ago(28) },
        ],
      },
      {
        id: '202', access_hash: '1002', first_name: 'Дмитрий', last_name: 'Кузнецов', phone: '+79001234567',
        messages: [{ text: 'Есть льняная рубашка в размере S?', ago_seconds: ago(50) }],
      },
      {
        id: '203', access_hash: '1003', first_name: HOSTILE, username: 'xss_probe',
        messages: [{ text: '<script>alert(2)</script> hello', ago_seconds: ago(5) }],
      },
      {
        id: '204', access_hash: '1004', first_name: 'Bob', last_name: 'Stone',
        messages: [
          { text: 'My order #1234 arrived broken, I want a refund.', ago_seconds: ago(72) },
          { text: 'Still no refund for #1234, this is ridiculous.', ago_seconds: ago(48) },
        ],
      },
      {
        id: '205', access_hash: '1005', first_name: 'Carla', last_name: 'Díaz', username: 'carla_d', phone: '+34611000000',
        messages: [{ text: 'Received my order, love it 😍', ago_seconds: ago(200) }],
      },
      {
        id: '206', access_hash: '1006', first_name: 'Eve', last_name: 'Chen',
        messages: [{ text: 'How much is the wool scarf?', ago_seconds: ago(2) }],
      },
    ],
    faults: [],
    inbound: [],
    record: 'd.jsonl',
  };
  const file = path.join(tmp, 'scenario.json');
  fs.writeFileSync(file, JSON.stringify(scenario, null, 1));
  return file;
}

async function main() {
  if (!fs.existsSync(path.join(WEB, 'index.html'))) throw new Failure('web/dist/index.html missing: run `npm run build` in web/');
  fs.mkdirSync(SHOTS, { recursive: true });
  const base = await startServer(writeScenario());
  log('server at', base);

  const { page, problems, noProblems, expectedStatuses } = await launchBrowser({ locale: 'en-US' });
  const shot = async (name) => {
    await page.screenshot({ path: path.join(SHOTS, name + '.png'), fullPage: true });
    await a11y.check(page, name); // every page shown is checked at desktop and phone width
  };
  const a11y = createA11y({ root, log, Failure });
  const badge = page.getByTestId('tg-status');
  const rows = page.getByTestId('contact-row');
  // Types a search and waits until the list for exactly that search has loaded.
  const loaded = (key) => page.waitForFunction((k) => document.querySelector('section[data-loaded]')?.dataset.loaded === k, key);
  const search = async (text) => {
    await page.getByLabel('Search').fill(text);
    await loaded(text + '|');
  };

  // --- "/" → login -------------------------------------------------------------------------------
  const resp = await page.goto(base + '/');
  const csp = resp.headers()['content-security-policy'] || '';
  check(/script-src 'self'/.test(csp), 'index.html is served with the CSP');
  await page.waitForURL('**/app/login');
  check(new URL(page.url()).pathname === '/app/login', '"/" redirects to /app/login when logged out');
  const email = page.getByLabel('Email');
  const password = page.getByLabel('Password');
  await email.waitFor();
  await shot('01-login');

  // Wrong password: error at the field.
  await email.fill(EMAIL);
  await password.fill('not the password');
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.locator('#login-password-error').waitFor();
  check((await page.locator('#login-password-error').textContent()).includes('Wrong email or password'), 'a wrong password is reported at the password field');
  check((await password.getAttribute('aria-invalid')) === 'true', 'the password input is marked aria-invalid');
  await shot('02-login-error');

  // Log in with the keyboard only.
  await email.focus();
  await page.keyboard.press('Tab');
  check(await password.evaluate((el) => el === document.activeElement), 'Tab moves from Email to Password');
  await page.keyboard.press('ControlOrMeta+a');
  await page.keyboard.type(PASSWORD);
  await page.keyboard.press('Enter');
  await page.waitForURL('**/app/contacts');
  check(true, 'logged in, landed on /app/contacts');
  await badge.filter({ hasText: 'not connected' }).waitFor();
  check((await badge.textContent()).includes('not connected'), 'header badge says "not connected"');
  await page.getByText('No contacts yet').waitFor();
  await shot('03-contacts-empty');

  // --- Connect Telegram ------------------------------------------------------------------------------
  await badge.click();
  await page.waitForURL('**/app/connect');
  const phone = page.getByLabel('Phone number');
  await phone.waitFor();
  await page.getByTestId('sim-notice').waitFor();
  check((await page.getByTestId('sim-code').textContent()) === '24680', 'on the simulator the connect page shows the demo login code');
  await shot('04-connect-phone');
  await phone.fill('+15550001111');
  await page.getByRole('button', { name: 'Send code' }).click();

  const code = page.getByLabel('Login code');
  await code.waitFor();
  await code.fill('11111');
  await page.getByRole('button', { name: 'Verify' }).click();
  await page.locator('#tg-code-error').waitFor();
  check((await page.locator('#tg-code-error').textContent()).includes('code is not right'), '422 phone_code_invalid is shown at the code field');
  await shot('05-connect-code-invalid');
  await code.fill('24680');
  await code.press('Enter');

  const tgPassword = page.getByLabel('Two-step verification password');
  await tgPassword.waitFor();
  check(true, '409 password_required leads to the password step');
  await tgPassword.fill('wrong-2fa');
  await page.getByRole('button', { name: 'Connect', exact: true }).click();
  await page.locator('#tg-password-error').waitFor();
  check((await page.locator('#tg-password-error').textContent()).includes('password is not right'), '422 password_invalid is shown at the password field');
  await shot('06-connect-password');
  await tgPassword.fill('pw-2fa');
  await tgPassword.press('Enter');
  await page.getByRole('heading', { name: 'Connected' }).waitFor();
  await badge.filter({ hasText: 'connected' }).waitFor();
  // Issue 18: the simulator is said while connected, in the badge and on the page.
  check((await badge.textContent()).trim() === 'Simulated Telegram: connected', 'header badge says "Simulated Telegram: connected"');
  check(await page.getByTestId('sim-notice').isVisible(), 'the "Simulated Telegram" notice is visible while connected');
  check((await page.getByTestId('sim-notice').textContent()).includes('no real messages leave this server'), 'the notice says no real messages leave the server');
  await shot('07-connected');

  // --- Contacts ------------------------------------------------------------------------------------
  await page.getByRole('link', { name: 'View contacts' }).click();
  await page.waitForURL('**/app/contacts');
  // The first sync runs by itself after connecting; if it has not landed yet, reload, then ask for one.
  const sixRows = (ms) =>
    page
      .waitForFunction(() => document.querySelectorAll('[data-testid=contact-row]').length >= 6, null, { timeout: ms })
      .then(() => true, () => false);
  if (!(await sixRows(3000))) {
    await page.reload();
    if (!(await sixRows(3000))) {
      await page.getByRole('button', { name: 'Sync now' }).click();
      if (!(await sixRows(10000))) throw new Failure(`expected 6 contacts, have ${await rows.count()}`);
    }
  }
  check((await rows.count()) === 6, 'the contacts list shows 6 contacts');
  const names = await page.getByTestId('contact-name').allTextContents();
  check(names.includes(HOSTILE), 'the hostile name is shown as literal text');
  check((await page.locator('main img').count()) === 0, 'no <img> element was created from contact data');
  check(names.includes('Дмитрий Кузнецов'), 'the Cyrillic name is shown');
  check((await badge.textContent()).trim() === 'Simulated Telegram: connected', 'header badge says "Simulated Telegram: connected" on the contacts page');
  check((await page.locator('.cat').count()) === 6, 'every contact has a category badge');
  await shot('08-contacts');

  // Search narrows the list (server-side q).
  await search('Дмит');
  check((await rows.count()) === 1, 'search "Дмит" leaves one row');
  check((await rows.first().textContent()).includes('Дмитрий'), 'search "Дмит" narrows the list to one contact');
  check(new URL(page.url()).searchParams.get('q') === 'Дмит', 'the search is kept in the URL');
  await shot('09-contacts-search');
  await search('onerror');
  check((await rows.count()) === 1, 'search "onerror" leaves one row');
  check((await page.getByTestId('contact-name').textContent()) === HOSTILE, 'searching "onerror" finds the hostile contact, as text');
  await search('zzz-nobody');
  check((await page.getByText('No contacts match this search.').count()) === 1, 'a search without matches says so');
  await search('');
  check((await rows.count()) === 6, 'clearing the search shows all 6 again');

  // Category filter: every row shown has the chosen category.
  await page.getByLabel('Category').selectOption('refund_risk');
  await loaded('|refund_risk');
  const cats = await page.locator('[data-testid=contact-row] .cat').evaluateAll((els) => els.map((e) => e.className));
  check(cats.every((c) => c.includes('cat-refund_risk')), `category filter shows only refund_risk contacts (${cats.length})`);
  await page.getByLabel('Category').selectOption('');
  await loaded('|');
  check((await rows.count()) === 6, 'back to all categories shows 6');

  // Paging: 50 a page, so 6 contacts fit one page and no "Load more" is offered...
  check((await page.getByRole('button', { name: 'Load more' }).count()) === 0, 'no "Load more" when everything fits one page');
  // ...and with 4 a page, "Load more" follows next_after.
  await page.goto(base + '/app/contacts?limit=4');
  await loaded('|');
  check((await rows.count()) === 4, 'with ?limit=4 the first page has 4 contacts');
  const firstIds = await rows.evaluateAll((els) => els.map((e) => e.textContent));
  await page.getByRole('button', { name: 'Load more' }).click();
  await page.waitForFunction(() => document.querySelectorAll('[data-testid=contact-row]').length >= 6);
  await loaded('|');
  check(
    (await rows.count()) === 6 && (await page.getByRole('button', { name: /Load more|Loading/ }).count()) === 0,
    '"Load more" appends the remaining 2 and disappears',
  );
  const allIds = await rows.evaluateAll((els) => els.map((e) => e.textContent));
  check(new Set(allIds).size === 6 && firstIds.every((t, i) => allIds[i] === t), 'the pages neither repeat nor reorder contacts');
  await page.goto(base + '/app/contacts');
  await loaded('|');

  // Phone width.
  await page.setViewportSize({ width: 390, height: 844 });
  await page.waitForTimeout(200);
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  check(overflow <= 0, 'no horizontal scrolling at phone width');
  await shot('10-contacts-phone');
  await page.goto(base + '/app/connect');
  await page.getByRole('heading', { name: 'Connected' }).waitFor();
  await shot('11-connected-phone');
  await page.setViewportSize({ width: 1200, height: 800 });

  // Keyboard only (issue 20): Tab goes through the contacts page, each stop visibly focused.
  await page.goto(base + '/app/contacts');
  await loaded('|');
  const stops = await a11y.tabTour(page);
  check(['"Skip to content"', '"Contacts"', '"Settings"', '"Log out"', '"Sync now"', '"Alice Walker"'].every((t) => stops.some((s) => s.includes(t))) && stops.some((s) => s.startsWith('select')),
    `Tab reaches the skip link, the menu, the search and filters, the contacts and the buttons (${stops.length} stops)`);
  await page.getByTestId('contact-name').first().evaluate((el) => el.focus({ focusVisible: true }));
  await page.screenshot({ path: path.join(SHOTS, '14-contacts-focus.png') }); // what the focus ring looks like
  await page.goto(base + '/app/no-such-page');
  await page.getByRole('heading', { name: 'Page not found' }).waitFor();
  await shot('14-not-found');
  await page.goto(base + '/app/campaigns/new');
  await page.locator('.ql-editor').waitFor();
  await shot('15-editor-new');

  // --- Campaigns (read-only list) -------------------------------------------------------------------
  const campaignRows = page.getByTestId('campaign-row');
  const campaignsLoaded = () => page.waitForFunction(() => document.querySelector('section[data-loaded]')?.dataset.loaded === 'campaigns');
  await page.goto(base + '/app/contacts');
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Campaigns' }).click();
  await page.waitForURL('**/app/campaigns');
  await campaignsLoaded();
  check((await page.getByText('No campaigns yet').count()) === 1, 'the campaigns page shows an empty state before any campaign exists');

  // Two campaigns through the API with the page's own token; one starts sending.
  const api = makeApi(base, await page.evaluate(() => sessionStorage.getItem('tgr.token')));
  const CAMPAIGN_HOSTILE = '<b>bold?</b> "Spring"';
  const draft = await api('POST', '/campaigns', { name: CAMPAIGN_HOSTILE, message_text: 'Hi {{first_name|there}}, the spring sale is on!' });
  const live = await api('POST', '/campaigns', { name: 'Winter clearance', message_text: '<b>Hi {{first_name|there}}</b>, last days of the winter clearance.' });
  const startedCampaign = await api('POST', `/campaigns/${live.id}/start`, {});
  check(['running', 'completed'].includes(startedCampaign.status), `POST /campaigns/:id/start answers ${startedCampaign.status}`);
  let sentSoFar = 0;
  for (const until = Date.now() + 20_000; Date.now() < until; ) {
    sentSoFar = (await api('GET', `/campaigns/${live.id}/analytics`)).sent;
    if (sentSoFar >= 1) break;
    await new Promise((r) => setTimeout(r, 250));
  }
  check(sentSoFar >= 1, `the started campaign has sent ${sentSoFar} message(s) per its analytics`);

  await page.reload();
  await campaignsLoaded();
  check((await campaignRows.count()) === 2, 'the campaigns list shows both campaigns');
  const campaignNames = await page.getByTestId('campaign-name').allTextContents();
  check(campaignNames.includes(CAMPAIGN_HOSTILE) && campaignNames.includes('Winter clearance'), 'both campaign names are shown');
  check((await page.locator('main b').count()) === 0, 'the hostile campaign name is literal text (no <b> element)');
  const draftRow = page.locator(`[data-testid=campaign-row][data-campaign-id="${draft.id}"]`);
  const liveRow = page.locator(`[data-testid=campaign-row][data-campaign-id="${live.id}"]`);
  check((await draftRow.getByTestId('campaign-status').textContent()).trim() === 'Draft', 'the unstarted campaign is a draft');
  const liveStatus = (await liveRow.getByTestId('campaign-status').textContent()).trim();
  check(['Sending', 'Completed'].includes(liveStatus), `the started campaign's status is ${liveStatus}`);
  const liveSent = Number((await liveRow.getByTestId('campaign-sent').textContent()).replace(/[^0-9]/g, ''));
  check(liveSent >= 1, `the started campaign shows sent ${liveSent} ≥ 1`);
  check((await liveRow.locator('progress').count()) === 1, 'the started campaign has a progress bar');
  check((await liveRow.locator('time').count()) === 1 && (await draftRow.getByText('Not started').count()) === 1, 'started date shown only for the started campaign');
  await shot('12-campaigns');
  await page.setViewportSize({ width: 390, height: 844 });
  await page.waitForTimeout(200);
  const campaignsOverflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  check(campaignsOverflow <= 0, 'no horizontal scrolling on the campaigns page at phone width');
  await shot('13-campaigns-phone');
  await page.setViewportSize({ width: 1200, height: 800 });

  // Duplicate → a new draft opens in the editor; delete it again from the list (confirmed inline).
  await draftRow.getByRole('button', { name: 'Duplicate ' + CAMPAIGN_HOSTILE }).click();
  await page.waitForURL(/\/app\/campaigns\/\d+\/edit$/);
  const copyId = Number(/campaigns\/(\d+)\/edit/.exec(page.url())[1]);
  const copy = await api('GET', `/campaigns/${copyId}`);
  check(copy.status === 'draft' && copy.name === 'Copy of ' + CAMPAIGN_HOSTILE && copy.message_text === draft.message_text,
    'Duplicate creates a draft copy (same message) and opens it in the editor');
  await page.goto(base + '/app/campaigns');
  await campaignsLoaded();
  check((await campaignRows.count()) === 3, 'the copy is listed');
  check((await liveRow.getByRole('button', { name: /^Delete/ }).count()) === 0, 'a started campaign offers no Delete');
  const copyRow = page.locator(`[data-testid=campaign-row][data-campaign-id="${copyId}"]`);
  await copyRow.getByRole('button', { name: 'Delete Copy of ' + CAMPAIGN_HOSTILE }).click();
  await copyRow.getByRole('group').getByRole('button', { name: 'Delete', exact: true }).click();
  await page.waitForFunction(() => document.querySelectorAll('[data-testid=campaign-row]').length === 2);
  check((await api('GET', '/campaigns')).campaigns.length === 2, 'Delete (after confirming) removes the draft');
  await liveRow.getByTestId('campaign-name').click();
  await page.waitForURL(`**/app/campaigns/${live.id}`);
  check(true, 'a started campaign\'s name opens its monitor');

  // "/" when logged in → contacts.
  await page.goto(base + '/');
  await page.waitForURL('**/app/contacts');
  check(true, '"/" redirects to /app/contacts when logged in');

  // A rejected token sends you to login, keeping the route.
  await page.evaluate(() => sessionStorage.setItem('tgr.token', 'not-a-token'));
  await page.goto(base + '/app/contacts?q=Eve');
  await page.waitForURL('**/app/login?next=*');
  check(
    new URL(page.url()).searchParams.get('next') === '/app/contacts?q=Eve',
    'a 401 sends you to /app/login?next=<route>',
  );
  await page.getByLabel('Email').fill(EMAIL);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.waitForURL('**/app/contacts?q=Eve');
  await loaded('Eve|');
  check((await rows.count()) === 1, 'the search from the URL is applied');
  check((await page.getByLabel('Search').inputValue()) === 'Eve', 'after logging in again you are back on the route, search included');

  // --- The campaign workflow: editor → start → monitor → analytics → scorecard → follow-up -------
  // The "Winter clearance" run above messaged everyone; without a frequency cap they can be reached again.
  await api('PATCH', '/account', { frequency_cap_days: 0 });
  const ctx = {
    page, base, api, check, log, shot, noProblems, Failure, expectedStatuses, tmp,
    /** The simulator's record of deliveries: one JSON object per line (DESIGN §6). */
    record: () => {
      const f = path.join(tmp, 'd.jsonl');
      if (!fs.existsSync(f)) return [];
      return fs.readFileSync(f, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
    },
    contacts: { hostile: HOSTILE },
    startServer, makeApi, login: { email: EMAIL, password: PASSWORD },
  };
  const made = await editorFlow(ctx);
  await resultsFlow(ctx, made);
  // Issue 16: segments, a scheduled start, the people view, CSV exports, a contact's timeline.
  await peopleFlow(ctx);
  await round2Flow(ctx);
  await safetyFlow(ctx);
  await webhooksFlow(ctx); // issue 19: add a webhook, its secret shown once, delete it
  await shopFlow(ctx); // it changes the password
  await privacyFlow(ctx); // last: it erases a contact

  a11y.finish();
  noProblems('during the whole run');
}

await run(main);
