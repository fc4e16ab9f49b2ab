"""Scenario-level behaviour over several seeds: would these fail if the model were wrong?

Each test compares outcomes summed or averaged over seeds, so that one lucky seed cannot pass
or fail it alone. Runs use the bundled scenarios, shortened where the effect shows early.
"""

from __future__ import annotations

import numpy as np
import pytest

from encircle_sim.runner import run
from encircle_sim.scenario_files import load_scenario

SEEDS = (11, 12, 13, 14, 15)


def outcomes(name: str, overrides: dict | None = None, seeds=SEEDS) -> list[dict]:
    return [run(name, seed=s, overrides=overrides or {}).summary for s in seeds]


def get(row: dict, key: str):
    """A summary figure by dotted path: ``get(summary, "iraq.killed")``."""
    for part in key.split("."):
        row = row[part]
    return row


def total(rows: list[dict], key: str) -> float:
    return float(sum(get(r, key) for r in rows))


def scaled_forces(name: str, factor: float) -> dict:
    """Overrides multiplying every formation's number of units."""
    sc = load_scenario(name)
    return {f"forces[{i}].units": max(1, int(round(f.units * factor)))
            for i, f in enumerate(sc.forces)}


def test_no_forces_neutralise_nothing():
    # plenty of supply, so no cell can starve: only forces could take cells out
    rows = outcomes("quick", {"forces": [], "air": [], "insurgents.supply_days": 200.0})
    assert total(rows, "iraq.killed") == 0
    assert total(rows, "iraq.captured") == 0
    assert total(rows, "sf_casualties") == 0
    assert total(rows, "iraq.caches_destroyed") == 0
    # the pocket is never cleared when nobody searches it
    assert all(r["iraq"]["pocket_area_km2"] == r["iraq"]["pocket_area_initial_km2"]
               for r in rows)


@pytest.mark.slow
def test_sealed_border_means_fewer_border_escapes():
    short = {"time.max_days": 30.0}
    # only the sealing changes: the border guards stay as they are
    sealed = outcomes("victory_will", {**short, "border.sealing": 0.95})
    leaky = outcomes("victory_will", {**short, "border.sealing": 0.0})
    assert total(leaky, "iraq.escaped_border") > total(sealed, "iraq.escaped_border") + 3


@pytest.mark.slow
def test_more_units_mean_fewer_escapes_and_a_shorter_campaign():
    base = outcomes("victory_will")
    strong = outcomes("victory_will", scaled_forces("victory_will", 2.0))
    escapes = lambda rows: total(rows, "iraq.escaped_cordon") + total(rows, "iraq.escaped_border")  # noqa: E731, E501
    assert escapes(strong) < 0.85 * escapes(base)
    # shorter: 90% of the pocket's cells gone sooner (never getting there counts as the last day)
    end = lambda rows: np.mean([r["iraq"]["day_90pct_cells_gone"] or r["days"] for r in rows])  # noqa: E731, E501
    assert end(strong) < end(base) - 2.0
    cleared = lambda rows: np.mean([r["iraq"]["pocket_cleared_day"] or r["days"] for r in rows])  # noqa: E731, E501
    assert cleared(strong) < cleared(base) - 2.0


@pytest.mark.slow
def test_retaliation_off_means_no_attacks_and_pressure_means_more():
    short = {"time.max_days": 25.0}
    off = outcomes("combined_no_retaliation", short, seeds=SEEDS[:3])
    assert total(off, "syria.attacks") == 0
    calm = outcomes("combined", {**short, "retaliation.pressure_gain": 0.0,
                                 "retaliation.call_boost": 0.0}, seeds=SEEDS[:3])
    driven = outcomes("combined", {**short, "retaliation.pressure_gain": 12.0}, seeds=SEEDS[:3])
    assert total(calm, "syria.attacks") > 0
    assert total(driven, "syria.attacks") > 1.5 * total(calm, "syria.attacks")


def test_destroying_caches_weakens_cells():
    # short supply, so the caches matter; caches either found easily or never found
    common = {"insurgents.supply_days": 8.0, "networks.caches": 20}
    found = [run("quick", seed=s, overrides={**common, "networks.cache_concealment": 0.0})
             for s in SEEDS]
    hidden = [run("quick", seed=s, overrides={**common, "networks.cache_concealment": 0.99})
              for s in SEEDS]
    assert sum(r.summary["iraq"]["caches_destroyed"] for r in found) > sum(
        r.summary["iraq"]["caches_destroyed"] for r in hidden)
    share_low = lambda rs: np.mean([  # noqa: E731
        (r.steps["low_supply_cells"] / r.steps["iraq_cells_active"].clip(lower=1)).mean()
        for r in rs])
    assert share_low(found) > share_low(hidden)
