"""The summary's first days (``outputs.summarise``): the day of the first step whose value
meets the threshold, read from the per-step columns the run collected."""

from __future__ import annotations

import pytest

from encircle_sim.outputs import summarise
from encircle_sim.runner import run


@pytest.fixture(scope="module")
def finished():
    return run("quick", seed=1, plots=False).model


def test_first_days_are_the_first_steps_at_or_below_the_threshold(finished):
    """A pocket cleared at step 10 (and again at 20) is cleared on step 10's day; 90% of the
    cells are gone on the first step with at most 10% of them active (exactly 10% counts, one
    more does not). Catches a strict comparison, the last hit taken for the first, a wrong
    column."""
    model = finished
    cols = model.datacollector.model_vars
    n = len(cols["day"])
    initial = model.iraq_cells_initial
    assert initial == 40 and n > 25
    kept = {k: list(cols[k]) for k in ("pocket_area_km2", "iraq_cells_active")}
    try:
        cols["pocket_area_km2"][:] = [500.0] * n
        cols["pocket_area_km2"][10] = cols["pocket_area_km2"][20] = 0.0
        cols["iraq_cells_active"][:] = [initial] * n
        cols["iraq_cells_active"][12] = initial // 10 + 1   # 11%: not yet
        cols["iraq_cells_active"][15] = initial // 10       # 10%: gone
        cols["iraq_cells_active"][22] = 0
        iraq = summarise(model)["iraq"]
        assert iraq["pocket_cleared_day"] == pytest.approx(10 * model.dt_days)
        assert iraq["day_90pct_cells_gone"] == pytest.approx(15 * model.dt_days)
        cols["pocket_area_km2"][:] = [500.0] * n
        cols["iraq_cells_active"][:] = [initial] * n
        iraq = summarise(model)["iraq"]
        assert iraq["pocket_cleared_day"] is None and iraq["day_90pct_cells_gone"] is None
    finally:
        for k, v in kept.items():
            cols[k][:] = v
