#!/usr/bin/env node
// Browser test of the web app in Russian (issue 19 item 5): a browser whose language is Russian
// gets the app in Russian without asking; the main workflow — log in (a wrong password first),
// connect Telegram (phone → a wrong code → code → a wrong cloud password → password), the synced
// contacts with Russian plural forms (1 сообщение, 2 сообщения, 5 сообщений), a campaign written
// in the editor, started, watched on the monitor to the end and read on its scorecard —, the
// language switch in the header (English, remembered over a reload, then Russian again), and a
// tour of every route of the app. At every page: no English word outside user data (i18n.mjs),
// axe-core and focus indicators at desktop and phone width (axe.mjs), a screenshot in
// build/screenshots/ru/. Fails on any assertion, page dialog, page error or console error.
//
//   node tests/browser/ru.mjs          (TGR_BIN overrides build/tgr; CHROMIUM overrides /usr/bin/chromium)
import fs from 'node:fs';
import path from 'node:path';
import { EMAIL, Failure, PASSWORD, SHOTS, WEB, check, launchBrowser, log, makeApi, root, run, startServer, tmp } from './harness.mjs';
import { createA11y } from './axe.mjs';
import { report, untranslated } from './i18n.mjs';

const RU_SHOTS = path.join(SHOTS, 'ru');

function writeScenario() {
  const ago = (h) => h * 3600;
  const msgs = (n, first, hours) => Array.from({ length: n }, (_, i) => ({ text: `${first} ${i + 1}`, ago_seconds: ago(hours - i) }));
  const scenario = {
    me: { id: '100', first_name: 'Магазин' },
    login: { code: '13579', password: 'облако-2fa' },
    users: [
      { id: '301', access_hash: '3001', first_name: 'Ольга', last_name: 'Смирнова', username: 'olga_s', messages: msgs(1, 'Здравствуйте, есть ли шарф?', 30) },
      { id: '302', access_hash: '3002', first_name: 'Alice', last_name: 'Walker', messages: msgs(2, 'Is the mug in stock?', 40) },
      { id: '303', access_hash: '3003', first_name: 'Борис', phone: '+79001112233', messages: msgs(5, 'Где мой заказ?', 60) },
    ],
    faults: [],
    inbound: [],
    record: 'ru.jsonl',
  };
  const file = path.join(tmp, 'ru-scenario.json');
  fs.writeFileSync(file, JSON.stringify(scenario, null, 1));
  return file;
}

async function main() {
  if (!fs.existsSync(path.join(WEB, 'index.html'))) throw new Failure('web/dist/index.html missing: run `npm run build` in web/');
  fs.mkdirSync(RU_SHOTS, { recursive: true });
  const base = await startServer(writeScenario(), tmp, ['--send-rate', '30']);
  log('server at', base);
  const { page, noProblems, expectedStatuses } = await launchBrowser({ locale: 'ru-RU' });
  expectedStatuses.add(404);
  const a11y = createA11y({ root, log, Failure });
  const russian = async (where) => {
    const found = await untranslated(page);
    check(found.length === 0, `${where}: everything is in Russian` + (found.length ? ':\n' + report(found) : ''));
  };
  /** The page is in Russian (checked), passes axe at both widths, and is saved as a screenshot. */
  const shot = async (name) => {
    await russian(name);
    await page.screenshot({ path: path.join(RU_SHOTS, name + '.png'), fullPage: true });
    await a11y.check(page, 'ru ' + name);
  };
  const badge = page.getByTestId('tg-status');
  const rows = page.getByTestId('contact-row');

  // --- A Russian browser gets the app in Russian ----------------------------------------------------
  await page.goto(base + '/');
  await page.waitForURL('**/app/login');
  await page.getByRole('heading', { name: 'Вход' }).waitFor();
  check((await page.evaluate(() => document.documentElement.lang)) === 'ru', 'a browser asking for Russian gets <html lang="ru">');
  check((await page.getByTestId('lang-switch').inputValue()) === 'ru', 'the language switch on the login page shows Русский');
  await shot('01-login');
  await page.getByLabel('Почта').fill(EMAIL);
  await page.getByLabel('Пароль').fill('не тот пароль');
  await page.getByRole('button', { name: 'Войти' }).click();
  await page.locator('#login-password-error').waitFor();
  check((await page.locator('#login-password-error').textContent()).includes('Неверная почта или пароль'), 'a wrong password is said in Russian');
  await shot('02-login-error');
  await page.getByLabel('Пароль').fill(PASSWORD);
  await page.getByLabel('Пароль').press('Enter');
  await page.waitForURL('**/app/contacts');
  await page.getByRole('heading', { name: 'Контакты' }).waitFor();
  await badge.filter({ hasText: 'не подключён' }).waitFor();
  check((await page.title()) === 'Контакты · tgr', 'the tab title is Russian');
  await shot('03-contacts-empty');

  // --- Connect Telegram: phone → code → cloud password, mistakes included -------------------------
  await badge.click();
  await page.waitForURL('**/app/connect');
  const phone = page.getByLabel('Номер телефона');
  await phone.waitFor();
  await shot('04-connect-phone');
  await phone.fill('+79005550000');
  await page.getByRole('button', { name: 'Получить код' }).click();
  const code = page.getByLabel('Код входа');
  await code.waitFor();
  await code.fill('11111');
  await page.getByRole('button', { name: 'Подтвердить' }).click();
  await page.locator('#tg-code-error').waitFor();
  await shot('05-connect-code-invalid');
  await code.fill('13579');
  await code.press('Enter');
  const cloud = page.getByLabel('Облачный пароль');
  await cloud.waitFor();
  await cloud.fill('не-тот');
  await page.getByRole('button', { name: 'Подключить', exact: true }).click();
  await page.locator('#tg-password-error').waitFor();
  await shot('06-connect-password-invalid');
  await cloud.fill('облако-2fa');
  await cloud.press('Enter');
  await page.getByRole('heading', { name: 'Подключено' }).waitFor();
  await badge.filter({ hasText: 'подключён' }).waitFor();
  check((await badge.textContent()).trim() === 'Симулятор Telegram: подключён', 'the header badge says «Симулятор Telegram: подключён»');
  await shot('07-connected');

  // --- Contacts: plural forms -----------------------------------------------------------------------
  await page.getByRole('link', { name: 'Открыть контакты' }).click();
  await page.waitForURL('**/app/contacts');
  const threeRows = (ms) =>
    page.waitForFunction(() => document.querySelectorAll('[data-testid=contact-row]').length >= 3, null, { timeout: ms }).then(() => true, () => false);
  if (!(await threeRows(3000))) {
    await page.reload();
    if (!(await threeRows(10000))) throw new Failure(`expected 3 contacts, have ${await rows.count()}`);
  }
  const rowOf = (name) => rows.filter({ hasText: name });
  check((await rowOf('Ольга').textContent()).includes('1 сообщение'), 'one message: «1 сообщение»');
  check((await rowOf('Alice').textContent()).includes('2 сообщения'), 'two messages: «2 сообщения»');
  check((await rowOf('Борис').textContent()).includes('5 сообщений'), 'five messages: «5 сообщений»');
  await shot('08-contacts');

  const token = await page.evaluate(() => sessionStorage.getItem('tgr.token'));
  const api = makeApi(base, token);
  const campaignId = await campaignFlow({ page, base, api, shot });

  // --- The language switch: English, remembered, then Russian again --------------------------------
  await page.goto(base + '/app/contacts');
  await page.getByRole('heading', { name: 'Контакты' }).waitFor();
  await page.getByTestId('lang-switch').selectOption('en');
  await page.getByRole('heading', { name: 'Contacts' }).waitFor();
  check((await page.evaluate(() => document.documentElement.lang)) === 'en', 'switching to English sets <html lang="en">');
  check((await rowOf('Борис').textContent()).includes('5 messages'), 'the same list counts in English: «5 messages»');
  await page.reload();
  await page.getByRole('heading', { name: 'Contacts' }).waitFor();
  check((await page.getByTestId('lang-switch').inputValue()) === 'en', 'the choice is remembered over a reload (a Russian browser stays in English)');
  await page.getByTestId('lang-switch').selectOption('ru');
  await page.getByRole('heading', { name: 'Контакты' }).waitFor();
  check(true, 'and back to Russian');

  // --- Every route of the app, in Russian -------------------------------------------------------------
  const contactId = (await api('GET', '/contacts?limit=1')).contacts[0].id;
  for (const r of a11y.routes) {
    const url = r.name.replace(/:id/, String(r.name.startsWith('/app/contacts') ? contactId : campaignId));
    if (url === '/app/login') continue; // seen logged out
    await page.goto(base + url);
    await page.locator('main h1, main [role=status]').first().waitFor();
    await page.waitForTimeout(600); // the page's first answers
    await shot('tour' + url.replace(/\W+/g, '-'));
  }
  await page.goto(base + '/app/no-such-page');
  await page.getByRole('heading', { name: 'Страница не найдена' }).waitFor();
  await shot('tour-not-found');

  a11y.finish();
  noProblems('during the Russian run');
}

/** A campaign in Russian: written in the editor, started, watched to the end, read on its
 *  scorecard. Answers its id. */
async function campaignFlow({ page, base, api, shot }) {
  await page.goto(base + '/app/campaigns');
  await page.getByRole('heading', { name: 'Кампании' }).waitFor();
  await shot('09-campaigns-empty');
  await page.getByRole('link', { name: 'Новая кампания' }).first().click();
  await page.waitForURL('**/app/campaigns/new');
  await page.getByRole('heading', { name: 'Новая кампания' }).waitFor();
  await page.getByLabel('Название кампании').fill('Осенняя распродажа');
  await page.locator('#ed-message').click();
  await page.keyboard.type('Здравствуйте! Скидка 10% до пятницы.');
  await page.waitForURL(/\/app\/campaigns\/\d+\/edit$/, { timeout: 10_000 }); // the first save names it in the URL
  const id = Number(/campaigns\/(\d+)\/edit/.exec(page.url())[1]);
  await page.getByTestId('start').filter({ hasText: '3 контакта' }).waitFor(); // «Начать кампанию · 3 контакта»
  await shot('10-editor');
  await page.getByTestId('start').click();
  const dialog = page.getByTestId('start-dialog');
  await dialog.getByRole('heading', { name: 'Начать отправку?' }).waitFor();
  check((await dialog.textContent()).includes('3 контакта'), 'the start dialog counts «3 контакта»');
  await shot('11-editor-start-dialog');
  await dialog.getByRole('button', { name: 'Начать отправку' }).click();
  await page.waitForURL((u) => new URL(u).pathname === `/app/campaigns/${id}`, { timeout: 10_000 });
  await page.waitForFunction(() => /Завершена/.test(document.querySelector('main')?.textContent || ''), null, { timeout: 30_000 });
  const done = await api('GET', `/campaigns/${id}/analytics`);
  check(done.status === 'completed' && done.sent === 3, `the campaign sent its 3 messages and completed (${done.status}, ${done.sent} sent)`);
  await shot('12-monitor-completed');
  await page.goto(`${base}/app/campaigns/${id}/scorecard`);
  await page.locator('main h1').waitFor();
  await page.waitForTimeout(500);
  await shot('13-scorecard');
  return id;
}

await run(main);
