"""Detection and attrition: the two stochastic mechanisms every contact goes through.

Detection follows Koopman's random-search theory. A searcher with effective sweep width W moving
at speed v for t hours, its effort spread at random over an area A, detects a given target in A
with probability ``1 - exp(-W v t / A)``. Each security-force unit spreads its search over a disc
of radius ``patrol_km`` around its position (area ``A = pi patrol_km^2``) with sweep width
``W = 2 sensor_km p_detect`` (a definite-range sensor with glimpse probability p_detect). Hazards
of several searchers add; terrain concealment removes a share of each. A randomly moving searcher
over a larger region then reproduces the classical curve over that region (tested in
``tests/test_mechanisms.py``).

Attrition follows Lanchester's aimed-fire (square) law in a stochastic, discrete form: in each
time slice dt every firing soldier puts an enemy out of action with probability
``1 - exp(-alpha dt)`` (and every fighter a soldier with ``1 - exp(-beta dt)``). The expected
losses are ``alpha B dt`` and ``beta R dt``, so for many slices the mean survivors follow the
square law ``alpha B^2 - beta R^2 = const``. Against a concealed enemy the soldiers cannot aim:
they fire into the area it holds (Deitchman 1962), and each fighter there is put out of action
with probability ``1 - exp(-b B dt)``, so the expected losses ``b B R dt`` grow with the enemy's
numbers; with the enemy's aimed fire in reply (``a R``) the mixed law conserves
``b B^2 / 2 - a R`` and the soldiers win a fight to the finish only if ``b B0^2 > 2 a R0``.
Ambushes multiply the ambusher's fire and damp the defender's in the first slice. The weaker
side of a contact (the one expecting fewer hits on the other) tries to break it off after the
first slice; if it fails, it is pinned for the rest of the contact.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from encircle_sim import engagement_kernels as kernels


def sweep_width_km(sensor_km: np.ndarray | float, p_detect: np.ndarray | float) -> np.ndarray:
    """Effective sweep width of a definite-range sensor: W = 2 r p."""
    return 2.0 * np.asarray(sensor_km, float) * np.asarray(p_detect, float)


def random_search_probability(sweep_km: float, speed_kmh: float, hours: float,
                              area_km2: float) -> float:
    """Koopman's random-search detection probability 1 - exp(-W v t / A)."""
    return float(1.0 - np.exp(-sweep_km * speed_kmh * hours / area_km2))


def search_hazards(dist_km: np.ndarray, patrol_km: np.ndarray, effort_km2: np.ndarray,
                   exposure: np.ndarray) -> np.ndarray:
    """Per-step detection hazard of each target from each searcher.

    Args:
        dist_km: (targets, searchers) distances.
        patrol_km: (searchers,) radius of each searcher's search disc.
        effort_km2: (searchers,) area swept this step, W v t (already scaled by intensity).
        exposure: (targets,) share of effort that counts against the target, 1 - concealment.

    Returns:
        (targets, searchers) hazards; sum over searchers and use 1 - exp(-h) for probability.
    """
    return kernels.search_hazards(np.asarray(dist_km, float), np.asarray(patrol_km, float),
                                  np.asarray(effort_km2, float), np.asarray(exposure, float))


def detection_draw(hazard: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Bernoulli draws with probability 1 - exp(-hazard)."""
    if hazard.size == 0:
        return np.zeros(hazard.shape, bool)
    return rng.random(hazard.shape) < -np.expm1(-hazard)


#: Up to this many draws from one distribution, one numpy call per draw: numpy's scalar path
#: draws the same numbers in the same order as its array path (both call the same C function
#: draw by draw, on the same generator state), but skips the array path's argument checks,
#: which cost several times a draw; a contact batch seldom has more than a few contacts.
SCALAR_DRAWS = 8


@dataclass
class FightResult:
    """Outcome of a batch of simultaneous contacts."""

    blue_losses: np.ndarray  # int (n,)
    red_losses: np.ndarray   # int (n,)
    broke_contact: np.ndarray  # bool (n,): red broke contact before being destroyed
    pinned: np.ndarray       # bool (n,): red, the weaker side, tried to break off and failed


def fight(blue: np.ndarray, red: np.ndarray, alpha: np.ndarray, beta: np.ndarray, *,
          hours: float, slices: int, rng: np.random.Generator,
          red_first: np.ndarray | float = 1.0, blue_first: np.ndarray | float = 1.0,
          break_contact: float = 0.0, area_fire: np.ndarray | bool = False,
          area_fighters: float = 1.0, until_decided: bool = False) -> FightResult:
    """Simulate many contacts at once with stochastic Lanchester fire.

    Args:
        blue, red: engaged strengths (soldiers, fighters) per contact.
        alpha: blue's kill rate per firing soldier per hour (aimed fire); beta: red's, per
            fighter (always aimed).
        hours, slices: contact duration and the number of time slices it is cut into.
        red_first, blue_first: fire multipliers in the first slice (ambush, surprise).
        break_contact: chance that red, if it is the weaker side, breaks off after the first
            slice (otherwise it is pinned for the rest of the contact).
        area_fire: per contact, whether blue fires into the area a concealed red holds; its
            Deitchman coefficient is ``b = alpha / area_fighters`` per soldier per fighter per
            hour, so area and aimed fire kill alike against ``area_fighters`` fighters.
        until_decided: ignore ``hours`` limits and fight until one side is gone (for tests).
    """
    blue = np.asarray(blue, np.int64)
    table = np.empty((kernels.INT_ROWS, len(blue)), np.int64)
    rates = np.empty((kernels.FLOAT_ROWS, len(blue)))
    table[kernels.BLUE], table[kernels.RED], table[kernels.AREA] = blue, red, area_fire
    rates[kernels.ALPHA], rates[kernels.BETA] = alpha, beta
    rates[kernels.BLUE_FIRST], rates[kernels.RED_FIRST] = blue_first, red_first
    fight_table(table, rates, dt=hours / slices, slices=slices, rng=rng,
                break_contact=break_contact, area_fighters=area_fighters,
                until_decided=until_decided)
    return FightResult(table[kernels.BLUE_LOST].copy(), table[kernels.RED_LOST].copy(),
                       table[kernels.BROKE].astype(bool), table[kernels.PINNED].astype(bool))


def fight_table(table: np.ndarray, rates: np.ndarray, *, dt: float, slices: int,
                rng: np.random.Generator, break_contact: float, area_fighters: float,
                until_decided: bool = False) -> None:
    """:func:`fight` on its tables (``engagement_kernels``: one column per contact, the sides
    and area fire in ``table``, the rates and first-slice multipliers in ``rates``), for a
    caller that fills them itself; the outcome is left in the table's outcome rows (the sides'
    rows count down to what is left)."""
    # the compiled steps between the draws: see engagement_kernels
    m, x = kernels.open_fight(table, rates, float(dt), float(area_fighters))
    e = np.expm1(x)   # numpy's expm1, as the rule has it
    trials, p = np.empty(2 * table.shape[1], np.int64), np.empty(2 * table.shape[1])
    kernels.aim(True, m, table, e, trials, p)
    binomial, break_contact = rng.binomial, float(break_contact)
    k = 0
    while m and (until_decided or k < slices):
        # aimed fire: each of B soldiers hits; area fire: each of R fighters is hit; the hits
        # on red, then on blue, take the places of their trials
        if m <= SCALAR_DRAWS:
            for j in range(2 * m):
                trials[j] = binomial(trials[j], p[j])
        else:
            trials[:m] = binomial(trials[:m], p[:m])
            trials[m:2 * m] = binomial(trials[m:2 * m], p[m:2 * m])
        u = rng.random(m) if k == 0 else _NO_DRAWS
        m = kernels.settle(k == 0, m, table, e, trials, p, u, break_contact)
        k += 1


#: The break-off draws of a slice after the first: none.
_NO_DRAWS = np.empty(0)


def deitchman_blue_wins(blue0: float, red0: float, b: float, a: float) -> bool:
    """Deitchman's mixed law (blue's area fire b, red's aimed fire a): blue wins a fight to the
    finish if and only if ``b blue0^2 > 2 a red0``."""
    return b * blue0**2 > 2.0 * a * red0


def square_law_survivors(blue0: float, red0: float, alpha: float, beta: float
                         ) -> tuple[float, float]:
    """Deterministic Lanchester square-law survivors of a fight to the finish."""
    state = alpha * blue0**2 - beta * red0**2
    if state >= 0:
        return float(np.sqrt(state / alpha)), 0.0
    return 0.0, float(np.sqrt(-state / beta))


def civilian_casualties(density_per_km2: np.ndarray, shooter_hours: np.ndarray,
                        per_1000: float, rng: np.random.Generator) -> np.ndarray:
    """Collateral harm: Poisson with mean per_1000 x (density / 1000) x shooter-hours of fire."""
    lam = per_1000 * np.asarray(density_per_km2, float) / 1000.0 * np.asarray(shooter_hours, float)
    return rng.poisson(np.maximum(lam, 0.0))
