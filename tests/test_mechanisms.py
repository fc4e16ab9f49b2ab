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
    found by each time follows Koopman's 1 - exp(-W v t / A), with W = 2 r p for a sensor of
    range r and glimpse probability p (the model's searcher sweeps a disc of radius patrol_km
    around itself with effort W v dt each step)."""
    rng = np.random.default_rng(42)
    side_km, patrol_km = 100.0, 10.0
    area = side_km**2
    sensor_km, glimpse = 3.0, 0.5
    w = 2.0 * sensor_km * glimpse                # 3 km sweep width, from the formula
    v, dt, steps, reps = 6.0, 0.5, 400, 4000      # km/h, h, steps, replications
    effort = np.array([float(sweep_width_km(sensor_km, glimpse)) * v * dt])
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
        expected = 1.0 - np.exp(-w * v * hours / area)
        se = np.sqrt(expected * (1 - expected) / reps)
        # the searcher sweeps in steps of dt: the curve is sampled, not continuous; 4 SE
        assert abs(observed - expected) < 4 * se, (hours, observed, expected)
    assert random_search_probability(w, v, 100.0, area) == pytest.approx(
        1.0 - np.exp(-w * v * 100.0 / area))


def exact_mean_survivors(blue0: int, red0: int, p_blue: float, p_red: float) -> tuple[float, float]:
    """Expected survivors of the discrete stochastic fight to the finish, computed exactly.

    The process: in each slice every blue soldier hits a fighter with probability p_blue and
    every fighter a soldier with p_red, independently (binomial hits on both sides at once),
    until one side is gone. Dynamic programming over the states (b, r), smallest first; the
    slice with no hit on either side is the only self-transition and is divided out.
    """
    from scipy.stats import binom

    vb = np.zeros((blue0 + 1, red0 + 1))   # expected final blue survivors from (b, r)
    vr = np.zeros((blue0 + 1, red0 + 1))
    vb[:, 0] = np.arange(blue0 + 1)
    vr[0, :] = np.arange(red0 + 1)
    hits_from_blue = [binom.pmf(np.arange(b + 1), b, p_blue) for b in range(blue0 + 1)]
    hits_from_red = [binom.pmf(np.arange(r + 1), r, p_red) for r in range(red0 + 1)]
    for b in range(1, blue0 + 1):
        for r in range(1, red0 + 1):
            on_red, on_blue = hits_from_blue[b], hits_from_red[r]
            nb = np.maximum(b - np.arange(r + 1), 0)            # blue left after j hits
            nr = np.maximum(r - np.arange(b + 1), 0)            # red left after i hits
            w = np.outer(on_blue, on_red)
            stay = w[0, 0]
            w[0, 0] = 0.0
            vb[b, r] = (w * vb[np.ix_(nb, nr)]).sum() / (1 - stay)
            vr[b, r] = (w * vr[np.ix_(nb, nr)]).sum() / (1 - stay)
    return float(vb[blue0, red0]), float(vr[blue0, red0])


@pytest.mark.parametrize("blue0, red0, alpha, beta", [
    (100, 60, 0.05, 0.05),    # equal quality: sqrt(100^2 - 60^2) = 80 survive
    (60, 100, 0.2, 0.05),     # quality beats numbers: sqrt(4 x 60^2 - 100^2) / 2 = 33.2
    (50, 80, 0.05, 0.05),     # red wins: sqrt(80^2 - 50^2) = 62.4
])
def test_lanchester_fight_to_the_finish(blue0, red0, alpha, beta):
    """Mean survivors of many simulated fights equal the exact expectation of the stochastic
    process (within sampling error), and that lies near the deterministic square law."""
    rng = np.random.default_rng(7)
    reps, hours, slices = 3000, 0.5, 50
    res = fight(np.full(reps, blue0), np.full(reps, red0), alpha, beta, hours=hours,
                slices=slices, rng=rng, until_decided=True)
    blue_left = blue0 - res.blue_losses
    red_left = red0 - res.red_losses
    dt = hours / slices
    exact_b, exact_r = exact_mean_survivors(blue0, red0, 1 - np.exp(-alpha * dt),
                                            1 - np.exp(-beta * dt))
    for left, exact in ((blue_left, exact_b), (red_left, exact_r)):
        se = max(left.std(ddof=1), 1.0) / np.sqrt(reps)
        assert abs(left.mean() - exact) < 4 * se, (left.mean(), exact)
    # the square law (alpha B^2 - beta R^2 conserved) is the deterministic limit: the
    # stochastic means lie within 3% of each side's start of it here
    expect_b, expect_r = square_law_survivors(blue0, red0, alpha, beta)
    assert abs(exact_b - expect_b) < 0.03 * blue0
    assert abs(exact_r - expect_r) < 0.03 * red0


def test_one_slice_of_fire_hits_at_the_aimed_fire_rate():
    """The first slice alone: each of B soldiers hits with p = 1 - exp(-alpha dt), each of R
    fighters with q = 1 - exp(-beta dt); mean hits B p and R q."""
    rng = np.random.default_rng(11)
    reps, blue0, red0, alpha, beta, hours = 20000, 40, 30, 0.3, 0.1, 0.5
    res = fight(np.full(reps, blue0), np.full(reps, red0), alpha, beta, hours=hours, slices=1,
                rng=rng)
    p, q = 1 - np.exp(-alpha * hours), 1 - np.exp(-beta * hours)
    assert abs(res.red_losses.mean() - blue0 * p) < 4 * np.sqrt(blue0 * p * (1 - p) / reps)
    assert abs(res.blue_losses.mean() - red0 * q) < 4 * np.sqrt(red0 * q * (1 - q) / reps)


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
