#!/usr/bin/env python3
"""test_audit — the account audit log (issue 19 item 3; shared/API.md "Additions (second round)":
"Audit log"; docs/DECISIONS.md 70), on SQLite and, as http.test_audit.pg, on PostgreSQL.

One server on its own simulated Telegram, trusting 127.0.0.2 and 10.0.0.0/8 as reverse proxies
(--trusted-proxies). Every action API.md lists is done once through the API — logins that fail and
succeed, the Telegram login (a wrong code, then the right one) and logout, a campaign created,
changed, scheduled, unscheduled, started, paused, resumed, cancelled and a draft deleted, a segment
created, changed and deleted, a person opted out and in with an API key, exported and erased, the
account's settings, its webhook secret, API key and password changed, every token signed out, and
the master key rotated by `tgr keys rotate` — and each leaves its entry with actor, ip, action and
target, newest first. No entry holds a password, the login code, a message, a reason, a key or a
name. X-Forwarded-For from a peer that is not a trusted proxy is ignored; from a trusted one, the
rightmost address that is not trusted is the client. Pages follow next_after; the log cannot be
changed through the API, nor in the database (its triggers refuse UPDATE and DELETE).
Run: python3 tests/http/test_audit.py (CTest sets TGR_BIN).
"""
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tgrtest  # noqa: E402
from tgrtest import (Server, contacts_by_tg_id, is_error_shape, run_cli, sim_args, wait_until,  # noqa: E402
                     write_scenario)

PASSWORD = "correct horse battery staple 70"
NEW_PASSWORD = "another horse battery staple 71"
WRONG_PASSWORD = "wrong horse battery staple 72"
CODE = "58213"
WRONG_CODE = "47302"
ME_PHONE = "+15550007070"
MESSAGE = "Audit-message: a spring offer for {{first_name}}"
REASON = "Audit-reason: asked by phone on Monday"
USERS = [
    {"id": "707001", "access_hash": "1", "first_name": "Auditha", "last_name": "Ledgerly", "username": "auditha_l",
     "phone": "+15550107001", "messages": [{"text": "Audit-inbound: where is my parcel?", "ago_seconds": 3600}]},
    {"id": "707002", "access_hash": "2", "first_name": "Bertram", "messages": [{"text": "Audit-inbound: hi",
                                                                                "ago_seconds": 3000}]},
    {"id": "707003", "access_hash": "3", "first_name": "Cosima", "messages": [{"text": "Audit-inbound: hey",
                                                                               "ago_seconds": 2000}]},
]
PROXIES = "127.0.0.2, 10.0.0.0/8"


class AuditTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.work = tempfile.mkdtemp(prefix="tgrtest-audit-")
        cls.data = os.path.join(cls.work, "data")
        scenario = write_scenario(cls.work, {
            "me": {"id": "7070", "first_name": "Audit Shop", "phone": ME_PHONE}, "login": {"code": CODE},
            "users": USERS, "faults": [], "inbound": [], "record": "deliveries.jsonl"})
        # One message every 20 s: the campaign is still running when it is paused.
        cls.srv = Server(data=cls.data, args=sim_args(scenario) + ["--send-rate", "0.05",
                                                                  "--trusted-proxies", PROXIES],
                         env={"TGR_WEBHOOKS_ALLOW_PRIVATE": "1"})  # a loopback receiver for webhook.create
        cls.expected = []  # (action, target, actor, ip) in the order done
        try:
            cls.srv.start()
            cls.prepare()
        except BaseException:
            cls.tearDownClass()
            raise

    @classmethod
    def tearDownClass(cls):
        try:
            cls.srv.cleanup()
        finally:
            tgrtest.pg_drop(cls.data)
            shutil.rmtree(cls.work, ignore_errors=True)

    @classmethod
    def check(cls, r, status, what):
        if r.status != status:
            raise AssertionError(f"{what}: {r!r}")
        return r

    @classmethod
    def expect(cls, action, target, actor="user", ip="127.0.0.1"):
        cls.expected.append((action, target, actor, ip))

    @classmethod
    def prepare(cls):
        srv = cls.srv
        cls.api_key = srv.create_account("audit@shop.test", PASSWORD)
        srv.create_account("other@shop.test", PASSWORD)
        cls.account = None
        r = srv.post("/auth/login", {"email": "audit@shop.test", "password": WRONG_PASSWORD})
        cls.check(r, 401, "wrong password")
        t = cls.token = srv.login("audit@shop.test", PASSWORD)
        acc = cls.account = srv.get("/account", token=t).json["id"]
        A = f"account:{acc}"
        cls.expect("auth.login_failed", A)
        cls.expect("auth.login", A)
        cls.check(srv.post("/session/connect", {"phone": ME_PHONE}, token=t), 200, "connect")
        cls.expect("session.connect", "session")
        cls.check(srv.post("/session/verify", {"code": WRONG_CODE}, token=t), 422, "wrong code")
        cls.expect("session.verify", "session")
        cls.check(srv.post("/session/verify", {"code": CODE}, token=t), 200, "verify")
        cls.expect("session.verify", "session")
        want = {u["id"] for u in USERS}
        if not wait_until(lambda: want <= set(contacts_by_tg_id(srv, t)), 20):
            raise AssertionError("contacts not synced")
        contacts = contacts_by_tg_id(srv, t)

        cid = cls.check(srv.post("/campaigns", {"name": "Audit campaign", "message_text": MESSAGE}, token=t),
                        201, "create").json["id"]
        C = f"campaign:{cid}"
        cls.expect("campaign.create", C)
        cls.check(srv.request("PATCH", f"/campaigns/{cid}", body={"name": "Audit campaign 2"}, token=t), 200, "patch")
        cls.expect("campaign.update", C)
        cls.check(srv.post(f"/campaigns/{cid}/schedule", {"start_at": "2099-01-01T10:00:00Z"}, token=t), 400,
                  "schedule too far")  # refused: no entry
        from datetime import datetime, timedelta, timezone
        when = (datetime.now(timezone.utc) + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M:%SZ")
        cls.check(srv.post(f"/campaigns/{cid}/schedule", {"start_at": when}, token=t), 200, "schedule")
        cls.expect("campaign.schedule", C)
        cls.check(srv.post(f"/campaigns/{cid}/unschedule", {}, token=t), 200, "unschedule")
        cls.expect("campaign.unschedule", C)
        cls.check(srv.post(f"/campaigns/{cid}/start", {"override_quiet_hours": True}, token=t), 200, "start")
        cls.expect("campaign.start", C)
        cls.check(srv.post(f"/campaigns/{cid}/pause", {}, token=t), 200, "pause")
        cls.expect("campaign.pause", C)
        cls.check(srv.post(f"/campaigns/{cid}/resume", {}, token=t), 200, "resume")
        cls.expect("campaign.resume", C)
        cls.check(srv.post(f"/campaigns/{cid}/cancel", {}, token=t), 200, "cancel")
        cls.expect("campaign.cancel", C)
        draft = cls.check(srv.post("/campaigns", {"name": "Draft", "message_text": "x"}, token=t), 201,
                          "draft").json["id"]
        cls.expect("campaign.create", f"campaign:{draft}")
        cls.check(srv.request("DELETE", f"/campaigns/{draft}", token=t), 204, "delete")
        cls.expect("campaign.delete", f"campaign:{draft}")

        sid = cls.check(srv.post("/segments", {"name": "Audit segment", "filters": {}}, token=t), 201,
                        "segment").json["id"]
        cls.expect("segment.create", f"segment:{sid}")
        cls.check(srv.request("PATCH", f"/segments/{sid}", body={"name": "Audit segment 2"}, token=t), 200, "patch")
        cls.expect("segment.update", f"segment:{sid}")
        cls.check(srv.request("DELETE", f"/segments/{sid}", token=t), 204, "delete segment")
        cls.expect("segment.delete", f"segment:{sid}")
        wid = cls.check(srv.post("/webhooks", {"url": "http://127.0.0.1:9/hook", "events": ["message.sent"]},
                                 token=t), 201, "webhook").json["id"]
        cls.expect("webhook.create", f"webhook:{wid}")
        cls.check(srv.request("DELETE", f"/webhooks/{wid}", token=t), 204, "delete webhook")
        cls.expect("webhook.delete", f"webhook:{wid}")

        pid = cls.person = contacts[USERS[0]["id"]]["id"]
        P = f"contact:{pid}"
        cls.check(srv.post(f"/contacts/{pid}/opt-out", {"reason": REASON}, api_key=cls.api_key), 200, "opt-out")
        cls.expect("contact.opt_out", P, "api_key")
        cls.check(srv.request("DELETE", f"/contacts/{pid}/opt-out", body={"reason": REASON}, api_key=cls.api_key),
                  200, "opt-in")
        cls.expect("contact.opt_in", P, "api_key")
        cls.check(srv.get(f"/contacts/{pid}/export", token=t), 200, "export")
        cls.expect("contact.export", P)
        cls.check(srv.request("DELETE", f"/contacts/{pid}", token=t), 204, "erase")
        cls.expect("contact.erase", P)

        cls.check(srv.request("PATCH", "/account", body={"timezone": "Europe/Berlin", "frequency_cap_days": 3},
                              token=t), 200, "account")
        cls.expect("account.update", A)
        cls.webhook_secret = cls.check(srv.post("/account/webhook-secret", {}, token=t), 200,
                                       "webhook secret").json["webhook_secret"]
        cls.expect("account.webhook_secret_rotate", A)
        cls.new_key = cls.check(srv.post("/account/api-key", {}, token=t), 200, "api key").json["api_key"]
        cls.expect("account.api_key_rotate", A)
        cls.check(srv.post("/account/password", {"current_password": PASSWORD, "new_password": NEW_PASSWORD},
                           token=t), 204, "password")
        cls.expect("account.password_change", A)
        t = cls.token = srv.login("audit@shop.test", NEW_PASSWORD)
        cls.expect("auth.login", A)
        cls.check(srv.post("/auth/logout-all", {}, token=t), 204, "logout-all")
        cls.expect("auth.logout_all", A)
        t = cls.token = srv.login("audit@shop.test", NEW_PASSWORD)
        cls.expect("auth.login", A)
        r = run_cli("keys", "rotate", "--data", cls.data, timeout=120)
        if r.returncode != 0:
            raise AssertionError(f"keys rotate: {r.stderr}")
        cls.expect("keys.rotate", "keys", "system", None)
        cls.check(srv.request("DELETE", "/session", token=t), 204, "logout")
        cls.expect("session.logout", "session")
        cls.entries = cls.all_entries(t)

    @classmethod
    def all_entries(cls, token, limit=500):
        out, after = [], None
        for _ in range(1000):
            q = f"/audit?limit={limit}" + (f"&after={after}" if after is not None else "")
            r = cls.srv.get(q, token=token)
            if r.status != 200:
                raise AssertionError(f"GET {q}: {r!r}")
            out += r.json["entries"]
            after = r.json["next_after"]
            if after is None:
                return out
        raise AssertionError("paging did not end")

    def assertError(self, r, status, code, field=None):
        self.assertEqual(r.status, status, r)
        self.assertTrue(is_error_shape(r.json, code), r)
        if field is not None:
            self.assertEqual(r.json["error"].get("field"), field, r)

    # --- what is recorded ------------------------------------------------------------------------

    def test_every_listed_action_leaves_its_entry(self):
        got = [(e["action"], e["target"], e["actor"], e["ip"]) for e in reversed(self.entries)]
        it = iter(got)
        missing = [x for x in self.expected if x not in it]  # in this order, others may come between
        self.assertEqual(missing, [], got)
        for e in self.entries:
            self.assertEqual(list(e), ["id", "at", "actor", "ip", "action", "target", "details"], e)
            tgrtest.parse_time(e["at"])
            self.assertIsInstance(e["details"], dict)
        ids = [e["id"] for e in self.entries]
        self.assertEqual(ids, sorted(ids, reverse=True))  # newest first
        by_action = {}
        for e in self.entries:
            by_action.setdefault(e["action"], []).append(e)
        self.assertEqual([e["details"]["outcome"] for e in by_action["session.verify"]],
                         ["connected", "phone_code_invalid"])
        self.assertEqual(by_action["auth.login_failed"][0]["details"], {"outcome": "invalid_credentials"})
        self.assertEqual(by_action["campaign.update"][0]["details"], {"fields": ["name"]})
        self.assertEqual(by_action["campaign.start"][0]["details"], {"override_quiet_hours": True})
        upd = by_action["account.update"][0]["details"]
        self.assertEqual((sorted(upd["fields"]), upd["timezone"], upd["frequency_cap_days"]),
                         (["frequency_cap_days", "timezone"], "Europe/Berlin", 3))
        self.assertEqual(by_action["contact.opt_out"][0]["details"], {"source": "api", "reason_given": True})
        self.assertEqual(set(by_action["contact.erase"][0]["details"]), {"messages", "clicks", "orders"})
        self.assertEqual(by_action["keys.rotate"][0]["details"], {"key_id": 2})
        # a refused request leaves nothing: one schedule entry, for the time that was accepted
        self.assertEqual(len(by_action["campaign.schedule"]), 1)

    def test_no_entry_holds_a_secret_or_a_persons_data(self):
        text = json.dumps([{k: v for k, v in e.items() if k not in ("id", "at")} for e in self.entries])
        secrets = {PASSWORD, NEW_PASSWORD, WRONG_PASSWORD, CODE, WRONG_CODE, MESSAGE, "Audit-message", REASON,
                   "Audit-reason", "Audit-inbound", self.api_key, self.new_key, self.webhook_secret, ME_PHONE,
                   ME_PHONE.lstrip("+")}
        for u in USERS:
            secrets |= {u.get("first_name"), u.get("last_name"), u.get("username"), u.get("phone")}
        self.assertEqual(sorted(s for s in secrets if s and s in text), [])

    def test_the_instance_entry_is_seen_by_every_account_and_nothing_else(self):
        other = self.srv.login("other@shop.test", PASSWORD)
        mine = [e for e in self.all_entries(other) if e["action"] not in ("auth.login", "auth.login_failed")]
        self.assertEqual([(e["action"], e["actor"], e["ip"]) for e in mine], [("keys.rotate", "system", None)])

    # --- the client's address --------------------------------------------------------------------

    def last_failed_login_ip(self, source, xff=None):
        headers = {"X-Forwarded-For": xff} if xff is not None else None
        r = self.srv.post("/auth/login", {"email": "other@shop.test", "password": WRONG_PASSWORD}, headers=headers,
                          source=source)
        self.assertEqual(r.status, 401, r)
        other = self.srv.login("other@shop.test", PASSWORD)
        e = next(e for e in self.all_entries(other) if e["action"] == "auth.login_failed")
        return e["ip"]

    def test_forwarded_for_from_an_untrusted_peer_is_ignored(self):
        self.assertEqual(self.last_failed_login_ip("127.0.0.1", "203.0.113.9"), "127.0.0.1")
        self.assertEqual(self.last_failed_login_ip("127.0.0.1"), "127.0.0.1")

    def test_forwarded_for_from_a_trusted_proxy_names_the_client(self):
        self.assertEqual(self.last_failed_login_ip("127.0.0.2", "203.0.113.9"), "203.0.113.9")
        # the rightmost address that is not a trusted proxy: what the client wrote itself is left of it
        self.assertEqual(self.last_failed_login_ip("127.0.0.2", "198.51.100.1, 203.0.113.7, 10.4.4.4"), "203.0.113.7")
        self.assertEqual(self.last_failed_login_ip("127.0.0.2", "2001:db8::5"), "2001:db8::5")
        self.assertEqual(self.last_failed_login_ip("127.0.0.2"), "127.0.0.2")
        self.assertEqual(self.last_failed_login_ip("127.0.0.2", "garbage"), "127.0.0.2")

    def test_a_bad_proxy_list_stops_the_server(self):
        s = Server(args=["--trusted-proxies", "10.0.0.0/33"])
        try:
            with self.assertRaises(tgrtest.ServerError) as cm:
                s.start()
            self.assertIn("TGR_TRUSTED_PROXIES", str(cm.exception))
        finally:
            s.cleanup()

    # --- paging and refusals ---------------------------------------------------------------------

    def test_pages_follow_next_after(self):
        whole = self.all_entries(self.token)
        self.assertGreater(len(whole), 7)
        for limit in (1, 3, 7):
            paged = self.all_entries(self.token, limit)
            self.assertEqual([e["id"] for e in paged], [e["id"] for e in whole], limit)
        r = self.srv.get("/audit?limit=2", token=self.token)
        self.assertEqual(len(r.json["entries"]), 2)
        self.assertEqual(r.json["next_after"], r.json["entries"][-1]["id"])
        for q, field in (("limit=0", "limit"), ("limit=501", "limit"), ("limit=x", "limit"), ("after=0", "after"),
                         ("after=-1", "after"), ("after=x", "after")):
            self.assertError(self.srv.get(f"/audit?{q}", token=self.token), 400, "invalid_query", field)
        self.assertError(self.srv.get("/audit"), 401, "unauthorized")

    def test_no_route_changes_the_log_and_the_database_refuses_too(self):
        before = self.all_entries(self.token)
        for method in ("DELETE", "PATCH", "POST", "PUT"):
            self.assertError(self.srv.request(method, "/audit", body={} if method != "DELETE" else None,
                                              token=self.token), 405, "method_not_allowed")
        self.assertError(self.srv.request("DELETE", f"/audit/{before[0]['id']}", token=self.token), 404, "not_found")
        for sql in ("UPDATE audit_log SET ip = '192.0.2.1'", "DELETE FROM audit_log"):
            if tgrtest.PG_ADMIN_URL:
                r = subprocess.run([tgrtest._pg_bin("psql"), "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d",
                                    tgrtest.pg_database(self.data)[1], "-c", sql], stdout=subprocess.PIPE,
                                   stderr=subprocess.PIPE, text=True, timeout=60)
                self.assertNotEqual(r.returncode, 0, sql)
                self.assertIn("append-only", r.stderr)
            else:
                with sqlite3.connect(os.path.join(self.data, "tgr.db"), timeout=10) as c:
                    with self.assertRaisesRegex(sqlite3.DatabaseError, "append-only"):
                        c.execute(sql)
        if tgrtest.PG_ADMIN_URL:
            r = subprocess.run([tgrtest._pg_bin("psql"), "-X", "-q", "-d", tgrtest.pg_database(self.data)[1], "-c",
                                "TRUNCATE audit_log"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               timeout=60)
            self.assertIn("append-only", r.stderr)
        after = self.all_entries(self.token)
        self.assertEqual(after[len(after) - len(before):], before)


if __name__ == "__main__":
    unittest.main()
