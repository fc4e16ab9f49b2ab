"""Compiled arithmetic of ``escape`` (numba): the odds of each crossing, and the crossings
turned back.

The rule is stated in ``escape.py``; these kernels compute it crossing by crossing instead of
over whole (crossings x units) matrices, with the numpy version's float64 operations in the same
order (no fast-math: the distance of ``Navigator.distance_km``, the product of the units'
chances in the units' order, as numpy's ``prod`` multiplies), so the results are identical to
the bit. The draws stay outside (numpy's generator, same calls, same sizes, same order).
Compiled once and cached on disk (``cache=True``).
"""

from __future__ import annotations

import numba
import numpy as np

#: What became of a crossing: it escaped through the cordon or over the border, a unit stopped
#: it, or the border (berm, trench, towers) turned it back.
CORDON, BORDER, INTERDICTED, BLOCKED = 0, 1, 2, 3


@numba.njit(cache=True)
def crossing_odds(leaving, cx, cy, prev_x, prev_y, country, syria, ux, uy, strength,
                  km_x_between, km_y, interdiction_km, interdiction_p, concealment_share,
                  concealment, into_syria, p_pass, nearest):
    """For each crossing k, cell ``i = leaving[k]`` on square (x, y): ``into_syria[k]``, its
    square is in ``syria`` and the one it came from is not; ``p_pass[k]``, the product over the
    living units (strength > 0) within ``interdiction_km`` of it (``Navigator.distance_km``) of
    their chances to miss it, ``1 - interdiction_p (1 - concealment_share concealment[x, y])``
    (1 if there is none); ``nearest[k]``, the nearest of them (the first on a tie), -1 if none.
    """
    rows = len(km_x_between)
    for k in range(len(leaving)):
        i = leaving[k]
        x, y = cx[i], cy[i]
        into_syria[k] = country[x, y] == syria and country[prev_x[i], prev_y[i]] != syria
        exposure = 1.0 - concealment_share * concealment[x, y]
        miss = 1.0 - interdiction_p * exposure
        p, best, unit = 1.0, np.inf, -1
        for j in range(len(strength)):
            if strength[j] <= 0:
                continue
            r = y + uy[j]
            if r < 0 or r >= rows:
                raise IndexError("a square is off the map")
            dx = (x - ux[j]) * km_x_between[r]
            dy = (y - uy[j]) * km_y
            d = np.sqrt(dx * dx + dy * dy)
            if d <= interdiction_km:
                p *= miss
                if d < best:
                    best, unit = d, j
        p_pass[k] = p
        nearest[k] = unit


@numba.njit(cache=True)
def turn_back(leaving, stop_draws, seal_draws, p_pass, into_syria, sealing, cx, cy, prev_x,
              prev_y, exposed, replan, turned_back_exposure, outcome):
    """What became of each crossing k (cell ``leaving[k]``, each cell once) into ``outcome[k]``:
    INTERDICTED if ``stop_draws[k] > p_pass[k]``, else BLOCKED if it went into Syria and
    ``seal_draws[k] < sealing``, else BORDER into Syria or CORDON. A crossing interdicted or
    blocked goes back to where it came from (prev_x, prev_y), is exposed (+
    ``turned_back_exposure``) and plans again."""
    for k in range(len(leaving)):
        i = leaving[k]
        if stop_draws[k] > p_pass[k]:
            outcome[k] = INTERDICTED
        elif into_syria[k] and seal_draws[k] < sealing:
            outcome[k] = BLOCKED
        else:
            outcome[k] = BORDER if into_syria[k] else CORDON
            continue
        cx[i], cy[i] = prev_x[i], prev_y[i]
        exposed[i] += turned_back_exposure
        replan[i] = True
