"""The compiled cordon cover (``operation_kernels.cordon_cover``) against the numpy expression
of the rule it replaces, and the plan's ``cordon_gaps`` on a real operation area.

The rule (``OperationPlan.cordon_gaps``): a cordon square is held when a counted unit stands
with the square inside its cordon disc (the kernel's offsets); a gap is a stretch of
8-connected cordon squares not held. The oracle below writes it as whole arrays: every
(unit, offset) square compared with every cordon square, and the stretches as the connected
components (scipy) of the graph of the open squares. Results must be equal exactly.
"""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from encircle_sim.operation import _neighbour_pairs
from encircle_sim.operation_kernels import cordon_cover


def reference_cover(x, y, on, dx, dy, shape, cordon_xy):
    """(gap stretches, open squares, held) as whole-array numpy and scipy expressions."""
    nx, ny = shape
    sx = x[on][:, None] + dx[None, :]
    sy = y[on][:, None] + dy[None, :]
    inside = (sx >= 0) & (sx < nx) & (sy >= 0) & (sy < ny)
    sx, sy = sx[inside], sy[inside]
    held = ((cordon_xy[:, 0][:, None] == sx[None, :])
            & (cordon_xy[:, 1][:, None] == sy[None, :])).any(axis=1)
    free = np.flatnonzero(~held)
    if len(free) == 0:
        return 0, 0, held
    sub = cordon_xy[free]
    touch = (np.abs(sub[:, None, :] - sub[None, :, :]).max(axis=2) <= 1)
    n, _ = connected_components(coo_matrix(touch), directed=False)
    return int(n), len(free), held


def cover(x, y, on, dx, dy, shape, cordon_xy):
    index = np.full(shape, -1, np.int64)
    index[cordon_xy[:, 0], cordon_xy[:, 1]] = np.arange(len(cordon_xy))
    a, b = _neighbour_pairs(cordon_xy)
    held = np.ones(len(cordon_xy), bool)  # junk: the kernel must clear it
    gaps, open_squares = cordon_cover(x, y, on, dx, dy, index, a, b, held)
    return gaps, open_squares, held


@st.composite
def cordons(draw):
    """A grid, a set of cordon squares on it (in argwhere order, as the plan keeps them), a
    disc-like kernel and units, some off the grid (their disc may still reach into it)."""
    nx, ny = draw(st.integers(1, 12)), draw(st.integers(1, 12))
    ring = np.array(draw(st.lists(st.booleans(), min_size=nx * ny, max_size=nx * ny)),
                    bool).reshape(nx, ny)
    cordon_xy = np.argwhere(ring).astype(np.int32)
    r = draw(st.integers(0, 2))
    ox, oy = np.meshgrid(np.arange(-r, r + 1), np.arange(-r, r + 1), indexing="ij")
    keep = np.array(draw(st.lists(st.booleans(), min_size=ox.size, max_size=ox.size)), bool)
    keep[ox.size // 2] = True  # the centre, as every disc kernel holds it
    dx, dy = ox.ravel()[keep], oy.ravel()[keep]
    k = draw(st.integers(0, 8))
    x = np.array(draw(st.lists(st.integers(-3, nx + 2), min_size=k, max_size=k)), np.int32)
    y = np.array(draw(st.lists(st.integers(-3, ny + 2), min_size=k, max_size=k)), np.int32)
    on = np.array(draw(st.lists(st.booleans(), min_size=k, max_size=k)), bool)
    return x, y, on, dx, dy, (nx, ny), cordon_xy


@given(cordons())
@settings(max_examples=400, deadline=None)
def test_cordon_cover_matches_the_numpy_rule(case):
    gaps, open_squares, held = cover(*case)
    want_gaps, want_open, want_held = reference_cover(*case)
    assert held.tolist() == want_held.tolist()
    assert (gaps, open_squares) == (want_gaps, want_open)


@given(cordons())
@settings(max_examples=200, deadline=None)
def test_gaps_are_at_most_the_open_squares_and_more_units_never_open_the_line(case):
    x, y, on, dx, dy, shape, cordon_xy = case
    gaps, open_squares, held = cover(*case)
    assert 0 <= gaps <= open_squares == len(cordon_xy) - held.sum()
    assert (gaps == 0) == (open_squares == 0)
    _, _, held_all = cover(x, y, np.ones(len(x), bool), dx, dy, shape, cordon_xy)
    assert not (held & ~held_all).any()  # counting more units holds a superset


def test_a_line_with_one_held_square_in_the_middle_has_two_gaps():
    """A straight cordon of 9 squares, one unit with a 1-square kernel on its middle square:
    two stretches of 4 open squares each; the unit not counted: one stretch of 9."""
    cordon_xy = np.column_stack([np.arange(9), np.zeros(9, int)]).astype(np.int32)
    x, y = np.array([4], np.int32), np.array([0], np.int32)
    one = np.array([0])
    got = cover(x, y, np.array([True]), one, one, (9, 1), cordon_xy)
    assert got[:2] == (2, 8) and got[2].tolist() == [False] * 4 + [True] + [False] * 4
    assert cover(x, y, np.array([False]), one, one, (9, 1), cordon_xy)[:2] == (1, 9)


def test_plan_cordon_gaps_on_the_default_area_matches_the_numpy_rule():
    """The plan's own cordon (the default scenario's area) with the units where the model put
    them, every other one counted."""
    from encircle_sim.model import CampaignModel
    from encircle_sim.scenario_files import load_scenario

    model = CampaignModel(load_scenario("victory_will"), rng=7)
    for _ in range(3):
        model.step()
    plan, u = model.plan, model.units
    on = u.alive & ~u.syria
    on[::2] = False
    gaps, km, held = plan.cordon_gaps(u.x, u.y, on)
    k = plan._cordon_kernel
    want_gaps, want_open, want_held = reference_cover(u.x, u.y, on, k.dx, k.dy,
                                                      plan.area.shape, plan.cordon_xy)
    assert held.tolist() == want_held.tolist()
    assert (gaps, km) == (want_gaps, float(want_open * plan.cell_km))
    # the same units passed as the subset itself
    assert plan.cordon_gaps(u.x[on], u.y[on])[:2] == (gaps, km)


def reference_front(front, objective, km, km_per_step):
    """One axis front's step as whole (2,) arrays: toward the objective by km_per_step km
    (distance in km on the plan's [km_x, km_y]), not past it; None if it stays."""
    dxy = (objective - front) * km
    dist = float(np.hypot(*dxy))
    if dist < 1e-6:
        return None
    return front + min(1.0, km_per_step / dist) * (objective - front)


@given(st.data())
@settings(max_examples=200, deadline=None)
def test_advance_fronts_matches_the_array_formula(data):
    from encircle_sim.operation import Axis, OperationPlan, Phase

    coord = st.floats(-50, 150, allow_nan=False)
    k = data.draw(st.integers(1, 5))
    plan = OperationPlan.__new__(OperationPlan)   # only the fields advance_fronts reads
    plan._km = np.array([data.draw(st.floats(0.5, 12)), data.draw(st.floats(0.5, 12))])
    plan.phase = data.draw(st.sampled_from([Phase.ADVANCE, Phase.ASSAULT]))
    plan.axes = []
    for i in range(k):
        start = np.array([data.draw(coord), data.draw(coord)])
        objective = data.draw(st.one_of(st.none(), st.tuples(coord, coord)))
        if objective is not None and data.draw(st.booleans()):
            objective = tuple(start)   # on the objective already
        ax = Axis(f"a{i}", start, None if objective is None else np.array(objective, float),
                  data.draw(st.floats(0.0, 40.0)))
        plan.axes.append(ax)
    ready = data.draw(st.lists(st.booleans(), min_size=k, max_size=k))
    want = []
    for ax, go in zip(plan.axes, ready, strict=True):
        moved = reference_front(ax.front, ax.objective, plan._km, ax.km_per_step) \
            if go and ax.objective is not None else None
        want.append(ax.front.copy() if moved is None else moved)
    plan.advance_fronts(ready)
    for ax, w in zip(plan.axes, want, strict=True):
        assert ax.front.dtype == np.float64 and ax.front.shape == (2,)
        assert ax.front.tolist() == w.tolist()


def test_fronts_stay_outside_phases_two_and_three():
    from encircle_sim.operation import Axis, OperationPlan, Phase

    plan = OperationPlan.__new__(OperationPlan)
    plan._km = np.array([1.0, 1.0])
    plan.axes = [Axis("a", np.array([0.0, 0.0]), np.array([10.0, 0.0]), 2.0)]
    for phase in (Phase.NONE, Phase.PERIMETER, Phase.ENDED):
        plan.phase = phase
        plan.advance_fronts([True])
        assert plan.axes[0].front.tolist() == [0.0, 0.0]
    plan.phase = Phase.ADVANCE
    plan.advance_fronts([True])
    assert plan.axes[0].front.tolist() == [2.0, 0.0]   # 2 km on a 1 km grid


def test_front_distance_is_numpys_hypot_to_the_bit():
    """(2, 29/3) km: numpy's hypot (libm) and Python's math.hypot round this one differently;
    the step must use the one the array formula used, or runs would drift from earlier ones."""
    from encircle_sim.operation import Axis, OperationPlan, Phase

    plan = OperationPlan.__new__(OperationPlan)
    plan._km = np.array([1.0, 1.0])
    plan.phase = Phase.ADVANCE
    objective = np.array([2.0, 29 / 3])
    plan.axes = [Axis("a", np.zeros(2), objective, 1.0)]
    plan.advance_fronts([True])
    assert plan.axes[0].front.tolist() == reference_front(np.zeros(2), objective,
                                                          plan._km, 1.0).tolist()


def reference_largest_piece_centre(mask):
    """The numpy / scipy expression the kernel replaced (OperationPlan._largest_piece_centre)."""
    from scipy import ndimage

    labels, n = ndimage.label(mask, structure=np.ones((3, 3), bool))
    sizes = ndimage.sum_labels(mask, labels, index=np.arange(1, n + 1))
    biggest = int(np.argmax(sizes)) + 1
    return np.argwhere(labels == biggest).mean(axis=0)


@st.composite
def masks(draw):
    nx, ny = draw(st.integers(1, 14)), draw(st.integers(1, 14))
    density = draw(st.sampled_from([0.1, 0.3, 0.5, 0.9]))
    seed = draw(st.integers(0, 2**32 - 1))
    return np.random.default_rng(seed).random((nx, ny)) < density


@given(masks())
@settings(max_examples=400, deadline=None)
def test_largest_piece_centre_matches_ndimage(mask):
    from encircle_sim.operation_kernels import largest_piece_centre

    x, y, found = largest_piece_centre(mask)
    assert found == bool(mask.any())
    if found:
        assert [x, y] == reference_largest_piece_centre(mask).tolist()


def test_of_two_pieces_of_equal_size_the_first_in_scan_order_wins():
    """Two 2-square pieces, the lower-right one first in a row-major scan only by its row."""
    from encircle_sim.operation_kernels import largest_piece_centre

    mask = np.zeros((6, 6), bool)
    mask[1, 4:6] = True      # first in scan order (row 1)
    mask[4, 0:2] = True
    assert largest_piece_centre(mask) == (1.0, 4.5, True)
    mask[5, 5] = True        # diagonal neighbour of nothing: a third, smaller piece
    mask[3, 2] = True        # joins (4, 1) diagonally: the second piece is now the largest
    assert largest_piece_centre(mask) == (11 / 3, 1.0, True)
    assert largest_piece_centre(np.zeros((3, 3), bool))[2] is False


@given(st.data())
@settings(max_examples=300, deadline=None)
def test_add_coverage_clear_matches_the_numpy_expression(data):
    from encircle_sim.operation_kernels import add_coverage_clear

    nx, ny = data.draw(st.integers(1, 12)), data.draw(st.integers(1, 12))
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1)))
    clear = data.draw(st.sampled_from([0.5, 1.0, 2.0]))
    # coverage often landing exactly on the threshold: "<" against "<=" must show
    coverage = rng.choice([0.0, 0.25, 0.5, 1.0, 1.5, 2.0, 0.1, 0.2], (nx, ny))
    step = rng.choice([0.0, 0.25, 0.5, 0.1, 0.3], (nx, ny))
    pocket = rng.random((nx, ny)) < 0.7
    band = rng.random((nx, ny)) < 0.4
    want_cov = coverage + step
    want_pocket = pocket & (want_cov < clear)
    got_pocket = pocket.copy()
    left, band_cleared = add_coverage_clear(coverage, step, got_pocket, band, clear)
    assert coverage.tolist() == want_cov.tolist()
    assert got_pocket.tolist() == want_pocket.tolist()
    assert (left, band_cleared) == (int(want_pocket.sum()), int((band & ~want_pocket).sum()))
