#!/usr/bin/env node
// gen-demo-orders.mjs — writes the demo shop's orders (CSV for `tgr import orders` and
// POST /orders/import) for the customers of a scenario, to stdout:
//
//   node scripts/gen-demo-orders.mjs scenarios/demo.json > scenarios/demo-orders.csv
//
// Deterministic (seeded PRNG). About a third of the customers who wrote to the shop bought
// something (one to three paid orders over the last 90 days, in EUR), a few of those orders
// were refunded, and order numbers mentioned in their messages ("#17094", "№17094") are reused
// so conversations and orders agree. Customers are named by Telegram user id, or by phone or
// username where the scenario has one, to exercise every way of matching an order.
import { readFileSync } from 'node:fs';

const file = process.argv[2];
if (!file) {
  process.stderr.write('usage: node scripts/gen-demo-orders.mjs SCENARIO.json\n');
  process.exit(2);
}
const sc = JSON.parse(readFileSync(file, 'utf8'));

let seed = 20251126;
function rnd() { // mulberry32
  seed |= 0; seed = (seed + 0x6d2b79f5) | 0;
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}

const now = Date.UTC(2026, 10, 25, 12, 0, 0);
const prices = [1299, 1999, 2499, 3490, 4500, 5990, 7900, 12900];
const lines = ['order_id,amount,currency,status,created_at,telegram_user_id,phone,username,discount_code,ref'];
let next = 50000;
const used = new Set();
for (const u of sc.users) {
  if (u.bot || u.deleted || !u.messages || u.id === sc.me.id || u.id === '777000') continue;
  if (rnd() > 0.35) continue;
  const mentioned = [];
  for (const m of u.messages) {
    if (m.out) continue;
    for (const hit of (m.text || '').matchAll(/[#№](\d{4,6})/g)) mentioned.push(hit[1]);
  }
  const n = 1 + Math.floor(rnd() * 3);
  for (let i = 0; i < n; i++) {
    let id = mentioned[i] && !used.has(mentioned[i]) ? mentioned[i] : String(next++);
    used.add(id);
    const amount = prices[Math.floor(rnd() * prices.length)];
    const refunded = rnd() < 0.12;
    const at = new Date(now - Math.floor(rnd() * 90 * 86400) * 1000).toISOString().replace(/\.\d+Z$/, 'Z');
    const how = rnd();
    let tg = '', phone = '', username = '';
    if (how < 0.3 && u.phone) phone = u.phone;
    else if (how < 0.5 && u.username) username = '@' + u.username;
    else tg = u.id;
    lines.push([id, amount, 'EUR', refunded ? 'refunded' : 'paid', at, tg, phone, username, '', ''].join(','));
  }
}
process.stdout.write(lines.join('\n') + '\n');
