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

from encircle_sim.navigation_kernels import square_km

# state.Action, state.CellState.ATTACKING and state.Theatre.IRAQ, as numba constants
HIDE, RELOCATE, SLIP, AMBUSH, CALL = 0, 1, 2, 3, 4
ATTACKING = 3
IRAQ = 0


@numba.njit(cache=True)
def _near_any(px, py, qx, qy, q_ok, limit_km, km_x_between, km_y):
    """Whether square (px, py) lies within ``limit_km`` of any square (qx[j], qy[j]) with
    q_ok[j]."""
    for j in range(len(qx)):
        # a distance is at least its north-south part, in floating point too (sqrt(dx^2 +
        # dy^2) >= sqrt(dy^2) = |dy|): a square further along y alone is passed over unmeasured
        if (q_ok[j] and abs((py - qy[j]) * km_y) <= limit_km
                and square_km(px, py, qx[j], qy[j], km_x_between, km_y) <= limit_km):
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
def keep_to_plan(n_cells, state, theatre, x_all, y_all, threat, exposed, supply, action_all,
                 goal_x_all, goal_y_all, plan_until, replan, planned_threat, steps,
                 low_supply_days, speed_kmh, low_supply_speed, move_hours_per_day, dt_days,
                 replan_threat_rise):
    """What the active cells of Iraq (``active``: cells 0..n_cells-1 with state <= ATTACKING and
    theatre IRAQ) perceive and keep to this step. Returns (active, t_here = threat[x, y] +
    exposed, low = supply < low_supply_days, budget = speed_kmh x (low_supply_speed if low else
    1) x move_hours_per_day x dt_days, action, goal x, goal y, due: positions in ``active`` of
    the cells that plan now), and writes the plans kept into the cell table (action_all,
    goal_x_all, goal_y_all). The plan kept: a relocation whose goal is reached, an ambush or a
    call becomes hiding, and a hiding cell's goal is its square. A cell is due when steps >=
    plan_until, it is flagged to replan, or t_here > planned_threat + replan_threat_rise."""
    n = 0
    for c in range(n_cells):
        if state[c] <= ATTACKING and theatre[c] == IRAQ:
            n += 1
    active = np.empty(n, np.intp)
    t_here = np.empty(n)
    low = np.empty(n, np.bool_)
    budget = np.empty(n)
    action = np.empty(n, np.int8)
    goal_x = np.empty(n, np.int32)
    goal_y = np.empty(n, np.int32)
    due = np.empty(n, np.intp)
    n_due = 0
    i = 0
    for c in range(n_cells):
        if not (state[c] <= ATTACKING and theatre[c] == IRAQ):
            continue
        active[i] = c
        x, y = x_all[c], y_all[c]
        t_here[i] = threat[x, y] + exposed[c]
        low[i] = supply[c] < low_supply_days
        budget[i] = (speed_kmh * (low_supply_speed if low[i] else 1.0) * move_hours_per_day
                     * dt_days)
        a, gx, gy = action_all[c], goal_x_all[c], goal_y_all[c]
        if (a == RELOCATE and x == gx and y == gy) or a == AMBUSH or a == CALL:
            a = HIDE
        if a == HIDE:
            gx, gy = x, y
        action[i], goal_x[i], goal_y[i] = a, gx, gy
        action_all[c], goal_x_all[c], goal_y_all[c] = a, gx, gy
        if (steps >= plan_until[c] or replan[c]
                or t_here[i] > planned_threat[c] + replan_threat_rise):
            due[n_due] = i
            n_due += 1
        i += 1
    return active, t_here, low, budget, action, goal_x, goal_y, due[:n_due]


@numba.njit(cache=True)
def record_plans(active, due, new_action, reloc_x, reloc_y, exit_x, exit_y, action, goal_x,
                 goal_y, t_here, x_all, y_all, steps, slip_steps, plan_steps, action_all,
                 goal_x_all, goal_y_all, plan_until, planned_threat, replan):
    """Writes this step's new plans: cell active[due[i]] takes new_action[i], heading for its
    relocation square (relocate), its exit (break out) or staying on its square (otherwise),
    plans again after max(slip_steps (break out) or plan_steps, 1) steps, and remembers the
    threat t_here it planned under; into the cell table and into the active cells' ``action``,
    ``goal_x``, ``goal_y``."""
    for i in range(len(due)):
        k = due[i]
        c = active[k]
        a = new_action[i]
        if a == RELOCATE:
            gx, gy = reloc_x[i], reloc_y[i]
        elif a == SLIP:
            gx, gy = exit_x[i], exit_y[i]
        else:
            gx, gy = x_all[c], y_all[c]
        action[k], goal_x[k], goal_y[k] = a, gx, gy
        action_all[c], goal_x_all[c], goal_y_all[c] = a, gx, gy
        plan_until[c] = steps + max(slip_steps if a == SLIP else plan_steps, 1)
        planned_threat[c] = t_here[k]
        replan[c] = False


@numba.njit(cache=True)
def random_squares(x, y, reach, u_radius, cos_angle, sin_angle, km_x, km_y, snap_x, snap_y):
    """``Navigator.random_points_in_disc`` around squares (x[i], y[i]) of radius reach[i] km,
    from its draws (u_radius, and the cos and sin of the angles, numpy's: ``navigation.disc_draws``;
    (cells, points) each): r = reach sqrt(u_radius), the square rint(x + r cos_angle / km_x[y]),
    rint(y + r sin_angle / km_y), clipped to the grid and snapped to open ground (snap_x, snap_y:
    the nearest open square of each square)."""
    n, k = u_radius.shape
    nx, ny = snap_x.shape
    gx = np.empty((n, k), np.intp)
    gy = np.empty((n, k), np.intp)
    for i in range(n):
        for j in range(k):
            r = reach[i] * np.sqrt(u_radius[i, j])
            px = np.int32(np.rint(x[i] + r * cos_angle[i, j] / km_x[y[i]]))
            py = np.int32(np.rint(y[i] + r * sin_angle[i, j] / km_y))
            px = min(max(px, 0), nx - 1)
            py = min(max(py, 0), ny - 1)
            gx[i, j], gy[i, j] = snap_x[px, py], snap_y[px, py]
    return gx, gy


@numba.njit(cache=True)
def _rows_of(qy, among, ny):
    """The squares h in ``among`` grouped by their row qy[h] (a counting sort, stable):
    ``order[row_start[r]:row_start[r + 1]]`` are those of row r, in the order of ``among``."""
    row_start = np.zeros(ny + 1, np.intp)
    for k in range(len(among)):
        row_start[qy[among[k]] + 1] += 1
    for r in range(ny):
        row_start[r + 1] += row_start[r]
    order = np.empty(len(among), np.intp)
    filled = row_start[:-1].copy()
    for k in range(len(among)):
        h = among[k]
        order[filled[qy[h]]] = h
        filled[qy[h]] += 1
    return row_start, order


@numba.njit(cache=True)
def _nearest(px, py, qx, qy, row_start, order, km_x_between, km_y, nearest, d_nearest):
    """The len(nearest) squares (qx[h], qy[h]), h in ``order`` (grouped by row: ``_rows_of``),
    nearest to (px, py), nearest first, ties by h (``among[np.argsort(d, kind="stable")[:m]]``
    for ``among`` ascending), into ``nearest`` (their h) and ``d_nearest`` (their distances).
    The rows are visited outward from py (py, py - 1, py + 1, ...) until a row's north-south
    distance alone exceeds the m-th best so far (a distance is at least its north-south part,
    exactly: sqrt(fl(dy^2)) = |dy|, and dx^2 >= 0), keeping the m best by (distance, h) in
    order. Distances must not be NaN."""
    m = len(nearest)
    if m == 0:
        return
    ny = len(row_start) - 1
    kept = 0
    for o in range(max(py + 1, ny - py)):
        if kept == m and o * km_y > d_nearest[m - 1]:
            break
        for side in range(2 if o else 1):
            r = py - o if side == 0 else py + o
            if r < 0 or r >= ny:
                continue
            for k in range(row_start[r], row_start[r + 1]):
                h = order[k]
                d = square_km(px, py, qx[h], qy[h], km_x_between, km_y)
                if kept == m and not (d < d_nearest[m - 1]
                                      or (d == d_nearest[m - 1] and h < nearest[m - 1])):
                    continue
                p = kept if kept < m else m - 1
                while p > 0 and (d < d_nearest[p - 1]
                                 or (d == d_nearest[p - 1] and h < nearest[p - 1])):
                    nearest[p], d_nearest[p] = nearest[p - 1], d_nearest[p - 1]
                    p -= 1
                nearest[p], d_nearest[p] = h, d
                if kept < m:
                    kept += 1


@numba.njit(cache=True)
def relocation(x, y, t_here, short, reach, gx, gy, hideout_x, hideout_y, hideout_intact,
               m_hideouts, cache_x, cache_y, cache_ok, resupply_km, supply_pull,
               shelter_value, threat, concealment, hideout_at, hideout_concealment, area, bank,
               km_x_between, km_y):
    """Each planning cell's best relocation (decide.py's docstring), and whether it stands
    within ``resupply_km`` of a stocked cache (cache_ok).

    Candidates of cell i: its random squares (gx[i], gy[i]), then its min(m_hideouts, intact
    hideouts) nearest intact hideouts (ties by index), each one if within reach[i] km, else its
    own square. A candidate counts if inside ``area`` and on its bank; score = shelter_value x
    shelter - threat x (1 - shelter) + (supply_pull if the cell is short and the square within
    resupply_km of a stocked cache, else 0). Returns (gain = best score - score of its own
    square, move risk = t_here x max(1 - terrain - (1 - shelter here), 0), best x, best y,
    near a cache here).
    """
    n, r = gx.shape
    intact = np.flatnonzero(hideout_intact)
    m_hideouts = min(m_hideouts, len(intact))
    row_start, order = _rows_of(hideout_y, intact, area.shape[1])
    gain = np.empty(n)
    move_risk = np.empty(n)
    best_x = np.empty(n, np.intp)
    best_y = np.empty(n, np.intp)
    near_here = np.empty(n, np.bool_)
    cx = np.empty(r + m_hideouts, np.intp)
    cy = np.empty(r + m_hideouts, np.intp)
    cand = np.empty(r + m_hideouts)
    nearest = np.empty(m_hideouts, np.intp)
    d_nearest = np.empty(m_hideouts)
    for i in range(n):
        ax, ay = x[i], y[i]
        for j in range(r):
            cx[j], cy[j] = gx[i, j], gy[i, j]
        _nearest(ax, ay, hideout_x, hideout_y, row_start, order, km_x_between, km_y, nearest,
                 d_nearest)
        for j in range(m_hideouts):
            within = d_nearest[j] <= reach[i]
            cx[r + j] = hideout_x[nearest[j]] if within else ax
            cy[r + j] = hideout_y[nearest[j]] if within else ay
        for j in range(r + m_hideouts):
            px, py = cx[j], cy[j]
            if area[px, py] and bank[px, py] == bank[ax, ay]:
                pull = 0.0
                if short[i] and _near_any(px, py, cache_x, cache_y, cache_ok, resupply_km,
                                          km_x_between, km_y):
                    pull = supply_pull
                cover = _shelter(px, py, concealment, hideout_at, hideout_concealment)
                cand[j] = _score(px, py, cover, pull, threat, shelter_value)
            else:
                cand[j] = -np.inf
        best = _first_max(cand)
        near_here[i] = _near_any(ax, ay, cache_x, cache_y, cache_ok, resupply_km, km_x_between,
                                 km_y)
        here = _shelter(ax, ay, concealment, hideout_at, hideout_concealment)
        pull = supply_pull if short[i] and near_here[i] else 0.0
        gain[i] = cand[best] - _score(ax, ay, here, pull, threat, shelter_value)
        moving = 1.0 - concealment[ax, ay]   # a mover keeps its terrain, not its hideout
        rise = moving - (1.0 - here)
        move_risk[i] = t_here[i] * (rise if rise >= 0.0 or rise != rise else 0.0)
        best_x[i], best_y[i] = cx[best], cy[best]
    return gain, move_risk, best_x, best_y, near_here


@numba.njit(cache=True)
def pressures(idx, t_here, near_cache, connected_all, link_a, link_b, link_alive, links0,
              home_cache, cache_intact, call_pressure, group_pressure, calls_possible,
              loss_weight, attachment, slip_threat, call_pressure_rise):
    """For cells ``idx``: (pressure, holds, pressed, pressure rise, can call, connected).

    pressure = t_here + loss_weight x (0.5 links_lost + 0.5 cache_lost), links_lost the share
    of its courier links cut (1 - alive links / links at day 0; 0 without links at day 0),
    cache_lost its home cache destroyed; holds = attachment x 0.5 x (near_cache + connected);
    pressed = pressure >= slip_threat; rise = group_pressure - call_pressure; can call =
    connected and calls_possible and rise >= call_pressure_rise."""
    n_cells = len(links0)
    links_now = np.zeros(n_cells, np.int64)
    for k in range(len(link_a)):
        if link_alive[k]:
            if link_a[k] < n_cells:
                links_now[link_a[k]] += 1
            if link_b[k] < n_cells:
                links_now[link_b[k]] += 1
    n = len(idx)
    pressure = np.empty(n)
    holds = np.empty(n)
    pressed = np.empty(n, np.bool_)
    rise = np.empty(n)
    can_call = np.empty(n, np.bool_)
    connected = np.empty(n, np.bool_)
    for i in range(n):
        c = idx[i]
        lost = 1.0 - links_now[c] / max(links0[c], 1) if links0[c] > 0 else 0.0
        home = home_cache[c]
        cache_lost = 1.0 if home >= 0 and not cache_intact[home] else 0.0
        pressure[i] = t_here[i] + loss_weight * (0.5 * lost + 0.5 * cache_lost)
        connected[i] = connected_all[c]
        holds[i] = attachment * 0.5 * ((1.0 if near_cache[i] else 0.0)
                                       + (1.0 if connected[i] else 0.0))
        pressed[i] = pressure[i] >= slip_threat
        rise[i] = group_pressure - call_pressure[c]
        can_call[i] = connected[i] and calls_possible and rise[i] >= call_pressure_rise
    return pressure, holds, pressed, rise, can_call, connected


@numba.njit(cache=True)
def breakout(x, y, pressed, connected, pressure, holds, move_risk, budget, ex, ey, into_syria,
             on_route, threat, slip_threat, slip_horizon_days, dt_days, exit_risk_cap,
             sealing, route_bonus, perception_km, km_x_between, km_y):
    """Each pressed cell's utility of breaking out and its exit: pressure - slip_threat - holds
    - move_risk + the best value, over the exits (ex, ey) it knows (connected, within
    perception_km, or on a known route), of 1 - risk - distance / slip_reach + (route_bonus on
    a known route); risk = min(threat there, exit_risk_cap) + (sealing into Syria), slip_reach
    = max(budget x slip_horizon_days / dt_days, 1e-6). Returns (utility, exit x, exit y); -inf
    and the cell's own square for an unpressed cell, or one that knows no exit."""
    n = len(x)
    utility = np.full(n, -np.inf)
    exit_x = x.copy()
    exit_y = y.copy()
    risk = np.empty(len(ex))
    for j in range(len(ex)):
        t = threat[ex[j], ey[j]]
        t = t if t <= exit_risk_cap or t != t else exit_risk_cap   # np.minimum
        risk[j] = t + (sealing if into_syria[j] else 0.0)
    v = np.empty(len(ex))
    for i in range(n):
        if not pressed[i] or len(ex) == 0:
            continue
        reach = budget[i] * slip_horizon_days / dt_days
        reach = reach if reach >= 1e-6 or reach != reach else 1e-6   # np.maximum
        for j in range(len(ex)):
            d = square_km(x[i], y[i], ex[j], ey[j], km_x_between, km_y)
            if connected[i] or d <= perception_km or on_route[j]:
                bonus = route_bonus if on_route[j] else 0.0
                v[j] = 1.0 - risk[j] - d / reach + bonus
            else:
                v[j] = -np.inf
        j = _first_max(v)
        utility[i] = pressure[i] - slip_threat - holds[i] - move_risk[i] + v[j]
        exit_x[i], exit_y[i] = ex[j], ey[j]
    return utility, exit_x, exit_y


@numba.njit(cache=True)
def weakest_in_reach(idx, x, y, fighters, low, unit_x, unit_y, strength, engaged_max, syria,
                     ambush_range_km, ambush_odds, km_x_between, km_y):
    """Each cell's ambush target: among the live units in Iraq (strength > 0, not syria) within
    ambush_range_km whose engaged strength min(strength, int(engaged_max)) is <= fighters /
    ambush_odds, the one of least engaged strength (the first of equals); -1 for none, or for
    a cell short of supply. (A unit too strong, or no weaker than the best so far, is passed
    over before its distance is worked out.)"""
    n = len(idx)
    target = np.full(n, -1, np.int64)
    for i in range(n):
        if low[i]:
            continue
        cap = fighters[idx[i]] / ambush_odds
        best, e_best = -1, np.inf
        for j in range(len(unit_x)):
            if strength[j] <= 0 or syria[j]:
                continue
            e = np.float64(min(strength[j], np.int64(engaged_max[j])))
            if (e <= cap and e < e_best and square_km(x[i], y[i], unit_x[j], unit_y[j],
                                                      km_x_between, km_y) <= ambush_range_km):
                best, e_best = j, e
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


@numba.njit(cache=True)
def plan(active, due, t_here_all, low_all, budget_all, action, goal_x, goal_y,
         u_radius, cos_angle, sin_angle, noise,
         x_all, y_all, fighters, links0, home_cache, call_pressure, connected_all, action_all,
         goal_x_all, goal_y_all, plan_until, planned_threat, replan,
         threat, concealment, hideout_at, area, bank, km_x, km_y, km_x_between, snap_x, snap_y,
         hideout_x, hideout_y, hideout_intact, cache_x, cache_y, cache_intact, cache_stock,
         link_a, link_b, link_alive, unit_x, unit_y, strength, engaged_max, syria,
         ex, ey, into_syria, on_route,
         steps, plan_steps, slip_steps, dt_days, m_hideouts, relocate_cost, supply_pull,
         shelter_value, hideout_concealment, resupply_km, group_pressure, calls_possible,
         loss_weight, attachment, slip_threat, call_pressure_rise, slip_horizon_days,
         exit_risk_cap, sealing, route_bonus, perception_km, ambush_range_km, ambush_odds,
         ambush_appetite, ambush_threat_scale, call_appetite, temperature):
    """New plans of the cells due to plan (active[due]), the kernels above in turn: random
    squares from the draws (u_radius, cos_angle, sin_angle), relocation, pressures, breakout,
    ambush target, the choice with the Gumbel draws ``noise``, and ``record_plans``; then a
    cell that calls remembers the group's pressure (call_pressure). Returns (the cells that
    call, the cells that ambush, their target units)."""
    n = len(due)
    idx = np.empty(n, np.intp)
    x = np.empty(n, np.intp)
    y = np.empty(n, np.intp)
    t_here = np.empty(n)
    low = np.empty(n, np.bool_)
    budget = np.empty(n)
    reach = np.empty(n)
    for i in range(n):
        k = due[i]
        c = active[k]
        idx[i], x[i], y[i] = c, x_all[c], y_all[c]
        t_here[i], low[i], budget[i] = t_here_all[k], low_all[k], budget_all[k]
        reach[i] = budget[i] * plan_steps

    # relocation: random squares and the nearest hideouts it can reach before it plans again
    gx, gy = random_squares(x, y, reach, u_radius, cos_angle, sin_angle, km_x, km_y, snap_x,
                            snap_y)
    cache_ok = np.empty(len(cache_x), np.bool_)
    for j in range(len(cache_x)):
        cache_ok[j] = cache_intact[j] and cache_stock[j] > 0
    gain, move_risk, reloc_x, reloc_y, near_cache = relocation(
        x, y, t_here, low, reach, gx, gy, hideout_x, hideout_y, hideout_intact, m_hideouts,
        cache_x, cache_y, cache_ok, resupply_km, supply_pull, shelter_value, threat,
        concealment, hideout_at, hideout_concealment, area, bank, km_x_between, km_y)

    # pressure on each cell, what holds it to its ground, and whether it may call
    pressure, holds, pressed, rise, can_call, connected = pressures(
        idx, t_here, near_cache, connected_all, link_a, link_b, link_alive, links0, home_cache,
        cache_intact, call_pressure, group_pressure, calls_possible, loss_weight, attachment,
        slip_threat, call_pressure_rise)

    # breaking out: the exit with the best mix of low cover by forces, distance and a route
    value, exit_x, exit_y = breakout(
        x, y, pressed, connected, pressure, holds, move_risk, budget, ex, ey, into_syria,
        on_route, threat, slip_threat, slip_horizon_days, dt_days, exit_risk_cap, sealing,
        route_bonus, perception_km, km_x_between, km_y)

    # ambush: the weakest unit within range that the cell can take on
    target = weakest_in_reach(idx, x, y, fighters, low, unit_x, unit_y, strength, engaged_max,
                              syria, ambush_range_km, ambush_odds, km_x_between, km_y)

    new_action = choose_options(t_here, gain, relocate_cost, move_risk, np.isfinite(value),
                                value, target >= 0, ambush_appetite, ambush_threat_scale,
                                can_call, call_appetite, rise, temperature, noise)
    record_plans(active, due, new_action, reloc_x, reloc_y, exit_x, exit_y, action, goal_x,
                 goal_y, t_here_all, x_all, y_all, steps, slip_steps, plan_steps, action_all,
                 goal_x_all, goal_y_all, plan_until, planned_threat, replan)
    n_calls = n_ambushes = 0
    for i in range(n):
        n_calls += new_action[i] == CALL
        n_ambushes += new_action[i] == AMBUSH
    calls = np.empty(n_calls, np.intp)
    ambushers = np.empty(n_ambushes, np.intp)
    targets = np.empty(n_ambushes, np.intp)
    n_calls = n_ambushes = 0
    for i in range(n):
        if new_action[i] == CALL:
            calls[n_calls] = idx[i]
            call_pressure[idx[i]] = group_pressure
            n_calls += 1
        elif new_action[i] == AMBUSH:
            ambushers[n_ambushes], targets[n_ambushes] = idx[i], target[i]
            n_ambushes += 1
    return calls, ambushers, targets
