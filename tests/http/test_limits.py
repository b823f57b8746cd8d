#!/usr/bin/env python3
"""test_limits — HTTP scenario tests of tgr's resource limits (issue 9, "Resource limits"): total
and per-IP connection caps, request timeouts, the header and JSON-depth limits, hundreds of
half-open (slowloris) connections against /healthz, and a database that cannot write (a file size
limit on the SQLite file): sending pauses with reason storage_error, API writes answer 503,
reads go on, and after the limit is lifted a resume finishes the campaign with every recipient
exactly once and every committed row kept.

Stalled connections come from other loopback addresses (127.0.0.2 …) than the test's own
requests (127.0.0.1), as attackers would: the per-IP cap then shows itself without locking the
test out. Every test drives the real binary through tests/http/tgrtest.py.
Run: python3 tests/http/test_limits.py (CTest sets TGR_BIN).
"""
import json
import os
import resource
import shutil
import signal
import socket
import statistics
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tgrtest  # noqa: E402
from tgrtest import (Server, campaign_logs, connect_telegram, contacts_by_tg_id, is_error_shape,  # noqa: E402
                     read_record, sim_args, wait_until, write_scenario)

PASSWORD = "correct horse battery staple 42"
CODE = "80417"
ME_PHONE = "+15550006999"
PARTIAL = b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: slow\r\n"  # never finished


def stalled(n, source, port, partial=PARTIAL):
    """n connections from source (a loopback address) that each sent a partial request."""
    out = []
    for _ in range(n):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.bind((source, 0))
        s.settimeout(5)
        s.connect(("127.0.0.1", port))
        s.sendall(partial)
        out.append(s)
    return out


def close_all(socks):
    for s in socks:
        try:
            s.close()
        except OSError:
            pass


def closed_by_server(s, within):
    """True when the server closes s (EOF or reset) within `within` seconds without a reply."""
    s.settimeout(within * tgrtest.VALGRIND_SLOWDOWN)  # memcheck slows the server down
    try:
        data = s.recv(4096)
    except ConnectionResetError:
        return True
    except socket.timeout:
        return False
    return data == b""


def healthz_ms(port, source="127.0.0.1", timeout=10):
    """One GET /healthz on a fresh connection from source: (status, milliseconds)."""
    t0 = time.monotonic()
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind((source, 0))
    s.settimeout(timeout)
    try:
        s.connect(("127.0.0.1", port))
        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        buf = b""
        while True:
            chunk = s.recv(4096)
            if not chunk:
                break
            buf += chunk
    except (ConnectionResetError, socket.timeout):
        pass
    finally:
        s.close()
    ms = (time.monotonic() - t0) * 1000
    status = int(buf.split(b" ", 2)[1]) if buf.startswith(b"HTTP/1.") else None
    return status, ms


class ConnectionLimitTest(unittest.TestCase):
    """Slowloris, the caps and the timeout. Each test has its own server with the flags it shows."""

    def serve(self, *args):
        srv = Server(args=list(args))
        self.addCleanup(srv.cleanup)
        srv.start()
        return srv

    def test_five_hundred_slowloris_connections_do_not_slow_healthz(self):
        """Default limits. 500 connections from ten addresses (50 each, under the per-IP cap of 64)
        send a partial request and then one more header line every second, so the idle timeout
        never fires. /healthz from 127.0.0.1 still answers at once: the epoll threads only look
        at sockets that have something to read."""
        srv = self.serve()
        socks = []
        self.addCleanup(close_all, socks)
        for k in range(10):
            socks += stalled(50, f"127.0.0.{k + 2}", srv.port)
        samples = []
        t_end = time.monotonic() + 4
        while time.monotonic() < t_end:
            for s in socks:  # trickle: one header line each, as a slowloris does
                try:
                    s.sendall(b"X-Slow: 1\r\n")
                except OSError:
                    pass
            for _ in range(5):
                status, ms = healthz_ms(srv.port)
                self.assertEqual(status, 200, "healthz did not answer with 500 stalled connections")
                samples.append(ms)
            time.sleep(0.2)
        alive = sum(1 for s in socks if not closed_by_server(s, 0.001))
        p50, worst = statistics.median(samples), max(samples)
        print(f"\n  /healthz with {alive} stalled connections open: {len(samples)} requests, "
              f"median {p50:.1f} ms, max {worst:.1f} ms", file=sys.stderr)
        self.assertGreaterEqual(alive, 450, "the stalled connections should still be open (trickling)")
        self.assertLess(p50, 100)
        self.assertLess(worst, 1000)

    def test_per_ip_cap_closes_the_extra_connection_and_spares_other_addresses(self):
        srv = self.serve("--max-connections-per-ip", "5")
        socks = stalled(6, "127.0.0.2", srv.port)
        self.addCleanup(close_all, socks)
        # Exactly one of the six is closed at once. Which one is not fixed: with two polling
        # threads accepting, a loaded machine (ASan, a parallel suite) can accept the sixth
        # connect() before the fifth, and then the fifth is the one over the cap.
        closed = [s for s in socks if closed_by_server(s, 3 if s is socks[-1] else 0.5)]
        self.assertEqual(len(closed), 1, "one address with the cap at 5 keeps exactly 5 of its 6 connections")
        socks = [s for s in socks if s not in closed]
        status, ms = healthz_ms(srv.port, "127.0.0.1")
        self.assertEqual(status, 200, "another address is not affected by 127.0.0.2's cap")
        self.assertEqual(healthz_ms(srv.port, "127.0.0.2")[0], None, "127.0.0.2 is still at its cap")
        close_all(socks)
        # The server frees the slots as it sees each close (slower under ASan on a loaded machine).
        ok = wait_until(lambda: healthz_ms(srv.port, "127.0.0.2", timeout=3)[0] == 200, 20 * tgrtest.VALGRIND_SLOWDOWN)
        self.assertTrue(ok, "once its connections are closed, the address is served again")

    def test_total_cap_queues_new_clients_until_the_timeout_frees_slots(self):
        """--max-connections 20 --request-timeout 2: 20 silent half-requests fill every slot; a
        new client is not refused but waits in the listen queue, and is answered once the timeout
        has closed the silent ones."""
        srv = self.serve("--max-connections", "20", "--max-connections-per-ip", "0", "--request-timeout", "2")
        t0 = time.monotonic()
        socks = stalled(20, "127.0.0.3", srv.port)
        self.addCleanup(close_all, socks)
        time.sleep(0.3)
        status, ms = healthz_ms(srv.port)
        waited = time.monotonic() - t0
        print(f"\n  /healthz behind 20 silent connections (cap 20, timeout 2 s): {status} after {ms:.0f} ms",
              file=sys.stderr)
        self.assertEqual(status, 200)
        self.assertGreater(ms, 800, "with every slot taken the request should have waited for the timeout")
        self.assertLess(waited, 8)
        self.assertTrue(all(closed_by_server(s, 3) for s in socks), "silent connections are closed by the timeout")
        status, ms = healthz_ms(srv.port)
        self.assertEqual(status, 200)
        self.assertLess(ms, 500)

    def test_silent_half_request_is_closed_after_the_request_timeout(self):
        srv = self.serve("--request-timeout", "1")
        s = stalled(1, "127.0.0.4", srv.port)[0]
        self.addCleanup(s.close)
        t0 = time.monotonic()
        self.assertTrue(closed_by_server(s, 5))
        took = time.monotonic() - t0
        self.assertGreater(took, 0.5)
        self.assertLess(took, 4)


class RequestLimitTest(unittest.TestCase):
    """Header size and JSON depth, on one server with small limits."""

    @classmethod
    def setUpClass(cls):
        cls.srv = Server(args=["--max-json-depth", "4"])  # the default header cap: 16 KiB
        try:
            cls.srv.start()
            cls.srv.create_account("limits@shop.test", PASSWORD)
            cls.token = cls.srv.login("limits@shop.test", PASSWORD)
        except BaseException:
            cls.srv.cleanup()
            raise

    @classmethod
    def tearDownClass(cls):
        try:
            rc = cls.srv.stop()
        finally:
            cls.srv.cleanup()
        if rc != 0:
            raise AssertionError(f"exit code {rc} on SIGTERM")

    def test_headers_over_the_limit_get_431_and_the_server_goes_on(self):
        # Past the default 16 KiB (Node's default), in the API's error shape.
        big = b"X-Big: " + b"a" * 17000 + b"\r\n"
        out = self.srv.raw_exchange(b"GET /healthz HTTP/1.1\r\nHost: x\r\n" + big + b"\r\n")
        self.assertTrue(out.startswith(b"HTTP/1.1 431"), out[:100])
        self.assertIn(b'"code":"headers_too_large"', out)
        # Several headers add up; an account route says so before any credential is looked at.
        many = b"".join(b"X-H%d: " % i + b"b" * 1000 + b"\r\n" for i in range(20))
        out = self.srv.raw_exchange(b"POST /campaigns HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n" + many +
                                    b"\r\n{}")
        self.assertTrue(out.startswith(b"HTTP/1.1 431"), out[:100])
        # Far past it: libmicrohttpd's own 431 (it stops reading).
        huge = b"X-Huge: " + b"a" * 60000 + b"\r\n"
        out = self.srv.raw_exchange(b"GET /healthz HTTP/1.1\r\nHost: x\r\n" + huge + b"\r\n")
        self.assertTrue(out.startswith(b"HTTP/1.1 431"), out[:100])
        # Just under the cap is served.
        small = b"X-Small: " + b"a" * 15000 + b"\r\n"
        out = self.srv.raw_exchange(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n" + small + b"\r\n")
        self.assertTrue(out.startswith(b"HTTP/1.1 200"), out[:100])

    def test_json_deeper_than_the_limit_is_a_400_naming_the_limit(self):
        deep = {"name": "x", "message_text": "hi", "filters": {"a": {"b": {"c": {"d": 1}}}}}  # 5 levels
        r = self.srv.post("/campaigns", deep, token=self.token)
        self.assertEqual(r.status, 400, r)
        self.assertTrue(is_error_shape(r.json, "invalid_json"), r)
        self.assertIn("deeper than 4", r.json["error"]["message"])
        # Brackets inside strings are text, not nesting.
        r = self.srv.post("/campaigns", {"name": "[[[[[[{{{{{{", "message_text": "hi \"[[[[[[[[\\"}, token=self.token)
        self.assertEqual(r.status, 201, r)
        # A body of nothing but "[" (login's cap is 16 KiB) is refused by the depth scan, before
        # jansson would build anything of it, and before any credential is looked at.
        r = self.srv.request("POST", "/auth/login", raw=b"[" * 16000, content_type="application/json")
        self.assertEqual((r.status, r.error_code), (400, "invalid_json"), r)
        self.assertIn("deeper than 4", r.json["error"]["message"])
        # At the limit: the depth check passes and validation speaks instead.
        r = self.srv.post("/campaigns", {"name": "x", "message_text": "hi", "filters": {"a": {"b": {"c": 1}}}},
                          token=self.token)
        self.assertEqual((r.status, r.error_code), (400, "validation_failed"), r)


# --------------------------------------------------------------------------------------------
# A database that cannot write.

def make_users(n, prefix):
    return [{"id": f"{prefix}{i:02d}", "access_hash": str(41000 + i), "first_name": f"Lim{i:02d}",
             "last_name": "Tester", "messages": [{"text": f"question {i} about my order", "ago_seconds": 3600 + i}]}
            for i in range(n)]


def fsize_limit(limit):
    def pre():
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
    return pre


class LimitedServer(Server):
    """A Server whose process (and its bridge child) cannot grow any file past `limit` bytes."""

    def __init__(self, limit, **kw):
        super().__init__(**kw)
        self.limit = limit

    def start(self, timeout=tgrtest.START_TIMEOUT):
        import subprocess
        real = subprocess.Popen

        def popen(*a, **kw):
            kw["preexec_fn"] = fsize_limit(self.limit)
            return real(*a, **kw)
        subprocess.Popen = popen
        try:
            return super().start(timeout)
        finally:
            subprocess.Popen = real


@unittest.skipIf(tgrtest.PG_ADMIN_URL, "RLIMIT_FSIZE limits the SQLite file of the server; a PostgreSQL "
                 "server writes its own files, which a test cannot fill here")
class StorageFullTest(unittest.TestCase):
    # Enough messages, in small enough batches, that the log fills mid-campaign: with the outbox's
    # group commit (DECISIONS 77) 40 at 20/s wrote too little to reach the limit before the end, and
    # 120 at 10/s too once a batch no longer claimed the messages just sent again (DECISIONS 86).
    USERS = make_users(240, "7710")

    def setUp(self):
        self.work = tempfile.mkdtemp(prefix="tgrtest-limits-")
        self.addCleanup(shutil.rmtree, self.work, True)
        self.scenario_path = write_scenario(self.work, {
            "me": {"id": "6999", "first_name": "Limit Shop", "username": "limit_shop", "phone": ME_PHONE},
            "login": {"code": CODE}, "users": self.USERS, "faults": [], "inbound": [],
            "record": "deliveries.jsonl"})
        self.record_path = os.path.join(self.work, "deliveries.jsonl")
        self.data = os.path.join(self.work, "data")

    def server(self, limit=None):
        args = sim_args(self.scenario_path) + ["--send-rate", "20"]
        srv = LimitedServer(limit, data=self.data, args=args) if limit else Server(data=self.data, args=args)
        self.addCleanup(srv.cleanup)
        return srv.start()

    def record(self):
        return [r for r in read_record(self.record_path) if "Disk check" in (r.get("text") or "")]

    def test_full_disk_pauses_sending_answers_503_and_loses_nothing(self):
        # 1. Set-up without a limit: an account, its contacts, a campaign; then a clean stop, which
        #    folds the write-ahead log into tgr.db.
        srv = self.server()
        srv.create_account("disk@shop.test", PASSWORD)
        token = srv.login("disk@shop.test", PASSWORD)
        connect_telegram(srv, token, ME_PHONE, CODE)
        self.assertTrue(wait_until(lambda: len(contacts_by_tg_id(srv, token)) == len(self.USERS), 20))
        r = srv.post("/campaigns", {"name": "Disk", "message_text": "Disk check {{first_name}}"}, token=token)
        self.assertEqual(r.status, 201, r)
        cid = r.json["id"]
        self.assertEqual(srv.stop(), 0)
        db = os.path.join(self.data, "tgr.db")
        self.assertFalse(os.path.exists(db + "-wal") and os.path.getsize(db + "-wal") > 0)

        # 2. Restart where no file may grow more than ~240 KiB past tgr.db: the campaign starts and
        #    sends some messages, then the write-ahead log reaches the limit.
        limit = os.path.getsize(db) + 240 * 1024
        srv = self.server(limit)
        r = srv.post(f"/campaigns/{cid}/start", {}, token=token)
        self.assertEqual(r.status, 200, r)

        def paused():
            c = srv.get(f"/campaigns/{cid}", token=token).json
            return c if c["status"] == "paused" else None
        c = wait_until(paused, 30, step=0.2)
        self.assertTrue(c, f"no pause within 30 s; stderr:\n{srv.stderr_tail(30)}")
        self.assertEqual(c["pause_reason"], "storage_error", c)
        self.assertIsNone(srv.proc.poll(), "the server must survive writes past RLIMIT_FSIZE (SIGXFSZ)")
        sent_before = len(self.record())
        self.assertLess(sent_before, len(self.USERS), "the campaign finished before the disk filled")
        time.sleep(1.0)
        self.assertLessEqual(len(self.record()), sent_before + 1, "sending went on after the pause")

        # API writes: campaigns of ~16 KB each until the database file itself is at the limit.
        # Each answer is a 201 (committed: it must survive) or a 503 in the one error shape
        # (nothing of it may appear later) — never a 500.
        fillers, refused = [], 0
        for i in range(200):
            text = f"Filler {i} " + "x" * 4000
            nudges = [{"after_seconds": 86400 * (k + 1), "condition": "no_reply", "message_text": text}
                      for k in range(3)]
            r = srv.post("/campaigns", {"name": f"Filler {i}", "message_text": text, "nudges": nudges}, token=token)
            if r.status == 201:
                fillers.append((i, r.json["id"]))
                refused = 0
                continue
            self.assertEqual(r.status, 503, r)
            self.assertTrue(is_error_shape(r.json, "unavailable"), r)
            refused += 1
            if refused == 3:
                break
        self.assertEqual(refused, 3, "the database never refused a write")
        # A one-row write may still fit where the log has room again (each failed commit hands
        # the log's space back): 200 and kept, or 503 and not.
        r = srv.request("PATCH", "/account", body={"timezone": "Europe/Berlin"}, token=token)
        self.assertIn(r.status, (200, 503), r)
        if r.status == 503:
            self.assertTrue(is_error_shape(r.json, "unavailable"), r)
        timezone = "Europe/Berlin" if r.status == 200 else "UTC"
        r = srv.post("/auth/login", {"email": "disk@shop.test", "password": PASSWORD})
        self.assertEqual(r.status, 200, "logging in writes nothing and still works")
        # Reads go on.
        self.assertEqual(srv.get("/healthz").status, 200)
        self.assertEqual(srv.get(f"/campaigns/{cid}/analytics", token=token).status, 200)
        self.assertEqual(srv.get("/contacts?limit=5", token=token).status, 200)
        listed = srv.get("/campaigns", token=token)
        self.assertEqual(listed.status, 200)
        names = sorted(x["name"] for x in listed.json["campaigns"])
        self.assertEqual(names, sorted(["Disk"] + [f"Filler {i}" for i, _ in fillers]))
        logs = campaign_logs(srv, token, cid)
        print(f"\n  limit tgr.db+240 KiB: paused after {sent_before} of {len(self.USERS)} deliveries; "
              f"{len(fillers)} campaigns of 16 KB committed, then 503s; {len(logs)} log lines kept",
              file=sys.stderr)
        self.assertEqual(srv.stop(), 0)

        # 3. The limit lifted: everything committed is there, the campaign is still paused until
        #    resumed, and then each recipient gets its message exactly once.
        srv = self.server()
        c = srv.get(f"/campaigns/{cid}", token=token).json
        self.assertEqual((c["status"], c["pause_reason"]), ("paused", "storage_error"), c)
        self.assertEqual(sorted(x["name"] for x in srv.get("/campaigns", token=token).json["campaigns"]), names)
        after = campaign_logs(srv, token, cid)
        self.assertEqual([l["id"] for l in after][:len(logs)], [l["id"] for l in logs], "log lines were lost")
        self.assertEqual(srv.get("/account", token=token).json["timezone"], timezone)
        for i, fid in fillers:
            f = srv.get(f"/campaigns/{fid}", token=token).json
            self.assertTrue(f["message_text"].startswith(f"Filler {i} x"), f["name"])
        statuses = [l["status"] for l in after]
        self.assertIn("paused", statuses)
        r = srv.post(f"/campaigns/{cid}/resume", {}, token=token)
        self.assertEqual(r.status, 200, r)
        ok = wait_until(lambda: srv.get(f"/campaigns/{cid}", token=token).json["status"] == "completed", 30)
        self.assertTrue(ok, srv.get(f"/campaigns/{cid}/analytics", token=token).json)
        got = [x["user_id"] for x in self.record()]
        self.assertEqual(sorted(got), sorted(u["id"] for u in self.USERS), "every recipient exactly once")
        a = srv.get(f"/campaigns/{cid}/analytics", token=token).json
        self.assertEqual((a["sent"], a["failed"], a["pending"]), (len(self.USERS), 0, 0), a)
        self.assertEqual(srv.stop(), 0)


if __name__ == "__main__":
    unittest.main(verbosity=2)
