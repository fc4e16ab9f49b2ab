"""The live page in-process (``solara.render``, no browser): step, change inputs, reset, rescenario.

The page puts its controls in the sidebar, which Solara fills through a portal of the app layout,
so the page is rendered inside ``solara.AppLayout`` as ``solara run`` does.
"""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import ipyvuetify as v
import ipywidgets
import pytest
import solara

from encircle_sim.scenario_files import load_scenario
from encircle_sim.viz.components import FEED_LINES
from encircle_sim.viz.page import CampaignPage, model_params

QUICK_DAYS = load_scenario("quick").time.max_days

pytestmark = pytest.mark.slow


def render_page(scenario: str = "quick"):
    """The page of ``scenario`` rendered in the app layout, as ``solara run`` shows it."""

    @solara.component
    def App():
        with solara.AppLayout():
            CampaignPage(scenario)

    box, rc = solara.render(App(), handle_error=False)
    return rc


@pytest.fixture
def page():
    rc = render_page()
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
    assert re.search(r"\b25 of 25 cells still active", status(page)), status(page)
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
    for name in ("quick", "victory_will"):
        params = model_params(name)
        assert set(params) <= accepted
        sc = load_scenario(name)
        assert ("retaliation" in params) == sc.theatres.syria
        assert params["cells"].value == sc.insurgents.cells
        assert params["border_sealing"].value == sc.border.sealing


@pytest.fixture(scope="module")
def run_folder(tmp_path_factory):
    from encircle_sim.runner import run

    out = tmp_path_factory.mktemp("runs") / "victory_will"
    run("victory_will", out=out, plots=False)
    return out


def busiest_step(record) -> int:
    """The step whose events take the most sentences to tell."""
    from encircle_sim import narrative

    return max(record.steps["step"], key=lambda s: len(narrative.sentences(record.rows_at(s))))


def expected_feed(said: list[str], lines: int) -> list[str]:
    """This step's part of the feed, from the rule: all of it if it fits, else the first
    ``lines - 1`` sentences and a count of the rest."""
    if len(said) <= lines:
        return said
    return said[: lines - 1] + [f"... and {len(said) - lines + 1} more this step"]


def test_a_step_with_more_to_say_than_the_feed_holds_ends_with_a_count(run_folder):
    from encircle_sim import narrative
    from encircle_sim.replay import open_run_folder
    from encircle_sim.viz.components import feed_lines
    from encircle_sim.viz.moment import Moment

    record = open_run_folder(run_folder)
    busy = busiest_step(record)
    moment = Moment.of_record(record, busy)
    rows = moment.events(busy)
    twice = dataclasses.replace(moment, _events=lambda step: rows * 2 if step == busy else [])
    said = narrative.sentences(rows * 2)
    assert len(said) > FEED_LINES
    feed = feed_lines(twice)
    assert [text for now, text in feed] == expected_feed(said, FEED_LINES)
    assert all(now for now, _ in feed)


def test_replay_scrubs_a_run_folder_without_running_the_model(run_folder):

    from encircle_sim import narrative
    from encircle_sim.replay import open_run_folder

    record = open_run_folder(run_folder)

    rc = render_page()
    try:
        rc.find(v.TextField, label="Run folder").widget.v_model = str(run_folder)
        button(rc, "Open").click()
        last = record.last_step
        assert text_of(rc, "encircle-day").startswith(f"Day {record.row(last)['day']:g} of ")
        assert "the campaign is over" in text_of(rc, "encircle-phase")
        end_images = images(rc)
        # scrub to the step with the most to say: status, map, charts and feed follow
        busy = busiest_step(record)
        index = int(record.steps.index[record.steps["step"] == busy][0])
        slider = rc.find(v.Slider)
        slider.assert_single()
        slider.widget.v_model = index
        row = record.row(busy)
        assert text_of(rc, "encircle-day").startswith(f"Day {row['day']:g} of ")
        assert f"{row['iraq_cells_active']} of " in text_of(rc, "encircle-counts")
        now = [w.children[0] for w in rc.find(v.Html, class_="encircle-feed-now").widgets]
        said = narrative.sentences(record.rows_at(busy))
        assert len(said) >= 5 and now == expected_feed(said, FEED_LINES)
        assert all(a != b for a, b in zip(images(rc), end_images, strict=True))
        # one step back: the day moves back by one step
        button(rc, "◀").click()
        before = record.steps["day"].iloc[index - 1]
        assert text_of(rc, "encircle-day").startswith(f"Day {before:g} of ")
        # and back to the live model
        button(rc, "Back to the live model").click()
        assert text_of(rc, "encircle-day").startswith(f"Day 0 of {QUICK_DAYS:g}")
    finally:
        rc.close()


def test_opening_a_folder_that_is_not_a_run_says_why(tmp_path):
    rc = render_page()
    try:
        rc.find(v.TextField, label="Run folder").widget.v_model = str(tmp_path)
        button(rc, "Open").click()
        assert "replay.npz: missing" in str(rc.find(v.Alert).widget.children)
        assert text_of(rc, "encircle-day").startswith("Day 0 of ")  # still the live model
    finally:
        rc.close()


def test_order_form_and_checkpoints_in_process(tmp_path, monkeypatch):
    """Give an order from the form (and a refused one), save a checkpoint, step on, load it
    back: the page shows the saved day again."""
    monkeypatch.chdir(tmp_path)  # the page saves into ./checkpoints

    rc = render_page("victory_will")
    try:
        for _ in range(4):
            button(rc, "Step").click()
        button(rc, "Give order").click()
        ok = rc.find(v.Alert, class_="encircle-order-ok")
        ok.assert_single()
        assert "commit the reserve" in str(ok.widget.children)
        now = [w.children[0] for w in rc.find(v.Html, class_="encircle-feed-now").widgets]
        assert now[0].startswith("Order: commit the reserve")
        button(rc, "Give order").click()  # no reserve left: refused, said
        assert "no units left" in str(rc.find(v.Alert, class_="encircle-order-error")
                                      .widget.children)
        button(rc, "Save checkpoint").click()
        saved = list((tmp_path / "checkpoints").glob("*.ckpt"))
        assert len(saved) == 1 and "day-001.00" in saved[0].name
        for _ in range(3):
            button(rc, "Step").click()
        assert text_of(rc, "encircle-day").startswith("Day 1.75 of 45")
        picker = rc.find(v.Select, label="Saved checkpoints")
        picker.widget.v_model = str(Path("checkpoints") / saved[0].name)
        button(rc, "Load checkpoint").click()
        assert text_of(rc, "encircle-day").startswith("Day 1 of 45")
        button(rc, "Step").click()
        assert text_of(rc, "encircle-day").startswith("Day 1.25 of 45")
    finally:
        rc.close()
