"""Decide: each active cell in the pocket keeps to its plan, or plans again.

A cell plans when its plan runs out (every ``insurgents.decision_days``; at the start each cell
plans first at a random step of that interval), or at once when something happens to it: a
contact, a turn-back at the cordon or border, its hideout found, or the threat on it risen by
more than ``REPLAN_THREAT_RISE`` since it last planned. Between plans it keeps its plan: a
relocating cell goes on to the square it chose and then hides there; a cell breaking out goes on
to its exit; a hiding cell stays.

A plan is a logit (random-utility) choice over five options, with T the threat the cell
perceives (perceive) plus its exposure, and shelter = 1 - exposure of a cell staying put on a
square (terrain, and an intact hideout there; ``cover.shelter``):

=============  =================================================================================
option         utility
=============  =================================================================================
hide           0 (the reference): stay put, gone to ground if at a hideout
relocate       (best score among ``RELOCATE_CANDIDATES`` random squares and the
               ``HIDEOUT_CANDIDATES`` nearest intact hideouts it can reach before it plans again,
               inside the operation area and on its bank - score here) - ``RELOCATE_COST``
               - move risk; score = ``SHELTER_VALUE`` x shelter - threat x (1 - shelter), the
               detection hazard it expects there (Koopman: threat x exposure), + ``SUPPLY_PULL``
               for a square within resupply_km of an intact cache when the cell is short of
               supply; move risk = T x (exposure moving - exposure staying here), the hazard
               of moving under the eyes of the forces (a mover loses its hideout's cover)
break out      only for a *pressed* cell, pressure >= slip_threat, where pressure = T + loss_weight
               x (share of its courier links cut + its home cache lost) / 2:
               pressure - slip_threat - attachment x (cache in reach + connected) / 2
               - move risk + (1 - risk of the best exit - distance to it / distance covered in
               slip_horizon_days + route_bonus if it is into Syria on a known border route);
               risk = min(threat there, ``EXIT_RISK_CAP``) + border.sealing into Syria; a cell
               knows the exits within perception_km, the known routes, and, if connected to a
               hub, every exit
ambush         ambush_appetite x (1 - T / ``AMBUSH_THREAT_SCALE``), only if a unit within
               ambush_range_km is weak enough (engaged strength <= fighters / ambush_odds) and
               the cell is not short of supply
call           call_appetite x (pressure on the group - pressure when the cell last called)
               - T, only for connected cells when retaliation in the Syrian theatre is possible
               (coupled theatres) and the pressure has risen by ``retaliate.CALL_PRESSURE_RISE`` or
               more since: a call answers a shock to the group, not the level of the pressure
=============  =================================================================================

The choice is ``argmax(U + choice_temperature x Gumbel noise)``: a multinomial logit with scale
``choice_temperature`` (0 means always the best option). A cell that chose to break out keeps
going for slip_horizon_days. An unpressed cell cannot leave the operation area (relocation stays
inside it): escape is a response to pressure, not a random walk. Exits are the squares just
outside the operation area, thinned evenly to at most ``EXITS_CONSIDERED_MAX``. Calls reach the
sleepers at once (``retaliate.register_calls``); ambushes and calls last one step.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from encircle_sim.cover import shelter
from encircle_sim.geography import COUNTRY_SYRIA
from encircle_sim.state import Action, Theatre
from encircle_sim.submodels import retaliate
from encircle_sim.submodels.retaliate import CALL_PRESSURE_RISE

#: Random reachable squares a cell compares when it plans to relocate ...
RELOCATE_CANDIDATES = 6
#: ... with this many of the nearest intact hideouts it can reach.
HIDEOUT_CANDIDATES = 3
#: Utility cost of moving at all (a cell relocates only for a real gain).
RELOCATE_COST = 0.2
#: Worth of good cover in itself, when no force is near (a cell prefers its hideout).
SHELTER_VALUE = 0.3
#: Score of a square near an intact cache for a cell short of supply.
SUPPLY_PULL = 0.5
#: A rise in the threat on a cell (platoon-equivalents) since it last planned that makes it
#: plan again at once.
REPLAN_THREAT_RISE = 0.5
#: Exit squares considered (the operation area's outer edge, thinned evenly).
EXITS_CONSIDERED_MAX = 200
#: Threat at an exit counts at most this much in its risk.
EXIT_RISK_CAP = 2.0
#: Threat (platoon-equivalents) at which an ambush stops paying.
AMBUSH_THREAT_SCALE = 2.0


@dataclass
class ChoiceInputs:
    """What each planning cell perceives (all arrays aligned with ``idx``)."""

    idx: np.ndarray
    threat: np.ndarray
    best_move_score_gain: np.ndarray
    move_risk: np.ndarray        # T x (exposure moving - exposure staying)
    pressed: np.ndarray          # pressure >= slip_threat: breaking out is an option
    breakout_value: np.ndarray   # pressure - slip_threat - attachment + best exit's value
    ambush_ok: np.ndarray
    can_call: np.ndarray
    pressure_rise: np.ndarray    # the group's pressure now - when the cell last called


@dataclass
class Choices:
    """Every active pocket cell's plan this step (aligned with ``idx``)."""

    idx: np.ndarray
    action: np.ndarray
    goal_x: np.ndarray
    goal_y: np.ndarray
    budget_km: np.ndarray                 # how far each may move this step
    ambushes: list[tuple[int, int]]       # (cell, target unit) of the cells that ambush

    @classmethod
    def none(cls) -> Choices:
        empty = np.zeros(0, np.int64)
        return cls(empty, empty.astype(np.int8), empty, empty, empty.astype(float), [])


def choose_actions(inp: ChoiceInputs, spec, call_appetite: float,
                   rng: np.random.Generator) -> np.ndarray:
    """The logit choice rule of the module docstring, for all planning cells at once."""
    n = len(inp.idx)
    util = np.full((n, len(Action)), -np.inf)
    util[:, Action.HIDE] = 0.0
    util[:, Action.RELOCATE] = inp.best_move_score_gain - RELOCATE_COST - inp.move_risk
    util[:, Action.SLIP] = np.where(inp.pressed, inp.breakout_value, -np.inf)
    util[:, Action.AMBUSH] = np.where(
        inp.ambush_ok, spec.ambush_appetite * (1.0 - inp.threat / AMBUSH_THREAT_SCALE), -np.inf)
    util[:, Action.CALL] = np.where(inp.can_call,
                                    call_appetite * inp.pressure_rise - inp.threat, -np.inf)
    if spec.choice_temperature > 0 and n:
        util = util + spec.choice_temperature * rng.gumbel(size=util.shape)
    return np.argmax(util, axis=1).astype(np.int8)


def choose(model, threat: np.ndarray) -> Choices:
    """Every active pocket cell's plan this step; calls are passed on at once."""
    c, ins = model.cells, model.spec.insurgents
    active = c.active_in(Theatre.IRAQ)
    if len(active) == 0:
        return Choices.none()
    x, y = c.x[active], c.y[active]
    t_here = threat[x, y] + c.exposed[active]
    low = c.supply[active] < ins.low_supply_days
    budget = (ins.speed_kmh * np.where(low, ins.low_supply_speed, 1.0)
              * ins.move_hours_per_day * model.dt_days)

    # keep to the plan: a relocation reached becomes hiding; ambushes and calls last one step
    action = c.action[active].copy()
    goal_x, goal_y = c.goal_x[active].copy(), c.goal_y[active].copy()
    arrived = (x == goal_x) & (y == goal_y)
    done = ((action == Action.RELOCATE) & arrived) | (action == Action.AMBUSH) | (
        action == Action.CALL)
    action[done] = Action.HIDE
    hiding = action == Action.HIDE
    goal_x[hiding], goal_y[hiding] = x[hiding], y[hiding]

    due = ((model.steps >= c.plan_until[active]) | c.replan[active]
           | (t_here > c.planned_threat[active] + REPLAN_THREAT_RISE))
    ambushes: list[tuple[int, int]] = []
    k = np.flatnonzero(due)
    if len(k):
        new_action, gx, gy, targets = _plan(model, threat, active[k], t_here[k], low[k],
                                            budget[k])
        action[k], goal_x[k], goal_y[k] = new_action, gx, gy
        idx = active[k]
        horizon = np.where(new_action == Action.SLIP,
                           int(round(ins.slip_horizon_days / model.dt_days)), model.plan_steps)
        c.plan_until[idx] = model.steps + np.maximum(horizon, 1)
        c.planned_threat[idx] = t_here[k]
        c.replan[idx] = False
        calls = idx[new_action == Action.CALL]
        c.call_pressure[calls] = model.pressure
        if len(calls):
            retaliate.register_calls(model, calls)
            model.metrics.calls += len(calls)
        ambushes = [(int(idx[i]), int(targets[i]))
                    for i in np.flatnonzero(new_action == Action.AMBUSH)]
    c.action[active] = action
    c.goal_x[active], c.goal_y[active] = goal_x, goal_y
    return Choices(active, action, goal_x, goal_y, budget, ambushes)


def smallest_columns(d: np.ndarray, m: int) -> tuple[np.ndarray, np.ndarray]:
    """Columns of the ``m`` smallest values of each row of ``d``, in the order of
    ``np.argsort(d, axis=1, kind="stable")[:, :m]`` (ties by column), and those values."""
    d = d.copy()
    rows = np.arange(len(d))
    cols = np.empty((len(d), m), np.intp)
    values = np.empty((len(d), m))
    for j in range(m):
        cols[:, j] = col = d.argmin(axis=1)
        values[:, j] = d[rows, col]
        d[rows, col] = np.inf
    return cols, values


def _plan(model, threat, idx, t_here, low, budget):
    """New plans of cells ``idx``: (action, goal x, goal y, ambush target unit)."""
    sc, c, u, nav = model.spec, model.cells, model.units, model.nav
    ins, net = sc.insurgents, sc.networks
    x, y = c.x[idx].astype(np.intp), c.y[idx].astype(np.intp)  # intp: fast grid lookups
    rows = np.arange(len(idx))
    caches = model.caches
    stocked = np.flatnonzero(caches.intact & (caches.stock > 0))

    def near_cache(px, py):
        if len(stocked) == 0:
            return np.zeros(px.shape, bool)
        d = nav.distance_km(px[..., None], py[..., None], caches.x[stocked], caches.y[stocked])
        return (d <= net.resupply_km).any(axis=-1)

    short = low.nonzero()[0]

    def score(px, py, cover=None):
        cover = shelter(model, px, py) if cover is None else cover
        s = SHELTER_VALUE * cover - threat[px, py] * (1.0 - cover)
        pull = np.zeros(px.shape)  # SUPPLY_PULL near a cache, for cells short of supply
        if len(short):
            pull[short] = np.where(near_cache(px[short], py[short]), SUPPLY_PULL, 0.0)
        return s + pull

    # relocation: random squares and the nearest hideouts it can reach before it plans again
    reach = budget * model.plan_steps
    gx, gy = nav.random_points_in_disc(x[:, None], y[:, None], reach[:, None], model.streams.decide,
                                       (len(idx), RELOCATE_CANDIDATES))
    intact = np.flatnonzero(model.hideouts.intact)
    if len(intact):
        hx, hy = model.hideouts.x[intact], model.hideouts.y[intact]
        dh = nav.distance_matrix(x, y, hx, hy)
        m = min(HIDEOUT_CANDIDATES, len(intact))
        nearest, d_nearest = smallest_columns(dh, m)
        within = d_nearest <= reach[:, None]
        gx = np.concatenate([gx, np.where(within, hx[nearest], x[:, None])], axis=1)
        gy = np.concatenate([gy, np.where(within, hy[nearest], y[:, None])], axis=1)
    ok = model.plan.area[gx, gy] & (nav.bank[gx, gy] == nav.bank[x, y][:, None])
    cand = np.where(ok, score(gx, gy), -np.inf)
    best = np.argmax(cand, axis=1)
    here = shelter(model, x, y)
    gain = cand[rows, best] - score(x, y, here)
    moving = 1.0 - model.concealment[x, y]          # a mover keeps its terrain, not its hideout
    move_risk = t_here * np.maximum(moving - (1.0 - here), 0.0)
    reloc_x, reloc_y = gx[rows, best], gy[rows, best]

    # pressure on each cell, and what holds it to its ground
    connected = model.network.connected[idx]
    net_links = model.network
    alive = net_links.alive
    links_now = (np.bincount(net_links.a[alive], minlength=c.n)[: c.n]
                 + np.bincount(net_links.b[alive], minlength=c.n)[: c.n])[idx]
    links_lost = np.where(c.links0[idx] > 0,
                          1.0 - links_now / np.maximum(c.links0[idx], 1), 0.0)
    home = c.home_cache[idx]
    cache_lost = np.zeros(len(idx), bool)
    cache_lost[home >= 0] = ~caches.intact[home[home >= 0]]
    pressure = t_here + ins.loss_weight * (0.5 * links_lost + 0.5 * cache_lost)
    holds = ins.attachment * 0.5 * (near_cache(x, y).astype(float) + connected)
    pressed = pressure >= ins.slip_threat

    # breaking out: the exit with the best mix of low cover by forces, distance and a known route
    exit_value = np.full(len(idx), -np.inf)
    exit_x, exit_y = x.copy(), y.copy()
    exits = model.plan.exit_xy
    if len(exits) and pressed.any():
        if len(exits) > EXITS_CONSIDERED_MAX:
            exits = exits[:: len(exits) // EXITS_CONSIDERED_MAX + 1]
        risk = np.minimum(threat[exits[:, 0], exits[:, 1]], EXIT_RISK_CAP)
        into_syria = model.country[exits[:, 0], exits[:, 1]] == COUNTRY_SYRIA
        risk = risk + np.where(into_syria, sc.border.sealing, 0.0)
        on_route = into_syria & model.plan.on_route(exits)
        d = nav.distance_matrix(x, y, exits[:, 0], exits[:, 1])
        slip_reach = np.maximum(budget * ins.slip_horizon_days / model.dt_days, 1e-6)
        value = (1.0 - risk[None, :] - d / slip_reach[:, None]
                 + np.where(on_route, sc.border.route_bonus, 0.0)[None, :])
        known = connected[:, None] | (d <= ins.perception_km) | on_route[None, :]
        value = np.where(known, value, -np.inf)
        j = np.argmax(value, axis=1)
        exit_value = value[rows, j]
        exit_x, exit_y = exits[j, 0], exits[j, 1]
    breakout = pressure - ins.slip_threat - holds - move_risk + exit_value

    # ambush: the weakest unit within range that the cell can take on
    alive_u = np.flatnonzero(u.alive & ~u.syria)
    ambush_ok = np.zeros(len(idx), bool)
    target = np.full(len(idx), -1)
    if len(alive_u):
        du = nav.distance_matrix(x, y, u.x[alive_u], u.y[alive_u])
        eng = u.engaged()[alive_u].astype(float)
        fits = (du <= ins.ambush_range_km) & (
            eng[None, :] <= c.fighters[idx][:, None] / ins.ambush_odds)
        fits &= ~low[:, None]
        cand_u = np.where(fits, eng[None, :], np.inf)
        jj = np.argmin(cand_u, axis=1)
        ambush_ok = np.isfinite(cand_u[rows, jj])
        target = np.where(ambush_ok, alive_u[jj], -1)

    ret = sc.retaliation
    rise = model.pressure - c.call_pressure[idx]
    can_call = (connected & ret.enabled & sc.theatres.syria & sc.theatres.coupled
                & (rise >= CALL_PRESSURE_RISE))
    inp = ChoiceInputs(idx, t_here, gain, move_risk, pressed & np.isfinite(breakout), breakout,
                       ambush_ok, can_call, rise)
    action = choose_actions(inp, ins, ret.call_appetite, model.streams.decide)
    goal_x, goal_y = x.copy(), y.copy()
    rel, slip = action == Action.RELOCATE, action == Action.SLIP
    goal_x[rel], goal_y[rel] = reloc_x[rel], reloc_y[rel]
    goal_x[slip], goal_y[slip] = exit_x[slip], exit_y[slip]
    return action, goal_x, goal_y, target
