"""Fuzzing the command line: mutated bundled scenarios and ``--set`` values.

Every case goes through ``encircle-sim``'s own entry point (``cli.main``, in this process, so a
thousand cases take seconds) and must end as a user expects: exit status 0 (it was fine) or 2
(a clear message on stderr), never an exception escaping as a traceback, never a hang (each case
runs under an alarm). The examples are derandomised, so every CI run tries the same 1,000+
cases and a failure reproduces.
"""

from __future__ import annotations

import contextlib
import io
import signal
import threading
from pathlib import Path

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from encircle_sim import cli
from encircle_sim.geography import grid as geo_grid
from encircle_sim.scenario_files import (
    BUNDLED_DIR,
    format_path,
    load_scenario,
    scenario_to_dict,
)

BUNDLED = {p.stem: p.read_text(encoding="utf-8") for p in sorted(BUNDLED_DIR.glob("*.toml"))}
CASE_SECONDS = 60  # a case still running after this long has hung


def fuzz_settings(n: int):
    return settings(max_examples=n, derandomize=True, database=None, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                           HealthCheck.function_scoped_fixture])


class Hung(Exception):
    pass


@contextlib.contextmanager
def time_limit(seconds: int):
    """Fail the case if it runs longer than ``seconds`` (main thread only: SIGALRM)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def on_alarm(signum, frame):
        raise Hung(f"the case ran longer than {seconds} s")

    previous = signal.signal(signal.SIGALRM, on_alarm)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def run_cli(*args: str) -> tuple[int, str, str]:
    """``encircle-sim ARGS`` in this process: (exit status, stdout, stderr); an exception that
    escapes ``main`` is what a user would see as a traceback, so it fails the case."""
    out, err = io.StringIO(), io.StringIO()
    with time_limit(CASE_SECONDS), contextlib.redirect_stdout(out), \
            contextlib.redirect_stderr(err):
        try:
            code = cli.main(list(args))
        except SystemExit as exit_:  # argparse's usage errors
            code = exit_.code
    if geo_grid._build.cache_info().currsize > 4:  # fuzzed map windows: keep memory bounded
        geo_grid._build.cache_clear()
    return code, out.getvalue(), err.getvalue()


def assert_clean(code, out: str, err: str, what) -> None:
    event(f"exit {code}")
    assert code in (0, 2), (what, code, err[-2000:])
    assert "Traceback" not in err and "Traceback" not in out, (what, err[-2000:])
    if code == 2:
        assert err.strip(), what
        assert all(len(line) <= 1_000 for line in err.splitlines()), what


# --------------------------------------------------------------------------------------------
# value and key texts as a hurried or hostile user types them
# --------------------------------------------------------------------------------------------

SCALARS = st.one_of(
    st.integers(-(2**70), 2**70).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr).map(
        lambda t: {"nan": "nan", "inf": "inf", "-inf": "-inf"}.get(t, t)),
    st.sampled_from(["true", "false", "0", "-1", "1e400", "6.0", "2019-07-07", "07:00:00",
                     "''", '""', "[]", "{}", "[[]]", "nan", "inf", "0x10", "1_000"]),
    st.text(max_size=20).map(lambda t: '"' + t.replace("\\", "\\\\").replace('"', '\\"') + '"'),
    st.text(alphabet=st.characters(), max_size=12),   # raw text: quotes, brackets, controls
    st.sampled_from(["Haditha", "Rawa", "Atlantis", "Deir ez-Zor", "[34.5, 41.5]",
                     "[91, 0]", "[34.5]", '"Mosul"', "[[34.5, 41.5]]"]),
    st.integers(1, 400).map(lambda n: "[" * n + "]" * n),
    st.integers(1, 50_000).map(lambda n: '"' + "x" * n + '"'),
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=4).map(lambda xs: "[" + ", ".join(xs) + "]")
    | st.dictionaries(st.from_regex(r"[a-z_]{1,8}", fullmatch=True), inner,
                      max_size=3).map(lambda d: "{" + ", ".join(f"{k} = {v}"
                                                                for k, v in d.items()) + "}"),
    max_leaves=6,
)


def _leaf_paths(obj, prefix=()):
    if isinstance(obj, dict) and obj:
        for key, value in obj.items():
            yield from _leaf_paths(value, (*prefix, key))
    elif isinstance(obj, list) and obj and prefix and prefix[-1] in ("forces", "air", "axes"):
        for i, value in enumerate(obj):
            yield from _leaf_paths(value, (*prefix, i))
    elif prefix:
        yield prefix


KEY_PATHS = sorted({format_path(p) for name in BUNDLED
                    for p in _leaf_paths(scenario_to_dict(load_scenario(name)))})
KEYS = st.one_of(
    st.sampled_from(KEY_PATHS),
    st.sampled_from(KEY_PATHS).map(lambda k: k + ".x"),
    st.sampled_from(KEY_PATHS).map(lambda k: "." + k),
    st.sampled_from(KEY_PATHS).map(lambda k: k.replace(".", "..", 1)),
    st.from_regex(r"(forces|air|operation\.axes)\[[0-9]{1,3}\]\.[a-z_]{1,12}", fullmatch=True),
    st.text(max_size=16),
    st.integers(1, 40).map(lambda n: ".".join(["a"] * n)),
)


# --------------------------------------------------------------------------------------------
# 1. mutated scenario files
# --------------------------------------------------------------------------------------------

LINE = st.one_of(
    st.tuples(KEYS, VALUES).map(lambda kv: f"{kv[0]} = {kv[1]}"),
    st.sampled_from(["[map]", "[[forces]]", "[time]", "[set]", "[append]", "[[append.forces]]",
                     "[insurgents]", "[operation]", "[[operation.axes]]", "[theatres]",
                     "base = \"quick\"", "base = \"victory_will\"", "base = \"nowhere\"",
                     "base = \"/etc/passwd\"", "base = 3", "name = \"\"", "[unit_types.x]",
                     "\"forces[0].units\" = 3", "\"forces[99].units\" = 3", "[a.b.c.d.e.f]"]),
    st.text(max_size=30),
)
MUTATION = st.one_of(
    st.tuples(st.just("delete"), st.integers(0, 400)),
    st.tuples(st.just("duplicate"), st.integers(0, 400)),
    st.tuples(st.just("swap"), st.integers(0, 400), st.integers(0, 400)),
    st.tuples(st.just("insert"), st.integers(0, 400), LINE),
    st.tuples(st.just("value"), st.integers(0, 400), VALUES),
    st.tuples(st.just("truncate"), st.floats(0, 1)),
    st.tuples(st.just("chars"), st.floats(0, 1), st.text(max_size=6)),
)


def mutate(text: str, ops) -> str:
    lines = text.splitlines()
    for op in ops:
        kind, *args = op
        n = max(len(lines), 1)
        if kind == "delete" and lines:
            del lines[args[0] % n]
        elif kind == "duplicate" and lines:
            i = args[0] % n
            lines.insert(i, lines[i])
        elif kind == "swap" and lines:
            i, j = args[0] % n, args[1] % n
            lines[i], lines[j] = lines[j], lines[i]
        elif kind == "insert":
            lines.insert(args[0] % (n + 1), args[1])
        elif kind == "value":
            keyed = [i for i, line in enumerate(lines) if "=" in line and not line.startswith("#")]
            if keyed:
                i = keyed[args[0] % len(keyed)]
                lines[i] = lines[i].split("=", 1)[0] + "= " + args[1]
        elif kind == "truncate":
            joined = "\n".join(lines)
            lines = joined[: int(len(joined) * args[0])].splitlines()
        elif kind == "chars":
            joined = "\n".join(lines)
            at = int(len(joined) * args[0])
            lines = (joined[:at] + args[1] + joined[at:]).splitlines()
    return "\n".join(lines) + "\n"


@pytest.fixture(scope="module")
def scratch(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("fuzz")


@fuzz_settings(700)
@given(name=st.sampled_from(sorted(BUNDLED)), ops=st.lists(MUTATION, min_size=1, max_size=4))
def test_mutated_scenario_files_validate_or_say_why(scratch, name, ops):
    path = scratch / f"{name}_mutated.toml"
    path.write_text(mutate(BUNDLED[name], ops), encoding="utf-8", errors="surrogatepass")
    # a bundled base given by name resolves to the bundled file, wherever the variant is
    assert_clean(*run_cli("validate", str(path)), (name, ops))


# --------------------------------------------------------------------------------------------
# 2. --set values on the bundled scenarios
# --------------------------------------------------------------------------------------------

SET_TEXT = st.one_of(
    st.tuples(KEYS, VALUES).map(lambda kv: f"{kv[0]}={kv[1]}"),
    st.tuples(KEYS, VALUES, st.sampled_from(["\n", "\r", "\x00", " ", "\t"]), KEYS, VALUES).map(
        lambda t: f"{t[0]}={t[1]}{t[2]}{t[3]}={t[4]}"),
    st.text(max_size=40),
)


@fuzz_settings(400)
@given(name=st.sampled_from(sorted(BUNDLED)), sets=st.lists(SET_TEXT, min_size=1, max_size=3))
def test_set_overrides_validate_or_say_why(name, sets):
    args = ["validate", name]
    for text in sets:
        args += ["--set", text]
    assert_clean(*run_cli(*args), (name, sets))


# --------------------------------------------------------------------------------------------
# 3. a few short runs with fuzzed overrides: run, write the folder, or refuse cleanly
# --------------------------------------------------------------------------------------------

PLACE = st.sampled_from(['"Haditha"', '"Rawa"', '"Baiji"', '"Atlantis"', "[34.7, 42.0]",
                         "[33.963, 43.263]", "[40.0, 40.0]"])
# Mostly values a user might mean, now and then one that is not allowed.
RUN_SETS = st.one_of(
    st.integers(-2, 300).map(lambda n: f"insurgents.cells={n}"),
    st.integers(0, 60).map(lambda n: f"insurgents.fighters_min={n}"),
    st.integers(0, 2**64).map(lambda n: f"seed={n}"),
    st.integers(0, 100).map(lambda n: f"networks.caches={n}"),
    st.integers(0, 12).map(lambda n: f"networks.hubs={n}"),
    st.floats(-0.5, 1.5).map(lambda x: f"border.sealing={x!r}"),
    st.floats(0, 120).map(lambda x: f"operation.cordon_radius_km={x!r}"),
    st.integers(0, 60).map(lambda n: f"forces[0].units={n}"),
    PLACE.map(lambda p: f"forces[2].start={p}"),
    PLACE.map(lambda p: f"operation.axes[1].start={p}"),
    st.floats(0, 320).map(lambda x: f"forces[4].area_km={x!r}"),
    st.sampled_from([1, 2, 3, 4, 5, 6, 6.0, 8, 12, 24, True]).map(
        lambda v: f"time.step_hours={str(v).lower()}"),
    st.booleans().map(lambda b: f"theatres.syria={str(b).lower()}"),
    st.booleans().map(lambda b: f"theatres.coupled={str(b).lower()}"),
    st.booleans().map(lambda b: f"phases.advance.enabled={str(b).lower()}"),
    st.integers(0, 101).map(lambda n: f"engagement.rounds={n}"),
    st.sampled_from(['"x/../y"', '"ok-name"', '"a b"', '""', '"' + "n" * 70 + '"']).map(
        lambda v: f"name={v}"),
    st.sampled_from(["[[34.5, 41.5], [34.6, 41.6], [34.7, 41.7]]",
                     "[[34.0, 41.0], [35.0, 41.0], [35.0, 42.5], [34.0, 42.5]]",
                     "[[34.0, 41.0], [35.0, 42.5], [35.0, 41.0], [34.0, 42.5]]",
                     '["Haditha", "Rawa", "Anah"]']).map(lambda v: f"operation.area={v}"),
)


@fuzz_settings(24)
@given(sets=st.lists(RUN_SETS, min_size=1, max_size=3))
def test_short_runs_with_fuzzed_overrides_run_or_say_why(scratch, sets):
    out = scratch / "runs" / f"r{abs(hash(tuple(sets)))}"
    args = ["run", "quick", "--quiet", "--out", str(out), "--force"]
    for text in [*sets, "time.max_days=1"]:
        args += ["--set", text]
    code, stdout, err = run_cli(*args)
    assert_clean(code, stdout, err, sets)
    if code == 0:
        assert (out / "summary.json").exists() and (out / "final_map.png").exists()
    else:
        assert not out.exists()
