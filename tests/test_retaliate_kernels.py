"""The compiled pieces of ``retaliate.step`` (``submodels/retaliate_kernels.py``) against the rule
they carry out, on random sleepers, towns, threat fields and SDF posts.

The oracles are the rule's numpy expressions (the implementation ``retaliate.step`` had before
it was compiled, kept here only as the reference), with distances from
``Navigator.distance_km`` itself: every goal, flag, square, state and choice must be the same to
the bit. Values are drawn on coarse grids so that ties (of threat - concealment, of distances)
and distances exactly at ``spread_km`` or at an ambush's reach come up often: a kernel that broke
ties otherwise, or compared with < for <=, fails.
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from oracles import reference_points_in_disc

from encircle_sim.navigation import Navigator, disc_draws
from encircle_sim.state import CellArrays, CellState, Theatre
from encircle_sim.submodels.retaliate import excitation_decay
from encircle_sim.submodels.retaliate_kernels import (
    FAR,
    FLEE,
    GOAL_X,
    GOAL_Y,
    KIND,
    NEAR,
    TX,
    TY,
    active_sleepers,
    attackers,
    flee_goals,
    nearest_sleepers,
    nearest_within,
    reach_sleepers,
    settle,
    sleeper_goals,
)

NX, NY = 30, 24


def distance_table(rng):
    """What ``Navigator.distance_km`` reads: km per square east-west by row, north-south."""
    km_x = np.round(rng.uniform(4.0, 6.0, NY), 1)
    return km_x[np.arange(2 * NY - 1) // 2], float(rng.choice([4.0, 5.5]))


def distance_km(km_x_between, km_y, x1, y1, x2, y2):
    """``Navigator.distance_km``'s numpy formula itself (it reads only these two tables; its
    compiled shortcut is switched off, so that the reference does not rest on compiled code)."""
    nav = SimpleNamespace(_km_x_between=km_x_between, km_y=km_y,
                          _distance_compiled=lambda *args: None)
    return Navigator.distance_km(nav, x1, y1, x2, y2)


@st.composite
def theatres(draw):
    """Sleepers (some left inactive in the table) with towns, a threat field and a spread."""
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    n_cells = draw(st.integers(1, 40))
    n_towns = draw(st.integers(1, 5))
    kxb, ky = distance_table(rng)
    x = rng.integers(0, NX, n_cells).astype(np.int32)
    y = rng.integers(0, NY, n_cells).astype(np.int32)
    town = rng.integers(0, n_towns, n_cells).astype(np.int32)
    town_xy = np.column_stack([rng.integers(0, NX, n_towns),
                               rng.integers(0, NY, n_towns)]).astype(np.int32)
    syr = np.sort(rng.choice(n_cells, rng.integers(0, n_cells + 1), replace=False))
    # the cell table: the sleepers active in Syria, the others gone or in Iraq; rows past n
    # (spare capacity) look like sleepers but are not in the table
    spare = int(rng.integers(0, 4))
    state = rng.integers(0, 7, n_cells + spare).astype(np.int8)
    theatre = rng.integers(0, 2, n_cells + spare).astype(np.int8)
    others = np.setdiff1d(np.arange(n_cells), syr)
    theatre[others] = np.where(state[others] <= CellState.ATTACKING, Theatre.IRAQ,
                               theatre[others])
    state[syr] = rng.integers(0, CellState.ATTACKING + 1, len(syr))
    theatre[syr] = Theatre.SYRIA
    state[n_cells:], theatre[n_cells:] = CellState.HIDDEN, Theatre.SYRIA
    x, y = (np.concatenate([a, np.zeros(spare, np.int32)]) for a in (x, y))
    town = np.concatenate([town, np.zeros(spare, np.int32)])
    threat = rng.integers(0, 4, (NX, NY)) / 2.0
    d = distance_km(kxb, ky, x[syr], y[syr], town_xy[town[syr], 0], town_xy[town[syr], 1])
    # the spread: often exactly one sleeper's distance to its town (the boundary case)
    spread = float(d[0]) if len(d) and draw(st.booleans()) else float(rng.uniform(0, 60))
    return SimpleNamespace(x=x, y=y, town=town, town_xy=town_xy, syr=syr, threat=threat,
                           state=state, theatre=theatre, n=n_cells,
                           spread=spread, flee_threat=0.5, budget=float(rng.uniform(1, 30)),
                           kxb=kxb, ky=ky, rng=rng)


def reference_goals(t):
    """retaliate.step's numpy expressions: towns, far, flee, goals, budgets."""
    syr = t.syr
    tx, ty = t.town_xy[t.town[syr], 0], t.town_xy[t.town[syr], 1]
    d_town = distance_km(t.kxb, t.ky, t.x[syr], t.y[syr], tx, ty)
    budget = np.full(len(syr), t.budget)
    goal_x, goal_y = t.x[syr].copy(), t.y[syr].copy()
    far = d_town > t.spread
    goal_x[far], goal_y[far] = tx[far], ty[far]
    flee = ~far & (t.threat[t.x[syr], t.y[syr]] > t.flee_threat)
    return tx, ty, goal_x, goal_y, far, flee, np.where(far | flee, budget, 0.0)


def call_goals(t):
    return sleeper_goals(t.state, t.theatre, t.n, t.x, t.y, t.town, t.town_xy, t.threat,
                         t.spread, t.flee_threat, t.budget, t.kxb, t.ky)


@given(theatres())
@settings(max_examples=150, deadline=None)
def test_sleeper_goals_are_the_rules(t):
    syr, plan, budget, n_flee = call_goals(t)
    np.testing.assert_array_equal(syr, t.syr)
    tx, ty, goal_x, goal_y, far, flee, ref_budget = reference_goals(t)
    for row, ref in ((TX, tx), (TY, ty), (GOAL_X, goal_x), (GOAL_Y, goal_y),
                     (KIND, np.where(far, FAR, np.where(flee, FLEE, 0)))):
        np.testing.assert_array_equal(plan[row], ref, err_msg=str(row))
    np.testing.assert_array_equal(budget, ref_budget)
    assert n_flee == flee.sum()
    # invariants: a sleeper that stays put keeps its square and has no budget
    stay = plan[KIND] == 0
    assert (plan[GOAL_X][stay] == t.x[t.syr][stay]).all() and (budget[stay] == 0).all()


def snapping_navigator(rng, km_y):
    """A stand-in for the Navigator's points in a disc: km per square east-west by row, and
    where each square snaps to (any open square: a random table), in numpy."""
    snap_x = rng.integers(0, NX, (NX, NY))
    snap_y = rng.integers(0, NY, (NX, NY))

    def snap(x, y):
        x, y = np.clip(x, 0, NX - 1), np.clip(y, 0, NY - 1)
        return snap_x[x, y], snap_y[x, y]

    return SimpleNamespace(km_x=np.round(rng.uniform(2.0, 6.0, NY), 1), km_y=km_y, snap=snap,
                           snap_index=lambda: (snap_x, snap_y))


@given(st.integers(0, 2**32 - 1), st.integers(1, 8), st.integers(1, 7), st.booleans(),
       st.sampled_from([3.0, 10.0, 25.0]))
@settings(max_examples=150, deadline=None)
def test_a_fleeing_sleeper_takes_the_first_least_threatened_most_concealed_random_point(
        seed, n_flee, n_cand, with_nan, radius):
    rng = np.random.default_rng(seed)
    threat = rng.integers(0, 3, (NX, NY)) / 4.0        # coarse: ties are common
    concealment = rng.integers(0, 3, (NX, NY)) / 4.0
    if with_nan:
        threat[rng.integers(0, NX, 20), rng.integers(0, NY, 20)] = np.nan
    nav = snapping_navigator(rng, float(rng.choice([4.0, 5.5])))
    # a plan: some sleepers flee (around their town), the others keep their goals
    n = n_flee + 3
    kind = np.zeros(n, np.int32)
    kind[np.sort(rng.choice(n, n_flee, replace=False))] = FLEE
    kind[(kind == 0) & (rng.random(n) < 0.5)] = FAR
    plan = np.zeros((6, n), np.int32)
    plan[TX], plan[TY] = rng.integers(0, NX, n), rng.integers(0, NY, n)
    plan[GOAL_X], plan[GOAL_Y], plan[KIND] = rng.integers(0, NX, n), rng.integers(0, NY, n), kind
    ref = plan.copy()
    # the reference: the points-in-a-disc rule in numpy, then np.argmin, with the same draws
    k = np.flatnonzero(kind == FLEE)
    cx, cy = reference_points_in_disc(nav, ref[TX][k, None], ref[TY][k, None], radius,
                                      np.random.default_rng(seed), (n_flee, n_cand))
    best = np.argmin(threat[cx, cy] - concealment[cx, cy], axis=1)
    ref[GOAL_X, k], ref[GOAL_Y, k] = cx[np.arange(n_flee), best], cy[np.arange(n_flee), best]
    flee_goals(plan, *disc_draws(np.random.default_rng(seed), (n_flee, n_cand)), radius,
               nav.km_x, nav.km_y, *nav.snap_index(), threat, concealment)
    np.testing.assert_array_equal(plan, ref)


@given(theatres())
@settings(max_examples=150, deadline=None)
def test_settling_writes_squares_states_and_who_is_near_its_town_as_the_rule_does(t):
    syr, plan, _, _ = call_goals(t)
    far, flee = plan[KIND] == FAR, plan[KIND] == FLEE
    tx, ty = plan[TX], plan[TY]
    moving = far | flee
    rng = t.rng
    # where a move might have taken them: some stay, some reach their town, some anywhere
    pick = rng.integers(0, 3, len(syr))
    nx_ = np.where(pick == 0, t.x[syr], np.where(pick == 1, tx, rng.integers(0, NX, len(syr))))
    ny_ = np.where(pick == 0, t.y[syr], np.where(pick == 1, ty, rng.integers(0, NY, len(syr))))
    nx_, ny_ = nx_.astype(np.int32), ny_.astype(np.int32)
    n = len(t.x)
    x, y = t.x.copy(), t.y.copy()
    moved = rng.random(n) < 0.5
    state = rng.integers(0, 4, n).astype(np.int8)
    ref = SimpleNamespace(x=x.copy(), y=y.copy(), moved=moved.copy(), state=state.copy())
    count = settle(syr, nx_, ny_, plan, t.spread, x, y, moved, state, t.kxb, t.ky)
    # the reference: retaliate.step's numpy expressions
    ref.moved[syr] = (nx_ != ref.x[syr]) | (ny_ != ref.y[syr])
    ref.x[syr], ref.y[syr] = nx_, ny_
    ref.state[syr] = np.where(moving, CellState.MOVING, CellState.HIDDEN)
    ref_near = distance_km(t.kxb, t.ky, nx_, ny_, tx, ty) <= t.spread
    ref.state[syr[far & ref_near]] = CellState.HIDDEN
    np.testing.assert_array_equal(plan[NEAR], ref_near)
    assert count == ref_near.sum()
    for name, mine in (("x", x), ("y", y), ("moved", moved), ("state", state)):
        np.testing.assert_array_equal(mine, getattr(ref, name), err_msg=name)
    # cells that are not sleepers are left alone
    others = np.setdiff1d(np.arange(n), syr)
    np.testing.assert_array_equal(state[others], ref.state[others])


@given(st.integers(0, 2**32 - 1), st.integers(0, 60), st.floats(0, 2), st.floats(0, 3),
       st.floats(0, 5), st.sampled_from([0.25, 0.5, 1.0]))
@settings(max_examples=200, deadline=None)
def test_attack_draws_follow_the_rate_per_sleeper(seed, n, pressure, boost, excitation, dt):
    rng = np.random.default_rng(seed)
    near = rng.random(n) < 0.7
    syr = np.sort(rng.choice(n + 5, n, replace=False))     # the sleepers among all cells
    called_until = rng.integers(5, 15, n + 5)
    step = int(rng.integers(5, 15))
    called = called_until[syr] >= step
    draws = rng.random(n)
    base, gain = 0.05, 1.5
    # the reference: the rate over every sleeper, as retaliate.step wrote it
    rate = base * (1.0 + gain * pressure) * np.where(called, 1.0 + boost, 1.0) \
        + excitation / max(int(near.sum()), 1)
    ref = near & (draws < -np.expm1(-rate * dt))
    # the kernel with the step's two probabilities (not called, called)
    rate2 = base * (1.0 + gain * pressure) * np.array([1.0, 1.0 + boost]) \
        + excitation / max(int(near.sum()), 1)
    plan = np.zeros((6, n), np.int32)
    plan[NEAR] = near
    got = attackers(syr, plan, called_until, step, draws, -np.expm1(-rate2 * dt))
    np.testing.assert_array_equal(got, np.flatnonzero(ref))


@given(st.integers(0, 2**32 - 1), st.integers(0, 25), st.booleans())
@settings(max_examples=200, deadline=None)
def test_an_ambush_targets_the_first_nearest_sdf_post_within_reach(seed, n_units, at_edge):
    rng = np.random.default_rng(seed)
    kxb, ky = distance_table(rng)
    ux = rng.integers(0, NX, n_units + 3).astype(np.int32)
    uy = rng.integers(0, NY, n_units + 3).astype(np.int32)
    units = np.sort(rng.choice(n_units + 3, n_units, replace=False))
    x, y = int(rng.integers(0, NX)), int(rng.integers(0, NY))
    du = distance_km(kxb, ky, ux[units], uy[units], x, y)
    reach = float(du[0]) if at_edge and n_units else float(rng.uniform(0, 40))
    # the reference: retaliate.step's expression
    ok = du <= reach
    ref = int(units[np.flatnonzero(ok)[np.argmin(du[ok])]]) if ok.any() else -1
    assert nearest_within(ux, uy, units, np.int32(x), np.int32(y), reach, kxb, ky) == ref


@given(st.lists(st.tuples(st.integers(0, 6), st.integers(0, 1)), max_size=40), st.integers(0, 5))
@settings(max_examples=100, deadline=None)
def test_the_sleepers_are_the_active_cells_of_the_syrian_theatre(rows, spare):
    cells = CellArrays(len(rows) + spare)
    idx = cells.add(len(rows))
    for i, (state, theatre) in zip(idx, rows, strict=True):
        cells.state[i], cells.theatre[i] = state, theatre
    np.testing.assert_array_equal(active_sleepers(cells.state, cells.theatre, cells.n),
                                  cells.active_in(Theatre.SYRIA))


@given(theatres(), st.integers(0, 4))
@settings(max_examples=150, deadline=None)
def test_a_joiner_links_to_the_first_nearest_sleepers(t, k):
    # the joiner: a sleeper itself or any other cell of the table
    j = int(t.rng.integers(0, t.n))
    got = nearest_sleepers(t.state, t.theatre, t.n, t.x, t.y, j, k, t.kxb, t.ky)
    # the reference: retaliate._link_to_sleepers's numpy expression
    sleepers = t.syr[t.syr != j]
    ds = distance_km(t.kxb, t.ky, t.x[sleepers], t.y[sleepers], t.x[j], t.y[j])
    np.testing.assert_array_equal(got, sleepers[np.argsort(ds, kind="stable")[:k]])


@given(theatres(), st.integers(0, 2**32 - 1))
@settings(max_examples=150, deadline=None)
def test_a_call_reaches_the_sleepers_of_the_callers_components(t, seed):
    rng = np.random.default_rng(seed)
    cells = len(t.state)
    component = np.minimum(rng.integers(0, cells, cells), np.arange(cells))   # labels: nodes
    callers = rng.choice(cells, int(rng.integers(0, 4)))
    called_until = rng.integers(-1, 12, cells)
    until = int(rng.integers(0, 12))
    ref = called_until.copy()
    # the reference: retaliate.register_calls's numpy expressions
    comps = np.unique(component[callers])
    reached = t.syr[np.isin(component[t.syr], comps)]
    ref[reached] = np.maximum(ref[reached], until)
    reach_sleepers(callers.astype(np.intp), component, t.state, t.theatre, t.n, called_until,
                   until)
    np.testing.assert_array_equal(called_until, ref)


@given(st.sampled_from([0.25, 0.5, 1.0]), st.floats(0.5, 20), st.integers(1, 40))
@settings(max_examples=100, deadline=None)
def test_the_excitation_decays_as_exp_minus_t_over_its_days(dt, days, steps):
    """The per-step factor is numpy's exp(-dt / days), a plain float; over k steps the
    excitation falls to exp(-k dt / days) of itself (each attack's effect fades with the
    time constant excitation_days)."""
    factor = excitation_decay(dt, days)
    assert type(factor) is float and factor == np.exp(-dt / days)
    assert 0.0 < factor < 1.0
    assert factor ** steps == pytest.approx(np.exp(-steps * dt / days), rel=1e-12)
