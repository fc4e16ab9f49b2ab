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
