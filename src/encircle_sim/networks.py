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

import numpy as np

from encircle_sim.networks_kernels import (
    added_links,
    component_labels,
    connected_cells,
    drop_links,
    update_by_state,
)


def components(n: int, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Connected-component label of each of ``n`` nodes of the undirected graph with edges a-b:
    the smallest node of its component (compiled union-find, ``networks_kernels``; the tests
    compare it with ``scipy.sparse.csgraph.connected_components`` and with min-label
    propagation)."""
    a, b = np.asarray(a, np.int64), np.asarray(b, np.int64)
    return component_labels(n, a, b, np.ones(len(a), bool))


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
        """Link a[i]-b[i] (no loops; each pair once, the smaller cell first, new pairs in
        sorted order after the old ones; compiled: ``networks_kernels.added_links``)."""
        self.a, self.b, self.alive = added_links(
            self.a, self.b, self.alive, np.asarray(a, np.int64), np.asarray(b, np.int64))
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
        cut_now, died = drop_links(self.a, self.b, self.alive, active, taken)
        self.cut += cut_now
        if self._stale or died or len(self.component) != n:
            self.component = component_labels(n, self.a, self.b, self.alive)
            self._stale = False
        # a component's label is one of its nodes: cells whose component holds an active hub
        self.connected = connected_cells(self.component, hubs, active)
        return cut_now

    def update_states(self, state: np.ndarray, n: int, hubs: np.ndarray,
                      active_of: np.ndarray, taken_of: np.ndarray) -> int:
        """``update`` with the flags read from the cells' states, in one compiled call
        (``networks_kernels.update_by_state``; ``component`` and ``connected`` are written in
        place, new arrays only when the cell table grew): ``state`` of the first ``n`` cells
        (those in the table), ``hubs`` padded to the table's capacity; a cell in state s is
        active if ``active_of[s]``, taken by the forces if ``taken_of[s]``."""
        capacity = len(hubs)
        recompute = self._stale
        if len(self.component) != capacity:     # the cell table grew
            self.component = np.zeros(capacity, np.int64)
            recompute = True
        if len(self.connected) != capacity:
            self.connected = np.zeros(capacity, bool)
        cut_now = update_by_state(self.a, self.b, self.alive, state, n, active_of, taken_of,
                                  hubs, self.component, self.connected, recompute)
        self._stale = False
        self.cut += cut_now
        return cut_now
