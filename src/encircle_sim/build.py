"""Building the world of one campaign: units, air assets, insurgent cells, caches and couriers.

Called once by :class:`~encircle_sim.model.CampaignModel` (``build_world``); every random draw
comes from the model's generator, in this order: units (where each formation assembles, blocking
positions), hideouts, cells (at which hideout each starts, its size and supply, when it first
plans; sleepers around their towns), caches, cross-border courier links. Placement rules (ODD 5,
Initialisation):

- a formation's units assemble within ``UNIT_ASSEMBLY_KM`` (or its area radius, if smaller) of
  its start; blocking units spread over their area; border screens patrol the border squares on
  their own side within their area; perimeter units split the perimeter lane into contiguous
  sectors; axis units stand in line abreast, ``axis_spacing_km`` apart;
- hideouts and caches are placed in the operation area with weight
  ``concealment ** placement_concealment_power``; each pocket cell starts at a hideout drawn at
  random (or, with no hideouts, where a hideout would be), with supply_days x U(0.75, 1)
  (``INITIAL_SUPPLY_MIN_SHARE``), and first plans at a random step of its first planning
  interval (cells do not all plan at once); sleepers within ``retaliation.spread_km`` of a
  target town drawn at random;
- each pocket cell links to its ``comm_links`` nearest cells within ``comm_radius_km``; sleepers
  to their ``SLEEPER_LINKS`` nearest within ``SLEEPER_LINK_KM``; the largest cells are hubs. A
  cell's home cache is the nearest cache within ``resupply_km`` of its start.
"""

from __future__ import annotations

import numpy as np

from encircle_sim.agents import AirAsset, Hideout, SecurityUnit, SupplyCache, new_cell_agent
from encircle_sim.geography import COUNTRY_IRAQ, COUNTRY_SYRIA, load_region
from encircle_sim.networks import CommNetwork
from encircle_sim.operation import sample_line_cells
from encircle_sim.state import (
    CAPABILITIES,
    Action,
    CacheArrays,
    CellArrays,
    CellState,
    Side,
    SiteArrays,
    Task,
    Theatre,
    UnitArrays,
)

#: Units of a formation assemble within this distance of its start (or its area radius).
UNIT_ASSEMBLY_KM = 5.0
#: Each sleeper cell links to this many nearest sleepers ...
SLEEPER_LINKS = 2
#: ... within this distance.
SLEEPER_LINK_KM = 60.0
#: A border screen's lane uses the nearest own-side square within this many squares of the line.
BORDER_LANE_SEARCH = 2
#: A pocket cell starts with supply_days x U(INITIAL_SUPPLY_MIN_SHARE, 1).
INITIAL_SUPPLY_MIN_SHARE = 0.75


def build_world(model) -> None:
    """Create the units, air assets, cells, caches and courier network of ``model.spec``."""
    build_units(model)
    model.air_agents = [AirAsset(model, a, square_of(model, a.area)) for a in model.spec.air]
    build_hideouts(model)
    build_cells(model)
    build_caches(model)
    build_network(model)
    home_caches(model)


class GeometryMemo:
    """Results that depend only on the map (the model's region and navigator) and on a few
    scenario numbers (places, radii), not on the seed: where a force's start is, a border
    screen's lane. A replication worker runs many campaigns of one map, so each is computed
    once per process, not once per campaign (as the Mesa grid is kept, ``model.release``).

    Entries are keyed by the identity of the region and navigator and hold both, so that no
    other map can take their ids while the entry lives: a rebuilt map never gets another
    map's answer. Arrays are handed out read-only.
    """

    def __init__(self, limit: int = 4096):
        self.limit = limit
        self._memo: dict[tuple, tuple] = {}

    def get(self, model, key: tuple, compute):
        """``compute()`` for ``model``'s map and ``key``, computed once per map and key."""
        return self.lookup((model.region, model.nav), key, compute)

    def lookup(self, owners: tuple, key: tuple, compute):
        """``compute()`` for the map objects ``owners`` (kept alive by the entry, keyed by
        identity) and ``key``, computed once per owners and key."""
        full = (*map(id, owners), *key)
        hit = self._memo.get(full)
        if hit is not None:
            return hit[1]
        value = compute()
        if isinstance(value, np.ndarray):
            value.setflags(write=False)
        if len(self._memo) >= self.limit:  # many maps in one process: start again
            self._memo.clear()
        self._memo[full] = (owners, value)
        return value


#: The geometry of the maps this process has built campaigns on.
GEOMETRY = GeometryMemo()


def square_of(model, loc) -> tuple[int, int]:
    """The open-ground square of a location: its own, or the nearest on its side of the river."""
    return GEOMETRY.get(model, ("square", loc.lat, loc.lon),
                        lambda: model.region.place_cell(loc.lat, loc.lon, model.nav.open_ground))


def build_units(model) -> None:
    sc, nav = model.spec, model.nav
    n = sum(f.units for f in sc.forces)
    u = model.units = UnitArrays(n)
    model.unit_agents = []
    k = 0
    border_lines = load_region().lines_of("border")
    for fi, f in enumerate(sc.forces):
        caps = sc.unit_types[f.type]
        idx = np.arange(k, k + f.units)
        k += f.units
        sx, sy = square_of(model, f.start)
        px, py = nav.random_points_in_disc(sx, sy, min(UNIT_ASSEMBLY_KM, f.area_km),
                                           model.streams.build, f.units)
        u.x[idx], u.y[idx] = px, py
        u.strength[idx] = u.strength0[idx] = f.strength
        u.side[idx] = Side[f.side]
        u.task[idx] = Task[f.task.upper()]
        u.formation[idx] = fi
        u.syria[idx] = f.side == "SDF"
        for cap in CAPABILITIES:
            getattr(u, cap)[idx] = getattr(caps, cap)
        centre = f.area if f.area is not None else f.start
        cx, cy = square_of(model, centre)
        u.home_x[idx], u.home_y[idx] = cx, cy
        u.area_r_km[idx] = f.area_km
        if f.task == "block":
            hx, hy = nav.random_points_in_disc(cx, cy, f.area_km, model.streams.build, f.units)
            u.home_x[idx], u.home_y[idx] = hx, hy
        elif f.task in ("reserve", "axis"):
            u.home_x[idx], u.home_y[idx] = px, py
        elif f.task == "border_screen":
            own = COUNTRY_SYRIA if f.side == "SDF" else COUNTRY_IRAQ
            lane = border_lane(model, border_lines, own, centre, f.area_km)
            for j, part in zip(idx, np.array_split(lane, f.units) if len(lane) else
                               [lane] * f.units, strict=True):
                u.lanes[j] = part if len(part) else None
        for j in idx:
            agent = SecurityUnit(model, int(j), f.name, f.type)
            agent.cell = model.grid[(int(u.x[j]), int(u.y[j]))]
            model.unit_agents.append(agent)
    # perimeter sectors: contiguous stretches of the band lane, one per perimeter unit
    per = np.flatnonzero(u.task == Task.PERIMETER)
    lane = model.plan.perimeter_lane
    if len(per) and len(lane):
        for j, part in zip(per, np.array_split(lane, len(per)), strict=True):
            u.lanes[j] = part if len(part) else lane[:1]
    # axis slots: line abreast, axis_spacing_km apart
    spacing = sc.operation.axis_spacing_km
    for a in range(len(sc.operation.axes)):
        on = np.flatnonzero((u.task == Task.AXIS) & (u.axis == -1) & _on_axis(sc, n, a))
        u.axis[on] = a
        u.slot[on] = (np.arange(len(on)) - (len(on) - 1) / 2.0) * spacing
    u.pack_lanes()
    u.goal_x[:], u.goal_y[:] = u.x, u.y


def _on_axis(sc, n: int, a: int) -> np.ndarray:
    """Which of the ``n`` units belong to formations on axis ``a``."""
    mask = np.zeros(n, bool)
    k = 0
    for f in sc.forces:
        if f.task == "axis" and f.axis == a:
            mask[k:k + f.units] = True
        k += f.units
    return mask


def border_lane(model, lines, own_country: int, centre, radius_km: float) -> np.ndarray:
    """Border squares on one's own side within ``radius_km`` of ``centre``, ordered along it
    (read-only; the same for every campaign of a map, so computed once: :data:`GEOMETRY`)."""
    frame = model.plan.frame
    key = ("border lane", own_country, centre.lat, centre.lon, float(radius_km),
           float(model.spec.map.cell_km), frame.lat0, frame.lon0,
           tuple(map(id, lines)))  # the bundled region's lines: one set per process
    return GEOMETRY.get(model, key,
                        lambda: _border_lane(model, lines, own_country, centre, radius_km))


def _border_lane(model, lines, own_country: int, centre, radius_km: float) -> np.ndarray:
    country = model.layers["country"]
    border = model.layers["border"]
    passable = model.nav.passable
    cells = []
    for line in lines:
        pts = sample_line_cells(model.region, line.coords, model.spec.map.cell_km,
                                model.plan.frame)
        for x, y in pts:
            best = None
            for r in range(BORDER_LANE_SEARCH + 1):
                for dx in range(-r, r + 1):
                    for dy in range(-r, r + 1):
                        u, v = x + dx, y + dy
                        if (0 <= u < country.shape[0] and 0 <= v < country.shape[1]
                                and country[u, v] == own_country and passable[u, v]
                                and not border[u, v]):
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
    cx, cy = square_of(model, centre)
    d = model.nav.distance_km(cells[:, 0], cells[:, 1], cx, cy)
    cells = cells[d <= radius_km]
    if len(cells) > 1:
        keep = np.ones(len(cells), bool)
        keep[1:] = np.any(cells[1:] != cells[:-1], axis=1)
        cells = cells[keep]
    return cells


def weighted_squares(model, mask: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """``n`` open-ground squares of ``mask`` drawn with weight concealment ** power."""
    xy = np.argwhere(mask & model.nav.open_ground)
    if n == 0 or len(xy) == 0:
        return np.zeros(0, np.int32), np.zeros(0, np.int32)
    w = model.concealment[xy[:, 0], xy[:, 1]] ** model.spec.insurgents.placement_concealment_power
    w = w + 1e-9
    pick = model.streams.build.choice(len(xy), size=n, p=w / w.sum())
    return xy[pick, 0].astype(np.int32), xy[pick, 1].astype(np.int32)


def build_hideouts(model) -> None:
    n = model.spec.networks.hideouts if model.spec.theatres.iraq else 0
    x, y = weighted_squares(model, model.plan.area, n)
    model.hideouts = SiteArrays(x, y)
    model.hideout_agents = []
    for i in range(len(x)):
        agent = Hideout(model, i)
        agent.cell = model.grid[(int(x[i]), int(y[i]))]
        model.hideout_agents.append(agent)


def build_cells(model) -> None:
    sc, rng = model.spec, model.streams.build
    ins, ret = sc.insurgents, sc.retaliation
    n_pocket = ins.cells if sc.theatres.iraq else 0
    n_sleep = ret.sleeper_cells if sc.theatres.syria else 0
    c = model.cells = CellArrays(n_pocket + n_sleep + 16)
    model.cell_agents = []
    if len(model.hideouts):
        pick = rng.integers(0, len(model.hideouts), n_pocket)
        x, y = model.hideouts.x[pick], model.hideouts.y[pick]
    else:
        x, y = weighted_squares(model, model.plan.area, n_pocket)
    n_pocket = len(x)
    idx = c.add(n_pocket)
    c.x[idx], c.y[idx] = x, y
    c.fighters[idx] = rng.integers(ins.fighters_min, ins.fighters_max, n_pocket, endpoint=True)
    c.supply[idx] = ins.supply_days * rng.uniform(INITIAL_SUPPLY_MIN_SHARE, 1.0, n_pocket)
    c.state[idx] = CellState.HIDDEN
    c.theatre[idx] = Theatre.IRAQ
    c.action[idx] = Action.HIDE
    c.goal_x[idx], c.goal_y[idx] = x, y
    c.plan_until[idx] = rng.integers(0, model.plan_steps, n_pocket)
    model.iraq_cells_initial = n_pocket
    # sleepers near the target towns
    sidx = c.add(n_sleep if len(model.town_xy) else 0)
    if len(sidx):
        town = rng.integers(0, len(model.town_xy), len(sidx))
        for t in np.unique(town):
            m = sidx[town == t]
            sx, sy = model.nav.random_points_in_disc(int(model.town_xy[t, 0]),
                                                     int(model.town_xy[t, 1]), ret.spread_km,
                                                     rng, len(m))
            c.x[m], c.y[m] = sx, sy
        c.town[sidx] = town
        c.fighters[sidx] = rng.integers(ret.fighters_min, ret.fighters_max, len(sidx),
                                        endpoint=True)
        c.supply[sidx] = ins.supply_days
        c.state[sidx] = CellState.HIDDEN
        c.theatre[sidx] = Theatre.SYRIA
    model.syria_cells_initial = len(sidx)
    c.fighters0[: c.n] = c.fighters[: c.n]
    c.prev_x[: c.n], c.prev_y[: c.n] = c.x[: c.n], c.y[: c.n]
    for i in range(c.n):
        new_cell_agent(model, i)


def home_caches(model) -> None:
    """Each pocket cell's home cache (nearest within resupply_km) and its links at day 0."""
    c, caches = model.cells, model.caches
    pocket = c.active_in(Theatre.IRAQ)
    if len(pocket) and len(caches):
        d = model.nav.distance_matrix(c.x[pocket], c.y[pocket], caches.x, caches.y)
        near = np.argmin(d, axis=1)
        ok = d[np.arange(len(pocket)), near] <= model.spec.networks.resupply_km
        c.home_cache[pocket] = np.where(ok, near, -1)
    net = model.network
    alive = net.alive
    c.links0[: c.n] = (np.bincount(net.a[alive], minlength=c.n)[: c.n]
                       + np.bincount(net.b[alive], minlength=c.n)[: c.n])


def build_caches(model) -> None:
    net = model.spec.networks
    n = net.caches if model.spec.theatres.iraq else 0
    x, y = weighted_squares(model, model.plan.area, n)
    model.caches = CacheArrays(x, y, net.cache_stock_days)
    model.cache_agents = []
    for i in range(len(x)):
        agent = SupplyCache(model, i)
        agent.cell = model.grid[(int(x[i]), int(y[i]))]
        model.cache_agents.append(agent)


def build_network(model) -> None:
    sc, c = model.spec, model.cells
    net = model.network = CommNetwork(c.capacity)
    pocket = np.flatnonzero(c.theatre[: c.n] == Theatre.IRAQ)
    sleep = np.flatnonzero(c.theatre[: c.n] == Theatre.SYRIA)
    net.link_nearest(pocket, c.x[pocket], c.y[pocket], sc.networks.comm_links,
                     sc.networks.comm_radius_km, model.nav)
    net.link_nearest(sleep, c.x[sleep], c.y[sleep], SLEEPER_LINKS, SLEEPER_LINK_KM, model.nav)
    hubs = pocket[np.argsort(-c.fighters[pocket], kind="stable")[: sc.networks.hubs]]
    if len(pocket) == 0 and len(sleep):
        hubs = sleep[np.argsort(-c.fighters[sleep], kind="stable")[: sc.networks.hubs]]
    c.hub[hubs] = True
    if len(hubs) and len(sleep) and sc.networks.cross_border_links:
        k = sc.networks.cross_border_links
        net.add_edges(np.resize(hubs, k), model.streams.build.choice(sleep, size=k))
    net.update(model.active_cells_padded(), np.zeros(c.capacity, bool), c.hub)
