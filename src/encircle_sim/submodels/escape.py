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
from encircle_sim.submodels.escape_kernels import (
    BLOCKED,
    BORDER,
    CORDON,
    INTERDICTED,
    crossing_odds,
    turn_back,
)

#: Share of a square's concealment that still helps a cell slip past a unit at a crossing.
ESCAPE_CONCEALMENT_SHARE = 0.5
#: Exposure added to a cell that was turned back.
TURNED_BACK_EXPOSURE = 0.5


def attempt(model, leaving: np.ndarray) -> list[tuple[int, int]]:
    """Resolve the escape attempts of cells ``leaving``; returns (cell, unit) interdictions."""
    if len(leaving) == 0:
        return []
    sc, c, u, nav = model.spec, model.cells, model.units, model.nav
    n = len(leaving)
    # the odds of each crossing (compiled: escape_kernels)
    into_syria, p_pass, nearest = np.empty(n, bool), np.empty(n), np.empty(n, np.int64)
    crossing_odds(leaving, c.x, c.y, c.prev_x, c.prev_y, model.country, COUNTRY_SYRIA, u.x, u.y,
                  u.strength, nav.km_x_between, nav.km_y, float(sc.border.interdiction_km),
                  float(sc.engagement.interdiction_p), ESCAPE_CONCEALMENT_SHARE,
                  model.concealment, into_syria, p_pass, nearest)
    rng = model.streams.escape
    stop_draws, seal_draws = rng.random(n), rng.random(n)
    # turned back: return to where they came from, and they are exposed
    outcome = np.empty(n, np.int8)
    turn_back(leaving, stop_draws, seal_draws, p_pass, into_syria, float(sc.border.sealing),
              c.x, c.y, c.prev_x, c.prev_y, c.exposed, c.replan, TURNED_BACK_EXPOSURE, outcome)
    cells, outcome = leaving.tolist(), outcome.tolist()
    for i, o in zip(cells, outcome, strict=True):
        if o == BLOCKED:
            model.events.add("border_turned_back", c.x[i], c.y[i], cells=[i])
    for i, o in zip(cells, outcome, strict=True):
        if o == BORDER:
            model.end_cell(i, CellState.ESCAPED, "escaped_border", route=EscapeRoute.BORDER,
                           fighters=int(c.fighters[i]))
            retaliate.join_syria(model, i)
        elif o == CORDON:
            model.end_cell(i, CellState.ESCAPED, "escaped_cordon", route=EscapeRoute.CORDON,
                           fighters=int(c.fighters[i]))
    return [(i, j) for i, j, o in zip(cells, nearest.tolist(), outcome, strict=True)
            if o == INTERDICTED and j >= 0]
