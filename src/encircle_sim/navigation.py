"""Moving many agents at once over the grid: rivers are barriers crossed only at crossings.

Every agent moves by single-cell steps to one of its 8 neighbours, all agents advanced together
with numpy. A step is legal when the target cell is passable (not lake, not river unless it is a
crossing), a diagonal step does not cut between two impassable cells, and it does not jump
between two *banks*. Banks are the 4-connected regions of land between rivers, so an agent
changes bank only by standing on a crossing cell; an agent that steps onto a crossing stops there
for the rest of the step (crossing a bridge or ford is a deliberate act, and the invariant "no
agent crosses a river except at a crossing" can then be checked step by step).

Agents whose goal lies on another bank head for the crossing that minimises the detour
(distance to the crossing plus from it to the goal).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import ndimage

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
    crossing_banks: list[set[int]]  # banks each crossing touches

    @classmethod
    def from_layers(cls, layers: dict[str, np.ndarray], km_x: np.ndarray, km_y: float) -> Navigator:
        passable = layers["passable"].astype(bool)
        river = layers["river"].astype(bool) | layers["lake"].astype(bool)
        crossing = passable & layers["river"].astype(bool)
        land = passable & ~river
        bank, _ = ndimage.label(land, structure=ndimage.generate_binary_structure(2, 1))
        bank = bank.astype(np.int32)
        cxy = np.argwhere(crossing).astype(np.int32)
        nx, ny = passable.shape
        touches = []
        for x, y in cxy:
            neigh = set()
            for dx, dy in OFFSETS:
                u, v = x + dx, y + dy
                if 0 <= u < nx and 0 <= v < ny and bank[u, v] > 0:
                    neigh.add(int(bank[u, v]))
            touches.append(neigh)
        return cls(passable, crossing, bank, layers["move_cost"].astype(np.float64),
                   layers["road"].astype(bool), np.asarray(km_x, float), float(km_y), cxy,
                   touches)

    # ---------------------------------------------------------------------------------------
    @property
    def shape(self) -> tuple[int, int]:
        return self.passable.shape

    def distance_km(self, x1, y1, x2, y2) -> np.ndarray:
        """Local flat-earth distance in km between cells (accurate over tens of km)."""
        rows = ((np.asarray(y1) + np.asarray(y2)) // 2).clip(0, len(self.km_x) - 1)
        dx = (np.asarray(x1) - np.asarray(x2)) * self.km_x[rows]
        dy = (np.asarray(y1) - np.asarray(y2)) * self.km_y
        return np.hypot(dx, dy)

    def waypoints(self, x: np.ndarray, y: np.ndarray, gx: np.ndarray, gy: np.ndarray
                  ) -> tuple[np.ndarray, np.ndarray]:
        """Where each agent should head now: its goal, or a crossing if the goal is across a river."""
        wx, wy = gx.copy(), gy.copy()
        b_here = self.bank[x, y]
        b_goal = self.bank[gx, gy]
        across = (b_here > 0) & (b_goal > 0) & (b_here != b_goal)
        if not across.any() or len(self.crossings_xy) == 0:
            return wx, wy
        cx, cy = self.crossings_xy[:, 0], self.crossings_xy[:, 1]
        for i in np.flatnonzero(across):
            here, goal = int(b_here[i]), int(b_goal[i])
            ok = np.fromiter((here in t for t in self.crossing_banks), bool, len(cx))
            if not ok.any():
                continue
            both = ok & np.fromiter((goal in t for t in self.crossing_banks), bool, len(cx))
            cand = both if both.any() else ok
            idx = np.flatnonzero(cand)
            detour = (self.distance_km(x[i], y[i], cx[idx], cy[idx])
                      + self.distance_km(cx[idx], cy[idx], gx[i], gy[i]))
            j = idx[int(np.argmin(detour))]
            wx[i], wy[i] = cx[j], cy[j]
        return wx, wy

    def step_cost_km(self, x: np.ndarray, y: np.ndarray, road_factor: np.ndarray | float
                     ) -> np.ndarray:
        """Effective km of open-desert going to enter cells (x, y)."""
        cost = self.move_cost[x, y]
        on_road = self.road[x, y]
        cost = np.where(on_road, np.minimum(cost, road_factor), cost)
        return cost

    def legal_moves(self, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Candidate neighbour coordinates (n, 8) and whether each move is legal."""
        nx, ny = self.shape
        cx = x[:, None] + OFFSETS[None, :, 0]
        cy = y[:, None] + OFFSETS[None, :, 1]
        inside = (cx >= 0) & (cx < nx) & (cy >= 0) & (cy < ny)
        cxc, cyc = cx.clip(0, nx - 1), cy.clip(0, ny - 1)
        ok = inside & self.passable[cxc, cyc]
        # no corner cutting between two impassable orthogonal cells
        ox = self.passable[cxc, y[:, None].repeat(8, 1)]
        oy = self.passable[x[:, None].repeat(8, 1), cyc]
        ok &= ~DIAGONAL[None, :] | ox | oy
        # no jump between banks: same bank, or to/from a crossing cell
        b_here = self.bank[x, y][:, None]
        b_next = self.bank[cxc, cyc]
        ok &= (b_here == 0) | (b_next == 0) | (b_next == b_here)
        return cxc, cyc, ok

    def advance(self, x: np.ndarray, y: np.ndarray, gx: np.ndarray, gy: np.ndarray,
                budget_km: np.ndarray, road_factor: np.ndarray | float = 1.0,
                max_moves: int = 64) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Move every agent toward its goal until its budget (km of open-desert going) runs out.

        Returns new x, y and the km actually travelled. Agents stop on crossing cells.
        """
        x, y = x.astype(np.int32).copy(), y.astype(np.int32).copy()
        budget = np.asarray(budget_km, float).copy()
        road_factor = np.broadcast_to(np.asarray(road_factor, float), x.shape)
        travelled = np.zeros(len(x))
        if len(x) == 0:
            return x, y, travelled
        wx, wy = self.waypoints(x, y, gx, gy)
        active = (budget > 0) & ((x != gx) | (y != gy))
        for _ in range(max_moves):
            idx = np.flatnonzero(active)
            if len(idx) == 0:
                break
            xi, yi = x[idx], y[idx]
            cx, cy, ok = self.legal_moves(xi, yi)
            # may enter a crossing only if it is the waypoint (or the goal)
            is_wp = (cx == wx[idx, None]) & (cy == wy[idx, None])
            ok &= ~self.crossing[cx, cy] | is_wp
            d_now = self.distance_km(xi, yi, wx[idx], wy[idx])
            d_next = self.distance_km(cx, cy, wx[idx, None], wy[idx, None])
            d_next = np.where(ok, d_next, np.inf)
            best = np.argmin(d_next, axis=1)
            rows = np.arange(len(idx))
            d_best = d_next[rows, best]
            improves = d_best < d_now - 1e-9
            bx, by = cx[rows, best], cy[rows, best]
            step_km = self.distance_km(xi, yi, bx, by)
            cost = step_km * self.step_cost_km(bx, by, road_factor[idx])
            can = improves & (cost <= budget[idx] + 1e-9)
            moved = idx[can]
            x[moved], y[moved] = bx[can], by[can]
            budget[moved] -= cost[can]
            travelled[moved] += step_km[can]
            stop = ~can | self.crossing[bx, by] | ((bx == wx[idx]) & (by == wy[idx]))
            active[idx[stop]] = False
        return x, y, travelled
