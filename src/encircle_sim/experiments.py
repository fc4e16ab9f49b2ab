"""Replications: one or several scenario variants over seeds, one table row per run.

One run is one draw from the model's randomness, so comparing variants needs several seeds each
and the spread of their outcomes. :func:`run_many` runs every variant with the same list of seeds
(derived from a root seed with ``numpy.random.SeedSequence``, or given), so any row can be
repeated alone with ``run(scenario, seed=...)`` or ``encircle-sim run FILE --seed ...``.

Runs go serially in this process by default, or on a Dask cluster of worker processes
(``workers > 1`` starts a ``LocalCluster``; or pass a ``dask.distributed.Client``). Each task
returns only the run's small summary, never the model. The table is the same whatever the
number of workers: rows come back in task order and each run depends on its seed alone.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from encircle_sim.scenario import Scenario

#: Summary fields left out of the table: they are not outcomes and differ between equal runs.
NOT_OUTCOMES = ("wall_seconds",)
MAX_SEED = 2**63 - 1  # the scenario schema's bound on ``seed``

ScenarioLike = Scenario | str | Path
Progress = Callable[[int, int], None]


def replication_seeds(n: int, root_seed: int = 0) -> list[int]:
    """``n`` independent seeds derived reproducibly from ``root_seed`` (SeedSequence.spawn)."""
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"seeds: expected a number of replications >= 1 or a list of seeds, "
                         f"got {n!r}")
    children = np.random.SeedSequence(int(root_seed)).spawn(int(n))
    # 63 bits: a seed a scenario file and `encircle-sim run --seed` accept.
    return [int(c.generate_state(1, dtype=np.uint64)[0] >> np.uint64(1)) for c in children]


def flatten_summary(summary: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """Nested summary tables become dotted columns (``phase_days.assault``)."""
    out: dict[str, Any] = {}
    for key, value in summary.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            out.update(flatten_summary(value, f"{name}."))
        elif name not in NOT_OUTCOMES:
            out[name] = value
    return out


def run_summary(scenario: Scenario, seed: int) -> dict[str, Any]:
    """One run's flattened outcome figures: the task each worker runs."""
    from encircle_sim.runner import run

    return flatten_summary(run(scenario, seed=seed, plots=False).summary)


def _variants(scenarios: ScenarioLike | Mapping[str, ScenarioLike] | Iterable[ScenarioLike]
              ) -> list[tuple[str, Scenario]]:
    """Labelled, loaded scenarios; labels default to the scenario names and must be unique."""
    from encircle_sim.scenario_files import load_scenario

    if isinstance(scenarios, (Scenario, str, Path)):
        items: list[tuple[str | None, ScenarioLike]] = [(None, scenarios)]
    elif isinstance(scenarios, Mapping):
        items = [(str(label), sc) for label, sc in scenarios.items()]
    else:
        items = [(None, sc) for sc in scenarios]
    if not items:
        raise ValueError("run_many: no scenarios given")
    out = []
    for label, sc in items:
        if not isinstance(sc, Scenario):
            if not isinstance(sc, (str, Path)):
                raise TypeError(f"run_many: expected a Scenario, a bundled name or a path, "
                                f"got {type(sc).__name__}")
            sc = load_scenario(sc)
        out.append((label if label is not None else sc.name, sc))
    labels = [label for label, _ in out]
    repeated = sorted({lab for lab in labels if labels.count(lab) > 1})
    if repeated:
        raise ValueError(f"run_many: the label(s) {', '.join(repeated)} appear more than once; "
                         "pass a dict {label: scenario} to name the variants")
    return out


def _seed_list(seeds: int | Iterable[int], root_seed: int) -> list[int]:
    if isinstance(seeds, (int, np.integer)) and not isinstance(seeds, bool):
        return replication_seeds(int(seeds), root_seed)
    out = []
    for s in seeds:
        if isinstance(s, bool) or not isinstance(s, (int, np.integer)) or not 0 <= s <= MAX_SEED:
            raise ValueError(f"seeds: every seed must be an integer in 0..{MAX_SEED}, got {s!r}")
        out.append(int(s))
    if not out:
        raise ValueError("seeds: the list of seeds is empty")
    return out


def _stderr_progress(done: int, total: int) -> None:
    sys.stderr.write(f"\r  runs done {done}/{total}")
    if done == total:
        sys.stderr.write("\n")
    sys.stderr.flush()


def map_tasks(fn: Callable[..., Any], args: list[tuple], *, workers: int = 1, client=None,
              report: Progress | None = None, describe: Callable[[int], str] = str
              ) -> list[Any]:
    """``[fn(*a) for a in args]``, serially or on Dask (``workers`` > 1 starts a LocalCluster,
    or ``client``), results in task order; a failure names its task (``describe(i)``)."""
    if client is None and workers == 1:
        results = []
        for k, a in enumerate(args):
            try:
                results.append(fn(*a))
            except Exception as err:
                err.add_note(describe(k))
                raise
            if report:
                report(k + 1, len(args))
        return results
    from dask.distributed import Client, LocalCluster, as_completed

    owned = None
    if client is None:
        cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                               dashboard_address=None)
        client = Client(cluster)
        owned = (client, cluster)
    try:
        futures = [client.submit(fn, *a, pure=False) for a in args]
        where = {f.key: i for i, f in enumerate(futures)}
        out: list[Any] = [None] * len(args)
        for done, fut in enumerate(as_completed(futures), 1):
            i = where[fut.key]
            try:
                out[i] = fut.result()
            except Exception as err:
                err.add_note(describe(i))
                raise
            if report:
                report(done, len(args))
        return out
    finally:
        if owned:
            owned[0].close()
            owned[1].close()


def run_many(scenarios: ScenarioLike | Mapping[str, ScenarioLike] | Iterable[ScenarioLike], *,
             seeds: int | Iterable[int] = 5, root_seed: int = 0, workers: int = 1, client=None,
             progress: bool | Progress = False) -> pd.DataFrame:
    """Run each scenario (variant) once per seed; one row per run, in a tidy table.

    Args:
        scenarios: a Scenario, bundled name or path; a list of them (labelled by scenario
            name); or a dict ``{label: scenario}``.
        seeds: how many replications (seeds derived from ``root_seed``), or a list of seeds.
            Every variant runs with the same seeds; the scenario's own ``seed`` is replaced.
        root_seed: root of the derived seeds.
        workers: more than 1 runs on a Dask ``LocalCluster`` of that many worker processes,
            started and closed here (about 2 s to start; worth it when runs take a second or
            more). In a script, call it under ``if __name__ == "__main__":``.
        client: a ``dask.distributed.Client`` to run on instead (left open).
        progress: True prints "runs done k/N" to stderr; or a function ``(done, total)``.

    Returns:
        A DataFrame with columns ``label``, ``seed`` and the summary's outcome figures
        (nested ones flattened, e.g. ``phase_days.assault``), rows ordered by variant, then seed.
    """
    if isinstance(workers, bool) or not isinstance(workers, (int, np.integer)) or workers < 1:
        raise ValueError(f"workers: expected an integer >= 1, got {workers!r}")
    variants = _variants(scenarios)
    seed_list = _seed_list(seeds, root_seed)
    tasks = [(label, sc, seed) for label, sc in variants for seed in seed_list]
    report = _stderr_progress if progress is True else (progress or None)
    results = map_tasks(run_summary, [(sc, seed) for _, sc, seed in tasks],
                        workers=int(workers), client=client, report=report,
                        describe=lambda i: f"run_many: variant {tasks[i][0]!r}, seed {tasks[i][2]}")
    rows = [{"label": label, "seed": seed, **res}
            for (label, _, seed), res in zip(tasks, results, strict=True)]
    return pd.DataFrame(rows)
