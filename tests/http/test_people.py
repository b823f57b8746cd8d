#!/usr/bin/env python3
"""test_people — HTTP scenario tests of issue 16's server side (shared/API.md "Additions (second
round)": "Results per person", "Opt-outs"): a campaign's recipients with what each person did
(GET /campaigns/:id/recipients: its fields, filters, totals and paging), the CSV exports
(recipients.csv and contacts.csv: RFC 4180 read back by Python's csv module, the header row, the
formula guard, names with commas, quotes and line breaks), a contact's timeline (its order and
types, paging), opting a person out and back in by hand (the reason, the audit line, the
opted_out filter), and every route's refusals: another account's ids are 404, bad filters are 400
naming the field.

One server on its own simulated Telegram: one campaign with a nudge goes to twelve customers, one
of whom blocked the shop; the simulator reads, clicks and replies for some; an order arrives by
the webhook. Run: python3 tests/http/test_people.py (CTest sets TGR_BIN).
"""
import csv
import io
import os
import shutil
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tgrtest  # noqa: E402
from tgrtest import (contacts_by_tg_id, connect_telegram, is_error_shape, parse_time, sim_args,  # noqa: E402
                     stop_and_scan, wait_until, write_scenario)

PASSWORD = "correct horse battery staple 42"
CODE = "80417"
ME_ID = "7999"
ME_PHONE = "+15550007999"
RESULT_FIELDS = ["contact_id", "first_name", "last_name", "username", "step", "status", "error_code", "sent_at",
                 "read_at", "replied_at", "clicked_at", "clicks", "orders", "revenue", "opted_out"]
TIMELINE_TYPES = {"message_in", "message_out", "campaign_sent", "campaign_failed", "read", "replied", "clicked",
                  "order", "refund", "opted_out", "opted_in", "category_changed"}
# A name that a hand-written CSV writer gets wrong, and cells a spreadsheet would run.
TRICKY_FIRST = 'Zoë "Zee", the\nSecond'
FORMULA_LAST = '=HYPERLINK("http://evil.example","x")'
REASON_OUT = "asked on the phone to stop, 12 May"


def users():
    out = []
    for i in range(12):
        out.append({"id": f"81{i:02d}", "access_hash": str(81000 + i), "first_name": f"Person{i:02d}",
                    "last_name": "Tester", "username": f"person_{i:02d}",
                    "messages": [{"text": f"hello, question {i} about the shop", "ago_seconds": 7200 + i}]})
    out[0].update(first_name="Ada", read_after_seconds=0.2, click_after_seconds=0.3,
                  reply={"after_seconds": 0.3, "text": "Thanks, I am interested"})
    out[1].update(error="USER_IS_BLOCKED")
    out[2].update(first_name=TRICKY_FIRST, last_name=FORMULA_LAST, username="+tricky")
    out[3].update(read_after_seconds=0.2)
    return out


USERS = users()


class PeopleTest(tgrtest.ServerCase):
    @classmethod
    def setUpClass(cls):
        cls.work = tempfile.mkdtemp(prefix="tgrtest-people-")
        path = write_scenario(cls.work, {
            "me": {"id": ME_ID, "first_name": "People Shop", "username": "people_shop", "phone": ME_PHONE},
            "login": {"code": CODE}, "users": USERS, "faults": [], "inbound": [], "record": "deliveries.jsonl"})
        cls.SERVER_ARGS = sim_args(path) + ["--send-rate", "20"]
        try:
            super().setUpClass()
        except BaseException:
            shutil.rmtree(cls.work, ignore_errors=True)
            raise
        try:
            cls.prepare()
        except BaseException:
            cls.srv.cleanup()
            shutil.rmtree(cls.work, ignore_errors=True)
            raise

    @classmethod
    def tearDownClass(cls):
        stop_and_scan(cls, {REASON_OUT})  # the reason is sealed, and never logged

    @classmethod
    def check(cls, cond, what):
        if not cond:
            raise AssertionError(what)

    @classmethod
    def prepare(cls):
        srv = cls.srv
        cls.key = srv.create_account("people@shop.test", PASSWORD)
        cls.token = srv.login("people@shop.test", PASSWORD)
        srv.create_account("other@shop.test", PASSWORD)
        cls.other = srv.login("other@shop.test", PASSWORD)
        connect_telegram(srv, cls.token, ME_PHONE, CODE)
        want = {u["id"] for u in USERS}
        cls.check(wait_until(lambda: want <= set(contacts_by_tg_id(srv, cls.token)), 20), "contacts not synced")
        cls.contacts = contacts_by_tg_id(srv, cls.token)
        r = srv.post("/campaigns", {"name": "People campaign",
                                    "message_text": 'People check <a href="https://shop.example/sale">sale</a>',
                                    "nudges": [{"after_seconds": 2, "condition": "no_reply",
                                                "message_text": "People nudge"}]}, token=cls.token)
        cls.check(r.status == 201, f"create: {r!r}")
        cls.cid = r.json["id"]
        # A draft of its own (no rows) and another campaign of the other account.
        cls.draft = srv.post("/campaigns", {"name": "Draft", "message_text": "x"}, token=cls.token).json["id"]
        cls.foreign = srv.post("/campaigns", {"name": "Theirs", "message_text": "x"}, token=cls.other).json["id"]
        r = srv.post(f"/campaigns/{cls.cid}/start", {"override_quiet_hours": True}, token=cls.token)
        cls.check(r.status == 200, f"start: {r!r}")
        cls.check(wait_until(lambda: cls.get(f"/campaigns/{cls.cid}")["status"] == "completed", 40, step=0.2),
                  f"not completed: {cls.get(f'/campaigns/{cls.cid}/analytics')}")
        cls.check(wait_until(lambda: cls.get(f"/campaigns/{cls.cid}/analytics")["unique_clicks"] >= 1, 15),
                  "the simulated click did not arrive")
        ada = USERS[0]["id"]
        r = srv.post("/webhooks/orders", {"order_id": "PEOPLE-1", "amount": 2599, "currency": "EUR",
                                          "status": "paid", "customer": {"telegram_user_id": ada}},
                     api_key=cls.key)
        cls.check(r.status == 202 and r.json["attributed_campaign_id"] == cls.cid, f"order: {r!r}")
        time.sleep(0.4)  # clicks are written in batches
        cls.all = cls.get(f"/campaigns/{cls.cid}/recipients?limit=500")

    @classmethod
    def get(cls, path, token=None):
        r = cls.srv.get(path, token=token or cls.token)
        cls.check(r.status == 200, f"GET {path}: {r!r}")
        return r.json

    def assertError(self, r, status, code=None, field=None):
        self.assertEqual(r.status, status, r)
        self.assertTrue(is_error_shape(r.json, code), r)
        if field is not None:
            self.assertEqual(r.json["error"].get("field"), field, r)

    def by_contact(self, rows, tg_id, step=0):
        cid = self.contacts[tg_id]["id"]
        return next(x for x in rows if x["contact_id"] == cid and x["step"] == step)

    def pages(self, path, limit, token=None):
        """Every row of a recipients query, following next_after; the pages' totals."""
        rows, totals, after = [], set(), None
        for _ in range(200):
            sep = "&" if "?" in path else "?"
            q = f"{path}{sep}limit={limit}" + (f"&after={after}" if after is not None else "")
            page = self.get(q, token)
            self.assertLessEqual(len(page["recipients"]), limit)
            rows += page["recipients"]
            totals.add(page["total"])
            after = page["next_after"]
            if after is None:
                return rows, totals
        self.fail("paging did not end")

    # --- results per person ----------------------------------------------------------------------

    def test_recipients_fields_and_what_each_person_did(self):
        rows = self.all["recipients"]
        self.assertIsNone(self.all["next_after"])
        self.assertEqual(self.all["total"], len(rows))
        for x in rows:
            self.assertEqual(list(x), RESULT_FIELDS, x)
            self.assertIn(x["status"], {"pending", "sent", "failed", "skipped", "cancelled"})
        a = self.get(f"/campaigns/{self.cid}/analytics")
        self.assertEqual(len([x for x in rows if x["step"] == 0]), a["audience"])
        # 12 first messages (one failed), a nudge to each of the 11 who got one: sent to the 10 who
        # did not reply, skipped for the one who did
        self.assertEqual(len(rows), 12 + 11, rows)
        ada = self.by_contact(rows, USERS[0]["id"])
        self.assertEqual((ada["first_name"], ada["last_name"], ada["username"]), ("Ada", "Tester", "person_00"))
        self.assertEqual((ada["status"], ada["error_code"], ada["opted_out"]), ("sent", None, False))
        for k in ("sent_at", "read_at", "replied_at", "clicked_at"):
            self.assertIsNotNone(ada[k], k)
            parse_time(ada[k])
        self.assertGreaterEqual(ada["clicks"], 1)
        self.assertEqual((ada["orders"], ada["revenue"]), (1, 2599))
        self.assertEqual(self.by_contact(rows, USERS[0]["id"], step=1)["status"], "skipped")  # replied
        blocked = self.by_contact(rows, USERS[1]["id"])
        self.assertEqual((blocked["status"], blocked["error_code"], blocked["sent_at"]),
                         ("failed", "USER_IS_BLOCKED", None))
        reader = self.by_contact(rows, USERS[3]["id"])
        self.assertIsNotNone(reader["read_at"])
        self.assertIsNone(reader["replied_at"])
        nudge = self.by_contact(rows, USERS[3]["id"], step=1)
        self.assertEqual((nudge["status"], nudge["clicks"], nudge["orders"]), ("sent", 0, 0))
        tricky = self.by_contact(rows, USERS[2]["id"])
        self.assertEqual((tricky["first_name"], tricky["last_name"]), (TRICKY_FIRST, FORMULA_LAST))
        # (step, id) order: the first messages, then the nudges
        steps = [x["step"] for x in rows]
        self.assertEqual(steps, sorted(steps))
        # a draft has no rows
        self.assertEqual(self.get(f"/campaigns/{self.draft}/recipients"),
                         {"recipients": [], "next_after": None, "total": 0})

    def test_paging_covers_every_row_exactly_once(self):
        want = [(x["contact_id"], x["step"]) for x in self.all["recipients"]]
        for limit in (1, 3, 7, 500):
            rows, totals = self.pages(f"/campaigns/{self.cid}/recipients", limit)
            got = [(x["contact_id"], x["step"]) for x in rows]
            self.assertEqual(got, want, f"limit {limit}")
            self.assertEqual(totals, {len(want)}, f"limit {limit}")
        # the filters: each page's total is the filter's row count, and the rows are exactly those
        for q, keep in (("status=sent", lambda x: x["status"] == "sent"),
                        ("status=failed", lambda x: x["status"] == "failed"),
                        ("status=pending", lambda x: x["status"] == "pending"),
                        ("status=cancelled", lambda x: False),
                        ("status=skipped", lambda x: x["status"] == "skipped"),
                        ("step=1", lambda x: x["step"] == 1),
                        ("step=0&status=failed", lambda x: x["step"] == 0 and x["status"] == "failed"),
                        ("step=1&status=sent", lambda x: x["step"] == 1 and x["status"] == "sent"),
                        ("step=5", lambda x: False)):
            want_q = [(x["contact_id"], x["step"]) for x in self.all["recipients"] if keep(x)]
            rows, totals = self.pages(f"/campaigns/{self.cid}/recipients?{q}", 4)
            self.assertEqual([(x["contact_id"], x["step"]) for x in rows], want_q, q)
            self.assertEqual(totals, {len(want_q)}, q)
        self.assertEqual(len([x for x in self.all["recipients"] if x["status"] == "failed"]), 1)

    def test_bad_filters_are_400_naming_the_field(self):
        base = f"/campaigns/{self.cid}/recipients"
        for path in (base, base + ".csv"):
            for q, field in (("status=sending", "status"), ("status=SENT", "status"), ("step=-1", "step"),
                             ("step=x", "step"), ("step=1001", "step")):
                self.assertError(self.srv.get(f"{path}?{q}", token=self.token), 400, "invalid_query", field)
        for q, field in (("limit=0", "limit"), ("limit=501", "limit"), ("limit=x", "limit"), ("after=-1", "after"),
                         ("after=x", "after")):
            self.assertError(self.srv.get(f"{base}?{q}", token=self.token), 400, "invalid_query", field)
        # an after that is no row of this campaign, or of another step than asked for
        page = self.get(f"{base}?step=1&limit=1")
        self.assertIsNotNone(page["next_after"])
        self.assertError(self.srv.get(f"{base}?step=0&after={page['next_after']}", token=self.token), 400,
                         "invalid_query", "after")
        self.assertError(self.srv.get(f"/campaigns/{self.draft}/recipients?after={page['next_after']}",
                                      token=self.token), 400, "invalid_query", "after")
        for path in ("/contacts", "/contacts.csv"):
            for q, field in (("opted_out=maybe", "opted_out"), ("opted_out=1", "opted_out"),
                             ("category=vip", "category"), ("q=" + "x" * 101, "q")):
                self.assertError(self.srv.get(f"{path}?{q}", token=self.token), 400, "invalid_query", field)
        cid = self.contacts[USERS[3]["id"]]["id"]
        for q, field in (("after=1.2", "after"), ("after=abc", "after"), ("after=1.2.3.4", "after"),
                         ("limit=0", "limit"), ("limit=501", "limit")):
            self.assertError(self.srv.get(f"/contacts/{cid}/timeline?{q}", token=self.token), 400,
                             "invalid_query", field)

    def test_another_accounts_ids_are_404(self):
        cid = self.contacts[USERS[4]["id"]]["id"]
        for path in (f"/campaigns/{self.cid}/recipients", f"/campaigns/{self.cid}/recipients.csv",
                     f"/contacts/{cid}/timeline"):
            self.assertError(self.srv.get(path, token=self.other), 404, "not_found")
        for path in (f"/campaigns/{self.foreign}/recipients", f"/campaigns/{self.foreign}/recipients.csv",
                     "/campaigns/999999/recipients", "/campaigns/abc/recipients.csv", "/contacts/999999/timeline",
                     "/contacts/x/timeline"):
            self.assertError(self.srv.get(path, token=self.token), 404, "not_found")
        r = self.srv.post(f"/contacts/{cid}/opt-out", {"reason": "not yours"}, token=self.other)
        self.assertError(r, 404, "not_found")
        r = self.srv.request("DELETE", f"/contacts/{cid}/opt-out", body={"reason": "not yours"}, token=self.other)
        self.assertError(r, 404, "not_found")
        self.assertIs(self.srv.get(f"/contacts/{cid}", token=self.token).json["opted_out"], False)
        # the other account's CSV holds only its own (no) contacts
        r = self.srv.get("/contacts.csv", token=self.other)
        self.assertEqual(r.status, 200, r)
        self.assertEqual(len(list(csv.reader(io.StringIO(r.body.decode("utf-8"), newline="")))), 1)

    # --- CSV ------------------------------------------------------------------------------------

    def read_csv(self, path, token=None, api_key=None):
        r = self.srv.get(path, token=None if api_key else (token or self.token), api_key=api_key)
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.header("Content-Type"), "text/csv; charset=utf-8")
        self.assertIn("attachment; filename=", r.header("Content-Disposition") or "")
        text = r.body.decode("utf-8")
        self.assertTrue(text.endswith("\r\n"), text[-20:])
        return list(csv.reader(io.StringIO(text, newline="")))

    def test_recipients_csv_is_the_json_as_rfc4180(self):
        rows = self.read_csv(f"/campaigns/{self.cid}/recipients.csv", api_key=self.key)
        self.assertEqual(rows[0], RESULT_FIELDS)
        body = [dict(zip(rows[0], r)) for r in rows[1:]]
        self.assertEqual(len(body), self.all["total"])

        def cell(v):
            if v is None:
                return ""
            if isinstance(v, bool):
                return "true" if v else "false"
            v = str(v)
            return "'" + v if v[:1] in ("=", "+", "-", "@", "\t", "\r") else v
        for j, c in zip(self.all["recipients"], body):
            self.assertEqual(c, {k: cell(j[k]) for k in RESULT_FIELDS})
        tricky = next(c for c in body if c["contact_id"] == str(self.contacts[USERS[2]["id"]]["id"]))
        self.assertEqual(tricky["first_name"], TRICKY_FIRST)  # comma, quote and line break round-trip
        self.assertEqual(tricky["last_name"], "'" + FORMULA_LAST)  # a formula is shown, not run
        self.assertEqual(tricky["username"], "'+tricky")
        failed = self.read_csv(f"/campaigns/{self.cid}/recipients.csv?status=failed")
        self.assertEqual(len(failed), 2)
        self.assertEqual(dict(zip(failed[0], failed[1]))["error_code"], "USER_IS_BLOCKED")
        self.assertEqual(len(self.read_csv(f"/campaigns/{self.cid}/recipients.csv?step=1")), 1 + 11)
        self.assertEqual(self.read_csv(f"/campaigns/{self.draft}/recipients.csv"), [RESULT_FIELDS])

    def test_contacts_csv_has_every_contact_of_the_filter(self):
        listing = self.get("/contacts?limit=1000")["contacts"]
        rows = self.read_csv("/contacts.csv")
        self.assertEqual(rows[0], list(listing[0]))  # the JSON's field names, in order
        body = [dict(zip(rows[0], r)) for r in rows[1:]]
        self.assertEqual([c["id"] for c in body], [str(c["id"]) for c in listing])
        tricky = next(c for c in body if c["tg_user_id"] == USERS[2]["id"])
        self.assertEqual((tricky["first_name"], tricky["last_name"]), (TRICKY_FIRST, "'" + FORMULA_LAST))
        q = self.read_csv("/contacts.csv?q=ada")
        self.assertEqual([r[1] for r in q[1:]], [USERS[0]["id"]])
        self.assertEqual(len(self.read_csv("/contacts.csv?category=refund_risk")), 1)

    # --- opt-outs and the timeline --------------------------------------------------------------

    def test_opt_out_by_hand_and_back_in(self):
        who = self.contacts[USERS[5]["id"]]["id"]
        aud = self.srv.post("/campaigns", {"name": "Audience", "message_text": "x"}, token=self.token).json["id"]
        self.srv.request("PATCH", "/account", body={"frequency_cap_days": 0}, token=self.token)
        before = self.get(f"/campaigns/{aud}/audience")["count"]
        r = self.srv.post(f"/contacts/{who}/opt-out", {"reason": REASON_OUT}, token=self.token)
        self.assertEqual(r.status, 200, r)
        self.assertEqual((r.json["id"], r.json["opted_out"]), (who, True))
        self.assertEqual(self.get(f"/campaigns/{aud}/audience")["count"], before - 1)
        again = self.srv.post(f"/contacts/{who}/opt-out", token=self.token)  # no body, no reason
        self.assertEqual((again.status, again.json["opted_out"]), (200, True))
        out = [c["id"] for c in self.get("/contacts?opted_out=true&limit=1000")["contacts"]]
        kept = [c["id"] for c in self.get("/contacts?opted_out=false&limit=1000")["contacts"]]
        self.assertIn(who, out)
        self.assertNotIn(who, kept)
        self.assertEqual(len(out) + len(kept), len(self.contacts))
        self.assertIn(str(who), [r[0] for r in self.read_csv("/contacts.csv?opted_out=true")[1:]])
        # back in: a reason is required
        for body in (None, {}, {"reason": ""}, {"reason": "   "}, {"reason": None}):
            r = self.srv.request("DELETE", f"/contacts/{who}/opt-out", body=body, token=self.token)
            self.assertError(r, 400, None, "reason")
        r = self.srv.request("DELETE", f"/contacts/{who}/opt-out", body={"reason": "x", "why": 1}, token=self.token)
        self.assertError(r, 400)
        r = self.srv.post(f"/contacts/{who}/opt-out", {"reason": 5}, token=self.token)
        self.assertError(r, 400, None, "reason")
        r = self.srv.request("DELETE", f"/contacts/{who}/opt-out", body={"reason": "wants the offers again"},
                             api_key=self.key)
        self.assertEqual((r.status, r.json["opted_out"]), (200, False), r)
        self.assertEqual(self.get(f"/campaigns/{aud}/audience")["count"], before)
        # the audit lines, newest first, with who and why
        events = [e for e in self.get(f"/contacts/{who}/timeline")["events"] if e["type"] in ("opted_out", "opted_in")]
        self.assertEqual([(e["type"], e["text"], e["details"]["actor"], e["details"]["source"]) for e in events],
                         [("opted_in", "wants the offers again", "api_key", "api"),
                          ("opted_out", REASON_OUT, "user", "api")])

    def test_timeline_order_types_and_paging(self):
        who = self.contacts[USERS[0]["id"]]["id"]
        page = self.get(f"/contacts/{who}/timeline?limit=500")
        self.assertIsNone(page["next_after"])
        events = page["events"]
        for e in events:
            self.assertEqual(set(e), {"at", "type", "campaign_id", "text", "details"}, e)
            self.assertIn(e["type"], TIMELINE_TYPES)
        at = [parse_time(e["at"]) for e in events]
        self.assertEqual(at, sorted(at, reverse=True), "not newest first")
        types = [e["type"] for e in events]
        for t in ("message_in", "campaign_sent", "read", "replied", "clicked", "order", "category_changed"):
            self.assertIn(t, types)
        # the history's message (two hours old) is the oldest, and the reply the other message (its
        # time is Telegram's, in whole seconds); classified when the history was imported, and again
        # when the order came
        self.assertEqual((types[-1], events[-1]["text"]), ("message_in", "hello, question 0 about the shop"))
        self.assertEqual(types.count("message_in"), 2)
        self.assertEqual([e["text"] for e in events if e["type"] == "category_changed"], ["buyer", "browser"])
        texts = {e["type"]: e["text"] for e in events}
        self.assertEqual(texts["campaign_sent"], "People campaign")
        self.assertEqual(texts["clicked"], "https://shop.example/sale")
        self.assertEqual(texts["order"], "PEOPLE-1")
        self.assertIn("Thanks, I am interested", [e["text"] for e in events if e["type"] == "message_in"])
        for e in events:
            if e["type"] in ("campaign_sent", "read", "replied", "clicked", "order"):
                self.assertEqual(e["campaign_id"], self.cid, e)
        order = next(e for e in events if e["type"] == "order")
        self.assertEqual((order["details"]["amount"], order["details"]["currency"]), (2599, "EUR"))
        # pages of 2 are the same events, each once
        got, after = [], None
        for _ in range(100):
            q = f"/contacts/{who}/timeline?limit=2" + (f"&after={after}" if after else "")
            p = self.get(q)
            got += p["events"]
            after = p["next_after"]
            if after is None:
                break
        self.assertEqual(got, events)
        # a failure shows on the blocked person's timeline
        blocked = self.contacts[USERS[1]["id"]]["id"]
        failed = [e for e in self.get(f"/contacts/{blocked}/timeline")["events"] if e["type"] == "campaign_failed"]
        self.assertEqual([(e["campaign_id"], e["details"]["error_code"]) for e in failed],
                         [(self.cid, "USER_IS_BLOCKED")])


if __name__ == "__main__":
    unittest.main()
