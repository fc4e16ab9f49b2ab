"""Plan: the pressure on the group, the phases of the operation, and the end of the campaign.

Pressure on a group (0-1) drives its calls for retaliation and its sleepers' attacks. It is what
the group feels, its losses or the forces closing on it, whichever is larger:

- the Iraqi group: losses = ``(1 - w) x cells lost / cells at day 0 + w x ground cleared /
  initial ground`` (w = ``retaliation.pressure_area_weight``); alarm = the share of its active
  cells that perceive a threat above ``insurgents.flee_threat`` (the sweeps and axes on them);
- the Syrian cells: losses = the share of them no longer active; alarm = the share that perceive
  SDF threat above flee_threat (the hunt).

A phase ends when its ground is swept and contact in that ground has ceased for its
``quiet_days``, when the
share of the group's cells left falls to its ``cells_left_share``, or on its day limit
(``OperationPlan.phase_end``); the next enabled phase then starts. The operation ends after its
last phase, or at once when no cell is left in the area: "group destroyed" if none escaped,
"no cells left in the area" otherwise. A run stops at ``time.max_days``, when no cell is active
in either theatre, or when the Iraqi operation is over and the Syrian theatre is off.
"""

from __future__ import annotations

import numpy as np

from encircle_sim.census_kernels import alarm_census
from encircle_sim.operation import PHASE_LABELS, Phase


def alarm(alarmed: int, active: int) -> float:
    """The share of a theatre's ``active`` cells that perceive a threat above flee_threat
    (``alarmed`` of them); 0 when none is active."""
    return alarmed / active if active else 0.0


def step(model, threat: np.ndarray) -> None:
    """Update pressure, move to the next phase when this one is done, stop when it is over."""
    c, plan = model.cells, model.plan
    # per theatre: cells created, active, and active perceiving a threat above flee_threat
    (_, pocket_active, pocket_alarmed), (syria_created, syria_active, syria_alarmed) = \
        alarm_census(c.n, c.state, c.theatre, c.x, c.y, threat,
                     float(model.spec.insurgents.flee_threat)).tolist()
    initial = model.iraq_cells_initial
    lost = initial - pocket_active
    share_left = pocket_active / initial if initial else 0.0
    w = model.spec.retaliation.pressure_area_weight
    if plan.active and initial:
        losses = (1 - w) * lost / initial + w * (1.0 - plan.pocket_share)
        model.pressure = max(losses, alarm(pocket_alarmed, pocket_active))
    if syria_created:
        model.pressure_syria = max(1.0 - syria_active / syria_created,
                                   alarm(syria_alarmed, syria_active))
    if plan.active and plan.phase not in (Phase.NONE, Phase.ENDED):
        reason = plan.phase_end(model.day, share_left, model.day - model.last_contact_day)
        if initial and pocket_active == 0:
            escaped = int((c.escaped_via[: c.n] > 0).sum())
            reason = "no cells left in the area" if escaped else "group destroyed"
        if reason is not None:
            plan.end_reasons[plan.phase] = reason
            nxt = plan.next_phase()
            if pocket_active == 0:
                nxt = Phase.ENDED
            if nxt == Phase.ENDED:
                plan.end_reason = reason
            plan.enter(nxt, model.steps, model.day)
            model.last_contact_day = model.day   # a new phase has not been quiet yet
            model.events.add("phase", None, None, phase=PHASE_LABELS[nxt], reason=reason)
    over = model.steps >= model.max_steps or pocket_active + syria_active == 0
    if plan.phase == Phase.ENDED and not model.spec.theatres.syria:
        over = True
    if over:
        model.running = False
