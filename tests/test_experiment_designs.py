"""Designs: their defining properties, and Morris/Sobol indices on toy functions with known
answers (so a mix-up of design order, scaling or SALib's arguments shows)."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest

from encircle_sim.experiments.designs import (
    DesignSpec,
    Parameter,
    make_design,
    nolh_unit,
    salib_problem,
)
from encircle_sim.experiments.sensitivity import indices

A = Parameter("a", low=0.0, high=1.0)
B = Parameter("b", low=10, high=20, integer=True)
C = Parameter("c", values=("x", "y", "z"))


def test_full_factorial_is_every_combination():
    d = make_design([Parameter("a", low=0.0, high=1.0, levels=3), C],
                    DesignSpec("full_factorial"), 1)
    assert len(d) == 9
    expected = set(itertools.product([0.0, 0.5, 1.0], ["x", "y", "z"]))
    assert set(map(tuple, d.points.to_numpy().tolist())) == expected


def test_full_factorial_integer_levels_are_whole_and_distinct():
    d = make_design([Parameter("b", low=1, high=4, integer=True, levels=7)],
                    DesignSpec("full_factorial"), 1)
    assert d.points["b"].tolist() == [1, 2, 3, 4]  # 7 levels over 1..4 collapse to 4 values


def test_no_parameters_is_one_point():
    d = make_design([], DesignSpec("full_factorial"), 0)
    assert len(d) == 1 and d.overrides(0) == ()


def test_latin_hypercube_uses_each_stratum_once():
    n = 20
    d = make_design([A, Parameter("b", low=0, high=n - 1, integer=True)],
                    DesignSpec("latin_hypercube", points=n), 7)
    assert len(d) == n
    strata = np.floor(d.points["a"].to_numpy() * n).astype(int)
    assert sorted(strata) == list(range(n))
    assert sorted(d.points["b"]) == list(range(n))  # one integer per stratum


def test_designs_are_reproducible_and_depend_on_the_seed():
    spec = DesignSpec("latin_hypercube", points=8)
    a = make_design([A, B], spec, 3).points
    pd.testing.assert_frame_equal(a, make_design([A, B], spec, 3).points)
    assert not a.equals(make_design([A, B], spec, 4).points)
    assert a.equals(make_design([A, B], DesignSpec("latin_hypercube", points=8, seed=3), 99)
                    .points)


@pytest.mark.parametrize("k, rows", [(2, 17), (7, 17), (8, 33), (11, 33), (12, 65), (22, 129)])
def test_nolh_is_latin_and_nearly_orthogonal(k, rows):
    unit = nolh_unit(k)
    assert unit.shape == (rows, k)
    levels = np.linspace(0, 1, rows)
    for j in range(k):  # every column takes every level once
        np.testing.assert_allclose(np.sort(unit[:, j]), levels, atol=1e-9)
    corr = np.corrcoef(unit.T)
    np.fill_diagonal(corr, 0)
    assert np.abs(corr).max() < 0.05  # Cioppa and Lucas: |r| <= 0.03 for these designs


def test_nolh_scales_to_ranges_and_picks_listed_values():
    d = make_design([A, B, C], DesignSpec("nolh"), 0)
    assert len(d) == 17
    assert d.points["a"].min() == 0.0 and d.points["a"].max() == 1.0
    assert set(d.points["b"]) <= set(range(10, 21)) and d.points["b"].nunique() == 11
    counts = d.points["c"].value_counts()
    assert set(counts.index) == {"x", "y", "z"} and counts.max() - counts.min() <= 1


def test_list_values_from_salib_samples_cover_the_list_evenly():
    d = make_design([C, A], DesignSpec("sobol", samples=64), 1)
    counts = d.points["c"].value_counts(normalize=True)
    assert set(counts.index) == {"x", "y", "z"}
    assert (abs(counts - 1 / 3) < 0.08).all()


def _toy(points: pd.DataFrame, coef: dict[str, float]) -> np.ndarray:
    return sum(c * points[name].to_numpy(float) for name, c in coef.items())


def test_morris_recovers_the_effects_of_a_linear_function():
    """f = 3a + 1b + 0c on [0, 1]^3: every elementary effect of x is its coefficient times the
    range, so mu* = (3, 1, 0) exactly and sigma = 0."""
    params = [Parameter(n, low=0.0, high=1.0) for n in "abc"]
    d = make_design(params, DesignSpec("morris", trajectories=12, levels=4), 5)
    assert len(d) == 12 * (3 + 1)
    y = _toy(d.points, {"a": 3.0, "b": 1.0, "c": 0.0})
    res = indices("morris", d.problem, d.samples, y, num_levels=4).set_index("parameter")
    np.testing.assert_allclose(res["mu_star"], [3.0, 1.0, 0.0], atol=1e-9)
    np.testing.assert_allclose(res["sigma"], 0.0, atol=1e-9)


def test_morris_scales_with_the_parameter_range():
    """The same function of a parameter spanning 0..10: mu* is the change over the range."""
    d = make_design([Parameter("a", low=0.0, high=10.0), Parameter("b", low=0.0, high=1.0)],
                    DesignSpec("morris", trajectories=8), 2)
    y = 2.0 * d.points["a"].to_numpy() + d.points["b"].to_numpy()
    res = indices("morris", d.problem, d.samples, y).set_index("parameter")
    np.testing.assert_allclose(res.loc["a", "mu_star"], 20.0, rtol=1e-9)


def test_sobol_recovers_variance_shares_of_an_additive_function():
    """f = a + 2b with a, b ~ U(0, 1): Var = 1/12 + 4/12, so S1 = ST = (0.2, 0.8)."""
    params = [Parameter("a", low=0.0, high=1.0), Parameter("b", low=0.0, high=1.0)]
    d = make_design(params, DesignSpec("sobol", samples=1024), 3)
    y = _toy(d.points, {"a": 1.0, "b": 2.0})
    res = indices("sobol", d.problem, d.samples, y).set_index("parameter")
    np.testing.assert_allclose(res["S1"], [0.2, 0.8], atol=0.05)
    np.testing.assert_allclose(res["ST"], [0.2, 0.8], atol=0.05)
    assert (res["S1_conf"] > 0).all()


def test_salib_bounds_give_integers_and_list_items_equal_shares():
    assert salib_problem([B, C])["bounds"] == [[9.5, 20.5], [0.0, 3.0]]
    x = np.array([9.5, 9.99, 10.49, 10.5, 20.49])
    assert B.from_salib(x) == [10, 10, 10, 11, 20]
    assert C.from_salib(np.array([0.0, 0.99, 1.0, 2.99, 3.0])) == ["x", "x", "y", "z", "z"]
