#!/usr/bin/env python3
"""test_media_s3 — HTTP scenario tests of media on an S3-compatible bucket (issue 8, "S3-compatible
media"): `tgr serve --media s3://BUCKET[/PREFIX]` with the endpoint, region and keys from the
environment. Photos and videos uploaded through the API come back byte-identical and are objects
in the bucket; every request is SigV4-signed with the payload's sha256 (the test server,
tests/s3/s3server.py, verifies both and refuses UNSIGNED-PAYLOAD); the same bytes are not uploaded
twice; transient S3 failures are retried; a wrong secret or an unreachable endpoint makes the
upload fail with the JSON 503 and nothing worse, and no secret reaches a reply or the log; a
missing or wrong setting stops `tgr serve` at start with exit 2; a campaign with media is sent
through the simulated Telegram from the private download cache (DATA/media-cache); and two
`tgr serve` processes on the same database and bucket serve each other's uploads, also after a
restart.

The two-instance class shares --data and the database: --db $TGR_TEST_DB when set, else what
tgrtest gives the data dir (sqlite:DATA/tgr.db, or a PostgreSQL database with $TGR_TEST_PG). Run: python3 tests/http/test_media_s3.py
(CTest sets TGR_BIN).
"""
import hashlib
import json
import os
import select
import shutil
import socket
import stat
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tgrtest  # noqa: E402
from tgrtest import (campaign_logs, Server, contacts_by_tg_id, connect_telegram, is_error_shape, multipart_form,  # noqa: E402
                     read_record, run_cli, sim_args, wait_until, write_scenario)

S3_SERVER = os.path.join(tgrtest.REPO, "tests", "s3", "s3server.py")
PASSWORD = "correct horse battery staple 42"
CODE = "80417"
BUCKET = "tgr-media"
ACCESS_KEY = "AKIATGRTESTEXAMPLE01"
SECRET_KEY = "tgrTestSecret/q8Zm0NvP7wL4cRb8sT1uYeHdKx9+Aa"
WRONG_SECRET = "tgrWrongSecret/Zq81LmN0pQrStUvWxYz2345aBcDeFf"

TINY_PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489"
    "0000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082")
TINY_JPEG = bytes.fromhex(
    "ffd8ffe000104a46494600010101004800480000"
    "ffdb004300030202020202030202020303030304060404040404080606050609080a0a090809090a0c0f0c0a0b0e0b09090d110d0e0f"
    "101011100a0c12131210130f101010ffc9000b080001000101011100ffcc000600101005ffda0008010100003f00d2cf20ffd9")
MP4_HEAD = bytes.fromhex("0000001866747970" "69736f6d00000200" "69736f6d69736f32")


def png(tag):
    """A distinct real PNG: the 1x1 image with bytes after its end (as cameras write)."""
    return TINY_PNG + tag.encode()


def video(size, tag):
    """An MP4 (ftyp box) of about size bytes, distinct per tag; big enough for libcurl's
    Expect: 100-continue when size is over 1 MiB."""
    seed = hashlib.sha256(tag.encode()).digest()
    body = (seed * (size // len(seed) + 1))[:size]
    return MP4_HEAD + body


def sha(data):
    return hashlib.sha256(data).hexdigest()


def free_port():
    """A loopback port nobody listens on (bound, then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class S3Server:
    """tests/s3/s3server.py on a free loopback port, storing under root; its JSON request log is
    requests()."""

    def __init__(self, root):
        self.root = root
        self.log_path = os.path.join(root, "requests.jsonl")
        self.proc = None
        self.port = None

    def start(self, timeout=15):
        os.makedirs(self.root, exist_ok=True)
        self._err = open(os.path.join(self.root, "stderr.log"), "ab")
        self.proc = subprocess.Popen([sys.executable, S3_SERVER, "--root", os.path.join(self.root, "objects"),
                                      "--bucket", BUCKET, "--access-key", ACCESS_KEY, "--secret-key", SECRET_KEY,
                                      "--log", self.log_path],
                                     stdout=subprocess.PIPE, stderr=self._err, stdin=subprocess.DEVNULL)
        ready, _, _ = select.select([self.proc.stdout], [], [], timeout)
        line = self.proc.stdout.readline().decode() if ready else ""
        if not line.startswith("port "):
            self.stop()
            raise RuntimeError(f"s3server did not start: {line!r}")
        self.port = int(line.split()[1])
        return self

    @property
    def endpoint(self):
        return f"http://127.0.0.1:{self.port}"

    def env(self, secret=SECRET_KEY, access=ACCESS_KEY):
        return {"TGR_S3_ENDPOINT": self.endpoint, "AWS_ACCESS_KEY_ID": access, "AWS_SECRET_ACCESS_KEY": secret}

    def object_file(self, key, prefix=""):
        return os.path.join(self.root, "objects", BUCKET, *(prefix.split("/") if prefix else []), *key.split("/"))

    def requests(self):
        try:
            with open(self.log_path, encoding="utf-8") as f:
                return [json.loads(line) for line in f if line.strip()]
        except FileNotFoundError:
            return []

    def fail_next(self, count, status=503):
        req = urllib.request.Request(f"{self.endpoint}/__fail?count={count}&status={status}", method="POST")
        with urllib.request.urlopen(req, timeout=10) as r:
            assert r.status == 204

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.proc and self.proc.stdout:
            self.proc.stdout.close()
        self._err.close()


def new_account(srv, email, db=None):
    """A fresh account through the CLI on srv's data dir (and db); returns (token, account id)."""
    fd, pw = tempfile.mkstemp(prefix="tgrtest-pw-")
    with os.fdopen(fd, "w") as f:
        f.write(PASSWORD + "\n")
    try:
        args = ["account", "create", "--email", email, "--password-file", pw, "--data", srv.data]
        r = run_cli(*(args + (["--db", db] if db else [])))
    finally:
        os.unlink(pw)
    if r.returncode != 0:
        raise AssertionError(f"account create: {r.stderr}")
    token = srv.login(email, PASSWORD)
    return token, srv.get("/account", token=token).json["id"]


def upload(srv, token, data, multipart=True):
    if multipart:
        body, ctype = multipart_form(files={"file": ("upload.bin", "application/octet-stream", data)})
        return srv.post("/media/upload", raw=body, content_type=ctype, token=token)
    return srv.post("/media/upload", raw=data, content_type="application/octet-stream", token=token)


class S3Case(unittest.TestCase):
    def assertError(self, r, status, code=None):
        detail = f"{r.status} {r.body[:300]!r}"
        self.assertEqual(r.status, status, detail)
        self.assertTrue((r.header("Content-Type") or "").startswith("application/json"), detail)
        self.assertTrue(is_error_shape(r.json, code), f"not the error shape with code {code}: {detail}")

    def assertNoSecrets(self, text, what):
        for s in (SECRET_KEY, WRONG_SECRET):
            self.assertNotIn(s, text, f"a secret key in {what}")


def stop_checked(srv):
    """Stop srv (SIGTERM); return (exit code, stderr + stdout)."""
    rc = srv.stop()
    return rc, srv.stderr_text() + srv.stdout_text()


# --------------------------------------------------------------------------------------------
# One instance on S3 (with a prefix), connected to the simulated Telegram.

ME_PHONE = "+15550008811"
USERS = [{"id": str(6201 + i), "access_hash": str(86201 + i), "first_name": f"Bucketina{i}",
          "last_name": "Objectson", "messages": [{"text": f"is the parcel on its way? number {i}",
                                                  "ago_seconds": 3000 + i}]} for i in range(3)]
SCENARIO = {"me": {"id": "8811", "first_name": "S3 Shop", "username": "s3_shop", "phone": ME_PHONE},
            "login": {"code": CODE}, "users": USERS, "inbound": [], "record": "deliveries.jsonl"}
PREFIX = "shops/eu"


class S3MediaTest(S3Case):
    @classmethod
    def setUpClass(cls):
        cls.work = tempfile.mkdtemp(prefix="tgrtest-s3-")
        cls.s3 = S3Server(os.path.join(cls.work, "s3")).start()
        cls.record_path = os.path.join(cls.work, "deliveries.jsonl")
        cls.srv = Server(args=sim_args(write_scenario(cls.work, SCENARIO)) + ["--media", f"s3://{BUCKET}/{PREFIX}",
                                                                              "--send-rate", "10"],
                         env=cls.s3.env())
        try:
            cls.srv.start()
            cls.token, cls.account_id = new_account(cls.srv, "s3@shop.test")
        except BaseException:
            cls.srv.cleanup()
            cls.s3.stop()
            shutil.rmtree(cls.work, ignore_errors=True)
            raise

    @classmethod
    def tearDownClass(cls):
        try:
            rc, out = stop_checked(cls.srv)
        finally:
            cls.srv.cleanup()
            cls.s3.stop()
            shutil.rmtree(cls.work, ignore_errors=True)
        if rc != 0 or SECRET_KEY in out:
            raise AssertionError(f"after SIGTERM: exit code {rc}, secret in the log: {SECRET_KEY in out}\n{out[-2000:]}")

    def key(self, data):
        return f"{self.account_id}/{sha(data)}"

    def requests_for(self, data, method=None):
        path = f"/{BUCKET}/{PREFIX}/{self.key(data)}"
        return [r for r in self.s3.requests() if r["path"] == path and (method is None or r["method"] == method)]

    def test_photo_and_video_round_trip_through_the_bucket(self):
        big = video(3 * 1024 * 1024 + 17, "round trip")
        for data, kind, multipart in ((png("round trip"), "photo", True), (TINY_JPEG, "photo", False),
                                      (video(4000, "small"), "video", False), (big, "video", True)):
            with self.subTest(kind=kind, size=len(data)):
                r = upload(self.srv, self.token, data, multipart)
                self.assertEqual(r.status, 201, r)
                self.assertEqual((r.json["kind"], r.json["size"], r.json["sha256"]), (kind, len(data), sha(data)))
                g = self.srv.get(f"/media/{r.json['id']}", token=self.token)
                self.assertEqual(g.status, 200, g)
                self.assertTrue(g.body == data, "GET /media/:id did not serve the uploaded bytes")
                # The object is in the bucket under PREFIX/<account>/<sha256>, byte for byte.
                with open(self.s3.object_file(self.key(data), PREFIX), "rb") as f:
                    self.assertTrue(f.read() == data, "the object in the bucket differs from the upload")
        # The local store is not used.
        media_dir = os.path.join(self.srv.data, "media")
        self.assertEqual([f for _, _, fs in os.walk(media_dir) for f in fs], [])

    def test_every_request_is_signed_with_the_payload_hash(self):
        data = png("signed")
        self.assertEqual(upload(self.srv, self.token, data).status, 201)
        self.assertEqual(self.srv.get(f"/media/{upload(self.srv, self.token, data).json['id']}",
                                      token=self.token).status, 200)
        reqs = self.requests_for(data)  # this test's own (others inject failures on purpose)
        self.assertTrue(reqs)
        for r in reqs:
            self.assertIn(r["status"], (200, 204, 404), r)  # never a refused signature
            self.assertTrue({"host", "x-amz-date", "x-amz-content-sha256"} <= set(r["signed"]), r)
            self.assertEqual(r["payload_hash"], r["body_sha256"], r)
        puts = self.requests_for(data, "PUT")
        self.assertEqual([(p["status"], p["payload_hash"]) for p in puts], [(200, sha(data))])

    def test_the_same_bytes_again_are_not_uploaded_twice(self):
        data = video(5000, "dedup")
        first = upload(self.srv, self.token, data, multipart=False)
        self.assertEqual(first.status, 201, first)
        again = upload(self.srv, self.token, data)
        self.assertEqual((again.status, again.json), (200, first.json))
        self.assertEqual(len(self.requests_for(data, "PUT")), 1, "the same object was PUT again")
        self.assertEqual(len(self.requests_for(data, "HEAD")), 2)

    def test_transient_failures_are_retried_and_lasting_ones_answer_503(self):
        data = png("retry")
        self.s3.fail_next(2, 503)
        r = upload(self.srv, self.token, data)
        self.assertEqual(r.status, 201, r)
        self.assertEqual([(q["method"], q["status"]) for q in self.requests_for(data)],
                         [("HEAD", 503), ("HEAD", 503), ("HEAD", 404), ("PUT", 200)])
        # A server that keeps failing: the upload is refused with the JSON 503, after 3 attempts.
        lasting = png("lasting failure")
        self.s3.fail_next(100, 500)
        try:
            r = upload(self.srv, self.token, lasting)
        finally:
            self.s3.fail_next(0)
        self.assertError(r, 503, "unavailable")
        self.assertEqual([q["status"] for q in self.requests_for(lasting)], [500] * 6)  # HEAD x3, PUT x3
        self.assertTrue(self.srv.healthy())
        self.assertEqual(upload(self.srv, self.token, lasting).status, 201)
        self.assertIn("HTTP 500", self.srv.stderr_text())

    def connected(self):
        """Connect the account to the simulated Telegram once (several tests send), no frequency cap."""
        if self.srv.get("/session", token=self.token).json["status"] != "connected":
            r = self.srv.request("PATCH", "/account", body={"frequency_cap_days": 0}, token=self.token)
            self.assertEqual(r.status, 200, r)
            connect_telegram(self.srv, self.token, ME_PHONE, CODE)
        want = {u["id"] for u in USERS}
        self.assertTrue(wait_until(lambda: want <= set(contacts_by_tg_id(self.srv, self.token)), 20))
        return want

    def test_a_campaign_waits_for_the_media_store_and_never_sends_without_its_photo(self):
        want = self.connected()
        data = png("outage photo")
        m = upload(self.srv, self.token, data)
        self.assertEqual(m.status, 201, m)
        marker = "S3 outage check"
        r = self.srv.post("/campaigns", {"name": marker, "message_text": marker + " for {{first_name}}",
                                         "media_ids": [m.json["id"]]}, token=self.token)
        self.assertEqual(r.status, 201, r)
        cid = r.json["id"]
        self.s3.fail_next(100000, 503)  # the store is down until further notice
        try:
            r = self.srv.post(f"/campaigns/{cid}/start", {"override_quiet_hours": True}, token=self.token)
            self.assertEqual(r.status, 200, r)
            logs = lambda: campaign_logs(self.srv, self.token, cid)  # noqa: E731
            self.assertTrue(wait_until(lambda: any(l["error_code"] == "MEDIA_UNAVAILABLE" for l in logs()), 15),
                            f"no retry logged while the media store is down: {logs()}")
            time.sleep(1)
            self.assertEqual([x for x in read_record(self.record_path) if marker in (x.get("text") or "")], [],
                             "a message went out without its photo while the media store was down")
            self.assertEqual(self.srv.get(f"/campaigns/{cid}", token=self.token).json["status"], "running")
        finally:
            self.s3.fail_next(0)
        done = wait_until(lambda: self.srv.get(f"/campaigns/{cid}", token=self.token).json["status"] == "completed",
                          40)
        self.assertTrue(done, self.srv.get(f"/campaigns/{cid}/analytics", token=self.token).json)
        lines = [x for x in read_record(self.record_path) if marker in (x.get("text") or "")]
        self.assertEqual(sorted(x["user_id"] for x in lines), sorted(want), "not every recipient exactly once")
        self.assertTrue(all(x["media"] and x["media"]["mime"] == "image/png" for x in lines), lines)
        a = self.srv.get(f"/campaigns/{cid}/analytics", token=self.token).json
        self.assertEqual((a["sent"], a["failed"]), (len(USERS), 0), a)

    def test_a_campaign_with_media_is_sent_from_the_download_cache(self):
        want = self.connected()
        data = png("campaign photo")
        m = upload(self.srv, self.token, data)
        self.assertEqual(m.status, 201, m)
        cache_file = os.path.join(os.path.realpath(self.srv.data), "media-cache", self.key(data))
        self.assertFalse(os.path.exists(cache_file))

        def run(marker):
            r = self.srv.post("/campaigns", {"name": marker, "message_text": marker + " for {{first_name}}",
                                             "media_ids": [m.json["id"]]}, token=self.token)
            self.assertEqual(r.status, 201, r)
            cid = r.json["id"]
            r = self.srv.post(f"/campaigns/{cid}/start", {"override_quiet_hours": True}, token=self.token)
            self.assertEqual(r.status, 200, r)
            done = wait_until(lambda: self.srv.get(f"/campaigns/{cid}", token=self.token).json["status"]
                              == "completed", 30)
            self.assertTrue(done, self.srv.get(f"/campaigns/{cid}", token=self.token).json)
            return [x for x in read_record(self.record_path) if marker in (x.get("text") or "")]

        lines = run("S3 media check")
        self.assertEqual(sorted(x["user_id"] for x in lines), sorted(want))
        for x in lines:
            self.assertEqual(x["media"], {"path": cache_file, "mime": "image/png"}, x)
        with open(cache_file, "rb") as f:
            self.assertTrue(f.read() == data, "the cache file differs from the media")
        self.assertEqual(stat.S_IMODE(os.stat(cache_file).st_mode), 0o600)
        self.assertEqual(stat.S_IMODE(os.stat(os.path.dirname(cache_file)).st_mode), 0o700)
        # Downloaded once, then reused for the other recipients.
        self.assertEqual(len(self.requests_for(data, "GET")), 1)

        # A damaged cache file is not handed to Telegram: it is downloaded again.
        with open(cache_file, "r+b") as f:
            f.write(b"\0\0\0\0")
        lines = run("S3 damaged cache check")
        self.assertEqual(len(lines), len(USERS))
        with open(cache_file, "rb") as f:
            self.assertTrue(f.read() == data, "the damaged cache file was not replaced")
        self.assertEqual(len(self.requests_for(data, "GET")), 2)
        self.assertEqual([n for n in os.listdir(os.path.dirname(cache_file)) if n.startswith(".tmp")], [])


# --------------------------------------------------------------------------------------------
# Wrong credentials, an unreachable endpoint.

class S3FailureTest(S3Case):
    @classmethod
    def setUpClass(cls):
        cls.work = tempfile.mkdtemp(prefix="tgrtest-s3-fail-")
        cls.s3 = S3Server(os.path.join(cls.work, "s3")).start()

    @classmethod
    def tearDownClass(cls):
        cls.s3.stop()
        shutil.rmtree(cls.work, ignore_errors=True)

    def refused_upload(self, env, s3_code=None):
        """Start tgr with env, upload a photo: it must fail with the JSON 503 while the server
        stays up; returns the server's log."""
        srv = Server(args=["--media", f"s3://{BUCKET}"], env=env)
        try:
            srv.start()
            token, account_id = new_account(srv, "fail@shop.test")
            data = png("refused")
            r = upload(srv, token, data)
            self.assertError(r, 503, "unavailable")
            self.assertNoSecrets(r.body.decode(), "the reply")
            self.assertTrue(srv.healthy(), "the server died")
            self.assertEqual(upload(srv, token, data).status, 503)
            self.assertFalse(os.path.exists(self.s3.object_file(f"{account_id}/{sha(data)}")))
            if s3_code:
                self.assertIn(s3_code, [q["code"] for q in self.s3.requests()])
            rc, log = stop_checked(srv)
            self.assertEqual(rc, 0, log)
            self.assertNoSecrets(log, "the log")
            return log
        finally:
            srv.cleanup()

    def test_a_wrong_secret_key_fails_the_upload_with_a_clear_503(self):
        log = self.refused_upload(self.s3.env(secret=WRONG_SECRET), "SignatureDoesNotMatch")
        self.assertRegex(log, r"PUT tgr-media/\d+/[0-9a-f]{64}: HTTP 403 SignatureDoesNotMatch")

    def test_an_unknown_access_key_fails_the_upload_with_a_clear_503(self):
        self.refused_upload(self.s3.env(access="AKIAUNKNOWNKEY000000"), "InvalidAccessKeyId")

    def test_an_unreachable_endpoint_fails_the_upload_with_a_clear_503(self):
        env = self.s3.env()
        env["TGR_S3_ENDPOINT"] = f"http://127.0.0.1:{free_port()}"
        log = self.refused_upload(env)
        self.assertIn("retrying", log)

    def test_a_bucket_that_does_not_exist(self):
        srv = Server(args=["--media", "s3://no-such-bucket"], env=self.s3.env())
        try:
            srv.start()
            token, _ = new_account(srv, "nobucket@shop.test")
            self.assertError(upload(srv, token, png("no bucket")), 503, "unavailable")
            self.assertIn("NoSuchBucket", srv.stderr_text())
        finally:
            srv.cleanup()


# --------------------------------------------------------------------------------------------
# Settings: --media / TGR_MEDIA and the S3 environment.

class S3ConfigTest(S3Case):
    def serve_fails(self, args, env):
        with tempfile.TemporaryDirectory(prefix="tgrtest-s3-cfg-") as d:
            r = run_cli("serve", "--listen", "127.0.0.1:0", "--data", d, *args, env=env, timeout=30)
        self.assertEqual(r.returncode, 2, f"stdout {r.stdout!r} stderr {r.stderr!r}")
        self.assertNoSecrets(r.stdout + r.stderr, "the output")
        return r.stderr

    def test_help_shows_the_option(self):
        r = run_cli("serve", "--help")
        self.assertEqual(r.returncode, 0)
        self.assertRegex(r.stdout, r"--media\s+TGR_MEDIA\s+.*s3://BUCKET")

    def test_missing_or_wrong_settings_stop_the_start_with_exit_2(self):
        full = {"TGR_S3_ENDPOINT": "http://127.0.0.1:9", "AWS_ACCESS_KEY_ID": ACCESS_KEY,
                "AWS_SECRET_ACCESS_KEY": SECRET_KEY}

        def without(k):
            return {**{x: v for x, v in full.items() if x != k}, k: ""}

        cases = [
            (["--media", "s3://tgr-media"], without("TGR_S3_ENDPOINT"), "TGR_S3_ENDPOINT"),
            (["--media", "s3://tgr-media"], without("AWS_ACCESS_KEY_ID"), "AWS_ACCESS_KEY_ID"),
            (["--media", "s3://tgr-media"], without("AWS_SECRET_ACCESS_KEY"), "AWS_SECRET_ACCESS_KEY"),
            ([], {**without("TGR_S3_ENDPOINT"), "TGR_MEDIA": "s3://tgr-media"}, "TGR_S3_ENDPOINT"),
            (["--media", "s3://tgr-media"], {**full, "TGR_S3_ENDPOINT": "ftp://127.0.0.1:9"}, "TGR_S3_ENDPOINT"),
            (["--media", "s3://tgr-media"], {**full, "TGR_S3_ENDPOINT": "http://user:pw@127.0.0.1:9"},
             "TGR_S3_ENDPOINT"),
            (["--media", "s3://tgr-media"], {**full, "TGR_S3_REGION": "eu central"}, "TGR_S3_REGION"),
            (["--media", "s3://Not_A_Bucket"], full, "bucket"),
            (["--media", "s3://tgr-media/../x"], full, "prefix"),
            (["--media", "s3://"], full, "--media"),
            (["--media", "ftp://tgr-media"], full, "--media"),
            (["--media", "/var/media"], full, "--media"),
        ]
        for args, env, says in cases:
            with self.subTest(args=args, env={k: v for k, v in env.items() if "SECRET" not in k}):
                self.assertIn(says, self.serve_fails(args, env))


# --------------------------------------------------------------------------------------------
# Two instances on one database and one bucket.

class TwoInstancesTest(S3Case):
    @classmethod
    def setUpClass(cls):
        cls.work = tempfile.mkdtemp(prefix="tgrtest-s3-two-")
        cls.s3 = S3Server(os.path.join(cls.work, "s3")).start()
        cls.data = os.path.join(cls.work, "shared")
        # Without TGR_TEST_DB the harness decides: sqlite:DATA/tgr.db, or with TGR_TEST_PG the
        # PostgreSQL database tgrtest gives this data dir (the same for both instances).
        cls.db = os.environ.get("TGR_TEST_DB")
        cls.servers = []
        try:
            cls.a = cls.instance().start()
            cls.token_a, cls.account_id = new_account(cls.a, "two@shop.test", cls.db)
            cls.b = cls.instance().start()
            cls.token_b = cls.b.login("two@shop.test", PASSWORD)
        except BaseException:
            cls.tearDownClass()
            raise

    @classmethod
    def instance(cls):
        db = ["--db", cls.db] if cls.db else []
        srv = Server(data=cls.data, args=db + ["--media", f"s3://{BUCKET}"], env=cls.s3.env())
        cls.servers.append(srv)
        return srv

    @classmethod
    def tearDownClass(cls):
        logs = ""
        try:
            for srv in cls.servers:
                if srv.proc is not None and srv.proc.poll() is None:
                    logs += stop_checked(srv)[1]
        finally:
            for srv in cls.servers:
                srv.cleanup()
            cls.s3.stop()
            shutil.rmtree(cls.work, ignore_errors=True)
        if SECRET_KEY in logs:
            raise AssertionError("the secret key is in a log")

    def test_media_uploaded_through_one_instance_is_served_by_the_other(self):
        photo, clip = png("instance A"), video(2 * 1024 * 1024, "instance B")
        ra = upload(self.a, self.token_a, photo)
        self.assertEqual(ra.status, 201, ra)
        rb = upload(self.b, self.token_b, clip, multipart=False)
        self.assertEqual(rb.status, 201, rb)
        for srv, token, mid, data in ((self.b, self.token_b, ra.json["id"], photo),
                                      (self.a, self.token_a, rb.json["id"], clip)):
            g = srv.get(f"/media/{mid}", token=token)
            self.assertEqual(g.status, 200, g)
            self.assertTrue(g.body == data, "the other instance served other bytes")
        # The same bytes through the other instance: the same media, not a second one.
        again = upload(self.b, self.token_b, photo)
        self.assertEqual((again.status, again.json), (200, ra.json))
        # Neither instance kept a local copy.
        self.assertFalse(os.path.exists(os.path.join(self.data, "media", str(self.account_id))))

        # A restart of A (a new process on the same data, database and bucket) keeps everything.
        rc, log = stop_checked(self.a)
        self.assertEqual(rc, 0, log)
        a2 = self.instance().start()
        token = a2.login("two@shop.test", PASSWORD)
        for mid, data in ((ra.json["id"], photo), (rb.json["id"], clip)):
            g = a2.get(f"/media/{mid}", token=token)
            self.assertEqual((g.status, g.body == data), (200, True), g)


if __name__ == "__main__":
    unittest.main(verbosity=2)
