"""Networks: supply used and drawn, caches found, captures exploited, courier links cut.

Supply: every active cell uses one day of supply per day. A pocket cell within
``networks.resupply_km`` of an intact, stocked cache draws back up to ``insurgents.supply_days``
from the nearest (caches share a short stock in proportion to demand; ``networks.resupply``).
Sleepers live off their towns (always full). A cell out of supply loses each fighter with
probability 1 - exp(-desertion_per_day x dt) per step; a cell left with none has dissolved.

Caches: searching units find a cache as they find cells (detect), with exposure
1 - cache_concealment; a found cache is destroyed with its stock.

Intelligence: each cell linked to a cell captured this step is revealed with probability
``capture_intel`` (+``INTEL_EXPOSURE`` exposure, a detection hazard next step).

Links: a link is cut when a cell at either end leaves the campaign (counted as cut by the forces
when that cell was killed or captured); a cell is *connected* while its network component holds
an active hub (``networks.CommNetwork``).
"""

from __future__ import annotations

import numpy as np

from encircle_sim.engagement import detection_draw, search_hazards
from encircle_sim.networks import resupply
from encircle_sim.state import CellState, Theatre

#: Exposure added to a cell that a captured partner gave away.
INTEL_EXPOSURE = 2.0


def step(model, captured: list[int]) -> None:
    """Supply, caches, intelligence from this step's captures, and the courier graph."""
    sc, c, u, nav = model.spec, model.cells, model.units, model.nav
    ins, net = sc.insurgents, sc.networks
    act = np.flatnonzero(c.active)
    # supply use, resupply near caches, desertion when out
    c.supply[act] = np.maximum(c.supply[act] - model.dt_days, 0.0)
    pocket = act[c.theatre[act] == Theatre.IRAQ]
    if len(pocket) and len(model.caches):
        d = nav.distance_matrix(c.x[pocket], c.y[pocket], model.caches.x, model.caches.y)
        full = ins.supply_days * c.fighters0[pocket] / np.maximum(c.fighters0[pocket], 1)
        c.supply[pocket] = resupply(model.caches, c.x[pocket], c.y[pocket], c.supply[pocket],
                                    full, d, net.resupply_km)
    sleepers = act[c.theatre[act] == Theatre.SYRIA]
    c.supply[sleepers] = ins.supply_days  # sleepers live off the towns around them
    out = act[c.supply[act] <= 0]
    if len(out):
        lost = model.rng.binomial(c.fighters[out],
                                  -np.expm1(-ins.desertion_per_day * model.dt_days))
        c.fighters[out] -= lost
        for i in out[c.fighters[out] <= 0]:
            model.end_cell(int(i), CellState.NEUTRALISED, "dissolved")
    # caches found by searching units
    caches = model.caches
    intact = np.flatnonzero(caches.intact)
    alive_u = np.flatnonzero(u.alive)
    if len(intact) and len(alive_u):
        d = nav.distance_matrix(caches.x[intact], caches.y[intact], u.x[alive_u], u.y[alive_u])
        search_mult, _ = model.plan.intensity()
        effort = u.search_effort_km2(model.step_hours)[alive_u] * search_mult
        h = search_hazards(d, u.patrol_km[alive_u], effort,
                           np.full(len(intact), 1.0 - net.cache_concealment)).sum(axis=1)
        found = intact[detection_draw(h, model.rng)]
        for k in found:
            caches.intact[k] = False
            caches.destroyed_step[k] = model.steps
            model.events.add("cache_destroyed", caches.x[k], caches.y[k],
                             caches=[int(k)], stock=float(caches.stock[k]))
            model.cache_agents[k].remove()
        model.metrics.caches_destroyed += len(found)
    # intelligence from captures, then cut links and recompute connectivity
    if len(captured):
        a, b = model.network.links_of(np.array(captured, int))
        partners = np.unique(np.concatenate([a, b]))
        partners = partners[~np.isin(partners, captured)]
        partners = partners[c.state[partners] <= CellState.ATTACKING]
        revealed = partners[model.rng.random(len(partners)) < net.capture_intel]
        c.exposed[revealed] += INTEL_EXPOSURE
    active_full = model.active_cells_padded()
    taken = np.zeros(c.capacity, bool)
    st = c.state[: c.n]
    taken[: c.n] = (st == CellState.NEUTRALISED) | (st == CellState.CAPTURED)
    model.metrics.links_cut += model.network.update(active_full, taken, c.hub)
