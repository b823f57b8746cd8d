// errors.test.mjs — mapError against GramJS's real error classes from the installed package,
// built the way GramJS builds them from a server answer (RPCMessageToError).

import test from "node:test";
import assert from "node:assert/strict";
import { Api } from "telegram";
import {
  FloodWaitError, RPCError, RPCMessageToError, SlowModeWaitError, UserMigrateError, TimedOutError,
} from "telegram/errors/index.js";
import { readFileSync } from "node:fs";
import { mapError, BridgeError, DEAD_SESSION_CODES, TELEGRAM_ERRORS, codesOfClass } from "../protocol.mjs";

const sendRequest = new Api.messages.SendMessage({ peer: new Api.InputPeerSelf(), message: "x" });

/** What GramJS throws for a server error `message` with `code`. */
function fromServer(message, code = 400) {
  return RPCMessageToError({ errorMessage: message, errorCode: code }, sendRequest);
}

test("FloodWaitError → FLOOD_WAIT with seconds (its errorMessage is just FLOOD)", () => {
  const e = fromServer("FLOOD_WAIT_37", 420);
  assert.ok(e instanceof FloodWaitError);
  assert.equal(e.errorMessage, "FLOOD");
  const m = mapError(e);
  assert.equal(m.code, "FLOOD_WAIT");
  assert.equal(m.seconds, 37);
  assert.equal(typeof m.message, "string");
  assert.deepEqual(mapError(new FloodWaitError({ capture: 5 })), { code: "FLOOD_WAIT", message: "A wait of 5 seconds is required", seconds: 5 });
});

test("FLOOD_PREMIUM_WAIT_X is a FloodWaitError too; SLOWMODE_WAIT_X waits as well", () => {
  const p = fromServer("FLOOD_PREMIUM_WAIT_12", 420);
  assert.ok(p instanceof FloodWaitError);
  assert.deepEqual([mapError(p).code, mapError(p).seconds], ["FLOOD_WAIT", 12]);
  const s = fromServer("SLOWMODE_WAIT_9", 420);
  assert.ok(s instanceof SlowModeWaitError);
  assert.deepEqual([mapError(s).code, mapError(s).seconds], ["FLOOD_WAIT", 9]);
});

test("an RPCError built by hand with a FLOOD_WAIT_N name is normalised too", () => {
  const m = mapError(new RPCError("FLOOD_WAIT_123", sendRequest, 420));
  assert.deepEqual([m.code, m.seconds], ["FLOOD_WAIT", 123]);
  const p = mapError(new RPCError("FLOOD_PREMIUM_WAIT_8", undefined, 420));
  assert.deepEqual([p.code, p.seconds], ["FLOOD_WAIT", 8]);
});

test("the errors of 2025 keep their names: frozen accounts, paid messages (406 and 403 with stars)", () => {
  for (const [name, code, cls] of [
    ["FROZEN_METHOD_INVALID", 420, "account_frozen"], ["FROZEN_PARTICIPANT_MISSING", 400, "account_frozen"],
    ["ALLOW_PAYMENT_REQUIRED", 406, "recipient_charges"], ["PRIVACY_PREMIUM_REQUIRED", 403, "recipient_permanent"],
  ]) {
    const e = fromServer(name, code);
    assert.ok(e instanceof RPCError, name);
    assert.equal(e.code, code);
    const m = mapError(e);
    assert.equal(m.code, name);
    assert.equal(m.seconds, undefined);
    assert.equal(TELEGRAM_ERRORS.errors[name].class, cls, name);
    assert.ok(!DEAD_SESSION_CODES.has(name), `${name} must not drop the session`);
  }
  // 403 ALLOW_PAYMENT_REQUIRED_<stars>: GramJS has no class for it; the number rides along.
  const paid = fromServer("ALLOW_PAYMENT_REQUIRED_50", 403);
  assert.equal(paid.constructor, RPCError);
  assert.equal(mapError(paid).code, "ALLOW_PAYMENT_REQUIRED_50");
  // A frozen account's 420 is not a FloodWait: GramJS does not sleep on it, tgr pauses.
  assert.ok(!(fromServer("FROZEN_METHOD_INVALID", 420) instanceof FloodWaitError));
  for (const dead of ["AUTH_KEY_INVALID", "AUTH_KEY_PERM_EMPTY", "PHONE_NUMBER_BANNED", "USER_DEACTIVATED_BAN"]) {
    assert.ok(DEAD_SESSION_CODES.has(dead), dead);
  }
});

test("other RPCErrors keep Telegram's name: PEER_FLOOD, USER_IS_BLOCKED, AUTH_KEY_UNREGISTERED, …", () => {
  for (const [name, code] of [
    ["PEER_FLOOD", 400], ["USER_IS_BLOCKED", 400], ["AUTH_KEY_UNREGISTERED", 401], ["SESSION_REVOKED", 401],
    ["INPUT_USER_DEACTIVATED", 400], ["PHONE_CODE_INVALID", 400], ["SESSION_PASSWORD_NEEDED", 401],
    ["USER_PRIVACY_RESTRICTED", 403], ["RANDOM_ID_DUPLICATE", 500],
  ]) {
    const e = fromServer(name, code);
    assert.ok(e instanceof RPCError, name);
    const m = mapError(e);
    assert.equal(m.code, name);
    assert.equal(m.seconds, undefined);
    assert.match(m.message, new RegExp(name));
  }
});

test("the dead-session and wait codes are the Telegram error registry's (share/telegram-errors.json)", () => {
  const file = JSON.parse(readFileSync(new URL("../../share/telegram-errors.json", import.meta.url), "utf8"));
  assert.deepEqual(TELEGRAM_ERRORS, file);
  const dead = Object.entries(file.errors).filter(([, e]) => e.class === "session_dead").map(([c]) => c);
  assert.deepEqual([...DEAD_SESSION_CODES].sort(), dead.sort());
  // The four copies disagreed on these; the registry decided (DECISIONS 54).
  for (const c of ["AUTH_KEY_INVALID", "AUTH_KEY_PERM_EMPTY", "SESSION_EXPIRED", "AUTH_KEY_DUPLICATED"]) assert.ok(DEAD_SESSION_CODES.has(c), c);
  for (const c of ["USER_IS_BLOCKED", "PEER_FLOOD", "TIMEOUT", "FLOOD_WAIT"]) assert.ok(!DEAD_SESSION_CODES.has(c), c);
  // Every wait code of the registry is normalised with its seconds, and nothing else is.
  assert.deepEqual(codesOfClass("flood_wait").sort(), ["FLOOD_PREMIUM_WAIT", "FLOOD_TEST_PHONE_WAIT", "FLOOD_WAIT", "SLOWMODE_WAIT"]);
  for (const w of codesOfClass("flood_wait")) {
    const m = mapError(new RPCError(`${w}_7`, undefined, 420));
    assert.deepEqual([m.code, m.seconds], ["FLOOD_WAIT", 7], w);
  }
  assert.deepEqual(mapError(new RPCError("PEER_FLOOD_7", undefined, 400)).code, "PEER_FLOOD_7");
});

test("GramJS classes whose errorMessage is a sentence get a code from their class", () => {
  assert.equal(mapError(new UserMigrateError({ capture: 2 })).code, "USER_MIGRATE");
  assert.equal(mapError(new TimedOutError("Timeout", sendRequest, -503)).code, "TIMEOUT");
});

test("plain Errors: TIMEOUT → TIMEOUT, disconnected and other trouble → NETWORK", () => {
  assert.equal(mapError(new Error("TIMEOUT")).code, "TIMEOUT");
  assert.equal(mapError(new Error("TIMEOUT: connect took longer than 20000 ms")).code, "TIMEOUT");
  const d = mapError(new Error("Cannot send requests while disconnected. You need to call .connect()"));
  assert.equal(d.code, "NETWORK");
  assert.match(d.message, /disconnected/);
  assert.equal(mapError(new Error("Request was unsuccessful 5 time(s)")).code, "NETWORK");
  assert.equal(mapError(Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:443"), { code: "ECONNREFUSED" })).code, "NETWORK");
});

test("our own BridgeError passes through; programming errors and non-errors are INTERNAL", () => {
  assert.deepEqual(mapError(new BridgeError("NOT_STARTED", "no client")), { code: "NOT_STARTED", message: "no client" });
  assert.deepEqual(mapError(new BridgeError("FLOOD_WAIT", "wait", 3)), { code: "FLOOD_WAIT", message: "wait", seconds: 3 });
  assert.equal(mapError(new TypeError("x is not a function")).code, "INTERNAL");
  assert.equal(mapError("a string").code, "INTERNAL");
  assert.equal(mapError(undefined).code, "INTERNAL");
});

test("messages are one line and bounded", () => {
  const m = mapError(new Error("line one\nline two " + "x".repeat(1000)));
  assert.ok(!m.message.includes("\n"));
  assert.ok(m.message.length <= 300);
});
