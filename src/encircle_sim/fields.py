"""Whole-grid fields built from point sources: threat, search coverage.

A field is a sum over agents of a kernel centred on each agent (a cone for threat, a flat disc
for search coverage). With tens of agents and kernels of tens of cells, adding each agent's
stamp in one compiled loop (``fields_kernels.py``; formerly one ``numpy.bincount``, whose sums it
repeats to the bit) is several times faster than a whole-grid convolution, and gives the same
result (tested against ``scipy.ndimage.correlate`` in tests/test_pieces.py).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from encircle_sim.fields_kernels import splat_by_radius, splat_into


@dataclass(frozen=True)
class Kernel:
    """Offsets (dx, dy) in cells and the weight at each, of a radially symmetric stamp."""

    dx: np.ndarray
    dy: np.ndarray
    weight: np.ndarray

    @classmethod
    def cone(cls, radius_km: float, km_x: float, km_y: float) -> Kernel:
        """Weight 1 at the centre falling linearly to 0 at ``radius_km``."""
        rx, ry = int(np.ceil(radius_km / km_x)), int(np.ceil(radius_km / km_y))
        dx, dy = np.meshgrid(np.arange(-rx, rx + 1), np.arange(-ry, ry + 1), indexing="ij")
        w = np.maximum(0.0, 1.0 - np.hypot(dx * km_x, dy * km_y) / radius_km)
        keep = w > 0
        return cls(dx[keep], dy[keep], w[keep])

    @classmethod
    def disc(cls, radius_km: float, km_x: float, km_y: float) -> Kernel:
        """Weight 1 on every cell whose centre lies within ``radius_km`` (at least the centre)."""
        cone = cls.cone(radius_km, km_x, km_y)
        return cls(cone.dx, cone.dy, np.ones(len(cone.dx)))

    def as_array(self) -> np.ndarray:
        """The kernel as a dense (2 rx + 1, 2 ry + 1) array, centre in the middle."""
        rx, ry = int(np.abs(self.dx).max()), int(np.abs(self.dy).max())
        out = np.zeros((2 * rx + 1, 2 * ry + 1))
        out[self.dx + rx, self.dy + ry] = self.weight
        return out


def splat(shape: tuple[int, int], x: np.ndarray, y: np.ndarray, weight: np.ndarray,
          kernel: Kernel) -> np.ndarray:
    """Sum of ``weight[i] x kernel`` centred on every point (x[i], y[i]); clipped at the edges."""
    nx, ny = shape
    if len(x) == 0:
        return np.zeros(shape)
    x, y, weight = np.asarray(x), np.asarray(y), np.asarray(weight, float)
    if (x.dtype.kind == y.dtype.kind == "i" and x.ndim == y.ndim == weight.ndim == 1
            and len(x) == len(y) == len(weight)):
        out = np.zeros((nx, ny))
        splat_into(out, x.astype(np.intp, copy=False), y.astype(np.intp, copy=False),
                   np.ascontiguousarray(weight), kernel.dx, kernel.dy, kernel.weight)
        return out
    cx = np.asarray(x)[:, None] + kernel.dx[None, :]
    cy = np.asarray(y)[:, None] + kernel.dy[None, :]
    w = np.asarray(weight, float)[:, None] * kernel.weight[None, :]
    inside = (cx >= 0) & (cx < nx) & (cy >= 0) & (cy < ny)
    flat = cx[inside] * ny + cy[inside]
    return np.bincount(flat, weights=w[inside], minlength=nx * ny).reshape(shape)


def splat_by_radius_into(total: np.ndarray, radius: np.ndarray, x: np.ndarray, y: np.ndarray,
                         weight: np.ndarray, kernels: dict[float, Kernel]) -> None:
    """For each (radius r, kernel) of ``kernels`` in turn: ``total += splat(the points whose
    radius is r, with that kernel)``, by one compiled loop (the same sums as those calls)."""
    ks = list(kernels.values())
    if not ks:
        return
    starts = np.cumsum([0] + [len(k.dx) for k in ks])
    splat_by_radius(total, np.ascontiguousarray(radius, np.float64), x.astype(np.intp),
                    y.astype(np.intp), np.ascontiguousarray(weight, np.float64),
                    np.array(list(kernels), np.float64), starts,
                    *(np.concatenate([getattr(k, a) for k in ks]) for a in ("dx", "dy", "weight")))
