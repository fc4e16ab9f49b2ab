"""What a replication worker keeps between campaigns of one map (build.GEOMETRY,
model.search_kernel): the same answers as computed afresh, and never another map's."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from encircle_sim import build
from encircle_sim.build import GeometryMemo
from encircle_sim.model import CampaignModel
from encircle_sim.scenario_files import load_scenario, with_overrides


def _world(model: CampaignModel) -> dict:
    u = model.units
    return {"unit_x": u.x.tolist(), "unit_y": u.y.tolist(), "home_x": u.home_x.tolist(),
            "home_y": u.home_y.tolist(), "lane_xy": u.lane_xy.tolist(),
            "lane_len": u.lane_len.tolist(), "air": [(a.x, a.y) for a in model.air_agents],
            "threat": model.threat_kernel.weight.tolist(),
            "patrol": {float(r): k.dx.tolist() for r, k in model.patrol_kernels.items()}}


def _built_afresh(monkeypatch, scenario, seed: int) -> CampaignModel:
    """A campaign whose geometry is all computed for it (no memo at all)."""
    with monkeypatch.context() as m:
        m.setattr(build.GEOMETRY, "get", lambda model, key, compute: compute())
        return CampaignModel(scenario, rng=seed)


@pytest.mark.parametrize("name", ["victory_will", "victory_will_leaky_border"])
def test_a_campaign_built_from_kept_geometry_is_the_one_built_afresh(monkeypatch, name):
    """Campaigns of a map take their places and border lanes from the memo: their units,
    lanes and air assets stand where a campaign built without any memo puts them (a memo
    keyed too coarsely, e.g. without the place or the radius, gives one formation another's
    start or lane)."""
    scenario = load_scenario(name)
    fresh = _built_afresh(monkeypatch, scenario, 7)
    CampaignModel(scenario, rng=8)
    assert build.GEOMETRY._memo, "a campaign fills the memo"
    kept = CampaignModel(scenario, rng=7)
    assert _world(kept) == _world(fresh)
    # and both screens of the default (Iraqi and SDF side) have lanes of their own
    screens = np.flatnonzero(fresh.units.lane_len > 0)
    assert len(screens)
    assert fresh.units.lane_xy.flags.writeable  # the packed lanes are the model's own


def test_another_map_never_gets_this_maps_answer():
    memo = GeometryMemo()
    a = SimpleNamespace(region=object(), nav=object())
    b = SimpleNamespace(region=object(), nav=a.nav)
    calls = []

    def compute(value):
        calls.append(value)
        return np.array([value])

    assert memo.get(a, ("k",), lambda: compute(1)).tolist() == [1]
    assert memo.get(a, ("k",), lambda: compute(2)).tolist() == [1]   # kept
    assert memo.get(b, ("k",), lambda: compute(3)).tolist() == [3]   # other region
    assert memo.get(a, ("other",), lambda: compute(4)).tolist() == [4]
    assert calls == [1, 3, 4]
    with pytest.raises(ValueError):
        memo.get(a, ("k",), lambda: compute(5))[0] = 9   # handed out read-only


def test_the_memo_stays_bounded():
    memo = GeometryMemo(limit=3)
    model = SimpleNamespace(region=object(), nav=object())
    for k in range(10):
        memo.get(model, (k,), lambda k=k: k)
    assert len(memo._memo) <= 3
    assert memo.get(model, (9,), lambda: "recomputed") == 9


def test_a_changed_map_window_builds_its_own_geometry(monkeypatch):
    """Two maps in one process (a finer grid): each campaign's places are those of its own map,
    as a campaign built without any memo finds them."""
    base = load_scenario("victory_will")
    fine = with_overrides(base, {"map.cell_km": base.map.cell_km * 0.8})
    CampaignModel(base, rng=3)
    kept = CampaignModel(fine, rng=3)
    assert _world(kept) == _world(_built_afresh(monkeypatch, fine, 3))
