"""Compiled bookkeeping of ``engage`` (numba): a batch of contacts set up for the fight (its
sides, fire and civilian harm) and its losses written back.

The rule is stated in ``engage.py``; these kernels carry out, contact by contact, what its
numpy version did with whole-array operations (``np.subtract.at`` / ``np.add.at``, fancy
assignment, ``cover.ground_exposure``), in the same order and with the same float64 operations,
so the results are the same to the bit even when a unit or a cell is in several contacts of the
batch. Compiled once and cached on disk (``cache=True``).
"""

from __future__ import annotations

import numba
import numpy as np

from encircle_sim.cover_kernels import cover_of
from encircle_sim.engagement_kernels import (
    ALPHA,
    AREA,
    BETA,
    BLUE,
    BLUE_FIRST,
    BLUE_LOST,
    FLOAT_ROWS,
    INT_ROWS,
    RED,
    RED_FIRST,
    RED_LOST,
)

#: Rows ``engage`` adds to a fight's integer table (``engagement_kernels``): each contact's cell
#: and unit, the cell's square, its theatre ...
CELL, UNIT, CELL_X, CELL_Y, THEATRE = range(INT_ROWS, INT_ROWS + 5)
#: ... and after the fight (``write_back``) the cell's fighters and the unit's soldiers left.
FIGHTERS_LEFT, STRENGTH_LEFT = INT_ROWS + 5, INT_ROWS + 6
CONTACT_INT_ROWS = INT_ROWS + 7
#: ... and to its float table: the mean civilian harm of the contact.
MEAN = FLOAT_ROWS
CONTACT_FLOAT_ROWS = FLOAT_ROWS + 1


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


@numba.njit(cache=True)
def open_contacts(pairs, state, last_active_state, strength, engaged_max, firepower, syria,
                  vulnerability, fire_mult, fighters, supply, low_supply_days,
                  low_supply_firepower, cell_firepower, cx, cy, moved, theatre, town,
                  concealment, hideout_at, town_xy, km_x, km_y, hideout_concealment,
                  blend_concealment, spread_km, area_fire_concealment, blue_first, red_first,
                  density, contact_hours, per_1000, table, rates):
    """A batch of contacts set up for ``engagement.fight_table``: the contacts of ``pairs``
    that are fought (``contact_sides``, into rows CELL, UNIT, BLUE, RED, ALPHA, BETA of the
    fight's tables; the cell's square and theatre into CELL_X, CELL_Y, THEATRE), blue's area
    fire (row AREA: the cell's cover, 1 - its ground exposure ``(1 - terrain) x (1 - cover)``
    of ``cover_of``, is at least area_fire_concealment), the first slice's multipliers (rows
    BLUE_FIRST, RED_FIRST) and the contact's mean civilian harm (row MEAN,
    ``collateral_means`` of the sides). Returns how many are fought."""
    n_pairs = len(pairs)
    cells, units = np.empty(n_pairs, np.int64), np.empty(n_pairs, np.int64)
    blue, red = np.empty(n_pairs, np.int64), np.empty(n_pairs, np.int64)
    alpha, beta = np.empty(n_pairs), np.empty(n_pairs)
    n = contact_sides(pairs, state, last_active_state, strength, engaged_max, firepower, syria,
                      vulnerability, fire_mult, fighters, supply, low_supply_days,
                      low_supply_firepower, cell_firepower, cells, units, blue, red, alpha,
                      beta)
    cells = cells[:n]
    terrain, cover = np.empty(n), np.empty(n)
    cover_of(cells, cx, cy, moved, theatre, state, town, concealment, hideout_at, town_xy, km_x,
             km_y, hideout_concealment, blend_concealment, spread_km, terrain, cover)
    mean = np.empty(n)
    collateral_means(cells, cx, cy, density, blue, red, contact_hours, per_1000, mean)
    for k in range(n):
        table[CELL, k], table[UNIT, k] = cells[k], units[k]
        table[CELL_X, k], table[CELL_Y, k] = cx[cells[k]], cy[cells[k]]
        table[THEATRE, k] = theatre[cells[k]]
        table[BLUE, k], table[RED, k] = blue[k], red[k]
        exposure = (1.0 - terrain[k]) * (1.0 - cover[k])
        table[AREA, k] = 1 if 1.0 - exposure >= area_fire_concealment else 0
        rates[ALPHA, k], rates[BETA, k] = alpha[k], beta[k]
        rates[BLUE_FIRST, k], rates[RED_FIRST, k] = blue_first, red_first
        rates[MEAN, k] = mean[k]
    return n


@numba.njit(cache=True)
def write_back(strength, casualties, fighters, fighters_killed, theatre, replan, table):
    """A fought batch's losses (rows BLUE_LOST, RED_LOST of its table) written back to its
    units and cells (rows UNIT, CELL) as ``take_losses`` does, the cells set to plan again, and
    what each contact's cell and unit have left after the batch into rows FIGHTERS_LEFT and
    STRENGTH_LEFT. Returns the soldiers lost in the batch."""
    cells, units = table[CELL], table[UNIT]
    lost = take_losses(strength, casualties, fighters, fighters_killed, theatre, units, cells,
                       table[BLUE_LOST], table[RED_LOST])
    for k in range(len(cells)):
        replan[cells[k]] = True
        table[FIGHTERS_LEFT, k] = fighters[cells[k]]
        table[STRENGTH_LEFT, k] = strength[units[k]]
    return lost
