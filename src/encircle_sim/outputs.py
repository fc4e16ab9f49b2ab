"""Run folders: the per-step table, event log, summary, resolved scenario and provenance.

Every file is written atomically (to a temporary name, then renamed), so an interrupted run never
leaves a half-written file that looks complete. ``summary.json`` says whether the run completed.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
import subprocess
import sys
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from encircle_sim.metrics import cell_counts
from encircle_sim.scenario import Scenario
from encircle_sim.scenario_files import save_scenario
from encircle_sim.state import Theatre

PACKAGES = ("encircle-sim", "mesa", "numpy", "scipy", "pandas", "matplotlib", "pydantic",
            "shapely", "networkx")


def versions() -> dict[str, str]:
    """Versions of Python and the packages that shape a run's results."""
    out = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


def git_commit() -> str | None:
    """The source checkout's commit (and '+dirty' if it has local changes), when known."""
    root = Path(__file__).resolve().parents[2]
    if not (root / ".git").exists():
        return None
    try:
        rev = subprocess.run(["git", "-C", str(root), "rev-parse", "HEAD"], capture_output=True,
                             text=True, timeout=5, check=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(root), "status", "--porcelain",
                                "--untracked-files=no"],
                               capture_output=True, text=True, timeout=5).stdout.strip()
        return rev + ("+dirty" if dirty else "")
    except (OSError, subprocess.SubprocessError):
        return None


def write_text_atomic(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def write_csv_atomic(path: Path, frame: pd.DataFrame) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    frame.to_csv(tmp, index=False)
    os.replace(tmp, path)


#: Every figure of summary.json (dotted paths into its theatre tables), with its meaning.
SUMMARY_KEYS = {
    "scenario": "the scenario's name",
    "seed": "the seed of the run",
    "completed": "false if the run was interrupted (the figures are then those reached)",
    "steps": "steps run",
    "days": "campaign days run",
    "final_phase": "the phase at the end, in words",
    "group_destroyed": "no insurgent cell is active in either theatre",
    "sf_casualties": "security-force soldiers put out of action [persons]",
    "civilian_casualties": "civilian casualties [persons]",
    "iraq.cells_initial": "insurgent cells in the operation area at day 0",
    "iraq.cells_active": "of them, still active at the end",
    "iraq.killed": "killed by force (fights and air strikes)",
    "iraq.dissolved": "dissolved: every fighter deserted for want of supply",
    "iraq.captured": "captured",
    "iraq.escaped_cordon": "escaped through the cordon",
    "iraq.escaped_border": "escaped over the Syrian border",
    "iraq.fighters_initial": "their fighters at day 0 [fighters]",
    "iraq.fighters_active": "fighters of the cells still active [fighters]",
    "iraq.caches_initial": "supply caches at day 0",
    "iraq.caches_destroyed": "caches found and destroyed",
    "iraq.links_cut": "courier links cut by killing or capturing a cell",
    "iraq.pocket_area_initial_km2": "the operation area's ground at day 0 [km2]",
    "iraq.pocket_area_km2": "ground not yet cleared at the end [km2]",
    "iraq.pocket_cleared_day": "the day the last ground was cleared (null if never)",
    "iraq.day_90pct_cells_gone": "the day 90% of the cells were no longer active (null if "
    "never)",
    "iraq.cordon_gaps": "gaps in the cordon at the end [stretches]",
    "iraq.phase_days.<phase>": "the day each phase began (perimeter, advance, assault, ended)",
    "syria.cells_initial": "sleeper cells in the Syrian theatre at day 0",
    "syria.joined_from_iraq": "cells that escaped over the border and joined them",
    "syria.cells_active": "sleeper cells still active at the end",
    "syria.killed": "killed", "syria.dissolved": "dissolved", "syria.captured": "captured",
    "syria.attacks": "attacks on SDF posts and on the population",
    "syria.attacks_by_town.<town>": "attacks on each target town",
    "syria.raids_on_sdf": "raids on SDF posts fought out",
}


def summarise(model, completed: bool = True) -> dict[str, Any]:
    """The outcome figures of a run, each theatre on its own.

    The same scenario and seed give the same summary, byte for byte (the run's wall time is in
    provenance.json). In each theatre every cell is counted once: Iraq: ``cells_initial =
    cells_active + killed + dissolved + captured + escaped_cordon + escaped_border``; Syria:
    ``cells_initial + joined_from_iraq = cells_active + killed + dissolved + captured``.
    """
    c = model.cells
    n = c.n
    last = model.metrics.values()
    steps = model.datacollector.get_model_vars_dataframe()
    iraq_counts, syria_counts = cell_counts(model, Theatre.IRAQ), cell_counts(model, Theatre.SYRIA)
    initial = model.iraq_cells_initial
    pocket_origin = (c.theatre[:n] == Theatre.IRAQ) & (c.joined_from[:n] < 0)
    iraq = {
        "cells_initial": int(initial),
        "cells_active": iraq_counts["active"],
        "killed": iraq_counts["killed"],
        "dissolved": iraq_counts["dissolved"],
        "captured": iraq_counts["captured"],
        "escaped_cordon": iraq_counts["escaped_cordon"],
        "escaped_border": iraq_counts["escaped_border"],
        "fighters_initial": int(c.fighters0[:n][pocket_origin].sum()),
        "fighters_active": last["iraq_fighters_active"],
        "caches_initial": len(model.caches),
        "caches_destroyed": last["caches_destroyed_total"],
        "links_cut": last["links_cut_total"],
        "pocket_area_initial_km2": round(model.plan.initial_area_km2, 1),
        "pocket_area_km2": last["pocket_area_km2"],
        "pocket_cleared_day": _first_day(steps, steps["pocket_area_km2"] <= 0)
        if model.plan.active else None,
        "day_90pct_cells_gone": _first_day(
            steps, steps["iraq_cells_active"] <= 0.1 * initial) if initial else None,
        "cordon_gaps": last["cordon_gaps"],
        "phase_days": {
            str(phase.name.lower()): round(day, 3) for _, day, phase in model.plan.phase_history
        },
    }
    syria = {
        "cells_initial": int(model.syria_cells_initial),
        "joined_from_iraq": last["syria_joined"],
        "cells_active": syria_counts["active"],
        "killed": syria_counts["killed"],
        "dissolved": syria_counts["dissolved"],
        "captured": syria_counts["captured"],
        "attacks": last["attacks_syria_total"],
        "attacks_by_town": {name: int(v) for name, v in
                            zip(model.town_names, model.metrics.attacks, strict=True)},
        "raids_on_sdf": last["raids_on_sdf_total"],
    }
    return {
        "scenario": model.spec.name,
        "seed": int(model.seed) if isinstance(model.seed, (int, np.integer)) else str(model.seed),
        "completed": completed,
        "steps": int(model.steps),
        "days": round(float(model.day), 3),
        "final_phase": last["phase_name"],
        "group_destroyed": bool(not c.active.any()),
        "sf_casualties": last["sf_casualties_total"],
        "civilian_casualties": last["civilian_casualties_total"],
        "iraq": iraq,
        "syria": syria,
    }


def _first_day(steps: pd.DataFrame, condition: pd.Series) -> float | None:
    """The campaign day of the first step meeting ``condition`` (None if none does)."""
    hits = steps.loc[condition.to_numpy(), "day"]
    return float(hits.iloc[0]) if len(hits) else None


def provenance(model, source: str | None, argv: list[str] | None = None,
               wall_seconds: float | None = None) -> dict[str, Any]:
    """Where a run came from: scenario, seed, versions, commit, platform, command, timing."""
    return {
        "scenario": model.spec.name,
        "scenario_source": source,
        "seed": int(model.seed) if isinstance(model.seed, (int, np.integer)) else str(model.seed),
        "versions": versions(),
        "git_commit": git_commit(),
        "platform": platform.platform(),
        "command": " ".join(argv if argv is not None else sys.argv),
        "written_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "wall_seconds": None if wall_seconds is None else round(wall_seconds, 3),
    }


def write_run_folder(folder: Path, model, *, scenario: Scenario, source: str | None,
                     wall_seconds: float | None, completed: bool) -> dict[str, Any]:
    """Write the tables, summary, resolved scenario and provenance; returns the summary."""
    folder.mkdir(parents=True, exist_ok=True)
    steps = model.datacollector.get_model_vars_dataframe()
    write_csv_atomic(folder / "steps.csv", steps)
    write_csv_atomic(folder / "events.csv", model.events.frame())
    resolved = scenario.model_copy(update={"seed": int(model.seed)}) if isinstance(
        model.seed, (int, np.integer)) else scenario
    save_scenario(resolved, folder / "scenario.resolved.toml")
    write_text_atomic(folder / "provenance.json",
                      json.dumps(provenance(model, source, wall_seconds=wall_seconds), indent=2)
                      + "\n")
    summary = summarise(model, completed)
    write_text_atomic(folder / "summary.json", json.dumps(summary, indent=2) + "\n")
    return summary
