"""Compiled inner loop of ``fields.splat`` (numba): stamps added point by point.

``numpy.bincount`` with weights adds its weights one by one in the order given; this loop adds
the same products ``weight[i] x kernel.weight[j]`` in the same order (point by point, offset by
offset), so the sums are the same to the bit, without the temporary (points x offsets) arrays.
"""

from __future__ import annotations

import numba


@numba.njit(cache=True)
def splat_into(out, x, y, weight, dx, dy, kernel_weight):
    """``out[x[i] + dx[j], y[i] + dy[j]] += weight[i] * kernel_weight[j]`` for every point i
    and offset j in that order, skipping squares outside ``out`` (nx, ny)."""
    nx, ny = out.shape
    for i in range(len(x)):
        for j in range(len(dx)):
            cx, cy = x[i] + dx[j], y[i] + dy[j]
            if 0 <= cx < nx and 0 <= cy < ny:
                out[cx, cy] += weight[i] * kernel_weight[j]
