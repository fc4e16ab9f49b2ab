"""Branches: alternatives from one moment with common random numbers, compared with intervals."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from encircle_sim.branches import BASELINE, Branches, branch, read_orders_file
from encircle_sim.checkpoint import save_checkpoint
from encircle_sim.model import CampaignModel
from encircle_sim.orders import OrderError
from encircle_sim.scenario_files import ScenarioError

SEAL = [{"order": "border_sealing", "value": 0.95}]


@pytest.fixture(scope="module")
def moment():
    m = CampaignModel("quick")
    for _ in range(8):
        m.step()
    return m


def test_common_random_numbers_make_equal_alternatives_equal_run_by_run(moment):
    """Two alternatives with the same orders meet the same chance: identical runs."""
    b = branch(moment, {"a": SEAL, "b": list(SEAL)}, reps=3, baseline=False)
    a = b.runs[b.runs["alternative"] == "a"].drop(columns="alternative").reset_index(drop=True)
    c = b.runs[b.runs["alternative"] == "b"].drop(columns="alternative").reset_index(drop=True)
    pd.testing.assert_frame_equal(a, c)
    # ... while the replications differ from one another
    assert a["iraq.killed"].nunique() + a["sf_casualties"].nunique() > 2
    cmp = b.compare(["iraq.killed"])
    row = cmp[cmp["alternative"] == "b"].iloc[0]
    assert row["difference"] == row["difference_low"] == row["difference_high"] == 0.0


def test_branching_leaves_the_model_as_it_was(moment):
    before = moment.datacollector.get_model_vars_dataframe().copy()
    steps, state = moment.steps, moment.rng.bit_generator.state
    branch(moment, [SEAL], reps=2)
    assert moment.steps == steps and moment.rng.bit_generator.state == state
    pd.testing.assert_frame_equal(moment.datacollector.get_model_vars_dataframe(), before)
    assert moment.spec.border.sealing != 0.95


def test_as_planned_comes_first_and_days_limit_the_runs(moment):
    b = branch(moment, [SEAL], reps=2, days=2.0)
    assert list(b.alternatives) == [BASELINE, "alternative 1"]
    assert set(b.runs["days"]) == {moment.day + 2.0}
    assert b.day == moment.day


def test_bad_orders_are_all_reported_before_anything_runs(moment):
    with pytest.raises(OrderError) as err:
        branch(moment, {"x": [{"order": "move", "formation": "Nobody", "place": "Rawa"}],
                        "y": [{"order": "border_sealing", "value": 3.0}]}, reps=50)
    text = err.value.report()
    assert "'x', order 1.formation: no such formation" in text
    assert "'y', order 1.value" in text


def test_compare_gives_t_intervals_and_paired_differences():
    runs = pd.DataFrame({"alternative": ["p"] * 4 + ["q"] * 4, "replication": [0, 1, 2, 3] * 2,
                         "seed": 0, "x": [1.0, 2.0, 3.0, 6.0, 2.0, 2.0, 5.0, 7.0]})
    b = Branches(runs, {"p": [], "q": []}, day=3.0)
    cmp = b.compare(["x"]).set_index("alternative")
    p = np.array([1.0, 2, 3, 6])
    half = stats.t.ppf(0.975, 3) * p.std(ddof=1) / 2
    assert cmp.loc["p", "mean"] == pytest.approx(3.0)
    assert cmp.loc["p", "mean_high"] - cmp.loc["p", "mean"] == pytest.approx(half)
    d = np.array([1.0, 0, 2, 1])
    assert cmp.loc["q", "difference"] == pytest.approx(1.0)
    assert cmp.loc["q", "difference_high"] == pytest.approx(
        1.0 + stats.t.ppf(0.975, 3) * d.std(ddof=1) / 2)
    assert np.isnan(cmp.loc["p", "difference"])


def test_orders_file_errors_name_the_key(tmp_path):
    path = tmp_path / "alts.toml"
    path.write_text('[[alternative]]\nname = "a"\ncolour = "red"\norders = [{order = '
                    '"border_sealing", value = 0.9}]\n\n[[alternative]]\nname = "a"\n'
                    'orders = "seal it"\n', encoding="utf-8")
    with pytest.raises(ScenarioError) as err:
        read_orders_file(path)
    text = err.value.report()
    assert "alternative[0].colour: unknown key" in text
    assert "alternative[1].name: two alternatives with this name" in text
    assert "alternative[1].orders: expected a list of order tables" in text


def test_cli_branch_writes_the_comparison(tmp_path, moment):
    ckpt = save_checkpoint(tmp_path / "m.ckpt", moment)
    orders = tmp_path / "alts.toml"
    orders.write_text('[[alternative]]\nname = "sealed"\norders = [{order = "border_sealing", '
                      'value = 0.95}]\n\n[[alternative]]\nname = "next phase"\n'
                      '[[alternative.orders]]\norder = "next_phase"\n', encoding="utf-8")
    out = tmp_path / "out"
    proc = subprocess.run([sys.executable, "-m", "encircle_sim.cli", "branch", str(ckpt),
                           "--orders", str(orders), "--reps", "2", "--out", str(out),
                           "--quiet"], capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr
    runs = pd.read_csv(out / "runs.csv")
    assert list(dict.fromkeys(runs["alternative"])) == [BASELINE, "sealed", "next phase"]
    assert (out / "comparison.png").stat().st_size > 10_000
    assert "difference" in proc.stdout
    bad = tmp_path / "bad.toml"
    bad.write_text('[[alternative]]\nname = "x"\norders = [{order = "task", formation = '
                   '"Nobody", task = "hunt"}]\n', encoding="utf-8")
    proc = subprocess.run([sys.executable, "-m", "encircle_sim.cli", "branch", str(ckpt),
                           "--orders", str(bad), "--quiet"], capture_output=True, text=True,
                          check=False)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert "alternative[0].orders[0].formation: no such formation" in proc.stderr
