"""Compiled pieces of ``retaliate.step`` (numba): the sleepers' goals, where they end up, which
of them attack, and the nearest SDF post an ambush can reach.

The rule is stated in ``retaliate.py``; these kernels do its deterministic work between the
random draws (which stay numpy Generator calls, in the same order, made by the caller), sleeper
by sleeper instead of over whole arrays. Distances are ``Navigator.distance_km``'s float64
operations in the same order, so results are identical to the bit (tests/test_retaliate_kernels.py
holds the numpy expressions they replace; the fingerprint test pins the model's results).
Compiled once and cached on disk (``cache=True``).
"""

from __future__ import annotations

import numba
import numpy as np

from encircle_sim.navigation_kernels import square_km
from encircle_sim.state import CellState, Theatre

HIDDEN = np.int8(CellState.HIDDEN)
MOVING = np.int8(CellState.MOVING)
ATTACKING = np.int8(CellState.ATTACKING)
SYRIA = np.int8(Theatre.SYRIA)


@numba.njit(cache=True)
def active_sleepers(state, theatre, n):
    """The active cells (state <= ATTACKING) of the Syrian theatre among the first n, in order
    (``CellArrays.active_in(Theatre.SYRIA)``)."""
    out = np.empty(n, np.intp)
    m = 0
    for i in range(n):
        if state[i] <= ATTACKING and theatre[i] == SYRIA:
            out[m] = i
            m += 1
    return out[:m]


#: Rows of a step's plan for the sleepers (``sleeper_goals``): their town's square, their goal,
#: what they do (STAY, FAR: walk to the town, FLEE: relocate around it), and whether they end
#: the move near their town (``settle``).
TX, TY, GOAL_X, GOAL_Y, KIND, NEAR = range(6)
STAY, FAR, FLEE = 0, 1, 2


@numba.njit(cache=True)
def reach_sleepers(callers, component, state, theatre, n, called_until, until):
    """The sleepers (``active_sleepers``) in the network component (labels ``component``) of
    any of ``callers`` are called until step ``until`` at least: called_until = max(called_until,
    until), in place."""
    reached = np.zeros(len(component), np.bool_)
    for c in callers:
        reached[component[c]] = True
    for i in active_sleepers(state, theatre, n):
        if i >= len(component):
            raise IndexError("a sleeper is not in the courier graph")
        if reached[component[i]]:
            called_until[i] = max(called_until[i], until)


@numba.njit(cache=True)
def sleeper_goals(state, theatre, n, x, y, town, town_xy, threat, spread_km, flee_threat,
                  budget_km, km_x_between, km_y):
    """The sleepers ``syr`` (``active_sleepers``) and their plan for the step, one column each:
    their town (TX, TY); KIND = FAR if the distance to the town > spread_km, else FLEE if
    threat[x, y] > flee_threat, else STAY; the goal: the town if FAR, else its own square (the
    caller replaces it for those that flee, ``flee_goals``). Returns syr, the plan (rows TX ..
    NEAR, int32), the move budgets (``budget_km`` if FAR or FLEE, else 0) and how many flee."""
    syr = active_sleepers(state, theatre, n)
    m = len(syr)
    plan = np.zeros((6, m), np.int32)
    budget = np.zeros(m)
    n_flee = 0
    for k in range(m):
        i = syr[k]
        t = town[i]
        tx, ty = town_xy[t, 0], town_xy[t, 1]
        plan[TX, k], plan[TY, k] = tx, ty
        xi, yi = x[i], y[i]
        if square_km(xi, yi, tx, ty, km_x_between, km_y) > spread_km:
            plan[KIND, k] = FAR
            plan[GOAL_X, k], plan[GOAL_Y, k] = tx, ty
        else:
            plan[KIND, k] = FLEE if threat[xi, yi] > flee_threat else STAY
            plan[GOAL_X, k], plan[GOAL_Y, k] = xi, yi
            n_flee += plan[KIND, k] == FLEE
        if plan[KIND, k] != STAY:
            budget[k] = budget_km
    return syr, plan, budget, n_flee


@numba.njit(cache=True)
def flee_goals(plan, u_radius, cos_angle, sin_angle, radius_km, km_x, km_y, snap_x, snap_y,
               threat, concealment):
    """Row r of the draws is the r-th fleeing sleeper's (KIND = FLEE, in plan order): its
    candidates are ``Navigator.random_points_in_disc`` around its town (TX, TY),
    x = rint(TX + radius_km sqrt(u_radius) cos_angle / km_x[TY]),
    y = rint(TY + radius_km sqrt(u_radius) sin_angle / km_y), clipped to the grid and snapped to
    open ground (``snap_x``, ``snap_y``: ``Navigator.snap_index``), the same float64
    operations; its goal (GOAL_X, GOAL_Y) becomes the candidate with the least threat -
    concealment (the first of equals; NaN first, as np.argmin), in place."""
    nx, ny = snap_x.shape
    r = 0
    for k in range(plan.shape[1]):
        if plan[KIND, k] != FLEE:
            continue
        cx, cy = plan[TX, k], plan[TY, k]
        bx, by, v_best = 0, 0, np.inf
        for j in range(u_radius.shape[1]):
            dist = radius_km * np.sqrt(u_radius[r, j])
            gx = np.int32(np.rint(cx + dist * cos_angle[r, j] / km_x[cy]))
            gy = np.int32(np.rint(cy + dist * sin_angle[r, j] / km_y))
            sx, sy = min(max(gx, 0), nx - 1), min(max(gy, 0), ny - 1)
            px, py = snap_x[sx, sy], snap_y[sx, sy]
            v = threat[px, py] - concealment[px, py]
            if v != v:            # np.argmin returns the first NaN
                bx, by = px, py
                break
            if v < v_best or j == 0:
                bx, by, v_best = px, py, v
        plan[GOAL_X, k], plan[GOAL_Y, k] = bx, by
        r += 1


@numba.njit(cache=True)
def settle(syr, nx, ny, plan, spread_km, x, y, moved, state, km_x_between, km_y):
    """Write the sleepers' new squares: ``moved`` = the square changed, x, y; plan row NEAR =
    the distance to the town <= spread_km; state = MOVING for those that moved on purpose (FAR
    or FLEE) unless a FAR one is now near its town (arrived: HIDDEN), else HIDDEN. Returns how
    many are near."""
    count = 0
    for k in range(len(syr)):
        i = syr[k]
        moved[i] = nx[k] != x[i] or ny[k] != y[i]
        x[i], y[i] = nx[k], ny[k]
        near = square_km(nx[k], ny[k], plan[TX, k], plan[TY, k], km_x_between, km_y) <= spread_km
        plan[NEAR, k] = near
        count += near
        kind = plan[KIND, k]
        state[i] = MOVING if kind == FLEE or (kind == FAR and not near) else HIDDEN
    return count


@numba.njit(cache=True)
def attackers(syr, plan, called_until, step, draws, p_attack):
    """Positions k of the sleepers ``syr[k]`` that attack: near their town (plan row NEAR) and
    draws[k] < p_attack[called], called = called_until >= step (p_attack: the step's
    probability without and with a call)."""
    out = np.empty(len(syr), np.intp)
    m = 0
    for k in range(len(syr)):
        called = called_until[syr[k]] >= step
        if plan[NEAR, k] and draws[k] < p_attack[1 if called else 0]:
            out[m] = k
            m += 1
    return out[:m]


@numba.njit(cache=True)
def nearest_within(ux, uy, units, x, y, reach_km, km_x_between, km_y):
    """The unit of ``units`` nearest square (x, y) (the first of equals) among those within
    reach_km, or -1."""
    best, d_best = -1, np.inf
    for j in range(len(units)):
        u = units[j]
        d = square_km(ux[u], uy[u], x, y, km_x_between, km_y)
        if d <= reach_km and (best < 0 or d < d_best):
            best, d_best = u, d
    return best


@numba.njit(cache=True)
def nearest_sleepers(state, theatre, n, x, y, j, k, km_x_between, km_y):
    """The k sleepers (``active_sleepers``) other than cell j nearest it, nearest first (the
    first of equals: a stable sort of the distances)."""
    syr = active_sleepers(state, theatre, n)
    near = np.empty(min(k, len(syr)), np.intp)
    d_near = np.empty(len(near))
    m = 0
    for i in syr:
        if i == j:
            continue
        d = square_km(x[i], y[i], x[j], y[j], km_x_between, km_y)
        p = m
        while p > 0 and d_near[p - 1] > d:
            p -= 1
        if p < len(near):
            for q in range(min(m, len(near) - 1), p, -1):
                near[q], d_near[q] = near[q - 1], d_near[q - 1]
            near[p], d_near[p] = i, d
            m = min(m + 1, len(near))
    return near[:m]
