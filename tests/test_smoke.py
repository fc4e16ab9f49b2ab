import subprocess
import sys


def test_cli_version():
    out = subprocess.run([sys.executable, "-m", "encircle_sim.cli", "--version"],
                         capture_output=True, text=True, check=True)
    assert "encircle-sim" in out.stdout


def test_a_run_says_what_happened_and_lists_each_file_once(cli, tmp_path):
    import json
    import re

    out = tmp_path / "q"
    proc = cli("run", "quick", "--out", out, "--quiet", "--set", "time.max_days=2")
    assert proc.returncode == 0, proc.stderr
    listed = re.search(r"results in .*/ \((.*)\)", proc.stdout).group(1).split(", ")
    assert len(listed) == len(set(listed)) and "replay.npz" in listed
    assert sorted(listed) == sorted(p.name for p in out.iterdir())
    s = json.loads((out / "summary.json").read_text())
    assert f"{s['iraq']['cells_active']} still active" in proc.stdout


def test_the_syrian_line_counts_where_the_sleepers_came_from():
    from encircle_sim.runner import outcome_text

    iraq = dict(cells_initial=0)
    syria = dict(cells_initial=30, joined_from_iraq=2, recruited=5, cells_active=36, attacks=99)
    text = outcome_text(dict(scenario="s", seed=1, days=45, final_phase="Campaign over",
                             iraq=iraq, syria=syria, sf_casualties=3, civilian_casualties=4))
    assert ("Syria: 99 attacks; 36 sleeper cells active at the end (30 at the start, "
            "2 joined from Iraq, 5 recruited)") in text
