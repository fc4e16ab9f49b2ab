"""Statistics over replications: per design point the mean, standard deviation, 95% confidence
interval and number of replications of each outcome.

The interval is Student's t interval for a mean, ``mean +- t(0.975, n-1) * sd / sqrt(n)`` with
the sample standard deviation (``ddof=1``): exact for normal outcomes and close for others once
``n`` is about 10 or more; with fewer replications it is told as unreliable
(:func:`too_few_warnings`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats as st

CONFIDENCE = 0.95
#: Fewer replications than this per design point: the report warns that the intervals are rough.
MIN_REPLICATIONS = 10


def mean_ci(values, confidence: float = CONFIDENCE) -> tuple[float, float, float, float, int]:
    """(mean, sd, low, high, n) of the finite values; NaN where undefined (n < 2)."""
    x = np.asarray(pd.to_numeric(pd.Series(values), errors="coerce"), dtype=float)
    x = x[np.isfinite(x)]
    n = len(x)
    if n == 0:
        return (np.nan, np.nan, np.nan, np.nan, 0)
    mean = float(x.mean())
    if n < 2:
        return (mean, np.nan, np.nan, np.nan, n)
    sd = float(x.std(ddof=1))
    half = float(st.t.ppf(0.5 + confidence / 2, n - 1)) * sd / np.sqrt(n)
    return (mean, sd, mean - half, mean + half, n)


def point_summary(table: pd.DataFrame, outcomes: list[str], parameters: list[str],
                  confidence: float = CONFIDENCE) -> pd.DataFrame:
    """One row per (design point, outcome): the point's parameters, n, mean, sd and interval."""
    ok = table[table["error"].isna()] if "error" in table else table
    rows = []
    for point, group in ok.groupby("point", sort=True):
        params = {name: group[name].iloc[0] for name in parameters}
        for outcome in outcomes:
            mean, sd, low, high, n = mean_ci(group[outcome], confidence)
            rows.append({"point": point, **params, "outcome": outcome, "n": n, "mean": mean,
                         "sd": sd, "ci_low": low, "ci_high": high})
    return pd.DataFrame(rows)


def too_few_warnings(summary: pd.DataFrame, minimum: int = MIN_REPLICATIONS) -> list[str]:
    """What the report should warn about: points with too few replications for the intervals."""
    if summary.empty:
        return ["no finished replications: nothing to summarise"]
    per_point = summary.groupby("point")["n"].max()
    few = per_point[per_point < minimum]
    if few.empty:
        return []
    lowest = int(few.min())
    text = (f"{len(few)} of {len(per_point)} design points have fewer than {minimum} "
            f"replications (as few as {lowest}): ")
    if lowest < 2:
        text += "no confidence interval can be given for them; "
    text += ("their 95% intervals rest on the t distribution and are rough for skewed "
             f"outcomes; run {minimum} or more replications per point for intervals you can "
             "quote (raise `replications` and run the same command again: the replications "
             "already done are kept)")
    return [text]


def varying_outcomes(table: pd.DataFrame, outcomes: list[str]) -> list[str]:
    """Outcomes that are not the same in every finished run."""
    ok = table[table["error"].isna()] if "error" in table else table
    out = []
    for name in outcomes:
        values = pd.to_numeric(ok[name], errors="coerce").dropna()
        if values.nunique() > 1:
            out.append(name)
    return out


def rank_outcomes(table: pd.DataFrame, outcomes: list[str]) -> list[str]:
    """Outcomes by the share of their variance that lies between design points (eta squared),
    largest first: the ones the varied parameters move most. Outcomes that never vary within a
    design point (a parameter's own echo, such as the initial number of cells) are left out
    when points have replications. With a single design point, by their coefficient of
    variation."""
    ok = table[table["error"].isna()] if "error" in table else table
    scores = {}
    for name in varying_outcomes(ok, outcomes):
        y = pd.to_numeric(ok[name], errors="coerce")
        frame = pd.DataFrame({"point": ok["point"], "y": y}).dropna()
        total = ((frame["y"] - frame["y"].mean()) ** 2).sum()
        if total <= 0:
            continue
        if frame["point"].nunique() > 1:
            means = frame.groupby("point")["y"].transform("mean")
            within = ((frame["y"] - means) ** 2).sum()
            if within == 0 and frame.groupby("point").size().max() > 1:
                continue  # decided by the parameters alone: an echo, not a result
            scores[name] = float(((means - frame["y"].mean()) ** 2).sum() / total)
        else:
            scores[name] = float(frame["y"].std() / (abs(frame["y"].mean()) or 1.0))
    return sorted(scores, key=lambda k: -scores[k])
