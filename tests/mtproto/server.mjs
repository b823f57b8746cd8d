#!/usr/bin/env node
// server.mjs — the loopback Telegram of the tests: `node tests/mtproto/server.mjs --scenario FILE
// --port N` (port 0 picks one). It serves MTProto 2.0 over TCP as DC 1 on 127.0.0.1:N and DC 2 on
// 127.0.0.2:N, prints `mtproto listening on 127.0.0.1:N` on stdout once it accepts, and answers
// from the scenario (telegram.mjs), writing the simulator's delivery record next to it.
//
// Owns: the command line, starting both DCs on one port, the signals (SIGTERM/SIGINT: stop;
// SIGUSR1: drop every open connection at once; SIGUSR2: print the counters as one JSON line on
// stderr; SIGHUP: forget every auth key) and the exit report. Exit codes: 0 normal, 2 bad command line or scenario.
// tgr reaches it with TGR_TEST_MODE=1 TGR_GRAMJS_TEST_DC=127.0.0.1:N (see README.md here).

import { MtprotoServer } from "./mtproto.mjs";
import { LoopbackTelegram } from "./telegram.mjs";

const USAGE = "usage: node tests/mtproto/server.mjs --scenario FILE [--port N] [--host 127.0.0.1] [--dc2-host 127.0.0.2] [--verbose]";

function parseArgs(argv) {
  const o = { scenario: null, port: 0, host: "127.0.0.1", dc2: "127.0.0.2", verbose: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const next = () => {
      if (i + 1 >= argv.length) throw new Error(`${a} needs a value`);
      return argv[++i];
    };
    if (a === "--scenario") o.scenario = next();
    else if (a === "--port") o.port = Number(next());
    else if (a === "--host") o.host = next();
    else if (a === "--dc2-host") o.dc2 = next();
    else if (a === "--verbose") o.verbose = true;
    else throw new Error(`unknown argument ${a}`);
  }
  if (!o.scenario) throw new Error("--scenario FILE is required");
  if (!Number.isInteger(o.port) || o.port < 0 || o.port > 65535) throw new Error("--port must be 0..65535");
  return o;
}

const log = (s) => process.stderr.write(`mtproto: ${String(s).replace(/[\r\n]+/g, " ")}\n`);

let opts;
try {
  opts = parseArgs(process.argv.slice(2));
} catch (e) {
  log(`${e.message}\n${USAGE}`);
  process.exit(2);
}

/** Both DCs on one port: the first picks it (when 0), the second takes the same one. */
async function start() {
  for (let tries = 0; ; tries++) {
    let server;
    let api;
    try {
      const dcs = [{ id: 1, host: opts.host }, { id: 2, host: opts.dc2 }];
      api = new LoopbackTelegram({ scenarioPath: opts.scenario, dcs, port: opts.port, log });
      server = new MtprotoServer({ api, log, verbose: opts.verbose });
      api.server = server;
      const port = await server.listen(1, opts.host, opts.port);
      api.port = port;
      await server.listen(2, opts.dc2, port);
      return { server, api, port };
    } catch (e) {
      server?.close();
      await api?.close();
      if (e.code !== "EADDRINUSE" || opts.port !== 0 || tries > 20) throw e;
    }
  }
}

let running;
try {
  running = await start();
} catch (e) {
  log(`cannot start: ${e.message}`);
  process.exit(2);
}
const { server, api, port } = running;
const stats = () => JSON.stringify({ ...server.stats, ...api.stats, sendAttempts: api.sendAttempts, openConnections: server.connections.size });

process.stdout.write(`mtproto listening on ${opts.host}:${port}\n`);
log(`DC 1 ${opts.host}:${port}, DC 2 ${opts.dc2}:${port}, scenario ${opts.scenario}`);

let leaving = false;
async function leave(why) {
  if (leaving) return;
  leaving = true;
  log(`stopping (${why}): ${stats()}`);
  server.close();
  await api.close();
  process.exit(0);
}
process.on("SIGTERM", () => leave("SIGTERM"));
process.on("SIGINT", () => leave("SIGINT"));
process.on("SIGUSR1", () => log(`dropped ${server.dropAll()} connections`));
process.on("SIGUSR2", () => log(`stats ${stats()}`));
process.on("SIGHUP", () => {
  // A DC that lost its keys: every client gets -404 on its next message.
  log(`forgot ${server.keys.byId.size} auth keys`);
  server.keys.byId.clear();
});
