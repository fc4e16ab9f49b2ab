"""The compiled move loop (``navigation_kernels.move_agents`` behind ``Navigator.advance``)
against the rule it carries out, on random small grids with rivers, crossings, lakes and roads.

The oracle is the move rule written with whole-array numpy operations (``reference_advance``
below: the implementation ``advance`` had before it was compiled, kept here only as the
reference): every agent's square, km travelled and route-field mode must be the same to the bit.
Besides, invariants of the rule itself (never across a river but at a crossing, the budget kept
but for a call's first move) and a few cases whose outcome follows from the rule alone.
"""

from __future__ import annotations

import math
import pickle

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from oracles import reference_points_in_disc

from encircle_sim.navigation import OFFSETS_AND_STAY, PADDED_STEPS, Navigator


def reference_advance(nav: Navigator, x, y, gx, gy, budget_km, road_factor=1.0, max_moves=64,
                      routed=None):
    """The move rule of ``Navigator.advance`` over whole arrays (its numpy implementation)."""
    x, y = x.astype(np.int32), y.astype(np.int32)
    travelled = np.zeros(len(x))
    if len(x) == 0:
        return x, y, travelled
    gx, gy = np.asarray(gx, np.int32), np.asarray(gy, np.int32)
    state = np.zeros(len(x), bool) if routed is None else routed
    routed = state.copy()
    budget_all = np.asarray(budget_km, float)
    idx = ((budget_all > 0) & ((x != gx) | (y != gy))).nonzero()[0]
    ny = nav.shape[1]
    pad_steps = PADDED_STEPS[ny + 2]
    ax, ay, agx, agy = (a[idx].astype(np.intp) for a in (x, y, gx, gy))
    wpx, wpy = nav.waypoints(ax, ay, agx, agy)
    sq, goal_sq, wp_sq = ax * ny + ay, agx * ny + agy, wpx * ny + wpy
    budget = budget_all[idx]
    road = np.asarray(road_factor, float)
    road = road[idx] if road.ndim else np.full(len(idx), road)
    km = np.zeros(len(idx))
    on_field = routed[idx]
    going = np.ones(len(idx), bool)
    ox, oy = OFFSETS_AND_STAY[:, 0], OFFSETS_AND_STAY[:, 1]
    ky = nav.km_y
    for _ in range(max_moves):
        ax, ay = np.divmod(sq, ny)
        wpx, wpy = np.divmod(wp_sq, ny)
        kx = nav.km_x[ay]
        d = ((((ax - wpx)[:, None] + ox) * kx[:, None]) ** 2
             + (((ay - wpy)[:, None] + oy) * ky) ** 2)
        d_now = d[:, 8]          # a view: a route-field agent's field value where it stands
        ok = nav._free[sq]
        k = (nav._near_crossing[sq] & nav._crossing_flat[wp_sq] & ~on_field).nonzero()[0]
        ok[k] |= nav._legal_flat[sq[k]] & (nav._next_square[sq[k]] == wp_sq[k, None])
        for k in (on_field & going).nonzero()[0]:
            f = nav._padded_route_field(goal_sq[k] // ny, goal_sq[k] % ny).ravel()
            d[k] = f[(ax[k] + 1) * (ny + 2) + ay[k] + 1 + pad_steps]
            ok[k] = nav._legal_flat[sq[k]]
        d_next = np.where(ok, d[:, :8], np.inf)
        best = d_next.argmin(axis=1)
        improves = d_next.min(axis=1) < d_now - 1e-9
        move = sq * 8 + best
        step_km = nav._move_km[move]
        cost = nav._move_cost[move]
        cost = np.where(nav._move_road[move], np.minimum(cost, road), cost) * step_km
        affordable = ((cost <= budget + 1e-9) | (km == 0)) & going
        can = improves & affordable
        to = nav._next_flat[move]
        sq = np.where(can, to, sq)
        budget = np.where(can, np.maximum(budget - cost, 0.0), budget)
        km += np.where(can, step_km, 0.0)
        done = can & (nav._crossing_flat[to] | (to == goal_sq))
        wp_sq = np.where(can & (to == wp_sq) & ~done, goal_sq, wp_sq)
        stuck = ~improves & affordable & ~on_field
        on_field |= stuck
        going = (can & ~done) | stuck
    x[idx], y[idx] = np.divmod(sq, ny)
    travelled[idx] = km
    routed[idx] = on_field
    state[:] = routed & ((x != gx) | (y != gy))
    return x, y, travelled


def grid_navigator(nx, ny, river_at, crossings, lakes, roads, cost, km_x, km_y) -> Navigator:
    """A navigator of an nx x ny grid: a river down column ``river_at`` (None: no river) passable
    at rows ``crossings``, lake squares, road squares, a terrain cost per square."""
    river = np.zeros((nx, ny), bool)
    lake = np.zeros((nx, ny), bool)
    lake[tuple(np.array(lakes, np.intp).reshape(-1, 2).T)] = True
    passable = ~lake
    if river_at is not None:
        river[river_at, :] = True
        passable[river_at, :] = False
        passable[river_at, list(crossings)] = True
    lake &= ~river
    road = np.zeros((nx, ny), bool)
    road[tuple(np.array(roads, np.intp).reshape(-1, 2).T)] = True
    layers = {"passable": passable, "river": river, "lake": lake, "move_cost": cost,
              "road": road}
    return Navigator.from_layers(layers, km_x, km_y)


@st.composite
def worlds(draw):
    """A random small grid and agents on it: (navigator, call arguments, max_moves)."""
    nx, ny = draw(st.integers(3, 14)), draw(st.integers(3, 14))
    squares = st.tuples(st.integers(0, nx - 1), st.integers(0, ny - 1))
    river_at = draw(st.none() | st.integers(1, nx - 2))
    crossings = draw(st.sets(st.integers(0, ny - 1), max_size=3))
    lakes = draw(st.lists(squares, max_size=nx * ny // 3))
    roads = draw(st.lists(squares, max_size=nx * ny // 2))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    cost = rng.uniform(1.0, 4.0, (nx, ny))
    km_x = rng.uniform(3.0, 6.0, ny)
    nav = grid_navigator(nx, ny, river_at, crossings, lakes, roads, cost, km_x,
                         float(rng.uniform(3.0, 6.0)))
    ok = np.argwhere(nav.passable)
    n = draw(st.integers(0, 40)) if len(ok) else 0
    start, goal = ok[rng.integers(0, len(ok), n)], ok[rng.integers(0, len(ok), n)]
    budget = rng.choice([0.0, 2.0, 10.0, 60.0, 400.0], n) * rng.random(n)
    road = rng.uniform(0.2, 1.5, n) if draw(st.booleans()) else float(rng.uniform(0.2, 1.5))
    routed = rng.random(n) < 0.3
    return nav, (start[:, 0], start[:, 1], goal[:, 0], goal[:, 1], budget, road, routed), \
        draw(st.integers(0, 70))


def same_bits(a: np.ndarray, b: np.ndarray) -> bool:
    return a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes()


@given(worlds(), st.integers(1, 4))
@settings(max_examples=150, deadline=None)
def test_the_compiled_loop_moves_every_agent_as_the_rule_does(world, calls):
    nav, (x, y, gx, gy, budget, road, routed), max_moves = world
    mine, ref = routed.copy(), routed.copy()
    for _ in range(calls):   # successive calls: route-field mode carried over by ``routed``
        got = nav.advance(x, y, gx, gy, budget, road, max_moves=max_moves, routed=mine)
        want = reference_advance(nav, x, y, gx, gy, budget, road, max_moves, ref)
        for a, b in zip(got, want, strict=True):
            assert same_bits(a, b)
        assert same_bits(mine, ref)
        x, y = got[0], got[1]


@given(worlds())
@settings(max_examples=100, deadline=None)
def test_agents_cross_rivers_only_at_crossings_and_keep_their_budget(world):
    nav, (x, y, gx, gy, budget, _, routed), max_moves = world
    # terrain costs 1 to 4 per km and roads no less than 1: a km travelled costs at least 1
    nx_, ny_, km = nav.advance(x, y, gx, gy, budget, 1.0, max_moves=max_moves, routed=routed)
    assert nav.passable[nx_, ny_].all()
    b0, b1 = nav.bank[x, y], nav.bank[nx_, ny_]
    assert not ((b0 > 0) & (b1 > 0) & (b0 != b1)).any()   # a crossing (bank 0) stops a mover
    longest = np.hypot(nav.km_x.max(), nav.km_y)
    # only a call's first move may cost more than what is left
    assert (km <= np.maximum(budget, longest) + 1e-6).all()
    assert (km[budget <= 0] == 0).all()
    # an agent left in route-field mode is one that has not reached its goal
    assert not (routed & (nx_ == gx) & (ny_ == gy)).any()


def open_desert(nx=12, ny=12, **kw) -> Navigator:
    spec = {"river_at": None, "crossings": (), "lakes": [], "roads": [],
            "cost": np.ones((nx, ny)), "km_x": np.full(ny, 5.0), "km_y": 5.0} | kw
    return grid_navigator(nx, ny, **spec)


def test_in_open_desert_an_agent_goes_straight_at_one_km_per_km_of_budget():
    nav = open_desert()
    one = np.array([1])
    # 8 squares east of the goal's row, 5 km each: 40 km; 22 km of budget make 4 moves (20 km)
    x, y, km = nav.advance(one * 2, one * 3, one * 10, one * 3, np.array([22.0]))
    assert (x[0], y[0], km[0]) == (6, 3, 20.0)
    # with enough budget it arrives, having gone the straight distance
    x, y, km = nav.advance(one * 2, one * 3, one * 10, one * 3, np.array([100.0]))
    assert (x[0], y[0], km[0]) == (10, 3, 40.0)


def test_a_road_move_costs_the_road_factor_per_km():
    roads = [(i, 3) for i in range(12)]
    nav = open_desert(cost=np.full((12, 12), 3.0), roads=roads)
    one = np.array([1])
    # on the road a 5 km move costs 5 x min(3, 0.5) = 2.5: 10 km of budget make 4 moves
    x, _, km = nav.advance(one * 2, one * 3, one * 10, one * 3, np.array([10.0]), 0.5)
    assert (x[0], km[0]) == (6, 20.0)
    # off it a move costs 5 x 3 = 15: one move all the same (a call's first move is made even
    # if dearer than the budget), and nothing is left for another
    x, _, km = nav.advance(one * 2, one * 5, one * 10, one * 5, np.array([10.0]), 0.5)
    assert (x[0], km[0]) == (3, 5.0)


def test_a_river_is_crossed_at_its_crossing_where_the_mover_stops():
    nav = open_desert(river_at=6, crossings=(9,))
    one = np.array([1])
    x, y, _ = nav.advance(one * 2, one * 2, one * 10, one * 2, np.array([500.0]))
    assert (x[0], y[0]) == (6, 9)                       # on the crossing, for this call
    x, y, _ = nav.advance(x, y, one * 10, one * 2, np.array([500.0]))
    assert (x[0], y[0]) == (10, 2)


def test_an_agent_stuck_behind_a_lake_follows_the_route_field_round_it():
    # a lake wall across the way, open only at its north end (row 11); the goal just behind it
    nav = open_desert(lakes=[(6, j) for j in range(0, 11)])
    one = np.array([1])
    routed = np.zeros(1, bool)
    # greedy descent takes it to the wall at (5, 2), where no neighbour is nearer the goal: it
    # turns to the route field, which leads it north along the wall
    x, y, _ = nav.advance(one * 4, one * 2, one * 8, one * 2, np.array([40.0]), routed=routed)
    assert routed[0] and x[0] <= 6 and y[0] > 2
    x, y, _ = nav.advance(x, y, one * 8, one * 2, np.array([500.0]), routed=routed)
    assert (x[0], y[0]) == (8, 2) and not routed[0]    # round the end of the wall, arrived


def test_a_pickled_navigator_moves_agents_the_same():
    nav = open_desert(river_at=6, crossings=(3, 9), lakes=[(3, j) for j in range(5, 12)])
    again = pickle.loads(pickle.dumps(nav))
    rng = np.random.default_rng(3)
    ok = np.argwhere(nav.passable)
    s, g = ok[rng.integers(0, len(ok), 50)], ok[rng.integers(0, len(ok), 50)]
    budget = rng.uniform(0, 60, 50)
    for a, b in zip(nav.advance(s[:, 0], s[:, 1], g[:, 0], g[:, 1], budget),
                    again.advance(s[:, 0], s[:, 1], g[:, 0], g[:, 1], budget), strict=True):
        assert same_bits(a, b)


@pytest.mark.parametrize("max_moves", [0, 1])
def test_max_moves_counts_the_moves_of_a_call(max_moves):
    nav = open_desert()
    one = np.array([1])
    x, _, km = nav.advance(one * 2, one * 3, one * 10, one * 3, np.array([100.0]),
                           max_moves=max_moves)
    assert (x[0], km[0]) == (2 + max_moves, 5.0 * max_moves)


@given(st.integers(1, 12), st.integers(0, 9), st.integers(0, 9), st.integers(0, 2**32 - 1),
       st.sampled_from([np.int32, np.int64]))
@settings(max_examples=60, deadline=None)
def test_distance_matrix_is_the_flat_earth_distance_at_the_middle_row(ny, n, m, seed, dtype):
    rng = np.random.default_rng(seed)
    nav = open_desert(nx=12, ny=ny, km_x=rng.uniform(3.0, 6.0, ny), km_y=4.5)
    x1, x2 = rng.integers(0, 12, n).astype(dtype), rng.integers(0, 12, m).astype(dtype)
    y1, y2 = rng.integers(0, ny, n).astype(dtype), rng.integers(0, ny, m).astype(dtype)
    d = nav.distance_matrix(x1, y1, x2, y2)
    assert d.shape == (n, m) and d.dtype == np.float64
    # the same figures as distance_km's, and as the formula's in plain Python floats
    assert same_bits(d, nav.distance_km(x1[:, None], y1[:, None], x2[None, :], y2[None, :]))
    for i in range(n):
        for j in range(m):
            kx = float(nav.km_x[(int(y1[i]) + int(y2[j])) // 2])
            dx, dy = int(x1[i] - x2[j]) * kx, int(y1[i] - y2[j]) * 4.5
            assert d[i, j] == math.sqrt(dx * dx + dy * dy)


@given(worlds(), st.integers(1, 3))
@settings(max_examples=60, deadline=None)
def test_a_route_cache_smaller_than_the_goals_in_use_moves_agents_the_same(world, size):
    # with room for 1 to 3 fields, agents on route fields to more goals than that wait their
    # turn (their fields are computed a few at a time): the same moves as with room for all
    import encircle_sim.navigation as navigation

    nav, (x, y, gx, gy, budget, road, routed), max_moves = world
    want = reference_advance(nav, x, y, gx, gy, budget, road, max_moves, routed.copy())
    small = pickle.loads(pickle.dumps(nav))
    saved = navigation.ROUTE_CACHE_SIZE, navigation.ROUTE_SLOTS_FIRST
    navigation.ROUTE_CACHE_SIZE, navigation.ROUTE_SLOTS_FIRST = size, 1
    try:
        small._empty_route_cache()
        got = small.advance(x, y, gx, gy, budget, road, max_moves=max_moves, routed=routed)
        assert len(small._slot_goal) <= size
    finally:
        navigation.ROUTE_CACHE_SIZE, navigation.ROUTE_SLOTS_FIRST = saved
    for a, b in zip(got, want, strict=True):
        assert same_bits(a, b)


def test_the_route_cache_gives_up_the_least_recently_used_field_and_pickles_its_order(
        monkeypatch):
    import encircle_sim.navigation as navigation

    monkeypatch.setattr(navigation, "ROUTE_CACHE_SIZE", 3)
    monkeypatch.setattr(navigation, "ROUTE_SLOTS_FIRST", 2)
    nav = open_desert(lakes=[(6, j) for j in range(0, 11)])
    nav._empty_route_cache()
    goals = [(8, 2), (9, 5), (10, 8), (2, 2)]
    fields = {g: nav.route_field(*g) for g in goals[:3]}
    nav.route_field(*goals[0])                     # (8, 2) used again: (9, 5) is now the oldest
    nav.route_field(*goals[3])                     # room for 3: (9, 5) gives way
    ny = nav.shape[1]
    cached = {(int(k) // ny, int(k) % ny) for k in nav._slot_goal if k >= 0}
    assert cached == {(8, 2), (10, 8), (2, 2)}
    # a route field is the least-cost distance: 0 at the goal, round the lake wall elsewhere
    assert fields[(8, 2)][8, 2] == 0 and fields[(8, 2)][4, 2] > 4 * 5.0
    state = nav.__getstate__()
    assert list(state["_routes"]) == [10 * ny + 8, 8 * ny + 2, 2 * ny + 2]   # oldest first
    again = pickle.loads(pickle.dumps(nav))
    assert list(again.__getstate__()["_routes"]) == list(state["_routes"])
    for g in [(8, 2), (10, 8)]:
        assert same_bits(again.route_field(*g), fields[g])


@given(worlds(), st.sampled_from([0.0, 3.0, 30.0]), st.integers(1, 3))
@settings(max_examples=100, deadline=None)
def test_route_fields_cut_short_move_agents_as_whole_fields_do(world, slack, calls):
    # route fields computed only as far out as the waiting agents stand (with little or no
    # slack: fields grown again and again as agents further out wait for them); the oracle
    # reads whole fields from a navigator of its own
    import encircle_sim.navigation as navigation

    nav, (x, y, gx, gy, budget, road, routed), max_moves = world
    whole = pickle.loads(pickle.dumps(nav))
    mine, ref = routed.copy(), routed.copy()
    saved = navigation.ROUTE_FIELD_SLACK_KM
    navigation.ROUTE_FIELD_SLACK_KM = slack
    try:
        for _ in range(calls):
            got = nav.advance(x, y, gx, gy, budget, road, max_moves=max_moves, routed=mine)
            want = reference_advance(whole, x, y, gx, gy, budget, road, max_moves, ref)
            for a, b in zip(got, want, strict=True):
                assert same_bits(a, b)
            assert same_bits(mine, ref)
            x, y = got[0], got[1]
    finally:
        navigation.ROUTE_FIELD_SLACK_KM = saved
    # a field cut short and pickled keeps how far it holds: whole fields where asked for
    again = pickle.loads(pickle.dumps(nav))
    for key in (int(k) for k in nav._slot_goal if k >= 0):
        g = divmod(key, nav.shape[1])
        assert same_bits(again.route_field(*g), whole.route_field(*g))


def test_an_agent_further_out_than_a_cached_route_field_waits_for_it_to_reach_it(monkeypatch):
    import encircle_sim.navigation as navigation

    monkeypatch.setattr(navigation, "ROUTE_FIELD_SLACK_KM", 0.0)
    nav = open_desert(nx=40, ny=40, lakes=[(6, j) for j in range(0, 11)])
    whole = pickle.loads(pickle.dumps(nav))
    one = np.array([1])
    # stuck at the lake wall next to its goal: a field to (8, 2) only as far out as it stands
    routed = np.zeros(1, bool)
    nav.advance(one * 5, one * 2, one * 8, one * 2, np.array([10.0]), routed=routed)
    assert routed[0] and nav._slot_reach.min() < 200.0
    # an agent on a route field to the same goal, 150 km and more away, moves down it as down
    # the whole field (it waits while the field is computed further out)
    for routed in (np.ones(1, bool), np.zeros(1, bool)):
        got = nav.advance(one * 39, one * 39, one * 8, one * 2, np.array([60.0]), routed=routed)
        want = whole.advance(one * 39, one * 39, one * 8, one * 2, np.array([60.0]),
                             routed=routed.copy())
        assert got[2][0] > 50.0 and all(same_bits(a, b) for a, b in zip(got, want, strict=True))


@given(worlds(), st.floats(0.0, 60.0), st.integers(1, 6), st.integers(0, 2**32 - 1))
@settings(max_examples=150, deadline=None)
def test_a_route_field_cut_short_is_the_whole_field_where_it_says_it_reaches(world, slack, k,
                                                                              seed):
    # the oracle: the least-cost distance to the goal from every square (Dijkstra over the
    # whole graph of legal moves), as float32
    from scipy.sparse.csgraph import dijkstra

    import encircle_sim.navigation as navigation

    nav = world[0]
    ok = np.flatnonzero(nav.passable.ravel())
    if len(ok) == 0:
        return
    rng = np.random.default_rng(seed)
    key, need = int(rng.choice(ok)), rng.choice(ok, k).astype(np.intp)
    whole = dijkstra(nav._move_graph(), indices=key).astype(np.float32)
    saved = navigation.ROUTE_FIELD_SLACK_KM
    navigation.ROUTE_FIELD_SLACK_KM = slack
    try:
        padded, reach = nav._route_field_to(key, need)
    finally:
        navigation.ROUTE_FIELD_SLACK_KM = saved
    field = padded[1:-1, 1:-1].ravel()
    # every waiting square is within reach; a square within reach has its own and its legal
    # neighbours' figures right; no square has a figure but the right one (inf: not computed)
    assert (field[need].astype(np.float64) <= reach).all()
    assert ((field == whole) | np.isinf(field)).all()
    for sq in np.flatnonzero(field.astype(np.float64) <= reach):
        nb = nav._next_square[sq][nav._legal_flat[sq]]
        assert same_bits(field[nb], whole[nb]) and field[sq] == whole[sq]
    if reach < np.inf:   # cut short: the squares further than the longest move beyond reach
        longest = nav._move_graph().data.max()
        assert np.isinf(field[whole.astype(np.float64) > reach + longest + 1.0]).all()


def numpy_distance_km(nav: Navigator, x1, y1, x2, y2):
    """``distance_km``'s rule over numpy arrays (its implementation before the compiled loops):
    the row between two squares is (y1 + y2) // 2; broadcasts as numpy does."""
    y1, y2 = np.asarray(y1).astype(np.intp), np.asarray(y2).astype(np.intp)
    dx = (np.asarray(x1) - np.asarray(x2)) * nav.km_x[(y1 + y2) // 2]
    dy = (y1 - y2) * nav.km_y
    return np.sqrt(dx * dx + dy * dy)


@given(st.integers(1, 12), st.integers(0, 9), st.integers(0, 9),
       st.sampled_from(["pairs", "one_to_many", "many_to_one", "outer", "outer_swapped",
                        "to_a_square", "to_a_python_square"]),
       st.integers(0, 2**32 - 1), st.sampled_from([np.int32, np.int64]))
@settings(max_examples=120, deadline=None)
def test_distance_km_in_every_common_shape_is_numpys(ny, n, m, shape, seed, dtype):
    rng = np.random.default_rng(seed)
    nav = open_desert(nx=12, ny=ny, km_x=rng.uniform(3.0, 6.0, ny), km_y=4.5)

    def squares(k):
        return rng.integers(0, 12, k).astype(dtype), rng.integers(0, ny, k).astype(dtype)

    (x1, y1), (x2, y2) = squares(n), squares(n if shape == "pairs" else m)
    if shape == "one_to_many":
        x1, y1 = x1[:1], y1[:1]
    elif shape == "many_to_one":
        x2, y2 = x2[:1], y2[:1]
    elif shape in ("to_a_square", "to_a_python_square") and m:
        x2, y2 = x2[0], y2[0]      # numpy integers, or Python ints
        if shape == "to_a_python_square":
            x2, y2 = int(x2), int(y2)
    elif shape == "outer":
        x1, y1, x2, y2 = x1[:, None], y1[:, None], x2[None, :], y2[None, :]
    elif shape == "outer_swapped":
        x1, y1, x2, y2 = x1[None, :], y1[None, :], x2[:, None], y2[:, None]
    try:
        want = numpy_distance_km(nav, x1, y1, x2, y2)
    except ValueError:   # shapes numpy does not broadcast: nor does distance_km
        with pytest.raises(ValueError):
            nav.distance_km(x1, y1, x2, y2)
        return
    got = nav.distance_km(x1, y1, x2, y2)
    assert same_bits(got, want)
    swapped = nav.distance_km(x2, y2, x1, y1)
    assert same_bits(swapped, numpy_distance_km(nav, x2, y2, x1, y1))
    assert same_bits(swapped, got)   # distance is symmetric, to the bit


@given(worlds(), st.sampled_from([(7,), (3, 4), (0,), (1, 1)]),
       st.sampled_from([np.int32, np.int64]), st.integers(0, 2**32 - 1))
@settings(max_examples=60, deadline=None)
def test_snap_clips_to_the_grid_then_takes_the_nearest_open_ground(world, shape, dtype, seed):
    nav = world[0]
    rng = np.random.default_rng(seed)
    nx, ny = nav.shape
    x = rng.integers(-3, nx + 3, shape).astype(dtype)
    y = rng.integers(-3, ny + 3, shape).astype(dtype)
    sx, sy = nav.snap(x, y)
    # the rule in numpy: clip, then the nearest open-ground square's index (scipy's EDT)
    ix, iy = nav.snap_index()
    cx, cy = np.clip(x, 0, nx - 1), np.clip(y, 0, ny - 1)
    assert same_bits(sx, ix[cx, cy].astype(np.intp)) and same_bits(sy, iy[cx, cy].astype(np.intp))
    if nav.open_ground.any():
        assert nav.open_ground[sx, sy].all()


@given(worlds(), st.integers(1, 3), st.integers(0, 2**32 - 1), st.sampled_from([None, 1, 2]))
@settings(max_examples=100, deadline=None)
def test_advance_rows_moves_the_rows_of_a_table_as_the_rule_does(world, calls, seed, cache):
    # the rule: the rows idx of the table move as ``advance`` moves them, each keeping its
    # route-field mode only while its goal is the one it was routed to; the table then holds
    # the mode after the move and the new goals, and no other row changes. With a cache of
    # 1 or 2 fields, agents wait for their fields (the compiled loop is resumed).
    import encircle_sim.navigation as navigation

    nav, (x, y, gx, gy, budget, road, routed), max_moves = world
    rng = np.random.default_rng(seed)
    n = len(x)
    rows = n + int(rng.integers(0, 5))                  # a table with more rows than move
    idx = np.sort(rng.permutation(rows)[:n]).astype(np.intp)
    table = {"x": np.zeros(rows, np.int32), "y": np.zeros(rows, np.int32),
             "routed": rng.random(rows) < 0.5, "route_x": np.full(rows, -1, np.int32),
             "route_y": np.full(rows, -1, np.int32)}
    table["x"][idx], table["y"][idx] = x, y
    # some were routed to today's goal, the others to a goal off in x, in y or in both
    off = rng.integers(0, 4, n)
    table["route_x"][idx] = gx + (off % 2)
    table["route_y"][idx] = gy + (off // 2)
    table["routed"][idx] |= routed
    ref = {k: v.copy() for k, v in table.items()}
    if cache is not None:
        nav = pickle.loads(pickle.dumps(nav))
        saved = navigation.ROUTE_CACHE_SIZE, navigation.ROUTE_SLOTS_FIRST
        navigation.ROUTE_CACHE_SIZE, navigation.ROUTE_SLOTS_FIRST = cache, 1
        nav._empty_route_cache()
    try:
        for _ in range(calls):
            got = nav.advance_rows(idx, table["x"], table["y"], table["routed"],
                                   table["route_x"], table["route_y"], gx, gy, budget, road,
                                   max_moves=max_moves)
            # the oracle: numpy gathers, the reference move rule, numpy scatters
            mode = ref["routed"][idx] & (ref["route_x"][idx] == gx) & (ref["route_y"][idx] == gy)
            want = reference_advance(nav, ref["x"][idx], ref["y"][idx], gx, gy, budget, road,
                                     max_moves, mode)
            ref["routed"][idx], ref["route_x"][idx], ref["route_y"][idx] = mode, gx, gy
            for a, b in zip(got, want, strict=True):
                assert same_bits(a, b)
            for k in table:
                assert same_bits(table[k], ref[k])
            table["x"][idx], table["y"][idx] = got[0], got[1]
            ref["x"][idx], ref["y"][idx] = want[0], want[1]
    finally:
        if cache is not None:
            navigation.ROUTE_CACHE_SIZE, navigation.ROUTE_SLOTS_FIRST = saved


@given(worlds(), st.sampled_from(["points", "columns", "one centre", "one column"]),
       st.integers(0, 6), st.integers(1, 4), st.booleans(), st.integers(0, 2**32 - 1))
@settings(max_examples=120, deadline=None)
def test_random_points_in_disc_are_the_rules_to_the_bit(world, layout, n, k, int_radius, seed):
    # discs of up to 3 grids' width round squares of the grid, per point or per row of a 2-d
    # draw; the same squares (and dtype) as the numpy rule from the same draws, and the same
    # draws taken (the generator left in the same state)
    nav = world[0]
    rng = np.random.default_rng(seed)
    nx, ny = nav.shape
    cx, cy = rng.integers(0, nx, n).astype(np.int32), rng.integers(0, ny, n).astype(np.int32)
    radius = (rng.integers(0, 3 * nx * 6, n) if int_radius
              else rng.uniform(0.0, 3 * nx * 6.0, n))
    if layout == "points":
        args = (cx, cy, radius, n)
    elif layout == "columns":
        args = (cx[:, None], cy[:, None], radius[:, None], (n, k))
    elif layout == "one centre":
        args = (int(cx[0]) if n else 0, int(cy[0]) if n else 0,
                float(radius[0]) if n else 1.0, n)
    else:
        args = (cx[:, None], cy[:, None], float(radius[0]) if n else 1.0, (n, k))
    a, b = np.random.default_rng(seed + 1), np.random.default_rng(seed + 1)
    got = nav.random_points_in_disc(*args[:3], a, args[3])
    want = reference_points_in_disc(nav, *args[:3], b, args[3])
    for g, w in zip(got, want, strict=True):
        assert same_bits(g, w)
    assert a.random() == b.random()
    assert nav.open_ground[got].all()
