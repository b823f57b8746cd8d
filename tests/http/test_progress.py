#!/usr/bin/env python3
"""test_progress — a campaign's progress as GET /campaigns/:id/analytics reports it (issue 18,
"Progress never goes backwards"; docs/DECISIONS.md 66): the first message and the follow-ups
apart, each monotonic while follow-ups are queued; times that count the queue of the account's
other campaigns, quiet hours and FloodWait; the campaign a campaign waits behind, named; the
first message's progress in GET /analytics/campaigns. And what the web app says when the Telegram
login changes (issue 18 item 1): logging out keeps contacts and campaigns, a campaign that was
sending waits, and after connecting another number it goes on from that account, once per person.

Each class runs its own server on its own simulated Telegram (tests/http/test_sending.py's
EngineCase). What Telegram received is read from the simulator's record. Run:
python3 tests/http/test_progress.py (CTest sets TGR_BIN).
"""
import os
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tgrtest import connect_telegram, contacts_by_tg_id, parse_time, wait_until  # noqa: E402
from test_sending import CODE, EngineCase, make_users, quiet_around_now  # noqa: E402

STEP_KEYS = {"total", "sent", "failed", "skipped", "pending", "eta"}


def done(part):
    return part["sent"] + part["failed"] + part["skipped"]


class MonotonicTest(EngineCase):
    """Twelve people, a follow-up one second after the first message to those who did not reply;
    four reply. At two messages a second the follow-ups queue up while first messages still go."""

    USERS = make_users(12, "8120")
    for _i in (1, 4, 7, 10):
        USERS[_i] = dict(USERS[_i], reply={"after_seconds": 0.2, "text": "thanks!"})
    SEND_RATE = 2

    def test_first_message_and_follow_ups_never_go_backwards(self):
        token, _ = self.account()
        c = self.create(token, message_text="Monotonic first {{first_name}}",
                        nudges=[{"after_seconds": 1, "condition": "no_reply",
                                 "message_text": "Monotonic follow-up {{first_name}}"}])
        self.start(token, c["id"])
        seen, both_queued = [], False
        deadline = time.time() + 60
        while time.time() < deadline:
            a = self.analytics(token, c["id"])
            seen.append(a)
            self.assertEqual(set(a["first_message"]), STEP_KEYS, a)
            self.assertEqual(set(a["follow_ups"]), STEP_KEYS, a)
            both_queued |= a["first_message"]["pending"] > 0 and a["follow_ups"]["pending"] > 0
            if a["status"] == "completed":
                break
            time.sleep(0.1)
        self.assertEqual(seen[-1]["status"], "completed", seen[-1])
        self.assertTrue(both_queued, "never saw first messages and follow-ups queued at once: the test proves nothing")
        for prev, cur in zip(seen, seen[1:]):
            f0, f1, u0, u1 = prev["first_message"], cur["first_message"], prev["follow_ups"], cur["follow_ups"]
            # The first message: a fixed total (the audience), done only grows.
            self.assertEqual((f1["total"], cur["audience"]), (12, 12), cur)
            self.assertGreaterEqual(done(f1), done(f0), (prev, cur))
            # The follow-ups: done only grows, the most there can be only shrinks, never below done.
            self.assertGreaterEqual(done(u1), done(u0), (prev, cur))
            self.assertLessEqual(u1["total"], u0["total"], (prev, cur))
            self.assertLessEqual(done(u1), u1["total"], cur)
            if u0["total"] and u1["total"]:
                self.assertGreaterEqual(done(u1) / u1["total"], done(u0) / u0["total"], (prev, cur))
        last = seen[-1]
        followed = self.record("Monotonic follow-up")
        self.assertEqual(len(followed), 8, followed)
        self.assertEqual(last["first_message"], {"total": 12, "sent": 12, "failed": 0, "skipped": 0, "pending": 0,
                                                 "eta": None})
        # At the end "at most" is exactly what happened: 8 sent, 4 skipped (they replied).
        self.assertEqual(last["follow_ups"], {"total": 12, "sent": 8, "failed": 0, "skipped": 4, "pending": 0,
                                              "eta": None})
        self.assertIsNone(last["eta"])
        rows = {r["campaign_id"]: r for r in self.srv.get("/analytics/campaigns", token=token).json["campaigns"]}
        self.assertEqual(rows[c["id"]]["first_message"]["total"], 12, rows[c["id"]])
        self.assertEqual(done(rows[c["id"]]["first_message"]), 12, rows[c["id"]])

    def test_times_count_what_is_queued(self):
        """While sending, the first message's time is at least its queue at the rate, and the
        queued follow-ups go after it."""
        token, _ = self.account()
        r = self.srv.request("PATCH", "/account", {"frequency_cap_days": 0}, token=token)
        self.assertEqual(r.status, 200, r)
        c = self.create(token, message_text="Times first {{first_name}}",
                        nudges=[{"after_seconds": 1, "condition": "no_reply",
                                 "message_text": "Times follow-up {{first_name}}"}])
        self.start(token, c["id"])
        checked = 0
        while checked < 5:
            t0 = time.time()
            a = self.analytics(token, c["id"])
            f, u = a["first_message"], a["follow_ups"]
            if a["status"] != "running" or f["pending"] < 2:
                break
            eta = parse_time(f["eta"])
            # n messages at 2 a second: the last one (n - 1) / 2 s from now, give or take a send.
            self.assertGreaterEqual(eta, t0 + (f["pending"] - 1) / 2 - 1.0, a)
            self.assertLessEqual(eta, t0 + (f["pending"] - 1) / 2 + 2.0, a)
            if u["pending"]:
                self.assertGreater(parse_time(u["eta"]), eta, a)
                self.assertEqual(a["eta"], u["eta"], a)
            checked += 1
            time.sleep(0.3)
        self.assertGreater(checked, 0, "the campaign was never seen sending")
        self.wait_status(token, c["id"], "completed", 60)


class FirstFollowUpTest(EngineCase):
    """Twenty-four people at four a second, a follow-up one second after the first message: the
    first follow-ups are queued when they come due, while most first messages are still to go. A
    sending account looked at its nudges only every five seconds, so they showed up once about
    twenty first messages were out (DECISIONS 89)."""

    USERS = make_users(24, "8180")
    SEND_RATE = 4

    def test_first_follow_ups_are_queued_when_due(self):
        token, _ = self.account()
        c = self.create(token, message_text="Prompt first {{first_name}}",
                        nudges=[{"after_seconds": 1, "condition": "no_reply", "message_text": "Prompt follow-up"}])
        self.start(token, c["id"])
        first_done = None
        deadline = time.time() + 60
        while first_done is None and time.time() < deadline:
            a = self.analytics(token, c["id"])
            if a["follow_ups"]["pending"] + done(a["follow_ups"]) > 0:
                first_done = done(a["first_message"])
            time.sleep(0.05)
        self.assertIsNotNone(first_done, "no follow-up was ever queued")
        self.assertLessEqual(first_done, 14, "the first follow-ups were queued only after %d of 24 first messages"
                             % first_done)
        self.wait_status(token, c["id"], "completed", 60)
        self.assertEqual(len(self.record("Prompt follow-up")), 24)


class WaitingBehindTest(EngineCase):
    """Two campaigns of one account: the second starts while the first's follow-ups are queued,
    so its first messages wait behind them, and says so; the record shows the order."""

    USERS = make_users(10, "8240")
    SEND_RATE = 2

    def test_a_campaign_names_the_follow_ups_it_waits_behind(self):
        token, _ = self.account()
        r = self.srv.request("PATCH", "/account", {"frequency_cap_days": 0}, token=token)
        self.assertEqual(r.status, 200, r)
        first = self.create(token, name="Autumn first", message_text="Behind A {{first_name}}",
                            nudges=[{"after_seconds": 1, "condition": "no_reply",
                                     "message_text": "Behind A follow-up {{first_name}}"}])
        self.start(token, first["id"])
        # Its first messages out, several follow-ups queued.
        ok = wait_until(lambda: (lambda a: a["status"] == "nudging" and a["follow_ups"]["pending"] >= 3)(
            self.analytics(token, first["id"])), 30, step=0.05)
        self.assertTrue(ok, self.analytics(token, first["id"]))
        second = self.create(token, name="Winter second", message_text="Behind B {{first_name}}")
        t0 = time.time()
        self.start(token, second["id"])
        a = self.analytics(token, second["id"])
        behind = a["waiting_behind"]
        self.assertEqual(len(behind), 1, a)
        self.assertEqual({k: behind[0][k] for k in ("campaign_id", "name", "status")},
                         {"campaign_id": first["id"], "name": "Autumn first", "status": "nudging"}, a)
        ahead = behind[0]["messages"]
        self.assertGreaterEqual(ahead, 1, a)
        self.assertLessEqual(ahead, 10, a)
        # Its ten first messages go after those: the last one (ahead + 9) / 2 s from now at least.
        self.assertGreaterEqual(parse_time(a["first_message"]["eta"]), t0 + (ahead + 9) / 2 - 1.5, a)
        self.wait_status(token, second["id"], "completed", 60)
        self.wait_status(token, first["id"], "completed", 60)
        self.assertEqual(self.analytics(token, second["id"])["waiting_behind"], [])
        # The record: the follow-ups counted ahead reached Telegram before B's first message.
        b_first = self.record("Behind B")[0]["at"]
        before = [r for r in self.record("Behind A follow-up") if r["at"] < b_first]
        self.assertGreaterEqual(len(before), ahead, (ahead, b_first))


class QuietTimesTest(EngineCase):
    """Quiet hours around now: the campaign's first message is due after they end."""

    USERS = make_users(4, "8360")
    SEND_RATE = 2

    def test_the_time_counts_quiet_hours(self):
        token, _ = self.account()
        quiet = quiet_around_now()
        c = self.create(token, message_text="Quiet times {{first_name}}", quiet_hours=quiet)
        self.start(token, c["id"])
        a = self.analytics(token, c["id"])
        self.assertIs(a["quiet_hours"]["active"], True, a)
        resumes = parse_time(a["quiet_hours"]["resumes_at"])
        eta = parse_time(a["first_message"]["eta"])
        # Four messages from the end of quiet hours, two a second.
        self.assertAlmostEqual(eta, resumes + 1.5, delta=0.01, msg=a)
        self.assertEqual(a["eta"], a["first_message"]["eta"], a)
        self.assertEqual(a["follow_ups"]["total"], 0, a)
        r = self.srv.post(f"/campaigns/{c['id']}/pause", token=token)
        self.assertEqual(r.status, 200, r)
        a = self.analytics(token, c["id"])
        self.assertEqual((a["first_message"]["pending"], a["first_message"]["eta"], a["eta"]), (4, None, None), a)


class QuietFollowUpsTest(EngineCase):
    """A campaign sent past its quiet hours (the override) with follow-ups queued, paused and
    resumed under its quiet hours: its first messages are all out, so it is nudging again at once,
    its follow-ups waiting for the morning. A read that found the follow-ups quiet left the account
    "busy", its look at phases skipped, and the campaign stayed running for a minute when the read
    came right at its pacing time (DECISIONS 87; the browser test's night campaign)."""

    USERS = make_users(4, "8370")
    SEND_RATE = 1

    def test_resumed_in_quiet_hours_it_is_nudging_again(self):
        token, _ = self.account()
        quiet = quiet_around_now()
        c = self.create(token, message_text="Night {{first_name}}", quiet_hours=quiet,
                        nudges=[{"after_seconds": 1, "condition": "no_reply", "message_text": "Still there?"}])
        r = self.srv.post(f"/campaigns/{c['id']}/start", {"override_quiet_hours": True}, token=token)
        self.assertEqual(r.status, 200, r)
        ok = wait_until(lambda: (lambda a: a["status"] == "nudging" and a["follow_ups"]["pending"] > 0)(
            self.analytics(token, c["id"])), 30, step=0.05)
        self.assertTrue(ok, self.analytics(token, c["id"]))
        self.assertEqual(self.srv.post(f"/campaigns/{c['id']}/pause", token=token).status, 200)
        r = self.srv.post(f"/campaigns/{c['id']}/resume", {"override_quiet_hours": False}, token=token)
        self.assertEqual(r.status, 200, r)
        self.wait_status(token, c["id"], "nudging", 15)
        a = self.analytics(token, c["id"])
        self.assertIs(a["quiet_hours"]["active"], True, a)
        self.assertGreater(a["follow_ups"]["pending"], 0, a)


class FloodTimesTest(EngineCase):
    """Telegram asks to wait 6 s at the second send: the time of the rest counts the wait."""

    USERS = make_users(5, "8480")
    FAULTS = [{"on_send": 2, "error": "FLOOD_WAIT", "seconds": 6}]
    SEND_RATE = 5

    def test_the_time_counts_the_flood_wait(self):
        token, _ = self.account()
        c = self.create(token, message_text="Flood times {{first_name}}")
        self.start(token, c["id"])
        ok = wait_until(lambda: self.analytics(token, c["id"])["flood_wait_until"] is not None, 15, step=0.05)
        a = self.analytics(token, c["id"])
        self.assertTrue(ok, a)
        until = parse_time(a["flood_wait_until"])
        pending = a["first_message"]["pending"]
        self.assertGreaterEqual(pending, 1, a)
        # The rest goes after the wait, five a second.
        self.assertAlmostEqual(parse_time(a["first_message"]["eta"]), until + (pending - 1) / 5, delta=0.01, msg=a)
        self.wait_status(token, c["id"], "completed", 30)


class ReconnectTest(EngineCase):
    """Six people at one message a second; the login changes half-way."""

    USERS = make_users(6, "8590")
    SEND_RATE = 1

    def test_another_number_keeps_contacts_and_campaigns_and_sends_from_it(self):
        token, contacts = self.account()
        self.assertEqual(len(contacts), 6)
        c = self.create(token, message_text="Reconnect check {{first_name}}")
        self.start(token, c["id"])
        self.assertTrue(wait_until(lambda: self.analytics(token, c["id"])["sent"] >= 1, 15))
        r = self.srv.request("DELETE", "/session", token=token)
        self.assertEqual(r.status, 204, r)
        at_logout = len(self.record("Reconnect check"))
        time.sleep(2.5)
        # Kept, waiting: nothing more goes out without a login (one send may have been under way).
        self.assertEqual(self.campaign(token, c["id"])["status"], "running")
        self.assertLessEqual(len(self.record("Reconnect check")), at_logout + 1)
        self.assertEqual(len(contacts_by_tg_id(self.srv, token)), 6)
        self.assertEqual([x["id"] for x in self.srv.get("/campaigns", token=token).json["campaigns"]], [c["id"]])
        # Another number: the same contacts, and the campaign goes on from it to everyone, once.
        connect_telegram(self.srv, token, "+15550007777", CODE)
        phone = self.srv.get("/session", token=token).json["phone"]
        self.assertTrue(phone.endswith("7777"), phone)
        self.wait_status(token, c["id"], "completed", 30)
        self.assertEachOnce(self.record("Reconnect check"), [u["id"] for u in self.USERS])
        self.assertEqual(sorted(contacts_by_tg_id(self.srv, token)), sorted(contacts))


if __name__ == "__main__":
    unittest.main(verbosity=2)
