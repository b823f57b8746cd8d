#!/usr/bin/env python3
"""bench/analytics.py — `make bench`: GET /campaigns/:id/analytics p99 latency for a campaign of
1,000,000 recipients (target < 5 ms), beside GET /healthz p99 on the same server as a baseline.

The campaign is built directly in a throwaway SQLite database (100,000 contacts × 10 steps =
RECIPIENTS rows, with their per-step counters as the engine keeps them), then the real server
answers `wrk -t1 -c4 -d5s --latency` against both routes. Writes bench/out/analytics.txt and
analytics.json (bench/summary.py).
"""
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
TARGET_MS = 5


def p99(url, key):
    out = subprocess.run(["wrk", "-t1", "-c4", "-d5s", "--latency", "-H", "X-API-Key: " + key, url],
                         capture_output=True, text=True).stdout
    m = re.search(r"99%\s+([\d.]+)(us|ms|s)", out)
    v = float(m.group(1))
    return v / 1000 if m.group(2) == "us" else v * 1000 if m.group(2) == "s" else v


def main():
    data = tempfile.mkdtemp(prefix="tgr-bench-analytics-")
    try:
        srv = Server(data=data, args=["--rate-api", "0"])
        srv.start()
        key = srv.create_account("a@shop.test", "bench password long enough")
        token = srv.login("a@shop.test", "bench password long enough")
        cid = srv.post("/campaigns", {"name": "big", "message_text": "Hello {{first_name}}"}, token=token).json["id"]
        srv.stop()
        contacts = RECIPIENTS // STEPS
        db = sqlite3.connect(os.path.join(data, "tgr.db"))
        now = int(time.time() * 1000)
        db.executescript(f"""
            WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {contacts})
            INSERT INTO contacts(account_id, tg_user_id, created_at, updated_at, last_inbound_at, inbound_count)
              SELECT 1, 'u' || i, {now}, {now}, {now}, 1 FROM n;
            WITH RECURSIVE s(k) AS (SELECT 0 UNION ALL SELECT k + 1 FROM s WHERE k < {STEPS - 1})
            INSERT INTO recipients(account_id, campaign_id, contact_id, step, status, random_id, sent_at, read_at,
                                   replied_at, tg_message_id, created_at)
              SELECT 1, {cid}, c.id, s.k, CASE WHEN c.id % 50 = 0 THEN 'failed' ELSE 'sent' END, c.id || ':' || s.k,
                     {now}, CASE WHEN c.id % 3 = 0 THEN {now} END, CASE WHEN c.id % 7 = 0 THEN {now} END,
                     c.id * 10 + s.k, {now}
              FROM contacts c, s WHERE c.account_id = 1;
            UPDATE campaigns SET status = 'completed', started_at = {now}, finished_at = {now} WHERE id = {cid};
            INSERT INTO campaign_steps(account_id, campaign_id, step, rows, sent, failed, skipped, read, replied,
                                       clicked)
              SELECT account_id, campaign_id, step, COUNT(*), SUM(status = 'sent'), SUM(status = 'failed'),
                     SUM(status = 'skipped'), SUM(read_at IS NOT NULL), SUM(replied_at IS NOT NULL),
                     SUM(clicked_at IS NOT NULL) FROM recipients GROUP BY campaign_id, step;
            INSERT INTO campaign_failures(account_id, campaign_id, code, n)
              SELECT 1, {cid}, 'USER_IS_BLOCKED', COUNT(*) FROM recipients WHERE status = 'failed';
        """)
        db.commit()
        rows = db.execute("SELECT COUNT(*) FROM recipients WHERE campaign_id = ?", (cid,)).fetchone()[0]
        db.close()
        srv = Server(data=data, args=["--rate-api", "0"])
        srv.start()
        try:
            r = srv.get(f"/campaigns/{cid}/analytics", api_key=key)
            assert r.status == 200 and r.json["sent"] > 0, r.body
            base = p99(f"http://127.0.0.1:{srv.port}/healthz", key)
            ana = p99(f"http://127.0.0.1:{srv.port}/campaigns/{cid}/analytics", key)
        finally:
            srv.stop()
            srv.cleanup()
        print(f"analytics GET /campaigns/:id/analytics over {rows} recipients: p99 {ana:.2f} ms "
              f"(target < {TARGET_MS} ms: {'meets' if ana < TARGET_MS else 'MISSES'}); /healthz p99 {base:.2f} ms on the same server")
        os.makedirs(os.path.join(ROOT, "bench", "out"), exist_ok=True)
        with open(os.path.join(ROOT, "bench", "out", "analytics.txt"), "w") as f:
            f.write(f"recipients={rows}\nanalytics_p99_ms={ana:.2f}\nhealthz_p99_ms={base:.2f}\n")
        write_figures("analytics", [
            figure("analytics_p99_ms", f"GET /campaigns/:id/analytics p99 at {rows:,} recipients", round(ana, 3), "ms",
                   peer="GET /healthz p99", peer_value=round(base, 3), op="<", target=TARGET_MS)])
        return 0
    finally:
        shutil.rmtree(data, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
