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


@numba.njit(cache=True)
def sleeper_goals(syr, x, y, town, town_xy, threat, spread_km, flee_threat, budget_km,
                  km_x_between, km_y):
    """For each sleeper ``syr[k]``: its town (tx, ty); ``far`` = distance to the town >
    spread_km; ``flee`` = not far and threat[x, y] > flee_threat; the goal: the town if far,
    else its own square (the caller replaces it for those that flee); the move budget:
    ``budget_km`` if far or fleeing, else 0."""
    n = len(syr)
    tx = np.empty(n, np.int32)
    ty = np.empty(n, np.int32)
    goal_x = np.empty(n, np.int32)
    goal_y = np.empty(n, np.int32)
    far = np.empty(n, np.bool_)
    flee = np.empty(n, np.bool_)
    budget = np.empty(n)
    for k in range(n):
        i = syr[k]
        t = town[i]
        tx[k], ty[k] = town_xy[t, 0], town_xy[t, 1]
        xi, yi = x[i], y[i]
        far[k] = square_km(xi, yi, tx[k], ty[k], km_x_between, km_y) > spread_km
        flee[k] = not far[k] and threat[xi, yi] > flee_threat
        if far[k]:
            goal_x[k], goal_y[k] = tx[k], ty[k]
        else:
            goal_x[k], goal_y[k] = xi, yi
        budget[k] = budget_km if far[k] or flee[k] else 0.0
    return tx, ty, goal_x, goal_y, far, flee, budget


@numba.njit(cache=True)
def flee_goals(k, cx, cy, threat, concealment, goal_x, goal_y):
    """Row r of the candidates (cx, cy) is sleeper ``k[r]``'s: its goal becomes the candidate
    with the least threat - concealment (the first of equals; NaN first, as np.argmin), in
    place."""
    for r in range(len(k)):
        best, v_best = 0, np.inf
        for j in range(cx.shape[1]):
            v = threat[cx[r, j], cy[r, j]] - concealment[cx[r, j], cy[r, j]]
            if v != v:            # np.argmin returns the first NaN
                best = j
                break
            if v < v_best or j == 0:
                best, v_best = j, v
        goal_x[k[r]], goal_y[k[r]] = cx[r, best], cy[r, best]


@numba.njit(cache=True)
def settle(syr, nx, ny, tx, ty, far, moving, spread_km, x, y, moved, state, km_x_between,
           km_y):
    """Write the sleepers' new squares: ``moved`` = the square changed, x, y; state = MOVING
    for those that moved on purpose (far or fleeing) unless a far one is now within spread_km
    of its town (arrived: HIDDEN), else HIDDEN. Returns near_town (distance to the town <=
    spread_km) and how many are near."""
    n = len(syr)
    near = np.empty(n, np.bool_)
    count = 0
    for k in range(n):
        i = syr[k]
        moved[i] = nx[k] != x[i] or ny[k] != y[i]
        x[i], y[i] = nx[k], ny[k]
        near[k] = square_km(nx[k], ny[k], tx[k], ty[k], km_x_between, km_y) <= spread_km
        count += near[k]
        state[i] = MOVING if moving[k] and not (far[k] and near[k]) else HIDDEN
    return near, count


@numba.njit(cache=True)
def attackers(syr, near_town, called_until, step, draws, p_attack):
    """Positions k of the sleepers ``syr[k]`` that attack: near their town and draws[k] <
    p_attack[called], called = called_until >= step (p_attack: the step's probability without
    and with a call)."""
    out = np.empty(len(near_town), np.intp)
    m = 0
    for k in range(len(near_town)):
        called = called_until[syr[k]] >= step
        if near_town[k] and draws[k] < p_attack[1 if called else 0]:
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
