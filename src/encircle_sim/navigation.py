"""Moving many agents at once over the grid: rivers are barriers crossed only at crossings.

Every agent moves by single-cell steps to one of its 8 neighbours. Agents do not interact while
they move, so each moves as if alone: a loop compiled with numba (``navigation_kernels.py``)
carries out the rule below agent by agent, from tables precomputed here with numpy. A step is
legal when the target cell is passable (not lake, not river unless it is a crossing), a diagonal
step does not cut between two impassable cells, and it does not jump between two *banks*. Banks
are the 4-connected regions of land between rivers, so an agent changes bank only by standing on
a crossing cell; an agent that steps onto a crossing stops there for the rest of the step
(crossing a bridge or ford is a deliberate act, and the invariant "no agent crosses a river
except at a crossing" can then be checked step by step).

Agents whose goal lies on another bank head for the crossing that minimises the detour
(distance to the crossing plus from it to the goal). Each move goes to the legal neighbour nearest
the waypoint (greedy descent, cheap and right in open desert). An agent that greedy descent
leaves stuck (behind a lake, in a river bend) switches to a *route field* for the rest of the
step: the least-cost distance from every cell to its goal (Dijkstra over the same legal moves,
weighted by terrain cost), cached per goal cell (up to ``ROUTE_CACHE_SIZE``, the least recently
used given up first, in one array the compiled loop reads directly), down which it cannot get
stuck. A field is computed only as far from its goal as the agents waiting for it stand (plus
``ROUTE_FIELD_SLACK_KM`` and one move), and again further out when an agent needs more: the
agent reads the same figures as from a whole field (Dijkstra's distances within a bound do not
depend on the ground beyond it), for a fraction of the work.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field

import numpy as np
from scipy import ndimage
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components, dijkstra

from encircle_sim.navigation_kernels import (
    advance_agents,
    advance_rows,
    disc_squares,
    distance_matrix_km,
    distance_pairs_km,
    scatter_rows,
    snap_squares,
)

ROUTE_CACHE_SIZE = 512  # route fields kept per navigator (one float32 grid each)
#: A route field is first computed as far as the straight distance of the farthest agent
#: waiting for it plus this many km of detour (nine in ten agents stuck behind a lake or a river
#: bend in the default scenario stand 20-70 km of going further from their goal than in a
#: straight line; 110 needed the fewest searches per settled square); further out if that is
#: not enough.
ROUTE_FIELD_SLACK_KM = 110.0

# The 8 neighbour offsets, and whether each is diagonal.
OFFSETS = np.array([(1, 0), (-1, 0), (0, 1), (0, -1), (1, 1), (1, -1), (-1, 1), (-1, -1)],
                   dtype=np.int32)
DIAGONAL = np.array([False] * 4 + [True] * 4)
#: The 8 offsets and, last, (0, 0): the move loop measures a square's neighbours and the square.
OFFSETS_AND_STAY = np.vstack([OFFSETS, [(0, 0)]]).astype(np.intp)


def _index_type(v) -> np.ndarray:
    """``v`` as an array; integers as ``np.intp``."""
    v = np.asarray(v)
    return v.astype(np.intp, copy=False) if v.dtype.kind in "iu" else v


class _PaddedSteps(dict):
    """Flat offsets of the 8 neighbours and the square itself in a grid ``ny`` wide."""

    def __missing__(self, ny: int) -> np.ndarray:
        steps = OFFSETS_AND_STAY[:, 0] * ny + OFFSETS_AND_STAY[:, 1]
        self[ny] = steps
        return steps


PADDED_STEPS = _PaddedSteps()

#: Route-field slots a navigator starts with (doubled as needed, up to ROUTE_CACHE_SIZE).
ROUTE_SLOTS_FIRST = 16


def _kernel_array(a: np.ndarray) -> np.ndarray:
    """``a`` contiguous and writeable: the one memory layout the compiled loop is compiled for
    (another would make numba compile it again)."""
    if a.flags.c_contiguous and a.flags.writeable:   # (np.require costs several us a call)
        return a
    return np.require(a, requirements="CW")


def disc_draws(rng: np.random.Generator, size) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The draws of random points in discs (``Navigator.random_points_in_disc``, and the compiled
    loops that place such points from them: hunt goals, relocation and flight candidates):
    the radii's uniforms, then the angles' (x 2 pi; u x 2 is exact, so this is u x 2 x pi),
    returned as (u_radius, cos, sin), the cos and sin numpy's."""
    u_radius = rng.random(size)
    angle = rng.random(size)
    angle *= 2 * np.pi
    return u_radius, np.cos(angle), np.sin(angle)


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
        #: km_x of the row (y1 + y2) // 2 between two rows, by y1 + y2 (``distance_km``)
        self._km_x_between = self.km_x[np.arange(2 * ny - 1) // 2]
        kx = self.km_x[:, None]
        self._step_km = np.sqrt((OFFSETS[:, 0] * kx) ** 2 + (OFFSETS[:, 1] * self.km_y) ** 2)
        self._flat_tables()
        self._empty_route_cache()

    #: Tables derived from the others (rebuilt, not pickled: a checkpoint stays small).
    _DERIVED = ("_free", "_near_crossing", "_legal_flat", "_next_square", "_next_flat",
                "_move_cost", "_move_road", "_move_km", "_crossing_flat", "_to_crossing",
                "_kernel_tables", "_waypoint_flat", "_graph_reach", "_move_flat")

    def _flat_tables(self) -> None:
        """The move tables flat, indexed by square (x ny + y) or by move ((x ny + y) 8 + k),
        for the move loop: one gather per table and step of the loop."""
        nx, ny = self.shape
        legal = self._legal
        sx, sy = np.meshgrid(np.arange(nx), np.arange(ny), indexing="ij")
        nxt = (sx[..., None] + OFFSETS[:, 0]) * ny + sy[..., None] + OFFSETS[:, 1]
        self._free = (legal & ~self._nb_crossing).reshape(-1, 8)   # legal, not into a crossing
        self._near_crossing = (legal & self._nb_crossing).any(axis=2).ravel()
        self._legal_flat = legal.reshape(-1, 8)
        self._next_square = np.where(legal, nxt, -1).astype(np.intp).reshape(-1, 8)
        self._next_flat = self._next_square.ravel()
        self._move_cost = self._nb_cost.ravel()
        self._move_road = self._nb_road.ravel()
        self._move_km = np.broadcast_to(self._step_km, (nx, ny, 8)).ravel()
        self._crossing_flat = self.crossing.ravel()
        self._to_crossing = None   # see _crossing_km
        self._waypoint_flat = None   # see _waypoint_tables
        self._graph_reach = None   # see _route_field_to
        self._move_flat = None   # see _move_tables
        # the same tables as the compiled move loop takes them (``advance_agents``)
        self._kernel_tables = (
            *(_kernel_array(a) for a in (
                self._free.ravel(), self._near_crossing, self._legal_flat.ravel(),
                self._next_flat, self._move_cost, self._move_road, self._move_km,
                self._crossing_flat, np.asarray(self.km_x, np.float64))),
            float(self.km_y), int(ny), _kernel_array(PADDED_STEPS[ny + 2]))

    #: The route-field cache (pickled as ``_routes``: goal square -> padded field, least
    #: recently used first, and ``_route_reach``: goal square -> how far it is exact).
    _ROUTE_CACHE = ("_fields", "_route_slot", "_slot_goal", "_field_used", "_slot_reach",
                    "_clock")

    def __getstate__(self) -> dict:
        state = self.__dict__.copy()
        for name in self._DERIVED + self._ROUTE_CACHE:
            state.pop(name, None)
        state["_routes"] = OrderedDict(
            (int(self._slot_goal[k]), self._padded(k).copy())
            for k in np.argsort(self._field_used, kind="stable") if self._slot_goal[k] >= 0)
        state["_route_reach"] = {int(self._slot_goal[k]): float(self._slot_reach[k])
                                 for k in range(len(self._slot_goal)) if self._slot_goal[k] >= 0}
        return state

    def __setstate__(self, state: dict) -> None:
        state = dict(state)
        routes = state.pop("_routes", {})
        reach = state.pop("_route_reach", {})   # (earlier versions kept whole fields only)
        self.__dict__.update(state)
        if "_km_x_between" not in state:   # pickled by an earlier version
            self._km_x_between = self.km_x[np.arange(2 * self.shape[1] - 1) // 2]
        self._flat_tables()
        self._empty_route_cache()
        for key, found in routes.items():
            self._clock += 1   # the least recently used first
            if found.shape == self.shape:   # earlier versions kept them unpadded
                found = np.pad(found, 1, constant_values=np.inf)
            self._store_route_field(int(key), found, reach.get(int(key), np.inf))

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
        return self._padded_route_field(gx, gy)[1:-1, 1:-1].copy()

    def _padded_route_field(self, gx: int, gy: int) -> np.ndarray:
        """The route field to (gx, gy) with a border of inf all round (nx + 2, ny + 2), cached:
        the move loop reads the 8 neighbours of any square from it without bounds checks. A
        view of the cache, good until the next field is computed."""
        key = int(gx) * self.shape[1] + int(gy)
        self._fetch_route_fields(np.array([key]))
        return self._padded(self._route_slot[key])

    def _padded(self, slot: int) -> np.ndarray:
        nx, ny = self.shape
        return self._fields[slot].reshape(nx + 2, ny + 2)

    # The cache: one float32 array of slots (a padded field, flat, per row) that the move loop
    # indexes directly, the slot of each goal square (-1: none), the goal of each slot (-1:
    # free), when each slot was last read (``_clock``, counted up by every call of the move
    # loop, which stamps the fields it reads): the least recently used field gives way first;
    # and how far each field is exact (``_slot_reach``, km of going from its goal: a square
    # whose value is at most that has it and its neighbours' right; inf: everywhere).
    def _empty_route_cache(self) -> None:
        nx, ny = self.shape
        self._fields = np.zeros((ROUTE_SLOTS_FIRST, (nx + 2) * (ny + 2)), np.float32)
        self._route_slot = np.full(nx * ny, -1, np.intp)
        self._slot_goal = np.full(ROUTE_SLOTS_FIRST, -1, np.intp)
        self._field_used = np.zeros(ROUTE_SLOTS_FIRST, np.int64)
        self._slot_reach = np.full(ROUTE_SLOTS_FIRST, np.inf)
        self._clock = 0

    def _fetch_route_fields(self, goals: np.ndarray, squares: np.ndarray | None = None) -> None:
        """Make sure the route fields to goal squares ``goals`` are cached, each exact as far
        out as the agents waiting for it stand (the agent on square ``squares[i]`` waits for the
        field to ``goals[i]``; None: exact everywhere), as far as there is room: a field read
        since the clock last moved (in use) is not given up, so when more goals wait than the
        cache holds, the rest wait for the next call of the move loop."""
        self._clock += 1
        keys, which = np.unique(goals, return_inverse=True)
        slots = self._route_slot[keys]
        self._field_used[slots[slots >= 0]] = self._clock
        for i, key in enumerate(keys.tolist()):
            need = None if squares is None else squares[which == i]
            if slots[i] >= 0 and self._field_reaches(slots[i], need):
                continue
            if slots[i] < 0 and not self._free_slot_ready():
                return
            self._store_route_field(key, *self._route_field_to(key, need))

    def _field_reaches(self, slot: int, need: np.ndarray | None) -> bool:
        """Whether the field in ``slot`` is exact on squares ``need`` (None: everywhere), as the
        move loop checks it."""
        reach = self._slot_reach[slot]
        if need is None:
            return bool(reach == np.inf)
        ny = self.shape[1]
        values = self._fields[slot][(need // ny + 1) * (ny + 2) + need % ny + 1]
        return bool((values.astype(np.float64) <= reach).all())

    def _route_field_to(self, key: int, need: np.ndarray | None) -> tuple[np.ndarray, float]:
        """The route field to goal square ``key``, padded, exact on squares ``need`` and their
        neighbours (None: everywhere), and how far it is exact (``_slot_reach``).

        Dijkstra stopped at a bound (``limit``) gives every square within it the distance the
        whole search gives it (each is settled from squares nearer the goal) and inf beyond. A
        square whose legal neighbours all have a distance has them right too: the field is
        exact below the least distance of a square with a neighbour beyond the bound (at least
        ``limit - longest move``; inf if there is none: the whole field). The first bound: the
        farthest waiting agent's straight distance plus ``ROUTE_FIELD_SLACK_KM``; then what
        the waiting agents turned out to need (and a move and a km more), or twice the bound
        while some lie beyond it. A square the goal cannot be reached from (another part of the
        graph) is inf in any field: then the whole field, which says so."""
        graph = self._move_graph()
        if self._graph_reach is None:
            self._graph_reach = (float(graph.data.max(initial=0.0)) + 1.0,
                                 connected_components(graph, directed=True,
                                                      connection="strong")[1])
        margin, part = self._graph_reach
        ny = self.shape[1]
        limit = np.inf
        if need is not None and (part[need] == part[key]).all():
            straight = self.distance_km(need // ny, need % ny, key // ny, key % ny)
            limit = float(straight.max(initial=0.0)) + ROUTE_FIELD_SLACK_KM
        while True:
            # the graph's edges point from a cell to its neighbour; distances *to* the goal come
            # from the transposed graph, which is the same here since costs are symmetric
            dist = dijkstra(graph, directed=True, indices=key, min_only=True, limit=limit)
            field = dist.astype(np.float32)
            if limit == np.inf:
                reach = np.inf
                break
            reach = self._exact_below(field)
            got = field[need].astype(np.float64)
            if (got <= reach).all():
                break
            far = float(got.max())
            limit = far + margin + 1.0 if far < np.inf else 2 * limit
        return np.pad(field.reshape(self.shape), 1, constant_values=np.inf), reach

    def _exact_below(self, field: np.ndarray) -> float:
        """How far a route field cut short (flat, float32) is exact: the largest float64 below
        the least value of a square with a legal neighbour that has none (a neighbour of a
        square the goal is reached from is reached too: it lies beyond the bound); inf if there
        is no such square."""
        reached = np.flatnonzero(np.isfinite(field))
        nb = self._next_square[reached]                  # -1: not a legal move
        edge = ((nb >= 0) & np.isinf(field[nb])).any(axis=1)
        if not edge.any():
            return np.inf
        return float(np.nextafter(np.float64(field[reached[edge]].min()), -np.inf))

    def _free_slot_ready(self) -> bool:
        """A free slot, growing the cache up to ROUTE_CACHE_SIZE, else giving up the least
        recently used field unless it is in use; False if there is no room."""
        if (self._slot_goal < 0).any():
            return True
        size = len(self._slot_goal)
        if size < ROUTE_CACHE_SIZE:
            grown = min(2 * size, ROUTE_CACHE_SIZE)
            self._fields = np.concatenate(
                [self._fields, np.zeros((grown - size, self._fields.shape[1]), np.float32)])
            self._slot_goal = np.concatenate([self._slot_goal, np.full(grown - size, -1, np.intp)])
            self._field_used = np.concatenate([self._field_used,
                                               np.zeros(grown - size, np.int64)])
            self._slot_reach = np.concatenate([self._slot_reach, np.full(grown - size, np.inf)])
            return True
        oldest = int(np.argmin(self._field_used))
        if self._field_used[oldest] >= self._clock:
            return False
        self._route_slot[self._slot_goal[oldest]] = -1
        self._slot_goal[oldest] = -1
        return True

    def _store_route_field(self, key: int, padded: np.ndarray, reach: float = np.inf) -> None:
        """Put a padded route field (exact as far as ``reach``) into the cache as the most
        recently used."""
        slot = self._route_slot[key]
        if slot < 0:
            if not self._free_slot_ready():   # (only from __setstate__: nothing in use)
                return
            slot = int(np.flatnonzero(self._slot_goal < 0)[0])
        self._fields[slot] = padded.ravel()
        self._route_slot[key], self._slot_goal[slot] = slot, key
        self._field_used[slot] = self._clock
        self._slot_reach[slot] = reach

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
        ix, iy = self.snap_index()
        if (type(x) is np.ndarray and type(y) is np.ndarray and x.shape == y.shape
                and x.ndim > 0 and x.dtype.kind == y.dtype.kind == "i"):
            # the compiled loop, square by square
            out_x, out_y = np.empty(x.shape, np.intp), np.empty(x.shape, np.intp)
            snap_squares(x.ravel(), y.ravel(), ix, iy, out_x.reshape(-1), out_y.reshape(-1))
            return out_x, out_y
        nx, ny = self.shape
        # clipped to the grid (np.minimum/np.maximum: np.clip's per-call overhead is larger)
        sq = (np.minimum(np.maximum(x, 0), nx - 1).astype(np.intp) * ny
              + np.minimum(np.maximum(y, 0), ny - 1))
        return ix.ravel()[sq], iy.ravel()[sq]

    @property
    def km_x_between(self) -> np.ndarray:
        """km east-west per square on the row between two squares, by ``y1 + y2`` (what
        ``distance_km`` reads; compiled kernels take it with ``km_y``)."""
        return self._km_x_between

    def snap_index(self) -> tuple[np.ndarray, np.ndarray]:
        """(x, y) of the open-ground square nearest each square, (nx, ny) each (``snap``)."""
        if self._snap_index is None:
            _, (ix, iy) = ndimage.distance_transform_edt(~self.open_ground, return_indices=True)
            self._snap_index = (ix.astype(np.intp), iy.astype(np.intp))  # for fast lookups
        return self._snap_index

    def random_points_in_disc(self, cx, cy, radius_km, rng: np.random.Generator, size
                              ) -> tuple[np.ndarray, np.ndarray]:
        """Points spread uniformly over discs of ``radius_km`` around squares (cx, cy), snapped
        to open ground. ``size`` is the shape of the draw; cx, cy and radius_km broadcast to it
        (per-disc values as columns, e.g. ``cx[:, None]`` for several points per disc). Draws
        from ``rng`` as :func:`disc_draws` does."""
        u_radius, cos_angle, sin_angle = disc_draws(rng, size)
        rows = self._disc_rows(cx, cy, radius_km, u_radius.shape)
        if rows is not None:
            # the rest of the rule by one compiled loop (cos and sin stay numpy's)
            shape = u_radius.shape
            out_x, out_y = np.empty(shape, np.intp), np.empty(shape, np.intp)
            disc_squares(u_radius.ravel(), cos_angle.ravel(), sin_angle.ravel(),
                         shape[-1] if len(shape) == 2 else 1, *rows, self.km_x, self.km_y,
                         *self.snap_index(), out_x.ravel(), out_y.ravel())
            return out_x, out_y
        r = radius_km * np.sqrt(u_radius)
        gx = np.rint(cx + r * cos_angle / self.km_x[cy]).astype(np.int32)
        gy = np.rint(cy + r * sin_angle / self.km_y).astype(np.int32)
        return self.snap(gx, gy)

    def _disc_rows(self, cx, cy, radius_km, shape: tuple) -> tuple | None:
        """(cx, cy, radius_km) as ``disc_squares`` takes them (1-d, per row of the draw or of
        length 1) where the draw is 1-d (n,) with per-point values, or 2-d (n, k) with values
        per row as columns (n, 1); None otherwise (numpy then does it)."""
        if len(shape) not in (1, 2) or 0 in shape:
            return None
        n = shape[0]
        if (len(shape) == 1 and type(cx) is type(cy) is type(radius_km) is np.ndarray
                and cx.dtype.kind == cy.dtype.kind == "i" and radius_km.dtype == np.float64
                and cx.shape == cy.shape == radius_km.shape == shape
                and cx.flags.c_contiguous and cy.flags.c_contiguous
                and radius_km.flags.c_contiguous):
            return cx, cy, radius_km     # per point, as the kernel takes them
        out = []
        for v, kind in ((cx, "i"), (cy, "i"), (radius_km, "if")):
            if type(v) is np.ndarray:
                if v.dtype.kind not in kind:
                    return None
                if len(shape) == 2:
                    if v.ndim == 2 and v.shape[1] == 1 and v.shape[0] in (n, 1):
                        v = v[:, 0]
                    elif v.ndim != 0:
                        return None
                if v.ndim == 0:
                    v = v.reshape(1)
                if v.ndim != 1 or len(v) not in (n, 1):
                    return None
            elif isinstance(v, (int, np.integer)) and type(v) is not bool:
                v = np.array([v])
            elif "f" in kind and isinstance(v, (float, np.floating)):
                v = np.array([v])
            else:
                return None
            out.append(v.astype(np.float64 if "f" in kind else np.intp, copy=False))
        return tuple(_kernel_array(v) for v in out)

    def distance_matrix(self, x1, y1, x2, y2) -> np.ndarray:
        """(len(x1), len(x2)) distances in km between two sets of squares."""
        x1, y1, x2, y2 = (np.asarray(a) for a in (x1, y1, x2, y2))
        if (x1.dtype.kind == y1.dtype.kind == x2.dtype.kind == y2.dtype.kind == "i"
                and x1.ndim == y1.ndim == x2.ndim == y2.ndim == 1 and len(x1) == len(y1)
                and len(x2) == len(y2)):
            # the compiled loop: the same figures without numpy's temporary matrices
            out = np.empty((len(x1), len(x2)))
            if distance_matrix_km(*(a.astype(np.intp, copy=False) for a in (x1, y1, x2, y2)),
                                  self._km_x_between, self.km_y, out):
                return out
        return self.distance_km(x1[:, None], y1[:, None], x2[None, :], y2[None, :])

    def distance_km(self, x1, y1, x2, y2) -> np.ndarray:
        """Local flat-earth distance in km between cells (accurate over tens of km)."""
        compiled = self._distance_compiled(x1, y1, x2, y2)
        if compiled is not None:
            return compiled
        # rows as np.intp: indexing with other integer types converts the whole index first
        y1, y2 = _index_type(y1), _index_type(y2)
        rows = y1 + y2                    # the row between them: (y1 + y2) // 2
        if rows.dtype.kind == "f":
            rows = np.floor(rows).astype(np.intp)
        dx = (np.asarray(x1) - np.asarray(x2)) * self._km_x_between[rows]
        dy = (y1 - y2) * self.km_y
        if not isinstance(dx, np.ndarray):
            return np.sqrt(dx * dx + dy * dy)
        dx *= dx                          # in place: the matrices are large, the same sums
        dx += dy * dy
        return np.sqrt(dx, out=dx)

    def _distance_compiled(self, x1, y1, x2, y2) -> np.ndarray | None:
        """``distance_km`` by a compiled loop where the arguments are integers in the common
        shapes (1-d arrays of one length, or of length 1, or integer scalars, at least one an
        array; an outer product, (n, 1) with (1, m) or the other way round: the same figures,
        as squares do not mind the sign of a difference), None otherwise (numpy then does it)."""
        args = [x1, y1, x2, y2]
        ndim, scalars = None, False
        for i, a in enumerate(args):
            if type(a) is np.ndarray:
                if a.dtype.kind != "i" or (ndim is not None and a.ndim != ndim):
                    return None
                ndim = a.ndim
                if a.dtype != np.intp:
                    args[i] = a.astype(np.intp)
                elif not a.flags.c_contiguous:
                    args[i] = np.ascontiguousarray(a)
            elif isinstance(a, (int, np.integer)) and type(a) is not bool:
                args[i] = np.array([a], np.intp)   # broadcast like a 1-d array of length 1
                scalars = True
            else:
                return None
        if scalars and ndim != 1:
            return None
        if ndim == 1:
            n = max(len(a) for a in args)
            for a in args:
                if len(a) != n and len(a) != 1:
                    return None
            out = np.empty(n)
            ok = distance_pairs_km(*args, self._km_x_between, self.km_y, out)
        elif ndim == 2:
            s1, s2 = args[0].shape, args[2].shape
            if args[1].shape != s1 or args[3].shape != s2 or 0 in s1 or 0 in s2:
                return None
            if s1[1] == 1 and s2[0] == 1:        # (n, 1) with (1, m)
                pts = args
            elif s1[0] == 1 and s2[1] == 1:      # (1, m) with (n, 1)
                pts = args[2:] + args[:2]
            else:
                return None
            pts = [a.ravel() for a in pts]
            out = np.empty((len(pts[0]), len(pts[2])))
            ok = distance_matrix_km(*pts, self._km_x_between, self.km_y, out)
        else:
            return None
        return out if ok else None

    def waypoints(self, x: np.ndarray, y: np.ndarray, gx: np.ndarray, gy: np.ndarray
                  ) -> tuple[np.ndarray, np.ndarray]:
        """Where each agent should head now: its goal, or a crossing if the goal is across a
        river."""
        wx, wy = gx.copy(), gy.copy()
        b_here = self.bank[x, y]
        b_goal = self.bank[gx, gy]
        across = ((b_here > 0) & (b_goal > 0) & (b_here != b_goal)).nonzero()[0]
        if len(across) == 0 or len(self.crossings_xy) == 0:
            return wx, wy
        cx, cy = self.crossings_xy[:, 0], self.crossings_xy[:, 1]
        ok = self.crossing_banks[:, b_here[across]].T          # (agents, crossings)
        both = ok & self.crossing_banks[:, b_goal[across]].T
        cand = np.where(both.any(axis=1)[:, None], both, ok)
        ny = self.shape[1]
        to_crossing = self._crossing_km()
        detour = (to_crossing[x[across].astype(np.intp) * ny + y[across]]
                  + to_crossing[gx[across].astype(np.intp) * ny + gy[across]])
        j = np.argmin(np.where(cand, detour, np.inf), axis=1)
        has = cand.any(axis=1)
        wx[across[has]], wy[across[has]] = cx[j[has]], cy[j[has]]
        return wx, wy

    def _crossing_km(self) -> np.ndarray:
        """``distance_km`` from every square (x ny + y) to every crossing; (squares, crossings),
        computed once per navigator (waypoints read it on every move)."""
        if self._to_crossing is None:
            nx, ny = self.shape
            sx, sy = np.divmod(np.arange(nx * ny), ny)
            self._to_crossing = self.distance_km(sx[:, None], sy[:, None],
                                                 self.crossings_xy[None, :, 0],
                                                 self.crossings_xy[None, :, 1])
        return self._to_crossing

    def _waypoint_tables(self) -> tuple:
        """What the move loop needs to choose waypoints (as ``waypoints`` does): bank by
        square, the banks each crossing touches, the crossings' squares, ``_crossing_km``."""
        if self._waypoint_flat is None:
            ny = self.shape[1]
            self._waypoint_flat = tuple(_kernel_array(a) for a in (
                self.bank.ravel().astype(np.intp), self.crossing_banks,
                self.crossings_xy[:, 0].astype(np.intp) * ny + self.crossings_xy[:, 1],
                self._crossing_km()))
        return self._waypoint_flat

    def _move_tables(self) -> tuple:
        """``_waypoint_tables`` and ``_kernel_tables``: the move loop's tables, in its order."""
        if self._move_flat is None:
            self._move_flat = (*self._waypoint_tables(), *self._kernel_tables)
        return self._move_flat

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
        x, y = x.astype(np.int32), y.astype(np.int32)   # copies: the results
        n = len(x)
        travelled = np.zeros(n)
        if n == 0:
            return x, y, travelled
        gx, gy = _kernel_array(np.asarray(gx, np.int32)), _kernel_array(np.asarray(gy, np.int32))
        left = np.array(budget_km, np.float64)           # a copy: the caller's budget is kept
        road = _kernel_array(np.asarray(road_factor, np.float64).reshape(-1))   # (n,) or (1,)
        if routed is None:
            state = np.zeros(n, bool)
        elif routed.dtype == bool and routed.flags.c_contiguous and routed.flags.writeable:
            state = routed
        else:
            state = routed.astype(bool)
        # the moving agents' progress while some wait for a route field (Dijkstra, in Python):
        # the move number, square and waypoint each is at
        at = np.empty((3, n), np.intp)
        resume = False
        while True:
            self._clock += 1
            paused = advance_agents(x, y, gx, gy, left, road, state, travelled, resume, at,
                                    self._route_slot, self._fields, self._field_used,
                                    self._slot_reach, self._clock, *self._move_tables(),
                                    max_moves)
            if paused == 0:
                break
            waiting = at[0] >= 0
            self._fetch_route_fields(gx[waiting].astype(np.intp) * self.shape[1] + gy[waiting],
                                     at[1][waiting])
            resume = True
        if routed is not None and state is not routed:
            routed[...] = state
        return x, y, travelled

    def advance_rows(self, idx: np.ndarray, table_x: np.ndarray, table_y: np.ndarray,
                     table_routed: np.ndarray, route_x: np.ndarray, route_y: np.ndarray,
                     gx: np.ndarray, gy: np.ndarray, budget_km: np.ndarray,
                     road_factor: np.ndarray | float = 1.0, max_moves: int = 64
                     ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``advance`` for the rows ``idx`` of an agent table (x, y, and the route-field mode
        with the goal it was set for): an agent keeps its mode while its goal stays the same.
        ``table_routed``, ``route_x`` and ``route_y`` are updated in place (to the mode after
        the move and the goals ``gx``, ``gy``); returns the rows' new x, y and km travelled.
        One compiled call gathers the rows, moves them and writes the mode back."""
        n = len(idx)
        x, y = np.empty(n, np.int32), np.empty(n, np.int32)
        travelled = np.zeros(n)
        if n == 0:
            return x, y, travelled
        idx = _kernel_array(np.asarray(idx, np.intp))
        gx, gy = _kernel_array(np.asarray(gx, np.int32)), _kernel_array(np.asarray(gy, np.int32))
        left = np.array(budget_km, np.float64)           # a copy: the caller's budget is kept
        road = _kernel_array(np.asarray(road_factor, np.float64).reshape(-1))   # (n,) or (1,)
        state = np.empty(n, bool)
        at = np.empty((3, n), np.intp)
        self._clock += 1
        paused = advance_rows(idx, table_x, table_y, table_routed, route_x, route_y, gx, gy, left,
                              road, x, y, state, travelled, at, self._route_slot, self._fields,
                              self._field_used, self._slot_reach, self._clock,
                              *self._move_tables(), max_moves)
        if paused:
            while paused:   # (as in ``advance``)
                waiting = at[0] >= 0
                self._fetch_route_fields(gx[waiting].astype(np.intp) * self.shape[1]
                                         + gy[waiting], at[1][waiting])
                self._clock += 1
                paused = advance_agents(x, y, gx, gy, left, road, state, travelled, True, at,
                                        self._route_slot, self._fields, self._field_used,
                                        self._slot_reach, self._clock, *self._move_tables(),
                                        max_moves)
            scatter_rows(idx, state, gx, gy, table_routed, route_x, route_y)
        return x, y, travelled
