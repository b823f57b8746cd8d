#!/usr/bin/env python3
"""test_foundation — HTTP scenario tests of tgr's foundation: login and credentials, the one
error shape and request-body rules, rate limiting of logins, account settings, operations
(/healthz, /metrics, security headers), secrets at rest and in logs, graceful stop, restart and
the CLI (shared/API.md intro, "Auth", "Operations"; shared/DESIGN.md §3 and §7).

Every test drives the real binary from the outside through tests/http/tgrtest.py and asserts what
a user or client would notice. Run: python3 tests/http/test_foundation.py (CTest sets TGR_BIN).
Servers are few and shared per class (setUpClass) so the file stays well under a minute, also
under AddressSanitizer.
"""
import concurrent.futures
import http.client
import json
import os
import re
import shutil
import signal
import socket
import statistics
import sys
import tempfile
import time
import unittest
from datetime import datetime, timezone

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tgrtest  # noqa: E402
from tgrtest import API_KEY_RE, Server, is_error_shape, jwt_parts, make_jwt  # noqa: E402

PASSWORD = "correct horse battery staple 42"
SECURITY_HEADERS = ("X-Content-Type-Options", "Referrer-Policy", "Content-Security-Policy")


class ErrorAsserts:
    """Assertions on the API's one error shape."""

    def assertError(self, r, status, code=None, field=None):
        detail = f"{r.status} {r.body[:300]!r}"
        self.assertEqual(r.status, status, detail)
        self.assertTrue((r.header("Content-Type") or "").startswith("application/json"), detail)
        self.assertTrue(is_error_shape(r.json, code), f"not the error shape with code {code}: {detail}")
        if field is not None:
            self.assertEqual(r.error_field, field, detail)


class ApiTest(ErrorAsserts, unittest.TestCase):
    """One server shared by every test here; each test leaves it usable for the next."""

    @classmethod
    def setUpClass(cls):
        cls.srv = Server()
        try:
            cls.srv.start()
            cls.email = "owner@shop.test"
            cls.api_key = cls.srv.create_account(cls.email, PASSWORD)
            cls.token = cls.srv.login(cls.email, PASSWORD)
        except BaseException:
            cls.srv.cleanup()
            raise
        # Every credential this server ever saw; none may appear in its stderr.
        cls.secrets = {PASSWORD, cls.api_key, cls.token}

    @classmethod
    def tearDownClass(cls):
        try:
            rc = cls.srv.stop()
            err = cls.srv.stderr_text()
        finally:
            cls.srv.cleanup()
        leaked = [s[:12] + "…" for s in cls.secrets if s and s in err]
        if rc != 0 or leaked:
            raise AssertionError(f"after SIGTERM: exit code {rc}, secrets in stderr: {leaked}\n{err[-2000:]}")

    def new_account(self, email):
        """A fresh account (so a test can change its settings); returns (api key, token)."""
        key = self.srv.create_account(email, PASSWORD)
        token = self.srv.login(email, PASSWORD)
        self.secrets.update({key, token})
        return key, token

    # --- login and credentials ---------------------------------------------------------------

    def test_login_returns_a_token_that_opens_the_account(self):
        r = self.srv.post("/auth/login", {"email": self.email, "password": PASSWORD})
        self.assertEqual(r.status, 200, r)
        self.assertEqual(set(r.json), {"token", "expires_at", "account"})
        self.assertEqual(r.json["account"]["email"], self.email)
        self.assertEqual(set(r.json["account"]), {"id", "email", "plan_type"})
        self.assertIsInstance(r.json["account"]["id"], int)
        expires = datetime.strptime(r.json["expires_at"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)
        self.assertGreater(expires, datetime.now(timezone.utc))
        token = r.json["token"]
        self.secrets.add(token)
        header, payload, _ = jwt_parts(token)
        self.assertEqual(header, {"alg": "HS256", "typ": "JWT"})
        self.assertEqual(payload["sub"], str(r.json["account"]["id"]))

        r = self.srv.get("/account", token=token)
        self.assertEqual(r.status, 200, r)
        self.assertEqual(set(r.json), {"id", "email", "plan_type", "timezone", "frequency_cap_days",
                                       "webhook_secret_set", "daily_send_limit", "error_streak_limit"})
        self.assertEqual(r.json["email"], self.email)

    def test_api_key_from_account_create_opens_the_account(self):
        self.assertRegex(self.api_key, API_KEY_RE)
        r = self.srv.get("/account", api_key=self.api_key)
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json["email"], self.email)
        by_token = self.srv.get("/account", token=self.token)
        self.assertEqual(r.json["id"], by_token.json["id"])

    def test_wrong_password_is_401_invalid_credentials(self):
        r = self.srv.post("/auth/login", {"email": self.email, "password": "not the password at all"})
        self.assertError(r, 401, "invalid_credentials")
        self.assertNotIn("token", r.json)

    def test_unknown_email_answers_like_a_wrong_password(self):
        """Same reply, and about the same time (the unknown email runs a dummy Argon2 too), so the
        reply does not tell which emails have accounts. Only a lower bound on time is asserted."""
        wrong, unknown = [], []

        def timed(email):
            t0 = time.monotonic()
            r = self.srv.post("/auth/login", {"email": email, "password": "not the password at all"})
            return time.monotonic() - t0, r

        timed(self.email)  # warm-up of both paths
        timed("warmup@nowhere.test")
        for i in range(5):
            t, r_wrong = timed(self.email)
            wrong.append(t)
            t, r_unknown = timed(f"nobody{i}@nowhere.test")
            unknown.append(t)
            self.assertError(r_unknown, 401, "invalid_credentials")
            self.assertEqual(r_unknown.body, r_wrong.body)
        self.assertGreaterEqual(statistics.median(unknown), 0.3 * statistics.median(wrong),
                                f"unknown-email logins {unknown} vs wrong-password logins {wrong}")

    # --- request bodies ----------------------------------------------------------------------

    def test_malformed_json_is_400_invalid_json(self):
        for body in (b'{"email": "a@b.c", "password":', b'{"email": "a@b.c"} trailing', b"not json at all",
                     b'{"email": "\xff\xfe", "password": "x"}'):
            with self.subTest(body=body):
                r = self.srv.request("POST", "/auth/login", raw=body, content_type="application/json")
                self.assertError(r, 400, "invalid_json")

    def test_duplicate_key_is_400(self):
        r = self.srv.request("POST", "/auth/login", content_type="application/json",
                             raw=b'{"email": "a@b.c", "email": "d@e.f", "password": "whatever it is"}')
        self.assertError(r, 400, "invalid_json")

    def test_unknown_field_is_400_naming_it(self):
        r = self.srv.post("/auth/login", {"email": self.email, "password": PASSWORD, "remember_me": True})
        self.assertError(r, 400, "validation_failed", field="remember_me")

    def test_wrong_type_is_400_naming_the_field(self):
        r = self.srv.post("/auth/login", {"email": 12345, "password": PASSWORD})
        self.assertError(r, 400, "validation_failed", field="email")
        r = self.srv.request("PATCH", "/account", body={"frequency_cap_days": "3"}, token=self.token)
        self.assertError(r, 400, "validation_failed", field="frequency_cap_days")

    def test_json_body_with_another_content_type_is_415(self):
        for ctype in ("text/plain", "application/x-www-form-urlencoded"):
            with self.subTest(content_type=ctype):
                r = self.srv.request("POST", "/auth/login", content_type=ctype,
                                     raw=b'{"email": "a@b.c", "password": "whatever it is"}')
                self.assertError(r, 415)

    def test_oversize_body_is_413_too_large(self):
        # The whole 2 MiB is sent (no Expect: 100-continue); the server drains it and answers.
        r = self.srv.request("POST", "/auth/login", raw=b" " * (2 * 1024 * 1024), content_type="application/json")
        self.assertError(r, 413, "too_large")
        r = self.srv.request("PATCH", "/account", raw=b'{"timezone": "' + b"x" * (64 * 1024) + b'"}',
                             content_type="application/json", token=self.token)
        self.assertError(r, 413, "too_large")
        self.assertTrue(self.srv.healthy())

    def test_huge_announced_body_is_refused_before_it_is_sent(self):
        """A client announcing 100 MiB gets its 413 from the headers alone."""
        head = (b"POST /auth/login HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                b"Content-Length: 104857600\r\n\r\n")
        reply = self.srv.raw_exchange(head, timeout=5)
        self.assertRegex(reply[:64], rb"^HTTP/1\.[01] 413 ",
                         f"headers-only request announcing 100 MiB got {reply[:200]!r} within 5 s")
        self.assertIn(b'"too_large"', reply)

    # --- routing -----------------------------------------------------------------------------

    def test_unknown_route_is_404_in_the_error_shape(self):
        self.assertError(self.srv.get("/no/such/route"), 404, "not_found")
        self.assertError(self.srv.request("POST", "/no/such/route", body={}), 404, "not_found")

    def test_wrong_method_is_405_with_allow(self):
        r = self.srv.request("DELETE", "/account", token=self.token)
        self.assertError(r, 405)
        allow = {m.strip() for m in (r.header("Allow") or "").split(",")}
        self.assertEqual(allow, {"GET", "PATCH"}, r.header("Allow"))
        r = self.srv.request("POST", "/healthz")
        self.assertError(r, 405)
        self.assertIn("GET", r.header("Allow") or "")

    def test_bad_credentials_are_401_unauthorized(self):
        header, payload, signature = jwt_parts(self.token)

        def enc(d):
            return tgrtest.b64url(json.dumps(d, separators=(",", ":")).encode())

        h_raw, p_raw, _ = self.token.split(".")
        expired = dict(payload, exp=int(time.time()) - 3600, iat=int(time.time()) - 7200)
        cases = {
            "no credential": {},
            "garbage token": {"token": "garbage"},
            "empty bearer": {"headers": {"Authorization": "Bearer "}},
            "forged signature": {"token": make_jwt(header, payload, key=os.urandom(32))},
            "alg none": {"token": make_jwt({"alg": "none", "typ": "JWT"}, payload)},
            "alg none with the real signature": {"token": make_jwt({"alg": "none", "typ": "JWT"}, payload,
                                                                   signature=signature)},
            "tampered payload, exp in the past": {"token": h_raw + "." + enc(expired) + "." + signature},
            "tampered payload, another sub": {"token": h_raw + "." + enc(dict(payload, sub="2")) + "." + signature},
            "signature cut off": {"token": h_raw + "." + p_raw + "."},
            "unknown API key": {"api_key": "tgr_" + tgrtest.b64url(os.urandom(32))},
            "token sent as API key": {"api_key": self.token},
        }
        for name, kw in cases.items():
            with self.subTest(name):
                self.assertError(self.srv.get("/account", **kw), 401, "unauthorized")
        self.assertEqual(self.srv.get("/account", token=self.token).status, 200)

    # --- account settings --------------------------------------------------------------------

    def test_account_patch_validates_and_saves(self):
        _, token = self.new_account("settings@shop.test")
        bad = [({"timezone": "Mars/Olympus_Mons"}, "timezone"),
               ({"timezone": 5}, "timezone"),
               ({"frequency_cap_days": "2"}, "frequency_cap_days"),
               ({"frequency_cap_days": -1}, "frequency_cap_days"),
               ({"plan_type": "pro"}, "plan_type")]
        for body, field in bad:
            with self.subTest(body=body):
                self.assertError(self.srv.request("PATCH", "/account", body=body, token=token),
                                 400, "validation_failed", field=field)
        self.assertEqual(self.srv.get("/account", token=token).json["timezone"], "UTC")

        r = self.srv.request("PATCH", "/account", body={"timezone": "Europe/Berlin", "frequency_cap_days": 5},
                             token=token)
        self.assertEqual(r.status, 200, r)
        self.assertEqual((r.json["timezone"], r.json["frequency_cap_days"]), ("Europe/Berlin", 5))
        r = self.srv.get("/account", token=token)
        self.assertEqual((r.json["timezone"], r.json["frequency_cap_days"]), ("Europe/Berlin", 5))

    def test_webhook_secret_is_shown_once(self):
        _, token = self.new_account("hooks@shop.test")
        self.assertIs(self.srv.get("/account", token=token).json["webhook_secret_set"], False)
        r = self.srv.post("/account/webhook-secret", token=token)
        self.assertEqual(r.status, 200, r)
        secret = r.json["webhook_secret"]
        self.assertIsInstance(secret, str)
        self.assertGreaterEqual(len(secret), 32)
        self.secrets.add(secret)
        r = self.srv.get("/account", token=token)
        self.assertIs(r.json["webhook_secret_set"], True)
        self.assertNotIn(secret.encode(), r.body)
        again = self.srv.post("/account/webhook-secret", token=token).json["webhook_secret"]
        self.secrets.add(again)
        self.assertNotEqual(again, secret)
        # Sealed at rest (DESIGN §3): the database files never hold it in clear.
        self.assertEqual(db_files_containing(self.srv.data, [secret, again]), [])

    # --- operations --------------------------------------------------------------------------

    def test_healthz(self):
        r = self.srv.get("/healthz")
        self.assertEqual((r.status, r.json), (200, {"ok": True}))

    def test_metrics_count_failed_logins_and_show_build_info(self):
        def failed_logins():
            text = self.srv.get("/metrics").body.decode()
            for line in text.splitlines():
                m = re.match(r'^tgr_http_requests_total\{(.*)\} (\S+)$', line)
                if m and {'route="/auth/login"', 'status="401"'} <= set(m.group(1).split(",")):
                    return float(m.group(2)), text
            return 0.0, text

        before, _ = failed_logins()
        self.assertError(self.srv.post("/auth/login", {"email": self.email, "password": "wrong password!"}),
                         401, "invalid_credentials")
        after, text = failed_logins()
        self.assertGreaterEqual(after, before + 1, text[:2000])
        self.assertRegex(text, r"(?m)^tgr_build_info\{[^}]*version=\"[^\"]+\"[^}]*\} 1$")
        self.assertRegex(text, r'(?m)^tgr_http_request_duration_seconds_bucket\{.*le="\+Inf"\} \d+')
        r = self.srv.get("/metrics")
        self.assertTrue((r.header("Content-Type") or "").startswith("text/plain"), r.header("Content-Type"))

    def test_security_headers_on_json_and_on_the_web_page(self):
        replies = {"GET /healthz": self.srv.get("/healthz"), "404": self.srv.get("/no/such/route"),
                   "401": self.srv.get("/account"), "GET /": self.srv.get("/")}
        for name, r in replies.items():
            with self.subTest(name):
                for h in SECURITY_HEADERS:
                    self.assertTrue(r.header(h), f"{name}: no {h}")
                self.assertEqual(r.header("X-Content-Type-Options"), "nosniff")
        page = replies["GET /"]
        self.assertEqual(page.status, 200)
        self.assertTrue(page.header("Content-Type").startswith("text/html"), page.header("Content-Type"))

    def test_server_survives_bad_input(self):
        srv = self.srv
        # (bytes, whether a reply comes at once): incomplete requests are abandoned, not awaited.
        nasty = [
            (b"GARBAGE\r\n\r\n", True),
            (b"\x00\x01\x02\xff" * 64 + b"\r\n\r\n", False),
            (b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 200000 + b"\r\n\r\n", True),
            (b"POST /auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
             b"Content-Length: abc\r\n\r\n", True),
            (b"POST /auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
             b"Content-Length: 100\r\n\r\n{\"em", False),
            (b"POST /auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
             b"Transfer-Encoding: chunked\r\n\r\nzz\r\n", True),
            (b"GET /" + b"a/" * 3000 + b" HTTP/1.1\r\nHost: x\r\n\r\n", True),
            (b"GET /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 7\r\n\r\n", False),
            (b"GET /healthz HTTP/2.0\r\nHost: x\r\n\r\n", True),
            (b"GET /%2e%2e/%2e%2e/etc/passwd HTTP/1.1\r\nHost: x\r\n\r\n", True),
        ]
        for data, replies in nasty:
            with socket.create_connection(("127.0.0.1", srv.port), timeout=10) as s:
                try:
                    s.sendall(data)
                    if replies:
                        s.recv(4096)  # whatever comes first (or a reset); then hang up
                    else:
                        time.sleep(0.1)  # hang up after the server has read the bytes (see LifecycleTest)
                except OSError:
                    pass
        self.assertNotIn(b"root:", srv.get("/%2e%2e/%2e%2e/etc/passwd").body)
        bodies = [b"[" * 8000, b'{"email": "a\\u0000b", "password": "x"}', b"", b"null",
                  b'{"email": {"nested": [1, 2, {"deep": true}]}, "password": "x"}',
                  b'{"email": "' + "é".encode() * 3000 + b'", "password": "x"}']
        for body in bodies:
            with self.subTest(body=body[:30]):
                r = srv.request("POST", "/auth/login", raw=body, content_type="application/json")
                self.assertEqual(r.status, 400, r)
                self.assertTrue(is_error_shape(r.json), r)
        self.assertTrue(srv.healthy())
        self.assertEqual(srv.get("/account", token=srv.login(self.email, PASSWORD)).status, 200)

    # --- secrets at rest and in logs ---------------------------------------------------------

    def test_master_key_file_is_private(self):
        st = os.stat(os.path.join(self.srv.data, "master.key"))
        self.assertEqual(st.st_mode & 0o777, 0o600, oct(st.st_mode))

    def test_database_files_hold_no_password_or_api_key(self):
        self.srv.login(self.email, PASSWORD)
        self.assertIn(tgrtest.database_main_file(self.srv.data), tgrtest.database_files(self.srv.data))
        self.assertEqual(db_files_containing(self.srv.data, [PASSWORD, self.api_key]), [])

    def test_stderr_holds_no_password_token_or_api_key(self):
        self.srv.post("/auth/login", {"email": self.email, "password": PASSWORD + "x"})
        self.srv.get("/account", api_key=self.api_key)
        err = self.srv.stderr_text()
        self.assertIn("listening", err + self.srv.stdout_text())
        for s in sorted(self.secrets):
            self.assertNotIn(s, err)
        self.assertNotIn(PASSWORD + "x", err)


def db_files_containing(data_dir, needles):
    """Which needles appear in the database files of data_dir (tgr.db and its -wal, -shm, or the
    dump of its PostgreSQL database: tgrtest.database_files)."""
    found = tgrtest.files_containing(tgrtest.database_files(data_dir), needles)
    return [n[:12] + "…" for n in found]


class RateLimitTest(ErrorAsserts, unittest.TestCase):
    """A fresh server with the default login limits: failed logins, 10 a minute per email and
    address, 30 per address, 50 an hour per email (tests/http/test_login_limits.py has the rest)."""

    def setUp(self):
        self.srv = Server(rate_login=None)
        self.addCleanup(self.srv.cleanup)
        self.srv.start()
        self.srv.create_account("limited@shop.test", PASSWORD)

    @unittest.skipIf(tgrtest.VALGRIND, "timing: under Valgrind ten logins take longer than the limit's refill")
    def test_eleventh_rapid_failure_is_429_for_that_email_and_address(self):
        # The first ten go out together so that even a slow (sanitizer) build makes them well inside
        # the six seconds in which the bucket would regain a token.
        attempt = lambda _: self.srv.post("/auth/login",  # noqa: E731
                                          {"email": "limited@shop.test", "password": "wrong guess number"})
        with concurrent.futures.ThreadPoolExecutor(10) as pool:
            first = list(pool.map(attempt, range(10)))
        self.assertEqual([r.status for r in first], [401] * 10, first)

        r = attempt(10)
        self.assertError(r, 429, "rate_limited")
        self.assertRegex(r.header("Retry-After") or "", r"^[1-9][0-9]*$")

        # Another email from the same address is still checked: the address has failures to spare
        # (30 a minute) for the other people behind it.
        r = self.srv.post("/auth/login", {"email": "someone.else@shop.test", "password": "another guess"})
        self.assertError(r, 401, "invalid_credentials")

        self.assertEqual(self.srv.get("/healthz").status, 200)


class LifecycleTest(unittest.TestCase):
    """Graceful stop, restart on the same data dir, and the demo account."""

    def test_sigterm_during_a_slow_login_still_answers_it(self):
        srv = Server()
        self.addCleanup(srv.cleanup)
        srv.start()
        srv.create_account("late@shop.test", PASSWORD)
        conn = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=30)
        self.addCleanup(conn.close)
        # The request is written before the signal, so it is in flight (queued for Argon2) when
        # SIGTERM arrives about 10 ms later.
        conn.request("POST", "/auth/login", body=b'{"email":"late@shop.test","password":"%s"}' % PASSWORD.encode(),
                     headers={"Content-Type": "application/json"})
        time.sleep(0.01)
        srv.signal(signal.SIGTERM)
        r = conn.getresponse()
        body = r.read()
        self.assertEqual(r.status, 200, body)
        self.assertIn(b'"token"', body)
        self.assertEqual(srv.wait(timeout=30), 0, srv.stderr_tail())
        self.assertIn("stopped cleanly", srv.stderr_text())

    def test_clients_that_hang_up_mid_request_do_not_hold_up_a_stop(self):
        """Connections whose client sent headers and part of a body, then closed, are not requests
        in flight: SIGTERM stops the server at once instead of waiting out its grace period."""
        srv = Server()
        self.addCleanup(srv.cleanup)
        srv.start()
        partial = (b"POST /auth/login HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                   b"Content-Length: 100\r\n\r\n{\"email\":")
        for _ in range(20):
            with socket.create_connection(("127.0.0.1", srv.port), timeout=10) as s:
                s.sendall(partial)
        time.sleep(1)
        self.assertTrue(srv.healthy())
        try:
            rc, why = srv.stop(timeout=5), ""
        except tgrtest.ServerError as e:
            rc, why = None, str(e)
        self.assertIsNotNone(rc, f"still running 5 s after SIGTERM with 20 abandoned requests (killed): {why}")
        self.assertEqual(rc, 0, srv.stderr_tail())

    def test_restart_keeps_accounts_and_demo_login(self):
        data = tempfile.mkdtemp(prefix="tgrtest-restart-")
        self.addCleanup(shutil.rmtree, data, True)
        demo_re = r"^demo login: (\S+@\S+) / (\S+)$"

        first = Server(data=data, args=["--demo"])
        self.addCleanup(first.cleanup)
        first.start()
        m1 = first.wait_for_stdout(demo_re)
        self.assertIsNotNone(m1, first.stdout_text())
        first.create_account("stays@shop.test", PASSWORD)
        first.login("stays@shop.test", PASSWORD)
        first.login(m1.group(1), m1.group(2))
        self.assertEqual(first.stop(), 0, first.stderr_tail())
        self.assertIn("created the demo account", first.stdout_text())

        second = Server(data=data, args=["--demo"])
        self.addCleanup(second.cleanup)
        second.start()
        m2 = second.wait_for_stdout(demo_re)
        self.assertIsNotNone(m2, second.stdout_text())
        self.assertEqual(m2.group(0), m1.group(0))
        self.assertEqual(second.get("/account", token=second.login("stays@shop.test", PASSWORD)).status, 200)
        second.login(m2.group(1), m2.group(2))
        self.assertEqual(second.stop(), 0, second.stderr_tail())
        self.assertNotIn("created the demo account", second.stdout_text())
        for srv in (first, second):
            self.assertNotIn(m1.group(2), srv.stderr_text())
            self.assertNotIn(PASSWORD, srv.stderr_text())


class CliTest(unittest.TestCase):
    """The command line: exit codes 0 (done) and 2 (usage or input refused), one-line messages."""

    @classmethod
    def setUpClass(cls):
        cls.data = tempfile.mkdtemp(prefix="tgrtest-cli-")

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.data, ignore_errors=True)

    def assertUsageError(self, r):
        self.assertEqual(r.returncode, 2, r.stderr)
        self.assertEqual(r.stdout, "")
        lines = r.stderr.strip().splitlines()
        self.assertEqual(len(lines), 1, r.stderr)
        self.assertTrue(lines[0].startswith("tgr"), r.stderr)

    def test_bad_flag_exits_2_with_one_line(self):
        for args in (["serve", "--no-such-flag"], ["serve", "--threads", "many"], ["serve", "--listen", "nowhere"]):
            with self.subTest(args=args):
                self.assertUsageError(tgrtest.run_cli(*args, "--data", self.data))

    def test_serve_help_lists_flags_and_env(self):
        r = tgrtest.run_cli("serve", "--help")
        self.assertEqual(r.returncode, 0, r.stderr)
        for word in ("--listen", "TGR_LISTEN", "--data", "TGR_DATA"):
            self.assertIn(word, r.stdout)
        self.assertEqual(tgrtest.run_cli("--help").returncode, 0)

    def test_unknown_command_exits_2(self):
        self.assertUsageError(tgrtest.run_cli("frobnicate"))

    def test_account_create_prints_only_the_api_key(self):
        rc, out, err = tgrtest.create_account(self.data, "first@cli.test", PASSWORD)
        self.assertEqual(rc, 0, err)
        self.assertRegex(out, r"^tgr_[A-Za-z0-9_-]{43}\n$")

    def test_account_create_duplicate_email_exits_2(self):
        rc, _, err = tgrtest.create_account(self.data, "twice@cli.test", PASSWORD)
        self.assertEqual(rc, 0, err)
        rc, out, err = tgrtest.create_account(self.data, "twice@cli.test", PASSWORD + " again")
        self.assertEqual(rc, 2, err)
        self.assertEqual(out, "")
        self.assertIn("twice@cli.test", err)

    def test_account_create_short_password_exits_2(self):
        rc, out, err = tgrtest.create_account(self.data, "short@cli.test", "elevenchars")
        self.assertEqual(rc, 2, err)
        self.assertEqual(out, "")
        self.assertTrue(err.strip())

    def test_migrate_twice_exits_0(self):
        data = tempfile.mkdtemp(prefix="tgrtest-migrate-")
        self.addCleanup(shutil.rmtree, data, True)
        for i in range(2):
            r = tgrtest.run_cli("migrate", "--data", data)
            self.assertEqual(r.returncode, 0, f"run {i + 1}: {r.stderr}")
        self.assertGreater(tgrtest.database_version(data), 0)


if __name__ == "__main__":
    unittest.main(verbosity=2)
