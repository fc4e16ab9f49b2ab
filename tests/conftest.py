"""Shared helpers: writing scenario files and running the ``encircle-sim`` command."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SCENARIOS = REPO / "scenarios"


def encircle_sim_command() -> list[str]:
    """The installed console script if there is one (what users run), else the module."""
    script = Path(sys.executable).parent / "encircle-sim"
    return [str(script)] if script.exists() else [sys.executable, "-m", "encircle_sim.cli"]


@pytest.fixture
def cli(tmp_path):
    """Run ``encircle-sim ARGS`` in a scratch folder; returns the CompletedProcess."""

    def run(*args: str, cwd: Path | None = None,
            timeout: float = 120) -> subprocess.CompletedProcess:
        return subprocess.run([*encircle_sim_command(), *map(str, args)], capture_output=True,
                              text=True, cwd=cwd or tmp_path, timeout=timeout)

    return run


@pytest.fixture
def write(tmp_path):
    """Write a (dedented) scenario file into the scratch folder; returns its path."""

    def _write(name: str, text: str) -> Path:
        path = tmp_path / name
        path.write_text(textwrap.dedent(text), encoding="utf-8")
        return path

    return _write
