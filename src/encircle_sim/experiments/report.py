"""The report of a sweep folder: tables, figures, scenario discovery, sensitivity, calibration.

    SWEEP_DIR/report/
      report.md               what is where, the warnings, the discoveries, in words
      summary_by_point.csv    per design point and outcome: n, mean, sd, 95% interval
      replications.csv        every replication's row (the Parquet store as one table)
      failures.csv            failed replications with their error and how to rerun each alone
      distributions.png       outcome distributions per design point
      response_<param>.png    each outcome along each varied parameter, with intervals
      discovery.csv           PRIM boxes for the conditions of interest
      sensitivity.csv/.png    Morris or Sobol indices with intervals (those designs only)
      calibration_*.csv/.png  accepted points and ranges (calibrations only)
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from encircle_sim.experiments import calibration as cal
from encircle_sim.experiments import stats
from encircle_sim.experiments.spec import ExperimentError
from encircle_sim.experiments.store import KEY_COLUMNS, RUN_COLUMNS, ResultStore
from encircle_sim.scenario import Problem

#: Outcomes drawn when the experiment names none: the ones the parameters move most.
PLOTTED_OUTCOMES = 6


@dataclass
class Report:
    folder: Path
    files: list[Path] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)  # the report's findings, in words


def outcome_columns(table: pd.DataFrame, parameters: list[str]) -> list[str]:
    skip = set(KEY_COLUMNS) | set(RUN_COLUMNS) | set(parameters)
    return [c for c in table.columns if c not in skip and not c.startswith(cal.MEASURE_PREFIX)
            and pd.api.types.is_numeric_dtype(table[c])]


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", name)


def write_report(sweep_dir: str | Path, out: str | Path | None = None, *,
                 outcomes: list[str] | None = None, discover: list[str] | None = None,
                 patterns=None, stream=None) -> Report:
    """Write the report of the sweep in ``sweep_dir`` (see the module's docstring)."""
    stream = stream or sys.stderr
    folder = Path(sweep_dir)
    store = ResultStore(folder)
    manifest = store.manifest()
    if manifest is None:
        raise ExperimentError(str(folder), [Problem(
            "", "not a sweep folder (it has no manifest.json)", None,
            "a folder written by `encircle-sim sweep` or `encircle-sim run --reps`")])
    table = store.table()
    out = Path(out) if out is not None else folder / "report"
    out.mkdir(parents=True, exist_ok=True)
    report = Report(out)
    parameters = list(manifest.get("parameters", []))
    all_outcomes = outcome_columns(table, parameters)
    ok = table[table["error"].isna()] if len(table) else table
    if ok.empty:
        raise ExperimentError(str(folder), [Problem(
            "", "no finished replications to report on yet", None,
            "run the sweep (the same command resumes it) until some replications finish")])

    unknown = [o for o in (outcomes or []) if o not in all_outcomes]
    if unknown:
        raise ExperimentError(str(folder), [Problem(
            "--outcome", f"no outcome {o!r} in the results", None, ", ".join(all_outcomes))
            for o in unknown])
    chosen = outcomes or (manifest.get("report") or {}).get("outcomes") or stats.rank_outcomes(
        ok, all_outcomes)[:PLOTTED_OUTCOMES] or all_outcomes[:PLOTTED_OUTCOMES]

    # ---- tables ------------------------------------------------------------------------------
    summary = stats.point_summary(ok, all_outcomes, parameters)
    report.files.append(_csv(summary, out / "summary_by_point.csv"))
    report.files.append(_csv(table.drop(columns=["traceback"], errors="ignore"),
                             out / "replications.csv"))
    total = int(manifest.get("tasks", len(table)))
    points = int(manifest["design"]["points"])
    report.lines.append(f"{len(ok)} of {total} replications finished "
                        f"({manifest['design']['kind']} design, {points} "
                        f"point{'s' * (points != 1)} x {manifest['replications']} "
                        f"replications; experiment seed "
                        f"{manifest['seed']}, common random numbers "
                        f"{'on' if manifest.get('common_random_numbers', True) else 'off'}).")
    report.warnings += stats.too_few_warnings(summary)
    failed = table[table["error"].notna()] if len(table) else table
    if len(failed):
        report.files.append(_failures(failed, parameters, folder, out / "failures.csv"))
        report.warnings.append(f"{len(failed)} replications failed (see failures.csv: each "
                               "with its error, seed and the command that reruns it alone); "
                               "`encircle-sim sweep ... --retry-failed` runs them again")
    if len(table) < total:
        report.warnings.append(f"the sweep is incomplete: {total - len(table)} replications "
                               "not run yet (run the same sweep command to resume)")

    # ---- figures -----------------------------------------------------------------------------
    from encircle_sim.experiments import figures

    if chosen:
        report.files.append(figures.distributions(ok, chosen, out / "distributions.png"))
        for param in parameters:
            if ok[param].nunique() > 1:
                report.files.append(figures.response_curves(
                    ok, param, chosen, out / f"response_{_safe(param)}.png"))

    # ---- scenario discovery ------------------------------------------------------------------
    conditions = discover or (manifest.get("report") or {}).get("discover")
    if not conditions and chosen and parameters:
        top = chosen[0]
        threshold = float(pd.to_numeric(ok[top], errors="coerce").quantile(0.75))
        conditions = [f"{top} > {threshold:.6g}"]
        report.lines.append(f"Scenario discovery looked at `{conditions[0]}` (the outcome "
                            "the parameters move most, above its upper quartile); name your "
                            "own condition with `--discover`.")
    if conditions and parameters:
        report.files += _discovery(ok, parameters, conditions, out, report)

    # ---- sensitivity -------------------------------------------------------------------------
    if manifest["design"]["kind"] in ("morris", "sobol"):
        report.files += _sensitivity(folder, manifest, ok, all_outcomes, chosen, out, report)

    # ---- calibration -------------------------------------------------------------------------
    if manifest.get("kind") == "calibration" or patterns:
        report.files += _calibration(folder, manifest, ok, parameters, patterns, out, report)

    report.files.append(_markdown(manifest, report, out / "report.md"))
    for text in report.warnings:
        print(f"warning: {text}", file=stream)
    return report


def _csv(frame: pd.DataFrame, path: Path) -> Path:
    from encircle_sim.experiments.store import write_atomic

    write_atomic(path, frame.to_csv(index=False))
    return path


def _failures(failed: pd.DataFrame, parameters, folder: Path, path: Path) -> Path:
    from encircle_sim.scenario import toml_repr

    rows = []
    for r in failed.to_dict("records"):
        values = {p: _py(r[p]) for p in parameters}
        sets = "".join(f" --set '{k}={toml_repr(v)}'" for k, v in values.items())
        rows.append({"point": r["point"], "rep": r["rep"], "seed": r["seed"], **values,
                     "error": r["error"], "rerun": f"encircle-sim run "
                     f"{folder / 'scenario.resolved.toml'}{sets} --seed {r['seed']}"})
    return _csv(pd.DataFrame(rows), path)


def _py(value):
    return value.item() if isinstance(value, np.generic) else value


def _discovery(ok: pd.DataFrame, parameters, conditions, out: Path, report: Report) -> list[Path]:
    from encircle_sim.experiments.discovery import discover

    rows = []
    for condition in conditions:
        try:
            y = cal.evaluate(ok, condition).to_numpy(dtype=bool)
        except Exception as err:
            report.warnings.append(f"scenario discovery: cannot evaluate {condition!r} "
                                   f"({type(err).__name__}: {err}); write a condition on the "
                                   "outcome columns, e.g. \"escaped_border > 3\"")
            continue
        found = discover(ok[parameters], y, condition)
        report.lines.append("Scenario discovery (PRIM): " + found.describe())
        for r in found.box.itertuples():
            rows.append({"condition": condition, "runs_meeting_it": found.share,
                         "parameter": r.parameter, "low": r.low, "high": r.high,
                         "coverage": found.coverage, "density": found.density,
                         "mass": found.mass})
        if found.box.empty:
            rows.append({"condition": condition, "runs_meeting_it": found.share,
                         "parameter": "", "low": np.nan, "high": np.nan,
                         "coverage": found.coverage, "density": found.density,
                         "mass": found.mass})
    return [_csv(pd.DataFrame(rows), out / "discovery.csv")] if rows else []


def _sensitivity(folder, manifest, ok, all_outcomes, chosen, out, report) -> list[Path]:
    from encircle_sim.experiments import figures
    from encircle_sim.experiments.designs import salib_problem
    from encircle_sim.experiments.sensitivity import indices_for_outcomes

    kind = manifest["design"]["kind"]
    samples_path = folder / "design_samples.csv"
    n_points = int(manifest["design"]["points"])
    means = ok.groupby("point")[all_outcomes].mean().reindex(range(n_points))
    missing = int(means.isna().all(axis=1).sum())
    if missing or not samples_path.exists():
        report.warnings.append(f"sensitivity indices need every design point: {missing} of "
                               f"{n_points} have no finished replication yet")
        return []
    samples = pd.read_csv(samples_path).drop(columns=["point"]).to_numpy(float)
    params = _parameters_of(manifest)
    problem = salib_problem(params)
    table = indices_for_outcomes(kind, problem, samples, means, all_outcomes,
                                 num_levels=int(manifest["design"].get("num_levels", 4)),
                                 seed=int(manifest["seed"]) % (2**31))
    if table.empty:
        return []
    files = [_csv(table, out / "sensitivity.csv")]
    files.append(figures.sensitivity_bars(table, kind, chosen, out / "sensitivity.png"))
    key = "mu_star" if kind == "morris" else "ST"
    for outcome in chosen:
        t = table[table["outcome"] == outcome].sort_values(key, ascending=False)
        if len(t):
            top = t.iloc[0]
            report.lines.append(f"Sensitivity of {outcome}: {top['parameter']} matters most "
                                f"({key} {top[key]:.3g} +- {top[key + '_conf']:.2g}).")
    return files


def _parameters_of(manifest) -> list:
    from encircle_sim.experiments.designs import Parameter

    out = []
    for p in manifest["definition"]["parameters"]:
        if "values" in p:
            out.append(Parameter(p["path"], values=tuple(p["values"]), integer=p["integer"]))
        else:
            out.append(Parameter(p["path"], low=p["min"], high=p["max"], integer=p["integer"],
                                 levels=p.get("levels")))
    return out


def stored_patterns(manifest) -> list[cal.Pattern]:
    """The experiment's patterns again: the Python ones re-imported, the others rebuilt."""
    from encircle_sim.experiments.spec import import_patterns

    described = manifest["definition"].get("patterns", [])
    imported = {}
    ref = manifest.get("patterns_from")
    if ref:
        base = Path(manifest["source_dir"]) if manifest.get("source_dir") else None
        try:
            imported = {p.name: p for p in import_patterns(ref, base)}
        except Exception:  # noqa: BLE001 - fall back to the stored measures below
            imported = {}
    out = []
    for d in described:
        if d["name"] in imported:
            out.append(imported[d["name"]])
        elif d.get("outcome"):
            out.append(cal.outcome_pattern(d["name"], d["source"], d["outcome"],
                                           tuple(d["accepted"]), d["statistic"]))
        elif d["scope"] == "run":  # measured on the workers: its column is in the table
            out.append(cal.Pattern(d["name"], d["source"], tuple(d["accepted"]),
                                   run=_measured_on_worker, statistic=d["statistic"]))
        else:
            raise ExperimentError(manifest.get("source") or "manifest.json", [Problem(
                "patterns_from", f"cannot load pattern {d['name']!r} again to score the runs",
                ref, "the module or file that defined it, importable from here")])
    return out


def _measured_on_worker(outputs):  # pragma: no cover - never called: the value is stored
    raise RuntimeError("this pattern's measure was taken on the workers")


def _calibration(folder, manifest, ok, parameters, patterns, out, report) -> list[Path]:
    from encircle_sim.experiments import figures
    from encircle_sim.scenario_files import get_path, load_scenario

    patterns = patterns or stored_patterns(manifest)
    scores = cal.score(ok, patterns, parameters)
    base = load_scenario(folder / "scenario.resolved.toml")
    base_values = {p: get_path(base, p) for p in parameters}
    prior = {}
    for p in manifest["definition"]["parameters"]:
        prior[p["path"]] = (p["min"], p["max"]) if "min" in p else (
            min(p["values"], default=None) if all(isinstance(v, (int, float))
                                                    for v in p["values"]) else None,
            max(p["values"], default=None) if all(isinstance(v, (int, float))
                                                    for v in p["values"]) else None)
    ranges = cal.accepted_ranges(scores, parameters, base_values, prior)
    files = [_csv(scores, out / "calibration_points.csv"),
             _csv(ranges, out / "calibration_ranges.csv")]
    files.append(figures.calibration_posteriors(scores, ranges, out / "calibration.png"))
    n_ok = int(scores["accepted"].sum())
    report.lines.append(f"Calibration: {n_ok} of {len(scores)} parameter sets reproduce all "
                        f"{len(patterns)} patterns (approximate Bayesian rejection).")
    for p in patterns:
        rate = scores[f"{p.name} ok"].mean() if len(scores) else float("nan")
        report.lines.append(f"  pattern {p.name!r} ({p.source}; accepted {p.accepted[0]:g} to "
                            f"{p.accepted[1]:g}): met at {rate:.0%} of the points")
    for r in ranges.itertuples():
        if n_ok == 0:
            break
        where = "inside" if r.base_inside else "OUTSIDE"
        report.lines.append(f"  {r.parameter}: accepted {r.accepted_low:.4g} to "
                            f"{r.accepted_high:.4g} (median {r.median:.4g}; sampled "
                            f"{r.prior_low} to {r.prior_high}); the base scenario's "
                            f"{r.base_value} is {where} the accepted range")
    if n_ok == 0:
        report.warnings.append("calibration: no parameter set reproduced every pattern; look "
                               "at calibration_points.csv for the patterns that fail most, "
                               "widen the ranges, or sample more points")
    return files


def _markdown(manifest, report: Report, path: Path) -> Path:
    from encircle_sim.experiments.store import write_atomic

    lines = [f"# Report: {manifest['experiment']}", ""]
    if manifest.get("title"):
        lines += [manifest["title"], ""]
    if report.warnings:
        lines += ["## Warnings", ""] + [f"- {w}" for w in report.warnings] + [""]
    lines += ["## Findings", ""] + [f"- {t}" if not t.startswith("  ") else f"  - {t.strip()}"
                                    for t in report.lines] + [""]
    lines += ["## Files", ""]
    for f in report.files:
        lines.append(f"- [{f.name}]({f.name})" + (f"\n\n  ![{f.name}]({f.name})"
                                                  if f.suffix == ".png" else ""))
    write_atomic(path, "\n".join(lines) + "\n")
    return path
