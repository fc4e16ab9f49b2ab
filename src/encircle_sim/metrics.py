"""What is recorded: one row per step (Mesa ``DataCollector``) and the event log.

Counters that accumulate during a step (casualties, attacks, contacts) live in
:class:`StepMetrics`; at the end of the step :meth:`StepMetrics.update` computes the row, which the
``DataCollector`` reads column by column through ``partial(column_value, name)`` reporters
(partials of a module-level function rather than lambdas, so that the model stays picklable for
parallel runs).
"""

from __future__ import annotations

import re
from functools import partial
from typing import Any

import numpy as np
import pandas as pd
from mesa import DataCollector

from encircle_sim.cells import CellState, EscapeRoute, Theatre

BASE_COLUMNS = (
    "step", "day", "phase", "phase_name", "cells_in_pocket", "fighters_left", "neutralised",
    "captured", "escaped_cordon", "escaped_border", "sf_casualties", "civilian_casualties",
    "attacks_elsewhere",
)
TAIL_COLUMNS = (
    "caches_destroyed", "low_supply_cells", "links_cut", "pocket_area_km2", "cordon_gaps",
    "cordon_gap_km",
    "perimeter_cleared", "pressure", "syria_cells", "syria_fighters", "connected_cells",
    "detections", "engagements", "ambushes", "air_strikes", "calls",
)


def slug(name: str) -> str:
    """Column-safe name of a town: 'Deir ez-Zor' -> 'deir_ez_zor'."""
    return re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")


def column_value(name: str, model) -> Any:
    """A ``DataCollector`` model reporter (as ``partial(column_value, name)``): one column."""
    return model.metrics.row[name]


class StepMetrics:
    """Running counters and the per-step table's columns."""

    def __init__(self, model):
        self.model = model
        self.town_columns = [f"attacks_{slug(t)}" for t in model.town_names]
        self.columns = list(BASE_COLUMNS) + self.town_columns + list(TAIL_COLUMNS)
        self.attacks = np.zeros(len(model.town_names), np.int64)
        self.sf_casualties = 0
        self.civilian_casualties = 0
        self.caches_destroyed = 0
        self.links_cut = 0
        self.engagements = 0
        self.ambushes = 0
        self.air_strikes = 0
        self.calls = 0
        self.detections = 0
        self.captured_now: list[int] = []

    def start_step(self) -> None:
        self.detections = 0
        self.calls = 0
        self.captured_now = []

    def make_datacollector(self) -> DataCollector:
        return DataCollector(model_reporters={col: partial(column_value, col)
                                              for col in self.columns})

    def values(self) -> dict[str, Any]:
        m = self.model
        c = m.cells
        n = c.n
        st, th = c.state[:n], c.theatre[:n]
        active = st <= CellState.ATTACKING
        pocket = active & (th == Theatre.IRAQ)
        syria = active & (th == Theatre.SYRIA)
        gaps, gap_km = (0, 0.0)
        if m.plan.active:
            u = m.units
            iraq = u.alive & ~u.syria
            gaps, gap_km, _ = m.plan.cordon_gaps(u.x[iraq], u.y[iraq])
        row = {
            "step": int(m.steps),
            "day": round(float(m.day), 4),
            "phase": int(m.plan.phase),
            "phase_name": m.phase_label,
            "cells_in_pocket": int(pocket.sum()),
            "fighters_left": int(c.fighters[:n][pocket].sum()),
            "neutralised": int((st == CellState.NEUTRALISED).sum()),
            "captured": int((st == CellState.CAPTURED).sum()),
            "escaped_cordon": int((c.escaped_via[:n] == EscapeRoute.CORDON).sum()),
            "escaped_border": int((c.escaped_via[:n] == EscapeRoute.BORDER).sum()),
            "sf_casualties": int(self.sf_casualties),
            "civilian_casualties": int(self.civilian_casualties),
            "attacks_elsewhere": int(self.attacks.sum()),
        }
        row.update({col: int(v) for col, v in zip(self.town_columns, self.attacks, strict=True)})
        row.update({
            "caches_destroyed": int(self.caches_destroyed),
            "low_supply_cells": int((pocket & (c.supply[:n]
                                     < m.spec.insurgents.low_supply_days)).sum()),
            "links_cut": int(self.links_cut),
            "pocket_area_km2": round(m.plan.pocket_area_km2, 1),
            "cordon_gaps": int(gaps),
            "cordon_gap_km": round(gap_km, 1),
            "perimeter_cleared": round(m.plan.perimeter_cleared, 4),
            "pressure": round(float(max(m.pressure, m.pressure_syria)), 4),
            "syria_cells": int(syria.sum()),
            "syria_fighters": int(c.fighters[:n][syria].sum()),
            "connected_cells": int(m.network.connected[:n][active].sum()),
            "detections": int(self.detections),
            "engagements": int(self.engagements),
            "ambushes": int(self.ambushes),
            "air_strikes": int(self.air_strikes),
            "calls": int(self.calls),
        })
        return row

    def update(self) -> None:
        self.row = self.values()


class EventLog:
    """Every engagement, escape, attack, cache found and phase change, as it happens.

    Events are kept as plain tuples while the model runs (a step can log dozens); positions are
    turned into lat/lon and place names only when the table is asked for.
    """

    COLUMNS = ("step", "day", "kind", "lat", "lon", "place", "cells", "units", "details")

    def __init__(self, model):
        self.model = model
        self._records: list[tuple] = []
        self._frame: pd.DataFrame | None = None

    def __len__(self) -> int:
        return len(self._records)

    def add(self, kind: str, x, y, *, cells=(), units=(), caches=(), **details: Any) -> None:
        m = self.model
        ids = " ".join(str(m.cell_agents[i].unique_id) for i in cells if i < len(m.cell_agents))
        uids = " ".join(str(m.unit_agents[j].unique_id) for j in units)
        if caches:
            details["caches"] = [m.cache_agents[k].unique_id for k in caches]
        text = "; ".join(f"{k}={v}" for k, v in details.items())
        xy = (-1, -1) if x is None else (int(x), int(y))
        self._records.append((int(m.steps), round(float(m.day), 4), kind, *xy, ids, uids, text))
        self._frame = None

    def at_step(self, step: int) -> list[tuple[str, float, float]]:
        """(kind, lat, lon) of the events of one step that have a position.

        Reads from the end of the log (events are appended in step order), so the cost does not
        grow with the campaign's length when asking for the latest step.
        """
        out = []
        region = self.model.region
        for rec in reversed(self._records):
            if rec[0] < step:
                break
            if rec[0] == step and rec[3] >= 0:
                lat, lon = region.latlon_of(rec[3], rec[4])
                out.append((rec[2], lat, lon))
        return out[::-1]

    def rows_at(self, step: int) -> list[dict[str, Any]]:
        """The events of one step as rows of :meth:`frame` (place names included), read from
        the end of the log like :meth:`at_step` (for the live page's event feed)."""
        out = []
        region = self.model.region
        for rec in reversed(self._records):
            if rec[0] < step:
                break
            if rec[0] != step:
                continue
            s, day, kind, x, y, cells, units, details = rec
            lat = lon = float("nan")
            place = ""
            if x >= 0:
                lat, lon = (round(float(v), 4) for v in region.latlon_of(x, y))
                place = region.nearest_place(int(x), int(y))
            out.append(dict(zip(self.COLUMNS, (s, day, kind, lat, lon, place, cells, units,
                                                details), strict=True)))
        return out[::-1]

    def frame(self) -> pd.DataFrame:
        """The log as a table: one row per event, with lat/lon and the nearest place."""
        if self._frame is None:
            raw = pd.DataFrame(self._records, columns=["step", "day", "kind", "x", "y", "cells",
                                                       "units", "details"])
            region = self.model.region
            has = raw["x"].to_numpy() >= 0
            lat = np.full(len(raw), np.nan)
            lon = np.full(len(raw), np.nan)
            place = np.full(len(raw), "", dtype=object)
            if has.any():
                x, y = raw["x"].to_numpy()[has], raw["y"].to_numpy()[has]
                la, lo = region.latlon_of(x, y)
                lat[has], lon[has] = np.round(la, 4), np.round(lo, 4)
                place[has] = [region.nearest_place(int(a), int(b))
                              for a, b in zip(x, y, strict=True)]
            raw.insert(3, "lat", lat)
            raw.insert(4, "lon", lon)
            raw.insert(5, "place", place)
            self._frame = raw.drop(columns=["x", "y"])[list(self.COLUMNS)]
        return self._frame.copy()
