"""What the security forces know of the insurgent cells: where each was last located, and when.

Wargames keep two pictures: ground truth, and the commander's. The commander's picture here is
built at the end of every step from what the forces learned in it:

- **detected**: a unit or an air asset detected the cell this step (``model.detected_cells``);
- **attacked**: the cell revealed itself by ambushing or attacking (state ``attacking``);
- **reported**: something raised the cell's exposure this step (the model's record of fresh
  information on it): a contact it broke off, an air strike it survived, being turned back at
  the border, an attack in the Syrian theatre, or intelligence from a captured cell it was
  linked to;
- **captured** / **killed**: the forces took it out (known for certain; it leaves the picture).

Each located cell keeps its position at that moment; the picture shows it there, with the age
of the report, until a newer report moves it. Cells that escaped, dissolved or simply slipped
away unseen stay at their last known position, growing older: the fog of war the map's "what the
forces know" view shows. Only the model's public arrays are read.
"""

from __future__ import annotations

from enum import IntEnum

import numpy as np

from encircle_sim.knowledge_kernels import update_reports
from encircle_sim.state import CellState
from encircle_sim.submodels.detect import EXPOSURE_KEPT_PER_STEP


class Report(IntEnum):
    NONE = 0
    DETECTED = 1
    ATTACKED = 2
    REPORTED = 3
    CAPTURED = 4
    KILLED = 5


#: Ages at which the map draws a report fainter (days): fresh, recent, old, stale.
AGE_BINS = (1.0, 3.0, 7.0)

#: The states and reports as ``update_reports`` takes them (plain ints, in its order).
_KERNEL_CODES = (int(CellState.CAPTURED), int(CellState.NEUTRALISED), int(CellState.ATTACKING),
                 int(Report.REPORTED), int(Report.DETECTED), int(Report.ATTACKED),
                 int(Report.KILLED), int(Report.CAPTURED))


class Knowledge:
    """The commander's picture of every cell (rows aligned with ``model.cells``)."""

    def __init__(self, model):
        n = model.cells.capacity
        self.x = np.full(n, -1, np.int32)
        self.y = np.full(n, -1, np.int32)
        self.step = np.full(n, -1, np.int64)    # step of the last report (-1: never located)
        self.how = np.zeros(n, np.int8)         # Report of the last report
        self.out = np.zeros(n, bool)            # known to be captured or killed
        self._exposed = np.zeros(n, float)      # exposure at the last update, for "reported"
        model.cells.on_grow.append(self.grow)
        self.update(model)

    #: Value of each per-cell array for a cell not yet created.
    _FILL = {"x": -1, "y": -1, "step": -1, "how": Report.NONE, "out": False, "_exposed": 0.0}

    def grow(self, capacity: int) -> None:
        """Room for cells created after the start (recruits, joiners): the cell table grew."""
        for name, fill in self._FILL.items():
            old = getattr(self, name)
            grown = np.full(capacity, fill, old.dtype)
            grown[: len(old)] = old
            setattr(self, name, grown)

    def update(self, model) -> None:
        """Take in what the forces learned in the step just run (compiled:
        ``knowledge_kernels.update_reports``)."""
        c = model.cells
        now = int(model.steps)
        # the first that holds, in this order: captured, killed, attacked, detected, reported
        update_reports(c.n, now, EXPOSURE_KEPT_PER_STEP if now > 0 else 1.0, c.state,
                       c.ended_step, c.dissolved, model.detected_cells, c.x, c.y, c.exposed,
                       self.x, self.y, self.step, self.how, self.out, self._exposed,
                       *_KERNEL_CODES)

    def located(self) -> np.ndarray:
        """Cells the forces have located and believe still active."""
        return np.flatnonzero((self.step >= 0) & ~self.out)

    def age_days(self, model) -> np.ndarray:
        """Age of every cell's last report in days (inf for cells never located)."""
        age = (int(model.steps) - self.step) * float(model.dt_days)
        return np.where(self.step >= 0, age, np.inf)
