"""The region map: the right size, the right colours in the right places, a usable layout."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from matplotlib.colors import to_rgb
from PIL import Image

from encircle_sim.geography import COUNTRY_OTHER, KM_PER_DEG, Terrain, load_region
from encircle_sim.mapview import ABROAD_PALE, TERRAIN_COLOURS, save_region_map
from encircle_sim.model import region_for
from encircle_sim.scenario_files import load_scenario

SIZE = (1600, 1200)


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    scenario = load_scenario("victory_will")
    grid = region_for(scenario)
    area = np.array([[v.lat, v.lon] for v in scenario.operation.area])
    out = tmp_path_factory.mktemp("map") / "map.png"
    saved = save_region_map(out, grid, operation_area=area, size_px=SIZE, title="test map")
    image = np.asarray(Image.open(out).convert("RGB")).astype(float) / 255.0
    return saved, image, grid


def colour_at(image, saved, lat, lon) -> np.ndarray:
    col, row = saved.pixel_of(lat, lon)
    return image[row, col]


def assert_colour(found, expected, tol=0.02):
    assert np.abs(np.asarray(found) - np.asarray(expected)).max() <= tol, (found, expected)


def test_png_has_exactly_the_requested_size(saved):
    path = saved[0].path
    with Image.open(path) as im:
        assert im.size == SIZE and im.format == "PNG"


def test_lake_tharthar_is_drawn_in_the_lake_colour(saved):
    m, image, grid = saved
    lake = load_region().place("Lake Tharthar")
    assert grid.layers["terrain"][grid.cell_of(lake.lat, lake.lon)] == Terrain.LAKE
    assert_colour(colour_at(image, m, lake.lat, lake.lon), to_rgb(TERRAIN_COLOURS[Terrain.LAKE]))


@pytest.mark.parametrize("lat, lon, terrain", [
    (34.55, 39.30, Terrain.OPEN),    # the Syrian desert south of the Euphrates, far from anything
    (33.55, 42.05, Terrain.OPEN),    # the Anbar desert between Wadi Hauran and Highway 1
    (35.35, 39.25, Terrain.ROUGH),   # Jabal Bishri
    (33.66, 41.30, Terrain.ROUGH),   # beside the bed of Wadi Hauran
])
def test_terrain_colours_at_known_places(saved, lat, lon, terrain):
    m, image, grid = saved
    cell = grid.cell_of(lat, lon)
    assert grid.layers["terrain"][cell] == terrain
    assert grid.layers["country"][cell] != COUNTRY_OTHER
    assert_colour(colour_at(image, m, lat, lon), to_rgb(TERRAIN_COLOURS[terrain]))


def test_ground_outside_iraq_and_syria_is_paler(saved):
    m, image, grid = saved
    lat, lon = 37.40, 39.50  # Turkey, north of the Syrian frontier
    assert grid.layers["country"][grid.cell_of(lat, lon)] == COUNTRY_OTHER
    open_rgb = np.array(to_rgb(TERRAIN_COLOURS[Terrain.OPEN]))
    assert_colour(colour_at(image, m, lat, lon), open_rgb * (1 - ABROAD_PALE) + ABROAD_PALE)


def test_river_is_blue_along_the_euphrates(saved):
    m, image, _ = saved
    line = next(ln for ln in load_region().lines_of("river") if ln.name == "Euphrates (Iraq)")
    blues = 0
    for lat, lon in line.coords[2:-2]:
        r, g, b = colour_at(image, m, lat, lon)
        blues += b > 0.6 and b > r + 0.2
    assert blues >= 0.8 * (len(line.coords) - 4)


def test_map_is_true_to_scale(saved):
    """Pixels per km are the same east-west and north-south at the middle latitude."""
    m, _, grid = saved
    w = grid.window
    (x0, y0), (x1, y1) = m.pixel_of(w.south, w.west), m.pixel_of(w.north, w.east)
    mid = np.radians((w.south + w.north) / 2)
    px_per_km_x = (x1 - x0) / ((w.east - w.west) * KM_PER_DEG * np.cos(mid))
    px_per_km_y = (y0 - y1) / ((w.north - w.south) * KM_PER_DEG)
    assert px_per_km_x == pytest.approx(px_per_km_y, rel=0.01)
    left, top, right, bottom = m.map_box
    assert abs(x0 - left) <= 2 and abs(x1 - right) <= 2
    assert abs(y1 - top) <= 2 and abs(y0 - bottom) <= 2


def test_legend_does_not_cover_the_map(saved):
    m, _, _ = saved
    (l1, t1, r1, b1), (l2, t2, r2, b2) = m.map_box, m.legend_box
    assert r2 > l2 and b2 > t2
    assert r1 <= l2 or r2 <= l1 or b1 <= t2 or b2 <= t1
    assert 0 <= l2 and r2 <= SIZE[0] and 0 <= t2 and b2 <= SIZE[1]


def test_every_town_is_labelled_without_overlaps(saved):
    m, _, grid = saved
    towns = [p for p in load_region().towns() if grid.contains(p.lat, p.lon)]
    names = {p.name + ("?" if p.approximate else "") for p in towns}
    assert names == set(m.labels)
    for (a, box_a), (b, box_b) in itertools.combinations(m.labels.items(), 2):
        w = min(box_a[2], box_b[2]) - max(box_a[0], box_b[0])
        h = min(box_a[3], box_b[3]) - max(box_a[1], box_b[1])
        assert w <= 0 or h <= 0, f"labels {a} and {b} overlap"
    left, top, right, bottom = m.map_box
    for name, (x0, t, r, b) in m.labels.items():
        assert left <= x0 and r <= right and top <= t and b <= bottom, name


@pytest.mark.slow
def test_map_command_writes_a_png_of_the_requested_size(cli, tmp_path):
    out = tmp_path / "maps" / "quick.png"
    result = cli("map", "quick", "--out", out, "--size", "900x700")
    assert result.returncode == 0, result.stderr
    assert str(out) in result.stdout
    with Image.open(out) as im:
        assert im.size == (900, 700)
    # a tall image puts the legend below the map and still fits
    result = cli("map", "victory_will", "--out", tmp_path / "tall.png", "--size", "700x1000",
                 "--set", "map.cell_km=20")
    assert result.returncode == 0, result.stderr
    with Image.open(tmp_path / "tall.png") as im:
        assert im.size == (700, 1000)
