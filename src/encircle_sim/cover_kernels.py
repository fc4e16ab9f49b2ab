"""Compiled formulas of ``cover.py`` (numba), cell by cell.

The rule (what hides a cell, and how much) is stated in ``cover.py``; these kernels compute it
one cell or square at a time instead of over whole arrays, with the numpy version's float64
operations in the same order (no fast-math), so results are identical to the bit (the
fingerprint test pins them; tests/test_detect_kernels.py checks them against the numpy
expressions). Compiled once and cached on disk (``cache=True``).
"""

from __future__ import annotations

import numba
import numpy as np

# state.Theatre.IRAQ and state.CellState.HIDDEN (numba compiles module constants in)
IRAQ = 0
HIDDEN = 0


@numba.njit(cache=True)
def km_between(ax, ay, bx, by, km_x, km_y):
    """``Navigator.distance_km`` between squares (ax, ay) and (bx, by): the flat-earth
    sqrt(dx^2 + dy^2), dx = (ax - bx) km_x[(ay + by) // 2], dy = (ay - by) km_y."""
    dx = (ax - bx) * km_x[(ay + by) // 2]
    dy = (ay - by) * km_y
    return np.sqrt(dx * dx + dy * dy)


@numba.njit(cache=True)
def within_km(ax, ay, bx, by, km_x, km_y, r):
    """``km_between(ax, ay, bx, by, ...) <= r``, the same decision, without the square root for
    a square farther than r along one axis alone (the distance is at least |dx| and |dy|: in
    floating point too, sqrt(dx dx) = |dx| exactly and adding dy dy >= 0 cannot lower it)."""
    dy = (ay - by) * km_y
    if abs(dy) > r:
        return False
    dx = (ax - bx) * km_x[(ay + by) // 2]
    if abs(dx) > r:
        return False
    return np.sqrt(dx * dx + dy * dy) <= r


@numba.njit(cache=True)
def cover_of(idx, cx, cy, moved, theatre, state, town, concealment, hideout_at, town_xy, km_x,
             km_y, hideout_concealment, blend_concealment, spread_km, terrain, cover):
    """For each cell ``i = idx[t]``, into ``terrain[t]`` and ``cover[t]``:

    - terrain = concealment[x_i, y_i];
    - cover = hideout_concealment for a pocket cell (theatre IRAQ) that has not moved and
      stands on an intact hideout (hideout_at >= 0); blend_concealment for any other cell, if
      there are towns, that has not moved, is HIDDEN and lies within spread_km of its town
      (``town_xy[town_i]``, numpy's wrap-around for -1); else 0.
    """
    n_towns = len(town_xy)
    for t in range(len(idx)):
        i = idx[t]
        x, y = cx[i], cy[i]
        terrain[t] = concealment[x, y]
        c = 0.0
        if theatre[i] == IRAQ:
            if not moved[i] and hideout_at[x, y] >= 0:
                c = hideout_concealment
        elif n_towns:
            k = town[i]
            if k < -n_towns or k >= n_towns:
                raise IndexError("a cell's town is out of the town table")
            if k < 0:
                k += n_towns
            if not moved[i] and state[i] == HIDDEN and within_km(
                    x, y, town_xy[k, 0], town_xy[k, 1], km_x, km_y, spread_km):
                c = blend_concealment
        cover[t] = c


@numba.njit(cache=True)
def shelter_of(x, y, concealment, hideout_at, hideout_concealment, out):
    """For each square (x[k], y[k]) (flat arrays), into ``out[k]``:
    1 - (1 - concealment) x (1 - h), h = hideout_concealment on an intact hideout, else 0."""
    for k in range(len(x)):
        h = hideout_concealment if hideout_at[x[k], y[k]] >= 0 else 0.0
        out[k] = 1.0 - (1.0 - concealment[x[k], y[k]]) * (1.0 - h)
