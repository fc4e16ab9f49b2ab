"""Networks: supply used and drawn, captures exploited, courier links cut.

Supply: every active cell uses one day of supply per day. A pocket cell within
``networks.resupply_km`` of an intact, stocked cache draws back up to ``insurgents.supply_days``
from the nearest (caches share a short stock in proportion to demand).
Sleepers live off their towns (always full). A cell out of supply loses each fighter with
probability 1 - exp(-desertion_per_day x dt) per step; a cell left with none has dissolved.

Intelligence: each cell linked to a cell captured this step is revealed with probability
``capture_intel`` (+``INTEL_EXPOSURE`` exposure, a detection hazard next step).

Links: a link is cut when a cell at either end leaves the campaign (counted as cut by the forces
when that cell was killed or captured); a cell is *connected* while its network component holds
an active hub (``networks.CommNetwork``).
"""

from __future__ import annotations

import functools

import numpy as np

from encircle_sim.state import CellState
from encircle_sim.submodels.networks_kernels import capture_partners, desert, use_supply

#: Exposure added to a cell that a captured partner gave away.
INTEL_EXPOSURE = 1.0
#: By state code: a cell still in the campaign (its links hold), one taken by the forces (its
#: links count as cut by them).
ACTIVE_STATES = np.array([s <= CellState.ATTACKING for s in CellState])
TAKEN_STATES = np.array([s in (CellState.NEUTRALISED, CellState.CAPTURED) for s in CellState])


@functools.lru_cache(maxsize=64)
def desertion_probability(desertion_per_day: float, dt_days: float) -> np.float64:
    """A fighter's chance to desert in a step out of supply, 1 - exp(-desertion_per_day x dt)
    (numpy's expm1, taken once per pair of values: it is the same every step of a run)."""
    return -np.expm1(-desertion_per_day * dt_days)


def step(model, captured: list[int]) -> None:
    """Supply, caches, intelligence from this step's captures, and the courier graph."""
    sc, c, nav = model.spec, model.cells, model.nav
    ins, net = sc.insurgents, sc.networks
    # supply use, resupply near caches (compiled: ``use_supply``)
    caches = model.caches
    out = use_supply(c.n, c.state, c.theatre, c.supply, c.fighters0, c.x, c.y, caches.x,
                     caches.y, caches.intact, caches.stock, model.dt_days, ins.supply_days,
                     net.resupply_km, nav.km_x_between, nav.km_y)
    # desertion when out
    if len(out):
        lost = model.streams.networks.binomial(
            c.fighters[out], desertion_probability(ins.desertion_per_day, model.dt_days))
        for i in desert(c.fighters, out, lost):
            model.end_cell(int(i), CellState.NEUTRALISED, "dissolved")
    # intelligence from captures, then cut links and recompute connectivity
    if len(captured):
        links = model.network
        partners = capture_partners(np.array(captured, np.intp), links.a, links.b, links.alive,
                                    c.state)
        revealed = partners[model.streams.networks.random(len(partners)) < net.capture_intel]
        c.exposed[revealed] += INTEL_EXPOSURE
    model.metrics.links_cut += model.network.update_states(c.state, c.n, c.hub, ACTIVE_STATES,
                                                           TAKEN_STATES)
