"""Orders to the security forces: given at any step, checked like scenario input, logged.

An order comes from the scenario file (``[[orders]]``, carried out on a ``day``, at a ``step`` or
``when`` a condition holds), from Python (``model.order("commit_reserve", axis=0)``), or from the
live page. Each is an :class:`~encircle_sim.scenario.OrderSpec`, checked against the scenario
and then against the campaign as it stands (a reserve already committed, a formation destroyed,
a cell never located); a bad order raises :class:`OrderError` (a ``ScenarioError``: every problem
with its key, value and what is allowed) and changes nothing. A good one is carried out at once,
between steps, so it takes effect in the next step, and is logged in the event log (kind
``order``). A standing order that cannot be carried out when its time comes is logged as
``order_failed`` with the reason.

The vocabulary (docs/orders.md):

==================  ===========================================================================
commit_reserve      the reserve (all its units, or one formation's) joins an axis (line
                    abreast, at its flanks), or takes up blocking positions at a cordon sector
                    (``largest_gap`` now, or a compass stretch) or a place
move                a formation with a position task (block, hunt, reserve) moves its position
task                a formation takes a new task: block or hunt (at a place, default where it
                    stands), reserve (where it stands), axis (on an axis)
border_sealing      ``border.sealing`` from now on
search_intensity    the current phase's ``search_intensity`` (Iraqi theatre), or the SDF units'
                    search effort relative to the scenario's (Syrian theatre)
next_phase          the operation enters its next phase now
air_strike          an air asset strikes the last known position of a located cell: it hits if
                    the cell is still within one square of it
==================  ===========================================================================

Runs write the orders they were given into ``scenario.resolved.toml`` as ``[[orders]]`` with
the ``step`` they were carried out at, so a run with orders replays exactly from its files.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import ndimage

from encircle_sim.knowledge import Knowledge
from encircle_sim.operation import PHASE_LABELS, Phase
from encircle_sim.scenario import (
    SECTORS,
    OrderSpec,
    Problem,
    Scenario,
    axis_index,
    axis_names,
    order_problems,
)
from encircle_sim.scenario_files import ScenarioError
from encircle_sim.state import CellState, Task, Theatre

#: The reserve committed to a cordon sector or a place blocks within this radius by default.
RESERVE_BLOCK_KM = 15.0
#: An ordered air strike hits a cell still within this many squares of its last known position.
STRIKE_REACH_SQUARES = 1
#: air_strike by place: the located cell nearest the place, within this distance.
STRIKE_PLACE_KM = 25.0
PHASE_KEYS = {Phase.PERIMETER: "perimeter", Phase.ADVANCE: "advance", Phase.ASSAULT: "assault"}
COMPASS = {name: k * 45.0 for k, name in enumerate(SECTORS[1:])}  # north 0, north-east 45, ...


class OrderError(ScenarioError):
    """An order that cannot be carried out; nothing was changed."""


def parse_order(model, order: OrderSpec | Mapping[str, Any] | str, source: str = "order",
                **fields: Any) -> OrderSpec:
    """An OrderSpec from an OrderSpec, a dict, or an order name and keyword fields, checked
    against the model's scenario (OrderError with every problem)."""
    from encircle_sim.scenario_files import _problem_from_pydantic

    if isinstance(order, OrderSpec):
        spec = order.model_copy(update=fields) if fields else order
        data = None
    else:
        data = dict(order) if isinstance(order, Mapping) else {"order": order}
        data.update(fields)
        try:
            spec = OrderSpec.model_validate(data)
        except Exception as err:  # pydantic ValidationError: report like scenario input
            errors = getattr(err, "errors", None)
            if errors is None:
                raise
            problems = []
            for e in errors():
                p = _problem_from_pydantic(e)
                problems.append(Problem(p.path, p.message, p.value, p.allowed, hint=p.hint))
            raise OrderError(source, problems) from None
    problems = order_problems(model.spec, spec, "")
    if problems:
        raise OrderError(source, problems)
    return spec


@dataclass
class Standing:
    """A standing order of the scenario and whether it was carried out already."""

    spec: OrderSpec
    done: bool = False


class Command:
    """The security forces' command: standing and given orders, and what the forces know.

    Made by the model after it is built (``model.command``) and told the end of every step
    (:meth:`after_step`); :meth:`give` carries out an order now.
    """

    def __init__(self, model):
        self.model = model
        self.original = model.spec  # the scenario as it started (orders may change model.spec)
        self.standing = [Standing(o) for o in model.spec.orders]
        self.given: list[OrderSpec] = []  # orders given while running, stamped with their step
        self.knowledge = Knowledge(model)
        u = model.units
        self.base_sensor_km = u.sensor_km.copy()  # SDF search intensity scales from these
        self._triggers = {}
        self._standing_due()

    # ---- giving orders ------------------------------------------------------------------------
    def give(self, order, **fields: Any) -> OrderSpec:
        """Check and carry out an order now (effective from the next step); returns it."""
        spec = parse_order(self.model, order, **fields)
        text, where = self._carry_out(spec)  # raises OrderError before changing anything
        stamped = spec.model_copy(update={"step": int(self.model.steps), "day": None,
                                          "when": None})
        self.given.append(stamped)
        self._log(spec, text, where, "given")
        return stamped

    def after_step(self) -> None:
        """The end of a step: update the forces' picture, carry out standing orders now due."""
        self.knowledge.update(self.model)
        self._standing_due()

    def _standing_due(self) -> None:
        m = self.model
        if not m.running and m.steps > 0:
            return
        for k, st in enumerate(self.standing):
            if st.done or not self._due(k, st.spec):
                continue
            st.done = True
            # a run writes the orders it was given as standing orders at their step: "given"
            source = ("trigger" if st.spec.when else "given" if st.spec.step is not None
                      else "scenario")
            try:
                text, where = self._carry_out(st.spec)
            except OrderError as err:
                m.events.add("order_failed", None, None, order=st.spec.order,
                             reason="; ".join(str(p) for p in err.problems), source=source)
                continue
            self._log(st.spec, text, where, source)

    def _due(self, k: int, o: OrderSpec) -> bool:
        m = self.model
        if o.step is not None:
            return m.steps >= o.step
        if o.day is not None:
            return m.day >= o.day - 1e-9
        if o.when is not None:
            from encircle_sim.triggers import parse_trigger

            trig = self._triggers.get(k)
            if trig is None:
                trig = self._triggers[k] = parse_trigger(o.when, m.spec)
            return trig.holds(m)
        return True  # no time given: at once

    def _log(self, o: OrderSpec, text: str, where, source: str) -> None:
        x, y = where if where is not None else (None, None)
        self.model.events.add("order", x, y, order=text, source=source,
                              effective_step=int(self.model.steps) + 1)

    def scenario_for_replay(self) -> Scenario:
        """The scenario as it started, with the orders given while running appended (with their
        steps): running it again gives the same run."""
        if not self.given:
            return self.original
        return self.original.model_copy(update={"orders": [*self.original.orders,
                                                           *self.given]})

    # ---- carrying out -------------------------------------------------------------------------
    def _fail(self, o: OrderSpec, key: str, message: str, value=None, allowed: str = ""):
        raise OrderError("order", [Problem(key, message, value, allowed)])

    def _formation(self, o: OrderSpec) -> int:
        return [f.name for f in self.model.spec.forces].index(o.formation)

    def _units(self, o: OrderSpec, fi: int) -> np.ndarray:
        u = self.model.units
        idx = np.flatnonzero(u.alive & (u.formation == fi))
        if len(idx) == 0:
            self._fail(o, "formation", "no unit of this formation is left", o.formation,
                       "a formation with units still in the field")
        return idx

    def _carry_out(self, o: OrderSpec) -> tuple[str, tuple[int, int] | None]:
        """Do what ``o`` says; returns (what was done in words, the square it concerns).

        Every check that can fail comes before the first change."""
        return getattr(self, f"_{o.order}")(o)

    def _square(self, loc) -> tuple[int, int]:
        m = self.model
        ix, iy = m.region.cell_of(loc.lat, loc.lon)
        x, y = m.nav.snap(np.array([ix]), np.array([iy]))
        return int(x[0]), int(y[0])

    def _commit_reserve(self, o: OrderSpec):
        m, u = self.model, self.model.units
        reserve = u.alive & (u.task == Task.RESERVE)
        if o.formation is not None:
            reserve &= u.formation == self._formation(o)
        idx = np.flatnonzero(reserve)
        who = f"the reserve ({o.formation})" if o.formation else "the reserve"
        if len(idx) == 0:
            self._fail(o, "formation" if o.formation else "order", f"{who} has no units left "
                       "to commit (already committed or destroyed)", o.formation,
                       "a formation with task 'reserve'")
        if o.axis is not None:
            a = axis_index(m.spec, o.axis)
            if u.syria[idx].any():
                self._fail(o, "axis", "SDF units do not take part in the Iraqi encirclement",
                           o.axis, "a sector or a place")
            self._join_axis(idx, a)
            name = axis_names(m.spec)[a]
            start = m.plan.axes[a].front
            return (f"commit {who}, {len(idx)} units, to {name}",
                    (int(round(start[0])), int(round(start[1]))))
        if o.sector is not None:
            cx, cy = self._sector_square(o)
            where_text = ("the largest gap in the cordon" if o.sector == "largest_gap"
                          else f"the {o.sector} of the cordon")
        else:
            cx, cy = self._square(o.place)
            where_text = o.place.label
        radius = o.radius_km or RESERVE_BLOCK_KM
        self._block_at(idx, cx, cy, radius)
        near = m.region.nearest_place(cx, cy)
        return (f"commit {who}, {len(idx)} units, to block at {where_text} ({near}), "
                f"{radius:g} km around", (cx, cy))

    def _join_axis(self, idx: np.ndarray, a: int) -> None:
        u = self.model.units
        spacing = self.model.spec.operation.axis_spacing_km
        on = np.flatnonzero(u.alive & (u.task == Task.AXIS) & (u.axis == a))
        edge = float(np.abs(u.slot[on]).max()) if len(on) else -spacing / 2.0
        k = np.arange(len(idx))
        side = np.where(k % 2 == 0, 1.0, -1.0)
        u.slot[idx] = side * (edge + spacing * (k // 2 + 1)) if len(on) else \
            (k - (len(idx) - 1) / 2.0) * spacing
        u.task[idx] = Task.AXIS
        u.axis[idx] = a
        u.home_x[idx], u.home_y[idx] = u.x[idx], u.y[idx]

    def _block_at(self, idx: np.ndarray, cx: int, cy: int, radius_km: float) -> None:
        m, u = self.model, self.model.units
        hx, hy = m.nav.random_points_in_disc(cx, cy, radius_km, m.streams.orders, len(idx))
        u.task[idx] = Task.BLOCK
        u.axis[idx] = -1
        u.home_x[idx], u.home_y[idx] = hx, hy
        u.area_r_km[idx] = radius_km
        u.on_station[idx] = False

    def _sector_square(self, o: OrderSpec) -> tuple[int, int]:
        m = self.model
        plan = m.plan
        if not plan.active or not len(plan.cordon_xy):
            self._fail(o, "sector", "there is no cordon", o.sector, "a place")
        xy = plan.cordon_xy
        if o.sector == "largest_gap":
            iraq = m.units.alive & ~m.units.syria
            _, _, covered = plan.cordon_gaps(m.units.x[iraq], m.units.y[iraq])
            gap = np.zeros(plan.area.shape, bool)
            gap[xy[~covered, 0], xy[~covered, 1]] = True
            labels, n = ndimage.label(gap, structure=np.ones((3, 3), bool))
            if n == 0:
                self._fail(o, "sector", "the cordon has no gap now", o.sector,
                           "a compass sector or a place")
            sizes = ndimage.sum_labels(gap, labels, index=np.arange(1, n + 1))
            cells = np.argwhere(labels == int(np.argmax(sizes)) + 1)
        else:
            centre = np.argwhere(plan.area).mean(axis=0)
            km = np.array([float(np.mean(m.nav.km_x)), m.nav.km_y])
            d = (xy - centre) * km
            bearing = np.degrees(np.arctan2(d[:, 0], d[:, 1])) % 360.0
            off = np.abs((bearing - COMPASS[o.sector] + 180.0) % 360.0 - 180.0)
            cells = xy[off <= 22.5]
            if len(cells) == 0:
                self._fail(o, "sector", "the cordon has no stretch in that direction", o.sector,
                           ", ".join(SECTORS))
        mid = cells.mean(axis=0)
        k = int(np.argmin(((cells - mid) ** 2).sum(axis=1)))
        return int(cells[k, 0]), int(cells[k, 1])

    def _move(self, o: OrderSpec):
        m, u = self.model, self.model.units
        fi = self._formation(o)
        idx = self._units(o, fi)
        tasks = {Task(t).name.lower() for t in np.unique(u.task[idx])}
        if not tasks <= {"block", "hunt", "reserve"}:
            self._fail(o, "formation", f"{o.formation} has task {', '.join(sorted(tasks))}, "
                       "which follows a lane or an axis, not a position", o.formation,
                       "give it the task block or hunt at the place (order = 'task')")
        cx, cy = self._square(o.place)
        radius = o.radius_km or float(m.spec.forces[fi].area_km)
        block = idx[u.task[idx] == Task.BLOCK]
        if len(block):
            self._block_at(block, cx, cy, radius)
        other = idx[u.task[idx] != Task.BLOCK]
        u.home_x[other], u.home_y[other] = cx, cy
        u.area_r_km[other] = radius
        u.on_station[other] = False
        return f"move {o.formation} ({len(idx)} units) to {o.place.label}", (cx, cy)

    def _task(self, o: OrderSpec):
        m, u = self.model, self.model.units
        fi = self._formation(o)
        idx = self._units(o, fi)
        if o.task == "axis":
            a = axis_index(m.spec, o.axis)
            self._join_axis(idx, a)
            return (f"{o.formation} ({len(idx)} units) joins {axis_names(m.spec)[a]}",
                    (int(u.x[idx[0]]), int(u.y[idx[0]])))
        if o.place is not None:
            cx, cy = self._square(o.place)
            where = o.place.label
        else:
            x, y = np.rint(u.x[idx].mean()), np.rint(u.y[idx].mean())
            sx, sy = m.nav.snap(np.array([int(x)]), np.array([int(y)]))
            cx, cy = int(sx[0]), int(sy[0])
            where = m.region.nearest_place(cx, cy)
        radius = o.radius_km or float(m.spec.forces[fi].area_km)
        if o.task == "block":
            self._block_at(idx, cx, cy, radius)
        else:
            u.task[idx] = Task.HUNT if o.task == "hunt" else Task.RESERVE
            u.axis[idx] = -1
            u.home_x[idx], u.home_y[idx] = cx, cy
            u.area_r_km[idx] = radius
            u.on_station[idx] = False
        return f"{o.formation} ({len(idx)} units) to {o.task} at {where}", (cx, cy)

    def _respec(self, changes: dict[str, Any]) -> None:
        """A new validated scenario for the model (and its plan) with ``changes``."""
        from encircle_sim.scenario_files import with_overrides

        m = self.model
        m.spec = with_overrides(m.spec, changes)
        m.plan.scenario = m.spec

    def _border_sealing(self, o: OrderSpec):
        before = self.model.spec.border.sealing
        self._respec({"border.sealing": float(o.value)})
        return f"border sealing {before:g} -> {o.value:g}", None

    def _search_intensity(self, o: OrderSpec):
        m, u = self.model, self.model.units
        if o.theatre == "syria":
            sdf = np.flatnonzero(u.syria)
            if not u.alive[sdf].any():
                self._fail(o, "theatre", "no SDF unit is left", o.theatre, "'iraq'")
            u.set_sensor_km(sdf, self.base_sensor_km[sdf] * float(o.value))
            return f"SDF search effort x{o.value:g} of the scenario's", None
        key = PHASE_KEYS.get(m.plan.phase)
        if key is None:
            self._fail(o, "order", f"no phase of the operation is running "
                       f"({m.phase_label})", o.order, "an order while phase 1, 2 or 3 runs")
        before = getattr(m.spec.phases, key).search_intensity
        self._respec({f"phases.{key}.search_intensity": float(o.value)})
        return f"search intensity of {PHASE_LABELS[m.plan.phase]} {before:g} -> {o.value:g}", None

    def _next_phase(self, o: OrderSpec):
        m = self.model
        plan = m.plan
        if not plan.active or plan.phase in (Phase.NONE, Phase.ENDED):
            self._fail(o, "order", f"no phase of the operation is running ({m.phase_label})",
                       o.order, "an order while phase 1, 2 or 3 runs")
        before = m.phase_label
        nxt = plan.next_phase()
        plan.enter(nxt, m.steps, m.day)
        m.events.add("phase", None, None, phase=PHASE_LABELS[nxt])
        return f"start the next phase now: {before} -> {PHASE_LABELS[nxt]}", None

    def _air_strike(self, o: OrderSpec):
        from encircle_sim.submodels import engage

        m = self.model
        c, k = m.cells, self.knowledge
        located = k.located()
        if o.cell is not None:
            ids = [int(m.cell_agents[i].unique_id) for i in range(c.n)]
            if o.cell not in ids:
                self._fail(o, "cell", "no such cell", o.cell, "the id of a cell (events.csv, "
                           "column cells)")
            i = ids.index(o.cell)
            if i not in set(located.tolist()):
                self._fail(o, "cell", "the forces have not located this cell (or know it is "
                           "out of action)", o.cell, "a cell the forces have located (the "
                           "map's 'what the forces know' view)")
        else:
            if len(located) == 0:
                self._fail(o, "place", "the forces have located no cell", o.place.label,
                           "an order once a cell has been located")
            px, py = self._square(o.place)
            d = m.nav.distance_km(k.x[located], k.y[located], px, py)
            j = int(np.argmin(d))
            if d[j] > STRIKE_PLACE_KM:
                self._fail(o, "place", f"no located cell within {STRIKE_PLACE_KM:g} km of it",
                           o.place.label, "a place near a located cell")
            i = int(located[j])
        airs = m.air_agents
        air = airs[[a.name for a in airs].index(o.air)] if o.air is not None else airs[0]
        tx, ty = int(k.x[i]), int(k.y[i])
        age = (m.steps - k.step[i]) * m.dt_days
        cid = int(m.cell_agents[i].unique_id)
        there = (c.state[i] <= CellState.ATTACKING and abs(int(c.x[i]) - tx) <= STRIKE_REACH_SQUARES
                 and abs(int(c.y[i]) - ty) <= STRIKE_REACH_SQUARES)
        if there:
            engage.air_strike(m, i, air)
            result = "hit"
        else:
            result = "nothing there any more"
        theatre = "Syria" if c.theatre[i] == Theatre.SYRIA else "Iraq"
        return (f"air strike by {air.name} on cell {cid} ({theatre}) at its position of "
                f"{age:g} days ago: {result}", (tx, ty))
