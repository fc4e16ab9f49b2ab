"""Experimental designs: which parameter values each design point runs with.

* ``full_factorial``: every combination of every parameter's levels (a list, or ``levels`` values
  spread evenly over a range), as NetLogo's BehaviorSpace does.
* ``latin_hypercube``: ``points`` points, each parameter's range cut into ``points`` equal strata
  and each stratum used once (``scipy.stats.qmc.LatinHypercube``).
* ``nolh``: the nearly-orthogonal Latin hypercubes of Cioppa and Lucas (2007) that the SEED
  Center's data farming uses (17, 33, 65, 129 or 257 points for up to 7, 11, 16, 22 or 29
  parameters; the designs of Sanchez's spreadsheet, through ``pycubedoe``): every pair of
  columns nearly uncorrelated, so main effects can be told apart with few points.
* ``morris``: Morris's elementary-effects trajectories (SALib), for screening.
* ``sobol``: Saltelli's sampling for Sobol' variance-based indices (SALib).

Every design draws its own randomness from the experiment seed (a stream of its own, see
``seeds.design_rng``), so the same experiment file always gives the same design. Integer
parameters are rounded to whole values and listed values are picked by position; for Morris and
Sobol designs the continuous samples SALib drew are kept too, since its analysis needs them.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from encircle_sim.experiments.seeds import design_rng

DESIGNS = ("full_factorial", "latin_hypercube", "nolh", "morris", "sobol")
#: NOLH sizes: (most parameters, design points), Cioppa (2007) via the SEED Center's spreadsheet.
NOLH_SIZES = ((7, 17), (11, 33), (16, 65), (22, 129), (29, 257))
DEFAULT_LEVELS = 3          # full factorial levels of a range
DEFAULT_MORRIS_LEVELS = 4   # Morris grid levels (SALib's default)
DEFAULT_TRAJECTORIES = 10
DEFAULT_SOBOL_SAMPLES = 64


@dataclass(frozen=True)
class Parameter:
    """One varied scenario value: a range ``[low, high]`` or a list of ``values``."""

    path: str
    low: float | None = None
    high: float | None = None
    values: tuple[Any, ...] | None = None
    integer: bool = False
    levels: int | None = None  # full factorial levels of a range (default: the design's)

    @property
    def is_range(self) -> bool:
        return self.values is None

    def _cast(self, x: float) -> Any:
        if self.integer:
            return int(min(max(round(x), self.low), self.high))
        return float(x)

    def from_unit(self, u: np.ndarray) -> list[Any]:
        """Values for points ``u`` in [0, 1]: a range scaled (integers in equal-width bins),
        a list picked by position."""
        u = np.clip(np.asarray(u, dtype=float), 0.0, 1.0)
        if self.values is not None:
            idx = np.minimum((u * len(self.values)).astype(int), len(self.values) - 1)
            return [self.values[i] for i in idx]
        if self.integer:
            span = self.high - self.low + 1
            return [int(min(self.low + math.floor(x * span), self.high)) for x in u]
        return [float(self.low + x * (self.high - self.low)) for x in u]

    def factorial_levels(self, default: int = DEFAULT_LEVELS) -> list[Any]:
        if self.values is not None:
            return list(self.values)
        n = self.levels or default
        grid = np.linspace(self.low, self.high, n)
        return list(dict.fromkeys(self._cast(x) for x in grid))

    def salib_bounds(self) -> list[float]:
        """The continuous interval SALib samples; whole values and list positions are read
        from it by :meth:`from_salib` (each with an equal share of the interval)."""
        if self.values is not None:
            return [0.0, float(len(self.values))]
        if self.integer:
            return [self.low - 0.5, self.high + 0.5]
        return [float(self.low), float(self.high)]

    def from_salib(self, x: np.ndarray) -> list[Any]:
        if self.values is not None:
            idx = np.clip(np.floor(x).astype(int), 0, len(self.values) - 1)
            return [self.values[i] for i in idx]
        if self.integer:
            return [int(v) for v in np.clip(np.floor(x + 0.5), self.low, self.high)]
        return [float(v) for v in x]


@dataclass(frozen=True)
class DesignSpec:
    kind: str = "full_factorial"
    points: int | None = None        # latin_hypercube
    levels: int | None = None        # full_factorial (per range) / morris (grid levels)
    trajectories: int | None = None  # morris
    samples: int | None = None       # sobol (base sample N, a power of 2)
    seed: int | None = None          # default: the experiment seed

    def as_dict(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if v is not None}


@dataclass
class Design:
    """The design points (one row each, parameter values as run) and what analysis needs."""

    kind: str
    points: pd.DataFrame
    #: SALib's continuous samples, one row per point (Morris and Sobol only)
    samples: np.ndarray | None = None
    problem: dict[str, Any] | None = None
    options: dict[str, Any] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.points)

    def overrides(self, point: int) -> tuple[tuple[str, Any], ...]:
        return tuple((str(k), self.value(point, k)) for k in self.points.columns)

    def value(self, point: int, name: str) -> Any:
        """One parameter's value at a point, in its own type (a row would upcast integers)."""
        return _plain(self.points[name].iat[point])


def nolh_size(n_parameters: int) -> int | None:
    for most, rows in NOLH_SIZES:
        if n_parameters <= most:
            return rows
    return None


def salib_problem(parameters: list[Parameter]) -> dict[str, Any]:
    return {"num_vars": len(parameters), "names": [p.path for p in parameters],
            "bounds": [p.salib_bounds() for p in parameters]}


def make_design(parameters: list[Parameter], spec: DesignSpec, experiment_seed: int) -> Design:
    """The design points of ``spec`` over ``parameters`` (validated before: see ``spec.py``)."""
    names = [p.path for p in parameters]
    seed = experiment_seed if spec.seed is None else spec.seed
    rng = design_rng(seed)
    kind = spec.kind
    if kind == "full_factorial" or not parameters:
        grids = [p.factorial_levels(spec.levels or DEFAULT_LEVELS) for p in parameters]
        rows = list(itertools.product(*grids))
        return Design("full_factorial", _frame(rows, names))
    if kind == "latin_hypercube":
        from scipy.stats import qmc

        unit = qmc.LatinHypercube(d=len(parameters), rng=rng).random(spec.points)
        return Design(kind, _from_unit(parameters, unit))
    if kind == "nolh":
        unit = nolh_unit(len(parameters))
        return Design(kind, _from_unit(parameters, unit), options={"size": len(unit)})
    if kind in ("morris", "sobol"):
        problem = salib_problem(parameters)
        salib_seed = int(rng.integers(2**31 - 1))
        if kind == "morris":
            from SALib.sample import morris

            levels = spec.levels or DEFAULT_MORRIS_LEVELS
            x = morris.sample(problem, spec.trajectories or DEFAULT_TRAJECTORIES,
                              num_levels=levels, seed=salib_seed)
            options = {"num_levels": levels}
        else:
            from SALib.sample import sobol

            x = sobol.sample(problem, spec.samples or DEFAULT_SOBOL_SAMPLES,
                             calc_second_order=False, seed=salib_seed)
            options = {"calc_second_order": False}
        columns = [p.from_salib(x[:, j]) for j, p in enumerate(parameters)]
        points = _frame(list(zip(*columns, strict=True)), names)
        return Design(kind, points, samples=x, problem=problem, options=options)
    raise ValueError(f"unknown design {kind!r}; allowed: {', '.join(DESIGNS)}")


#: pycubedoe's tables of Cioppa's designs (levels 1..n), by the most parameters each takes
_NOLH_TABLES = {7: "d_seven", 11: "d_eleven", 16: "d_sixteen", 22: "d_twentytwo",
                29: "d_twentyninepalms"}


def nolh_unit(k: int) -> np.ndarray:
    """Cioppa's NOLH for ``k`` parameters, scaled to [0, 1] (levels 0, 1/(n-1), ..., 1).

    The design's columns are taken as pycubedoe tabulates them (any subset of a NOLH's columns
    keeps its near-orthogonality); its tables are read directly rather than through its
    ``pycubeDOE`` function, which relies on a pandas feature being withdrawn.
    """
    import pycubedoe

    most = next((m for m, _ in NOLH_SIZES if k <= m), None)
    if most is None or k < 1:
        raise ValueError(f"nolh: 1 to {NOLH_SIZES[-1][0]} parameters, got {k}")
    table = getattr(pycubedoe, _NOLH_TABLES[most])
    columns = [np.asarray(levels, dtype=float) for levels in list(table.values())[:k]]
    design = np.column_stack(columns)
    return (design - 1.0) / (design.shape[0] - 1.0)


def _from_unit(parameters: list[Parameter], unit: np.ndarray) -> pd.DataFrame:
    columns = [p.from_unit(unit[:, j]) for j, p in enumerate(parameters)]
    return _frame(list(zip(*columns, strict=True)), [p.path for p in parameters])


def _frame(rows: list[tuple], names: list[str]) -> pd.DataFrame:
    frame = pd.DataFrame.from_records(rows, columns=names) if names else pd.DataFrame(
        index=range(len(rows)))
    frame.index.name = "point"
    return frame


def _plain(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    return value
