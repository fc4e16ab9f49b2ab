"""Compiled update of the forces' picture (``knowledge.Knowledge.update``, numba), cell by cell.

The rule is stated in ``knowledge.py``; this kernel applies it to one cell at a time, with the
numpy version's float64 operations (no fast-math), so the picture is the same to the bit. Cached
on disk (``cache=True``) like ``navigation_kernels``.
"""

from __future__ import annotations

import numba


@numba.njit(cache=True)
def update_reports(n, now, kept, state, ended_step, dissolved, detected, cx, cy, exposed,
                   x, y, step, how, out, last_exposed, captured_state, neutralised_state,
                   attacking_state, r_reported, r_detected, r_attacked, r_killed, r_captured):
    """For cells 0..n-1, the report of this step (0 if none), the first that holds of:
    captured (state ``captured_state``, ended now), killed (``neutralised_state``, ended now,
    not dissolved), attacked (``attacking_state``), detected, reported (exposed >
    last_exposed x kept + 1e-9). A cell with a report gets its square (cx, cy), the step
    ``now`` and the report in (x, y, step, how); a captured or killed one is ``out``. Then
    ``last_exposed`` = exposed."""
    for i in range(n):
        s = state[i]
        ended_now = ended_step[i] == now
        report = 0
        if ended_now and s == captured_state:
            report = r_captured
            out[i] = True
        elif ended_now and s == neutralised_state and not dissolved[i]:
            report = r_killed
            out[i] = True
        elif s == attacking_state:
            report = r_attacked
        elif detected[i]:
            report = r_detected
        elif exposed[i] > last_exposed[i] * kept + 1e-9:
            report = r_reported
        if report != 0:
            x[i], y[i] = cx[i], cy[i]
            step[i] = now
            how[i] = report
        last_exposed[i] = exposed[i]
