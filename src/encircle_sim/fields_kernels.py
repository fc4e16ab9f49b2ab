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
def splat_by_radius(total, radius, x, y, weight, radii, starts, dx, dy, kernel_weight, group,
                    seen):
    """``total += splat(points whose radius is radii[g], kernel g)`` for g = 0, 1, ... in turn
    (groups with no point skipped): each group's stamps summed on their own (point by point,
    offset by offset, as ``splat_into``), then added to ``total`` square by square, only on the
    squares its stamps touched (elsewhere the group adds 0, which leaves ``total`` as it is).
    Kernel g is entries ``starts[g]:starts[g + 1]`` of dx, dy, kernel_weight. ``group``
    (float) and ``seen`` (bool), flat, one per square, are scratch: all zero on entry, left all
    zero (a grid-sized allocation costs more than the sums)."""
    nx, ny = total.shape
    flat = total.reshape(-1)
    size = 0
    for g in range(len(radii)):
        size = max(size, starts[g + 1] - starts[g])
    touched = np.empty(len(x) * size, np.intp)   # the squares the group's stamps touched
    for g in range(len(radii)):
        n = 0
        for i in range(len(x)):
            if radius[i] != radii[g]:
                continue
            for j in range(starts[g], starts[g + 1]):
                cx, cy = x[i] + dx[j], y[i] + dy[j]
                if 0 <= cx < nx and 0 <= cy < ny:
                    sq = cx * ny + cy
                    group[sq] += weight[i] * kernel_weight[j]
                    if not seen[sq]:
                        seen[sq] = True
                        touched[n] = sq
                        n += 1
        for k in range(n):
            sq = touched[k]
            flat[sq] = flat[sq] + group[sq]
            group[sq] = 0.0
            seen[sq] = False
