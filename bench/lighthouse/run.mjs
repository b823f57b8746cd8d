#!/usr/bin/env node
// bench/lighthouse/run.mjs — `make bench`: how fast the web app loads (issue 21 item 6).
//
// 1. The first page's JavaScript from the build's manifest (web/dist/.vite/manifest.json): the
//    entry chunk and what it imports statically, for the login page, and with the contacts view's
//    chunk and its static imports for the contacts page, gzipped (level 9, as the server's .gz
//    twins); target ≤ 80 KB.
// 2. Lighthouse (12.8.2, installed here by scripts/deps.sh bench; its mobile settings: a Moto G
//    Power's screen and slow 4G, simulated) driving Debian's Chromium through puppeteer-core
//    (Lighthouse's own dependency) against the real build/tgr started with --demo on the simulated
//    Telegram: the login page logged out, and the contacts page of the demo account (its token put
//    in sessionStorage before the page's own script runs, as the login page leaves it). The CPU
//    is slowed to that phone's: Lighthouse's fixed 4× assumes a fast desktop, and on a loaded
//    2-core machine it emulates a phone several times slower than the Moto, and a different one
//    each run; so before each run this measures the machine's benchmark index (Lighthouse's own
//    benchmark) and slows the CPU by index / 264 (the phone's index in Chrome DevTools' CPU
//    calibration), never below 1× — as Lighthouse's throttling documentation advises for hosts
//    that are not fast desktops (LH_CPU=4 runs with the fixed 4× instead). RUNS (3) runs a page,
//    the median by performance reported; targets: performance ≥ 95, accessibility 100, best
//    practices 100. Prints every score, the metrics, the CPU slowdown and each audit that failed;
//    writes the median runs' reports to bench/out/lighthouse/ (HTML and JSON) and the figures to
//    bench/out/lighthouse.json. Exits 1 when a target is missed.
//
// Settings (environment): TGR_BIN (build/tgr), CHROMIUM (/usr/bin/chromium), RUNS (3), PAGES
// (login,contacts: the pages to audit), LH_CPU (a fixed CPU slowdown).
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import zlib from 'node:zlib';
import { fileURLToPath } from 'node:url';
import lighthouse from 'lighthouse';
import { pageFunctions } from 'lighthouse/core/lib/page-functions.js';
import puppeteer from 'puppeteer-core';
import { figure, writeFigures } from '../figures.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const TGR_BIN = path.resolve(ROOT, process.env.TGR_BIN || 'build/tgr');
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const RUNS = Number(process.env.RUNS || 3);
const DIST = path.join(ROOT, 'web/dist');
const OUT = path.join(ROOT, 'bench/out/lighthouse');
const JS_TARGET_KB = 80;
// The CPU Lighthouse's mobile settings emulate (a Moto G Power): Chrome DevTools' CPU calibration
// gives that phone a benchmark index of 264. LH_CPU=N forces Lighthouse's fixed multiplier instead.
const PHONE_INDEX = 264;
const FIXED_CPU = process.env.LH_CPU ? Number(process.env.LH_CPU) : null;
const TARGETS = { performance: 95, accessibility: 100, 'best-practices': 100 };
const CATEGORIES = Object.keys(TARGETS);

// ---- 1. the first page's JavaScript ------------------------------------------------------------

function firstPageJs() {
  const manifest = JSON.parse(fs.readFileSync(path.join(DIST, '.vite/manifest.json'), 'utf8'));
  const entry = Object.keys(manifest).find((k) => manifest[k].isEntry);
  const contacts = Object.keys(manifest).find((k) => k.endsWith('src/views/Contacts.tsx'));
  if (!entry || !contacts) throw new Error('web/dist/.vite/manifest.json has no entry or no contacts view; run make');
  const files = (keys, seen = new Set()) => {
    for (const k of keys) {
      if (seen.has(k)) continue;
      seen.add(k);
      files(manifest[k].imports ?? [], seen);
    }
    return seen;
  };
  const gz = (keys) =>
    [...keys].reduce((n, k) => n + zlib.gzipSync(fs.readFileSync(path.join(DIST, manifest[k].file)), { level: 9 }).length, 0) / 1024;
  const login = files([entry]);
  return { login: gz(login), contacts: gz(files([contacts], new Set(login))) + gz(login), loginFiles: login.size };
}

// ---- 2. the server ----------------------------------------------------------------------------

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tgr-bench-lighthouse-'));
let server = null;
let browser = null;
async function cleanup() {
  if (browser) await browser.close().catch(() => undefined);
  if (server && server.exitCode === null) {
    server.kill('SIGTERM');
    await new Promise((r) => server.once('exit', r));
  }
  fs.rmSync(tmp, { recursive: true, force: true });
}
process.on('SIGINT', () => cleanup().then(() => process.exit(130)));

async function startServer() {
  // The demo's scenario copied, so that its record and lock stay in the temp dir.
  fs.mkdirSync(path.join(tmp, 'scenarios'));
  const scenario = path.join(tmp, 'scenarios/demo.json');
  fs.copyFileSync(path.join(ROOT, 'scenarios/demo.json'), scenario);
  server = spawn(TGR_BIN, ['serve', '--demo', '--listen', '127.0.0.1:0', '--data', path.join(tmp, 'data'), '--sim-scenario', scenario, '--log-level', 'warn'], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let url = null;
  let login = null;
  await new Promise((resolve, reject) => {
    const rl = readline.createInterface({ input: server.stdout });
    const timer = setTimeout(() => reject(new Error('tgr printed no "listening on" and demo login within 60 s')), 60_000);
    rl.on('line', (l) => {
      let m;
      if ((m = /^listening on (http:\/\/\S+)$/.exec(l))) url = m[1];
      if ((m = /^demo login: (\S+) \/ (\S+)$/.exec(l))) login = { email: m[1], password: m[2] };
      if (url && login) {
        clearTimeout(timer);
        resolve();
      }
    });
    server.once('exit', (c) => reject(new Error(`tgr exited (${c}) while starting`)));
  });
  const r = await fetch(url + '/auth/login', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(login) });
  if (r.status !== 200) throw new Error(`demo login: ${r.status} ${await r.text()}`);
  const auth = await r.json();
  // The demo's contacts are synced from the simulated Telegram after the start: wait for them.
  for (let i = 0; ; i++) {
    const c = await fetch(url + '/contacts?limit=1', { headers: { Authorization: 'Bearer ' + auth.token } }).then((x) => x.json());
    if (c.contacts?.length) break;
    if (i > 300) throw new Error('the demo account has no contacts after 30 s');
    await new Promise((res) => setTimeout(res, 100));
  }
  return { url, session: { 'tgr.token': auth.token, 'tgr.expires_at': auth.expires_at, 'tgr.email': auth.account.email } };
}

// ---- 3. Lighthouse ----------------------------------------------------------------------------

/** This machine's benchmark index now (Lighthouse's own benchmark, run in a blank page), and the
 *  CPU slowdown that makes it the phone's: never below 1 (a loaded machine already slower is not
 *  sped up). Measured before every run, since the machine's load changes. */
async function cpuSlowdown() {
  if (FIXED_CPU) return { index: null, multiplier: FIXED_CPU };
  const page = await browser.newPage();
  const index = await page.evaluate(`(${pageFunctions.computeBenchmarkIndex})()`);
  await page.close();
  return { index, multiplier: Math.max(1, Math.round((index / PHONE_INDEX) * 100) / 100) };
}

async function audit(url, session) {
  const cpu = await cpuSlowdown();
  const page = await browser.newPage();
  if (session)
    await page.evaluateOnNewDocument((s) => {
      if (location.protocol !== 'http:') return; // about:blank on the way
      for (const [k, v] of Object.entries(s)) sessionStorage.setItem(k, v);
    }, session);
  const flags = { logLevel: 'error', output: ['html', 'json'], onlyCategories: CATEGORIES, throttling: { cpuSlowdownMultiplier: cpu.multiplier } };
  const result = await lighthouse(url, flags, undefined, page);
  await page.close();
  if (!result) throw new Error(`Lighthouse returned nothing for ${url}`);
  if (result.lhr.runtimeError) throw new Error(`Lighthouse: ${result.lhr.runtimeError.code}: ${result.lhr.runtimeError.message}`);
  return { ...result, cpu };
}

const score = (lhr, c) => Math.round((lhr.categories[c].score ?? 0) * 100);

/** The audits of a category that did not pass (under 0.9 in performance, under 1 elsewhere): those
 *  that count towards the score, and the advice that does not (weight 0), by id. */
function failed(lhr, c) {
  const counted = [];
  const advice = [];
  for (const ref of lhr.categories[c].auditRefs) {
    const a = lhr.audits[ref.id];
    if (a.score === null || ['notApplicable', 'informative', 'manual'].includes(a.scoreDisplayMode)) continue;
    if (a.score >= (c === 'performance' ? 0.9 : 1)) continue;
    if (ref.weight > 0) counted.push(`${a.id} (${a.title}${a.displayValue ? ': ' + a.displayValue : ''}; weight ${ref.weight})`);
    else advice.push(a.id + (a.displayValue ? ` (${a.displayValue})` : ''));
  }
  return { counted, advice };
}

const METRICS = [
  ['first-contentful-paint', 'FCP', 'ms'],
  ['largest-contentful-paint', 'LCP', 'ms'],
  ['total-blocking-time', 'TBT', 'ms'],
  ['cumulative-layout-shift', 'CLS', ''],
  ['speed-index', 'SI', 'ms'],
];

async function main() {
  const js = firstPageJs();
  console.log(
    `lighthouse: the first page's JavaScript, gzipped: login ${js.login.toFixed(1)} KB (${js.loginFiles} file(s)), contacts ${js.contacts.toFixed(1)} KB (target ≤ ${JS_TARGET_KB} KB)`,
  );
  const { url, session } = await startServer();
  browser = await puppeteer.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  const pages = [
    { name: 'login', url: url + '/app/login', session: null },
    { name: 'contacts', url: url + '/app/contacts', session },
  ].filter((p) => !process.env.PAGES || process.env.PAGES.split(',').includes(p.name));
  fs.mkdirSync(OUT, { recursive: true });
  const figures = [
    figure('js_login_kb', 'login page: JavaScript (gzip)', round(js.login, 1), 'KB', { op: '<=', target: JS_TARGET_KB }),
    figure('js_contacts_kb', 'contacts page: JavaScript (gzip)', round(js.contacts, 1), 'KB', { op: '<=', target: JS_TARGET_KB }),
  ];
  let ok = js.login <= JS_TARGET_KB && js.contacts <= JS_TARGET_KB;
  for (const p of pages) {
    const runs = [];
    for (let i = 0; i < RUNS; i++) runs.push(await audit(p.url, p.session));
    runs.sort((a, b) => score(a.lhr, 'performance') - score(b.lhr, 'performance'));
    const { lhr, report, cpu } = runs[Math.floor(runs.length / 2)];
    fs.writeFileSync(path.join(OUT, `${p.name}.report.html`), report[0]);
    fs.writeFileSync(path.join(OUT, `${p.name}.report.json`), report[1]);
    const perfs = runs.map((r) => score(r.lhr, 'performance')).join(', ');
    const scores = CATEGORIES.map((c) => `${lhr.categories[c].title} ${score(lhr, c)}`).join(', ');
    const metrics = METRICS.map(([id, short, unit]) => `${short} ${lhr.audits[id].numericValue.toFixed(unit ? 0 : 3)}${unit ? ' ' + unit : ''}`).join(', ');
    const bytes = lhr.audits['resource-summary']?.details?.items ?? [];
    const jsBytes = bytes.find((b) => b.resourceType === 'script')?.transferSize ?? 0;
    const allBytes = bytes.find((b) => b.resourceType === 'total')?.transferSize ?? 0;
    console.log(`lighthouse: ${p.name}: ${scores} (performance in ${RUNS} runs: ${perfs}; median shown)`);
    console.log(`lighthouse: ${p.name}: ${metrics}; CPU ${cpu.multiplier}× slower (${cpu.index ? `benchmark index ${Math.round(cpu.index)} before the run, ${Math.round(lhr.environment.benchmarkIndex)} in it` : 'LH_CPU'}); transferred ${(allBytes / 1024).toFixed(1)} KB, of it scripts ${(jsBytes / 1024).toFixed(1)} KB`);
    for (const c of CATEGORIES) {
      const s = score(lhr, c);
      if (s < TARGETS[c]) ok = false;
      const { counted, advice } = failed(lhr, c);
      for (const f of counted) console.log(`lighthouse: ${p.name}: ${c}: failed ${f}`);
      if (advice.length) console.log(`lighthouse: ${p.name}: ${c}: advice not counted in the score: ${advice.join(', ')}`);
      figures.push(figure(`${p.name}_${c}`, `${p.name} page: Lighthouse ${lhr.categories[c].title.toLowerCase()}`, s, '', { op: '>=', target: TARGETS[c] }));
    }
    figures.push(figure(`${p.name}_lcp_ms`, `${p.name} page: largest contentful paint (simulated slow 4G)`, Math.round(lhr.audits['largest-contentful-paint'].numericValue), 'ms', { better: 'lower' }));
    figures.push(figure(`${p.name}_tbt_ms`, `${p.name} page: total blocking time`, Math.round(lhr.audits['total-blocking-time'].numericValue), 'ms', { better: 'lower' }));
  }
  writeFigures('lighthouse', figures);
  console.log(`lighthouse: ${ok ? 'targets met' : 'TARGET MISSED'}; reports in bench/out/lighthouse/`);
  return ok ? 0 : 1;
}

function round(v, d) {
  return Math.round(v * 10 ** d) / 10 ** d;
}

let code = 1;
try {
  code = await main();
} catch (e) {
  console.error('bench/lighthouse:', e instanceof Error ? e.stack : e);
} finally {
  await cleanup();
}
process.exit(code);
