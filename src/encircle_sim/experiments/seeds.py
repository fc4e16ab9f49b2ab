"""Replication seeds: one per (experiment seed, replication number[, design point]).

A seed comes from ``numpy.random.SeedSequence`` with the experiment seed as its entropy and the
replication number (and, without common random numbers, the design point) as its spawn key. It
depends on nothing else: not the number of workers, not the order in which runs finish, not how
many replications were asked for. With common random numbers (the default) replication ``r`` of
every design point uses the same seed, so the difference between two points is not buried under
different luck; ``SeedSequence(s).spawn(n)`` gives the same seeds, so older tables keep theirs.
"""

from __future__ import annotations

import numpy as np

MAX_SEED = 2**63 - 1  # the scenario schema's bound on ``seed``
#: Spawn key of the stream the design's own sampling draws from (never a replication number).
DESIGN_STREAM = 2**32


def _is_int(value) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool)


def replication_seed(experiment_seed: int, rep: int, point: int | None = None) -> int:
    """The seed of replication ``rep`` (of design ``point`` when seeds are not shared).

    63 bits: a seed that a scenario file and ``encircle-sim run --seed`` accept.
    """
    key = (int(rep),) if point is None else (int(rep), int(point))
    state = np.random.SeedSequence(int(experiment_seed), spawn_key=key).generate_state(
        1, dtype=np.uint64)
    return int(state[0] >> np.uint64(1))


def design_rng(experiment_seed: int) -> np.random.Generator:
    """The random generator a design (Latin hypercube, Morris, Sobol) samples with."""
    return np.random.default_rng(np.random.SeedSequence(int(experiment_seed),
                                                        spawn_key=(DESIGN_STREAM,)))


def replication_seeds(n: int, root_seed: int = 0) -> list[int]:
    """``n`` independent seeds derived reproducibly from ``root_seed``."""
    if not _is_int(n) or n < 1:
        raise ValueError(f"seeds: expected a number of replications >= 1 or a list of seeds, "
                         f"got {n!r}")
    if not _is_int(root_seed) or root_seed < 0:
        raise ValueError(f"root_seed: expected an integer >= 0, got {root_seed!r}")
    return [replication_seed(root_seed, r) for r in range(int(n))]
