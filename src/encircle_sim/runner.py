"""Running campaigns: the public :func:`run` and :func:`resume`, and ``encircle-sim run``.

A run with a run folder (``out``) records one map picture per step (``replay.npz``, for the
replay page and the animation) and can leave checkpoints every few days
(``checkpoints/day-XXX.XX.ckpt``). Ctrl-C (SIGINT) asks the run to stop at the end of the
current step: the run folder is written (``completed: false``) with a checkpoint of that step,
from which :func:`resume` (``encircle-sim run --from``) continues; a second Ctrl-C stops at once.
"""

from __future__ import annotations

import json
import signal
import sys
import threading
import time
from contextlib import nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from encircle_sim.model import CampaignModel
from encircle_sim.outputs import write_run_folder, write_text_atomic
from encircle_sim.recording import REPLAY_FILE, Recording
from encircle_sim.scenario import Scenario
from encircle_sim.scenario_files import ScenarioError, load_scenario, with_overrides


@dataclass
class RunResult:
    """What one campaign produced."""

    model: CampaignModel
    summary: dict[str, Any]
    folder: Path | None = None
    wall_seconds: float | None = None
    recording: Recording | None = None  # one map picture per step (runs with a folder)
    animation: Path | None = None
    checkpoint: Path | None = None  # the last checkpoint written, if any

    @property
    def steps(self) -> pd.DataFrame:
        """The per-step table."""
        return self.model.datacollector.get_model_vars_dataframe()

    @property
    def events(self) -> pd.DataFrame:
        """The event log."""
        return self.model.events.frame()


def _progress_printer(stream=sys.stderr):
    """A one-line progress display: day, phase, cells left."""
    last = [0.0]

    def show(model: CampaignModel) -> None:
        now = time.perf_counter()
        if now - last[0] < 0.2 and model.running:
            return
        last[0] = now
        m = model
        stream.write(f"\r  day {m.day:5.1f}/{m.spec.time.max_days:g}  {m.phase_label:<30s} "
                     f"cells active in Iraq {m.iraq_cells_active:4d}  escaped "
                     f"{m.escaped_cordon + m.escaped_border:3d}  attacks in Syria "
                     f"{m.attacks_syria:3d}")
        if not model.running:
            stream.write("\n")
        stream.flush()

    return show


class StopAtStepEnd:
    """While active (main thread only): the first SIGINT asks the run to stop after the current
    step (``requested`` becomes True), a second one interrupts at once (KeyboardInterrupt)."""

    def __init__(self, say=None):
        self.requested = False
        self.say = say
        self._previous = None

    def _handler(self, signum, frame):
        if self.requested:
            raise KeyboardInterrupt
        self.requested = True
        if self.say:
            self.say("\nstopping at the end of this step (Ctrl-C again to stop at once)")

    def __enter__(self):
        if threading.current_thread() is threading.main_thread():
            self._previous = signal.signal(signal.SIGINT, self._handler)
        return self

    def __exit__(self, *exc):
        if self._previous is not None:
            signal.signal(signal.SIGINT, self._previous)
        return False


def run(scenario: Scenario | str | Path = "victory_will", *, seed: int | None = None,
        overrides: dict[str, Any] | list[str] | None = None, out: str | Path | None = None,
        progress: bool = False, animate: bool = False, plots: bool = True,
        source: str | None = None, checkpoint_every: float | None = None) -> RunResult:
    """Run one campaign to its end; write a run folder if ``out`` is given.

    Args:
        scenario: a :class:`Scenario`, a bundled name or a path.
        seed: overrides the scenario's seed.
        overrides: ``{"insurgents.cells": 400}`` or ``["insurgents.cells=400"]``.
        out: run folder to write (tables, events, summary, resolved scenario, replay, plots).
        progress: print a progress line to stderr.
        animate: also write the animation, ``campaign.mp4`` (``.gif`` without ffmpeg).
        plots: write the time-series and final-map figures (with ``out``).
        source: where the scenario came from, for the run's provenance (default: the name or
            path given, or None for a Scenario object).
        checkpoint_every: save a checkpoint every this many campaign days into
            ``out/checkpoints/`` (needs ``out``).
    """
    if not isinstance(scenario, Scenario):
        source = source or str(scenario)
        scenario = load_scenario(scenario, overrides or ())
    elif overrides:
        scenario = with_overrides(scenario, overrides)
    if seed is not None:
        scenario = scenario.model_copy(update={"seed": int(seed)})
    t0 = time.perf_counter()
    model = CampaignModel(scenario)
    recording = Recording() if (out is not None or animate) else None
    if recording is not None:
        recording.capture(model)
    return _drive(model, recording, t0=t0, out=out, progress=progress, animate=animate,
                  plots=plots, source=source, checkpoint_every=checkpoint_every)


def resume(checkpoint: str | Path, *, out: str | Path | None = None, progress: bool = False,
           animate: bool = False, plots: bool = True,
           checkpoint_every: float | None = None) -> RunResult:
    """Continue a run from a checkpoint file to its end (see :func:`run` for the arguments).

    The result is the one the uninterrupted run would have given. ``out`` defaults to none: the
    run folder is written only when asked for (``encircle-sim run --from`` asks for the folder
    the checkpoint was written in).
    """
    from encircle_sim.checkpoint import load_checkpoint

    t0 = time.perf_counter()
    ckpt = load_checkpoint(checkpoint, warn=lambda m: print(m, file=sys.stderr))
    model, recording = ckpt.model, ckpt.recording
    if recording is None and (out is not None or animate):
        recording = Recording()  # pictures from here on only
        recording.capture(model)
    elif recording is not None:
        recording.truncate(model.steps)
    source = ckpt.header.get("source")
    return _drive(model, recording, t0=t0, out=out, progress=progress, animate=animate,
                  plots=plots, source=source, checkpoint_every=checkpoint_every,
                  resumed_from=(str(Path(checkpoint)), float(model.day)))


def _drive(model: CampaignModel, recording: Recording | None, *, t0: float, out, progress,
           animate, plots, source, checkpoint_every, resumed_from=None) -> RunResult:
    """Step ``model`` to its end, with progress, checkpoints and a clean stop on Ctrl-C; then
    write the run folder and the animation."""
    from encircle_sim import checkpoint as ck

    folder = Path(out) if out is not None else None
    if checkpoint_every is not None:
        if folder is None:
            raise ValueError("checkpoint_every needs a run folder (out=...)")
        if not checkpoint_every > 0:
            raise ValueError(f"checkpoint_every: expected a number of days > 0, "
                             f"got {checkpoint_every!r}")
    info = {"source": source, "run_folder": str(folder.resolve()) if folder else None}
    last_checkpoint: Path | None = None
    next_day = (model.day + checkpoint_every) if checkpoint_every else None

    def save_checkpoint() -> Path:
        return ck.save_checkpoint(folder / ck.FOLDER / ck.checkpoint_name(model), model,
                                  recording=recording, info=info)

    show = _progress_printer() if progress else None
    completed = stopped_cleanly = False
    # with nothing to save, Ctrl-C interrupts as usual; with a folder, at the end of a step
    stop = StopAtStepEnd(lambda m: sys.stderr.write(m + "\n")) if folder else nullcontext()
    try:
        with stop:
            while model.running and model.steps < model.max_steps:
                model.step()
                if recording is not None:
                    recording.capture(model)
                if show:
                    show(model)
                if next_day is not None and model.day >= next_day - 1e-9:
                    last_checkpoint = save_checkpoint()
                    while next_day <= model.day + 1e-9:
                        next_day += checkpoint_every
                if folder is not None and stop.requested and model.running:
                    stopped_cleanly = True
                    raise KeyboardInterrupt
            completed = True
    except KeyboardInterrupt:
        if show:
            sys.stderr.write("\n")
        if folder is None:
            raise
        sys.stderr.write(f"interrupted at day {model.day:.2f}: writing what was done so far\n")
        if stopped_cleanly:  # at a step boundary: this step can be continued exactly
            last_checkpoint = save_checkpoint()
            sys.stderr.write(f"checkpoint: {last_checkpoint} (continue with `encircle-sim run "
                             f"--from {last_checkpoint}`)\n")
        elif last_checkpoint is not None:
            sys.stderr.write(f"last checkpoint: {last_checkpoint}\n")
    wall = time.perf_counter() - t0
    animation = None
    if folder is not None:
        # the scenario as it started, with the orders given while running (they replay)
        summary = write_run_folder(folder, model,
                                   scenario=model.command.scenario_for_replay(),
                                   source=source, wall_seconds=wall, completed=completed)
        if resumed_from is not None:
            _note_resumed(folder, *resumed_from)
        if recording is not None:
            recording.save(folder / REPLAY_FILE)
        if plots:
            from encircle_sim import plotting

            plotting.save_run_plots(folder, model)
        if animate and recording is not None:
            from encircle_sim.animation import write_animation
            from encircle_sim.replay import RunRecord

            animation = write_animation(RunRecord.of_model(model, recording),
                                        folder / "campaign")
    else:
        from encircle_sim.outputs import summarise

        summary = summarise(model, completed)
    if not completed:
        raise KeyboardInterrupt
    return RunResult(model, summary, folder, wall, recording, animation, last_checkpoint)


def _note_resumed(folder: Path, checkpoint: str, day: float) -> None:
    """Say in provenance.json that this run was continued from a checkpoint."""
    path = folder / "provenance.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    data["resumed_from"] = {"checkpoint": checkpoint, "day": round(day, 4)}
    write_text_atomic(path, json.dumps(data, indent=2) + "\n")


def _check_out(out: Path, force: bool) -> None:
    """A run folder that holds a finished run is replaced only with --force; one that holds an
    interrupted run (``completed: false``) is where a resumed run finishes."""
    summary = out / "summary.json"
    if not summary.exists() or force:
        return
    try:
        completed = json.loads(summary.read_text(encoding="utf-8")).get("completed", True)
    except (ValueError, OSError):
        completed = True
    if completed:
        raise ScenarioError(str(out), [
            _problem("--out", "this run folder already holds a run; results are never "
                     "overwritten silently", str(out), "another --out, or --force to replace it")])


def run_scenario_cli(args) -> int:
    """``encircle-sim run``: progress on stderr, outcome and folder on stdout."""
    if args.resume is not None:
        from encircle_sim.checkpoint import read_header

        header = read_header(args.resume)
        out = args.out or (Path(header["run_folder"]) if header.get("run_folder") else None)
        if out is None:
            raise ScenarioError(str(args.resume), [_problem(
                "--out", "this checkpoint was not written for a run folder", None,
                "--out FOLDER for the continued run")])
        _check_out(out, args.force)
        if not args.quiet:
            print(f"continuing {header.get('scenario')} (seed {header.get('seed')}) from day "
                  f"{float(header.get('day', 0)):g} -> {out}", file=sys.stderr)
        call = dict(out=out, progress=not args.quiet, animate=args.animate,
                    checkpoint_every=args.checkpoint_every)
        target, what = resume, args.resume
    else:
        scenario = load_scenario(args.scenario, args.overrides)
        if args.seed is not None:
            scenario = scenario.model_copy(update={"seed": args.seed})
        out = args.out or Path("runs") / f"{scenario.name}-seed{scenario.seed}"
        if out.exists() and (out / "summary.json").exists() and not args.force:
            raise ScenarioError(str(out), [
                _problem("--out", "this run folder already holds a run; results are never "
                         "overwritten silently", str(out),
                         "another --out, or --force to replace it")])
        if not args.quiet:
            print(f"running {scenario.name} (seed {scenario.seed}) -> {out}", file=sys.stderr)
        source = " ".join([str(args.scenario), *(f"--set {o}" for o in args.overrides)])
        call = dict(out=out, progress=not args.quiet, animate=args.animate, source=source,
                    checkpoint_every=args.checkpoint_every)
        target, what = run, scenario
    try:
        result = target(what, **call)
    except KeyboardInterrupt:
        print(f"partial results (completed: false) written to {out}", file=sys.stderr)
        return 130
    print(outcome_text(result.summary))
    extra = [result.animation.name] if result.animation else []
    extra += [f"{result.checkpoint.parent.name}/"] if result.checkpoint else []
    print(f"results in {out}/ (steps.csv, events.csv, summary.json, scenario.resolved.toml, "
          f"provenance.json, {REPLAY_FILE}, timeseries.png, final_map.png"
          f"{''.join(', ' + e for e in extra)})")
    return 0


def outcome_text(s: dict[str, Any]) -> str:
    """A run's summary in one paragraph of plain words, each theatre on its own."""
    parts = [f"{s['scenario']} seed {s['seed']}: {s['days']:g} days, {s['final_phase']}"]
    iq, sy = s["iraq"], s["syria"]
    if iq["cells_initial"]:
        parts.append(f"Iraq: {iq['cells_initial']} cells: {iq['killed']} killed, "
                     f"{iq['dissolved']} dissolved, {iq['captured']} captured, "
                     f"{iq['escaped_cordon']} escaped through the cordon and "
                     f"{iq['escaped_border']} over the border, {iq['cells_active']} still active")
    if sy["cells_initial"] or sy["joined_from_iraq"]:
        parts.append(f"Syria: {sy['attacks']} attacks; {sy['cells_active']} of "
                     f"{sy['cells_initial'] + sy['joined_from_iraq']} sleeper cells still active")
    parts.append(f"security-force casualties {s['sf_casualties']}, civilian "
                 f"{s['civilian_casualties']}")
    return "; ".join(parts)


def _problem(path, message, value, allowed):
    from encircle_sim.scenario import Problem

    return Problem(path, message, value, allowed)
