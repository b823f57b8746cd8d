// telegram.mjs — what the loopback Telegram answers: the API methods tgr's bridge uses, driven
// by a simulator scenario (bridge/sim.mjs's format) and writing the simulator's delivery record.
//
// Owns: login (auth.sendCode with PHONE_MIGRATE to another loopback DC when the scenario says
// so, auth.signIn, account.getPassword + auth.checkPassword with real SRP-2048 verified here),
// authorisation of auth keys and their death (logout, dead-session faults), help.getConfig with
// the loopback DC list, users.getUsers, updates.getState, messages.getDialogs and getHistory
// with Telegram's offset rules, messages.sendMessage and sendMedia with random_id deduplication
// (the same random_id to the same user returns the first message, across processes through the
// record), upload.saveFilePart / saveBigFilePart with the parts checked when a file is used,
// scenario faults and per-user errors as RPC errors with Telegram's codes, and the scenario's
// effects (replies, read receipts, inbound messages) pushed to the clients as updates.
//
// The scenario state — users, history message ids, the record with its lock, reply and read
// rules, link clicks — is a SimBackend instance, so both backends read and write one format.
// Wire-only scenario additions (the simulator ignores them): `wire.phone_dc` (the DC that owns
// the account's phone: login on another DC answers PHONE_MIGRATE_<dc>), and fault errors
// `DROP` (deliver, then close the TCP connection instead of answering) and `TIMEOUT` (as in the
// simulator: no answer, nothing delivered).

import crypto from "node:crypto";
import fs from "node:fs";
import { Api, bigInt, beBytes, beNumber, modPow, sha256, DH_PRIME, DH_G, RpcFailure, NO_ANSWER, DROP_CONNECTION } from "./mtproto.mjs";

const { SimBackend, SERVICE_USER_ID } = await import("../../bridge/sim.mjs");

const big = (v) => bigInt(String(v));
const now = () => Math.floor(Date.now() / 1000);
const MAX_PART = 512 * 1024;

/** Telegram's error numbers for the names a scenario may use. */
export function errorCode(name) {
  if (/^(FLOOD_(PREMIUM_|TEST_PHONE_)?WAIT|SLOWMODE_WAIT)(_\d+)?$|^FROZEN_METHOD_INVALID$/.test(name)) return 420;
  if (/^(AUTH_KEY_UNREGISTERED|AUTH_KEY_INVALID|AUTH_KEY_PERM_EMPTY|SESSION_REVOKED|SESSION_EXPIRED|USER_DEACTIVATED|USER_DEACTIVATED_BAN|SESSION_PASSWORD_NEEDED)$/.test(name)) return 401;
  if (/^(USER_PRIVACY_RESTRICTED|CHAT_WRITE_FORBIDDEN|PRIVACY_PREMIUM_REQUIRED|ALLOW_PAYMENT_REQUIRED_\d+)$/.test(name)) return 403;
  if (/^(AUTH_KEY_DUPLICATED|ALLOW_PAYMENT_REQUIRED)$/.test(name)) return 406;
  if (/^(RPC_CALL_FAIL|RPC_MCGET_FAIL|WORKER_BUSY_TOO_LONG_RETRY|INTERNAL)$/.test(name)) return 500;
  if (/_MIGRATE_\d+$/.test(name)) return 303;
  return 400;
}

const DEAD_CODES = new Set([
  "AUTH_KEY_UNREGISTERED", "AUTH_KEY_INVALID", "AUTH_KEY_PERM_EMPTY", "SESSION_REVOKED", "SESSION_EXPIRED",
  "USER_DEACTIVATED", "USER_DEACTIVATED_BAN", "AUTH_KEY_DUPLICATED",
]);

function fail(name) {
  return new RpcFailure(errorCode(name), name);
}

/** A scenario error name as Telegram sends it: a FLOOD_WAIT without seconds waits 1 s. */
function wireName(name, seconds) {
  if (/^(FLOOD_WAIT|FLOOD_PREMIUM_WAIT|SLOWMODE_WAIT)$/.test(name)) return `${name}_${Math.max(1, Math.ceil(seconds ?? 1))}`;
  return name;
}

const ENTITY_NAMES = new Map([
  ["MessageEntityBold", "bold"], ["MessageEntityItalic", "italic"], ["MessageEntityUnderline", "underline"],
  ["MessageEntityStrike", "strikethrough"], ["MessageEntityCode", "code"], ["MessageEntityPre", "pre"],
  ["MessageEntityTextUrl", "text_url"],
]);

/** MessageEntity objects → the protocol's entity objects (what the simulator records). */
function entitiesOf(list) {
  return (list || []).map((e) => {
    const out = { type: ENTITY_NAMES.get(e.className) || e.className, offset: e.offset, length: e.length };
    if (e.url !== undefined && e.url !== null) out.url = e.url;
    if (e.className === "MessageEntityPre" && e.language) out.language = e.language;
    return out;
  });
}

/** Width and height of a PNG or JPEG (0, 0 when unknown). */
function imageSize(buf) {
  if (buf.length > 24 && buf.readUInt32BE(0) === 0x89504e47) return [buf.readUInt32BE(16), buf.readUInt32BE(20)];
  if (buf.length > 4 && buf[0] === 0xff && buf[1] === 0xd8) {
    let i = 2;
    while (i + 9 < buf.length) {
      if (buf[i] !== 0xff) break;
      const marker = buf[i + 1];
      const len = buf.readUInt16BE(i + 2);
      if (marker >= 0xc0 && marker <= 0xcf && ![0xc4, 0xc8, 0xcc].includes(marker)) return [buf.readUInt16BE(i + 7), buf.readUInt16BE(i + 5)];
      i += 2 + len;
    }
  }
  return [0, 0];
}

// --- SRP-2048 as Telegram's account.getPassword / auth.checkPassword use it ------------------

const pad256 = (n) => beBytes(n, 256);

function passwordHash(salt1, salt2, password) {
  const h1 = sha256(salt1, Buffer.from(password, "utf8"), salt1);
  const h2 = sha256(salt2, h1, salt2);
  const h3 = crypto.pbkdf2Sync(h2, salt1, 100000, 64, "sha512");
  return sha256(salt2, h3, salt2);
}

export class Srp {
  constructor(password) {
    this.salt1 = crypto.randomBytes(40);
    this.salt2 = crypto.randomBytes(16);
    const x = beNumber(passwordHash(this.salt1, this.salt2, password));
    this.v = modPow(BigInt(DH_G), x, DH_PRIME);
    this.k = beNumber(sha256(pad256(DH_PRIME), pad256(BigInt(DH_G))));
  }

  algo() {
    return new Api.PasswordKdfAlgoSHA256SHA256PBKDF2HMACSHA512iter100000SHA256ModPow({
      salt1: this.salt1, salt2: this.salt2, g: DH_G, p: pad256(DH_PRIME),
    });
  }

  /** A fresh server half: { id, b, B } */
  challenge() {
    for (;;) {
      const b = beNumber(crypto.randomBytes(256));
      const gb = modPow(BigInt(DH_G), b, DH_PRIME);
      const B = (this.k * this.v + gb) % DH_PRIME;
      if (B > 0n && gb.toString(2).length > 2048 - 64) return { id: big(beNumber(crypto.randomBytes(7))), b, B };
    }
  }

  /** Whether the client's A and M1 prove the password. */
  check(ch, A, M1) {
    const a = beNumber(A);
    if (a <= 0n || a >= DH_PRIME) return false;
    const Ab = pad256(a);
    const Bb = pad256(ch.B);
    const u = beNumber(sha256(Ab, Bb));
    const S = modPow((a * modPow(this.v, u, DH_PRIME)) % DH_PRIME, ch.b, DH_PRIME);
    const K = sha256(pad256(S));
    const hp = sha256(pad256(DH_PRIME));
    const hg = sha256(pad256(BigInt(DH_G)));
    for (let i = 0; i < hp.length; i++) hp[i] ^= hg[i];
    const want = sha256(hp, sha256(this.salt1), sha256(this.salt2), Ab, Bb, K);
    return Buffer.isBuffer(M1) && M1.length === want.length && crypto.timingSafeEqual(M1, want);
  }
}

// ---------------------------------------------------------------------------------------------

export class LoopbackTelegram {
  /**
   * @param {object} o
   * @param {string} o.scenarioPath
   * @param {{ id: number, host: string }[]} o.dcs   the loopback DCs (help.getConfig)
   * @param {number} o.port                          the port every DC listens on
   */
  constructor({ scenarioPath, dcs, port, log = () => {} }) {
    this.log = log;
    this.raw = JSON.parse(fs.readFileSync(scenarioPath, "utf8"));
    this.sim = new SimBackend({ scenarioPath, log });
    this.sim.emitAll = (event) => this.pushEvent(event);
    this.wire = this.raw.wire || {};
    this.dcs = dcs;
    this.port = port;
    this.me = this.sim.sc.me;
    this.meHash = big(BigInt("0x" + crypto.createHash("sha256").update(`me ${this.me.id}`).digest("hex").slice(0, 15)));
    this.srp = this.sim.sc.login.password !== null ? new Srp(this.sim.sc.login.password) : null;
    this.pts = 1;
    this.sendAttempts = 0;
    this.uploads = new Map(); // `${key} ${fileId}` → { parts: Map, big, total }
    this.media = new Map(); // photo/document id → stored media
    this.sentMedia = new Map(); // `${user} ${random_id}` → MessageMedia of a delivery by this process
    this.server = null; // set by server.mjs
    this.stats = { delivered: 0, duplicates: 0, faults: 0, uploadsParts: 0, phoneMigrates: 0 };
  }

  close() {
    return this.sim.close();
  }

  // --- users and messages as TL objects ------------------------------------------------------

  meObject() {
    const me = this.me;
    return new Api.User({
      self: true, id: big(me.id), accessHash: this.meHash, firstName: me.firstName ?? undefined,
      lastName: me.lastName ?? undefined, username: me.username ?? undefined,
      phone: me.phone ? me.phone.replace(/^\+/, "") : undefined,
    });
  }

  userObject(u) {
    if (u.id === this.me.id) return this.meObject();
    if (u.deleted) return new Api.User({ id: big(u.id), accessHash: big(u.accessHash), deleted: true });
    return new Api.User({
      id: big(u.id), accessHash: big(u.accessHash), firstName: u.firstName ?? undefined, lastName: u.lastName ?? undefined,
      username: u.username ?? undefined, phone: u.phone ? u.phone.replace(/^\+/, "") : undefined,
      bot: u.bot || undefined, botInfoVersion: u.bot ? 1 : undefined,
    });
  }

  messageObject(u, m) {
    return new Api.Message({
      id: m.message_id, out: m.out || undefined, peerId: new Api.PeerUser({ userId: big(u.id) }), date: m.date,
      message: m.text, media: m.media, entities: m.entities,
    });
  }

  /** The user behind an InputPeer / InputUser, or PEER_ID_INVALID. */
  userOf(peer) {
    if (peer instanceof Api.InputPeerSelf || peer instanceof Api.InputUserSelf) {
      return this.sim.users.get(this.me.id) || { id: this.me.id, self: true };
    }
    if (peer instanceof Api.InputPeerUser || peer instanceof Api.InputUser) {
      const u = this.sim.users.get(peer.userId.toString());
      if (u && BigInt(u.accessHash) === BigInt(peer.accessHash.toString())) return u;
    }
    throw fail("PEER_ID_INVALID");
  }

  // --- authorisation -------------------------------------------------------------------------

  authorised(ctx) {
    const k = ctx.keyRec;
    if (k.dead) throw k.dead;
    if (!k.userId) throw fail("AUTH_KEY_UNREGISTERED");
  }

  authorise(ctx) {
    const k = ctx.keyRec;
    k.userId = this.me.id;
    k.login = null;
    k.srp = null;
    // The scenario's inbound messages start with the first login, as in the simulator.
    if (!this.sim.accounts.has("wire")) {
      this.sim.accounts.set("wire", {});
      this.sim.connectedNow("wire");
    }
    return new Api.auth.Authorization({ user: this.meObject() });
  }

  kill(ctx, name) {
    ctx.keyRec.userId = null;
    ctx.keyRec.dead = new RpcFailure(401, name === "AUTH_KEY_DUPLICATED" ? "AUTH_KEY_UNREGISTERED" : name);
  }

  // --- the methods ---------------------------------------------------------------------------

  async call(ctx, req) {
    const k = ctx.keyRec;
    if (!k.initialised && !(req instanceof Api.help.GetConfig)) throw new RpcFailure(400, "CONNECTION_NOT_INITED");
    const handler = this.methods.get(req.className);
    if (!handler) {
      this.log(`unsupported method ${req.className}: answered INPUT_METHOD_INVALID`);
      throw new RpcFailure(400, `INPUT_METHOD_INVALID_${req.CONSTRUCTOR_ID}`);
    }
    return handler.call(this, ctx, req);
  }

  get methods() {
    if (!this._methods) {
      this._methods = new Map(Object.entries({
        "help.GetConfig": this.getConfig,
        "auth.SendCode": this.sendCode,
        "auth.SignIn": this.signIn,
        "account.GetPassword": this.getPassword,
        "auth.CheckPassword": this.checkPassword,
        "auth.LogOut": this.logOut,
        "users.GetUsers": this.getUsers,
        "updates.GetState": this.getState,
        "messages.GetDialogs": this.getDialogs,
        "messages.GetHistory": this.getHistory,
        "messages.SendMessage": (ctx, req) => this.send(ctx, req, null),
        "messages.SendMedia": (ctx, req) => this.send(ctx, req, req.media),
        "upload.SaveFilePart": this.saveFilePart,
        "upload.SaveBigFilePart": this.saveFilePart,
      }));
    }
    return this._methods;
  }

  getConfig(ctx) {
    const date = now();
    return new Api.Config({
      date, expires: date + 3600, testMode: false, thisDc: ctx.dc,
      dcOptions: this.dcs.map((d) => new Api.DcOption({ id: d.id, ipAddress: d.host, port: this.port })),
      dcTxtDomainName: "", chatSizeMax: 200, megagroupSizeMax: 200000, forwardedCountMax: 100,
      onlineUpdatePeriodMs: 210000, offlineBlurTimeoutMs: 5000, offlineIdleTimeoutMs: 30000,
      onlineCloudTimeoutMs: 300000, notifyCloudDelayMs: 30000, notifyDefaultDelayMs: 1500, pushChatPeriodMs: 60000,
      pushChatLimit: 2, editTimeLimit: 172800, revokeTimeLimit: 2147483647, revokePmTimeLimit: 2147483647,
      ratingEDecay: 2419200, stickersRecentLimit: 200, channelsReadMediaPeriod: 604800, callReceiveTimeoutMs: 20000,
      callRingTimeoutMs: 90000, callConnectTimeoutMs: 30000, callPacketTimeoutMs: 10000, meUrlPrefix: "https://t.me/",
      captionLengthMax: 1024, messageLengthMax: 4096, webfileDcId: 4,
    });
  }

  sendCode(ctx, req) {
    if (!/^\+?\d{5,15}$/.test(req.phoneNumber)) throw fail("PHONE_NUMBER_INVALID");
    if (!(req.apiId > 0) || !req.apiHash) throw fail("API_ID_INVALID");
    const home = this.wire.phone_dc;
    if (home && ctx.dc !== home) {
      this.stats.phoneMigrates++;
      throw new RpcFailure(303, `PHONE_MIGRATE_${home}`);
    }
    const hash = crypto.randomBytes(9).toString("hex");
    ctx.keyRec.login = { phone: req.phoneNumber.replace(/^\+/, ""), hash, passwordPending: false };
    return new Api.auth.SentCode({
      type: new Api.auth.SentCodeTypeApp({ length: this.sim.sc.login.code.length }), phoneCodeHash: hash,
    });
  }

  signIn(ctx, req) {
    const login = ctx.keyRec.login;
    if (!login || login.hash !== req.phoneCodeHash) throw fail("PHONE_CODE_EXPIRED");
    if (login.phone !== req.phoneNumber.replace(/^\+/, "")) throw fail("PHONE_NUMBER_INVALID");
    if (!req.phoneCode) throw fail("PHONE_CODE_EMPTY");
    if (req.phoneCode !== this.sim.sc.login.code) throw fail("PHONE_CODE_INVALID");
    if (this.srp) {
      login.passwordPending = true;
      throw fail("SESSION_PASSWORD_NEEDED");
    }
    return this.authorise(ctx);
  }

  getPassword(ctx) {
    const secure = new Api.SecurePasswordKdfAlgoUnknown();
    if (!this.srp) {
      return new Api.account.Password({
        hasPassword: false, newAlgo: this.srpOrFresh().algo(), newSecureAlgo: secure, secureRandom: crypto.randomBytes(32),
      });
    }
    const ch = this.srp.challenge();
    ctx.keyRec.srp = ch;
    return new Api.account.Password({
      hasPassword: true, currentAlgo: this.srp.algo(), srp_B: pad256(ch.B), srpId: ch.id,
      newAlgo: this.srp.algo(), newSecureAlgo: secure, secureRandom: crypto.randomBytes(32),
    });
  }

  srpOrFresh() {
    return this.srp || (this._blankSrp ||= new Srp(""));
  }

  checkPassword(ctx, req) {
    const k = ctx.keyRec;
    const ch = k.srp;
    const pw = req.password;
    if (!this.srp || !k.login || !k.login.passwordPending) throw fail("PASSWORD_HASH_INVALID");
    if (!ch || !(pw instanceof Api.InputCheckPasswordSRP) || !pw.srpId.eq(ch.id)) throw fail("SRP_ID_INVALID");
    k.srp = null; // one check per challenge
    if (!this.srp.check(ch, pw.A, pw.M1)) throw fail("PASSWORD_HASH_INVALID");
    return this.authorise(ctx);
  }

  logOut(ctx) {
    this.authorised(ctx);
    this.kill(ctx, "AUTH_KEY_UNREGISTERED");
    return new Api.auth.LoggedOut({});
  }

  getUsers(ctx, req) {
    this.authorised(ctx);
    return req.id.map((input) => {
      if (input instanceof Api.InputUserSelf) return this.meObject();
      try {
        return this.userObject(this.userOf(input));
      } catch {
        return new Api.UserEmpty({ id: input.userId ?? big(0) });
      }
    });
  }

  getState(ctx) {
    this.authorised(ctx);
    return new Api.updates.State({ pts: this.pts, qts: 0, date: now(), seq: 0, unreadCount: 0 });
  }

  /** Dialogs newest first by their top message; offsets cut at (offset_date, offset_id). */
  getDialogs(ctx, req) {
    this.authorised(ctx);
    const empty = () => new Api.messages.Dialogs({ dialogs: [], messages: [], chats: [], users: [] });
    if (req.folderId === 1) return empty(); // nothing is archived in a scenario
    this.sim.readRecordTail();
    const t = Date.now();
    let list = this.sim.dialogList().map(({ u, msgs }) => ({ u, msgs, top: msgs[msgs.length - 1] }));
    list.sort((a, b) => b.top.date - a.top.date || b.top.message_id - a.top.message_id);
    const total = list.length;
    const offDate = req.offsetDate || 0;
    const offId = req.offsetId || 0;
    if (offDate > 0) list = list.filter((d) => d.top.date < offDate || (d.top.date === offDate && (!offId || d.top.message_id < offId)));
    else if (offId > 0) list = list.filter((d) => d.top.message_id < offId);
    const page = list.slice(0, Math.max(0, Math.min(req.limit || 100, 100)));
    const dialogs = page.map(({ u, msgs, top }) => {
      const inbound = msgs.filter((m) => !m.out);
      return new Api.Dialog({
        peer: new Api.PeerUser({ userId: big(u.id) }), topMessage: top.message_id,
        readInboxMaxId: inbound.length ? inbound[inbound.length - 1].message_id : 0,
        readOutboxMaxId: this.sim.readOutboxMaxId(u, msgs, t), unreadCount: 0, unreadMentionsCount: 0,
        unreadReactionsCount: 0, notifySettings: new Api.PeerNotifySettings({}),
      });
    });
    const out = {
      dialogs, messages: page.map(({ u, top }) => this.messageObject(u, top)), chats: [], users: page.map(({ u }) => this.userObject(u)),
    };
    return list.length > page.length ? new Api.messages.DialogsSlice({ count: total, ...out }) : new Api.messages.Dialogs(out);
  }

  /** A chat's messages newest first: from the first one below offset_id (or offset_date), moved by add_offset. */
  getHistory(ctx, req) {
    this.authorised(ctx);
    const u = this.userOf(req.peer);
    this.sim.readRecordTail();
    const desc = (this.sim.users.has(u.id) ? this.sim.messagesOf(u, Date.now()) : []).slice().reverse();
    let idx = 0;
    if (req.offsetId > 0) {
      idx = desc.findIndex((m) => m.message_id < req.offsetId);
      if (idx < 0) idx = desc.length;
    } else if (req.offsetDate > 0) {
      idx = desc.findIndex((m) => m.date < req.offsetDate);
      if (idx < 0) idx = desc.length;
    }
    const from = idx + (req.addOffset || 0);
    const limit = Math.max(0, Math.min(req.limit || 100, 100));
    let page = desc.slice(Math.max(0, from), Math.max(0, from + limit));
    if (req.minId > 0) page = page.filter((m) => m.message_id > req.minId);
    if (req.maxId > 0) page = page.filter((m) => m.message_id < req.maxId);
    const out = { messages: page.map((m) => this.messageObject(u, m)), chats: [], users: [this.userObject(u)] };
    return page.length < desc.length ? new Api.messages.MessagesSlice({ count: desc.length, ...out }) : new Api.messages.Messages(out);
  }

  saveFilePart(ctx, req) {
    this.authorised(ctx);
    this.frozen();
    if (req.filePart < 0 || req.bytes.length > MAX_PART) throw fail("FILE_PART_INVALID");
    const key = `${ctx.keyRec.hexId} ${req.fileId}`;
    let up = this.uploads.get(key);
    if (!up) this.uploads.set(key, (up = { parts: new Map(), big: req instanceof Api.upload.SaveBigFilePart, total: null }));
    if (req.fileTotalParts !== undefined) up.total = req.fileTotalParts;
    up.parts.set(req.filePart, Buffer.from(req.bytes));
    this.stats.uploadsParts++;
    return true;
  }

  /** The bytes of an uploaded InputFile / InputFileBig, every part checked. */
  assemble(ctx, file) {
    const up = this.uploads.get(`${ctx.keyRec.hexId} ${file.id}`);
    if (!up) throw fail("FILE_PART_0_MISSING");
    if (!(file.parts > 0) || (up.total !== null && up.total !== file.parts)) throw fail("FILE_PARTS_INVALID");
    const parts = [];
    for (let i = 0; i < file.parts; i++) {
      if (!up.parts.has(i)) throw fail(`FILE_PART_${i}_MISSING`);
      parts.push(up.parts.get(i));
    }
    const bytes = Buffer.concat(parts);
    if (file.md5Checksum && crypto.createHash("md5").update(bytes).digest("hex") !== file.md5Checksum) throw fail("MD5_CHECKSUM_INVALID");
    return bytes;
  }

  /** InputMedia → { media: MessageMedia, record: what the record says about it }. */
  mediaOf(ctx, input) {
    const store = (kind, obj, record) => {
      this.media.set(obj.id.toString(), { kind, obj, record });
      return record;
    };
    const id = () => big(BigInt.asIntN(64, beNumber(crypto.randomBytes(8))));
    if (input instanceof Api.InputMediaUploadedPhoto) {
      const bytes = this.assemble(ctx, input.file);
      const [w, h] = imageSize(bytes);
      const photo = new Api.Photo({
        id: id(), accessHash: id(), fileReference: crypto.randomBytes(16), date: now(),
        sizes: [new Api.PhotoSize({ type: "y", w, h, size: bytes.length })], dcId: ctx.dc,
      });
      const record = store("photo", photo, {
        name: input.file.name, mime: bytes[0] === 0x89 && bytes[1] === 0x50 ? "image/png" : "image/jpeg", size: bytes.length,
        sha256: sha256(bytes).toString("hex"),
      });
      return { media: new Api.MessageMediaPhoto({ photo }), record };
    }
    if (input instanceof Api.InputMediaUploadedDocument) {
      const bytes = this.assemble(ctx, input.file);
      const doc = new Api.Document({
        id: id(), accessHash: id(), fileReference: crypto.randomBytes(16), date: now(), mimeType: input.mimeType,
        size: big(bytes.length), dcId: ctx.dc, attributes: input.attributes,
      });
      const record = store("document", doc, {
        name: input.file.name, mime: input.mimeType, size: bytes.length, sha256: sha256(bytes).toString("hex"),
      });
      return { media: new Api.MessageMediaDocument({ document: doc }), record };
    }
    if (input instanceof Api.InputMediaPhoto || input instanceof Api.InputMediaDocument) {
      const known = this.media.get(input.id.id.toString());
      if (!known || !known.obj.accessHash.eq(input.id.accessHash)) throw fail("MEDIA_INVALID");
      if (!Buffer.from(input.id.fileReference).equals(known.obj.fileReference)) throw fail("FILE_REFERENCE_EXPIRED");
      const media = known.kind === "photo" ? new Api.MessageMediaPhoto({ photo: known.obj }) : new Api.MessageMediaDocument({ document: known.obj });
      return { media, record: known.record };
    }
    throw fail("MEDIA_INVALID");
  }

  frozen() {
    const fa = this.sim.sc.frozenAfter;
    if (fa !== null && this.stats.delivered >= fa) throw fail("FROZEN_METHOD_INVALID");
  }

  /** messages.sendMessage / messages.sendMedia: exactly once per (user, random_id). */
  async send(ctx, req, inputMedia) {
    this.authorised(ctx);
    this.frozen();
    const attempt = ++this.sendAttempts;
    const fault = this.sim.sc.faults.get(attempt);
    let dropAfter = false;
    if (fault) {
      this.stats.faults++;
      if (fault.error === "TIMEOUT") return NO_ANSWER;
      if (fault.error === "DROP") dropAfter = true;
      else {
        const name = wireName(fault.error, fault.seconds);
        if (DEAD_CODES.has(name)) this.kill(ctx, name);
        throw fail(name);
      }
    }
    const text = req.message ?? "";
    if (!inputMedia && text.length === 0) throw fail("MESSAGE_EMPTY");
    if (!inputMedia && text.length > 4096) throw fail("MESSAGE_TOO_LONG");
    if (inputMedia && text.length > 1024) throw fail("MEDIA_CAPTION_TOO_LONG");
    const entities = entitiesOf(req.entities);
    if (entities.some((e) => e.offset < 0 || e.length < 1 || e.offset + e.length > text.length)) throw fail("ENTITY_BOUNDS_INVALID");
    const u = this.userOf(req.peer);
    const userId = u.id;
    const user = this.sim.users.get(userId) && userId !== this.me.id ? this.sim.users.get(userId) : null;
    const randomId = BigInt(req.randomId.toString()).toString();
    const key = `${userId} ${randomId}`;
    const outcome = await this.sim.withRecord(() => {
      const earlier = this.sim.delivered.get(key);
      if (earlier) return { id: earlier.message_id, date: earlier.date, fresh: false };
      const m = inputMedia ? this.mediaOf(ctx, inputMedia) : null;
      if (user && user.error) return { error: user.error };
      if (user && user.deleted) return { error: "INPUT_USER_DEACTIVATED" };
      const at = Date.now();
      const rec = {
        user_id: userId, random_id: randomId, message_id: this.sim.nextMessageId(), text, entities,
        media: m ? m.record : null, at,
      };
      this.sim.appendRecord(rec);
      if (m) this.sentMedia.set(key, m.media);
      return { id: rec.message_id, date: Math.floor(at / 1000), fresh: true };
    });
    if (outcome.error) {
      const name = wireName(outcome.error);
      if (DEAD_CODES.has(name)) this.kill(ctx, name);
      throw fail(name);
    }
    if (outcome.fresh) {
      this.stats.delivered++;
      this.sim.stats.delivered++;
      if (user) this.sim.afterDelivery(user, outcome.id, text, entities);
    } else {
      this.stats.duplicates++;
    }
    if (dropAfter) return DROP_CONNECTION;
    const pts = ++this.pts;
    if (!inputMedia) return new Api.UpdateShortSentMessage({ out: true, id: outcome.id, pts, ptsCount: 1, date: outcome.date });
    const message = new Api.Message({
      id: outcome.id, out: true, peerId: new Api.PeerUser({ userId: big(userId) }), date: outcome.date, message: text,
      media: this.sentMedia.get(key), entities: req.entities || undefined,
    });
    return new Api.Updates({
      updates: [
        new Api.UpdateMessageID({ id: outcome.id, randomId: req.randomId }),
        new Api.UpdateNewMessage({ message, pts, ptsCount: 1 }),
      ],
      users: [user ? this.userObject(user) : this.meObject()], chats: [], date: outcome.date, seq: 0,
    });
  }

  // --- updates -------------------------------------------------------------------------------

  /** A simulator event (reply, inbound message, read receipt) → updates to every logged-in key. */
  pushEvent(event) {
    if (!this.server) return;
    let updates;
    const date = now();
    if (event.event === "read") {
      updates = new Api.UpdateShort({
        update: new Api.UpdateReadHistoryOutbox({ peer: new Api.PeerUser({ userId: big(event.peer) }), maxId: event.max_id, pts: ++this.pts, ptsCount: 1 }),
        date,
      });
    } else if (event.event === "message") {
      const u = this.sim.users.get(event.from.user_id);
      if (!u) return;
      // Telegram sends the short form when the client can know the sender (an existing chat),
      // and the full one with the user attached otherwise.
      const known = (this.sim.history.get(u.id) || []).length > 0 || (this.sim.outbox.get(u.id) || []).length > 0;
      const pts = ++this.pts;
      updates = known
        ? new Api.UpdateShortMessage({ id: event.message_id, userId: big(u.id), message: event.text, pts, ptsCount: 1, date: event.date })
        : new Api.Updates({
          updates: [new Api.UpdateNewMessage({
            message: this.messageObject(u, { message_id: event.message_id, text: event.text, date: event.date, out: false }), pts, ptsCount: 1,
          })],
          users: [this.userObject(u)], chats: [], date, seq: 0,
        });
    } else {
      return;
    }
    for (const k of this.server.keys.byId.values()) {
      if (k.userId === this.me.id && !k.dead) this.server.push(k, updates);
    }
  }
}

export { SERVICE_USER_ID };
