"""The README's examples are true: its scenario files validate and its error report is real."""

from __future__ import annotations

import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
README = (REPO / "README.md").read_text(encoding="utf-8")


def blocks(lang: str) -> list[str]:
    return re.findall(rf"```{lang}\n(.*?)```", README, re.S)


def test_quick_start_has_exactly_two_commands():
    quick = README.split("## Quick start")[1].split("\n## ")[0]
    commands = [ln for ln in blocks("sh")[0].splitlines() if ln.strip()]
    assert [c.split("#")[0].strip() for c in commands] == ["make demo", "make test"]
    assert "make demo" in quick and "make test" in quick
    assert (REPO / ".ci" / "run").read_text().count("make test") == 1


def test_readme_scenario_examples_validate(cli, write):
    main, variant = blocks("toml")[:2]
    write("my_scenario.toml", main)
    write("variant.toml", variant)
    result = cli("validate", "my_scenario.toml", "variant.toml")
    assert result.returncode == 0, result.stderr
    assert "my_scenario.toml: ok" in result.stdout and "variant.toml: ok" in result.stdout


def test_readme_error_report_is_what_the_command_prints(cli, write):
    """The example report comes from the README's own example with three mistakes in it."""
    main = blocks("toml")[0]
    bad = main.replace('start = "Haditha"\ntask', 'start = "Hadithaa"\nstrength = 2\ntask')
    bad = bad.replace("south = 33.8", "soutth = 33.8")
    assert bad.count("Hadithaa") == 1 and "soutth" in bad
    write("my_scenario.toml", bad)
    result = cli("validate", "my_scenario.toml")
    assert result.returncode == 2
    shown = next(b for b in blocks("text") if "3 problems" in b)
    assert result.stderr.strip().splitlines() == shown.strip().splitlines()


def test_readme_credits_the_data_sources():
    for needle in ("GeoNames", "CC-BY 4.0", "Natural Earth", "World Data Bank II", "GLOBE",
                   "public domain", "approximate"):
        assert needle in README, needle
    assert "## Live visualisation" in README and "encircle-sim viz" in README
    assert "docs/live-viz.md" in README and "## Notebook" in README


def test_readme_python_example_runs(tmp_path, monkeypatch):
    """The API example, made quick: the small scenario, two seeds, in process (its run folders
    go to a temporary folder)."""
    monkeypatch.chdir(tmp_path)
    code = blocks("python")[0]
    code = code.replace('"victory_will"', '"quick"').replace("seeds=10, workers=2", "seeds=2")
    scope: dict = {}
    exec(compile(code, "README.md", "exec"), scope)
    assert len(scope["table"]) == 4
    assert set(scope["table"]["label"]) == {"planned", "leaky"}
    assert scope["result"].summary["seed"] == 3
    assert (tmp_path / "runs" / "q" / "checkpoints" / "day-004.00.ckpt").is_file()


def test_readme_experiment_examples_load(write):
    """The sweep and calibration files of the README are valid experiments."""
    from encircle_sim.experiments import load_experiment

    examples = [b for b in blocks("toml") if "[design]" in b]
    assert len(examples) == 2
    sweep = load_experiment(write("my_sweep.toml", examples[0]))
    assert sweep.design.kind == "latin_hypercube" and len(sweep.parameters) == 2
    calibration = load_experiment(write("my_calibration.toml", examples[1]))
    assert calibration.kind == "calibration" and calibration.patterns[0].outcome


def test_readme_experiment_commands_and_cluster_script():
    section = README.split("## Experiments")[1].split("\n## ")[0]
    for command in ("encircle-sim sweep", "encircle-sim report", "encircle-sim calibrate",
                    "--reps", "--scheduler tcp://", "dask scheduler", "dask worker",
                    "dask_jobqueue"):
        assert command in section, command
    cluster = next(b for b in blocks("python") if "SLURMCluster" in b)
    compile(cluster, "README.md", "exec")  # dask-jobqueue is optional: the script must parse
