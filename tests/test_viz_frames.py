"""Map and chart frames: right content, valid images, and no leftovers from the previous frame."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from encircle_sim.viz import charts, encode, mapframe
from encircle_sim.viz.live_model import LiveCampaignModel


@pytest.fixture(scope="module")
def model():
    m = LiveCampaignModel("quick")
    for _ in range(6):
        m.step()
    return m


def test_mask_outline_follows_cell_edges():
    mask = np.zeros((5, 4), bool)
    mask[1:3, 1:4] = True  # 2 columns x 3 rows touching the top edge
    mask[4, 0] = True  # a lone corner cell
    segs = mapframe.mask_outline(mask, np.arange(6.0), np.arange(5.0))
    assert segs.shape == (2 * (2 + 3) + 4, 2, 2)
    lengths = np.abs(segs[:, 1] - segs[:, 0]).sum(axis=1)
    assert np.allclose(lengths, 1.0)
    # each edge is between a True and a False (or outside) cell
    for (x0, y0), (x1, _y1) in segs:
        if x0 == x1:  # vertical edge at x0: cells x0-1 and x0 on row y0
            left = mask[int(x0) - 1, int(y0)] if x0 >= 1 else False
            right = mask[int(x0), int(y0)] if x0 < 5 else False
            assert left != right
        else:
            below = mask[int(x0), int(y0) - 1] if y0 >= 1 else False
            above = mask[int(x0), int(y0)] if y0 < 4 else False
            assert below != above


def test_polyline_breaks_between_segments():
    x, y = mapframe.polyline([[(0, 0), (1, 0)], [(2, 2), (2, 3)]])
    assert np.isnan(x[2]) and np.isnan(x[5])
    assert list(x[:2]) == [0, 1] and list(y[3:5]) == [2, 3]


def test_encode_png_is_lossless():
    rgba = np.random.default_rng(1).integers(0, 256, (30, 41, 4), dtype=np.uint8)
    img = Image.open(io.BytesIO(encode.encode_png(rgba)))
    assert img.mode == "RGBA" and img.size == (41, 30)
    assert np.array_equal(np.asarray(img), rgba)


def test_step_events_only_this_step(model):
    table = model.events.frame()
    events = mapframe.step_events(model)
    now = table[(table["step"] == model.steps) & table["lat"].notna()]
    expected = now["kind"].isin(mapframe.CONTACT_KINDS).sum()
    assert len(events["contact"]) == expected
    assert np.allclose(sorted(events["contact"][:, 1]),
                       sorted(now.loc[now["kind"].isin(mapframe.CONTACT_KINDS), "lat"]))


def test_forces_view_shows_located_cells_at_their_last_known_squares(model):
    everything = mapframe.visible_cells(model, mapframe.Layers())
    assert set(everything) == set(np.flatnonzero(model.cells.active))
    assert len(mapframe.visible_cells(model, mapframe.Layers(cells=mapframe.SHOW_KNOWN))) == 0
    k = model.command.knowledge
    known, age_bin = mapframe.known_cells(model)
    assert set(known) == set(np.flatnonzero((k.step >= 0) & ~k.out)[: model.cells.n])
    ages = (model.steps - k.step[known]) * model.dt_days
    assert np.array_equal(age_bin, np.searchsorted([1.0, 3.0, 7.0], ages, side="right"))


def _decode(data: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(data)).convert("RGB")).astype(int)


def test_map_frame_is_an_image_that_changes_with_the_model():
    m = LiveCampaignModel("quick")
    frame = mapframe.MapFrame(m, zoom=True, size_px=(640, 480))
    first = frame.render(m)
    assert first[:2] == b"\xff\xd8"  # JPEG
    img = _decode(first)
    assert img.shape == (480, 640, 3)
    for _ in range(3):
        m.step()
    later = _decode(frame.render(m))
    assert np.abs(later - img).mean() > 0.1


def test_map_frame_leaves_nothing_of_the_previous_frame():
    """Each frame is the background plus this model's layer: drawing another state in between
    (every layer on) leaves no trace (blitting restores the background each time)."""
    a = LiveCampaignModel("quick", seed=1)
    b = LiveCampaignModel("quick", seed=2, cells=80)
    for _ in range(4):
        b.step()
    frame = mapframe.MapFrame(a, size_px=(640, 480))
    everything = mapframe.Layers(caches=True, links=True)
    first = frame.render_rgba(a)
    frame.render_rgba(b, everything)
    assert np.array_equal(frame.render_rgba(a), first)


def test_layers_add_to_the_picture(model):
    frame = mapframe.MapFrame(model, size_px=(640, 480))
    bare = frame.render_rgba(model, mapframe.Layers(cordon=False, events=False))
    more = frame.render_rgba(model, mapframe.Layers(caches=True, links=True))
    assert (bare != more).any(axis=2).sum() > 200


def test_frames_are_cached_by_geometry():
    a = LiveCampaignModel("quick")
    b = LiveCampaignModel("quick", cells=10, seed=3)
    assert mapframe.frame_for(a) is mapframe.frame_for(b)
    assert mapframe.frame_for(a, zoom=True) is not mapframe.frame_for(a)


@pytest.mark.parametrize("value, top", [(0, 1.0), (3, 5.0), (5, 5.0), (11, 20.0), (120, 200.0),
                                        (0.3, 0.5), (2400, 2500.0)])
def test_nice_ceiling(value, top):
    assert charts.nice_ceiling(value) == top


def test_phase_runs():
    day = np.array([0, 1, 2, 3, 4, 5.0])
    phase = np.array([1, 1, 2, 2, 2, 3])
    assert charts.phase_runs(day, phase) == [(0.0, 2.0, 1), (2.0, 5.0, 2), (5.0, 5.0, 3)]
    assert charts.phase_runs(day[:0], phase[:0]) == []


def test_charts_follow_the_model():
    m = LiveCampaignModel("quick")
    live = charts.LiveCharts(m, size_px=(400, 500))
    first = np.asarray(Image.open(io.BytesIO(live.render(m))).convert("RGB")).astype(int)
    assert first.shape == (500, 400, 3)
    for _ in range(5):
        m.step()
    later = np.asarray(Image.open(io.BytesIO(live.render(m))).convert("RGB")).astype(int)
    assert (first != later).any(axis=2).sum() > 50
    data = charts.series(m)
    assert len(data["day"]) == m.steps + 1
    # the axes grew with the data, never below it
    for i, ax in enumerate(live.axes):
        top = max(float(np.max(sum(data[c] for c in cols))) for cols, *_ in charts.PANELS[i][1])
        assert ax.get_ylim()[1] >= top


def test_zoomed_view_does_not_move_while_the_campaign_runs():
    m = LiveCampaignModel("quick")
    first = mapframe.frame_for(m, zoom=True)
    window = mapframe.zoom_window(m)
    for _ in range(3):
        m.step()
    assert mapframe.zoom_window(m) == window
    assert mapframe.frame_for(m, zoom=True) is first
    ring = m.spec.operation.area
    west, east, south, north = window
    assert all(west <= p.lon <= east and south <= p.lat <= north for p in ring)


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(__import__(
    "encircle_sim.scenario_files", fromlist=["x"]).bundled_scenarios()))
def test_every_bundled_scenario_draws(name):
    from encircle_sim.viz.components import default_zoom, status_lines

    m = LiveCampaignModel(name)
    frame = mapframe.frame_for(m, zoom=default_zoom(m))
    live = charts.LiveCharts(m)
    for _ in range(3):
        m.step()
    assert frame.render(m, mapframe.Layers(caches=True, links=True))[:2] == b"\xff\xd8"
    assert live.render(m)[:4] == b"\x89PNG"
    assert status_lines(m)[0].startswith(f"Day {m.day:g} of ")


def test_a_campaign_with_no_cells_still_draws():
    from encircle_sim.viz.components import status_lines

    m = LiveCampaignModel("quick", cells=0)
    assert not m.running
    assert len(mapframe.frame_for(m).render(m)) > 1000
    assert len(charts.LiveCharts(m, size_px=(300, 400)).render(m)) > 1000
    assert "0 of 0 cells" in status_lines(m)[2]
