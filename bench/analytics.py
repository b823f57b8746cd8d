#!/usr/bin/env python3
"""bench/analytics.py — `make bench`: GET /campaigns/:id/analytics p99 latency at 1,000,000
recipients (target < 1 ms, issue 21 item 5), beside GET /healthz p99 on the same server.

The account is built directly in a throwaway SQLite database with the counters the engine keeps
(100,000 contacts, 37,500 paid orders in two currencies):
- "completed": a finished campaign of 100,000 contacts × 10 steps = 1,000,000 recipient rows;
- "running": a running campaign of the same contacts with a plan of two follow-ups, 40% of its
  first messages still queued and its first follow-up half made, behind a nudging campaign with
  5,000 follow-ups queued — the dashboard's poll of a live campaign (progress, times, the queue
  ahead of it, the follow-ups' next times).
Each is asked by `wrk -t1 -c4 -d5s --latency`. Beside the latency, the server's CPU per request
(user + system time from /proc/PID/stat over the run, divided by the requests wrk completed): the
machine is shared, so latency follows its load, and CPU per request does not (much). The load
average is printed with every figure. Writes bench/out/analytics.txt and analytics.json
(bench/summary.py).

BENCH_DATA=DIR keeps the built database in DIR and reuses it on the next run (for profiling:
BENCH_HOLD=1 also prints the server's pid and URLs and waits for Enter before stopping it).
"""
import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests", "http"))
from tgrtest import Server  # noqa: E402
from figures import figure, write_figures  # noqa: E402 (bench/figures.py: the figures for bench/summary.py)

RECIPIENTS = int(os.environ.get("RECIPIENTS", "1000000"))
STEPS = 10
TARGET_MS = 1
TICK = os.sysconf("SC_CLK_TCK")
PLAN = [{"after_seconds": 86400, "message_text": "Still thinking, {{first_name}}?", "condition": "no_reply"},
        {"after_seconds": 172800, "message_text": "Last call", "condition": "no_reply"}]


def load():
    return os.getloadavg()[0]


def cpu_s(pid):
    """User + system CPU seconds of process pid (all its threads)."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def run_wrk(url, key, pid):
    """(p99 ms, requests, server CPU µs per request, load average before) of wrk against url."""
    la = load()
    c0 = cpu_s(pid)
    out = subprocess.run(["wrk", "-t1", "-c4", "-d5s", "--latency", "-H", "X-API-Key: " + key, url],
                         capture_output=True, text=True).stdout
    c1 = cpu_s(pid)
    if re.search(r"Non-2xx", out):
        raise SystemExit(f"bench/analytics.py: {url} answered errors:\n{out}")
    m = re.search(r"99%\s+([\d.]+)(us|ms|s)\b", out)
    v = float(m.group(1))
    p99 = v / 1000 if m.group(2) == "us" else v * 1000 if m.group(2) == "s" else v
    n = int(re.search(r"(\d+) requests in", out).group(1))
    return p99, n, (c1 - c0) * 1e6 / max(n, 1), la


def build(data, done, live, other):
    contacts = RECIPIENTS // STEPS
    db = sqlite3.connect(os.path.join(data, "tgr.db"))
    now = int(time.time() * 1000)
    plan = json.dumps(PLAN)
    db.executescript(f"""
        WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {contacts})
        INSERT INTO contacts(account_id, tg_user_id, created_at, updated_at, last_inbound_at, inbound_count)
          SELECT 1, 'u' || i, {now}, {now}, {now}, 1 FROM n;
        WITH RECURSIVE s(k) AS (SELECT 0 UNION ALL SELECT k + 1 FROM s WHERE k < {STEPS - 1})
        INSERT INTO recipients(account_id, campaign_id, contact_id, step, status, random_id, sent_at, read_at,
                               replied_at, tg_message_id, created_at)
          SELECT 1, {done}, c.id, s.k, CASE WHEN c.id % 50 = 0 THEN 'failed' ELSE 'sent' END, c.id || ':' || s.k,
                 {now}, CASE WHEN c.id % 3 = 0 THEN {now} END, CASE WHEN c.id % 7 = 0 THEN {now} END,
                 c.id * 10 + s.k, {now}
          FROM contacts c, s WHERE c.account_id = 1;
        UPDATE campaigns SET status = 'completed', started_at = {now}, finished_at = {now} WHERE id = {done};
        -- the nudging campaign: its first messages all sent, 5,000 follow-ups queued
        INSERT INTO recipients(account_id, campaign_id, contact_id, step, status, random_id, sent_at,
                               tg_message_id, created_at)
          SELECT 1, {other}, c.id, 0, 'sent', 'o' || c.id, {now} - 3 * 86400000, c.id, {now}
          FROM contacts c WHERE c.account_id = 1 AND c.id <= 10000;
        INSERT INTO recipients(account_id, campaign_id, contact_id, step, status, created_at)
          SELECT 1, {other}, c.id, 1, 'pending', {now} FROM contacts c WHERE c.account_id = 1 AND c.id <= 5000;
        UPDATE campaigns SET status = 'nudging', started_at = {now}, nudge_settings_json = '{json.dumps(PLAN[:1])}'
          WHERE id = {other};
        -- the running campaign: 60% of its first messages sent, half of those followed up once
        INSERT INTO recipients(account_id, campaign_id, contact_id, step, status, random_id, sent_at, read_at,
                               replied_at, tg_message_id, created_at)
          SELECT 1, {live}, c.id, 0, CASE WHEN c.id % 5 < 3 THEN 'sent' ELSE 'pending' END,
                 CASE WHEN c.id % 5 < 3 THEN 'l' || c.id END,
                 CASE WHEN c.id % 5 < 3 THEN {now} - 2 * 86400000 + c.id END,
                 CASE WHEN c.id % 15 = 0 THEN {now} END, CASE WHEN c.id % 35 = 0 THEN {now} END,
                 CASE WHEN c.id % 5 < 3 THEN c.id END, {now}
          FROM contacts c WHERE c.account_id = 1;
        INSERT INTO recipients(account_id, campaign_id, contact_id, step, status, random_id, sent_at,
                               tg_message_id, created_at)
          SELECT 1, {live}, c.id, 1, CASE WHEN c.id % 2 = 0 THEN 'sent' ELSE 'pending' END,
                 CASE WHEN c.id % 2 = 0 THEN 'm' || c.id END, CASE WHEN c.id % 2 = 0 THEN {now} END,
                 CASE WHEN c.id % 2 = 0 THEN c.id END, {now}
          FROM contacts c WHERE c.account_id = 1 AND c.id % 5 < 3 AND c.id <= {contacts // 2};
        UPDATE campaigns SET status = 'running', started_at = {now}, nudge_settings_json = '{plan}'
          WHERE id = {live};
        INSERT INTO campaign_steps(account_id, campaign_id, step, rows, sent, failed, skipped, read, replied,
                                   clicked)
          SELECT account_id, campaign_id, step, COUNT(*), SUM(status = 'sent'), SUM(status = 'failed'),
                 SUM(status = 'skipped'), SUM(read_at IS NOT NULL), SUM(replied_at IS NOT NULL),
                 SUM(clicked_at IS NOT NULL) FROM recipients GROUP BY campaign_id, step;
        UPDATE campaign_steps SET scheduled_through = {now} - 2 * 86400000 + {contacts // 2}
          WHERE campaign_id = {live} AND step = 1;
        UPDATE campaign_steps SET scheduled_through = {now} - 3 * 86400000 WHERE campaign_id = {other} AND step = 1;
        INSERT INTO campaign_failures(account_id, campaign_id, code, n)
          SELECT 1, {done}, 'USER_IS_BLOCKED', COUNT(*) FROM recipients WHERE status = 'failed';
        -- paid orders, most in euros, credited to the finished campaign
        INSERT INTO orders(account_id, order_id, amount, currency, status, created_at, contact_id,
                           attributed_campaign_id, received_at)
          SELECT 1, 'o' || c.id, 1999, CASE WHEN c.id % 8 = 0 THEN 'USD' ELSE 'EUR' END, 'paid', {now}, c.id,
                 {done}, {now}
          FROM contacts c WHERE c.account_id = 1 AND c.id % 4 < 1 + (c.id % 8 = 1);
        UPDATE campaign_analytics SET total_orders = (SELECT COUNT(*) FROM orders),
          total_revenue = (SELECT SUM(amount) FROM orders) WHERE campaign_id = {done};
    """)
    # The order counts per currency that the server keeps (migration 14), as an order's ingestion
    # would have left them (a build older than 14 counts at migration instead).
    if db.execute("SELECT 1 FROM sqlite_master WHERE name = 'order_currencies'").fetchone():
        db.execute("INSERT INTO order_currencies(account_id, currency, orders) "
                   "SELECT account_id, currency, COUNT(*) FROM orders WHERE is_test = 0 GROUP BY 1, 2")
    db.commit()
    rows = db.execute("SELECT COUNT(*) FROM recipients").fetchone()[0]
    db.close()
    return rows


def main():
    keep = os.environ.get("BENCH_DATA")
    data = keep or tempfile.mkdtemp(prefix="tgr-bench-analytics-")
    state = os.path.join(data, "bench-analytics.json")
    try:
        if not os.path.exists(state):
            srv = Server(data=data, args=["--rate-api", "0"])
            srv.start()
            key = srv.create_account("a@shop.test", "bench password long enough")
            token = srv.login("a@shop.test", "bench password long enough")
            ids = [srv.post("/campaigns", {"name": n, "message_text": "Hello {{first_name}}"}, token=token).json["id"]
                   for n in ("big", "live", "before it")]
            srv.stop()
            t0 = time.monotonic()
            rows = build(data, *ids)
            print(f"bench/analytics.py: {rows} recipients built in {time.monotonic() - t0:.0f} s", file=sys.stderr)
            with open(state, "w") as f:
                json.dump({"key": key, "ids": ids, "rows": rows}, f)
        with open(state) as f:
            st = json.load(f)
        key, (done, live, _), rows = st["key"], st["ids"], st["rows"]
        srv = Server(data=data, args=["--rate-api", "0"])
        srv.start()
        try:
            url = f"http://127.0.0.1:{srv.port}"
            r = srv.get(f"/campaigns/{done}/analytics", api_key=key)
            assert r.status == 200 and r.json["sent"] > 0 and r.json["currency"] == "EUR", r.body
            r = srv.get(f"/campaigns/{live}/analytics", api_key=key)
            assert r.status == 200 and r.json["first_message"]["pending"] > 0, r.body
            assert r.json["waiting_behind"] and r.json["nudges"][0]["scheduled"] > 0, r.body
            if os.environ.get("BENCH_HOLD"):
                print(f"pid {srv.proc.pid}: {url}/campaigns/{done}/analytics {url}/campaigns/{live}/analytics "
                      f"key {key}; Enter stops it", file=sys.stderr)
                sys.stdin.readline()
            base = run_wrk(f"{url}/healthz", key, srv.proc.pid)
            cases = [("completed", run_wrk(f"{url}/campaigns/{done}/analytics", key, srv.proc.pid)),
                     ("running", run_wrk(f"{url}/campaigns/{live}/analytics", key, srv.proc.pid))]
        finally:
            srv.stop()
            if not keep:
                srv.cleanup()
    finally:
        if not keep:
            shutil.rmtree(data, ignore_errors=True)
    worst = max(c[1][0] for c in cases)
    lines = [f"GET /campaigns/:id/analytics over {rows} recipients, {name}: p99 {p99:.2f} ms, server CPU "
             f"{us:.0f} µs a request ({n} requests; load average {la:.1f})" for name, (p99, n, us, la) in cases]
    lines.append(f"GET /healthz on the same server: p99 {base[0]:.2f} ms, server CPU {base[2]:.0f} µs a request "
                 f"(load average {base[3]:.1f}); target < {TARGET_MS} ms: {'meets' if worst < TARGET_MS else 'MISSES'}")
    print("\n".join(lines))
    os.makedirs(os.path.join(ROOT, "bench", "out"), exist_ok=True)
    with open(os.path.join(ROOT, "bench", "out", "analytics.txt"), "w") as f:
        f.write(f"recipients={rows}\n" + "".join(
            f"analytics_{name}_p99_ms={p99:.2f}\nanalytics_{name}_cpu_us={us:.0f}\n"
            for name, (p99, _, us, _) in cases) +
            f"healthz_p99_ms={base[0]:.2f}\nhealthz_cpu_us={base[2]:.0f}\nload_average={load():.1f}\n")
    figures = []
    for name, (p99, _, us, la) in cases:
        key_ = "analytics_p99_ms" if name == "completed" else f"analytics_{name}_p99_ms"
        figures.append(figure(key_, f"GET /campaigns/:id/analytics p99 at {rows:,} recipients, {name} campaign "
                              f"(load {la:.1f})", round(p99, 3), "ms", peer="GET /healthz p99",
                              peer_value=round(base[0], 3), op="<", target=TARGET_MS))
        figures.append(figure(f"analytics_{name}_cpu_us", f"server CPU per analytics request, {name} campaign",
                              round(us, 1), "µs", peer="GET /healthz", peer_value=round(base[2], 1),
                              better="lower"))
    write_figures("analytics", figures)
    return 0 if worst < TARGET_MS else 1


if __name__ == "__main__":
    sys.exit(main())
