"""The public API of ``encircle_sim``: cheap import, changing scenarios in code, tables, plots."""

from __future__ import annotations

import importlib
import os
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

import encircle_sim as es
from encircle_sim.scenario_files import KEY_PARAMETERS


@pytest.fixture(scope="module")
def base():
    return es.load_scenario("victory_will")


# ---- the package namespace ---------------------------------------------------------------------


def test_import_is_cheap():
    code = ("import sys, encircle_sim; "
            "print(sorted(m for m in ('mesa', 'matplotlib', 'dask', 'pandas', 'scipy') "
            "if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_every_public_name_resolves():
    assert set(es.__all__) == {"__version__", *es._EXPORTS}
    for name, module in es._EXPORTS.items():
        # each name is the object its module defines (a typo in the table would fail here)
        assert getattr(es, name) is getattr(importlib.import_module(module), name), name
        assert getattr(es, name).__module__ == module, name
    assert set(es.__all__) <= set(dir(es))
    assert es.run_many.__module__.startswith("encircle_sim.experiments")
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        es.nope  # noqa: B018


# ---- with_overrides --------------------------------------------------------------------------


def test_with_overrides_returns_a_new_validated_scenario(base):
    new = es.with_overrides(base, {"border.sealing": 0.1, "forces[3].units": 2})
    assert isinstance(new, es.Scenario)
    assert (new.border.sealing, new.forces[3].units) == (0.1, 2)
    assert (base.border.sealing, base.forces[3].units) == (0.7, 8)  # original untouched
    assert new.border.interdiction_km == base.border.interdiction_km
    assert new.forces[3].name == base.forces[3].name


@pytest.mark.parametrize("name", sorted(es.bundled_scenarios()))
def test_no_change_gives_an_equal_scenario(name):
    sc = es.load_scenario(name)
    assert es.with_overrides(sc, {}) == sc


def test_mapping_text_and_nested_forms_agree(base):
    a = es.with_overrides(base, {"insurgents.cells": 80, "border.sealing": 0.2})
    b = es.with_overrides(base, ["insurgents.cells=80", "border.sealing = 0.2"])
    c = es.with_overrides(base, {"insurgents": {"cells": 80}, "border": {"sealing": 0.2}})
    assert a == b == c
    assert c.insurgents.fighters_max == base.insurgents.fighters_max  # untouched siblings kept


def test_numpy_values_tuples_and_objects_are_accepted(base):
    new = es.with_overrides(base, {"insurgents.cells": np.int64(90),
                                   "border.sealing": np.float64(0.25),
                                   "forces[9].area": (35.0, 42.5),
                                   "forces[0].start": base.forces[1].start})
    assert new.insurgents.cells == 90 and type(new.insurgents.cells) is int
    assert (new.forces[9].area.lat, new.forces[9].area.lon) == (35.0, 42.5)
    assert new.forces[0].start.label == base.forces[1].start.label


def test_every_problem_is_reported_together(base):
    with pytest.raises(es.ScenarioError) as info:
        es.with_overrides(base, {"border.sealing": 1.5, "insurgents.cels": 3,
                                 "forces[40].units": 2})
    report = str(info.value)
    assert "changed in code" in report
    assert "border.sealing: out of range (got 1.5); allowed: >= 0.0 and <= 1.0" in report
    assert "did you mean 'cells'?" in report
    assert "forces[40]" in report and f"the list has {len(base.forces)}" in report
    assert len(info.value.problems) == 3


def test_checks_across_fields_apply_too(base):
    with pytest.raises(es.ScenarioError, match=r"forces\[4\]\.axis: no such axis .*\(got 99\)"):
        es.with_overrides(base, {"forces[4].axis": 99})
    with pytest.raises(es.ScenarioError, match="fighters_min: must not exceed fighters_max"):
        es.with_overrides(base, {"insurgents.fighters_min": 30})


@pytest.mark.parametrize("bad", ["border.sealing=0.1", 42])
def test_overrides_of_the_wrong_kind(base, bad):
    with pytest.raises(TypeError):
        es.with_overrides(base, bad)


def test_needs_a_loaded_scenario():
    with pytest.raises(TypeError, match="load_scenario"):
        es.with_overrides("victory_will", {"border.sealing": 0.1})


def test_changed_scenario_saves_and_the_cli_accepts_it(base, tmp_path, capsys):
    from encircle_sim.cli import main

    new = es.with_overrides(base, {"name": "mine", "border.sealing": 0.15})
    path = es.save_scenario(new, tmp_path / "mine.toml")
    assert es.load_scenario(path) == new
    assert main(["validate", str(path)]) == 0
    assert "mine.toml: ok (mine" in capsys.readouterr().out


def test_run_accepts_overrides_with_a_loaded_scenario():
    quick = es.load_scenario("quick")
    changes = {"border.sealing": 0.0, "insurgents.cells": 30}
    a = es.run(quick, seed=4, overrides=changes).summary
    b = es.run(es.with_overrides(quick, changes), seed=4).summary
    assert a == b and a["iraq"]["cells_initial"] == 30


# ---- parameter tables ------------------------------------------------------------------------


def test_parameter_table_shows_values_units_and_meanings(base):
    t = es.parameter_table(base)
    assert list(t.columns) == ["value", "unit", "meaning"]
    assert list(t.index) == list(KEY_PARAMETERS) + [f"forces[{i}].units"
                                                    for i in range(len(base.forces))]
    assert t.loc["border.sealing", "value"] == 0.7
    assert t.loc["border.sealing", "unit"] == "0-1"
    assert "berm" in t.loc["border.sealing", "meaning"]
    assert t.loc["forces[3].units", "value"] == 8
    assert base.forces[3].name in t.loc["forces[3].units", "meaning"]


def test_parameter_table_of_chosen_paths(base):
    t = es.parameter_table(base, ["forces[0].start", "unit_types.infantry.sensor_km"])
    assert t.loc["forces[0].start", "value"] == "Haditha"
    assert t.loc["unit_types.infantry.sensor_km", "unit"] == "km"
    with pytest.raises(es.ScenarioError, match="border.sealed: no such key"):
        es.parameter_table(base, ["border.sealed"])


def test_get_path(base):
    assert es.get_path(base, "forces[3].units") == 8
    assert es.get_path(base, "operation.axes[1].start") == "Baiji"
    with pytest.raises(es.ScenarioError, match="no such key"):
        es.get_path(base, "forces[99].units")


# ---- plots of replications -------------------------------------------------------------------


def _runs():
    return pd.DataFrame({"label": ["a"] * 4 + ["b"] * 3,
                         "seed": [1, 2, 3, 4, 1, 2, 3],
                         "escaped": [0, 1, 2, 5, 3, 3, 4],
                         "neutralised": [10, 12, 11, 9, 8, 7, 6]})


def test_plot_replications_draws_every_run_per_variant():
    import matplotlib.pyplot as plt

    fig = es.plot_replications(_runs(), {"escaped": "cells escaped", "neutralised": "gone"})
    axes = [ax for ax in fig.axes if ax.get_visible()]
    assert [ax.get_title() for ax in axes] == ["cells escaped", "gone"]
    for ax in axes:
        assert [t.get_text() for t in ax.get_xticklabels()] == ["a", "b"]
        assert sum(len(c.get_offsets()) for c in ax.collections) == 7  # one dot per run
    assert "3-4 seeds per variant" in fig._suptitle.get_text()
    plt.close(fig)


def test_plot_replications_names_missing_columns():
    with pytest.raises(KeyError, match="'days'.*the table has: label, seed"):
        es.plot_replications(_runs(), ["days"])


def test_figures_use_a_file_backend_outside_notebooks_and_respect_a_chosen_one():
    import matplotlib

    import encircle_sim.plotting  # noqa: F401

    if not os.environ.get("MPLBACKEND"):
        assert matplotlib.get_backend().lower() == "agg"
    env = {**os.environ, "MPLBACKEND": "svg"}
    code = ("import encircle_sim.plotting, matplotlib; print(matplotlib.get_backend())")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, env=env)
    assert out.stdout.strip() == "svg"


def test_public_names_are_not_shadowed_by_submodules():
    """Importing every module of the package leaves each public name its object (a module
    named like a public function would replace it on the package)."""
    import pkgutil

    for info in pkgutil.walk_packages(es.__path__, "encircle_sim."):
        if not info.name.startswith("encircle_sim.viz.app"):
            importlib.import_module(info.name)
    for name, module in es._EXPORTS.items():
        assert getattr(es, name) is getattr(importlib.import_module(module), name), name
