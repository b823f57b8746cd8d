#!/usr/bin/env python3
"""bench/track.py — `make bench`: GET /t/:code (the tracked-link redirect) throughput beside nginx
`return 302` on the same machine (one nginx worker, wrk -t2 -c64 -d10s, best of 2 each), as a
ratio (target >= 0.8, issue 21), and a check of what the database holds afterwards: wrk clicks one link
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

DURATION = os.environ.get("WRK_DURATION", "10s")
TARGET = 0.8  # tgr / nginx requests per second (issue 21 item 1)


def wrk(url, ua=None):
    cmd = ["wrk", "-t2", "-c64", "-d" + DURATION] + (["-H", "User-Agent: " + ua] if ua else []) + [url]
    out = subprocess.run(cmd, capture_output=True, text=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    total = int(re.search(r"(\d+) requests in", out).group(1))
    return rps, total


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
        best_n = best_t = 0.0
        total = 0
        for _ in range(2):
            best_n = max(best_n, wrk(f"http://127.0.0.1:{port}/")[0])
            # A browser's User-Agent: requests without one are not counted (as bots are).
            rps, n = wrk(url, "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/126.0 Safari/537.36")
            best_t = max(best_t, rps)
            total += n
        data = srv.data
        srv.stop()  # a clean stop writes the clicks still queued
        db = sqlite3.connect(os.path.join(data, "tgr.db"))
        stored = db.execute("SELECT COALESCE(SUM(clicks), 0) FROM trackable_links").fetchone()[0]
        db.close()
        srv.cleanup()
        ratio = best_t / best_n if best_n else 0
        print(f"track  GET /t/:code {best_t:.0f} req/s beside nginx 302 {best_n:.0f} req/s: ratio {ratio:.3f} "
              f"(target >= {TARGET}: {'meets' if ratio >= TARGET else 'MISSES'}); {total} clicks from one address, "
              f"{stored} counted ({'as it should: repeats count once' if stored == 1 else 'WRONG: want 1'})")
        os.makedirs(os.path.join(ROOT, "bench", "out"), exist_ok=True)
        with open(os.path.join(ROOT, "bench", "out", "track.txt"), "w") as f:
            f.write(f"tgr_rps={best_t:.0f}\nnginx_rps={best_n:.0f}\nratio={ratio:.3f}\nclicks_sent={total}\n"
                    f"clicks_stored={stored}\n")
        from figures import figure, write_figures  # bench/figures.py: the figures for bench/summary.py
        write_figures("track", [
            figure("clicks_rps", "GET /t/:code", round(best_t), "req/s", peer="nginx return 302", peer_value=round(best_n),
                   op=">=", target=TARGET, of="ratio"),
            figure("clicks_counted", f"clicks counted of {total:,} from one address", stored, "", op="==", target=1)])
        return 0
    finally:
        if nginx:
            nginx.send_signal(signal.SIGTERM)
            nginx.wait()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
