// bench/figures.mjs — the figures a Node bench hands to bench/summary.py (issue 21 item 7): the same
// shape as bench/figures.py (see there), written to bench/out/NAME.json.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const OUT = path.join(path.dirname(fileURLToPath(import.meta.url)), 'out');
const OPS = { '<': (a, b) => a < b, '<=': (a, b) => a <= b, '>': (a, b) => a > b, '>=': (a, b) => a >= b, '==': (a, b) => a === b };

export function figure(key, label, value, unit = '', { op, target, of = 'value', peer, peerValue, better } = {}) {
  const ratio = peerValue ? value / peerValue : null;
  const f = { key, label, value, unit };
  if (peer !== undefined) Object.assign(f, { peer, peer_value: peerValue, ratio: ratio === null ? null : Math.round(ratio * 1e4) / 1e4 });
  if (op !== undefined) {
    const measured = of === 'ratio' ? ratio : value;
    Object.assign(f, { op, target, of, met: measured !== null && OPS[op](measured, target) });
  }
  f.better = better ?? (op === '<' || op === '<=' ? 'lower' : op === '>' || op === '>=' ? 'higher' : null);
  return f;
}

export function writeFigures(bench, figures) {
  fs.mkdirSync(OUT, { recursive: true });
  const file = path.join(OUT, bench + '.json');
  const doc = { bench, run_at: new Date().toISOString().replace(/\.\d+Z$/, 'Z'), figures };
  fs.writeFileSync(file + '.tmp', JSON.stringify(doc, null, 1) + '\n');
  fs.renameSync(file + '.tmp', file);
  return file;
}
