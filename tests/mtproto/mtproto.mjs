// mtproto.mjs — the server side of MTProto 2.0 for the loopback Telegram of the tests (never
// for production: it has one test RSA key whose private half is in the repository).
//
// Owns: the TCP listeners (one per loopback DC), the "full" TCP transport GramJS uses on Node
// (ConnectionTCPFull: length, sequence number, CRC32), the unencrypted key exchange (req_pq_multi,
// req_DH_params with the RSA key of test-rsa-key.json, set_client_DH_params → a 2048-bit auth
// key), encryption and decryption of MTProto 2.0 messages, sessions (new_session_created, the
// server salt and bad_server_salt, msg_id checks with bad_msg_notification), msgs_ack,
// containers and gzip_packed both ways, ping/pong, rpc_result/rpc_error, the unwrapping of
// invokeWithLayer/initConnection/invokeAfterMsg/invokeWithoutUpdates, and pushing updates to
// the session that last made a request. What a method answers is the `api` object's business
// (telegram.mjs): `api.call(ctx, request)` resolves with a result, rejects with an RpcFailure, or
// returns one of the sentinels NO_ANSWER / DROP_CONNECTION.
//
// The TL schema and (de)serialisation are GramJS's own (so the bytes are exactly what the client
// parses); the cryptography is node:crypto written from the MTProto spec, so a bug in GramJS's
// crypto would not be mirrored here and hidden.

import net from "node:net";
import crypto from "node:crypto";
import zlib from "node:zlib";
import fs from "node:fs";
import { createRequire } from "node:module";
import { rsaFingerprint } from "../../bridge/testdc.mjs";

const require = createRequire(new URL("../../bridge/package.json", import.meta.url));
export const { Api } = require("telegram/tl");
export const { LAYER } = require("telegram/tl/AllTLObjects");
const { BinaryReader } = require("telegram/extensions");
export const bigInt = require("big-integer");

const KEY = JSON.parse(fs.readFileSync(new URL("./test-rsa-key.json", import.meta.url), "utf8"));
const RSA_N = BigInt(KEY.n);
const RSA_D = BigInt(KEY.d);

/** Telegram's 2048-bit safe prime (the one GramJS's Password.js accepts), generator 3. */
export const DH_PRIME = BigInt(
  "0xc71caeb9c6b1c9048e6c522f70f13f73980d40238e3e21c14934d037563d930f48198a0aa7c14058229493d22530f4db" +
    "fa336f6e0ac925139543aed44cce7c3720fd51f69458705ac68cd4fe6b6b13abdc9746512969328454f18faf8c595f64" +
    "2477fe96bb2a941d5bcd1d4ac8cc49880708fa9b378e3c4f3a9060bee67cf9a4a4a695811051907e162753b56b0f6b41" +
    "0dba74d8a84b2a14b3144e0ef1284754fd17ed950d5965b4b9dd46582db1178d169c6bc465b0d6ff9ca3928fef5b9ae4" +
    "e418fc15e83ebea0f87fa9ff5eed70050ded2849f47bf959d956850ce929851f0d8115f635b105ee2e4e15d04b2454bf" +
    "6f4fadf034b10403119cd8e3b92fcc5b",
);
export const DH_G = 3;

const CTOR = {
  container: 0x73f1f8dc,
  gzip: 0x3072cfa1,
  rpcResult: 0xf35c6d01,
  rpcError: 0x2144ca19,
  vector: 0x1cb5c415,
  boolTrue: 0x997275b5,
  boolFalse: 0xbc799737,
};

/** A method's refusal, as Telegram sends it: rpc_error error_code error_message. */
export class RpcFailure extends Error {
  constructor(code, message) {
    super(`${code} ${message}`);
    this.code = code;
    this.errorMessage = message;
  }
}

/** `api.call` returns this to leave a request unanswered for ever (the client's deadline decides). */
export const NO_ANSWER = Symbol("no answer");
/** `api.call` returns this (after doing the work) to close the connection instead of answering. */
export const DROP_CONNECTION = Symbol("drop connection");

// ---------------------------------------------------------------------------------------------
// Numbers and crypto (node:crypto, from the MTProto 2.0 description)

export function modPow(base, exp, mod) {
  let r = 1n;
  let b = base % mod;
  let e = exp;
  while (e > 0n) {
    if (e & 1n) r = (r * b) % mod;
    b = (b * b) % mod;
    e >>= 1n;
  }
  return r;
}

export const sha1 = (...parts) => crypto.createHash("sha1").update(Buffer.concat(parts)).digest();
export const sha256 = (...parts) => crypto.createHash("sha256").update(Buffer.concat(parts)).digest();

/** Big-endian bytes of a non-negative BigInt, left-padded to `len` when given. */
export function beBytes(n, len) {
  let hex = n.toString(16);
  if (hex.length % 2) hex = "0" + hex;
  const b = Buffer.from(hex, "hex");
  return len && b.length < len ? Buffer.concat([Buffer.alloc(len - b.length), b]) : b;
}

export const beNumber = (buf) => (buf.length ? BigInt("0x" + Buffer.from(buf).toString("hex")) : 0n);

/** A little-endian int128/int256 as GramJS reads it (signed) → Buffer of n bytes. */
function leBytes(big, n) {
  let v = BigInt(big.toString());
  if (v < 0n) v += 1n << BigInt(8 * n);
  const out = Buffer.alloc(n);
  for (let i = 0; i < n; i++) {
    out[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return out;
}

function leSigned(buf) {
  let v = 0n;
  for (let i = buf.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(buf[i]);
  if (buf[buf.length - 1] & 0x80) v -= 1n << BigInt(8 * buf.length);
  return bigInt(v.toString());
}

/** AES-256-IGE, block by block over node's AES-ECB. */
export function ige(data, key, iv, encrypt) {
  if (data.length % 16) throw new Error("IGE data is not a multiple of 16 bytes");
  const aes = encrypt ? crypto.createCipheriv("aes-256-ecb", key, null) : crypto.createDecipheriv("aes-256-ecb", key, null);
  aes.setAutoPadding(false);
  const out = Buffer.alloc(data.length);
  // Encryption: c_i = E(p_i ^ c_{i-1}) ^ p_{i-1}; decryption: p_i = D(c_i ^ p_{i-1}) ^ c_{i-1};
  // iv = c_0 (16 bytes) then p_0 (16 bytes).
  let prevIn = Buffer.from(encrypt ? iv.subarray(16, 32) : iv.subarray(0, 16));
  let prevOut = Buffer.from(encrypt ? iv.subarray(0, 16) : iv.subarray(16, 32));
  for (let i = 0; i < data.length; i += 16) {
    const block = data.subarray(i, i + 16);
    const x = Buffer.alloc(16);
    for (let j = 0; j < 16; j++) x[j] = block[j] ^ prevOut[j];
    const y = aes.update(x);
    for (let j = 0; j < 16; j++) out[i + j] = y[j] ^ prevIn[j];
    prevIn = block;
    prevOut = out.subarray(i, i + 16);
  }
  return out;
}

/** MTProto 2.0 message key → AES key and IV; x = 0 for client→server, 8 for server→client. */
function messageKeys(authKey, msgKey, x) {
  const a = sha256(msgKey, authKey.subarray(x, x + 36));
  const b = sha256(authKey.subarray(40 + x, 76 + x), msgKey);
  return {
    key: Buffer.concat([a.subarray(0, 8), b.subarray(8, 24), a.subarray(24, 32)]),
    iv: Buffer.concat([b.subarray(0, 8), a.subarray(8, 24), b.subarray(24, 32)]),
  };
}

// ---------------------------------------------------------------------------------------------
// TL helpers

function u32(n) {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n >>> 0, 0);
  return b;
}

function i32(n) {
  const b = Buffer.alloc(4);
  b.writeInt32LE(n, 0);
  return b;
}

function i64(v) {
  const b = Buffer.alloc(8);
  b.writeBigInt64LE(BigInt(v.toString()), 0);
  return b;
}

function tlBytes(buf) {
  const head = buf.length < 254 ? Buffer.from([buf.length]) : Buffer.from([254, buf.length & 255, (buf.length >> 8) & 255, (buf.length >> 16) & 255]);
  const pad = (4 - ((head.length + buf.length) % 4)) % 4;
  return Buffer.concat([head, buf, Buffer.alloc(pad)]);
}

/** The bytes of a method's result: a TL object, a vector of them, or a Bool. */
export function serialiseResult(value) {
  if (value === true) return u32(CTOR.boolTrue);
  if (value === false) return u32(CTOR.boolFalse);
  if (Array.isArray(value)) {
    return Buffer.concat([u32(CTOR.vector), i32(value.length), ...value.map((v) => (typeof v === "object" && v.getBytes ? v.getBytes() : i64(v)))]);
  }
  return value.getBytes();
}

/** TL `bytes` read out of a Buffer at offset → [value, next offset]. */
function readTlBytes(buf, off) {
  let len = buf[off];
  let head = 1;
  if (len === 254) {
    len = buf[off + 1] | (buf[off + 2] << 8) | (buf[off + 3] << 16);
    head = 4;
  }
  const end = off + head + len;
  return [buf.subarray(off + head, end), end + ((4 - ((head + len) % 4)) % 4)];
}

// ---------------------------------------------------------------------------------------------
// Auth keys and sessions

/** Every auth key the server made, by its 64-bit id (hex of the 8 bytes). */
export class AuthKeys {
  constructor() {
    this.byId = new Map();
  }

  add(key, dc) {
    const digest = sha1(key);
    const rec = {
      key,
      id: digest.subarray(12, 20),
      hexId: digest.subarray(12, 20).toString("hex"),
      dc,
      salt: crypto.randomBytes(8),
      layer: 0,
      initialised: false,
      userId: null, // authorised as this user
      loginState: null, // { phone, hash, passwordPending }
      dead: null, // the 401 this key gets from now on (a revoked session)
      sessions: new Map(),
      updateSession: null,
    };
    this.byId.set(rec.hexId, rec);
    return rec;
  }

  get(idBytes) {
    return this.byId.get(idBytes.toString("hex"));
  }
}

let lastServerMsgId = 0n;

/** A server msg_id: unix time in the high half, ≡ 1 mod 4 for responses and 3 otherwise. */
function serverMsgId(isResponse) {
  const now = Date.now();
  let id = (BigInt(Math.floor(now / 1000)) << 32n) | (BigInt(Math.floor(((now % 1000) / 1000) * 2 ** 32)) & ~3n);
  if (id <= lastServerMsgId) id = (lastServerMsgId & ~3n) + 4n;
  lastServerMsgId = id;
  return id | (isResponse ? 1n : 3n);
}

class Session {
  constructor(keyRec, id) {
    this.keyRec = keyRec;
    this.id = id; // Buffer(8)
    this.conn = null;
    this.seq = 0;
    this.pendingAcks = [];
    this.done = new Map(); // msg_id (string) → Promise settled when its request finished
    this.ackTimer = null;
    this.disconnectTimer = null;
  }

  seqNo(content) {
    if (!content) return this.seq * 2;
    return this.seq++ * 2 + 1;
  }

  /** Sends messages [{ body, content, response }] (pending acks ride along) as one packet. */
  send(messages) {
    const conn = this.conn;
    if (!conn || conn.closed) return false;
    const all = [...messages];
    if (this.pendingAcks.length) {
      all.unshift({ body: new Api.MsgsAck({ msgIds: this.pendingAcks.map((id) => bigInt(id.toString())) }).getBytes(), content: false });
      this.pendingAcks = [];
      clearTimeout(this.ackTimer);
      this.ackTimer = null;
    }
    if (all.length === 0) return true;
    let msgId;
    let seqNo;
    let body;
    if (all.length === 1) {
      msgId = serverMsgId(all[0].response);
      seqNo = this.seqNo(all[0].content);
      body = all[0].body;
    } else {
      const inner = all.map((m) => {
        const id = serverMsgId(m.response);
        return Buffer.concat([i64(id), i32(this.seqNo(m.content)), i32(m.body.length), m.body]);
      });
      body = Buffer.concat([u32(CTOR.container), i32(all.length), ...inner]);
      msgId = serverMsgId(false);
      seqNo = this.seqNo(false);
    }
    const plain = Buffer.concat([this.keyRec.salt, this.id, i64(msgId), i32(seqNo), i32(body.length), body]);
    conn.sendEncrypted(this.keyRec, plain);
    return true;
  }

  ack(msgId) {
    this.pendingAcks.push(msgId);
    if (!this.ackTimer) {
      this.ackTimer = setTimeout(() => {
        this.ackTimer = null;
        this.send([]);
      }, 50);
      this.ackTimer.unref?.();
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Connections

/** One TCP connection in the "full" transport: [len:int32][seq:int32][payload][crc32]. */
class Connection {
  constructor(server, socket, dc) {
    this.server = server;
    this.socket = socket;
    this.dc = dc;
    this.buf = Buffer.alloc(0);
    this.recvSeq = 0;
    this.sendSeq = 0;
    this.closed = false;
    this.handshake = null;
    this.queue = Promise.resolve(); // packets are decoded in arrival order
    socket.setNoDelay(true);
    socket.on("data", (d) => this.onData(d));
    socket.on("close", () => this.onClose());
    socket.on("error", () => {});
  }

  onData(chunk) {
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
    while (this.buf.length >= 4) {
      const len = this.buf.readInt32LE(0);
      if (len < 12 || len > 16 * 1024 * 1024) return this.close(`bad packet length ${len}`);
      if (this.buf.length < len) return;
      const packet = this.buf.subarray(0, len);
      this.buf = this.buf.subarray(len);
      const seq = packet.readInt32LE(4);
      const crc = packet.readUInt32LE(len - 4);
      if (crc32(packet.subarray(0, len - 4)) !== crc) return this.close("bad CRC32");
      if (seq !== this.recvSeq++) return this.close(`packet sequence ${seq}, expected ${this.recvSeq - 1}`);
      const payload = Buffer.from(packet.subarray(8, len - 4));
      this.queue = this.queue.then(() => this.onPacket(payload)).catch((e) => {
        this.server.log(`packet failed: ${e.stack || e.message}`);
        this.close("internal error");
      });
    }
  }

  sendPacket(payload) {
    if (this.closed) return;
    const head = Buffer.alloc(8);
    head.writeInt32LE(payload.length + 12, 0);
    head.writeInt32LE(this.sendSeq++, 4);
    const body = Buffer.concat([head, payload]);
    this.socket.write(Buffer.concat([body, u32(crc32(body))]));
  }

  /** A transport error (-404: unknown auth key), then the connection closes. */
  sendTransportError(code) {
    this.sendPacket(i32(-code));
    this.close(`transport error -${code}`);
  }

  close(why) {
    if (this.closed) return;
    this.closed = true;
    if (why && this.server.verbose) this.server.log(`closing a connection: ${why}`);
    this.socket.end();
    setTimeout(() => this.socket.destroy(), 100).unref?.();
  }

  /** The server drops the connection at once, as a network fault would. */
  drop() {
    this.closed = true;
    this.socket.destroy();
  }

  onClose() {
    this.closed = true;
    this.server.connections.delete(this);
  }

  async onPacket(payload) {
    if (payload.length < 8) return this.close("short packet");
    const keyId = payload.subarray(0, 8);
    if (keyId.equals(Buffer.alloc(8))) return this.onPlain(payload);
    const rec = this.server.keys.get(keyId);
    if (!rec) return this.sendTransportError(404);
    return this.onEncrypted(rec, payload);
  }

  // --- the key exchange ----------------------------------------------------------------------

  sendPlain(obj) {
    const body = obj.getBytes();
    this.sendPacket(Buffer.concat([Buffer.alloc(8), i64(serverMsgId(true)), i32(body.length), body]));
  }

  async onPlain(payload) {
    const len = payload.readInt32LE(16);
    const obj = new BinaryReader(payload.subarray(20, 20 + len)).tgReadObject();
    if (obj instanceof Api.ReqPqMulti || obj instanceof Api.ReqPq) return this.reqPq(obj);
    if (obj instanceof Api.ReqDHParams) return this.reqDh(obj);
    if (obj instanceof Api.SetClientDHParams) return this.setClientDh(obj);
    this.close(`unexpected unencrypted ${obj && obj.className}`);
  }

  reqPq(req) {
    let p;
    let q;
    do {
      p = crypto.generatePrimeSync(31, { bigint: true });
      q = crypto.generatePrimeSync(31, { bigint: true });
    } while (p === q);
    if (p > q) [p, q] = [q, p];
    const serverNonce = leSigned(crypto.randomBytes(16));
    this.handshake = { nonce: req.nonce, serverNonce, p, q };
    this.sendPlain(new Api.ResPQ({
      nonce: req.nonce,
      serverNonce,
      pq: beBytes(p * q),
      serverPublicKeyFingerprints: [bigInt(this.server.fingerprint)],
    }));
  }

  reqDh(req) {
    const hs = this.handshake;
    if (!hs || !req.nonce.eq(hs.nonce) || !req.serverNonce.eq(hs.serverNonce)) return this.close("req_DH_params out of order");
    if (req.publicKeyFingerprint.toString() !== this.server.fingerprint) return this.close("unknown key fingerprint");
    if (beNumber(req.p) !== hs.p || beNumber(req.q) !== hs.q) return this.close("p and q do not factor pq");
    // RSA_PAD as GramJS does it: key_aes_encrypted = temp_key_xor (32) + aes_encrypted (224).
    const plain = beBytes(modPow(beNumber(req.encryptedData), RSA_D, RSA_N), 256);
    const aesEncrypted = plain.subarray(32);
    const tempKey = Buffer.alloc(32);
    const h = sha256(aesEncrypted);
    for (let i = 0; i < 32; i++) tempKey[i] = plain[i] ^ h[i];
    const dataWithHash = ige(aesEncrypted, tempKey, Buffer.alloc(32), false);
    const dataWithPadding = Buffer.from(dataWithHash.subarray(0, 192)).reverse();
    if (!sha256(tempKey, dataWithPadding).equals(dataWithHash.subarray(192, 224))) return this.close("RSA_PAD hash mismatch");
    const inner = new BinaryReader(dataWithPadding).tgReadObject();
    if (!inner.nonce.eq(hs.nonce) || !inner.serverNonce.eq(hs.serverNonce)) return this.close("p_q_inner_data nonce mismatch");
    hs.newNonce = leBytes(inner.newNonce, 32);
    const serverNonceBytes = leBytes(hs.serverNonce, 16);
    hs.tmpKey = Buffer.concat([sha1(hs.newNonce, serverNonceBytes), sha1(serverNonceBytes, hs.newNonce).subarray(0, 12)]);
    hs.tmpIv = Buffer.concat([
      sha1(serverNonceBytes, hs.newNonce).subarray(12, 20), sha1(hs.newNonce, hs.newNonce), hs.newNonce.subarray(0, 4),
    ]);
    hs.a = beNumber(crypto.randomBytes(256));
    const answer = new Api.ServerDHInnerData({
      nonce: hs.nonce,
      serverNonce: hs.serverNonce,
      g: DH_G,
      dhPrime: beBytes(DH_PRIME),
      gA: beBytes(modPow(BigInt(DH_G), hs.a, DH_PRIME), 256),
      serverTime: Math.floor(Date.now() / 1000),
    }).getBytes();
    let withHash = Buffer.concat([sha1(answer), answer]);
    withHash = Buffer.concat([withHash, crypto.randomBytes((16 - (withHash.length % 16)) % 16)]);
    this.sendPlain(new Api.ServerDHParamsOk({
      nonce: hs.nonce, serverNonce: hs.serverNonce, encryptedAnswer: ige(withHash, hs.tmpKey, hs.tmpIv, true),
    }));
  }

  setClientDh(req) {
    const hs = this.handshake;
    if (!hs || !hs.tmpKey || !req.nonce.eq(hs.nonce) || !req.serverNonce.eq(hs.serverNonce)) return this.close("set_client_DH_params out of order");
    const plain = ige(req.encryptedData, hs.tmpKey, hs.tmpIv, false);
    const inner = new BinaryReader(plain.subarray(20)).tgReadObject();
    const innerBytes = inner.getBytes();
    if (!sha1(innerBytes).equals(plain.subarray(0, 20))) return this.close("client_DH_inner_data hash mismatch");
    const gB = beNumber(inner.gB);
    if (gB <= 1n || gB >= DH_PRIME - 1n) return this.close("g_b out of range");
    // The key is the full 2048-bit number, leading zero bytes included (as Telegram computes it).
    const key = beBytes(modPow(gB, hs.a, DH_PRIME), 256);
    const rec = this.server.keys.add(key, this.dc);
    const auxHash = sha1(key).subarray(0, 8);
    const hash1 = sha1(hs.newNonce, Buffer.from([1]), auxHash).subarray(4, 20);
    this.handshake = null;
    this.sendPlain(new Api.DhGenOk({ nonce: hs.nonce, serverNonce: hs.serverNonce, newNonceHash1: leSigned(hash1) }));
    this.server.stats.authKeys++;
    if (this.server.verbose) this.server.log(`new auth key ${rec.hexId} on DC ${this.dc}`);
  }

  // --- encrypted messages --------------------------------------------------------------------

  sendEncrypted(rec, plain) {
    const padLen = 12 + ((16 - ((plain.length + 12) % 16)) % 16);
    const padded = Buffer.concat([plain, crypto.randomBytes(padLen)]);
    const msgKey = sha256(rec.key.subarray(96, 128), padded).subarray(8, 24);
    const { key, iv } = messageKeys(rec.key, msgKey, 8);
    this.sendPacket(Buffer.concat([rec.id, msgKey, ige(padded, key, iv, true)]));
  }

  async onEncrypted(rec, payload) {
    const msgKey = payload.subarray(8, 24);
    const { key, iv } = messageKeys(rec.key, msgKey, 0);
    const enc = payload.subarray(24);
    if (enc.length % 16 || enc.length < 48) return this.close("encrypted payload size");
    const plain = ige(enc, key, iv, false);
    if (!sha256(rec.key.subarray(88, 120), plain).subarray(8, 24).equals(msgKey)) return this.close("msg_key mismatch");
    const salt = plain.subarray(0, 8);
    const sessionId = Buffer.from(plain.subarray(8, 16));
    const msgId = plain.readBigInt64LE(16);
    const seqNo = plain.readInt32LE(24);
    const len = plain.readInt32LE(28);
    if (len < 0 || 32 + len > plain.length || plain.length - 32 - len < 12 || plain.length - 32 - len > 1024) {
      return this.close("bad message length or padding");
    }
    const body = plain.subarray(32, 32 + len);
    const sid = sessionId.toString("hex");
    let session = rec.sessions.get(sid);
    const fresh = !session;
    if (fresh) {
      session = new Session(rec, sessionId);
      rec.sessions.set(sid, session);
    }
    session.conn = this;
    if (msgId % 4n !== 0n) return session.send([badMsg(msgId, seqNo, 18)]);
    const age = Math.floor(Date.now() / 1000) - Number(msgId >> 32n);
    if (age > 300) return session.send([badMsg(msgId, seqNo, 16)]);
    if (age < -30) return session.send([badMsg(msgId, seqNo, 17)]);
    if (!salt.equals(rec.salt)) {
      this.server.stats.badSalts++;
      if (fresh) rec.sessions.delete(sid); // the session starts with the first message it may send
      return session.send([{
        body: new Api.BadServerSalt({ badMsgId: bigInt(msgId.toString()), badMsgSeqno: seqNo, errorCode: 48, newServerSalt: leSigned(rec.salt) }).getBytes(),
        content: false,
      }]);
    }
    if (fresh) {
      this.server.stats.sessions++;
      session.send([{
        body: new Api.NewSessionCreated({ firstMsgId: bigInt(msgId.toString()), uniqueId: leSigned(crypto.randomBytes(8)), serverSalt: leSigned(rec.salt) }).getBytes(),
        content: true,
      }]);
    }
    this.onMessage(session, msgId, seqNo, body);
  }

  /** One message (a container or gzip_packed unpacked first); requests run concurrently. */
  onMessage(session, msgId, seqNo, body) {
    const ctor = body.readUInt32LE(0);
    if (ctor === CTOR.container) {
      const count = body.readInt32LE(4);
      let off = 8;
      for (let i = 0; i < count; i++) {
        const id = body.readBigInt64LE(off);
        const seq = body.readInt32LE(off + 8);
        const len = body.readInt32LE(off + 12);
        this.onMessage(session, id, seq, body.subarray(off + 16, off + 16 + len));
        off += 16 + len;
      }
      return;
    }
    if (ctor === CTOR.gzip) {
      const [packed] = readTlBytes(body, 4);
      return this.onMessage(session, msgId, seqNo, zlib.gunzipSync(packed));
    }
    if (seqNo % 2 === 1) session.ack(msgId);
    let obj;
    try {
      obj = new BinaryReader(body).tgReadObject();
    } catch (e) {
      this.server.log(`cannot parse a message (constructor 0x${ctor.toString(16)}): ${e.message}`);
      return;
    }
    if (obj instanceof Api.MsgsAck || obj instanceof Api.MsgsStateInfo || obj instanceof Api.MsgsAllInfo) return;
    if (obj instanceof Api.Ping || obj instanceof Api.PingDelayDisconnect) {
      this.server.stats.pings++;
      session.send([{ body: new Api.Pong({ msgId: bigInt(msgId.toString()), pingId: obj.pingId }).getBytes(), content: true, response: true }]);
      return;
    }
    if (obj && obj.classType === "request") {
      const done = this.server.rpc(session, this, msgId, obj);
      session.done.set(msgId.toString(), done);
      if (session.done.size > 1000) session.done.delete(session.done.keys().next().value);
      return;
    }
    this.server.log(`ignored a ${obj && obj.className} from the client`);
  }
}

function badMsg(msgId, seqNo, code) {
  return {
    body: new Api.BadMsgNotification({ badMsgId: bigInt(msgId.toString()), badMsgSeqno: seqNo, errorCode: code }).getBytes(),
    content: false,
  };
}

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

function crc32(buf) {
  let c = 0xffffffff;
  for (let i = 0; i < buf.length; i++) c = CRC_TABLE[(c ^ buf[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

// ---------------------------------------------------------------------------------------------
// The server

export class MtprotoServer {
  /**
   * @param {object} o
   * @param {object} o.api         `call(ctx, request)`; ctx = { keyRec, session, dc, server }
   * @param {(s: string) => void} [o.log]
   */
  constructor({ api, log = () => {}, verbose = false }) {
    this.api = api;
    this.log = log;
    this.verbose = verbose;
    this.keys = new AuthKeys();
    this.listeners = [];
    this.connections = new Set();
    this.fingerprint = rsaFingerprint(RSA_N, BigInt(KEY.e));
    this.stats = { authKeys: 0, sessions: 0, badSalts: 0, pings: 0, requests: 0, connections: 0 };
  }

  /** Listens for DC `dc` on host:port (port 0 picks one); resolves with the port. */
  listen(dc, host, port) {
    return new Promise((resolve, reject) => {
      const srv = net.createServer((socket) => {
        const c = new Connection(this, socket, dc);
        this.connections.add(c);
        this.stats.connections++;
      });
      srv.once("error", reject);
      srv.listen(port, host, () => {
        srv.off("error", reject);
        this.listeners.push({ dc, host, srv });
        resolve(srv.address().port);
      });
    });
  }

  close() {
    for (const l of this.listeners) l.srv.close();
    for (const c of this.connections) c.drop();
  }

  /** Drops every open connection at once (the clients must come back by themselves). */
  dropAll() {
    const n = this.connections.size;
    for (const c of [...this.connections]) c.drop();
    return n;
  }

  async rpc(session, conn, msgId, request) {
    this.stats.requests++;
    const ctx = { keyRec: session.keyRec, session, conn, dc: conn.dc, server: this, updates: true };
    let inner = request;
    try {
      for (;;) {
        if (inner instanceof Api.InvokeWithLayer) {
          ctx.keyRec.layer = inner.layer;
          inner = inner.query;
        } else if (inner instanceof Api.InitConnection) {
          ctx.keyRec.initialised = true;
          ctx.keyRec.apiId = inner.apiId;
          inner = inner.query;
        } else if (inner instanceof Api.InvokeWithoutUpdates) {
          ctx.updates = false;
          inner = inner.query;
        } else if (inner instanceof Api.InvokeAfterMsg) {
          const before = session.done.get(BigInt(inner.msgId.toString()).toString());
          if (before) await before.catch(() => {});
          inner = inner.query;
        } else {
          break;
        }
      }
      if (ctx.updates && !inner.className.startsWith("upload.")) ctx.keyRec.updateSession = session;
      const result = await this.api.call(ctx, inner);
      if (this.verbose) this.log(`key ${ctx.keyRec.hexId.slice(0, 6)} session ${session.id.toString("hex").slice(0, 6)}: ${inner.className} → ${typeof result === "symbol" ? result.description : result.className || typeof result}`);
      if (result === NO_ANSWER) return new Promise(() => {});
      if (result === DROP_CONNECTION) {
        conn.drop();
        return undefined;
      }
      return this.reply(session, msgId, serialiseResult(result));
    } catch (e) {
      if (!(e instanceof RpcFailure)) {
        this.log(`${inner && inner.className} failed: ${e.stack || e.message}`);
        e = new RpcFailure(500, "INTERNAL");
      }
      if (this.verbose) this.log(`key ${ctx.keyRec.hexId.slice(0, 6)} session ${session.id.toString("hex").slice(0, 6)}: ${inner && inner.className} → ${e.code} ${e.errorMessage}`);
      const body = Buffer.concat([u32(CTOR.rpcError), i32(e.code), tlBytes(Buffer.from(e.errorMessage, "utf8"))]);
      this.reply(session, msgId, body);
      return undefined;
    }
  }

  reply(session, msgId, resultBytes) {
    let body = resultBytes;
    // Telegram packs large answers (dialogs, history) in gzip_packed.
    if (body.length > 1024) body = Buffer.concat([u32(CTOR.gzip), tlBytes(zlib.gzipSync(body))]);
    session.send([{ body: Buffer.concat([u32(CTOR.rpcResult), i64(msgId), body]), content: true, response: true }]);
  }

  /** Pushes an Updates object to the session of keyRec that asks for updates; false if none. */
  push(keyRec, updates) {
    const s = keyRec.updateSession;
    if (!s || !s.conn || s.conn.closed) return false;
    return s.send([{ body: updates.getBytes(), content: true }]);
  }
}
