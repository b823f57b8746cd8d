// The browser tests' harness (run.mjs, ru.mjs): paths, the tgr servers a run starts (a simulated
// Telegram each, stopped at the end), a JSON API caller, Chromium with the watch for what a page
// must never do (dialogs, page errors, console errors, failed requests), and the runner that prints
// PASS/FAIL with the servers' stderr.
import { spawn, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const require = createRequire(path.join(root, 'web', 'package.json'));
const { chromium } = require('playwright-core');

export const BIN = process.env.TGR_BIN ? path.resolve(process.env.TGR_BIN) : path.join(root, 'build', 'tgr');
export const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
export const WEB = process.env.TGR_WEB_DIST ? path.resolve(process.env.TGR_WEB_DIST) : path.join(root, 'web', 'dist');
export const SHOTS = path.join(root, 'build', 'screenshots');
export const HOSTILE = '<img src=x onerror=alert(1)>';
export const EMAIL = 'owner@shop.test';
export const PASSWORD = 'correct horse battery staple';
export const started = Date.now();

export const log = (...a) => console.log(`[${((Date.now() - started) / 1000).toFixed(1)}s]`, ...a);
export class Failure extends Error {}
export function check(cond, msg) {
  if (!cond) throw new Failure(msg);
  log('ok -', msg);
}

export const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tgr-browser-'));
/** Every server started, each { proc, name, log }. */
export const servers = [];
/** The Chromium of this run (launchBrowser), closed by run(). */
let browser = null;
/** What the page did that it never should (launchBrowser's watch), printed when a run fails. */
let pageProblems = [];
/** The page of this run, for a screenshot of where a failed run stopped. */
let lastPage = null;

export function stopServer(server) {
  return new Promise((resolve) => {
    if (server.exitCode !== null || server.signalCode !== null) return resolve();
    const t = setTimeout(() => {
      server.kill('SIGKILL');
    }, 12_000);
    server.once('exit', () => {
      clearTimeout(t);
      resolve();
    });
    server.kill('SIGTERM');
  });
}
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, () => {
    for (const s of servers) if (s.proc.exitCode === null) s.proc.kill('SIGTERM');
    process.exit(130);
  });
}

/** Starts build/tgr on a free port with the simulator playing `scenarioFile`, its data (and an
 *  account EMAIL / PASSWORD) in `dir`; answers the server's base URL. */
export async function startServer(scenarioFile, dir = tmp, extraArgs = []) {
  const data = path.join(dir, 'data');
  const pwFile = path.join(dir, 'password.txt');
  fs.writeFileSync(pwFile, PASSWORD + '\n', { mode: 0o600 });
  execFileSync(BIN, ['account', 'create', '--email', EMAIL, '--password-file', pwFile, '--data', data, '--log-level', 'warn'], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  log('account created');
  const server = spawn(
    BIN,
    ['serve', '--listen', '127.0.0.1:0', '--data', data, '--telegram', 'sim', '--sim-scenario', scenarioFile, '--web', WEB, '--rate-session', '1000', ...extraArgs],
    { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const entry = { proc: server, name: path.basename(dir), log: '' };
  servers.push(entry);
  server.stderr.on('data', (d) => (entry.log += d));
  return await new Promise((resolve, reject) => {
    let out = '';
    const t = setTimeout(() => reject(new Failure('server did not print "listening on" within 20 s\n' + entry.log)), 20_000);
    server.stdout.on('data', (d) => {
      out += d;
      const m = /listening on (http:\/\/[^\s]+)/.exec(out);
      if (m) {
        clearTimeout(t);
        resolve(m[1].replace(/\/$/, ''));
      }
    });
    server.once('exit', (code, sig) => {
      clearTimeout(t);
      reject(new Failure(`server exited early (${code ?? sig})\n${entry.log}`));
    });
  });
}

/** A JSON API caller for one server with one account's token; a non-2xx answer throws. */
export function makeApi(base, token) {
  return async (method, p, body) => {
    const r = await fetch(base + p, {
      method,
      headers: { Authorization: 'Bearer ' + token, Accept: 'application/json', ...(body ? { 'Content-Type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    const text = await r.text();
    if (!r.ok) throw new Failure(`${method} ${p} → ${r.status} ${text}`);
    return text ? JSON.parse(text) : null;
  };
}

/** Chromium, and one page in a context of this locale with the watch for what a page must never
 *  do; answers { page, problems, noProblems, expectedStatuses }. */
export async function launchBrowser({ locale = 'en-US' } = {}) {
  const launched = Date.now();
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  const context = await browser.newContext({ viewport: { width: 1200, height: 800 }, locale, timezoneId: 'UTC' });
  const page = await context.newPage();
  log(`chromium up in ${Date.now() - launched} ms`);

  // Anything the page should never do.
  const problems = (pageProblems = []);
  lastPage = page;
  // 4xx answers we provoke on purpose (Chromium logs "Failed to load resource" for them).
  const expectedStatuses = new Set([401, 409, 422]);
  page.on('dialog', (d) => {
    problems.push(`dialog (${d.type()}): ${d.message()}`);
    void d.dismiss().catch(() => {});
  });
  page.on('pageerror', (e) => problems.push('page error: ' + e.message));
  page.on('console', (m) => {
    if (m.type() !== 'error' && m.type() !== 'warning') return;
    const t = m.text();
    const st = /Failed to load resource: the server responded with a status of (\d+)/.exec(t);
    if (st && expectedStatuses.has(Number(st[1]))) return;
    problems.push(`console ${m.type()}: ${t}`);
  });
  // ERR_ABORTED is a fetch cut short by the test's own page.goto/reload, not a fault of the app.
  page.on('requestfailed', (r) => {
    const why = r.failure()?.errorText ?? '';
    if (!why.includes('ERR_ABORTED')) problems.push(`request failed: ${r.url()} ${why}`);
  });
  const noProblems = (where) => check(problems.length === 0, `no dialogs/console errors ${where}` + (problems.length ? ':\n  ' + problems.join('\n  ') : ''));
  return { page, problems, noProblems, expectedStatuses };
}

/** Runs a test's main(), prints PASS or FAIL (with each server's stderr tail), stops everything
 *  and exits 0 or 1. */
export async function run(main) {
  let failed = false;
  try {
    await main();
    log(`PASS (${((Date.now() - started) / 1000).toFixed(1)} s); screenshots in ${path.relative(process.cwd(), SHOTS) || '.'}`);
  } catch (e) {
    failed = true;
    console.error('FAIL:', e instanceof Failure ? e.message : e?.stack || e);
    if (lastPage) {
      const file = path.join(SHOTS, 'FAILED-' + path.basename(process.argv[1], '.mjs') + '.png');
      await lastPage.screenshot({ path: file, fullPage: true }).then(() => console.error('the page where it stopped:', file), () => {});
      console.error('at', lastPage.url());
      const text = await lastPage.evaluate(() => document.body.innerText).catch(() => '');
      console.error('--- what the page showed (first 1,500 characters) ---\n' + text.slice(0, 1500));
    }
    if (pageProblems.length) console.error('--- what the page did meanwhile ---\n  ' + pageProblems.join('\n  '));
    for (const s of servers) if (s.log) console.error(`--- server stderr, ${s.name} (tail) ---\n` + s.log.split('\n').slice(-30).join('\n'));
  } finally {
    if (browser) await browser.close().catch(() => {});
    await Promise.all(servers.map((s) => stopServer(s.proc)));
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  process.exit(failed ? 1 : 0);
}
