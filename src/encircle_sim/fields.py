"""Whole-grid fields built from point sources: threat, search coverage.

A field is a sum over agents of a kernel centred on each agent (a cone for threat, a flat disc
for search coverage). With tens of agents and kernels of tens of cells, adding each agent's
stamp in one compiled loop (``fields_kernels.py``; formerly one ``numpy.bincount``, whose sums it
repeats to the bit) is several times faster than a whole-grid convolution, and gives the same
result (tested against ``scipy.ndimage.correlate`` in tests/test_pieces.py).
"""

from __future__ import annotations

import operator
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


#: The kernels of a ``{radius: Kernel}`` dict packed as ``splat_by_radius`` takes them, by the
#: dict's id, with the dict and its kernels (kept alive, so the id stays theirs; a dict whose
#: radii or kernels have changed since is packed again).
_PACKED: dict[int, tuple] = {}
_PACKED_MAX = 16


def _packed(kernels: dict[float, Kernel]) -> tuple:
    """(radii, starts, dx, dy, weight) of ``kernels``, packed once per dict and kept."""
    entry = _PACKED.get(id(kernels))
    if (entry is not None and entry[0] is kernels and entry[1] == tuple(kernels)
            and all(map(operator.is_, entry[2], kernels.values()))):
        return entry[3]
    ks = list(kernels.values())
    packed = (np.array(list(kernels), np.float64),
              np.cumsum([0] + [len(k.dx) for k in ks]).astype(np.intp),
              *(np.ascontiguousarray(np.concatenate([getattr(k, a) for k in ks]), t)
                for a, t in (("dx", np.intp), ("dy", np.intp), ("weight", np.float64))))
    if len(_PACKED) >= _PACKED_MAX:
        _PACKED.pop(next(iter(_PACKED)))
    _PACKED[id(kernels)] = (kernels, tuple(kernels), tuple(ks), packed)
    return packed


#: Scratch grids of ``splat_by_radius`` by grid shape (all zero between calls: the compiled loop
#: leaves them so, and holds the GIL while it uses them).
_SCRATCH: dict[tuple[int, int], tuple[np.ndarray, np.ndarray]] = {}


def _scratch(shape: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    found = _SCRATCH.get(shape)
    if found is None:
        if len(_SCRATCH) >= _PACKED_MAX:
            _SCRATCH.clear()
        found = _SCRATCH[shape] = (np.zeros(shape[0] * shape[1]),
                                   np.zeros(shape[0] * shape[1], bool))
    return found


def splat_by_radius_tables(kernels: dict[float, Kernel], shape: tuple[int, int]) -> tuple:
    """What ``fields_kernels.splat_by_radius`` takes after the points, for compiled callers:
    ``kernels`` packed (radii, starts, dx, dy, weight; once per dict) and the scratch grids of
    ``shape``."""
    return *_packed(kernels), *_scratch(shape)


def splat_by_radius_into(total: np.ndarray, radius: np.ndarray, x: np.ndarray, y: np.ndarray,
                         weight: np.ndarray, kernels: dict[float, Kernel]) -> None:
    """For each (radius r, kernel) of ``kernels`` in turn: ``total += splat(the points whose
    radius is r, with that kernel)``, by one compiled loop (the same sums as those calls)."""
    if not kernels:
        return
    if not total.flags.c_contiguous:
        raise ValueError("splat_by_radius_into adds into a C-contiguous grid")
    splat_by_radius(total, np.ascontiguousarray(radius, np.float64), x.astype(np.intp),
                    y.astype(np.intp), np.ascontiguousarray(weight, np.float64),
                    *splat_by_radius_tables(kernels, total.shape))
