"""The compiled update of the forces' picture (``knowledge_kernels.update_reports`` behind
``Knowledge.update``) against the rule it carries out, on random cell tables.

The oracle is the rule over whole arrays (the implementation ``update`` had before it was
compiled, kept here only as the reference): every cell's last known square, step, report and
out-flag must be the same. Besides, the rule's order of reports checked case by case.
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from encircle_sim.knowledge import Knowledge, Report
from encircle_sim.state import CellState
from encircle_sim.submodels.detect import EXPOSURE_KEPT_PER_STEP


def reference_update(k: Knowledge, model) -> None:
    """Knowledge.update over whole arrays."""
    c = model.cells
    n = c.n
    state = c.state[:n]
    now = int(model.steps)
    faded = k._exposed[:n] * (EXPOSURE_KEPT_PER_STEP if now > 0 else 1.0)
    reported = c.exposed[:n] > faded + 1e-9
    ended_now = c.ended_step[:n] == now
    captured = ended_now & (state == CellState.CAPTURED)
    killed = ended_now & (state == CellState.NEUTRALISED) & ~c.dissolved[:n]
    attacked = state == CellState.ATTACKING
    detected = model.detected_cells[:n]
    how = np.zeros(n, np.int8)
    for report, holds in ((Report.REPORTED, reported), (Report.DETECTED, detected),
                          (Report.ATTACKED, attacked), (Report.KILLED, killed),
                          (Report.CAPTURED, captured)):
        how[holds] = report
    located = how.nonzero()[0]
    k.x[located], k.y[located] = c.x[located], c.y[located]
    k.step[located] = now
    k.how[located] = how[located]
    k.out[:n] |= captured | killed
    k._exposed[:n] = c.exposed[:n]


def random_model(rng, capacity: int, n: int, now: int):
    """A model-like object: a cell table of ``capacity`` rows, ``n`` of them in use."""
    cells = SimpleNamespace(
        n=n, capacity=capacity, on_grow=[],
        state=rng.integers(0, 7, capacity).astype(np.int8),
        ended_step=np.where(rng.random(capacity) < 0.5, now, rng.integers(-1, now + 2, capacity)),
        dissolved=rng.random(capacity) < 0.3,
        x=rng.integers(0, 50, capacity).astype(np.int32),
        y=rng.integers(0, 50, capacity).astype(np.int32),
        exposed=np.where(rng.random(capacity) < 0.5, 0.0, rng.random(capacity)))
    return SimpleNamespace(cells=cells, steps=now, detected_cells=rng.random(capacity) < 0.2)


@given(st.integers(0, 2**32 - 1), st.integers(1, 60), st.integers(1, 4))
@settings(max_examples=150, deadline=None)
def test_the_compiled_update_is_the_rule(seed, capacity, steps):
    rng = np.random.default_rng(seed)
    model = random_model(rng, capacity, int(rng.integers(0, capacity + 1)), 0)
    mine, ref = Knowledge(model), Knowledge(model)
    for now in range(1, steps + 1):
        # a new step: states, exposures and detections change; exposure sometimes just fades
        fresh = random_model(rng, capacity, model.cells.n, now)
        fresh.cells.exposed = np.where(rng.random(capacity) < 0.5,
                                       model.cells.exposed * EXPOSURE_KEPT_PER_STEP,
                                       fresh.cells.exposed)
        model = fresh
        mine.update(model)
        reference_update(ref, model)
        for name in ("x", "y", "step", "how", "out", "_exposed"):
            a, b = getattr(mine, name), getattr(ref, name)
            assert a.dtype == b.dtype and a.tobytes() == b.tobytes(), name


def test_the_first_report_that_holds_wins_and_faded_exposure_is_no_report():
    rng = np.random.default_rng(0)
    model = random_model(rng, 6, 6, 0)
    model.cells.exposed[:] = 0.4
    model.detected_cells[:] = False
    model.cells.state[:] = CellState.HIDDEN
    k = Knowledge(model)                       # at step 0: every exposed cell is reported
    assert (k.how == Report.REPORTED).all()
    c = model.cells
    model.steps = 3
    c.ended_step[:], c.dissolved[:] = -1, False
    c.exposed[:] = 0.4 * EXPOSURE_KEPT_PER_STEP  # only faded: nothing new on any cell
    c.state[0], c.ended_step[0] = CellState.CAPTURED, 3
    model.detected_cells[0] = True             # captured beats detected
    c.state[1], c.ended_step[1] = CellState.NEUTRALISED, 3
    c.state[2], c.ended_step[2], c.dissolved[2] = CellState.NEUTRALISED, 3, True  # starved
    c.state[3] = CellState.ATTACKING
    model.detected_cells[3] = True             # attacked beats detected
    model.detected_cells[4] = True
    c.x[:], c.y[:] = 7, 9
    k.update(model)
    assert list(k.how) == [Report.CAPTURED, Report.KILLED, Report.REPORTED, Report.ATTACKED,
                           Report.DETECTED, Report.REPORTED]
    assert list(k.step) == [3, 3, 0, 3, 3, 0]
    assert list(k.out) == [True, True, False, False, False, False]
    assert (k.x[k.step == 3] == 7).all() and list(k.located()) == [2, 3, 4, 5]
