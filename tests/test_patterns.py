"""The default scenario lands in every documented pattern, and docs/patterns.md says so.

The patterns, their sources and ranges are in src/encircle_sim/patterns.py; the document is
generated from them by ``python -m encircle_sim.patterns --seeds 20 --write docs/patterns.md``
with the same 20 seeds this test runs, so the figures it quotes are the ones checked here.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from encircle_sim import patterns
from encircle_sim.experiments import replication_seeds
from encircle_sim.runner import run

DOC = Path(__file__).resolve().parents[1] / "docs" / "patterns.md"
SEEDS = 20


@pytest.fixture(scope="module")
def default_runs():
    return [run("victory_will", seed=s, plots=False)
            for s in replication_seeds(SEEDS, root_seed=2019)]


@pytest.mark.slow
def test_the_default_lands_in_every_documented_pattern(default_runs):
    table = patterns.evaluate(default_runs)
    assert len(table) == len(patterns.PATTERNS)
    missed = table[~table["holds"]]
    assert missed.empty, missed.to_string()
    assert patterns.score(default_runs) == 0.0


@pytest.mark.slow
def test_the_patterns_document_quotes_these_runs(default_runs):
    text = patterns.render(patterns.evaluate(default_runs), "victory_will", SEEDS)
    assert DOC.read_text(encoding="utf-8") == text, (
        "docs/patterns.md is out of date; regenerate it: "
        "python -m encircle_sim.patterns --seeds 20 --write docs/patterns.md")


def test_a_pattern_measures_what_it_says():
    """Each measure on hand-made runs with known answers (not on the model)."""

    class Fake:
        def __init__(self, days, killed, captured, hideouts, attack_days):
            import pandas as pd

            n = len(days)
            self.steps = pd.DataFrame({
                "day": days, "phase": [1] * (n // 2) + [2] * (n - n // 2),
                "iraq_fighters_killed_total": killed, "iraq_fighters_captured_total": captured,
                "hideouts_destroyed_total": hideouts, "caches_destroyed_total": [0] * n})
            self.events = pd.DataFrame({
                "kind": ["attack_sdf"] * len(attack_days), "day": attack_days,
                "details": [f"town=T{k % 7}" for k in range(len(attack_days))]})
            self.summary = {"days": days[-1], "syria": {"attacks": len(attack_days),
                                                        "cells_active": 3, "cells_initial": 4},
                            "iraq": {"phase_days": {"perimeter": 0.0, "advance": 2.0,
                                                    "ended": 5.0},
                                     "cells_initial": 10, "killed": 1, "captured": 1,
                                     "dissolved": 0}}

    days = [0.0, 1.0, 2.0, 3.0, 4.0, 5.0]
    r = Fake(days, [0, 2, 4, 4, 10, 12], [0, 0, 1, 1, 1, 3], [0, 5, 9, 9, 15, 20],
             [0.5, 1.0, 1.5, 2.0, 2.5, 4.5, 4.8])
    # phase 1 rows 0-2 (from 0 to 4: 4 killed), phase 2 rows 3-5 (from 4 to 12: 8 killed)
    assert patterns.fighters_killed_per_phase(r) == pytest.approx(6.0)
    assert patterns.fighters_captured_per_phase(r) == pytest.approx(1.5)
    assert patterns.hideouts_found_per_phase(r) == pytest.approx(10.0)
    assert patterns.finds_per_fighter_taken(r) == pytest.approx(20 / 15)
    assert patterns.phase_length_days(r) == pytest.approx(2.5)
    assert patterns.group_persists(r) == pytest.approx(0.8)
    assert patterns.attacks_per_day(r) == pytest.approx(7 / 5)
    assert patterns.burst(r) == 1.0              # 5 towns struck by day 3
    assert patterns.sleepers_persist(r) == pytest.approx(0.75)
    # over several runs a pattern's figure is the mean of the runs' figures
    by_name = {p.name: p for p in patterns.PATTERNS}
    assert by_name["fighters killed per phase"].measure([r, r]) == pytest.approx(6.0)


def test_the_calibration_takes_the_same_patterns():
    calib = patterns.CALIBRATION_PATTERNS
    assert [c.name for c in calib] == [p.name for p in patterns.PATTERNS]
    assert all(c.accepted == (p.low, p.high) and c.run is p.per_run
               for c, p in zip(calib, patterns.PATTERNS, strict=True))


def test_dispersion_tells_bursts_from_poisson():
    rng = np.random.default_rng(1)
    flat = [patterns.dispersion(rng.poisson(2.0, 45)) for _ in range(200)]
    bursty = [patterns.dispersion(rng.poisson(rng.gamma(0.5, 4.0, 45))) for _ in range(200)]
    assert np.mean(flat) == pytest.approx(0.93, abs=0.06)   # (45 - 3) / 45 for the fitted trend
    assert np.mean(bursty) > 2.0
