"""The page's own Solara components: campaign status, map, charts, scenario picker.

:func:`CampaignView` is the one component that reads ``update_counter`` (Mesa's signal that the
model stepped or was reset) and hands the count down as ``tick``: every component that reads it
costs Solara a separate render pass per step, so one reader keeps a step's redraw to one pass.
The map and chart components build their pictures themselves on every tick, which keeps overlays
intact from step to step (Mesa's ``SpaceRenderer.post_process`` overlays were wiped on the next
step). The pictures come from :mod:`mapframe` and :mod:`charts`, which redraw only what changed.
"""

from __future__ import annotations

import datetime as dt

import solara
from mesa.visualization.utils import update_counter

from encircle_sim.viz import charts, mapframe
from encircle_sim.viz.live_model import describe

CELL_VIEWS = {"all cells": mapframe.SHOW_ALL, "detected only": mapframe.SHOW_DETECTED}
EXTENTS = {"operation area": True, "whole map": False}
LAYERS = ("cordon", "caches", "links", "events")
#: Pictures at their own size (they are drawn for it), shrunk to fit a narrower column.
CSS = """
.encircle-map-image, .encircle-charts-image { max-width: 100%; height: auto; display: block; }
.encircle-map .v-btn-toggle .v-btn { font-size: 0.72rem; padding: 0 8px; }
.encircle-status { font-size: 0.9rem; line-height: 1.35; }
"""


def default_zoom(model) -> bool:
    """Zoom to the operation when it is all there is to see; the whole map with Syria on."""
    return bool(model.plan.active and not model.spec.theatres.syria)


def calendar_date(model) -> str | None:
    start = getattr(model.spec.time, "start_date", None)
    if start is None:
        return None
    when = dt.datetime.combine(start, dt.time()) + dt.timedelta(days=model.day)
    return when.strftime("%d %B %Y, %H:%M")


def status_lines(model) -> list[str]:
    """The campaign's state in plain words: the day, the phase, then the counts."""
    r = model.record
    max_days = model.max_steps * model.dt_days
    when = calendar_date(model)
    lines = [f"Day {model.day:g} of {max_days:g}" + (f" ({when})" if when else ""),
             model.phase_label + ("" if model.running else " - the campaign is over")]
    counts = []
    if model.plan.active:
        counts.append(f"{r['iraq_cells_active']} of {model.iraq_cells_initial} cells still "
                      f"active ({r['iraq_fighters_active']} fighters), pocket "
                      f"{r['pocket_area_km2']:,.0f} km²")
        counts.append(f"{r['iraq_killed']} killed, {r['iraq_dissolved']} dissolved, "
                      f"{r['iraq_captured']} captured, "
                      f"{r['escaped_cordon']} escaped through the cordon, "
                      f"{r['escaped_border']} over the border")
    if model.spec.theatres.syria:
        counts.append(f"{r['attacks_syria_total']} attacks in the Syrian theatre, "
                      f"{r['syria_cells_active']} sleeper cells active")
    counts.append(f"casualties: {r['sf_casualties_total']} security forces, "
                  f"{r['civilian_casualties_total']} civilians")
    return lines + ["; ".join(counts)]


def changes_text(overrides: dict) -> str:
    """What the page's controls changed in the scenario, in one line."""
    plain = [f"{k}={v}" for k, v in overrides.items() if "[" not in k and "p_detect" not in k]
    n_forces = sum(1 for k in overrides if k.startswith("forces["))
    n_types = sum(1 for k in overrides if k.endswith(".p_detect"))
    if n_forces:
        plain.append(f"units of {n_forces} formation(s)")
    if n_types:
        plain.append(f"p_detect of {n_types} unit type(s)")
    return "Changed from the scenario: " + ", ".join(plain) if plain else ""


@solara.component
def CampaignStatus(model, tick: int):
    """The current day and phase in plain words, the counts, and notes about the controls."""
    day, phase, counts = status_lines(model)
    with solara.Column(gap="0px", classes=["encircle-status"]):
        with solara.Row(gap="16px", style={"flex-wrap": "wrap"}):
            solara.Text(day, style={"font-weight": "bold"}, classes=["encircle-day"])
            solara.Text(phase, style={"font-weight": "bold"}, classes=["encircle-phase"])
        solara.Text(counts, classes=["encircle-counts"])
        changed = changes_text(getattr(model, "overrides", {}))
        if changed:
            solara.Text(changed, style={"font-size": "0.85em", "color": "#555"},
                        classes=["encircle-changes"])
        for note in getattr(model, "notes", []):
            solara.Warning(note, dense=True)


@solara.component
def CampaignMap(model, tick: int):
    """The map as the model sees it, with the campaign on top and the map options above it."""
    cell_view, set_cell_view = solara.use_state(mapframe.SHOW_ALL)
    zoom, set_zoom = solara.use_state(default_zoom(model))
    shown, set_shown = solara.use_state(["cordon", "events"])
    layers = mapframe.Layers(cells=cell_view, cordon="cordon" in shown, caches="caches" in shown,
                             links="links" in shown, events="events" in shown)
    frame = mapframe.frame_for(model, zoom=zoom)
    image = solara.use_memo(lambda: frame.render(model, layers),
                            [model, model.steps, tick, layers, zoom])
    with solara.Column(gap="4px", classes=["encircle-map"]):
        with solara.Row(gap="8px", style={"flex-wrap": "wrap", "align-items": "center"}):
            solara.ToggleButtonsSingle(
                value=next(k for k, v in CELL_VIEWS.items() if v == cell_view),
                values=list(CELL_VIEWS), on_value=lambda k: set_cell_view(CELL_VIEWS[k]),
                dense=True)
            solara.ToggleButtonsSingle(
                value=next(k for k, v in EXTENTS.items() if v == zoom), values=list(EXTENTS),
                on_value=lambda k: set_zoom(EXTENTS[k]), dense=True)
            solara.ToggleButtonsMultiple(value=shown, values=list(LAYERS), on_value=set_shown,
                                         dense=True)
        solara.Image(image, format=frame.format, classes=["encircle-map-image"])


@solara.component
def CampaignCharts(model, tick: int):
    """Cells in the pocket, neutralised, escaped, pocket area, casualties, attacks elsewhere."""
    live = solara.use_memo(lambda: charts.LiveCharts(model), [model])
    image = solara.use_memo(lambda: live.render(model), [model, model.steps, tick])
    solara.Image(image, format="png", classes=["encircle-charts-image"])


@solara.component
def CampaignView(model):
    """The main area: the status, then the map with the charts beside it (below when narrow)."""
    tick = update_counter.get()  # the only reader of Mesa's step signal on this page
    solara.Style(CSS)
    with solara.Column(gap="8px"):
        CampaignStatus(model, tick)
        with solara.Row(gap="12px", style={"flex-wrap": "wrap", "align-items": "flex-start"}):
            with solara.Column(style={"flex": "1 1 600px", "min-width": "0",
                                      "max-width": f"{mapframe.FRAME_SIZE[0]}px"}):
                CampaignMap(model, tick)
            with solara.Column(style={"flex": "0 1 340px", "min-width": "0",
                                      "max-width": f"{charts.CHART_SIZE[0]}px"}):
                CampaignCharts(model, tick)


@solara.component
def ScenarioPicker(current: str, choices: list[str], on_choose):
    """The bundled scenarios (and the user's file, if one was given); choosing one loads it."""
    solara.Select(label="Scenario", value=current, values=choices, on_value=on_choose)
    solara.Text(f"Loaded: {describe(current)}. Choosing another loads it at once; the "
                "parameters below then start from its values.", style={"font-size": "0.8em"})
