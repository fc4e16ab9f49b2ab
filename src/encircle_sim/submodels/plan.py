"""Plan: the pressure on the group, the phases of the operation, and the end of the campaign.

Pressure on the pocket's group (driving calls and attacks elsewhere) is
``(1 - w) x cells lost / cells at day 0 + w x pocket ground cleared / initial ground``,
w = ``retaliation.pressure_area_weight``; the Syrian cells' own pressure is the share of them
no longer active. A phase ends when any of its conditions is met (``OperationPlan.phase_done``:
its day limit, the share of the perimeter band cleared, the pocket's remaining share of ground,
the share of cells left) or when no pocket cell is left; the next enabled phase starts, and the
campaign is over after the last. A run stops at ``time.max_days``, when no cell is active, or
when the Iraqi campaign is over and the Syrian theatre is off.
"""

from __future__ import annotations

from encircle_sim.operation import PHASE_LABELS, Phase
from encircle_sim.state import Theatre


def step(model) -> None:
    """Update pressure, move to the next phase when this one is done, stop when it is over."""
    c, plan = model.cells, model.plan
    pocket_active = len(c.active_in(Theatre.IRAQ))
    initial = model.iraq_cells_initial
    lost = initial - pocket_active
    share_left = pocket_active / initial if initial else 0.0
    w = model.spec.retaliation.pressure_area_weight
    if plan.active and initial:
        model.pressure = (1 - w) * lost / initial + w * (1.0 - plan.pocket_share)
    syria_active = len(c.active_in(Theatre.SYRIA))
    syria_created = int((c.theatre[: c.n] == Theatre.SYRIA).sum())
    model.pressure_syria = 1.0 - syria_active / syria_created if syria_created else 0.0
    if plan.active and plan.phase not in (Phase.NONE, Phase.ENDED):
        if plan.phase_done(model.day, share_left) or (initial and pocket_active == 0):
            nxt = plan.next_phase()
            if pocket_active == 0:
                nxt = Phase.ENDED
            plan.enter(nxt, model.steps, model.day)
            model.events.add("phase", None, None, phase=PHASE_LABELS[nxt])
    over = model.steps >= model.max_steps or not c.active.any()
    if plan.phase == Phase.ENDED and not model.spec.theatres.syria:
        over = True
    if over:
        model.running = False
