"""The operation plan: the area, its perimeter and cordon, the axes, the pocket, and the phases.

Geometry is kept as boolean masks over the grid. The *pocket* is the part of the operation area
not yet cleared. Searching units spread their effort over their patrol disc (the same effort that
detects cells, see ``engagement.py``); a cell whose accumulated coverage reaches
``clear_coverage`` is cleared and stays cleared, so the pocket can only shrink. The *cordon* is
the inner edge of the operation area;
stretches of it with no unit within ``cordon_radius_km`` are *gaps*. Insurgent cells escape by
leaving the operation area (through the cordon, or over the border where the area touches it).

Phases follow the plan of Victory Will: (1) sweep bands along the area's sides and seal the
border, (2) advance inward on the axes, (3) assault on all axes at once. A phase ends as
operations end: when its ground is swept (its sweep condition: the share of the perimeter band
cleared, or the pocket's remaining share of ground) and there has been no contact in its own
ground (the band in phase 1, the pocket in phases 2 and 3) for its ``quiet_days``; or when
the share of cells left falls to its ``cells_left_share``; or on its day limit. The end of the
last phase ends the campaign (the plan submodel also ends it when no cell is left). Each
phase's end and its reason are kept in ``phase_history``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum

import numpy as np
from scipy import ndimage
from shapely.geometry import LineString, Polygon

from encircle_sim.fields import Kernel
from encircle_sim.operation_kernels import add_coverage_clear, cordon_cover, largest_piece_centre
from encircle_sim.scenario import PhaseSpec, Scenario

#: The perimeter units' lane runs this share of the band's depth inside the area's edge.
LANE_DEPTH_SHARE = 0.5


class Phase(IntEnum):
    """Campaign phases; NONE when only the Syrian theatre runs."""

    NONE = 0
    PERIMETER = 1
    ADVANCE = 2
    ASSAULT = 3
    ENDED = 4


PHASE_LABELS = {
    Phase.NONE: "Syrian theatre only",
    Phase.PERIMETER: "Phase 1: clear the perimeter",
    Phase.ADVANCE: "Phase 2: advance inward",
    Phase.ASSAULT: "Phase 3: simultaneous assault",
    Phase.ENDED: "Campaign over",
}


class LocalKm:
    """A flat km frame around a reference point, for buffering and sampling lines."""

    def __init__(self, lat0: float, lon0: float):
        self.lat0, self.lon0 = lat0, lon0
        self.kx = 111.32 * np.cos(np.radians(lat0))
        self.ky = 111.2

    def to_km(self, lat, lon):
        return (np.asarray(lon) - self.lon0) * self.kx, (np.asarray(lat) - self.lat0) * self.ky

    def to_latlon(self, x, y):
        return self.lat0 + np.asarray(y) / self.ky, self.lon0 + np.asarray(x) / self.kx


def sample_line_cells(grid, line_latlon: np.ndarray, spacing_km: float, frame: LocalKm
                      ) -> np.ndarray:
    """Cells every ``spacing_km`` along a polyline, consecutive duplicates removed; (k, 2)."""
    xs, ys = frame.to_km(line_latlon[:, 0], line_latlon[:, 1])
    line = LineString(np.column_stack([xs, ys]))
    n = max(int(line.length / spacing_km), 1)
    pts = np.array([line.interpolate(d).coords[0] for d in np.linspace(0, line.length, n + 1)])
    lat, lon = frame.to_latlon(pts[:, 0], pts[:, 1])
    inside = grid.contains(lat, lon)
    ix, iy = grid.cell_of(lat[inside], lon[inside])
    cells = np.column_stack([ix, iy]).astype(np.int32)
    if len(cells) > 1:
        keep = np.ones(len(cells), bool)
        keep[1:] = np.any(cells[1:] != cells[:-1], axis=1)
        cells = cells[keep]
    return cells


def _neighbour_pairs(xy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Index pairs (i, j), i < j, of cells in ``xy`` that touch (8-neighbourhood)."""
    if len(xy) < 2:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    d = np.abs(xy[:, None, :] - xy[None, :, :]).max(axis=2)
    i, j = np.nonzero(np.triu(d == 1))
    return i, j


def _read_only(a: np.ndarray) -> np.ndarray:
    """A read-only view of ``a`` (``a`` itself, maybe the region's own array, stays as it is)."""
    v = a.view()
    v.setflags(write=False)
    return v


@dataclass(frozen=True)
class OperationGeometry:
    """The operation's geometry on one map: the area and its depth, the perimeter band, the
    cordon (squares, their neighbour pairs, their numbers on the grid, the covering disc), the
    exits, the perimeter lane. It depends on the map and the operation section only, never on
    the seed or the run, so one replication worker computes it once (:func:`operation_geometry`)
    and every campaign reads the same read-only arrays."""

    frame: LocalKm
    area: np.ndarray
    cell_area: np.ndarray
    depth_km: np.ndarray
    band: np.ndarray
    cordon_ring: np.ndarray
    exits: np.ndarray
    exit_xy: np.ndarray
    cordon_xy: np.ndarray
    cordon_edges: tuple[np.ndarray, np.ndarray]
    cordon_kernel: Kernel
    cordon_index: np.ndarray
    perimeter_lane: np.ndarray
    initial_area_km2: float
    band_cells: int
    area_cells: int
    km: tuple[float, float]


def operation_geometry(scenario: Scenario, grid, passable: np.ndarray) -> OperationGeometry:
    """The geometry of ``scenario``'s operation section on the map ``grid`` (the region) with
    ``passable``, kept per process (``build.GEOMETRY``: keyed by the identity of ``grid`` and
    ``passable`` and by every number of the scenario it reads)."""
    from encircle_sim.build import GEOMETRY  # build imports this module

    op = scenario.operation
    key = ("operation geometry", bool(scenario.theatres.iraq),
           tuple((float(loc.lat), float(loc.lon)) for loc in op.area),
           float(op.perimeter_band_km), float(op.cordon_radius_km), float(scenario.map.cell_km))
    return GEOMETRY.lookup((grid, passable), key,
                           lambda: _operation_geometry(scenario, grid, passable))


def _operation_geometry(scenario: Scenario, grid, passable: np.ndarray) -> OperationGeometry:
    op = scenario.operation
    active = scenario.theatres.iraq
    cell_km = scenario.map.cell_km
    ring = np.array([[loc.lat, loc.lon] for loc in op.area])
    frame = LocalKm(float(ring[:, 0].mean()), float(ring[:, 1].mean()))
    area = grid.polygon_mask(ring) & passable if active else np.zeros(passable.shape, bool)
    cell_area = np.asarray(grid.cell_area_km2, float)
    km_x = float(np.mean(grid.km_per_cell_x))
    km_y = float(grid.km_per_cell_y)
    if active and area.any():
        full = grid.polygon_mask(ring)
        depth = ndimage.distance_transform_edt(full, sampling=(km_x, km_y))
        depth_km = np.where(full, depth, 0.0)
    else:
        depth_km = np.zeros(passable.shape)
    band = area & (depth_km <= op.perimeter_band_km)
    dil = ndimage.binary_dilation(~area, structure=np.ones((3, 3), bool))
    cordon_ring = area & dil
    exits = (~area) & ndimage.binary_dilation(area, structure=np.ones((3, 3), bool)) & passable
    exit_xy = np.argwhere(exits).astype(np.int32)
    cordon_xy = np.argwhere(cordon_ring).astype(np.int32)
    edges = _neighbour_pairs(cordon_xy)
    disc = Kernel.disc(op.cordon_radius_km, km_x, km_y)
    cordon_index = np.full(passable.shape, -1, np.int64)
    cordon_index[cordon_xy[:, 0], cordon_xy[:, 1]] = np.arange(len(cordon_xy))

    # phase-1 sweep lanes: the midline of the perimeter band
    poly = Polygon(np.column_stack(frame.to_km(ring[:, 0], ring[:, 1])))
    if not poly.is_valid:
        poly = poly.buffer(0)
    inner = poly.buffer(-op.perimeter_band_km * LANE_DEPTH_SHARE)
    if inner.is_empty:
        inner = poly
    if inner.geom_type == "MultiPolygon":
        inner = max(inner.geoms, key=lambda g: g.area)
    lane = np.asarray(inner.exterior.coords)
    lat, lon = frame.to_latlon(lane[:, 0], lane[:, 1])
    cells = sample_line_cells(grid, np.column_stack([lat, lon]), cell_km, frame)
    perimeter_lane = cells[passable[cells[:, 0], cells[:, 1]]] if len(cells) else cells

    ro = _read_only
    return OperationGeometry(
        frame=frame, area=ro(area), cell_area=ro(cell_area), depth_km=ro(depth_km),
        band=ro(band), cordon_ring=ro(cordon_ring), exits=ro(exits), exit_xy=ro(exit_xy),
        cordon_xy=ro(cordon_xy), cordon_edges=(ro(edges[0]), ro(edges[1])),
        cordon_kernel=Kernel(ro(disc.dx), ro(disc.dy), ro(disc.weight)),
        cordon_index=ro(cordon_index), perimeter_lane=ro(perimeter_lane),
        initial_area_km2=float(cell_area[area].sum()), band_cells=int(band.sum()),
        area_cells=int(area.sum()), km=(km_x, km_y))


@dataclass
class Axis:
    """One axis of advance: a front point moving from start toward the objective."""

    name: str
    start: np.ndarray          # (2,) float cell coordinates
    objective: np.ndarray | None
    km_per_step: float
    front: np.ndarray = field(default=None)  # (2,) float
    fixed_objective: bool = False

    def __post_init__(self):
        self.front = self.start.astype(float).copy()
        self.fixed_objective = self.objective is not None


class OperationPlan:
    """Masks, sectors, axes and phase state of the Iraqi operation."""

    def __init__(self, scenario: Scenario, grid, passable: np.ndarray):
        self.scenario = scenario
        self.grid = grid
        self.active = scenario.theatres.iraq
        # the geometry (masks, cordon, lane: read-only, shared by the campaigns of one map and
        # operation section); only the pocket, its coverage and the phases are this plan's own
        g = operation_geometry(scenario, grid, passable)
        self.frame = g.frame
        self.area = g.area
        self.cell_area = g.cell_area
        self.cell_km = scenario.map.cell_km
        self.depth_km = g.depth_km
        self.band = g.band
        self.cordon_ring = g.cordon_ring
        self.exits = g.exits
        self.exit_xy = g.exit_xy
        self.cordon_xy = g.cordon_xy
        self._cordon_edges = g.cordon_edges
        self._cordon_kernel = g.cordon_kernel
        self._cordon_index = g.cordon_index  # number of each cordon square, -1 off the cordon
        self.perimeter_lane = g.perimeter_lane
        self.initial_area_km2 = g.initial_area_km2
        self.band_cells = g.band_cells
        self.pocket = self.area.copy()
        self.coverage = np.zeros(passable.shape)
        self._pocket_cells = g.area_cells
        self._centre: np.ndarray | None = None  # cache of pocket_centre() until the pocket shrinks
        self._area_km2: float | None = None  # cache of pocket_area_km2 until the pocket shrinks
        self._band_cleared = int((self.band & ~self.pocket).sum())  # kept by add_coverage

        self.axes: list[Axis] = []
        per_step_days = scenario.time.step_hours / 24.0
        for i, ax in enumerate(scenario.operation.axes):
            start = np.array(grid.cell_of(ax.start.lat, ax.start.lon), float)
            obj = (np.array(grid.cell_of(ax.objective.lat, ax.objective.lon), float)
                   if ax.objective is not None else None)
            name = ax.name or f"axis {i} from {ax.start.label}"
            self.axes.append(Axis(name, start, obj, ax.advance_km_per_day * per_step_days))

        self.phase = Phase.NONE
        self.phase_started_day = 0.0
        self.phase_history: list[tuple[int, float, Phase]] = []
        self.end_reasons: dict[Phase, str] = {}   # why each phase ended
        self.end_reason: str | None = None        # why the campaign ended (None while it runs)

        # the known border routes inside the map, as float square coordinates
        routes = [grid.cell_of(r.lat, r.lon) for r in scenario.border.routes
                  if grid.contains(r.lat, r.lon)]
        self.route_xy = np.array(routes, float).reshape(-1, 2)
        self._km = np.array(g.km)

    @property
    def km_per_square(self) -> tuple[float, float]:
        """(km east-west, on the grid's mean, km north-south) of one square."""
        return float(self._km[0]), float(self._km[1])

    # ---------------------------------------------------------------------------------------
    def add_coverage(self, coverage: np.ndarray) -> None:
        """Add one step's search coverage; cells reaching ``clear_coverage`` leave the pocket."""
        if not self.active:
            return
        before = self._pocket_cells
        # coverage += coverage; pocket &= coverage < clear_coverage; the counts (compiled)
        self._pocket_cells, self._band_cleared = add_coverage_clear(
            self.coverage, np.ascontiguousarray(coverage, float), self.pocket, self.band,
            float(self.scenario.operation.clear_coverage))
        if self._pocket_cells != before:  # the pocket only shrinks: same count, same pocket
            self._centre = self._area_km2 = None

    # ---------------------------------------------------------------------------------------
    @property
    def pocket_area_km2(self) -> float:
        if self._area_km2 is None:
            self._area_km2 = float(self.cell_area[self.pocket].sum())
        return self._area_km2

    @property
    def pocket_share(self) -> float:
        return self.pocket_area_km2 / self.initial_area_km2 if self.initial_area_km2 else 0.0

    @property
    def perimeter_cleared(self) -> float:
        if self.band_cells == 0:
            return 1.0
        return self._band_cleared / self.band_cells

    def pocket_centre(self) -> np.ndarray:
        """Centre of the largest remaining piece of the pocket, as float cell coordinates."""
        if self._centre is None:
            self._centre = self._largest_piece_centre()
        return self._centre.copy()

    def _largest_piece_centre(self) -> np.ndarray:
        if not self.pocket.any():
            return np.argwhere(self.area).mean(axis=0) if self.area.any() else np.zeros(2)
        # the 8-connected pieces, the largest (the first of equal ones), the mean of its squares:
        # compiled (operation_kernels.largest_piece_centre; ndimage.label, sum_labels and
        # argwhere(...).mean(axis=0) give the same, tests/test_operation_kernels.py)
        x, y, _ = largest_piece_centre(self.pocket)
        return np.array([x, y])

    def cordon_gaps(self, ux: np.ndarray, uy: np.ndarray, on: np.ndarray | None = None
                    ) -> tuple[int, float, np.ndarray]:
        """Gaps on the cordon line: (number of gap stretches, their length in km, covered mask).

        A cordon cell is covered when a unit stands within ``cordon_radius_km``; a gap is a
        stretch of 8-connected uncovered cordon cells. ``on``: which of the units (ux, uy) count
        (all if None). Compiled: ``operation_kernels.cordon_cover``.
        """
        n = len(self.cordon_xy)
        if n == 0:
            return 0, 0.0, np.zeros(0, bool)
        ux, uy = np.asarray(ux), np.asarray(uy)
        covered = np.empty(n, bool)
        k = self._cordon_kernel
        a, b = self._cordon_edges
        gaps, open_cells = cordon_cover(ux, uy, np.ones(len(ux), bool) if on is None else on,
                                        k.dx, k.dy, self._cordon_index, a, b, covered)
        return gaps, float(open_cells * self.cell_km), covered

    # ---------------------------------------------------------------------------------------
    def _spec(self, phase: Phase) -> PhaseSpec | None:
        ph = self.scenario.phases
        return {Phase.PERIMETER: ph.perimeter, Phase.ADVANCE: ph.advance,
                Phase.ASSAULT: ph.assault}.get(phase)

    def intensity(self) -> tuple[float, float]:
        """(search, engagement) multipliers of the current phase."""
        spec = self._spec(self.phase)
        return (spec.search_intensity, spec.engagement_intensity) if spec else (1.0, 1.0)

    def first_phase(self) -> Phase:
        if not self.active:
            return Phase.NONE
        for phase in (Phase.PERIMETER, Phase.ADVANCE, Phase.ASSAULT):
            if self._spec(phase).enabled:
                return phase
        return Phase.ENDED

    def start(self, step: int) -> None:
        self.enter(self.first_phase(), step, 0.0)

    def enter(self, phase: Phase, step: int, day: float) -> None:
        self.phase = phase
        self.phase_started_day = day
        self.phase_history.append((step, day, phase))
        if phase in (Phase.ADVANCE, Phase.ASSAULT):
            centre = self.pocket_centre()
            for ax in self.axes:
                if not ax.fixed_objective:
                    ax.objective = centre.copy()

    def on_route(self, xy: np.ndarray) -> np.ndarray:
        """Whether squares (k, 2) lie within border.route_km of a known crossing route."""
        if len(self.route_xy) == 0 or len(xy) == 0:
            return np.zeros(len(xy), bool)
        d = np.hypot(*((xy[:, None, :] - self.route_xy[None, :, :]) * self._km).transpose(2, 0, 1))
        return (d <= self.scenario.border.route_km).any(axis=1)

    def in_phase_ground(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """Whether squares lie in the current phase's own ground: the perimeter band in
        phase 1, the pocket (ground not yet cleared) in phases 2 and 3."""
        if self.phase == Phase.PERIMETER:
            return self.band[x, y]
        if self.phase in (Phase.ADVANCE, Phase.ASSAULT):
            return self.pocket[x, y]
        return np.zeros(np.shape(x), bool)

    def phase_end(self, day: float, cells_left_share: float, quiet_days: float) -> str | None:
        """Why the current phase ends now, or None if it goes on."""
        spec = self._spec(self.phase)
        if spec is None:
            return None
        if spec.cells_left_share is not None and cells_left_share <= spec.cells_left_share:
            return "cells left"
        swept = ((spec.perimeter_cleared is not None
                  and self.perimeter_cleared >= spec.perimeter_cleared)
                 or (spec.pocket_area_share is not None
                     and self.pocket_share <= spec.pocket_area_share))
        if swept and quiet_days >= spec.quiet_days - 1e-9:
            return "swept and quiet"
        if day >= spec.max_day - 1e-9:
            return "day limit"
        return None

    def next_phase(self) -> Phase:
        order = [Phase.PERIMETER, Phase.ADVANCE, Phase.ASSAULT]
        if self.phase not in order:
            return Phase.ENDED
        for phase in order[order.index(self.phase) + 1:]:
            if self._spec(phase).enabled:
                return phase
        return Phase.ENDED

    def advance_fronts(self, units_near_front: list[bool]) -> None:
        """Move each axis front toward its objective if its units have kept up."""
        if self.phase not in (Phase.ADVANCE, Phase.ASSAULT):
            return
        km_x, km_y = self._km.tolist()   # [mean km_x, km_y], as at build
        for ax, ready in zip(self.axes, units_near_front, strict=True):
            if not ready or ax.objective is None:
                continue
            # on Python floats: the same IEEE operations as on the (2,) arrays, a tenth the cost
            fx, fy = ax.front.tolist()
            dx, dy = (ax.objective - ax.front).tolist()
            dist = float(np.hypot(dx * km_x, dy * km_y))
            if dist < 1e-6:
                continue
            frac = min(1.0, ax.km_per_step / dist)
            ax.front = np.array([fx + frac * dx, fy + frac * dy])
