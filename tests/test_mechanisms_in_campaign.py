"""Each mechanism measured inside a running campaign against its formula.

tests/test_mechanisms.py checks the pure functions of engagement.py; these tests check that the
model calls them with the right inputs: a planted bug where the model computes a hazard, a fight
length or a share (detection doubled, sweep width without its factor 2, concealment ignored,
fight time doubled, contact never broken off, ambush multiplier ignored, interdiction or border
sealing skipped, intelligence from captures off, retaliation deaf to pressure) moves a measured
figure outside its sampling error. Expected values are written from the formulas here, not
taken from the code under test; tolerances are a few standard errors of the measured mean.

Every scenario is the laboratory of tests/lab.py: flat open desert, one mechanism switched on.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from lab import lab_data, lab_scenario, searcher

from encircle_sim.model import CampaignModel

Z = 4.0  # tolerance in standard errors: a correct model fails about once in 15,000 checks


def run_model(data, seed):
    model = CampaignModel(lab_scenario(data), rng=seed)
    while model.running:
        model.step()
    return model


def index_of(model):
    """unique_id (as written in the event log) -> cell index."""
    return {str(a.unique_id): a.index for a in model.cell_agents}


def events_of(model, kind):
    ev = model.events.frame()
    return ev[ev["kind"] == kind]


def details(row) -> dict:
    out = {}
    for part in str(row["details"]).split("; "):
        if "=" in part:
            k, v = part.split("=", 1)
            out[k] = v
    return out


def test_the_lab_is_flat_open_desert():
    model = CampaignModel(lab_scenario(lab_data(cells=5)), rng=1)
    layers = model.region.layers
    assert not layers["river"].any() and not layers["lake"].any() and not layers["road"].any()
    assert (layers["country"] == 1).all()


# ---- detection: Koopman random search, hazard W v t / A x exposure per step ----------------------
SENSOR_KM, P_DETECT, SEARCH_KMH, HOURS_PER_DAY, PATROL_KM = 5.0, 1.0, 6.0, 10.0, 40.0
STEP_HOURS = 6


@pytest.mark.parametrize("concealment", [0.0, 0.6])
def test_a_static_cell_is_found_at_the_random_search_rate(concealment):
    """Static cells inside one searcher's patrol disc: the share first detected by step k is
    1 - exp(-k W v t / A x (1 - concealment)), W = 2 x sensor range x glimpse probability."""
    data = lab_data(concealment=concealment, cells=150, days=5.0)
    data["forces"] = [searcher()]
    data["unit_types"]["infantry"].update(
        sensor_km=SENSOR_KM, p_detect=P_DETECT, search_speed_kmh=SEARCH_KMH,
        move_hours_per_day=HOURS_PER_DAY, patrol_km=PATROL_KM)
    first = []
    for seed in range(4):
        model = run_model(data, seed)
        ids = index_of(model)
        seen = np.full(model.cells.n, np.inf)
        for _, row in events_of(model, "engagement").iterrows():
            i = ids[row["cells"]]
            seen[i] = min(seen[i], row["step"])
        first.append(seen)
    first = np.concatenate(first)
    sweep_width = 2.0 * SENSOR_KM * P_DETECT
    hours = HOURS_PER_DAY * STEP_HOURS / 24.0
    h = sweep_width * SEARCH_KMH * hours / (math.pi * PATROL_KM**2) * (1.0 - concealment)
    for k in (5, 10, 20):
        expected = 1.0 - math.exp(-k * h)
        observed = float(np.mean(first <= k))
        se = math.sqrt(expected * (1 - expected) / len(first))
        assert abs(observed - expected) < Z * se, (k, observed, expected)


# ---- attrition: a fixed-length stochastic Lanchester contact ------------------------------------
def _contacts(break_contact: float):
    """Engagements of 200-fighter cells (they never run out) with one 40-rifle searcher whose
    fire is alpha; the cells do not fire back, so the searcher's engaged strength stays 40."""
    data = lab_data(concealment=0.0, cells=60, days=4.0)
    data["forces"] = [searcher()]
    data["unit_types"]["infantry"].update(sensor_km=5.0, p_detect=1.0, patrol_km=15.0,
                                          firepower=ALPHA, engaged_max=BLUE)
    data["insurgents"].update(fighters_min=200, fighters_max=200)
    data["engagement"].update(contact_hours=CONTACT_HOURS, rounds=ROUNDS,
                              break_contact=break_contact)
    losses = []
    for seed in range(3):
        model = run_model(data, seed)
        losses += [int(details(r)["insurgent_losses"]) for _, r in
                   events_of(model, "engagement").iterrows()]
    return np.array(losses)


ALPHA, BLUE, CONTACT_HOURS, ROUNDS = 0.3, 40, 1.0, 6


def test_a_contact_lasts_its_hours_at_the_aimed_fire_rate():
    """Without breaking off, each of ROUNDS slices of CONTACT_HOURS / ROUNDS hours puts each
    enemy out of action with p = 1 - exp(-alpha dt) per firing soldier: mean losses n B p."""
    losses = _contacts(0.0)
    assert len(losses) > 150
    p = 1.0 - math.exp(-ALPHA * CONTACT_HOURS / ROUNDS)
    mean = ROUNDS * BLUE * p
    se = math.sqrt(ROUNDS * BLUE * p * (1 - p) / len(losses))
    assert abs(losses.mean() - mean) < Z * se, (losses.mean(), mean)


def test_a_losing_cell_breaks_contact():
    """With break_contact = 1 the cell leaves after the first slice in which it lost anyone:
    slices with no loss (probability q = (1 - p)^B) go on, so the mean loss is
    B p (1 - q^n) / (1 - q)."""
    losses = _contacts(1.0)
    p = 1.0 - math.exp(-ALPHA * CONTACT_HOURS / ROUNDS)
    q = (1.0 - p) ** BLUE
    mean = BLUE * p * (1 - q**ROUNDS) / (1 - q)
    # the loss in the breaking slice is Binomial(B, p) given at least one: variance below B p
    se = math.sqrt(BLUE * p * 2 / len(losses))
    assert abs(losses.mean() - mean) < Z * se, (losses.mean(), mean)
    assert losses.mean() < 0.5 * ROUNDS * BLUE * p


# ---- ambush: the ambusher's first-slice multiplier ---------------------------------------------
BETA, VULN = 0.2, 1.0


@pytest.mark.parametrize("multiplier", [1.0, 8.0])
def test_an_ambush_hits_with_the_ambush_multiplier(multiplier):
    """Cells of R fighters ambush a weak unit that does not fire back: an ambush is two slices of
    contact_hours / 6 hours, the first at beta x multiplier, so the mean loss of the unit is
    R [(1 - exp(-beta m dt)) + (1 - exp(-beta dt))]."""
    data = lab_data(concealment=0.5, cells=80, days=3.0)
    data["forces"] = [searcher(strength=5000)]
    data["unit_types"]["infantry"].update(p_detect=0.0, engaged_max=10, vulnerability=VULN)
    data["insurgents"].update(firepower=BETA, fighters_min=10, fighters_max=10,
                              ambush_odds=0.5, ambush_range_km=40.0, ambush_appetite=1.0)
    data["engagement"].update(ambush_multiplier=multiplier, contact_hours=1.5)
    losses, fighters = [], []
    for seed in range(3):
        model = run_model(data, seed)
        ids = index_of(model)
        for _, r in events_of(model, "ambush").iterrows():
            losses.append(int(details(r)["sf_losses"]))
            fighters.append(int(model.cells.fighters0[ids[r["cells"]]]))
    losses, fighters = np.array(losses), np.array(fighters)
    assert len(losses) > 100
    dt = 1.5 / 3 / 2
    p1, p2 = 1 - math.exp(-BETA * VULN * multiplier * dt), 1 - math.exp(-BETA * VULN * dt)
    expected = fighters * (p1 + p2)
    var = fighters * (p1 * (1 - p1) + p2 * (1 - p2))
    assert abs(losses.sum() - expected.sum()) < Z * math.sqrt(var.sum()), (
        losses.mean(), expected.mean())


# ---- escapes: interdiction near units, and the border's sealing ---------------------------------
def _slipping(data):
    """Cells that slip away at once, toward the nearest exit (they value nothing else)."""
    data["insurgents"].update(move_hours_per_day=8.0, slip_threat=0.0, perception_km=200.0,
                              slip_horizon_days=0.25)
    return data


def test_escapes_near_a_unit_are_interdicted_at_their_rate():
    """One unit whose interdiction radius covers every exit: each attempt to leave is stopped
    with probability interdiction_p x (1 - concealment / 2)."""
    conceal, p_int = 0.4, 0.6
    data = _slipping(lab_data(concealment=conceal, cells=100, days=4.0))
    data["forces"] = [searcher(task="block")]
    data["unit_types"]["infantry"].update(p_detect=0.0)
    data["border"] = {"interdiction_km": 100.0}
    data["engagement"]["interdiction_p"] = p_int
    stopped = passed = 0
    for seed in range(3):
        model = run_model(data, seed)
        stopped += len(events_of(model, "interdiction"))
        passed += len(events_of(model, "escaped_cordon"))
    attempts = stopped + passed
    assert attempts > 200
    expected = p_int * (1 - conceal / 2)
    se = math.sqrt(expected * (1 - expected) / attempts)
    assert abs(stopped / attempts - expected) < Z * se, (stopped, passed, expected)


BORDER_STRIP = [[34.85, 41.21], [35.15, 41.20], [35.15, 41.33], [34.85, 41.33]]


@pytest.mark.parametrize("sealing", [0.0, 0.3])
def test_the_border_turns_back_its_sealing_share(sealing):
    """A strip of desert along the Syrian border, no forces: of the cells stepping into Syria, a
    share equal to border.sealing is turned back; cordon exits into Iraq are never stopped."""
    data = _slipping(lab_data(concealment=0.3, cells=100, days=4.0))
    data["map"] = {"south": 34.7, "north": 35.3, "west": 40.9, "east": 41.6, "cell_km": 5.0}
    data["operation"]["area"] = BORDER_STRIP
    data["border"] = {"sealing": sealing}
    blocked = crossed = cordon_blocked = 0
    for seed in range(4):
        model = run_model(data, seed)
        blocked += len(events_of(model, "border_turned_back"))
        crossed += len(events_of(model, "escaped_border"))
        cordon_blocked += len(events_of(model, "interdiction"))
    attempts = blocked + crossed
    assert attempts > 60
    assert cordon_blocked == 0
    se = math.sqrt(max(sealing * (1 - sealing), 0.25 / attempts) / attempts)
    assert abs(blocked / attempts - sealing) < Z * se, (blocked, crossed)


# ---- intelligence: a captured cell gives away its partners ---------------------------------------
@pytest.mark.parametrize("intel", [0.0, 1.0])
def test_a_capture_exposes_the_captured_cells_partners(intel):
    """A capture adds 2 to the exposure of each linked cell with probability capture_intel;
    exposure halves at the start of the next step and is a detection hazard of its own, so a
    partner is found in the next step with probability at least 1 - exp(-1) = 0.63 when
    capture_intel is 1, and at the searchers' small base rate when it is 0."""
    data = lab_data(concealment=0.9, cells=150, days=10.0)
    data["forces"] = [searcher()]
    data["unit_types"]["infantry"].update(sensor_km=5.0, p_detect=1.0, patrol_km=40.0)
    data["insurgents"].update(fighters_min=3, fighters_max=3)
    data["engagement"].update(p_surrender=1.0, surrender_fighters=3)
    data["networks"].update(capture_intel=intel, comm_links=3, comm_radius_km=60.0)
    found = partners = 0
    for seed in range(4):
        model = CampaignModel(lab_scenario(data), rng=seed)
        c, net = model.cells, model.network
        while model.running:
            before_a, before_b = net.a[net.alive].copy(), net.b[net.alive].copy()
            model.step()
            now = model.steps
            caught = np.flatnonzero((c.ended_step[: c.n] == now) & (c.state[: c.n] == 5))
            linked = np.concatenate([before_b[np.isin(before_a, caught)],
                                     before_a[np.isin(before_b, caught)]])
            linked = np.unique(linked[c.active[linked]])
            if len(linked) == 0 or not model.running:
                continue
            model.step()
            ids = index_of(model)
            ev = model.events.frame()
            hit = {ids[x] for x in ev.loc[(ev["step"] == now + 1)
                                          & (ev["kind"] == "engagement"), "cells"]}
            partners += len(linked)
            found += sum(int(i) in hit for i in linked)
    assert partners > 40
    share = found / partners
    if intel:
        assert share > 1 - math.exp(-1.0) - Z * math.sqrt(0.25 / partners), share
    else:
        assert share < 0.2, share


# ---- retaliation: the attack rate follows pressure ----------------------------------------------
TOWNS = ["Markadah", "Suwar", "Busayrah", "Tayyanah", "Hawayij"]
BASE_RATE = 0.05


@pytest.mark.parametrize("gain", [0.0, 12.0])
def test_sleepers_attack_at_the_rate_pressure_sets(gain):
    """Coupled theatres, no SDF: the only thing that changes the sleepers' attack rate is the
    pressure on the group (here: ground cleared in Iraq, nobody is killed). Each sleeper near
    its town attacks in a step with probability 1 - exp(-base (1 + gain x pressure) dt), with
    the pressure of the end of the previous step."""
    data = lab_data(concealment=0.5, cells=40, days=8.0)
    data["map"] = {"south": 34.7, "north": 35.9, "west": 40.1, "east": 42.3, "cell_km": 5.0}
    data["theatres"] = {"iraq": True, "syria": True, "coupled": True}
    data["forces"] = [searcher(task="hunt", area_km=15.0)]
    data["unit_types"]["infantry"].update(p_detect=1.0, sensor_km=5.0, search_speed_kmh=30.0,
                                          patrol_km=20.0)
    data["operation"]["clear_coverage"] = 0.5
    data["networks"]["cross_border_links"] = 0
    data["retaliation"] = {"sleeper_cells": 60, "towns": TOWNS, "base_rate_per_day": BASE_RATE,
                           "pressure_gain": gain, "call_boost": 0.0, "call_appetite": 0.0,
                           "escapee_join": False}
    observed = expected = variance = 0.0
    dt = 6 / 24
    for seed in range(3):
        model = CampaignModel(lab_scenario(data), rng=seed)
        c = model.cells
        while model.running:
            pressure = max(model.pressure, model.pressure_syria)
            model.step()
            syr = np.flatnonzero(c.active & (c.theatre[: c.n] == 1))
            town = model.town_xy[c.town[syr]]
            near = model.nav.distance_km(c.x[syr], c.y[syr], town[:, 0], town[:, 1]) <= 15.0
            p = 1 - math.exp(-BASE_RATE * (1 + gain * pressure) * dt)
            expected += near.sum() * p
            variance += near.sum() * p * (1 - p)
            ev = model.events.frame()
            now = ev[ev["step"] == model.steps]
            observed += int(now["kind"].isin(["attack_sdf", "attack_population"]).sum())
    assert expected > 30
    assert abs(observed - expected) < Z * math.sqrt(variance), (observed, expected)
    if gain:
        assert expected > 2.0 * 60 * 3 * 32 * (1 - math.exp(-BASE_RATE * dt))
