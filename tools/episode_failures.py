#!/usr/bin/python3
"""Where an evaluation's episodes fail: per T and start distance, per where the target lies, and what the agent does
while it waits.

Usage: tools/episode_failures.py EVAL-EPISODES.msgpack [--waiting-cap 8]

Reads the episodes `gridtime eval` logs (eval-episodes.msgpack; schema in docs/episode-log.md; needs python3-msgpack),
checking every record's CRC-32, and prints:
  - per (T, start distance d): episodes, and how many arrived exactly at T, early, late or never;
  - per T, where the target lay from the start (same row to the right or left, same column above or below, diagonal)
    against the outcome;
  - the early episodes by (T, d, arrival step, step of the first move);
  - per T, the actions (s stay, u up, d down, l left, r right) in the steps while the time left is above the cap
    (t < T - cap: the timer agent's readout reads the cap there, and waiting is all it should do).
Bad input: one line, exit 2.
"""
import sys
import zlib
from collections import Counter, defaultdict

import msgpack

CRC_KEY = msgpack.packb("crc32")
ACTIONS = "sudlr"


def read(path):
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError as e:
        print(f"episode_failures: {path}: {e.strerror}", file=sys.stderr)
        sys.exit(2)
    unpacker = msgpack.Unpacker(raw=False, strict_map_key=False)
    unpacker.feed(data)
    episodes, start = [], 0
    try:
        for record in unpacker:
            end = unpacker.tell()
            raw = data[start:end]
            if not isinstance(record, dict) or zlib.crc32(raw[:raw.rfind(CRC_KEY)]) != record.get("crc32"):
                raise ValueError(f"the record at byte {start} is damaged or not an episode")
            episodes.append(record)
            start = end
    except (ValueError, msgpack.UnpackException) as e:
        print(f"episode_failures: {path}: {e}", file=sys.stderr)
        sys.exit(2)
    return episodes


def outcome(e):
    arrival, t = e["outcome"]["arrivalTime"], e["T"]
    return "timeout" if arrival is None else "exact" if arrival == t else "early" if arrival < t else "late"


def where(e):
    (r0, c0), (rt, ct) = e["agentStart"], e["target"]
    if r0 == rt:
        return "same row, right" if ct > c0 else "same row, left"
    if c0 == ct:
        return "same column, below" if rt > r0 else "same column, above"
    return "diagonal"


def main(argv):
    if len(argv) not in (2, 4) or (len(argv) == 4 and argv[2] != "--waiting-cap"):
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        sys.exit(2)
    try:
        cap = int(argv[3]) if len(argv) == 4 else 8
    except ValueError:
        print(f"episode_failures: --waiting-cap: expected an integer, got '{argv[3]}'", file=sys.stderr)
        sys.exit(2)
    episodes = read(argv[1])
    kinds = ("exact", "early", "late", "timeout")
    by_distance, by_place, early, waiting = defaultdict(Counter), defaultdict(Counter), Counter(), defaultdict(Counter)
    for e in episodes:
        (r0, c0), (rt, ct) = e["agentStart"], e["target"]
        d, kind = abs(r0 - rt) + abs(c0 - ct), outcome(e)
        by_distance[(e["T"], d)][kind] += 1
        by_place[(e["T"], where(e))][kind] += 1
        if kind == "early":
            moves = [k + 1 for k, a in enumerate(e["actions"]) if a != 0]
            early[(e["T"], d, e["outcome"]["arrivalTime"], moves[0] if moves else None)] += 1
        waiting[e["T"]].update(ACTIONS[a] for a in e["actions"][:max(0, e["T"] - cap)])
    print("T, start distance d: episodes  " + "  ".join(kinds))
    for (t, d), c in sorted(by_distance.items()):
        print(f"T {t:6d} d {d:2d}: {sum(c.values()):5d}  " + "  ".join(f"{c[k]:5d}" for k in kinds))
    print("\nT, where the target lay: episodes  " + "  ".join(kinds))
    for (t, place), c in sorted(by_place.items()):
        print(f"T {t:6d} {place:19s}: {sum(c.values()):5d}  " + "  ".join(f"{c[k]:5d}" for k in kinds))
    print("\nearly episodes: (T, d, arrival step, first move step): count")
    for key, n in sorted(early.items(), key=lambda kv: tuple(-1 if v is None else v for v in kv[0])):
        print(f"  {key}: {n}")
    print(f"\nactions while the time left is above {cap} (s stay, u up, d down, l left, r right)")
    for t, c in sorted(waiting.items()):
        print(f"T {t:6d}: " + ", ".join(f"{a} {n}" for a, n in c.most_common()))


if __name__ == "__main__":
    main(sys.argv)
