"""The compiled steps of moving cells (``submodels/move_kernels.py``) against the rule in numpy
(``reference_settle`` below: ``move_cells``'s implementation before it was compiled, kept here
only as the reference), on random cells, actions and squares."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from encircle_sim.fields import Kernel, splat_by_radius_into, splat_by_radius_tables
from encircle_sim.state import Action, CellState
from encircle_sim.submodels.move_kernels import cell_budgets, search_coverage_into, settle_cells


def reference_budgets(action, budget_km):
    moving = (action == Action.RELOCATE) | (action == Action.SLIP)
    return np.where(moving, budget_km, 0.0)


def reference_settle(active, action, nx_, ny_, x, y, moved, state, area):
    old_x, old_y = x[active], y[active]
    x[active], y[active] = nx_, ny_
    moved[active] = (nx_ != old_x) | (ny_ != old_y)
    states = np.full(len(active), CellState.HIDDEN, np.int8)
    states[action == Action.RELOCATE] = CellState.MOVING
    states[action == Action.SLIP] = CellState.SLIPPING
    states[action == Action.AMBUSH] = CellState.ATTACKING
    state[active] = states
    return active[~area[nx_, ny_]]


@given(st.integers(0, 2**32 - 1), st.integers(0, 30), st.integers(1, 8), st.integers(1, 8))
@settings(max_examples=150, deadline=None)
def test_cells_settle_as_the_rule_says(seed, n, nx, ny):
    rng = np.random.default_rng(seed)
    rows = n + int(rng.integers(0, 6))
    active = np.sort(rng.permutation(rows)[:n]).astype(np.intp)
    action = rng.integers(0, len(Action), n).astype(np.int8)
    budget = rng.choice([0.0, 3.5, 40.0], n) * rng.random(n)
    got_b, want_b = cell_budgets(action, budget), reference_budgets(action, budget)
    assert got_b.tobytes() == want_b.tobytes()

    area = rng.random((nx, ny)) < 0.6
    table = {"x": rng.integers(0, nx, rows).astype(np.int32),
             "y": rng.integers(0, ny, rows).astype(np.int32),
             "moved": rng.random(rows) < 0.5,
             "state": rng.integers(0, len(CellState), rows).astype(np.int8)}
    # some stay where they are, the others land anywhere on the grid
    stay = rng.random(n) < 0.4
    nx_ = np.where(stay, table["x"][active], rng.integers(0, nx, n)).astype(np.int32)
    ny_ = np.where(stay, table["y"][active], rng.integers(0, ny, n)).astype(np.int32)
    ref = {k: v.copy() for k, v in table.items()}
    got = settle_cells(active, action, nx_, ny_, table["x"], table["y"], table["moved"],
                       table["state"], area)
    want = reference_settle(active, action, nx_, ny_, ref["x"], ref["y"], ref["moved"],
                            ref["state"], area)
    assert got.tolist() == want.tolist()
    for k in table:
        assert table[k].dtype == ref[k].dtype and np.array_equal(table[k], ref[k]), k


@given(st.integers(0, 2**32 - 1), st.integers(0, 30), st.integers(1, 25), st.integers(1, 25),
       st.lists(st.floats(3.0, 20.0), min_size=1, max_size=3, unique=True))
@settings(max_examples=100, deadline=None)
def test_search_coverage_is_the_sweepers_effort_per_area_on_their_patrol_discs(seed, n, nx, ny,
                                                                              radii):
    # the rule in numpy (``search_coverage`` before it was compiled): the sweeping units
    # (searching, not in Syria) lay W v t x search_mult / (pi patrol_km^2) on their discs
    rng = np.random.default_rng(seed)
    kernels = {r: Kernel.disc(r, 5.0, 4.5) for r in radii}
    searching, syria = rng.random(n) < 0.7, rng.random(n) < 0.2
    effort = rng.uniform(0.0, 400.0, n)
    effort.flags.writeable = False                    # as UnitArrays keeps it
    patrol = rng.choice(np.array(radii + [99.0]), n)  # 99: no disc, no coverage
    x, y = rng.integers(0, nx, n).astype(np.int32), rng.integers(0, ny, n).astype(np.int32)
    mult = float(rng.uniform(0.2, 2.0))
    start = rng.uniform(0.0, 1.0, (nx, ny))
    idx = np.flatnonzero(searching & ~syria)
    want = start.copy()
    splat_by_radius_into(want, patrol[idx], x[idx], y[idx],
                         effort[idx] * mult / (np.pi * patrol[idx] ** 2), kernels)
    got = start.copy()
    search_coverage_into(got, searching, syria, effort, mult, patrol, x, y,
                         *splat_by_radius_tables(kernels, got.shape))
    assert got.tobytes() == want.tobytes()
