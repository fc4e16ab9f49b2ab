"""Branches: from one moment of a campaign, what each course of action would do, side by side.

A branch is a checkpoint plus different orders. :func:`branch` takes the moment (a running
model, a :class:`~encircle_sim.checkpoint.Checkpoint` or a checkpoint file) and a set of
alternatives (each a list of orders; "as planned", no new orders, comes first unless given), and
runs every alternative ``reps`` times to the end of the campaign (or for ``days``).

Common random numbers: replication r of every alternative starts from the same state, its orders
are carried out (any draws they need come from the moment's own random stream, the same for
every replication), and then its random generators are reseeded with the r-th seed of
``SeedSequence(root_seed)``. Alternatives of one replication therefore meet the same chance
events as far as their paths allow, and the difference between two alternatives, taken
replication by replication (paired), is much less noisy than that of independent runs.

Outcomes are every numeric figure of the runs' summaries (``iraq.escaped_cordon``,
``sf_casualties``, ...: docs/outputs.md). :meth:`Branches.compare` gives each alternative's mean
with its 95% t-interval, and its paired difference to the first alternative with its interval.
"""

from __future__ import annotations

import sys
import zlib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from encircle_sim import pickling
from encircle_sim.scenario import OrderSpec, Problem

BASELINE = "as planned"
CONFIDENCE = 0.95
#: Outcomes shown first when a comparison is drawn (when present and not all equal).
KEY_OUTCOMES = ("iraq.escaped_cordon", "iraq.escaped_border", "iraq.killed", "iraq.captured",
                "syria.attacks", "sf_casualties", "civilian_casualties", "days")


def _moment_bytes(source) -> bytes:
    """The moment to branch from, pickled and compressed once (sent to every task)."""
    from encircle_sim.checkpoint import Checkpoint, load_checkpoint

    if isinstance(source, (str, Path)):
        source = load_checkpoint(source)
    model = source.model if isinstance(source, Checkpoint) else source
    return zlib.compress(pickling.dumps(model), 1)


def _restore(blob: bytes):
    return pickling.loads(zlib.decompress(blob))


def alternatives_of(orders: Mapping[str, Iterable] | Iterable[Iterable], baseline: bool = True
                    ) -> dict[str, list]:
    """Named lists of orders; "as planned" (no new orders) first unless already there."""
    if isinstance(orders, Mapping):
        alts = {str(k): list(v) for k, v in orders.items()}
    else:
        alts = {f"alternative {i + 1}": list(v) for i, v in enumerate(orders)}
    if baseline and not any(len(v) == 0 for v in alts.values()):
        alts = {BASELINE: [], **alts}
    if not alts:
        raise ValueError("branch: no alternatives given")
    return alts


def check_alternatives(model, alternatives: dict[str, list], *, source: str = "branch orders",
                       where: Callable[[str, int], str] | None = None
                       ) -> dict[str, list[OrderSpec]]:
    """Every order of every alternative checked against the scenario, then carried out on a
    copy of the moment (so that an order that does not fit the campaign as it stands is caught
    before anything runs). OrderError (``source``) lists every problem, each located by
    ``where(alternative, k)`` (default: "'name', order k")."""
    from encircle_sim.orders import OrderError, parse_order

    where = where or (lambda name, k: f"{name!r}, order {k + 1}")
    blob = _moment_bytes(model)
    problems, checked = [], {}
    for name, orders in alternatives.items():
        specs = []
        trial = None
        for k, order in enumerate(orders):
            at = where(name, k)
            try:
                spec = parse_order(model, order)
                if trial is None:
                    trial = _restore(blob)
                trial.order(spec)
            except OrderError as err:
                problems += [Problem(f"{at}.{p.path}" if p.path else at, p.message,
                                     p.value, p.allowed, hint=p.hint) for p in err.problems]
                continue
            specs.append(spec)
        checked[name] = specs
    if problems:
        raise OrderError(source, problems)
    return checked


def reseed(model, seed: int) -> None:
    """Give the model fresh random streams (numpy and Python), in place (the grid and the
    submodels keep their references)."""
    model.rng.bit_generator.state = np.random.default_rng(seed).bit_generator.state
    model.streams.reseed(seed)
    model.random.seed(seed)


def _print_progress(done: int, total: int) -> None:
    sys.stderr.write(f"\r  runs done {done}/{total}" + ("\n" if done == total else ""))
    sys.stderr.flush()


def run_alternative(blob: bytes, orders: list[OrderSpec], seed: int, days: float | None
                    ) -> dict[str, Any]:
    """One replication of one alternative: its outcomes (the summary, flattened)."""
    from encircle_sim.experiments import flatten_summary
    from encircle_sim.outputs import summarise

    model = _restore(blob)
    for o in orders:
        model.order(o)
    reseed(model, seed)
    stop = None if days is None else model.day + days
    while model.running and model.steps < model.max_steps:
        if stop is not None and model.day >= stop - 1e-9:
            break
        model.step()
    return flatten_summary(summarise(model, not model.running))


@dataclass
class Branches:
    """The runs of a branch: one row per (alternative, replication) with its outcomes."""

    runs: pd.DataFrame
    alternatives: dict[str, list[OrderSpec]]
    day: float  # the moment branched from
    seeds: list[int] = field(default_factory=list)

    @property
    def outcomes(self) -> list[str]:
        """Numeric outcome columns that are not the same in every run, key outcomes first."""
        skip = {"alternative", "replication", "seed", "steps", "completed"}
        cols = [c for c in self.runs.columns if c not in skip
                and pd.api.types.is_numeric_dtype(self.runs[c])
                and not pd.api.types.is_bool_dtype(self.runs[c])
                and self.runs[c].nunique(dropna=True) > 1]
        first = [c for c in KEY_OUTCOMES if c in cols]
        return first + [c for c in cols if c not in first]

    def compare(self, columns: Iterable[str] | None = None) -> pd.DataFrame:
        """Per outcome and alternative: mean, its 95% interval, and the paired difference to
        the first alternative with its interval (t-intervals over the replications)."""
        from scipy import stats

        columns = list(columns) if columns is not None else self.outcomes
        names = list(self.alternatives)
        base = self.runs[self.runs["alternative"] == names[0]].set_index("replication")
        rows = []
        for col in columns:
            for name in names:
                mine = self.runs[self.runs["alternative"] == name].set_index("replication")
                x = mine[col].astype(float)
                d = (x - base[col].astype(float)).dropna()
                row = {"outcome": col, "alternative": name, "n": int(x.count())}
                row.update(_interval(x.dropna().to_numpy(), stats, "mean"))
                if name != names[0]:
                    row.update(_interval(d.to_numpy(), stats, "difference"))
                rows.append(row)
        return pd.DataFrame(rows)

    def plot(self, columns: Iterable[str] | None = None, ncols: int = 3):
        """The outcomes side by side: every run as a dot, each mean with its 95% interval."""
        from encircle_sim.plotting import plot_branches

        columns = list(columns) if columns is not None else self.outcomes[:6]
        return plot_branches(self.runs, self.compare(columns), columns, ncols=ncols,
                             title=f"Branches from day {self.day:g}: "
                                   f"{self.runs['replication'].nunique()} replications each, "
                                   "common random numbers")


def _interval(values: np.ndarray, stats, what: str) -> dict[str, float]:
    n = len(values)
    mean = float(values.mean()) if n else float("nan")
    if n < 2:
        return {what: mean, f"{what}_low": float("nan"), f"{what}_high": float("nan")}
    half = float(stats.t.ppf(0.5 + CONFIDENCE / 2, n - 1) * values.std(ddof=1) / np.sqrt(n))
    return {what: mean, f"{what}_low": mean - half, f"{what}_high": mean + half}


def branch(source, orders: Mapping[str, Iterable] | Iterable[Iterable], *, reps: int = 10,
           root_seed: int = 0, days: float | None = None, baseline: bool = True,
           workers: int = 1, client=None, progress: bool | Callable[[int, int], None] = False,
           where: Callable[[str, int], str] | None = None, label: str = "branch orders"
           ) -> Branches:
    """Run alternatives from one moment, ``reps`` times each, with common random numbers.

    Args:
        source: a model (as it stands now: it is not changed), a Checkpoint, or a checkpoint
            file.
        orders: ``{"name": [order, ...], ...}`` or a list of order lists; an order is an
            OrderSpec, a dict (``{"order": "commit_reserve", "axis": 0}``) or an order name.
        reps: replications of each alternative.
        root_seed: root of the replications' seeds (``SeedSequence(root_seed).spawn(reps)``).
        days: run this many days from the moment (default: to the end of the campaign).
        baseline: put "as planned" (no new orders) first, unless an alternative has none.
        workers, client: run on Dask (see :func:`~encircle_sim.run_many`).
        progress: True prints "runs done k/N" to stderr; or a function (done, total).
        where, label: how a bad order is located in the error (check_alternatives' ``where``
            and ``source``).
    """
    from encircle_sim.checkpoint import Checkpoint, load_checkpoint
    from encircle_sim.experiments import replication_seeds
    from encircle_sim.experiments.engine import map_tasks

    if isinstance(reps, bool) or not isinstance(reps, (int, np.integer)) or reps < 1:
        raise ValueError(f"reps: expected a number of replications >= 1, got {reps!r}")
    if days is not None and not days > 0:
        raise ValueError(f"days: expected a number of days > 0, got {days!r}")
    if isinstance(source, (str, Path)):
        source = load_checkpoint(source)
    model = source.model if isinstance(source, Checkpoint) else source
    alternatives = check_alternatives(model, alternatives_of(orders, baseline), source=label,
                                      where=where)
    blob = _moment_bytes(model)
    seeds = replication_seeds(int(reps), root_seed)
    tasks = [(name, r, seed) for name in alternatives for r, seed in enumerate(seeds)]
    report = _print_progress if progress is True else (progress or None)
    results = map_tasks(run_alternative,
                        [(blob, alternatives[name], seed, days) for name, _, seed in tasks],
                        workers=int(workers), client=client, report=report,
                        describe=lambda i: f"branch: {tasks[i][0]!r}, replication {tasks[i][1]}")
    rows = [{"alternative": name, "replication": r, "seed": seed, **res}
            for (name, r, seed), res in zip(tasks, results, strict=True)]
    return Branches(pd.DataFrame(rows), alternatives, float(model.day), seeds)


# ---- orders files (encircle-sim branch --orders FILE) -------------------------------------------


def read_orders_file(path: str | Path) -> dict[str, list[dict[str, Any]]]:
    """The alternatives of an orders file (TOML; ScenarioError naming the file and key)::

        [[alternative]]
        name = "reserve to the largest gap"
        orders = [{order = "commit_reserve", sector = "largest_gap"}]
    """
    import tomllib

    from encircle_sim.scenario_files import ScenarioError

    path = Path(path)
    allowed = "[[alternative]] tables with name = '...' and orders = [{order = ...}, ...]"
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as err:
        raise ScenarioError(str(path), [Problem("", f"cannot read the file: {err}", None,
                                                allowed)]) from None
    except tomllib.TOMLDecodeError as err:
        raise ScenarioError(str(path), [Problem("", f"not valid TOML: {err}", None,
                                                allowed)]) from None
    problems = [Problem(k, "unknown key", None, "alternative") for k in data
                if k != "alternative"]
    alts = data.get("alternative")
    if not isinstance(alts, list) or not alts:
        problems.append(Problem("alternative", "no alternatives", None, allowed))
        raise ScenarioError(str(path), problems)
    out: dict[str, list] = {}
    for i, alt in enumerate(alts):
        where = f"alternative[{i}]"
        if not isinstance(alt, dict):
            problems.append(Problem(where, "expected a table", alt, allowed))
            continue
        for k in alt:
            if k not in ("name", "orders"):
                problems.append(Problem(f"{where}.{k}", "unknown key", None, "name, orders"))
        name = alt.get("name", f"alternative {i + 1}")
        orders = alt.get("orders", [])
        if not isinstance(name, str) or not name:
            problems.append(Problem(f"{where}.name", "expected a name", name, "text"))
            continue
        if name in out:
            problems.append(Problem(f"{where}.name", "two alternatives with this name", name,
                                    "a name of its own"))
        if not isinstance(orders, list) or not all(isinstance(o, dict) for o in orders):
            problems.append(Problem(f"{where}.orders", "expected a list of order tables",
                                    orders, "[{order = 'commit_reserve', axis = 0}, ...]"))
            continue
        out[name] = orders
    if problems:
        raise ScenarioError(str(path), problems)
    return out


def write_branch_folder(args, alternatives: dict[str, list], out: Path) -> int:
    """``encircle-sim branch``: run, print the comparison, write runs.csv, comparison.csv,
    comparison.png and branch.json into ``out``."""
    import json
    import sys

    from encircle_sim.checkpoint import load_checkpoint
    from encircle_sim.outputs import write_csv_atomic, write_text_atomic

    ckpt = load_checkpoint(args.checkpoint, warn=lambda m: print(m, file=sys.stderr))
    names = list(alternatives)
    model = ckpt.model
    if not args.quiet:
        print(f"branching {model.spec.name} at day {model.day:g}: {len(names)} alternative(s)"
              f"{'' if args.no_baseline else ' and as planned'}, {args.reps} replications "
              f"each -> {out}", file=sys.stderr)
    result = branch(ckpt, alternatives, reps=args.reps, root_seed=args.seed, days=args.days,
                    baseline=not args.no_baseline, workers=args.workers,
                    progress=not args.quiet, label=str(args.orders),
                    where=lambda name, k: f"alternative[{names.index(name)}].orders[{k}]")
    out.mkdir(parents=True, exist_ok=True)
    comparison = result.compare()
    write_csv_atomic(out / "runs.csv", result.runs)
    write_csv_atomic(out / "comparison.csv", comparison)
    fig = result.plot()
    fig.savefig(out / "comparison.png", dpi=100)
    import matplotlib.pyplot as plt

    plt.close(fig)
    write_text_atomic(out / "branch.json", json.dumps({
        "checkpoint": str(args.checkpoint), "day": result.day, "scenario": model.spec.name,
        "replications": args.reps, "root_seed": args.seed, "seeds": result.seeds,
        "days": args.days, "alternatives": {k: [o.model_dump(mode="json", exclude_none=True)
                                                for o in v]
                                            for k, v in result.alternatives.items()},
    }, indent=2) + "\n")
    print(comparison_text(comparison, result.outcomes[:8]))
    print(f"results in {out}/ (runs.csv, comparison.csv, comparison.png, branch.json)")
    return 0


def comparison_text(comparison: pd.DataFrame, columns: list[str]) -> str:
    """The comparison as a plain-text table: mean [95% interval] and paired difference."""
    lines = []
    for col in columns:
        lines.append(col)
        for _, r in comparison[comparison["outcome"] == col].iterrows():
            text = (f"  {r['alternative'][:40]:40s} {r['mean']:9.2f} "
                    f"[{r['mean_low']:.2f}, {r['mean_high']:.2f}]")
            if pd.notna(r.get("difference")):
                text += (f"   difference {r['difference']:+.2f} "
                         f"[{r['difference_low']:+.2f}, {r['difference_high']:+.2f}]")
            lines.append(text)
    return "\n".join(lines)
