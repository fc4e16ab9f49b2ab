"""The event log reads the same whenever it is read: during the run, at its end, or both.

``EventLog.add`` keeps raw values and formats them only when the log is read; these tests pin
that a row says what was true when the event happened (its cells, its details), not when the
log was read.
"""

from __future__ import annotations

import pandas as pd
import pytest

from encircle_sim.agents import new_cell_agent
from encircle_sim.metrics import EventLog
from encircle_sim.model import CampaignModel


@pytest.fixture(scope="module")
def read_twice_and_once():
    """The same campaign run twice: one log read after 15 steps and again after 40, the other
    read only at the end."""
    watched, plain = CampaignModel("quick", rng=7), CampaignModel("quick", rng=7)
    for _ in range(15):
        watched.step()
    early = watched.events.frame()
    early_rows = watched.events.rows_at(int(watched.steps))
    for _ in range(25):
        watched.step()
    for _ in range(40):
        plain.step()
    return early, early_rows, watched, plain


def test_reading_during_the_run_changes_nothing(read_twice_and_once):
    early, _, watched, plain = read_twice_and_once
    late = watched.events.frame()
    assert len(late) > len(early) > 0
    pd.testing.assert_frame_equal(late, plain.events.frame())
    pd.testing.assert_frame_equal(late.iloc[: len(early)], early)


def test_rows_of_a_step_are_its_rows_of_the_table(read_twice_and_once):
    early, early_rows, watched, _ = read_twice_and_once
    step = int(early["step"].max())
    table = watched.events.frame()
    expected = table[table["step"] == step].to_dict("records")
    assert len(expected) == len(watched.events.rows_at(step))
    for got, want in zip(watched.events.rows_at(step), expected, strict=True):
        assert got.keys() == want.keys()
        for k in want:
            assert got[k] == want[k] or (got[k] != got[k] and want[k] != want[k])  # nan == nan


def test_a_row_names_only_the_cells_that_had_agents_when_it_happened():
    m = CampaignModel("quick", rng=3)
    first = m.cell_agents[0]
    (new,) = m.add_cells(1)            # a row without its agent yet
    m.events.add("recruited", 5, 6, cells=[0, int(new)], town="Hajin")
    new_cell_agent(m, int(new))        # its agent comes after the event
    m.events.add("recruited", 5, 6, cells=[0, int(new)], town="Hajin")
    table = m.events.frame()
    agent_ids = f"{first.unique_id} {m.cell_agents[int(new)].unique_id}"
    assert list(table["cells"]) == [str(first.unique_id), agent_ids]
    assert list(table["details"]) == ["town=Hajin", "town=Hajin"]


def test_details_keep_their_order_and_the_caches_come_last():
    m = CampaignModel("quick", rng=3)
    cache = m.cache_agents[0]
    m.events.add("cache_destroyed", 2, 3, caches=[0], stock=1.5, civilian_casualties=0)
    m.events.add("phase", None, None, phase="Sweep")
    table = m.events.frame()
    assert list(table["details"]) == [
        f"stock=1.5; civilian_casualties=0; caches=[{cache.unique_id}]", "phase=Sweep"]
    assert list(table["kind"]) == ["cache_destroyed", "phase"]
    assert table["lat"].isna().tolist() == [False, True]
    lat, lon = m.region.latlon_of(2, 3)
    assert (table["lat"][0], table["lon"][0]) == (round(float(lat), 4), round(float(lon), 4))
    assert m.events.at_step(int(m.steps)) == [
        ("cache_destroyed", *m.region.latlon_of(2, 3))]


def test_a_log_pickled_before_raw_records_reads_and_grows_the_same():
    """A checkpoint written by the version that formatted events at once still loads."""
    import pickle

    m = CampaignModel("quick", rng=7)
    for _ in range(12):
        m.step()
    log = m.events
    table, step = log.frame(), int(m.steps)
    at, rows = log.at_step(step), log.rows_at(step)
    old = {"model": m, "_records": list(log._formatted()), "_frame": None}  # the old layout
    revived = EventLog.__new__(EventLog)
    revived.__setstate__(old)
    assert len(revived) == len(log)
    pd.testing.assert_frame_equal(revived.frame(), table)
    assert revived.at_step(step) == at
    assert [r["kind"] for r in revived.rows_at(step)] == [r["kind"] for r in rows]
    revived.add("phase", None, None, phase="Sweep")
    assert revived.frame()["details"].iloc[-1] == "phase=Sweep"
    assert len(revived.frame()) == len(table) + 1
    pickle.loads(pickle.dumps(log._raw))  # the raw records themselves pickle
