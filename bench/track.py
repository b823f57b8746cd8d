#!/usr/bin/env python3
"""bench/track.py — `make bench`: GET /t/:code (the tracked-link redirect) throughput beside nginx
`return 302` on the same machine (one nginx worker, wrk -t2 -c64), as a ratio (target >= 0.8,
issue 21): ROUNDS (default 5) rounds of nginx then tgr, WRK_DURATION (default 4s) each, and the
median of the rounds' ratios — on a shared machine a burst of other work falls on one run, and
interleaved pairs see the same machine (a best-of over separate runs did not: 0.47–1.04 within
minutes). Also each server's CPU per request (from /proc: user + system, nginx's worker and
tgr's whole process), the figure load moves least. Then a check of what the database holds: wrk clicks one link
from one address, so exactly one click is counted (repeats from one address within 10 minutes
count once, docs/DECISIONS.md 48) — every request is still redirected and decoded.
Writes bench/out/track.txt.
"""
import json
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests", "http"))
from tgrtest import Server  # noqa: E402

DURATION = os.environ.get("WRK_DURATION", "4s")
ROUNDS = int(os.environ.get("ROUNDS", "5"))
TICK = os.sysconf("SC_CLK_TCK")
TARGET = 0.8  # tgr / nginx requests per second (issue 21 item 1)


def wrk(url, ua=None):
    cmd = ["wrk", "-t2", "-c64", "-d" + DURATION] + (["-H", "User-Agent: " + ua] if ua else []) + [url]
    out = subprocess.run(cmd, capture_output=True, text=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    total = int(re.search(r"(\d+) requests in", out).group(1))
    return rps, total


def cpu_seconds(pids):
    """User + system CPU seconds of these processes so far."""
    total = 0
    for pid in pids:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])
    return total / TICK


def measured(url, pids, ua=None):
    """(requests/s, requests, server CPU µs per request) of one wrk run."""
    before = cpu_seconds(pids)
    rps, n = wrk(url, ua)
    return rps, n, (cpu_seconds(pids) - before) * 1e6 / n if n else 0.0


def free_port():
    import socket
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def main():
    tmp = tempfile.mkdtemp(prefix="tgr-bench-track-")
    nginx = None
    try:
        port = free_port()
        os.makedirs(f"{tmp}/nginx/logs")
        with open(f"{tmp}/nginx/nginx.conf", "w") as f:
            f.write(f"""worker_processes 1; daemon off; pid {tmp}/nginx/nginx.pid;
error_log {tmp}/nginx/logs/error.log warn; events {{ worker_connections 1024; }}
http {{ access_log off; keepalive_requests 1000000; client_body_temp_path {tmp}/nginx/b;
proxy_temp_path {tmp}/nginx/p; fastcgi_temp_path {tmp}/nginx/f; uwsgi_temp_path {tmp}/nginx/u;
scgi_temp_path {tmp}/nginx/s;
server {{ listen 127.0.0.1:{port}; location / {{ return 302 http://example.invalid/; }} }} }}""")
        nginx = subprocess.Popen(["nginx", "-p", f"{tmp}/nginx", "-e", f"{tmp}/nginx/logs/error.log", "-c",
                                  f"{tmp}/nginx/nginx.conf"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(0.5)
        sc = os.path.join(tmp, "s.json")
        with open(sc, "w") as f:
            json.dump({"me": {"id": "9"}, "login": {"code": "12345"}, "users": [
                {"id": "501", "access_hash": "1", "first_name": "A", "messages": [{"text": "hi", "ago_seconds": 60}]}],
                "faults": [], "inbound": [], "record": "d.jsonl"}, f)
        srv = Server(args=["--telegram", "sim", "--sim-scenario", sc, "--rate-session", "1000"])
        srv.start()
        srv.create_account("t@shop.test", "bench password long enough")
        token = srv.login("t@shop.test", "bench password long enough")
        srv.post("/session/connect", {"phone": "+15550000009"}, token=token)
        srv.post("/session/verify", {"code": "12345"}, token=token)
        time.sleep(1)
        cid = srv.post("/campaigns", {"name": "t", "message_text": '<a href="https://shop.example/p?x=1">buy</a>'},
                       token=token).json["id"]
        contact = srv.get("/contacts", token=token).json["contacts"][0]["id"]
        url = [e["url"] for e in srv.post(f"/campaigns/{cid}/preview", {"contact_id": contact}, token=token)
               .json["entities"] if e["type"] == "text_url"][0]
        with open(f"{tmp}/nginx/nginx.pid") as f:
            master = int(f.read())
        with open(f"/proc/{master}/task/{master}/children") as f:
            nginx_pids = [master] + [int(p) for p in f.read().split()]
        ratios, tgr_rps, nginx_rps, tgr_cpu, nginx_cpu = [], [], [], [], []
        total = 0
        for _ in range(ROUNDS):
            rn, _, cn = measured(f"http://127.0.0.1:{port}/", nginx_pids)
            # A browser's User-Agent: requests without one are not counted (as bots are).
            rt, n, ct = measured(url, [srv.proc.pid],
                                 "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/126.0 Safari/537.36")
            total += n
            ratios.append(rt / rn if rn else 0)
            nginx_rps.append(rn)
            tgr_rps.append(rt)
            nginx_cpu.append(cn)
            tgr_cpu.append(ct)
            print(f"track  round: nginx {rn:.0f} req/s ({cn:.1f} µs CPU each), tgr {rt:.0f} req/s ({ct:.1f} µs): "
                  f"{ratios[-1]:.3f}", flush=True)
        med = lambda xs: sorted(xs)[len(xs) // 2]  # noqa: E731
        ratio, med_t, med_n = med(ratios), med(tgr_rps), med(nginx_rps)
        cpu_t, cpu_n = med(tgr_cpu), med(nginx_cpu)
        data = srv.data
        srv.stop()  # a clean stop writes the clicks still queued
        db = sqlite3.connect(os.path.join(data, "tgr.db"))
        stored = db.execute("SELECT COALESCE(SUM(clicks), 0) FROM trackable_links").fetchone()[0]
        db.close()
        srv.cleanup()
        print(f"track  GET /t/:code {med_t:.0f} req/s beside nginx 302 {med_n:.0f} req/s (medians): ratio {ratio:.3f} "
              f"(median of {ROUNDS} rounds, {min(ratios):.3f}–{max(ratios):.3f}); CPU per request {cpu_t:.1f} µs, "
              f"nginx {cpu_n:.1f} µs "
              f"(target >= {TARGET}: {'meets' if ratio >= TARGET else 'MISSES'}); {total} clicks from one address, "
              f"{stored} counted ({'as it should: repeats count once' if stored == 1 else 'WRONG: want 1'})")
        os.makedirs(os.path.join(ROOT, "bench", "out"), exist_ok=True)
        with open(os.path.join(ROOT, "bench", "out", "track.txt"), "w") as f:
            f.write(f"tgr_rps={med_t:.0f}\nnginx_rps={med_n:.0f}\nratio={ratio:.3f}\ntgr_cpu_us={cpu_t:.1f}\n"
                    f"nginx_cpu_us={cpu_n:.1f}\nclicks_sent={total}\n"
                    f"clicks_stored={stored}\n")
        from figures import figure, write_figures  # bench/figures.py: the figures for bench/summary.py
        write_figures("track", [
            figure("clicks_ratio", f"GET /t/:code ÷ nginx return 302 (median of {ROUNDS} interleaved rounds)",
                   round(ratio, 3), "×", op=">=", target=TARGET),
            figure("clicks_rps", "GET /t/:code (median)", round(med_t), "req/s", peer="nginx return 302",
                   peer_value=round(med_n)),
            figure("clicks_cpu", "server CPU per click (user + system)", round(cpu_t, 1), "µs", peer="nginx return 302",
                   peer_value=round(cpu_n, 1), better="lower"),
            figure("clicks_counted", f"clicks counted of {total:,} from one address", stored, "", op="==", target=1)])
        return 0
    finally:
        if nginx:
            nginx.send_signal(signal.SIGTERM)
            nginx.wait()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
