// testdc.mjs — TEST MODE ONLY: points the GramJS backend at a loopback MTProto server
// (tests/mtproto/server.mjs) instead of Telegram, so that the real TelegramClient runs over TCP.
//
// Owns: reading TGR_GRAMJS_TEST_DC (refused unless TGR_TEST_MODE=1, and only a 127.x.x.x
// address), registering the test server's RSA public key in GramJS's key table, the socket
// class that dials the test port (GramJS 2.26.22 on Node ignores the port of a session and of
// help.getConfig: it always dials port 80, and 443 after a DC switch), and the DC of a new
// session (DC 1 at the given address). The key below is the public half of
// tests/mtproto/test-rsa-key.json, whose private half is in the repository: registering it
// outside a test would let anyone with that file pose as Telegram, hence the two guards.

import crypto from "node:crypto";
import net from "node:net";
import { helpers } from "telegram";
import { _serverKeys } from "telegram/crypto/RSA.js";
import { PromisedNetSockets } from "telegram/extensions/index.js";

/** The DC a new session starts on; the server's help.getConfig agrees (DC 2 is 127.0.0.2). */
export const TEST_DC_ID = 1;
/** What a session records as the port: GramJS never dials it, and its string holds a signed 16-bit port. */
export const TEST_SESSION_PORT = 443;

const TEST_KEY_N =
  "3160127941258901656403371284671297074777953507798247657912243399775037315432228813955480367371808112376205261807659449241107354520755029640835020645462348141856" +
  "8633880934786549723047369359031159104768549079411323488015495276174103858405984054965365167038745174035469236942164069023121221730652682516730883722758928205735" +
  "3892487420064528067249555614290683653772791918732667469120360286773841451072216176867455069644430239000642542334562977340880327167815874840734786698920899431213" +
  "08164544940068097062721908919304210563113163053182059840925647869406240306919976370077435071359310933622728812904915399559816711719854159";
const TEST_KEY_E = 65537;

/** TL `bytes` of a big-endian number (as in rsa_public_key n:bytes e:bytes). */
function tlBytes(buf) {
  const head = buf.length < 254 ? Buffer.from([buf.length]) : Buffer.from([254, buf.length & 255, (buf.length >> 8) & 255, 0]);
  const pad = (4 - ((head.length + buf.length) % 4)) % 4;
  return Buffer.concat([head, buf, Buffer.alloc(pad)]);
}

function bigEndian(n) {
  let hex = BigInt(n).toString(16);
  if (hex.length % 2) hex = "0" + hex;
  return Buffer.from(hex, "hex");
}

/** Telegram's fingerprint of an RSA key: the low 64 bits of SHA1(rsa_public_key n e), signed, decimal. */
export function rsaFingerprint(n, e) {
  const digest = crypto.createHash("sha1").update(Buffer.concat([tlBytes(bigEndian(n)), tlBytes(bigEndian(e))])).digest();
  return digest.subarray(12, 20).readBigInt64LE(0).toString();
}

/**
 * The test DC named by the environment: null when TGR_GRAMJS_TEST_DC is unset; throws an Error
 * saying why when it is set without TGR_TEST_MODE=1 or is not a loopback HOST:PORT.
 */
export function testDcFromEnv(env) {
  const v = env.TGR_GRAMJS_TEST_DC;
  if (v === undefined || v === "") return null;
  if (env.TGR_TEST_MODE !== "1") {
    throw new Error("TGR_GRAMJS_TEST_DC is for tests only and needs TGR_TEST_MODE=1");
  }
  const m = /^(127\.\d{1,3}\.\d{1,3}\.\d{1,3}):(\d{1,5})$/.exec(v);
  const port = m ? Number(m[2]) : 0;
  if (!m || !net.isIPv4(m[1]) || port < 1 || port > 65535) {
    throw new Error("TGR_GRAMJS_TEST_DC must be 127.x.x.x:PORT, the loopback MTProto server of the tests");
  }
  return { host: m[1], port };
}

/** Lets GramJS accept the test server's key (the only place the key table is touched). */
export function registerTestKey() {
  _serverKeys.set(rsaFingerprint(TEST_KEY_N, TEST_KEY_E), { n: helpers.returnBigInt(TEST_KEY_N), e: TEST_KEY_E });
}

/** A GramJS socket class that dials `port` on the loopback address GramJS asked for, and refuses anything else. */
export function loopbackSocket(port) {
  return class LoopbackSocket extends PromisedNetSockets {
    async connect(_port, ip) {
      if (!net.isIPv4(ip) || !ip.startsWith("127.")) throw new Error(`test mode: refusing to dial ${ip}: only loopback DCs`);
      return super.connect(port, ip);
    }
  };
}

/** Client options and session setup for the test DC (registers the key once). */
export function testDcOptions(dc) {
  registerTestKey();
  return {
    clientParams: { networkSocket: loopbackSocket(dc.port) },
    /** A session without an address starts on the test DC. */
    place(session) {
      if (!session.serverAddress) session.setDC(TEST_DC_ID, dc.host, TEST_SESSION_PORT);
    },
  };
}
