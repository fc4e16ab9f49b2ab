"""Retaliation elsewhere: sleeper cells in the Deir Ezzor theatre and their close-range attacks.

Each sleeper cell belongs to a target town. It hides within ``spread_km`` of the town and moves
off when the SDF come close (threat above ``flee_threat``). It attacks as a Poisson process with
rate per day

    base_rate_per_day x (1 + pressure_gain x pressure) x (1 + call_boost if a call reached it)

where pressure is the share of the group's strength lost: in a coupled campaign the larger of
the Iraqi pocket's losses (cells and area) and the Syrian cells' own losses; otherwise the Syrian
losses alone. A *call* is made by a pocket cell connected to the courier network and reaches the
sleepers in its network component for ``call_days``.

An attack is a small, close-range raid from the cell's hide near its town: with probability
``sdf_target_share`` it ambushes an SDF post (the nearest living SDF unit within a step's march
plus ``attack_range_km`` of the cell), otherwise it strikes the population (Poisson casualties
with mean
``civilian_harm_mean``). The event is logged at the target; the cell returns to its hide and is
exposed afterwards, which helps the SDF hunt it. Cells escaping the pocket over the border may
join the sleepers of the nearest target town (coupled theatres).
"""

from __future__ import annotations

import numpy as np

from encircle_sim.cells import CellState, Theatre


def register_calls(model, callers: np.ndarray) -> None:
    """Sleepers in the callers' network components are stirred for ``call_days``."""
    c = model.cells
    comps = np.unique(model.network.component[callers])
    sleepers = np.flatnonzero(c.active & (c.theatre[: c.n] == Theatre.SYRIA))
    reached = sleepers[np.isin(model.network.component[sleepers], comps)]
    until = model.steps + int(round(model.spec.retaliation.call_days / model.dt_days))
    c.called_until[reached] = np.maximum(c.called_until[reached], until)


def join_syria(model, i: int) -> None:
    """A cell that escaped over the border becomes a new sleeper heading for the nearest town."""
    sc = model.spec
    if not (sc.theatres.coupled and sc.theatres.syria and sc.retaliation.escapee_join):
        return
    if len(model.town_xy) == 0:
        return
    c = model.cells
    (j,) = c.add(1)
    c.x[j], c.y[j] = c.x[i], c.y[i]
    c.prev_x[j], c.prev_y[j] = c.x[i], c.y[i]
    c.fighters[j] = c.fighters0[j] = c.fighters[i]
    c.supply[j] = c.supply[i]
    c.theatre[j] = Theatre.SYRIA
    c.state[j] = CellState.MOVING
    c.joined_from[j] = i
    c.created_step[j] = model.steps
    d = model.nav.distance_km(model.town_xy[:, 0], model.town_xy[:, 1], c.x[j], c.y[j])
    c.town[j] = int(np.argmin(d))
    model._new_cell_agent(int(j))
    sleepers = np.flatnonzero(c.active & (c.theatre[: c.n] == Theatre.SYRIA))
    sleepers = sleepers[sleepers != j]
    if len(sleepers):
        ds = model.nav.distance_km(c.x[sleepers], c.y[sleepers], c.x[j], c.y[j])
        near = sleepers[np.argsort(ds)[:2]]
        model.network.add_edges(np.full(len(near), j), near)
    model.events.add("joined_syria", c.x[j], c.y[j], cells=[int(i), int(j)],
                     town=model.town_names[c.town[j]])


def step(model, threat: np.ndarray) -> None:
    """Move the Syrian cells and draw their attacks for this step."""
    sc, c, u, nav = model.spec, model.cells, model.units, model.nav
    ret, ins = sc.retaliation, sc.insurgents
    syr = np.flatnonzero(c.active & (c.theatre[: c.n] == Theatre.SYRIA))
    if len(syr) == 0 or len(model.town_xy) == 0:
        return
    tx, ty = model.town_xy[c.town[syr], 0], model.town_xy[c.town[syr], 1]
    d_town = nav.distance_km(c.x[syr], c.y[syr], tx, ty)
    budget = np.full(len(syr), ins.speed_kmh * ins.move_hours_per_day * model.dt_days)
    # joiners travel to their town; sleepers under threat relocate around it
    goal_x, goal_y = c.x[syr].copy(), c.y[syr].copy()
    far = d_town > ret.spread_km
    goal_x[far], goal_y[far] = tx[far], ty[far]
    t_here = threat[c.x[syr], c.y[syr]]
    flee = ~far & (t_here > ins.flee_threat)
    if flee.any():
        k = np.flatnonzero(flee)
        r = ret.spread_km * np.sqrt(model.rng.random((len(k), 6)))
        ang = model.rng.random((len(k), 6)) * 2 * np.pi
        cx = np.rint(tx[k, None] + r * np.cos(ang) / nav.km_x[ty[k]][:, None]).astype(np.int32)
        cy = np.rint(ty[k, None] + r * np.sin(ang) / nav.km_y).astype(np.int32)
        cx, cy = model.snap_passable(cx, cy)
        best = np.argmin(threat[cx, cy] - model.concealment[cx, cy], axis=1)
        goal_x[k], goal_y[k] = cx[np.arange(len(k)), best], cy[np.arange(len(k)), best]
    moving = far | flee
    nx_, ny_, _ = model.advance(c, syr, goal_x, goal_y, np.where(moving, budget, 0.0))
    c.moved[syr] = (nx_ != c.x[syr]) | (ny_ != c.y[syr])
    c.x[syr], c.y[syr] = nx_, ny_
    c.state[syr] = np.where(moving, CellState.MOVING, CellState.HIDDEN)
    arrived = syr[far & (nav.distance_km(nx_, ny_, tx, ty) <= ret.spread_km)]
    c.state[arrived] = CellState.HIDDEN

    if not ret.enabled:
        return
    pressure = model.pressure_syria
    if sc.theatres.coupled:
        pressure = max(pressure, model.pressure)
    called = c.called_until[syr] >= model.steps
    rate = ret.base_rate_per_day * (1.0 + ret.pressure_gain * pressure) * np.where(
        called, 1.0 + ret.call_boost, 1.0)
    near_town = nav.distance_km(c.x[syr], c.y[syr], tx, ty) <= ret.spread_km
    attack = near_town & (model.rng.random(len(syr)) < -np.expm1(-rate * model.dt_days))
    sdf = np.flatnonzero(u.alive & u.syria)
    ambushes = []
    for k in np.flatnonzero(attack):
        i = int(syr[k])
        town = int(c.town[i])
        target_unit = -1
        if len(sdf) and model.rng.random() < ret.sdf_target_share:
            du = nav.distance_km(u.x[sdf], u.y[sdf], c.x[i], c.y[i])
            ok = du <= budget[k] + ret.attack_range_km
            if ok.any():
                target_unit = int(sdf[np.flatnonzero(ok)[np.argmin(du[ok])]])
        model.metrics.attacks[town] += 1
        c.state[i] = CellState.ATTACKING
        c.exposed[i] += 1.0
        # a raid: the cell strikes and slips back to its hide, so it does not change position
        if target_unit >= 0:
            ambushes.append((i, target_unit))
            model.events.add("attack_sdf", u.x[target_unit], u.y[target_unit], cells=[i],
                             units=[target_unit], town=model.town_names[town])
        else:
            civ = int(model.rng.poisson(ret.civilian_harm_mean))
            model.metrics.civilian_casualties += civ
            model.events.add("attack_population", model.town_xy[town, 0], model.town_xy[town, 1],
                             cells=[i], town=model.town_names[town], civilian_casualties=civ)
    if ambushes:
        model._fight(ambushes, kind="ambush", fire_mult=1.0, ambush=True)
