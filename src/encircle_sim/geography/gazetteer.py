"""The bundled geographic data: places, lines (border, rivers, wadis, roads) and areas.

The data file ``data/region.toml`` holds coordinates typed from public sources (each feature
names its source, and estimates are flagged ``approximate``). This module only reads and checks
it and answers questions such as "where is Haditha?"; turning it into a grid is ``grid.py``'s job.
"""

from __future__ import annotations

import difflib
import functools
import tomllib
import unicodedata
from dataclasses import dataclass, field
from importlib import resources

import numpy as np

COUNTRY_NAMES = {"IQ": "Iraq", "SY": "Syria"}
POPULATION_CLASSES = ("metropolis", "city", "town", "small_town", "village", "none")
LINE_KINDS = ("border", "frontier", "river", "wadi", "road")
AREA_KINDS = ("lake", "province", "upland")


@dataclass(frozen=True)
class Place:
    """A gazetteer entry."""

    name: str
    country: str          # "IQ" or "SY"
    lat: float
    lon: float
    population_class: str  # one of POPULATION_CLASSES
    kind: str = "town"     # "town" (a populated place or site) or "feature"
    source: str = ""
    approximate: bool = False
    note: str = ""
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class Line:
    """A polyline: ``coords`` is an (n, 2) array of [lat, lon]."""

    kind: str
    name: str
    coords: np.ndarray = field(compare=False)
    source: str = ""
    approximate: bool = False


@dataclass(frozen=True)
class Area:
    """A polygon: ``ring`` is an (n, 2) array of [lat, lon], not closed."""

    kind: str
    name: str
    ring: np.ndarray = field(compare=False)
    source: str = ""
    approximate: bool = False
    code: int = 0
    country: str = ""


class UnknownPlace(KeyError):
    """A place name the gazetteer does not hold; ``suggestions`` are close names."""

    def __init__(self, name: str, suggestions: list[str]):
        super().__init__(name)
        self.name = name
        self.suggestions = suggestions

    def __str__(self) -> str:
        hint = f"; did you mean {', '.join(self.suggestions)}?" if self.suggestions else ""
        return f"unknown place {self.name!r}{hint}"


def _key(name: str) -> str:
    """Lookup key: case, accents, apostrophes, hyphens and a leading al-/ar-/as- ignored."""
    text = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    text = text.replace("'", "").replace("`", "").replace("-", " ")
    words = text.split()
    if len(words) > 1 and words[0] in ("al", "ar", "as", "ash", "ad", "an", "el"):
        words = words[1:]
    return " ".join(words)


class Region:
    """Everything in the bundled data file, with name lookup."""

    def __init__(self, data: dict):
        meta = data["meta"]
        self.name: str = meta["name"]
        self.bounds = (meta["south"], meta["north"], meta["west"], meta["east"])
        self.country_codes: dict[str, int] = dict(meta["country_codes"])
        self.places: dict[str, Place] = {}
        self._lookup: dict[str, str] = {}
        for raw in data["places"]:
            place = Place(
                name=raw["name"], country=raw["country"], lat=float(raw["lat"]),
                lon=float(raw["lon"]), population_class=raw["class"],
                kind=raw.get("kind", "town"), source=raw.get("source", ""),
                approximate=bool(raw.get("approximate", False)), note=raw.get("note", ""),
                aliases=tuple(raw.get("aliases", ())))
            if place.population_class not in POPULATION_CLASSES:
                raise ValueError(f"region data: {place.name}: unknown class "
                                 f"{place.population_class!r}")
            self.places[place.name] = place
            for label in (place.name, *place.aliases):
                self._lookup.setdefault(_key(label), place.name)
        self.lines: list[Line] = [
            Line(raw["kind"], raw["name"], np.asarray(raw["coords"], float), raw.get("source", ""),
                 bool(raw.get("approximate", False)))
            for raw in data["lines"]]
        self.areas: list[Area] = [
            Area(raw["kind"], raw["name"], np.asarray(raw["ring"], float), raw.get("source", ""),
                 bool(raw.get("approximate", False)), int(raw.get("code", 0)),
                 raw.get("country", ""))
            for raw in data["areas"]]
        for item in self.lines:
            if item.kind not in LINE_KINDS:
                raise ValueError(f"region data: line {item.name}: unknown kind {item.kind!r}")
        for item in self.areas:
            if item.kind not in AREA_KINDS:
                raise ValueError(f"region data: area {item.name}: unknown kind {item.kind!r}")

    # ------------------------------------------------------------------------------------------
    def place(self, name: str) -> Place:
        """The place called ``name`` (or one of its aliases); raises :class:`UnknownPlace`."""
        found = self._lookup.get(_key(name))
        if found is None:
            labels = list(self.places) + [a for p in self.places.values() for a in p.aliases]
            close = difflib.get_close_matches(name, labels, n=3, cutoff=0.6)
            close = list(dict.fromkeys(self._lookup[_key(c)] for c in close))
            raise UnknownPlace(name, close)
        return self.places[found]

    def towns(self) -> list[Place]:
        """Places that are settlements or sites (not lake centres and similar features)."""
        return [p for p in self.places.values() if p.kind == "town"]

    def lines_of(self, kind: str) -> list[Line]:
        return [line for line in self.lines if line.kind == kind]

    def areas_of(self, kind: str) -> list[Area]:
        return [area for area in self.areas if area.kind == kind]


def _read_data() -> dict:
    text = resources.files("encircle_sim.geography").joinpath("data/region.toml").read_text(
        encoding="utf-8")
    return tomllib.loads(text)


@functools.cache
def load_region() -> Region:
    """The bundled region (read once per process)."""
    return Region(_read_data())


def great_circle_km(lat1, lon1, lat2, lon2) -> np.ndarray:
    """Haversine distance on a sphere of radius 6371.0 km (the reference for grid distances)."""
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dphi = p2 - p1
    dlmb = np.radians(np.asarray(lon2) - np.asarray(lon1))
    a = np.sin(dphi / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dlmb / 2) ** 2
    return 2 * 6371.0 * np.arcsin(np.sqrt(a))
