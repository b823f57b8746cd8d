#!/usr/bin/env python3
"""test_ops_metrics — the operators' metrics (issue 20 item 2, README "Metrics"): after a
campaign on the simulated Telegram that meets a FloodWait and a customer who blocked the shop,
and order webhooks of six outcomes (two credited to the campaign, in two currencies, one of them
refunded), GET /metrics passes `promtool check metrics` (Debian's prometheus package), counts the
sent, failed (by reason) messages and the FloodWait with its seconds, the orders credited, their
revenue and refunds by currency and the webhooks by outcome, times every send and bridge request
in its histograms, reads campaigns by status, the outbox depth and the sealing key in use, has
no store error, and no label carries a person's id or phone; deploy/prometheus/alerts.yml passes
`promtool check rules`; deploy/grafana/tgr.json parses and shows every metric family this server
exports, and it and the alerts name no other.
Run: python3 tests/http/test_ops_metrics.py (CTest sets TGR_BIN).
"""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tgrtest import REPO, Server, connect_telegram, contacts_by_tg_id, sim_args, wait_until, write_scenario  # noqa: E402

PASSWORD = "metrics-pass-1234"
ME_PHONE, CODE = "+15550001111", "24680"
USERS = [{"id": f"78{i:02d}", "access_hash": str(52000 + i), "first_name": f"Metric{i}", "phone": f"+4470000077{i:02d}",
          "messages": [{"text": f"order question {i}", "ago_seconds": 3600 + i}]} for i in range(5)]
USERS[4]["error"] = "USER_IS_BLOCKED"
SCENARIO = {"me": {"id": "7700", "first_name": "Metrics Shop", "phone": ME_PHONE}, "login": {"code": CODE},
            "users": USERS, "faults": [{"on_send": 2, "error": "FLOOD_WAIT", "seconds": 1}],
            "record": "deliveries.jsonl"}
PAID = {"order_id": "M-1", "amount": 1999, "currency": "EUR", "status": "paid",
        "customer": {"telegram_user_id": USERS[0]["id"]}}
PAID_USD = {"order_id": "M-2", "amount": 500, "currency": "USD", "status": "paid",
            "customer": {"telegram_user_id": USERS[1]["id"]}}
# accepted, accepted, duplicate, refunded, conflict (another amount), invalid (a lower-case currency)
ORDERS = [PAID, PAID_USD, PAID, dict(PAID_USD, status="refunded"), dict(PAID, amount=2000),
          dict(PAID, order_id="M-3", currency="eur")]
SAMPLE_RE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)$')
GRAFANA = os.path.join(REPO, "deploy", "grafana", "tgr.json")
ALERTS = os.path.join(REPO, "deploy", "prometheus", "alerts.yml")


def families(text):
    """{family: type} of the # TYPE lines of an exposition."""
    return dict(l.split()[2:4] for l in text.splitlines() if l.startswith("# TYPE "))


def samples(text):
    """[(name, {label: value}, value)] of an exposition."""
    out = []
    for line in text.splitlines():
        if line.startswith("#") or not line:
            continue
        m = SAMPLE_RE.match(line)
        labels = dict(re.findall(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:\\.|[^"\\])*)"', m.group(3) or ""))
        out.append((m.group(1), labels, float(m.group(4))))
    return out


def value(text, name, **labels):
    return sum(v for n, l, v in samples(text) if n == name and all(l.get(k) == x for k, x in labels.items()))


def referenced(text):
    """Metric names in PromQL expressions (tgr_… and up), without histogram suffixes."""
    names = set(re.findall(r"\b(tgr_[a-z0-9_]+|up)\b", text))
    return {re.sub(r"_(bucket|sum|count)$", "", n) for n in names}


class OpsMetrics(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.work = tempfile.mkdtemp(prefix="tgr-opsmetrics-")
        cls.srv = Server(args=sim_args(write_scenario(cls.work, SCENARIO)) + ["--send-rate", "10"])
        cls.srv.start()
        try:
            key = cls.srv.create_account("metrics@shop.test", PASSWORD)
            token = cls.srv.login("metrics@shop.test", PASSWORD)
            connect_telegram(cls.srv, token, ME_PHONE, CODE)
            count = lambda: len(contacts_by_tg_id(cls.srv, token))  # noqa: E731
            assert wait_until(lambda: count() == len(USERS), 20), count()
            r = cls.srv.post("/campaigns", {"name": "Metrics", "message_text": "Hello"}, token=token)
            assert r.status == 201, r
            cid = r.json["id"]
            r = cls.srv.post(f"/campaigns/{cid}/start", {"override_quiet_hours": True}, token=token)
            assert r.status == 200, r
            assert wait_until(lambda: cls.srv.get(f"/campaigns/{cid}", token=token).json["status"] == "completed", 60)
            r = cls.srv.post("/campaigns", {"name": "Metrics draft", "message_text": "Later"}, token=token)
            assert r.status == 201, r
            cls.webhooks = [cls.srv.post("/webhooks/orders", body, api_key=key).status for body in ORDERS]
            cls.webhooks.append(cls.srv.post("/webhooks/orders", ORDERS[0]).status)  # no credential
            cls.text = cls.srv.get("/metrics").body.decode()
        except BaseException:
            cls.srv.cleanup()
            shutil.rmtree(cls.work, ignore_errors=True)
            raise

    @classmethod
    def tearDownClass(cls):
        cls.srv.stop()
        cls.srv.cleanup()
        shutil.rmtree(cls.work, ignore_errors=True)

    def test_promtool_check_metrics(self):
        r = subprocess.run(["promtool", "check", "metrics"], input=self.text, text=True, capture_output=True)
        self.assertEqual((r.returncode, r.stdout + r.stderr), (0, ""))

    def test_campaign_is_counted(self):
        self.assertEqual(value(self.text, "tgr_messages_sent_total"), 4)
        self.assertEqual(value(self.text, "tgr_messages_failed_total", reason="USER_IS_BLOCKED"), 1)
        self.assertEqual(value(self.text, "tgr_flood_waits_total"), 1)
        self.assertGreaterEqual(value(self.text, "tgr_flood_wait_seconds_total"), 1)
        self.assertEqual(value(self.text, "tgr_leases_taken_total"), 1)
        # Messages sent whose outcomes wait for the next group commit are not prepared again: each
        # came back from the next read, was rendered and claimed, and the claim found it sent.
        self.assertEqual(value(self.text, "tgr_send_claims_missed_total"), 0)
        self.assertEqual(value(self.text, "tgr_bridge_restarts_total"), 0)
        for name in ("tgr_peer_flood_pauses_total", "tgr_session_invalid_pauses_total", "tgr_storage_pauses_total",
                     "tgr_clicks_counted_total", "tgr_clicks_bots_total", "tgr_messages_skipped_total"):
            self.assertIn(name, families(self.text))

    def test_orders_are_counted(self):
        self.assertEqual(self.webhooks, [202, 202, 202, 202, 409, 400, 401])
        self.assertEqual(value(self.text, "tgr_orders_attributed_total"), 2)
        self.assertEqual(value(self.text, "tgr_orders_attributed_refunded_total"), 1)
        self.assertEqual(value(self.text, "tgr_revenue_minor_total", currency="EUR"), 1999)
        self.assertEqual(value(self.text, "tgr_revenue_minor_total", currency="USD"), 500)
        self.assertEqual(value(self.text, "tgr_revenue_refunded_minor_total", currency="USD"), 500)
        self.assertEqual(value(self.text, "tgr_revenue_refunded_minor_total", currency="EUR"), 0)
        outcomes = {l["outcome"]: v for n, l, v in samples(self.text) if n == "tgr_order_webhooks_total"}
        self.assertEqual(outcomes, {"accepted": 2, "refunded": 1, "duplicate": 1, "conflict": 1, "invalid": 1,
                                    "unauthorized": 1, "limited": 0, "failed": 0})

    def test_gauges(self):
        by_status = {l["status"]: v for n, l, v in samples(self.text) if n == "tgr_campaigns"}
        self.assertEqual(by_status, {"draft": 1, "running": 0, "nudging": 0, "paused": 0, "completed": 1,
                                     "cancelled": 0, "scheduled": 0})
        self.assertEqual(value(self.text, "tgr_outbox_messages"), 0)
        self.assertEqual(value(self.text, "tgr_sealing_key_id"), 1)
        self.assertEqual(families(self.text)["tgr_outbox_messages"], "gauge")
        self.assertEqual(value(self.text, "tgr_store_errors_total", kind="hard"), 0)
        self.assertEqual(value(self.text, "tgr_store_errors_total", kind="transient"), 0)

    def test_latency_histograms(self):
        # Five messages and the one FloodWait'ed again: each one timed by the engine and at the bridge.
        sends = value(self.text, "tgr_send_duration_seconds_count")
        self.assertGreaterEqual(sends, len(USERS) + 1)
        self.assertEqual(sends, value(self.text, "tgr_bridge_request_duration_seconds_count", op="send"))
        self.assertEqual(sends, value(self.text, "tgr_send_duration_seconds_bucket", le="+Inf"))
        # The engine's clock starts before the bridge call (at the claim), so its sum is no smaller.
        self.assertGreaterEqual(value(self.text, "tgr_send_duration_seconds_sum"),
                                value(self.text, "tgr_bridge_request_duration_seconds_sum", op="send"))
        for op in ("send_code", "sign_in", "sync"):
            self.assertGreaterEqual(value(self.text, "tgr_bridge_request_duration_seconds_count", op=op), 1, op)
        ops = {l["op"] for n, l, _ in samples(self.text) if n == "tgr_bridge_request_duration_seconds_count"}
        self.assertIn("other", ops)
        self.assertEqual(families(self.text)["tgr_send_duration_seconds"], "histogram")

    def test_labels_carry_no_person(self):
        persons = {u["id"] for u in USERS} | {u["phone"] for u in USERS} | {u["phone"].lstrip("+") for u in USERS}
        for name, labels, _ in samples(self.text):
            for k, v in labels.items():
                self.assertNotIn(v, persons, f"{name}{{{k}}}")
                self.assertFalse(re.fullmatch(r"\d{4,}", v) and k not in ("le", "status", "commit"), f"{name}{{{k}={v}}}")

    def test_alert_rules(self):
        r = subprocess.run(["promtool", "check", "rules", ALERTS], text=True, capture_output=True)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("SUCCESS", r.stdout)
        with open(ALERTS) as f:
            text = f.read()
        for wanted in ("tgr_session_invalid_pauses_total", "tgr_peer_flood_pauses_total", "tgr_storage_pauses_total",
                       "tgr_bridge_restarts_total", "/webhooks/orders"):
            self.assertIn(wanted, text)
        self.assertLessEqual(referenced(text), set(families(self.text)) | {"up"})

    def test_dashboard_names_only_exported_metrics(self):
        with open(GRAFANA) as f:
            dash = json.load(f)
        exprs = [t["expr"] for p in dash["panels"] for t in p.get("targets", [])]
        exprs += [v.get("query", "") for v in dash["templating"]["list"] if isinstance(v.get("query"), str)]
        names = referenced("\n".join(exprs))
        self.assertLessEqual(names, set(families(self.text)) | {"up"})
        self.assertEqual(set(families(self.text)) - names, set(), "exported but on no panel")


if __name__ == "__main__":
    unittest.main(verbosity=2)
