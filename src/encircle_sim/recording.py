"""A picture of one step, from a live model or from a run's recording (``replay.npz``).

The live page, the after-action animation and the replay of a run folder all draw the same map
frames (:mod:`encircle_sim.viz.mapframe`), and a frame draws a :class:`StepPicture`: where the
units and cells are and in what state, the pocket, which cordon cells are held, the caches, the
cells' links, and this step's events. :func:`picture_of` takes one from a live model (views of its
arrays, no copies). :class:`Recording` keeps one per step of a run as small integer arrays (about
3 kB a step for the default scenario) and writes them to the run folder as ``replay.npz``; a
recording read back gives every step's picture without rerunning the model.

Only the model's public arrays are read: ``model.units``, ``model.cells``, ``model.caches``,
``model.plan``, ``model.network``, ``model.detected_cells`` and ``model.events``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from encircle_sim.state import CellState

#: File of a run folder that holds the recording.
REPLAY_FILE = "replay.npz"
FORMAT = 2  # bumped when the arrays of the file change meaning
NOT_CREATED = -1  # cell_state of a cell row not created yet at that step (joiners in Syria)
_EMPTY_XY = np.zeros((0, 2), np.int32)


@dataclass
class StepPicture:
    """What the map shows of one step (arrays indexed like the model's own tables)."""

    step: int
    day: float
    phase: int
    unit_x: np.ndarray
    unit_y: np.ndarray
    unit_side: np.ndarray
    unit_task: np.ndarray
    unit_alive: np.ndarray
    cell_x: np.ndarray  # cells created so far (rows 0..n-1 of model.cells)
    cell_y: np.ndarray
    cell_state: np.ndarray
    cell_detected: np.ndarray  # detected by the forces this step
    pocket: np.ndarray | None  # [x, y] not yet cleared; None without the Iraqi operation
    cordon_xy: np.ndarray = field(default_factory=lambda: _EMPTY_XY)
    cordon_held: np.ndarray | None = None  # per cordon cell: a unit within the cordon radius
    cache_x: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int32))
    cache_y: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int32))
    cache_intact: np.ndarray = field(default_factory=lambda: np.zeros(0, bool))
    links: np.ndarray = field(default_factory=lambda: _EMPTY_XY)  # (k, 2) cells linked now
    events: list[tuple[str, float, float]] = field(default_factory=list)  # kind, lat, lon
    # what the forces know (knowledge.py): each cell's last known square and the report's age
    known_x: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int32))
    known_y: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int32))
    known_age_days: np.ndarray = field(default_factory=lambda: np.zeros(0))  # inf: never
    known_out: np.ndarray = field(default_factory=lambda: np.zeros(0, bool))

    @property
    def known(self) -> np.ndarray:
        """Cells the forces have located and believe still active."""
        return np.flatnonzero(np.isfinite(self.known_age_days) & ~self.known_out)

    @property
    def cell_active(self) -> np.ndarray:
        return (self.cell_state >= 0) & (self.cell_state <= CellState.ATTACKING)


def cordon_held(model) -> np.ndarray | None:
    """Per cordon cell of the plan: held by a unit within the cordon radius (None if no plan)."""
    plan = model.plan
    if not plan.active or not len(plan.cordon_xy):
        return None
    u = model.units
    _, _, covered = plan.cordon_gaps(u.x, u.y, u.alive & ~u.syria)
    return np.asarray(covered, bool)


def known_step(p: StepPicture, dt_days: float) -> np.ndarray:
    """The step of each cell's last report (-1: never located), from the picture's ages."""
    finite = np.isfinite(p.known_age_days)
    age_steps = np.rint(np.where(finite, p.known_age_days, 0.0) / dt_days).astype(np.int64)
    return np.where(finite, p.step - age_steps, -1)


def picture_of(model) -> StepPicture:
    """The current step of a live model as a picture (views of its arrays: draw it at once)."""
    u, c, plan = model.units, model.cells, model.plan
    n = c.n
    net = model.network
    alive = net.alive
    k = model.command.knowledge
    return StepPicture(
        step=int(model.steps), day=float(model.day), phase=int(plan.phase),
        unit_x=u.x, unit_y=u.y, unit_side=u.side, unit_task=u.task, unit_alive=u.alive,
        cell_x=c.x[:n], cell_y=c.y[:n], cell_state=c.state[:n],
        cell_detected=model.detected_cells[:n],
        pocket=plan.pocket if plan.active else None,
        cordon_xy=plan.cordon_xy if plan.active else _EMPTY_XY,
        cordon_held=cordon_held(model),
        cache_x=model.caches.x, cache_y=model.caches.y, cache_intact=model.caches.intact,
        links=np.column_stack([net.a[alive], net.b[alive]]),
        events=model.events.at_step(int(model.steps)),
        known_x=k.x[:n], known_y=k.y[:n], known_age_days=k.age_days(model)[:n],
        known_out=k.out[:n],
    )


def step_events(events: pd.DataFrame, step: int) -> list[tuple[str, float, float]]:
    """(kind, lat, lon) of one step's events that have a position, from an event table."""
    rows = events[(events["step"] == step) & events["lat"].notna()]
    return list(zip(rows["kind"], rows["lat"].astype(float), rows["lon"].astype(float),
                    strict=True))


class Recording:
    """One picture per recorded step of a run, kept as compact arrays.

    ``capture(model)`` after building the model and after every step; ``save(path)`` writes
    ``replay.npz``; ``Recording.load(path)`` reads it back; ``picture(k, events)`` is step k's
    picture (``events``: the run's event table, for this step's markers).
    """

    def __init__(self):
        self.static: dict[str, np.ndarray] = {}
        self.rows: dict[str, list[np.ndarray]] = {}
        self.arrays: dict[str, np.ndarray] = {}  # the rows stacked (after load or save)

    def __len__(self) -> int:
        if self.arrays:
            return len(self.arrays["step"])
        return len(self.rows.get("step", []))

    # ---- recording ---------------------------------------------------------------------------
    def capture(self, model) -> None:
        """Record the model's current step (a few small copies)."""
        p = picture_of(model)
        if not self.static:
            net = model.network
            self.static = {
                "format": np.array(FORMAT), "unit_side": p.unit_side.astype(np.int8),
                "cell_capacity": np.array(model.cells.capacity),
                "cordon_xy": p.cordon_xy.astype(np.int16),
                "cache_x": p.cache_x.astype(np.int16), "cache_y": p.cache_y.astype(np.int16),
                "link_a": net.a.astype(np.int32), "link_b": net.b.astype(np.int32),
                "grid_shape": np.array(model.plan.pocket.shape),
            }
        if model.cells.capacity > int(self.static["cell_capacity"]):
            self._grow_cells(model.cells.capacity)
        cap = int(self.static["cell_capacity"])
        n = len(p.cell_x)
        dt_days = float(model.dt_days)
        self.static["dt_days"] = np.array(dt_days)

        def full(values, fill, dtype):
            out = np.full(cap, fill, dtype)
            out[:n] = values
            return out

        net = model.network
        row = {
            "step": np.array(p.step, np.int32), "day": np.array(p.day, float),
            "phase": np.array(p.phase, np.int8),
            "unit_x": p.unit_x.astype(np.int16), "unit_y": p.unit_y.astype(np.int16),
            "unit_task": p.unit_task.astype(np.int8), "unit_alive": p.unit_alive.copy(),
            "cell_x": full(p.cell_x, 0, np.int16), "cell_y": full(p.cell_y, 0, np.int16),
            "cell_state": full(p.cell_state, NOT_CREATED, np.int8),
            "cell_detected": full(p.cell_detected, False, bool),
            "pocket": np.packbits(p.pocket if p.pocket is not None
                                  else np.zeros(self.static["grid_shape"], bool)),
            "cordon_held": (p.cordon_held.copy() if p.cordon_held is not None
                            else np.zeros(len(p.cordon_xy), bool)),
            "cache_intact": p.cache_intact.copy(),
            "link_alive": net.alive.copy(),
            "known_x": full(p.known_x, -1, np.int16), "known_y": full(p.known_y, -1, np.int16),
            "known_step": full(known_step(p, dt_days), -1, np.int32),
            "known_out": full(p.known_out, False, bool),
        }
        if len(row["link_alive"]) != len(self.static["link_a"]):  # links added after the start
            self.static["link_a"] = net.a.astype(np.int32)
            self.static["link_b"] = net.b.astype(np.int32)
            width = len(net.a)
            self.rows["link_alive"] = [
                np.concatenate([old, np.zeros(width - len(old), bool)])
                for old in self.rows.get("link_alive", [])]
        self.static["has_pocket"] = np.array(p.pocket is not None)
        for key, value in row.items():
            self.rows.setdefault(key, []).append(value)
        self.arrays = {}

    #: Per-cell rows and the value they hold for a cell not yet created.
    _CELL_FILL = {"cell_x": 0, "cell_y": 0, "cell_state": NOT_CREATED, "cell_detected": False,
                  "known_x": -1, "known_y": -1, "known_step": -1, "known_out": False}

    def _grow_cells(self, capacity: int) -> None:
        """The cell table grew (recruits, joiners): widen the per-cell rows recorded so far."""
        self.static["cell_capacity"] = np.array(capacity)
        for key, fill in self._CELL_FILL.items():
            self.rows[key] = [np.concatenate([old, np.full(capacity - len(old), fill, old.dtype)])
                              for old in self.rows.get(key, [])]
        self.arrays = {}

    def _stacked(self) -> dict[str, np.ndarray]:
        if not self.arrays:
            self.arrays = {k: np.stack(v) for k, v in self.rows.items()}
        return self.arrays

    def truncate(self, steps: int) -> None:
        """Keep the pictures of steps 0..steps (a run continued from a checkpoint)."""
        a = self._stacked()
        keep = a["step"] <= steps
        self.arrays = {k: v[keep] for k, v in a.items()}
        self.rows = {k: list(v) for k, v in self.arrays.items()}

    # ---- files --------------------------------------------------------------------------------
    def save(self, path: str | Path) -> Path:
        """Write the recording (compressed npz), atomically."""
        path = Path(path)
        tmp = path.with_name(f".{path.name}.tmp.npz")
        np.savez_compressed(tmp, **self.static, **{f"step_{k}": v for k, v in
                                                  self._stacked().items()})
        os.replace(tmp, path)
        return path

    @classmethod
    def load(cls, path: str | Path) -> Recording:
        """Read a recording written by :meth:`save` (ValueError if it is not one)."""
        rec = cls()
        with np.load(Path(path)) as data:
            if "format" not in data.files or int(data["format"]) != FORMAT:
                raise ValueError(f"{path}: not a replay file of this version of encircle-sim "
                                 f"(format {FORMAT})")
            for key in data.files:
                if key.startswith("step_"):
                    rec.arrays[key.removeprefix("step_")] = data[key]
                else:
                    rec.static[key] = data[key]
        rec.rows = {}
        return rec

    # ---- reading ------------------------------------------------------------------------------
    @property
    def steps(self) -> np.ndarray:
        return self._stacked()["step"]

    def index_of(self, step: int) -> int:
        """Row of the recording for a model step (the last one at or before it)."""
        k = int(np.searchsorted(self.steps, step, side="right")) - 1
        return max(k, 0)

    def picture(self, step: int, events: pd.DataFrame | None = None) -> StepPicture:
        """The picture of a recorded step (``events``: the run's event table, or none)."""
        a, s = self._stacked(), self.static
        k = self.index_of(step)
        state = a["cell_state"][k]
        n = int(np.flatnonzero(state != NOT_CREATED).max() + 1) if (state != NOT_CREATED).any() \
            else 0
        shape = tuple(int(v) for v in s["grid_shape"])
        pocket = None
        if bool(s["has_pocket"]):
            pocket = np.unpackbits(a["pocket"][k])[: shape[0] * shape[1]].reshape(shape)
            pocket = pocket.astype(bool)
        alive = a["link_alive"][k]
        cordon = s["cordon_xy"].astype(np.int32)
        step_no = int(a["step"][k])
        return StepPicture(
            step=step_no, day=float(a["day"][k]), phase=int(a["phase"][k]),
            unit_x=a["unit_x"][k].astype(np.int32), unit_y=a["unit_y"][k].astype(np.int32),
            unit_side=s["unit_side"], unit_task=a["unit_task"][k], unit_alive=a["unit_alive"][k],
            cell_x=a["cell_x"][k][:n].astype(np.int32), cell_y=a["cell_y"][k][:n].astype(np.int32),
            cell_state=state[:n], cell_detected=a["cell_detected"][k][:n],
            pocket=pocket, cordon_xy=cordon,
            cordon_held=a["cordon_held"][k] if len(cordon) else None,
            cache_x=s["cache_x"].astype(np.int32), cache_y=s["cache_y"].astype(np.int32),
            cache_intact=a["cache_intact"][k],
            links=np.column_stack([s["link_a"][alive], s["link_b"][alive]]),
            events=step_events(events, step_no) if events is not None else [],
            known_x=a["known_x"][k][:n].astype(np.int32),
            known_y=a["known_y"][k][:n].astype(np.int32),
            known_age_days=np.where(a["known_step"][k][:n] >= 0,
                                    (step_no - a["known_step"][k][:n]) * float(s["dt_days"]),
                                    np.inf),
            known_out=a["known_out"][k][:n],
        )
