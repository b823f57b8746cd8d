// harness.mjs — shared test fixtures: an in-memory protocol harness, a spawned bridge process,
// temporary scenario directories, and small waiting helpers. It lives outside test/ so that
// `node --test test/` does not run it as a test file.

import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { spawn } from "node:child_process";
import { PassThrough } from "node:stream";
import { fileURLToPath } from "node:url";
import { serve } from "../protocol.mjs";

export const BRIDGE_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
export const MAIN = path.join(BRIDGE_DIR, "main.mjs");

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Polls pred() until it returns something truthy, or throws after ms. */
export async function until(pred, ms = 3000, what = "condition") {
  const end = Date.now() + ms;
  for (;;) {
    const v = await pred();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

/** A fresh directory holding scenario.json; returns { dir, file, recordPath(name) }. */
export function scenarioDir(scenario) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tgr-bridge-test-"));
  const file = path.join(dir, "scenario.json");
  fs.writeFileSync(file, JSON.stringify(scenario));
  return { dir, file, record: (name = scenario.record) => readJsonLines(path.join(dir, name)) };
}

export function readJsonLines(file) {
  if (!fs.existsSync(file)) return [];
  return fs.readFileSync(file, "utf8").split("\n").filter((l) => l.trim()).map((l) => JSON.parse(l));
}

/**
 * JSON.parse as a strict parser (jansson, RFC 8259 text) reads: every key and string must be
 * well-formed Unicode without U+0000. JSON.parse itself accepts "\ud800" and "\u0000" escapes;
 * this throws on them, naming the first bad string.
 */
export function strictParse(line) {
  const check = (s, what) => {
    if (!s.isWellFormed() || s.includes("\0")) throw new SyntaxError(`${what} ${JSON.stringify(s)} is not strict JSON text`);
  };
  return JSON.parse(line, (key, value) => {
    check(key, "key");
    if (typeof value === "string") check(value, "string");
    return value;
  });
}

/** Runs protocol.serve over in-memory streams; every output line is parsed and kept. */
export function harness(backend, opts = {}) {
  const input = new PassThrough();
  const raw = [];
  const lines = [];
  const { done } = serve({
    input,
    backend,
    log: opts.log || (() => {}),
    write: (line) => {
      raw.push(line);
      lines.push(JSON.parse(line));
    },
    ...opts,
  });
  let nextId = 1;
  const h = {
    input, lines, raw, done,
    write(text) {
      input.write(text);
    },
    send(obj) {
      input.write(JSON.stringify(obj) + "\n");
    },
    waitFor(pred, ms = 3000, what = "a line") {
      return until(() => lines.find(pred), ms, what);
    },
    async request(op, fields = {}, ms = 3000) {
      const id = nextId++;
      h.send({ id, op, ...fields });
      return h.waitFor((l) => l.id === id, ms, `the answer to ${op}`);
    },
    responses(id) {
      return lines.filter((l) => l.id === id);
    },
    async close() {
      input.end();
      await done;
    },
  };
  return h;
}

/** Spawns the real bridge; lines() gives stdout lines parsed as they come. */
export function spawnBridge(args, { env = process.env } = {}) {
  const child = spawn(process.execPath, [MAIN, ...args], { cwd: BRIDGE_DIR, env, stdio: ["pipe", "pipe", "pipe"] });
  const rawLines = [];
  let buf = "";
  let stderr = "";
  child.stdout.setEncoding("utf8");
  child.stdout.on("data", (d) => {
    buf += d;
    let i;
    while ((i = buf.indexOf("\n")) >= 0) {
      rawLines.push(buf.slice(0, i));
      buf = buf.slice(i + 1);
    }
  });
  child.stderr.setEncoding("utf8");
  child.stderr.on("data", (d) => {
    stderr += d;
  });
  const exited = new Promise((resolve) => child.on("close", (code) => resolve({ code, tail: buf })));
  let nextId = 1;
  const b = {
    child, rawLines, exited,
    get stderr() {
      return stderr;
    },
    parsed() {
      return rawLines.map((l) => JSON.parse(l));
    },
    send(obj) {
      child.stdin.write(JSON.stringify(obj) + "\n");
    },
    async request(op, fields = {}, ms = 5000) {
      const id = nextId++;
      b.send({ id, op, ...fields });
      return until(() => b.parsed().find((l) => l.id === id), ms, `the answer to ${op}`);
    },
    async end() {
      child.stdin.end();
      return exited;
    },
  };
  return b;
}
