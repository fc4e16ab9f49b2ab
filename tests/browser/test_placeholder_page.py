"""The live page works in a real browser with no internet (placeholder: Mesa's Epstein example).

To be replaced by the test of encircle-sim's own app; the fixtures in conftest.py stay.
"""

from __future__ import annotations

import hashlib
import re
import time
from pathlib import Path

import pytest

pytestmark = [pytest.mark.slow, pytest.mark.browser]

STEPS = 3
RENDER_TIMEOUT_MS = 60_000


@pytest.fixture(scope="module")
def app_module() -> str:
    return str(Path(__file__).with_name("placeholder_app.py"))


def _images(page) -> list[tuple[str, int]]:
    """(src, natural width) of the matplotlib figures (ipywidgets Image widgets) on the page."""
    return page.eval_on_selector_all(
        "img.widget-image", "els => els.map(e => [e.src, e.naturalWidth])"
    )


def _vega_fingerprint(page) -> str:
    """A hash of what the Altair chart (vega-embed) currently draws."""
    drawn = page.eval_on_selector_all(
        ".vega-embed",
        """els => els.map(e => {
            const c = e.querySelector('canvas');
            if (c) return c.toDataURL();
            const s = e.querySelector('svg');
            return s ? s.outerHTML : '';
        })""",
    )
    return hashlib.sha256("".join(drawn).encode()).hexdigest()


def _time_text(page) -> str:
    return page.get_by_text(re.compile(r"^Time: ")).inner_text()


def test_page_renders_and_steps_offline(live_server, browser_page):
    page = browser_page.page
    t0 = time.monotonic()
    page.goto(live_server.url)

    # The page is drawn: space drawing + matplotlib plot (two images), Altair chart, Markdown.
    page.wait_for_function(
        "() => [...document.querySelectorAll('img.widget-image')]"
        ".filter(e => e.complete && e.naturalWidth > 100).length >= 2",
        timeout=RENDER_TIMEOUT_MS,
    )
    page.locator(".vega-embed canvas, .vega-embed svg").first.wait_for(timeout=RENDER_TIMEOUT_MS)
    page.get_by_text("Placeholder summary").wait_for(timeout=RENDER_TIMEOUT_MS)
    assert _time_text(page) == "Time: 0.0"
    page.wait_for_timeout(500)  # let vega finish its first paint
    render_seconds = time.monotonic() - t0
    browser_page.screenshot("initial")

    images_before = _images(page)
    vega_before = _vega_fingerprint(page)

    # Step a few times; each click must advance the model's clock shown in the sidebar.
    step = page.get_by_role("button", name="Step")
    for i in range(1, STEPS + 1):
        step.click()
        page.get_by_text(f"Time: {i}.0", exact=True).wait_for(timeout=RENDER_TIMEOUT_MS)
    page.get_by_text(re.compile(rf"step {STEPS}\b")).wait_for(timeout=RENDER_TIMEOUT_MS)

    # The figures were redrawn: new image data for space and plot, a different Altair chart.
    page.wait_for_function(
        "before => { const now = [...document.querySelectorAll('img.widget-image')]"
        ".map(e => e.src); return before.every(src => !now.includes(src)); }",
        arg=[src for src, _ in images_before],
        timeout=RENDER_TIMEOUT_MS,
    )
    deadline = time.monotonic() + 20
    while _vega_fingerprint(page) == vega_before and time.monotonic() < deadline:
        page.wait_for_timeout(250)
    assert _vega_fingerprint(page) != vega_before, "the Altair chart did not change after stepping"
    shot = browser_page.screenshot("after-steps")
    assert shot.stat().st_size > 10_000

    # Nothing left this machine (routes abort it; websockets are checked from the log).
    outside = browser_page.outside_requests()
    assert outside == [], f"the page tried to reach other hosts: {outside}"
    # Every front-end file came from the server's cache, and the server never went online.
    bad = {u: s for u, s in browser_page.responses.items() if s >= 400}
    assert bad == {}, f"requests that failed: {bad}"
    assert browser_page.failed == [], browser_page.failed
    cdn_seen = [u for u in browser_page.responses if "/_solara/cdn/" in u]
    assert cdn_seen, "the page loaded nothing through Solara's asset proxy?"
    assert live_server.offline_problems() == [], live_server.offline_problems()
    cdn_served = live_server.cdn_requests()
    assert len(cdn_served) >= len(cdn_seen), (cdn_served, cdn_seen)
    # No errors in the browser.
    assert browser_page.page_errors == [], browser_page.page_errors
    assert browser_page.console_errors() == [], browser_page.console_errors()

    print(f"server ready after {live_server.startup_seconds:.1f} s; page drawn after "
          f"{render_seconds:.1f} s; {len(cdn_served)} asset requests served from the cache")
