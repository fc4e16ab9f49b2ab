"""The app that ``encircle-sim viz`` serves; also ``solara run src/encircle_sim/viz/app.py``.

The first scenario shown is ``$ENCIRCLE_SIM_VIZ_SCENARIO`` (a bundled name or a scenario file;
``encircle-sim viz SCENARIO`` sets it), else the default scenario; ``$ENCIRCLE_SIM_VIZ_REPLAY``
(``encircle-sim viz RUN_FOLDER`` sets it) opens a run folder for replay first. In Jupyter, use
``encircle_sim.viz.CampaignPage("quick")`` as the last expression of a cell instead.
"""

from __future__ import annotations

import os

from encircle_sim.scenario_files import DEFAULT_SCENARIO
from encircle_sim.viz.page import CampaignPage
from encircle_sim.viz.server import ENV_REPLAY, ENV_SCENARIO

page = CampaignPage(os.environ.get(ENV_SCENARIO) or DEFAULT_SCENARIO,
                    replay=os.environ.get(ENV_REPLAY) or None)
page  # noqa: B018 - the page solara serves
