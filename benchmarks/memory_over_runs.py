"""Resident memory of one process over many campaigns (a replication worker must not grow).

    .venv/bin/python benchmarks/memory_over_runs.py [--campaigns 1000] [--days 2]
        [--scenario victory_will]

Runs short campaigns back to back in this process, as a sweep worker does, and prints the
resident set size (after a garbage collection) at a few counts, and the growth per campaign
after the first 100 (glibc keeps freed memory in its pools, so the first few dozen campaigns
raise the level once). tests/test_memory_over_runs.py checks 100 campaigns in the suite.
"""

from __future__ import annotations

import argparse
import gc
import time


def rss_mb() -> float:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS"):
                return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS in /proc/self/status (Linux only)")


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--campaigns", type=int, default=1000)
    p.add_argument("--days", type=float, default=2.0)
    p.add_argument("--scenario", default="victory_will")
    args = p.parse_args()

    from encircle_sim.runner import run

    marks = sorted({1, 20, 100, args.campaigns // 2, args.campaigns} - {0})
    seen = {}
    start = time.perf_counter()
    print(f"{'campaigns':>9} {'RSS MB':>8} {'seconds':>8}")
    for i in range(1, args.campaigns + 1):
        run(args.scenario, seed=i, overrides={"time.max_days": args.days})
        if i in marks:
            gc.collect()
            seen[i] = rss_mb()
            print(f"{i:>9} {seen[i]:>8.1f} {time.perf_counter() - start:>8.0f}", flush=True)
    if args.campaigns > 100:
        per = (seen[args.campaigns] - seen[100]) / (args.campaigns - 100)
        print(f"growth after the first 100: {per * 1024:.1f} KB per campaign")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
