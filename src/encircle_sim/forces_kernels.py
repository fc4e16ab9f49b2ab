"""Compiled goal setting for the unit tasks that need no random draw (numba), unit by unit.

The rules are stated in ``forces.py``; this loop carries them out one unit at a time instead of
over whole arrays (units do not interact when they set their goals), with the same integer
arithmetic, so the goals are the same.
"""

from __future__ import annotations

import numba
import numpy as np

from encircle_sim.navigation_kernels import disc_square, square_km
from encircle_sim.state import Task

PERIMETER, BORDER_SCREEN = int(Task.PERIMETER), int(Task.BORDER_SCREEN)
BLOCK, RESERVE = int(Task.BLOCK), int(Task.RESERVE)
HUNT, AXIS = int(Task.HUNT), int(Task.AXIS)


@numba.njit(cache=True)
def standing_goals(alive, task, holding_cordon, x, y, home_x, home_y, lane_xy, lane_start,
                   lane_len, lane_idx, lane_dir, goal_x, goal_y):
    """Goals of living units on lanes, at posts and holding (goal_x, goal_y, lane_idx and
    lane_dir updated in place); other units are left alone. With n = lane_len, a lane's
    points are ``lane_xy[lane_start + j]``, j in [0, n):

    - patrolling a lane (``border_screen``; ``perimeter`` unless ``holding_cordon``): a unit at
      its lane point j (and n > 1) moves on to j + dir, or, past an end, turns (dir = -dir) to
      clip(j + dir, 0, n - 1); the goal is the lane point j;
    - holding a cordon post (``perimeter`` when ``holding_cordon``): lane point n // 2;
    - ``block`` and ``reserve``, and lane tasks with no lane (n = 0): home.
    """
    for i in range(len(alive)):
        if not alive[i]:
            continue
        t = task[i]
        lane = t == BORDER_SCREEN or (t == PERIMETER and not holding_cordon)
        post = t == PERIMETER and holding_cordon
        n = lane_len[i]
        if ((lane or post) and n == 0) or t == BLOCK or t == RESERVE:
            goal_x[i], goal_y[i] = home_x[i], home_y[i]
        elif post:
            mid = lane_start[i] + n // 2
            goal_x[i], goal_y[i] = lane_xy[mid, 0], lane_xy[mid, 1]
        elif lane:
            j, start = lane_idx[i], lane_start[i]
            if x[i] == lane_xy[start + j, 0] and y[i] == lane_xy[start + j, 1] and n > 1:
                nxt = j + lane_dir[i]
                if nxt < 0 or nxt >= n:
                    lane_dir[i] = -lane_dir[i]
                    nxt = min(max(j + lane_dir[i], 0), n - 1)
                j = nxt
            lane_idx[i] = j
            goal_x[i], goal_y[i] = lane_xy[start + j, 0], lane_xy[start + j, 1]


@numba.njit(cache=True)
def mark_on_station(on_station, task, x, y, goal_x, goal_y, home_x, home_y, area_r_km,
                    km_x_between, km_y):
    """``on_station |= at its goal, or a hunt unit within area_r_km of home`` (distance as
    ``Navigator.distance_km``)."""
    for i in range(len(on_station)):
        if x[i] == goal_x[i] and y[i] == goal_y[i]:
            on_station[i] = True
        elif task[i] == HUNT and square_km(x[i], y[i], home_x[i], home_y[i], km_x_between,
                                              km_y) <= area_r_km[i]:
            on_station[i] = True


@numba.njit(cache=True)
def axes_kept_up(n_axes, alive, task, axis, x, y, goal_x, goal_y, tol_km, km_x_between, km_y):
    """Per axis, whether at least half of its living axis units (2 close >= total > 0) stand
    within ``tol_km`` of their goal (distance as ``Navigator.distance_km``)."""
    total = np.zeros(n_axes, np.int64)
    close = np.zeros(n_axes, np.int64)
    for i in range(len(alive)):
        a = axis[i]
        if alive[i] and task[i] == AXIS and a >= 0:
            total[a] += 1
            if square_km(x[i], y[i], goal_x[i], goal_y[i], km_x_between, km_y) <= tol_km:
                close[a] += 1
    ready = np.zeros(n_axes, np.bool_)
    for a in range(n_axes):
        ready[a] = total[a] > 0 and 2 * close[a] >= total[a]
    return ready


@numba.njit(cache=True)
def axis_line_goals(alive, task, axis, slot, base, target, start, norm, km_x, km_y, snap_x,
                    snap_y, goal_x, goal_y):
    """Goals of living axis units (axis >= 0) in line abreast: with d = (target - start) x
    (km_x, km_y) the axis's direction in km and ``norm`` its length (np.hypot, given), the
    line's unit normal is (-d_y, d_x) / max(norm, 1e-12) (or (1, 0) if norm is 0), and a
    unit's goal is the square ``rint(base + slot x normal / (km_x, km_y))`` snapped as
    ``Navigator.snap`` does (clipped to the grid, then the nearest open ground)."""
    nx, ny = snap_x.shape
    for i in range(len(alive)):
        a = axis[i]
        if not (alive[i] and task[i] == AXIS and a >= 0):
            continue
        if norm[a] > 0:
            m = norm[a] if norm[a] >= 1e-12 or norm[a] != norm[a] else 1e-12
            px = -((target[a, 1] - start[a, 1]) * km_y) / m
            py = ((target[a, 0] - start[a, 0]) * km_x) / m
        else:
            px, py = 1.0, 0.0
        gx = np.int32(np.rint(base[a, 0] + slot[i] * px / km_x))
        gy = np.int32(np.rint(base[a, 1] + slot[i] * py / km_y))
        sx = min(max(gx, 0), nx - 1)
        sy = min(max(gy, 0), ny - 1)
        goal_x[i], goal_y[i] = snap_x[sx, sy], snap_y[sx, sy]


@numba.njit(cache=True)
def hunt_and_assault_rows(alive, task, x, y, goal_x, goal_y, first, assaulting):
    """The living units whose goal is drawn anew this step and those that assault, in index
    order: (``hunt`` units at their goal, or all of them on the first step; ``axis`` and
    ``reserve`` units if ``assaulting``, else none)."""
    n = len(alive)
    redo = np.empty(n, np.intp)
    assault = np.empty(n, np.intp)
    n_redo = n_assault = 0
    for i in range(n):
        if not alive[i]:
            continue
        t = task[i]
        if t == HUNT and (first or (x[i] == goal_x[i] and y[i] == goal_y[i])):
            redo[n_redo] = i
            n_redo += 1
        elif assaulting and (t == AXIS or t == RESERVE):
            assault[n_assault] = i
            n_assault += 1
    return redo[:n_redo], assault[:n_assault]


@numba.njit(cache=True)
def hunt_goals(redo, u_radius, cos_a, sin_a, home_x, home_y, area_r_km, km_x, km_y, snap_x,
               snap_y, goal_x, goal_y):
    """Units ``redo`` take as goal a point of the disc of ``area_r_km`` around home, as
    ``Navigator.random_points_in_disc`` places it from its draws (``u_radius``, and the cosine
    and sine of the angles, taken by numpy): r = area_r_km sqrt(u_radius), the square
    rint(home_x + r cos / km_x[home_y]), rint(home_y + r sin / km_y), clipped to the grid and
    snapped to open ground (snap_x, snap_y)."""
    for a in range(len(redo)):
        i = redo[a]
        goal_x[i], goal_y[i] = disc_square(home_x[i], home_y[i], area_r_km[i], u_radius[a],
                                           cos_a[a], sin_a[a], km_x, km_y, snap_x, snap_y)


@numba.njit(cache=True)
def nearest_targets(mask, max_targets, idx, x, y, goal_x, goal_y, km_x_between, km_y):
    """Units ``idx`` take as goal their nearest target square (the first of equals; distance as
    ``Navigator.distance_km``). The targets: the squares of ``mask`` in row-major order (as
    ``np.argwhere``), thinned to every (m // max_targets + 1)-th if there are m > max_targets
    of them. Returns m (0: no target, goals left as they were)."""
    nx, ny = mask.shape
    flat = mask.reshape(-1)
    m = 0
    for sq in range(nx * ny):
        if flat[sq]:
            m += 1
    if m == 0:
        return 0
    stride = m // max_targets + 1 if m > max_targets else 1
    tx = np.empty((m + stride - 1) // stride, np.intp)
    ty = np.empty(len(tx), np.intp)
    k = j = 0
    for sq in range(nx * ny):
        if flat[sq]:
            if k % stride == 0:
                tx[j], ty[j] = sq // ny, sq % ny
                j += 1
            k += 1
    # the targets of column c are tx[col[c]:col[c + 1]]; a target k columns away from a unit
    # is at least sqrt((k min km_x)^2) km from it (each step of the distance's arithmetic is
    # monotone), so the search goes out column by column and stops where that exceeds the best
    col = np.zeros(nx + 1, np.intp)
    for t in range(len(tx)):
        col[tx[t] + 1] += 1
    for c in range(nx):
        col[c + 1] += col[c]
    min_kx = np.inf
    for r in range(len(km_x_between)):
        min_kx = min(min_kx, km_x_between[r])
    for a in range(len(idx)):
        i = idx[a]
        best, d_best = -1, np.inf
        for k in range(nx):
            lb = k * min_kx
            if np.sqrt(lb * lb) > d_best:
                break
            for side in range(2 if k > 0 else 1):
                c = x[i] + k if side == 0 else x[i] - k
                if c < 0 or c >= nx:
                    continue
                for t in range(col[c], col[c + 1]):
                    d = square_km(tx[t], ty[t], x[i], y[i], km_x_between, km_y)
                    if d < d_best or (d == d_best and t < best):
                        best, d_best = t, d
        if best < 0:   # (no finite distance: none on a grid; as argmin, the first)
            best = 0
        goal_x[i], goal_y[i] = tx[best], ty[best]
    return m
