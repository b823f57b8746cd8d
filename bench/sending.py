#!/usr/bin/env python3
"""bench/sending.py — `make bench`: how accurately the engine paces, and what a message costs it.

1. Pacing: one account at --send-rate 1 sends to PACING_USERS (default 60) simulated customers;
   from the simulator's record (what Telegram received) it reports the mean interval between
   deliveries and the worst deviation from 1 s.
2. CPU: ACCOUNTS (default 8) accounts on one server, each running a campaign to CPU_USERS
   (default 250) customers at --send-rate 30; the server process's CPU time (from /proc; the
   Node bridge is another process and not counted) divided by the messages delivered: user
   time (the engine's own work; target < 0.2 ms per message) and user + system (which adds the
   kernel's work for the fsync of every durable outbox claim). Writes bench/out/sending.txt and
   sending.json (bench/summary.py).
"""
import json
import os
import shutil
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests", "http"))
from tgrtest import Server  # noqa: E402
from figures import figure, write_figures  # noqa: E402 (bench/figures.py: the figures for bench/summary.py)

TICK = os.sysconf("SC_CLK_TCK")
USER_TARGET_MS = 0.2


def scenario(tmp, n, prefix):
    users = [{"id": f"{prefix}{i:05d}", "access_hash": str(7000 + i), "first_name": f"C{i}",
              "messages": [{"text": "how much is the blue mug?", "ago_seconds": 3600}]} for i in range(n)]
    path = os.path.join(tmp, "scenario.json")
    with open(path, "w") as f:
        json.dump({"me": {"id": "99", "first_name": "Bench"}, "login": {"code": "12345"}, "users": users,
                   "faults": [], "inbound": [], "record": "deliveries.jsonl"}, f)
    return path


def record(tmp):
    p = os.path.join(tmp, "deliveries.jsonl")
    if not os.path.exists(p):
        return []
    with open(p) as f:
        return [json.loads(line) for line in f if line.strip()]


def cpu_seconds(pid, which=(11, 12)):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return sum(int(fields[i]) for i in which) / TICK


def connect(srv, email, n_contacts):
    srv.create_account(email, "bench password long enough")
    token = srv.login(email, "bench password long enough")
    srv.post("/session/connect", {"phone": "+15550000099"}, token=token)
    srv.post("/session/verify", {"code": "12345"}, token=token)
    deadline = time.time() + 60
    while time.time() < deadline:
        r = srv.get(f"/contacts?limit=1000", token=token)
        if r.status == 200 and len(r.json.get("contacts", [])) >= min(n_contacts, 1000):
            break
        time.sleep(0.2)
    return token


def start_campaign(srv, token, text):
    r = srv.post("/campaigns", {"name": "bench", "message_text": text, "track_links": False}, token=token)
    cid = r.json["id"]
    r = srv.post(f"/campaigns/{cid}/start", {}, token=token)
    assert r.status == 200, r.body
    return cid


def pacing(n):
    tmp = tempfile.mkdtemp(prefix="tgr-bench-pacing-")
    try:
        srv = Server(args=["--telegram", "sim", "--sim-scenario", scenario(tmp, n, "61"), "--send-rate", "1",
                           "--rate-session", "1000", "--rate-api", "0"])
        srv.start()
        try:
            token = connect(srv, "pace@shop.test", n)
            start_campaign(srv, token, "Hello {{first_name}}, pacing check")
            deadline = time.time() + n * 1.5 + 30
            while time.time() < deadline and len(record(tmp)) < n:
                time.sleep(0.5)
        finally:
            srv.stop()
            srv.cleanup()
        at = sorted(r["at"] for r in record(tmp))
        gaps = [b - a for a, b in zip(at, at[1:])]
        mean = sum(gaps) / len(gaps)
        worst = max(abs(g - 1000) for g in gaps)
        return len(at), mean, worst, min(gaps)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def cpu(accounts, per):
    tmp = tempfile.mkdtemp(prefix="tgr-bench-cpu-")
    try:
        srv = Server(args=["--telegram", "sim", "--sim-scenario", scenario(tmp, per, "62"), "--send-rate", "30",
                           "--rate-session", "1000", "--rate-api", "0"])
        srv.start()
        try:
            tokens = [connect(srv, f"cpu{i}@shop.test", per) for i in range(accounts)]
            c0 = cpu_seconds(srv.proc.pid)
            u0 = cpu_seconds(srv.proc.pid, (11,))
            t0 = time.time()
            for i, t in enumerate(tokens):
                start_campaign(srv, t, f"Hello {{{{first_name}}}}, account {i}")
            want = accounts * per
            deadline = time.time() + want / 10 + 120
            while time.time() < deadline and len(record(tmp)) < want:
                time.sleep(0.5)
            c1 = cpu_seconds(srv.proc.pid)
            u1 = cpu_seconds(srv.proc.pid, (11,))
            wall = time.time() - t0
        finally:
            srv.stop()
            srv.cleanup()
        sent = len(record(tmp))
        return sent, (c1 - c0) * 1000 / max(sent, 1), (u1 - u0) * 1000 / max(sent, 1), wall
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def main():
    n = int(os.environ.get("PACING_USERS", "60"))
    got, mean, worst, shortest = pacing(n)
    print(f"pacing {got} messages at 1/s: mean interval {mean:.1f} ms, worst deviation {worst:.1f} ms, "
          f"shortest {shortest} ms (never below 1000 − 5 ms: {'yes' if shortest >= 995 else 'NO'})")
    accounts = int(os.environ.get("ACCOUNTS", "8"))
    per = int(os.environ.get("CPU_USERS", "250"))
    sent, ms, user_ms, wall = cpu(accounts, per)
    print(f"engine {sent} messages over {accounts} accounts in {wall:.1f} s: {user_ms:.3f} ms of user CPU per "
          f"message in the server (target < {USER_TARGET_MS} ms: {'meets' if user_ms < USER_TARGET_MS else 'MISSES'}); {ms:.3f} ms with "
          f"the kernel's share, most of it the fsync that makes each outbox claim durable before the send")
    os.makedirs(os.path.join(ROOT, "bench", "out"), exist_ok=True)
    with open(os.path.join(ROOT, "bench", "out", "sending.txt"), "w") as f:
        f.write(f"pacing_messages={got}\npacing_mean_ms={mean:.1f}\npacing_worst_deviation_ms={worst:.1f}\n"
                f"pacing_shortest_ms={shortest}\ncpu_messages={sent}\nuser_cpu_ms_per_message={user_ms:.3f}\n"
                f"total_cpu_ms_per_message={ms:.3f}\n")
    write_figures("sending", [
        figure("pacing_mean_ms", "pacing at 1/s: mean interval", round(mean, 1), "ms"),
        figure("pacing_worst_ms", "pacing at 1/s: worst deviation from 1 s", round(worst, 1), "ms", better="lower"),
        figure("pacing_shortest_ms", "pacing at 1/s: shortest interval", shortest, "ms", op=">=", target=995),
        figure("engine_user_ms", f"engine user CPU per message ({accounts} accounts at 30/s)", round(user_ms, 3), "ms",
               op="<", target=USER_TARGET_MS),
        figure("engine_total_ms", "engine user+system CPU per message", round(ms, 3), "ms", better="lower")])
    return 0


if __name__ == "__main__":
    sys.exit(main())
