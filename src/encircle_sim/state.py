"""The model's state: struct-of-arrays tables of cells, units and caches, and their enums.

The rule that holds the model together: **the arrays are the truth.** Every submodel reads and
changes these tables for all agents at once (numpy, once per step). The Mesa agents
(``agents.py``) hold no state of their own: they read and write their row of a table through
attributes, and their positions are copied to the Mesa grid at the end of each step
(``agents.sync_agents``), so that what a user inspects on the grid is what the model computed.

A row never moves: a cell's or unit's index is its identity for the whole run (Mesa's
``unique_id`` is the agent's; ``cell_agents[i].index == i``).
"""

from __future__ import annotations

from enum import IntEnum

import numpy as np

from encircle_sim.engagement import sweep_width_km
from encircle_sim.operation import Phase
from encircle_sim.state_kernels import budget_km, sweeping

# --------------------------------------------------------------------------------------------
# enums
# --------------------------------------------------------------------------------------------


class CellState(IntEnum):
    """What an insurgent cell is doing, or how it left the campaign (states >= NEUTRALISED)."""

    HIDDEN = 0
    MOVING = 1
    SLIPPING = 2
    ATTACKING = 3
    NEUTRALISED = 4   # killed (or dissolved: see CellArrays.dissolved)
    CAPTURED = 5
    ESCAPED = 6


class Action(IntEnum):
    """The options of the cells' choice rule (``submodels/decide.py``)."""

    HIDE = 0
    RELOCATE = 1
    SLIP = 2
    AMBUSH = 3
    CALL = 4


class Theatre(IntEnum):
    IRAQ = 0
    SYRIA = 1


class EscapeRoute(IntEnum):
    NONE = 0
    CORDON = 1
    BORDER = 2


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


#: The unit-type capabilities copied into :class:`UnitArrays` (one column each).
CAPABILITIES = ("speed_offroad_kmh", "speed_road_kmh", "move_hours_per_day", "sensor_km",
                "p_detect", "search_speed_kmh", "patrol_km", "engaged_max", "firepower",
                "vulnerability")


# --------------------------------------------------------------------------------------------
# tables
# --------------------------------------------------------------------------------------------


class CellArrays:
    """Every insurgent cell ever created, one row each.

    Rows are added with :meth:`add` (the pocket's cells and the sleepers at the start; escapees
    who join the sleepers and new recruits later); the table grows when it is full, calling
    ``on_grow(new_capacity)`` callbacks so that arrays kept elsewhere per cell grow with it.
    """

    def __init__(self, capacity: int):
        self.n = 0  # cells created so far
        self.capacity = max(int(capacity), 1)
        self.on_grow: list = []
        self._fill: dict[str, object] = {}
        col = self._column
        col("x", np.int32, 0)
        col("y", np.int32, 0)
        col("prev_x", np.int32, 0)
        col("prev_y", np.int32, 0)
        col("fighters", np.int64, 0)
        col("fighters0", np.int64, 0)
        col("supply", float, 0.0)
        col("state", np.int8, CellState.NEUTRALISED)
        col("dissolved", bool, False)      # neutralised by desertion, not by force
        col("theatre", np.int8, 0)
        col("escaped_via", np.int8, 0)
        col("hub", bool, False)
        col("exposed", float, 0.0)         # extra detection hazard (intelligence, after attacks)
        col("action", np.int8, 0)          # the current plan (Action)
        col("goal_x", np.int32, 0)         # where the plan leads
        col("goal_y", np.int32, 0)
        col("plan_until", np.int64, 0)     # the step at which the cell plans again
        col("planned_threat", float, 0.0)  # the threat on it when it last planned
        col("replan", bool, False)         # something happened: plan again next step
        col("moved", bool, False)          # moved since the last search: set by the cell's
                                           # mover (move for the pocket, before this step's
                                           # search; retaliate for Syria, before the next's)
        col("links0", np.int64, 0)         # courier links at day 0
        col("home_cache", np.int64, -1)    # the cache it drew from at day 0 (-1: none in reach)
        col("town", np.int32, -1)          # sleeper's target town
        col("called_until", np.int64, -1)
        col("call_pressure", float, 0.0)   # the group's pressure when it last called
        col("joined_from", np.int64, -1)
        col("recruited", bool, False)      # a sleeper recruited during the run
        col("created_step", np.int64, 0)
        col("ended_step", np.int64, -1)
        col("routed", bool, False)         # following a route field (navigation.py)
        col("route_x", np.int32, -1)       # the goal it was routed to
        col("route_y", np.int32, -1)

    def _column(self, name: str, dtype, fill) -> None:
        self._fill[name] = fill
        setattr(self, name, np.full(self.capacity, fill, dtype))

    def add(self, count: int) -> np.ndarray:
        """Rows for ``count`` new cells (growing the table if needed); returns their indices."""
        if self.n + count > self.capacity:
            self._grow(max(2 * self.capacity, self.n + count))
        idx = np.arange(self.n, self.n + count)
        self.n += count
        return idx

    def _grow(self, capacity: int) -> None:
        for name, fill in self._fill.items():
            old = getattr(self, name)
            new = np.full(capacity, fill, old.dtype)
            new[: self.capacity] = old
            setattr(self, name, new)
        self.capacity = capacity
        for callback in self.on_grow:
            callback(capacity)

    @property
    def active(self) -> np.ndarray:
        """Cells still in the campaign (hidden, moving, slipping away or attacking)."""
        return self.state[: self.n] <= CellState.ATTACKING

    def active_in(self, theatre: Theatre) -> np.ndarray:
        """Indices of the active cells of one theatre."""
        return np.flatnonzero(self.active & (self.theatre[: self.n] == theatre))


class UnitArrays:
    """Every security-force unit, one row each."""

    #: (step_hours, search effort) kept by :meth:`search_effort_km2`; None: not computed yet (a
    #: class default, so that a model pickled before it was kept still loads).
    _search_effort: tuple[float, np.ndarray] | None = None

    def __init__(self, n: int):
        self.n = n
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
        """Area swept in one step, W v t (Koopman), before phase intensity (read-only).

        Computed once and kept (move and detect ask for it three times a step): its inputs are
        capabilities, set while building (before the first call) and changed afterwards only by
        :meth:`set_sensor_km`, which drops the kept value."""
        kept = self._search_effort
        if kept is None or kept[0] != step_hours:
            hours = self.move_hours_per_day * step_hours / 24.0
            effort = sweep_width_km(self.sensor_km, self.p_detect) * self.search_speed_kmh * hours
            effort.flags.writeable = False
            kept = self._search_effort = (step_hours, effort)
        return kept[1]

    def set_sensor_km(self, idx: np.ndarray, sensor_km: np.ndarray | float) -> None:
        """Change the sensor range of units ``idx`` (an order); the search effort follows."""
        self.sensor_km[idx] = sensor_km
        self._search_effort = None

    def move_budget_km(self, step_hours: float, searching: np.ndarray) -> np.ndarray:
        """Open-desert km a unit can cover in one step: at search speed while it sweeps
        (speed x move_hours_per_day x step_hours / 24; compiled, ``state_kernels.budget_km``)."""
        return budget_km(searching, self.search_speed_kmh, self.speed_offroad_kmh,
                         self.move_hours_per_day, float(step_hours))

    def searching(self, phase: Phase) -> np.ndarray:
        """Units that search as they move this phase (at search speed, laying coverage); the
        others are in transit to their station or holding a position. The rule is
        ``sweeps_in``, looked up per unit (``SWEEPS``; compiled, ``state_kernels.sweeping``)."""
        return sweeping(SWEEPS, int(phase), self.task, self.on_station, self.strength)


def sweeps_in(phase: Phase, task: Task, on_station: bool) -> bool:
    """Whether a living unit of this task sweeps in this phase: the perimeter, hunt and border
    screen tasks once on station (they reached their lane or area), the axes in the advance and
    the assault, the reserve in the assault; blocking positions never."""
    if task in (Task.PERIMETER, Task.HUNT, Task.BORDER_SCREEN):
        return bool(on_station)
    if task == Task.AXIS:
        return phase in (Phase.ADVANCE, Phase.ASSAULT)
    if task == Task.RESERVE:
        return phase == Phase.ASSAULT
    return False


#: ``sweeps_in`` as a table: SWEEPS[phase, task, on_station].
SWEEPS = np.array([[[sweeps_in(p, t, s) for s in (False, True)] for t in Task] for p in Phase])
SWEEPS.flags.writeable = False


class SiteArrays:
    """Fixed sites in the operation area that searching units can find and destroy: the
    hideouts (dens, tunnels, camps) where cells go to ground."""

    def __init__(self, x: np.ndarray, y: np.ndarray):
        self.x = np.asarray(x).astype(np.int32)
        self.y = np.asarray(y).astype(np.int32)
        self.intact = np.ones(len(self.x), bool)
        self.destroyed_step = np.full(len(self.x), -1, np.int64)

    def __len__(self) -> int:
        return len(self.x)


class CacheArrays(SiteArrays):
    """The supply caches: sites with a stock of cell-days of supply."""

    def __init__(self, x: np.ndarray, y: np.ndarray, stock: float):
        super().__init__(x, y)
        self.stock = np.full(len(self.x), float(stock))
