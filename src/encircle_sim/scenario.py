"""The scenario schema: every parameter a campaign run needs, with its unit, range and source.

A scenario is one TOML file (see ``scenario_files`` for loading, variants and overrides). This
module only says what a valid scenario is. Each field carries, in its pydantic metadata, the unit
and the source or rationale of its default; ``docs/scenario-reference.md`` and the parameter
tables of ``docs/ODD.md`` are generated from it, so they cannot drift from the code.

Validation is strict (no silent string-to-number coercion) and forbids unknown keys. Checks that
involve several fields at once (places inside the map, an axis index that exists, ...) live in
:func:`consistency_errors`, so that all of them are reported together.
"""

from __future__ import annotations

import datetime as _dt
import math
import re
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PlainSerializer, PlainValidator, WithJsonSchema

from encircle_sim.geography import MapWindow, UnknownPlace, load_region

#: The source of parameters chosen by pattern-oriented calibration (no source pins them down).
CALIBRATED = "calibrated to the documented patterns (docs/patterns.md, ODD 8)"

# --------------------------------------------------------------------------------------------
# Field helper: a default with unit, range, meaning and source in one place.
# --------------------------------------------------------------------------------------------


def param(default: Any, doc: str, *, unit: str = "", source: str = "", **constraints: Any):
    """A schema field whose metadata feeds the generated reference and ODD tables.

    A class given as ``default`` is called for each new scenario (a default factory), so
    defaults that need the gazetteer are not built at import time.
    """
    if isinstance(default, type):
        constraints["default_factory"] = default
    else:
        constraints["default"] = default
    return Field(
        description=doc,
        json_schema_extra={"unit": unit, "source": source},
        **constraints,
    )


class Section(BaseModel):
    """Base for every table of the scenario file: strict types, no unknown keys."""

    model_config = ConfigDict(extra="forbid", strict=True, validate_default=True, frozen=False)


# --------------------------------------------------------------------------------------------
# Locations: a gazetteer name or [lat, lon]
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Loc:
    """A resolved location: what the user wrote (``label``) and its coordinates."""

    label: str
    lat: float
    lon: float
    named: bool  # True when given as a gazetteer name

    def as_input(self) -> str | list[float]:
        """The value as a scenario file writes it."""
        return self.label if self.named else [self.lat, self.lon]


LOCATION_HELP = "a place name from the gazetteer (see `encircle-sim list places`) or [lat, lon]"


def _to_loc(value: Any) -> Loc:
    if isinstance(value, Loc):
        return value
    if isinstance(value, str):
        try:
            place = load_region().place(value)
        except UnknownPlace as err:
            names = ", ".join(repr(s) for s in err.suggestions)
            hint = f"; did you mean {names}?" if err.suggestions else ""
            raise ValueError(f"unknown place {value!r}{hint}") from None
        return Loc(place.name, place.lat, place.lon, True)
    if (
        isinstance(value, (list, tuple))
        and len(value) == 2
        and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in value)
    ):
        lat, lon = float(value[0]), float(value[1])
        if not (-90 <= lat <= 90 and -180 <= lon <= 180):
            raise ValueError(f"[lat, lon] out of range: {list(value)}")
        return Loc(f"{lat:.3f}N {lon:.3f}E", lat, lon, False)
    raise ValueError(f"expected {LOCATION_HELP}")


Location = Annotated[
    Loc,
    PlainValidator(_to_loc),
    PlainSerializer(lambda loc: loc.as_input()),
    WithJsonSchema({"anyOf": [{"type": "string"}, {"type": "array", "items": {"type": "number"}}]}),
]

# --------------------------------------------------------------------------------------------
# Sections
# --------------------------------------------------------------------------------------------

SIDES = ("ISF", "PMF", "Coalition", "SDF")
TASKS = ("perimeter", "axis", "block", "border_screen", "hunt", "reserve")
TERRAIN_NAMES = ("open", "rough", "wadi", "river", "lake", "urban", "cultivated")


class MapSpec(Section):
    """The geographic window of the grid and its resolution."""

    south: float = param(33.0, "southern edge of the map", unit="deg N", ge=29.0, le=40.0,
                         source="covers the Anbar-Nineveh-Salahuddin triangle and Deir Ezzor")
    north: float = param(37.5, "northern edge of the map", unit="deg N", ge=29.0, le=40.0,
                         source="covers Hasakah and the Turkish-border end of the Iraq-Syria "
                         "border")
    west: float = param(38.5, "western edge of the map", unit="deg E", ge=35.0, le=49.0,
                        source="west of Deir ez-Zor and the Jordan tripoint")
    east: float = param(44.5, "eastern edge of the map", unit="deg E", ge=35.0, le=49.0,
                        source="east of the Tigris (Samarra-Mosul)")
    cell_km: float = param(5.0, "grid cell size", unit="km", ge=2.0, le=20.0,
                           source="a platoon's observation and patrol scale; 2-20 km supported")

    def window(self) -> MapWindow:
        return MapWindow(self.south, self.north, self.west, self.east, self.cell_km)


class TimeSpec(Section):
    """The clock."""

    step_hours: Literal[1, 2, 3, 4, 6, 8, 12, 24] = param(
        6, "length of one model step", unit="h",
        source="four steps a day: insurgents move mostly at night, forces by day")
    max_days: float = param(45.0, "campaign length if the group is not destroyed first",
                            unit="days",
                            gt=0.0, le=365.0,
                            source="Victory Will's phases ran about six weeks (July-Aug 2019)")
    start_date: _dt.date = param(_dt.date(2019, 7, 7), "calendar date of day 0 (labels only)",
                                 source="Victory Will phase 1 began on 7 July 2019")


class TheatreSpec(Section):
    """Which theatres are simulated and whether they are coupled."""

    iraq: bool = param(True, "simulate the Iraqi pocket campaign")
    syria: bool = param(False, "simulate the Deir Ezzor theatre (sleeper cells, SDF operations)")
    coupled: bool = param(False, "pressure on the pocket drives Syrian attacks and border escapes "
                          "join the Syrian cells (needs both theatres)")


class TerrainSpec(Section):
    """How a terrain class slows movement and hides cells."""

    move_cost: float = param(1.0, "time to cross 1 km relative to open desert", unit="x",
                             ge=0.2, le=50.0)
    concealment: float = param(0.3, "share of detection effort defeated by the terrain", unit="0-1",
                               ge=0.0, le=0.99)


TERRAIN_DEFAULTS: dict[str, dict[str, float]] = {
    # Rationale: off-road going and cover in the western Jazira desert; see ODD 'Input data'.
    "open": {"move_cost": 1.0, "concealment": 0.15},
    "rough": {"move_cost": 2.5, "concealment": 0.70},
    "wadi": {"move_cost": 1.8, "concealment": 0.60},
    "river": {"move_cost": 8.0, "concealment": 0.40},
    "lake": {"move_cost": 50.0, "concealment": 0.0},
    "urban": {"move_cost": 1.5, "concealment": 0.55},
    "cultivated": {"move_cost": 1.4, "concealment": 0.45},
}


class UnitTypeSpec(Section):
    """Capabilities of one type of security-force unit."""

    speed_offroad_kmh: float = param(15.0, "cross-country speed on open desert", unit="km/h",
                                     ge=0.01, le=120.0)
    speed_road_kmh: float = param(40.0, "speed on roads", unit="km/h", ge=0.01, le=150.0)
    move_hours_per_day: float = param(10.0, "hours per day spent moving or patrolling",
                                      unit="h/day",
                                      ge=0.0, le=24.0)
    sensor_km: float = param(3.0, "range at which a cell in the open can be detected", unit="km",
                             gt=0.0, le=60.0)
    p_detect: float = param(0.14, "chance a cell inside sensor range is seen when swept",
                            unit="0-1", ge=0.0, le=1.0)
    search_speed_kmh: float = param(6.0, "speed while searching (the sweep rate's v)", unit="km/h",
                                    gt=0.0, le=300.0)
    patrol_km: float = param(8.0, "radius of the area a unit searches around its position",
                             unit="km", ge=0.01, le=200.0)
    engaged_max: int = param(40, "most soldiers of the unit that can fire in one contact",
                             unit="persons", ge=1, le=5000)
    firepower: float = param(0.011, "Lanchester aimed-fire coefficient: enemy fighters put out of "
                             "action per firing soldier per hour", unit="1/h", ge=0.0, le=5.0)
    vulnerability: float = param(1.0, "multiplier on the enemy's firepower against this unit "
                                 "(armour < 1)", unit="x", ge=0.0, le=5.0)


UNIT_TYPE_DEFAULTS: dict[str, dict[str, float | int]] = {
    "infantry": dict(speed_offroad_kmh=15.0, speed_road_kmh=40.0, move_hours_per_day=10.0,
                     sensor_km=3.0, p_detect=0.14, search_speed_kmh=6.0, patrol_km=8.0,
                     engaged_max=40, firepower=0.011, vulnerability=1.0),
    "mechanised": dict(speed_offroad_kmh=20.0, speed_road_kmh=50.0, move_hours_per_day=10.0,
                       sensor_km=4.0, p_detect=0.14, search_speed_kmh=10.0, patrol_km=12.0,
                       engaged_max=60, firepower=0.018, vulnerability=0.5),
    "border_guard": dict(speed_offroad_kmh=10.0, speed_road_kmh=40.0, move_hours_per_day=6.0,
                         sensor_km=5.0, p_detect=0.16, search_speed_kmh=4.0, patrol_km=6.0,
                         engaged_max=30, firepower=0.009, vulnerability=0.8),
    "special_forces": dict(speed_offroad_kmh=25.0, speed_road_kmh=60.0, move_hours_per_day=12.0,
                           sensor_km=4.0, p_detect=0.19, search_speed_kmh=12.0, patrol_km=15.0,
                           engaged_max=30, firepower=0.027, vulnerability=0.6),
    "militia": dict(speed_offroad_kmh=15.0, speed_road_kmh=40.0, move_hours_per_day=8.0,
                    sensor_km=3.0, p_detect=0.11, search_speed_kmh=6.0, patrol_km=8.0,
                    engaged_max=40, firepower=0.009, vulnerability=1.0),
    "sdf_infantry": dict(speed_offroad_kmh=12.0, speed_road_kmh=40.0, move_hours_per_day=8.0,
                         sensor_km=3.0, p_detect=0.12, search_speed_kmh=5.0, patrol_km=8.0,
                         engaged_max=30, firepower=0.009, vulnerability=1.0),
}


class ForceSpec(Section):
    """A group of identical security-force units with one task."""

    name: str = param(..., "label of the formation", min_length=1)
    side: Literal["ISF", "PMF", "Coalition", "SDF"] = param(
        "ISF", "who the units belong to (SDF operate in Syria, the others in Iraq)")
    type: str = param("infantry", "a key of [unit_types]")
    units: int = param(1, "number of unit agents in this formation", unit="units", ge=1, le=500)
    strength: int = param(150, "personnel per unit agent", unit="persons", ge=5, le=5000)
    start: Location = param(..., "where the units assemble at day 0")
    task: Literal["perimeter", "axis", "block", "border_screen", "hunt", "reserve"] = param(
        "reserve", "what the units do: sweep a perimeter sector, advance on an axis, hold a "
        "blocking position, screen the border, hunt in an area, or wait in reserve")
    axis: int | None = param(None, "index of the axis in operation.axes (task 'axis' only)",
                             unit="index", ge=0)
    area: Location | None = param(None, "centre of the hunt area or blocking position "
                                  "(task 'hunt'/'block'; default: the start point)")
    area_km: float = param(25.0, "radius of the hunt area or of a blocking position's spread",
                           unit="km", gt=0.0, le=300.0)


class AirSpec(Section):
    """An air or ISR asset watching an area."""

    name: str = param(..., "label", min_length=1)
    side: Literal["ISF", "PMF", "Coalition", "SDF"] = param("Coalition", "who flies it")
    area: Location = param(..., "centre of the area it watches")
    radius_km: float = param(60.0, "radius of the watched area", unit="km", ge=0.01, le=500.0)
    hours_per_day: float = param(8.0, "time on station per day", unit="h/day", ge=0.0, le=24.0)
    sweep_width_km: float = param(2.0, "effective sweep width W of its sensor", unit="km",
                                  gt=0.0, le=50.0)
    speed_kmh: float = param(150.0, "search speed over the area", unit="km/h", gt=0.0, le=1000.0)
    concealment_factor: float = param(0.8, "how much terrain concealment still counts against it "
                                      "(thermal/overhead view: < 1)", unit="x", ge=0.0, le=1.0)
    p_strike: float = param(0.1, "chance a cell it detects is struck the same step", unit="0-1",
                            ge=0.0, le=1.0)
    strike_kill_share: float = param(0.25, "mean share of a struck cell's fighters put out of "
                                     "action", unit="0-1", ge=0.0, le=1.0)


class AxisSpec(Section):
    """One axis of advance in phase 2."""

    name: str = param("", "label (default: 'axis N from START')")
    start: Location = param(..., "where the axis begins")
    objective: Location | None = param(None, "where it heads (default: the pocket centre)")
    advance_km_per_day: float = param(15.0, "rate of advance of the front on this axis",
                                      unit="km/day", gt=0.0, le=200.0)


# The desert triangle of Victory Will: the Euphrates (Husaybah-Rawa-Haditha) in the south, the
# Haditha-Baiji desert road and the Tigris (Baiji-Sharqat) in the east, the Hatra-Baaj desert in
# the north and the Syrian border (Natural Earth vertices) in the west.
DEFAULT_OPERATION_AREA = (
    "Husaybah", "Rawa", "Haditha", "Baiji", "Al-Shirqat", "Hatra", "Al-Baaj",
    [36.060, 41.237], [35.826, 41.355], [35.494, 41.261], [35.182, 41.192], [34.793, 41.204],
)


class OperationSpec(Section):
    """The operation area and plan."""

    area: list[Location] = param(
        list(DEFAULT_OPERATION_AREA), "vertices of the operation area polygon (at least 3); "
        "default: the Anbar-Nineveh-Salahuddin desert triangle up to the Syrian border",
        min_length=3)
    perimeter_band_km: float = param(15.0, "depth of the band along the area's sides cleared in "
                                     "phase 1", unit="km", gt=0.0, le=200.0)
    clear_coverage: float = param(
        2.0, "search coverage (effort W v t spread over the searcher's patrol disc, summed over "
        "steps and units) at which a pocket cell counts as cleared", unit="coverage", gt=0.0,
        le=50.0, source="random-search theory: a cell searched to coverage C still hides a cell "
        "of exposure e with probability exp(-C e); C = 2 leaves 18% of cells in the open and "
        "55% in rough ground undetected")
    axis_spacing_km: float = param(12.0, "distance between neighbouring units of an axis advancing "
                                   "in line abreast", unit="km", gt=0.0, le=100.0,
                                   source="a battalion's frontage in open desert, assumed")
    cordon_radius_km: float = param(10.0, "distance a unit covers on the cordon line; stretches "
                                    "with no unit this close are gaps", unit="km", gt=0.0, le=100.0)
    axes: list[AxisSpec] = param([], "axes of advance for phase 2")


class PhaseSpec(Section):
    """When a phase ends and how hard forces search and fight in it."""

    enabled: bool = param(True, "whether the phase takes place")
    max_day: float = param(15.0, "the phase ends at the latest on this campaign day", unit="day",
                           gt=0.0, le=365.0)
    perimeter_cleared: float | None = param(None, "ends when this share of the perimeter band is "
                                            "cleared", unit="0-1", ge=0.0, le=1.0)
    pocket_area_share: float | None = param(None, "ends when the pocket is down to this share of "
                                            "its initial area", unit="0-1", ge=0.0, le=1.0)
    cells_left_share: float | None = param(None, "ends when this share of the pocket's cells or "
                                           "fewer remain active", unit="0-1", ge=0.0, le=1.0)
    quiet_days: float = param(1.0, "a sweep condition (perimeter_cleared, pocket_area_share) ends "
                              "the phase only once no contact has happened in the phase's own "
                              "ground (band, pocket) for this many days", unit="days", ge=0.0,
                              le=60.0)
    search_intensity: float = param(1.0, "multiplier on detection effort", unit="x", ge=0.0,
                                    le=10.0)
    engagement_intensity: float = param(1.0, "multiplier on forces' firepower", unit="x",
                                        ge=0.0, le=10.0)


class PhasesSpec(Section):
    """The three phases of the operation."""

    perimeter: PhaseSpec = param(
        PhaseSpec(max_day=10.0, perimeter_cleared=0.85, search_intensity=1.0, quiet_days=1.0),
        "phase 1: clear the perimeter bands and seal the border")
    advance: PhaseSpec = param(
        PhaseSpec(max_day=30.0, pocket_area_share=0.25, search_intensity=1.2, quiet_days=1.0),
        "phase 2: advance inward on the axes, squeezing the pocket")
    assault: PhaseSpec = param(
        PhaseSpec(max_day=45.0, pocket_area_share=0.02, search_intensity=1.6,
                  engagement_intensity=1.5, quiet_days=2.0),
        "phase 3: simultaneous assault on all axes")


class InsurgentSpec(Section):
    """The insurgent cells in the pocket and how they decide."""

    cells: int = param(120, "number of cells in the pocket at day 0", unit="cells", ge=0, le=5000,
                       source="assumed; UN Monitoring Team (2019) put ISIL at 14-18k members in "
                       "Iraq and Syria, a few thousand of them in the Iraqi desert")
    fighters_min: int = param(3, "smallest cell", unit="fighters", ge=1, le=200)
    fighters_max: int = param(25, "largest cell", unit="fighters", ge=1, le=200)
    supply_days: float = param(20.0, "initial supply per cell", unit="days", ge=0.0, le=365.0)
    low_supply_days: float = param(5.0, "below this a cell is short of supply: weaker, slower",
                                   unit="days", ge=0.0, le=100.0)
    low_supply_firepower: float = param(0.5, "firepower multiplier when short of supply", unit="x",
                                        ge=0.0, le=1.0)
    low_supply_speed: float = param(0.6, "speed multiplier when short of supply", unit="x",
                                    ge=0.0, le=1.0)
    desertion_per_day: float = param(0.03, "share of fighters lost per day when out of supply",
                                     unit="1/day", ge=0.0, le=1.0)
    speed_kmh: float = param(4.0, "movement speed (on foot, motorbike at night)", unit="km/h",
                             gt=0.0, le=80.0)
    move_hours_per_day: float = param(8.0, "hours per day a cell can move (night)", unit="h/day",
                                      ge=0.0, le=24.0)
    firepower: float = param(0.03, "Lanchester aimed-fire coefficient of a fighter", unit="1/h",
                             ge=0.0, le=5.0)
    perception_km: float = param(15.0, "radius within which a cell perceives forces", unit="km",
                                 gt=0.0, le=200.0)
    placement_concealment_power: float = param(2.0, "cells are placed with weight "
                                               "concealment^power (hide in rough ground)",
                                               unit="exponent",
                                               ge=0.0, le=10.0)
    flee_threat: float = param(0.5, "perceived threat at which relocating starts to pay",
                               unit="platoon-equivalents",
                               ge=0.0, le=100.0)
    slip_horizon_days: float = param(2.0, "how far ahead a cell plans a breakout: exits are "
                                     "valued against the distance it can cover in this time",
                                     unit="days", gt=0.0, le=30.0,
                                     source="assumed: night moves of one to three nights")
    slip_threat: float = param(2.0, "pressure on a cell (perceived threat plus losses) at which "
                               "breaking out of the operation area enters its options",
                               unit="platoon-equivalents", ge=0.0, le=100.0)
    attachment: float = param(1.0, "utility of staying for a cell whose cache is in reach and "
                              "whose network is connected (half for either): reasons to stay",
                              unit="utility", ge=0.0, le=10.0)
    loss_weight: float = param(1.5, "pressure on a cell from its losses: the share of its courier "
                               "links cut and the loss of its home cache, half each",
                               unit="platoon-equivalents", ge=0.0, le=100.0)
    decision_days: float = param(1.0, "a cell re-plans this often when nothing happens to it "
                                 "(at once after a contact, a turn-back, or a rise in the threat "
                                 "on it)", unit="days", gt=0.0, le=30.0)
    ambush_range_km: float = param(6.0, "a unit this close can be ambushed", unit="km", gt=0.0,
                                   le=50.0)
    ambush_odds: float = param(0.6, "ambush only units whose engaged strength is at most "
                               "fighters / ambush_odds", unit="ratio", ge=0.01, le=10.0)
    ambush_appetite: float = param(0.3, "utility weight of ambushing when odds are good",
                                   unit="utility",
                                   ge=0.0, le=10.0)
    choice_temperature: float = param(0.3, "logit noise of the choice rule (0 = always the best "
                                      "option)", unit="utility", ge=0.0, le=10.0)


class NetworkSpec(Section):
    """Supply caches and the communication network behind the cells."""

    caches: int = param(40, "supply caches in the pocket", unit="caches", ge=0, le=5000,
                        source="Iraqi reports of Victory Will list dozens of hideouts, tunnels and "
                        "caches destroyed per phase")
    cache_stock_days: float = param(60.0, "cell-days of supply in one cache", unit="cell-days",
                                    ge=0.0, le=10000.0)
    cache_concealment: float = param(0.85, "concealment of a cache (dug in)", unit="0-1", ge=0.0,
                                     le=0.99)
    hideouts: int = param(150, "hideouts, dens and tunnels in the operation area where cells go "
                          "to ground", unit="hideouts", ge=0, le=20000,
                          source="Iraqi and PMF reports of Victory Will: dozens of hideouts, "
                          "tunnels and camps found per phase (e.g. 24 hideouts and 12 tunnels in "
                          "phase 3)")
    hideout_concealment: float = param(0.9, "share of search effort a hideout defeats, for the "
                                       "hideout itself and for a cell gone to ground in it "
                                       "(on top of the terrain's)", unit="0-1", ge=0.0,
                                       le=0.99)
    resupply_km: float = param(20.0, "a cell this close to an intact cache draws supply",
                               unit="km", gt=0.0, le=200.0)
    comm_radius_km: float = param(40.0, "cells this close can hold a courier link", unit="km",
                                  gt=0.0, le=500.0)
    comm_links: int = param(3, "links each cell makes to its nearest cells", unit="links", ge=0,
                            le=20)
    hubs: int = param(4, "leadership cells; a cell is connected if its network component holds "
                      "one", unit="cells", ge=0, le=100)
    cross_border_links: int = param(6, "courier links from pocket hubs to Syrian sleeper cells",
                                    unit="links", ge=0, le=500)
    capture_intel: float = param(0.15, "chance a captured cell reveals each cell it is linked to",
                                 unit="0-1", ge=0.0, le=1.0)


class RetaliationSpec(Section):
    """Sleeper cells in the Deir Ezzor theatre and their attacks."""

    enabled: bool = param(True, "sleeper cells attack in the Syrian theatre")
    sleeper_cells: int = param(30, "sleeper cells near the target towns at day 0", unit="cells",
                               ge=0, le=2000)
    fighters_min: int = param(2, "smallest sleeper cell", unit="fighters", ge=1, le=100)
    fighters_max: int = param(8, "largest sleeper cell", unit="fighters", ge=1, le=100)
    towns: list[Location] = param(
        ["Markadah", "Hasakah", "Suwar", "Busayrah", "Dhiban", "Tayyanah", "Hawayij"],
        "towns whose SDF posts and population are targets", min_length=0)
    spread_km: float = param(15.0, "sleepers are placed within this distance of a target town",
                             unit="km", gt=0.0, le=100.0)
    base_rate_per_day: float = param(0.004, "attacks per sleeper cell per day with no pressure",
                                     unit="1/day", ge=0.0, le=10.0,
                                     source=CALIBRATED + ": with self-excitation and calls, one "
                                     "to two attacks a day in Deir ez-Zor (RIC 2019)")
    pressure_gain: float = param(0.6, "extra attack rate at full pressure, as a multiple of the "
                                 "base rate", unit="x", ge=0.0, le=100.0)
    call_boost: float = param(20.0, "extra multiple for sleepers that receive a call for "
                              "retaliation through the network", unit="x", ge=0.0, le=100.0)
    attack_range_km: float = param(5.0, "close-range attacks: an SDF post can be struck if it is "
                                   "within a step's march plus this distance of the sleeper",
                                   unit="km", gt=0.0, le=50.0)
    sdf_target_share: float = param(0.6, "share of attacks aimed at SDF posts rather than the "
                                    "population", unit="0-1", ge=0.0, le=1.0)
    civilian_harm_mean: float = param(1.5, "mean civilian casualties of an attack on the "
                                      "population", unit="persons", ge=0.0, le=100.0)
    call_appetite: float = param(2.5, "utility weight of calling for retaliation, per unit of "
                                 "rise in the pressure on the group since the cell last called",
                                 unit="utility per unit of pressure", ge=0.0, le=10.0)
    call_days: float = param(3.0, "how long a call keeps the sleepers it reaches stirred",
                             unit="days", gt=0.0, le=60.0)
    pressure_area_weight: float = param(0.5, "weight of pocket area lost (vs cells lost) in the "
                                        "pressure on the group", unit="0-1", ge=0.0, le=1.0)
    escapee_join: bool = param(True, "cells escaping over the border join the Syrian sleepers "
                               "(coupled theatres only)")
    excitation: float = param(0.65, "self-excitation of attacks: expected further attacks one "
                              "attack triggers across the theatre (branching ratio; < 1)",
                              unit="attacks per attack", ge=0.0, le=0.95)
    excitation_days: float = param(0.5, "mean time over which an attack's excitation decays",
                                   unit="days", gt=0.0, le=60.0)
    recruitment_per_day: float = param(0.25, "new sleeper cells formed per day in the theatre "
                                       "(a base rate of recruitment)", unit="cells/day", ge=0.0,
                                       le=100.0)
    recruits_per_casualty: float = param(0.05, "new sleeper cells per civilian casualty of "
                                         "security-force fire in the Syrian theatre",
                                         unit="cells per casualty", ge=0.0, le=10.0,
                                         source="Kress and Szechtman (2009): collateral "
                                         "casualties feed insurgent recruitment; rate assumed")
    blend_concealment: float = param(0.94, "concealment of a sleeper hiding in or near its town "
                                     "among the population (in place of the terrain's)",
                                     unit="0-1", ge=0.0, le=0.99)


class BorderSpec(Section):
    """The Iraq-Syria border as an obstacle."""

    sealing: float = param(0.7, "chance a crossing attempt not interdicted by a unit is still "
                           "stopped by the berm, trench, wall and towers", unit="0-1", ge=0.0,
                           le=1.0, source="Iraq fortified the border with berms, trenches and "
                           "towers in 2018-2019; assumed")
    interdiction_km: float = param(8.0, "units this close to a crossing point get a chance to "
                                   "interdict it", unit="km", gt=0.0, le=100.0)
    routes: list[Location] = param(
        ["Husaybah", [35.2, 41.25], [35.85, 41.4]],
        "known crossing routes into Syria (smuggling corridors): exits into Syria within "
        "route_km of one are worth route_bonus to a cell breaking out", min_length=0)
    route_km: float = param(20.0, "how far from a known route an exit into Syria counts as on it",
                            unit="km", gt=0.0, le=200.0)
    route_bonus: float = param(0.5, "value of a known route into Syria to a cell breaking out "
                               "(guides, the group's network on the other side)", unit="utility",
                               ge=0.0, le=10.0)


class EngagementSpec(Section):
    """Contact, fire and its effects."""

    contact_hours: float = param(1.0, "duration of a contact once a cell is engaged", unit="h",
                                 gt=0.0, le=24.0)
    rounds: int = param(6, "time slices of a contact (stochastic Lanchester steps)", unit="slices",
                        ge=1, le=100)
    ambush_multiplier: float = param(3.0, "ambusher's firepower multiplier in the first slice",
                                     unit="x", ge=1.0, le=50.0)
    ambush_surprise: float = param(0.3, "defender's firepower multiplier in the first slice of an "
                                   "ambush", unit="x", ge=0.0, le=1.0)
    break_contact: float = param(0.95, "chance that a cell, the weaker side of a contact, breaks "
                                 "it off after the first exchange of fire (else it is pinned "
                                 "to the end of the contact)", unit="0-1", ge=0.0, le=1.0)
    area_fire_concealment: float = param(0.5, "forces fire at a cell hidden this well (its "
                                         "square's concealment, with a hideout's) by area fire, "
                                         "not aimed fire", unit="0-1", ge=0.0, le=1.0)
    area_fire_fighters: float = param(40.0, "cell size at which area fire is as deadly as aimed "
                                      "fire (area fire's kills grow with the cell's size)",
                                      unit="fighters", gt=0.0, le=1000.0)
    p_surrender: float = param(0.3, "chance that a cell pinned in a contact (the weaker side, it "
                               "could not break it off) surrenders at its end", unit="0-1",
                               ge=0.0, le=1.0)
    collateral_per_1000: float = param(0.02, "civilian casualties per fighter-kill exchange per "
                                       "1000 persons/km2 of population density",
                                       unit="persons per shooter-hour at 1000 persons/km2", ge=0.0,
                                       le=100.0)
    interdiction_p: float = param(0.6, "chance a unit near a crossing point stops a crossing it "
                                  "detects", unit="0-1", ge=0.0, le=1.0)


#: The orders the security forces can be given (docs/orders.md).
ORDERS = ("commit_reserve", "move", "task", "border_sealing", "search_intensity", "next_phase",
          "air_strike")
#: Parts of the cordon an order can name: its largest gap now, or a compass sector.
SECTORS = ("largest_gap", "north", "north-east", "east", "south-east", "south", "south-west",
           "west", "north-west")
#: Tasks a formation can be given during a campaign (perimeter and border-screen lanes are laid
#: out at the start).
ORDER_TASKS = ("block", "hunt", "reserve", "axis")


class OrderSpec(Section):
    """An order to the security forces: what, to whom, where, and when."""

    order: Literal["commit_reserve", "move", "task", "border_sealing", "search_intensity",
                   "next_phase", "air_strike"] = param(
        ..., "what is ordered: commit the reserve (to an axis, a cordon sector or a place), move "
        "a formation to a place, change a formation's task, set the border sealing, set the "
        "search intensity, start the next phase now, strike a located cell from the air")
    day: float | None = param(None, "carried out at the end of the first step on or after this "
                              "campaign day (effective from the next step)", unit="day", ge=0.0,
                              le=3650.0)
    step: int | None = param(None, "carried out at the end of this step (runs write their given "
                             "orders this way, so that they replay exactly)", unit="step", ge=0)
    when: str | None = param(None, "carried out the first time this holds at the end of a step: "
                             "'COLUMN OP NUMBER' or 'COLUMN per day OP NUMBER', COLUMN a column of "
                             "steps.csv, OP one of > >= < <= ==; e.g. 'cordon_gaps > 10', "
                             "'attacks_syria_total per day > 5'", min_length=3)
    formation: str | None = param(None, "the formation (a forces[].name) the order is for")
    task: Literal["block", "hunt", "reserve", "axis"] | None = param(
        None, "the new task (order 'task')")
    axis: str | int | None = param(None, "an axis of advance: its name, or its index in "
                                   "operation.axes")
    sector: Literal["largest_gap", "north", "north-east", "east", "south-east", "south",
                    "south-west", "west", "north-west"] | None = param(
        None, "a part of the cordon: its largest gap at the time, or the stretch in a compass "
        "direction from the operation area's centre")
    place: Location | None = param(None, "where to (a place or [lat, lon]); for 'air_strike', "
                                   "the located cell nearest to it")
    radius_km: float | None = param(None, "radius of the blocking position or hunt area at the "
                                    "place (default: the formation's area_km, or 15 km for the "
                                    "reserve)", unit="km", gt=0.0, le=500.0)
    value: float | None = param(None, "the new border sealing (0-1) or search intensity (x, "
                                "0-10)", ge=0.0, le=10.0)
    theatre: Literal["iraq", "syria"] = param(
        "iraq", "search_intensity: the Iraqi operation's current phase, or the SDF units")
    cell: int | None = param(None, "air_strike: the cell's id (the cells column of events.csv)",
                             ge=0)
    air: str | None = param(None, "air_strike: the air asset (an air[].name; default: the "
                            "first)")


class Scenario(Section):
    """A whole campaign: map, clock, forces, insurgents, plan and rules."""

    name: str = param(..., "short identifier of the scenario", min_length=1)
    title: str = param("", "one-line title")
    description: str = param("", "what the scenario shows")
    seed: int = param(1, "root seed of the model's random number generator", unit="", ge=0,
                      le=2**63 - 1)
    map: MapSpec = param(MapSpec, "the map window and cell size")
    time: TimeSpec = param(TimeSpec, "the clock")
    theatres: TheatreSpec = param(TheatreSpec, "which theatres are active")
    terrain: dict[Literal["open", "rough", "wadi", "river", "lake", "urban", "cultivated"],
                  TerrainSpec] = param(
        {k: TerrainSpec(**v) for k, v in TERRAIN_DEFAULTS.items()},
        "movement cost and concealment of each terrain class (partial overrides allowed)")
    unit_types: dict[str, UnitTypeSpec] = param(
        {k: UnitTypeSpec(**v) for k, v in UNIT_TYPE_DEFAULTS.items()},
        "capabilities of each unit type (partial overrides of built-in types allowed)")
    forces: list[ForceSpec] = param([], "the security-force formations")
    air: list[AirSpec] = param([], "air and ISR assets")
    operation: OperationSpec = param(OperationSpec, "the operation area and axes")
    phases: PhasesSpec = param(PhasesSpec, "phase end conditions and intensities")
    insurgents: InsurgentSpec = param(InsurgentSpec, "the insurgent cells in the pocket")
    networks: NetworkSpec = param(NetworkSpec, "supply caches and communication network")
    retaliation: RetaliationSpec = param(RetaliationSpec, "retaliation in the Syrian theatre")
    border: BorderSpec = param(BorderSpec, "the Iraq-Syria border")
    engagement: EngagementSpec = param(EngagementSpec, "engagement rules")
    orders: list[OrderSpec] = param([], "standing orders: carried out on a day, at a step, or "
                                    "when a condition holds (docs/orders.md)")

    # ---- convenience ------------------------------------------------------------------------
    @property
    def steps_per_day(self) -> float:
        return 24.0 / self.time.step_hours

    @property
    def max_steps(self) -> int:
        return int(round(self.time.max_days * self.steps_per_day))


# --------------------------------------------------------------------------------------------
# Defaults merged below user tables (partial overrides of built-in tables)
# --------------------------------------------------------------------------------------------


def merge_builtin_tables(data: dict[str, Any]) -> dict[str, Any]:
    """Lay the user's partial tables over the built-in ones they refine.

    ``terrain`` and ``unit_types`` entries, and each of the three ``phases`` (whose defaults
    differ from phase to phase): a ``[phases.advance]`` table that sets only ``max_day`` keeps
    the advance phase's other defaults, as the scenario reference says.
    """
    out = dict(data)
    phases = data.get("phases")
    if isinstance(phases, dict):
        defaults = PhasesSpec()
        merged_phases = dict(phases)
        for name, values in phases.items():
            if isinstance(values, dict) and name in PhasesSpec.model_fields:
                merged_phases[name] = {**getattr(defaults, name).model_dump(exclude_none=True),
                                       **values}
        out["phases"] = merged_phases
    for key, builtin in (("terrain", TERRAIN_DEFAULTS), ("unit_types", UNIT_TYPE_DEFAULTS)):
        user = data.get(key)
        if user is None or not isinstance(user, dict):
            continue
        merged = {name: dict(values) for name, values in builtin.items()}
        for name, values in user.items():
            if isinstance(values, dict) and name in merged:
                merged[name].update(values)
            else:
                merged[name] = values
        out[key] = merged
    return out


# --------------------------------------------------------------------------------------------
# Cross-field checks
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a scenario: where, what was given, what is allowed.

    ``file`` is the file (or ``--set``) the bad value came from, when it is not the scenario
    file itself (a variant's base, say); :class:`~encircle_sim.scenario_files.ScenarioError`
    fills it in.
    """

    path: str
    message: str
    value: Any = None
    allowed: str = ""
    file: str = ""
    hint: str = ""  # e.g. "did you mean 'ISF'?"

    def __str__(self) -> str:
        message = clip(self.message, 4 * SHOWN_CHARS)
        text = f"{clip(self.path, 2 * SHOWN_CHARS)}: {message}" if self.path else message
        if self.value is not None:
            text += f" (got {clip(toml_repr(self.value))})"
        if self.hint:
            text += f"; {clip(self.hint, 2 * SHOWN_CHARS)}"
        if self.allowed:
            text += f"; allowed: {self.allowed}"
        return text


#: The most characters of a value (or of a name the user gave) that a message shows.
SHOWN_CHARS = 80


def clip(text: str, limit: int = SHOWN_CHARS) -> str:
    """``text`` if it is short; else its first ``limit`` characters and its length."""
    return text if len(text) <= limit else f"{text[:limit]}... ({len(text):,} characters)"


def clip_path(text: str, limit: int = 3 * SHOWN_CHARS) -> str:
    """A file path for a message: whole if not very long, else its end (where its name is)."""
    return text if len(text) <= limit else f"...{text[-limit:]} ({len(text):,} characters)"


_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")


def toml_repr(value: Any) -> str:
    """A value as it would be written in a scenario file (``true``, ``'text'``, ``[1, 2]``)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(toml_repr(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k if _BARE_KEY.fullmatch(str(k)) else repr(k)} = {toml_repr(v)}"
                               for k, v in value.items()) + "}"
    if isinstance(value, Loc):
        return toml_repr(value.as_input())
    return repr(value)


def _iter_locations(sc: Scenario):
    for i, f in enumerate(sc.forces):
        yield f"forces[{i}].start", f.start, f.side
        if f.area is not None:
            yield f"forces[{i}].area", f.area, f.side
    for i, a in enumerate(sc.air):
        yield f"air[{i}].area", a.area, a.side
    if sc.theatres.iraq:  # the operation area and axes matter only when the Iraqi theatre runs
        for i, v in enumerate(sc.operation.area):
            yield f"operation.area[{i}]", v, None
        for i, ax in enumerate(sc.operation.axes):
            yield f"operation.axes[{i}].start", ax.start, None
            if ax.objective is not None:
                yield f"operation.axes[{i}].objective", ax.objective, None
    if sc.theatres.syria:  # the target towns matter only when the Syrian theatre runs
        for i, t in enumerate(sc.retaliation.towns):
            yield f"retaliation.towns[{i}]", t, None


def consistency_errors(sc: Scenario) -> list[Problem]:
    """Checks that involve several values at once; every problem found is returned."""
    problems: list[Problem] = []
    m = sc.map
    if m.north <= m.south:
        problems.append(Problem("map.north", "must be north of map.south", m.north,
                                f"> {m.south}"))
    if m.east <= m.west:
        problems.append(Problem("map.east", "must be east of map.west", m.east, f"> {m.west}"))
    if not problems:
        height_km = (m.north - m.south) * 111.2
        if height_km < 4 * m.cell_km:
            problems.append(Problem("map.cell_km", f"the map must be at least 4 cells high "
                                    f"(map.south to map.north is {height_km:.0f} km)",
                                    m.cell_km, f"<= {height_km / 4:.1f} km for this window"))
        width_km = (m.east - m.west) * 111.32 * math.cos(math.radians(max(abs(m.south),
                                                                      abs(m.north))))
        if width_km < 4 * m.cell_km:
            problems.append(Problem("map.cell_km", f"the map must be at least 4 cells wide "
                                    f"(map.west to map.east is {width_km:.0f} km at its "
                                    "narrowest)", m.cell_km,
                                    f"<= {width_km / 4:.1f} km for this window"))
        if (height_km / m.cell_km) * ((m.east - m.west) * 111.32 * 0.8 / m.cell_km) > 2_000_000:
            problems.append(Problem("map.cell_km", "the grid would exceed 2 million cells",
                                    m.cell_km, "a larger cell or a smaller window"))
        default_area = [v.as_input() for v in sc.operation.area] == [
            list(v) if isinstance(v, (list, tuple)) else v for v in DEFAULT_OPERATION_AREA]
        outside_default = default_area and sc.theatres.iraq and any(
            not (m.south <= v.lat <= m.north and m.west <= v.lon <= m.east)
            for v in sc.operation.area)
        if outside_default:
            problems.append(Problem(
                "operation.area", "the default operation area (the Anbar-Nineveh-Salahuddin "
                "triangle) reaches outside this map", None,
                "an [operation] area = [...] of places inside the map, or a larger map "
                f"(map.south-map.north {m.south:g}-{m.north:g} N, map.west-map.east "
                f"{m.west:g}-{m.east:g} E)"))
        for path, loc, _side in _iter_locations(sc):
            if outside_default and path.startswith("operation.area["):
                continue
            if not (m.south <= loc.lat <= m.north and m.west <= loc.lon <= m.east):
                why = " (the Syrian theatre is on: theatres.syria)" if path.startswith(
                    "retaliation.") else ""
                problems.append(Problem(
                    path, f"{loc.label} ({loc.lat:.3f} N, {loc.lon:.3f} E) is outside the "
                    f"map{why}", loc.as_input(), f"a place inside the map: map.south-map.north "
                    f"{m.south:g}-{m.north:g} N, map.west-map.east {m.west:g}-{m.east:g} E"))

    if not problems and sc.theatres.iraq:
        problems += _ground_problems(sc)
    problems += _text_problems(sc)

    if sc.insurgents.fighters_min > sc.insurgents.fighters_max:
        problems.append(Problem("insurgents.fighters_min", "must not exceed fighters_max",
                                sc.insurgents.fighters_min,
                                f"<= {sc.insurgents.fighters_max} (insurgents.fighters_max)"))
    if sc.retaliation.fighters_min > sc.retaliation.fighters_max:
        problems.append(Problem("retaliation.fighters_min", "must not exceed fighters_max",
                                sc.retaliation.fighters_min,
                                f"<= {sc.retaliation.fighters_max} (retaliation.fighters_max)"))
    if sc.theatres.coupled and not (sc.theatres.iraq and sc.theatres.syria):
        problems.append(Problem("theatres.coupled", "coupling needs both theatres active",
                                True, "set theatres.iraq and theatres.syria to true, or "
                                "coupled to false"))
    if not (sc.theatres.iraq or sc.theatres.syria):
        problems.append(Problem("theatres", "at least one theatre must be active",
                                None, "theatres.iraq = true and/or theatres.syria = true"))

    n_axes = len(sc.operation.axes)
    axes_allowed = (f"0..{n_axes - 1} (operation.axes has {n_axes})" if n_axes else
                    "none: operation.axes is empty; add [[operation.axes]] first")
    types = sorted(sc.unit_types)
    for i, f in enumerate(sc.forces):
        if f.type not in sc.unit_types:
            problems.append(Problem(f"forces[{i}].type", "unknown unit type", f.type,
                                    ", ".join(types) + " (or one defined in [unit_types])"))
        if f.task == "axis":
            if f.axis is None:
                problems.append(Problem(f"forces[{i}].axis", f"forces[{i}].task is 'axis', so "
                                        "an axis index is needed", None, axes_allowed))
            elif f.axis >= n_axes:
                problems.append(Problem(f"forces[{i}].axis", "no such axis", f.axis,
                                        axes_allowed))
        elif f.axis is not None:
            problems.append(Problem(f"forces[{i}].axis", f"only used when forces[{i}].task is "
                                    f"'axis' (it is '{f.task}')", f.axis,
                                    "remove it or set task = 'axis'"))
        if f.side == "SDF":
            if not sc.theatres.syria:
                problems.append(Problem(f"forces[{i}].side", "SDF units need the Syrian theatre "
                                        "(theatres.syria is false)", f.side,
                                        "theatres.syria = true"))
            if f.task in ("perimeter", "axis"):
                problems.append(Problem(f"forces[{i}].task", f"SDF units (forces[{i}].side) do "
                                        "not take part in the Iraqi encirclement", f.task,
                                        "hunt, block, border_screen or reserve"))
        elif not sc.theatres.iraq:
            problems.append(Problem(f"forces[{i}].side", f"{f.side} units operate in the Iraqi "
                                    "theatre, which is off (theatres.iraq is false)", f.side,
                                    "SDF, or theatres.iraq = true"))
    axis_forces = [i for i, f in enumerate(sc.forces) if f.task == "axis"]
    if sc.theatres.iraq and sc.phases.advance.enabled and not sc.operation.axes and axis_forces:
        problems.append(Problem("operation.axes", f"phase 2 (phases.advance) needs at least one "
                                f"axis for the forces with task 'axis' (forces[{axis_forces[0]}]"
                                f"{' and others' if len(axis_forces) > 1 else ''})", [],
                                "one or more [[operation.axes]], or phases.advance.enabled = "
                                "false"))
    for i, order in enumerate(sc.orders):
        problems += order_problems(sc, order, f"orders[{i}]")
    return problems


def axis_names(sc: Scenario) -> list[str]:
    """The names of the axes of advance (given, or 'axis N from START')."""
    return [ax.name or f"axis {i} from {ax.start.label}" for i, ax in enumerate(sc.operation.axes)]


def axis_index(sc: Scenario, axis: str | int) -> int | None:
    """The index of an axis given by name or index (None if there is no such axis)."""
    names = axis_names(sc)
    if isinstance(axis, int):
        return axis if 0 <= axis < len(names) else None
    folded = [n.casefold() for n in names]
    return folded.index(axis.casefold()) if axis.casefold() in folded else None


#: Which optional keys each order uses (the others must be left out).
ORDER_KEYS = {
    "commit_reserve": {"formation", "axis", "sector", "place", "radius_km"},
    "move": {"formation", "place", "radius_km"},
    "task": {"formation", "task", "axis", "place", "radius_km"},
    "border_sealing": {"value"},
    "search_intensity": {"value", "theatre"},
    "next_phase": set(),
    "air_strike": {"cell", "place", "air"},
}
_TIMING = {"day", "step", "when"}


def order_problems(sc: Scenario, o: OrderSpec, path: str) -> list[Problem]:
    """What is wrong with order ``o`` in scenario ``sc`` (``path``: where it was given, e.g.
    ``orders[2]``; empty for an order given on its own)."""
    problems: list[Problem] = []
    pre = f"{path}." if path else ""
    given = {k for k in OrderSpec.model_fields if k not in ("order", "theatre")
             and getattr(o, k) is not None} | ({"theatre"} if o.theatre != "iraq" else set())
    uses = ORDER_KEYS[o.order]
    for key in sorted(given - uses - _TIMING):
        problems.append(Problem(f"{pre}{key}", f"not used by the order '{o.order}'",
                                getattr(o, key), f"its keys: {', '.join(sorted(uses)) or 'none'}"
                                " (and one of day, step, when)"))
    timing = sorted(given & _TIMING)
    if len(timing) > 1:
        problems.append(Problem(f"{pre}{timing[1]}", f"give only one of day, step and when "
                                f"({', '.join(timing)} given)", None, "one of them"))
    if o.when is not None:
        from encircle_sim.triggers import TriggerError, parse_trigger

        try:
            parse_trigger(o.when, sc)
        except TriggerError as err:
            problems.append(Problem(f"{pre}when", str(err), o.when, err.allowed))
    names = [f.name for f in sc.forces]
    formation = None
    if o.formation is not None:
        if o.formation not in names:
            problems.append(Problem(f"{pre}formation", "no such formation", o.formation,
                                    ", ".join(repr(n) for n in names) or "none: no forces"))
        else:
            formation = sc.forces[names.index(o.formation)]
    elif o.order in ("move", "task"):
        problems.append(Problem(f"{pre}formation", f"the order '{o.order}' needs a formation",
                                None, ", ".join(repr(n) for n in names) or "none: no forces"))
    n_axes = len(sc.operation.axes)
    axes_allowed = (", ".join(repr(n) for n in axis_names(sc)) + f" or an index 0..{n_axes - 1}"
                    if n_axes else "none: operation.axes is empty")
    if o.axis is not None and axis_index(sc, o.axis) is None:
        problems.append(Problem(f"{pre}axis", "no such axis", o.axis, axes_allowed))
    iraq_only = o.order in ("next_phase",) or (o.order == "search_intensity"
                                              and o.theatre == "iraq")
    if iraq_only and not sc.theatres.iraq:
        problems.append(Problem(f"{pre}order", f"'{o.order}' acts on the Iraqi operation, "
                                "which is off (theatres.iraq is false)", o.order,
                                "theatre = 'syria' for search_intensity"))
    if o.order == "search_intensity" and o.theatre == "syria" and not sc.theatres.syria:
        problems.append(Problem(f"{pre}theatre", "the Syrian theatre is off", o.theatre,
                                "'iraq', or theatres.syria = true"))
    if o.order in ("border_sealing", "search_intensity") and o.value is None:
        problems.append(Problem(f"{pre}value", f"the order '{o.order}' needs a value", None,
                                "0-1 (border sealing)" if o.order == "border_sealing"
                                else "0-10 (a multiplier of search effort)"))
    if o.order == "border_sealing" and o.value is not None and o.value > 1.0:
        problems.append(Problem(f"{pre}value", "border sealing is a probability", o.value,
                                ">= 0 and <= 1"))
    if o.order == "commit_reserve":
        targets = [k for k in ("axis", "sector", "place") if getattr(o, k) is not None]
        if len(targets) != 1:
            problems.append(Problem(path or "order", "commit the reserve to exactly one of an "
                                    "axis, a sector or a place", targets or None,
                                    f"axis ({axes_allowed}), sector ({', '.join(SECTORS)}) or "
                                    "place"))
        if o.sector is not None and not sc.theatres.iraq:
            problems.append(Problem(f"{pre}sector", "the cordon belongs to the Iraqi operation, "
                                    "which is off", o.sector, "a place"))
    if o.order == "move" and o.place is None:
        problems.append(Problem(f"{pre}place", "the order 'move' needs a place", None,
                                LOCATION_HELP))
    if o.order == "task":
        if o.task is None:
            problems.append(Problem(f"{pre}task", "the order 'task' needs the new task", None,
                                    ", ".join(ORDER_TASKS)))
        elif o.task == "axis" and o.axis is None:
            problems.append(Problem(f"{pre}axis", "the task 'axis' needs an axis", None,
                                    axes_allowed))
        elif o.task != "axis" and o.axis is not None:
            problems.append(Problem(f"{pre}axis", f"only used with task = 'axis' (it is "
                                    f"'{o.task}')", o.axis, "remove it"))
        if o.task == "axis" and formation is not None and formation.side == "SDF":
            problems.append(Problem(f"{pre}task", "SDF units do not take part in the Iraqi "
                                    "encirclement", o.task, "block, hunt or reserve"))
    if o.order == "air_strike":
        if (o.cell is None) == (o.place is None):
            problems.append(Problem(path or "order", "strike either a cell (its id) or the "
                                    "located cell nearest a place", None,
                                    "cell = ID, or place = ..."))
        airs = [a.name for a in sc.air]
        if not airs:
            problems.append(Problem(f"{pre}order", "the scenario has no air assets ([[air]])",
                                    o.order, "another order, or an [[air]] asset"))
        elif o.air is not None and o.air not in airs:
            problems.append(Problem(f"{pre}air", "no such air asset", o.air,
                                    ", ".join(repr(a) for a in airs)))
    return problems


#: A scenario's name names its run folders (runs/NAME-seedN): letters, digits, ``-_.``.
NAME_PATTERN = re.compile(r"[^\W_][\w.-]{0,63}")
NAME_ALLOWED = ("letters, digits, '-', '_' and '.', starting with a letter or digit, at most 64 "
                "characters")
LABEL_CHARS = 200  # a label (title, formation, asset or axis name) is one line this long at most


def _text_problems(sc: Scenario) -> list[Problem]:
    """Names that are names, and labels and texts that print (no control characters)."""
    problems = []
    if not NAME_PATTERN.fullmatch(sc.name):
        problems.append(Problem("name", "not a usable scenario name (it names the run folder)",
                                sc.name, NAME_ALLOWED))
    labels = [("title", sc.title)]
    labels += [(f"forces[{i}].name", f.name) for i, f in enumerate(sc.forces)]
    labels += [(f"air[{i}].name", a.name) for i, a in enumerate(sc.air)]
    labels += [(f"operation.axes[{i}].name", ax.name) for i, ax in enumerate(sc.operation.axes)]
    labels += [(f"unit_types.{key}", key) for key in sc.unit_types]
    for path, text in labels:
        if not text.isprintable():
            problems.append(Problem(path, "holds a line break or another control character",
                                    text, "one line of printable text"))
        elif len(text) > LABEL_CHARS:
            problems.append(Problem(path, f"is {len(text):,} characters long", text,
                                    f"at most {LABEL_CHARS} characters"))
    if not sc.description.replace("\n", "").replace("\t", "").isprintable():
        problems.append(Problem("description", "holds a control character", sc.description,
                                "printable text (line breaks and tabs are fine)"))
    return problems


def _ground_problems(sc: Scenario) -> list[Problem]:
    """The operation area must enclose ground agents can stand on, and every axis must start on
    such ground; checked on the very grid the model will use."""
    import numpy as np
    from shapely.geometry import Polygon

    from encircle_sim.geography import Terrain, TerrainProperties, build_region_grid

    m = sc.map
    inside = [(path, loc) for path, loc, _ in _iter_locations(sc)
              if path.startswith("operation.")]
    if any(not (m.south <= loc.lat <= m.north and m.west <= loc.lon <= m.east)
           for _, loc in inside):
        return []  # reported as outside the map already
    problems = []
    ring = [(v.lon, v.lat) for v in sc.operation.area]
    shape = Polygon(ring)
    if not shape.is_valid:
        shape = shape.buffer(0)
    grid = build_region_grid(m.window(), {
        Terrain[name.upper()]: TerrainProperties(t.move_cost, t.concealment)
        for name, t in sc.terrain.items()})
    passable = grid.layers["passable"].astype(bool)
    if shape.is_empty or shape.area <= 0:
        problems.append(Problem("operation.area", "encloses no ground: its vertices are equal "
                                "or lie on one line", None,
                                "at least 3 places that span an area (see `encircle-sim map`)"))
    elif not (grid.polygon_mask(np.array([[v.lat, v.lon] for v in sc.operation.area]))
              & passable).any():
        problems.append(Problem("operation.area", f"holds no grid cell agents can stand on (at "
                                f"{m.cell_km:g} km cells: too small, or all lake and river)",
                                None, "a larger area, or smaller map.cell_km"))
    for i, ax in enumerate(sc.operation.axes):
        x, y = grid.cell_of(ax.start.lat, ax.start.lon)
        if not passable[x, y]:
            problems.append(Problem(
                f"operation.axes[{i}].start", f"{ax.start.label} lies in a lake or on a river "
                "away from any crossing", ax.start.as_input(),
                "a place on passable ground (see `encircle-sim map`)"))
    return problems


# --------------------------------------------------------------------------------------------
# Where each default comes from
# --------------------------------------------------------------------------------------------
# Sources recorded next to a field (``param(..., source=...)``) stand; this table gives the
# rationale of every other field, so that the scenario reference and the ODD parameter tables
# name a source for every parameter. "Scenario input" marks what the scenario author decides
# (labels, places, orders of battle); "assumed" marks a modelling assumption of the right order of
# magnitude, not fitted to data. References: Koopman, *Search and Screening* (1946; 1980);
# Lanchester, *Aircraft in Warfare* (1916); Washburn & Kress, *Combat Modeling* (2009);
# McFadden (1974) for the logit choice rule.
SCENARIO_INPUT = "scenario input"
PARAMETER_SOURCES: dict[str, str] = {
    "Scenario.name": SCENARIO_INPUT, "Scenario.title": SCENARIO_INPUT,
    "Scenario.description": SCENARIO_INPUT,
    "Scenario.seed": "scenario input: any seed; runs are reproducible for a given seed",
    "Scenario.map": SCENARIO_INPUT, "Scenario.time": SCENARIO_INPUT,
    "Scenario.theatres": SCENARIO_INPUT, "Scenario.terrain": "see [terrain] below",
    "Scenario.unit_types": "see [unit_types] below", "Scenario.forces": SCENARIO_INPUT,
    "Scenario.air": SCENARIO_INPUT, "Scenario.operation": SCENARIO_INPUT,
    "Scenario.phases": "Victory Will's published three-phase plan", "Scenario.insurgents":
    "see [insurgents] below", "Scenario.networks": "see [networks] below",
    "Scenario.retaliation": "see [retaliation] below", "Scenario.border": "see [border] below",
    "Scenario.engagement": "see [engagement] below",
    "Scenario.orders": SCENARIO_INPUT,
    **{f"OrderSpec.{name}": SCENARIO_INPUT for name in (
        "order", "day", "step", "when", "formation", "task", "axis", "sector", "place",
        "radius_km", "value", "theatre", "cell", "air")},
    "TheatreSpec.iraq": SCENARIO_INPUT, "TheatreSpec.syria": SCENARIO_INPUT,
    "TheatreSpec.coupled": SCENARIO_INPUT,
    "TerrainSpec.move_cost": "assumed relative going off road: open gravel plain 1, cultivated "
    "and urban ground slower, wadis and broken ground 2-2.5x, rivers only at crossings",
    "TerrainSpec.concealment": "assumed: share of search effort defeated - little cover on the "
    "open plain, much in wadis, broken ground and towns",
    "UnitTypeSpec.speed_offroad_kmh": "assumed: wheeled and tracked columns off road in desert",
    "UnitTypeSpec.speed_road_kmh": "assumed: convoy speed on main roads",
    "UnitTypeSpec.move_hours_per_day": "assumed: daylight operations with halts",
    "UnitTypeSpec.sensor_km": "assumed: ground observation range of a company in open terrain",
    "UnitTypeSpec.p_detect": CALIBRATED + ": glimpse probability of a definite-range sensor "
    "against a hiding group (Koopman); W = 2 sensor_km p_detect",
    "UnitTypeSpec.search_speed_kmh": "assumed: speed of a deliberate search or sweep",
    "UnitTypeSpec.patrol_km": "assumed: radius a company-size unit patrols from its position",
    "UnitTypeSpec.engaged_max": "assumed: about a platoon to a company can fire in a contact",
    "UnitTypeSpec.firepower": CALIBRATED + ": aimed-fire kill rate (Lanchester 1916; Washburn & "
    "Kress 2009) of brief skirmishes with cells that slip away",
    "UnitTypeSpec.vulnerability": "assumed: armour and training lower losses (mechanised 0.5)",
    "ForceSpec.name": SCENARIO_INPUT, "ForceSpec.side": SCENARIO_INPUT,
    "ForceSpec.type": SCENARIO_INPUT, "ForceSpec.units": SCENARIO_INPUT,
    "ForceSpec.strength": "scenario input: a battalion of a few hundred, illustrative",
    "ForceSpec.start": SCENARIO_INPUT, "ForceSpec.task": SCENARIO_INPUT,
    "ForceSpec.axis": SCENARIO_INPUT, "ForceSpec.area": SCENARIO_INPUT,
    "ForceSpec.area_km": "assumed: a brigade-size hunt area",
    "AirSpec.name": SCENARIO_INPUT, "AirSpec.side": SCENARIO_INPUT, "AirSpec.area": SCENARIO_INPUT,
    "AirSpec.radius_km": "assumed: area an ISR orbit covers in a day",
    "AirSpec.hours_per_day": "assumed: one to two sorties on station a day",
    "AirSpec.sweep_width_km": "assumed: effective sweep width of an airborne sensor against a "
    "small group on the ground (Koopman)",
    "AirSpec.speed_kmh": "assumed: search speed of a medium-altitude aircraft",
    "AirSpec.concealment_factor": "assumed: overhead and thermal sensors see into cover better",
    "AirSpec.p_strike": CALIBRATED + ": share of air detections cleared for a strike",
    "AirSpec.strike_kill_share": CALIBRATED + ": a precision strike on a small, dispersed group",
    "AxisSpec.name": SCENARIO_INPUT, "AxisSpec.start": SCENARIO_INPUT,
    "AxisSpec.objective": SCENARIO_INPUT,
    "AxisSpec.advance_km_per_day": "assumed: deliberate clearance advance of 10-20 km a day",
    "OperationSpec.area": "the Victory Will operation area as reported (Anbar-Nineveh-"
    "Salahuddin desert to the Syrian border); vertices from the gazetteer and NE0 border",
    "OperationSpec.perimeter_band_km": "assumed: depth of the first-phase clearance along the "
    "area's sides",
    "OperationSpec.cordon_radius_km": "assumed: a unit watches about this far along a cordon",
    "OperationSpec.axes": SCENARIO_INPUT,
    "PhaseSpec.enabled": SCENARIO_INPUT,
    "PhaseSpec.max_day": "Victory Will's phases took days to weeks each; assumed",
    "PhaseSpec.perimeter_cleared": "assumed: move on once most of the band is cleared",
    "PhaseSpec.pocket_area_share": "assumed: assault once the pocket is squeezed to a quarter",
    "PhaseSpec.cells_left_share": "assumed: off by default; operations end swept and quiet",
    "PhaseSpec.quiet_days": "the record: a phase ends once its ground is swept and contact has "
    "ceased (phases took from a few days to two weeks)",
    "PhaseSpec.search_intensity": "assumed: effort rises as the plan concentrates forces",
    "PhaseSpec.engagement_intensity": "assumed: the assault brings more fire support",
    "PhasesSpec.perimeter": "Victory Will's plan (phase 1)",
    "PhasesSpec.advance": "Victory Will's plan (phase 2)",
    "PhasesSpec.assault": "Victory Will's plan (phase 3)",
    "InsurgentSpec.fighters_min": "assumed: the smallest cells are a few fighters",
    "InsurgentSpec.fighters_max": "assumed: the largest desert groups are a few dozen",
    "InsurgentSpec.supply_days": "assumed: water, food and fuel a cell carries",
    "InsurgentSpec.low_supply_days": "assumed",
    "InsurgentSpec.low_supply_firepower": "assumed: short of ammunition",
    "InsurgentSpec.low_supply_speed": "assumed: short of fuel and water",
    "InsurgentSpec.desertion_per_day": "assumed",
    "InsurgentSpec.speed_kmh": "assumed: on foot or motorbike at night",
    "InsurgentSpec.move_hours_per_day": "assumed: moves by night",
    "InsurgentSpec.firepower": "assumed aimed-fire kill rate (Lanchester), below the forces'",
    "InsurgentSpec.perception_km": "assumed: sight, sound and local informants",
    "InsurgentSpec.placement_concealment_power": "assumed: cells hide in wadis and broken ground",
    "InsurgentSpec.flee_threat": "assumed: about half a platoon-equivalent nearby",
    "InsurgentSpec.slip_threat": CALIBRATED + ": about two platoon-equivalents close by, or heavy "
    "losses",
    "InsurgentSpec.attachment": CALIBRATED + ": caches and the network tie a cell to its ground",
    "InsurgentSpec.loss_weight": "assumed: losing its cache and links pushes a cell to leave",
    "InsurgentSpec.decision_days": "assumed: cells plan their moves night by night",
    "InsurgentSpec.ambush_range_km": "assumed: a night approach to a unit's position",
    "InsurgentSpec.ambush_odds": CALIBRATED + ": ambush only units not much stronger than the "
    "cell",
    "InsurgentSpec.ambush_appetite": CALIBRATED + ": how readily a cell ambushes a weak unit",
    "InsurgentSpec.choice_temperature": "assumed: logit scale of the random-utility choice "
    "(McFadden 1974)",
    "NetworkSpec.cache_stock_days": "assumed",
    "NetworkSpec.cache_concealment": "assumed: buried caches and tunnels are hard to find",
    "NetworkSpec.resupply_km": "assumed: a night's trip to a cache and back",
    "NetworkSpec.comm_radius_km": "assumed: courier range between cells",
    "NetworkSpec.comm_links": "assumed: a cell knows a few neighbouring cells",
    "NetworkSpec.hubs": "assumed: a few leadership cells",
    "NetworkSpec.cross_border_links": "assumed",
    "NetworkSpec.capture_intel": CALIBRATED + ": detainees reveal some of their contacts",
    "NetworkSpec.hideout_concealment": CALIBRATED + ": dug-in hideouts and tunnels hide a static "
    "cell from ground and air search alike",
    "RetaliationSpec.enabled": SCENARIO_INPUT,
    "RetaliationSpec.sleeper_cells": "assumed: dozens of cells around the Deir Ezzor towns",
    "RetaliationSpec.fighters_min": "assumed", "RetaliationSpec.fighters_max": "assumed",
    "RetaliationSpec.towns": "the towns of the mission brief (Markadah, Hasakah, Suwar, "
    "Busayrah, Dhiban, Tayyanah, Hawayij)",
    "RetaliationSpec.spread_km": "assumed: sleepers live in and around their town",
    "RetaliationSpec.pressure_gain": CALIBRATED + ": attacks elsewhere rise as the group loses "
    "ground",
    "RetaliationSpec.call_boost": CALIBRATED + ": a call sets the sleepers it reaches attacking "
    "for days (the account: seven towns in three days)",
    "RetaliationSpec.attack_range_km": "assumed: small-arms, IED and grenade range",
    "RetaliationSpec.sdf_target_share": "assumed: most attacks hit SDF posts and checkpoints",
    "RetaliationSpec.civilian_harm_mean": "assumed: small attacks",
    "RetaliationSpec.call_appetite": CALIBRATED + ": how readily a connected cell answers a shock "
    "with a call",
    "RetaliationSpec.call_days": CALIBRATED + ": the account's burst lasted three days",
    "RetaliationSpec.pressure_area_weight": "assumed: losses of fighters and of ground weigh alike",
    "RetaliationSpec.escapee_join": SCENARIO_INPUT,
    "RetaliationSpec.excitation": CALIBRATED + ": self-exciting models of insurgent and crime "
    "violence fit branching ratios of this order (Mohler et al. 2011; Lewis et al. 2012)",
    "RetaliationSpec.excitation_days": CALIBRATED + ": retaliatory bursts last days",
    "RetaliationSpec.recruitment_per_day": CALIBRATED + ": replaces the cells the SDF take out "
    "(RIC 2019: 581 arrests in a year while attacks went on)",
    "RetaliationSpec.blend_concealment": CALIBRATED + ": sleepers live among the population",
    "BorderSpec.interdiction_km": "assumed: observation towers and patrols along the berm",
    "BorderSpec.routes": "assumed: the Al-Qa'im - Abu Kamal corridor and two desert tracks "
    "towards the Khabur valley",
    "BorderSpec.route_km": "assumed", "BorderSpec.route_bonus": "assumed",
    "EngagementSpec.contact_hours": "assumed: short firefights",
    "EngagementSpec.rounds": "assumed: time slices of the stochastic Lanchester contact",
    "EngagementSpec.ambush_multiplier": "assumed: surprise fire of the ambusher "
    "(Washburn & Kress 2009)",
    "EngagementSpec.ambush_surprise": "assumed: the ambushed reply late",
    "EngagementSpec.break_contact": CALIBRATED + ": insurgent cells avoid fights they cannot win "
    "and slip away (the record: few fighters killed per phase)",
    "EngagementSpec.area_fire_concealment": "assumed: concealed cells are fought by area fire "
    "(Deitchman 1962)",
    "EngagementSpec.area_fire_fighters": CALIBRATED + ": Deitchman's area-fire coefficient as the "
    "cell size at which it equals aimed fire",
    "EngagementSpec.p_surrender": CALIBRATED + ": cornered cells give up (the record: detentions "
    "outnumber kills in several phases)",
    "EngagementSpec.collateral_per_1000": "assumed: civilian harm scales with population density",
    "EngagementSpec.interdiction_p": "assumed",
}


def _attach_sources() -> None:
    """Put the rationale of :data:`PARAMETER_SOURCES` into the fields' metadata."""
    classes = {cls.__name__: cls for cls in Section.__subclasses__()}
    for key, text in PARAMETER_SOURCES.items():
        cls_name, name = key.split(".")
        extra = classes[cls_name].model_fields[name].json_schema_extra
        if extra.get("source"):
            raise RuntimeError(f"{key} has a source in its field and in PARAMETER_SOURCES")
        extra["source"] = text


_attach_sources()
