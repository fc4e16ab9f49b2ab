"""Escape: cells that stepped out of the operation area pass the cordon or the border, or not.

Each living unit within ``border.interdiction_km`` of the square a cell stepped into stops it
with probability ``engagement.interdiction_p x (1 - ESCAPE_CONCEALMENT_SHARE x concealment)``
(independently: the cell passes only if none stops it); the nearest such unit then fights it
(engage, kind "interdiction"). A cell crossing into Syria that no unit stopped is still turned
back by the berm, trench and towers with probability ``border.sealing``. Cells stopped either
way go back to where they came from and are exposed (+``TURNED_BACK_EXPOSURE``). The others
have escaped, through the cordon or over the border; in coupled theatres those that crossed the
border join the sleepers (retaliate).
"""

from __future__ import annotations

import numpy as np

from encircle_sim.geography import COUNTRY_SYRIA
from encircle_sim.state import CellState, EscapeRoute
from encircle_sim.submodels import retaliate

#: Share of a square's concealment that still helps a cell slip past a unit at a crossing.
ESCAPE_CONCEALMENT_SHARE = 0.5
#: Exposure added to a cell that was turned back.
TURNED_BACK_EXPOSURE = 0.5


def attempt(model, leaving: np.ndarray) -> list[tuple[int, int]]:
    """Resolve the escape attempts of cells ``leaving``; returns (cell, unit) interdictions."""
    if len(leaving) == 0:
        return []
    sc, c, u, nav = model.spec, model.cells, model.units, model.nav
    x, y = c.x[leaving], c.y[leaving]
    into_syria = (model.country[x, y] == COUNTRY_SYRIA) & (
        model.country[c.prev_x[leaving], c.prev_y[leaving]] != COUNTRY_SYRIA)
    alive_u = np.flatnonzero(u.alive)
    p_pass = np.ones(len(leaving))
    nearest_unit = np.full(len(leaving), -1)
    if len(alive_u):
        d = nav.distance_matrix(x, y, u.x[alive_u], u.y[alive_u])
        near = d <= sc.border.interdiction_km
        exposure = 1.0 - ESCAPE_CONCEALMENT_SHARE * model.concealment[x, y]
        p_stop = sc.engagement.interdiction_p * exposure
        p_pass = np.prod(np.where(near, 1.0 - p_stop[:, None], 1.0), axis=1)
        jj = np.argmin(np.where(near, d, np.inf), axis=1)
        nearest_unit = np.where(near.any(axis=1), alive_u[jj], -1)
    rng = model.streams.escape
    interdicted = rng.random(len(leaving)) > p_pass
    blocked = ~interdicted & into_syria & (rng.random(len(leaving)) < sc.border.sealing)
    back = interdicted | blocked
    # turned back: return to where they came from, and they are exposed
    ib = leaving[back]
    c.x[ib], c.y[ib] = c.prev_x[ib], c.prev_y[ib]
    c.exposed[ib] += TURNED_BACK_EXPOSURE
    c.replan[ib] = True
    for i in leaving[blocked]:
        model.events.add("border_turned_back", c.x[i], c.y[i], cells=[i])
    gone = leaving[~back]
    route = np.where(into_syria[~back], EscapeRoute.BORDER, EscapeRoute.CORDON)
    for i, r in zip(gone, route, strict=True):
        kind = "escaped_border" if r == EscapeRoute.BORDER else "escaped_cordon"
        model.end_cell(int(i), CellState.ESCAPED, kind, route=EscapeRoute(int(r)),
                       fighters=int(c.fighters[i]))
        if r == EscapeRoute.BORDER:
            retaliate.join_syria(model, int(i))
    return [(int(i), int(j)) for i, j in zip(leaving[interdicted], nearest_unit[interdicted],
                                             strict=True) if j >= 0]
