"""The live charts beside the map, as PNG frames drawn with matplotlib's blitting.

Four panels over campaign days (insurgent cells; pocket area; casualties; attacks elsewhere), the
phases shaded behind the lines (the page names the current phase above the picture). The days
axis is fixed to the
scenario's length and the count axes grow by steps, so almost every frame only redraws the lines
and the phase shading over a cached background; the full figure is redrawn only when a value
outgrows its axis (a handful of times per run).

Data come straight from the model's ``DataCollector`` (``model_vars``, lists of the per-step rows),
with no DataFrame built per frame, or from a replayed run's table up to the step shown (a
:class:`~encircle_sim.viz.moment.Moment`).
"""

from __future__ import annotations

import threading

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: E402
from matplotlib.collections import PolyCollection  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.patches import Patch  # noqa: E402

from encircle_sim.plotting import PHASE_COLOURS  # noqa: E402
from encircle_sim.viz.encode import encode_png  # noqa: E402
from encircle_sim.viz.moment import Moment  # noqa: E402

#: (panel title, [(column(s) summed, label, colour, style)], y label)
PANELS = (
    ("Insurgent cells", [(("iraq_cells_active",), "active in Iraq", "#7a0000", "-"),
                         (("iraq_killed", "iraq_captured"), "killed or captured", "#1f4e9c",
                          "-"),
                         (("escaped_cordon", "escaped_border"), "escaped", "#ff6f00", "-")],
     "cells"),
    ("Pocket area", [(("pocket_area_km2",), "pocket area", "#b71c1c", "-")], "1000 km²"),
    ("Casualties", [(("sf_casualties_total",), "security forces", "#1f4e9c", "-"),
                    (("civilian_casualties_total",), "civilians", "#c62828", "--")],
     "persons, cumulative"),
    ("Attacks in Syria", [(("attacks_syria_total",), "attacks in Syria", "#ff1744", "-")],
     "cumulative"),
)
#: Phase names short enough for one line above the panels.
PHASE_SHORT = {1: "1 perimeter", 2: "2 advance", 3: "3 assault"}
SCALE = {"pocket_area_km2": 1e-3}
#: Pixel size of the charts frame (the page shows it at this size, or shrunk to fit).
CHART_SIZE = (340, 600)
MIN_TOP = 5.0  # an empty panel still gets a readable count axis
#: An outgrown axis gets this much room above the value: few full redraws (about 0.3 s each).
GROWTH = 2.0


def nice_ceiling(value: float) -> float:
    """The next of 1, 2, 2.5, 5 x 10^k at or above ``value`` (an axis top that grows in steps)."""
    if value <= 0:
        return 1.0
    k = np.floor(np.log10(value))
    for m in (1.0, 2.0, 2.5, 5.0, 10.0):
        if m * 10**k >= value - 1e-12:
            return float(m * 10**k)
    return float(10 ** (k + 1))


def series(source) -> dict[str, np.ndarray]:
    """The columns the charts need, as arrays over the steps recorded so far (of a live model,
    or of a :class:`~encircle_sim.viz.moment.Moment`)."""
    mv = source.series() if isinstance(source, Moment) else source.datacollector.model_vars
    cols = {"day", "phase"} | {c for _, lines, _ in PANELS for cols, *_ in lines for c in cols}
    return {c: np.asarray(mv[c], float) * SCALE.get(c, 1.0) for c in cols}


def max_day(source) -> float:
    """The length of the campaign in days (the charts' fixed day axis)."""
    if isinstance(source, Moment):
        return source.max_day
    return float(source.max_steps * source.dt_days)


def phase_runs(day: np.ndarray, phase: np.ndarray) -> list[tuple[float, float, int]]:
    """(start day, end day, phase) of each run of equal phase."""
    runs = []
    if len(day) == 0:
        return runs
    cut = np.flatnonzero(np.diff(phase) != 0) + 1
    starts = np.r_[0, cut]
    ends = np.r_[cut, len(day) - 1]
    for s, e in zip(starts, ends, strict=True):
        runs.append((float(day[s]), float(day[e]), int(phase[s])))
    return runs


class LiveCharts:
    """The chart panels of one model, drawn fast frame after frame."""

    def __init__(self, model, size_px: tuple[int, int] = CHART_SIZE, dpi: int = 100):
        self.lock = threading.Lock()
        self.max_day = max_day(model)
        width, height = size_px
        fig = self.fig = Figure(figsize=(width / dpi, height / dpi), dpi=dpi)
        FigureCanvasAgg(fig)
        # margins in pixels: the count labels left, the phase legend above, the days below
        grid = fig.subplots(len(PANELS), 1, sharex=True,
                            gridspec_kw=dict(left=44 / width, right=1 - 8 / width,
                                             top=1 - 58 / height, bottom=34 / height,
                                             hspace=0.42))
        self.axes = list(grid)
        self.lines = []
        self.spans = []
        data = series(model)
        for ax, (title, lines, ylabel) in zip(self.axes, PANELS, strict=True):
            ax.set_title(title, fontsize=9.5, loc="left", fontweight="bold", pad=3)
            ax.set_title(ylabel, fontsize=8, loc="right", color="#555555", pad=3)
            ax.tick_params(labelsize=8, length=2, pad=2)
            ax.grid(alpha=0.3)
            ax.set_xlim(0, self.max_day)
            spans = PolyCollection([], transform=ax.get_xaxis_transform(), alpha=0.6, lw=0,
                                   zorder=0)
            ax.add_collection(spans, autolim=False)
            self.spans.append(spans)
            drawn = []
            for cols, label, colour, style in lines:
                (line,) = ax.plot([], [], color=colour, ls=style, lw=2.0, label=label,
                                  scalex=False, scaley=False)
                drawn.append((line, cols))
            self.lines.append(drawn)
            if len(lines) > 1:
                ax.legend(fontsize=7.5, loc="upper right", framealpha=0.85, borderpad=0.3,
                          handlelength=1.4, labelspacing=0.25)
        self.axes[-1].set_xlabel("campaign day", fontsize=8.5, labelpad=1)
        fig.legend(handles=[Patch(color=PHASE_COLOURS[p], alpha=0.6, label=PHASE_SHORT[p])
                            for p in (1, 2, 3)], loc="upper left", bbox_to_anchor=(0.0, 1.0),
                   ncol=3, fontsize=8, frameon=False, columnspacing=1.0, handlelength=1.2,
                   handletextpad=0.4, borderaxespad=0.3, title="phases:", title_fontsize=8,
                   alignment="left")
        self.animated = self.spans + [ln for d in self.lines for ln, _ in d]
        for a in self.animated:
            a.set_animated(True)
        self.tops = [self._wanted_top(i, data, MIN_TOP) for i in range(len(PANELS))]
        self.background = None
        self.redraws = 0
        self.frames = 0

    def _wanted_top(self, i: int, data: dict[str, np.ndarray], current: float) -> float:
        top = 0.0
        for _, cols, *_ in [(None, *line) for line in PANELS[i][1]]:
            v = sum(data[c] for c in cols)
            if len(v):
                top = max(top, float(np.nanmax(v)))
        if top <= current:
            return current
        return nice_ceiling(top * GROWTH)

    def _redraw_background(self) -> None:
        for ax, top in zip(self.axes, self.tops, strict=True):
            ax.set_ylim(0, top)
        self.fig.canvas.draw()
        self.background = self.fig.canvas.copy_from_bbox(self.fig.bbox)
        self.redraws += 1

    def render_rgba(self, model) -> np.ndarray:
        """The charts up to the model's current step as an (h, w, 4) uint8 array (a copy)."""
        with self.lock:
            data = series(model)
            tops = [self._wanted_top(i, data, t) for i, t in enumerate(self.tops)]
            if self.background is None or tops != self.tops:
                self.tops = tops
                self._redraw_background()
            canvas = self.fig.canvas
            canvas.restore_region(self.background)
            day = data["day"]
            runs = phase_runs(day, data["phase"])
            verts = [[(a, 0), (a, 1), (b, 1), (b, 0)] for a, b, p in runs if p in PHASE_COLOURS]
            colours = [PHASE_COLOURS[p] for _, _, p in runs if p in PHASE_COLOURS]
            for ax, spans, drawn in zip(self.axes, self.spans, self.lines, strict=True):
                spans.set_verts(verts)
                spans.set_facecolor(colours)
                ax.draw_artist(spans)
                for line, cols in drawn:
                    line.set_data(day, sum(data[c] for c in cols))
                    ax.draw_artist(line)
            self.frames += 1
            return np.array(canvas.buffer_rgba())

    def render(self, model) -> bytes:
        return encode_png(self.render_rgba(model))
