"""How the cells stand, counted in one compiled pass over the cell table (numba).

The per-step table (``metrics.py``) and the plan (``submodels/plan.py``) count the cells of each
theatre by state every step: a dozen masks and counts, each a numpy call of a few microseconds
on a table of a few hundred rows. These kernels count the same things cell by cell in one loop.
Every result is a count or a sum of integers, which does not depend on the order of summation,
so the numbers are those of the numpy masks exactly (tests/test_census.py checks them against
the masks). Compiled once and cached on disk (``cache=True``).
"""

from __future__ import annotations

import numba
import numpy as np

from encircle_sim.state import CellState, EscapeRoute

# plain ints, so that numba compiles them in as constants
_ATTACKING = int(CellState.ATTACKING)
_NEUTRALISED = int(CellState.NEUTRALISED)
_CAPTURED = int(CellState.CAPTURED)
_CORDON = int(EscapeRoute.CORDON)
_BORDER = int(EscapeRoute.BORDER)

#: Columns of :func:`cell_census`'s rows (one row per theatre).
(ACTIVE, FIGHTERS, KILLED, DISSOLVED, CAPTURED, ESCAPED_CORDON, ESCAPED_BORDER, LOW_SUPPLY,
 CONNECTED, JOINED, RECRUITED) = range(11)
CENSUS_COLUMNS = 11

#: Columns of :func:`alarm_census`'s rows (one row per theatre).
CREATED, ACTIVE_CELLS, ALARMED = range(3)


@numba.njit(cache=True)
def cell_census(n, state, theatre, dissolved, escaped_via, fighters, supply, low_supply_days,
                connected, joined_from, recruited):
    """Counts over cells ``0..n-1``, one row per theatre (``theatre[i]``, 0 or 1):

    - ACTIVE: ``state <= ATTACKING``; FIGHTERS: sum of ``fighters`` over them;
      LOW_SUPPLY: of them, ``supply < low_supply_days``; CONNECTED: of them, ``connected``;
    - KILLED: ``state == NEUTRALISED & ~dissolved``; DISSOLVED: ``state == NEUTRALISED &
      dissolved``; CAPTURED: ``state == CAPTURED``;
    - ESCAPED_CORDON / ESCAPED_BORDER: ``escaped_via == CORDON`` / ``== BORDER``;
    - JOINED: ``joined_from >= 0``; RECRUITED: ``recruited``.

    A row whose theatre is neither 0 nor 1 is counted nowhere; a cell beyond ``connected``'s
    length is not connected.
    """
    out = np.zeros((2, CENSUS_COLUMNS), np.int64)
    for i in range(n):
        t = theatre[i]
        if t != 0 and t != 1:
            continue
        s = state[i]
        if s <= _ATTACKING:
            out[t, ACTIVE] += 1
            out[t, FIGHTERS] += fighters[i]
            if supply[i] < low_supply_days:
                out[t, LOW_SUPPLY] += 1
            if i < len(connected) and connected[i]:
                out[t, CONNECTED] += 1
        elif s == _NEUTRALISED:
            if dissolved[i]:
                out[t, DISSOLVED] += 1
            else:
                out[t, KILLED] += 1
        elif s == _CAPTURED:
            out[t, CAPTURED] += 1
        e = escaped_via[i]
        if e == _CORDON:
            out[t, ESCAPED_CORDON] += 1
        elif e == _BORDER:
            out[t, ESCAPED_BORDER] += 1
        if joined_from[i] >= 0:
            out[t, JOINED] += 1
        if recruited[i]:
            out[t, RECRUITED] += 1
    return out


@numba.njit(cache=True)
def alarm_census(n, state, theatre, x, y, threat, flee_threat):
    """Counts over cells ``0..n-1``, one row per theatre (0 or 1): CREATED, every cell;
    ACTIVE_CELLS, ``state <= ATTACKING``; ALARMED, of those, ``threat[x, y] > flee_threat``.
    A row whose theatre is neither 0 nor 1 is counted nowhere."""
    out = np.zeros((2, 3), np.int64)
    for i in range(n):
        t = theatre[i]
        if t != 0 and t != 1:
            continue
        out[t, CREATED] += 1
        if state[i] <= _ATTACKING:
            out[t, ACTIVE_CELLS] += 1
            if threat[x[i], y[i]] > flee_threat:
                out[t, ALARMED] += 1
    return out
