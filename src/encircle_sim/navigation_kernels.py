"""Compiled inner loops of ``navigation.Navigator`` (numba), agent by agent.

The move rule itself is described in ``navigation.py``; these kernels carry it out one agent at
a time instead of over whole arrays, which is the same thing because agents do not interact
within ``Navigator.advance``. Each agent's arithmetic is the numpy version's, operation for
operation in float64 (no fast-math), so results are identical to the bit: the fingerprint test
pins them. Compiled once and cached on disk (``cache=True``), so a fresh process or a Dask worker
loads the machine code instead of compiling it again.
"""

from __future__ import annotations

import numba
import numpy as np

# The 8 neighbour offsets in navigation.OFFSETS order (numba compiles them in as constants).
OFFSET_X = np.array([1, -1, 0, 0, 1, 1, -1, -1], np.intp)
OFFSET_Y = np.array([0, 0, 1, -1, 1, -1, 1, -1], np.intp)

#: What ``move_agents`` reports for an agent that has finished its moves for this call.
FINISHED = -1


@numba.njit(cache=True)
def advance_agents(x, y, gx, gy, left, road, routed, travelled, resume, at, route_slot, fields,
                   field_used, field_reach, clock, bank, crossing_banks, crossings_sq,
                   to_crossing, free, near_crossing, legal, next_sq, move_cost, move_road,
                   move_km, crossing, km_x, km_y, ny, pad_steps, max_moves):
    """``Navigator.advance`` agent by agent: x, y, left (the budget), routed and travelled are
    updated in place; returns how many agents paused for a route field not yet computed.
    ``road`` (the road factor) has one value per agent, or one for all.

    First call (``resume`` False): an agent moves if its budget is > 0 and it is not at its goal.
    Its waypoint is its goal, or, if the goal lies on another bank (banks > 0 and different),
    the crossing c minimising ``to_crossing[here, c] + to_crossing[goal, c]`` (the first of
    equals) among the crossings touching both banks, or if there are none among those touching
    its own bank (none either: the goal). Then up to ``max_moves`` loops of the move rule.
    At the end ``routed[a] &= (x[a], y[a]) != (gx[a], gy[a])``.

    An agent on a route field reads the field to its goal from ``fields[route_slot[goal]]`` (a
    padded field, flat; ``field_used`` of the slot set to ``clock``), which is exact on a square
    and its neighbours where it is at most ``field_reach`` of the slot (a field computed only so
    far from its goal). One whose field is not there (slot < 0), or does not reach its square,
    pauses: its move number, square and waypoint are kept in ``at[0]``, ``at[1]``, ``at[2]``
    (for the others ``at[0]`` is ``FINISHED``), so that the caller can
    compute the field (Dijkstra, in Python) and call again with ``resume`` True for the paused
    agents alone.

    Tables are flat, by square (x ny + y) or by move ((x ny + y) 8 + k, k the neighbour).
    """
    n = len(x)
    paused = 0
    inf = np.inf
    n_cross = len(crossings_sq)
    for a in range(n):
        goal = gx[a] * ny + gy[a]
        if resume:
            it = at[0, a]
            if it < 0:
                continue
            s, w = at[1, a], at[2, a]
        else:
            s = x[a] * ny + y[a]
            if not (left[a] > 0 and s != goal):
                at[0, a] = FINISHED
                if s == goal:
                    routed[a] = False
                continue
            it = 0
            # the waypoint: the goal, or the crossing of least detour if it is across a river
            w = goal
            b_here, b_goal = bank[s], bank[goal]
            if b_here > 0 and b_goal > 0 and b_here != b_goal and n_cross > 0:
                both_any = False
                for c in range(n_cross):
                    if crossing_banks[c, b_here] and crossing_banks[c, b_goal]:
                        both_any = True
                        break
                j, d_j, has = 0, inf, False
                for c in range(n_cross):
                    cand = crossing_banks[c, b_here] and (
                        crossing_banks[c, b_goal] or not both_any)
                    d = to_crossing[s, c] + to_crossing[goal, c] if cand else inf
                    if d < d_j:
                        j, d_j = c, d
                    has = has or cand
                if has:
                    w = crossings_sq[j]
        gone, on_field = travelled[a], routed[a]
        while it < max_moves:
            ax, ay = s // ny, s % ny
            base = s * 8
            slot = -1
            here = 0
            if on_field:
                slot = route_slot[goal]
                if slot < 0:
                    break
                here = (ax + 1) * (ny + 2) + ay + 1
                if not np.float64(fields[slot, here + pad_steps[8]]) <= field_reach[slot]:
                    break
            # the nearest allowed neighbour to the waypoint (the first of equals), and how near
            # the square itself is
            best, d_best = 0, inf
            if on_field:
                # down the route field to the goal: any legal neighbour
                f = fields[slot]
                field_used[slot] = clock
                d_now = np.float64(f[here + pad_steps[8]])
                for k in range(8):
                    dk = np.float64(f[here + pad_steps[k]]) if legal[base + k] else inf
                    if dk < d_best:
                        best, d_best = k, dk
            else:
                # greedy descent: squared km to the waypoint; a crossing may be entered only if
                # it is the waypoint
                kx = km_x[ay]
                ex, ey = ax - w // ny, ay - w % ny
                u, v = ex * kx, ey * km_y
                d_now = u * u + v * v
                to_wp = near_crossing[s] and crossing[w]
                for k in range(8):
                    ok = free[base + k] or (to_wp and legal[base + k] and next_sq[base + k] == w)
                    if ok:
                        u, v = (ex + OFFSET_X[k]) * kx, (ey + OFFSET_Y[k]) * km_y
                        dk = u * u + v * v
                    else:
                        dk = inf
                    if dk < d_best:
                        best, d_best = k, dk
            improves = d_best < d_now - 1e-9
            move = base + best
            step_km = move_km[move]
            cost = move_cost[move]
            if move_road[move]:
                r = road[a] if len(road) > 1 else road[0]
                cost = cost if cost <= r else r   # np.minimum, NaN aside
            cost = cost * step_km
            # the first move of a call is made even if dearer than what is left
            affordable = cost <= left[a] + 1e-9 or gone == 0
            can = improves and affordable
            done = False
            if can:
                to = next_sq[move]
                s = to
                rest = left[a] - cost
                left[a] = rest if rest >= 0.0 or rest != rest else 0.0   # np.maximum(rest, 0.0)
                gone += step_km
                done = crossing[to] or to == goal
                if to == w and not done:
                    w = goal                     # at the waypoint: on toward the goal
            stuck = not improves and affordable and not on_field
            if stuck:
                on_field = True                  # descends the route field from the next move
            it += 1
            if not ((can and not done) or stuck):
                it = FINISHED
                break
        if it >= max_moves:
            it = FINISHED
        travelled[a], routed[a] = gone, on_field
        if it != FINISHED:                       # waiting for its route field
            at[0, a], at[1, a], at[2, a] = it, s, w
            paused += 1
            continue
        at[0, a] = FINISHED
        x[a], y[a] = s // ny, s % ny
        if s == goal:
            routed[a] = False
    return paused


@numba.njit(cache=True)
def square_km(x1, y1, x2, y2, km_x_between, km_y):
    """``Navigator.distance_km`` between two squares, for other kernels: sqrt(dx^2 + dy^2) with
    dx = (x1 - x2) km_x_between[y1 + y2], dy = (y1 - y2) km_y (the same float64 operations)."""
    dx = (x1 - x2) * km_x_between[y1 + y2]
    dy = (y1 - y2) * km_y
    return np.sqrt(dx * dx + dy * dy)


@numba.njit(cache=True)
def distance_matrix_km(x1, y1, x2, y2, km_x_between, km_y, out):
    """``Navigator.distance_km`` between every square (x1, y1) and every square (x2, y2), all
    1-d integer arrays, into ``out`` (len(x1), len(x2)): the numpy version's float64 operations
    element by element. Returns False, ``out`` unfinished, if a row y1 + y2 is out of the table
    (numpy's own indexing then says so)."""
    n, m = len(x1), len(x2)
    rows = len(km_x_between)
    for i in range(n):
        a, b = x1[i], y1[i]
        for j in range(m):
            r = b + y2[j]
            if r < 0 or r >= rows:
                return False
            dx = (a - x2[j]) * km_x_between[r]
            dy = (b - y2[j]) * km_y
            out[i, j] = np.sqrt(dx * dx + dy * dy)
    return True


@numba.njit(cache=True)
def distance_pairs_km(x1, y1, x2, y2, km_x_between, km_y, out):
    """``Navigator.distance_km`` pair by pair: ``out[i]`` between squares (x1[i], y1[i]) and
    (x2[i], y2[i]), all 1-d integer arrays of length len(out) or 1 (then broadcast, as numpy
    does). Returns False, ``out`` unfinished, if a row y1 + y2 is out of the table."""
    rows = len(km_x_between)
    s1, t1 = len(x1) > 1, len(y1) > 1
    s2, t2 = len(x2) > 1, len(y2) > 1
    for i in range(len(out)):
        a, b = x1[i if s1 else 0], y1[i if t1 else 0]
        c, d = x2[i if s2 else 0], y2[i if t2 else 0]
        r = b + d
        if r < 0 or r >= rows:
            return False
        dx = (a - c) * km_x_between[r]
        dy = (b - d) * km_y
        out[i] = np.sqrt(dx * dx + dy * dy)
    return True


@numba.njit(cache=True)
def snap_squares(x, y, snap_x, snap_y, out_x, out_y):
    """``Navigator.snap`` square by square: (x, y) clipped to the grid, then the open-ground
    square nearest it, ``(snap_x, snap_y)[x, y]``."""
    nx, ny = snap_x.shape
    for i in range(len(x)):
        sx = min(max(x[i], 0), nx - 1)
        sy = min(max(y[i], 0), ny - 1)
        out_x[i], out_y[i] = snap_x[sx, sy], snap_y[sx, sy]


@numba.njit(cache=True)
def gather_rows(idx, table_x, table_y, table_routed, route_x, route_y, gx, gy, x, y, routed):
    """The rows ``idx`` of an agent table as ``Navigator.advance`` takes them: ``x, y =
    table_x[idx], table_y[idx]``, and ``routed = table_routed[idx]`` where the agent's goal is
    still the one it was routed to, ``(route_x, route_y)[idx] == (gx, gy)`` (a new goal clears
    the route-field mode)."""
    for a in range(len(idx)):
        i = idx[a]
        x[a], y[a] = table_x[i], table_y[i]
        routed[a] = table_routed[i] and route_x[i] == gx[a] and route_y[i] == gy[a]


@numba.njit(cache=True)
def scatter_rows(idx, routed, gx, gy, table_routed, route_x, route_y):
    """Back into the agent table after the move: ``table_routed[idx], route_x[idx],
    route_y[idx] = routed, gx, gy``."""
    for a in range(len(idx)):
        i = idx[a]
        table_routed[i], route_x[i], route_y[i] = routed[a], gx[a], gy[a]


@numba.njit(cache=True)
def advance_rows(idx, table_x, table_y, table_routed, route_x, route_y, gx, gy, left, road,
                 x, y, routed, travelled, at, route_slot, fields, field_used, field_reach, clock,
                 bank, crossing_banks, crossings_sq, to_crossing, free, near_crossing, legal,
                 next_sq, move_cost, move_road, move_km, crossing, km_x, km_y, ny, pad_steps,
                 max_moves):
    """``gather_rows``, then the first call of ``advance_agents`` on them, then, unless some
    agents paused for a route field (their number is returned; the caller resumes them with
    ``advance_agents`` and then calls ``scatter_rows``), ``scatter_rows``."""
    gather_rows(idx, table_x, table_y, table_routed, route_x, route_y, gx, gy, x, y, routed)
    paused = advance_agents(x, y, gx, gy, left, road, routed, travelled, False, at, route_slot,
                            fields, field_used, field_reach, clock, bank, crossing_banks,
                            crossings_sq, to_crossing, free, near_crossing, legal, next_sq,
                            move_cost, move_road, move_km, crossing, km_x, km_y, ny, pad_steps,
                            max_moves)
    if paused == 0:
        scatter_rows(idx, routed, gx, gy, table_routed, route_x, route_y)
    return paused


@numba.njit(cache=True)
def disc_squares(u_radius, cos_a, sin_a, k, cx, cy, radius, km_x, km_y, snap_x, snap_y, out_x,
                 out_y):
    """``Navigator.random_points_in_disc`` from its draws, for n discs of k points each, point
    (i, j) at flat index i k + j of every per-point array (``cos_a``, ``sin_a``: the cosine and
    sine of its angles, taken by numpy): r = radius[i] sqrt(u_radius), the square rint(cx[i] +
    r cos / km_x[cy[i]]), rint(cy[i] + r sin / km_y) as int32, clipped to the grid and snapped
    to open ground (snap_x, snap_y: the nearest open square of each square). cx, cy and radius
    have length n, or 1 (the same for all)."""
    n = len(u_radius) // k
    sx, sy, sr = len(cx) > 1, len(cy) > 1, len(radius) > 1
    for i in range(n):
        x0, y0 = cx[i if sx else 0], cy[i if sy else 0]
        rad = radius[i if sr else 0]
        for j in range(i * k, i * k + k):
            out_x[j], out_y[j] = disc_square(x0, y0, rad, u_radius[j], cos_a[j], sin_a[j], km_x,
                                             km_y, snap_x, snap_y)


@numba.njit(cache=True)
def disc_square(x0, y0, rad, u_radius, cos_a, sin_a, km_x, km_y, snap_x, snap_y):
    """One point of ``disc_squares``: r = rad sqrt(u_radius), the square rint(x0 + r cos /
    km_x[y0]), rint(y0 + r sin / km_y) as int32, clipped to the grid and snapped to open
    ground."""
    if y0 < -len(km_x) or y0 >= len(km_x):
        raise IndexError("a disc's centre row is off the grid")
    nx, ny = snap_x.shape
    r = rad * np.sqrt(u_radius)
    px = np.int32(np.rint(x0 + r * cos_a / km_x[y0]))
    py = np.int32(np.rint(y0 + r * sin_a / km_y))
    px = min(max(px, 0), nx - 1)
    py = min(max(py, 0), ny - 1)
    return snap_x[px, py], snap_y[px, py]
