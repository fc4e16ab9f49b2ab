"""Running campaigns: the public :func:`run` and :func:`resume`, and ``encircle-sim run``.

A run with a run folder (``out``) records one map picture per step (``replay.npz``, for the
replay page and the animation) and can leave checkpoints every few days
(``checkpoints/day-XXX.XX.ckpt``). The run folder appears whole
(:class:`~encircle_sim.outputs.RunFolder`): locked and checked before the campaign starts,
written aside, moved into place at the end; only the checkpoints go into it while the run goes,
so that a run killed outright can still be continued. Ctrl-C (SIGINT) or SIGTERM asks the run
to stop at the end of the current step: the run folder is written (``completed: false``) with
a checkpoint of that step, from which :func:`resume` (``encircle-sim run --from``) continues; a
second one stops at once and writes nothing.
"""

from __future__ import annotations

import contextlib
import json
import shutil
import signal
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from encircle_sim import costs
from encircle_sim.files import OutputError, write_text_atomic
from encircle_sim.model import CampaignModel
from encircle_sim.outputs import (
    FIGURES,
    OTHER_RUN_ENTRIES,
    RUN_FILES,
    RunFolder,
    holds_incomplete_run,
    write_run_files,
)
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


EXIT_ASK_FIRST = 2  # a run too costly to start without --yes: like bad input, nothing done


class RunInterrupted(KeyboardInterrupt):
    """A run stopped by SIGINT (Ctrl-C) or SIGTERM; says exactly what it left on disk.

    ``written`` is True when the run folder was moved into place (whole, with ``summary.json``
    saying whether the campaign ``completed``); False when nothing was written and the folder is
    as it was before the run. ``result`` is the :class:`RunResult` when a folder was written.
    """

    def __init__(self, signal_name: str, folder: Path | None, *, written: bool,
                 completed: bool = False, day: float | None = None, started: bool = True,
                 result: RunResult | None = None, checkpoint: Path | None = None):
        self.signal_name, self.folder, self.written = signal_name, folder, written
        self.completed, self.day, self.started, self.result = completed, day, started, result
        self.checkpoint = checkpoint  # where to continue from, if anywhere
        super().__init__(self.report())

    @property
    def exit_code(self) -> int:
        """128 + the signal number, as shells report a process stopped by a signal."""
        return 128 + int(getattr(signal, self.signal_name, signal.SIGINT))

    def report(self) -> str:
        where = f"{self.folder}/" if self.folder is not None else "the run folder"
        if self.written and self.completed:
            return (f"interrupted ({self.signal_name}) while writing: the campaign had finished; "
                    f"{where} is complete (summary.json says completed: true)")
        if self.written:
            text = (f"interrupted ({self.signal_name}) at day {self.day:.2f}: partial results "
                    f"written to {where} (summary.json says completed: false)")
        else:
            when = "before the campaign started" if not self.started else "again"
            text = f"interrupted ({self.signal_name}) {when}: nothing written"
            if self.folder is not None:
                text += (f"; {self.folder} is as it was before the run" if self.folder.exists()
                         else f"; {self.folder} was not created")
        if self.checkpoint is not None:
            text += (f"\ncheckpoint: {self.checkpoint} (continue with `encircle-sim run --from "
                     f"{self.checkpoint}`)")
        return text


class _StopRequested(Exception):
    """Raised between steps to end the stepping loop after an interrupt."""


class _Interrupts:
    """SIGINT and SIGTERM while a run folder is in hand.

    The first signal asks politely: the campaign stops after the current step (or, if it is
    already being written, the folder is finished first) and the results are written, marked
    incomplete if the campaign did not finish. A second signal stops at once and writes
    nothing. Only the main thread can receive signals; elsewhere this does nothing.
    """

    SIGNALS = (signal.SIGINT, signal.SIGTERM)

    def __init__(self, enabled: bool = True, stream=sys.stderr):
        self.enabled = enabled
        self.stream = stream
        self.received: str | None = None   # the first signal's name
        self.count = 0
        self.stage = "the campaign"
        self._previous: dict[int, Any] = {}

    def _handle(self, signum, frame) -> None:
        self.count += 1
        if self.count > 1:
            raise KeyboardInterrupt
        self.received = signal.Signals(signum).name
        then = ("stopping after this step and writing what was done so far"
                if self.stage == "the campaign" else "finishing the run folder first")
        self.stream.write(f"\n{self.received} received: {then} (interrupt again to quit at "
                          "once, writing nothing)\n")
        self.stream.flush()

    def __enter__(self) -> _Interrupts:
        if self.enabled and threading.current_thread() is threading.main_thread():
            for sig in self.SIGNALS:
                self._previous[sig] = signal.signal(sig, self._handle)
        return self

    def __exit__(self, *exc) -> None:
        for sig, handler in self._previous.items():
            signal.signal(sig, handler)
        self._previous.clear()


def run(scenario: Scenario | str | Path = "victory_will", *, seed: int | None = None,
        overrides: dict[str, Any] | list[str] | None = None, out: str | Path | None = None,
        replace: bool = False, progress: bool = False, animate: bool = False,
        plots: bool = True, source: str | None = None,
        checkpoint_every: float | None = None) -> RunResult:
    """Run one campaign to its end; write a run folder if ``out`` is given.

    Args:
        scenario: a :class:`Scenario`, a bundled name or a path.
        seed: overrides the scenario's seed.
        overrides: ``{"insurgents.cells": 400}`` or ``["insurgents.cells=400"]``.
        out: run folder to write (tables, events, summary, resolved scenario, replay, plots).
            It is checked and locked before the campaign starts and appears whole when the run
            ends (see :class:`~encircle_sim.outputs.RunFolder`); an unusable folder raises
            :class:`~encircle_sim.files.OutputError` at once.
        replace: with ``out``, replace an earlier run in that folder (otherwise an error).
        progress: print a progress line to stderr.
        animate: also write the animation, ``campaign.mp4`` (``.gif`` without ffmpeg).
        plots: write the time-series and final-map figures (with ``out``).
        source: where the scenario came from, for the run's provenance (default: the name or
            path given, or None for a Scenario object).
        checkpoint_every: save a checkpoint every this many campaign days into
            ``out/checkpoints/`` (needs ``out``).

    With ``out``, an interrupt (Ctrl-C, SIGTERM) stops the campaign after the current step,
    writes the folder marked incomplete with a checkpoint of that step and raises
    :class:`RunInterrupted`, which says what was written; a second interrupt stops at once and
    writes nothing.
    """
    if not isinstance(scenario, Scenario):
        source = source or str(scenario)
        scenario = load_scenario(scenario, overrides or ())
    elif overrides:
        scenario = with_overrides(scenario, overrides)
    if seed is not None:
        scenario = scenario.model_copy(update={"seed": int(seed)})
    _check_checkpoint_every(checkpoint_every, out)

    def start() -> tuple[CampaignModel, Recording | None, float]:
        t0 = time.perf_counter()
        model = CampaignModel(scenario)
        recording = Recording() if (out is not None or animate) else None
        if recording is not None:
            recording.capture(model)
        return model, recording, t0

    return _in_folder(out, replace, start, progress=progress, animate=animate, plots=plots,
                      source=source, checkpoint_every=checkpoint_every, fresh=True)


def resume(checkpoint: str | Path, *, out: str | Path | None = None, replace: bool = False,
           progress: bool = False, animate: bool = False, plots: bool = True,
           checkpoint_every: float | None = None) -> RunResult:
    """Continue a run from a checkpoint file to its end (see :func:`run` for the arguments).

    The result is the one the uninterrupted run would have given. ``out`` defaults to none: the
    run folder is written only when asked for (``encircle-sim run --from`` asks for the folder
    the checkpoint was written in). A folder holding an interrupted run (``completed: false``)
    is where the continued run finishes; one holding a finished run needs ``replace``.
    """
    from encircle_sim.checkpoint import load_checkpoint

    _check_checkpoint_every(checkpoint_every, out)
    resumed_from: list = []

    def start() -> tuple[CampaignModel, Recording | None, float]:
        t0 = time.perf_counter()
        ckpt = load_checkpoint(checkpoint, warn=lambda m: print(m, file=sys.stderr))
        model, recording = ckpt.model, ckpt.recording
        if recording is None and (out is not None or animate):
            recording = Recording()  # pictures from here on only
            recording.capture(model)
        elif recording is not None:
            recording.truncate(model.steps)
        resumed_from[:] = [ckpt.header.get("source"), str(Path(checkpoint)), float(model.day)]
        return model, recording, t0

    replace = replace or (out is not None and holds_incomplete_run(Path(out)))
    return _in_folder(out, replace, start, progress=progress, animate=animate, plots=plots,
                      source=None, checkpoint_every=checkpoint_every, fresh=False,
                      resumed_from=resumed_from)


def _check_checkpoint_every(checkpoint_every: float | None, out) -> None:
    if checkpoint_every is None:
        return
    if out is None:
        raise ValueError("checkpoint_every needs a run folder (out=...)")
    if not checkpoint_every > 0:
        raise ValueError(f"checkpoint_every: expected a number of days > 0, "
                         f"got {checkpoint_every!r}")


def _in_folder(out, replace: bool, start, *, fresh: bool, **kw) -> RunResult:
    """Reserve the run folder (with ``out``), build the model with ``start()``, and drive it."""
    if out is None:
        model, recording, t0 = start()
        return _drive_into(model, recording, None, None, t0=t0, **kw)
    with _Interrupts() as interrupts:
        folder = RunFolder(out, replace=replace)
        try:
            folder.reserve()
            if fresh and kw.get("checkpoint_every") and (folder.target / _CKPT_DIR).exists():
                raise OutputError(folder.given, f"holds an earlier run's {_CKPT_DIR}/; a new run "
                                  "would write its checkpoints beside them: remove them or "
                                  "choose another --out")
            model, recording, t0 = start()
        except KeyboardInterrupt:
            folder.release()
            raise RunInterrupted(interrupts.received or "SIGINT", folder.given, written=False,
                                 started=False) from None
        except BaseException:
            folder.release()
            raise
        try:
            if interrupts.received:
                raise RunInterrupted(interrupts.received, folder.given, written=False,
                                     started=False)
            return _drive_into(model, recording, folder, interrupts, t0=t0, **kw)
        finally:
            folder.release()


_CKPT_DIR = "checkpoints"


def _drive(model: CampaignModel, recording: Recording | None, *, t0: float, out, progress,
           animate, plots, source, checkpoint_every, resumed_from=None,
           replace: bool = False) -> RunResult:
    """Drive a model already built to its end, into the run folder ``out`` (if given)."""
    _check_checkpoint_every(checkpoint_every, out)
    return _in_folder(out, replace, lambda: (model, recording, t0), fresh=resumed_from is None,
                      progress=progress, animate=animate, plots=plots, source=source,
                      checkpoint_every=checkpoint_every, resumed_from=resumed_from)


def _drive_into(model: CampaignModel, recording: Recording | None, folder: RunFolder | None,
                interrupts: _Interrupts | None, *, t0: float, progress, animate, plots, source,
                checkpoint_every, resumed_from=None) -> RunResult:
    """Step ``model`` to its end, with progress, checkpoints and a clean stop on an interrupt;
    then write the run folder (whole) and the animation."""
    from encircle_sim import checkpoint as ck

    target = folder.target if folder is not None else None
    if resumed_from:
        source = resumed_from[0]
    info = {"source": source, "run_folder": str(target) if target else None}
    last_checkpoint: Path | None = None
    next_day = (model.day + checkpoint_every) if checkpoint_every else None

    def save_checkpoint(where: Path) -> Path:
        return ck.save_checkpoint(where / ck.checkpoint_name(model), model,
                                  recording=recording, info=info)

    def stopped(*, written: bool, completed=False, result=None, checkpoint=None):
        return RunInterrupted(interrupts.received or "SIGINT", folder.given, written=written,
                              completed=completed, day=float(model.day), result=result,
                              checkpoint=checkpoint)

    show = _progress_printer() if progress else None
    completed = stopped_cleanly = False
    # with nothing recorded or saved between steps, nothing looks at Mesa's grid until the end
    headless = folder is None and recording is None
    try:
        with model.grid_deferred() if headless else contextlib.nullcontext():
            while model.running and model.steps < model.max_steps:
                model.step()
                if recording is not None:
                    recording.capture(model)
                if show:
                    show(model)
                if next_day is not None and model.day >= next_day - 1e-9:
                    # into the run folder itself, as the run goes: a run killed outright can
                    # still be continued from the last one
                    folder.made_here.add(_CKPT_DIR)
                    last_checkpoint = save_checkpoint(target / _CKPT_DIR)
                    while next_day <= model.day + 1e-9:
                        next_day += checkpoint_every
                if interrupts is not None and interrupts.received and model.running:
                    stopped_cleanly = True
                    break
            else:
                completed = True
    except KeyboardInterrupt:
        if show:
            sys.stderr.write("\n")
        if interrupts is None:
            raise
        if interrupts.count > 1:  # a second interrupt: quit at once, writing nothing
            raise stopped(written=False, checkpoint=_as_given(last_checkpoint, folder)) from None
        interrupts.received = interrupts.received or "SIGINT"  # no handler here: stop anyway
    wall = time.perf_counter() - t0
    if folder is None:
        from encircle_sim.outputs import summarise

        return RunResult(model, summarise(model, completed), None, wall, recording)

    interrupts.stage = "writing"
    staging = folder.staging
    animation = None
    try:
        if stopped_cleanly:  # at a step boundary: this step can be continued exactly
            last_checkpoint = save_checkpoint(staging / _CKPT_DIR)
        # the scenario as it started, with the orders given while running (they replay)
        summary = write_run_files(staging, model, scenario=model.command.scenario_for_replay(),
                                  source=source, wall_seconds=wall, completed=completed,
                                  plots=plots)
        if resumed_from:
            _note_resumed(staging, *resumed_from[1:])
        if recording is not None:
            recording.save(staging / REPLAY_FILE)
        if animate and recording is not None:
            from encircle_sim.animation import write_animation
            from encircle_sim.replay import RunRecord

            animation = write_animation(RunRecord.of_model(model, recording),
                                        staging / "campaign")
        if _CKPT_DIR in folder.made_here or resumed_from:  # this run's, or its forerunner's
            _keep_checkpoints(target / _CKPT_DIR, staging / _CKPT_DIR)
        folder.place()
    except KeyboardInterrupt:
        kept = last_checkpoint if last_checkpoint and not last_checkpoint.is_relative_to(
            staging) else None
        raise stopped(written=False, checkpoint=_as_given(kept, folder)) from None
    if last_checkpoint is not None:  # in the folder now, wherever it was written
        last_checkpoint = folder.given / _CKPT_DIR / last_checkpoint.name
    animation = folder.given / animation.name if animation is not None else None
    result = RunResult(model, summary, folder.given, wall, recording, animation,
                       last_checkpoint)
    if interrupts.received or not completed:
        raise stopped(written=True, completed=completed, result=result,
                      checkpoint=last_checkpoint if not completed else None)
    return result


def _as_given(path: Path | None, folder: RunFolder) -> Path | None:
    """``path`` inside the run folder, as the user named the folder."""
    return folder.given / path.relative_to(folder.target) if path is not None else None


def _keep_checkpoints(written: Path, staging: Path) -> None:
    """The checkpoints this run (or the run it continues) left in the run folder go into the
    new folder too; a file of the same name written now wins."""
    if not written.is_dir() or written.is_symlink():
        return
    staging.mkdir(exist_ok=True)
    for path in written.iterdir():
        if path.is_file() and not path.is_symlink() and not (staging / path.name).exists():
            shutil.copy2(path, staging / path.name)


def _note_resumed(folder: Path, checkpoint: str, day: float) -> None:
    """Say in provenance.json that this run was continued from a checkpoint."""
    path = folder / "provenance.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    data["resumed_from"] = {"checkpoint": checkpoint, "day": round(day, 4)}
    write_text_atomic(path, json.dumps(data, indent=2) + "\n")


def run_scenario_cli(args) -> int:
    """``encircle-sim run``: progress on stderr, outcome and folder on stdout."""
    cost = None
    if args.resume is not None:
        from encircle_sim.checkpoint import read_header

        header = read_header(args.resume)
        out = args.out or (Path(header["run_folder"]) if header.get("run_folder") else None)
        if out is None:
            raise ScenarioError(str(args.resume), [_problem(
                "--out", "this checkpoint was not written for a run folder", None,
                "--out FOLDER for the continued run")])
        if not args.quiet:
            print(f"continuing {header.get('scenario')} (seed {header.get('seed')}) from day "
                  f"{float(header.get('day', 0)):g} -> {out}", file=sys.stderr)
        call = dict(out=out, replace=args.force, progress=not args.quiet, animate=args.animate,
                    checkpoint_every=args.checkpoint_every)
        target, what = resume, args.resume
    else:
        scenario = load_scenario(args.scenario, args.overrides)
        if args.seed is not None:
            scenario = scenario.model_copy(update={"seed": args.seed})
        out = args.out or Path("runs") / f"{scenario.name}-seed{scenario.seed}"
        cost = costs.estimate(scenario)
        if (reasons := costs.reasons_to_ask(cost)) and not getattr(args, "yes", False):
            print(f"encircle-sim run: not started: {'; and '.join(reasons)} (estimate: "
                  f"{cost.describe()}). Add --yes to run it anyway, or make it smaller (a larger "
                  "map.cell_km, fewer units or cells, shorter patrols, fewer days).",
                  file=sys.stderr)
            return EXIT_ASK_FIRST
        if not args.quiet:
            print(f"running {scenario.name} (seed {scenario.seed}) -> {out}", file=sys.stderr)
        source = " ".join([str(args.scenario), *(f"--set {o}" for o in args.overrides)])
        call = dict(out=out, replace=args.force, progress=not args.quiet, animate=args.animate,
                    source=source, checkpoint_every=args.checkpoint_every)
        target, what = run, scenario
    try:
        result = target(what, **call)
    except RunInterrupted as stop:
        print(stop.report(), file=sys.stderr)
        return stop.exit_code
    except MemoryError:
        estimate = f" (the estimate was {cost.describe()})" if cost else ""
        print(f"encircle-sim run: ran out of memory: nothing written to {out}{estimate}; "
              f"available now: {costs.available_memory_mb() or 0:.0f} MB. Make the run "
              "smaller: a larger map.cell_km, fewer units or cells, shorter patrols.",
              file=sys.stderr)
        return EXIT_ASK_FIRST
    print(outcome_text(result.summary))
    entries = [name for name in dict.fromkeys((*RUN_FILES, REPLAY_FILE, *FIGURES,
                                                *OTHER_RUN_ENTRIES))
               if (Path(out) / name).exists()]
    print(f"results in {out}/ ({', '.join(entries)})")
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
        came = [f"{sy['cells_initial']} at the start"]
        came += [f"{sy[k]} {w}" for k, w in (("joined_from_iraq", "joined from Iraq"),
                                             ("recruited", "recruited")) if sy.get(k)]
        parts.append(f"Syria: {sy['attacks']} attacks; {sy['cells_active']} sleeper cells "
                     f"active at the end ({', '.join(came)})")
    parts.append(f"security-force casualties {s['sf_casualties']}, civilian "
                 f"{s['civilian_casualties']}")
    return "; ".join(parts)


def _problem(path, message, value, allowed):
    from encircle_sim.scenario import Problem

    return Problem(path, message, value, allowed)
