"""The compiled detection and cover formulas (``submodels/detect_kernels.py``,
``cover_kernels.py``) against the rules they carry out, on random worlds.

The oracles are the rules written with whole-array numpy operations (the implementations
``detect.search``, ``detect.search_sites``, ``detect.nearest_unit_within``,
``cover.terrain_and_cover`` and ``cover.shelter`` had before they were compiled, kept here only
as the reference, with
distances from ``Navigator.distance_km`` and the hazards from ``engagement.search_hazards``):
every figure must be the same to the bit, which is what keeps the model's results unchanged.
Besides, invariants of the rule itself (hazards are never negative, nothing outside every disc
is found, the unit credited with a find is the one with the largest hazard).
"""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from encircle_sim.cover import MOVING_CONCEALMENT_SHARE
from encircle_sim.cover_kernels import cover_of, km_between, shelter_of, within_km
from encircle_sim.engagement import detection_draw, search_hazards
from encircle_sim.navigation import Navigator
from encircle_sim.submodels.detect_kernels import (
    PAIRWISE_BLOCK,
    by_row,
    cell_hazards,
    ground_hazard,
    nearest_unit,
    pairwise_sum,
    rows_within,
    searchers,
    site_hazards,
    sweep_hazards,
)

HIDDEN, ATTACKING = 0, 3


def same_bits(a, b) -> bool:
    a, b = np.asarray(a), np.asarray(b)
    return a.shape == b.shape and a.astype(b.dtype).tobytes() == b.tobytes()


# ---------------------------------------------------------------- pairwise summation

magnitudes = st.floats(0.0, 1e6, allow_nan=False) | st.floats(0.0, 1e-6) | st.just(0.0)


@given(st.lists(magnitudes, max_size=3 * PAIRWISE_BLOCK + 40), st.integers(0, 9))
@settings(max_examples=300, deadline=None)
def test_pairwise_sum_adds_as_numpy_does(values, lo):
    # a plain left-to-right loop, or a split not on a multiple of 8, differs in the last bits
    a = np.concatenate([np.full(lo, 7.5), np.array(values, float)])
    assert same_bits(pairwise_sum(a, lo, len(values)), a[lo:].sum())


def test_pairwise_sum_of_long_runs_adds_as_numpy_does():
    rng = np.random.default_rng(5)
    for n in (129, 136, 255, 256, 257, 1000, 4099):
        a = rng.random(n) * 10.0 ** rng.integers(-8, 8, n)
        assert same_bits(pairwise_sum(a, 0, n), a.sum())


# ---------------------------------------------------------------- random worlds


def flat_navigator(nx, ny, km_x, km_y) -> Navigator:
    layers = {"passable": np.ones((nx, ny), bool), "river": np.zeros((nx, ny), bool),
              "lake": np.zeros((nx, ny), bool), "move_cost": np.ones((nx, ny)),
              "road": np.zeros((nx, ny), bool)}
    return Navigator.from_layers(layers, km_x, km_y)


@st.composite
def worlds(draw):
    """A random grid with cells, units, sites, towns and air assets, as the kernels take them."""
    # up to 80 rows: far more than the largest patrol radius spans, so that the rows a kernel
    # skips (detect_kernels.rows_within) are exercised
    nx, ny = draw(st.integers(2, 25)), draw(st.integers(2, 80))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    w = {"nx": nx, "ny": ny}
    w["nav"] = flat_navigator(nx, ny, rng.uniform(3.0, 6.0, ny), float(rng.uniform(3.0, 6.0)))
    w["concealment"] = rng.choice([0.0, 0.3, 0.55, 0.9], (nx, ny)) * rng.random((nx, ny))
    w["hideout_at"] = np.where(rng.random((nx, ny)) < 0.3, rng.integers(0, 50, (nx, ny)), -1)
    n_towns = draw(st.integers(0, 3))
    w["town_xy"] = np.column_stack([rng.integers(0, nx, n_towns),
                                    rng.integers(0, ny, n_towns)]).astype(np.int32)
    n = draw(st.integers(0, 40))
    cap = n + draw(st.integers(0, 5))
    c = {"x": rng.integers(0, nx, cap).astype(np.int32),
         "y": rng.integers(0, ny, cap).astype(np.int32),
         "moved": rng.random(cap) < 0.4, "theatre": rng.integers(0, 2, cap).astype(np.int8),
         "state": rng.integers(0, 7, cap).astype(np.int8),
         "town": rng.integers(-1, max(n_towns, 1), cap).astype(np.int32),
         "exposed": np.where(rng.random(cap) < 0.3, rng.random(cap), 0.0)}
    w["n"], w["cells"] = n, c
    m = draw(st.integers(0, 140))
    w["units"] = {"strength": np.where(rng.random(m) < 0.8, rng.integers(1, 500, m), 0),
                  "x": rng.integers(0, nx, m).astype(np.int32),
                  "y": rng.integers(0, ny, m).astype(np.int32),
                  "syria": rng.random(m) < 0.3,
                  # scenario files allow 0.01 km and more
                  "patrol_km": rng.choice([0.02, 4.0, 10.0, 25.0], m) * rng.uniform(0.5, 2, m),
                  "effort_km2": rng.random(m) * 10.0 ** rng.integers(-2, 4, m)}
    if draw(st.booleans()):   # equal units: ties in the largest hazard (the first one counts)
        w["units"]["patrol_km"] = np.full(m, 12.0)
        w["units"]["effort_km2"] = np.full(m, 30.0)
        w["units"]["syria"][:] = False
    k = draw(st.integers(0, 5))
    w["air"] = {"x": rng.integers(0, nx, k), "y": rng.integers(0, ny, k),
                "radius_km": rng.uniform(0.0, 60.0, k), "rate": rng.choice([0.05, 0.1], k),
                "factor": rng.uniform(0.0, 1.0, k)}
    s = draw(st.integers(0, 60))
    w["sites"] = {"x": rng.integers(0, nx, s).astype(np.int32),
                  "y": rng.integers(0, ny, s).astype(np.int32), "intact": rng.random(s) < 0.7}
    s = draw(st.integers(0, 60))
    w["sites_b"] = {"x": rng.integers(0, nx, s).astype(np.int32),
                    "y": rng.integers(0, ny, s).astype(np.int32), "intact": rng.random(s) < 0.7}
    w["hideout_c"], w["blend_c"] = float(rng.random()), float(rng.random())
    w["spread_km"], w["mult"] = float(rng.uniform(0.0, 40.0)), float(rng.uniform(0.3, 2.0))
    w["exposure"], w["exposure_b"] = float(rng.random()), float(rng.random())
    return w


def reference_cover(w, idx):
    """cover.terrain_and_cover before it was compiled: (terrain, cover)."""
    c, nav = w["cells"], w["nav"]
    x, y = c["x"][idx], c["y"][idx]
    moved = c["moved"][idx]
    terrain = w["concealment"][x, y]
    cover = np.zeros(len(idx))
    iraq = c["theatre"][idx] == 0
    in_hideout = iraq & ~moved & (w["hideout_at"][x, y] >= 0)
    cover[in_hideout] = w["hideout_c"]
    syria = (~iraq).nonzero()[0]
    if len(syria) and len(w["town_xy"]):
        k = idx[syria]
        town = w["town_xy"][c["town"][k]]
        near = nav.distance_km(c["x"][k], c["y"][k], town[:, 0], town[:, 1]) <= w["spread_km"]
        blend = near & ~moved[syria] & (c["state"][k] == HIDDEN)
        cover[syria[blend]] = w["blend_c"]
    return terrain, cover


def reference_search(w):
    """detect.search's hazards before they were compiled."""
    c, u, a, nav = w["cells"], w["units"], w["air"], w["nav"]
    state = c["state"][: w["n"]]
    targets = np.flatnonzero((state <= ATTACKING) & (state != ATTACKING))
    alive = np.flatnonzero(u["strength"] > 0)
    x, y = c["x"][targets], c["y"][targets]
    terrain, cover = reference_cover(w, targets)
    moved = c["moved"][targets]
    exposure = (1.0 - terrain) * (1.0 - cover)
    h_ground = np.zeros((len(targets), len(alive)))
    if len(alive):
        d = nav.distance_km(x[:, None], y[:, None], u["x"][alive][None, :],
                            u["y"][alive][None, :])
        effort = u["effort_km2"][alive] * np.where(u["syria"][alive], 1.0, w["mult"])
        h_ground = search_hazards(d, u["patrol_km"][alive], effort, exposure)
    h_air = np.zeros((len(targets), len(a["x"])))
    for k in range(len(a["x"])):
        inside = nav.distance_km(x, y, a["x"][k], a["y"][k]) <= a["radius_km"][k]
        seen = terrain * a["factor"][k] * np.where(moved, MOVING_CONCEALMENT_SHARE, 1.0)
        h_air[:, k] = np.where(inside, a["rate"][k] * ((1.0 - seen) * (1.0 - cover)), 0.0)
    total = h_ground.sum(axis=1) + h_air.sum(axis=1) + c["exposed"][targets]
    return targets, alive, h_ground, h_air, total


def run_cell_hazards(w):
    """(targets, ground, air, total, best_unit, best_air) of ``cell_hazards`` on world w."""
    c, u, a, nav = w["cells"], w["units"], w["air"], w["nav"]
    hazard, who = np.full((3, w["n"]), np.nan), np.full((3, w["n"]), -7, np.intp)
    nt = cell_hazards(
        w["n"], c["x"], c["y"], c["moved"], c["theatre"], c["state"], c["town"], c["exposed"],
        w["concealment"], w["hideout_at"], w["town_xy"], w["hideout_c"], w["blend_c"],
        w["spread_km"], MOVING_CONCEALMENT_SHARE, u["strength"], u["x"], u["y"], u["syria"],
        u["patrol_km"], u["effort_km2"], w["mult"],
        np.column_stack([a["x"], a["y"]]).astype(np.intp),
        np.column_stack([a["radius_km"], a["rate"], a["factor"]]), nav.km_x, nav.km_y, hazard,
        who)
    return (who[0, :nt], hazard[0, :nt], hazard[1, :nt], hazard[2, :nt], who[1, :nt],
            who[2, :nt])


@given(worlds())
@settings(max_examples=200, deadline=None)
def test_cover_is_the_rules_to_the_bit(w):
    c, nav = w["cells"], w["nav"]
    idx = np.flatnonzero(c["state"][: w["n"]] <= ATTACKING)
    terrain, cover = np.empty(len(idx)), np.empty(len(idx))
    cover_of(idx, c["x"], c["y"], c["moved"], c["theatre"], c["state"], c["town"],
             w["concealment"], w["hideout_at"], w["town_xy"], nav.km_x, nav.km_y,
             w["hideout_c"], w["blend_c"], w["spread_km"], terrain, cover)
    want_terrain, want_cover = reference_cover(w, idx)
    assert same_bits(terrain, want_terrain)
    assert same_bits(cover, want_cover)


@given(worlds())
@settings(max_examples=200, deadline=None)
def test_cell_hazards_are_the_rules_to_the_bit(w):
    targets, ground, air, total, best_unit, best_air = run_cell_hazards(w)
    want_targets, alive, h_ground, h_air, want_total = reference_search(w)
    assert same_bits(targets, want_targets)
    assert same_bits(total, want_total)
    assert same_bits(ground, h_ground.sum(axis=1))
    assert same_bits(air, h_air.sum(axis=1))
    for t in range(len(targets)):
        # who found it: the largest ground hazard (numpy's argmax), none if no unit searched it
        if len(alive) and h_ground[t].max() > 0:
            assert best_unit[t] == alive[np.argmax(h_ground[t])]
        else:
            assert best_unit[t] == -1
        if h_air.shape[1]:
            assert best_air[t] == np.argmax(h_air[t])
    # invariants: hazards are never negative, intelligence only adds
    assert (ground >= 0).all() and (air >= 0).all()
    assert (total >= w["cells"]["exposed"][targets]).all()


def reference_site_hazards(w, sites, exposure):
    """The sites' ground hazards by the rule in numpy: every living unit's effort, x the phase's
    search intensity for Iraqi units only (as for cells), over its patrol disc, x the site's
    exposure: (intact sites, hazards, or None if no unit lives, the distance matrix)."""
    u, nav = w["units"], w["nav"]
    intact = np.flatnonzero(sites["intact"])
    alive = np.flatnonzero(u["strength"] > 0)
    if len(alive) == 0:
        return intact, None, None
    d = nav.distance_km(sites["x"][intact][:, None], sites["y"][intact][:, None],
                        u["x"][alive][None, :], u["y"][alive][None, :])
    effort = u["effort_km2"][alive] * np.where(u["syria"][alive], 1.0, w["mult"])
    h = search_hazards(d, u["patrol_km"][alive], effort,
                       np.full(len(intact), exposure)).sum(axis=1)
    return intact, h, d


def assert_sites_are_the_rule(w, sites, hazard, n_a, n_b) -> list[tuple[int, int, np.ndarray]]:
    """Both kinds of site of world ``w`` as the kernels wrote them (``sites``, ``hazard``; ``n_a``
    and ``n_b`` of each kind) are the rule's (``reference_site_hazards``), to the bit; none when
    no unit lives. Returns (first index, count, unit distances) of each kind checked."""
    a, b, u = w["sites"], w["sites_b"], w["units"]
    alive = np.flatnonzero(u["strength"] > 0)
    checked = []
    for kind, exposure, lo, n in ((a, w["exposure"], 0, n_a), (b, w["exposure_b"], n_a, n_b)):
        intact, want, d = reference_site_hazards(w, kind, exposure)
        if len(alive) == 0:
            assert n == 0
            continue
        assert same_bits(sites[lo:lo + n], intact)
        assert same_bits(hazard[lo:lo + n], want)
        checked.append((lo, n, d))
    return checked


@given(worlds())
@settings(max_examples=200, deadline=None)
def test_site_hazards_are_the_rules_to_the_bit(w):
    a, b, u, nav = w["sites"], w["sites_b"], w["units"], w["nav"]
    sites = np.full(len(a["x"]) + len(b["x"]), -7, np.intp)
    hazard = np.full(len(sites), np.nan)
    n_a, n_b = site_hazards(a["intact"], a["x"], a["y"], w["exposure"], b["intact"], b["x"],
                            b["y"], w["exposure_b"], u["strength"], u["x"], u["y"], u["syria"],
                            u["patrol_km"], u["effort_km2"], w["mult"], nav.km_x, nav.km_y,
                            sites, hazard)
    for lo, n, d in assert_sites_are_the_rule(w, sites, hazard, n_a, n_b):
        # a site outside every living unit's patrol disc meets no hazard
        alive = np.flatnonzero(u["strength"] > 0)
        outside = ~(d <= u["patrol_km"][alive][None, :]).any(axis=1)
        assert (hazard[lo:lo + n][outside] == 0).all()


def test_only_sites_within_reach_meet_a_hazard():
    # one unit with an 8 km patrol on 5 km squares: a site 1 row off is searched (5 km), one 2
    # rows off is not (10 km), whatever lies between; the hazard is effort x mult / (pi r^2)
    nav = flat_navigator(5, 40, np.full(40, 5.0), 5.0)
    y = np.array([20, 21, 22, 18, 0, 39], np.int32)
    sites = {"x": np.full(6, 2, np.int32), "y": y, "intact": np.ones(6, bool)}
    out_sites, hazard = np.empty(6, np.intp), np.empty(6)
    n_a, n_b = site_hazards(sites["intact"], sites["x"], sites["y"], 1.0, sites["intact"][:0],
                            sites["x"][:0], sites["y"][:0], 1.0, np.array([100]),
                            np.array([2], np.int32), np.array([20], np.int32),
                            np.array([False]), np.array([8.0]), np.array([30.0]), 2.0, nav.km_x,
                            nav.km_y, out_sites, hazard)
    assert (n_a, n_b) == (6, 0)
    rate = 30.0 * 2.0 / (np.pi * 8.0**2)
    assert hazard.tolist() == [rate, rate, 0.0, 0.0, 0.0, 0.0]



@given(worlds(), st.booleans())
@settings(max_examples=200, deadline=None)
def test_cells_and_sites_in_one_call_are_each_rule_to_the_bit(w, mult_one):
    # sweep_hazards: the cells' hazards as cell_hazards' rule has them and the sites' as
    # site_hazards' rule (both: Iraqi units x the phase's search_mult, Syrian units x 1), in one
    # call
    if mult_one:
        w["mult"] = 1.0
    c, u, a, b, air, nav = (w["cells"], w["units"], w["sites"], w["sites_b"], w["air"],
                            w["nav"])
    hazard, who = np.full((3, w["n"]), np.nan), np.full((3, w["n"]), -7, np.intp)
    sites = np.full(len(a["x"]) + len(b["x"]), -7, np.intp)
    site_hazard = np.full(len(sites), np.nan)
    nt, n_a, n_b = sweep_hazards(
        w["n"], c["x"], c["y"], c["moved"], c["theatre"], c["state"], c["town"], c["exposed"],
        w["concealment"], w["hideout_at"], w["town_xy"], w["hideout_c"], w["blend_c"],
        w["spread_km"], MOVING_CONCEALMENT_SHARE, u["strength"], u["x"], u["y"], u["syria"],
        u["patrol_km"], u["effort_km2"], w["mult"],
        np.column_stack([air["x"], air["y"]]).astype(np.intp),
        np.column_stack([air["radius_km"], air["rate"], air["factor"]]), nav.km_x, nav.km_y,
        hazard, who, a["intact"], a["x"], a["y"], w["exposure"], b["intact"], b["x"], b["y"],
        w["exposure_b"], sites, site_hazard)
    targets, alive, h_ground, h_air, total = reference_search(w)
    assert same_bits(who[0, :nt], targets)
    assert same_bits(hazard[0, :nt], h_ground.sum(axis=1))
    assert same_bits(hazard[1, :nt], h_air.sum(axis=1))
    assert same_bits(hazard[2, :nt], total)
    for t in range(nt):
        if len(alive) and h_ground[t].max() > 0:
            assert who[1, t] == alive[np.argmax(h_ground[t])]
        else:
            assert who[1, t] == -1
    assert_sites_are_the_rule(w, sites, site_hazard, n_a, n_b)


def test_search_sites_finds_a_site_once_however_often_it_is_called():
    """search_sites takes the hazards the step's search worked out on the sites, once: called
    again in the same step it works them out anew, so sites it destroyed are not found twice."""
    from encircle_sim.model import CampaignModel
    from encircle_sim.submodels import detect

    m = CampaignModel("victory_will", rng=3)
    for _ in range(3):
        m.step()
    u = m.units
    u.set_sensor_km(np.arange(u.n), 500.0)   # every site within a patrol disc is found
    detect.search(m)
    for _ in range(3):
        detect.search_sites(m)
    destroyed = (~m.caches.intact).sum(), (~m.hideouts.intact).sum()
    assert destroyed[0] + destroyed[1] > 0
    assert (m.metrics.caches_destroyed, m.metrics.hideouts_destroyed) == destroyed

@given(worlds(), st.integers(0, 10**6), st.booleans(), st.sampled_from([0.5, 1.0, 2.0]))
@settings(max_examples=200, deadline=None)
def test_the_nearest_unit_is_the_rules_to_the_bit(w, pick, syria_side, multiple):
    u, nav = w["units"], w["nav"]
    x, y = pick % w["nx"], (pick // w["nx"]) % w["ny"]
    got = nearest_unit(np.int32(x), np.int32(y), syria_side, u["strength"], u["x"], u["y"],
                       u["syria"], u["patrol_km"], multiple, nav.km_x, nav.km_y)
    alive = np.flatnonzero((u["strength"] > 0) & (u["syria"] == syria_side))
    want = -1
    if len(alive):
        d = nav.distance_km(x, y, u["x"][alive], u["y"][alive])
        j = int(np.argmin(d))
        want = int(alive[j]) if d[j] <= multiple * u["patrol_km"][alive[j]] else -1
    assert got == want


@given(worlds(), st.integers(0, 40))
@settings(max_examples=100, deadline=None)
def test_shelter_is_the_rule_to_the_bit(w, m):
    rng = np.random.default_rng(m)
    x = rng.integers(0, w["nx"], (m, 3))
    y = rng.integers(0, w["ny"], (m, 3))
    out = np.empty(x.shape)
    shelter_of(x.ravel(), y.ravel(), w["concealment"], w["hideout_at"], w["hideout_c"],
               out.reshape(-1))
    hideout = np.where(w["hideout_at"][x, y] >= 0, w["hideout_c"], 0.0)
    assert same_bits(out, 1.0 - (1.0 - w["concealment"][x, y]) * (1.0 - hideout))


@given(worlds(), st.integers(0, 10**6), st.integers(0, 10**6))
@settings(max_examples=200, deadline=None)
def test_within_a_radius_is_decided_by_the_distance(w, p, q):
    # the compiled shortcut (farther than r along one axis alone) must decide as
    # Navigator.distance_km <= r does, at the boundary too
    nav, nx, ny = w["nav"], w["nx"], w["ny"]
    ax, ay, bx, by = p % nx, (p // nx) % ny, q % nx, (q // nx) % ny
    d = float(nav.distance_km(ax, ay, bx, by))
    assert km_between(ax, ay, bx, by, nav.km_x, nav.km_y) == d
    dx = abs((ax - bx) * nav.km_x[(ay + by) // 2])
    dy = abs((ay - by) * nav.km_y)
    for r in (d, dx, dy, 0.0, 5.0):
        for r_ in (np.nextafter(r, -1.0), r, np.nextafter(r, np.inf)):
            assert within_km(ax, ay, bx, by, nav.km_x, nav.km_y, r_) == (d <= r_)


# ---------------------------------------------------------------- the searchers by row


@given(st.lists(st.integers(0, 29), max_size=60))
@settings(deadline=None)  # the first example loads the compiled kernel
def test_searchers_by_row_are_every_searcher_once_grouped_by_row_in_order(rows):
    y = np.array(rows, np.int64)
    start, order = by_row(y, 30)
    assert sorted(order.tolist()) == list(range(len(rows)))
    for r in range(30):
        assert order[start[r]:start[r + 1]].tolist() == [k for k in range(len(rows))
                                                          if rows[k] == r]


@given(st.floats(0.0, 500.0), st.floats(0.5, 20.0), st.integers(1, 60))
@settings(deadline=None)  # the first example loads the compiled kernel
def test_rows_within_a_reach_are_those_not_farther_along_y_alone(reach, km_y, n_rows):
    d = rows_within(reach, km_y, n_rows)
    assert 0 <= d <= n_rows
    assert d * km_y <= reach or d == 0
    assert d == n_rows or (d + 1) * km_y > reach


@given(worlds())
@settings(max_examples=100, deadline=None)
def test_a_ground_hazard_leaves_its_scratch_row_clean(w):
    # the kernels reuse one row of hazards from target to target: it must be all zeros again
    u, nav, s = w["units"], w["nav"], w["sites"]
    units, x, y, patrol, rate, start, order, span = searchers(
        u["strength"], u["syria"], u["x"], u["y"], u["patrol_km"], u["effort_km2"], w["mult"],
        1.0, nav.km_y, w["ny"])
    row, near = np.zeros(len(units)), np.empty(len(units), np.int64)
    for k in range(len(s["x"])):
        total, best = ground_hazard(s["x"][k], s["y"][k], w["exposure"], x, y, patrol, rate,
                                    start, order, span, nav.km_x, nav.km_y, row, near)
        assert total >= 0.0 and -1 <= best < len(units)
        assert not row.any()


@given(st.integers(0, 2**32 - 1), st.lists(st.floats(0.0, 5.0), max_size=40),
       st.lists(st.floats(0.0, 5.0), max_size=40))
@settings(max_examples=100, deadline=None)
def test_one_draw_for_both_kinds_of_site_is_one_draw_per_kind(seed, caches, hideouts):
    """search_sites draws caches and hideouts in one call: the same finds, and the generator
    left in the same state, as one call per kind (the draws before this change)."""
    a, b = np.array(caches, float), np.array(hideouts, float)
    per_kind = np.random.default_rng(seed)
    want = [a.size and detection_draw(a, per_kind), b.size and detection_draw(b, per_kind)]
    together = np.random.default_rng(seed)
    hit = detection_draw(np.concatenate([a, b]), together)
    if a.size:
        assert same_bits(hit[:a.size], want[0])
    if b.size:
        assert same_bits(hit[a.size:], want[1])
    assert together.random() == per_kind.random()
