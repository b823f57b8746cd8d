// sim.mjs — the simulated Telegram backend (DESIGN §6, BRIDGE-PROTOCOL.md "The simulator").
//
// Owns: loading and checking a scenario file; the simulated account's login (code, optional
// two-step password) and its sessions (`sim1:<me.id>:<hex>`, revocations kept in
// `<record>.sessions`); the inbox served by `sync` (history from the scenario, deliveries from
// the record, replies derived from the record, live inbound messages); `send` with
// exactly-once delivery by (user_id, random_id) through the record file, shared safely by
// several processes (lock file + re-reading what others appended); scripted faults and
// per-user errors; and the live effects of a delivery (read receipts, replies, link clicks as
// real HTTP GETs). Every timer and click it starts is cancelled by close().
//
// Message ids grow with time, as Telegram's do: the scenario's history gets 1..H in date order;
// a delivery, or an `inbound[]` message when it arrives, gets the next free id above everything
// in the record and everything this process handed out, stepping by two so that the reply a
// delivery may trigger owns id+1. Deliveries and replies therefore never collide, across
// restarts and processes (an inbound message is not in the record: another process may reuse
// its id for a delivery).

import fs from "node:fs";
import path from "node:path";
import http from "node:http";
import https from "node:https";
import crypto from "node:crypto";
import { BridgeError, DEAD_SESSION_CODES, E164_RE, oneLine } from "./protocol.mjs";

export const CHROME_UA =
  "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36";
export const SERVICE_USER_ID = "777000";
export const LOCK_STALE_MS = 10000;
const LOCK_GIVE_UP_MS = 30000;
const CLICK_TIMEOUT_MS = 10000;
const MAX_DIALOG_MESSAGES = 100;
const SESSION_RE = /^sim1:([0-9]+):([0-9a-f]{8,})$/;

// ---------------------------------------------------------------------------------------------
// Scenario

function fail(msg) {
  throw new Error("scenario: " + msg);
}

function idString(v, where) {
  if (typeof v === "number" && Number.isSafeInteger(v) && v > 0) return String(v);
  if (typeof v === "string" && /^\d{1,20}$/.test(v)) return v;
  fail(`${where} must be a positive integer id (string or number)`);
}

function optStr(v, where) {
  if (v === undefined || v === null) return null;
  if (typeof v !== "string") fail(`${where} must be a string`);
  return v;
}

function optSeconds(v, where) {
  if (v === undefined || v === null) return null;
  if (typeof v !== "number" || !(v >= 0)) fail(`${where} must be a number of seconds ≥ 0`);
  return v;
}

/**
 * Checks a parsed scenario and returns it normalised (ids as strings, defaults filled in).
 * Throws an Error naming the first bad field.
 */
export function normaliseScenario(raw) {
  if (raw === null || typeof raw !== "object" || Array.isArray(raw)) fail("top level must be an object");
  const me = raw.me;
  if (!me || typeof me !== "object") fail("me is required");
  const out = {
    me: {
      id: idString(me.id, "me.id"),
      firstName: optStr(me.first_name, "me.first_name") ?? "Me",
      lastName: optStr(me.last_name, "me.last_name"),
      username: optStr(me.username, "me.username"),
      phone: optStr(me.phone, "me.phone"),
    },
    login: { code: "12345", password: null },
    users: [],
    faults: new Map(),
    inbound: [],
    record: optStr(raw.record, "record"),
    frozenAfter: null,
  };
  if (raw.account_frozen_after !== undefined && raw.account_frozen_after !== null) {
    if (!Number.isSafeInteger(raw.account_frozen_after) || raw.account_frozen_after < 0) {
      fail("account_frozen_after must be an integer ≥ 0");
    }
    out.frozenAfter = raw.account_frozen_after;
  }
  if (raw.login !== undefined && raw.login !== null) {
    if (typeof raw.login !== "object") fail("login must be an object");
    if (raw.login.code !== undefined) out.login.code = String(raw.login.code);
    out.login.password = optStr(raw.login.password, "login.password");
  }
  const users = raw.users ?? [];
  if (!Array.isArray(users)) fail("users must be an array");
  const seen = new Set();
  users.forEach((u, i) => {
    const w = `users[${i}]`;
    if (!u || typeof u !== "object") fail(`${w} must be an object`);
    const id = idString(u.id, `${w}.id`);
    if (seen.has(id)) fail(`${w}.id ${id} appears twice`);
    seen.add(id);
    const messages = u.messages ?? [];
    if (!Array.isArray(messages)) fail(`${w}.messages must be an array`);
    let reply = null;
    if (u.reply !== undefined && u.reply !== null) {
      if (typeof u.reply !== "object" || typeof u.reply.text !== "string") fail(`${w}.reply needs text`);
      reply = { text: u.reply.text, afterSeconds: optSeconds(u.reply.after_seconds, `${w}.reply.after_seconds`) ?? 0 };
    }
    out.users.push({
      id,
      accessHash: u.access_hash === undefined || u.access_hash === null ? "0" : String(u.access_hash),
      firstName: optStr(u.first_name, `${w}.first_name`),
      lastName: optStr(u.last_name, `${w}.last_name`),
      username: optStr(u.username, `${w}.username`),
      phone: optStr(u.phone, `${w}.phone`),
      bot: u.bot === true,
      deleted: u.deleted === true,
      messages: messages.map((m, j) => {
        if (!m || typeof m !== "object" || typeof m.text !== "string") fail(`${w}.messages[${j}] needs text`);
        return {
          text: m.text,
          agoSeconds: optSeconds(m.ago_seconds, `${w}.messages[${j}].ago_seconds`),
          date: optSeconds(m.date, `${w}.messages[${j}].date`),
          out: m.out === true,
        };
      }),
      reply,
      readAfterSeconds: optSeconds(u.read_after_seconds, `${w}.read_after_seconds`),
      clickAfterSeconds: optSeconds(u.click_after_seconds, `${w}.click_after_seconds`),
      error: optStr(u.error, `${w}.error`),
    });
  });
  const faults = raw.faults ?? [];
  if (!Array.isArray(faults)) fail("faults must be an array");
  faults.forEach((f, i) => {
    if (!f || !Number.isSafeInteger(f.on_send) || f.on_send < 1) fail(`faults[${i}].on_send must be an integer ≥ 1`);
    if (typeof f.error !== "string" || !f.error) fail(`faults[${i}].error must be a code`);
    out.faults.set(f.on_send, { error: f.error, seconds: optSeconds(f.seconds, `faults[${i}].seconds`) });
  });
  const inbound = raw.inbound ?? [];
  if (!Array.isArray(inbound)) fail("inbound must be an array");
  inbound.forEach((m, i) => {
    if (!m || typeof m !== "object" || typeof m.text !== "string") fail(`inbound[${i}] needs text`);
    const user = idString(m.user, `inbound[${i}].user`);
    if (!seen.has(user)) fail(`inbound[${i}].user ${user} is not in users`);
    out.inbound.push({ user, text: m.text, afterSeconds: optSeconds(m.after_seconds, `inbound[${i}].after_seconds`) ?? 0 });
  });
  return out;
}

// ---------------------------------------------------------------------------------------------
// Helpers

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** A random_id as the protocol validates it (canonical decimal), whatever wrote the record. */
function canonicalId(v) {
  try {
    return BigInt(v).toString();
  } catch {
    return String(v);
  }
}

/** The URL a simulated user clicks: the first text_url entity, else the first http(s) URL in the text. */
export function firstUrl(text, entities) {
  const links = (entities || []).filter((e) => e.type === "text_url" && typeof e.url === "string");
  links.sort((a, b) => a.offset - b.offset);
  for (const e of links) if (/^https?:\/\//i.test(e.url)) return e.url;
  const m = /https?:\/\/[^\s<>"']+/i.exec(text || "");
  return m ? m[0].replace(/[.,;:!?)\]]+$/, "") : null;
}

/** Exclusive lock by O_EXCL file creation; a lock older than LOCK_STALE_MS is broken. */
async function acquireLock(lockPath, isClosed) {
  const giveUp = Date.now() + LOCK_GIVE_UP_MS;
  for (let attempt = 0; ; attempt++) {
    try {
      const fd = fs.openSync(lockPath, "wx");
      fs.writeSync(fd, `${process.pid}\n`);
      fs.closeSync(fd);
      return;
    } catch (e) {
      if (e.code !== "EEXIST") throw e;
    }
    try {
      const st = fs.statSync(lockPath);
      if (Date.now() - st.mtimeMs > LOCK_STALE_MS) {
        fs.unlinkSync(lockPath);
        continue;
      }
    } catch (e) {
      if (e.code === "ENOENT") continue; // released between our two calls
      throw e;
    }
    if (isClosed()) throw new BridgeError("INTERNAL", "simulator closed while waiting for the record lock");
    if (Date.now() > giveUp) throw new BridgeError("INTERNAL", "record lock busy for too long");
    await sleep(Math.min(2 + attempt, 20) + Math.random() * 3);
  }
}

function releaseLock(lockPath) {
  try {
    fs.unlinkSync(lockPath);
  } catch {
    // already gone (broken as stale by another process): nothing to do
  }
}

// ---------------------------------------------------------------------------------------------
// The backend

export class SimBackend {
  /**
   * @param {object} o
   * @param {string} [o.scenarioPath]  scenario file; its directory anchors `record`
   * @param {object} [o.scenario]      an already parsed scenario (tests), with o.baseDir
   * @param {(msg: string) => void} [o.log]
   */
  constructor({ scenarioPath, scenario, baseDir, log = () => {} } = {}) {
    if (scenarioPath) {
      let text;
      try {
        text = fs.readFileSync(scenarioPath, "utf8");
      } catch (e) {
        throw new Error(`scenario: cannot read ${scenarioPath}: ${e.code || e.message}`);
      }
      try {
        scenario = JSON.parse(text);
      } catch (e) {
        throw new Error(`scenario: ${scenarioPath} is not JSON: ${oneLine(e.message)}`);
      }
      baseDir = path.dirname(path.resolve(scenarioPath));
    }
    this.name = "sim";
    this.onEvent = () => {};
    this.log = log;
    this.sc = normaliseScenario(scenario);
    this.users = new Map(this.sc.users.map((u) => [u.id, u]));
    this.loadedAt = Math.floor(Date.now() / 1000);
    this.accounts = new Map(); // tgr account id → { status, session, phone, uploads }
    this.timers = new Set();
    this.clicks = new Set();
    this.closed = false;
    this.queue = Promise.resolve(); // the batch runner of withRecord, while it runs
    this.waiting = []; // record critical sections waiting for the next batch
    this.batchRunning = false;
    this.batchLines = []; // record lines of the batch under way
    this.batchKeys = []; // and their [delivered key, user id], to forget them if the write fails
    this.stats = { sendAttempts: 0, uploads: 0, clicks: 0, delivered: 0 };
    this.inboundScheduled = false;
    this.live = new Map(); // user id → inbound messages that arrived in this process
    this.dialogCache = null; // dialogList() until something changes it
    this.revoked = new Set();

    this.buildHistory();
    this.recordPath = this.sc.record ? path.resolve(baseDir || process.cwd(), this.sc.record) : null;
    this.lockPath = this.recordPath && this.recordPath + ".lock";
    this.sessionsPath = this.recordPath && this.recordPath + ".sessions";
    // Which process has a client on which session, so that a second one is refused the way
    // Telegram refuses it (GRAMJS.md: AUTH_KEY_DUPLICATED; only a new login fixes it).
    this.clientsPath = this.recordPath && this.recordPath + ".clients";
    this.sessionsSize = -1;
    this.delivered = new Map(); // `${user_id} ${random_id}` → { message_id, date }
    this.outbox = new Map(); // user id → [{ message_id, text, date, at }]
    this.maxId = 0;
    this.recordOffset = 0;
    this.memoryRecord = []; // without a record file, deliveries live here
    this.readRecordTail();
    this.readSessions();
  }

  /** Gives the scenario's history messages ids 1..H in date order (stable across restarts). */
  buildHistory() {
    const all = [];
    this.sc.users.forEach((u, ui) => {
      u.messages.forEach((m, mi) => {
        const date = m.date !== null ? Math.floor(m.date) : this.loadedAt - Math.floor(m.agoSeconds ?? 0);
        all.push({ u, ui, mi, date, m });
      });
    });
    all.sort((a, b) => a.date - b.date || a.ui - b.ui || a.mi - b.mi);
    this.history = new Map();
    all.forEach((x, i) => {
      if (!this.history.has(x.u.id)) this.history.set(x.u.id, []);
      this.history.get(x.u.id).push({ message_id: i + 1, text: x.m.text, date: x.date, out: x.m.out });
    });
    for (const list of this.history.values()) list.sort((a, b) => a.message_id - b.message_id);
    this.historyCount = all.length;
    this.firstFreeId = all.length + 1;
    this.liveMaxId = 0;
  }

  // --- record -------------------------------------------------------------------------------

  /** Applies the record lines appended since the last read (by us or any other process). */
  readRecordTail() {
    if (!this.recordPath) return;
    let fd;
    try {
      fd = fs.openSync(this.recordPath, "r");
    } catch (e) {
      if (e.code === "ENOENT") return;
      throw e;
    }
    try {
      const size = fs.fstatSync(fd).size;
      if (size <= this.recordOffset) return;
      const buf = Buffer.alloc(size - this.recordOffset);
      fs.readSync(fd, buf, 0, buf.length, this.recordOffset);
      const end = buf.lastIndexOf(0x0a);
      if (end < 0) return; // only a partial line so far
      for (const line of buf.subarray(0, end).toString("utf8").split("\n")) {
        if (line.trim()) this.applyRecordLine(line);
      }
      this.recordOffset += end + 1;
    } finally {
      fs.closeSync(fd);
    }
  }

  /** Applies one record line (text or object). @returns its key when it was a new delivery */
  applyRecordLine(line) {
    let r;
    try {
      r = typeof line === "string" ? JSON.parse(line) : line;
    } catch {
      this.log("sim: skipped an unreadable record line");
      return;
    }
    if (!r || r.user_id === undefined || r.random_id === undefined || !Number.isSafeInteger(r.message_id)) {
      this.log("sim: skipped a record line without user_id/random_id/message_id");
      return;
    }
    const userId = String(r.user_id);
    const key = `${userId} ${canonicalId(r.random_id)}`;
    if (this.delivered.has(key)) return; // the first delivery is the one that counts
    const at = Number.isFinite(r.at) ? r.at : Date.now();
    const entry = { message_id: r.message_id, date: Math.floor(at / 1000) };
    this.delivered.set(key, entry);
    if (!this.outbox.has(userId)) this.outbox.set(userId, []);
    this.outbox.get(userId).push({ message_id: r.message_id, text: r.text ?? "", date: entry.date, at });
    this.dialogCache = null;
    this.maxId = Math.max(this.maxId, r.message_id);
    return key;
  }

  /** Adds one delivery to the batch being written and applies it at once (so that a later send
   *  of the same batch sees it); the caller holds the lock (withRecord). */
  appendRecord(rec) {
    const key = this.applyRecordLine(rec);
    if (!this.recordPath) this.memoryRecord.push(rec);
    else {
      this.batchLines.push(JSON.stringify(rec) + "\n");
      this.batchKeys.push([key, String(rec.user_id)]);
    }
  }

  /** The batch could not be written: its deliveries did not happen. */
  forgetBatch() {
    for (const [key, userId] of this.batchKeys) {
      const entry = this.delivered.get(key);
      this.delivered.delete(key);
      const list = this.outbox.get(userId) || [];
      const i = list.findIndex((d) => entry && d.message_id === entry.message_id);
      if (i >= 0) list.splice(i, 1);
    }
    this.batchLines = [];
    this.batchKeys = [];
  }

  /** Writes the batch's deliveries to the record in one append; the caller holds the lock. */
  flushRecord() {
    if (this.batchLines.length === 0) return;
    const text = this.batchLines.join("");
    let size = 0;
    try {
      size = fs.statSync(this.recordPath).size;
    } catch (e) {
      if (e.code !== "ENOENT") throw e;
    }
    // Under the lock the record ends where readRecordTail stopped, after a whole line; anything
    // past that is a line a writer died in the middle of: do not glue onto it.
    const prefix = size > this.recordOffset ? "\n" : "";
    fs.appendFileSync(this.recordPath, prefix + text);
    this.batchLines = [];
    this.batchKeys = [];
    if (prefix) this.readRecordTail(); // the broken line is skipped, ours are known already
    else this.recordOffset = size + Buffer.byteLength(text);
  }

  /**
   * Runs fn with the record to ourselves: every fn queued while the lock is being taken runs in
   * one batch under one lock — the lock file, a re-read of what other processes appended, the
   * fns in order (each sees the deliveries of those before it), then one append of the batch's
   * lines. At a thousand sends a second the lock, the re-read and the append were most of the
   * simulator's time when each send took them alone. A send is answered only after its line is
   * written, as before.
   */
  withRecord(fn) {
    return new Promise((resolve, reject) => {
      this.waiting.push({ fn, resolve, reject });
      if (this.waiting.length === 1 && !this.batchRunning) this.queue = this.runBatches();
    });
  }

  async runBatches() {
    this.batchRunning = true;
    try {
      while (this.waiting.length > 0) {
        let lockErr = null;
        if (this.lockPath) {
          try {
            await acquireLock(this.lockPath, () => this.closed);
          } catch (e) {
            lockErr = e;
          }
        }
        const batch = this.waiting;
        this.waiting = [];
        if (lockErr) {
          for (const w of batch) w.reject(lockErr);
          continue;
        }
        const done = [];
        try {
          this.readRecordTail();
          for (const w of batch) {
            try {
              done.push([w, true, w.fn()]);
            } catch (e) {
              done.push([w, false, e]);
            }
          }
          this.flushRecord();
        } catch (e) {
          // The record could not be read or written: nobody of this batch was delivered.
          this.forgetBatch();
          for (const w of batch) w.reject(e);
          continue;
        } finally {
          if (this.lockPath) releaseLock(this.lockPath);
        }
        for (const [w, ok, v] of done) (ok ? w.resolve : w.reject)(v);
      }
    } finally {
      this.batchRunning = false;
    }
  }

  nextMessageId() {
    return Math.max(this.firstFreeId, this.maxId + 2, this.liveMaxId + 2);
  }

  // --- sessions -----------------------------------------------------------------------------

  readSessions() {
    if (!this.sessionsPath) return;
    let text;
    try {
      const st = fs.statSync(this.sessionsPath);
      if (st.size === this.sessionsSize) return;
      text = fs.readFileSync(this.sessionsPath, "utf8");
      this.sessionsSize = st.size;
    } catch (e) {
      if (e.code === "ENOENT") return;
      throw e;
    }
    for (const line of text.split("\n")) {
      try {
        const r = JSON.parse(line);
        if (r && typeof r.revoked === "string") this.revoked.add(r.revoked);
      } catch {
        // partial or foreign line
      }
    }
  }

  revoke(session) {
    this.revoked.add(session);
    if (this.sessionsPath) fs.appendFileSync(this.sessionsPath, JSON.stringify({ revoked: session, at: Date.now() }) + "\n");
  }

  /** Other live processes that have a client on session (from the shared clients file). */
  otherHolders(session) {
    if (!this.clientsPath) return [];
    let text = "";
    try {
      text = fs.readFileSync(this.clientsPath, "utf8");
    } catch (e) {
      if (e.code === "ENOENT") return [];
      throw e;
    }
    const on = new Map();
    for (const line of text.split("\n")) {
      try {
        const r = JSON.parse(line);
        if (r && r.session === session && Number.isInteger(r.pid)) on.set(r.pid, r.on === true);
      } catch {
        // partial or foreign line
      }
    }
    return [...on].filter(([pid, held]) => {
      if (!held || pid === process.pid) return false;
      try {
        process.kill(pid, 0);
        return true;
      } catch {
        return false; // that process is gone, and its connection with it
      }
    }).map(([pid]) => pid);
  }

  noteClient(session, on) {
    if (this.clientsPath && session) {
      fs.appendFileSync(this.clientsPath, JSON.stringify({ session, pid: process.pid, on, at: Date.now() }) + "\n");
    }
  }

  /** A client on session is about to connect here: refused when another process has one
   *  (after a short grace for a process that is just exiting, as after a crash). */
  async claimClient(account, session) {
    for (let i = 0; i < 30 && this.otherHolders(session).length; i++) await new Promise((r) => setTimeout(r, 100));
    if (this.otherHolders(session).length) {
      this.revoke(session);
      this.accounts.delete(account);
      throw new BridgeError("AUTH_KEY_DUPLICATED", "the session is in use by another connection");
    }
    this.noteClient(session, true);
  }

  /** The account's client goes away (stop, logout, a dead session, a new start). */
  dropClient(account) {
    const a = this.accounts.get(account);
    if (a && a.session && a.status === "connected") this.noteClient(a.session, false);
    this.accounts.delete(account);
  }

  sessionUsable(session) {
    const m = SESSION_RE.exec(session || "");
    if (!m || m[1] !== this.sc.me.id) return false;
    this.readSessions();
    return !this.revoked.has(session);
  }

  newSession() {
    return `sim1:${this.sc.me.id}:${crypto.randomBytes(16).toString("hex")}`;
  }

  // --- accounts and events ------------------------------------------------------------------

  meUser() {
    const me = this.sc.me;
    return { id: me.id, first_name: me.firstName, username: me.username };
  }

  /** The connected account, or NOT_STARTED; a session revoked meanwhile kills the account. */
  connected(account) {
    const a = this.accounts.get(account);
    if (!a || a.status !== "connected") throw new BridgeError("NOT_STARTED", `account ${account} has no connected client`);
    if (!this.sessionUsable(a.session)) throw this.sessionDied(account, "AUTH_KEY_UNREGISTERED");
    return a;
  }

  /** A dead-session error: the session is revoked, the client dropped, and C is told. */
  sessionDied(account, code, message) {
    const a = this.accounts.get(account);
    if (a && a.session && !this.revoked.has(a.session)) this.revoke(a.session);
    this.dropClient(account);
    this.onEvent({ event: "session_invalid", account, code });
    return new BridgeError(code, message || "the session is no longer valid");
  }

  /** Sends an event to every connected account (they are all sessions of the one simulated user). */
  emitAll(event) {
    for (const [account, a] of this.accounts) {
      if (a.status === "connected") this.onEvent({ event: event.event, account, ...event });
    }
  }

  later(seconds, fn) {
    if (this.closed) return;
    const t = setTimeout(() => {
      this.timers.delete(t);
      if (this.closed) return;
      try {
        fn();
      } catch (e) {
        this.log("sim: timer failed: " + oneLine(e.message));
      }
    }, Math.max(0, seconds * 1000));
    this.timers.add(t);
  }

  fromUser(u) {
    return {
      user_id: u.id, access_hash: u.accessHash, first_name: u.firstName, last_name: u.lastName,
      username: u.username, phone: u.phone,
    };
  }

  connectedNow(account) {
    const a = this.accounts.get(account);
    a.status = "connected";
    if (this.inboundScheduled) return;
    this.inboundScheduled = true;
    for (const m of this.sc.inbound) {
      this.later(m.afterSeconds, () => {
        const u = this.users.get(m.user);
        this.readRecordTail();
        const msg = { message_id: this.nextMessageId(), text: m.text, date: Math.floor(Date.now() / 1000), out: false };
        this.liveMaxId = msg.message_id;
        if (!this.live.has(u.id)) this.live.set(u.id, []);
        this.live.get(u.id).push(msg);
        this.dialogCache = null;
        this.emitAll({ event: "message", from: this.fromUser(u), message_id: msg.message_id, text: msg.text, date: msg.date });
      });
    }
  }

  // --- ops ----------------------------------------------------------------------------------

  async start({ account, session }) {
    const had = this.accounts.get(account);
    if (session === null || !had || had.session !== session) this.dropClient(account);
    if (session === null) return { status: "none" };
    if (!this.sessionUsable(session)) {
      this.accounts.delete(account);
      throw new BridgeError("AUTH_KEY_UNREGISTERED", "the session is not authorised");
    }
    if (!had || had.session !== session || had.status !== "connected") await this.claimClient(account, session);
    this.accounts.set(account, { status: "connected", session, uploads: new Map() });
    this.connectedNow(account);
    return { status: "connected", user: this.meUser() };
  }

  async send_code({ account, phone }) {
    if (!E164_RE.test(phone)) throw new BridgeError("PHONE_NUMBER_INVALID", "the phone number is not in E.164 form");
    const session = this.newSession();
    this.accounts.set(account, { status: "code_sent", session, uploads: new Map() });
    return { status: "code_sent", session };
  }

  async sign_in({ account, code, password }) {
    const a = this.accounts.get(account);
    if (!a || (a.status !== "code_sent" && a.status !== "password_needed")) {
      throw new BridgeError("PHONE_CODE_EXPIRED", "no login in progress for this account: send the code again");
    }
    const login = this.sc.login;
    if (a.status === "code_sent") {
      if (code === null) throw new BridgeError("PHONE_CODE_EMPTY", "the login code is missing");
      if (code.trim() !== login.code) throw new BridgeError("PHONE_CODE_INVALID", "the login code is wrong");
      if (login.password !== null) a.status = "password_needed";
    }
    if (a.status === "password_needed") {
      if (password === null) throw new BridgeError("SESSION_PASSWORD_NEEDED", "two-step verification is on: send the password");
      if (password !== login.password) throw new BridgeError("PASSWORD_HASH_INVALID", "the two-step password is wrong");
    }
    this.connectedNow(account);
    this.noteClient(a.session, true);
    return { status: "connected", session: a.session, user: this.meUser() };
  }

  /** Every user that has a dialog, with its newest message id, newest first. Kept until a
   *  delivery, a live message or a scripted reply's time changes it: a sync walks the list a page
   *  at a time, and building it for every page made a 100,000-dialog sync quadratic (minutes). */
  dialogList() {
    const now = Date.now();
    if (this.dialogCache && now < this.dialogCache.until) return this.dialogCache.list;
    let until = Infinity;
    for (const [id, sent] of this.outbox) {
      const u = this.users.get(id);
      if (!u || !u.reply) continue;
      for (const d of sent) {
        const due = d.at + u.reply.afterSeconds * 1000;
        if (due > now) until = Math.min(until, due);
      }
    }
    const list = [];
    const ids = new Set([...this.history.keys(), ...this.outbox.keys(), ...this.live.keys()]);
    for (const id of ids) {
      const u = this.users.get(id);
      if (!u) continue; // deliveries to ids not in this scenario (e.g. Saved Messages) have no dialog
      const msgs = this.messagesOf(u, now);
      if (msgs.length === 0) continue;
      list.push({ u, msgs, top: msgs[msgs.length - 1].message_id });
    }
    list.sort((a, b) => b.top - a.top);
    this.dialogCache = { list, until };
    return list;
  }

  /** A user's messages, oldest first: history, our deliveries, replies due by now, live inbound. */
  messagesOf(u, now) {
    const out = [...(this.history.get(u.id) || [])];
    for (const d of this.outbox.get(u.id) || []) {
      out.push({ message_id: d.message_id, text: d.text, date: d.date, out: true });
      if (u.reply && d.at + u.reply.afterSeconds * 1000 <= now) {
        const at = d.at + u.reply.afterSeconds * 1000;
        out.push({ message_id: d.message_id + 1, text: u.reply.text, date: Math.floor(at / 1000), out: false });
      }
    }
    out.push(...(this.live.get(u.id) || []));
    out.sort((a, b) => a.message_id - b.message_id);
    return out;
  }

  /** What the user has read: our history messages, deliveries past read_after_seconds, and
   *  everything before a message of theirs (answering means having seen it). */
  readOutboxMaxId(u, msgs, now) {
    let max = 0;
    let lastOut = 0;
    for (const m of msgs) {
      if (m.out) lastOut = m.message_id;
      else max = Math.max(max, lastOut);
    }
    for (const m of this.history.get(u.id) || []) if (m.out) max = Math.max(max, m.message_id);
    if (u.readAfterSeconds !== null) {
      for (const d of this.outbox.get(u.id) || []) {
        if (d.at + u.readAfterSeconds * 1000 <= now) max = Math.max(max, d.message_id);
      }
    }
    return max;
  }

  skipped(u) {
    return u.bot || u.deleted || u.id === this.sc.me.id || u.id === SERVICE_USER_ID;
  }

  async sync({ account, cursor, limit, minMessageId }) {
    this.connected(account);
    this.readRecordTail();
    let after = Infinity;
    if (cursor !== null) {
      const m = /^sim:(\d+)$/.exec(cursor);
      if (!m) throw new BridgeError("BAD_REQUEST", "cursor is not one this simulator gave out");
      after = Number(m[1]);
    }
    const now = Date.now();
    const list = this.dialogList();
    let from = 0; // the first dialog older than the cursor (the list is newest first)
    for (let hi = list.length; from < hi; ) {
      const mid = (from + hi) >> 1;
      if (list[mid].top < after) hi = mid;
      else from = mid + 1;
    }
    // Like GramJS, the page counts every dialog it walked, kept or skipped.
    const page = list.slice(from, from + limit);
    const dialogs = [];
    for (const { u, msgs } of page) {
      if (this.skipped(u)) continue;
      const min = minMessageId[u.id] ?? 0;
      dialogs.push({
        user_id: u.id, access_hash: u.accessHash, first_name: u.firstName, last_name: u.lastName,
        username: u.username, phone: u.phone,
        read_outbox_max_id: this.readOutboxMaxId(u, msgs, now),
        messages: msgs.filter((m) => m.message_id > min).slice(0, MAX_DIALOG_MESSAGES),
      });
    }
    const nextCursor = list.length - from > page.length ? `sim:${page[page.length - 1].top}` : null;
    return { dialogs, next_cursor: nextCursor };
  }

  /** The handle for a file, "uploading" it (checking it exists) once per account and path. */
  uploadOnce(a, filePath) {
    const known = a.uploads.get(filePath);
    if (known) return known;
    let st;
    try {
      st = fs.statSync(filePath);
    } catch {
      st = null;
    }
    if (!st || !st.isFile() || st.size === 0) throw new BridgeError("MEDIA_INVALID", "the media file does not exist or is empty");
    this.stats.uploads++;
    const handle = `sim-upload-${this.stats.uploads}`;
    a.uploads.set(filePath, handle);
    return handle;
  }

  /**
   * A frozen account (scenario `account_frozen_after`: that many deliveries by this process) is
   * read-only, as Telegram's are since 2025: every write fails with FROZEN_METHOD_INVALID until
   * the scenario is loaded again (a new bridge process); reads go on working.
   */
  checkFrozen() {
    if (this.sc.frozenAfter !== null && this.stats.delivered >= this.sc.frozenAfter) {
      throw new BridgeError("FROZEN_METHOD_INVALID", "the account is frozen (simulated); appeal through @SpamBot");
    }
  }

  async upload({ account, path: filePath }) {
    const a = this.connected(account);
    this.checkFrozen();
    return { handle: this.uploadOnce(a, filePath) };
  }

  async send({ account, peer, text, entities, media, randomId }) {
    const a = this.connected(account);
    this.checkFrozen();
    const attempt = ++this.stats.sendAttempts;
    const fault = this.sc.faults.get(attempt);
    if (fault) {
      if (fault.error === "TIMEOUT") return new Promise(() => {}); // never answers: the deadline does
      const message = `simulated fault on send #${attempt}`;
      if (DEAD_SESSION_CODES.has(fault.error)) throw this.sessionDied(account, fault.error, message);
      throw new BridgeError(fault.error, message, fault.error === "FLOOD_WAIT" ? fault.seconds ?? 1 : undefined);
    }
    let user = null;
    let userId = this.sc.me.id;
    if (!peer.self) {
      user = this.users.get(peer.userId);
      if (!user || user.accessHash !== peer.accessHash) throw new BridgeError("PEER_ID_INVALID", "no such user, or a wrong access hash");
      userId = user.id;
    }
    const outcome = await this.withRecord(() => {
      const earlier = this.delivered.get(`${userId} ${randomId}`);
      if (earlier) return { result: { message_id: earlier.message_id, date: earlier.date }, fresh: false };
      if (media) this.uploadOnce(a, media.path);
      if (user && user.error) return { error: user.error };
      if (user && user.deleted) return { error: "INPUT_USER_DEACTIVATED" };
      const at = Date.now();
      const rec = {
        user_id: userId, random_id: randomId, message_id: this.nextMessageId(), text, entities,
        media: media ? { path: media.path, mime: media.mime } : null, at,
      };
      this.appendRecord(rec);
      return { result: { message_id: rec.message_id, date: Math.floor(at / 1000) }, fresh: true };
    });
    if (outcome.error) {
      if (DEAD_SESSION_CODES.has(outcome.error)) throw this.sessionDied(account, outcome.error);
      throw new BridgeError(outcome.error, `sending to user ${userId} failed`);
    }
    if (outcome.fresh) this.stats.delivered++;
    if (outcome.fresh && user) this.afterDelivery(user, outcome.result.message_id, text, entities);
    return outcome.result;
  }

  /** The simulated recipient reads, replies and clicks, as its scenario entry says. */
  afterDelivery(u, messageId, text, entities) {
    if (u.readAfterSeconds !== null) {
      this.later(u.readAfterSeconds, () => this.emitAll({ event: "read", peer: u.id, max_id: messageId }));
    }
    if (u.reply) {
      this.later(u.reply.afterSeconds, () => this.emitAll({
        event: "message", from: this.fromUser(u), message_id: messageId + 1, text: u.reply.text,
        date: Math.floor(Date.now() / 1000),
      }));
    }
    if (u.clickAfterSeconds !== null) {
      const url = firstUrl(text, entities);
      if (url) this.later(u.clickAfterSeconds, () => this.click(url));
    }
  }

  /** One GET as a desktop browser would send it; redirects are not followed. */
  click(url) {
    let mod;
    try {
      mod = new URL(url).protocol === "https:" ? https : http;
    } catch {
      this.log("sim: click skipped: not a URL");
      return;
    }
    this.stats.clicks++;
    const req = mod.get(url, {
      agent: false,
      timeout: CLICK_TIMEOUT_MS,
      headers: {
        "User-Agent": CHROME_UA,
        Accept: "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8",
        "Accept-Language": "en-US,en;q=0.9",
      },
    });
    this.clicks.add(req);
    const done = () => this.clicks.delete(req);
    req.on("response", (res) => {
      res.resume();
      res.on("end", done);
      res.on("error", done);
    });
    req.on("timeout", () => req.destroy(new Error("click timed out")));
    req.on("error", (e) => {
      done();
      if (!this.closed) this.log("sim: click failed: " + (e.code || oneLine(e.message, 80)));
    });
  }

  async logout({ account }) {
    const a = this.connected(account);
    this.revoke(a.session);
    this.dropClient(account);
    return { status: "none" };
  }

  /** Another instance owns the account now: its client here goes. A login in progress stays: a
   *  login takes the account to this instance (DECISIONS 33), and a stop queued before it — the
   *  lease round of a logout — must not cancel it (the code would be "expired"). */
  async stop({ account }) {
    const a = this.accounts.get(account);
    if (a && (a.status === "code_sent" || a.status === "password_needed")) return { status: a.status };
    this.dropClient(account);
    return { status: "stopped" };
  }

  async close() {
    this.closed = true;
    for (const account of [...this.accounts.keys()]) this.dropClient(account);
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    for (const r of this.clicks) r.destroy();
    this.clicks.clear();
    this.accounts.clear();
    await this.queue;
  }
}
