"""Running an experiment into its results folder: resumable, streamed, with a progress bar.

Replications go in replication-major order (every design point's first replication, then every
point's second, ...), so an interrupted sweep leaves a balanced table. Each finished row goes to
the store at once (see ``store.py``); the same call on the same folder skips every stored
replication and runs the rest, and raising ``replications`` later adds replications without
touching the ones done (their seeds do not depend on how many there are).
"""

from __future__ import annotations

import datetime as dt
import difflib
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from encircle_sim.experiments.calibration import run_measures
from encircle_sim.experiments.designs import Design, make_design
from encircle_sim.experiments.engine import executor_for
from encircle_sim.experiments.replicate import IDENTITY, Job, Task, is_numeric
from encircle_sim.experiments.seeds import replication_seed
from encircle_sim.experiments.spec import Experiment, ExperimentError
from encircle_sim.experiments.store import ResultStore, write_atomic
from encircle_sim.scenario import Problem, toml_repr

#: Failed replications told one by one as they happen; later ones only counted.
TELL_FAILURES = 5


@dataclass
class SweepResult:
    """Where the results are and how the sweep went."""

    folder: Path
    total: int          # replications the experiment has
    stored_before: int  # already in the folder when this call started
    ran: int            # run by this call
    failed: int         # failed replications now in the folder
    interrupted: bool = False

    def table(self) -> pd.DataFrame:
        """One row per stored replication (read from the folder)."""
        return ResultStore(self.folder).table()

    @property
    def complete(self) -> bool:
        return not self.interrupted and self.stored_before + self.ran >= self.total


def seed_of(experiment: Experiment, point: int, rep: int) -> int:
    if experiment.common_random_numbers:
        return replication_seed(experiment.seed, rep)
    return replication_seed(experiment.seed, rep, point)


def rerun_command(folder: Path, design: Design, point: int, seed: int) -> str:
    """The command that runs one replication of the sweep alone."""
    sets = " ".join(f"--set '{k}={toml_repr(v)}'" for k, v in design.overrides(point))
    return (f"encircle-sim run {folder / 'scenario.resolved.toml'} {sets} --seed {seed}"
            ).replace("  ", " ")


def prepare_folder(experiment: Experiment, folder: Path, design: Design, *,
                   force: bool = False) -> ResultStore:
    """Check the folder holds this experiment's results (or nothing), then write its manifest."""
    from encircle_sim.outputs import git_commit, versions
    from encircle_sim.scenario_files import save_scenario

    folder = Path(folder)
    store = ResultStore(folder)
    old = store.manifest()
    if force:
        store.clear()
        old = None
    elif old is not None and old.get("fingerprint") != experiment.fingerprint():
        changed = [k for k, v in experiment.definition().items()
                   if old.get("definition", {}).get(k) != _jsonable(v)]
        raise ExperimentError(str(folder), [Problem(
            "--out", "this folder holds the results of a different experiment (changed: "
            f"{', '.join(changed) or 'the definition'})", None,
            "another --out, or --force to discard those results and start again")])
    elif old is None and folder.is_dir() and any(folder.iterdir()):
        what = ("a single run's folder" if (folder / "summary.json").exists()
                else "files that are not an experiment's results")
        raise ExperimentError(str(folder), [Problem(
            "--out", f"this folder holds {what}; results are never mixed or overwritten "
            "silently", None, "an empty or new folder, or --force to replace its results")])
    now = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    manifest = {
        "experiment": experiment.name,
        "title": experiment.title,
        "kind": experiment.kind,
        "fingerprint": experiment.fingerprint(),
        "source": experiment.source,
        "source_dir": str(Path(experiment.source).resolve().parent) if experiment.source
        and Path(experiment.source).exists() else None,
        "scenario": experiment.scenario_ref or experiment.base.name,
        "seed": experiment.seed,
        "replications": experiment.replications,
        "common_random_numbers": experiment.common_random_numbers,
        "design": {"kind": design.kind, "points": len(design), **design.options},
        "parameters": [p["path"] for p in experiment.definition()["parameters"]],
        "tasks": len(design) * experiment.replications,
        "report": experiment.report,
        "patterns_from": _patterns_from(experiment),
        "definition": _jsonable(experiment.definition()),
        "created_at": (old or {}).get("created_at", now),
        "updated_at": now,
        "versions": versions(),
        "git_commit": git_commit(),
        "command": " ".join(sys.argv),
    }
    if old and old.get("git_commit") != manifest["git_commit"]:
        manifest["earlier_git_commits"] = sorted(
            set(old.get("earlier_git_commits", [])) | {str(old.get("git_commit"))})
    store.write_manifest(manifest)
    if experiment.text is not None:
        write_atomic(folder / "experiment.toml", experiment.text)
    save_scenario(experiment.base, folder / "scenario.resolved.toml")
    points = design.points.copy()
    write_atomic(folder / "design.csv", points.reset_index().to_csv(index=False))
    if design.samples is not None:
        samples = pd.DataFrame(design.samples, columns=list(design.points.columns))
        write_atomic(folder / "design_samples.csv", samples.to_csv(index_label="point"))
    return store


def _patterns_from(experiment: Experiment) -> str | None:
    if not experiment.text:
        return None
    import tomllib

    return tomllib.loads(experiment.text).get("patterns_from")


def _jsonable(value: Any) -> Any:
    import json

    return json.loads(json.dumps(value, default=str))


def plan(experiment: Experiment, design: Design, done: set[tuple[int, int]]) -> Iterator[Task]:
    """The replications still to run, replication-major."""
    overrides = [design.overrides(p) for p in range(len(design))]
    for rep in range(experiment.replications):
        for point in range(len(design)):
            if (point, rep) not in done:
                yield Task(point, rep, seed_of(experiment, point, rep), 0, overrides[point])


class RowMaker:
    """Turns a replication's result into the stored row: parameters and outcomes as columns."""

    def __init__(self, experiment: Experiment, design: Design):
        self.experiment = experiment
        self.design = design
        self.parameters = list(design.points.columns)
        self.outcomes: list[str] | None = list(experiment.outcomes) if experiment.outcomes \
            else None
        self.checked = experiment.outcomes is None

    def check_outcomes(self, summary: dict[str, Any]) -> None:
        """Outcomes named in the experiment must be figures the summary has."""
        self.checked = True
        missing = [o for o in self.outcomes or [] if o not in summary]
        if missing:
            known = [k for k in summary if k not in IDENTITY]
            problems = []
            for name in missing:
                close = difflib.get_close_matches(name, known, n=1)
                problems.append(Problem("outcomes", f"the run summary has no figure {name!r}",
                                        None, ", ".join(known),
                                        hint=f"did you mean '{close[0]}'?" if close else ""))
            raise ExperimentError(self.experiment.source or self.experiment.name, problems)

    def row(self, result: dict[str, Any]) -> dict[str, Any]:
        point = result["point"]
        row: dict[str, Any] = {"point": point, "rep": result["rep"], "seed": result["seed"]}
        for name in self.parameters:
            row[name] = self.design.value(point, name)
        summary = result["summary"]
        if summary is not None:
            if not self.checked:
                self.check_outcomes(summary)
            names = self.outcomes if self.outcomes is not None else [
                k for k, v in summary.items() if k not in IDENTITY and is_numeric(v)]
            for name in names:
                if name in self.parameters:
                    continue
                value = summary.get(name)
                row[name] = _as_float(value) if is_numeric(value) else str(value)
        for name, value in (result.get("measures") or {}).items():
            row[f"pattern:{name}"] = _as_float(value)
        for key in ("run_seconds", "error", "traceback", "worker"):
            row[key] = result.get(key)
        row["finished_at"] = dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds")
        return row


def _as_float(value: Any) -> float:
    return float("nan") if value is None else float(value)


def run_experiment(experiment: Experiment, out: str | Path, *, workers: int | None = None,
                   scheduler: str | None = None, client=None, progress: bool = True,
                   retry_failed: bool = False, force: bool = False, runner=None,
                   stream=None, on_row=None) -> SweepResult:
    """Run (or resume) an experiment into the folder ``out``.

    Args:
        experiment: a validated :class:`Experiment` (``load_experiment(path)``).
        out: the results folder; the same folder again resumes.
        workers: worker processes of a local Dask cluster (default: one per core; 1 runs here,
            in this process).
        scheduler: the address of a running Dask scheduler (``tcp://host:8786``) instead.
        client: a ``dask.distributed.Client`` instead (left open).
        progress: show a progress bar with the time left (on ``stream``, default stderr).
        retry_failed: run the replications that failed before once more.
        force: discard the folder's earlier results.
        on_row: called with each stored row (benchmarks, tests).
    """
    stream = stream or sys.stderr
    folder = Path(out)
    design = make_design(list(experiment.parameters), experiment.design, experiment.seed)
    store = prepare_folder(experiment, folder, design, force=force)
    done = store.finished(include_failed=not retry_failed)
    total = len(design) * experiment.replications
    stored_before = sum(1 for p, r in done if p < len(design) and r < experiment.replications)
    todo = plan(experiment, design, done)
    if stored_before >= total:
        _say(stream, progress, f"{experiment.name}: all {total} replications are already "
                               f"stored in {folder}")
        return _finish(store, SweepResult(folder, total, stored_before, 0, 0))
    job = Job(scenarios=[experiment.base], keep_steps=experiment.steps,
              measures=run_measures(experiment.patterns), runner=runner)
    maker = RowMaker(experiment, design)
    executor = executor_for(workers, scheduler, client)
    bar = None
    ran = failed = 0
    interrupted = False
    try:
        _say(stream, progress,
             f"{experiment.name}: {len(design)} design point{'s' * (len(design) != 1)} x "
             f"{experiment.replications} replications = {total} runs"
             f"{f' ({stored_before} already stored)' if stored_before else ''}, on "
             f"{executor.description} -> {folder}")
        if progress:
            from tqdm import tqdm

            bar = tqdm(total=total, initial=stored_before, unit="run", file=stream,
                       desc=experiment.name, mininterval=0.5, smoothing=0.05, dynamic_ncols=True)
        for result in executor.results(job, todo):
            row = maker.row(result)
            store.add(row, steps=result.get("steps"))
            ran += 1
            if row["error"] is not None:
                failed += 1
                if failed <= TELL_FAILURES:
                    message = (f"replication {row['rep']} of design point {row['point']} "
                               f"(seed {row['seed']}) failed: {row['error']}\n  run it alone: "
                               f"{rerun_command(folder, design, row['point'], row['seed'])}")
                    (bar.write(message, file=stream) if bar is not None
                     else print(message, file=stream))
            if on_row is not None:
                on_row(row)
            if bar is not None:
                bar.update(1)
    except KeyboardInterrupt:
        interrupted = True
    finally:
        store.flush()
        if bar is not None:
            bar.close()
        executor.close()
    result = _finish(store, SweepResult(folder, total, stored_before, ran, 0, interrupted))
    if interrupted:
        _say(stream, True, f"interrupted: {result.stored_before + result.ran} of {total} "
                           f"replications are stored in {folder}; run the same command again "
                           "to resume")
    return result


def _finish(store: ResultStore, result: SweepResult) -> SweepResult:
    table = store.table()
    result.failed = int(table["error"].notna().sum()) if len(table) else 0
    manifest = store.manifest() or {}
    manifest["status"] = {"stored": int(len(table)), "failed": result.failed,
                          "complete": len(table) >= result.total,
                          "at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds")}
    store.write_manifest(manifest)
    return result


def _say(stream, show: bool, text: str) -> None:
    if show:
        print(text, file=stream, flush=True)
