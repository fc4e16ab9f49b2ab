"""Warm replications of one scenario at two git revisions, measured side by side in one run.

A replication is timed the way a sweep's worker runs it
(``encircle_sim.experiments.replicate.replicate``: ``run(scenario, seed, plots=False)``, its
summary flattened, then ``model.release()`` so that the next one reuses the Mesa grid), in a
process that has already run one (the warm path: region, navigator, route fields and grid
built). Each revision is checked out into a temporary worktree and run by this project's
interpreter with ``PYTHONPATH=<worktree>/src``; the revisions alternate, round after round, so
that both see the same machine load. Reported per revision: the median over rounds of each
round's median time per replication, and the ratio after / before (the issue-11 target is a
warm replication of the default scenario in at most 0.25 s).

    .venv/bin/python benchmarks/bench_warm_replication.py                  # main vs working tree
    .venv/bin/python benchmarks/bench_warm_replication.py main HEAD --rounds 5 --reps 5

``WORKTREE`` as a revision means the sources of this checkout as they are (uncommitted changes
included).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

WORKER = """
import json, sys, time
import encircle_sim
from encircle_sim.experiments.replicate import Job, Task, replicate
from encircle_sim.scenario_files import load_scenario
job = Job([load_scenario(sys.argv[1])])
first = int(sys.argv[3])
row = replicate(job, Task(0, 0, first - 1))     # warm up: region, navigator, grid, routes
assert row["error"] is None, row["traceback"]
times = []
for k in range(int(sys.argv[2])):
    t0 = time.perf_counter()
    row = replicate(job, Task(0, k + 1, first + k))
    times.append(time.perf_counter() - t0)
    assert row["error"] is None, row["traceback"]
print(json.dumps({"times": times, "sources": encircle_sim.__file__}))
"""


def measure(src: Path, scenario: str, reps: int, first_seed: int) -> list[float]:
    """Seconds per warm replication, ``reps`` of them, in one fresh process at ``src``."""
    env = {**os.environ, "PYTHONPATH": str(src)}
    out = subprocess.run([sys.executable, "-c", WORKER, scenario, str(reps), str(first_seed)],
                         env=env, capture_output=True, text=True, cwd=src.parent)
    if out.returncode != 0:
        sys.exit(f"the replications at {src.parent} failed:\n{out.stderr}")
    result = json.loads(out.stdout.strip().splitlines()[-1])
    if not Path(result["sources"]).resolve().is_relative_to(src.resolve()):
        sys.exit(f"expected the sources of {src}, ran {result['sources']}")
    return result["times"]


def checkout(rev: str, tmp: Path) -> Path:
    """A detached worktree of ``rev`` (its ``src`` is what runs); WORKTREE is this checkout."""
    if rev == "WORKTREE":
        return REPO
    path = tmp / rev.replace("/", "_").replace("~", "-").replace("^", "-")
    subprocess.run(["git", "-C", str(REPO), "worktree", "add", "--detach", "-q", str(path), rev],
                   check=True)
    return path


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("before", nargs="?", default="main")
    parser.add_argument("after", nargs="?", default="WORKTREE")
    parser.add_argument("--scenario", default="victory_will")
    parser.add_argument("--rounds", type=int, default=5, help="alternations of the revisions")
    parser.add_argument("--reps", type=int, default=4, help="warm replications per round")
    parser.add_argument("--seed", type=int, default=101, help="seed of the first replication")
    args = parser.parse_args()
    revs = (args.before, args.after)
    rounds: dict[str, list[float]] = {rev: [] for rev in revs}
    with tempfile.TemporaryDirectory() as tmp:
        trees = {rev: checkout(rev, Path(tmp)) for rev in revs}
        try:
            for r in range(args.rounds):
                order = revs if r % 2 == 0 else revs[::-1]
                for rev in order:
                    times = measure(trees[rev] / "src", args.scenario, args.reps, args.seed)
                    rounds[rev].append(statistics.median(times))
                print(f"round {r + 1}/{args.rounds}: "
                      + ", ".join(f"{rev} {rounds[rev][-1]:.3f} s" for rev in revs),
                      file=sys.stderr)
        finally:
            for path in trees.values():
                if path != REPO:
                    subprocess.run(["git", "-C", str(REPO), "worktree", "remove", "--force",
                                    str(path)], check=False)
    before, after = (statistics.median(rounds[rev]) for rev in revs)
    print(f"{args.scenario}: seconds per warm replication (replicate() as a sweep worker runs "
          f"it), median of {args.rounds} rounds x {args.reps} replications, alternating:")
    print(f"  {args.before:>12s}: {before:.3f} s")
    print(f"  {args.after:>12s}: {after:.3f} s")
    print(f"  after / before = {after / before:.2f}  (speed-up {before / after:.2f}x)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
