#!/usr/bin/env python3
"""test_scaleout — several `tgr serve` instances on one database (issue 8, DESIGN §4): each
account's sending is owned by one instance through a lease; HTTP works on any instance; when the
owner is SIGKILLed mid-campaign the other takes the lease over and finishes, and the simulator's
shared record shows every recipient exactly once, never two deliveries closer than the rate allows.

Both instances share the data directory (master key) and the cluster's PostgreSQL database
(TGR_TEST_PG; without it the test is skipped: several instances need PostgreSQL's LISTEN/NOTIFY
to hand Telegram work to the instance that runs the account's client). Each has its own
bridge and simulator process; the simulators share one record file, as DESIGN §6 describes.
Run: python3 tests/http/test_scaleout.py (CTest sets TGR_BIN)."""
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tgrtest  # noqa: E402
import test_sending as ts  # noqa: E402  (scenario helpers only; its test classes are not run here)
from tgrtest import (EventStream, Server, campaign_logs, connect_telegram, contacts_by_tg_id,  # noqa: E402
                     read_record, sim_args, wait_until, write_scenario)

RATE = 4  # messages per second per account
LEASE = 3  # seconds (the smallest allowed), so a takeover happens quickly


class InstancesCase(unittest.TestCase):
    """Instances a and b of `tgr serve` on one data directory and database, each with its own bridge
    and simulator, the simulators sharing one record file (also test_schedule's). Subclasses set
    USERS and ARGS (flags of both); STARTED names the instances running from the start."""

    USERS = []
    ARGS = []
    STARTED = ("a", "b")

    def setUp(self):
        self.work = tempfile.mkdtemp(prefix="tgrtest-instances-")
        self.scenario_path = write_scenario(self.work, ts.scenario(self.USERS))
        self.record_path = os.path.join(self.work, "deliveries.jsonl")
        self.data = os.path.join(self.work, "data")
        os.makedirs(self.data, mode=0o700)
        self.servers = {}
        for name in self.STARTED:
            self.servers[name] = self.new_server(name)
        for s in self.servers.values():
            s.start()

    def new_server(self, name):
        return Server(data=self.data, args=sim_args(self.scenario_path) + ["--instance-id", name, *self.ARGS])

    def tearDown(self):
        for s in self.servers.values():
            s.cleanup()
        tgrtest.pg_drop(self.data)
        shutil.rmtree(self.work, ignore_errors=True)


@unittest.skipUnless(tgrtest.PG_ADMIN_URL, "several instances need PostgreSQL (LISTEN/NOTIFY); runs as "
                     "http.test_scaleout.pg with TGR_TEST_PG")
class TwoInstances(InstancesCase):
    USERS = ts.make_users(40, "8810")
    ARGS = ["--send-rate", str(RATE), "--lease-seconds", str(LEASE)]

    def owners(self, account_id):
        """The instances that say (in their log) that they took the account's sending."""
        pat = re.compile(rf"instance (\w+) now sends for account {account_id}\b")
        return sorted({m.group(1) for s in self.servers.values() for m in pat.finditer(s.stderr_text())})

    def record(self, marker):
        """Deliveries to customers (not the test to Saved Messages) whose text holds marker."""
        return sorted((r for r in read_record(self.record_path)
                       if marker in (r.get("text") or "") and r["user_id"] != ts.ME_ID),
                      key=lambda r: r["at"])

    def test_owner_killed_mid_campaign_the_other_finishes_each_message_once(self):
        a, b = self.servers["a"], self.servers["b"]
        a.create_account("scale@shop.test", ts.PASSWORD)
        token_a = a.login("scale@shop.test", ts.PASSWORD)
        token_b = b.login("scale@shop.test", ts.PASSWORD)  # one account, any instance
        account_id = a.get("/account", token=token_a).json["id"]
        connect_telegram(a, token_a, ts.ME_PHONE, ts.CODE)
        self.assertTrue(wait_until(lambda: len(contacts_by_tg_id(b, token_b)) == 40, 30),
                        "the contacts synced through a are not all visible on b")

        # Created and started on b; the log streamed live from a.
        r = b.post("/campaigns", {"name": "Scale", "message_text": "Scale check {{first_name}}"}, token=token_b)
        self.assertEqual(r.status, 201, r)
        cid = r.json["id"]
        stream = EventStream(a, f"/campaigns/{cid}/logs", token=token_a)
        try:
            r = b.post(f"/campaigns/{cid}/start", {}, token=token_b)
            self.assertEqual((r.status, r.json["status"]), (200, "running"), r)
            self.assertTrue(wait_until(lambda: len(self.record("Scale check")) >= 6, 20), "no deliveries within 20 s")
            self.assertTrue(wait_until(lambda: len(stream.events) >= 3, 10),
                            "the log stream on one instance does not show what the other sends")
        finally:
            stream.close()

        # On PostgreSQL both instances listen for each other's wake-ups (LISTEN/NOTIFY).
        db = tgrtest.pg_database(self.data)
        if db:
            out = subprocess.run(["psql", db[1], "-Atc", "SELECT count(*) FROM pg_stat_activity WHERE "
                                  "datname = current_database() AND query = 'LISTEN \"tgr_wake\"'"],
                                 capture_output=True, text=True, timeout=30)
            self.assertEqual(out.stdout.strip(), "2", f"instances listening: {out.stdout} {out.stderr}")

        # Exactly one instance sends for the account.
        owners = self.owners(account_id)
        self.assertEqual(len(owners), 1, f"not exactly one instance took the account's lease: {owners}")
        first = owners[0]
        other = "b" if first == "a" else "a"

        # Pause on one instance and resume on the other: commands reach the owner through the database.
        r = self.servers[other].post(f"/campaigns/{cid}/pause", {}, token=token_a if other == "a" else token_b)
        self.assertEqual((r.status, r.json["status"]), (200, "paused"), r)
        time.sleep(1.0)  # a send already handed to the bridge may still land
        n_paused = len(self.record("Scale check"))
        time.sleep(1.5)
        self.assertEqual(len(self.record("Scale check")), n_paused, "the owner kept sending while paused")
        r = self.servers[first].post(f"/campaigns/{cid}/resume", {}, token=token_a if first == "a" else token_b)
        self.assertEqual((r.status, r.json["status"]), (200, "running"), r)

        # Telegram work asked of the other instance runs where the account's client is: one
        # session on two connections would be refused (AUTH_KEY_DUPLICATED, as the simulator does).
        tok_other = token_a if other == "a" else token_b
        saved_before = [r for r in read_record(self.record_path) if r["user_id"] == ts.ME_ID]
        r = self.servers[other].post(f"/campaigns/{cid}/test", {}, token=tok_other)
        self.assertEqual((r.status, (r.json or {}).get("status")), (200, "sent"), r)
        saved = [r for r in read_record(self.record_path) if r["user_id"] == ts.ME_ID]
        self.assertEqual(len(saved), len(saved_before) + 1, "the test message did not reach Saved Messages once")
        r = self.servers[other].post("/session/sync", {}, token=tok_other)
        self.assertEqual(r.status, 200, r)
        self.assertEqual(set(r.json), {"contacts_added", "contacts_updated", "messages_added"}, r.json)
        for s in self.servers.values():
            self.assertEqual(s.get("/session", token=token_a).json["status"], "connected")

        # Kill the owner right after Telegram took a message, before its outcome is written down.
        size = os.path.getsize(self.record_path)
        wait_until(lambda: os.path.getsize(self.record_path) > size, 5, step=0.001)
        self.servers[first].kill()
        killed_at = len(self.record("Scale check"))
        self.assertLess(killed_at, 40, "the campaign finished before the kill")

        survivor = self.servers[other]
        token = token_a if other == "a" else token_b
        ok = wait_until(lambda: survivor.get(f"/campaigns/{cid}", token=token).json["status"] == "completed",
                        60, step=0.2)
        a_now = survivor.get(f"/campaigns/{cid}/analytics", token=token).json
        self.assertTrue(ok, f"the surviving instance did not finish the campaign: {a_now}")
        self.assertIn(f"instance {other} now sends for account {account_id}", survivor.stderr_text(),
                      "the survivor never took the lease over")

        lines = self.record("Scale check")
        got = [r["user_id"] for r in lines]
        dups = sorted({u for u in got if got.count(u) > 1})
        self.assertEqual(dups, [], f"delivered twice after the kill at {killed_at}")
        self.assertEqual(sorted(got), sorted(u["id"] for u in self.USERS), "not every recipient exactly once")
        gaps = [(lines[i + 1]["at"] - lines[i]["at"]) for i in range(len(lines) - 1)]
        self.assertGreaterEqual(min(gaps), 1.0 / RATE * 0.95 * (1000 if lines[0]["at"] > 1e11 else 1),
                                f"two deliveries closer than the rate allows: {sorted(gaps)[:3]}")
        self.assertEqual((a_now["sent"], a_now["failed"], a_now["pending"]), (40, 0, 0), a_now)
        self.assertEqual([l["status"] for l in campaign_logs(survivor, token, cid)].count("sent"), 40)
        self.assertEqual(survivor.get("/session", token=token).json["status"], "connected",
                         "the session died: two instances ran one Telegram session at once")
        self.assertNotIn("AUTH_KEY_DUPLICATED", "".join(s.stderr_text() for s in self.servers.values()))


@unittest.skipUnless(tgrtest.PG_ADMIN_URL, "several instances need PostgreSQL")
class Rebalance(TwoInstances):
    """Accounts all logged in through a; b joins later and takes half of them over, each client
    moving without ever running on both (the simulator would answer AUTH_KEY_DUPLICATED).
    a's Telegram pool has one thread and room for one waiting job, so the stops of the three
    accounts it hands over cannot all be queued at once — as 500 stops could not fit its 256
    places with a thousand accounts: a stop that found the queue full was dropped, its lease ran
    out 30 s later with the client still running on a, and b's start met it."""

    USERS = ts.make_users(3, "8820")
    ACCOUNTS = 6
    test_owner_killed_mid_campaign_the_other_finishes_each_message_once = None  # TwoInstances' own
    # b joins later. Started and killed at once, it stayed live in the database for a lease, so a
    # took only its share of the first accounts, kept one above it, and b never got half.
    STARTED = ("a",)

    def new_server(self, name):
        env = {"TGR_TEST_MODE": "1", "TGR_TEST_TG_POOL": "1,1"} if name == "a" else None
        return Server(data=self.data, args=sim_args(self.scenario_path) + ["--instance-id", name, *self.ARGS],
                      env=env)

    def test_a_new_instance_takes_its_share_of_the_accounts(self):
        a = self.servers["a"]
        accounts = []
        for i in range(self.ACCOUNTS):
            a.create_account(f"share{i}@shop.test", ts.PASSWORD)
            token = a.login(f"share{i}@shop.test", ts.PASSWORD)
            connect_telegram(a, token, ts.ME_PHONE, ts.CODE)
            accounts.append((a.get("/account", token=token).json["id"], token))
        b = self.servers["b"] = self.new_server("b")
        b.start()
        taken = lambda: {aid for aid, _ in accounts  # noqa: E731
                         if f"instance b now sends for account {aid}" in b.stderr_text()}
        half = self.ACCOUNTS // 2
        self.assertTrue(wait_until(lambda: len(taken()) == half, 20),
                        f"b took {sorted(taken())} of {self.ACCOUNTS} accounts\n--- a:\n{a.stderr_text()[-6000:]}"
                        f"\n--- b:\n{b.stderr_text()[-6000:]}")
        time.sleep(2 * LEASE)
        self.assertEqual(len(taken()), half, "b took more than its share")
        for aid, token in accounts:
            self.assertEqual(a.get("/session", token=token).json["status"], "connected", aid)
        # Each account works from either instance: a test message from each, asked of b.
        for aid, token in accounts:
            c = b.post("/campaigns", {"name": "t", "message_text": f"Share check {aid}"}, token=token).json
            r = b.post(f"/campaigns/{c['id']}/test", {}, token=token)
            self.assertEqual((r.status, (r.json or {}).get("status")), (200, "sent"), (aid, r))
        self.assertNotIn("AUTH_KEY_DUPLICATED", a.stderr_text() + b.stderr_text())


if __name__ == "__main__":
    unittest.main(verbosity=2)
