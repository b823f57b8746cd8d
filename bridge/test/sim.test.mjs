// sim.test.mjs — the simulated backend against DESIGN §6 and BRIDGE-PROTOCOL.md "The simulator":
// login, sessions, sync paging and skips, exactly-once sends through the record (restarts and
// concurrent instances), faults, per-user errors, live effects (read, reply, click, inbound),
// uploads, Saved Messages and logout.

import test from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import http from "node:http";
import path from "node:path";
import { SimBackend, CHROME_UA, firstUrl } from "../sim.mjs";
import { harness, scenarioDir, sleep, strictParse, until } from "../test-support/harness.mjs";

const ME = { id: "5999", first_name: "Shop", phone: "+15550005999" };

function user(id, extra = {}) {
  return {
    id, access_hash: `9${id}`, first_name: `User${id}`, last_name: null,
    messages: [{ text: `hello from ${id}`, ago_seconds: 9000 - (Number(id) % 1000) }], ...extra,
  };
}

function baseScenario(extra = {}) {
  return { me: ME, login: { code: "11235" }, users: [user("2001"), user("2002")], faults: [], inbound: [], record: "deliveries.jsonl", ...extra };
}

/** A simulator with account 1 logged in; events land in `events`. */
async function loggedIn(scenario = baseScenario(), { dir } = {}) {
  const d = dir || scenarioDir(scenario);
  const sim = new SimBackend({ scenarioPath: d.file });
  const events = [];
  sim.onEvent = (e) => events.push(e);
  const sent = await sim.send_code({ account: 1, phone: "+15550005999" });
  const ok = await sim.sign_in({ account: 1, code: scenario.login?.code ?? "12345", password: scenario.login?.password ?? null });
  return { sim, d, events, session: ok.session, pendingSession: sent.session };
}

const peerOf = (id) => ({ self: false, userId: id, accessHash: `9${id}` });
const sendParams = (id, randomId, text = "Hi there", extra = {}) => ({
  account: 1, peer: peerOf(id), text, entities: [], media: null, randomId: String(randomId), ...extra,
});

async function rejects(promise, code) {
  await assert.rejects(promise, (e) => {
    assert.equal(e.code, code);
    return true;
  });
}

test("login without two-step verification; sessions survive a restart", async (t) => {
  const d = scenarioDir(baseScenario());
  const sim = new SimBackend({ scenarioPath: d.file });
  t.after(() => sim.close());
  await rejects(sim.sign_in({ account: 1, code: "11235", password: null }), "PHONE_CODE_EXPIRED");
  await rejects(sim.send_code({ account: 1, phone: "5550005999" }), "PHONE_NUMBER_INVALID");
  await rejects(sim.send_code({ account: 1, phone: "+1234" }), "PHONE_NUMBER_INVALID");
  const sent = await sim.send_code({ account: 1, phone: "+15550005999" });
  assert.equal(sent.status, "code_sent");
  assert.match(sent.session, /^sim1:5999:[0-9a-f]+$/);
  await rejects(sim.sync({ account: 1, cursor: null, limit: 10, minMessageId: {} }), "NOT_STARTED");
  await rejects(sim.sign_in({ account: 1, code: "00000", password: null }), "PHONE_CODE_INVALID");
  // A stop queued before the login (a logout's lease round) leaves the login in progress alone.
  assert.equal((await sim.stop({ account: 1 })).status, "code_sent");
  const ok = await sim.sign_in({ account: 1, code: "11235", password: null });
  assert.deepEqual(ok, { status: "connected", session: sent.session, user: { id: "5999", first_name: "Shop", username: null } });

  const again = new SimBackend({ scenarioPath: d.file });
  t.after(() => again.close());
  assert.deepEqual(await again.start({ account: 7, session: ok.session }), { status: "connected", user: ok.user });
  assert.deepEqual(await again.start({ account: 8, session: null }), { status: "none" });
  await rejects(again.start({ account: 9, session: "garbage" }), "AUTH_KEY_UNREGISTERED");
  await rejects(again.start({ account: 9, session: "sim1:6000:0123456789abcdef" }), "AUTH_KEY_UNREGISTERED");
});

test("login with two-step verification: code, then password; wrong password; both at once", async (t) => {
  const sc = baseScenario({ login: { code: "777", password: "hunter2" } });
  const d = scenarioDir(sc);
  const sim = new SimBackend({ scenarioPath: d.file });
  t.after(() => sim.close());
  await sim.send_code({ account: 1, phone: "+15550005999" });
  await rejects(sim.sign_in({ account: 1, code: null, password: "hunter2" }), "PHONE_CODE_EMPTY");
  await rejects(sim.sign_in({ account: 1, code: "776", password: null }), "PHONE_CODE_INVALID");
  await rejects(sim.sign_in({ account: 1, code: "777", password: null }), "SESSION_PASSWORD_NEEDED");
  await rejects(sim.sign_in({ account: 1, code: null, password: "hunter3" }), "PASSWORD_HASH_INVALID");
  await rejects(sim.sign_in({ account: 1, code: null, password: null }), "SESSION_PASSWORD_NEEDED");
  const ok = await sim.sign_in({ account: 1, code: null, password: "hunter2" });
  assert.equal(ok.status, "connected");

  await sim.send_code({ account: 2, phone: "+15550005999" });
  await rejects(sim.sign_in({ account: 2, code: "777", password: "nope" }), "PASSWORD_HASH_INVALID");
  await sim.send_code({ account: 3, phone: "+15550005999" });
  assert.equal((await sim.sign_in({ account: 3, code: "777", password: "hunter2" })).status, "connected");
});

test("sync pages through dialogs newest first and skips bots, self, deleted users and 777000", async (t) => {
  const users = [
    user("2001"), user("2002", { username: "two", phone: "+15550002002" }), user("2003"),
    user("2004", { bot: true }), user("2005", { deleted: true }), user("777000"), user("5999"),
    user("2006", { messages: [] }), // no messages: no dialog
    user("2007", {
      messages: [
        { text: "where is my order #1042?", ago_seconds: 500 },
        { text: "It ships tomorrow!", ago_seconds: 400, out: true },
        { text: "thanks", ago_seconds: 300 },
      ],
    }),
  ];
  const { sim } = await loggedIn(baseScenario({ users }));
  t.after(() => sim.close());
  const seen = [];
  let cursor = null;
  let pages = 0;
  do {
    const page = await sim.sync({ account: 1, cursor, limit: 3, minMessageId: {} });
    assert.ok(page.dialogs.length <= 3);
    seen.push(...page.dialogs);
    cursor = page.next_cursor;
    pages++;
  } while (cursor !== null && pages < 20);
  // 8 dialogs walked (2001-2005, 777000, 5999, 2007), 3 per page
  assert.equal(pages, 3);
  assert.deepEqual(seen.map((d) => d.user_id).sort(), ["2001", "2002", "2003", "2007"]);
  const d2002 = seen.find((d) => d.user_id === "2002");
  assert.deepEqual(Object.keys(d2002).sort(), ["access_hash", "first_name", "last_name", "messages", "phone", "read_outbox_max_id", "user_id", "username"]);
  assert.equal(d2002.username, "two");
  assert.equal(d2002.phone, "+15550002002");
  assert.equal(seen.find((d) => d.user_id === "2001").phone, null);
  const d2007 = seen.find((d) => d.user_id === "2007");
  assert.equal(seen[0].user_id, "2007", "the newest dialog comes first");
  assert.deepEqual(d2007.messages.map((m) => [m.text, m.out]), [["where is my order #1042?", false], ["It ships tomorrow!", true], ["thanks", false]]);
  const ids = d2007.messages.map((m) => m.message_id);
  assert.deepEqual([...ids].sort((a, b) => a - b), ids, "oldest first");
  assert.equal(d2007.read_outbox_max_id, ids[1]);
  for (const m of d2007.messages) assert.ok(Number.isInteger(m.date) && m.date > 1.6e9);

  const later = await sim.sync({ account: 1, cursor: null, limit: 100, minMessageId: { 2007: ids[1] } });
  assert.deepEqual(later.dialogs.find((d) => d.user_id === "2007").messages.map((m) => m.text), ["thanks"]);
  assert.equal(later.next_cursor, null);
  await rejects(sim.sync({ account: 1, cursor: "bogus", limit: 3, minMessageId: {} }), "BAD_REQUEST");
});

test("sync returns at most 100 messages per dialog, the oldest first", async (t) => {
  const many = Array.from({ length: 150 }, (_, i) => ({ text: `m${i}`, ago_seconds: 100000 - i }));
  const { sim } = await loggedIn(baseScenario({ users: [user("2001", { messages: many })] }));
  t.after(() => sim.close());
  const page = await sim.sync({ account: 1, cursor: null, limit: 10, minMessageId: {} });
  const msgs = page.dialogs[0].messages;
  assert.equal(msgs.length, 100);
  assert.equal(msgs[0].text, "m0");
  const rest = await sim.sync({ account: 1, cursor: null, limit: 10, minMessageId: { 2001: msgs[99].message_id } });
  assert.equal(rest.dialogs[0].messages.length, 50);
  assert.equal(rest.dialogs[0].messages[0].text, "m100");
});

test("send delivers once and writes the record line; sync shows it as outgoing", async (t) => {
  const { sim, d } = await loggedIn();
  t.after(() => sim.close());
  const entities = [{ type: "bold", offset: 0, length: 2 }];
  const before = Date.now();
  const r = await sim.send(sendParams("2001", "-4411223344556677889", "Hi Anna", { entities }));
  assert.ok(Number.isInteger(r.message_id) && r.message_id > 2);
  assert.ok(Math.abs(r.date - before / 1000) < 5);
  const rec = d.record();
  assert.equal(rec.length, 1);
  assert.deepEqual(Object.keys(rec[0]).sort(), ["at", "entities", "media", "message_id", "random_id", "text", "user_id"]);
  assert.deepEqual({ ...rec[0], at: 0 }, {
    user_id: "2001", random_id: "-4411223344556677889", message_id: r.message_id, text: "Hi Anna", entities, media: null, at: 0,
  });
  assert.ok(rec[0].at >= before && rec[0].at <= Date.now());
  const page = await sim.sync({ account: 1, cursor: null, limit: 10, minMessageId: {} });
  const last = page.dialogs.find((x) => x.user_id === "2001").messages.at(-1);
  assert.deepEqual(last, { message_id: r.message_id, text: "Hi Anna", date: r.date, out: true });
  assert.equal(page.dialogs[0].user_id, "2001", "the dialog moved to the top");
});

test("a repeated random_id returns the first message: same instance, after a restart, other peer is new", async (t) => {
  const { sim, d, session } = await loggedIn();
  t.after(() => sim.close());
  const first = await sim.send(sendParams("2001", 42));
  const again = await sim.send(sendParams("2001", 42, "a different text"));
  assert.deepEqual(again, first);
  const other = await sim.send(sendParams("2002", 42));
  assert.notEqual(other.message_id, first.message_id);
  assert.equal(d.record().length, 2);
  await sim.close();

  const restarted = new SimBackend({ scenarioPath: d.file });
  t.after(() => restarted.close());
  await restarted.start({ account: 1, session });
  assert.deepEqual(await restarted.send(sendParams("2001", 42)), first);
  const fresh = await restarted.send(sendParams("2001", 43));
  assert.ok(fresh.message_id > Math.max(first.message_id, other.message_id) + 1, "ids keep growing across restarts");
  assert.equal(d.record().length, 3);
});

test("two simulator instances sharing one record deliver each random_id once", async (t) => {
  const { sim: a, d, session } = await loggedIn();
  const b = new SimBackend({ scenarioPath: d.file });
  t.after(() => Promise.all([a.close(), b.close()]));
  await b.start({ account: 1, session });
  const ids = Array.from({ length: 25 }, (_, i) => 1000 + i);
  const [ra, rb] = await Promise.all([
    Promise.all(ids.map((id) => a.send(sendParams(id % 2 ? "2001" : "2002", id)))),
    Promise.all([...ids].reverse().map((id) => b.send(sendParams(id % 2 ? "2001" : "2002", id)))),
  ]);
  const rec = d.record();
  assert.equal(rec.length, ids.length);
  assert.equal(new Set(rec.map((r) => r.message_id)).size, ids.length, "message ids are unique");
  rb.reverse();
  for (let i = 0; i < ids.length; i++) assert.deepEqual(ra[i], rb[i], `random_id ${ids[i]}`);
  assert.ok(!fs.existsSync(d.file.replace("scenario.json", "deliveries.jsonl.lock")), "the lock is released");
});

test("sends that arrive together share one batch: one append, a repeat in the batch is the first, a torn line is not glued onto", async (t) => {
  const { sim, d } = await loggedIn();
  t.after(() => sim.close());
  const rec = path.join(d.dir, "deliveries.jsonl");
  fs.writeFileSync(rec, '{"user_id":"2001","random_id":"7","message_id":90,"text":"a writer died he');
  const appends = [];
  const append = fs.appendFileSync;
  fs.appendFileSync = (...a) => {
    appends.push(a[0]);
    return append(...a);
  };
  let res;
  try {
    res = await Promise.all([5, 6, 5, 7, 6].map((id) => sim.send(sendParams(id === 6 ? "2002" : "2001", id))));
  } finally {
    fs.appendFileSync = append;
  }
  assert.equal(appends.filter((f) => f === rec).length, 1, "one append for the batch");
  assert.deepEqual(res[2], res[0], "the repeat of random_id 5 is the first message");
  assert.deepEqual(res[4], res[1]);
  const whole = () => fs.readFileSync(rec, "utf8").split("\n").slice(1).filter(Boolean).map((l) => JSON.parse(l));
  assert.equal(fs.readFileSync(rec, "utf8").split("\n")[0].endsWith("died he"), true, "the torn line stays as it was");
  assert.deepEqual(whole().map((r) => r.random_id), ["5", "6", "7"], "5, 6 and 7 once each, each on a line of its own");
  assert.equal(new Set(res.map((r) => r.message_id)).size, 3);
  // A batch whose append fails delivered nothing: the same sends are new afterwards.
  fs.appendFileSync = () => {
    throw Object.assign(new Error("no space left on device"), { code: "ENOSPC" });
  };
  try {
    await assert.rejects(sim.send(sendParams("2001", 8)));
  } finally {
    fs.appendFileSync = append;
  }
  await sim.send(sendParams("2001", 8));
  assert.equal(whole().filter((r) => r.random_id === "8").length, 1);
});

test("a stale lock (older than 10 s) is broken; a fresh one is waited for", async (t) => {
  const { sim, d } = await loggedIn();
  t.after(() => sim.close());
  const lock = path.join(d.dir, "deliveries.jsonl.lock");
  fs.writeFileSync(lock, "12345\n");
  const old = new Date(Date.now() - 60000);
  fs.utimesSync(lock, old, old);
  await sim.send(sendParams("2001", 1));
  assert.equal(fs.existsSync(lock), false);
  fs.writeFileSync(lock, "12345\n");
  const pending = sim.send(sendParams("2001", 2));
  await sleep(80);
  assert.equal(d.record().length, 1, "waits while another process holds the lock");
  fs.unlinkSync(lock);
  await pending;
  assert.equal(d.record().length, 2);
});

test("faults count send attempts per process: FLOOD_WAIT with seconds, TIMEOUT never answers", async (t) => {
  const sc = baseScenario({
    faults: [{ on_send: 2, error: "FLOOD_WAIT", seconds: 5 }, { on_send: 3, error: "TIMEOUT" }, { on_send: 5, error: "PEER_FLOOD" }],
  });
  const { sim, d } = await loggedIn(sc);
  t.after(() => sim.close());
  const h = harness(sim);
  t.after(() => h.close());
  const peer = { user_id: "2001", access_hash: "92001" };
  const send = (rid, extra = {}) => h.request("send", { account: 1, peer, text: "hi", random_id: String(rid), ...extra });
  assert.equal((await send(1)).ok, true);
  const flood = await send(2);
  assert.deepEqual([flood.error.code, flood.error.seconds], ["FLOOD_WAIT", 5]);
  const t0 = Date.now();
  const to = await send(3, { timeout_ms: 80 });
  assert.equal(to.error.code, "TIMEOUT");
  assert.ok(Date.now() - t0 >= 75);
  assert.equal((await send(3)).ok, true, "the 4th attempt delivers the timed-out message");
  assert.equal((await send(4)).error.code, "PEER_FLOOD");
  assert.equal((await send(4)).ok, true);
  assert.deepEqual(d.record().map((r) => r.random_id), ["1", "3", "4"]);
  assert.equal(sim.stats.sendAttempts, 6);
});

test("a fault with a dead-session code kills the session: event, NOT_STARTED, start refused", async (t) => {
  const sc = baseScenario({ faults: [{ on_send: 1, error: "AUTH_KEY_UNREGISTERED" }] });
  const { sim, events, session } = await loggedIn(sc);
  t.after(() => sim.close());
  await rejects(sim.send(sendParams("2001", 1)), "AUTH_KEY_UNREGISTERED");
  assert.deepEqual(events.find((e) => e.event === "session_invalid"), { event: "session_invalid", account: 1, code: "AUTH_KEY_UNREGISTERED" });
  await rejects(sim.send(sendParams("2001", 1)), "NOT_STARTED");
  await rejects(sim.start({ account: 1, session }), "AUTH_KEY_UNREGISTERED");
});

test("users[].error fails every send to that user (after dedup); deleted users are deactivated", async (t) => {
  const users = [user("2001", { error: "USER_IS_BLOCKED" }), user("2002", { error: "USER_PRIVACY_RESTRICTED" }), user("2003", { deleted: true })];
  const { sim, d } = await loggedIn(baseScenario({ users }));
  t.after(() => sim.close());
  await rejects(sim.send(sendParams("2001", 1)), "USER_IS_BLOCKED");
  await rejects(sim.send(sendParams("2001", 2)), "USER_IS_BLOCKED");
  await rejects(sim.send(sendParams("2002", 3)), "USER_PRIVACY_RESTRICTED");
  await rejects(sim.send(sendParams("2003", 4)), "INPUT_USER_DEACTIVATED");
  await rejects(sim.send({ ...sendParams("2001", 5), peer: { self: false, userId: "2001", accessHash: "1" } }), "PEER_ID_INVALID");
  await rejects(sim.send({ ...sendParams("9999", 6), peer: { self: false, userId: "9999", accessHash: "1" } }), "PEER_ID_INVALID");
  assert.equal(d.record().length, 0);
});

test("account_frozen_after: after N deliveries every send and upload fails FROZEN_METHOD_INVALID, sync still works", async (t) => {
  const users = [user("2001"), user("2002"), user("2003", { error: "ALLOW_PAYMENT_REQUIRED_50" })];
  const { sim, d } = await loggedIn(baseScenario({ users, account_frozen_after: 2 }));
  t.after(() => sim.close());
  // A suffixed code reaches the C side as it is: the number is the price in stars.
  await rejects(sim.send(sendParams("2003", 9)), "ALLOW_PAYMENT_REQUIRED_50");
  await sim.send(sendParams("2001", 1));
  await sim.send(sendParams("2002", 2));
  await rejects(sim.send(sendParams("2001", 3)), "FROZEN_METHOD_INVALID");
  await rejects(sim.send(sendParams("2001", 1)), "FROZEN_METHOD_INVALID"); // even a repeat: nothing is written
  await rejects(sim.upload({ account: 1, path: d.file }), "FROZEN_METHOD_INVALID");
  assert.equal(d.record().length, 2);
  const page = await sim.sync({ account: 1, cursor: null, limit: 10, minMessageId: {} });
  assert.ok(page && typeof page === "object"); // reads go on: a frozen account is read-only
  // A new process (the scenario loaded again) is not frozen.
  const again = new SimBackend({ scenarioPath: d.file });
  t.after(() => again.close());
  assert.equal(again.stats.delivered, 0);
  assert.doesNotThrow(() => again.checkFrozen());
  assert.throws(() => new SimBackend({ scenario: { me: ME, account_frozen_after: -1 } }), /account_frozen_after/);
});

test("after a delivery the user reads and replies: read and message events, then sync agrees", async (t) => {
  const users = [user("2001", { read_after_seconds: 0.05, reply: { after_seconds: 0.1, text: "Thanks, interested!" }, username: "anna" })];
  const { sim, events } = await loggedIn(baseScenario({ users }));
  t.after(() => sim.close());
  const r = await sim.send(sendParams("2001", 7));
  const read = await until(() => events.find((e) => e.event === "read"), 2000, "read");
  assert.deepEqual(read, { event: "read", account: 1, peer: "2001", max_id: r.message_id });
  const msg = await until(() => events.find((e) => e.event === "message"), 2000, "reply");
  assert.deepEqual({ ...msg, date: 0 }, {
    event: "message", account: 1, message_id: r.message_id + 1, text: "Thanks, interested!", date: 0,
    from: { user_id: "2001", access_hash: "92001", first_name: "User2001", last_name: null, username: "anna", phone: null },
  });
  const dlg = (await sim.sync({ account: 1, cursor: null, limit: 10, minMessageId: {} })).dialogs[0];
  assert.deepEqual(dlg.messages.slice(-2).map((m) => [m.message_id, m.out]), [[r.message_id, true], [r.message_id + 1, false]]);
  assert.equal(dlg.read_outbox_max_id, r.message_id);
  await sim.send(sendParams("2001", 7)); // a repeat is not a new delivery: no second reply
  await sleep(200);
  assert.equal(events.filter((e) => e.event === "message").length, 1);
});

test("a click is an HTTP GET with a desktop Chrome User-Agent; redirects are not followed", async (t) => {
  const hits = [];
  const server = http.createServer((req, res) => {
    hits.push({ method: req.method, url: req.url, ua: req.headers["user-agent"] });
    if (req.url.startsWith("/t/")) {
      res.writeHead(302, { Location: `http://127.0.0.1:${server.address().port}/landing` });
      res.end();
    } else {
      res.end("ok");
    }
  });
  await new Promise((r) => server.listen(0, "127.0.0.1", r));
  t.after(() => server.close());
  const base = `http://127.0.0.1:${server.address().port}`;
  const users = [user("2001", { click_after_seconds: 0.05 }), user("2002", { click_after_seconds: 0.05 })];
  const { sim } = await loggedIn(baseScenario({ users }));
  t.after(() => sim.close());
  const text = "Sale! See it here";
  await sim.send(sendParams("2001", 1, text, { entities: [{ type: "bold", offset: 0, length: 4 }, { type: "text_url", offset: 13, length: 4, url: `${base}/t/abc123` }] }));
  await sim.send(sendParams("2002", 2, `Plain link: ${base}/t/plain9. Enjoy`));
  await until(() => hits.length >= 2, 3000, "two clicks");
  await sleep(100);
  assert.deepEqual(hits.map((h) => h.url).sort(), ["/t/abc123", "/t/plain9"]);
  for (const h of hits) {
    assert.equal(h.method, "GET");
    assert.equal(h.ua, CHROME_UA);
    assert.match(h.ua, /Chrome\/\d+/);
  }
});

test("firstUrl prefers the first text_url entity, else the first http(s) URL in the text", () => {
  assert.equal(firstUrl("a b", [{ type: "text_url", offset: 2, length: 1, url: "https://b" }, { type: "text_url", offset: 0, length: 1, url: "https://a" }]), "https://a");
  assert.equal(firstUrl("go to https://x.test/p?q=1, now", []), "https://x.test/p?q=1");
  assert.equal(firstUrl("no links here", []), null);
});

test("inbound messages arrive after login, once per process, to every connected account", async (t) => {
  const sc = baseScenario({ users: [user("2001"), user("2002", { messages: [] })], inbound: [{ user: "2002", text: "STOP", after_seconds: 0.05 }] });
  const { sim, events, session } = await loggedIn(sc);
  t.after(() => sim.close());
  await sim.start({ account: 2, session });
  const got = await until(() => events.filter((e) => e.event === "message").length >= 2 && events, 2000, "inbound");
  const msgs = got.filter((e) => e.event === "message");
  assert.deepEqual(msgs.map((e) => e.account).sort(), [1, 2]);
  assert.equal(msgs[0].text, "STOP");
  assert.equal(msgs[0].from.user_id, "2002");
  await sim.start({ account: 3, session });
  await sleep(150);
  assert.equal(events.filter((e) => e.event === "message").length, 2, "not scheduled again");
  const page = await sim.sync({ account: 1, cursor: null, limit: 10, minMessageId: {} });
  assert.equal(page.dialogs[0].user_id, "2002", "the new dialog exists and is the newest");
  assert.equal(page.dialogs[0].messages[0].message_id, msgs[0].message_id);
});

test("names and texts with \\u0000 and \\ud800 load from the scenario and reach the C side as U+FFFD", async () => {
  const odd = "Zo\u0000e\ud800!";
  const users = [user("2001", { first_name: odd, last_name: "\ud800", messages: [{ text: `order ${odd}`, ago_seconds: 60 }] }),
    user("2002", { first_name: "\u0000", messages: [] })];
  const d = scenarioDir(baseScenario({ users, inbound: [{ user: "2002", text: `STOP ${odd}`, after_seconds: 0 }] }));
  assert.match(fs.readFileSync(d.file, "utf8"), /"first_name":"Zo\\u0000e\\ud800!"/, "the file holds the escapes");
  const h = harness(new SimBackend({ scenarioPath: d.file }));
  assert.equal((await h.request("send_code", { account: 1, phone: "+15550005999" })).ok, true);
  assert.equal((await h.request("sign_in", { account: 1, code: "11235" })).ok, true);
  await h.waitFor((l) => l.event === "message", 2000, "the inbound message");
  assert.equal((await h.request("sync", { account: 1, limit: 10 })).ok, true);
  const strict = h.raw.map((l) => strictParse(l));
  const dialogs = strict.filter((l) => l.result && l.result.dialogs).flatMap((l) => l.result.dialogs);
  const d2001 = dialogs.find((x) => x.user_id === "2001");
  assert.deepEqual([d2001.first_name, d2001.last_name, d2001.messages[0].text], ["Zo\uFFFDe\uFFFD!", "\uFFFD", "order Zo\uFFFDe\uFFFD!"]);
  assert.equal(dialogs.find((x) => x.user_id === "2002").first_name, "\uFFFD");
  const ev = strict.find((l) => l.event === "message");
  assert.deepEqual([ev.from.first_name, ev.text], ["\uFFFD", "STOP Zo\uFFFDe\uFFFD!"]);
  await h.close();
});

test("uploads: a missing file is MEDIA_INVALID; each path is uploaded once; send reuses it", async (t) => {
  const { sim, d } = await loggedIn();
  t.after(() => sim.close());
  const img = path.join(d.dir, "pic.jpg");
  fs.writeFileSync(img, Buffer.from([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3]));
  await rejects(sim.upload({ account: 1, path: path.join(d.dir, "nope.jpg"), mime: "image/jpeg" }), "MEDIA_INVALID");
  const u1 = await sim.upload({ account: 1, path: img, mime: "image/jpeg" });
  const u2 = await sim.upload({ account: 1, path: img, mime: "image/jpeg" });
  assert.equal(u1.handle, u2.handle);
  const media = { path: img, mime: "image/jpeg" };
  await sim.send(sendParams("2001", 1, "with a picture", { media }));
  await sim.send(sendParams("2002", 2, "", { media }));
  assert.equal(sim.stats.uploads, 1);
  await rejects(sim.send(sendParams("2001", 3, "x", { media: { path: "/nonexistent/f.mp4", mime: "video/mp4" } })), "MEDIA_INVALID");
  assert.deepEqual(d.record().map((r) => r.media), [media, media]);
});

test("Saved Messages: peer {self:true} is recorded with user_id = me.id and deduplicated", async (t) => {
  const { sim, d } = await loggedIn();
  t.after(() => sim.close());
  const params = { account: 1, peer: { self: true }, text: "preview", entities: [], media: null, randomId: "77" };
  const a = await sim.send(params);
  const b = await sim.send(params);
  assert.deepEqual(a, b);
  assert.deepEqual(d.record().map((r) => r.user_id), ["5999"]);
});

test("logout revokes the session for good (kept in <record>.sessions); stop keeps it", async (t) => {
  const { sim, d, session } = await loggedIn();
  t.after(() => sim.close());
  assert.deepEqual(await sim.stop({ account: 1 }), { status: "stopped" });
  await rejects(sim.sync({ account: 1, cursor: null, limit: 10, minMessageId: {} }), "NOT_STARTED");
  await sim.start({ account: 1, session });
  assert.deepEqual(await sim.logout({ account: 1 }), { status: "none" });
  await rejects(sim.logout({ account: 1 }), "NOT_STARTED");
  assert.ok(fs.readFileSync(path.join(d.dir, "deliveries.jsonl.sessions"), "utf8").includes(session));
  const other = new SimBackend({ scenarioPath: d.file });
  t.after(() => other.close());
  await rejects(other.start({ account: 1, session }), "AUTH_KEY_UNREGISTERED");
});

test("a session revoked by another process is noticed: AUTH_KEY_UNREGISTERED and session_invalid", async (t) => {
  const { sim, d, session, events } = await loggedIn();
  const other = new SimBackend({ scenarioPath: d.file });
  t.after(() => Promise.all([sim.close(), other.close()]));
  await other.start({ account: 1, session });
  await other.logout({ account: 1 });
  await rejects(sim.send(sendParams("2001", 1)), "AUTH_KEY_UNREGISTERED");
  assert.equal(events.at(-1).event, "session_invalid");
});

test("close() cancels pending timers so nothing fires afterwards", async () => {
  const users = [user("2001", { read_after_seconds: 0.05, reply: { after_seconds: 0.05, text: "late" }, click_after_seconds: 0.05 })];
  const { sim, events } = await loggedIn(baseScenario({ users, inbound: [{ user: "2001", text: "x", after_seconds: 0.05 }] }));
  await sim.send(sendParams("2001", 1, "see http://127.0.0.1:9/x"));
  assert.ok(sim.timers.size >= 3);
  await sim.close();
  assert.equal(sim.timers.size, 0);
  await sleep(120);
  assert.equal(events.filter((e) => e.event !== "session_invalid").length, 0);
  assert.equal(sim.stats.clicks, 0);
});

test("a scenario with a bad field is refused with a message naming it", () => {
  const d = scenarioDir({ me: { id: "1" }, users: [{ id: "x" }] });
  assert.throws(() => new SimBackend({ scenarioPath: d.file }), /users\[0\]\.id/);
  assert.throws(() => new SimBackend({ scenarioPath: path.join(d.dir, "missing.json") }), /cannot read/);
  const e = scenarioDir({ me: { id: "1" }, users: [], inbound: [{ user: "5", text: "x" }] });
  assert.throws(() => new SimBackend({ scenarioPath: e.file }), /inbound\[0\]\.user/);
});

test("without a record the simulator still deduplicates in memory", async (t) => {
  const sc = baseScenario();
  delete sc.record;
  const { sim } = await loggedIn(sc);
  t.after(() => sim.close());
  const a = await sim.send(sendParams("2001", 5));
  assert.deepEqual(await sim.send(sendParams("2001", 5)), a);
});
