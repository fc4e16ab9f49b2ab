"""Figures of a run: the time series with phases shaded, the final-state map, replications.

The animation is drawn by the live page's frame renderer (see ``animation.py``).

The map layers (terrain, rivers, border, towns, graticule, scale bar) come from ``mapview``; this
module draws the campaign on top of them.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import matplotlib

# Figures go to files: Agg, no windows. A notebook kernel (or MPLBACKEND) keeps its own
# backend, so figures show inline there.
if "ipykernel" not in sys.modules and not os.environ.get("MPLBACKEND"):
    matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from encircle_sim.metrics import ATTACK_KINDS, TOWN_COLUMN  # noqa: E402
from encircle_sim.operation import PHASE_LABELS, Phase  # noqa: E402
from encircle_sim.state import CellState, EscapeRoute, Side  # noqa: E402

PHASE_COLOURS = {1: "#fde9c9", 2: "#d9ead3", 3: "#f4cccc", 4: "#eeeeee"}
SIDE_COLOURS = {Side.ISF: "#1f4e9c", Side.PMF: "#2e7d32", Side.Coalition: "#6a1b9a",
                Side.SDF: "#e6a700"}
CELL_COLOURS = {"hidden": "#7a0000", "moving": "#d32f2f", "slipping": "#ff6f00",
                "attacking": "#ff1744"}


# --------------------------------------------------------------------------------------------
# time series
# --------------------------------------------------------------------------------------------


def shade_phases(ax, steps: pd.DataFrame) -> None:
    """Shade each phase's span of days in the background of ``ax``."""
    if steps.empty:
        return
    days = steps["day"].to_numpy()
    phases = steps["phase"].to_numpy()
    start = 0
    for k in range(1, len(days) + 1):
        if k == len(days) or phases[k] != phases[start]:
            ph = int(phases[start])
            if ph in PHASE_COLOURS:
                end = days[k] if k < len(days) else days[-1]
                ax.axvspan(days[start], end, color=PHASE_COLOURS[ph], alpha=0.6, lw=0, zorder=0)
            start = k


def plot_timeseries(steps: pd.DataFrame, title: str = "") -> plt.Figure:
    """Four panels over campaign days: cells, losses, attacks elsewhere, pocket and cordon."""
    fig, axes = plt.subplots(2, 2, figsize=(13, 8), sharex=True, constrained_layout=True)
    d = steps["day"]
    ax = axes[0, 0]
    for col, label, colour in (("iraq_cells_active", "active in Iraq", "#7a0000"),
                               ("iraq_killed", "killed", "#1f4e9c"),
                               ("iraq_captured", "captured", "#2e7d32"),
                               ("escaped_cordon", "escaped through the cordon", "#ff6f00"),
                               ("escaped_border", "escaped over the border", "#6a1b9a"),
                               ("syria_cells_active", "active in Syria", "#e6a700")):
        if col in steps and (steps[col] != 0).any():
            ax.plot(d, steps[col], label=label, color=colour, lw=1.8)
    ax.set_ylabel("insurgent cells")
    ax.set_title("Insurgent cells")
    if ax.get_lines():   # a campaign with no cells at all draws none
        ax.legend(fontsize=8, loc="best")
    ax = axes[0, 1]
    ax.plot(d, steps["sf_casualties_total"], label="security forces", color="#1f4e9c", lw=1.8)
    ax.plot(d, steps["civilian_casualties_total"], label="civilians", color="#c62828", lw=1.8)
    ax.plot(d, steps["iraq_fighters_active"], label="insurgent fighters active in Iraq",
            color="#7a0000", lw=1.2, ls="--")
    ax.set_ylabel("persons (cumulative casualties)")
    ax.set_title("Casualties and fighters left")
    ax.legend(fontsize=8, loc="best")
    ax = axes[1, 0]
    head, tail = TOWN_COLUMN.split("{town}")
    town_cols = [c for c in steps.columns if c.startswith(head) and c.endswith(tail)
                 and c != "attacks_syria_total"]
    if town_cols and steps[town_cols].to_numpy().any():
        ax.stackplot(d, *[steps[c] for c in town_cols],
                     labels=[c.removeprefix(head).removesuffix(tail).replace("_", " ").title()
                             for c in town_cols], alpha=0.85)
        ax.legend(fontsize=7, loc="upper left", ncol=2)
    else:
        ax.text(0.5, 0.5, "no attacks elsewhere", transform=ax.transAxes, ha="center",
                color="grey")
    ax.set_ylabel("attacks (cumulative)")
    ax.set_title("Attacks elsewhere, by town")
    ax.set_xlabel("campaign day")
    ax = axes[1, 1]
    ax.plot(d, steps["pocket_area_km2"] / 1000.0, color="#7a0000", lw=1.8,
            label="pocket area (1000 km²)")
    ax.set_ylabel("pocket area, 1000 km²")
    ax2 = ax.twinx()
    ax2.plot(d, steps["cordon_gaps"], color="#ff6f00", lw=1.2, label="cordon gaps")
    ax2.set_ylabel("cordon gaps (stretches)")
    ax.set_title("Pocket and cordon")
    lines = ax.get_lines() + ax2.get_lines()
    ax.legend(lines, [ln.get_label() for ln in lines], fontsize=8, loc="upper right")
    ax.set_xlabel("campaign day")
    for a in axes.ravel():
        shade_phases(a, steps)
        a.grid(alpha=0.3)
    handles = [plt.Rectangle((0, 0), 1, 1, color=PHASE_COLOURS[p], alpha=0.6)
               for p in (1, 2, 3) if (steps["phase"] == p).any()]
    labels = [PHASE_LABELS[Phase(p)] for p in (1, 2, 3) if (steps["phase"] == p).any()]
    if handles:
        fig.legend(handles, labels, loc="lower center", ncol=3, fontsize=9,
                   bbox_to_anchor=(0.5, -0.04))
    if title:
        fig.suptitle(title)
    return fig


# --------------------------------------------------------------------------------------------
# maps
# --------------------------------------------------------------------------------------------


def _lonlat(region, x, y):
    lat, lon = region.latlon_of(np.asarray(x), np.asarray(y))
    return np.asarray(lon), np.asarray(lat)


def operation_ring(scenario) -> np.ndarray | None:
    if not scenario.theatres.iraq:
        return None
    return np.array([[p.lat, p.lon] for p in scenario.operation.area])


def draw_pocket(ax, model, mask: np.ndarray | None = None, **kw) -> None:
    """Outline of the pocket (the uncleared part of the operation area)."""
    mask = model.plan.pocket if mask is None else mask
    if not mask.any():
        return
    region = model.region
    ax.contour(region.lon, region.lat, mask.T.astype(float), levels=[0.5],
               colors=kw.get("color", "#b71c1c"), linewidths=kw.get("lw", 1.8),
               linestyles=kw.get("ls", "-"), zorder=6)
    ax.contourf(region.lon, region.lat, mask.T.astype(float), levels=[0.5, 1.5],
                colors=[kw.get("fill", "#b71c1c")], alpha=0.12, zorder=5)


def draw_units(ax, model, x=None, y=None, alive=None) -> None:
    u = model.units
    x = u.x if x is None else x
    y = u.y if y is None else y
    alive = u.alive if alive is None else alive
    for side, colour in SIDE_COLOURS.items():
        m = alive & (u.side == side)
        if m.any():
            lon, lat = _lonlat(model.region, x[m], y[m])
            ax.scatter(lon, lat, s=22, marker="s", color=colour, edgecolor="white", lw=0.5,
                       zorder=8, label=f"{side.name} units")


def draw_cells(ax, model, x=None, y=None, state=None) -> None:
    c = model.cells
    n = c.n
    x = c.x[:n] if x is None else x
    y = c.y[:n] if y is None else y
    state = c.state[:n] if state is None else state
    for name, colour in CELL_COLOURS.items():
        m = state == CellState[name.upper()]
        if m.any():
            lon, lat = _lonlat(model.region, x[m], y[m])
            ax.scatter(lon, lat, s=10, marker="o", color=colour, zorder=9,
                       label=f"cells {name}")


def draw_escape_tracks(ax, model) -> None:
    c = model.cells
    for i in np.flatnonzero(c.escaped_via[: c.n] != EscapeRoute.NONE):
        tx = model.track_x[:, i]
        ty = model.track_y[:, i]
        ok = tx >= 0
        if ok.sum() < 1:
            continue
        lon, lat = _lonlat(model.region, tx[ok], ty[ok])
        lon2, lat2 = _lonlat(model.region, c.x[i], c.y[i])
        lon = np.append(lon, lon2)
        lat = np.append(lat, lat2)
        colour = "#6a1b9a" if c.escaped_via[i] == EscapeRoute.BORDER else "#ff6f00"
        ax.plot(lon, lat, color=colour, lw=1.2, alpha=0.9, zorder=7)
        ax.scatter(lon[-1:], lat[-1:], marker="x", color=colour, s=30, zorder=9)


def draw_events(ax, events: pd.DataFrame) -> None:
    if events.empty:
        return
    att = events[events["kind"].isin(ATTACK_KINDS)]
    if len(att):
        ax.scatter(att["lon"], att["lat"], marker="*", s=90, color="#ff1744", edgecolor="black",
                   lw=0.4, zorder=10, label="attacks elsewhere")
    caches = events[events["kind"] == "cache_destroyed"]
    if len(caches):
        ax.scatter(caches["lon"], caches["lat"], marker="D", s=16, color="#4e342e", zorder=8,
                   label="caches destroyed")


def _base_map(model, size_px=(1600, 1200), dpi=100, title=None):
    from encircle_sim.mapview import draw_region_map

    fig = plt.figure(figsize=(size_px[0] / dpi, size_px[1] / dpi), dpi=dpi)
    ax = fig.add_subplot(1, 1, 1)
    draw_region_map(model.region, operation_area=operation_ring(model.spec), ax=ax, title=title)
    return fig, ax


def plot_final_map(model, size_px=(1600, 1200), dpi=100) -> plt.Figure:
    """The final state: pocket outline, units, cells left, escape tracks, attacks elsewhere."""
    s = model.spec
    title = (f"{s.name}: day {model.day:.1f}, {model.phase_label} - "
             f"{model.iraq_cells_active} cells active in Iraq, "
             f"{model.escaped_cordon + model.escaped_border} escaped, "
             f"{model.attacks_syria} attacks in Syria")
    fig, ax = _base_map(model, size_px, dpi, title)
    if model.plan.active:
        draw_pocket(ax, model)
    draw_escape_tracks(ax, model)
    draw_units(ax, model)
    draw_cells(ax, model)
    draw_events(ax, model.events.frame())
    handles, labels = ax.get_legend_handles_labels()
    seen = {}
    for h, lab in zip(handles, labels, strict=True):
        seen.setdefault(lab, h)
    # upper right: the scale bar sits at the lower left
    ax.legend(seen.values(), seen.keys(), fontsize=7, loc="upper right", framealpha=0.85)
    return fig


def save_run_plots(folder: Path, model) -> None:
    steps = model.datacollector.get_model_vars_dataframe()
    fig = plot_timeseries(steps, title=f"{model.spec.name} (seed {model.seed})")
    fig.savefig(folder / "timeseries.png", dpi=100, bbox_inches="tight")
    plt.close(fig)
    fig = plot_final_map(model)
    fig.savefig(folder / "final_map.png", dpi=100)
    plt.close(fig)


# --------------------------------------------------------------------------------------------
# replications
# --------------------------------------------------------------------------------------------


def plot_replications(runs: pd.DataFrame, columns, by: str = "label", ncols: int = 3,
                      title: str = "") -> plt.Figure:
    """The spread of outcomes across seeds: a box and every run as a dot, per variant.

    Args:
        runs: the table of :func:`encircle_sim.run_many` (one row per run).
        columns: outcome columns to show, or a dict ``{column: panel title}``.
        by: the column that names the variants.
    """
    titles = dict(columns) if isinstance(columns, dict) else {c: c.replace("_", " ")
                                                                 for c in columns}
    missing = [c for c in list(titles) + [by] if c not in runs.columns]
    if missing:
        raise KeyError(f"plot_replications: no column {', '.join(map(repr, missing))}; "
                       f"the table has: {', '.join(runs.columns)}")
    groups = list(dict.fromkeys(runs[by]))  # variants in the order they were run
    n = len(titles)
    ncols = max(1, min(ncols, n))
    nrows = -(-n // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(4.2 * ncols, 3.4 * nrows),
                             constrained_layout=True, squeeze=False)
    jitter = np.random.default_rng(0)  # fixed: the same table always gives the same picture
    for ax, (col, panel) in zip(axes.ravel(), titles.items(), strict=False):
        data = [runs.loc[runs[by] == g, col].dropna().to_numpy(float) for g in groups]
        ax.boxplot(data, positions=range(len(groups)), widths=0.5, whis=(0, 100),
                   showfliers=False, medianprops={"color": "#7a0000", "lw": 2})
        for k, values in enumerate(data):
            ax.scatter(k + jitter.uniform(-0.12, 0.12, len(values)), values, s=18,
                       color="#1f4e9c", alpha=0.75, zorder=3)
        ax.set_xticks(range(len(groups)), [str(g) for g in groups], rotation=15)
        ax.set_title(panel)
        ax.grid(axis="y", alpha=0.3)
    for ax in axes.ravel()[n:]:
        ax.set_visible(False)
    counts = runs.groupby(by, sort=False).size()
    note = f"boxes: median, quartiles and full range; dots: single runs ({counts.min()}" + (
        f"-{counts.max()}" if counts.max() != counts.min() else "") + " seeds per variant)"
    fig.suptitle(f"{title}\n{note}" if title else note, fontsize=10)
    return fig


def plot_branches(runs: pd.DataFrame, comparison: pd.DataFrame, columns, ncols: int = 3,
                  title: str = "") -> plt.Figure:
    """Alternatives side by side, one panel per outcome: every replication as a dot, the mean
    with its 95% interval as a bar, and under each alternative its paired difference to the
    first one (mean [low, high])."""
    columns = list(columns)
    names = list(dict.fromkeys(runs["alternative"]))
    n = max(len(columns), 1)
    ncols = max(1, min(ncols, n))
    nrows = -(-n // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(4.3 * ncols, 3.6 * nrows),
                             constrained_layout=True, squeeze=False)
    jitter = np.random.default_rng(0)
    for ax, col in zip(axes.ravel(), columns, strict=False):
        labels = []
        for k, name in enumerate(names):
            values = runs.loc[runs["alternative"] == name, col].dropna().to_numpy(float)
            ax.scatter(k + jitter.uniform(-0.15, 0.15, len(values)), values, s=14,
                       color="#1f4e9c", alpha=0.45, zorder=2)
            row = comparison[(comparison["outcome"] == col) & (comparison["alternative"] == name)]
            label = name if len(name) <= 18 else name[:17] + "…"
            if len(row):
                r = row.iloc[0]
                ax.errorbar([k], [r["mean"]], yerr=[[r["mean"] - r["mean_low"]],
                                                    [r["mean_high"] - r["mean"]]],
                            fmt="o", color="#7a0000", ms=6, capsize=6, lw=2, zorder=3)
                if "difference" in r and pd.notna(r.get("difference")):
                    label += (f"\n{r['difference']:+.2g} [{r['difference_low']:+.2g}, "
                              f"{r['difference_high']:+.2g}]")
            labels.append(label)
        ax.set_xticks(range(len(names)), labels, fontsize=8)
        ax.set_title(col.replace("_", " "), fontsize=10)
        ax.grid(axis="y", alpha=0.3)
        ax.set_xlim(-0.6, len(names) - 0.4)
    for ax in axes.ravel()[n:]:
        ax.set_visible(False)
    note = ("dots: replications; red: mean and 95% interval; under each alternative: paired "
            f"difference to '{names[0]}' [95% interval]") if names else ""
    fig.suptitle((title + "\n" if title else "") + note, fontsize=9)
    return fig
