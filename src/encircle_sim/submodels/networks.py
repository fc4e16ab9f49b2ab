"""Networks: supply used and drawn, captures exploited, courier links cut.

Supply: every active cell uses one day of supply per day. A pocket cell within
``networks.resupply_km`` of an intact, stocked cache draws back up to ``insurgents.supply_days``
from the nearest (caches share a short stock in proportion to demand; ``networks.resupply``).
Sleepers live off their towns (always full). A cell out of supply loses each fighter with
probability 1 - exp(-desertion_per_day x dt) per step; a cell left with none has dissolved.

Intelligence: each cell linked to a cell captured this step is revealed with probability
``capture_intel`` (+``INTEL_EXPOSURE`` exposure, a detection hazard next step).

Links: a link is cut when a cell at either end leaves the campaign (counted as cut by the forces
when that cell was killed or captured); a cell is *connected* while its network component holds
an active hub (``networks.CommNetwork``).
"""

from __future__ import annotations

import numpy as np

from encircle_sim.networks import resupply
from encircle_sim.state import CellState, Theatre

#: Exposure added to a cell that a captured partner gave away.
INTEL_EXPOSURE = 1.0


def step(model, captured: list[int]) -> None:
    """Supply, caches, intelligence from this step's captures, and the courier graph."""
    sc, c, nav = model.spec, model.cells, model.nav
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
        lost = model.streams.networks.binomial(c.fighters[out],
                                  -np.expm1(-ins.desertion_per_day * model.dt_days))
        c.fighters[out] -= lost
        for i in out[c.fighters[out] <= 0]:
            model.end_cell(int(i), CellState.NEUTRALISED, "dissolved")
    # intelligence from captures, then cut links and recompute connectivity
    if len(captured):
        a, b = model.network.links_of(np.array(captured, int))
        partners = np.unique(np.concatenate([a, b]))
        partners = partners[~np.isin(partners, captured)]
        partners = partners[c.state[partners] <= CellState.ATTACKING]
        revealed = partners[model.streams.networks.random(len(partners)) < net.capture_intel]
        c.exposed[revealed] += INTEL_EXPOSURE
    active_full = model.active_cells_padded()
    taken = np.zeros(c.capacity, bool)
    st = c.state[: c.n]
    taken[: c.n] = (st == CellState.NEUTRALISED) | (st == CellState.CAPTURED)
    model.metrics.links_cut += model.network.update(active_full, taken, c.hub)
