"""The page's command post: give an order, branch from here, save and load checkpoints.

Three panels beside the map (live model only):

* **Give an order**: a short form (the order, then what it needs: formation, task, axis, sector,
  place, radius, value, cell, air asset). The order is checked and carried out at once
  (``model.order``), takes effect at the next step, and shows in the event feed and on the map;
  a bad one is reported with what is allowed, and nothing changes.
* **Branch here**: orders from the form added as alternatives; "Run branch" copies the campaign
  as it stands and runs "as planned" and every alternative a few times with common random
  numbers (``branches.py``) in the background, while the main campaign stays where it is; the
  comparison chart then appears under the map.
* **Checkpoint**: save the campaign as it stands to ``checkpoints/`` (and download it), or load
  one saved there or in a run folder's ``checkpoints/``. Only those folders are offered:
  restoring a checkpoint runs code stored in it, so the page loads no file from elsewhere.
"""

from __future__ import annotations

import io
import re
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import solara
from mesa.visualization.utils import force_update

ORDER_LABELS = {
    "commit_reserve": "commit the reserve",
    "move": "move a formation",
    "task": "change a formation's task",
    "border_sealing": "set the border sealing",
    "search_intensity": "set the search intensity",
    "next_phase": "start the next phase now",
    "air_strike": "air strike on a located cell",
}
TARGETS = {"a cordon sector": "sector", "an axis": "axis", "a place": "place"}
SECTOR_LABELS = {"largest gap": "largest_gap", "north": "north", "north-east": "north-east",
                 "east": "east", "south-east": "south-east", "south": "south",
                 "south-west": "south-west", "west": "west", "north-west": "north-west"}
CHECKPOINT_DIR = Path("checkpoints")
_LATLON = re.compile(r"^\s*\[?\s*(-?\d+(?:\.\d+)?)\s*,\s*(-?\d+(?:\.\d+)?)\s*\]?\s*$")


def place_value(text: str) -> str | list[float] | None:
    """A place as typed: a gazetteer name, or "lat, lon" (None for nothing typed)."""
    text = (text or "").strip()
    if not text:
        return None
    m = _LATLON.match(text)
    return [float(m.group(1)), float(m.group(2))] if m else text


def order_from_form(form: dict[str, Any]) -> dict[str, Any]:
    """The order dict (as ``model.order`` takes it) of the form's current values: only the keys
    the chosen order uses."""
    kind = form.get("order", "commit_reserve")
    out: dict[str, Any] = {"order": kind}
    place = place_value(form.get("place", ""))
    radius = form.get("radius_km") or None
    if kind == "commit_reserve":
        target = form.get("target", "sector")
        if target == "sector":
            out["sector"] = form.get("sector", "largest_gap")
        elif target == "axis":
            out["axis"] = form.get("axis")
        else:
            out["place"] = place
        if radius and target != "axis":
            out["radius_km"] = float(radius)
    elif kind in ("move", "task"):
        out["formation"] = form.get("formation")
        if kind == "task":
            out["task"] = form.get("task", "hunt")
            if out["task"] == "axis":
                out["axis"] = form.get("axis")
            elif place is not None:
                out["place"] = place
        else:
            out["place"] = place
        if radius and out.get("task") != "axis":
            out["radius_km"] = float(radius)
    elif kind in ("border_sealing", "search_intensity"):
        out["value"] = form.get("value")
        if kind == "search_intensity" and form.get("theatre", "iraq") != "iraq":
            out["theatre"] = form["theatre"]
    elif kind == "air_strike":
        cell = form.get("cell")
        if cell not in (None, "", 0):
            out["cell"] = int(cell)
        else:
            out["place"] = place
        if form.get("air"):
            out["air"] = form["air"]
    return {k: v for k, v in out.items() if v is not None or k == "order"}


def form_defaults(model) -> dict[str, Any]:
    """What the form shows before it is touched: the campaign's current values."""
    from encircle_sim.orders import PHASE_KEYS

    spec = model.spec
    phase = PHASE_KEYS.get(model.plan.phase)
    intensity = getattr(spec.phases, phase).search_intensity if phase else 1.0
    value = {"border_sealing": spec.border.sealing, "search_intensity": intensity}
    names = [f.name for f in spec.forces]
    from encircle_sim.scenario import axis_names

    axes = axis_names(spec)
    return {"value": None, "_values": value, "formation": names[0] if names else None,
            "axis": axes[0] if axes else None, "theatre": "iraq" if spec.theatres.iraq
            else "syria"}


def filled(model, form: dict[str, Any]) -> dict[str, Any]:
    """The form with the values it shows but the user did not touch."""
    out = {**form_defaults(model), **{k: v for k, v in form.items() if v is not None}}
    if out.get("value") is None:
        out["value"] = out["_values"].get(out.get("order", ""))
    return out


def order_label(order: dict[str, Any]) -> str:
    """An order in a few words, for the list of alternatives."""
    words = ORDER_LABELS.get(order.get("order", ""), order.get("order", ""))
    details = [f"{v}" if k in ("formation", "sector", "task") else f"{k} {v}"
               for k, v in order.items() if k != "order"]
    return words + (f" ({', '.join(str(d) for d in details)})" if details else "")


@solara.component
def OrderForm(model, form, set_form, on_given=None):
    """The order form; "Give order" carries the order out on the live model."""
    from encircle_sim.orders import OrderError
    from encircle_sim.scenario import ORDER_TASKS, axis_names

    message, set_message = solara.use_state(("", ""))  # (kind, text)
    spec = model.spec
    kind = form.get("order", "commit_reserve")
    formations = [f.name for f in spec.forces]
    axes = axis_names(spec)

    def put(key):
        return lambda value: set_form({**form, key: value})

    shown = filled(model, form)  # what each input shows until it is changed

    solara.Select(label="Order", value=ORDER_LABELS[kind], values=list(ORDER_LABELS.values()),
                  on_value=lambda v: set_form({**form, "value": None, "order": next(
                      k for k, lab in ORDER_LABELS.items() if lab == v)}),
                  classes=["encircle-order-kind"])
    if kind == "commit_reserve":
        target = form.get("target", "sector")
        solara.ToggleButtonsSingle(value=next(k for k, v in TARGETS.items() if v == target),
                                   values=list(TARGETS), dense=True,
                                   on_value=lambda v: set_form({**form, "target": TARGETS[v]}))
        if target == "sector":
            sector = form.get("sector", "largest_gap")
            solara.Select(label="Sector of the cordon",
                          value=next(k for k, v in SECTOR_LABELS.items() if v == sector),
                          values=list(SECTOR_LABELS),
                          on_value=lambda v: set_form({**form, "sector": SECTOR_LABELS[v]}))
    if kind in ("move", "task"):
        solara.Select(label="Formation", value=shown.get("formation"), values=formations,
                      on_value=put("formation"))
    if kind == "task":
        solara.Select(label="New task", value=form.get("task", "hunt"),
                      values=list(ORDER_TASKS), on_value=put("task"))
    wants_axis = (kind == "commit_reserve" and form.get("target", "sector") == "axis") or (
        kind == "task" and form.get("task", "hunt") == "axis")
    if wants_axis:
        solara.Select(label="Axis", value=shown.get("axis"), values=axes, on_value=put("axis"))
    wants_place = ((kind == "commit_reserve" and form.get("target", "sector") == "place")
                   or kind == "move" or (kind == "task" and not wants_axis)
                   or kind == "air_strike")
    if wants_place:
        solara.InputText("Place (a town, or lat, lon)", value=form.get("place", ""),
                         on_value=put("place"), continuous_update=True)
    if kind in ("commit_reserve", "move", "task") and not wants_axis:
        solara.InputFloat("Radius (km, optional)", value=form.get("radius_km"),
                          on_value=put("radius_km"), optional=True)
    if kind == "border_sealing":
        solara.SliderFloat("Border sealing", value=shown["value"], min=0.0, max=1.0, step=0.05,
                           on_value=put("value"))
    if kind == "search_intensity":
        if spec.theatres.iraq and spec.theatres.syria:
            solara.ToggleButtonsSingle(value=shown["theatre"], values=["iraq", "syria"],
                                       on_value=put("theatre"))
        solara.SliderFloat("Search intensity (x)", value=shown["value"], min=0.0, max=5.0,
                           step=0.25, on_value=put("value"))
    if kind == "air_strike":
        solara.InputInt("Cell id (or a place above)", value=form.get("cell"),
                        on_value=put("cell"), optional=True)
        if len(spec.air) > 1:
            solara.Select(label="Air asset", value=form.get("air"),
                          values=[a.name for a in spec.air], on_value=put("air"))

    def give():
        try:
            model.order(order_from_form(filled(model, form)))
        except OrderError as err:
            set_message(("error", "; ".join(str(p) for p in err.problems)))
            return
        last = model.events.rows_at(int(model.steps))[-1]
        words = dict(p.split("=", 1) for p in last["details"].split("; ") if "=" in p)
        set_message(("ok", f"Ordered: {words.get('order', '')} (from day "
                           f"{model.day + model.dt_days:g})"))
        force_update()  # the map, the feed and the status show it at once
        if on_given:
            on_given()

    with solara.Row(gap="8px"):
        solara.Button("Give order", on_click=give, color="primary",
                      classes=["encircle-give-order"])
    kind_, text = message
    if kind_ == "error":
        solara.Error(text, dense=True, classes=["encircle-order-error"])
    elif kind_ == "ok":
        solara.Success(text, dense=True, classes=["encircle-order-ok"])


@dataclass
class BranchRun:
    """One branch the page started: its alternatives and, when done, the result."""

    day: float
    alternatives: dict[str, list]
    reps: int
    days: float | None
    result: Any = None
    error: str = ""
    done: threading.Event = field(default_factory=threading.Event)
    chart: bytes = b""


def run_branch_in_background(model, alternatives: dict[str, list], reps: int,
                             days: float | None, on_done) -> BranchRun:
    """Copy the campaign now, then run the branch in a thread; ``on_done(run)`` when finished."""
    from encircle_sim import pickling
    from encircle_sim.branches import branch

    blob = pickling.dumps(model)  # the moment, taken now: the live model may step on
    job = BranchRun(float(model.day), alternatives, reps, days)

    def work():
        try:
            import matplotlib.pyplot as plt

            job.result = branch(pickling.loads(blob), alternatives, reps=reps, days=days)
            fig = job.result.plot()
            buf = io.BytesIO()
            fig.savefig(buf, format="png", dpi=80)
            plt.close(fig)
            job.chart = buf.getvalue()
        except Exception as err:  # noqa: BLE001 - reported on the page, the page goes on
            from encircle_sim.scenario_files import ScenarioError

            job.error = err.report() if isinstance(err, ScenarioError) else f"{err}"
        finally:
            job.done.set()
            on_done(job)

    threading.Thread(target=work, daemon=True, name="encircle-branch").start()
    return job


@solara.component
def BranchPanel(model, form, job, set_job):
    """Alternatives from the order form; "Run branch" compares them in the background."""
    from encircle_sim.orders import OrderError, parse_order

    alternatives, set_alternatives = solara.use_state([])  # [(label, order dict)]
    reps, set_reps = solara.use_state(5)
    days, set_days = solara.use_state(None)
    note, set_note = solara.use_state("")

    def add():
        order = order_from_form(filled(model, form))
        try:
            parse_order(model, order)
        except OrderError as err:
            set_note("; ".join(str(p) for p in err.problems))
            return
        set_note("")
        set_alternatives([*alternatives, (order_label(order), order)])

    def start():
        named = {}
        for label, order in alternatives:
            name = label if label not in named else f"{label} ({len(named) + 1})"
            named[name] = [order]
        set_job(run_branch_in_background(model, named, int(reps or 1),
                                         float(days) if days else None,
                                         lambda j: set_job(_Finished(j))))

    solara.Text("Alternatives to 'as planned' (orders from the form above):",
                style={"font-size": "0.8rem"})
    for k, (label, _) in enumerate(alternatives):
        with solara.Row(gap="4px", style={"align-items": "center"}):
            solara.Text(label, style={"font-size": "0.8rem"}, classes=["encircle-alternative"])
            solara.Button("✕", text=True, small=True,
                          on_click=lambda k=k: set_alternatives(
                              [a for i, a in enumerate(alternatives) if i != k]))
    solara.Button("Add the order as an alternative", on_click=add, outlined=True,
                  classes=["encircle-add-alternative"])
    if note:
        solara.Error(note, dense=True)
    solara.InputInt("Replications of each", value=reps, on_value=set_reps)
    solara.InputFloat("Days ahead (empty: to the end)", value=days, on_value=set_days,
                      optional=True)
    running = job is not None and not job.done.is_set()
    solara.Button("Run branch" if not running else "Branch running...", on_click=start,
                  disabled=running or not alternatives, color="primary",
                  classes=["encircle-run-branch"])


class _Finished:
    """Wraps a finished BranchRun so that setting it re-renders the page (a new object)."""

    def __init__(self, job: BranchRun):
        self.__dict__.update(job.__dict__)


@solara.component
def BranchResult(job):
    """The comparison of the last branch, under the map."""
    if job is None:
        return
    with solara.Column(gap="4px", classes=["encircle-branch"]):
        if not job.done.is_set():
            solara.Info(f"Branch from day {job.day:g}: {len(job.alternatives) + 1} "
                        f"alternatives x {job.reps} replications running in the background...",
                        dense=True)
            return
        if job.error:
            solara.Error(f"Branch from day {job.day:g} failed: {job.error}", dense=True)
            return
        solara.Text(f"Branch from day {job.day:g}: 'as planned' and {len(job.alternatives)} "
                    f"alternative(s), {job.reps} replications each, common random numbers",
                    style={"font-weight": "bold"})
        solara.Image(job.chart, format="png", classes=["encircle-branch-image"])


def saved_checkpoints() -> list[Path]:
    """Checkpoints the page may load: ./checkpoints and every run folder's, newest first."""
    found = list(CHECKPOINT_DIR.glob("*.ckpt")) + list(Path("runs").glob("*/checkpoints/*.ckpt"))
    return sorted(found, key=lambda p: p.stat().st_mtime, reverse=True)


@solara.component
def CheckpointPanel(model_reactive):
    """Save the live campaign to a checkpoint, or load one."""
    from encircle_sim.checkpoint import load_checkpoint, save_checkpoint
    from encircle_sim.scenario_files import ScenarioError

    model = model_reactive.value
    saved, set_saved = solara.use_state(None)
    message, set_message = solara.use_state("")
    choices = [str(p) for p in saved_checkpoints()]
    chosen, set_chosen = solara.use_state(None)

    def save():
        name = f"{model.spec.name}-seed{model.seed}-day-{model.day:06.2f}.ckpt"
        path = save_checkpoint(CHECKPOINT_DIR / name, model, info={"source": "live page"})
        set_saved(str(path))
        set_message("")

    def load():
        from encircle_sim.viz.live_model import adopt

        try:
            ckpt = load_checkpoint(chosen)
        except ScenarioError as err:
            set_message(err.report())
            return
        model_reactive.set(adopt(ckpt.model, note=f"restored from {chosen}"))
        set_message("")
        force_update()

    solara.Button("Save checkpoint", on_click=save, outlined=True,
                  classes=["encircle-save-checkpoint"])
    if saved:
        solara.Text(f"Saved: {saved}", style={"font-size": "0.8rem"})
        solara.FileDownload(lambda: Path(saved).read_bytes(), filename=Path(saved).name,
                            label="Download it")
    if choices:
        solara.Select(label="Saved checkpoints", value=chosen, values=choices,
                      on_value=set_chosen)
        solara.Button("Load checkpoint", on_click=load, disabled=chosen is None,
                      outlined=True, classes=["encircle-load-checkpoint"])
    if message:
        solara.Error(message, dense=True)


@solara.component
def CommandPost(model_reactive, job, set_job):
    """The three panels, folded, beside the map."""
    model = model_reactive.value
    form, set_form = solara.use_state({"order": "commit_reserve", "target": "sector",
                                       "sector": "largest_gap"})
    with solara.Details("Give an order", expand=False):
        OrderForm(model, form, set_form)
    with solara.Details("Branch here", expand=False):
        BranchPanel(model, form, job, set_job)
    with solara.Details("Checkpoint", expand=False):
        CheckpointPanel(model_reactive)
