#!/usr/bin/python3
"""How agents fail beyond their training range, from sweep folders (gridtime sweep / reproduce).

Usage: tools/failure_modes.py SWEEP [SWEEP ...] [--from 13] [--to 60] [--window 16..30]

For each sweep folder and each agent in it (all seeds together) prints one markdown row: H90 and Hexact (median and
range over seeds, from comparison.csv), the shares of episodes from T = --from to --to that arrive exactly at T, early,
late or never (timeout), and, for T in --window, the median arrival step of the early arrivals and the share of all
episodes arriving at t = 11..13 ("as if T were still 12", the paper's description of its plain agent).
Reads comparison.csv and each cell's eval-episodes.msgpack (schema in docs/episode-log.md; needs python3-msgpack).
"""
import csv
import statistics
import sys
from collections import defaultdict
from pathlib import Path

import msgpack


def horizon_key(value):
    return -1 if value in ("", "none") else int(value)


def median_and_range(values):
    ordered = sorted(values, key=horizon_key)
    show = lambda v: "none" if v in ("", "none") else v
    n = len(ordered)
    middle = ordered[(n - 1) // 2: n // 2 + 1]
    if any(horizon_key(v) < 0 for v in middle):
        median = "none"
    else:
        median = f"{statistics.mean(int(v) for v in middle):g}"
    return f"{median} ({show(ordered[0])}–{show(ordered[-1])})"


def main(argv):
    first, last, window = 13, 60, (16, 30)
    folders = []
    args = iter(argv)
    for arg in args:
        if arg == "--from":
            first = int(next(args))
        elif arg == "--to":
            last = int(next(args))
        elif arg == "--window":
            lo, hi = next(args).split("..")
            window = (int(lo), int(hi))
        else:
            folders.append(Path(arg))
    if not folders:
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    print(f"| sweep | agent | seeds | H90 median (range) | Hexact median (range) | T {first}..{last}: exact / early / late / timeout "
          f"| T {window[0]}..{window[1]}: median step of early arrivals | T {window[0]}..{window[1]}: arriving at t = 11..13 |")
    print("|---|---|---|---|---|---|---|---|")
    for folder in folders:
        rows = list(csv.DictReader(open(folder / "comparison.csv", newline="")))
        agents = list(dict.fromkeys(r["agent"] for r in rows))
        for agent in agents:
            mine = [r for r in rows if r["agent"] == agent]
            seeds = sorted({int(r["seed"]) for r in mine})
            per_seed = {s: next(r for r in mine if int(r["seed"]) == s) for s in seeds}
            h90 = median_and_range([per_seed[s]["h90"] for s in seeds])
            hexact = median_and_range([per_seed[s]["hexact"] for s in seeds])
            totals = defaultdict(float)
            for r in mine:
                if first <= int(r["T"]) <= last:
                    episodes = int(r["episodes"])
                    exact = round(float(r["exact_rate"]) * episodes)
                    totals["episodes"] += episodes
                    totals["exact"] += exact
                    for key in ("early", "late", "timeout"):
                        totals[key] += int(r[key])
            share = lambda key: totals[key] / totals["episodes"] if totals["episodes"] else float("nan")
            early_steps, at_twelve, in_window = [], 0, 0
            for s in seeds:
                log = folder / per_seed[s]["run"] / "eval-episodes.msgpack"
                for record in msgpack.Unpacker(open(log, "rb"), raw=False):
                    t_instr, arrival = record["T"], record["outcome"]["arrivalTime"]
                    if not window[0] <= t_instr <= window[1]:
                        continue
                    in_window += 1
                    if arrival is not None and arrival < t_instr:
                        early_steps.append(arrival)
                    if arrival is not None and 11 <= arrival <= 13:
                        at_twelve += 1
            early = f"{statistics.median(early_steps):g} ({len(early_steps)} episodes)" if early_steps else "none arrive early"
            print(f"| {folder.name} | {agent} | {len(seeds)} | {h90} | {hexact} | {share('exact'):.2f} / {share('early'):.2f} / "
                  f"{share('late'):.2f} / {share('timeout'):.2f} | {early} | {at_twelve / in_window if in_window else float('nan'):.2f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
