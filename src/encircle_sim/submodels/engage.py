"""Engage: contacts fought out with stochastic Lanchester aimed fire, and air strikes.

Each contact pairs a cell with a unit (``engagement.fight``). The unit fires with its engaged
strength (at most engaged_max soldiers) at ``firepower`` per soldier per hour, x the phase's
engagement intensity for Iraqi units: aimed fire at a cell it can see, area fire (Deitchman) at
a cell whose cover (``cover.ground_exposure``: 1 - exposure) is at least
``engagement.area_fire_concealment``, with area_fire_fighters as its reference cell size. The
cell's fighters fire at ``insurgents.firepower`` (x low_supply_firepower when short of supply) x
the unit's vulnerability. Contacts from detection and interdiction last
``engagement.contact_hours`` in ``engagement.rounds`` slices; the cell, if it is the weaker side,
breaks contact after the first slice with probability ``engagement.break_contact``, or is pinned
to the end. An ambush is
the ambusher's strike: contact_hours / ``AMBUSH_HOURS_DIVISOR`` in ``AMBUSH_SLICES`` slices, the
ambusher's fire x ambush_multiplier and the defender's x ambush_surprise in the first, after
which the ambushers withdraw.

After the fight: a cell with no fighters left is killed; one pinned in the contact (the weaker
side, it could not break it off) surrenders with probability ``p_surrender``; the others are
exposed (+``CONTACT_EXPOSURE``) and plan again. Civilian harm is Poisson with mean
collateral_per_1000 x (population density / 1000) x shooter-hours of fire ((soldiers + fighters)
x contact_hours). A contact with Iraqi-theatre cells in the current phase's own ground (the
perimeter band in phase 1, the pocket in phases 2 and 3) resets the phase's quiet time (plan).

An air strike kills each of the cell's fighters with probability strike_kill_share and harms
civilians as ``STRIKE_SHOOTER_HOURS_PER_FIGHTER`` x survivors + ``STRIKE_SHOOTER_HOURS`` of fire
would; a surviving cell is exposed (+``STRIKE_EXPOSURE``).
"""

from __future__ import annotations

import numpy as np

from encircle_sim.engagement import SCALAR_DRAWS, civilian_casualties, fight_table
from encircle_sim.engagement_kernels import BLUE_LOST, PINNED, RED_LOST
from encircle_sim.state import CellState, Theatre
from encircle_sim.submodels.engage_kernels import (
    CELL,
    CELL_X,
    CELL_Y,
    CONTACT_FLOAT_ROWS,
    CONTACT_INT_ROWS,
    FIGHTERS_LEFT,
    MEAN,
    STRENGTH_LEFT,
    THEATRE,
    UNIT,
    open_contacts,
    write_back,
)

#: An ambush lasts contact_hours divided by this ...
AMBUSH_HOURS_DIVISOR = 3
#: ... in this many slices (the first with the ambush multipliers).
AMBUSH_SLICES = 2
#: Exposure added to a cell that survives a contact.
CONTACT_EXPOSURE = 0.1
#: Exposure added to a cell that survives an air strike.
STRIKE_EXPOSURE = 1.0
#: Collateral of a strike, as the shooter-hours of fire it equals: per surviving fighter ...
STRIKE_SHOOTER_HOURS_PER_FIGHTER = 2.0
#: ... plus a fixed amount for the weapon itself.
STRIKE_SHOOTER_HOURS = 10.0


def resolve(model, contacts, interdictions, ambushes) -> list[int]:
    """Fight this step's contacts, interdictions and ambushes, in that order; returns the cells
    captured."""
    _, fire_mult = model.plan.intensity()
    captured = fight_contacts(model, contacts, kind="engagement", fire_mult=fire_mult)
    captured += fight_contacts(model, interdictions, kind="interdiction", fire_mult=fire_mult)
    captured += fight_contacts(model, ambushes, kind="ambush", fire_mult=fire_mult)
    return captured


def fight_contacts(model, pairs: list[tuple[int, int]], *, kind: str, fire_mult: float
                   ) -> list[int]:
    """Resolve a batch of contacts (cell index, unit index) of one kind: "engagement" or
    "interdiction" (a contact), "ambush" or "raid" (the cell strikes first); returns the cells
    captured."""
    if not pairs:
        return []
    sc, c, u, nav = model.spec, model.cells, model.units, model.nav
    eng, ins = sc.engagement, sc.insurgents
    strike = kind in ("ambush", "raid")
    # the contacts fought (the unit given and with soldiers left, the cell active), their
    # sides, blue's area fire at a well-hidden cell and the civilian harm's means: compiled
    table = np.empty((CONTACT_INT_ROWS, len(pairs)), np.int64)
    rates = np.empty((CONTACT_FLOAT_ROWS, len(pairs)))
    n = open_contacts(
        np.array(pairs, np.int64).reshape(-1, 2), c.state, int(CellState.ATTACKING), u.strength,
        u.engaged_max, u.firepower, u.syria, u.vulnerability, float(fire_mult), c.fighters,
        c.supply, float(ins.low_supply_days), float(ins.low_supply_firepower),
        float(ins.firepower), c.x, c.y, c.moved, c.theatre, c.town, model.concealment,
        model.hideout_at, model.town_xy, nav.km_x, nav.km_y,
        float(sc.networks.hideout_concealment), float(sc.retaliation.blend_concealment),
        float(sc.retaliation.spread_km), float(eng.area_fire_concealment),
        float(eng.ambush_surprise) if strike else 1.0,
        float(eng.ambush_multiplier) if strike else 1.0, model.density,
        float(eng.contact_hours), float(eng.collateral_per_1000), table, rates)
    if n == 0:
        return []
    if n < len(pairs):
        table, rates = table[:, :n].copy(), rates[:, :n].copy()
    if strike:  # the ambushers withdraw after the strike: no one is pinned
        fight_table(table, rates, dt=eng.contact_hours / AMBUSH_HOURS_DIVISOR / AMBUSH_SLICES,
                    slices=AMBUSH_SLICES, rng=model.streams.engage, break_contact=0.0,
                    area_fighters=eng.area_fire_fighters)
    else:
        fight_table(table, rates, dt=eng.contact_hours / eng.rounds, slices=eng.rounds,
                    rng=model.streams.engage, break_contact=eng.break_contact,
                    area_fighters=eng.area_fire_fighters)
    # the same unit may be in several contacts: its losses add up
    model.metrics.sf_casualties += write_back(
        u.strength, u.casualties, c.fighters, model.metrics.fighters_killed, c.theatre,
        c.replan, table)
    # civilian harm (engagement.civilian_casualties): Poisson, its means computed compiled
    if n <= SCALAR_DRAWS:
        poisson = model.streams.engage.poisson
        civ = [poisson(v) for v in rates[MEAN].tolist()]
    else:
        civ = model.streams.engage.poisson(rates[MEAN]).tolist()
    # the table as Python numbers: a numpy scalar costs more to read and compare
    rows = table.tolist()
    cells, theatres = rows[CELL], rows[THEATRE]
    harmed = sum(civ)
    if harmed:  # (most contacts harm no one)
        model.metrics.civilian_casualties += harmed
        model.metrics.count_collateral(civ, np.array(theatres))
    model.metrics.engagements += n
    _mark_contact(model, cells, theatres)
    if kind == "ambush":
        model.metrics.ambushes += n
    elif kind == "raid":
        model.metrics.raids += n
    captured = []
    pinned = [0] * n if strike else rows[PINNED]
    for i, j, x, y, red, blue, civilians, held, fighters, soldiers in zip(
            cells, rows[UNIT], rows[CELL_X], rows[CELL_Y], rows[RED_LOST], rows[BLUE_LOST], civ,
            pinned, rows[FIGHTERS_LEFT], rows[STRENGTH_LEFT], strict=True):
        model.events.add(kind, x, y, cells=[i], units=[j], insurgent_losses=red,
                         sf_losses=blue, civilian_casualties=civilians)
        if fighters <= 0:
            model.end_cell(i, CellState.NEUTRALISED, "killed", fighters=fighters)
        elif held and model.streams.engage.random() < eng.p_surrender:
            model.end_cell(i, CellState.CAPTURED, "captured", fighters=fighters)
            model.metrics.fighters_captured[c.theatre[i]] += fighters
            captured.append(i)
        else:
            c.exposed[i] += CONTACT_EXPOSURE
        if soldiers <= 0:
            model.events.add("unit_destroyed", u.x[j], u.y[j], units=[j])
    return captured


def mark_contact(model, cells: np.ndarray) -> None:
    """A contact with Iraqi-theatre cells in the current phase's own ground breaks its quiet."""
    _mark_contact(model, cells.tolist(), model.cells.theatre[cells].tolist())


def _mark_contact(model, cells: list[int], theatres: list[int]) -> None:
    """:func:`mark_contact` of cells given as Python numbers, with their theatres."""
    if model.last_contact_day == model.day:  # already broken this step
        return
    c = model.cells
    # a batch has a few cells: one square at a time costs less (with Python numbers: a numpy
    # scalar compared with an IntEnum costs microseconds)
    for i, theatre in zip(cells, theatres, strict=True):
        if theatre == Theatre.IRAQ and model.plan.in_phase_ground(c.x[i], c.y[i]):
            model.last_contact_day = model.day
            return


def air_strike(model, i: int, air) -> None:
    """Air asset ``air`` strikes cell ``i``, which it has just detected."""
    c = model.cells
    kills = int(model.streams.engage.binomial(c.fighters[i], air.spec.strike_kill_share))
    c.fighters[i] -= kills
    model.metrics.fighters_killed[c.theatre[i]] += kills
    c.replan[i] = True
    mark_contact(model, np.array([i]))
    civ = int(civilian_casualties(
        model.density[c.x[i], c.y[i]],
        STRIKE_SHOOTER_HOURS_PER_FIGHTER * c.fighters[i] + STRIKE_SHOOTER_HOURS,
        model.spec.engagement.collateral_per_1000, model.streams.engage))
    model.metrics.civilian_casualties += civ
    model.metrics.count_collateral(np.array([civ]), c.theatre[[i]])
    model.metrics.air_strikes += 1
    model.events.add("air_strike", c.x[i], c.y[i], cells=[i], air=air.name,
                     insurgent_losses=kills, civilian_casualties=civ)
    if c.fighters[i] <= 0:
        model.end_cell(i, CellState.NEUTRALISED, "killed", fighters=int(c.fighters[i]))
    else:
        c.exposed[i] += STRIKE_EXPOSURE
