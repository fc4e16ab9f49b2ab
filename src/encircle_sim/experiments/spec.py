"""Experiment files: what to vary, how, how often, and what to keep; validated like scenarios.

An experiment is one TOML file::

    name = "sealing_and_cells"        # default: the file's name
    scenario = "quick"                # the base scenario: a bundled name or a path (relative
                                      # to this file)
    seed = 2019                       # the experiment seed: every replication's seed comes
                                      # from it (see seeds.py)
    replications = 10                 # per design point
    # common_random_numbers = true    # design points share replication seeds (the default)
    # outcomes = ["iraq.killed", "iraq.escaped_border"]   # default: every numeric figure
    # steps = true                    # also keep each replication's per-step table

    [set]                             # fixed changes to the base, as with `--set`
    "time.max_days" = 60

    [design]
    kind = "latin_hypercube"          # full_factorial | latin_hypercube | nolh | morris | sobol
    points = 20

    [parameters]
    "border.sealing" = { min = 0.3, max = 0.9 }     # a range
    "insurgents.cells" = [20, 40, 80]               # a list of values

A calibration adds ``kind = "calibration"`` and its patterns (see ``calibration.py``). Every
problem found is reported at once, each naming the file, the key and what is allowed, as a
:class:`ExperimentError` (a :class:`~encircle_sim.scenario_files.ScenarioError`: the command
line prints it and exits with status 2).
"""

from __future__ import annotations

import difflib
import hashlib
import importlib
import importlib.util
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from encircle_sim.experiments.designs import (
    DEFAULT_SOBOL_SAMPLES,
    DESIGNS,
    NOLH_SIZES,
    DesignSpec,
    Parameter,
    nolh_size,
)
from encircle_sim.scenario import Problem, Scenario, toml_repr
from encircle_sim.scenario_files import (
    ScenarioError,
    _flatten_set_table,
    _read_toml,
    display_path,
    get_path,
    parse_path,
    resolve_scenario_path,
    scenario_to_dict,
    with_overrides,
)

KINDS = ("sweep", "calibration")
STATISTICS = ("mean", "median")
DEFAULT_REPLICATIONS = 10
MAX_DESIGN_POINTS = 1_000_000

TOP_KEYS = {
    "name": "text", "title": "text", "description": "text",
    "kind": "'sweep' or 'calibration'",
    "scenario": "a bundled scenario name or a .toml path",
    "seed": "an integer >= 0", "replications": "an integer >= 1",
    "common_random_numbers": "true or false",
    "outcomes": '"all" or a list of summary figure names', "steps": "true or false",
    "set": "a table of key paths", "design": "a table", "parameters": "a table",
    "patterns": "[[patterns]] tables", "patterns_from": '"module:NAME" or "file.py:NAME"',
    "report": "a table",
}
DESIGN_KEYS = ("kind", "points", "levels", "trajectories", "samples", "seed")
PARAMETER_KEYS = ("min", "max", "values", "levels")
PATTERN_KEYS = ("name", "source", "outcome", "statistic", "range")
REPORT_KEYS = ("outcomes", "discover")


class ExperimentError(ScenarioError):
    """An experiment that cannot be run; carries every problem found."""


@dataclass(frozen=True)
class Experiment:
    """A validated experiment: the base scenario, the design and what to keep."""

    name: str
    base: Scenario
    parameters: tuple[Parameter, ...] = ()
    design: DesignSpec = DesignSpec()
    replications: int = DEFAULT_REPLICATIONS
    seed: int = 0
    common_random_numbers: bool = True
    outcomes: tuple[str, ...] | None = None  # None: every numeric summary figure
    steps: bool = False
    kind: str = "sweep"
    patterns: tuple = ()  # calibration.Pattern
    title: str = ""
    source: str | None = None       # the experiment file, when there is one
    scenario_ref: str | None = None  # the base scenario as the file names it
    fixed: tuple[tuple[str, Any], ...] = ()
    report: dict[str, Any] = field(default_factory=dict)
    text: str | None = None          # the experiment file's text

    def definition(self) -> dict[str, Any]:
        """What the results depend on; a folder holding other results is refused."""
        return {
            "kind": self.kind,
            "scenario": scenario_to_dict(self.base),
            "seed": self.seed,
            "common_random_numbers": self.common_random_numbers,
            "outcomes": list(self.outcomes) if self.outcomes is not None else "all",
            "steps": self.steps,
            "design": self.design.as_dict(),
            "parameters": [_parameter_dict(p) for p in self.parameters],
            "patterns": [p.describe() for p in self.patterns],
        }

    def fingerprint(self) -> str:
        text = json.dumps(self.definition(), sort_keys=True, default=str)
        return hashlib.sha256(text.encode()).hexdigest()[:16]


def _parameter_dict(p: Parameter) -> dict[str, Any]:
    out: dict[str, Any] = {"path": p.path, "integer": p.integer}
    if p.values is not None:
        out["values"] = list(p.values)
    else:
        out.update(min=p.low, max=p.high)
        if p.levels:
            out["levels"] = p.levels
    return out


# --------------------------------------------------------------------------------------------
# Reading the file
# --------------------------------------------------------------------------------------------


def load_experiment(path: str | Path) -> Experiment:
    """Read and validate an experiment file; raises :class:`ExperimentError` with every
    problem."""
    path = Path(path)
    name = display_path(path)
    if not path.is_file():
        hint = "" if path.suffix == ".toml" else "; an experiment is a .toml file"
        raise ExperimentError(name, [Problem("", f"no such experiment file{hint}", None,
                                             "the path of an experiment .toml file")])
    try:
        data = _read_toml(path)
    except ScenarioError as err:
        raise ExperimentError(err.source, err.problems) from None
    return experiment_from_dict(data, source=name, relative_to=path.parent,
                                default_name=path.stem,
                                text=path.read_text(encoding="utf-8"))


def experiment_from_dict(data: Mapping[str, Any], *, source: str = "<experiment>",
                         relative_to: Path | None = None, default_name: str = "experiment",
                         text: str | None = None) -> Experiment:
    """Validate experiment data (as read from TOML); every problem is reported together."""
    problems: list[Problem] = []
    add = problems.append
    _unknown_keys(data, TOP_KEYS, "", add)

    kind = _choice(data, "kind", KINDS, "sweep", add)
    name = _text(data, "name", default_name, add)
    title = _text(data, "title", "", add)
    seed = _integer(data, "seed", 0, add, low=0, high=2**63 - 1)
    replications = _integer(data, "replications", DEFAULT_REPLICATIONS, add, low=1,
                            high=1_000_000)
    crn = _boolean(data, "common_random_numbers", True, add)
    steps = _boolean(data, "steps", False, add)
    outcomes = _outcomes(data.get("outcomes", "all"), "outcomes", add)

    base, scenario_ref = _base_scenario(data, relative_to, add)
    fixed: list[tuple[str, Any]] = []
    if "set" in data:
        if not isinstance(data["set"], Mapping):
            add(Problem("set", "must be a table of key paths", data["set"],
                        '[set] then lines such as "time.max_days" = 60'))
        elif base is not None:
            fixed = _flatten_set_table(data["set"])
            try:
                base = with_overrides(base, dict(fixed))
            except ScenarioError as err:
                problems.extend(_moved(err.problems, lambda p: f"set.{_quote(p)}"))
                base = None

    design = _design(data.get("design", {}), add)
    parameters = _parameters(data.get("parameters", {}), base, design, add)
    if parameters or not data.get("parameters"):
        _check_design_size(design, parameters, add)

    patterns: list = []
    if kind == "calibration" or "patterns" in data or "patterns_from" in data:
        patterns = _patterns(data, relative_to, add)
        if kind == "calibration" and not patterns and not any(
                p.path.startswith("patterns") for p in problems):
            add(Problem("patterns", "a calibration needs at least one pattern", None,
                        "[[patterns]] tables, or patterns_from = \"module:NAME\""))
        if kind == "calibration" and not data.get("parameters"):
            add(Problem("parameters", "a calibration needs parameters to vary", None,
                        "a [parameters] table"))
    report = _report(data.get("report", {}), add)

    if problems:
        raise ExperimentError(source, problems)
    assert base is not None
    return Experiment(
        name=name, base=base, parameters=tuple(parameters), design=design,
        replications=replications, seed=seed, common_random_numbers=crn, outcomes=outcomes,
        steps=steps, kind=kind, patterns=tuple(patterns), title=title, source=source,
        scenario_ref=scenario_ref, fixed=tuple(fixed), report=report, text=text)


# --------------------------------------------------------------------------------------------
# Pieces
# --------------------------------------------------------------------------------------------


def _quote(path: str) -> str:
    """A key path as a TOML key: quoted when it holds dots or brackets."""
    return path if path.replace("_", "").replace("-", "").isalnum() else f'"{path}"'


def _moved(problems, where) -> list[Problem]:
    """Scenario problems restated at the experiment file's keys."""
    out = []
    for p in problems:
        out.append(Problem(where(p.path) if p.path else where(""), p.message, p.value,
                           p.allowed, "", p.hint))
    return out


def _unknown_keys(table: Mapping[str, Any], allowed, prefix: str, add) -> None:
    names = list(allowed)
    for key in table:
        if key not in allowed:
            close = difflib.get_close_matches(str(key), names, n=1, cutoff=0.6)
            hint = f"did you mean '{close[0]}'?" if close else ""
            add(Problem(f"{prefix}{key}", f"unknown key {key!r}", None,
                        ", ".join(sorted(names)), hint=hint))


def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _is_number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def _integer(table, key, default, add, *, low, high, where: str = "") -> int:
    value = table.get(key, default)
    path = f"{where}{key}"
    if value is None:
        return default
    if not _is_int(value):
        add(Problem(path, "wrong type: expected an integer", value, f">= {low}"))
        return default
    if not low <= value <= high:
        add(Problem(path, "out of range", value, f">= {low} and <= {high}"))
        return default
    return value


def _boolean(table, key, default, add) -> bool:
    value = table.get(key, default)
    if not isinstance(value, bool):
        add(Problem(key, "wrong type: expected true or false", value))
        return default
    return value


def _text(table, key, default, add) -> str:
    value = table.get(key, default)
    if not isinstance(value, str):
        add(Problem(key, "wrong type: expected text", value))
        return default
    return value


def _choice(table, key, choices, default, add, where: str = "") -> str:
    value = table.get(key, default)
    if value not in choices:
        close = difflib.get_close_matches(str(value), list(choices), n=1, cutoff=0.5)
        add(Problem(f"{where}{key}", "not one of the allowed values", value,
                    ", ".join(repr(c) for c in choices),
                    hint=f"did you mean '{close[0]}'?" if close else ""))
        return default
    return value


def _outcomes(value: Any, where: str, add) -> tuple[str, ...] | None:
    if value == "all":
        return None
    if (not isinstance(value, list) or not value
            or not all(isinstance(v, str) and v for v in value)):
        add(Problem(where, "must be \"all\" or a non-empty list of summary figure names", value,
                    '"all", or e.g. ["iraq.killed", "iraq.escaped_border"]'))
        return None
    return tuple(dict.fromkeys(value))


def _base_scenario(data, relative_to, add) -> tuple[Scenario | None, str | None]:
    from encircle_sim.scenario_files import load_scenario

    ref = data.get("scenario")
    if ref is None:
        add(Problem("scenario", "required key is missing (the base scenario)", None,
                    "a bundled scenario name or a .toml path"))
        return None, None
    if isinstance(ref, Scenario):  # built in code
        return ref, ref.name
    if not isinstance(ref, str):
        add(Problem("scenario", "wrong type: expected text", ref,
                    "a bundled scenario name or a .toml path"))
        return None, None
    try:
        path = resolve_scenario_path(ref, relative_to=relative_to)
        return load_scenario(path), ref
    except ScenarioError as err:
        if err.source == ref:  # the reference itself is wrong
            add(Problem("scenario", err.problems[0].message, ref, err.problems[0].allowed))
        else:  # the scenario file has problems of its own
            add(Problem("scenario", f"the scenario {ref!r} is not valid: "
                        + "; ".join(f"{p.file or err.source}: {p}" for p in err.problems),
                        None, f"a scenario that `encircle-sim validate {ref}` accepts"))
        return None, None


def _design(table: Any, add) -> DesignSpec:
    if not isinstance(table, Mapping):
        add(Problem("design", "wrong type: expected a table", table, "[design] kind = ..."))
        return DesignSpec()
    _unknown_keys(table, DESIGN_KEYS, "design.", add)
    if table.get("kind", "full_factorial") not in DESIGNS:
        _choice(table, "kind", DESIGNS, "full_factorial", add, "design.")
        return DesignSpec(kind="unknown")  # its other keys cannot be judged without a kind
    kind = table.get("kind", "full_factorial")
    spec = DesignSpec(kind=kind)
    values: dict[str, Any] = {}
    limits = {"points": (2, MAX_DESIGN_POINTS), "levels": (2, 1000),
              "trajectories": (2, 100_000), "samples": (2, 2**20), "seed": (0, 2**63 - 1)}
    for key, (low, high) in limits.items():
        if key in table:
            values[key] = _integer(table, key, None, add, low=low, high=high, where="design.")
    used = {"full_factorial": {"levels", "seed"}, "latin_hypercube": {"points", "seed"},
            "nolh": {"seed"}, "morris": {"levels", "trajectories", "seed"},
            "sobol": {"samples", "seed"}}[kind]
    for key in values:
        if key not in used:
            add(Problem(f"design.{key}", f"not used by the {kind} design", table[key],
                        ", ".join(sorted(used)) or "no size: "
                        + ", ".join(f"{n} points for up to {k} parameters"
                                    for k, n in NOLH_SIZES)))
    if kind == "latin_hypercube" and "points" not in table:
        add(Problem("design.points", "required key is missing (how many design points)", None,
                    "an integer >= 2"))
    if kind == "morris" and values.get("levels") and values["levels"] % 2:
        add(Problem("design.levels", "Morris levels must be even", values["levels"],
                    "an even integer >= 2, e.g. 4"))
    if kind == "sobol" and values.get("samples"):
        n = values["samples"]
        if n & (n - 1):
            add(Problem("design.samples", "Sobol' base samples must be a power of 2", n,
                        f"e.g. {DEFAULT_SOBOL_SAMPLES}, 128, 256"))
    return DesignSpec(**{**spec.__dict__, **{k: v for k, v in values.items() if v is not None}})


def _parameter_items(table: Mapping[str, Any], prefix: str = ""):
    """(path, spec) pairs: quoted dotted keys, or nested tables down to a list or a range."""
    for key, value in table.items():
        path = f"{prefix}.{key}" if prefix else str(key)
        if isinstance(value, Mapping) and not (set(value) & set(PARAMETER_KEYS)) and value:
            yield from _parameter_items(value, path)
        else:
            yield path, value


def _parameters(table: Any, base: Scenario | None, design: DesignSpec,
                add) -> list[Parameter]:
    if not isinstance(table, Mapping):
        add(Problem("parameters", "wrong type: expected a table", table,
                    '[parameters] then lines such as "border.sealing" = { min = 0.3, max = 0.9 }'))
        return []
    out = []
    for path, spec in _parameter_items(table):
        where = f"parameters.{_quote(path)}"
        param = _parameter(path, spec, base, design, where, add)
        if param is not None:
            out.append(param)
    return out


def _parameter(path, spec, base, design, where, add) -> Parameter | None:
    allowed = "a list of values, or a range { min = ..., max = ... }"
    if isinstance(spec, list):
        spec = {"values": spec}
    if not isinstance(spec, Mapping):
        add(Problem(where, "a varied parameter needs a list of values or a range", spec,
                    allowed + "; a value that stays fixed goes in [set]"))
        return None
    _unknown_keys(spec, PARAMETER_KEYS, f"{where}.", add)
    if "values" in spec and ({"min", "max"} & set(spec)):
        add(Problem(where, "give either values or min and max, not both", None, allowed))
        return None
    levels = None
    if "levels" in spec:
        levels = _integer(spec, "levels", None, add, low=2, high=1000, where=f"{where}.")
        if design.kind not in ("full_factorial", "unknown"):
            add(Problem(f"{where}.levels", f"not used by the {design.kind} design",
                        spec["levels"], "levels of a range in a full_factorial design"))
    try:
        parse_path(path)
    except ValueError:
        add(Problem(where, "not a key path of the scenario", None,
                    'a path such as "border.sealing" or "forces[3].units"'))
        return None
    if base is None:
        return None
    try:
        current = get_path(base, path)
        known = True
    except ScenarioError:
        current, known = None, False
    if "values" in spec:
        values = spec["values"]
        if not isinstance(values, list) or not values:
            add(Problem(f"{where}.values", "must be a non-empty list", values, allowed))
            return None
        bad = _check_values(base, path, values, lambda i: f"{where}.values[{i}]", add)
        if bad or not known:
            return None
        if len(set(map(toml_repr, values))) != len(values):
            add(Problem(f"{where}.values", "a value is listed twice", values,
                        "different values"))
            return None
        integer = _is_int(current) and all(_is_int(v) for v in values)
        return Parameter(path, values=tuple(values), integer=integer)
    missing = [k for k in ("min", "max") if k not in spec]
    if missing:
        add(Problem(where, f"a range needs {' and '.join(missing)}", None, allowed))
        return None
    low, high = spec["min"], spec["max"]
    if isinstance(current, bool) or (known and current is not None
                                     and not _is_number(current)):
        add(Problem(where, f"{path} is {toml_repr(current)}, not a number: it cannot take a "
                    "range", None, "a list of values, e.g. [true, false]"))
        return None
    bad = _check_values(base, path, [low, high], lambda i: f"{where}.{('min', 'max')[i]}", add)
    if bad or not known:
        return None
    if low >= high:
        add(Problem(f"{where}.max", "must be greater than min", high, f"> {low}"))
        return None
    integer = _is_int(current) or (current is None and _is_int(low) and _is_int(high))
    return Parameter(path, low=low, high=high, integer=integer, levels=levels)


def _check_values(base: Scenario, path: str, values: list, where, add) -> bool:
    """Each value must make a valid scenario; its problems are told at the experiment's key."""
    bad = False
    for i, value in enumerate(values):
        try:
            with_overrides(base, {path: value})
        except ScenarioError as err:
            bad = True
            for p in err.problems:
                message = p.message if p.path in ("", path) else f"{p.path}: {p.message}"
                about_path = "unknown key" in p.message or "no item" in p.message
                shown = None if about_path else (p.value if p.value is not None else value)
                add(Problem(where(i), message, shown, p.allowed,
                            hint=p.hint or _path_hint(base, path, p)))
            if any("unknown key" in p.message or "no item" in p.message
                   or "no such" in p.message for p in err.problems):
                break  # the path itself is wrong: once is enough
    return bad


def _path_hint(base: Scenario, path: str, problem: Problem) -> str:
    if "no item" not in problem.message:
        return ""
    close = difflib.get_close_matches(path, _leaf_paths(scenario_to_dict(base)), n=1)
    return f"did you mean '{close[0]}'?" if close else ""


def _leaf_paths(node: Any, prefix: str = "") -> list[str]:
    if isinstance(node, Mapping):
        out = []
        for k, v in node.items():
            out += _leaf_paths(v, f"{prefix}.{k}" if prefix else str(k))
        return out
    if isinstance(node, list) and node and all(isinstance(v, Mapping) for v in node):
        out = []
        for i, v in enumerate(node):
            out += _leaf_paths(v, f"{prefix}[{i}]")
        return out
    return [prefix]


def _check_design_size(design: DesignSpec, parameters: list[Parameter], add) -> None:
    if design.kind not in DESIGNS:
        return
    if design.kind in ("latin_hypercube", "nolh", "morris", "sobol") and not parameters:
        add(Problem("parameters", f"the {design.kind} design needs at least one parameter",
                    None, "a [parameters] table"))
        return
    if design.kind == "nolh" and nolh_size(len(parameters)) is None:
        add(Problem("parameters", f"the nolh design takes at most {NOLH_SIZES[-1][0]} "
                    f"parameters, got {len(parameters)}", None,
                    "fewer parameters, or the latin_hypercube design"))
    if design.kind == "full_factorial":
        n = 1
        for p in parameters:
            n *= len(p.values) if p.values is not None else (p.levels or design.levels or 3)
        if n > MAX_DESIGN_POINTS:
            add(Problem("design", f"the full factorial has {n:,} points", None,
                        f"at most {MAX_DESIGN_POINTS:,}: fewer levels, or a latin_hypercube "
                        "or nolh design"))


def _patterns(data, relative_to, add) -> list:
    from encircle_sim.experiments.calibration import Pattern, outcome_pattern

    out: list = []
    if "patterns_from" in data:
        ref = data["patterns_from"]
        try:
            found = import_patterns(ref, relative_to)
        except (ImportError, AttributeError, OSError, SyntaxError, TypeError,
                ValueError) as err:
            add(Problem("patterns_from", f"cannot load the patterns: {type(err).__name__}: "
                        f"{err}", ref, '"module:NAME" or "file.py:NAME" naming a list of '
                        "encircle_sim.experiments.Pattern"))
        else:
            out.extend(found)
    tables = data.get("patterns", [])
    if not isinstance(tables, (list, tuple)) or not all(
            isinstance(t, (Mapping, Pattern)) for t in tables):
        add(Problem("patterns", "must be [[patterns]] tables", tables,
                    "[[patterns]] tables with name, source, outcome and range"))
        return out
    for i, table in enumerate(tables):
        if isinstance(table, Pattern):  # given in code
            out.append(table)
            continue
        where = f"patterns[{i}]."
        _unknown_keys(table, PATTERN_KEYS, where, add)
        missing = [k for k in ("name", "source", "outcome", "range") if k not in table]
        for key in missing:
            add(Problem(f"{where}{key}", "required key is missing", None,
                        {"name": "text", "source": "text (where the pattern is documented)",
                         "outcome": "a summary figure name or an expression of them",
                         "range": "[low, high]"}[key]))
        rng = table.get("range")
        if "range" in table and not (isinstance(rng, list) and len(rng) == 2 and all(
                _is_number(v) for v in rng) and rng[0] <= rng[1]):
            add(Problem(f"{where}range", "must be [low, high] with low <= high", rng,
                        "two numbers, e.g. [0.1, 0.3]"))
            continue
        statistic = _choice(table, "statistic", STATISTICS, "mean", add, where)
        if missing:
            continue
        for key in ("name", "source", "outcome"):
            if not isinstance(table[key], str) or not table[key].strip():
                add(Problem(f"{where}{key}", "must be non-empty text", table[key]))
                break
        else:
            out.append(outcome_pattern(table["name"], table["source"], table["outcome"],
                                       (float(rng[0]), float(rng[1])), statistic))
    names = [p.name for p in out]
    for name in sorted({n for n in names if names.count(n) > 1}):
        add(Problem("patterns", f"the pattern name {name!r} appears more than once", None,
                    "distinct names"))
    bad = [p for p in out if not isinstance(p, Pattern)]
    if bad:
        add(Problem("patterns_from", "not a list of Pattern objects", None,
                    "encircle_sim.experiments.Pattern(...) items"))
    return out


def import_patterns(ref: str, relative_to: Path | None = None) -> list:
    """The list of patterns at ``"module:NAME"`` or ``"file.py:NAME"``."""
    if not isinstance(ref, str) or ":" not in ref:
        raise ValueError("expected \"module:NAME\" or \"file.py:NAME\"")
    where, _, attr = ref.rpartition(":")
    if where.endswith(".py"):
        path = Path(where)
        if relative_to is not None and not path.is_absolute():
            path = relative_to / path
        spec = importlib.util.spec_from_file_location(f"_patterns_{path.stem}", path)
        if spec is None or spec.loader is None:
            raise ImportError(f"cannot import {path}")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    else:
        module = importlib.import_module(where)
    found = getattr(module, attr)
    if callable(found) and not isinstance(found, (list, tuple)):
        found = found()
    return list(found)


def _report(table: Any, add) -> dict[str, Any]:
    if not isinstance(table, Mapping):
        add(Problem("report", "wrong type: expected a table", table))
        return {}
    _unknown_keys(table, REPORT_KEYS, "report.", add)
    out: dict[str, Any] = {}
    if "outcomes" in table:
        out["outcomes"] = _outcomes(table["outcomes"], "report.outcomes", add)
    if "discover" in table:
        rules = table["discover"]
        if isinstance(rules, str):
            rules = [rules]
        if not isinstance(rules, list) or not all(isinstance(r, str) and r for r in rules):
            add(Problem("report.discover", "must be a list of conditions", table["discover"],
                        'e.g. ["iraq.escaped_border / iraq.cells_initial > 0.2"]'))
        else:
            out["discover"] = rules
    return out


def single_scenario_experiment(scenario: Scenario, replications: int, seed: int,
                               name: str | None = None, source: str | None = None) -> Experiment:
    """Replications of one scenario (``encircle-sim run SCENARIO --reps N``)."""
    return Experiment(name=name or f"{scenario.name}-reps", base=scenario,
                      replications=replications, seed=seed, source=source,
                      scenario_ref=source or scenario.name)
