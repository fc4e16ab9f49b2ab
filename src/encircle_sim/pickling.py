"""Pickling a model so that the restored model can be pickled again (checkpoints, branches).

Mesa 3.5's grids give their cells a class made at run time (``GridCell``) and register how to
pickle it. Unpickled, every cell gets a class of its own, made on the spot and registered
nowhere: the restored model cannot be pickled a second time ("Can't pickle <class
'mesa.discrete_space.grid.GridCell'>"), and unpickling makes one class per square (about 11,000
for the default map). :func:`dumps` pickles the cells of a grid as instances of one shared class
per pickle, which :func:`loads` makes once and registers; the restored model pickles again,
with this module or with plain ``pickle``.
"""

from __future__ import annotations

import copyreg
import io
import pickle
import uuid
import weakref

from mesa.discrete_space import Cell
from mesa.discrete_space.grid import pickle_gridcell

_CLASSES: weakref.WeakValueDictionary = weakref.WeakValueDictionary()


def _is_grid_cell(cls: type) -> bool:
    return cls.__name__ == "GridCell" and issubclass(cls, Cell)


class _Pickler(pickle.Pickler):
    """Pickles grid cells as ``_restore_cell(base class, token, state)``: one token per base
    class in one pickle, so every cell of a grid is restored with one class."""

    def __init__(self, file, protocol=pickle.HIGHEST_PROTOCOL):
        super().__init__(file, protocol)
        self._tokens: dict[type, str] = {}

    def reducer_override(self, obj):
        cls = type(obj)
        if isinstance(obj, Cell) and _is_grid_cell(cls):
            base = cls.__bases__[0]
            token = self._tokens.setdefault(base, uuid.uuid4().hex)
            return _restore_cell, (base, token, obj.__getstate__())
        return NotImplemented


def _restore_cell(base: type, token: str, state):
    cls = _CLASSES.get((base, token))
    if cls is None:
        cls = type("GridCell", (base,), {"_mesa_properties": set(), "__slots__": ()})
        copyreg.pickle(cls, pickle_gridcell)  # plain pickle works on the restored model too
        _CLASSES[(base, token)] = cls
    cell = cls((0, 0))  # a placeholder coordinate, set from the state next (as Mesa does)
    for key, value in state[1].items():
        setattr(cell, key, value)
    return cell


def dumps(obj) -> bytes:
    """Pickle ``obj`` (a model, or anything holding one)."""
    out = io.BytesIO()
    _Pickler(out).dump(obj)
    return out.getvalue()


def loads(data: bytes):
    return pickle.loads(data)
