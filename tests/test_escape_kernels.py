"""The compiled arithmetic of ``escape.attempt`` (``submodels/escape_kernels``) against the rule
it carries out, on hypothesis-generated worlds.

The oracle is the rule written with whole-array numpy operations (``escape.attempt``'s
implementation before it was compiled, kept here only as the reference): the odds of each
crossing (into Syria or not, the chance to pass every unit near it, the nearest such unit) and
what became of it must be the same to the bit. Besides, invariants of the rule itself.
"""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from encircle_sim.navigation import Navigator
from encircle_sim.submodels.escape import ESCAPE_CONCEALMENT_SHARE, TURNED_BACK_EXPOSURE
from encircle_sim.submodels.escape_kernels import (
    BLOCKED,
    BORDER,
    CORDON,
    INTERDICTED,
    crossing_odds,
    turn_back,
)

SYRIA = 2


def reference_odds(w, leaving):
    """(into Syria, chance to pass, nearest unit or -1) of each crossing, with numpy."""
    c, u, nav = w["cells"], w["units"], w["nav"]
    x, y = c["x"][leaving], c["y"][leaving]
    into_syria = (w["country"][x, y] == SYRIA) & (
        w["country"][c["prev_x"][leaving], c["prev_y"][leaving]] != SYRIA)
    alive_u = np.flatnonzero(u["strength"] > 0)
    p_pass = np.ones(len(leaving))
    nearest = np.full(len(leaving), -1)
    if len(alive_u):
        d = nav.distance_matrix(x, y, u["x"][alive_u], u["y"][alive_u])
        near = d <= w["km"]
        exposure = 1.0 - ESCAPE_CONCEALMENT_SHARE * w["concealment"][x, y]
        p_stop = w["p"] * exposure
        p_pass = np.prod(np.where(near, 1.0 - p_stop[:, None], 1.0), axis=1)
        jj = np.argmin(np.where(near, d, np.inf), axis=1)
        nearest = np.where(near.any(axis=1), alive_u[jj], -1)
    return into_syria, p_pass, nearest


@st.composite
def worlds(draw):
    """A small map, half of it Syria, with cells crossing from the squares they came from and
    units (some dead) about; distances on a 0.5 km lattice now and then land on the
    interdiction range, and units now and then share a square (ties in the nearest)."""
    nx, ny = draw(st.integers(2, 20)), draw(st.integers(2, 30))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    km_x = np.full(ny, 5.0) if draw(st.booleans()) else rng.uniform(3.0, 6.0, ny)
    layers = {"passable": np.ones((nx, ny), bool), "river": np.zeros((nx, ny), bool),
              "lake": np.zeros((nx, ny), bool), "move_cost": np.ones((nx, ny)),
              "road": np.zeros((nx, ny), bool)}
    w = {"nav": Navigator.from_layers(layers, km_x, 5.0)}
    w["country"] = np.where(np.arange(nx)[:, None] < nx // 2, 1, SYRIA) * np.ones(
        (1, ny), np.int8)
    w["country"] = w["country"].astype(np.int8)
    w["concealment"] = rng.choice([0.0, 0.3, 0.9], (nx, ny)) * rng.random((nx, ny))
    cap = draw(st.integers(1, 30))
    w["cells"] = {k: rng.integers(0, n, cap).astype(np.int32)
                  for k, n in (("x", nx), ("y", ny), ("prev_x", nx), ("prev_y", ny))}
    w["cells"]["exposed"] = rng.random(cap)
    w["cells"]["replan"] = rng.random(cap) < 0.5
    m = draw(st.integers(0, 40))
    w["units"] = {"strength": np.where(rng.random(m) < 0.8, rng.integers(1, 300, m), 0),
                  "x": rng.integers(0, nx, m).astype(np.int32),
                  "y": rng.integers(0, ny, m).astype(np.int32)}
    if m > 1 and draw(st.booleans()):
        w["units"]["x"][1], w["units"]["y"][1] = w["units"]["x"][0], w["units"]["y"][0]
    w["km"] = draw(st.sampled_from([5.0, 7.5, 10.0]) | st.floats(0.5, 60.0))
    w["p"], w["sealing"] = draw(st.floats(0.0, 1.0)), draw(st.floats(0.0, 1.0))
    leaving = rng.permutation(cap)[: draw(st.integers(0, cap))]
    return w, leaving, rng.random(len(leaving)), rng.random(len(leaving))


def compiled_odds(w, leaving):
    c, u, nav = w["cells"], w["units"], w["nav"]
    n = len(leaving)
    into_syria, p_pass, nearest = np.empty(n, bool), np.empty(n), np.empty(n, np.int64)
    crossing_odds(leaving, c["x"], c["y"], c["prev_x"], c["prev_y"], w["country"], SYRIA,
                  u["x"], u["y"], u["strength"], nav.km_x_between, nav.km_y, w["km"], w["p"],
                  ESCAPE_CONCEALMENT_SHARE, w["concealment"], into_syria, p_pass, nearest)
    return into_syria, p_pass, nearest


@given(worlds())
@settings(max_examples=300, deadline=None)
def test_the_compiled_odds_of_a_crossing_equal_the_rule(world):
    w, leaving, _, _ = world
    got = compiled_odds(w, leaving)
    want = reference_odds(w, leaving)
    for name, a, b in zip(("into_syria", "p_pass", "nearest"), got, want, strict=True):
        assert np.array_equal(a, b), name
    # the chance to pass is a product of chances, 1 with no unit near, lower with more
    into_syria, p_pass, nearest = got
    assert ((p_pass >= 0.0) & (p_pass <= 1.0)).all()
    assert (p_pass[nearest < 0] == 1.0).all()
    assert (w["units"]["strength"][nearest[nearest >= 0]] > 0).all()


@given(worlds())
@settings(max_examples=300, deadline=None)
def test_the_compiled_turning_back_equals_the_rule(world):
    """The draws decide as the rule has it, and the crossings turned back (interdicted, or
    blocked at the border) return, exposed and planning again; the others are left where they
    are."""
    w, leaving, stop_draws, seal_draws = world
    c = w["cells"]
    into_syria, p_pass, _ = reference_odds(w, leaving)
    interdicted = stop_draws > p_pass
    blocked = ~interdicted & into_syria & (seal_draws < w["sealing"])
    back = interdicted | blocked
    want = {k: v.copy() for k, v in c.items()}
    ib = leaving[back]
    want["x"][ib], want["y"][ib] = want["prev_x"][ib], want["prev_y"][ib]
    want["exposed"][ib] += TURNED_BACK_EXPOSURE
    want["replan"][ib] = True
    want_outcome = np.where(interdicted, INTERDICTED, np.where(
        blocked, BLOCKED, np.where(into_syria, BORDER, CORDON)))
    got = {k: v.copy() for k, v in c.items()}
    outcome = np.empty(len(leaving), np.int8)
    turn_back(leaving, stop_draws, seal_draws, p_pass, into_syria, w["sealing"], got["x"],
              got["y"], got["prev_x"], got["prev_y"], got["exposed"], got["replan"],
              TURNED_BACK_EXPOSURE, outcome)
    assert np.array_equal(outcome, want_outcome)
    for k in want:
        assert np.array_equal(got[k], want[k]), k
    assert not (outcome[~into_syria] == BORDER).any()
    assert not (outcome[~into_syria] == BLOCKED).any()
