"""encircle-sim: an agent-based simulation of an encirclement campaign in the Iraq-Syria desert.

The public API, for notebooks and scripts::

    import encircle_sim as es

    sc = es.load_scenario("victory_will")                    # bundled name or a .toml path
    es.parameter_table(sc)                                   # key values, units, meanings
    sc2 = es.with_overrides(sc, {"border.sealing": 0.1})     # a new, validated Scenario
    result = es.run(sc2, seed=3)                             # .summary, .steps, .events, .model
    es.run("quick", out="runs/q", checkpoint_every=2)        # run folder + checkpoints/
    es.resume("runs/q/checkpoints/day-004.00.ckpt")          # continue, same results
    es.save_animation("runs/q")                              # campaign.mp4 (GIF without ffmpeg)
    model.order("commit_reserve", sector="largest_gap")      # orders (docs/orders.md)
    es.branch(model, {"sealed": [{"order": "border_sealing", "value": 0.95}]}, reps=10)
    es.plot_timeseries(result.steps); es.plot_final_map(result.model)
    runs = es.run_many({"sealed": sc, "leaky": sc2}, seeds=5, workers=2)   # one row per run
    es.plot_replications(runs, ["iraq.escaped_border", "iraq.killed"])
    sweep = es.run_experiment(es.load_experiment("my_sweep.toml"), "runs/my_sweep")  # resumable
    es.write_report("runs/my_sweep")                          # statistics, figures, PRIM, SALib
    es.save_scenario(sc2, "leaky.toml")                      # `encircle-sim run leaky.toml`
    es.CampaignPage("quick")                                 # the live page, in a Jupyter cell

Names are imported on first use, so ``import encircle_sim`` stays cheap (Mesa, matplotlib and
Dask load only when a function that needs them is touched).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

__version__ = "0.1.0"

#: public name -> module that defines it
_EXPORTS = {
    # scenarios
    "Scenario": "encircle_sim.scenario",
    "ScenarioError": "encircle_sim.scenario_files",
    "load_scenario": "encircle_sim.scenario_files",
    "save_scenario": "encircle_sim.scenario_files",
    "with_overrides": "encircle_sim.scenario_files",
    "bundled_scenarios": "encircle_sim.scenario_files",
    "parameter_table": "encircle_sim.scenario_files",
    "get_path": "encircle_sim.scenario_files",
    # the model and runs
    "CampaignModel": "encircle_sim.model",
    "run": "encircle_sim.runner",
    "RunResult": "encircle_sim.runner",
    "resume": "encircle_sim.runner",
    "branch": "encircle_sim.branches",
    "run_many": "encircle_sim.experiments.replications",
    "replication_seeds": "encircle_sim.experiments.seeds",
    # experiments at scale: experiment files, sweeps into resumable folders, reports
    "load_experiment": "encircle_sim.experiments.spec",
    "run_experiment": "encircle_sim.experiments.sweep",
    "write_report": "encircle_sim.experiments.report",
    "Pattern": "encircle_sim.experiments.calibration",
    # checkpoints and replay
    "save_checkpoint": "encircle_sim.checkpoint",
    "load_checkpoint": "encircle_sim.checkpoint",
    "open_run_folder": "encircle_sim.replay",
    # figures
    "plot_timeseries": "encircle_sim.plotting",
    "plot_final_map": "encircle_sim.plotting",
    "plot_replications": "encircle_sim.plotting",
    "save_animation": "encircle_sim.animation",
    # the live page (displays in a Jupyter cell as the last expression)
    "CampaignPage": "encircle_sim.viz.page",
}

__all__ = [  # the same names as _EXPORTS (a test checks), spelled out for tools that read it
    "__version__",
    "Scenario", "ScenarioError", "load_scenario", "save_scenario", "with_overrides",
    "bundled_scenarios", "parameter_table", "get_path",
    "CampaignModel", "run", "resume", "branch", "RunResult", "run_many", "replication_seeds",
    "load_experiment", "run_experiment", "write_report", "Pattern",
    "save_checkpoint", "load_checkpoint", "open_run_folder",
    "plot_timeseries", "plot_final_map", "plot_replications", "save_animation",
    "CampaignPage",
]


def __getattr__(name: str):
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'encircle_sim' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # later look-ups skip this function
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


if TYPE_CHECKING:  # for editors and type checkers; no import cost at run time
    from encircle_sim.animation import save_animation
    from encircle_sim.branches import branch
    from encircle_sim.checkpoint import load_checkpoint, save_checkpoint
    from encircle_sim.experiments.calibration import Pattern
    from encircle_sim.experiments.replications import run_many
    from encircle_sim.experiments.report import write_report
    from encircle_sim.experiments.seeds import replication_seeds
    from encircle_sim.experiments.spec import load_experiment
    from encircle_sim.experiments.sweep import run_experiment
    from encircle_sim.model import CampaignModel
    from encircle_sim.plotting import plot_final_map, plot_replications, plot_timeseries
    from encircle_sim.replay import open_run_folder
    from encircle_sim.runner import RunResult, resume, run
    from encircle_sim.scenario import Scenario
    from encircle_sim.scenario_files import (
        ScenarioError,
        bundled_scenarios,
        get_path,
        load_scenario,
        parameter_table,
        save_scenario,
        with_overrides,
    )
    from encircle_sim.viz.page import CampaignPage
