"""The parameter notebook: committed without outputs, public API only, runs top to bottom."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import nbformat
import pytest

import encircle_sim

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "notebooks" / "explore_campaign.ipynb"


def _read():
    return nbformat.read(NOTEBOOK, as_version=4)


def _code(nb) -> list[str]:
    return [c.source for c in nb.cells if c.cell_type == "code"]


def test_committed_notebook_is_valid_and_has_no_outputs():
    nb = _read()
    nbformat.validate(nb)
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [], f"outputs committed in cell: {cell.source[:60]!r}"
            assert cell.execution_count is None
    assert "widgets" not in nb.metadata


def test_notebook_uses_only_the_public_api():
    sources = "\n".join(_code(_read()))
    assert re.search(r"^import encircle_sim as es$", sources, re.M)
    internal = re.findall(r"(?:from|import)\s+encircle_sim\.\w+", sources)
    assert internal == [], f"imports from inside the package: {internal}"
    used = set(re.findall(r"\bes\.(\w+)", sources))
    assert used - set(encircle_sim.__all__) == set()


def test_notebook_ends_with_the_live_page():
    nb = _read()
    assert nb.cells[-2].cell_type == "markdown"
    assert nb.cells[-2].source.startswith("## Watch it live")
    assert nb.cells[-1].cell_type == "code" and "es.CampaignPage(" in nb.cells[-1].source


def _repo_state() -> str:
    return subprocess.run(["git", "-C", str(ROOT), "status", "--porcelain", "--ignored",
                           "--untracked-files=all", "--", "notebooks", "scenarios"],
                          capture_output=True, text=True, check=True).stdout


def _kernel_of_this_python(tmp_path, monkeypatch) -> str:
    """A kernelspec running this interpreter, so a user-wide 'python3' kernel is not picked."""
    from ipykernel.kernelspec import install

    name = "encircle-sim-test"
    install(kernel_name=name, prefix=str(tmp_path / "jupyter"))
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path / "jupyter" / "share" / "jupyter"))
    return name


@pytest.mark.slow
def test_notebook_runs_top_to_bottom(tmp_path, monkeypatch):
    from nbclient import NotebookClient

    nb = _read()
    before = _repo_state()
    work = tmp_path / "work"
    work.mkdir()
    kernel = _kernel_of_this_python(tmp_path, monkeypatch)
    # Raises CellExecutionError, with the cell and its traceback, if any cell fails.
    NotebookClient(nb, timeout=600, kernel_name=kernel,
                   resources={"metadata": {"path": str(work)}}).execute()

    images = [c for c in nb.cells if c.cell_type == "code"
              and any("image/png" in o.get("data", {}) for o in c.outputs)]
    assert len(images) >= 3  # final map, time series, replication spread
    live = nb.cells[-1].outputs
    assert any("application/vnd.jupyter.widget-view+json" in o.get("data", {}) for o in live), \
        "the live page did not display as a widget"
    text = "\n".join(o.get("text", "") for c in nb.cells if c.cell_type == "code"
                     for o in c.outputs if o.output_type == "stream")
    assert "ok (my_leaky_border" in text and "exit status 0" in text
    assert "reads back equal: True" in text

    saved = work / "runs" / "notebook" / "my_leaky_border.toml"
    sc = encircle_sim.load_scenario(saved)
    assert (sc.border.sealing, sc.forces[3].units) == (0.1, 2)
    assert _repo_state() == before  # it wrote nothing into the repository
