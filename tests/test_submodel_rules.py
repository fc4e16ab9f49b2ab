"""Single rules of the submodels, each checked against its docstring on a built campaign.

These were the survivors of mutation testing (`make mutation`): rules whose breakage no other
test noticed because the bundled scenarios rarely reach them (a cell wiped out in contact, a
group destroyed with no escapes) or because they only show on the map (a cell's state).
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from encircle_sim.engagement import square_law_survivors
from encircle_sim.model import CampaignModel
from encircle_sim.state import Action, CellState, EscapeRoute, Theatre
from encircle_sim.submodels import decide, engage, move, perceive, plan


@pytest.fixture
def model():
    return CampaignModel("quick", rng=4)


def test_facing_nobody_a_force_keeps_all_its_strength():
    # alpha b^2 - beta r^2 with r = 0: the survivors are b, however small b is
    assert square_law_survivors(0.5, 0.0, 1.0, 1.0) == (0.5, 0.0)
    assert square_law_survivors(0.0, 0.5, 1.0, 1.0) == (0.0, 0.5)


def test_a_cell_takes_the_state_of_its_choice(model):
    """move: relocating cells are MOVING, slipping ones SLIPPING, ambushers ATTACKING, the rest
    (hiding, calling) HIDDEN."""
    choices = decide.choose(model, perceive.threat_field(model))
    n = len(choices.idx)
    assert n >= 10
    action = np.resize(np.array([a.value for a in Action], np.int8), n)
    forced = dataclasses.replace(choices, action=action)
    move.move_cells(model, forced)
    expect = {Action.HIDE: CellState.HIDDEN, Action.RELOCATE: CellState.MOVING,
              Action.SLIP: CellState.SLIPPING, Action.AMBUSH: CellState.ATTACKING,
              Action.CALL: CellState.HIDDEN}
    got = model.cells.state[choices.idx]
    assert [CellState(s) for s in got] == [expect[Action(a)] for a in action]


def test_a_cell_wiped_out_in_contact_is_ended_as_killed(model):
    """engage: a cell with no fighters left after the fight is killed, and logged so."""
    c, u = model.cells, model.units
    i = int(c.active_in(Theatre.IRAQ)[0])
    j = int(np.flatnonzero(u.alive & ~u.syria)[0])
    c.fighters[i] = 1
    c.x[i], c.y[i] = u.x[j], u.y[j]
    model.spec.engagement.break_contact = 0.0
    for _ in range(50):          # one fighter against a platoon: lost in very few contacts
        engage.fight_contacts(model, [(i, j)], kind="contact", fire_mult=50.0)
        if c.state[i] != CellState.HIDDEN or c.fighters[i] == 0:
            break
    assert c.state[i] == CellState.NEUTRALISED
    killed = model.events.frame().query("kind == 'killed'")
    assert killed["cells"].tolist() == [str(model.cell_agents[i].unique_id)]


def end_all_pocket_cells(model, escaped: int) -> None:
    pocket = model.cells.active_in(Theatre.IRAQ)
    for k, i in enumerate(pocket):
        if k < escaped:
            model.end_cell(int(i), CellState.ESCAPED, "escaped", route=EscapeRoute.CORDON)
        else:
            model.end_cell(int(i), CellState.NEUTRALISED, "killed", fighters=0)


@pytest.mark.parametrize(("escaped", "reason"), [(0, "group destroyed"),
                                                 (1, "no cells left in the area")])
def test_the_operation_ends_when_no_cell_is_left_and_says_why(model, escaped, reason):
    """plan: with no cell left in the area the operation ends at once: "group destroyed" if
    none escaped, else "no cells left in the area"."""
    while model.plan.phase.name == "NONE":
        model.step()
    end_all_pocket_cells(model, escaped)
    plan.step(model, perceive.threat_field(model))
    assert model.plan.phase.name == "ENDED"
    assert model.plan.end_reason == reason
