"""What hides a cell from search: the terrain, a hideout, the population around it.

A cell's exposure to ground search this step is ``(1 - terrain) x (1 - cover)`` (Koopman: the
share of search effort that counts against it):

- terrain: its square's concealment (``[terrain]``);
- cover, for a cell that stayed put: ``networks.hideout_concealment`` for a pocket cell in an
  intact hideout (it has gone to ground), ``retaliation.blend_concealment`` for a hidden sleeper
  within ``retaliation.spread_km`` of its town (it lives among the population); 0 otherwise.

Against air search the terrain counts x the asset's ``concealment_factor``, and a cell that
moved since the last search (this step's move for a pocket cell, the last step's for a sleeper,
which moves after the search) keeps only ``MOVING_CONCEALMENT_SHARE`` of it: cells move by
night, when ground patrols are laid up (so against them a mover keeps its terrain, losing only
its hideout) but overhead thermal sensors see movement.

Used by detection (detect), by the choice of area fire against well-hidden cells (engage) and by
the cells' own judgement of where to hide (decide).
"""

from __future__ import annotations

import numpy as np

from encircle_sim.cover_kernels import cover_of, shelter_of

#: Share of its square's concealment a cell keeps against air search in a step in which it
#: moved (cells move by night, which thermal sensors overhead see).
MOVING_CONCEALMENT_SHARE = 0.5


def terrain_and_cover(model, idx: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(terrain concealment, cover beyond it, moved this step) of cells ``idx``."""
    c, nav = model.cells, model.nav
    idx = np.asarray(idx, np.intp)
    terrain, cover = np.empty(len(idx)), np.empty(len(idx))
    cover_of(idx, c.x, c.y, c.moved, c.theatre, c.state, c.town, model.concealment,
             model.hideout_at, model.town_xy, nav.km_x, nav.km_y,
             float(model.spec.networks.hideout_concealment),
             float(model.spec.retaliation.blend_concealment),
             float(model.spec.retaliation.spread_km), terrain, cover)
    return terrain, cover, c.moved[idx]


def ground_exposure(model, idx: np.ndarray, concealed: tuple | None = None) -> np.ndarray:
    """The share of ground search effort that counts against cells ``idx`` this step
    (``concealed``: their :func:`terrain_and_cover`, if already known)."""
    terrain, cover, _ = concealed or terrain_and_cover(model, idx)
    return (1.0 - terrain) * (1.0 - cover)


def air_exposure(model, idx: np.ndarray, concealment_factor: float,
                 concealed: tuple | None = None) -> np.ndarray:
    """The share of an air asset's search effort that counts against cells ``idx``
    (``concealed``: their :func:`terrain_and_cover`, if already known)."""
    terrain, cover, moved = concealed or terrain_and_cover(model, idx)
    seen = terrain * concealment_factor * np.where(moved, MOVING_CONCEALMENT_SHARE, 1.0)
    return (1.0 - seen) * (1.0 - cover)


def shelter(model, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """How well a pocket cell staying put on squares (x, y) would be hidden: 1 - its exposure
    there (the terrain's concealment, and an intact hideout's if there is one)."""
    x, y = np.asarray(x), np.asarray(y)
    hideout = float(model.spec.networks.hideout_concealment)
    if x.shape == y.shape and x.dtype.kind == y.dtype.kind == "i":
        out = np.empty(x.shape)
        shelter_of(x.ravel(), y.ravel(), model.concealment, model.hideout_at, hideout,
                   out.reshape(-1))
        return out
    hideout = np.where(model.hideout_at[x, y] >= 0, hideout, 0.0)
    return 1.0 - (1.0 - model.concealment[x, y]) * (1.0 - hideout)
