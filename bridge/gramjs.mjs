// gramjs.mjs — the real Telegram backend, a thin adapter over GramJS (npm `telegram` 2.26.22).
//
// Owns: one TelegramClient per tgr account (StringSession, silent logger, no automatic flood
// sleeping, our own deadline around every call), the two-step login (sendCode → pending session
// → auth.SignIn → account.GetPassword + auth.CheckPassword when two-step verification is on),
// sync over iterDialogs/iterMessages with the protocol's skips and an opaque cursor, sends that
// carry the caller's random_id (so a retry is never a second message), uploads done once per
// file, live events (NewMessage, UpdateReadHistoryOutbox), a periodic getMe that detects a dead
// session, and tearing every client down with destroy().
// It decides nothing about what to send: see shared/GRAMJS.md for the library facts it relies
// on. Session strings, codes, passwords, phones and texts are never logged.

import fs from "node:fs";
import path from "node:path";
import { TelegramClient, Api, Logger, helpers, utils } from "telegram";
import { StringSession } from "telegram/sessions/index.js";
import { LogLevel } from "telegram/extensions/Logger.js";
import { computeCheck as gramjsComputeCheck } from "telegram/Password.js";
import { NewMessage, Raw } from "telegram/events/index.js";
import { CustomFile } from "telegram/client/uploads.js";
import { MTProtoSender } from "telegram/network/MTProtoSender.js";
import { BridgeError, DEAD_SESSION_CODES, E164_RE, mapError } from "./protocol.mjs";
import { testDcFromEnv, testDcOptions } from "./testdc.mjs";

export const CONNECT_TIMEOUT_MS = 20000;
export const CALL_TIMEOUT_MS = 25000;
export const UPLOAD_TIMEOUT_MS = 600000;
export const HEALTH_INTERVAL_MS = 60000;
export const HEALTH_FAILS_BEFORE_RECONNECT = 3;
const DESTROY_TIMEOUT_MS = 5000;
const SYNC_MARGIN_MS = 3000; // stop a sync page this long before the request's deadline
const MAX_DIALOG_MESSAGES = 100;
const MAX_PINNED = 200;
const SERVICE_USER_ID = "777000";
const PHOTO_MIMES = new Set(["image/jpeg", "image/png"]);
const STALE_MEDIA = /^(FILE_REFERENCE_|FILE_PART|FILE_PARTS_INVALID|MEDIA_EMPTY)/;

// Telegram answers a message under a key it does not know (the session is gone) with the
// transport error -404. GramJS then only emits a "broken" connection state, which reaches no
// handler while its own getMe waits on the dead key, and every call waits for ever. Its client
// gets told instead (GramjsBackend.newAccount turns it into AUTH_KEY_UNREGISTERED).
const gramjsBadAuthKey = MTProtoSender.prototype._handleBadAuthKey;
MTProtoSender.prototype._handleBadAuthKey = function badAuthKey(shouldSkipForMain = false) {
  if (!shouldSkipForMain && this._isMainSender) this._client?.tgrKeyUnknown?.();
  return gramjsBadAuthKey.call(this, shouldSkipForMain);
};

/** Reads TG_API_ID / TG_API_HASH (and the test-only TGR_GRAMJS_TEST_DC, see testdc.mjs);
 *  throws an Error saying what is missing or refused. */
export function configFromEnv(env) {
  const testDc = testDcFromEnv(env);
  const apiId = Number(env.TG_API_ID);
  if (!env.TG_API_ID || !Number.isSafeInteger(apiId) || apiId <= 0) {
    throw new Error("TG_API_ID must be set to the numeric api_id of your Telegram application (my.telegram.org)");
  }
  const apiHash = env.TG_API_HASH || "";
  if (!/^[0-9a-fA-F]{32}$/.test(apiHash)) {
    throw new Error("TG_API_HASH must be set to the 32-hex-digit api_hash of your Telegram application (my.telegram.org)");
  }
  return testDc ? { apiId, apiHash, testDc } : { apiId, apiHash };
}

/** Settles like `promise`, or rejects with Error("TIMEOUT") after `ms`. */
export function withTimeout(promise, ms, what = "call") {
  let timer;
  const limit = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`TIMEOUT: ${what} took longer than ${ms} ms`)), ms);
  });
  return Promise.race([Promise.resolve(promise), limit]).finally(() => clearTimeout(timer));
}

const big = (s) => helpers.returnBigInt(s);
const str = (v) => (v === undefined || v === null ? null : v.toString());

/** Protocol entities → GramJS MessageEntity objects (offsets/lengths are UTF-16 units already). */
export function toEntities(entities) {
  return entities.map((e) => {
    const at = { offset: e.offset, length: e.length };
    switch (e.type) {
      case "bold": return new Api.MessageEntityBold(at);
      case "italic": return new Api.MessageEntityItalic(at);
      case "underline": return new Api.MessageEntityUnderline(at);
      case "strikethrough": return new Api.MessageEntityStrike(at);
      case "code": return new Api.MessageEntityCode(at);
      case "pre": return new Api.MessageEntityPre({ ...at, language: e.language || "" });
      case "text_url": return new Api.MessageEntityTextUrl({ ...at, url: e.url });
      default: throw new BridgeError("BAD_REQUEST", `unknown entity type ${e.type}`);
    }
  });
}

const EXTENSIONS = {
  "image/jpeg": "jpg", "image/png": "png", "image/gif": "gif", "image/webp": "webp", "video/mp4": "mp4",
  "video/quicktime": "mov", "video/webm": "webm", "application/pdf": "pdf",
};

/** The name Telegram shows for a file: tgr stores media under its hash without an extension,
 *  so one is added from the MIME type (recipients saw "e8104ac2…" for a video). */
export function fileName(media) {
  const base = path.basename(media.path);
  const ext = EXTENSIONS[media.mime];
  return ext && !path.extname(base) ? `${base}.${ext}` : base;
}

/** The InputMedia for a freshly uploaded file. */
export function uploadedMedia(inputFile, media) {
  if (PHOTO_MIMES.has(media.mime)) return new Api.InputMediaUploadedPhoto({ file: inputFile });
  const attributes = [new Api.DocumentAttributeFilename({ fileName: fileName(media) })];
  // GramJS's own metadata reader returns placeholders, so a video is marked as one only when the
  // caller passed its real duration and size.
  if (media.mime.startsWith("video/") && media.duration !== undefined && media.width && media.height) {
    attributes.push(new Api.DocumentAttributeVideo({
      duration: media.duration, w: Math.round(media.width), h: Math.round(media.height), supportsStreaming: true,
    }));
  }
  return new Api.InputMediaUploadedDocument({ file: inputFile, mimeType: media.mime, attributes });
}

/** The message a send produced: UpdateShortSentMessage, or the UpdateMessageID with our randomId. */
export function sentMessageOf(result, randomId) {
  if (result instanceof Api.UpdateShortSentMessage) return { id: result.id, date: result.date, media: result.media };
  const updates = result && Array.isArray(result.updates) ? result.updates : [];
  const rid = randomId.toString();
  const idUpdate = updates.find((u) => u instanceof Api.UpdateMessageID && str(u.randomId) === rid);
  const news = updates
    .filter((u) => u instanceof Api.UpdateNewMessage || u instanceof Api.UpdateNewChannelMessage)
    .map((u) => u.message)
    .filter(Boolean);
  const msg = idUpdate ? news.find((m) => m.id === idUpdate.id) : news[0];
  const id = idUpdate ? idUpdate.id : msg && msg.id;
  if (!id) throw new BridgeError("INTERNAL", `Telegram answered the send with ${result && result.className} and no message id`);
  return { id, date: (msg && msg.date) || result.date || Math.floor(Date.now() / 1000), media: msg && msg.media };
}

/** The fields of a user as the protocol names them. */
export function userFields(u) {
  return {
    user_id: u.id.toString(),
    access_hash: str(u.accessHash),
    first_name: u.firstName ?? null,
    last_name: u.lastName ?? null,
    username: u.username ?? null,
    phone: u.phone ?? null,
  };
}

/** The account's own user as `start` and `sign_in` report it. */
function meFields(me) {
  return { id: str(me.id), first_name: me.firstName ?? null, username: me.username ?? null };
}

/** Private chats with real people only: no bots, not ourselves, no deleted accounts, not 777000. */
export function isCustomer(u) {
  return u instanceof Api.User && !u.bot && !u.self && !u.deleted && u.id.toString() !== SERVICE_USER_ID;
}

// The sync cursor: where the next page starts (folder 0 = main list, 1 = archive; pinned first).
function encodePeer(p) {
  if (p instanceof Api.InputPeerUser) return { t: "u", id: str(p.userId), h: str(p.accessHash) };
  if (p instanceof Api.InputPeerChat) return { t: "c", id: str(p.chatId) };
  if (p instanceof Api.InputPeerChannel) return { t: "ch", id: str(p.channelId), h: str(p.accessHash) };
  if (p instanceof Api.InputPeerSelf) return { t: "s" };
  return { t: "e" };
}

function decodePeer(p) {
  switch (p && p.t) {
    case "u": return new Api.InputPeerUser({ userId: big(p.id), accessHash: big(p.h) });
    case "c": return new Api.InputPeerChat({ chatId: big(p.id) });
    case "ch": return new Api.InputPeerChannel({ channelId: big(p.id), accessHash: big(p.h) });
    case "s": return new Api.InputPeerSelf();
    default: return new Api.InputPeerEmpty();
  }
}

export function encodeCursor(c) {
  return "g1." + Buffer.from(JSON.stringify(c)).toString("base64url");
}

/** null (first page) or a cursor of ours → { f: folder, ph: "p" (pinned) | "r" (rest), d, i, p }. */
export function decodeCursor(s) {
  if (s === null) return { f: 0, ph: "p" };
  try {
    if (!s.startsWith("g1.")) throw new Error("prefix");
    const c = JSON.parse(Buffer.from(s.slice(3), "base64url").toString("utf8"));
    const intOrAbsent = (v) => v === undefined || Number.isSafeInteger(v);
    if ((c.f !== 0 && c.f !== 1) || (c.ph !== "p" && c.ph !== "r") || !intOrAbsent(c.d) || !intOrAbsent(c.i)) {
      throw new Error("shape");
    }
    return c;
  } catch {
    throw new BridgeError("BAD_REQUEST", "cursor is not one this bridge gave out");
  }
}

export class GramjsBackend {
  /**
   * @param {object} o
   * @param {number} o.apiId
   * @param {string} o.apiHash
   * @param {(msg: string) => void} [o.log]
   * @param {(session: StringSession) => TelegramClient} [o.clientFactory]  tests replace the client
   * @param {Function} [o.computeCheck]                                      and the SRP computation
   * @param {{host: string, port: number}} [o.testDc]  TEST MODE ONLY: the loopback MTProto server
   */
  constructor({ apiId, apiHash, log = () => {}, clientFactory, computeCheck, healthIntervalMs = HEALTH_INTERVAL_MS, testDc = null }) {
    this.name = "gramjs";
    this.onEvent = () => {};
    this.apiId = apiId;
    this.apiHash = apiHash;
    this.log = log;
    this.computeCheck = computeCheck || gramjsComputeCheck;
    this.healthIntervalMs = healthIntervalMs;
    this.testDc = testDc && testDcOptions(testDc);
    if (this.testDc) log(`TEST MODE: Telegram is the loopback MTProto server at ${testDc.host}:${testDc.port}`);
    this.clientFactory = clientFactory || ((session) => new TelegramClient(session, apiId, apiHash, {
      ...this.testDc?.clientParams,
      baseLogger: new Logger(LogLevel.NONE), // GramJS logs to stdout otherwise
      floodSleepThreshold: 0, // every FloodWait reaches the engine
      connectionRetries: 3, // the default (Infinity) would keep connect() looping after our deadline
      retryDelay: 1000,
      autoReconnect: true,
      deviceModel: "tgr",
      appVersion: "tgr-bridge 0.1",
    }));
    this.accounts = new Map(); // tgr account id → Account (see newAccount)
    this.starting = new Map(); // tgr account id → { session, promise } of a start in progress
    this.uploadSeq = 0;
  }

  newClient(sessionString) {
    let session;
    try {
      session = new StringSession(sessionString || "");
    } catch {
      throw new BridgeError("AUTH_KEY_UNREGISTERED", "the stored session is not a GramJS session string");
    }
    this.testDc?.place(session);
    return this.clientFactory(session);
  }

  newAccount(account, client) {
    const a = {
      account, client, status: "connecting", session: null, phone: null, phoneCodeHash: null,
      uploads: new Map(), health: null, healthFails: 0, checking: false, meId: null, gone: null, kill: null,
    };
    // Settles (rejects) when the client is dropped: GramJS's connect() never settles once
    // destroy() ran in the middle of it, so whoever waits on it races this.
    a.gone = new Promise((_, reject) => {
      a.kill = (err) => reject(err || new BridgeError("NETWORK", "the Telegram client was replaced or stopped"));
    });
    a.gone.catch(() => {});
    client.tgrKeyUnknown = () => {
      const code = "AUTH_KEY_UNREGISTERED";
      a.kill(new BridgeError(code, "Telegram does not know this session's key (-404)"));
      if (a.status === "connected") this.sessionDied(account, a, code);
    };
    // GramJS reports every failed (re)connect attempt here: one line a minute is enough.
    let lastReport = 0;
    let unreported = 0;
    client.onError = (err) => {
      if (Date.now() - lastReport < 60000) {
        unreported++;
        return;
      }
      const more = unreported ? ` (and ${unreported} more since the last report)` : "";
      this.log(`account ${account}: client error ${mapError(err).code}${more}`);
      lastReport = Date.now();
      unreported = 0;
    };
    this.accounts.set(account, a);
    return a;
  }

  call(promise, ms = CALL_TIMEOUT_MS, what = "Telegram call") {
    return withTimeout(promise, ms, what);
  }

  /** A call on a's client that also ends when a is dropped (see newAccount). */
  callOn(a, promise, ms = CALL_TIMEOUT_MS, what = "Telegram call") {
    return this.call(Promise.race([promise, a.gone]), ms, what);
  }

  async connect(a) {
    const ok = await this.callOn(a, a.client.connect(), CONNECT_TIMEOUT_MS, "connect");
    // connect() answers false when it gave up; later invokes would then wait forever.
    if (ok === false) throw new BridgeError("NETWORK", "could not connect to Telegram");
  }

  /** Stops and forgets a client (only `a`, if given, so a newer client is left alone). */
  async drop(account, a = this.accounts.get(account)) {
    if (!a) return;
    if (this.accounts.get(account) === a) this.accounts.delete(account);
    a.status = "dropped";
    a.kill();
    clearInterval(a.health);
    a.health = null;
    try {
      await withTimeout(a.client.destroy(), DESTROY_TIMEOUT_MS, "destroy");
    } catch (e) {
      this.log(`account ${account}: destroy failed (${mapError(e).code})`);
    }
  }

  connected(account) {
    const a = this.accounts.get(account);
    if (!a || a.status !== "connected") throw new BridgeError("NOT_STARTED", `account ${account} has no connected client`);
    return a;
  }

  /** Runs an op on a connected client; a dead-session error also tells C through an event. */
  async guarded(account, a, fn) {
    try {
      return await fn();
    } catch (e) {
      const { code } = mapError(e);
      if (DEAD_SESSION_CODES.has(code)) await this.sessionDied(account, a, code);
      throw e;
    }
  }

  async sessionDied(account, a, code) {
    if (a.status === "dropped") return;
    this.log(`account ${account}: session is dead (${code})`);
    await this.drop(account, a);
    this.onEvent({ event: "session_invalid", account, code });
  }

  /** The client is logged in: listen for messages and read receipts, and watch its health. */
  onConnected(account, a, me) {
    a.status = "connected";
    a.meId = str(me.id);
    a.client.addEventHandler((ev) => this.onNewMessage(account, a, ev), new NewMessage({ incoming: true }));
    a.client.addEventHandler((u) => this.onReadOutbox(account, a, u), new Raw({ types: [Api.UpdateReadHistoryOutbox] }));
    a.health = setInterval(() => this.healthCheck(account, a), this.healthIntervalMs);
    a.health.unref?.();
    return meFields(me);
  }

  async onNewMessage(account, a, ev) {
    if (this.accounts.get(account) !== a || a.status !== "connected") return;
    const m = ev.message;
    if (!m || m.out || !(m.peerId instanceof Api.PeerUser)) return;
    const userId = str(m.peerId.userId);
    if (userId === SERVICE_USER_ID || userId === a.meId) return;
    let sender = m.sender;
    const input = m.inputSender;
    if (!(sender instanceof Api.User) && input instanceof Api.InputPeerUser) {
      // updateShortMessage carries no user, only its id (GramJS knows the access hash when it
      // has seen the user before): ask Telegram, so that a name is never reported missing
      // and a bot's message is not taken for a customer's.
      try {
        const [u] = await this.callOn(a, a.client.invoke(new Api.users.GetUsers({
          id: [new Api.InputUser({ userId: input.userId, accessHash: input.accessHash })],
        })), CALL_TIMEOUT_MS, "getUsers");
        if (u instanceof Api.User) sender = u;
      } catch (e) {
        this.log(`account ${account}: the sender of message ${m.id} could not be looked up (${mapError(e).code})`);
      }
    }
    let from;
    if (sender instanceof Api.User) {
      if (!isCustomer(sender)) return;
      from = userFields(sender);
    } else {
      // Nothing known but the id: C fills the rest from its store or the next sync.
      from = {
        user_id: userId, access_hash: input instanceof Api.InputPeerUser ? str(input.accessHash) : null,
        first_name: null, last_name: null, username: null, phone: null,
      };
    }
    if (this.accounts.get(account) !== a || a.status !== "connected") return;
    this.onEvent({ event: "message", account, from, message_id: m.id, text: m.message ?? "", date: m.date });
  }

  onReadOutbox(account, a, u) {
    if (this.accounts.get(account) !== a || a.status !== "connected") return;
    if (!(u.peer instanceof Api.PeerUser)) return;
    this.onEvent({ event: "read", account, peer: str(u.peer.userId), max_id: u.maxId });
  }

  /** getMe now and then: keeps updates flowing, detects dead sessions, rebuilds a stuck client. */
  async healthCheck(account, a) {
    if (a.checking || a.status !== "connected") return;
    a.checking = true;
    try {
      await this.callOn(a, a.client.getMe(), CALL_TIMEOUT_MS, "getMe");
      a.healthFails = 0;
      // MemorySession keeps every entity of every response; we address users by access hash.
      a.client.session?._entities?.clear?.();
    } catch (e) {
      const { code } = mapError(e);
      if (DEAD_SESSION_CODES.has(code)) return await this.sessionDied(account, a, code);
      a.healthFails++;
      this.log(`account ${account}: health check failed (${code}), ${a.healthFails} in a row`);
      if (a.healthFails >= HEALTH_FAILS_BEFORE_RECONNECT && this.accounts.get(account) === a) {
        this.log(`account ${account}: rebuilding the client`);
        try {
          await this.start({ account, session: a.session, fresh: true });
        } catch (err) {
          const c = mapError(err).code;
          if (DEAD_SESSION_CODES.has(c)) this.onEvent({ event: "session_invalid", account, code: c });
          else this.log(`account ${account}: reconnect failed (${c}); the next request answers NOT_STARTED`);
        }
      }
    } finally {
      a.checking = false;
    }
  }

  // --- ops ----------------------------------------------------------------------------------

  /**
   * Starts the account's client on `session`. A client already connected on that session is
   * checked with getMe and kept (as the simulator keeps it): replacing it would cut the calls in
   * flight on it, such as the sync that follows sign_in, which the C side asks for at the same
   * moment. A start of the same session while one is still connecting shares its outcome.
   * `fresh` (the health check's rebuild) always replaces the client.
   */
  start({ account, session, fresh = false }) {
    const inflight = this.starting.get(account);
    if (inflight && inflight.session === session && !fresh) return inflight.promise;
    const entry = { session, promise: this.startNow(account, session, fresh) };
    this.starting.set(account, entry);
    const forget = () => {
      if (this.starting.get(account) === entry) this.starting.delete(account);
    };
    entry.promise.then(forget, forget);
    return entry.promise;
  }

  async startNow(account, session, fresh) {
    const had = this.accounts.get(account);
    if (!fresh && session !== null && had && had.session === session && had.status === "connected") {
      try {
        const me = await this.callOn(had, had.client.getMe(), CALL_TIMEOUT_MS, "getMe");
        if (me instanceof Api.User) return { status: "connected", user: meFields(me) };
      } catch (e) {
        const { code } = mapError(e);
        if (DEAD_SESSION_CODES.has(code)) {
          await this.drop(account, had);
          throw e;
        }
        this.log(`account ${account}: the connected client failed getMe (${code}); starting a new one`);
      }
    }
    await this.drop(account);
    if (session === null) return { status: "none" };
    const a = this.newAccount(account, this.newClient(session));
    a.session = session;
    try {
      await this.connect(a);
      const me = await this.callOn(a, a.client.getMe(), CALL_TIMEOUT_MS, "getMe");
      if (!(me instanceof Api.User)) throw new BridgeError("AUTH_KEY_UNREGISTERED", "the session is not logged in");
      return { status: "connected", user: this.onConnected(account, a, me) };
    } catch (e) {
      await this.drop(account, a);
      throw e;
    }
  }

  async send_code({ account, phone }) {
    if (!E164_RE.test(phone)) throw new BridgeError("PHONE_NUMBER_INVALID", "the phone number is not in E.164 form");
    await this.drop(account);
    const a = this.newAccount(account, this.newClient(""));
    try {
      await this.connect(a);
      const { phoneCodeHash } = await this.callOn(a, a.client.sendCode({ apiId: this.apiId, apiHash: this.apiHash }, phone));
      a.phone = phone;
      a.phoneCodeHash = phoneCodeHash;
      a.status = "code_sent";
      // SignIn must use this auth key: C stores the pending session.
      a.session = a.client.session.save();
      return { status: "code_sent", session: a.session };
    } catch (e) {
      await this.drop(account, a);
      throw e;
    }
  }

  async sign_in({ account, code, password }) {
    const a = this.accounts.get(account);
    if (!a || (a.status !== "code_sent" && a.status !== "password_needed")) {
      throw new BridgeError("PHONE_CODE_EXPIRED", "no login in progress for this account: send the code again");
    }
    let user = null;
    if (a.status === "code_sent") {
      if (code === null) throw new BridgeError("PHONE_CODE_EMPTY", "the login code is missing");
      try {
        const r = await this.callOn(a, a.client.invoke(new Api.auth.SignIn({
          phoneNumber: a.phone, phoneCodeHash: a.phoneCodeHash, phoneCode: code.trim(),
        })));
        if (r instanceof Api.auth.AuthorizationSignUpRequired) {
          throw new BridgeError("PHONE_NUMBER_UNOCCUPIED", "no Telegram account uses this phone number");
        }
        user = r.user;
      } catch (e) {
        if (mapError(e).code !== "SESSION_PASSWORD_NEEDED") throw e;
        a.status = "password_needed";
      }
    }
    if (!user) {
      if (password === null) throw new BridgeError("SESSION_PASSWORD_NEEDED", "two-step verification is on: send the password");
      // Not signInWithPassword: it loops on its callback and hides the real error.
      const srp = await this.callOn(a, a.client.invoke(new Api.account.GetPassword()));
      const check = await this.computeCheck(srp, password);
      const r = await this.callOn(a, a.client.invoke(new Api.auth.CheckPassword({ password: check })));
      user = r.user;
    }
    a.session = a.client.session.save();
    return { status: "connected", session: a.session, user: this.onConnected(account, a, user) };
  }

  /**
   * One page of private chats. The walk goes: pinned dialogs of the main list, the rest of the
   * main list, then the same for the archive (folder 1); the cursor says where it stopped.
   * `limit` counts every dialog walked (groups, channels and bots too), so a page may hold
   * fewer dialogs than that, even none, while next_cursor is not null. A page also ends early
   * near the request's deadline, since every dialog costs one history request.
   */
  async sync({ account, cursor, limit, minMessageId }, ctx = {}) {
    const a = this.connected(account);
    let pos = decodeCursor(cursor);
    const budgetEnd = (ctx.deadline ?? Date.now() + CALL_TIMEOUT_MS) - SYNC_MARGIN_MS;
    return this.guarded(account, a, async () => {
      const dialogs = [];
      let walked = 0;
      const take = async (d) => {
        if (isCustomer(d.entity)) dialogs.push(await this.dialogOf(a, d, minMessageId));
        walked++;
      };
      try {
        while (pos !== null) {
          if (walked > 0 && (walked >= limit || Date.now() > budgetEnd)) break;
          if (pos.ph === "p") {
            // Pinned dialogs come first in an unfiltered listing, and only there.
            const iter = a.client.iterDialogs({ folder: pos.f, limit: MAX_PINNED })[Symbol.asyncIterator]();
            for (;;) {
              const step = await this.callOn(a, iter.next(), CALL_TIMEOUT_MS, "dialogs");
              if (step.done || !step.value.pinned) break;
              await take(step.value);
            }
            pos = { f: pos.f, ph: "r" };
            continue;
          }
          const iter = a.client.iterDialogs({
            folder: pos.f,
            limit: limit - walked,
            ignorePinned: true,
            offsetDate: pos.d,
            offsetId: pos.i ?? 0,
            offsetPeer: pos.p ? decodePeer(pos.p) : new Api.InputPeerEmpty(),
          })[Symbol.asyncIterator]();
          let cut = false;
          for (;;) {
            if (walked > 0 && Date.now() > budgetEnd) {
              cut = true;
              break;
            }
            const step = await this.callOn(a, iter.next(), CALL_TIMEOUT_MS, "dialogs");
            if (step.done) break;
            const d = step.value;
            await take(d);
            pos = { f: pos.f, ph: "r", d: d.date ?? 0, i: d.message ? d.message.id : 0, p: encodePeer(d.inputEntity) };
          }
          if (cut || walked >= limit) break; // more may follow: resume from pos
          pos = pos.f === 0 ? { f: 1, ph: "p" } : null; // main list done: the archive next
        }
      } catch (e) {
        // Keep the page so far (C asks again from the cursor); fail only when there is nothing.
        if (dialogs.length === 0) throw e;
        this.log(`account ${account}: sync page cut short (${mapError(e).code})`);
      }
      return { dialogs, next_cursor: pos && encodeCursor(pos) };
    });
  }

  async dialogOf(a, d, minMessageId) {
    const u = d.entity;
    const fields = userFields(u);
    const messages = [];
    const iter = a.client.iterMessages(d.inputEntity, {
      limit: MAX_DIALOG_MESSAGES, reverse: true, minId: minMessageId[fields.user_id] ?? 0,
    })[Symbol.asyncIterator]();
    for (;;) {
      const step = await this.callOn(a, iter.next(), CALL_TIMEOUT_MS, "messages");
      if (step.done) break;
      const m = step.value;
      if (!(m instanceof Api.Message)) continue; // service messages (calls, pins) carry no text
      messages.push({ message_id: m.id, text: m.message ?? "", date: m.date, out: !!m.out });
    }
    return { ...fields, read_outbox_max_id: d.dialog.readOutboxMaxId ?? 0, messages };
  }

  /** Uploads a file once per client; concurrent callers share the one upload. */
  uploadOnce(a, media) {
    let up = a.uploads.get(media.path);
    if (up) return up;
    up = (async () => {
      let st;
      try {
        st = await fs.promises.stat(media.path);
      } catch {
        st = null;
      }
      if (!st || !st.isFile() || st.size === 0) throw new BridgeError("MEDIA_INVALID", "the media file does not exist or is empty");
      const file = new CustomFile(fileName(media), st.size, media.path);
      const inputFile = await this.callOn(a, a.client.uploadFile({ file, workers: 1 }), UPLOAD_TIMEOUT_MS, "upload");
      return { handle: `gramjs-upload-${++this.uploadSeq}`, inputFile, reuse: null };
    })();
    a.uploads.set(media.path, up);
    up.catch(() => {
      if (a.uploads.get(media.path) === up) a.uploads.delete(media.path);
    });
    return up;
  }

  async upload({ account, path: filePath, mime, ...hints }) {
    const a = this.connected(account);
    return this.guarded(account, a, async () => ({ handle: (await this.uploadOnce(a, { path: filePath, mime, ...hints })).handle }));
  }

  async send({ account, peer, text, entities, media, randomId }) {
    const a = this.connected(account);
    const inputPeer = peer.self
      ? new Api.InputPeerSelf()
      : new Api.InputPeerUser({ userId: big(peer.userId), accessHash: big(peer.accessHash) });
    const ents = entities.length ? toEntities(entities) : undefined;
    const rid = big(randomId); // the caller's id: Telegram answers a repeat with the first message
    return this.guarded(account, a, async () => {
      if (!media) {
        const r = await this.callOn(a, a.client.invoke(new Api.messages.SendMessage({
          peer: inputPeer, message: text, entities: ents, noWebpage: true, randomId: rid,
        })));
        const sent = sentMessageOf(r, rid);
        return { message_id: sent.id, date: sent.date };
      }
      for (let attempt = 0; ; attempt++) {
        const up = await this.uploadOnce(a, media);
        try {
          const r = await this.callOn(a, a.client.invoke(new Api.messages.SendMedia({
            peer: inputPeer, media: up.reuse || uploadedMedia(up.inputFile, media), message: text, entities: ents, randomId: rid,
          })));
          const sent = sentMessageOf(r, rid);
          if (!up.reuse && sent.media) {
            try {
              up.reuse = utils.getInputMedia(sent.media); // later sends point at the stored file
            } catch {
              // keep sending the uploaded file
            }
          }
          return { message_id: sent.id, date: sent.date };
        } catch (e) {
          // Uploaded parts and file references expire: upload again, once.
          if (attempt > 0 || !STALE_MEDIA.test(mapError(e).code)) throw e;
          a.uploads.delete(media.path);
        }
      }
    });
  }

  async logout({ account }) {
    const a = this.connected(account);
    try {
      await this.callOn(a, a.client.invoke(new Api.auth.LogOut()));
    } catch (e) {
      if (!DEAD_SESSION_CODES.has(mapError(e).code)) throw e; // already dead is as good as logged out
    }
    await this.drop(account, a);
    return { status: "none" };
  }

  /** Another instance owns the account now: its client here goes — but not a login in progress,
   *  which takes the account to this instance (sim.mjs's stop says why). */
  async stop({ account }) {
    const a = this.accounts.get(account);
    if (a && (a.status === "code_sent" || a.status === "password_needed")) return { status: a.status };
    await this.drop(account);
    return { status: "stopped" };
  }

  async close() {
    await Promise.all([...this.accounts.keys()].map((account) => this.drop(account)));
  }
}
