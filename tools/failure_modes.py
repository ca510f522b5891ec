#!/usr/bin/python3
"""How agents fail beyond their training range, from sweep folders (gridtime sweep / reproduce).

Usage: tools/failure_modes.py SWEEP [SWEEP ...] [--from 13] [--to 60] [--at 20,30,60]

For each sweep folder and each agent (and setting combination) in it, all seeds together, prints one markdown row:
H90 and Hexact (median and range over seeds, from comparison.csv), the shares of episodes from T = --from to --to
that arrive exactly at T, early, late or never (timeout), and the median step at which episodes arrive at each T of
--at ("-" where none arrives): an agent that behaves as if T were still k arrives at about k whatever T is (the
paper's description of its plain agent, with k = 12).
Reads comparison.csv and each cell's eval-episodes.msgpack (schema in docs/episode-log.md; needs python3-msgpack),
checking every record's CRC-32 and that it comes from the checkpoint comparison.csv names (an eval by hand after the
sweep replaces the episodes: run the sweep again to evaluate the cell anew). Bad input: one line, exit 2.
"""
import csv
import statistics
import sys
import zlib
from collections import defaultdict
from pathlib import Path

import msgpack


CRC_KEY = msgpack.packb("crc32")


class Refused(Exception):
    pass


def read_episodes(path, checkpoint_sha256):
    """The episodes of an eval log, each checked by its CRC-32 and its checkpoint's SHA-256 (docs/python.md)."""
    try:
        data = path.read_bytes()
    except OSError as e:
        raise Refused(f"cannot read {path}: {e.strerror}")
    unpacker = msgpack.Unpacker(raw=False, strict_map_key=False)
    unpacker.feed(data)
    start = 0
    for record in unpacker:
        end = unpacker.tell()
        raw = data[start:end]
        if not isinstance(record, dict) or zlib.crc32(raw[:raw.rfind(CRC_KEY)]) != record.get("crc32"):
            raise Refused(f"{path}: the record at byte {start} is damaged")
        if record.get("checkpointSha256") != checkpoint_sha256:
            raise Refused(f"{path}: episodes of checkpoint {str(record.get('checkpointSha256'))[:12]}, but comparison.csv evaluated {checkpoint_sha256[:12]}")
        yield record
        start = end


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
    first, last, at = 13, 60, [20, 30, 60]
    folders = []
    args = iter(argv)
    try:
        for arg in args:
            if arg == "--from":
                first = int(next(args))
            elif arg == "--to":
                last = int(next(args))
            elif arg == "--at":
                at = [int(t) for t in next(args).split(",")]
            elif arg.startswith("-"):
                print(__doc__.strip(), file=sys.stderr)
                return 0 if arg in ("-h", "--help") else 2
            else:
                folders.append(Path(arg))
    except (StopIteration, ValueError):
        print("failure_modes.py: --from and --to take a whole number, --at whole numbers such as 20,30,60", file=sys.stderr)
        return 2
    if not folders:
        print("usage: " + __doc__.strip().splitlines()[2].removeprefix("Usage: "), file=sys.stderr)
        return 2
    try:
        lines = report(folders, first, last, at)
    except Refused as e:
        print(f"failure_modes.py: {e}", file=sys.stderr)
        return 2
    print("\n".join(lines))
    return 0


def report(folders, first, last, at):
    """The table's lines; raises Refused on input that is not a whole, consistent sweep."""
    lines = []
    lines.append(f"| sweep | agent | seeds | H90 median (range) | Hexact median (range) | evaluated T in {first}..{last}: exact / early / late / timeout "
          f"| median arrival step at T = {' / '.join(map(str, at))} |")
    lines.append("|---|---|---|---|---|---|---|")
    for folder in folders:
        try:
            rows = list(csv.DictReader(open(folder / "comparison.csv", newline="")))
        except OSError:
            raise Refused(f"{folder} has no comparison.csv: not a collected sweep (gridtime sweep collect --run-dir {folder})")
        if not rows or "h90" not in rows[0]:
            raise Refused(f"{folder}/comparison.csv is not a sweep's comparison table")
        groups = list(dict.fromkeys((r.get("settings", ""), r["agent"]) for r in rows))  # a swept setting: one row per combination
        for settings, agent in groups:
            mine = [r for r in rows if r["agent"] == agent and r.get("settings", "") == settings]
            name = f"{agent} {settings}".strip()
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
            shares = " / ".join(f"{totals[key] / totals['episodes']:.2f}" for key in ("exact", "early", "late", "timeout")) if totals["episodes"] else "no T evaluated there"
            arrivals = defaultdict(list)
            for s in seeds:
                log = folder / per_seed[s]["run"] / "eval-episodes.msgpack"
                played = set()
                for record in read_episodes(log, per_seed[s]["checkpoint_sha256"]):
                    played.add(record["T"])
                    if record["T"] in at and record["outcome"]["arrivalTime"] is not None:
                        arrivals[record["T"]].append(record["outcome"]["arrivalTime"])
                wanted = {int(r["T"]) for r in mine if int(r["seed"]) == s}
                if not wanted <= played:
                    raise Refused(f"{log} has no episodes of T {min(wanted - played)}, which comparison.csv evaluated: evaluated again since? (run the sweep again)")
            evaluated = {int(r["T"]) for r in mine}
            steps = " / ".join(f"{statistics.median(arrivals[t]):g}" if arrivals[t] else "-" if t in evaluated else "not evaluated" for t in at)
            lines.append(f"| {folder.name} | {name} | {len(seeds)} | {h90} | {hexact} | {shares} | {steps} |")
    return lines


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
