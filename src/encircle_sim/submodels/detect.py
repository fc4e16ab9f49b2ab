"""Detect: random search by units and air assets, and intelligence, find cells.

Koopman's random search (``engagement.py``): each living unit spreads its search effort
``W v t`` (W = 2 sensor_km p_detect; x the phase's search intensity for Iraqi units) over the
disc of radius ``patrol_km`` around it, so a cell inside the disc meets the hazard
``W v t / (pi patrol_km^2) x exposure`` per step, exposure = 1 - concealment of its square
(a cell that moved this step keeps only ``MOVING_CONCEALMENT_SHARE`` of it). An air asset adds
``sweep_width v t / (pi radius^2) x (1 - concealment x concealment_factor)`` over its disc.
Intelligence adds the cell's exposure (``cells.exposed``: raised by captures, attacks and being
turned back; it halves every step, ``EXPOSURE_KEPT_PER_STEP``). Hazards add; a cell is detected
with probability 1 - exp(-total). Cells attacking this step are not searched for (they are in
contact already).

Who found it: a searcher drawn in proportion to its hazard. If an air asset, it strikes at once
with probability p_strike (engage.air_strike); otherwise the unit with the largest hazard on the
cell engages it, or, if no unit searched it, the nearest unit of its theatre within
``NEAREST_UNIT_PATROLS`` patrol radii.
"""

from __future__ import annotations

import numpy as np

from encircle_sim.engagement import detection_draw, search_hazards
from encircle_sim.state import CellState, Theatre
from encircle_sim.submodels import engage

#: Share of its square's concealment a cell keeps in a step in which it moved.
MOVING_CONCEALMENT_SHARE = 0.5
#: Share of a cell's exposure (intelligence on it) still valid one step later.
EXPOSURE_KEPT_PER_STEP = 0.5
#: A cell found by air or intelligence alone is engaged by the nearest unit of its theatre within
#: this many of that unit's patrol radii.
NEAREST_UNIT_PATROLS = 2.0


def fade_exposure(model) -> None:
    """Intelligence on every cell goes stale: its extra hazard shrinks (start of each step)."""
    c = model.cells
    c.exposed[: c.n] *= EXPOSURE_KEPT_PER_STEP


def search(model) -> list[tuple[int, int]]:
    """Draw this step's detections; returns the ground contacts (cell, unit) to fight."""
    c, u, nav = model.cells, model.units, model.nav
    search_mult, _ = model.plan.intensity()
    targets = np.flatnonzero(c.active & (c.state[: c.n] != CellState.ATTACKING))
    alive_u = np.flatnonzero(u.alive)
    contacts: list[tuple[int, int]] = []
    model.detected_cells[:] = False
    if len(targets) == 0:
        return contacts
    x, y = c.x[targets], c.y[targets]
    conceal = model.concealment[x, y] * np.where(c.moved[targets], MOVING_CONCEALMENT_SHARE, 1.0)
    exposure = 1.0 - conceal
    h_ground = np.zeros((len(targets), len(alive_u)))
    if len(alive_u):
        d = nav.distance_matrix(x, y, u.x[alive_u], u.y[alive_u])
        effort = u.search_effort_km2(model.step_hours)[alive_u]
        effort = effort * np.where(u.syria[alive_u], 1.0, search_mult)
        h_ground = search_hazards(d, u.patrol_km[alive_u], effort, exposure)
    h_air = np.zeros((len(targets), len(model.air_agents)))
    for a, air in enumerate(model.air_agents):
        da = nav.distance_km(x, y, air.x, air.y)
        inside = da <= air.spec.radius_km
        h_air[:, a] = np.where(inside, air.effort_km2 / air.area_km2 *
                               (1.0 - model.concealment[x, y] * air.spec.concealment_factor),
                               0.0)
    h_intel = c.exposed[targets]
    total = h_ground.sum(axis=1) + h_air.sum(axis=1) + h_intel
    detected = detection_draw(total, model.rng)
    model.detected_cells[targets[detected]] = True
    model.metrics.detections += int(detected.sum())
    for t in np.flatnonzero(detected):
        i = int(targets[t])
        g, a_ = h_ground[t].sum(), h_air[t].sum()
        pick = model.rng.random() * total[t]
        if pick >= g and pick < g + a_ and len(model.air_agents):
            air = model.air_agents[int(np.argmax(h_air[t]))]
            if model.rng.random() < air.spec.p_strike:
                engage.air_strike(model, i, air)
                continue
        if len(alive_u) and h_ground[t].max() > 0:
            j = int(alive_u[int(np.argmax(h_ground[t]))])
        else:
            j = nearest_unit_within(model, i, NEAREST_UNIT_PATROLS)
        if j >= 0:
            contacts.append((i, j))
    return contacts


def nearest_unit_within(model, i: int, patrol_multiple: float) -> int:
    """The nearest living unit of cell ``i``'s theatre within that many of its patrol radii
    (-1 if none)."""
    u, c = model.units, model.cells
    alive = np.flatnonzero(u.alive & (u.syria == (c.theatre[i] == Theatre.SYRIA)))
    if len(alive) == 0:
        return -1
    d = model.nav.distance_km(c.x[i], c.y[i], u.x[alive], u.y[alive])
    j = int(np.argmin(d))
    return int(alive[j]) if d[j] <= patrol_multiple * u.patrol_km[alive[j]] else -1
