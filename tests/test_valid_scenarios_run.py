"""Everything ``validate`` accepts runs.

Hypothesis draws scenarios across the schema's ranges (each numeric parameter of the quick
scenario anywhere between its bounds, choices among their allowed values, switches on and off,
places from the gazetteer), keeps those ``validate`` accepts, builds the model and runs a few
steps: no exception may escape. Sizes that only cost memory and time (cells, units, caches,
grid resolution) are drawn from smaller ranges; their cost is the estimate's business
(tests/test_costs.py).
"""

from __future__ import annotations

import math
import typing

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from encircle_sim.model import CampaignModel
from encircle_sim.scenario_files import (
    ScenarioError,
    _schema_node,
    format_path,
    load_scenario,
    scenario_to_dict,
)

STEPS = 3
BASE = scenario_to_dict(load_scenario("quick"))

# Cost-only sizes: drawn up to these values instead of their schema maximum.
SIZE_CAPS = {
    "insurgents.cells": 300, "retaliation.sleeper_cells": 200, "networks.caches": 150,
    "units": 25, "map.cell_km": None,  # the grid: quick's window at 5-20 km
    "engaged_max": 5000, "strength": 5000,
}
# Map edges move the window, which must keep quick's places inside: not drawn.
FIXED = {"map.south", "map.north", "map.west", "map.east", "seed"}


def _leaves(obj, prefix=()):
    if isinstance(obj, dict):
        for key, value in obj.items():
            yield from _leaves(value, (*prefix, key))
    elif isinstance(obj, list) and obj and all(isinstance(v, dict) for v in obj):
        for i, value in enumerate(obj):
            yield from _leaves(value, (*prefix, i))
    else:
        yield prefix


def _strategy(loc) -> st.SearchStrategy | None:
    """Values the schema allows at ``loc``: numbers between its bounds, its choices, booleans."""
    path = format_path(loc)
    if path in FIXED or path.startswith("time.start_date"):
        return None
    if path == "map.cell_km":
        return st.floats(5.0, 20.0)
    _, field = _schema_node(loc)
    if field is None:
        return None
    annotation = field.annotation
    kinds = [a for a in typing.get_args(annotation) if a is not type(None)] or [annotation]
    kind = kinds[0]
    if typing.get_origin(kind) is typing.Literal:
        return st.sampled_from(typing.get_args(kind))
    if kind is bool:
        return st.booleans()
    bounds = {k: getattr(m, k) for m in field.metadata for k in ("ge", "gt", "le", "lt")
              if getattr(m, k, None) is not None}
    cap = SIZE_CAPS.get(path, SIZE_CAPS.get(str(loc[-1])))
    if kind is int:
        lo = bounds.get("ge", bounds.get("gt", -1) + 1)
        hi = bounds.get("le", bounds.get("lt", 2**31) - 1)
        return st.integers(lo, min(hi, cap) if cap else hi)
    if kind is float:
        lo = bounds.get("ge", bounds.get("gt"))
        hi = bounds.get("le", bounds.get("lt"))
        if lo is None or hi is None:
            return None
        return st.floats(lo, hi, exclude_min="gt" in bounds, exclude_max="lt" in bounds,
                         allow_nan=False)
    return None


DRAWABLE = {format_path(loc): s for loc in _leaves(BASE) if (s := _strategy(loc)) is not None}
PLACES = ["Haditha", "Rawa", "Baiji", "Husaybah", "Tikrit", "Hatra", "Anah", [34.7, 42.0],
          [34.0, 41.5], [35.5, 43.5]]


@st.composite
def scenarios(draw):
    keys = draw(st.lists(st.sampled_from(sorted(DRAWABLE)), min_size=1, max_size=12,
                         unique=True))
    overrides = {key: draw(DRAWABLE[key]) for key in keys}
    for i in range(len(BASE["forces"])):
        if draw(st.booleans()):
            overrides[f"forces[{i}].start"] = draw(st.sampled_from(PLACES))
    point = st.tuples(st.floats(33.8, 35.8), st.floats(40.8, 43.8)).map(list)
    if draw(st.booleans()):  # any polygon in the window, bow-ties and slivers included
        overrides["operation.area"] = draw(st.lists(point, min_size=3, max_size=7))
    for i in range(len(BASE["operation"]["axes"])):
        if draw(st.booleans()):
            overrides[f"operation.axes[{i}].start"] = draw(point)
        if draw(st.booleans()):
            overrides[f"operation.axes[{i}].objective"] = draw(point)
    if draw(st.booleans()):
        overrides["theatres.syria"] = True
        overrides["theatres.coupled"] = draw(st.booleans())
    overrides["time.max_days"] = max(overrides.get("time.max_days", 1.0), 1.0)
    return overrides


@settings(max_examples=150, derandomize=True, database=None, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(overrides=scenarios())
def test_every_scenario_validate_accepts_builds_and_steps(overrides):
    try:
        sc = load_scenario("quick", overrides)
    except ScenarioError:
        assume(False)  # validate said no, and said why: that is the other tests' business
    model = CampaignModel(sc)
    for _ in range(STEPS):
        if not model.running:
            break
        model.step()
    assert model.steps >= 1 or not model.running
    summary_values = model.metrics.values()
    assert all(not (isinstance(v, float) and math.isnan(v)) for v in summary_values.values()
               if isinstance(v, float))
