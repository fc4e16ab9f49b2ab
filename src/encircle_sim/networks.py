"""The networks behind the cells: supply caches and the courier communication graph.

Supply: each cell carries supply (days). It is used up one day per day; a cell within
``resupply_km`` of an intact cache draws from it back up to its initial level, caches sharing
their stock in proportion to demand. Below ``low_supply_days`` a cell fights and moves worse; at
zero it loses fighters to desertion. Searching units find caches by the same random-search
hazard as cells (caches are dug in: high concealment) and destroy them.

Communication: an undirected graph over cells. Each pocket cell links to its ``comm_links``
nearest pocket cells within ``comm_radius_km``; sleeper cells in Syria link to their two nearest
sleepers; ``cross_border_links`` couriers join pocket hubs to sleepers. A link is *cut* when a
cell at either end is neutralised or captured. A cell is *connected* when its component of the
graph still holds an active hub (a leadership cell); only connected cells can coordinate an
escape through the weakest part of the cordon or call for retaliation, and a call reaches only
the sleepers in the caller's component.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from encircle_sim.state import CacheArrays


def resupply(caches: CacheArrays, cx: np.ndarray, cy: np.ndarray, supply: np.ndarray,
             full: np.ndarray, dist_km: np.ndarray, reach_km: float) -> np.ndarray:
    """Top up cells near intact caches; returns the new supply of those cells.

    ``dist_km`` is (cells, caches). Each cell draws from its nearest intact stocked cache within
    reach; a cache short of stock shares it in proportion to demand.
    """
    supply = supply.copy()
    if len(caches) == 0 or len(cx) == 0:
        return supply
    usable = caches.intact & (caches.stock > 0)
    d = np.where(usable[None, :], dist_km, np.inf)
    nearest = np.argmin(d, axis=1)
    ok = d[np.arange(len(cx)), nearest] <= reach_km
    demand = np.where(ok, np.maximum(full - supply, 0.0), 0.0)
    per_cache = np.bincount(nearest[ok], weights=demand[ok], minlength=len(caches))
    scale = np.ones(len(caches))
    short = per_cache > caches.stock
    scale[short] = caches.stock[short] / per_cache[short]
    got = demand * scale[nearest]
    supply += got
    caches.stock -= np.bincount(nearest, weights=got, minlength=len(caches))
    np.maximum(caches.stock, 0.0, out=caches.stock)
    return supply


def components(n: int, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Connected-component label of each of ``n`` nodes of the undirected graph with edges a-b.

    Min-label propagation with pointer jumping: every node takes the smallest label across its
    edges, then the label of its label, until nothing changes. A component's label is one of its
    nodes. For the few hundred nodes here this is several times faster than building a sparse
    matrix for ``scipy.sparse.csgraph.connected_components`` (which the tests compare it with).
    """
    comp = np.arange(n)
    if len(a) == 0:
        return comp
    while True:
        low = np.minimum(comp[a], comp[b])
        new = comp.copy()
        np.minimum.at(new, a, low)
        np.minimum.at(new, b, low)
        new = new[new]
        if np.array_equal(new, comp):
            return comp
        comp = new


class CommNetwork:
    """The courier graph: edge list with alive flags, components recomputed each step."""

    def __init__(self, capacity: int):
        self.capacity = capacity
        self.a = np.zeros(0, np.int64)
        self.b = np.zeros(0, np.int64)
        self.alive = np.zeros(0, bool)
        self.cut = 0
        self.component = np.arange(capacity)
        self.connected = np.zeros(capacity, bool)
        self._stale = True  # the edge set changed since components were last computed

    def add_edges(self, a: np.ndarray, b: np.ndarray) -> None:
        a, b = np.asarray(a, np.int64), np.asarray(b, np.int64)
        keep = a != b
        a, b = np.minimum(a[keep], b[keep]), np.maximum(a[keep], b[keep])
        pairs = np.unique(np.column_stack([a, b]), axis=0) if len(a) else np.zeros((0, 2), np.int64)
        if len(self.a):
            old = set(zip(self.a.tolist(), self.b.tolist(), strict=True))
            pairs = np.array([p for p in pairs.tolist() if tuple(p) not in old],
                             np.int64).reshape(-1, 2)
        self.a = np.concatenate([self.a, pairs[:, 0]])
        self.b = np.concatenate([self.b, pairs[:, 1]])
        self.alive = np.concatenate([self.alive, np.ones(len(pairs), bool)])
        self._stale = True

    def link_nearest(self, idx: np.ndarray, x: np.ndarray, y: np.ndarray, k: int, radius_km: float,
                     nav) -> None:
        """Link each of ``idx`` to its k nearest others within radius."""
        if len(idx) < 2 or k <= 0:
            return
        d = nav.distance_km(x[:, None], y[:, None], x[None, :], y[None, :])
        np.fill_diagonal(d, np.inf)
        kk = min(k, len(idx) - 1)
        nearest = np.argpartition(d, kk - 1, axis=1)[:, :kk]
        rows = np.repeat(np.arange(len(idx)), kk)
        cols = nearest.ravel()
        ok = d[rows, cols] <= radius_km
        self.add_edges(idx[rows[ok]], idx[cols[ok]])

    def update(self, active: np.ndarray, taken: np.ndarray, hubs: np.ndarray) -> int:
        """Drop links of inactive cells; count those cut by forces; recompute connectivity.

        ``active``/``taken``/``hubs`` are aligned with cell indices (taken = neutralised or
        captured). Returns the number of links cut this step.
        """
        n = len(active)
        newly_dead = self.alive & ~(active[self.a] & active[self.b])
        cut_now = int((newly_dead & (taken[self.a] | taken[self.b])).sum())
        self.cut += cut_now
        self.alive &= ~newly_dead
        if self._stale or newly_dead.any() or len(self.component) != n:
            self.component = components(n, self.a[self.alive], self.b[self.alive])
            self._stale = False
        comp = self.component                 # a component's label is one of its nodes
        holds_hub = np.zeros(n, bool)
        holds_hub[comp[hubs & active]] = True
        self.connected = holds_hub[comp] & active
        return cut_now

    def links_of(self, idx: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Alive links touching any of ``idx`` (for intelligence from captures)."""
        sel = np.isin(self.a, idx) | np.isin(self.b, idx)
        m = self.alive & sel
        return self.a[m], self.b[m]
