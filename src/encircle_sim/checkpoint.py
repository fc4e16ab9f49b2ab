"""Checkpoints: a model saved at any step to one file, restored in any process to go on.

A checkpoint is the whole model pickled (its arrays, Mesa's agent registries and grid, both
random generators, the per-step table and the event log, the orders and the forces' picture;
``pickling.py``, so that a restored model can be saved again) plus, when a run folder is being
written, the run's :class:`~encircle_sim.recording.Recording`. Restored, the model continues
exactly as the uninterrupted run would have: same draws, same tables, same events (a test checks
this for every bundled scenario at several steps, in a fresh process).

The file is a short text header (what it is, the encircle-sim version and commit, scenario, seed,
day) followed by the zlib-compressed pickle: about 1 MB for the default scenario. The header can
be read without unpickling anything (:func:`read_header`).

Unpickling runs code named in the file: open only checkpoints you made or trust, as with any
pickle.
"""

from __future__ import annotations

import datetime as dt
import json
import numbers
import os
import pickle
import sys
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from encircle_sim import __version__, pickling

MAGIC = b"encircle-sim checkpoint\n"
FORMAT = 1
SUFFIX = ".ckpt"
FOLDER = "checkpoints"  # inside a run folder


@dataclass
class Checkpoint:
    """A restored checkpoint: the model, the run's recording (or None) and the header."""

    model: Any
    recording: Any = None
    header: dict[str, Any] = field(default_factory=dict)

    @property
    def run_folder(self) -> Path | None:
        """The run folder the checkpoint was written for, if any."""
        folder = self.header.get("run_folder")
        return Path(folder) if folder else None


def _problem(path: Path, message: str):
    from encircle_sim.scenario import Problem
    from encircle_sim.scenario_files import ScenarioError

    return ScenarioError(str(path), [Problem("", message, None,
                                             "a checkpoint file written by encircle-sim "
                                             f"{__version__} (`encircle-sim run "
                                             "--checkpoint-every`, or `save_checkpoint`)")])


def checkpoint_name(model) -> str:
    """File name of a checkpoint at the model's current day: ``day-012.50.ckpt``."""
    return f"day-{float(model.day):06.2f}{SUFFIX}"


def save_checkpoint(path: str | Path, model, *, recording=None,
                    info: dict[str, Any] | None = None) -> Path:
    """Save ``model`` (and a run's ``recording``) to ``path``, atomically; returns the path.

    ``path`` may be a folder: the file is then named after the day (:func:`checkpoint_name`).
    ``info`` adds entries to the header (where the run came from, its run folder).
    """
    from encircle_sim.outputs import git_commit

    path = Path(path)
    if path.is_dir():
        path = path / checkpoint_name(model)
    header = {
        "format": FORMAT, "encircle_sim": __version__, "git_commit": git_commit(),
        "python": sys.version.split()[0], "scenario": model.spec.name,
        "seed": int(model.seed) if isinstance(model.seed, numbers.Integral) else str(model.seed),
        "step": int(model.steps), "day": float(model.day), "running": bool(model.running),
        "written_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    }
    header.update(info or {})
    payload = zlib.compress(pickling.dumps({"model": model, "recording": recording}), 1)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    with open(tmp, "wb") as fh:
        fh.write(MAGIC)
        fh.write(json.dumps(header, default=str).encode() + b"\n")
        fh.write(payload)
    os.replace(tmp, path)
    return path


def read_header(path: str | Path) -> dict[str, Any]:
    """The header of a checkpoint file, without unpickling it (ScenarioError if it is not one)."""
    path = Path(path)
    with open(path, "rb") as fh:
        if fh.read(len(MAGIC)) != MAGIC:
            raise _problem(path, "not an encircle-sim checkpoint")
        try:
            header = json.loads(fh.readline())
        except ValueError as err:
            raise _problem(path, "damaged checkpoint header") from err
    return header


def load_checkpoint(path: str | Path, *, warn=None) -> Checkpoint:
    """Restore a checkpoint written by :func:`save_checkpoint`.

    A file that is not a checkpoint, is damaged, or was written by another version of
    encircle-sim raises ScenarioError (the CLI reports it and exits 2). A checkpoint from another
    commit of the same version loads, with a warning through ``warn`` (results may differ).
    """
    from encircle_sim.outputs import git_commit

    path = Path(path)
    if not path.is_file():
        raise _problem(path, "no such file" if not path.exists() else "not a file")
    header = read_header(path)
    if header.get("format") != FORMAT or header.get("encircle_sim") != __version__:
        raise _problem(path, f"written by encircle-sim {header.get('encircle_sim')} "
                             f"(checkpoint format {header.get('format')}); this is "
                             f"{__version__} (format {FORMAT}): run that version, or start the "
                             "run again")
    here = git_commit()
    if warn is not None and header.get("git_commit") and here and header["git_commit"] != here:
        warn(f"warning: {path} was written by commit {header['git_commit']}, this is {here}; "
             "if the model changed in between, the continued run may differ from the original")
    with open(path, "rb") as fh:
        fh.read(len(MAGIC))
        fh.readline()
        data = fh.read()
    try:
        content = pickling.loads(zlib.decompress(data))
    except (zlib.error, pickle.UnpicklingError, EOFError, AttributeError, ImportError,
            ModuleNotFoundError) as err:
        raise _problem(path, f"damaged or incompatible checkpoint ({type(err).__name__}: "
                             f"{err})") from err
    return Checkpoint(content["model"], content.get("recording"), header)


def latest_checkpoint(folder: str | Path) -> Path | None:
    """The checkpoint of the latest day in a run folder's ``checkpoints/`` (or in ``folder``)."""
    folder = Path(folder)
    where = folder / FOLDER if (folder / FOLDER).is_dir() else folder
    found = sorted(where.glob(f"day-*{SUFFIX}"))
    return found[-1] if found else None
