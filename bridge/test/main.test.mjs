// main.test.mjs — the real process: `node bridge/main.mjs --backend sim|gramjs`, as the C side
// spawns it. Checks the ready line, that stdout carries only JSON lines, clean exits, usage
// errors, two processes sharing one record, and that secrets stay out of stderr.

import test from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { MAIN, scenarioDir, spawnBridge, until } from "../test-support/harness.mjs";

const SCENARIO = {
  me: { id: "5999", first_name: "Shop" },
  login: { code: "11235" },
  users: [
    { id: "2001", access_hash: "88001", first_name: "Ada", last_name: "L", messages: [{ text: "hello, where is my order?", ago_seconds: 3600 }], reply: { after_seconds: 0.05, text: "secret reply text" } },
    { id: "2002", access_hash: "88002", first_name: "Bo", username: "bo_b", messages: [{ text: "price of the blue mug?", ago_seconds: 7200 }] },
  ],
  faults: [],
  inbound: [],
  record: "deliveries.jsonl",
};

async function login(b) {
  const sent = await b.request("send_code", { account: 1, phone: "+15550005999" });
  assert.equal(sent.result.status, "code_sent");
  const ok = await b.request("sign_in", { account: 1, code: "11235" });
  assert.equal(ok.result.status, "connected");
  return ok.result.session;
}

test("spawned sim bridge: ready first, only JSON lines on stdout, a full flow, clean exit", async () => {
  const d = scenarioDir(SCENARIO);
  const b = spawnBridge(["--backend", "sim", "--scenario", d.file]);
  await until(() => b.rawLines.length > 0, 5000, "the ready line");
  assert.deepEqual(JSON.parse(b.rawLines[0]), { event: "ready", backend: "sim" });
  assert.deepEqual((await b.request("ping")).result, { pong: true, backend: "sim" });
  b.child.stdin.write("not json at all\n");
  const session = await login(b);
  const page = await b.request("sync", { account: 1, cursor: null, limit: 100 });
  assert.deepEqual(page.result.dialogs.map((x) => x.user_id).sort(), ["2001", "2002"]);
  const sent = await b.request("send", {
    account: 1, peer: { user_id: "2001", access_hash: "88001" }, text: "Hi Ada",
    entities: [{ type: "bold", offset: 3, length: 3 }], media: null, random_id: "-17",
  });
  assert.equal(sent.ok, true);
  await until(() => b.parsed().find((l) => l.event === "message"), 3000, "the reply event");
  const { code } = await b.end();
  assert.equal(code, 0);
  for (const line of b.rawLines) assert.doesNotThrow(() => JSON.parse(line), line);
  assert.ok(b.parsed().some((l) => l.id === null && l.error.code === "BAD_REQUEST"));
  assert.equal(d.record().length, 1);
  // Diagnostics never carry the session, the code, the phone or message texts.
  for (const secret of [session, "11235", "+15550005999", "Hi Ada", "secret reply text", "where is my order"]) {
    assert.ok(!b.stderr.includes(secret), `stderr leaks ${secret}`);
  }
});

test("two bridge processes on one record deliver each random_id once", async () => {
  const d = scenarioDir(SCENARIO);
  const a = spawnBridge(["--backend", "sim", "--scenario", d.file]);
  const b = spawnBridge(["--backend", "sim", "--scenario", d.file]);
  await login(a);
  await login(b); // a session of its own: one session on two connections is refused (next test)
  const ids = Array.from({ length: 20 }, (_, i) => String(5000 + i));
  const sendAll = (bridge, order) => Promise.all(order.map((rid) => bridge.request("send", {
    account: 1, peer: { user_id: "2002", access_hash: "88002" }, text: `offer ${rid}`, entities: [], media: null, random_id: rid,
  })));
  const [ra, rb] = await Promise.all([sendAll(a, ids), sendAll(b, [...ids].reverse())]);
  await Promise.all([a.end(), b.end()]);
  const rec = d.record();
  assert.equal(rec.length, ids.length);
  assert.deepEqual(rec.map((r) => r.random_id).sort(), [...ids].sort());
  const byA = new Map(ra.map((r, i) => [ids[i], r.result.message_id]));
  rb.reverse();
  rb.forEach((r, i) => assert.equal(r.result.message_id, byA.get(ids[i])));
});

test("one session on two processes at once is refused with AUTH_KEY_DUPLICATED, as Telegram does", async () => {
  const d = scenarioDir(SCENARIO);
  const a = spawnBridge(["--backend", "sim", "--scenario", d.file]);
  const b = spawnBridge(["--backend", "sim", "--scenario", d.file]);
  const session = await login(a);
  const dup = await b.request("start", { account: 1, session }, 10000);
  assert.equal(dup.error?.code, "AUTH_KEY_DUPLICATED", JSON.stringify(dup));
  // Only a new login fixes it: the session is dead on the first process too.
  const send = await a.request("send", {
    account: 1, peer: { user_id: "2002", access_hash: "88002" }, text: "after", entities: [], media: null, random_id: "77",
  });
  assert.equal(send.error?.code, "AUTH_KEY_UNREGISTERED", JSON.stringify(send));
  // A client stopped (or a process gone) frees its session for another process.
  const fresh = await login(a);
  await a.request("stop", { account: 1 });
  assert.equal((await b.request("start", { account: 1, session: fresh })).result?.status, "connected");
  const c = spawnBridge(["--backend", "sim", "--scenario", d.file]);
  c.child.kill("SIGKILL");
  await c.exited;
  await b.end();
  const e = spawnBridge(["--backend", "sim", "--scenario", d.file]);
  assert.equal((await e.request("start", { account: 1, session: fresh })).result?.status, "connected");
  await Promise.all([a.end(), e.end()]);
});

test("command-line and start-up errors exit 2 with one clear line on stderr", () => {
  const run = (args, env = {}) => spawnSync(process.execPath, [MAIN, ...args], {
    input: "", encoding: "utf8", env: { PATH: process.env.PATH, ...env }, timeout: 20000,
  });
  const none = run([]);
  assert.equal(none.status, 2);
  assert.match(none.stderr, /--backend must be sim or gramjs/);
  assert.equal(none.stdout, "");
  const noScenario = run(["--backend", "sim"]);
  assert.equal(noScenario.status, 2);
  const missing = run(["--backend", "sim", "--scenario", "/nonexistent/scenario.json"]);
  assert.equal(missing.status, 2);
  assert.match(missing.stderr, /cannot read/);
  const noEnv = run(["--backend", "gramjs"]);
  assert.equal(noEnv.status, 2);
  assert.match(noEnv.stderr, /TG_API_ID must be set/);
  const noHash = run(["--backend", "gramjs"], { TG_API_ID: "12345" });
  assert.match(noHash.stderr, /TG_API_HASH must be set/);
  assert.equal(noHash.stdout, "");
});

test("spawned gramjs bridge: loading GramJS prints nothing on stdout; offline ops answer", async () => {
  const b = spawnBridge(["--backend", "gramjs"], {
    env: { PATH: process.env.PATH, TG_API_ID: "12345", TG_API_HASH: "0123456789abcdef0123456789abcdef" },
  });
  await until(() => b.rawLines.length > 0, 10000, "the ready line");
  assert.deepEqual(JSON.parse(b.rawLines[0]), { event: "ready", backend: "gramjs" });
  assert.deepEqual((await b.request("ping")).result, { pong: true, backend: "gramjs" });
  assert.deepEqual((await b.request("start", { account: 1, session: null })).result, { status: "none" });
  const bad = await b.request("start", { account: 1, session: "not-a-session" });
  assert.equal(bad.error.code, "AUTH_KEY_UNREGISTERED");
  assert.equal((await b.request("sync", { account: 1 })).error.code, "NOT_STARTED");
  assert.equal((await b.request("sign_in", { account: 1, code: "1" })).error.code, "PHONE_CODE_EXPIRED");
  assert.equal((await b.request("send_code", { account: 1, phone: "12" })).error.code, "PHONE_NUMBER_INVALID");
  const { code } = await b.end();
  assert.equal(code, 0);
  for (const line of b.rawLines) assert.doesNotThrow(() => JSON.parse(line), line);
});

test("SIGTERM stops the bridge promptly with exit code 0", async () => {
  const d = scenarioDir(SCENARIO);
  const b = spawnBridge(["--backend", "sim", "--scenario", d.file]);
  await until(() => b.rawLines.length > 0, 5000, "the ready line");
  b.child.kill("SIGTERM");
  const { code } = await b.exited;
  assert.equal(code, 0);
});
