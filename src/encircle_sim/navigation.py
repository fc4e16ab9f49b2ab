"""Moving many agents at once over the grid: rivers are barriers crossed only at crossings.

Every agent moves by single-cell steps to one of its 8 neighbours, all agents advanced together
with numpy. A step is legal when the target cell is passable (not lake, not river unless it is a
crossing), a diagonal step does not cut between two impassable cells, and it does not jump
between two *banks*. Banks are the 4-connected regions of land between rivers, so an agent
changes bank only by standing on a crossing cell; an agent that steps onto a crossing stops there
for the rest of the step (crossing a bridge or ford is a deliberate act, and the invariant "no
agent crosses a river except at a crossing" can then be checked step by step).

Agents whose goal lies on another bank head for the crossing that minimises the detour
(distance to the crossing plus from it to the goal). Each move goes to the legal neighbour nearest
the waypoint (greedy descent, cheap and right in open desert). An agent that greedy descent
leaves stuck (behind a lake, in a river bend) switches to a *route field* for the rest of the
step: the least-cost distance from every cell to its goal (Dijkstra over the same legal moves,
weighted by terrain cost), cached per goal cell, down which it cannot get stuck.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field

import numpy as np
from scipy import ndimage
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import dijkstra

ROUTE_CACHE_SIZE = 512  # route fields kept per navigator (one float32 grid each)

# The 8 neighbour offsets, and whether each is diagonal.
OFFSETS = np.array([(1, 0), (-1, 0), (0, 1), (0, -1), (1, 1), (1, -1), (-1, 1), (-1, -1)],
                   dtype=np.int32)
DIAGONAL = np.array([False] * 4 + [True] * 4)


@dataclass
class Navigator:
    """Precomputed passability, banks and crossings of one grid."""

    passable: np.ndarray        # bool (nx, ny)
    crossing: np.ndarray        # bool (nx, ny): passable river cells
    bank: np.ndarray            # int32 (nx, ny): 4-connected land region; 0 on rivers/lakes
    move_cost: np.ndarray       # float (nx, ny): time to cross 1 km relative to open desert
    road: np.ndarray            # bool (nx, ny)
    km_x: np.ndarray            # float (ny,): east-west cell size per row
    km_y: float
    crossings_xy: np.ndarray    # int32 (k, 2)
    crossing_banks: np.ndarray  # bool (k, banks + 1): which banks each crossing touches
    open_ground: np.ndarray = field(default=None, repr=False)  # bool (nx, ny), set below
    _routes: OrderedDict = field(default_factory=OrderedDict, repr=False)

    def __post_init__(self):
        # Padded copies (one cell of impassable ground all round) let the move loop index the 8
        # neighbours of any cell without bounds checks.
        self._passable = np.pad(self.passable, 1, constant_values=False)
        self._crossing = np.pad(self.crossing, 1, constant_values=False)
        self._bank = np.pad(self.bank, 1, constant_values=-1)
        self._cost = np.pad(self.move_cost, 1, constant_values=np.inf)
        self._road = np.pad(self.road, 1, constant_values=False)
        self._graph = None
        self._snap_index: tuple[np.ndarray, np.ndarray] | None = None
        # Where agents may be placed: not on a scrap of land that a river meander cuts off with
        # no crossing (an agent put there could never leave). Banks that touch a crossing, or
        # hold at least 2% of the land, are open.
        sizes = np.bincount(self.bank.ravel(), minlength=self.crossing_banks.shape[1])
        keep = self.crossing_banks.any(axis=0) | (sizes >= 0.02 * self.passable.sum())
        keep[0] = True
        self.open_ground = self.passable & keep[self.bank]
        # Static move tables, (nx, ny, 8) per neighbour: is the move legal (passable, no corner
        # cutting, no bank jump), does it enter a crossing, the entered cell's cost and road.
        nx, ny = self.shape
        xi, yi = np.meshgrid(np.arange(nx) + 1, np.arange(ny) + 1, indexing="ij")
        xi, yi = xi[..., None], yi[..., None]
        px, py = xi + OFFSETS[:, 0], yi + OFFSETS[:, 1]
        legal = self._passable[px, py] & self.passable[..., None]
        legal &= ~DIAGONAL | self._passable[px, yi] | self._passable[xi, py]
        b_here, b_next = self._bank[xi, yi], self._bank[px, py]
        legal &= (b_here == 0) | (b_next == 0) | (b_next == b_here)
        self._legal = legal
        self._nb_crossing = self._crossing[px, py]
        self._nb_cost = np.where(legal, self._cost[px, py], np.inf)
        self._nb_road = self._road[px, py]
        kx = self.km_x[:, None]
        self._step_km = np.sqrt((OFFSETS[:, 0] * kx) ** 2 + (OFFSETS[:, 1] * self.km_y) ** 2)

    # ---- route fields ----------------------------------------------------------------------
    def _move_graph(self):
        """Sparse graph of all legal single-cell moves, weighted by km x terrain cost."""
        if self._graph is None:
            nx, ny = self.shape
            x, y = np.nonzero(self.passable)
            xi, yi = x + 1, y + 1
            src, dst, w = [], [], []
            for k, (dx, dy) in enumerate(OFFSETS):
                px, py = xi + dx, yi + dy
                ok = self._passable[px, py]
                if DIAGONAL[k]:
                    ok &= self._passable[px, yi] | self._passable[xi, py]
                bh, bn = self._bank[xi, yi], self._bank[px, py]
                ok &= (bh == 0) | (bn == 0) | (bh == bn)
                kx = self.km_x[y]
                km = np.sqrt((dx * kx) ** 2 + (dy * self.km_y) ** 2)
                cost = 0.5 * (self._cost[xi, yi] + self._cost[px, py]) * km
                src.append((x * ny + y)[ok])
                dst.append(((px - 1) * ny + (py - 1))[ok])
                w.append(cost[ok])
            src, dst, w = np.concatenate(src), np.concatenate(dst), np.concatenate(w)
            self._graph = coo_matrix((w, (src, dst)), shape=(nx * ny, nx * ny)).tocsr()
        return self._graph

    def route_field(self, gx: int, gy: int) -> np.ndarray:
        """Least-cost distance (km of open-desert going) from every cell to (gx, gy); (nx, ny)."""
        key = int(gx) * self.shape[1] + int(gy)
        found = self._routes.get(key)
        if found is not None:
            self._routes.move_to_end(key)
            return found
        dist = dijkstra(self._move_graph(), directed=True, indices=key, min_only=True)
        # the graph's edges point from a cell to its neighbour; distances *to* the goal come from
        # the transposed graph, which is the same here since costs are symmetric
        found = dist.reshape(self.shape).astype(np.float32)
        self._routes[key] = found
        if len(self._routes) > ROUTE_CACHE_SIZE:
            self._routes.popitem(last=False)
        return found

    @classmethod
    def from_layers(cls, layers: dict[str, np.ndarray], km_x: np.ndarray, km_y: float) -> Navigator:
        passable = layers["passable"].astype(bool)
        river = layers["river"].astype(bool) | layers["lake"].astype(bool)
        crossing = passable & layers["river"].astype(bool)
        land = passable & ~river
        bank, n_banks = ndimage.label(land, structure=ndimage.generate_binary_structure(2, 1))
        bank = bank.astype(np.int32)
        cxy = np.argwhere(crossing).astype(np.int32)
        padded = np.pad(bank, 1)
        touches = np.zeros((len(cxy), n_banks + 1), bool)
        for dx, dy in OFFSETS:
            touches[np.arange(len(cxy)), padded[cxy[:, 0] + 1 + dx, cxy[:, 1] + 1 + dy]] = True
        touches[:, 0] = False
        return cls(passable, crossing, bank, layers["move_cost"].astype(np.float64),
                   layers["road"].astype(bool), np.asarray(km_x, float), float(km_y), cxy,
                   touches)

    # ---------------------------------------------------------------------------------------
    @property
    def shape(self) -> tuple[int, int]:
        return self.passable.shape

    # ---- places on the grid ------------------------------------------------------------------
    def snap(self, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Clip to the grid and move squares agents cannot stand on to the nearest one they can
        (``open_ground``)."""
        if self._snap_index is None:
            _, (ix, iy) = ndimage.distance_transform_edt(~self.open_ground, return_indices=True)
            self._snap_index = (ix.astype(np.int32), iy.astype(np.int32))
        nx, ny = self.shape
        x = np.clip(x, 0, nx - 1)
        y = np.clip(y, 0, ny - 1)
        return self._snap_index[0][x, y], self._snap_index[1][x, y]

    def random_points_in_disc(self, cx, cy, radius_km, rng: np.random.Generator, size
                              ) -> tuple[np.ndarray, np.ndarray]:
        """Points spread uniformly over discs of ``radius_km`` around squares (cx, cy), snapped
        to open ground. ``size`` is the shape of the draw; cx, cy and radius_km broadcast to it
        (per-disc values as columns, e.g. ``cx[:, None]`` for several points per disc). Draws
        the radii, then the angles, from ``rng``."""
        r = radius_km * np.sqrt(rng.random(size))
        ang = rng.random(size) * 2 * np.pi
        gx = np.rint(cx + r * np.cos(ang) / self.km_x[cy]).astype(np.int32)
        gy = np.rint(cy + r * np.sin(ang) / self.km_y).astype(np.int32)
        return self.snap(gx, gy)

    def distance_matrix(self, x1, y1, x2, y2) -> np.ndarray:
        """(len(x1), len(x2)) distances in km between two sets of squares."""
        return self.distance_km(np.asarray(x1)[:, None], np.asarray(y1)[:, None],
                                np.asarray(x2)[None, :], np.asarray(y2)[None, :])

    def distance_km(self, x1, y1, x2, y2) -> np.ndarray:
        """Local flat-earth distance in km between cells (accurate over tens of km)."""
        rows = (np.asarray(y1) + np.asarray(y2)) // 2
        if rows.dtype.kind == "f":
            rows = rows.astype(np.intp)
        dx = (np.asarray(x1) - np.asarray(x2)) * self.km_x[rows]
        dy = (np.asarray(y1) - np.asarray(y2)) * self.km_y
        return np.sqrt(dx * dx + dy * dy)

    def waypoints(self, x: np.ndarray, y: np.ndarray, gx: np.ndarray, gy: np.ndarray
                  ) -> tuple[np.ndarray, np.ndarray]:
        """Where each agent should head now: its goal, or a crossing if the goal is across a
        river."""
        wx, wy = gx.copy(), gy.copy()
        b_here = self.bank[x, y]
        b_goal = self.bank[gx, gy]
        across = np.flatnonzero((b_here > 0) & (b_goal > 0) & (b_here != b_goal))
        if len(across) == 0 or len(self.crossings_xy) == 0:
            return wx, wy
        cx, cy = self.crossings_xy[:, 0], self.crossings_xy[:, 1]
        ok = self.crossing_banks[:, b_here[across]].T          # (agents, crossings)
        both = ok & self.crossing_banks[:, b_goal[across]].T
        cand = np.where(both.any(axis=1)[:, None], both, ok)
        ax, ay = x[across, None], y[across, None]
        detour = (self.distance_km(ax, ay, cx[None, :], cy[None, :])
                  + self.distance_km(cx[None, :], cy[None, :], gx[across, None], gy[across, None]))
        j = np.argmin(np.where(cand, detour, np.inf), axis=1)
        has = cand.any(axis=1)
        wx[across[has]], wy[across[has]] = cx[j[has]], cy[j[has]]
        return wx, wy

    def advance(self, x: np.ndarray, y: np.ndarray, gx: np.ndarray, gy: np.ndarray,
                budget_km: np.ndarray, road_factor: np.ndarray | float = 1.0,
                max_moves: int = 64, routed: np.ndarray | None = None
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Move every agent toward its goal until its budget (km of open-desert going) runs out.

        A move costs its length times the terrain cost of the cell entered (roads cap it at
        ``road_factor``). The first move of a call is made even if it costs more than the budget
        (it then uses the whole budget), so a river crossing is slow but never impossible.

        Each move goes to the legal neighbour nearest the agent's waypoint (greedy descent), or
        down the route field to its goal once greedy descent has left it stuck; an agent that
        cannot get nearer either way stops. Returns new x, y and the km actually travelled.
        Agents stop on crossing cells. ``routed`` (bool per agent, updated in place) carries the
        route-field mode over from one call to the next, so that an agent led out of a trap is
        not pulled back into it by greedy descent; the caller clears it when a goal changes.
        """
        x, y = x.astype(np.int32).copy(), y.astype(np.int32).copy()
        budget = np.asarray(budget_km, float).copy()
        road_factor = np.broadcast_to(np.asarray(road_factor, float), x.shape)
        travelled = np.zeros(len(x))
        if len(x) == 0:
            return x, y, travelled
        gx, gy = np.asarray(gx, np.int32), np.asarray(gy, np.int32)
        wx, wy = self.waypoints(x, y, gx, gy)
        ox, oy = OFFSETS[None, :, 0], OFFSETS[None, :, 1]
        ky = self.km_y
        full = np.ones(len(x), bool)      # no move made yet this call
        state = np.zeros(len(x), bool) if routed is None else routed
        routed = state.copy()   # following a route field to the goal
        active = np.flatnonzero((budget > 0) & ((x != gx) | (y != gy)))
        for _ in range(max_moves):
            if len(active) == 0:
                break
            xa, ya = x[active], y[active]
            px, py = xa[:, None] + ox, ya[:, None] + oy
            r = routed[active]
            twx, twy = wx[active], wy[active]
            # greedy movers enter a crossing only if it is their waypoint
            ok = self._legal[xa, ya] & (~self._nb_crossing[xa, ya] | r[:, None]
                                        | ((px == twx[:, None]) & (py == twy[:, None])))
            kx = self.km_x[ya]
            d_next = ((px - twx[:, None]) * kx[:, None]) ** 2 + ((py - twy[:, None]) * ky) ** 2
            d_now = ((xa - twx) * kx) ** 2 + ((ya - twy) * ky) ** 2
            if r.any():
                d_next, d_now = d_next.astype(float), d_now.astype(float)
                for k in np.flatnonzero(r):
                    j = active[k]
                    f = self.route_field(gx[j], gy[j])
                    legal = self._legal[xa[k], ya[k]]
                    d_next[k] = np.inf
                    d_next[k, legal] = f[px[k, legal], py[k, legal]]
                    d_now[k] = f[xa[k], ya[k]]
            d_next = np.where(ok, d_next, np.inf)
            best = np.argmin(d_next, axis=1)
            rows = np.arange(len(active))
            improves = d_next[rows, best] < d_now - 1e-9
            bx, by = px[rows, best], py[rows, best]
            step_km = self._step_km[ya, best]
            cost = self._nb_cost[xa, ya, best]
            cost = np.where(self._nb_road[xa, ya, best], np.minimum(cost, road_factor[active]),
                            cost) * step_km
            # a move dearer than what is left is still made if it is the step's first (a river
            # crossing or a climb can take a whole step, but never blocks an agent for ever)
            affordable = (cost <= budget[active] + 1e-9) | (full[active] & (budget[active] > 0))
            can = improves & affordable
            moved = active[can]
            x[moved], y[moved] = bx[can], by[can]
            budget[moved] = np.maximum(budget[moved] - cost[can], 0.0)
            full[moved] = False
            travelled[moved] += step_km[can]
            done = can & (self.crossing[bx, by] | ((bx == gx[active]) & (by == gy[active])))
            at_wp = can & (bx == twx) & (by == twy) & ~done
            # stuck greedy movers (no nearer neighbour, budget left) switch to the route field
            stuck = ~improves & affordable & ~r
            routed[active[stuck]] = True
            # a greedy mover at its waypoint (short of the goal) carries on toward the goal
            wx[active[at_wp]], wy[active[at_wp]] = gx[active[at_wp]], gy[active[at_wp]]
            active = active[(can & ~done) | stuck]
        if routed is not None:
            state[:] = routed & ((x != gx) | (y != gy))
        return x, y, travelled
