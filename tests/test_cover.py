"""What hides a cell (cover.py), checked square by square against the module's formulas.

Ground exposure = (1 - terrain) x (1 - cover), cover = the hideout's concealment for a pocket
cell that stayed put in an intact hideout, the town's blend concealment for a hidden sleeper
within spread_km of its town, else 0. Air exposure = (1 - terrain x concealment_factor x
(MOVING_CONCEALMENT_SHARE if it moved)) x (1 - cover). Shelter = 1 - the exposure of a pocket
cell staying put there. The cells are placed by hand in the laboratory scenario (tests/lab.py),
whose terrain has one concealment everywhere.
"""

from __future__ import annotations

import numpy as np
import pytest
from lab import lab_data, lab_scenario

from encircle_sim.cover import (
    MOVING_CONCEALMENT_SHARE,
    air_exposure,
    ground_exposure,
    shelter,
)
from encircle_sim.model import CampaignModel
from encircle_sim.state import CellState, Theatre

TERRAIN, HIDEOUT, BLEND, SPREAD_KM, FACTOR = 0.4, 0.7, 0.9, 15.0, 0.6


@pytest.fixture(scope="module")
def model():
    data = lab_data(concealment=TERRAIN, cells=4, days=1.0)
    data["map"] = {"south": 34.7, "north": 35.9, "west": 40.1, "east": 42.3, "cell_km": 5.0}
    data["theatres"] = {"iraq": True, "syria": True, "coupled": True}
    data["networks"]["hideout_concealment"] = HIDEOUT
    data["retaliation"] = {"sleeper_cells": 4, "towns": ["Markadah"], "spread_km": SPREAD_KM,
                           "blend_concealment": BLEND}
    return CampaignModel(lab_scenario(data), rng=1)


def place(model, kinds):
    """Put the model's first cells where ``kinds`` says; returns their indices.

    kinds: (theatre, at a hideout / near its town, moved, state) per cell."""
    c = model.cells
    iraq = c.active_in(Theatre.IRAQ)
    syria = c.active_in(Theatre.SYRIA)
    town_x, town_y = model.town_xy[0]
    model.hideout_at[:] = -1
    idx = []
    for theatre, there, moved, state in kinds:
        i = int(iraq[0] if theatre == Theatre.IRAQ else syria[0])
        iraq, syria = iraq[iraq != i], syria[syria != i]
        if theatre == Theatre.IRAQ:
            x, y = 10 + 2 * len(idx), 10
            if there:
                model.hideout_at[x, y] = 0
        else:
            c.town[i] = 0
            x, y = (town_x + 1, town_y) if there else (town_x, town_y - 8)   # 5 km / 40 km off
        c.x[i], c.y[i], c.moved[i], c.state[i] = x, y, moved, state
        idx.append(i)
    return np.array(idx)


CASES = [  # (theatre, at hideout / near town, moved, state) -> cover
    ((Theatre.IRAQ, True, False, CellState.HIDDEN), HIDEOUT),
    ((Theatre.IRAQ, True, True, CellState.MOVING), 0.0),
    ((Theatre.IRAQ, False, False, CellState.HIDDEN), 0.0),
    ((Theatre.SYRIA, True, False, CellState.HIDDEN), BLEND),
    ((Theatre.SYRIA, True, True, CellState.HIDDEN), 0.0),
    ((Theatre.SYRIA, True, False, CellState.MOVING), 0.0),
    ((Theatre.SYRIA, False, False, CellState.HIDDEN), 0.0),
]


def test_ground_exposure_is_terrain_times_cover(model):
    for kind, cover in CASES:
        (i,) = place(model, [kind])
        got = ground_exposure(model, np.array([i]))[0]
        assert got == pytest.approx((1 - TERRAIN) * (1 - cover)), kind


def test_ground_exposure_of_several_cells_at_once(model):
    idx = place(model, [k for k, _ in CASES[:3]] + [CASES[3][0]])
    covers = np.array([cv for _, cv in CASES[:4]])
    np.testing.assert_allclose(ground_exposure(model, idx), (1 - TERRAIN) * (1 - covers))


def test_air_sees_terrain_through_its_factor_and_movers_better(model):
    for kind, cover in CASES:
        (i,) = place(model, [kind])
        moved = kind[2]
        seen = TERRAIN * FACTOR * (MOVING_CONCEALMENT_SHARE if moved else 1.0)
        got = air_exposure(model, np.array([i]), FACTOR)[0]
        assert got == pytest.approx((1 - seen) * (1 - cover)), kind


def test_shelter_is_one_minus_the_exposure_of_staying_put(model):
    place(model, [CASES[0][0]])        # a hideout at (10, 10)
    x, y = np.array([10, 30]), np.array([10, 20])
    np.testing.assert_allclose(shelter(model, x, y),
                               [1 - (1 - TERRAIN) * (1 - HIDEOUT), TERRAIN])


def test_the_search_sees_a_sleeper_that_walked_since_the_last_search_as_moved(monkeypatch):
    """Sleepers move after the search (retaliate comes after detect), so what the next step's
    search must see as moved is their walk of the step before."""
    from encircle_sim.submodels import detect

    m = CampaignModel("victory_will", rng=3)
    last: dict[int, tuple[int, int]] = {}
    walked = stayed = 0
    search = detect.search

    def watched(model):
        nonlocal walked, stayed
        c = model.cells
        syr = c.active_in(Theatre.SYRIA)
        for i in syr[np.isin(syr, list(last))]:
            moved = (int(c.x[i]), int(c.y[i])) != last[int(i)]
            assert bool(c.moved[i]) == moved, (model.steps, int(i))
            walked, stayed = walked + moved, stayed + (not moved)
        last.clear()
        last.update({int(i): (int(c.x[i]), int(c.y[i])) for i in syr})
        return search(model)

    monkeypatch.setattr(detect, "search", watched)
    for _ in range(40):
        m.step()
    assert walked > 10 and stayed > 10, (walked, stayed)
