"""Compiled arithmetic of ``engagement`` (numba): search hazards and the steps of a fight between
its random draws.

The formulas are stated in ``engagement.py``; these kernels compute them contact by contact
instead of over whole arrays, operation for operation in float64 (no fast-math), so the results
are identical to the bit. Two things stay outside: the random draws (numpy's generators, same
calls, same sizes, same order) and ``expm1`` (numpy's vectorised ``expm1`` and the C library's,
which numba calls, differ in the last bit for a few per cent of arguments), so a fight is:
``open_fight`` (the exponents known before the fight) -> ``np.expm1`` -> ``aim`` (the first
slice), then per slice: draws -> ``settle`` (the hits taken, the next slice aimed) and, if blue
fires into an area in the next slice, ``np.expm1`` of those exponents -> ``area_probabilities``.
Between draws there is one compiled call, since each call from Python costs a few microseconds
and a fight has only a few contacts. Compiled once and cached on disk (``cache=True``).
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
def open_fight(blue, red, alpha, beta, blue_first, red_first, area, dt, area_fighters, x,
               going):
    """The contacts that start (both sides present) into ``going`` (returns how many), and the
    exponents x of their hit probabilities p = -expm1(x) into ``x`` (4 n values, 0 for the
    others): blue's in the first slice (``-alpha fb dt`` aimed, ``-alpha fb B dt /
    area_fighters`` area), red's in the first slice (``-beta fr dt``), blue's aimed fire in the
    later slices (``-alpha 1 dt``) and red's (``-beta 1 dt``); fb, fr are the first-slice
    multipliers. Blue's area fire in a later slice depends on B then (``area_exponents``)."""
    n = len(blue)
    m = 0
    for i in range(n):
        x[i] = x[n + i] = x[2 * n + i] = x[3 * n + i] = 0.0
        if blue[i] > 0 and red[i] > 0:
            going[m] = i
            m += 1
            fb, fr, later = blue_first[i], red_first[i], 1.0
            if area[i]:
                x[i] = -alpha[i] * fb * blue[i] * dt / area_fighters
            else:
                x[i] = -alpha[i] * fb * dt
                x[2 * n + i] = -alpha[i] * later * dt
            x[n + i] = -beta[i] * fr * dt
            x[3 * n + i] = -beta[i] * later * dt
    return m


@numba.njit(cache=True)
def _probability(expm1_x):
    """p = -expm1(x) clipped to [0, 1] (NaN stays NaN, as with np.minimum/np.maximum)."""
    v = -expm1_x
    if v < 0.0:
        v = 0.0
    if v > 1.0:
        v = 1.0
    return v


@numba.njit(cache=True)
def aim(first, going, m, blue, red, alpha, area, e, dt, area_fighters, shooters, fighters, p,
        area_x, area_at):
    """One slice's draws for the m contacts ``going``: blue's shooters (red's fighters under area
    fire, else blue's soldiers) and red's fighters into ``shooters[:m]``, ``fighters[:m]``, and
    the hit probabilities into ``p[:m]`` (blue's) and ``p[n:n + m]`` (red's), from ``e =
    expm1(x)`` of ``open_fight``. In a later slice blue's area fire depends on B: its exponents
    ``-alpha 1 B dt / area_fighters`` go into ``area_x`` and the positions in ``p`` they are for
    into ``area_at`` (``area_probabilities`` fills them in after numpy's expm1); returns how
    many."""
    n = len(blue)
    n_area = 0
    for k in range(m):
        i = going[k]
        fighters[k] = red[i]
        if area[i]:
            shooters[k] = red[i]
            if first:
                p[k] = _probability(e[i])
            else:
                fb = 1.0
                area_x[n_area] = -alpha[i] * fb * blue[i] * dt / area_fighters
                area_at[n_area] = k
                n_area += 1
        else:
            shooters[k] = blue[i]
            p[k] = _probability(e[i] if first else e[2 * n + i])
        p[n + k] = _probability(e[n + i] if first else e[3 * n + i])
    return n_area


@numba.njit(cache=True)
def area_probabilities(p, expm1_area_x, area_at):
    """Blue's hit probabilities under area fire in a later slice, -expm1(x) clipped to [0, 1],
    into the positions ``area_at`` of ``p``."""
    for a in range(len(expm1_area_x)):
        p[area_at[a]] = _probability(expm1_area_x[a])


@numba.njit(cache=True)
def settle(first, going, m, blue, red, hits, shooters, fighters, p, u, break_contact, broke,
           pinned, alpha, area, e, dt, area_fighters, area_x, area_at):
    """The end of a slice: subtract the hits (floored at 0; on red in ``hits[:m]``, on blue in
    ``hits[n:n + m]``) from the m contacts ``going``; a
    contact goes on while both sides have someone left. After the first slice red, if it is
    the weaker side (``fighters p_r < shooters p_b``: it expects to hit fewer than it loses) and
    the contact goes on, breaks it off if ``u < break_contact`` (the contact ends), else it is
    pinned. The contacts that go on are compacted into ``going`` (in order) and aimed for the
    next slice (``aim``). Returns (how many go on, how many area exponents ``aim`` left)."""
    n = len(blue)
    n_on = 0
    for k in range(m):
        i = going[k]
        red[i] = max(red[i] - hits[k], 0)
        blue[i] = max(blue[i] - hits[n + k], 0)
        on = blue[i] > 0 and red[i] > 0
        if first and on and fighters[k] * p[n + k] < shooters[k] * p[k]:
            if u[k] < break_contact:
                broke[i] = True
                on = False
            else:
                pinned[i] = True
        if on:
            going[n_on] = i      # n_on <= k: only entries already read are overwritten
            n_on += 1
    n_area = aim(False, going, n_on, blue, red, alpha, area, e, dt, area_fighters, shooters,
                 fighters, p, area_x, area_at)
    return n_on, n_area
