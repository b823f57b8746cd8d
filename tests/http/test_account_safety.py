#!/usr/bin/env python3
"""test_account_safety — Telegram account safety, round two (issue 15), against the real binary
on the simulated Telegram: a frozen account pauses every campaign and loses nobody; a code tgr
does not know pauses the campaign after exactly error_streak_limit failures in a row; people who
charge Stars are skipped, marked and left out of the next audience (as are people whose privacy
refused the account); a daily limit sends that many, waits for the local midnight and goes on
(the server's clock moved by TGR_TEST_CLOCK_FILE); quiet hours ending claim the first message
seconds ahead and send it when they end, and a person erased or opted out by hand while their
message is claimed does not get it.

What Telegram received is read from the simulator's record file, never from the server's own
account of it. Each class has its own server: the simulator's account_frozen_after counts the
deliveries of its bridge process. Run: python3 tests/http/test_account_safety.py (CTest sets
TGR_BIN).
"""
import os
import shutil
import sys
import tempfile
import time
import unittest
from datetime import datetime, timedelta, timezone

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tgrtest import (ServerCase, campaign_logs, connect_telegram, contacts_by_tg_id, db_ints,  # noqa: E402
                     is_error_shape, parse_time, read_record, sim_args, wait_until, write_scenario)

PASSWORD = "correct horse battery staple 42"
CODE = "80417"
ME_ID = "5999"
ME_PHONE = "+15550005999"
UNKNOWN = "SOMETHING_TELEGRAM_INVENTED"


def users(n, prefix, **extra):
    """n customers who each wrote once an hour ago: ids prefix00, prefix01, …"""
    out = []
    for i in range(n):
        u = {"id": f"{prefix}{i:02d}", "access_hash": str(41000 + i), "first_name": f"Safe{prefix}x{i:02d}",
             "messages": [{"text": f"question {i} about my order", "ago_seconds": 3600 + i}]}
        u.update(extra)
        out.append(u)
    return out


class SafetyCase(ServerCase):
    """A server of its own on its own simulated Telegram (USERS, FROZEN_AFTER), started in
    setUpClass; each test makes its own connected account with account()."""

    USERS = []
    FROZEN_AFTER = None
    SEND_RATE = 10
    CLOCK = False
    STOP_CLEANLY = True
    _emails = 0

    @classmethod
    def setUpClass(cls):
        cls.work = tempfile.mkdtemp(prefix="tgrtest-safety-")
        sc = {"me": {"id": ME_ID, "first_name": "Safe Shop", "phone": ME_PHONE}, "login": {"code": CODE},
              "users": cls.USERS, "record": "deliveries.jsonl"}
        if cls.FROZEN_AFTER is not None:
            sc["account_frozen_after"] = cls.FROZEN_AFTER
        cls.record_path = os.path.join(cls.work, "deliveries.jsonl")
        cls.clock_path = os.path.join(cls.work, "clock")
        with open(cls.clock_path, "w") as f:
            f.write("0\n")
        cls.SERVER_ENV = {"TGR_TEST_CLOCK_FILE": cls.clock_path} if cls.CLOCK else None
        cls.SERVER_ARGS = sim_args(write_scenario(cls.work, sc)) + ["--send-rate", str(cls.SEND_RATE)]
        try:
            super().setUpClass()
        except BaseException:
            shutil.rmtree(cls.work, ignore_errors=True)
            raise

    @classmethod
    def tearDownClass(cls):
        try:
            super().tearDownClass()
        finally:
            shutil.rmtree(cls.work, ignore_errors=True)

    def account(self):
        type(self)._emails += 1
        self.email = f"{type(self).__name__.lower()}-{type(self)._emails}@shop.test"
        self.srv.create_account(self.email, PASSWORD)
        token = self.srv.login(self.email, PASSWORD)
        connect_telegram(self.srv, token, ME_PHONE, CODE)
        want = {u["id"] for u in self.USERS}
        self.assertTrue(wait_until(lambda: want <= set(contacts_by_tg_id(self.srv, token)), 20),
                        "the sync after verify did not import every contact")
        return token

    def patch_account(self, token, **fields):
        r = self.srv.request("PATCH", "/account", body=fields, token=token)
        self.assertEqual(r.status, 200, r)
        return r.json

    def create(self, token, text, **fields):
        r = self.srv.post("/campaigns", {"name": text[:40], "message_text": text, **fields}, token=token)
        self.assertEqual(r.status, 201, r)
        return r.json["id"]

    def start(self, token, cid):
        r = self.srv.post(f"/campaigns/{cid}/start", {}, token=token)
        self.assertEqual(r.status, 200, r)

    def campaign(self, token, cid):
        r = self.srv.get(f"/campaigns/{cid}", token=token)
        self.assertEqual(r.status, 200, r)
        return r.json

    def analytics(self, token, cid):
        r = self.srv.get(f"/campaigns/{cid}/analytics", token=token)
        self.assertEqual(r.status, 200, r)
        return r.json

    def wait_status(self, token, cid, status, timeout):
        if not wait_until(lambda: self.campaign(token, cid)["status"] == status, timeout, step=0.1):
            self.fail(f"campaign {cid} not {status} within {timeout} s: {self.campaign(token, cid)}; "
                      f"{self.analytics(token, cid)}; logs {campaign_logs(self.srv, token, cid)[-6:]}")
        return self.campaign(token, cid)

    def delivered(self, marker):
        return [r for r in read_record(self.record_path) if marker in (r.get("text") or "")]


class FrozenAccountTest(SafetyCase):
    """The simulated account freezes after 3 deliveries (FROZEN_METHOD_INVALID from then on)."""

    USERS = users(20, "8610")
    FROZEN_AFTER = 3

    def test_a_frozen_account_pauses_and_loses_nobody(self):
        token = self.account()
        cid = self.create(token, "Frozen check for {{first_name}}")
        self.start(token, cid)
        c = self.wait_status(token, cid, "paused", 30)
        self.assertEqual(c["pause_reason"], "account_frozen")
        self.assertIsNone(c["pause_code"])
        a = self.analytics(token, cid)
        # At most the 3 delivered are not pending: nobody failed, nobody was burned.
        self.assertEqual(a["failed"], 0, a)
        self.assertEqual(a["sent"], 3, a)
        self.assertGreaterEqual(a["pending"], 17, a)
        self.assertEqual(len(self.delivered("Frozen check")), 3)
        # The session is kept, and says it is frozen, with the way out.
        s = self.srv.get("/session", token=token).json
        self.assertEqual(s["status"], "connected", s)
        self.assertIs(s["frozen"], True, s)
        parse_time(s["frozen_at"])
        logs = campaign_logs(self.srv, token, cid)
        paused = [l for l in logs if l["status"] == "paused"]
        self.assertTrue(paused, logs[-5:])
        self.assertEqual(paused[-1]["error_code"], "FROZEN_METHOD_INVALID")
        self.assertIn("@SpamBot", paused[-1]["error_details"])
        # Resuming while still frozen pauses again at once, and still loses nobody.
        r = self.srv.post(f"/campaigns/{cid}/resume", {}, token=token)
        self.assertEqual(r.status, 200, r)
        c = self.wait_status(token, cid, "paused", 20)
        self.assertEqual(c["pause_reason"], "account_frozen")
        a = self.analytics(token, cid)
        self.assertEqual((a["failed"], a["sent"]), (0, 3), a)
        self.assertEqual(len(self.delivered("Frozen check")), 3)


class ErrorStreakTest(SafetyCase):
    """Every send fails with a code tgr does not know."""

    USERS = users(20, "8620", error=UNKNOWN)

    def test_an_unknown_error_pauses_after_exactly_the_configured_number(self):
        token = self.account()
        self.assertEqual(self.srv.get("/account", token=token).json["error_streak_limit"], 5)
        self.assertEqual(self.patch_account(token, error_streak_limit=3)["error_streak_limit"], 3)
        for bad in (1, 51, "5", None, 2.5):
            r = self.srv.request("PATCH", "/account", body={"error_streak_limit": bad}, token=token)
            self.assertEqual(r.status, 400, (bad, r))
            self.assertTrue(is_error_shape(r.json), r)
        self.assertEqual(self.srv.get("/account", token=token).json["error_streak_limit"], 3)
        cid = self.create(token, "Streak check for {{first_name}}")
        self.start(token, cid)
        c = self.wait_status(token, cid, "paused", 30)
        self.assertEqual((c["pause_reason"], c["pause_code"]), ("error_streak", UNKNOWN), c)
        time.sleep(1.0)  # nothing more goes out after the pause
        a = self.analytics(token, cid)
        self.assertEqual(a["failed"], 3, a)
        self.assertEqual(a["failures_by_reason"], {UNKNOWN: 3}, a)
        self.assertEqual(a["reasons"], {UNKNOWN: None}, a)
        self.assertEqual((a["sent"], a["pending"]), (0, 17), a)
        paused = [l for l in campaign_logs(self.srv, token, cid) if l["status"] == "paused"]
        self.assertEqual(paused[-1]["error_code"], UNKNOWN)
        self.assertIn("3 recipients in a row", paused[-1]["error_details"])
        # A resume clears the code and goes on: three more, then paused again.
        r = self.srv.post(f"/campaigns/{cid}/resume", {}, token=token)
        self.assertEqual(r.status, 200, r)
        self.assertIsNone(r.json["pause_code"], r.json)
        self.assertTrue(wait_until(lambda: self.analytics(token, cid)["failed"] == 6, 20))
        c = self.wait_status(token, cid, "paused", 20)
        self.assertEqual(c["pause_code"], UNKNOWN)

    def test_the_default_streak_is_five(self):
        token = self.account()
        cid = self.create(token, "Default streak for {{first_name}}")
        self.start(token, cid)
        c = self.wait_status(token, cid, "paused", 30)
        self.assertEqual(c["pause_reason"], "error_streak")
        time.sleep(1.0)
        self.assertEqual(self.analytics(token, cid)["failed"], 5)


class PrivacyTest(SafetyCase):
    """Six customers' privacy settings refuse the account (a refusal by one person each); two
    customers receive."""

    USERS = users(6, "8621", error="USER_PRIVACY_RESTRICTED") + users(2, "8622")

    def test_refusals_by_one_person_never_pause_and_mark_the_contact(self):
        token = self.account()
        self.patch_account(token, frequency_cap_days=0)
        cid = self.create(token, "Privacy check for {{first_name}}")
        r = self.srv.get(f"/campaigns/{cid}/audience", token=token)
        self.assertEqual(r.json["left_out"], {"charges_for_messages": 0, "privacy_restricted": 0}, r.json)
        # Six refusals in a row, more than the default streak of five: the campaign goes on.
        self.start(token, cid)
        c = self.wait_status(token, cid, "completed", 40)
        self.assertIsNone(c["pause_reason"])
        a = self.analytics(token, cid)
        self.assertEqual((a["failed"], a["sent"]), (6, 2), a)
        self.assertEqual(a["failures_by_reason"], {"USER_PRIVACY_RESTRICTED": 6}, a)
        self.assertIn("privacy", a["reasons"]["USER_PRIVACY_RESTRICTED"])
        contacts = contacts_by_tg_id(self.srv, token)
        marked = sorted(k for k, v in contacts.items() if v["privacy_restricted"])
        self.assertEqual(marked, sorted(u["id"] for u in users(6, "8621")))
        # The next campaign leaves them out by default, and says so; asked for, they are in.
        nxt = self.create(token, "Privacy again")
        r = self.srv.get(f"/campaigns/{nxt}/audience", token=token)
        self.assertEqual((r.json["count"], r.json["left_out"]["privacy_restricted"]), (2, 6), r.json)
        both = self.create(token, "Privacy asked", filters={"include_privacy_restricted": True})
        r = self.srv.get(f"/campaigns/{both}/audience", token=token)
        self.assertEqual((r.json["count"], r.json["left_out"]["privacy_restricted"]), (8, 0), r.json)
        self.assertEqual(self.campaign(token, both)["filters"], {"include_privacy_restricted": True})


class PaidMessagesTest(SafetyCase):
    """Three customers charge 50 Stars per message (403 ALLOW_PAYMENT_REQUIRED_50), one the older
    way without a price (406 ALLOW_PAYMENT_REQUIRED); two do not."""

    USERS = (users(3, "8630", error="ALLOW_PAYMENT_REQUIRED_50") + users(1, "8631", error="ALLOW_PAYMENT_REQUIRED")
             + users(2, "8632"))

    def test_a_paid_message_contact_is_skipped_and_left_out_of_the_next_audience(self):
        token = self.account()
        self.patch_account(token, frequency_cap_days=0)
        cid = self.create(token, "Paid check for {{first_name}}")
        self.start(token, cid)
        self.wait_status(token, cid, "completed", 30)
        a = self.analytics(token, cid)
        self.assertEqual((a["sent"], a["failed"], a["skipped"]), (2, 0, 4), a)
        self.assertEqual(a["failures_by_reason"], {}, a)
        self.assertEqual(sorted(r["user_id"] for r in self.delivered("Paid check")), ["863200", "863201"])
        skipped = [l for l in campaign_logs(self.srv, token, cid) if l["status"] == "skipped"]
        self.assertEqual(len(skipped), 4, skipped)
        self.assertTrue(any("50 Stars" in l["error_details"] for l in skipped), skipped)
        contacts = contacts_by_tg_id(self.srv, token)
        for i in range(3):
            c = contacts[f"86300{i}"]
            self.assertEqual((c["charges_for_messages"], c["charges_stars"]), (True, 50), c)
        self.assertEqual((contacts["863100"]["charges_for_messages"], contacts["863100"]["charges_stars"]),
                         (True, None))
        self.assertEqual((contacts["863200"]["charges_for_messages"], contacts["863200"]["charges_stars"]),
                         (False, None))
        # The next campaign leaves them out, and the preview says how many and why.
        nxt = self.create(token, "Paid again for {{first_name}}")
        r = self.srv.get(f"/campaigns/{nxt}/audience", token=token)
        self.assertEqual(r.json["count"], 2, r.json)
        self.assertEqual(r.json["left_out"], {"charges_for_messages": 4, "privacy_restricted": 0}, r.json)
        self.start(token, nxt)
        self.wait_status(token, nxt, "completed", 30)
        self.assertEqual(sorted(r["user_id"] for r in self.delivered("Paid again")), ["863200", "863201"])
        a = self.analytics(token, nxt)
        self.assertEqual((a["audience"], a["skipped"]), (2, 0), a)


class DailyLimitTest(SafetyCase):
    """Eight customers, a daily limit of 5; the server's clock is moved by TGR_TEST_CLOCK_FILE."""

    USERS = users(8, "8640")
    CLOCK = True

    def test_a_daily_limit_sends_that_many_waits_and_resumes_the_next_day(self):
        token = self.account()
        self.assertEqual(self.srv.get("/account", token=token).json["daily_send_limit"], 0)
        for bad in (-1, 1000001, "5", True):
            r = self.srv.request("PATCH", "/account", body={"daily_send_limit": bad}, token=token)
            self.assertEqual(r.status, 400, (bad, r))
        acct = self.patch_account(token, daily_send_limit=5, timezone="UTC")
        self.assertEqual(acct["daily_send_limit"], 5)
        cid = self.create(token, "Daily check for {{first_name}}")
        self.start(token, cid)
        self.assertTrue(wait_until(lambda: self.campaign(token, cid)["waiting"] == "daily_limit", 30),
                        self.analytics(token, cid))
        c = self.campaign(token, cid)
        self.assertEqual(c["status"], "running")
        resumes = parse_time(c["resumes_at"])
        # The next UTC midnight (either side of one, should the test run across it).
        midnights = {(datetime.now(timezone.utc) + timedelta(days=1, seconds=d)).replace(
            hour=0, minute=0, second=0, microsecond=0).timestamp() for d in (-60, 0)}
        self.assertIn(resumes, midnights)
        time.sleep(1.5)
        self.assertEqual(len(self.delivered("Daily check")), 5)
        self.assertEqual(self.analytics(token, cid)["sent"], 5)
        logs = campaign_logs(self.srv, token, cid)
        self.assertEqual([l["status"] for l in logs].count("daily_limit"), 1, logs)
        # A test send is not a campaign message: it goes out while the campaign waits.
        r = self.srv.post(f"/campaigns/{cid}/test", {}, token=token)
        self.assertEqual(r.status, 200, r)
        self.assertEqual(len(self.delivered("Daily check")), 6)  # five customers and Saved Messages
        self.assertEqual(len([x for x in self.delivered("Daily check") if x["user_id"] == ME_ID]), 1)
        # A raised limit holds from the next send: two more go out, then it waits again.
        self.patch_account(token, daily_send_limit=7)
        self.assertTrue(wait_until(lambda: self.analytics(token, cid)["sent"] == 7, 20), self.analytics(token, cid))
        time.sleep(1.5)
        self.assertEqual(self.campaign(token, cid)["waiting"], "daily_limit")
        self.assertEqual(len([x for x in self.delivered("Daily check") if x["user_id"] != ME_ID]), 7)
        # The next day (the clock moved past midnight): the last one goes out.
        jump_ms = int((resumes - time.time()) * 1000) + 2000
        with open(self.clock_path, "w") as f:
            f.write(f"{jump_ms}\n")
        # The server reads the clock file again every 100 ms: a login before it has would get a
        # token dated before the jump, already expired once the jump is seen (a flake under ASan).
        time.sleep(0.3)
        token = self.srv.login(self.email, PASSWORD)  # the old token is older than its 12 hours now
        c = self.wait_status(token, cid, "completed", 30)
        self.assertIsNone(c["waiting"])
        got = [x["user_id"] for x in self.delivered("Daily check") if x["user_id"] != ME_ID]
        self.assertEqual(sorted(got), sorted(u["id"] for u in self.USERS))


class QuietEndTest(SafetyCase):
    """Quiet hours that end in a few seconds by the server's clock (moved by TGR_TEST_CLOCK_FILE
    to eight seconds before a whole minute): the first message is claimed well before they end,
    so that a thousand accounts whose hours end together all send on time (DECISIONS 102), and
    nothing reaches Telegram before the end; a person erased, or opted out by hand, while their
    message is claimed does not get it (DECISIONS 102, 104)."""

    USERS = users(3, "8660")
    CLOCK = True
    SEND_RATE = 1

    def claimed_before_quiet_end(self, marker):
        """A campaign to the three people whose quiet hours end 8 s from now by the server's clock,
        looked at 2.5 s before they end: (token, campaign id, the contact whose message is
        claimed, their Telegram id, the real time the hours end)."""
        token = self.account()
        self.patch_account(token, frequency_cap_days=0)
        # The server's clock 8 s before the next whole minute (UTC) of its own clock, where quiet
        # hours end: it moves forward only, 1 to 61 s (a second test finds the first's offset).
        now = time.time()
        before = 0
        if os.path.exists(self.clock_path):
            with open(self.clock_path) as f:
                before = int(f.read().strip() or 0)
        end = (int(now + before / 1000 + 9) // 60 + 1) * 60
        offset_ms = int((end - 8 - now) * 1000)
        with open(self.clock_path, "w") as f:
            f.write(f"{offset_ms}\n")
        time.sleep(0.3)  # the server reads the clock file again every 100 ms
        token = self.srv.login(self.email, PASSWORD)
        real_end = end - offset_ms / 1000
        quiet = {"start": time.strftime("%H:%M", time.gmtime(end - 3600)),
                 "end": time.strftime("%H:%M", time.gmtime(end)), "timezone": "UTC"}
        cid = self.create(token, marker + " for {{first_name}}", quiet_hours=quiet)
        self.start(token, cid)
        self.assertTrue(wait_until(lambda: time.time() >= real_end - 2.5, 10))
        claimed = db_ints(self.srv.data, f"SELECT contact_id FROM recipients WHERE campaign_id = {cid} "
                                         "AND status = 'sending'")
        self.assertEqual(self.delivered(marker), [], "delivered inside quiet hours")
        self.assertEqual(len(claimed), 1, "the first message was not claimed 2.5 s before quiet hours end")
        by_tg = contacts_by_tg_id(self.srv, token)
        tg = [u["id"] for u in self.USERS if by_tg[u["id"]]["id"] == claimed[0][0]]
        self.assertEqual(len(tg), 1)
        return token, cid, claimed[0][0], tg[0], real_end

    def others_get_theirs(self, token, cid, marker, spared, real_end):
        """The two others get the message, from the end of quiet hours on; spared does not."""
        self.assertTrue(wait_until(lambda: len(self.delivered(marker)) == 2, 15), self.analytics(token, cid))
        first = min(r["at"] for r in self.delivered(marker)) / 1000
        self.assertGreaterEqual(first, real_end - 0.05, "the first message left before quiet hours ended")
        self.wait_status(token, cid, "completed", 15)
        time.sleep(1.2)
        got = sorted(str(x["user_id"]) for x in self.delivered(marker))
        self.assertNotIn(spared, got, "the person spared while their message was claimed got it")
        self.assertEqual(len(got), 2, got)

    def test_the_first_message_is_claimed_before_quiet_hours_end_and_sent_when_they_do(self):
        token, cid, contact, tg, real_end = self.claimed_before_quiet_end("Quiet end")
        # The person whose message is claimed is erased now: the message already prepared for them
        # is dropped (the erasure wakes the engine), and the other two get theirs.
        r = self.srv.request("DELETE", f"/contacts/{contact}", token=token)
        self.assertIn(r.status, (200, 204), r)
        self.others_get_theirs(token, cid, "Quiet end", tg, real_end)

    def test_a_person_opted_out_while_their_message_is_claimed_does_not_get_it(self):
        token, cid, contact, tg, real_end = self.claimed_before_quiet_end("Opt-out end")
        # Opted out by hand now: the opt-out skips pending rows, and this one is claimed ('sending').
        # The opt-out wakes the engine, which puts the batch back; prepared again, the row is skipped.
        r = self.srv.post(f"/contacts/{contact}/opt-out", {"reason": "asked by phone"}, token=token)
        self.assertEqual(r.status, 200, r)
        self.others_get_theirs(token, cid, "Opt-out end", tg, real_end)
        a = self.analytics(token, cid)
        self.assertEqual((a["sent"], a["skipped"], a["failed"], a["pending"]), (2, 1, 0, 0), a)
        rows = db_ints(self.srv.data, f"SELECT COUNT(*) FROM recipients WHERE campaign_id = {cid} AND "
                                      f"contact_id = {contact} AND status = 'skipped' AND error_code = 'opted_out'")
        self.assertEqual(rows, [(1,)], "the opted-out person's row is not skipped as opted_out")

if __name__ == "__main__":
    unittest.main(verbosity=2)
