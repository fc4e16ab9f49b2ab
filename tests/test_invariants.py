"""Invariants checked after every step, on every bundled scenario and on random variants."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from encircle_sim.model import CampaignModel
from encircle_sim.operation import Phase
from encircle_sim.runner import run
from encircle_sim.scenario_files import bundled_scenarios, load_scenario


def check_every_step(model: CampaignModel, max_steps: int) -> int:
    nav, c, u = model.nav, model.cells, model.units
    prev_bank_c = nav.bank[c.x[: c.n], c.y[: c.n]].copy()
    prev_bank_u = nav.bank[u.x, u.y].copy()
    prev_pocket = model.plan.pocket.copy()
    prev_phase = model.plan.phase
    steps = 0
    while model.running and steps < max_steps:
        model.step()
        steps += 1
        n = c.n
        row = model.record
        # cells are conserved: every cell ever created is in exactly one of these counts
        assert (row["iraq_cells_active"] + row["iraq_killed"] + row["iraq_dissolved"]
                + row["iraq_captured"] + row["escaped_cordon"] + row["escaped_border"]
                + row["syria_cells_active"] + row["syria_killed"] + row["syria_captured"]) == n
        active = np.flatnonzero(c.active)
        alive = np.flatnonzero(u.alive)
        # nobody stands in a lake or on a river away from a crossing
        assert nav.passable[c.x[active], c.y[active]].all()
        assert nav.passable[u.x[alive], u.y[alive]].all()
        # nobody changes bank without standing on a crossing (bank 0) at the end of a step
        bank_c = nav.bank[c.x[:n], c.y[:n]]
        old = np.zeros(n, np.int32)
        old[: len(prev_bank_c)] = prev_bank_c
        moved_c = active[active < len(prev_bank_c)]
        assert not ((old[moved_c] > 0) & (bank_c[moved_c] > 0)
                    & (old[moved_c] != bank_c[moved_c])).any()
        bank_u = nav.bank[u.x, u.y]
        assert not ((prev_bank_u[alive] > 0) & (bank_u[alive] > 0)
                    & (prev_bank_u[alive] != bank_u[alive])).any()
        prev_bank_c, prev_bank_u = bank_c.copy(), bank_u.copy()
        # no negative strength or supply
        assert (u.strength >= 0).all() and (c.fighters[:n] >= 0).all()
        assert (c.supply[:n] >= 0).all()
        assert (c.fighters[active] > 0).all()
        # the pocket only shrinks, and phases only move forward
        assert not (model.plan.pocket & ~prev_pocket).any()
        assert model.plan.phase >= prev_phase
        prev_pocket, prev_phase = model.plan.pocket.copy(), model.plan.phase
        # Mesa's grid mirrors the arrays
        for i in active[:20]:
            assert model.cell_agents[i].cell.coordinate == (c.x[i], c.y[i])
        for i in np.flatnonzero(~c.active)[:20]:
            assert model.cell_agents[i].cell is None
    return steps


@pytest.mark.parametrize("name", sorted(bundled_scenarios()))
def test_invariants_in_bundled_scenarios(name):
    model = CampaignModel(load_scenario(name, {"time.max_days": 12.0}), rng=3)
    assert check_every_step(model, 10_000) > 0


@given(seed=st.integers(0, 2**32 - 1), cells=st.integers(0, 80),
       sealing=st.floats(0.0, 1.0), force=st.sampled_from([0.5, 1.0, 2.0]))
@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_invariants_hold_for_random_variants(seed, cells, sealing, force):
    base = load_scenario("quick")
    overrides = {"insurgents.cells": cells, "border.sealing": sealing}
    overrides.update({f"forces[{i}].units": max(1, round(f.units * force))
                      for i, f in enumerate(base.forces)})
    model = CampaignModel(load_scenario("quick", overrides), rng=seed)
    check_every_step(model, 10_000)
    assert model.steps <= model.max_steps
    assert model.plan.phase == Phase.ENDED or model.steps == model.max_steps or not \
        model.cells.active.any()


def test_pocket_does_not_grow_in_phase_two():
    model = CampaignModel(load_scenario("victory_will"), rng=5)
    areas = []
    while model.running:
        model.step()
        if model.plan.phase == Phase.ADVANCE:
            areas.append(model.plan.pocket_area_km2)
    assert len(areas) > 4
    assert all(b <= a for a, b in zip(areas, areas[1:], strict=False))
    assert areas[-1] < areas[0]  # and it does shrink: the axes squeeze it


@pytest.mark.parametrize("name", ["combined", "jazeera_storm", "quick"])
def test_each_theatre_counts_every_cell_once(name):
    s = run(name, seed=5, overrides={"time.max_days": 20.0}).summary
    iq, sy = s["iraq"], s["syria"]
    assert iq["cells_initial"] == (iq["cells_active"] + iq["killed"] + iq["dissolved"]
                                   + iq["captured"] + iq["escaped_cordon"]
                                   + iq["escaped_border"])
    assert sy["cells_initial"] + sy["joined_from_iraq"] == (
        sy["cells_active"] + sy["killed"] + sy["dissolved"] + sy["captured"])
    assert sy["joined_from_iraq"] <= iq["escaped_border"]
    assert sy["attacks"] == sum(sy["attacks_by_town"].values())
