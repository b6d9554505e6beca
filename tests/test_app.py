"""The classroom app (experiments/classroom/, ``grassroots demo``).

Unit tests need only the model; the browser test serves the app with ``grassroots demo`` on a
free 127.0.0.1 port and drives Debian's headless Chromium with Playwright. Without
/usr/bin/chromium (``apt-get install chromium``; ``.ci/run`` does it) or without the 'app'
extra (``pip install -e '.[app]'``) the browser test is skipped, saying which is missing.
"""

from __future__ import annotations

import json
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

import pandas as pd
import pytest

from experiments.classroom import model as classroom
from experiments.classroom.model import (ClassroomModel, Startup, classroom_keys, coerce,
                                   control_for, model_params, replay_run)
from sim import describe
from sim.params import ConfigError
from sim.scenario import load_scenario

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = os.environ.get("GRASSROOTS_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu",
                 "--disable-background-networking", "--disable-component-update",
                 "--no-first-run"]
MIN_STEPS_PER_S = 5.0


def rows() -> dict[str, dict]:
    return {r["key"]: r for r in describe()}


# --- controls come from the parameter definitions -----------------------------------------

def test_controls_are_generated_from_describe():
    start = Startup(load_scenario(None))
    params = model_params(start)
    defs = rows()
    keys = classroom_keys()
    assert {"organization.structure", "reporting.mechanism",
            "volunteers.team_size_per_1000"} <= set(keys)
    # every bool toggle of the organization and the volunteers is there, and nothing else
    toggles = {k for k, r in defs.items() if r["type"] == "bool"
               and r["section"] in ("organization", "volunteers")}
    assert toggles <= set(keys)
    assert set(keys) - toggles == set(classroom.POLICY_KEYS)
    for key in keys:
        spec = params[key.replace(".", "__")]
        row = defs[key]
        assert spec["value"] == start.config.flat()[key] or \
            spec["value"] == str(start.config.flat()[key])
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
    row = {"key": "x.level", "section": "x", "name": "level", "type": "float", "default": 0.5,
           "unit": "share", "low": 0.0, "high": 1.0, "choices": None, "doc": "", "source": ""}
    spec = control_for(row, 0.5)
    assert spec["type"] == "SliderFloat" and spec["min"] == 0 and spec["max"] == 1
    wide = {**row, "type": "int", "low": 100, "high": 10_000_000, "unit": "residents"}
    assert control_for(wide, 30000)["type"] == "InputText"  # too wide for a slider
    assert control_for({**row, "type": "str", "choices": ("a", "b")}, "a")["values"] == \
        ["a", "b"]


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
    assert a.config.flat() | {"reporting.mechanism": None} == \
        b.config.flat() | {"reporting.mechanism": None}
    for _ in range(40):
        m.step()
    # same emergency (hazards draw from their own stream), different response
    assert a.model.needs.n > 0 and b.model.needs.n > 0
    assert len(a.hours) == len(b.hours) > 0


def test_text_box_values_are_coerced_and_checked():
    assert coerce({"volunteers__team_size_per_1000": "20"}) == \
        {"volunteers.team_size_per_1000": 20.0}
    assert coerce({"population__n_residents": 3000.0}) == {"population.n_residents": 3000}
    with pytest.raises(ConfigError):
        ClassroomModel(seed="abc")


def test_play_renders_fast_enough_in_process():
    """A step plus a frame (map and three charts) of the default scenario, without the
    browser: the model and the SVG drawing leave room for >= 5 steps/s."""
    from experiments.classroom.svg import MapLayout, chart_svg, map_svg

    m = ClassroomModel(seed=1)
    pane = m.panes[0]
    layout = MapLayout(pane.model.township)
    start = time.perf_counter()
    n = 0
    while m.running and n < 150:
        m.step()
        map_svg(pane.model, layout)
        for attr in ("backlog", "response_min", "cum_harm"):
            chart_svg(attr, [("", pane.hours, getattr(pane, attr))], 72, attr)
        n += 1
    per_step = (time.perf_counter() - start) / n
    assert per_step < 0.05, f"{per_step * 1000:.1f} ms per step and frame"
    svg = map_svg(pane.model, layout)
    assert svg.count('class="grid"') == pane.model.township.n_grids
    assert 'class="responder"' in svg
    assert any(re.search(r"(reaches grid|new) .*need", text) for _, text in pane.feed)
    assert any("arrives" in text for _, text in pane.feed)


# --- replay of a sweep run ----------------------------------------------------------------

def write_sweep(folder: Path) -> None:
    """A sweep results folder as the sweep runner writes it (manifest and runs table)."""
    folder.mkdir(parents=True)
    manifest = {"base": str(ROOT / "configs/scenarios/street_flood.toml"),
                "fixed": {"time.war_hours": 6.0},
                "factors": {"reporting.mechanism": ["direct", "joint_meeting"]}}
    (folder / "manifest.json").write_text(json.dumps(manifest))
    pd.DataFrame([
        {"run_id": "p0000-r000", "point": 0, "replication": 0, "seed": 11,
         "reporting.mechanism": "direct", "status": "ok"},
        {"run_id": "p0001-r000", "point": 1, "replication": 0, "seed": 11,
         "reporting.mechanism": "joint_meeting", "status": "ok"},
    ]).to_parquet(folder / "runs.parquet", index=False)


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
base = "{ROOT / 'configs/scenarios/street_flood.toml'}"
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
    table = run_sweep(make_plan(load_sweep(sweep_file)), tmp_path / "out",
                      backend=SerialBackend(), quiet=True)
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


# --- the app in a real browser ------------------------------------------------------------

def browser_missing() -> str | None:
    if not (Path(CHROMIUM).exists() or shutil.which(CHROMIUM)):
        return (f"no Chromium at {CHROMIUM}: install Debian's 'chromium' package "
                "(apt-get install -y chromium) to run the browser test")
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
    proc = subprocess.Popen([sys.executable, "-m", "experiments.cli", "demo", "--port",
                             str(port), *args], cwd=ROOT, stdout=log,
                            stderr=subprocess.STDOUT, start_new_session=True)
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"grassroots demo exited with {proc.returncode}: "
                               f"{log_path.read_text()}")
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


def step_of(page) -> int:
    """The step the map shows (read in one go: the page re-renders while playing)."""
    for _ in range(50):
        step = page.evaluate("() => { const m = document.querySelector('#grassroots-map');"
                             " return m ? +m.dataset.step : -1; }")
        if step >= 0:
            return int(step)
        page.wait_for_timeout(20)
    raise AssertionError("the map is not on the page")


def pick(page, label: str, option: str) -> None:
    """Choose ``option`` in the drop-down labelled ``label`` (a Vuetify v-select)."""
    page.locator(".v-select").filter(has_text=label).first.click()
    page.locator(".menuable__content__active .v-list-item").filter(
        has_text=re.compile(rf"^\s*{option}\s*$")).first.click()
    page.keyboard.press("Escape")


def test_browser_play_after_changing_the_reporting_mechanism(tmp_path):
    missing = browser_missing()
    if missing:
        pytest.skip(missing)
    from playwright.sync_api import sync_playwright

    results = ROOT / "results" / "app"
    results.mkdir(parents=True, exist_ok=True)
    port = free_port()
    proc = start_demo(port)
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1600, "height": 1100})
            page.goto(f"http://127.0.0.1:{port}/", timeout=60_000)
            page.wait_for_selector("#grassroots-map", timeout=60_000)
            map_before = page.inner_html(".grassroots-map")
            charts_before = page.locator("svg.chart").evaluate_all(
                "els => els.map(e => e.outerHTML)")
            assert "direct" in page.locator(".grassroots-policy").first.inner_text()

            pick(page, "Reporting: mechanism", "hierarchical")
            page.get_by_role("button", name="Reset", exact=True).click()
            page.wait_for_function("() => document.querySelector('.grassroots-policy')"
                                   ".innerText.includes('hierarchical')", timeout=20_000)

            page.get_by_role("button", name="Step", exact=True).click()
            page.wait_for_function("() => document.querySelector('#grassroots-map')"
                                   ".dataset.step === '1'", timeout=20_000)
            page.get_by_role("button", name="▶", exact=True).click()
            page.wait_for_function("() => +document.querySelector('#grassroots-map')"
                                   ".dataset.step >= 40", timeout=60_000)
            s0, t0 = step_of(page), time.perf_counter()
            time.sleep(5)
            s1, t1 = step_of(page), time.perf_counter()
            page.get_by_role("button", name="❚❚", exact=True).click()
            rate = (s1 - s0) / (t1 - t0)
            (results / "steps_per_second.txt").write_text(
                f"{rate:.1f} steps/s in headless Chromium (default scenario, wartime steps "
                f"{s0}-{s1}, default play interval)\n")
            page.wait_for_timeout(500)
            map_after = page.inner_html(".grassroots-map")
            charts_after = page.locator("svg.chart").evaluate_all(
                "els => els.map(e => e.outerHTML)")
            page.screenshot(path=str(results / "demo.png"), full_page=True)
            page.screenshot(path=str(tmp_path / "demo.png"))
            feed = page.locator(".grassroots-feed").first.inner_text()
            browser.close()
    finally:
        stop(proc)
    assert map_after != map_before
    svg_step = int(re.search(r'data-step="(\d+)"', map_after).group(1))
    assert svg_step >= 40
    assert int(re.search(r'data-unmet="(\d+)"', map_after).group(1)) > 0 or \
        'class="responder"' in map_after
    assert len(charts_after) == len(charts_before) == 3
    for before, after in zip(charts_before, charts_after):
        assert after != before and "<polyline" in after and "<polyline" not in before
    assert re.search(r"Day \d+ \d\d:\d\d  grid [A-Z]+-\d+: ", feed), feed
    assert (results / "demo.png").stat().st_size > 10_000
    assert rate >= MIN_STEPS_PER_S, f"{rate:.1f} steps/s"
