"""Campaign speed of two git revisions, measured side by side in one run.

Each revision is checked out into a temporary worktree; the same interpreter (this project's
.venv) runs its sources with ``PYTHONPATH=<worktree>/src``, alternating between the revisions
so that both see the same machine load. Reported: the best warm run time of each (a second
model in the same process, as in Monte Carlo runs) and their ratio.

    .venv/bin/python benchmarks/compare_revisions.py HEAD~1 HEAD [--scenario victory_will]
        [--repeat 5]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

WARM = """
import json, sys, time
from encircle_sim.model import CampaignModel
from encircle_sim.scenario_files import load_scenario
sc = load_scenario(sys.argv[1])
CampaignModel(sc).run()          # fill the per-process caches (grid, route fields)
best = float("inf")
for _ in range(int(sys.argv[2])):
    t0 = time.perf_counter()
    m = CampaignModel(sc)
    m.run()
    best = min(best, time.perf_counter() - t0)
print(json.dumps({"warm": best, "steps": m.steps}))
"""


def measure(src: Path, scenario: str, repeat: int) -> dict:
    env = {**os.environ, "PYTHONPATH": str(src)}
    out = subprocess.run([sys.executable, "-c", WARM, scenario, str(repeat)], env=env,
                         capture_output=True, text=True, check=True, cwd=src.parent)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("before")
    parser.add_argument("after")
    parser.add_argument("--scenario", default="victory_will")
    parser.add_argument("--repeat", type=int, default=5, help="runs per round (best is kept)")
    parser.add_argument("--rounds", type=int, default=3, help="alternations of the revisions")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        trees = {}
        for rev in (args.before, args.after):
            path = Path(tmp) / rev.replace("/", "_").replace("~", "-")
            subprocess.run(["git", "-C", str(REPO), "worktree", "add", "--detach", "-q",
                            str(path), rev], check=True)
            trees[rev] = path
        try:
            best = {rev: float("inf") for rev in trees}
            for _ in range(args.rounds):
                for rev, path in trees.items():
                    r = measure(path / "src", args.scenario, args.repeat)
                    best[rev] = min(best[rev], r["warm"])
        finally:
            for path in trees.values():
                subprocess.run(["git", "-C", str(REPO), "worktree", "remove", "--force",
                                str(path)], check=False)
    b, a = best[args.before], best[args.after]
    print(f"{args.scenario}, best warm run of {args.rounds} x {args.repeat}, alternating:")
    print(f"  {args.before:>12s}: {b:.3f} s")
    print(f"  {args.after:>12s}: {a:.3f} s")
    print(f"  after / before = {a / b:.2f}")


if __name__ == "__main__":
    main()
