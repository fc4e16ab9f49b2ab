"""The region the model runs on: bundled geographic data and the geo-referenced grid.

``load_region()`` reads the bundled gazetteer, lines and areas (``data/region.toml``);
``build_region_grid(window)`` rasterises them over a map window into numpy layers and, on
request, a Mesa ``OrthogonalMooreGrid`` with those layers as property layers.
"""

from encircle_sim.geography.gazetteer import (
    Area,
    Line,
    Place,
    Region,
    UnknownPlace,
    great_circle_km,
    load_region,
)
from encircle_sim.geography.grid import (
    COUNTRY_IRAQ,
    COUNTRY_OTHER,
    COUNTRY_SYRIA,
    DEFAULT_TERRAIN,
    KM_PER_DEG,
    LAYER_DOCS,
    MapWindow,
    RegionGrid,
    Terrain,
    TerrainProperties,
    build_region_grid,
)

__all__ = [
    "COUNTRY_IRAQ", "COUNTRY_OTHER", "COUNTRY_SYRIA", "DEFAULT_TERRAIN", "KM_PER_DEG", "LAYER_DOCS",
    "Area",
    "Line", "MapWindow", "Place", "Region", "RegionGrid", "Terrain", "TerrainProperties",
    "UnknownPlace", "build_region_grid", "great_circle_km", "load_region",
]
