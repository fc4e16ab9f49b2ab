"""Compiled inner loops of the cells' decisions (``submodels/decide.py``), cell by cell.

The choice rule itself is stated in ``decide.py``'s docstring; these kernels compute its parts
one planning cell at a time instead of over (cells x candidates) arrays, which is the same thing
because a cell's plan depends only on what it perceives, not on the other cells' plans. Each
figure is the numpy version's, operation for operation in float64 (no fast-math), and "the
best" of a row is numpy's ``argmax`` / ``argmin`` (the first of equals; a NaN wins), so results
are identical to the bit: the fingerprint test pins them, tests/test_decide_kernels.py checks
each kernel against its numpy expression. No random draws here: the caller draws (the candidate
squares, the Gumbel noise) with numpy, in the same order as before, and passes the draws in.

Distances are ``Navigator.distance_km`` between 1-d integer squares:
``sqrt(((x1 - x2) km_x_between[y1 + y2])^2 + ((y1 - y2) km_y)^2)``.
"""

from __future__ import annotations

import numba
import numpy as np


@numba.njit(cache=True)
def _km(ax, ay, bx, by, km_x_between, km_y):
    """``Navigator.distance_km`` between squares (ax, ay) and (bx, by)."""
    dx = (ax - bx) * km_x_between[ay + by]
    dy = (ay - by) * km_y
    return np.sqrt(dx * dx + dy * dy)


@numba.njit(cache=True)
def _near_any(px, py, qx, qy, limit_km, km_x_between, km_y):
    """Whether square (px, py) lies within ``limit_km`` of any square (qx[j], qy[j])."""
    for j in range(len(qx)):
        if _km(px, py, qx[j], qy[j], km_x_between, km_y) <= limit_km:
            return True
    return False


@numba.njit(cache=True)
def _shelter(px, py, concealment, hideout_at, hideout_concealment):
    """``cover.shelter``: 1 - (1 - terrain concealment) x (1 - an intact hideout's)."""
    hideout = hideout_concealment if hideout_at[px, py] >= 0 else 0.0
    return 1.0 - (1.0 - concealment[px, py]) * (1.0 - hideout)


@numba.njit(cache=True)
def _score(px, py, cover, pull, threat, shelter_value):
    """A square's score for a cell: shelter_value x shelter - threat x (1 - shelter) + pull."""
    s = shelter_value * cover - threat[px, py] * (1.0 - cover)
    return s + pull


@numba.njit(cache=True)
def _first_max(v):
    """``np.argmax`` of a 1-d float array: the first of equal maxima, the first NaN if any."""
    best = 0
    for j in range(len(v)):
        if v[j] != v[j]:
            return j
        if v[j] > v[best]:
            best = j
    return best


@numba.njit(cache=True)
def relocation(x, y, t_here, short, reach, gx, gy, hx, hy, m_hideouts, cache_x, cache_y,
               resupply_km, supply_pull, shelter_value, threat, concealment, hideout_at,
               hideout_concealment, area, bank, km_x_between, km_y):
    """Each planning cell's best relocation (decide.py's docstring), and whether it stands
    within ``resupply_km`` of a stocked cache.

    Candidates of cell i: its random squares (gx[i], gy[i]), then its ``m_hideouts`` nearest
    hideouts (hx, hy) (ties by index), each one if within reach[i] km, else its own square.
    A candidate counts if inside ``area`` and on its bank; score = shelter_value x shelter -
    threat x (1 - shelter) + (supply_pull if the cell is short and the square within
    resupply_km of a cache (cache_x, cache_y), else 0). Returns (gain = best score - score of
    its own square, move risk = t_here x max(1 - terrain - (1 - shelter here), 0), best x,
    best y, near a cache here).
    """
    n, r = gx.shape
    gain = np.empty(n)
    move_risk = np.empty(n)
    best_x = np.empty(n, np.intp)
    best_y = np.empty(n, np.intp)
    near_here = np.empty(n, np.bool_)
    cx = np.empty(r + m_hideouts, np.intp)
    cy = np.empty(r + m_hideouts, np.intp)
    cand = np.empty(r + m_hideouts)
    d_hideout = np.empty(len(hx))
    taken = np.empty(len(hx), np.bool_)
    for i in range(n):
        ax, ay = x[i], y[i]
        for j in range(r):
            cx[j], cy[j] = gx[i, j], gy[i, j]
        for h in range(len(hx)):
            d_hideout[h] = _km(ax, ay, hx[h], hy[h], km_x_between, km_y)
            taken[h] = False
        for j in range(m_hideouts):
            # the j-th nearest hideout (ties by index): np.argsort(kind="stable")[j]
            h_best, d_best = -1, np.inf
            for h in range(len(hx)):
                if not taken[h] and (h_best < 0 or d_hideout[h] < d_best):
                    h_best, d_best = h, d_hideout[h]
            taken[h_best] = True
            within = d_best <= reach[i]
            cx[r + j] = hx[h_best] if within else ax
            cy[r + j] = hy[h_best] if within else ay
        for j in range(r + m_hideouts):
            px, py = cx[j], cy[j]
            if area[px, py] and bank[px, py] == bank[ax, ay]:
                pull = 0.0
                if short[i] and _near_any(px, py, cache_x, cache_y, resupply_km, km_x_between,
                                          km_y):
                    pull = supply_pull
                cover = _shelter(px, py, concealment, hideout_at, hideout_concealment)
                cand[j] = _score(px, py, cover, pull, threat, shelter_value)
            else:
                cand[j] = -np.inf
        best = _first_max(cand)
        near_here[i] = _near_any(ax, ay, cache_x, cache_y, resupply_km, km_x_between, km_y)
        here = _shelter(ax, ay, concealment, hideout_at, hideout_concealment)
        pull = supply_pull if short[i] and near_here[i] else 0.0
        gain[i] = cand[best] - _score(ax, ay, here, pull, threat, shelter_value)
        moving = 1.0 - concealment[ax, ay]   # a mover keeps its terrain, not its hideout
        rise = moving - (1.0 - here)
        move_risk[i] = t_here[i] * (rise if rise >= 0.0 or rise != rise else 0.0)
        best_x[i], best_y[i] = cx[best], cy[best]
    return gain, move_risk, best_x, best_y, near_here


@numba.njit(cache=True)
def pressure(idx, n_cells, t_here, link_a, link_b, link_alive, links0, home_cache,
             cache_intact, loss_weight):
    """Pressure on cells ``idx``: t_here + loss_weight x (share of its courier links cut
    (1 - alive links / links at day 0, 0 without links at day 0) + its home cache lost) / 2,
    as ``t_here + loss_weight x (0.5 links_lost + 0.5 cache_lost)``."""
    links_now = np.zeros(n_cells, np.int64)
    for k in range(len(link_a)):
        if link_alive[k]:
            if link_a[k] < n_cells:
                links_now[link_a[k]] += 1
            if link_b[k] < n_cells:
                links_now[link_b[k]] += 1
    out = np.empty(len(idx))
    for i in range(len(idx)):
        c = idx[i]
        lost = 1.0 - links_now[c] / max(links0[c], 1) if links0[c] > 0 else 0.0
        home = home_cache[c]
        cache_lost = 1.0 if home >= 0 and not cache_intact[home] else 0.0
        out[i] = t_here[i] + loss_weight * (0.5 * lost + 0.5 * cache_lost)
    return out


@numba.njit(cache=True)
def best_exits(x, y, pressed, connected, ex, ey, risk, on_route, route_bonus, slip_reach,
               perception_km, km_x_between, km_y):
    """Each pressed cell's best exit: value = 1 - risk - distance / slip_reach + (route_bonus
    on a known route), over the exits it knows (connected, within perception_km, or on a known
    route; else -inf). Returns (value, exit x, exit y); an unpressed cell gets (-inf, x, y)."""
    n = len(x)
    value = np.full(n, -np.inf)
    exit_x = x.copy()
    exit_y = y.copy()
    v = np.empty(len(ex))
    for i in range(n):
        if not pressed[i]:
            continue
        for j in range(len(ex)):
            d = _km(x[i], y[i], ex[j], ey[j], km_x_between, km_y)
            if connected[i] or d <= perception_km or on_route[j]:
                bonus = route_bonus if on_route[j] else 0.0
                v[j] = 1.0 - risk[j] - d / slip_reach[i] + bonus
            else:
                v[j] = -np.inf
        j = _first_max(v)
        value[i], exit_x[i], exit_y[i] = v[j], ex[j], ey[j]
    return value, exit_x, exit_y


@numba.njit(cache=True)
def weakest_in_reach(x, y, fighters, low, ux, uy, engaged, ambush_range_km, ambush_odds,
                     km_x_between, km_y):
    """Each cell's ambush target: among units within ambush_range_km whose engaged strength is
    <= fighters / ambush_odds, the one of least engaged strength (the first of equals); -1
    (as index into ux) for none, or for a cell short of supply."""
    n = len(x)
    target = np.full(n, -1, np.intp)
    for i in range(n):
        if low[i]:
            continue
        cap = fighters[i] / ambush_odds
        best, e_best = 0, np.inf
        for j in range(len(ux)):
            if (_km(x[i], y[i], ux[j], uy[j], km_x_between, km_y) <= ambush_range_km
                    and engaged[j] <= cap and engaged[j] < e_best):
                best, e_best = j, engaged[j]
        if np.isfinite(e_best):
            target[i] = best
    return target


@numba.njit(cache=True)
def choose_options(threat, gain, relocate_cost, move_risk, pressed, breakout, ambush_ok,
                   ambush_appetite, ambush_threat_scale, can_call, call_appetite,
                   pressure_rise, temperature, noise):
    """The option of highest utility + temperature x noise[i] (noise (n, 5) Gumbel draws, or
    (0, 5) for none) of each cell, options in ``state.Action`` order: hide 0, relocate gain -
    relocate_cost - move_risk, break out ``breakout`` if pressed, ambush ambush_appetite x
    (1 - threat / ambush_threat_scale) if ambush_ok, call call_appetite x pressure_rise - threat
    if can_call; an option not open is -inf."""
    n = len(threat)
    action = np.empty(n, np.int8)
    u = np.empty(5)
    for i in range(n):
        u[0] = 0.0
        u[1] = gain[i] - relocate_cost - move_risk[i]
        u[2] = breakout[i] if pressed[i] else -np.inf
        u[3] = ambush_appetite * (1.0 - threat[i] / ambush_threat_scale) if ambush_ok[i] \
            else -np.inf
        u[4] = call_appetite * pressure_rise[i] - threat[i] if can_call[i] else -np.inf
        if len(noise):
            for k in range(5):
                u[k] = u[k] + temperature * noise[i, k]
        action[i] = _first_max(u)
    return action
