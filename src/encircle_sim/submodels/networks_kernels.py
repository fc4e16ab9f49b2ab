"""Compiled pieces of ``networks.step`` (numba): a step's supply bookkeeping, desertion and the
partners a captured cell can give away.

The rule is stated in ``networks.py`` and ``submodels/networks.py``; these kernels carry it out
cell by cell instead of over whole arrays, with numpy's float64 operations in the same order
(``np.bincount``'s weighted sums are sequential in index order, and so are these), so results
are identical to the bit (tests/test_networks_kernels.py holds the numpy expressions they
replace). Compiled once and cached on disk (``cache=True``).
"""

from __future__ import annotations

import numba
import numpy as np

from encircle_sim.state import CellState, Theatre

ATTACKING = np.int8(CellState.ATTACKING)
IRAQ = np.int8(Theatre.IRAQ)
SYRIA = np.int8(Theatre.SYRIA)


@numba.njit(cache=True)
def _max0(v):
    """np.maximum(v, 0.0) (NaN kept)."""
    return v if v >= 0.0 or v != v else 0.0


@numba.njit(cache=True)
def share_stock(supply, full, nearest, within, stock):
    """Cells draw from their nearest usable cache ``nearest[i]`` where ``within[i]`` (it lies
    within reach): demand_i = max(full_i - supply_i, 0); a cache whose total demand D_c
    exceeds its stock S_c gives each of its cells demand x S_c / D_c, else the whole demand.
    ``supply`` (the cells') and ``stock`` (the caches') are updated in place; stock is floored
    at 0."""
    n, m = len(supply), len(stock)
    demand = np.zeros(n)
    per_cache = np.zeros(m)
    for i in range(n):
        if within[i]:
            demand[i] = _max0(full[i] - supply[i])
            per_cache[nearest[i]] += demand[i]
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
    0); pocket cells (Iraq) resupply (``share_stock``, up to full = supply_days x fighters0 /
    max(fighters0, 1)) from the nearest (``Navigator.distance_km``, the first of equals) of the
    intact caches with stock > 0, if it lies within reach_km; sleepers (Syria) are set to
    supply_days. ``supply`` and ``cache_stock`` are updated in place. Returns the active cells
    left with supply <= 0.

    A cache's distance is only taken (sqrt) when its squared distance is below the best's so
    far: sqrt is monotone, so the others cannot be nearer."""
    pocket = np.empty(n, np.intp)
    n_pocket = 0
    for i in range(n):
        if state[i] <= ATTACKING:
            supply[i] = _max0(supply[i] - dt_days)
            if theatre[i] == IRAQ:
                pocket[n_pocket] = i
                n_pocket += 1
    m = len(cache_x)
    if n_pocket and m:
        # every row y1 + y2 must be in the distance table (numpy's indexing would say so)
        y_lo, y_hi = y[pocket[0]], y[pocket[0]]
        for k in range(n_pocket):
            y_lo, y_hi = min(y_lo, y[pocket[k]]), max(y_hi, y[pocket[k]])
        c_lo, c_hi = cache_y[0], cache_y[0]
        for j in range(m):
            c_lo, c_hi = min(c_lo, cache_y[j]), max(c_hi, cache_y[j])
        if y_lo + c_lo < 0 or y_hi + c_hi >= len(km_x_between):
            raise IndexError("a cell or cache square is off the distance table")
        usable = np.empty(m, np.intp)
        n_usable = 0
        for j in range(m):
            if cache_intact[j] and cache_stock[j] > 0:
                usable[n_usable] = j
                n_usable += 1
        full = np.empty(n_pocket)
        own = np.empty(n_pocket)
        nearest = np.zeros(n_pocket, np.intp)
        within = np.zeros(n_pocket, np.bool_)
        for k in range(n_pocket):
            i = pocket[k]
            a, b = x[i], y[i]
            full[k] = supply_days * fighters0[i] / max(fighters0[i], 1)
            own[k] = supply[i]
            best, d_best, s_best = 0, np.inf, np.inf
            for t in range(n_usable):
                j = usable[t]
                dx = (a - cache_x[j]) * km_x_between[b + cache_y[j]]
                dy = (b - cache_y[j]) * km_y
                s = dx * dx + dy * dy
                if s < s_best:
                    d = np.sqrt(s)
                    if d < d_best:
                        best, d_best, s_best = j, d, s
            nearest[k] = best
            within[k] = d_best <= reach_km
        share_stock(own, full, nearest, within, cache_stock)
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
def desert(fighters, out, lost):
    """Cells ``out`` lose ``lost`` fighters (fighters[out] -= lost, in place). Returns those of
    them left with none (fighters <= 0), in the order of ``out``."""
    gone = np.empty(len(out), np.intp)
    m = 0
    for k in range(len(out)):
        i = out[k]
        fighters[i] -= lost[k]
        if fighters[i] <= 0:
            gone[m] = i
            m += 1
    return gone[:m]


@numba.njit(cache=True)
def capture_partners(captured, a, b, alive, state):
    """The cells linked (alive links a[e]-b[e]) to any of ``captured``, not captured themselves
    and still active (state <= ATTACKING), in index order (``np.unique``'s)."""
    n = len(state)
    taken = np.zeros(n, np.bool_)
    for i in captured:
        taken[i] = True
    linked = np.zeros(n, np.bool_)
    for e in range(len(a)):
        if alive[e] and (taken[a[e]] or taken[b[e]]):
            linked[a[e]] = linked[b[e]] = True
    out = np.empty(n, np.intp)
    m = 0
    for i in range(n):
        if linked[i] and not taken[i] and state[i] <= ATTACKING:
            out[m] = i
            m += 1
    return out[:m]
