"""Trigger conditions of standing orders: "cordon_gaps > 10", "attacks_syria_total per day > 5".

A condition compares one column of the per-step table (steps.csv, docs/outputs.md) with a
number, at the end of a step. ``COLUMN per day`` is the column's change over the last day (its
value now minus its value one day of steps earlier, or since day 0 in the first day): with
cumulative ``*_total`` columns it is a rate ("attacks in Syria in the last day").
"""

from __future__ import annotations

import operator
import re
from dataclasses import dataclass

OPERATORS = {">": operator.gt, ">=": operator.ge, "<": operator.lt, "<=": operator.le,
             "==": operator.eq}
_PATTERN = re.compile(r"^\s*([a-z][a-z0-9_]*)(\s+per\s+day)?\s*(>=|<=|==|>|<)\s*"
                      r"(-?\d+(?:\.\d+)?)\s*$")
TEXT_COLUMNS = ("phase_name",)


class TriggerError(ValueError):
    """A condition that cannot be read; ``allowed`` says what can be written."""

    def __init__(self, message: str, allowed: str):
        super().__init__(message)
        self.allowed = allowed


@dataclass(frozen=True)
class Trigger:
    column: str
    per_day: bool
    op: str
    number: float

    def __str__(self) -> str:
        return f"{self.column}{' per day' if self.per_day else ''} {self.op} {self.number:g}"

    def value(self, model) -> float:
        """The quantity compared, at the model's current step."""
        values = model.datacollector.model_vars[self.column]
        now = float(values[-1])
        if not self.per_day:
            return now
        back = int(round(1.0 / model.dt_days))
        before = float(values[max(len(values) - 1 - back, 0)])
        return now - before

    def holds(self, model) -> bool:
        return bool(OPERATORS[self.op](self.value(model), self.number))


def columns_of(sc) -> list[str]:
    """The numeric columns of a scenario's per-step table."""
    from encircle_sim.metrics import STEP_COLUMNS, town_column

    names = [c.name for c in STEP_COLUMNS if c.name not in TEXT_COLUMNS]
    towns = [town_column(t.label) for t in sc.retaliation.towns] if sc.theatres.syria else []
    return names + towns


def parse_trigger(text: str, sc) -> Trigger:
    """Read a condition; TriggerError says what is wrong and what is allowed."""
    form = "'COLUMN OP NUMBER' or 'COLUMN per day OP NUMBER', OP one of > >= < <= =="
    m = _PATTERN.match(text)
    if not m:
        raise TriggerError("cannot read this condition", form + ", e.g. 'cordon_gaps > 10'")
    column, per_day, op, number = m.group(1), bool(m.group(2)), m.group(3), float(m.group(4))
    allowed = columns_of(sc)
    if column not in allowed:
        raise TriggerError(f"no column {column!r} in steps.csv",
                           "a numeric column of steps.csv: " + ", ".join(allowed))
    return Trigger(column, per_day, op, number)
