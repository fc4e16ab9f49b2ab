"""Compiled steps of the move submodel (numba), cell by cell.

The rule is stated in ``move.py``; these loops carry it out one cell at a time instead of over
whole arrays (cells do not interact here), so the budgets, squares and states are the same.
"""

from __future__ import annotations

import numba
import numpy as np

from encircle_sim.state import Action, CellState

RELOCATE, SLIP, AMBUSH = int(Action.RELOCATE), int(Action.SLIP), int(Action.AMBUSH)
HIDDEN, MOVING = int(CellState.HIDDEN), int(CellState.MOVING)
SLIPPING, ATTACKING = int(CellState.SLIPPING), int(CellState.ATTACKING)


@numba.njit(cache=True)
def cell_budgets(action, budget_km):
    """What each cell may travel this step: its budget if it relocates or slips, else 0."""
    out = np.empty(len(action))
    for k in range(len(action)):
        a = action[k]
        out[k] = budget_km[k] if a == RELOCATE or a == SLIP else 0.0
    return out


@numba.njit(cache=True)
def settle_cells(active, action, new_x, new_y, x, y, moved, state, area):
    """Cells ``active`` take their new squares (x, y), ``moved`` (the square changed) and
    their state from their action (relocate: moving, slip: slipping, ambush: attacking, else
    hidden), in place; returns those now outside ``area`` (the operation area), in order."""
    leaving = np.empty(len(active), np.intp)
    n = 0
    for k in range(len(active)):
        c = active[k]
        moved[c] = new_x[k] != x[c] or new_y[k] != y[c]
        x[c], y[c] = new_x[k], new_y[k]
        a = action[k]
        if a == RELOCATE:
            state[c] = MOVING
        elif a == SLIP:
            state[c] = SLIPPING
        elif a == AMBUSH:
            state[c] = ATTACKING
        else:
            state[c] = HIDDEN
        if not area[new_x[k], new_y[k]]:
            leaving[n] = c
            n += 1
    return leaving[:n]
