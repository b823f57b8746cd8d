// Browser test, the shop's side (issue 17), on the main server after the campaign workflow: the
// settings page (time zone picked by searching, the browser's zone offered, an API error shown at
// its field; the password changed — wrong current password at its field, then the login page and
// logging in again with the new one, the old token refused; a new API key shown once with its
// warning and copy button, the key before it refused), "Connect your shop" (the webhook address, a
// secret shown once, the signed curl example run as it is, "Send a test order" arriving in the
// list marked Test, a CSV with one bad line dropped on the page: upload and processing progress,
// the refused line and why) and the orders page (newest first, credited campaign and how). Called
// by run.mjs last: it changes the password. Screenshots 50–59.
import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';

const NEW_PASSWORD = 'a new passphrase for the shop 7';
const CSV_HEADER = 'order_id,amount,currency,status,created_at,telegram_user_id,phone,username,discount_code,ref\n';

export async function shopFlow(ctx) {
  const { page, base, check, log, shot, Failure } = ctx;
  ctx.expectedStatuses.add(400); // the refusals provoked below (Chromium logs their status)
  await page.context().grantPermissions(['clipboard-read', 'clipboard-write'], { origin: base });

  // Back on the main server (safety.mjs used a second one); log in again if this tab has no token there.
  await page.goto(base + '/app/settings');
  await page.waitForURL(/\/app\/(settings|login)/);
  if (new URL(page.url()).pathname === '/app/login') {
    await page.getByLabel('Email').fill(ctx.login.email);
    await page.getByLabel('Password').fill(ctx.login.password);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.waitForURL('**/app/settings');
  }
  const token = () => page.evaluate(() => sessionStorage.getItem('tgr.token'));
  let api = ctx.makeApi(base, await token());
  const status = async (headers) => (await fetch(base + '/account', { headers })).status;

  // --- Settings: time zone ------------------------------------------------------------------------------
  await page.getByRole('heading', { name: 'Settings' }).waitFor();
  check((await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Settings' }).getAttribute('aria-current')) === 'page', 'Settings is in the header and marked current');
  const general = page.getByTestId('settings-general');
  await page.getByLabel('Time zone', { exact: true }).fill('berl');
  const options = await page.locator('#set-tz option').allTextContents();
  check(options.includes('Europe/Berlin') && options.length <= 3, `searching "berl" narrows the zones to ${options.join(', ')}`);
  await page.locator('#set-tz').selectOption('Europe/Berlin');
  check((await page.getByTestId('tz-selected').textContent()) === 'Europe/Berlin', 'the picked zone is shown as selected');
  const suggest = page.getByTestId('tz-suggest');
  check((await suggest.textContent()).includes('UTC') && (await suggest.textContent()).includes("this browser's time zone"), "the browser's own zone (UTC here) is offered");
  await shot('50-settings-timezone');
  await general.getByRole('button', { name: 'Save' }).click();
  await page.getByTestId('general-saved').filter({ hasText: 'Saved.' }).waitFor();
  check((await api('GET', '/account')).timezone === 'Europe/Berlin', 'Save stores the time zone (GET /account says Europe/Berlin)');

  // An API refusal lands at its field: the request is altered on its way to carry a zone tgr refuses.
  await page.route('**/account', (route) => {
    const req = route.request();
    if (req.method() !== 'PATCH') return route.continue();
    return route.continue({ postData: JSON.stringify({ ...JSON.parse(req.postData() || '{}'), timezone: 'Mars/Olympus_Mons' }) });
  });
  await general.getByRole('button', { name: 'Save' }).click();
  await page.locator('#set-tz-error').waitFor();
  check((await page.locator('#set-tz-error').textContent()).includes('IANA time zone'), "the API's timezone error is shown at the time zone field");
  await page.unroute('**/account');
  await page.getByLabel('Message the same person at most once every … days').fill('400');
  await general.getByRole('button', { name: 'Save' }).click();
  check((await page.locator('#set-cap-error').textContent()).includes('0 to 365'), 'a frequency cap over 365 is refused at its field, as the API would');
  await page.getByLabel('Message the same person at most once every … days').fill('0');
  await general.getByRole('button', { name: 'Save' }).click();
  await page.getByTestId('general-saved').filter({ hasText: 'Saved.' }).waitFor();
  check((await page.getByTestId('sending-limits').count()) === 1, 'the sending limits are on the settings page too');

  // --- Settings: password ---------------------------------------------------------------------------------
  const pw = page.getByTestId('settings-password');
  await pw.getByLabel('Current password').fill('not my password at all');
  await pw.getByLabel('New password').fill('short');
  check((await page.getByTestId('pw-rule').textContent()).includes('so far'), 'the rule is shown while typing a too-short password');
  await pw.getByRole('button', { name: 'Change password' }).click();
  check((await page.locator('#set-pw-new-error').textContent()).includes('At least 12'), 'a short new password is refused at its field before sending');
  await pw.getByLabel('New password').fill(NEW_PASSWORD);
  await pw.getByRole('button', { name: 'Change password' }).click();
  await page.locator('#set-pw-current-error').waitFor();
  check((await page.locator('#set-pw-current-error').textContent()).includes('not your current password'), "the API's wrong current password is shown at its field");
  await shot('51-settings-password-error');
  const oldToken = await token();
  await pw.getByLabel('Current password').fill(ctx.login.password);
  await pw.getByRole('button', { name: 'Change password' }).click();
  await page.waitForURL('**/app/login?next=*');
  check((await page.getByTestId('login-notice').textContent()).includes('password was changed'), 'after the change the login page says why');
  check((await status({ Authorization: 'Bearer ' + oldToken })) === 401, 'the token from before the change answers 401');
  await shot('52-login-after-password-change');
  await page.getByLabel('Email').fill(ctx.login.email);
  await page.getByLabel('Password').fill(ctx.login.password);
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.locator('#login-password-error').waitFor();
  check(true, 'the old password no longer logs in');
  await page.getByLabel('Password').fill(NEW_PASSWORD);
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.waitForURL('**/app/settings');
  check(true, 'logged in again with the new password, back on the settings page');
  ctx.login.password = NEW_PASSWORD;
  api = ctx.makeApi(base, await token());

  // --- Settings: a new API key --------------------------------------------------------------------------
  const keyCard = page.getByTestId('settings-api-key');
  const newKey = async () => {
    await keyCard.getByRole('button', { name: 'Make a new API key…' }).click();
    check((await keyCard.getByRole('group').textContent()).includes('stops working at once'), 'making a new key warns that the old one stops working');
    await keyCard.getByRole('group').getByRole('button', { name: 'Make a new key' }).click();
    await page.getByTestId('api-key-shown').waitFor();
    return await page.getByTestId('api-key-value').inputValue();
  };
  const key1 = await newKey();
  check(/^tgr_[A-Za-z0-9_-]{43}$/.test(key1), 'the new API key is shown');
  check((await page.getByTestId('api-key-shown').textContent()).includes('shown only this once'), 'with the warning that it is shown once');
  await keyCard.getByRole('button', { name: 'Copy new api key' }).click();
  await keyCard.getByRole('status').filter({ hasText: /Copied|Selected/ }).first().waitFor();
  const copied = await page.evaluate(() => navigator.clipboard.readText().catch(() => null));
  check(copied === null || copied === key1, `Copy puts the key on the clipboard (${copied === null ? 'clipboard not readable here' : 'read back'})`);
  await shot('53-settings-api-key');
  check((await status({ 'X-API-Key': key1 })) === 200, 'the shown key opens the account');
  await keyCard.getByRole('button', { name: 'I have copied it' }).click();
  const key2 = await newKey();
  check(key2 !== key1 && (await status({ 'X-API-Key': key2 })) === 200, 'a second new key works');
  check((await status({ 'X-API-Key': key1 })) === 401, 'the key before it answers 401');

  // --- Connect your shop ----------------------------------------------------------------------------------
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Orders' }).click();
  await page.waitForURL('**/app/orders');
  await page.getByRole('link', { name: 'Connect your shop' }).first().click();
  await page.waitForURL('**/app/shop');
  await page.getByRole('heading', { name: 'Connect your shop' }).waitFor();
  await page.getByTestId('webhook-url').waitFor();
  check((await page.getByTestId('webhook-url').inputValue()) === base + '/webhooks/orders', 'the webhook address to paste is shown');
  const secretCard = page.getByTestId('shop-secret');
  if (await secretCard.getByRole('button', { name: 'Make a secret' }).count()) {
    await secretCard.getByRole('button', { name: 'Make a secret' }).click();
  } else {
    await secretCard.getByRole('button', { name: 'Make a new secret…' }).click();
    check((await secretCard.getByRole('group').textContent()).includes('stops working'), 'remaking the secret warns first');
    await secretCard.getByRole('group').getByRole('button', { name: 'Make a new secret' }).click();
  }
  await page.getByTestId('secret-value').waitFor();
  const secret = await page.getByTestId('secret-value').inputValue();
  check(/^whsec_/.test(secret), 'the new secret is shown once');
  check((await page.getByTestId('secret-state').textContent()).includes('A secret is set'), 'the page says a secret is set');
  // The curl example is signed with that secret: its signature is the HMAC of its own body.
  await page.getByTestId('curl-example').filter({ hasText: 'X-Tgr-Signature: sha256=' }).waitFor();
  const curl = await page.getByTestId('curl-example').textContent();
  const body = /--data-raw '(.*)'$/.exec(curl)?.[1];
  const sig = /X-Tgr-Signature: (sha256=[0-9a-f]{64})/.exec(curl)?.[1];
  const account = await api('GET', '/account');
  check(body && sig === 'sha256=' + crypto.createHmac('sha256', secret).update(body).digest('hex'), 'the curl example is signed with the secret for its exact body');
  check(curl.includes(`X-Tgr-Account: ${account.id}`) && curl.includes(base + '/webhooks/orders'), 'the curl example names this account and the webhook address');
  await shot('54-shop-connect');
  const revenue0 = (await api('GET', '/analytics/revenue')).total;
  // Run as it is, it delivers a test order.
  const curlOut = execFileSync('sh', ['-c', curl + " -s -o /dev/null -w '%{http_code}'"], { encoding: 'utf8' });
  check(curlOut === '202', `the curl example, run as it is, is accepted (${curlOut})`);
  const curlOrder = JSON.parse(body).order_id;

  // Send a test order: through the real webhook, then in the list, marked.
  await page.getByRole('button', { name: 'Send a test order' }).click();
  await page.getByTestId('test-result').waitFor();
  const sent = /Test order (test-[0-9a-f]+) arrived/.exec(await page.getByTestId('test-result').textContent())?.[1];
  check(!!sent, 'the page says the test order arrived');
  const first = page.getByTestId('order-row').first();
  await page.locator(`[data-testid=order-row][data-order-id="${sent}"]`).waitFor();
  check((await first.getAttribute('data-order-id')) === sent && (await first.getByTestId('order-test').count()) === 1, 'the test order is the newest in the list, marked Test');
  check((await first.getByTestId('order-via').textContent()) === 'Test order', 'it is credited to no campaign');
  check((await page.locator(`[data-testid=order-row][data-order-id="${curlOrder}"]`).count()) === 1, "the curl example's test order is listed too");
  await shot('55-shop-test-order');
  check((await api('GET', '/analytics/revenue')).total === revenue0, 'the two test orders add nothing to the revenue');

  // --- The orders page: newest first, how each was credited ---------------------------------------------------
  // An order of a customer who got a campaign message, without ref or code: credited by the 7-day window.
  const delivered = ctx.record().find((d) => d.user_id && d.user_id !== '100');
  if (!delivered) throw new Failure('no delivery in the simulator record to order for');
  await fetch(base + '/webhooks/orders', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', 'X-API-Key': key2 },
    body: JSON.stringify({ order_id: 'window-1', amount: 2500, currency: 'EUR', status: 'paid', customer: { telegram_user_id: String(delivered.user_id) } }),
  }).then((r) => check(r.status === 202, `an order of a messaged customer is accepted (${r.status})`));
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Orders' }).click();
  await page.waitForURL('**/app/orders');
  await page.locator('section[data-loaded=orders] [data-testid=order-row]').first().waitFor();
  const rows = page.getByTestId('order-row');
  check((await rows.first().getAttribute('data-order-id')) === 'window-1', 'the orders page lists the newest first');
  check((await rows.first().getByTestId('order-via').textContent()) === 'Message within 7 days' && (await rows.first().getByTestId('order-campaign').locator('a').count()) === 1,
    'the window order shows its campaign and "Message within 7 days"');
  const vias = new Set(await page.getByTestId('order-via').allTextContents());
  check(vias.has('Tracked link'), "the campaign workflow's order shows up credited to its campaign by its tracked link");
  check((await page.locator('main').textContent()).includes('Test'), 'test orders are marked on the orders page');
  await page.evaluate(() => window.scrollTo(0, 0));
  await shot('56-orders');
  await page.getByRole('link', { name: 'Connect your shop' }).first().click();
  await page.waitForURL('**/app/shop');
  await page.getByTestId('dropzone').waitFor();

  // --- The CSV import, dropped on the page ------------------------------------------------------------------
  const lines = Array.from({ length: 30000 }, (_, i) => `csv-${i},${1000 + (i % 50)},EUR,paid,,,,,,`);
  lines.splice(1, 0, 'csv-bad,12x,EUR,paid,,,,,,'); // line 3 of the file
  const csv = CSV_HEADER + lines.join('\n') + '\n';
  await page.evaluate(() => {
    const el = document.querySelector('[data-testid=import-status]');
    window.__phases = [];
    new MutationObserver(() => window.__phases.push(el.dataset.phase)).observe(el, { attributes: true, attributeFilter: ['data-phase'] });
  });
  const dt = await page.evaluateHandle((text) => {
    const d = new DataTransfer();
    d.items.add(new File([text], 'orders.csv', { type: 'text/csv' }));
    return d;
  }, csv);
  await page.dispatchEvent('[data-testid=dropzone]', 'dragover', { dataTransfer: dt });
  await page.dispatchEvent('[data-testid=dropzone]', 'drop', { dataTransfer: dt });
  const processing = await page
    .locator('[data-testid=import-status][data-phase=processing] progress')
    .waitFor({ timeout: 15_000 })
    .then(() => true, () => false);
  if (processing) await shot('57-shop-import-progress');
  await page.getByTestId('import-result').waitFor({ timeout: 60_000 });
  const phases = await page.evaluate(() => window.__phases);
  check(phases.includes('uploading') && phases.includes('processing') && phases.at(-1) === 'done', `the import showed upload and processing progress (${[...new Set(phases)].join(' → ')})`);
  check(Number((await page.getByTestId('import-imported').textContent()).replace(/\D/g, '')) === 30000, 'the dropped CSV imported its 30,000 good lines');
  check((await page.getByTestId('import-refused').textContent()) === '1', 'one line was refused');
  const refused = page.getByTestId('import-error');
  check((await refused.count()) === 1 && (await refused.locator('td').first().textContent()).trim() === '3', 'the refused line is line 3');
  check((await refused.locator('td').nth(1).textContent()).includes('amount'), `and why: ${await refused.locator('td').nth(1).textContent()}`);
  await shot('58-shop-import-refused');
  // The same file again through the file button: everything already there, the bad line still refused.
  await page.setInputFiles('#shop-import-file', { name: 'orders.csv', mimeType: 'text/csv', buffer: Buffer.from(csv) });
  await page.locator('[data-testid=import-result]').filter({ hasText: 'already there' }).waitFor({ timeout: 60_000 });
  check((await page.getByTestId('import-imported').textContent()) === '0', 'importing the file again imports nothing new (skipped)');

  await page.setViewportSize({ width: 390, height: 844 });
  await page.goto(base + '/app/orders');
  await page.locator('section[data-loaded=orders]').waitFor();
  check((await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth)) <= 0, 'no horizontal scrolling on the orders page at phone width');
  await page.goto(base + '/app/shop');
  await page.getByTestId('webhook-url').waitFor();
  check((await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth)) <= 0, 'nor on the shop page');
  await shot('59-shop-phone');
  await page.setViewportSize({ width: 1200, height: 800 });
  log('shop flow done');
}
