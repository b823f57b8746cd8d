#!/usr/bin/env python3
"""test_privacy — export and erasure of one person (issue 19 item 2; shared/API.md "Additions
(second round)": "Privacy"; docs/DECISIONS.md 69), on SQLite and, as http.test_privacy.pg, on
PostgreSQL.

One server on its own simulated Telegram. Erin, one of four customers, wrote to the shop, wrote
again live, got a campaign message with a tracked link and a discount code, read it, clicked,
replied, bought, was opted out and back in with reasons. Her export must hold all of that, opened.
Then she is erased: the database files (tgr.db, its -wal and -shm; on PostgreSQL a pg_dump) hold
none of her name, phone, username, Telegram id, messages or reasons — in clear, nor the sealed
values read from the database before — while the campaign's counters and the revenue totals are
what they were. A re-sync of the inbox does not bring her back; a message she writes after the
erasure (the server restarted: the simulator sends its live message again) makes a new contact
with that message only. Another account's contact is 404, a malformed id 400, in the registry's
error shape. Run: python3 tests/http/test_privacy.py (CTest sets TGR_BIN).
"""
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tgrtest  # noqa: E402
from tgrtest import (Server, connect_telegram, contacts_by_tg_id, database_files, files_containing,  # noqa: E402
                     is_error_shape, sim_args, wait_until, write_scenario)

PASSWORD = "correct horse battery staple 19"
CODE = "61919"
ME_PHONE = "+15550006100"
ERIN = "7340001234567"  # long enough not to turn up in unrelated bytes
ERIN_NAMES = ("Erinwyn", "Quillfeather", "erin_quill_7734")
ERIN_PHONE = "+15550109876"
ERIN_HISTORY = "Erased-history: my parcel to Hollowmere Lane 17 never came"
ERIN_REPLY = "Erased-reply: thanks, I am interested in the Zyxwvut offer"
ERIN_LIVE = "Erased-live: is the Qwertzuiop jacket back in stock?"
REASON_OUT = "Erased-reason: she phoned on Tuesday and asked to stop"
REASON_IN = "Erased-reason: she asked for the offers again in the shop"
CODES = ["PRIV-CODE-A1", "PRIV-CODE-B2", "PRIV-CODE-C3", "PRIV-CODE-D4"]
LINK = "https://shop.example/privacy-sale"

USERS = [
    {"id": ERIN, "access_hash": "934001", "first_name": ERIN_NAMES[0], "last_name": ERIN_NAMES[1],
     "username": ERIN_NAMES[2], "phone": ERIN_PHONE,
     "messages": [{"text": ERIN_HISTORY, "ago_seconds": 7200}],
     "read_after_seconds": 0.2, "click_after_seconds": 0.3, "reply": {"after_seconds": 0.4, "text": ERIN_REPLY}},
    {"id": "934102", "access_hash": "934002", "first_name": "Bodil", "messages": [{"text": "hello", "ago_seconds": 7000}]},
    {"id": "934103", "access_hash": "934003", "first_name": "Cyrus", "messages": [{"text": "hi", "ago_seconds": 6000}]},
    {"id": "934104", "access_hash": "934004", "first_name": "Dagny", "messages": [{"text": "hey", "ago_seconds": 5000}]},
]
# Erin's live message comes this long after the account's Telegram client starts, in every life of
# the server: in the first before the erasure (it is erased with the rest), after the restart as
# the message she writes after it.
LIVE_AFTER = 3


def erin_strings():
    return {*ERIN_NAMES, ERIN_PHONE, ERIN_PHONE.lstrip("+"), ERIN, ERIN_HISTORY, ERIN_REPLY, ERIN_LIVE, REASON_OUT,
            REASON_IN}


def sealed_values(data_dir, contact_id):
    """Every sealed value stored for the contact (its fields, messages, category, audit lines, the
    codes on its campaign rows), read from the database itself, as bytes."""
    queries = [f"SELECT {c} FROM contacts WHERE id = {contact_id}"
               for c in ("access_hash", "first_name", "last_name", "username", "phone")]
    queries += [f"SELECT text FROM inbound_messages WHERE contact_id = {contact_id}",
                f"SELECT category FROM customer_categories WHERE contact_id = {contact_id}",
                f"SELECT confidence_score FROM customer_categories WHERE contact_id = {contact_id}",
                f"SELECT details FROM contact_audit WHERE contact_id = {contact_id}",
                f"SELECT discount_code FROM recipients WHERE contact_id = {contact_id}"]
    out = []
    if tgrtest.PG_ADMIN_URL:
        url = tgrtest.pg_database(data_dir)[1]
        for q in queries:
            col = q.split()[1]
            q = q.replace(f"SELECT {col}", f"SELECT encode({col}, 'hex')", 1) + f" AND {col} IS NOT NULL"
            res = subprocess.run([tgrtest._pg_bin("psql"), "-X", "-At", "-d", url, "-c", q], check=True,
                                 stdout=subprocess.PIPE, text=True, timeout=60).stdout
            out += [bytes.fromhex(h) for h in res.split()]
    else:
        with sqlite3.connect(f"file:{os.path.join(data_dir, 'tgr.db')}?mode=ro", uri=True) as c:
            for q in queries:
                out += [bytes(row[0]) for row in c.execute(q) if row[0] is not None]
    return out


def bytes_found(paths, values):
    """Which of values (bytes) appear in any of the files."""
    found = []
    for p in paths:
        with open(p, "rb") as f:
            blob = f.read()
        found += [v.hex()[:16] for v in values if v in blob]
    return found


class PrivacyTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.work = tempfile.mkdtemp(prefix="tgrtest-privacy-")
        cls.data = os.path.join(cls.work, "data")
        cls.scenario = write_scenario(cls.work, {
            "me": {"id": "6100", "first_name": "Privacy Shop", "phone": ME_PHONE},
            "login": {"code": CODE}, "users": USERS, "faults": [],
            "inbound": [{"user": ERIN, "text": ERIN_LIVE, "after_seconds": LIVE_AFTER}],
            "record": "deliveries.jsonl"})
        cls.srv = None
        try:
            cls.prepare()
        except BaseException:
            cls.tearDownClass()
            raise

    @classmethod
    def tearDownClass(cls):
        try:
            if cls.srv:
                cls.srv.cleanup()
        finally:
            tgrtest.pg_drop(cls.data)
            shutil.rmtree(cls.work, ignore_errors=True)

    @classmethod
    def server(cls):
        cls.srv = Server(data=cls.data, args=sim_args(cls.scenario) + ["--send-rate", "20"])
        cls.srv.start()
        return cls.srv

    @classmethod
    def check(cls, cond, what):
        if not cond:
            raise AssertionError(what)

    @classmethod
    def get(cls, path, token=None):
        r = cls.srv.get(path, token=token or cls.token)
        cls.check(r.status == 200, f"GET {path}: {r!r}")
        return r.json

    @classmethod
    def totals(cls):
        """What the shop's numbers are: the campaign's counters, its people, revenue."""
        a = cls.get(f"/campaigns/{cls.cid}/analytics")
        for k in ("eta", "send_rate_per_min", "flood_wait_until", "quiet_hours"):
            a.pop(k, None)
        rev = cls.get("/analytics/revenue?from=2020-01-01T00:00:00Z&to=2029-12-31T00:00:00Z")
        camps = cls.get("/analytics/campaigns")
        people = cls.get(f"/campaigns/{cls.cid}/recipients?limit=500")
        return {"analytics": a, "revenue": (rev["total"], rev["by_campaign"]), "campaigns": camps,
                "recipients": (people["total"], len(people["recipients"]))}

    @classmethod
    def prepare(cls):
        srv = cls.server()
        api_key = srv.create_account("privacy@shop.test", PASSWORD)
        cls.token = srv.login("privacy@shop.test", PASSWORD)
        srv.create_account("other@shop.test", PASSWORD)
        connect_telegram(srv, cls.token, ME_PHONE, CODE)
        want = {u["id"] for u in USERS}
        cls.check(wait_until(lambda: want <= set(contacts_by_tg_id(srv, cls.token)), 20), "contacts not synced")
        cls.erin = contacts_by_tg_id(srv, cls.token)[ERIN]["id"]
        # her live message, before anything is erased
        cls.check(wait_until(lambda: cls.get(f"/contacts/{cls.erin}")["messages_count"] >= 2, 20),
                  "the live message did not arrive")
        r = srv.post("/campaigns", {"name": "Privacy campaign",
                                    "message_text": f'Hi {{{{first_name}}}}, code {{{{discount_code}}}} '
                                                    f'<a href="{LINK}">sale</a>',
                                    "discount_codes": {"mode": "pool", "codes": CODES}}, token=cls.token)
        cls.check(r.status == 201, f"create: {r!r}")
        cls.cid = r.json["id"]
        r = srv.post(f"/campaigns/{cls.cid}/start", {"override_quiet_hours": True}, token=cls.token)
        cls.check(r.status == 200, f"start: {r!r}")
        cls.check(wait_until(lambda: cls.get(f"/campaigns/{cls.cid}")["status"] == "completed", 40, step=0.2),
                  "campaign not completed")

        def reacted():
            tl = cls.get(f"/contacts/{cls.erin}/timeline?limit=500")["events"]
            return {"read", "replied", "clicked"} <= {e["type"] for e in tl}
        cls.check(wait_until(reacted, 20), "Erin did not read, reply and click")
        # an order from Erin (credited to the campaign) and one from Bodil
        for oid, amount, uid in (("PRIV-1", 4200, ERIN), ("PRIV-2", 1000, "934102")):
            r = srv.post("/webhooks/orders", {"order_id": oid, "amount": amount, "currency": "EUR", "status": "paid",
                                              "customer": {"telegram_user_id": uid}}, api_key=api_key)
            cls.check(r.status == 202 and r.json["attributed_campaign_id"] == cls.cid, f"order: {r!r}")
        r = srv.post(f"/contacts/{cls.erin}/opt-out", {"reason": REASON_OUT}, token=cls.token)
        cls.check(r.status == 200, f"opt-out: {r!r}")
        r = srv.request("DELETE", f"/contacts/{cls.erin}/opt-out", body={"reason": REASON_IN}, token=cls.token)
        cls.check(r.status == 200, f"opt-in: {r!r}")
        time.sleep(0.5)  # clicks are written in batches
        cls.erin_before = cls.get(f"/contacts/{cls.erin}")
        cls.export = srv.get(f"/contacts/{cls.erin}/export", token=cls.token)
        cls.sealed = sealed_values(cls.data, cls.erin)
        cls.before = cls.totals()
        # Erin's strings are in the database before (sealed: not in clear), her ciphertexts are
        cls.found_before = bytes_found(database_files(cls.data), cls.sealed)

        cls.erase = srv.request("DELETE", f"/contacts/{cls.erin}", token=cls.token)
        cls.after = cls.totals()
        cls.files_after = database_files(cls.data)
        cls.clear_after = files_containing(cls.files_after, erin_strings())
        cls.sealed_after = bytes_found(cls.files_after, cls.sealed)
        cls.files_kinds = sorted(os.path.basename(p) for p in cls.files_after)
        # a re-sync of the whole inbox, old messages and all
        cls.resync = srv.post("/session/sync", {}, token=cls.token)
        cls.after_resync = contacts_by_tg_id(srv, cls.token)
        cls.sealed_after_resync = bytes_found(database_files(cls.data), cls.sealed)
        cls.clear_after_resync = files_containing(database_files(cls.data), erin_strings())
        # The restart: the simulator's live message comes again, now written after the erasure.
        erased_at = time.time()
        cls.check(srv.stop() == 0, "the server did not stop cleanly")
        time.sleep(max(0.0, erased_at + 1.2 - time.time()))  # Telegram dates are whole seconds
        srv = cls.server()
        token = srv.login("privacy@shop.test", PASSWORD)
        cls.check(wait_until(lambda: ERIN in contacts_by_tg_id(srv, token), LIVE_AFTER + 20),
                  "a new message from Erin made no contact")
        cls.token = token
        cls.reborn = contacts_by_tg_id(srv, token)[ERIN]
        cls.reborn_events = cls.get(f"/contacts/{cls.reborn['id']}/timeline?limit=500")["events"]
        cls.resync2 = srv.post("/session/sync", {}, token=token)
        cls.reborn_after_sync = cls.get(f"/contacts/{cls.reborn['id']}")

    def assertError(self, r, status, code, field=None):
        self.assertEqual(r.status, status, r)
        self.assertTrue(is_error_shape(r.json, code), r)
        if field is not None:
            self.assertEqual(r.json["error"].get("field"), field, r)

    # --- export ------------------------------------------------------------------------------------

    def test_export_holds_everything_opened(self):
        r = self.export
        self.assertEqual(r.status, 200, r)
        self.assertIn("attachment", r.header("Content-Disposition") or "")
        x = r.json
        p = x["profile"]
        self.assertEqual((p["id"], p["tg_user_id"], p["first_name"], p["last_name"], p["username"], p["phone"]),
                         (self.erin, ERIN, *ERIN_NAMES, ERIN_PHONE))
        self.assertEqual((p["orders_count"], p["spent"], p["opted_out"]), (1, 4200, False))
        self.assertIn(p["category"], {"buyer", "browser", "refund_risk"})
        self.assertIsNotNone(p["first_message_at"])
        # messages both ways, oldest first
        msgs = x["messages"]
        ins = [m["text"] for m in msgs if m["direction"] == "in"]
        self.assertEqual(set(ins), {ERIN_HISTORY, ERIN_LIVE, ERIN_REPLY}, msgs)
        outs = [m for m in msgs if m["direction"] == "out"]
        self.assertEqual(len(outs), 1, msgs)
        self.assertEqual((outs[0]["campaign_id"], outs[0]["step"]), (self.cid, 0))
        self.assertIn("{{discount_code}}", outs[0]["text"])  # the step's text as written
        self.assertEqual(msgs[0]["text"], ERIN_HISTORY)
        ats = [tgrtest.parse_time(m["at"]) for m in msgs]
        self.assertEqual(ats, sorted(ats))
        # the campaign message with its status and the code it carried
        (cm,) = x["campaign_messages"]
        self.assertEqual((cm["campaign_id"], cm["campaign_name"], cm["step"], cm["status"]),
                         (self.cid, "Privacy campaign", 0, "sent"))
        self.assertIn(cm["discount_code"], CODES)
        for k in ("sent_at", "read_at", "replied_at", "clicked_at"):
            self.assertIsNotNone(cm[k], k)
        # clicks, orders, the category history, opt-outs with their reasons
        self.assertGreaterEqual(len(x["clicks"]), 1)
        self.assertEqual((x["clicks"][0]["url"], x["clicks"][0]["campaign_id"]), (LINK, self.cid))
        (o,) = x["orders"]
        self.assertEqual((o["order_id"], o["amount"], o["currency"], o["status"], o["attributed_campaign_id"],
                          o["attributed_via"]), ("PRIV-1", 4200, "EUR", "paid", self.cid, "window"))
        self.assertGreaterEqual(len(x["category_history"]), 1)
        self.assertIn(x["category_history"][-1]["to"], {"buyer", "browser", "refund_risk"})
        self.assertEqual([(e["type"], e["reason"], e["actor"]) for e in x["opt_outs"]],
                         [("opted_out", REASON_OUT, "user"), ("opted_in", REASON_IN, "user")])
        # nothing of another person
        text = json.dumps(x)
        for name in ("Bodil", "Cyrus", "Dagny", "PRIV-2"):
            self.assertNotIn(name, text)

    # --- erasure -----------------------------------------------------------------------------------

    def test_erasure_answers_204_and_the_person_is_gone(self):
        self.assertEqual((self.erase.status, self.erase.body), (204, b""), self.erase)
        self.assertNotIn(ERIN, self.after_resync)
        self.assertEqual(set(self.after_resync), {u["id"] for u in USERS[1:]})

    def test_the_database_files_hold_nothing_of_the_person(self):
        # the test can see them: before the erasure the sealed values were in the files
        self.assertEqual(len(self.found_before), len(self.sealed), self.found_before)
        self.assertGreaterEqual(len(self.sealed), 10)
        if not tgrtest.PG_ADMIN_URL:
            self.assertIn("tgr.db", self.files_kinds)
        self.assertEqual(self.clear_after, [], f"in clear after the erasure, in {self.files_kinds}")
        self.assertEqual(self.sealed_after, [], "sealed values of the person are still in the files")
        self.assertEqual(self.clear_after_resync, [])
        self.assertEqual(self.sealed_after_resync, [])

    def test_totals_are_unchanged(self):
        self.assertEqual(self.after, self.before)
        a = self.before["analytics"]
        self.assertEqual((a["sent"], a["orders"], a["revenue"]), (4, 2, 5200), a)
        self.assertGreaterEqual(a["clicks"], 1)
        # the campaign row stays, without anything about her
        rows = self.get(f"/campaigns/{self.cid}/recipients?limit=500")["recipients"]
        theirs = [x for x in rows if x["contact_id"] == self.erin]
        self.assertEqual(len(theirs), 1, rows)
        self.assertEqual((theirs[0]["first_name"], theirs[0]["last_name"], theirs[0]["username"]), (None, None, None))
        self.assertEqual(theirs[0]["status"], "sent")

    def test_resync_does_not_bring_the_person_back(self):
        self.assertEqual(self.resync.status, 200, self.resync)
        self.assertEqual(self.resync.json["contacts_added"], 0, self.resync.json)
        self.assertNotIn(ERIN, self.after_resync)

    def test_a_new_message_makes_a_new_contact(self):
        self.assertNotEqual(self.reborn["id"], self.erin)
        self.assertEqual(self.reborn["first_name"], ERIN_NAMES[0])  # the profile comes with the message
        ins = [e["text"] for e in self.reborn_events if e["type"] == "message_in"]
        self.assertEqual(ins, [ERIN_LIVE], self.reborn_events)
        self.assertEqual(self.reborn["orders_count"], 0)  # her old order lost its link for good
        self.assertFalse([e for e in self.reborn_events if e["type"] in ("campaign_sent", "order", "opted_out")])
        # syncing the whole inbox again adds none of her old messages to the new contact
        self.assertEqual(self.resync2.status, 200, self.resync2)
        self.assertEqual(self.reborn_after_sync["messages_count"], 1)

    def test_the_erased_contact_is_404_everywhere(self):
        for method, path in (("GET", f"/contacts/{self.erin}"), ("GET", f"/contacts/{self.erin}/export"),
                             ("DELETE", f"/contacts/{self.erin}"), ("GET", f"/contacts/{self.erin}/timeline")):
            self.assertError(self.srv.request(method, path, token=self.token), 404, "not_found")

    def test_another_accounts_contact_and_bad_ids(self):
        bodil = contacts_by_tg_id(self.srv, self.token)["934102"]["id"]
        other = self.srv.login("other@shop.test", PASSWORD)
        for method in ("GET", "DELETE"):
            path = f"/contacts/{bodil}" + ("/export" if method == "GET" else "")
            self.assertError(self.srv.request(method, path, token=other), 404, "not_found")
            for bad in ("abc", "0", "-3", "1.5", "99999999999999999999999"):
                p = f"/contacts/{bad}" + ("/export" if method == "GET" else "")
                self.assertError(self.srv.request(method, p, token=self.token), 400, "validation_failed", "id")
            p = "/contacts/987654321" + ("/export" if method == "GET" else "")
            self.assertError(self.srv.request(method, p, token=self.token), 404, "not_found")
            self.assertError(self.srv.request(method, path), 401, "unauthorized")
        # Bodil is untouched
        self.assertEqual(self.get(f"/contacts/{bodil}")["first_name"], "Bodil")

    def test_export_and_erasure_are_in_the_audit_log(self):
        entries = self.get("/audit?limit=500")["entries"]
        mine = [(e["action"], e["target"], e["actor"]) for e in entries if e["target"] == f"contact:{self.erin}"]
        self.assertIn(("contact.export", f"contact:{self.erin}", "user"), mine)
        self.assertIn(("contact.erase", f"contact:{self.erin}", "user"), mine)
        text = json.dumps(entries)
        self.assertEqual([s for s in erin_strings() if s in text], [])


if __name__ == "__main__":
    unittest.main()
