"""Unit and property tests of the vectorised pieces: fields, network components, movement."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import ndimage
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from encircle_sim.fields import Kernel, splat, splat_by_radius_into
from encircle_sim.model import navigator_for, region_for
from encircle_sim.networks import components
from encircle_sim.scenario_files import load_scenario


@given(st.integers(5, 40), st.integers(5, 40), st.integers(0, 30), st.floats(3.0, 30.0),
       st.integers(0, 2**32 - 1))
@settings(max_examples=60, deadline=None)
def test_splat_equals_convolution(nx, ny, n, radius, seed):
    rng = np.random.default_rng(seed)
    x, y = rng.integers(0, nx, n), rng.integers(0, ny, n)
    w = rng.random(n)
    kernel = Kernel.cone(radius, 5.0, 4.5)
    dense = np.zeros((nx, ny))
    np.add.at(dense, (x, y), w)
    expected = ndimage.correlate(dense, kernel.as_array(), mode="constant")
    np.testing.assert_allclose(splat((nx, ny), x, y, w, kernel), expected, atol=1e-12)


def bincount_splat(shape, x, y, weight, kernel):
    """``splat``'s rule in numpy (its implementation before it was compiled): every point's
    stamp, flattened point by point, summed by ``numpy.bincount``."""
    nx, ny = shape
    cx = np.asarray(x)[:, None] + kernel.dx[None, :]
    cy = np.asarray(y)[:, None] + kernel.dy[None, :]
    w = np.asarray(weight, float)[:, None] * kernel.weight[None, :]
    inside = (cx >= 0) & (cx < nx) & (cy >= 0) & (cy < ny)
    flat = cx[inside] * ny + cy[inside]
    return np.bincount(flat, weights=w[inside], minlength=nx * ny).reshape(shape)


@given(st.integers(1, 30), st.integers(1, 30), st.integers(1, 40), st.floats(3.0, 30.0),
       st.booleans(), st.sampled_from([np.int32, np.int64]), st.integers(0, 2**32 - 1))
@settings(max_examples=80, deadline=None)
def test_compiled_splat_sums_as_bincount_does_to_the_bit(nx, ny, n, radius, cone, dtype, seed):
    # points may stand off the grid (stamps clipped); weights of any sign and size, so that the
    # order of the additions shows in the last bits
    rng = np.random.default_rng(seed)
    x = rng.integers(-5, nx + 5, n).astype(dtype)
    y = rng.integers(-5, ny + 5, n).astype(dtype)
    w = rng.normal(0.0, 1.0, n) * 10.0 ** rng.integers(-8, 8, n)
    kernel = (Kernel.cone if cone else Kernel.disc)(radius, 5.0, 4.5)
    got = splat((nx, ny), x, y, w, kernel)
    want = bincount_splat((nx, ny), x, y, w, kernel)
    # (bincount gave integer zeros when no stamp touched the grid; splat always floats)
    assert got.dtype == np.float64 and got.shape == want.shape
    assert got.tobytes() == want.astype(np.float64).tobytes()


@given(st.integers(1, 25), st.integers(1, 25), st.integers(0, 30),
       st.lists(st.floats(3.0, 20.0), min_size=1, max_size=4, unique=True),
       st.integers(0, 2**32 - 1))
@settings(max_examples=80, deadline=None)
def test_splat_by_radius_adds_each_radius_group_as_splat_does(nx, ny, n, radii, seed):
    # the rule: for each radius in turn, total += splat(points of that radius, its disc)
    rng = np.random.default_rng(seed)
    kernels = {r: Kernel.disc(r, 5.0, 4.5) for r in radii}
    radius = rng.choice(np.array(radii + [99.0]), n)      # 99: no kernel, no coverage
    x, y = rng.integers(-3, nx + 3, n), rng.integers(-3, ny + 3, n)
    w = rng.normal(0.0, 1.0, n) * 10.0 ** rng.integers(-8, 8, n)
    start = rng.normal(0.0, 1.0, (nx, ny))
    want = start.copy()
    for r, kernel in kernels.items():
        mine = radius == r
        if mine.any():
            want += bincount_splat((nx, ny), x[mine], y[mine], w[mine], kernel)
    got = start.copy()
    splat_by_radius_into(got, radius, x, y, w, kernels)
    assert got.tobytes() == want.tobytes()


@given(st.integers(1, 60), st.lists(st.tuples(st.integers(0, 59), st.integers(0, 59)),
                                    max_size=120))
@settings(max_examples=200, deadline=None)
def test_components_partition_like_scipy(n, edges):
    edges = [(a, b) for a, b in edges if a < n and b < n]
    a = np.array([e[0] for e in edges], np.int64)
    b = np.array([e[1] for e in edges], np.int64)
    mine = components(n, a, b)
    graph = coo_matrix((np.ones(len(a)), (a, b)), shape=(n, n))
    _, ref = connected_components(graph, directed=False)
    # same partition: labels correspond one to one
    pairs = set(zip(mine.tolist(), ref.tolist(), strict=True))
    assert len(pairs) == len(set(mine.tolist())) == len(set(ref.tolist()))


@pytest.fixture(scope="module")
def nav():
    return navigator_for(region_for(load_scenario("victory_will")))


def test_moves_stay_on_passable_ground_and_cross_rivers_only_at_crossings(nav):
    rng = np.random.default_rng(0)
    ok = np.argwhere(nav.passable)
    start = ok[rng.integers(0, len(ok), 300)]
    goal = ok[rng.integers(0, len(ok), 300)]
    x, y = start[:, 0], start[:, 1]
    routed = np.zeros(len(x), bool)
    for _ in range(30):
        nx_, ny_, km = nav.advance(x, y, goal[:, 0], goal[:, 1], np.full(len(x), 40.0),
                                   routed=routed)
        assert nav.passable[nx_, ny_].all()
        b0, b1 = nav.bank[x, y], nav.bank[nx_, ny_]
        # a change of bank passes through a crossing (bank 0), where agents stop
        assert not ((b0 > 0) & (b1 > 0) & (b0 != b1)).any()
        assert (km >= 0).all()
        x, y = nx_, ny_
    # 1200 km of budget is enough to reach any goal on the map, around lakes and rivers, over
    # crossings: greedy descent alone leaves many stuck, route fields get (nearly) all there
    assert np.mean((x == goal[:, 0]) & (y == goal[:, 1])) > 0.97


def test_movement_budget_is_respected(nav):
    rng = np.random.default_rng(1)
    ok = np.argwhere(nav.passable)
    start = ok[rng.integers(0, len(ok), 500)]
    goal = ok[rng.integers(0, len(ok), 500)]
    budget = rng.uniform(0, 30, 500)
    _, _, km = nav.advance(start[:, 0], start[:, 1], goal[:, 0], goal[:, 1], budget)
    # move cost is at least 1 per km off-road (roads may be cheaper: factor 1 here); only the
    # first move of a call may overrun the budget (a crossing can take a whole step)
    longest = np.hypot(nav.km_x.max(), nav.km_y)
    assert (km <= np.maximum(budget, longest) + 1e-9).all()
    assert (km[budget > longest] <= budget[budget > longest] + 1e-9).all()
