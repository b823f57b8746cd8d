// demo.test.mjs — scenarios/demo.json is exactly what scripts/gen-demo-scenario.mjs prints, it
// has what the demo promises (DESIGN §6: a few hundred customers, realistic histories, every
// live behaviour), and the simulator serves it: login with 12345, no password, full sync.

import test from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { execFileSync } from "node:child_process";
import { SimBackend } from "../sim.mjs";
import { BRIDGE_DIR } from "../test-support/harness.mjs";

const ROOT = path.resolve(BRIDGE_DIR, "..");
const GEN = path.join(ROOT, "scripts", "gen-demo-scenario.mjs");
const DEMO = path.join(ROOT, "scenarios", "demo.json");
const demo = JSON.parse(fs.readFileSync(DEMO, "utf8"));
const skipped = (u) => u.bot || u.deleted || u.id === "777000" || u.id === demo.me.id;

test("the committed demo is the generator's output, byte for byte", () => {
  const out = execFileSync(process.execPath, [GEN], { encoding: "utf8", maxBuffer: 64 << 20 });
  assert.equal(out, fs.readFileSync(DEMO, "utf8"), "run: node scripts/gen-demo-scenario.mjs > scenarios/demo.json");
});

test("the demo has the promised shape", () => {
  assert.deepEqual(demo.me, { id: "1000", first_name: "Demo Shop Support", phone: "+15550000000" });
  assert.deepEqual(demo.login, { code: "12345" });
  assert.equal(demo.record, "demo-deliveries.jsonl");
  assert.deepEqual(demo.faults, []);
  const customers = demo.users.filter((u) => !skipped(u) && u.messages && u.messages.length);
  assert.ok(customers.length >= 300, `${customers.length} customers`);
  const texts = customers.flatMap((u) => u.messages.map((m) => m.text));
  for (const re of [/#\d{5}/, /№\d{5}/, /\$\d+\.\d\d|₽|€/, /size|размер/i, /ship|доставк/i, /refund|возврат/i, /thank|спасибо/i]) {
    assert.ok(texts.some((t) => re.test(t)), `some message matches ${re}`);
  }
  const lastWords = customers.map((u) => u.messages.at(-1).text);
  for (const w of ["stop", "unsubscribe", "отписаться"]) {
    assert.ok(lastWords.some((t) => t.toLowerCase() === w) || demo.inbound.some((m) => m.text === w), `someone says ${w}`);
  }
  const cyrillic = texts.filter((t) => /[а-яё]/i.test(t)).length;
  const latin = texts.filter((t) => /^[\x20-\x7e’😕😍👍🙂]+$/u.test(t)).length;
  assert.ok(cyrillic > texts.length * 0.25 && latin > texts.length * 0.25, `en ${latin}, ru ${cyrillic} of ${texts.length}`);
  const names = demo.users.map((u) => `${u.first_name} ${u.last_name || ""}`);
  for (const re of [/[A-Za-z]/, /[А-Яа-яІі]/, /[\u4e00-\u9fff]/, /[\u0600-\u06ff]/, /\p{Extended_Pictographic}/u]) {
    assert.ok(names.some((n) => re.test(n)), `a name matches ${re}`);
  }
  assert.ok(customers.some((u) => !u.phone) && customers.some((u) => !u.username));
  const errors = demo.users.map((u) => u.error).filter(Boolean);
  for (const e of ["USER_IS_BLOCKED", "INPUT_USER_DEACTIVATED", "USER_PRIVACY_RESTRICTED"]) assert.ok(errors.includes(e), e);
  assert.ok(demo.users.filter((u) => u.reply).length >= 10);
  assert.ok(demo.users.filter((u) => u.read_after_seconds !== undefined).length >= 10);
  assert.ok(demo.users.filter((u) => u.click_after_seconds !== undefined).length >= 10);
  assert.ok(demo.users.filter((u) => u.bot).length >= 2);
  assert.ok(demo.users.some((u) => u.id === "777000"));
  assert.ok(demo.inbound.length >= 3);
  const ids = new Set(demo.users.map((u) => u.id));
  assert.equal(ids.size, demo.users.length, "user ids are unique");
  for (const m of demo.inbound) assert.ok(ids.has(m.user));
  for (const u of demo.users) if (u.phone) assert.match(u.phone, /^\+\d{7,15}$/);
});

test("the simulator serves the demo: login 12345 without a password, every customer in sync", async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tgr-demo-"));
  fs.copyFileSync(DEMO, path.join(dir, "demo.json"));
  const sim = new SimBackend({ scenarioPath: path.join(dir, "demo.json") });
  t.after(() => sim.close());
  await sim.send_code({ account: 1, phone: "+15550000000" });
  const ok = await sim.sign_in({ account: 1, code: "12345", password: null });
  assert.equal(ok.user.first_name, "Demo Shop Support");
  let cursor = null;
  const all = [];
  do {
    const page = await sim.sync({ account: 1, cursor, limit: 100, minMessageId: {} });
    all.push(...page.dialogs);
    cursor = page.next_cursor;
  } while (cursor);
  const expected = demo.users.filter((u) => !skipped(u) && u.messages && u.messages.length).length;
  assert.equal(all.length, expected);
});

test("--users N makes a larger scenario with N customers; bad options exit 2", () => {
  const big = JSON.parse(execFileSync(process.execPath, [GEN, "--users", "1000", "--record", "bench.jsonl"], { encoding: "utf8", maxBuffer: 64 << 20 }));
  assert.equal(big.users.filter((u) => !skipped(u) && u.messages).length, 1000);
  assert.equal(big.record, "bench.jsonl");
  assert.throws(() => execFileSync(process.execPath, [GEN, "--users", "x"], { stdio: "pipe" }), (e) => e.status === 2);
});
