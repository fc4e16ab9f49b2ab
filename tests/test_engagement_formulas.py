"""The formulas of engagement.py, each checked against the value written from its statement.

tests/test_mechanisms.py checks the mechanisms against their theory (Koopman's curve, the
Lanchester and Deitchman laws) over many fights; these tests pin the small rules those laws are
built from, at the values the module docstring states: the sweep width W = 2 r p, the hazard
W v t / (pi R^2) x exposure inside the search disc and none outside it, a fight of n slices of
dt = hours / n, the first-slice multipliers, the weaker side breaking off or pinned, the boundary
of Deitchman's law, the square law's survivors, Poisson collateral. Each is the kind of planted
bug a mutation tester finds (a factor, a comparison, a default, a sign). Stochastic checks are
means over many draws with a tolerance of Z standard errors.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from encircle_sim.engagement import (
    civilian_casualties,
    deitchman_blue_wins,
    detection_draw,
    fight,
    random_search_probability,
    search_hazards,
    square_law_survivors,
    sweep_width_km,
)

Z = 4.0  # tolerance in standard errors


def within(observed: float, expected: float, se: float) -> bool:
    return abs(observed - expected) < Z * se


# ---- detection ----------------------------------------------------------------------------------
def test_sweep_width_is_twice_the_range_times_the_glimpse_probability():
    assert sweep_width_km(5.0, 0.4) == pytest.approx(2 * 5.0 * 0.4)
    widths = sweep_width_km(np.array([1.0, 3.0]), np.array([1.0, 0.5]))
    np.testing.assert_allclose(widths, [2.0, 3.0])


def test_random_search_probability_is_koopmans_formula():
    w, v, t, a = 4.0, 5.0, 3.0, 200.0
    assert random_search_probability(w, v, t, a) == pytest.approx(1 - math.exp(-w * v * t / a))
    assert random_search_probability(w, v, 0.0, a) == 0.0


def test_search_hazard_is_effort_over_the_disc_times_exposure_inside_it_only():
    """h = W v t / (pi R^2) x exposure for a target within R of the searcher (the edge
    included), 0 beyond it."""
    patrol = np.array([10.0, 20.0])
    effort = np.array([30.0, 50.0])
    exposure = np.array([1.0, 0.25, 0.6])
    dist = np.array([[0.0, 25.0],
                     [10.0, 20.0],      # on the edge of both discs
                     [10.5, 19.0]])
    h = search_hazards(dist, patrol, effort, exposure)
    per_area = effort / (math.pi * patrol**2)
    expected = np.array([[per_area[0] * 1.0, 0.0],
                         [per_area[0] * 0.25, per_area[1] * 0.25],
                         [0.0, per_area[1] * 0.6]])
    np.testing.assert_allclose(h, expected, rtol=1e-12)


def test_detection_draw_is_bernoulli_with_one_minus_exp_of_minus_the_hazard():
    rng = np.random.default_rng(3)
    hazard = np.repeat([0.0, 0.1, 1.5], 40_000)
    found = detection_draw(hazard, rng).reshape(3, -1).mean(axis=1)
    for h, share in zip((0.0, 0.1, 1.5), found, strict=True):
        p = 1 - math.exp(-h)
        assert within(share, p, math.sqrt(max(p * (1 - p), 1e-9) / 40_000)), (h, share)
    empty = detection_draw(np.zeros((0, 3)), rng)
    assert empty.shape == (0, 3) and empty.dtype == bool


# ---- a fight of fixed length --------------------------------------------------------------------
def test_a_fixed_length_fight_is_its_slices_of_aimed_fire():
    """Red does not fire back and cannot run out: each of n slices of dt = hours / n hits each
    of B enemy with p = 1 - exp(-alpha dt), so mean losses n B p (not one slice more or less,
    not a longer dt)."""
    rng = np.random.default_rng(5)
    reps, blue0, alpha, hours, n = 4000, 30, 0.4, 2.0, 4
    res = fight(np.full(reps, blue0), np.full(reps, 10_000), alpha, 0.0, hours=hours, slices=n,
                rng=rng)
    p = 1 - math.exp(-alpha * hours / n)
    assert within(res.red_losses.mean(), n * blue0 * p, math.sqrt(n * blue0 * p * (1 - p) / reps))
    assert (res.blue_losses == 0).all()


def test_red_fire_is_aimed_at_the_rate_beta_per_fighter():
    rng = np.random.default_rng(6)
    reps, red0, beta, hours, n = 4000, 25, 0.3, 1.0, 2
    res = fight(np.full(reps, 10_000), np.full(reps, red0), 0.0, beta, hours=hours, slices=n,
                rng=rng)
    q = 1 - math.exp(-beta * hours / n)
    assert within(res.blue_losses.mean(), n * red0 * q, math.sqrt(n * red0 * q * (1 - q) / reps))


def test_first_slice_multipliers_apply_to_the_first_slice_only():
    """Two slices of dt: blue's hits are B (p(alpha m_b dt) + p(alpha dt)), red's
    R (p(beta m_r dt) + p(beta dt)), with p(x) = 1 - exp(-x)."""
    rng = np.random.default_rng(7)
    reps, big, alpha, beta, dt = 4000, 10_000, 0.2, 0.1, 0.5
    m_red, m_blue = 4.0, 0.25
    res = fight(np.full(reps, 40), np.full(reps, big), alpha, 0.0, hours=2 * dt, slices=2,
                rng=rng, blue_first=m_blue, red_first=m_red)
    p1, p2 = 1 - math.exp(-alpha * m_blue * dt), 1 - math.exp(-alpha * dt)
    var = 40 * (p1 * (1 - p1) + p2 * (1 - p2))
    assert within(res.red_losses.mean(), 40 * (p1 + p2), math.sqrt(var / reps))
    res = fight(np.full(reps, big), np.full(reps, 40), 0.0, beta, hours=2 * dt, slices=2,
                rng=rng, blue_first=m_blue, red_first=m_red)
    q1, q2 = 1 - math.exp(-beta * m_red * dt), 1 - math.exp(-beta * dt)
    var = 40 * (q1 * (1 - q1) + q2 * (1 - q2))
    assert within(res.blue_losses.mean(), 40 * (q1 + q2), math.sqrt(var / reps))


def test_without_first_slice_multipliers_every_slice_is_alike():
    """The defaults are no ambush: 1 x the fire in the first slice."""
    rng = np.random.default_rng(8)
    reps, alpha, beta, dt = 4000, 0.2, 0.2, 0.5
    res = fight(np.full(reps, 30), np.full(reps, 30), alpha, beta, hours=dt, slices=1, rng=rng)
    p = 1 - math.exp(-alpha * dt)
    se = math.sqrt(30 * p * (1 - p) / reps)
    assert within(res.red_losses.mean(), 30 * p, se)
    assert within(res.blue_losses.mean(), 30 * p, se)


def test_a_fight_stops_when_one_side_is_gone():
    rng = np.random.default_rng(9)
    res = fight(np.array([50, 0, 5]), np.array([1, 7, 0]), 50.0, 0.0, hours=1.0, slices=10,
                rng=rng)
    # overwhelming fire wipes out the single fighter; the empty sides never fight
    np.testing.assert_array_equal(res.red_losses, [1, 0, 0])
    np.testing.assert_array_equal(res.blue_losses, [0, 0, 0])
    assert not res.broke_contact.any() and not res.pinned.any()


def test_until_decided_fights_past_the_hours():
    """until_decided ignores the slice limit: every fight ends with one side gone."""
    rng = np.random.default_rng(10)
    res = fight(np.full(200, 20), np.full(200, 20), 0.1, 0.1, hours=0.1, slices=1, rng=rng,
                until_decided=True)
    left_b, left_r = 20 - res.blue_losses, 20 - res.red_losses
    assert ((left_b == 0) | (left_r == 0)).all()
    short = fight(np.full(200, 20), np.full(200, 20), 0.1, 0.1, hours=0.1, slices=1, rng=rng)
    assert (short.red_losses < 20).all()


# ---- breaking contact ---------------------------------------------------------------------------
def _weak_red(break_contact: float, reps: int = 3000, seed: int = 11):
    """Red (fighters that cannot run out, no fire) against 40 soldiers: red expects fewer hits on
    blue than it takes, so it is the weaker side; it does not fire, so blue keeps its 40."""
    rng = np.random.default_rng(seed)
    return fight(np.full(reps, 40), np.full(reps, 10_000), 0.05, 0.0, hours=3.0, slices=3,
                 rng=rng, break_contact=break_contact)


def test_the_weaker_side_breaks_off_after_the_first_slice_with_its_chance():
    """With chance c the weaker side leaves after one slice (losses B p), otherwise it is pinned
    for all n slices (n B p)."""
    c, n, blue0, dt, alpha = 0.3, 3, 40, 1.0, 0.05
    res = _weak_red(c)
    reps = len(res.red_losses)
    assert within(res.broke_contact.mean(), c, math.sqrt(c * (1 - c) / reps))
    np.testing.assert_array_equal(res.pinned, ~res.broke_contact)
    p = 1 - math.exp(-alpha * dt)
    left = res.red_losses[res.broke_contact]
    stayed = res.red_losses[res.pinned]
    assert within(left.mean(), blue0 * p, math.sqrt(blue0 * p * (1 - p) / len(left)))
    assert within(stayed.mean(), n * blue0 * p, math.sqrt(n * blue0 * p * (1 - p) / len(stayed)))


def test_the_weaker_side_that_cannot_break_off_is_pinned():
    res = _weak_red(0.0, reps=500)
    assert res.pinned.all() and not res.broke_contact.any()
    res = _weak_red(1.0, reps=500)
    assert res.broke_contact.all() and not res.pinned.any()


def test_the_stronger_side_neither_breaks_off_nor_is_pinned():
    """Red expects more hits on blue than it takes: it fights on, whatever break_contact."""
    rng = np.random.default_rng(12)
    # red: 100 fighters x (1 - exp(-0.5)) = 39 hits expected; blue: 1000 x 0.01 = 10
    res = fight(np.full(500, 1000), np.full(500, 100), 0.01, 0.5, hours=3.0, slices=3,
                rng=rng, break_contact=1.0)
    assert not res.broke_contact.any() and not res.pinned.any()
    one_slice = 1000 * (1 - math.exp(-0.01))
    assert res.red_losses.mean() > 2 * one_slice   # it stayed for all three


def test_equal_sides_are_not_the_weaker_side():
    """Red expecting exactly as many hits as it takes is not weaker (the rule is strict)."""
    rng = np.random.default_rng(13)
    res = fight(np.full(200, 20), np.full(200, 20), 0.1, 0.1, hours=0.2, slices=2, rng=rng,
                break_contact=1.0)
    assert not res.broke_contact.any() and not res.pinned.any()


# ---- Deitchman, square law, collateral ----------------------------------------------------------
def test_deitchman_boundary_is_strict():
    """Blue wins iff b B0^2 > 2 a R0; on the boundary both sides run out together: no win."""
    b, a, blue0, red0 = 0.5, 0.25, 4.0, 16.0      # b B0^2 = 8 = 2 a R0
    assert not deitchman_blue_wins(blue0, red0, b, a)
    assert deitchman_blue_wins(blue0, red0 - 1, b, a)
    assert not deitchman_blue_wins(blue0, red0 + 1, b, a)
    assert deitchman_blue_wins(blue0 + 0.1, red0, b, a)


@pytest.mark.parametrize("blue0, red0, alpha, beta", [
    (100, 60, 0.05, 0.05), (60, 100, 0.2, 0.05), (50, 80, 0.05, 0.05), (30, 10, 0.01, 0.09)])
def test_square_law_survivors_conserve_alpha_b2_minus_beta_r2(blue0, red0, alpha, beta):
    state = alpha * blue0**2 - beta * red0**2
    blue, red = square_law_survivors(blue0, red0, alpha, beta)
    if state > 0:
        assert (blue, red) == (pytest.approx(math.sqrt(state / alpha)), 0.0)
    else:
        assert (blue, red) == (0.0, pytest.approx(math.sqrt(-state / beta)))


def test_square_law_survivors_of_an_even_fight_are_none():
    assert square_law_survivors(30, 30, 0.1, 0.1) == (0.0, 0.0)


def test_civilian_casualties_are_poisson_with_the_stated_mean():
    """Mean per_1000 x density / 1000 x shooter-hours; none where nobody lives."""
    rng = np.random.default_rng(14)
    n, per_1000, density, hours = 20_000, 0.8, 250.0, 20.0
    civ = civilian_casualties(np.full(n, density), np.full(n, hours), per_1000, rng)
    lam = per_1000 * density / 1000 * hours
    assert within(civ.mean(), lam, math.sqrt(lam / n))
    assert within(civ.var(), lam, lam * math.sqrt(2 / n) * 2)
    none = civilian_casualties(np.zeros(100), np.full(100, 50.0), per_1000, rng)
    assert (none == 0).all()
    # a negative input (never meant) is clipped to no harm rather than an error
    assert (civilian_casualties(np.full(10, -5.0), np.full(10, 1.0), 1.0, rng) == 0).all()
