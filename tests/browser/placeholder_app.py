"""Placeholder SolaraViz page for the browser-test harness: Mesa's own Epstein civil-violence example.

It stands in for encircle-sim's own app until that exists, and exercises every kind of front-end
asset the real page is expected to need offline: a matplotlib space drawing (SpaceRenderer), a
matplotlib time-series plot, an Altair time-series plot (loads the Vega packages from Solara's
asset proxy) and a Markdown panel (loads KaTeX and Mermaid the same way).

Serve it with:  python -m encircle_sim.viz.server tests/browser/placeholder_app.py
"""

import solara
from mesa.examples.advanced.epstein_civil_violence.agents import Citizen, CitizenState, Cop
from mesa.examples.advanced.epstein_civil_violence.model import EpsteinCivilViolence
from mesa.visualization import Slider, SolaraViz, SpaceRenderer, make_plot_component
from mesa.visualization.components import AgentPortrayalStyle
from mesa.visualization.utils import update_counter

COP_COLOR = "#000000"
AGENT_COLORS = {
    CitizenState.ACTIVE: "#FE6100",
    CitizenState.QUIET: "#648FFF",
    CitizenState.ARRESTED: "#808080",
}
# Small grid: the harness tests the page machinery, not drawing speed.
WIDTH = HEIGHT = 20


def portrayal(agent):
    if agent is None:
        return None
    style = AgentPortrayalStyle(size=60)
    if isinstance(agent, Citizen):
        style.update(("color", AGENT_COLORS[agent.state]))
    elif isinstance(agent, Cop):
        style.update(("color", COP_COLOR))
    return style


def post_process(ax):
    ax.set_aspect("equal")
    ax.set_xticks([])
    ax.set_yticks([])


model_params = {
    "rng": 42,  # fixed: an InputText seed box hands the model a string once edited
    "width": WIDTH,
    "height": HEIGHT,
    "citizen_density": Slider("Initial Agent Density", 0.7, 0.1, 0.9, 0.1),
    "cop_density": Slider("Initial Cop Density", 0.04, 0.0, 0.1, 0.01),
    "legitimacy": Slider("Government Legitimacy", 0.82, 0.0, 1, 0.01),
}

@solara.component
def Summary(model):
    """A Markdown panel; the browser test reads the step from it (``data-testid``-free on purpose)."""
    update_counter.get()
    active = sum(1 for a in model.agents if getattr(a, "state", None) == CitizenState.ACTIVE)
    solara.Markdown(f"**Placeholder summary**: step {model.steps}, active citizens {active}")


colors = {state.name.lower(): AGENT_COLORS[state] for state in CitizenState}
plot_matplotlib = make_plot_component(colors)
plot_altair = make_plot_component(colors, backend="altair")

model = EpsteinCivilViolence(width=WIDTH, height=HEIGHT)  # rng 42: the scenario default
renderer = SpaceRenderer(model, backend="matplotlib").setup_agents(portrayal)
renderer.draw_agents()
renderer.post_process = post_process

page = SolaraViz(
    model,
    renderer,
    components=[plot_matplotlib, plot_altair, Summary],
    model_params=model_params,
    name="encircle-sim browser-test placeholder (Mesa Epstein example)",
)
page  # noqa: B018
