"""The classroom app: a Mesa SolaraViz page. Serve it with ``grassroots demo`` (README,
"Classroom app"), or ``solara run experiments/classroom/app.py --host 127.0.0.1``.

Sidebar (SolaraViz): play/pause, step, reset, play interval and steps per frame (speed), and
the controls generated from ``sim.params.describe()`` (see ``experiments/classroom/model.py``):
scenario preset, seed, structure, reporting mechanism, volunteer team size, the toggles; in
side-by-side mode the B copies of the policies. A changed control takes effect on Reset.
Main area: the map(s), the live charts and the event feed.
"""

from __future__ import annotations

from html import escape

import solara
from mesa.visualization import SolaraViz

from experiments.classroom.model import ClassroomModel, Pane, model_params, startup_from_env
from experiments.classroom.svg import MapLayout, chart_svg, map_svg
from sim.params import ConfigError

START = startup_from_env()
ClassroomModel.startup = START
PLAY_INTERVAL_MS = 21  # SolaraViz's slider moves in steps of 10 from 1
FEED_LINES = 14

colour_by = solara.reactive("unmet needs")


class AppModel(ClassroomModel):
    """The page's model: a bad control value (a seed that is not a number) is shown on the
    page and the preset's own values are used, instead of an error that stops the page."""

    def __init__(self, preset=None, seed=None, side_by_side=None, scenario=None, **controls):
        error = ""
        try:
            self.resolve(preset, seed, side_by_side, controls)
        except ConfigError as e:
            error = f"{e}: Reset used the preset's own values instead"
            seed, controls = None, {}
        super().__init__(preset, seed, side_by_side, **controls)
        self.error = error


def _layout(pane: Pane) -> MapLayout:
    layout = getattr(pane, "_map_layout", None)
    if layout is None:
        layout = pane._map_layout = MapLayout(pane.model.township)
    return layout


def MapView(model: ClassroomModel):
    """The township map of each simulation, with the colour choice above it."""
    with solara.Column(style={"padding": "4px"}) as main:
        with solara.Row(style={"align-items": "center"}):
            solara.Text(f"Seed {model.seed} · {model.preset} · step "
                        f"{model.main.step_count}/{model.main.n_steps}",
                        classes=["grassroots-status"],
                        style={"font-size": "18px", "font-weight": "bold"})
            solara.ToggleButtonsSingle(value=colour_by, values=["unmet needs", "harm"])
        if model.error:
            solara.Error(model.error)
        mode = "harm" if colour_by.value == "harm" else "unmet"
        for pane in model.panes:
            solara.Text(pane.title, classes=["grassroots-policy"],
                        style={"font-size": "17px", "font-weight": "bold"})
            solara.HTML(tag="div", unsafe_innerHTML=map_svg(pane.model, _layout(pane), mode),
                        classes=["grassroots-map"])
    return main


def ChartsView(model: ClassroomModel):
    """Backlog, mean response time and cumulative harm; one line per simulation."""
    hours = model.main.config.time.war_hours
    labels = [p.title if len(model.panes) > 1 else "" for p in model.panes]
    specs = [("Backlog: needs not yet resolved", "backlog", "chart-backlog"),
             ("Mean response time so far (min)", "response_min", "chart-response"),
             ("Cumulative harm", "cum_harm", "chart-harm")]
    with solara.Column(style={"padding": "4px"}) as main:
        if model.main.phase != "war":
            solara.Text(f"Peacetime: day {model.main.step_count + 1} of "
                        f"{model.main.peace_steps}; the emergency starts on day "
                        f"{model.main.peace_steps + 1}.", style={"font-size": "17px"})
        for title, attr, chart_id in specs:
            series = [(label, p.hours, getattr(p, attr)) for label, p in zip(labels,
                                                                              model.panes)]
            solara.HTML(tag="div", unsafe_innerHTML=chart_svg(title, series, hours, chart_id))
    return main


def FeedView(model: ClassroomModel):
    """The last events in words, newest last."""
    with solara.Columns([1] * len(model.panes), style={"padding": "4px"}) as main:
        for pane in model.panes:
            with solara.Column(gap="4px"):
                solara.Text(f"Events {pane.label}".strip().rstrip(":"),
                            style={"font-size": "17px", "font-weight": "bold"})
                lines = [text for _, text in pane.feed[-FEED_LINES:]] or ["(nothing yet)"]
                solara.HTML(tag="pre", unsafe_innerHTML="\n".join(escape(x) for x in lines),
                            classes=["grassroots-feed"],
                            style={"font-size": "15px", "white-space": "pre-wrap",
                                   "margin": "0"})
    return main


# SolaraViz puts each component in a draggable tile of 6 x 10 grid rows (about 300 px): too
# small for a map on a projector. The page is one component, and this style (which applies
# only to the tile holding it) lets that tile take the width and the height it needs.
PAGE_CSS = """
.vue-grid-layout:has(.grassroots-page) { height: auto !important; }
.vue-grid-item:has(.grassroots-page) {
    position: relative !important; transform: none !important;
    width: 100% !important; height: auto !important;
}
"""


def ClassroomView(model: ClassroomModel):
    """The main area: the map(s) on the left; the charts and the event feed on the right."""
    with solara.Column(classes=["grassroots-page"], style={"padding": "0"}) as main:
        solara.Style(PAGE_CSS)
        with solara.Columns([1, 1]):
            MapView(model)
            with solara.Column(gap="0"):
                ChartsView(model)
                FeedView(model)
    return main


PARAMS = model_params(START)
# The first model is built from the controls' initial values, as Reset builds later ones.
model = AppModel(**{k: v["value"] if isinstance(v, dict) else v
                          for k, v in PARAMS.items()})
page = SolaraViz(
    model,
    components=[(ClassroomView, 0)],
    model_params=PARAMS,
    play_interval=PLAY_INTERVAL_MS,
    render_interval=1,
    name="Grassroots emergency response: classroom",
)
