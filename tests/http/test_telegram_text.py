#!/usr/bin/env python3
"""test_telegram_text — text Telegram passes on that JSON parsers dislike (issue 13, item 6).

A Telegram client can put U+0000 or an unpaired surrogate (half of an emoji) into a name or a
message, and Telegram passes it on. Before the fix, the bridge wrote such text as "\\u0000" and
"\\ud800" escapes, jansson refused the whole line, and the account's sync timed out on every
retry. Now the bridge writes U+FFFD instead, and the C side reads a "\\u0000" as U+FFFD too
(docs/BRIDGE-PROTOCOL.md "Text"). The simulated Telegram's scenario holds these characters in a
contact's names and messages and in a live message; the sync completes, the contacts are listed
with U+FFFD where the characters were, and the server stays up.

Drives the real binary and its real bridge child through tests/http/tgrtest.py.
Run: python3 tests/http/test_telegram_text.py (CTest sets TGR_BIN).
"""
import json
import os
import shutil
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tgrtest import Server, sim_args, wait_until  # noqa: E402

PASSWORD = "correct horse battery staple 42"
CODE = "80417"
ME_PHONE = "+15550006190"
FFFD = "\ufffd"

SCENARIO = {
    "me": {"id": "6190", "first_name": "Odd Text Shop", "phone": ME_PHONE},
    "login": {"code": CODE},
    "users": [
        # Names and messages with U+0000 and lone surrogates (high and low), in the same page as
        # an ordinary contact: one bad name must not cost the others.
        {"id": "3401", "access_hash": "77401", "first_name": "Zo\u0000e\ud800", "last_name": "\udc00",
         "username": "zoe_odd", "messages": [{"text": "where\u0000 is my order \ud800?", "ago_seconds": 900},
                                             {"text": "\ud83d\ude42 thanks\u0000", "ago_seconds": 800}]},
        {"id": "3402", "access_hash": "77402", "first_name": "Olga", "last_name": "Plain",
         "messages": [{"text": "Do you ship to Riga?", "ago_seconds": 700}]},
        # No history: the live message below makes them a contact (the event path).
        {"id": "3403", "access_hash": "77403", "first_name": "\u0000Live\ud800"},
    ],
    "inbound": [{"user": "3403", "text": "STOP\u0000 \udbff", "after_seconds": 1}],
    "record": "deliveries.jsonl",
}


def write_scenario_escaped(dirpath):
    """The scenario as JSON with \\u escapes (UTF-8 cannot hold a lone surrogate), as a scenario
    file written by hand would hold them."""
    path = os.path.join(dirpath, "scenario.json")
    with open(path, "w", encoding="ascii") as f:
        json.dump(SCENARIO, f, ensure_ascii=True, indent=1)
    return path


class OddTextTest(unittest.TestCase):
    def setUp(self):
        self.work = tempfile.mkdtemp(prefix="tgrtest-tg-text-")
        self.addCleanup(shutil.rmtree, self.work, True)
        path = write_scenario_escaped(self.work)
        with open(path, encoding="ascii") as f:
            raw = f.read()
        self.assertIn("\\u0000", raw)
        self.assertIn("\\ud800", raw)
        self.srv = Server(args=sim_args(path))
        self.addCleanup(self.srv.cleanup)
        self.srv.start()

    def contacts(self, token):
        r = self.srv.get("/contacts?limit=100", token=token)
        self.assertEqual(r.status, 200, r)
        return {c["tg_user_id"]: c for c in r.json["contacts"]}

    def test_sync_of_names_and_messages_with_nul_and_lone_surrogates(self):
        self.srv.create_account("odd@shop.test", PASSWORD)
        token = self.srv.login("odd@shop.test", PASSWORD)
        r = self.srv.post("/session/connect", {"phone": ME_PHONE}, token=token)
        self.assertEqual(r.status, 200, r)
        r = self.srv.post("/session/verify", {"code": CODE}, token=token)
        self.assertEqual(r.status, 200, r)

        # The sync that runs by itself after verify, and the live message: every contact shows.
        def arrived():
            got = self.contacts(token)
            return got if {"3401", "3402", "3403"} <= set(got) else None

        got = wait_until(arrived, 20)
        self.assertTrue(got, f"contacts after 20 s: {sorted(self.contacts(token))}; "
                             f"stderr: {self.srv.stderr_tail(10)}")
        zoe, olga, live = got["3401"], got["3402"], got["3403"]
        self.assertEqual((zoe["first_name"], zoe["last_name"], zoe["username"], zoe["messages_count"]),
                         (f"Zo{FFFD}e{FFFD}", FFFD, "zoe_odd", 2))
        self.assertEqual((olga["first_name"], olga["last_name"], olga["messages_count"]), ("Olga", "Plain", 1))
        self.assertEqual((live["first_name"], live["messages_count"]), (f"{FFFD}Live{FFFD}", 1))
        one = self.srv.get(f"/contacts/{zoe['id']}", token=token)
        self.assertEqual((one.status, one.json), (200, zoe))

        # A sync asked for by hand completes (before the fix it timed out, every time).
        r = self.srv.post("/session/sync", token=token)
        self.assertEqual(r.status, 200, r)
        self.assertEqual((r.json["contacts_added"], r.json["messages_added"]), (0, 0), r)
        self.assertEqual({k: c["messages_count"] for k, c in self.contacts(token).items()},
                         {"3401": 2, "3402": 1, "3403": 1})
        self.assertTrue(self.srv.healthy())
        self.assertEqual(self.srv.stop(), 0, self.srv.stderr_tail(20))


if __name__ == "__main__":
    unittest.main()
