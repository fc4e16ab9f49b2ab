"""Compiled pieces of the courier graph (numba): links dropped, components, connectivity.

The rules are stated in ``networks.py``; these kernels carry them out link by link and cell by
cell instead of over whole arrays, with the same results (integers and booleans only;
tests/test_networks_kernels.py holds the numpy expressions they replace). Compiled once and
cached on disk (``cache=True``).
"""

from __future__ import annotations

import numba
import numpy as np


@numba.njit(cache=True)
def drop_links(a, b, alive, active, taken):
    """Links alive whose ends are not both active die (``alive`` cleared in place). Returns
    how many died with a taken end (cut by the forces) and whether any died."""
    cut, died = 0, False
    for e in range(len(a)):
        if alive[e] and not (active[a[e]] and active[b[e]]):
            alive[e] = False
            died = True
            if taken[a[e]] or taken[b[e]]:
                cut += 1
    return cut, died


@numba.njit(cache=True)
def added_links(a, b, alive, new_a, new_b):
    """The edge lists a-b (with their ``alive`` flags) with the links new_a[i]-new_b[i] added:
    no loops, each pair once (none already in a-b, alive or not), the smaller cell first, the
    new pairs in sorted order after the old ones. Returns the new (a, b, alive)."""
    if len(new_a) != len(new_b):
        raise ValueError("the links' two ends differ in number")
    # a pair as one sortable key: smaller cell x 2^32 + larger (cells < 2^31)
    keys = np.empty(len(new_a), np.int64)
    m = 0
    for i in range(len(new_a)):
        lo, hi = min(new_a[i], new_b[i]), max(new_a[i], new_b[i])
        if lo < 0 or hi >= 1 << 31:
            raise IndexError("a link to a cell index out of range")
        if lo != hi:
            keys[m] = lo << 32 | hi
            m += 1
    keys = np.sort(keys[:m])
    unique = 0
    for j in range(m):
        if j == 0 or keys[j] != keys[j - 1]:
            keys[unique] = keys[j]
            unique += 1
    keys = keys[:unique]
    # the new pairs already linked (each old pair looked up among the new ones)
    known = np.zeros(unique, np.bool_)
    if unique:
        for e in range(len(a)):
            key = a[e] << 32 | b[e]
            at = np.searchsorted(keys, key)
            if at < unique and keys[at] == key:
                known[at] = True
    n_old = len(a)
    out_a = np.empty(n_old + unique, np.int64)
    out_b = np.empty(n_old + unique, np.int64)
    out_alive = np.ones(n_old + unique, np.bool_)
    out_a[:n_old], out_b[:n_old], out_alive[:n_old] = a, b, alive
    k = n_old
    for j in range(unique):
        if not known[j]:
            out_a[k], out_b[k] = keys[j] >> 32, keys[j] & 0xFFFFFFFF
            k += 1
    return out_a[:k], out_b[:k], out_alive[:k]


@numba.njit(cache=True)
def find_root(parent, i):
    """Union-find: the root of node i, halving the path on the way (shared with
    operation_kernels)."""
    while parent[i] != i:
        parent[i] = parent[parent[i]]
        i = parent[i]
    return i


@numba.njit(cache=True)
def component_labels(n, a, b, alive):
    """Connected-component label of each of ``n`` nodes of the undirected graph of the edges
    a[e]-b[e] with alive[e]: the smallest node of its component (union-find, each union under
    the smaller root)."""
    parent = np.arange(n)
    for e in range(len(a)):
        if alive[e]:
            ra, rb = find_root(parent, a[e]), find_root(parent, b[e])
            if ra < rb:
                parent[rb] = ra
            elif rb < ra:
                parent[ra] = rb
    for i in range(n):
        parent[i] = find_root(parent, i)
    return parent


@numba.njit(cache=True)
def connected_cells(comp, hubs, active):
    """Active cells whose component (labels ``comp``, one of its nodes) holds an active hub."""
    n = len(comp)
    holds_hub = np.zeros(n, np.bool_)
    for i in range(n):
        if hubs[i] and active[i]:
            holds_hub[comp[i]] = True
    connected = np.empty(n, np.bool_)
    for i in range(n):
        connected[i] = holds_hub[comp[i]] and active[i]
    return connected


@numba.njit(cache=True)
def update_by_state(a, b, alive, state, n, active_of, taken_of, hubs, component, connected,
                    recompute):
    """A step of the courier graph from the cells' states: cell i is active if i < n and
    active_of[state[i]], taken (by the forces) if i < n and taken_of[state[i]]; links alive
    whose ends are not both active die (``drop_links``, ``alive`` cleared in place); the
    components (``component_labels`` over len(hubs) cells) are written into ``component`` if
    ``recompute`` or a link died, else kept; then ``connected_cells`` into ``connected``
    (``component`` and ``connected`` are len(hubs) long, updated in place: no arrays to hand
    back). Returns the links cut by the forces."""
    capacity = len(hubs)
    if len(component) != capacity or len(connected) != capacity:
        raise ValueError("component and connected must be as long as hubs")
    active = np.zeros(capacity, np.bool_)
    taken = np.zeros(capacity, np.bool_)
    for i in range(n):
        active[i] = active_of[state[i]]
        taken[i] = taken_of[state[i]]
    cut, died = drop_links(a, b, alive, active, taken)
    if recompute or died:
        component[:] = component_labels(capacity, a, b, alive)
    connected[:] = connected_cells(component, hubs, active)
    return cut
