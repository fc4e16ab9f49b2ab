"""A run folder is whole or says it is not: interrupts, kills, replaced runs, concurrent runs,
planted links and bad places, through the ``encircle-sim run`` command as a user meets them.

Each test reads what is on disk afterwards: which files, from which seed, whether
``summary.json`` says the campaign completed, and whether the message on stderr says the same.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from encircle_sim.files import OutputError
from encircle_sim.outputs import FIGURES, RUN_FILES, RunFolder
from encircle_sim.runner import run

REPO = Path(__file__).resolve().parents[1]
ALL_FILES = sorted((*RUN_FILES, "timeseries.png", "final_map.png", "replay.npz"))
PNG = b"\x89PNG\r\n\x1a\n"


def summary(folder: Path) -> dict:
    return json.loads((folder / "summary.json").read_text())


def assert_whole(folder: Path, *, seed: int, completed: bool) -> None:
    """Every file of one run, none half written, all from the same seed (an interrupted run
    also leaves a checkpoint of the step it stopped at)."""
    expected = ALL_FILES if completed else sorted((*ALL_FILES, "checkpoints"))
    assert sorted(os.listdir(folder)) == expected
    s = summary(folder)
    assert s["seed"] == seed and s["completed"] is completed
    assert json.loads((folder / "provenance.json").read_text())["seed"] == seed
    assert f"seed = {seed}" in (folder / "scenario.resolved.toml").read_text()
    for name in FIGURES[:2]:
        data = (folder / name).read_bytes()
        assert data.startswith(PNG) and data.rstrip(b"\0").endswith(b"IEND\xaeB`\x82"), name
    steps = (folder / "steps.csv").read_text().splitlines()
    assert len(steps) == s["steps"] + 2  # header, step 0, then one row per step


def hidden_leftovers(parent: Path) -> list[str]:
    return sorted(n for n in os.listdir(parent) if n.startswith("."))


def encircle_sim_command() -> list[str]:
    """The installed console script, as a user runs it (as in conftest's ``cli`` fixture)."""
    script = Path(sys.executable).parent / "encircle-sim"
    return [str(script)] if script.exists() else [sys.executable, "-m", "encircle_sim.cli"]


def start_run(*args, cwd: Path) -> subprocess.Popen:
    return subprocess.Popen([*encircle_sim_command(), "run", *map(str, args)], cwd=cwd,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def wait_for_stepping(proc: subprocess.Popen) -> str:
    """Read the progress line until the campaign is under way (a 'day' figure shows)."""
    seen = ""
    while "day " not in seen:
        ch = proc.stderr.read(1)
        assert ch, f"the run ended before it started stepping: {seen}"
        seen += ch
    return seen


def finish(proc: subprocess.Popen, seen: str = "") -> tuple[int, str]:
    out, err = proc.communicate(timeout=120)
    return proc.returncode, seen + err


def last_line(err: str) -> str:
    return err.strip().splitlines()[-1]


# --------------------------------------------------------------------------------------------
# interrupts
# --------------------------------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_an_interrupt_mid_campaign_writes_a_whole_folder_marked_incomplete(tmp_path, sig):
    proc = start_run("victory_will", "--seed", 11, "--out", "r", cwd=tmp_path)
    seen = wait_for_stepping(proc)
    proc.send_signal(sig)
    code, err = finish(proc, seen)
    assert code == 128 + sig, err
    assert_whole(tmp_path / "r", seed=11, completed=False)
    day = summary(tmp_path / "r")["days"]
    assert f"interrupted ({sig.name}) at day {day:.2f}: partial results written to r/" in err
    [checkpoint] = os.listdir(tmp_path / "r" / "checkpoints")
    assert f"continue with `encircle-sim run --from r/checkpoints/{checkpoint}`" in err
    assert "summary.json says completed: false" in err
    assert "Traceback" not in err
    assert hidden_leftovers(tmp_path) == []


SIGNAL_WHILE_WRITING = """\
import os, signal, sys
import encircle_sim.plotting as plotting
from encircle_sim.cli import main

draw = plotting.save_run_plots

def interrupted_draw(folder, model):
    for _ in range({times}):
        os.kill(os.getpid(), signal.{sig})
    draw(folder, model)

plotting.save_run_plots = interrupted_draw
sys.exit(main(sys.argv[1:]))
"""


def run_with_signal_while_writing(tmp_path: Path, times: int, *args) -> tuple[int, str]:
    script = tmp_path / "interrupt_writing.py"
    script.write_text(SIGNAL_WHILE_WRITING.format(times=times, sig="SIGTERM"))
    proc = subprocess.run([sys.executable, str(script), "run", "quick", "--quiet", *map(str, args)],
                          cwd=tmp_path, capture_output=True, text=True, timeout=120)
    return proc.returncode, proc.stderr


def test_one_interrupt_while_writing_finishes_the_folder_and_says_so(tmp_path):
    code, err = run_with_signal_while_writing(tmp_path, 1, "--seed", 3, "--out", "r")
    assert code == 128 + signal.SIGTERM, err
    assert_whole(tmp_path / "r", seed=3, completed=True)
    assert "the campaign had finished; r/ is complete (summary.json says completed: true)" in err


def test_a_second_interrupt_while_replacing_writes_nothing_and_keeps_the_old_run(tmp_path, cli):
    assert cli("run", "quick", "--seed", 1, "--out", "r", "--quiet").returncode == 0
    before = {n: (tmp_path / "r" / n).read_bytes() for n in os.listdir(tmp_path / "r")}
    code, err = run_with_signal_while_writing(tmp_path, 2, "--seed", 2, "--out", "r", "--force")
    assert code == 128 + signal.SIGTERM, err
    assert last_line(err) == ("interrupted (SIGTERM) again: nothing written; r is as it was "
                              "before the run")
    after = {n: (tmp_path / "r" / n).read_bytes() for n in os.listdir(tmp_path / "r")}
    assert after == before
    assert hidden_leftovers(tmp_path) == []


@pytest.mark.slow
def test_a_killed_replacement_leaves_the_old_run_whole_and_the_next_run_cleans_up(tmp_path, cli):
    assert cli("run", "victory_will", "--seed", 1, "--out", "r", "--quiet",
               timeout=300).returncode == 0
    proc = start_run("victory_will", "--seed", 2, "--out", "r", "--force", cwd=tmp_path)
    wait_for_stepping(proc)
    proc.kill()
    proc.wait()
    assert_whole(tmp_path / "r", seed=1, completed=True)  # untouched: not a mix of seeds 1 and 2
    assert any(n.endswith(".partial") for n in hidden_leftovers(tmp_path))  # the killed run's
    assert cli("run", "quick", "--seed", 5, "--out", "r", "--force", "--quiet").returncode == 0
    assert_whole(tmp_path / "r", seed=5, completed=True)
    assert not (tmp_path / "r" / "campaign.gif").exists()
    assert hidden_leftovers(tmp_path) == []


# --------------------------------------------------------------------------------------------
# replacing, concurrent runs, planted links
# --------------------------------------------------------------------------------------------


def test_force_replaces_the_whole_folder(tmp_path, cli):
    assert cli("run", "quick", "--seed", 1, "--out", "r", "--quiet").returncode == 0
    (tmp_path / "r" / "campaign.gif").write_bytes(b"GIF89a")  # as an --animate run leaves it
    again = cli("run", "quick", "--seed", 2, "--out", "r", "--quiet")
    assert again.returncode == 2 and "already holds a run" in again.stderr
    assert summary(tmp_path / "r")["seed"] == 1
    assert cli("run", "quick", "--seed", 2, "--out", "r", "--quiet", "--force").returncode == 0
    assert_whole(tmp_path / "r", seed=2, completed=True)  # no stale campaign.gif
    assert oct((tmp_path / "r").stat().st_mode & 0o777) != oct(0o700)


@pytest.mark.slow
def test_a_second_run_into_the_same_folder_is_refused_while_the_first_writes(tmp_path, cli):
    # twice the steps of the default, so that it is still running when the second one starts
    first = start_run("victory_will", "--seed", 1, "--out", "shared", "--set",
                      "time.step_hours=3", cwd=tmp_path)
    seen = wait_for_stepping(first)
    second = cli("run", "quick", "--seed", 2, "--out", "shared", "--force", "--quiet")
    assert second.returncode == 2
    assert f"another run (process {first.pid}) is writing this folder" in second.stderr
    code, err = finish(first, seen)
    assert code == 0, err
    assert_whole(tmp_path / "shared", seed=1, completed=True)
    assert hidden_leftovers(tmp_path) == []


def test_links_planted_in_a_run_folder_are_replaced_not_followed(tmp_path, cli):
    assert cli("run", "quick", "--seed", 1, "--out", "r", "--quiet").returncode == 0
    victims = {}
    for name in ("timeseries.png", ".summary.json.tmp", ".steps.csv.tmp"):
        victim = tmp_path / f"victim-{name.strip('.')}"
        victim.write_text("precious")
        (tmp_path / "r" / name).unlink(missing_ok=True)
        (tmp_path / "r" / name).symlink_to(victim)
        victims[name] = victim
    assert cli("run", "quick", "--seed", 2, "--out", "r", "--quiet", "--force").returncode == 0
    assert all(v.read_text() == "precious" for v in victims.values())
    assert_whole(tmp_path / "r", seed=2, completed=True)
    assert not any((tmp_path / "r" / n).is_symlink() for n in os.listdir(tmp_path / "r"))


def test_the_current_folder_is_never_a_run_folder(tmp_path, cli):
    (tmp_path / "empty").mkdir()
    for out in (".", ".."):
        result = cli("run", "quick", "--out", out, "--quiet", "--force", cwd=tmp_path / "empty")
        assert result.returncode == 2 and "is the current folder or holds it" in result.stderr
    assert os.listdir(tmp_path / "empty") == []


def test_a_link_as_the_run_folder_itself_is_refused(tmp_path, cli):
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "r").symlink_to(tmp_path / "elsewhere")
    result = cli("run", "quick", "--out", "r", "--quiet")
    assert result.returncode == 2 and "is a symbolic link" in result.stderr
    assert os.listdir(tmp_path / "elsewhere") == []


def test_a_folder_of_other_files_is_never_replaced(tmp_path, cli):
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "notes.txt").write_text("keep me")
    for extra in ((), ("--force",)):
        result = cli("run", "quick", "--out", "mine", "--quiet", *extra)
        assert result.returncode == 2 and "holds files that are not a run's (notes.txt)" in \
            result.stderr
    assert os.listdir(tmp_path / "mine") == ["notes.txt"]
    # a run folder with a file the user added is not replaced either
    assert cli("run", "quick", "--out", "r", "--quiet").returncode == 0
    (tmp_path / "r" / "my_analysis.ipynb").write_text("{}")
    result = cli("run", "quick", "--out", "r", "--quiet", "--force")
    assert result.returncode == 2 and "holds files a run does not write (my_analysis.ipynb)" in \
        result.stderr
    assert (tmp_path / "r" / "my_analysis.ipynb").exists()


# --------------------------------------------------------------------------------------------
# places refused before any work
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("where", [REPO / "scenarios" / "out", REPO / "src" / "encircle_sim" /
                                   "runs" / "x", REPO / "scenarios"])
def test_out_inside_the_package_or_the_bundled_scenarios_is_refused(cli, where):
    existed = where.exists()
    result = cli("run", "quick", "--out", where, "--quiet")
    assert result.returncode == 2 and "choose a folder of your own" in result.stderr
    assert where.exists() == existed


@pytest.mark.parametrize("out, needle", [
    ("/proc/encircle-sim-run", "cannot"),
    ("n" * 300, "(302 characters)"),
    ("runs/" + "n" * 260, "File name too long"),
])
def test_a_folder_that_cannot_be_made_is_refused_before_the_campaign_runs(cli, tmp_path, out,
                                                                          needle):
    t0 = time.perf_counter()
    result = cli("run", "victory_will", "--out", out)
    assert result.returncode == 2 and needle in result.stderr, result.stderr
    assert "day " not in result.stderr  # no progress line: the campaign never started
    assert "Traceback" not in result.stderr
    assert all(len(line) < 400 for line in result.stderr.splitlines())
    assert time.perf_counter() - t0 < 60


def test_the_api_refuses_to_overwrite_a_run_unless_asked(tmp_path):
    first = run("quick", seed=1, out=tmp_path / "r", plots=False)
    assert first.folder == tmp_path / "r" and summary(tmp_path / "r")["seed"] == 1
    with pytest.raises(OutputError, match="already holds a run"):
        run("quick", seed=2, out=tmp_path / "r", plots=False)
    run("quick", seed=2, out=tmp_path / "r", plots=False, replace=True)
    assert summary(tmp_path / "r")["seed"] == 2
    assert sorted(os.listdir(tmp_path / "r")) == sorted((*RUN_FILES, "replay.npz"))


def test_a_reserved_folder_is_locked_and_released(tmp_path):
    held = RunFolder(tmp_path / "r").reserve()
    try:
        with pytest.raises(OutputError, match=f"another run \\(process {os.getpid()}\\)"):
            RunFolder(tmp_path / "r").reserve()
        assert not (tmp_path / "r").exists()  # nothing visible until placed
    finally:
        held.release()
    assert hidden_leftovers(tmp_path) == []
    RunFolder(tmp_path / "r").reserve().release()  # free again


def test_a_lock_held_by_another_process_keeps_a_run_out(tmp_path, cli):
    holder = subprocess.Popen([sys.executable, "-c", textwrap.dedent(f"""\
        import sys, time
        from encircle_sim.outputs import RunFolder
        RunFolder({str(tmp_path / 'r')!r}).reserve()
        print("held", flush=True)
        time.sleep(60)
        """)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        result = cli("run", "quick", "--out", "r", "--quiet")
        assert result.returncode == 2
        assert f"another run (process {holder.pid}) is writing this folder" in result.stderr
    finally:
        holder.kill()
        holder.wait()
    # a killed holder's lock dies with it
    assert cli("run", "quick", "--out", "r", "--quiet").returncode == 0


# --------------------------------------------------------------------------------------------
# provenance and the lock file
# --------------------------------------------------------------------------------------------


def test_provenance_records_what_is_installed_and_how_it_compares_with_the_lock(tmp_path):
    from importlib import metadata

    from encircle_sim.outputs import lock_status

    run("quick", seed=1, out=tmp_path / "r", plots=False)
    prov = json.loads((tmp_path / "r" / "provenance.json").read_text())
    for name in ("mesa", "numpy", "pandas", "solara", "pytest"):
        assert prov["installed"][name] == metadata.version(name)
    assert prov["lock_file"]["file"] == "requirements.lock"
    lock = tmp_path / "requirements.lock"
    lock.write_text(f"# a comment\nnumpy=={metadata.version('numpy')}\nMesa==0.0.1\n"
                    "not-a-real-package==1.0\n")
    status = lock_status(lock_file=lock)
    assert status["matches"] is False
    assert status["differences"] == {
        "mesa": {"locked": "0.0.1", "installed": metadata.version("mesa")},
        "not-a-real-package": {"locked": "1.0", "installed": "not installed"}}


def test_the_lock_file_pins_every_dependency_exactly():
    import tomllib

    pyproject = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    wanted = [*pyproject["dependencies"], *pyproject["optional-dependencies"]["test"]]
    pinned = {}
    for line in (REPO / "requirements.lock").read_text().splitlines():
        if "==" in line and not line.startswith("#"):
            name, version = line.split("==")
            pinned[name.strip().lower().replace("_", "-")] = version.strip()
    for requirement in wanted:
        name = requirement.split("[")[0].split(">")[0].split("<")[0].split("=")[0].strip()
        assert name.lower().replace("_", "-") in pinned, f"{name} is not in requirements.lock"


@pytest.mark.slow
def test_a_run_killed_outright_continues_from_its_last_checkpoint(tmp_path, cli):
    proc = start_run("victory_will", "--seed", 4, "--out", "r", "--checkpoint-every", "2",
                     cwd=tmp_path)
    ckpts = tmp_path / "r" / "checkpoints"
    seen = wait_for_stepping(proc)
    while not (ckpts.is_dir() and any(p.suffix == ".ckpt" for p in ckpts.iterdir())):
        ch = proc.stderr.read(1)
        assert ch, f"the run ended before its first checkpoint: {seen}"
        seen += ch
    proc.kill()
    proc.wait()
    # the folder holds the checkpoints and nothing else: not a run that looks finished
    assert os.listdir(tmp_path / "r") == ["checkpoints"]
    last = sorted(p for p in ckpts.iterdir() if p.suffix == ".ckpt")[-1]
    resumed = cli("run", "--from", last.relative_to(tmp_path), "--quiet", timeout=300)
    assert resumed.returncode == 0, resumed.stderr
    assert_whole_with_checkpoints = sorted((*ALL_FILES, "checkpoints"))
    assert sorted(os.listdir(tmp_path / "r")) == assert_whole_with_checkpoints
    assert summary(tmp_path / "r")["completed"] is True and summary(tmp_path / "r")["seed"] == 4
    assert last.name in os.listdir(ckpts)  # the checkpoints it came from are kept
    assert hidden_leftovers(tmp_path) == []
