"""What a run will cost, estimated from the scenario before anything is built.

A scenario of valid values can still ask for more than a laptop has: 20,000 units with 200 km
patrols, a 2 km grid over the whole region for a year of hourly steps. The model's memory and
time are dominated by a few terms, each a product of scenario sizes:

* the grid: G cells, each with its Mesa cell object, property layers and move tables;
* the courier network, built once from a distance matrix of each theatre's cells (C^2);
* kernels stamped on the grid every step: threat cones, patrol and cordon discs, one stamp of
  K cells per unit (U K);
* detection: a distance matrix of cells by units every step (C U);
* tracks: the position of every cell at every step (S C).

Memory is the largest of these held at once over the process's baseline; time is the build
plus S steps of the per-step terms. The coefficients were fitted to measured runs on a 2-core
machine (``benchmarks/cost_model.py --fit``; its table gives the estimate's error at five
other sizes). A run whose estimate exceeds the memory this machine has available, or the
thresholds below, asks for ``--yes`` before it starts.
"""

from __future__ import annotations

import dataclasses
import math
import os
from dataclasses import dataclass

from encircle_sim.geography.grid import grid_shape
from encircle_sim.scenario import Scenario

# ---- coefficients: MB and seconds per unit of each term -------------------------------------
# Fitted to 12 measured `encircle-sim run` processes (benchmarks/cost_model.py --fit: CPU time
# and peak RSS on a 2-core machine) where the fit could tell a term apart; the others are
# derived from the arrays the model makes (bytes per element x arrays alive at once). Time is
# that of an idle machine: on a busy one, expect more.
IMPORTS_MB = 150.0          # Python, numpy, pandas, scipy and Mesa loaded, the region data read
PLOTTING_MB = 275.0         # ... and matplotlib drawing the run's figures at the end
MB_PER_CELL = 1.7e-3        # per grid cell: Mesa cell object and neighbours, layers, move tables
MB_PER_LINK_PAIR = 3.4e-5   # per (cell, cell) pair of the courier-network distance matrix
MB_PER_STAMP = 4.1e-5       # per (unit, kernel cell) pair of one stamping (arrays of 8 bytes:
                            # offsets x, y, weight, index; a bound: less where kernels overhang)
MB_PER_SIGHTING = 4.0e-5    # per (cell, unit) pair of the detection matrices (5 x 8 bytes)
MB_PER_TRACK = 4.0e-6       # per (step, cell) of the recorded tracks (two int16)
MB_PER_ROUTE_FIELD_CELL = 4.0e-6  # per grid cell of one cached route field (float32)
ROUTE_FIELDS = 16           # route fields a run typically caches (the cap is 512)

SECONDS_START = 3.9         # a fresh process: imports, region data, writing folder and figures
SECONDS_PER_CELL = 2.7e-5   # per grid cell: building the grid, drawing the final map
SECONDS_PER_LINK_PAIR = 1.1e-7
SECONDS_PER_STEP = 4.0e-4   # fixed per-step work: plan, networks, metrics, data collector
SECONDS_PER_AGENT_STEP = 1.0e-5   # deciding and moving, per unit or cell per step
SECONDS_PER_STAMP = 2.1e-8     # measured: fields.splat at ~21 ns per stamp (the fit could not tell)
SECONDS_PER_SIGHTING = 4.9e-8
SECONDS_PER_CELL_STEP = 2.0e-8    # derived: ~10 whole-grid passes per step at ~2 ns a cell

# ---- when to ask first ----------------------------------------------------------------------
ASK_ABOVE_SECONDS = 30 * 60         # half an hour
ASK_ABOVE_MEMORY_SHARE = 0.8        # of the memory this machine has available now


@dataclass(frozen=True)
class Sizes:
    """The scenario sizes the costs are products of."""

    grid_cells: int
    units: int
    cells: int              # insurgent cells the model makes room for (pocket, sleepers, joiners)
    cells_at_start: int     # ... and those it starts with (each decides and moves every step)
    link_pairs: int         # sum over theatres of cells^2 (courier-network matrices)
    stamps: int             # (unit, kernel cell) pairs stamped per step, all kernels
    widest_stamp: int       # ... in the largest single stamping (one kernel, its units)
    steps: int


@dataclass(frozen=True)
class CostEstimate:
    """Estimated peak memory (MB) and wall time (s) of one run, with the sizes behind them."""

    memory_mb: float
    seconds: float
    sizes: Sizes

    def describe(self) -> str:
        s = self.sizes
        return (f"about {_mb(self.memory_mb)} of memory and {_duration(self.seconds)} "
                f"(grid {s.grid_cells:,} cells, {s.units:,} units, {s.cells:,} insurgent cells, "
                f"{s.steps:,} steps)")


def _kernel_cells(radius_km: float, cell_km: float) -> int:
    """Cells in a disc of ``radius_km`` on cells of ``cell_km`` (at least the centre)."""
    return max(1, int(math.pi * (radius_km / cell_km) ** 2))


def sizes(sc: Scenario) -> Sizes:
    nx, ny = grid_shape(sc.map.window())
    cell_km = sc.map.cell_km
    pocket = sc.insurgents.cells if sc.theatres.iraq else 0
    sleepers = sc.retaliation.sleeper_cells if sc.theatres.syria else 0
    joiners = pocket if sc.theatres.coupled and sc.retaliation.escapee_join else 0
    threat = _kernel_cells(sc.insurgents.perception_km, cell_km)
    cordon = _kernel_cells(sc.operation.cordon_radius_km, cell_km) if sc.theatres.iraq else 0
    units = sum(f.units for f in sc.forces)
    # units are stamped together, one kernel at a time: threat cones and cordon discs for all,
    # patrol discs for the units of each patrol radius
    by_patrol: dict[int, int] = {}
    for f in sc.forces:
        kind = sc.unit_types.get(f.type)
        patrol = _kernel_cells(kind.patrol_km, cell_km) if kind is not None else 1
        by_patrol[patrol] = by_patrol.get(patrol, 0) + f.units
    stamps = units * (threat + cordon) + sum(k * n for k, n in by_patrol.items())
    widest = max([units * threat, units * cordon, *(k * n for k, n in by_patrol.items())])
    # the cell table has room for 16 more than it starts with, and grows as escapees join
    return Sizes(grid_cells=nx * ny, units=units, cells=pocket + sleepers + max(joiners, 16),
                 cells_at_start=pocket + sleepers, link_pairs=pocket ** 2 + sleepers ** 2,
                 stamps=stamps, widest_stamp=widest, steps=sc.max_steps)


def estimate(sc: Scenario, steps: int | None = None) -> CostEstimate:
    """Peak memory and wall time of one run of ``sc`` (of ``steps`` steps; default: all).

    Memory is the larger of the model's peak (what it keeps, plus the largest array it makes
    at once) and the figures' peak at the end; time is the build plus every step.
    """
    z = sizes(sc)
    steps = z.steps if steps is None else steps
    sightings = z.cells_at_start * z.units
    kept = (z.grid_cells * (MB_PER_CELL + ROUTE_FIELDS * MB_PER_ROUTE_FIELD_CELL)
            + (steps + 1) * z.cells * MB_PER_TRACK)
    largest = max(z.link_pairs * MB_PER_LINK_PAIR, z.widest_stamp * MB_PER_STAMP,
                  sightings * MB_PER_SIGHTING)
    memory = max(IMPORTS_MB + kept + largest, PLOTTING_MB + kept)
    per_step = (SECONDS_PER_STEP + z.grid_cells * SECONDS_PER_CELL_STEP
                + z.stamps * SECONDS_PER_STAMP + sightings * SECONDS_PER_SIGHTING
                + (z.units + z.cells_at_start) * SECONDS_PER_AGENT_STEP)
    seconds = (SECONDS_START + z.grid_cells * SECONDS_PER_CELL
               + z.link_pairs * SECONDS_PER_LINK_PAIR + steps * per_step)
    return CostEstimate(memory, seconds, dataclasses.replace(z, steps=steps))


def available_memory_mb() -> float | None:
    """Memory this machine can give a new process now (MemAvailable), or None if unknown."""
    try:
        with open("/proc/meminfo", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) / 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE") / 2**20
    except (OSError, ValueError, AttributeError):
        return None


def reasons_to_ask(cost: CostEstimate, available_mb: float | None = None) -> list[str]:
    """Why a run of this cost should not start without the user's ``--yes`` (empty: none)."""
    available_mb = available_memory_mb() if available_mb is None else available_mb
    reasons = []
    if available_mb is not None and cost.memory_mb > ASK_ABOVE_MEMORY_SHARE * available_mb:
        reasons.append(f"it needs about {_mb(cost.memory_mb)} of memory and this machine has "
                       f"{_mb(available_mb)} available")
    if cost.seconds > ASK_ABOVE_SECONDS:
        reasons.append(f"it may take {_duration(cost.seconds)} (more than "
                       f"{_duration(ASK_ABOVE_SECONDS)})")
    return reasons


def _mb(mb: float) -> str:
    return f"{mb / 1024:.1f} GB" if mb >= 1024 else f"{mb:.0f} MB"


def _duration(seconds: float) -> str:
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 90 * 60:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"
