// protocol.mjs — the bridge side of docs/BRIDGE-PROTOCOL.md, independent of any backend.
//
// Owns: line framing of stdin (partial lines, several lines per chunk, CRLF, a size cap),
// parsing and validating requests against one table of ops, dispatch to the backend, the
// per-request deadline (`timeout_ms`), the rule "every request gets exactly one response",
// events, and the mapping of library errors onto the protocol's error codes (mapError). Which
// codes kill a session and which carry a wait come from the Telegram error registry
// (share/telegram-errors.json, generated from src/core/tgerror.h).
// It never writes to stdout itself: serve() is given a `write` function for whole lines, so it
// runs over in-memory streams in the tests exactly as over stdin/stdout in main.mjs.
//
// A backend is an object with `name` ("sim" | "gramjs"), one async method per op below
// (start, send_code, sign_in, sync, send, upload, logout, stop) taking the validated
// parameters and a context `{ deadline }` (absolute ms), `close()`, and an `onEvent` property
// that serve() sets to the function that writes an event line.

import { createRequire } from "node:module";
import { FloodError, RPCError, InvalidDCError } from "telegram/errors/index.js";

export const DEFAULT_TIMEOUT_MS = 30000;
export const MAX_TIMEOUT_MS = 3600000;
export const MAX_LINE_BYTES = 4 * 1024 * 1024;
export const MAX_SYNC_LIMIT = 500;
export const DEFAULT_SYNC_LIMIT = 100;
/** `send_code` accepts "+" and 7–15 digits; anything else is PHONE_NUMBER_INVALID. */
export const E164_RE = /^\+\d{7,15}$/;

/** An error that already speaks the protocol: passes through mapError unchanged. */
export class BridgeError extends Error {
  constructor(code, message, seconds) {
    super(message || code);
    this.name = "BridgeError";
    this.code = code;
    if (seconds !== undefined && seconds !== null) this.seconds = seconds;
  }
}

/**
 * The Telegram error registry: share/telegram-errors.json, generated from src/core/tgerror.h
 * (`make telegram-errors`), so the bridge and the C side agree on what each code means.
 * (createRequire rather than `import … with { type: "json" }`: the same on every Node ≥ 20.)
 */
export const TELEGRAM_ERRORS = createRequire(import.meta.url)("../share/telegram-errors.json");

/** The codes of one class of the registry ("session_dead", "flood_wait", …). */
export function codesOfClass(cls) {
  return Object.keys(TELEGRAM_ERRORS.errors).filter((code) => TELEGRAM_ERRORS.errors[code].class === cls);
}

/** Codes meaning the account's session is dead: the C side must ask for a new login. */
export const DEAD_SESSION_CODES = new Set(codesOfClass("session_dead"));

/** A wait code with its seconds appended (FLOOD_WAIT_37, SLOWMODE_WAIT_5, …). */
const WAIT_NAME = new RegExp(`^(?:${codesOfClass("flood_wait").join("|")})_(\\d+)$`);

// GramJS gives some subclasses a human sentence as errorMessage; name them after the class.
const CLASS_CODES = {
  UserMigrateError: "USER_MIGRATE", PhoneMigrateError: "PHONE_MIGRATE",
  FileMigrateError: "FILE_MIGRATE", NetworkMigrateError: "NETWORK_MIGRATE",
  EmailUnconfirmedError: "EMAIL_UNCONFIRMED", MsgWaitError: "MSG_WAIT", TimedOutError: "TIMEOUT",
};

/** One printable line of at most `max` characters (for error messages and the log). */
export function oneLine(s, max = 300) {
  const t = String(s ?? "").replace(/[\r\n\t]+/g, " ").trim();
  return t.length > max ? t.slice(0, max - 1) + "…" : t;
}

/**
 * Maps anything thrown by a backend onto the protocol's error object
 * `{ code, message[, seconds] }` (BRIDGE-PROTOCOL.md "Error codes").
 */
export function mapError(err) {
  if (err instanceof BridgeError) {
    const out = { code: err.code, message: oneLine(err.message) };
    if (err.seconds !== undefined) out.seconds = err.seconds;
    return out;
  }
  // FloodWaitError (also FLOOD_PREMIUM_WAIT_X), FloodTestPhoneWaitError, SlowModeWaitError:
  // errorMessage is just "FLOOD"; the number is in .seconds.
  if (err instanceof FloodError && Number.isFinite(err.seconds)) {
    return { code: "FLOOD_WAIT", message: oneLine(err.message), seconds: Math.max(0, Math.ceil(err.seconds)) };
  }
  if (err instanceof RPCError) {
    const cls = err.constructor && err.constructor.name;
    let name = String(err.errorMessage ?? "");
    if (CLASS_CODES[cls]) name = CLASS_CODES[cls];
    else if (err instanceof InvalidDCError && !/^[A-Z0-9_]+$/.test(name)) name = "NETWORK";
    const wait = WAIT_NAME.exec(name);
    if (wait) return { code: "FLOOD_WAIT", message: oneLine(err.message), seconds: Number(wait[1]) };
    if (!/^[A-Z0-9_]+$/.test(name)) name = name.toUpperCase().replace(/[^A-Z0-9_]+/g, "_") || "INTERNAL";
    return { code: name, message: oneLine(err.message) };
  }
  if (err instanceof Error) {
    const message = oneLine(err.message) || err.name;
    if (/TIMEOUT|timed out/i.test(err.message) || err.code === "ETIMEDOUT") return { code: "TIMEOUT", message };
    // Our own programming errors are not network trouble: retrying them would not help.
    if (err instanceof TypeError || err instanceof RangeError || err instanceof ReferenceError ||
        err instanceof SyntaxError) {
      return { code: "INTERNAL", message: `${err.name}: ${message}` };
    }
    return { code: "NETWORK", message };
  }
  return { code: "INTERNAL", message: oneLine(err) || "unknown failure" };
}

// ---------------------------------------------------------------------------------------------
// Framing

/**
 * Splits a byte stream into lines. `onLine(text)` gets each line without its "\n" (and "\r");
 * a line longer than `maxBytes` is discarded up to its end and reported once through
 * `onOversize(head)`, where head is its first bytes (to read an id from).
 */
export class LineSplitter {
  constructor(onLine, onOversize, maxBytes = MAX_LINE_BYTES) {
    this.onLine = onLine;
    this.onOversize = onOversize;
    this.maxBytes = maxBytes;
    this.chunks = [];
    this.size = 0;
    this.discarding = false;
    this.head = null;
  }

  push(chunk) {
    let buf = typeof chunk === "string" ? Buffer.from(chunk, "utf8") : chunk;
    for (;;) {
      const nl = buf.indexOf(0x0a);
      if (nl < 0) {
        this.keep(buf);
        return;
      }
      this.keep(buf.subarray(0, nl));
      this.flush();
      buf = buf.subarray(nl + 1);
    }
  }

  /** End of input: a last line without "\n" still counts. */
  end() {
    if (this.size > 0 || this.discarding) this.flush();
  }

  keep(part) {
    if (part.length === 0) return;
    if (this.discarding) return;
    if (this.size + part.length > this.maxBytes) {
      const all = Buffer.concat([...this.chunks, part.subarray(0, 64)]);
      this.head = all.subarray(0, 64).toString("utf8");
      this.chunks = [];
      this.size = 0;
      this.discarding = true;
      return;
    }
    this.chunks.push(part);
    this.size += part.length;
  }

  flush() {
    if (this.discarding) {
      this.discarding = false;
      const head = this.head;
      this.head = null;
      this.onOversize(head);
      return;
    }
    let text = Buffer.concat(this.chunks, this.size).toString("utf8");
    this.chunks = [];
    this.size = 0;
    if (text.endsWith("\r")) text = text.slice(0, -1);
    this.onLine(text);
  }
}

// ---------------------------------------------------------------------------------------------
// Request validation: one spec per op. Each returns the parameters the backend receives or
// throws BridgeError("BAD_REQUEST") naming the field.

function bad(message) {
  return new BridgeError("BAD_REQUEST", message);
}

function isObject(v) {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

function int64String(v, field, { signed = true } = {}) {
  if (typeof v !== "string" || !/^-?\d{1,20}$/.test(v)) throw bad(`${field} must be a decimal string`);
  const n = BigInt(v);
  if (n < (signed ? INT64_MIN : 0n) || n > INT64_MAX) throw bad(`${field} is out of the 64-bit range`);
  return n.toString();
}

function account(req) {
  if (!Number.isSafeInteger(req.account)) throw bad("account must be an integer");
  return req.account;
}

function optString(req, field) {
  const v = req[field];
  if (v === undefined || v === null) return null;
  if (typeof v !== "string") throw bad(`${field} must be a string`);
  return v;
}

function reqString(req, field, { empty = false } = {}) {
  const v = req[field];
  if (typeof v !== "string" || (!empty && v.length === 0)) throw bad(`${field} must be a non-empty string`);
  return v;
}

/** `{"user_id","access_hash"}` or `{"self":true}` → `{ self: true }` | `{ self: false, userId, accessHash }`. */
export function parsePeer(v) {
  if (!isObject(v)) throw bad("peer must be an object");
  if (v.self === true) return { self: true };
  const userId = int64String(v.user_id, "peer.user_id", { signed: false });
  const accessHash = int64String(v.access_hash, "peer.access_hash");
  return { self: false, userId, accessHash };
}

export const ENTITY_TYPES = new Set(["bold", "italic", "underline", "strikethrough", "code", "pre", "text_url"]);

/** Length of a string in UTF-16 code units (what Telegram counts entity offsets in). */
export function utf16Length(s) {
  return s.length; // JavaScript strings are UTF-16 already
}

export function parseEntities(v, text) {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw bad("entities must be an array");
  const len = utf16Length(text);
  return v.map((e, i) => {
    if (!isObject(e)) throw bad(`entities[${i}] must be an object`);
    if (!ENTITY_TYPES.has(e.type)) throw bad(`entities[${i}].type is not one of ${[...ENTITY_TYPES].join(", ")}`);
    if (!Number.isSafeInteger(e.offset) || e.offset < 0) throw bad(`entities[${i}].offset must be an integer ≥ 0`);
    if (!Number.isSafeInteger(e.length) || e.length < 1) throw bad(`entities[${i}].length must be an integer ≥ 1`);
    if (e.offset + e.length > len) throw new BridgeError("ENTITY_BOUNDS_INVALID", `entities[${i}] ends past the text (${len} UTF-16 units)`);
    const out = { type: e.type, offset: e.offset, length: e.length };
    if (e.type === "text_url") {
      if (typeof e.url !== "string" || e.url.length === 0) throw bad(`entities[${i}].url must be a non-empty string`);
      out.url = e.url;
    }
    if (e.type === "pre" && e.language !== undefined && e.language !== null) {
      if (typeof e.language !== "string") throw bad(`entities[${i}].language must be a string`);
      out.language = e.language;
    }
    return out;
  });
}

/** `{"path","mime"}` plus optional video hints `duration` (s), `width`, `height`. */
function parseMedia(v, field = "media") {
  if (v === undefined || v === null) return null;
  if (!isObject(v)) throw bad(`${field} must be an object or null`);
  const path = reqString(v, "path");
  const mime = v.mime === undefined || v.mime === null ? "application/octet-stream" : reqString(v, "mime");
  const out = { path, mime };
  for (const k of ["duration", "width", "height"]) {
    if (v[k] === undefined || v[k] === null) continue;
    if (typeof v[k] !== "number" || !(v[k] >= 0)) throw bad(`${field}.${k} must be a number ≥ 0`);
    out[k] = v[k];
  }
  return out;
}

/** The op table: name → validator returning the backend's parameters (ping is answered here). */
const OPS = {
  ping: () => ({}),
  start: (r) => ({ account: account(r), session: optString(r, "session") || null }), // "" is no session
  send_code: (r) => ({ account: account(r), phone: reqString(r, "phone") }),
  sign_in: (r) => {
    const out = { account: account(r), code: optString(r, "code"), password: optString(r, "password") };
    if (out.code === null && out.password === null) throw bad("sign_in needs code and/or password");
    return out;
  },
  sync: (r) => {
    const out = { account: account(r), cursor: optString(r, "cursor"), limit: DEFAULT_SYNC_LIMIT, minMessageId: {} };
    if (r.limit !== undefined && r.limit !== null) {
      if (!Number.isSafeInteger(r.limit) || r.limit < 1) throw bad("limit must be an integer ≥ 1");
      out.limit = Math.min(r.limit, MAX_SYNC_LIMIT);
    }
    if (r.min_message_id !== undefined && r.min_message_id !== null) {
      if (!isObject(r.min_message_id)) throw bad("min_message_id must be an object");
      for (const [k, v] of Object.entries(r.min_message_id)) {
        if (!Number.isSafeInteger(v) || v < 0) throw bad(`min_message_id["${k}"] must be an integer ≥ 0`);
        out.minMessageId[k] = v;
      }
    }
    return out;
  },
  send: (r) => {
    const text = r.text === undefined || r.text === null ? "" : r.text;
    if (typeof text !== "string") throw bad("text must be a string");
    const media = parseMedia(r.media);
    if (text.length === 0 && !media) throw bad("text must be non-empty when there is no media");
    return {
      account: account(r),
      peer: parsePeer(r.peer),
      text,
      entities: parseEntities(r.entities, text),
      media,
      randomId: int64String(r.random_id, "random_id"),
    };
  },
  upload: (r) => ({
    account: account(r),
    ...parseMedia({ path: r.path, mime: r.mime, duration: r.duration, width: r.width, height: r.height }, "upload"),
  }),
  logout: (r) => ({ account: account(r) }),
  stop: (r) => ({ account: account(r) }),
};

export const OP_NAMES = Object.keys(OPS);

// ---------------------------------------------------------------------------------------------
// Writing lines

// Telegram passes on whatever a client sent: a name cut in the middle of an emoji holds an
// unpaired surrogate, and a message may hold U+0000. JSON.stringify writes the first as a
// "\udXXX" escape and the second as "\u0000"; jansson refuses the first always and the second
// unless asked, and one refused line loses a whole sync page (the account's sync then fails on
// every retry). Both escapes become U+FFFD on the finished line, so values, keys and our own
// error messages (oneLine may cut a pair) are covered in this one place. JSON.stringify writes a
// backslash as "\\" and its hex digits in lowercase; the pattern consumes escaped backslashes
// first, so the text `\u0000` (a backslash, then "u0000") is left alone. A paired surrogate is
// written as the character itself, never escaped, so every surrogate escape is an unpaired one.
const UNSAFE_ESCAPE = /\\(\\|u0000|ud[89a-f][0-9a-f]{2})/g;

/**
 * The protocol line ("…\n") for obj: JSON without U+0000 and unpaired surrogates (each replaced
 * by U+FFFD), so that a strict parser reads it. Throws what JSON.stringify throws.
 */
export function encodeLine(obj) {
  return JSON.stringify(obj).replace(UNSAFE_ESCAPE, (m, what) => (what === "\\" ? m : "\uFFFD")) + "\n";
}

// ---------------------------------------------------------------------------------------------
// The loop

/**
 * Runs the protocol until `input` ends, then closes the backend.
 * @param {object} o
 * @param {import("node:stream").Readable} o.input   request bytes
 * @param {(line: string) => void} o.write            writes one whole line ("…\n") to the C side
 * @param {object} o.backend                          see the header comment
 * @param {(msg: string) => void} [o.log]             one diagnostic line (never secrets)
 * @returns {{ done: Promise<void>, emit: (event: object) => void }}
 */
export function serve({ input, write, backend, log = () => {}, defaultTimeoutMs = DEFAULT_TIMEOUT_MS,
  maxLineBytes = MAX_LINE_BYTES }) {
  const inflight = new Map(); // request → deadline timer
  let closed = false;
  let drained = null; // resolves when the last in-flight request is answered (set at end of input)

  function send(obj) {
    if (closed) return;
    let line;
    try {
      line = encodeLine(obj);
    } catch (e) {
      line = encodeLine({ id: obj.id ?? null, ok: false, error: { code: "INTERNAL", message: "result not serialisable: " + oneLine(e.message) } });
    }
    write(line);
  }

  function emit(event) {
    send(event);
  }

  function fail(id, err) {
    send({ id, ok: false, error: err instanceof Error ? mapError(err) : err });
  }

  function handle(text) {
    if (text.trim() === "") return; // blank lines carry nothing; they are not requests
    let req;
    try {
      req = JSON.parse(text);
    } catch {
      return fail(null, { code: "BAD_REQUEST", message: "line is not JSON" });
    }
    if (!isObject(req)) return fail(null, { code: "BAD_REQUEST", message: "line is not a JSON object" });
    if (!Number.isSafeInteger(req.id)) return fail(null, { code: "BAD_REQUEST", message: "id must be an integer" });
    const id = req.id;
    if (typeof req.op !== "string") return fail(id, { code: "BAD_REQUEST", message: "op must be a string" });
    if (!Object.hasOwn(OPS, req.op)) return fail(id, { code: "BAD_REQUEST", message: `unknown op "${oneLine(req.op, 40)}"` });
    let timeoutMs = defaultTimeoutMs;
    if (req.timeout_ms !== undefined && req.timeout_ms !== null) {
      if (!Number.isSafeInteger(req.timeout_ms) || req.timeout_ms < 1 || req.timeout_ms > MAX_TIMEOUT_MS) {
        return fail(id, { code: "BAD_REQUEST", message: `timeout_ms must be an integer in 1..${MAX_TIMEOUT_MS}` });
      }
      timeoutMs = req.timeout_ms;
    }
    let params;
    try {
      params = OPS[req.op](req);
    } catch (e) {
      return fail(id, e);
    }
    if (req.op === "ping") return send({ id, ok: true, result: { pong: true, backend: backend.name } });
    run(id, req.op, params, timeoutMs);
  }

  function run(id, op, params, timeoutMs) {
    const token = { id };
    let answered = false;
    const answer = (obj) => {
      if (answered) return false;
      answered = true;
      clearTimeout(inflight.get(token));
      inflight.delete(token);
      send(obj);
      if (inflight.size === 0 && drained) drained();
      return true;
    };
    inflight.set(token, setTimeout(() => {
      answer({ id, ok: false, error: { code: "TIMEOUT", message: `${op} did not finish within ${timeoutMs} ms` } });
    }, timeoutMs));
    const ctx = { deadline: Date.now() + timeoutMs };
    Promise.resolve()
      .then(() => backend[op](params, ctx))
      .then(
        (result) => {
          if (!answer({ id, ok: true, result: result ?? {} })) log(`request ${id} (${op}) finished after its deadline; result dropped`);
        },
        (err) => {
          const mapped = mapError(err);
          if (mapped.code === "INTERNAL") log(`request ${id} (${op}) failed: ${mapped.message}`);
          if (!answer({ id, ok: false, error: mapped })) log(`request ${id} (${op}) failed after its deadline (${mapped.code})`);
        },
      );
  }

  function oversize(head) {
    const m = /^\s*\{\s*"id"\s*:\s*(-?\d{1,15})\s*[,}]/.exec(head || "");
    fail(m ? Number(m[1]) : null, { code: "BAD_REQUEST", message: `line longer than ${maxLineBytes} bytes` });
  }

  send({ event: "ready", backend: backend.name });
  backend.onEvent = emit;

  const splitter = new LineSplitter(handle, oversize, maxLineBytes);
  const done = new Promise((resolve) => {
    let ending = false;
    const finish = async () => {
      if (ending) return;
      ending = true;
      splitter.end();
      // Requests already read still get their answers (each is bounded by its deadline).
      if (inflight.size > 0) await new Promise((r) => { drained = r; });
      try {
        await backend.close();
      } catch (e) {
        log("closing the backend failed: " + mapError(e).message);
      }
      closed = true;
      resolve();
    };
    input.on("data", (chunk) => {
      try {
        splitter.push(chunk);
      } catch (e) {
        log("framing failed: " + oneLine(e.message));
      }
    });
    input.on("end", finish);
    input.on("close", finish);
    input.on("error", (e) => {
      log("input failed: " + oneLine(e.message));
      finish();
    });
  });
  return { done, emit };
}
