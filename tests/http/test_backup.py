#!/usr/bin/env python3
"""test_backup — `tgr backup` and `tgr restore` (issue 9, SQLite; PostgreSQL uses pg_dump and this
test skips itself there): a backup taken with the CLI while a campaign is sending is a consistent,
private (0600) copy holding no customer data in clear; restore refuses a damaged file, a data
directory that already has a database, a missing or wrong master key; a backup restored into a new
data directory resumes the campaign, and the messages sent after the backup are not sent twice
(the simulator's record has every recipient once). Run: python3 tests/http/test_backup.py."""
import base64
import os
import shutil
import stat
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tgrtest  # noqa: E402
import test_sending as ts  # noqa: E402
from tgrtest import (Server, clean_env, connect_telegram, contacts_by_tg_id, read_record, run_cli, sim_args,  # noqa: E402
                     wait_until, write_scenario)


@unittest.skipIf(tgrtest.PG_ADMIN_URL, "PostgreSQL is backed up with pg_dump (README); tgr backup copies SQLite")
class BackupTest(unittest.TestCase):
    USERS = ts.make_users(30, "8840")

    def setUp(self):
        self.work = tempfile.mkdtemp(prefix="tgrtest-backup-")
        self.scenario_path = write_scenario(self.work, ts.scenario(self.USERS))
        self.record_path = os.path.join(self.work, "deliveries.jsonl")
        self.servers = []

    def tearDown(self):
        for s in self.servers:
            s.cleanup()
        shutil.rmtree(self.work, ignore_errors=True)

    def server(self, data):
        s = Server(data=data, args=sim_args(self.scenario_path) + ["--send-rate", "5"])
        self.servers.append(s)
        s.start()
        return s

    def delivered(self):
        return [r for r in read_record(self.record_path) if "Backup check" in (r.get("text") or "")]

    def cli(self, *args, env=None):
        return run_cli(*args, env=env)

    def test_backup_while_sending_then_restore_resumes_without_duplicates(self):
        data = os.path.join(self.work, "data")
        srv = self.server(data)
        srv.create_account("backup@shop.test", ts.PASSWORD)
        token = srv.login("backup@shop.test", ts.PASSWORD)
        connect_telegram(srv, token, ts.ME_PHONE, ts.CODE)
        self.assertTrue(wait_until(lambda: len(contacts_by_tg_id(srv, token)) == 30, 20))
        c = srv.post("/campaigns", {"name": "b", "message_text": "Backup check {{first_name}}"}, token=token).json
        self.assertEqual(srv.post(f"/campaigns/{c['id']}/start", {}, token=token).status, 200)
        self.assertTrue(wait_until(lambda: len(self.delivered()) >= 8, 20))

        backup = os.path.join(self.work, "tgr-backup.db")
        r = self.cli("backup", backup, "--data", data)
        at_backup = len(self.delivered())
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("backed up", r.stdout)
        self.assertEqual(stat.S_IMODE(os.stat(backup).st_mode), 0o600)
        self.assertLess(at_backup, 30, "the campaign finished before the backup")
        with open(backup, "rb") as f:
            blob = f.read()
        for u in self.USERS[:5]:
            self.assertNotIn(u["first_name"].encode(), blob, "a customer's name is in the backup in clear")
        self.assertTrue(wait_until(lambda: srv.get(f"/campaigns/{c['id']}", token=token).json["status"]
                                   == "completed", 60, step=0.5))
        self.assertEqual(srv.stop(), 0)
        self.assertEqual(len(self.delivered()), 30)

        # Refusals, each with one clear line and nothing written.
        new = os.path.join(self.work, "restored")
        r = self.cli("restore", backup, "--data", new)
        self.assertEqual(r.returncode, 1)
        self.assertIn("master key", r.stderr)
        self.assertFalse(os.path.exists(os.path.join(new, "tgr.db")))
        junk = os.path.join(self.work, "junk.db")
        with open(junk, "wb") as f:
            f.write(b"not a database" * 100)
        shutil.copy(os.path.join(data, "master.key"), os.path.join(new, "master.key"))
        r = self.cli("restore", junk, "--data", new)
        self.assertEqual(r.returncode, 1)
        self.assertIn("tgr", r.stderr)
        self.assertFalse(os.path.exists(os.path.join(new, "tgr.db")))
        other = base64.b64encode(os.urandom(32)).decode()
        r = self.cli("restore", backup, "--data", new, env=clean_env({"TGR_MASTER_KEY": other}))
        self.assertEqual(r.returncode, 1)
        self.assertIn("does not open this backup", r.stderr)
        self.assertFalse(os.path.exists(os.path.join(new, "tgr.db")))
        r = self.cli("restore", backup, "--data", data)
        self.assertEqual(r.returncode, 1)
        self.assertIn("already exists", r.stderr)
        r = self.cli("restore", "--data", new)
        self.assertEqual(r.returncode, 2)

        # The real restore; the server on it resumes the campaign from the backup's state.
        r = self.cli("restore", backup, "--data", new)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(stat.S_IMODE(os.stat(os.path.join(new, "tgr.db")).st_mode), 0o600)
        srv = self.server(new)
        token = srv.login("backup@shop.test", ts.PASSWORD)
        names = {x["first_name"] for x in contacts_by_tg_id(srv, token).values()}
        self.assertEqual(names, {u["first_name"] for u in self.USERS}, "the restored contacts do not decrypt")
        ok = wait_until(lambda: srv.get(f"/campaigns/{c['id']}", token=token).json["status"] == "completed", 60,
                        step=0.5)
        self.assertTrue(ok, srv.get(f"/campaigns/{c['id']}/analytics", token=token).json)
        got = [x["user_id"] for x in self.delivered()]
        self.assertEqual(len(got), 30, f"sent twice after restoring a backup taken at {at_backup} deliveries")
        self.assertEqual(sorted(got), sorted(u["id"] for u in self.USERS))
        a = srv.get(f"/campaigns/{c['id']}/analytics", token=token).json
        self.assertEqual((a["sent"], a["pending"]), (30, 0), a)

    def test_postgres_url_is_pointed_to_pg_dump(self):
        r = self.cli("backup", os.path.join(self.work, "x.db"), "--db", "postgres://u@127.0.0.1:1/x")
        self.assertEqual(r.returncode, 2)
        self.assertIn("pg_dump", r.stderr)


if __name__ == "__main__":
    unittest.main(verbosity=2)
