// Browser test, issue 19 part (items 2 and 3): on a contact's page "Export (JSON)" downloads
// everything about the person (their profile and messages, opened), "Erase…" asks to type "erase"
// — a click alone erases nothing — and then erases them (the page says so, the API answers 404);
// the "Audit log" page lists the export, the erasure and the logins, newest first, pages with
// "Show older", and holds nothing about the person; no horizontal scrolling at phone width. Runs on
// run.mjs's main server after shopFlow, with its ctx. Screenshots 60–63.
import fs from 'node:fs';

export async function privacyFlow(ctx) {
  const { page, base, check, log, shot, Failure } = ctx;
  // Back on the main server, logged in (shopFlow left the tab there with the new password).
  await page.goto(base + '/app/contacts');
  await page.waitForURL(/\/app\/(contacts|login)/);
  if (new URL(page.url()).pathname === '/app/login') {
    await page.getByLabel('Email').fill(ctx.login.email);
    await page.getByLabel('Password').fill(ctx.login.password);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.waitForURL('**/app/contacts');
  }
  const token = await page.evaluate(() => sessionStorage.getItem('tgr.token'));
  const api = ctx.makeApi(base, token);
  const status = async (p) => (await fetch(base + p, { headers: { Authorization: 'Bearer ' + token } })).status;
  const eve = (await api('GET', '/contacts?q=Eve')).contacts.find((c) => c.first_name === 'Eve');
  if (!eve) throw new Failure('the contact Eve is missing');
  const SCARF = 'How much is the wool scarf?';

  // --- Export ------------------------------------------------------------------------------------------
  await page.goto(base + `/app/contacts/${eve.id}`);
  await page.locator('[data-loaded=contact]').waitFor({ timeout: 15_000 });
  const card = page.getByTestId('privacy');
  await card.getByRole('heading', { name: 'Privacy' }).waitFor();
  const [d] = await Promise.all([page.waitForEvent('download', { timeout: 15_000 }), card.getByTestId('export-contact').click()]);
  const doc = JSON.parse(fs.readFileSync(await d.path(), 'utf8'));
  check(d.suggestedFilename() === `contact-${eve.id}.json`, `"Export (JSON)" downloads ${d.suggestedFilename()}`);
  check(doc.profile.first_name === 'Eve' && doc.profile.last_name === 'Chen' && doc.profile.tg_user_id === '206', 'the export holds the profile, opened');
  check(doc.messages.some((m) => m.direction === 'in' && m.text === SCARF), 'and the message she wrote');
  check(['campaign_messages', 'clicks', 'orders', 'category_history', 'opt_outs'].every((k) => Array.isArray(doc[k])), 'and every other section');
  await card.getByText('The export was downloaded').waitFor();
  await shot('60-contact-export');

  // --- Erase: not without typing "erase" -----------------------------------------------------------------
  await card.getByTestId('erase-open').click();
  check((await card.getByRole('heading', { name: 'Erase Eve Chen?' }).count()) === 1, '"Erase…" asks about the person by name');
  await card.getByTestId('erase-submit').click();
  await page.locator('#erase-confirm-error').waitFor();
  check((await page.locator('#erase-confirm-error').textContent()).includes('Type “erase”'), 'erasing without typing "erase" is refused at the field');
  check((await status(`/contacts/${eve.id}`)) === 200, 'and nothing was erased');
  await page.getByLabel('Type “erase” to confirm').fill('eras');
  await card.getByTestId('erase-submit').click();
  check((await status(`/contacts/${eve.id}`)) === 200, 'a mistyped word erases nothing either');
  await shot('61-contact-erase-confirm');
  await page.getByLabel('Type “erase” to confirm').fill('erase');
  await card.getByTestId('erase-submit').click();
  await page.getByTestId('contact-erased').waitFor({ timeout: 15_000 });
  check((await page.getByTestId('contact-erased').textContent()).includes('Eve Chen was erased'), 'after confirming, the page says the person was erased');
  check((await status(`/contacts/${eve.id}`)) === 404, 'GET /contacts/:id answers 404 afterwards');
  check(!(await api('GET', '/contacts?limit=1000')).contacts.some((c) => c.tg_user_id === '206'), 'she is gone from the contacts');
  await shot('62-contact-erased');

  // --- The audit log page -----------------------------------------------------------------------------
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Audit log' }).click();
  await page.waitForURL('**/app/audit');
  await page.locator('section[data-loaded=audit]').waitFor({ timeout: 15_000 });
  const rows = page.getByTestId('audit-row');
  const actions = await rows.evaluateAll((els) => els.map((e) => e.dataset.action));
  check(actions[0] === 'contact.erase' && actions[1] === 'contact.export', `the newest entries are the erasure and the export (${actions.slice(0, 3).join(', ')})`);
  check(actions.includes('auth.login'), 'logins are listed');
  const first = await rows.first().textContent();
  check(first.includes('Person erased') && first.includes(`Contact #${eve.id}`) && first.includes('from 127.0.0.1'), 'an entry says what, on what, who and from where');
  const text = await page.locator('main').textContent();
  check(!text.includes('Eve') && !text.includes('wool scarf'), 'the audit log holds nothing about the person');
  const total = (await api('GET', '/audit?limit=500')).entries.length;
  check((await rows.count()) === Math.min(total, 50), `the first page holds ${Math.min(total, 50)} of the ${total} entries`);
  if (total > 50) {
    await page.getByTestId('audit-more').click();
    await page.waitForFunction((n) => document.querySelectorAll('[data-testid=audit-row]').length > n, 50);
    check((await rows.count()) === Math.min(total, 100), '"Show older" appends the next page');
  }
  await shot('63-audit-log');
  await page.setViewportSize({ width: 390, height: 844 });
  await page.waitForTimeout(200);
  check((await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth)) <= 0, 'no horizontal scrolling on the audit log at phone width');
  await page.setViewportSize({ width: 1200, height: 800 });
  log('privacy flow done');
}
