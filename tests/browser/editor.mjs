// Browser test, campaign editor part (issue 7): create a campaign in the editor, through the UI
// only, and start it. Called by run.mjs with a logged-in, connected page (account frequency cap 0,
// six contacts); returns { campaignId, name }. Checks the draft's autosave against the API, the
// live audience, an API validation error at its field, the preview bubble, the test send and the
// quiet-hours question at start. Screenshots 20–23.
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';

/** A small valid PNG (w×h, a diagonal gradient) built by hand: signature, IHDR, IDAT, IEND. */
function png(w, h) {
  const crcTable = Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  const crc = (buf) => {
    let c = 0xffffffff;
    for (const b of buf) c = crcTable[(c ^ b) & 0xff] ^ (c >>> 8);
    return (c ^ 0xffffffff) >>> 0;
  };
  const chunk = (type, data) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const td = Buffer.concat([Buffer.from(type, 'ascii'), data]);
    const c = Buffer.alloc(4);
    c.writeUInt32BE(crc(td));
    return Buffer.concat([len, td, c]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(w, 0);
  ihdr.writeUInt32BE(h, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 2; // RGB
  const rows = [];
  for (let y = 0; y < h; y++) {
    const row = Buffer.alloc(1 + w * 3);
    for (let x = 0; x < w; x++) {
      row[1 + x * 3] = 40 + Math.round((180 * x) / w);
      row[2 + x * 3] = 122 + Math.round((90 * y) / h);
      row[3 + x * 3] = 184;
    }
    rows.push(row);
  }
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', zlib.deflateSync(Buffer.concat(rows))),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

const hhmm = (d) => `${String(d.getUTCHours()).padStart(2, '0')}:${String(d.getUTCMinutes()).padStart(2, '0')}`;

export async function editorFlow(ctx) {
  const { page, base, api, check, log, shot } = ctx;
  const NAME = 'Spring sale — buyers';
  const audience = page.getByTestId('audience');
  const count = page.getByTestId('audience-count');
  /** Waits until the draft is saved and the audience reflects it. */
  const settled = async () => {
    await page.waitForFunction(() => {
      const a = document.querySelector('[data-testid=audience]');
      const s = document.querySelector('[data-testid=save-state]');
      return a?.getAttribute('data-ready') === 'true' && s?.textContent === 'All changes saved';
    }, null, { timeout: 10_000 });
  };
  const top = () => page.evaluate(() => window.scrollTo(0, 0));
  const campaignIdFromUrl = () => {
    const m = /\/app\/campaigns\/(\d+)\/edit$/.exec(new URL(page.url()).pathname);
    return m ? Number(m[1]) : null;
  };

  // The list has a "New campaign" button once the lead adds it; until then go straight there.
  await page.goto(base + '/app/campaigns');
  const newButton = page.getByRole('link', { name: 'New campaign' }).or(page.getByRole('button', { name: 'New campaign' }));
  if ((await newButton.count()) > 0) await newButton.first().click();
  else await page.goto(base + '/app/campaigns/new');
  await page.waitForURL('**/app/campaigns/new');
  await page.getByRole('heading', { name: 'New campaign' }).waitFor();
  const editor = page.locator('.ql-editor');
  await editor.waitFor();
  check(true, 'the editor opens at /app/campaigns/new with Quill loaded');

  // Name, then a message with bold text and a placeholder from the menu.
  await page.getByLabel('Campaign name').fill(NAME);
  await editor.click();
  await page.keyboard.type('Hi ');
  await page.getByText('Insert placeholder').click();
  await page.getByRole('button', { name: /^First name/ }).click();
  await page.keyboard.type(', our ');
  await page.keyboard.press('ControlOrMeta+b');
  await page.keyboard.type('spring sale');
  await page.keyboard.press('ControlOrMeta+b');
  await page.keyboard.type(' is on: 20% off everything in the shop until Sunday.');
  await page.keyboard.press('Enter');
  // A second placeholder, with a fallback, and a link made with Ctrl+K on the selected words.
  await page.keyboard.type('Your code: ');
  await page.getByText('Insert placeholder').click();
  await page.getByLabel('Fallback if empty (optional)').fill('SPRING');
  await page.getByRole('button', { name: /^Discount code/ }).click();
  await page.keyboard.type(' ');
  const LINK_TEXT = 'Shop the sale';
  await page.keyboard.type(LINK_TEXT);
  for (let i = 0; i < LINK_TEXT.length; i++) await page.keyboard.press('Shift+ArrowLeft');
  await page.keyboard.press('ControlOrMeta+k');
  const linkBox = page.getByLabel('Link address');
  await linkBox.waitFor();
  await linkBox.fill('https://shop.example/sale');
  await linkBox.press('Enter');
  await editor.locator('a').waitFor();
  await editor.click();
  await page.keyboard.press('ControlOrMeta+End');
  await page.keyboard.press('Enter');
  await page.getByRole('button', { name: 'Italic (Ctrl+I)' }).click();
  await page.keyboard.type('Just reply to this message if you have questions.');
  check((await editor.locator('strong').count()) >= 1, 'Ctrl+B makes bold text in the editor');
  check((await editor.textContent()).includes('{{first_name}}'), 'the placeholder menu inserted {{first_name}} at the caret');

  // The first save names the campaign in the URL; typing goes on in the same editor.
  await page.waitForURL(/\/app\/campaigns\/\d+\/edit$/, { timeout: 10_000 });
  const id = campaignIdFromUrl();
  check(id !== null, `after the first autosave the URL is /app/campaigns/${id}/edit`);
  await page.keyboard.type(' See you!');
  await settled();
  let saved = await api('GET', `/campaigns/${id}`);
  check(saved.message_text.includes('<b>spring sale</b>') && saved.message_text.includes('{{first_name}}'), `the saved message_text has <b> and the placeholder: ${JSON.stringify(saved.message_text)}`);
  check(saved.message_text.endsWith('questions. See you!</i>'), 'typing after the URL change kept going into the same message (caret kept)');
  check(saved.message_text.includes('<a href="https://shop.example/sale">Shop the sale</a>'), 'Ctrl+K made a link of the selected words');
  check(saved.message_text.includes('{{discount_code|SPRING}}'), 'the placeholder menu inserted {{discount_code|SPRING}} with its fallback');
  check(saved.name === NAME, 'the campaign name was saved');

  // Media: upload a PNG, see the preview.
  const file = path.join(ctx.tmp, 'spring.png');
  fs.writeFileSync(file, png(320, 200));
  await page.locator('#ed-media').setInputFiles(file);
  const thumb = page.getByTestId('media-preview');
  await thumb.waitFor();
  await page.waitForFunction(() => {
    const img = document.querySelector('img[data-testid=media-preview]');
    return img instanceof HTMLImageElement && img.complete && img.naturalWidth === 320;
  });
  check((await thumb.getAttribute('src')).startsWith('blob:'), 'the uploaded image is previewed from a blob: URL');
  await settled();
  saved = await api('GET', `/campaigns/${id}`);
  check(saved.media_ids.length === 1, 'the campaign has the uploaded media');

  // Audience: everyone first, then one category.
  const everyone = Number(await count.textContent());
  const apiEveryone = (await api('GET', `/campaigns/${id}/audience`)).count;
  check(everyone === apiEveryone && everyone >= 5, `the audience shows ${everyone} contacts with no filter, as the API says`);
  await page.getByLabel(/^Buyers/).check();
  await settled();
  const buyers = Number(await count.textContent());
  const apiBuyers = await api('GET', `/campaigns/${id}/audience`);
  check(buyers === apiBuyers.count, `after ticking Buyers the count (${buyers}) equals GET /audience (${apiBuyers.count})`);
  check(buyers !== everyone, `the count changed with the filter (${everyone} → ${buyers})`);
  const byCat = await page.getByTestId('audience-by-category').locator('li[data-category=buyer] .aud-n').textContent();
  check(Number(byCat) === apiBuyers.by_category.buyer, 'the category breakdown shows the buyers');
  check((await audience.locator('img').count()) === 0, 'contact names in the audience are text');

  // A follow-up.
  await page.getByRole('button', { name: '+ Add follow-up' }).click();
  await page.getByLabel('Send after', { exact: true }).fill('2');
  await page.getByLabel('Follow-up 1 delay unit').selectOption('days');
  await page.getByLabel('…if the contact').selectOption('no_reply_no_click');
  await settled();
  saved = await api('GET', `/campaigns/${id}`);
  check(saved.nudges.length === 1 && saved.nudges[0].after_seconds === 2 * 86400 && saved.nudges[0].condition === 'no_reply_no_click', 'the follow-up was saved (2 days, no reply and no click)');

  // An API validation error shown at its field: a discount code with a space and a "%".
  ctx.expectedStatuses.add(400);
  await page.getByLabel('One code for everyone').check();
  const code = page.getByLabel('Code', { exact: true });
  await code.fill('SPRING 20%');
  const codeError = page.locator('#ed-discount-code-error');
  await codeError.waitFor({ timeout: 10_000 });
  check(/letters, digits/.test(await codeError.textContent()), `the API's 400 for discount_codes.code is shown at the code field: "${await codeError.textContent()}"`);
  check((await code.getAttribute('aria-invalid')) === 'true', 'the code input is marked aria-invalid');
  check((await page.getByTestId('error-summary').textContent()).includes('Discount code'), 'the error summary at the top names the field');
  await code.fill('SPRING20');
  await settled();
  check((await page.getByTestId('error-summary').count()) === 0, 'fixing the code clears the error');
  saved = await api('GET', `/campaigns/${id}`);
  check(saved.discount_codes?.mode === 'static' && saved.discount_codes.code === 'SPRING20', 'the fixed code was saved');

  // Preview as a contact: the bubble has their first name and bold text, and the image.
  const alice = (await api('GET', '/contacts?q=Alice')).contacts[0];
  await page.getByLabel('Preview as').selectOption(String(alice.id));
  const bubble = page.getByTestId('preview-bubble');
  await page.waitForFunction(() => (document.querySelector('[data-testid=preview-bubble]')?.textContent ?? '').includes('Hi Alice'));
  check((await bubble.textContent()).includes('Hi Alice, our spring sale'), 'the preview bubble greets Alice by her first name');
  check((await bubble.locator('strong').textContent()) === 'spring sale', 'the preview bubble shows the bold text as <strong>');
  check((await bubble.locator('em').count()) === 1, 'the preview bubble shows the italic line');
  check((await bubble.locator('img.tg-media').count()) === 1, 'the preview bubble shows the image');
  // The hostile contact's name is text in the select and in the bubble.
  const hostile = (await api('GET', '/contacts?q=onerror')).contacts[0];
  await page.getByLabel('Preview as').selectOption(String(hostile.id));
  await page.waitForFunction((n) => (document.querySelector('[data-testid=preview-bubble]')?.textContent ?? '').includes('Hi ' + n), ctx.contacts.hostile);
  check((await bubble.locator('img:not(.tg-media)').count()) === 0, 'a contact named like an <img> tag shows as text in the bubble');
  await page.getByLabel('Preview as').selectOption(String(alice.id));
  await page.waitForFunction(() => (document.querySelector('[data-testid=preview-bubble]')?.textContent ?? '').includes('Hi Alice'));
  await top();
  await shot('20-editor');

  // Test send to Saved Messages.
  const before = ctx.record().length;
  await page.getByRole('button', { name: 'Send test to my Saved Messages' }).click();
  const testResult = page.getByTestId('test-result');
  await testResult.waitFor({ timeout: 15_000 });
  check((await testResult.textContent()).startsWith('Sent.'), `the test send succeeded: "${await testResult.textContent()}"`);
  const delivered = ctx.record().slice(before);
  check(delivered.some((d) => (d.text || '').includes('spring sale')), 'the simulator delivered the test message');

  // Session expiry mid-edit: the autosave's 401 sends the user to log in; the unsaved change is kept
  // in sessionStorage and restored (and saved) when the editor opens again after logging in.
  const auth = await page.evaluate(() => ({ t: sessionStorage.getItem('tgr.token'), e: sessionStorage.getItem('tgr.expires_at'), m: sessionStorage.getItem('tgr.email') }));
  await page.evaluate(() => sessionStorage.setItem('tgr.token', 'expired-token'));
  await page.getByLabel('Wrote to you within (days)').fill('90');
  await page.waitForURL('**/app/login?next=*', { timeout: 10_000 });
  const next = new URL(page.url()).searchParams.get('next');
  check(next === `/app/campaigns/${id}/edit`, `an expired session sends the user to log in, keeping the editor route (${next})`);
  // The editor that was left tries once more to save on its way out; without a token that fails at
  // once. Give it that moment before "logging in" again, as a person typing a password would.
  await page.waitForTimeout(500);
  await page.evaluate((a) => {
    sessionStorage.setItem('tgr.token', a.t);
    sessionStorage.setItem('tgr.expires_at', a.e);
    sessionStorage.setItem('tgr.email', a.m);
  }, auth);
  await page.goto(base + next);
  await page.getByText('Your unsaved changes from before were restored.').waitFor();
  check((await page.getByLabel('Wrote to you within (days)').inputValue()) === '90', 'after logging in again the unsaved change is back in the form');
  await settled();
  saved = await api('GET', `/campaigns/${id}`);
  check(saved.filters.last_message_within_days === 90 && saved.message_text.includes('<b>spring sale</b>'), 'the restored change was saved, the rest of the campaign intact');
  await page.getByRole('button', { name: 'OK', exact: true }).click();

  // Quiet hours covering now (UTC), then Start asks whether to override them.
  const now = new Date();
  await page.getByLabel('Don’t send during quiet hours').check();
  await page.getByLabel('From', { exact: true }).fill(hhmm(new Date(now.getTime() - 3600_000)));
  await page.getByLabel('Until', { exact: true }).fill(hhmm(new Date(now.getTime() + 3600_000)));
  await page.getByLabel('Time zone').selectOption('UTC');
  await settled();
  saved = await api('GET', `/campaigns/${id}`);
  check(saved.quiet_hours?.timezone === 'UTC', `quiet hours saved: ${JSON.stringify(saved.quiet_hours)}`);
  check((await page.locator('.quiet-now.inside').count()) === 1, 'the editor says it is inside quiet hours now');
  await top();
  await shot('21-editor-preview');

  // Phone width: no horizontal scrolling, the form still there.
  await page.setViewportSize({ width: 390, height: 844 });
  await page.waitForTimeout(250);
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  check(overflow <= 0, `no horizontal scrolling in the editor at 390 px (overflow ${overflow})`);
  await top();
  await shot('23-editor-phone');
  await page.setViewportSize({ width: 1200, height: 800 });
  await page.waitForTimeout(150);

  // The saved campaign as the API has it.
  saved = await api('GET', `/campaigns/${id}`);
  check(saved.message_text.includes('<b>') && saved.message_text.includes('{{first_name'), 'saved message_text has <b> and {{first_name');
  check(saved.media_ids.length === 1, 'saved media_ids has 1 entry');
  check(Array.isArray(saved.filters.categories) && saved.filters.categories.join() === 'buyer', 'saved filters.categories is [buyer]');
  check(saved.nudges.length === 1, 'saved nudges has 1 entry');
  check(saved.status === 'draft', 'still a draft before start');

  // Start: the dialog asks about quiet hours; choose to send now anyway.
  await page.getByTestId('start').click();
  const dialog = page.getByTestId('start-dialog');
  await dialog.getByRole('heading', { name: 'Quiet hours are set' }).waitFor();
  check((await dialog.textContent()).includes('inside quiet hours'), 'the start dialog says it is inside quiet hours now');
  await shot('22-editor-start-dialog');
  await dialog.getByRole('button', { name: /Send now anyway \(override\)/ }).click();
  await page.waitForURL((u) => new URL(u).pathname === `/app/campaigns/${id}`, { timeout: 10_000 });
  check(true, `after starting, the URL is /app/campaigns/${id}`);
  const started = await api('GET', `/campaigns/${id}`);
  check(['running', 'completed', 'nudging'].includes(started.status), `the campaign is ${started.status}`);
  log('editor flow: campaign', id, 'started');
  ctx.noProblems('in the editor');
  return { campaignId: id, name: NAME };
}
