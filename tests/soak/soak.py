#!/usr/bin/env python3
"""soak — the chaos soak of the send engine (issue 9, `make soak`; a 2-minute run in `make test`).

It owns the soak: the real tgr ($TGR_BIN, else build/tgr) on the simulated Telegram, several shop
accounts each running campaigns with a nudge step at a high --send-rate, while the soak SIGKILLs
the server (restarted on the same data dir) or only its bridge child at random moments and the
simulator injects FLOOD_WAIT, TIMEOUT and PEER_FLOOD faults. Paused campaigns (PEER_FLOOD) are
resumed as a shop owner would; new campaigns keep starting while time remains. At the end
(killing stops, everything is allowed to finish within a bounded wait) it proves from the
simulator's record (DESIGN §6), never from the server's own account, that:
  - every (campaign, recipient, step) was delivered exactly once (blocked users: never);
  - no two deliveries of one account were closer than 1/rate (minus 5 ms of clock rounding);
  - the server's analytics (sent, failed, pending, nudges[].sent) agree with the record;
  - a FLOOD_WAIT logged by the server was kept: the account delivered nothing inside it;
  - a PEER_FLOOD pause was kept: nothing of that campaign went out until the soak resumed it;
  - test sends to Saved Messages (POST /campaigns/:id/test, now and then) count in the pacing and
    land at most once per request (exactly once when answered 200);
  - the server stops cleanly (SIGTERM, exit 0).
The record does not say which account sent a line (every account is a session of the one
simulated "me"), so each campaign's text carries a marker "[soak aA cC sS]": account, campaign
number, step.

Environment: SOAK_MINUTES (default 30; fractions allowed), SOAK_SEED (replays a run's random
choices: fault list, kill moments and kinds; printed at start and on failure), SOAK_ACCOUNTS
(4), SOAK_USERS (30 customers who can be reached + 2 who blocked the shop), SOAK_RATE (5
messages/s per account; a slow rate such as 1 makes a restart shorter than the interval, so the
pacing across restarts is what gets tested), SOAK_KEEP=1 keeps the work dir (data dir, scenario, record, server logs).
Python 3 standard library + tests/http/tgrtest.py. Exit status 0 only when nothing was violated.
"""
import collections
import os
import random
import re
import shutil
import signal
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "http"))
import tgrtest  # noqa: E402
from tgrtest import Server, campaign_logs, connect_telegram, contacts_by_tg_id, read_record, sim_args  # noqa: E402

PASSWORD = "soak horse battery staple 42"
CODE = "80419"
ME_ID = "5990"
ME_PHONE = "+15550005990"
PACING_TOLERANCE_MS = 5      # the record's `at` is whole ms; pacing itself counts from Telegram's answer
NUDGE_AFTER_S = 4            # the nudge (step 1) goes this long after the main message
TEST_SEND_P = 0.02          # per look at a sending campaign (about one test send a minute per account)
MAX_OPEN_CAMPAIGNS = 2       # per account: the running one plus at most one still nudging
FINISH_WAIT_S = 240          # bounded wait for everything to finish once the killing stops
KILL_EVERY_S = (4.0, 16.0)   # a kill every uniform(a, b) seconds
MARKER_RE = re.compile(r"\[soak a(\d+) c(\d+) s(\d+)\]")


def log(msg):
    print(f"[soak {time.strftime('%H:%M:%S')}] {msg}", flush=True)


def make_faults(rng, horizon=400):
    """The scenario's faults: on_send counts the sends of one bridge process, so after each bridge
    (re)start the same list applies again. Faults only within the first `horizon` sends of a
    process, so the end phase (no more kills) meets at most this list once and then runs clean.
    About one send in 18 meets one: FLOOD_WAIT 1–3 s, TIMEOUT (10 s deadline, then a retry),
    PEER_FLOOD (the campaign pauses until the soak resumes it)."""
    faults, n = [], 0
    while True:
        n += rng.randint(6, 30)
        if n > horizon:
            return faults
        kind = rng.choices(["FLOOD_WAIT", "TIMEOUT", "PEER_FLOOD"], weights=[5, 2, 3])[0]
        f = {"on_send": n, "error": kind}
        if kind == "FLOOD_WAIT":
            f["seconds"] = rng.randint(1, 3)
        faults.append(f)


def make_scenario(n_users, faults):
    users = []
    for i in range(n_users + 2):
        u = {"id": str(610000 + i), "access_hash": str(42000 + i), "first_name": f"Soak{i:03d}",
             "last_name": "Customer", "messages": [{"text": f"soak question {i} about my order",
                                                    "ago_seconds": 7200 + i}]}
        if i >= n_users:
            u["error"] = "USER_IS_BLOCKED"
        users.append(u)
    return {"me": {"id": ME_ID, "first_name": "Soak Shop", "username": "soak_shop", "phone": ME_PHONE},
            "login": {"code": CODE}, "users": users, "faults": faults, "record": "deliveries.jsonl"}


class Soak:
    def __init__(self):
        self.minutes = float(os.environ.get("SOAK_MINUTES") or 30)
        self.seed = int(os.environ.get("SOAK_SEED") or (time.time_ns() % 1_000_000_007))
        self.rng = random.Random(self.seed)
        self.n_accounts = int(os.environ.get("SOAK_ACCOUNTS") or 4)
        self.n_users = int(os.environ.get("SOAK_USERS") or 30)
        self.rate = float(os.environ.get("SOAK_RATE") or 5)
        self.keep = os.environ.get("SOAK_KEEP") == "1"
        self.work = tempfile.mkdtemp(prefix="tgr-soak-")
        self.data = os.path.join(self.work, "data")
        self.faults = make_faults(self.rng)
        self.scenario = make_scenario(self.n_users, self.faults)
        self.scenario_path = tgrtest.write_scenario(self.work, self.scenario)
        self.record_path = os.path.join(self.work, "deliveries.jsonl")
        self.reachable = [u["id"] for u in self.scenario["users"] if "error" not in u]
        self.blocked = [u["id"] for u in self.scenario["users"] if "error" in u]
        self.srv = None
        self.old_logs = []  # stderr of earlier server processes, for a failure report
        self.accounts = []  # {"i","email","token","campaigns":[{"n","id","status"}]}
        self.kills = collections.Counter()
        self.resumes = 0
        self.crashes = 0
        self.resume_asked = collections.defaultdict(list)  # campaign id -> unix ms of each resume request
        self.tests_tried = collections.Counter()  # test sends (Saved Messages) asked, per account
        self.tests_ok = collections.Counter()     # … and answered 200
        self.violations = []

    # --- the server ----------------------------------------------------------------------------

    def new_server(self):
        return Server(data=self.data, args=sim_args(self.scenario_path) + ["--send-rate", f"{self.rate:g}"])

    def start_server(self):
        self.srv = self.new_server()
        self.srv.start()

    def restart_server(self):
        old = self.srv
        old.kill()
        self.old_logs.append(old.stderr_text())
        old.cleanup()
        self.start_server()

    def check_alive(self):
        """A server that exited without being killed crashed: a violation; it is restarted so
        that the soak goes on (the record still has to come out right)."""
        if self.srv.proc is None or self.srv.proc.poll() is None:
            return
        rc = self.srv.proc.returncode
        self.violation(f"the server exited by itself ({'signal ' + str(-rc) if rc < 0 else 'exit ' + str(rc)}); "
                       f"stderr tail:\n{self.srv.stderr_tail(30)}")
        self.restart_server()
        self.crashes += 1

    def look_after_all(self, may_start):
        for acct in self.accounts:
            try:
                self.look_after(acct, may_start)
            except OSError:
                if self.srv.proc is None or self.srv.proc.poll() is None:
                    raise
                self.check_alive()

    def req(self, acct, method, path, body=None):
        """One request as acct; logs in again on a 401 (a restarted server keeps tokens valid,
        but the soak does not rely on it)."""
        for _ in range(2):
            r = self.srv.request(method, path, body=body, token=acct["token"])
            if r.status != 401:
                return r
            acct["token"] = self.srv.login(acct["email"], PASSWORD)
        return r

    # --- set-up -----------------------------------------------------------------------------

    def setup_accounts(self):
        for i in range(self.n_accounts):
            email = f"soak-{i}@shop.test"
            self.srv.create_account(email, PASSWORD)
            acct = {"i": i, "email": email, "token": self.srv.login(email, PASSWORD), "campaigns": [], "next_n": 0}
            r = self.req(acct, "PATCH", "/account", {"frequency_cap_days": 0})
            assert r.status == 200, r
            connect_telegram(self.srv, acct["token"], ME_PHONE, CODE)
            want = set(self.reachable + self.blocked)
            ok = tgrtest.wait_until(lambda: want <= set(contacts_by_tg_id(self.srv, acct["token"])), 30)
            assert ok, f"account {i}: the sync did not import every customer within 30 s"
            self.accounts.append(acct)

    # --- campaigns --------------------------------------------------------------------------

    def start_campaign(self, acct):
        n = acct["next_n"]
        marker = lambda s: f"[soak a{acct['i']} c{n} s{s}]"  # noqa: E731
        body = {"name": f"Soak a{acct['i']} c{n}",
                "message_text": f"Hi {{{{first_name}}}}, news from the soak shop {marker(0)}",
                "nudges": [{"after_seconds": NUDGE_AFTER_S, "condition": "no_reply",
                            "message_text": f"Still interested, {{{{first_name}}}}? {marker(1)}"}]}
        r = self.req(acct, "POST", "/campaigns", body)
        if r.status != 201:
            raise AssertionError(f"create campaign: {r!r}")
        cid = r.json["id"]
        acct["next_n"] += 1
        c = {"n": n, "id": cid, "status": "draft"}
        acct["campaigns"].append(c)
        r = self.req(acct, "POST", f"/campaigns/{cid}/start", {"override_quiet_hours": True})
        if r.status == 200:
            c["status"] = r.json["status"]
        elif r.status == 409 and r.json and r.json.get("error", {}).get("code") == "campaign_running":
            pass  # the previous one is still running after all: started on a later look
        else:
            raise AssertionError(f"start campaign {cid}: {r!r}")

    def look_after(self, acct, may_start):
        """The shop owner's round for one account: resume a campaign paused by PEER_FLOOD, start a
        draft left behind by a 409, start a new campaign when the last one's main pass is done."""
        running = False
        open_n = 0
        for c in acct["campaigns"]:
            if c["status"] in ("completed", "cancelled"):
                continue
            r = self.req(acct, "GET", f"/campaigns/{c['id']}")
            if r.status != 200:
                raise AssertionError(f"GET /campaigns/{c['id']}: {r!r}")
            c["status"] = r.json["status"]
            if c["status"] == "paused":
                reason = r.json.get("pause_reason")
                if reason != "peer_flood":
                    self.violation(f"account {acct['i']} campaign {c['id']} paused for {reason!r}, "
                                   "not by a PEER_FLOOD (the soak only injects that pause)")
                    continue
                self.resume_asked[c["id"]].append(time.time() * 1000)
                r = self.req(acct, "POST", f"/campaigns/{c['id']}/resume", {"override_quiet_hours": True})
                if r.status == 200:
                    self.resumes += 1
                    c["status"] = r.json["status"]
                elif r.status != 409:
                    raise AssertionError(f"resume {c['id']}: {r!r}")
            if c["status"] == "draft":
                r = self.req(acct, "POST", f"/campaigns/{c['id']}/start", {"override_quiet_hours": True})
                if r.status == 200:
                    c["status"] = r.json["status"]
            if c["status"] in ("running", "nudging") and may_start and self.rng.random() < TEST_SEND_P:
                self.test_send(acct, c)
            if c["status"] in ("running", "paused", "draft"):
                running = True
            if c["status"] not in ("completed", "cancelled"):
                open_n += 1
        if may_start and not running and open_n < MAX_OPEN_CAMPAIGNS:
            self.start_campaign(acct)

    def test_send(self, acct, c):
        """A test message to Saved Messages (POST /campaigns/:id/test) in the middle of the
        campaign: it takes its turn in the account's pacing like every other message. Not
        idempotent (a new random_id each time), so a test cut off by a kill may or may not land."""
        self.tests_tried[acct["i"]] += 1
        try:
            r = self.req(acct, "POST", f"/campaigns/{c['id']}/test")
        except OSError:
            return
        if r.status == 200:
            self.tests_ok[acct["i"]] += 1

    def all_done(self):
        return all(c["status"] == "completed" for a in self.accounts for c in a["campaigns"])

    # --- chaos ------------------------------------------------------------------------------

    def kill_something(self):
        """SIGKILL the server (restarting it on the same data dir) or only its bridge child; half
        of the kills come right after Telegram took a message, the likeliest moment to lose the
        answer of a send that did go out."""
        if self.rng.random() < 0.5:
            try:
                size = os.path.getsize(self.record_path)
            except OSError:
                size = 0
            tgrtest.wait_until(lambda: os.path.exists(self.record_path) and os.path.getsize(self.record_path) > size,
                               3, step=0.001)
        if self.rng.random() < 0.5:
            self.restart_server()
            self.kills["server"] += 1
        else:
            pids = tgrtest.bridge_pids(self.srv)
            if not pids:
                return  # the bridge is being restarted already
            for p in pids:
                try:
                    os.kill(p, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            self.kills["bridge"] += 1

    def violation(self, what):
        self.violations.append(what)
        log("VIOLATION: " + what)

    # --- the run ----------------------------------------------------------------------------

    def run(self):
        log(f"seed {self.seed} (SOAK_SEED={self.seed} replays it); {self.minutes:g} min, {self.n_accounts} accounts, "
            f"{len(self.reachable)}+{len(self.blocked)} customers, --send-rate {self.rate:g}, {len(self.faults)} faults "
            f"per bridge process within its first 400 sends; work dir {self.work}; binary {tgrtest.BIN}")
        t0 = time.monotonic()
        self.start_server()
        self.setup_accounts()
        deadline = time.monotonic() + self.minutes * 60
        next_kill = time.monotonic() + self.rng.uniform(*KILL_EVERY_S)
        last_report = time.monotonic()
        while time.monotonic() < deadline:
            self.check_alive()
            self.look_after_all(may_start=True)
            if time.monotonic() >= next_kill:
                self.kill_something()
                next_kill = time.monotonic() + self.rng.uniform(*KILL_EVERY_S)
            if time.monotonic() - last_report >= 60:
                last_report = time.monotonic()
                log(f"{(time.monotonic() - t0) / 60:.1f} min: kills {dict(self.kills)}, "
                    f"{sum(len(a['campaigns']) for a in self.accounts)} campaigns, "
                    f"{len(read_record(self.record_path))} messages delivered")
            time.sleep(0.3)
        log(f"killing stops; waiting up to {FINISH_WAIT_S} s for every campaign to finish")
        end = time.monotonic() + FINISH_WAIT_S
        while time.monotonic() < end:
            self.check_alive()
            self.look_after_all(may_start=False)
            if self.all_done():
                break
            time.sleep(0.5)
        if not self.all_done():
            self.violation("not finished within the bounded wait: " + "; ".join(
                f"a{a['i']} c{c['n']} (id {c['id']}) {c['status']}" for a in self.accounts for c in a["campaigns"]
                if c["status"] != "completed"))
        self.minutes_run = (time.monotonic() - t0) / 60
        self.check_alive()
        self.verify()
        rc = self.srv.stop()
        if rc != 0:
            self.violation(f"the server exited {rc} on SIGTERM:\n{self.srv.stderr_tail(30)}")
        return self.report()

    # --- the proof --------------------------------------------------------------------------

    def verify(self):
        record = read_record(self.record_path)
        ours, tests = [], []
        for rec in record:
            m = MARKER_RE.search(rec.get("text") or "")
            if not m:
                self.violation(f"a delivery without a soak marker: {rec}")
                continue
            item = (int(m.group(1)), int(m.group(2)), int(m.group(3)), rec)
            (tests if rec["user_id"] == ME_ID else ours).append(item)
        self.delivered = len(ours) + len(tests)
        self.tests = len(tests)
        for acct in self.accounts:
            got = sum(1 for a, *_ in tests if a == acct["i"])
            if not self.tests_ok[acct["i"]] <= got <= self.tests_tried[acct["i"]]:
                self.violation(f"account {acct['i']}: {got} test sends in Saved Messages; asked "
                               f"{self.tests_tried[acct['i']]}, {self.tests_ok[acct['i']]} answered 200")
        # 1. Exactly once.
        seen = collections.Counter((a, c, s, rec["user_id"]) for a, c, s, rec in ours)
        dups = {k: v for k, v in seen.items() if v > 1}
        self.duplicates = sum(v - 1 for v in dups.values())
        for (a, c, s, u), v in sorted(dups.items())[:20]:
            self.violation(f"account {a} campaign {c} step {s}: user {u} got it {v} times")
        rids = collections.Counter(rec["random_id"] for *_, rec in ours)
        if any(v > 1 for v in rids.values()):
            self.violation(f"{sum(1 for v in rids.values() if v > 1)} random_ids recorded more than once")
        known = {(a["i"], c["n"]) for a in self.accounts for c in a["campaigns"]}
        for a, c, s, rec in ours:
            if (a, c) not in known or s not in (0, 1):
                self.violation(f"a delivery for no campaign the soak started: {rec['text']!r}")
        missing = 0
        for acct in self.accounts:
            for c in acct["campaigns"]:
                for s in (0, 1):
                    for u in self.reachable:
                        if seen[(acct["i"], c["n"], s, u)] == 0:
                            missing += 1
                            if missing <= 20:
                                self.violation(f"account {acct['i']} campaign {c['n']} (id {c['id']}) step {s}: "
                                               f"user {u} never got it")
                    for u in self.blocked:
                        if seen[(acct["i"], c["n"], s, u)]:
                            self.violation(f"campaign {c['id']}: blocked user {u} was delivered to")
        self.missing = missing
        # 2. Pacing, per account.
        allowed = 1000.0 / self.rate - PACING_TOLERANCE_MS
        self.min_gap = None
        by_acct = collections.defaultdict(list)
        for a, c, s, rec in ours + tests:
            by_acct[a].append((rec["at"], c, s, rec["user_id"]))
        close = 0
        for a, lines in sorted(by_acct.items()):
            lines.sort()
            for p, q in zip(lines, lines[1:]):
                gap = q[0] - p[0]
                if self.min_gap is None or gap < self.min_gap:
                    self.min_gap = gap
                if gap < allowed:
                    close += 1
                    if close <= 20:
                        self.violation(f"account {a}: two deliveries {gap} ms apart (allowed {allowed:g} ms): "
                                       f"{p} then {q}")
        self.close_pairs = close
        # 3. The server's analytics and logs against the record; the faults that were met.
        self.faults_hit = collections.Counter()
        self.flood_checked = 0
        self.peer_flood_checked = 0
        per_campaign = collections.Counter((a, c, s) for a, c, s, _ in ours)
        for acct in self.accounts:
            for c in acct["campaigns"]:
                r = self.req(acct, "GET", f"/campaigns/{c['id']}/analytics")
                if r.status != 200:
                    self.violation(f"analytics of {c['id']}: {r!r}")
                    continue
                an = r.json
                main, nudge = per_campaign[(acct["i"], c["n"], 0)], per_campaign[(acct["i"], c["n"], 1)]
                nudge_sent = sum(x.get("sent", 0) for x in an.get("nudges") or [])
                if (an["sent"], nudge_sent, an["pending"]) != (main + nudge, nudge, 0):
                    self.violation(f"campaign {c['id']}: analytics sent {an['sent']} (nudges {nudge_sent}), pending "
                                   f"{an['pending']}; the record has {main} + {nudge}")
                bad = {k: v for k, v in (an.get("failures_by_reason") or {}).items() if k != "USER_IS_BLOCKED"}
                if bad:
                    self.violation(f"campaign {c['id']}: failures other than blocked users: {bad}")
                times = sorted(rec["at"] for a, n, _, rec in ours if (a, n) == (acct["i"], c["n"]))
                for line in campaign_logs(self.srv, acct["token"], c["id"]):
                    st, code = line["status"], line["error_code"]
                    if st == "paused" and code == "PEER_FLOOD":
                        self.check_peer_flood(acct["i"], c, line, times)
                    if st == "flood_wait":
                        self.faults_hit["FLOOD_WAIT"] += 1
                        self.check_flood_wait(acct["i"], line, by_acct[acct["i"]])
                    elif st == "retry":
                        self.faults_hit["retry " + (code or "?")] += 1
                    elif st == "paused" and code == "PEER_FLOOD":
                        self.faults_hit["PEER_FLOOD"] += 1
                    elif st == "failed":
                        self.faults_hit["failed " + (code or "?")] += 1

    def check_peer_flood(self, a, c, line, times):
        """A PEER_FLOOD pauses the campaign with no automatic retry: after the pause logged at T,
        nothing of this campaign reaches Telegram before the soak asked for a resume."""
        t = tgrtest.parse_time(line["at"]) * 1000
        self.peer_flood_checked += 1
        resumed = min((x for x in self.resume_asked[c["id"]] if x > t), default=float("inf"))
        early = [x for x in times if t < x < resumed]
        if early:
            self.violation(f"account {a} campaign {c['n']} (id {c['id']}): {len(early)} message(s) sent after the "
                           f"PEER_FLOOD pause logged at {line['at']} and before any resume "
                           f"(first {(early[0] - t) / 1000:.3f} s after it)")

    def check_flood_wait(self, a, line, deliveries):
        """A FLOOD_WAIT of n s logged at T: the account delivers nothing before T + n s (the engine
        adds a margin, so the log line's own delay does not matter)."""
        m = re.search(r"wait (\d+) s", line.get("error_details") or "")
        if not m:
            self.violation(f"account {a}: a flood_wait log line without its seconds: {line}")
            return
        t = tgrtest.parse_time(line["at"]) * 1000
        until = t + int(m.group(1)) * 1000
        self.flood_checked += 1
        early = [d for d in deliveries if t < d[0] < until]
        if early:
            self.violation(f"account {a}: delivered {len(early)} message(s) inside a FLOOD_WAIT of {m.group(1)} s "
                           f"logged at {line['at']}: first {(early[0][0] - t) / 1000:.3f} s after it")

    def report(self):
        campaigns = sum(len(a["campaigns"]) for a in self.accounts)
        allowed = 1000.0 / self.rate - PACING_TOLERANCE_MS
        log("summary:")
        print(f"  minutes            {self.minutes_run:.1f} (killing for {self.minutes:g})\n"
              f"  kills              {self.kills['server']} server, {self.kills['bridge']} bridge; "
              f"{self.crashes} crashes of its own\n"
              f"  campaigns          {campaigns} over {self.n_accounts} accounts ({self.resumes} resumed after PEER_FLOOD)\n"
              f"  messages delivered {self.delivered} ({self.tests} of them test sends to Saved Messages)\n"
              f"  faults hit         {dict(sorted(self.faults_hit.items()))}\n"
              f"  duplicates         {self.duplicates}\n"
              f"  missing            {self.missing}\n"
              f"  min gap            {self.min_gap} ms per account (allowed >= {allowed:g} ms); "
              f"{self.close_pairs} closer\n"
              f"  flood waits kept   {self.flood_checked} checked against the record\n"
              f"  PEER_FLOOD pauses  {self.peer_flood_checked} kept until resumed\n"
              f"  seed               {self.seed}", flush=True)
        if self.violations:
            log(f"FAILED with {len(self.violations)} violation(s); replay with SOAK_SEED={self.seed}; work dir kept: "
                f"{self.work}")
            with open(os.path.join(self.work, "server-stderr.log"), "w") as f:
                f.write("\n---- restart ----\n".join(self.old_logs + [self.srv.stderr_text()]))
            self.keep = True
            return 1
        log("OK: every recipient got every step exactly once, pacing held, analytics agree")
        return 0

    def cleanup(self):
        if self.srv is not None:
            if self.keep:
                self.srv.kill()
            else:
                self.srv.cleanup()
        if not self.keep:
            shutil.rmtree(self.work, ignore_errors=True)


def main():
    soak = Soak()
    try:
        rc = soak.run()
    except BaseException as e:
        import traceback
        traceback.print_exc()
        log(f"ERROR: {type(e).__name__}: {e}; seed {soak.seed} (SOAK_SEED={soak.seed}); work dir kept: {soak.work}")
        if soak.srv is not None:
            if soak.srv.proc is not None and soak.srv.proc.poll() is not None:
                log(f"the server had exited with {soak.srv.proc.returncode}")
            log("server stderr tail:\n" + soak.srv.stderr_tail(40))
        soak.keep = True
        rc = 2
    finally:
        soak.cleanup()
    return rc


if __name__ == "__main__":
    sys.exit(main())
