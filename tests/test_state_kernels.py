"""The compiled per-unit rules of ``state.py`` (``state_kernels.py``) against the rules they
carry out, on random units.

The oracles are the rules written with whole-array numpy operations (the implementations
``UnitArrays.searching`` and ``UnitArrays.move_budget_km`` had before they were compiled, kept
here only as the reference): the same units must sweep, and every budget must be the same to
the bit, which is what keeps the model's results unchanged.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from encircle_sim.operation import Phase
from encircle_sim.state import SWEEPS, Task, UnitArrays, sweeps_in
from encircle_sim.state_kernels import sweeping


def reference_searching(u: UnitArrays, phase: Phase) -> np.ndarray:
    t = u.task
    sweep = ((t == Task.PERIMETER) | (t == Task.HUNT) | (t == Task.BORDER_SCREEN)) & \
        u.on_station
    if phase in (Phase.ADVANCE, Phase.ASSAULT):
        sweep |= t == Task.AXIS
    if phase == Phase.ASSAULT:
        sweep |= t == Task.RESERVE
    return sweep & (u.strength > 0)


def reference_budget(u: UnitArrays, step_hours: float, searching: np.ndarray) -> np.ndarray:
    speed = np.where(searching, u.search_speed_kmh, u.speed_offroad_kmh)
    return speed * u.move_hours_per_day * step_hours / 24.0


speeds = st.floats(0.0, 200.0) | st.floats(1e-6, 1e-3)


@st.composite
def unit_tables(draw):
    n = draw(st.integers(0, 60))
    u = UnitArrays(n)
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    u.task[:] = rng.integers(0, len(Task), n)
    u.on_station[:] = rng.random(n) < 0.5
    u.strength[:] = np.where(rng.random(n) < 0.8, rng.integers(1, 600, n), rng.integers(-5, 1, n))
    for name in ("search_speed_kmh", "speed_offroad_kmh", "move_hours_per_day"):
        getattr(u, name)[:] = [draw(speeds) for _ in range(n)]
    return u


@given(unit_tables(), st.sampled_from(list(Phase)))
@settings(max_examples=200, deadline=None)  # the first example loads the compiled kernel
def test_the_searching_units_are_the_rules(u, phase):
    got = u.searching(phase)
    assert got.dtype == bool
    assert np.array_equal(got, reference_searching(u, phase))
    # invariants: only living units search; blocking positions never do
    assert not (got & (u.strength <= 0)).any()
    assert not (got & (u.task == Task.BLOCK)).any()


@given(unit_tables(), st.sampled_from(list(Phase)), st.floats(0.5, 48.0))
@settings(max_examples=200, deadline=None)
def test_the_move_budget_is_the_rule_to_the_bit(u, phase, step_hours):
    searching = reference_searching(u, phase)
    got = u.move_budget_km(step_hours, searching)
    want = reference_budget(u, step_hours, searching)
    assert got.dtype == want.dtype and got.tobytes() == want.tobytes()


def test_the_table_of_sweeps_is_the_rule_for_every_phase_task_and_station():
    for p in Phase:
        for t in Task:
            for s in (False, True):
                assert SWEEPS[p, t, int(s)] == sweeps_in(p, t, s)
    # the axes sweep as they advance, a unit in transit to its lane does not
    assert sweeps_in(Phase.ADVANCE, Task.AXIS, False)
    assert not sweeps_in(Phase.PERIMETER, Task.PERIMETER, False)


def test_a_task_outside_the_table_is_refused():
    u = UnitArrays(2)
    u.task[:] = [0, len(Task)]
    u.strength[:] = 1
    with pytest.raises(IndexError):
        sweeping(SWEEPS, int(Phase.ASSAULT), u.task, u.on_station, u.strength)
