"""run_many: replications over seeds, serial or on Dask, one tidy row per run."""

from __future__ import annotations

import pandas as pd
import pytest

from encircle_sim.experiments import (
    MAX_SEED,
    flatten_summary,
    replication_seeds,
    run_many,
)
from encircle_sim.runner import run
from encircle_sim.scenario_files import ScenarioError, load_scenario, with_overrides


@pytest.fixture(scope="module")
def quick():
    return load_scenario("quick")


@pytest.fixture(scope="module")
def variants(quick):
    return {"base": quick,
            "leaky": with_overrides(quick, {"border.sealing": 0.0, "forces[1].units": 1})}


@pytest.fixture(scope="module")
def serial_table(variants):
    return run_many(variants, seeds=3, root_seed=11)


# ---- seeds -----------------------------------------------------------------------------------


def test_seeds_are_reproducible_distinct_and_valid():
    a = replication_seeds(6, root_seed=5)
    assert a == replication_seeds(6, root_seed=5)
    assert len(set(a)) == 6
    assert all(isinstance(s, int) and 0 <= s <= MAX_SEED for s in a)
    assert a != replication_seeds(6, root_seed=6)


def test_more_replications_keep_the_earlier_seeds():
    assert replication_seeds(5, root_seed=3)[:2] == replication_seeds(2, root_seed=3)


@pytest.mark.parametrize("bad", [0, -1, True, 2.5])
def test_bad_replication_count(bad):
    with pytest.raises(ValueError, match="seeds"):
        replication_seeds(bad)


# ---- the table -------------------------------------------------------------------------------


def test_one_row_per_variant_and_seed(serial_table, variants):
    t = serial_table
    seeds = replication_seeds(3, root_seed=11)
    assert len(t) == 6
    assert list(t["label"]) == ["base"] * 3 + ["leaky"] * 3
    assert list(t["seed"]) == seeds * 2  # every variant runs with the same seeds
    assert list(t.columns[:2]) == ["label", "seed"]
    for col in ("iraq.killed", "iraq.escaped_border", "iraq.cells_active",
                "iraq.phase_days.advance", "syria.attacks"):
        assert col in t.columns
    assert "wall_seconds" not in t.columns
    assert not any(isinstance(v, dict) for v in t.iloc[0])  # flattened


def test_a_row_is_the_single_run_with_that_seed(serial_table, variants):
    row = serial_table.iloc[4]
    single = flatten_summary(run(variants["leaky"], seed=int(row["seed"])).summary)
    assert {k: row[k] for k in single} == single


def test_seeds_change_outcomes(quick):
    t = run_many(quick, seeds=3, root_seed=1)
    outcomes = t.drop(columns=["label", "seed"]).apply(lambda r: "|".join(map(str, r)), axis=1)
    assert outcomes.nunique() > 1


def test_explicit_seed_list_and_labels_from_names(quick):
    t = run_many(["quick", with_overrides(quick, {"name": "other"})], seeds=[3, 9])
    assert list(t["label"]) == ["quick", "quick", "other", "other"]
    assert list(t["seed"]) == [3, 9, 3, 9]
    assert list(t["scenario"]) == ["quick", "quick", "other", "other"]


@pytest.mark.slow
def test_two_worker_processes_give_the_same_table(serial_table, variants):
    seen = []
    t = run_many(variants, seeds=3, root_seed=11, workers=2,
                 progress=lambda done, total: seen.append((done, total)))
    pd.testing.assert_frame_equal(t, serial_table)
    assert seen == [(k, 6) for k in range(1, 7)]


@pytest.mark.slow
def test_given_client_is_used_and_left_open(serial_table, variants):
    from dask.distributed import Client, LocalCluster

    with LocalCluster(n_workers=1, threads_per_worker=2, processes=False,
                      dashboard_address=None) as cluster, Client(cluster) as client:
        t = run_many(variants, seeds=3, root_seed=11, client=client)
        assert client.status == "running"
        assert client.submit(sum, [1, 2]).result() == 3
    pd.testing.assert_frame_equal(t, serial_table)


# ---- progress and errors ---------------------------------------------------------------------


def test_progress_callback_and_stderr(quick, capsys):
    seen = []
    run_many(quick, seeds=2, progress=lambda done, total: seen.append((done, total)))
    assert seen == [(1, 2), (2, 2)]
    run_many(quick, seeds=2, progress=True)
    assert "runs done 2/2" in capsys.readouterr().err


def test_duplicate_labels_are_refused(quick):
    with pytest.raises(ValueError, match="quick.*more than once"):
        run_many([quick, "quick"], seeds=1)


@pytest.mark.parametrize("kwargs, match", [
    ({"seeds": 0}, "seeds"),
    ({"seeds": []}, "empty"),
    ({"seeds": [1, -4]}, "seed must be an integer"),
    ({"seeds": [1.5]}, "seed must be an integer"),
    ({"workers": 0}, "workers"),
])
def test_bad_arguments(quick, kwargs, match):
    with pytest.raises(ValueError, match=match):
        run_many(quick, **kwargs)


def test_unknown_scenario_is_a_scenario_error():
    with pytest.raises(ScenarioError, match="no such scenario"):
        run_many("no_such_scenario", seeds=1)


def test_not_a_scenario_is_a_type_error():
    with pytest.raises(TypeError, match="Scenario"):
        run_many({"x": 42}, seeds=1)


def test_a_failing_run_names_its_variant_and_seed(quick, monkeypatch):
    import encircle_sim.experiments as ex

    def boom(scenario, seed):
        raise RuntimeError("model failed")

    monkeypatch.setattr(ex, "run_summary", boom)
    with pytest.raises(RuntimeError, match="model failed") as info:
        run_many({"mine": quick}, seeds=[17])
    assert "variant 'mine', seed 17" in "\n".join(info.value.__notes__)
