#!/usr/bin/env python3
"""test_fastclick — the fast path of GET /t/:code (src/http/fastclick.c, docs/DECISIONS.md 81):
plain clicks are answered in front of libmicrohttpd, everything else is handed to it at a request
boundary. What a client must not notice: the 302's bytes are the route handler's (compared with
the reply to the same click that libmicrohttpd answers, when its header block is larger than the
fast path's buffer); a keep-alive connection mixing clicks and API requests, or pipelining them in
one write, gets its replies in order; a request split over several writes, a POST or a body on
/t/, HEAD, Connection: close and HTTP/1.0 behave as before; clicks counted in the database equal
the distinct addresses that sent them (peers, and clients behind a trusted proxy); /metrics
counts the clicks; idle connections held by the fast path time out and the per-address cap
holds. Every test drives the real binary through tests/http/tgrtest.py on loopback.
Run: python3 tests/http/test_fastclick.py (CTest sets TGR_BIN).
"""
import os
import re
import resource
import shutil
import socket
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tgrtest import Server, connect_telegram, sim_args, wait_until, write_scenario  # noqa: E402

PASSWORD = "correct horse battery staple 42"
CODE = "80417"
ME_PHONE = "+15550008111"
BROWSER_UA = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/126.0 Safari/537.36"
FAST_BUF = 8192  # FASTCLICK_BUF
USERS = [{"id": "8101", "access_hash": "1", "first_name": "A", "messages": [{"text": "hi", "ago_seconds": 60}]}]


def read_reply(s, head=False, timeout=5):
    """One HTTP reply from socket s: (status, [(name, value)], body, raw head bytes). A reply to
    HEAD has no body whatever its Content-Length. Raises on EOF before a whole reply."""
    s.settimeout(timeout)
    buf = getattr(s, "_pending", b"")
    while b"\r\n\r\n" not in buf:
        chunk = s.recv(65536)
        if not chunk:
            raise EOFError(f"closed before a reply: {buf!r}")
        buf += chunk
    rawhead, _, rest = buf.partition(b"\r\n\r\n")
    lines = rawhead.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ")[1])
    headers = [tuple(x.split(": ", 1)) for x in lines[1:]]
    n = 0 if head else int(dict((k.lower(), v) for k, v in headers).get("content-length", "0"))
    while len(rest) < n:
        chunk = s.recv(65536)
        if not chunk:
            raise EOFError("closed inside a body")
        rest += chunk
    s._pending = rest[n:]
    return status, headers, rest[:n], rawhead


class Sock(socket.socket):
    """A client connection with room for bytes read past one reply (read_reply)."""
    _pending = b""


def connect(port, source=None):
    s = Sock(socket.AF_INET, socket.SOCK_STREAM)
    if source:
        s.bind((source, 0))
    s.settimeout(5)
    s.connect(("127.0.0.1", port))
    return s


def closed(s, within):
    """True when the server closes s within `within` seconds (EOF or reset)."""
    s.settimeout(within)
    try:
        return s.recv(1) == b""
    except ConnectionResetError:
        return True
    except socket.timeout:
        return False


def without_date(headers):
    return [(k, v) for k, v in headers if k != "Date"]


def get(path, extra="", version="1.1", method="GET"):
    return f"{method} {path} HTTP/{version}\r\nHost: 127.0.0.1\r\nUser-Agent: {BROWSER_UA}\r\n{extra}\r\n".encode()


class FastClickTest(unittest.TestCase):
    """One server that trusts 127.0.0.1 as a reverse proxy; a campaign with one tracked link."""

    @classmethod
    def setUpClass(cls):
        cls.work = tempfile.mkdtemp(prefix="tgrtest-fastclick-")
        scenario = write_scenario(cls.work, {"me": {"id": "8100", "first_name": "Shop", "phone": ME_PHONE},
                                             "login": {"code": CODE}, "users": USERS, "faults": [], "inbound": [],
                                             "record": "deliveries.jsonl"})
        cls.srv = Server(data=os.path.join(cls.work, "data"),
                         args=sim_args(scenario) + ["--trusted-proxies", "127.0.0.1"])
        try:
            cls.srv.start()
            cls.srv.create_account("fast@shop.test", PASSWORD)
            cls.token = cls.srv.login("fast@shop.test", PASSWORD)
            connect_telegram(cls.srv, cls.token, ME_PHONE, CODE)
            assert wait_until(lambda: cls.srv.get("/contacts", token=cls.token).json["contacts"], 20)
            cls.contact = cls.srv.get("/contacts", token=cls.token).json["contacts"][0]["id"]
            cls.cid, cls.path = cls.new_link()
        except BaseException:
            cls.srv.cleanup()
            shutil.rmtree(cls.work, ignore_errors=True)
            raise

    @classmethod
    def tearDownClass(cls):
        try:
            rc = cls.srv.stop()
        finally:
            cls.srv.cleanup()
            shutil.rmtree(cls.work, ignore_errors=True)
        if rc != 0:
            raise AssertionError(f"the server exited {rc} on SIGTERM")

    @classmethod
    def new_link(cls):
        """A new campaign with one tracked link: (campaign id, its /t/<code> path for the contact)."""
        r = cls.srv.post("/campaigns", {"name": "fast", "message_text": '<a href="https://shop.example/p?x=1#top">buy</a>'},
                         token=cls.token)
        assert r.status == 201, r
        cid = r.json["id"]
        r = cls.srv.post(f"/campaigns/{cid}/preview", {"contact_id": cls.contact}, token=cls.token)
        url = [e["url"] for e in r.json["entities"] if e["type"] == "text_url"][0]
        return cid, "/t/" + url.split("/t/", 1)[1]

    def assert_redirect(self, status, headers, body=b""):
        self.assertEqual(status, 302, headers)
        names = [k for k, _ in headers]
        self.assertEqual(names, ["Date", "Content-Type", "Location", "Cache-Control", "X-Content-Type-Options",
                                 "Referrer-Policy", "X-Frame-Options", "Content-Security-Policy", "Content-Length"])
        h = dict(headers)
        self.assertRegex(h["Location"], r"^https://shop\.example/p\?x=1&tgr_ref=[A-Za-z0-9_-]+#top$")
        self.assertEqual(h["Content-Length"], "0")
        self.assertEqual(body, b"")

    # --- the bytes ----------------------------------------------------------------------------

    def test_fast_reply_is_byte_for_byte_the_handlers_reply(self):
        """A header block larger than the fast path's buffer goes to libmicrohttpd's handler:
        both replies to the same click have the same status line and headers, in order."""
        with connect(self.srv.port) as s:
            s.sendall(get(self.path))
            fast = read_reply(s)
            s.sendall(get(self.path, "X-Pad: " + "p" * (FAST_BUF + 100) + "\r\n"))
            slow = read_reply(s)
            s.sendall(get(self.path))  # the connection is libmicrohttpd's now, and still works
            after = read_reply(s)
        self.assert_redirect(fast[0], fast[1])
        self.assertEqual(without_date(fast[1]), without_date(slow[1]))
        self.assertEqual(fast[3].split(b"\r\n")[0], slow[3].split(b"\r\n")[0])
        self.assertEqual(without_date(after[1]), without_date(fast[1]))

    def test_header_block_over_the_limit_is_still_a_json_431(self):
        with connect(self.srv.port) as s:
            s.sendall(get(self.path, "X-Pad: " + "p" * 20000 + "\r\n"))
            status, headers, body, _ = read_reply(s)
        self.assertEqual(status, 431)
        self.assertIn(b'"headers_too_large"', body)

    def test_unknown_code_is_the_404_page(self):
        with connect(self.srv.port) as s:
            s.sendall(get("/t/zzzzzz") + get(self.path))
            status, headers, body, _ = read_reply(s)
            self.assertEqual(status, 404)
            self.assertEqual(dict(headers)["Content-Type"], "text/html; charset=utf-8")
            self.assertIn(b"This link does not exist", body)
            self.assert_redirect(*read_reply(s)[:3])

    # --- connections ----------------------------------------------------------------------------

    def test_keep_alive_clicks_then_api_then_click(self):
        with connect(self.srv.port) as s:
            for _ in range(3):
                s.sendall(get(self.path))
                self.assert_redirect(*read_reply(s)[:3])
            s.sendall(get("/healthz"))
            status, _, body, _ = read_reply(s)
            self.assertEqual((status, body), (200, b'{"ok":true}'))
            s.sendall(get(self.path))
            self.assert_redirect(*read_reply(s)[:3])
            self.assertFalse(closed(s, 0.3), "a keep-alive connection was closed")

    def test_pipelined_clicks_and_api_requests_are_answered_in_order(self):
        data = (get(self.path) + get("/healthz") + get(self.path, method="HEAD") + get("/t/zzzzzz") + get(self.path) +
                get("/metrics") + get(self.path, "Connection: close\r\n"))
        with connect(self.srv.port) as s:
            s.sendall(data)
            got = [read_reply(s, head=(i == 2))[0] for i in range(7)]
            self.assertTrue(closed(s, 5), "Connection: close was not honoured")
        self.assertEqual(got, [302, 200, 302, 404, 302, 200, 302])

    def test_a_long_pipelined_run_is_answered_whole_and_does_not_hold_up_others(self):
        # 16 at a time (FASTCLICK_BATCH): the rest of the run waits its turn on the ready list.
        with connect(self.srv.port) as s, connect(self.srv.port) as other:
            s.sendall(get(self.path, method="HEAD") * 50 + get("/t/zzzzzz"))
            other.sendall(get(self.path, method="HEAD"))
            self.assertEqual(read_reply(other, head=True)[0], 302)
            got = [read_reply(s, head=(i < 50))[0] for i in range(51)]
        self.assertEqual(got, [302] * 50 + [404])

    def test_request_split_over_writes_with_pauses(self):
        req = get(self.path)
        with connect(self.srv.port) as s:
            for piece in (req[:2], req[2:9], req[9:40], req[40:-3], req[-3:]):
                s.sendall(piece)
                time.sleep(0.25)
            self.assert_redirect(*read_reply(s)[:3])
            # Two requests whose boundary falls inside a write.
            two = get(self.path) + get("/healthz")
            s.sendall(two[:len(req) + 10])
            time.sleep(0.25)
            s.sendall(two[len(req) + 10:])
            self.assert_redirect(*read_reply(s)[:3])
            self.assertEqual(read_reply(s)[0], 200)

    def test_half_a_click_then_the_clients_end_is_closed_at_once(self):
        """A client that shuts its side after half a request: closed now, not after the timeout."""
        with connect(self.srv.port) as s:
            s.sendall(get(self.path) + get(self.path)[:30])
            s.shutdown(socket.SHUT_WR)
            self.assert_redirect(*read_reply(s)[:3])
            self.assertTrue(closed(s, 3), "half a request and the client's FIN: still open")

    def test_post_and_bodies_on_t_are_libmicrohttpds(self):
        with connect(self.srv.port) as s:
            s.sendall(f"POST {self.path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                      f"Content-Length: 2\r\n\r\n{{}}".encode())
            status, headers, body, _ = read_reply(s)
            self.assertEqual(status, 405)
            self.assertIn(b'"method_not_allowed"', body)
            # A GET with a body: libmicrohttpd reads it; the next request on the connection is a click.
            s.sendall(get(self.path, "Content-Length: 5\r\n") + b"hello" + get(self.path))
            self.assert_redirect(*read_reply(s)[:3])
            self.assert_redirect(*read_reply(s)[:3])
            s.sendall(get(self.path, "Transfer-Encoding: chunked\r\n") + b"5\r\nhello\r\n0\r\n\r\n" + get(self.path))
            self.assert_redirect(*read_reply(s)[:3])
            self.assert_redirect(*read_reply(s)[:3])

    def test_head_connection_close_and_http10(self):
        with connect(self.srv.port) as s:
            s.sendall(get(self.path, method="HEAD"))
            status, headers, body, _ = read_reply(s, head=True)
            self.assert_redirect(status, headers)
            self.assertFalse(closed(s, 0.3), "HEAD closed the connection")
        with connect(self.srv.port) as s:
            s.sendall(get(self.path, "Connection: close\r\n"))
            status, headers, _, _ = read_reply(s)
            self.assertEqual((status, dict(headers)["Connection"]), (302, "close"))
            self.assertTrue(closed(s, 5))
        with connect(self.srv.port) as s:
            s.sendall(get(self.path, version="1.0"))
            status, headers, _, _ = read_reply(s)
            self.assertEqual((status, dict(headers)["Connection"]), (302, "close"))
            self.assertTrue(closed(s, 5))
        with connect(self.srv.port) as s:
            s.sendall(get(self.path, "Connection: keep-alive\r\n", version="1.0"))
            status, headers, _, _ = read_reply(s)
            self.assertEqual((status, dict(headers)["Connection"]), (302, "Keep-Alive"))
            self.assertEqual(without_date(headers)[1:], without_date(self.reference())[:])
            self.assertFalse(closed(s, 0.3))

    def reference(self):
        """The headers of a plain click's reply, without Date."""
        with connect(self.srv.port) as s:
            s.sendall(get(self.path))
            return read_reply(s)[1]

    # --- counting -----------------------------------------------------------------------------

    def analytics(self, cid):
        return self.srv.get(f"/campaigns/{cid}/analytics", token=self.token).json

    def test_clicks_counted_equal_the_distinct_addresses(self):
        cid, path = self.new_link()
        sent = 0
        # Five peers, each clicking three times on one keep-alive connection (repeats count once).
        for k in range(2, 7):
            with connect(self.srv.port, source=f"127.0.0.{k}") as s:
                s.sendall(get(path) * 3)
                for _ in range(3):
                    self.assert_redirect(*read_reply(s)[:3])
                    sent += 1
        # Four clients behind the trusted proxy (127.0.0.1), pipelined on one connection; the same
        # four again in a header split over two X-Forwarded-For lines.
        with connect(self.srv.port) as s:
            data = b"".join(get(path, f"X-Forwarded-For: 203.0.113.{k}\r\n") for k in range(1, 5))
            data += b"".join(get(path, f"X-Forwarded-For: 198.51.100.9\r\nX-Forwarded-For: 203.0.113.{k}\r\n")
                             for k in range(1, 5))
            s.sendall(data)
            for _ in range(8):
                self.assert_redirect(*read_reply(s)[:3])
        # A peer that is not trusted: its X-Forwarded-For is not believed (one click, its own).
        with connect(self.srv.port, source="127.0.0.7") as s:
            s.sendall(b"".join(get(path, f"X-Forwarded-For: 192.0.2.{k}\r\n") for k in range(1, 5)))
            for _ in range(4):
                self.assert_redirect(*read_reply(s)[:3])
        # Never counted: HEAD, a bot, no User-Agent.
        with connect(self.srv.port, source="127.0.0.8") as s:
            s.sendall(get(path, method="HEAD"))
            read_reply(s, head=True)
            s.sendall(f"GET {path} HTTP/1.1\r\nHost: x\r\nUser-Agent: TelegramBot (like TwitterBot)\r\n\r\n".encode())
            read_reply(s)
            s.sendall(f"GET {path} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
            read_reply(s)
        want = 5 + 4 + 1
        wait_until(lambda: self.analytics(cid)["clicks"] >= want, 15)
        time.sleep(0.3)
        self.assertEqual(self.analytics(cid)["clicks"], want, f"{sent} clicks from 5 peers")

    def test_metrics_count_the_fast_paths_clicks(self):
        def count():
            text = self.srv.get("/metrics").body.decode()
            m = re.search(r'tgr_http_requests_total\{method="GET",route="/t/:code",status="302"\} (\d+)', text)
            return int(m.group(1)) if m else 0
        before = count()
        with connect(self.srv.port) as s:
            s.sendall(get(self.path) * 5)
            for _ in range(5):
                read_reply(s)
        self.assertEqual(count() - before, 5)


class FastClickLimitsTest(unittest.TestCase):
    """Connections the fast path holds keep --request-timeout and --max-connections-per-ip."""

    @classmethod
    def setUpClass(cls):
        cls.srv = Server(args=["--request-timeout", "1", "--max-connections-per-ip", "2"])
        cls.srv.start()

    @classmethod
    def tearDownClass(cls):
        try:
            rc = cls.srv.stop()
        finally:
            cls.srv.cleanup()
        if rc != 0:
            raise AssertionError(f"the server exited {rc} on SIGTERM")

    def test_silent_idle_and_half_click_connections_time_out(self):
        silent = connect(self.srv.port, source="127.0.0.21")
        half = connect(self.srv.port, source="127.0.0.22")
        half.sendall(b"GET /t/abcdef HTTP/1.1\r\nHost: x\r\n")  # never finished
        idle = connect(self.srv.port, source="127.0.0.23")
        idle.sendall(get("/t/zzzzzz"))  # answered (404, by libmicrohttpd), then idle
        self.assertEqual(read_reply(idle)[0], 404)
        for s in (silent, half, idle):
            self.assertTrue(closed(s, 5), "a connection was not closed after --request-timeout")
            s.close()

    def test_per_address_cap_holds_for_connections_the_fast_path_holds(self):
        held = [connect(self.srv.port, source="127.0.0.31") for _ in range(2)]
        time.sleep(0.2)
        extra = connect(self.srv.port, source="127.0.0.31")
        self.assertTrue(closed(extra, 2), "a third connection from one address was kept")
        other = connect(self.srv.port, source="127.0.0.32")
        other.sendall(get("/healthz"))
        self.assertEqual(read_reply(other)[0], 200)
        for s in held + [extra, other]:
            s.close()

    def test_connections_libmicrohttpd_closed_give_their_slots_back(self):
        for _ in range(3):
            pair = [connect(self.srv.port, source="127.0.0.41") for _ in range(2)]
            for s in pair:
                s.sendall(get("/healthz"))  # handed to libmicrohttpd
                self.assertEqual(read_reply(s)[0], 200)
            for s in pair:
                s.close()
            time.sleep(0.3)


class FastClickShutdownTest(unittest.TestCase):
    """Shutting down with connections on both sides: each is closed once, by its owner, and the
    server exits 0 (under ASan, a close reported after the fast path was freed exits 1)."""

    def test_sigterm_with_a_connection_handed_to_libmicrohttpd_open(self):
        srv = Server()
        try:
            srv.start()
            handed = connect(srv.port)
            handed.sendall(get("/healthz"))  # libmicrohttpd's: the connection is its own now
            self.assertEqual(read_reply(handed)[0], 200)
            held = connect(srv.port)  # the fast path's: no request yet
            time.sleep(0.3)
            rc = srv.stop()
            handed.close()
            held.close()
        finally:
            srv.cleanup()
        self.assertEqual(rc, 0, "the server did not exit 0 on SIGTERM")


def cpu_seconds(pid):
    """User plus system CPU time of process pid so far."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class FastClickFdLimitTest(unittest.TestCase):
    """Out of descriptors (accept fails with EMFILE): the server waits instead of spinning on the
    readable listen socket, logs it a few times at most, and serves again once connections close."""

    def test_accept_out_of_descriptors_neither_spins_nor_floods_the_log(self):
        srv = Server(args=["--max-connections", "500", "--max-connections-per-ip", "0"])
        socks = []
        try:
            srv.start()
            # Lowered once it runs: it raises its soft limit to the hard one at start.
            resource.prlimit(srv.proc.pid, resource.RLIMIT_NOFILE, (96, 96))
            for _ in range(150):
                s = socket.socket()
                s.setblocking(False)
                try:
                    s.connect(("127.0.0.1", srv.port))
                except BlockingIOError:
                    pass
                socks.append(s)
            time.sleep(0.5)
            c0 = cpu_seconds(srv.proc.pid)
            time.sleep(2)
            used = cpu_seconds(srv.proc.pid) - c0
            self.assertLess(used, 0.2, f"the server used {used:.2f} s of CPU in 2 s out of descriptors")
            for s in socks:
                s.close()
            socks = []
            ok = False
            deadline = time.monotonic() + 10
            while not ok and time.monotonic() < deadline:
                try:
                    s = connect(srv.port)
                    s.sendall(get("/healthz"))
                    ok = read_reply(s, timeout=2)[0] == 200
                    s.close()
                except (OSError, EOFError):
                    time.sleep(0.2)
            self.assertTrue(ok, "not served again once the connections closed")
            rc = srv.stop()
            lines = [x for x in srv.stderr_text().splitlines() if "accept" in x]
            self.assertLessEqual(len(lines), 3, lines[:5])
            self.assertEqual(rc, 0)
        finally:
            for s in socks:
                s.close()
            srv.cleanup()


if __name__ == "__main__":
    unittest.main()
