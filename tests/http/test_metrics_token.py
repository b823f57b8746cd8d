#!/usr/bin/env python3
"""test_metrics_token — GET /metrics behind TGR_METRICS_TOKEN (issue 13 item 8; README
"Configuration", docs/DECISIONS.md 50): with the variable set, /metrics needs
`Authorization: Bearer <that token>` and answers anything else 401 in the error shape; unset, it
stays open; the token never shows in the server's log nor in its bridge's environment, and a malformed one stops `tgr serve` at
start without echoing it. Run: python3 tests/http/test_metrics_token.py (CTest sets TGR_BIN).
"""
import os
import re
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tgrtest import BIN, REPO, Server, ServerCase, bridge_pids, clean_env, is_error_shape, wait_until  # noqa: E402

TOKEN = "mt-" + os.urandom(24).hex()
WRONG = "mt-" + os.urandom(24).hex()
# A sample line of the Prometheus text format: name{label="value",…} number
SAMPLE_RE = re.compile(r'^[a-zA-Z_:][a-zA-Z0-9_:]*(\{([a-zA-Z_][a-zA-Z0-9_]*="(\\.|[^"\\])*",?)*\})? '
                       r'(-?[0-9.eE+-]+|\+Inf|-Inf|NaN)$')


def exposition_problems(text):
    """Lines of text that are not Prometheus text-format lines (empty list when it is well formed),
    and whether every sample's metric family was declared with # TYPE first."""
    bad, typed = [], set()
    for line in text.splitlines():
        if line.startswith("# TYPE "):
            typed.add(line.split()[2])
        elif line.startswith("# HELP ") or line == "":
            continue
        elif not SAMPLE_RE.match(line):
            bad.append(line)
        else:
            name = re.match(r"[a-zA-Z_:][a-zA-Z0-9_:]*", line).group(0)
            family = re.sub(r"_(bucket|sum|count)$", "", name)
            if name not in typed and family not in typed:
                bad.append("undeclared: " + line)
    return bad


class MetricsTokenTest(ServerCase):
    SERVER_ARGS = ["--log-level", "debug"]
    SERVER_ENV = {"TGR_METRICS_TOKEN": TOKEN}

    def test_metrics_need_the_token(self):
        refused = {
            "no credential": {},
            "wrong token": {"Authorization": "Bearer " + WRONG},
            "token with a suffix": {"Authorization": "Bearer " + TOKEN + "x"},
            "token cut short": {"Authorization": "Bearer " + TOKEN[:-1]},
            "another scheme": {"Authorization": "Basic " + TOKEN},
            "the token without a scheme": {"Authorization": TOKEN},
            "as an API key": {"X-API-Key": TOKEN},
        }
        for name, headers in refused.items():
            with self.subTest(name):
                r = self.srv.get("/metrics", headers=headers)
                self.assertEqual(r.status, 401, r)
                self.assertTrue(is_error_shape(r.json, "unauthorized"), r.body)
                self.assertEqual(r.header("WWW-Authenticate"), "Bearer")
                self.assertNotIn(b"tgr_http_requests_total", r.body)
        for scheme in ("Bearer", "bearer"):
            r = self.srv.get("/metrics", headers={"Authorization": f"{scheme} {TOKEN}"})
            self.assertEqual(r.status, 200, r)
        self.assertTrue(r.header("Content-Type").startswith("text/plain"), r.header("Content-Type"))
        text = r.body.decode()
        self.assertEqual(exposition_problems(text), [])
        self.assertRegex(text, r"(?m)^tgr_build_info\{[^}]*version=\"[^\"]+\"[^}]*\} 1$")
        # The refusals are counted like any other reply.
        self.assertRegex(text, r'(?m)^tgr_http_requests_total\{method="GET",route="/metrics",status="401"\} [1-9]')
        # Other routes are not affected: /healthz stays open.
        self.assertEqual(self.srv.get("/healthz").status, 200)

    def test_token_is_never_logged(self):
        self.srv.get("/metrics", headers={"Authorization": "Bearer " + TOKEN})
        self.srv.get("/metrics", headers={"Authorization": "Bearer " + WRONG})
        log = self.srv.stderr_text() + self.srv.stdout_text()
        self.assertNotIn(TOKEN, log)
        self.assertNotIn(WRONG, log)
        # Nor handed to the Telegram bridge the server starts.
        pids = wait_until(lambda: bridge_pids(self.srv), 20)
        self.assertTrue(pids, "no bridge process to look at")
        for pid in pids:
            with open(f"/proc/{pid}/environ", "rb") as f:
                # (not assertNotIn: its message would print the whole environment)
                self.assertFalse(TOKEN.encode() in f.read(), "the bridge inherited TGR_METRICS_TOKEN")


class OpenMetricsTest(unittest.TestCase):
    def test_without_the_variable_metrics_stay_open(self):
        with Server(env={"TGR_METRICS_TOKEN": ""}) as srv:
            r = srv.get("/metrics")
            self.assertEqual(r.status, 200, r)
            self.assertEqual(exposition_problems(r.body.decode()), [])

    def test_a_malformed_token_stops_the_server_without_showing_it(self):
        for bad in ("short-token", "has a space in the middle of it", "x" * 600):
            with self.subTest(bad[:20]):
                p = subprocess.run([BIN, "serve", "--listen", "127.0.0.1:0", "--data", os.devnull],
                                   env=clean_env({"TGR_METRICS_TOKEN": bad}), cwd=REPO, stdout=subprocess.PIPE,
                                   stderr=subprocess.PIPE, text=True, timeout=60)
                self.assertEqual(p.returncode, 2, p.stderr)
                self.assertIn("TGR_METRICS_TOKEN", p.stderr)
                self.assertNotIn(bad, p.stderr + p.stdout)


if __name__ == "__main__":
    unittest.main(verbosity=2)
