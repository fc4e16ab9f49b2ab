"""The live map as image frames, fast: the static map is drawn once, each frame draws what moves.

A full matplotlib draw of the region map (terrain image, rivers, border, roads, town labels,
graticule, legends) takes a few hundred milliseconds; the agents and overlays on top take a few.
:class:`MapFrame` draws the static part once and keeps its pixels. A frame copies them, repaints
the pocket/cordon colours of only the grid cells whose state changed since the last frame (numpy,
straight into the pixels), draws the units, cells and markers on top (matplotlib's blitting:
``draw_artist`` on animated artists made once, whose data are replaced), and encodes the canvas.
The frame shows:

* the pocket (uncleared part of the operation area): light fill and a cell-exact outline;
* the cordon (inner edge of the operation area): cells held by a unit within the cordon radius,
  and gaps;
* security-force units, coloured by side, shaped by task;
* insurgent cells: either as they are (ground truth, by state), or as the forces know them
  (each located cell at its last known position, fainter as the report ages: knowledge.py);
* optionally supply caches and the cells' communication links;
* this step's engagements, escapes and attacks elsewhere.

A frame draws a :class:`~encircle_sim.recording.StepPicture`, taken from a live model
(:func:`~encircle_sim.recording.picture_of`) or from a run's recording (the replay and the
after-action animation), so all three show the same picture. Everything is drawn in
longitude/latitude, on the same axes as :func:`mapview.draw_region_map`.
"""

from __future__ import annotations

import functools
import threading
from collections import OrderedDict
from dataclasses import dataclass

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: E402
from matplotlib.colors import to_rgba  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402
from matplotlib.patches import Patch  # noqa: E402

from encircle_sim.geography import KM_PER_DEG  # noqa: E402
from encircle_sim.mapview import (  # noqa: E402
    BORDER_COLOUR,
    OPERATION_COLOUR,
    RIVER_COLOUR,
    ROAD_COLOUR,
    TERRAIN_COLOURS,
    TERRAIN_LABELS,
    draw_region_map,
)
from encircle_sim.metrics import ATTACK_KINDS, CONTACT_KINDS, ESCAPE_KINDS  # noqa: E402
from encircle_sim.plotting import SIDE_COLOURS, operation_ring  # noqa: E402
from encircle_sim.recording import StepPicture, picture_of  # noqa: E402
from encircle_sim.state import CellState, Side, Task  # noqa: E402
from encircle_sim.viz.encode import encode_jpeg  # noqa: E402

TASK_MARKERS = {Task.PERIMETER: "s", Task.AXIS: ">", Task.BLOCK: "D", Task.BORDER_SCREEN: "^",
                Task.HUNT: "p", Task.RESERVE: "o"}
#: Insurgent cells by state: (label, marker, face colour, edge colour, size); hidden cells hollow.
CELL_STYLES = {
    CellState.HIDDEN: ("cell hidden", "o", "none", "#7a0000", 18),
    CellState.MOVING: ("cell moving", "o", "#e53935", "white", 22),
    CellState.SLIPPING: ("cell slipping away", "o", "#ff9100", "black", 26),
    CellState.ATTACKING: ("cell attacking (ambush)", "v", "#d500f9", "black", 34),
}
TASK_LABELS = {Task.PERIMETER: "perimeter", Task.AXIS: "axis of advance", Task.BLOCK: "blocking",
               Task.BORDER_SCREEN: "border screen", Task.HUNT: "hunting", Task.RESERVE: "reserve"}
POCKET_FILL = "#b71c1c"
POCKET_EDGE = "#b71c1c"
CORDON_HELD = "#00897b"
CORDON_GAP = "#ff9100"
CACHE_COLOUR = "#5d4037"
ORDER_COLOUR = "#00b0ff"
LINK_COLOUR = "#37474f"

#: Pixel size of a map frame: shown at this size, or shrunk to fit the page's column.
FRAME_SIZE = (820, 640)
#: Which picture of the cells the map shows: ground truth, or what the forces know.
SHOW_ALL = "all"
SHOW_KNOWN = "known"
#: The forces' picture: a located cell's marker by the age of the report (knowledge.AGE_BINS):
#: (label, opacity).
KNOWN_STYLES = (("located < 1 day ago", 0.95), ("located 1-3 days ago", 0.6),
                ("located 3-7 days ago", 0.35), ("located > 7 days ago", 0.15))
KNOWN_COLOUR = "#b71c1c"


@dataclass(frozen=True)
class Layers:
    """What a frame shows besides units, cells and the pocket (the page's map options)."""

    cells: str = SHOW_ALL  # SHOW_ALL (ground truth) or SHOW_KNOWN (what the forces know)
    cordon: bool = True
    caches: bool = False
    links: bool = False
    events: bool = True


def as_picture(source) -> StepPicture:
    """A picture as it is, or the current step of a live model."""
    return source if isinstance(source, StepPicture) else picture_of(source)


def step_events(source) -> dict[str, np.ndarray]:
    """(lon, lat) arrays of a step's contacts, escapes and attacks elsewhere.

    Only that step's events are read (``EventLog.at_step`` for a live model), so the cost does
    not grow with the campaign's length.
    """
    out: dict[str, list] = {"contact": [], "escape": [], "attack": [], "order": []}
    for kind, lat, lon in as_picture(source).events:
        group = ("contact" if kind in CONTACT_KINDS else "escape" if kind in ESCAPE_KINDS
                 else "attack" if kind in ATTACK_KINDS else "order" if kind == "order"
                 else None)
        if group:
            out[group].append((lon, lat))
    return {g: np.asarray(v, float).reshape(-1, 2) for g, v in out.items()}


def visible_cells(source, layers: Layers) -> np.ndarray:
    """Indices of the cells drawn as they are: every active cell in the ground-truth view, none
    in the forces' view (which draws :func:`known_cells` instead)."""
    p = as_picture(source)
    if layers.cells == SHOW_KNOWN:
        return np.zeros(0, np.int64)
    return np.flatnonzero(p.cell_active)


def known_cells(source) -> tuple[np.ndarray, np.ndarray]:
    """The forces' picture: (located cells believed active, the age bin of each report)."""
    from encircle_sim.knowledge import AGE_BINS

    p = as_picture(source)
    idx = p.known
    return idx, np.searchsorted(np.asarray(AGE_BINS), p.known_age_days[idx], side="right")


def default_zoom(model) -> bool:
    """Zoom to the operation when it is all there is to see; the whole map with Syria on."""
    theatres = model.spec.theatres
    return bool(theatres.iraq and not theatres.syria)


def marker_colours() -> list[tuple[int, int, int]]:
    """RGB of every colour the moving layer draws (a GIF's palette must hold them)."""
    colours = list(SIDE_COLOURS.values()) + [POCKET_EDGE, CORDON_HELD, CORDON_GAP, CACHE_COLOUR,
                                             LINK_COLOUR, "#ffd600", "#6a1b9a", "#ff1744",
                                             ORDER_COLOUR,
                                             "black", "white"]
    colours += [face for *_, face, _e, _s in CELL_STYLES.values() if face != "none"]
    colours += [edge for *_, edge, _s in CELL_STYLES.values()]
    return [tuple(int(round(255 * v)) for v in to_rgba(c)[:3]) for c in dict.fromkeys(colours)]


def mask_outline(mask: np.ndarray, x_edges: np.ndarray, y_edges: np.ndarray) -> np.ndarray:
    """Segments, shape (n, 2, 2), along the cell edges between True and False cells of ``mask``.

    ``mask`` is indexed [x, y]; ``x_edges``/``y_edges`` are the cell edges (n + 1 values).
    """
    m = np.pad(mask.astype(bool), 1)
    vx, vy = np.nonzero(m[:-1, 1:-1] != m[1:, 1:-1])  # edge left of column vx (padded index)
    vertical = np.stack([np.stack([x_edges[vx], y_edges[vy]], -1),
                         np.stack([x_edges[vx], y_edges[vy + 1]], -1)], 1)
    hx, hy = np.nonzero(m[1:-1, :-1] != m[1:-1, 1:])
    horizontal = np.stack([np.stack([x_edges[hx], y_edges[hy]], -1),
                           np.stack([x_edges[hx + 1], y_edges[hy]], -1)], 1)
    return np.concatenate([vertical, horizontal]).reshape(-1, 2, 2)


def polyline(segments) -> tuple[np.ndarray, np.ndarray]:
    """(x, y) of segments joined into one line broken by NaNs: one artist, drawn in one call."""
    seg = np.asarray(segments, float).reshape(-1, 2, 2)
    pts = np.full((len(seg), 3, 2), np.nan)
    pts[:, :2] = seg
    pts = pts.reshape(-1, 2)
    return pts[:, 0], pts[:, 1]


def legend_handles() -> tuple[list, list]:
    """(map legend, campaign legend) proxy artists; drawn once with the static background."""
    terrain = [Patch(color=TERRAIN_COLOURS[t], label=TERRAIN_LABELS[t]) for t in TERRAIN_COLOURS]
    terrain += [
        Line2D([], [], color=BORDER_COLOUR, lw=2.2, label="Iraq-Syria border"),
        Line2D([], [], color=RIVER_COLOUR, lw=1.3, label="river"),
        Line2D([], [], color=ROAD_COLOUR, lw=0.9, label="main road (approx.)"),
        Line2D([], [], color=OPERATION_COLOUR, lw=2.0, label="operation area"),
    ]
    campaign = [Patch(facecolor=to_rgba(POCKET_FILL, 0.15), edgecolor=POCKET_EDGE, lw=1.5,
                      label="pocket (not yet cleared)"),
                Patch(color=CORDON_HELD, alpha=0.55, label="cordon, held"),
                Patch(color=CORDON_GAP, alpha=0.8, label="cordon, gap")]
    campaign += [Patch(color=colour, label=f"{side.name} units") for side, colour in
                 SIDE_COLOURS.items()]
    campaign += [Line2D([], [], ls="", marker=TASK_MARKERS[t], color="#555555", markersize=6,
                        label=TASK_LABELS[t]) for t in Task]
    campaign += [Line2D([], [], ls="", marker=marker, markersize=np.sqrt(size) * 1.05,
                        markerfacecolor=face, markeredgecolor=edge, label=label,
                        markeredgewidth=1.1 if face == "none" else 0.5)
                 for label, marker, face, edge, size in CELL_STYLES.values()]
    campaign += [Line2D([], [], ls="", marker="o", markersize=6, label=label,
                        markerfacecolor=to_rgba(KNOWN_COLOUR, alpha),
                        markeredgecolor=to_rgba("black", alpha), markeredgewidth=0.6)
                 for label, alpha in KNOWN_STYLES]
    campaign += [
        Line2D([], [], ls="", marker="s", markersize=5, color=CACHE_COLOUR,
               label="supply cache"),
        Line2D([], [], color=LINK_COLOUR, lw=0.8, alpha=0.7, label="cell network link"),
        Line2D([], [], ls="", marker="X", markersize=8, color="#ffd600",
               markeredgecolor="black", markeredgewidth=0.5, label="contact this step"),
        Line2D([], [], ls="", marker="x", markersize=8, color="#6a1b9a", markeredgewidth=2,
               label="escape this step"),
        Line2D([], [], ls="", marker="*", markersize=11, color="#ff1744",
               markeredgecolor="black", markeredgewidth=0.4, label="attack elsewhere"),
        Line2D([], [], ls="", marker="P", markersize=10, color=ORDER_COLOUR,
               markeredgecolor="black", markeredgewidth=0.6, label="order given (its target)"),
    ]
    return terrain, campaign


#: Overlay styles painted per grid cell straight into the frame's pixels: (colour, opacity).
OVERLAY_STYLES = {1: (POCKET_FILL, 0.15), 2: (CORDON_HELD, 0.55), 3: (CORDON_GAP, 0.8)}
_EMPTY = np.empty((0, 2))


def zoom_window(model, margin_deg: float = 0.25) -> tuple[float, float, float, float]:
    """(west, east, south, north) around the operation area and where the forces assemble.

    Read from the scenario, not from where units are now, so the view (and its cached
    background) stays put while the campaign runs.
    """
    w = model.region.window
    spec = model.spec
    ring = operation_ring(spec)
    points = [(f.start.lat, f.start.lon) for f in spec.forces if f.side != "SDF"]
    points += [(f.area.lat, f.area.lon) for f in spec.forces if f.area is not None
               and f.side != "SDF"]
    if ring is not None:
        points += [tuple(p) for p in ring]
    if not points:
        return (w.west, w.east, w.south, w.north)
    lat, lon = np.array(points, float).T
    return (max(w.west, float(lon.min()) - margin_deg), min(w.east, float(lon.max()) + margin_deg),
            max(w.south, float(lat.min()) - margin_deg),
            min(w.north, float(lat.max()) + margin_deg))


def scale_bar(ax, west: float, east: float, south: float, north: float) -> None:
    """A scale bar in the lower-left corner of the view (the map's own sits at the window's)."""
    width_km = (east - west) * KM_PER_DEG * np.cos(np.radians(south))
    km = next(k for k in (500, 200, 100, 50, 20, 10, 5, 2, 1) if k <= width_km / 4)
    lat = south + 0.05 * (north - south)
    lon0 = west + 0.04 * (east - west)
    dlon = km / (KM_PER_DEG * np.cos(np.radians(lat)))
    ax.plot([lon0, lon0 + dlon], [lat, lat], color="black", lw=3, solid_capstyle="butt", zorder=12)
    ax.plot([lon0, lon0 + dlon / 2], [lat, lat], color="white", lw=1.4, solid_capstyle="butt",
            zorder=13)
    ax.text(lon0 + dlon / 2, lat + 0.012 * (north - south), f"{km:g} km", ha="center",
            va="bottom", fontsize=8, zorder=13,
            bbox=dict(facecolor="white", alpha=0.7, lw=0, pad=1))


#: Margins around the map axes, in pixels (tick labels left, above and below the map).
MARGIN_LEFT, MARGIN_RIGHT, MARGIN_TOP, MARGIN_BOTTOM = 44, 12, 24, 24
#: Width of the legend column when the legends are drawn beside the map (pixels).
LEGEND_WIDTH = 190
#: Caption band above the map (animation frames: day and phase, counts, this step's events):
#: (font size, bold, pixels from the top) of each line, and the band's height.
CAPTION_LINES = ((12.5, True, 8), (9.5, False, 32), (9.5, False, 50))
CAPTION_HEIGHT = 72


def view_extent(model, zoom: bool) -> tuple[float, float, float, float]:
    """(west, east, south, north) the map shows."""
    if zoom:
        return zoom_window(model)
    w = model.region.window
    return (w.west, w.east, w.south, w.north)


def fitted_height(model, zoom: bool, width: int, legend: bool = True,
                  caption: bool = False) -> int:
    """The frame height at which a map ``width`` pixels wide fills its axes (no empty band).

    The map keeps the aspect :func:`mapview.draw_region_map` gives it (1 / cos of the window's
    middle latitude); the legend column needs at least 560 pixels.
    """
    w = model.region.window
    west, east, south, north = view_extent(model, zoom)
    ratio = (north - south) / ((east - west) * np.cos(np.radians((w.south + w.north) / 2.0)))
    map_w = width - MARGIN_LEFT - MARGIN_RIGHT - (LEGEND_WIDTH if legend else 0)
    height = int(round(map_w * ratio)) + MARGIN_TOP + MARGIN_BOTTOM
    height += CAPTION_HEIGHT if caption else 0
    height = max(height, 560) if legend else height
    return height + height % 2  # even: video encoders want even sizes


class CaptionBand:
    """Lines of text drawn with Pillow into the band above the map: about 0.3 ms a frame, where
    matplotlib's text layout takes tens of milliseconds. The font is matplotlib's own."""

    def __init__(self, width: int, dpi: int = 100):
        from matplotlib import font_manager
        from PIL import ImageFont

        self.width = width
        self.fonts = []
        for size, bold, _ in CAPTION_LINES:
            path = font_manager.findfont(font_manager.FontProperties(
                family="DejaVu Sans", weight="bold" if bold else "normal"))
            self.fonts.append(ImageFont.truetype(path, round(size * dpi / 72)))

    def fit(self, text: str, font) -> str:
        """``text`` cut (with an ellipsis) to the band's width."""
        room = self.width - MARGIN_LEFT - 10
        if font.getlength(text) <= room:
            return text
        lo, hi = 0, len(text)
        while lo < hi:  # the longest prefix that fits with the ellipsis
            mid = (lo + hi + 1) // 2
            if font.getlength(text[:mid] + "…") <= room:
                lo = mid
            else:
                hi = mid - 1
        return text[:lo].rstrip(" ,;") + "…"

    def draw(self, lines) -> np.ndarray:
        """The band with ``lines`` (up to three) as an (h, w, 3) uint8 array."""
        from PIL import Image, ImageDraw

        band = Image.new("RGB", (self.width, CAPTION_HEIGHT), "white")
        pen = ImageDraw.Draw(band)
        for (_, bold, top), font, text in zip(CAPTION_LINES, self.fonts, lines, strict=False):
            pen.text((MARGIN_LEFT, top), self.fit(text, font), font=font,
                     fill="black" if bold else "#333333")
        return np.asarray(band)


class MapFrame:
    """The static map of one scenario geometry, and fast frames of a model on top of it.

    ``zoom=True`` shows the operation area and the forces around it instead of the whole window.
    ``legend`` draws the legends beside the map; ``caption`` keeps a band above the map for
    three lines of text (the animation's day and phase, counts, and this step's events).
    ``size_px`` is (width, height); a height of None fits the frame to the map's aspect.
    ``model`` is anything with the model's ``region`` and ``spec`` (a run folder will do).
    """

    format = "jpeg"

    def __init__(self, model, zoom: bool = False,
                 size_px: tuple[int, int | None] = FRAME_SIZE, dpi: int = 100,
                 legend: bool = True, caption: bool = False):
        self.region = model.region
        w = self.region.window
        width, height = size_px
        if height is None:
            height = fitted_height(model, zoom, width, legend, caption)
        self.size_px = (int(width), int(height))
        self.zoom = zoom
        self.lock = threading.Lock()
        fig = self.fig = Figure(figsize=(width / dpi, height / dpi), dpi=dpi)
        FigureCanvasAgg(fig)
        top = MARGIN_TOP + (CAPTION_HEIGHT if caption else 0)
        right = MARGIN_RIGHT + (LEGEND_WIDTH if legend else 0)
        self.ax = ax = fig.add_axes((MARGIN_LEFT / width, MARGIN_BOTTOM / height,
                                     (width - MARGIN_LEFT - right) / width,
                                     (height - top - MARGIN_BOTTOM) / height))
        draw_region_map(self.region, operation_area=operation_ring(model.spec), ax=ax,
                        legend=False)
        ax.set_anchor("NW")  # the map keeps its aspect: any room left over goes below it
        if zoom:
            west, east, south, north = zoom_window(model)
            ax.set_xlim(west, east)
            ax.set_ylim(south, north)
            scale_bar(ax, west, east, south, north)
        for text in ax.texts:  # town labels (and a scale bar) outside the view: cut at its edge
            text.set_clip_box(ax.bbox)
            text.set_clip_on(True)
        if legend:
            terrain, campaign = legend_handles()
            x = 1 - (LEGEND_WIDTH - 8) / width
            fig.legend(handles=campaign, loc="upper left", bbox_to_anchor=(x, 1 - top / height),
                       fontsize=7.5, frameon=False, title="campaign", title_fontsize=8.5,
                       alignment="left", handlelength=1.5, borderaxespad=0, labelspacing=0.35)
            fig.legend(handles=terrain, loc="lower left",
                       bbox_to_anchor=(x, MARGIN_BOTTOM / height), fontsize=7.5,
                       frameon=False, title="map", title_fontsize=8.5, alignment="left",
                       handlelength=1.5, borderaxespad=0, labelspacing=0.3)
        self.caption = CaptionBand(width, dpi) if caption else None
        self.x_edges = w.west + np.arange(self.region.nx + 1) * self.region.dlon
        self.y_edges = w.south + np.arange(self.region.ny + 1) * self.region.dlat
        self._make_dynamic_artists()
        fig.canvas.draw()  # everything but the animated (dynamic) artists
        self.base = np.array(fig.canvas.buffer_rgba())  # the static map's pixels
        self.composited = self.base.copy()  # ... with the last frame's overlay painted in
        self.painted = np.zeros((self.region.nx, self.region.ny), np.uint8)
        self._pixel_cells()
        self.frames = 0

    def _make_dynamic_artists(self) -> None:
        """The artists of the dynamic layer, made once; each frame only sets their data."""
        ax = self.ax
        # lines broken by NaNs: far cheaper to update and draw than a LineCollection of segments
        (self.outline,) = ax.plot([], [], color=POCKET_EDGE, lw=1.4, zorder=6,
                                  solid_capstyle="projecting", scalex=False, scaley=False)
        (self.links,) = ax.plot([], [], color=LINK_COLOUR, lw=0.7, alpha=0.6, zorder=7,
                                scalex=False, scaley=False)
        self.caches = ax.scatter([], [], s=14, marker="s", c=CACHE_COLOUR, edgecolors="white",
                                 linewidths=0.4, zorder=8)
        self.units = {t: ax.scatter([], [], s=34, marker=m, edgecolors="white", linewidths=0.6,
                                    zorder=9) for t, m in TASK_MARKERS.items()}
        self.cells = {
            state: ax.scatter([], [], s=size, marker=marker, facecolors=face, edgecolors=edge,
                              linewidths=1.1 if face == "none" else 0.5, zorder=10)
            for state, (_, marker, face, edge, size) in CELL_STYLES.items()}
        self.known = ax.scatter([], [], s=30, marker="o", linewidths=0.6, zorder=10)
        self.known_rgba = np.array([to_rgba(KNOWN_COLOUR, a) for _, a in KNOWN_STYLES])
        self.known_edge = np.array([to_rgba("black", a) for _, a in KNOWN_STYLES])
        self.events = {
            "contact": ax.scatter([], [], marker="X", s=70, c="#ffd600", edgecolors="black",
                                  linewidths=0.5, zorder=11),
            "escape": ax.scatter([], [], marker="x", s=70, c="#6a1b9a", linewidths=2.0, zorder=11),
            "attack": ax.scatter([], [], marker="*", s=150, c="#ff1744", edgecolors="black",
                                 linewidths=0.4, zorder=11),
            "order": ax.scatter([], [], marker="P", s=150, c=ORDER_COLOUR, edgecolors="black",
                                linewidths=0.6, zorder=12),
        }
        self.side_rgba = np.array([to_rgba(SIDE_COLOURS[Side(s)]) for s in range(len(Side))])
        self.dynamic = ([self.outline, self.links, self.caches] + list(self.units.values())
                        + list(self.cells.values()) + [self.known]
                        + list(self.events.values()))
        for a in self.dynamic:
            a.set_animated(True)

    def _pixel_cells(self) -> None:
        """For each grid cell: the block of canvas pixels it covers under the map axes."""
        height = self.fig.canvas.get_width_height()[1]
        x0, y0, x1, y1 = self.ax.get_window_extent().extents
        cols = np.arange(int(np.ceil(x0)), int(np.floor(x1)))
        rows = np.arange(int(np.ceil(height - y1)), int(np.floor(height - y0)))  # top down
        inv = self.ax.transData.inverted()
        lon = inv.transform(np.column_stack([cols + 0.5, np.full(len(cols), y0)]))[:, 0]
        lat = inv.transform(np.column_stack([np.full(len(rows), x0), height - rows - 0.5]))[:, 1]
        w = self.region.window
        ix = np.floor((lon - w.west) / self.region.dlon).astype(int)
        iy = np.floor((lat - w.south) / self.region.dlat).astype(int)
        # pixel columns [col_lo[x], col_hi[x]) show cell column x; rows likewise (empty if none)
        self.col_lo = np.zeros(self.region.nx, int)
        self.col_hi = np.zeros(self.region.nx, int)
        self.row_lo = np.zeros(self.region.ny, int)
        self.row_hi = np.zeros(self.region.ny, int)
        for lo, hi, px, cell, n in ((self.col_lo, self.col_hi, cols, ix, self.region.nx),
                                    (self.row_lo, self.row_hi, rows, iy, self.region.ny)):
            for k in range(n):
                on = px[cell == k]
                if len(on):
                    lo[k], hi[k] = on.min(), on.max() + 1
        self.overlay_rgb = np.zeros((len(OVERLAY_STYLES) + 1, 3), np.float32)
        self.overlay_alpha = np.zeros(len(OVERLAY_STYLES) + 1, np.float32)
        for k, (colour, alpha) in OVERLAY_STYLES.items():
            self.overlay_rgb[k] = np.array(to_rgba(colour)[:3]) * 255.0
            self.overlay_alpha[k] = alpha

    # ---- the dynamic layer --------------------------------------------------------------------
    def overlay_cells(self, source, layers: Layers) -> np.ndarray | None:
        """Per grid cell [x, y]: 0 nothing, 1 pocket, 2 cordon held, 3 cordon gap."""
        p = as_picture(source)
        if p.pocket is None:
            return None
        style = p.pocket.astype(np.uint8)
        if layers.cordon and p.cordon_held is not None and len(p.cordon_xy):
            xy = p.cordon_xy
            style[xy[:, 0], xy[:, 1]] = np.where(p.cordon_held, 2, 3)
        return style

    def _paint_overlay(self, style: np.ndarray) -> None:
        """Bring the composited background up to ``style``: repaint only the cells that changed.

        The pocket shrinks and the cordon's held stretches move a few cells per step, so a frame
        repaints tens of small pixel blocks instead of blending the whole map.
        """
        for x, y in np.argwhere(style != self.painted):
            r0, r1, c0, c1 = self.row_lo[y], self.row_hi[y], self.col_lo[x], self.col_hi[x]
            if r1 <= r0 or c1 <= c0:
                continue  # outside the view
            src = self.base[r0:r1, c0:c1, :3]
            k = style[x, y]
            if k == 0:
                self.composited[r0:r1, c0:c1, :3] = src
            else:
                a = self.overlay_alpha[k]
                self.composited[r0:r1, c0:c1, :3] = src * (1.0 - a) + self.overlay_rgb[k] * a
        self.painted = style

    def _lonlat(self, x, y) -> np.ndarray:
        return np.column_stack([self.region.lon[np.asarray(x)], self.region.lat[np.asarray(y)]])

    def _update_artists(self, p: StepPicture, layers: Layers) -> None:
        pocket = p.pocket
        self.outline.set_data(*polyline(
            mask_outline(pocket, self.x_edges, self.y_edges) if pocket is not None
            and pocket.any() else _EMPTY))
        segs = _EMPTY
        if layers.links and len(p.links):
            act = p.cell_active
            a, b = p.links[:, 0], p.links[:, 1]
            ok = (a < len(act)) & (b < len(act))
            a, b = a[ok], b[ok]
            keep = act[a] & act[b]
            a, b = a[keep], b[keep]
            if len(a):
                segs = np.stack([self._lonlat(p.cell_x[a], p.cell_y[a]),
                                 self._lonlat(p.cell_x[b], p.cell_y[b])], 1)
        self.links.set_data(*polyline(segs))
        k = np.flatnonzero(p.cache_intact) if layers.caches and len(p.cache_intact) else []
        self.caches.set_offsets(self._lonlat(p.cache_x[k], p.cache_y[k]) if len(k) else _EMPTY)
        alive = np.flatnonzero(p.unit_alive)
        for task, sc in self.units.items():
            j = alive[p.unit_task[alive] == task]
            sc.set_offsets(self._lonlat(p.unit_x[j], p.unit_y[j]) if len(j) else _EMPTY)
            sc.set_facecolor(self.side_rgba[p.unit_side[j]] if len(j) else "none")
        shown = visible_cells(p, layers)
        st = p.cell_state[shown]
        for state, sc in self.cells.items():
            i = shown[st == state]
            sc.set_offsets(self._lonlat(p.cell_x[i], p.cell_y[i]) if len(i) else _EMPTY)
        known, age_bin = known_cells(p) if layers.cells == SHOW_KNOWN else ([], [])
        if len(known):
            order = np.argsort(-age_bin, kind="stable")  # fresh reports drawn on top
            known, age_bin = known[order], age_bin[order]
            self.known.set_offsets(self._lonlat(p.known_x[known], p.known_y[known]))
            self.known.set_facecolor(self.known_rgba[age_bin])
            self.known.set_edgecolor(self.known_edge[age_bin])
        else:
            self.known.set_offsets(_EMPTY)
        ev = step_events(p) if layers.events else {}
        for group, sc in self.events.items():
            pts = ev.get(group, _EMPTY)
            sc.set_offsets(pts if len(pts) else _EMPTY)

    def _draw(self, source, layers: Layers, caption: tuple[str, ...] | None = None
              ) -> np.ndarray:
        """Draw the frame into the canvas (hold ``self.lock``); returns the canvas pixels."""
        p = as_picture(source)
        style = self.overlay_cells(p, layers)
        self._paint_overlay(style if style is not None else np.zeros_like(self.painted))
        pixels = np.asarray(self.fig.canvas.buffer_rgba())
        np.copyto(pixels, self.composited)
        self._update_artists(p, layers)
        for a in self.dynamic:
            self.ax.draw_artist(a)
        if self.caption is not None and caption is not None:
            band = self.caption.draw(caption)
            pixels[: band.shape[0], :, :3] = band
        self.frames += 1
        return pixels

    def render_rgba(self, source, layers: Layers = Layers(),
                    caption: tuple[str, ...] | None = None) -> np.ndarray:
        """A model's current step, or a picture, as an (h, w, 4) uint8 array (a copy).

        ``caption``: up to three lines of text for the band above the map (``caption=True``).
        """
        with self.lock:
            return self._draw(source, layers, caption).copy()

    def render(self, source, layers: Layers = Layers()) -> bytes:
        """A model's current step, or a picture, as image bytes (``self.format``)."""
        with self.lock:
            pixels = self._draw(source, layers)
            return encode_jpeg(pixels, self.fig.canvas.get_width_height())


@functools.cache
def legend_image(width: int = 560, dpi: int = 100) -> bytes:
    """The map's two legends side by side, as a PNG drawn once (the page shows it under the
    map, which is then drawn without legends and so can be larger)."""
    from encircle_sim.viz.encode import encode_png

    terrain, campaign = legend_handles()
    height = 360
    fig = Figure(figsize=(width / dpi, height / dpi), dpi=dpi)
    FigureCanvasAgg(fig)
    fig.legend(handles=campaign, loc="upper left", bbox_to_anchor=(0.0, 1.0), ncol=2,
               fontsize=8, frameon=False, title="campaign", title_fontsize=9,
               alignment="left", handlelength=1.5, borderaxespad=0.3, labelspacing=0.35,
               columnspacing=1.0)
    fig.legend(handles=terrain, loc="upper left", bbox_to_anchor=(0.68, 1.0), fontsize=8,
               frameon=False, title="map", title_fontsize=9, alignment="left",
               handlelength=1.5, borderaxespad=0.3, labelspacing=0.3)
    fig.canvas.draw()
    return encode_png(np.asarray(fig.canvas.buffer_rgba()))


_FRAMES: OrderedDict[tuple, MapFrame] = OrderedDict()
_FRAMES_LOCK = threading.Lock()


def _geometry_key(model, zoom, size_px, legend) -> tuple:
    ring = operation_ring(model.spec)
    extent = zoom_window(model) if zoom else None
    return (model.region.window, None if ring is None else ring.round(5).tobytes(), extent,
            size_px, legend)


def frame_for(model, zoom: bool = False, size_px: tuple[int, int | None] = FRAME_SIZE,
              legend: bool = True) -> MapFrame:
    """The (cached) MapFrame for the model's map window and operation area.

    Resetting the model, or changing its parameters, keeps the background: only a new map window
    or operation area draws a new one.
    """
    key = _geometry_key(model, zoom, size_px, legend)
    with _FRAMES_LOCK:
        frame = _FRAMES.get(key)
        if frame is not None:
            _FRAMES.move_to_end(key)
            return frame
    frame = MapFrame(model, zoom, size_px, legend=legend)
    with _FRAMES_LOCK:
        _FRAMES[key] = frame
        while len(_FRAMES) > 6:
            _FRAMES.popitem(last=False)
    return frame
