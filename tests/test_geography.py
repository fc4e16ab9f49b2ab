"""The geo-referenced grid against the bundled geographic data it is built from.

Checked at several cell sizes (2, 5, 10 and 20 km): towns land in the cell containing their
coordinates, grid distances agree with great-circle distances, the border separates Iraqi and
Syrian towns, rivers and the lake are where the data says, rivers are closed barriers crossed
only at crossings, and every layer reaches Mesa as a property layer.
"""

from __future__ import annotations

import itertools
import random

import numpy as np
import pytest
from scipy import ndimage
from shapely.geometry import LineString, Point, Polygon

from encircle_sim.geography import (
    COUNTRY_IRAQ,
    COUNTRY_SYRIA,
    KM_PER_DEG,
    LAYER_DOCS,
    MapWindow,
    Terrain,
    build_region_grid,
    great_circle_km,
    load_region,
)
from encircle_sim.geography.grid import BRIDGE_CLASSES, CROSSING_KM, MESA_LAYERS
from encircle_sim.navigation import Navigator

REGION = load_region()
FULL = (33.0, 37.5, 38.5, 44.5)
CELL_SIZES = (2.0, 5.0, 10.0, 20.0)
COUNTRY_CODE = {"IQ": COUNTRY_IRAQ, "SY": COUNTRY_SYRIA}


def grid_of(cell_km: float, window=FULL):
    return build_region_grid(MapWindow(*window, cell_km))


@pytest.fixture(params=CELL_SIZES, ids=lambda km: f"{km:g}km")
def grid(request):
    return grid_of(request.param)


def towns_in(grid):
    return [p for p in REGION.places.values() if grid.contains(p.lat, p.lon)]


def diagonal_km(grid) -> float:
    return float(np.hypot(grid.km_per_cell_x.max(), grid.km_per_cell_y))


def points_along(coords: np.ndarray, per_segment: int = 100) -> np.ndarray:
    t = np.linspace(0.0, 1.0, per_segment, endpoint=False)[:, None]
    pts = [a + t * (b - a) for a, b in zip(coords[:-1], coords[1:], strict=True)]
    return np.concatenate(pts + [coords[-1:]])


def km_frame(lat, lon, lat0=35.0):
    """A local flat frame in km, good to a fraction of a percent over a few km."""
    return (np.asarray(lon) * KM_PER_DEG * np.cos(np.radians(lat0)),
            np.asarray(lat) * KM_PER_DEG)


# --------------------------------------------------------------------------------------------
# The data and the window
# --------------------------------------------------------------------------------------------


def test_region_covers_the_required_window_and_places():
    south, north, west, east = REGION.bounds
    assert south <= 33.0 and north >= 37.5 and west <= 38.5 and east >= 44.5
    required = ["Markadah", "Hasakah", "Suwar", "Busayrah", "Dhiban", "Tayyanah", "Hawayij",
                "Deir ez-Zor", "Haditha", "Rawa", "Anah", "Al-Qa'im", "Baiji", "Tikrit",
                "Samarra", "Sharqat", "Qayyarah", "Mosul", "Tal Afar", "Sinjar", "Al-Baaj",
                "Hatra"]
    for name in required:
        place = REGION.place(name)
        assert south <= place.lat <= north and west <= place.lon <= east, name
    kinds = {line.kind for line in REGION.lines} | {area.kind for area in REGION.areas}
    assert {"border", "river", "wadi", "road", "lake", "province"} <= kinds
    rivers = " ".join(line.name for line in REGION.lines_of("river"))
    assert all(r in rivers for r in ("Euphrates", "Tigris", "Khabur"))
    provinces = {a.name for a in REGION.areas_of("province")}
    assert provinces == {"Anbar", "Nineveh", "Salahuddin", "Deir ez-Zor"}


def test_estimates_and_roads_are_marked_approximate_with_a_source():
    for line in REGION.lines_of("road"):
        assert line.approximate, line.name
    for item in [*REGION.places.values(), *REGION.lines, *REGION.areas]:
        assert item.source, item.name
        if item.source.startswith("EST"):
            assert item.approximate, f"{item.name} is an estimate but not marked approximate"


def test_place_lookup_ignores_case_accents_and_article():
    assert REGION.place("al-qaim").name == "Al-Qa'im"
    assert REGION.place("Sharqat").name == "Al-Shirqat"
    assert REGION.place("DEIR EZZOR").name == "Deir ez-Zor"


@pytest.mark.parametrize("cell_km", [2.0, 3.3, 5.0, 7.5, 10.0, 14.0, 20.0])
def test_grids_of_2_to_20_km_build_and_fill_the_window(cell_km):
    g = grid_of(cell_km)
    w = g.window
    assert g.lat[0] - g.dlat / 2 == pytest.approx(w.south)
    assert g.lat[-1] + g.dlat / 2 == pytest.approx(w.north)
    assert g.lon[0] - g.dlon / 2 == pytest.approx(w.west)
    assert g.lon[-1] + g.dlon / 2 == pytest.approx(w.east)
    # cells are about cell_km on a side at the middle latitude
    assert g.km_per_cell_y == pytest.approx(cell_km, rel=0.1)
    assert np.median(g.km_per_cell_x) == pytest.approx(cell_km, rel=0.1)
    for name, layer in g.layers.items():
        assert layer.shape == (g.nx, g.ny), name
    assert set(g.layers) == set(LAYER_DOCS)


# --------------------------------------------------------------------------------------------
# Towns and distances
# --------------------------------------------------------------------------------------------


def test_every_town_lands_in_the_cell_that_contains_it(grid):
    for place in towns_in(grid):
        x, y = grid.cell_of(place.lat, place.lon)
        lat_c, lon_c = grid.layers["lat"][x, y], grid.layers["lon"][x, y]
        assert abs(place.lat - lat_c) <= grid.dlat / 2 + 1e-9, place.name
        assert abs(place.lon - lon_c) <= grid.dlon / 2 + 1e-9, place.name
        assert (lat_c, lon_c) == pytest.approx(grid.latlon_of(x, y))



def _square_holding(grid, lat: float, lon: float) -> tuple[int, int]:
    """The square whose edges enclose a point, found from the cell-centre layers."""
    x = int(np.argmin(np.abs(grid.lon - lon)))
    y = int(np.argmin(np.abs(grid.lat - lat)))
    assert abs(grid.lon[x] - lon) <= grid.dlon / 2 + 1e-9
    assert abs(grid.lat[y] - lat) <= grid.dlat / 2 + 1e-9
    return x, y


@pytest.mark.parametrize("cell_km", [2.0, 5.0, 10.0])
def test_every_town_stands_in_its_square_or_next_to_it_on_its_own_bank(cell_km):
    """Where the model puts a place (force starts, areas: ``build.square_of``): the square that
    contains the place's coordinate. Only where that square is water (river without a crossing,
    lake) may it move, and then to a neighbouring square on the same side of every river: a
    straight line from the coordinate to the square's centre crosses none."""
    g = grid_of(cell_km)
    open_ground = navigator(g).open_ground
    rivers = [LineString(np.column_stack(km_frame(r.coords[:, 0], r.coords[:, 1])))
              for r in REGION.lines_of("river")]
    moved = []
    for p in [p for p in towns_in(g) if p.kind == "town"]:  # not the lake centre
        x, y = g.place_cell(p.lat, p.lon, open_ground)
        assert open_ground[x, y], p.name
        hx, hy = _square_holding(g, p.lat, p.lon)
        if (x, y) == (hx, hy):
            continue
        moved.append(p.name)
        assert not open_ground[hx, hy], f"{p.name} moved off open ground"
        assert max(abs(x - hx), abs(y - hy)) <= 1, f"{p.name} moved more than one square"
        path = LineString([km_frame(p.lat, p.lon), km_frame(g.lat[y], g.lon[x])])
        assert not any(path.intersects(r) for r in rivers), f"{p.name} moved across a river"
    assert len(moved) <= 3, moved  # the exception, not the rule


def test_al_qaim_is_placed_at_its_reference_coordinate():
    """Al-Qa'im (34.367 N, 41.139 E) sits on the Euphrates next to its crossing: its square
    holds its coordinate at every cell size (issue 10 reported it two squares east at 2 km)."""
    p = REGION.place("Al-Qa'im")
    for km in CELL_SIZES:
        g = grid_of(km)
        x, y = g.place_cell(p.lat, p.lon, navigator(g).open_ground)
        assert (x, y) == _square_holding(g, p.lat, p.lon), km

def test_cell_distances_match_great_circle_distances(grid):
    """The grid's km metric between town cells is within 5% of the great-circle distance."""
    towns = towns_in(grid)
    worst = 0.0
    for a, b in itertools.combinations(towns, 2):
        xa, ya = grid.cell_of(a.lat, a.lon)
        xb, yb = grid.cell_of(b.lat, b.lon)
        if (xa, ya) == (xb, yb):
            continue
        grid_km = float(grid.distance_km(xa, ya, xb, yb))
        (la, oa), (lb, ob) = grid.latlon_of(xa, ya), grid.latlon_of(xb, yb)
        worst = max(worst, abs(grid_km / float(great_circle_km(la, oa, lb, ob)) - 1.0))
    assert worst < 0.05
    # ... because the metric is corrected for latitude: a cell is narrower in the north
    np.testing.assert_allclose(grid.km_per_cell_x,
                               grid.dlon * KM_PER_DEG * np.cos(np.radians(grid.lat)))


def test_town_to_town_distances_within_5_percent_plus_cell_rounding(grid):
    """Between the towns themselves: 5% of the distance plus at most one cell diagonal."""
    diag = diagonal_km(grid)
    towns = towns_in(grid)
    far = 0
    for a, b in itertools.combinations(towns, 2):
        true_km = float(great_circle_km(a.lat, a.lon, b.lat, b.lon))
        xa, ya = grid.cell_of(a.lat, a.lon)
        xb, yb = grid.cell_of(b.lat, b.lon)
        grid_km = float(grid.distance_km(xa, ya, xb, yb))
        assert abs(grid_km - true_km) <= 0.05 * true_km + diag, (a.name, b.name)
        if true_km > 30 * diag:  # far enough for rounding to cells not to matter
            far += 1
            assert abs(grid_km / true_km - 1.0) < 0.05, (a.name, b.name)
    if grid.window.cell_km <= 10:
        assert far > 0


def test_great_circle_reference_values():
    assert float(great_circle_km(0.0, 0.0, 0.0, 1.0)) == pytest.approx(111.195, abs=0.001)
    assert float(great_circle_km(0.0, 10.0, 90.0, 10.0)) == pytest.approx(10007.5, abs=0.1)
    # a degree of longitude at 36 N is cos(36 deg) of a degree at the equator
    assert float(great_circle_km(36.0, 40.0, 36.0, 41.0)) == pytest.approx(
        111.195 * np.cos(np.radians(36.0)), rel=1e-4)


# --------------------------------------------------------------------------------------------
# Countries and provinces
# --------------------------------------------------------------------------------------------


def test_the_border_separates_iraqi_and_syrian_towns(grid):
    for place in towns_in(grid):
        x, y = grid.cell_of(place.lat, place.lon)
        assert grid.layers["country"][x, y] == COUNTRY_CODE[place.country], place.name


@pytest.mark.parametrize("shift", [0.0, 0.037, 0.081, 0.129])
def test_border_towns_keep_their_country_whatever_the_cell_alignment(shift):
    """Husaybah (IQ) and Abu Kamal (SY) are 9 km apart, across the border: on a 20 km grid they
    may share a cell, which then belongs to the one nearer its centre."""
    g = grid_of(20.0, (33.0 + shift, 37.5, 38.5 + shift, 44.5))
    by_cell: dict[tuple[int, int], list] = {}
    for p in towns_in(g):
        by_cell.setdefault(g.cell_of(p.lat, p.lon), []).append(p)
    for cell, towns in by_cell.items():
        x, y = cell
        nearest = min(towns, key=lambda p: np.hypot((p.lat - g.lat[y]) / g.dlat,
                                                   (p.lon - g.lon[x]) / g.dlon))
        assert g.layers["country"][cell] == COUNTRY_CODE[nearest.country], nearest.name


def test_country_layer_follows_the_border_line():
    """Cells well west of the border line are Syrian, well east of it Iraqi."""
    g = grid_of(5.0)
    border = next(line for line in REGION.lines_of("border"))
    for lat, lon in border.coords[1:-1:3]:
        if not g.contains(lat, lon):
            continue
        west = g.cell_of(lat, lon - 0.3)
        east = g.cell_of(lat, lon + 0.3)
        assert g.layers["country"][west] == COUNTRY_SYRIA, (lat, lon)
        assert g.layers["country"][east] == COUNTRY_IRAQ, (lat, lon)


def test_border_cells_lie_on_the_border_line():
    g = grid_of(5.0)
    border = REGION.lines_of("border")[0]
    pts = points_along(border.coords)
    pts = pts[g.contains(pts[:, 0], pts[:, 1])]
    x, y = g.cell_of(pts[:, 0], pts[:, 1])
    assert g.layers["border"][x, y].all()
    # and there are no border cells far from the line
    bx, by = np.nonzero(g.layers["border"])
    line = LineString(np.column_stack(km_frame(border.coords[:, 0], border.coords[:, 1])))
    far = [line.distance(Point(*km_frame(g.lat[j], g.lon[i]))) for i, j in zip(bx, by, strict=True)]
    assert max(far) <= diagonal_km(g)


@pytest.mark.parametrize("name, province", [
    ("Haditha", "Anbar"), ("Rawa", "Anbar"), ("Al-Qa'im", "Anbar"), ("Hit", "Anbar"),
    ("Mosul", "Nineveh"), ("Tal Afar", "Nineveh"), ("Al-Baaj", "Nineveh"), ("Hatra", "Nineveh"),
    ("Baiji", "Salahuddin"), ("Tikrit", "Salahuddin"), ("Samarra", "Salahuddin"),
    ("Mayadin", "Deir ez-Zor"), ("Abu Kamal", "Deir ez-Zor"), ("Busayrah", "Deir ez-Zor"),
])
def test_province_layer_at_towns(name, province):
    g = grid_of(2.0)
    code = next(a.code for a in REGION.areas_of("province") if a.name == province)
    p = REGION.place(name)
    assert g.layers["province"][g.cell_of(p.lat, p.lon)] == code


# --------------------------------------------------------------------------------------------
# Rivers, lake, crossings
# --------------------------------------------------------------------------------------------


def test_lake_tharthar_is_lake(grid):
    centre = REGION.place("Lake Tharthar")
    cell = grid.cell_of(centre.lat, centre.lon)
    assert grid.layers["lake"][cell]
    assert grid.layers["terrain"][cell] == Terrain.LAKE
    assert not grid.layers["passable"][cell]
    # the lake is where the polygon is: every lake cell's centre is inside the outline's box
    ring = REGION.areas_of("lake")[0].ring
    lx, ly = np.nonzero(grid.layers["lake"])
    assert (grid.lat[ly] >= ring[:, 0].min()).all() and (grid.lat[ly] <= ring[:, 0].max()).all()
    assert (grid.lon[lx] >= ring[:, 1].min()).all() and (grid.lon[lx] <= ring[:, 1].max()).all()



def equal_area_km2(ring_latlon: np.ndarray) -> float:
    """Area of a [lat, lon] ring on the model's sphere (R = 6371 km), through Lambert's
    cylindrical equal-area projection (x = R lon, y = R sin lat)."""
    lat, lon = np.radians(ring_latlon[:, 0]), np.radians(ring_latlon[:, 1])
    return Polygon(np.column_stack([6371.0 * lon, 6371.0 * np.sin(lat)])).area


def test_lake_tharthar_area_is_in_the_sourced_range():
    """A reservoir's area follows its level: 2,000-2,700 km2 in the sources the data file cites
    (2,710 km2 at full level); the old 12-vertex outline covered about 1,450 km2."""
    ring = REGION.areas_of("lake")[0].ring
    assert 2000.0 <= equal_area_km2(ring) <= 2700.0
    # a check on the area formula itself: a 1 x 1 degree square at the equator on the sphere
    square = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 1.0], [1.0, 0.0]])
    assert equal_area_km2(square) == pytest.approx(6371.0**2 * np.radians(1.0)
                                                   * np.sin(np.radians(1.0)))


@pytest.mark.parametrize("cell_km", [2.0, 5.0, 10.0])
@pytest.mark.parametrize("shift", [0.0, 0.31, 0.67])
def test_lake_tharthar_rasterised_area_matches_its_outline(cell_km, shift):
    """Counting cells whose centre is in the lake estimates the lake's area with a standard error
    of sqrt(0.0724 s^3 P) on a square grid of spacing s, for an outline of perimeter P (Matheron
    1965, Kendall-Rankin): the layer's lake area lies within 4 of those of the outline's area,
    on the model's full window and on windows shifted by a fraction of a cell."""
    ring = REGION.areas_of("lake")[0].ring
    x, y = km_frame(ring[:, 0], ring[:, 1], lat0=float(ring[:, 0].mean()))
    perimeter = Polygon(np.column_stack([x, y])).length
    sigma = np.sqrt(0.0724 * cell_km**3 * perimeter)
    step = shift * cell_km / KM_PER_DEG
    window = FULL if shift == 0.0 else (33.2 + step, 35.0, 42.6 + 1.3 * step, 44.0)
    g = grid_of(cell_km, window)
    lake_km2 = float(g.cell_area_km2[g.layers["lake"]].sum())
    assert abs(lake_km2 - equal_area_km2(ring)) <= 4 * sigma, (lake_km2, equal_area_km2(ring))

def test_points_along_the_rivers_fall_in_river_cells(grid):
    for line in REGION.lines_of("river"):
        pts = points_along(line.coords)
        pts = pts[grid.contains(pts[:, 0], pts[:, 1])]
        x, y = grid.cell_of(pts[:, 0], pts[:, 1])
        on_water = grid.layers["river"][x, y] | grid.layers["lake"][x, y]
        assert on_water.all(), f"{line.name}: {int((~on_water).sum())} points off the river"
        assert (grid.layers["terrain"][x, y][grid.layers["river"][x, y]] == Terrain.RIVER).all()


def test_river_cells_are_on_a_river(grid):
    lines = [LineString(np.column_stack(km_frame(r.coords[:, 0], r.coords[:, 1])))
             for r in REGION.lines_of("river")]
    rx, ry = np.nonzero(grid.layers["river"])
    diag = diagonal_km(grid)
    for i, j in zip(rx, ry, strict=True):
        centre = Point(*km_frame(grid.lat[j], grid.lon[i]))
        assert min(line.distance(centre) for line in lines) <= diag


def test_rivers_are_4_connected_chains(grid):
    """Each river's cells form one 4-connected piece per stretch inside the window."""
    structure = ndimage.generate_binary_structure(2, 1)
    for line in REGION.lines_of("river"):
        cells = grid.line_cells(line.coords)
        if len(cells) < 2:
            continue
        mask = np.zeros(grid.shape, bool)
        mask[cells[:, 0], cells[:, 1]] = True
        _, pieces = ndimage.label(mask, structure=structure)
        assert pieces == 1, line.name
        steps = np.abs(np.diff(cells, axis=0)).sum(axis=1)
        assert (steps <= 1).all(), line.name


def navigator(grid):
    return Navigator.from_layers(grid.layers, grid.km_per_cell_x, grid.km_per_cell_y)


# (place on one bank, place on the other bank) with the direction away from the river for each
OPPOSITE_BANKS = [
    # Euphrates in Syria: Mayadin's desert (right bank) against Dhiban's (left bank)
    ((34.85, 40.20), (35.20, 40.80)),
    # Euphrates in Iraq: Rutba's desert against Al-Baaj's
    ((33.60, 41.50), (35.20, 42.00)),
    # Euphrates between Haditha and Hit: the Wadi Hauran desert against Lake Tharthar's west
    ((33.70, 42.40), (34.00, 42.90)),
    # Tigris: Hatra's desert against the Kirkuk plain east of Baiji
    ((35.20, 42.80), (35.20, 44.00)),
    # Tigris at Samarra: west against east
    ((34.30, 43.50), (34.30, 44.20)),
]


def test_rivers_split_the_land_into_separate_banks(grid):
    """Land on the two sides of the Euphrates (and of the Tigris) is not 4-connected."""
    nav = navigator(grid)
    for (lat_a, lon_a), (lat_b, lon_b) in OPPOSITE_BANKS:
        a, b = grid.cell_of(lat_a, lon_a), grid.cell_of(lat_b, lon_b)
        assert nav.bank[a] > 0 and nav.bank[b] > 0, ((lat_a, lon_a), (lat_b, lon_b))
        assert nav.bank[a] != nav.bank[b], ((lat_a, lon_a), (lat_b, lon_b))
    # Three big land regions: south-west of the Euphrates, the Jazira, east of the Tigris
    sizes = np.sort(np.bincount(nav.bank.ravel())[1:])[::-1]
    assert len(sizes) >= 3 and sizes[2] > 0.05 * sizes.sum()


def test_same_bank_places_are_connected(grid):
    nav = navigator(grid)
    same = [("Al-Baaj", "Hatra"), ("Sinjar", "Al-Baaj"), ("Rutba", "Akashat")]
    for a, b in same:
        pa, pb = REGION.place(a), REGION.place(b)
        ca = grid.cell_of(pa.lat + 0.2, pa.lon)  # a little away from any town footprint
        cb = grid.cell_of(pb.lat + 0.2, pb.lon)
        assert nav.bank[ca] == nav.bank[cb] > 0, (a, b)


def test_crossings_join_the_two_banks(grid):
    """Every crossing is a passable river cell, and the river has crossings touching both banks."""
    nav = navigator(grid)
    crossing = grid.layers["crossing"]
    assert (grid.layers["river"][crossing]).all()
    assert grid.layers["passable"][crossing].all()
    assert not (grid.layers["passable"] & grid.layers["river"] & ~crossing).any()
    # the banks each crossing touches (as a set of bank labels, whatever Navigator stores)
    touched = [set(np.flatnonzero(t)) if isinstance(t, np.ndarray) else set(t)
               for t in nav.crossing_banks]
    assert any(len(t) >= 2 for t in touched), "no crossing joins two banks"


def _river_towns(grid):
    rivers = [LineString(np.column_stack(km_frame(r.coords[:, 0], r.coords[:, 1])))
              for r in REGION.lines_of("river")]
    out = []
    for p in towns_in(grid):
        if p.population_class not in BRIDGE_CLASSES:
            continue
        d = min(line.distance(Point(*km_frame(p.lat, p.lon))) for line in rivers)
        if d <= CROSSING_KM * 0.95:
            out.append(p)
    return out


def test_towns_on_rivers_have_crossings(grid):
    towns = _river_towns(grid)
    names = {p.name for p in towns}
    assert {"Deir ez-Zor", "Haditha", "Baiji", "Tikrit", "Mosul", "Hasakah", "Abu Kamal"} <= names
    cx, cy = np.nonzero(grid.layers["crossing"])
    reach = CROSSING_KM + diagonal_km(grid)
    for p in towns:
        d = great_circle_km(grid.lat[cy], grid.lon[cx], p.lat, p.lon)
        assert (d <= reach).any(), f"{p.name} is on a river but has no crossing"


def test_every_crossing_is_next_to_a_town(grid):
    towns = [p for p in towns_in(grid) if p.population_class in BRIDGE_CLASSES]
    cx, cy = np.nonzero(grid.layers["crossing"])
    reach = CROSSING_KM + diagonal_km(grid)
    for i, j in zip(cx, cy, strict=True):
        d = min(float(great_circle_km(grid.lat[j], grid.lon[i], p.lat, p.lon)) for p in towns)
        assert d <= reach, (i, j)


def test_urban_cells_at_cities(grid):
    for name in ("Mosul", "Deir ez-Zor", "Ramadi"):
        p = REGION.place(name)
        cell = grid.cell_of(p.lat, p.lon)
        assert grid.layers["terrain"][cell] in (Terrain.URBAN, Terrain.RIVER), name
        assert grid.layers["population"][cell] > 10_000, name


def test_population_totals_are_plausible():
    """Town populations are spread over their footprints, not lost or double counted."""
    for km in (2.0, 10.0):
        g = grid_of(km)
        total = float(g.layers["population"].sum())
        assert 4e6 < total < 20e6, km
    a, b = grid_of(2.0).layers["population"].sum(), grid_of(10.0).layers["population"].sum()
    assert a == pytest.approx(b, rel=0.1)


def test_terrain_properties_follow_the_terrain_table(grid):
    for t, props in grid.terrain_properties.items():
        where = grid.layers["terrain"] == t
        assert np.allclose(grid.layers["move_cost"][where], props.move_cost)
        assert np.allclose(grid.layers["concealment"][where], props.concealment)
    assert not grid.layers["passable"][grid.layers["lake"]].any()


# --------------------------------------------------------------------------------------------
# Mesa
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("cell_km", [5.0, 20.0])
def test_the_mesa_grid_carries_the_layers_the_rules_read(cell_km):
    from mesa.discrete_space import OrthogonalMooreGrid

    g = grid_of(cell_km)
    mesa_grid = g.make_mesa_grid(random=random.Random(1))
    assert isinstance(mesa_grid, OrthogonalMooreGrid)
    assert mesa_grid.dimensions == (g.nx, g.ny)
    assert set(mesa_grid._mesa_property_layers) - {"empty"} == set(MESA_LAYERS)  # Mesa adds "empty"
    for name in MESA_LAYERS:
        np.testing.assert_array_equal(getattr(mesa_grid, name).data, g.layers[name],
                                      err_msg=name)
    # cells know their terrain, cover, people and country through the property layers
    rng = np.random.default_rng(3)
    for _ in range(20):
        x, y = int(rng.integers(g.nx)), int(rng.integers(g.ny))
        cell = mesa_grid[(x, y)]
        assert cell.terrain == g.layers["terrain"][x, y]
        assert cell.concealment == g.layers["concealment"][x, y]
    haditha = REGION.place("Haditha")
    cell = mesa_grid[g.cell_of(haditha.lat, haditha.lon)]
    assert cell.country == COUNTRY_IRAQ
