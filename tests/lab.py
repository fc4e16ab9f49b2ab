"""A laboratory scenario: a small, flat, river-free piece of the Jazira desert in which one
mechanism at a time can be isolated and compared with its formula.

Terrain is one concealment everywhere, there are no caches, roads, rivers or towns, the phase
plan is a single long phase at intensity 1, and by default cells cannot move (no hours of
movement), cannot ambush (odds never good enough) and never surrender, and forces have no
firepower: each test switches on only what it measures.
"""

from __future__ import annotations

import copy
from typing import Any

from encircle_sim.scenario_files import validate

# 35.0-35.8 N, 41.5-42.3 E: open desert in Iraq between Baaj and Hatra, no river, lake or road
# (checked by test_the_lab_is_flat_open_desert)
WINDOW = {"south": 35.0, "north": 35.8, "west": 41.5, "east": 42.3, "cell_km": 5.0}
AREA = [[35.2, 41.7], [35.2, 42.1], [35.6, 42.1], [35.6, 41.7]]
CENTRE = [35.4, 41.9]
TERRAINS = ("open", "rough", "wadi", "urban", "cultivated")


def lab_data(concealment: float = 0.4, cells: int = 200, days: float = 5.0) -> dict[str, Any]:
    """The lab's raw scenario data (change it, then :func:`lab_scenario`)."""
    return {
        "name": "lab", "seed": 1,
        "map": dict(WINDOW),
        "time": {"step_hours": 6, "max_days": days},
        "terrain": {k: {"concealment": concealment} for k in TERRAINS},
        "operation": {"area": copy.deepcopy(AREA)},
        "phases": {
            "perimeter": {"max_day": 365.0, "perimeter_cleared": None, "search_intensity": 1.0,
                          "engagement_intensity": 1.0},
            "advance": {"enabled": False}, "assault": {"enabled": False},
        },
        "forces": [],
        "unit_types": {"infantry": {"firepower": 0.0}},
        "insurgents": {"cells": cells, "move_hours_per_day": 0.0, "firepower": 0.0,
                       "fighters_min": 20, "fighters_max": 20, "ambush_odds": 10.0,
                       "choice_temperature": 0.0, "flee_threat": 100.0, "slip_threat": 100.0},
        "networks": {"caches": 0, "capture_intel": 0.0},
        "engagement": {"p_surrender": 0.0, "break_contact": 0.0},
    }


def searcher(**kw: Any) -> dict[str, Any]:
    """One infantry unit hunting within 1 km of the lab's centre (so it stays put)."""
    return {"name": "searcher", "type": "infantry", "units": 1, "strength": 300,
            "start": list(CENTRE), "task": "hunt", "area": list(CENTRE), "area_km": 1.0, **kw}


def lab_scenario(data: dict[str, Any]):
    return validate(data, "lab")
