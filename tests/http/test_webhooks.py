#!/usr/bin/env python3
"""test_webhooks — outgoing webhooks (issue 19 item 1; shared/API.md "Additions (second round)":
"Outgoing webhooks"; docs/DECISIONS.md 68), through the real binary, the simulated Telegram and a
real HTTP receiver on loopback (Python's http.server; the server runs with
TGR_WEBHOOKS_ALLOW_PRIVATE=1 to reach it, and TGR_WEBHOOK_RETRY_BASE_MS shortens the retries).

What a user of the feature would notice: POST/GET/DELETE /webhooks and the deliveries view with
their 400s and another account's ids as 404s; every one of the eight event types arrives as
API.md says (body, headers, a signature the receiver can check with the secret shown once); a
failing receiver is tried again with the same event id until it answers 2xx; a delivery waiting
for its retry survives a restart; redirects are not followed; a receiver that never answers does
not hold up a campaign's sends; URLs into loopback, private, unique-local and link-local
addresses (also through a name such as localhost) are refused without the setting, and the
link-local ones with it too — and a webhook made while the setting was on is not delivered once it
is off. On PostgreSQL (http.test_webhooks.pg) two instances share the outbox and each event is
delivered exactly once. Run: python3 tests/http/test_webhooks.py (CTest sets TGR_BIN)."""
import hashlib
import hmac
import http.server
import json
import os
import re
import shutil
import sys
import tempfile
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tgrtest  # noqa: E402
import test_sending as ts  # noqa: E402  (scenario helpers only; its test classes are not run here)
from tgrtest import (Server, connect_telegram, contacts_by_tg_id, is_error_shape, parse_time, sim_args,  # noqa: E402
                     wait_until, write_scenario)

EVENTS = ["message.sent", "message.failed", "message.read", "message.replied", "link.clicked",
          "order.attributed", "contact.opted_out", "campaign.status_changed"]
WEBHOOK_KEYS = {"id", "url", "events", "description", "created_at", "last_status", "last_status_code",
                "last_attempt_at"}
DELIVERY_KEYS = {"id", "event_id", "type", "status", "attempts", "last_status_code", "next_attempt_at",
                 "created_at", "last_attempt_at", "last_error"}
SECRET_RE = re.compile(r"^whsec_[A-Za-z0-9_-]{43}$")
RETRY_BASE_MS = 300
PRIVATE_ENV = {"TGR_WEBHOOKS_ALLOW_PRIVATE": "1", "TGR_WEBHOOK_RETRY_BASE_MS": str(RETRY_BASE_MS)}


# --------------------------------------------------------------------------------------------
# The receiver: a real HTTP server on loopback that records every request and answers as told.

class Receiver:
    """Records (path, headers, body bytes, time) of each POST; answers per path with the plan set
    by plan(path, [status, …]) (the last one repeats; 200 by default). "hang" holds the request
    without an answer until release(); "redirect" answers 302 to /elsewhere."""

    def __init__(self):
        self.lock = threading.Lock()
        self.requests = []
        self.plans = {}
        self.hanging = 0
        self.released = threading.Event()
        owner = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *a):
                pass

            def do_POST(self):
                n = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(n)
                with owner.lock:
                    owner.requests.append((self.path, dict(self.headers.items()), body, time.time()))
                    plan = owner.plans.get(self.path, [200])
                    what = plan.pop(0) if len(plan) > 1 else plan[0]
                if what == "hang":
                    with owner.lock:
                        owner.hanging += 1
                    owner.released.wait(60)
                    with owner.lock:
                        owner.hanging -= 1
                    return
                if what == "redirect":
                    self.send_response(302)
                    self.send_header("Location", "/elsewhere")
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                if what == "big":
                    self.send_response(200)
                    self.send_header("Content-Length", str(1 << 20))
                    self.end_headers()
                    try:
                        for _ in range(64):
                            self.wfile.write(b"x" * 16384)
                    except OSError:
                        pass
                    return
                out = b'{"ok":true}'
                self.send_response(what)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(out)))
                self.end_headers()
                self.wfile.write(out)

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.httpd.handle_error = lambda request, address: None  # a client that hung up (the 64 KiB cap)
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def url(self, path):
        return f"http://127.0.0.1:{self.port}{path}"

    def plan(self, path, answers):
        with self.lock:
            self.plans[path] = list(answers)

    def release(self):
        self.released.set()

    def close(self):
        self.released.set()
        self.httpd.shutdown()
        self.httpd.server_close()

    def got(self, path):
        """[(headers, body dict, raw body, time)] of the requests to path, in arrival order."""
        with self.lock:
            return [(h, json.loads(b), b, t) for p, h, b, t in self.requests if p == path]

    def events(self, path, type_=None):
        return [b for _, b, _, _ in self.got(path) if type_ is None or b["type"] == type_]


def readme_verify():
    """verify(secret, header, body) of README "Webhooks", run as it is printed there."""
    with open(os.path.join(tgrtest.REPO, "README.md"), encoding="utf-8") as f:
        text = f.read()
    section = text[text.index("\n## Webhooks\n"):]
    code = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    scope = {}
    exec(compile(code, "README.md (Webhooks)", "exec"), scope)  # noqa: S102 — our own README
    return scope["verify"]


README_VERIFY = readme_verify()


def check_signature(case, secret, headers, raw, tolerance=300):
    """The receiver's check of X-Tgr-Signature: written out here, and README "Webhooks"' sample."""
    sig = headers.get("X-Tgr-Signature", "")
    parts = dict(p.split("=", 1) for p in sig.split(","))
    case.assertEqual(set(parts), {"t", "v1"}, sig)
    case.assertLessEqual(abs(time.time() - int(parts["t"])), tolerance, sig)
    want = hmac.new(secret.encode(), parts["t"].encode() + b"." + raw, hashlib.sha256).hexdigest()
    case.assertTrue(hmac.compare_digest(want, parts["v1"]), f"signature {sig} does not verify")
    case.assertTrue(README_VERIFY(secret, sig, raw), "README's sample check refuses a real delivery")
    case.assertFalse(README_VERIFY(secret, sig, raw + b" "), "README's sample check takes an altered body")


class HooksMixin:
    """Helpers shared by the test classes (self.srv, self.rx)."""

    def hook(self, token, path, events=EVENTS, **extra):
        r = self.srv.post("/webhooks", dict({"url": self.rx.url(path), "events": events}, **extra), token=token)
        self.assertEqual(r.status, 201, r)
        return r.json

    def deliveries(self, token, wid, **q):
        qs = "&".join(f"{k}={v}" for k, v in q.items())
        r = self.srv.get(f"/webhooks/{wid}/deliveries" + (f"?{qs}" if qs else ""), token=token)
        self.assertEqual(r.status, 200, r)
        return r.json["deliveries"]

    def assertDelivery(self, secret, account_id, headers, body, raw):
        """One request as API.md says: headers, body fields, signature."""
        self.assertEqual(headers.get("Content-Type"), "application/json")
        self.assertEqual(headers.get("X-Tgr-Event"), body["type"])
        self.assertRegex(headers.get("X-Tgr-Delivery", ""), r"^\d+$")
        self.assertEqual(set(body), {"id", "type", "created_at", "account_id", "data"}, body)
        self.assertIsInstance(body["id"], int)
        self.assertEqual(body["account_id"], account_id)
        self.assertIn(body["type"], EVENTS)
        parse_time(body["created_at"])
        self.assertIsInstance(body["data"], dict)
        check_signature(self, secret, headers, raw)


# --------------------------------------------------------------------------------------------
# 1. The eight events of a campaign's life, their format, CRUD and its errors.

class EventsTest(HooksMixin, ts.EngineCase):
    USERS = ts.make_users(4, "9610")
    USERS[0] = dict(USERS[0], read_after_seconds=0.2, click_after_seconds=0.3,
                    reply={"after_seconds": 0.5, "text": "Which sizes do you have?"})
    USERS[3] = dict(USERS[3], error="USER_IS_BLOCKED")

    @classmethod
    def setUpClass(cls):
        cls.rx = Receiver()
        super().setUpClass()

    @classmethod
    def tearDownClass(cls):
        try:
            super().tearDownClass()
        finally:
            cls.rx.close()

    @classmethod
    def new_server(cls, data=None):
        return Server(data=data, args=sim_args(cls.scenario_path) + ["--send-rate", str(cls.SEND_RATE)],
                      env=PRIVATE_ENV)

    def account_with_key(self, connect=True):
        type(self)._emails += 1
        email = f"hooks-{type(self)._emails}@shop.test"
        key = self.srv.create_account(email, ts.PASSWORD)
        token = self.srv.login(email, ts.PASSWORD)
        account_id = self.srv.get("/account", token=token).json["id"]
        if connect:
            connect_telegram(self.srv, token, ts.ME_PHONE, ts.CODE)
            want = {u["id"] for u in self.USERS}
            self.assertTrue(wait_until(lambda: want <= set(contacts_by_tg_id(self.srv, token)), 20))
        return token, key, account_id

    def test_every_event_type_arrives_signed_as_the_contract_says(self):
        token, key, account_id = self.account_with_key()
        w = self.hook(token, "/all", description="CRM")
        self.assertEqual(set(w), WEBHOOK_KEYS | {"secret"}, w)
        self.assertRegex(w["secret"], SECRET_RE)
        self.assertEqual((w["events"], w["description"], w["last_status"]), (EVENTS, "CRM", None))
        secret = w["secret"]
        # Only what its events name reaches an endpoint.
        only_sent = self.hook(token, "/only-sent", events=["message.sent"])

        c = self.create(token, message_text='Hooks check {{first_name}}: <a href="https://shop.example/x">x</a>')
        self.start(token, c["id"])
        self.wait_status(token, c["id"], "completed", 30)
        contacts = contacts_by_tg_id(self.srv, token)
        first = contacts[self.USERS[0]["id"]]["id"]
        blocked = contacts[self.USERS[3]["id"]]["id"]

        def have(type_, n=1):
            return len(self.rx.events("/all", type_)) >= n
        for type_, n in (("message.sent", 3), ("message.failed", 1), ("message.read", 1), ("message.replied", 1),
                         ("link.clicked", 1), ("campaign.status_changed", 2)):
            self.assertTrue(wait_until(lambda: have(type_, n), 20), f"{type_} x{n}: {self.rx.events('/all')}")

        # An order from the person who clicked, credited to the campaign; then an opt-out.
        r = self.srv.post("/webhooks/orders", {"order_id": "hook-1", "amount": 2500, "currency": "EUR",
                                               "status": "paid",
                                               "customer": {"telegram_user_id": self.USERS[0]["id"]}}, api_key=key)
        self.assertEqual((r.status, r.json["attributed_campaign_id"]), (202, c["id"]), r)
        r = self.srv.post(f"/contacts/{blocked}/opt-out", {}, token=token)
        self.assertEqual(r.status, 200, r)
        for type_ in ("order.attributed", "contact.opted_out"):
            self.assertTrue(wait_until(lambda: have(type_), 20), type_)

        got = self.rx.got("/all")
        for headers, body, raw, _ in got:
            self.assertDelivery(secret, account_id, headers, body, raw)
        by_type = {}
        for _, body, _, _ in got:
            by_type.setdefault(body["type"], []).append(body["data"])
        self.assertEqual(set(by_type), set(EVENTS))
        self.assertEqual(len({b["id"] for _, b, _, _ in got}), len(got), "an event delivered twice")
        sent = by_type["message.sent"]
        self.assertEqual(sorted(d["contact_id"] for d in sent),
                         sorted(contacts[u["id"]]["id"] for u in self.USERS[:3]))
        for d in sent:
            self.assertEqual((d["campaign_id"], d["step"]), (c["id"], 0))
            self.assertIsInstance(d["telegram_message_id"], int)
        self.assertEqual([(d["contact_id"], d["error_code"]) for d in by_type["message.failed"]],
                         [(blocked, "USER_IS_BLOCKED")])
        for type_ in ("message.read", "message.replied"):
            self.assertEqual([(d["contact_id"], d["campaign_id"], d["step"]) for d in by_type[type_]],
                             [(first, c["id"], 0)], type_)
        click = by_type["link.clicked"][0]
        self.assertEqual((click["contact_id"], click["campaign_id"], click["url"], click["unique"]),
                         (first, c["id"], "https://shop.example/x", True))
        statuses = [(d["campaign_id"], d["status"]) for d in by_type["campaign.status_changed"]]
        self.assertEqual(statuses, [(c["id"], "running"), (c["id"], "completed")])
        self.assertEqual(by_type["campaign.status_changed"][0]["name"], "Engine check")
        order = by_type["order.attributed"][0]
        self.assertEqual((order["order_id"], order["amount"], order["currency"], order["status"],
                          order["campaign_id"], order["contact_id"], order["attributed_via"]),
                         ("hook-1", 2500, "EUR", "paid", c["id"], first, "window"))
        self.assertEqual([(d["contact_id"], d["source"]) for d in by_type["contact.opted_out"]], [(blocked, "api")])

        # The narrower endpoint got the three sends only; the deliveries view agrees with the receiver.
        self.assertTrue(wait_until(lambda: len(self.rx.events("/only-sent")) >= 3, 20))
        time.sleep(1)
        self.assertEqual(sorted(b["type"] for b in self.rx.events("/only-sent")), ["message.sent"] * 3)
        ds = self.deliveries(token, w["id"])
        self.assertEqual(len(ds), len(got))
        for d in ds:
            self.assertEqual(set(d), DELIVERY_KEYS, d)
            self.assertEqual((d["status"], d["attempts"], d["last_status_code"], d["next_attempt_at"],
                              d["last_error"]), ("delivered", 1, 200, None, None), d)
        self.assertEqual(sorted(d["event_id"] for d in ds), sorted(b["id"] for _, b, _, _ in got))
        self.assertEqual([d["id"] for d in ds], sorted((d["id"] for d in ds), reverse=True), "newest first")
        page = self.srv.get(f"/webhooks/{w['id']}/deliveries?limit=2", token=token).json
        self.assertEqual(([d["id"] for d in page["deliveries"]], page["next_after"]), ([ds[0]["id"], ds[1]["id"]],
                                                                                       ds[1]["id"]))
        page = self.srv.get(f"/webhooks/{w['id']}/deliveries?limit=2&after={ds[1]['id']}", token=token).json
        self.assertEqual([d["id"] for d in page["deliveries"]], [ds[2]["id"], ds[3]["id"]])
        listed = {x["id"]: x for x in self.srv.get("/webhooks", token=token).json["webhooks"]}
        self.assertEqual(set(listed), {w["id"], only_sent["id"]})
        self.assertEqual((listed[w["id"]]["last_status"], listed[w["id"]]["last_status_code"]), ("delivered", 200))
        self.assertNotIn("secret", listed[w["id"]])

    def test_crud_and_bad_input(self):
        token, _, _ = self.account_with_key(connect=False)
        other, _, _ = self.account_with_key(connect=False)
        w = self.hook(token, "/crud", events=["contact.opted_out", "message.sent", "message.sent"])
        self.assertEqual(w["events"], ["message.sent", "contact.opted_out"], "kept once each, in the registry's order")
        self.assertEqual(w["description"], "")
        r = self.srv.get(f"/webhooks/{w['id']}", token=token)
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json, {k: v for k, v in w.items() if k != "secret"})

        bad = [
            ({"events": ["message.sent"]}, "url"),
            ({"url": self.rx.url("/x")}, "events"),
            ({"url": self.rx.url("/x"), "events": []}, "events"),
            ({"url": self.rx.url("/x"), "events": ["message.sent", "message.deleted"]}, "events"),
            ({"url": self.rx.url("/x"), "events": [1]}, "events"),
            ({"url": self.rx.url("/x"), "events": "message.sent"}, "events"),
            ({"url": "ftp://127.0.0.1/x", "events": ["message.sent"]}, "url"),
            ({"url": "127.0.0.1/x", "events": ["message.sent"]}, "url"),
            ({"url": "http:///nohost", "events": ["message.sent"]}, "url"),
            ({"url": "http://exa mple.com/", "events": ["message.sent"]}, "url"),
            ({"url": "https://" + "a" * 2050 + ".com/", "events": ["message.sent"]}, "url"),
            ({"url": "http://no-such-host.invalid/x", "events": ["message.sent"]}, "url"),
            ({"url": self.rx.url("/x"), "events": ["message.sent"], "description": "d" * 501}, "description"),
            ({"url": self.rx.url("/x"), "events": ["message.sent"], "secret": "mine"}, "secret"),
        ]
        for body, field in bad:
            r = self.srv.post("/webhooks", body, token=token)
            self.assertTrue(r.status == 400 and is_error_shape(r.json) and r.error_field == field, (body, r))
        r = self.srv.request("POST", "/webhooks", raw=b"{nope", content_type="application/json", token=token)
        self.assertEqual((r.status, r.error_code), (400, "invalid_json"), r)
        self.assertEqual([x["id"] for x in self.srv.get("/webhooks", token=token).json["webhooks"]], [w["id"]])

        # Another account's ids are not found; so are ids that are none.
        for method, path in (("GET", f"/webhooks/{w['id']}"), ("DELETE", f"/webhooks/{w['id']}"),
                             ("GET", f"/webhooks/{w['id']}/deliveries"), ("GET", "/webhooks/0"),
                             ("GET", "/webhooks/abc/deliveries"), ("DELETE", "/webhooks/99999999")):
            r = self.srv.request(method, path, token=other if "abc" not in path else token)
            self.assertTrue(r.status == 404 and is_error_shape(r.json, "not_found"), (method, path, r))
        self.assertEqual(self.srv.get("/webhooks", token=other).json, {"webhooks": []})
        for q in ("limit=0", "limit=501", "limit=x", "after=-1"):
            r = self.srv.get(f"/webhooks/{w['id']}/deliveries?{q}", token=token)
            self.assertTrue(r.status == 400 and is_error_shape(r.json, "invalid_query"), (q, r))
        self.assertEqual(self.srv.get("/webhooks", token=None).status, 401)

        r = self.srv.request("DELETE", f"/webhooks/{w['id']}", token=token)
        self.assertEqual((r.status, r.body), (204, b""), r)
        self.assertEqual(self.srv.get(f"/webhooks/{w['id']}", token=token).status, 404)
        self.assertEqual(self.srv.request("DELETE", f"/webhooks/{w['id']}", token=token).status, 404)
        self.assertEqual(self.srv.get("/webhooks", token=token).json, {"webhooks": []})

    def test_failing_receiver_is_retried_with_the_same_id_until_it_answers(self):
        token, _, account_id = self.account_with_key(connect=False)
        self.rx.plan("/flaky", [500, 503, 200])
        w = self.hook(token, "/flaky", events=["campaign.status_changed"])
        c = self.create(token, name="Retry check")
        r = self.srv.post(f"/campaigns/{c['id']}/cancel", token=token)
        self.assertEqual(r.status, 200, r)
        self.assertTrue(wait_until(lambda: len(self.rx.got("/flaky")) >= 3, 30), self.rx.got("/flaky"))
        time.sleep(RETRY_BASE_MS * 8 / 1000)  # a fourth request would come by now
        got = self.rx.got("/flaky")
        self.assertEqual(len(got), 3, "tried again after a 2xx")
        self.assertEqual(len({b["id"] for _, b, _, _ in got}), 1, "the event id changed between attempts")
        self.assertEqual(len({h["X-Tgr-Delivery"] for h, _, _, _ in got}), 1)
        self.assertEqual(len({raw for _, _, raw, _ in got}), 1, "the body changed between attempts")
        for h, b, raw, _ in got:
            self.assertDelivery(w["secret"], account_id, h, b, raw)
        self.assertEqual((got[0][1]["data"]["campaign_id"], got[0][1]["data"]["status"]), (c["id"], "cancelled"))
        # 30 s doubling, shortened: the second wait is about twice the first.
        gap1, gap2 = got[1][3] - got[0][3], got[2][3] - got[1][3]
        self.assertGreaterEqual(gap1, RETRY_BASE_MS / 1000 * 0.9)
        self.assertGreaterEqual(gap2, RETRY_BASE_MS / 1000 * 1.8)
        d = self.deliveries(token, w["id"])
        self.assertEqual([(x["status"], x["attempts"], x["last_status_code"]) for x in d], [("delivered", 3, 200)])

    def test_redirects_are_not_followed_and_a_large_answer_is_fine(self):
        token, _, _ = self.account_with_key(connect=False)
        self.rx.plan("/moved", ["redirect"])
        self.rx.plan("/big", ["big"])
        moved = self.hook(token, "/moved", events=["campaign.status_changed"])
        big = self.hook(token, "/big", events=["campaign.status_changed"])
        c = self.create(token, name="Redirect check")
        self.assertEqual(self.srv.post(f"/campaigns/{c['id']}/cancel", token=token).status, 200)
        self.assertTrue(wait_until(lambda: len(self.rx.got("/moved")) >= 2, 20))
        self.assertEqual(self.rx.got("/elsewhere"), [], "a redirect was followed")
        d = self.deliveries(token, moved["id"])[0]
        self.assertEqual((d["status"], d["last_status_code"]), ("pending", 302), d)
        self.assertIn("redirect", d["last_error"])
        self.assertIsNotNone(d["next_attempt_at"])
        self.assertTrue(wait_until(lambda: self.deliveries(token, big["id"])[0]["status"] == "delivered", 20),
                        self.deliveries(token, big["id"]))
        self.assertEqual(len(self.rx.got("/big")), 1)
        self.assertTrue(self.srv.healthy())
        self.srv.request("DELETE", f"/webhooks/{moved['id']}", token=token)

    def test_a_receiver_that_never_answers_does_not_hold_up_sending(self):
        token, _, _ = self.account_with_key()
        self.rx.plan("/hang", ["hang"])
        w = self.hook(token, "/hang", events=["message.sent", "message.failed", "campaign.status_changed"])
        try:
            c = self.create(token, message_text="Hang check {{first_name}}")
            self.start(token, c["id"])
            self.wait_status(token, c["id"], "completed", 30)
            # Every message went out while the receiver sat on the first delivery, unanswered.
            self.assertEqual(len(self.record("Hang check")), 3)

            def hanging():
                with self.rx.lock:
                    return self.rx.hanging
            self.assertTrue(wait_until(lambda: hanging() == 1, 5), "the first delivery is not held open")
            self.assertEqual(len(self.rx.got("/hang")), 1, "one delivery at a time goes to an endpoint")
            # After 10 s the attempt is given up and the delivery waits for its retry.
            self.assertTrue(wait_until(lambda: any(d["attempts"] >= 1 for d in self.deliveries(token, w["id"])), 25))
            tried = [d for d in self.deliveries(token, w["id"]) if d["attempts"] >= 1][0]
            self.assertEqual((tried["status"], tried["last_status_code"], tried["last_error"]),
                             ("pending", None, "no answer within 10 s"), tried)
        finally:
            self.srv.request("DELETE", f"/webhooks/{w['id']}", token=token)
            self.rx.release()


# --------------------------------------------------------------------------------------------
# 2. A delivery waiting for its retry survives a restart; the guard at delivery time.

class RestartTest(HooksMixin, unittest.TestCase):
    def setUp(self):
        self.rx = Receiver()
        self.work = tempfile.mkdtemp(prefix="tgrtest-hooks-")
        self.data = os.path.join(self.work, "data")
        self.srv = Server(data=self.data, env=PRIVATE_ENV).start()

    def tearDown(self):
        self.srv.cleanup()
        tgrtest.pg_drop(self.data)
        shutil.rmtree(self.work, ignore_errors=True)
        self.rx.close()

    def account(self):
        self.srv.create_account("restart@shop.test", ts.PASSWORD)
        return self.srv.login("restart@shop.test", ts.PASSWORD)

    def test_a_delivery_waiting_for_its_retry_is_sent_after_a_restart(self):
        token = self.account()
        self.rx.plan("/down", [503])
        w = self.hook(token, "/down", events=["campaign.status_changed"])
        c = self.srv.post("/campaigns", {"name": "Restart check", "message_text": "Hi"}, token=token).json
        self.assertEqual(self.srv.post(f"/campaigns/{c['id']}/cancel", token=token).status, 200)
        self.assertTrue(wait_until(lambda: len(self.rx.got("/down")) >= 2, 20))
        self.assertEqual(self.srv.stop(), 0)
        self.srv.cleanup()
        self.rx.plan("/down", [200])
        before = len(self.rx.got("/down"))
        self.srv = Server(data=self.data, env=PRIVATE_ENV).start()
        token = self.srv.login("restart@shop.test", ts.PASSWORD)
        self.assertTrue(wait_until(lambda: self.deliveries(token, w["id"])[0]["status"] == "delivered", 30),
                        self.deliveries(token, w["id"]))
        got = self.rx.got("/down")
        self.assertGreater(len(got), before)
        self.assertEqual(len({b["id"] for _, b, _, _ in got}), 1, got)
        d = self.deliveries(token, w["id"])[0]
        self.assertEqual((d["attempts"], d["last_status_code"]), (len(got), 200))

    def test_a_private_address_is_refused_when_delivering_once_the_setting_is_off(self):
        token = self.account()
        w = self.hook(token, "/private", events=["campaign.status_changed"])
        self.assertEqual(self.srv.stop(), 0)
        self.srv.cleanup()
        self.srv = Server(data=self.data, env={"TGR_WEBHOOK_RETRY_BASE_MS": str(RETRY_BASE_MS)}).start()
        token = self.srv.login("restart@shop.test", ts.PASSWORD)
        c = self.srv.post("/campaigns", {"name": "Guard check", "message_text": "Hi"}, token=token).json
        self.assertEqual(self.srv.post(f"/campaigns/{c['id']}/cancel", token=token).status, 200)
        self.assertTrue(wait_until(lambda: self.deliveries(token, w["id"])[0]["attempts"] >= 2, 20),
                        self.deliveries(token, w["id"]))
        d = self.deliveries(token, w["id"])[0]
        self.assertEqual((d["status"], d["last_status_code"]), ("pending", None), d)
        self.assertIn("loopback", d["last_error"])
        self.assertEqual(self.rx.got("/private"), [], "sent to a loopback address without the setting")


# --------------------------------------------------------------------------------------------
# 3. The guard against requests into the server's own network, without the setting and with it.

class GuardTest(tgrtest.ServerCase):
    SERVER_ENV = None
    REFUSED_ALWAYS = ["http://169.254.169.254/latest/meta-data/", "http://[fe80::1]/hook",
                      "http://[::ffff:169.254.169.254]/", "http://0.0.0.0/", "http://[::]/", "http://224.0.0.1/"]
    REFUSED_PRIVATE = ["http://127.0.0.1:9/hook", "http://10.1.2.3/hook", "http://192.168.1.10/hook",
                       "http://172.16.5.4/hook", "http://[fc00::1]/hook", "http://[fd12:3456::1]/hook",
                       "http://[::1]/hook", "http://localhost:9/hook", "http://[::ffff:127.0.0.1]/hook",
                       "https://127.0.0.1/hook", "http://2130706433/hook", "http://100.64.0.1/hook"]

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.srv.create_account("guard@shop.test", ts.PASSWORD)
        cls.token = cls.srv.login("guard@shop.test", ts.PASSWORD)

    def refused(self, url):
        r = self.srv.post("/webhooks", {"url": url, "events": ["message.sent"]}, token=self.token)
        return r.status == 400 and is_error_shape(r.json, "validation_failed") and r.error_field == "url", r

    def test_private_and_link_local_addresses_are_refused(self):
        for url in self.REFUSED_ALWAYS + self.REFUSED_PRIVATE:
            ok, r = self.refused(url)
            self.assertTrue(ok, (url, r))
        ok, r = self.refused("http://localhost:9/hook")
        self.assertIn("loopback", r.json["error"]["message"])
        self.assertEqual(self.srv.get("/webhooks", token=self.token).json, {"webhooks": []})


class GuardAllowPrivateTest(GuardTest):
    SERVER_ENV = {"TGR_WEBHOOKS_ALLOW_PRIVATE": "1"}

    def test_private_and_link_local_addresses_are_refused(self):
        for url in self.REFUSED_ALWAYS:
            ok, r = self.refused(url)
            self.assertTrue(ok, (url, r))
        for url in ("http://127.0.0.1:9/hook", "http://localhost:9/hook", "http://10.1.2.3/hook"):
            r = self.srv.post("/webhooks", {"url": url, "events": ["message.sent"]}, token=self.token)
            self.assertEqual(r.status, 201, (url, r))


# --------------------------------------------------------------------------------------------
# 4. Two instances on one PostgreSQL database: each event is delivered once.

@unittest.skipUnless(tgrtest.PG_ADMIN_URL, "several instances need PostgreSQL; runs as http.test_webhooks.pg")
class TwoInstancesTest(HooksMixin, unittest.TestCase):
    CAMPAIGNS = 24

    def setUp(self):
        self.rx = Receiver()
        self.work = tempfile.mkdtemp(prefix="tgrtest-hooks2-")
        self.data = os.path.join(self.work, "data")
        os.makedirs(self.data, mode=0o700)
        self.servers = [Server(data=self.data, args=["--instance-id", name], env=PRIVATE_ENV) for name in "ab"]
        for s in self.servers:
            s.start()

    def tearDown(self):
        for s in self.servers:
            s.cleanup()
        tgrtest.pg_drop(self.data)
        shutil.rmtree(self.work, ignore_errors=True)
        self.rx.close()

    def test_each_event_is_delivered_once(self):
        a, b = self.servers
        a.create_account("two@shop.test", ts.PASSWORD)
        tokens = [s.login("two@shop.test", ts.PASSWORD) for s in self.servers]
        self.srv = a
        self.rx.plan("/both", [200])
        w = self.hook(tokens[0], "/both", events=["campaign.status_changed"])
        for i in range(self.CAMPAIGNS):
            s, token = self.servers[i % 2], tokens[i % 2]
            c = s.post("/campaigns", {"name": f"Two {i}", "message_text": "Hi"}, token=token).json
            self.assertEqual(s.post(f"/campaigns/{c['id']}/cancel", token=token).status, 200)
        self.assertTrue(wait_until(lambda: len(self.rx.got("/both")) >= self.CAMPAIGNS, 30))
        time.sleep(2)  # a duplicate would arrive by now
        ids = [b_["id"] for _, b_, _, _ in self.rx.got("/both")]
        self.assertEqual(len(ids), self.CAMPAIGNS, "an event was delivered twice")
        self.assertEqual(len(set(ids)), self.CAMPAIGNS)
        ds = self.deliveries(tokens[1], w["id"], limit=100)
        self.assertEqual([(d["status"], d["attempts"]) for d in ds], [("delivered", 1)] * self.CAMPAIGNS)


if __name__ == "__main__":
    unittest.main(verbosity=2)
