"""The live page's model: controls become validated scenario overrides; the seed box's text
works."""

from __future__ import annotations

import numpy as np
import pytest

from encircle_sim.scenario_files import ScenarioError, load_scenario
from encircle_sim.viz.live_model import (
    Controls,
    LiveCampaignModel,
    overrides_for,
    parse_seed,
    scenario_choices,
)


@pytest.fixture(scope="module")
def quick():
    return load_scenario("quick")


def test_controls_at_scenario_values_change_nothing(quick):
    same = Controls("quick", cells=quick.insurgents.cells, force_level=1.0, detection=1.0,
                    border_sealing=quick.border.sealing, retaliation=quick.retaliation.enabled,
                    pressure_gain=quick.retaliation.pressure_gain, seed="")
    assert overrides_for(quick, same) == {}


def test_controls_become_overrides(quick):
    c = Controls("quick", cells=55, force_level=1.5, detection=2.5, border_sealing=0.2,
                 retaliation=not quick.retaliation.enabled, pressure_gain=9.0)
    out = overrides_for(quick, c)
    assert out["insurgents.cells"] == 55
    assert out["border.sealing"] == 0.2
    assert out["retaliation.enabled"] is (not quick.retaliation.enabled)
    assert out["retaliation.pressure_gain"] == 9.0
    for i, f in enumerate(quick.forces):
        assert out.get(f"forces[{i}].units", f.units) == max(1, round(f.units * 1.5))
    for name, t in quick.unit_types.items():
        assert out.get(f"unit_types.{name}.p_detect", t.p_detect) == min(1.0, round(
            t.p_detect * 2.5, 4))
    # every override is a valid --set path of the scenario
    sc = load_scenario("quick", out)
    assert sc.insurgents.cells == 55 and sc.border.sealing == 0.2


def test_force_level_keeps_at_least_one_unit(quick):
    out = overrides_for(quick, Controls("quick", force_level=0.01))
    assert all(v == 1 for k, v in out.items() if k.startswith("forces["))
    assert len(out) == sum(1 for f in quick.forces if f.units > 1)


@pytest.mark.parametrize("text, expected, noted", [
    (None, 7, False), ("", 7, False), ("  ", 7, False), ("43", 43, False), (" 43 ", 43, False),
    (43, 43, False), ("4.5", 7, True), ("abc", 7, True), ("-3", 7, True), (True, 7, True),
])
def test_seed_from_the_text_box(text, expected, noted):
    seed, note = parse_seed(text, 7)
    assert seed == expected
    assert (note is not None) == noted
    if noted:
        assert "seed" in note and "7" in note


def test_model_built_from_controls():
    m = LiveCampaignModel("quick", cells=25, force_level=2.0, border_sealing=0.1, seed="11")
    base = load_scenario("quick")
    assert m.cells.n == 25 == m.iraq_cells_initial
    assert m.units.n == sum(max(1, round(f.units * 2.0)) for f in base.forces)
    assert m.spec.border.sealing == 0.1
    assert m.seed == 11 and m.notes == []
    assert m.controls.scenario_name == "quick"


def test_seed_text_and_int_give_the_same_campaign():
    a = LiveCampaignModel("quick", seed="5")
    b = LiveCampaignModel("quick", seed=5)
    for _ in range(4):
        a.step()
        b.step()
    assert a.record == b.record
    assert np.array_equal(a.cells.x, b.cells.x)


def test_unreadable_seed_uses_scenario_seed_and_says_so():
    m = LiveCampaignModel("quick", seed="forty-two")
    assert m.seed == load_scenario("quick").seed
    assert any("forty-two" in n for n in m.notes)


def test_rebuild_with_keyword_arguments_only():
    """SolaraViz's Reset calls ``type(model)(**params)``: every control is a keyword argument."""
    m = LiveCampaignModel("quick", cells=30)
    again = type(m)(**m.controls_dict())
    assert again.cells.n == 30 and again.spec.name == m.spec.name


def test_unknown_scenario_is_a_scenario_error():
    with pytest.raises(ScenarioError, match="no such scenario"):
        LiveCampaignModel("no_such_scenario")


def test_scenario_choices_include_a_users_file(tmp_path):
    names = scenario_choices()
    assert "victory_will" in names and "quick" in names
    own = str(tmp_path / "mine.toml")
    assert scenario_choices(own)[0] == own
    assert scenario_choices("quick") == names
