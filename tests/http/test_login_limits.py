#!/usr/bin/env python3
"""test_login_limits — login limits that stop guessing without locking the owner out (issue 13
item 4, docs/DECISIONS.md 47, README "Configuration": --rate-login, --rate-login-ip,
--rate-login-email).

Failed logins are counted per (email, address), per address and — for browsers and addresses the
email has not logged in from before — per email across all addresses. A browser holding the
`tgr_device` cookie of an earlier successful login, or an address that logged in before, passes
the per-email budget. The scenarios send logins from many loopback source addresses (127.0.x.y;
the server listens on 127.0.0.1 and sees each as a different client). Each password check costs
an Argon2id run, so the budgets are lowered by flags where many would be needed. Counts that a
token refilled during a slow run could raise by one are bounded with the refill the elapsed time
allows, never by timing a reply.
"""
import collections
import concurrent.futures
import http.client
import itertools
import json
import os
import shutil
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tgrtest  # noqa: E402
from tgrtest import Server, is_error_shape  # noqa: E402

PASSWORD = "correct horse battery staple 42"
WRONG = "wrong horse battery staple 42"
OWNER = "owner@shop.test"

_addresses = itertools.count(0)


def fresh_address():
    """A loopback address no earlier call returned (127.0.1.2, 127.0.1.3, …): a new client."""
    n = next(_addresses)
    return f"127.0.{1 + n // 250}.{2 + n % 250}"


def owner_server(*more_accounts, **kw):
    """A started Server(**kw) holding OWNER's account and those of more_accounts; the caller
    registers its cleanup (which also runs if creating an account fails)."""
    srv = Server(**kw)
    try:
        srv.start()
        for email in (OWNER, *more_accounts):
            srv.create_account(email, PASSWORD)
    except BaseException:
        srv.cleanup()
        raise
    return srv


def login_from(srv, address, email, password, cookie=None):
    """POST /auth/login on a connection whose source address is `address`, with the device
    cookie value `cookie` if given; returns a tgrtest.Response."""
    conn = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=120, source_address=(address, 0))
    headers = {"Content-Type": "application/json"}
    if cookie:
        headers["Cookie"] = "tgr_device=" + cookie
    try:
        conn.request("POST", "/auth/login", body=json.dumps({"email": email, "password": password}).encode(),
                     headers=headers)
        r = conn.getresponse()
        return tgrtest.Response(r.status, r.headers, r.read())
    finally:
        conn.close()


def device_cookie(r):
    """The tgr_device value a login reply sets (asserting there is one) and its attributes."""
    header = r.header("Set-Cookie")
    if r.status != 200 or not header:
        raise AssertionError(f"no device cookie on {r!r}")
    first, *attrs = [p.strip() for p in header.split(";")]
    name, _, value = first.partition("=")
    if name != "tgr_device" or not value:
        raise AssertionError(f"not a tgr_device cookie: {header}")
    return value, attrs


def burst(srv, attempts):
    """Send every (address, email, password, cookie) of attempts at once; returns
    (Counter of statuses, the replies, seconds from the first send to the last reply)."""
    t0 = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(min(len(attempts), 50)) as pool:
        replies = list(pool.map(lambda a: login_from(srv, *a), attempts))
    return collections.Counter(r.status for r in replies), replies, time.monotonic() - t0


def refills(seconds, per_minute):
    """Tokens a bucket refilling per_minute a minute can have regained in `seconds`."""
    return int(seconds * per_minute / 60.0) + 1


class LimitAsserts:
    def assertLimited(self, r, words=None):
        detail = f"{r.status} {r.body[:300]!r}"
        self.assertEqual(r.status, 429, detail)
        self.assertTrue(is_error_shape(r.json, "rate_limited"), detail)
        self.assertRegex(r.header("Retry-After") or "", r"^[1-9][0-9]*$", detail)
        self.assertNotIn("Set-Cookie", r.headers, detail)
        if words:
            self.assertIn(words, r.json["error"]["message"], detail)

    def assertLoggedIn(self, r):
        self.assertEqual(r.status, 200, f"{r.status} {r.body[:300]!r}")
        self.assertIn("token", r.json)


class GuessingFromOneAddressTest(LimitAsserts, unittest.TestCase):
    """The default limits: 10 failures a minute per (email, address), 30 per address, 50 an hour
    per email."""

    def setUp(self):
        self.srv = owner_server(rate_login=None)
        self.addCleanup(self.srv.cleanup)

    def test_thirty_wrong_passwords_from_one_address_then_the_owner_logs_in_from_another(self):
        guesser = fresh_address()
        counts, replies, took = burst(self.srv, [(guesser, OWNER, WRONG)] * 30)
        # At most 10 were checked (plus what the bucket regained meanwhile): the rest were
        # refused before any Argon2id, even though all 30 were in flight at once.
        self.assertEqual(set(counts), {401, 429}, counts)
        self.assertGreaterEqual(counts[401], 10, counts)
        self.assertLessEqual(counts[401], 10 + refills(took, 10), counts)
        self.assertLimited(next(r for r in replies if r.status == 429), "from this address")

        # The owner, from elsewhere, at once: not locked out.
        self.assertLoggedIn(login_from(self.srv, fresh_address(), OWNER, PASSWORD))


class AddressLimitsTest(LimitAsserts, unittest.TestCase):
    """--rate-login 3 (per email and address) and --rate-login-ip 5 (per address, any email);
    the public URL is https, so the device cookie is Secure."""

    @classmethod
    def setUpClass(cls):
        cls.srv = owner_server(rate_login=3, args=["--rate-login-ip", "5", "--public-url", "https://shop.example"])
        cls.addClassCleanup(cls.srv.cleanup)

    def test_failures_are_limited_per_email_and_address_and_per_address(self):
        a, other = fresh_address(), fresh_address()
        t0 = time.monotonic()
        counts, _, _ = burst(self.srv, [(a, OWNER, WRONG)] * 3)
        self.assertEqual(counts, {401: 3})
        # The (email, address) bucket regains a token every 20 s, the address bucket every 12 s:
        # the refusals below are asserted while no token can have come back.
        if time.monotonic() - t0 < 10:
            self.assertLimited(login_from(self.srv, a, OWNER, WRONG), "for this account from this address")
            # The owner's right password from that address is refused too: the limit is on the
            # address, whoever types there.
            self.assertLimited(login_from(self.srv, a, OWNER, PASSWORD), "for this account from this address")
        # Other emails from the same address: two more failures, then the address is spent.
        counts, _, _ = burst(self.srv, [(a, "nobody@shop.test", WRONG), (a, "noone@shop.test", WRONG)])
        self.assertEqual(counts, {401: 2})
        if time.monotonic() - t0 < 10:
            self.assertLimited(login_from(self.srv, a, "someone@shop.test", WRONG), "from this address")
        # Another address is not affected.
        self.assertEqual(login_from(self.srv, other, OWNER, WRONG).status, 401)
        self.assertLoggedIn(login_from(self.srv, fresh_address(), OWNER, PASSWORD))

    def test_a_successful_login_sets_a_signed_httponly_strict_device_cookie(self):
        r = login_from(self.srv, fresh_address(), OWNER, PASSWORD)
        value, attrs = device_cookie(r)
        self.assertRegex(value, r"^[A-Za-z0-9_-]{22}\.[0-9]+\.[0-9a-f]{32}$")
        lower = {x.lower() for x in attrs}
        self.assertTrue({"httponly", "samesite=strict", "secure", "path=/auth/login", "max-age=31536000"} <= lower,
                        attrs)
        self.assertNotIn(OWNER, r.header("Set-Cookie"))
        # Wrong passwords and refusals set none.
        self.assertNotIn("Set-Cookie", login_from(self.srv, fresh_address(), OWNER, WRONG).headers)


class DistributedGuessingTest(LimitAsserts, unittest.TestCase):
    """--rate-login-email 20: 20 failures an hour per email from clients it does not trust."""

    def test_200_wrong_passwords_over_50_addresses_stay_capped_per_email(self):
        budget = 20
        srv = owner_server(args=["--rate-login-email", str(budget)])
        self.addCleanup(srv.cleanup)
        spray = [(addr, OWNER, f"{WRONG} {i}") for addr in [fresh_address() for _ in range(50)] for i in range(4)]
        counts, replies, took = burst(srv, spray)
        self.assertEqual(set(counts), {401, 429}, counts)
        # The budget was checked, no more (give or take what refilled during the spray: one
        # every 3 minutes), although all 200 were in flight at once.
        self.assertGreaterEqual(counts[401], budget, counts)
        self.assertLessEqual(counts[401], budget + refills(took, budget / 60), counts)
        self.assertLimited(next(r for r in replies if r.status == 429), "for this account")
        # A right password from yet another new address is refused too (see TrustedClientsTest).
        self.assertLimited(login_from(srv, fresh_address(), OWNER, PASSWORD), "for this account")


class TrustedClientsTest(LimitAsserts, unittest.TestCase):
    """--rate-login-email 2 (one regained every 30 minutes, so it stays spent while these run).
    setUpClass logs the owner in once from a home address — which the server then knows, and
    which gives a device cookie — and then spends the per-email budget from other addresses."""

    @classmethod
    def setUpClass(cls):
        cls.srv = owner_server("other@shop.test", args=["--rate-login-email", "2"])
        cls.addClassCleanup(cls.srv.cleanup)
        cls.home = fresh_address()
        cls.cookie, _ = device_cookie(login_from(cls.srv, cls.home, OWNER, PASSWORD))

    def setUp(self):
        """Spend the per-email budget: wrong passwords from new addresses until one is refused
        for the account (at most the budget, the first time)."""
        for _ in range(5):
            r = login_from(self.srv, fresh_address(), OWNER, WRONG)
            if r.status == 429:
                self.assertLimited(r, "for this account")
                return
            self.assertEqual(r.status, 401, r)
        self.fail("the per-email budget is not spent after 5 failures")

    def test_the_owner_with_the_device_cookie_logs_in_from_a_new_address(self):
        r = login_from(self.srv, fresh_address(), OWNER, PASSWORD, cookie=self.cookie)
        self.assertLoggedIn(r)
        device_cookie(r)  # a fresh one

    def test_the_owner_from_the_address_of_an_earlier_login_gets_in_without_the_cookie(self):
        self.assertLoggedIn(login_from(self.srv, self.home, OWNER, PASSWORD))

    def test_a_right_password_from_a_new_address_without_the_cookie_is_refused(self):
        """The price of the per-email budget (DECISIONS 47): while it is spent, a new browser on a
        new network cannot log in, even with the right password."""
        self.assertLimited(login_from(self.srv, fresh_address(), OWNER, PASSWORD), "for this account")

    def test_a_forged_or_foreign_device_cookie_does_not_pass_the_budget(self):
        id_, issued, mac = self.cookie.split(".")
        forged = [
            f"{id_}.{issued}.{mac[:-1]}{'0' if mac[-1] != '0' else '1'}",  # MAC changed
            f"{id_}.{int(issued) + 1}.{mac}",  # issue time changed
            f"{'A' * 22}.{issued}.{mac}",  # another device id
            "garbage",
        ]
        for value in forged:
            with self.subTest(cookie=value):
                self.assertLimited(login_from(self.srv, fresh_address(), OWNER, PASSWORD, cookie=value))
        # The cookie of another account's login does not vouch for this one.
        other, _ = device_cookie(login_from(self.srv, fresh_address(), "other@shop.test", PASSWORD))
        self.assertLimited(login_from(self.srv, fresh_address(), OWNER, PASSWORD, cookie=other))

    def test_a_stolen_device_cookie_gives_ten_guesses_not_unlimited(self):
        """Wrong passwords with a valid cookie, each from a new address (so the per-address limits
        never bite): the device's own budget of 10 failures is spent, then the cookie counts for
        nothing and the per-email budget refuses, even the right password. The owner's home
        address still works."""
        stolen, _ = device_cookie(login_from(self.srv, self.home, OWNER, PASSWORD))
        statuses = [login_from(self.srv, fresh_address(), OWNER, WRONG, cookie=stolen).status for _ in range(14)]
        self.assertEqual(statuses, [401] * 10 + [429] * 4)
        self.assertLimited(login_from(self.srv, fresh_address(), OWNER, PASSWORD, cookie=stolen), "for this account")
        self.assertLoggedIn(login_from(self.srv, self.home, OWNER, PASSWORD))


class RestartTest(LimitAsserts, unittest.TestCase):
    """The device cookie is signed with a key that never rotates, so it outlives a restart; the
    addresses the server remembered do not (they are kept in memory only)."""

    def test_the_device_cookie_survives_a_restart_the_known_address_does_not(self):
        data = tempfile.mkdtemp(prefix="tgrtest-login-")
        self.addCleanup(shutil.rmtree, data, True)
        args = ["--rate-login-email", "3"]
        first = owner_server(data=data, args=args)
        self.addCleanup(first.cleanup)
        home = fresh_address()
        cookie, _ = device_cookie(login_from(first, home, OWNER, PASSWORD))
        self.assertEqual(first.stop(), 0, first.stderr_tail())

        second = Server(data=data, args=args)
        self.addCleanup(second.cleanup)
        second.start()
        counts, _, _ = burst(second, [(fresh_address(), OWNER, WRONG) for _ in range(6)])
        self.assertGreaterEqual(counts[429], 2, counts)
        self.assertLimited(login_from(second, home, OWNER, PASSWORD), "for this account")
        self.assertLoggedIn(login_from(second, home, OWNER, PASSWORD, cookie=cookie))
        self.assertEqual(second.stop(), 0, second.stderr_tail())  # (under ASan: no leak either)


if __name__ == "__main__":
    unittest.main(verbosity=2)
