"""bench/figures.py — the figures a bench hands to bench/summary.py (issue 21 item 7).

Every bench of `make bench` keeps its own printout and its NAME.txt, and also writes
bench/out/NAME.json with each of its figures: the value and its unit, the target, the peer's figure
measured in the same run (nginx, the bare SQL scan…) and the ratio to it. bench/summary.py merges
them into bench/out/summary.json and compares with the previous one. The same shape is written by
bench/figures.mjs (Node), bench/run.sh and bench/bench_audience.c (by hand); DECISIONS 75.

    from figures import figure, write_figures
    write_figures("track", [
        figure("clicks", "GET /t/:code", rps, "req/s", peer="nginx return 302", peer_value=nginx_rps,
               op=">=", target=0.8, of="ratio"),
    ])

A figure: key (stable, unique in its bench), label, value, unit; op and target (the target is met
when value — or the ratio, with of="ratio" — op target holds; no op: a figure without a target);
better ("higher"/"lower": which way a change is good; from op when not given).
"""
import json
import os
import time

OUT = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "bench", "out")
OPS = {"<": lambda a, b: a < b, "<=": lambda a, b: a <= b, ">": lambda a, b: a > b, ">=": lambda a, b: a >= b,
       "==": lambda a, b: a == b}


def figure(key, label, value, unit="", *, op=None, target=None, of="value", peer=None, peer_value=None,
           better=None):
    ratio = value / peer_value if peer_value else None
    f = {"key": key, "label": label, "value": value, "unit": unit}
    if peer is not None:
        f.update(peer=peer, peer_value=peer_value, ratio=round(ratio, 4) if ratio is not None else None)
    if op is not None:
        measured = ratio if of == "ratio" else value
        f.update(op=op, target=target, of=of, met=measured is not None and OPS[op](measured, target))
    f["better"] = better or ("lower" if op in ("<", "<=") else "higher" if op in (">", ">=") else None)
    return f


def write_figures(bench, figures):
    """Write bench/out/BENCH.json; returns its path."""
    os.makedirs(OUT, exist_ok=True)
    path = os.path.join(OUT, bench + ".json")
    doc = {"bench": bench, "run_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "figures": figures}
    with open(path + ".tmp", "w") as f:
        json.dump(doc, f, indent=1)
        f.write("\n")
    os.replace(path + ".tmp", path)
    return path
