"""The model's two stochastic mechanisms checked against their theory, in isolation.

Detection: Koopman's random search, P(detected by t) = 1 - exp(-W v t / A).
Attrition: Lanchester's aimed-fire (square) law, alpha B^2 - beta R^2 conserved.
"""

from __future__ import annotations

import numpy as np
import pytest

from encircle_sim.engagement import (
    detection_draw,
    fight,
    random_search_probability,
    search_hazards,
    square_law_survivors,
    sweep_width_km,
)


def test_random_search_curve():
    """A static target, a searcher moving at random over a square region: the share of targets
    found by each time follows 1 - exp(-W v t / A) (the model's searcher sweeps a disc of radius
    patrol_km around itself with effort W v dt each step)."""
    rng = np.random.default_rng(42)
    side_km, patrol_km = 100.0, 10.0
    area = side_km**2
    w = float(sweep_width_km(3.0, 0.5))           # 3 km sweep width
    v, dt, steps, reps = 6.0, 0.5, 400, 4000      # km/h, h, steps, replications
    effort = np.array([w * v * dt])               # km2 swept per step
    target = rng.random((reps, 2)) * side_km
    found_at = np.full(reps, np.inf)
    searcher = rng.random((reps, 2)) * side_km
    for k in range(steps):
        # random search: the searcher's position is uncorrelated with the target's
        step = rng.normal(0.0, 15.0, (reps, 2))
        searcher = (searcher + step) % side_km
        d = np.abs(target - searcher)
        d = np.minimum(d, side_km - d)             # on a torus: no edge effects
        dist = np.hypot(d[:, 0], d[:, 1])[:, None]
        h = search_hazards(dist, np.array([patrol_km]), effort, np.ones(reps))[:, 0]
        hit = detection_draw(h, rng) & np.isinf(found_at)
        found_at[hit] = (k + 1) * dt
    for hours in (20.0, 50.0, 100.0, 200.0):
        observed = np.mean(found_at <= hours)
        expected = random_search_probability(w, v, hours, area)
        assert observed == pytest.approx(expected, abs=0.03), hours


@pytest.mark.parametrize("blue0, red0, alpha, beta", [
    (100, 60, 0.05, 0.05),    # equal quality: sqrt(100^2 - 60^2) = 80 survive
    (60, 100, 0.2, 0.05),     # quality beats numbers: sqrt(4 x 60^2 - 100^2) / 2 = 33.2
    (50, 80, 0.05, 0.05),     # red wins: sqrt(80^2 - 50^2) = 62.4
])
def test_lanchester_square_law_on_average(blue0, red0, alpha, beta):
    rng = np.random.default_rng(7)
    reps = 3000
    res = fight(np.full(reps, blue0), np.full(reps, red0), alpha, beta, hours=0.5, slices=50,
                rng=rng, until_decided=True)
    blue_left = (blue0 - res.blue_losses).mean()
    red_left = (red0 - res.red_losses).mean()
    expect_b, expect_r = square_law_survivors(blue0, red0, alpha, beta)
    # stochastic fights to the finish end near the deterministic survivors (within 5% of the
    # starting strength of the winner)
    assert blue_left == pytest.approx(expect_b, abs=0.05 * blue0)
    assert red_left == pytest.approx(expect_r, abs=0.05 * red0)


def test_square_law_not_linear_law():
    """Concentration pays quadratically: doubling numbers beats doubling quality-per-soldier
    only under the square law, which the stochastic fight must show."""
    rng = np.random.default_rng(3)
    reps = 2000
    # 2:1 numbers against 3:1 quality: square law says numbers win (4 > 3), linear law quality
    res = fight(np.full(reps, 100), np.full(reps, 50), 0.03, 0.09, hours=0.5, slices=50, rng=rng,
                until_decided=True)
    assert np.mean(res.red_losses == 50) > 0.9


def test_ambush_favours_the_ambusher():
    rng = np.random.default_rng(5)
    reps = 4000
    kw = dict(hours=1 / 3, slices=2, rng=rng)
    plain = fight(np.full(reps, 30), np.full(reps, 12), 0.05, 0.03, **kw)
    ambush = fight(np.full(reps, 30), np.full(reps, 12), 0.05, 0.03, red_first=3.0,
                   blue_first=0.3, **kw)
    assert ambush.blue_losses.mean() > 1.5 * plain.blue_losses.mean()
    assert ambush.red_losses.mean() < plain.red_losses.mean()


def test_detection_draw_matches_hazard():
    rng = np.random.default_rng(1)
    h = np.full(200_000, 0.4)
    assert detection_draw(h, rng).mean() == pytest.approx(1 - np.exp(-0.4), abs=0.005)
