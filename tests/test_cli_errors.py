"""The command line with bad input: exit status 2, a readable message on stderr, no traceback.

Runs the installed ``encircle-sim`` command in a subprocess, as a user would.
"""

from __future__ import annotations

from pathlib import Path

from encircle_sim.scenario_files import load_scenario

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"
QUICK_FORCES = len(load_scenario("quick").forces)

GOOD = f"""\
base = "{(SCENARIOS / 'quick.toml').as_posix()}"
name = "good"
"""

BAD = """\
name = "bad"
seed = "seven"
[operation]
area = ["Husaybah", "Rawa", "Haditha", "Baiji", [35.3, 42.4], [35.2, 41.2], [34.79, 41.2]]
[map]
south = 33.8
north = 35.8
west = 40.8
east = 43.8
cell_km = 10.0
soutth = 33.0
[insurgents]
fighters_min = 30
fighters_max = 10
[theatres]
coupled = true
[[forces]]
name = "A"
start = "Hadithaa"
[[forces]]
name = "B"
start = "Haditha"
strength = 2
[[forces]]
name = "C"
start = "Mosul"
task = "axis"
axis = 4
"""


def assert_bad_input(result, *needles: str) -> str:
    """Exit status 2, no traceback, nothing on stdout, and every needle on stderr."""
    assert result.returncode == 2, (result.returncode, result.stdout, result.stderr)
    assert "Traceback" not in result.stderr and "Traceback" not in result.stdout
    for needle in needles:
        assert needle in result.stderr, f"{needle!r} not in:\n{result.stderr}"
    return result.stderr


def test_validate_reports_every_problem_with_file_key_value_and_allowed(cli, write):
    path = write("bad.toml", BAD)
    err = assert_bad_input(
        cli("validate", path),
        "bad.toml: 9 problems",
        "seed: wrong type: expected an integer (got 'seven')",
        "map.soutth: unknown key 'soutth'; did you mean 'south'?",
        "forces[0].start: unknown place 'Hadithaa'; did you mean 'Haditha'",
        "forces[1].strength: out of range (got 2); allowed: >= 5 and <= 5000 persons",
        "forces[2].start: Mosul (36.335 N, 43.119 E) is outside the map",
        "forces[2].axis: no such axis (got 4); allowed: none: operation.axes is empty",
        "insurgents.fighters_min: must not exceed fighters_max (got 30); allowed: <= 10 "
        "(insurgents.fighters_max)",
        "theatres.coupled: coupling needs both theatres active (got true)",
        "operation.axes: phase 2 (phases.advance) needs at least one axis",
    )
    problem_lines = err.strip().splitlines()[1:]
    assert len(problem_lines) == 9
    assert all(line.strip().startswith(str(path)) or "bad.toml: " in line
               for line in problem_lines)


def test_validate_several_files(cli, write):
    good, bad = write("good.toml", GOOD), write("bad.toml", BAD)
    result = cli("validate", good, bad, "quick")
    assert_bad_input(result, "bad.toml: 9 problems")
    assert "good.toml: ok (good:" in result.stdout and "quick: ok (quick:" in result.stdout


def test_validate_all_bundled_scenarios(cli):
    result = cli("validate", *sorted(SCENARIOS.glob("*.toml")))
    assert result.returncode == 0, result.stderr
    assert result.stdout.count(": ok (") == len(list(SCENARIOS.glob("*.toml")))


def test_run_refuses_a_bad_scenario_before_running(cli, write, tmp_path):
    path = write("bad.toml", BAD)
    assert_bad_input(cli("run", path, "--out", tmp_path / "out"), "bad.toml: 9 problems")
    assert not (tmp_path / "out").exists()


def test_bad_toml(cli, write):
    path = write("broken.toml", 'name = "x"\n[map\ncell_km = 5\n')
    for command in ("validate", "run", "map"):
        assert_bad_input(cli(command, path), "broken.toml", "not valid TOML", "line 2")


def test_missing_file_and_misspelt_bundled_name(cli, tmp_path):
    assert_bad_input(cli("validate", tmp_path / "nope.toml"), "nope.toml",
                     "no such scenario file or bundled scenario")
    assert_bad_input(cli("run", "victory_wil"), "did you mean victory_will")


def test_bad_set_overrides(cli, tmp_path):
    err = assert_bad_input(
        cli("run", "quick", "--out", tmp_path / "o", "--set", "insurgents.cells=abc",
            "--set", "foo", "--set", "forces[9].units=3", "--set", "map.cell_km=1",
            "--set", "engagment.rounds=2"),
        "quick.toml: 5 problems",
        "--set: insurgents.cells: wrong type: expected an integer (got 'abc')",
        "--set: override 'foo' must look like key.path=value",
        f"--set: forces[9].units: forces[9]: no item 9 (the list has {QUICK_FORCES})",
        "--set: map.cell_km: out of range (got 1); allowed: >= 2.0 and <= 20.0 km",
        "--set: engagment: unknown key 'engagment'; did you mean 'engagement'?",
    )
    assert err.count("\n  --set: ") == 5
    assert not (tmp_path / "o").exists()


def test_set_overrides_work_on_map_too(cli, tmp_path):
    assert_bad_input(cli("map", "quick", "--set", "map.cell_km=40", "--out", tmp_path / "m.png"),
                     "map.cell_km: out of range (got 40)")
    assert not (tmp_path / "m.png").exists()


def test_variant_problems_name_the_file_they_are_in(cli, write):
    write("base.toml", BAD.replace('seed = "seven"\n', "").replace("soutth = 33.0\n", "")
          .replace("fighters_min = 30", "fighters_min = 3").replace("coupled = true", "")
          .replace('"Hadithaa"', '"Haditha"').replace("strength = 2", "strength = 20")
          .replace('"Mosul"', '"Baiji"').replace("axis = 4", "axis = 0").replace(
              "[map]", '[[operation.axes]]\nstart = "Haditha"\n[map]'))
    assert cli("validate", "base.toml").returncode == 0
    path = write("variant.toml", """\
base = "base.toml"
[insurgents]
cells = -1
[set]
"forces[5].units" = 2
"forces[1].strength" = 1
[[append.forces]]
name = "D"
start = "Tikrit?"
""")
    err = assert_bad_input(
        cli("validate", path),
        "variant.toml: 4 problems",
        # [[append]] items are added before [set] applies, so the list has 3 + 1 items
        "variant.toml: set.forces[5].units: forces[5]: no item 5 (the list has 4)",
        "variant.toml: insurgents.cells: out of range (got -1)",
        "variant.toml: forces[1].strength: out of range (got 1)",
        "variant.toml: forces[3].start: unknown place 'Tikrit?'; did you mean 'Tikrit'",
    )
    assert "base.toml:" not in err.replace("variant.toml", "")


def test_problem_in_the_base_names_the_base(cli, write):
    write("base.toml", BAD.replace("soutth = 33.0\n", ""))
    path = write("variant.toml", 'base = "base.toml"\nname = "v"\n[insurgents]\ncells = -1\n')
    err = assert_bad_input(cli("validate", path), "variant.toml: ")
    assert "  base.toml: seed: wrong type" in err or "/base.toml: seed: wrong type" in err
    assert "variant.toml: insurgents.cells: out of range (got -1)" in err


def test_missing_base(cli, write):
    path = write("variant.toml", 'base = "nowhere"\n')
    assert_bad_input(cli("validate", path), "variant.toml: base: no such scenario file or bundled "
                     "scenario (got 'nowhere')")


def test_unwritable_outputs_are_refused_before_work(cli, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    assert_bad_input(cli("run", "quick", "--out", blocker / "run"), "is a file, not a folder")
    assert_bad_input(cli("run", "quick", "--out", blocker), "is a file, not a folder")
    assert_bad_input(cli("map", "quick", "--out", tmp_path), "is a folder, not a file")
    assert_bad_input(cli("map", "quick", "--out", blocker / "m.png"), "is a file, not a folder")


def test_bad_map_size(cli, tmp_path):
    assert_bad_input(cli("map", "quick", "--size", "big", "--out", tmp_path / "m.png"),
                     "--size 'big': expected WIDTHxHEIGHT")
    assert_bad_input(cli("map", "quick", "--size", "0x100", "--out", tmp_path / "m.png"),
                     "each side must be 200 to 10000 pixels")


def test_usage_errors_exit_2_without_traceback(cli):
    result = cli("validate")
    assert result.returncode == 2 and "usage:" in result.stderr
    assert "Traceback" not in result.stderr
    result = cli("explode")
    assert result.returncode == 2 and "invalid choice" in result.stderr


def test_list_commands(cli):
    places = cli("list", "places")
    assert places.returncode == 0
    assert "Haditha" in places.stdout and "Tayyanah" in places.stdout
    assert "(approximate)" in places.stdout.split("Tayyanah")[1].splitlines()[0]
    scenarios = cli("list")
    assert "victory_will" in scenarios.stdout and "variant of victory_will" in scenarios.stdout
    assert "infantry:" in cli("list", "unit-types").stdout
