"""The geo-referenced grid: the bundled region rasterised into numpy layers and a Mesa grid.

The grid is regular in latitude and longitude over the map window. Its rows are ``dlat`` apart
and its columns ``dlon`` apart, chosen so that a cell is about ``cell_km`` on a side at the
window's middle latitude and the cells fill the window exactly. A cell is addressed ``(x, y)``:
``x`` is the column counted eastward from the western edge, ``y`` the row counted northward from
the southern edge; every layer is a numpy array of shape ``(nx, ny)``, the layout of Mesa's
``OrthogonalMooreGrid`` and its property layers. Distances are in km on a sphere of radius
6371 km: a row's cells are ``dlon x 111.195 x cos(lat)`` km wide, so they are correct for latitude.

Terrain is derived from the data by rules (documented in ``docs/ODD.md``), in this order of
precedence: lake (cell centre inside a lake), river (cells the river line passes through, kept
4-connected so that a river is a closed barrier), urban (within a town's built-up radius),
cultivated valley (within ``CULTIVATED_KM`` of a river), wadi (cells a wadi line passes
through), rough ground (within ``ROUGH_FLANK_KM`` of a wadi, or inside a named upland), open
desert (everything else).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from enum import IntEnum

import numpy as np
import shapely
from shapely.geometry import LineString, MultiLineString, Polygon

from encircle_sim.geography.gazetteer import Region, great_circle_km, load_region

KM_PER_DEG = 6371.0 * np.pi / 180.0  # 111.195 km per degree of latitude on the sphere

# Terrain rules (see the module docstring); all in km.
CULTIVATED_KM = 5.0     # irrigated strip each side of the Euphrates, Tigris and Khabur
ROUGH_FLANK_KM = 8.0    # broken, incised ground each side of a wadi's bed
URBAN_DENSITY = 6000.0  # persons per km2 of a town's built-up area (sets its radius)
CROSSING_KM = 4.0       # a river cell this close to a town (small_town or larger) has a bridge
# Rural population density by terrain, persons per km2 (orders of magnitude, assumed).
RURAL_DENSITY = {"open": 0.5, "rough": 0.3, "wadi": 1.0, "river": 40.0, "lake": 0.0,
                 "urban": 0.0, "cultivated": 40.0}
# Representative population of each class of the gazetteer (geometric middle of its range).
POPULATION_BY_CLASS = {"metropolis": 1_500_000, "city": 400_000, "town": 75_000,
                       "small_town": 12_000, "village": 2_500, "none": 0}
BRIDGE_CLASSES = ("metropolis", "city", "town", "small_town")

COUNTRY_OTHER, COUNTRY_IRAQ, COUNTRY_SYRIA = 0, 1, 2

#: How the country outlines are assembled from the border lines: (line name, reversed), then
#: closing corners well outside any map window.
_COUNTRY_OUTLINES = {
    COUNTRY_IRAQ: ([("Iraq-Jordan border", True), ("Iraq-Syria border", False),
                    ("Iraq-Turkey border", False)], [(31.0, 44.8), (31.0, 39.3)]),
    COUNTRY_SYRIA: ([("Jordan-Syria border", False), ("Iraq-Syria border", False),
                     ("Syria-Turkey border", True)], [(36.68, 37.5)]),
}


class Terrain(IntEnum):
    """Terrain classes of the ``terrain`` layer."""

    OPEN = 0
    ROUGH = 1
    WADI = 2
    RIVER = 3
    LAKE = 4
    URBAN = 5
    CULTIVATED = 6


@dataclass(frozen=True, order=True)
class TerrainProperties:
    """What a terrain class does to movement and detection."""

    move_cost: float    # time to cross 1 km, relative to open desert
    concealment: float  # share of detection effort the terrain defeats, 0-1


DEFAULT_TERRAIN = {
    Terrain.OPEN: TerrainProperties(1.0, 0.15), Terrain.ROUGH: TerrainProperties(2.5, 0.70),
    Terrain.WADI: TerrainProperties(1.8, 0.60), Terrain.RIVER: TerrainProperties(8.0, 0.40),
    Terrain.LAKE: TerrainProperties(50.0, 0.0), Terrain.URBAN: TerrainProperties(1.5, 0.55),
    Terrain.CULTIVATED: TerrainProperties(1.4, 0.45),
}


@dataclass(frozen=True)
class MapWindow:
    """The map's edges in degrees and the wanted cell size in km."""

    south: float
    north: float
    west: float
    east: float
    cell_km: float = 5.0


# ------------------------------------------------------------------------------------------------
# Rasterising helpers
# ------------------------------------------------------------------------------------------------


def _densify(coords: np.ndarray, step_deg: float) -> np.ndarray:
    """Points along a [lat, lon] polyline no more than ``step_deg`` apart."""
    out = [coords[:1]]
    for a, b in zip(coords[:-1], coords[1:], strict=True):
        n = max(int(np.ceil(np.max(np.abs(b - a)) / step_deg)), 1)
        t = np.linspace(0.0, 1.0, n + 1)[1:, None]
        out.append(a + t * (b - a))
    return np.concatenate(out)


def _four_connected(cells: np.ndarray) -> np.ndarray:
    """Insert a cell between diagonal neighbours so that the chain of cells is 4-connected."""
    if len(cells) < 2:
        return cells
    out = [cells[0]]
    for a, b in zip(cells[:-1], cells[1:], strict=True):
        if abs(b[0] - a[0]) == 1 and abs(b[1] - a[1]) == 1:
            out.append(np.array([b[0], a[1]]))
        out.append(b)
    return np.array(out)


class RegionGrid:
    """The bundled region rasterised over one map window.

    Attributes:
        window: the :class:`MapWindow`.
        nx, ny: columns (west to east) and rows (south to north).
        lat, lon: cell-centre latitudes (ny,) and longitudes (nx,).
        km_per_cell_x: east-west size of a cell on each row (ny,); km_per_cell_y: north-south size.
        cell_area_km2: (nx, ny).
        layers: name -> (nx, ny) numpy array; see :data:`LAYER_DOCS`.
        region: the gazetteer and vector data (:class:`~encircle_sim.geography.gazetteer.Region`).
    """

    def __init__(self, window: MapWindow, region: Region, terrain: dict[Terrain, TerrainProperties]):
        self.window = window
        self.region = region
        w = window
        mid = np.radians((w.south + w.north) / 2.0)
        self.ny = max(4, int(round((w.north - w.south) * KM_PER_DEG / w.cell_km)))
        self.nx = max(4, int(round((w.east - w.west) * KM_PER_DEG * np.cos(mid) / w.cell_km)))
        self.dlat = (w.north - w.south) / self.ny
        self.dlon = (w.east - w.west) / self.nx
        self.lat = w.south + (np.arange(self.ny) + 0.5) * self.dlat
        self.lon = w.west + (np.arange(self.nx) + 0.5) * self.dlon
        self.km_per_cell_y = float(self.dlat * KM_PER_DEG)
        self.km_per_cell_x = self.dlon * KM_PER_DEG * np.cos(np.radians(self.lat))
        self.cell_area_km2 = np.broadcast_to(self.km_per_cell_x[None, :] * self.km_per_cell_y,
                                             (self.nx, self.ny)).copy()
        self.terrain_properties = dict(terrain)
        # a flat km frame at the window's middle latitude, for distances to lines
        self._lat0, self._lon0 = (w.south + w.north) / 2.0, (w.west + w.east) / 2.0
        self._kx = KM_PER_DEG * np.cos(np.radians(self._lat0))
        gx, gy = np.meshgrid(self.lon, self.lat, indexing="ij")
        self._lon_grid, self._lat_grid = gx, gy
        self.layers: dict[str, np.ndarray] = {}
        self._rasterise()
        self._nearest = None

    # ---- coordinates ----------------------------------------------------------------------------
    @property
    def shape(self) -> tuple[int, int]:
        return (self.nx, self.ny)

    def contains(self, lat, lon) -> np.ndarray:
        """Whether points lie inside the map window."""
        lat, lon = np.asarray(lat, float), np.asarray(lon, float)
        w = self.window
        return (lat >= w.south) & (lat <= w.north) & (lon >= w.west) & (lon <= w.east)

    def cell_of(self, lat, lon):
        """The (x, y) cell containing each point (clipped to the grid edge)."""
        ix = np.floor((np.asarray(lon, float) - self.window.west) / self.dlon).astype(np.int64)
        iy = np.floor((np.asarray(lat, float) - self.window.south) / self.dlat).astype(np.int64)
        ix, iy = np.clip(ix, 0, self.nx - 1), np.clip(iy, 0, self.ny - 1)
        if ix.ndim == 0:
            return int(ix), int(iy)
        return ix, iy

    def latlon_of(self, x, y):
        """Cell-centre latitude and longitude of cells (x, y)."""
        x, y = np.asarray(x), np.asarray(y)
        lat, lon = self.lat[y], self.lon[x]
        if lat.ndim == 0:
            return float(lat), float(lon)
        return lat, lon

    def distance_km(self, x1, y1, x2, y2) -> np.ndarray:
        """Distance between cell centres: east-west scaled at the pair's mean latitude."""
        lat_mid = np.radians((self.lat[np.asarray(y1)] + self.lat[np.asarray(y2)]) / 2.0)
        dx = (np.asarray(x1) - np.asarray(x2)) * self.dlon * KM_PER_DEG * np.cos(lat_mid)
        dy = (np.asarray(y1) - np.asarray(y2)) * self.km_per_cell_y
        return np.hypot(dx, dy)

    def polygon_mask(self, ring) -> np.ndarray:
        """Cells whose centre lies inside a [lat, lon] polygon; (nx, ny) bool."""
        ring = np.asarray(ring, float)
        poly = Polygon(ring[:, ::-1])
        if not poly.is_valid:
            poly = shapely.make_valid(poly)
        return shapely.contains_xy(poly, self._lon_grid, self._lat_grid)

    def line_cells(self, coords: np.ndarray, four_connected: bool = True) -> np.ndarray:
        """Cells a [lat, lon] polyline passes through, in order; (k, 2) int."""
        pts = _densify(np.asarray(coords, float), min(self.dlat, self.dlon) / 4.0)
        inside = self.contains(pts[:, 0], pts[:, 1])
        cells = []
        # keep runs inside the window separate, so a line leaving and re-entering is not joined
        run: list[np.ndarray] = []
        for ok, p in zip(inside, pts, strict=True):
            if ok:
                run.append(p)
            elif run:
                cells.append(self._run_cells(np.array(run), four_connected))
                run = []
        if run:
            cells.append(self._run_cells(np.array(run), four_connected))
        return np.concatenate(cells) if cells else np.zeros((0, 2), np.int64)

    def _run_cells(self, pts: np.ndarray, four_connected: bool) -> np.ndarray:
        ix, iy = self.cell_of(pts[:, 0], pts[:, 1])
        cells = np.column_stack([ix, iy])
        keep = np.ones(len(cells), bool)
        keep[1:] = np.any(cells[1:] != cells[:-1], axis=1)
        cells = cells[keep]
        return _four_connected(cells) if four_connected else cells

    def distance_to_lines_km(self, lines) -> np.ndarray:
        """Distance from every cell centre to the nearest of some [lat, lon] polylines; (nx, ny)."""
        if not lines:
            return np.full(self.shape, np.inf)
        geom = MultiLineString([LineString(np.column_stack(self._to_km(c[:, 0], c[:, 1])))
                                for c in lines])
        px, py = self._to_km(self._lat_grid, self._lon_grid)
        return shapely.distance(shapely.points(px, py), geom)

    def _to_km(self, lat, lon):
        return (np.asarray(lon) - self._lon0) * self._kx, (np.asarray(lat) - self._lat0) * KM_PER_DEG

    # ---- layers ------------------------------------------------------------------------------
    def _mask_of_lines(self, lines, four_connected=True) -> np.ndarray:
        mask = np.zeros(self.shape, bool)
        for line in lines:
            cells = self.line_cells(line.coords, four_connected)
            if len(cells):
                mask[cells[:, 0], cells[:, 1]] = True
        return mask

    def _rasterise(self) -> None:
        region, shape = self.region, self.shape
        lake = np.zeros(shape, bool)
        for area in region.areas_of("lake"):
            lake |= self.polygon_mask(area.ring)
        rivers = region.lines_of("river")
        river = self._mask_of_lines(rivers) & ~lake
        wadis = region.lines_of("wadi")
        wadi = self._mask_of_lines(wadis)
        d_river = self.distance_to_lines_km([r.coords for r in rivers])
        d_wadi = self.distance_to_lines_km([r.coords for r in wadis])
        upland = np.zeros(shape, bool)
        for area in region.areas_of("upland"):
            upland |= self.polygon_mask(area.ring)

        # towns: built-up radius from the class's representative population
        towns = [p for p in region.towns() if POPULATION_BY_CLASS[p.population_class] > 0
                 and self.contains(p.lat, p.lon)]
        urban = np.zeros(shape, bool)
        town_pop = np.zeros(shape)
        for p in towns:
            pop = POPULATION_BY_CLASS[p.population_class]
            radius = np.sqrt(pop / (np.pi * URBAN_DENSITY))
            cx, cy = self.cell_of(p.lat, p.lon)
            d = great_circle_km(self._lat_grid, self._lon_grid, p.lat, p.lon)
            foot = d <= radius
            foot[cx, cy] = True
            if p.population_class != "village":
                urban |= foot
            share = foot / foot.sum()
            town_pop += pop * share

        terrain = np.full(shape, Terrain.OPEN, np.int8)
        terrain[(d_wadi <= ROUGH_FLANK_KM) | upland] = Terrain.ROUGH
        terrain[wadi] = Terrain.WADI
        terrain[d_river <= CULTIVATED_KM] = Terrain.CULTIVATED
        terrain[urban] = Terrain.URBAN
        terrain[river] = Terrain.RIVER
        terrain[lake] = Terrain.LAKE

        bridge_towns = [p for p in towns if p.population_class in BRIDGE_CLASSES]
        near_bridge = np.zeros(shape, bool)
        for p in bridge_towns:
            reach = max(CROSSING_KM, 0.75 * self.window.cell_km)
            near_bridge |= great_circle_km(self._lat_grid, self._lon_grid, p.lat, p.lon) <= reach
            cx, cy = self.cell_of(p.lat, p.lon)
            near_bridge[cx, cy] = True
        crossing = river & near_bridge

        rural = np.zeros(shape)
        for t in Terrain:
            rural[terrain == t] = RURAL_DENSITY[t.name.lower()]
        population = town_pop + rural * self.cell_area_km2

        country = np.full(shape, COUNTRY_OTHER, np.int8)
        for code, (parts, corners) in _COUNTRY_OUTLINES.items():
            ring = self._outline(parts, corners)
            country[self.polygon_mask(ring)] = code
        province = np.zeros(shape, np.int8)
        for area in region.areas_of("province"):
            province[self.polygon_mask(area.ring)] = area.code

        border = self._mask_of_lines(region.lines_of("border"), four_connected=False)
        road = self._mask_of_lines(region.lines_of("road"), four_connected=False)

        props = np.array([[self.terrain_properties[t].move_cost,
                           self.terrain_properties[t].concealment] for t in Terrain])
        self.layers.update({
            "terrain": terrain,
            "move_cost": props[terrain, 0],
            "concealment": props[terrain, 1],
            "population": population,
            "country": country,
            "province": province,
            "road": road,
            "border": border,
            "river": river,
            "lake": lake,
            "crossing": crossing,
            "passable": ~lake & (~river | crossing),
            "lat": self._lat_grid.copy(),
            "lon": self._lon_grid.copy(),
        })

    def _outline(self, parts, corners) -> np.ndarray:
        by_name = {line.name: line.coords for line in self.region.lines}
        pts = []
        for name, backwards in parts:
            coords = by_name[name][::-1] if backwards else by_name[name]
            pts.extend(coords.tolist())
        pts.extend(corners)
        return np.array(pts)

    # ---- places ------------------------------------------------------------------------------
    def nearest_place(self, x: int, y: int) -> str:
        """A readable place for a cell: a town's name, or 'N km DIR of TOWN'."""
        if self._nearest is None:
            towns = [p for p in self.region.towns() if p.population_class != "none"]
            d = np.stack([great_circle_km(self._lat_grid, self._lon_grid, p.lat, p.lon)
                          for p in towns])
            k = np.argmin(d, axis=0)
            self._nearest = (towns, k, np.take_along_axis(d, k[None], 0)[0])
        towns, k, d = self._nearest
        town = towns[int(k[x, y])]
        dist = float(d[x, y])
        if dist <= max(5.0, 0.75 * self.window.cell_km):
            return town.name
        lat, lon = self.latlon_of(x, y)
        bearing = np.degrees(np.arctan2((lon - town.lon) * np.cos(np.radians(lat)),
                                        lat - town.lat)) % 360
        compass = ("N", "NE", "E", "SE", "S", "SW", "W", "NW")[int((bearing + 22.5) // 45) % 8]
        return f"{dist:.0f} km {compass} of {town.name}"

    # ---- Mesa -------------------------------------------------------------------------------
    def make_mesa_grid(self, random=None):
        """A Mesa ``OrthogonalMooreGrid`` over the window with every layer as a property layer."""
        from mesa.discrete_space import OrthogonalMooreGrid, PropertyLayer

        grid = OrthogonalMooreGrid((self.nx, self.ny), torus=False, random=random)
        for name, data in self.layers.items():
            grid.add_property_layer(PropertyLayer.from_data(name, np.ascontiguousarray(data)))
        return grid


#: What each layer holds (units in brackets); the ODD and the scenario reference quote this.
LAYER_DOCS = {
    "terrain": "terrain class (Terrain: 0 open desert, 1 rough ground, 2 wadi, 3 river, 4 lake, "
               "5 urban, 6 cultivated valley)",
    "move_cost": "time to cross 1 km relative to open desert [x], from the scenario's terrain table",
    "concealment": "share of detection effort the terrain defeats [0-1], from the terrain table",
    "population": "people living in the cell [persons]",
    "country": "0 other (Turkey, Jordan), 1 Iraq, 2 Syria",
    "province": "0 none, 1 Anbar, 2 Nineveh, 3 Salahuddin, 4 Deir ez-Zor governorate",
    "road": "a main road passes through the cell (approximate alignments)",
    "border": "the Iraq-Syria border passes through the cell",
    "river": "a river passes through the cell (a barrier except at crossings)",
    "lake": "the cell centre lies in a lake",
    "crossing": "a river cell with a bridge or ford (next to a town)",
    "passable": "agents may stand in the cell (not lake; not river unless a crossing)",
    "lat": "cell-centre latitude [deg N]",
    "lon": "cell-centre longitude [deg E]",
}


@functools.lru_cache(maxsize=16)
def _build(window: MapWindow, terrain: tuple[tuple[Terrain, TerrainProperties], ...]) -> RegionGrid:
    return RegionGrid(window, load_region(), dict(terrain))


def build_region_grid(window: MapWindow,
                      terrain: dict[Terrain, TerrainProperties] | None = None) -> RegionGrid:
    """The (cached) grid of a map window; the same inputs return the same object."""
    merged = dict(DEFAULT_TERRAIN)
    merged.update(terrain or {})
    return _build(window, tuple(sorted(merged.items())))
