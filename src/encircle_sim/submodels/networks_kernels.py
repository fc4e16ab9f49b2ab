"""Compiled pieces of ``networks.step`` (numba): a step's supply bookkeeping and the cells'
flags for the courier graph.

The rule is stated in ``networks.py`` and ``submodels/networks.py``; these kernels carry it out
cell by cell instead of over whole arrays, with numpy's float64 operations in the same order
(``np.bincount``'s weighted sums are sequential in index order, and so are these), so results
are identical to the bit (tests/test_networks_kernels.py holds the numpy expressions they
replace). Compiled once and cached on disk (``cache=True``).
"""

from __future__ import annotations

import numba
import numpy as np

from encircle_sim.navigation_kernels import distance_matrix_km
from encircle_sim.state import CellState, Theatre

ATTACKING = np.int8(CellState.ATTACKING)
NEUTRALISED = np.int8(CellState.NEUTRALISED)
CAPTURED = np.int8(CellState.CAPTURED)
IRAQ = np.int8(Theatre.IRAQ)
SYRIA = np.int8(Theatre.SYRIA)


@numba.njit(cache=True)
def _max0(v):
    """np.maximum(v, 0.0) (NaN kept)."""
    return v if v >= 0.0 or v != v else 0.0


@numba.njit(cache=True)
def resupply_kernel(supply, full, dist_km, usable, stock, reach_km):
    """Cells (rows of ``dist_km``, cells x caches) draw from their nearest usable cache (the
    first of equals) within reach_km: demand_i = max(full_i - supply_i, 0); a cache whose total
    demand D_c exceeds its stock S_c gives each of its cells demand x S_c / D_c, else the whole
    demand. ``supply`` (the cells') and ``stock`` (the caches') are updated in place; stock is
    floored at 0."""
    n, m = dist_km.shape
    nearest = np.zeros(n, np.intp)
    demand = np.zeros(n)
    per_cache = np.zeros(m)
    for i in range(n):
        best, d_best = 0, np.inf
        for j in range(m):
            d = dist_km[i, j] if usable[j] else np.inf
            if d < d_best:
                best, d_best = j, d
        nearest[i] = best
        if d_best <= reach_km:
            demand[i] = _max0(full[i] - supply[i])
            per_cache[best] += demand[i]
    scale = np.ones(m)
    for j in range(m):
        if per_cache[j] > stock[j]:
            scale[j] = stock[j] / per_cache[j]
    drawn = np.zeros(m)
    for i in range(n):
        got = demand[i] * scale[nearest[i]]
        supply[i] += got
        drawn[nearest[i]] += got
    for j in range(m):
        stock[j] = _max0(stock[j] - drawn[j])


@numba.njit(cache=True)
def use_supply(n, state, theatre, supply, fighters0, x, y, cache_x, cache_y, cache_intact,
               cache_stock, dt_days, supply_days, reach_km, km_x_between, km_y):
    """One step of supply for the first ``n`` cells: every active cell uses dt_days (floored at
    0); pocket cells (Iraq) resupply from the intact caches with stock > 0 (``resupply_kernel``,
    up to full = supply_days x fighters0 / max(fighters0, 1)); sleepers (Syria) are set to
    supply_days. ``supply`` and ``cache_stock`` are updated in place. Returns the active cells
    left with supply <= 0."""
    pocket = np.empty(n, np.intp)
    n_pocket = 0
    for i in range(n):
        if state[i] <= ATTACKING:
            supply[i] = _max0(supply[i] - dt_days)
            if theatre[i] == IRAQ:
                pocket[n_pocket] = i
                n_pocket += 1
    pocket = pocket[:n_pocket]
    if n_pocket and len(cache_x):
        px = np.empty(n_pocket, np.intp)
        py = np.empty(n_pocket, np.intp)
        full = np.empty(n_pocket)
        own = np.empty(n_pocket)
        for k in range(n_pocket):
            i = pocket[k]
            px[k], py[k] = x[i], y[i]
            full[k] = supply_days * fighters0[i] / max(fighters0[i], 1)
            own[k] = supply[i]
        d = np.empty((n_pocket, len(cache_x)))
        if not distance_matrix_km(px, py, cache_x, cache_y, km_x_between, km_y, d):
            raise IndexError("a cell or cache square is off the distance table")
        usable = np.empty(len(cache_x), np.bool_)
        for j in range(len(cache_x)):
            usable[j] = cache_intact[j] and cache_stock[j] > 0
        resupply_kernel(own, full, d, usable, cache_stock, reach_km)
        for k in range(n_pocket):
            supply[pocket[k]] = own[k]
    out = np.empty(n, np.intp)
    n_out = 0
    for i in range(n):
        if state[i] <= ATTACKING:
            if theatre[i] == SYRIA:
                supply[i] = supply_days
            if supply[i] <= 0:
                out[n_out] = i
                n_out += 1
    return out[:n_out]


@numba.njit(cache=True)
def cell_flags(state, n, capacity):
    """Per cell, padded to ``capacity``: active (state <= ATTACKING, first n) and taken by the
    forces (NEUTRALISED or CAPTURED)."""
    active = np.zeros(capacity, np.bool_)
    taken = np.zeros(capacity, np.bool_)
    for i in range(n):
        active[i] = state[i] <= ATTACKING
        taken[i] = state[i] == NEUTRALISED or state[i] == CAPTURED
    return active, taken
