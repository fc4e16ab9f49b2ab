"""Scenario discovery with PRIM (the EMA Workbench's): which box of parameter values leads to
the runs of interest, e.g. those where more than 20% of the cells escaped.

PRIM (Friedman and Fisher 1999) peels the parameter space until the box left holds mostly runs
of interest; each step trades coverage (the share of all runs of interest inside the box) for
density (the share of runs inside the box that are of interest). The box reported is the densest
one that still covers at least half of the runs of interest (Bryant and Lempert 2010 read the
trade-off the same way), with only the parameters it restricts.
"""

from __future__ import annotations

import logging
import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

MIN_COVERAGE = 0.5


@dataclass
class Discovery:
    condition: str
    share: float            # of all runs, the share meeting the condition
    box: pd.DataFrame       # parameter, low, high (restricted parameters only)
    coverage: float
    density: float
    mass: float
    trajectory: pd.DataFrame | None = None
    note: str = ""

    def describe(self) -> str:
        if self.note:
            return f"{self.condition}: {self.note}"
        limits = " and ".join(_limit_text(r) for r in self.box.itertuples())
        return (f"{self.condition}: {self.share:.0%} of the runs. PRIM box: {limits or 'none'}"
                f" - it holds {self.coverage:.0%} of those runs (coverage), and "
                f"{self.density:.0%} of the runs inside it meet the condition (density; "
                f"{self.mass:.0%} of all runs fall inside it).")


def _limit_text(row) -> str:
    if isinstance(row.low, str):
        return f"{row.parameter} in {{{row.low}}}"
    return f"{row.low:.4g} <= {row.parameter} <= {row.high:.4g}"


def _ema_prim():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        logging.getLogger("EMA").setLevel(logging.ERROR)
        from ema_workbench.analysis import prim
    return prim


def discover(x: pd.DataFrame, y: np.ndarray, condition: str) -> Discovery:
    """The PRIM box for the runs where ``y`` is true, over the parameters ``x``."""
    y = np.asarray(y, dtype=bool)
    share = float(y.mean()) if len(y) else 0.0
    empty = pd.DataFrame(columns=["parameter", "low", "high"])
    if len(y) == 0 or y.all() or not y.any():
        what = "every run" if len(y) and y.all() else "no run"
        return Discovery(condition, share, empty, np.nan, np.nan, np.nan,
                         note=f"holds in {what}: nothing to discover")
    x = x.reset_index(drop=True).copy()
    for col in x.columns:
        if x[col].dtype == bool or x[col].dtype == object or str(x[col].dtype) == "str":
            x[col] = x[col].astype(str).astype("category")
        else:  # integers too: the Workbench's pasting writes float limits into them
            x[col] = x[col].astype(float)
    prim = _ema_prim()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        algorithm = prim.Prim(x, y, mass_min=0.05)
        box = algorithm.find_box()
    trajectory = box.peeling_trajectory
    good = trajectory[trajectory["coverage"] >= MIN_COVERAGE]
    pick = int(good["density"].idxmax()) if len(good) else int(trajectory["density"].idxmax())
    box.select(pick)
    limits = box.box_lims[pick]
    initial = box.box_lims[0]
    rows = []
    for col in x.columns:
        low, high = limits[col].iloc[0], limits[col].iloc[1]
        if isinstance(low, set):
            if low != initial[col].iloc[0]:
                rows.append({"parameter": col, "low": ", ".join(sorted(map(str, low))),
                             "high": ""})
            continue
        if low > initial[col].iloc[0] or high < initial[col].iloc[1]:
            rows.append({"parameter": col, "low": float(low), "high": float(high)})
    entry = trajectory.loc[pick]
    return Discovery(condition, share, pd.DataFrame(rows, columns=["parameter", "low", "high"]),
                     float(entry["coverage"]), float(entry["density"]), float(entry["mass"]),
                     trajectory)
