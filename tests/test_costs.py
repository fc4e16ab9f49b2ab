"""The up-front cost estimate: its terms follow the scenario sizes they are products of, and a
run the estimate finds too costly does not start without ``--yes``.

How close the estimate comes to measured runs is a benchmark (benchmarks/cost_model.py), not a
test: timings depend on the machine.
"""

from __future__ import annotations

import math

import pytest

from encircle_sim import costs
from encircle_sim.scenario_files import load_scenario


def est(*overrides: str, ref: str = "victory_will", **kw) -> costs.CostEstimate:
    return costs.estimate(load_scenario(ref, list(overrides)), **kw)


def test_grid_cells_grow_with_the_square_of_the_resolution():
    a, b = est("map.cell_km=10").sizes, est("map.cell_km=5").sizes
    assert b.grid_cells / a.grid_cells == pytest.approx(4, rel=0.1)


def test_the_terms_are_the_products_the_model_computes():
    from encircle_sim.model import CampaignModel

    for ref in ("quick", "victory_will", "jazeera_storm"):
        sc = load_scenario(ref, ["insurgents.cells=300"])
        z = costs.sizes(sc)
        pocket = 300 if sc.theatres.iraq else 0
        sleepers = sc.retaliation.sleeper_cells if sc.theatres.syria else 0
        joiners = pocket if sc.theatres.coupled and sc.retaliation.escapee_join else 0
        # escapees may join the sleepers; the table keeps room for a few more
        assert z.cells == pocket + sleepers + max(joiners, 16)
        assert z.link_pairs == pocket ** 2 + sleepers ** 2
        assert z.units == sum(f.units for f in sc.forces)
        assert z.steps == sc.max_steps
        model = CampaignModel(sc)
        assert z.grid_cells == model.nav.passable.size
        assert z.units == len(model.units.alive)
        assert model.cells.capacity <= z.cells  # the model's table starts no larger


def test_memory_and_time_rise_with_each_size():
    base = est()
    for bigger in (["insurgents.cells=3000"], ["forces[0].units=500"], ["map.cell_km=2.5"],
                   ["unit_types.infantry.patrol_km=150"], ["time.max_days=200"]):
        e = est(*bigger)
        assert e.memory_mb >= base.memory_mb and e.seconds > base.seconds, bigger


def test_a_wide_kernel_costs_memory_in_proportion_to_its_area():
    many = [f"forces[{i}].units=500" for i in range(12)]
    types = load_scenario("victory_will").unit_types

    def patrols(km):
        return [f"unit_types.{name}.patrol_km={km}" for name in types]

    narrow, wide = est(*many, *patrols(100)), est(*many, *patrols(200))
    assert wide.sizes.widest_stamp / narrow.sizes.widest_stamp == pytest.approx(4, rel=0.05)
    assert wide.memory_mb > 2.5 * narrow.memory_mb  # the stamps dominate both


def test_fewer_steps_cost_less_time():
    full = est()
    assert est(steps=10).seconds < full.seconds
    assert est(steps=10).sizes.steps == 10


def test_reasons_to_ask():
    small = est()
    assert costs.reasons_to_ask(small, available_mb=100_000) == []
    [memory] = costs.reasons_to_ask(small, available_mb=100)
    assert "memory" in memory and "100 MB available" in memory
    long = est("time.step_hours=1", "time.max_days=365", "forces[0].units=500",
               "forces[1].units=500", "forces[2].units=500", "insurgents.cells=5000")
    assert long.seconds > costs.ASK_ABOVE_SECONDS
    assert any("may take" in r for r in costs.reasons_to_ask(long, available_mb=math.inf))


HUGE = ["time.step_hours=1", "time.max_days=365", "insurgents.cells=5000",
        "forces[0].units=500", "forces[1].units=500", "forces[2].units=500"]


def test_a_run_too_costly_asks_for_yes_and_starts_nothing(cli, tmp_path):
    args = ["run", "victory_will", "--out", tmp_path / "r", "--quiet"]
    for o in HUGE:
        args += ["--set", o]
    result = cli(*args)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "not started: it may take" in result.stderr and "--yes" in result.stderr
    assert not (tmp_path / "r").exists()


def test_validate_prints_the_estimate(cli):
    result = cli("validate", "quick")
    assert result.returncode == 0
    assert "a run needs about" in result.stdout and "MB of memory" in result.stdout
    args = ["validate", "victory_will"]
    for o in HUGE:
        args += ["--set", o]
    result = cli(*args)
    assert result.returncode == 0
    assert "note: `encircle-sim run` will ask for --yes: it may take" in result.stdout
