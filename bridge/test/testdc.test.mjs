// testdc.test.mjs — the test-only loopback DC of the GramJS backend (testdc.mjs): refused
// without TGR_TEST_MODE=1, only loopback addresses, the registered key is the test server's.

import test from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import { _serverKeys } from "telegram/crypto/RSA.js";
import { loopbackSocket, registerTestKey, rsaFingerprint, testDcFromEnv } from "../testdc.mjs";
import { configFromEnv } from "../gramjs.mjs";

const API = { TG_API_ID: "5", TG_API_HASH: "0123456789abcdef0123456789abcdef" };

test("TGR_GRAMJS_TEST_DC is refused without TGR_TEST_MODE=1", () => {
  assert.equal(testDcFromEnv({}), null);
  assert.equal(testDcFromEnv({ TGR_GRAMJS_TEST_DC: "" }), null);
  assert.throws(() => testDcFromEnv({ TGR_GRAMJS_TEST_DC: "127.0.0.1:4000" }), /TGR_TEST_MODE=1/);
  assert.throws(() => testDcFromEnv({ TGR_GRAMJS_TEST_DC: "127.0.0.1:4000", TGR_TEST_MODE: "true" }), /TGR_TEST_MODE=1/);
  assert.throws(() => configFromEnv({ ...API, TGR_GRAMJS_TEST_DC: "127.0.0.1:4000" }), /TGR_TEST_MODE=1/);
  assert.deepEqual(configFromEnv({ ...API, TGR_GRAMJS_TEST_DC: "127.0.0.1:4000", TGR_TEST_MODE: "1" }).testDc,
    { host: "127.0.0.1", port: 4000 });
});

test("only a loopback HOST:PORT is a test DC", () => {
  for (const v of ["149.154.167.91:443", "localhost:4000", "127.0.0.1", "127.0.0.1:0", "127.0.0.1:70000", "127.0.0.300:5", "[::1]:4000"]) {
    assert.throws(() => testDcFromEnv({ TGR_GRAMJS_TEST_DC: v, TGR_TEST_MODE: "1" }), /127\.x\.x\.x:PORT/, v);
  }
  assert.deepEqual(testDcFromEnv({ TGR_GRAMJS_TEST_DC: "127.0.0.2:65535", TGR_TEST_MODE: "1" }), { host: "127.0.0.2", port: 65535 });
});

test("the registered key is the public half of the test server's key", () => {
  const key = JSON.parse(fs.readFileSync(new URL("../../tests/mtproto/test-rsa-key.json", import.meta.url), "utf8"));
  const fp = rsaFingerprint(key.n, key.e);
  assert.equal(_serverKeys.has(fp), false);
  registerTestKey();
  assert.equal(_serverKeys.get(fp).n.toString(), key.n);
  // Telegram's own keys keep their fingerprints (the function is the one GramJS's table uses).
  for (const [known, k] of _serverKeys) assert.equal(rsaFingerprint(k.n.toString(), k.e), known);
});

test("the loopback socket refuses anything but 127.x.x.x", async () => {
  const Socket = loopbackSocket(1);
  await assert.rejects(new Socket().connect(80, "149.154.167.91"), /only loopback/);
  await assert.rejects(new Socket().connect(443, "::1"), /only loopback/);
});
