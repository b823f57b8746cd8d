#!/usr/bin/env python3
"""test_schedule — saved segments and scheduled starts (issue 16; shared/API.md "Additions (second
round)": "Segments", "Scheduling"), through the real binary on the simulated Telegram.

Segments: create, list, read, change and delete, each with the number of people it reaches now;
another account's ids are not found; bad filters answer 400 naming the field; a campaign takes a
segment_id instead of filters (both: 400), shows the segment's filters until it starts and keeps
them after; a segment a draft or scheduled campaign names is not deleted (409).

Scheduling: schedule and unschedule with their 400s and 409s; a scheduled campaign starts at its
time (within a second) once — also across a restart, and, on PostgreSQL, with two instances
looking at it (and when the instance it was scheduled on is gone); one due while another
campaign of its account runs waits (`"waiting": "campaign_running"`) and starts when that one
ends. What Telegram received is read from the simulator's record, each campaign's text carrying a
marker of its own. Run: python3 tests/http/test_schedule.py (CTest sets TGR_BIN)."""
import os
import re
import sys
import time
import unittest
from datetime import datetime, timedelta, timezone

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tgrtest  # noqa: E402
import test_scaleout  # noqa: E402  (InstancesCase only)
import test_sending as ts  # noqa: E402  (scenario helpers only; its test classes are not run here)
from tgrtest import (connect_telegram, contacts_by_tg_id, is_error_shape, parse_time, read_record,  # noqa: E402
                     wait_until)

SEGMENT_KEYS = {"id", "name", "filters", "count", "created_at", "updated_at"}
STARTED_RE = re.compile(r"campaign (\d+) started at its scheduled time")


def iso(t):
    """Unix seconds as an RFC 3339 UTC time with milliseconds."""
    return datetime.fromtimestamp(t, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def old_users(n, prefix):
    """n customers whose last message is 40 days old."""
    users = ts.make_users(n, prefix)
    for u in users:
        u["messages"][0]["ago_seconds"] = 40 * 86400
    return users


def starts_logged(servers, cid):
    """How many times the servers' logs say campaign cid started at its scheduled time."""
    return sum(1 for s in servers for m in STARTED_RE.finditer(s.stderr_text()) if int(m.group(1)) == cid)


class ScheduleCase(ts.EngineCase):
    def segment(self, token, name, filters, status=201):
        r = self.srv.post("/segments", {"name": name, "filters": filters}, token=token)
        self.assertEqual(r.status, status, r)
        return r.json

    def schedule(self, token, cid, at, **extra):
        r = self.srv.post(f"/campaigns/{cid}/schedule", dict({"start_at": iso(at)}, **extra), token=token)
        self.assertEqual((r.status, r.json.get("status")), (200, "scheduled"), r)
        self.assertAlmostEqual(parse_time(r.json["start_at"]), round(at, 3), delta=0.002)
        return r.json

    def assertStartedOnTime(self, c, at, slack=1.0):
        started = parse_time(c["started_at"])
        self.assertLessEqual(abs(started - at), slack, f"started at {c['started_at']}, scheduled for {iso(at)}")


# --------------------------------------------------------------------------------------------
# Segments, and the answers of schedule and unschedule.

class SegmentsTest(ScheduleCase):
    """Four customers who wrote an hour ago and three who wrote 40 days ago."""

    USERS = ts.make_users(4, "9410") + old_users(3, "9420")

    def test_segments_round_trip_with_live_counts(self):
        token, _ = self.account()
        s = self.segment(token, "Recent", {"last_message_within_days": 30})
        self.assertEqual(set(s), SEGMENT_KEYS, s)
        self.assertEqual((s["name"], s["filters"], s["count"]), ("Recent", {"last_message_within_days": 30}, 4))
        everyone = self.segment(token, "Everyone", {})
        self.assertEqual(everyone["count"], 7)
        r = self.srv.get("/segments", token=token)
        self.assertEqual(r.status, 200, r)
        self.assertEqual(set(r.json), {"segments"})
        self.assertEqual([(x["id"], x["count"]) for x in r.json["segments"]], [(s["id"], 4), (everyone["id"], 7)])
        r = self.srv.get(f"/segments/{s['id']}", token=token)
        self.assertEqual((r.status, r.json), (200, s))

        # Renamed: the filters stay; new filters: the count follows them.
        r = self.srv.request("PATCH", f"/segments/{s['id']}", body={"name": "Recent buyers"}, token=token)
        self.assertEqual((r.status, r.json["name"], r.json["filters"], r.json["count"]),
                         (200, "Recent buyers", {"last_message_within_days": 30}, 4), r)
        r = self.srv.request("PATCH", f"/segments/{s['id']}", body={"filters": {"last_message_within_days": 60}},
                             token=token)
        self.assertEqual((r.status, r.json["name"], r.json["count"]), (200, "Recent buyers", 7), r)
        # The count is live: an opt-out or a cap shows at once (here: the frequency cap of a run).
        c = self.create(token, message_text="Segment count check {{first_name}}", segment_id=s["id"])
        self.start(token, c["id"])
        self.wait_status(token, c["id"], "completed", 30)
        self.assertEqual(self.srv.get(f"/segments/{s['id']}", token=token).json["count"], 0)

        r = self.srv.request("DELETE", f"/segments/{everyone['id']}", token=token)
        self.assertEqual(r.status, 204, r)
        r = self.srv.get(f"/segments/{everyone['id']}", token=token)
        self.assertTrue(r.status == 404 and is_error_shape(r.json, "not_found"), r)
        self.assertEqual([x["id"] for x in self.srv.get("/segments", token=token).json["segments"]], [s["id"]])

    def test_another_accounts_segments_are_not_found(self):
        mine, _ = self.account(connect=False)
        theirs, _ = self.account(connect=False)
        s = self.segment(mine, "Mine", {})
        for method, body in (("GET", None), ("PATCH", {"name": "Taken"}), ("DELETE", None)):
            r = self.srv.request(method, f"/segments/{s['id']}", body=body, token=theirs)
            self.assertTrue(r.status == 404 and is_error_shape(r.json, "not_found"), (method, r))
        self.assertEqual(self.srv.get("/segments", token=theirs).json, {"segments": []})
        r = self.srv.post("/campaigns", {"name": "X", "message_text": "Hi", "segment_id": s["id"]}, token=theirs)
        self.assertEqual((r.status, r.error_field), (400, "segment_id"), r)
        for path in ("/segments/0", "/segments/abc", "/segments/99999999"):
            self.assertEqual(self.srv.get(path, token=mine).status, 404, path)
        self.assertEqual(self.srv.get(f"/segments/{s['id']}", token=mine).json["name"], "Mine")

    def test_bad_input_names_the_field(self):
        token, _ = self.account(connect=False)
        other, _ = self.account(connect=False)
        theirs = self.srv.post("/campaigns", {"name": "Theirs", "message_text": "Hi"}, token=other).json
        cases = [
            ({"name": "x", "filters": {"min_orders": -1}}, "filters.min_orders"),
            ({"name": "x", "filters": {"categories": ["whale"]}}, "filters.categories"),
            ({"name": "x", "filters": {"min_orders": 3, "max_orders": 1}}, "filters.max_orders"),
            ({"name": "x", "filters": {"colour": "red"}}, "filters.colour"),
            ({"name": "x", "filters": {"clicked_campaign": theirs["id"]}}, "filters.clicked_campaign"),
            ({"name": "x", "filters": "recent"}, "filters"),
            ({"name": "x"}, "filters"),
            ({"filters": {}}, "name"),
            ({"name": "", "filters": {}}, "name"),
            ({"name": "two\nlines", "filters": {}}, "name"),
            ({"name": "x", "filters": {}, "colour": "red"}, "colour"),
        ]
        for body, field in cases:
            r = self.srv.post("/segments", body, token=token)
            self.assertEqual((r.status, r.error_code, r.error_field), (400, "validation_failed", field), (body, r))
        self.assertEqual(self.srv.get("/segments", token=token).json["segments"], [])
        s = self.segment(token, "Fine", {})
        r = self.srv.request("PATCH", f"/segments/{s['id']}", body={"filters": {"min_spent": "lots"}}, token=token)
        self.assertEqual((r.status, r.error_field), (400, "filters.min_spent"), r)

    def test_campaign_of_a_segment(self):
        token, _ = self.account()
        s = self.segment(token, "Recent", {"last_message_within_days": 30})
        r = self.srv.post("/campaigns", {"name": "Both", "message_text": "Hi", "segment_id": s["id"],
                                         "filters": {"min_orders": 1}}, token=token)
        self.assertEqual((r.status, r.error_field), (400, "segment_id"), r)
        c = self.create(token, message_text="Segment check {{first_name}}", segment_id=s["id"])
        self.assertEqual((c["segment_id"], c["filters"]), (s["id"], {"last_message_within_days": 30}), c)
        self.assertEqual(self.srv.get(f"/campaigns/{c['id']}/audience", token=token).json["count"], 4)
        # The campaign shows the segment as it is now.
        self.srv.request("PATCH", f"/segments/{s['id']}", body={"filters": {"last_message_within_days": 90}},
                         token=token)
        self.assertEqual(self.campaign(token, c["id"])["filters"], {"last_message_within_days": 90})
        self.assertEqual(self.srv.get(f"/campaigns/{c['id']}/audience", token=token).json["count"], 7)
        # Not deleted while a draft, then a scheduled campaign, names it.
        for _ in ("draft", "scheduled"):
            r = self.srv.request("DELETE", f"/segments/{s['id']}", token=token)
            self.assertTrue(r.status == 409 and is_error_shape(r.json, "invalid_state"), r)
            self.schedule(token, c["id"], time.time() + 3600)
        # Own filters instead: the segment is let go (and may be deleted).
        self.srv.post(f"/campaigns/{c['id']}/unschedule", {}, token=token)
        r = self.srv.request("PATCH", f"/campaigns/{c['id']}", body={"filters": {"min_orders": 1}}, token=token)
        self.assertEqual((r.status, r.json["segment_id"], r.json["filters"]), (200, None, {"min_orders": 1}), r)
        r = self.srv.request("PATCH", f"/campaigns/{c['id']}", body={"segment_id": s["id"]}, token=token)
        self.assertEqual((r.status, r.json["segment_id"]), (200, s["id"]), r)
        # Started, it keeps the segment's filters as they were; deleting the segment changes nothing.
        self.start(token, c["id"])
        r = self.srv.request("PATCH", f"/segments/{s['id']}", body={"filters": {"min_orders": 9}}, token=token)
        self.assertEqual(r.status, 200, r)
        self.assertEqual(self.campaign(token, c["id"])["filters"], {"last_message_within_days": 90})
        self.assertEqual(self.srv.request("DELETE", f"/segments/{s['id']}", token=token).status, 204)
        c = self.wait_status(token, c["id"], "completed", 30)
        self.assertEqual((c["segment_id"], c["filters"]), (None, {"last_message_within_days": 90}), c)
        ts.EngineCase.assertEachOnce(self, self.record("Segment check"), [u["id"] for u in self.USERS])

    def test_schedule_and_unschedule_answers(self):
        token, _ = self.account()
        c = self.create(token, message_text="Schedule answers")
        path = f"/campaigns/{c['id']}/schedule"
        now = time.time()
        for body, field in (({"start_at": iso(now - 60)}, "start_at"),
                            ({"start_at": iso(now + 366 * 86400)}, "start_at"),
                            ({"start_at": "tomorrow at ten"}, "start_at"),
                            ({"start_at": "2030-01-01"}, "start_at"),
                            ({}, "start_at"),
                            ({"start_at": iso(now + 60), "override_quiet_hours": "yes"}, "override_quiet_hours"),
                            ({"start_at": iso(now + 60), "when": "soon"}, "when")):
            r = self.srv.post(path, body, token=token)
            self.assertEqual((r.status, r.error_code, r.error_field), (400, "validation_failed", field), (body, r))
        self.assertEqual(self.campaign(token, c["id"])["status"], "draft")
        r = self.srv.post(f"/campaigns/{c['id']}/unschedule", {}, token=token)
        self.assertTrue(r.status == 409 and is_error_shape(r.json, "invalid_state"), r)

        at = now + 3600
        s = self.schedule(token, c["id"], at, override_quiet_hours=True)
        self.assertEqual((s["waiting"], s["started_at"]), (None, None), s)
        # Not edited, deleted or started by hand while scheduled; a new time is fine.
        r = self.srv.request("PATCH", f"/campaigns/{c['id']}", body={"name": "Edited"}, token=token)
        self.assertTrue(r.status == 409 and is_error_shape(r.json, "invalid_state"), r)
        self.assertEqual(self.srv.request("DELETE", f"/campaigns/{c['id']}", token=token).status, 409)
        r = self.srv.post(f"/campaigns/{c['id']}/start", {}, token=token)
        self.assertTrue(r.status == 409 and is_error_shape(r.json, "invalid_state"), r)
        self.schedule(token, c["id"], at + 60)
        # Another account's campaign is not found.
        stranger, _ = self.account(connect=False)
        for route in ("schedule", "unschedule"):
            r = self.srv.post(f"/campaigns/{c['id']}/{route}", {"start_at": iso(at)} if route == "schedule" else {},
                              token=stranger)
            self.assertTrue(r.status == 404 and is_error_shape(r.json, "not_found"), r)
        r = self.srv.post(f"/campaigns/{c['id']}/unschedule", {}, token=token)
        self.assertEqual((r.status, r.json["status"], r.json["start_at"]), (200, "draft", None), r)
        # Cancelled from scheduled; a running campaign is not scheduled.
        self.schedule(token, c["id"], at)
        r = self.srv.post(f"/campaigns/{c['id']}/cancel", {}, token=token)
        self.assertEqual((r.status, r.json["status"]), (200, "cancelled"), r)
        r = self.srv.post(path, {"start_at": iso(at)}, token=token)
        self.assertTrue(r.status == 409 and is_error_shape(r.json, "invalid_state"), r)
        time.sleep(0.2)
        self.assertEqual(self.record("Schedule answers"), [])


# --------------------------------------------------------------------------------------------
# Starts at their time: once, across a restart, behind a running campaign.

class ScheduledStartTest(ScheduleCase):
    USERS = ts.make_users(5, "9430")
    SEND_RATE = 10

    def test_starts_at_its_time_once_with_the_segment_as_it_is_then(self):
        token, _ = self.account()
        s = self.segment(token, "Nobody yet", {"min_orders": 1})
        c = self.create(token, message_text="On time check {{first_name}}", segment_id=s["id"])
        at = time.time() + 3
        self.schedule(token, c["id"], at)
        self.assertEqual(self.campaign(token, c["id"])["status"], "scheduled")
        r = self.srv.request("PATCH", f"/segments/{s['id']}", body={"filters": {}}, token=token)
        self.assertEqual((r.status, r.json["count"]), (200, 5), r)
        time.sleep(max(0.0, at - time.time() - 0.5))
        self.assertEqual(self.campaign(token, c["id"])["status"], "scheduled", "started early")
        got = self.wait_status(token, c["id"], ("running", "completed"), 10)
        self.assertStartedOnTime(got, at)
        done = self.wait_status(token, c["id"], "completed", 30)
        self.assertEqual(done["filters"], {})
        self.assertEachOnce(self.record("On time check"), [u["id"] for u in self.USERS])
        self.assertEqual(starts_logged([self.srv], c["id"]), 1)

    def test_a_start_that_cannot_happen_makes_a_draft_again(self):
        token, _ = self.account()
        c = self.create(token, message_text="Nobody check", filters={"min_orders": 3})
        self.schedule(token, c["id"], time.time() + 1)
        got = wait_until(lambda: self.campaign(token, c["id"])["status"] == "draft", 10)
        c2 = self.campaign(token, c["id"])
        self.assertTrue(got, c2)
        self.assertEqual((c2["pause_reason"], c2["start_at"], c2["started_at"]), ("empty_audience", None, None), c2)
        logs = tgrtest.campaign_logs(self.srv, token, c["id"])
        self.assertEqual([(l["status"], l["error_code"]) for l in logs], [("not_started", "empty_audience")], logs)

    def test_survives_a_restart_and_starts_once(self):
        """One campaign's time passes while the server is down: it starts as the server comes
        back. Another's comes after the restart: it starts at its time. Each once."""
        late, _ = self.account()
        ontime, _ = self.account()
        c_late = self.create(late, message_text="Restart late check {{first_name}}")
        c_on = self.create(ontime, message_text="Restart on time check {{first_name}}")
        now = time.time()
        self.schedule(late, c_late["id"], now + 2)
        at = now + 8
        self.schedule(ontime, c_on["id"], at)
        old = self.srv
        old.stop()
        time.sleep(max(0.0, now + 3 - time.time()))
        self.srv = type(self).srv = self.new_server(data=old.data)
        self.srv.start()
        ready = time.time()
        self.assertLess(ready, at - 1, "the restart took too long for this test")
        got = self.wait_status(late, c_late["id"], ("running", "completed"), 10)
        self.assertLessEqual(parse_time(got["started_at"]) - ready, 1.5, got)
        got = self.wait_status(ontime, c_on["id"], ("running", "completed"), 15)
        self.assertStartedOnTime(got, at)
        for token, c, marker in ((late, c_late, "Restart late check"), (ontime, c_on, "Restart on time check")):
            self.wait_status(token, c["id"], "completed", 30)
            self.assertEachOnce(self.record(marker), [u["id"] for u in self.USERS], marker)
            self.assertEqual((starts_logged([old], c["id"]), starts_logged([self.srv], c["id"])), (0, 1), marker)
        old.cleanup()

    def test_waits_behind_a_running_campaign(self):
        token, _ = self.account()
        r = self.srv.request("PATCH", "/account", body={"frequency_cap_days": 0}, token=token)
        self.assertEqual(r.status, 200, r)
        # The first runs, holding its messages in its quiet hours (now, for two hours).
        utc = datetime.now(timezone.utc)
        quiet = {"start": ts.hhmm(utc - timedelta(hours=1)), "end": ts.hhmm(utc + timedelta(hours=1)),
                 "timezone": "UTC"}
        first = self.create(token, name="First", message_text="Behind first {{first_name}}", quiet_hours=quiet)
        later = self.create(token, name="Later", message_text="Behind later {{first_name}}")
        self.start(token, first["id"])
        self.schedule(token, later["id"], time.time() + 1)
        self.assertIsNone(self.campaign(token, later["id"])["waiting"])
        ok = wait_until(lambda: self.campaign(token, later["id"])["waiting"] == "campaign_running", 5)
        c = self.campaign(token, later["id"])
        self.assertTrue(ok, c)
        self.assertEqual((c["status"], c["resumes_at"]), ("scheduled", None), c)
        time.sleep(1.5)
        self.assertEqual(self.campaign(token, later["id"])["status"], "scheduled", "started beside a running one")
        # The running one ends: the waiting one starts within a second or so.
        r = self.srv.post(f"/campaigns/{first['id']}/cancel", {}, token=token)
        ended = time.time()
        self.assertEqual(r.json["status"], "cancelled", r)
        c = self.wait_status(token, later["id"], ("running", "completed"), 5)
        self.assertIsNone(c["waiting"])
        self.assertLessEqual(parse_time(c["started_at"]) - ended, 1.5, c)
        self.wait_status(token, later["id"], "completed", 30)
        self.assertEachOnce(self.record("Behind later"), [u["id"] for u in self.USERS])
        self.assertEqual(self.record("Behind first"), [])


# --------------------------------------------------------------------------------------------
# Two instances on one PostgreSQL database.

@unittest.skipUnless(tgrtest.PG_ADMIN_URL, "several instances need PostgreSQL; runs as http.test_schedule.pg")
class TwoInstancesTest(test_scaleout.InstancesCase):
    USERS = ts.make_users(6, "9440")
    ARGS = ["--send-rate", "10", "--lease-seconds", "3"]

    def account(self, email):
        a, b = self.servers["a"], self.servers["b"]
        a.create_account(email, ts.PASSWORD)
        token = a.login(email, ts.PASSWORD)
        connect_telegram(a, token, ts.ME_PHONE, ts.CODE)
        self.assertTrue(wait_until(lambda: len(contacts_by_tg_id(b, token)) == len(self.USERS), 30))
        return token

    def delivered(self, marker):
        got = [r["user_id"] for r in read_record(self.record_path) if marker in (r.get("text") or "")]
        return sorted(got)

    def scheduled_on_a(self, token, marker, at):
        a = self.servers["a"]
        r = a.post("/campaigns", {"name": marker, "message_text": marker + " {{first_name}}"}, token=token)
        self.assertEqual(r.status, 201, r)
        cid = r.json["id"]
        r = a.post(f"/campaigns/{cid}/schedule", {"start_at": iso(at)}, token=token)
        self.assertEqual((r.status, r.json["status"]), (200, "scheduled"), r)
        return cid

    def wait_completed(self, server, token, cid, at):
        c = None
        ok = wait_until(lambda: server.get(f"/campaigns/{cid}", token=token).json["status"] == "completed", 40)
        c = server.get(f"/campaigns/{cid}", token=token).json
        logs = "".join(f"\n--- {name}:\n{s.stderr_text()[-4000:]}" for name, s in self.servers.items())
        self.assertTrue(ok, f"{c}{logs}")
        self.assertLessEqual(abs(parse_time(c["started_at"]) - at), 1.0, (c["started_at"], iso(at)))
        return c

    def test_two_instances_start_it_once(self):
        token = self.account("two@shop.test")
        at = time.time() + 4
        cid = self.scheduled_on_a(token, "Two instances check", at)
        self.wait_completed(self.servers["b"], token, cid, at)
        self.assertEqual(starts_logged(self.servers.values(), cid), 1)
        self.assertEqual(self.delivered("Two instances check"), sorted(u["id"] for u in self.USERS))

    def test_the_other_instance_starts_it_when_the_first_is_gone(self):
        token = self.account("gone@shop.test")
        at = time.time() + 4
        cid = self.scheduled_on_a(token, "Gone instance check", at)
        self.servers["a"].kill()
        self.wait_completed(self.servers["b"], token, cid, at)
        self.assertEqual(starts_logged([self.servers["b"]], cid), 1)
        self.assertEqual(self.delivered("Gone instance check"), sorted(u["id"] for u in self.USERS))


if __name__ == "__main__":
    unittest.main(verbosity=2)
