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
def move_agents(sq, goal_sq, wp_sq, budget, road, km, on_field, start, field_of, fields,
                free, near_crossing, legal, next_sq, move_cost, move_road, move_km, crossing,
                km_x, km_y, ny, pad_steps, max_moves):
    """Advance each agent from move number ``start[a]`` (``FINISHED``: skip it) until it stops
    or has made ``max_moves`` loops of the rule; updates sq, wp_sq, budget, km and on_field in
    place.

    An agent on a route field reads it from ``fields[field_of[a]]`` (a padded field, flat). One
    that needs a field it was not given (``field_of[a] < 0``) pauses: the kernel returns, for it,
    the move number to resume from (for the others ``FINISHED``), so that the caller can compute
    the field (Dijkstra, in Python) and call again for the paused agents alone.

    Tables are flat, by square (x ny + y) or by move ((x ny + y) 8 + k, k the neighbour).
    """
    n = len(sq)
    paused = np.full(n, FINISHED, np.intp)
    inf = np.inf
    for a in range(n):
        it = start[a]
        if it < 0:
            continue
        s, w, goal = sq[a], wp_sq[a], goal_sq[a]
        left, gone, routed = budget[a], km[a], on_field[a]
        while it < max_moves:
            if routed and field_of[a] < 0:
                paused[a] = it
                break
            ax, ay = s // ny, s % ny
            base = s * 8
            # the nearest allowed neighbour to the waypoint (the first of equals), and how near
            # the square itself is
            best, d_best = 0, inf
            if routed:
                # down the route field to the goal: any legal neighbour
                f = fields[field_of[a]]
                here = (ax + 1) * (ny + 2) + ay + 1
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
                cost = cost if cost <= road[a] else road[a]   # np.minimum, NaN aside
            cost = cost * step_km
            # the first move of a call is made even if dearer than what is left
            affordable = cost <= left + 1e-9 or gone == 0
            can = improves and affordable
            done = False
            if can:
                to = next_sq[move]
                s = to
                rest = left - cost
                left = rest if rest >= 0.0 or rest != rest else 0.0   # np.maximum(rest, 0.0)
                gone += step_km
                done = crossing[to] or to == goal
                if to == w and not done:
                    w = goal                     # at the waypoint: on toward the goal
            stuck = not improves and affordable and not routed
            if stuck:
                routed = True                    # descends the route field from the next move
            it += 1
            if not ((can and not done) or stuck):
                break
        sq[a], wp_sq[a], budget[a], km[a], on_field[a] = s, w, left, gone, routed
    return paused



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
