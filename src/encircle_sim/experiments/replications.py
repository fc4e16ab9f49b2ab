"""``run_many``: one or several scenario variants over seeds, one table row per run, in memory.

One run is one draw from the model's randomness, so comparing variants needs several seeds each
and the spread of their outcomes. :func:`run_many` runs every variant with the same list of seeds
(derived from a root seed, or given), so any row can be repeated alone with
``run(scenario, seed=...)`` or ``encircle-sim run FILE --seed ...``. It runs on the machinery of
the sweeps (``engine.py``): in this process, or on a Dask cluster, and it works from a plain
script with no ``if __name__ == "__main__":`` guard. For long experiments that must survive an
interruption, use an experiment file and ``encircle-sim sweep`` (or :func:`run_experiment`).
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from encircle_sim.experiments.engine import InProcess, OnDask
from encircle_sim.experiments.replicate import Job, Task
from encircle_sim.experiments.seeds import MAX_SEED, replication_seeds
from encircle_sim.scenario import Scenario

ScenarioLike = Scenario | str | Path
Progress = Callable[[int, int], None]


class ReplicationError(RuntimeError):
    """A run of :func:`run_many` raised; the message names its variant and seed."""


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


def run_many(scenarios: ScenarioLike | Mapping[str, ScenarioLike] | Iterable[ScenarioLike], *,
             seeds: int | Iterable[int] = 5, root_seed: int = 0, workers: int = 1, client=None,
             progress: bool | Progress = False, errors: str = "raise") -> pd.DataFrame:
    """Run each scenario (variant) once per seed; one row per run, in a tidy table.

    Args:
        scenarios: a Scenario, bundled name or path; a list of them (labelled by scenario
            name); or a dict ``{label: scenario}``.
        seeds: how many replications (seeds derived from ``root_seed``), or a list of seeds.
            Every variant runs with the same seeds; the scenario's own ``seed`` is replaced.
        root_seed: root of the derived seeds.
        workers: more than 1 runs on a Dask ``LocalCluster`` of that many worker processes,
            started and closed here (a second or two to start; worth it when there are more
            than a few runs). Works at the top level of a plain script too.
        client: a ``dask.distributed.Client`` to run on instead (left open).
        progress: True shows a progress bar with the time left on stderr; or a function
            ``(done, total)``.
        errors: ``"raise"`` (default) raises :class:`ReplicationError` naming the variant and
            seed of the first run that failed; ``"record"`` keeps going and adds an ``error``
            column (empty for the runs that worked).

    Returns:
        A DataFrame with columns ``label``, ``seed`` and the summary's outcome figures
        (nested ones flattened, e.g. ``phase_days.assault``), rows ordered by variant, then seed.
    """
    if isinstance(workers, bool) or not isinstance(workers, (int, np.integer)) or workers < 1:
        raise ValueError(f"workers: expected an integer >= 1, got {workers!r}")
    if errors not in ("raise", "record"):
        raise ValueError(f"errors: expected 'raise' or 'record', got {errors!r}")
    variants = _variants(scenarios)
    seed_list = _seed_list(seeds, root_seed)
    tasks = [Task(point=i, rep=k, seed=seed, scenario=i)
             for i in range(len(variants)) for k, seed in enumerate(seed_list)]
    job = Job(scenarios=[sc for _, sc in variants], runner=_runner_hook())
    executor = InProcess() if client is None and workers == 1 else OnDask(int(workers),
                                                                          client=client)
    report, bar = _progress(progress, len(tasks))
    rows: dict[tuple[int, int], dict[str, Any]] = {}
    try:
        for done, result in enumerate(executor.results(job, tasks), 1):
            if result["error"] is not None and errors == "raise":
                label = variants[result["point"]][0]
                err = ReplicationError(f"run_many: variant {label!r}, seed {result['seed']} "
                                       f"failed: {result['error']}")
                if result["traceback"]:
                    err.add_note(result["traceback"])
                raise err
            rows[(result["point"], result["rep"])] = result
            if report:
                report(done, len(tasks))
    finally:
        if bar is not None:
            bar.close()
        executor.close()
    table = []
    for task in tasks:
        result = rows[task.key]
        row = {"label": variants[task.point][0], "seed": task.seed, **(result["summary"] or {})}
        if errors == "record":
            row["error"] = result["error"]
        table.append(row)
    return pd.DataFrame(table)


def _runner_hook():
    """The campaign runner workers use: ``encircle_sim.run`` unless a test swapped it in."""
    return None


def _progress(progress: bool | Progress, total: int):
    if progress is True:
        from tqdm import tqdm

        bar = tqdm(total=total, unit="run", file=sys.stderr, desc="runs", mininterval=0.5)
        return (lambda done, _total: bar.update(done - bar.n)), bar
    return (progress or None), None
