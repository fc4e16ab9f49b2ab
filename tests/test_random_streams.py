"""Each submodel draws from its own random stream (random_streams.py).

The streams are what makes common random numbers work inside a run: a lever that changes how
many numbers one part of the model draws must leave the other parts' draws where they were.
"""

from __future__ import annotations

import pickle

import numpy as np
import pytest

from encircle_sim import load_scenario, with_overrides
from encircle_sim.model import CampaignModel
from encircle_sim.random_streams import STREAMS, RandomStreams


def states(streams: RandomStreams) -> dict:
    return {name: getattr(streams, name).bit_generator.state for name in STREAMS}


def test_streams_are_distinct_and_follow_the_seed():
    a, b, c = (RandomStreams(np.random.default_rng(s)) for s in (7, 7, 8))
    first = {name: getattr(a, name).random() for name in STREAMS}
    assert len(set(first.values())) == len(STREAMS)       # no two streams alike
    assert first == {name: getattr(b, name).random() for name in STREAMS}
    assert all(first[n] != getattr(c, n).random() for n in STREAMS)


def test_drawing_from_one_stream_leaves_the_others_alone():
    a, b = (RandomStreams(np.random.default_rng(3)) for _ in range(2))
    a.detect.random(1000)
    for name in STREAMS:
        same = getattr(a, name).random() == getattr(b, name).random()
        assert same == (name != "detect"), name


def test_reseed_gives_the_streams_of_a_fresh_run_in_place():
    s = RandomStreams(np.random.default_rng(1))
    decide = s.decide
    for name in STREAMS:
        getattr(s, name).random(5)
    s.reseed(42)
    assert s.decide is decide
    assert states(s) == states(RandomStreams(np.random.default_rng(42)))


def test_streams_survive_pickling():
    s = RandomStreams(np.random.default_rng(5))
    s.engage.random(3)
    t = pickle.loads(pickle.dumps(s))
    assert [getattr(t, n).random() for n in STREAMS] == [getattr(s, n).random() for n in STREAMS]


@pytest.mark.parametrize("sleepers", [6, 40])
def test_more_sleepers_to_place_do_not_shift_the_pocket_cells_choices(sleepers):
    """Placing more sleeper cells draws more numbers at build; with one shared generator the
    pocket cells' first choices (drawn after) would come out differently."""
    base = load_scenario("victory_will")
    ref = CampaignModel(base, rng=11)
    other = CampaignModel(with_overrides(base, {"retaliation.sleeper_cells": sleepers}), rng=11)
    assert states(ref.streams)["decide"] == states(other.streams)["decide"]
    assert states(ref.streams)["build"] != states(other.streams)["build"]
