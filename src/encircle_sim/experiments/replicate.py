"""One replication, as a worker runs it: a scenario, its design-point values and a seed in; the
run's outcome figures (and, on request, its per-step table and pattern measures) out.

The model's outcomes are discovered from whatever the run's summary holds: nested tables are
flattened into dotted names (``phase_days.assault``) and every numeric figure is an outcome, so
renaming or adding a summary figure needs no change here. A replication that raises is not lost:
its row carries the error and the traceback, and the others go on.
"""

from __future__ import annotations

import os
import socket
import time
import traceback
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from encircle_sim.scenario import Scenario

#: Summary fields that are not outcomes: they differ between equal runs or name the run.
NOT_OUTCOMES = ("wall_seconds",)
#: Never an outcome column either (the row has its own ``seed``).
IDENTITY = ("seed",)


def flatten_summary(summary: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """Nested summary tables become dotted columns (``phase_days.assault``)."""
    out: dict[str, Any] = {}
    for key, value in summary.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            out.update(flatten_summary(value, f"{name}."))
        elif name not in NOT_OUTCOMES:
            out[name] = value
    return out


def is_numeric(value: Any) -> bool:
    """A figure an outcome column can hold: a number, true/false, or missing (None)."""
    return value is None or isinstance(value, (bool, int, float)) or (
        hasattr(value, "dtype") and getattr(value.dtype, "kind", "") in "biuf")


def numeric_outcomes(flat: Mapping[str, Any]) -> list[str]:
    """The names of a flattened summary's numeric figures, in summary order."""
    return [k for k, v in flat.items() if k not in IDENTITY and is_numeric(v)]


@dataclass(frozen=True)
class RunOutputs:
    """What a pattern measure sees of one run: its summary, per-step table and event log."""

    summary: dict[str, Any]
    steps: pd.DataFrame
    events: pd.DataFrame


@dataclass(frozen=True)
class Task:
    """One replication to run: which design point, which replication, which seed."""

    point: int
    rep: int
    seed: int
    scenario: int = 0  # index into Job.scenarios (run_many's variants; 0 for a sweep)
    overrides: tuple[tuple[str, Any], ...] = ()  # the design point's parameter values

    @property
    def key(self) -> tuple[int, int]:
        return (self.point, self.rep)


@dataclass(frozen=True)
class Job:
    """What every replication of an experiment shares; sent to each worker once."""

    scenarios: Sequence[Scenario]
    keep_steps: bool = False
    #: name -> function of one run's RunOutputs, measured on the worker (calibration patterns)
    measures: Mapping[str, Callable[[RunOutputs], float]] = field(default_factory=dict)
    #: the function that runs one campaign (``encircle_sim.run``); tests put a failing one here
    runner: Callable[..., Any] | None = None


def scenario_for(job: Job, task: Task) -> Scenario:
    from encircle_sim.scenario_files import with_overrides

    base = job.scenarios[task.scenario]
    return with_overrides(base, dict(task.overrides)) if task.overrides else base


def replicate(job: Job, task: Task) -> dict[str, Any]:
    """Run one replication; never raises for a failing run (the row says what went wrong)."""
    from encircle_sim.runner import run

    row: dict[str, Any] = {"point": task.point, "rep": task.rep, "seed": task.seed,
                           "summary": None, "measures": {}, "steps": None, "error": None,
                           "traceback": None, "run_seconds": None,
                           "worker": f"{socket.gethostname()}:{os.getpid()}"}
    t0 = time.perf_counter()
    try:
        scenario = scenario_for(job, task)
        result = (job.runner or run)(scenario, seed=task.seed, plots=False)
        row["run_seconds"] = time.perf_counter() - t0
        row["summary"] = flatten_summary(result.summary)
        if job.measures or job.keep_steps:
            steps = result.steps
            if job.measures:
                outputs = RunOutputs(dict(result.summary), steps, result.events)
                row["measures"] = {name: _measure(name, fn, outputs)
                                   for name, fn in job.measures.items()}
            if job.keep_steps:
                row["steps"] = steps
        release = getattr(getattr(result, "model", None), "release", None)
        if release is not None:  # the worker's next campaign reuses this one's Mesa grid
            release()
    except Exception as err:  # recorded, not raised: one bad run must not stop the others
        row["error"] = f"{type(err).__name__}: {err}".strip()
        row["traceback"] = traceback.format_exc(limit=-12)
        if row["run_seconds"] is None:
            row["run_seconds"] = time.perf_counter() - t0
    return row


def _measure(name: str, fn: Callable[[RunOutputs], float], outputs: RunOutputs) -> float:
    try:
        value = fn(outputs)
    except Exception as err:
        raise RuntimeError(f"pattern {name!r}: its measure raised {type(err).__name__}: "
                           f"{err}") from err
    return float("nan") if value is None else float(value)
