"""The compiled engagement arithmetic (``engagement_kernels`` behind ``engagement.fight`` and
``engagement.search_hazards``, ``submodels/engage_kernels`` behind ``engage.fight_contacts``)
against the rules it carries out, on hypothesis-generated inputs.

The oracles are the rules written with whole-array numpy operations (the implementations these
functions had before they were compiled, kept here only as references): results must be the
same to the bit, and a fight must leave its random generator in the same state (the same draws,
in the same order, of the same sizes). Besides, invariants of the rules themselves.
"""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from encircle_sim import engagement_kernels as kernels
from encircle_sim.cover_kernels import cover_of
from encircle_sim.engagement import SCALAR_DRAWS, civilian_casualties, fight, search_hazards
from encircle_sim.state import CellState
from encircle_sim.submodels.engage_kernels import (
    CELL,
    CELL_X,
    CELL_Y,
    CONTACT_FLOAT_ROWS,
    CONTACT_INT_ROWS,
    FIGHTERS_LEFT,
    MEAN,
    STRENGTH_LEFT,
    THEATRE,
    UNIT,
    collateral_means,
    contact_sides,
    open_contacts,
    take_losses,
    write_back,
)


def reference_fight(blue, red, alpha, beta, *, hours, slices, rng, red_first=1.0,
                    blue_first=1.0, break_contact=0.0, area_fire=False, area_fighters=1.0,
                    until_decided=False):
    """Stochastic Lanchester contacts over whole arrays (``fight``'s numpy implementation)."""
    b = np.asarray(blue, np.int64).copy()
    r = np.asarray(red, np.int64).copy()
    b0, r0 = b.copy(), r.copy()

    def per_contact(value, dtype):
        value = np.asarray(value, dtype)
        return value if value.shape == b.shape else np.broadcast_to(value, b.shape)

    alpha, beta = per_contact(alpha, float), per_contact(beta, float)
    red_first, blue_first = per_contact(red_first, float), per_contact(blue_first, float)
    area = per_contact(area_fire, bool)
    dt = hours / slices
    going = (b > 0) & (r > 0)
    broke = np.zeros(b.shape, bool)
    pinned = np.zeros(b.shape, bool)
    k = 0
    while going.any() and (until_decided or k < slices):
        i = going.nonzero()[0]
        fb = blue_first[i] if k == 0 else 1.0
        fr = red_first[i] if k == 0 else 1.0
        p_aimed = -np.expm1(-alpha[i] * fb * dt)
        p_area = -np.expm1(-alpha[i] * fb * b[i] * dt / area_fighters)
        shooters = np.where(area[i], r[i], b[i])
        p_b = np.minimum(np.maximum(np.where(area[i], p_area, p_aimed), 0.0), 1.0)
        p_r = np.minimum(np.maximum(-np.expm1(-beta[i] * fr * dt), 0.0), 1.0)
        hits_on_red = rng.binomial(shooters, p_b)
        hits_on_blue = rng.binomial(r[i], p_r)
        weaker = r[i] * p_r < shooters * p_b
        r[i] = np.maximum(r[i] - hits_on_red, 0)
        b[i] = np.maximum(b[i] - hits_on_blue, 0)
        going[i] = (b[i] > 0) & (r[i] > 0)
        if k == 0:
            leave = going[i] & weaker & (rng.random(len(i)) < break_contact)
            broke[i[leave]] = True
            pinned[i[going[i] & weaker & ~leave]] = True
            going[i[leave]] = False
        k += 1
    return b0 - b, r0 - r, broke, pinned


def reference_search_hazards(dist_km, patrol_km, effort_km2, exposure):
    """h = effort / (pi patrol^2) x exposure inside each searcher's disc, else 0 (numpy)."""
    area = np.pi * patrol_km**2
    inside = dist_km <= patrol_km[None, :]
    return np.where(inside, (effort_km2 / area)[None, :] * exposure[:, None], 0.0)


def reference_take_losses(strength, casualties, fighters, killed, theatre, units, cells,
                          blue_losses, red_losses):
    """A batch's losses written back with numpy (``fight_contacts``'s former lines)."""
    np.subtract.at(strength, units, blue_losses)
    np.maximum(strength, 0, out=strength)
    np.add.at(casualties, units, blue_losses)
    fighters[cells] = np.maximum(fighters[cells] - red_losses, 0)
    np.add.at(killed, theatre[cells], red_losses)
    return int(blue_losses.sum())


rates = st.floats(0.0, 3.0, allow_subnormal=False)
multipliers = st.floats(0.0, 4.0, allow_subnormal=False)


@st.composite
def contacts(draw):
    """A batch of contacts: sizes, rates per contact or one for all, fight settings (a fight
    to the finish with blue's fire fast enough to end in a few hundred slices)."""
    n = draw(st.integers(0, 12))
    until_decided = draw(st.booleans())

    def per_contact(values):
        return np.array(draw(st.lists(values, min_size=n, max_size=n))) \
            if draw(st.booleans()) else draw(values)

    blue = np.array(draw(st.lists(st.integers(0, 70), min_size=n, max_size=n)), np.int64)
    red = np.array(draw(st.lists(st.integers(0, 70), min_size=n, max_size=n)), np.int64)
    kwargs = dict(
        alpha=per_contact(st.floats(0.5, 3.0) if until_decided else rates),
        beta=per_contact(rates),
        red_first=per_contact(multipliers),
        blue_first=per_contact(st.floats(0.1, 4.0) if until_decided else multipliers),
        area_fire=per_contact(st.booleans()),
        hours=draw(st.floats(1.0, 4.0) if until_decided else st.floats(0.05, 4.0)),
        slices=draw(st.integers(1, 8)),
        break_contact=draw(st.sampled_from([0.0, 1.0]) | st.floats(0.0, 1.0)),
        area_fighters=draw(st.floats(1.0, 20.0) if until_decided else st.floats(1.0, 60.0)),
        until_decided=until_decided,
    )
    return blue, red, kwargs, draw(st.integers(0, 2**32 - 1))


def _both(blue, red, kw, seed):
    """(kernel result, its rng), (reference result, its rng) on equal generators."""
    kw = dict(kw)
    alpha, beta = kw.pop("alpha"), kw.pop("beta")
    rng_a, rng_b = np.random.default_rng(seed), np.random.default_rng(seed)
    res = fight(blue, red, alpha, beta, rng=rng_a, **kw)
    ref = reference_fight(blue, red, alpha, beta, rng=rng_b, **kw)
    return (res, rng_a), (ref, rng_b)


@given(contacts())
@settings(max_examples=300, deadline=None)
def test_the_compiled_fight_draws_and_counts_as_the_rule_does(batch):
    blue, red, kw, seed = batch
    (res, rng_a), (ref, rng_b) = _both(blue, red, kw, seed)
    got = (res.blue_losses, res.red_losses, res.broke_contact, res.pinned)
    for name, a, b in zip(("blue_losses", "red_losses", "broke", "pinned"), got, ref,
                          strict=True):
        assert np.array_equal(a, b), name
    # the same draws, of the same sizes, in the same order: the generators are left alike
    assert rng_a.bit_generator.state == rng_b.bit_generator.state


@given(contacts(), st.booleans())
@settings(max_examples=200, deadline=None)
def test_a_slice_aims_with_the_rules_hit_probabilities_to_the_bit(batch, first):
    """One slice's contacts, trials and hit probabilities, bit for bit, in the first slice
    and in a later one (blue has lost soldiers since, which changes its area fire): a change in
    the order of the float operations moves a probability by an ulp, which a fight's draws
    seldom show."""
    blue, red, kw, seed = batch
    n = len(blue)
    each = {k: np.broadcast_to(np.asarray(kw[k], float), (n,)).copy()
            for k in ("alpha", "beta", "red_first", "blue_first")}
    area = np.broadcast_to(np.asarray(kw["area_fire"], bool), (n,)).copy()
    dt, af = kw["hours"] / kw["slices"], float(kw["area_fighters"])
    table = np.empty((kernels.INT_ROWS, n), np.int64)
    rates = np.empty((kernels.FLOAT_ROWS, n))
    table[kernels.BLUE], table[kernels.RED], table[kernels.AREA] = blue, red, area
    for row, name in ((kernels.ALPHA, "alpha"), (kernels.BETA, "beta"),
                      (kernels.BLUE_FIRST, "blue_first"), (kernels.RED_FIRST, "red_first")):
        rates[row] = each[name]
    m, x = kernels.open_fight(table, rates, dt, af)
    e = np.expm1(x)
    now = blue if first else np.random.default_rng(seed).integers(0, blue + 1)
    table[kernels.BLUE] = now       # blue's losses since the first slice
    trials, p = np.empty(2 * n, np.int64), np.empty(2 * n)
    kernels.aim(first, m, table, e, trials, p)
    i = np.flatnonzero((blue > 0) & (red > 0))
    fb = each["blue_first"][i] if first else 1.0
    fr = each["red_first"][i] if first else 1.0
    p_aimed = -np.expm1(-each["alpha"][i] * fb * dt)
    p_area = -np.expm1(-each["alpha"][i] * fb * now[i] * dt / af)
    p_b = np.minimum(np.maximum(np.where(area[i], p_area, p_aimed), 0.0), 1.0)
    p_r = np.minimum(np.maximum(-np.expm1(-each["beta"][i] * fr * dt), 0.0), 1.0)
    assert m == len(i)
    assert np.array_equal(table[kernels.GOING, :m], i)
    assert np.array_equal(trials[:m], np.where(area[i], red[i], now[i]))
    assert np.array_equal(trials[m:2 * m], red[i])
    assert np.array_equal(p[:m], p_b, equal_nan=True)
    assert np.array_equal(p[m:2 * m], p_r, equal_nan=True)


@given(contacts())
@settings(max_examples=200, deadline=None)
def test_a_fight_loses_no_more_than_each_side_had_and_breaks_off_or_pins_not_both(batch):
    blue, red, kw, seed = batch
    (res, _), _ = _both(blue, red, kw, seed)
    assert ((res.blue_losses >= 0) & (res.blue_losses <= blue)).all()
    assert ((res.red_losses >= 0) & (res.red_losses <= red)).all()
    assert not (res.broke_contact & res.pinned).any()
    untouched = (blue == 0) | (red == 0)       # no fight where a side is missing
    assert not res.blue_losses[untouched].any() and not res.red_losses[untouched].any()
    if kw["break_contact"] == 0.0:
        assert not res.broke_contact.any()
    if kw["break_contact"] == 1.0:
        assert not res.pinned.any()
    if kw["until_decided"]:                    # fought to the finish unless red broke off
        decided = (res.blue_losses == blue) | (res.red_losses == red) | res.broke_contact
        assert decided.all()


@given(st.integers(0, 30), st.integers(0, 12), st.integers(0, 2**32 - 1))
@settings(max_examples=200, deadline=None)
def test_the_compiled_search_hazards_equal_the_rule(targets, searchers, seed):
    rng = np.random.default_rng(seed)
    patrol = rng.uniform(0.5, 30.0, searchers)
    # distances on a 0.5 km lattice hit the disc's edge (dist == patrol) now and then
    patrol[: searchers // 2] = np.round(patrol[: searchers // 2] * 2) / 2
    dist = np.round(rng.uniform(0.0, 40.0, (targets, searchers)) * 2) / 2
    effort = rng.uniform(0.0, 200.0, searchers)
    exposure = rng.uniform(0.0, 1.0, targets)
    got = search_hazards(dist, patrol, effort, exposure)
    want = reference_search_hazards(dist, patrol, effort, exposure)
    assert got.shape == want.shape == (targets, searchers)
    assert np.array_equal(got, want)
    assert (got[dist > patrol[None, :]] == 0).all()     # nothing outside a searcher's disc


@given(st.integers(1, 10), st.integers(1, 15), st.integers(0, 12), st.integers(0, 2**32 - 1))
@settings(max_examples=200, deadline=None)
def test_the_compiled_losses_are_written_back_as_the_rule_does(n_units, n_cells, n, seed):
    """Units and cells may be in several contacts of a batch (the draws repeat indices)."""
    rng = np.random.default_rng(seed)
    units = rng.integers(0, n_units, n)
    cells = rng.integers(0, n_cells, n)
    blue_losses = rng.integers(0, 30, n)
    red_losses = rng.integers(0, 30, n)
    tables = (rng.integers(-2, 40, n_units), rng.integers(0, 100, n_units),
              rng.integers(0, 40, n_cells), rng.integers(0, 100, 2))
    theatre = rng.integers(0, 2, n_cells).astype(np.int8)
    mine = [t.copy() for t in tables]
    ref = [t.copy() for t in tables]
    lost = take_losses(*mine, theatre, units, cells, blue_losses, red_losses)
    lost_ref = reference_take_losses(*ref, theatre, units, cells, blue_losses, red_losses)
    assert lost == lost_ref == blue_losses.sum()
    for name, a, b in zip(("strength", "casualties", "fighters", "killed"), mine, ref,
                          strict=True):
        assert np.array_equal(a, b), name
    assert (mine[0] >= 0).all()
    assert mine[1].sum() - tables[1].sum() == blue_losses.sum()
    assert mine[3].sum() - tables[3].sum() == red_losses.sum()


@given(st.integers(1, 10), st.integers(1, 15), st.integers(0, 12), st.integers(0, 2**32 - 1))
@settings(max_examples=200, deadline=None)
def test_a_batch_is_written_back_from_its_table_as_the_rule_does(n_units, n_cells, n, seed):
    """``write_back``: the losses as ``take_losses``' rule has them (units and cells may be in
    several contacts), every cell of the batch set to plan again, and each contact's cell and
    unit left with what the tables then hold."""
    rng = np.random.default_rng(seed)
    table = np.zeros((CONTACT_INT_ROWS, n), np.int64)
    table[UNIT], table[CELL] = rng.integers(0, n_units, n), rng.integers(0, n_cells, n)
    table[kernels.BLUE_LOST], table[kernels.RED_LOST] = rng.integers(0, 30, (2, n))
    tables = (rng.integers(-2, 40, n_units), rng.integers(0, 100, n_units),
              rng.integers(0, 40, n_cells), rng.integers(0, 100, 2))
    theatre = rng.integers(0, 2, n_cells).astype(np.int8)
    replan = rng.random(n_cells) < 0.3
    mine = [t.copy() for t in tables]
    ref = [t.copy() for t in tables]
    mine_replan = replan.copy()
    lost = write_back(*mine, theatre, mine_replan, table)
    lost_ref = reference_take_losses(*ref, theatre, table[UNIT], table[CELL],
                                     table[kernels.BLUE_LOST], table[kernels.RED_LOST])
    assert lost == lost_ref
    for name, a, b in zip(("strength", "casualties", "fighters", "killed"), mine, ref,
                          strict=True):
        assert np.array_equal(a, b), name
    replan[table[CELL]] = True
    assert np.array_equal(mine_replan, replan)
    assert np.array_equal(table[FIGHTERS_LEFT], ref[2][table[CELL]])
    assert np.array_equal(table[STRENGTH_LEFT], ref[0][table[UNIT]])


def reference_contact_sides(pairs, state, n_cells, strength, engaged_max, firepower, syria,
                            vulnerability, fire_mult, fighters, supply, low_days, low_fire,
                            cell_firepower):
    """The contacts fought and their sides, with numpy (``fight_contacts``'s former lines)."""
    active = state[:n_cells] <= CellState.ATTACKING
    kept = [(i, j) for i, j in pairs if j >= 0 and active[i] and strength[j] > 0]
    ci = np.array([p[0] for p in kept], np.int64)
    ui = np.array([p[1] for p in kept], np.int64)
    blue = np.minimum(strength, engaged_max.astype(np.int64))[ui]
    low = supply[ci] < low_days
    alpha = firepower[ui] * np.where(syria[ui], 1.0, fire_mult)
    beta = cell_firepower * np.where(low, low_fire, 1.0) * vulnerability[ui]
    return ci, ui, blue, fighters[ci], alpha, beta


def random_batch(rng, n_units: int, n_cells: int, n: int, *, whole: int) -> tuple:
    """A random batch of ``n`` contacts (cell, unit or -1) and the tables they read: (capacity,
    state, pairs, strength, engaged_max, firepower, vulnerability, syria, fighters, supply).
    Rows past ``n_cells`` are neutralised; the first ``whole`` engaged_max are whole numbers
    (the rest fractions); supply is on a half-day grid, so now and then exactly 5.0."""
    capacity = n_cells + 3
    state = np.full(capacity, CellState.NEUTRALISED, np.int8)
    state[:n_cells] = rng.integers(0, max(CellState) + 1, n_cells)
    pairs = [(int(rng.integers(0, n_cells)), int(rng.integers(-1, n_units))) for _ in range(n)]
    strength = rng.integers(-2, 80, n_units)
    engaged_max = rng.uniform(0.0, 70.0, n_units)
    engaged_max[:whole] = np.round(engaged_max[:whole])
    firepower, vulnerability = rng.uniform(0.0, 0.05, n_units), rng.uniform(0.2, 1.5, n_units)
    syria = rng.random(n_units) < 0.5
    fighters = rng.integers(0, 40, capacity)
    supply = np.round(rng.uniform(0.0, 10.0, capacity) * 2) / 2
    return (capacity, state, pairs, strength, engaged_max, firepower, vulnerability, syria,
            fighters, supply)


@given(st.integers(1, 10), st.integers(1, 15), st.integers(0, 12), st.integers(0, 2**32 - 1),
       st.floats(0.0, 3.0), st.floats(0.0, 2.0))
@settings(max_examples=200, deadline=None)
def test_the_compiled_contact_sides_equal_the_rule(n_units, n_cells, n, seed, fire_mult,
                                                   low_fire):
    """Units without soldiers, contacts without a unit (-1), ended cells (and rows not yet
    created, which are neutralised) are left out; the rest keep their order."""
    rng = np.random.default_rng(seed)
    (capacity, state, pairs, strength, engaged_max, firepower, vulnerability, syria, fighters,
     supply) = random_batch(rng, n_units, n_cells, n, whole=n_units // 2)
    args = (state, n_cells, strength, engaged_max, firepower, syria, vulnerability, fire_mult,
            fighters, supply, 5.0, low_fire, 0.03)
    want = reference_contact_sides(pairs, *args)
    got = [np.empty(n, np.int64) for _ in range(4)] + [np.empty(n), np.empty(n)]
    kept = contact_sides(np.array(pairs, np.int64).reshape(-1, 2), state,
                         int(CellState.ATTACKING), strength, engaged_max, firepower, syria,
                         vulnerability, fire_mult, fighters, supply, 5.0, low_fire, 0.03, *got)
    assert kept == len(want[0])
    for name, a, b in zip(("cells", "units", "blue", "red", "alpha", "beta"), got, want,
                          strict=True):
        assert np.array_equal(a[:kept], b), name
    assert (got[2][:kept] <= engaged_max[got[1][:kept]]).all()


class _Means:
    """A generator stand-in whose Poisson draw returns its mean: the rule's mean, read off."""

    def poisson(self, mean):
        return mean


@given(st.integers(1, 15), st.integers(0, 12), st.integers(0, 2**32 - 1),
       st.floats(0.0, 0.2), st.floats(0.1, 4.0))
@settings(max_examples=200, deadline=None)
def test_the_compiled_collateral_means_equal_the_rule(n_cells, n, seed, per_1000, hours):
    """The mean of each contact's civilian harm is ``engagement.civilian_casualties``'s."""
    rng = np.random.default_rng(seed)
    density = rng.uniform(0.0, 3000.0, (6, 5))
    density[0, 0] = 0.0
    x, y = rng.integers(0, 6, n_cells).astype(np.int32), rng.integers(0, 5, n_cells).astype(
        np.int32)
    cells = rng.integers(0, n_cells, n)
    blue, red = rng.integers(0, 60, n), rng.integers(0, 40, n)
    got = np.empty(n)
    collateral_means(cells, x, y, density, blue, red, hours, per_1000, got)
    want = civilian_casualties(density[x[cells], y[cells]], (blue + red) * hours, per_1000,
                               _Means())
    assert np.array_equal(got, want)
    assert (got >= 0).all()


@given(st.integers(0, 2 * SCALAR_DRAWS), st.integers(0, 2**32 - 1))
@settings(max_examples=100, deadline=None)
def test_numpys_scalar_draws_are_its_array_draws_one_by_one(n, seed):
    """What ``SCALAR_DRAWS`` relies on: one numpy call per draw gives the numbers one array
    call gives, and leaves the generator in the same state."""
    params = np.random.default_rng(seed)
    trials, p = params.integers(0, 80, n), params.random(n)
    p[: n // 3] = 0.0
    lam = params.uniform(0.0, 20.0, n)
    one, each = np.random.default_rng(seed), np.random.default_rng(seed)
    arrays = (one.binomial(trials, p), one.poisson(lam), one.random(n))
    scalars = ([each.binomial(t, q) for t, q in zip(trials, p, strict=True)],
               [each.poisson(v) for v in lam.tolist()], [each.random() for _ in range(n)])
    for a, b in zip(arrays, scalars, strict=True):
        assert np.array_equal(a, np.asarray(b, a.dtype))
    assert one.bit_generator.state == each.bit_generator.state


@given(st.integers(1, 10), st.integers(1, 15), st.integers(0, 12), st.integers(0, 2**32 - 1),
       st.floats(0.0, 1.0) | st.none(), st.sampled_from([(1.0, 1.0), (0.3, 3.0)]))
@settings(max_examples=200, deadline=None)
def test_a_batch_is_set_up_for_the_fight_as_the_rule_does(n_units, n_cells, n, seed,
                                                          area_concealment, first):
    """``open_contacts``: the contacts fought and their sides (``contact_sides``' rule), blue's
    area fire where the cell's cover (1 - ground exposure, from ``cover_of``'s terrain and
    cover) is at least area_fire_concealment (None: exactly the first contact's cover, the
    edge), the first slice's multipliers, and the mean civilian harm of the sides
    (``civilian_casualties``' mean), column by column."""
    rng = np.random.default_rng(seed)
    (capacity, state, pairs, strength, engaged_max, firepower, vulnerability, syria, fighters,
     supply) = random_batch(rng, n_units, n_cells, n, whole=n_units)
    shape = (8, 7)
    cx, cy = rng.integers(0, shape[0], capacity), rng.integers(0, shape[1], capacity)
    moved, theatre = rng.random(capacity) < 0.3, rng.integers(0, 2, capacity).astype(np.int8)
    town = rng.integers(-1, 2, capacity).astype(np.int32)
    # concealment on a 0.1 grid: the cover lands on the area-fire threshold now and then
    concealment = np.round(rng.uniform(0.0, 1.0, shape), 1)
    hideout_at = np.where(rng.random(shape) < 0.4, 0, -1)
    town_xy = rng.integers(0, 7, (2, 2))
    km_x, km_y = rng.uniform(4.0, 6.0, shape[1]), 5.0
    density = rng.uniform(0.0, 3000.0, shape)
    cover_args = (cx, cy, moved, theatre, state, town, concealment, hideout_at, town_xy, km_x,
                  km_y, 0.5, 0.4, 12.0)
    ci, ui, blue, red, alpha, beta = reference_contact_sides(
        pairs, state, n_cells, strength, engaged_max, firepower, syria, vulnerability, 1.5,
        fighters, supply, 5.0, 0.5, 0.03)
    terrain, cover = np.empty(len(ci)), np.empty(len(ci))
    cover_of(ci, *cover_args, terrain, cover)
    hidden = 1.0 - (1.0 - terrain) * (1.0 - cover)
    if area_concealment is None:
        area_concealment = float(hidden[0]) if len(ci) else 0.5
    area = hidden >= area_concealment
    mean = np.maximum(0.02 * density[cx[ci], cy[ci]] / 1000.0 * ((blue + red) * 1.0), 0.0)
    table = np.empty((CONTACT_INT_ROWS, n), np.int64)
    rates = np.empty((CONTACT_FLOAT_ROWS, n))
    kept = open_contacts(
        np.array(pairs, np.int64).reshape(-1, 2), state, int(CellState.ATTACKING), strength,
        engaged_max, firepower, syria, vulnerability, 1.5, fighters, supply, 5.0, 0.5, 0.03,
        cx, cy, moved, theatre, town, concealment, hideout_at, town_xy, km_x, km_y, 0.5, 0.4,
        12.0, area_concealment, *first, density, 1.0, 0.02, table, rates)
    assert kept == len(ci)
    for row, want in ((CELL, ci), (UNIT, ui), (kernels.BLUE, blue), (kernels.RED, red),
                      (kernels.AREA, area), (CELL_X, cx[ci]), (CELL_Y, cy[ci]),
                      (THEATRE, theatre[ci])):
        assert np.array_equal(table[row, :kept], want), row
    for row, want in ((kernels.ALPHA, alpha), (kernels.BETA, beta), (MEAN, mean),
                      (kernels.BLUE_FIRST, np.full(kept, first[0])),
                      (kernels.RED_FIRST, np.full(kept, first[1]))):
        assert np.array_equal(rates[row, :kept], want), row
