#!/usr/bin/env python3
"""test_logs — `--log-format json` (TGR_LOG_FORMAT; issue 20 item 4, README "Configuration"):
with it every line `tgr serve` writes on stderr, its bridge's relayed lines included, is one
JSON object with time (RFC 3339 UTC, milliseconds), level, module and message, plus account
(a number) on lines about one account, whose message then drops its "account N: " prefix. A
run that logs in wrongly and rightly, connects the simulated Telegram and syncs its contacts
logs no secret (password, API key, login token, metrics token, the Telegram login code) and
no person's data (the scenario's names, phones, usernames, message texts). A format other than
text or json is a usage error. Run: python3 tests/http/test_logs.py (CTest sets TGR_BIN).
"""
import json
import os
import re
import shutil
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tgrtest import (REPO, Server, connect_telegram, contacts_by_tg_id, run_cli, scenario_strings,  # noqa: E402
                     sim_args, wait_until, write_scenario)

PASSWORD = "log-test-" + os.urandom(8).hex()
TOKEN = "mt-" + os.urandom(24).hex()
TIME_RE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


class JsonLogs(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        with open(os.path.join(REPO, "scenarios", "demo.json"), encoding="utf-8") as f:
            cls.scenario = json.load(f)
        cls.work = tempfile.mkdtemp(prefix="tgr-logs-")
        path = write_scenario(cls.work, cls.scenario)
        cls.srv = Server(args=sim_args(path) + ["--log-format", "json", "--log-level", "debug"],
                         env={"TGR_METRICS_TOKEN": TOKEN})
        cls.srv.start()
        try:
            cls.api_key = cls.srv.create_account("logs@example.com", PASSWORD)
            r = cls.srv.post("/auth/login", {"email": "logs@example.com", "password": PASSWORD + "x"})
            assert r.status == 401, r
            cls.token = cls.srv.login("logs@example.com", PASSWORD)
            me = cls.srv.get("/account", token=cls.token).json
            cls.account_id = me.get("id") or me.get("account", {}).get("id")
            connect_telegram(cls.srv, cls.token, cls.scenario["me"]["phone"], cls.scenario["login"]["code"])
            wait_until(lambda: len(contacts_by_tg_id(cls.srv, cls.token)) > 0, 30)
            cls.srv.get("/metrics", headers={"Authorization": "Bearer " + TOKEN})
        finally:
            cls.rc = cls.srv.stop()
        cls.stderr = cls.srv.stderr_text()
        cls.srv.cleanup()
        shutil.rmtree(cls.work, ignore_errors=True)

    def lines(self):
        return [l for l in self.stderr.split("\n") if l]

    def test_every_line_is_one_json_object(self):
        self.assertEqual(self.rc, 0)
        self.assertGreater(len(self.lines()), 5)
        modules = set()
        for line in self.lines():
            with self.subTest(line=line[:120]):
                obj = json.loads(line)
                self.assertIsInstance(obj, dict)
                self.assertLessEqual({"time", "level", "module", "message"}, set(obj))
                self.assertLessEqual(set(obj), {"time", "level", "module", "message", "account"})
                self.assertRegex(obj["time"], TIME_RE)
                self.assertIn(obj["level"], ("debug", "info", "warn", "error"))
                self.assertTrue(obj["module"])
                modules.add(obj["module"])
                if "account" in obj:
                    self.assertIsInstance(obj["account"], int)
                    self.assertFalse(obj["message"].startswith("account "))
        self.assertIn("bridge", modules)  # the bridge's own lines, relayed
        self.assertIn("serve", modules)

    def test_account_lines_carry_the_account(self):
        about = [json.loads(l) for l in self.lines() if '"account":' in l]
        self.assertTrue(about, "no line named the account")
        self.assertIn(self.account_id, {o["account"] for o in about})
        self.assertTrue(any(o["message"] == "Telegram session started" for o in about), about)

    def test_no_secret_nor_persons_data(self):
        secrets = {PASSWORD, self.api_key, self.token, TOKEN, self.scenario["login"]["code"]}
        # Short texts ("stop", "ok") and the service account's name "Telegram" are words of the log.
        persons = {s for s in scenario_strings(self.scenario) if len(s) >= 6 and s != "Telegram"}
        for s in sorted(secrets | persons):
            with self.subTest(s=s[:40]):
                self.assertNotIn(json.dumps(s)[1:-1], self.stderr)
                self.assertNotIn(s, self.stderr)

    def test_bad_format_is_a_usage_error(self):
        r = run_cli("migrate", "--data", os.path.join(self.work or "/nonexistent", "x"), "--log-format", "xml")
        self.assertEqual(r.returncode, 2)
        self.assertIn("--log-format", r.stderr)


if __name__ == "__main__":
    unittest.main(verbosity=2)
