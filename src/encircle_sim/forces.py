"""Unit tasks: where each task sends a security-force unit, step by step.

Called by the move submodel (``submodels/move.py``) for all units at once. The rule for each task:

- ``perimeter``: patrol a sector of the lane along the middle of the perimeter band in phase 1
  (sweeping it); from phase 2 on, hold the cordon from a post at the middle of the sector, so
  the posts stand evenly spaced around the area: the cordon holds only where they are close
  enough for their watch (``operation.cordon_radius_km``) to meet.
- ``border_screen``: patrol a stretch of the border on the unit's own side, near its area.
- ``block``: hold a blocking position spread around ``area``.
- ``hunt``: search a disc around ``area`` by moving between random points in it.
- ``axis``: wait at the axis start in phase 1; follow the axis front in phase 2, in line abreast;
  in phase 3 assault the nearest remaining pocket ground.
- ``reserve``: wait at the start; join the assault in phase 3.

Named constants (ODD parameter tables): ``ASSAULT_TARGETS_MAX`` pocket squares considered by
assaulting units, ``AXIS_KEEP_UP_SPACINGS`` axis spacings within which a unit counts as keeping
its place in the line.
"""

from __future__ import annotations

import numpy as np

from encircle_sim.forces_kernels import (
    axes_kept_up,
    axis_line_goals,
    hunt_and_assault_rows,
    hunt_goals,
    mark_on_station,
    nearest_targets,
    standing_goals,
)
from encircle_sim.navigation import disc_draws
from encircle_sim.operation import Phase
from encircle_sim.state import UnitArrays

#: Assaulting units pick their target among at most this many pocket squares (thinned evenly).
ASSAULT_TARGETS_MAX = 4000
#: A unit keeps its place in the line when within this many axis spacings (plus one square).
AXIS_KEEP_UP_SPACINGS = 1.5
#: With the pocket cleared, assaulting units search operation-area ground at least this concealing.
HIDING_GROUND_CONCEALMENT = 0.5


# --------------------------------------------------------------------------------------------
# Goals by task
# --------------------------------------------------------------------------------------------


def plan_goals(model) -> None:
    """Set every living unit's goal cell for this step from its task and the phase."""
    u: UnitArrays = model.units
    plan = model.plan
    nav = model.nav
    phase = plan.phase
    alive = u.alive
    task = u.task

    # lanes (patrolled, or held at their middle post from phase 2 on) and held positions: one
    # compiled loop over the units (``forces_kernels.standing_goals``)
    standing_goals(alive, task, phase in (Phase.ADVANCE, Phase.ASSAULT), u.x, u.y, u.home_x,
                   u.home_y, u.lane_xy, u.lane_start, u.lane_len, u.lane_idx, u.lane_dir,
                   u.goal_x, u.goal_y)

    # hunt units at their goal draw a new one; axis and reserve units assault in phase 3
    redo, idx = hunt_and_assault_rows(alive, task, u.x, u.y, u.goal_x, u.goal_y,
                                      model.steps <= 1, phase == Phase.ASSAULT)
    if len(redo):
        # a point of the disc of area_r_km around home: nav.random_points_in_disc's draws
        # (``disc_draws``), the squares by one compiled loop into the goals (``hunt_goals``)
        hunt_goals(redo, *disc_draws(model.streams.move, len(redo)), u.home_x, u.home_y,
                   u.area_r_km, nav.km_x, nav.km_y, *nav.snap_index(), u.goal_x, u.goal_y)

    if plan.axes and phase != Phase.ASSAULT:
        # every axis: where its line stands (start, then the front) and the line's direction;
        # the units' places in the line by one compiled loop (``axis_line_goals``)
        km_x, km_y = plan.km_per_square
        waiting = phase in (Phase.PERIMETER, Phase.NONE)
        base = np.array([ax.start if waiting else ax.front for ax in plan.axes], float)
        target = np.array([ax.objective if ax.objective is not None else plan.pocket_centre()
                           for ax in plan.axes], float)
        start = np.array([ax.start for ax in plan.axes], float)
        norm = np.hypot((target[:, 0] - start[:, 0]) * km_x, (target[:, 1] - start[:, 1]) * km_y)
        axis_line_goals(alive, task, u.axis, u.slot, base, target, start, norm, km_x, km_y,
                        *nav.snap_index(), u.goal_x, u.goal_y)

    if len(idx):
        # the nearest of the remaining pocket squares (at most ASSAULT_TARGETS_MAX, thinned
        # evenly), compiled (``nearest_targets``); with the pocket cleared, hiding ground
        if not nearest_targets(plan.pocket, ASSAULT_TARGETS_MAX, idx, u.x, u.y, u.goal_x,
                               u.goal_y, nav.km_x_between, nav.km_y):
            _search_hiding_ground(model, idx)


def _search_hiding_ground(model, idx: np.ndarray) -> None:
    """With the pocket cleared, assault units search the operation area's concealing ground
    (concealment >= ``HIDING_GROUND_CONCEALMENT``: rough ground, wadis, towns) for cells that
    slipped back into cleared ground."""
    u = model.units
    spots = hiding_ground(model)
    if len(spots) == 0:
        u.goal_x[idx], u.goal_y[idx] = u.x[idx], u.y[idx]
        return
    arrived = (u.x[idx] == u.goal_x[idx]) & (u.y[idx] == u.goal_y[idx])
    stale = ~model.plan.area[u.goal_x[idx], u.goal_y[idx]]
    redo = idx[arrived | stale]
    pick = spots[model.streams.move.integers(0, len(spots), len(redo))]
    u.goal_x[redo], u.goal_y[redo] = pick[:, 0], pick[:, 1]


def hiding_ground(model) -> np.ndarray:
    """(k, 2) squares of the operation area where cells can hide well."""
    return np.argwhere(model.plan.area & model.nav.open_ground
                       & (model.concealment >= HIDING_GROUND_CONCEALMENT)).astype(np.int32)


def update_on_station(model) -> None:
    """A unit in transit is on station once it reaches its first goal (lane point, hunt area)."""
    u, nav = model.units, model.nav
    # on_station |= at_goal | (hunt & distance_km(x, y, home) <= area_r_km), compiled
    mark_on_station(u.on_station, u.task, u.x, u.y, u.goal_x, u.goal_y, u.home_x, u.home_y,
                    u.area_r_km, nav.km_x_between, nav.km_y)


def axis_ready(model) -> list[bool]:
    """Whether each axis's units have kept up: at least half of them (the median unit) within
    ``AXIS_KEEP_UP_SPACINGS x axis_spacing_km + cell_km`` of their place in the line."""
    u = model.units
    n_axes = len(model.plan.axes)
    if n_axes == 0:
        return []
    tol = AXIS_KEEP_UP_SPACINGS * model.spec.operation.axis_spacing_km + model.spec.map.cell_km
    # per axis: units (alive, task axis) and those within tol of their goal, compiled
    ready = axes_kept_up(n_axes, u.alive, u.task, u.axis, u.x, u.y, u.goal_x, u.goal_y,
                         float(tol), model.nav.km_x_between, model.nav.km_y)
    return ready.tolist()
