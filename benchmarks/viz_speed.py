"""How fast is the live page? Model step vs. rendered frame, server side, and steps/s when playing.

    .venv/bin/python benchmarks/viz_speed.py [--scenario victory_will] [--steps 60]
                                             [--play-seconds 15] [--no-browser]

Measured in one run, side by side (run-to-run noise on a shared 2-core machine is +-20%, so the
ratios are what to compare):

1. per model step: ``model.step()`` of the scenario;
2. per map frame and per chart frame: ``MapFrame.render`` / ``LiveCharts.render`` on the same
   states (static background cached, only the dynamic layer drawn, image encoded);
3. per Step click on the whole page, server side: ``solara.render`` of the page in-process,
   clicking Step (model step + every component re-rendered + widget updates), minus the model
   step measured on a twin model with the same seed;
4. steps per second the page reaches when playing, in headless Chromium (Debian's ``chromium``),
   served offline with the project's launcher, default play interval.
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import time
from pathlib import Path


def ms(values: list[float]) -> str:
    mean, median = 1000 * statistics.mean(values), 1000 * statistics.median(values)
    return f"{mean:7.1f} ms (median {median:.1f})"


def frames(scenario: str, steps: int) -> dict[str, list[float]]:
    from encircle_sim.viz import charts, mapframe
    from encircle_sim.viz.components import CHART_SIZE, MAP_WIDTH, default_zoom
    from encircle_sim.viz.live_model import LiveCampaignModel

    model = LiveCampaignModel(scenario)
    t0 = time.perf_counter()
    size = (MAP_WIDTH, None)  # as the page draws it
    zoomed = mapframe.MapFrame(model, zoom=default_zoom(model), size_px=size, legend=False)
    whole = mapframe.MapFrame(model, zoom=False, size_px=size, legend=False)
    background = (time.perf_counter() - t0) / 2
    live = charts.LiveCharts(model, size_px=CHART_SIZE)
    out: dict[str, list[float]] = {"step": [], "map": [], "map_whole": [], "charts": [],
                                   "background": [background]}
    for _ in range(steps):
        if not model.running:
            break
        t = time.perf_counter()
        model.step()
        out["step"].append(time.perf_counter() - t)
        t = time.perf_counter()
        zoomed.render(model)
        out["map"].append(time.perf_counter() - t)
        t = time.perf_counter()
        whole.render(model, mapframe.Layers(caches=True, links=True))
        out["map_whole"].append(time.perf_counter() - t)
        t = time.perf_counter()
        live.render(model)
        out["charts"].append(time.perf_counter() - t)
    return out


def page_clicks(scenario: str, steps: int) -> dict[str, list[float]]:
    import ipyvuetify as v
    import solara

    from encircle_sim.viz.live_model import LiveCampaignModel
    from encircle_sim.viz.page import CampaignPage

    @solara.component
    def App():
        with solara.AppLayout():
            CampaignPage(scenario)

    _, rc = solara.render(App(), handle_error=False)
    step = rc.find(v.Btn, children=["Step"]).widget
    twin = LiveCampaignModel(scenario)  # same scenario and seed: the same states, step by step
    out: dict[str, list[float]] = {"click": [], "twin_step": []}
    for _ in range(steps):
        if not twin.running:
            break
        t = time.perf_counter()
        step.click()
        out["click"].append(time.perf_counter() - t)
        t = time.perf_counter()
        twin.step()
        out["twin_step"].append(time.perf_counter() - t)
    rc.close()
    return out


def browser_play(scenario: str, seconds: float) -> dict[str, float]:
    import os

    from playwright.sync_api import sync_playwright

    from encircle_sim.viz import server

    chromium = os.environ.get("ENCIRCLE_SIM_CHROMIUM") or "chromium"
    os.environ[server.ENV_SCENARIO] = scenario
    port = server.free_port()
    log = open(Path("test-artifacts") / "bench-server.log", "w")  # noqa: SIM115
    proc = server.start(server.APP_MODULE, "127.0.0.1", port, offline=True, stdout=log)
    url = server.url_for("127.0.0.1", port)
    try:
        server.wait_until_ready(url, 120, proc)
        with sync_playwright() as pw:
            import shutil

            browser = pw.chromium.launch(executable_path=shutil.which(chromium) or chromium,
                                         headless=True, args=["--no-sandbox", "--disable-gpu"])
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.goto(url)
            page.wait_for_function("() => { const e = document.querySelector("
                                   "'img.encircle-map-image'); return e && e.naturalWidth > 300 }",
                                   timeout=120_000)

            def steps_shown() -> int:
                text = page.get_by_text(re.compile(r"^Time: ")).inner_text()
                return int(float(text.split(":")[1]))

            start = steps_shown()
            page.get_by_role("button", name="▶").click()
            t0 = time.monotonic()
            page.wait_for_timeout(seconds * 1000)
            page.get_by_role("button", name="❚❚").click()
            elapsed = time.monotonic() - t0
            page.wait_for_timeout(1500)  # the last step in flight is shown
            done = steps_shown() - start
            browser.close()
        return {"steps": done, "seconds": elapsed}
    finally:
        server.stop(proc)
        log.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--scenario", default="victory_will")
    parser.add_argument("--steps", type=int, default=60)
    parser.add_argument("--play-seconds", type=float, default=15.0)
    parser.add_argument("--no-browser", action="store_true")
    args = parser.parse_args(argv)
    Path("test-artifacts").mkdir(exist_ok=True)

    f = frames(args.scenario, args.steps)
    p = page_clicks(args.scenario, args.steps)
    step = statistics.mean(f["step"])
    print(f"scenario {args.scenario}, {len(f['step'])} steps, Python {sys.version.split()[0]}")
    print(f"  model step                          {ms(f['step'])}")
    print(f"  map frame (page default view)       {ms(f['map'])}   "
          f"= {statistics.mean(f['map']) / step:.2f} x step")
    print(f"  map frame (whole map, all layers)   {ms(f['map_whole'])}   "
          f"= {statistics.mean(f['map_whole']) / step:.2f} x step")
    print(f"  chart frame                         {ms(f['charts'])}   "
          f"= {statistics.mean(f['charts']) / step:.2f} x step")
    print(f"  map background, once per geometry   {1000 * f['background'][0]:7.1f} ms")
    click = statistics.mean(p["click"])
    twin = statistics.mean(p["twin_step"])
    print(f"  page Step click, server side        {ms(p['click'])}")
    print(f"    of which model step (twin)        {ms(p['twin_step'])}")
    print(f"    rendering the page per step       {1000 * (click - twin):7.1f} ms   "
          f"= {(click - twin) / twin:.2f} x step")
    if not args.no_browser:
        b = browser_play(args.scenario, args.play_seconds)
        print(f"  playing in Chromium: {b['steps']} steps in {b['seconds']:.1f} s = "
              f"{b['steps'] / b['seconds']:.1f} steps/s "
              f"(upper bound from the server side alone: {1 / click:.1f} steps/s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
