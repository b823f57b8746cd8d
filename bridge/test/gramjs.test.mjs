// gramjs.test.mjs — the GramJS backend without a network: its pure helpers against GramJS's real
// TL classes, and its op logic against a scripted stand-in for TelegramClient (the requests it
// builds are real Api objects, so their fields are checked as Telegram would receive them).

import test from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { Api, helpers } from "telegram";
import { RPCMessageToError } from "telegram/errors/index.js";
import {
  GramjsBackend, toEntities, sentMessageOf, configFromEnv, encodeCursor, decodeCursor, uploadedMedia, fileName, withTimeout,
} from "../gramjs.mjs";
import { sleep, until } from "../test-support/harness.mjs";

const big = helpers.returnBigInt;

/** A well-formed StringSession: "1" + base64(dc, address length, address, port, 256-byte key). */
function stringSession() {
  const addr = Buffer.from("149.154.167.50");
  const len = Buffer.alloc(2);
  len.writeInt16BE(addr.length);
  const port = Buffer.alloc(2);
  port.writeInt16BE(443);
  return "1" + Buffer.concat([Buffer.from([2]), len, addr, port, Buffer.alloc(256, 7)]).toString("base64");
}
const SESSION = stringSession();
const rpc = (name, code = 400) => RPCMessageToError({ errorMessage: name, errorCode: code }, undefined);

function tgUser(id, extra = {}) {
  return new Api.User({ id: big(id), accessHash: big(`9${id}`), firstName: `U${id}`, ...extra });
}

function dialog(u, topId, { pinned = false, readOutboxMaxId = 0 } = {}) {
  return {
    entity: u, isUser: u instanceof Api.User, pinned, date: 1700000000 + topId, message: { id: topId },
    dialog: { readOutboxMaxId }, inputEntity: new Api.InputPeerUser({ userId: u.id, accessHash: u.accessHash || big(0) }),
  };
}

async function* iterate(list) {
  for (const x of list) yield x;
}

/** A stand-in TelegramClient: every invoke is recorded and answered by `answer(request)`. */
class FakeClient {
  constructor(opts = {}) {
    this.invoked = [];
    this.handlers = [];
    this.uploads = 0;
    this.destroyed = false;
    this.answer = opts.answer || (() => {
      throw new Error("no answer scripted");
    });
    this.folders = opts.folders || { 0: [], 1: [] };
    this.history = opts.history || {};
    this.me = tgUser("5999", { self: true, firstName: "Shop", username: "shop" });
    this.session = { save: () => "1FAKESESSION", _entities: new Set([1]) };
  }
  async connect() {
    return true;
  }
  async sendCode(creds, phone) {
    this.codeFor = phone;
    return { phoneCodeHash: "hash123", isCodeViaApp: true };
  }
  async invoke(req) {
    this.invoked.push(req);
    return this.answer(req);
  }
  async getMe() {
    if (this.getMeError) throw this.getMeError;
    return this.me;
  }
  addEventHandler(fn, builder) {
    this.handlers.push({ fn, builder });
  }
  async destroy() {
    this.destroyed = true;
  }
  async uploadFile({ file }) {
    this.uploads++;
    return new Api.InputFile({ id: big(1), parts: 1, name: file.name, md5Checksum: "" });
  }
  iterDialogs({ folder, limit, ignorePinned, offsetId }) {
    let list = this.folders[folder] || [];
    if (ignorePinned) list = list.filter((d) => !d.pinned && (!offsetId || d.message.id < offsetId));
    return iterate(list.slice(0, limit));
  }
  iterMessages(peer, { limit, minId }) {
    const all = this.history[peer.userId.toString()] || [];
    return iterate(all.filter((m) => m.id > minId).slice(0, limit));
  }
}

function backendWith(client, opts = {}) {
  const events = [];
  const b = new GramjsBackend({
    apiId: 1, apiHash: "0123456789abcdef0123456789abcdef", clientFactory: () => client,
    computeCheck: async (srp, pw) => ({ checked: pw }), ...opts,
  });
  b.onEvent = (e) => events.push(e);
  return { b, events };
}

async function connected(client, opts) {
  const { b, events } = backendWith(client, opts);
  const r = await b.start({ account: 1, session: SESSION });
  assert.equal(r.status, "connected");
  return { b, events };
}

test("configFromEnv needs TG_API_ID and TG_API_HASH", () => {
  assert.throws(() => configFromEnv({}), /TG_API_ID/);
  assert.throws(() => configFromEnv({ TG_API_ID: "abc" }), /TG_API_ID/);
  assert.throws(() => configFromEnv({ TG_API_ID: "5" }), /TG_API_HASH/);
  assert.deepEqual(configFromEnv({ TG_API_ID: "5", TG_API_HASH: "0123456789abcdef0123456789ABCDEF" }), { apiId: 5, apiHash: "0123456789abcdef0123456789ABCDEF" });
});

test("entities become GramJS MessageEntity classes with offsets unchanged", () => {
  const out = toEntities([
    { type: "bold", offset: 0, length: 2 }, { type: "italic", offset: 1, length: 1 }, { type: "underline", offset: 2, length: 1 },
    { type: "strikethrough", offset: 3, length: 1 }, { type: "code", offset: 4, length: 1 }, { type: "pre", offset: 5, length: 1 },
    { type: "pre", offset: 6, length: 1, language: "js" }, { type: "text_url", offset: 7, length: 3, url: "https://x.test" },
  ]);
  const classes = [Api.MessageEntityBold, Api.MessageEntityItalic, Api.MessageEntityUnderline, Api.MessageEntityStrike,
    Api.MessageEntityCode, Api.MessageEntityPre, Api.MessageEntityPre, Api.MessageEntityTextUrl];
  out.forEach((e, i) => assert.ok(e instanceof classes[i], e.className));
  assert.deepEqual([out[0].offset, out[0].length], [0, 2]);
  assert.equal(out[5].language, "");
  assert.equal(out[6].language, "js");
  assert.equal(out[7].url, "https://x.test");
});

test("sentMessageOf reads UpdateShortSentMessage and UpdateMessageID with our randomId", () => {
  const rid = big("-4411");
  assert.deepEqual(sentMessageOf(new Api.UpdateShortSentMessage({ id: 77, pts: 1, ptsCount: 1, date: 1700000001 }), rid),
    { id: 77, date: 1700000001, media: undefined });
  const updates = new Api.Updates({
    updates: [
      new Api.UpdateMessageID({ id: 5, randomId: big("123") }),
      new Api.UpdateMessageID({ id: 9, randomId: big("-4411") }),
      new Api.UpdateNewMessage({ message: new Api.Message({ id: 5, peerId: new Api.PeerUser({ userId: big(1) }), message: "a", date: 10 }), pts: 1, ptsCount: 1 }),
      new Api.UpdateNewMessage({ message: new Api.Message({ id: 9, peerId: new Api.PeerUser({ userId: big(1) }), message: "b", date: 20 }), pts: 2, ptsCount: 1 }),
    ],
    users: [], chats: [], date: 30, seq: 0,
  });
  assert.deepEqual(sentMessageOf(updates, rid), { id: 9, date: 20, media: undefined });
  assert.throws(() => sentMessageOf(new Api.Updates({ updates: [], users: [], chats: [], date: 1, seq: 0 }), rid), /no message id/);
});

test("cursors round-trip; a foreign cursor is BAD_REQUEST", () => {
  const c = { f: 1, ph: "r", d: 1700000000, i: 55, p: { t: "u", id: "2001", h: "-5" } };
  assert.deepEqual(decodeCursor(encodeCursor(c)), c);
  assert.deepEqual(decodeCursor(null), { f: 0, ph: "p" });
  assert.throws(() => decodeCursor("sim:5"), (e) => e.code === "BAD_REQUEST");
  assert.throws(() => decodeCursor("g1.bm90IGpzb24"), (e) => e.code === "BAD_REQUEST");
});

test("uploaded media: photos for JPEG/PNG, documents otherwise, video attributes only with real values", () => {
  const file = new Api.InputFile({ id: big(1), parts: 1, name: "a", md5Checksum: "" });
  assert.ok(uploadedMedia(file, { path: "/x/a.jpg", mime: "image/jpeg" }) instanceof Api.InputMediaUploadedPhoto);
  const doc = uploadedMedia(file, { path: "/x/a.mp4", mime: "video/mp4" });
  assert.ok(doc instanceof Api.InputMediaUploadedDocument);
  assert.deepEqual(doc.attributes.map((a) => a.className), ["DocumentAttributeFilename"]);
  const vid = uploadedMedia(file, { path: "/x/a.mp4", mime: "video/mp4", duration: 12.5, width: 1280, height: 720 });
  assert.deepEqual(vid.attributes.map((a) => a.className), ["DocumentAttributeFilename", "DocumentAttributeVideo"]);
  assert.equal(vid.attributes[1].duration, 12.5);
  // tgr keeps media under its hash: the name Telegram shows gets an extension from the type.
  const hashed = uploadedMedia(file, { path: "/d/media/1/e8104ac2", mime: "video/mp4" });
  assert.equal(hashed.attributes[0].fileName, "e8104ac2.mp4");
  assert.equal(fileName({ path: "/d/media/1/e8104ac2", mime: "application/x-unknown" }), "e8104ac2");
  assert.equal(fileName({ path: "/x/a.jpeg", mime: "image/jpeg" }), "a.jpeg");
});

test("withTimeout rejects with a TIMEOUT error and clears its timer", async () => {
  await assert.rejects(withTimeout(new Promise(() => {}), 20, "x"), /TIMEOUT/);
  assert.equal(await withTimeout(Promise.resolve(5), 1000), 5);
});

test("login: sendCode, pending session, SignIn → SESSION_PASSWORD_NEEDED → GetPassword + CheckPassword", async () => {
  const client = new FakeClient({
    answer: (req) => {
      if (req instanceof Api.auth.SignIn) {
        if (req.phoneCode !== "11235") throw rpc("PHONE_CODE_INVALID");
        throw rpc("SESSION_PASSWORD_NEEDED", 401);
      }
      if (req instanceof Api.account.GetPassword) return { srp: true };
      if (req instanceof Api.auth.CheckPassword) {
        if (req.password.checked !== "hunter2") throw rpc("PASSWORD_HASH_INVALID");
        return new Api.auth.Authorization({ user: tgUser("5999", { firstName: "Shop", username: "shop" }) });
      }
      throw new Error("unexpected " + req.className);
    },
  });
  const { b } = backendWith(client);
  await assert.rejects(b.send_code({ account: 1, phone: "555" }), (e) => e.code === "PHONE_NUMBER_INVALID");
  assert.deepEqual(await b.send_code({ account: 1, phone: "+15550005999" }), { status: "code_sent", session: "1FAKESESSION" });
  await assert.rejects(b.sign_in({ account: 1, code: "00000", password: null }), (e) => e.errorMessage === "PHONE_CODE_INVALID");
  await assert.rejects(b.sign_in({ account: 1, code: "11235", password: null }), (e) => e.code === "SESSION_PASSWORD_NEEDED");
  const signIn = client.invoked.find((r) => r instanceof Api.auth.SignIn);
  assert.deepEqual([signIn.phoneNumber, signIn.phoneCodeHash], ["+15550005999", "hash123"]);
  await assert.rejects(b.sign_in({ account: 1, code: null, password: "wrong" }), (e) => e.errorMessage === "PASSWORD_HASH_INVALID");
  const ok = await b.sign_in({ account: 1, code: null, password: "hunter2" });
  assert.deepEqual(ok, { status: "connected", session: "1FAKESESSION", user: { id: "5999", first_name: "Shop", username: "shop" } });
  assert.deepEqual(client.handlers.map((h) => h.builder.constructor.name), ["NewMessage", "Raw"]);
  await b.close();
  assert.equal(client.destroyed, true);
});

test("send uses the caller's random_id, InputPeerUser and entities; a repeat sends the same request", async () => {
  const client = new FakeClient({ answer: () => new Api.UpdateShortSentMessage({ id: 321, pts: 1, ptsCount: 1, date: 1700000005 }) });
  const { b } = await connected(client);
  const params = {
    account: 1, peer: { self: false, userId: "2001", accessHash: "-88001" }, text: "Hi Ann",
    entities: [{ type: "bold", offset: 0, length: 2 }], media: null, randomId: "-4411223344556677889",
  };
  assert.deepEqual(await b.send(params), { message_id: 321, date: 1700000005 });
  await b.send(params);
  const [r1, r2] = client.invoked;
  for (const r of [r1, r2]) {
    assert.ok(r instanceof Api.messages.SendMessage);
    assert.equal(r.randomId.toString(), "-4411223344556677889");
    assert.ok(r.peer instanceof Api.InputPeerUser);
    assert.equal(r.peer.userId.toString(), "2001");
    assert.equal(r.peer.accessHash.toString(), "-88001");
    assert.ok(r.entities[0] instanceof Api.MessageEntityBold);
    assert.equal(r.noWebpage, true);
  }
  await b.send({ ...params, peer: { self: true } });
  assert.ok(client.invoked[2].peer instanceof Api.InputPeerSelf);
  await b.close();
});

test("errors reach the caller; a dead session also sends session_invalid and drops the client", async () => {
  let next = rpc("PEER_FLOOD");
  const client = new FakeClient({
    answer: () => {
      throw next;
    },
  });
  const { b, events } = await connected(client);
  const params = { account: 1, peer: { self: true }, text: "x", entities: [], media: null, randomId: "1" };
  await assert.rejects(b.send(params), (e) => e.errorMessage === "PEER_FLOOD");
  assert.equal(events.length, 0);
  next = rpc("AUTH_KEY_UNREGISTERED", 401);
  await assert.rejects(b.send(params), (e) => e.errorMessage === "AUTH_KEY_UNREGISTERED");
  assert.deepEqual(events, [{ event: "session_invalid", account: 1, code: "AUTH_KEY_UNREGISTERED" }]);
  assert.equal(client.destroyed, true);
  await assert.rejects(b.send(params), (e) => e.code === "NOT_STARTED");
});

test("start: a session Telegram rejects is an error and leaves no client", async () => {
  const client = new FakeClient();
  client.getMeError = rpc("SESSION_REVOKED", 401);
  const { b } = backendWith(client);
  await assert.rejects(b.start({ account: 1, session: SESSION }), (e) => e.errorMessage === "SESSION_REVOKED");
  assert.equal(client.destroyed, true);
  await assert.rejects(b.sync({ account: 1, cursor: null, limit: 10, minMessageId: {} }), (e) => e.code === "NOT_STARTED");
});

test("media is uploaded once per path; later sends reuse the stored photo", async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tgr-gramjs-"));
  const img = path.join(dir, "p.jpg");
  fs.writeFileSync(img, "jpegdata");
  const photo = new Api.Photo({ id: big(11), accessHash: big(22), fileReference: Buffer.from([1]), date: 0, sizes: [], dcId: 2 });
  const client = new FakeClient({
    answer: () => new Api.UpdateShortSentMessage({ id: 400, pts: 1, ptsCount: 1, date: 1, media: new Api.MessageMediaPhoto({ photo }) }),
  });
  const { b } = await connected(client);
  const media = { path: img, mime: "image/jpeg" };
  const h1 = await b.upload({ account: 1, ...media });
  const h2 = await b.upload({ account: 1, ...media });
  assert.equal(h1.handle, h2.handle);
  const base = { account: 1, peer: { self: true }, text: "look", entities: [], media, randomId: "1" };
  await b.send(base);
  await b.send({ ...base, randomId: "2" });
  assert.equal(client.uploads, 1);
  assert.ok(client.invoked[0] instanceof Api.messages.SendMedia);
  assert.ok(client.invoked[0].media instanceof Api.InputMediaUploadedPhoto);
  assert.ok(client.invoked[1].media instanceof Api.InputMediaPhoto);
  assert.equal(client.invoked[1].media.id.id.toString(), "11");
  await assert.rejects(b.upload({ account: 1, path: path.join(dir, "missing.png"), mime: "image/png" }), (e) => e.code === "MEDIA_INVALID");
  await b.close();
});

test("sync walks pinned, the rest, then the archive; skips non-customers; cursors resume", async () => {
  const bot = tgUser("2004", { bot: true });
  const folders = {
    0: [
      dialog(tgUser("2001"), 90, { pinned: true, readOutboxMaxId: 88 }),
      dialog(tgUser("2002", { username: "two", phone: "15550002002" }), 80),
      dialog(bot, 70), dialog(tgUser("777000"), 60), dialog(tgUser("2005", { deleted: true }), 50),
      dialog(tgUser("5999", { self: true }), 40),
      { entity: new Api.Channel({ id: big(7), title: "news", photo: new Api.ChatPhotoEmpty(), date: 0 }), isUser: false, pinned: false, date: 1, message: { id: 30 }, dialog: {}, inputEntity: new Api.InputPeerChannel({ channelId: big(7), accessHash: big(1) }) },
      dialog(tgUser("2003"), 20),
    ],
    1: [dialog(tgUser("2006"), 10)],
  };
  const history = {
    2001: [new Api.Message({ id: 85, peerId: new Api.PeerUser({ userId: big(2001) }), message: "old", date: 5, out: false }),
      new Api.MessageService({ id: 86, peerId: new Api.PeerUser({ userId: big(2001) }), date: 6, action: new Api.MessageActionHistoryClear() }),
      new Api.Message({ id: 88, peerId: new Api.PeerUser({ userId: big(2001) }), message: "reply", date: 7, out: true })],
  };
  const client = new FakeClient({ folders, history });
  const { b } = await connected(client);
  const seen = [];
  let cursor = null;
  let pages = 0;
  do {
    const page = await b.sync({ account: 1, cursor, limit: 3, minMessageId: { 2001: 80 } }, { deadline: Date.now() + 30000 });
    seen.push(...page.dialogs);
    cursor = page.next_cursor;
  } while (cursor && ++pages < 10);
  assert.deepEqual(seen.map((d) => d.user_id), ["2001", "2002", "2003", "2006"]);
  const d1 = seen[0];
  assert.equal(d1.access_hash, "92001");
  assert.equal(d1.read_outbox_max_id, 88);
  assert.deepEqual(d1.messages, [{ message_id: 85, text: "old", date: 5, out: false }, { message_id: 88, text: "reply", date: 7, out: true }]);
  assert.equal(seen[1].username, "two");
  assert.equal(seen[2].phone, null);
  await b.close();
});

test("live events: incoming private messages and read receipts become protocol events", async () => {
  // updateShortMessage carries no user: the bridge asks users.getUsers when it has the access hash.
  const client = new FakeClient({
    answer: (req) => {
      assert.ok(req instanceof Api.users.GetUsers);
      const id = req.id[0].userId.toString();
      if (id === "2009") return [tgUser("2009", { lastName: "Short", phone: "15550002009" })];
      if (id === "2010") return [tgUser("2010", { bot: true })];
      throw rpc("INTERNAL", 500);
    },
  });
  const { b, events } = await connected(client);
  const [onMessage, onRaw] = client.handlers.map((h) => h.fn);
  const peer = new Api.PeerUser({ userId: big(2001) });
  const short = (id, msgId) => ({
    out: false, peerId: new Api.PeerUser({ userId: big(id) }), sender: undefined,
    inputSender: new Api.InputPeerUser({ userId: big(id), accessHash: big(5) }), id: msgId, message: "short", date: 2,
  });
  await onMessage({ message: { out: false, peerId: peer, sender: tgUser("2001", { username: "ann" }), id: 55, message: "where is my order?", date: 1700000000 } });
  await onMessage({ message: { out: false, peerId: new Api.PeerUser({ userId: big(2004) }), sender: tgUser("2004", { bot: true }), id: 56, message: "bot", date: 1 } });
  await onMessage({ message: { out: true, peerId: peer, sender: tgUser("5999"), id: 57, message: "ours", date: 1 } });
  await onMessage({ message: short(2009, 58) });
  await onMessage({ message: short(2010, 59) }); // a bot, found out by the lookup
  await onMessage({ message: short(2011, 60) }); // the lookup fails: only what the update said
  await onMessage({ message: { ...short(2012, 61), inputSender: undefined } }); // no access hash: no lookup
  onRaw(new Api.UpdateReadHistoryOutbox({ peer, maxId: 57, pts: 1, ptsCount: 1 }));
  const unknown = (id, hash) => ({ user_id: id, access_hash: hash, first_name: null, last_name: null, username: null, phone: null });
  assert.deepEqual(events, [
    { event: "message", account: 1, from: { user_id: "2001", access_hash: "92001", first_name: "U2001", last_name: null, username: "ann", phone: null }, message_id: 55, text: "where is my order?", date: 1700000000 },
    { event: "message", account: 1, from: { user_id: "2009", access_hash: "92009", first_name: "U2009", last_name: "Short", username: null, phone: "15550002009" }, message_id: 58, text: "short", date: 2 },
    { event: "message", account: 1, from: unknown("2011", "5"), message_id: 60, text: "short", date: 2 },
    { event: "message", account: 1, from: unknown("2012", null), message_id: 61, text: "short", date: 2 },
    { event: "read", account: 1, peer: "2001", max_id: 57 },
  ]);
  assert.equal(client.invoked.length, 3, "one lookup per short message with an access hash");
  await b.close();
});

test("the periodic getMe turns a dead session into a session_invalid event", async () => {
  const client = new FakeClient();
  const { b, events } = await connected(client, { healthIntervalMs: 20 });
  await sleep(50);
  assert.equal(client.session._entities.size, 0, "the entity memory is cleared");
  client.getMeError = rpc("AUTH_KEY_UNREGISTERED", 401);
  await until(() => events.length > 0, 2000, "session_invalid");
  assert.deepEqual(events, [{ event: "session_invalid", account: 1, code: "AUTH_KEY_UNREGISTERED" }]);
  assert.equal(client.destroyed, true);
  await b.close();
});

test("two starts of one session at once share one client; a start replaced mid-connect fails at once", async () => {
  const made = [];
  const stuck = new FakeClient();
  stuck.connect = () => new Promise(() => {}); // as GramJS's connect() after destroy()
  let next = null;
  const { b } = backendWith(null, {
    clientFactory: () => {
      const c = next || new FakeClient();
      next = null;
      made.push(c);
      return c;
    },
  });
  const [r1, r2] = await Promise.all([b.start({ account: 1, session: SESSION }), b.start({ account: 1, session: SESSION })]);
  assert.equal(made.length, 1, "the second start waited for the first");
  assert.deepEqual(r1, r2);
  assert.equal(r1.status, "connected");
  // A later start of the same session keeps the connected client (checked with getMe).
  assert.deepEqual(await b.start({ account: 1, session: SESSION }), r1);
  assert.equal(made.length, 1, "the connected client was kept");
  assert.equal(made[0].destroyed, false);
  next = stuck;
  const t0 = Date.now();
  const first = b.start({ account: 1, session: SESSION + "X" });
  await sleep(20);
  const second = await b.start({ account: 1, session: SESSION });
  assert.equal(second.status, "connected");
  await assert.rejects(first, (e) => e.code === "NETWORK");
  assert.ok(Date.now() - t0 < 2000, "the replaced start did not wait for its deadline");
  await b.close();
});

test("Telegram's -404 (an unknown auth key) reaches the client's owner, only for the main sender", async () => {
  const { MTProtoSender } = await import("telegram/network/MTProtoSender.js");
  const told = [];
  const sender = (main) => ({ _isMainSender: main, _client: { tgrKeyUnknown: () => told.push(main) }, _log: { warn() {} }, _dcId: 2 });
  MTProtoSender.prototype._handleBadAuthKey.call(sender(true), false); // -404 on the main connection
  MTProtoSender.prototype._handleBadAuthKey.call(sender(true), true); // an RPC AUTH_KEY_UNREGISTERED: the call fails by itself
  MTProtoSender.prototype._handleBadAuthKey.call(sender(false), false); // an upload connection: GramJS rebuilds it
  assert.deepEqual(told, [true]);
});
