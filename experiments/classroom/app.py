"""The classroom app: one Solara page. Serve it with ``grassroots demo`` (README, "Classroom
app"), or ``solara run experiments/classroom/app.py --host 127.0.0.1``.

Each browser session gets its own run: the page component builds its model on first render
and keeps it, with the play state, in per-session state (``solara.use_memo`` and
``solara.use_reactive`` inside the component), so students on one server never share a run
and a reload starts afresh. The page is ours rather than Mesa's ``SolaraViz`` because the
play loop has to pace itself in simulated hours, pause at key moments and fast-forward quiet
stretches; the model is still a Mesa model (``experiments/classroom/model.py``).

Sidebar: the scenario and its description, play/pause, step, reset, speed, pause at key
moments, the controls generated from ``sim.params.describe()`` (each with its description,
unit and range), a glossary. Main area: the map(s) with their legend and notes, the live
charts, the event feed (newest first), the finished panel and the export buttons.
"""

from __future__ import annotations

import math
import threading
import time
from html import escape
from typing import Any

import ipyvue
import solara
import traitlets

from experiments.classroom import gif
from experiments.classroom.gif import GIF_MAX_FRAMES, gif_frames  # noqa: F401 (the app's)
from experiments.classroom.model import (
    CHECK_SEEDS,
    OUTCOME_ROWS,
    ClassroomModel,
    Pane,
    check_on_seeds,
    clock,
    control_values,
    hazard_word,
    model_params,
    parse_seed,
    startup_from_env,
)
from experiments.classroom.projector import PROJECTOR_CSS, ProjectorToggle
from experiments.classroom.svg import MapLayout, chart_svg, legend_items, map_svg
from experiments.i18n import has, text
from sim.params import ConfigError

START = startup_from_env()
ClassroomModel.startup = START
LANG = START.lang
FRAME_S = 0.04  # the play loop's frame: the steps due at the chosen speed are run, then drawn
MAX_STEPS_PER_FRAME = 40
FAST_FORWARD = 8  # quiet stretches run this many times faster
PEACE_DAYS_PER_S = 14  # peacetime (one step a day) runs at this many days a second
SPEEDS = (0.5, 1, 2, 4, 8, 16, 32, 64)  # simulated hours per second
TARGET_RUN_S = 40  # the default speed plays the emergency in about this long
FEED_LINES = 12
RENDER_WAIT_S = 2.0  # the play loop waits at most this long for a frame to be drawn


def T(key: str, **fields: Any) -> str:
    return text(key, LANG, **fields)


def scenario_description(preset: str) -> str:
    """The scenario file's description; in another language, its translation if any."""
    key = f"app.scenario.{START.preset_config(preset).name}"
    if LANG != "en" and has(key, LANG):
        return T(key)
    return START.preset_description(preset)


def default_speed(war_hours: float) -> float:
    """The slowest speed that plays the emergency within about TARGET_RUN_S."""
    return next((s for s in SPEEDS if war_hours / s <= TARGET_RUN_S), SPEEDS[-1])


class AppModel(ClassroomModel):
    """The page's model: a bad control value (a seed that is not a number) is shown on the
    page and only that value is replaced by the preset's own, instead of an error that stops
    the page (the other controls keep the values the sidebar shows)."""

    def __init__(self, preset=None, seed=None, side_by_side=None, scenario=None, **controls):
        errors = []
        try:
            parse_seed(START.seed if seed is None else seed)
        except ConfigError as e:
            errors.append(str(e))
            seed = None
        for name in list(controls):
            try:
                self.resolve(preset, seed, side_by_side, {name: controls[name]})
            except ConfigError as e:
                errors.append(str(e))
                del controls[name]
        try:
            self.resolve(preset, seed, side_by_side, controls)
        except ConfigError as e:  # values bad only together: the preset's own
            errors.append(str(e))
            controls = {}
        super().__init__(preset, seed, side_by_side, **controls)
        self.error = T("app.bad_value", error="; ".join(errors)) if errors else ""
        self.layouts = [MapLayout(p.model.township) for p in self.panes]
        self.frames: list[list[Any]] = []  # for the GIF: per frame, each pane's grid levels


# --- exports ------------------------------------------------------------------------------


class SavePng(ipyvue.VueTemplate):
    """A button that draws the page's maps and charts (their SVGs, where they are on the
    screen) on a canvas in the browser and downloads it as a PNG: no server round trip."""

    label = traitlets.Unicode("PNG").tag(sync=True)
    template = traitlets.Unicode("""
<template>
  <button class="grassroots-png v-btn v-btn--contained theme--light v-size--default primary"
          @click="save"><span class="v-btn__content">{{ label }}</span></button>
</template>
<script>
module.exports = {
  methods: {
    save() {
      const root = document.querySelector('.grassroots-view');
      if (!root) return;
      const box = root.getBoundingClientRect();
      const k = 2;
      const canvas = document.createElement('canvas');
      canvas.width = Math.ceil(box.width * k);
      canvas.height = Math.ceil(box.height * k);
      const ctx = canvas.getContext('2d');
      ctx.scale(k, k);
      ctx.fillStyle = '#ffffff';
      ctx.fillRect(0, 0, box.width, box.height);
      const svgs = Array.from(root.querySelectorAll('svg.grassroots-map-svg, svg.chart'));
      const draws = svgs.map(svg => new Promise(done => {
        const b = svg.getBoundingClientRect();
        const img = new Image();
        img.onload = () => {
          ctx.drawImage(img, b.left - box.left, b.top - box.top, b.width, b.height);
          done();
        };
        img.onerror = done;
        img.src = 'data:image/svg+xml;charset=utf-8,' +
          encodeURIComponent(new XMLSerializer().serializeToString(svg));
      }));
      Promise.all(draws).then(() => canvas.toBlob(blob => {
        const a = document.createElement('a');
        a.href = URL.createObjectURL(blob);
        a.download = 'grassroots-view.png';
        document.body.appendChild(a);
        a.click();
        setTimeout(() => { URL.revokeObjectURL(a.href); a.remove(); }, 1000);
      }, 'image/png'));
    }
  }
}
</script>
""").tag(sync=True)


def gif_bytes(model: AppModel) -> bytes:
    """The run so far as an animated GIF (``experiments/classroom/gif.py``)."""
    return gif.gif_bytes(model, T, LANG, getattr(model, "gif_colour", "unmet"))


# --- the page -----------------------------------------------------------------------------

PAGE_CSS = """
.grassroots-page { font-size: 15px; color: #212121; background: #ffffff; }
.grassroots-toolbar { align-items: center; flex-wrap: wrap; }
.grassroots-toolbar .v-btn { text-transform: none; }
.grassroots-toolbar .v-input--checkbox { margin: 0; padding: 0; }
.grassroots-toolbar .v-input__slot, .grassroots-toolbar .v-messages { margin: 0 !important; }
.grassroots-toolbar .v-messages { display: none; }
.grassroots-clock { font-size: 15px; }
.grassroots-scenario-line { font-size: 15px; white-space: nowrap; overflow: hidden;
                            text-overflow: ellipsis; }
.grassroots-maps { display: flex; gap: 6px; flex-wrap: nowrap; }
.grassroots-mapbox { position: relative; }
.grassroots-mapbox svg { display: block; width: auto; max-width: 100%;
                         height: calc(100vh - 200px); }
.grassroots-side-by-side .grassroots-mapbox svg {  /* leaves the charts a third of the width */
    height: min(calc(100vh - 200px), calc((100vw - 560px) / 2), calc((100vw - 200px) / 3)); }
.grassroots-sidecol { flex: 1 1 0; min-width: 300px; display: flex; flex-direction: column;
                      gap: 2px; max-height: calc(100vh - 130px); overflow: hidden; }
.grassroots-sidecol > * { flex-shrink: 0; }
.grassroots-sidecol.grassroots-done { overflow-y: auto; }  /* the feed, under the outcomes */
.grassroots-sidecol svg.chart { width: 100%; height: auto; display: block;
                                max-height: calc((100vh - 390px) / 3); }
.grassroots-note { min-height: 30px; width: 0; min-width: 100%; border-radius: 6px;
                   padding: 2px 8px; font-size: 17px; font-weight: bold; color: #212121;
                   line-height: 1.3; }
.grassroots-note.on { background: #fff8e1; border: 2px solid #ff8f00; }
.grassroots-legend { display: flex; flex-wrap: wrap; gap: 2px 12px; font-size: 15px;
                     color: #212121; }
.grassroots-legend span { display: inline-flex; align-items: center; gap: 4px; }
.grassroots-feed { font-size: 15px; line-height: 1.25; white-space: pre-wrap; margin: 0;
                   color: #212121; overflow: hidden; font-family: sans-serif; }
.grassroots-finished { border: 3px solid #2e7d32; border-radius: 8px; padding: 2px 8px;
                       background: #f1f8e9; color: #212121; font-size: 15px; line-height: 1.25; }
.grassroots-finished table { border-collapse: collapse; }
.grassroots-finished td, .grassroots-finished th { padding: 0 6px; text-align: left; }
.grassroots-finished .n { text-align: right; white-space: nowrap; }
.grassroots-outcomes { display: grid; grid-template-columns: 1fr 1fr; gap: 0 16px; }
.grassroots-outcomes b { white-space: nowrap; }
.grassroots-help { font-size: 13px; color: #455a64; margin: -14px 0 8px 0; line-height: 1.2; }
.grassroots-slider-label { font-size: 12px; color: rgba(0, 0, 0, .6); margin-bottom: 30px; }
.grassroots-slider + .grassroots-help { margin-top: 10px; }  /* below the thumb, not on it */
.grassroots-sidebar { font-size: 14px; }
.grassroots-policy { font-size: 16px; font-weight: bold; line-height: 1.2; width: 0;
                     min-width: 100%; }
footer, .solara-footer { display: none !important; }
"""


def _label(spec: dict[str, Any]) -> str:
    key = f"app.param.{spec['key']}"
    if spec.get("key") and has(key, LANG):
        return spec.get("prefix", "") + T(key)
    return spec["label"]


def _help(spec: dict[str, Any]) -> str:
    doc = T(f"app.doc.{spec['key']}") if has(f"app.doc.{spec['key']}", LANG) else spec["doc"]
    unit = spec["unit"] if spec["unit"] not in ("-", "bool") else ""
    if spec["low"] is not None and spec["high"] is not None:
        return f"{doc} ({T('app.help.range', unit=unit, low=spec['low'], high=spec['high'])})"
    return f"{doc} ({unit})" if unit else doc


@solara.component
def Control(name: str, spec: dict[str, Any], value: Any, on_value, disabled: bool = False):
    """One control with its description, unit and range under it (and as a tooltip)."""
    label, help_text = _label(spec), _help(spec)
    kind = spec["type"]
    with solara.Tooltip(help_text):
        with solara.Column(gap="0"):
            if kind == "Select":
                words = {
                    v: T(f"app.choice.{v}") if has(f"app.choice.{v}", LANG) else v
                    for v in spec["values"]
                }
                solara.Select(
                    label,
                    value=words.get(value, value),
                    values=list(words.values()),
                    disabled=disabled,
                    on_value=lambda w: on_value(next(k for k, x in words.items() if x == w)),
                )
            elif kind == "Checkbox":
                solara.Checkbox(
                    label=label, value=bool(value), on_value=on_value, disabled=disabled
                )
            elif kind in ("SliderInt", "SliderFloat"):
                # The label above the slider, not beside it: beside it, a long label took
                # the whole row and left the track 0 px wide (it could not be dragged).
                solara.HTML(
                    tag="div", unsafe_innerHTML=escape(label), classes=["grassroots-slider-label"]
                )
                slider = solara.SliderInt if kind == "SliderInt" else solara.SliderFloat
                cast = int if kind == "SliderInt" else float
                with solara.Column(gap="0", classes=["grassroots-slider"]):
                    slider(
                        "",
                        value=cast(value),
                        min=spec["min"],
                        max=spec["max"],
                        step=spec["step"],
                        on_value=on_value,
                        thumb_label="always",
                        disabled=disabled,
                    )
            else:
                solara.InputText(label, value=str(value), on_value=on_value, disabled=disabled)
            solara.HTML(tag="div", unsafe_innerHTML=escape(help_text), classes=["grassroots-help"])


def moment_text(model: AppModel, key: str, fields: dict[str, Any]) -> str:
    fields = dict(fields)
    if "hazard" in fields:
        fields["hazard"] = hazard_word(fields["hazard"], LANG)
    if "minute" in fields:
        fields["at"] = clock(model.main, fields.pop("minute"), LANG)
    return T(f"app.moment.{key}", **fields)


def record_frame(model: AppModel, colour: str) -> None:
    if model.main.phase != "war":
        return
    model.gif_colour = colour
    clock_text = model.main.clock_label(model.main.minute)
    model.frames.append(gif.frame(clock_text, model.panes, model.layouts, colour))


def MapColumn(model: AppModel, pane: Pane, layout: MapLayout, colour: str, note: str):
    with solara.Column(gap="0", classes=["grassroots-mapbox"]) as col:
        solara.Text(pane.title, classes=["grassroots-policy"])
        solara.HTML(
            tag="div",
            unsafe_innerHTML=escape(note),  # always there: no jumps
            classes=["grassroots-note"] + (["on"] if note else []),
        )
        title = clock(pane.model, pane.model.minute, LANG)
        solara.HTML(
            tag="div",
            unsafe_innerHTML=map_svg(pane.model, layout, colour, title),
            classes=["grassroots-map"],
        )
    return col


def Charts(model: AppModel):
    hours = model.main.config.time.war_hours
    side = len(model.panes) > 1
    labels = [p.label.strip(" :") if side else "" for p in model.panes]
    specs = [
        ("app.chart.backlog", "backlog", "chart-backlog"),
        ("app.chart.response", "response_min", "chart-response"),
        ("app.chart.harm", "cum_harm", "chart-harm"),
    ]
    for key, attr, chart_id in specs:
        series = [(label, p.hours, getattr(p, attr)) for label, p in zip(labels, model.panes)]
        solara.HTML(tag="div", unsafe_innerHTML=chart_svg(T(key), series, hours, chart_id))


def Feed(model: AppModel, playing: bool):
    note = T("app.events_note_playing" if playing else "app.events_note_paused")
    with solara.Row(gap="6px"):
        for pane in model.panes:
            with solara.Column(gap="0", style={"flex": "1 1 0", "min-width": "0"}):
                title = escape(T("app.events", label=pane.label.strip(" :")).strip())
                solara.HTML(
                    tag="div",
                    unsafe_innerHTML=f"<b>{title}</b>"
                    f" <span style='font-size:13px'>({escape(note)})</span>",
                )
                lines = [x for _, x, notable in reversed(pane.feed) if notable or not playing]
                lines = lines[:FEED_LINES] or [T("app.nothing_yet")]
                solara.HTML(
                    tag="pre",
                    unsafe_innerHTML="\n".join(escape(x) for x in lines),
                    classes=["grassroots-feed"],
                )


def Finished(model: AppModel):
    """The run's key outcomes, two a row so that the panel stays short: one run, "label
    value"; side by side (under the maps, where there is room), A, B and B - A, the unit
    in the label."""
    results = [p.outcomes() for p in model.panes]
    target = f"{model.main.config.time.target_response_min:g}"  # the same for both copies
    side = len(results) > 1
    cells = []
    for name, unit in OUTCOME_ROWS:
        if name not in results[0]:
            continue
        label = (
            T(f"app.outcome.{name}", target=target) if has(f"app.outcome.{name}", LANG) else name
        )
        values = [r.get(name, math.nan) for r in results]
        if not side:
            cells.append(f"<div>{escape(label)} <b>{escape(_fmt(values[0], unit))}</b></div>")
            continue
        unit_words = "%" if unit == "share" else _unit(unit)
        numbers = [_fmt(v, unit, bare=True) for v in values]
        numbers.append(_fmt(values[1] - values[0], unit, sign=True, bare=True))
        cells.append(
            f"<td>{escape(label)} ({escape(unit_words)})</td>"
            + "".join(f"<td class='n'>{escape(x)}</td>" for x in numbers)
        )
    if side:
        head = f"<th>{escape(T('app.outcome'))}</th>" + "".join(
            f"<th class='n'>{escape(x)}</th>"
            for x in [p.label.strip(" :") for p in model.panes] + [T("app.difference")]
        )
        body = (
            f"<table><tr>{head}{head}</tr>"
            + "".join(f"<tr>{''.join(cells[k : k + 2])}</tr>" for k in range(0, len(cells), 2))
            + "</table>"
        )
    else:
        body = f"<div class='grassroots-outcomes'>{''.join(cells)}</div>"
    html = f"<b>{escape(T('app.finished_title'))}</b>{body}"
    solara.HTML(tag="div", unsafe_innerHTML=html, classes=["grassroots-finished"])


def _unit(unit: str) -> str:
    return T("app.unit." + unit) if has("app.unit." + unit, LANG) else unit


def _fmt(v: float, unit: str, sign: bool = False, bare: bool = False) -> str:
    """A value with its unit (``bare``: the number alone; a share in percent or points)."""
    if v != v:
        return "–"
    if unit == "share":
        if bare:
            return f"{v * 100:+.0f}" if sign else f"{v * 100:.0f}"
        return f"{v * 100:+.0f} pp" if sign else f"{v * 100:.0f}%"
    s = f"{v:+,.0f}" if sign else f"{v:,.0f}"
    return s if bare else f"{s} {_unit(unit)}"


@solara.component
def Status(m: AppModel, tick: solara.Reactive[int]):
    """The sidebar's line: seed, preset, step and the model's clock."""
    tick.value  # noqa: B018 (read: re-rendered at each frame)
    main = m.main
    solara.HTML(
        tag="div",
        unsafe_innerHTML=escape(
            T("app.status", seed=m.seed, preset=m.preset, step=main.step_count, steps=main.n_steps)
        )
        + "<br><b>"
        + escape(clock(main, main.minute, LANG))
        + "</b>",
        classes=["grassroots-clock"],
    )


def pane_note(note: str | tuple[str, ...], k: int) -> str:
    """The note on copy k's map: one text for all maps, or each copy's own (its moments)."""
    if isinstance(note, str):
        return note
    return note[k] if k < len(note) else ""


@solara.component
def LiveView(
    m: AppModel,
    tick: solara.Reactive[int],
    colour: str,
    note: str | tuple[str, ...],
    playing: bool,
    rendered: threading.Event,
):
    """What changes as the run plays: the finished panel, the maps, legend, charts, feed.
    The only part re-rendered at each frame; it tells the play loop when it is drawn."""
    tick.value  # noqa: B018 (read: re-rendered at each frame)
    solara.use_effect(rendered.set, None)  # after every render
    with solara.Row(gap="8px", classes=["grassroots-view"], style={"flex-wrap": "nowrap"}):
        side = len(m.panes) > 1
        with solara.Column(gap="4px", style={"flex": "0 0 auto"}):
            with solara.Row(gap="6px", classes=["grassroots-maps"]):
                for k, (pane, layout) in enumerate(zip(m.panes, m.layouts)):
                    MapColumn(m, pane, layout, colour, pane_note(note, k))
            if side and not m.running:  # under the maps: the side column is narrow
                Finished(m)
        done = ["grassroots-done"] if not m.running else []
        with solara.Column(gap="2px", classes=["grassroots-sidecol", *done]):
            solara.HTML(
                tag="div",
                unsafe_innerHTML=f"<b>{escape(m.preset)}</b>: "
                + escape(scenario_description(m.preset)),
                classes=["grassroots-scenario-line"],
            )
            legend = legend_items(m.main, colour)
            solara.HTML(
                tag="div",
                unsafe_innerHTML="".join(
                    f"<span>{sym}{escape(T(key, **fields))}</span>" for sym, key, fields in legend
                ),
                classes=["grassroots-legend"],
            )
            Charts(m)
            if not side and not m.running:  # below the charts: they stay where they were
                Finished(m)
            Feed(m, playing)


@solara.component
def Settings(
    model: solara.Reactive[AppModel],
    values: solara.Reactive[dict],
    specs: solara.Reactive[dict],
    speed: solara.Reactive[float],
    tick: solara.Reactive[int],
    set_value,
):
    """The sidebar: the scenario and its description, the run's status, the speed, the
    preset, seed and controls (each with its description, unit and range), a glossary.
    Its own component, so that it follows the reactive values it reads."""
    m = model.value
    with solara.Column(classes=["grassroots-sidebar"], gap="4px") as column:
        solara.HTML(
            tag="div",
            unsafe_innerHTML=(
                f"<b>{escape(T('app.scenario'))}:</b> {escape(m.preset)}<br>"
                f"{escape(scenario_description(m.preset))}"
            ),
            classes=["grassroots-scenario"],
        )
        Status(m, tick)
        solara.Select(
            T("app.speed"),
            value=f"{speed.value:g}",
            values=[f"{s:g}" for s in SPEEDS],
            on_value=lambda v: speed.set(float(v)),
        )
        with solara.Details(T("app.scenario_settings"), expand=True):
            preset_spec = specs.value["preset"]
            solara.Select(
                T("app.preset"),
                value=values.value["preset"],
                values=preset_spec["values"],
                on_value=lambda v: set_value("preset", v),
            )
            solara.InputText(
                T("app.seed"),
                value=str(values.value["seed"]),
                on_value=lambda v: set_value("seed", v),
            )
            note = {"siloed": "app.siloed_note", "pre_reform": "app.pre_reform_note"}.get(
                values.value.get("organization__structure")
            )
            for name, spec in specs.value.items():
                if not isinstance(spec, dict) or name in ("preset", "seed"):
                    continue
                Control(
                    name,
                    spec,
                    values.value.get(name, spec["value"]),
                    lambda v, name=name: set_value(name, v),
                )
                if name == "organization__structure" and note:
                    solara.Info(T(note))
        with solara.Details(T("app.glossary")):
            for k in ("grid", "cadre", "harm", "backlog", "response"):
                solara.HTML(tag="p", unsafe_innerHTML=escape(T(f"app.gloss.{k}")))
    return column


@solara.component
def Layout(children=[]):  # noqa: B006 (Solara's layout signature)
    """Solara's app layout with the sidebar closed at the start, to leave the screen to the
    maps (the play buttons are in the main area; the menu button opens the settings)."""
    return solara.AppLayout(children=children, sidebar_open=False)


@solara.component
def Page():
    # Per session: everything below lives in this browser session only.
    params = solara.use_memo(lambda: model_params(START), [])
    first = solara.use_memo(lambda: AppModel(**control_values(params)), [])
    model = solara.use_reactive(first)
    values = solara.use_reactive(control_values(params))
    applied = solara.use_reactive(control_values(params))
    specs = solara.use_reactive(params)
    playing = solara.use_reactive(False)
    tick = solara.use_reactive(0)
    note = solara.use_reactive(("", ""))  # (kind, text): "moment" or "quiet"
    speed = solara.use_reactive(default_speed(first.main.config.time.war_hours))
    pause_at = solara.use_reactive(True)
    colour = solara.use_reactive("infected" if first.infections() else "unmet")
    check = solara.use_reactive("")
    checking = solara.use_reactive(False)
    check_request = solara.use_reactive(0)
    lock = solara.use_memo(threading.Lock, [])
    running = solara.use_reactive(True)
    rendered = solara.use_memo(threading.Event, [])
    m: AppModel = model.value

    def advance(n: int, stop_at_moments: bool) -> bool:
        """Run up to n steps; False when the run ended or a key moment paused it."""
        with lock:
            for _ in range(n):
                if not m.running:
                    return False
                m.step()
                record_frame(m, colour.value)
                if m.moments:  # each map notes its own copy's moments
                    words = [
                        " ".join(moment_text(m, k, f) for k, f in found) for found in m.pane_moments
                    ]
                    if stop_at_moments:
                        note.set(
                            (
                                "moment",
                                tuple(f"{w} {T('app.moment.paused')}".strip() for w in words),
                            )
                        )
                        return False
                    note.set(("moment", tuple(words)))
        return m.running

    def loop():
        last = time.perf_counter()
        carry = 0.0
        while playing.value and m.running:
            time.sleep(FRAME_S)
            now = time.perf_counter()
            dt, last = now - last, now
            if m.main.phase != "war":
                rate = PEACE_DAYS_PER_S
            else:
                rate = speed.value * 60.0 / m.main.config.time.war_step_min
                if m.quiet:
                    rate *= FAST_FORWARD
            due = rate * dt + carry
            n = max(1, min(MAX_STEPS_PER_FRAME, int(due)))
            carry = min(due - n, rate) if due > n else 0.0
            go_on = advance(n, pause_at.value)
            if go_on and m.quiet:
                note.set(
                    (
                        "quiet",
                        T("app.quiet")
                        if m.main.phase == "war"
                        else T(
                            "app.peacetime",
                            day=m.main.step_count + 1,
                            days=m.main.peace_steps,
                            start=m.main.peace_steps + 1,
                        ),
                    )
                )
            elif go_on and note.value[0] == "quiet":
                note.set(("", ""))
            if not m.running:
                if note.value[0] == "quiet":  # the run is over: nothing to fast-forward
                    note.set(("", ""))
                show_harm_at_end()
                running.set(False)  # the buttons and the panel change together
                playing.set(False)
            rendered.clear()
            tick.set(tick.value + 1)
            rendered.wait(RENDER_WAIT_S)  # one frame at a time: never ahead of the browser
            if not go_on:
                break
        running.set(m.running)
        playing.set(False)

    solara.lab.use_task(loop, dependencies=[playing.value, m], prefer_threaded=True)

    def play_pause():
        if not playing.value:
            note.set(("", ""))
        playing.set(not playing.value)

    def show_harm_at_end():
        """At the end every need is met or left: a map of open needs would show zeros, so
        it shows each grid's harm over the run (the toggle can switch it back)."""
        if not m.running and colour.value == "unmet":
            colour.set("harm")

    def step_once():
        note.set(("", ""))
        advance(1, False)
        show_harm_at_end()
        tick.set(tick.value + 1)
        running.set(m.running)

    def reset():
        playing.set(False)
        note.set(("", ""))
        check.set("")
        new = AppModel(**values.value)
        model.set(new)
        running.set(True)
        applied.set(dict(values.value))
        speed.set(default_speed(new.main.config.time.war_hours))
        colour.set("infected" if new.infections() else "unmet")

    def set_value(name: str, value: Any):
        if name == "preset" and value != values.value.get("preset"):
            new_specs = model_params(START, value)  # a preset brings its own values
            specs.set(new_specs)
            values.set({**control_values(new_specs), "seed": values.value.get("seed")})
        else:
            values.set({**values.value, name: value})

    def run_check_work():
        if check_request.value == 0:
            return
        a, b = (p.config for p in m.panes)
        checking.set(True)
        check.set(T("app.checking", done=0, total=CHECK_SEEDS))
        try:
            d = check_on_seeds(
                a,
                b,
                list(range(1, CHECK_SEEDS + 1)),
                progress=lambda k, n: check.set(T("app.checking", done=k, total=n)),
            )
            check.set(
                T(
                    "app.check_result",
                    n=d.n,
                    mean=f"{d.diff:+,.0f}",
                    low=f"{d.diff_low:+,.0f}",
                    high=f"{d.diff_high:+,.0f}",
                    wins=d.n_better,
                )
            )
        except Exception as e:  # shown on the page: the class goes on
            check.set(f"{type(e).__name__}: {e}")
        finally:
            checking.set(False)

    # in the background, in this session's context; a new request (or Reset) starts afresh
    solara.use_thread(run_check_work, dependencies=[check_request.value])

    def run_check():
        check_request.set(check_request.value + 1)

    side = len(m.panes) > 1
    changed = values.value != applied.value
    solara.Title(T("app.name"))
    solara.Style(PAGE_CSS + PROJECTOR_CSS)
    with solara.AppBar():
        solara.AppBarTitle(T("app.name"))
    with solara.Sidebar():
        Settings(model, values, specs, speed, tick, set_value)

    page_classes = ["grassroots-page"] + (["grassroots-side-by-side"] if side else [])
    with solara.Column(classes=page_classes, gap="4px", style={"padding": "0 4px"}):
        with solara.Row(gap="6px", classes=["grassroots-toolbar"]):
            solara.Button(
                T("app.pause") if playing.value else T("app.play"),
                color="primary",
                on_click=play_pause,
                disabled=not running.value,
                classes=["grassroots-play"],
            )
            solara.Button(
                T("app.step"),
                on_click=step_once,
                disabled=playing.value or not running.value,
                classes=["grassroots-step"],
            )
            solara.Button(
                T("app.reset"),
                color="primary" if changed or not running.value else None,
                on_click=reset,
                classes=["grassroots-reset"],
            )
            if changed:
                solara.Text(
                    T("app.press_reset"),
                    classes=["grassroots-press-reset"],
                    style={"color": "#e65100", "font-weight": "bold"},
                )
            elif not running.value:
                solara.Text(
                    T("app.finished"),
                    classes=["grassroots-finished-hint"],
                    style={"color": "#2e7d32", "font-weight": "bold"},
                )
            with solara.Div(classes=["grassroots-pause-at"]):
                solara.Checkbox(
                    label=T("app.pause_at_moments"), value=pause_at.value, on_value=pause_at.set
                )
            modes = ["unmet", "harm"] + (["infected"] if m.infections() else [])
            words = {T(f"app.colour.{x}"): x for x in modes}
            solara.ToggleButtonsSingle(
                value=T(f"app.colour.{colour.value}"),
                values=list(words),
                on_value=lambda w: colour.set(words[w]),
                dense=True,
            )
            SavePng.element(label=T("app.save_png"))
            ProjectorToggle.element(label=T("app.projector"))
            solara.FileDownload(
                lambda: gif_bytes(m), filename="grassroots-run.gif", label=T("app.save_gif")
            )
            if side:
                solara.Button(
                    T("app.check_seeds"),
                    on_click=run_check,
                    disabled=checking.value,
                    classes=["grassroots-check"],
                )
        if m.error:
            solara.Error(m.error)
        if check.value:
            solara.Info(check.value, classes=["grassroots-check-result"])
        LiveView(m, tick, colour.value, note.value[1], playing.value, rendered)
