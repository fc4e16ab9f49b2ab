"""The up-front cost estimate (``encircle_sim.costs``) against measured runs.

Each configuration is run as a user runs it, ``encircle-sim run ... --quiet`` in a fresh
process (imports, build, steps, writing the run folder and its figures), and its time and peak
resident memory (the child's ``ru_maxrss``) are set beside the estimate.

    .venv/bin/python benchmarks/cost_model.py           # the five validation sizes: the table
    .venv/bin/python benchmarks/cost_model.py --fit     # refit the coefficients on the
                                                        # calibration set and print them

Time is compared as CPU time (user + system), which the load of a shared machine disturbs far
less than wall time (also shown). The estimate is made for the steps the campaign actually ran
("est. at run steps") and for its full length ("est. full"), which is what ``validate`` and
``run`` print before the run (a campaign that destroys the group early stops sooner).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from encircle_sim import costs
from encircle_sim.scenario_files import load_scenario

ENCIRCLE_SIM = str(Path(sys.executable).parent / "encircle-sim")

# One factor at a time around victory_will, plus the other bundled theatres.
CALIBRATION = [
    ("quick", []),
    ("jazeera_storm", []),
    ("victory_will_iraq_only", []),
    ("victory_will", ["time.max_days=10"]),
    ("victory_will", ["map.cell_km=2", "time.max_days=10"]),
    ("victory_will", ["map.cell_km=2", "map.south=31", "map.east=46", "time.max_days=2",
                      "theatres.syria=true"]),
    ("victory_will", ["insurgents.cells=2000", "time.max_days=10"]),
    ("victory_will", ["insurgents.cells=4000", "time.max_days=2"]),
    ("victory_will", ["forces[0].units=500", "forces[1].units=500", "forces[2].units=500",
                      "forces[3].units=500", "time.max_days=10"]),
    ("victory_will", ["forces[0].units=500", "forces[1].units=500",
                      "unit_types.infantry.patrol_km=100", "time.max_days=10"]),
    ("victory_will", ["insurgents.cells=2000", "forces[0].units=500", "forces[1].units=500",
                      "time.max_days=5"]),
    ("victory_will", ["time.step_hours=1", "time.max_days=45"]),
]

# Five sizes, none of them in the calibration set: the small and default scenarios, a finer
# grid, many cells (the courier network's matrix), many units with long patrols (stamps).
VALIDATION = [
    ("quick", ["time.max_days=60"]),
    ("victory_will", []),
    ("victory_will", ["map.cell_km=3", "time.max_days=20"]),
    ("victory_will", ["insurgents.cells=3000", "time.max_days=3"]),
    ("victory_will", [*(f"forces[{i}].units=500" for i in range(5)),
                      "unit_types.infantry.patrol_km=150", "unit_types.mechanised.patrol_km=150",
                      "time.max_days=3"]),
]


def measure(ref: str, overrides: list[str]) -> dict:
    """CPU and wall time, peak RSS and steps of one ``encircle-sim run`` in a fresh process.

    The estimate is compared with CPU time (user + system): on an idle machine a run's wall
    time is its CPU time, while on a shared one the wall time also counts the waiting.
    """
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "run"
        cmd = [ENCIRCLE_SIM, "run", ref, "--quiet", "--yes", "--out", str(out)]
        for o in overrides:
            cmd += ["--set", o]
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - t0
        err = proc.stderr.read().decode()
        proc.returncode = os.waitstatus_to_exitcode(status)
        if proc.returncode != 0:
            raise RuntimeError(f"{ref} {overrides}: exit {proc.returncode}: {err}")
        steps = json.loads((out / "summary.json").read_text())["steps"]
    return {"wall": wall, "seconds": usage.ru_utime + usage.ru_stime,
            "peak_mb": usage.ru_maxrss / 1024, "steps": steps}


def features(sc, steps: int) -> tuple[list[float], list[float]]:
    """The terms of :func:`encircle_sim.costs.estimate`, for a least-squares fit."""
    z = costs.sizes(sc)
    sightings = z.cells_at_start * z.units
    time_terms = [1.0, z.grid_cells, z.link_pairs, steps, steps * z.grid_cells,
                  steps * z.stamps, steps * sightings, steps * (z.units + z.cells_at_start)]
    memory_terms = [1.0, z.grid_cells, steps * z.cells, z.link_pairs, z.widest_stamp, sightings]
    return time_terms, memory_terms


def fit() -> None:
    from scipy.optimize import nnls

    rows = []
    for ref, overrides in CALIBRATION:
        sc = load_scenario(ref, overrides)
        m = measure(ref, overrides)
        rows.append((features(sc, m["steps"]), m))
        print(f"  {ref} {' '.join(overrides)}: {m['seconds']:.1f} s CPU ({m['wall']:.1f} s wall), "
              f"{m['peak_mb']:.0f} MB, "
              f"{m['steps']} steps", file=sys.stderr)
    at = np.array([f[0] for f, _ in rows])
    am = np.array([f[1] for f, _ in rows])
    t = np.array([m["seconds"] for _, m in rows])
    mem = np.array([m["peak_mb"] for _, m in rows])
    # relative errors matter, not absolute ones: weight each row by 1 / measured value
    ct, _ = nnls(at / t[:, None], np.ones(len(t)))
    cm, _ = nnls(am / mem[:, None], np.ones(len(mem)))
    print("time:", dict(zip(["start", "per cell", "per link pair", "per step", "per cell-step",
                             "per stamp", "per sighting", "per agent-step"],
                            (f"{c:.3g}" for c in ct), strict=True)))
    print("memory:", dict(zip(["base", "per cell", "per track", "per link pair", "per stamp",
                               "per sighting"], (f"{c:.3g}" for c in cm), strict=True)))


def table() -> None:
    print("| scenario | grid cells | units | insurgent cells | steps run / full | "
          "CPU time: measured | est. at run steps | error | est. full | wall time | "
          "memory: measured | estimated | error |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for ref, overrides in VALIDATION:
        sc = load_scenario(ref, overrides)
        m = measure(ref, overrides)
        at_run = costs.estimate(sc, steps=m["steps"])
        full = costs.estimate(sc)
        z = at_run.sizes
        label = ref + (" " + " ".join(overrides) if overrides else "")
        print(f"| {label} | {z.grid_cells:,} | {z.units:,} | {z.cells:,} | "
              f"{m['steps']} / {full.sizes.steps} | {m['seconds']:.1f} s | "
              f"{at_run.seconds:.1f} s | {at_run.seconds / m['seconds'] - 1:+.0%} | "
              f"{full.seconds:.1f} s | {m['wall']:.1f} s | {m['peak_mb']:.0f} MB | "
              f"{at_run.memory_mb:.0f} MB | "
              f"{at_run.memory_mb / m['peak_mb'] - 1:+.0%} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fit", action="store_true", help="refit the coefficients")
    args = parser.parse_args()
    fit() if args.fit else table()


if __name__ == "__main__":
    main()
