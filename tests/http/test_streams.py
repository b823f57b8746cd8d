#!/usr/bin/env python3
"""test_streams — HTTP scenario tests of the live log streams' limits (issue 13 item 7; README
"Limits", docs/DECISIONS.md 50): at most --max-streams-per-account streams per account (the next
one is a 429 `too_many_streams` in the error shape, and a closed stream frees its slot at once), a
stream ends by itself when the token it was opened with expires (an API-key stream after
--stream-max-age) or is revoked ("sign out everywhere", a new API key), and a quiet stream gets a
keep-alive comment every --stream-keepalive seconds; and the ticker that serves them sleeps while
none is open.

A token that expires in a few seconds is minted here with the server's own JWT key, derived from
its DATA/master.key as tgr derives it (libsodium's crypto_kdf: BLAKE2b keyed with the master key,
subkey id 2, context "tgr-keys"). Run: python3 tests/http/test_streams.py (CTest sets TGR_BIN).
"""
import base64
import hashlib
import json
import os
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tgrtest import VALGRIND_SLOWDOWN, EventStream, ServerCase, is_error_shape, make_jwt, wait_until  # noqa: E402

PASSWORD = "correct horse battery staple 42"
JWT_HEADER = {"alg": "HS256", "typ": "JWT"}
SUBKEY_JWT = 2
# Generous bounds for things that take well under a second: the machine is shared and noisy.
WAIT = 15 * VALGRIND_SLOWDOWN


def jwt_key(data_dir):
    """The server's HS256 key: crypto_kdf_derive_from_key(32, 2, "tgr-keys", master key 1)."""
    with open(os.path.join(data_dir, "master.key")) as f:
        master = base64.b64decode(f.read().strip())
    return hashlib.blake2b(b"", digest_size=32, key=master, salt=SUBKEY_JWT.to_bytes(8, "little"),
                           person=b"tgr-keys").digest()


def mint_token(data_dir, account_id, lifetime_s):
    now = int(time.time())
    payload = {"sub": str(account_id), "iat": now, "exp": now + lifetime_s, "jti": os.urandom(16).hex()}
    return make_jwt(JWT_HEADER, payload, key=jwt_key(data_dir))


class StreamCase(ServerCase):
    _n = 0

    def account(self):
        """A fresh account with one campaign: (token, API key, account id, logs path)."""
        type(self)._n += 1
        email = f"streams-{type(self).__name__.lower()}-{type(self)._n}@shop.test"
        api_key = self.srv.create_account(email, PASSWORD)
        token = self.srv.login(email, PASSWORD)
        account_id = self.srv.get("/account", token=token).json["id"]
        r = self.srv.post("/campaigns", {"name": "Streams", "message_text": "Hello"}, token=token)
        self.assertEqual(r.status, 201, r)
        return token, api_key, account_id, f"/campaigns/{r.json['id']}/logs"

    def stream(self, path, **kw):
        s = EventStream(self.srv, path, **kw)
        self.addCleanup(s.close)
        return s


class StreamLimitTest(StreamCase):
    """Default settings: 5 streams per account, keep-alive every 15 s, 12 h at most."""

    def test_sixth_stream_gets_429_and_closing_one_frees_its_slot_at_once(self):
        token, api_key, _, path = self.account()
        open_ = [self.stream(path, token=token) for _ in range(5)]
        self.assertEqual([s.status for s in open_], [200] * 5, [s.body for s in open_])
        for creds in ({"token": token}, {"api_key": api_key}):  # counted per account, whatever the credential
            sixth = self.stream(path, **creds)
            self.assertEqual(sixth.status, 429, sixth.body)
            self.assertTrue(is_error_shape(json.loads(sixth.body), "too_many_streams"), sixth.body)
            self.assertTrue((sixth.headers.get("Retry-After") or "").isdigit(), sixth.headers)
        # Another account is not held back by this one's streams.
        other_token, _, _, other_path = self.account()
        self.assertEqual(self.stream(other_path, token=other_token).status, 200)
        # The streams still open are unharmed.
        self.assertTrue(all(not s.ended for s in open_), [s.error for s in open_])
        # A client that goes away gives its slot back: the stream is quiet (nothing would be written
        # to it for 15 s), so the server has to notice the closed connection itself.
        open_[0].close()
        got = wait_until(lambda: self._try_open(path, token), WAIT)
        self.assertTrue(got, "the closed stream's slot was not freed")
        self.assertEqual(self.stream(path, token=token).status, 429)

    def _try_open(self, path, token):
        s = self.stream(path, token=token)
        return s.status == 200

    def test_stream_ends_when_its_token_expires(self):
        token, _, account_id, path = self.account()
        life = int(3 * VALGRIND_SLOWDOWN)
        short = mint_token(self.srv.data, account_id, life)
        self.assertEqual(self.srv.get("/account", token=short).status, 200)
        long_lived = self.stream(path, token=token)
        s = self.stream(path, token=short)
        self.assertEqual((s.status, long_lived.status), (200, 200), s.body)
        self.assertTrue(s.wait_for(lambda st: st.ended, WAIT + life), "the stream outlived its token")
        self.assertIsNone(s.error, "the stream was cut instead of ending")
        self.assertTrue(any("reconnect" in c for c in s.comments), s.comments)
        # A stream opened at the same time with a 12-hour token goes on.
        self.assertFalse(long_lived.ended, long_lived.error)
        # The token has expired: a reconnect is refused, and the ended stream's slot is free.
        self.assertEqual(self.stream(path, token=short).status, 401)
        more = [self.stream(path, token=token) for _ in range(4)]
        self.assertEqual([m.status for m in more], [200] * 4)


class StreamRevocationTest(StreamCase):
    """A revoked credential ends the streams opened with it (the ticker asks the database every
    5 s), and only those."""

    def test_sign_out_everywhere_ends_the_token_streams(self):
        token, api_key, _, path = self.account()
        other_token, _, _, other_path = self.account()
        s = self.stream(path, token=token)
        by_key = self.stream(path, api_key=api_key)
        other = self.stream(other_path, token=other_token)
        self.assertEqual([s.status, by_key.status, other.status], [200] * 3, s.body)
        self.assertEqual(self.srv.post("/auth/logout-all", {}, token=token).status, 204)
        self.assertTrue(s.wait_for(lambda st: st.ended, WAIT + 5), "the stream outlived its revoked token")
        self.assertIsNone(s.error, "the stream was cut instead of ending")
        self.assertTrue(any("revoked" in c for c in s.comments), s.comments)
        # The API key was not revoked, nor was the other account's token.
        self.assertFalse(by_key.ended, by_key.error)
        self.assertFalse(other.ended, other.error)

    def test_a_new_api_key_ends_the_old_keys_streams(self):
        token, api_key, _, path = self.account()
        by_key = self.stream(path, api_key=api_key)
        by_token = self.stream(path, token=token)
        self.assertEqual([by_key.status, by_token.status], [200, 200], by_key.body)
        r = self.srv.post("/account/api-key", {}, token=token)
        self.assertEqual(r.status, 200, r)
        self.assertTrue(by_key.wait_for(lambda st: st.ended, WAIT + 5), "the stream outlived its replaced key")
        self.assertTrue(any("revoked" in c for c in by_key.comments), by_key.comments)
        self.assertFalse(by_token.ended, by_token.error)
        # The new key opens a stream.
        self.assertEqual(self.stream(path, api_key=r.json["api_key"]).status, 200)


class StreamTimingTest(StreamCase):
    """Shortened keep-alive interval and lifetime, the way an operator sets them."""

    MAX_AGE = 5
    SERVER_ARGS = ["--stream-keepalive", "1", "--stream-max-age", str(MAX_AGE)]

    def test_quiet_stream_gets_keep_alive_comments(self):
        token, _, _, path = self.account()
        s = self.stream(path, token=token)
        self.assertEqual(s.status, 200, s.body)
        self.assertTrue(s.wait_for(lambda st: st.comments.count("keep-alive") >= 2, WAIT),
                        f"comments: {s.comments}, ended: {s.ended}, error: {s.error}")
        self.assertEqual(s.events, [])

    def test_api_key_stream_ends_after_the_maximum_age(self):
        _, api_key, _, path = self.account()
        s = self.stream(path, api_key=api_key)
        self.assertEqual(s.status, 200, s.body)
        self.assertTrue(s.wait_for(lambda st: st.ended, WAIT + self.MAX_AGE), "the API-key stream did not end")
        self.assertIsNone(s.error, "the stream was cut instead of ending")
        # Ended on time, so keep-alives came before the end.
        self.assertIn("keep-alive", s.comments)


def thread_wakes(pid, name):
    """How often the server's thread called name has slept and been woken (its voluntary context
    switches, as the kernel counts them); None when it has no such thread."""
    for t in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{t}/comm") as f:
                if f.read().strip() != name:
                    continue
            with open(f"/proc/{pid}/task/{t}/status") as f:
                for line in f:
                    if line.startswith("voluntary_ctxt_switches:"):
                        return int(line.split()[1])
        except FileNotFoundError:
            continue
    return None


class StreamTickerTest(StreamCase):
    """The ticker that resumes parked streams sleeps while none is open (DECISIONS 103): a server
    nobody watches live does not wake four times a second for it."""

    def idle_wakes(self, seconds):
        w0 = thread_wakes(self.srv.proc.pid, "tgr-sse")
        time.sleep(seconds)
        return thread_wakes(self.srv.proc.pid, "tgr-sse") - w0

    def test_ticker_runs_only_while_a_stream_is_open(self):
        self.assertIsNotNone(thread_wakes(self.srv.proc.pid, "tgr-sse"), "no tgr-sse thread")
        self.assertLessEqual(self.idle_wakes(2), 1, "the ticker woke with no stream open")
        token, _, _, path = self.account()
        s = EventStream(self.srv, path, token=token)
        try:
            self.assertEqual(s.status, 200, s.body)
            self.assertGreaterEqual(self.idle_wakes(2), 2, "the ticker did not run for an open stream")
        finally:
            s.close()
        # The closed stream leaves at the next tick (a peek sees the client gone); then it sleeps.
        time.sleep(1.5 * VALGRIND_SLOWDOWN)
        self.assertLessEqual(self.idle_wakes(2), 1, "the ticker kept waking after the last stream closed")


if __name__ == "__main__":
    unittest.main(verbosity=2)
