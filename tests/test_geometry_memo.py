"""What a replication worker keeps between campaigns of one map (build.GEOMETRY,
model.search_kernel, operation.operation_geometry): the same answers as computed afresh, never
another map's or another operation section's, and read-only."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from encircle_sim import build
from encircle_sim.build import GeometryMemo
from encircle_sim.model import CampaignModel
from encircle_sim.scenario import DEFAULT_OPERATION_AREA
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
        m.setattr(build.GEOMETRY, "lookup", lambda owners, key, compute: compute())
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


def _plan_geometry(model: CampaignModel) -> dict:
    p = model.plan
    arrays = {"area": p.area, "depth_km": p.depth_km, "band": p.band, "cordon_ring": p.cordon_ring,
              "exits": p.exits, "exit_xy": p.exit_xy, "cordon_xy": p.cordon_xy,
              "edges_i": p._cordon_edges[0], "edges_j": p._cordon_edges[1],
              "disc_dx": p._cordon_kernel.dx, "disc_dy": p._cordon_kernel.dy,
              "cordon_index": p._cordon_index, "lane": p.perimeter_lane,
              "cell_area": p.cell_area}
    out = {k: (v.dtype.str, v.tolist()) for k, v in arrays.items()}
    out.update(initial=p.initial_area_km2, band_cells=p.band_cells, km=p.km_per_square,
               frame=(p.frame.lat0, p.frame.lon0), pocket=p.pocket.tolist(),
               pocket_cells=p._pocket_cells, band_cleared=p._band_cleared)
    return out


@pytest.mark.parametrize("name, overrides", [
    ("victory_will", {}), ("victory_will", {"operation.perimeter_band_km": 30.0}),
    ("victory_will", {"operation.cordon_radius_km": 20.0}),
    ("victory_will", {"operation.area": list(DEFAULT_OPERATION_AREA[:-2])}),
    ("victory_will", {"map.cell_km": 4.0}), ("quick", {}), ("jazeera_storm", {})])
def test_a_plan_takes_the_geometry_of_its_own_map_and_operation(monkeypatch, name, overrides):
    """After campaigns of the default in this process, a campaign of another operation section
    (a deeper band, a wider cordon disc, another area), another map or no Iraqi theatre has the
    plan geometry a campaign built without any memo has: a memo keyed without one of these
    hands it the default's band, cordon disc or masks."""
    base = load_scenario("victory_will")
    CampaignModel(base, rng=1)
    other = with_overrides(load_scenario(name), overrides)
    kept = CampaignModel(other, rng=2)
    fresh = _built_afresh(monkeypatch, other, 2)
    assert _plan_geometry(kept) == _plan_geometry(fresh)
    if name != "victory_will" or overrides:
        assert _plan_geometry(kept) != _plan_geometry(CampaignModel(base, rng=2))


def test_campaigns_share_the_plan_geometry_read_only_and_keep_their_own_pocket():
    """Two campaigns of one map read the same geometry arrays, which neither can write; each
    has its own pocket and coverage: searching in one never clears ground in the other."""
    scenario = load_scenario("victory_will")
    a, b = CampaignModel(scenario, rng=1), CampaignModel(scenario, rng=2)
    shared = ["area", "depth_km", "band", "cordon_ring", "exits", "exit_xy", "cordon_xy",
              "_cordon_index", "perimeter_lane", "cell_area"]
    for name in shared:
        assert getattr(a.plan, name) is getattr(b.plan, name), name
        with pytest.raises(ValueError):
            getattr(a.plan, name).flat[0] = 1
    for arr in (*a.plan._cordon_edges, a.plan._cordon_kernel.dx, a.plan._cordon_kernel.dy):
        with pytest.raises(ValueError):
            arr[0] = 1
    # the region's own array is not frozen by the plan's read-only view of it
    region_area = a.region.cell_area_km2
    if isinstance(region_area, np.ndarray):
        assert region_area.flags.writeable
    assert a.plan.pocket is not b.plan.pocket and a.plan.coverage is not b.plan.coverage
    before = b.plan.pocket.copy()
    a.plan.add_coverage(np.where(a.plan.area, 10 * scenario.operation.clear_coverage, 0.0))
    assert not a.plan.pocket.any() and a.plan.pocket_share == 0.0
    assert (b.plan.pocket == before).all() and b.plan.pocket_share == 1.0
    assert not b.plan.coverage.any()
    assert CampaignModel(scenario, rng=3).plan.pocket.sum() == a.plan.area.sum()
