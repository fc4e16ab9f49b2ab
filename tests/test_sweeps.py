"""Sweeps: end to end through the command line, the same table whatever the workers, nothing lost
when killed, failures recorded, resumed without counting anything twice."""

from __future__ import annotations

import os
import shlex
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pandas as pd
import pytest

from encircle_sim.experiments import experiment_from_dict, flatten_summary, run_experiment
from encircle_sim.experiments.seeds import replication_seed
from encircle_sim.experiments.store import ResultStore
from encircle_sim.runner import run
from encircle_sim.scenario_files import load_scenario, with_overrides

#: The installed command, as users run it (tests/conftest.py's fixture does not fit Popen).
COMMAND = [str(Path(sys.executable).parent / "encircle-sim")]

SMALL = """
    name = "small"
    scenario = "quick"
    seed = 11
    replications = 3

    [set]
    "time.max_days" = 5

    [design]
    kind = "full_factorial"

    [parameters]
    "border.sealing" = [0.2, 0.9]
    "insurgents.cells" = [20, 40]
"""
#: Columns that say when and where a replication ran, not what it produced.
RUN_DETAILS = ["run_seconds", "worker", "finished_at", "traceback"]


def varying_outcome(table: pd.DataFrame) -> str:
    """An outcome column that differs between runs, whatever the summary names it."""
    from encircle_sim.experiments.report import outcome_columns
    from encircle_sim.experiments.stats import varying_outcomes

    params = [c for c in ("border.sealing", "insurgents.cells") if c in table]
    return next(c for c in varying_outcomes(table, outcome_columns(table, params))
                if table[c].notna().all() and table[c].nunique() > 2)


def same_results(a: pd.DataFrame, b: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(a.drop(columns=RUN_DETAILS), b.drop(columns=RUN_DETAILS))


def small_experiment(**changes):
    data = {"scenario": "quick", "seed": 11, "replications": 3,
            "set": {"time.max_days": 5},
            "parameters": {"border.sealing": [0.2, 0.9], "insurgents.cells": [20, 40]}}
    data.update(changes)
    return experiment_from_dict(data, source="small")


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """The small sweep run straight through, in this process."""
    folder = tmp_path_factory.mktemp("reference")
    run_experiment(small_experiment(), folder, workers=1, progress=False)
    return ResultStore(folder).table()


# ---- the command line ------------------------------------------------------------------------


@pytest.mark.slow
def test_small_sweep_end_to_end_through_the_command_line(cli, write, tmp_path, reference):
    write("small.toml", SMALL)
    result = cli("sweep", "small.toml", "--out", "out", "--workers", "1")
    assert result.returncode == 0, result.stderr
    assert "12 of 12 replications done" in result.stdout
    assert "12/12" in result.stderr  # the progress bar ran to its end
    table = ResultStore(tmp_path / "out").table()
    same_results(table, reference)  # the CLI and the API give the same rows
    assert len(table) == 12 and table["error"].isna().all()
    assert sorted(set(zip(table["border.sealing"], table["insurgents.cells"], strict=True))) \
        == [(0.2, 20), (0.2, 40), (0.9, 20), (0.9, 40)]
    for name in ("manifest.json", "experiment.toml", "scenario.resolved.toml", "design.csv"):
        assert (tmp_path / "out" / name).is_file()

    again = cli("sweep", "small.toml", "--out", "out", "--workers", "1")
    assert again.returncode == 0 and "already stored" in again.stderr
    assert len(ResultStore(tmp_path / "out").table()) == 12  # nothing counted twice

    outcome = varying_outcome(table)  # whatever the summary calls it
    condition = f"{outcome} > {table[outcome].median():g}"
    report = cli("report", "out", "--discover", condition)
    assert report.returncode == 0, report.stderr
    folder = tmp_path / "out" / "report"
    for name in ("report.md", "summary_by_point.csv", "distributions.png", "discovery.csv",
                 "response_border.sealing.png", "response_insurgents.cells.png"):
        assert (folder / name).is_file(), name
    summary = pd.read_csv(folder / "summary_by_point.csv")
    assert set(summary.loc[summary["outcome"] == outcome, "n"]) == {3}
    assert len(summary[summary["outcome"] == outcome]) == 4  # one row per point
    assert "fewer than 10 replications" in report.stderr  # the too-few warning
    assert condition in (folder / "report.md").read_text()


def test_run_reps_uses_the_same_machinery(cli, tmp_path):
    result = cli("run", "quick", "--reps", "3", "--set", "time.max_days=4", "--seed", "5",
                 "--workers", "1", "--out", "reps", "--quiet")
    assert result.returncode == 0, result.stderr
    table = ResultStore(tmp_path / "reps").table()
    assert list(table["seed"]) == [replication_seed(5, r) for r in range(3)]
    row = table.iloc[1]
    single = flatten_summary(run(with_overrides(load_scenario("quick"), {"time.max_days": 4}),
                                 seed=int(row["seed"]), plots=False).summary)
    numbers = {k: v for k, v in single.items() if k in table.columns and v is not None}
    assert len(numbers) > 10
    assert {k: row[k] for k in numbers} == numbers  # a row reruns alone with its seed
    outcome = varying_outcome(table)
    line = next(ln for ln in result.stdout.splitlines() if ln.startswith(f"{outcome} "))
    assert float(line.split()[1]) == pytest.approx(table[outcome].mean(), rel=1e-3)


# ---- seeds -----------------------------------------------------------------------------------


def test_common_random_numbers_share_seeds_across_points(reference):
    seeds = reference.groupby("rep")["seed"].nunique()
    assert (seeds == 1).all()
    assert list(reference.groupby("rep")["seed"].first()) == [replication_seed(11, r)
                                                             for r in range(3)]


def test_independent_seeds_differ_between_points(tmp_path):
    run_experiment(small_experiment(common_random_numbers=False, replications=1), tmp_path,
                   workers=1, progress=False)
    table = ResultStore(tmp_path).table()
    assert table["seed"].nunique() == 4
    assert list(table["seed"]) == [replication_seed(11, 0, p) for p in range(4)]


# ---- nothing lost ----------------------------------------------------------------------------


def test_interrupted_and_resumed_gives_the_same_table(tmp_path, reference):
    seen = []

    def stop_after_five(row):
        seen.append(row)
        if len(seen) == 5:
            raise KeyboardInterrupt

    first = run_experiment(small_experiment(), tmp_path, workers=1, progress=False,
                           on_row=stop_after_five)
    assert first.interrupted and len(ResultStore(tmp_path).table()) == 5
    second = run_experiment(small_experiment(), tmp_path, workers=1, progress=False)
    assert second.stored_before == 5 and second.ran == 7 and second.complete
    same_results(ResultStore(tmp_path).table(), reference)


def test_more_replications_extend_the_sweep(tmp_path, reference):
    run_experiment(small_experiment(replications=2), tmp_path, workers=1, progress=False)
    later = run_experiment(small_experiment(), tmp_path, workers=1, progress=False)
    assert later.stored_before == 8 and later.ran == 4
    same_results(ResultStore(tmp_path).table(), reference)


def test_a_changed_experiment_is_refused_in_the_same_folder(tmp_path):
    from encircle_sim.experiments import ExperimentError

    run_experiment(small_experiment(replications=1), tmp_path, workers=1, progress=False)
    with pytest.raises(ExperimentError, match=r"different experiment \(changed: seed\)"):
        run_experiment(small_experiment(replications=1, seed=12), tmp_path, workers=1,
                       progress=False)
    forced = run_experiment(small_experiment(replications=1, seed=12), tmp_path, workers=1,
                            progress=False, force=True)
    assert forced.stored_before == 0 and forced.ran == 4


def _fails_for_one_seed(scenario, seed, **kwargs):
    if seed == replication_seed(11, 1) and scenario.border.sealing == 0.9:
        raise RuntimeError("the model broke")
    return run(scenario, seed=seed, **kwargs)


def test_a_replication_that_raises_is_recorded_and_the_others_finish(tmp_path, reference):
    result = run_experiment(small_experiment(), tmp_path, workers=1, progress=False,
                            runner=_fails_for_one_seed)
    table = ResultStore(tmp_path).table()
    failed = table[table["error"].notna()]
    assert result.failed == 2 and len(table) == 12
    assert set(failed["rep"]) == {1} and set(failed["border.sealing"]) == {0.9}
    assert (failed["error"] == "RuntimeError: the model broke").all()
    assert failed["traceback"].str.contains("_fails_for_one_seed").all()
    assert (failed["seed"] == replication_seed(11, 1)).all()
    same_results(table[table["error"].isna()], reference[table["error"].isna()])

    rerun = run_experiment(small_experiment(), tmp_path, workers=1, progress=False,
                           retry_failed=True)
    assert rerun.ran == 2 and rerun.failed == 0
    same_results(ResultStore(tmp_path).table(), reference)


@pytest.mark.slow
def test_failed_replication_can_be_rerun_alone_from_the_report(cli, tmp_path):
    run_experiment(small_experiment(replications=2), tmp_path / "s", workers=1, progress=False,
                   runner=_fails_for_one_seed)
    report = cli("report", "s")
    assert report.returncode == 0, report.stderr
    failures = pd.read_csv(tmp_path / "s" / "report" / "failures.csv")
    assert len(failures) == 2
    command = shlex.split(failures["rerun"].iloc[0])
    assert command[:2] == ["encircle-sim", "run"]
    alone = cli(*command[1:], "--out", "alone", "--quiet")
    assert alone.returncode == 0, alone.stderr
    import json

    summary = json.loads((tmp_path / "alone" / "summary.json").read_text())
    assert summary["seed"] == replication_seed(11, 1)
    ran = load_scenario(tmp_path / "alone" / "scenario.resolved.toml")
    assert ran.insurgents.cells == failures["insurgents.cells"].iloc[0]
    assert ran.border.sealing == 0.9 and ran.time.max_days == 5


def test_per_step_tables_on_request(tmp_path):
    run_experiment(small_experiment(replications=1, steps=True), tmp_path, workers=1,
                   progress=False)
    files = sorted((tmp_path / "steps").glob("*.parquet"))
    assert len(files) == 4
    steps = pd.read_parquet(files[0])
    table = ResultStore(tmp_path).table()
    first = table.iloc[0]
    alone = run(with_overrides(load_scenario("quick"), {
        "time.max_days": 5, "border.sealing": float(first["border.sealing"]),
        "insurgents.cells": int(first["insurgents.cells"])}), seed=int(first["seed"]),
        plots=False).steps
    pd.testing.assert_frame_equal(steps, alone.reset_index(drop=True), check_dtype=False)


@pytest.mark.slow
def test_killed_sweep_resumes_to_the_same_table(write, tmp_path):
    """A sweep killed with SIGKILL (no chance to clean up) and run again: same final table."""
    # 4 design points x 100 replications: the store writes its first part at 200 rows (or 2 s)
    # at the latest, halfway through, however fast a replication gets (with 30 the whole sweep
    # once finished inside the first 2 s and was never killed part way)
    reps = 100
    text = SMALL.replace("replications = 3", f"replications = {reps}").replace(
        '"time.max_days" = 5', '"time.max_days" = 6')
    write("long.toml", text)
    command = [*COMMAND, "sweep", "long.toml", "--workers", "1", "--quiet"]
    proc = subprocess.Popen([*command, "--out", "killed"], cwd=tmp_path,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    results = tmp_path / "killed" / "results"
    deadline = time.monotonic() + 120
    while not list(results.glob("part-*.parquet")) and time.monotonic() < deadline:
        time.sleep(0.05)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    partial = ResultStore(tmp_path / "killed").table()
    assert 0 < len(partial) < 4 * reps, "the sweep must be killed part way for this test to mean it"
    resumed = subprocess.run([*command, "--out", "killed"], cwd=tmp_path, capture_output=True,
                             text=True)
    assert resumed.returncode == 0, resumed.stderr
    whole = subprocess.run([*command, "--out", "whole"], cwd=tmp_path, capture_output=True,
                           text=True)
    assert whole.returncode == 0, whole.stderr
    same_results(ResultStore(tmp_path / "killed").table(), ResultStore(tmp_path / "whole").table())


# ---- Dask ------------------------------------------------------------------------------------


@pytest.mark.slow
def test_one_and_two_workers_give_identical_results(tmp_path, reference):
    result = run_experiment(small_experiment(), tmp_path, workers=2, progress=False)
    table = ResultStore(tmp_path).table()
    assert result.complete and table["worker"].nunique() == 2  # both workers took part
    same_results(table, reference)


def _dies_once(scenario, seed, **kwargs):
    """Kills its worker process the first time it meets a given seed."""
    marker = Path(os.environ["ENCIRCLE_SIM_TEST_MARKER"])
    if seed == replication_seed(11, 2) and not marker.exists():
        marker.write_text("died")
        os._exit(1)
    return run(scenario, seed=seed, **kwargs)


@pytest.mark.slow
def test_a_dead_workers_replication_is_retried(tmp_path, monkeypatch, reference):
    marker = tmp_path / "marker"
    monkeypatch.setenv("ENCIRCLE_SIM_TEST_MARKER", str(marker))
    result = run_experiment(small_experiment(), tmp_path / "out", workers=2, progress=False,
                            runner=_dies_once)
    assert marker.exists()  # a worker did die
    assert result.complete and result.failed == 0
    same_results(ResultStore(tmp_path / "out").table(), reference)


@pytest.mark.slow
def test_run_many_from_a_plain_script_without_a_main_guard(tmp_path):
    script = tmp_path / "plain.py"
    script.write_text(textwrap.dedent("""
        import encircle_sim as es
        sc = es.with_overrides(es.load_scenario("quick"), {"time.max_days": 4})
        table = es.run_many({"a": sc, "b": es.with_overrides(sc, {"border.sealing": 0.1})},
                            seeds=2, workers=2)
        print("ROWS", len(table))
    """))
    out = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                         cwd=tmp_path, timeout=300)
    assert out.returncode == 0, out.stderr
    assert out.stdout.count("ROWS 4") == 1  # the script ran once: workers did not re-run it
    assert "Traceback" not in out.stderr and "Nanny failed" not in out.stderr
