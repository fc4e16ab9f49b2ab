"""Compiled bookkeeping of ``engage`` (numba): a batch of fought contacts' losses written back.

The rule is stated in ``engage.py``; this kernel carries out, contact by contact, what its numpy
version did with ``np.subtract.at`` / ``np.add.at`` and fancy assignment, in the same order and
with the same result even when a unit or a cell is in several contacts of the batch. Compiled
once and cached on disk (``cache=True``).
"""

from __future__ import annotations

import numba
import numpy as np


@numba.njit(cache=True)
def take_losses(strength, casualties, fighters, fighters_killed, theatre, units, cells,
                blue_losses, red_losses):
    """Each contact k's unit ``units[k]`` loses ``blue_losses[k]`` soldiers (every unit then
    floored at 0 strength) and counts them as casualties; its cell ``cells[k]`` keeps
    ``max(fighters - red_losses[k], 0)`` of the fighters it had before the batch (a cell in
    several contacts: the last one's count), and ``red_losses[k]`` are counted as killed in the
    cell's theatre. Returns the soldiers lost in the batch."""
    lost = 0
    for k in range(len(units)):
        strength[units[k]] -= blue_losses[k]
        casualties[units[k]] += blue_losses[k]
        lost += blue_losses[k]
    for j in range(len(strength)):
        if strength[j] < 0:
            strength[j] = 0
    left = np.empty(len(cells), fighters.dtype)
    for k in range(len(cells)):
        left[k] = max(fighters[cells[k]] - red_losses[k], 0)
        fighters_killed[theatre[cells[k]]] += red_losses[k]
    for k in range(len(cells)):
        fighters[cells[k]] = left[k]
    return lost
