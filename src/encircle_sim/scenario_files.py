"""Reading scenario files: bundled names, variants, ``--set`` overrides and clear error messages.

A scenario file is TOML. A *variant* names a ``base`` scenario (a bundled name or a path relative
to the variant) and overrides some of its values: tables merge key by key, other values replace,
``[[append.forces]]`` (or ``append.air``, ``append.operation.axes``, ...) adds items to a list of
the base, and a ``[set]`` table addresses single list items by path (``"forces[2].units" = 4``).
Command-line overrides use the same paths (``--set insurgents.cells=400``).

Every problem found is collected and raised together as one :class:`ScenarioError` naming the
file, the key path, the bad value and what is allowed.
"""

from __future__ import annotations

import collections
import copy
import dataclasses
import difflib
import re
import tomllib
import types
import typing
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import pydantic
import tomli_w

from encircle_sim.files import write_text_atomic
from encircle_sim.scenario import (
    LOCATION_HELP,
    Loc,
    Problem,
    Scenario,
    clip,
    clip_path,
    consistency_errors,
    merge_builtin_tables,
    toml_repr,
)

#: Bundled scenarios live in the repository's top-level ``scenarios/`` folder.
BUNDLED_DIR = Path(__file__).resolve().parents[2] / "scenarios"
DEFAULT_SCENARIO = "victory_will"
_MAX_BASE_DEPTH = 8

# Bounds on what a scenario file (or an override) may hold. The bundled scenarios use a few
# kilobytes, about 300 values and 5 levels of nesting; these limits are far above that and far
# below what would cost noticeable time or memory to read.
MAX_FILE_BYTES = 1_000_000
MAX_DEPTH = 12          # tables and lists inside each other; a key path's parts
MAX_ENTRIES = 10_000    # keys and list items in one file
MAX_TEXT = 10_000       # characters in one text value, key or override
MAX_SHOWN_PROBLEMS = 50  # a report lists this many problems, then counts the rest


class ScenarioError(Exception):
    """A scenario that cannot be used; carries every problem found.

    ``report()`` gives one line per problem, each naming the file the bad value is in, its key
    path, the value and what is allowed.
    """

    def __init__(self, source: str, problems: Sequence[Problem]):
        self.source = source
        self.problems = list(problems)
        super().__init__(self.report())

    def report(self) -> str:
        n = len(self.problems)
        source = clip_path(self.source)
        head = f"{source}: {n:,} problem{'s' if n != 1 else ''}"
        text = head + "".join(
            f"\n  {clip_path(p.file) if p.file else source}: {_one_line(str(p))}"
            for p in self.problems[:MAX_SHOWN_PROBLEMS])
        if n > MAX_SHOWN_PROBLEMS:
            text += f"\n  ... and {n - MAX_SHOWN_PROBLEMS:,} more (the first " \
                    f"{MAX_SHOWN_PROBLEMS} are shown)"
        return text


def _one_line(text: str) -> str:
    """Keep one problem on one line whatever characters the bad value holds."""
    return text.replace("\r", "\\r").replace("\n", "\\n")


# --------------------------------------------------------------------------------------------
# Finding files
# --------------------------------------------------------------------------------------------


def bundled_scenarios() -> dict[str, Path]:
    """Bundled scenario names and their files (variants included)."""
    return {p.stem: p for p in sorted(BUNDLED_DIR.glob("*.toml"))}


def resolve_scenario_path(ref: str | Path, relative_to: Path | None = None) -> Path:
    """A path as given, relative to a variant's folder, or the name of a bundled scenario."""
    ref_path = Path(ref)
    candidates = []
    if relative_to is not None and not ref_path.is_absolute():
        candidates.append(relative_to / ref_path)
    candidates.append(ref_path)
    if ref_path.suffix != ".toml":
        if relative_to is not None:
            candidates.append(relative_to / f"{ref}.toml")
        candidates.append(BUNDLED_DIR / f"{ref}.toml")
    for c in candidates:
        try:
            if c.is_file():
                return c
        except (OSError, ValueError):  # a name too long for the file system, a NUL character
            continue
    names = list(bundled_scenarios())
    close = difflib.get_close_matches(str(ref_path.stem), names, n=3)
    hint = f"; did you mean {', '.join(close)}?" if close else ""
    raise ScenarioError(str(ref), [Problem(
        "", f"no such scenario file or bundled scenario{hint}", None,
        "a .toml path or one of: " + ", ".join(names))])


# --------------------------------------------------------------------------------------------
# Paths such as forces[2].strength
# --------------------------------------------------------------------------------------------

_PATH = re.compile(r"[^.\[\]]+(?:\.[^.\[\]]+|\[\d{1,9}\])*")
_PATH_TOKEN = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


def parse_path(path: str) -> list[str | int]:
    """``"forces[2].strength"`` -> ``["forces", 2, "strength"]``.

    Strict: names joined by single dots, list indices in brackets, no leading dot, no blank or
    padded names, at most :data:`MAX_DEPTH` parts.
    """
    if not isinstance(path, str) or len(path) > MAX_TEXT or not _PATH.fullmatch(path):
        raise ValueError(f"cannot read key path {clip(repr(path))}: expected names joined by "
                         "dots, with [N] for list items, e.g. forces[2].units")
    parts: list[str | int] = [m.group(1) if m.group(1) is not None else int(m.group(2))
                              for m in _PATH_TOKEN.finditer(path)]
    if any(isinstance(p, str) and (p != p.strip() or not p.isprintable()) for p in parts):
        raise ValueError(f"cannot read key path {clip(repr(path))}: a name is blank, padded "
                         "with spaces or holds control characters")
    if len(parts) > MAX_DEPTH:
        raise ValueError(f"key path {clip(repr(path))} has {len(parts)} parts; at most "
                         f"{MAX_DEPTH}")
    return parts


def format_path(loc: Iterable[str | int]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


def set_path(data: dict[str, Any], path: str, value: Any) -> None:
    """Set ``value`` at ``path`` inside nested dicts and lists, creating tables as needed."""
    parts = parse_path(path)
    node: Any = data
    for i, part in enumerate(parts[:-1]):
        nxt = parts[i + 1]
        if isinstance(part, int):
            if not isinstance(node, list) or part >= len(node):
                size = len(node) if isinstance(node, list) else 0
                raise ValueError(f"{format_path(parts[:i + 1])}: no item {part} "
                                 f"(the list has {size})")
            node = node[part]
        else:
            if not isinstance(node, dict):
                raise ValueError(f"{format_path(parts[:i])} is not a table")
            if part not in node:
                node[part] = [] if isinstance(nxt, int) else {}
            node = node[part]
    last = parts[-1]
    if isinstance(last, int):
        if not isinstance(node, list) or last >= len(node):
            raise ValueError(f"{format_path(parts)}: no such list item")
        node[last] = value
    else:
        if not isinstance(node, dict):
            raise ValueError(f"{format_path(parts[:-1])} is not a table")
        node[last] = value


def parse_override(text: str) -> tuple[str, Any]:
    """``"insurgents.cells=400"`` -> ``("insurgents.cells", 400)``; values are TOML, or else
    text.

    Strict: one key path, one value. A text with a line break or another control character,
    a value TOML reads as more than one value, or one nested too deep is an error.
    """
    if not isinstance(text, str):
        raise ValueError(f"override {clip(repr(text))} must be a text key.path=value")
    if len(text) > MAX_TEXT:
        raise ValueError(f"override {clip(repr(text))} is longer than {MAX_TEXT:,} characters")
    if "=" not in text:
        raise ValueError(f"override {clip(repr(text))} must look like key.path=value")
    if not text.isprintable():
        raise ValueError(f"override {clip(repr(text))} holds a line break or another control "
                         "character: give one key.path=value per --set")
    key, raw = (s.strip() for s in text.split("=", 1))
    parse_path(key)
    try:
        doc = tomllib.loads(f"v = {raw}")
    except tomllib.TOMLDecodeError:
        return key, raw  # bare words such as Haditha
    except RecursionError:
        raise ValueError(f"override {clip(repr(text))}: the value is nested too deep (at most "
                         f"{MAX_DEPTH} levels)") from None
    if list(doc) != ["v"]:
        raise ValueError(f"override {clip(repr(text))} holds more than one value")
    if problem := _shape_problem(doc["v"], MAX_DEPTH - len(parse_path(key))):
        raise ValueError(f"override {clip(repr(text))}: {problem}")
    return key, doc["v"]


def _shape_problem(data: Any, max_depth: int = MAX_DEPTH) -> str | None:
    """Why ``data`` (parsed TOML) is too deep, too large or holds too long a text, or None.

    Walks the data once without recursion, so even a hostile file costs time in proportion to
    its size.
    """
    entries = 0
    stack: list[tuple[Any, int, tuple]] = [(data, 0, ())]
    while stack:
        node, depth, where = stack.pop()
        if isinstance(node, str):
            if len(node) > MAX_TEXT:
                return (f"{format_path(where) or 'a value'} is {len(node):,} characters long; "
                        f"at most {MAX_TEXT:,}")
            continue
        if not isinstance(node, (dict, list)):
            continue
        if depth >= max_depth:
            return (f"values nested too deep at {clip(format_path(where) or 'the top')} (at most "
                    f"{MAX_DEPTH} levels of tables and lists)")
        entries += len(node)
        if entries > MAX_ENTRIES:
            return f"too many keys and list items (more than {MAX_ENTRIES:,})"
        if isinstance(node, dict):
            for key, value in node.items():
                if len(key) > MAX_TEXT:
                    return f"a key is {len(key):,} characters long; at most {MAX_TEXT:,}"
                stack.append((value, depth + 1, (*where, key)))
        else:
            stack.extend((value, depth + 1, (*where, i)) for i, value in enumerate(node))
    return None


# --------------------------------------------------------------------------------------------
# Merging variants
# --------------------------------------------------------------------------------------------

class Origins(dict):
    """Where each value came from: key path (as a tuple) -> the file, or "--set", that gave it.

    It also keeps, for every table or list above a recorded path, the paths below it and the
    files that set them, so that replacing a table (:func:`_claim`) and naming the file behind
    a table (:func:`origin_of`) cost time in proportion to the path's length, not to the number
    of values in the scenario.
    """

    def __init__(self):
        super().__init__()
        self.below: dict[tuple, set[tuple]] = {}
        self.files_below: dict[tuple, collections.Counter] = {}

    def record(self, path: tuple, who: str) -> None:
        for old in list(self.below.get(path, ())):
            self.forget(old)
        if path in self:
            self.forget(path)
        self[path] = who
        for n in range(len(path)):
            self.below.setdefault(path[:n], set()).add(path)
            self.files_below.setdefault(path[:n], collections.Counter())[who] += 1

    def forget(self, path: tuple) -> None:
        who = self.pop(path)
        for n in range(len(path)):
            self.below[path[:n]].discard(path)
            counts = self.files_below[path[:n]]
            counts[who] -= 1
            if counts[who] <= 0:
                del counts[who]


def deep_merge(base: Mapping[str, Any], over: Mapping[str, Any]) -> dict[str, Any]:
    """Tables merge key by key; anything else in ``over`` replaces."""
    out = dict(base)
    for key, value in over.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), Mapping):
            out[key] = deep_merge(out[key], value)
        else:
            out[key] = value
    return out


def _leaf_paths(obj: Any, prefix: tuple = ()) -> Iterable[tuple]:
    """Key paths of the values a TOML document sets (tables are walked, lists are values)."""
    if isinstance(obj, Mapping) and obj:
        for key, value in obj.items():
            yield from _leaf_paths(value, (*prefix, key))
    elif prefix:
        yield prefix


def _claim(origins: Origins, path: tuple, who: str) -> None:
    """Record that ``who`` set the value at ``path`` (replacing whatever was below it)."""
    origins.record(tuple(path), who)


def origin_of(origins: Origins, loc: Sequence[str | int]) -> str | None:
    """The file that set the value at ``loc`` (or the nearest table or list holding it)."""
    loc = tuple(loc)
    for n in range(len(loc), 0, -1):
        if loc[:n] in origins:
            return origins[loc[:n]]
    files = getattr(origins, "files_below", {}).get(loc, ())
    return next(iter(files)) if len(files) == 1 else None  # a table all set by one file


def display_path(path: Path | str) -> str:
    """A file as the user would write it: relative to the working folder when inside it."""
    path = Path(path)
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


# What matters to the nesting of a TOML text, strings and comments skipped whole.
_TOML_TOKENS = re.compile(r"""
    \#[^\n]*                                    # comment
  | \"\"\"(?:[^"\\]|\\.|"(?!""))*\"\"\"{1,3}     # multi-line basic string
  | '\'\'(?:[^']|'(?!''))*'\'\'{1,3}               # multi-line literal string
  | "(?:[^"\\\n]|\\.)*"                         # basic string
  | '[^'\n]*'                                   # literal string
  | [\[\]{}.=,\n"']                              # structure (a lone quote: unterminated)
""", re.VERBOSE | re.DOTALL)


def _nesting_problem(text: str) -> str | None:
    """Why ``text`` nests too deep (brackets, or a dotted key of too many parts), or None.

    One linear scan before the TOML parser sees the text: Python's parser recurses into nested
    arrays and stores every prefix of a dotted key, so a hostile file of 60 KB could otherwise
    cost gigabytes and minutes.
    """
    depth = dots = 0
    for m in _TOML_TOKENS.finditer(text):
        c = m.group()
        if c in "[{":
            depth += 1
            dots = 0
            if depth > MAX_DEPTH + 2:  # a [[table]] header counts two
                return f"values nested too deep (at most {MAX_DEPTH} levels of tables and lists)"
        elif c in "]}":
            depth -= 1
            dots = 0
        elif c == ".":
            dots += 1
            if dots >= MAX_DEPTH:
                return f"a dotted key has more than {MAX_DEPTH} parts"
        elif c in "=,\n":
            dots = 0
        elif c in "\"'":
            return None  # an unterminated string: the TOML parser says where
    return None


class UnreadableFile(ScenarioError):
    """A scenario file that could not be read at all (missing, not TOML, too large, empty)."""


def _read_toml(path: Path) -> dict[str, Any]:
    """The file's TOML data, within the bounds above; raises :class:`UnreadableFile`."""
    name = display_path(path)
    try:
        with path.open("rb") as fh:
            raw = fh.read(MAX_FILE_BYTES + 1)
    except OSError as err:
        raise UnreadableFile(name, [Problem("", f"cannot read the file: {err.strerror}")]
                             ) from None
    if len(raw) > MAX_FILE_BYTES:
        raise UnreadableFile(name, [Problem("", f"the file is larger than {MAX_FILE_BYTES:,} "
                                            "bytes: not a scenario file")])
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as err:
        raise UnreadableFile(name, [Problem("", f"not a text file ({err.reason})")]) from None
    if problem := _nesting_problem(text):
        raise UnreadableFile(name, [Problem("", problem)])
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise UnreadableFile(name, [Problem("", f"not valid TOML: {err}")]) from None
    except RecursionError:
        raise UnreadableFile(name, [Problem("", f"values nested too deep (at most {MAX_DEPTH} "
                                            "levels of tables and lists)")]) from None
    if problem := _shape_problem(data):
        raise UnreadableFile(name, [Problem("", problem)])
    if not data:
        raise UnreadableFile(name, [Problem("", "the file is empty: a scenario needs at least a "
                                            "base or forces", None,
                                            "see docs/scenario-reference.md, or `base = "
                                            "\"quick\"` to start from a bundled scenario")])
    return data


def read_raw(path: Path, _depth: int = 0, *, origins: Origins | None = None,
             problems: list[Problem] | None = None) -> dict[str, Any]:
    """The file's data with its ``base`` chain merged in and its ``[set]`` paths applied.

    ``origins`` (if given) is filled with the file behind each value and ``problems`` with the
    ``[set]``/``append`` entries that could not be applied; without ``problems`` those raise.
    """
    origins = Origins() if origins is None else origins
    collect = problems is not None
    problems = [] if problems is None else problems
    name = display_path(path)
    data = _read_toml(path)
    base_ref = data.pop("base", None)
    sets = data.pop("set", None)
    appends = data.pop("append", None)
    if base_ref is not None:
        if not isinstance(base_ref, str):
            raise ScenarioError(name, [Problem("base", "must be a scenario name or path",
                                               base_ref, "a bundled scenario name or a .toml path",
                                               name)])
        if _depth >= _MAX_BASE_DEPTH:
            raise ScenarioError(name, [Problem("base", "variants nest too deep (a cycle?)",
                                               base_ref, f"at most {_MAX_BASE_DEPTH} levels",
                                               name)])
        try:
            base_path = resolve_scenario_path(base_ref, relative_to=path.parent)
        except ScenarioError as err:
            raise ScenarioError(name, [Problem("base", p.message, base_ref, p.allowed, name)
                                       for p in err.problems]) from None
        try:
            base_data = read_raw(base_path, _depth + 1, origins=origins, problems=problems)
        except UnreadableFile as err:  # say which variant named the file, and where
            raise ScenarioError(name, [Problem(
                "base", f"{clip(repr(err.source))} is not a usable scenario file: {p.message}",
                None, p.allowed or "a bundled scenario name or a scenario .toml file", name)
                for p in err.problems]) from None
        data = deep_merge(base_data, _with_own_origins(data, origins, name))
    else:
        _with_own_origins(data, origins, name)
    if appends is not None:
        _apply_appends(name, data, appends, origins, problems)
    if sets is not None:
        if not isinstance(sets, dict):
            problems.append(Problem("set", "must be a table of key paths", sets,
                                    '[set] then lines such as "forces[2].units" = 4', name))
        else:
            for key, value in _flatten_set_table(sets):
                try:
                    set_path(data, key, value)
                except ValueError as err:
                    problems.append(Problem(f"set.{key}", str(err), None,
                                            "a key path that exists in the base scenario", name))
                else:
                    _claim(origins, tuple(parse_path(key)), name)
    if problems and not collect:
        raise ScenarioError(name, problems)
    return data


def _with_own_origins(data: dict[str, Any], origins: Origins, name: str) -> dict[str, Any]:
    for leaf in _leaf_paths(data):
        _claim(origins, leaf, name)
    return data


def _apply_appends(name: str, data: dict[str, Any], appends: Any, origins: Origins,
                   problems: list[Problem], prefix: str = "") -> None:
    """``[[append.forces]]`` items are added to the end of ``forces``; tables nest paths."""
    if not isinstance(appends, dict):
        problems.append(Problem("append", "must be a table of lists", appends,
                                "[[append.forces]] tables", name))
        return
    for key, value in appends.items():
        full = f"{prefix}.{key}" if prefix else key
        if isinstance(value, dict):
            _apply_appends(name, data, value, origins, problems, full)
            continue
        if not isinstance(value, list):
            problems.append(Problem(f"append.{full}", "must be a list", value,
                                    f"[[append.{full}]] tables", name))
            continue
        try:
            parts = parse_path(full)
        except ValueError as err:
            problems.append(Problem(f"append.{clip(full)}", str(err), None,
                                    "[[append.forces]] tables", name))
            continue
        if any(isinstance(part, int) for part in parts):
            problems.append(Problem(f"append.{clip(full)}", "items are appended to a whole "
                                    "list, not to a list item", None, "[[append.forces]] tables",
                                    name))
            continue
        node: Any = data
        for part in parts[:-1]:
            node = node.setdefault(part, {}) if isinstance(node, dict) else None
        current = node.get(parts[-1], []) if isinstance(node, dict) else None
        if not isinstance(current, list):
            problems.append(Problem(f"append.{full}", "there is no list here to append to",
                                    None, "append.forces, append.air, append.operation.axes, "
                                    "append.operation.area, append.retaliation.towns", name))
            continue
        node[parts[-1]] = current + value
        for i in range(len(current), len(current) + len(value)):
            _claim(origins, (*parts, i), name)


def _flatten_set_table(table: Mapping[str, Any], prefix: str = "") -> list[tuple[str, Any]]:
    """``[set]`` may hold quoted paths or nested tables; both become flat paths."""
    out = []
    for key, value in table.items():
        full = f"{prefix}.{key}" if prefix else key
        if isinstance(value, Mapping):
            out.extend(_flatten_set_table(value, full))
        else:
            out.append((full, value))
    return out


# --------------------------------------------------------------------------------------------
# Validation with readable errors
# --------------------------------------------------------------------------------------------


def _unwrap(annotation: Any) -> list[Any]:
    """The concrete types inside Optional/Union/Annotated."""
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _unwrap(typing.get_args(annotation)[0])
    if origin in (typing.Union, types.UnionType):
        out = []
        for arg in typing.get_args(annotation):
            if arg is not type(None):
                out.extend(_unwrap(arg))
        return out
    return [annotation]


def _schema_node(loc: Sequence[str | int]) -> tuple[type[pydantic.BaseModel] | None, Any]:
    """Walk the schema along ``loc``: the model owning the last key, and that key's field info."""
    model: Any = Scenario
    field = None
    for part in loc:
        candidates = _unwrap(model) if not (isinstance(model, type)
                                            and issubclass(model, pydantic.BaseModel)) else [model]
        nxt = None
        for cand in candidates:
            origin = typing.get_origin(cand)
            if (isinstance(cand, type) and issubclass(cand, pydantic.BaseModel)
                    and isinstance(part, str)):
                if part in cand.model_fields:
                    field = cand.model_fields[part]
                    nxt = field.annotation
                    break
            elif origin in (list, tuple) and isinstance(part, int):
                nxt = typing.get_args(cand)[0]
                break
            elif origin is dict and isinstance(part, str):
                nxt = typing.get_args(cand)[1]
                break
        if nxt is None:
            return None, None
        model = nxt
    return model, field


def _model_class_at(loc: Sequence[str | int]) -> type[pydantic.BaseModel] | None:
    node, _ = _schema_node(loc)
    for cand in _unwrap(node) if node is not None else []:
        if isinstance(cand, type) and issubclass(cand, pydantic.BaseModel):
            return cand
    return None


def _allowed_range(field: Any) -> str:
    if field is None:
        return ""
    bounds = []
    for meta in field.metadata:
        for attr, sym in (("ge", ">="), ("gt", ">"), ("le", "<="), ("lt", "<")):
            val = getattr(meta, attr, None)
            if val is not None:
                bounds.append(f"{sym} {val}")
    unit = (field.json_schema_extra or {}).get("unit", "") if isinstance(
        field.json_schema_extra, dict) else ""
    text = " and ".join(bounds)
    if text and unit and unit not in ("", "x", "0-1"):
        text += f" {unit}"
    return text


_TYPE_WORDS = {
    "int": "an integer", "float": "a number", "bool": "true or false", "str": "text",
    "list": "a list [..]", "dict": "a table", "date": "a date (YYYY-MM-DD)",
}


def _expected_type(err: dict[str, Any]) -> str:
    kind = err["type"].split("_")[0]
    if err["type"].startswith("model") or err["type"] == "dict_type":
        return "a table"
    return _TYPE_WORDS.get(kind, kind)


def _allowed_values(annotation: Any) -> str:
    """What a field accepts, in words: its choices, a place, or its type."""
    words = []
    for cand in _unwrap(annotation):
        if cand is Loc:
            words.append(LOCATION_HELP)
        elif typing.get_origin(cand) is typing.Literal:
            words.append(", ".join(toml_repr(v) for v in typing.get_args(cand)))
        elif isinstance(cand, type) and issubclass(cand, pydantic.BaseModel):
            words.append("a table")
        else:
            origin = typing.get_origin(cand) or cand
            words.append(_TYPE_WORDS.get(getattr(origin, "__name__", ""), str(origin)))
    return " or ".join(dict.fromkeys(words))


def _problem_from_pydantic(err: dict[str, Any]) -> Problem:
    on_key = "[key]" in err["loc"]  # the error is about a table's key, not its value
    loc = [part for part in err["loc"] if part != "[key]"]
    path = format_path(loc)
    kind = err["type"]
    value = err.get("input")
    node, field = _schema_node(loc)
    if kind == "extra_forbidden" or (on_key and kind == "literal_error"):
        key = str(loc[-1])
        if kind == "extra_forbidden":
            owner = _model_class_at(loc[:-1])
            allowed_keys = sorted(owner.model_fields) if owner else []
        else:
            allowed_keys = [str(v) for v in err["ctx"]["expected_values"]] if "expected_values" in (
                err.get("ctx") or {}) else _literal_choices(loc[:-1])
        close = difflib.get_close_matches(key, allowed_keys, n=1, cutoff=0.6)
        msg = f"unknown key {key!r}" + (f"; did you mean '{close[0]}'?" if close else "")
        return Problem(path, msg, None, ", ".join(allowed_keys))
    if kind == "missing":
        what = f" ({field.description})" if field is not None and field.description else ""
        return Problem(path, f"required key is missing{what}", None,
                       _allowed_values(node) if node is not None else "")
    if kind == "literal_error":
        hint = ""
        if isinstance(value, str):
            choices = [c for c in _allowed_values(node).split(", ") if c.startswith("'")]
            close = difflib.get_close_matches(repr(value), choices, n=1, cutoff=0.6)
            hint = f"did you mean {close[0]}?" if close else ""
        return Problem(path, "not one of the allowed values", value, err["ctx"]["expected"],
                       hint=hint)
    if kind in ("greater_than", "greater_than_equal", "less_than", "less_than_equal"):
        return Problem(path, "out of range", value, _allowed_range(field))
    if kind in ("too_short", "too_long", "string_too_short", "string_too_long"):
        ctx = err.get("ctx") or {}
        limit = ctx.get("min_length", ctx.get("max_length"))
        is_text = isinstance(value, str)
        if kind.endswith("too_short"):
            unit = "characters" if is_text else "items"
            msg = "must not be empty" if limit == 1 else f"needs at least {limit} {unit}"
            allowed = ("non-empty text" if is_text else "at least one item") if limit == 1 else (
                f"at least {limit} {unit}")
        else:
            msg = f"has too many {'characters' if is_text else 'items'}"
            allowed = f"at most {limit}"
        return Problem(path, msg, value, allowed)
    if kind == "value_error":
        msg = err["msg"].removeprefix("Value error, ")
        if "unknown place" in msg:
            return Problem(path, msg, None, "a gazetteer place name (see `encircle-sim list "
                           "places`) or [lat, lon]")
        return Problem(path, msg, value, LOCATION_HELP if "lat, lon" in msg or "place" in msg
                       else "")
    if kind.endswith("_type") or kind.endswith("_parsing") or kind.endswith("_from_float") or (
        kind.startswith("model") or kind == "dict_type"
    ):
        allowed = _allowed_range(field)
        return Problem(path, f"wrong type: expected {_expected_type(err)}", value,
                       allowed)
    return Problem(path, err["msg"], value)


def _literal_choices(loc: Sequence[str | int]) -> list[str]:
    """The allowed keys of a table whose keys are a fixed set (the terrain table)."""
    node, _ = _schema_node(loc)
    for cand in _unwrap(node) if node is not None else []:
        if typing.get_origin(cand) is dict:
            key_type = typing.get_args(cand)[0]
            if typing.get_origin(key_type) is typing.Literal:
                return [str(v) for v in typing.get_args(key_type)]
    return []


def validate(data: Mapping[str, Any], source: str = "<scenario>", *,
             origins: Origins | None = None, problems: Sequence[Problem] = ()) -> Scenario:
    """Validate raw scenario data; raise :class:`ScenarioError` listing every problem.

    Type and range errors come from the schema; the cross-field checks
    (:func:`~encircle_sim.scenario.consistency_errors`) still run when some values are bad, on a
    copy where those values are replaced by their defaults, so one report holds everything.
    ``origins`` says which file each value came from; ``problems`` are earlier ones to include.
    """
    origins = Origins() if origins is None else origins
    found = list(problems)
    if "name" not in data and source.endswith(".toml"):
        data = {**data, "name": name_from_file(source)}
    data = dict(data)
    found += [_in_file(p, origins, parse_path(p.path), source) for p in _number_choices(data)]
    try:
        scenario = Scenario.model_validate(merge_builtin_tables(data))
    except pydantic.ValidationError as err:
        errors = err.errors()
        # only the problems a report shows get the costlier wording (did-you-mean, ranges)
        found += [_in_file(_problem_from_pydantic(e) if k < MAX_SHOWN_PROBLEMS else
                           Problem(format_path(e["loc"]), e["msg"]), origins, e["loc"], source)
                  for k, e in enumerate(errors)]
        found += _consistency_despite(data, errors, origins, source)
        raise ScenarioError(source, found) from None
    found += [_in_file(p, origins, parse_path(p.path) if p.path else (), source)
              for p in consistency_errors(scenario)]
    if found:
        raise ScenarioError(source, found)
    return scenario


def name_from_file(path: str | Path) -> str:
    """A scenario name made from a file's name ("my run (2).toml" -> "my_run_2")."""
    name = re.sub(r"[^\w.-]+", "_", Path(path).stem).strip("_.-")[:64]
    return name or "scenario"


def _number_choices(data: Mapping[str, Any]) -> list[Problem]:
    """Whole-number choices given as 6.0 or true: the schema's choice check compares with ==,
    so it would take them (true as 1), while a file must say exactly what it means."""
    problems = []
    for section, value in data.items():
        field = Scenario.model_fields.get(section)
        model = field.annotation if field is not None else None
        if not (isinstance(value, Mapping) and isinstance(model, type)
                and issubclass(model, pydantic.BaseModel)):
            continue
        for key, given in value.items():
            sub = model.model_fields.get(key)
            choices = typing.get_args(sub.annotation) if sub is not None and typing.get_origin(
                sub.annotation) is typing.Literal else ()
            if (choices and all(type(c) is int for c in choices) and type(given) is not int
                    and given in choices):  # values not in the choices: the schema says so
                problems.append(Problem(f"{section}.{key}", "not one of the allowed values",
                                        given, ", ".join(map(str, choices[:-1]))
                                        + f" or {choices[-1]}"))
    return problems


def _in_file(problem: Problem, origins: Origins, loc: Sequence[Any], source: str) -> Problem:
    """The problem, naming the file its value came from when that is not ``source``."""
    who = origin_of(origins, [part for part in loc if part != "[key]"])
    if who is None or who == source or problem.file:
        return problem
    return dataclasses.replace(problem, file=who)


# A location standing in for a bad one while the cross-field checks run (the default map's middle).
_PLACEHOLDER_LOCATION = [35.25, 41.5]


def _consistency_despite(data: dict[str, Any], errors: list[dict[str, Any]], origins: Origins,
                         source: str) -> list[Problem]:
    """Cross-field problems of the data with its invalid values set aside.

    Each bad value is removed (its default then applies) or, for a required place, replaced by a
    stand-in; problems that involve a set-aside value are not reported, since the user sees
    that value's own error. When the data cannot be repaired this way, nothing is added.
    """
    patched = copy.deepcopy(data)
    set_aside: list[str] = []
    map_touched = False
    for err in errors:
        loc = [part for part in err["loc"] if part != "[key]"]
        if not loc or not _set_aside(patched, loc, err["type"]):
            return []
        set_aside.append(format_path(loc))
        # an unknown key changes nothing; a bad map value puts every place in doubt
        map_touched |= loc[0] == "map" and err["type"] != "extra_forbidden"
    try:
        scenario = Scenario.model_validate(merge_builtin_tables(patched))
    except pydantic.ValidationError:
        return []

    def involves_set_aside(p: Problem) -> bool:
        if map_touched and (p.path.startswith("map") or "outside the map" in p.message):
            return True
        return any(p.path == q or p.path.startswith((q + ".", q + "[")) or
                   q.startswith((p.path + ".", p.path + "[")) for q in set_aside)

    return [_in_file(p, origins, parse_path(p.path) if p.path else (), source)
            for p in consistency_errors(scenario) if not involves_set_aside(p)]


def _set_aside(data: Any, loc: list[str | int], kind: str) -> bool:
    """Remove or stand in for the value at ``loc``; False if that cannot be done safely."""
    node = data
    for part in loc[:-1]:
        try:
            node = node[part]
        except (KeyError, IndexError, TypeError):
            return False
    last = loc[-1]
    model, field = _schema_node(loc)
    required = field is not None and field.is_required() and isinstance(last, str)
    is_location = model is not None and any(c is Loc for c in _unwrap(model))
    if isinstance(node, dict) and isinstance(last, str):
        if kind == "extra_forbidden" or (field is not None and not required):
            node.pop(last, None)
            return True
        if field is None and last in node:  # an entry of a free table (terrain, unit_types)
            node.pop(last)
            return True
        if required and is_location:
            node[last] = list(_PLACEHOLDER_LOCATION)
            return True
        if required and _unwrap(model) == [str]:
            node[last] = "?"
            return True
        return False
    if isinstance(node, list) and isinstance(last, int) and last < len(node) and is_location:
        node[last] = list(_PLACEHOLDER_LOCATION)
        return True
    return False


def _parse_overrides(texts: Iterable[str], problems: list[Problem], *, shown: bool, file: str,
                     allowed: str) -> list[tuple[str, Any]]:
    """``key.path=value`` texts as (key, value) pairs; a text that is not one is a problem."""
    pairs = []
    for text in texts:
        try:
            pairs.append(parse_override(text))
        except ValueError as err:
            problems.append(Problem("", str(err), text if shown else None, allowed, file))
    return pairs


def load_scenario(ref: str | Path = DEFAULT_SCENARIO,
                  overrides: Iterable[str] | Mapping[str, Any] = ()
                  ) -> Scenario:
    """Load a scenario by path or bundled name, apply ``key.path=value`` overrides, validate it.

    Raises :class:`ScenarioError` with every problem found in the file, its base chain, its
    ``[set]``/``append`` entries and the overrides.
    """
    path = resolve_scenario_path(ref)
    origins = Origins()
    problems: list[Problem] = []
    data = read_raw(path, origins=origins, problems=problems)
    if isinstance(overrides, Mapping):
        pairs = list(overrides.items())
    else:
        pairs = _parse_overrides(overrides, problems, shown=False, file="--set",
                                 allowed="KEY.PATH=VALUE, e.g. --set insurgents.cells=400")
    for key, value in pairs:
        try:
            set_path(data, key, value)
        except ValueError as err:
            problems.append(Problem(key, str(err), value, "a key path that exists", "--set"))
        else:
            _claim(origins, tuple(parse_path(key)), "--set")
    return validate(data, display_path(path), origins=origins, problems=problems)


# --------------------------------------------------------------------------------------------
# Changing a loaded scenario in code (the notebook's way; same paths as --set and [set])
# --------------------------------------------------------------------------------------------


def _plain(value: Any) -> Any:
    """Scenario objects, places, tuples and numpy scalars as the plain data a file would hold."""
    import numpy as np

    from encircle_sim.scenario import Loc

    if isinstance(value, pydantic.BaseModel):
        return _drop_none(value.model_dump(mode="python"))
    if isinstance(value, Loc):
        return value.as_input()
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, np.ndarray):
        return _plain(value.tolist())
    if isinstance(value, np.generic):
        return value.item()
    return value


def with_overrides(scenario: Scenario, overrides: Mapping[str, Any] | Iterable[str]) -> Scenario:
    """A new, validated scenario with some values changed; the original is left as it was.

    ``overrides`` uses the key paths of ``--set`` and ``[set]``: ``{"border.sealing": 0.1,
    "forces[3].units": 2}`` or ``["insurgents.cells=80"]``. A nested table such as
    ``{"border": {"sealing": 0.1}}`` changes only the keys it names. Every problem (unknown
    key, wrong type, out of range, inconsistent values) is raised together as a
    :class:`ScenarioError`.
    """
    if not isinstance(scenario, Scenario):
        raise TypeError(f"with_overrides needs a loaded Scenario (load_scenario(...)), "
                        f"not {type(scenario).__name__}")
    source = f"scenario {scenario.name!r} (changed in code)"
    problems: list[Problem] = []
    if isinstance(overrides, Mapping):
        pairs = _flatten_set_table(overrides)
    elif isinstance(overrides, str):
        raise TypeError("overrides must be a mapping or a list of 'key.path=value' texts, "
                        f"not one text ({overrides!r}): put it in a list")
    else:
        pairs = _parse_overrides(overrides, problems, shown=True, file="",
                                 allowed="key.path=value")
    data = scenario_to_dict(scenario)
    for key, value in pairs:
        try:
            set_path(data, key, _plain(value))
        except ValueError as err:
            problems.append(Problem(key, str(err)))
    try:
        result = validate(data, source)
    except ScenarioError as err:
        problems.extend(err.problems)
    if problems:
        raise ScenarioError(source, problems)
    return result


#: What :func:`parameter_table` shows when not told otherwise (plus every formation's units).
KEY_PARAMETERS = (
    "seed", "time.max_days", "time.step_hours", "map.cell_km", "insurgents.cells",
    "insurgents.fighters_min", "insurgents.fighters_max", "networks.caches", "border.sealing",
    "operation.cordon_radius_km", "theatres.syria",
)


def get_path(scenario: Scenario, path: str) -> Any:
    """The value at a key path such as ``"forces[3].units"`` (a place as its name or [lat, lon])."""
    node: Any = scenario
    for part in parse_path(path):
        try:
            if isinstance(part, int):
                node = node[part]
            elif isinstance(node, Mapping):
                node = node[part]
            else:
                if part not in type(node).model_fields:
                    raise KeyError(part)
                node = getattr(node, part)
        except (KeyError, IndexError, TypeError, AttributeError):
            raise ScenarioError(f"scenario {scenario.name!r}", [
                Problem(path, "no such key in the scenario")]) from None
    return _plain(node)


def parameter_table(scenario: Scenario, paths: Iterable[str] | None = None):
    """A small table (pandas DataFrame) of parameters: key path, value, unit and meaning.

    Without ``paths`` it shows :data:`KEY_PARAMETERS` and the units of every formation. The
    unit and meaning come from the schema, so the table says what the model reads.
    """
    import pandas as pd

    if paths is None:
        paths = list(KEY_PARAMETERS) + [f"forces[{i}].units" for i in range(len(scenario.forces))]
    rows = []
    for path in paths:
        value = get_path(scenario, path)
        loc = parse_path(path)
        _, field = _schema_node(loc)
        extra = field.json_schema_extra if field is not None and isinstance(
            field.json_schema_extra, dict) else {}
        meaning = (field.description or "") if field is not None else ""
        if len(loc) >= 3 and isinstance(loc[1], int) and loc[0] in ("forces", "air"):
            meaning += f" ({getattr(scenario, str(loc[0]))[loc[1]].name})"
        rows.append({"parameter": path, "value": value, "unit": extra.get("unit", ""),
                     "meaning": meaning})
    return pd.DataFrame(rows).set_index("parameter")


def scenario_to_dict(scenario: Scenario) -> dict[str, Any]:
    """Plain data for TOML/JSON: places as names or [lat, lon], None values dropped."""
    return _drop_none(scenario.model_dump(mode="python"))


def _drop_none(obj: Any) -> Any:
    if isinstance(obj, dict):
        return {k: _drop_none(v) for k, v in obj.items() if v is not None}
    if isinstance(obj, list):
        return [_drop_none(v) for v in obj]
    return obj


def scenario_toml(scenario: Scenario) -> str:
    """A scenario as the text of a complete TOML file."""
    return tomli_w.dumps(scenario_to_dict(scenario))


def save_scenario(scenario: Scenario, path: str | Path) -> Path:
    """Write a scenario as a complete TOML file that ``encircle-sim run`` accepts."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    return write_text_atomic(path, scenario_toml(scenario))
