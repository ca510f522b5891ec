#!/usr/bin/env python3
"""The comparison table of tools/time-from-reward-study.sh, in Markdown, from the runs' eval.csv files.

usage: time_table.py LABEL=SWEEP [LABEL=SWEEP ...] --far FOLDER
  SWEEP: a sweep folder (or any folder of run folders) whose runs hold eval.csv of T = 1..100;
  FOLDER/LABEL-OF-SWEEP/RUN/eval.csv: the same run's evaluation at the far T (study: FOLDER/<sweep folder name>/RUN).
One row per agent: seeds; H90 and Hexact (median with a 95% bootstrap interval over seeds, 10,000 resamples, seed 1,
and per seed; the largest T up to which every T from the training range's smallest on earns >= 0.9 of the best, or
arrives exactly in >= half the episodes; "none" counts as 0); exact arrivals on T 5..12 (median seed); the lowest exact
rate on T 13..100 (median seed, and the lowest seed); exact at each far T (median seed, and the Wilson 95% interval of
all seeds' episodes pooled). Python's standard library only.
"""
import csv
import math
import os
import random
import statistics
import sys


def wilson(successes, trials, z=1.959963984540054):
    """Wilson's 95% interval of a share (as GridTime's ConfidenceInterval.Wilson)."""
    p = successes / trials
    centre = (p + z * z / (2 * trials)) / (1 + z * z / trials)
    half = z * math.sqrt(p * (1 - p) / trials + z * z / (4 * trials * trials)) / (1 + z * z / trials)
    return max(0.0, centre - half), min(1.0, centre + half)


def bootstrap_median(values, resamples=10_000, seed=1):
    """A 95% percentile bootstrap interval of the median over seeds."""
    generator = random.Random(seed)
    medians = sorted(statistics.median(generator.choices(values, k=len(values))) for _ in range(resamples))
    return medians[int(0.025 * resamples)], medians[int(0.975 * resamples) - 1]


def rows(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def horizon(table, column, threshold, first):
    values = {int(r["T"]): float(r[column]) for r in table}
    found, t = None, first
    while t in values and values[t] >= threshold:
        found, t = t, t + 1
    return found


def main(argv):
    if "--far" not in argv or argv.index("--far") + 1 >= len(argv):
        sys.exit("usage: time_table.py LABEL=SWEEP [...] --far FOLDER")
    far_root = argv[argv.index("--far") + 1]
    sweeps = [a for a in argv[: argv.index("--far")] if "=" in a]
    print("| agent | seeds | H90: median [bootstrap 95%] (per seed) | Hexact: median [bootstrap 95%] (per seed) | exact on T 5..12 (median seed) "
          "| lowest exact rate on T 13..100: median seed (lowest seed) | exact at T = 200 / 500 / 1000 / 10,000: median seed [Wilson 95%, seeds pooled] (episodes per T) |")
    print("|---|---|---|---|---|---|---|")
    for spec in sweeps:
        label, folder = spec.split("=", 1)
        by_agent = {}
        for run in sorted(os.listdir(folder)):
            csv_path = os.path.join(folder, run, "eval.csv")
            far_path = os.path.join(far_root, os.path.basename(folder.rstrip("/")), run, "eval.csv")
            if not (os.path.isfile(csv_path) and os.path.isfile(far_path)):
                continue
            agent = run.rsplit("-s", 1)[0]
            by_agent.setdefault(agent, []).append((rows(csv_path), rows(far_path)))
        for agent, runs in by_agent.items():
            name = label if label != "paper" else agent
            first = 5
            h90 = [horizon(t, "fraction_of_best", 0.9, first) for t, _ in runs]
            hexact = [horizon(t, "exact_rate", 0.5, first) for t, _ in runs]
            training, lowest, far, episodes = [], [], {}, None
            for table, far_table in runs:
                inside = [r for r in table if 5 <= int(r["T"]) <= 12]
                training.append(sum(float(r["exact_rate"]) * int(r["episodes"]) for r in inside) / sum(int(r["episodes"]) for r in inside))
                lowest.append(min(float(r["exact_rate"]) for r in table if 13 <= int(r["T"]) <= 100))
                for r in far_table:
                    far.setdefault(int(r["T"]), []).append((float(r["exact_rate"]), round(float(r["exact_rate"]) * int(r["episodes"])), int(r["episodes"])))
                    episodes = int(r["episodes"])
            shown = lambda v: ", ".join("none" if x is None else str(x) for x in v)
            zeroed = lambda v: [0 if x is None else x for x in v]

            def horizon_cell(v):
                low, high = bootstrap_median(zeroed(v))
                return f"{statistics.median(zeroed(v)):g} [{low:g}, {high:g}] ({shown(v)})"

            def far_cell(t):
                low, high = wilson(sum(k for _, k, _ in far[t]), sum(n for _, _, n in far[t]))
                return f"{100 * statistics.median(rate for rate, _, _ in far[t]):.0f}% [{100 * low:.1f}, {100 * high:.1f}]"

            print(f"| {name} | {len(runs)} | {horizon_cell(h90)} | {horizon_cell(hexact)} "
                  f"| {100 * statistics.median(training):.1f}% | {100 * statistics.median(lowest):.0f}% ({100 * min(lowest):.0f}%) "
                  f"| {' / '.join(far_cell(t) for t in sorted(far))} ({episodes} per seed) |")


if __name__ == "__main__":
    main(sys.argv[1:])
