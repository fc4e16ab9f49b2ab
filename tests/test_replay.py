"""Recording, replay and the after-action animation: a run folder gives back every step's map,
table row and events exactly as the live model showed them, without rerunning it."""

from __future__ import annotations

import copy
import io
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from encircle_sim import animation, narrative
from encircle_sim.recording import REPLAY_FILE, Recording, picture_of
from encircle_sim.replay import RunRecord, open_run_folder
from encircle_sim.runner import run
from encircle_sim.scenario_files import ScenarioError
from encircle_sim.viz import mapframe
from encircle_sim.viz.live_model import LiveCampaignModel

PICTURE_ARRAYS = ("unit_x", "unit_y", "unit_side", "unit_task", "unit_alive", "cell_x", "cell_y",
                  "cell_state", "cell_detected", "pocket", "cordon_xy", "cordon_held", "cache_x",
                  "cache_y", "cache_intact", "known_x", "known_y", "known_age_days", "known_out")


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    out = tmp_path_factory.mktemp("runs") / "victory_will"
    run("victory_will", out=out, plots=False)
    return out


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    """A short run (fewer frames to draw)."""
    out = tmp_path_factory.mktemp("runs") / "quick"
    run("quick", out=out, plots=False)
    return out


def test_recorded_pictures_are_the_live_pictures(tmp_path):
    """Every step's picture read back from replay.npz equals the live model's at that step."""
    model = LiveCampaignModel("victory_will")
    rec = Recording()
    live = []
    while True:
        rec.capture(model)
        live.append(copy.deepcopy(picture_of(model)))
        if not model.running or model.steps >= 30:
            break
        model.step()
    back = Recording.load(rec.save(tmp_path / REPLAY_FILE))
    assert len(back) == len(live)
    for p in live:
        q = back.picture(p.step)
        assert (q.step, q.day, q.phase) == (p.step, p.day, p.phase)
        for name in PICTURE_ARRAYS:
            assert np.array_equal(getattr(q, name), getattr(p, name)), (p.step, name)
        assert {tuple(x) for x in q.links} == {tuple(x) for x in p.links}


def test_cells_created_after_the_start_are_recorded_and_known(tmp_path):
    """Recruits can outgrow the cell table: the recording and the forces' picture grow with it,
    earlier steps keep their pictures and the new cells show from the step they appear."""
    from encircle_sim.model import CampaignModel
    from encircle_sim.scenario_files import load_scenario, with_overrides

    many_recruits = with_overrides(load_scenario("victory_will"),
                                   {"retaliation.recruitment_per_day": 60.0})
    model = CampaignModel(many_recruits)
    rec = Recording()
    rec.capture(model)
    n0, capacity = model.cells.n, model.cells.capacity
    while model.cells.capacity == capacity and model.steps < 40:
        model.step()
        rec.capture(model)
    assert model.cells.capacity > capacity, "sixty recruits a day outgrow the table"
    assert len(model.command.knowledge.step) == model.cells.capacity
    back = Recording.load(rec.save(tmp_path / REPLAY_FILE))
    assert len(back.picture(0).cell_x) == n0
    last = back.picture(model.steps)
    assert len(last.cell_x) == model.cells.n
    assert np.array_equal(last.cell_state, model.cells.state[: model.cells.n])


def test_a_replayed_step_draws_the_same_map_as_the_live_model(tmp_path):
    model = LiveCampaignModel("quick")
    rec = Recording()
    rec.capture(model)
    for _ in range(7):
        model.step()
        rec.capture(model)
    rec.save(tmp_path / REPLAY_FILE)
    record = RunRecord.of_model(model, Recording.load(tmp_path / REPLAY_FILE))
    frame = mapframe.MapFrame(model, zoom=True, size_px=(500, None), legend=False)
    everything = mapframe.Layers(caches=True, links=True)
    live = frame.render_rgba(model, everything)
    replayed = frame.render_rgba(record.picture(model.steps), everything)
    assert np.array_equal(live, replayed)
    earlier = frame.render_rgba(record.picture(2), everything)
    assert (earlier != live).any(axis=2).sum() > 100


def test_run_folder_reads_back_the_run(folder):
    record = open_run_folder(folder)
    steps = pd.read_csv(folder / "steps.csv")
    events = pd.read_csv(folder / "events.csv")
    assert record.last_step == int(steps["step"].iloc[-1])
    assert len(record.recording) == len(steps)
    k = int(steps["step"].iloc[len(steps) // 2])
    assert record.row(k)["iraq_cells_active"] == steps.loc[steps["step"] == k,
                                                           "iraq_cells_active"].item()
    busy = int(events["step"].value_counts().idxmax())
    rows = record.rows_at(busy)
    assert [r["kind"] for r in rows] == events.loc[events["step"] == busy, "kind"].tolist()
    assert record.step_of_day(record.row(k)["day"]) == k
    # a step's picture holds that step's events with a position, as the map marks them
    placed = events[(events["step"] == busy) & events["lat"].notna()]
    assert len(record.picture(busy).events) == len(placed)


@pytest.mark.parametrize("damage, says", [
    (lambda f: (f / REPLAY_FILE).unlink(), "replay.npz: missing"),
    (lambda f: (f / "steps.csv").unlink(), "steps.csv: missing"),
    (lambda f: (f / REPLAY_FILE).write_bytes(b"not a zip"), "replay.npz: cannot be read"),
    (lambda f: (f / "steps.csv").write_text("a,b\n1,2\n"), "steps.csv: lacks the column"),
])
def test_a_damaged_run_folder_is_reported_by_file(folder, tmp_path, damage, says):
    import shutil

    copy_ = tmp_path / "copy"
    shutil.copytree(folder, copy_)
    damage(copy_)
    with pytest.raises(ScenarioError, match=says):
        open_run_folder(copy_)


def test_cli_reports_a_bad_run_folder_with_exit_2(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "encircle_sim.cli", "animate", str(tmp_path)],
                          capture_output=True, text=True, check=False)
    assert proc.returncode == 2
    assert "replay.npz: missing" in proc.stderr and "Traceback" not in proc.stderr


# ---- the animation --------------------------------------------------------------------------


def test_mp4_has_one_frame_per_step(small, tmp_path):
    import imageio_ffmpeg

    path = animation.save_animation(small, tmp_path / "a", fmt="mp4")
    assert path.suffix == ".mp4"
    reader = imageio_ffmpeg.read_frames(str(path))
    meta = reader.__next__()
    frames = sum(1 for _ in reader)
    assert frames == len(open_run_folder(small).recording)
    assert meta["size"][0] == animation.WIDTH


def test_gif_without_ffmpeg(small, tmp_path, monkeypatch):
    monkeypatch.setenv("ENCIRCLE_SIM_FFMPEG", "none")
    assert animation.default_format() == "gif"
    path = animation.save_animation(small, tmp_path / "a")
    assert path.suffix == ".gif"
    img = Image.open(path)
    assert img.n_frames == len(open_run_folder(small).recording)
    # the frames differ (the campaign moves), the caption band too (the day changes)
    img.seek(0)
    first = np.asarray(img.convert("RGB")).copy()
    img.seek(img.n_frames - 1)
    last = np.asarray(img.convert("RGB"))
    assert (first != last).any(axis=2).sum() > 1000
    band = mapframe.CAPTION_HEIGHT
    assert (first[:band] != last[:band]).any()


def test_caption_says_the_day_phase_and_this_steps_events(folder):
    record = open_run_folder(folder)
    events = record.events
    escapes = events[events["kind"] == "escaped_cordon"]
    step = int(escapes["step"].iloc[0])
    head, counts, happened = animation.caption_lines(record, step)
    row = record.row(step)
    assert f"Day {row['day']:g} of {record.max_day:g}" in head and row["phase_name"] in head
    n = int((escapes["step"] == step).sum())
    town = escapes["place"].iloc[0].rpartition(" of ")[2]
    assert f"{n} escape{'s' if n > 1 else ''} through the cordon near" in happened
    assert town in happened
    assert f"{row['iraq_cells_active']} of {record.iraq_cells_initial} cells" in counts


def test_save_animation_needs_a_recording():
    result = run("quick", plots=False)  # no folder, no animation: nothing recorded
    assert result.recording is None
    with pytest.raises(ValueError, match="run folder"):
        animation.save_animation(result, "x")


# ---- events in words --------------------------------------------------------------------------


@pytest.mark.parametrize("kind, details, words", [
    ("engagement", "insurgent_losses=2; sf_losses=1; civilian_casualties=0",
     "Contact at Rawa: 2 insurgents killed, 1 security-force casualty"),
    ("ambush", "insurgent_losses=0; sf_losses=3; civilian_casualties=1",
     "Ambush by a cell at Rawa: 3 security-force casualties, 1 civilian hurt"),
    ("escaped_cordon", "fighters=12", "A cell of 12 fighters slipped through the cordon at Rawa"),
    ("escaped_border", "fighters=5", "A cell of 5 fighters crossed into Syria at Rawa"),
    ("attack_population", "town=Hajin; civilian_casualties=4",
     "Attack on the population of Hajin: 4 civilian casualties"),
    ("air_strike", "air=Coalition; insurgent_losses=3; civilian_casualties=0",
     "Air strike (Coalition) at Rawa: 3 insurgents killed"),
])
def test_sentences(kind, details, words):
    assert narrative.sentence(kind, "Rawa", details) == words


def test_sentence_places_far_from_a_town():
    assert narrative.sentence("captured", "12 km NE of Hatra") == \
        "A cell was captured 12 km NE of Hatra"
    assert narrative.sentence("joined_syria", "x", "town=Hajin").endswith("around Hajin")


def test_caption_counts_each_kind_once_and_names_towns():
    rows = [{"kind": "engagement", "place": "3 km N of Baiji"},
            {"kind": "engagement", "place": "Rawa"},
            {"kind": "engagement", "place": "10 km S of Baiji"},
            {"kind": "escaped_cordon", "place": "Hatra"},
            {"kind": "phase", "place": ""}]
    assert narrative.caption(rows) == ("3 contacts near Baiji, Rawa; "
                                       "1 escape through the cordon near Hatra")
    assert narrative.caption([]) == "no contacts"


def test_live_event_rows_match_the_event_table():
    model = LiveCampaignModel("victory_will")
    for _ in range(30):
        model.step()
    table = model.events.frame()
    for step in (model.steps, model.steps - 3):
        rows = pd.DataFrame(model.events.rows_at(step), columns=table.columns)
        want = table[table["step"] == step].reset_index(drop=True)
        pd.testing.assert_frame_equal(rows, want, check_dtype=False)


def test_the_legend_image_is_a_png():
    data = mapframe.legend_image()
    assert Image.open(io.BytesIO(data)).size[0] > 300
