"""The model the live page drives: a CampaignModel whose keyword arguments are the page's controls.

SolaraViz rebuilds the model on Reset with ``type(model)(**params)``, where ``params`` are the
values of the sliders and inputs. :class:`LiveCampaignModel` takes exactly those controls and
turns them into ordinary scenario overrides (the same paths as ``--set``), so a model built on the
page is the model ``encircle-sim run --set ...`` would build, validated the same way.

Controls and what they change:

==============  ===================================================================================
scenario_name   a bundled scenario name, or the path of a scenario file
cells           ``insurgents.cells`` (cells in the pocket at day 0)
force_level     multiplier on every formation's ``units`` (rounded, at least 1 per formation)
detection       multiplier on every unit type's ``p_detect`` (capped at 1; air ISR unchanged)
border_sealing  ``border.sealing``
retaliation     ``retaliation.enabled`` (matters only when the Syrian theatre is on)
pressure_gain   ``retaliation.pressure_gain``
seed            the random seed; text from the page's input box, or an int (blank: scenario's)
==============  ===================================================================================
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from encircle_sim.model import CampaignModel
from encircle_sim.scenario import Scenario
from encircle_sim.scenario_files import DEFAULT_SCENARIO, bundled_scenarios, load_scenario

MAX_UNITS_PER_FORMATION = 500  # the schema's limit on forces[i].units
MAX_FORCE_LEVEL = 3.0
MAX_DETECTION = 3.0


@dataclass(frozen=True)
class Controls:
    """The page's controls for one model (``None``: the scenario's own value)."""

    scenario_name: str = DEFAULT_SCENARIO
    cells: int | None = None
    force_level: float = 1.0
    detection: float = 1.0
    border_sealing: float | None = None
    retaliation: bool | None = None
    pressure_gain: float | None = None
    seed: int | str | None = None


def parse_seed(value: Any, default: int) -> tuple[int, str | None]:
    """The seed to use and, if the text could not be used, a note saying so.

    The page's seed box hands over text once edited ("43"), and the model needs an integer.
    """
    if value is None or (isinstance(value, str) and not value.strip()):
        return default, None
    if isinstance(value, bool):
        return default, f"seed {value!r} is not a whole number; used the scenario's seed {default}"
    if isinstance(value, int):
        seed = value
    else:
        try:
            seed = int(str(value).strip())
        except ValueError:
            return default, (f"seed {str(value)!r} is not a whole number; "
                             f"used the scenario's seed {default}")
    if seed < 0:
        return default, f"seed {seed} is negative; used the scenario's seed {default}"
    return seed, None


def overrides_for(base: Scenario, c: Controls) -> dict[str, Any]:
    """Scenario overrides (``--set`` paths) for the controls that differ from ``base``."""
    out: dict[str, Any] = {}
    if c.cells is not None and int(c.cells) != base.insurgents.cells:
        out["insurgents.cells"] = int(c.cells)
    if c.force_level is not None and abs(float(c.force_level) - 1.0) > 1e-9:
        for i, f in enumerate(base.forces):
            units = min(MAX_UNITS_PER_FORMATION, max(1, round(f.units * float(c.force_level))))
            if units != f.units:
                out[f"forces[{i}].units"] = units
    if c.detection is not None and abs(float(c.detection) - 1.0) > 1e-9:
        for name, t in base.unit_types.items():
            p = min(1.0, round(t.p_detect * float(c.detection), 4))
            if p != t.p_detect:
                out[f"unit_types.{name}.p_detect"] = p
    if c.border_sealing is not None and abs(float(c.border_sealing) - base.border.sealing) > 1e-9:
        out["border.sealing"] = round(float(c.border_sealing), 4)
    if c.retaliation is not None and bool(c.retaliation) != base.retaliation.enabled:
        out["retaliation.enabled"] = bool(c.retaliation)
    if (c.pressure_gain is not None
            and abs(float(c.pressure_gain) - base.retaliation.pressure_gain) > 1e-9):
        out["retaliation.pressure_gain"] = round(float(c.pressure_gain), 4)
    return out


def scenario_choices(extra: str | None = None) -> list[str]:
    """What the page's scenario picker offers: the bundled names, plus a user's file if given."""
    names = list(bundled_scenarios())
    if extra and extra not in names:
        names.insert(0, extra)
    return names


def describe(ref: str) -> str:
    """Short label of a scenario reference for the page (a file shows as its name)."""
    return Path(ref).stem if ref.endswith(".toml") else ref


class LiveCampaignModel(CampaignModel):
    """A :class:`CampaignModel` built from the page's controls (see the module docstring).

    ``model.controls`` keeps what was asked, ``model.overrides`` what it changed in the scenario,
    and ``model.notes`` anything the page should tell the user (a seed it could not read).
    """

    def __init__(
        self,
        scenario_name: str = DEFAULT_SCENARIO,
        cells: int | None = None,
        force_level: float = 1.0,
        detection: float = 1.0,
        border_sealing: float | None = None,
        retaliation: bool | None = None,
        pressure_gain: float | None = None,
        seed: int | str | None = None,
    ):
        controls = Controls(str(scenario_name), cells, force_level, detection, border_sealing,
                            retaliation, pressure_gain, seed)
        base = load_scenario(controls.scenario_name)
        overrides = overrides_for(base, controls)
        scenario = load_scenario(controls.scenario_name, overrides) if overrides else base
        seed_value, note = parse_seed(seed, base.seed)
        super().__init__(scenario, rng=seed_value)
        self.controls = controls
        self.overrides = overrides
        self.notes = [note] if note else []
        capped = [k for k, v in overrides.items() if k.endswith("p_detect") and v == 1.0]
        if capped:
            self.notes.append(f"detection capped at 1 for {len(capped)} unit type(s)")

    def controls_dict(self) -> dict[str, Any]:
        return asdict(self.controls)


def adopt(model, note: str = "") -> LiveCampaignModel:
    """A model restored from a checkpoint, made the page's model: a LiveCampaignModel (so that
    Reset rebuilds from the page's controls), with a note for the page."""
    if not isinstance(model, LiveCampaignModel):
        model.__class__ = LiveCampaignModel
        model.controls = Controls(scenario_name=model.spec.name)
        model.overrides = {}
        model.notes = []
    model.notes = [*getattr(model, "notes", []), *([note] if note else [])]
    return model
