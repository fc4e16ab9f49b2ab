"""Global sensitivity indices with confidence intervals (SALib), for Morris and Sobol designs.

The response at each design point is the mean of its replications (common random numbers keep
the noise correlated between points, so the differences Morris and Sobol work on are sharper).
Morris gives, per parameter, mu* (the mean absolute elementary effect: how much the outcome
moves when the parameter moves one grid step, over the range) with a bootstrap interval, and
sigma (interactions and non-linearity); Sobol gives the first-order (S1) and total (ST) shares of
the outcome's variance, with bootstrap intervals.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

CONFIDENCE = 0.95
RESAMPLES = 1000


def indices(kind: str, problem: dict, samples: np.ndarray, response: np.ndarray, *,
            num_levels: int = 4, seed: int = 0) -> pd.DataFrame:
    """One row per parameter: the design's indices and the half-widths of their intervals."""
    names = problem["names"]
    if kind == "morris":
        from SALib.analyze import morris

        res = morris.analyze(problem, np.asarray(samples, float), np.asarray(response, float),
                             num_resamples=RESAMPLES, conf_level=CONFIDENCE,
                             num_levels=num_levels, seed=seed)
        return pd.DataFrame({"parameter": names, "mu_star": res["mu_star"],
                             "mu_star_conf": res["mu_star_conf"], "mu": res["mu"],
                             "sigma": res["sigma"]})
    if kind == "sobol":
        from SALib.analyze import sobol

        res = sobol.analyze(problem, np.asarray(response, float), calc_second_order=False,
                            num_resamples=RESAMPLES, conf_level=CONFIDENCE, seed=seed)
        return pd.DataFrame({"parameter": names, "S1": res["S1"], "S1_conf": res["S1_conf"],
                             "ST": res["ST"], "ST_conf": res["ST_conf"]})
    raise ValueError(f"sensitivity indices need a morris or sobol design, not {kind!r}")


def indices_for_outcomes(kind: str, problem: dict, samples: np.ndarray,
                         point_means: pd.DataFrame, outcomes: list[str], *,
                         num_levels: int = 4, seed: int = 0) -> pd.DataFrame:
    """Indices of every outcome that varies; ``point_means`` is indexed by design point."""
    frames = []
    for outcome in outcomes:
        y = point_means[outcome].to_numpy(float)
        if not np.all(np.isfinite(y)) or np.nanstd(y) == 0:
            continue
        table = indices(kind, problem, samples, y, num_levels=num_levels, seed=seed)
        table.insert(0, "outcome", outcome)
        frames.append(table)
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
