"""Bounded, strict input: hostile or mistaken scenario files and overrides get a clear message
(file, key, what is allowed), never a traceback, a hang or gigabytes of memory.

Each case is one shape from the field report of issue 12: deep nesting, key bombs, lenient
``--set`` values, long values echoed in full, bad ``base`` paths, empty files, names that are
paths, and geometry that validates but cannot run.
"""

from __future__ import annotations

import tracemalloc

import pytest

from encircle_sim.scenario_files import (
    MAX_DEPTH,
    MAX_ENTRIES,
    MAX_SHOWN_PROBLEMS,
    ScenarioError,
    load_scenario,
    parse_override,
    parse_path,
)


@pytest.fixture(autouse=True)
def _in_scratch_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # messages name files as the user wrote them


def problems_of(ref, overrides=()) -> ScenarioError:
    with pytest.raises(ScenarioError) as exc:
        load_scenario(ref, overrides)
    return exc.value


def peak_mb(fn) -> float:
    """Peak memory (MB) Python allocates while ``fn`` runs."""
    tracemalloc.start()
    try:
        fn()
    finally:
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    return peak / 1e6


# --------------------------------------------------------------------------------------------
# nesting and size
# --------------------------------------------------------------------------------------------

NESTED = {
    "arrays": lambda n: "seed = " + "[" * n + "]" * n,
    "inline tables": lambda n: "seed = " + "{a = " * n + "1" + "}" * n,
    "dotted keys": lambda n: ".".join(["a"] * n) + " = 1",
    "table headers": lambda n: "[" + ".".join(["a"] * n) + "]\nx = 1",
}


@pytest.mark.parametrize("shape", NESTED)
@pytest.mark.parametrize("depth", [MAX_DEPTH + 2, 1_000, 30_000])
def test_deep_nesting_is_a_clear_error_at_any_depth(write, shape, depth):
    path = write("deep.toml", 'base = "quick"\n' + NESTED[shape](depth) + "\n")
    holder = {}
    mb = peak_mb(lambda: holder.setdefault("err", problems_of(path)))
    report = holder["err"].report()
    assert "deep.toml: 1 problem" in report
    assert f"at most {MAX_DEPTH}" in report or f"more than {MAX_DEPTH} parts" in report
    assert mb < 100, f"{mb:.0f} MB to reject a {depth}-level file"


def test_nesting_within_the_limit_is_read(write):
    # a table four levels down and a list of lists: deeper than any scenario needs, still fine
    path = write("ok.toml", 'base = "quick"\n[set]\n"forces[0].units" = 2\n'
                 '[unit_types.scouts]\nsensor_km = 4.0\n')
    assert load_scenario(path).unit_types["scouts"].sensor_km == 4.0


def test_a_key_bomb_is_refused_cheaply(write):
    path = write("many.toml", 'base = "quick"\n' + "".join(f"k{i} = 1\n" for i in range(16_000)))
    holder = {}
    mb = peak_mb(lambda: holder.setdefault("err", problems_of(path)))
    assert f"too many keys and list items (more than {MAX_ENTRIES:,})" in holder["err"].report()
    assert mb < 100


def test_thousands_of_unknown_keys_are_counted_not_all_listed(write):
    path = write("keys.toml", 'base = "quick"\n' + "".join(f"k{i} = 1\n" for i in range(3_000)))
    err = problems_of(path)
    report = err.report()
    assert report.startswith("keys.toml: 3,000 problems")
    assert len(report.splitlines()) == 1 + MAX_SHOWN_PROBLEMS + 1
    assert report.splitlines()[-1].strip() == (f"... and {3_000 - MAX_SHOWN_PROBLEMS:,} more "
                                               f"(the first {MAX_SHOWN_PROBLEMS} are shown)")
    assert "k0: unknown key 'k0'" in report


def test_a_file_too_large_to_be_a_scenario(write):
    path = write("big.toml", 'base = "quick"\ndescription = "' + "x" * 1_200_000 + '"\n')
    assert "larger than 1,000,000 bytes" in problems_of(path).report()


@pytest.mark.parametrize("text", ["", "\n\n", "# nothing but a comment\n"])
def test_an_empty_file_is_an_error(write, text):
    report = problems_of(write("empty.toml", text)).report()
    assert "empty.toml: the file is empty: a scenario needs at least a base or forces" in report


@pytest.mark.parametrize("table, needle", [
    ('[append]\n"forces[0]" = [{name = "x", start = "Haditha"}]', "not to a list item"),
    ('[append]\n"forces..x" = [{name = "x", start = "Haditha"}]', "cannot read key path"),
    ('[append]\n" forces" = [{name = "x", start = "Haditha"}]', "padded with spaces"),
    ('[set]\n".seed" = 3', "cannot read key path"),
])
def test_bad_key_paths_in_append_and_set_are_problems_not_tracebacks(write, table, needle):
    report = problems_of(write("v.toml", 'base = "quick"\n' + table + "\n")).report()
    assert needle in report and "v.toml: " in report


# --------------------------------------------------------------------------------------------
# --set is strict
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("text, needle", [
    ("insurgents.cells=4\nseed=5", "holds a line break"),
    ("insurgents.cells=4\rseed=5", "holds a line break"),
    ("name=a\x00b", "control character"),
    (".insurgents.cells=4", "cannot read key path"),
    ("insurgents..cells=4", "cannot read key path"),
    ("insurgents.cells.=4", "cannot read key path"),
    ("forces[0]units=4", "cannot read key path"),
    ("forces[-1].units=4", "cannot read key path"),
    ("seed=" + "[" * 200 + "]" * 200, "nested too deep"),
    ("insurgents.cells", "must look like key.path=value"),
    (".".join(["a"] * (MAX_DEPTH + 1)) + "=1", f"at most {MAX_DEPTH}"),
])
def test_a_set_text_is_one_key_path_and_one_value(text, needle):
    with pytest.raises(ValueError, match=None) as exc:
        parse_override(text)
    assert needle in str(exc.value)
    report = problems_of("quick", [text]).report()
    assert "--set: " in report and needle in report


@pytest.mark.parametrize("value", ["6.0", "true", "6.5"])
def test_a_whole_number_choice_must_be_a_whole_number(value):
    err = problems_of("quick", [f"time.step_hours={value}"])
    assert [p.path for p in err.problems] == ["time.step_hours"]
    assert err.problems[0].allowed == "1, 2, 3, 4, 6, 8, 12 or 24"


def test_good_overrides_still_work():
    sc = load_scenario("quick", ["insurgents.cells=12", "forces[1].start=Rawa",
                                 "time.step_hours=6", "operation.axes[0].name=Haditha axis"])
    assert (sc.insurgents.cells, sc.forces[1].start.label, sc.time.step_hours) == (12, "Rawa", 6)
    assert parse_path("forces[2].start") == ["forces", 2, "start"]


# --------------------------------------------------------------------------------------------
# messages: long values cut, bad bases named where they are
# --------------------------------------------------------------------------------------------


def test_a_long_bad_value_is_cut_to_80_characters_and_its_length(write):
    path = write("v.toml", 'base = "quick"\nseed = "' + "y" * 9_000 + '"\n')
    report = problems_of(path).report()
    assert "(got '" + "y" * 79 + "... (9,002 characters))" in report
    assert len(report) < 1_000
    path = write("v.toml", 'base = "quick"\nseed = "' + "y" * 900_000 + '"\n')
    assert "v.toml: seed is 900,000 characters long; at most 10,000" in problems_of(path).report()


def test_a_long_unknown_key_is_cut_too(write):
    key = "k" * 5_000
    report = problems_of(write("v.toml", f'base = "quick"\n{key} = 1\n')).report()
    assert "(5,000 characters)" in report and len(report) < 2_000


@pytest.mark.parametrize("base, needle", [
    ("/etc/passwd", "base: '/etc/passwd' is not a usable scenario file: not valid TOML"),
    ("x" * 5_000, "base: no such scenario file or bundled scenario (got 'xxxx"),
    ("/dev/zero", "base: no such scenario file or bundled scenario (got '/dev/zero')"),
])
def test_a_bad_base_is_reported_at_the_variants_base_key(write, base, needle):
    path = write("variant.toml", f'base = "{base}"\n')
    report = problems_of(path).report()
    assert report.startswith("variant.toml: 1 problem")
    assert f"\n  variant.toml: {needle}" in report
    assert len(report) < 1_000


def test_an_empty_base_is_reported_at_the_variants_base_key(write):
    write("empty.toml", "")
    report = problems_of(write("variant.toml", 'base = "empty.toml"\n')).report()
    assert "variant.toml: base: 'empty.toml' is not a usable scenario file: the file is empty" \
        in report


# --------------------------------------------------------------------------------------------
# everything validate accepts runs: names, labels, geometry
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["../../../x", "/etc/cron.d/x", "a\x00b", ".hidden", "a b",
                                  "n" * 65, ""])
def test_a_scenario_name_is_a_name_not_a_path(name):
    err = problems_of("quick", [f"name={name!r}".replace("'", '"')])
    assert [p.path for p in err.problems] == ["name"]


@pytest.mark.parametrize("name", ["quick-2", "v1.2_test", "معركة"])
def test_ordinary_names_are_accepted(name):
    assert load_scenario("quick", [f'name="{name}"']).name == name


def test_a_file_name_that_is_not_a_name_gives_a_clean_scenario_name(write):
    path = write("my run (copy 2).toml", '[[forces]]\nname = "A"\nstart = "Haditha"\n')
    assert load_scenario(path).name == "my_run_copy_2"


@pytest.mark.parametrize("override, path", [
    ('forces[0].name="A\\nB"', "forces[0].name"),
    ('title="line one\\nline two"', "title"),
    ('operation.axes[0].name="x\\u0007"', "operation.axes[0].name"),
    ('description="bell\\u0007"', "description"),
    ('forces[0].name="' + "n" * 201 + '"', "forces[0].name"),
])
def test_labels_print(override, path):
    assert path in [p.path for p in problems_of("quick", [override]).problems]


def test_a_description_may_have_line_breaks():
    assert load_scenario("quick", ['description="one\\ntwo\\tthree"']).description.count("\n") == 1


@pytest.mark.parametrize("area, needle", [
    ("[[34.5, 41.5], [34.5, 41.5], [34.5, 41.5]]", "encloses no ground"),
    ("[[34.5, 41.5], [34.6, 41.6], [34.7, 41.7]]", "encloses no ground"),
    ("[[34.50, 41.50], [34.51, 41.50], [34.50, 41.51]]", "holds no grid cell"),
])
def test_an_operation_area_must_enclose_ground(area, needle):
    err = problems_of("quick", [f"operation.area={area}"])
    assert any(p.path == "operation.area" and needle in p.message for p in err.problems)


def test_an_axis_must_start_on_passable_ground():
    err = problems_of("victory_will", ["operation.axes[0].start=[33.963, 43.263]"])  # Tharthar
    assert [p.path for p in err.problems] == ["operation.axes[0].start"]
    assert "lake" in err.problems[0].message


def test_the_grid_must_be_at_least_four_cells_wide():
    err = problems_of("quick", ["map.east=40.9", "theatres.iraq=false", "theatres.syria=true",
                                "forces=[]"])
    assert any(p.path == "map.cell_km" and "4 cells wide" in p.message for p in err.problems)
