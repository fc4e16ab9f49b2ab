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
    crossing_banks: np.ndarray  # bool (k, banks + 1): which banks each crossing touches

    def __post_init__(self):
        # Padded copies (one cell of impassable ground all round) let the move loop index the 8
        # neighbours of any cell without bounds checks.
        self._passable = np.pad(self.passable, 1, constant_values=False)
        self._crossing = np.pad(self.crossing, 1, constant_values=False)
        self._bank = np.pad(self.bank, 1, constant_values=-1)
        self._cost = np.pad(self.move_cost, 1, constant_values=np.inf)
        self._road = np.pad(self.road, 1, constant_values=False)

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
        """Where each agent should head now: its goal, or a crossing if the goal is across a river."""
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
                max_moves: int = 64) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Move every agent toward its goal until its budget (km of open-desert going) runs out.

        Each move goes to the legal neighbour nearest the agent's waypoint (greedy descent);
        an agent that cannot get nearer stops. Returns new x, y and the km actually travelled.
        Agents stop on crossing cells.
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
        active = np.flatnonzero((budget > 0) & ((x != wx) | (y != wy)))
        for _ in range(max_moves):
            if len(active) == 0:
                break
            xi, yi = x[active] + 1, y[active] + 1          # padded coordinates
            px, py = xi[:, None] + ox, yi[:, None] + oy
            ok = self._passable[px, py]
            # no corner cutting between two impassable orthogonal cells
            ok &= ~DIAGONAL | self._passable[px, yi[:, None]] | self._passable[xi[:, None], py]
            # no jump between banks: same bank, or to/from a crossing cell
            b_here = self._bank[xi, yi][:, None]
            b_next = self._bank[px, py]
            ok &= (b_here == 0) | (b_next == 0) | (b_next == b_here)
            # enter a crossing only if it is the waypoint
            twx, twy = wx[active, None] + 1, wy[active, None] + 1
            ok &= ~self._crossing[px, py] | ((px == twx) & (py == twy))
            kx = self.km_x[yi - 1][:, None]
            d_next = np.where(ok, ((px - twx) * kx) ** 2 + ((py - twy) * ky) ** 2, np.inf)
            best = np.argmin(d_next, axis=1)
            rows = np.arange(len(active))
            kx = kx[:, 0]
            d_now = ((xi - twx[:, 0]) * kx) ** 2 + ((yi - twy[:, 0]) * ky) ** 2
            improves = d_next[rows, best] < d_now - 1e-9
            bx, by = px[rows, best], py[rows, best]
            step_km = np.where(DIAGONAL[best], np.sqrt(kx * kx + ky * ky),
                               np.where(best < 2, kx, ky))
            cost = self._cost[bx, by]
            cost = np.where(self._road[bx, by], np.minimum(cost, road_factor[active]), cost)
            cost = step_km * cost
            can = improves & (cost <= budget[active] + 1e-9)
            moved = active[can]
            x[moved], y[moved] = bx[can] - 1, by[can] - 1
            budget[moved] -= cost[can]
            travelled[moved] += step_km[can]
            stop = ~can | self._crossing[bx, by] | ((bx == twx[:, 0]) & (by == twy[:, 0]))
            active = active[~stop]
        return x, y, travelled
