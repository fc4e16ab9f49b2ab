"""Writing files so that nothing is half written and nothing planted is followed.

A file is written under a temporary name that nobody can guess (``tempfile.mkstemp``: created
new, never through an existing name or link) in the same folder, then renamed over its real
name. A reader sees the old file or the new one, never a part of it, and a link planted at the
real name is replaced, not followed.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


class OutputError(Exception):
    """A run folder that cannot be written; ``path`` and ``reason`` say which and why."""

    def __init__(self, path: Path | str, reason: str):
        from encircle_sim.scenario import clip_path

        self.path, self.reason = str(path), reason
        super().__init__(f"{clip_path(repr(self.path))}: {reason}")


def umask() -> int:
    """The process's file-creation mask, read without changing it (Linux), else the usual 022."""
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    return 0o022


def write_bytes_atomic(path: str | Path, data: bytes) -> Path:
    """Write ``data`` to ``path`` through an unpredictable temporary name, then rename it."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name[:60]}.", suffix=".tmp")
    try:
        os.fchmod(fd, 0o666 & ~umask())  # mkstemp makes 0600; a result file is as any other
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    return path


def write_text_atomic(path: str | Path, text: str) -> Path:
    return write_bytes_atomic(path, text.encode("utf-8"))


def write_csv_atomic(path: str | Path, frame) -> Path:
    """A pandas table as CSV (no index), written as :func:`write_bytes_atomic` does."""
    return write_text_atomic(path, frame.to_csv(index=False))


def open_new(path: str | Path, mode: str = "wb"):
    """Open a file that must not exist yet (no overwriting, no following a link) for writing."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    fd = os.open(path, flags, 0o666)
    return os.fdopen(fd, mode, **({} if "b" in mode else {"encoding": "utf-8", "newline": ""}))
