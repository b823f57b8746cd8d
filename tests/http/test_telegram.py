#!/usr/bin/env python3
"""test_telegram — HTTP scenario tests of the Telegram side of tgr: logging the account in
(with and without two-step verification), the login's errors and its rate limit, importing the
inbox into contacts (who counts as a contact, every field as Telegram gave it), live incoming
messages, the contacts API, sealed storage and clean logs, and the session surviving a restart
of the server and a crash of the bridge (shared/API.md "Telegram session", "Contacts";
shared/DESIGN.md §2, §3, §5, §6; docs/BRIDGE-PROTOCOL.md "The simulator").

Every test drives the real binary, with its real bridge child on the simulated Telegram, from the
outside through tests/http/tgrtest.py and asserts what a user would notice. Each class writes its
own scenario into a temp dir. Run: python3 tests/http/test_telegram.py (CTest sets TGR_BIN).
Servers are few and shared per class so the file stays well under a minute, also under
AddressSanitizer.
"""
import concurrent.futures
import os
import re
import shutil
import signal
import sys
import tempfile
import time
import unittest
from urllib.parse import quote

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tgrtest  # noqa: E402
from tgrtest import Server, is_error_shape, parse_time, sim_args, wait_until, write_scenario  # noqa: E402

PASSWORD = "correct horse battery staple 42"
# Login codes above any pid (pid_max) or port, so that a number in a log line cannot look like one.
CODE = "80417"
WRONG_CODE = "80418"
TWO_STEP = "gr33n-Tomato-2fa!"
ME_PHONE = "+15550000100"


class ErrorAsserts:
    """Assertions on the API's one error shape."""

    def assertError(self, r, status, code=None, field=None):
        detail = f"{r.status} {r.body[:300]!r}"
        self.assertEqual(r.status, status, detail)
        self.assertTrue((r.header("Content-Type") or "").startswith("application/json"), detail)
        self.assertTrue(is_error_shape(r.json, code), f"not the error shape with code {code}: {detail}")
        if field is not None:
            self.assertEqual(r.error_field, field, detail)


def scenario_strings(scenario):
    """Every phone (with and without '+'), name, username and message text of a scenario's users
    and of its inbound messages, plus its own phone: none of them may be stored in clear or logged."""
    out = set()
    people = [scenario["me"]] + list(scenario.get("users", []))
    for u in people:
        for k in ("first_name", "last_name", "username"):
            if u.get(k):
                out.add(u[k])
        if u.get("phone"):
            out.update({"+" + u["phone"].lstrip("+"), u["phone"].lstrip("+")})
        for m in u.get("messages") or []:
            out.add(m["text"])
    for m in scenario.get("inbound") or []:
        out.add(m["text"])
    return out


def log_leaks(text, strings, codes=(), passwords=()):
    """What of strings / login codes / passwords appears in a log text. Codes count only as whole
    numbers (not inside a longer digit run); "sim1:" is a session string's prefix."""
    leaked = [s for s in sorted(strings) if s in text]
    leaked += [c for c in codes if re.search(r"(?<!\d)" + re.escape(c) + r"(?!\d)", text)]
    leaked += [p for p in passwords if p in text]
    if "sim1:" in text:
        leaked.append("sim1:")
    return leaked


def login_telegram(srv, token, phone=ME_PHONE, code=CODE, password=None):
    """connect + verify, asserting both succeed; returns the verify reply."""
    r = srv.post("/session/connect", {"phone": phone}, token=token)
    if r.status != 200:
        raise AssertionError(f"connect: {r!r}")
    body = {"code": code}
    if password is not None:
        body["password"] = password
    r = srv.post("/session/verify", body, token=token)
    if r.status != 200:
        raise AssertionError(f"verify: {r!r}")
    return r


def all_contacts(srv, token):
    """{tg_user_id: contact} of every contact of the account (one big page)."""
    r = srv.get("/contacts?limit=1000", token=token)
    if r.status != 200:
        raise AssertionError(f"GET /contacts: {r!r}")
    return {c["tg_user_id"]: c for c in r.json["contacts"]}


def sync_until_ok(srv, token, timeout):
    """POST /session/sync until it answers 200 or timeout passes; 503 telegram_unavailable (a
    request lost with a bridge, or one made before the new bridge knows the session) is retried.
    Returns (last reply, every reply's status)."""
    statuses = []
    deadline = time.monotonic() + timeout
    while True:
        r = srv.post("/session/sync", token=token)
        statuses.append(r.status)
        if r.status == 200 or r.error_code != "telegram_unavailable" or time.monotonic() >= deadline:
            return r, statuses
        time.sleep(0.2)


def new_account(srv, email):
    srv.create_account(email, PASSWORD)
    return srv.login(email, PASSWORD)


# --------------------------------------------------------------------------------------------
# Importing the inbox: who becomes a contact, with which fields; sealed at rest; clean logs.

ME_ID = "4242"
IMPORT_USERS = [
    {"id": "2101", "access_hash": "880021", "first_name": "Annabelle", "last_name": "Kimura",
     "username": "annabelle_k", "phone": "+15550002101",
     "messages": [{"text": "Hi, where is my order #1042?", "ago_seconds": 86400},
                  {"text": "It ships tomorrow morning", "ago_seconds": 86000, "out": True},
                  {"text": "Thanks, got the tracking number", "ago_seconds": 7200}]},
    # Telegram gives phones without '+'; the API answers E.164.
    {"id": "2102", "access_hash": "880022", "first_name": "Анна-Мария", "last_name": "Ёлкина-Щукина",
     "username": "elka_shchuka", "phone": "79161234567",
     "messages": [{"text": "Здравствуйте! Когда будет доставка?", "ago_seconds": 3600}]},
    {"id": "2103", "access_hash": "880023", "first_name": "山田", "last_name": "太郎",
     "messages": [{"text": "注文の状況を教えてください", "ago_seconds": 600},
                  {"text": "ありがとうございます", "ago_seconds": 300}]},
    {"id": "2104", "access_hash": "880024", "first_name": "🌸 Lily", "last_name": "O'Brien 👩‍💻",
     "username": "lily_obrien", "phone": "+447700900123",
     "messages": [{"text": "Do you ship to the UK? 🇬🇧", "ago_seconds": 120}]},
    {"id": "2105", "access_hash": "880025", "first_name": "Zoltán",
     "messages": [{"text": "Is the blue one back in stock?", "ago_seconds": 50000},
                  {"text": "Any news about the blue one?", "ago_seconds": 40000},
                  {"text": "Still waiting for the blue one", "ago_seconds": 30000}]},
] + [
    {"id": str(2201 + i), "access_hash": str(990000 + i), "first_name": f"Customer{i:02d}",
     "last_name": "Testerson", "username": f"customer_{i:02d}x", "phone": f"+1555001{i:04d}",
     "messages": [{"text": f"question {k} of customer {i:02d} about sizes", "ago_seconds": 9000 + 100 * i - k}
                  for k in range(1 + i % 3)]}
    for i in range(12)
]
# Not contacts: a bot, a deleted user, the account itself, Telegram's service account and users
# without any message.
IMPORT_SKIPPED = [
    {"id": "2190", "access_hash": "880090", "first_name": "Helperbot", "username": "order_helper_bot", "bot": True,
     "messages": [{"text": "Your order helper is online", "ago_seconds": 20}]},
    {"id": "2191", "access_hash": "880091", "first_name": "Dorothea", "last_name": "Vanished", "deleted": True,
     "phone": "+15550002191", "messages": [{"text": "I will delete my account soon", "ago_seconds": 25}]},
    {"id": ME_ID, "access_hash": "880092", "first_name": "Selfnote", "messages": [{"text": "note to myself", "ago_seconds": 30}]},
    {"id": "777000", "access_hash": "880093", "first_name": "Servicenotices",
     "messages": [{"text": "New login from a new device", "ago_seconds": 10}]},
    {"id": "2192", "access_hash": "880094", "first_name": "Samantha", "last_name": "Silentia",
     "username": "silent_samantha", "phone": "+15550002192"},
    {"id": "2193", "access_hash": "880095", "first_name": "Emerson", "last_name": "Emptyhand", "messages": []},
]


class ImportTest(ErrorAsserts, unittest.TestCase):
    """One server on a scenario without two-step verification. Account A is logged in to
    Telegram in setUpClass (its replies are kept for the test that checks them); account B never
    connects and is the other tenant."""

    @classmethod
    def setUpClass(cls):
        cls.work = tempfile.mkdtemp(prefix="tgrtest-tg-import-")
        cls.scenario = {"me": {"id": ME_ID, "first_name": "Sunny Shop Help", "username": "sunny_shop_help",
                               "phone": ME_PHONE},
                        "login": {"code": CODE}, "users": IMPORT_USERS + IMPORT_SKIPPED, "inbound": [],
                        "record": "deliveries.jsonl"}
        path = write_scenario(cls.work, cls.scenario)
        cls.srv = Server(args=sim_args(path))
        try:
            cls.t_before = time.time()
            cls.srv.start()
            cls.token = new_account(cls.srv, "importer@shop.test")
            cls.other = new_account(cls.srv, "other-tenant@shop.test")
            cls.connect_reply = cls.srv.post("/session/connect", {"phone": ME_PHONE}, token=cls.token)
            cls.status_after_connect = cls.srv.get("/session", token=cls.token)
            cls.verify_reply = cls.srv.post("/session/verify", {"code": CODE}, token=cls.token)
            cls.t_after = time.time()
            # The sync that runs by itself after verify: wait for its last contact.
            want = {u["id"] for u in IMPORT_USERS}
            cls.imported = wait_until(lambda: want <= set(all_contacts(cls.srv, cls.token)), 20)
        except BaseException:
            cls.srv.cleanup()
            shutil.rmtree(cls.work, ignore_errors=True)
            raise

    @classmethod
    def tearDownClass(cls):
        try:
            rc = cls.srv.stop()
            err = cls.srv.stderr_text()
            stored = tgrtest.files_containing(tgrtest.database_files(cls.srv.data),
                                              scenario_strings(cls.scenario) | {"sim1:"})
        finally:
            cls.srv.cleanup()
            shutil.rmtree(cls.work, ignore_errors=True)
        leaked = log_leaks(err, scenario_strings(cls.scenario), codes=[CODE, WRONG_CODE])
        if rc != 0 or leaked or stored:
            raise AssertionError(f"after SIGTERM: exit code {rc}, in stderr: {leaked}, in the database files "
                                 f"after the stop: {stored}\n{err[-2000:]}")

    # --- 1. logging in without two-step verification ----------------------------------------

    def test_connect_without_two_step_verification(self):
        self.assertEqual((self.connect_reply.status, self.connect_reply.json), (200, {"status": "code_sent"}))
        self.assertEqual(self.status_after_connect.json["status"], "code_sent", self.status_after_connect)
        r = self.verify_reply
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json, {"status": "connected",
                                  "user": {"id": ME_ID, "first_name": "Sunny Shop Help", "username": "sunny_shop_help"}})
        r = self.srv.get("/session", token=self.token)
        self.assertEqual(r.status, 200, r)
        self.assertEqual(set(r.json), {"status", "phone", "simulator", "frozen", "frozen_at"})
        self.assertEqual(r.json["status"], "connected")
        self.assertEqual((r.json["frozen"], r.json["frozen_at"]), (False, None))
        # On the simulated Telegram the login it expects is shown (the web app's demo notice).
        self.assertEqual(r.json["simulator"]["code"], CODE, r.json)
        self.assertIsInstance(r.json["simulator"]["two_step"], bool)
        masked = r.json["phone"]
        self.assertIsInstance(masked, str)
        # Masked like "+1555***0100": the country and the last digits, never the whole number.
        self.assertTrue(masked.startswith("+1555") and masked.endswith("0100") and "*" in masked, masked)
        self.assertNotIn(ME_PHONE[1:], masked)
        self.assertLess(sum(ch.isdigit() for ch in masked), len(ME_PHONE) - 1, masked)
        # The other tenant has no session.
        other = self.srv.get("/session", token=self.other).json
        self.assertEqual((other["status"], other["phone"]), ("none", None))

    # --- 4. the import ------------------------------------------------------------------------

    def test_sync_imports_exactly_the_real_users_with_every_field(self):
        self.assertTrue(self.imported, "the sync after verify did not import every user within 20 s")
        got = all_contacts(self.srv, self.token)
        self.assertEqual(sorted(got), sorted(u["id"] for u in IMPORT_USERS),
                         "contacts must be exactly the users with messages, without bots, deleted users, "
                         "the account itself and 777000")
        for u in IMPORT_USERS:
            c = got[u["id"]]
            with self.subTest(user=u["id"], first_name=u["first_name"]):
                self.assertEqual(set(c), {"id", "tg_user_id", "first_name", "last_name", "username", "phone",
                                          "category", "confidence", "last_message_at", "messages_count",
                                          "orders_count", "spent", "opted_out", "charges_for_messages",
                                          "charges_stars", "privacy_restricted"})
                self.assertIsInstance(c["id"], int)
                self.assertEqual(c["first_name"], u.get("first_name"))
                self.assertEqual(c["last_name"], u.get("last_name"))
                self.assertEqual(c["username"], u.get("username"))
                self.assertEqual(c["phone"], "+" + u["phone"].lstrip("+") if u.get("phone") else None)
                inbound = [m for m in u["messages"] if not m.get("out")]
                self.assertEqual(c["messages_count"], len(inbound))
                newest_ago = min(m["ago_seconds"] for m in inbound)
                # The simulator dates its history when its bridge starts: between these two moments.
                at = parse_time(c["last_message_at"])
                self.assertGreaterEqual(at, int(self.t_before) - newest_ago - 2, c["last_message_at"])
                self.assertLessEqual(at, self.t_after - newest_ago + 2, c["last_message_at"])
                self.assertEqual((c["orders_count"], c["spent"], c["opted_out"]), (0, 0, False))
                # The single contact reads the same as the list.
                one = self.srv.get(f"/contacts/{c['id']}", token=self.token)
                self.assertEqual((one.status, one.json), (200, c))

    def test_second_sync_adds_nothing(self):
        self.assertTrue(self.imported, "the sync after verify did not import every user within 20 s")
        before = all_contacts(self.srv, self.token)
        for _ in range(2):
            r = self.srv.post("/session/sync", token=self.token)
            self.assertEqual(r.status, 200, r)
            self.assertEqual(r.json, {"contacts_added": 0, "contacts_updated": 0, "messages_added": 0})
        self.assertEqual(all_contacts(self.srv, self.token), before)

    # --- 5. sealed at rest, clean logs --------------------------------------------------------

    def test_database_files_and_log_hold_no_customer_data_or_session(self):
        self.assertTrue(self.imported, "the sync after verify did not import every user within 20 s")
        self.assertEqual(self.srv.post("/session/sync", token=self.token).status, 200)
        files = tgrtest.database_files(self.srv.data)
        self.assertIn(tgrtest.database_main_file(self.srv.data), files)
        strings = scenario_strings(self.scenario)
        # Sanity of the scan itself: the API shows these very strings in clear to their owner.
        shown = {v for c in all_contacts(self.srv, self.token).values() for v in c.values() if isinstance(v, str)}
        self.assertTrue({"Ёлкина-Щукина", "+79161234567", "annabelle_k", "太郎"} <= shown, shown)
        self.assertEqual(tgrtest.files_containing(files, strings | {"sim1:"}), [],
                         "found in clear in the database files")
        self.assertEqual(log_leaks(self.srv.stderr_text(), strings, codes=[CODE]), [], "found in the server's stderr")

    # --- 9. the contacts API ------------------------------------------------------------------

    def test_pagination_walks_every_contact_once(self):
        self.assertTrue(self.imported)
        seen, after, pages = [], None, 0
        while True:
            r = self.srv.get("/contacts?limit=5" + (f"&after={after}" if after is not None else ""), token=self.token)
            self.assertEqual(r.status, 200, r)
            self.assertEqual(set(r.json), {"contacts", "next_after", "currency"})
            self.assertEqual(r.json["currency"], "EUR", "spent's currency: EUR without orders")
            page = r.json["contacts"]
            self.assertLessEqual(len(page), 5)
            seen += [c["tg_user_id"] for c in page]
            pages += 1
            self.assertLess(pages, 20, "next_after never became null")
            if r.json["next_after"] is None:
                break
            self.assertEqual(len(page), 5, r)
            self.assertIsInstance(r.json["next_after"], int)
            after = r.json["next_after"]
        self.assertEqual(len(seen), len(set(seen)), f"a contact came twice: {seen}")
        self.assertEqual(sorted(seen), sorted(u["id"] for u in IMPORT_USERS))
        self.assertEqual(pages, 4)  # 17 contacts: 5 + 5 + 5 + 2
        # A limit as large as everything: one page, no next.
        r = self.srv.get(f"/contacts?limit={len(IMPORT_USERS)}", token=self.token)
        self.assertEqual((len(r.json["contacts"]), r.json["next_after"]), (len(IMPORT_USERS), None))

    def test_q_filters_by_name_username_and_phone(self):
        self.assertTrue(self.imported)

        def found(q):
            r = self.srv.get("/contacts?limit=1000&q=" + quote(q), token=self.token)
            self.assertEqual(r.status, 200, r)
            return sorted(c["tg_user_id"] for c in r.json["contacts"])

        self.assertEqual(found("Annabel"), ["2101"])          # first name
        self.assertEqual(found("Kimur"), ["2101"])            # last name
        self.assertEqual(found("Ёлкина"), ["2102"])           # Cyrillic
        self.assertEqual(found("山田"), ["2103"])              # CJK
        self.assertEqual(found("👩‍💻"), ["2104"])              # emoji
        self.assertEqual(found("shchuka"), ["2102"])          # username
        self.assertEqual(found("9161234"), ["2102"])          # phone digits
        self.assertEqual(found("+4477009"), ["2104"])         # phone with '+'
        self.assertEqual(found("Testerson"), [str(2201 + i) for i in range(12)])
        self.assertEqual(found("no such customer anywhere"), [])
        # Not a contact: the bot, the deleted user, the silent one.
        self.assertEqual(found("Helperbot") + found("Dorothea") + found("Samantha"), [])
        # q with a small page still pages through the matches.
        r = self.srv.get("/contacts?limit=5&q=Testerson", token=self.token)
        self.assertEqual(len(r.json["contacts"]), 5)
        self.assertIsInstance(r.json["next_after"], int)
        r2 = self.srv.get(f"/contacts?limit=10&q=Testerson&after={r.json['next_after']}", token=self.token)
        ids = [c["tg_user_id"] for c in r.json["contacts"] + r2.json["contacts"]]
        self.assertEqual(sorted(ids), [str(2201 + i) for i in range(12)])
        self.assertIsNone(r2.json["next_after"])

    def test_bad_limit_or_after_is_400(self):
        for qs in ("limit=0", "limit=-1", "limit=abc", "limit=", "limit=1000000", "after=abc", "after=-5"):
            with self.subTest(qs=qs):
                r = self.srv.get("/contacts?" + qs, token=self.token)
                self.assertEqual(r.status, 400, r)
                self.assertTrue(is_error_shape(r.json), r)

    def test_another_account_sees_none_of_the_contacts(self):
        self.assertTrue(self.imported)
        mine = all_contacts(self.srv, self.token)
        cid = mine["2101"]["id"]
        r = self.srv.get(f"/contacts/{cid}", token=self.other)
        self.assertError(r, 404, "not_found")
        self.assertNotIn(b"Annabelle", r.body)
        r = self.srv.get("/contacts?limit=1000", token=self.other)
        self.assertEqual((r.status, r.json), (200, {"contacts": [], "next_after": None, "currency": "EUR"}))
        r = self.srv.get("/contacts?limit=1000&q=Annabelle", token=self.other)
        self.assertEqual(r.json["contacts"], [])
        self.assertError(self.srv.get(f"/contacts/{max(c['id'] for c in mine.values()) + 1000}", token=self.token),
                         404, "not_found")
        self.assertError(self.srv.get(f"/contacts/{cid}"), 401, "unauthorized")
        # Nor can it sync someone else's Telegram.
        self.assertError(self.srv.post("/session/sync", token=self.other), 409, "no_session")


# --------------------------------------------------------------------------------------------
# The login flow with two-step verification, its errors, and logging out.

LOGIN_SCENARIO = {
    "me": {"id": "5150", "first_name": "Twostep Shop", "username": "twostep_shop", "phone": "+15550005150"},
    "login": {"code": CODE, "password": TWO_STEP},
    "users": [{"id": "3101", "access_hash": "77301", "first_name": "Bartholomew", "last_name": "Quill",
               "username": "bart_quill", "phone": "+15550003101",
               "messages": [{"text": "Can I change my delivery address?", "ago_seconds": 900}]}],
    "record": "deliveries.jsonl",
}
TWO_STEP_USER = {"id": "5150", "first_name": "Twostep Shop", "username": "twostep_shop"}


class LoginFlowTest(ErrorAsserts, unittest.TestCase):
    """One server on a scenario with two-step verification; every test uses its own account, so
    the session states do not meet."""

    @classmethod
    def setUpClass(cls):
        cls.work = tempfile.mkdtemp(prefix="tgrtest-tg-login-")
        path = write_scenario(cls.work, LOGIN_SCENARIO)
        cls.srv = Server(args=sim_args(path))
        try:
            cls.srv.start()
        except BaseException:
            cls.srv.cleanup()
            shutil.rmtree(cls.work, ignore_errors=True)
            raise

    @classmethod
    def tearDownClass(cls):
        try:
            rc = cls.srv.stop()
            err = cls.srv.stderr_text()
            stored = tgrtest.files_containing(tgrtest.database_files(cls.srv.data),
                                              scenario_strings(LOGIN_SCENARIO) | {TWO_STEP, "sim1:"})
        finally:
            cls.srv.cleanup()
            shutil.rmtree(cls.work, ignore_errors=True)
        leaked = log_leaks(err, scenario_strings(LOGIN_SCENARIO), codes=[CODE, WRONG_CODE],
                           passwords=[TWO_STEP, "wrong-" + TWO_STEP])
        if rc != 0 or leaked or stored:
            raise AssertionError(f"after SIGTERM: exit code {rc}, in stderr: {leaked}, in the database files: "
                                 f"{stored}\n{err[-2000:]}")

    def status(self, token):
        r = self.srv.get("/session", token=token)
        self.assertEqual(r.status, 200, r)
        return r.json["status"]

    # --- 2. two-step verification --------------------------------------------------------------

    def test_two_step_verification_asks_for_the_password(self):
        token = new_account(self.srv, "twostep@shop.test")
        self.assertEqual(self.srv.post("/session/connect", {"phone": "+15550005150"}, token=token).status, 200)
        self.assertError(self.srv.post("/session/verify", {"code": CODE}, token=token), 409, "password_required")
        r = self.srv.get("/session", token=token)
        self.assertEqual(r.json["status"], "password_required", r)
        self.assertTrue(r.json["phone"].endswith("5150") and "15550005150" not in r.json["phone"], r)
        # The password alone again, but wrong.
        self.assertError(self.srv.post("/session/verify", {"password": "wrong-" + TWO_STEP}, token=token),
                         422, "password_invalid")
        self.assertEqual(self.status(token), "password_required")
        # Without a password the answer stays password_required.
        self.assertError(self.srv.post("/session/verify", {"code": CODE}, token=token), 409, "password_required")
        r = self.srv.post("/session/verify", {"password": TWO_STEP}, token=token)
        self.assertEqual((r.status, r.json), (200, {"status": "connected", "user": TWO_STEP_USER}), r)
        self.assertEqual(self.status(token), "connected")
        self.assertEqual(self.srv.post("/session/sync", token=token).status, 200)
        self.assertTrue(wait_until(lambda: "3101" in all_contacts(self.srv, token), 10))

    def test_code_and_password_together_connect_at_once(self):
        token = new_account(self.srv, "together@shop.test")
        self.assertEqual(self.srv.post("/session/connect", {"phone": "+15550005150"}, token=token).status, 200)
        r = self.srv.post("/session/verify", {"code": CODE, "password": TWO_STEP}, token=token)
        self.assertEqual((r.status, r.json), (200, {"status": "connected", "user": TWO_STEP_USER}), r)
        self.assertEqual(self.status(token), "connected")

    # --- 3. refusals ---------------------------------------------------------------------------

    def test_wrong_code_is_422_and_does_not_connect(self):
        token = new_account(self.srv, "wrongcode@shop.test")
        self.assertEqual(self.srv.post("/session/connect", {"phone": "+15550005150"}, token=token).status, 200)
        self.assertError(self.srv.post("/session/verify", {"code": WRONG_CODE}, token=token), 422,
                         "phone_code_invalid")
        self.assertNotEqual(self.status(token), "connected")
        self.assertError(self.srv.post("/session/verify", {"code": WRONG_CODE, "password": TWO_STEP}, token=token),
                         422, "phone_code_invalid")
        self.assertNotEqual(self.status(token), "connected")
        self.assertError(self.srv.post("/session/sync", token=token), 409, "no_session")
        # The user types the right code: it still works.
        r = self.srv.post("/session/verify", {"code": CODE, "password": TWO_STEP}, token=token)
        self.assertEqual(r.status, 200, r)
        self.assertEqual(self.status(token), "connected")

    def test_verify_without_connect_is_409(self):
        token = new_account(self.srv, "noconnect@shop.test")
        self.assertError(self.srv.post("/session/verify", {"code": CODE}, token=token), 409, "invalid_state")
        self.assertError(self.srv.post("/session/verify", {"code": CODE, "password": TWO_STEP}, token=token),
                         409, "invalid_state")
        r = self.srv.get("/session", token=token).json
        self.assertEqual((r["status"], r["phone"]), ("none", None), r)

    def test_invalid_phone_is_400_naming_the_field(self):
        token = new_account(self.srv, "badphone@shop.test")
        for phone in ("abc", "12", "+1 555 CALL NOW", "", "+1234567890123456789"):
            with self.subTest(phone=phone):
                self.assertError(self.srv.post("/session/connect", {"phone": phone}, token=token), 400,
                                 "validation_failed", "phone")
        self.assertError(self.srv.post("/session/connect", {}, token=token), 400, None, "phone")
        self.assertEqual(self.status(token), "none")

    # --- 10. logging out -----------------------------------------------------------------------

    def test_delete_session_logs_out(self):
        token = new_account(self.srv, "logout@shop.test")
        login_telegram(self.srv, token, phone="+15550005150", password=TWO_STEP)
        self.assertEqual(self.status(token), "connected")
        r = self.srv.request("DELETE", "/session", token=token)
        self.assertEqual((r.status, r.body), (204, b""))
        r = self.srv.get("/session", token=token).json
        self.assertEqual((r["status"], r["phone"]), ("none", None), r)
        self.assertError(self.srv.post("/session/sync", token=token), 409, "no_session")
        self.assertError(self.srv.post("/session/verify", {"code": CODE, "password": TWO_STEP}, token=token),
                         409, "invalid_state")
        # Connecting again works from the start.
        login_telegram(self.srv, token, phone="+15550005150", password=TWO_STEP)
        self.assertEqual(self.status(token), "connected")


# --------------------------------------------------------------------------------------------
# 8. Live incoming messages.

LIVE_SCENARIO = {
    "me": {"id": "6160", "first_name": "Live Shop", "phone": "+15550006160"},
    "login": {"code": CODE},
    "users": [
        {"id": "3201", "access_hash": "66201", "first_name": "Paulina", "last_name": "Regular",
         "username": "paulina_r", "phone": "+15550003201",
         "messages": [{"text": "Do you have it in size M?", "ago_seconds": 5000},
                      {"text": "And in size L?", "ago_seconds": 4000}]},
        {"id": "3202", "access_hash": "66202", "first_name": "Quentin", "last_name": "Newcomer",
         "username": "quentin_new", "phone": "48601234567"},
    ],
    "inbound": [{"user": "3202", "text": "Hello, is the teal scarf still available?", "after_seconds": 2},
                {"user": "3201", "text": "One more thing about size L", "after_seconds": 2}],
    "record": "deliveries.jsonl",
}


class LiveInboundTest(unittest.TestCase):
    def setUp(self):
        self.work = tempfile.mkdtemp(prefix="tgrtest-tg-live-")
        self.addCleanup(shutil.rmtree, self.work, True)
        self.srv = Server(args=sim_args(write_scenario(self.work, LIVE_SCENARIO)))
        self.addCleanup(self.srv.cleanup)
        self.srv.start()

    def test_incoming_message_creates_a_contact_and_counts_for_an_existing_one(self):
        token = new_account(self.srv, "live@shop.test")
        login_telegram(self.srv, token, phone="+15550006160")
        t_login = time.time()
        # The import after verify: Paulina with her two messages, Quentin (no messages yet) absent.
        early = wait_until(lambda: all_contacts(self.srv, token).get("3201"), 10)
        self.assertTrue(early, "the sync after verify did not import the existing contact")
        if early["messages_count"] == 2:  # taken before the live messages came
            self.assertNotIn("3202", all_contacts(self.srv, token))

        def arrived():
            got = all_contacts(self.srv, token)
            if "3202" in got and got["3201"]["messages_count"] >= 3:
                return got
            return None

        got = wait_until(arrived, 15)
        self.assertTrue(got, f"the live messages did not show within 15 s: {all_contacts(self.srv, token)}")
        t_seen = time.time()
        new = got["3202"]
        self.assertEqual((new["first_name"], new["last_name"], new["username"], new["phone"], new["messages_count"]),
                         ("Quentin", "Newcomer", "quentin_new", "+48601234567", 1))
        self.assertGreaterEqual(parse_time(new["last_message_at"]), int(t_login) - 1)
        self.assertLessEqual(parse_time(new["last_message_at"]), t_seen + 1)
        old = got["3201"]
        self.assertEqual(old["messages_count"], 3)
        self.assertEqual((old["first_name"], old["phone"]), ("Paulina", "+15550003201"))
        self.assertGreaterEqual(parse_time(old["last_message_at"]), int(t_login) - 1)
        self.assertEqual(sorted(got), ["3201", "3202"])
        # A sync afterwards finds the same messages: nothing is counted twice.
        r = self.srv.post("/session/sync", token=token)
        self.assertEqual(r.status, 200, r)
        self.assertEqual((r.json["contacts_added"], r.json["messages_added"]), (0, 0), r)
        self.assertEqual({k: c["messages_count"] for k, c in all_contacts(self.srv, token).items()},
                         {"3201": 3, "3202": 1})
        self.assertEqual(tgrtest.files_containing(tgrtest.database_files(self.srv.data),
                                                  scenario_strings(LIVE_SCENARIO) | {"sim1:"}), [])


# --------------------------------------------------------------------------------------------
# 6, 7. The session survives a restart of the server and a crash of the bridge.

RECOVERY_SCENARIO = {
    "me": {"id": "7170", "first_name": "Sturdy Shop", "phone": "+15550007170"},
    "login": {"code": CODE},
    "users": [{"id": "3301", "access_hash": "55301", "first_name": "Rosalind", "last_name": "Steady",
               "phone": "+15550003301", "messages": [{"text": "Where is parcel 7781?", "ago_seconds": 800}]},
              {"id": "3302", "access_hash": "55302", "first_name": "Sebastian", "username": "seb_stays",
               "messages": [{"text": "Can I pay on delivery?", "ago_seconds": 700}]}],
    "record": "deliveries.jsonl",
}


class RecoveryTest(unittest.TestCase):
    """Each test has its own data dir and server(s), logged in to Telegram once."""

    def setUp(self):
        self.work = tempfile.mkdtemp(prefix="tgrtest-tg-recovery-")
        self.addCleanup(shutil.rmtree, self.work, True)
        self.data = os.path.join(self.work, "data")
        self.scenario = write_scenario(self.work, RECOVERY_SCENARIO)
        self.srv = self.server()
        self.token = new_account(self.srv, "sturdy@shop.test")
        login_telegram(self.srv, self.token, phone="+15550007170")
        self.assertTrue(wait_until(lambda: {"3301", "3302"} <= set(all_contacts(self.srv, self.token)), 10))

    def server(self):
        srv = Server(data=self.data, args=sim_args(self.scenario))
        self.addCleanup(srv.cleanup)
        srv.start()
        return srv

    def assertNoLeaks(self, *servers):
        for srv in servers:
            self.assertEqual(log_leaks(srv.stderr_text(), scenario_strings(RECOVERY_SCENARIO), codes=[CODE]), [])

    def test_restart_keeps_the_session_without_a_new_login(self):
        before = self.srv.get("/session", token=self.token).json
        contacts = all_contacts(self.srv, self.token)
        self.assertEqual(self.srv.stop(), 0, self.srv.stderr_tail())

        second = self.server()
        # The token from before the restart still opens the account (same data dir, same keys);
        # the user asks for a sync as soon as the server listens again.
        token = self.token
        r = second.get("/session", token=token)
        self.assertEqual((r.status, r.json), (200, before))
        self.assertEqual(r.json["status"], "connected")
        r = second.post("/session/sync", token=token)
        self.assertEqual(r.status, 200, f"the first sync after the restart: {r!r}; stderr:\n{second.stderr_tail()}")
        r = second.post("/session/sync", token=second.login("sturdy@shop.test", PASSWORD))
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json, {"contacts_added": 0, "contacts_updated": 0, "messages_added": 0})
        self.assertEqual(all_contacts(second, token), contacts)
        self.assertEqual(second.stop(), 0, second.stderr_tail())
        self.assertNoLeaks(self.srv, second)

    def test_killed_bridge_is_restarted_and_the_session_started_again(self):
        old = wait_until(lambda: tgrtest.bridge_pids(self.srv), 5)
        self.assertEqual(len(old), 1, f"bridge processes: {old}")
        os.kill(old[0], signal.SIGKILL)
        new = wait_until(lambda: [p for p in tgrtest.bridge_pids(self.srv) if p not in old], 10)
        self.assertTrue(new, "no new bridge process within 10 s of killing the old one")
        self.assertIsNone(self.srv.proc.poll(), "the server died with its bridge")
        self.assertEqual(self.srv.get("/session", token=self.token).json["status"], "connected")
        r, statuses = sync_until_ok(self.srv, self.token, 10)
        self.assertEqual(r.status, 200, f"sync statuses after the crash: {statuses}; stderr:\n{self.srv.stderr_tail()}")
        self.assertEqual(self.srv.get("/session", token=self.token).json["status"], "connected")
        self.assertEqual(sorted(all_contacts(self.srv, self.token)), ["3301", "3302"])
        self.assertEqual(self.srv.stop(), 0, self.srv.stderr_tail())
        self.assertNoLeaks(self.srv)


# --------------------------------------------------------------------------------------------
# 11. The login's rate limit (default: 10 a minute per account for connect and verify together).

class SessionRateLimitTest(ErrorAsserts, unittest.TestCase):
    def setUp(self):
        self.work = tempfile.mkdtemp(prefix="tgrtest-tg-rate-")
        self.addCleanup(shutil.rmtree, self.work, True)
        self.srv = Server(args=sim_args(write_scenario(self.work, LOGIN_SCENARIO), rate_session=None))
        self.addCleanup(self.srv.cleanup)
        self.srv.start()

    def test_eleventh_connect_or_verify_in_a_minute_is_429(self):
        token = new_account(self.srv, "eager@shop.test")
        other = new_account(self.srv, "patient@shop.test")
        # Two connects and eight wrong codes, nine of them sent together so that even a slow build makes them
        # well inside the six seconds in which the bucket would regain a token.
        connect = ("/session/connect", {"phone": "+15550005150"})
        wrong = ("/session/verify", {"code": WRONG_CODE})
        first = self.srv.post(*connect, token=token)
        self.assertEqual(first.status, 200, first)
        with concurrent.futures.ThreadPoolExecutor(9) as pool:
            rest = list(pool.map(lambda c: self.srv.post(*c, token=token), [wrong] * 4 + [connect] + [wrong] * 4))
        statuses = [first.status] + [r.status for r in rest]
        self.assertEqual(len(statuses), 10)
        self.assertNotIn(429, statuses, [r.body for r in rest])
        r = self.srv.post("/session/verify", {"code": CODE, "password": TWO_STEP}, token=token)
        self.assertError(r, 429, "rate_limited")
        self.assertRegex(r.header("Retry-After") or "", r"^[1-9][0-9]*$")
        r = self.srv.post("/session/connect", {"phone": "+15550005150"}, token=token)
        self.assertError(r, 429, "rate_limited")
        # Reading the session is not limited, and the limit is per account.
        self.assertEqual(self.srv.get("/session", token=token).status, 200)
        self.assertEqual(self.srv.post("/session/connect", {"phone": "+15550005150"}, token=other).status, 200)


if __name__ == "__main__":
    unittest.main(verbosity=2)
