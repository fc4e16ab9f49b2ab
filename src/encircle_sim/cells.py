"""Insurgent cells: their state, and the rule by which each chooses what to do.

Each step every active cell in the pocket perceives the forces around it and picks one action
by a logit (random-utility) choice over five options, computed for all cells at once:

=============  =================================================================================
option         utility
=============  =================================================================================
hide           0 (the reference): stay put, keep the terrain's concealment
relocate       (score of the best reachable cell - score here) - 0.1 + max(0, threat - flee_threat)
               where score = concealment - threat
slip away      threat - slip_threat + (1 - risk of the best exit) - distance to it / distance
               the cell covers in slip_horizon_days; cut-off cells know only exits within
               their perception radius
ambush         ambush_appetite x (1 - threat / 2), only if a unit within ambush range is weak
               enough (engaged strength <= fighters / ambush_odds) and the cell has supply
call           call_appetite x pressure - threat, only for cells connected to the network when
               retaliation in the Syrian theatre is possible
=============  =================================================================================

The choice is ``argmax(U + temperature x Gumbel noise)``: a multinomial logit with scale
``choice_temperature`` (0 means always the best option). Threat is the weighted count of
security-force platoon-equivalents within the perception radius, decaying linearly with distance.

Sleeper cells in the Syrian theatre hide near their target town and attack it at a rate that
rises with the pressure on the group (see ``retaliation.py``).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

import numpy as np
from mesa.discrete_space import CellAgent

from encircle_sim.forces import _Row


class CellState(IntEnum):
    HIDDEN = 0
    MOVING = 1
    SLIPPING = 2
    ATTACKING = 3
    NEUTRALISED = 4
    CAPTURED = 5
    ESCAPED = 6


class Action(IntEnum):
    HIDE = 0
    RELOCATE = 1
    SLIP = 2
    AMBUSH = 3
    CALL = 4


class Theatre(IntEnum):
    IRAQ = 0
    SYRIA = 1


class EscapeRoute(IntEnum):
    NONE = 0
    CORDON = 1
    BORDER = 2


class CellArrays:
    """Struct-of-arrays state of every insurgent cell ever created (capacity fixed up front)."""

    def __init__(self, capacity: int):
        n = capacity
        self.n = 0  # cells created so far
        self.capacity = n
        self.x = np.zeros(n, np.int32)
        self.y = np.zeros(n, np.int32)
        self.prev_x = np.zeros(n, np.int32)
        self.prev_y = np.zeros(n, np.int32)
        self.fighters = np.zeros(n, np.int64)
        self.fighters0 = np.zeros(n, np.int64)
        self.supply = np.zeros(n, float)
        self.state = np.full(n, CellState.NEUTRALISED, np.int8)
        self.theatre = np.zeros(n, np.int8)
        self.escaped_via = np.zeros(n, np.int8)
        self.hub = np.zeros(n, bool)
        self.exposed = np.zeros(n, float)     # extra detection hazard (intelligence, after attacks)
        self.action = np.zeros(n, np.int8)
        self.moved = np.zeros(n, bool)
        self.town = np.full(n, -1, np.int32)  # sleeper's target town
        self.called_until = np.full(n, -1, np.int64)
        self.joined_from = np.full(n, -1, np.int64)
        self.created_step = np.zeros(n, np.int64)
        self.ended_step = np.full(n, -1, np.int64)
        self.routed = np.zeros(n, bool)          # following a route field (navigation.py)
        self.route_x = np.full(n, -1, np.int32)   # the goal it was routed to
        self.route_y = np.full(n, -1, np.int32)

    def add(self, count: int) -> np.ndarray:
        """Reserve rows for ``count`` new cells; returns their indices."""
        if self.n + count > self.capacity:
            raise RuntimeError("cell capacity exceeded")
        idx = np.arange(self.n, self.n + count)
        self.n += count
        return idx

    @property
    def active(self) -> np.ndarray:
        return self.state[: self.n] <= CellState.ATTACKING


class InsurgentCell(CellAgent):
    """A cell of a few to a few dozen fighters with supply, a state and network links.

    Its choice rule is in the module docstring and :func:`choose_actions`; the model applies it
    to all cells at once each step.
    """

    fighters = _Row("cells", "fighters", int)
    supply = _Row("cells", "supply", float)
    state = _Row("cells", "state", lambda v: CellState(int(v)).name.lower())
    theatre = _Row("cells", "theatre", lambda v: Theatre(int(v)).name.lower())
    hub = _Row("cells", "hub", bool)

    def __init__(self, model, index: int):
        super().__init__(model)
        self.index = index

    @property
    def active(self) -> bool:
        return self.model.cells.state[self.index] <= CellState.ATTACKING

    @property
    def detected(self) -> bool:
        return bool(self.model.detected_cells[self.index]) if self.index < len(
            self.model.detected_cells) else False

    def __repr__(self) -> str:
        return (f"InsurgentCell({self.unique_id}, {self.theatre}, {self.state}, "
                f"fighters={self.fighters}, supply={self.supply:.1f}d)")


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


def choose_actions(inp: ChoiceInputs, spec, call_appetite: float,
                   rng: np.random.Generator) -> np.ndarray:
    """The logit choice rule of the module docstring, for all deciding cells at once."""
    n = len(inp.idx)
    util = np.full((n, len(Action)), -np.inf)
    util[:, Action.HIDE] = 0.0
    util[:, Action.RELOCATE] = (inp.best_move_score_gain - 0.1
                                + np.maximum(0.0, inp.threat - spec.flee_threat))
    util[:, Action.SLIP] = inp.threat - spec.slip_threat + inp.exit_value
    util[:, Action.AMBUSH] = np.where(inp.ambush_ok,
                                      spec.ambush_appetite * (1.0 - inp.threat / 2.0), -np.inf)
    util[:, Action.CALL] = np.where(inp.can_call, call_appetite * inp.pressure - inp.threat,
                                    -np.inf)
    if spec.choice_temperature > 0 and n:
        util = util + spec.choice_temperature * rng.gumbel(size=util.shape)
    return np.argmax(util, axis=1).astype(np.int8)
