#!/usr/bin/env python3
"""test_keys — key rotation while the server runs (issue 9, docs/DECISIONS.md 39): `tgr keys
rotate` against a running server's data directory and database in the middle of a campaign; the
campaign still reaches every recipient exactly once (the simulator's record), every contact name,
the Telegram session, the discount codes and the webhook secret still open; `tgr keys status`
shows no value left under the old key, `tgr keys retire` removes it, and a server started again
afterwards reads everything. The index keys do not rotate: a token, an API key and a tracked
link made before the rotation still work after the first key is retired. A rotation killed half
way resumes, and a key still in use (or current) cannot be retired.

On PostgreSQL (TGR_TEST_PG) the same runs on the data directory's database.
Run: python3 tests/http/test_keys.py (CTest sets TGR_BIN)."""
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tgrtest  # noqa: E402
import test_sending as ts  # noqa: E402
from tgrtest import (Server, connect_telegram, contacts_by_tg_id, read_record, run_cli, sim_args,  # noqa: E402
                     wait_until, webhook_signature, write_scenario)

N = 40
POOL = [f"ROT-{i:02d}" for i in range(N)]
MARK = "Rotation check"
BROWSER_UA = ts.BROWSER_UA


class KeyRotationTest(unittest.TestCase):
    USERS = ts.make_users(N, "8940")

    def setUp(self):
        self.work = tempfile.mkdtemp(prefix="tgrtest-keys-")
        self.scenario_path = write_scenario(self.work, ts.scenario(self.USERS))
        self.record_path = os.path.join(self.work, "deliveries.jsonl")
        self.data = os.path.join(self.work, "data")
        self.srv = None

    def tearDown(self):
        if self.srv:
            self.srv.cleanup()
        tgrtest.pg_drop(self.data)
        shutil.rmtree(self.work, ignore_errors=True)

    def server(self):
        self.srv = Server(data=self.data, args=sim_args(self.scenario_path) + [
            "--send-rate", "5", "--public-url", "http://shop-links.test"])
        self.srv.start()
        return self.srv

    def delivered(self):
        return [r for r in read_record(self.record_path) if MARK in (r.get("text") or "")]

    def keys(self, *args, timeout=120):
        return run_cli("keys", *args, "--data", self.data, timeout=timeout)

    def status(self):
        r = self.keys("status", "--json")
        self.assertEqual(r.returncode, 0, r.stderr)
        return json.loads(r.stdout)

    def check_everything_opens(self, srv, token, api_key, account_id, secret, cid, link_path, step):
        # Contacts: every name opens (GET /contacts decrypts them).
        got = contacts_by_tg_id(srv, token)
        names = {tid: c.get("first_name") for tid, c in got.items()}
        self.assertEqual(names, {u["id"]: u["first_name"] for u in self.USERS}, step)
        # The Telegram session opens: still connected, and a test send goes out through it.
        r = srv.get("/session", token=token)
        self.assertEqual((r.status, r.json["status"]), (200, "connected"), (step, r))
        before = len(read_record(self.record_path))
        # Right after a start the account's Telegram client may still be starting (NOT_STARTED).
        replies = []
        wait_until(lambda: replies.append(srv.post(f"/campaigns/{cid}/test", token=token)) or
                   replies[-1].status != 422, 20, step=0.5)
        r = replies[-1]
        self.assertEqual((r.status, r.json.get("status")), (200, "sent"), (step, r))
        new = read_record(self.record_path)[before:]
        self.assertEqual([x["user_id"] for x in new], [ts.ME_ID], step)
        # Discount codes open (the campaign shows its pool).
        c = srv.get(f"/campaigns/{cid}", token=token).json
        self.assertEqual(sorted(c["discount_codes"]["codes"]), POOL, step)
        # Index keys: the API key, the token, the webhook secret and a link sent before all work.
        self.assertEqual(srv.get("/account", api_key=api_key).status, 200, step)
        body = json.dumps({"order_id": f"K-{step}", "amount": 1000, "currency": "EUR", "status": "paid",
                           "customer": {"telegram_user_id": self.USERS[0]["id"]}}).encode()
        r = srv.post("/webhooks/orders", raw=body, content_type="application/json",
                     headers={"X-Tgr-Account": str(account_id), "X-Tgr-Signature": webhook_signature(secret, body)})
        self.assertEqual(r.status, 202, (step, r))
        r = srv.request("GET", link_path, headers={"User-Agent": BROWSER_UA})
        self.assertEqual(r.status, 302, (step, r))
        self.assertTrue(r.header("Location").startswith("https://shop.test/sale"), (step, r.header("Location")))
        self.assertIn("tgr_ref=", r.header("Location"), step)

    def test_rotate_mid_campaign_then_retire(self):
        srv = self.server()
        api_key = srv.create_account("keys@shop.test", ts.PASSWORD)
        token = srv.login("keys@shop.test", ts.PASSWORD)
        account_id = srv.get("/account", token=token).json["id"]
        secret = srv.post("/account/webhook-secret", {}, token=token).json["webhook_secret"]
        connect_telegram(srv, token, ts.ME_PHONE, ts.CODE)
        self.assertTrue(wait_until(lambda: len(contacts_by_tg_id(srv, token)) == N, 20))

        # The first key is current: it cannot be retired.
        r = self.keys("retire", "1")
        self.assertEqual(r.returncode, 1, r.stdout)
        self.assertIn("current", r.stderr)
        self.assertEqual(self.status()["current"], 1)

        c = srv.post("/campaigns", {"name": "rot", "message_text": f"{MARK} {{{{first_name}}}} code "
                                    "{{discount_code}} <a href=\"https://shop.test/sale\">sale</a>",
                                    "discount_codes": {"mode": "pool", "codes": POOL}}, token=token)
        self.assertEqual(c.status, 201, c)
        cid = c.json["id"]
        self.assertEqual(srv.post(f"/campaigns/{cid}/start", {}, token=token).status, 200)
        self.assertTrue(wait_until(lambda: len(self.delivered()) >= 4, 20))

        # Rotate while the campaign runs, in small batches so that several transactions run.
        at_start = len(self.delivered())
        r = self.keys("rotate", "--batch", "7")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("made master key 2", r.stdout)
        self.assertIn("done:", r.stdout)
        resealed = int(re.search(r"done: (\d+) value", r.stdout).group(1))
        self.assertGreater(resealed, 3 * N, r.stdout)  # names, hashes, texts, codes, session …
        self.assertLess(at_start, N, "the campaign had finished before the rotation")
        st = self.status()
        self.assertEqual(st["current"], 2)
        self.assertEqual(st["total"].get("1"), 0, (st, r.stdout))
        self.assertEqual(st["keys"], [1, 2])
        self.assertEqual(st["index_keys"], "index.key")

        # The campaign finishes: every recipient exactly once, each with the right name and its own code.
        self.assertTrue(wait_until(lambda: srv.get(f"/campaigns/{cid}", token=token).json["status"] == "completed",
                                   60))
        got = self.delivered()
        self.assertEqual(sorted(x["user_id"] for x in got), sorted(u["id"] for u in self.USERS))
        first = {u["id"]: u["first_name"] for u in self.USERS}
        codes = []
        for x in got:
            m = re.match(rf"{MARK} (\S+) code (ROT-\d\d) sale$", x["text"])
            self.assertIsNotNone(m, x["text"])
            self.assertEqual(m.group(1), first[x["user_id"]])
            codes.append(m.group(2))
        self.assertEqual(sorted(codes), POOL)
        # A link sent before the rotation.
        urls = [e["url"] for e in got[0].get("entities") or [] if e.get("type") == "text_url"]
        self.assertEqual(len(urls), 1, got[0])
        self.assertTrue(urls[0].startswith("http://shop-links.test/t/"), urls)
        link_path = urls[0][len("http://shop-links.test"):]
        self.check_everything_opens(srv, token, api_key, account_id, secret, cid, link_path, "after rotate")
        self.assertEqual(self.status()["total"].get("1"), 0)

        # A second rotation killed after it made key 3 current: values under key 2 remain, so key 2
        # cannot be retired; key 1 (no value left) can.
        p = subprocess.Popen([tgrtest.BIN, "keys", "rotate", "--data", self.data],
                             env=tgrtest.clean_env(tgrtest.db_env(self.data)), cwd=tgrtest.REPO,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            for line in p.stdout:
                if line.startswith("key 3 is current"):
                    break
        finally:
            p.send_signal(signal.SIGKILL)
            p.communicate()
        st = self.status()
        self.assertEqual(st["current"], 3, st)
        self.assertGreater(st["total"].get("2", 0), 0, st)
        r = self.keys("retire", "2")
        self.assertEqual(r.returncode, 1, r.stdout)
        self.assertIn("still use key 2", r.stderr)
        self.assertTrue(os.path.exists(os.path.join(self.data, "master.2.key")))
        r = self.keys("retire", "1")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertFalse(os.path.exists(os.path.join(self.data, "master.key")))

        # Run again, it finishes the interrupted rotation (no new key) and key 2 can go.
        r = self.keys("rotate")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertNotIn("made master key", r.stdout)
        self.assertIn("still use older keys: re-sealing", r.stdout)
        st = self.status()
        self.assertEqual((st["current"], st["total"].get("2")), (3, 0), st)
        r = self.keys("retire", "2")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(self.status()["keys"], [3])
        self.check_everything_opens(srv, token, api_key, account_id, secret, cid, link_path, "after retire")

        # A server started again has only key 3 and index.key: everything still reads, and the
        # token issued at the start is still good.
        self.assertEqual(srv.stop(), 0)
        self.assertEqual(sorted(f for f in os.listdir(self.data) if f.endswith(".key")),
                         ["index.key", "master.3.key"])
        srv = self.server()
        self.check_everything_opens(srv, token, api_key, account_id, secret, cid, link_path, "after restart")
        self.assertNotIn("does not open", srv.stderr_text())
        st = self.status()
        self.assertEqual(set(st["total"]), {"3"}, st)
        self.assertEqual(st["not_sealed"], 0, st)
        self.assertEqual(srv.stop(), 0)


if __name__ == "__main__":
    unittest.main(verbosity=2)
