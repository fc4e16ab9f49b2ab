"""The live page in-process (``solara.render``, no browser): step, change inputs, reset, rescenario.

The page puts its controls in the sidebar, which Solara fills through a portal of the app layout,
so the page is rendered inside ``solara.AppLayout`` as ``solara run`` does.
"""

from __future__ import annotations

import re

import ipyvuetify as v
import ipywidgets
import pytest
import solara

from encircle_sim.scenario_files import load_scenario
from encircle_sim.viz.page import CampaignPage, model_params

QUICK_DAYS = load_scenario("quick").time.max_days

pytestmark = pytest.mark.slow


@pytest.fixture
def page():
    @solara.component
    def App():
        with solara.AppLayout():
            CampaignPage("quick")

    box, rc = solara.render(App(), handle_error=False)
    yield rc
    rc.close()


def text_of(rc, css_class: str) -> str:
    return rc.find(v.Html, class_=css_class).widget.children[0]


def status(rc) -> str:
    return " ".join(str(w.children[0]) for w in rc.find(v.Html, tag="span").widgets
                    if w.children and isinstance(w.children[0], str))


def images(rc) -> list[bytes]:
    """The map and the charts (not the legend, drawn once)."""
    return [w.value for css in ("encircle-map-image", "encircle-charts-image")
            for w in rc.find(ipywidgets.Image).widgets if css in w._dom_classes]


def button(rc, label: str):
    found = rc.find(v.Btn, children=[label])
    found.assert_single()
    return found.widget


def test_step_advances_the_day_and_redraws(page):
    assert text_of(page, "encircle-day").startswith(f"Day 0 of {QUICK_DAYS:g}")
    before = images(page)
    assert len(before) == 2 and all(len(b) > 5_000 for b in before)  # map and charts
    step = button(page, "Step")
    step.click()
    assert text_of(page, "encircle-day").startswith(f"Day 0.5 of {QUICK_DAYS:g}")
    step.click()
    assert text_of(page, "encircle-day").startswith(f"Day 1 of {QUICK_DAYS:g}")
    after = images(page)
    assert after[0] != before[0] and after[1] != before[1]


def test_slider_and_seed_then_reset_rebuild_the_model(page):
    button(page, "Step").click()
    cells = page.find(v.Slider, label="Cells in the pocket")
    cells.assert_single()
    cells.widget.v_model = 25
    seed = page.find(v.TextField, label="Seed (whole number)")
    seed.widget.v_model = "99"
    seed.widget.fire_event("focusout", None)  # the text box reports its value on leaving it
    # nothing changes until Reset
    assert text_of(page, "encircle-day").startswith("Day 0.5")
    button(page, "Reset").click()
    assert text_of(page, "encircle-day").startswith(f"Day 0 of {QUICK_DAYS:g}")
    assert re.search(r"\b25 of 25 cells still in the pocket", status(page)), status(page)
    assert "insurgents.cells=25" in status(page)


def test_choosing_a_scenario_loads_it_with_its_own_values(page):
    picker = page.find(v.Select, label="Scenario")
    picker.assert_single()
    picker.widget.v_model = "victory_will"
    assert text_of(page, "encircle-day").startswith("Day 0 of 45")
    cells = page.find(v.Slider, label="Cells in the pocket").widget
    assert cells.v_model == load_scenario("victory_will").insurgents.cells
    button(page, "Step").click()
    assert text_of(page, "encircle-day").startswith("Day 0.25 of 45")


def test_model_params_match_the_model_signature():
    """Every input rebuilds the model through a keyword argument of LiveCampaignModel."""
    import inspect

    from encircle_sim.viz.live_model import LiveCampaignModel

    accepted = set(inspect.signature(LiveCampaignModel.__init__).parameters) - {"self"}
    for name in ("quick", "combined"):
        params = model_params(name)
        assert set(params) <= accepted
        sc = load_scenario(name)
        assert ("retaliation" in params) == sc.theatres.syria
        assert params["cells"].value == sc.insurgents.cells
        assert params["border_sealing"].value == sc.border.sealing
