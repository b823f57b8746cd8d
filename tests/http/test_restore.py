#!/usr/bin/env python3
"""test_restore — a database put back to an older copy sends nothing twice (DESIGN §4, issue 9
"backup"): a campaign runs, the server stops mid-campaign, the data directory is copied (the
"backup"), the campaign finishes, and then the old copy is put back and the server started on
it. The rows the old copy still has as pending were delivered after the copy was taken; they are
sent again with the same Telegram random_id (derived from campaign, contact and step, not drawn at
random), so Telegram — the simulator's record — has each message exactly once.

On PostgreSQL (TGR_TEST_PG) the copy is the database itself (CREATE DATABASE … TEMPLATE).
Run: python3 tests/http/test_restore.py (CTest sets TGR_BIN)."""
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tgrtest  # noqa: E402
import test_sending as ts  # noqa: E402
from tgrtest import Server, connect_telegram, contacts_by_tg_id, read_record, sim_args, wait_until, write_scenario  # noqa: E402


class RestoreTest(unittest.TestCase):
    USERS = ts.make_users(30, "8830")

    def setUp(self):
        self.work = tempfile.mkdtemp(prefix="tgrtest-restore-")
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
        self.srv = Server(data=self.data, args=sim_args(self.scenario_path) + ["--send-rate", "10"])
        self.srv.start()
        return self.srv

    def delivered(self):
        return [r for r in read_record(self.record_path) if "Restore check" in (r.get("text") or "")]

    def copy_db(self, to):
        db = tgrtest.pg_database(self.data)
        if db:
            name = db[0] + "_copy"
            subprocess.run(["psql", tgrtest.PG_ADMIN_URL, "-qc", f"CREATE DATABASE {name} TEMPLATE {db[0]}"],
                           check=True, capture_output=True)
            return name
        shutil.copytree(self.data, to)
        return to

    def put_back(self, copy):
        db = tgrtest.pg_database(self.data)
        if db:
            subprocess.run(["psql", tgrtest.PG_ADMIN_URL, "-qc", f"DROP DATABASE {db[0]} WITH (FORCE)"],
                           check=True, capture_output=True)
            subprocess.run(["psql", tgrtest.PG_ADMIN_URL, "-qc", f"ALTER DATABASE {copy} RENAME TO {db[0]}"],
                           check=True, capture_output=True)
        else:
            shutil.rmtree(self.data)
            shutil.copytree(copy, self.data)

    def test_an_older_copy_put_back_delivers_nothing_twice(self):
        srv = self.server()
        srv.create_account("restore@shop.test", ts.PASSWORD)
        token = srv.login("restore@shop.test", ts.PASSWORD)
        connect_telegram(srv, token, ts.ME_PHONE, ts.CODE)
        self.assertTrue(wait_until(lambda: len(contacts_by_tg_id(srv, token)) == 30, 20))
        c = srv.post("/campaigns", {"name": "r", "message_text": "Restore check {{first_name}}"}, token=token).json
        self.assertEqual(srv.post(f"/campaigns/{c['id']}/start", {}, token=token).status, 200)
        self.assertTrue(wait_until(lambda: len(self.delivered()) >= 8, 20))
        self.assertEqual(srv.stop(), 0)
        at_copy = len(self.delivered())
        self.assertLess(at_copy, 30)
        copy = self.copy_db(os.path.join(self.work, "copy"))

        srv = self.server()
        ok = wait_until(lambda: srv.get(f"/campaigns/{c['id']}", token=srv.login("restore@shop.test", ts.PASSWORD))
                        .json["status"] == "completed", 60, step=0.5)
        self.assertTrue(ok, "the campaign did not finish")
        self.assertEqual(srv.stop(), 0)
        self.assertEqual(len(self.delivered()), 30)

        # The old copy comes back: it believes the messages after the copy are still to send.
        self.put_back(copy)
        srv = self.server()
        token = srv.login("restore@shop.test", ts.PASSWORD)
        ok = wait_until(lambda: srv.get(f"/campaigns/{c['id']}", token=token).json["status"] == "completed", 60,
                        step=0.5)
        self.assertTrue(ok, srv.get(f"/campaigns/{c['id']}/analytics", token=token).json)
        got = [r["user_id"] for r in self.delivered()]
        self.assertEqual(sorted(set(got)), sorted(u["id"] for u in self.USERS))
        self.assertEqual(len(got), 30, f"delivered twice after the restore of a copy taken at {at_copy}")
        a = srv.get(f"/campaigns/{c['id']}/analytics", token=token).json
        self.assertEqual((a["sent"], a["failed"], a["pending"]), (30, 0, 0), a)


if __name__ == "__main__":
    unittest.main(verbosity=2)
