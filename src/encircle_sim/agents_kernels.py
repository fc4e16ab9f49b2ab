"""Which Mesa agents the step-end sync must move (``agents.sync_agents``), found in one
compiled pass over the cell and unit tables (numba).

The sync itself (moving agents on Mesa's grid) stays in Python, through Mesa's own
``agent.cell`` setter; only the search for what changed is compiled, so that a step does not
spend a dozen numpy calls on tables of a few hundred rows. Compiled once and cached on disk
(``cache=True``).
"""

from __future__ import annotations

import numba
import numpy as np

from encircle_sim.state import CellState

_ATTACKING = int(CellState.ATTACKING)  # a plain int: numba compiles it in as a constant


@numba.njit(cache=True)
def squares_to_sync(n, state, x, y, prev_x, prev_y, strength, ux, uy, ny):
    """What the grid must show after a step, squares numbered ``x * ny + y``:

    - ``moved``, ``moved_square``: the active cells (``state <= ATTACKING``, rows ``0..n-1``)
      whose square changed this step (``(x, y) != (prev_x, prev_y)``), and where they are now;
    - ``ended``: the cells no longer active;
    - ``unit_square``: every unit's square, or -1 for a unit with no strength left.

    Indices in increasing order.
    """
    moved = np.empty(n, np.int64)
    moved_square = np.empty(n, np.int64)
    ended = np.empty(n, np.int64)
    k = e = 0
    for i in range(n):
        if state[i] <= _ATTACKING:
            if x[i] != prev_x[i] or y[i] != prev_y[i]:
                moved[k] = i
                moved_square[k] = x[i] * ny + y[i]
                k += 1
        else:
            ended[e] = i
            e += 1
    m = len(strength)
    unit_square = np.empty(m, np.int64)
    for j in range(m):
        unit_square[j] = ux[j] * ny + uy[j] if strength[j] > 0 else -1
    return moved[:k], moved_square[:k], ended[:e], unit_square


@numba.njit(cache=True)
def record_tracks(n, state, x, y, track_x, track_y, s):
    """Row ``s`` of the track tables: ``track_x[s, i], track_y[s, i] = x[i], y[i]`` for every
    active cell ``i`` (``state <= ATTACKING``, rows ``0..n-1``); other entries untouched."""
    for i in range(n):
        if state[i] <= _ATTACKING:
            track_x[s, i] = x[i]
            track_y[s, i] = y[i]
