"""tgrtest — the shared harness of the HTTP scenario tests (tests/http/test_*.py).

It owns everything a scenario test needs to drive the real binary from the outside, the way a
user or client would: starting `tgr serve` on a loopback port with a throwaway data dir, waiting
for its `listening on http://127.0.0.1:PORT` line, sending requests (status, headers, parsed
JSON), creating accounts through the CLI, logging in, stopping the server with SIGTERM and
cleaning up. It talks to tgr only through the contracts of shared/API.md and shared/DESIGN.md §7,
mirroring shared/contract/tgrbar.py. Standard library only. Every exchange of request() is held
to the API document share/openapi.json (openapi_check.py): an undocumented status, field or
content type fails the test that met it.

The binary is $TGR_BIN (CTest sets it), else build/tgr in the repository (the parent of tests/).
Servers start with very high login limits (--rate-login, and --rate-login-ip and
--rate-login-email unless the test sets them) so that only a test that asks for the default
limits ever meets the login limiter.

With $TGR_TEST_PG (a postgres:// URL of a user that may create databases, or a file holding one,
as scripts/pg.sh writes) every data dir gets a fresh PostgreSQL database of its own, which the
server and the CLI are given as TGR_DB (a restart on the same data dir finds the same database);
database_files() then scans a dump of that database instead of tgr.db.
"""
import base64
import hashlib
import hmac
import http.client
import json
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
import atexit
import glob
import itertools
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import openapi_check  # noqa: E402

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN = os.environ.get("TGR_BIN") or os.path.join(REPO, "build", "tgr")

LISTENING_RE = re.compile(r"^listening on http://127\.0\.0\.1:(\d+)\s*$")
API_KEY_RE = re.compile(r"^tgr_[A-Za-z0-9_-]{43}$")
HIGH_RATE_LOGIN = 100000
START_TIMEOUT = 30.0
# `make test-valgrind`: TGR_VALGRIND names a directory; every server then runs under Valgrind
# (memcheck, leaks that count: definite and indirect), one log per process there, and waits
# are stretched by VALGRIND_SLOWDOWN.
VALGRIND = os.environ.get("TGR_VALGRIND") or None
VALGRIND_SLOWDOWN = 8.0 if VALGRIND else 1.0
if VALGRIND:
    START_TIMEOUT *= VALGRIND_SLOWDOWN


class ServerError(RuntimeError):
    """The server did not start (or stop) as expected; the message carries its stderr tail."""


class Response:
    """One HTTP reply: status, headers (case-insensitive), raw body and, for JSON, the parsed body."""

    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers
        self.body = body
        self.json = None
        if "json" in (headers.get("Content-Type") or ""):
            try:
                self.json = json.loads(body.decode("utf-8"))
            except ValueError:
                self.json = None

    def header(self, name):
        return self.headers.get(name)

    @property
    def error_code(self):
        """The `error.code` of the one error shape, or None."""
        if isinstance(self.json, dict) and isinstance(self.json.get("error"), dict):
            return self.json["error"].get("code")
        return None

    @property
    def error_field(self):
        if isinstance(self.json, dict) and isinstance(self.json.get("error"), dict):
            return self.json["error"].get("field")
        return None

    def __repr__(self):
        return f"<Response {self.status} {self.body[:200]!r}>"


def is_error_shape(js, code=None):
    """True when js is exactly {"error":{"code":str,"message":str[,"field":str]}}, optionally with code."""
    if not isinstance(js, dict) or set(js) != {"error"}:
        return False
    e = js["error"]
    if not isinstance(e, dict) or not isinstance(e.get("code"), str) or not isinstance(e.get("message"), str):
        return False
    if not set(e) <= {"code", "message", "field"}:
        return False
    return code is None or e["code"] == code


def _record(method, path, resp):
    """TGR_OPENAPI_RECORD=FILE appends each exchange to FILE (a JSON line each): what a change to
    share/openapi.json has to describe."""
    rec = os.environ.get("TGR_OPENAPI_RECORD")
    if not rec:
        return
    ctype = resp.headers.get("Content-Type", "")
    body = None
    if ctype.startswith("application/json") and len(resp.body) < 300000:
        try:
            body = json.loads(resp.body)
        except ValueError:
            body = "<invalid json>"
    with open(rec, "a") as f:
        f.write(json.dumps({"method": method, "path": path, "status": resp.status, "ctype": ctype,
                            "body": body}) + "\n")


# --- the database: SQLite in the data dir, or a PostgreSQL database per data dir ------------------

def _pg_admin_url():
    v = os.environ.get("TGR_TEST_PG", "")
    if v and not v.startswith("postgres"):
        with open(v) as f:
            v = f.readline().strip()
    return v


PG_ADMIN_URL = _pg_admin_url()
_pg_dbs = {}  # absolute data dir -> (database name, URL)
_pg_seq = itertools.count(1)


def _pg_bin(name):
    """A PostgreSQL client program, from the server's own bin dir when there is one."""
    for d in sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True):
        if os.path.exists(os.path.join(d, name)):
            return os.path.join(d, name)
    return shutil.which(name) or name


def _pg_admin(sql):
    subprocess.run([_pg_bin("psql"), "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", PG_ADMIN_URL, "-c", sql],
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=60)


def pg_database(data_dir):
    """(name, URL) of the PostgreSQL database of data_dir, created on first use; None without
    $TGR_TEST_PG."""
    if not PG_ADMIN_URL:
        return None
    key = os.path.abspath(data_dir)
    if key not in _pg_dbs:
        name = f"tgrtest_{os.getpid()}_{next(_pg_seq)}"
        _pg_admin(f"CREATE DATABASE {name}")
        _pg_dbs[key] = (name, PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name)
    return _pg_dbs[key]


def pg_drop(data_dir):
    """Drop the PostgreSQL database of data_dir, if it has one (connections are closed)."""
    db = _pg_dbs.pop(os.path.abspath(data_dir), None)
    if db:
        try:
            _pg_admin(f"DROP DATABASE IF EXISTS {db[0]} WITH (FORCE)")
        except (subprocess.SubprocessError, OSError):
            pass


@atexit.register
def _pg_drop_all():
    for d in list(_pg_dbs):
        pg_drop(d)


def db_env(data_dir, env=None):
    """env plus TGR_DB naming data_dir's PostgreSQL database (env unchanged for SQLite)."""
    out = dict(env or {})
    db = pg_database(data_dir)
    if db and "TGR_DB" not in out:
        out["TGR_DB"] = db[1]
    return out


def db_ints(data_dir, sql):
    """The rows of sql (integers only; none for a write) on data_dir's database, SQLite or
    PostgreSQL, as an outside tool would run it beside the server."""
    if PG_ADMIN_URL:
        out = subprocess.run([_pg_bin("psql"), "-X", "-q", "-At", "-F", ",", "-v", "ON_ERROR_STOP=1", "-d",
                              pg_database(data_dir)[1], "-c", sql],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=60, check=True)
        return [tuple(int(v) for v in line.split(",")) for line in out.stdout.split()]
    import sqlite3
    with sqlite3.connect(os.path.join(data_dir, "tgr.db"), timeout=10) as c:
        return [tuple(int(v) for v in row) for row in c.execute(sql)]


def clean_env(extra=None):
    """The caller's environment without tgr's own TGR_* settings (a test says what it wants
    through flags or extra), plus extra."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("TGR_") or k in ("TGR_BIN", "TGR_SRC")}
    if extra:
        env.update(extra)
    return env


def run_cli(*args, env=None, stdin=None, timeout=60):
    """Run `tgr ARGS...` with clean_env(env); returns the CompletedProcess with text stdout/stderr.
    With `--data DIR` among args, the command gets DIR's database (db_env)."""
    args = [str(a) for a in args]
    if "--data" in args[:-1]:
        env = db_env(args[args.index("--data") + 1], env)
    return subprocess.run([BIN, *args], env=clean_env(env), cwd=REPO, input=stdin, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, timeout=timeout, text=True)


def create_account(data_dir, email, password, env=None):
    """`tgr account create` on data_dir. Returns (exit code, stdout, stderr); the password goes
    through a 0600 file that is removed afterwards."""
    fd, pw_path = tempfile.mkstemp(prefix="tgrtest-pw-")
    try:
        with os.fdopen(fd, "w") as f:
            f.write(password + "\n")
        r = run_cli("account", "create", "--email", email, "--password-file", pw_path, "--data", data_dir, env=env)
    finally:
        os.unlink(pw_path)
    return r.returncode, r.stdout, r.stderr


def b64url(raw):
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def b64url_decode(s):
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


def make_jwt(header, payload, key=None, signature=None):
    """A compact JWT from dicts (or raw strings). With key: HS256 over header.payload; with
    signature: that text verbatim; with neither: an empty signature (alg:none style)."""
    h = header if isinstance(header, str) else json.dumps(header, separators=(",", ":"))
    p = payload if isinstance(payload, str) else json.dumps(payload, separators=(",", ":"))
    signing_input = b64url(h.encode()) + "." + b64url(p.encode())
    if key is not None:
        signature = b64url(hmac.new(key, signing_input.encode(), hashlib.sha256).digest())
    return signing_input + "." + (signature or "")


def jwt_parts(token):
    """(header dict, payload dict, signature text) of a compact JWT."""
    h, p, s = token.split(".")
    return json.loads(b64url_decode(h)), json.loads(b64url_decode(p)), s


class Server:
    """One `tgr serve` process on 127.0.0.1 with a free port.

    data: an existing data dir to reuse (a restart); by default a fresh one under a temp dir that
    cleanup() removes. args: extra `serve` flags. env: extra environment variables.
    stdout lines are collected in self.stdout_lines; stderr goes to a file (self.stderr_text())."""

    def __init__(self, data=None, args=(), env=None, rate_login=HIGH_RATE_LOGIN):
        self.work = tempfile.mkdtemp(prefix="tgrtest-")
        self.data = data or os.path.join(self.work, "data")
        self.args = list(args)
        if rate_login is not None:
            self.args += ["--rate-login", str(rate_login)]
            for flag in ("--rate-login-ip", "--rate-login-email"):
                if flag not in self.args:
                    self.args += [flag, str(HIGH_RATE_LOGIN)]
        # The server takes its settings from the flags here, not from the caller's shell.
        self.extra_env = db_env(self.data, env)
        self.env = clean_env(self.extra_env)
        self.proc = None
        self.port = None
        self.stdout_lines = []
        self._stdout_cv = threading.Condition()
        self._stdout_thread = None
        self._stderr_path = os.path.join(self.work, "stderr.log")
        self._stderr_file = None
        self.returncode = None

    # --- lifecycle ---------------------------------------------------------------------------

    def start(self, timeout=START_TIMEOUT):
        """Start and wait for the `listening on` line. Raises ServerError with the stderr tail if
        the line does not come within timeout or the process exits first."""
        self._stderr_file = open(self._stderr_path, "ab")
        cmd = [BIN, "serve", "--listen", "127.0.0.1:0", "--data", self.data, *self.args]
        if VALGRIND:
            os.makedirs(VALGRIND, exist_ok=True)
            cmd = ["valgrind", "--quiet", "--leak-check=full", "--show-leak-kinds=definite,indirect",
                   "--errors-for-leak-kinds=definite,indirect", "--error-exitcode=99", "--num-callers=30",
                   f"--log-file={os.path.join(VALGRIND, 'tgr.%p.log')}", *cmd]
        # cwd is the repository so that relative defaults (web/dist, scenarios/) resolve as with `make run`.
        self.proc = subprocess.Popen(cmd, env=self.env, cwd=REPO, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                     stderr=self._stderr_file, start_new_session=True)
        self._stdout_thread = threading.Thread(target=self._read_stdout, daemon=True)
        self._stdout_thread.start()
        deadline = time.monotonic() + timeout
        with self._stdout_cv:
            while True:
                for line in self.stdout_lines:
                    m = LISTENING_RE.match(line)
                    if m:
                        self.port = int(m.group(1))
                        return self
                if self.proc.poll() is not None and not self._stdout_thread.is_alive():
                    self._fail(f"tgr serve exited with {self.proc.returncode} before listening")
                left = deadline - time.monotonic()
                if left <= 0:
                    self._fail(f"no 'listening on' line within {timeout:.0f} s")
                self._stdout_cv.wait(min(left, 0.2))

    def _read_stdout(self):
        for raw in self.proc.stdout:
            with self._stdout_cv:
                self.stdout_lines.append(raw.decode("utf-8", "replace").rstrip("\n"))
                self._stdout_cv.notify_all()
        with self._stdout_cv:
            self._stdout_cv.notify_all()

    def _fail(self, why):
        self.kill()
        raise ServerError(f"{why}; stderr tail:\n{self.stderr_tail()}")

    def stop(self, sig=signal.SIGTERM, timeout=30 * VALGRIND_SLOWDOWN):
        """Send sig (SIGTERM by default), wait for the exit and return its code. A server that does
        not exit within timeout is killed and ServerError is raised."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.signal(sig)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.kill()
                raise ServerError(f"tgr serve did not exit within {timeout} s of signal {sig}; stderr tail:\n"
                                  + self.stderr_tail()) from None
        self._finish()
        return self.returncode

    def wait(self, timeout=30):
        """Wait for an exit that something else caused (a signal sent with signal()); returns the
        exit code. Raises ServerError (after killing it) if it does not exit within timeout."""
        try:
            self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise ServerError(f"tgr serve did not exit within {timeout} s; stderr tail:\n" + self.stderr_tail()) from None
        self._finish()
        return self.returncode

    def signal(self, sig):
        try:
            os.kill(self.proc.pid, sig)
        except ProcessLookupError:
            pass

    def kill(self):
        """SIGKILL the server (and anything it started in its session) and reap it."""
        if self.proc is not None and self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.proc.wait()
        self._finish()

    def _finish(self):
        if self.proc is not None:
            self.returncode = self.proc.returncode
            if self._stdout_thread is not None:
                self._stdout_thread.join(timeout=5)
            if self.proc.stdout:
                self.proc.stdout.close()
        if self._stderr_file is not None:
            self._stderr_file.close()
            self._stderr_file = None

    def cleanup(self):
        """Kill the server if it still runs and remove its temp dir (a data dir passed in by the
        caller lives elsewhere and stays)."""
        self.kill()
        if os.path.abspath(self.data).startswith(os.path.abspath(self.work) + os.sep):
            pg_drop(self.data)
        shutil.rmtree(self.work, ignore_errors=True)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.cleanup()

    # --- output ------------------------------------------------------------------------------

    def stderr_text(self):
        if self._stderr_file is not None:
            self._stderr_file.flush()
        try:
            with open(self._stderr_path, "rb") as f:
                return f.read().decode("utf-8", "replace")
        except OSError:
            return ""

    def stderr_tail(self, n=20):
        return "\n".join(self.stderr_text().rstrip().splitlines()[-n:])

    def stdout_text(self):
        with self._stdout_cv:
            return "\n".join(self.stdout_lines)

    def wait_for_stdout(self, pattern, timeout=10):
        """The first stdout line matching the regex pattern (a re.Match), waiting up to timeout
        seconds for it; None if it does not come (or stdout closes first)."""
        rx = re.compile(pattern)
        deadline = time.monotonic() + timeout
        with self._stdout_cv:
            while True:
                for line in self.stdout_lines:
                    m = rx.search(line)
                    if m:
                        return m
                left = deadline - time.monotonic()
                if left <= 0 or self._stdout_thread is None or not self._stdout_thread.is_alive():
                    return None
                self._stdout_cv.wait(min(left, 0.2))

    # --- HTTP --------------------------------------------------------------------------------

    def request(self, method, path, body=None, raw=None, headers=None, token=None, api_key=None,
                content_type=None, timeout=30, source=None):
        """Send one request on a fresh connection. body: a value sent as JSON (Content-Type
        application/json); raw: bytes sent verbatim (content_type, if given, is its type); source:
        the loopback address the connection comes from (e.g. "127.0.0.2"; default 127.0.0.1)."""
        hdrs = {}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            hdrs["Content-Type"] = "application/json"
        if raw is not None:
            data = raw
        if content_type is not None:
            hdrs["Content-Type"] = content_type
        if token:
            hdrs["Authorization"] = "Bearer " + token
        if api_key:
            hdrs["X-API-Key"] = api_key
        if headers:
            hdrs.update(headers)
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout,
                                          source_address=(source, 0) if source else None)
        try:
            conn.request(method, path, body=data, headers=hdrs)
            r = conn.getresponse()
            resp = Response(r.status, r.headers, r.read())
        finally:
            conn.close()
        _record(method, path, resp)
        openapi_check.check(method, path, resp.status, resp.headers.get("Content-Type", ""), resp.body,
                            request_json=body)
        return resp

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def post(self, path, body=None, **kw):
        return self.request("POST", path, body=body, **kw)

    def raw_exchange(self, data, timeout=10, read_limit=65536):
        """Write raw bytes on a new socket and read until the server closes or the first reply's
        headers and Content-Length body have arrived. Returns the bytes read."""
        with socket.create_connection(("127.0.0.1", self.port), timeout=timeout) as s:
            s.sendall(data)
            buf = b""
            deadline = time.monotonic() + timeout
            while len(buf) < read_limit and time.monotonic() < deadline:
                try:
                    chunk = s.recv(65536)
                except (ConnectionResetError, socket.timeout):
                    break
                if not chunk:
                    break
                buf += chunk
                head, sep, rest = buf.partition(b"\r\n\r\n")
                if sep:
                    m = re.search(rb"(?im)^content-length:\s*(\d+)", head)
                    if m and len(rest) >= int(m.group(1)):
                        break
            return buf

    def healthy(self):
        try:
            return self.get("/healthz", timeout=10).status == 200
        except OSError:
            return False

    # --- accounts ----------------------------------------------------------------------------

    def create_account(self, email, password):
        """`tgr account create` against this server's data dir; returns the API key (asserting
        success)."""
        rc, out, err = create_account(self.data, email, password, env=self.extra_env)
        if rc != 0:
            raise AssertionError(f"account create {email} exited {rc}: {err.strip()}")
        return out.strip()

    def login(self, email, password):
        """POST /auth/login; returns the token, raising AssertionError when it is not a 200."""
        r = self.post("/auth/login", {"email": email, "password": password})
        if r.status != 200 or not isinstance(r.json, dict) or "token" not in r.json:
            raise AssertionError(f"login {email}: {r.status} {r.body[:200]!r}")
        return r.json["token"]


class ServerCase(unittest.TestCase):
    """A test case whose tests share one server (self.srv), started in setUpClass with the class's
    SERVER_ARGS (serve flags) and SERVER_ENV (environment) and removed in tearDownClass. With
    STOP_CLEANLY the server is stopped with SIGTERM first and must exit 0."""

    SERVER_ARGS = ()
    SERVER_ENV = None
    STOP_CLEANLY = False

    @classmethod
    def setUpClass(cls):
        cls.srv = Server(args=cls.SERVER_ARGS, env=cls.SERVER_ENV)
        try:
            cls.srv.start()
        except BaseException:
            cls.srv.cleanup()
            raise

    @classmethod
    def tearDownClass(cls):
        rc, err = 0, ""
        try:
            if cls.STOP_CLEANLY:
                rc = cls.srv.stop()
                err = cls.srv.stderr_text()
        finally:
            cls.srv.cleanup()
        if rc != 0:
            raise AssertionError(f"{cls.__name__}: the server exited {rc} on SIGTERM\n{err[-2000:]}")


# --- the simulated Telegram (DESIGN §6, docs/BRIDGE-PROTOCOL.md) -------------------------------

HIGH_RATE_SESSION = 100000


def write_scenario(dirpath, scenario, name="scenario.json"):
    """Write a simulator scenario (a dict) as dirpath/name, UTF-8 as is; returns its path. A
    relative `record` in it is then relative to dirpath, as DESIGN §6 says."""
    path = os.path.join(dirpath, name)
    with open(path, "w", encoding="utf-8") as f:
        json.dump(scenario, f, ensure_ascii=False, indent=1)
    return path


def sim_args(scenario_path, rate_session=HIGH_RATE_SESSION):
    """`serve` flags for the simulated Telegram on scenario_path. rate_session None keeps the
    default limit of /session/connect and /session/verify; by default it is very high so that
    only a test that asks for the default limit ever meets it."""
    args = ["--telegram", "sim", "--sim-scenario", scenario_path]
    if rate_session is not None:
        args += ["--rate-session", str(rate_session)]
    return args


def child_pids(pid):
    """The pids of the direct children of process pid (from /proc; [] when it is gone)."""
    out = []
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return out
    for t in tasks:
        try:
            with open(f"/proc/{pid}/task/{t}/children") as f:
                out += [int(x) for x in f.read().split()]
        except OSError:
            pass
    return sorted(set(out))


def process_cmdline(pid):
    """The command line of process pid as a list of strings ([] when it is gone)."""
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return [a.decode("utf-8", "replace") for a in f.read().split(b"\0") if a]
    except OSError:
        return []


def wait_until(pred, timeout, step=0.1):
    """Call pred until it returns something true or timeout seconds pass; returns its last value."""
    deadline = time.monotonic() + timeout
    while True:
        v = pred()
        if v or time.monotonic() >= deadline:
            return v
        time.sleep(step)


def parse_time(text):
    """An RFC 3339 UTC time of the API ("2025-01-02T03:04:05Z", optional fraction) as unix
    seconds (float)."""
    from datetime import datetime, timezone
    m = re.match(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(\.\d+)?Z$", text)
    if not m:
        raise ValueError(f"not an RFC 3339 UTC time: {text!r}")
    t = datetime.strptime(m.group(1), "%Y-%m-%dT%H:%M:%S").replace(tzinfo=timezone.utc).timestamp()
    return t + (float(m.group(2)) if m.group(2) else 0.0)


def files_containing(paths, needles):
    """Which needles (str, looked for as UTF-8 bytes) appear in any of the files; sorted."""
    found = set()
    for p in paths:
        try:
            with open(p, "rb") as f:
                blob = f.read()
        except OSError:
            continue
        found.update(n for n in needles if n and n.encode() in blob)
    return sorted(found)


def leaks(text, strings):
    """Which of strings appear in text."""
    return sorted(s for s in strings if s and s in text)


def stop_and_scan(cls, strings):
    """tearDownClass helper: stop the class's server (cls.srv) and check its exit code, its stderr
    and its database files for strings; always cleans up, cls.work (a temp dir) too."""
    try:
        rc = cls.srv.stop()
        err = cls.srv.stderr_text()
        stored = files_containing(database_files(cls.srv.data), strings)
    finally:
        cls.srv.cleanup()
        shutil.rmtree(cls.work, ignore_errors=True)
    leaked = leaks(err, strings)
    if rc != 0 or leaked or stored:
        raise AssertionError(f"after SIGTERM: exit code {rc}, in stderr: {leaked}, in the database files after "
                             f"the stop: {stored}\n{err[-2000:]}")


def database_main_file(data_dir):
    """The file that holds data_dir's database: tgr.db, or (PostgreSQL) the dump database_files() writes."""
    if PG_ADMIN_URL:
        return os.path.abspath(data_dir).rstrip(os.sep) + ".pgdump"
    return os.path.join(data_dir, "tgr.db")


def database_files(data_dir):
    """The database files of a data dir that exist: tgr.db and its -wal, -shm, -journal. With
    PostgreSQL: a fresh pg_dump of its database, with every BYTEA value (dumped as hex) appended
    as raw bytes, so that a search for a string stored in clear finds it wherever it is."""
    if PG_ADMIN_URL:
        db = pg_database(data_dir)
        dump = subprocess.run([_pg_bin("pg_dump"), "-d", db[1], "--data-only"], check=True,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=120).stdout
        raw = [bytes.fromhex(h.decode()) for h in re.findall(rb"\\x((?:[0-9a-f]{2})+)", dump)]
        path = database_main_file(data_dir)
        with open(path, "wb") as f:
            f.write(dump + b"\n" + b"\n".join(raw))
        return [path]
    return [p for p in (os.path.join(data_dir, "tgr.db" + s) for s in ("", "-wal", "-shm", "-journal"))
            if os.path.exists(p)]


def database_version(data_dir):
    """The newest migration applied to data_dir's database (0 when there is none)."""
    if PG_ADMIN_URL:
        out = subprocess.run([_pg_bin("psql"), "-X", "-At", "-d", pg_database(data_dir)[1], "-c",
                              "SELECT COALESCE(MAX(version), 0) FROM schema_migrations"],
                             stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, timeout=60).stdout
        return int(out.strip() or 0)
    import sqlite3
    path = os.path.join(data_dir, "tgr.db")
    if not os.path.exists(path):
        return 0
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as c:
        return c.execute("SELECT COALESCE(MAX(version), 0) FROM schema_migrations").fetchone()[0]


def bridge_pids(server):
    """The pids of the Telegram bridge processes (node … main.mjs) that server has started and
    that still run."""
    if server.proc is None or server.proc.poll() is not None:
        return []
    return [p for p in child_pids(server.proc.pid) if any(a.endswith("main.mjs") for a in process_cmdline(p))]


# --- campaigns, media and orders (tests/http/test_campaigns.py) --------------------------------

def connect_telegram(server, token, phone, code):
    """POST /session/connect then /session/verify with code, asserting both answer 200; returns
    the verify reply."""
    r = server.post("/session/connect", {"phone": phone}, token=token)
    if r.status != 200:
        raise AssertionError(f"connect: {r!r}")
    r = server.post("/session/verify", {"code": code}, token=token)
    if r.status != 200:
        raise AssertionError(f"verify: {r!r}")
    return r


def contacts_by_tg_id(server, token):
    """{tg_user_id: contact} of every contact of the account (one big page of GET /contacts)."""
    r = server.get("/contacts?limit=1000", token=token)
    if r.status != 200:
        raise AssertionError(f"GET /contacts: {r!r}")
    return {c["tg_user_id"]: c for c in r.json["contacts"]}


def multipart_form(fields=None, files=None, boundary="tgrtest-boundary-7c1f0e9a"):
    """A multipart/form-data body. fields: {name: text}; files: {name: (filename, content type,
    bytes)}. Returns (body bytes, Content-Type header value)."""
    out = b""
    for name, value in (fields or {}).items():
        out += (f"--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n").encode()
        out += (value if isinstance(value, bytes) else value.encode()) + b"\r\n"
    for name, (filename, ctype, data) in (files or {}).items():
        out += (f"--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"; filename=\"{filename}\"\r\n"
                f"Content-Type: {ctype}\r\n\r\n").encode()
        out += data + b"\r\n"
    out += f"--{boundary}--\r\n".encode()
    return out, f"multipart/form-data; boundary={boundary}"


def webhook_signature(secret, body):
    """The X-Tgr-Signature of a webhook body: sha256=<hex HMAC-SHA256 of the raw body>."""
    key = secret.encode() if isinstance(secret, str) else secret
    return "sha256=" + hmac.new(key, body, hashlib.sha256).hexdigest()


def utf16_len(text):
    """Length of text in UTF-16 code units, as Telegram counts entity offsets."""
    return len(text.encode("utf-16-le")) // 2


def scenario_strings(scenario):
    """Every phone (with and without '+'), name, username and message text of a simulator
    scenario's users and inbound messages, plus its own phone: none may be stored in clear or logged."""
    out = set()
    for u in [scenario["me"]] + list(scenario.get("users", [])):
        for k in ("first_name", "last_name", "username"):
            if u.get(k):
                out.add(u[k])
        if u.get("phone"):
            out.update({"+" + u["phone"].lstrip("+"), u["phone"].lstrip("+")})
        for m in u.get("messages") or []:
            out.add(m["text"])
    for m in scenario.get("inbound") or []:
        out.add(m["text"])
    return out


# --- the send engine (tests/http/test_sending.py) ----------------------------------------------

def read_record(path):
    """The simulated Telegram's record of what it delivered (DESIGN §6): one dict per line, in file
    order, with user_id as a string. A line cut short by a crashed writer is skipped, as the
    simulator skips it; [] while there is no file."""
    out = []
    try:
        with open(path, "rb") as f:
            blob = f.read()
    except OSError:
        return out
    for raw in blob.split(b"\n"):
        raw = raw.strip()
        if not raw:
            continue
        try:
            rec = json.loads(raw.decode("utf-8"))
        except ValueError:
            continue
        if not isinstance(rec, dict):
            continue
        if rec.get("user_id") is not None:
            rec["user_id"] = str(rec["user_id"])
        out.append(rec)
    return out


def campaign_logs(server, token, campaign_id, after=0, limit=1000):
    """Every line of GET /campaigns/:id/logs after the log id `after`, following next_after."""
    out = []
    while True:
        r = server.get(f"/campaigns/{campaign_id}/logs?after={after}&limit={limit}", token=token)
        if r.status != 200 or not isinstance(r.json, dict):
            raise AssertionError(f"GET /campaigns/{campaign_id}/logs: {r!r}")
        out += r.json["logs"]
        if r.json.get("next_after") is None or not r.json["logs"]:
            return out
        after = r.json["next_after"]


class EventStream:
    """A Server-Sent Events reader: GET path with `Accept: text/event-stream` on its own
    connection (and `Last-Event-ID` if given); a thread parses the stream as it arrives.

    status / headers: the reply's; body: the whole body when the status is not 200.
    events: [{"id": str|None, "event": str|None, "data": str}] in arrival order; comments: the
    texts of comment lines (": keep-alive" → "keep-alive"). close() ends the connection."""

    def __init__(self, server, path, token=None, api_key=None, last_event_id=None, timeout=60):
        hdrs = {"Accept": "text/event-stream"}
        if token:
            hdrs["Authorization"] = "Bearer " + token
        if api_key:
            hdrs["X-API-Key"] = api_key
        if last_event_id is not None:
            hdrs["Last-Event-ID"] = str(last_event_id)
        self.events = []
        self.comments = []
        self.error = None
        self.ended = False
        self.body = b""
        self._closing = False
        self._cv = threading.Condition()
        self._conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=timeout)
        self._conn.request("GET", path, headers=hdrs)
        self._resp = self._conn.getresponse()
        self.status = self._resp.status
        self.headers = self._resp.headers
        self._thread = None
        if self.status == 200:
            self._thread = threading.Thread(target=self._run, daemon=True)
            self._thread.start()
        else:
            self.body = self._resp.read()
            self.ended = True
            self._conn.close()

    def _run(self):
        fields, data = {}, []
        try:
            while True:
                line = self._resp.readline()
                if not line:
                    break
                line = line.decode("utf-8").rstrip("\r\n")
                with self._cv:
                    if line == "":
                        if data or fields:
                            self.events.append({"id": fields.get("id"), "event": fields.get("event"),
                                                "data": "\n".join(data)})
                            self._cv.notify_all()
                        fields, data = {}, []
                    elif line.startswith(":"):
                        self.comments.append(line[1:].strip())
                        self._cv.notify_all()
                    else:
                        name, _, value = line.partition(":")
                        if value.startswith(" "):
                            value = value[1:]
                        if name == "data":
                            data.append(value)
                        else:
                            fields[name] = value
        except (OSError, ValueError, AttributeError, http.client.HTTPException) as e:
            # (http.client raises AttributeError when close() pulls the socket from under readline)
            if not self._closing:
                self.error = e
        finally:
            with self._cv:
                self.ended = True
                self._cv.notify_all()

    def json_events(self):
        """The events' data parsed as JSON, each with the event's `id:` as "_sse_id"."""
        with self._cv:
            evs = list(self.events)
        out = []
        for e in evs:
            d = json.loads(e["data"])
            if isinstance(d, dict):
                d["_sse_id"] = e["id"]
            out.append(d)
        return out

    def wait_for(self, pred, timeout):
        """Wait until pred(self) is true (re-checked on every event or comment), the stream ends or
        timeout seconds pass; returns pred's last value."""
        deadline = time.monotonic() + timeout
        with self._cv:
            while True:
                v = pred(self)
                left = deadline - time.monotonic()
                if v or self.ended or left <= 0:
                    return v
                self._cv.wait(min(left, 0.2))

    def close(self):
        self._closing = True
        try:
            if self._conn.sock is not None:
                self._conn.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self._conn.close()
        if self._thread is not None:
            self._thread.join(timeout=5)
