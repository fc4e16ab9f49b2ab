"""The compiled decisions (``submodels/decide_kernels.py`` behind ``decide.choose``) against the
rule they carry out.

The oracle is the choice rule written with whole-array numpy operations (``reference_choose``
below: the implementation ``decide.choose`` had before it was compiled, kept here only as the
reference). On campaigns whose parameters hypothesis draws (so that every option, ties, empty
tables and pressed cells come up), both are run from the same state and the same random stream:
every cell's plan, goal, ambush target and the state written back (plan horizon, threat
remembered, calls) must be the same to the bit, and the stream left in the same state (the
kernels draw nothing). Besides, each kernel with a plain numpy expression is checked against it
on drawn inputs, and invariants of the rule itself.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from encircle_sim.cover import shelter
from encircle_sim.geography import COUNTRY_SYRIA
from encircle_sim.model import CampaignModel
from encircle_sim.navigation import disc_draws
from encircle_sim.scenario_files import load_scenario, with_overrides
from encircle_sim.state import Action, CellState, Theatre
from encircle_sim.submodels import decide, perceive, retaliate
from encircle_sim.submodels import decide_kernels as kernels
from encircle_sim.submodels.decide import (
    AMBUSH_THREAT_SCALE,
    EXIT_RISK_CAP,
    EXITS_CONSIDERED_MAX,
    HIDEOUT_CANDIDATES,
    RELOCATE_CANDIDATES,
    RELOCATE_COST,
    REPLAN_THREAT_RISE,
    SHELTER_VALUE,
    SUPPLY_PULL,
    ChoiceInputs,
    Choices,
    choose_actions,
)
from encircle_sim.submodels.retaliate import CALL_PRESSURE_RISE

# ---- the reference: decide.choose as whole-array numpy operations ------------------------------


def reference_choose_actions(inp: ChoiceInputs, spec, call_appetite: float,
                   rng: np.random.Generator) -> np.ndarray:
    """The logit choice rule of the module docstring, for all planning cells at once."""
    n = len(inp.idx)
    util = np.full((n, len(Action)), -np.inf)
    util[:, Action.HIDE] = 0.0
    util[:, Action.RELOCATE] = inp.best_move_score_gain - RELOCATE_COST - inp.move_risk
    util[:, Action.SLIP] = np.where(inp.pressed, inp.breakout_value, -np.inf)
    util[:, Action.AMBUSH] = np.where(
        inp.ambush_ok, spec.ambush_appetite * (1.0 - inp.threat / AMBUSH_THREAT_SCALE), -np.inf)
    util[:, Action.CALL] = np.where(inp.can_call,
                                    call_appetite * inp.pressure_rise - inp.threat, -np.inf)
    if spec.choice_temperature > 0 and n:
        util = util + spec.choice_temperature * rng.gumbel(size=util.shape)
    return np.argmax(util, axis=1).astype(np.int8)


def reference_choose(model, threat: np.ndarray) -> Choices:
    """Every active pocket cell's plan this step; calls are passed on at once."""
    c, ins = model.cells, model.spec.insurgents
    active = c.active_in(Theatre.IRAQ)
    if len(active) == 0:
        return Choices.none()
    x, y = c.x[active], c.y[active]
    t_here = threat[x, y] + c.exposed[active]
    low = c.supply[active] < ins.low_supply_days
    budget = (ins.speed_kmh * np.where(low, ins.low_supply_speed, 1.0)
              * ins.move_hours_per_day * model.dt_days)

    # keep to the plan: a relocation reached becomes hiding; ambushes and calls last one step
    action = c.action[active].copy()
    goal_x, goal_y = c.goal_x[active].copy(), c.goal_y[active].copy()
    arrived = (x == goal_x) & (y == goal_y)
    done = ((action == Action.RELOCATE) & arrived) | (action == Action.AMBUSH) | (
        action == Action.CALL)
    action[done] = Action.HIDE
    hiding = action == Action.HIDE
    goal_x[hiding], goal_y[hiding] = x[hiding], y[hiding]

    due = ((model.steps >= c.plan_until[active]) | c.replan[active]
           | (t_here > c.planned_threat[active] + REPLAN_THREAT_RISE))
    ambushes: list[tuple[int, int]] = []
    k = np.flatnonzero(due)
    if len(k):
        new_action, gx, gy, targets = reference_plan(model, threat, active[k], t_here[k], low[k],
                                            budget[k])
        action[k], goal_x[k], goal_y[k] = new_action, gx, gy
        idx = active[k]
        horizon = np.where(new_action == Action.SLIP,
                           int(round(ins.slip_horizon_days / model.dt_days)), model.plan_steps)
        c.plan_until[idx] = model.steps + np.maximum(horizon, 1)
        c.planned_threat[idx] = t_here[k]
        c.replan[idx] = False
        calls = idx[new_action == Action.CALL]
        c.call_pressure[calls] = model.pressure
        if len(calls):
            retaliate.register_calls(model, calls)
            model.metrics.calls += len(calls)
        ambushes = [(int(idx[i]), int(targets[i]))
                    for i in np.flatnonzero(new_action == Action.AMBUSH)]
    c.action[active] = action
    c.goal_x[active], c.goal_y[active] = goal_x, goal_y
    return Choices(active, action, goal_x, goal_y, budget, ambushes)


def smallest_columns(d: np.ndarray, m: int) -> tuple[np.ndarray, np.ndarray]:
    """Columns of the ``m`` smallest values of each row of ``d``, in the order of
    ``np.argsort(d, axis=1, kind="stable")[:, :m]`` (ties by column), and those values."""
    d = d.copy()
    rows = np.arange(len(d))
    cols = np.empty((len(d), m), np.intp)
    values = np.empty((len(d), m))
    for j in range(m):
        cols[:, j] = col = d.argmin(axis=1)
        values[:, j] = d[rows, col]
        d[rows, col] = np.inf
    return cols, values


def reference_plan(model, threat, idx, t_here, low, budget):
    """New plans of cells ``idx``: (action, goal x, goal y, ambush target unit)."""
    sc, c, u, nav = model.spec, model.cells, model.units, model.nav
    ins, net = sc.insurgents, sc.networks
    x, y = c.x[idx].astype(np.intp), c.y[idx].astype(np.intp)  # intp: fast grid lookups
    rows = np.arange(len(idx))
    caches = model.caches
    stocked = np.flatnonzero(caches.intact & (caches.stock > 0))

    def near_cache(px, py):
        if len(stocked) == 0:
            return np.zeros(px.shape, bool)
        d = nav.distance_km(px[..., None], py[..., None], caches.x[stocked], caches.y[stocked])
        return (d <= net.resupply_km).any(axis=-1)

    short = low.nonzero()[0]

    def score(px, py, cover=None):
        cover = shelter(model, px, py) if cover is None else cover
        s = SHELTER_VALUE * cover - threat[px, py] * (1.0 - cover)
        pull = np.zeros(px.shape)  # SUPPLY_PULL near a cache, for cells short of supply
        if len(short):
            pull[short] = np.where(near_cache(px[short], py[short]), SUPPLY_PULL, 0.0)
        return s + pull

    # relocation: random squares and the nearest hideouts it can reach before it plans again
    reach = budget * model.plan_steps
    gx, gy = nav.random_points_in_disc(x[:, None], y[:, None], reach[:, None], model.streams.decide,
                                       (len(idx), RELOCATE_CANDIDATES))
    intact = np.flatnonzero(model.hideouts.intact)
    if len(intact):
        hx, hy = model.hideouts.x[intact], model.hideouts.y[intact]
        dh = nav.distance_matrix(x, y, hx, hy)
        m = min(HIDEOUT_CANDIDATES, len(intact))
        nearest, d_nearest = smallest_columns(dh, m)
        within = d_nearest <= reach[:, None]
        gx = np.concatenate([gx, np.where(within, hx[nearest], x[:, None])], axis=1)
        gy = np.concatenate([gy, np.where(within, hy[nearest], y[:, None])], axis=1)
    ok = model.plan.area[gx, gy] & (nav.bank[gx, gy] == nav.bank[x, y][:, None])
    cand = np.where(ok, score(gx, gy), -np.inf)
    best = np.argmax(cand, axis=1)
    here = shelter(model, x, y)
    gain = cand[rows, best] - score(x, y, here)
    moving = 1.0 - model.concealment[x, y]          # a mover keeps its terrain, not its hideout
    move_risk = t_here * np.maximum(moving - (1.0 - here), 0.0)
    reloc_x, reloc_y = gx[rows, best], gy[rows, best]

    # pressure on each cell, and what holds it to its ground
    connected = model.network.connected[idx]
    net_links = model.network
    alive = net_links.alive
    links_now = (np.bincount(net_links.a[alive], minlength=c.n)[: c.n]
                 + np.bincount(net_links.b[alive], minlength=c.n)[: c.n])[idx]
    links_lost = np.where(c.links0[idx] > 0,
                          1.0 - links_now / np.maximum(c.links0[idx], 1), 0.0)
    home = c.home_cache[idx]
    cache_lost = np.zeros(len(idx), bool)
    cache_lost[home >= 0] = ~caches.intact[home[home >= 0]]
    pressure = t_here + ins.loss_weight * (0.5 * links_lost + 0.5 * cache_lost)
    holds = ins.attachment * 0.5 * (near_cache(x, y).astype(float) + connected)
    pressed = pressure >= ins.slip_threat

    # breaking out: the exit with the best mix of low cover by forces, distance and a known route
    exit_value = np.full(len(idx), -np.inf)
    exit_x, exit_y = x.copy(), y.copy()
    exits = model.plan.exit_xy
    if len(exits) and pressed.any():
        if len(exits) > EXITS_CONSIDERED_MAX:
            exits = exits[:: len(exits) // EXITS_CONSIDERED_MAX + 1]
        risk = np.minimum(threat[exits[:, 0], exits[:, 1]], EXIT_RISK_CAP)
        into_syria = model.country[exits[:, 0], exits[:, 1]] == COUNTRY_SYRIA
        risk = risk + np.where(into_syria, sc.border.sealing, 0.0)
        on_route = into_syria & model.plan.on_route(exits)
        d = nav.distance_matrix(x, y, exits[:, 0], exits[:, 1])
        slip_reach = np.maximum(budget * ins.slip_horizon_days / model.dt_days, 1e-6)
        value = (1.0 - risk[None, :] - d / slip_reach[:, None]
                 + np.where(on_route, sc.border.route_bonus, 0.0)[None, :])
        known = connected[:, None] | (d <= ins.perception_km) | on_route[None, :]
        value = np.where(known, value, -np.inf)
        j = np.argmax(value, axis=1)
        exit_value = value[rows, j]
        exit_x, exit_y = exits[j, 0], exits[j, 1]
    breakout = pressure - ins.slip_threat - holds - move_risk + exit_value

    # ambush: the weakest unit within range that the cell can take on
    alive_u = np.flatnonzero(u.alive & ~u.syria)
    ambush_ok = np.zeros(len(idx), bool)
    target = np.full(len(idx), -1)
    if len(alive_u):
        du = nav.distance_matrix(x, y, u.x[alive_u], u.y[alive_u])
        eng = u.engaged()[alive_u].astype(float)
        fits = (du <= ins.ambush_range_km) & (
            eng[None, :] <= c.fighters[idx][:, None] / ins.ambush_odds)
        fits &= ~low[:, None]
        cand_u = np.where(fits, eng[None, :], np.inf)
        jj = np.argmin(cand_u, axis=1)
        ambush_ok = np.isfinite(cand_u[rows, jj])
        target = np.where(ambush_ok, alive_u[jj], -1)

    ret = sc.retaliation
    rise = model.pressure - c.call_pressure[idx]
    can_call = (connected & ret.enabled & sc.theatres.syria & sc.theatres.coupled
                & (rise >= CALL_PRESSURE_RISE))
    inp = ChoiceInputs(idx, t_here, gain, move_risk, pressed & np.isfinite(breakout), breakout,
                       ambush_ok, can_call, rise)
    action = reference_choose_actions(inp, ins, ret.call_appetite, model.streams.decide)
    goal_x, goal_y = x.copy(), y.copy()
    rel, slip = action == Action.RELOCATE, action == Action.SLIP
    goal_x[rel], goal_y[rel] = reloc_x[rel], reloc_y[rel]
    goal_x[slip], goal_y[slip] = exit_x[slip], exit_y[slip]
    return action, goal_x, goal_y, target


# ---- the compiled choice against the reference, on drawn campaigns ------------------------------

#: What ``choose`` writes into the cell table.
WRITTEN = ("action", "goal_x", "goal_y", "plan_until", "planned_threat", "replan",
           "call_pressure", "called_until")

#: A small campaign with both theatres coupled (calls), on the quick scenario's coarse grid.
BASE = {"map.west": 40.3, "map.north": 36.6, "theatres.syria": True, "theatres.coupled": True}


def state_of(model) -> dict:
    c = model.cells
    out = {name: getattr(c, name)[: c.n].copy() for name in WRITTEN}
    out["rng"] = model.streams.decide.bit_generator.state
    out["calls"] = model.metrics.calls
    return out


def restore(model, state: dict) -> None:
    c = model.cells
    for name in WRITTEN:
        getattr(c, name)[: c.n] = state[name]
    model.streams.decide.bit_generator.state = state["rng"]
    model.metrics.calls = state["calls"]


def same(a, b) -> bool:
    """Equal to the bit (NaN equal to NaN), same dtype kind."""
    a, b = np.asarray(a), np.asarray(b)
    return a.shape == b.shape and a.dtype.kind == b.dtype.kind and np.array_equal(
        a, b, equal_nan=a.dtype.kind == "f")


def assert_same_choices(expected: Choices, got: Choices) -> None:
    for name in ("idx", "action", "goal_x", "goal_y", "budget_km"):
        assert same(getattr(expected, name), getattr(got, name)), name
    assert expected.ambushes == got.ambushes


@pytest.fixture(scope="module")
def quick():
    return load_scenario("quick")


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                 HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 2**31 - 1),
       temperature=st.sampled_from([0.0, 0.3, 2.0]),
       slip_threat=st.sampled_from([0.0, 0.3, 2.0]),
       ambush_appetite=st.sampled_from([0.0, 0.3, 3.0]),
       call_appetite=st.sampled_from([0.0, 1.0, 5.0]),
       attachment=st.sampled_from([0.0, 1.0]),
       low_supply_days=st.sampled_from([5.0, 30.0]),
       perception_km=st.sampled_from([5.0, 50.0]),
       hideouts=st.sampled_from([0, 50]))
def test_compiled_choice_equals_the_numpy_rule(quick, seed, temperature, slip_threat,
                                                ambush_appetite, call_appetite, attachment,
                                                low_supply_days, perception_km, hideouts):
    """Planted bugs it catches: any changed operation or order of operations in a utility, a
    tie broken by another rule than numpy's argmax/argmin, a kernel reading the wrong cell or
    square, a draw added, dropped or moved, a state field not written back."""
    scenario = with_overrides(quick, {
        **BASE, "insurgents.choice_temperature": temperature,
        "insurgents.slip_threat": slip_threat, "insurgents.ambush_appetite": ambush_appetite,
        "retaliation.call_appetite": call_appetite, "insurgents.attachment": attachment,
        "insurgents.low_supply_days": low_supply_days,
        "insurgents.perception_km": perception_km, "networks.hideouts": hideouts})
    model = CampaignModel(scenario, rng=seed)
    for _ in range(12):
        threat = perceive.threat_field(model)
        before = state_of(model)
        expected = reference_choose(model, threat)
        after_expected = state_of(model)
        restore(model, before)
        got = decide.choose(model, threat)
        after = state_of(model)
        assert_same_choices(expected, got)
        for key in (*WRITTEN, "calls"):
            assert same(after_expected[key], after[key]), key
        assert after_expected["rng"] == after["rng"]
        for _ in range(2):
            model.step()
        if not model.running:
            break


# ---- single kernels against their numpy expressions ---------------------------------------------

@pytest.fixture(scope="module")
def nav(quick):
    return CampaignModel(quick, rng=1).nav


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 2**31 - 1), n=st.integers(0, 20),
       radius=st.floats(0.0, 400.0, allow_nan=False))
def test_random_squares_are_the_navigators_points_in_disc(nav, seed, n, radius):
    """The same squares as ``Navigator.random_points_in_disc`` from the same draws, discs
    reaching off the grid included (clipping, snapping). Planted bugs: radius not square-rooted,
    x and y swapped, rounding by truncation, no clipping at the grid's edge."""
    rng = np.random.default_rng(seed)
    nx, ny = nav.shape
    x, y = rng.integers(0, nx, n).astype(np.intp), rng.integers(0, ny, n).astype(np.intp)
    reach = rng.random(n) * radius
    size = (n, RELOCATE_CANDIDATES)
    expected = nav.random_points_in_disc(x[:, None], y[:, None], reach[:, None],
                                         np.random.default_rng(seed + 1), size)
    draws = np.random.default_rng(seed + 1)
    got = kernels.random_squares(x, y, reach, *disc_draws(draws, size), nav.km_x,
                                 nav.km_y, *nav.snap_index())
    assert same(expected[0].astype(np.intp), got[0]) and same(expected[1].astype(np.intp), got[1])
    assert nav.open_ground[got[0], got[1]].all()


utilities = st.sampled_from([-np.inf, -1.0, 0.0, 0.25, 1.0, np.inf, np.nan])


@settings(max_examples=200, deadline=None)
@given(n=st.integers(0, 8), data=st.data(), temperature=st.sampled_from([0.0, 0.5]),
       appetite=st.sampled_from([0.0, 0.3]), call_appetite=st.sampled_from([0.0, 2.0]))
def test_compiled_options_are_numpys_argmax(n, data, temperature, appetite, call_appetite):
    """``choose_actions`` (compiled) against the numpy rule on utilities with ties, infinities
    and NaN: numpy's argmax takes the first of equal maxima and a NaN over all. Planted bugs: the
    last of equals taken, NaN ignored, the noise drawn in another shape or order."""
    def arr(values=utilities, dtype=float):
        return np.array(data.draw(st.lists(values, min_size=n, max_size=n)), dtype)

    flags = st.booleans()
    inp = ChoiceInputs(np.arange(n), arr(), arr(), arr(), arr(flags, bool), arr(),
                       arr(flags, bool), arr(flags, bool), arr())
    spec = type("Spec", (), {"ambush_appetite": appetite, "choice_temperature": temperature})
    seed = data.draw(st.integers(0, 2**31 - 1))
    expected_rng, got_rng = np.random.default_rng(seed), np.random.default_rng(seed)
    with np.errstate(invalid="ignore"):
        expected = reference_choose_actions(inp, spec, call_appetite, expected_rng)
    got = choose_actions(inp, spec, call_appetite, got_rng)
    assert same(expected, got)
    assert expected_rng.bit_generator.state == got_rng.bit_generator.state


# ---- invariants of the rule -------------------------------------------------------------------

def test_plans_respect_the_rule_over_a_campaign(quick):
    """Over a campaign: a relocating cell heads for a square inside the operation area (on its
    own bank when it plans), a cell breaking out heads for an exit, an ambusher's target is a
    live unit in Iraq within ambush range, and a hiding cell's goal is its own square."""
    scenario = with_overrides(quick, {**BASE, "insurgents.slip_threat": 0.3,
                                      "insurgents.ambush_appetite": 3.0})
    model = CampaignModel(scenario, rng=11)
    seen = set()
    ins = scenario.insurgents
    exits = {tuple(e) for e in model.plan.exit_xy}
    while model.running and model.steps < 40:
        choices = decide.choose(model, perceive.threat_field(model))
        c = model.cells
        for i, a, gx, gy in zip(choices.idx, choices.action, choices.goal_x, choices.goal_y,
                                strict=True):
            seen.add(int(a))
            planned_now = c.plan_until[i] == model.steps + max(model.plan_steps, 1)
            if a == Action.RELOCATE and (gx, gy) != (c.x[i], c.y[i]):
                assert model.plan.area[gx, gy]
                if planned_now:
                    assert model.nav.bank[gx, gy] == model.nav.bank[c.x[i], c.y[i]]
            elif a == Action.SLIP:
                assert (gx, gy) in exits
            elif a == Action.HIDE:
                assert (gx, gy) == (c.x[i], c.y[i])
        for i, unit in choices.ambushes:
            assert model.units.alive[unit] and not model.units.syria[unit]
            d = model.nav.distance_km(c.x[i], c.y[i], model.units.x[unit], model.units.y[unit])
            assert d <= ins.ambush_range_km
        model.step()
    assert {Action.HIDE, Action.RELOCATE, Action.SLIP, Action.AMBUSH} <= seen


#: A small patch of squares, and km tables much longer east-west on some rows than north-south
#: (so that a distance confused with one of its parts shows).
PATCH = 7
squares = st.tuples(st.integers(0, PATCH - 1), st.integers(0, PATCH - 1))
km_tables = st.tuples(st.lists(st.sampled_from([0.5, 1.0, 2.0, 3.0]), min_size=2 * PATCH - 1,
                               max_size=2 * PATCH - 1),
                      st.sampled_from([0.5, 1.0, 2.0]))


def patch_km(p, sites, km_x_between, km_y):
    """Distances from square p to ``sites`` by the formula of ``Navigator.distance_km``."""
    dx = (p[0] - sites[:, 0]) * km_x_between[p[1] + sites[:, 1]]
    dy = (p[1] - sites[:, 1]) * km_y
    return np.sqrt(dx * dx + dy * dy)


@settings(max_examples=300, deadline=None)
@given(data=st.data(), n_sites=st.integers(0, 30), m=st.integers(1, 4), km=km_tables)
def test_nearest_sites_are_a_stable_argsort(data, n_sites, m, km):
    """``_nearest`` (rows visited outward from the square's own, the m best kept in order,
    rows too far north or south passed over unmeasured) against numpy's stable argsort of the
    distances, on a small patch so that equal distances come up. Planted bugs: a later square
    of equal distance displacing an earlier one (<= for <), ties not broken by index, the screen
    on x instead of y, >= for > in the screen, a row skipped, a site outside ``among`` taken."""
    km_x_between, km_y = np.array(km[0]), km[1]
    p = data.draw(squares)
    sites = np.array(data.draw(st.lists(squares, min_size=n_sites, max_size=n_sites)),
                     np.int32).reshape(-1, 2)
    among = np.flatnonzero(np.array(data.draw(st.lists(st.booleans(), min_size=n_sites,
                                                        max_size=n_sites)), bool))
    m = min(m, len(among))
    d = patch_km(p, sites[among], km_x_between, km_y)
    order = np.argsort(d, kind="stable")[:m]
    nearest, d_nearest = np.empty(m, np.intp), np.empty(m)
    row_start, by_row = kernels._rows_of(np.ascontiguousarray(sites[:, 1]), among, PATCH)
    kernels._nearest(np.intp(p[0]), np.intp(p[1]), np.ascontiguousarray(sites[:, 0]),
                     np.ascontiguousarray(sites[:, 1]), row_start, by_row, km_x_between, km_y,
                     nearest, d_nearest)
    assert same(among[order], nearest) and same(d[order], d_nearest)


@settings(max_examples=300, deadline=None)
@given(data=st.data(), n_sites=st.integers(0, 12), km=km_tables)
def test_near_any_is_any_distance_within_the_limit(data, n_sites, km):
    """``_near_any`` (which passes over squares too far north or south before measuring)
    against numpy's ``(distance <= limit) & ok``.any(), the limit often exactly one of the
    distances. Planted bugs: < for <= at the limit, the screen on x instead of y, a square not
    ok counted."""
    km_x_between, km_y = np.array(km[0]), km[1]
    p = data.draw(squares)
    sites = np.array(data.draw(st.lists(squares, min_size=n_sites, max_size=n_sites)),
                     np.int32).reshape(-1, 2)
    ok = np.array(data.draw(st.lists(st.booleans(), min_size=n_sites, max_size=n_sites)), bool)
    d = patch_km(p, sites, km_x_between, km_y)
    limit = data.draw(st.sampled_from([*d.tolist(), 0.0, 1.5, 4.0]))
    got = kernels._near_any(np.intp(p[0]), np.intp(p[1]), np.ascontiguousarray(sites[:, 0]),
                            np.ascontiguousarray(sites[:, 1]), ok, limit, km_x_between, km_y)
    assert got == bool(((d <= limit) & ok).any())


@settings(max_examples=150, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 2**31 - 1), n=st.integers(0, 8), n_units=st.integers(0, 12),
       range_km=st.sampled_from([0.0, 5.0, 30.0, 1e4]), odds=st.sampled_from([0.5, 1.0, 3.0]))
def test_ambush_target_is_the_weakest_fitting_unit(nav, seed, n, n_units, range_km, odds):
    """``weakest_in_reach`` against the rule as numpy (the argmin over units in range, live, in
    Iraq and weak enough, of engaged strength min(strength, engaged_max)), with ties of
    strength. Planted bugs: a unit in Syria or a dead one taken, the last of equals taken,
    < for <= against fighters / odds, a cell short of supply ambushing."""
    rng = np.random.default_rng(seed)
    nx, ny = nav.shape
    x, y = rng.integers(0, nx, n).astype(np.intp), rng.integers(0, ny, n).astype(np.intp)
    fighters = rng.choice([5, 10, 15, 20, 30, 40, 60], n + 3).astype(np.int64)  # ties at the cap
    idx = rng.permutation(n + 3)[:n]
    low = rng.random(n) < 0.2
    ux, uy = (rng.integers(0, nx, n_units).astype(np.int32),
              rng.integers(0, ny, n_units).astype(np.int32))
    strength = rng.choice([0, 10, 20, 30, 45], n_units).astype(np.int64)
    engaged_max = rng.choice([20.0, 30.0, 60.0], n_units)
    syria = rng.random(n_units) < 0.2
    got = kernels.weakest_in_reach(idx, x, y, fighters, low, ux, uy, strength, engaged_max,
                                   syria, range_km, odds, nav.km_x_between, nav.km_y)
    expected = np.full(n, -1, np.int64)
    ok = np.flatnonzero((strength > 0) & ~syria)
    if n and len(ok):
        d = nav.distance_matrix(x, y, ux[ok], uy[ok])
        eng = np.minimum(strength, engaged_max.astype(np.int64))[ok].astype(float)
        fits = (d <= range_km) & (eng[None, :] <= fighters[idx][:, None] / odds) & ~low[:, None]
        cand = np.where(fits, eng[None, :], np.inf)
        j = np.argmin(cand, axis=1)
        expected = np.where(np.isfinite(cand[np.arange(n), j]), ok[j], -1)
    assert same(expected, got)


def test_the_kernels_constants_are_the_models_enums():
    """The kernels' constants name the states, theatres and options of state.py (a renumbered
    enum would otherwise silently change which cells plan and what they choose)."""
    assert [kernels.HIDE, kernels.RELOCATE, kernels.SLIP, kernels.AMBUSH, kernels.CALL] == [
        Action.HIDE, Action.RELOCATE, Action.SLIP, Action.AMBUSH, Action.CALL]
    assert kernels.ATTACKING == CellState.ATTACKING and kernels.IRAQ == Theatre.IRAQ
    assert all(s > CellState.ATTACKING for s in CellState if s.name not in
               ("HIDDEN", "MOVING", "SLIPPING", "ATTACKING"))


@settings(max_examples=150, deadline=None)
@given(seed=st.integers(0, 2**31 - 1), n_cells=st.integers(0, 25), steps=st.integers(0, 6))
def test_plans_kept_and_cells_due_are_the_rule(seed, n_cells, steps):
    """``keep_to_plan`` against the rule as numpy (the active cells of Iraq, threat here, low
    supply, budget, the plan kept, who plans now) on random cell tables with every state and
    both theatres. Planted bugs: attacking cells left out of the active ones (< for <=), a
    reached relocation kept, a call kept past its step, the threat rise compared with >=."""
    rng = np.random.default_rng(seed)
    nx, ny, cap = 7, 6, n_cells + 4
    state = rng.choice(np.array([s.value for s in CellState], np.int8), cap)
    theatre = rng.integers(0, 2, cap).astype(np.int8)
    x, y = rng.integers(0, nx, cap).astype(np.int32), rng.integers(0, ny, cap).astype(np.int32)
    threat = rng.choice([0.0, 0.25, 0.5, 1.0], (nx, ny))
    exposed = rng.choice([0.0, 0.25, 0.5], cap)
    supply = rng.choice([0.0, 5.0, 10.0], cap)
    action = rng.integers(0, len(Action), cap).astype(np.int8)
    near = rng.random(cap) < 0.5           # goals often reached
    goal_x = np.where(near, x, rng.integers(0, nx, cap)).astype(np.int32)
    goal_y = np.where(near, y, rng.integers(0, ny, cap)).astype(np.int32)
    plan_until = rng.integers(0, 8, cap).astype(np.int64)
    replan = rng.random(cap) < 0.2
    planned = rng.choice([0.0, 0.25, 0.5, 1.0], cap)     # ties at the threat rise
    table = (action.copy(), goal_x.copy(), goal_y.copy())
    got = kernels.keep_to_plan(n_cells, state, theatre, x, y, threat, exposed, supply, *table,
                               plan_until, replan, planned, steps, 5.0, 4.0, 0.5, 6.0, 0.25,
                               REPLAN_THREAT_RISE)

    active = np.flatnonzero((state[:n_cells] <= CellState.ATTACKING)
                            & (theatre[:n_cells] == Theatre.IRAQ))
    ax, ay = x[active], y[active]
    t_here = threat[ax, ay] + exposed[active]
    low = supply[active] < 5.0
    budget = 4.0 * np.where(low, 0.5, 1.0) * 6.0 * 0.25
    kept = action[active].copy()
    gx, gy = goal_x[active].copy(), goal_y[active].copy()
    done = (((kept == Action.RELOCATE) & (ax == gx) & (ay == gy)) | (kept == Action.AMBUSH)
            | (kept == Action.CALL))
    kept[done] = Action.HIDE
    hiding = kept == Action.HIDE
    gx[hiding], gy[hiding] = ax[hiding], ay[hiding]
    due = np.flatnonzero((steps >= plan_until[active]) | replan[active]
                         | (t_here > planned[active] + REPLAN_THREAT_RISE))
    for e, g in zip((active, t_here, low, budget, kept, gx, gy, due), got, strict=True):
        assert same(e, g)
    # the plans kept are written back for the active cells, nothing else changes
    action[active], goal_x[active], goal_y[active] = kept, gx, gy
    for e, g in zip((action, goal_x, goal_y), table, strict=True):
        assert same(e, g)



def test_the_exits_kept_follow_the_plan_the_route_width_and_the_map(quick):
    """``decide._Exits`` keeps one plan's exits: asked for another model's, or after the plan's
    exits or the known routes' width changed, it gives theirs, the rule's (the edge thinned to
    at most EXITS_CONSIDERED_MAX, which lead into Syria, which of those lie on a known route).
    Planted bugs: the kept exits given whatever the plan, the route width left out of the key."""
    def rule(model):
        exits = model.plan.exit_xy
        if len(exits) > EXITS_CONSIDERED_MAX:
            exits = exits[:: len(exits) // EXITS_CONSIDERED_MAX + 1]
        into_syria = model.country[exits[:, 0], exits[:, 1]] == COUNTRY_SYRIA
        return exits[:, 0], exits[:, 1], into_syria, into_syria & model.plan.on_route(exits)

    def check(model):
        for got, want in zip(decide._Exits.of(model), rule(model), strict=True):
            assert same(got, want)

    wide = with_overrides(quick, {**BASE, "border.route_km": 60.0})
    narrow = with_overrides(quick, {**BASE, "border.route_km": 0.5})
    a, b = CampaignModel(wide, rng=1), CampaignModel(narrow, rng=1)
    assert not same(rule(a)[3], rule(b)[3])      # the width shows in the routes
    for model in (a, b, a):
        check(model)
    a.plan.scenario = narrow                      # the same plan, narrower routes
    check(a)
    a.plan.exit_xy = a.plan.exit_xy[::3].copy()   # another edge (a new plan's)
    check(a)
