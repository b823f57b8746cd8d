"""test_installed — the Debian package as an admin gets it (CTest pkg.installed, after pkg.build).

$TGR_DEB (the .deb scripts/deb.sh built) is installed with `dpkg --root` into a throwaway root,
its maintainer scripts run as dpkg runs them there (--force-script-chrootless, DPKG_ROOT), so the
`tgr` user, /var/lib/tgr and /etc/tgr/tgr.env come from the package itself. Then:
- the unit: `systemd-analyze verify` (no complaint at all) and `systemd-analyze security`
  (exposure at most 2.5, printed);
- the installed binary, from the root's /usr/bin with the working directory at the root (no
  source tree in reach), as the package's `tgr` user: --version, migrate, and a `tgr serve` that
  tells systemd READY=1 over $NOTIFY_SOCKET, answers /healthz, serves the installed web app,
  starts the installed bridge with its node_modules (GramJS), and says STOPPING=1 on SIGTERM;
  then `tgr doctor` passes every check;
- /etc/tgr/tgr.env names every variable of `tgr serve --help`, all commented out.
Dependencies are not installed into the root (--force-depends): the host's libraries and node
stand in for them, as the package's Depends would bring them. Standard library only.
"""
import glob
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
import unittest
import urllib.request

DEB = os.environ.get("TGR_DEB", "")
MAX_EXPOSURE = 2.5


def run(cmd, **kw):
    kw.setdefault("stdout", subprocess.PIPE)
    kw.setdefault("stderr", subprocess.STDOUT)
    kw.setdefault("text", True)
    kw.setdefault("timeout", 120)
    return subprocess.run(cmd, **kw)


class Installed(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if not os.path.isfile(DEB):
            raise unittest.SkipTest("TGR_DEB is not a built package: " + DEB)
        cls.root = tempfile.mkdtemp(prefix="tgr-root-")
        os.chmod(cls.root, 0o755)  # the tgr user must reach /usr/bin inside it
        os.makedirs(os.path.join(cls.root, "var/lib/dpkg/info"))
        os.makedirs(os.path.join(cls.root, "var/lib/dpkg/updates"))
        open(os.path.join(cls.root, "var/lib/dpkg/status"), "w").close()
        r = run(["dpkg", "--root=" + cls.root, "--force-depends", "--force-script-chrootless", "-i", DEB])
        if r.returncode != 0:
            raise AssertionError("dpkg --root -i failed:\n" + r.stdout)
        cls.bin = os.path.join(cls.root, "usr/bin/tgr")
        cls.uid = cls.gid = None
        with open(os.path.join(cls.root, "etc/passwd")) as f:
            for line in f:
                p = line.split(":")
                if p[0] == "tgr":
                    cls.uid, cls.gid = int(p[2]), int(p[3])
        cls.data = os.path.join(cls.root, "var/lib/tgr")

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.root, ignore_errors=True)

    def as_tgr(self, *args):
        """The installed binary run as the package's user, cwd at the root, a clean environment."""
        return ["setpriv", "--reuid=%d" % self.uid, "--regid=%d" % self.gid, "--clear-groups", self.bin, *args]

    def env(self, **extra):
        env = {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", "TGR_DATA": self.data}
        env.update(extra)
        return env

    # ---- what the maintainer scripts made -------------------------------------------------

    def test_user_data_dir_and_config(self):
        self.assertIsNotNone(self.uid, "postinst made no tgr user")
        st = os.stat(self.data)
        self.assertEqual(st.st_mode & 0o7777, 0o700)
        self.assertEqual((st.st_uid, st.st_gid), (self.uid, self.gid))
        env_file = os.path.join(self.root, "etc/tgr/tgr.env")
        st = os.stat(env_file)
        self.assertEqual(st.st_mode & 0o7777, 0o640)
        self.assertEqual((st.st_uid, st.st_gid), (0, self.gid))
        with open(os.path.join(self.root, "var/lib/dpkg/info/tgr.conffiles")) as f:
            self.assertIn("/etc/tgr/tgr.env", f.read().split())

    def test_env_file_documents_every_setting_commented_out(self):
        with open(os.path.join(self.root, "etc/tgr/tgr.env")) as f:
            text = f.read()
        active = [l for l in text.splitlines() if l.strip() and not l.lstrip().startswith("#")]
        self.assertEqual(active, [], "every setting must be commented out")
        documented = set(re.findall(r"^#([A-Z][A-Z0-9_]+)=", text, re.M))
        helptext = run([self.bin, "serve", "--help"]).stdout
        wanted = set(re.findall(r"\b(TGR_[A-Z0-9_]+)\b", helptext)) | {
            "TGR_MASTER_KEY", "TGR_METRICS_TOKEN", "TG_API_ID", "TG_API_HASH", "TGR_LOG_FORMAT"}
        self.assertEqual(sorted(wanted - documented), [])

    # ---- the unit ----------------------------------------------------------------------------

    def unit_root(self):
        """systemd-analyze --root needs the targets the unit names: the host's, copied in."""
        units = os.path.join(self.root, "usr/lib/systemd/system")
        os.makedirs(units, exist_ok=True)
        for f in glob.glob("/lib/systemd/system/*.target") + glob.glob("/lib/systemd/system/*.slice"):
            if not os.path.exists(os.path.join(units, os.path.basename(f))):
                shutil.copy(f, units)
        return self.root

    def test_unit_verifies(self):
        self.assertTrue(os.path.isfile(os.path.join(self.root, "lib/systemd/system/tgr.service")))
        r = run(["systemd-analyze", "verify", "--root=" + self.unit_root(), "tgr.service"])
        self.assertEqual((r.returncode, r.stdout.strip()), (0, ""), r.stdout)

    def test_unit_exposure(self):
        r = run(["systemd-analyze", "security", "--offline=true", "--root=" + self.unit_root(),
                 "--threshold=%d" % int(MAX_EXPOSURE * 10), "tgr.service"])
        m = re.search(r"Overall exposure level for tgr.service: ([0-9.]+) (\w+)", r.stdout)
        self.assertIsNotNone(m, r.stdout[-2000:])
        print("systemd-analyze security: exposure %s %s (at most %.1f)" % (m.group(1), m.group(2), MAX_EXPOSURE))
        self.assertLessEqual(float(m.group(1)), MAX_EXPOSURE)
        self.assertEqual(m.group(2), "OK")
        self.assertEqual(r.returncode, 0)

    # ---- the installed binary ------------------------------------------------------------------

    def test_version_matches_package(self):
        r = run(self.as_tgr("--version"), env=self.env(), cwd=self.root)
        self.assertEqual(r.returncode, 0, r.stdout)
        version = re.search(r"tgr_([^_]+)_amd64\.deb$", DEB).group(1)
        self.assertRegex(r.stdout, r"^tgr %s \(" % re.escape(version))

    def test_migrate_then_serve_from_installed_paths(self):
        r = run(self.as_tgr("migrate"), env=self.env(), cwd=self.root)
        self.assertEqual(r.returncode, 0, r.stdout)
        self.assertIn("the database is up to date", r.stdout)
        self.assertTrue(os.path.isfile(os.path.join(self.data, "tgr.db")))

        sockdir = tempfile.mkdtemp(prefix="tgr-notify-")
        os.chmod(sockdir, 0o755)
        notify_path = os.path.join(sockdir, "notify")
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        sock.bind(notify_path)
        os.chmod(notify_path, 0o777)
        sock.settimeout(30)
        # As the unit runs it: the unit's defaults (gramjs), fake API credentials (nothing connects
        # to Telegram until an account logs in), the bridge and web app found beside the binary.
        env = self.env(TGR_TELEGRAM="gramjs", TG_API_ID="12345", TG_API_HASH="0123456789abcdef0123456789abcdef",
                       NOTIFY_SOCKET=notify_path)
        proc = subprocess.Popen(self.as_tgr("serve", "--listen", "127.0.0.1:0"), env=env, cwd=self.root,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        err = []
        reader = threading.Thread(target=lambda: err.extend(iter(proc.stderr.readline, "")), daemon=True)
        reader.start()
        try:
            line = proc.stdout.readline()
            m = re.match(r"listening on http://127\.0\.0\.1:(\d+)", line)
            self.assertIsNotNone(m, line + "".join(err))
            port = int(m.group(1))
            ready = sock.recv(4096).decode()
            self.assertIn("READY=1", ready.split("\n"))
            with urllib.request.urlopen("http://127.0.0.1:%d/healthz" % port, timeout=10) as resp:
                self.assertEqual(resp.status, 200)
                self.assertIn(b'"ok":true', resp.read().replace(b" ", b""))
            with urllib.request.urlopen("http://127.0.0.1:%d/" % port, timeout=10) as resp:
                self.assertEqual(resp.status, 200)
                self.assertIn(b"<script", resp.read())
            # The installed bridge, with GramJS from the installed node_modules, says it is ready.
            deadline = time.time() + 30
            while time.time() < deadline and "gramjs backend ready" not in "".join(err):
                time.sleep(0.2)
            self.assertIn("gramjs backend ready", "".join(err))
            self.assertIn(self.root + "/usr/lib/tgr/bridge/main.mjs", " ".join(bridge_cmdlines(proc.pid)))
            proc.send_signal(signal.SIGTERM)
            stopping = sock.recv(4096).decode()
            self.assertIn("STOPPING=1", stopping.split("\n"))
            self.assertEqual(proc.wait(timeout=30), 0)
            # The installed `tgr doctor` finds everything of the installation as the service would.
            env.pop("NOTIFY_SOCKET")
            r = run(self.as_tgr("doctor"), env=env, cwd=self.root)
            self.assertEqual(r.returncode, 0, r.stdout)
            self.assertIn(self.root + "/usr/lib/tgr/bridge/main.mjs with its", r.stdout)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
            sock.close()
            proc.stdout.close()
            reader.join(timeout=5)
            proc.stderr.close()
            shutil.rmtree(sockdir, ignore_errors=True)


def bridge_cmdlines(pid):
    """Command lines of pid's children."""
    out = []
    for task in glob.glob("/proc/%d/task/*/children" % pid):
        with open(task) as f:
            for child in f.read().split():
                try:
                    with open("/proc/%s/cmdline" % child, "rb") as c:
                        out.append(c.read().replace(b"\0", b" ").decode(errors="replace"))
                except OSError:
                    pass
    return out


if __name__ == "__main__":
    unittest.main(verbosity=2)
