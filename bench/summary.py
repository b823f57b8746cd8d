#!/usr/bin/env python3
"""bench/summary.py — the last step of `make bench` (issue 21 item 7): every figure of every bench
in one file, bench/out/summary.json, and a table against the previous one.

Each bench writes bench/out/NAME.json (bench/figures.py: value, unit, target, the peer's figure
from the same run and the ratio). This merges them into summary.json with the commit and the
machine, after moving the previous summary to summary.prev.json, and prints one line per figure:
before, now, the change (on the ratio when the target is a ratio to a peer, since absolute figures
vary with the machine's load and the ratio is taken in one run), the target and whether it is met.

    python3 bench/summary.py                 merge what bench/out holds
    python3 bench/summary.py --since FILE    FILE holds the run's start (ISO time; make bench
                                             writes bench/out/.started): a bench whose figures
                                             are older did not finish in this run and is named;
                                             so is each command make bench lists in
                                             bench/out/.failed (it exited non-zero)
    python3 bench/summary.py --table         print the table of the current summary.json against
                                             summary.prev.json; write nothing

Exits 1 when a target is missed or a bench failed or did not run, so that `make bench` succeeds
only when every target is met (issue 21's "done when"); the table is printed and summary.json
written either way.
"""
import glob
import json
import os
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "bench", "out")
SUMMARY = os.path.join(OUT, "summary.json")
PREV = os.path.join(OUT, "summary.prev.json")


def load(path):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def git(*args):
    r = subprocess.run(["git", "-C", ROOT, *args], capture_output=True, text=True)
    return r.stdout.strip() if r.returncode == 0 else None


def merge():
    benches = {}
    for path in sorted(glob.glob(os.path.join(OUT, "*.json"))):
        if os.path.basename(path).startswith("summary"):
            continue
        doc = load(path)
        if not doc or "figures" not in doc:
            print(f"summary: {os.path.relpath(path, ROOT)} is not a bench's figures; left out", file=sys.stderr)
            continue
        benches[doc.get("bench") or os.path.basename(path)[:-5]] = {"run_at": doc.get("run_at"),
                                                                    "figures": doc["figures"]}
    figures = [f for b in benches.values() for f in b["figures"]]
    dirty = bool(git("status", "--porcelain", "--untracked-files=no"))
    return {
        "written_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "commit": (git("rev-parse", "--short=12", "HEAD") or "?") + ("+changes" if dirty else ""),
        "subject": git("log", "-1", "--format=%s") or "",
        "cpus": os.cpu_count(),
        "targets": {"met": sum(1 for f in figures if f.get("met") is True),
                    "missed": sum(1 for f in figures if f.get("met") is False)},
        "benches": benches,
    }


def compared(f):
    """The number a change is measured on: the ratio when the target is one, else the value."""
    return f.get("ratio") if f.get("of") == "ratio" else f.get("value")


def num(v):
    if v is None:
        return "—"
    if isinstance(v, bool):
        return "yes" if v else "no"
    if abs(v) >= 100 or float(v).is_integer():
        return f"{round(v):,}"
    return f"{v:.3g}"


def shown(f):
    if f is None:
        return "—"
    v = num(f.get("value")) + (" " + f["unit"] if f.get("unit") else "")
    if f.get("peer_value") is not None and f.get("ratio") is not None:
        v += f" ({f['ratio']:.2f}×)"
    return v


def target(f):
    if not f.get("op"):
        return ""
    t = num(f.get("target"))
    return f"{f['op']} {t}× {f.get('peer', 'peer')}" if f.get("of") == "ratio" else \
        f"{f['op']} {t}" + (" " + f["unit"] if f.get("unit") else "")


def change(before, now):
    if before is None or now is None:
        return "new" if before is None else ""
    a, b = compared(before), compared(now)
    if a is None or b is None or isinstance(a, bool) or isinstance(b, bool):
        return ""
    if a == b:
        return "same"
    rel = (b - a) / abs(a) if a else None
    pct = ("ratio " if now.get("of") == "ratio" else "") + (f"{rel * 100:+.1f}%" if rel is not None else f"{b - a:+g}")
    better = now.get("better")
    if better in ("higher", "lower") and (rel is None or abs(rel) >= 0.01):  # under 1%: noise, no verdict
        good = (b > a) == (better == "higher")
        pct += " better" if good else " worse"
    return pct


def table(cur, prev, stale=(), failed=()):
    prev_b = (prev or {}).get("benches", {})
    rows = [("figure", "before", "now", "change", "target", "met")]
    for name, b in cur["benches"].items():
        old = {f["key"]: f for f in prev_b.get(name, {}).get("figures", [])}
        same_run = prev_b.get(name, {}).get("run_at") == b.get("run_at")
        for f in b["figures"]:
            o = old.get(f["key"])
            met = {True: "yes", False: "MISSED", None: ""}[f.get("met")]
            rows.append((f"{name}: {f['label']}", shown(o), shown(f),
                         "not run" if same_run and prev else change(o, f), target(f), met))
    widths = [min(max(len(r[i]) for r in rows), 64 if i == 0 else 40) for i in range(6)]
    head = (f"bench summary: {cur['commit']} ({cur['written_at']}, {cur['cpus']} CPUs)"
            + (f" against {prev['commit']} ({prev['written_at']})" if prev else ", no earlier summary to compare with"))
    lines = [head]
    for i, r in enumerate(rows):
        cells = [(c if len(c) <= widths[j] else c[:widths[j] - 1] + "…").ljust(widths[j]) for j, c in enumerate(r)]
        lines.append("  ".join(cells).rstrip())
        if i == 0:
            lines.append("  ".join("-" * w for w in widths))
    t = cur["targets"]
    lines.append(f"targets: {t['met']} met, {t['missed']} missed" +
                 (f"; no figures from this run: {', '.join(stale)}" if stale else "") +
                 (f"; exited non-zero: {', '.join(failed)}" if failed else ""))
    return "\n".join(lines)


def main(argv):
    if "--table" in argv:
        cur = load(SUMMARY)
        if not cur:
            print("summary: no bench/out/summary.json yet", file=sys.stderr)
            return 1
        print(table(cur, load(PREV)))
        return 0
    since = None
    failed = []
    if "--since" in argv:
        with open(argv[argv.index("--since") + 1]) as f:
            since = f.read().strip()
        try:
            with open(os.path.join(OUT, ".failed")) as f:
                failed = [line.strip() for line in f if line.strip()]
        except OSError:
            pass
    cur = merge()
    if not cur["benches"]:
        print("summary: no figures in bench/out; run make bench", file=sys.stderr)
        return 1
    stale = sorted(n for n, b in cur["benches"].items() if since and (b.get("run_at") or "") < since)
    prev = load(SUMMARY)
    if prev:
        os.replace(SUMMARY, PREV)
    with open(SUMMARY + ".tmp", "w") as f:
        json.dump(cur, f, indent=1)
        f.write("\n")
    os.replace(SUMMARY + ".tmp", SUMMARY)
    print(table(cur, prev, stale, failed))
    print(f"summary: written to {os.path.relpath(SUMMARY, ROOT)}" + (" (the previous one is summary.prev.json)" if prev else ""))
    return 1 if stale or failed or cur["targets"]["missed"] else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
