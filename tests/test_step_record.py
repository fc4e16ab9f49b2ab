"""The record step (ODD step 10): Mesa's grid mirrors the tables after every step, whatever was
done to the agents by hand in between."""

from __future__ import annotations

import numpy as np

from encircle_sim.agents import sync_agents
from encircle_sim.model import CampaignModel
from encircle_sim.scenario_files import load_scenario


def quick_model(seed: int = 5) -> CampaignModel:
    return CampaignModel(load_scenario("quick", {"time.max_days": 6.0}), rng=seed)


def assert_grid_mirrors_tables(model: CampaignModel) -> None:
    """Every active cell and living unit stands on its table square (and is in that square's
    agent list); every other cell and unit is off the grid; no square lists a stray agent."""
    c, u = model.cells, model.units
    active = c.active
    for i, agent in enumerate(model.cell_agents):
        if active[i]:
            assert agent.cell.coordinate == (c.x[i], c.y[i])
            assert agent in agent.cell.agents
        else:
            assert agent.cell is None
    for j, agent in enumerate(model.unit_agents):
        if u.strength[j] > 0:
            assert agent.cell.coordinate == (u.x[j], u.y[j])
            assert agent in agent.cell.agents
        else:
            assert agent.cell is None
    shown = sum(len(square.agents) for square in model.grid.all_cells)
    sites = sum(site.cell is not None for site in [*model.cache_agents, *model.hideout_agents])
    assert shown == int(active.sum()) + int((u.strength > 0).sum()) + sites


def test_grid_mirrors_the_tables_after_every_step():
    model = quick_model()
    while model.running:
        model.step()
        assert_grid_mirrors_tables(model)


def test_agents_moved_by_hand_go_back_to_their_table_square():
    """The tables are the truth: a unit or cell put elsewhere on the grid by hand (a user in a
    notebook, the live page) is back on its square after the next sync, and an ended cell put
    back on the grid leaves it again."""
    model = quick_model()
    for _ in range(4):
        model.step()
    u, c = model.units, model.cells
    j = int(np.flatnonzero(u.strength > 0)[0])
    unit = model.unit_agents[j]
    elsewhere = model.grid[((int(u.x[j]) + 1) % model.grid.width, int(u.y[j]))]
    unit.cell = elsewhere
    i = int(np.flatnonzero(c.active)[0])
    cell = model.cell_agents[i]
    cell.cell = elsewhere
    c.prev_x[i], c.prev_y[i] = c.x[i], c.y[i]    # its row did not move: only its agent did
    # a dead unit and an ended cell put on the grid by hand
    u.strength[j + 1] = 0
    c.state[i + 1] = 4   # neutralised
    model.unit_agents[j + 1].cell = elsewhere
    model.cell_agents[i + 1].cell = elsewhere
    sync_agents(model)
    assert unit.cell.coordinate == (u.x[j], u.y[j])
    assert model.unit_agents[j + 1].cell is None and model.cell_agents[i + 1].cell is None
    assert unit not in elsewhere.agents
    # the cell agent moved by hand is not synced back while its row stays put (the sync copies
    # rows that moved this step), as before the sync was compiled
    assert cell.cell is elsewhere


def test_a_deferred_grid_stays_put_and_is_in_step_on_leaving():
    """Inside ``grid_deferred()`` the steps leave Mesa's grid as it was (the tables move on);
    on leaving, every agent is on its table square, including cells that moved several steps
    ago, cells that ended meanwhile, and cells recruited meanwhile; the per-step sync then
    carries on from there."""
    model = quick_model()
    before = {id(a): a.cell for a in [*model.cell_agents, *model.unit_agents]}
    start = (model.cells.x[: model.cells.n].copy(), model.units.x.copy(), model.cells.n)
    with model.grid_deferred():
        for _ in range(8):
            model.step()
        assert all(a.cell is before[id(a)] for a in model.unit_agents)
        assert all(a.cell is before[id(a)] for a in model.cell_agents[: start[2]])
    assert (model.units.x != start[1]).any() and model.cells.n >= start[2]
    assert (model.cells.x[: start[2]] != start[0]).any() and (~model.cells.active).any()
    assert_grid_mirrors_tables(model)
    while model.running:
        model.step()
        assert_grid_mirrors_tables(model)


def test_a_deferred_grid_is_put_in_step_when_a_step_raises():
    model = quick_model()
    try:
        with model.grid_deferred():
            for _ in range(6):
                model.step()
            raise RuntimeError("stopped")
    except RuntimeError:
        pass
    assert_grid_mirrors_tables(model)


def test_headless_runs_end_with_the_grid_in_step():
    """``model.run()`` and ``encircle_sim.run()`` without a run folder defer the grid to the
    end (nothing looks at it between steps); what they hand back mirrors the tables."""
    from encircle_sim.runner import run

    stepped = quick_model()
    while stepped.running:
        stepped.step()
    model = quick_model()
    model.run()
    assert_grid_mirrors_tables(model)
    assert model.datacollector.model_vars == stepped.datacollector.model_vars
    assert model.events.frame().equals(stepped.events.frame())
    result = run(load_scenario("quick", {"time.max_days": 6.0}), seed=5, plots=False)
    assert_grid_mirrors_tables(result.model)
    assert result.model.datacollector.model_vars == stepped.datacollector.model_vars
