"""Warm replications of one scenario at two git revisions, measured side by side in one run.

A replication is timed the way a sweep's worker runs it
(``encircle_sim.experiments.replicate.replicate``: ``run(scenario, seed, plots=False)``, its
summary flattened, then ``model.release()`` so that the next one reuses the Mesa grid), in a
process that has already run one (the warm path: region, navigator, route fields and grid
built), in wall-clock and in CPU time (``time.process_time``). Each revision is checked out
into a temporary worktree and run by this project's interpreter with
``PYTHONPATH=<worktree>/src`` in its own long-lived worker process. The driver
then asks the two workers for one replication each, in turn (A B, B A, A B, ...), with the same
seed for both: the two revisions do the same work (a change that keeps results identical runs
the very same campaign) under the same machine load, which on a shared machine varies by 2x
within a minute. Reported: the median time per replication of each revision and the median of
the per-pair ratios after / before (the issue-11 target is a warm replication of the default
scenario in at most 0.25 s).

    .venv/bin/python benchmarks/bench_warm_replication.py                  # main vs working tree
    .venv/bin/python benchmarks/bench_warm_replication.py main HEAD --pairs 20

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

#: A worker: builds the job, runs one replication to warm up, then one replication per seed it
#: reads from stdin, answering with its wall time.
WORKER = """
import json, sys, time
import encircle_sim
from encircle_sim.experiments.replicate import Job, Task, replicate
from encircle_sim.scenario_files import load_scenario
job = Job([load_scenario(sys.argv[1])])
row = replicate(job, Task(0, 0, int(sys.argv[2])))     # warm up: region, navigator, grid
assert row["error"] is None, row["traceback"]
print(json.dumps({"sources": encircle_sim.__file__}), flush=True)
for rep, line in enumerate(sys.stdin, start=1):
    t0, c0 = time.perf_counter(), time.process_time()
    row = replicate(job, Task(0, rep, int(line)))
    seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
    assert row["error"] is None, row["traceback"]
    print(json.dumps({"seconds": seconds, "cpu": cpu}), flush=True)
"""


class Worker:
    """A long-lived process running replications with the sources of one checkout."""

    def __init__(self, tree: Path, scenario: str, warm_seed: int):
        src = tree / "src"
        env = {**os.environ, "PYTHONPATH": str(src)}
        self.proc = subprocess.Popen([sys.executable, "-c", WORKER, scenario, str(warm_seed)],
                                     env=env, cwd=tree, stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, text=True)
        sources = self._answer()["sources"]
        if not Path(sources).resolve().is_relative_to(src.resolve()):
            self.close()
            sys.exit(f"expected the sources of {src}, ran {sources}")

    def _answer(self) -> dict:
        line = self.proc.stdout.readline()
        if not line:
            sys.exit(f"a worker failed (exit code {self.proc.wait()})")
        return json.loads(line)

    def replicate(self, seed: int) -> tuple[float, float]:
        """Wall-clock and CPU seconds of one replication."""
        self.proc.stdin.write(f"{seed}\n")
        self.proc.stdin.flush()
        answer = self._answer()
        return answer["seconds"], answer["cpu"]

    def close(self) -> None:
        self.proc.stdin.close()
        self.proc.wait()


def checkout(rev: str, tmp: Path) -> Path:
    """A detached worktree of ``rev``; WORKTREE is this checkout as it is."""
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
    parser.add_argument("--pairs", type=int, default=12, help="replications of each revision")
    parser.add_argument("--seed", type=int, default=101, help="seed of the first replication")
    args = parser.parse_args()
    times: dict[str, list[float]] = {"before": [], "after": []}
    cpu: dict[str, list[float]] = {"before": [], "after": []}
    with tempfile.TemporaryDirectory() as tmp:
        trees = [checkout(rev, Path(tmp)) for rev in (args.before, args.after)]
        try:
            workers = {"before": Worker(trees[0], args.scenario, args.seed - 1),
                       "after": Worker(trees[1], args.scenario, args.seed - 1)}
            try:
                for k in range(args.pairs):
                    order = ("before", "after") if k % 2 == 0 else ("after", "before")
                    for which in order:
                        wall, used = workers[which].replicate(args.seed + k)
                        times[which].append(wall)
                        cpu[which].append(used)
                    print(f"pair {k + 1}/{args.pairs}: {args.before} {times['before'][-1]:.3f} s,"
                          f" {args.after} {times['after'][-1]:.3f} s", file=sys.stderr)
            finally:
                for w in workers.values():
                    w.close()
        finally:
            for path in trees:
                if path != REPO:
                    subprocess.run(["git", "-C", str(REPO), "worktree", "remove", "--force",
                                    str(path)], check=False)
    print(f"{args.scenario}: seconds per warm replication (replicate() as a sweep worker runs "
          f"it), median of {args.pairs}, the two revisions in turn on the same seeds:")
    for label, table in (("wall-clock", times), ("CPU", cpu)):
        before, after = (statistics.median(table[w]) for w in ("before", "after"))
        ratio = statistics.median(a / b for a, b in zip(table["after"], table["before"],
                                                        strict=True))
        print(f"  {label} time: {args.before} {before:.3f} s, {args.after} {after:.3f} s; "
              f"after / before = {ratio:.2f} (median of the pairs' ratios; speed-up "
              f"{1 / ratio:.2f}x)")
    print("  (CPU time is what a replication costs a core; wall-clock time also counts the waits "
          "for a core when the machine is shared)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
