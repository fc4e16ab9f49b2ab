"""Retaliate: sleeper cells in the Deir Ezzor theatre move and make close-range attacks.

Each sleeper cell belongs to a target town. It hides within ``retaliation.spread_km`` of the
town; when the threat on its square exceeds ``insurgents.flee_threat`` it moves to the best
(most concealed, least threatened) of ``FLEE_CANDIDATES`` random squares around the town; a
sleeper further than spread_km (a newcomer) walks to its town. A sleeper near its town
attacks at the rate per day

    base_rate_per_day x (1 + pressure_gain x pressure) x (1 + call_boost if a call reached it)
        + excitation / (sleepers near their towns)

where pressure is the pressure on the group (plan): in a coupled campaign the larger of the
Iraqi group's and the Syrian cells' own; otherwise the Syrian cells' own. A *call* is made by a
pocket cell connected to the courier network (decide) and reaches the sleepers in its network
component for ``call_days``; a shock to the sleepers themselves (their own pressure risen by
``CALL_PRESSURE_RISE`` since the last such shock, as when the SDF hunt begins) stirs them all
for ``call_days``. Attacks are self-exciting (a Hawkes process shared by the
theatre): each attack adds ``retaliation.excitation / excitation_days`` attacks per day to the
excitation, which decays as exp(-t / excitation_days), so each attack triggers ``excitation``
further attacks on average, spread over the towns: attacks come in bursts.

An attack is a small raid from the cell's hide: with probability ``sdf_target_share`` it ambushes
an SDF post (the nearest living SDF unit within a step's march plus ``attack_range_km``; engage),
otherwise it strikes the population (Poisson casualties with mean ``civilian_harm_mean``). The
event is logged at the target; the cell returns to its hide and is exposed
(+``ATTACK_EXPOSURE``), which helps the SDF hunt it. In coupled theatres a cell that escaped over
the border becomes a new sleeper of the nearest target town, linked to its ``JOINER_LINKS``
nearest sleepers.

New sleepers form (only while retaliation is enabled): Poisson with mean
``recruitment_per_day x dt + recruits_per_casualty x`` the civilian casualties of fighting in the
Syrian theatre since the last step (Kress and Szechtman 2009), each near a target town drawn at
random, linked to its ``JOINER_LINKS`` nearest sleepers.
"""

from __future__ import annotations

import functools

import numpy as np

from encircle_sim.agents import new_cell_agent
from encircle_sim.navigation import disc_draws
from encircle_sim.state import CellState, Theatre
from encircle_sim.submodels import engage, move
from encircle_sim.submodels.retaliate_kernels import (
    GOAL_X,
    GOAL_Y,
    attackers,
    flee_goals,
    nearest_sleepers,
    nearest_within,
    reach_sleepers,
    settle,
    sleeper_goals,
)

#: A rise in a group's pressure this large is a shock that makes it call for retaliation:
#: connected pocket cells call (decide), and the sleepers answer a shock to themselves at once.
CALL_PRESSURE_RISE = 0.25
#: Random squares around its town a threatened sleeper compares before moving.
FLEE_CANDIDATES = 6
#: Exposure added to a cell that has just attacked.
ATTACK_EXPOSURE = 1.0
#: A cell joining the sleepers links to this many of the nearest ones.
JOINER_LINKS = 2


@functools.lru_cache(maxsize=64)
def excitation_decay(dt_days: float, excitation_days: float) -> float:
    """The excitation's decay over a step, exp(-dt_days / excitation_days) (numpy's exp, taken
    once per pair of values: it is the same every step of a run)."""
    return float(np.exp(-dt_days / excitation_days))


def register_calls(model, callers: np.ndarray) -> None:
    """Sleepers in the callers' network components are stirred for ``call_days``."""
    c = model.cells
    until = model.steps + int(round(model.spec.retaliation.call_days / model.dt_days))
    reach_sleepers(np.asarray(callers, np.intp), model.network.component, c.state, c.theatre,
                   c.n, c.called_until, until)


def join_syria(model, i: int) -> None:
    """A cell that escaped over the border becomes a new sleeper heading for the nearest town."""
    sc = model.spec
    if not (sc.theatres.coupled and sc.theatres.syria and sc.retaliation.escapee_join):
        return
    if len(model.town_xy) == 0:
        return
    c = model.cells
    (j,) = model.add_cells(1)
    c.x[j], c.y[j] = c.x[i], c.y[i]
    c.prev_x[j], c.prev_y[j] = c.x[i], c.y[i]
    c.fighters[j] = c.fighters0[j] = c.fighters[i]
    c.supply[j] = c.supply[i]
    c.theatre[j] = Theatre.SYRIA
    c.state[j] = CellState.MOVING
    c.joined_from[j] = i
    d = model.nav.distance_km(model.town_xy[:, 0], model.town_xy[:, 1], c.x[j], c.y[j])
    c.town[j] = int(np.argmin(d))
    new_cell_agent(model, int(j))
    _link_to_sleepers(model, int(j))
    model.events.add("joined_syria", c.x[j], c.y[j], cells=[int(i), int(j)],
                     town=model.town_names[c.town[j]])


def _link_to_sleepers(model, j: int) -> None:
    c, nav = model.cells, model.nav
    near = nearest_sleepers(c.state, c.theatre, c.n, c.x, c.y, j, JOINER_LINKS,
                            nav.km_x_between, nav.km_y)
    if len(near):
        model.network.add_edges(np.full(len(near), j), near)


def recruit(model) -> None:
    """New sleeper cells: a base rate, and recruits drawn by civilian casualties."""
    sc, c, rng = model.spec, model.cells, model.streams.retaliate
    ret = sc.retaliation
    collateral = model.metrics.collateral_syria - model.collateral_counted
    model.collateral_counted = model.metrics.collateral_syria
    mean = ret.recruitment_per_day * model.dt_days + ret.recruits_per_casualty * collateral
    n = int(rng.poisson(mean)) if mean > 0 else 0
    if n == 0 or len(model.town_xy) == 0:
        return
    idx = model.add_cells(n)
    towns = rng.integers(0, len(model.town_xy), n)
    for j, town in zip(idx, towns, strict=True):
        sx, sy = model.nav.random_points_in_disc(int(model.town_xy[town, 0]),
                                                 int(model.town_xy[town, 1]), ret.spread_km,
                                                 rng, 1)
        c.x[j], c.y[j] = sx[0], sy[0]
        c.prev_x[j], c.prev_y[j] = c.x[j], c.y[j]
        c.town[j] = town
    c.fighters[idx] = rng.integers(ret.fighters_min, ret.fighters_max, n, endpoint=True)
    c.fighters0[idx] = c.fighters[idx]
    c.supply[idx] = sc.insurgents.supply_days
    c.theatre[idx] = Theatre.SYRIA
    c.state[idx] = CellState.HIDDEN
    c.recruited[idx] = True
    for j in idx:
        new_cell_agent(model, int(j))
        _link_to_sleepers(model, int(j))
        model.events.add("recruited", c.x[j], c.y[j], cells=[int(j)],
                         town=model.town_names[c.town[j]])


def step(model, threat: np.ndarray) -> None:
    """Move the Syrian cells and draw their attacks for this step."""
    sc, c, u, nav = model.spec, model.cells, model.units, model.nav
    ret, ins, rng = sc.retaliation, sc.insurgents, model.streams.retaliate
    if len(model.town_xy) == 0:
        return
    km_x_between, km_y = nav.km_x_between, nav.km_y
    budget_km = ins.speed_kmh * ins.move_hours_per_day * model.dt_days
    # joiners travel to their town; sleepers under threat relocate around it
    syr, plan, budget, n_flee = sleeper_goals(
        c.state, c.theatre, c.n, c.x, c.y, c.town, model.town_xy, threat, ret.spread_km,
        ins.flee_threat, budget_km, km_x_between, km_y)
    if len(syr) == 0:
        return
    if n_flee:
        # nav.random_points_in_disc's draws (radii, then angles) and its sin/cos in numpy; the
        # rest of its arithmetic, and the choice among the candidates, compiled
        flee_goals(plan, *disc_draws(rng, (int(n_flee), FLEE_CANDIDATES)), ret.spread_km,
                   nav.km_x, km_y, *nav.snap_index(), threat, model.concealment)
    nx_, ny_, _ = move.advance(model, c, syr, plan[GOAL_X], plan[GOAL_Y], budget)
    n_near = settle(syr, nx_, ny_, plan, ret.spread_km, c.x, c.y, c.moved, c.state,
                    km_x_between, km_y)

    if not ret.enabled:
        return
    if model.pressure_syria - model.syria_shock_pressure >= CALL_PRESSURE_RISE:
        model.syria_shock_pressure = model.pressure_syria
        until = model.steps + int(round(ret.call_days / model.dt_days))
        c.called_until[syr] = np.maximum(c.called_until[syr], until)
    # the rate in Python floats (the same float64 operations as numpy's scalars, without their
    # per-operation overhead); it takes two values (called or not): the per-step probability of
    # each is numpy's expm1 on the pair
    pressure = float(model.pressure_syria)
    if sc.theatres.coupled:
        pressure = max(pressure, float(model.pressure))
    excitation = float(model.excitation) * excitation_decay(model.dt_days, ret.excitation_days)
    base = ret.base_rate_per_day * (1.0 + ret.pressure_gain * pressure)
    share = excitation / max(n_near, 1)
    rate = (base + share, base * (1.0 + ret.call_boost) + share)
    p_attack = -np.expm1([-rate[0] * model.dt_days, -rate[1] * model.dt_days])
    attack = attackers(syr, plan, c.called_until, model.steps, rng.random(len(syr)), p_attack)
    model.excitation = excitation + len(attack) * ret.excitation / ret.excitation_days
    sdf = np.flatnonzero(u.alive & u.syria) if len(attack) else None
    raids = []
    for k in attack:
        i = int(syr[k])
        town = int(c.town[i])
        target_unit = -1
        if len(sdf) and rng.random() < ret.sdf_target_share:
            target_unit = int(nearest_within(u.x, u.y, sdf, c.x[i], c.y[i],
                                             budget_km + ret.attack_range_km, km_x_between,
                                             km_y))
        model.metrics.attacks[town] += 1
        c.state[i] = CellState.ATTACKING
        c.exposed[i] += ATTACK_EXPOSURE
        # a raid: the cell strikes and slips back to its hide, so it does not change position
        if target_unit >= 0:
            raids.append((i, target_unit))
            model.events.add("attack_sdf", u.x[target_unit], u.y[target_unit], cells=[i],
                             units=[target_unit], town=model.town_names[town])
        else:
            civ = int(rng.poisson(ret.civilian_harm_mean))
            model.metrics.civilian_casualties += civ
            model.events.add("attack_population", model.town_xy[town, 0], model.town_xy[town, 1],
                             cells=[i], town=model.town_names[town], civilian_casualties=civ)
    if raids:
        engage.fight_contacts(model, raids, kind="raid", fire_mult=1.0)
    recruit(model)
