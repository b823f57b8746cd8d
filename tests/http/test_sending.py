#!/usr/bin/env python3
"""test_sending — HTTP scenario tests of the send engine (issue 5: "exactly once, paced, safe for
the shop's Telegram account"): pacing, FloodWait, PEER_FLOOD, a dead session, blocked recipients,
a send that times out, crashes of the server and of the bridge in the middle of a campaign, quiet
hours, nudges to non-responders, "STOP" replies, the 409s of start, the live log stream and the
test send (answered when the server stops while it waits) (shared/DESIGN.md §4, §6; shared/API.md "Campaigns"; docs/BRIDGE-PROTOCOL.md "The
simulator").

Every test drives the real binary, with its real bridge child on the simulated Telegram, from the
outside through tests/http/tgrtest.py. What Telegram received is read from the simulator's record
file (deliveries.jsonl next to the scenario: one line per message it actually delivered), never
from the server's own account of it. Each campaign's text carries a marker of its own, so that
tests sharing a simulated Telegram count only their own messages.

Classes whose scenario has faults (counted per bridge process) or replies (which reach every
connected account) get a server each; the others share one. Run: python3 tests/http/test_sending.py
(CTest sets TGR_BIN). TGR_TEST_SEED fixes the random kill moments of the crash test.
"""
import os
import random
import shutil
import signal
import sys
import tempfile
import threading
import time
import unittest
from datetime import datetime, timedelta, timezone

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tgrtest  # noqa: E402
from tgrtest import (EventStream, Server, campaign_logs, contacts_by_tg_id, connect_telegram,  # noqa: E402
                     is_error_shape, parse_time, read_record, sim_args, wait_until, write_scenario)

PASSWORD = "correct horse battery staple 42"
CODE = "80417"  # above any pid or port
ME_ID = "5999"
ME_PHONE = "+15550005999"
BROWSER_UA = ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
              "Chrome/126.0.0.0 Safari/537.36")
LOG_STATUSES = {"sent", "failed", "flood_wait", "retry", "skipped", "paused", "resumed", "quiet_hours"}
LOG_KEYS = {"id", "at", "contact_id", "name", "step", "status", "error_code", "error_details"}


def make_users(n, prefix, **extra):
    """n simulated customers who each wrote once an hour ago: ids prefix00, prefix01, …"""
    out = []
    for i in range(n):
        u = {"id": f"{prefix}{i:02d}", "access_hash": str(31000 + i), "first_name": f"Cust{prefix}x{i:02d}",
             "last_name": "Tester", "messages": [{"text": f"question number {i} about my order",
                                                  "ago_seconds": 3600 + i}]}
        u.update(extra)
        out.append(u)
    return out


def scenario(users, faults=(), inbound=()):
    return {"me": {"id": ME_ID, "first_name": "Engine Shop", "username": "engine_shop", "phone": ME_PHONE},
            "login": {"code": CODE}, "users": users, "faults": list(faults), "inbound": list(inbound),
            "record": "deliveries.jsonl"}


def hhmm(dt):
    return dt.strftime("%H:%M")


def quiet_around_now():
    """Quiet hours (UTC) from an hour ago to an hour from now."""
    now = datetime.now(timezone.utc)
    return {"start": hhmm(now - timedelta(hours=1)), "end": hhmm(now + timedelta(hours=1)), "timezone": "UTC"}


class EngineCase(unittest.TestCase):
    """A server on its own simulated Telegram, started in setUpClass. Subclasses set USERS, FAULTS,
    INBOUND and SEND_RATE; each test makes its own account (connected, inbox synced) with account()."""

    USERS = []
    FAULTS = []
    INBOUND = []
    SEND_RATE = 5
    PUBLIC_URL = None
    _emails = 0

    @classmethod
    def setUpClass(cls):
        cls.work = tempfile.mkdtemp(prefix="tgrtest-sending-")
        cls.scenario = scenario(cls.USERS, cls.FAULTS, cls.INBOUND)
        cls.scenario_path = write_scenario(cls.work, cls.scenario)
        cls.record_path = os.path.join(cls.work, "deliveries.jsonl")
        cls.srv = cls.new_server(data=os.path.join(cls.work, "data"))
        try:
            cls.srv.start()
        except BaseException:
            cls.srv.cleanup()
            shutil.rmtree(cls.work, ignore_errors=True)
            raise

    @classmethod
    def new_server(cls, data=None):
        args = sim_args(cls.scenario_path) + ["--send-rate", str(cls.SEND_RATE)]
        if cls.PUBLIC_URL:
            args += ["--public-url", cls.PUBLIC_URL]
        return Server(data=data, args=args)

    @classmethod
    def tearDownClass(cls):
        try:
            rc = cls.srv.stop()
            err = cls.srv.stderr_text()
        finally:
            cls.srv.cleanup()
            shutil.rmtree(cls.work, ignore_errors=True)
        if rc != 0:
            raise AssertionError(f"{cls.__name__}: the server exited {rc} on SIGTERM\n{err[-2000:]}")

    # --- helpers -------------------------------------------------------------------------------

    def account(self, connect=True):
        """A fresh account; connected to Telegram with every scenario user with messages imported
        as a contact unless connect is false. Returns (token, {tg_user_id: contact})."""
        type(self)._emails += 1
        email = f"{type(self).__name__.lower()}-{type(self)._emails}@shop.test"
        self.srv.create_account(email, PASSWORD)
        token = self.srv.login(email, PASSWORD)
        if not connect:
            return token, {}
        connect_telegram(self.srv, token, ME_PHONE, CODE)
        want = {u["id"] for u in self.USERS if u.get("messages")}
        ok = wait_until(lambda: want <= set(contacts_by_tg_id(self.srv, token)), 20)
        self.assertTrue(ok, "the sync after verify did not import every contact within 20 s")
        return token, contacts_by_tg_id(self.srv, token)

    def create(self, token, **fields):
        body = {"name": "Engine check", "message_text": "Hello from the shop"}
        body.update(fields)
        r = self.srv.post("/campaigns", body, token=token)
        self.assertEqual(r.status, 201, r)
        return r.json

    def start(self, token, cid, override=False):
        r = self.srv.post(f"/campaigns/{cid}/start", {"override_quiet_hours": override}, token=token)
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json["status"], "running", r.json)
        return r.json

    def campaign(self, token, cid):
        r = self.srv.get(f"/campaigns/{cid}", token=token)
        self.assertEqual(r.status, 200, r)
        return r.json

    def analytics(self, token, cid):
        r = self.srv.get(f"/campaigns/{cid}/analytics", token=token)
        self.assertEqual(r.status, 200, r)
        return r.json

    def wait_status(self, token, cid, statuses, timeout, what=""):
        """Poll the campaign until its status is one of statuses; fails with the last state."""
        statuses = (statuses,) if isinstance(statuses, str) else tuple(statuses)
        got = wait_until(lambda: self.campaign(token, cid)["status"] in statuses, timeout, step=0.1)
        if not got:
            a = self.analytics(token, cid)
            self.fail(f"campaign {cid} not {'/'.join(statuses)} within {timeout} s {what}: analytics {a}; "
                      f"logs {campaign_logs(self.srv, token, cid)[-8:]}")
        return self.campaign(token, cid)

    def start_into_flood_wait(self, token, text):
        """Create and start a campaign of text, and wait for its FloodWait (the class's FAULTS):
        (the campaign, its flood_wait log lines)."""
        c = self.create(token, message_text=text)
        self.start(token, c["id"])
        flood = wait_until(lambda: [l for l in campaign_logs(self.srv, token, c["id"]) if l["status"] == "flood_wait"],
                           20, step=0.05)
        self.assertTrue(flood, campaign_logs(self.srv, token, c["id"]))
        return c, flood

    def record(self, marker):
        """The record's lines whose text holds marker, in the order Telegram delivered them."""
        return sorted((r for r in read_record(self.record_path) if marker in (r.get("text") or "")),
                      key=lambda r: r["at"])

    def assertEachOnce(self, lines, user_ids, what=""):
        """lines are exactly one delivery to each of user_ids."""
        got = [r["user_id"] for r in lines]
        dups = sorted({u for u in got if got.count(u) > 1})
        self.assertEqual(dups, [], f"delivered more than once {what}: {[(r['user_id'], r['at']) for r in lines]}")
        self.assertEqual(sorted(got), sorted(user_ids), f"not every recipient exactly once {what}")

    def assertLogShape(self, logs):
        ids = [l["id"] for l in logs]
        self.assertEqual(ids, sorted(set(ids)), "log ids must be unique and increasing")
        for l in logs:
            self.assertEqual(set(l), LOG_KEYS, l)
            self.assertIn(l["status"], LOG_STATUSES, l)
            parse_time(l["at"])


# --------------------------------------------------------------------------------------------
# 1. Pacing, and the answers of start; the test send. Deliveries, no faults, no replies.

class PacingTest(EngineCase):
    """--send-rate 2. Each test has its own account."""

    USERS = make_users(5, "7410")
    SEND_RATE = 2

    def test_pacing_keeps_every_gap_at_least_one_over_the_rate(self):
        """Five recipients and a nudge to each one second later: ten messages, and no two of them
        reach Telegram less than 1/rate apart (nudges count for the pacing too)."""
        token, contacts = self.account()
        c = self.create(token, message_text="Pacing check for {{first_name}}",
                        nudges=[{"after_seconds": 1, "condition": "no_reply",
                                 "message_text": "Pacing nudge for {{first_name}}"}])
        self.start(token, c["id"])
        self.wait_status(token, c["id"], "completed", 40)
        main, nudges = self.record("Pacing check"), self.record("Pacing nudge")
        ids = [u["id"] for u in self.USERS]
        self.assertEachOnce(main, ids, "(main pass)")
        self.assertEachOnce(nudges, ids, "(nudges)")
        times = sorted(r["at"] for r in main + nudges)
        gaps = [b - a for a, b in zip(times, times[1:])]
        min_gap = 1000 / self.SEND_RATE - 5
        self.assertTrue(all(g >= min_gap for g in gaps),
                        f"deliveries closer than {min_gap} ms at --send-rate {self.SEND_RATE}: gaps {gaps}")
        for r in main:
            u = next(u for u in self.USERS if u["id"] == r["user_id"])
            self.assertEqual(r["text"], f"Pacing check for {u['first_name']}")
        a = self.analytics(token, c["id"])
        self.assertEqual((a["audience"], a["sent"], a["failed"], a["pending"]), (5, 10, 0, 0), a)
        self.assertEqual(a["send_rate_per_min"], 120)
        logs = campaign_logs(self.srv, token, c["id"])
        self.assertLogShape(logs)
        self.assertEqual(sorted((l["step"], l["status"]) for l in logs), [(0, "sent")] * 5 + [(1, "sent")] * 5, logs)
        names = {c["id"]: c["first_name"] for c in contacts.values()}
        self.assertEqual([l["name"] for l in logs], [names[l["contact_id"]] for l in logs])

    def test_start_answers_409_when_it_cannot_start(self):
        token, _ = self.account()
        # Another campaign of the account is running.
        first = self.create(token, name="First", message_text="Conflict first {{first_name}}")
        second = self.create(token, name="Second", message_text="Conflict second {{first_name}}")
        self.start(token, first["id"])
        self.addCleanup(self.srv.post, f"/campaigns/{first['id']}/cancel", token=token)
        r = self.srv.post(f"/campaigns/{second['id']}/start", {"override_quiet_hours": False}, token=token)
        self.assertEqual(r.status, 409, r)
        self.assertEqual(r.json["error"]["code"], "campaign_running", r.json)
        self.assertEqual(r.json["error"]["running_campaign_id"], first["id"], r.json)
        self.assertIsInstance(r.json["error"].get("message"), str)
        self.assertEqual(self.campaign(token, second["id"])["status"], "draft")
        # The running one cannot be started again.
        r = self.srv.post(f"/campaigns/{first['id']}/start", {"override_quiet_hours": False}, token=token)
        self.assertEqual(r.status, 409, r)
        self.assertTrue(is_error_shape(r.json, "invalid_state"), r)
        # Cancelled: sending stops (at most the message already at Telegram lands), the other starts.
        r = self.srv.post(f"/campaigns/{first['id']}/cancel", token=token)
        self.assertEqual((r.status, r.json["status"]), (200, "cancelled"), r)
        at_cancel = len(self.record("Conflict first"))
        self.assertLess(at_cancel, len(self.USERS), "the campaign finished before the conflict was checked")
        r = self.srv.post(f"/campaigns/{second['id']}/start", {"override_quiet_hours": False}, token=token)
        self.assertEqual((r.status, r.json["status"]), (200, "running"), r)
        self.addCleanup(self.srv.post, f"/campaigns/{second['id']}/cancel", token=token)
        time.sleep(1.5)
        self.assertLessEqual(len(self.record("Conflict first")), at_cancel + 1, "a cancelled campaign kept sending")
        self.srv.post(f"/campaigns/{second['id']}/cancel", token=token)
        # An audience of nobody.
        empty = self.create(token, name="Nobody", message_text="Empty audience", filters={"min_orders": 5})
        r = self.srv.post(f"/campaigns/{empty['id']}/start", {"override_quiet_hours": False}, token=token)
        self.assertEqual(r.status, 409, r)
        self.assertTrue(is_error_shape(r.json, "empty_audience"), r)
        self.assertEqual(self.campaign(token, empty["id"])["status"], "draft")
        # No Telegram session.
        lone, _ = self.account(connect=False)
        c = self.create(lone, message_text="No session here")
        r = self.srv.post(f"/campaigns/{c['id']}/start", {"override_quiet_hours": False}, token=lone)
        self.assertEqual(r.status, 409, r)
        self.assertTrue(is_error_shape(r.json, "no_session"), r)
        self.assertEqual(self.campaign(lone, c["id"])["status"], "draft")
        self.assertEqual(self.record("Empty audience") + self.record("No session here"), [])

    def test_test_send_goes_to_saved_messages_only(self):
        token, _ = self.account()
        c = self.create(token, message_text="Saved messages check, <b>{{first_name|friend}}</b>")
        before = read_record(self.record_path)
        r = self.srv.post(f"/campaigns/{c['id']}/test", token=token)
        self.assertEqual(r.status, 200, r)
        self.assertEqual(set(r.json), {"status", "message_id"}, r.json)
        self.assertEqual(r.json["status"], "sent")
        self.assertIsInstance(r.json["message_id"], int)
        new = read_record(self.record_path)[len(before):]
        self.assertEqual(len(new), 1, new)
        self.assertEqual(new[0]["user_id"], ME_ID)
        self.assertEqual(new[0]["message_id"], r.json["message_id"])
        self.assertEqual(new[0]["text"], "Saved messages check, friend")
        self.assertEqual(new[0]["entities"], [{"type": "bold", "offset": 22, "length": 6}])
        # A test send is not a campaign send.
        self.assertEqual(self.campaign(token, c["id"])["status"], "draft")
        a = self.analytics(token, c["id"])
        self.assertEqual((a["sent"], a["failed"]), (0, 0), a)
        # Without a session: 409 no_session, nothing sent.
        lone, _ = self.account(connect=False)
        c2 = self.create(lone, message_text="Saved messages check without a session")
        r = self.srv.post(f"/campaigns/{c2['id']}/test", token=lone)
        self.assertEqual(r.status, 409, r)
        self.assertTrue(is_error_shape(r.json, "no_session"), r)
        self.assertEqual(len(read_record(self.record_path)), len(before) + 1)


    def test_test_send_during_a_campaign_keeps_the_pace(self):
        """A test send is a message of the same Telegram account: it counts for the pacing like
        every other (DESIGN §4: per Telegram account, measured from the previous send)."""
        token, _ = self.account()
        c = self.create(token, message_text="Pace with test {{first_name|friend}}")
        self.start(token, c["id"])
        self.assertTrue(wait_until(lambda: len(self.record("Pace with test")) >= 2, 20, step=0.01))
        r = self.srv.post(f"/campaigns/{c['id']}/test", token=token)
        self.assertEqual(r.status, 200, r)
        self.wait_status(token, c["id"], "completed", 30)
        lines = self.record("Pace with test")
        self.assertEqual(sum(1 for r in lines if r["user_id"] == ME_ID), 1, lines)
        self.assertEachOnce([r for r in lines if r["user_id"] != ME_ID], [u["id"] for u in self.USERS])
        times = [r["at"] for r in lines]
        gaps = [(b["at"] - a["at"], b["user_id"]) for a, b in zip(lines, lines[1:])]
        min_gap = 1000 / self.SEND_RATE - 5
        self.assertTrue(all(g >= min_gap for g, _ in gaps),
                        f"the account sent two messages closer than {min_gap} ms: (gap, to) {gaps}, at {times}")


# --------------------------------------------------------------------------------------------
# 2. What Telegram refuses: FloodWait, PEER_FLOOD, a dead session, a blocked user, a timeout.

class FloodWaitTest(EngineCase):
    """One campaign of six at --send-rate 5 meets FLOOD_WAIT 5 s at its third send; setUpClass runs
    it to the end, watching the analytics every quarter of a second, and the tests read what
    happened."""

    USERS = make_users(6, "7420")
    FAULTS = [{"on_send": 3, "error": "FLOOD_WAIT", "seconds": 5}]

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        try:
            cls.run_campaign()
        except BaseException:
            cls.tearDownClass()
            raise

    @classmethod
    def run_campaign(cls):
        helper = cls()  # the helpers, outside of a test
        token, cls.contacts = helper.account()
        c = helper.create(token, message_text="Flood check {{first_name}}")
        helper.start(token, c["id"])
        cls.samples = []  # (time, analytics) while it runs
        deadline = time.monotonic() + 40
        while time.monotonic() < deadline:
            a = helper.analytics(token, c["id"])
            cls.samples.append((time.time(), a))
            if a["status"] == "completed":
                break
            time.sleep(0.25)
        cls.final = helper.analytics(token, c["id"])
        cls.lines = helper.record("Flood check")
        cls.logs = campaign_logs(cls.srv, token, c["id"])

    def refused_at(self):
        flood = [l for l in self.logs if l["status"] == "flood_wait"]
        self.assertEqual(len(flood), 1, self.logs)
        self.assertEqual(flood[0]["error_code"], "FLOOD_WAIT", flood)
        return parse_time(flood[0]["at"])

    def test_flood_wait_pauses_the_account_then_resumes_by_itself(self):
        self.assertEqual(self.final["status"], "completed", self.final)
        lines = self.lines
        self.assertEachOnce(lines, [u["id"] for u in self.USERS])
        gap = (lines[2]["at"] - lines[1]["at"]) / 1000
        interval = 1 / self.SEND_RATE
        self.assertGreaterEqual(gap, 5.0, f"sent {gap:.3f} s after the 2nd message, inside a FloodWait of 5 s")
        self.assertLessEqual(gap, 6.5 + interval, f"resumed only {gap:.3f} s after the 2nd message")
        self.assertLogShape(self.logs)
        refused_at = self.refused_at()
        after = [r for r in lines if r["at"] / 1000 > refused_at - 0.05]
        self.assertEqual(len(after), 4, f"refused at {refused_at}: {lines}")
        self.assertGreaterEqual(after[0]["at"] / 1000 - refused_at, 5.0 - 0.002)
        self.assertLessEqual(after[0]["at"] / 1000 - refused_at, 6.5)
        self.assertEqual([l for l in self.logs if l["status"] in ("failed", "retry")], [], self.logs)
        a = self.final
        self.assertEqual((a["sent"], a["failed"], a["pending"], a["failures_by_reason"]), (6, 0, 0, {}), a)

    def test_analytics_show_until_when_the_account_waits(self):
        """API.md: the analytics carry flood_wait_until; during a 5 s FloodWait it says when
        sending resumes (and it is null again afterwards)."""
        refused_at = self.refused_at()
        during = [(t, a["flood_wait_until"]) for t, a in self.samples if refused_at + 0.3 < t < refused_at + 4.5]
        self.assertTrue(during, "no analytics sample fell inside the FloodWait")
        self.assertTrue(all(u for _, u in during), f"flood_wait_until during the FloodWait: {during}")
        for _, u in during:
            self.assertGreaterEqual(parse_time(u), refused_at + 5.0 - 0.01, during)
            self.assertLessEqual(parse_time(u), refused_at + 6.5, during)
        self.assertIsNone(self.final["flood_wait_until"], self.final)


class FloodWaitRestartTest(EngineCase):
    """A FloodWait binds the Telegram account, not the process: a server restarted during one must
    not send before it ends (DESIGN §4: the account sends nothing until now + n s)."""

    USERS = make_users(4, "7425")
    FAULTS = [{"on_send": 3, "error": "FLOOD_WAIT", "seconds": 5}]

    def test_restart_during_a_flood_wait_still_waits(self):
        token, _ = self.account()
        c, flood = self.start_into_flood_wait(token, "Flood restart check {{first_name}}")
        refused_at = parse_time(flood[0]["at"])
        self.srv.kill()
        old = self.srv
        self.srv = type(self).srv = self.new_server(data=old.data)
        old.cleanup()
        self.srv.start()
        self.wait_status(token, c["id"], "completed", 30)
        lines = self.record("Flood restart check")
        # (The new bridge counts send attempts from 1 again: with four recipients it meets no fault.)
        self.assertEachOnce(lines, [u["id"] for u in self.USERS])
        after = [r["at"] / 1000 - refused_at for r in lines if r["at"] / 1000 > refused_at - 0.05]
        self.assertEqual(len(after), 2, lines)
        self.assertGreaterEqual(min(after), 5.0 - 0.002,
                                f"after a restart the account sent {min(after):.3f} s into a FloodWait of 5 s")


class DirectAtShutdownTest(EngineCase):
    """A test message waits for its account's FloodWait like every message; a server stopped
    meanwhile answers it (telegram_unavailable) and exits, rather than waiting for it forever."""

    USERS = make_users(2, "7450")
    FAULTS = [{"on_send": 1, "error": "FLOOD_WAIT", "seconds": 300}]

    def test_a_test_message_waiting_at_shutdown_is_answered_and_the_server_exits(self):
        token, _ = self.account()
        c, _ = self.start_into_flood_wait(token, "Shutdown check {{first_name}}")
        answer = {}

        def ask():
            try:
                answer["r"] = self.srv.post(f"/campaigns/{c['id']}/test", token=token, timeout=90)
            except Exception as e:  # noqa: BLE001 (reported below)
                answer["error"] = repr(e)

        t = threading.Thread(target=ask)
        t.start()
        time.sleep(1.5)
        self.assertTrue(t.is_alive(), f"the test message did not wait for the FloodWait: {answer}")
        old = self.srv
        rc = old.stop(timeout=40)  # the graceful stop waits 10 s for requests, then the engine stops
        t.join(30)
        self.assertEqual(rc, 0, old.stderr_text()[-2000:])
        self.assertIn("r", answer, answer)
        self.assertEqual((answer["r"].status, answer["r"].json["error"]["code"]), (503, "telegram_unavailable"),
                         answer["r"])
        self.assertEqual(self.record("Shutdown check"), [], "sent during the FloodWait")
        self.srv = type(self).srv = self.new_server(data=old.data)  # tearDownClass stops this one
        old.cleanup()
        self.srv.start()


class PeerFloodTest(EngineCase):
    USERS = make_users(6, "7430")
    FAULTS = [{"on_send": 3, "error": "PEER_FLOOD"}]

    def test_peer_flood_pauses_the_campaign_until_resumed(self):
        token, contacts = self.account()
        c = self.create(token, message_text="Peer flood check {{first_name}}")
        self.start(token, c["id"])
        got = self.wait_status(token, c["id"], ("paused", "completed"), 20)
        self.assertEqual((got["status"], got["pause_reason"]), ("paused", "peer_flood"), got)
        self.assertEqual(len(self.record("Peer flood check")), 2)
        time.sleep(3)
        self.assertEqual(len(self.record("Peer flood check")), 2, "sent after PEER_FLOOD without a resume")
        got = self.campaign(token, c["id"])
        self.assertEqual((got["status"], got["pause_reason"]), ("paused", "peer_flood"), got)
        a = self.analytics(token, c["id"])
        self.assertEqual((a["status"], a["sent"], a["failed"], a["pending"]), ("paused", 2, 0, 4), a)
        logs = campaign_logs(self.srv, token, c["id"])
        self.assertLogShape(logs)
        self.assertTrue(any(l["error_code"] == "PEER_FLOOD" for l in logs), logs)
        self.assertEqual([l for l in logs if l["status"] == "failed"], [], logs)
        r = self.srv.post(f"/campaigns/{c['id']}/resume", token=token)
        self.assertEqual((r.status, r.json["status"], r.json["pause_reason"]), (200, "running", None), r)
        self.wait_status(token, c["id"], "completed", 20)
        self.assertEachOnce(self.record("Peer flood check"), [u["id"] for u in self.USERS])
        a = self.analytics(token, c["id"])
        self.assertEqual((a["sent"], a["failed"], a["pending"]), (6, 0, 0), a)
        self.assertIn("resumed", [l["status"] for l in campaign_logs(self.srv, token, c["id"])])


class SessionDeadTest(EngineCase):
    USERS = make_users(5, "7440")
    FAULTS = [{"on_send": 2, "error": "AUTH_KEY_UNREGISTERED"}]

    def test_dead_session_pauses_until_reconnected(self):
        token, _ = self.account()
        c = self.create(token, message_text="Dead session check {{first_name}}")
        self.start(token, c["id"])
        got = self.wait_status(token, c["id"], ("paused", "completed"), 20)
        self.assertEqual((got["status"], got["pause_reason"]), ("paused", "session_invalid"), got)
        r = self.srv.get("/session", token=token)
        self.assertEqual((r.status, r.json["status"]), (200, "invalid"), r)
        self.assertEqual(len(self.record("Dead session check")), 1)
        a = self.analytics(token, c["id"])
        self.assertEqual((a["sent"], a["failed"], a["pending"]), (1, 0, 4), a)
        # Resuming needs a session first.
        r = self.srv.post(f"/campaigns/{c['id']}/resume", token=token)
        self.assertEqual(r.status, 409, r)
        self.assertTrue(is_error_shape(r.json, "no_session"), r)
        time.sleep(1)
        self.assertEqual(len(self.record("Dead session check")), 1)
        # Reconnected, resumed: the rest arrive, each once.
        connect_telegram(self.srv, token, ME_PHONE, CODE)
        self.assertEqual(self.srv.get("/session", token=token).json["status"], "connected")
        r = self.srv.post(f"/campaigns/{c['id']}/resume", token=token)
        self.assertEqual((r.status, r.json["status"]), (200, "running"), r)
        self.wait_status(token, c["id"], "completed", 20)
        self.assertEachOnce(self.record("Dead session check"), [u["id"] for u in self.USERS])
        a = self.analytics(token, c["id"])
        self.assertEqual((a["sent"], a["failed"], a["pending"]), (5, 0, 0), a)


class LogoutMidCampaignTest(EngineCase):
    """A logout while a campaign runs, then a login again: the campaign's sends meanwhile find no
    client (NOT_STARTED) and ask for a start; a start must not take the login in progress (its
    pending session) for a session to start, or the code comes back "expired"."""

    USERS = make_users(30, "7445")
    SEND_RATE = 4

    def test_login_again_while_the_campaign_tries_to_send(self):
        token, _ = self.account()
        c = self.create(token, message_text="Logout check {{first_name}}")
        self.start(token, c["id"])
        self.assertTrue(wait_until(lambda: len(self.record("Logout check")) >= 1, 10))
        r = self.srv.request("DELETE", "/session", token=token)
        self.assertEqual(r.status, 204, r)
        r = self.srv.post("/session/connect", {"phone": ME_PHONE}, token=token)
        self.assertEqual(r.status, 200, r)
        time.sleep(3)  # the campaign's sends answered NOT_STARTED, each asking for a start
        r = self.srv.post("/session/verify", {"code": CODE}, token=token)
        self.assertEqual((r.status, (r.json or {}).get("status")), (200, "connected"), r)
        self.assertEqual(self.srv.get("/session", token=token).json["status"], "connected")
        self.wait_status(token, c["id"], "completed", 30)
        self.assertEachOnce(self.record("Logout check"), [u["id"] for u in self.USERS])


class SessionKeyInvalidTest(SessionDeadTest):
    """AUTH_KEY_INVALID is a dead session too (the Telegram error registry, src/core/tgerror.h;
    the bridge always said so, the engine failed the recipient for good): the same test — the
    refused recipient is still pending, and gets the message after the new login."""

    USERS = make_users(5, "7445")
    FAULTS = [{"on_send": 2, "error": "AUTH_KEY_INVALID"}]


class BlockedTest(EngineCase):
    USERS = make_users(5, "7450")
    USERS[2] = dict(USERS[2], error="USER_IS_BLOCKED")
    BLOCKED = USERS[2]["id"]

    def test_blocked_user_fails_with_the_reason_and_is_left_out_later(self):
        token, contacts = self.account()
        c = self.create(token, message_text="Blocked check {{first_name}}")
        self.start(token, c["id"])
        self.wait_status(token, c["id"], "completed", 20)
        others = [u["id"] for u in self.USERS if u["id"] != self.BLOCKED]
        self.assertEachOnce(self.record("Blocked check"), others)
        a = self.analytics(token, c["id"])
        self.assertEqual((a["audience"], a["sent"], a["failed"], a["pending"]), (5, 4, 1, 0), a)
        self.assertEqual(a["failures_by_reason"], {"USER_IS_BLOCKED": 1}, a)
        logs = campaign_logs(self.srv, token, c["id"])
        self.assertLogShape(logs)
        failed = [l for l in logs if l["status"] == "failed"]
        self.assertEqual([(l["contact_id"], l["error_code"]) for l in failed],
                         [(contacts[self.BLOCKED]["id"], "USER_IS_BLOCKED")], logs)
        # The next campaign leaves them out. With the default cap (2 days) the four just messaged are
        # held back by it too, and the audience says which reason holds whom.
        nxt = self.create(token, message_text="Blocked follow-up {{first_name}}")
        r = self.srv.get(f"/campaigns/{nxt['id']}/audience", token=token)
        self.assertEqual((r.json["count"], r.json["excluded"], r.json["frequency_cap_days"]),
                         (0, {"opted_out": 0, "blocked": 1, "frequency_cap": 4}, 2), r.json)
        # With the frequency cap off everyone else is in it.
        r = self.srv.request("PATCH", "/account", body={"frequency_cap_days": 0}, token=token)
        self.assertEqual(r.status, 200, r)
        r = self.srv.get(f"/campaigns/{nxt['id']}/audience", token=token)
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json["count"], 4, r.json)
        self.assertEqual((r.json["excluded"], r.json["cap_ends_at"]),
                         ({"opted_out": 0, "blocked": 1, "frequency_cap": 0}, None), r.json)
        self.assertNotIn(self.BLOCKED, [s["tg_user_id"] for s in r.json["sample"]])
        self.start(token, nxt["id"])
        self.wait_status(token, nxt["id"], "completed", 20)
        self.assertEachOnce(self.record("Blocked follow-up"), others)
        a = self.analytics(token, nxt["id"])
        self.assertEqual((a["audience"], a["sent"], a["failed"]), (4, 4, 0), a)


class TimeoutTest(EngineCase):
    USERS = make_users(4, "7460")
    FAULTS = [{"on_send": 2, "error": "TIMEOUT"}]

    def test_timed_out_send_is_retried_and_delivered_once(self):
        token, contacts = self.account()
        by_contact = {c["id"]: tg for tg, c in contacts.items()}
        c = self.create(token, message_text="Timeout check {{first_name}}")
        t0 = time.time()
        self.start(token, c["id"])
        self.wait_status(token, c["id"], "completed", 40)
        lines = self.record("Timeout check")
        self.assertEachOnce(lines, [u["id"] for u in self.USERS])
        logs = campaign_logs(self.srv, token, c["id"])
        self.assertLogShape(logs)
        retries = [l for l in logs if l["status"] == "retry"]
        self.assertEqual(len(retries), 1, logs)
        self.assertEqual(retries[0]["error_code"], "TIMEOUT", retries)
        who = by_contact[retries[0]["contact_id"]]
        mine = [r for r in lines if r["user_id"] == who]
        self.assertEqual(len(mine), 1)
        # The engine gave up after about 10 s and delivered it within about 20 s of the start.
        first = lines[0]["at"] / 1000
        gave_up = parse_time(retries[0]["at"])
        self.assertGreaterEqual(gave_up - first, 9.0, (first, retries))
        self.assertLessEqual(gave_up - first, 12.0, (first, retries))
        self.assertLessEqual(mine[0]["at"] / 1000 - t0, 20.0)
        self.assertGreaterEqual(mine[0]["at"] / 1000, gave_up)
        self.assertRegex(mine[0]["random_id"], r"^-?\d{1,19}$")
        a = self.analytics(token, c["id"])
        self.assertEqual((a["sent"], a["failed"], a["failures_by_reason"]), (4, 0, {}), a)
        self.assertEqual([l["status"] for l in logs].count("sent"), 4, logs)


# --------------------------------------------------------------------------------------------
# 3. Crashes: the server killed at random moments, the bridge killed mid-campaign.

class CrashTest(EngineCase):
    USERS = make_users(40, "7470")
    SEND_RATE = 10

    def test_server_killed_three_times_delivers_each_message_once(self):
        seed = int(os.environ.get("TGR_TEST_SEED") or time.time_ns() % 1000000)
        rng = random.Random(seed)
        note = f"(TGR_TEST_SEED={seed})"
        token, _ = self.account()
        c = self.create(token, message_text="Crash check {{first_name}}")
        self.start(token, c["id"])
        data = self.srv.data
        kills = []
        for k in range(3):
            base = len(self.record("Crash check"))
            # Sending has (re)started: at least one new message since the last restart.
            self.assertTrue(wait_until(lambda: len(self.record("Crash check")) > base, 20),
                            f"no delivery within 20 s after restart {k} {note}")
            if k == 1:
                # Right after Telegram took a message: the likeliest moment to lose its outcome.
                size = os.path.getsize(self.record_path)
                wait_until(lambda: os.path.getsize(self.record_path) > size, 5, step=0.001)
            else:
                time.sleep(rng.uniform(0.05, 0.9))
            self.srv.kill()
            n = len(self.record("Crash check"))
            kills.append(n)
            self.assertLess(n, len(self.USERS), f"the campaign finished before kill {k + 1} {note}")
            old = self.srv
            self.srv = type(self).srv = self.new_server(data=data)
            old.cleanup()
            self.srv.start()
        self.wait_status(token, c["id"], "completed", 60, note)
        lines = self.record("Crash check")
        self.assertEachOnce(lines, [u["id"] for u in self.USERS], f"after kills at {kills} deliveries {note}")
        a = self.analytics(token, c["id"])
        self.assertEqual((a["audience"], a["sent"], a["failed"], a["pending"]), (40, 40, 0, 0), f"{a} {note}")
        logs = campaign_logs(self.srv, token, c["id"])
        self.assertEqual([l["status"] for l in logs].count("sent"), 40, note)


class BatchCrashTest(EngineCase):
    """Group commit (DECISIONS 77): at --send-rate 10 a batch claims ten messages in one commit and
    the outcomes of sent ones wait for the next. The server ends itself (TGR_TEST_CRASH_AT=batch:4)
    just before the fourth message of a claimed batch goes to Telegram: three of it went out, their
    outcomes are not written, and the rest of it is claimed but was never sent. After a restart each
    of them arrives once, and nothing is lost."""

    USERS = make_users(25, "7480")
    SEND_RATE = 10
    _first = True

    @classmethod
    def new_server(cls, data=None):
        args = sim_args(cls.scenario_path) + ["--send-rate", str(cls.SEND_RATE)]
        env = {"TGR_TEST_MODE": "1", "TGR_TEST_CRASH_AT": "batch:4"} if cls._first else None
        cls._first = False
        return Server(data=data, args=args, env=env)

    def test_crash_between_group_committed_claims_and_their_sends_loses_and_doubles_nothing(self):
        token, _ = self.account()
        c = self.create(token, message_text="Batch crash check {{first_name}}")
        self.start(token, c["id"])
        rc = self.srv.wait(30)
        self.assertEqual(rc, 86, f"the server did not end at the test's crash point:\n{self.srv.stderr_tail()}")
        # At least the first three of the batch went out (more when a wake-up sent an earlier batch
        # back and the crash came in the next one: PostgreSQL's NOTIFY echoes the start's wake-up).
        before = self.record("Batch crash check")
        self.assertTrue(3 <= len(before) < len(self.USERS), f"deliveries before the crash: {before}")
        data = self.srv.data
        old = self.srv
        self.srv = type(self).srv = self.new_server(data=data)
        old.cleanup()
        self.srv.start()
        self.wait_status(token, c["id"], "completed", 60)
        lines = self.record("Batch crash check")
        self.assertEachOnce(lines, [u["id"] for u in self.USERS], "(after a crash inside a claimed batch)")
        a = self.analytics(token, c["id"])
        self.assertEqual((a["audience"], a["sent"], a["failed"], a["pending"]), (25, 25, 0, 0), a)
        logs = campaign_logs(self.srv, token, c["id"])
        self.assertEqual([l["status"] for l in logs].count("sent"), 25, logs)


class LeftSendingRowTest(EngineCase):
    """While an account sends, its batches read only pending rows: the engine holds every row it
    left 'sending' (DECISIONS 95). A row left 'sending' behind its back — what a path that failed
    to say so would leave, made here by an outside write to the database — still goes, once, when
    the pending rows run out, and the campaign completes instead of waiting for a wake-up."""

    USERS = make_users(24, "7490")
    SEND_RATE = 10

    def test_a_row_left_sending_goes_once_before_the_campaign_ends(self):
        token, _ = self.account()
        c = self.create(token, message_text="Left row check {{first_name}}")
        self.start(token, c["id"])
        self.assertTrue(wait_until(lambda: len(self.record("Left row check")) >= 12, 20),
                        "fewer than 12 deliveries in 20 s")
        (rid,), = tgrtest.db_ints(self.srv.data, f"SELECT MAX(id) FROM recipients WHERE campaign_id = {c['id']} "
                                                 "AND status = 'pending'")
        tgrtest.db_ints(self.srv.data, "UPDATE recipients SET status = 'sending', random_id = '4242424242', "
                                       f"attempt = 1 WHERE id = {rid} AND status = 'pending'")
        self.wait_status(token, c["id"], "completed", 20, "(a row left 'sending')")
        self.assertEachOnce(self.record("Left row check"), [u["id"] for u in self.USERS], "(a row left 'sending')")
        a = self.analytics(token, c["id"])
        self.assertEqual((a["audience"], a["sent"], a["pending"]), (24, 24, 0), a)


class BridgeCrashTest(EngineCase):
    USERS = make_users(12, "7480")

    def test_killed_bridge_is_replaced_and_each_message_arrives_once(self):
        token, _ = self.account()
        c = self.create(token, message_text="Bridge crash check {{first_name}}")
        pids = tgrtest.bridge_pids(self.srv)
        self.assertEqual(len(pids), 1, pids)
        self.start(token, c["id"])
        self.assertTrue(wait_until(lambda: len(self.record("Bridge crash check")) >= 3, 20))
        # Kill it right after Telegram took a message, before its answer is written down.
        size = os.path.getsize(self.record_path)
        wait_until(lambda: os.path.getsize(self.record_path) > size, 5, step=0.001)
        os.kill(pids[0], signal.SIGKILL)
        n = len(self.record("Bridge crash check"))
        self.assertLess(n, len(self.USERS))
        self.wait_status(token, c["id"], "completed", 60, f"(bridge killed after {n} deliveries)")
        self.assertEachOnce(self.record("Bridge crash check"), [u["id"] for u in self.USERS],
                            f"(bridge killed after {n} deliveries)")
        new = tgrtest.bridge_pids(self.srv)
        self.assertEqual(len(new), 1, new)
        self.assertNotEqual(new, pids)
        a = self.analytics(token, c["id"])
        self.assertEqual((a["sent"], a["failed"], a["pending"]), (12, 0, 0), a)


# --------------------------------------------------------------------------------------------
# 4. Quiet hours, tracked links and placeholders, the live log stream. No faults, no replies;
#    one user clicks the link of every message it gets.

class LiveTest(EngineCase):
    USERS = make_users(5, "7490")
    USERS[4] = dict(USERS[4], click_after_seconds=0.3)

    def test_quiet_hours_hold_messages_until_resumed_with_override(self):
        token, _ = self.account()
        t0 = time.time()
        c = self.create(token, message_text="Quiet check {{first_name}}", quiet_hours=quiet_around_now())
        self.start(token, c["id"])
        time.sleep(3)
        self.assertEqual(self.record("Quiet check"), [], "delivered inside quiet hours")
        self.assertEqual(self.campaign(token, c["id"])["status"], "running")
        a = self.analytics(token, c["id"])
        self.assertEqual((a["sent"], a["pending"]), (0, 5), a)
        self.assertIs(a["quiet_hours"]["active"], True, a)
        resumes = parse_time(a["quiet_hours"]["resumes_at"])
        self.assertGreaterEqual(resumes, t0 + 58 * 60, a["quiet_hours"])
        self.assertLessEqual(resumes, t0 + 61 * 60, a["quiet_hours"])
        logs = campaign_logs(self.srv, token, c["id"])
        self.assertLogShape(logs)
        self.assertEqual([l["status"] for l in logs], ["quiet_hours"], logs)
        r = self.srv.post(f"/campaigns/{c['id']}/pause", token=token)
        self.assertEqual((r.status, r.json["status"], r.json["pause_reason"]), (200, "paused", "manual"), r)
        r = self.srv.post(f"/campaigns/{c['id']}/resume", {"override_quiet_hours": True}, token=token)
        self.assertEqual((r.status, r.json["status"]), (200, "running"), r)
        self.wait_status(token, c["id"], "completed", 20)
        self.assertEachOnce(self.record("Quiet check"), [u["id"] for u in self.USERS])
        self.assertIs(self.analytics(token, c["id"])["quiet_hours"]["active"], False)

    def test_start_with_override_ignores_quiet_hours(self):
        token, _ = self.account()
        c = self.create(token, message_text="Quiet override check {{first_name}}", quiet_hours=quiet_around_now())
        self.start(token, c["id"], override=True)
        self.wait_status(token, c["id"], "completed", 20)
        self.assertEachOnce(self.record("Quiet override check"), [u["id"] for u in self.USERS])
        self.assertNotIn("quiet_hours", [l["status"] for l in campaign_logs(self.srv, token, c["id"])])

    def test_messages_are_personal_and_tracked_links_count_clicks(self):
        token, _ = self.account()
        c = self.create(token, message_text='Link check, {{first_name|friend}}: '
                                            '<a href="https://shop.example/sale?x=1">the sale</a>')
        self.start(token, c["id"])
        self.wait_status(token, c["id"], "completed", 20)
        lines = self.record("Link check")
        self.assertEachOnce(lines, [u["id"] for u in self.USERS])
        base = f"http://127.0.0.1:{self.srv.port}/t/"
        codes = {}
        for r in lines:
            u = next(u for u in self.USERS if u["id"] == r["user_id"])
            head = f"Link check, {u['first_name']}: "
            self.assertEqual(r["text"], head + "the sale")
            self.assertEqual(len(r["entities"]), 1, r)
            e = r["entities"][0]
            self.assertEqual((e["type"], e["offset"], e["length"]), ("text_url", len(head), 8), r)
            self.assertTrue(e["url"].startswith(base), e["url"])
            self.assertNotIn("shop.example", e["url"])
            codes[r["user_id"]] = e["url"][len(base) - len("/t/"):]
        self.assertEqual(len(set(codes.values())), len(codes), "two recipients share a tracking code")
        # The simulated user 4 clicks by itself; a person clicks user 0's link.
        r = self.srv.get(codes[self.USERS[0]["id"]], headers={"User-Agent": BROWSER_UA})
        self.assertEqual(r.status, 302, r)
        loc = r.header("Location")
        self.assertTrue(loc.startswith("https://shop.example/sale?x=1&tgr_ref="), loc)
        ok = wait_until(lambda: self.analytics(token, c["id"])["unique_clicks"] >= 2, 15)
        a = self.analytics(token, c["id"])
        self.assertTrue(ok, a)
        self.assertEqual((a["clicks"], a["unique_clicks"], a["sent"]), (2, 2, 5), a)
        self.assertAlmostEqual(a["ctr"], 0.4, places=3)

    def test_manual_pause_holds_sending_until_resumed(self):
        token, _ = self.account()
        c = self.create(token, message_text="Pause check {{first_name}}")
        self.start(token, c["id"])
        self.assertTrue(wait_until(lambda: len(self.record("Pause check")) >= 2, 20, step=0.01))
        r = self.srv.post(f"/campaigns/{c['id']}/pause", token=token)
        self.assertEqual((r.status, r.json["status"], r.json["pause_reason"]), (200, "paused", "manual"), r)
        n = len(self.record("Pause check"))
        self.assertLess(n, len(self.USERS), "finished before the pause")
        time.sleep(1.5)
        held = len(self.record("Pause check"))
        self.assertLessEqual(held, n + 1, "sent while paused (beyond the one message already on its way)")
        a = self.analytics(token, c["id"])
        self.assertEqual((a["status"], a["sent"], a["pending"]), ("paused", held, len(self.USERS) - held), a)
        r = self.srv.post(f"/campaigns/{c['id']}/resume", token=token)
        self.assertEqual((r.status, r.json["status"], r.json["pause_reason"]), (200, "running", None), r)
        self.wait_status(token, c["id"], "completed", 20)
        self.assertEachOnce(self.record("Pause check"), [u["id"] for u in self.USERS])
        statuses = [l["status"] for l in campaign_logs(self.srv, token, c["id"])]
        self.assertIn("paused", statuses)
        self.assertIn("resumed", statuses)
        self.assertLess(statuses.index("paused"), statuses.index("resumed"))

    def test_live_log_stream_carries_every_line_in_order_and_resumes(self):
        token, contacts = self.account()
        c = self.create(token, message_text="Stream check {{first_name}}")
        path = f"/campaigns/{c['id']}/logs"
        s = EventStream(self.srv, path, token=token)
        self.addCleanup(s.close)
        self.assertEqual(s.status, 200, s.body)
        self.assertTrue(s.headers.get("Content-Type", "").startswith("text/event-stream"), s.headers)
        self.start(token, c["id"])
        self.wait_status(token, c["id"], "completed", 20)
        logs = campaign_logs(self.srv, token, c["id"])
        self.assertGreaterEqual([l["status"] for l in logs].count("sent"), 5, logs)
        self.assertTrue(s.wait_for(lambda st: len(st.events) >= len(logs), 10),
                        f"the stream got {len(s.events)} of {len(logs)} log lines")
        time.sleep(0.5)
        evs = s.json_events()
        self.assertIsNone(s.error)
        self.assertEqual([e["_sse_id"] for e in evs], [str(l["id"]) for l in logs])
        self.assertEqual([{k: v for k, v in e.items() if k != "_sse_id"} for e in evs], logs)
        ids = [int(e["_sse_id"]) for e in evs]
        self.assertTrue(all(a < b for a, b in zip(ids, ids[1:])), ids)
        self.assertEqual(len(self.record("Stream check")), [l["status"] for l in logs].count("sent"))
        s.close()
        # Reconnecting with the id of the third line: exactly the lines after it.
        again = EventStream(self.srv, path, token=token, last_event_id=logs[2]["id"])
        self.addCleanup(again.close)
        self.assertEqual(again.status, 200, again.body)
        self.assertTrue(again.wait_for(lambda st: len(st.events) >= len(logs) - 3, 10), again.events)
        time.sleep(0.5)
        self.assertEqual([{k: v for k, v in e.items() if k != "_sse_id"} for e in again.json_events()], logs[3:])
        # The last id: nothing more (until something happens).
        last = EventStream(self.srv, path, token=token, last_event_id=logs[-1]["id"])
        self.addCleanup(last.close)
        time.sleep(1)
        self.assertEqual(last.events, [])
        # Another account's stream is a 404 like everything else of that campaign.
        other, _ = self.account(connect=False)
        s404 = EventStream(self.srv, path, token=other)
        self.assertEqual(s404.status, 404, s404.body)


# --------------------------------------------------------------------------------------------
# 5. Replies: nudges only to those who did not answer; "STOP" opts out.

class NudgeTest(EngineCase):
    USERS = make_users(5, "7500")
    for _u in (USERS[1], USERS[3]):
        _u["reply"] = {"after_seconds": 0.3, "text": "Thanks, interested!"}

    def test_nudge_goes_only_to_contacts_who_did_not_reply(self):
        token, _ = self.account()
        c = self.create(token, message_text="Nudge main check {{first_name}}",
                        nudges=[{"after_seconds": 3, "condition": "no_reply",
                                 "message_text": "Nudge step check {{first_name}}"}])
        self.start(token, c["id"])
        statuses = set()
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            st = self.campaign(token, c["id"])["status"]
            statuses.add(st)
            if st == "completed":
                break
            time.sleep(0.1)
        self.assertEqual(self.campaign(token, c["id"])["status"], "completed")
        self.assertIn("nudging", statuses, "the campaign never showed nudging between its main pass and nudges")
        main = self.record("Nudge main check")
        self.assertEachOnce(main, [u["id"] for u in self.USERS])
        silent = [u["id"] for u in self.USERS if "reply" not in u]
        nudges = self.record("Nudge step check")
        self.assertEachOnce(nudges, silent, "(nudges)")
        first = {r["user_id"]: r["at"] for r in main}
        for r in nudges:
            self.assertGreaterEqual(r["at"] - first[r["user_id"]], 3000, r)
        a = self.analytics(token, c["id"])
        self.assertEqual((a["replied"], a["sent"], a["failed"]), (2, 8, 0), a)
        self.assertEqual([(n["step"], n["sent"], n["scheduled"]) for n in a["nudges"]], [(1, len(nudges), 0)], a)

    def test_nudge_plan_can_be_replaced_while_running(self):
        token, _ = self.account()
        c = self.create(token, message_text="Replan main check {{first_name}}",
                        nudges=[{"after_seconds": 2, "condition": "no_reply",
                                 "message_text": "Replan old nudge {{first_name}}"}])
        self.start(token, c["id"])
        new = [{"after_seconds": 1, "condition": "no_reply", "message_text": "Replan new nudge {{first_name}}"}]
        r = self.srv.post(f"/campaigns/{c['id']}/nudge", {"nudges": new}, token=token)
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json["nudges"], new)
        self.wait_status(token, c["id"], "completed", 30)
        self.assertEqual(self.record("Replan old nudge"), [])
        self.assertEachOnce(self.record("Replan new nudge"), [u["id"] for u in self.USERS if "reply" not in u])


class StopTest(EngineCase):
    USERS = make_users(4, "7510")
    USERS[1] = dict(USERS[1], reply={"after_seconds": 0.3, "text": "STOP"})
    STOPPER = USERS[1]["id"]

    def test_stop_reply_opts_out_of_the_next_campaign(self):
        token, contacts = self.account()
        cid = contacts[self.STOPPER]["id"]
        self.assertIs(contacts[self.STOPPER]["opted_out"], False)
        c = self.create(token, message_text="Stop check {{first_name}}")
        self.start(token, c["id"])
        self.wait_status(token, c["id"], "completed", 20)
        self.assertEachOnce(self.record("Stop check"), [u["id"] for u in self.USERS])
        ok = wait_until(lambda: self.srv.get(f"/contacts/{cid}", token=token).json["opted_out"] is True, 10)
        self.assertTrue(ok, self.srv.get(f"/contacts/{cid}", token=token).json)
        others = [u["id"] for u in self.USERS if u["id"] != self.STOPPER]
        for tg in others:
            self.assertIs(self.srv.get(f"/contacts/{contacts[tg]['id']}", token=token).json["opted_out"], False)
        a = self.analytics(token, c["id"])
        self.assertEqual((a["opted_out"], a["replied"]), (1, 1), a)
        r = self.srv.request("PATCH", "/account", body={"frequency_cap_days": 0}, token=token)
        self.assertEqual(r.status, 200, r)
        nxt = self.create(token, message_text="Stop follow-up {{first_name}}")
        r = self.srv.get(f"/campaigns/{nxt['id']}/audience", token=token)
        self.assertEqual((r.status, r.json["count"]), (200, 3), r)
        self.assertNotIn(self.STOPPER, [s["tg_user_id"] for s in r.json["sample"]])
        self.start(token, nxt["id"])
        self.wait_status(token, nxt["id"], "completed", 20)
        self.assertEachOnce(self.record("Stop follow-up"), others)



class StopMidCampaignTest(EngineCase):
    """The last recipient of a slow campaign writes "STOP" before its turn comes."""

    USERS = make_users(6, "7520")
    STOPPER = USERS[5]["id"]
    INBOUND = [{"user": STOPPER, "text": "STOP", "after_seconds": 1.5}]
    SEND_RATE = 2

    def test_stop_during_a_campaign_spares_the_contact_its_pending_message(self):
        """DESIGN §4: a reply that says stop opts the contact out of everything, so the message
        still waiting for them in a running campaign is not sent."""
        token, contacts = self.account()
        c = self.create(token, message_text="Stop mid check {{first_name}}")
        r = self.srv.post(f"/campaigns/{c['id']}/start", {"override_quiet_hours": False}, token=token)
        self.assertEqual(r.status, 200, r)
        if self.analytics(token, c["id"])["audience"] != len(self.USERS):
            self.skipTest("the STOP arrived before the campaign started")
        cid = contacts[self.STOPPER]["id"]
        ok = wait_until(lambda: self.srv.get(f"/contacts/{cid}", token=token).json["opted_out"], 10, step=0.05)
        self.assertTrue(ok, "the STOP message did not opt the contact out within 10 s")
        if any(r["user_id"] == self.STOPPER for r in self.record("Stop mid check")):
            self.skipTest("the campaign reached the contact before its STOP arrived")
        self.wait_status(token, c["id"], "completed", 30)
        lines = self.record("Stop mid check")
        self.assertEachOnce(lines, [u["id"] for u in self.USERS if u["id"] != self.STOPPER],
                            "(the contact who wrote STOP mid-campaign must get nothing)")
        a = self.analytics(token, c["id"])
        self.assertEqual((a["sent"], a["pending"]), (5, 0), a)


if __name__ == "__main__":
    unittest.main(verbosity=2)
