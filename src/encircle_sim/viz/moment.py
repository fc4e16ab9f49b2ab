"""What the page shows at one moment: a live model's current step, or a step of a replayed run.

The page's components (status, map, charts, event feed) draw a :class:`Moment`, so the live
campaign and the replay of a run folder are shown by the same code. A moment of a live model
reads the model's arrays and tables as they are now; a moment of a run
(:class:`~encircle_sim.replay.RunRecord`) reads the recorded step, without running anything.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from encircle_sim.recording import StepPicture, picture_of


@dataclass
class Moment:
    """One step as the page shows it. ``key`` identifies it for the page's caches."""

    spec: Any  # the Scenario
    region: Any
    step: int
    day: float
    row: dict[str, Any]  # the per-step table's row
    max_day: float
    iraq_cells_initial: int
    running: bool
    key: tuple
    _picture: Callable[[], StepPicture] = field(repr=False)
    _series: Callable[[], dict[str, np.ndarray]] = field(repr=False)
    _events: Callable[[int], list[dict[str, Any]]] = field(repr=False)

    @property
    def plan_active(self) -> bool:
        return bool(self.spec.theatres.iraq)

    def picture(self) -> StepPicture:
        return self._picture()

    def series(self) -> dict[str, np.ndarray]:
        """Every column of the per-step table up to this step, as arrays."""
        return self._series()

    def events(self, step: int | None = None) -> list[dict[str, Any]]:
        """The event log's rows of this step (or of an earlier ``step``), with place names
        and details."""
        return self._events(self.step if step is None else int(step))

    # ---- makers ------------------------------------------------------------------------------
    @classmethod
    def of_model(cls, model, tick: int = 0) -> Moment:
        def series():
            return {k: np.asarray(v) for k, v in model.datacollector.model_vars.items()}

        return cls(
            spec=model.spec, region=model.region, step=int(model.steps), day=float(model.day),
            row=dict(model.record), max_day=float(model.max_steps * model.dt_days),
            iraq_cells_initial=int(model.iraq_cells_initial), running=bool(model.running),
            key=("live", id(model), int(model.steps), tick),
            _picture=lambda: picture_of(model), _series=series,
            _events=model.events.rows_at)

    @classmethod
    def of_record(cls, record, step: int) -> Moment:
        step = int(step)
        row = record.row(step)
        step = int(row["step"])

        def series():
            upto = record.steps_upto(step)
            return {c: upto[c].to_numpy() for c in upto.columns}

        return cls(
            spec=record.spec, region=record.region, step=step, day=float(row["day"]), row=row,
            max_day=record.max_day, iraq_cells_initial=record.iraq_cells_initial,
            running=step < record.last_step or not record.summary.get("completed", True),
            key=("replay", id(record), step),
            _picture=lambda: record.picture(step), _series=series,
            _events=record.rows_at)


def moment_of(source, tick: int = 0) -> Moment:
    """A moment as it is, or the current step of a live model."""
    return source if isinstance(source, Moment) else Moment.of_model(source, tick)
