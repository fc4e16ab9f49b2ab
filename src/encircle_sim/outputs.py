"""Run folders: the per-step table, event log, summary, resolved scenario and provenance.

A run folder appears whole or not at all: its files are written into a private staging folder
beside it, which is then moved into place in one rename (:class:`RunFolder`). A lock keeps a
second run out of the same folder. ``summary.json`` says whether the campaign completed.
"""

from __future__ import annotations

import ctypes
import datetime as dt
import errno
import fcntl
import glob
import hashlib
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Mapping
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from encircle_sim.files import (  # noqa: F401  (the atomic writers: outputs' public names)
    OutputError,
    open_new,
    umask,
    write_csv_atomic,
    write_text_atomic,
)
from encircle_sim.metrics import cell_counts
from encircle_sim.scenario import Scenario
from encircle_sim.scenario_files import scenario_toml
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


def write_csv(path: Path, frame: pd.DataFrame) -> None:
    with open_new(path, "w") as fh:
        frame.to_csv(fh, index=False)


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
    "iraq.fighters_killed": "fighters killed in fights and air strikes [fighters]",
    "iraq.fighters_captured": "fighters of the cells captured [fighters]",
    "iraq.caches_initial": "supply caches at day 0",
    "iraq.caches_destroyed": "caches found and destroyed",
    "iraq.hideouts_initial": "hideouts, dens and tunnels at day 0",
    "iraq.hideouts_destroyed": "hideouts found and destroyed",
    "iraq.links_cut": "courier links cut by killing or capturing a cell",
    "iraq.pocket_area_initial_km2": "the operation area's ground at day 0 [km2]",
    "iraq.pocket_area_km2": "ground not yet cleared at the end [km2]",
    "iraq.pocket_cleared_day": "the day the last ground was cleared (null if never)",
    "iraq.day_90pct_cells_gone": "the day 90% of the cells were no longer active (null if "
    "never)",
    "iraq.cordon_gaps": "gaps in the cordon at the end [stretches]",
    "iraq.phase_days.<phase>": "the day each phase began (perimeter, advance, assault, ended)",
    "iraq.phase_end_reasons.<phase>": "why each phase ended: swept and quiet, cells left, day "
    "limit, group destroyed, no cells left in the area",
    "iraq.end_reason": "why the operation ended (null if it was still going on)",
    "iraq.end_day": "the day the operation ended (null if it was still going on)",
    "syria.cells_initial": "sleeper cells in the Syrian theatre at day 0",
    "syria.joined_from_iraq": "cells that escaped over the border and joined them",
    "syria.recruited": "sleeper cells recruited during the run",
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
    ``cells_initial + joined_from_iraq + recruited = cells_active + killed + dissolved +
    captured``.
    """
    c = model.cells
    n = c.n
    last = model.metrics.values()
    steps = model.datacollector.model_vars  # column -> one value per step (no pandas frame)
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
        "fighters_killed": last["iraq_fighters_killed_total"],
        "fighters_captured": last["iraq_fighters_captured_total"],
        "caches_initial": len(model.caches),
        "caches_destroyed": last["caches_destroyed_total"],
        "hideouts_initial": len(model.hideouts),
        "hideouts_destroyed": last["hideouts_destroyed_total"],
        "links_cut": last["links_cut_total"],
        "pocket_area_initial_km2": round(model.plan.initial_area_km2, 1),
        "pocket_area_km2": last["pocket_area_km2"],
        "pocket_cleared_day": _first_day(steps, "pocket_area_km2", 0)
        if model.plan.active else None,
        "day_90pct_cells_gone": _first_day(
            steps, "iraq_cells_active", 0.1 * initial) if initial else None,
        "cordon_gaps": last["cordon_gaps"],
        "phase_days": {
            str(phase.name.lower()): round(day, 3) for _, day, phase in model.plan.phase_history
        },
        "phase_end_reasons": {str(phase.name.lower()): reason
                              for phase, reason in model.plan.end_reasons.items()},
        "end_reason": model.plan.end_reason,
        "end_day": _ended_day(model),
    }
    syria = {
        "cells_initial": int(model.syria_cells_initial),
        "joined_from_iraq": last["syria_joined"],
        "recruited": last["syria_recruited"],
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


def _ended_day(model) -> float | None:
    """The day the Iraqi operation ended, if it has."""
    ended = [day for _, day, phase in model.plan.phase_history if phase.name == "ENDED"]
    return round(ended[0], 3) if ended else None


def _first_day(steps: Mapping[str, list], column: str, at_most: float) -> float | None:
    """The campaign day of the first step whose ``column`` is at most ``at_most`` (None if
    none is). ``steps``: the DataCollector's columns, one value per step."""
    return next((float(day) for day, value in zip(steps["day"], steps[column], strict=True)
                 if value <= at_most), None)


def installed_packages() -> dict[str, str]:
    """Every distribution installed in this Python environment and its version."""
    found: dict[str, str] = {}
    for dist in metadata.distributions():
        name = dist.metadata["Name"]
        if name:
            found.setdefault(_normal_name(name), dist.version)
    return dict(sorted(found.items()))


def _normal_name(name: str) -> str:
    """A package name as pip compares them (PEP 503: case and ``-_.`` runs do not matter)."""
    return re.sub(r"[-_.]+", "-", name).lower()


#: The exact versions CI tests (``make lock`` refreshes it; the set-up installs from it).
LOCK_FILE = Path(__file__).resolve().parents[2] / "requirements.lock"


def lock_status(installed: dict[str, str] | None = None,
                lock_file: Path = LOCK_FILE) -> dict[str, Any] | None:
    """How the installed versions compare with the lock file (None outside a source checkout)."""
    if not lock_file.is_file():
        return None
    installed = installed_packages() if installed is None else installed
    locked = {}
    for line in lock_file.read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if "==" in line:
            name, version = (part.strip() for part in line.split("==", 1))
            locked[_normal_name(name.split("[", 1)[0])] = version.split(";", 1)[0].strip()
    differs = {name: {"locked": version, "installed": installed.get(name, "not installed")}
               for name, version in locked.items() if installed.get(name) != version}
    return {"file": lock_file.name, "matches": not differs, "differences": differs}


def provenance(model, source: str | None, argv: list[str] | None = None,
               wall_seconds: float | None = None) -> dict[str, Any]:
    """Where a run came from: scenario, seed, versions (all installed, and how they compare
    with requirements.lock), commit, platform, command, timing."""
    installed = installed_packages()
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
        "installed": installed,
        "lock_file": lock_status(installed),
    }


# --------------------------------------------------------------------------------------------
# Run folders: reserved before the run, written aside, moved into place whole
# --------------------------------------------------------------------------------------------

#: What a run writes: its tables and records, figures, and the rest (replay, checkpoints).
RUN_FILES = ("steps.csv", "events.csv", "summary.json", "scenario.resolved.toml",
             "provenance.json")
FIGURES = ("timeseries.png", "final_map.png", "campaign.mp4", "campaign.gif")
OTHER_RUN_ENTRIES = ("replay.npz", "checkpoints")
_RUN_ENTRIES = frozenset((*RUN_FILES, *FIGURES, *OTHER_RUN_ENTRIES))


def holds_incomplete_run(folder: Path) -> bool:
    """Whether ``folder`` holds a run that did not finish: its summary says ``completed:
    false``, or it has checkpoints and no summary (a run killed outright)."""
    summary = folder / "summary.json"
    try:
        if summary.is_file():
            return json.loads(summary.read_text(encoding="utf-8")).get("completed") is False
        return (folder / "checkpoints").is_dir()
    except (OSError, ValueError, AttributeError):
        return False
_SHORT_NAME = 100  # helper names beside a folder stay short whatever the folder's name


def protected_place(path: Path) -> str | None:
    """Why results must not be written at ``path`` (inside the package or the bundled
    scenarios), or None."""
    from encircle_sim.scenario_files import BUNDLED_DIR

    real = Path(os.path.realpath(path))
    for folder, what in ((Path(__file__).resolve().parent, "the encircle-sim package"),
                         (BUNDLED_DIR.resolve(), "the bundled scenarios folder")):
        if real == folder or folder in real.parents:
            return f"is inside {what} ({folder}); choose a folder of your own, e.g. runs/NAME"
    return None


def _shown(names: list[str], n: int = 3) -> list[str]:
    from encircle_sim.scenario import clip

    return [clip(name, 60) for name in names[:n]] + (["..."] if len(names) > n else [])


def _helper_prefix(target: Path) -> str:
    """The start of the hidden names beside ``target``: its lock, staging and replaced folders."""
    name = target.name
    if len(name.encode()) > _SHORT_NAME:
        digest = hashlib.sha1(os.fsencode(name)).hexdigest()[:12]
        name = name.encode()[:60].decode("utf-8", "ignore") + "~" + digest
    return f".{name}."


class RunFolder:
    """A run folder: reserved before the run, filled aside, then moved into place whole.

    ``reserve()`` (before any work) locks the folder against a second run, checks that it may
    be written (new, empty, or an earlier run when ``replace``), probes that its name can be
    created there, and makes a private staging folder with an unpredictable name beside it.
    The run's files go into ``staging``; ``place()`` moves the staging folder into place in one
    rename (an earlier run is swapped out, then deleted), so a reader never sees a folder that
    mixes two runs or holds a half-written file. ``release()`` discards whatever was not placed
    and unlocks. A run killed outright leaves only a hidden ``.NAME.*.partial`` folder beside
    the target, which the next run into the same folder removes.
    """

    def __init__(self, target: str | Path, *, replace: bool = False):
        self.given = Path(target)  # as the user wrote it, for messages
        self.target = Path(os.path.abspath(target))
        self.replace = replace
        self.staging: Path | None = None
        self.placed = False
        self.replaced = False  # an earlier run was replaced
        self._lock_fd: int | None = None
        self._lock_path: Path | None = None
        #: entries this run writes into the folder itself while it goes (checkpoints)
        self.made_here: set[str] = set()

    # ---- before the run --------------------------------------------------------------------
    def reserve(self) -> RunFolder:
        target = self.target
        if not target.name or target == target.parent:
            raise OutputError(self.given, "not a folder name")
        if problem := protected_place(target):
            raise OutputError(self.given, problem)
        here = Path.cwd()
        if target == here or target in here.parents:
            raise OutputError(self.given, "is the current folder or holds it; give a folder "
                              "of its own, e.g. runs/NAME")
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
        except OSError as err:
            raise OutputError(self.given, f"cannot create {str(target.parent)!r} "
                              f"({err.strerror or err})") from None
        if not target.parent.is_dir():
            raise OutputError(self.given, f"{str(target.parent)!r} is not a folder")
        self._lock()
        try:
            self._check_target()
            self._remove_leftovers()
            try:
                self.staging = Path(tempfile.mkdtemp(prefix=_helper_prefix(target),
                                                     suffix=".partial", dir=target.parent))
                if not target.exists():  # probe: can this very name be made here?
                    target.mkdir()
                    target.rmdir()
            except OSError as err:
                raise OutputError(self.given, f"cannot write there ({err.strerror or err})"
                                  ) from None
        except BaseException:
            self.release()
            raise
        return self

    def _lock(self) -> None:
        """Hold an exclusive lock beside the target for as long as this run owns it."""
        path = self.target.parent / (_helper_prefix(self.target) + "lock")
        flags = os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
        for _ in range(20):
            try:
                fd = os.open(path, flags, 0o644)
            except OSError as err:
                raise OutputError(self.given, f"cannot create its lock file {str(path)!r} "
                                  f"({err.strerror or err})") from None
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                holder = os.read(fd, 64).decode("ascii", "replace").strip() or "?"
                os.close(fd)
                raise OutputError(self.given, f"another run (process {holder}) is writing this "
                                  "folder; wait for it to finish or choose another --out"
                                  ) from None
            # the lock file may have been removed by the run that held it: lock the live one
            try:
                same = os.path.samestat(os.fstat(fd), os.lstat(path))
            except OSError:
                same = False
            if same:
                os.ftruncate(fd, 0)
                os.write(fd, f"{os.getpid()}\n".encode())
                self._lock_fd, self._lock_path = fd, path
                return
            os.close(fd)
        raise OutputError(self.given, "could not lock the folder (its lock file keeps changing)")

    def _check_target(self) -> None:
        target = self.target
        if target.is_symlink():
            raise OutputError(self.given, "is a symbolic link; give the folder it points to, or "
                              "another --out")
        if not target.exists():
            return
        if not target.is_dir():
            raise OutputError(self.given, "is a file, not a folder")
        entries = [e for e in os.listdir(target) if e not in self.made_here]
        if not entries:
            return
        if not any(name in _RUN_ENTRIES for name in entries):
            shown = ", ".join(_shown(sorted(entries)))
            raise OutputError(self.given, f"holds files that are not a run's ({shown}); a run "
                              "is written only into a new or empty folder, or over an earlier run")
        if not self.replace:
            raise OutputError(self.given, "this run folder already holds a run; results are "
                              "never overwritten silently: choose another --out, or --force to "
                              "replace it")
        foreign = sorted(e for e in entries if e not in _RUN_ENTRIES and not (
            e.startswith(".") and e.endswith(".tmp")))
        if foreign:
            shown = ", ".join(_shown(foreign))
            raise OutputError(self.given, f"holds files a run does not write ({shown}); move "
                              "them out before replacing the run, or choose another --out")

    def _remove_leftovers(self) -> None:
        """Staging folders of killed runs, and earlier runs left half deleted (we hold the lock)."""
        prefix = glob.escape(_helper_prefix(self.target))
        for pattern in ("*.partial", "*.replaced"):
            for path in self.target.parent.glob(prefix + pattern):
                if path.is_dir() and not path.is_symlink():
                    shutil.rmtree(path, ignore_errors=True)

    # ---- after the run ---------------------------------------------------------------------
    def place(self) -> None:
        """Move the staging folder into place whole (replacing an earlier run if allowed)."""
        assert self.staging is not None and not self.placed
        target, staging = self.target, self.staging
        os.chmod(staging, 0o777 & ~umask())  # mkdtemp makes 0700; a run folder is as any other
        try:
            if target.is_symlink() or (target.is_dir() and os.listdir(target)):  # replaced
                self._check_target()  # still only an earlier run, which we may replace
                if _exchange(staging, target):
                    old = staging
                else:
                    old = Path(tempfile.mkdtemp(prefix=_helper_prefix(target),
                                                suffix=".replaced", dir=target.parent))
                    os.rename(target, old)
                    os.rename(staging, target)
                self.replaced = True
                self.staging = None
                self.placed = True
                shutil.rmtree(old, ignore_errors=True)
            else:
                os.rename(staging, target)  # also replaces an empty folder
                self.staging = None
                self.placed = True
        except OSError as err:
            raise OutputError(self.given, f"could not move the finished run into place "
                              f"({err.strerror or err}); its files are in {str(staging)!r}"
                              ) from None

    def release(self) -> None:
        """Discard anything not placed, and unlock."""
        if self.staging is not None:
            shutil.rmtree(self.staging, ignore_errors=True)
            self.staging = None
        if self._lock_fd is not None:
            try:
                os.unlink(self._lock_path)  # while still holding it: see _lock
            except OSError:
                pass
            os.close(self._lock_fd)
            self._lock_fd = None

    def __enter__(self) -> RunFolder:
        return self.reserve()

    def __exit__(self, *exc) -> None:
        self.release()


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths in one step (Linux ``renameat2(RENAME_EXCHANGE)``); False if unsupported."""
    try:
        fn = ctypes.CDLL(None, use_errno=True).renameat2
    except (OSError, AttributeError):
        return False
    fn.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    at_fdcwd, rename_exchange = -100, 2
    if fn(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange) == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.ENOSYS, errno.EINVAL, errno.EOPNOTSUPP, errno.ENOTSUP):
        return False
    raise OSError(code, os.strerror(code), str(b))


def write_run_files(folder: Path, model, *, scenario: Scenario, source: str | None,
                    wall_seconds: float | None, completed: bool,
                    plots: bool = False) -> dict[str, Any]:
    """Write a run's tables, summary, resolved scenario, provenance (and figures) into
    ``folder``, a fresh folder nobody else writes in (a :class:`RunFolder`'s staging folder).
    Returns the summary."""
    steps = model.datacollector.get_model_vars_dataframe()
    write_csv(folder / "steps.csv", steps)
    write_csv(folder / "events.csv", model.events.frame())
    resolved = scenario.model_copy(update={"seed": int(model.seed)}) if isinstance(
        model.seed, (int, np.integer)) else scenario
    with open_new(folder / "scenario.resolved.toml", "w") as fh:
        fh.write(scenario_toml(resolved))
    with open_new(folder / "provenance.json", "w") as fh:
        fh.write(json.dumps(provenance(model, source, wall_seconds=wall_seconds),
                            indent=2) + "\n")
    summary = summarise(model, completed)
    with open_new(folder / "summary.json", "w") as fh:
        fh.write(json.dumps(summary, indent=2) + "\n")
    if plots:
        from encircle_sim import plotting

        plotting.save_run_plots(folder, model)
    return summary


def write_run_folder(folder: str | Path, model, *, scenario: Scenario, source: str | None,
                     wall_seconds: float | None, completed: bool, replace: bool = True,
                     plots: bool = False) -> dict[str, Any]:
    """Write a whole run folder in one go (see :class:`RunFolder`); returns the summary."""
    with RunFolder(folder, replace=replace) as out:
        summary = write_run_files(out.staging, model, scenario=scenario, source=source,
                                  wall_seconds=wall_seconds, completed=completed, plots=plots)
        out.place()
    return summary
