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

from encircle_sim.scenario import Scenario
from encircle_sim.scenario_files import save_scenario
from encircle_sim.state import CellState, EscapeRoute, Theatre

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


def summarise(model, wall_seconds: float | None = None, completed: bool = True) -> dict[str, Any]:
    """The outcome figures of a run."""
    c = model.cells
    n = c.n
    st, th = c.state[:n], c.theatre[:n]
    pocket_origin = (th == Theatre.IRAQ)
    last = model.metrics.values()
    towns = {name: int(v) for name, v in zip(model.town_names, model.metrics.attacks, strict=True)}
    steps = model.datacollector.get_model_vars_dataframe()
    return {
        "scenario": model.spec.name,
        "seed": int(model.seed) if isinstance(model.seed, (int, np.integer)) else str(model.seed),
        "completed": completed,
        "steps": int(model.steps),
        "days": round(float(model.day), 3),
        "final_phase": last["phase_name"],
        "group_destroyed": bool(not c.active.any()),
        "cells_initial": int(model.iraq_cells_initial),
        "sleeper_cells_initial": int(model.syria_cells_initial),
        "cells_in_pocket": last["cells_in_pocket"],
        "neutralised": last["neutralised"],
        "captured": last["captured"],
        "escaped_cordon": last["escaped_cordon"],
        "escaped_border": last["escaped_border"],
        "fighters_initial": int(c.fighters0[:n][pocket_origin & (c.joined_from[:n] < 0)].sum()),
        "fighters_left": last["fighters_left"],
        "syria_cells_active": last["syria_cells"],
        "sf_casualties": last["sf_casualties"],
        "civilian_casualties": last["civilian_casualties"],
        "attacks_elsewhere": last["attacks_elsewhere"],
        "attacks_by_town": towns,
        "caches_destroyed": last["caches_destroyed"],
        "caches_initial": len(model.caches),
        "links_cut": last["links_cut"],
        "pocket_area_initial_km2": round(model.plan.initial_area_km2, 1),
        "pocket_area_km2": last["pocket_area_km2"],
        "pocket_cleared_day": _first_day(steps, steps["pocket_area_km2"] <= 0)
        if model.plan.active else None,
        "day_90pct_cells_gone": _first_day(
            steps, steps["cells_in_pocket"] <= 0.1 * model.iraq_cells_initial)
        if model.iraq_cells_initial else None,
        "cordon_gaps": last["cordon_gaps"],
        "phase_days": {
            str(phase.name.lower()): round(day, 3) for _, day, phase in model.plan.phase_history
        },
        "cells_by_state": {s.name.lower(): int((st == s).sum()) for s in CellState},
        "escapes_by_route": {r.name.lower(): int((c.escaped_via[:n] == r).sum())
                             for r in (EscapeRoute.CORDON, EscapeRoute.BORDER)},
        "wall_seconds": None if wall_seconds is None else round(wall_seconds, 3),
    }


def _first_day(steps: pd.DataFrame, condition: pd.Series) -> float | None:
    """The campaign day of the first step meeting ``condition`` (None if none does)."""
    hits = steps.loc[condition.to_numpy(), "day"]
    return float(hits.iloc[0]) if len(hits) else None


def provenance(model, source: str | None, argv: list[str] | None = None) -> dict[str, Any]:
    return {
        "scenario": model.spec.name,
        "scenario_source": source,
        "seed": int(model.seed) if isinstance(model.seed, (int, np.integer)) else str(model.seed),
        "versions": versions(),
        "git_commit": git_commit(),
        "platform": platform.platform(),
        "command": " ".join(argv if argv is not None else sys.argv),
        "written_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
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
                      json.dumps(provenance(model, source), indent=2) + "\n")
    summary = summarise(model, wall_seconds, completed)
    write_text_atomic(folder / "summary.json", json.dumps(summary, indent=2) + "\n")
    return summary
