"""The live page displays inside a Jupyter cell (a real kernel, run by nbclient)."""

from __future__ import annotations

import nbformat
import pytest
from nbclient import NotebookClient

pytestmark = pytest.mark.slow

WIDGET_MIME = "application/vnd.jupyter.widget-view+json"


def test_page_is_the_last_expression_of_a_cell(tmp_path):
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_code_cell("from encircle_sim.viz import CampaignPage\n"
                                  "page = CampaignPage('quick')\n"
                                  "page"),
        nbformat.v4.new_code_cell("import solara\n"
                                  "print(type(page).__name__, page.component.name)"),
    ]
    NotebookClient(nb, timeout=300, kernel_name="python3", resources={
        "metadata": {"path": str(tmp_path)}}).execute()
    outputs = nb.cells[0].outputs
    errors = [o for c in nb.cells for o in c.outputs if o.output_type == "error"]
    assert errors == [], errors
    shown = [o for o in outputs if o.output_type == "display_data"
             or o.output_type == "execute_result"]
    assert any(WIDGET_MIME in o.get("data", {}) for o in shown), outputs
    assert "CampaignPage" in nb.cells[1].outputs[0]["text"]
