#!/usr/bin/env python3
"""bench/people.py — `make bench`: results per person at 1,000,000 recipients (issue 16).

Measures, on one campaign of RECIPIENTS rows (CONTACTS contacts with sealed names × 10 steps,
built directly in a throwaway SQLite database with the counters the engine keeps, some reads,
replies, clicks and credited orders):
- GET /campaigns/:id/recipients?limit=100 latency (target < 50 ms for any page, issue 21 item 5):
  the first page, a page in the middle (after a row half-way through), a status filter deep in the
  campaign, a step filter, and the pages that could cost most — the last page, a page that
  crosses from one step to the next, the last page of a status filter within a step, a filter
  that matches nothing (every step's range is looked at), a page of 500 (the largest limit) —
  p50 and p99 of `wrk -t1 -c1 -d5s --latency`, one request at a time, and the server's CPU per
  request (user + system from /proc over the run, divided by the requests: the machine is shared,
  and CPU per request follows its load less than latency does). The API has no search and one
  order (step, id), so there is no other sort or search to measure;
- GET /campaigns/:id/recipients.csv: every row streamed, the time it takes and how much the
  server's own memory grows while it streams (target < 32 MiB): its anonymous resident memory
  (RssAnon: heap, buffers, stacks), sampled from /proc every 20 ms; beside it the growth of all
  its resident memory (VmRSS), which also counts the database file's pages that SQLite's readers
  map (DECISIONS 91: page cache the kernel shares and drops, not the server's own); the same for
  GET /contacts.csv.
Writes bench/out/people.txt and people.json (bench/summary.py); BENCH_DATA=DIR keeps the built
database in DIR and reuses it on the next run. The contacts are sealed by bench_people_fill (built by CMake) with
the data directory's own master key, so every page opens real sealed names.
"""
import http.client
import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests", "http"))
from tgrtest import Server  # noqa: E402
from figures import figure, write_figures  # noqa: E402 (bench/figures.py: the figures for bench/summary.py)

CONTACTS = int(os.environ.get("CONTACTS", "100000"))
STEPS = 10
FILL = os.environ.get("BENCH_PEOPLE_FILL") or os.path.join(ROOT, "build", "bench_people_fill")
PAGE_TARGET_MS = 50
RSS_TARGET_MIB = 32


def cpu_s(pid):
    """User + system CPU seconds of process pid (all its threads)."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def latency(url, key, pid):
    """(p50, p99, server CPU ms per request, load average) of one client asking url again and
    again for 5 s."""
    la = os.getloadavg()[0]
    c0 = cpu_s(pid)
    out = subprocess.run(["wrk", "-t1", "-c1", "-d5s", "--latency", "-H", "X-API-Key: " + key, url],
                         capture_output=True, text=True).stdout
    c1 = cpu_s(pid)
    if re.search(r"Non-2xx", out):
        raise SystemExit(f"bench/people.py: {url} answered errors:\n{out}")

    def pct(p):
        m = re.search(p + r"%\s+([\d.]+)(us|ms|s)\b", out)
        v = float(m.group(1))
        return v / 1000 if m.group(2) == "us" else v * 1000 if m.group(2) == "s" else v
    n = int(re.search(r"(\d+) requests in", out).group(1))
    return pct("50"), pct("99"), (c1 - c0) * 1000 / max(n, 1), la


def rss_kib(pid):
    """(VmRSS, RssAnon) of pid in KiB."""
    got = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            key = line.split(":", 1)[0]
            if key in ("VmRSS", "RssAnon"):
                got[key] = int(line.split()[1])
    return got.get("VmRSS", 0), got.get("RssAnon", 0)


def export(srv, key, path):
    """Stream path to the end: (records, bytes, seconds, RSS before in KiB, peak growth in KiB of the
    anonymous RSS, peak growth in KiB of all of the RSS)."""
    pid = srv.proc.pid
    before = rss_kib(pid)
    peak = list(before)
    done = threading.Event()

    def sample():
        while not done.is_set():
            now = rss_kib(pid)
            peak[0], peak[1] = max(peak[0], now[0]), max(peak[1], now[1])
            time.sleep(0.02)
    t = threading.Thread(target=sample, daemon=True)
    t.start()
    t0 = time.monotonic()
    conn = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=600)
    conn.request("GET", path, headers={"X-API-Key": key})
    r = conn.getresponse()
    if r.status != 200:
        raise SystemExit(f"bench/people.py: {path}: {r.status} {r.read()[:200]!r}")
    records, size = 0, 0
    while True:
        chunk = r.read(1 << 16)
        if not chunk:
            break
        size += len(chunk)
        records += chunk.count(b"\n")  # (no name of the bench holds a line break)
    conn.close()
    secs = time.monotonic() - t0
    done.set()
    t.join()
    return records - 1, size, secs, before[0], peak[1] - before[1], peak[0] - before[0]


def build(data, cid, account):
    if subprocess.run([FILL, data, str(account), str(CONTACTS)]).returncode != 0:
        raise SystemExit("bench/people.py: bench_people_fill failed (run make first)")
    db = sqlite3.connect(os.path.join(data, "tgr.db"))
    now = int(time.time() * 1000)
    db.executescript(f"""
        WITH RECURSIVE s(k) AS (SELECT 0 UNION ALL SELECT k + 1 FROM s WHERE k < {STEPS - 1})
        INSERT INTO recipients(account_id, campaign_id, contact_id, step, status, random_id, sent_at, read_at,
                               replied_at, clicked_at, tg_message_id, error_code, created_at)
          SELECT {account}, {cid}, c.id, s.k, CASE WHEN c.id % 50 = 0 THEN 'failed' ELSE 'sent' END,
                 c.id || ':' || s.k, CASE WHEN c.id % 50 = 0 THEN NULL ELSE {now} END,
                 CASE WHEN c.id % 3 = 0 THEN {now} END, CASE WHEN c.id % 7 = 0 THEN {now} END,
                 CASE WHEN c.id % 11 = 0 THEN {now} END, c.id * 10 + s.k,
                 CASE WHEN c.id % 50 = 0 THEN 'USER_IS_BLOCKED' END, {now}
          FROM s, contacts c WHERE c.account_id = {account} ORDER BY s.k, c.id;
        INSERT INTO trackable_links(account_id, campaign_id, original_url, tracking_code)
          VALUES ({account}, {cid}, 'https://shop.example/sale', 'benchcode');
        INSERT INTO link_clicks(account_id, link_id, recipient_id, at)
          SELECT {account}, (SELECT id FROM trackable_links WHERE tracking_code = 'benchcode'), r.id, {now}
          FROM recipients r WHERE r.clicked_at IS NOT NULL;
        INSERT INTO orders(account_id, order_id, amount, currency, status, created_at, contact_id,
                           attributed_campaign_id, attributed_recipient_id, attributed_step, received_at)
          SELECT {account}, 'o' || r.id, 1999, 'EUR', 'paid', {now}, r.contact_id, {cid}, r.id, 0, {now}
          FROM recipients r WHERE r.step = 0 AND r.contact_id % 13 = 0;
        UPDATE campaigns SET status = 'completed', started_at = {now}, finished_at = {now} WHERE id = {cid};
        INSERT INTO campaign_steps(account_id, campaign_id, step, rows, sent, failed, skipped, read, replied,
                                   clicked)
          SELECT account_id, campaign_id, step, COUNT(*), SUM(status = 'sent'), SUM(status = 'failed'),
                 SUM(status = 'skipped'), SUM(read_at IS NOT NULL), SUM(replied_at IS NOT NULL),
                 SUM(clicked_at IS NOT NULL) FROM recipients GROUP BY campaign_id, step;
    """)
    # The order counts per currency that the server keeps (migration 14), as ingestion leaves them.
    if db.execute("SELECT 1 FROM sqlite_master WHERE name = 'order_currencies'").fetchone():
        db.execute("INSERT INTO order_currencies(account_id, currency, orders) "
                   "SELECT account_id, currency, COUNT(*) FROM orders WHERE is_test = 0 GROUP BY 1, 2")
    db.commit()
    db.close()


def marks(data, cid):
    """The rows the pages start after: {name: recipient id}, and the campaign's row count."""
    db = sqlite3.connect(os.path.join(data, "tgr.db"))

    def row(step, offset, status=None, desc=False):
        return db.execute(f"SELECT id FROM recipients WHERE campaign_id = ? AND step = ? "
                          f"{'AND status = ?' if status else ''} ORDER BY id {'DESC' if desc else ''} "
                          f"LIMIT 1 OFFSET ?", (cid, step, *([status] if status else []), offset)).fetchone()[0]
    m = {"mid": row(5, CONTACTS // 2), "failed": row(7, CONTACTS // 100, "failed"),
         "last": row(STEPS - 1, 100, desc=True), "boundary": row(4, 49, desc=True),
         "failed_last": row(STEPS - 1, 50, "failed", desc=True)}
    rows = db.execute("SELECT COUNT(*) FROM recipients WHERE campaign_id = ?", (cid,)).fetchone()[0]
    db.close()
    return rows, m


def main():
    keep = os.environ.get("BENCH_DATA")
    data = keep or tempfile.mkdtemp(prefix="tgr-bench-people-")
    state = os.path.join(data, "bench-people.json")
    try:
        if not os.path.exists(state):
            srv = Server(data=data, args=["--rate-api", "0"])
            srv.start()
            key = srv.create_account("p@shop.test", "bench password long enough")
            token = srv.login("p@shop.test", "bench password long enough")
            account = srv.get("/account", token=token).json["id"]
            cid = srv.post("/campaigns", {"name": "big", "message_text": "Hello {{first_name}}"},
                           token=token).json["id"]
            srv.stop()
            t0 = time.monotonic()
            build(data, cid, account)
            print(f"bench/people.py: {CONTACTS * STEPS} recipients of {CONTACTS} sealed contacts built in "
                  f"{time.monotonic() - t0:.0f} s", file=sys.stderr)
            with open(state, "w") as f:
                json.dump({"key": key, "cid": cid}, f)
        with open(state) as f:
            st = json.load(f)
        key, cid = st["key"], st["cid"]
        rows, m = marks(data, cid)
        srv = Server(data=data, args=["--rate-api", "0"])
        srv.start()
        try:
            base = f"http://127.0.0.1:{srv.port}/campaigns/{cid}/recipients?limit=100"
            r = srv.get(f"/campaigns/{cid}/recipients?limit=100&after={m['mid']}", api_key=key)
            assert r.status == 200 and len(r.json["recipients"]) == 100 and r.json["total"] == rows, r
            assert r.json["recipients"][0]["first_name"].startswith("Customer"), r.json["recipients"][0]
            pages = [("first page", base), ("middle (step 5)", f"{base}&after={m['mid']}"),
                     ("status=failed, step 7", f"{base}&status=failed&after={m['failed']}"),
                     ("step=9", f"{base}&step=9"),
                     ("last page", f"{base}&after={m['last']}"),
                     ("across steps 4 and 5", f"{base}&after={m['boundary']}"),
                     ("last page of status=failed&step=9",
                      f"{base}&status=failed&step={STEPS - 1}&after={m['failed_last']}"),
                     ("status=skipped (matches nothing)", f"{base}&status=skipped"),
                     ("limit=500, middle", f"{base.replace('limit=100', 'limit=500')}&after={m['mid']}")]
            # Each page is what its name says (the last ones end the list; nothing is skipped).
            for name, url, want, more in [(pages[4][0], pages[4][1], 100, False), (pages[5][0], pages[5][1], 100, True),
                                          (pages[6][0], pages[6][1], 50, False), (pages[7][0], pages[7][1], 0, False),
                                          (pages[8][0], pages[8][1], 500, True)]:
                r = srv.get(url[url.index("/campaigns"):], api_key=key)
                assert r.status == 200 and len(r.json["recipients"]) == want, (name, r)
                assert (r.json["next_after"] is not None) == more, (name, r.json["next_after"])
            r = srv.get(pages[5][1][pages[5][1].index("/campaigns"):], api_key=key)
            assert {x["step"] for x in r.json["recipients"]} == {4, 5}, r.json["recipients"][0]
            lat = [(name, *latency(url, key, srv.proc.pid)) for name, url in pages]
            csv_rows, csv_bytes, csv_secs, csv_rss0, csv_growth, csv_all = export(
                srv, key, f"/campaigns/{cid}/recipients.csv")
            assert csv_rows == rows, (csv_rows, rows)
            c_rows, c_bytes, c_secs, _, c_growth, c_all = export(srv, key, "/contacts.csv")
            assert c_rows == CONTACTS, (c_rows, CONTACTS)
        finally:
            srv.stop()
            if not keep:
                srv.cleanup()
    finally:
        if not keep:
            shutil.rmtree(data, ignore_errors=True)
    worst = max(p99 for _, _, p99, _, _ in lat)
    lines = [f"recipients page of 100 over {rows} recipients: " +
             "; ".join(f"{n} p50 {p50:.2f} ms p99 {p99:.2f} ms, CPU {cpu:.2f} ms (load {la:.1f})"
                       for n, p50, p99, cpu, la in lat) +
             f" (target < {PAGE_TARGET_MS} ms: {'meets' if worst < PAGE_TARGET_MS else 'MISSES'})",
             f"recipients.csv: {csv_rows} rows, {csv_bytes / 1048576:.0f} MiB in {csv_secs:.1f} s "
             f"({csv_rows / csv_secs:.0f} rows/s); server RSS {csv_rss0 / 1024:.1f} MiB before; its own "
             f"memory grew {csv_growth / 1024:.1f} MiB (target < {RSS_TARGET_MIB} MiB: "
             f"{'meets' if csv_growth < RSS_TARGET_MIB * 1024 else 'MISSES'}), all of its RSS with the "
             f"mapped database pages {csv_all / 1024:.1f} MiB",
             f"contacts.csv: {c_rows} rows, {c_bytes / 1048576:.1f} MiB in {c_secs:.1f} s; the server's own "
             f"memory grew {c_growth / 1024:.1f} MiB, all of its RSS {c_all / 1024:.1f} MiB"]
    os.makedirs(os.path.join(ROOT, "bench", "out"), exist_ok=True)
    with open(os.path.join(ROOT, "bench", "out", "people.txt"), "w") as f:
        f.write("\n".join(lines) + "\n")
    figures = []
    for i, (name, p50, p99, cpu, la) in enumerate(lat):
        page = "recipients page" if "limit=" in name else "recipients page of 100"
        figures.append(figure(f"page{i}_p50_ms", f"{page}, {name}: p50", round(p50, 2), "ms",
                              better="lower"))
        figures.append(figure(f"page{i}_p99_ms", f"{page}, {name}: p99 (load {la:.1f})", round(p99, 2), "ms",
                              op="<", target=PAGE_TARGET_MS))
        figures.append(figure(f"page{i}_cpu_ms", f"{page}, {name}: server CPU per request", round(cpu, 2), "ms",
                              better="lower"))
    figures += [
        figure("recipients_csv_s", f"recipients.csv of {csv_rows:,} rows", round(csv_secs, 1), "s", better="lower"),
        figure("recipients_csv_anon_mib", "server's own memory (RssAnon) growth streaming recipients.csv",
               round(csv_growth / 1024, 1), "MiB", op="<", target=RSS_TARGET_MIB),
        figure("recipients_csv_rss_mib", "server RSS growth streaming recipients.csv, mapped database pages too",
               round(csv_all / 1024, 1), "MiB", better="lower"),
        figure("contacts_csv_s", f"contacts.csv of {c_rows:,} rows", round(c_secs, 1), "s", better="lower"),
        figure("contacts_csv_anon_mib", "server's own memory (RssAnon) growth streaming contacts.csv",
               round(c_growth / 1024, 1), "MiB", better="lower"),
        figure("contacts_csv_rss_mib", "server RSS growth streaming contacts.csv, mapped database pages too",
               round(c_all / 1024, 1), "MiB", better="lower")]
    write_figures("people", figures)
    print("\n".join(lines))


if __name__ == "__main__":
    main()
