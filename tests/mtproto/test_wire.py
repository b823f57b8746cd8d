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
import test_telegram_text  # noqa: E402
for _m in (test_telegram, test_sending, test_account_safety, test_telegram_text):
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
        # As on the simulator, but GET /session shows the login it expects only there.
        self.assertEqual((self.connect_reply.status, self.connect_reply.json), (200, {"status": "code_sent"}))
        self.assertEqual(self.verify_reply.json, {"status": "connected", "user": {
            "id": test_telegram.ME_ID, "first_name": "Sunny Shop Help", "username": "sunny_shop_help"}})
        r = self.srv.get("/session", token=self.token)
        self.assertEqual(set(r.json), {"status", "phone", "frozen", "frozen_at"}, r.json)
        self.assertEqual((r.json["status"], r.json["phone"]), ("connected", "+1555***0100"))


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


class WireBridgeCrash(test_sending.BridgeCrashTest):
    """The bridge SIGKILLed right after Telegram took a message: the new bridge reuses the sealed
    session over a new connection, and each message arrives once."""


class WireOddText(test_telegram_text.OddTextTest):
    """U+0000 and unpaired surrogates in names and messages: over MTProto a lone surrogate is
    already U+FFFD (TL strings are UTF-8), U+0000 passes and the bridge replaces it."""


class WireFrozen(test_account_safety.FrozenAccountTest):
    """FROZEN_METHOD_INVALID (420) after three deliveries."""


class WirePaid(test_account_safety.PaidMessagesTest):
    """ALLOW_PAYMENT_REQUIRED (406) and ALLOW_PAYMENT_REQUIRED_50 (403)."""


# --------------------------------------------------------------------------------------------
# Wire-only scenarios.

def png(width, height, seed=7):
    """A real PNG of noise (stored, not compressed), so that its size is width*height*3 and more."""
    import random
    import struct
    import zlib
    rng = random.Random(seed)
    raw = b"".join(b"\x00" + rng.randbytes(width * 3) for _ in range(height))

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(raw, 0)) + chunk(b"IEND", b"")


class WireCase(test_sending.EngineCase):
    """The send engine's test case (its own server and scenario per class) at the wire; WIRE adds
    the scenario's wire-only settings."""

    WIRE = None
    SEND_RATE = 10

    @classmethod
    def new_server(cls, data=None):
        if cls.WIRE and "wire" not in cls.scenario:
            cls.scenario["wire"] = cls.WIRE
            write_scenario(cls.work, cls.scenario)
        return super().new_server(data)

    @property
    def wire(self):
        return wire_server(self.scenario_path)

    @classmethod
    def tearDownClass(cls):
        try:
            super().tearDownClass()
        finally:
            stop_wire_servers(cls.scenario_path)

    def run_campaign(self, token, timeout, **fields):
        c = self.create(token, **fields)
        self.start(token, c["id"])
        self.wait_status(token, c["id"], "completed", timeout)
        return c["id"]


class WireSyncThousand(WireCase):
    """1,000 dialogs, each one history request at the wire."""

    USERS = test_sending.make_users(1000, "66")

    def test_a_thousand_dialogs_arrive_once(self):
        t0 = time.monotonic()
        token, got = self.account()
        took = time.monotonic() - t0
        self.assertEqual(len(got), 1000)
        self.assertEqual((got["66123"]["first_name"], got["66999"]["messages_count"]), ("Cust66x123", 1))
        r = self.srv.post("/session/sync", token=token)
        self.assertEqual((r.status, r.json), (200, {"contacts_added": 0, "contacts_updated": 0, "messages_added": 0}))
        sys.stderr.write(f"\n  [wire] login + sync of 1,000 dialogs: {took:.1f} s; server: {self.wire.stats()}\n")


class WirePhotoCampaign(WireCase):
    """A campaign with a 400 KB photo (four upload parts) and entities: the bytes arrive intact,
    uploaded once and sent to everyone after as the stored photo; the entities keep their
    UTF-16 offsets."""

    USERS = test_sending.make_users(4, "67")
    PHOTO = png(400, 340)

    def test_photo_and_entities_arrive_as_sent(self):
        token, _ = self.account()
        body, ctype = tgrtest.multipart_form(files={"file": ("sale.png", "image/png", self.PHOTO)})
        r = self.srv.post("/media/upload", raw=body, content_type=ctype, token=token)
        self.assertEqual(r.status, 201, r)
        text = "<b>Hi {{first_name}} 🌷</b>, the <i>spring</i> sale: <a href=\"https://shop.example/sale\">shop now</a>"
        self.run_campaign(token, 40, message_text=text, media_ids=[r.json["id"]], track_links=False)
        lines = self.record("the spring sale")
        self.assertEachOnce(lines, [u["id"] for u in self.USERS])
        digest = hashlib.sha256(self.PHOTO).hexdigest()
        for rec in lines:
            self.assertEqual((rec["media"]["size"], rec["media"]["sha256"], rec["media"]["mime"]),
                             (len(self.PHOTO), digest, "image/png"), rec)
            units = rec["text"].encode("utf-16-le")
            spans = {e["type"]: units[2 * e["offset"]:2 * (e["offset"] + e["length"])].decode("utf-16-le")
                     for e in rec["entities"]}
            name = next(u["first_name"] for u in self.USERS if u["id"] == rec["user_id"])
            self.assertEqual((spans["bold"], spans["italic"], spans["text_url"]), (f"Hi {name} 🌷", "spring", "shop now"))
            self.assertEqual([e.get("url") for e in rec["entities"] if e["type"] == "text_url"],
                             ["https://shop.example/sale"])
        stats = self.wire.stats()
        self.assertEqual(stats["uploadsParts"], 4, f"the photo was uploaded more than once: {stats}")


class WirePhoneMigrate(WireCase):
    """The account's phone lives on DC 2: auth.sendCode on DC 1 answers PHONE_MIGRATE_2, GramJS
    moves to 127.0.0.2 with a new key, and the sealed session (on DC 2) survives a restart."""

    USERS = test_sending.make_users(3, "68")
    WIRE = {"phone_dc": 2}

    def test_login_moves_to_dc2_and_stays_there(self):
        token, _ = self.account()
        self.run_campaign(token, 30, message_text="Migrated hello {{first_name}}")
        self.assertEachOnce(self.record("Migrated hello"), [u["id"] for u in self.USERS])
        stats = self.wire.stats()
        self.assertEqual(stats["phoneMigrates"], 1, stats)
        self.assertGreaterEqual(stats["authKeys"], 2, f"no second key for DC 2: {stats}")
        self.assertEqual(self.srv.stop(), 0, self.srv.stderr_tail())
        old = self.srv
        self.srv = type(self).srv = self.new_server(data=old.data)
        old.cleanup()
        self.srv.start()
        r, statuses = test_telegram.sync_until_ok(self.srv, token, 10)
        self.assertEqual(r.status, 200, f"{statuses}\n{self.srv.stderr_tail()}")
        self.assertEqual(self.srv.get("/session", token=token).json["status"], "connected")
        self.assertEqual(self.wire.stats()["phoneMigrates"], 1, "the restart logged in again")


class WireDroppedMidSend(WireCase):
    """The server takes the 2nd and 4th sendMessage, then drops the TCP connection instead of
    answering: GramJS reconnects and sends the same request again (same random_id), the server
    answers the first message, and nobody gets it twice."""

    USERS = test_sending.make_users(5, "69")
    FAULTS = [{"on_send": 2, "error": "DROP"}, {"on_send": 4, "error": "DROP"}]

    def test_resent_requests_deliver_once(self):
        token, _ = self.account()
        cid = self.run_campaign(token, 40, message_text="Dropped hello {{first_name}}")
        self.assertEachOnce(self.record("Dropped hello"), [u["id"] for u in self.USERS])
        stats = self.wire.stats()
        self.assertGreaterEqual(stats["duplicates"], 2, stats)
        a = self.analytics(token, cid)
        self.assertEqual((a["sent"], a["failed"]), (5, 0), a)


class WireAllDropped(WireCase):
    """Every connection dropped at once in the middle of a campaign (SIGUSR1 to the server): the
    client is back within seconds and the campaign completes with each message once."""

    USERS = test_sending.make_users(16, "70")
    SEND_RATE = 4

    def test_everyone_comes_back_and_nothing_is_sent_twice(self):
        token, _ = self.account()
        c = self.create(token, message_text="All dropped {{first_name}}")
        self.start(token, c["id"])
        self.assertTrue(wait_until(lambda: len(self.record("All dropped")) >= 4, 20))
        self.wire.signal(signal.SIGUSR1)
        t0 = time.monotonic()
        n = len(self.record("All dropped"))
        self.assertTrue(wait_until(lambda: len(self.record("All dropped")) > n, 30), "nothing sent after the drop")
        back = time.monotonic() - t0
        self.wait_status(token, c["id"], "completed", 40)
        self.assertEachOnce(self.record("All dropped"), [u["id"] for u in self.USERS])
        sys.stderr.write(f"\n  [wire] first delivery {back:.1f} s after every connection was dropped\n")
        self.assertLess(back, 30)


class WireForgottenKey(WireCase):
    """The DC forgets every auth key mid-campaign (SIGHUP to the server): the next message gets
    the transport error -404, the session is reported dead at once (GramJS alone would wait for
    ever), the campaign pauses, and after a new login it completes with each message once."""

    USERS = test_sending.make_users(8, "71")
    SEND_RATE = 4

    def test_a_forgotten_key_is_a_dead_session(self):
        token, _ = self.account()
        c = self.create(token, message_text="Forgotten key {{first_name}}")
        self.start(token, c["id"])
        self.assertTrue(wait_until(lambda: len(self.record("Forgotten key")) >= 2, 20))
        self.wire.signal(signal.SIGHUP)
        t0 = time.monotonic()
        got = self.wait_status(token, c["id"], ("paused", "completed"), 20)
        self.assertEqual((got["status"], got["pause_reason"]), ("paused", "session_invalid"), got)
        sys.stderr.write(f"\n  [wire] session reported dead {time.monotonic() - t0:.1f} s after the keys were forgotten\n")
        self.assertEqual(self.srv.get("/session", token=token).json["status"], "invalid")
        connect_telegram(self.srv, token, test_sending.ME_PHONE, CODE)
        r = self.srv.post(f"/campaigns/{c['id']}/resume", token=token)
        self.assertEqual((r.status, r.json["status"]), (200, "running"), r)
        self.wait_status(token, c["id"], "completed", 30)
        self.assertEachOnce(self.record("Forgotten key"), [u["id"] for u in self.USERS])


class WireRefusedOutsideTests(unittest.TestCase):
    """TGR_GRAMJS_TEST_DC without TGR_TEST_MODE=1: tgr and the bridge refuse to start."""

    def test_refused_without_test_mode(self):
        env = {"TGR_GRAMJS_TEST_DC": "127.0.0.1:4000", **API_ENV}
        with tempfile.TemporaryDirectory(prefix="tgrtest-wire-refused-") as d:
            r = tgrtest.run_cli("serve", "--listen", "127.0.0.1:0", "--data", d, "--telegram", "gramjs", env=env, timeout=30)
        self.assertEqual(r.returncode, 2, r.stderr)
        self.assertIn("TGR_GRAMJS_TEST_DC is for tests only and needs TGR_TEST_MODE=1", r.stderr)
        bridge = os.path.join(tgrtest.REPO, "bridge", "main.mjs")
        b = subprocess.run(["node", bridge, "--backend", "gramjs"], env=tgrtest.clean_env(env), input="",
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=30)
        self.assertEqual(b.returncode, 2, b.stderr)
        self.assertIn("TGR_TEST_MODE=1", b.stderr)
        self.assertEqual(b.stdout, "")


if __name__ == "__main__":
    unittest.main(verbosity=2)
