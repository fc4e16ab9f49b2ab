"""Scenario-level behaviour over several seeds: would these fail if the model were wrong?

Each test compares outcomes summed or averaged over seeds, so that one lucky seed cannot pass
or fail it alone. Runs use the bundled scenarios, shortened where the effect shows early. The
documented patterns of the default scenario are checked in tests/test_patterns.py; these tests
check that the outcomes move the right way when one cause is changed.
"""

from __future__ import annotations

import numpy as np
import pytest

from encircle_sim.patterns import burst_share, dispersion
from encircle_sim.runner import run
from encircle_sim.scenario_files import load_scenario

SEEDS = (11, 12, 13, 14, 15)


def runs(name: str, overrides: dict | None = None, seeds=SEEDS) -> list:
    return [run(name, seed=s, overrides=overrides or {}, plots=False) for s in seeds]


def outcomes(name: str, overrides: dict | None = None, seeds=SEEDS) -> list[dict]:
    return [r.summary for r in runs(name, overrides, seeds)]


def get(row: dict, key: str):
    """A summary figure by dotted path: ``get(summary, "iraq.killed")``."""
    for part in key.split("."):
        row = row[part]
    return row


def total(rows: list[dict], key: str) -> float:
    return float(sum(get(r, key) for r in rows))


def escapes(rows: list[dict]) -> float:
    return total(rows, "iraq.escaped_cordon") + total(rows, "iraq.escaped_border")


def scaled_forces(name: str, factor: float) -> dict:
    """Overrides multiplying the number of units of every Iraqi formation."""
    sc = load_scenario(name)
    return {f"forces[{i}].units": max(1, int(round(f.units * factor)))
            for i, f in enumerate(sc.forces) if f.side != "SDF"}


def test_no_forces_neutralise_nothing():
    # plenty of supply, so no cell can starve: only forces could take cells out
    rows = outcomes("quick", {"forces": [], "air": [], "insurgents.supply_days": 200.0})
    assert total(rows, "iraq.killed") == 0
    assert total(rows, "iraq.captured") == 0
    assert total(rows, "sf_casualties") == 0
    assert total(rows, "iraq.caches_destroyed") == 0
    # the pocket is never cleared when nobody searches it
    assert all(r["iraq"]["pocket_area_km2"] == r["iraq"]["pocket_area_initial_km2"]
               for r in rows)


@pytest.mark.slow
def test_without_pressure_cells_stay():
    """Escape is a response: with no forces and no air over the whole campaign, at most 5% of
    the cells leave the operation area (they have reasons to stay and nothing pushes them)."""
    rows = outcomes("victory_will_iraq_only", {"forces": [], "air": []})
    assert escapes(rows) <= 0.05 * total(rows, "iraq.cells_initial")


@pytest.mark.slow
def test_more_force_finds_more_and_presses_more_cells_out():
    """Force level 0.5x, 1x, 2x (every Iraqi formation): finds (hideouts, caches) and
    fighters taken rise, and so do escapes, because escape answers pressure: the harder the
    squeeze, the more cells break out through whatever gaps the cordon leaves (the cordon's own
    effect is the next test)."""
    short = {"time.max_days": 30.0}
    levels = [outcomes("victory_will_iraq_only", {**short, **scaled_forces(
        "victory_will_iraq_only", f)}, seeds=SEEDS[:4]) for f in (0.5, 1.0, 2.0)]
    esc = [escapes(rows) for rows in levels]
    finds = [total(rows, "iraq.hideouts_destroyed") + total(rows, "iraq.caches_destroyed")
             for rows in levels]
    taken = [total(rows, "iraq.fighters_killed") + total(rows, "iraq.fighters_captured")
             for rows in levels]
    assert finds[0] < finds[1] < finds[2], finds
    assert taken[0] < taken[2], taken
    assert esc[0] < esc[1] < esc[2], esc


@pytest.mark.slow
def test_a_closer_watch_on_the_cordon_contains_more():
    """Only the reach of the cordon's watch changes (border.interdiction_km, 4 vs 16 km): more
    attempts are stopped and fewer cells get out."""
    short = {"time.max_days": 30.0}
    loose = runs("victory_will_iraq_only", {**short, "border.interdiction_km": 4.0},
                 seeds=SEEDS[:4])
    tight = runs("victory_will_iraq_only", {**short, "border.interdiction_km": 16.0},
                 seeds=SEEDS[:4])
    stopped = [sum(int((r.events["kind"] == "interdiction").sum()) for r in rs)
               for rs in (loose, tight)]
    out = [escapes([r.summary for r in rs]) for rs in (loose, tight)]
    assert stopped[1] > stopped[0], stopped
    assert out[1] < out[0], out


@pytest.mark.slow
def test_the_noise_setting_does_not_set_the_escapes():
    """The choice rule's randomness stays, but a third of it leaves the escapes within a
    margin: escapes follow pressure, not noise."""
    base = escapes(outcomes("victory_will_iraq_only"))
    calm = escapes(outcomes("victory_will_iraq_only", {"insurgents.choice_temperature": 0.1}))
    assert 0.6 * base <= calm <= 1.4 * base, (base, calm)


@pytest.mark.slow
def test_a_sealed_border_means_fewer_border_escapes_and_fewer_attacks_in_syria():
    """Only border.sealing changes; 20 seeds of a 300-cell pocket (the size at which the issue
    measured it: with 120 cells a handful cross). Through the coupling, escapees join the
    sleepers: an open border leaves a larger sleeper network and brings more attacks in Syria.
    The attacks' margin needs the 20 seeds: they come in bursts and follow the pressure, so
    per-seed differences scatter widely (measured: 2,522 vs 2,190 attacks, paired mean
    difference 16.6 a run with a standard error of 8.4)."""
    seeds = tuple(range(21, 41))
    big = {"insurgents.cells": 300}
    sealed = outcomes("victory_will", {**big, "border.sealing": 1.0}, seeds=seeds)
    open_ = outcomes("victory_will", {**big, "border.sealing": 0.0}, seeds=seeds)
    assert total(open_, "iraq.escaped_border") > total(sealed, "iraq.escaped_border") + 10
    assert total(sealed, "iraq.escaped_border") == 0
    assert total(open_, "syria.joined_from_iraq") == total(open_, "iraq.escaped_border")
    assert total(open_, "syria.cells_active") > 1.2 * total(sealed, "syria.cells_active")
    assert total(open_, "syria.attacks") > 1.1 * total(sealed, "syria.attacks")


@pytest.mark.slow
def test_retaliation_off_means_no_attacks_and_pressure_means_more():
    short = {"time.max_days": 25.0}
    off = outcomes("victory_will_no_retaliation", short, seeds=SEEDS[:3])
    assert total(off, "syria.attacks") == 0
    calm = outcomes("victory_will", {**short, "retaliation.pressure_gain": 0.0},
                    seeds=SEEDS[:3])
    driven = outcomes("victory_will", {**short, "retaliation.pressure_gain": 12.0},
                      seeds=SEEDS[:3])
    assert total(calm, "syria.attacks") > 0
    assert total(driven, "syria.attacks") > 1.5 * total(calm, "syria.attacks")


def _attacks_per_day(result, first: float, last: float) -> float:
    ev = result.events
    days = ev.loc[ev["kind"].isin(["attack_sdf", "attack_population"]), "day"]
    return float(((days >= first) & (days < last)).sum() / (last - first))


@pytest.mark.slow
def test_the_sdf_hunt_provokes_then_suppresses_without_wiping_out():
    """jazeera_storm, 45 days of SDF operations: the hunt provokes a burst (the first 10 days
    see more attacks than with no SDF at all), then raids lower the attacks without stopping
    them (fewer in the last 15 days than in the first 10, but some), and most sleeper cells
    are still there at the end (recruits replace losses; RIC 2019: 395 raids and 581 arrests
    in a year while attacks went on)."""
    hunted = runs("jazeera_storm")
    alone = runs("jazeera_storm", {"forces": [], "air": []})
    early = np.mean([_attacks_per_day(r, 0, 10) for r in hunted])
    late = np.mean([_attacks_per_day(r, 30, 45) for r in hunted])
    assert early > np.mean([_attacks_per_day(r, 0, 10) for r in alone])
    assert 0 < late < early, (early, late)
    kept = [r.summary["syria"]["cells_active"] / r.summary["syria"]["cells_initial"]
            for r in hunted]
    assert np.mean(kept) >= 0.6, kept
    assert sum(r.summary["syria"]["killed"] + r.summary["syria"]["captured"]
               for r in hunted) > 0


@pytest.mark.slow
def test_pressure_brings_a_burst_across_the_towns():
    """In most seeds, attacks strike at least 5 of the 7 towns within 3 days of the start (the
    account: in response to the hunt and the sealing of the border)."""
    coupled = runs("victory_will", {"time.max_days": 5.0}, seeds=tuple(range(31, 41)))
    assert burst_share(coupled) >= 0.6


@pytest.mark.slow
def test_attacks_come_in_bursts():
    """Daily attack counts are overdispersed after removing the slow trend (self-excitation),
    and a Poisson process with the same rate is not."""
    rs = runs("jazeera_storm")
    counts = [np.bincount(np.floor(r.events.loc[r.events["kind"].isin(
        ["attack_sdf", "attack_population"]), "day"]).astype(int), minlength=45)[:45]
        for r in rs]
    assert np.mean([dispersion(c) for c in counts]) > 1.3
    rng = np.random.default_rng(0)
    poisson = [rng.poisson(np.full(45, max(c.mean(), 0.1))) for c in counts]
    assert np.mean([dispersion(c) for c in poisson]) < 1.1


def test_destroying_caches_weakens_cells():
    # short supply, so the caches matter; caches either found easily or never found
    common = {"insurgents.supply_days": 8.0, "networks.caches": 20}
    found = [run("quick", seed=s, overrides={**common, "networks.cache_concealment": 0.0})
             for s in SEEDS]
    hidden = [run("quick", seed=s, overrides={**common, "networks.cache_concealment": 0.99})
              for s in SEEDS]
    assert sum(r.summary["iraq"]["caches_destroyed"] for r in found) > sum(
        r.summary["iraq"]["caches_destroyed"] for r in hidden)
    share_low = lambda rs: np.mean([  # noqa: E731
        (r.steps["low_supply_cells"] / r.steps["iraq_cells_active"].clip(lower=1)).mean()
        for r in rs])
    assert share_low(found) > share_low(hidden)
