"""Compiled steps of the move submodel (numba), cell by cell.

The rule is stated in ``move.py``; these loops carry it out one cell at a time instead of over
whole arrays (cells do not interact here), so the budgets, squares and states are the same.
"""

from __future__ import annotations

import numba
import numpy as np

from encircle_sim.fields_kernels import splat_by_radius
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


@numba.njit(cache=True)
def search_coverage_into(total, searching, syria, effort, search_mult, patrol_km, x, y, radii,
                         starts, dx, dy, kernel_weight, group, seen):
    """Search coverage of the sweeping units (``searching`` and not ``syria``), in index order:
    ``total += splat_by_radius`` of the weights ``effort x search_mult / (pi patrol_km^2)``
    (W v t / A) on each unit's patrol disc, the discs by radius (``fields_kernels``)."""
    n = 0
    for i in range(len(searching)):
        if searching[i] and not syria[i]:
            n += 1
    radius, weight = np.empty(n), np.empty(n)
    px, py = np.empty(n, np.intp), np.empty(n, np.intp)
    k = 0
    for i in range(len(searching)):
        if searching[i] and not syria[i]:
            p = patrol_km[i]
            radius[k], px[k], py[k] = p, x[i], y[i]
            weight[k] = effort[i] * search_mult / (np.pi * (p * p))
            k += 1
    splat_by_radius(total, radius, px, py, weight, radii, starts, dx, dy, kernel_weight, group,
                    seen)
