// Browser test, accessibility part (issue 20 item 5; DECISIONS 65): owns the checks that every page
// the flows show passes axe-core (WCAG 2.0/2.1 A and AA rules) with no "serious" or "critical"
// violation, at desktop and at phone width, and that every element that takes focus shows a focus
// indicator with at least 3:1 contrast against what is behind it (WCAG 1.4.11, 2.4.7); a Tab tour
// through one page; and, at the end, that every route of web/src/main.tsx was checked at both
// widths. run.mjs calls check() from each screenshot, so each page is checked in the states the
// flows show it in (with data, with an open dialog). Violations are printed when found and fail the
// run in finish(), so that one run lists all of them.
import fs from 'node:fs';
import path from 'node:path';

const TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'];
const FAILING = new Set(['serious', 'critical']);
export const DESKTOP = { width: 1200, height: 800 };
export const PHONE = { width: 390, height: 844 };
const widthName = (vp) => (vp.width <= 500 ? 'phone' : 'desktop');

/** The routes web/src/main.tsx renders, each { name, re }: the `route.path === '…'` comparisons and
 *  the `/^\/app\/…$/` patterns of its view switch, so that a page added there is checked too. */
export function appRoutes(mainTsx) {
  const src = fs.readFileSync(mainTsx, 'utf8');
  const routes = new Map();
  for (const m of src.matchAll(/route\.path === '(\/app\/[^']*)'/g)) {
    const p = m[1];
    routes.set(p, new RegExp('^' + p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&') + '$'));
  }
  for (const m of src.matchAll(/\/\^(.*?)\$\/\.exec\(route\.path\)/g)) {
    const re = new RegExp('^' + m[1] + '$');
    routes.set(m[1].replace(/\\\//g, '/').replace(/\(\\d\+\)/g, ':id'), re);
  }
  return [...routes].map(([name, re]) => ({ name, re }));
}

/** In the page: every element that takes keyboard focus, focused as the keyboard would (with
 *  :focus-visible), measured for a focus indicator: an outline or a box-shadow that was not there
 *  before, on the element or on one of its four nearest ancestors (:focus-within, :has()), whose
 *  colour has at least 3:1 contrast against the colour behind it. Answers the failures. When
 *  `only` is true it measures just the element that has focus now (the Tab tour). */
function focusAudit(only) {
  const rgba = (s) => {
    const m = /rgba?\(([^)]+)\)/.exec(s || '');
    if (!m) return null;
    const p = m[1].split(/[\s,/]+/).filter(Boolean).map(Number);
    return [p[0], p[1], p[2], p.length > 3 ? p[3] : 1];
  };
  const over = (a, b) => {
    const al = a[3] + b[3] * (1 - a[3]);
    if (al === 0) return [0, 0, 0, 0];
    return [0, 1, 2].map((i) => (a[i] * a[3] + b[i] * b[3] * (1 - a[3])) / al).concat(al);
  };
  const lum = (c) => {
    const [r, g, b] = c.slice(0, 3).map((v) => {
      v /= 255;
      return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
    });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  const ratio = (a, b) => {
    const x = lum(a);
    const y = lum(b);
    return (Math.max(x, y) + 0.05) / (Math.min(x, y) + 0.05);
  };
  // The opaque colour behind `el`'s box: the backgrounds of it and its ancestors, composited.
  const behind = (el) => {
    const chain = [];
    for (let e = el; e; e = e.parentElement) chain.push(rgba(getComputedStyle(e).backgroundColor));
    let c = [255, 255, 255, 1];
    for (const x of chain.reverse()) if (x && x[3] > 0) c = over(x, c);
    return c;
  };
  // Shadows as "rgb(…) 0px 0px 0px 3px [inset]", several separated by commas outside parentheses.
  const shadows = (s) => {
    if (!s || s === 'none') return [];
    return s.split(/,(?![^(]*\))/).map((x) => {
      const color = rgba(x);
      const nums = x.replace(/rgba?\([^)]*\)/, '').match(/-?[\d.]+px/g)?.map(parseFloat) ?? [];
      return { text: x.trim(), color, blur: nums[2] ?? 0, spread: nums[3] ?? 0, inset: /inset/.test(x) };
    });
  };
  const look = (el) => {
    const s = getComputedStyle(el);
    return { outline: `${s.outlineStyle} ${s.outlineWidth} ${s.outlineColor} ${s.outlineOffset}`, shadow: s.boxShadow };
  };
  // The best contrast of an indicator that `now` has and `before` had not.
  const indicator = (el, before, now) => {
    let best = 0;
    let what = '';
    const s = getComputedStyle(el);
    if (now.outline !== before.outline && s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) >= 1) {
      const col = rgba(s.outlineColor);
      const bg = parseFloat(s.outlineOffset) < 0 ? behind(el) : behind(el.parentElement || el);
      if (col && col[3] > 0) {
        const r = ratio(over(col, bg), bg);
        if (r > best) [best, what] = [r, 'outline ' + s.outlineColor];
      }
    }
    const old = new Set(shadows(before.shadow).map((x) => x.text));
    for (const sh of shadows(now.shadow)) {
      if (old.has(sh.text) || !sh.color || sh.color[3] === 0 || sh.spread + sh.blur / 2 < 1) continue;
      const bg = sh.inset ? behind(el) : behind(el.parentElement || el);
      const r = ratio(over(sh.color, bg), bg);
      if (r > best) [best, what] = [r, 'box-shadow ' + sh.text];
    }
    return { best, what };
  };
  const describe = (el) => {
    let d = el.tagName.toLowerCase();
    if (el.id) d += '#' + el.id;
    const cls = typeof el.className === 'string' ? el.className.trim().split(/\s+/).filter(Boolean).slice(0, 3) : [];
    if (cls.length) d += '.' + cls.join('.');
    const label = (el.getAttribute('aria-label') || el.textContent || el.getAttribute('name') || '').trim().replace(/\s+/g, ' ').slice(0, 40);
    return label ? `${d} "${label}"` : d;
  };
  const visible = (el) => {
    if (el.closest('[inert], [hidden], details:not([open]) > :not(summary)')) return false;
    const s = getComputedStyle(el);
    return s.visibility !== 'hidden' && s.display !== 'none' && el.getClientRects().length > 0;
  };
  const SEL =
    'a[href], button:not([disabled]), input:not([disabled]):not([type=hidden]), select:not([disabled]), textarea:not([disabled]), ' +
    'summary, [contenteditable=true], [tabindex]:not([tabindex="-1"])';
  const prev = document.activeElement;
  const targets = only ? [document.activeElement] : [...document.querySelectorAll(SEL)].filter(visible);
  const failures = [];
  let measured = 0;
  for (const el of targets) {
    if (!el || el === document.body) continue;
    const chain = [el];
    for (let e = el.parentElement; e && chain.length < 5; e = e.parentElement) chain.push(e);
    if (!only) {
      // Nothing focused while it is seen unfocused (a focused neighbour would light :focus-within).
      if (document.activeElement instanceof HTMLElement) document.activeElement.blur();
      if (document.activeElement === el) continue;
    }
    let before;
    if (only) {
      // Focused by Tab: its look now, then unfocused for a moment, then focused again.
      const now = chain.map(look);
      el.blur();
      before = chain.map(look);
      el.focus({ focusVisible: true, preventScroll: true });
      if (chain.some((e, i) => look(e).shadow !== now[i].shadow || look(e).outline !== now[i].outline))
        failures.push({ target: describe(el), why: 'looks different after focus() than after Tab' });
    } else {
      before = chain.map(look);
      el.focus({ focusVisible: true, preventScroll: true });
      if (document.activeElement !== el) continue; // outside an open modal dialog, or not focusable
    }
    if (!el.matches(':focus-visible')) {
      failures.push({ target: describe(el), why: 'does not match :focus-visible when focused from the keyboard' });
      continue;
    }
    measured++;
    const baseline = before;
    let best = { best: 0, what: '' };
    chain.forEach((e, i) => {
      const r = indicator(e, baseline[i], look(e));
      if (r.best > best.best) best = { best: r.best, what: (i ? `on ${describe(e).split(' ')[0]}: ` : '') + r.what };
    });
    if (best.best < 3)
      failures.push({
        target: describe(el),
        why: best.what ? `focus indicator contrast ${best.best.toFixed(2)}:1 < 3:1 (${best.what})` : 'no visible focus indicator (outline or box-shadow)',
      });
  }
  if (!only) {
    if (prev && prev !== document.body && prev.isConnected) prev.focus({ preventScroll: true });
    else document.activeElement?.blur();
  }
  return { measured, failures };
}

/** The accessibility checker of one run: check() at each screenshot, tabTour() on one page, and
 *  finish() at the end (which fails the run on anything found). */
export function createA11y({ root, log, Failure }) {
  const axeSource = fs.readFileSync(path.join(root, 'web', 'node_modules', 'axe-core', 'axe.min.js'), 'utf8');
  const routes = appRoutes(path.join(root, 'web', 'src', 'main.tsx'));
  /** "route name|width" → times checked. */
  const covered = new Map();
  /** Every serious/critical violation, { where, rule, impact, targets, help }. */
  const found = [];
  const byRule = new Map();
  let runs = 0;
  let focusMeasured = 0;
  let spentMs = 0;

  const routeOf = (url) => {
    const p = new URL(url).pathname;
    return routes.find((r) => r.re.test(p))?.name ?? `(no route: ${p})`;
  };
  const settle = (page) => page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(() => setTimeout(r, 50)))));

  // The page's CSP (script-src 'self') refuses an inline <script>, so page.addScriptTag cannot add
  // axe (Chromium logs the refusal as a console error); the same file is evaluated through the
  // DevTools protocol instead, which the CSP does not govern.
  async function inject(page) {
    if (!(await page.evaluate(() => typeof window.axe === 'object'))) await page.evaluate(axeSource);
  }

  function record(where, items) {
    for (const v of items) {
      found.push({ where, ...v });
      byRule.set(v.rule, (byRule.get(v.rule) ?? 0) + 1);
      log(`a11y VIOLATION at ${where}: ${v.rule} (${v.impact}) — ${v.help}\n    ` + v.targets.join('\n    '));
    }
  }

  async function axeAt(page, name) {
    await inject(page);
    const width = widthName(page.viewportSize());
    const violations = await page.evaluate(async (tags) => {
      const r = await window.axe.run(document, { runOnly: { type: 'tag', values: tags }, resultTypes: ['violations'] });
      return r.violations.map((v) => ({
        id: v.id,
        impact: v.impact,
        help: v.help,
        nodes: v.nodes.map((n) => ({ target: n.target.join(' '), impact: n.impact, summary: (n.failureSummary || '').replace(/\s+/g, ' ').slice(0, 320) })),
      }));
    }, TAGS);
    runs++;
    const key = routeOf(page.url());
    covered.set(`${key}|${width}`, (covered.get(`${key}|${width}`) ?? 0) + 1);
    const bad = violations.filter((v) => FAILING.has(v.impact));
    record(
      `${name} (${key}, ${width})`,
      bad.map((v) => ({ rule: v.id, impact: v.impact, help: v.help, targets: v.nodes.map((n) => `${n.target} — ${n.summary}`) })),
    );
  }

  /** "route|width", plus "|dialog" when one was open: the states checked at each width. */
  const states = new Set();

  /** axe at the current width; at the other width too when this route (with a dialog open, if one
   *  is) has not been seen at that width yet — most of a page's rules do not change with the width,
   *  and an axe run costs about half a second on a loaded machine; then the focus indicators.
   *  Leaves the page at the size it had. */
  async function check(page, name) {
    const t0 = Date.now();
    const vp = page.viewportSize();
    const here = widthName(vp);
    const other = here === 'phone' ? DESKTOP : PHONE;
    const dialog = await page.evaluate(() => !!document.querySelector('dialog[open], [role=dialog], [role=alertdialog]'));
    const state = (w) => `${routeOf(page.url())}|${w}${dialog ? '|dialog' : ''}`;
    states.add(state(here));
    await axeAt(page, name);
    if (!states.has(state(widthName(other)))) {
      states.add(state(widthName(other)));
      await page.setViewportSize(other);
      await settle(page);
      await axeAt(page, name);
      await page.setViewportSize(vp);
      await settle(page);
    }
    await focusAt(page, name);
    spentMs += Date.now() - t0;
  }

  async function focusAt(page, name) {
    const r = await page.evaluate(focusAudit, false);
    focusMeasured += r.measured;
    record(
      `${name} (${routeOf(page.url())}, ${widthName(page.viewportSize())})`,
      r.failures.map((f) => ({ rule: 'focus-indicator', impact: 'serious', help: 'Keyboard focus must be visible (3:1 against the background)', targets: [`${f.target} — ${f.why}`] })),
    );
  }

  /** Presses Tab from the top of the page until focus comes back round (at most `max` stops): each
   *  element reached must show its focus indicator. Answers the descriptions of the stops. */
  async function tabTour(page, max = 80) {
    await page.evaluate(() => {
      document.activeElement?.blur();
      window.scrollTo(0, 0);
    });
    const stops = [];
    let first = null;
    for (let i = 0; i < max; i++) {
      await page.keyboard.press('Tab');
      const here = await page.evaluate(() => {
        const el = document.activeElement;
        if (!el || el === document.body) return null;
        const t = (el.getAttribute('aria-label') || el.textContent || el.getAttribute('name') || el.id || '').trim().replace(/\s+/g, ' ').slice(0, 40);
        return `${el.tagName.toLowerCase()} "${t}"`;
      });
      if (here === null) break;
      if (here === first && stops.length > 1) break;
      first ??= here;
      stops.push(here);
      const r = await page.evaluate(focusAudit, true);
      focusMeasured += r.measured;
      record(
        `Tab stop ${i + 1} on ${routeOf(page.url())}`,
        r.failures.map((f) => ({ rule: 'focus-indicator', impact: 'serious', help: 'Keyboard focus must be visible (3:1 against the background)', targets: [`${f.target} — ${f.why}`] })),
      );
    }
    await page.evaluate(() => document.activeElement?.blur());
    log(`Tab stops on ${routeOf(page.url())}: ${stops.join(', ')}`);
    return stops;
  }

  /** Fails the run on any violation found, and on a route never checked at both widths. */
  function finish() {
    const missing = [];
    for (const r of routes) for (const w of ['desktop', 'phone']) if (!covered.get(`${r.name}|${w}`)) missing.push(`${r.name} at ${w} width`);
    const pages = [...covered.keys()].length;
    log(
      `a11y: ${runs} axe runs over ${routes.length} routes (${pages} route × width pairs), ${focusMeasured} focus indicators measured in ${(spentMs / 1000).toFixed(1)} s; ` +
        `serious/critical violations: ${found.length}` +
        (found.length ? ' — ' + [...byRule].map(([k, n]) => `${k} ${n}`).join(', ') : ''),
    );
    if (missing.length) throw new Failure('pages never checked by axe (give each a screenshot in a flow): ' + missing.join(', '));
    if (found.length) throw new Failure(`${found.length} serious/critical accessibility violation(s); see the "a11y VIOLATION" lines above`);
    log('ok - every page passes axe (WCAG 2.1 A/AA, no serious/critical) at desktop and phone width, with visible keyboard focus');
  }

  return { check, tabTour, finish, routes };
}
