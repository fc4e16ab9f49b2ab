"""The live page: Mesa's SolaraViz with encircle-sim's map, charts, status and scenario picker.

``CampaignPage(scenario)`` is a Solara component; as the last expression of a Jupyter cell it
displays the page in the notebook, and ``app.py`` serves it with ``solara run``.
``CampaignPage(replay="runs/demo")`` opens a run folder for replay instead (the sidebar's
"Replay a run" card does the same, and goes back to the live model).

SolaraViz provides the app bar, the Step / Play / Pause / Reset controls and the
model-parameter inputs (which rebuild the model on Reset). This module adds the scenario picker
to the sidebar, and the campaign status, the map and the charts to the main area.
Choosing another scenario builds its model at once and re-creates the SolaraViz page, so that the
sliders start from that scenario's own values (Mesa's inputs keep the value they were made with).

The map and charts are not handed to SolaraViz's ``components=`` grid: that grid gives every
component half the width and about 390 px of height, in which the map of the default scenario is
not readable. They sit beside SolaraViz instead, on the model reactive that SolaraViz steps and
resets, and redraw on the same ``update_counter`` signal as Mesa's own components.
"""

from __future__ import annotations

from typing import Any

import solara
from mesa.visualization import Slider, SolaraViz

from encircle_sim.scenario import Scenario
from encircle_sim.scenario_files import DEFAULT_SCENARIO, load_scenario
from encircle_sim.viz.components import (
    CampaignView,
    ReplayPicker,
    ReplayView,
    ScenarioPicker,
)
from encircle_sim.viz.live_model import (
    MAX_DETECTION,
    MAX_FORCE_LEVEL,
    LiveCampaignModel,
    describe,
    scenario_choices,
)

#: SolaraViz's pause between steps while playing (ms); drawing a frame takes longer than a step.
PLAY_INTERVAL_MS = 20


def cells_slider(sc: Scenario) -> Slider:
    n = sc.insurgents.cells
    top = max(200, 4 * n)
    step = 5 if n % 5 == 0 else 1
    return Slider("Cells in the pocket", n, 0, top - top % step, step)


def model_params(scenario_name: str) -> dict[str, Any]:
    """SolaraViz's ``model_params`` for one scenario: fixed name, inputs at the scenario's
    values."""
    sc = load_scenario(scenario_name)
    params: dict[str, Any] = {
        "scenario_name": scenario_name,
        "cells": cells_slider(sc),
        "force_level": Slider("Force level (x units)", 1.0, 0.25, MAX_FORCE_LEVEL, 0.25),
        "detection": Slider("Detection (x p_detect)", 1.0, 0.25, MAX_DETECTION, 0.25),
        "border_sealing": Slider("Border sealing", float(sc.border.sealing), 0.0, 1.0, 0.05),
    }
    if sc.theatres.syria:
        params["retaliation"] = {"type": "Checkbox", "value": bool(sc.retaliation.enabled),
                                 "label": "Retaliation in Syria"}
        params["pressure_gain"] = Slider("Pressure gain (x attacks)",
                                         float(sc.retaliation.pressure_gain), 0.0,
                                         max(20.0, float(sc.retaliation.pressure_gain)), 0.5)
    params["seed"] = {"type": "InputText", "value": str(sc.seed), "label": "Seed (whole number)"}
    return params


def open_replay(folder: str | None):
    """The run folder to replay first, read (None for none)."""
    if not folder:
        return None
    from encircle_sim.replay import open_run_folder

    return open_run_folder(folder)


@solara.component
def CampaignPage(scenario: str = DEFAULT_SCENARIO, choices: list[str] | None = None,
                 replay: str | None = None):
    """The whole page for ``scenario`` (a bundled name or a scenario file); ``replay``: a run
    folder to replay first instead of the live model."""
    name, set_name = solara.use_state(scenario)
    offered = choices or scenario_choices(scenario)
    record, set_record = solara.use_state(solara.use_memo(lambda: open_replay(replay), []))
    job, set_job = solara.use_state(None)  # the last branch started from the page
    # The model lives in a reactive we own, so the sidebar status follows SolaraViz's resets.
    model = solara.use_memo(lambda: solara.reactive(LiveCampaignModel(name)), [name])
    params = solara.use_memo(lambda: model_params(name), [name])
    with solara.Sidebar():
        if record is None:
            with solara.Card("Scenario"):
                ScenarioPicker(name, offered, set_name)
        with solara.Card("Replay a run"):
            ReplayPicker(set_record, record)
    if record is not None:
        with solara.AppBar():
            solara.AppBarTitle(f"encircle-sim: replay of {record.name}")
        ReplayView(record).key(f"replay-{id(record)}")
        return
    SolaraViz(
        model,
        components=[],
        model_params=params,
        name=f"encircle-sim: {describe(name)}",
        play_interval=PLAY_INTERVAL_MS,
    ).key(f"viz-{name}")
    CampaignView(model.value, model, job, set_job)
