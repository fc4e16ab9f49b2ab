"""A run read back for replay: its scenario, per-step table, event log and recorded pictures.

:func:`open_run_folder` reads what ``encircle-sim run`` wrote (``scenario.resolved.toml``,
``steps.csv``, ``events.csv``, ``replay.npz``); :meth:`RunRecord.of_model` wraps a model that has
just run with its :class:`~encircle_sim.recording.Recording`. Either way, any step's map
picture, table row and events come back without rerunning the model: the live page's replay
and the after-action animation read runs through this one class.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from encircle_sim.recording import REPLAY_FILE, Recording, StepPicture
from encircle_sim.scenario import Problem, Scenario

RUN_FILES = ("scenario.resolved.toml", "steps.csv", "events.csv", REPLAY_FILE)


class RunRecord:
    """One run, step by step (see the module docstring). ``spec`` and ``region`` are what the
    map frames need of a model."""

    def __init__(self, spec: Scenario, steps: pd.DataFrame, events: pd.DataFrame,
                 recording: Recording, folder: Path | None = None,
                 summary: dict[str, Any] | None = None):
        from encircle_sim.model import region_for

        self.spec = spec
        self.region = region_for(spec)
        self.steps = steps.reset_index(drop=True)
        self.events = events
        self.recording = recording
        self.folder = folder
        self.summary = summary or {}
        self._by_step = {int(s): k for k, s in enumerate(self.steps["step"])}
        self._event_rows: dict[int, list[dict[str, Any]]] = {}
        for step, group in events.groupby("step", sort=False):
            self._event_rows[int(step)] = group.to_dict("records")

    @classmethod
    def of_model(cls, model, recording: Recording) -> RunRecord:
        """A model that has run (or is running) and its recording."""
        return cls(model.spec, model.datacollector.get_model_vars_dataframe(),
                   model.events.frame(), recording)

    # ---- the run as a whole -------------------------------------------------------------------
    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def dt_days(self) -> float:
        return float(self.spec.time.step_hours) / 24.0

    @property
    def max_day(self) -> float:
        """The scenario's length in days (the charts' day axis)."""
        return float(self.spec.max_steps * self.dt_days)

    @property
    def last_step(self) -> int:
        return int(self.steps["step"].iloc[-1])

    @property
    def iraq_cells_initial(self) -> int:
        return int(self.steps["iraq_cells_active"].iloc[0])

    @property
    def days(self) -> np.ndarray:
        return self.steps["day"].to_numpy(float)

    def step_of_day(self, day: float) -> int:
        """The recorded step at or before ``day``."""
        k = int(np.searchsorted(self.days, day + 1e-9, side="right")) - 1
        return int(self.steps["step"].iloc[max(k, 0)])

    # ---- one step -----------------------------------------------------------------------------
    def row(self, step: int) -> dict[str, Any]:
        """The per-step table's row of ``step``."""
        return self.steps.iloc[self._by_step.get(int(step), len(self.steps) - 1)].to_dict()

    def steps_upto(self, step: int) -> pd.DataFrame:
        return self.steps[self.steps["step"] <= step]

    def rows_at(self, step: int) -> list[dict[str, Any]]:
        """The event log's rows of ``step``."""
        return self._event_rows.get(int(step), [])

    def picture(self, step: int) -> StepPicture:
        """The map picture of ``step``."""
        p = self.recording.picture(step)
        p.events = [(r["kind"], float(r["lat"]), float(r["lon"])) for r in self.rows_at(step)
                    if pd.notna(r["lat"])]
        return p


def _problem(path: str, message: str, allowed: str = "") -> Problem:
    return Problem(path, message, None, allowed)


def open_run_folder(folder: str | Path) -> RunRecord:
    """Read a run folder for replay; a folder that is not a complete one raises ScenarioError
    naming the file and what is wrong (nothing is changed in the folder)."""
    from encircle_sim.scenario_files import ScenarioError, load_scenario

    folder = Path(folder)
    written_by = "a run folder written by `encircle-sim run` (this version)"
    if not folder.is_dir():
        raise ScenarioError(str(folder), [_problem("", "not a folder", written_by)])
    missing = [f for f in RUN_FILES if not (folder / f).is_file()]
    if missing:
        hint = (f"; runs written before replay existed lack {REPLAY_FILE}: run again"
                if missing == [REPLAY_FILE] else "")
        raise ScenarioError(str(folder), [_problem(f, "missing" + hint, written_by)
                                          for f in missing])
    spec = load_scenario(folder / "scenario.resolved.toml")
    problems = []
    try:
        steps = pd.read_csv(folder / "steps.csv")
        events = pd.read_csv(folder / "events.csv", keep_default_na=False,
                             na_values={"lat": [""], "lon": [""]})
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as err:
        raise ScenarioError(str(folder), [_problem("steps.csv / events.csv",
                                                   f"cannot be read: {err}", written_by)]) from err
    for name, table, cols in (("steps.csv", steps, ("step", "day", "phase", "iraq_cells_active")),
                              ("events.csv", events, ("step", "kind", "lat", "lon", "place"))):
        lacking = [c for c in cols if c not in table.columns]
        if lacking:
            problems.append(_problem(name, f"lacks the column(s) {', '.join(lacking)}",
                                     written_by))
    if not problems and steps.empty:
        problems.append(_problem("steps.csv", "has no rows", written_by))
    try:
        recording = Recording.load(folder / REPLAY_FILE)
    except (ValueError, OSError, KeyError) as err:
        problems.append(_problem(REPLAY_FILE, f"cannot be read: {err}", written_by))
        recording = None
    if recording is not None and not problems:
        recorded = set(int(s) for s in recording.steps)
        wanted = set(int(s) for s in steps["step"])
        if not wanted <= recorded:
            problems.append(_problem(REPLAY_FILE, f"does not match steps.csv ({len(recorded)} "
                                     f"recorded steps, {len(wanted)} in the table)", written_by))
    if problems:
        raise ScenarioError(str(folder), problems)
    summary = {}
    if (folder / "summary.json").is_file():
        try:
            summary = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
        except (ValueError, OSError):
            summary = {}
    return RunRecord(spec, steps, events, recording, folder, summary)
