"""CampaignModel: builds the world of one scenario, and runs its steps in ODD order.

One step (``time.step_hours`` long) runs the submodels of ``submodels/`` for all agents at once,
in this order (docs/ODD.md section 3; each rule is stated in its module's docstring):

1. perceive  - the threat the forces pose on every square
2. decide    - each pocket cell chooses: hide, relocate, slip away, ambush or call
3. move      - cells toward their choice; then, after escapes, units toward their task goals,
               clearing the ground they search
4. escape    - cells that left the operation area pass the cordon or the border, or not
5. detect    - random search by units and air assets finds cells (air may strike at once),
               caches and hideouts
6. engage    - contacts, interdictions and ambushes fought out
7. retaliate - sleeper cells in the Syrian theatre move and attack
8. networks  - supply used and drawn, caches found, captures exploited, links cut
9. plan      - pressure on the group, phase changes, the end of the campaign
10. record   - Mesa positions synced, one row of the per-step table, tracks
11. command  - what the forces learned goes into their picture; standing orders now due are
               carried out (``orders.py``), effective from the next step

Hand-offs between submodels are return values. Each submodel draws from its own random stream
(``self.streams``, spawned from the run's seed: random_streams.py), so that a lever that changes
one submodel's draws leaves the others' where they were.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Iterator
from pathlib import Path

import mesa
import numpy as np

from encircle_sim.agents import sync_agents
from encircle_sim.agents_kernels import record_tracks
from encircle_sim.build import build_world
from encircle_sim.fields import Kernel
from encircle_sim.geography import Terrain, TerrainProperties, build_region_grid
from encircle_sim.metrics import EventLog, StepMetrics
from encircle_sim.navigation import Navigator
from encircle_sim.operation import PHASE_LABELS, OperationPlan, Phase
from encircle_sim.orders import Command
from encircle_sim.random_streams import RandomStreams
from encircle_sim.scenario import Scenario
from encircle_sim.state import CellState, EscapeRoute
from encircle_sim.submodels import (
    decide,
    detect,
    engage,
    escape,
    move,
    networks,
    perceive,
    plan,
    retaliate,
)


@functools.lru_cache(maxsize=8)
def navigator_for(region) -> Navigator:
    """The (cached) navigator of a region grid: passability, banks, crossings, move tables."""
    return Navigator.from_layers(region.layers, region.km_per_cell_x, region.km_per_cell_y)


#: Mesa grids given back by finished models (:meth:`CampaignModel.release`), per region, for
#: the next model of the same region: a replication worker builds its grid once.
_FREE_GRIDS: dict[int, tuple[object, list]] = {}
#: Grids kept per region.
FREE_GRIDS_PER_REGION = 2


def _lease_grid(region, random):
    """A Mesa grid of ``region``: a released one if there is, else a new one."""
    entry = _FREE_GRIDS.get(id(region))
    if entry is not None and entry[0] is region and entry[1]:
        grid = entry[1].pop()
        grid.random = random
        return grid
    return region.make_mesa_grid(random)


@functools.lru_cache(maxsize=64)
def search_kernel(shape: str, radius_km: float, km_x: float, km_y: float) -> Kernel:
    """The (cached) threat cone or search disc of a radius on squares of a size: the same for
    every campaign of a map, so a replication worker builds each once. Shared between models:
    never written (its arrays stay writeable only so that the compiled splats see the array
    type they were compiled for)."""
    if shape == "cone":
        return Kernel.cone(radius_km, km_x, km_y)
    return Kernel.disc(radius_km, km_x, km_y)


def region_for(scenario: Scenario):
    """The (cached) geo-referenced grid of a scenario's map window and terrain table."""
    terrain = tuple(sorted(
        (Terrain[name.upper()], TerrainProperties(t.move_cost, t.concealment))
        for name, t in scenario.terrain.items()))
    return build_region_grid(scenario.map.window(), dict(terrain))


class CampaignModel(mesa.Model):
    """The encirclement campaign of one scenario.

    Args:
        scenario: a validated :class:`Scenario`, or a bundled name / path to load.
        rng: seed overriding ``scenario.seed`` (anything ``numpy.random.default_rng`` takes).
    """

    def __init__(self, scenario: Scenario | str | Path = "victory_will", *, rng=None):
        if not isinstance(scenario, Scenario):
            from encircle_sim.scenario_files import load_scenario

            scenario = load_scenario(scenario)
        seed = scenario.seed if rng is None else rng
        super().__init__(rng=seed)
        self.seed = seed
        self.streams = RandomStreams(self.rng)
        self.spec = scenario
        self.step_hours = float(scenario.time.step_hours)
        self.dt_days = self.step_hours / 24.0
        self.max_steps = scenario.max_steps
        #: steps between a cell's plans when nothing happens to it (insurgents.decision_days)
        self.plan_steps = max(1, int(round(scenario.insurgents.decision_days / self.dt_days)))

        # the ground: the region's layers, the Mesa grid with what the rules read, movement
        self.region = region_for(scenario)
        self.layers = self.region.layers
        self.grid = _lease_grid(self.region, self.random)
        self.nav = navigator_for(self.region)
        self.concealment = self.grid.concealment.data.astype(float)
        self.country = self.grid.country.data
        self.density = self.grid.population.data / np.asarray(self.region.cell_area_km2, float)
        self.plan = OperationPlan(scenario, self.region, self.nav.passable)
        self.town_names = [t.label for t in scenario.retaliation.towns]
        self.town_xy = np.array([self.region.cell_of(t.lat, t.lon)
                                 for t in scenario.retaliation.towns], np.int32).reshape(-1, 2)
        self.events = EventLog(self)

        # the agents (units, air, hideouts, cells, caches, couriers) and what search uses
        build_world(self)
        self.hideout_at = np.full(self.nav.shape, -1, np.int64)  # intact hideout on a square
        self.hideout_at[self.hideouts.x, self.hideouts.y] = np.arange(len(self.hideouts))
        km_x = float(np.mean(self.nav.km_x))
        self.threat_kernel = search_kernel("cone", scenario.insurgents.perception_km, km_x,
                                           self.nav.km_y)
        self.patrol_kernels = {r: search_kernel("disc", r, km_x, self.nav.km_y)
                               for r in np.unique(self.units.patrol_km)}

        # dynamic state beyond the tables
        self.pressure = 0.0          # on the pocket's group (plan); drives calls and attacks
        self.pressure_syria = 0.0    # on the Syrian cells (plan)
        self.excitation = 0.0        # self-excitation of attacks in Syria, attacks/day (retaliate)
        self.last_contact_day = 0.0  # last contact in the phase's own ground (engage; plan)
        self.collateral_counted = 0  # civilian casualties in Syria already drawn on (retaliate)
        self.syria_shock_pressure = 0.0  # the sleepers' pressure at their last shock (retaliate)
        self.detected_cells = np.zeros(self.cells.capacity, bool)  # found this step
        self.track_x = np.full((self.max_steps + 1, self.cells.capacity), -1, np.int16)
        self.track_y = np.full((self.max_steps + 1, self.cells.capacity), -1, np.int16)
        self.cells.on_grow.append(self._cells_grew)
        self._record_tracks()

        self.plan.start(0)
        self.metrics = StepMetrics(self)
        self.datacollector = self.metrics.make_datacollector()
        self.metrics.update()
        self.datacollector.collect(self)
        self.running = bool(self.cells.active.any()) and self.plan.phase != Phase.ENDED
        self.command = Command(self)  # orders (standing and given) and the forces' picture
        self._grid_deferred = False   # True inside grid_deferred(): steps leave the grid alone

    # ==========================================================================================
    def step(self) -> None:
        """One step: the submodels in ODD order (see the module docstring)."""
        self.metrics.start_step()
        c = self.cells
        c.prev_x[: c.n], c.prev_y[: c.n] = c.x[: c.n], c.y[: c.n]
        detect.fade_exposure(self)
        threat = perceive.threat_field(self)                          # 1 perceive
        choices = decide.choose(self, threat)                         # 2 decide
        leaving = move.move_cells(self, choices)                      # 3 move (cells)
        interdictions = escape.attempt(self, leaving)                 # 4 escape
        move.move_units(self)                                         # 3 move (units)
        contacts = detect.search(self)                                # 5 detect
        detect.search_sites(self)
        captured = engage.resolve(self, contacts, interdictions,      # 6 engage
                                  choices.ambushes)
        retaliate.step(self, threat)                                  # 7 retaliate
        networks.step(self, captured)                                 # 8 networks
        plan.step(self, threat)                                       # 9 plan
        if not self._grid_deferred:
            sync_agents(self)                                         # 10 record
        self._record_tracks()
        self.metrics.update()
        self.datacollector.collect(self)
        self.command.after_step()                                     # 11 command

    def order(self, order, **fields):
        """Give the security forces an order (``orders.py``): checked now (OrderError, and
        nothing changes, if it is bad), carried out at once, effective from the next step, and
        logged. ``model.order("commit_reserve", axis=0)``, ``model.order({"order": ...})``."""
        return self.command.give(order, **fields)

    def run(self, progress=None) -> None:
        """Step until the campaign ends (``progress(model)`` is called after each step; without
        it, Mesa's grid is brought in step once at the end: :meth:`grid_deferred`)."""
        with contextlib.nullcontext() if progress is not None else self.grid_deferred():
            while self.running and self.steps < self.max_steps:
                self.step()
                if progress is not None:
                    progress(self)

    @contextlib.contextmanager
    def grid_deferred(self) -> Iterator[CampaignModel]:
        """Steps taken inside ``with model.grid_deferred():`` leave Mesa's grid as it is; on
        leaving (an exception too) every agent goes to its table square at once.

        For runs in which nothing looks at the grid between steps (a replication of a sweep,
        ``run()`` without a run folder): moving some 13,000 agents a campaign one by one
        through Mesa's ``agent.cell`` is about a tenth of a replication, and the rules read
        the tables only, so results are the same either way."""
        if self._grid_deferred or self.grid is None:   # nested, or released: nothing to do
            yield self
            return
        self._grid_deferred = True
        try:
            yield self
        finally:
            self._grid_deferred = False
            sync_agents(self, full=True)

    def release(self) -> None:
        """Take the agents off the Mesa grid and give the grid back for the next model of the
        same region (a replication worker then builds its grid once). The model keeps its
        tables, event log and per-step table, but can no longer step or be drawn."""
        if self.grid is None:
            return
        for agent in [*self.unit_agents, *self.cell_agents]:
            if agent.cell is not None:
                agent.cell = None
        for agent in [*self.cache_agents, *self.hideout_agents]:
            if agent.cell is not None:
                agent.cell.remove_agent(agent)
        entry = _FREE_GRIDS.setdefault(id(self.region), (self.region, []))
        if entry[0] is self.region and len(entry[1]) < FREE_GRIDS_PER_REGION:
            entry[1].append(self.grid)
        self.grid = None
        self.running = False

    # ==========================================================================================
    # shared by several submodels
    # ==========================================================================================
    def end_cell(self, i: int, state: CellState, kind: str, *,
                 route: EscapeRoute = EscapeRoute.NONE, **details) -> None:
        """Cell ``i`` leaves the campaign (killed, dissolved, captured or escaped): its state,
        the step it ended, and one event of ``kind``."""
        c = self.cells
        c.state[i] = state
        c.ended_step[i] = self.steps
        c.escaped_via[i] = route
        c.dissolved[i] = kind == "dissolved"
        self.events.add(kind, c.x[i], c.y[i], cells=[i], **details)

    def add_cells(self, count: int) -> np.ndarray:
        """Rows for ``count`` new cells (joiners, recruits); returns their indices."""
        idx = self.cells.add(count)
        self.cells.created_step[idx] = self.steps
        return idx

    def _cells_grew(self, capacity: int) -> None:
        """Per-cell arrays kept by the model grow with the cell table."""
        grown = np.zeros(capacity, bool)
        grown[: len(self.detected_cells)] = self.detected_cells
        self.detected_cells = grown
        for name in ("track_x", "track_y"):
            old = getattr(self, name)
            new = np.full((old.shape[0], capacity), -1, np.int16)
            new[:, : old.shape[1]] = old
            setattr(self, name, new)

    def active_cells_padded(self) -> np.ndarray:
        """``cells.active`` padded to the table's capacity (for the courier graph)."""
        out = np.zeros(self.cells.capacity, bool)
        out[: self.cells.n] = self.cells.active
        return out

    def _record_tracks(self) -> None:
        """This step's row of the track tables: where each active cell stands."""
        c = self.cells
        record_tracks(c.n, c.state, c.x, c.y, self.track_x, self.track_y,
                      min(self.steps, self.max_steps))

    # ==========================================================================================
    # read-only views
    # ==========================================================================================
    @property
    def day(self) -> float:
        return self.steps * self.dt_days

    @property
    def phase_label(self) -> str:
        return PHASE_LABELS[self.plan.phase]

    @property
    def record(self) -> dict:
        """The latest row of the per-step table (column name -> value)."""
        return self.metrics.row

    @property
    def iraq_cells_active(self) -> int:
        return self.metrics.row["iraq_cells_active"]

    @property
    def escaped_cordon(self) -> int:
        return self.metrics.row["escaped_cordon"]

    @property
    def escaped_border(self) -> int:
        return self.metrics.row["escaped_border"]

    @property
    def attacks_syria(self) -> int:
        return self.metrics.row["attacks_syria_total"]
