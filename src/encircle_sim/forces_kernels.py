"""Compiled goal setting for the unit tasks that need no random draw (numba), unit by unit.

The rules are stated in ``forces.py``; this loop carries them out one unit at a time instead of
over whole arrays (units do not interact when they set their goals), with the same integer
arithmetic, so the goals are the same.
"""

from __future__ import annotations

import numba

from encircle_sim.state import Task

PERIMETER, BORDER_SCREEN = int(Task.PERIMETER), int(Task.BORDER_SCREEN)
BLOCK, RESERVE = int(Task.BLOCK), int(Task.RESERVE)


@numba.njit(cache=True)
def standing_goals(alive, task, holding_cordon, x, y, home_x, home_y, lane_xy, lane_start,
                   lane_len, lane_idx, lane_dir, goal_x, goal_y):
    """Goals of living units on lanes, at posts and holding (goal_x, goal_y, lane_idx and
    lane_dir updated in place); other units are left alone. With n = lane_len, a lane's
    points are ``lane_xy[lane_start + j]``, j in [0, n):

    - patrolling a lane (``border_screen``; ``perimeter`` unless ``holding_cordon``): a unit at
      its lane point j (and n > 1) moves on to j + dir, or, past an end, turns (dir = -dir) to
      clip(j + dir, 0, n - 1); the goal is the lane point j;
    - holding a cordon post (``perimeter`` when ``holding_cordon``): lane point n // 2;
    - ``block`` and ``reserve``, and lane tasks with no lane (n = 0): home.
    """
    for i in range(len(alive)):
        if not alive[i]:
            continue
        t = task[i]
        lane = t == BORDER_SCREEN or (t == PERIMETER and not holding_cordon)
        post = t == PERIMETER and holding_cordon
        n = lane_len[i]
        if ((lane or post) and n == 0) or t == BLOCK or t == RESERVE:
            goal_x[i], goal_y[i] = home_x[i], home_y[i]
        elif post:
            mid = lane_start[i] + n // 2
            goal_x[i], goal_y[i] = lane_xy[mid, 0], lane_xy[mid, 1]
        elif lane:
            j, start = lane_idx[i], lane_start[i]
            if x[i] == lane_xy[start + j, 0] and y[i] == lane_xy[start + j, 1] and n > 1:
                nxt = j + lane_dir[i]
                if nxt < 0 or nxt >= n:
                    lane_dir[i] = -lane_dir[i]
                    nxt = min(max(j + lane_dir[i], 0), n - 1)
                j = nxt
            lane_idx[i] = j
            goal_x[i], goal_y[i] = lane_xy[start + j, 0], lane_xy[start + j, 1]
