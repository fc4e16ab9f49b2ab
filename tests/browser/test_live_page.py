"""The live page in a real headless Chromium, served offline: draw, step, change a slider, reset.

The server is ``encircle-sim``'s own launcher on a free 127.0.0.1 port with no way out (see
conftest.py); the browser blocks every request to another host. The page shows the default
scenario (victory_will).
"""

from __future__ import annotations

import re
import time

import pytest

from encircle_sim.scenario_files import load_scenario
from encircle_sim.viz.server import APP_MODULE

pytestmark = [pytest.mark.slow, pytest.mark.browser]

STEPS = 3
TIMEOUT_MS = 60_000
MAP = "img.encircle-map-image"
CHARTS = "img.encircle-charts-image"


@pytest.fixture(scope="module")
def app_module() -> str:
    return APP_MODULE


def _src(page, selector: str) -> str:
    return page.eval_on_selector(selector, "e => e.src")


def _wait_drawn(page, selector: str) -> None:
    page.wait_for_function(
        "sel => { const e = document.querySelector(sel); "
        "return e && e.complete && e.naturalWidth > 300; }", arg=selector, timeout=TIMEOUT_MS)


def _wait_new_image(page, selector: str, before: str) -> None:
    page.wait_for_function(
        "([sel, before]) => { const e = document.querySelector(sel); "
        "return e && e.src !== before && e.complete && e.naturalWidth > 300; }",
        arg=[selector, before], timeout=TIMEOUT_MS)


def live_server_root(live_server):
    """The folder the server runs in (the repository: see conftest.py)."""
    from pathlib import Path

    return Path(__file__).resolve().parents[2]


def _day(page) -> str:
    return page.locator(".encircle-day").inner_text()


def test_live_page_draws_steps_and_resets_offline(live_server, browser_page):
    page = browser_page.page
    t0 = time.monotonic()
    page.goto(live_server.url)

    # the map and the charts are drawn, and the status says where the campaign stands
    _wait_drawn(page, MAP)
    _wait_drawn(page, CHARTS)
    assert _day(page).startswith("Day 0 of 45")
    page.get_by_text("Phase 1: clear the perimeter").first.wait_for(timeout=TIMEOUT_MS)
    drawn_after = time.monotonic() - t0
    browser_page.screenshot("initial")

    # Step a few times: the day counter, the map and the charts follow
    map_before, charts_before = _src(page, MAP), _src(page, CHARTS)
    step = page.get_by_role("button", name="Step", exact=True)
    for i in range(1, STEPS + 1):
        step.click()
        day = f"Day {i * 0.25:g} of 45"
        page.locator(".encircle-day", has_text=day).wait_for(timeout=TIMEOUT_MS)
    page.get_by_text(f"Time: {STEPS}.0", exact=True).wait_for(timeout=TIMEOUT_MS)
    _wait_new_image(page, CHARTS, charts_before)
    _wait_new_image(page, MAP, map_before)
    browser_page.screenshot("after-steps")

    # Change a slider (keyboard on its thumb: one step up) and Reset: a new model from it
    cells = load_scenario("victory_will").insurgents.cells
    thumb = page.locator(".v-input", has_text="Cells in the pocket").locator(
        "[role=slider]")
    assert thumb.get_attribute("aria-valuenow") == str(cells)
    thumb.focus()
    thumb.press("ArrowRight")
    page.wait_for_function("([el, v]) => el.getAttribute('aria-valuenow') === v",
                           arg=[thumb.element_handle(), str(cells + 5)], timeout=TIMEOUT_MS)
    page.get_by_role("button", name="Reset", exact=True).click()
    page.locator(".encircle-day", has_text="Day 0 of 45").wait_for(timeout=TIMEOUT_MS)
    wanted = re.compile(rf"\b{cells + 5} of {cells + 5} cells still active")
    page.get_by_text(wanted).wait_for(timeout=TIMEOUT_MS)
    page.get_by_text(f"insurgents.cells={cells + 5}").wait_for(timeout=TIMEOUT_MS)
    _wait_drawn(page, MAP)
    shot = browser_page.screenshot("after-reset")
    assert shot.stat().st_size > 50_000

    # nothing left this machine; every front-end file came from the local cache
    assert browser_page.outside_requests() == [], browser_page.outside_requests()
    failed = {u: s for u, s in browser_page.responses.items() if s >= 400}
    assert failed == {}, failed
    assert browser_page.failed == [], browser_page.failed
    assert live_server.offline_problems() == [], live_server.offline_problems()
    assert any("/_solara/cdn/" in u for u in browser_page.responses)
    # and the browser saw no errors
    assert browser_page.page_errors == [], browser_page.page_errors
    assert browser_page.console_errors() == [], browser_page.console_errors()
    print(f"server ready after {live_server.startup_seconds:.1f} s; page drawn "
          f"{drawn_after:.1f} s after opening it")


def test_replay_of_a_run_folder_scrubs_in_the_browser(live_server, browser_page, tmp_path):
    from encircle_sim.replay import open_run_folder
    from encircle_sim.runner import run

    folder = tmp_path / "quick-run"
    run("quick", out=folder, plots=False)
    record = open_run_folder(folder)
    page = browser_page.page
    page.goto(live_server.url)
    _wait_drawn(page, MAP)
    page.get_by_label("Run folder").fill(str(folder))
    page.get_by_role("button", name="Open", exact=True).click()
    last_day = f"Day {record.row(record.last_step)['day']:g} of "
    page.locator(".encircle-day", has_text=last_day).wait_for(timeout=TIMEOUT_MS)
    page.get_by_text("replay of quick").first.wait_for(timeout=TIMEOUT_MS)
    _wait_drawn(page, MAP)
    map_before = _src(page, MAP)
    for _ in range(3):  # three steps back along the timeline
        page.locator(".encircle-replay-back").click()
    day = record.steps["day"].iloc[len(record.steps) - 4]
    page.locator(".encircle-day", has_text=f"Day {day:g} of ").wait_for(timeout=TIMEOUT_MS)
    _wait_new_image(page, MAP, map_before)
    browser_page.screenshot("replay")
    page.get_by_role("button", name="Back to the live model").click()
    page.locator(".encircle-day", has_text="Day 0 of 45").wait_for(timeout=TIMEOUT_MS)
    assert browser_page.page_errors == [], browser_page.page_errors
    assert browser_page.console_errors() == [], browser_page.console_errors()
    assert browser_page.outside_requests() == [], browser_page.outside_requests()


def test_order_branch_and_checkpoint_in_the_browser(live_server, browser_page):
    """Give an order, see it on the map and in the event feed; branch and see the comparison;
    save a checkpoint."""
    page = browser_page.page
    page.goto(live_server.url)
    _wait_drawn(page, MAP)
    step = page.get_by_role("button", name="Step", exact=True)
    for i in range(1, 5):
        step.click()
        page.locator(".encircle-day", has_text=f"Day {i * 0.25:g} of 45").wait_for(
            timeout=TIMEOUT_MS)
    _wait_drawn(page, MAP)
    map_before = _src(page, MAP)

    # the order: commit the reserve to the largest gap in the cordon (the form's default)
    page.get_by_text("Give an order", exact=True).click()
    page.get_by_role("button", name="Give order").click()
    page.locator(".encircle-order-ok").wait_for(timeout=TIMEOUT_MS)
    assert "commit the reserve" in page.locator(".encircle-order-ok").inner_text()
    page.locator(".encircle-feed-now", has_text="Order: commit the reserve").wait_for(
        timeout=TIMEOUT_MS)
    _wait_new_image(page, MAP, map_before)  # the reserve's new task and the order's target
    browser_page.screenshot("order-given")
    # a second reserve order cannot be carried out: said, and nothing changes
    page.get_by_role("button", name="Give order").click()
    page.locator(".encircle-order-error", has_text="no units left").wait_for(timeout=TIMEOUT_MS)

    # a branch: 'as planned' against a sealed border, 2 replications, 1 day ahead
    page.locator(".encircle-order-kind").click()
    page.get_by_role("option", name="set the border sealing").click()
    page.get_by_text("Branch here", exact=True).click()
    page.get_by_role("button", name="Add the order as an alternative").click()
    page.locator(".encircle-alternative").first.wait_for(timeout=TIMEOUT_MS)
    reps = page.get_by_label("Replications of each")
    reps.fill("2")
    reps.press("Enter")
    days = page.get_by_label("Days ahead (empty: to the end)")
    days.fill("1")
    days.press("Enter")
    page.get_by_role("button", name="Run branch").click()
    page.wait_for_function(
        "() => { const e = document.querySelector('img.encircle-branch-image'); "
        "return e && e.complete && e.naturalWidth > 300; }", timeout=TIMEOUT_MS * 3)
    assert page.locator(".encircle-day").inner_text().startswith("Day 1 of 45")  # stayed
    page.locator("img.encircle-branch-image").scroll_into_view_if_needed()
    browser_page.screenshot("branch")

    # a checkpoint of the campaign as it stands
    page.get_by_text("Checkpoint", exact=True).click()
    page.get_by_role("button", name="Save checkpoint").click()
    saved = page.get_by_text("Saved: checkpoints")
    saved.wait_for(timeout=TIMEOUT_MS)
    path = live_server_root(live_server) / saved.inner_text().removeprefix("Saved: ")
    assert path.is_file() and path.read_bytes().startswith(b"encircle-sim checkpoint")
    path.unlink()

    assert browser_page.page_errors == [], browser_page.page_errors
    assert browser_page.console_errors() == [], browser_page.console_errors()
    assert browser_page.outside_requests() == [], browser_page.outside_requests()
