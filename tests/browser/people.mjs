// Browser test, issue 16 part: a saved segment made, renamed and edited on the Segments page; a
// campaign given that segment in the editor and scheduled with "Schedule…" (the picker in the
// account's time zone, not the browser's); the segment's delete refused in words while the
// campaign is scheduled; the campaigns list showing when it starts and "waiting for" the campaign
// that is sending, then seeing it start when that one is cancelled; its people view from the
// monitor (chips, filters, paging, the cancelled campaign's rows), "Export CSV" (the download's
// header row and one row per recipient), a contact's page from there (profile, orders, the
// timeline paged, opting out and back in), and the contacts export. Runs on run.mjs's server
// after resultsFlow, with its ctx. Screenshots 50–58.
import crypto from 'node:crypto';
import fs from 'node:fs';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const ZONE = 'America/New_York';
const RESULT_FIELDS = ['contact_id', 'first_name', 'last_name', 'username', 'step', 'status', 'error_code', 'sent_at',
  'read_at', 'replied_at', 'clicked_at', 'clicks', 'orders', 'revenue', 'opted_out'];

/** RFC 4180: quoted fields with "" escapes and line breaks, CRLF (or LF) between records. */
function parseCsv(text) {
  const rows = [];
  let row = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quoted) {
      if (ch !== '"') field += ch;
      else if (text[i + 1] === '"') {
        field += '"';
        i++;
      } else quoted = false;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') {
      row.push(field);
      field = '';
    } else if (ch === '\n' || (ch === '\r' && text[i + 1] === '\n')) {
      if (ch === '\r') i++;
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
    } else field += ch;
  }
  if (field !== '' || row.length) {
    row.push(field);
    rows.push(row);
  }
  return rows;
}

/** The wall clock of `tz` at `ms` as a datetime-local value with seconds. */
function wallIn(tz, ms) {
  const p = Object.fromEntries(
    new Intl.DateTimeFormat('en-US', { timeZone: tz, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit' })
      .formatToParts(new Date(ms))
      .map((x) => [x.type, x.value]),
  );
  return `${p.year}-${p.month}-${p.day}T${p.hour === '24' ? '00' : p.hour}:${p.minute}:${p.second}`;
}

const hhmm = (d) => d.toISOString().slice(11, 16);

export async function peopleFlow(ctx) {
  const { page, base, api, check, log, shot, noProblems, Failure } = ctx;
  const HOSTILE = ctx.contacts.hostile;
  const loadedIs = (key) => page.waitForFunction((k) => document.querySelector('[data-loaded]')?.getAttribute('data-loaded') === k, key, { timeout: 15_000 });
  const noOverflow = async (what) => {
    await page.setViewportSize({ width: 390, height: 844 });
    await sleep(200);
    check((await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth)) <= 0, `no horizontal scrolling on ${what} at phone width`);
    await page.setViewportSize({ width: 1200, height: 800 });
  };
  /** Clicks `button` and answers the downloaded file's name and text. */
  const download = async (button) => {
    const [d] = await Promise.all([page.waitForEvent('download', { timeout: 15_000 }), button.click()]);
    const file = await d.path();
    return { name: d.suggestedFilename(), text: fs.readFileSync(file, 'utf8') };
  };

  // Earlier flows are done: nothing may be sending now but the blocker below.
  for (const c of (await api('GET', '/campaigns')).campaigns) if (c.status === 'running') await api('POST', `/campaigns/${c.id}/cancel`, {});
  const tz0 = (await api('GET', '/account')).timezone;
  await api('PATCH', '/account', { timezone: ZONE, frequency_cap_days: 0 });

  // --- Segments: create, rename, edit the filters ------------------------------------------------------
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Segments' }).click();
  await page.waitForURL('**/app/segments');
  await loadedIs('segments');
  await page.getByRole('button', { name: 'New segment' }).click();
  await page.getByLabel('Segment name').fill('Wrote this month');
  await page.getByLabel('Wrote to you within (days)').fill('30');
  await page.getByRole('button', { name: 'Create segment' }).click();
  await page.getByTestId('segment-row').first().waitFor();
  const seg = (await api('GET', '/segments')).segments[0];
  const segRow = page.locator(`[data-testid=segment-row][data-segment-id="${seg.id}"]`);
  check(seg && seg.name === 'Wrote this month' && JSON.stringify(seg.filters) === '{"last_message_within_days":30}', `the Segments page creates a segment (${JSON.stringify(seg)})`);
  check(Number(await segRow.getByTestId('segment-count').textContent()) === seg.count && seg.count === 6, `its live count is shown (${seg.count} people)`);
  await segRow.getByRole('button', { name: 'Rename Wrote this month' }).click();
  await segRow.getByLabel('New name').fill('Recent customers');
  await segRow.getByRole('button', { name: 'Save name' }).click();
  await segRow.getByTestId('segment-name').filter({ hasText: 'Recent customers' }).waitFor();
  await segRow.getByRole('button', { name: 'Edit filters of Recent customers' }).click();
  await segRow.getByLabel('Wrote to you within (days)').fill('60');
  await segRow.getByRole('button', { name: 'Save filters' }).click();
  await segRow.getByTestId('segment-filters').filter({ hasText: 'wrote within 60 days' }).waitFor();
  const seg2 = (await api('GET', `/segments/${seg.id}`));
  check(seg2.name === 'Recent customers' && seg2.filters.last_message_within_days === 60, 'rename and "Edit filters" change the segment');

  // --- A campaign that keeps sending (its quiet hours are now), and one on the segment, scheduled ----------
  const now = new Date();
  const blocker = await api('POST', '/campaigns', {
    name: 'Quiet blocker',
    message_text: 'Blocker {{first_name|there}}',
    quiet_hours: { start: hhmm(new Date(now.getTime() - 3600_000)), end: hhmm(new Date(now.getTime() + 3600_000)), timezone: 'UTC' },
  });
  await api('POST', `/campaigns/${blocker.id}/start`, { override_quiet_hours: false });
  check((await api('GET', `/campaigns/${blocker.id}`)).status === 'running', 'a campaign inside its quiet hours stays running (and sends nothing)');
  const draft = await api('POST', '/campaigns', { name: 'Scheduled restock', message_text: 'Hi {{first_name|there}}, new stock is in.' });
  await page.goto(`${base}/app/campaigns/${draft.id}/edit`);
  await page.getByTestId('audience').waitFor();
  const segSelect = page.getByLabel('Saved segment');
  await page.waitForFunction(() => !document.querySelector('#ed-segment')?.disabled);
  // The editor's own filters saved as a segment: the campaign then uses it.
  await page.getByLabel('Orders, at least').fill('1');
  await page.getByRole('button', { name: 'Save these filters as a segment…' }).click();
  await page.getByLabel('Segment name').fill('Buyers (from the editor)');
  await page.getByRole('button', { name: 'Save segment' }).click();
  await page.getByTestId('segment-summary').filter({ hasText: 'at least 1 order' }).waitFor();
  const fromEditor = (await api('GET', '/segments')).segments.find((x) => x.name === 'Buyers (from the editor)');
  await page.waitForFunction(() => document.querySelector('[data-testid=save-state]')?.textContent === 'All changes saved');
  check(fromEditor && fromEditor.filters.min_orders === 1 && (await api('GET', `/campaigns/${draft.id}`)).segment_id === fromEditor.id,
    '"Save these filters as a segment…" saves the segment and the campaign uses it');
  await segSelect.selectOption(String(seg.id));
  await page.getByTestId('segment-summary').filter({ hasText: 'wrote within 60 days' }).waitFor();
  await page.waitForFunction(
    (n) => document.querySelector('[data-testid=audience]')?.dataset.ready === 'true' && document.querySelector('[data-testid=audience-count]')?.textContent === String(n),
    seg2.count,
    { timeout: 15_000 },
  );
  check((await api('GET', `/campaigns/${draft.id}`)).segment_id === seg.id, 'picking a saved segment in the editor saves segment_id');
  await shot('50-editor-segment');

  const dialog = page.getByTestId('schedule-dialog');
  // Scheduled for later, then unscheduled: a draft again.
  await page.getByTestId('schedule').click();
  await dialog.getByRole('heading', { name: 'Schedule the start' }).waitFor();
  check((await dialog.textContent()).includes('America/New York'), 'the picker is in the account’s time zone (America/New York), not the browser’s (UTC)');
  await dialog.getByLabel('Start at').fill(wallIn(ZONE, Date.now() + 3 * 3600_000));
  await dialog.getByTestId('schedule-confirm').click();
  await page.getByTestId('unschedule').click();
  await page.getByTestId('schedule').waitFor();
  const back = await api('GET', `/campaigns/${draft.id}`);
  check(back.status === 'draft' && back.start_at === null, '"Unschedule" makes it a draft again');
  await page.getByTestId('schedule').click();
  await dialog.getByRole('heading', { name: 'Schedule the start' }).waitFor();
  const startAt = Math.floor(Date.now() / 1000) * 1000 + 6000;
  await dialog.getByLabel('Start at').fill(wallIn(ZONE, startAt));
  await shot('51-schedule-dialog');
  await dialog.getByTestId('schedule-confirm').click();
  await page.getByTestId('scheduled').waitFor();
  const scheduled = await api('GET', `/campaigns/${draft.id}`);
  check(scheduled.status === 'scheduled' && Date.parse(scheduled.start_at) === startAt,
    `"Schedule" sets start_at from the New York wall clock (${scheduled.start_at} = ${new Date(startAt).toISOString()})`);
  check((await page.getByTestId('read-only').textContent()).includes('Unschedule'), 'a scheduled campaign is read-only in the editor, with the way back');
  await shot('52-editor-scheduled');

  // --- Deleting the segment is refused in words while the scheduled campaign uses it -----------------------
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Segments' }).click();
  await loadedIs('segments');
  await segRow.getByRole('button', { name: 'Delete Recent customers' }).click();
  await segRow.getByRole('group').getByRole('button', { name: 'Delete', exact: true }).click();
  const segProblem = segRow.getByTestId('segment-problem');
  await segProblem.waitFor();
  const problemText = await segProblem.textContent();
  check(/cannot be deleted while a draft or scheduled campaign uses it/.test(problemText) && problemText.includes('Scheduled restock'),
    'the 409 on deleting a segment in use is said in words, naming the campaign');
  check((await api('GET', '/segments')).segments.some((x) => x.id === seg.id), 'the segment is still there');
  await shot('53-segments');
  await noOverflow('the segments page');

  // --- The campaigns list: when it starts, waiting for the running one, then it starts ---------------------
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Campaigns' }).click();
  await loadedIs('campaigns');
  const row = page.locator(`[data-testid=campaign-row][data-campaign-id="${draft.id}"]`);
  check((await row.getByTestId('campaign-status').textContent()).trim() === 'Scheduled', 'the list shows the campaign as scheduled');
  check((await row.getByTestId('campaign-start-at').textContent()).startsWith('Starts'), `the list shows when it starts (${await row.getByTestId('campaign-start-at').textContent()})`);
  await row.getByTestId('campaign-waiting').waitFor({ timeout: 20_000 });
  check((await row.getByTestId('campaign-waiting').textContent()).includes('waiting for “Quiet blocker”'), 'past its time, the list says it is waiting for the running campaign');
  check((await api('GET', `/campaigns/${draft.id}`)).waiting === 'campaign_running', 'the server says waiting: campaign_running');
  await shot('54-campaigns-waiting');
  await noOverflow('the campaigns list with a scheduled campaign');
  await api('POST', `/campaigns/${blocker.id}/cancel`, {});
  await row.locator('[data-testid=campaign-status][data-status=running], [data-testid=campaign-status][data-status=completed]').waitFor({ timeout: 15_000 });
  const startedC = await api('GET', `/campaigns/${draft.id}`);
  check(startedC.started_at && Date.parse(startedC.started_at) >= startAt, `once the blocker is cancelled it starts, and the list shows it (started ${startedC.started_at})`);

  // --- The people view, from the monitor ------------------------------------------------------------------
  await row.getByTestId('campaign-name').click();
  await page.waitForURL(`**/app/campaigns/${draft.id}`);
  await page.getByTestId('people-link').click();
  await page.waitForURL(`**/app/campaigns/${draft.id}/people`);
  for (const until = Date.now() + 20_000; (await api('GET', `/campaigns/${draft.id}`)).status !== 'completed'; await sleep(300))
    if (Date.now() > until) throw new Failure('the scheduled campaign did not complete');
  // Alice buys: the order is credited to this campaign (its message is her latest, within 7 days).
  const alice = (await api('GET', '/contacts?q=Alice')).contacts[0];
  const { webhook_secret: secret } = await api('POST', '/account/webhook-secret', {});
  const accountId = (await api('GET', '/account')).id;
  const order = JSON.stringify({ order_id: `people-${draft.id}`, amount: 2599, currency: 'EUR', status: 'paid', created_at: new Date().toISOString().replace(/\.\d+Z$/, 'Z'), customer: { telegram_user_id: alice.tg_user_id } });
  const hook = await fetch(base + '/webhooks/orders', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', 'X-Tgr-Account': String(accountId), 'X-Tgr-Signature': 'sha256=' + crypto.createHmac('sha256', secret).update(order).digest('hex') },
    body: order,
  });
  check(hook.status === 202 && (await hook.json()).attributed_campaign_id === draft.id, 'an order from Alice is credited to the scheduled campaign');
  await page.getByRole('button', { name: 'Refresh', exact: true }).click();
  await loadedIs('|');
  const people = page.getByTestId('person-row');
  const all = await api('GET', `/campaigns/${draft.id}/recipients`);
  check((await people.count()) === all.total && all.total === seg2.count, `the people view lists every recipient (${all.total})`);
  const statuses = await page.getByTestId('person-status').allTextContents();
  check(statuses.every((s) => s === 'Sent'), `each row has its status chip (${statuses.join(', ')})`);
  const names = await page.getByTestId('person-name').allTextContents();
  check(names.includes(HOSTILE) && (await page.locator('main img').count()) === 0, 'the hostile name is text in the people view');
  const aliceRow = page.locator(`[data-testid=person-row][data-contact-id="${alice.id}"]`);
  check((await aliceRow.locator('[data-chip=bought]').textContent()).includes('25.99'), 'Alice’s row has the "Bought" chip with the revenue');
  await shot('55-people');
  await page.getByLabel('Status').selectOption('failed');
  await loadedIs('failed|');
  check((await page.getByText('Nobody matches these filters.').count()) === 1 && new URL(page.url()).searchParams.get('status') === 'failed', 'the status filter narrows the list (kept in the URL)');
  await page.getByLabel('Status').selectOption('sent');
  await loadedIs('sent|');
  const csv = await download(page.getByTestId('export-csv'));
  const rows = parseCsv(csv.text);
  const sent = (await api('GET', `/campaigns/${draft.id}/recipients?status=sent&limit=500`)).recipients;
  check(csv.name === `campaign-${draft.id}-recipients.csv`, `"Export CSV" downloads ${csv.name}`);
  check(JSON.stringify(rows[0]) === JSON.stringify(RESULT_FIELDS), 'the CSV starts with the header row of the JSON field names');
  check(rows.length === 1 + sent.length && rows.slice(1).every((r) => r.length === RESULT_FIELDS.length && r[5] === 'sent'),
    `the CSV has one row per recipient of the filter (${rows.length - 1})`);
  check(JSON.stringify(rows.slice(1).map((r) => Number(r[0]))) === JSON.stringify(sent.map((r) => r.contact_id)), 'the CSV rows are the recipients, in order');
  check(rows.some((r) => r[1] === HOSTILE), 'the hostile name round-trips through the CSV');
  // Pages: ?limit=2 and "Load more" until the end, no person twice.
  await page.goto(`${base}/app/campaigns/${draft.id}/people?limit=2`);
  await loadedIs('|');
  for (let i = 0; i < 10 && (await page.getByRole('button', { name: 'Load more' }).count()); i++) {
    const n = await people.count();
    await page.getByRole('button', { name: 'Load more' }).click();
    await page.waitForFunction((k) => document.querySelectorAll('[data-testid=person-row]').length > k, n);
    await loadedIs('|');
  }
  const paged = await people.evaluateAll((els) => els.map((e) => e.dataset.contactId));
  check(paged.length === all.total && new Set(paged).size === paged.length, `"Load more" follows next_after to the end (${paged.length} rows, none twice)`);
  // The cancelled blocker: its rows never went.
  await page.goto(`${base}/app/campaigns/${blocker.id}/people?status=cancelled`);
  await loadedIs('cancelled|');
  check((await people.count()) > 0 && (await page.getByTestId('person-status').allTextContents()).every((s) => s === 'Cancelled'),
    'a cancelled campaign’s unsent rows show as cancelled, with why');
  await noOverflow('the people view');

  // --- A contact's page from the people view -----------------------------------------------------------
  await page.goto(`${base}/app/campaigns/${draft.id}/people`);
  await loadedIs('|');
  await page.getByTestId('person-name').filter({ hasText: 'Alice Walker' }).click();
  await page.waitForURL(/\/app\/contacts\/\d+$/);
  const cid = Number(/contacts\/(\d+)$/.exec(page.url())[1]);
  await loadedIs('contact');
  const contact = await api('GET', `/contacts/${cid}`);
  const timeline = (await api('GET', `/contacts/${cid}/timeline?limit=500`)).events;
  check((await page.getByTestId('contact-title').textContent()) === 'Alice Walker', 'a name in the people view opens that contact’s page');
  check((await page.getByTestId('contact-category').textContent()).includes(`${Math.round(contact.confidence * 100)}% confidence`), 'the profile shows the category with its confidence');
  check(contact.orders_count >= 1 && Number(await page.getByTestId('contact-orders-count').textContent()) === contact.orders_count &&
    (await page.getByTestId('contact-order').count()) === timeline.filter((e) => e.type === 'order' || e.type === 'refund').length,
    `the orders are listed (${contact.orders_count})`);
  check((await page.getByTestId('contact-orders').textContent()).includes(`#people-${draft.id}`) && (await page.getByTestId('contact-orders').textContent()).includes('25.99'),
    'the order shows with its id and amount, credited to the campaign');
  const events = page.getByTestId('timeline-event');
  check((await events.count()) === timeline.length && (await events.first().getAttribute('data-type')) === timeline[0].type, `the timeline shows the events, newest first (${timeline.length})`);
  check((await page.getByTestId('timeline').textContent()).includes('Got the first message of “Scheduled restock”'), 'the scheduled campaign’s message is on the timeline, in words');
  check((await page.getByTestId('timeline').textContent()).includes('Great, I ordered two, thanks!'), 'her own message is on the timeline');
  // Opt out with a reason; opting back in needs one.
  await page.getByTestId('opt-out-open').click();
  await page.getByLabel('Reason (optional)').fill('Asked by phone to stop');
  await page.getByTestId('opt-submit').click();
  await page.getByTestId('opt-in-open').waitFor();
  await page.locator('[data-testid=timeline-event][data-type=opted_out]').first().waitFor();
  check((await api('GET', `/contacts/${cid}`)).opted_out === true, 'Opt out opts the person out');
  check((await page.locator('[data-testid=timeline-event]').first().textContent()).includes('Opted out by you') &&
    (await page.locator('[data-testid=timeline-event]').first().textContent()).includes('Asked by phone to stop'), 'the timeline shows the opt-out, by whom and why');
  check((await page.getByTestId('profile').getByText('opted out').count()) === 1, 'the profile marks the person as opted out');
  await page.getByTestId('opt-in-open').click();
  await page.getByTestId('opt-submit').click();
  await page.locator('#optout-reason-error').waitFor();
  check((await api('GET', `/contacts/${cid}`)).opted_out === true, 'opting back in without a reason is refused at the field');
  await page.getByLabel('Why may they get campaigns again?').fill('Wants the offers again');
  await page.getByTestId('opt-submit').click();
  await page.getByTestId('opt-out-open').waitFor();
  await page.locator('[data-testid=timeline-event][data-type=opted_in]').first().waitFor();
  check((await api('GET', `/contacts/${cid}`)).opted_out === false, 'Opt back in (with a reason) opts the person back in');
  await shot('56-contact');
  await noOverflow('the contact page');
  // The timeline in pages of 3.
  const fullNow = (await api('GET', `/contacts/${cid}/timeline?limit=500`)).events;
  await page.goto(`${base}/app/contacts/${cid}?limit=3`);
  await loadedIs('contact');
  check((await events.count()) === Math.min(3, fullNow.length), 'with ?limit=3 the timeline shows 3 events');
  for (let i = 0; i < 20 && (await page.getByTestId('timeline-more').count()); i++) {
    const n = await events.count();
    await page.getByTestId('timeline-more').click();
    await page.waitForFunction((k) => document.querySelectorAll('[data-testid=timeline-event]').length > k, n);
  }
  const pagedTypes = await events.evaluateAll((els) => els.map((e) => e.dataset.type));
  check(JSON.stringify(pagedTypes) === JSON.stringify(fullNow.map((e) => e.type)), `"Show older" pages through the whole timeline in order (${pagedTypes.length})`);

  // --- Contacts: a name opens the page; "Export CSV" with the page's filters ---------------------------------
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Contacts' }).click();
  await loadedIs('|');
  const listing = (await api('GET', '/contacts?limit=500')).contacts;
  const all6 = parseCsv((await download(page.getByTestId('export-csv'))).text);
  check(JSON.stringify(all6[0]) === JSON.stringify(Object.keys(listing[0])) && all6.length === 1 + listing.length,
    `contacts.csv has the header row and one row per contact (${all6.length - 1})`);
  await page.getByLabel('Search').fill('Alice');
  await loadedIs('Alice|');
  const one = parseCsv((await download(page.getByTestId('export-csv'))).text);
  check(one.length === 2 && one[1][0] === String(cid), 'contacts.csv follows the page’s search');
  await page.getByTestId('contact-name').first().click();
  await page.waitForURL(`**/app/contacts/${cid}`);
  await loadedIs('contact');
  check(true, 'a name in the contacts list opens the contact page');
  await shot('57-contact-from-list');

  await api('PATCH', '/account', { timezone: tz0 });
  log('people flow done');
  noProblems('on the people, contact and segments pages');
}
