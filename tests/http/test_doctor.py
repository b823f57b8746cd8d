#!/usr/bin/env python3
"""test_doctor — `tgr doctor` (issue 20 item 3, README "tgr doctor"): on a data directory a
server has run on, with a writable copy of the simulator's scenario, every check passes (✓ lines,
exit 0); a master key readable by the group, a database not migrated, a bridge without its npm
modules and a gramjs backend without API credentials each make exactly that check fail with a
fix line, and exit 1; a bad flag is a usage error (2). With $TGR_TEST_PG (the .pg variant) the
database and clock checks run against PostgreSQL. Run: python3 tests/http/test_doctor.py.
"""
import os
import shutil
import sqlite3
import stat
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tgrtest import PG_ADMIN_URL, REPO, Server, run_cli  # noqa: E402


class Doctor(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.work = tempfile.mkdtemp(prefix="tgr-doctor-")
        cls.scenario = os.path.join(cls.work, "demo.json")
        shutil.copy(os.path.join(REPO, "scenarios", "demo.json"), cls.scenario)
        cls.srv = Server(args=["--sim-scenario", cls.scenario])
        cls.srv.start()
        assert cls.srv.stop() == 0
        cls.data = cls.srv.data

    @classmethod
    def tearDownClass(cls):
        cls.srv.cleanup()
        shutil.rmtree(cls.work, ignore_errors=True)

    def doctor(self, *args, data=None, env=None):
        r = run_cli("doctor", "--data", data or self.data, "--sim-scenario", self.scenario, *args, env=env)
        lines = [l for l in r.stdout.splitlines() if l.startswith(("✓", "✗"))]
        return r, lines

    def failed(self, lines):
        return [l.split()[1] for l in lines if l.startswith("✗")]

    def test_good_setup_passes(self):
        r, lines = self.doctor()
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        names = [l.split()[1] for l in lines]
        for check in ("settings", "data", "master", "database", "clock", "node", "bridge", "telegram", "media", "disk"):
            self.assertIn(check, names)
        self.assertEqual(self.failed(lines), [])
        self.assertIn("all %d checks passed" % len(lines), r.stdout)
        self.assertIn("PostgreSQL" if PG_ADMIN_URL else "SQLite", r.stdout)

    def test_key_file_readable_by_group_fails(self):
        key = os.path.join(self.data, "master.key")
        os.chmod(key, 0o640)
        try:
            r, lines = self.doctor()
        finally:
            os.chmod(key, 0o600)
        self.assertEqual(r.returncode, 1)
        self.assertEqual(self.failed(lines), ["master"])
        self.assertIn("fix: chmod 600 " + key, r.stdout)
        self.assertIn("1 of %d checks failed" % len(lines), r.stdout)

    def test_unmigrated_database_fails(self):
        data = os.path.join(self.work, "unmigrated")
        os.mkdir(data, 0o700)
        shutil.copy(os.path.join(self.data, "master.key"), data)
        if not PG_ADMIN_URL:  # an SQLite file without tgr's schema (PostgreSQL: a new, empty database)
            sqlite3.connect(os.path.join(data, "tgr.db")).execute("CREATE TABLE other (x)").connection.close()
        r, lines = self.doctor(data=data)
        self.assertEqual(r.returncode, 1)
        self.assertEqual(self.failed(lines), ["database"])
        self.assertRegex(r.stdout, r"schema 0 of \d+: not migrated")
        self.assertIn("fix: tgr migrate", r.stdout)

    def test_bridge_without_node_modules_fails(self):
        bridge = os.path.join(self.work, "bridge")
        os.makedirs(bridge, exist_ok=True)
        for f in ("main.mjs", "package.json"):
            shutil.copy(os.path.join(REPO, "bridge", f), bridge)
        r, lines = self.doctor("--bridge", os.path.join(bridge, "main.mjs"))
        self.assertEqual(r.returncode, 1)
        self.assertEqual(self.failed(lines), ["bridge"])
        self.assertIn("telegram@", r.stdout)
        self.assertIn("npm ci", r.stdout)

    def test_gramjs_without_credentials_fails(self):
        r, lines = self.doctor("--telegram", "gramjs")
        self.assertEqual(r.returncode, 1)
        self.assertEqual(self.failed(lines), ["telegram"])
        self.assertIn("TG_API_ID", r.stdout)
        r, lines = self.doctor("--telegram", "gramjs",
                               env={"TG_API_ID": "12345", "TG_API_HASH": "0123456789abcdef0123456789abcdef"})
        self.assertEqual(r.returncode, 0, r.stdout)

    def test_env_file_and_usage(self):
        env_file = os.path.join(self.work, "tgr.env")
        with open(env_file, "w") as f:
            f.write("# comment\n\nTGR_TELEGRAM=gramjs\n#TG_API_ID=1\n")
        for args in (["--env-file", env_file], ["--env-file=" + env_file]):
            r, lines = self.doctor(*args)
            self.assertEqual(self.failed(lines), ["telegram"], args)
        r, _ = self.doctor("--no-such-flag")
        self.assertEqual(r.returncode, 2)
        self.assertIn("--no-such-flag", r.stderr)


if __name__ == "__main__":
    unittest.main(verbosity=2)
