"""The page's own Solara components: status, map, charts, event feed, replay, scenario picker.

Every component draws a :class:`~encircle_sim.viz.moment.Moment` (a live model's current step, or
a step of a replayed run), so the live campaign and the replay look and behave the same.

:func:`CampaignView` is the one component that reads ``update_counter`` (Mesa's signal that the
model stepped or was reset) and hands the count down inside the moment's key: every component that
reads it costs Solara a separate render pass per step, so one reader keeps a step's redraw to one
pass. The map and chart components build their pictures themselves on every new moment, which
keeps overlays intact from step to step (Mesa's ``SpaceRenderer.post_process`` overlays were
wiped on the next step). The pictures come from :mod:`mapframe` and :mod:`charts`, which redraw
only what changed.

Layout (checked in headless Chromium at 1400x900): the status across the top; below it the map,
as wide as the column allows, and beside it a column with the charts and the event feed (they
wrap below the map on a narrow screen).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import solara
from mesa.visualization.utils import update_counter

from encircle_sim import narrative
from encircle_sim.viz import charts, mapframe
from encircle_sim.viz.live_model import describe
from encircle_sim.viz.moment import Moment, moment_of

CELL_VIEWS = {"ground truth": mapframe.SHOW_ALL, "what the forces know": mapframe.SHOW_KNOWN}
EXTENTS = {"operation area": True, "whole map": False}
LAYERS = ("cordon", "caches", "links", "events")
#: The map's pixel width (its height follows the map's aspect); the charts' pixel size.
MAP_WIDTH = 680
CHART_SIZE = (340, 540)
#: Lines in the event feed (this step first, then earlier steps), and how far back it looks.
FEED_LINES = 14
FEED_STEPS = 8
#: Pictures at their own size (they are drawn for it), shrunk to fit a narrower column.
CSS = """
.encircle-map-image, .encircle-charts-image, .encircle-legend-image {
    max-width: 100%; height: auto; display: block; }
.encircle-map .v-btn-toggle .v-btn { font-size: 0.68rem; padding: 0 6px !important;
    min-width: 0 !important; height: 28px !important; letter-spacing: 0; }
/* the page's outer columns hold empty helper elements: no gaps for them above the status */
.solara-autorouter-content > .v-sheet, .solara-autorouter-content > .v-sheet > .v-sheet {
    row-gap: 0px !important; }
.encircle-status { font-size: 0.9rem; line-height: 1.35; }
.encircle-feed { font-size: 0.8rem; line-height: 1.3; height: 140px; overflow-y: auto;
    border: 1px solid #ddd; border-radius: 3px; padding: 2px 4px; }
.encircle-feed .encircle-feed-now { color: #000; }
.encircle-feed .encircle-feed-earlier { color: #666; }
.encircle-side-title { font-weight: bold; font-size: 0.85rem; margin-top: 4px; }
"""


def default_zoom(source) -> bool:
    """Zoom to the operation when it is all there is to see; the whole map with Syria on."""
    return mapframe.default_zoom(source)


def calendar_date(spec, day: float) -> str | None:
    start = getattr(spec.time, "start_date", None)
    if start is None:
        return None
    when = dt.datetime.combine(start, dt.time()) + dt.timedelta(days=day)
    return when.strftime("%d %B %Y, %H:%M")


def status_lines(source) -> list[str]:
    """The campaign's state in plain words: the day, the phase, then the counts (of a live
    model or a moment)."""
    m = moment_of(source)
    r = m.row
    when = calendar_date(m.spec, m.day)
    lines = [f"Day {m.day:g} of {m.max_day:g}" + (f" ({when})" if when else ""),
             str(r["phase_name"]) + ("" if m.running else " - the campaign is over")]
    counts = []
    if m.plan_active:
        counts.append(f"{r['iraq_cells_active']} of {m.iraq_cells_initial} cells still "
                      f"active ({r['iraq_fighters_active']} fighters), pocket "
                      f"{float(r['pocket_area_km2']):,.0f} km²")
        counts.append(f"{r['iraq_killed']} killed, {r['iraq_dissolved']} dissolved, "
                      f"{r['iraq_captured']} captured, "
                      f"{r['escaped_cordon']} escaped through the cordon, "
                      f"{r['escaped_border']} over the border")
    if m.spec.theatres.syria:
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


def feed_lines(moment: Moment, lines: int = FEED_LINES, steps: int = FEED_STEPS
               ) -> list[tuple[bool, str]]:
    """(this step?, text) of the feed: this step's events in words, then earlier steps' (with
    their day), newest first, at most ``lines``."""
    out: list[tuple[bool, str]] = []
    dt_days = float(moment.spec.time.step_hours) / 24.0
    for back in range(steps):
        step = moment.step - back
        if step < 0 or len(out) >= lines:
            break
        rows = moment.events(step)
        rows = ([r for r in rows if r.get("kind", "").startswith("order")]
                + [r for r in rows if not r.get("kind", "").startswith("order")])  # orders first
        said = narrative.sentences(rows)
        if back == 0:
            if len(said) > lines:
                said = said[: lines - 1] + [f"... and {len(said) - lines + 1} more this step"]
            out += [(True, s) for s in said]
        else:
            out += [(False, f"day {step * dt_days:g}: {s}") for s in said]
    return out[:lines]


@solara.component
def CampaignStatus(moment: Moment, notes: list[str], changes: str = ""):
    """The current day and phase in plain words, the counts, and notes about the controls."""
    day, phase, counts = status_lines(moment)
    with solara.Column(gap="0px", classes=["encircle-status"]):
        with solara.Row(gap="16px", style={"flex-wrap": "wrap"}):
            solara.Text(day, style={"font-weight": "bold"}, classes=["encircle-day"])
            solara.Text(phase, style={"font-weight": "bold"}, classes=["encircle-phase"])
        solara.Text(counts, classes=["encircle-counts"])
        if changes:
            solara.Text(changes, style={"font-size": "0.85em", "color": "#555"},
                        classes=["encircle-changes"])
        for note in notes:
            solara.Warning(note, dense=True)


@solara.component
def CampaignMap(moment: Moment):
    """The map as the model sees it, with the campaign on top and the map options above it."""
    cell_view, set_cell_view = solara.use_state(mapframe.SHOW_ALL)
    zoom, set_zoom = solara.use_state(default_zoom(moment))
    shown, set_shown = solara.use_state(["cordon", "events"])
    layers = mapframe.Layers(cells=cell_view, cordon="cordon" in shown, caches="caches" in shown,
                             links="links" in shown, events="events" in shown)
    frame = mapframe.frame_for(moment, zoom=zoom, size_px=(MAP_WIDTH, None), legend=False)
    image = solara.use_memo(lambda: frame.render(moment.picture(), layers),
                            [moment.key, layers, zoom])
    with solara.Column(gap="4px", classes=["encircle-map"]):
        with solara.Row(gap="6px", style={"flex-wrap": "wrap", "align-items": "center"}):
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
        with solara.Details("Legend", expand=False):
            solara.Image(mapframe.legend_image(), format="png",
                         classes=["encircle-legend-image"])


@solara.component
def CampaignCharts(moment: Moment):
    """Cells in the pocket, neutralised, escaped, pocket area, casualties, attacks elsewhere."""
    live = solara.use_memo(lambda: charts.LiveCharts(moment, size_px=CHART_SIZE),
                           [moment.key[:2], moment.max_day])
    image = solara.use_memo(lambda: live.render(moment), [live, moment.key])
    solara.Image(image, format="png", classes=["encircle-charts-image"])


@solara.component
def EventFeed(moment: Moment):
    """This step's contacts, escapes and attacks in words, with place names; then earlier."""
    lines = feed_lines(moment)
    with solara.Column(gap="2px", classes=["encircle-feed"]):
        if not any(now for now, _ in lines):
            solara.Text("Nothing reported this step.", classes=["encircle-feed-quiet"])
        for now, text in lines:
            solara.Text(text, classes=["encircle-feed-now" if now else "encircle-feed-earlier"])


@solara.component
def MomentView(moment: Moment, notes: list[str], changes: str = "", model_reactive=None,
               job=None, set_job=None):
    """Status on top; the map, with the charts and the event feed beside it. With the live
    model (``model_reactive``), the command post above the feed and a branch's result under
    the map."""
    from encircle_sim.viz.command import BranchResult, CommandPost

    solara.Style(CSS)
    with solara.Column(gap="8px"):
        CampaignStatus(moment, notes, changes)
        with solara.Row(gap="12px", style={"flex-wrap": "wrap", "align-items": "flex-start"}):
            with solara.Column(style={"flex": "1 1 560px", "min-width": "0",
                                      "max-width": f"{MAP_WIDTH}px"}):
                CampaignMap(moment)
            with solara.Column(gap="4px", style={"flex": "1 1 300px", "min-width": "0",
                                                 "max-width": f"{CHART_SIZE[0]}px"}):
                if model_reactive is not None:
                    CommandPost(model_reactive, job, set_job)
                solara.Text("Events (this step first)", classes=["encircle-side-title"])
                EventFeed(moment)
                CampaignCharts(moment)
        if model_reactive is not None:
            BranchResult(job)


@solara.component
def CampaignView(model, model_reactive=None, job=None, set_job=None):
    """The main area for the live model (with the command post when ``model_reactive`` is
    given)."""
    tick = update_counter.get()  # the only reader of Mesa's step signal on this page
    moment = Moment.of_model(model, tick)
    MomentView(moment, list(getattr(model, "notes", [])),
               changes_text(getattr(model, "overrides", {})), model_reactive, job, set_job)


@solara.component
def ReplayView(record):
    """The main area for a replayed run: a timeline to scrub, and the moment it points at."""
    index, set_index = solara.use_state(len(record.steps) - 1)
    index = min(max(index, 0), len(record.steps) - 1)
    step = int(record.steps["step"].iloc[index])
    moment = Moment.of_record(record, step)
    last = len(record.steps) - 1
    with solara.Column(gap="4px"):
        with solara.Row(gap="8px", style={"align-items": "center", "flex-wrap": "wrap"}):
            solara.Button("◀", on_click=lambda: set_index(max(index - 1, 0)),
                          disabled=index == 0, small=True, classes=["encircle-replay-back"])
            solara.Button("▶", on_click=lambda: set_index(min(index + 1, last)),
                          disabled=index == last, small=True,
                          classes=["encircle-replay-forward"])
            with solara.Div(style={"flex": "1 1 300px"}):
                solara.SliderInt(f"Day {moment.day:g} (step {step})", value=index,
                                 on_value=set_index, min=0, max=last,
                                 thumb_label=False)
        folder = record.folder
        note = [f"Replay of {folder}" + ("" if record.summary.get("completed", True)
                                         else " (an interrupted run)")] if folder else []
        MomentView(moment, [], " ".join(note))


def run_folders(root: Path) -> list[Path]:
    """Run folders (with a replay file) under ``root``, newest first."""
    from encircle_sim.recording import REPLAY_FILE

    if not root.is_dir():
        return []
    found = [p.parent for p in root.glob(f"*/{REPLAY_FILE}")]
    return sorted(found, key=lambda p: p.stat().st_mtime, reverse=True)


@solara.component
def ReplayPicker(on_open, current=None):
    """Open a run folder to replay: a path, or one of the runs under ./runs."""
    path, set_path = solara.use_state(str(current.folder) if current is not None else "")
    error, set_error = solara.use_state("")
    found = solara.use_memo(lambda: [str(p) for p in run_folders(Path("runs"))], [])

    def open_folder(folder: str):
        from encircle_sim.replay import open_run_folder
        from encircle_sim.scenario_files import ScenarioError

        try:
            record = open_run_folder(folder.strip())
        except ScenarioError as err:
            set_error(err.report())
            return
        set_error("")
        set_path(folder)
        on_open(record)

    if found:
        solara.Select(label="Runs in ./runs", value=None, values=found, on_value=open_folder)
    solara.InputText("Run folder", value=path, on_value=set_path, continuous_update=True)
    with solara.Row():
        solara.Button("Open", on_click=lambda: open_folder(path), disabled=not path.strip(),
                      classes=["encircle-replay-open"])
        if current is not None:
            solara.Button("Back to the live model", on_click=lambda: on_open(None),
                          classes=["encircle-replay-close"])
    if error:
        solara.Error(error, classes=["encircle-replay-error"])


@solara.component
def ScenarioPicker(current: str, choices: list[str], on_choose):
    """The bundled scenarios (and the user's file, if one was given); choosing one loads it."""
    solara.Select(label="Scenario", value=current, values=choices, on_value=on_choose)
    solara.Text(f"Loaded: {describe(current)}. Choosing another loads it at once; the "
                "parameters below then start from its values.", style={"font-size": "0.8em"})
