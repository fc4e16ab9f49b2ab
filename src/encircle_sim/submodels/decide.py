"""Decide: each active cell in the pocket chooses one action for this step.

A logit (random-utility) choice over five options, for all cells at once:

=============  =================================================================================
option         utility
=============  =================================================================================
hide           0 (the reference): stay put, keep the terrain's concealment
relocate       (score of the best of ``RELOCATE_CANDIDATES`` reachable squares - score here)
               - ``RELOCATE_COST`` + max(0, threat - flee_threat); score = concealment - threat
slip away      threat - slip_threat + (1 - risk of the best exit - distance to it / distance the
               cell covers in slip_horizon_days); risk = min(threat there, ``EXIT_RISK_CAP``)
               plus border.sealing for exits into Syria; cut-off cells (not connected to a hub)
               know only exits within perception_km
ambush         ambush_appetite x (1 - threat / ``AMBUSH_THREAT_SCALE``), only if a unit within
               ambush_range_km is weak enough (engaged strength <= fighters / ambush_odds) and
               the cell is not short of supply
call           call_appetite x pressure - threat, only for cells connected to the network when
               retaliation in the Syrian theatre is possible (coupled theatres)
=============  =================================================================================

The choice is ``argmax(U + choice_temperature x Gumbel noise)``: a multinomial logit with scale
``choice_temperature`` (0 means always the best option). Threat here is the perceived threat
field (perceive) plus the cell's exposure. A cell short of supply (below low_supply_days) moves
at low_supply_speed. Exits are the squares just outside the operation area, thinned evenly to at
most ``EXITS_CONSIDERED_MAX``. Calls reach the sleepers at once (``retaliate.register_calls``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from encircle_sim.geography import COUNTRY_SYRIA
from encircle_sim.state import Action, Theatre
from encircle_sim.submodels import retaliate

#: Reachable squares a cell compares when it thinks of relocating.
RELOCATE_CANDIDATES = 6
#: Utility cost of moving at all (a cell relocates only for a real gain).
RELOCATE_COST = 0.1
#: Exit squares considered (the operation area's outer edge, thinned evenly).
EXITS_CONSIDERED_MAX = 200
#: Threat at an exit counts at most this much in its risk.
EXIT_RISK_CAP = 2.0
#: Threat (platoon-equivalents) at which an ambush stops paying.
AMBUSH_THREAT_SCALE = 2.0


@dataclass
class ChoiceInputs:
    """What each deciding cell perceives (all arrays aligned with ``idx``)."""

    idx: np.ndarray
    threat: np.ndarray
    concealment: np.ndarray
    best_move_score_gain: np.ndarray
    exit_value: np.ndarray       # 1 - risk - distance term of the best known exit; -inf if none
    ambush_ok: np.ndarray
    can_call: np.ndarray
    pressure: float


@dataclass
class Choices:
    """What the deciding cells chose, and where that takes them (aligned with ``idx``)."""

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
    """The logit choice rule of the module docstring, for all deciding cells at once."""
    n = len(inp.idx)
    util = np.full((n, len(Action)), -np.inf)
    util[:, Action.HIDE] = 0.0
    util[:, Action.RELOCATE] = (inp.best_move_score_gain - RELOCATE_COST
                                + np.maximum(0.0, inp.threat - spec.flee_threat))
    util[:, Action.SLIP] = inp.threat - spec.slip_threat + inp.exit_value
    util[:, Action.AMBUSH] = np.where(
        inp.ambush_ok, spec.ambush_appetite * (1.0 - inp.threat / AMBUSH_THREAT_SCALE), -np.inf)
    util[:, Action.CALL] = np.where(inp.can_call, call_appetite * inp.pressure - inp.threat,
                                    -np.inf)
    if spec.choice_temperature > 0 and n:
        util = util + spec.choice_temperature * rng.gumbel(size=util.shape)
    return np.argmax(util, axis=1).astype(np.int8)


def choose(model, threat: np.ndarray) -> Choices:
    """Every active pocket cell's action and goal this step; calls are passed on at once."""
    sc, c, u, nav = model.spec, model.cells, model.units, model.nav
    ins = sc.insurgents
    active = c.active_in(Theatre.IRAQ)
    if len(active) == 0:
        return Choices.none()
    x, y = c.x[active], c.y[active]
    t_here = threat[x, y] + c.exposed[active]
    conc = model.concealment[x, y]
    low = c.supply[active] < ins.low_supply_days
    speed = ins.speed_kmh * np.where(low, ins.low_supply_speed, 1.0)
    budget = speed * ins.move_hours_per_day * model.dt_days
    rows = np.arange(len(active))

    # relocation: the best of a few reachable squares inside the operation area
    gx, gy = nav.random_points_in_disc(x[:, None], y[:, None], budget[:, None], model.rng,
                                       (len(active), RELOCATE_CANDIDATES))
    same_bank = nav.bank[gx, gy] == nav.bank[x, y][:, None]
    ok = model.plan.area[gx, gy] & same_bank
    score = np.where(ok, model.concealment[gx, gy] - threat[gx, gy], -np.inf)
    best = np.argmax(score, axis=1)
    gain = score[rows, best] - (conc - t_here)
    reloc_x, reloc_y = gx[rows, best], gy[rows, best]

    # slipping away: the exit with the best mix of low cover by forces and short distance
    connected = model.network.connected[active]
    exits = model.plan.exit_xy
    exit_value = np.full(len(active), -np.inf)
    exit_x, exit_y = x.copy(), y.copy()
    if len(exits):
        if len(exits) > EXITS_CONSIDERED_MAX:
            exits = exits[:: len(exits) // EXITS_CONSIDERED_MAX + 1]
        risk = np.minimum(threat[exits[:, 0], exits[:, 1]], EXIT_RISK_CAP)
        into_syria = model.country[exits[:, 0], exits[:, 1]] == COUNTRY_SYRIA
        risk = risk + np.where(into_syria, sc.border.sealing, 0.0)
        d = nav.distance_matrix(x, y, exits[:, 0], exits[:, 1])
        reach = np.maximum(budget * ins.slip_horizon_days / model.dt_days, 1e-6)
        value = 1.0 - risk[None, :] - d / reach[:, None]
        known = connected[:, None] | (d <= ins.perception_km)
        value = np.where(known, value, -np.inf)
        j = np.argmax(value, axis=1)
        exit_value = value[rows, j]
        exit_x, exit_y = exits[j, 0], exits[j, 1]

    # ambush: the weakest unit within range that the cell can take on
    alive_u = np.flatnonzero(u.alive & ~u.syria)
    ambush_ok = np.zeros(len(active), bool)
    ambush_target = np.full(len(active), -1)
    if len(alive_u):
        du = nav.distance_matrix(x, y, u.x[alive_u], u.y[alive_u])
        eng = u.engaged()[alive_u].astype(float)
        fits = (du <= ins.ambush_range_km) & (
            eng[None, :] <= c.fighters[active][:, None] / ins.ambush_odds)
        fits &= ~low[:, None]
        cand = np.where(fits, eng[None, :], np.inf)
        jj = np.argmin(cand, axis=1)
        ambush_ok = np.isfinite(cand[rows, jj])
        ambush_target = np.where(ambush_ok, alive_u[jj], -1)

    ret = sc.retaliation
    can_call = (connected & ret.enabled & sc.theatres.syria & sc.theatres.coupled)
    inp = ChoiceInputs(active, t_here, conc, gain, exit_value, ambush_ok, can_call,
                       model.pressure)
    action = choose_actions(inp, ins, ret.call_appetite, model.rng)
    c.action[active] = action

    calls = active[action == Action.CALL]
    if len(calls):
        retaliate.register_calls(model, calls)
        model.metrics.calls += len(calls)

    goal_x, goal_y = x.copy(), y.copy()
    rel = action == Action.RELOCATE
    slip = action == Action.SLIP
    goal_x[rel], goal_y[rel] = reloc_x[rel], reloc_y[rel]
    goal_x[slip], goal_y[slip] = exit_x[slip], exit_y[slip]
    ambushes = [(int(active[i]), int(ambush_target[i]))
                for i in np.flatnonzero(action == Action.AMBUSH)]
    return Choices(active, action, goal_x, goal_y, budget, ambushes)
