"""Same scenario and seed give identical outputs; different seeds give different ones."""

from __future__ import annotations

import json
import subprocess
import sys

import pandas as pd
from pandas.testing import assert_frame_equal

from encircle_sim.runner import run


def test_same_seed_same_tables_different_seed_different():
    a = run("quick", seed=5)
    b = run("quick", seed=5)
    c = run("quick", seed=6)
    assert_frame_equal(a.steps, b.steps)
    assert_frame_equal(a.events, b.events)
    assert not a.steps.equals(c.steps)


def test_a_second_model_in_the_same_process_is_unaffected_by_the_first():
    # caches shared within a process (grid, route fields) must not change results
    first = run("victory_will", seed=9, overrides={"time.max_days": 10.0})
    run("quick", seed=1)
    again = run("victory_will", seed=9, overrides={"time.max_days": 10.0})
    assert_frame_equal(first.steps, again.steps)


def test_cli_runs_are_identical_files(tmp_path):
    outs = []
    for k in range(2):
        out = tmp_path / f"run{k}"
        subprocess.run([sys.executable, "-m", "encircle_sim.cli", "run", "quick", "--seed", "4",
                        "--out", str(out), "--quiet"], check=True, capture_output=True)
        outs.append(out)
    for name in ("steps.csv", "events.csv", "scenario.resolved.toml", "summary.json"):
        assert (outs[0] / name).read_bytes() == (outs[1] / name).read_bytes(), name
    s0 = json.loads((outs[0] / "summary.json").read_text())
    prov = json.loads((outs[0] / "provenance.json").read_text())
    assert prov["seed"] == 4 and prov["scenario"] == "quick"
    assert prov["scenario_source"] == "quick"
    assert {"python", "mesa", "numpy"} <= set(prov["versions"])
    assert prov["wall_seconds"] > 0  # timing is provenance, not a result
    assert len(pd.read_csv(outs[0] / "steps.csv")) == s0["steps"] + 1


def test_a_released_grid_serves_the_next_model_with_the_same_results():
    """Replication workers give each finished model's Mesa grid back (release) and the next
    model of the region reuses it: its outputs equal those of a model on a new grid."""
    from encircle_sim.model import CampaignModel
    from encircle_sim.scenario_files import load_scenario

    sc = load_scenario("quick")
    fresh = CampaignModel(sc, rng=21)
    fresh.run()
    used = CampaignModel(sc, rng=22)
    used.run()
    grid = used.grid
    used.release()
    assert used.grid is None and not any(not cell.is_empty for cell in grid.all_cells)
    again = CampaignModel(sc, rng=21)
    assert again.grid is grid  # the released grid, not a new one
    again.run()
    assert_frame_equal(fresh.datacollector.get_model_vars_dataframe(),
                       again.datacollector.get_model_vars_dataframe())
    assert_frame_equal(fresh.events.frame(), again.events.frame())
    assert sum(1 for cell in grid.all_cells if not cell.is_empty) > 0


def test_a_replication_worker_reuses_the_grid_of_its_last_campaign():
    """The worker's replicate() gives each finished campaign's grid back: the next replication
    of the region is built on it (no new Mesa grid per replication), and its row, per-step
    table included, is complete after the release."""
    from encircle_sim.experiments.replicate import Job, Task, replicate
    from encircle_sim.scenario_files import load_scenario

    models, grids = [], []

    def keep_model(scenario, **kw):
        result = run(scenario, **kw)
        models.append(result.model)
        grids.append(result.model.grid)
        return result

    job = Job([load_scenario("quick")], keep_steps=True, runner=keep_model)
    rows = [replicate(job, Task(point=0, rep=k, seed=3 + k)) for k in range(2)]
    for row in rows:
        assert row["error"] is None and len(row["steps"]) == row["summary"]["steps"] + 1
    assert all(m.grid is None for m in models)  # both given back
    assert grids[1] is grids[0]  # the second campaign ran on the first one's grid
