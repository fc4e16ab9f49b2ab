"""Perceive: the threat the security forces pose, as every cell feels it.

Threat on a square is the strength of the living units within ``insurgents.perception_km``, in
platoon-equivalents (engaged strength / ``PLATOON``), each unit's weight falling linearly from 1
where it stands to 0 at the perception radius (a cone). One whole-grid field per step
(``fields.splat``'s sum, by one compiled call: ``perceive_kernels.add_threat``); a cell's
threat also counts its own exposure (``cells.exposed``: it knows when it has been seen), added
by the decide submodel.
"""

from __future__ import annotations

import numpy as np

from encircle_sim.submodels.perceive_kernels import add_threat

#: Soldiers in one platoon-equivalent of threat.
PLATOON = 40.0


def threat_field(model) -> np.ndarray:
    """Platoon-equivalents of force within perception range, cone-weighted, on every square."""
    u, kernel = model.units, model.threat_kernel
    threat = np.zeros(model.nav.shape)
    add_threat(threat, u.x, u.y, u.strength, u.engaged_max, PLATOON, kernel.dx, kernel.dy,
               kernel.weight)
    return threat
