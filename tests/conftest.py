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


# ---- mutation testing (`make mutation`) ---------------------------------------------------------
# mutmut runs, for each mutant, the tests that cover the mutated function and stops at the first
# failure; running the cheap, sharp tests first makes most mutants die in about a second.
CHEAP_KILLERS_FIRST = (
    "tests/test_decide_rule.py",
    "tests/test_engagement_formulas.py",
    "tests/test_cover.py",
    "tests/test_submodel_rules.py",
    "tests/test_fingerprint.py::test_outputs_match_the_fingerprint[quick",
    "tests/test_mechanisms_in_campaign.py",
    "tests/test_fingerprint.py",
    "tests/test_mechanisms.py",
)


def pytest_addoption(parser):
    parser.addoption("--cheap-killers-first", action="store_true",
                     help="run the fast mechanism and fingerprint tests first (mutation testing)")


def pytest_collection_modifyitems(config, items):
    if not config.getoption("--cheap-killers-first"):
        return

    def rank(item) -> int:
        ranks = [i for i, p in enumerate(CHEAP_KILLERS_FIRST) if item.nodeid.startswith(p)]
        return ranks[0] if ranks else len(CHEAP_KILLERS_FIRST)

    items.sort(key=rank)
