"""The map as the model sees it: terrain cells, rivers, lake, borders, roads, towns, provinces.

``draw_region_map`` draws a :class:`~encircle_sim.geography.RegionGrid` on a matplotlib axes in
plain longitude/latitude with the aspect set for the map's middle latitude, a 1-degree graticule
and a scale bar, so the picture can be held beside a real map. The campaign plots
(``plotting.py``) and the live page draw their agents on top of it.
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
from matplotlib.colors import to_rgb  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402
from matplotlib.patches import Patch  # noqa: E402

from encircle_sim.geography import KM_PER_DEG, RegionGrid, Terrain  # noqa: E402

TERRAIN_COLOURS = {
    Terrain.OPEN: "#efe3c2",
    Terrain.ROUGH: "#b99a6b",
    Terrain.WADI: "#d2b07a",
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
RIVER_COLOUR = "#1f5fb4"
BORDER_COLOUR = "#111111"
ROAD_COLOUR = "#8d3b2f"
PROVINCE_COLOUR = "#2e7d32"
OPERATION_COLOUR = "#c62828"
CROSSING_COLOUR = "#ffffff"
LABELLED_CLASSES = ("metropolis", "city", "town", "small_town", "village", "none")


def terrain_rgb(grid: RegionGrid) -> np.ndarray:
    """An (ny, nx, 3) image of the terrain classes, row 0 at the south (imshow origin='lower')."""
    table = np.array([to_rgb(TERRAIN_COLOURS[t]) for t in Terrain])
    return table[grid.layers["terrain"].T]


def _graticule(ax, grid: RegionGrid) -> None:
    w = grid.window
    ax.set_xticks(np.arange(np.ceil(w.west), np.floor(w.east) + 1))
    ax.set_yticks(np.arange(np.ceil(w.south), np.floor(w.north) + 1))
    ax.set_xticklabels([f"{v:g}°E" for v in ax.get_xticks()], fontsize=8)
    ax.set_yticklabels([f"{v:g}°N" for v in ax.get_yticks()], fontsize=8)
    ax.grid(color="#555555", lw=0.4, alpha=0.5, ls=":")


def _scale_bar(ax, grid: RegionGrid, km: float | None = None) -> None:
    w = grid.window
    width_km = (w.east - w.west) * KM_PER_DEG * np.cos(np.radians(w.south))
    if km is None:
        km = next(k for k in (500, 200, 100, 50, 20, 10, 5, 2, 1) if k <= width_km / 4)
    lat = w.south + 0.05 * (w.north - w.south)
    lon0 = w.west + 0.04 * (w.east - w.west)
    dlon = km / (KM_PER_DEG * np.cos(np.radians(lat)))
    ax.plot([lon0, lon0 + dlon], [lat, lat], color="black", lw=3, solid_capstyle="butt",
            zorder=12)
    ax.plot([lon0, lon0 + dlon / 2], [lat, lat], color="white", lw=1.4, solid_capstyle="butt",
            zorder=13)
    ax.text(lon0 + dlon / 2, lat + 0.012 * (w.north - w.south), f"{km:g} km", ha="center",
            va="bottom", fontsize=8, zorder=13,
            bbox=dict(facecolor="white", alpha=0.7, lw=0, pad=1))


def draw_region_map(grid: RegionGrid, operation_area: np.ndarray | None = None, ax=None,
                    title: str | None = None, labels: bool = True, legend: bool = True):
    """Draw the grid's terrain and the region's vector features; returns the axes."""
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
        ax.plot(line.coords[:, 1], line.coords[:, 0], color="#7b5b2e", lw=0.8, ls=(0, (4, 2)),
                zorder=3)
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
    if labels:
        for place in region.towns():
            if not grid.contains(place.lat, place.lon):
                continue
            marker = "^" if place.population_class == "none" else "o"
            size = {"metropolis": 40, "city": 28, "town": 18}.get(place.population_class, 10)
            ax.scatter(place.lon, place.lat, s=size, marker=marker, color="black",
                       edgecolor="white", lw=0.5, zorder=11)
            ax.annotate(place.name + ("?" if place.approximate else ""), (place.lon, place.lat),
                        xytext=(3, 3), textcoords="offset points", fontsize=6.5, zorder=11,
                        bbox=dict(facecolor="white", alpha=0.55, lw=0, pad=0.5))
    ax.set_xlim(w.west, w.east)
    ax.set_ylim(w.south, w.north)
    ax.set_aspect(1.0 / np.cos(np.radians((w.south + w.north) / 2.0)))
    _graticule(ax, grid)
    _scale_bar(ax, grid)
    if legend:
        handles = [Patch(color=TERRAIN_COLOURS[t], label=TERRAIN_LABELS[t]) for t in Terrain]
        handles += [
            Line2D([], [], color=BORDER_COLOUR, lw=2.2, label="Iraq-Syria border"),
            Line2D([], [], color=RIVER_COLOUR, lw=1.3, label="river"),
            Line2D([], [], color=ROAD_COLOUR, lw=0.9, label="main road (approximate)"),
            Line2D([], [], color=PROVINCE_COLOUR, lw=0.9, ls="--", label="province"),
        ]
        if operation_area is not None:
            handles.append(Line2D([], [], color=OPERATION_COLOUR, lw=2.0, label="operation area"))
        ax.legend(handles=handles, loc="upper left", fontsize=7, framealpha=0.85)
    if title:
        ax.set_title(title, fontsize=10)
    return ax


@dataclass
class SavedMap:
    """A map written to a PNG, and how to find a lat/lon on it."""

    path: Path
    size_px: tuple[int, int]
    _to_pixel: object

    def pixel_of(self, lat: float, lon: float) -> tuple[int, int]:
        """(column, row) of a point in the PNG, row 0 at the top."""
        x, y = self._to_pixel.transform((lon, lat))
        return int(round(x)), int(round(self.size_px[1] - y))


def save_region_map(path, grid: RegionGrid, operation_area: np.ndarray | None = None,
                    size_px: tuple[int, int] = (1600, 1200), title: str | None = None,
                    dpi: int = 100) -> SavedMap:
    """Write the map to a PNG of exactly ``size_px`` pixels."""
    path = Path(path)
    fig = plt.figure(figsize=(size_px[0] / dpi, size_px[1] / dpi), dpi=dpi)
    ax = fig.add_axes((0.05, 0.04, 0.92, 0.91))
    draw_region_map(grid, operation_area=operation_area, ax=ax, title=title)
    fig.canvas.draw()
    transform = ax.transData.frozen()
    tmp = path.with_name(f".{path.stem}.tmp{path.suffix}")
    fig.savefig(tmp, dpi=dpi, format="png")
    tmp.replace(path)
    plt.close(fig)
    return SavedMap(path, size_px, transform)
