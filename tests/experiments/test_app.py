"""The classroom app (experiments/classroom/, ``grassroots demo``).

Unit tests need only the model; the browser test serves the app with ``grassroots demo`` on a
free 127.0.0.1 port and drives Debian's headless Chromium with Playwright. Without
/usr/bin/chromium (``apt-get install chromium``; ``.ci/run`` does it) or without the 'app'
extra (``pip install -e '.[app]'``) the browser test is skipped, saying which is missing.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from browser import CHROMIUM, CHROMIUM_ARGS

from experiments.classroom import model as classroom
from experiments.classroom.model import (
    ClassroomModel,
    Startup,
    classroom_keys,
    coerce,
    control_for,
    model_params,
    replay_run,
)
from sim import describe
from sim.params import ConfigError
from sim.scenario import load_scenario

ROOT = Path(__file__).resolve().parents[2]


def rows() -> dict[str, dict]:
    return {r["key"]: r for r in describe()}


# --- controls come from the parameter definitions -----------------------------------------


def test_controls_are_generated_from_describe():
    start = Startup(load_scenario(None))
    params = model_params(start)
    defs = rows()
    keys = classroom_keys()
    assert {
        "organization.structure",
        "reporting.mechanism",
        "volunteers.team_size_per_1000",
    } <= set(keys)
    # every bool toggle of the organization and the volunteers is there, and nothing else
    toggles = {
        k
        for k, r in defs.items()
        if r["type"] == "bool" and r["section"] in ("organization", "volunteers")
    }
    assert toggles <= set(keys)
    assert set(keys) - toggles == set(classroom.POLICY_KEYS)
    for key in keys:
        spec = params[key.replace(".", "__")]
        row = defs[key]
        assert spec["value"] == start.config.flat()[key] or spec["value"] == str(
            start.config.flat()[key]
        )
        if row["choices"]:
            assert spec["type"] == "Select" and spec["values"] == list(row["choices"])
        elif row["type"] == "bool":
            assert spec["type"] == "Checkbox"
        else:
            assert spec["type"] in ("SliderInt", "SliderFloat")
            assert (spec["min"], spec["max"]) == (row["low"], row["high"])
        assert row["name"].replace("_", " ") in spec["label"]
    assert params["preset"]["values"][0] == "street_flood"
    assert set(params["preset"]["values"]) >= {"street_flood", "township_typhoon"}
    assert params["seed"] == {"type": "InputText", "value": "1", "label": "Seed"}


def test_a_new_parameter_gets_a_control_without_touching_the_app():
    row = {
        "key": "x.level",
        "section": "x",
        "name": "level",
        "type": "float",
        "default": 0.5,
        "unit": "share",
        "low": 0.0,
        "high": 1.0,
        "choices": None,
        "doc": "",
        "source": "",
    }
    spec = control_for(row, 0.5)
    assert spec["type"] == "SliderFloat" and spec["min"] == 0 and spec["max"] == 1
    wide = {**row, "type": "int", "low": 100, "high": 10_000_000, "unit": "residents"}
    assert control_for(wide, 30000)["type"] == "InputText"  # too wide for a slider
    assert control_for({**row, "type": "str", "choices": ("a", "b")}, "a")["values"] == ["a", "b"]


def test_side_by_side_controls_and_models_share_the_seed():
    start = Startup(load_scenario(None), seed=3, side_by_side=True)
    params = model_params(start)
    assert params["b__reporting__mechanism"]["value"] != params["reporting__mechanism"]["value"]
    ClassroomModel.startup = start
    try:
        kwargs = {k: v["value"] if isinstance(v, dict) else v for k, v in params.items()}
        m = ClassroomModel(**kwargs)
    finally:
        ClassroomModel.startup = None
    a, b = m.panes
    assert a.seed == b.seed == 3
    assert a.config.reporting.mechanism != b.config.reporting.mechanism
    assert a.config.flat() | {"reporting.mechanism": None} == b.config.flat() | {
        "reporting.mechanism": None
    }
    for _ in range(40):
        m.step()
    # same emergency (hazards draw from their own stream), different response
    assert a.model.needs.n > 0 and b.model.needs.n > 0
    assert len(a.hours) == len(b.hours) > 0


def test_text_box_values_are_coerced_and_checked():
    assert coerce({"volunteers__team_size_per_1000": "20"}) == {
        "volunteers.team_size_per_1000": 20.0
    }
    assert coerce({"population__n_residents": 3000.0}) == {"population.n_residents": 3000}
    with pytest.raises(ConfigError):
        ClassroomModel(seed="abc")


def test_play_draws_the_map_charts_and_feed_in_process():
    """Steps plus frames (map and three charts) of the default scenario, without the browser.
    (How fast: benchmarks/bench_app.py, not a timed test.)"""
    from experiments.classroom.svg import MapLayout, chart_svg, map_svg

    m = ClassroomModel(seed=1)
    pane = m.panes[0]
    layout = MapLayout(pane.model.township)
    n = 0
    while m.running and n < 150:
        m.step()
        map_svg(pane.model, layout)
        for attr in ("backlog", "response_min", "cum_harm"):
            assert "<svg" in chart_svg(attr, [("", pane.hours, getattr(pane, attr))], 72, attr)
        n += 1
    svg = map_svg(pane.model, layout)
    assert svg.count('class="grid"') == pane.model.township.n_grids
    assert 'class="responder"' in svg
    assert any(re.search(r"(reaches grid|new) .*need", text) for _, text, _ in pane.feed)
    assert any("arrives" in text for _, text, _ in pane.feed)
    # while playing the page shows the notable lines only: a hazard reaching a grid, the
    # model's own log; the stages of each need are not among them
    notable = [text for _, text, on in pane.feed if on]
    assert notable and all(x in [t for _, t, _ in pane.feed] for x in notable)
    assert not any("arrives" in x for x in notable)


def preset(config, **kwargs) -> Startup:
    """A startup whose first preset is ``config`` itself."""
    return Startup(config, preset="test", presets={"test": config}, **kwargs)


def built(start: Startup) -> ClassroomModel:
    ClassroomModel.startup = start
    try:
        return ClassroomModel()
    finally:
        ClassroomModel.startup = None


def test_key_moments_and_quiet_stretches():
    """The moments the page pauses at, each once, at the step they happen; peacetime and
    the typhoon's lull between the storm and the fires are quiet (fast-forwarded)."""
    m = built(Startup(load_scenario(None)))
    found: dict[str, int] = {}
    quiet_war = 0
    while m.running:
        assert m.quiet or m.main.phase == "war"
        m.step()
        for key, _fields in m.moments:
            assert key not in found or key == "backlog_peak"
            found.setdefault(key, m.main.step_count)
        quiet_war += m.main.phase == "war" and m.quiet
    peace = m.main.peace_steps
    assert found["hazard_start"] == peace + 1  # the flood starts at hour 0
    cfg = m.main.config
    assert found["command"] == peace + math.ceil(
        cfg.organization.command_convene_min / cfg.time.war_step_min
    )
    # the roads are cut in the step that passes the flood's peak, a third of the way in
    assert (
        found["road_cut"]
        == peace + math.floor(cfg.flood.duration_hours / 3 * 60 / cfg.time.war_step_min) + 1
    )
    assert found["hazard_end"] == peace + math.ceil(
        cfg.flood.duration_hours * 60 / cfg.time.war_step_min
    )
    assert peace + 1 < found["backlog_peak"]
    # without a front-line command there is no such moment
    plain = built(
        preset(
            load_scenario(
                None, overrides={"organization.front_line_command": False, "time.war_hours": 3}
            )
        )
    )
    keys = []
    while plain.running:
        plain.step()
        keys += [k for k, _ in plain.moments]
    assert "command" not in keys and "hazard_start" in keys

    typhoon = built(preset(load_scenario(ROOT / "configs/scenarios/township_typhoon.toml")))
    quiet_hours = []
    while typhoon.running:
        typhoon.step()
        if typhoon.main.phase == "war" and typhoon.quiet and typhoon.main.minute > 0:
            quiet_hours.append(typhoon.main.minute / 60)
    # quiet once the storm (hours 0-24) is cleared up until the fires (hours 60-84), and
    # after them: never while a hazard is under way
    assert quiet_hours and 24 < min(quiet_hours) < 36
    assert not any(0 < h <= 24 or 60 < h < 84 for h in quiet_hours)
    assert sum(36 <= h <= 60 for h in quiet_hours) == 24 * 6 + 1


def test_check_on_seeds_is_the_paired_difference_on_common_seeds():
    from sim import simulate

    base = load_scenario(
        None, overrides={"time.war_hours": 3, "time.peace_days": 2, "population.n_residents": 3000}
    )
    other = base.with_overrides({"reporting.mechanism": "hierarchical"}, "test")
    seen = []
    d = classroom.check_on_seeds(base, other, [1, 2, 3], progress=lambda k, n: seen.append(k))
    assert seen == [1, 2, 3] and d.n == 3
    diffs = [
        simulate(other, seed=s).summary()["total_harm"]
        - simulate(base, seed=s).summary()["total_harm"]
        for s in (1, 2, 3)
    ]
    assert d.diff == pytest.approx(sum(diffs) / 3)
    assert d.diff_low <= d.diff <= d.diff_high


def test_preset_controls_carry_the_presets_values():
    """Choosing a preset brings its own values (Reset then uses them), not the last ones."""
    start = Startup(load_scenario(None))
    flood = model_params(start)
    epidemic = model_params(start, "street_epidemic")
    assert epidemic["preset"]["value"] == "street_epidemic"
    cfg = load_scenario(ROOT / "configs/scenarios/street_epidemic.toml").flat()
    for key in classroom_keys():
        assert epidemic[key.replace(".", "__")]["value"] == cfg[key]
    assert flood["preset"]["value"] == "street_flood"
    m = built(start)
    assert not m.infections()
    ClassroomModel.startup = start
    try:
        ep = ClassroomModel(**classroom.control_values(epidemic))
    finally:
        ClassroomModel.startup = None
    assert ep.infections() and ep.main.config.time.war_hours == 672


def test_feed_and_legend_in_chinese():
    from experiments.classroom.svg import legend_items
    from experiments.i18n import text

    start = preset(load_scenario(None, overrides={"time.war_hours": 6}), lang="zh")
    m = built(start)
    while m.running:
        m.step()
    lines = [x for _, x, _ in m.panes[0].feed]
    assert any(re.match(r"第\d+天 \d\d:\d\d  洪涝波及网格 ", x) for x in lines), lines[:5]
    assert any("洪涝开始" in x for x in lines)
    assert m.panes[0].title.startswith("直报 · 一网统管＋网格党组织")
    words = [text(k, "zh", **f) for _, k, f in legend_items(m.main, "unmet")]
    assert "受淹网格" in words and "干部" in words and "火灾" not in words


def test_map_cells_do_not_overlap():
    """On the typhoon's random network villages can sit close together: the map pushes
    them apart so that no two cells overlap; the lattice is drawn as it is."""
    from experiments.classroom.svg import MapLayout
    from sim import GrassrootsModel

    for name in ("township_typhoon", "street_flood"):
        m = GrassrootsModel(load_scenario(ROOT / f"configs/scenarios/{name}.toml"), rng=1)
        layout = MapLayout(m.township)
        d = np.sqrt(((layout.xy[:, None] - layout.xy[None]) ** 2).sum(-1))
        np.fill_diagonal(d, np.inf)
        assert d.min() >= layout.cell  # cells are 0.86 of the spacing wide


def test_scenario_descriptions_in_the_catalogue_match_the_files():
    """The app shows a scenario file's description; the catalogue's English copy (which the
    translations follow) must say the same."""
    from experiments.i18n import text

    start = Startup(load_scenario(None))
    for name in classroom.shipped_presets():
        assert text(f"app.scenario.{name}") == start.preset_description(name) != ""
        assert text(f"app.scenario.{name}", "zh") != start.preset_description(name)


def test_epidemic_map_shows_infections():
    from experiments.classroom.svg import MapLayout, grid_levels, legend_items, map_svg

    start = preset(
        load_scenario(
            ROOT / "configs/scenarios/street_epidemic.toml", overrides={"time.war_hours": 48}
        )
    )
    m = built(start)
    assert m.infections()
    while m.running:
        m.step()
    level, shown, key, _ = grid_levels(m.main, "infected")
    assert key == "app.legend.infected"
    assert sum(int(x) for x in shown) == m.main.residents.counts()[1] > 0
    keys = [k for _, k, _ in legend_items(m.main, "infected")]
    assert "app.legend.flooded" not in keys and "app.legend.infected" in keys
    svg = map_svg(m.main, MapLayout(m.main.township), "infected")
    assert svg.count('class="grid"') == m.main.township.n_grids


# --- replay of a sweep run ----------------------------------------------------------------


def write_sweep(folder: Path) -> None:
    """A sweep results folder as the sweep runner writes it (manifest and runs table)."""
    folder.mkdir(parents=True)
    manifest = {
        "base": str(ROOT / "configs/scenarios/street_flood.toml"),
        "fixed": {"time.war_hours": 6.0},
        "factors": {"reporting.mechanism": ["direct", "joint_meeting"]},
    }
    (folder / "manifest.json").write_text(json.dumps(manifest))
    pd.DataFrame(
        [
            {
                "run_id": "p0000-r000",
                "point": 0,
                "replication": 0,
                "seed": 11,
                "reporting.mechanism": "direct",
                "status": "ok",
            },
            {
                "run_id": "p0001-r000",
                "point": 1,
                "replication": 0,
                "seed": 11,
                "reporting.mechanism": "joint_meeting",
                "status": "ok",
            },
        ]
    ).to_parquet(folder / "runs.parquet", index=False)


def play_to_end(start):
    """A classroom model built from `start`, played to its last step."""
    ClassroomModel.startup = start
    try:
        m = ClassroomModel()
        while m.running:
            m.step()
    finally:
        ClassroomModel.startup = None
    return m


def test_replay_recreates_the_run_deterministically(tmp_path):
    from sim import simulate

    write_sweep(tmp_path / "sweep")
    config, seed = replay_run(tmp_path / "sweep", "p0001-r000")
    assert seed == 11
    assert config.reporting.mechanism == "joint_meeting" and config.time.war_hours == 6.0
    start = classroom.make_startup(replay=(str(tmp_path / "sweep"), "p0001-r000"))
    assert start.preset == "replay p0001-r000" and start.seed == 11
    m = play_to_end(start)
    expected = simulate(config, seed=11).summary()
    assert m.main.cum_harm == pytest.approx(expected["total_harm"])
    with pytest.raises(ValueError, match="no run 'p9'"):
        replay_run(tmp_path / "sweep", "p9")


def test_replay_a_run_of_a_real_sweep(tmp_path):
    """The sweep's own folder (experiments/sweeps/): replay gives the run's stored outcome."""
    from experiments.sweeps.backends import SerialBackend
    from experiments.sweeps.designs import load_sweep
    from experiments.sweeps.runner import make_plan, run_sweep

    sweep_file = tmp_path / "tiny.toml"
    sweep_file.write_text(f"""name = "tiny"
base = "{ROOT / "configs/scenarios/street_flood.toml"}"
replications = 1
master_seed = 7

[fixed]
"population.n_residents" = 3000
"time.peace_days" = 2
"time.war_hours" = 6

[factors]
"reporting.mechanism" = ["hierarchical", "direct"]
"volunteers.team_size_per_1000" = [5.0, 20.0]
""")
    table = run_sweep(
        make_plan(load_sweep(sweep_file)), tmp_path / "out", backend=SerialBackend(), quiet=True
    )
    row = table.iloc[3]
    config, seed = replay_run(tmp_path / "out", row["run_id"])
    assert seed == row["seed"]
    assert config.reporting.mechanism == row["reporting.mechanism"]
    assert config.volunteers.team_size_per_1000 == row["volunteers.team_size_per_1000"]
    assert config.population.n_residents == 3000
    m = play_to_end(classroom.make_startup(replay=(str(tmp_path / "out"), row["run_id"])))
    assert m.main.cum_harm == pytest.approx(row["total_harm"])


def test_demo_command_refuses_bad_arguments(tmp_path, capsys):
    from experiments.cli.main import main

    assert main(["demo", "no_such_scenario"]) == 2
    assert "no_such_scenario" in capsys.readouterr().err
    assert main(["demo", "--replay", str(tmp_path), "p0000-r000"]) == 2
    assert "runs.parquet" in capsys.readouterr().err
    assert main(["demo", "--set", "time.war_hours=-3"]) == 2
    assert "time.war_hours" in capsys.readouterr().err


# --- the app in a real browser ------------------------------------------------------------


def browser_missing() -> str | None:
    if not (Path(CHROMIUM).exists() or shutil.which(CHROMIUM)):
        return (
            f"no Chromium at {CHROMIUM}: install Debian's 'chromium' package "
            "(apt-get install -y chromium) to run the browser test"
        )
    for module in ("playwright", "solara"):
        try:
            __import__(module)
        except ImportError:
            return f"python package '{module}' missing: pip install -e '.[app]'"
    return None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_demo(port: int, *args: str) -> subprocess.Popen:
    log_path = ROOT / "results" / "app" / f"server-{port}.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    log = open(log_path, "w")  # noqa: SIM115
    proc = subprocess.Popen(
        [sys.executable, "-m", "experiments.cli", "demo", "--port", str(port), *args],
        cwd=ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(
                f"grassroots demo exited with {proc.returncode}: {log_path.read_text()}"
            )
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2) as r:
                if r.status == 200:
                    return proc
        except OSError:
            time.sleep(0.5)
    stop(proc)
    raise RuntimeError("grassroots demo did not answer within 90 s")


def stop(proc: subprocess.Popen) -> None:
    """Stop the demo and the solara server it started (its own process group)."""
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(5)


MAP = ".grassroots-map-svg"


def step_of(page) -> int:
    """The step the (first) map shows (read in one go: the page re-renders while playing)."""
    for _ in range(50):
        step = page.evaluate(
            "() => { const m = document.querySelector('.grassroots-map-svg');"
            " return m ? +m.dataset.step : -1; }"
        )
        if step >= 0:
            return int(step)
        page.wait_for_timeout(20)
    raise AssertionError("the map is not on the page")


def wait_step(page, condition: str, timeout: int = 30_000) -> None:
    """Wait until the first map's step satisfies ``condition`` (JS, on ``s``)."""
    page.wait_for_function(
        f"() => {{ const m = document.querySelector('{MAP}');"
        f" if (!m) return false; const s = +m.dataset.step; "
        f"return {condition}; }}",
        timeout=timeout,
    )


def pick(page, label: str, option: str) -> None:
    """Choose ``option`` in the drop-down labelled ``label`` (a Vuetify v-select)."""
    page.locator(".v-select").filter(has_text=label).first.click()
    page.locator(".menuable__content__active .v-list-item").filter(
        has_text=re.compile(rf"^\s*{re.escape(option)}\s*$")
    ).first.click()
    page.keyboard.press("Escape")


def click(page, cls: str) -> None:
    page.locator(f".{cls}").first.click()


def is_playing(page) -> bool:
    return "❚❚" in page.locator(".grassroots-play").first.inner_text()


def play_until_paused_at(page, words: str) -> None:
    """Press play; wait for the note with ``words`` and for play to have stopped there."""
    click(page, "grassroots-play")
    page.wait_for_function(
        "w => { const n = document.querySelector('.grassroots-note.on');"
        " return n && n.innerText.includes(w); }",
        arg=words,
        timeout=30_000,
    )
    page.wait_for_function(
        "() => !document.querySelector('.grassroots-play').innerText.includes('❚❚')", timeout=10_000
    )


class Browser:
    """One Chromium for a test; pages log their errors; screenshots go to results/app/."""

    def __init__(self, pw, port: int) -> None:
        self.browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        self.port = port
        self.errors: list[str] = []

    def page(self, width: int = 1280, height: int = 720, scheme: str = "light"):
        context = self.browser.new_context(
            viewport={"width": width, "height": height}, accept_downloads=True, color_scheme=scheme
        )
        page = context.new_page()
        page.on("pageerror", lambda e: self.errors.append(str(e)))
        page.goto(f"http://127.0.0.1:{self.port}/", timeout=60_000)
        page.wait_for_selector(MAP, timeout=60_000)
        return page


RESULTS = ROOT / "results" / "app"


@pytest.fixture(scope="module")
def playwright_or_skip():
    missing = browser_missing()
    if missing:
        pytest.skip(missing)
    from playwright.sync_api import sync_playwright

    RESULTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as pw:
        yield pw


@contextlib.contextmanager
def demo_session(pw, *args: str):
    """``grassroots demo ARGS`` and a Chromium; afterwards both are stopped, and neither a
    page error nor a server traceback may have happened."""
    port = free_port()
    proc = start_demo(port, *args)
    try:
        b = Browser(pw, port)
        yield b
        errors = b.errors
        b.browser.close()
    finally:
        stop(proc)
    assert errors == []
    assert "Traceback" not in (RESULTS / f"server-{port}.log").read_text()


def test_browser_private_runs_pause_finish_and_export(playwright_or_skip, tmp_path):
    """A short flood (4 h): two browser contexts step independently, a reload starts
    afresh, play pauses at the hazard's start, the played run ends with the finished panel,
    and the PNG and GIF exports download files."""
    with demo_session(playwright_or_skip, "--set", "time.war_hours=4") as b:
        one = b.page()
        two = b.page()
        assert one.title() == "Grassroots emergency response: classroom"
        for _ in range(3):
            click(one, "grassroots-step")
        wait_step(one, "s === 3")
        assert step_of(two) == 0  # the other session has its own run
        click(two, "grassroots-step")
        wait_step(two, "s === 1")
        assert step_of(one) == 3
        one.reload()
        one.wait_for_selector(MAP, timeout=60_000)
        assert step_of(one) == 0  # a reload starts a fresh run

        # play: peacetime is fast-forwarded, then the flood's start pauses the run
        play_until_paused_at(one, "The flood starts")
        peace = 28
        assert step_of(one) == peace + 1
        one.screenshot(path=str(RESULTS / "paused-at-hazard.png"))
        assert step_of(two) == 1

        # play on (through any further pauses) to the end
        deadline = time.monotonic() + 90
        while not one.locator(".grassroots-finished").count():
            assert time.monotonic() < deadline, "the run did not finish"
            if not is_playing(one) and one.locator(".grassroots-play").first.is_enabled():
                click(one, "grassroots-play")
            one.wait_for_timeout(300)
        panel = one.locator(".grassroots-finished").first.inner_text()
        assert "Run finished" in panel and "Total harm" in panel and "person-hours" in panel
        one.wait_for_function(
            "() => document.querySelector('.grassroots-play').disabled", timeout=5_000
        )
        assert step_of(one) == peace + 24  # 4 hours of 10-minute steps
        one.screenshot(path=str(RESULTS / "finished.png"))

        with one.expect_download(timeout=30_000) as png:
            click(one, "grassroots-png")
        png_path = tmp_path / "view.png"
        png.value.save_as(png_path)
        assert png_path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert png_path.stat().st_size > 5_000
        with one.expect_download(timeout=60_000) as gif:
            one.get_by_text("Save GIF").first.click()
        gif_path = tmp_path / "run.gif"
        gif.value.save_as(gif_path)
        assert gif_path.read_bytes()[:6] == b"GIF89a"
        shutil.copy(png_path, RESULTS / "export-view.png")
        shutil.copy(gif_path, RESULTS / "export-run.gif")

        # a preset brings its own values, and Reset uses them (the page says to press it)
        one.locator(".v-app-bar__nav-icon, .v-toolbar__content button").first.click()
        # the volunteer team-size slider has a track to drag (it was 0 px wide beside its
        # label), and its description starts below the thumb
        one.locator(".grassroots-slider").first.scroll_into_view_if_needed()
        track, help_top = one.evaluate(
            "() => { const t = document.querySelector('.grassroots-slider "
            ".v-slider__track-container').getBoundingClientRect(); const h = [...document"
            ".querySelectorAll('.grassroots-help')].map(e => e.getBoundingClientRect().top)"
            ".filter(y => y > t.top)[0]; return [{width: t.width, bottom: t.bottom}, h]; }"
        )
        assert track["width"] > 200 and help_top > track["bottom"] + 8
        pick(one, "Scenario preset", "street_epidemic")
        one.wait_for_selector(".grassroots-press-reset", timeout=10_000)
        click(one, "grassroots-reset")
        one.wait_for_function(
            "() => document.querySelector('.grassroots-scenario-line')"
            ".innerText.startsWith('street_epidemic')",
            timeout=30_000,
        )
        assert step_of(one) == 0 and one.get_by_text("infections").count()
        assert "an epidemic" in one.locator(".grassroots-scenario").first.inner_text()
        assert "--set" not in one.locator(".grassroots-policy").first.inner_text()
        one.screenshot(path=str(RESULTS / "epidemic-after-reset.png"))


def inside(box: dict, width: int, height: int) -> bool:
    return (
        box["x"] >= 0
        and box["y"] >= 0
        and box["x"] + box["width"] <= width + 0.5
        and box["y"] + box["height"] <= height + 0.5
    )


def test_browser_side_by_side_on_one_screen_and_fast_enough(playwright_or_skip):
    """Side by side, the default flood: both maps, the charts and the legend fit 1280x720
    and 1920x1080 without scrolling, in light colours also under a dark system theme; the
    legend is at least 14 px; play keeps >= 10 steps/s."""
    with demo_session(playwright_or_skip, "--side-by-side") as b:
        for width, height, scheme in ((1920, 1080, "dark"), (1280, 720, "light")):
            page = b.page(width, height, scheme)
            # a fixed light theme: dark text on white, also when the system is dark
            colours = page.locator(".grassroots-legend").first.evaluate(
                "e => [getComputedStyle(e).color, getComputedStyle(document.querySelector("
                "'.grassroots-page')).backgroundColor]"
            )
            assert colours == ["rgb(33, 33, 33)", "rgb(255, 255, 255)"], (scheme, colours)
            maps = page.locator(MAP)
            assert maps.count() == 2
            for k in range(2):
                assert inside(maps.nth(k).bounding_box(), width, height), (width, k)
            for sel in ("#chart-backlog", "#chart-harm", ".grassroots-legend"):
                assert inside(page.locator(sel).first.bounding_box(), width, height), sel
            size = page.locator(".grassroots-legend").first.evaluate(
                "e => parseFloat(getComputedStyle(e).fontSize)"
            )
            assert size >= 14
            policies = page.locator(".grassroots-policy").all_inner_texts()
            assert "direct" in policies[0] and "hierarchical" in policies[1]
            page.screenshot(path=str(RESULTS / f"side-by-side-{width}x{height}.png"))
        # play to the flood's start (a pause), then on without pauses, and measure the pace
        play_until_paused_at(page, "The flood starts")
        page.locator(".grassroots-pause-at label").first.click()  # no more pauses
        page.wait_for_function(
            "() => document.querySelector('.grassroots-pause-at input')"
            ".getAttribute('aria-checked') === 'false'",
            timeout=10_000,
        )
        click(page, "grassroots-play")
        wait_step(page, "s >= 40", 30_000)
        s0, t0 = step_of(page), time.perf_counter()
        time.sleep(5)
        s1, t1 = step_of(page), time.perf_counter()
        rate = (s1 - s0) / (t1 - t0)
        (RESULTS / "steps_per_second.txt").write_text(
            f"{rate:.1f} steps/s in headless Chromium (default scenario side by side, steps "
            f"{s0}-{s1}, default speed)\n"
        )
        page.screenshot(path=str(RESULTS / "side-by-side-playing.png"))
        feed = page.locator(".grassroots-feed").first.inner_text()
    assert re.search(r"Day \d+ \d\d:\d\d  ", feed), feed
    assert s1 > s0, "playing did not advance"  # the pace itself: benchmarks/bench_app.py


def test_browser_in_chinese(playwright_or_skip):
    with demo_session(playwright_or_skip, "--lang", "zh", "--set", "time.war_hours=2") as b:
        page = b.page()
        assert page.title() == "基层应急响应：课堂演示"
        body = page.locator("body").inner_text()
        for words in (
            "播放",
            "单步",
            "重置",
            "网格内未满足需求",
            "干部",
            "志愿者",
            "一线指挥部",
            "积压",
            "直报",
            "城市街道",
            "第1天 00:00",
        ):
            assert words in body, words
        play_until_paused_at(page, "洪涝开始")
        page.screenshot(path=str(RESULTS / "zh.png"))


def test_demo_server_ends_with_the_command():
    """TERM to ``grassroots demo`` stops its ``solara run`` child: the port is free again."""
    if browser_missing() and "solara" in (browser_missing() or ""):
        pytest.skip(browser_missing())
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "experiments.cli", "demo", "--port", str(port)],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 90
        while True:
            assert time.monotonic() < deadline and proc.poll() is None
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2)
                break
            except OSError:
                time.sleep(0.5)
        proc.send_signal(signal.SIGTERM)  # to the command only, not its group
        assert proc.wait(20) == 143
        time.sleep(0.5)
        with socket.socket() as s:
            assert s.connect_ex(("127.0.0.1", port)) != 0, "the server still listens"
    finally:
        if proc.poll() is None:
            proc.kill()
