"""CampaignModel: builds the world from a scenario and orders each step.

One step (``time.step_hours`` long) runs, for all agents at once:

1. perceive  - the threat field of the forces (platoon-equivalents within perception range)
2. decide    - insurgent cells choose hide / relocate / slip away / ambush / call (``cells.py``)
3. move      - units toward their task goals, cells by their choice; ground held is cleared
4. escape    - cells leaving the operation area try to pass the cordon or the border
5. detect    - Koopman random search by units and air assets (``engagement.py``)
6. engage    - Lanchester contacts: detections, ambushes, interdictions; air strikes
7. retaliate - sleeper cells in the Syrian theatre attack towns and SDF posts (``retaliation.py``)
8. networks  - supply used and drawn, caches found, links cut, connectivity (``networks.py``)
9. plan      - axis fronts advance, phase conditions checked, the campaign may end
10. record   - one row of the per-step table (Mesa ``DataCollector``); events as they happen

Every random draw uses the model's own seeded ``numpy`` generator ``self.rng``.
"""

from __future__ import annotations

import functools
from pathlib import Path

import mesa
import numpy as np
from scipy import ndimage

from encircle_sim import retaliation
from encircle_sim.cells import (
    Action,
    CellArrays,
    CellState,
    ChoiceInputs,
    EscapeRoute,
    InsurgentCell,
    Theatre,
    choose_actions,
)
from encircle_sim.engagement import civilian_casualties, detection_draw, fight, search_hazards
from encircle_sim.fields import Kernel, splat
from encircle_sim.forces import (
    CAPABILITIES,
    AirAsset,
    SecurityUnit,
    Side,
    Task,
    UnitArrays,
    axis_ready,
    plan_goals,
    update_on_station,
)
from encircle_sim.geography import Terrain, TerrainProperties, build_region_grid, load_region
from encircle_sim.metrics import EventLog, StepMetrics
from encircle_sim.navigation import Navigator
from encircle_sim.networks import CacheArrays, CommNetwork, SupplyCache, resupply
from encircle_sim.operation import PHASE_LABELS, OperationPlan, Phase, sample_line_cells
from encircle_sim.scenario import Scenario

COUNTRY_IRAQ, COUNTRY_SYRIA = 1, 2
PLATOON = 40.0  # soldiers in one platoon-equivalent of threat


@functools.lru_cache(maxsize=8)
def _navigator(region) -> Navigator:
    return Navigator.from_layers(region.layers, region.km_per_cell_x, region.km_per_cell_y)


@functools.lru_cache(maxsize=8)
def _nearest_open_index(region) -> tuple[np.ndarray, np.ndarray]:
    """For every cell, the nearest cell agents may stand on (see ``Navigator.open_ground``)."""
    _, (ix, iy) = ndimage.distance_transform_edt(~_navigator(region).open_ground,
                                                 return_indices=True)
    return ix.astype(np.int32), iy.astype(np.int32)


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
        self.spec = scenario
        self.step_hours = float(scenario.time.step_hours)
        self.dt_days = self.step_hours / 24.0
        self.max_steps = scenario.max_steps

        self.region = region_for(scenario)
        self.grid = self.region.make_mesa_grid(self.random)
        self.nav = _navigator(self.region)
        self.layers = self.region.layers
        self.concealment = self.layers["concealment"].astype(float)
        self.density = self.layers["population"] / np.asarray(self.region.cell_area_km2, float)
        self._snap_ix, self._snap_iy = _nearest_open_index(self.region)

        self.plan = OperationPlan(scenario, self.region, self.nav.passable)
        self.hiding_xy = np.argwhere(self.plan.area & self.nav.open_ground
                                     & (self.concealment >= 0.5)).astype(np.int32)
        self.events = EventLog(self)
        self.town_names = [t.label for t in scenario.retaliation.towns]
        self.town_xy = np.array([self.region.cell_of(t.lat, t.lon)
                                 for t in scenario.retaliation.towns], np.int32).reshape(-1, 2)

        self._build_units()
        self._build_air()
        self._build_cells()
        self._build_caches()
        self._build_network()
        km_x = float(np.mean(self.nav.km_x))
        self._threat_kernel = Kernel.cone(scenario.insurgents.perception_km, km_x, self.nav.km_y)
        self._patrol_kernels = {r: Kernel.disc(r, km_x, self.nav.km_y)
                                for r in np.unique(self.units.patrol_km)}

        self.pressure = 0.0
        self.pressure_syria = 0.0
        self.detected_cells = np.zeros(self.cells.capacity, bool)
        self.track_x = np.full((self.max_steps + 1, self.cells.capacity), -1, np.int16)
        self.track_y = np.full((self.max_steps + 1, self.cells.capacity), -1, np.int16)
        self._record_tracks()

        self.plan.start(0)
        self.metrics = StepMetrics(self)
        self.datacollector = self.metrics.make_datacollector()
        self.metrics.update()
        self.datacollector.collect(self)
        self.running = self._anything_left()

    # ==========================================================================================
    # construction
    # ==========================================================================================
    def snap_passable(self, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Clip to the grid and move cells agents cannot stand on to the nearest one they can."""
        nx, ny = self.nav.shape
        x = np.clip(x, 0, nx - 1)
        y = np.clip(y, 0, ny - 1)
        return self._snap_ix[x, y], self._snap_iy[x, y]

    def _cell_of(self, loc) -> tuple[int, int]:
        ix, iy = self.region.cell_of(loc.lat, loc.lon)
        x, y = self.snap_passable(np.array([ix]), np.array([iy]))
        return int(x[0]), int(y[0])

    def _scatter(self, cx: int, cy: int, n: int, radius_km: float) -> tuple[np.ndarray, np.ndarray]:
        r = radius_km * np.sqrt(self.rng.random(n))
        ang = self.rng.random(n) * 2 * np.pi
        gx = np.rint(cx + r * np.cos(ang) / self.nav.km_x[cy]).astype(np.int32)
        gy = np.rint(cy + r * np.sin(ang) / self.nav.km_y).astype(np.int32)
        return self.snap_passable(gx, gy)

    def _build_units(self) -> None:
        sc = self.spec
        n = sum(f.units for f in sc.forces)
        u = self.units = UnitArrays(n)
        self.unit_agents: list[SecurityUnit] = []
        k = 0
        border_lines = load_region().lines_of("border")
        for fi, f in enumerate(sc.forces):
            caps = sc.unit_types[f.type]
            idx = np.arange(k, k + f.units)
            k += f.units
            sx, sy = self._cell_of(f.start)
            px, py = self._scatter(sx, sy, f.units, min(5.0, f.area_km))
            u.x[idx], u.y[idx] = px, py
            u.strength[idx] = u.strength0[idx] = f.strength
            u.side[idx] = Side[f.side]
            u.task[idx] = Task[f.task.upper()]
            u.formation[idx] = fi
            u.syria[idx] = f.side == "SDF"
            for cap in CAPABILITIES:
                getattr(u, cap)[idx] = getattr(caps, cap)
            centre = f.area if f.area is not None else f.start
            cx, cy = self._cell_of(centre)
            u.home_x[idx], u.home_y[idx] = cx, cy
            u.area_r_km[idx] = f.area_km
            if f.task == "block":
                hx, hy = self._scatter(cx, cy, f.units, f.area_km)
                u.home_x[idx], u.home_y[idx] = hx, hy
            elif f.task in ("reserve", "axis"):
                u.home_x[idx], u.home_y[idx] = px, py
            elif f.task == "border_screen":
                own = COUNTRY_SYRIA if f.side == "SDF" else COUNTRY_IRAQ
                lane = self._border_lane(border_lines, own, centre, f.area_km)
                for j, part in zip(idx, np.array_split(lane, f.units) if len(lane) else
                                   [lane] * f.units, strict=True):
                    u.lanes[j] = part if len(part) else None
            for j in idx:
                agent = SecurityUnit(self, int(j), f.name, f.type)
                agent.cell = self.grid[(int(u.x[j]), int(u.y[j]))]
                self.unit_agents.append(agent)
        # perimeter sectors: contiguous stretches of the band lane, one per perimeter unit
        per = np.flatnonzero(u.task == Task.PERIMETER)
        lane = self.plan.perimeter_lane
        if len(per) and len(lane):
            # start each sector nearest to where its unit assembles
            for j, part in zip(per, np.array_split(lane, len(per)), strict=True):
                u.lanes[j] = part if len(part) else lane[:1]
        # axis slots: line abreast, 2 clearing radii apart
        spacing = sc.operation.axis_spacing_km
        for a in range(len(sc.operation.axes)):
            on = np.flatnonzero((u.task == Task.AXIS) & (u.axis == -1) & self._axis_of(a))
            u.axis[on] = a
            u.slot[on] = (np.arange(len(on)) - (len(on) - 1) / 2.0) * spacing
        u.pack_lanes()
        u.goal_x[:], u.goal_y[:] = u.x, u.y

    def _axis_of(self, a: int) -> np.ndarray:
        mask = np.zeros(self.units.n, bool)
        k = 0
        for f in self.spec.forces:
            if f.task == "axis" and f.axis == a:
                mask[k:k + f.units] = True
            k += f.units
        return mask

    def _border_lane(self, lines, own_country: int, centre, radius_km: float) -> np.ndarray:
        """Border cells on one's own side within ``radius_km`` of ``centre``, ordered along it."""
        country = self.layers["country"]
        cells = []
        for line in lines:
            pts = sample_line_cells(self.region, line.coords, self.spec.map.cell_km,
                                    self.plan.frame)
            for x, y in pts:
                best = None
                for r in (0, 1, 2):
                    for dx in range(-r, r + 1):
                        for dy in range(-r, r + 1):
                            u, v = x + dx, y + dy
                            if (0 <= u < country.shape[0] and 0 <= v < country.shape[1]
                                    and country[u, v] == own_country and self.nav.passable[u, v]
                                    and not self.layers["border"][u, v]):
                                best = (u, v)
                                break
                        if best:
                            break
                    if best:
                        break
                if best:
                    cells.append(best)
        if not cells:
            return np.zeros((0, 2), np.int32)
        cells = np.array(cells, np.int32)
        cx, cy = self._cell_of(centre)
        d = self.nav.distance_km(cells[:, 0], cells[:, 1], cx, cy)
        cells = cells[d <= radius_km]
        if len(cells) > 1:
            keep = np.ones(len(cells), bool)
            keep[1:] = np.any(cells[1:] != cells[:-1], axis=1)
            cells = cells[keep]
        return cells

    def _build_air(self) -> None:
        self.air_agents = [AirAsset(self, a, self._cell_of(a.area)) for a in self.spec.air]

    def _weighted_cells(self, mask: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
        xy = np.argwhere(mask & self.nav.open_ground)
        if n == 0 or len(xy) == 0:
            return np.zeros(0, np.int32), np.zeros(0, np.int32)
        w = self.concealment[xy[:, 0], xy[:, 1]] ** self.spec.insurgents.placement_concealment_power
        w = w + 1e-9
        pick = self.rng.choice(len(xy), size=n, p=w / w.sum())
        return xy[pick, 0].astype(np.int32), xy[pick, 1].astype(np.int32)

    def _build_cells(self) -> None:
        sc = self.spec
        ins, ret = sc.insurgents, sc.retaliation
        n_pocket = ins.cells if sc.theatres.iraq else 0
        n_sleep = ret.sleeper_cells if sc.theatres.syria else 0
        joiners = n_pocket if (sc.theatres.coupled and ret.escapee_join) else 0
        c = self.cells = CellArrays(n_pocket + n_sleep + joiners)
        self.cell_agents: list[InsurgentCell] = []
        idx = c.add(n_pocket)
        x, y = self._weighted_cells(self.plan.area, n_pocket)
        n_pocket = len(x)
        idx = idx[:n_pocket]
        c.n = n_pocket
        c.x[idx], c.y[idx] = x, y
        c.fighters[idx] = self.rng.integers(ins.fighters_min, ins.fighters_max, n_pocket,
                                            endpoint=True)
        c.supply[idx] = ins.supply_days * self.rng.uniform(0.75, 1.0, n_pocket)
        c.state[idx] = CellState.HIDDEN
        c.theatre[idx] = Theatre.IRAQ
        self.initial_pocket_cells = n_pocket
        # sleepers near the target towns
        sidx = c.add(n_sleep if len(self.town_xy) else 0)
        if len(sidx):
            town = self.rng.integers(0, len(self.town_xy), len(sidx))
            for t in np.unique(town):
                m = sidx[town == t]
                sx, sy = self._scatter(int(self.town_xy[t, 0]), int(self.town_xy[t, 1]), len(m),
                                       ret.spread_km)
                c.x[m], c.y[m] = sx, sy
            c.town[sidx] = town
            c.fighters[sidx] = self.rng.integers(ret.fighters_min, ret.fighters_max, len(sidx),
                                                 endpoint=True)
            c.supply[sidx] = ins.supply_days
            c.state[sidx] = CellState.HIDDEN
            c.theatre[sidx] = Theatre.SYRIA
        self.initial_syria_cells = len(sidx)
        c.fighters0[: c.n] = c.fighters[: c.n]
        c.prev_x[: c.n], c.prev_y[: c.n] = c.x[: c.n], c.y[: c.n]
        for i in range(c.n):
            self._new_cell_agent(i)

    def _new_cell_agent(self, i: int) -> InsurgentCell:
        agent = InsurgentCell(self, i)
        agent.cell = self.grid[(int(self.cells.x[i]), int(self.cells.y[i]))]
        self.cell_agents.append(agent)
        return agent

    def _build_caches(self) -> None:
        net = self.spec.networks
        n = net.caches if self.spec.theatres.iraq else 0
        x, y = self._weighted_cells(self.plan.area, n)
        self.caches = CacheArrays(x, y, net.cache_stock_days)
        self.cache_agents = []
        for i in range(len(x)):
            agent = SupplyCache(self, i)
            agent.cell = self.grid[(int(x[i]), int(y[i]))]
            self.cache_agents.append(agent)

    def _build_network(self) -> None:
        sc, c = self.spec, self.cells
        net = self.network = CommNetwork(c.capacity)
        pocket = np.flatnonzero(c.theatre[: c.n] == Theatre.IRAQ)
        sleep = np.flatnonzero(c.theatre[: c.n] == Theatre.SYRIA)
        net.link_nearest(pocket, c.x[pocket], c.y[pocket], sc.networks.comm_links,
                         sc.networks.comm_radius_km, self.nav)
        net.link_nearest(sleep, c.x[sleep], c.y[sleep], 2, 60.0, self.nav)
        hubs = pocket[np.argsort(-c.fighters[pocket], kind="stable")[: sc.networks.hubs]]
        if len(pocket) == 0 and len(sleep):
            hubs = sleep[np.argsort(-c.fighters[sleep], kind="stable")[: sc.networks.hubs]]
        c.hub[hubs] = True
        if len(hubs) and len(sleep) and sc.networks.cross_border_links:
            k = sc.networks.cross_border_links
            net.add_edges(np.resize(hubs, k), self.rng.choice(sleep, size=k))
        net.update(self._active_full(), np.zeros(c.capacity, bool), c.hub)

    # ==========================================================================================
    # helpers
    # ==========================================================================================
    def _active_full(self) -> np.ndarray:
        out = np.zeros(self.cells.capacity, bool)
        out[: self.cells.n] = self.cells.active
        return out

    def threat_field(self) -> np.ndarray:
        """Platoon-equivalents of force within perception range, cone-weighted, on every cell."""
        u = self.units
        alive = u.alive
        return splat(self.nav.shape, u.x[alive], u.y[alive], u.engaged()[alive] / PLATOON,
                     self._threat_kernel)

    def _anything_left(self) -> bool:
        c = self.cells
        return bool(c.active.any()) and self.plan.phase != Phase.ENDED

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
    def cells_in_pocket(self) -> int:
        return self.metrics.row["cells_in_pocket"]

    @property
    def escaped_cordon(self) -> int:
        return self.metrics.row["escaped_cordon"]

    @property
    def escaped_border(self) -> int:
        return self.metrics.row["escaped_border"]

    @property
    def attacks_elsewhere(self) -> int:
        return self.metrics.row["attacks_elsewhere"]

    def _record_tracks(self) -> None:
        c = self.cells
        s = min(self.steps, self.max_steps)
        act = np.flatnonzero(c.active)
        self.track_x[s, act] = c.x[act]
        self.track_y[s, act] = c.y[act]

    # ==========================================================================================
    # the step
    # ==========================================================================================
    def step(self) -> None:
        """One model step; see the module docstring for the order."""
        self.metrics.start_step()
        c = self.cells
        c.prev_x[: c.n], c.prev_y[: c.n] = c.x[: c.n], c.y[: c.n]
        c.moved[: c.n] = False
        c.exposed[: c.n] *= 0.5
        threat = self.threat_field()                                   # 1 perceive
        ambushes = self._decide_and_move_cells(threat)                 # 2-4 decide, move, escape
        self._move_units()                                             # 3 (units)
        self._detect_and_engage(ambushes)                              # 5-6 detect, engage
        retaliation.step(self, threat)                                 # 7 retaliate
        self._networks_step()                                          # 8 networks
        self._plan_step()                                              # 9 plan
        self._sync_agents()
        self._record_tracks()
        self.metrics.update()                                          # 10 record
        self.datacollector.collect(self)

    # ---- 2-4: decide, move, escape ------------------------------------------------------------
    def _decide_and_move_cells(self, threat: np.ndarray) -> list[tuple[int, int]]:
        sc, c, u, nav = self.spec, self.cells, self.units, self.nav
        ins = sc.insurgents
        active = np.flatnonzero(c.active & (c.theatre[: c.n] == Theatre.IRAQ))
        if len(active) == 0:
            return []
        x, y = c.x[active], c.y[active]
        t_here = threat[x, y] + c.exposed[active]
        conc = self.concealment[x, y]
        low = c.supply[active] < ins.low_supply_days
        speed = ins.speed_kmh * np.where(low, ins.low_supply_speed, 1.0)
        budget = speed * ins.move_hours_per_day * self.dt_days

        # relocation: the best of a few reachable cells inside the operation area
        k = 6
        r = budget[:, None] * np.sqrt(self.rng.random((len(active), k)))
        ang = self.rng.random((len(active), k)) * 2 * np.pi
        gx = np.rint(x[:, None] + r * np.cos(ang) / nav.km_x[y][:, None]).astype(np.int32)
        gy = np.rint(y[:, None] + r * np.sin(ang) / nav.km_y).astype(np.int32)
        gx, gy = self.snap_passable(gx, gy)
        same_bank = nav.bank[gx, gy] == nav.bank[x, y][:, None]
        ok = self.plan.area[gx, gy] & same_bank
        score = np.where(ok, self.concealment[gx, gy] - threat[gx, gy], -np.inf)
        best = np.argmax(score, axis=1)
        rows = np.arange(len(active))
        gain = score[rows, best] - (conc - t_here)
        reloc_x, reloc_y = gx[rows, best], gy[rows, best]

        # slipping away: the exit with the best mix of low cover by forces and short distance
        connected = self.network.connected[active]
        exits = self.plan.exit_xy
        exit_value = np.full(len(active), -np.inf)
        exit_x = x.copy()
        exit_y = y.copy()
        if len(exits):
            if len(exits) > 200:
                exits = exits[:: len(exits) // 200 + 1]
            risk = np.minimum(threat[exits[:, 0], exits[:, 1]], 2.0)
            into_syria = self.layers["country"][exits[:, 0], exits[:, 1]] == COUNTRY_SYRIA
            risk = risk + np.where(into_syria, sc.border.sealing, 0.0)
            d = nav.distance_km(exits[None, :, 0], exits[None, :, 1], x[:, None], y[:, None])
            reach = np.maximum(budget * ins.slip_horizon_days / self.dt_days, 1e-6)
            value = 1.0 - risk[None, :] - d / reach[:, None]
            known = connected[:, None] | (d <= ins.perception_km)
            value = np.where(known, value, -np.inf)
            j = np.argmax(value, axis=1)
            exit_value = value[rows, j]
            exit_x, exit_y = exits[j, 0], exits[j, 1]

        # ambush: the weakest unit within range that the cell can take on
        alive_u = np.flatnonzero(u.alive & ~u.syria)
        ambush_ok = np.zeros(len(active), bool)
        ambush_target = np.full(len(active), -1)
        if len(alive_u):
            du = nav.distance_km(x[:, None], y[:, None], u.x[alive_u][None, :],
                                 u.y[alive_u][None, :])
            eng = u.engaged()[alive_u].astype(float)
            fits = (du <= ins.ambush_range_km) & (
                eng[None, :] <= c.fighters[active][:, None] / ins.ambush_odds)
            fits &= ~low[:, None]
            cand = np.where(fits, eng[None, :], np.inf)
            jj = np.argmin(cand, axis=1)
            ambush_ok = np.isfinite(cand[rows, jj])
            ambush_target = np.where(ambush_ok, alive_u[jj], -1)

        ret = sc.retaliation
        can_call = (connected & ret.enabled & sc.theatres.syria & sc.theatres.coupled)
        inp = ChoiceInputs(active, t_here, conc, gain, exit_value, ambush_ok, can_call,
                           self.pressure)
        action = choose_actions(inp, ins, ret.call_appetite, self.rng)
        c.action[active] = action

        # moves
        goal_x, goal_y = x.copy(), y.copy()
        rel = action == Action.RELOCATE
        slip = action == Action.SLIP
        goal_x[rel], goal_y[rel] = reloc_x[rel], reloc_y[rel]
        goal_x[slip], goal_y[slip] = exit_x[slip], exit_y[slip]
        moving = rel | slip
        nx_, ny_, _ = self.advance(c, active, goal_x, goal_y, np.where(moving, budget, 0.0))
        c.x[active], c.y[active] = nx_, ny_
        c.moved[active] = (nx_ != x) | (ny_ != y)
        states = np.full(len(active), CellState.HIDDEN, np.int8)
        states[rel] = CellState.MOVING
        states[slip] = CellState.SLIPPING
        states[action == Action.AMBUSH] = CellState.ATTACKING
        c.state[active] = states
        calls = active[action == Action.CALL]
        if len(calls):
            retaliation.register_calls(self, calls)
            self.metrics.calls += len(calls)

        self._escape_attempts(active[~self.plan.area[nx_, ny_]])
        return [(int(active[i]), int(ambush_target[i])) for i in np.flatnonzero(
            action == Action.AMBUSH) if c.state[active[i]] == CellState.ATTACKING]

    def _escape_attempts(self, leaving: np.ndarray) -> None:
        """Cells that stepped out of the operation area: interdicted, turned back, or escaped."""
        if len(leaving) == 0:
            return
        sc, c, u, nav = self.spec, self.cells, self.units, self.nav
        x, y = c.x[leaving], c.y[leaving]
        into_syria = (self.layers["country"][x, y] == COUNTRY_SYRIA) & (
            self.layers["country"][c.prev_x[leaving], c.prev_y[leaving]] != COUNTRY_SYRIA)
        alive_u = np.flatnonzero(u.alive)
        p_pass = np.ones(len(leaving))
        nearest_unit = np.full(len(leaving), -1)
        if len(alive_u):
            d = nav.distance_km(x[:, None], y[:, None], u.x[alive_u][None, :],
                                u.y[alive_u][None, :])
            near = d <= sc.border.interdiction_km
            exposure = 1.0 - 0.5 * self.concealment[x, y]
            p_stop = sc.engagement.interdiction_p * exposure
            p_pass = np.prod(np.where(near, 1.0 - p_stop[:, None], 1.0), axis=1)
            jj = np.argmin(np.where(near, d, np.inf), axis=1)
            nearest_unit = np.where(near.any(axis=1), alive_u[jj], -1)
        interdicted = self.rng.random(len(leaving)) > p_pass
        blocked = ~interdicted & into_syria & (self.rng.random(len(leaving)) < sc.border.sealing)
        back = interdicted | blocked
        # turned back: return to where they came from, and they are exposed
        ib = leaving[back]
        c.x[ib], c.y[ib] = c.prev_x[ib], c.prev_y[ib]
        c.exposed[ib] += 1.0
        for i in leaving[blocked]:
            self.events.add("border_turned_back", c.x[i], c.y[i], cells=[i])
        self._interdictions = [(int(i), int(j)) for i, j in zip(leaving[interdicted],
                                                              nearest_unit[interdicted],
                                                              strict=True) if j >= 0]
        gone = leaving[~back]
        route = np.where(into_syria[~back], EscapeRoute.BORDER, EscapeRoute.CORDON)
        for i, r in zip(gone, route, strict=True):
            c.state[i] = CellState.ESCAPED
            c.escaped_via[i] = r
            c.ended_step[i] = self.steps
            kind = "escape_border" if r == EscapeRoute.BORDER else "escape_cordon"
            self.events.add(kind, c.x[i], c.y[i], cells=[i], fighters=int(c.fighters[i]))
            if r == EscapeRoute.BORDER:
                retaliation.join_syria(self, int(i))

    # ---- 3: units -----------------------------------------------------------------------------
    def _move_units(self) -> None:
        """Units head for their task goals; those searching add coverage around them."""
        u = self.units
        plan_goals(self)
        alive = np.flatnonzero(u.alive)
        if len(alive) == 0:
            return
        searching = u.searching(self.plan.phase)
        budget = u.move_budget_km(self.step_hours, searching)[alive]
        road = u.speed_offroad_kmh[alive] / u.speed_road_kmh[alive]
        nx_, ny_, _ = self.advance(u, alive, u.goal_x[alive], u.goal_y[alive], budget, road)
        u.x[alive], u.y[alive] = nx_, ny_
        update_on_station(self)
        if self.plan.active:
            sweeping = np.flatnonzero(searching & ~u.syria)
            self.plan.add_coverage(self.search_coverage(sweeping))
        self.plan.advance_fronts(axis_ready(self))

    def advance(self, agents, idx: np.ndarray, gx: np.ndarray, gy: np.ndarray,
                budget_km: np.ndarray, road_factor: np.ndarray | float = 1.0):
        """Move agents ``idx`` of ``self.units`` or ``self.cells`` toward their goals, keeping
        each agent's route-field mode while its goal stays the same (see ``navigation.py``)."""
        same = (agents.route_x[idx] == gx) & (agents.route_y[idx] == gy)
        routed = agents.routed[idx] & same
        out = self.nav.advance(agents.x[idx], agents.y[idx], gx, gy, budget_km, road_factor,
                               routed=routed)
        agents.routed[idx], agents.route_x[idx], agents.route_y[idx] = routed, gx, gy
        return out

    def search_coverage(self, idx: np.ndarray) -> np.ndarray:
        """Coverage (W v t / A) that units ``idx`` lay on every cell of their patrol discs."""
        u = self.units
        search_mult, _ = self.plan.intensity()
        per_area = (u.search_effort_km2(self.step_hours)[idx] * search_mult
                    / (np.pi * u.patrol_km[idx] ** 2))
        total = np.zeros(self.nav.shape)
        for radius, kernel in self._patrol_kernels.items():
            mine = u.patrol_km[idx] == radius
            if mine.any():
                k = idx[mine]
                total += splat(self.nav.shape, u.x[k], u.y[k], per_area[mine], kernel)
        return total

    # ---- 5-6: detect and engage ---------------------------------------------------------------
    def _detect_and_engage(self, ambushes: list[tuple[int, int]]) -> None:
        c, u, nav = self.cells, self.units, self.nav
        search_mult, fire_mult = self.plan.intensity()
        targets = np.flatnonzero(c.active & (c.state[: c.n] != CellState.ATTACKING))
        alive_u = np.flatnonzero(u.alive)
        detected = np.zeros(len(targets), bool)
        contacts: list[tuple[int, int]] = []
        self.detected_cells[:] = False
        if len(targets):
            x, y = c.x[targets], c.y[targets]
            conceal = self.concealment[x, y] * np.where(c.moved[targets], 0.5, 1.0)
            exposure = 1.0 - conceal
            h_ground = np.zeros((len(targets), len(alive_u)))
            if len(alive_u):
                d = nav.distance_km(x[:, None], y[:, None], u.x[alive_u][None, :],
                                    u.y[alive_u][None, :])
                effort = u.search_effort_km2(self.step_hours)[alive_u]
                effort = effort * np.where(u.syria[alive_u], 1.0, search_mult)
                h_ground = search_hazards(d, u.patrol_km[alive_u], effort, exposure)
            h_air = np.zeros((len(targets), len(self.air_agents)))
            for a, air in enumerate(self.air_agents):
                da = nav.distance_km(x, y, air.x, air.y)
                inside = da <= air.spec.radius_km
                h_air[:, a] = np.where(inside, air.effort_km2 / air.area_km2 *
                                       (1.0 - self.concealment[x, y] * air.spec.concealment_factor),
                                       0.0)
            h_intel = c.exposed[targets]
            total = h_ground.sum(axis=1) + h_air.sum(axis=1) + h_intel
            detected = detection_draw(total, self.rng)
            self.detected_cells[targets[detected]] = True
            self.metrics.detections += int(detected.sum())
            for t in np.flatnonzero(detected):
                i = int(targets[t])
                g, a_ = h_ground[t].sum(), h_air[t].sum()
                pick = self.rng.random() * total[t]
                if pick >= g and pick < g + a_ and len(self.air_agents):
                    air = self.air_agents[int(np.argmax(h_air[t]))]
                    if self.rng.random() < air.spec.p_strike:
                        self._air_strike(i, air)
                        continue
                if len(alive_u) and h_ground[t].max() > 0:
                    j = int(alive_u[int(np.argmax(h_ground[t]))])
                else:
                    j = self._nearest_unit_within(i, 2.0)
                if j >= 0:
                    contacts.append((i, j))
        self._fight(contacts, kind="engagement", fire_mult=fire_mult)
        self._fight(getattr(self, "_interdictions", []), kind="interdiction", fire_mult=fire_mult)
        self._interdictions = []
        self._fight(ambushes, kind="ambush", fire_mult=fire_mult, ambush=True)

    def _nearest_unit_within(self, i: int, patrol_multiple: float) -> int:
        u, c = self.units, self.cells
        alive = np.flatnonzero(u.alive & (u.syria == (c.theatre[i] == Theatre.SYRIA)))
        if len(alive) == 0:
            return -1
        d = self.nav.distance_km(c.x[i], c.y[i], u.x[alive], u.y[alive])
        j = int(np.argmin(d))
        return int(alive[j]) if d[j] <= patrol_multiple * u.patrol_km[alive[j]] else -1

    def _air_strike(self, i: int, air: AirAsset) -> None:
        c = self.cells
        kills = int(self.rng.binomial(c.fighters[i], air.spec.strike_kill_share))
        c.fighters[i] -= kills
        civ = int(civilian_casualties(self.density[c.x[i], c.y[i]], 2.0 * c.fighters[i] + 10,
                                      self.spec.engagement.collateral_per_1000, self.rng))
        self.metrics.civilian_casualties += civ
        self.metrics.air_strikes += 1
        self.events.add("air_strike", c.x[i], c.y[i], cells=[i], air=air.name,
                        insurgent_losses=kills, civilian_casualties=civ)
        if c.fighters[i] <= 0:
            self._end_cell(i, CellState.NEUTRALISED)
        else:
            c.exposed[i] += 1.0

    def _fight(self, pairs: list[tuple[int, int]], *, kind: str, fire_mult: float,
               ambush: bool = False, red_fire_mult: float = 1.0) -> None:
        """Resolve a batch of contacts (cell index, unit index) with stochastic Lanchester fire."""
        pairs = [(i, j) for i, j in pairs if j >= 0 and self.cells.active[i]
                 and self.units.strength[j] > 0]
        if not pairs:
            return
        sc, c, u = self.spec, self.cells, self.units
        eng, ins = sc.engagement, sc.insurgents
        ci = np.array([p[0] for p in pairs])
        ui = np.array([p[1] for p in pairs])
        blue = u.engaged()[ui]
        red = c.fighters[ci]
        low = c.supply[ci] < ins.low_supply_days
        alpha = u.firepower[ui] * np.where(u.syria[ui], 1.0, fire_mult)
        beta = ins.firepower * np.where(low, ins.low_supply_firepower, 1.0) * u.vulnerability[ui]
        beta = beta * red_fire_mult
        if ambush:
            res = fight(blue, red, alpha, beta, hours=eng.contact_hours / 3, slices=2,
                        rng=self.rng, red_first=eng.ambush_multiplier,
                        blue_first=eng.ambush_surprise, break_contact=0.0)
            res.broke_contact[:] = True  # ambushers withdraw after the strike
        else:
            res = fight(blue, red, alpha, beta, hours=eng.contact_hours, slices=eng.rounds,
                        rng=self.rng, break_contact=eng.break_contact)
        # the same unit may be in several contacts: subtract losses in turn
        np.subtract.at(u.strength, ui, res.blue_losses)
        np.maximum(u.strength, 0, out=u.strength)
        np.add.at(u.casualties, ui, res.blue_losses)
        c.fighters[ci] = np.maximum(c.fighters[ci] - res.red_losses, 0)
        shooter_hours = (blue + red) * eng.contact_hours
        civ = civilian_casualties(self.density[c.x[ci], c.y[ci]], shooter_hours,
                                  eng.collateral_per_1000, self.rng)
        self.metrics.sf_casualties += int(res.blue_losses.sum())
        self.metrics.civilian_casualties += int(civ.sum())
        self.metrics.engagements += len(pairs)
        if ambush:
            self.metrics.ambushes += len(pairs)
        for k, (i, j) in enumerate(pairs):
            self.events.add(kind, c.x[i], c.y[i], cells=[i], units=[j],
                            insurgent_losses=int(res.red_losses[k]),
                            sf_losses=int(res.blue_losses[k]), civilian_casualties=int(civ[k]))
            if c.fighters[i] <= 0:
                self._end_cell(i, CellState.NEUTRALISED)
            elif (not res.broke_contact[k] and c.fighters[i] <= eng.surrender_fighters
                  and self.rng.random() < eng.p_surrender):
                self._end_cell(i, CellState.CAPTURED)
            else:
                c.exposed[i] += 0.5
            if u.strength[j] <= 0:
                self.events.add("unit_destroyed", u.x[j], u.y[j], units=[j])

    def _end_cell(self, i: int, state: CellState) -> None:
        c = self.cells
        c.state[i] = state
        c.ended_step[i] = self.steps
        self.events.add("neutralised" if state == CellState.NEUTRALISED else "captured",
                        c.x[i], c.y[i], cells=[i], fighters=int(c.fighters[i]))
        if state == CellState.CAPTURED:
            self.metrics.captured_now.append(i)

    # ---- 8: networks ----------------------------------------------------------------------------
    def _networks_step(self) -> None:
        sc, c, u, nav = self.spec, self.cells, self.units, self.nav
        ins, net = sc.insurgents, sc.networks
        act = np.flatnonzero(c.active)
        # supply use, resupply near caches, desertion when out
        c.supply[act] = np.maximum(c.supply[act] - self.dt_days, 0.0)
        pocket = act[c.theatre[act] == Theatre.IRAQ]
        if len(pocket) and len(self.caches):
            d = nav.distance_km(c.x[pocket][:, None], c.y[pocket][:, None],
                                self.caches.x[None, :], self.caches.y[None, :])
            full = ins.supply_days * c.fighters0[pocket] / np.maximum(c.fighters0[pocket], 1)
            c.supply[pocket] = resupply(self.caches, c.x[pocket], c.y[pocket], c.supply[pocket],
                                        full, d, net.resupply_km)
        sleepers = act[c.theatre[act] == Theatre.SYRIA]
        c.supply[sleepers] = ins.supply_days  # sleepers live off the towns around them
        out = act[c.supply[act] <= 0]
        if len(out):
            lost = self.rng.binomial(c.fighters[out],
                                     -np.expm1(-ins.desertion_per_day * self.dt_days))
            c.fighters[out] -= lost
            for i in out[c.fighters[out] <= 0]:
                c.state[i] = CellState.NEUTRALISED
                c.ended_step[i] = self.steps
                self.events.add("dissolved", c.x[i], c.y[i], cells=[i])
        # caches found by searching units
        intact = np.flatnonzero(self.caches.intact)
        alive_u = np.flatnonzero(u.alive)
        if len(intact) and len(alive_u):
            d = nav.distance_km(self.caches.x[intact][:, None], self.caches.y[intact][:, None],
                                u.x[alive_u][None, :], u.y[alive_u][None, :])
            search_mult, _ = self.plan.intensity()
            effort = u.search_effort_km2(self.step_hours)[alive_u] * search_mult
            h = search_hazards(d, u.patrol_km[alive_u], effort,
                               np.full(len(intact), 1.0 - net.cache_concealment)).sum(axis=1)
            found = intact[detection_draw(h, self.rng)]
            for k in found:
                self.caches.intact[k] = False
                self.caches.destroyed_step[k] = self.steps
                self.events.add("cache_destroyed", self.caches.x[k], self.caches.y[k],
                                caches=[int(k)], stock=float(self.caches.stock[k]))
                self.cache_agents[k].remove()
            self.metrics.caches_destroyed += len(found)
        # intelligence from captures, then cut links and recompute connectivity
        captured = np.array(self.metrics.captured_now, int)
        if len(captured):
            a, b = self.network.links_of(captured)
            partners = np.unique(np.concatenate([a, b]))
            partners = partners[~np.isin(partners, captured)]
            partners = partners[c.state[partners] <= CellState.ATTACKING]
            revealed = partners[self.rng.random(len(partners)) < net.capture_intel]
            c.exposed[revealed] += 2.0
        active_full = self._active_full()
        taken = np.zeros(c.capacity, bool)
        st = c.state[: c.n]
        taken[: c.n] = (st == CellState.NEUTRALISED) | (st == CellState.CAPTURED)
        self.metrics.links_cut += self.network.update(active_full, taken, c.hub)

    # ---- 9: plan ------------------------------------------------------------------------------
    def _plan_step(self) -> None:
        c = self.cells
        pocket_active = int((c.active & (c.theatre[: c.n] == Theatre.IRAQ)).sum())
        lost = self.initial_pocket_cells - pocket_active
        share_left = pocket_active / self.initial_pocket_cells if self.initial_pocket_cells else 0.0
        w = self.spec.retaliation.pressure_area_weight
        if self.plan.active and self.initial_pocket_cells:
            self.pressure = ((1 - w) * lost / self.initial_pocket_cells
                             + w * (1.0 - self.plan.pocket_share))
        syria_active = int((c.active & (c.theatre[: c.n] == Theatre.SYRIA)).sum())
        syria_created = int((c.theatre[: c.n] == Theatre.SYRIA).sum())
        self.pressure_syria = 1.0 - syria_active / syria_created if syria_created else 0.0
        if self.plan.active and self.plan.phase not in (Phase.NONE, Phase.ENDED):
            if self.plan.phase_done(self.day, share_left) or (
                    self.initial_pocket_cells and pocket_active == 0):
                nxt = self.plan.next_phase()
                if pocket_active == 0:
                    nxt = Phase.ENDED
                self.plan.enter(nxt, self.steps, self.day)
                self.events.add("phase", None, None, phase=PHASE_LABELS[nxt])
        over = self.steps >= self.max_steps or not c.active.any()
        if self.plan.phase == Phase.ENDED and not self.spec.theatres.syria:
            over = True
        if over:
            self.running = False

    def _sync_agents(self) -> None:
        """Mirror the array positions into Mesa's grid for agents that moved or left it."""
        c, u, grid = self.cells, self.units, self.grid
        act = c.active
        for i in np.flatnonzero(act & ((c.x[: c.n] != c.prev_x[: c.n]) |
                                       (c.y[: c.n] != c.prev_y[: c.n]))):
            self.cell_agents[i].cell = grid[(int(c.x[i]), int(c.y[i]))]
        for i in np.flatnonzero(~act):
            if self.cell_agents[i].cell is not None:
                self.cell_agents[i].cell = None
        for j, agent in enumerate(self.unit_agents):
            if u.strength[j] <= 0:
                if agent.cell is not None:
                    agent.cell = None
                continue
            cell = agent.cell
            if cell is None or cell.coordinate != (u.x[j], u.y[j]):
                agent.cell = grid[(int(u.x[j]), int(u.y[j]))]

    # ==========================================================================================
    def run(self, progress=None) -> None:
        """Step until the campaign ends (``progress(model)`` is called after each step)."""
        while self.running and self.steps < self.max_steps:
            self.step()
            if progress is not None:
                progress(self)
