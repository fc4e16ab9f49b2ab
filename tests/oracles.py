"""Rules written as plain numpy, the references that more than one oracle test compares a
compiled kernel with (each test module keeps the references only it needs)."""

from __future__ import annotations

import numpy as np


def reference_points_in_disc(nav, cx, cy, radius_km, rng, size):
    """``Navigator.random_points_in_disc``'s rule in numpy (its implementation before the
    arithmetic after the draws was compiled): radius ``R sqrt(u)``, then the angle ``2 pi v``,
    the offset in squares by the row's km east-west and the km north-south, rounded to the
    nearest square and snapped to open ground by ``nav.snap``. ``nav`` needs only ``km_x``,
    ``km_y`` and ``snap`` (a stand-in will do)."""
    r = radius_km * np.sqrt(rng.random(size))
    ang = rng.random(size) * 2 * np.pi
    gx = np.rint(cx + r * np.cos(ang) / nav.km_x[cy]).astype(np.int32)
    gy = np.rint(cy + r * np.sin(ang) / nav.km_y).astype(np.int32)
    return nav.snap(gx, gy)
