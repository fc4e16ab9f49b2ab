"""Running campaigns: the public :func:`run` and the ``encircle-sim run`` command behind it."""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from encircle_sim.model import CampaignModel
from encircle_sim.outputs import write_run_folder
from encircle_sim.scenario import Scenario
from encircle_sim.scenario_files import ScenarioError, load_scenario, with_overrides


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


def run(scenario: Scenario | str | Path = "victory_will", *, seed: int | None = None,
        overrides: dict[str, Any] | list[str] | None = None, out: str | Path | None = None,
        progress: bool = False, animate: bool = False, plots: bool = True,
        source: str | None = None) -> RunResult:
    """Run one campaign to its end; write a run folder if ``out`` is given.

    Args:
        scenario: a :class:`Scenario`, a bundled name or a path.
        seed: overrides the scenario's seed.
        overrides: ``{"insurgents.cells": 400}`` or ``["insurgents.cells=400"]``.
        out: run folder to write (tables, events, summary, resolved scenario, plots).
        progress: print a progress line to stderr.
        animate: also record every step and write ``campaign.gif`` (needs ``out``).
        plots: write the time-series and final-map figures (with ``out``).
        source: where the scenario came from, for the run's provenance (default: the name or
            path given, or None for a Scenario object).
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

    completed = False
    try:
        model.run(progress=after_step)
        completed = True
    except KeyboardInterrupt:
        if show:
            sys.stderr.write("\n")
        if out is None:
            raise
        sys.stderr.write(f"interrupted at day {model.day:.1f}: writing what was done so far\n")
    wall = time.perf_counter() - t0
    folder = Path(out) if out is not None else None
    if folder is not None:
        summary = write_run_folder(folder, model, scenario=scenario, source=source,
                                   wall_seconds=wall, completed=completed)
        if plots:
            from encircle_sim import plotting

            plotting.save_run_plots(folder, model)
            if animate and snapshots:
                plotting.save_animation(folder / "campaign.gif", model, snapshots)
    else:
        from encircle_sim.outputs import summarise

        summary = summarise(model, completed)
    if not completed:
        raise KeyboardInterrupt
    return RunResult(model, summary, folder, wall, snapshots)


def run_scenario_cli(args) -> int:
    """``encircle-sim run``: progress on stderr, outcome and folder on stdout."""
    scenario = load_scenario(args.scenario, args.overrides)
    if args.seed is not None:
        scenario = scenario.model_copy(update={"seed": args.seed})
    out = args.out or Path("runs") / f"{scenario.name}-seed{scenario.seed}"
    if out.exists() and (out / "summary.json").exists() and not args.force:
        raise ScenarioError(str(out), [
            _problem("--out", "this run folder already holds a run; results are never "
                     "overwritten silently", str(out), "another --out, or --force to replace it")])
    if not args.quiet:
        print(f"running {scenario.name} (seed {scenario.seed}) -> {out}", file=sys.stderr)
    try:
        source = " ".join([str(args.scenario), *(f"--set {o}" for o in args.overrides)])
        result = run(scenario, out=out, progress=not args.quiet, animate=args.animate,
                     source=source)
    except KeyboardInterrupt:
        print(f"partial results (completed: false) written to {out}", file=sys.stderr)
        return 130
    print(outcome_text(result.summary))
    print(f"results in {out}/ (steps.csv, events.csv, summary.json, scenario.resolved.toml, "
          f"provenance.json, timeseries.png, final_map.png"
          f"{', campaign.gif' if args.animate else ''})")
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
