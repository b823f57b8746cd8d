#!/usr/bin/env node
// bench/wire.mjs — `make bench`: the bridge with 100 accounts connected through GramJS over real
// MTProto (the loopback server of tests/mtproto), and what happens when that server drops every
// connection at once.
//
// Owns the whole run: a throwaway scenario and record, `node tests/mtproto/server.mjs`, and one
// real bridge process (`node bridge/main.mjs --backend gramjs`, test mode) driven over its JSON
// lines. It logs in ACCOUNTS accounts (each its own auth key), sends one message per account to
// its Saved Messages, measures the bridge's resident memory (VmRSS, and VmHWM the peak), drops
// every connection at the server (SIGUSR1), sends again and measures how long until every account
// has answered, then checks the record: each message exactly once. Prints the numbers with their
// targets (memory < 150 MB, all back < 30 s) and writes bench/out/wire.txt (and wire.json for
// bench/summary.py); exits 1 when a target is missed. Settings (environment): ACCOUNTS (100),
// PARALLEL (5 logins at once).

import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import readline from "node:readline";
import { figure, writeFigures } from "./figures.mjs"; // the figures for bench/summary.py

const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), "..");
const ACCOUNTS = Number(process.env.ACCOUNTS || 100);
const PARALLEL = Number(process.env.PARALLEL || 5);
const MEMORY_TARGET_MB = 150;
const BACK_TARGET_S = 30;

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tgr-bench-wire-"));
const scenarioPath = path.join(dir, "scenario.json");
const recordPath = path.join(dir, "deliveries.jsonl");
fs.writeFileSync(scenarioPath, JSON.stringify({
  me: { id: "8800", first_name: "Bench Shop", phone: "+15550008800" }, login: { code: "80417" },
  users: [], record: "deliveries.jsonl",
}));

const children = [];
function cleanup() {
  for (const c of children) if (c.exitCode === null) c.kill("SIGTERM");
  fs.rmSync(dir, { recursive: true, force: true });
}
process.on("exit", cleanup);
process.on("SIGINT", () => process.exit(130));

function firstLine(child) {
  return new Promise((resolve, reject) => {
    const rl = readline.createInterface({ input: child.stdout });
    rl.once("line", (l) => {
      rl.close();
      resolve(l);
    });
    child.once("exit", (c) => reject(new Error(`exited ${c} before its first line`)));
  });
}

const server = spawn("node", [path.join(ROOT, "tests/mtproto/server.mjs"), "--scenario", scenarioPath, "--port", "0"], {
  stdio: ["ignore", "pipe", "ignore"],
});
children.push(server);
const port = Number((await firstLine(server)).split(":").pop());

const bridge = spawn("node", [path.join(ROOT, "bridge/main.mjs"), "--backend", "gramjs"], {
  stdio: ["pipe", "pipe", "ignore"],
  env: {
    ...process.env, TGR_TEST_MODE: "1", TGR_GRAMJS_TEST_DC: `127.0.0.1:${port}`, TG_API_ID: "1",
    TG_API_HASH: "0123456789abcdef0123456789abcdef",
  },
});
children.push(bridge);
const pending = new Map();
let nextId = 1;
readline.createInterface({ input: bridge.stdout }).on("line", (l) => {
  const m = JSON.parse(l);
  if (m.id === undefined || !pending.has(m.id)) return;
  pending.get(m.id)(m);
  pending.delete(m.id);
});

function call(op, fields, timeoutMs = 60000) {
  const id = nextId++;
  return new Promise((resolve, reject) => {
    pending.set(id, (m) => (m.ok ? resolve(m.result) : reject(Object.assign(new Error(m.error.code), m.error))));
    bridge.stdin.write(JSON.stringify({ id, op, timeout_ms: timeoutMs, ...fields }) + "\n");
  });
}

async function pool(n, fn) {
  let next = 0;
  await Promise.all(Array.from({ length: PARALLEL }, async () => {
    while (next < n) await fn(next++);
  }));
}

function memory(pid) {
  const status = fs.readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = (k) => Number(new RegExp(`^${k}:\\s+(\\d+)`, "m").exec(status)[1]);
  return { rss: kb("VmRSS") / 1024, hwm: kb("VmHWM") / 1024 };
}

const sendAll = (round) => Promise.all(Array.from({ length: ACCOUNTS }, async (_, i) => {
  const t0 = Date.now();
  await call("send", { account: i + 1, peer: { self: true }, text: `bench ${round} ${i + 1}`, random_id: `${round}${String(i + 1).padStart(6, "0")}` });
  return Date.now() - t0;
}));

await new Promise((r) => setTimeout(r, 1500));
const base = memory(bridge.pid); // GramJS loaded, no account yet
const t0 = Date.now();
await pool(ACCOUNTS, async (i) => {
  await call("send_code", { account: i + 1, phone: "+15550008800" });
  await call("sign_in", { account: i + 1, code: "80417" });
});
const loginS = (Date.now() - t0) / 1000;
await sendAll(1);
await new Promise((r) => setTimeout(r, 3000));
const mem = memory(bridge.pid);

server.kill("SIGUSR1"); // every connection dropped at once
const back = await sendAll(2);
const backS = Math.max(...back) / 1000;

const lines = fs.readFileSync(recordPath, "utf8").trim().split("\n").map((l) => JSON.parse(l));
const keys = new Set(lines.map((r) => `${r.user_id} ${r.random_id}`));
const exactlyOnce = lines.length === 2 * ACCOUNTS && keys.size === lines.length;

const ok = mem.rss < MEMORY_TARGET_MB && backS < BACK_TARGET_S && exactlyOnce;
const report = [
  `wire: ${ACCOUNTS} accounts logged in through GramJS over MTProto in ${loginS.toFixed(1)} s (${PARALLEL} at a time)`,
  `wire: bridge memory with ${ACCOUNTS} accounts connected: ${mem.rss.toFixed(0)} MB resident, ${mem.hwm.toFixed(0)} MB peak (target < ${MEMORY_TARGET_MB} MB; ${base.rss.toFixed(0)} MB with none)`,
  `wire: every connection dropped: all ${ACCOUNTS} accounts answered a send again within ${backS.toFixed(1)} s (target < ${BACK_TARGET_S} s)`,
  `wire: record ${lines.length} deliveries for ${2 * ACCOUNTS} sends, ${exactlyOnce ? "each exactly once" : "NOT each exactly once"}`,
  `wire: ${ok ? "targets met" : "TARGET MISSED"}`,
].join("\n");
console.log(report);
fs.mkdirSync(path.join(ROOT, "bench/out"), { recursive: true });
fs.writeFileSync(path.join(ROOT, "bench/out/wire.txt"), report + "\n");
writeFigures("wire", [
  figure("wire_login_s", `${ACCOUNTS} logins over MTProto, ${PARALLEL} at a time`, Number(loginS.toFixed(1)), "s", { better: "lower" }),
  figure("wire_rss_mb", `bridge RSS with ${ACCOUNTS} accounts`, Math.round(mem.rss), "MB", { op: "<", target: MEMORY_TARGET_MB }),
  figure("wire_back_s", "all accounts answering again after every connection dropped", Number(backS.toFixed(1)), "s", { op: "<", target: BACK_TARGET_S }),
  figure("wire_exactly_once", "each message in the record exactly once", exactlyOnce, "", { op: "==", target: true }),
]);
bridge.stdin.end();
process.exit(ok ? 0 : 1);
