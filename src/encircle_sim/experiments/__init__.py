"""Experiments at scale: replications, sweeps over designs, sensitivity analysis and calibration
against documented patterns, in this process or on a Dask cluster, resumable.

* ``spec``: experiment files (TOML), validated like scenario files.
* ``designs``: full factorial, Latin hypercube, nearly-orthogonal Latin hypercube, Morris, Sobol.
* ``seeds``: every replication's seed from (experiment seed, replication[, design point]).
* ``replicate``: one replication as a worker runs it; outcomes found in the run's summary.
* ``engine``: where replications run (this process, a local Dask cluster, any Dask cluster).
* ``store``: the results folder (Parquet parts and a manifest) that survives interruptions.
* ``sweep``: running an experiment into its folder, resuming what is there.
* ``replications``: ``run_many``, variants over seeds into an in-memory table.
* ``stats``, ``sensitivity``, ``discovery``, ``calibration``, ``report``: the analysis.
"""

from __future__ import annotations

import importlib

#: public name -> module that defines it (imported on first use, so the command line starts fast)
_EXPORTS = {
    "Pattern": "calibration", "outcome_pattern": "calibration",
    "NOT_OUTCOMES": "replicate", "RunOutputs": "replicate", "flatten_summary": "replicate",
    "numeric_outcomes": "replicate",
    "ReplicationError": "replications", "run_many": "replications",
    "MAX_SEED": "seeds", "replication_seed": "seeds", "replication_seeds": "seeds",
    "Experiment": "spec", "ExperimentError": "spec", "experiment_from_dict": "spec",
    "load_experiment": "spec",
    "SweepResult": "sweep", "run_experiment": "sweep",
    "write_report": "report",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'encircle_sim.experiments' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"encircle_sim.experiments.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
