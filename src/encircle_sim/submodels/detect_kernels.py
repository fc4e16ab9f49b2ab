"""Compiled hazards of detection (numba): the deterministic work of ``detect.py`` between its
random draws.

The rule is stated in ``detect.py``: a target inside a unit's patrol disc meets the hazard
``effort / (pi patrol_km^2) x exposure`` from it, an air asset adds ``effort / area x
exposure_air`` inside its disc, and the hazards add. These kernels compute it target by target
instead of over (targets, searchers) matrices, with the numpy version's float64 operations in
the same order (no fast-math). The one reduction, the sum of a target's hazards over searchers,
is numpy's own pairwise summation (``pairwise_sum``), so the totals are identical to the bit to
``h.sum(axis=1)`` (the fingerprint test pins them; tests/test_detect_kernels.py checks every
kernel against the numpy expression). No random number is drawn here: the draws stay numpy's,
the same calls in the same order. Compiled once and cached on disk (``cache=True``).
"""

from __future__ import annotations

import numba
import numpy as np

from encircle_sim.cover_kernels import cover_of, km_between, within_km

#: numpy's unrolled block of pairwise summation (PW_BLOCKSIZE in numpy's loops_utils.h).
PAIRWISE_BLOCK = 128
# state.CellState.ATTACKING: cells in a lower state (hidden, moving, slipping) are searched for
ATTACKING = 3


@numba.njit(cache=True)
def block_sum(a, lo, n):
    """numpy's sum of a run of at most ``PAIRWISE_BLOCK`` terms ``a[lo:lo + n]``: below 8 one by
    one, else in 8 interleaved partial sums, added pairwise, then the remainder one by one."""
    if n < 8:
        res = 0.0
        for i in range(n):
            res += a[lo + i]
        return res
    r0, r1, r2, r3 = a[lo], a[lo + 1], a[lo + 2], a[lo + 3]
    r4, r5, r6, r7 = a[lo + 4], a[lo + 5], a[lo + 6], a[lo + 7]
    i = 8
    while i < n - n % 8:
        r0 += a[lo + i]
        r1 += a[lo + i + 1]
        r2 += a[lo + i + 2]
        r3 += a[lo + i + 3]
        r4 += a[lo + i + 4]
        r5 += a[lo + i + 5]
        r6 += a[lo + i + 6]
        r7 += a[lo + i + 7]
        i += 8
    res = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7))
    while i < n:
        res += a[lo + i]
        i += 1
    return res


@numba.njit(cache=True)
def pairwise_sum(a, lo, n):
    """The sum of ``a[lo:lo + n]`` exactly as numpy adds a contiguous run (pairwise summation):
    a run of at most ``PAIRWISE_BLOCK`` terms by ``block_sum``; a longer one split in two (the
    first half rounded down to a multiple of 8), each half summed so, then the two added. The
    recursion is written as a loop over an explicit stack (numba's disk cache does not keep
    recursive functions safely)."""
    if n <= PAIRWISE_BLOCK:
        return block_sum(a, lo, n)
    # frame k: a run (run_lo, run_n) whose left half, once summed, waits in left[k]
    run_lo = np.empty(64, np.int64)
    run_n = np.empty(64, np.int64)
    left = np.empty(64)
    right_next = np.zeros(64, np.bool_)
    top = 0
    run_lo[0], run_n[0] = lo, n
    while True:
        # descend into the left halves down to a block
        while run_n[top] > PAIRWISE_BLOCK:
            half = run_n[top] // 2
            half -= half % 8
            right_next[top] = False
            run_lo[top + 1], run_n[top + 1] = run_lo[top], half
            top += 1
        value = block_sum(a, run_lo[top], run_n[top])
        top -= 1
        # climb while the finished run was a right half
        while top >= 0 and right_next[top]:
            value = left[top] + value
            top -= 1
        if top < 0:
            return value
        # the finished run was a left half: keep it, sum the right half next
        left[top] = value
        right_next[top] = True
        half = run_n[top] // 2
        half -= half % 8
        run_lo[top + 1], run_n[top + 1] = run_lo[top] + half, run_n[top] - half
        top += 1


@numba.njit(cache=True)
def unit_rates(strength, syria, ux, uy, patrol_km, effort_km2, mult_iraq, mult_syria):
    """The searchers: the living units (strength > 0), their squares, patrol radii and hazard
    per unit exposure, effort x mult / (pi patrol_km^2), mult by the unit's theatre."""
    units = np.flatnonzero(strength > 0)
    m = len(units)
    x, y = np.empty(m, np.int64), np.empty(m, np.int64)
    patrol, rate = np.empty(m), np.empty(m)
    for k in range(m):
        j = units[k]
        mult = mult_syria if syria[j] else mult_iraq
        p = patrol_km[j]
        x[k], y[k], patrol[k] = ux[j], uy[j], p
        rate[k] = effort_km2[j] * mult / (np.pi * (p * p))
    return units, x, y, patrol, rate


@numba.njit(cache=True)
def by_row(y, n_rows):
    """Searchers grouped by the row of their square (a stable counting sort): those on row r
    are ``order[start[r]:start[r + 1]]``, in their own order."""
    start = np.zeros(n_rows + 1, np.int64)
    for k in range(len(y)):
        if y[k] < 0 or y[k] >= n_rows:
            raise IndexError("a searcher stands outside the grid's rows")
        start[y[k] + 1] += 1
    for r in range(n_rows):
        start[r + 1] += start[r]
    order = np.empty(len(y), np.int64)
    filled = start[:n_rows].copy()
    for k in range(len(y)):
        order[filled[y[k]]] = k
        filled[y[k]] += 1
    return start, order


@numba.njit(cache=True)
def rows_within(reach_km, km_y, n_rows):
    """How many rows away a square may lie and still be within ``reach_km``: the largest d
    (at most n_rows) with d km_y <= reach_km. Farther rows are farther than reach_km along y
    alone (``within_km``'s first test, the same float product), so nothing there is within."""
    d = 0
    while d < n_rows and (d + 1) * km_y <= reach_km:
        d += 1
    return d


@numba.njit(cache=True)
def ground_hazard(x, y, exposure, ux, uy, patrol_km, rate, start, order, span, km_x, km_y,
                  row, near):
    """The hazards from every searcher (``unit_rates``) on a target at (x, y): rate x exposure
    from a searcher within patrol_km of it, else 0; returns (their numpy sum, the first searcher
    of the largest, or -1 if none is positive).

    Only the searchers on rows within ``span`` of y (``by_row``, ``rows_within``) can be within
    reach; the others add exact zeros. The sum is numpy's pairwise sum of the whole row of
    hazards (``row``: zeros on entry and on return; ``near``: scratch), taken only if three or
    more are within reach: with fewer, every other term is +0, which leaves any partial sum
    unchanged, so the sum is 0, the one hazard, or the two added."""
    best, best_h, n_near = -1, 0.0, 0
    lo, hi = max(y - span, 0), min(y + span + 1, len(start) - 1)
    for p in range(start[lo], start[hi]):
        k = order[p]
        if within_km(x, y, ux[k], uy[k], km_x, km_y, patrol_km[k]):
            h = rate[k] * exposure
            row[k] = h
            near[n_near] = k
            n_near += 1
            if h > best_h or (h == best_h and h > 0.0 and k < best):
                best, best_h = k, h
    if n_near == 0:
        return 0.0, best
    if n_near == 1:
        total = row[near[0]]
    elif n_near == 2:
        total = row[near[0]] + row[near[1]]
    else:
        total = pairwise_sum(row, 0, len(row))
    for q in range(n_near):
        row[near[q]] = 0.0
    return 0.0 + total, best


@numba.njit(cache=True)
def searchers(strength, syria, ux, uy, patrol_km, effort_km2, mult_iraq, mult_syria, km_y,
              n_rows):
    """The searchers of ``unit_rates`` with their rows (``by_row``) and the rows a target may
    lie from a searcher and still be within the largest patrol radius (``rows_within``)."""
    units, x, y, patrol, rate = unit_rates(strength, syria, ux, uy, patrol_km, effort_km2,
                                           mult_iraq, mult_syria)
    start, order = by_row(y, n_rows)
    span = rows_within(patrol.max(), km_y, n_rows) if len(units) else 0
    return units, x, y, patrol, rate, start, order, span


@numba.njit(cache=True)
def cell_hazards(n, cx, cy, moved, theatre, state, town, exposed, concealment, hideout_at,
                 town_xy, hideout_concealment, blend_concealment, spread_km, moving_share,
                 strength, ux, uy, syria, patrol_km, effort_km2, search_mult, air_xy, air,
                 km_x, km_y, hazard, who):
    """This step's detection hazards of the cells searched for (active, not attacking: state <
    ATTACKING among the first ``n``).

    For each such cell, with (terrain, cover) its ``cover_of``: ground exposure (1 - terrain)
    (1 - cover); the ground hazard summed over living units (``ground_hazard``, effort x the
    phase's search_mult for Iraqi units); the air hazard, summed over the assets a (their
    squares ``air_xy[a]``, ``air[a]`` = (radius_km, rate, factor)), rate x (1 - terrain x
    factor x (moving_share if it moved)) x (1 - cover) within radius_km of the asset; the total
    ground + air + exposed.

    Into column t of ``hazard`` (rows ground, air, total) and of ``who`` (rows the cell, the
    unit with the largest ground hazard, -1 if none is positive, and the asset with the largest
    air hazard, the first of equals), for the t-th cell searched for; returns how many there
    are (the outputs need at least ``n`` columns).
    """
    searched = searchers(strength, syria, ux, uy, patrol_km, effort_km2, search_mult, 1.0, km_y,
                         len(km_x))
    return _cells_searched(n, cx, cy, moved, theatre, state, town, exposed, concealment,
                           hideout_at, town_xy, hideout_concealment, blend_concealment,
                           spread_km, moving_share, searched, air_xy, air, km_x, km_y, hazard,
                           who)


@numba.njit(cache=True)
def _cells_searched(n, cx, cy, moved, theatre, state, town, exposed, concealment, hideout_at,
                    town_xy, hideout_concealment, blend_concealment, spread_km, moving_share,
                    searched, air_xy, air, km_x, km_y, hazard, who):
    """``cell_hazards`` given its searchers (``searchers``, Iraqi units x search_mult)."""
    units, sx, sy, sp, rate, start, order, span = searched
    targets = np.flatnonzero(state[:n] < ATTACKING)
    nt = len(targets)
    terrain, cover = np.empty(nt), np.empty(nt)
    cover_of(targets, cx, cy, moved, theatre, state, town, concealment, hideout_at, town_xy,
             km_x, km_y, hideout_concealment, blend_concealment, spread_km, terrain, cover)
    na = len(air_xy)
    row, near = np.zeros(len(units)), np.empty(len(units), np.int64)
    row_air = np.empty(na)
    for t in range(nt):
        i = targets[t]
        x, y = cx[i], cy[i]
        exposure = (1.0 - terrain[t]) * (1.0 - cover[t])
        ground, best = ground_hazard(x, y, exposure, sx, sy, sp, rate, start, order, span,
                                     km_x, km_y, row, near)
        share = moving_share if moved[i] else 1.0
        best_air = 0
        for a in range(na):
            h = 0.0
            if within_km(x, y, air_xy[a, 0], air_xy[a, 1], km_x, km_y, air[a, 0]):
                seen = terrain[t] * air[a, 2] * share
                h = air[a, 1] * ((1.0 - seen) * (1.0 - cover[t]))
            row_air[a] = h
            if h > row_air[best_air]:
                best_air = a
        air_h = 0.0 + pairwise_sum(row_air, 0, na)
        hazard[0, t], hazard[1, t], hazard[2, t] = ground, air_h, ground + air_h + exposed[i]
        who[0, t], who[1, t], who[2, t] = i, units[best] if best >= 0 else -1, best_air
    return nt


@numba.njit(cache=True)
def site_hazards(a_intact, a_x, a_y, a_exposure, b_intact, b_x, b_y, b_exposure, strength, ux,
                 uy, syria, patrol_km, effort_km2, search_mult, km_x, km_y, sites, hazard):
    """The ground hazards this step of two kinds of sites, A and B (caches and hideouts), in
    one call: for each intact site the hazards from every living unit (``ground_hazard``,
    effort x search_mult for Iraqi units, as for cells, x the kind's exposure) summed.

    Into ``sites`` (the intact sites' indices) and ``hazard``: A's intact sites, then B's;
    returns (how many of A, how many of B), (0, 0) if no unit lives (the outputs need
    len(a_intact) + len(b_intact) entries).
    """
    units, px, py, patrol, rate, start, order, span = searchers(
        strength, syria, ux, uy, patrol_km, effort_km2, search_mult, 1.0, km_y, len(km_x))
    if len(units) == 0:
        return 0, 0
    row, near = np.zeros(len(units)), np.empty(len(units), np.int64)
    searched = (px, py, patrol, rate, start, order, span, km_x, km_y, row, near)
    n_a = _kind_hazards(a_intact, a_x, a_y, a_exposure, searched, sites, hazard, 0)
    n_b = _kind_hazards(b_intact, b_x, b_y, b_exposure, searched, sites, hazard, n_a)
    return n_a, n_b


@numba.njit(cache=True)
def sweep_hazards(n, cx, cy, moved, theatre, state, town, exposed, concealment, hideout_at,
                  town_xy, hideout_concealment, blend_concealment, spread_km, moving_share,
                  strength, ux, uy, syria, patrol_km, effort_km2, search_mult, air_xy, air,
                  km_x, km_y, hazard, who, a_intact, a_x, a_y, a_exposure, b_intact, b_x, b_y,
                  b_exposure, sites, site_hazard):
    """``cell_hazards`` and ``site_hazards`` of one step in one call (their arguments and
    outputs in turn), the searchers sorted by row once for both; returns (how many cells, how
    many sites of A, of B). Both with the same searchers (Iraqi units x search_mult)."""
    searched = searchers(strength, syria, ux, uy, patrol_km, effort_km2, search_mult, 1.0, km_y,
                         len(km_x))
    nt = _cells_searched(n, cx, cy, moved, theatre, state, town, exposed, concealment,
                         hideout_at, town_xy, hideout_concealment, blend_concealment, spread_km,
                         moving_share, searched, air_xy, air, km_x, km_y, hazard, who)
    units, px, py, patrol, rate, start, order, span = searched
    if len(units) == 0:
        return nt, 0, 0
    row, near = np.zeros(len(units)), np.empty(len(units), np.int64)
    by_site = (px, py, patrol, rate, start, order, span, km_x, km_y, row, near)
    n_a = _kind_hazards(a_intact, a_x, a_y, a_exposure, by_site, sites, site_hazard, 0)
    n_b = _kind_hazards(b_intact, b_x, b_y, b_exposure, by_site, sites, site_hazard, n_a)
    return nt, n_a, n_b


@numba.njit(cache=True)
def _kind_hazards(intact, x, y, exposure, searched, sites, hazard, out):
    """One kind's intact sites and their ground hazards into ``sites`` and ``hazard`` from
    index ``out`` on; returns how many."""
    px, py, patrol, rate, start, order, span, km_x, km_y, row, near = searched
    first = out
    for k in range(len(intact)):
        if intact[k]:
            sites[out] = k
            hazard[out], _ = ground_hazard(x[k], y[k], exposure, px, py, patrol, rate, start,
                                           order, span, km_x, km_y, row, near)
            out += 1
    return out - first


@numba.njit(cache=True)
def nearest_unit(x, y, syria_side, strength, ux, uy, syria, patrol_km, patrol_multiple, km_x,
                 km_y):
    """The nearest living unit of one side (``syria == syria_side``) to square (x, y), the first
    of equals, if within patrol_multiple x its patrol_km; else -1."""
    best, best_d = -1, np.inf
    for j in range(len(strength)):
        if strength[j] > 0 and syria[j] == syria_side:
            d = km_between(x, y, ux[j], uy[j], km_x, km_y)
            if d < best_d:
                best, best_d = j, d
    if best >= 0 and best_d <= patrol_multiple * patrol_km[best]:
        return best
    return -1
