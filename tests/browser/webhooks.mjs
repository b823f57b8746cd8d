// Browser test, outgoing webhooks (issue 19), on the main server after the other flows: the
// Webhooks page from the header, its docs opened by "How to receive them" (the Python signature
// check), a URL into the loopback network refused at its field with the server's reason, a webhook
// added with a note (its signing secret shown once, with a copy button, and never again: not
// after "I have copied it", not after a reload, not in GET /webhooks), its row with its events and
// "No deliveries yet", its empty deliveries, then deleted after confirming. The receiver's address
// is a documentation address (TEST-NET-3): public to the guard, reachable by nobody. Called by
// run.mjs before shopFlow (which changes the password). Screenshots 60–63.
export async function webhooksFlow(ctx) {
  const { page, base, check, shot } = ctx;
  ctx.expectedStatuses.add(400); // the refusal provoked below (Chromium logs its status)

  // Back on the main server (safety.mjs used a second one); log in again if this tab has no token there.
  await page.goto(base + '/app/contacts');
  await page.waitForURL(/\/app\/(contacts|login)/);
  if (new URL(page.url()).pathname === '/app/login') {
    await page.getByLabel('Email').fill(ctx.login.email);
    await page.getByLabel('Password').fill(ctx.login.password);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.waitForURL('**/app/contacts');
  }
  const api = ctx.makeApi(base, await page.evaluate(() => sessionStorage.getItem('tgr.token')));
  await page.setViewportSize({ width: 1200, height: 800 });
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Webhooks' }).click();
  await page.waitForURL('**/app/webhooks');
  await page.getByRole('heading', { name: 'Webhooks', level: 1 }).waitFor();
  await page.getByTestId('webhooks-empty').waitFor();
  check((await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Webhooks' }).getAttribute('aria-current')) === 'page', 'Webhooks is in the header and marked current');

  // The docs: how a delivery looks and how to check its signature.
  await page.getByRole('link', { name: 'How to receive them' }).click();
  const python = page.getByTestId('webhook-docs-python');
  await python.waitFor();
  const code = await python.textContent();
  check(code.includes('hmac.compare_digest') && code.includes('t.encode() + b"." + body'), 'the docs show a Python check of X-Tgr-Signature over t + "." + the raw body');
  check(await python.isVisible(), '"How to receive them" opens the docs');

  // A URL into this server's own network is refused at its field, with the reason.
  const form = page.getByTestId('webhook-form');
  await form.getByLabel('Receiver URL').fill('http://127.0.0.1:9/hook');
  await form.getByTestId('webhook-save').click();
  const urlError = page.locator('#hook-url-error');
  await urlError.waitFor();
  const why = await urlError.textContent();
  check(/loopback/.test(why) && /public addresses/.test(why), `a loopback URL is refused at its field: "${why}"`);
  check((await api('GET', '/webhooks')).webhooks.length === 0, 'nothing was created by the refused form');
  await shot('60-webhooks-refused');

  // Added: the secret is shown once.
  const URL_OK = 'https://203.0.113.10/tgr-hooks';
  await form.getByLabel('Receiver URL').fill(URL_OK);
  await form.getByLabel('Note (optional)').fill('CRM sync');
  await form.getByTestId('webhook-save').click();
  const shown = page.getByTestId('webhook-secret-shown');
  await shown.waitFor();
  const secret = await page.getByTestId('webhook-secret-value').inputValue();
  check(/^whsec_[A-Za-z0-9_-]{43}$/.test(secret), 'the new webhook\'s signing secret is shown');
  check((await shown.getByRole('button', { name: /^Copy/ }).count()) === 1, 'the secret has a copy button');
  const row = page.getByTestId('webhook-row');
  await row.first().waitFor();
  check((await row.count()) === 1 && (await row.getByTestId('webhook-url-shown').textContent()) === URL_OK, 'the webhook is listed with its URL');
  check((await row.getByText('CRM sync').count()) === 1, 'with its note');
  check((await row.locator('.hook-events li').count()) === 8, 'with the eight events it gets (all, by default)');
  check(/No deliveries yet/.test(await row.getByTestId('webhook-status').textContent()), 'and "No deliveries yet"');
  const listed = await api('GET', '/webhooks');
  check(listed.webhooks.length === 1 && !JSON.stringify(listed).includes(secret), 'GET /webhooks lists it without its secret');
  await shot('61-webhooks-added');

  await shown.getByRole('button', { name: 'I have copied it' }).click();
  check((await page.getByTestId('webhook-secret-shown').count()) === 0, '"I have copied it" hides the secret');
  await page.reload();
  await row.first().waitFor();
  check(!(await page.content()).includes(secret), 'after a reload the secret is nowhere on the page');

  await row.getByRole('button', { name: 'Recent deliveries' }).click();
  await page.getByTestId('webhook-deliveries-empty').waitFor();
  check(true, 'its deliveries: none yet, said in words');
  await page.setViewportSize({ width: 390, height: 844 });
  await page.waitForTimeout(200);
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  check(overflow <= 0, 'no horizontal scrolling on the webhooks page at phone width');
  await shot('62-webhooks-phone');
  await page.setViewportSize({ width: 1200, height: 800 });

  // Deleted, after confirming.
  await row.getByRole('button', { name: 'Delete…' }).click();
  await row.getByRole('group').getByRole('button', { name: 'Delete', exact: true }).click();
  await page.getByTestId('webhooks-empty').waitFor();
  check((await api('GET', '/webhooks')).webhooks.length === 0, 'Delete (after confirming) removes the webhook');
  await shot('63-webhooks-deleted');
}
