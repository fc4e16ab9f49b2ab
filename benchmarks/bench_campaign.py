"""Wall time of one full campaign of every bundled scenario, measured in one run.

Absolute seconds vary by +-20% from run to run on these machines, so each figure is also given
as a ratio to a reference measured in the same run: a bare per-agent Mesa model (each agent
random-walks on an OrthogonalMooreGrid of the same size, with as many agents and steps as the
campaign), i.e. the cheapest a plain Mesa implementation of the same agents could be.

    .venv/bin/python benchmarks/bench_campaign.py [--repeat 3] [SCENARIO ...]

"cold" = a fresh process: imports excluded, grid construction and the first model included;
"warm" = another model in the same process (grid and route fields cached), as in Monte Carlo runs.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time

COLD = """
import json, sys, time
from encircle_sim.scenario_files import load_scenario
from encircle_sim.model import CampaignModel
sc = load_scenario(sys.argv[1])
t0 = time.perf_counter()
m = CampaignModel(sc)
t1 = time.perf_counter()
agent_steps = 0
while m.running and m.steps < m.max_steps:
    agent_steps += int(m.units.alive.sum() + m.cells.active.sum())
    m.step()
t2 = time.perf_counter()
print(json.dumps({"build": t1 - t0, "run": t2 - t1, "steps": m.steps,
                  "agent_steps": agent_steps, "cells": m.nav.passable.size}))
"""


def cold(name: str) -> dict:
    out = subprocess.run([sys.executable, "-c", COLD, name], capture_output=True, text=True,
                         check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def warm(name: str) -> float:
    from encircle_sim.model import CampaignModel
    from encircle_sim.scenario_files import load_scenario

    sc = load_scenario(name)
    CampaignModel(sc).run()  # fill the caches
    t0 = time.perf_counter()
    CampaignModel(sc).run()
    return time.perf_counter() - t0


def bare_mesa(cells: int, agents: int, steps: int) -> float:
    """Per-agent Mesa reference: CellAgents random-walking, one shuffle_do per step."""
    import mesa
    from mesa.discrete_space import CellAgent, OrthogonalMooreGrid

    class Walker(CellAgent):
        def step(self):
            self.cell = self.cell.neighborhood.select_random_cell()

    class Walk(mesa.Model):
        def __init__(self):
            super().__init__(rng=1)
            side = int(cells ** 0.5)
            self.grid = OrthogonalMooreGrid((side, side), torus=False, random=self.random)
            for _ in range(agents):
                Walker(self).cell = self.grid.select_random_empty_cell()

        def step(self):
            self.agents.shuffle_do("step")

    t0 = time.perf_counter()
    model = Walk()
    for _ in range(steps):
        model.step()
    return time.perf_counter() - t0


def main() -> int:
    from encircle_sim.scenario_files import bundled_scenarios

    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("scenarios", nargs="*")
    p.add_argument("--repeat", type=int, default=3, help="best of N (default 3)")
    args = p.parse_args()
    names = args.scenarios or list(bundled_scenarios())
    print(f"{'scenario':28s} {'cold s':>7s} {'build s':>8s} {'warm s':>7s} {'steps':>5s} "
          f"{'agent-steps/s':>13s} {'x bare Mesa':>11s}")
    for name in names:
        runs = [cold(name) for _ in range(args.repeat)]
        best = min(runs, key=lambda r: r["build"] + r["run"])
        w = min(warm(name) for _ in range(args.repeat))
        mean_agents = max(1, best["agent_steps"] // max(best["steps"], 1))
        ref = min(bare_mesa(best["cells"], mean_agents, best["steps"]) for _ in range(args.repeat))
        total = best["build"] + best["run"]
        print(f"{name:28s} {total:7.3f} {best['build']:8.3f} {w:7.3f} {best['steps']:5d} "
              f"{best['agent_steps'] / best['run']:13,.0f} {total / ref:11.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
