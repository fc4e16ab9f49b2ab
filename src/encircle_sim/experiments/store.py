"""The results store of an experiment: a folder that survives interruptions.

    SWEEP_DIR/
      manifest.json          what the experiment is (definition, design, seeds, versions), so
                             the same command on the same folder resumes and a changed
                             experiment is refused
      experiment.toml        the experiment file as given (when there was one)
      scenario.resolved.toml the base scenario as run
      design.csv             one row per design point: its parameter values
      results/part-*.parquet one row per replication (design point, replication, seed,
                             parameters, outcomes, run time, error if any), written as they finish
      steps/*.parquet        per-step tables, one per replication (when asked for)

Every file is written under a temporary name and renamed, so a killed sweep never leaves a part
that looks complete. Reading takes the last row of each (point, replication), so no replication
is counted twice, whatever happened.
"""

from __future__ import annotations

import json
import os
import shutil
import time
import uuid
from pathlib import Path
from typing import Any

import pandas as pd

#: Columns every stored row has, before the parameters and outcomes.
KEY_COLUMNS = ["point", "rep", "seed"]
#: Columns after them that say how the replication went.
RUN_COLUMNS = ["run_seconds", "error", "traceback", "worker", "finished_at"]
MANIFEST = "manifest.json"


def write_atomic(path: Path, data: bytes | str) -> None:
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:6]}.tmp")
    if isinstance(data, str):
        tmp.write_text(data, encoding="utf-8")
    else:
        tmp.write_bytes(data)
    os.replace(tmp, path)


def write_parquet_atomic(path: Path, frame: pd.DataFrame) -> None:
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:6]}.tmp")
    frame.to_parquet(tmp, index=False)
    os.replace(tmp, path)


def is_store(folder: Path) -> bool:
    return (Path(folder) / MANIFEST).is_file()


class ResultStore:
    """Rows stream in through :meth:`add` and reach disk in small atomic parts."""

    def __init__(self, folder: Path, *, flush_rows: int = 200, flush_seconds: float = 2.0):
        self.folder = Path(folder)
        self.results = self.folder / "results"
        self.steps = self.folder / "steps"
        self.flush_rows = flush_rows
        self.flush_seconds = flush_seconds
        self._buffer: list[dict[str, Any]] = []
        self._last_flush = time.monotonic()

    # ---- the manifest ------------------------------------------------------------------------

    def manifest(self) -> dict[str, Any] | None:
        path = self.folder / MANIFEST
        if not path.is_file():
            return None
        return json.loads(path.read_text(encoding="utf-8"))

    def write_manifest(self, manifest: dict[str, Any]) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        write_atomic(self.folder / MANIFEST, json.dumps(manifest, indent=2, default=str) + "\n")

    def clear(self) -> None:
        """Remove earlier results (``--force``)."""
        for sub in (self.results, self.steps):
            if sub.exists():
                shutil.rmtree(sub)
        (self.folder / MANIFEST).unlink(missing_ok=True)

    # ---- writing -----------------------------------------------------------------------------

    def add(self, row: dict[str, Any], steps: pd.DataFrame | None = None) -> None:
        if steps is not None:
            self.steps.mkdir(parents=True, exist_ok=True)
            name = f"point{row['point']:05d}-rep{row['rep']:05d}.parquet"
            write_parquet_atomic(self.steps / name, steps.reset_index(drop=True))
        self._buffer.append(row)
        if (len(self._buffer) >= self.flush_rows
                or time.monotonic() - self._last_flush >= self.flush_seconds):
            self.flush()

    def flush(self) -> None:
        self._last_flush = time.monotonic()
        if not self._buffer:
            return
        self.results.mkdir(parents=True, exist_ok=True)
        frame = pd.DataFrame(self._buffer)
        stamp = f"{time.time_ns():020d}"
        write_parquet_atomic(self.results / f"part-{stamp}-{uuid.uuid4().hex[:6]}.parquet", frame)
        self._buffer = []

    # ---- reading -----------------------------------------------------------------------------

    def parts(self) -> list[Path]:
        if not self.results.is_dir():
            return []
        return sorted(p for p in self.results.glob("part-*.parquet"))

    def table(self) -> pd.DataFrame:
        """Every replication's latest row, ordered by design point and replication."""
        frames = [pd.read_parquet(p) for p in self.parts()]
        frames = [f for f in frames if len(f)]
        if not frames:
            return pd.DataFrame(columns=KEY_COLUMNS + RUN_COLUMNS)
        table = pd.concat(frames, ignore_index=True)
        for col in ("error", "traceback", "worker", "finished_at"):
            if col in table:  # text, or None: the same type whatever the parts held
                table[col] = table[col].astype(object).where(table[col].notna(), None)
        table = table.drop_duplicates(subset=["point", "rep"], keep="last")
        return table.sort_values(["point", "rep"], kind="stable").reset_index(drop=True)

    def finished(self, *, include_failed: bool = True) -> set[tuple[int, int]]:
        """(point, replication) pairs already stored (successful ones only, if asked)."""
        table = self.table()
        if not include_failed and len(table):
            table = table[table["error"].isna()]
        return {(int(p), int(r)) for p, r in zip(table["point"], table["rep"], strict=True)}
