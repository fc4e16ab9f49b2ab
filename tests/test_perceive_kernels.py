"""The compiled threat field (``submodels/perceive_kernels.add_threat`` behind
``perceive.threat_field``) against the rule it carries out, written in numpy below (the
implementation ``threat_field`` had before it was compiled, kept here only as the reference)."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from encircle_sim.fields import Kernel
from encircle_sim.submodels.perceive import PLATOON
from encircle_sim.submodels.perceive_kernels import add_threat


def reference_threat(shape, x, y, strength, engaged_max, kernel):
    """The living units' engaged strength in platoon-equivalents, each stamped as a cone and
    summed by ``numpy.bincount`` (unit by unit, offset by offset)."""
    nx, ny = shape
    alive = strength > 0
    weight = np.minimum(strength, engaged_max.astype(np.int64))[alive] / PLATOON
    cx = x[alive].astype(np.intp)[:, None] + kernel.dx[None, :]
    cy = y[alive].astype(np.intp)[:, None] + kernel.dy[None, :]
    w = weight[:, None] * kernel.weight[None, :]
    inside = (cx >= 0) & (cx < nx) & (cy >= 0) & (cy < ny)
    flat = cx[inside] * ny + cy[inside]
    return np.bincount(flat, weights=w[inside], minlength=nx * ny).reshape(shape).astype(float)


def units(seed, n, nx, ny):
    """Units on and near the grid, some dead (strength <= 0), engaged_max with fractions (cut
    toward zero) and both above and below the strength."""
    rng = np.random.default_rng(seed)
    x = rng.integers(-3, nx + 3, n).astype(np.int32)
    y = rng.integers(-3, ny + 3, n).astype(np.int32)
    strength = rng.integers(-5, 200, n).astype(np.int64)
    engaged_max = rng.random(n) * 250.0
    return x, y, strength, engaged_max


@given(nx=st.integers(1, 30), ny=st.integers(1, 30), n=st.integers(0, 25),
       radius=st.floats(2.0, 40.0), seed=st.integers(0, 2**32 - 1))
@settings(max_examples=120, deadline=None)
def test_threat_field_is_the_numpy_rule_to_the_bit(nx, ny, n, radius, seed):
    """Planted bugs: dead units counted (>= 0 for > 0), the strength in place of the engaged
    strength, engaged_max rounded instead of cut, x and y swapped, the weight divided as an
    integer."""
    x, y, strength, engaged_max = units(seed, n, nx, ny)
    kernel = Kernel.cone(radius, 5.0, 4.5)
    got = np.zeros((nx, ny))
    add_threat(got, x, y, strength, engaged_max, PLATOON, kernel.dx, kernel.dy, kernel.weight)
    want = reference_threat((nx, ny), x, y, strength, engaged_max, kernel)
    assert got.tobytes() == want.tobytes()


@given(n=st.integers(0, 12), seed=st.integers(0, 2**32 - 1))
@settings(max_examples=60, deadline=None)
def test_threat_is_zero_beyond_every_living_unit_and_full_where_one_stands(n, seed):
    """The cone's invariants: no threat farther than the perception radius from every living
    unit (dead ones add none); a lone unit's full weight, engaged strength / PLATOON, on its own
    square."""
    nx, ny, radius, km_x, km_y = 24, 20, 15.0, 5.0, 4.5
    x, y, strength, engaged_max = units(seed, n, nx, ny)
    kernel = Kernel.cone(radius, km_x, km_y)
    got = np.zeros((nx, ny))
    add_threat(got, x, y, strength, engaged_max, PLATOON, kernel.dx, kernel.dy, kernel.weight)
    gx, gy = np.meshgrid(np.arange(nx), np.arange(ny), indexing="ij")
    alive = strength > 0
    near = np.zeros((nx, ny), bool)
    for ux, uy in zip(x[alive], y[alive], strict=True):
        near |= np.hypot((gx - ux) * km_x, (gy - uy) * km_y) < radius
    assert (got[~near] == 0).all() and (got >= 0).all()
    for i in np.flatnonzero(alive):
        if 0 <= x[i] < nx and 0 <= y[i] < ny:
            lone = np.zeros((nx, ny))
            add_threat(lone, x[i:i + 1], y[i:i + 1], strength[i:i + 1], engaged_max[i:i + 1],
                       PLATOON, kernel.dx, kernel.dy, kernel.weight)
            expected = min(strength[i], int(engaged_max[i])) / PLATOON
            assert lone[x[i], y[i]] == expected and lone.max() == expected
