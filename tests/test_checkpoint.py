"""Checkpoints: a model saved at a step and restored (in another process) goes on exactly as the
uninterrupted run; the command line saves, resumes and stops cleanly on Ctrl-C."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from encircle_sim.checkpoint import (
    MAGIC,
    checkpoint_name,
    latest_checkpoint,
    load_checkpoint,
    read_header,
    save_checkpoint,
)
from encircle_sim.model import CampaignModel
from encircle_sim.scenario_files import ScenarioError, bundled_scenarios, load_scenario

CLI = [sys.executable, "-m", "encircle_sim.cli"]


def digest(model) -> dict:
    """What a run produced: its per-step table, its event log, and Mesa's agent registries."""
    steps = model.datacollector.get_model_vars_dataframe().to_csv(index=False)
    events = model.events.frame().to_csv(index=False)
    return {"steps": hashlib.sha256(steps.encode()).hexdigest(),
            "events": hashlib.sha256(events.encode()).hexdigest(),
            "n_steps": int(model.steps),
            "agents": len(model.agents),
            "by_type": sorted([t.__name__, len(s)] for t, s in model.agents_by_type.items())}


def run_to_end(model) -> None:
    while model.running and model.steps < model.max_steps:
        model.step()


def test_a_restored_model_continues_like_the_uninterrupted_run(tmp_path):
    straight = CampaignModel("quick")
    run_to_end(straight)
    model = CampaignModel("quick")
    for _ in range(4):
        model.step()
    path = save_checkpoint(tmp_path, model)
    assert path.name == checkpoint_name(model) == "day-002.00.ckpt"
    restored = load_checkpoint(path).model
    assert restored is not model and restored.steps == 4
    run_to_end(restored)
    assert digest(restored) == digest(straight)


RESTORE = r"""
import json, sys
sys.path.insert(0, sys.argv[1])
from test_checkpoint import digest, run_to_end
from encircle_sim.checkpoint import load_checkpoint
out = {}
for path in sys.argv[2:]:
    ckpt = load_checkpoint(path)
    run_to_end(ckpt.model)
    out[path] = digest(ckpt.model)
print(json.dumps(out))
"""


@pytest.mark.slow
def test_every_bundled_scenario_restores_at_several_steps_in_another_process(tmp_path):
    expected, paths = {}, []
    for name in sorted(bundled_scenarios()):
        straight = CampaignModel(name)
        run_to_end(straight)
        n = int(straight.steps)
        wanted = sorted({1, n // 3, (2 * n) // 3} - {0, n})
        model = CampaignModel(name)
        for k in wanted:
            while model.steps < k:
                model.step()
            path = save_checkpoint(tmp_path / f"{name}-{k}.ckpt", model)
            paths.append(str(path))
            expected[str(path)] = digest(straight)
    assert len(paths) >= 2 * len(bundled_scenarios())
    proc = subprocess.run([sys.executable, "-c", RESTORE, str(Path(__file__).parent), *paths],
                          capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr
    got = json.loads(proc.stdout)
    for path in paths:
        assert got[path] == expected[path], path


def test_header_is_readable_without_unpickling(tmp_path):
    model = CampaignModel("quick", rng=7)
    model.step()
    path = save_checkpoint(tmp_path / "a.ckpt", model, info={"source": "quick"})
    header = read_header(path)
    assert header["scenario"] == "quick" and header["seed"] == 7
    assert header["step"] == 1 and header["source"] == "quick"
    assert path.read_bytes().startswith(MAGIC)


@pytest.mark.parametrize("content, says", [
    (b"not a checkpoint at all", "not an encircle-sim checkpoint"),
    (MAGIC + b"{broken json\n", "damaged checkpoint header"),
    (MAGIC + b'{"format": 1, "encircle_sim": "0.0.1"}\n', "written by encircle-sim 0.0.1"),
])
def test_bad_checkpoint_files_are_reported(tmp_path, content, says):
    path = tmp_path / "bad.ckpt"
    path.write_bytes(content)
    with pytest.raises(ScenarioError, match=says):
        load_checkpoint(path)


def test_a_truncated_checkpoint_is_reported_not_half_loaded(tmp_path):
    model = CampaignModel("quick")
    path = save_checkpoint(tmp_path / "a.ckpt", model)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(ScenarioError, match="damaged or incompatible checkpoint"):
        load_checkpoint(path)


def cli(*args, cwd=None, **kw):
    return subprocess.run([*CLI, *map(str, args)], capture_output=True, text=True, cwd=cwd,
                          check=False, **kw)


def test_run_checkpoint_every_and_from_give_the_uninterrupted_run(tmp_path):
    whole, part = tmp_path / "whole", tmp_path / "part"
    assert cli("run", "quick", "--out", whole, "--quiet").returncode == 0
    done = cli("run", "quick", "--out", part, "--quiet", "--checkpoint-every", "2.5")
    assert done.returncode == 0, done.stderr
    days = json.loads((part / "summary.json").read_text())["days"]
    step_days = load_scenario("quick").time.step_hours / 24
    saved = sorted(p.name for p in (part / "checkpoints").iterdir())
    # one at the first step on or after each multiple of 2.5 days
    wanted = [np.ceil(m / step_days - 1e-9) * step_days for m in np.arange(2.5, days + 1e-9, 2.5)]
    assert saved == [f"day-{d:06.2f}.ckpt" for d in wanted]
    start = part / "checkpoints" / saved[0]
    again = tmp_path / "again"
    resumed = cli("run", "--from", start, "--out", again, "--quiet")
    assert resumed.returncode == 0, resumed.stderr
    for name in ("steps.csv", "events.csv"):
        assert (again / name).read_bytes() == (whole / name).read_bytes(), name
    with np.load(again / "replay.npz") as a, np.load(whole / "replay.npz") as b:
        assert sorted(a.files) == sorted(b.files)
        for key in a.files:
            assert np.array_equal(a[key], b[key]), key
    prov = json.loads((again / "provenance.json").read_text())
    assert prov["resumed_from"]["day"] == read_header(start)["day"]


@pytest.mark.parametrize("args, says", [
    (["run"], "give a scenario"),
    (["run", "quick", "--checkpoint-every", "0"], "--checkpoint-every 0"),
    (["run", "--from", "missing.ckpt"], "no such checkpoint file"),
    (["run", "quick", "--from", "x.ckpt"], "give no a scenario"),
    (["run", "--from", "x.ckpt", "--seed", "3"], "give no --seed"),
])
def test_bad_run_arguments_exit_2_with_a_message(tmp_path, args, says):
    (tmp_path / "x.ckpt").write_bytes(b"junk")
    proc = cli(*args, cwd=tmp_path)
    assert proc.returncode == 2
    assert says in proc.stderr and "Traceback" not in proc.stderr


def test_from_a_file_that_is_not_a_checkpoint_exits_2(tmp_path):
    (tmp_path / "x.ckpt").write_bytes(b"junk")
    proc = cli("run", "--from", tmp_path / "x.ckpt", "--out", tmp_path / "o")
    assert proc.returncode == 2
    assert "not an encircle-sim checkpoint" in proc.stderr and "Traceback" not in proc.stderr


@pytest.mark.slow
def test_ctrl_c_stops_at_a_step_leaves_a_checkpoint_and_the_run_resumes_exactly(tmp_path):
    whole, part = tmp_path / "whole", tmp_path / "part"
    assert cli("run", "victory_will", "--out", whole, "--quiet").returncode == 0
    proc = subprocess.Popen([*CLI, "run", "victory_will", "--out", str(part),
                             "--checkpoint-every", "100"], stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "PYTHONUNBUFFERED": "1"})
    seen = ""
    deadline = time.monotonic() + 120
    while " day " not in seen and time.monotonic() < deadline:
        seen += proc.stderr.read(1)  # the first progress line, "\r  day   0.2/45 ...": running
    proc.send_signal(signal.SIGINT)
    _, rest = proc.communicate(timeout=120)
    assert proc.returncode == 130, seen + rest
    summary = json.loads((part / "summary.json").read_text())
    assert summary["completed"] is False
    ckpt = latest_checkpoint(part)
    assert ckpt is not None and read_header(ckpt)["step"] == summary["steps"]
    assert "--from" in rest
    resumed = cli("run", "--from", ckpt, "--quiet")  # back into the same folder
    assert resumed.returncode == 0, resumed.stderr
    assert json.loads((part / "summary.json").read_text())["completed"] is True
    for name in ("steps.csv", "events.csv"):
        assert (part / name).read_bytes() == (whole / name).read_bytes(), name


def test_a_restored_model_can_be_saved_again_and_still_continues_exactly(tmp_path):
    """Mesa's grid cells restored by plain pickle cannot be pickled again; ours can."""
    import pickle

    straight = CampaignModel("quick")
    run_to_end(straight)
    model = CampaignModel("quick")
    for _ in range(3):
        model.step()
    once = load_checkpoint(save_checkpoint(tmp_path / "a.ckpt", model)).model
    for _ in range(3):
        once.step()
    twice = load_checkpoint(save_checkpoint(tmp_path / "b.ckpt", once)).model
    assert len({type(c) for c in twice.grid._cells.values()}) == 1  # one cell class, not 1000s
    assert twice.grid[(3, 4)].concealment == straight.grid[(3, 4)].concealment
    thrice = pickle.loads(pickle.dumps(twice))  # plain pickle works on it too
    run_to_end(thrice)
    assert digest(thrice) == digest(straight)
