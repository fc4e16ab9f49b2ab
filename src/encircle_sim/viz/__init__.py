"""The live browser page (Mesa SolaraViz) and what it needs.

* ``page``: :class:`CampaignPage`, the page itself (also displays in a Jupyter cell);
* ``app``: the module ``encircle-sim viz`` / ``solara run`` serve;
* ``live_model``: the model class whose keyword arguments are the page's controls;
* ``mapframe`` / ``charts``: fast matplotlib frames of the map and the charts;
* ``components``: the Solara components that show them;
* ``assets`` / ``server``: offline front-end files and the server launcher.

``CampaignPage`` is imported lazily, so that ``encircle_sim.viz.assets`` and ``.server`` do not
import Solara and Mesa's visualisation.
"""

__all__ = ["CampaignPage"]


def __getattr__(name: str):
    if name == "CampaignPage":
        from encircle_sim.viz.page import CampaignPage

        return CampaignPage
    raise AttributeError(f"module 'encircle_sim.viz' has no attribute {name!r}")
