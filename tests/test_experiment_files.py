"""Experiment files are validated like scenario files: every problem at once, naming the file,
the key and what is allowed; the command exits 2 with no traceback and runs nothing."""

from __future__ import annotations

import textwrap

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from encircle_sim.experiments.spec import (
    ExperimentError,
    experiment_from_dict,
    load_experiment,
)

GOOD = """
    name = "small"
    scenario = "quick"
    seed = 4
    replications = 3

    [set]
    "time.max_days" = 6

    [design]
    kind = "latin_hypercube"
    points = 4

    [parameters]
    "border.sealing" = { min = 0.2, max = 0.9 }
    "insurgents.cells" = [20, 40]
"""


def problems_of(data) -> list[str]:
    with pytest.raises(ExperimentError) as info:
        experiment_from_dict(data, source="exp.toml")
    return [str(p) for p in info.value.problems]


def test_a_good_file_loads(write):
    exp = load_experiment(write("small.toml", GOOD))
    assert exp.name == "small" and exp.replications == 3 and exp.seed == 4
    assert exp.base.time.max_days == 6  # [set] applied to the base
    by_path = {p.path: p for p in exp.parameters}
    assert by_path["insurgents.cells"].values == (20, 40) and by_path["insurgents.cells"].integer
    assert (by_path["border.sealing"].low, by_path["border.sealing"].high) == (0.2, 0.9)


def test_nested_tables_name_parameters_too():
    exp = experiment_from_dict({"scenario": "quick", "parameters": {
        "border": {"sealing": [0.1, 0.5]}, "insurgents": {"cells": {"min": 10, "max": 20}}}})
    assert [p.path for p in exp.parameters] == ["border.sealing", "insurgents.cells"]


def test_every_problem_is_reported_together():
    found = problems_of({
        "scenario": "quick", "replicatons": 3, "seed": -1,
        "design": {"kind": "latin"},
        "parameters": {"border.sealing": {"min": 0.3, "max": 1.5},
                       "insurgents.cels": [1, 2],
                       "theatres.syria": {"min": 0, "max": 1},
                       "insurgents.cells": {"min": 30, "max": 20},
                       "time.max_days": 5}})
    text = "\n".join(found)
    assert len(found) == 8, text
    assert "replicatons: unknown key 'replicatons'; did you mean 'replications'?" in text
    assert "seed: out of range (got -1)" in text
    assert "design.kind: not one of the allowed values (got 'latin'); did you mean " \
           "'latin_hypercube'?" in text
    assert 'parameters."border.sealing".max: out of range (got 1.5); allowed: >= 0.0 and ' \
           "<= 1.0" in text
    assert "parameters.\"insurgents.cels\".values[0]: unknown key 'cels'; did you mean " \
           "'cells'?" in text
    assert 'parameters."theatres.syria": theatres.syria is false, not a number' in text
    assert 'parameters."insurgents.cells".max: must be greater than min' in text
    assert 'parameters."time.max_days": a varied parameter needs a list of values or a range' \
           in text


@pytest.mark.parametrize("data, expected", [
    ({}, "scenario: required key is missing"),
    ({"scenario": "quik"}, "did you mean quick?"),
    ({"scenario": "quick", "design": {"kind": "latin_hypercube"},
      "parameters": {"border.sealing": [0.1, 0.2]}}, "design.points: required key is missing"),
    ({"scenario": "quick", "design": {"kind": "sobol", "samples": 100},
      "parameters": {"border.sealing": [0.1, 0.2]}}, "must be a power of 2"),
    ({"scenario": "quick", "design": {"kind": "morris", "levels": 3},
      "parameters": {"border.sealing": [0.1, 0.2]}}, "Morris levels must be even"),
    ({"scenario": "quick", "design": {"kind": "nolh", "points": 9},
      "parameters": {"border.sealing": [0.1, 0.2]}}, "design.points: not used by the nolh"),
    ({"scenario": "quick", "design": {"kind": "nolh"}},
     "the nolh design needs at least one parameter"),
    ({"scenario": "quick", "parameters": {"forces[9].units": [1, 2]}},
     "no item 9 (the list has 5)"),
    ({"scenario": "quick", "parameters": {"border.sealing": [0.1, 0.1]}}, "listed twice"),
    ({"scenario": "quick", "parameters": {"insurgents.cells": {"min": 10.5, "max": 20}}},
     "wrong type: expected an integer"),
    ({"scenario": "quick", "set": {"time.max_dayz": 3}}, "set.\"time.max_dayz\""),
    ({"scenario": "quick", "outcomes": []}, "outcomes: must be \"all\" or a non-empty list"),
    ({"scenario": "quick", "kind": "calibration", "parameters": {"border.sealing": [0.1, 0.2]}},
     "a calibration needs at least one pattern"),
    ({"scenario": "quick", "kind": "calibration", "parameters": {"border.sealing": [0.1, .2]},
      "patterns": [{"name": "p", "source": "s", "outcome": "steps", "range": [5, 1]}]},
     "patterns[0].range: must be [low, high] with low <= high"),
    ({"scenario": "quick", "patterns_from": "no_such_module:PATTERNS"},
     "patterns_from: cannot load the patterns"),
])
def test_one_problem(data, expected):
    text = "\n".join(problems_of(data))
    assert expected in text


def test_full_factorial_size_is_bounded():
    params = {f"forces[{i}].units": list(range(1, 40)) for i in range(5)}
    assert "the full factorial has" in "\n".join(problems_of({"scenario": "quick",
                                                                "parameters": params}))


def test_command_line_exits_2_naming_the_file_and_runs_nothing(cli, write, tmp_path):
    write("bad.toml", GOOD.replace('kind = "latin_hypercube"', 'kind = "latin"'))
    result = cli("sweep", "bad.toml", "--out", "out", "--workers", "1")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert lines[0] == "bad.toml: 1 problem"
    assert lines[1].startswith("  bad.toml: design.kind: not one of the allowed values")
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("args, expected", [
    (["sweep", "missing.toml"], "missing.toml: no such experiment file"),
    (["sweep", "small.toml", "--workers", "0"], "--workers: must be at least 1"),
    (["sweep", "small.toml", "--scheduler", "localhost"], "not a Dask scheduler address"),
    (["report", "nowhere"], "nowhere: 1 problem"),
    (["run", "quick", "--reps", "0"], "--reps: must be at least 1"),
    (["run", "quick", "--workers", "2"], "--workers and --scheduler go with --reps"),
])
def test_command_line_argument_problems(cli, write, args, expected):
    write("small.toml", GOOD)
    result = cli(*args)
    assert result.returncode == 2, result.stderr
    assert expected in result.stderr and "Traceback" not in result.stderr


def test_a_folder_with_other_content_is_refused(cli, write, tmp_path):
    write("small.toml", GOOD)
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "notes.txt").write_text("mine")
    result = cli("sweep", "small.toml", "--out", "out", "--workers", "1")
    assert result.returncode == 2 and "never mixed or overwritten" in result.stderr
    assert (tmp_path / "out" / "notes.txt").read_text() == "mine"


# ---- property: whatever a file holds, loading it raises ExperimentError or succeeds ---------

_values = st.recursive(
    st.none() | st.booleans() | st.integers(-5, 10**6) | st.floats(allow_nan=False, width=32)
    | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner,
                                                                 max_size=3),
    max_leaves=6)
_keys = st.sampled_from(["scenario", "seed", "replications", "design", "parameters", "kind",
                         "outcomes", "steps", "set", "patterns", "report", "name", "oops"])


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.dictionaries(_keys, _values, max_size=5))
def test_any_content_gives_a_clear_error_or_an_experiment(data):
    data = {**data}
    data.setdefault("scenario", "quick")
    data.pop("patterns_from", None)
    try:
        experiment_from_dict(data, source="fuzz.toml")
    except ExperimentError as err:
        assert err.problems and all(str(p) for p in err.problems)
        assert err.report().startswith("fuzz.toml: ")


def test_readme_like_file_text_round_trips(write):
    path = write("e.toml", textwrap.dedent(GOOD))
    exp = load_experiment(path)
    assert exp.text == path.read_text()
    assert exp.fingerprint() == load_experiment(path).fingerprint()
    other = load_experiment(write("f.toml", GOOD.replace("seed = 4", "seed = 5")))
    assert other.fingerprint() != exp.fingerprint()
    more = load_experiment(write("g.toml", GOOD.replace("replications = 3",
                                                          "replications = 9")))
    assert more.fingerprint() == exp.fingerprint()  # more replications extend the same sweep
