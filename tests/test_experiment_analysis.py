"""The analysis: intervals with known answers, the too-few warning, PRIM on data with a known
box, and a calibration that recovers a parameter from patterns the model itself produced."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from encircle_sim.experiments import Pattern, experiment_from_dict, run_experiment, run_many
from encircle_sim.experiments import calibration as cal
from encircle_sim.experiments.discovery import discover
from encircle_sim.experiments.stats import mean_ci, point_summary, too_few_warnings
from encircle_sim.experiments.store import ResultStore
from encircle_sim.scenario_files import load_scenario, with_overrides

#: Summary figures and step-table columns these tests reason about (named in one place).
CELLS_AT_START = "iraq.cells_initial"          # equals insurgents.cells
ESCAPED_CORDON = "iraq.escaped_cordon"         # grows with the number of cells
CELLS_ACTIVE = "iraq.cells_active"             # likewise
STEP_CELLS_ACTIVE = "iraq_cells_active"        # the per-step table's column of it

# ---- intervals -------------------------------------------------------------------------------


def test_interval_of_a_small_sample_by_hand():
    """1..5: mean 3, sd sqrt(2.5) = 1.5811; t(0.975, 4) = 2.7764 from the t table, so the
    half-width is 2.7764 * 1.5811 / sqrt(5) = 1.9632."""
    mean, sd, low, high, n = mean_ci([1, 2, 3, 4, 5])
    assert (mean, n) == (3.0, 5)
    assert sd == pytest.approx(1.58114, abs=1e-5)
    assert (low, high) == pytest.approx((3 - 1.96324, 3 + 1.96324), abs=1e-4)


def test_interval_ignores_missing_values_and_needs_two():
    assert mean_ci([4.0, None, np.nan, 6.0])[4] == 2
    mean, sd, low, high, n = mean_ci([7.0])
    assert mean == 7.0 and n == 1 and np.isnan(sd) and np.isnan(low) and np.isnan(high)


def test_interval_covers_the_true_mean_95_percent_of_the_time():
    """2,000 samples of 8 from N(10, 3^2): coverage 95%, binomial sd 0.5%: within 1.5%."""
    rng = np.random.default_rng(0)
    hits = 0
    for _ in range(2000):
        _, _, low, high, _ = mean_ci(rng.normal(10, 3, 8))
        hits += low <= 10 <= high
    assert abs(hits / 2000 - 0.95) < 0.015


def test_point_summary_groups_by_design_point():
    table = pd.DataFrame({"point": [0, 0, 0, 1, 1, 1], "p": [1.0] * 3 + [2.0] * 3,
                          "y": [1, 2, 3, 10, 10, 10], "error": [None] * 5 + ["boom"]})
    s = point_summary(table, ["y"], ["p"]).set_index("point")
    assert s.loc[0, "mean"] == 2 and s.loc[0, "n"] == 3 and s.loc[0, "p"] == 1.0
    assert s.loc[1, "n"] == 2 and s.loc[1, "sd"] == 0  # the failed row is left out


def test_too_few_replications_are_warned_about():
    table = pd.DataFrame({"point": np.repeat([0, 1], [12, 4]), "y": np.arange(16.0)})
    s = point_summary(table, ["y"], [])
    (warning,) = too_few_warnings(s)
    assert "1 of 2 design points have fewer than 10 replications (as few as 4)" in warning
    enough = point_summary(table[table["point"] == 0], ["y"], [])
    assert too_few_warnings(enough) == []


def test_outcomes_ranked_by_how_much_the_parameters_move_them():
    from encircle_sim.experiments.stats import rank_outcomes

    rng = np.random.default_rng(1)
    point = np.repeat(np.arange(4), 10)
    table = pd.DataFrame({"point": point,
                          "strong": point * 5.0 + rng.normal(0, 1, 40),
                          "weak": point * 0.2 + rng.normal(0, 1, 40),
                          "echo": point * 3.0,          # the parameter itself, no noise
                          "constant": np.ones(40)})
    assert rank_outcomes(table, ["weak", "echo", "constant", "strong"]) == ["strong", "weak"]


# ---- scenario discovery ----------------------------------------------------------------------


def test_prim_finds_the_box_that_holds_the_runs_of_interest():
    rng = np.random.default_rng(3)
    x = pd.DataFrame({"a": rng.random(600), "b": rng.random(600), "c": rng.random(600)})
    y = ((x["a"] > 0.6) & (x["b"] < 0.3)).to_numpy()
    found = discover(x, y, "a > 0.6 and b < 0.3")
    box = found.box.set_index("parameter")
    assert set(box.index) == {"a", "b"}  # c does not matter and is left free
    assert box.loc["a", "low"] == pytest.approx(0.6, abs=0.05)
    assert box.loc["b", "high"] == pytest.approx(0.3, abs=0.05)
    assert found.coverage >= 0.5 and found.density >= 0.9
    assert found.share == pytest.approx(y.mean())


def test_prim_says_when_there_is_nothing_to_discover():
    x = pd.DataFrame({"a": np.linspace(0, 1, 10)})
    assert "holds in no run" in discover(x, np.zeros(10, bool), "never").describe()


# ---- calibration -----------------------------------------------------------------------------


def test_pattern_needs_one_measure_and_a_range():
    with pytest.raises(ValueError, match="exactly one of run= and replications="):
        Pattern("p", "s", (0, 1))
    with pytest.raises(ValueError, match="empty"):
        Pattern("p", "s", (2, 1), run=lambda out: 1.0)


def test_expressions_read_dotted_column_names():
    rows = pd.DataFrame({"syria.attacks": [1.0, 4.0], "syria.attacks_by_town.Suwar": [1.0, 3.0],
                         "iraq.cells_initial": [10.0, 10.0]})
    got = cal.evaluate(rows, "(syria.attacks - syria.attacks_by_town.Suwar) / iraq.cells_initial")
    assert got.tolist() == [0.0, 0.1]
    assert cal.evaluate(rows, "syria.attacks > 2").tolist() == [False, True]


def test_patterns_are_scored_per_design_point():
    rows = pd.DataFrame({"point": [0, 0, 1, 1], "k": [1, 1, 2, 2], "y": [1.0, 3.0, 9.0, 11.0],
                         "pattern:spread": [0.5, 0.7, 0.1, 0.3], "error": [None] * 4})
    patterns = [Pattern("mean y", "s", (1.5, 2.5), outcome="y"),
                Pattern("spread", "s", (0.0, 1.0), run=lambda out: 0.0),
                Pattern("share high", "s", (0.5, 1.0),
                        replications=lambda r: float((r["y"] > 2).mean()))]
    s = cal.score(rows, patterns, ["k"]).set_index("point")
    assert s.loc[0, "mean y"] == 2.0 and s.loc[1, "mean y"] == 10.0
    assert s.loc[0, "spread"] == pytest.approx(0.6) and s.loc[0, "share high"] == 0.5
    assert s["accepted"].tolist() == [True, False]


@pytest.fixture(scope="module")
def recovery(tmp_path_factory):
    """Patterns measured on the model at insurgents.cells = 40; then a calibration over
    10..100 cells that does not know the value."""
    base = with_overrides(load_scenario("quick"), {"time.max_days": 8})
    truth = run_many(with_overrides(base, {"insurgents.cells": 40}), seeds=10, root_seed=99)

    def band(column):
        """The "documented range": the truth's mean +- (1.5 sd of one run + 10% of the mean).
        A record is never as sharp as one model's spread: with little attrition in 8 days the
        cells left barely vary, and a band of +-1.5 sd alone would accept almost no point."""
        half = 1.5 * truth[column].std() + 0.1 * abs(truth[column].mean())
        return truth[column].mean() - half, truth[column].mean() + half

    patterns = [
        Pattern("escapes through the cordon", "the model at 40 cells", band(ESCAPED_CORDON),
                outcome=ESCAPED_CORDON),
        Pattern("cells left at the end", "the model at 40 cells", band(CELLS_ACTIVE),
                run=lambda out: float(out.steps[STEP_CELLS_ACTIVE].iloc[-1])),
    ]
    experiment = experiment_from_dict({
        "scenario": base, "kind": "calibration", "seed": 5, "replications": 4,
        "design": {"kind": "latin_hypercube", "points": 16}, "patterns": patterns,
        "parameters": {"insurgents.cells": {"min": 10, "max": 100}}}, source="recovery")
    folder = tmp_path_factory.mktemp("calibration")
    run_experiment(experiment, folder, workers=1, progress=False)
    table = ResultStore(folder).table()
    scores = cal.score(table, patterns, ["insurgents.cells"])
    ranges = cal.accepted_ranges(scores, ["insurgents.cells"], {"insurgents.cells": 40},
                                 {"insurgents.cells": (10, 100)})
    return scores, ranges.set_index("parameter").loc["insurgents.cells"]


def test_calibration_recovers_a_parameter_from_the_models_own_patterns(recovery):
    scores, r = recovery
    assert 1 <= scores["accepted"].sum() < len(scores)  # it discriminates
    assert r["accepted_low"] <= 40 + 6 and r["accepted_high"] >= 40 - 6  # brackets the truth
    assert 20 <= r["accepted_low"] and r["accepted_high"] <= 60  # and rules out the far values
    assert abs(r["median"] - 40) <= 10


def test_the_worker_measured_pattern_is_stored_per_run(recovery):
    scores, _ = recovery
    assert scores["cells left at the end"].notna().all()


@pytest.mark.slow
def test_calibrate_command_reports_ranges_and_the_base_value(cli, write, tmp_path):
    write("cal.toml", f"""
        name = "cal"
        kind = "calibration"
        scenario = "quick"
        seed = 3
        replications = 3
        [set]
        "time.max_days" = 6
        [design]
        kind = "latin_hypercube"
        points = 6
        [parameters]
        "insurgents.cells" = {{ min = 20, max = 60 }}
        [[patterns]]
        name = "cells at the start"
        source = "the scenario file"
        outcome = "{CELLS_AT_START}"
        range = [30, 50]
    """)
    result = cli("calibrate", "cal.toml", "--out", "out", "--workers", "1", "--quiet")
    assert result.returncode == 0, result.stderr
    assert "parameter sets reproduce all 1 patterns" in result.stdout
    assert "the base scenario's 40 is inside the accepted range" in result.stdout
    ranges = pd.read_csv(tmp_path / "out" / "report" / "calibration_ranges.csv")
    row = ranges.iloc[0]
    assert 30 <= row["accepted_low"] and row["accepted_high"] <= 50
    assert (tmp_path / "out" / "report" / "calibration.png").is_file()
    again = cli("report", "out")  # the report alone rebuilds the patterns from the manifest
    assert again.returncode == 0, again.stderr
    assert "parameter sets reproduce all 1 patterns" in again.stdout


@pytest.mark.slow
def test_morris_sweep_report_has_indices_with_intervals(cli, write, tmp_path):
    write("m.toml", """
        scenario = "quick"
        replications = 2
        [set]
        "time.max_days" = 4
        [design]
        kind = "morris"
        trajectories = 4
        [parameters]
        "insurgents.cells" = { min = 20, max = 60 }
        "border.sealing" = { min = 0.1, max = 0.9 }
    """)
    assert cli("sweep", "m.toml", "--out", "out", "--workers", "1", "--quiet").returncode == 0
    report = cli("report", "out")
    assert report.returncode == 0, report.stderr
    table = pd.read_csv(tmp_path / "out" / "report" / "sensitivity.csv")
    cells = table[table["outcome"] == CELLS_AT_START].set_index("parameter")
    # the number of cells at the start is the parameter itself: mu* is its range, border
    # sealing has no effect
    assert cells.loc["insurgents.cells", "mu_star"] == pytest.approx(40, rel=0.15)
    assert cells.loc["border.sealing", "mu_star"] == 0
    assert {"mu_star_conf", "sigma"} <= set(table.columns)
    assert (tmp_path / "out" / "report" / "sensitivity.png").is_file()
