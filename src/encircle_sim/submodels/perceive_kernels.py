"""Compiled threat field (``submodels/perceive.py``, numba): the cone stamps of the living units.

One call does what ``fields.splat`` did after four numpy steps (the living units, their engaged
strength, its platoon-equivalents, the stamps): the weights are the numpy version's float64
operations and the stamps are added by ``fields_kernels.splat_into`` in the same order (unit by
unit, offset by offset), so the field is the same to the bit (tests/test_perceive_kernels.py
checks it against the numpy expression).
"""

from __future__ import annotations

import numba
import numpy as np

from encircle_sim.fields_kernels import splat_into


@numba.njit(cache=True)
def add_threat(out, x, y, strength, engaged_max, platoon, dx, dy, kernel_weight):
    """``out += splat(living units, weight = min(strength, int(engaged_max)) / platoon)``:
    for every unit with strength > 0 in index order, ``out[x + dx[j], y + dy[j]] += weight x
    kernel_weight[j]`` offset by offset, skipping squares outside ``out``."""
    n = 0
    for i in range(len(strength)):
        n += strength[i] > 0
    ux = np.empty(n, np.intp)
    uy = np.empty(n, np.intp)
    weight = np.empty(n)
    k = 0
    for i in range(len(strength)):
        if strength[i] > 0:
            ux[k], uy[k] = x[i], y[i]
            weight[k] = np.float64(min(strength[i], np.int64(engaged_max[i]))) / platoon
            k += 1
    splat_into(out, ux, uy, weight, dx, dy, kernel_weight)
