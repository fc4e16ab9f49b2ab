"""Calibration against documented patterns: pattern-oriented modelling (Grimm et al. 2005) by
approximate Bayesian rejection.

A *pattern* is something the real campaign is documented to have shown, with its source and an
accepted range: "most pocket cells gone within 90 days (source ...): share 0.6 to 0.9". It is
measured on the model either

* per run, by a function of one run's outputs (summary, per-step table, event log: a
  :class:`~encircle_sim.experiments.replicate.RunOutputs`), run on the worker right after the
  replication, then combined over a design point's replications by their mean (or median); or
* per design point, by a function of that point's stored rows (one per replication: the
  parameters, every outcome and the per-run measures) - for patterns about the spread or a
  share of replications.

Calibration samples the uncertain parameters (any design; a Latin hypercube over the prior
ranges is the usual), runs each point's replications, and keeps the points whose measures all
lie in their accepted ranges (rejection ABC: the kept points are a sample of the parameters
given the patterns, under a uniform prior). The report gives each parameter's accepted range,
each pattern's pass rate, and whether the base scenario's own values lie inside.

Plugging in documented patterns::

    from encircle_sim.experiments import Pattern

    PATTERNS = [
        Pattern("pocket mostly cleared", source="docs/patterns.md#1 (ISF statements, 2019)",
                accepted=(0.6, 0.95),
                run=lambda out: 1 - out.summary["iraq"]["cells_active"]
                / out.summary["iraq"]["cells_initial"]),
        Pattern("escapes are rare", source="...", accepted=(0.0, 0.2),
                replications=lambda rows: (rows["iraq.escaped_border"] > 0).mean()),
    ]

and in the experiment file ``patterns_from = "encircle_sim.patterns:PATTERNS"``; or, for a
pattern on a summary figure, a ``[[patterns]]`` table with ``name``, ``source``, ``outcome`` (a
figure's name, or an expression of figures such as ``"iraq.killed / iraq.cells_initial"``),
``statistic`` (mean or median over replications) and ``range = [low, high]``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from encircle_sim.experiments.replicate import RunOutputs

MEASURE_PREFIX = "pattern:"


@dataclass(frozen=True)
class Pattern:
    """A documented pattern: its name, where it is documented, how to measure it on the model
    and the range the measure must fall in.

    Give exactly one of ``run`` (a function of one run's :class:`RunOutputs`, combined over a
    design point's replications by ``statistic``) and ``replications`` (a function of the
    design point's table of replication rows).
    """

    name: str
    source: str
    accepted: tuple[float, float]
    run: Callable[[RunOutputs], float] | None = None
    replications: Callable[[pd.DataFrame], float] | None = None
    statistic: str = "mean"
    outcome: str | None = None  # for patterns on a summary figure (or an expression of them)

    def __post_init__(self):
        given = [f for f in (self.run, self.replications) if f is not None]
        if len(given) != 1 and self.outcome is None:
            raise ValueError(f"pattern {self.name!r}: give exactly one of run= and "
                             "replications=")
        lo, hi = self.accepted
        if not lo <= hi:
            raise ValueError(f"pattern {self.name!r}: accepted range ({lo}, {hi}) is empty")
        if self.statistic not in ("mean", "median"):
            raise ValueError(f"pattern {self.name!r}: statistic must be 'mean' or 'median'")

    @property
    def column(self) -> str:
        """The stored column of the per-run measure."""
        return f"{MEASURE_PREFIX}{self.name}"

    def describe(self) -> dict[str, Any]:
        return {"name": self.name, "source": self.source, "accepted": list(self.accepted),
                "statistic": self.statistic, "outcome": self.outcome,
                "scope": "run" if (self.run or self.outcome) else "replications"}

    def value(self, rows: pd.DataFrame) -> float:
        """The pattern's measure at one design point, from its replication rows."""
        if self.replications is not None:
            return float(self.replications(rows))
        if self.outcome is not None:
            values = evaluate(rows, self.outcome)
        else:
            values = rows[self.column]
        values = pd.to_numeric(values, errors="coerce").dropna()
        if values.empty:
            return float("nan")
        return float(values.mean() if self.statistic == "mean" else values.median())

    def holds(self, value: float) -> bool:
        return bool(np.isfinite(value) and self.accepted[0] <= value <= self.accepted[1])


def outcome_pattern(name: str, source: str, outcome: str, accepted: tuple[float, float],
                    statistic: str = "mean") -> Pattern:
    """A pattern on a summary figure (or an expression of figures), from a [[patterns]] table."""
    return Pattern(name, source, accepted, statistic=statistic, outcome=outcome)


def evaluate(rows: pd.DataFrame, expression: str) -> pd.Series:
    """A column, or an expression of columns (``"iraq.killed / iraq.cells_initial"``), per row.

    Dotted names (``phase_days.assault``) may be written as they are."""
    if expression in rows.columns:
        return rows[expression]
    dotted = sorted((c for c in rows.columns if not c.isidentifier()), key=len, reverse=True)
    if dotted:  # one pass, longest names first: "syria.attacks" inside "syria.attacks_by..."
        pattern = re.compile(r"(?<![\w.`])(" + "|".join(map(re.escape, dotted)) + r")(?![\w.])")
        expression = pattern.sub(lambda m: f"`{m.group(1)}`", expression)
    return rows.eval(expression)


def run_measures(patterns) -> dict[str, Callable[[RunOutputs], float]]:
    """The per-run measures the workers compute (patterns with ``run=``)."""
    return {p.name: p.run for p in patterns if p.run is not None}


def score(table: pd.DataFrame, patterns, parameters: list[str]) -> pd.DataFrame:
    """One row per design point: its parameters, each pattern's value and whether it holds,
    and ``accepted`` (all hold)."""
    ok = table[table["error"].isna()] if "error" in table else table
    rows = []
    for point, group in ok.groupby("point", sort=True):
        row: dict[str, Any] = {"point": point, "replications": len(group)}
        for name in parameters:
            row[name] = group[name].iloc[0]
        accepted = True
        for p in patterns:
            value = p.value(group)
            row[f"{p.name}"] = value
            holds = p.holds(value)
            row[f"{p.name} ok"] = holds
            accepted &= holds
        row["accepted"] = accepted
        rows.append(row)
    return pd.DataFrame(rows)


def accepted_ranges(scores: pd.DataFrame, parameters, base_values: dict[str, Any],
                    prior: dict[str, tuple[Any, Any]]) -> pd.DataFrame:
    """Per parameter: the prior range, the accepted points' range and quantiles, and whether
    the base scenario's value lies inside the accepted range."""
    kept = scores[scores["accepted"]]
    rows = []
    for name in parameters:
        values = pd.to_numeric(kept[name], errors="coerce").dropna() if len(kept) else pd.Series(
            dtype=float)
        base = base_values.get(name)
        row = {"parameter": name, "prior_low": prior[name][0], "prior_high": prior[name][1],
               "accepted_points": len(kept), "base_value": base}
        if len(values):
            row.update(accepted_low=values.min(), accepted_high=values.max(),
                       q05=values.quantile(0.05), median=values.median(),
                       q95=values.quantile(0.95))
            inside = (isinstance(base, (int, float)) and not isinstance(base, bool)
                      and values.min() <= base <= values.max())
            row["base_inside"] = bool(inside)
        else:
            row.update(accepted_low=np.nan, accepted_high=np.nan, q05=np.nan, median=np.nan,
                       q95=np.nan, base_inside=False)
        rows.append(row)
    return pd.DataFrame(rows)
