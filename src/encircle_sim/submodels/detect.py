"""Detect: random search by units and air assets, and intelligence, find cells and their sites.

Koopman's random search (``engagement.py``): each living unit spreads its search effort
``W v t`` (W = 2 sensor_km p_detect; x the phase's search intensity for Iraqi units) over the
disc of radius ``patrol_km`` around it, so a target inside the disc meets the hazard
``W v t / (pi patrol_km^2) x exposure`` per step. An air asset adds
``sweep_width v t / (pi radius^2) x exposure_air`` over its disc. Hazards add; a target is found
with probability 1 - exp(-total).

A cell's exposure depends on what it does (Koopman: detection depends on exposure; ``cover.py``):
``(1 - terrain) x (1 - cover)``, where terrain is its square's concealment and cover is what
hides a static cell beyond the terrain: ``networks.hideout_concealment`` for a pocket cell gone
to ground in an intact hideout, ``retaliation.blend_concealment`` for a sleeper hiding in or
near its town among the population. Air sees terrain through ``concealment_factor``, and a cell
that moved through only ``cover.MOVING_CONCEALMENT_SHARE`` of it (cells move by night, when
overhead thermal sensors see them and ground patrols are laid up). Intelligence adds the cell's
exposure
(``cells.exposed``: raised by captures, attacks, contacts and turn-backs; it halves every step,
``EXPOSURE_KEPT_PER_STEP``). Cells attacking this step are not searched for (they are in
contact already).

Who found it: a searcher drawn in proportion to its hazard. If an air asset, it strikes at once
with probability p_strike (engage.air_strike); otherwise the unit with the largest hazard on the
cell engages it, or, if no unit searched it, the nearest unit of its theatre within
``NEAREST_UNIT_PATROLS`` patrol radii.

Sites: searching units find supply caches (exposure 1 - cache_concealment) and hideouts
(exposure 1 - hideout_concealment) by the same ground hazard, and destroy them; cells in a
hideout found are flushed out (+``HIDEOUT_FOUND_EXPOSURE``, and they plan again).
"""

from __future__ import annotations

import weakref

import numpy as np

from encircle_sim.cover import MOVING_CONCEALMENT_SHARE
from encircle_sim.engagement import detection_draw
from encircle_sim.state import Theatre
from encircle_sim.submodels import engage
from encircle_sim.submodels.detect_kernels import (
    nearest_unit,
    site_hazards,
    sweep_hazards,
)

#: Share of a cell's exposure (intelligence on it) still valid one step later.
EXPOSURE_KEPT_PER_STEP = 0.5
#: A cell found by air or intelligence alone is engaged by the nearest unit of its theatre within
#: this many of that unit's patrol radii.
NEAREST_UNIT_PATROLS = 2.0
#: Exposure added to a cell whose hideout is found around it.
HIDEOUT_FOUND_EXPOSURE = 0.5


def fade_exposure(model) -> None:
    """Intelligence on every cell goes stale: its extra hazard shrinks (start of each step)."""
    c = model.cells
    c.exposed[: c.n] *= EXPOSURE_KEPT_PER_STEP


def search(model) -> list[tuple[int, int]]:
    """Draw this step's detections of cells; returns the ground contacts (cell, unit). Works out
    the ground hazards on the sites as well, for ``search_sites`` (``Sweep``)."""
    c, u, nav, net = model.cells, model.units, model.nav, model.spec.networks
    caches, hideouts = model.caches, model.hideouts
    search_mult, _ = model.plan.intensity()
    contacts: list[tuple[int, int]] = []
    model.detected_cells[:] = False
    airs = model.air_agents
    sweep = _sweep(model)
    # the hazards (detect_kernels.sweep_hazards: the rule above, cell by cell, site by site)
    hazard, who = np.empty((3, c.n)), np.empty((3, c.n), np.intp)
    nt, sweep.n_caches, sweep.n_hideouts = sweep_hazards(
        c.n, c.x, c.y, c.moved, c.theatre, c.state, c.town, c.exposed, model.concealment,
        model.hideout_at, model.town_xy, float(net.hideout_concealment),
        float(model.spec.retaliation.blend_concealment),
        float(model.spec.retaliation.spread_km), MOVING_CONCEALMENT_SHARE,
        u.strength, u.x, u.y, u.syria, u.patrol_km, u.search_effort_km2(model.step_hours),
        float(search_mult), sweep.air_xy, sweep.air, nav.km_x, nav.km_y, hazard, who,
        caches.intact, caches.x, caches.y, float(1.0 - net.cache_concealment), hideouts.intact,
        hideouts.x, hideouts.y, float(1.0 - net.hideout_concealment), sweep.sites,
        sweep.site_hazard)
    sweep.step = model.steps
    if nt == 0:
        return contacts
    targets = who[0, :nt]
    found = np.flatnonzero(detection_draw(hazard[2, :nt], model.streams.detect))
    model.detected_cells[targets[found]] = True
    model.metrics.detections += len(found)
    rng = model.streams.detect
    for t in found.tolist():
        i, best_unit, best_air = who[:, t].tolist()
        ground, air, total = hazard[:, t].tolist()
        pick = rng.random() * total
        if pick >= ground and pick < ground + air and len(airs):
            strike = airs[best_air]
            if rng.random() < strike.spec.p_strike:
                engage.air_strike(model, i, strike)
                continue
        j = best_unit if best_unit >= 0 else nearest_unit_within(model, i, NEAREST_UNIT_PATROLS)
        if j >= 0:
            contacts.append((i, j))
    return contacts


class Sweep:
    """What the search keeps per model: the air assets' table, built once (the assets are
    placed when the model is built, build.py, and never move or change), and the ground
    hazards on the intact sites that this step's ``search`` worked out (``step``: the step it
    ran; None once ``search_sites`` has used them). Nothing between the two in a step moves a
    unit or finds a site, so ``search_sites`` takes them as they are; called without a search
    this step, or a second time, it works them out itself."""

    def __init__(self, model):
        airs = model.air_agents
        #: the assets' squares (one row (x, y) each) and (radius_km, effort / area,
        #: concealment_factor) rows, as ``cell_hazards`` takes them
        self.air_xy = np.array([(a.x, a.y) for a in airs], np.intp).reshape(-1, 2)
        self.air = np.array([(a.spec.radius_km, a.effort_km2 / a.area_km2,
                              a.spec.concealment_factor) for a in airs], float).reshape(-1, 3)
        n_sites = len(model.caches) + len(model.hideouts)
        #: the intact sites (caches, then hideouts) and their ground hazards
        self.sites = np.empty(n_sites, np.intp)
        self.site_hazard = np.empty(n_sites)
        self.n_caches = self.n_hideouts = 0
        self.step: int | None = None


#: Each model's ``Sweep``, dropped with the model.
_SWEEPS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _sweep(model) -> Sweep:
    sweep = _SWEEPS.get(model)
    if sweep is None:
        sweep = _SWEEPS[model] = Sweep(model)
    return sweep


def search_sites(model) -> None:
    """Searching units find and destroy caches and hideouts."""
    sweep = _sweep(model)
    if sweep.step != model.steps:
        _site_hazards(model, sweep)
    sweep.step = None
    n_caches, n_hideouts = sweep.n_caches, sweep.n_hideouts
    sites = sweep.sites
    # one draw per intact site, caches then hideouts: one call draws the very numbers that one
    # call per kind would (numpy fills an array draw by draw from the same generator state)
    hit = detection_draw(sweep.site_hazard[:n_caches + n_hideouts], model.streams.detect)
    if not hit.any():
        return
    found = sites[:n_caches][hit[:n_caches]]
    for k in found:
        model.caches.intact[k] = False
        model.caches.destroyed_step[k] = model.steps
        model.events.add("cache_destroyed", model.caches.x[k], model.caches.y[k],
                         caches=[int(k)], stock=float(model.caches.stock[k]))
        model.cache_agents[k].remove()
    model.metrics.caches_destroyed += len(found)
    found = sites[n_caches:n_caches + n_hideouts][hit[n_caches:]]
    if len(found) == 0:
        return
    c = model.cells
    pocket = c.active_in(Theatre.IRAQ)
    for k in found:
        hx, hy = model.hideouts.x[k], model.hideouts.y[k]
        model.hideouts.intact[k] = False
        model.hideouts.destroyed_step[k] = model.steps
        model.hideout_at[hx, hy] = -1
        inside = pocket[(c.x[pocket] == hx) & (c.y[pocket] == hy)]
        c.exposed[inside] += HIDEOUT_FOUND_EXPOSURE
        c.replan[inside] = True
        model.events.add("hideout_destroyed", hx, hy, cells=[int(i) for i in inside])
        model.hideout_agents[k].remove()
    model.metrics.hideouts_destroyed += len(found)


def _site_hazards(model, sweep: Sweep) -> None:
    """The ground hazards on the intact sites now (``site_hazards``) into ``sweep``."""
    net, u, nav = model.spec.networks, model.units, model.nav
    caches, hideouts = model.caches, model.hideouts
    search_mult, _ = model.plan.intensity()
    sweep.n_caches, sweep.n_hideouts = site_hazards(
        caches.intact, caches.x, caches.y, float(1.0 - net.cache_concealment), hideouts.intact,
        hideouts.x, hideouts.y, float(1.0 - net.hideout_concealment), u.strength, u.x, u.y,
        u.syria, u.patrol_km, u.search_effort_km2(model.step_hours), float(search_mult),
        nav.km_x, nav.km_y, sweep.sites, sweep.site_hazard)


def nearest_unit_within(model, i: int, patrol_multiple: float) -> int:
    """The nearest living unit of cell ``i``'s theatre within that many of its patrol radii
    (-1 if none)."""
    u, c, nav = model.units, model.cells, model.nav
    return int(nearest_unit(c.x[i], c.y[i], c.theatre[i] == Theatre.SYRIA, u.strength, u.x, u.y,
                            u.syria, u.patrol_km, float(patrol_multiple), nav.km_x, nav.km_y))
