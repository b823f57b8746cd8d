#!/usr/bin/env node
// main.mjs — the bridge process: `node bridge/main.mjs --backend sim --scenario FILE`
// or `node bridge/main.mjs --backend gramjs` (env TG_API_ID, TG_API_HASH).
//
// Owns: guarding stdout (only protocol lines may reach it: every console method and any stray
// process.stdout.write go to stderr, reduced to one safe line, BEFORE any library is loaded),
// the command line, choosing and creating the backend, running protocol.serve over
// stdin/stdout, and leaving cleanly when stdin ends or a signal arrives.
// Exit codes: 0 normal, 2 bad command line or a backend that cannot start (bad scenario,
// missing API credentials), 70 an unexpected exception.

// ---- stdout guard: must run before GramJS (or anything else) is imported --------------------
const stdoutWrite = process.stdout.write.bind(process.stdout);

function stderrLine(text) {
  process.stderr.write(`tgr-bridge: ${text}\n`);
}

/** One line describing console arguments without dumping objects (they may hold texts or keys). */
function describe(args) {
  const parts = args.map((a) => {
    if (typeof a === "string") return a;
    if (typeof a === "number" || typeof a === "boolean" || a === null || a === undefined) return String(a);
    if (a instanceof Error) return `${a.name}: ${a.message}`;
    return `<${(a && a.constructor && a.constructor.name) || typeof a}>`;
  });
  const line = parts.join(" ").replace(/[\r\n\t]+/g, " ");
  return line.length > 500 ? line.slice(0, 499) + "…" : line;
}

for (const method of ["log", "info", "debug", "warn", "error", "trace", "dir", "table"]) {
  console[method] = (...args) => stderrLine(`console.${method}: ${describe(args)}`);
}
process.stdout.write = (chunk, encoding, cb) => {
  stderrLine(`dropped a stray stdout write of ${chunk ? chunk.length : 0} characters`);
  if (typeof encoding === "function") encoding();
  else if (typeof cb === "function") cb();
  return true;
};

/** The one place protocol lines are written. The lines of one turn of the event loop leave in one
 *  write at its end (setImmediate): answers come in bursts — the sends of one engine tick, the
 *  batch of one record append (sim.mjs) — and a write each cost a system call here and a wake-up
 *  of the C side's reader per line. */
let outLines = [];
function flushLines() {
  if (outLines.length === 0) return;
  const text = outLines.length === 1 ? outLines[0] : outLines.join("");
  outLines = [];
  stdoutWrite(text);
}
function writeLine(line) {
  outLines.push(line);
  if (outLines.length === 1) setImmediate(flushLines);
}

// ---- command line ----------------------------------------------------------------------------
const USAGE = "usage: node bridge/main.mjs --backend sim --scenario FILE | --backend gramjs";

function parseArgs(argv) {
  const out = { backend: null, scenario: null };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const [flag, inline] = arg.startsWith("--") && arg.includes("=") ? arg.split(/=(.*)/s, 2) : [arg, undefined];
    const value = () => (inline !== undefined ? inline : argv[++i]);
    if (flag === "--backend") out.backend = value();
    else if (flag === "--scenario") out.scenario = value();
    else if (flag === "--help" || flag === "-h") out.help = true;
    else throw new Error(`unknown argument ${arg}`);
  }
  if (out.help) return out;
  if (out.backend !== "sim" && out.backend !== "gramjs") throw new Error("--backend must be sim or gramjs");
  if (out.backend === "sim" && !out.scenario) throw new Error("--backend sim needs --scenario FILE");
  return out;
}

let args;
try {
  args = parseArgs(process.argv.slice(2));
} catch (e) {
  stderrLine(`${e.message}\n${USAGE}`);
  process.exit(2);
}
if (args.help) {
  process.stderr.write(USAGE + "\n");
  process.exit(0);
}

// ---- backend and loop ------------------------------------------------------------------------
const { serve, oneLine } = await import("./protocol.mjs");
const log = (msg) => stderrLine(oneLine(msg, 500));

let backend;
try {
  if (args.backend === "sim") {
    const { SimBackend } = await import("./sim.mjs");
    backend = new SimBackend({ scenarioPath: args.scenario, log });
  } else {
    const { GramjsBackend, configFromEnv } = await import("./gramjs.mjs");
    backend = new GramjsBackend({ ...configFromEnv(process.env), log });
  }
} catch (e) {
  log(`cannot start the ${args.backend} backend: ${e.message}`);
  process.exit(2);
}

process.on("unhandledRejection", (reason) => {
  log(`unhandled rejection: ${reason instanceof Error ? `${reason.name}: ${reason.message}` : describe([reason])}`);
});
process.on("uncaughtException", (err) => {
  log(`uncaught exception: ${err && err.name}: ${err && err.message}`);
  process.exit(70);
});

let leaving = false;
async function leave(why) {
  if (leaving) return;
  leaving = true;
  log(`stopping (${why})`);
  flushLines();
  const forced = setTimeout(() => process.exit(0), 3000);
  forced.unref();
  try {
    await backend.close();
  } catch {
    // exiting anyway
  }
  flushLines();
  process.exit(0);
}
process.on("SIGTERM", () => leave("SIGTERM"));
process.on("SIGINT", () => leave("SIGINT"));
process.on("SIGHUP", () => leave("SIGHUP"));
// The C side went away: nobody reads our answers any more.
process.stdout.on("error", (e) => leave(`stdout ${e.code || "error"}`));

log(`${args.backend} backend ready (pid ${process.pid})`);
const { done } = serve({ input: process.stdin, write: writeLine, backend, log });
await done;
flushLines();
// Everything is closed; if a library still holds a handle, do not hang around for it.
setTimeout(() => process.exit(0), 2000).unref();
