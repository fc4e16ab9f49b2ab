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


#: Where the parts of :func:`squares_to_sync`'s answer start (after its two counts).
MOVED_AT = 2


@numba.njit(cache=True)
def squares_to_sync(n, state, x, y, prev_x, prev_y, strength, ux, uy, ny):
    """What the grid must show after a step, squares numbered ``x * ny + y``, in one array
    (one array to hand back and one ``tolist`` are cheaper than four), laid out
    ``[k, e, moved (k), moved_square (k), ended (e), unit_square (len(strength))]``:

    - ``moved``, ``moved_square``: the active cells (``state <= ATTACKING``, rows ``0..n-1``)
      whose square changed this step (``(x, y) != (prev_x, prev_y)``), and where they are now;
    - ``ended``: the cells no longer active;
    - ``unit_square``: every unit's square, or -1 for a unit with no strength left.

    Indices in increasing order.
    """
    m = len(strength)
    k = e = 0
    for i in range(n):
        if state[i] <= _ATTACKING:
            if x[i] != prev_x[i] or y[i] != prev_y[i]:
                k += 1
        else:
            e += 1
    out = np.empty(MOVED_AT + 2 * k + e + m, np.int64)
    out[0], out[1] = k, e
    at_moved, at_square, at_ended = MOVED_AT, MOVED_AT + k, MOVED_AT + 2 * k
    for i in range(n):
        if state[i] <= _ATTACKING:
            if x[i] != prev_x[i] or y[i] != prev_y[i]:
                out[at_moved] = i
                out[at_square] = x[i] * ny + y[i]
                at_moved += 1
                at_square += 1
        else:
            out[at_ended] = i
            at_ended += 1
    for j in range(m):
        out[at_ended + j] = ux[j] * ny + uy[j] if strength[j] > 0 else -1
    return out


def split_sync(answer: list) -> tuple[list, list, list, list]:
    """:func:`squares_to_sync`'s answer (as a list) in its four parts: moved, moved_square,
    ended, unit_square."""
    k, e = answer[0], answer[1]
    a, b, c = MOVED_AT + k, MOVED_AT + 2 * k, MOVED_AT + 2 * k + e
    return answer[MOVED_AT:a], answer[a:b], answer[b:c], answer[c:]


@numba.njit(cache=True)
def record_tracks(n, state, x, y, track_x, track_y, s):
    """Row ``s`` of the track tables: ``track_x[s, i], track_y[s, i] = x[i], y[i]`` for every
    active cell ``i`` (``state <= ATTACKING``, rows ``0..n-1``); other entries untouched."""
    for i in range(n):
        if state[i] <= _ATTACKING:
            track_x[s, i] = x[i]
            track_y[s, i] = y[i]
