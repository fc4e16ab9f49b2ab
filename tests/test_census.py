"""The compiled cell census (``census_kernels``: the per-step table's counts and the plan's
alarm) against the numpy masks it replaces, and the compiled search for what the step-end sync
must move (``agents_kernels``) against the numpy expressions it replaces.

The oracles below are the numpy implementations these kernels replaced (``metrics.cell_counts``
and ``StepMetrics.values``, ``plan.alarm``, ``agents.sync_agents``), kept here only as the
reference; inputs are random tables (hypothesis) with rows beyond ``n`` filled with values that
would be counted if the kernel read past ``n``. Results must be equal exactly.
"""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from encircle_sim import census_kernels as K
from encircle_sim.agents_kernels import record_tracks, squares_to_sync
from encircle_sim.census_kernels import alarm_census, cell_census
from encircle_sim.state import CellState, EscapeRoute, Theatre


def reference_census(n, state, theatre, dissolved, escaped_via, fighters, supply, low, connected,
                     joined_from, recruited):
    """The counts as the numpy masks of metrics.py computed them (one dict per theatre)."""
    st_, th = state[:n], theatre[:n]
    active = st_ <= CellState.ATTACKING
    gone = st_ == CellState.NEUTRALISED
    out = []
    for t in (Theatre.IRAQ, Theatre.SYRIA):
        mine = th == t
        out.append({
            K.ACTIVE: int((mine & active).sum()),
            K.FIGHTERS: int(fighters[:n][mine & active].sum()),
            K.KILLED: int(np.count_nonzero(mine & gone & ~dissolved[:n])),
            K.DISSOLVED: int(np.count_nonzero(mine & gone & dissolved[:n])),
            K.CAPTURED: int(np.count_nonzero(mine & (st_ == CellState.CAPTURED))),
            K.ESCAPED_CORDON: int(np.count_nonzero(mine & (escaped_via[:n] == EscapeRoute.CORDON))),
            K.ESCAPED_BORDER: int(np.count_nonzero(mine & (escaped_via[:n] == EscapeRoute.BORDER))),
            K.LOW_SUPPLY: int((mine & active & (supply[:n] < low)).sum()),
            K.CONNECTED: int(connected[:n][mine & active].sum()),
            K.JOINED: int((mine & (joined_from[:n] >= 0)).sum()),
            K.RECRUITED: int(recruited[:n][mine].sum()),
        })
    return out


@st.composite
def cell_tables(draw):
    """A cell table of ``capacity`` rows of which the first ``n`` exist; the rest are filled
    with active, connected, low-supply, escaped, joined, recruited junk."""
    n = draw(st.integers(0, 40))
    capacity = n + draw(st.integers(0, 5))
    ints = lambda lo, hi: np.array(draw(st.lists(st.integers(lo, hi), min_size=n, max_size=n)),  # noqa: E731
                                   np.int64)
    bools = lambda: np.array(draw(st.lists(st.booleans(), min_size=n, max_size=n)), bool)  # noqa: E731
    low = draw(st.sampled_from([0.0, 2.0, 3.5]))
    # supply often exactly at the threshold: "<" against "<=" must show
    supply = np.array(draw(st.lists(st.sampled_from([0.0, 1.0, 2.0, 3.5, 7.25]), min_size=n,
                                    max_size=n)), float)

    def pad(a, junk):
        out = np.full(capacity, junk, a.dtype)
        out[:n] = a
        return out

    return dict(
        n=n,
        state=pad(ints(0, 6).astype(np.int8), 0),
        theatre=pad(ints(0, 1).astype(np.int8), 0),
        dissolved=pad(bools(), True),
        escaped_via=pad(ints(0, 2).astype(np.int8), 1),
        fighters=pad(ints(0, 30), 99),
        supply=pad(supply, 0.0),
        low=low,
        connected=pad(bools(), True),
        joined_from=pad(ints(-1, 3), 5),
        recruited=pad(bools(), True),
    )


def census_of(t):
    return cell_census(t["n"], t["state"], t["theatre"], t["dissolved"], t["escaped_via"],
                       t["fighters"], t["supply"], t["low"], t["connected"][: t["n"]],
                       t["joined_from"], t["recruited"])


@given(cell_tables())
@settings(max_examples=300, deadline=None)
def test_cell_census_matches_the_numpy_masks(t):
    got = census_of(t)
    want = reference_census(t["n"], t["state"], t["theatre"], t["dissolved"], t["escaped_via"],
                            t["fighters"], t["supply"], t["low"], t["connected"],
                            t["joined_from"], t["recruited"])
    assert got.shape == (2, K.CENSUS_COLUMNS)
    for theatre in (0, 1):
        assert {k: int(got[theatre, k]) for k in want[theatre]} == want[theatre]


@given(cell_tables())
@settings(max_examples=100, deadline=None)
def test_every_cell_is_counted_once_by_state(t):
    """Per theatre, active + killed + dissolved + captured + (cells in state ESCAPED) is the
    number of its cells: no state is counted twice or dropped."""
    got = census_of(t)
    n = t["n"]
    for theatre in (0, 1):
        mine = t["theatre"][:n] == theatre
        escaped = int((mine & (t["state"][:n] == CellState.ESCAPED)).sum())
        assert (got[theatre, K.ACTIVE] + got[theatre, K.KILLED] + got[theatre, K.DISSOLVED]
                + got[theatre, K.CAPTURED] + escaped) == int(mine.sum())


def test_cells_beyond_connected_are_not_connected():
    """A ``connected`` array shorter than the table (not yet grown) is read only where it is."""
    n = 4
    state = np.zeros(n, np.int8)
    theatre = np.zeros(n, np.int8)
    z = np.zeros(n, np.int64)
    got = cell_census(n, state, theatre, np.zeros(n, bool), np.zeros(n, np.int8), z + 1,
                      np.ones(n), 0.5, np.ones(2, bool), z - 1, np.zeros(n, bool))
    assert got[0, K.ACTIVE] == 4 and got[0, K.CONNECTED] == 2


def reference_alarm(n, state, theatre, x, y, threat, flee):
    """plan.alarm and the plan's counts as numpy computed them: (created, active, share)."""
    out = []
    for t in (Theatre.IRAQ, Theatre.SYRIA):
        idx = np.flatnonzero((state[:n] <= CellState.ATTACKING) & (theatre[:n] == t))
        share = 0.0 if len(idx) == 0 else float((threat[x[idx], y[idx]] > flee).mean())
        out.append((int((theatre[:n] == t).sum()), len(idx), share))
    return out


@given(data=st.data(), n=st.integers(0, 30), extra=st.integers(0, 4),
       flee=st.sampled_from([0.0, 0.5, 1.0]))
@settings(max_examples=300, deadline=None)
def test_alarm_census_matches_the_numpy_alarm(data, n, extra, flee):
    from encircle_sim.submodels.plan import alarm

    cap = n + extra
    shape = (5, 4)
    # threat values often exactly at flee_threat: ">" against ">=" must show
    threat = np.array(data.draw(st.lists(st.sampled_from([0.0, 0.25, 0.5, 1.0, 2.0]),
                                         min_size=20, max_size=20)), float).reshape(shape)
    pick = lambda lo, hi: np.array(data.draw(st.lists(st.integers(lo, hi), min_size=cap,  # noqa: E731
                                                      max_size=cap)), np.int64)
    state, theatre = pick(0, 6).astype(np.int8), pick(0, 1).astype(np.int8)
    x, y = pick(0, shape[0] - 1).astype(np.int32), pick(0, shape[1] - 1).astype(np.int32)
    got = alarm_census(n, state, theatre, x, y, threat, flee)
    want = reference_alarm(n, state, theatre, x, y, threat, flee)
    for t in (0, 1):
        created, active, share = want[t]
        assert got[t, K.CREATED] == created
        assert got[t, K.ACTIVE_CELLS] == active
        assert alarm(int(got[t, K.ALARMED]), int(got[t, K.ACTIVE_CELLS])) == share


def reference_sync(n, state, x, y, prev_x, prev_y, strength, ux, uy, ny):
    """What the numpy sync_agents moved: (moved, their squares, ended, unit squares or -1)."""
    act = state[:n] <= CellState.ATTACKING
    moved = (act & ((x[:n] != prev_x[:n]) | (y[:n] != prev_y[:n]))).nonzero()[0]
    ended = (~act).nonzero()[0]
    unit_square = np.where(strength > 0, ux.astype(np.int64) * ny + uy, -1)
    return moved, x[moved].astype(np.int64) * ny + y[moved], ended, unit_square


@given(data=st.data(), n=st.integers(0, 30), extra=st.integers(0, 4), units=st.integers(0, 12),
       ny=st.integers(1, 7))
@settings(max_examples=300, deadline=None)
def test_squares_to_sync_matches_the_numpy_sync(data, n, extra, units, ny):
    cap = n + extra
    pick = lambda size, lo, hi, dt: np.array(  # noqa: E731
        data.draw(st.lists(st.integers(lo, hi), min_size=size, max_size=size)), dt)
    state = pick(cap, 0, 6, np.int8)
    x, y = pick(cap, 0, 5, np.int32), pick(cap, 0, ny - 1, np.int32)
    # most cells stay where they were: moves and stays both common
    stay = pick(cap, 0, 1, bool)
    prev_x = np.where(stay, x, pick(cap, 0, 5, np.int32)).astype(np.int32)
    prev_y = np.where(stay, y, pick(cap, 0, ny - 1, np.int32)).astype(np.int32)
    strength = pick(units, -1, 3, np.int64)
    ux, uy = pick(units, 0, 5, np.int32), pick(units, 0, ny - 1, np.int32)
    got = squares_to_sync(n, state, x, y, prev_x, prev_y, strength, ux, uy, ny)
    want = reference_sync(n, state, x, y, prev_x, prev_y, strength, ux, uy, ny)
    for g, w in zip(got, want, strict=True):
        assert g.tolist() == w.tolist()


def reference_tracks(n, state, x, y, track_x, track_y, s):
    """What model._record_tracks did with numpy: row ``s`` gets the active cells' squares."""
    act = np.flatnonzero(state[:n] <= CellState.ATTACKING)
    track_x[s, act] = x[act]
    track_y[s, act] = y[act]


@given(data=st.data(), n=st.integers(0, 30), extra=st.integers(0, 4), steps=st.integers(1, 4))
@settings(max_examples=200, deadline=None)
def test_record_tracks_matches_the_numpy_record(data, n, extra, steps):
    cap = n + extra
    pick = lambda size, lo, hi, dt: np.array(  # noqa: E731
        data.draw(st.lists(st.integers(lo, hi), min_size=size, max_size=size)), dt)
    state = pick(cap, 0, 6, np.int8)
    # squares beyond int16 too: the tables are int16, and both must wrap them alike
    x, y = pick(cap, 0, 40000, np.int32), pick(cap, -3, 9, np.int32)
    s = data.draw(st.integers(0, steps - 1))
    before = pick(steps * cap, -1, 5, np.int16).reshape(steps, cap)
    got_x, got_y, want_x, want_y = before.copy(), before.copy(), before.copy(), before.copy()
    record_tracks(n, state, x, y, got_x, got_y, s)
    reference_tracks(n, state, x, y, want_x, want_y, s)
    assert got_x.tolist() == want_x.tolist()
    assert got_y.tolist() == want_y.tolist()
