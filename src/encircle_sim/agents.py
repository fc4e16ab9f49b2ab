"""The Mesa agents: views of the state tables, and the step-end copy of positions to the grid.

Each agent reads and writes its row of a table in ``state.py`` through attributes (a
:class:`Column` descriptor), so ``unit.strength`` or ``cell.supply`` is always the value the
submodels computed. The grid positions (``agent.cell``) are copied from the tables at the end of
every step by :func:`sync_agents`; in between, the tables are ahead of the grid.
"""

from __future__ import annotations

import numpy as np
from mesa import Agent
from mesa.discrete_space import CellAgent, FixedAgent

from encircle_sim.agents_kernels import squares_to_sync
from encircle_sim.state import CellState, Side, Task, Theatre


class Column:
    """Descriptor exposing one column of the model's state table as an agent attribute."""

    def __init__(self, table: str, column: str, cast=None):
        self.table, self.column, self.cast = table, column, cast

    def __get__(self, agent, owner=None):
        if agent is None:
            return self
        value = getattr(getattr(agent.model, self.table), self.column)[agent.index]
        return self.cast(value) if self.cast else value

    def __set__(self, agent, value):
        getattr(getattr(agent.model, self.table), self.column)[agent.index] = value


class SecurityUnit(CellAgent):
    """A company- to battalion-sized unit: strength, capabilities, a task.

    Rules (ODD 7, for all units at once): move toward the goal its task sets
    (``forces.plan_goals``, ``submodels/move.py``); search the disc of radius ``patrol_km``
    around itself (``submodels/detect.py``); engage the cells it detects
    (``submodels/engage.py``); lay search coverage that clears ground from the pocket.
    """

    strength = Column("units", "strength", int)
    side = Column("units", "side", lambda v: Side(int(v)).name)
    task = Column("units", "task", lambda v: Task(int(v)).name.lower())
    casualties = Column("units", "casualties", int)

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

    It has no grid square: it is over its area whenever it is on station.
    """

    def __init__(self, model, spec, square_xy: tuple[int, int]):
        super().__init__(model)
        self.spec = spec
        self.name = spec.name
        self.x, self.y = square_xy
        step_hours = model.spec.time.step_hours
        hours = spec.hours_per_day * step_hours / 24.0
        self.effort_km2 = spec.sweep_width_km * spec.speed_kmh * hours
        self.area_km2 = np.pi * spec.radius_km**2

    def __repr__(self) -> str:
        return f"AirAsset({self.unique_id}, {self.name!r})"


class InsurgentCell(CellAgent):
    """A cell of a few to a few dozen fighters with supply, a state and network links.

    Its choice rule is in ``submodels/decide.py``; the model applies it to all cells at once
    each step.
    """

    fighters = Column("cells", "fighters", int)
    supply = Column("cells", "supply", float)
    state = Column("cells", "state", lambda v: CellState(int(v)).name.lower())
    theatre = Column("cells", "theatre", lambda v: Theatre(int(v)).name.lower())
    hub = Column("cells", "hub", bool)

    def __init__(self, model, index: int):
        super().__init__(model)
        self.index = index

    @property
    def active(self) -> bool:
        return self.model.cells.state[self.index] <= CellState.ATTACKING

    @property
    def detected(self) -> bool:
        return bool(self.model.detected_cells[self.index]) if self.index < len(
            self.model.detected_cells) else False

    def __repr__(self) -> str:
        return (f"InsurgentCell({self.unique_id}, {self.theatre}, {self.state}, "
                f"fighters={self.fighters}, supply={self.supply:.1f}d)")


class SupplyCache(FixedAgent):
    """A dug-in cache of food, water, fuel and ammunition (state in ``model.caches``)."""

    def __init__(self, model, index: int):
        super().__init__(model)
        self.index = index

    @property
    def stock(self) -> float:
        return float(self.model.caches.stock[self.index])

    @property
    def intact(self) -> bool:
        return bool(self.model.caches.intact[self.index])

    def __repr__(self) -> str:
        return (f"SupplyCache({self.unique_id}, stock={self.stock:.0f} cell-days, "
                f"intact={self.intact})")


class Hideout(FixedAgent):
    """A hideout, den or tunnel where cells go to ground (state in ``model.hideouts``)."""

    def __init__(self, model, index: int):
        super().__init__(model)
        self.index = index

    @property
    def intact(self) -> bool:
        return bool(self.model.hideouts.intact[self.index])

    def __repr__(self) -> str:
        return f"Hideout({self.unique_id}, intact={self.intact})"


def new_cell_agent(model, i: int) -> InsurgentCell:
    """The agent of cell row ``i``, placed on the grid at the row's position."""
    agent = InsurgentCell(model, i)
    agent.cell = model.grid[(int(model.cells.x[i]), int(model.cells.y[i]))]
    model.cell_agents.append(agent)
    return agent


#: The attribute of a Mesa grid that holds its cells in a flat list (see :func:`squares_of`).
#: It lives on the grid itself, so it goes when the grid goes: a module-level weak dictionary
#: keyed by grid leaked every model, its values (the cells) holding their agents, the agents
#: the model, and the model the grid.
_SQUARES_ATTR = "_encircle_flat_squares"


def squares_of(grid) -> list:
    """The cells of a Mesa grid in a flat list, square (x, y) at ``x * ny + y``, and ``None``
    last (so that index -1 means "off the grid"). Built once per grid: a list index is several
    times cheaper than ``grid[(x, y)]``."""
    squares = grid.__dict__.get(_SQUARES_ATTR)
    if squares is None:
        nx, ny = grid.dimensions
        squares = [grid[(x, y)] for x in range(nx) for y in range(ny)]
        squares.append(None)
        setattr(grid, _SQUARES_ATTR, squares)
    return squares


def sync_agents(model, *, full: bool = False) -> None:
    """Copy the table positions to Mesa's grid: the active cells that moved go to their square,
    ended cells leave the grid, every unit is put on its square (off the grid once it has no
    strength left) unless it is there already. Moves go through Mesa's ``agent.cell``.

    A step's sync moves only the cells whose row moved this step (``prev_x``, ``prev_y``);
    ``full`` puts every active cell on its square, for a grid left alone over several steps
    (:meth:`CampaignModel.grid_deferred`)."""
    c, u, grid = model.cells, model.units, model.grid
    squares = squares_of(grid)
    prev_x, prev_y = c.prev_x, c.prev_y
    if full:   # no row stands where it "was": every active cell counts as moved
        prev_x = prev_y = np.full_like(c.prev_x, -1)
    moved, moved_square, ended, unit_square = squares_to_sync(
        c.n, c.state, c.x, c.y, prev_x, prev_y, u.strength, u.x, u.y, grid.dimensions[1])
    cell_agents = model.cell_agents
    for i, k in zip(moved.tolist(), moved_square.tolist(), strict=True):
        cell_agents[i].cell = squares[k]
    for i in ended.tolist():
        agent = cell_agents[i]
        if agent.cell is not None:
            agent.cell = None
    for agent, k in zip(model.unit_agents, unit_square.tolist(), strict=True):
        square = squares[k]   # None for k == -1
        if agent.cell is not square:
            agent.cell = square
