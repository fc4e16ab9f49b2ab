"""One random stream per submodel, so that changing one lever does not reshuffle every other draw.

A run's seed makes a ``numpy.random.SeedSequence``; each name of :data:`STREAMS` gets its own
generator spawned from it, in that fixed order (ODD section 7: each submodel draws only from
its own stream). With one shared generator, a lever that makes one submodel draw more or fewer
numbers (a sealed border, more search, another order) shifts every later draw of every other
submodel, and two courses of action run on the same seed soon differ by noise alone. With a
stream each, the cells' choices, the escape draws, the sleepers' attacks ... of two runs on the
same seed stay paired as far as their own inputs agree: common random numbers
(benchmarks/crn_variance.py measures how much this shrinks the variance of a difference).
"""

from __future__ import annotations

import numpy as np

#: The streams, in spawn order (changing the order changes every run's results).
STREAMS = ("build", "decide", "move", "escape", "detect", "engage", "retaliate", "networks",
           "orders")


class RandomStreams:
    """The named generators of one run: ``streams.decide``, ``streams.engage``, ...

    ``build``: placing the world (build.py); ``decide``, ``escape``, ``detect``, ``engage``,
    ``retaliate``, ``networks``: the submodels of those names; ``move``: the forces' search
    goals (forces.py); ``orders``: orders carried out during a run (orders.py).
    """

    __slots__ = STREAMS

    def __init__(self, parent: np.random.Generator):
        for name, child in zip(STREAMS, parent.spawn(len(STREAMS)), strict=True):
            setattr(self, name, child)

    def reseed(self, seed: int) -> None:
        """Every stream as a fresh run with ``seed`` would have it, in place (the submodels
        keep their references)."""
        fresh = RandomStreams(np.random.default_rng(seed))
        for name in STREAMS:
            getattr(self, name).bit_generator.state = getattr(fresh, name).bit_generator.state

    def __getstate__(self):
        return {name: getattr(self, name) for name in STREAMS}

    def __setstate__(self, state):
        for name in STREAMS:
            setattr(self, name, state[name])
