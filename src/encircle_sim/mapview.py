"""The map as the model sees it: terrain cells, rivers, lake, borders, roads, towns, provinces.

``draw_region_map`` draws a :class:`~encircle_sim.geography.RegionGrid` on a matplotlib axes in
plain longitude/latitude with the aspect set for the map's middle latitude, a graticule and a
scale bar, so the picture can be held beside a real map. Ground outside Iraq and Syria is drawn
paler. Town labels are placed so that they do not overlap. The campaign plots (``plotting.py``)
and the live page draw their agents on top of it; ``save_region_map`` writes it as a PNG with
the legend beside the map, and can tell where any lat/lon landed in the image.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path

import matplotlib

# Figures go to files: Agg, no windows. A notebook kernel (or MPLBACKEND) keeps its own
# backend, so figures show inline there.
if "ipykernel" not in sys.modules and not os.environ.get("MPLBACKEND"):
    matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import shapely  # noqa: E402
from matplotlib import patheffects  # noqa: E402
from matplotlib.colors import to_rgb  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402
from matplotlib.patches import Patch  # noqa: E402
from shapely.geometry import Polygon, box  # noqa: E402
from shapely.ops import polylabel  # noqa: E402

from encircle_sim.geography import (  # noqa: E402
    COUNTRY_IRAQ,
    COUNTRY_OTHER,
    COUNTRY_SYRIA,
    KM_PER_DEG,
    RegionGrid,
    Terrain,
)

TERRAIN_COLOURS = {
    Terrain.OPEN: "#efe3c2",
    Terrain.ROUGH: "#b09a7a",
    Terrain.WADI: "#d9ad5b",
    Terrain.RIVER: "#3f7fcf",
    Terrain.LAKE: "#5b9bd5",
    Terrain.URBAN: "#8c8c8c",
    Terrain.CULTIVATED: "#a8c98a",
}
TERRAIN_LABELS = {
    Terrain.OPEN: "open desert", Terrain.ROUGH: "rough ground", Terrain.WADI: "wadi",
    Terrain.RIVER: "river", Terrain.LAKE: "lake", Terrain.URBAN: "urban",
    Terrain.CULTIVATED: "cultivated valley",
}
ABROAD_PALE = 0.55  # ground outside Iraq and Syria is blended this far towards white
RIVER_COLOUR = "#1f5fb4"
BORDER_COLOUR = "#111111"
ROAD_COLOUR = "#8d3b2f"
WADI_COLOUR = "#7b5b2e"
PROVINCE_COLOUR = "#2e7d32"
OPERATION_COLOUR = "#c62828"
CROSSING_COLOUR = "#ffffff"
LABELLED_CLASSES = ("metropolis", "city", "town", "small_town", "village", "none")
SOURCES_NOTE = ("Data: GeoNames (CC-BY 4.0), Natural Earth, World Data Bank II, NOAA GLOBE "
                "(public domain). Roads, frontiers other than Iraq-Syria, and places marked ? "
                "are approximate.")

_MARKER_SIZE = {"metropolis": 42, "city": 30, "town": 20, "small_town": 13, "village": 9,
                "none": 16}
_LABEL_SIZE = {"metropolis": 9.5, "city": 9.0, "town": 8.0, "small_town": 7.5, "village": 7.0,
               "none": 7.0}


def terrain_rgb(grid: RegionGrid, pale_abroad: bool = True) -> np.ndarray:
    """An (ny, nx, 3) image of the terrain classes, row 0 at the south (imshow origin='lower')."""
    table = np.array([to_rgb(TERRAIN_COLOURS[t]) for t in Terrain])
    rgb = table[grid.layers["terrain"].T]
    if pale_abroad:
        abroad = grid.layers["country"].T == COUNTRY_OTHER
        rgb[abroad] = rgb[abroad] * (1 - ABROAD_PALE) + ABROAD_PALE
    return rgb


def _tick_step(span_deg: float) -> float:
    return next((s for s in (0.25, 0.5, 1.0, 2.0) if span_deg / s <= 8), 5.0)


def _graticule(ax, grid: RegionGrid) -> None:
    w = grid.window
    step = _tick_step(max(w.east - w.west, w.north - w.south))
    xs = np.arange(np.ceil(w.west / step) * step, w.east + 1e-9, step)
    ys = np.arange(np.ceil(w.south / step) * step, w.north + 1e-9, step)
    ax.set_xticks(xs)
    ax.set_yticks(ys)
    ax.set_xticklabels([f"{v:g}°E" for v in xs], fontsize=8)
    ax.set_yticklabels([f"{v:g}°N" for v in ys], fontsize=8)
    ax.tick_params(top=True, right=True, labeltop=True, labelright=False, length=3)
    ax.grid(color="#555555", lw=0.5, alpha=0.55, ls=":")


def _scale_bar(ax, grid: RegionGrid, km: float | None = None) -> None:
    w = grid.window
    width_km = (w.east - w.west) * KM_PER_DEG * np.cos(np.radians(w.south))
    if km is None:
        km = next(k for k in (500, 200, 100, 50, 20, 10, 5, 2, 1) if k <= width_km / 4)
    lat = w.south + 0.04 * (w.north - w.south)
    lon0 = w.west + 0.03 * (w.east - w.west)
    dlon = km / (KM_PER_DEG * np.cos(np.radians(lat)))
    ax.plot([lon0, lon0 + dlon], [lat, lat], color="black", lw=4, solid_capstyle="butt",
            zorder=12)
    for i in range(4):  # alternate black and white quarters, as on a printed map
        if i % 2:
            ax.plot([lon0 + i * dlon / 4, lon0 + (i + 1) * dlon / 4], [lat, lat], color="white",
                    lw=2, solid_capstyle="butt", zorder=13)
    ax.text(lon0 + dlon / 2, lat + 0.015 * (w.north - w.south), f"0 – {km:g} km", ha="center",
            va="bottom", fontsize=8, zorder=13,
            bbox=dict(facecolor="white", alpha=0.75, lw=0, pad=1.5))


def legend_handles(operation_area: bool = True, crossings: bool = True) -> list:
    """Legend entries for what ``draw_region_map`` draws."""
    handles = [Patch(color=TERRAIN_COLOURS[t], label=TERRAIN_LABELS[t]) for t in Terrain]
    handles += [
        Patch(facecolor=np.array(to_rgb(TERRAIN_COLOURS[Terrain.OPEN])) * (1 - ABROAD_PALE)
              + ABROAD_PALE, edgecolor="#999999", lw=0.5, label="outside Iraq and Syria"),
        Line2D([], [], color=BORDER_COLOUR, lw=2.2, label="Iraq-Syria border"),
        Line2D([], [], color=BORDER_COLOUR, lw=1.0, ls=(0, (6, 3)), alpha=0.7,
               label="other frontier (approximate)"),
        Line2D([], [], color=PROVINCE_COLOUR, lw=0.9, ls="--", label="province / governorate"),
        Line2D([], [], color=RIVER_COLOUR, lw=1.3, label="river (course)"),
        Line2D([], [], color=WADI_COLOUR, lw=0.8, ls=(0, (4, 2)), label="wadi bed"),
        Line2D([], [], color=ROAD_COLOUR, lw=0.9, label="main road (approximate)"),
        Line2D([], [], color="black", marker="o", ls="", markersize=5, markeredgecolor="white",
               label="town (? = position approximate)"),
        Line2D([], [], color="black", marker="^", ls="", markersize=5, markeredgecolor="white",
               label="site"),
    ]
    if crossings:
        handles.append(Line2D([], [], color="#333333", marker="|", ls="", markersize=8,
                              markeredgewidth=1.6, label="river crossing (bridge/ford)"))
    if operation_area:
        handles.append(Line2D([], [], color=OPERATION_COLOUR, lw=2.0, label="operation area"))
    return handles


def _label_areas(ax, grid: RegionGrid) -> list:
    """Country, province and water names; returns the text artists."""
    w = grid.window
    frame = box(w.west, w.south, w.east, w.north)
    texts = []
    # keep area names off towns and rivers, where the map is busiest
    busy = shapely.union_all(
        [shapely.Point(p.lon, p.lat).buffer(0.15) for p in grid.region.towns()]
        + [shapely.LineString(line.coords[:, ::-1]).buffer(0.06)
           for line in grid.region.lines_of("river")])

    def place_label(ring_latlon, text, **style):
        poly = Polygon(np.asarray(ring_latlon)[:, ::-1])
        if not poly.is_valid:
            poly = shapely.make_valid(poly)
        part = poly.intersection(frame)
        quiet = part.difference(busy)
        if quiet.area > 0.3 * part.area:
            part = quiet
        if part.is_empty or part.area < 0.04 * frame.area:
            return
        if part.geom_type != "Polygon":
            part = max(getattr(part, "geoms", [part]), key=lambda g: g.area)
            if part.geom_type != "Polygon":
                return
        spot = polylabel(part, tolerance=0.01)
        texts.append(ax.text(spot.x, spot.y, text, ha="center", va="center", zorder=7, **style))

    for code, name in ((COUNTRY_IRAQ, "IRAQ"), (COUNTRY_SYRIA, "SYRIA")):
        place_label(grid.country_outline(code), name, fontsize=17, color="#6d6d6d", alpha=0.55,
                    fontweight="bold")
    for area in grid.region.areas_of("province"):
        label = area.name + (" gov." if area.country == "SY" else "")
        place_label(area.ring, label.upper(), fontsize=8.5, color=PROVINCE_COLOUR, alpha=0.9,
                    fontstyle="italic")
    water = dict(fontsize=8.5, color=RIVER_COLOUR, fontstyle="italic", zorder=7)
    for lake in grid.region.areas_of("lake"):  # beside the lake, so the water stays visible
        east = lake.ring[np.argmax(lake.ring[:, 1])]
        if grid.contains(*east):
            texts.append(ax.annotate(lake.name, (east[1], east[0]), xytext=(5, 0),
                                     textcoords="offset points", va="center", **water))
    # river names beside the river cells (not on them), along the river, with a white halo
    px_per_pt = ax.figure.dpi / 72.0
    cell_px = abs(ax.transData.transform((w.west + grid.dlon, w.south))[0]
                  - ax.transData.transform((w.west, w.south))[0])
    offset_pt = 3.0 + 1.5 * cell_px / px_per_pt
    halo = [patheffects.withStroke(linewidth=2.5, foreground="white")]
    for river, (lat, lon, angle) in _river_label_spots(ax, grid).items():
        normal = np.radians(angle + 90.0)
        texts.append(ax.annotate(river, (lon, lat), rotation=angle, rotation_mode="anchor",
                                 xytext=(offset_pt * np.cos(normal), offset_pt * np.sin(normal)),
                                 textcoords="offset points", ha="center", va="bottom",
                                 path_effects=halo, **water))
    return texts


def _river_label_spots(ax, grid: RegionGrid) -> dict[str, tuple[float, float, float]]:
    """For each river, a point on its longest stretch in the window and the text angle there."""
    spots = {}
    best_len: dict[str, float] = {}
    for line in grid.region.lines_of("river"):
        river = line.name.split(" (")[0]
        inside = grid.contains(line.coords[:, 0], line.coords[:, 1])
        pts = line.coords[inside]
        if len(pts) < 4:
            continue
        seg = np.hypot(np.diff(pts[:, 0]), np.diff(pts[:, 1]))
        if seg.sum() <= best_len.get(river, 0.0):
            continue
        best_len[river] = seg.sum()
        k = int(np.searchsorted(np.cumsum(seg), 0.45 * seg.sum()))
        k = min(max(k, 1), len(pts) - 3)
        a, b = pts[k - 1], pts[k + 2]  # a smoothed direction over a few vertices
        (xa, ya), (xb, yb) = ax.transData.transform([(a[1], a[0]), (b[1], b[0])])
        angle = np.degrees(np.arctan2(yb - ya, xb - xa))
        angle = angle - 180 if angle > 90 else angle + 180 if angle < -90 else angle
        spots[river] = (float(pts[k, 0]), float(pts[k, 1]), float(angle))
    return spots


def _label_places(ax, grid: RegionGrid, avoid=()) -> None:
    """Town markers and names; each name goes where it overlaps no other name or marker, nor
    the texts in ``avoid``."""
    fig = ax.figure
    fig.canvas.draw()  # a renderer and the final data-to-pixel transform
    renderer = fig.canvas.get_renderer()
    order = {c: i for i, c in enumerate(LABELLED_CLASSES)}
    towns = sorted((p for p in grid.region.towns() if grid.contains(p.lat, p.lon)),
                   key=lambda p: (order[p.population_class], p.name))
    to_px = ax.transData
    taken = []
    for text in avoid:
        bb = text.get_window_extent(renderer)
        taken.append((bb.x0, bb.y0, bb.x1, bb.y1))
    for p in towns:  # markers first: names must not hide any town
        x, y = to_px.transform((p.lon, p.lat))
        r = np.sqrt(_MARKER_SIZE[p.population_class]) / 2 + 1
        taken.append((x - r, y - r, x + r, y + r))
        ax.scatter(p.lon, p.lat, s=_MARKER_SIZE[p.population_class],
                   marker="^" if p.population_class == "none" else "o", color="black",
                   edgecolor="white", lw=0.6, zorder=11)
    axes_box = ax.get_window_extent(renderer)
    # candidate offsets in points: right, left, above, below, and the four diagonals
    candidates = [((5, 0), "left", "center"), ((-5, 0), "right", "center"),
                  ((0, 5), "center", "bottom"), ((0, -5), "center", "top"),
                  ((4, 4), "left", "bottom"), ((-4, 4), "right", "bottom"),
                  ((4, -4), "left", "top"), ((-4, -4), "right", "top")]
    # a second ring further out, for crowded places (Mayadin, Dhiban, Hawayij, Tayyanah)
    candidates += [((dx * 3, dy * 3), ha, va) for (dx, dy), ha, va in candidates]
    for p in towns:
        best = None
        for (dx, dy), ha, va in candidates:
            far = abs(dx) + abs(dy) > 10  # set off from its town: draw a leader line
            text = ax.annotate(p.name + ("?" if p.approximate else ""), (p.lon, p.lat),
                               xytext=(dx, dy), textcoords="offset points", ha=ha, va=va,
                               fontsize=_LABEL_SIZE[p.population_class], zorder=11,
                               bbox=dict(facecolor="white", alpha=0.65, lw=0, pad=0.6),
                               arrowprops=dict(arrowstyle="-", lw=0.6, color="#333333",
                                               shrinkA=0, shrinkB=2) if far else None)
            bb = text.get_window_extent(renderer)
            rect = (bb.x0, bb.y0, bb.x1, bb.y1)
            overlap = sum(_overlap(rect, t) for t in taken)
            inside = (bb.x0 >= axes_box.x0 and bb.x1 <= axes_box.x1 and bb.y0 >= axes_box.y0
                      and bb.y1 <= axes_box.y1)
            score = overlap + (0 if inside else 1e6)
            if best is None or score < best[0]:
                if best is not None:
                    best[1].remove()
                best = (score, text, rect)
            else:
                text.remove()
            if score == 0:
                break
        taken.append(best[2])


def _overlap(a, b) -> float:
    w = min(a[2], b[2]) - max(a[0], b[0])
    h = min(a[3], b[3]) - max(a[1], b[1])
    return w * h if w > 0 and h > 0 else 0.0


def draw_region_map(grid: RegionGrid, operation_area: np.ndarray | None = None, ax=None,
                    title: str | None = None, labels: bool = True, legend: bool | str = True):
    """Draw the grid's terrain and the region's vector features; returns the axes.

    ``legend``: True puts it in the upper-left corner of the map, ``"outside"`` to the right of
    the map, False leaves it out (see :func:`legend_handles` to draw it elsewhere).
    """
    if ax is None:
        _, ax = plt.subplots(figsize=(12, 9))
    w = grid.window
    region = grid.region
    ax.imshow(terrain_rgb(grid), origin="lower", extent=(w.west, w.east, w.south, w.north),
              interpolation="nearest", zorder=0)
    for area in region.areas_of("province"):
        ring = np.vstack([area.ring, area.ring[:1]])
        ax.plot(ring[:, 1], ring[:, 0], color=PROVINCE_COLOUR, lw=0.9, ls="--", alpha=0.8,
                zorder=2)
    for line in region.lines_of("road"):
        ax.plot(line.coords[:, 1], line.coords[:, 0], color=ROAD_COLOUR, lw=0.9, alpha=0.8,
                zorder=3)
    for line in region.lines_of("wadi"):
        ax.plot(line.coords[:, 1], line.coords[:, 0], color=WADI_COLOUR, lw=0.8,
                ls=(0, (4, 2)), zorder=3)
    for line in region.lines_of("river"):
        ax.plot(line.coords[:, 1], line.coords[:, 0], color=RIVER_COLOUR, lw=1.3, zorder=4)
    for line in region.lines_of("frontier"):
        ax.plot(line.coords[:, 1], line.coords[:, 0], color=BORDER_COLOUR, lw=1.0,
                ls=(0, (6, 3)), alpha=0.7, zorder=4)
    for line in region.lines_of("border"):
        ax.plot(line.coords[:, 1], line.coords[:, 0], color=BORDER_COLOUR, lw=2.2, zorder=4)
    cx, cy = np.nonzero(grid.layers["crossing"])
    if len(cx):
        lat, lon = grid.latlon_of(cx, cy)
        ax.scatter(lon, lat, marker="|", s=40, color=CROSSING_COLOUR, lw=1.6, zorder=5)
    if operation_area is not None and len(operation_area):
        ring = np.vstack([operation_area, operation_area[:1]])
        ax.plot(ring[:, 1], ring[:, 0], color=OPERATION_COLOUR, lw=2.0, ls="-", zorder=6,
                label="operation area")
    ax.set_xlim(w.west, w.east)
    ax.set_ylim(w.south, w.north)
    ax.set_aspect(1.0 / np.cos(np.radians((w.south + w.north) / 2.0)))
    _graticule(ax, grid)
    _scale_bar(ax, grid)
    if labels:
        ax.figure.canvas.draw()  # fix the layout, so label positions can be measured in pixels
        _label_places(ax, grid, avoid=_label_areas(ax, grid))
    if legend:
        handles = legend_handles(operation_area is not None, crossings=bool(len(cx)))
        if legend == "outside":
            ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.015, 1.0),
                      borderaxespad=0.0, fontsize=8, framealpha=1.0, title="Legend",
                      title_fontsize=9)
        elif legend == "below":
            ax.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, 0.0),
                      borderaxespad=2.2, fontsize=7.5, framealpha=1.0, ncol=3)
        else:
            ax.legend(handles=handles, loc="upper left", fontsize=7, framealpha=0.85)
    if title:
        ax.set_title(title, fontsize=11, pad=20)
    return ax


@dataclass
class SavedMap:
    """A map written to a PNG, and how to find a lat/lon on it.

    ``map_box`` and ``legend_box`` are the (left, top, right, bottom) pixel boxes of the map and
    of its legend in the image (row 0 at the top).
    """

    path: Path
    size_px: tuple[int, int]
    _to_pixel: object
    map_box: tuple[int, int, int, int] = (0, 0, 0, 0)
    legend_box: tuple[int, int, int, int] = (0, 0, 0, 0)
    labels: dict[str, tuple[int, int, int, int]] | None = None

    def pixel_of(self, lat: float, lon: float) -> tuple[int, int]:
        """(column, row) of a point in the PNG, row 0 at the top."""
        x, y = self._to_pixel.transform((lon, lat))
        return int(np.floor(x)), int(np.floor(self.size_px[1] - y))


def save_region_map(path, grid: RegionGrid, operation_area: np.ndarray | None = None,
                    size_px: tuple[int, int] = (1600, 1200), title: str | None = None,
                    dpi: int = 100) -> SavedMap:
    """Write the map to a PNG of exactly ``size_px`` pixels.

    The legend goes to the right of the map or below it, whichever leaves the map larger.
    """
    path = Path(path)
    width, height = size_px
    fig = plt.figure(figsize=(width / dpi, height / dpi), dpi=dpi)
    n_title = title.count("\n") + 1 if title else 0
    title_size = 11 if width >= 1100 else 9
    fig.text(0.005, 0.004, SOURCES_NOTE, fontsize=6.5, color="#444444", ha="left",
                    va="bottom", wrap=True)
    note_px = 14 if len(SOURCES_NOTE) * 3.6 < width - 10 else 24  # one line or two
    top = 8 + n_title * title_size * 1.45 + 24   # title, then the top tick labels
    bottom = note_px + 26                          # the note, then the bottom tick labels
    left, right = 62, 16
    w = grid.window
    aspect = (w.east - w.west) * np.cos(np.radians((w.south + w.north) / 2)) / (w.north - w.south)
    legend_w, legend_h = 255, 6 * 15 + 20
    beside = min((width - left - right - legend_w) / aspect, height - top - bottom)
    below = min((width - left - right) / aspect, height - top - bottom - legend_h - 26)
    where = "outside" if beside >= below else "below"
    if where == "outside":
        rect = (left, bottom, width - left - right - legend_w, height - top - bottom)
    else:
        rect = (left, bottom + legend_h + 26, width - left - right,
                height - top - bottom - legend_h - 26)
    ax = fig.add_axes((rect[0] / width, rect[1] / height, rect[2] / width, rect[3] / height))
    ax.set_anchor("W" if where == "outside" else "N")
    draw_region_map(grid, operation_area=operation_area, ax=ax, legend=where)
    if title:
        fig.suptitle(title, fontsize=title_size, y=1 - 6 / height, va="top")
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()

    def box_of(artist) -> tuple[int, int, int, int]:
        bb = artist.get_window_extent(renderer)
        return (int(np.floor(bb.x0)), int(np.floor(height - bb.y1)), int(np.ceil(bb.x1)),
                int(np.ceil(height - bb.y0)))

    town_names = {p.name + ("?" if p.approximate else "") for p in grid.region.towns()}
    labels = {t.get_text(): box_of(t) for t in ax.texts if t.get_text() in town_names}
    transform = ax.transData.frozen()
    legend = ax.get_legend()
    tmp = path.with_name(f".{path.stem}.tmp{path.suffix}")
    fig.savefig(tmp, dpi=dpi, format="png")
    tmp.replace(path)
    plt.close(fig)
    return SavedMap(path, size_px, transform, map_box=box_of(ax.patch),
                    legend_box=box_of(legend) if legend else (0, 0, 0, 0), labels=labels)
