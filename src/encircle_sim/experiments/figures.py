"""The report's figures: outcome distributions per design point, response curves with their
intervals, sensitivity indices and calibration posteriors (matplotlib, written as PNG)."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from encircle_sim.experiments.stats import mean_ci  # noqa: E402

MAX_BOXES = 40
BLUE, RED, GREY = "#1f4e9c", "#7a0000", "#888888"


def _grid(n: int, ncols: int = 3, w: float = 4.4, h: float = 3.4):
    ncols = max(1, min(ncols, n))
    nrows = -(-n // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(w * ncols, h * nrows), squeeze=False,
                             constrained_layout=True)
    for ax in axes.ravel()[n:]:
        ax.set_visible(False)
    return fig, axes.ravel()


def _save(fig, path: Path) -> Path:
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def distributions(table: pd.DataFrame, outcomes: list[str], path: Path) -> Path:
    """Per outcome: a box per design point (every run a dot), or with many points the
    histogram of the point means."""
    fig, axes = _grid(len(outcomes))
    points = sorted(table["point"].unique())
    jitter = np.random.default_rng(0)
    for ax, outcome in zip(axes, outcomes, strict=False):
        if len(points) <= MAX_BOXES:
            data = [pd.to_numeric(table.loc[table["point"] == p, outcome],
                                  errors="coerce").dropna().to_numpy(float) for p in points]
            ax.boxplot(data, positions=range(len(points)), widths=0.6, whis=(0, 100),
                       showfliers=False, medianprops={"color": RED, "lw": 1.5})
            for k, values in enumerate(data):
                ax.scatter(k + jitter.uniform(-0.15, 0.15, len(values)), values, s=8,
                           color=BLUE, alpha=0.6, zorder=3)
            step = max(1, len(points) // 12)
            ax.set_xticks(range(0, len(points), step), [str(p) for p in points[::step]])
            ax.set_xlabel("design point")
        else:
            means = table.groupby("point")[outcome].mean().dropna()
            ax.hist(means, bins=min(30, max(5, len(means) // 5)), color=BLUE, alpha=0.8)
            ax.set_xlabel("mean over replications, per design point")
            ax.set_ylabel("design points")
        ax.set_title(outcome, fontsize=10)
    fig.suptitle("Outcome distributions per design point")
    return _save(fig, path)


def response_curves(table: pd.DataFrame, parameter: str, outcomes: list[str], path: Path,
                    confidence: float = 0.95) -> Path:
    """Each outcome against one parameter: the mean and its interval at every value the
    parameter took (pooled over the other parameters' values at that value)."""
    fig, axes = _grid(len(outcomes))
    values = table[parameter]
    numeric = pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values)
    levels = sorted(values.unique()) if numeric else list(dict.fromkeys(values.astype(str)))
    key = values if numeric else values.astype(str)
    many = len(levels) > 12
    for ax, outcome in zip(axes, outcomes, strict=False):
        stats = [mean_ci(table.loc[key == lv, outcome], confidence) for lv in levels]
        means = np.array([s[0] for s in stats])
        low = np.array([s[2] for s in stats])
        high = np.array([s[3] for s in stats])
        x = np.asarray(levels, float) if numeric else np.arange(len(levels))
        err = np.vstack([means - low, high - means])
        err = np.where(np.isfinite(err), err, 0.0)
        ax.errorbar(x, means, yerr=err, fmt="o" if many else "o-", ms=3.5, color=BLUE,
                    ecolor=GREY, capsize=2, lw=1)
        if not numeric:
            ax.set_xticks(x, levels, rotation=15)
        ax.set_xlabel(parameter)
        ax.set_title(outcome, fontsize=10)
    fig.suptitle(f"Response to {parameter}: mean and {confidence:.0%} interval")
    return _save(fig, path)


def sensitivity_bars(table: pd.DataFrame, kind: str, outcomes: list[str], path: Path) -> Path:
    """Morris mu* or Sobol S1 and ST per parameter, with their interval half-widths."""
    outcomes = [o for o in outcomes if o in set(table["outcome"])]
    fig, axes = _grid(len(outcomes), ncols=2, w=5.2)
    for ax, outcome in zip(axes, outcomes, strict=False):
        t = table[table["outcome"] == outcome]
        y = np.arange(len(t))
        if kind == "morris":
            ax.barh(y, t["mu_star"], xerr=t["mu_star_conf"], color=BLUE, ecolor=GREY,
                    capsize=2)
            ax.set_xlabel("mu* (mean |elementary effect|)")
        else:
            ax.barh(y - 0.2, t["ST"], 0.4, xerr=t["ST_conf"], color=BLUE, ecolor=GREY,
                    capsize=2, label="total (ST)")
            ax.barh(y + 0.2, t["S1"], 0.4, xerr=t["S1_conf"], color=RED, ecolor=GREY,
                    capsize=2, label="first order (S1)")
            ax.set_xlabel("share of variance")
            ax.legend(fontsize=7)
        ax.set_yticks(y, t["parameter"], fontsize=8)
        ax.set_title(outcome, fontsize=10)
    fig.suptitle(f"{'Morris' if kind == 'morris' else 'Sobol'} sensitivity indices, 95% "
                 "intervals")
    return _save(fig, path)


def calibration_posteriors(scores: pd.DataFrame, ranges: pd.DataFrame, path: Path) -> Path:
    """Per parameter: the sampled values (prior) and the accepted ones, with the base value."""
    fig, axes = _grid(len(ranges))
    for ax, row in zip(axes, ranges.itertuples(), strict=False):
        values = pd.to_numeric(scores[row.parameter], errors="coerce")
        kept = values[scores["accepted"]]
        bins = np.linspace(np.nanmin(values), np.nanmax(values), 16) if values.nunique() > 1 \
            else 5
        ax.hist(values.dropna(), bins=bins, color=GREY, alpha=0.5, label="sampled")
        if len(kept.dropna()):
            ax.hist(kept.dropna(), bins=bins, color=BLUE, alpha=0.85, label="accepted")
        if isinstance(row.base_value, (int, float)) and not isinstance(row.base_value, bool):
            ax.axvline(row.base_value, color=RED, lw=1.5, label="base scenario")
        ax.set_title(row.parameter, fontsize=10)
        ax.legend(fontsize=7)
    fig.suptitle("Calibration: parameter values that reproduce every pattern")
    return _save(fig, path)
