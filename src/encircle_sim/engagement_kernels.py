"""Compiled arithmetic of ``engagement`` (numba): search hazards and the steps of a fight between
its random draws.

The formulas are stated in ``engagement.py``; these kernels compute them contact by contact
instead of over whole arrays, operation for operation in float64 (no fast-math), so the results
are identical to the bit. Two things stay outside: the random draws (numpy's generators, same
calls, same sizes, same order) and ``expm1`` (numpy's vectorised ``expm1`` and the C library's,
which numba calls, differ in the last bit for a few per cent of arguments), so a slice of a fight
is: ``slice_exponents`` -> ``np.expm1`` -> ``hit_probabilities`` -> draws -> ``take_hits`` (->
``break_off`` in the first slice). Compiled once and cached on disk (``cache=True``).
"""

from __future__ import annotations

import numba
import numpy as np


@numba.njit(cache=True)
def search_hazards(dist_km, patrol_km, effort_km2, exposure):
    """h[t, s] = effort_km2[s] / (pi patrol_km[s]^2) x exposure[t] if dist_km[t, s] <=
    patrol_km[s], else 0."""
    n_t, n_s = dist_km.shape
    rate = np.empty(n_s)
    for s in range(n_s):
        rate[s] = effort_km2[s] / (np.pi * (patrol_km[s] * patrol_km[s]))
    out = np.empty((n_t, n_s))
    for t in range(n_t):
        e = exposure[t]
        for s in range(n_s):
            out[t, s] = rate[s] * e if dist_km[t, s] <= patrol_km[s] else 0.0
    return out


@numba.njit(cache=True)
def slice_exponents(blue, red, alpha, beta, blue_first, red_first, area, going, first, dt,
                    area_fighters):
    """For the m contacts ``going`` in one slice: blue's shooters (red's fighters under area
    fire, else blue's soldiers), red's fighters, and the 2m exponents x of the hit
    probabilities p = -expm1(x): blue's ``-alpha fb dt`` (aimed) or ``-alpha fb B dt /
    area_fighters`` (area), then red's ``-beta fr dt`` (fb, fr: the first-slice multipliers if
    ``first``, else 1)."""
    m = len(going)
    shooters = np.empty(m, np.int64)
    fighters = np.empty(m, np.int64)
    x = np.empty(2 * m)
    for k in range(m):
        i = going[k]
        fb = blue_first[i] if first else 1.0
        fr = red_first[i] if first else 1.0
        fighters[k] = red[i]
        if area[i]:
            shooters[k] = red[i]
            x[k] = -alpha[i] * fb * blue[i] * dt / area_fighters
        else:
            shooters[k] = blue[i]
            x[k] = -alpha[i] * fb * dt
        x[m + k] = -beta[i] * fr * dt
    return shooters, fighters, x


@numba.njit(cache=True)
def hit_probabilities(expm1_x):
    """p = -expm1(x) clipped to [0, 1] (NaN stays NaN, as with np.minimum/np.maximum)."""
    p = np.empty(len(expm1_x))
    for k in range(len(expm1_x)):
        v = -expm1_x[k]
        if v < 0.0:
            v = 0.0
        if v > 1.0:
            v = 1.0
        p[k] = v
    return p


@numba.njit(cache=True)
def take_hits(blue, red, still, going, hits_on_red, hits_on_blue):
    """Subtract the hits (floored at 0) from the contacts ``going``; a contact goes on
    (``still``) while both sides have someone left. Returns the contacts that go on."""
    m = len(going)
    n_on = 0
    for k in range(m):
        i = going[k]
        red[i] = max(red[i] - hits_on_red[k], 0)
        blue[i] = max(blue[i] - hits_on_blue[k], 0)
        still[i] = blue[i] > 0 and red[i] > 0
        n_on += still[i]
    on = np.empty(n_on, np.int64)
    n_on = 0
    for k in range(m):
        if still[going[k]]:
            on[n_on] = going[k]
            n_on += 1
    return on


@numba.njit(cache=True)
def break_off(still, broke, pinned, going, shooters, fighters, p, u, break_contact):
    """After the first slice: red, if it is the weaker side (``fighters p_r < shooters p_b``,
    it expects to hit fewer than it loses) and the contact goes on, breaks it off if ``u <
    break_contact`` (and the contact ends), else it is pinned. Returns the contacts that go
    on."""
    m = len(going)
    for k in range(m):
        i = going[k]
        if still[i] and fighters[k] * p[m + k] < shooters[k] * p[k]:
            if u[k] < break_contact:
                broke[i] = True
                still[i] = False
            else:
                pinned[i] = True
    return np.flatnonzero(still)
