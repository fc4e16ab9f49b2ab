"""Compiled per-unit rules of ``state.py`` (numba): which units search as they move, and how far
they can move, one unit at a time instead of over whole arrays.

The rules are stated in ``state.UnitArrays`` (``searching``, ``move_budget_km``); these loops
compute them with the numpy version's float64 operations in the same order (no fast-math), so
results are identical to the bit (tests/test_state_kernels.py checks them against the numpy
expressions). Compiled once and cached on disk (``cache=True``).
"""

from __future__ import annotations

import numba
import numpy as np


@numba.njit(cache=True)
def sweeping(sweeps, phase, task, on_station, strength):
    """Per unit j: ``sweeps[phase, task[j], on_station[j]]`` (the rule's table: does a unit of
    this task, on station or not, sweep in this phase) and alive (strength > 0)."""
    n_tasks = sweeps.shape[1]
    out = np.empty(len(task), np.bool_)
    for j in range(len(task)):
        t = task[j]
        if t < 0 or t >= n_tasks:
            raise IndexError("a unit's task is not in the table of tasks")
        out[j] = sweeps[phase, t, 1 if on_station[j] else 0] and strength[j] > 0
    return out


@numba.njit(cache=True)
def budget_km(searching, search_speed_kmh, speed_offroad_kmh, move_hours_per_day, step_hours):
    """Per unit j: speed x move_hours_per_day[j] x step_hours / 24, speed = search_speed_kmh[j]
    if it is searching, else speed_offroad_kmh[j]."""
    out = np.empty(len(searching))
    for j in range(len(searching)):
        speed = search_speed_kmh[j] if searching[j] else speed_offroad_kmh[j]
        out[j] = speed * move_hours_per_day[j] * step_hours / 24.0
    return out
