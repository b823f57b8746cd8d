#!/usr/bin/env python3
"""s3server — a small S3-compatible object server for the tests (the stand-in for MinIO or AWS S3,
which this machine cannot reach). Python 3 standard library only.

It serves path-style objects (PUT, GET, HEAD, DELETE on /BUCKET/KEY) from a directory, and is
strict where S3 is strict, so that a client that passes here signs like a real one:

- Every request must carry AWS Signature Version 4 in the Authorization header. The server
  rebuilds the canonical request (method, URI-encoded path, sorted query, the signed headers —
  which must include host, x-amz-date and x-amz-content-sha256 — and the payload hash), the
  credential scope and the HMAC-SHA256 key chain, and answers 403 SignatureDoesNotMatch when the
  signature differs (403 InvalidAccessKeyId for an unknown key, 403 RequestTimeTooSkewed for a
  date more than 15 minutes off).
- x-amz-content-sha256 must be the hex sha256 of the body (400 XAmzContentSHA256Mismatch
  otherwise). Stricter than S3: UNSIGNED-PAYLOAD and streaming payloads are refused (400), because
  tgr must always sign its payload.
- Errors are S3's XML documents (<Error><Code>…</Code><Message>…</Message>…</Error>).

Usage: s3server.py --root DIR --bucket NAME [--bucket NAME…] --access-key AK --secret-key SK
[--region us-east-1] [--log FILE]. It listens on 127.0.0.1 on a free port and prints
"port N" on stdout once it accepts connections. Objects are files DIR/BUCKET/KEY, so a test can
look at what is stored, and a restart on the same DIR keeps them.

--log FILE appends one JSON line per request: method, path, status, code (S3 error code or
null), payload_hash (the x-amz-content-sha256 value), body_sha256 (of what arrived), signed
(the SignedHeaders list). Test hook (unsigned, loopback only): POST /__fail?count=N&status=S
makes the next N object requests answer status S (default 503) with an InternalError/SlowDown
document, to exercise a client's retries.
"""
import argparse
import datetime
import hashlib
import hmac
import json
import os
import re
import sys
import tempfile
import threading
import urllib.parse
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

UNRESERVED = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~"
AUTH_RE = re.compile(r"^AWS4-HMAC-SHA256\s+Credential=([^,\s]+),\s*SignedHeaders=([^,\s]+),\s*Signature=([0-9a-f]{64})$")
MAX_SKEW = datetime.timedelta(minutes=15)
MAX_BODY = 1024 * 1024 * 1024


def uri_encode(s, keep_slash):
    """AWS's URI encoding: every byte but the unreserved ones as %XY (upper case hex)."""
    out = []
    for b in s.encode("utf-8"):
        c = chr(b)
        if c in UNRESERVED or (keep_slash and c == "/"):
            out.append(c)
        else:
            out.append("%%%02X" % b)
    return "".join(out)


def canonical_query(raw):
    pairs = []
    for part in raw.split("&") if raw else []:
        k, _, v = part.partition("=")
        pairs.append((uri_encode(urllib.parse.unquote(k), False), uri_encode(urllib.parse.unquote(v), False)))
    return "&".join(f"{k}={v}" for k, v in sorted(pairs))


def hmac256(key, msg):
    return hmac.new(key, msg.encode("utf-8"), hashlib.sha256).digest()


class S3Error(Exception):
    def __init__(self, status, code, message):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


class State:
    def __init__(self, args):
        self.root = os.path.abspath(args.root)
        self.buckets = set(args.bucket)
        self.keys = {args.access_key: args.secret_key}
        self.region = args.region
        self.log_path = args.log
        self.lock = threading.Lock()
        self.fail_count = 0
        self.fail_status = 503
        for b in self.buckets:
            os.makedirs(os.path.join(self.root, b), exist_ok=True)

    def take_fault(self):
        with self.lock:
            if self.fail_count > 0:
                self.fail_count -= 1
                return self.fail_status
        return None

    def log(self, rec):
        if not self.log_path:
            return
        with self.lock, open(self.log_path, "a", encoding="utf-8") as f:
            f.write(json.dumps(rec) + "\n")


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "tgr-test-s3"
    state = None  # set by main

    def log_message(self, fmt, *args):  # quiet: the JSON log is the record
        pass

    # --- replies ---------------------------------------------------------------------------
    # A reply is (status, headers, body); it is logged before it is sent, so that a client that
    # has its answer finds the request in the log.

    def xml_error(self, err, resource):
        body = ("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>{}</Code><Message>{}</Message>"
                "<Resource>{}</Resource><RequestId>{}</RequestId></Error>").format(
                    err.code, xml_escape(err.message), xml_escape(resource), uuid.uuid4().hex).encode()
        return err.status, {"Content-Type": "application/xml"}, body

    def send(self, reply):
        status, headers, body = reply
        self.send_response(status)
        for k, v in headers.items():
            self.send_header(k, v)
        if status != 204:
            self.send_header("Content-Length", headers.get("Content-Length", str(len(body))))
        self.end_headers()
        if self.command != "HEAD" and body:
            self.wfile.write(body)

    # --- checks ----------------------------------------------------------------------------

    def read_body(self):
        if self.headers.get("Transfer-Encoding"):
            raise S3Error(411, "MissingContentLength", "You must provide the Content-Length HTTP header.")
        n = self.headers.get("Content-Length")
        if n is None:
            return b""
        if not n.isdigit() or int(n) > MAX_BODY:
            raise S3Error(400, "InvalidArgument", "Content-Length is not valid.")
        n = int(n)
        data = b""
        while len(data) < n:
            chunk = self.rfile.read(n - len(data))
            if not chunk:
                raise S3Error(400, "IncompleteBody", "You did not provide the number of bytes specified by the "
                                                     "Content-Length HTTP header.")
            data += chunk
        return data

    def verify(self, path, query, body, rec):
        """Check the SigV4 signature and the payload hash of this request; raise S3Error."""
        auth = self.headers.get("Authorization")
        if not auth:
            raise S3Error(403, "AccessDenied", "Access Denied (no Authorization header).")
        m = AUTH_RE.match(auth.strip())
        if not m:
            raise S3Error(400, "AuthorizationHeaderMalformed", "The authorization header is malformed.")
        credential, signed, signature = m.groups()
        parts = credential.split("/")
        if len(parts) != 5:
            raise S3Error(400, "AuthorizationHeaderMalformed", "The credential is malformed.")
        access_key, day, region, service, terminator = parts
        signed_list = signed.split(";")
        rec["signed"] = signed_list
        if access_key not in self.state.keys:
            raise S3Error(403, "InvalidAccessKeyId", "The AWS Access Key Id you provided does not exist in our records.")
        if region != self.state.region or service != "s3" or terminator != "aws4_request":
            raise S3Error(400, "AuthorizationHeaderMalformed",
                          f"The authorization header is malformed; the region '{region}' is wrong; "
                          f"expecting '{self.state.region}'.")
        for need in ("host", "x-amz-date", "x-amz-content-sha256"):
            if need not in signed_list:
                raise S3Error(403, "AccessDenied", f"The header {need} must be signed.")
        if signed_list != sorted(signed_list):
            raise S3Error(403, "SignatureDoesNotMatch", "SignedHeaders is not sorted.")
        amz_date = self.headers.get("x-amz-date") or ""
        try:
            when = datetime.datetime.strptime(amz_date, "%Y%m%dT%H%M%SZ").replace(tzinfo=datetime.timezone.utc)
        except ValueError:
            raise S3Error(403, "AccessDenied", "x-amz-date is missing or not in the basic ISO 8601 format.") from None
        if abs(datetime.datetime.now(datetime.timezone.utc) - when) > MAX_SKEW:
            raise S3Error(403, "RequestTimeTooSkewed",
                          "The difference between the request time and the current time is too large.")
        if day != amz_date[:8]:
            raise S3Error(403, "SignatureDoesNotMatch", "The credential date does not match x-amz-date.")
        payload_hash = self.headers.get("x-amz-content-sha256")
        rec["payload_hash"] = payload_hash
        if payload_hash is None:
            raise S3Error(400, "InvalidRequest", "Missing required header for this request: x-amz-content-sha256")
        if not re.fullmatch(r"[0-9a-f]{64}", payload_hash):
            raise S3Error(400, "InvalidRequest",
                          "This server wants the payload signed: x-amz-content-sha256 must be its hex sha256.")
        headers = {}
        for name in signed_list:
            values = self.headers.get_all(name)
            if values is None:
                raise S3Error(403, "SignatureDoesNotMatch", f"The signed header {name} is missing.")
            headers[name] = ",".join(" ".join(v.strip().split()) for v in values)
        canonical = "\n".join([
            self.command,
            uri_encode(urllib.parse.unquote(path), True),
            canonical_query(query),
            "".join(f"{n}:{headers[n]}\n" for n in signed_list),
            signed,
            payload_hash,
        ])
        scope = f"{day}/{region}/s3/aws4_request"
        to_sign = "\n".join(["AWS4-HMAC-SHA256", amz_date, scope,
                             hashlib.sha256(canonical.encode("utf-8")).hexdigest()])
        key = hmac256(("AWS4" + self.state.keys[access_key]).encode("utf-8"), day)
        for part in (region, "s3", "aws4_request"):
            key = hmac256(key, part)
        expected = hmac.new(key, to_sign.encode("utf-8"), hashlib.sha256).hexdigest()
        if not hmac.compare_digest(expected, signature):
            raise S3Error(403, "SignatureDoesNotMatch", "The request signature we calculated does not match the "
                                                        "signature you provided. Check your key and signing method.")
        # Only a body whose hash was signed is taken: the signature covers the header, this the bytes.
        if hashlib.sha256(body).hexdigest() != payload_hash:
            raise S3Error(400, "XAmzContentSHA256Mismatch",
                          "The provided 'x-amz-content-sha256' header does not match what was computed.")

    def object_path(self, path):
        """(bucket, key, file path) of /BUCKET/KEY; raises S3Error for anything else."""
        bucket, _, key = urllib.parse.unquote(path).lstrip("/").partition("/")
        if bucket not in self.state.buckets:
            raise S3Error(404, "NoSuchBucket", "The specified bucket does not exist.")
        if not key or any(p in ("", ".", "..") for p in key.split("/")):
            raise S3Error(400, "InvalidArgument", "This server only serves plain object keys.")
        return bucket, key, os.path.join(self.state.root, bucket, *key.split("/"))

    # --- methods ---------------------------------------------------------------------------

    def handle_any(self):
        url = urllib.parse.urlsplit(self.path)
        rec = {"method": self.command, "path": url.path, "status": None, "code": None, "payload_hash": None,
               "body_sha256": None, "signed": None}
        try:
            if url.path == "/__fail" and self.command == "POST":
                q = urllib.parse.parse_qs(url.query)
                with self.state.lock:
                    self.state.fail_count = int(q.get("count", ["1"])[0])
                    self.state.fail_status = int(q.get("status", ["503"])[0])
                reply = (204, {}, b"")
            else:
                body = self.read_body()
                rec["body_sha256"] = hashlib.sha256(body).hexdigest()
                fault = self.state.take_fault()
                if fault:
                    raise S3Error(fault, "SlowDown" if fault == 503 else "InternalError",
                                  "Injected failure: please retry.")
                self.verify(url.path, url.query, body, rec)
                reply = self.serve(body, self.object_path(url.path)[2])
        except S3Error as e:
            rec["code"] = e.code
            reply = self.xml_error(e, url.path)
        rec["status"] = reply[0]
        self.state.log(rec)
        self.send(reply)

    def serve(self, body, fpath):
        if self.command not in ("GET", "HEAD", "PUT", "DELETE"):
            raise S3Error(405, "MethodNotAllowed", "The specified method is not allowed against this resource.")
        if self.command == "PUT":
            os.makedirs(os.path.dirname(fpath), exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=os.path.dirname(fpath), prefix=".put-")
            with os.fdopen(fd, "wb") as f:
                f.write(body)
            os.replace(tmp, fpath)
            return 200, {"ETag": '"%s"' % hashlib.md5(body).hexdigest()}, b""
        if self.command == "DELETE":
            try:
                os.unlink(fpath)
            except FileNotFoundError:
                pass
            return 204, {}, b""
        try:
            with open(fpath, "rb") as f:
                data = f.read()
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            raise S3Error(404, "NoSuchKey", "The specified key does not exist.") from None
        return 200, {"Content-Type": "binary/octet-stream", "ETag": '"%s"' % hashlib.md5(data).hexdigest()}, data

    do_GET = do_PUT = do_HEAD = do_DELETE = do_POST = handle_any


def xml_escape(s):
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--root", required=True)
    ap.add_argument("--bucket", action="append", required=True)
    ap.add_argument("--access-key", required=True)
    ap.add_argument("--secret-key", required=True)
    ap.add_argument("--region", default="us-east-1")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--log")
    args = ap.parse_args()
    Handler.state = State(args)
    srv = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    srv.daemon_threads = True
    print(f"port {srv.server_address[1]}", flush=True)
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass
    sys.exit(0)


if __name__ == "__main__":
    main()
