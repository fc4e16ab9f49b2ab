"""Running campaigns: the public :func:`run` and the ``encircle-sim run`` command behind it."""

from __future__ import annotations

import signal
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from encircle_sim import costs
from encircle_sim.model import CampaignModel
from encircle_sim.outputs import FIGURES, RUN_FILES, RunFolder, write_run_files
from encircle_sim.scenario import Scenario
from encircle_sim.scenario_files import load_scenario, with_overrides


@dataclass
class RunResult:
    """What one campaign produced."""

    model: CampaignModel
    summary: dict[str, Any]
    folder: Path | None = None
    wall_seconds: float | None = None
    snapshots: list = field(default_factory=list, repr=False)

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
                 result: RunResult | None = None):
        self.signal_name, self.folder, self.written = signal_name, folder, written
        self.completed, self.day, self.started, self.result = completed, day, started, result
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
            return (f"interrupted ({self.signal_name}) at day {self.day:.1f}: partial results "
                    f"written to {where} (summary.json says completed: false)")
        when = "before the campaign started" if not self.started else "again"
        text = f"interrupted ({self.signal_name}) {when}: nothing written"
        if self.folder is not None:
            text += (f"; {self.folder} is as it was before the run" if self.folder.exists()
                     else f"; {self.folder} was not created")
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
        plots: bool = True, source: str | None = None) -> RunResult:
    """Run one campaign to its end; write a run folder if ``out`` is given.

    Args:
        scenario: a :class:`Scenario`, a bundled name or a path.
        seed: overrides the scenario's seed.
        overrides: ``{"insurgents.cells": 400}`` or ``["insurgents.cells=400"]``.
        out: run folder to write (tables, events, summary, resolved scenario, plots). It is
            checked and locked before the campaign starts, and appears whole when the run ends
            (see :class:`~encircle_sim.outputs.RunFolder`); an unusable folder raises
            :class:`~encircle_sim.outputs.OutputError` at once.
        replace: with ``out``, replace an earlier run in that folder (otherwise an error).
        progress: print a progress line to stderr.
        animate: also record every step and write ``campaign.gif`` (needs ``out``).
        plots: write the time-series and final-map figures (with ``out``).
        source: where the scenario came from, for the run's provenance (default: the name or
            path given, or None for a Scenario object).

    With ``out``, an interrupt (Ctrl-C, SIGTERM) stops the campaign after the current step,
    writes the folder marked incomplete and raises :class:`RunInterrupted`, which says what was
    written; a second interrupt stops at once and writes nothing.
    """
    if not isinstance(scenario, Scenario):
        source = source or str(scenario)
        scenario = load_scenario(scenario, overrides or ())
    elif overrides:
        scenario = with_overrides(scenario, overrides)
    if seed is not None:
        scenario = scenario.model_copy(update={"seed": int(seed)})
    if out is None:
        return _run(scenario, None, None, progress=progress, animate=animate, plots=plots,
                    source=source)
    with _Interrupts() as interrupts:
        folder = RunFolder(out, replace=replace)
        try:
            folder.reserve()
        except KeyboardInterrupt:
            raise RunInterrupted(interrupts.received or "SIGINT", folder.target, written=False,
                                 started=False) from None
        try:
            return _run(scenario, folder, interrupts, progress=progress, animate=animate,
                        plots=plots, source=source)
        finally:
            folder.release()


def _run(scenario: Scenario, folder: RunFolder | None, interrupts: _Interrupts | None, *,
         progress: bool, animate: bool, plots: bool, source: str | None) -> RunResult:
    target = folder.given if folder is not None else None

    def stopped(*, written: bool, started: bool = True, model=None, completed=False,
                result=None) -> RunInterrupted:
        return RunInterrupted(interrupts.received or "SIGINT", target, written=written,
                              completed=completed, started=started,
                              day=model.day if model is not None else None, result=result)

    t0 = time.perf_counter()
    try:
        model = CampaignModel(scenario)
    except KeyboardInterrupt:
        if interrupts is None:
            raise
        raise stopped(written=False, started=False) from None
    if interrupts is not None and interrupts.received:
        raise stopped(written=False, started=False)
    snapshots = []
    if animate:
        from encircle_sim.plotting import snapshot

        snapshots.append(snapshot(model))
    show = _progress_printer() if progress else None

    def after_step(m):
        if animate:
            snapshots.append(snapshot(m))
        if show:
            show(m)
        if interrupts is not None and interrupts.received and m.running:
            raise _StopRequested

    completed = False
    try:
        model.run(progress=after_step)
        completed = True
    except _StopRequested:
        pass
    except KeyboardInterrupt:
        if show:
            sys.stderr.write("\n")
        if interrupts is None:
            raise
        if interrupts.count > 1:  # a second interrupt: quit at once
            raise stopped(written=False, model=model) from None
        interrupts.received = interrupts.received or "SIGINT"  # no handler: stop here anyway
    wall = time.perf_counter() - t0
    if folder is None:
        from encircle_sim.outputs import summarise

        return RunResult(model, summarise(model, completed), None, wall, snapshots)

    interrupts.stage = "writing"
    try:
        summary = write_run_files(folder.staging, model, scenario=scenario, source=source,
                                  wall_seconds=wall, completed=completed, plots=plots,
                                  snapshots=snapshots if animate else None)
        folder.place()
    except KeyboardInterrupt:
        raise stopped(written=False, model=model) from None
    result = RunResult(model, summary, folder.target, wall, snapshots)
    if interrupts.received or not completed:
        raise stopped(written=True, model=model, completed=completed, result=result)
    return result


def run_scenario_cli(args) -> int:
    """``encircle-sim run``: progress on stderr, outcome and folder on stdout."""
    scenario = load_scenario(args.scenario, args.overrides)
    if args.seed is not None:
        scenario = scenario.model_copy(update={"seed": args.seed})
    out = args.out or Path("runs") / f"{scenario.name}-seed{scenario.seed}"
    cost = costs.estimate(scenario)
    if (reasons := costs.reasons_to_ask(cost)) and not getattr(args, "yes", False):
        print(f"encircle-sim run: not started: {'; and '.join(reasons)} (estimate: "
              f"{cost.describe()}). Add --yes to run it anyway, or make it smaller (a larger "
              "map.cell_km, fewer units or cells, shorter patrols, fewer days).", file=sys.stderr)
        return EXIT_ASK_FIRST
    if not args.quiet:
        print(f"running {scenario.name} (seed {scenario.seed}) -> {out}", file=sys.stderr)
    try:
        source = " ".join([str(args.scenario), *(f"--set {o}" for o in args.overrides)])
        result = run(scenario, out=out, replace=args.force, progress=not args.quiet,
                     animate=args.animate, source=source)
    except RunInterrupted as stop:
        print(stop.report(), file=sys.stderr)
        return stop.exit_code
    except MemoryError:
        print(f"encircle-sim run: ran out of memory: nothing written to {out} (the estimate was "
              f"{cost.describe()}; available now: {costs.available_memory_mb() or 0:.0f} MB). "
              "Make the run smaller: a larger map.cell_km, fewer units or cells, shorter "
              "patrols.", file=sys.stderr)
        return EXIT_ASK_FIRST
    print(outcome_text(result.summary))
    files = [name for name in (*RUN_FILES, *FIGURES) if (Path(out) / name).exists()]
    print(f"results in {out}/ ({', '.join(files)})")
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
