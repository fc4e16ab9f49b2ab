"""Compiled pieces of the operation plan (numba): which cordon squares are held, the gaps.

The rule is stated in ``OperationPlan.cordon_gaps`` (``operation.py``): a cordon square is held
when a unit stands within ``cordon_radius_km``; a gap is a stretch of 8-connected cordon squares
not held. It was a whole-grid splat of the units' discs, a mask of the cordon squares and a
union-find over the open links, a dozen numpy calls per step; this kernel marks the held squares
unit by unit through a grid of cordon square numbers and counts the gap stretches in one pass.
Integers and booleans only, so the results are those of the numpy expressions exactly
(tests/test_operation_kernels.py holds them). Compiled once and cached on disk (``cache=True``).
"""

from __future__ import annotations

import numba
import numpy as np

from encircle_sim.networks_kernels import find_root


@numba.njit(cache=True)
def cordon_cover(x, y, on, dx, dy, square_index, a, b, held):
    """Which cordon squares are held, and the gap stretches.

    ``held[k]`` (cleared, then set in place) = some unit i with ``on[i]`` stands so that
    ``(x[i] + dx[j], y[i] + dy[j])`` is cordon square k for an offset j of the cordon kernel;
    ``square_index[x, y]`` is the number k of the cordon square at (x, y), -1 off the cordon;
    offsets falling outside the grid are skipped. A gap stretch is a connected component of the
    graph of the cordon squares not held with the links ``a[e]-b[e]`` whose two ends are not
    held. Returns (number of gap stretches, number of squares not held).
    """
    n = len(held)
    held[:] = False
    nx, ny = square_index.shape
    for i in range(len(x)):
        if not on[i]:
            continue
        for j in range(len(dx)):
            cx, cy = x[i] + dx[j], y[i] + dy[j]
            if 0 <= cx < nx and 0 <= cy < ny:
                k = square_index[cx, cy]
                if k >= 0:
                    held[k] = True
    parent = np.arange(n)
    for e in range(len(a)):
        if not held[a[e]] and not held[b[e]]:
            ra, rb = find_root(parent, a[e]), find_root(parent, b[e])
            if ra < rb:
                parent[rb] = ra
            elif rb < ra:
                parent[ra] = rb
    gaps, open_squares = 0, 0
    for k in range(n):
        if not held[k]:
            open_squares += 1
            if parent[k] == k:
                gaps += 1
    return gaps, open_squares


@numba.njit(cache=True)
def largest_piece_centre(mask):
    """Centre of the largest 8-connected piece of ``mask`` (nx, ny): the mean of its squares'
    (x, y), each sum an exact integer divided by the piece's size, as
    ``argwhere(labels == biggest).mean(axis=0)``. The pieces are numbered in the order their
    first square comes in a row-major scan (as ``scipy.ndimage.label`` numbers them); of
    pieces of equal size the first wins (as ``argmax``). Returns (x, y, found); found is False
    when the mask is empty."""
    nx, ny = mask.shape
    parent = np.full(nx * ny, -1, np.int64)
    for i in range(nx):
        for j in range(ny):
            if not mask[i, j]:
                continue
            p = i * ny + j
            parent[p] = p
            # the neighbours scanned before (i, j): the row above and the square to the left
            for di, dj in ((-1, -1), (-1, 0), (-1, 1), (0, -1)):
                a, b = i + di, j + dj
                if 0 <= a < nx and 0 <= b < ny and mask[a, b]:
                    ra, rb = find_root(parent, a * ny + b), find_root(parent, p)
                    if ra < rb:
                        parent[rb] = ra
                    elif rb < ra:
                        parent[ra] = rb
    size = np.zeros(nx * ny, np.int64)
    sum_x = np.zeros(nx * ny, np.int64)
    sum_y = np.zeros(nx * ny, np.int64)
    for p in range(nx * ny):
        if parent[p] >= 0:
            r = find_root(parent, p)
            size[r] += 1
            sum_x[r] += p // ny
            sum_y[r] += p % ny
    best = -1
    for p in range(nx * ny):   # roots in scan order: a later piece wins only if larger
        if size[p] > 0 and (best < 0 or size[p] > size[best]):
            best = p
    if best < 0:
        return 0.0, 0.0, False
    return sum_x[best] / size[best], sum_y[best] / size[best], True


@numba.njit(cache=True)
def add_coverage_clear(coverage, step_coverage, pocket, band, clear_coverage):
    """One step's search on the pocket, square by square: ``coverage += step_coverage``, then
    ``pocket &= coverage < clear_coverage`` (a square cleared stays cleared). Returns (squares
    left in the pocket, squares of ``band`` no longer in it). The arrays are C-contiguous, of
    one shape; the loop runs over them flat, without branches."""
    cov, step = coverage.reshape(-1), step_coverage.reshape(-1)
    left_in, in_band = pocket.reshape(-1), band.reshape(-1)
    left, band_cleared = 0, 0
    for k in range(cov.size):
        v = cov[k] + step[k]
        cov[k] = v
        keep = left_in[k] & (v < clear_coverage)
        left_in[k] = keep
        left += keep
        band_cleared += in_band[k] & (not keep)
    return left, band_cleared
