#!/usr/bin/env python3
"""test_shop — HTTP scenario tests of the shop's side of an account (issue 17; shared/API.md
"Account settings and the shop's orders", README "Revenue", docs/DECISIONS.md 63): a password
change and "sign out everywhere" sign out every token issued before them (also on another
instance on the same PostgreSQL database), a regenerated API key replaces the old one at once,
GET /orders lists the orders newest first with the campaign each was credited to and how (ref,
discount_code, window, null) and nothing about the customer, test orders sent as the web app's
"Send a test order" sends them (GET /orders/webhook-example, then the real webhook) are marked
and stay out of revenue, a CSV import reports its progress under the id the client chose, and
every bad input of these routes answers the one error shape.

Every test drives the real binary (and, for orders, its simulated Telegram) through
tests/http/tgrtest.py. Run: python3 tests/http/test_shop.py (CTest sets TGR_BIN).
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import test_analytics as ta  # noqa: E402  (its Case: a server on the simulator, campaigns, clicks, orders)
import tgrtest  # noqa: E402
from tgrtest import API_KEY_RE, Server, is_error_shape, jwt_parts, webhook_signature  # noqa: E402

PASSWORD = "correct horse battery staple 42"
NEW_PASSWORD = "a new passphrase for the shop 7"
ORDER_FIELDS = {"order_id", "amount", "currency", "status", "created_at", "attributed_campaign_id",
                "attributed_via", "test"}
CSV_HEADER = "order_id,amount,currency,status,created_at,telegram_user_id,phone,username,discount_code,ref\n"


class ErrorShape:
    def assertError(self, r, status, code=None, field=None):
        detail = f"{r.status} {r.body[:300]!r}"
        self.assertEqual(r.status, status, detail)
        self.assertTrue(is_error_shape(r.json, code), f"not the error shape with code {code}: {detail}")
        if field is not None:
            self.assertEqual(r.error_field, field, detail)


# --------------------------------------------------------------------------------------------
# 1. Credentials: password change, sign out everywhere, a new API key.

class CredentialsTest(ErrorShape, unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.srv = Server()
        try:
            cls.srv.start()
        except BaseException:
            cls.srv.cleanup()
            raise
        cls.secrets = {PASSWORD, NEW_PASSWORD}
        cls.n = 0

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

    def account(self):
        """A fresh account: (email, api key, [two tokens])."""
        type(self).n += 1
        email = f"cred{self.n}@shop.test"
        key = self.srv.create_account(email, PASSWORD)
        tokens = [self.srv.login(email, PASSWORD) for _ in range(2)]
        self.secrets.update([key, *tokens])
        return email, key, tokens

    def assertSignedOut(self, token):
        r = self.srv.get("/account", token=token)
        self.assertError(r, 401, "unauthorized")
        self.assertIn("log in again", r.json["error"]["message"])

    def test_password_change_signs_out_every_earlier_token(self):
        email, key, (t1, t2) = self.account()
        r = self.srv.post("/account/password", {"current_password": PASSWORD, "new_password": NEW_PASSWORD},
                          token=t1)
        self.assertEqual(r.status, 204, r)
        self.assertEqual(r.body, b"")
        for t in (t1, t2):  # the token that asked too
            self.assertSignedOut(t)
            self.assertError(self.srv.get("/orders", token=t), 401, "unauthorized")
        self.assertError(self.srv.post("/auth/login", {"email": email, "password": PASSWORD}), 401,
                         "invalid_credentials")
        t3 = self.srv.login(email, NEW_PASSWORD)
        self.secrets.add(t3)
        self.assertEqual(self.srv.get("/account", token=t3).status, 200)
        _, payload, _ = jwt_parts(t3)
        self.assertEqual(payload.get("gen"), 1, payload)
        # The API key is not a token: it keeps working (regenerate it to revoke it).
        self.assertEqual(self.srv.get("/account", api_key=key).status, 200)
        # A second change signs out the token of the first.
        r = self.srv.post("/account/password", {"current_password": NEW_PASSWORD, "new_password": PASSWORD + "!"},
                          api_key=key)
        self.assertEqual(r.status, 204, r)
        self.secrets.add(PASSWORD + "!")
        self.assertSignedOut(t3)

    def test_password_change_refusals_are_field_errors_and_change_nothing(self):
        email, key, (t1, _) = self.account()
        cases = [
            ({"current_password": "not the password at all", "new_password": NEW_PASSWORD}, 400,
             "validation_failed", "current_password"),
            ({"current_password": PASSWORD, "new_password": "short"}, 400, "validation_failed", "new_password"),
            ({"current_password": PASSWORD, "new_password": "eleven char"}, 400, "validation_failed", "new_password"),
            ({"current_password": PASSWORD, "new_password": "x" * 1025}, 400, "validation_failed", "new_password"),
            ({"current_password": PASSWORD, "new_password": PASSWORD}, 400, "validation_failed", "new_password"),
            ({"current_password": PASSWORD}, 400, "validation_failed", "new_password"),
            ({"new_password": NEW_PASSWORD}, 400, "validation_failed", "current_password"),
            ({"current_password": "", "new_password": NEW_PASSWORD}, 400, "validation_failed", "current_password"),
            ({"current_password": 12345678901234, "new_password": NEW_PASSWORD}, 400, "validation_failed",
             "current_password"),
            ({"current_password": PASSWORD, "new_password": None}, 400, "validation_failed", "new_password"),
            ({"current_password": PASSWORD, "new_password": NEW_PASSWORD, "confirm": NEW_PASSWORD}, 400,
             "validation_failed", "confirm"),
        ]
        for body, status, code, field in cases:
            with self.subTest(body={k: (v[:20] if isinstance(v, str) else v) for k, v in body.items()}):
                self.assertError(self.srv.post("/account/password", body, token=t1), status, code, field)
        for raw, ctype, status, code in ((b'{"current_password":', "application/json", 400, "invalid_json"),
                                         (b"[]", "application/json", 400, None),
                                         (b'{"current_password":"a"}', "text/plain", 415, None)):
            with self.subTest(raw=raw, ctype=ctype):
                self.assertError(self.srv.request("POST", "/account/password", raw=raw, content_type=ctype,
                                                  token=t1), status, code)
        # Nothing changed: the token still works and the old password still logs in.
        self.assertEqual(self.srv.get("/account", token=t1).status, 200)
        self.secrets.add(self.srv.login(email, PASSWORD))

    def test_wrong_current_passwords_meet_the_login_limits(self):
        srv = Server(rate_login=3)
        srv.start()
        try:
            srv.create_account("limits@shop.test", PASSWORD)
            token = srv.login("limits@shop.test", PASSWORD)
            wrong = {"current_password": "a wrong guess 123", "new_password": NEW_PASSWORD}
            for _ in range(3):
                self.assertError(srv.post("/account/password", wrong, token=token), 400, "validation_failed",
                                 "current_password")
            r = srv.post("/account/password", wrong, token=token)
            self.assertError(r, 429, "rate_limited")
            self.assertRegex(r.header("Retry-After") or "", r"^\d+$")
        finally:
            srv.stop()
            srv.cleanup()

    def test_sign_out_everywhere(self):
        email, key, (t1, t2) = self.account()
        r = self.srv.post("/auth/logout-all", token=t2)
        self.assertEqual(r.status, 204, r)
        for t in (t1, t2):
            self.assertSignedOut(t)
        t3 = self.srv.login(email, PASSWORD)  # the password is unchanged
        self.secrets.add(t3)
        self.assertEqual(self.srv.get("/account", token=t3).status, 200)
        self.assertEqual(self.srv.get("/account", api_key=key).status, 200)
        # With the API key too, and an unknown field is refused like everywhere.
        self.assertError(self.srv.post("/auth/logout-all", {"everywhere": True}, api_key=key), 400,
                         "validation_failed", "everywhere")
        self.assertEqual(self.srv.get("/account", token=t3).status, 200)
        self.assertEqual(self.srv.post("/auth/logout-all", api_key=key).status, 204)
        self.assertSignedOut(t3)

    def test_new_api_key_replaces_the_old_one(self):
        email, key, (t1, _) = self.account()
        r = self.srv.post("/account/api-key", token=t1)
        self.assertEqual(r.status, 200, r)
        self.assertEqual(set(r.json), {"api_key"})
        new = r.json["api_key"]
        self.secrets.add(new)
        self.assertRegex(new, API_KEY_RE)
        self.assertNotEqual(new, key)
        self.assertError(self.srv.get("/account", api_key=key), 401, "unauthorized")
        self.assertError(self.srv.post("/webhooks/orders", {"order_id": "k-1", "amount": 1, "currency": "EUR",
                                                           "status": "paid"}, api_key=key), 401, "unauthorized")
        got = self.srv.get("/account", api_key=new)
        self.assertEqual(got.status, 200)
        self.assertEqual(got.json["email"], email)
        self.assertNotIn(new, got.body.decode())  # shown once: no route gives it again
        self.assertEqual(self.srv.get("/account", token=t1).status, 200)  # tokens are not affected
        # Regenerating with the key itself works, and that key is then the old one.
        r = self.srv.post("/account/api-key", api_key=new)
        self.assertEqual(r.status, 200, r)
        self.secrets.add(r.json["api_key"])
        self.assertError(self.srv.get("/account", api_key=new), 401, "unauthorized")
        self.assertError(self.srv.post("/account/api-key", {"name": "x"}, token=t1), 400, "validation_failed", "name")

    def test_the_routes_need_a_credential(self):
        for method, path in (("POST", "/account/password"), ("POST", "/account/api-key"),
                             ("POST", "/auth/logout-all"), ("GET", "/orders"), ("GET", "/orders/webhook-example"),
                             ("GET", "/orders/imports/x1")):
            with self.subTest(path=path):
                self.assertError(self.srv.request(method, path, body={} if method == "POST" else None), 401,
                                 "unauthorized")
                self.assertError(self.srv.request(method, path, token="not-a-token"), 401, "unauthorized")


# --------------------------------------------------------------------------------------------
# 2. Orders: the list with attribution, test orders, imports with progress.

class OrdersTest(ErrorShape, ta.Case):
    USERS = ta.make_users(3, "71")

    @classmethod
    def prepare(cls):
        cls.key, cls.token, cls.contacts = cls.account()
        cls.u = [u["id"] for u in cls.USERS]
        cls.cid, lines = cls.send(cls.token, "ShopA", "{{first_name}} use {{discount_code}} "
                                  '<a href="https://shop.example/a">shop</a>',
                                  discount_codes={"mode": "static", "code": "SHOP-CODE-1"})
        r = cls.click(cls.links(lines[cls.u[0]])[0])
        cls.check(r.status == 302, f"click: {r!r}")
        cls.ref, _ = ta.split_ref(r.header("Location") or "", "https://shop.example/a")
        cls.check(cls.ref, f"no tgr_ref in {r.header('Location')!r}")
        time.sleep(ta.BATCH_WAIT)
        # Four orders, one way of crediting each, posted in this order.
        cls.posted = [
            ("s-ref", 1100, cls.u[0], {"ref": cls.ref}, "ref"),
            ("s-code", 1200, cls.u[1], {"discount_code": "SHOP-CODE-1"}, "discount_code"),
            ("s-win", 1300, cls.u[2], {"customer": {"telegram_user_id": cls.u[2], "phone": "+15550007777",
                                                     "username": "secret_buyer"}}, "window"),
            ("s-none", 1400, "7199999", {}, None),
        ]
        for oid, amount, user, extra, via in cls.posted:
            got = cls.order(cls.key, oid, amount, user, **extra)
            cls.check(got == (cls.cid if via else None), f"order {oid} credited to {got}")

    def orders(self, query="", token=None):
        r = self.srv.get("/orders" + query, token=token or self.token)
        self.assertEqual(r.status, 200, r)
        self.assertEqual(set(r.json), {"orders", "next_after"})
        return r

    def test_orders_newest_first_with_attribution_and_no_customer_data(self):
        r = self.orders()
        mine = [o for o in r.json["orders"] if o["order_id"].startswith("s-")]
        self.assertEqual([o["order_id"] for o in mine], [p[0] for p in reversed(self.posted)])
        for o, (oid, amount, _, _, via) in zip(mine, reversed(self.posted)):
            with self.subTest(order=oid):
                self.assertEqual(set(o), ORDER_FIELDS)
                self.assertEqual(o["amount"], amount)
                self.assertEqual(o["currency"], "EUR")
                self.assertEqual(o["status"], "paid")
                self.assertIs(o["test"], False)
                self.assertEqual(o["attributed_via"], via)
                self.assertEqual(o["attributed_campaign_id"], self.cid if via else None)
                self.assertRegex(o["created_at"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$")
        body = r.body.decode()
        for customer in (*self.u, "7199999", "+15550007777", "15550007777", "secret_buyer", self.ref, "SHOP-CODE-1"):
            self.assertNotIn(customer, body, "the orders list names a customer, a ref or a code")

    def test_a_refund_keeps_its_attribution_and_shows_refunded(self):
        self.order(self.key, "r-refund", 900, self.u[1], discount_code="SHOP-CODE-1")
        self.order(self.key, "r-refund", 900, self.u[1], status="refunded", discount_code="SHOP-CODE-1")
        o = next(o for o in self.orders().json["orders"] if o["order_id"] == "r-refund")
        self.assertEqual((o["status"], o["attributed_campaign_id"], o["attributed_via"]),
                         ("refunded", self.cid, "discount_code"))

    def test_pages_follow_next_after_without_repeats(self):
        key = self.srv.create_account("orders-pages@shop.test", PASSWORD)
        for i in range(7):
            self.order(key, f"page-{i}", 10 + i, "7188888")
        seen, after = [], None
        while True:
            r = self.srv.get("/orders?limit=3" + (f"&after={after}" if after else ""), api_key=key)
            self.assertEqual(r.status, 200, r)
            self.assertLessEqual(len(r.json["orders"]), 3)
            seen += [o["order_id"] for o in r.json["orders"]]
            after = r.json["next_after"]
            if after is None:
                break
            self.assertIsInstance(after, int)
        self.assertEqual(seen, [f"page-{i}" for i in reversed(range(7))])
        # A page that ends exactly at the last order says so: no next_after.
        r = self.srv.get("/orders?limit=7", api_key=key)
        self.assertEqual((len(r.json["orders"]), r.json["next_after"]), (7, None))
        # Another account sees none of them.
        other = self.srv.create_account("orders-other@shop.test", PASSWORD)
        self.assertEqual(self.srv.get("/orders", api_key=other).json, {"orders": [], "next_after": None})

    def test_bad_queries_are_400_invalid_query_naming_the_parameter(self):
        for q, field in (("limit=0", "limit"), ("limit=501", "limit"), ("limit=ten", "limit"), ("limit=", "limit"),
                         ("limit=-1", "limit"), ("limit=1.5", "limit"), ("after=0", "after"), ("after=-4", "after"),
                         ("after=x", "after"), ("after=99999999999999999999", "after")):
            with self.subTest(q=q):
                self.assertError(self.srv.get("/orders?" + q, token=self.token), 400, "invalid_query", field)
        self.assertError(self.srv.request("POST", "/orders", body={}, token=self.token), 405)

    def test_a_test_order_through_the_real_webhook_is_marked_and_stays_out_of_revenue(self):
        key, token, _ = self.account()
        r = self.srv.get("/orders/webhook-example", token=token)
        self.assertEqual(r.status, 200, r)
        ex = r.json
        self.assertEqual(set(ex), {"url", "account_id", "secret_set", "headers", "body", "order_id"})
        self.assertIs(ex["secret_set"], False)
        self.assertEqual(ex["url"], f"http://127.0.0.1:{self.srv.port}/webhooks/orders")
        self.assertNotIn("X-Tgr-Signature", ex["headers"])
        # With a secret the example is signed with it, exactly as the shop must sign.
        secret = self.srv.post("/account/webhook-secret", token=token).json["webhook_secret"]
        ex = self.srv.get("/orders/webhook-example", token=token).json
        self.assertIs(ex["secret_set"], True)
        self.assertEqual(ex["headers"]["X-Tgr-Account"], str(ex["account_id"]))
        self.assertEqual(ex["headers"]["Content-Type"], "application/json")
        self.assertEqual(ex["headers"]["X-Tgr-Signature"], webhook_signature(secret, ex["body"].encode()))
        body = json.loads(ex["body"])
        self.assertIs(body["test"], True)
        self.assertEqual(body["order_id"], ex["order_id"])
        self.assertNotEqual(self.srv.get("/orders/webhook-example", token=token).json["order_id"], ex["order_id"])

        cid, _ = self.send(token, "ShopT", "hello {{first_name}}")
        revenue0 = self.get_json("/analytics/revenue", token)
        money0 = self.analytics(token, cid)
        # What the web app's "Send a test order" does: the example, byte for byte, to the real webhook.
        r = self.srv.request("POST", "/webhooks/orders", raw=ex["body"].encode(), headers=ex["headers"])
        self.assertEqual((r.status, r.json), (202, {"attributed_campaign_id": None}), r)
        listed = self.orders(token=token).json["orders"][0]
        self.assertEqual((listed["order_id"], listed["test"], listed["attributed_campaign_id"],
                          listed["attributed_via"]), (ex["order_id"], True, None, None))
        # A test order naming a customer who just got a campaign message is still credited to nothing.
        r = self.srv.post("/webhooks/orders", {"order_id": "t-cust", "amount": 5000, "currency": "EUR",
                                               "status": "paid", "test": True,
                                               "customer": {"telegram_user_id": self.u[0]}}, api_key=key)
        self.assertEqual((r.status, r.json), (202, {"attributed_campaign_id": None}), r)
        self.assertEqual(self.get_json("/analytics/revenue", token), revenue0)
        money = self.analytics(token, cid)
        self.assertEqual((money["orders"], money["revenue"]), (money0["orders"], money0["revenue"]))
        contact = tgrtest.contacts_by_tg_id(self.srv, token)[self.u[0]]
        self.assertEqual((contact["orders_count"], contact["spent"]), (0, 0))
        # The same order_id as a real order is a conflict, not a second order.
        r = self.srv.post("/webhooks/orders", {"order_id": "t-cust", "amount": 5000, "currency": "EUR",
                                               "status": "paid"}, api_key=key)
        self.assertError(r, 409, "conflict", "order_id")
        # A body that is not the signed one, and test of the wrong type.
        tampered = ex["body"].replace("1999", "2999").encode()
        self.assertError(self.srv.request("POST", "/webhooks/orders", raw=tampered, headers=ex["headers"]), 401,
                         "unauthorized")
        self.assertError(self.srv.post("/webhooks/orders", {"order_id": "t-2", "amount": 1, "currency": "EUR",
                                                            "status": "paid", "test": "yes"}, api_key=key),
                         400, "validation_failed", "test")

    def test_an_import_reports_its_progress_and_its_refused_lines(self):
        key = self.srv.create_account("imports@shop.test", PASSWORD)
        csv = CSV_HEADER + "".join(f"imp-{i},{100 + i},EUR,paid,,,,,,\n" for i in range(2500))
        csv += "imp-bad,12x,EUR,paid,,,,,,\n"
        r = self.srv.request("POST", "/orders/import?progress=upload-7_A", raw=csv.encode(),
                             content_type="text/csv", api_key=key)
        self.assertEqual(r.status, 200, r)
        self.assertEqual((r.json["imported"], r.json["errors_total"]), (2500, 1))
        self.assertEqual(r.json["errors"][0]["line"], 2502)
        p = self.srv.get("/orders/imports/upload-7_A", api_key=key)
        self.assertEqual(p.status, 200, p)
        self.assertEqual(set(p.json), {"id", "lines", "bytes_done", "bytes_total", "finished", "updated_at"})
        self.assertEqual((p.json["finished"], p.json["lines"], p.json["bytes_done"], p.json["bytes_total"]),
                         (True, 2502, len(csv), len(csv)))
        # Newest first: the last line of the file is the first order of the list.
        self.assertEqual(self.srv.get("/orders?limit=1", api_key=key).json["orders"][0]["order_id"], "imp-2499")
        # Another account's id, an unknown id, a bad id.
        other = self.srv.create_account("imports-other@shop.test", PASSWORD)
        self.assertError(self.srv.get("/orders/imports/upload-7_A", api_key=other), 404, "not_found")
        self.assertError(self.srv.get("/orders/imports/never", api_key=key), 404, "not_found")
        for bad in ("has space", "semi;colon", "x" * 65, "", "%C3%A9t%C3%A9"):
            with self.subTest(progress=bad):
                r = self.srv.request("POST", "/orders/import?progress=" + bad.replace(" ", "%20"),
                                     raw=(CSV_HEADER + "p-1,1,EUR,paid,,,,,,\n").encode(), content_type="text/csv",
                                     api_key=key)
                self.assertError(r, 400, "invalid_query", "progress")
        # Without ?progress= an import is as before.
        r = self.srv.request("POST", "/orders/import", raw=(CSV_HEADER + "plain-1,1,EUR,paid,,,,,,\n").encode(),
                             content_type="text/csv", api_key=key)
        self.assertEqual((r.status, r.json["imported"]), (200, 1), r)


# --------------------------------------------------------------------------------------------
# 3. Two instances on one PostgreSQL database.

@unittest.skipUnless(tgrtest.PG_ADMIN_URL, "PostgreSQL's planner statistics; runs as http.test_shop.pg")
class FirstImportOnPostgresTest(unittest.TestCase):
    """A new shop's first import: the tables it grows are analyzed as it goes (store/pg/pg.c
    "Statistics", DECISIONS 64), so a lookup by order id uses the unique index instead of reading
    every order of the account (50,000 orders took 84 s before, 4 s after)."""

    def psql(self, data_dir, sql):
        out = subprocess.run([tgrtest._pg_bin("psql"), "-X", "-At", "-d", tgrtest.pg_database(data_dir)[1], "-c", sql],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=60, check=True)
        return out.stdout

    def test_a_first_import_leaves_the_order_lookup_on_its_unique_index(self):
        srv = Server()
        srv.start()
        self.addCleanup(srv.cleanup)
        key = srv.create_account("first-import@shop.test", PASSWORD)
        csv = CSV_HEADER + "".join(f"first-{i},100,EUR,paid,,,,buyer{i},,\n" for i in range(4000))
        r = srv.request("POST", "/orders/import", raw=csv.encode(), content_type="text/csv", api_key=key)
        self.assertEqual((r.status, r.json["imported"]), (200, 4000), r)
        # Analyzed by tgr (autovacuum's runs are last_autoanalyze, a minute or more away).
        self.assertEqual(self.psql(srv.data, "SELECT last_analyze IS NOT NULL FROM pg_stat_user_tables "
                                             "WHERE relname = 'orders'").strip(), "t")
        plan = self.psql(srv.data, "EXPLAIN SELECT * FROM orders WHERE account_id = 1 AND order_id = 'first-7'")
        self.assertIn("orders_account_id_order_id_key", plan)
        self.assertNotIn("Filter", plan)


@unittest.skipUnless(tgrtest.PG_ADMIN_URL, "several instances share a database on PostgreSQL only; runs as "
                     "http.test_shop.pg")
class TwoInstancesTest(ErrorShape, unittest.TestCase):
    def test_a_token_signed_out_on_one_instance_is_refused_by_the_other(self):
        work = tempfile.mkdtemp(prefix="tgrtest-shop2-")
        data = os.path.join(work, "data")
        a = Server(data=data, args=["--instance-id", "shop-a"])
        b = Server(data=data, args=["--instance-id", "shop-b"])
        try:
            a.start()
            b.start()
            a.create_account("two@shop.test", PASSWORD)
            t_a = a.login("two@shop.test", PASSWORD)
            t_b = b.login("two@shop.test", PASSWORD)
            self.assertEqual(a.get("/account", token=t_b).status, 200)  # any instance takes any token
            r = b.post("/account/password", {"current_password": PASSWORD, "new_password": NEW_PASSWORD}, token=t_b)
            self.assertEqual(r.status, 204, r)
            self.assertError(a.get("/account", token=t_a), 401, "unauthorized")  # at once, no wait
            t_new = a.login("two@shop.test", NEW_PASSWORD)
            self.assertEqual(b.get("/account", token=t_new).status, 200)
            self.assertEqual(a.post("/auth/logout-all", token=t_new).status, 204)
            self.assertError(b.get("/account", token=t_new), 401, "unauthorized")
        finally:
            for s in (a, b):
                s.stop()
                s.cleanup()
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    unittest.main(verbosity=2)
