"""Compiled arithmetic of ``engagement`` (numba): search hazards and the steps of a fight between
its random draws.

The formulas are stated in ``engagement.py``; these kernels compute them contact by contact
instead of over whole arrays, operation for operation in float64 (no fast-math), so the results
are identical to the bit. Two things stay outside: the random draws (numpy's generators, same
calls, same sizes, same order) and ``expm1`` (numpy's vectorised ``expm1`` and the C library's,
which numba calls, differ in the last bit for a few per cent of arguments; numpy's gives each
element the same result whatever the array around it). So a fight is: ``open_fight`` (every
exponent the fight can need: the first slice's, the later slices' aimed fire, and blue's area
fire for each number of soldiers it can have left) -> one ``np.expm1`` -> ``aim`` (the first
slice's draws), then per slice: the draws -> ``settle`` (the hits taken, the next slice aimed).
Between draws there is one compiled call with few arguments, since each call from Python costs
a few microseconds (about 0.2 us per array passed) and a fight has only a few contacts.

A fight's state is one integer table (``INT_ROWS`` rows, one column per contact; a caller may
add rows of its own after them) and one float table (``FLOAT_ROWS`` rows) of its inputs.
Compiled once and cached on disk (``cache=True``).
"""

from __future__ import annotations

import numba
import numpy as np

#: Rows of a fight's integer table: the inputs (blue's engaged soldiers and red's fighters, which
#: the fight counts down, and whether blue fires into the area red holds) ...
BLUE, RED, AREA = 0, 1, 2
#: ... its outcome (the losses, and whether red broke contact or was pinned: 0/1) ...
BLUE_LOST, RED_LOST, BROKE, PINNED = 3, 4, 5, 6
#: ... and its work: the contacts still going (their columns, compacted to the front) and where
#: a contact's area-fire exponents start in the exponents (B soldiers: at AREA_AT + B).
GOING, AREA_AT = 7, 8
INT_ROWS = 9
#: Rows of its float table: the kill rates per shooter per hour, and the first slice's fire
#: multipliers.
ALPHA, BETA, BLUE_FIRST, RED_FIRST = 0, 1, 2, 3
FLOAT_ROWS = 4


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
def open_fight(table, rates, dt, area_fighters):
    """The contacts that start (both sides present) into row GOING (returns how many, and the
    exponents), the outcome rows zeroed, and the exponents x of every hit probability p =
    -expm1(x) the fight can need (0 where there is none): at [i] blue's in the first slice
    (``-alpha fb dt`` aimed, ``-alpha fb B dt / area_fighters`` area), at [n + i] red's in the
    first slice (``-beta fr dt``), at [2n + i] blue's aimed fire in the later slices (``-alpha 1
    dt``), at [3n + i] red's (``-beta 1 dt``), and, for a contact under area fire, blue's in a
    later slice with B soldiers left (``-alpha 1 B dt / area_fighters``) at [AREA_AT + B] for B =
    0 .. blue; fb, fr are the first-slice multipliers."""
    n = table.shape[1]
    m = 0
    size = 4 * n
    for i in range(n):
        table[BLUE_LOST, i] = table[RED_LOST, i] = table[BROKE, i] = table[PINNED, i] = 0
        if table[BLUE, i] > 0 and table[RED, i] > 0:
            table[GOING, m] = i
            m += 1
            if table[AREA, i]:
                table[AREA_AT, i] = size
                size += table[BLUE, i] + 1
    x = np.zeros(size)
    for k in range(m):
        i = table[GOING, k]
        alpha, beta, blue = rates[ALPHA, i], rates[BETA, i], table[BLUE, i]
        fb, fr, later = rates[BLUE_FIRST, i], rates[RED_FIRST, i], 1.0
        if table[AREA, i]:
            x[i] = -alpha * fb * blue * dt / area_fighters
            at = table[AREA_AT, i]
            for b in range(blue + 1):
                x[at + b] = -alpha * later * b * dt / area_fighters
        else:
            x[i] = -alpha * fb * dt
            x[2 * n + i] = -alpha * later * dt
        x[n + i] = -beta * fr * dt
        x[3 * n + i] = -beta * later * dt
    return m, x


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
def aim(first, m, table, e, trials, p):
    """One slice's draws for the first m contacts of row GOING, from ``e = expm1(x)`` of
    ``open_fight``: the hits on red, ``trials[k]`` shooters (red's fighters under area fire,
    else blue's soldiers) with probability ``p[k]``, then the hits on blue, ``trials[m + k]``
    fighters with probability ``p[m + k]``."""
    n = table.shape[1]
    for k in range(m):
        i = table[GOING, k]
        blue, red = table[BLUE, i], table[RED, i]
        if table[AREA, i]:
            trials[k] = red
            p[k] = _probability(e[i] if first else e[table[AREA_AT, i] + blue])
        else:
            trials[k] = blue
            p[k] = _probability(e[i] if first else e[2 * n + i])
        trials[m + k] = red
        p[m + k] = _probability(e[n + i] if first else e[3 * n + i])


@numba.njit(cache=True)
def settle(first, m, table, e, hits, p, u, break_contact):
    """The end of a slice: the first m contacts of row GOING take their hits (``hits[k]`` on
    red, ``hits[m + k]`` on blue, where ``aim`` put the trials; floored at 0, counted into the
    loss rows); a contact goes on while both sides have someone left. After the first slice
    red, if it is the weaker side (``fighters p_r < shooters p_b``: it expects to hit fewer
    than it loses) and the contact goes on, breaks it off if ``u < break_contact`` (the contact
    ends), else it is pinned. The contacts that go on are compacted into GOING (in order) and
    aimed for the next slice (``aim``, into ``hits`` and ``p``). Returns how many go on."""
    n_on = 0
    for k in range(m):
        i = table[GOING, k]
        blue, red = table[BLUE, i], table[RED, i]
        shooters = red if table[AREA, i] else blue
        weaker = red * p[m + k] < shooters * p[k]
        red_left = max(red - hits[k], 0)
        blue_left = max(blue - hits[m + k], 0)
        table[RED_LOST, i] += red - red_left
        table[BLUE_LOST, i] += blue - blue_left
        table[RED, i], table[BLUE, i] = red_left, blue_left
        on = blue_left > 0 and red_left > 0
        if first and on and weaker:
            if u[k] < break_contact:
                table[BROKE, i] = 1
                on = False
            else:
                table[PINNED, i] = 1
        if on:
            table[GOING, n_on] = i      # n_on <= k: only entries already read are overwritten
            n_on += 1
    aim(False, n_on, table, e, hits, p)
    return n_on
