"""Compiled bookkeeping of ``engage`` (numba): a batch of fought contacts' losses written back.

The rule is stated in ``engage.py``; this kernel carries out, contact by contact, what its numpy
version did with ``np.subtract.at`` / ``np.add.at`` and fancy assignment, in the same order and
with the same result even when a unit or a cell is in several contacts of the batch. Compiled
once and cached on disk (``cache=True``).
"""

from __future__ import annotations

import numba
import numpy as np


@numba.njit(cache=True)
def take_losses(strength, casualties, fighters, fighters_killed, theatre, units, cells,
                blue_losses, red_losses):
    """Each contact k's unit ``units[k]`` loses ``blue_losses[k]`` soldiers (every unit then
    floored at 0 strength) and counts them as casualties; its cell ``cells[k]`` keeps
    ``max(fighters - red_losses[k], 0)`` of the fighters it had before the batch (a cell in
    several contacts: the last one's count), and ``red_losses[k]`` are counted as killed in the
    cell's theatre. Returns the soldiers lost in the batch."""
    lost = 0
    for k in range(len(units)):
        strength[units[k]] -= blue_losses[k]
        casualties[units[k]] += blue_losses[k]
        lost += blue_losses[k]
    for j in range(len(strength)):
        if strength[j] < 0:
            strength[j] = 0
    left = np.empty(len(cells), fighters.dtype)
    for k in range(len(cells)):
        left[k] = max(fighters[cells[k]] - red_losses[k], 0)
        fighters_killed[theatre[cells[k]]] += red_losses[k]
    for k in range(len(cells)):
        fighters[cells[k]] = left[k]
    return lost


@numba.njit(cache=True)
def contact_sides(pairs, state, last_active_state, strength, engaged_max, firepower,
                  syria, vulnerability, fire_mult, fighters, supply, low_supply_days,
                  low_supply_firepower, cell_firepower, cells, units, blue, red, alpha, beta):
    """The contacts (cell, unit) of ``pairs`` that are fought (the unit is given, ``unit >=
    0``, the cell active, ``state <= last_active_state``, and the unit has soldiers left), in
    order, into ``cells`` and ``units``, with their sides: blue's engaged soldiers ``min(strength,
    int(engaged_max))`` and kill rate ``firepower x (1 for a Syrian unit, else fire_mult)``,
    red's fighters and kill rate ``cell_firepower x (low_supply_firepower if supply <
    low_supply_days, else 1) x the unit's vulnerability``. Returns how many are fought."""
    n = 0
    for k in range(len(pairs)):
        i, j = pairs[k, 0], pairs[k, 1]
        if j < 0 or state[i] > last_active_state or strength[j] <= 0:
            continue
        cells[n], units[n] = i, j
        blue[n] = min(strength[j], np.int64(engaged_max[j]))
        red[n] = fighters[i]
        alpha[n] = firepower[j] * (1.0 if syria[j] else fire_mult)
        short = low_supply_firepower if supply[i] < low_supply_days else 1.0
        beta[n] = cell_firepower * short * vulnerability[j]
        n += 1
    return n


@numba.njit(cache=True)
def collateral_means(cells, x, y, density, blue, red, contact_hours, per_1000, mean):
    """The mean civilian harm of each contact (``engagement.civilian_casualties``): ``per_1000
    x density / 1000 x shooter-hours``, floored at 0, with the density of the cell's square and
    ``(blue + red) x contact_hours`` shooter-hours."""
    for k in range(len(cells)):
        i = cells[k]
        shooter_hours = (blue[k] + red[k]) * contact_hours
        v = per_1000 * density[x[i], y[i]] / 1000.0 * shooter_hours
        mean[k] = 0.0 if v < 0.0 else v
