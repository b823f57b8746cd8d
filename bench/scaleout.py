#!/usr/bin/env python3
"""bench/scaleout.py — `make bench`: the engine's throughput with many simulated Telegram accounts,
on one instance and then on two instances sharing one PostgreSQL database (issue 8).

ACCOUNTS (default 1000) accounts, each connected to the simulated Telegram and sending a campaign
to USERS (default 5) customers at --send-rate RATE (default 1) per account: the ideal aggregate is
ACCOUNTS × RATE messages per second, bounded by what the engine, the database and the bridge keep
up with. Round 1 runs every campaign on instance A alone (the baseline); round 2 starts instance B
beside it, waits until A has handed B half of the accounts (leases; each Telegram client moves
from one bridge to the other), and runs a second campaign on every account. Each round reports messages delivered (from the simulator's shared record, i.e. what
Telegram received), wall time from the first start to the last delivery, messages per second,
and the tgr processes' CPU per message; then the ratio of round 2 to round 1, and duplicates (must
be 0). PostgreSQL comes from scripts/pg.sh (a throwaway cluster); without PostgreSQL binaries it
falls back to one SQLite file and says so. Writes bench/out/scaleout.txt and scaleout.json
(bench/summary.py).
"""
import concurrent.futures as cf
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests", "http"))
from tgrtest import BIN, Server, clean_env  # noqa: E402
from figures import figure, write_figures  # noqa: E402 (bench/figures.py: the figures for bench/summary.py)

TICK = os.sysconf("SC_CLK_TCK")
ACCOUNTS = int(os.environ.get("ACCOUNTS", "1000"))
USERS = int(os.environ.get("USERS", "5"))
RATE = float(os.environ.get("RATE", "1"))
PASSWORD = "bench password long enough"


def cpu_seconds(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / TICK
    except OSError:
        return 0.0


def write_scenario(tmp):
    users = [{"id": f"77{i:04d}", "access_hash": str(9000 + i), "first_name": f"C{i}",
              "messages": [{"text": "is the blue mug in stock?", "ago_seconds": 3600}]} for i in range(USERS)]
    path = os.path.join(tmp, "scenario.json")
    with open(path, "w") as f:
        json.dump({"me": {"id": "98", "first_name": "Bench"}, "login": {"code": "12345"}, "users": users,
                   "faults": [], "inbound": [], "record": "deliveries.jsonl"}, f)
    return path


def record(tmp, marker):
    p = os.path.join(tmp, "deliveries.jsonl")
    out = []
    if os.path.exists(p):
        with open(p) as f:
            for line in f:
                try:
                    r = json.loads(line)
                except ValueError:
                    continue
                if marker in (r.get("text") or ""):
                    out.append(r)
    return out


def create_account(data, db_args, i):
    pw = os.path.join(data, ".." , "pw")
    r = subprocess.run([BIN, "account", "create", "--email", f"s{i}@bench.test", "--password-file", pw,
                        "--data", data, "--log-level", "warn", *db_args],
                       capture_output=True, text=True, env=clean_env(), timeout=60)
    if r.returncode != 0:
        raise RuntimeError(f"account create: {r.stderr.strip()}")
    return r.stdout.split()[0]


def setup_account(srv, key):
    def ok(r, what):
        if r.status >= 300:
            raise RuntimeError(f"{what}: {r.status} {r.body[:200]!r}")
        return r
    ok(srv.request("PATCH", "/account", {"frequency_cap_days": 0}, api_key=key), "PATCH /account")
    ok(srv.post("/session/connect", {"phone": "+15550000098"}, api_key=key), "connect")
    ok(srv.post("/session/verify", {"code": "12345"}, api_key=key), "verify")
    deadline = time.time() + 120
    while time.time() < deadline:
        r = srv.get("/contacts?limit=100", api_key=key)
        if r.status == 200 and len(r.json["contacts"]) >= USERS:
            return
        time.sleep(0.2)
    raise RuntimeError("contacts did not sync")


def start_campaign(srv, key, marker):
    r = srv.post("/campaigns", {"name": marker, "message_text": f"{marker} hello {{{{first_name}}}}",
                                "track_links": False}, api_key=key)
    if r.status != 201:
        raise RuntimeError(f"create campaign: {r.status} {r.body[:200]!r}")
    cid = r.json["id"]
    for _ in range(5):  # as a client should: a 503 says "retry shortly"
        r = srv.post(f"/campaigns/{cid}/start", {}, api_key=key)
        if r.status != 503:
            break
        time.sleep(0.5)
    if r.status != 200:
        raise RuntimeError(f"start: {r.status} {r.body[:200]!r}")


def run_round(tmp, servers, keys, marker, pool):
    """Start a campaign with marker on every account (spread over servers), wait for every
    delivery; returns (delivered, duplicates, wall seconds, cpu ms per message)."""
    want = len(keys) * USERS
    c0 = sum(cpu_seconds(s.proc.pid) for s in servers)
    t0 = time.time()
    list(pool.map(lambda ik: start_campaign(servers[ik[0] % len(servers)], ik[1], f"{marker}-{ik[0]}"),
                  enumerate(keys)))
    started = time.time() - t0
    deadline = time.time() + want / 20 + 300
    n = 0
    while time.time() < deadline:
        n = len(record(tmp, marker + "-"))
        if n >= want:
            break
        time.sleep(0.5)
    lines = record(tmp, marker + "-")
    wall = (max(r["at"] for r in lines) / 1000 - t0) if lines else time.time() - t0
    c1 = sum(cpu_seconds(s.proc.pid) for s in servers)
    seen = {}
    for r in lines:
        k = (r["text"].split(" ")[0], str(r["user_id"]))
        seen[k] = seen.get(k, 0) + 1
    dups = sum(v - 1 for v in seen.values())
    return len(seen), dups, wall, (c1 - c0) * 1000 / max(len(lines), 1), started


def main():
    tmp = tempfile.mkdtemp(prefix="tgr-bench-scaleout-")
    pg_dir = os.path.join(tmp, "pg")
    servers = []
    try:
        db_args, backend = [], "SQLite (BENCH_DB=sqlite or no PostgreSQL binaries)"
        r = None
        if os.environ.get("BENCH_DB") != "sqlite":
            r = subprocess.run([os.path.join(ROOT, "scripts", "pg.sh"), "start", pg_dir], capture_output=True,
                               text=True)
        if r and r.returncode == 0 and r.stdout.strip():
            url = r.stdout.strip().splitlines()[-1]
            subprocess.run(["psql", url, "-qc", "CREATE DATABASE bench"], check=True, capture_output=True)
            db_args, backend = ["--db", url.rsplit("/", 1)[0] + "/bench"], "PostgreSQL"
        scenario = write_scenario(tmp)
        data = os.path.join(tmp, "data")
        os.makedirs(data, mode=0o700)
        with open(os.path.join(tmp, "pw"), "w") as f:
            f.write(PASSWORD + "\n")
        t = time.time()
        # The first creates the master key; the rest run four at a time.
        keys = [create_account(data, db_args, 0)]
        with cf.ThreadPoolExecutor(4) as p:
            keys += list(p.map(lambda i: create_account(data, db_args, i), range(1, ACCOUNTS)))
        print(f"scaleout: {ACCOUNTS} accounts created in {time.time() - t:.0f} s ({backend})", flush=True)

        def server(name):
            return Server(data=data, rate_login=None, args=[
                "--telegram", "sim", "--sim-scenario", scenario, "--send-rate", str(RATE), "--rate-api", "0",
                "--rate-session", "0", "--instance-id", name, "--threads", "4", "--lease-seconds", "4", *db_args])
        a = server("a")
        servers.append(a)
        a.start()
        t = time.time()
        with cf.ThreadPoolExecutor(8) as p:
            list(p.map(lambda k: setup_account(a, k), keys))
        print(f"scaleout: {ACCOUNTS} accounts connected and synced in {time.time() - t:.0f} s", flush=True)

        with cf.ThreadPoolExecutor(8) as p:
            one = run_round(tmp, [a], keys, "R1", p)
            b = server("b")
            servers.append(b)
            b.start()
            # b takes its share of the accounts (a hands them over, each client moving between
            # the two bridges) before the second round starts.
            deadline = time.time() + 120
            while time.time() < deadline and b.stderr_text().count("now sends for account") < ACCOUNTS // 2:
                time.sleep(0.5)
            print(f"scaleout: instance b took {b.stderr_text().count('now sends for account')} accounts",
                  flush=True)
            two = run_round(tmp, [a, b], keys, "R2", p)
        ideal = ACCOUNTS * RATE
        rows = []
        for name, (n, dups, wall, cpu_ms, started) in (("one instance", one), ("two instances", two)):
            rate = n / wall if wall > 0 else 0
            rows.append(rate)
            print(f"scaleout: {name}: {n} of {ACCOUNTS * USERS} messages in {wall:.1f} s = {rate:.0f} msg/s "
                  f"(ideal {ideal:.0f}: {ACCOUNTS} accounts × {RATE:g}/s), duplicates {dups}, "
                  f"{cpu_ms:.2f} ms tgr CPU per message, campaigns started in {started:.1f} s", flush=True)
        ratio = rows[1] / rows[0] if rows[0] else 0
        print(f"scaleout: two instances / one = {ratio:.2f} on {backend}")
        os.makedirs(os.path.join(ROOT, "bench", "out"), exist_ok=True)
        with open(os.path.join(ROOT, "bench", "out", "scaleout.txt"), "w") as f:
            f.write(f"backend={backend}\naccounts={ACCOUNTS}\nusers={USERS}\nrate={RATE}\n"
                    f"one_msgs={one[0]}\none_msgs_per_s={rows[0]:.1f}\none_dups={one[1]}\n"
                    f"two_msgs={two[0]}\ntwo_msgs_per_s={rows[1]:.1f}\ntwo_dups={two[1]}\nratio={ratio:.2f}\n")
        figures = []
        for key, name, (n, dups, wall, cpu_ms, started), rate in (("one", "one instance", one, rows[0]),
                                                                   ("two", "two instances", two, rows[1])):
            figures += [
                figure(f"{key}_msgs_per_s", f"{ACCOUNTS:,} accounts at {RATE:g}/s, {name} ({backend.split()[0]})",
                       round(rate, 1), "msg/s", peer="the ideal", peer_value=ideal, better="higher"),
                figure(f"{key}_delivered", f"{name}: messages delivered", n, "", op="==", target=ACCOUNTS * USERS),
                figure(f"{key}_duplicates", f"{name}: duplicates", dups, "", op="==", target=0),
                figure(f"{key}_cpu_ms", f"{name}: tgr CPU per message", round(cpu_ms, 2), "ms", better="lower")]
        figures.append(figure("two_over_one", "two instances / one", round(ratio, 2), "×", better="higher"))
        write_figures("scaleout", figures)
        return 0 if one[1] == 0 and two[1] == 0 and one[0] == two[0] == ACCOUNTS * USERS else 1
    finally:
        for s in servers:
            try:
                s.stop()
            except Exception:  # noqa: BLE001 — best effort on the way out
                pass
            s.cleanup()
        subprocess.run([os.path.join(ROOT, "scripts", "pg.sh"), "stop", pg_dir], capture_output=True)
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
