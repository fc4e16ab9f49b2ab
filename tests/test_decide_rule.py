"""The cells' choice rule (submodels/decide.py) against the utilities its docstring states.

With ``choice_temperature`` 0 a cell takes the option of highest utility: each test sets one
option's utility, computed here from the docstring's formula, just above or just below another's
and checks the choice flips there. With a positive temperature the rule is a multinomial logit:
between hiding (utility 0) and an option of utility u the share choosing the option is
1 / (1 + exp(-u / temperature)).
"""

from __future__ import annotations

import math
from types import SimpleNamespace

import numpy as np
import pytest

from encircle_sim.state import Action
from encircle_sim.submodels.decide import (
    AMBUSH_THREAT_SCALE,
    RELOCATE_COST,
    ChoiceInputs,
    Choices,
    choose_actions,
)

EPS = 0.01


def inputs(n: int = 1, *, threat=0.0, gain=0.0, move_risk=0.0, pressed=False, breakout=0.0,
           ambush_ok=False, can_call=False, rise=0.0) -> ChoiceInputs:
    def full(v, dtype=float):
        return np.full(n, v, dtype)

    return ChoiceInputs(np.arange(n), full(threat), full(gain), full(move_risk),
                        full(pressed, bool), full(breakout), full(ambush_ok, bool),
                        full(can_call, bool), full(rise))


def choice(inp: ChoiceInputs, *, appetite: float = 0.0, call_appetite: float = 0.0,
           temperature: float = 0.0, seed: int = 0) -> np.ndarray:
    spec = SimpleNamespace(ambush_appetite=appetite, choice_temperature=temperature)
    return choose_actions(inp, spec, call_appetite, np.random.default_rng(seed))


def one(inp: ChoiceInputs, **kw) -> Action:
    return Action(int(choice(inp, **kw)[0]))


def test_a_cell_with_nothing_better_hides():
    assert one(inputs(threat=3.0, breakout=5.0, rise=1.0)) == Action.HIDE


@pytest.mark.parametrize("move_risk", [0.0, 0.3])
def test_relocation_pays_only_beyond_its_cost_and_its_move_risk(move_risk):
    """U(relocate) = score gain - RELOCATE_COST - move risk, against hiding's 0."""
    threshold = RELOCATE_COST + move_risk
    assert one(inputs(gain=threshold + EPS, move_risk=move_risk)) == Action.RELOCATE
    assert one(inputs(gain=threshold - EPS, move_risk=move_risk)) == Action.HIDE


def test_breaking_out_is_open_only_to_a_pressed_cell_with_positive_value():
    """U(break out) = the breakout value, for a pressed cell only."""
    assert one(inputs(pressed=True, breakout=EPS)) == Action.SLIP
    assert one(inputs(pressed=True, breakout=-EPS)) == Action.HIDE
    assert one(inputs(pressed=False, breakout=5.0)) == Action.HIDE
    # against relocation: the larger utility wins
    reloc = 0.5 + RELOCATE_COST          # U(relocate) = 0.5
    assert one(inputs(gain=reloc, pressed=True, breakout=0.5 + EPS)) == Action.SLIP
    assert one(inputs(gain=reloc, pressed=True, breakout=0.5 - EPS)) == Action.RELOCATE


@pytest.mark.parametrize("threat", [0.0, 1.0, 1.5])
def test_an_ambush_is_worth_the_appetite_less_the_threat_share(threat):
    """U(ambush) = ambush_appetite x (1 - T / AMBUSH_THREAT_SCALE), when a target fits."""
    appetite = 0.8
    u = appetite * (1 - threat / AMBUSH_THREAT_SCALE)
    above = inputs(threat=threat, ambush_ok=True, gain=u - EPS + RELOCATE_COST)
    below = inputs(threat=threat, ambush_ok=True, gain=u + EPS + RELOCATE_COST)
    assert one(above, appetite=appetite) == Action.AMBUSH
    assert one(below, appetite=appetite) == Action.RELOCATE
    assert one(inputs(threat=threat, ambush_ok=False), appetite=appetite) == Action.HIDE


def test_no_ambush_above_the_threat_scale():
    appetite = 0.8
    assert one(inputs(threat=AMBUSH_THREAT_SCALE + EPS, ambush_ok=True),
               appetite=appetite) == Action.HIDE
    assert one(inputs(threat=AMBUSH_THREAT_SCALE - EPS, ambush_ok=True),
               appetite=appetite) == Action.AMBUSH


@pytest.mark.parametrize("threat", [0.0, 0.5])
def test_a_call_is_worth_the_appetite_times_the_pressure_rise_less_the_threat(threat):
    """U(call) = call_appetite x (pressure rise) - T, for a cell that can call."""
    call_appetite, rise = 2.0, 0.4
    u = call_appetite * rise - threat
    above = inputs(threat=threat, can_call=True, rise=rise, gain=u - EPS + RELOCATE_COST)
    below = inputs(threat=threat, can_call=True, rise=rise, gain=u + EPS + RELOCATE_COST)
    assert one(above, call_appetite=call_appetite) == Action.CALL
    assert one(below, call_appetite=call_appetite) == Action.RELOCATE
    assert one(inputs(threat=threat, can_call=False, rise=rise),
               call_appetite=call_appetite) == Action.HIDE


@pytest.mark.parametrize("u, temperature", [(0.2, 0.3), (-0.1, 0.5)])
def test_a_positive_temperature_makes_the_choice_a_logit(u, temperature):
    """Hide (0) against relocate (u): P(relocate) = 1 / (1 + exp(-u / temperature))."""
    n = 20_000
    picked = choice(inputs(n, gain=u + RELOCATE_COST), temperature=temperature, seed=4)
    assert set(np.unique(picked)) <= {Action.HIDE, Action.RELOCATE}
    share = float(np.mean(picked == Action.RELOCATE))
    p = 1 / (1 + math.exp(-u / temperature))
    assert abs(share - p) < 4 * math.sqrt(p * (1 - p) / n), (share, p)


def test_no_cells_no_choices():
    assert choice(inputs(0), temperature=0.3).shape == (0,)
    none = Choices.none()
    assert len(none.idx) == len(none.action) == len(none.budget_km) == 0
    assert none.ambushes == []
