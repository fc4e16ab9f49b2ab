"""Move: cells toward the squares they chose, units toward the goals their tasks set.

Cells: a relocating cell heads for the square it picked, a slipping cell for its exit, within the
distance it covers this step (decide); the others stay. A cell's state becomes moving, slipping
or attacking (an ambush), or hidden. Cells that end the move outside the operation area are
handed to the escape submodel.

Units: each task sets a goal (``forces.plan_goals``); units move toward it at search speed while
they sweep (``UnitArrays.searching``) and at their off-road speed otherwise, roads capping the
cost of a move at speed_offroad / speed_road. Sweeping Iraqi units lay search coverage
``W v t / (pi patrol_km^2)`` x the phase's search intensity on every square of their patrol disc;
ground whose coverage reaches ``operation.clear_coverage`` leaves the pocket (``operation.py``).
Axis fronts then advance where their units have kept up.

Paths: ``navigation.Navigator.advance_rows`` (rivers crossed only at crossings, greedy descent
with route fields where it would stick). The cells' budgets, squares and states are settled by
compiled loops (``move_kernels.py``).
"""

from __future__ import annotations

import numpy as np

from encircle_sim.fields import splat_by_radius_tables
from encircle_sim.forces import axis_ready, plan_goals, update_on_station
from encircle_sim.submodels.move_kernels import cell_budgets, search_coverage_into, settle_cells


def advance(model, agents, idx: np.ndarray, gx: np.ndarray, gy: np.ndarray,
            budget_km: np.ndarray, road_factor: np.ndarray | float = 1.0):
    """Move agents ``idx`` of ``model.units`` or ``model.cells`` toward their goals, keeping
    each agent's route-field mode while its goal stays the same (see ``navigation.py``)."""
    return model.nav.advance_rows(idx, agents.x, agents.y, agents.routed, agents.route_x,
                                  agents.route_y, gx, gy, budget_km, road_factor)


def move_cells(model, choices) -> np.ndarray:
    """Cells move as they chose; returns the indices of those now outside the operation area."""
    c = model.cells
    active, action = choices.idx, choices.action
    if len(active) == 0:
        return active
    # budget only for relocating and slipping cells; then squares, moved and state, compiled
    nx_, ny_, _ = advance(model, c, active, choices.goal_x, choices.goal_y,
                          cell_budgets(action, choices.budget_km))
    return settle_cells(active, action, nx_, ny_, c.x, c.y, c.moved, c.state, model.plan.area)


def move_units(model) -> None:
    """Units head for their task goals; those sweeping clear ground; fronts advance."""
    u = model.units
    plan_goals(model)
    alive = np.flatnonzero(u.alive)
    if len(alive) == 0:
        return
    searching = u.searching(model.plan.phase)
    budget = u.move_budget_km(model.step_hours, searching)[alive]
    road = u.speed_offroad_kmh[alive] / u.speed_road_kmh[alive]
    nx_, ny_, _ = advance(model, u, alive, u.goal_x[alive], u.goal_y[alive], budget, road)
    u.x[alive], u.y[alive] = nx_, ny_
    update_on_station(model)
    if model.plan.active:
        model.plan.add_coverage(search_coverage(model, searching))
    model.plan.advance_fronts(axis_ready(model))


def search_coverage(model, searching: np.ndarray) -> np.ndarray:
    """Coverage (W v t / A) that the units sweeping (``searching``, not in Syria) lay on every
    square of their patrol discs."""
    u = model.units
    search_mult, _ = model.plan.intensity()
    total = np.zeros(model.nav.shape)
    if not model.patrol_kernels:   # (no units)
        return total
    # per_area = W v t x search_mult / (pi patrol_km^2); for each patrol radius in turn:
    # total += splat(the units of that radius, its disc, per_area); compiled
    search_coverage_into(total, searching, u.syria, u.search_effort_km2(model.step_hours),
                         float(search_mult), u.patrol_km, u.x, u.y,
                         *splat_by_radius_tables(model.patrol_kernels, total.shape))
    return total
