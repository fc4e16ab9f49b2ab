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

from encircle_sim.geography import COUNTRY_SYRIA
from encircle_sim.navigation import disc_draws
from encircle_sim.state import Action
from encircle_sim.submodels import decide_kernels as kernels
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


def gumbel_noise(n: int, spec, rng: np.random.Generator) -> np.ndarray:
    """The choice's noise: (n, options) Gumbel draws, or none (0, options) at temperature 0."""
    if spec.choice_temperature > 0 and n:
        return rng.gumbel(size=(n, len(Action)))
    return np.zeros((0, len(Action)))


def choose_actions(inp: ChoiceInputs, spec, call_appetite: float,
                   rng: np.random.Generator) -> np.ndarray:
    """The logit choice rule of the module docstring, for all planning cells at once (what
    ``choose`` does inside its compiled plan, for given inputs)."""
    noise = gumbel_noise(len(inp.idx), spec, rng)
    return kernels.choose_options(
        inp.threat, inp.best_move_score_gain, RELOCATE_COST, inp.move_risk, inp.pressed,
        inp.breakout_value, inp.ambush_ok, float(spec.ambush_appetite), AMBUSH_THREAT_SCALE,
        inp.can_call, float(call_appetite), inp.pressure_rise, float(spec.choice_temperature),
        noise)


def choose(model, threat: np.ndarray) -> Choices:
    """Every active pocket cell's plan this step; calls are passed on at once."""
    c, ins = model.cells, model.spec.insurgents
    # keep to the plan: a relocation reached becomes hiding; ambushes and calls last one step
    active, t_here, low, budget, action, goal_x, goal_y, due = kernels.keep_to_plan(
        c.n, c.state, c.theatre, c.x, c.y, threat, c.exposed, c.supply, c.action, c.goal_x,
        c.goal_y, c.plan_until, c.replan, c.planned_threat, model.steps,
        float(ins.low_supply_days), float(ins.speed_kmh), float(ins.low_supply_speed),
        float(ins.move_hours_per_day), float(model.dt_days), REPLAN_THREAT_RISE)
    if len(active) == 0:
        return Choices.none()
    ambushes: list[tuple[int, int]] = []
    if len(due):
        calls, ambushers, targets = _plan(model, threat, active, due, t_here, low, budget,
                                          action, goal_x, goal_y)
        if len(calls):
            retaliate.register_calls(model, calls)
            model.metrics.calls += len(calls)
        ambushes = list(zip(ambushers.tolist(), targets.tolist(), strict=True))
    return Choices(active, action, goal_x, goal_y, budget, ambushes)


class _Exits:
    """The exits a cell considers (the operation area's outer edge, thinned evenly), which of
    them lead into Syria and which lie on a known border route: fixed for one operation plan,
    so worked out once for it (``OperationPlan.on_route`` is the dear part). One plan is kept:
    the last asked for."""

    _last: tuple = ((), ())

    @classmethod
    def of(cls, model) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """(x, y, into Syria, on a known route) of the exits ``model``'s cells consider."""
        plan = model.plan
        route_km = plan.scenario.border.route_km
        last, value = cls._last
        if not (last and last[0] is plan.exit_xy and last[1] is plan.route_xy
                and last[2] is model.country and last[3] == route_km):
            key = (plan.exit_xy, plan.route_xy, model.country, route_km)
            exits = plan.exit_xy
            if len(exits) > EXITS_CONSIDERED_MAX:
                exits = exits[:: len(exits) // EXITS_CONSIDERED_MAX + 1]
            into_syria = model.country[exits[:, 0], exits[:, 1]] == COUNTRY_SYRIA
            value = (np.ascontiguousarray(exits[:, 0]), np.ascontiguousarray(exits[:, 1]),
                     into_syria, into_syria & plan.on_route(exits))
            cls._last = (key, value)
        return value


def _plan(model, threat, active, due, t_here, low, budget, action, goal_x, goal_y):
    """New plans of the cells due to plan (active[due]), written into the cell table and into
    ``action``, ``goal_x``, ``goal_y``; returns (the cells that call, the cells that ambush,
    their target units).

    The figures of the docstring's table, cell by cell in ``decide_kernels.plan`` (compiled);
    the random draws (candidate squares, then the choice's noise) stay here, with numpy, in
    that order, and so do the cos and sin of the squares' angles (numpy's, not the compiled
    libm's)."""
    sc, c, u, nav = model.spec, model.cells, model.units, model.nav
    ins, net, ret, theatres = sc.insurgents, sc.networks, sc.retaliation, sc.theatres
    caches, hideouts, links = model.caches, model.hideouts, model.network
    rng = model.streams.decide
    size = (len(due), RELOCATE_CANDIDATES)     # as nav.random_points_in_disc draws them
    u_radius, cos_angle, sin_angle = disc_draws(rng, size)
    noise = gumbel_noise(len(due), ins, rng)
    ex, ey, into_syria, on_route = _Exits.of(model)
    return kernels.plan(
        active, due, t_here, low, budget, action, goal_x, goal_y, u_radius, cos_angle, sin_angle,
        noise,
        c.x, c.y, c.fighters, c.links0, c.home_cache, c.call_pressure, links.connected,
        c.action, c.goal_x, c.goal_y, c.plan_until, c.planned_threat, c.replan,
        threat, model.concealment, model.hideout_at, model.plan.area, nav.bank, nav.km_x,
        nav.km_y, nav.km_x_between, *nav.snap_index(),
        hideouts.x, hideouts.y, hideouts.intact, caches.x, caches.y, caches.intact,
        caches.stock, links.a, links.b, links.alive, u.x, u.y, u.strength, u.engaged_max,
        u.syria, ex, ey, into_syria, on_route,
        model.steps, model.plan_steps, int(round(ins.slip_horizon_days / model.dt_days)),
        float(model.dt_days), HIDEOUT_CANDIDATES, RELOCATE_COST, SUPPLY_PULL, SHELTER_VALUE,
        float(net.hideout_concealment), float(net.resupply_km), float(model.pressure),
        bool(ret.enabled and theatres.syria and theatres.coupled), float(ins.loss_weight),
        float(ins.attachment), float(ins.slip_threat), CALL_PRESSURE_RISE,
        float(ins.slip_horizon_days), EXIT_RISK_CAP, float(sc.border.sealing),
        float(sc.border.route_bonus), float(ins.perception_km), float(ins.ambush_range_km),
        float(ins.ambush_odds), float(ins.ambush_appetite), AMBUSH_THREAT_SCALE,
        float(ret.call_appetite), float(ins.choice_temperature))
