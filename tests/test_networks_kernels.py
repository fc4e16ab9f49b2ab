"""The compiled pieces of the networks (``networks_kernels.py``, ``submodels/networks_kernels.py``)
against the rules they carry out, on random cells, caches and courier graphs.

The oracles are the rules' numpy expressions (the implementations ``networks.resupply``,
``networks.step``'s supply block, ``networks.components`` and ``CommNetwork.update`` had before
they were compiled, kept here only as the reference): supply, stocks, links, labels and
connectivity must be the same to the bit. Distances and stocks are drawn on coarse grids so that
ties between caches, cells exactly at reach and short caches come up often. Besides, the
invariants: supply is conserved between caches and cells, no stock goes negative, no cell is
topped up past its full level.
"""

from __future__ import annotations

from copy import deepcopy
from types import SimpleNamespace

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from encircle_sim.navigation import Navigator
from encircle_sim.networks import CommNetwork, components
from encircle_sim.networks_kernels import component_labels, connected_cells
from encircle_sim.state import CellState, Theatre
from encircle_sim.submodels.networks import ACTIVE_STATES, TAKEN_STATES, desertion_probability
from encircle_sim.submodels.networks_kernels import (
    capture_partners,
    desert,
    share_stock,
    use_supply,
)

NX, NY = 30, 24


def reference_resupply(intact, stock, supply, full, dist_km, reach_km):
    """``networks.resupply`` as it was: returns the cells' new supply; ``stock`` in place."""
    supply = supply.copy()
    if len(stock) == 0 or len(supply) == 0:
        return supply
    usable = intact & (stock > 0)
    d = np.where(usable[None, :], dist_km, np.inf)
    nearest = np.argmin(d, axis=1)
    ok = d[np.arange(len(supply)), nearest] <= reach_km
    demand = np.where(ok, np.maximum(full - supply, 0.0), 0.0)
    per_cache = np.bincount(nearest[ok], weights=demand[ok], minlength=len(stock))
    scale = np.ones(len(stock))
    short = per_cache > stock
    scale[short] = stock[short] / per_cache[short]
    got = demand * scale[nearest]
    supply += got
    stock -= np.bincount(nearest, weights=got, minlength=len(stock))
    np.maximum(stock, 0.0, out=stock)
    return supply


@given(st.integers(0, 2**32 - 1), st.integers(1, 30), st.integers(1, 8))
@settings(max_examples=200, deadline=None)
def test_sharing_a_short_stock_is_the_rule(seed, n_cells, n_caches):
    rng = np.random.default_rng(seed)
    dist = rng.integers(0, 8, (n_cells, n_caches)) * 5.0     # ties and exact reach are common
    intact = rng.random(n_caches) < 0.8
    stock = rng.integers(0, 6, n_caches) * 10.0               # some empty, some short
    full = rng.integers(0, 4, n_cells) * 10.0
    supply = rng.uniform(0, 30, n_cells)
    stock0, ref_stock = stock.copy(), stock.copy()
    ref = reference_resupply(intact, ref_stock, supply, full, dist, 20.0)
    # the kernel is told each cell's nearest usable cache and whether it is within reach
    d = np.where((intact & (stock > 0))[None, :], dist, np.inf)
    nearest = np.argmin(d, axis=1)
    within = d[np.arange(n_cells), nearest] <= 20.0
    mine = supply.copy()
    share_stock(mine, full, nearest, within, stock)
    np.testing.assert_array_equal(mine, ref)
    np.testing.assert_array_equal(stock, ref_stock)
    # invariants: what the caches gave the cells got; no stock below 0; nobody past full
    assert np.isclose(mine.sum() + stock.sum(), supply.sum() + stock0.sum())
    assert (stock >= 0).all()
    assert (mine >= supply).all() and (mine <= np.maximum(full, supply) + 1e-9).all()


@st.composite
def campaigns(draw):
    """A cell table (pocket and sleepers, some gone) and caches on a small grid; or, tight,
    on a corner of it with square 5 km squares, where caches at equal distances from a cell and
    cells exactly at reach (15 km: three squares) are common."""
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    n = draw(st.integers(0, 40))
    n_caches = draw(st.integers(0, 8))
    capacity = n + draw(st.integers(0, 5))
    tight = draw(st.booleans())
    km_x = np.full(NY, 5.0) if tight else np.round(rng.uniform(4.0, 6.0, NY), 1)
    nx, ny = (7, 6) if tight else (NX, NY)
    c = SimpleNamespace(
        state=rng.choice([0, 1, 2, 3, 4, 5, 6], capacity, p=[.4, .1, .1, .1, .1, .1, .1]
                         ).astype(np.int8),
        theatre=rng.integers(0, 2, capacity).astype(np.int8),
        supply=rng.integers(0, 5, capacity) * 0.25,
        fighters0=rng.integers(0, 12, capacity).astype(np.int64),
        x=rng.integers(0, nx, capacity).astype(np.int32),
        y=rng.integers(0, ny, capacity).astype(np.int32), n=n, capacity=capacity)
    caches = SimpleNamespace(x=rng.integers(0, nx, n_caches).astype(np.int32),
                             y=rng.integers(0, ny, n_caches).astype(np.int32),
                             intact=rng.random(n_caches) < 0.8,
                             stock=rng.integers(0, 5, n_caches) * 3.0)
    # Navigator.distance_km's tables, its compiled shortcut off (the reference stays numpy's)
    nav = SimpleNamespace(_km_x_between=km_x[np.arange(2 * NY - 1) // 2],
                          km_y=5.0 if tight else float(rng.choice([4.0, 5.5])),
                          _distance_compiled=lambda *args: None)
    return c, caches, nav, float(draw(st.sampled_from([0.25, 0.5, 1.0])))


def reference_supply_step(c, caches, nav, dt, supply_days, reach_km):
    """networks.step's supply block as it was (on copies); returns the cells out of supply."""
    act = np.flatnonzero(c.state[: c.n] <= CellState.ATTACKING)
    c.supply[act] = np.maximum(c.supply[act] - dt, 0.0)
    pocket = act[c.theatre[act] == Theatre.IRAQ]
    if len(pocket) and len(caches.x):
        d = Navigator.distance_km(nav, c.x[pocket][:, None], c.y[pocket][:, None],
                                  caches.x[None, :], caches.y[None, :])
        full = supply_days * c.fighters0[pocket] / np.maximum(c.fighters0[pocket], 1)
        c.supply[pocket] = reference_resupply(caches.intact, caches.stock, c.supply[pocket],
                                              full, d, reach_km)
    sleepers = act[c.theatre[act] == Theatre.SYRIA]
    c.supply[sleepers] = supply_days
    return act[c.supply[act] <= 0]


@given(campaigns())
@settings(max_examples=200, deadline=None)
def test_a_step_of_supply_is_the_rule(campaign):
    c, caches, nav, dt = campaign
    ref_c = SimpleNamespace(**{**vars(c), "supply": c.supply.copy()})
    ref_caches = SimpleNamespace(**{**vars(caches), "stock": caches.stock.copy()})
    ref_out = reference_supply_step(ref_c, ref_caches, nav, dt, 2.0, 15.0)
    out = use_supply(c.n, c.state, c.theatre, c.supply, c.fighters0, c.x, c.y, caches.x,
                     caches.y, caches.intact, caches.stock, dt, 2.0, 15.0, nav._km_x_between,
                     nav.km_y)
    np.testing.assert_array_equal(out, ref_out)
    np.testing.assert_array_equal(c.supply, ref_c.supply)
    np.testing.assert_array_equal(caches.stock, ref_caches.stock)
    # invariants: sleepers are full; every active cell out of supply is listed
    active = c.state[: c.n] <= CellState.ATTACKING
    assert (c.supply[: c.n][active & (c.theatre[: c.n] == Theatre.SYRIA)] == 2.0).all()
    assert set(out.tolist()) == set(np.flatnonzero(active & (c.supply[: c.n] <= 0)).tolist())


def reference_components(n, a, b):
    """``networks.components`` as it was: min-label propagation with pointer jumping."""
    comp = np.arange(n)
    if len(a) == 0:
        return comp
    while True:
        low = np.minimum(comp[a], comp[b])
        new = comp.copy()
        np.minimum.at(new, a, low)
        np.minimum.at(new, b, low)
        new = new[new]
        if np.array_equal(new, comp):
            return comp
        comp = new


@given(st.integers(1, 60), st.lists(st.tuples(st.integers(0, 59), st.integers(0, 59)),
                                    max_size=120), st.integers(0, 2**32 - 1))
@settings(max_examples=200, deadline=None)
def test_component_labels_are_the_smallest_node_of_each_component(n, edges, seed):
    edges = [(a, b) for a, b in edges if a < n and b < n]
    a = np.array([e[0] for e in edges], np.int64)
    b = np.array([e[1] for e in edges], np.int64)
    alive = np.random.default_rng(seed).random(len(a)) < 0.7
    ref = reference_components(n, a[alive], b[alive])
    np.testing.assert_array_equal(component_labels(n, a, b, alive), ref)
    np.testing.assert_array_equal(components(n, a, b), reference_components(n, a, b))
    # invariant: the label is the smallest node carrying it
    labels = component_labels(n, a, b, alive)
    for lab in np.unique(labels):
        assert np.flatnonzero(labels == lab).min() == lab
    # connectivity on these labels, with hubs and active cells anywhere (inactive ones too may
    # still carry links here): the rule's numpy expression
    rng = np.random.default_rng(seed + 1)
    hubs, active = rng.random(n) < 0.3, rng.random(n) < 0.7
    holds_hub = np.zeros(n, bool)
    holds_hub[labels[hubs & active]] = True
    np.testing.assert_array_equal(connected_cells(labels, hubs, active),
                                  holds_hub[labels] & active)


def reference_update(net, active, taken, hubs):
    """``CommNetwork.update`` as it was (on a copy of the network's arrays)."""
    n = len(active)
    newly_dead = net.alive & ~(active[net.a] & active[net.b])
    cut_now = int((newly_dead & (taken[net.a] | taken[net.b])).sum())
    net.alive &= ~newly_dead
    comp = reference_components(n, net.a[net.alive], net.b[net.alive])
    holds_hub = np.zeros(n, bool)
    holds_hub[comp[hubs & active]] = True
    return cut_now, comp, holds_hub[comp] & active


@given(st.integers(0, 2**32 - 1), st.integers(2, 50), st.integers(0, 3), st.integers(0, 4))
@settings(max_examples=150, deadline=None)
def test_links_cut_components_and_connectivity_are_the_rule(seed, n, steps, spare):
    rng = np.random.default_rng(seed)
    capacity = n + spare            # rows past n are not in the table (not active)
    net = CommNetwork(capacity)
    m = int(rng.integers(0, 3 * capacity))
    net.add_edges(rng.integers(0, capacity, m), rng.integers(0, capacity, m))
    hubs = rng.random(capacity) < 0.2
    state = np.zeros(capacity, np.int8)
    for _ in range(steps + 1):
        ref = SimpleNamespace(a=net.a.copy(), b=net.b.copy(), alive=net.alive.copy())
        # the cells' flags: active (in the table, state <= ATTACKING), taken by the forces
        active = np.zeros(capacity, bool)
        active[:n] = state[:n] <= CellState.ATTACKING
        taken = np.zeros(capacity, bool)
        taken[:n] = (state[:n] == CellState.NEUTRALISED) | (state[:n] == CellState.CAPTURED)
        cut_ref, comp_ref, conn_ref = reference_update(ref, active, taken, hubs)
        # the network's two doors: the flags given, or read from the states
        twin = deepcopy(net)
        assert twin.update(active, taken, hubs) == cut_ref
        cut = net.update_states(state, n, hubs, ACTIVE_STATES, TAKEN_STATES)
        assert cut == cut_ref
        for name in ("alive", "component", "connected"):
            np.testing.assert_array_equal(getattr(twin, name), getattr(net, name))
        np.testing.assert_array_equal(net.alive, ref.alive)
        np.testing.assert_array_equal(net.component, comp_ref)
        np.testing.assert_array_equal(net.connected, conn_ref)
        # some cells leave the campaign: killed, captured, escaped
        gone = rng.random(capacity) < 0.2
        state[gone & (state <= CellState.ATTACKING)] = rng.choice([4, 5, 6], int(
            (gone & (state <= CellState.ATTACKING)).sum()))


@given(st.integers(0, 2**32 - 1), st.integers(2, 40), st.integers(1, 30), st.booleans(),
       st.booleans())
@settings(max_examples=150, deadline=None)
def test_the_graph_follows_a_growing_cell_table(seed, n, grow, link_new, leave):
    """The components and connectivity are written in place step by step; when the cell table
    grows (recruits, joiners; linked or not, while others leave or not) they cover the new rows
    too, whatever the arrays held before."""
    rng = np.random.default_rng(seed)
    n2 = n + grow                   # the table after it grew; 2 spare rows before and after
    net = CommNetwork(n + 2)
    net.add_edges(rng.integers(0, n, 2 * n), rng.integers(0, n, 2 * n))
    state = np.zeros(n2 + 2, np.int8)
    hubs = rng.random(n2 + 2) < 0.3
    net.update_states(state, n, hubs[:n + 2], ACTIVE_STATES, TAKEN_STATES)
    if link_new:
        net.add_edges(np.arange(n, n2), rng.integers(0, n2, grow))
    if leave:
        state[:n][rng.random(n) < 0.3] = CellState.NEUTRALISED
    ref = SimpleNamespace(a=net.a.copy(), b=net.b.copy(), alive=net.alive.copy())
    active = np.zeros(n2 + 2, bool)
    active[:n2] = state[:n2] <= CellState.ATTACKING
    taken = np.zeros(n2 + 2, bool)
    taken[:n2] = state[:n2] == CellState.NEUTRALISED
    cut = net.update_states(state, n2, hubs, ACTIVE_STATES, TAKEN_STATES)
    cut_ref, comp_ref, conn_ref = reference_update(ref, active, taken, hubs)
    assert cut == cut_ref
    np.testing.assert_array_equal(net.component, comp_ref)
    np.testing.assert_array_equal(net.connected, conn_ref)
    # a step where nothing changes: the same answer, in the same arrays, every row rewritten
    component, connected = net.component, net.connected
    connected[:] = True
    assert net.update_states(state, n2, hubs, ACTIVE_STATES, TAKEN_STATES) == 0
    assert net.component is component and net.connected is connected
    np.testing.assert_array_equal(net.component, comp_ref)
    np.testing.assert_array_equal(net.connected, conn_ref)


def test_the_state_tables_say_which_cells_are_active_and_which_were_taken():
    assert [bool(ACTIVE_STATES[s]) for s in CellState] == [
        s in (CellState.HIDDEN, CellState.MOVING, CellState.SLIPPING, CellState.ATTACKING)
        for s in CellState]
    assert [bool(TAKEN_STATES[s]) for s in CellState] == [
        s in (CellState.NEUTRALISED, CellState.CAPTURED) for s in CellState]


@given(st.integers(0, 2**32 - 1), st.integers(0, 30))
@settings(max_examples=100, deadline=None)
def test_deserters_leave_and_cells_left_with_none_are_listed(seed, n_out):
    rng = np.random.default_rng(seed)
    fighters = rng.integers(0, 6, n_out + 10)
    out = np.sort(rng.choice(n_out + 10, n_out, replace=False))
    lost = rng.binomial(fighters[out], 0.5)
    ref = fighters.copy()
    # the reference: networks.step's numpy expressions
    ref[out] -= lost
    gone = desert(fighters, out, lost)
    np.testing.assert_array_equal(fighters, ref)
    np.testing.assert_array_equal(gone, out[ref[out] <= 0])


def reference_add_edges(net, a, b):
    """``CommNetwork.add_edges`` as it was (on a copy of the network's edge lists)."""
    a, b = np.asarray(a, np.int64), np.asarray(b, np.int64)
    keep = a != b
    a, b = np.minimum(a[keep], b[keep]), np.maximum(a[keep], b[keep])
    pairs = np.unique(np.column_stack([a, b]), axis=0) if len(a) else np.zeros((0, 2), np.int64)
    if len(net.a):
        old = set(zip(net.a.tolist(), net.b.tolist(), strict=True))
        pairs = np.array([p for p in pairs.tolist() if tuple(p) not in old],
                         np.int64).reshape(-1, 2)
    net.a = np.concatenate([net.a, pairs[:, 0]])
    net.b = np.concatenate([net.b, pairs[:, 1]])
    net.alive = np.concatenate([net.alive, np.ones(len(pairs), bool)])


@given(st.integers(0, 2**32 - 1), st.integers(1, 40), st.lists(st.integers(0, 30), max_size=5))
@settings(max_examples=150, deadline=None)
def test_links_are_added_once_each_in_the_order_of_the_rule(seed, n, batches):
    rng = np.random.default_rng(seed)
    net, ref = CommNetwork(n), SimpleNamespace(a=np.zeros(0, np.int64), b=np.zeros(0, np.int64),
                                                alive=np.zeros(0, bool))
    for m in batches:
        a, b = rng.integers(0, n, m), rng.integers(0, n, m)     # loops and repeats come up
        net.add_edges(a, b)
        reference_add_edges(ref, a, b)
        for name in ("a", "b", "alive"):
            np.testing.assert_array_equal(getattr(net, name), getattr(ref, name), err_msg=name)
            assert getattr(net, name).dtype == getattr(ref, name).dtype
        # invariants: no loops, each pair once, the smaller cell first
        assert (net.a < net.b).all()
        assert len(set(zip(net.a.tolist(), net.b.tolist(), strict=True))) == len(net.a)


def test_links_with_unmatched_ends_or_cells_out_of_range_are_refused():
    net = CommNetwork(5)
    net.add_edges([0, 1], [2, 3])
    with pytest.raises(ValueError, match="differ in number"):
        net.add_edges([0, 1], [2])
    for a, b in (([-1], [2]), ([0], [2**31])):
        with pytest.raises(IndexError, match="out of range"):
            net.add_edges(a, b)
    np.testing.assert_array_equal(net.a, [0, 1])      # nothing half-added
    np.testing.assert_array_equal(net.b, [2, 3])


@given(st.integers(0, 2**32 - 1), st.integers(2, 40), st.integers(0, 5))
@settings(max_examples=150, deadline=None)
def test_the_partners_a_capture_gives_away_are_the_rule(seed, n, n_captured):
    rng = np.random.default_rng(seed)
    net = CommNetwork(n)
    m = int(rng.integers(0, 3 * n))
    net.add_edges(rng.integers(0, n, m), rng.integers(0, n, m))
    net.alive &= rng.random(len(net.alive)) < 0.8
    state = rng.choice([0, 1, 2, 3, 4, 5, 6], n).astype(np.int8)
    captured = rng.choice(n, n_captured).tolist()        # repeats come up
    # the reference: networks.step's numpy expressions (the alive links touching a capture)
    touch = net.alive & (np.isin(net.a, captured) | np.isin(net.b, captured))
    a, b = net.a[touch], net.b[touch]
    ref = np.unique(np.concatenate([a, b]))
    ref = ref[~np.isin(ref, captured)]
    ref = ref[state[ref] <= CellState.ATTACKING]
    got = capture_partners(np.array(captured, np.intp), net.a, net.b, net.alive, state)
    np.testing.assert_array_equal(got, ref)


@given(st.floats(0.001, 2.0), st.sampled_from([0.25, 0.5, 1.0]), st.integers(1, 40))
@settings(max_examples=100, deadline=None)
def test_a_fighter_out_of_supply_deserts_at_the_daily_rate(rate, dt, steps):
    """The per-step chance is 1 - exp(-rate x dt): a fighter out of supply for k steps stays
    with probability exp(-rate x k dt), whatever the step length."""
    p = desertion_probability(rate, dt)
    assert 0.0 < p < 1.0
    assert p == pytest.approx(1.0 - np.exp(-rate * dt), rel=1e-12)
    assert (1.0 - p) ** steps == pytest.approx(np.exp(-rate * steps * dt), rel=1e-9)
