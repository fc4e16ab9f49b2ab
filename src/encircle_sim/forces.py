"""Security-force units and air assets: who they are, and where each task sends them.

Each unit is a Mesa ``CellAgent`` whose state lives in one row of :class:`UnitArrays`, so that
the model can move, search and fight with all units at once. The rule for each task:

- ``perimeter``: patrol a sector of the lane along the middle of the perimeter band (phase 1
  sweeps it; afterwards the same units hold the cordon by patrolling it).
- ``border_screen``: patrol a stretch of the border on the unit's own side, near its area.
- ``block``: hold a blocking position spread around ``area``.
- ``hunt``: search a disc around ``area`` by moving between random points in it.
- ``axis``: wait at the axis start in phase 1; follow the axis front in phase 2, in line abreast;
  in phase 3 assault the nearest remaining pocket ground.
- ``reserve``: wait at the start; join the assault in phase 3.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum

import numpy as np
from mesa import Agent
from mesa.discrete_space import CellAgent

from encircle_sim.engagement import sweep_width_km
from encircle_sim.operation import Phase


class Side(IntEnum):
    ISF = 0
    PMF = 1
    Coalition = 2
    SDF = 3


class Task(IntEnum):
    PERIMETER = 0
    AXIS = 1
    BLOCK = 2
    BORDER_SCREEN = 3
    HUNT = 4
    RESERVE = 5


CAPABILITIES = ("speed_offroad_kmh", "speed_road_kmh", "move_hours_per_day", "sensor_km",
                "p_detect", "search_speed_kmh", "patrol_km", "engaged_max", "firepower",
                "vulnerability")


@dataclass
class UnitArrays:
    """Struct-of-arrays state of all units (one row per unit agent)."""

    n: int
    x: np.ndarray = field(init=False)
    y: np.ndarray = field(init=False)

    def __post_init__(self):
        n = self.n
        self.x = np.zeros(n, np.int32)
        self.y = np.zeros(n, np.int32)
        self.strength = np.zeros(n, np.int64)
        self.strength0 = np.zeros(n, np.int64)
        self.side = np.zeros(n, np.int8)
        self.task = np.zeros(n, np.int8)
        self.axis = np.full(n, -1, np.int16)
        self.formation = np.zeros(n, np.int16)
        self.syria = np.zeros(n, bool)
        self.goal_x = np.zeros(n, np.int32)
        self.goal_y = np.zeros(n, np.int32)
        self.home_x = np.zeros(n, np.int32)
        self.home_y = np.zeros(n, np.int32)
        self.slot = np.zeros(n, float)  # lateral offset on the axis, km
        self.area_r_km = np.zeros(n, float)
        self.lane_idx = np.zeros(n, np.int32)
        self.lane_dir = np.ones(n, np.int32)
        self.lanes: list[np.ndarray | None] = [None] * n  # set while building; then packed
        self.lane_xy = np.zeros((0, 2), np.int32)
        self.lane_start = np.zeros(n, np.int64)
        self.lane_len = np.zeros(n, np.int64)
        self.casualties = np.zeros(n, np.int64)
        self.on_station = np.zeros(n, bool)  # reached its lane or area once (ends transit)
        self.routed = np.zeros(n, bool)          # following a route field (navigation.py)
        self.route_x = np.full(n, -1, np.int32)   # the goal it was routed to
        self.route_y = np.full(n, -1, np.int32)
        for cap in CAPABILITIES:
            setattr(self, cap, np.zeros(n, float))

    def pack_lanes(self) -> None:
        """Pack the per-unit patrol lanes into one array (start and length per unit)."""
        parts = [np.zeros((0, 2), np.int32) if lane is None else np.asarray(lane, np.int32)
                 for lane in self.lanes]
        self.lane_len = np.array([len(p) for p in parts], np.int64)
        self.lane_start = np.concatenate([[0], np.cumsum(self.lane_len)[:-1]]).astype(np.int64)
        self.lane_xy = np.concatenate(parts) if parts else np.zeros((0, 2), np.int32)

    @property
    def alive(self) -> np.ndarray:
        return self.strength > 0

    def engaged(self) -> np.ndarray:
        """Soldiers that can fire in one contact."""
        return np.minimum(self.strength, self.engaged_max.astype(np.int64))

    def search_effort_km2(self, step_hours: float) -> np.ndarray:
        """Area swept in one step, W v t (Koopman), before phase intensity."""
        hours = self.move_hours_per_day * step_hours / 24.0
        return sweep_width_km(self.sensor_km, self.p_detect) * self.search_speed_kmh * hours

    def move_budget_km(self, step_hours: float, searching: np.ndarray) -> np.ndarray:
        """Open-desert km a unit can cover in one step: at search speed while it sweeps."""
        speed = np.where(searching, self.search_speed_kmh, self.speed_offroad_kmh)
        return speed * self.move_hours_per_day * step_hours / 24.0

    def searching(self, phase: Phase) -> np.ndarray:
        """Units that search as they move this phase (at search speed, laying coverage); the
        others are in transit to their station or holding a position."""
        t = self.task
        sweep = ((t == Task.PERIMETER) | (t == Task.HUNT) | (t == Task.BORDER_SCREEN)) & \
            self.on_station
        if phase in (Phase.ADVANCE, Phase.ASSAULT):
            sweep |= t == Task.AXIS
        if phase == Phase.ASSAULT:
            sweep |= t == Task.RESERVE
        return sweep & self.alive


class _Row:
    """Descriptor exposing one column of the model's array store as an agent attribute."""

    def __init__(self, store: str, column: str, cast=None):
        self.store, self.column, self.cast = store, column, cast

    def __get__(self, agent, owner=None):
        if agent is None:
            return self
        value = getattr(getattr(agent.model, self.store), self.column)[agent.index]
        return self.cast(value) if self.cast else value

    def __set__(self, agent, value):
        getattr(getattr(agent.model, self.store), self.column)[agent.index] = value


class SecurityUnit(CellAgent):
    """A company- to battalion-sized unit: strength, capabilities, a task.

    Rules (vectorised across all units in :func:`plan_goals` and the model's step): move toward
    the goal its task sets; search the disc of radius ``patrol_km`` around itself (Koopman random
    search); engage the cells it detects (Lanchester aimed fire); hold ground, which clears it
    from the pocket.
    """

    strength = _Row("units", "strength", int)
    side = _Row("units", "side", lambda v: Side(int(v)).name)
    task = _Row("units", "task", lambda v: Task(int(v)).name.lower())
    casualties = _Row("units", "casualties", int)

    def __init__(self, model, index: int, formation: str, unit_type: str):
        super().__init__(model)
        self.index = index
        self.formation = formation
        self.unit_type = unit_type

    @property
    def alive(self) -> bool:
        return self.model.units.strength[self.index] > 0

    def __repr__(self) -> str:
        return (f"SecurityUnit({self.unique_id}, {self.formation!r}, {self.unit_type}, "
                f"{self.side}, {self.task}, strength={self.strength})")


class AirAsset(Agent):
    """An air or ISR asset watching a disc: adds search effort there and may strike.

    It has no grid cell: it is over its area whenever it is on station.
    """

    def __init__(self, model, spec, cell_xy: tuple[int, int]):
        super().__init__(model)
        self.spec = spec
        self.name = spec.name
        self.x, self.y = cell_xy
        step_hours = model.spec.time.step_hours
        hours = spec.hours_per_day * step_hours / 24.0
        self.effort_km2 = spec.sweep_width_km * spec.speed_kmh * hours
        self.area_km2 = np.pi * spec.radius_km**2

    def __repr__(self) -> str:
        return f"AirAsset({self.unique_id}, {self.name!r})"


# --------------------------------------------------------------------------------------------
# Goals by task
# --------------------------------------------------------------------------------------------


def _patrol_lane(u: UnitArrays, i: np.ndarray) -> None:
    """Advance along the lane when the current waypoint is reached; bounce at the ends."""
    none = i[u.lane_len[i] == 0]
    u.goal_x[none], u.goal_y[none] = u.home_x[none], u.home_y[none]
    k = i[u.lane_len[i] > 0]
    if len(k) == 0:
        return
    j, n, start = u.lane_idx[k], u.lane_len[k], u.lane_start[k]
    px, py = u.lane_xy[start + j, 0], u.lane_xy[start + j, 1]
    arrived = (u.x[k] == px) & (u.y[k] == py) & (n > 1)
    nxt = j + u.lane_dir[k]
    bounce = arrived & ((nxt < 0) | (nxt >= n))
    u.lane_dir[k[bounce]] *= -1
    nxt = np.where(bounce, np.clip(j + u.lane_dir[k], 0, n - 1), nxt)
    j = np.where(arrived, nxt, j)
    u.lane_idx[k] = j
    u.goal_x[k], u.goal_y[k] = u.lane_xy[start + j, 0], u.lane_xy[start + j, 1]


def _nearest(cells_xy: np.ndarray, x: np.ndarray, y: np.ndarray, nav) -> np.ndarray:
    d = nav.distance_km(cells_xy[None, :, 0], cells_xy[None, :, 1], x[:, None], y[:, None])
    return cells_xy[np.argmin(d, axis=1)]


def plan_goals(model) -> None:
    """Set every living unit's goal cell for this step from its task and the phase."""
    u: UnitArrays = model.units
    plan = model.plan
    nav = model.nav
    phase = plan.phase
    alive = u.alive
    task = u.task

    lane_tasks = alive & ((task == Task.PERIMETER) | (task == Task.BORDER_SCREEN))
    _patrol_lane(u, np.flatnonzero(lane_tasks))

    hold = alive & ((task == Task.BLOCK) | (task == Task.RESERVE))
    u.goal_x[hold], u.goal_y[hold] = u.home_x[hold], u.home_y[hold]

    hunt = np.flatnonzero(alive & (task == Task.HUNT))
    if len(hunt):
        at_goal = (u.x[hunt] == u.goal_x[hunt]) & (u.y[hunt] == u.goal_y[hunt])
        first = model.steps <= 1
        redo = hunt[at_goal | first]
        if len(redo):
            r_km = u.area_r_km[redo] * np.sqrt(model.rng.random(len(redo)))
            ang = model.rng.random(len(redo)) * 2 * np.pi
            km_x = nav.km_x[u.home_y[redo]]
            gx = np.rint(u.home_x[redo] + r_km * np.cos(ang) / km_x).astype(np.int32)
            gy = np.rint(u.home_y[redo] + r_km * np.sin(ang) / nav.km_y).astype(np.int32)
            gx, gy = model.snap_passable(gx, gy)
            u.goal_x[redo], u.goal_y[redo] = gx, gy

    axis_units = alive & (task == Task.AXIS)
    assault = alive & ((task == Task.AXIS) | (task == Task.RESERVE)) & (phase == Phase.ASSAULT)
    idx = np.flatnonzero(axis_units & (u.axis >= 0) & ~assault)
    if len(idx) and plan.axes:
        # every axis: where its line stands (start, then the front) and the line's direction
        km = np.array([np.mean(nav.km_x), nav.km_y])
        waiting = phase in (Phase.PERIMETER, Phase.NONE)
        base = np.array([ax.start if waiting else ax.front for ax in plan.axes])
        target = np.array([ax.objective if ax.objective is not None else plan.pocket_centre()
                           for ax in plan.axes])
        start = np.array([ax.start for ax in plan.axes])
        dxy = (target - start) * km
        norm = np.hypot(dxy[:, 0], dxy[:, 1])
        perp = np.where(norm[:, None] > 0, np.column_stack([-dxy[:, 1], dxy[:, 0]])
                        / np.maximum(norm, 1e-12)[:, None], np.array([1.0, 0.0]))
        a = u.axis[idx]
        gx = base[a, 0] + u.slot[idx] * perp[a, 0] / km[0]
        gy = base[a, 1] + u.slot[idx] * perp[a, 1] / km[1]
        gx, gy = model.snap_passable(np.rint(gx).astype(np.int32), np.rint(gy).astype(np.int32))
        u.goal_x[idx], u.goal_y[idx] = gx, gy

    idx = np.flatnonzero(assault)
    if len(idx):
        pocket_xy = np.argwhere(plan.pocket)
        if len(pocket_xy):
            if len(pocket_xy) > 4000:
                pocket_xy = pocket_xy[:: len(pocket_xy) // 4000 + 1]
            near = _nearest(pocket_xy.astype(np.int32), u.x[idx], u.y[idx], nav)
            u.goal_x[idx], u.goal_y[idx] = near[:, 0], near[:, 1]
        else:
            _search_hiding_ground(model, idx)


def _search_hiding_ground(model, idx: np.ndarray) -> None:
    """With the pocket cleared, assault units search the operation area's concealing ground
    (rough ground, wadis, towns) for cells that slipped back into cleared ground."""
    u = model.units
    spots = model.hiding_xy
    if len(spots) == 0:
        u.goal_x[idx], u.goal_y[idx] = u.x[idx], u.y[idx]
        return
    arrived = (u.x[idx] == u.goal_x[idx]) & (u.y[idx] == u.goal_y[idx])
    stale = ~model.plan.area[u.goal_x[idx], u.goal_y[idx]]
    redo = idx[arrived | stale]
    pick = spots[model.rng.integers(0, len(spots), len(redo))]
    u.goal_x[redo], u.goal_y[redo] = pick[:, 0], pick[:, 1]


def update_on_station(model) -> None:
    """A unit in transit is on station once it reaches its first goal (lane point, hunt area)."""
    u = model.units
    at_goal = (u.x == u.goal_x) & (u.y == u.goal_y)
    in_area = model.nav.distance_km(u.x, u.y, u.home_x, u.home_y) <= u.area_r_km
    u.on_station |= at_goal | ((u.task == Task.HUNT) & in_area)


def axis_ready(model) -> list[bool]:
    """Whether each axis's units have kept up: at least half of them (the median unit) within
    ``1.5 x axis_spacing_km + cell_km`` of their place in the line."""
    u = model.units
    n_axes = len(model.plan.axes)
    if n_axes == 0:
        return []
    tol = 1.5 * model.spec.operation.axis_spacing_km + model.spec.map.cell_km
    on = np.flatnonzero(u.alive & (u.task == Task.AXIS) & (u.axis >= 0))
    d = model.nav.distance_km(u.x[on], u.y[on], u.goal_x[on], u.goal_y[on])
    total = np.bincount(u.axis[on], minlength=n_axes)
    close = np.bincount(u.axis[on], weights=d <= tol, minlength=n_axes)
    return [bool(t > 0 and 2 * c >= t) for t, c in zip(total, close, strict=True)]
