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

from encircle_sim.experiments.calibration import Pattern, outcome_pattern
from encircle_sim.experiments.replicate import (
    NOT_OUTCOMES,
    RunOutputs,
    flatten_summary,
    numeric_outcomes,
)
from encircle_sim.experiments.replications import ReplicationError, run_many
from encircle_sim.experiments.seeds import MAX_SEED, replication_seed, replication_seeds
from encircle_sim.experiments.spec import (
    Experiment,
    ExperimentError,
    experiment_from_dict,
    load_experiment,
)
from encircle_sim.experiments.sweep import SweepResult, run_experiment

__all__ = [
    "MAX_SEED", "NOT_OUTCOMES", "Experiment", "ExperimentError", "Pattern", "ReplicationError",
    "RunOutputs", "SweepResult", "experiment_from_dict", "flatten_summary", "load_experiment",
    "numeric_outcomes", "outcome_pattern", "replication_seed", "replication_seeds",
    "run_experiment", "run_many",
]
