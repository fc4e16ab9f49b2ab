"""The experiment commands of ``encircle-sim``: sweep, report, calibrate and ``run --reps``.

Exit status: 0 when every replication finished, 1 when some failed (they are recorded, with the
command that reruns each alone), 2 for bad input (nothing run), 130 when interrupted (what was
done is stored; the same command resumes).
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

EXIT_OK, EXIT_FAILED_RUNS, EXIT_BAD_INPUT, EXIT_INTERRUPTED = 0, 1, 2, 130
_ADDRESS = re.compile(r"^(tcp|tls|ucx|ws|wss|inproc)://[^\s:/]+(:\d+)?/?$")


def add_cluster_args(p: argparse.ArgumentParser) -> None:
    group = p.add_mutually_exclusive_group()
    group.add_argument("--workers", type=int, metavar="N",
                       help="worker processes of a local Dask cluster (default: one per core; "
                            "1 runs in this process)")
    group.add_argument("--scheduler", metavar="ADDRESS",
                       help="use a running Dask cluster, e.g. tcp://10.0.0.5:8786")


def add_commands(sub) -> None:
    p = sub.add_parser("sweep", help="run an experiment file: a design of scenario variants x "
                                     "replications (resumable)")
    p.add_argument("experiment", help="experiment .toml file")
    _add_sweep_args(p)

    p = sub.add_parser("calibrate", help="calibrate against documented patterns (an experiment "
                                         "of kind \"calibration\"), then write the report")
    p.add_argument("experiment", help="experiment .toml file with kind = \"calibration\"")
    _add_sweep_args(p)

    p = sub.add_parser("report", help="statistics, figures, scenario discovery and sensitivity "
                                      "indices of a sweep folder")
    p.add_argument("folder", type=Path, help="the sweep's results folder")
    p.add_argument("--out", type=Path, help="report folder (default: FOLDER/report)")
    p.add_argument("--outcome", dest="outcomes", action="append", metavar="NAME",
                   help="an outcome to plot (repeatable; default: those the parameters move "
                        "most)")
    p.add_argument("--discover", action="append", metavar="CONDITION",
                   help="runs of interest for PRIM scenario discovery, e.g. "
                        "\"(iraq.escaped_cordon + iraq.escaped_border) / iraq.cells_initial "
                        "> 0.2\" (repeatable)")


def _add_sweep_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--out", type=Path,
                   help="results folder (default: runs/<experiment name>); the same folder "
                        "again resumes")
    add_cluster_args(p)
    p.add_argument("--retry-failed", action="store_true",
                   help="run the replications that failed before once more")
    p.add_argument("--force", action="store_true", help="discard the folder's earlier results")
    p.add_argument("--quiet", action="store_true", help="no progress bar")


def cluster_problems(args) -> list:
    from encircle_sim.scenario import Problem

    problems = []
    if getattr(args, "workers", None) is not None and args.workers < 1:
        problems.append(Problem("--workers", "must be at least 1", args.workers,
                                "an integer >= 1"))
    if getattr(args, "scheduler", None) is not None and not _ADDRESS.match(args.scheduler):
        problems.append(Problem("--scheduler", "not a Dask scheduler address", args.scheduler,
                                "PROTOCOL://HOST:PORT, e.g. tcp://10.0.0.5:8786"))
    return problems


def _bad(source: str, problems: list) -> int:
    from encircle_sim.experiments.spec import ExperimentError

    raise ExperimentError(source, problems)


def _unwritable(path: Path) -> str | None:
    from encircle_sim.cli import _unwritable as check

    return check(path, "--out", folder=True)


def _execute(experiment, out: Path, args) -> tuple[int, object]:
    """Run the sweep; report how it ended. Returns (exit status, SweepResult)."""
    from encircle_sim.experiments.sweep import run_experiment

    try:
        result = run_experiment(experiment, out, workers=args.workers,
                                scheduler=args.scheduler, progress=not args.quiet,
                                retry_failed=args.retry_failed, force=args.force)
    except OSError as err:
        if args.scheduler and not isinstance(err, FileNotFoundError | PermissionError):
            print(f"cannot reach the Dask scheduler at {args.scheduler}: {err}",
                  file=sys.stderr)
            return EXIT_BAD_INPUT, None
        raise
    if result.interrupted:
        return EXIT_INTERRUPTED, result
    stored = result.stored_before + result.ran
    print(f"{experiment.name}: {stored - result.failed} of {result.total} replications done"
          f"{f', {result.failed} failed (recorded with their errors; --retry-failed runs them again)' if result.failed else ''}"  # noqa: E501
          f"; results in {result.folder}/")
    return (EXIT_FAILED_RUNS if result.failed else EXIT_OK), result


def cmd_sweep(args) -> int:
    from encircle_sim.experiments.spec import load_experiment
    from encircle_sim.scenario import Problem

    experiment = load_experiment(args.experiment)
    out = args.out or Path("runs") / experiment.name
    problems = cluster_problems(args)
    if problem := _unwritable(out):
        problems.append(Problem("--out", problem.split(": ", 1)[-1], None, "a writable folder"))
    if problems:
        return _bad(args.experiment, problems)
    status, result = _execute(experiment, out, args)
    if status in (EXIT_OK, EXIT_FAILED_RUNS):
        print(f"next: encircle-sim report {out}")
    return status


def cmd_calibrate(args) -> int:
    from encircle_sim.experiments.report import write_report
    from encircle_sim.experiments.spec import load_experiment
    from encircle_sim.scenario import Problem

    experiment = load_experiment(args.experiment)
    if experiment.kind != "calibration":
        return _bad(args.experiment, [Problem(
            "kind", "this experiment is not a calibration", experiment.kind,
            "kind = \"calibration\" with [[patterns]] or patterns_from (or run it with "
            "`encircle-sim sweep`)")])
    out = args.out or Path("runs") / experiment.name
    problems = cluster_problems(args)
    if problem := _unwritable(out):
        problems.append(Problem("--out", problem.split(": ", 1)[-1], None, "a writable folder"))
    if problems:
        return _bad(args.experiment, problems)
    status, result = _execute(experiment, out, args)
    if status == EXIT_INTERRUPTED or result is None:
        return status
    report = write_report(out, patterns=list(experiment.patterns))
    for line in report.lines:
        if line.startswith(("Calibration", "  ")):
            print(line)
    print(f"calibration report in {report.folder}/ (report.md, calibration_ranges.csv, "
          "calibration.png)")
    return status


def cmd_report(args) -> int:
    from encircle_sim.experiments.report import write_report
    from encircle_sim.scenario import Problem

    if not args.folder.is_dir():
        return _bad(str(args.folder), [Problem("", "no such folder", None,
                                               "a folder written by `encircle-sim sweep`")])
    report = write_report(args.folder, args.out, outcomes=args.outcomes,
                          discover=args.discover)
    for line in report.lines:
        print(line)
    print(f"report in {report.folder}/report.md ({len(report.files)} files)")
    return EXIT_OK


def cmd_run_reps(args) -> int:
    """``encircle-sim run SCENARIO --reps N``: replications of one scenario, summarised."""
    from encircle_sim.experiments import stats
    from encircle_sim.experiments.report import outcome_columns
    from encircle_sim.experiments.spec import single_scenario_experiment
    from encircle_sim.scenario import Problem
    from encircle_sim.scenario_files import load_scenario

    problems = cluster_problems(args)
    if args.reps < 1:
        problems.append(Problem("--reps", "must be at least 1", args.reps, "an integer >= 1"))
    if args.animate:
        problems.append(Problem("--animate", "draws one run, not replications", None,
                                "--animate without --reps"))
    if problems:
        return _bad(str(args.scenario), problems)
    scenario = load_scenario(args.scenario, args.overrides)
    seed = args.seed if args.seed is not None else scenario.seed
    source = " ".join([str(args.scenario), *(f"--set {o}" for o in args.overrides)])
    experiment = single_scenario_experiment(scenario, args.reps, seed,
                                            name=f"{scenario.name}-reps", source=None)
    experiment = type(experiment)(**{**experiment.__dict__, "scenario_ref": source})
    out = args.out or Path("runs") / f"{scenario.name}-seed{seed}-reps"
    args.retry_failed = getattr(args, "retry_failed", False)
    args.quiet = getattr(args, "quiet", False)
    status, result = _execute(experiment, out, args)
    if result is None or status == EXIT_INTERRUPTED:
        return status
    table = result.table()
    ok = table[table["error"].isna()]
    if ok.empty:
        return status
    summary = stats.point_summary(ok, outcome_columns(ok, []), [])
    print(f"{'outcome':32s} {'mean':>10s} {'sd':>9s} {'95% interval':>23s} {'n':>4s}")
    for r in summary.itertuples():
        if r.sd == 0 or r.sd != r.sd:  # constant or undefined: the mean says it all
            print(f"{r.outcome:32s} {r.mean:10.4g} {'':>9s} {'':>23s} {r.n:4d}")
        else:
            print(f"{r.outcome:32s} {r.mean:10.4g} {r.sd:9.3g} [{r.ci_low:10.4g}, "
                  f"{r.ci_high:10.4g}] {r.n:4d}")
    for text in stats.too_few_warnings(summary):
        print(f"warning: {text}", file=sys.stderr)
    print(f"each row of {out}/results reruns alone: encircle-sim run {source} --seed SEED")
    return status
