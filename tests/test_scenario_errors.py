"""Scenario validation: every kind of mistake gives a precise message, all of them at once.

Each message must name the file, the key path, the bad value and what is allowed. These tests go
through :func:`load_scenario` (files on disk, variants, ``--set`` overrides); the same cases
through the command line are in ``test_cli_errors.py``, and property tests at the end throw
arbitrary values at every key.
"""

from __future__ import annotations

import copy
import re

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from encircle_sim.scenario import Scenario
from encircle_sim.scenario_files import (
    ScenarioError,
    _schema_node,
    format_path,
    load_scenario,
    scenario_to_dict,
    validate,
)

AREA = ('area = ["Husaybah", "Rawa", "Haditha", "Baiji", [35.3, 42.4], [35.2, 41.2], '
        '[34.79, 41.2]]')
# A small valid scenario head; it ends inside [map], so a line appended to it lands there.
QUICK_HEAD = f"""\
name = "t"
[operation]
{AREA}
[map]
south = 33.8
north = 35.8
west = 40.8
east = 43.8
cell_km = 10.0
"""

FORCE = """
[[forces]]
name = "{name}"
start = "{start}"
"""


def problem_at(err: ScenarioError, path: str):
    found = [p for p in err.problems if p.path == path]
    assert found, f"no problem at {path}; got: {err.report()}"
    return found[0]


def line_for(err: ScenarioError, path: str) -> str:
    lines = [ln for ln in err.report().splitlines()[1:] if f": {path}: " in ln]
    assert lines, f"no line for {path} in:\n{err.report()}"
    return lines[0]


# --------------------------------------------------------------------------------------------
# One kind of mistake at a time
# --------------------------------------------------------------------------------------------


def test_unknown_key_with_did_you_mean(write):
    path = write("s.toml", QUICK_HEAD + "soutth = 33.0\n" + FORCE.format(name="A", start="Haditha")
                 + "strenght = 100\n")
    with pytest.raises(ScenarioError) as exc:
        load_scenario(path)
    err = exc.value
    top = problem_at(err, "map.soutth")
    assert "unknown key 'soutth'" in top.message and "did you mean 'south'" in top.message
    assert "cell_km, east, north, south, west" in top.allowed
    item = problem_at(err, "forces[0].strenght")
    assert "did you mean 'strength'" in item.message
    line = line_for(err, "forces[0].strenght")
    assert line.strip().startswith(str(path.name)) or str(path) in line


def test_unknown_top_level_table(write):
    path = write("s.toml", QUICK_HEAD + "[insurgent]\ncells = 3\n")
    with pytest.raises(ScenarioError) as exc:
        load_scenario(path)
    p = problem_at(exc.value, "insurgent")
    assert "did you mean 'insurgents'" in p.message


def test_unknown_terrain_class_is_an_unknown_key(write):
    path = write("s.toml", QUICK_HEAD + "[terrain.opn]\nmove_cost = 2.0\n")
    with pytest.raises(ScenarioError) as exc:
        load_scenario(path)
    p = problem_at(exc.value, "terrain.opn")
    assert "did you mean 'open'" in p.message
    assert "open, rough, wadi, river, lake, urban, cultivated" in p.allowed


@pytest.mark.parametrize("key, value, expected", [
    ("seed", '"seven"', "expected an integer"),
    ("insurgents.cells", "2.5", "expected an integer"),
    ("map.cell_km", '"5 km"', "expected a number"),
    ("theatres.iraq", '"yes"', "expected true or false"),
    ("time.start_date", '"2019-07-07"', "expected a date"),
    ("operation.area", "5", "expected a list"),
    ("insurgents", "5", "expected a table"),
])
def test_wrong_type(write, key, value, expected):
    table, _, leaf = key.rpartition(".")
    if not table:
        text = f"{leaf} = {value}\n" + QUICK_HEAD
    elif table == "map":
        text = QUICK_HEAD.replace("cell_km = 10.0", f"cell_km = {value}")
    elif table == "operation":
        text = QUICK_HEAD.replace(AREA, f"area = {value}")
    else:
        text = QUICK_HEAD + f"[{table}]\n{leaf} = {value}\n"
    path = write("s.toml", text)
    with pytest.raises(ScenarioError) as exc:
        load_scenario(path)
    p = problem_at(exc.value, key)
    assert expected in p.message
    assert p.value is not None  # the bad value is shown
    assert "got " in str(p)


def test_out_of_range_names_the_range_and_unit(write):
    path = write("s.toml", QUICK_HEAD.replace("cell_km = 10.0", "cell_km = 50.0")
                 + FORCE.format(name="A", start="Haditha") + "strength = 2\n")
    with pytest.raises(ScenarioError) as exc:
        load_scenario(path)
    cell = problem_at(exc.value, "map.cell_km")
    assert cell.message == "out of range" and cell.value == 50.0
    assert cell.allowed == ">= 2.0 and <= 20.0 km"
    strength = problem_at(exc.value, "forces[0].strength")
    assert strength.value == 2 and strength.allowed == ">= 5 and <= 5000 persons"
    assert "forces[0].strength: out of range (got 2); allowed: >= 5 and <= 5000 persons" in (
        exc.value.report())


def test_not_one_of_the_allowed_values(write):
    path = write("s.toml", QUICK_HEAD.replace("[map]", "[time]\nstep_hours = 5\n[map]")
                 + FORCE.format(name="A", start="Haditha") + 'side = "IS"\n')
    with pytest.raises(ScenarioError) as exc:
        load_scenario(path)
    step = problem_at(exc.value, "time.step_hours")
    assert step.value == 5 and "1, 2, 3, 4, 6, 8, 12 or 24" in step.allowed
    side = problem_at(exc.value, "forces[0].side")
    assert side.hint == "did you mean 'ISF'?"
    assert "'ISF', 'PMF', 'Coalition' or 'SDF'" in side.allowed


def test_unknown_place_with_suggestions(write):
    path = write("s.toml", QUICK_HEAD + FORCE.format(name="A", start="Hadithaa"))
    with pytest.raises(ScenarioError) as exc:
        load_scenario(path)
    p = problem_at(exc.value, "forces[0].start")
    assert "unknown place 'Hadithaa'" in p.message
    assert "did you mean 'Haditha'" in p.message
    assert "list places" in p.allowed and "[lat, lon]" in p.allowed


def test_place_names_ignore_case_and_article(write):
    path = write("s.toml", QUICK_HEAD + FORCE.format(name="A", start="al-qaim"))
    sc = load_scenario(path)
    assert sc.forces[0].start.label == "Al-Qa'im"


def test_place_outside_the_map(write):
    path = write("s.toml", QUICK_HEAD + FORCE.format(name="A", start="Mosul")
                 + FORCE.format(name="B", start="Haditha").replace('"Haditha"', "[36.9, 39.0]"))
    with pytest.raises(ScenarioError) as exc:
        load_scenario(path)
    named = problem_at(exc.value, "forces[0].start")
    assert "Mosul (36.335 N, 43.119 E) is outside the map" in named.message
    assert named.value == "Mosul"
    assert "33.8-35.8 N" in named.allowed and "40.8-43.8 E" in named.allowed
    assert problem_at(exc.value, "forces[1].start").value == [36.9, 39.0]


def test_lat_lon_must_be_a_pair_of_numbers(write):
    three = FORCE.format(name="A", start="x").replace('"x"', "[34.5, 42.0, 1.0]")
    north_pole = FORCE.format(name="B", start="x").replace('"x"', "[95.0, 42.0]")
    path = write("s.toml", QUICK_HEAD + three + north_pole)
    with pytest.raises(ScenarioError) as exc:
        load_scenario(path)
    assert "[lat, lon]" in problem_at(exc.value, "forces[0].start").message
    assert "out of range" in problem_at(exc.value, "forces[1].start").message


def test_missing_required_key(write):
    path = write("s.toml", QUICK_HEAD + '[[forces]]\nname = "A"\n')
    with pytest.raises(ScenarioError) as exc:
        load_scenario(path)
    p = problem_at(exc.value, "forces[0].start")
    assert "required key is missing" in p.message
    assert "[lat, lon]" in p.allowed


def test_empty_and_too_short_values(write):
    path = write("s.toml", QUICK_HEAD.replace('name = "t"', 'name = ""').replace(
        AREA, 'area = ["Haditha", "Rawa"]'))
    with pytest.raises(ScenarioError) as exc:
        load_scenario(path)
    assert problem_at(exc.value, "name").message == "must not be empty"
    area = problem_at(exc.value, "operation.area")
    assert "at least 3" in area.message and area.value == ["Haditha", "Rawa"]


# --------------------------------------------------------------------------------------------
# Inconsistent combinations
# --------------------------------------------------------------------------------------------


def test_axis_index_that_does_not_exist(write):
    text = QUICK_HEAD + """
        [[operation.axes]]
        start = "Haditha"
        [[forces]]
        name = "A"
        start = "Haditha"
        task = "axis"
        axis = 3
        [[forces]]
        name = "B"
        start = "Haditha"
        task = "axis"
        """
    path = write("s.toml", text)
    with pytest.raises(ScenarioError) as exc:
        load_scenario(path)
    p = problem_at(exc.value, "forces[0].axis")
    assert p.message == "no such axis" and p.value == 3
    assert p.allowed == "0..0 (operation.axes has 1)"
    q = problem_at(exc.value, "forces[1].axis")
    assert "forces[1].task is 'axis', so an axis index is needed" in q.message


def test_axis_on_a_force_without_task_axis(write):
    path = write("s.toml", QUICK_HEAD + FORCE.format(name="A", start="Haditha") + "axis = 0\n")
    with pytest.raises(ScenarioError) as exc:
        load_scenario(path)
    p = problem_at(exc.value, "forces[0].axis")
    assert p.message == "only used when forces[0].task is 'axis' (it is 'reserve')"


def test_fighters_min_above_fighters_max(write):
    path = write("s.toml", QUICK_HEAD + "[insurgents]\nfighters_min = 30\nfighters_max = 10\n"
                 "[retaliation]\nfighters_min = 9\nfighters_max = 4\n")
    with pytest.raises(ScenarioError) as exc:
        load_scenario(path)
    p = problem_at(exc.value, "insurgents.fighters_min")
    assert p.value == 30 and p.allowed == "<= 10 (insurgents.fighters_max)"
    assert p.message == "must not exceed fighters_max"
    assert problem_at(exc.value, "retaliation.fighters_min").value == 9


def test_coupled_needs_both_theatres(write):
    path = write("s.toml", QUICK_HEAD + "[theatres]\niraq = true\nsyria = false\ncoupled = true\n")
    with pytest.raises(ScenarioError) as exc:
        load_scenario(path)
    p = problem_at(exc.value, "theatres.coupled")
    assert "both theatres" in p.message and "theatres.syria" in p.allowed
    assert "(got true)" in str(p)  # values are shown as a scenario file writes them


def test_no_theatre_at_all(write):
    path = write("s.toml", QUICK_HEAD + "[theatres]\niraq = false\nsyria = false\n")
    with pytest.raises(ScenarioError) as exc:
        load_scenario(path)
    assert "at least one theatre" in problem_at(exc.value, "theatres").message


def test_sdf_in_iraq(write):
    text = QUICK_HEAD + FORCE.format(name="SDF raid", start="Haditha") + (
        'side = "SDF"\ntask = "perimeter"\n')
    path = write("s.toml", text)
    with pytest.raises(ScenarioError) as exc:
        load_scenario(path)
    side = problem_at(exc.value, "forces[0].side")
    assert side.value == "SDF" and "theatres.syria = true" in side.allowed
    task = problem_at(exc.value, "forces[0].task")
    assert task.value == "perimeter" and "hunt" in task.allowed


def test_iraqi_forces_with_the_iraqi_theatre_off(write):
    head = QUICK_HEAD.replace("south = 33.8", "south = 34.0")
    path = write("s.toml", head + "[theatres]\niraq = false\nsyria = true\n"
                 + FORCE.format(name="ISF", start="Haditha"))
    with pytest.raises(ScenarioError) as exc:
        load_scenario(path)
    assert "Iraqi theatre, which is off" in problem_at(exc.value, "forces[0].side").message


def test_unknown_unit_type(write):
    path = write("s.toml", QUICK_HEAD + FORCE.format(name="A", start="Haditha") + 'type = "tank"\n')
    with pytest.raises(ScenarioError) as exc:
        load_scenario(path)
    p = problem_at(exc.value, "forces[0].type")
    assert p.value == "tank" and "infantry" in p.allowed and "mechanised" in p.allowed


def test_map_edges_the_wrong_way_round(write):
    path = write("s.toml", QUICK_HEAD.replace("north = 35.8", "north = 33.5"))
    with pytest.raises(ScenarioError) as exc:
        load_scenario(path)
    p = problem_at(exc.value, "map.north")
    assert "north of map.south" in p.message and p.value == 33.5


def test_cells_too_big_for_the_window(write):
    path = write("s.toml", QUICK_HEAD.replace("north = 35.8", "north = 34.2").replace(
        "cell_km = 10.0", "cell_km = 20.0"))
    with pytest.raises(ScenarioError) as exc:
        load_scenario(path)
    p = problem_at(exc.value, "map.cell_km")
    assert "4 cells high" in p.message


# --------------------------------------------------------------------------------------------
# Many at once, files, TOML, overrides
# --------------------------------------------------------------------------------------------


def test_several_problems_are_reported_together(write):
    text = QUICK_HEAD.replace("cell_km = 10.0", "cell_km = 50.0") + """
        seeed = 3
        [time]
        step_hours = 5
        [insurgents]
        cells = -1
        fighters_min = 40
        fighters_max = 10
        [theatres]
        coupled = true
        [[forces]]
        name = "A"
        start = "Hadithaa"
        [[forces]]
        name = "B"
        start = "Haditha"
        task = "axis"
        axis = 2
        """
    path = write("s.toml", text)
    with pytest.raises(ScenarioError) as exc:
        load_scenario(path)
    paths = {p.path for p in exc.value.problems}
    # schema errors and cross-field errors in the same report
    assert {"map.cell_km", "map.seeed", "time.step_hours", "insurgents.cells",
            "insurgents.fighters_min", "theatres.coupled", "forces[0].start",
            "forces[1].axis"} <= paths
    report = exc.value.report()
    assert report.splitlines()[0] == f"{path.name}: {len(exc.value.problems)} problems" or (
        report.splitlines()[0].endswith(f"{len(exc.value.problems)} problems"))
    for line in report.splitlines()[1:]:
        assert path.name in line, line  # every line names the file
    assert "Traceback" not in report


def test_bad_values_do_not_hide_cross_field_problems_elsewhere(write):
    """A bad map value sets aside the 'outside the map' checks, but not the others."""
    text = QUICK_HEAD.replace("south = 33.8", 'south = "x"') + """
        [insurgents]
        fighters_min = 40
        fighters_max = 10
        """ + FORCE.format(name="A", start="Mosul")
    path = write("s.toml", text)
    with pytest.raises(ScenarioError) as exc:
        load_scenario(path)
    paths = [p.path for p in exc.value.problems]
    assert "map.south" in paths and "insurgents.fighters_min" in paths
    assert "forces[0].start" not in paths  # no verdict on places while the map is broken


def test_not_valid_toml_names_line_and_column(write):
    path = write("s.toml", 'name = "x"\n[map\ncell_km = 5\n')
    with pytest.raises(ScenarioError) as exc:
        load_scenario(path)
    report = exc.value.report()
    assert "not valid TOML" in report and "line 2" in report and path.name in report


def test_not_a_text_file(tmp_path):
    path = tmp_path / "s.toml"
    path.write_bytes(b"\xff\xfe\x00name")
    with pytest.raises(ScenarioError) as exc:
        load_scenario(path)
    assert path.name in exc.value.report()


def test_missing_file_suggests_bundled_names(tmp_path):
    with pytest.raises(ScenarioError) as exc:
        load_scenario("victory_wil")
    p = exc.value.problems[0]
    assert "did you mean victory_will" in p.message
    assert "quick" in p.allowed
    with pytest.raises(ScenarioError) as exc:
        load_scenario(tmp_path / "nothing.toml")
    assert "no such scenario file" in exc.value.report()
    assert "nothing.toml" in exc.value.report()


def test_set_overrides_apply_and_use_toml_values():
    sc = load_scenario("quick", ["insurgents.cells=7", "forces[0].start=Rawa",
                                 'title="x y"', "theatres.syria=false", "map.cell_km=8"])
    assert sc.insurgents.cells == 7
    assert sc.forces[0].start.label == "Rawa"
    assert sc.title == "x y" and sc.map.cell_km == 8.0


def test_bad_set_overrides_are_all_reported():
    with pytest.raises(ScenarioError) as exc:
        load_scenario("quick", ["insurgents.cells=abc", "foo", "forces[9].units=3",
                                "map.cell_km=1", "insurgents..cells=3", "map.soutth=33"])
    err = exc.value
    assert all(p.file == "--set" for p in err.problems)
    cells = problem_at(err, "insurgents.cells")
    assert cells.value == "abc" and "expected an integer" in cells.message
    assert any("'foo' must look like key.path=value" in p.message for p in err.problems)
    n_forces = len(load_scenario("quick").forces)
    assert any(f"no item 9 (the list has {n_forces})" in p.message for p in err.problems)
    assert problem_at(err, "map.cell_km").value == 1
    assert any("insurgents..cells" in p.message for p in err.problems)
    assert "did you mean 'south'" in problem_at(err, "map.soutth").message
    for line in err.report().splitlines()[1:]:
        assert line.strip().startswith("--set: "), line


# --------------------------------------------------------------------------------------------
# Variants
# --------------------------------------------------------------------------------------------


def test_variant_with_base_set_and_append(write):
    write("base.toml", QUICK_HEAD + FORCE.format(name="A", start="Haditha")
          + FORCE.format(name="B", start="Rawa") + "[insurgents]\ncells = 10\n")
    path = write("variant.toml", """
        base = "base.toml"
        name = "variant"
        [insurgents]
        fighters_max = 12
        [set]
        "forces[1].units" = 4
        [[append.forces]]
        name = "C"
        start = "Baiji"
        """)
    sc = load_scenario(path)
    assert sc.name == "variant"
    assert sc.insurgents.cells == 10 and sc.insurgents.fighters_max == 12  # tables merge
    assert [f.name for f in sc.forces] == ["A", "B", "C"]
    assert sc.forces[1].units == 4 and sc.forces[0].units == 1


def test_variant_of_a_bundled_scenario():
    base = load_scenario("victory_will")
    leaky = load_scenario("victory_will_leaky_border")
    assert leaky.border.sealing == 0.1
    assert leaky.forces[3].units == 2 and base.forces[3].units != 2
    assert len(leaky.forces) == len(base.forces)


def test_variant_errors_name_the_file_the_value_is_in(write):
    write("base.toml", QUICK_HEAD + FORCE.format(name="A", start="Haditha") + "strength = 2\n")
    path = write("variant.toml", """
        base = "base.toml"
        [insurgents]
        cells = -5
        [set]
        "forces[7].units" = 4
        [[append.forces]]
        name = "C"
        start = "Nowhere"
        """)
    with pytest.raises(ScenarioError) as exc:
        load_scenario(path, ["engagement.rounds=0"])
    err = exc.value
    assert err.source.endswith("variant.toml")
    lines = err.report().splitlines()[1:]
    by_path = {p.path: p for p in err.problems}
    assert by_path["forces[0].strength"].file.endswith("base.toml")      # from the base
    assert by_path["insurgents.cells"].file in ("", err.source)          # the variant itself
    assert by_path["set.forces[7].units"].file.endswith("variant.toml")  # its [set] entry
    assert "no item 7" in by_path["set.forces[7].units"].message
    assert "unknown place 'Nowhere'" in by_path["forces[1].start"].message  # appended item
    assert by_path["engagement.rounds"].file == "--set"
    assert any(ln.strip().startswith("base.toml: forces[0].strength") or
               "base.toml: forces[0].strength" in ln for ln in lines)


def test_variant_with_a_missing_base(write):
    path = write("variant.toml", 'base = "no_such_base"\n')
    with pytest.raises(ScenarioError) as exc:
        load_scenario(path)
    p = exc.value.problems[0]
    assert p.path == "base" and p.value == "no_such_base"
    assert exc.value.report().splitlines()[1].strip().startswith(str(exc.value.source))
    assert "victory_will" in p.allowed


def test_variant_cycle_is_reported(write):
    write("a.toml", 'base = "b.toml"\n')
    path = write("b.toml", 'base = "a.toml"\n')
    with pytest.raises(ScenarioError) as exc:
        load_scenario(path)
    assert "nest too deep" in exc.value.report()


def test_bad_append_and_set_tables(write):
    write("base.toml", QUICK_HEAD)
    path = write("variant.toml", """
        base = "base.toml"
        set = 3
        [append]
        forces = 5
        """)
    with pytest.raises(ScenarioError) as exc:
        load_scenario(path)
    paths = {p.path for p in exc.value.problems}
    assert {"set", "append.forces"} <= paths


def test_bundled_scenarios_are_valid():
    from encircle_sim.scenario_files import bundled_scenarios

    for name in bundled_scenarios():
        assert isinstance(load_scenario(name), Scenario), name


# --------------------------------------------------------------------------------------------
# Property tests: arbitrary bad values and keys never crash and always name the key
# --------------------------------------------------------------------------------------------

BASE_DATA = scenario_to_dict(load_scenario("quick"))


def _leaves(obj, prefix=()):
    if isinstance(obj, dict):
        for k, v in obj.items():
            yield from _leaves(v, (*prefix, k))
    elif isinstance(obj, list) and obj and all(isinstance(v, dict) for v in obj):
        for i, v in enumerate(obj):
            yield from _leaves(v, (*prefix, i))
    else:
        yield prefix


def _tables(obj, prefix=()):
    if isinstance(obj, dict):
        yield prefix
        for k, v in obj.items():
            yield from _tables(v, (*prefix, k))
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            if isinstance(v, dict):
                yield from _tables(v, (*prefix, i))


LEAVES = sorted(set(_leaves(BASE_DATA)), key=str)
TABLES = [t for t in _tables(BASE_DATA) if "unit_types" not in t[:1] or len(t) > 1]
NUMERIC = []
for _loc in LEAVES:
    _, _field = _schema_node(_loc)
    if _field is None:
        continue
    _bounds = {k: getattr(m, k) for m in _field.metadata for k in ("ge", "gt", "le", "lt")
               if getattr(m, k, None) is not None}
    if _bounds:
        NUMERIC.append((_loc, _bounds))


def _set(data, loc, value):
    node = data
    for part in loc[:-1]:
        node = node[part]
    node[loc[-1]] = value


toml_scalars = st.one_of(
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=12),
    st.booleans(),
    st.dates(),
)
toml_values = st.recursive(
    toml_scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(
        st.text(min_size=1, max_size=8), inner, max_size=3),
    max_leaves=8,
)
PROPERTY_SETTINGS = settings(max_examples=150, deadline=None,
                             suppress_health_check=[HealthCheck.too_slow])


def _assert_names(err: ScenarioError, key: str):
    """Some problem is at ``key`` (or inside it), or names it in its message or allowed values."""
    paths = [p.path for p in err.problems]
    assert any(p == key or p.startswith((key + ".", key + "[")) for p in paths) or any(
        key in p.message or key in p.allowed for p in err.problems), (
        f"{key} not named in:\n{err.report()}")


@PROPERTY_SETTINGS
@given(loc=st.sampled_from(LEAVES), value=toml_values)
def test_any_value_anywhere_gives_a_scenario_or_a_clear_error(loc, value):
    data = copy.deepcopy(BASE_DATA)
    _set(data, loc, value)
    try:
        validate(data, "fuzz.toml")
    except ScenarioError as err:
        assert err.problems
        report = err.report()
        assert "Traceback" not in report
        for line in report.splitlines()[1:]:
            assert line.startswith("  fuzz.toml: "), line
        for p in err.problems:
            assert p.message
        _assert_names(err, format_path(loc))  # the changed key is where, or why, it fails


@PROPERTY_SETTINGS
@given(loc=st.sampled_from(LEAVES),
       value=st.sampled_from([{"bad": 1}, [{"bad": 1}], [[1, 2, 3]], {"x": [1]}]))
def test_a_value_of_the_wrong_kind_is_reported_at_its_key(loc, value):
    data = copy.deepcopy(BASE_DATA)
    _set(data, loc, value)
    with pytest.raises(ScenarioError) as exc:
        validate(data, "fuzz.toml")
    _assert_names(exc.value, format_path(loc))


@PROPERTY_SETTINGS
@given(case=st.sampled_from(NUMERIC), above=st.booleans(), excess=st.floats(0.001, 1e6))
def test_out_of_range_numbers_are_reported_at_their_key(case, above, excess):
    loc, bounds = case
    if above and ("le" in bounds or "lt" in bounds):
        value = bounds.get("le", bounds.get("lt")) + excess
    elif "ge" in bounds or "gt" in bounds:
        value = bounds.get("ge", bounds.get("gt")) - excess
    else:
        value = bounds.get("le", bounds.get("lt")) + excess
    current = BASE_DATA
    for part in loc:
        current = current[part]
    if isinstance(current, int) and not isinstance(current, bool):
        value = int(value + (1 if value > 0 else -1))
        # rounding must not bring it back in range
        assume(not bounds.get("le", bounds.get("lt", float("inf"))) >= value >= bounds.get(
            "ge", bounds.get("gt", float("-inf"))))
    data = copy.deepcopy(BASE_DATA)
    _set(data, loc, value)
    with pytest.raises(ScenarioError) as exc:
        validate(data, "fuzz.toml")
    key = format_path(loc)
    p = problem_at(exc.value, key)
    assert p.message == "out of range" and p.value == value
    assert re.search(r"[<>]=? ", p.allowed)


@PROPERTY_SETTINGS
@given(table=st.sampled_from(TABLES),
       key=st.text(alphabet="abcdefghijklmnopqrstuvwxyz_", min_size=1, max_size=14))
def test_unknown_keys_are_reported_at_their_path(table, key):
    node = BASE_DATA
    for part in table:
        node = node[part]
    model = _schema_node(table)[0] if table else Scenario
    known = set(getattr(model, "model_fields", {})) | set(node)
    assume(not (key in known or table[:1] == ("unit_types",) and len(table) == 1))
    data = copy.deepcopy(BASE_DATA)
    target = data
    for part in table:
        target = target[part]
    target[key] = 1
    with pytest.raises(ScenarioError) as exc:
        validate(data, "fuzz.toml")
    p = problem_at(exc.value, format_path((*table, key)))
    assert "unknown key" in p.message


def test_a_partial_phase_table_keeps_that_phases_defaults(write):
    path = write("s.toml", QUICK_HEAD.replace("[map]", "[phases.advance]\nmax_day = 12.0\n[map]"))
    sc = load_scenario(path)
    assert sc.phases.advance.max_day == 12.0
    assert sc.phases.advance.search_intensity == 1.2      # the advance phase's own default
    assert sc.phases.advance.pocket_area_share == 0.25
    assert sc.phases.assault.engagement_intensity == 1.5  # untouched phases keep theirs


def test_syrian_theatre_alone_needs_no_operation_area_on_its_map():
    # jazeera_storm's small map does not hold the default (Iraqi) operation area: that is fine
    # while the Iraqi theatre is off, and an error as soon as it is on
    sc = load_scenario("jazeera_storm")
    assert not sc.theatres.iraq
    with pytest.raises(ScenarioError, match="operation.area"):
        load_scenario("jazeera_storm", ["theatres.iraq=true"])
