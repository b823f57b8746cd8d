// The Russian error texts of the web app (web/src/api.i18n.ts, SERVER_ERRORS) against the server's
// registry of error codes (src/base/errors.h): fails, naming them, when errors.h has a code the
// catalog lacks (the app would show that error in English) or the catalog keeps a code errors.h
// no longer has. Run by ctest web.error_codes; no server, no browser.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const header = fs.readFileSync(path.join(root, 'src/base/errors.h'), 'utf8');
const catalog = fs.readFileSync(path.join(root, 'web/src/api.i18n.ts'), 'utf8');

const codes = new Set([...header.matchAll(/X\(ERR_\w+,\s*\d+,\s*"([a-z0-9_]+)"/g)].map((m) => m[1]));
const block = /const SERVER_ERRORS\b.*\{\n([\s\S]*?)\n\};/.exec(catalog);
if (!codes.size || !block) {
  console.error('FAIL: could not read the codes of src/base/errors.h or SERVER_ERRORS in web/src/api.i18n.ts');
  process.exit(1);
}
const keys = new Set([...block[1].matchAll(/^ {2}'?([a-z0-9_]+)'?:/gm)].map((m) => m[1]));
const missing = [...codes].filter((c) => !keys.has(c));
const stale = [...keys].filter((k) => !codes.has(k));
if (missing.length) console.error('FAIL: web/src/api.i18n.ts SERVER_ERRORS lacks the Russian text of: ' + missing.join(', '));
if (stale.length) console.error('FAIL: web/src/api.i18n.ts SERVER_ERRORS has codes src/base/errors.h does not: ' + stale.join(', '));
if (missing.length || stale.length) process.exit(1);
console.log(`PASS: every one of the ${codes.size} error codes of src/base/errors.h has its Russian text`);
