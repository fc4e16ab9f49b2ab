"""Compiled inner loop of ``fields.splat`` (numba): stamps added point by point.

``numpy.bincount`` with weights adds its weights one by one in the order given; this loop adds
the same products ``weight[i] x kernel.weight[j]`` in the same order (point by point, offset by
offset), so the sums are the same to the bit, without the temporary (points x offsets) arrays.
"""

from __future__ import annotations

import numba
import numpy as np


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


@numba.njit(cache=True)
def splat_by_radius(total, radius, x, y, weight, radii, starts, dx, dy, kernel_weight):
    """``total += splat(points whose radius is radii[g], kernel g)`` for g = 0, 1, ... in turn
    (groups with no point skipped): each group's stamps summed on their own (point by point,
    offset by offset, as ``splat_into``), then added to ``total`` square by square (only where
    they fall: elsewhere the group adds 0). Kernel g is entries ``starts[g]:starts[g + 1]`` of
    dx, dy, kernel_weight."""
    nx, ny = total.shape
    group = np.zeros_like(total)
    for g in range(len(radii)):
        used = False
        x0, x1, y0, y1 = nx, -1, ny, -1          # the box the group's stamps fall in
        for i in range(len(x)):
            if radius[i] != radii[g]:
                continue
            used = True
            for j in range(starts[g], starts[g + 1]):
                cx, cy = x[i] + dx[j], y[i] + dy[j]
                if 0 <= cx < nx and 0 <= cy < ny:
                    group[cx, cy] += weight[i] * kernel_weight[j]
                    x0, x1, y0, y1 = min(x0, cx), max(x1, cx), min(y0, cy), max(y1, cy)
        if used:
            for cx in range(x0, x1 + 1):
                for cy in range(y0, y1 + 1):
                    total[cx, cy] = total[cx, cy] + group[cx, cy]
                    group[cx, cy] = 0.0
