// Untranslated words on a page of the web app shown in Russian (issue 19 item 5). Every visible
// text node, the title/placeholder/aria-label/alt attributes, <option>s and document.title are read;
// what is inside translate="no" (people's names, messages, campaign names, codes: user data) is
// skipped. A Latin word of two or more letters that is not a name every Russian text writes in
// Latin (Telegram, CSV, URL…) is reported with where it stands. URLs, e-mail addresses, {{placeholders}}
// and currency codes are not words.
//
// As a tool (for whoever translates a page): node tests/browser/i18n.mjs [route…] starts a demo
// server, logs in with a Russian browser and prints what is left in English on each route (all
// routes of the demo when none is given). ru.mjs checks the same at every page of its workflow.

/** Words written in Latin in Russian text too. */
export const LATIN_OK = [
  'Python', 'Node', 'js', 'Premium',
  'Telegram', 'tgr', 'CSV', 'URL', 'API', 'HTTP', 'HTTPS', 'JSON', 'HMAC', 'SHA', 'UTM', 'ID', 'IP', 'SMS',
  'HTML', 'PNG', 'JPEG', 'JPG', 'GIF', 'MP4', 'MB', 'KB', 'GB', 'OK', 'FloodWait', 'PEER_FLOOD', 'CRM', 'GDPR',
  'Shopify', 'WooCommerce', 'Tilda', 'Google', 'Sheets', 'Zapier', 'Make', 'n8n', 'SpamBot', 'Bearer', 'X-API-Key',
  'Stripe', 'UTC', 'ETA', 'X-Forwarded-For', 'tgr-signature', 'Tgr-Signature', 'webhook', 'English', 'Ctrl',
];

/** Runs in the page: [{ text, where }] of texts with Latin words outside user data. */
export async function untranslated(page, extraOk = []) {
  return await page.evaluate((ok) => {
    const allowed = new Set(ok.map((w) => w.toLowerCase()));
    const found = [];
    const strip = (t) =>
      t
        .replace(/https?:\/\/\S+/g, ' ')
        .replace(/\b[\w.+-]+@[\w-]+(\.[\w-]+)+\b/g, ' ')
        .replace(/\{\{[^}]*\}\}/g, ' ')
        .replace(/\/app\/\S*/g, ' ')
        .replace(/\b[A-Z]{3}\b/g, ' ');
    const bad = (t) => {
      const words = strip(t).match(/[A-Za-z][A-Za-z0-9_'’-]*[A-Za-z0-9]/g) || [];
      return words.filter((w) => !allowed.has(w.toLowerCase()) && !/^[a-z0-9]+(_[a-z0-9]+)+$/.test(w) && !/\d/.test(w));
    };
    const skip = (el) => !el || el.closest('[translate="no"], script, style, noscript, code, kbd, samp, pre');
    const describe = (el) => {
      const parts = [];
      for (let e = el; e && e !== document.body && parts.length < 3; e = e.parentElement) {
        let s = e.tagName.toLowerCase();
        if (e.id) s += '#' + e.id;
        else if (e.dataset?.testid) s += `[data-testid=${e.dataset.testid}]`;
        else if (typeof e.className === 'string' && e.className) s += '.' + e.className.trim().split(/\s+/)[0];
        parts.unshift(s);
      }
      return parts.join(' > ');
    };
    const visible = (el) => {
      if (el.closest('option')) return true; // a select's choices are read when it opens
      if (typeof el.checkVisibility === 'function') return el.checkVisibility({ visibilityProperty: true, opacityProperty: false });
      return el.getClientRects().length > 0;
    };
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    for (let n = walker.nextNode(); n; n = walker.nextNode()) {
      const el = n.parentElement;
      const text = n.nodeValue.trim();
      if (!text || skip(el) || !visible(el)) continue;
      const w = bad(text);
      if (w.length) found.push({ text, words: w, where: describe(el) });
    }
    for (const el of document.querySelectorAll('[title], [placeholder], [aria-label], [alt], input[type=submit], input[type=button]')) {
      if (skip(el)) continue;
      for (const attr of ['title', 'placeholder', 'aria-label', 'alt', 'value']) {
        if (attr === 'value' && !(el instanceof HTMLInputElement && (el.type === 'submit' || el.type === 'button'))) continue;
        const v = el.getAttribute(attr);
        if (!v) continue;
        const w = bad(v);
        if (w.length) found.push({ text: v, words: w, where: describe(el) + ` @${attr}` });
      }
    }
    const tw = bad(document.title.replace(/ · tgr$/, ''));
    if (tw.length) found.push({ text: document.title, words: tw, where: 'document.title' });
    return found;
  }, [...LATIN_OK, ...extraOk]);
}

/** Formats untranslated() findings, one per line. */
export function report(found) {
  return found.map((f) => `  "${f.text.slice(0, 120)}" (${f.words.join(', ')}) at ${f.where}`).join('\n');
}

// ---- the tool ---------------------------------------------------------------------------------
import { fileURLToPath } from 'node:url';
if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const fs = await import('node:fs');
  const path = await import('node:path');
  const h = await import('./harness.mjs');
  await h.run(async () => {
    const dir = path.join(h.tmp, 'demo');
    fs.mkdirSync(path.join(dir, 'scenarios'), { recursive: true });
    const scenario = path.join(dir, 'scenarios', 'demo.json');
    fs.copyFileSync(path.join(h.root, 'scenarios', 'demo.json'), scenario);
    const base = await h.startServer(scenario, dir, ['--demo', '--send-rate', '20']);
    const loginFile = path.join(dir, 'data', 'demo-login.txt');
    for (let i = 0; i < 100 && !fs.existsSync(loginFile); i++) await new Promise((r) => setTimeout(r, 100));
    const [email, password] = fs.readFileSync(loginFile, 'utf8').trim().split(/\s+/);
    const { page } = await h.launchBrowser({ locale: 'ru-RU' });
    await page.goto(base + '/app/login');
    await page.locator('#login-email').fill(email);
    await page.locator('#login-password').fill(password);
    await page.locator('#login-password').press('Enter');
    await page.waitForURL('**/app/contacts');
    const api = h.makeApi(base, await page.evaluate(() => sessionStorage.getItem('tgr.token')));
    const campaigns = (await api('GET', '/campaigns')).campaigns;
    const contacts = (await api('GET', '/contacts?limit=1')).contacts;
    const c = campaigns[0]?.id ?? 1;
    const routes = process.argv.slice(2).length
      ? process.argv.slice(2)
      : ['/app/contacts', `/app/contacts/${contacts[0]?.id ?? 1}`, '/app/campaigns', '/app/campaigns/new', `/app/campaigns/${c}`,
          `/app/campaigns/${c}/scorecard`, `/app/campaigns/${c}/people`, `/app/campaigns/${c}/edit`, '/app/analytics', '/app/orders',
          '/app/shop', '/app/settings', '/app/connect', '/app/segments', '/app/webhooks', '/app/audit', '/app/nowhere'];
    const shots = path.join(h.SHOTS, 'ru-scan');
    fs.mkdirSync(shots, { recursive: true });
    let total = 0;
    for (const r of routes) {
      await page.goto(base + r.replace(':campaign', String(c)));
      await page.waitForLoadState('networkidle').catch(() => {});
      await page.waitForTimeout(500);
      const found = await untranslated(page);
      total += found.length;
      console.log(`${r}: ${found.length ? found.length + ' untranslated\n' + report(found) : 'all Russian'}`);
      await page.screenshot({ path: path.join(shots, r.replace(/\W+/g, '_') + '.png'), fullPage: true });
    }
    h.check(total === 0, `no untranslated text on ${routes.length} routes (screenshots in ${path.relative(process.cwd(), shots)})`);
  });
}
