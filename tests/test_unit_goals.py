"""The compiled goal setting of lane, post and holding tasks (``forces_kernels.standing_goals``)
against the rule in numpy (``reference_goals`` below: the implementation ``plan_goals`` had
before it was compiled, kept here only as the reference), on random units and lanes; and a few
cases whose outcome follows from the rule alone."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from oracles import reference_points_in_disc

from encircle_sim.forces_kernels import (
    axes_kept_up,
    axis_line_goals,
    hunt_and_assault_rows,
    hunt_goals,
    mark_on_station,
    nearest_targets,
    standing_goals,
)
from encircle_sim.state import Task, UnitArrays


def _patrol_lane(u: UnitArrays, i: np.ndarray) -> None:
    none = i[u.lane_len[i] == 0]
    u.goal_x[none], u.goal_y[none] = u.home_x[none], u.home_y[none]
    k = i[u.lane_len[i] > 0]
    if len(k) == 0:
        return
    j, n, start = u.lane_idx[k], u.lane_len[k], u.lane_start[k]
    px, py = u.lane_xy[start + j, 0], u.lane_xy[start + j, 1]
    arrived = (u.x[k] == px) & (u.y[k] == py) & (n > 1)
    nxt = j + u.lane_dir[k]
    bounce = arrived & ((nxt < 0) | (nxt >= n))
    u.lane_dir[k[bounce]] *= -1
    nxt = np.where(bounce, np.minimum(np.maximum(j + u.lane_dir[k], 0), n - 1), nxt)
    j = np.where(arrived, nxt, j)
    u.lane_idx[k] = j
    u.goal_x[k], u.goal_y[k] = u.lane_xy[start + j, 0], u.lane_xy[start + j, 1]


def _hold_post(u: UnitArrays, i: np.ndarray) -> None:
    k = i[u.lane_len[i] > 0]
    mid = u.lane_start[k] + u.lane_len[k] // 2
    u.goal_x[k], u.goal_y[k] = u.lane_xy[mid, 0], u.lane_xy[mid, 1]
    none = i[u.lane_len[i] == 0]
    u.goal_x[none], u.goal_y[none] = u.home_x[none], u.home_y[none]


def reference_goals(u: UnitArrays, holding_cordon: bool) -> None:
    alive, task = u.alive, u.task
    lane_tasks = alive & ((task == Task.BORDER_SCREEN)
                          | ((task == Task.PERIMETER) & (not holding_cordon)))
    _patrol_lane(u, np.flatnonzero(lane_tasks))
    if holding_cordon:
        _hold_post(u, np.flatnonzero(alive & (task == Task.PERIMETER)))
    hold = alive & ((task == Task.BLOCK) | (task == Task.RESERVE))
    u.goal_x[hold], u.goal_y[hold] = u.home_x[hold], u.home_y[hold]


def compiled_goals(u: UnitArrays, holding_cordon: bool) -> None:
    standing_goals(u.alive, u.task, holding_cordon, u.x, u.y, u.home_x, u.home_y, u.lane_xy,
                   u.lane_start, u.lane_len, u.lane_idx, u.lane_dir, u.goal_x, u.goal_y)


def random_units(seed: int, n: int) -> UnitArrays:
    rng = np.random.default_rng(seed)
    u = UnitArrays(n)
    u.strength = rng.integers(0, 3, n)
    u.task = rng.integers(0, 6, n).astype(np.int8)
    u.lanes = [None if rng.random() < 0.2 else rng.integers(0, 4, (rng.integers(0, 5), 2))
               for _ in range(n)]
    u.pack_lanes()
    u.lane_idx = np.array([rng.integers(0, max(m, 1)) for m in u.lane_len], np.int32)
    u.lane_dir = rng.choice(np.array([-1, 1], np.int32), n)
    u.x, u.y = rng.integers(0, 4, n).astype(np.int32), rng.integers(0, 4, n).astype(np.int32)
    u.home_x, u.home_y = rng.integers(0, 9, n).astype(np.int32), rng.integers(0, 9, n).astype(
        np.int32)
    u.goal_x, u.goal_y = rng.integers(0, 9, n).astype(np.int32), rng.integers(0, 9, n).astype(
        np.int32)
    return u


@given(st.integers(0, 2**32 - 1), st.integers(0, 30), st.booleans(), st.integers(1, 6))
@settings(max_examples=150, deadline=None)
def test_compiled_goals_are_the_rule_in_numpy(seed, n, holding_cordon, steps):
    mine, ref = random_units(seed, n), random_units(seed, n)
    rng = np.random.default_rng(seed + 1)
    for _ in range(steps):   # lanes walked over several steps: units move onto their goals
        compiled_goals(mine, holding_cordon)
        reference_goals(ref, holding_cordon)
        for name in ("goal_x", "goal_y", "lane_idx", "lane_dir"):
            a, b = getattr(mine, name), getattr(ref, name)
            assert a.dtype == b.dtype and np.array_equal(a, b), name
        there = rng.random(n) < 0.7
        for u in (mine, ref):
            u.x[there], u.y[there] = u.goal_x[there], u.goal_y[there]


def test_a_lane_patrol_walks_to_the_end_and_turns_back():
    u = UnitArrays(1)
    u.strength[:] = 1
    u.task[:] = Task.BORDER_SCREEN
    u.lanes = [np.array([[0, 0], [1, 0], [2, 0]])]
    u.pack_lanes()
    seen = []
    for _ in range(6):
        compiled_goals(u, holding_cordon=False)
        seen.append(int(u.goal_x[0]))
        u.x[:], u.y[:] = u.goal_x, u.goal_y          # arrives within the step
    # standing on lane point 0 it heads for 1, then 2, turns at the end: 1, 0, turns: 1, 2
    assert seen == [1, 2, 1, 0, 1, 2]


def test_cordon_posts_stand_at_the_lane_middle_and_holders_at_home():
    u = UnitArrays(3)
    u.strength[:] = [1, 1, 0]
    u.task[:] = [Task.PERIMETER, Task.BLOCK, Task.PERIMETER]
    u.lanes = [np.array([[0, 0], [1, 0], [2, 0], [3, 0]]), None, np.array([[5, 5]])]
    u.pack_lanes()
    u.home_x[:], u.home_y[:] = [7, 8, 9], [1, 2, 3]
    u.goal_x[:], u.goal_y[:] = -1, -1
    compiled_goals(u, holding_cordon=True)
    assert (u.goal_x.tolist(), u.goal_y.tolist()) == ([2, 8, -1], [0, 2, -1])  # dead: left alone


def numpy_distance(km_x, km_y, x1, y1, x2, y2):
    """The flat-earth distance of ``Navigator.distance_km``: the row between is (y1 + y2) // 2."""
    dx = (x1 - x2) * km_x[(y1 + y2) // 2]
    dy = (y1 - y2) * km_y
    return np.sqrt(dx * dx + dy * dy)


def between(km_x):
    return km_x[np.arange(2 * len(km_x) - 1) // 2]


@given(st.integers(0, 2**32 - 1), st.integers(0, 40))
@settings(max_examples=100, deadline=None)
def test_on_station_is_at_the_goal_or_a_hunt_unit_within_its_area(seed, n):
    rng = np.random.default_rng(seed)
    u = random_units(seed, n)
    u.x, u.y = rng.integers(0, 9, n).astype(np.int32), rng.integers(0, 9, n).astype(np.int32)
    u.on_station = rng.random(n) < 0.3
    km_x, km_y = rng.uniform(3.0, 6.0, 9), float(rng.uniform(3.0, 6.0))
    u.area_r_km = rng.choice([0.0, 5.0, 12.0, 30.0], n)
    # distances exactly at the radius count as inside
    u.area_r_km[:n // 4] = numpy_distance(km_x, km_y, u.x, u.y, u.home_x, u.home_y)[:n // 4]
    want = u.on_station | (((u.x == u.goal_x) & (u.y == u.goal_y))
                           | ((u.task == Task.HUNT)
                              & (numpy_distance(km_x, km_y, u.x, u.y, u.home_x, u.home_y)
                                 <= u.area_r_km)))
    mark_on_station(u.on_station, u.task, u.x, u.y, u.goal_x, u.goal_y, u.home_x, u.home_y,
                    u.area_r_km, between(km_x), km_y)
    assert np.array_equal(u.on_station, want)


@given(st.integers(0, 2**32 - 1), st.integers(0, 40), st.integers(1, 4))
@settings(max_examples=100, deadline=None)
def test_an_axis_is_ready_when_half_its_units_keep_up(seed, n, n_axes):
    rng = np.random.default_rng(seed)
    u = random_units(seed, n)
    u.axis = rng.integers(-1, n_axes, n).astype(np.int16)
    km_x, km_y = rng.uniform(3.0, 6.0, 9), float(rng.uniform(3.0, 6.0))
    tol = float(rng.choice([0.0, 4.0, 10.0, 25.0]))
    on = np.flatnonzero(u.alive & (u.task == Task.AXIS) & (u.axis >= 0))
    d = numpy_distance(km_x, km_y, u.x[on], u.y[on], u.goal_x[on], u.goal_y[on])
    total = np.bincount(u.axis[on], minlength=n_axes)
    close = np.bincount(u.axis[on], weights=d <= tol, minlength=n_axes)
    want = [bool(t > 0 and 2 * c >= t) for t, c in zip(total, close, strict=True)]
    got = axes_kept_up(n_axes, u.alive, u.task, u.axis, u.x, u.y, u.goal_x, u.goal_y, tol,
                       between(km_x), km_y)
    assert got.tolist() == want


def reference_axis_goals(u, base, target, start, km, snap_x, snap_y):
    """The rule in numpy (``plan_goals``'s implementation before it was compiled)."""
    idx = np.flatnonzero(u.alive & (u.task == Task.AXIS) & (u.axis >= 0))
    dxy = (target - start) * km
    norm = np.hypot(dxy[:, 0], dxy[:, 1])
    perp = np.where(norm[:, None] > 0, np.column_stack([-dxy[:, 1], dxy[:, 0]])
                    / np.maximum(norm, 1e-12)[:, None], np.array([1.0, 0.0]))
    a = u.axis[idx]
    gx = base[a, 0] + u.slot[idx] * perp[a, 0] / km[0]
    gy = base[a, 1] + u.slot[idx] * perp[a, 1] / km[1]
    gx, gy = np.rint(gx).astype(np.int32), np.rint(gy).astype(np.int32)
    nx, ny = snap_x.shape
    sq = np.minimum(np.maximum(gx, 0), nx - 1).astype(np.intp) * ny + np.minimum(
        np.maximum(gy, 0), ny - 1)
    u.goal_x[idx], u.goal_y[idx] = snap_x.ravel()[sq], snap_y.ravel()[sq]


@given(st.integers(0, 2**32 - 1), st.integers(0, 30), st.integers(1, 4))
@settings(max_examples=100, deadline=None)
def test_axis_units_stand_in_line_abreast_as_the_rule_in_numpy(seed, n, n_axes):
    rng = np.random.default_rng(seed)
    mine = random_units(seed, n)
    mine.axis = rng.integers(-1, n_axes, n).astype(np.int16)
    mine.slot = rng.normal(0.0, 15.0, n)
    ref = random_units(seed, n)
    ref.axis, ref.slot = mine.axis.copy(), mine.slot.copy()
    start = rng.uniform(0, 20, (n_axes, 2))
    target = np.where(rng.random((n_axes, 1)) < 0.2, start, rng.uniform(0, 20, (n_axes, 2)))
    base = rng.uniform(-3, 23, (n_axes, 2))      # lines partly off the grid: clipped
    km = np.array([rng.uniform(3.0, 6.0), rng.uniform(3.0, 6.0)])
    snap_x, snap_y = rng.integers(0, 20, (20, 15)), rng.integers(0, 15, (20, 15))
    reference_axis_goals(ref, base, target, start, km, snap_x, snap_y)
    norm = np.hypot((target[:, 0] - start[:, 0]) * km[0], (target[:, 1] - start[:, 1]) * km[1])
    axis_line_goals(mine.alive, mine.task, mine.axis, mine.slot, base, target, start, norm,
                    float(km[0]), float(km[1]), snap_x, snap_y, mine.goal_x, mine.goal_y)
    assert np.array_equal(mine.goal_x, ref.goal_x) and np.array_equal(mine.goal_y, ref.goal_y)


@given(st.integers(0, 2**32 - 1), st.integers(0, 40), st.booleans(), st.booleans())
@settings(max_examples=100, deadline=None)
def test_hunt_units_at_their_goal_redraw_and_axis_and_reserve_units_assault(
        seed, n, first, assaulting):
    # the rule in numpy (``plan_goals`` before it was compiled)
    u = random_units(seed, n)
    u.goal_x[: n // 2], u.goal_y[: n // 2] = u.x[: n // 2], u.y[: n // 2]   # some at their goal
    at_goal = (u.x == u.goal_x) & (u.y == u.goal_y)
    hunt = u.alive & (u.task == Task.HUNT)
    want_redo = np.flatnonzero(hunt & (at_goal | first))
    want_assault = np.flatnonzero(u.alive & ((u.task == Task.AXIS) | (u.task == Task.RESERVE))
                                  & assaulting)
    redo, assault = hunt_and_assault_rows(u.alive, u.task, u.x, u.y, u.goal_x, u.goal_y, first,
                                          assaulting)
    assert redo.tolist() == want_redo.tolist() and assault.tolist() == want_assault.tolist()


@given(st.integers(0, 2**32 - 1), st.integers(0, 30), st.integers(1, 20), st.integers(1, 20))
@settings(max_examples=120, deadline=None)
def test_hunt_units_redraw_their_goal_in_their_area_as_random_points_in_disc(seed, n, nx, ny):
    # the rule: nav.random_points_in_disc(home, area_r_km) in numpy (``oracles``), on a stand-in
    # navigator with random snap tables; the compiled loop from the same draws
    rng = np.random.default_rng(seed)
    u = random_units(seed, n)
    u.home_x, u.home_y = rng.integers(0, nx, n).astype(np.int32), rng.integers(0, ny, n).astype(
        np.int32)
    u.area_r_km = rng.uniform(0.0, 80.0, n)
    km_x, km_y = rng.uniform(3.0, 6.0, ny), float(rng.uniform(3.0, 6.0))
    snap_x, snap_y = rng.integers(0, nx, (nx, ny)), rng.integers(0, ny, (nx, ny))

    def snap(x, y):
        sq = np.clip(x, 0, nx - 1).astype(np.intp) * ny + np.clip(y, 0, ny - 1)
        return snap_x.ravel()[sq], snap_y.ravel()[sq]

    nav = SimpleNamespace(km_x=km_x, km_y=km_y, snap=snap)
    redo = np.flatnonzero(rng.random(n) < 0.6)
    want_x, want_y = u.goal_x.copy(), u.goal_y.copy()
    want_x[redo], want_y[redo] = reference_points_in_disc(
        nav, u.home_x[redo], u.home_y[redo], u.area_r_km[redo], np.random.default_rng(seed),
        len(redo))
    draws = np.random.default_rng(seed)
    u_radius = draws.random(len(redo))
    ang = draws.random(len(redo)) * 2 * np.pi
    hunt_goals(redo, u_radius, np.cos(ang), np.sin(ang), u.home_x, u.home_y, u.area_r_km, km_x,
               km_y, snap_x, snap_y, u.goal_x, u.goal_y)
    assert np.array_equal(u.goal_x, want_x) and np.array_equal(u.goal_y, want_y)


@given(st.integers(0, 2**32 - 1), st.integers(1, 12), st.integers(1, 12), st.integers(0, 20),
       st.floats(0.0, 1.0), st.integers(1, 30))
@settings(max_examples=120, deadline=None)
def test_assaulting_units_head_for_their_nearest_target_square(seed, nx, ny, n, share, most):
    # the rule in numpy: the target squares (np.argwhere order, thinned evenly to at most
    # ``most``), each unit's goal the first nearest of them by the flat-earth distance
    rng = np.random.default_rng(seed)
    mask = rng.random((nx, ny)) < share
    x, y = rng.integers(0, nx, n + 3).astype(np.int32), rng.integers(0, ny, n + 3).astype(np.int32)
    idx = np.sort(rng.permutation(n + 3)[:n]).astype(np.intp)
    km_x, km_y = rng.uniform(3.0, 6.0, ny), float(rng.uniform(3.0, 6.0))
    gx, gy = np.full(n + 3, -1, np.int32), np.full(n + 3, -1, np.int32)
    targets = np.argwhere(mask)
    if len(targets) > most:
        targets = targets[:: len(targets) // most + 1]
    want_x, want_y = gx.copy(), gy.copy()
    if len(targets):
        d = numpy_distance(km_x, km_y, targets[None, :, 0], targets[None, :, 1],
                           x[idx, None], y[idx, None])
        near = targets[np.argmin(d, axis=1)]
        want_x[idx], want_y[idx] = near[:, 0], near[:, 1]
    m = nearest_targets(mask, most, idx, x, y, gx, gy, between(km_x), km_y)
    assert m == mask.sum()
    assert gx.tolist() == want_x.tolist() and gy.tolist() == want_y.tolist()
