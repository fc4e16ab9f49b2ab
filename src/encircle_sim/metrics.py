"""What is recorded: one row per step (Mesa ``DataCollector``) and the event log.

Every column of the per-step table is declared once in :data:`STEP_COLUMNS` with its unit, its
kind and its meaning; docs/outputs.md is generated from it (``python -m encircle_sim.reference
--outputs docs/outputs.md``) and a test fails if it drifts. A column's name says its kind:

- ``*_step``: counted over this step only;
- ``*_total``: counted since day 0 (cumulative);
- no suffix: a level, the state at the end of the step (cells active, area left, ...).

Counters that accumulate during a step live in :class:`StepMetrics`; at the end of the step
:meth:`StepMetrics.update` computes the row, which the ``DataCollector`` reads column by column
through ``partial(column_value, name)`` reporters (partials of a module-level function rather
than lambdas, so that the model stays picklable for parallel runs).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import partial
from typing import Any

import numpy as np
import pandas as pd
from mesa import DataCollector

from encircle_sim import census_kernels as K
from encircle_sim.census_kernels import cell_census
from encircle_sim.state import Theatre


@dataclass(frozen=True)
class Column:
    """One column of steps.csv."""

    name: str
    kind: str      # "level", "step" or "total"
    unit: str
    meaning: str


LEVEL, STEP, TOTAL = "level", "step", "total"

#: The per-step table, in order. ``attacks_<town>_total`` columns (one per target town of the
#: scenario) follow ``attacks_syria_total``.
STEP_COLUMNS = (
    Column("step", LEVEL, "step", "model step (0 is the start)"),
    Column("day", LEVEL, "days", "campaign day at the end of the step"),
    Column("phase", LEVEL, "code", "phase of the Iraqi operation: 0 none (Syrian theatre only), "
           "1 clear the perimeter, 2 advance inward, 3 simultaneous assault, 4 over"),
    Column("phase_name", LEVEL, "text", "the phase in words"),
    Column("iraq_cells_active", LEVEL, "cells", "insurgent cells still active in the Iraqi "
           "theatre (the pocket's group, wherever they are inside the operation area)"),
    Column("iraq_fighters_active", LEVEL, "fighters", "fighters of those cells"),
    Column("iraq_killed", LEVEL, "cells", "Iraqi-theatre cells killed by force so far"),
    Column("iraq_dissolved", LEVEL, "cells", "Iraqi-theatre cells dissolved so far (every "
           "fighter deserted for want of supply)"),
    Column("iraq_captured", LEVEL, "cells", "Iraqi-theatre cells captured so far"),
    Column("escaped_cordon", LEVEL, "cells", "cells that escaped through the cordon so far"),
    Column("escaped_border", LEVEL, "cells", "cells that escaped over the Syrian border so far"),
    Column("syria_cells_active", LEVEL, "cells", "sleeper cells active in the Syrian theatre"),
    Column("syria_fighters_active", LEVEL, "fighters", "fighters of those cells"),
    Column("syria_killed", LEVEL, "cells", "Syrian-theatre cells killed so far"),
    Column("syria_captured", LEVEL, "cells", "Syrian-theatre cells captured so far"),
    Column("syria_joined", LEVEL, "cells", "cells that escaped over the border and joined the "
           "sleepers so far"),
    Column("syria_recruited", LEVEL, "cells", "sleeper cells recruited during the run so far"),
    Column("iraq_fighters_killed_total", TOTAL, "fighters", "Iraqi-theatre fighters killed in "
           "fights and air strikes"),
    Column("iraq_fighters_captured_total", TOTAL, "fighters", "fighters of the Iraqi-theatre "
           "cells captured"),
    Column("sf_casualties_total", TOTAL, "persons", "security-force soldiers put out of action"),
    Column("civilian_casualties_total", TOTAL, "persons", "civilian casualties of fighting, air "
           "strikes and attacks on the population"),
    Column("attacks_syria_total", TOTAL, "attacks", "sleeper-cell attacks in the Syrian theatre "
           "(raids on SDF posts and attacks on the population), all towns"),
    Column("caches_destroyed_total", TOTAL, "caches", "supply caches found and destroyed"),
    Column("hideouts_destroyed_total", TOTAL, "hideouts", "hideouts, dens and tunnels found and "
           "destroyed"),
    Column("low_supply_cells", LEVEL, "cells", "active Iraqi-theatre cells short of supply "
           "(below insurgents.low_supply_days)"),
    Column("links_cut_total", TOTAL, "links", "courier links cut by killing or capturing a cell"),
    Column("pocket_area_km2", LEVEL, "km2", "the pocket: ground of the operation area not yet "
           "cleared"),
    Column("cordon_gaps", LEVEL, "stretches", "stretches of the cordon line with no unit within "
           "operation.cordon_radius_km"),
    Column("cordon_gap_km", LEVEL, "km", "their total length"),
    Column("perimeter_cleared", LEVEL, "0-1", "share of the perimeter band cleared"),
    Column("pressure", LEVEL, "0-1", "pressure on the group driving retaliation: the larger of "
           "the Iraqi group's and the Syrian cells' own (plan)"),
    Column("days_since_contact", LEVEL, "days", "days since the last contact in the current "
           "phase's own ground (the perimeter band in phase 1, the pocket in phases 2 and 3)"),
    Column("excitation", LEVEL, "attacks/day", "self-excitation of attacks in Syria: the extra "
           "attack rate that recent attacks sustain"),
    Column("connected_cells", LEVEL, "cells", "active cells whose courier-network component "
           "holds a hub"),
    Column("detections_step", STEP, "cells", "cells detected this step"),
    Column("engagements_total", TOTAL, "contacts", "every contact fought: engagements after "
           "detection, interdictions, ambushes and raids"),
    Column("ambushes_total", TOTAL, "contacts", "ambushes of units by Iraqi-theatre cells"),
    Column("raids_on_sdf_total", TOTAL, "contacts", "raids of Syrian sleeper cells on SDF posts"),
    Column("air_strikes_total", TOTAL, "strikes", "air strikes on detected cells"),
    Column("calls_step", STEP, "cells", "pocket cells calling for retaliation this step"),
)
TOWN_COLUMN = "attacks_{town}_total"

#: Every kind of event in events.csv, with its meaning.
EVENT_KINDS = {
    "engagement": "a unit fights a cell it detected",
    "interdiction": "a unit fights a cell it stopped leaving the operation area",
    "ambush": "an Iraqi-theatre cell ambushes a unit",
    "raid": "a Syrian sleeper cell's raid on an SDF post is fought out",
    "air_strike": "an air asset strikes a cell it detected",
    "killed": "a cell has no fighters left after a fight or strike",
    "captured": "a cell surrenders",
    "dissolved": "a cell's last fighter deserts for want of supply",
    "escaped_cordon": "a cell leaves the operation area through the cordon",
    "escaped_border": "a cell crosses the border into Syria",
    "border_turned_back": "the berm, trench and towers turn back a cell crossing into Syria",
    "joined_syria": "a cell that escaped over the border joins the sleepers",
    "attack_sdf": "a sleeper cell attacks an SDF post",
    "attack_population": "a sleeper cell attacks a town's population",
    "cache_destroyed": "searching units find and destroy a supply cache",
    "hideout_destroyed": "searching units find and destroy a hideout (cells inside are flushed "
    "out)",
    "recruited": "a new sleeper cell forms in the Syrian theatre",
    "unit_destroyed": "a unit's strength falls to zero",
    "phase": "the operation enters a new phase",
}
CONTACT_KINDS = ("engagement", "interdiction", "ambush", "raid", "air_strike")
ESCAPE_KINDS = ("escaped_cordon", "escaped_border")
ATTACK_KINDS = ("attack_sdf", "attack_population")


def slug(name: str) -> str:
    """Column-safe name of a town: 'Deir ez-Zor' -> 'deir_ez_zor'."""
    return re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")


def town_column(name: str) -> str:
    return TOWN_COLUMN.format(town=slug(name))


def column_value(name: str, model) -> Any:
    """A ``DataCollector`` model reporter (as ``partial(column_value, name)``): one column."""
    return model.metrics.row[name]


def census(model) -> np.ndarray:
    """The cells of both theatres counted by state (``census_kernels.cell_census``: one row
    per theatre, columns ACTIVE, FIGHTERS, KILLED, ...)."""
    c = model.cells
    n = c.n
    return cell_census(n, c.state, c.theatre, c.dissolved, c.escaped_via, c.fighters, c.supply,
                       float(model.spec.insurgents.low_supply_days), model.network.connected[:n],
                       c.joined_from, c.recruited)


def cell_counts(model, theatre: Theatre, counts: np.ndarray | None = None) -> dict[str, int]:
    """How the cells of one theatre stand: active, killed, dissolved, captured, escaped
    (from ``counts``, the model's :func:`census`, if already taken)."""
    row = (census(model) if counts is None else counts)[theatre].tolist()
    return {
        "active": row[K.ACTIVE],
        "killed": row[K.KILLED],
        "dissolved": row[K.DISSOLVED],
        "captured": row[K.CAPTURED],
        "escaped_cordon": row[K.ESCAPED_CORDON],
        "escaped_border": row[K.ESCAPED_BORDER],
    }


class StepMetrics:
    """Running counters and the per-step table's columns."""

    def __init__(self, model):
        self.model = model
        self.town_columns = [town_column(t) for t in model.town_names]
        names = [col.name for col in STEP_COLUMNS]
        at = names.index("attacks_syria_total") + 1
        self.columns = names[:at] + self.town_columns + names[at:]
        self.attacks = np.zeros(len(model.town_names), np.int64)
        self.sf_casualties = 0
        self.civilian_casualties = 0
        self.caches_destroyed = 0
        self.links_cut = 0
        self.engagements = 0
        self.ambushes = 0
        self.raids = 0
        self.air_strikes = 0
        self.calls = 0
        self.detections = 0
        self.hideouts_destroyed = 0
        self.fighters_killed = np.zeros(2, np.int64)     # per theatre
        self.fighters_captured = np.zeros(2, np.int64)   # per theatre
        self.collateral_syria = 0    # civilian casualties of fighting in Syria (recruitment)

    def count_collateral(self, casualties: np.ndarray, theatre: np.ndarray) -> None:
        """Civilian casualties of fights and strikes in the Syrian theatre feed recruitment."""
        self.collateral_syria += int(np.asarray(casualties)[theatre == Theatre.SYRIA].sum())

    def start_step(self) -> None:
        self.detections = 0
        self.calls = 0

    def make_datacollector(self) -> DataCollector:
        return DataCollector(model_reporters={col: partial(column_value, col)
                                              for col in self.columns})

    def values(self) -> dict[str, Any]:
        m = self.model
        counts = census(m)
        iraq, syria = counts.tolist()
        gaps, gap_km = (0, 0.0)
        if m.plan.active:
            u = m.units
            gaps, gap_km, _ = m.plan.cordon_gaps(u.x, u.y, u.alive & ~u.syria)
        row = {
            "step": int(m.steps),
            "day": round(float(m.day), 4),
            "phase": int(m.plan.phase),
            "phase_name": m.phase_label,
            "iraq_cells_active": iraq[K.ACTIVE],
            "iraq_fighters_active": iraq[K.FIGHTERS],
            "iraq_killed": iraq[K.KILLED],
            "iraq_dissolved": iraq[K.DISSOLVED],
            "iraq_captured": iraq[K.CAPTURED],
            "escaped_cordon": iraq[K.ESCAPED_CORDON],
            "escaped_border": iraq[K.ESCAPED_BORDER],
            "syria_cells_active": syria[K.ACTIVE],
            "syria_fighters_active": syria[K.FIGHTERS],
            "syria_killed": syria[K.KILLED],
            "syria_captured": syria[K.CAPTURED],
            "syria_joined": iraq[K.JOINED] + syria[K.JOINED],
            "syria_recruited": iraq[K.RECRUITED] + syria[K.RECRUITED],
            "iraq_fighters_killed_total": int(self.fighters_killed[Theatre.IRAQ]),
            "iraq_fighters_captured_total": int(self.fighters_captured[Theatre.IRAQ]),
            "sf_casualties_total": int(self.sf_casualties),
            "civilian_casualties_total": int(self.civilian_casualties),
            "attacks_syria_total": int(self.attacks.sum()),
        }
        row.update(zip(self.town_columns, self.attacks.tolist(), strict=True))
        row.update({
            "caches_destroyed_total": int(self.caches_destroyed),
            "hideouts_destroyed_total": int(self.hideouts_destroyed),
            "low_supply_cells": iraq[K.LOW_SUPPLY],
            "links_cut_total": int(self.links_cut),
            "pocket_area_km2": round(m.plan.pocket_area_km2, 1),
            "cordon_gaps": int(gaps),
            "cordon_gap_km": round(gap_km, 1),
            "perimeter_cleared": round(m.plan.perimeter_cleared, 4),
            "pressure": round(float(max(m.pressure, m.pressure_syria)), 4),
            "days_since_contact": round(float(m.day - m.last_contact_day), 4),
            "excitation": round(float(m.excitation), 4),
            "connected_cells": iraq[K.CONNECTED] + syria[K.CONNECTED],
            "detections_step": int(self.detections),
            "engagements_total": int(self.engagements),
            "ambushes_total": int(self.ambushes),
            "raids_on_sdf_total": int(self.raids),
            "air_strikes_total": int(self.air_strikes),
            "calls_step": int(self.calls),
        })
        return row

    def update(self) -> None:
        self.row = self.values()


class EventLog:
    """Every engagement, escape, attack, cache found and phase change, as it happens.

    A replication logs hundreds of events and most runs never read them (a sweep keeps only the
    summary), so :meth:`add` only keeps the raw values (agent row indices, the position, the
    details); they are turned into agent ids, text, lat/lon and place names when the log is read
    (:meth:`frame`, :meth:`rows_at`). The raw values are scalars and fresh lists that nothing
    changes afterwards, and agent rows only ever grow, so reading later gives what reading at
    once would have given.
    """

    COLUMNS = ("step", "day", "kind", "lat", "lon", "place", "cells", "units", "details")

    def __init__(self, model):
        self.model = model
        # raw: (step, day, kind, x, y, cells, cell agents then, units, caches, details)
        self._raw: list[tuple] = []
        # the raw records formatted so far: (step, day, kind, x, y, cells, units, details text)
        self._records: list[tuple] = []
        self._frame: pd.DataFrame | None = None

    def __len__(self) -> int:
        return len(self._raw)

    def add(self, kind: str, x, y, *, cells=(), units=(), caches=(), **details: Any) -> None:
        m = self.model
        self._raw.append((m.steps, m.day, kind, x, y, cells, len(m.cell_agents), units, caches,
                          details))
        self._frame = None

    def __setstate__(self, state: dict) -> None:
        """A log pickled (checkpoint) before ``add`` kept raw values holds only formatted
        records: they stand as their own raw records (step, day, kind, position are all that
        is read back from a raw record that is already formatted)."""
        if "_raw" not in state:
            state = {**state, "_raw": [(s, d, k, None if x < 0 else x, y, (), 0, (), (), {})
                                       for s, d, k, x, y, *_ in state["_records"]]}
        self.__dict__.update(state)

    def _formatted(self) -> list[tuple]:
        """The records as the table has them (agent ids and details as text), formatting
        those added since the last call."""
        done, raw = self._records, self._raw
        if len(done) < len(raw):
            m = self.model
            cell_agents, unit_agents, cache_agents = m.cell_agents, m.unit_agents, m.cache_agents
            for step, day, kind, x, y, cells, n, units, caches, details in raw[len(done):]:
                ids = " ".join([str(cell_agents[i].unique_id) for i in cells if i < n])
                uids = " ".join([str(unit_agents[j].unique_id) for j in units]) if units else ""
                if caches:
                    details = {**details, "caches": [cache_agents[k].unique_id for k in caches]}
                text = "; ".join([f"{k}={v}" for k, v in details.items()])
                xy = (-1, -1) if x is None else (int(x), int(y))
                done.append((int(step), round(float(day), 4), kind, *xy, ids, uids, text))
        return done

    def at_step(self, step: int) -> list[tuple[str, float, float]]:
        """(kind, lat, lon) of the events of one step that have a position.

        Reads from the end of the log (events are appended in step order), so the cost does not
        grow with the campaign's length when asking for the latest step.
        """
        out = []
        region = self.model.region
        for rec in reversed(self._raw):
            if rec[0] < step:
                break
            if rec[0] == step and rec[3] is not None and int(rec[3]) >= 0:
                lat, lon = region.latlon_of(int(rec[3]), int(rec[4]))
                out.append((rec[2], lat, lon))
        return out[::-1]

    def rows_at(self, step: int) -> list[dict[str, Any]]:
        """The events of one step as rows of :meth:`frame` (place names included), read from
        the end of the log like :meth:`at_step` (for the live page's event feed)."""
        out = []
        region = self.model.region
        for rec in reversed(self._formatted()):
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
            raw = pd.DataFrame(self._formatted(), columns=["step", "day", "kind", "x", "y", "cells",
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
