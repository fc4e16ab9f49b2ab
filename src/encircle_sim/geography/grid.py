"""The geo-referenced grid: the bundled region rasterised into numpy layers and a Mesa grid.

The grid is regular in latitude and longitude over the map window. Its rows are ``dlat`` apart
and its columns ``dlon`` apart, chosen so that a cell is about ``cell_km`` on a side at the
window's middle latitude and the cells fill the window exactly. A cell is addressed ``(x, y)``:
``x`` is the column counted eastward from the western edge, ``y`` the row counted northward from
the southern edge; every layer is a numpy array of shape ``(nx, ny)``, the layout of Mesa's
``OrthogonalMooreGrid`` and its property layers. Distances are in km on a sphere of radius
6371 km: a row's cells are ``dlon x 111.195 x cos(lat)`` km wide, so they are correct for latitude.

Terrain is derived from the data by rules (documented in ``docs/ODD.md``), in this order of
precedence: lake (cell centre inside a lake), river (every cell the river line passes through,
a 4-connected chain, so that a river is a closed barrier), urban (within a town's built-up radius),
cultivated valley (within ``CULTIVATED_KM`` of a river), wadi (cells a wadi line passes
through), rough ground (within ``ROUGH_FLANK_KM`` of a wadi, or inside a named upland), open
desert (everything else). A river cell is a crossing (bridge or ford) where the river passes
within ``CROSSING_KM`` of a town of class small_town or larger. A cell's country is that of its
centre, except that a cell holding a town takes the town's country.
"""

from __future__ import annotations

import copyreg
import functools
import weakref
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
CROSSING_KM = 4.0       # a river passing this close to a town (small_town or larger) is bridged
# Rural population density by terrain, persons per km2 (orders of magnitude, assumed).
RURAL_DENSITY = {"open": 0.5, "rough": 0.3, "wadi": 1.0, "river": 40.0, "lake": 0.0,
                 "urban": 0.0, "cultivated": 40.0}
# Representative population of each class of the gazetteer (geometric middle of its range).
POPULATION_BY_CLASS = {"metropolis": 1_500_000, "city": 400_000, "town": 75_000,
                       "small_town": 12_000, "village": 2_500, "none": 0}
BRIDGE_CLASSES = ("metropolis", "city", "town", "small_town")
#: A place whose own square is water moves to an allowed square on its own bank within this many
#: squares (see ``RegionGrid.place_cell``).
PLACE_SEARCH_CELLS = 3

COUNTRY_OTHER, COUNTRY_IRAQ, COUNTRY_SYRIA = 0, 1, 2

#: How the country outlines are assembled from the border lines: (line name, reversed), then
#: closing corners well outside any map window.
_COUNTRY_OUTLINES = {
    COUNTRY_IRAQ: ([("Iraq-Jordan border", True), ("Iraq-Syria border", False),
                    ("Iraq-Turkey border", False)], [(31.0, 44.8), (31.0, 39.3)]),
    COUNTRY_SYRIA: ([("Jordan-Syria border", False), ("Iraq-Syria border", False),
                     ("Syria-Turkey border", True)], [(36.68, 37.5)]),
}


#: The layers a model's Mesa grid carries: what the rules read each step (terrain cover,
#: population density, country), and the terrain class behind the cover, for users to inspect.
MESA_LAYERS = ("terrain", "concealment", "population", "country")


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


def _segment_cells(u0: float, v0: float, u1: float, v1: float) -> list[tuple[int, int]]:
    """Every cell a straight segment passes through, in order (a 4-connected chain).

    ``u``/``v`` are fractional column/row coordinates (cell ``(i, j)`` spans ``i <= u < i+1``,
    ``j <= v < j+1``). This is the "supercover" walk of Amanatides and Woo: it steps to the next
    column or row whichever boundary the segment meets first, and where it passes exactly through
    a corner it takes both side cells, so the chain is 4-connected and holds every cell the
    segment touches. A point of the segment therefore always lies in one of the returned cells.
    """
    x, y = int(np.floor(u0)), int(np.floor(v0))
    x_end, y_end = int(np.floor(u1)), int(np.floor(v1))
    du, dv = u1 - u0, v1 - v0
    sx, sy = (1 if du > 0 else -1), (1 if dv > 0 else -1)
    n_x, n_y = abs(x_end - x), abs(y_end - y)
    inf = float("inf")
    t_x = ((x + (sx > 0)) - u0) / du if n_x else inf
    t_y = ((y + (sy > 0)) - v0) / dv if n_y else inf
    dt_x = abs(1.0 / du) if n_x else inf
    dt_y = abs(1.0 / dv) if n_y else inf
    cells = [(x, y)]
    eps = 1e-9
    while n_x or n_y:
        if n_x and (not n_y or t_x < t_y - eps):
            x += sx
            t_x += dt_x
            n_x -= 1
        elif n_y and (not n_x or t_y < t_x - eps):
            y += sy
            t_y += dt_y
            n_y -= 1
        else:  # through a corner (to rounding): both side cells, then the diagonal one
            cells.extend([(x + sx, y), (x, y + sy)])
            x, y = x + sx, y + sy
            t_x, t_y = t_x + dt_x, t_y + dt_y
            n_x, n_y = n_x - 1, n_y - 1
        cells.append((x, y))
    return cells


def grid_shape(window: MapWindow) -> tuple[int, int]:
    """Columns and rows of the grid over ``window`` (cells of about ``cell_km``)."""
    w = window
    mid = np.radians((w.south + w.north) / 2.0)
    ny = max(4, int(round((w.north - w.south) * KM_PER_DEG / w.cell_km)))
    nx = max(4, int(round((w.east - w.west) * KM_PER_DEG * np.cos(mid) / w.cell_km)))
    return nx, ny


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

    def __init__(self, window: MapWindow, region: Region,
                 terrain: dict[Terrain, TerrainProperties]):
        self.window = window
        self.region = region
        w = window
        self.nx, self.ny = grid_shape(window)
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

    def place_cell(self, lat: float, lon: float, allowed: np.ndarray) -> tuple[int, int]:
        """The square a place stands on, given the squares agents may stand on (``allowed``).

        It is the square holding the place when that is allowed. Otherwise (the place's square
        is a river or lake) it is the allowed square whose centre is nearest the place in km
        among those a straight line from the place reaches without crossing a river: a town is
        never moved to the far bank. Only if no square within ``PLACE_SEARCH_CELLS`` squares
        qualifies does the nearest allowed square do.
        """
        cx, cy = self.cell_of(lat, lon)
        if allowed[cx, cy]:
            return cx, cy
        r = PLACE_SEARCH_CELLS
        x0, y0 = max(cx - r, 0), max(cy - r, 0)
        xy = np.argwhere(allowed[x0:cx + r + 1, y0:cy + r + 1]) + (x0, y0)
        if not len(xy):
            xy = np.argwhere(allowed)
        if not len(xy):
            raise ValueError("no square of the grid is allowed")
        d = great_circle_km(lat, lon, self.lat[xy[:, 1]], self.lon[xy[:, 0]])
        xy = xy[np.argsort(d, kind="stable")]
        px, py = self._to_km(lat, lon)
        qx, qy = self._to_km(self.lat[xy[:, 1]], self.lon[xy[:, 0]])
        paths = shapely.linestrings(np.stack([np.broadcast_to([px, py], (len(xy), 2)),
                                              np.column_stack([qx, qy])], axis=1))
        same_bank = ~shapely.intersects(paths, self._river_km)
        x, y = xy[int(np.argmax(same_bank))] if same_bank.any() else xy[0]
        return int(x), int(y)

    @functools.cached_property
    def _river_km(self):
        """The river lines in the grid's km frame, for "is it across a river?" questions."""
        return MultiLineString([LineString(np.column_stack(self._to_km(r.coords[:, 0],
                                                                        r.coords[:, 1])))
                                for r in self.region.lines_of("river")])

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

    def line_cells(self, coords: np.ndarray) -> np.ndarray:
        """Every cell a [lat, lon] polyline passes through, in order; (k, 2) int.

        The chain is 4-connected (no diagonal gaps), so a river drawn with it is a closed
        barrier to 4-connected land; parts of the line outside the window are left out.
        """
        coords = np.asarray(coords, float)
        w = self.window
        u = (coords[:, 1] - w.west) / self.dlon
        v = (coords[:, 0] - w.south) / self.dlat
        cells: list[tuple[int, int]] = []
        for i in range(len(coords) - 1):
            seg = _segment_cells(u[i], v[i], u[i + 1], v[i + 1])
            cells.extend(seg[1:] if cells and cells[-1] == seg[0] else seg)
        if len(coords) == 1:
            cells = [(int(np.floor(u[0])), int(np.floor(v[0])))]
        out = np.array(cells, np.int64).reshape(-1, 2)
        inside = (out[:, 0] >= 0) & (out[:, 0] < self.nx) & (out[:, 1] >= 0) & (out[:, 1] < self.ny)
        return out[inside]

    def distance_to_lines_km(self, lines) -> np.ndarray:
        """Distance from every cell centre to the nearest of some [lat, lon] polylines; (nx, ny)."""
        if not lines:
            return np.full(self.shape, np.inf)
        geom = MultiLineString([LineString(np.column_stack(self._to_km(c[:, 0], c[:, 1])))
                                for c in lines])
        px, py = self._to_km(self._lat_grid, self._lon_grid)
        return shapely.distance(shapely.points(px, py), geom)

    def _to_km(self, lat, lon):
        return ((np.asarray(lon) - self._lon0) * self._kx,
                (np.asarray(lat) - self._lat0) * KM_PER_DEG)

    # ---- layers ------------------------------------------------------------------------------
    def _mask_of_lines(self, lines) -> np.ndarray:
        mask = np.zeros(self.shape, bool)
        for line in lines:
            cells = self.line_cells(line.coords)
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

        crossing = river & self._crossing_mask(
            [p for p in towns if p.population_class in BRIDGE_CLASSES], rivers)

        rural = np.zeros(shape)
        for t in Terrain:
            rural[terrain == t] = RURAL_DENSITY[t.name.lower()]
        population = town_pop + rural * self.cell_area_km2

        country = np.full(shape, COUNTRY_OTHER, np.int8)
        for code in _COUNTRY_OUTLINES:
            country[self.polygon_mask(self.country_outline(code))] = code
        # A cell holding a town belongs to the town's country even when the border cuts the cell
        # and its centre lies across it (Husaybah and Abu Kamal on coarse grids). Where towns of
        # both countries share a cell, the town nearest the cell centre decides.
        for p in sorted(towns, key=lambda p: -self._offset_from_centre(p.lat, p.lon)):
            cx, cy = self.cell_of(p.lat, p.lon)
            country[cx, cy] = region.country_codes[p.country]
        province = np.zeros(shape, np.int8)
        for area in region.areas_of("province"):
            province[self.polygon_mask(area.ring)] = area.code

        border = self._mask_of_lines(region.lines_of("border"))
        road = self._mask_of_lines(region.lines_of("road"))

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

    def _crossing_mask(self, towns, rivers) -> np.ndarray:
        """Cells of the river stretches that pass within ``CROSSING_KM`` of a town (its bridges).

        The stretch is cut out of the river line in km and rasterised like the river, so every
        river town has a crossing at any cell size, and no crossing is far from a town.
        """
        mask = np.zeros(self.shape, bool)
        if not towns or not rivers:
            return mask
        for p in towns:
            tx, ty = self._to_km(p.lat, p.lon)
            near = shapely.intersection(self._river_km,
                                        shapely.Point(tx, ty).buffer(CROSSING_KM, 64))
            for part in getattr(near, "geoms", [near]):
                if part.is_empty or part.geom_type != "LineString":
                    continue
                xy = np.asarray(part.coords)
                lat = xy[:, 1] / KM_PER_DEG + self._lat0
                lon = xy[:, 0] / self._kx + self._lon0
                cells = self.line_cells(np.column_stack([lat, lon]))
                if len(cells):
                    mask[cells[:, 0], cells[:, 1]] = True
        return mask

    def _offset_from_centre(self, lat: float, lon: float) -> float:
        """How far a point lies from its cell's centre, in cells (0 at the centre)."""
        cx, cy = self.cell_of(lat, lon)
        return float(np.hypot((lon - self.lon[cx]) / self.dlon, (lat - self.lat[cy]) / self.dlat))

    def country_outline(self, code: int) -> np.ndarray:
        """A [lat, lon] ring around Iraq (``COUNTRY_IRAQ``) or Syria (``COUNTRY_SYRIA``), built
        from the border lines and closed well outside the map (as the ``country`` layer is)."""
        return self._outline(*_COUNTRY_OUTLINES[code])

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
    def make_mesa_grid(self, random=None, layers=MESA_LAYERS):
        """A Mesa ``OrthogonalMooreGrid`` over the window carrying ``layers`` as property layers.

        The model's rules read these layers from the grid (``grid.concealment.data``), so they
        are the model's one copy of them; movement reads the navigator's tables, maps read the
        region's layers.
        """
        from mesa.discrete_space import OrthogonalMooreGrid, PropertyLayer

        grid = OrthogonalMooreGrid((self.nx, self.ny), torus=False, random=random)
        for name in layers:
            data = np.ascontiguousarray(self.layers[name])
            grid.add_property_layer(PropertyLayer.from_data(name, data))
        # Mesa 3.5 registers each grid's own cell class in ``copyreg.dispatch_table`` (a plain
        # dict, so for ever); the class's property accessors hold every layer's array. Without
        # this, each campaign in a process left its grid's layers behind (0.5-0.9 MB a run).
        weakref.finalize(grid, copyreg.dispatch_table.pop, grid.cell_klass, None)
        return grid


#: What each layer holds (units in brackets); the ODD and the scenario reference quote this.
LAYER_DOCS = {
    "terrain": "terrain class (Terrain: 0 open desert, 1 rough ground, 2 wadi, 3 river, 4 lake, "
               "5 urban, 6 cultivated valley)",
    "move_cost": "time to cross 1 km relative to open desert [x], from the scenario's "
                 "terrain table",
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
