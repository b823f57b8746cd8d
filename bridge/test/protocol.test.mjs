// protocol.test.mjs — framing, validation, dispatch, deadlines and the one-answer rule of
// protocol.mjs, over in-memory streams with a scripted backend.

import test from "node:test";
import assert from "node:assert/strict";
import { LineSplitter, BridgeError, encodeLine } from "../protocol.mjs";
import { harness, sleep, strictParse } from "../test-support/harness.mjs";

/** A backend whose ops are whatever the test puts in `ops`; records every call. */
function fakeBackend(ops = {}) {
  const b = {
    name: "fake",
    calls: [],
    closed: false,
    async close() {
      b.closed = true;
    },
  };
  for (const op of ["start", "send_code", "sign_in", "sync", "send", "upload", "logout", "stop"]) {
    b[op] = async (params, ctx) => {
      b.calls.push({ op, params, ctx });
      return ops[op] ? ops[op](params, ctx) : { op };
    };
  }
  return b;
}

test("LineSplitter: partial lines, several lines per chunk, CRLF, a final line without newline", () => {
  const got = [];
  const s = new LineSplitter((l) => got.push(l), () => got.push("OVERSIZE"));
  s.push(Buffer.from('{"a":'));
  s.push(Buffer.from("1}\n{\"b\":2}\r\n{\"c\""));
  s.push(Buffer.from(":3}\n\n"));
  s.push(Buffer.from("tail"));
  s.end();
  assert.deepEqual(got, ['{"a":1}', '{"b":2}', '{"c":3}', "", "tail"]);
});

test("LineSplitter: a multi-byte character split across chunks survives", () => {
  const got = [];
  const s = new LineSplitter((l) => got.push(l), () => {});
  const bytes = Buffer.from('{"t":"Привет 🙂"}\n');
  for (const b of bytes) s.push(Buffer.from([b]));
  assert.deepEqual(got, ['{"t":"Привет 🙂"}']);
});

test("LineSplitter: an oversize line is dropped whole and reported once, the next line is fine", () => {
  const got = [];
  const heads = [];
  const s = new LineSplitter((l) => got.push(l), (h) => heads.push(h), 16);
  s.push(Buffer.from('{"id":9,"op":"x","pad":"'));
  s.push(Buffer.from("y".repeat(100)));
  s.push(Buffer.from('"}\n{"ok":1}\n'));
  assert.equal(heads.length, 1);
  assert.match(heads[0], /^\{"id":9/);
  assert.deepEqual(got, ['{"ok":1}']);
});

test("the first line is the ready event, then answers in the {id, ok, result} shape", async () => {
  const h = harness(fakeBackend());
  assert.deepEqual(h.lines[0], { event: "ready", backend: "fake" });
  const r = await h.request("ping");
  assert.deepEqual(r, { id: 1, ok: true, result: { pong: true, backend: "fake" } });
  await h.close();
});

test("two requests in one chunk and one request split over chunks are all answered", async () => {
  const h = harness(fakeBackend());
  h.write('{"id":1,"op":"ping"}\n{"id":2,"op":"stop","account":1}\n{"id":3,"op"');
  await sleep(5);
  h.write(':"ping"}\r\n');
  await h.waitFor((l) => l.id === 3);
  await h.waitFor((l) => l.id === 2);
  assert.equal(h.responses(1).length, 1);
  assert.deepEqual(h.responses(2)[0], { id: 2, ok: true, result: { op: "stop" } });
  await h.close();
});

test("garbage, non-objects, missing id and missing op get BAD_REQUEST and the bridge keeps going", async () => {
  const h = harness(fakeBackend());
  h.write("this is not json\n");
  h.write("[1,2,3]\n");
  h.write('{"op":"ping"}\n');
  h.write('{"id":"7","op":"ping"}\n');
  h.write('{"id":8}\n');
  h.write('{"id":9,"op":"fly_to_the_moon"}\n');
  h.write("\n   \n"); // blank lines are ignored
  const ping = await h.request("ping");
  assert.equal(ping.ok, true);
  const errors = h.lines.filter((l) => l.ok === false);
  assert.equal(errors.length, 6);
  for (const e of errors) assert.equal(e.error.code, "BAD_REQUEST");
  assert.deepEqual(errors.map((e) => e.id), [null, null, null, null, 8, 9]);
  assert.match(errors[5].error.message, /unknown op/);
  await h.close();
});

test("an oversize line answers BAD_REQUEST with the id it starts with; the next request works", async () => {
  const h = harness(fakeBackend(), { maxLineBytes: 1024 });
  h.write(`{"id":41,"op":"send","text":"${"x".repeat(5000)}"}\n`);
  const r = await h.waitFor((l) => l.id === 41);
  assert.equal(r.error.code, "BAD_REQUEST");
  assert.match(r.error.message, /longer than 1024/);
  assert.equal((await h.request("ping")).ok, true);
  await h.close();
});

test("the default cap is 4 MiB: a 5 MiB line is refused, a 1 MiB one is read", async () => {
  const h = harness(fakeBackend());
  h.write(`{"id":50,"op":"stop","account":1,"pad":"${"p".repeat(5 * 1024 * 1024)}"}\n`);
  h.write(`{"id":51,"op":"stop","account":1,"pad":"${"p".repeat(1024 * 1024)}"}\n`);
  assert.equal((await h.waitFor((l) => l.id === 50)).error.code, "BAD_REQUEST");
  assert.equal((await h.waitFor((l) => l.id === 51)).ok, true);
  await h.close();
});

test("field validation names the field; valid requests reach the backend normalised", async () => {
  const b = fakeBackend();
  const h = harness(b);
  const bad = [
    ["start", { session: "x" }, /account/],
    ["send", { account: 1, peer: { user_id: 5, access_hash: "1" }, text: "hi", random_id: "1" }, /peer.user_id/],
    ["send", { account: 1, peer: { user_id: "5", access_hash: "1" }, text: "hi", random_id: "x" }, /random_id/],
    ["send", { account: 1, peer: { user_id: "5", access_hash: "1" }, text: "hi", random_id: "99999999999999999999" }, /random_id/],
    ["send", { account: 1, peer: { user_id: "5", access_hash: "1" }, text: "hi", random_id: "1", entities: [{ type: "blink", offset: 0, length: 1 }] }, /type/],
    ["sync", { account: 1, limit: 0 }, /limit/],
    ["sign_in", { account: 1 }, /code/],
    ["ping", { timeout_ms: -5 }, /timeout_ms/],
  ];
  for (const [op, fields, re] of bad) {
    const r = await h.request(op, fields);
    assert.equal(r.ok, false, op);
    assert.equal(r.error.code, "BAD_REQUEST", op);
    assert.match(r.error.message, re, op);
  }
  const r = await h.request("send", {
    account: 3, peer: { user_id: "2001", access_hash: "-88001" }, text: "Hi Ann", random_id: "-9223372036854775808",
    entities: [{ type: "text_url", offset: 3, length: 3, url: "https://x.test/a" }],
  });
  assert.equal(r.ok, true);
  const call = b.calls.find((c) => c.op === "send");
  assert.deepEqual(call.params, {
    account: 3, peer: { self: false, userId: "2001", accessHash: "-88001" }, text: "Hi Ann",
    entities: [{ type: "text_url", offset: 3, length: 3, url: "https://x.test/a" }], media: null,
    randomId: "-9223372036854775808",
  });
  const past = await h.request("send", {
    account: 3, peer: { self: true }, text: "abc", random_id: "1", entities: [{ type: "bold", offset: 2, length: 2 }],
  });
  assert.equal(past.error.code, "ENTITY_BOUNDS_INVALID");
  const s = await h.request("sync", { account: 1, cursor: null, limit: 100000 });
  assert.equal(s.ok, true);
  assert.equal(b.calls.find((c) => c.op === "sync").params.limit, 500);
  await h.close();
});

test("a backend that does not finish by timeout_ms is answered TIMEOUT once; its late result is dropped", async () => {
  const logs = [];
  const b = fakeBackend({
    sync: () => sleep(400).then(() => ({ dialogs: [], next_cursor: null })),
  });
  const h = harness(b, { log: (m) => logs.push(m) });
  const t0 = Date.now();
  const r = await h.request("sync", { account: 1, cursor: null, timeout_ms: 30 });
  assert.equal(r.error.code, "TIMEOUT");
  assert.ok(Date.now() - t0 < 350, "answered at the deadline, not when the backend finished");
  await sleep(450);
  assert.equal(h.responses(r.id).length, 1, "exactly one answer");
  assert.ok(logs.some((m) => /after its deadline/.test(m)));
  await h.close();
});

test("the default deadline applies when timeout_ms is absent; the backend sees it in ctx", async () => {
  const b = fakeBackend({ sync: () => new Promise(() => {}) });
  const h = harness(b, { defaultTimeoutMs: 40 });
  const r = await h.request("sync", { account: 1 });
  assert.equal(r.error.code, "TIMEOUT");
  const ctx = b.calls[0].ctx;
  assert.ok(ctx.deadline > Date.now() - 1000 && ctx.deadline < Date.now() + 1000);
  await h.close();
});

test("backend errors are mapped: BridgeError passes through with seconds, a thrown TypeError is INTERNAL", async () => {
  const b = fakeBackend({
    send: () => {
      throw new BridgeError("FLOOD_WAIT", "slow down", 37);
    },
    upload: () => {
      null.x; // eslint-disable-line no-unused-expressions
    },
  });
  const h = harness(b);
  const r = await h.request("send", { account: 1, peer: { self: true }, text: "x", random_id: "5" });
  assert.deepEqual(r.error, { code: "FLOOD_WAIT", message: "slow down", seconds: 37 });
  const u = await h.request("upload", { account: 1, path: "/tmp/x", mime: "image/png" });
  assert.equal(u.error.code, "INTERNAL");
  await h.close();
});

test("responses may come out of order; each id is answered exactly once", async () => {
  const b = fakeBackend({ sync: (p) => sleep(p.limit).then(() => ({ waited: p.limit })) });
  const h = harness(b);
  for (const [id, limit] of [[1, 200], [2, 5], [3, 80]]) h.send({ id, op: "sync", account: 1, limit });
  await h.waitFor((l) => l.id === 1);
  const order = h.lines.filter((l) => l.id).map((l) => l.id);
  assert.deepEqual(order, [2, 3, 1]);
  await h.close();
});

test("events from the backend are written as lines without an id", async () => {
  const b = fakeBackend();
  const h = harness(b);
  b.onEvent({ event: "read", account: 1, peer: "2001", max_id: 9 });
  assert.deepEqual(h.lines[1], { event: "read", account: 1, peer: "2001", max_id: 9 });
  await h.close();
});

// Text Telegram passes on that strict parsers refuse (jansson on the C side): U+0000 and unpaired
// surrogates. A refused line would lose the whole answer (a sync page, an event).
const NASTY = "A\u0000B\ud800C\udfffD";
const NASTY_OUT = "A\uFFFDB\uFFFDC\uFFFDD";

test("encodeLine: U+0000 and unpaired surrogates become U+FFFD, in values and keys; the line parses strictly", () => {
  assert.throws(() => strictParse(JSON.stringify({ t: NASTY })), SyntaxError, "the check itself must see them");
  const line = encodeLine({ t: NASTY, [`k${NASTY}`]: [NASTY], pair: "🙂 \ud83d\ude42", esc: "\\u0000 \\ud800 \\\ud800" });
  assert.ok(line.endsWith("}\n") && !line.slice(0, -1).includes("\n"));
  assert.deepEqual(strictParse(line), {
    t: NASTY_OUT,
    [`k${NASTY_OUT}`]: [NASTY_OUT],
    pair: "🙂 🙂", // a surrogate pair is a character, kept as it is
    esc: "\\u0000 \\ud800 \\\uFFFD", // the text "\u0000" is not an escape: kept
  });
  // What needs no change comes out exactly as JSON.stringify writes it.
  const plain = { id: 3, ok: true, result: { text: "Привет \\ \" \n \u0001 🙂" } };
  assert.equal(encodeLine(plain), JSON.stringify(plain) + "\n");
});

test("a sync answer, an error and an event holding U+0000 and lone surrogates are lines a strict parser reads", async () => {
  const dialog = { user_id: "2001", access_hash: "1", first_name: NASTY, last_name: "\ud800", username: null, phone: null,
    read_outbox_max_id: 0, messages: [{ message_id: 1, text: NASTY, date: 1, out: false }] };
  const b = fakeBackend({
    sync: () => ({ dialogs: [dialog], next_cursor: null }),
    send: () => { throw new BridgeError("PEER_ID_INVALID", `no such peer ${NASTY}`); },
  });
  const h = harness(b);
  h.send({ id: 1, op: "sync", account: 1 });
  h.send({ id: 2, op: "send", account: 1, peer: { user_id: "1", access_hash: "1" }, text: "hi", random_id: "1" });
  h.send({ id: 3, op: `no such op ${"🙂".repeat(19)}`, account: 1 }); // cut to 40 characters: mid-pair
  b.onEvent({ event: "message", account: 1, from: { user_id: "2001", first_name: NASTY }, message_id: 2, text: NASTY, date: 2 });
  await h.waitFor((l) => l.id === 1);
  await h.waitFor((l) => l.id === 2);
  await h.waitFor((l) => l.id === 3);
  const strict = h.raw.map((l) => strictParse(l));
  const sync = strict.find((l) => l.id === 1).result.dialogs[0];
  assert.equal(sync.first_name, NASTY_OUT);
  assert.equal(sync.last_name, "\uFFFD");
  assert.equal(sync.messages[0].text, NASTY_OUT);
  assert.equal(strict.find((l) => l.id === 2).error.message, `no such peer ${NASTY_OUT}`);
  assert.equal(strict.find((l) => l.id === 3).error.code, "BAD_REQUEST");
  const ev = strict.find((l) => l.event === "message");
  assert.deepEqual([ev.from.first_name, ev.text], [NASTY_OUT, NASTY_OUT]);
  await h.close();
});

test("end of input: requests already read are still answered, then the backend is closed", async () => {
  const b = fakeBackend({ stop: () => sleep(30).then(() => ({ status: "stopped" })) });
  const h = harness(b);
  h.send({ id: 1, op: "stop", account: 1 });
  h.input.end('{"id":2,"op":"ping"}'); // last line without a newline still counts
  await h.done;
  assert.equal(b.closed, true);
  assert.deepEqual(h.responses(1)[0].result, { status: "stopped" });
  assert.equal(h.responses(2)[0].ok, true);
});
