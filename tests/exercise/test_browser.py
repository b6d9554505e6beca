"""A whole exercise in real Chromium: a trainer and three students in separate browser
contexts; a wrong join code is refused on the page; two decision points are decided (one
student lets the time run out each time); the debrief shows each decision's counterfactual
effect; the after-action PDF is written, its first page with the objectives and a role's
strengths. Skipped without Playwright or Chromium (as the classroom app's browser test)."""

from __future__ import annotations

import shutil
import time
from dataclasses import replace
from pathlib import Path

import pytest
from browser import CHROMIUM, CHROMIUM_ARGS

from experiments.classroom.model import clock
from experiments.cli.exercise import write_results
from experiments.exercise.plan import load_plan
from experiments.exercise.server import ExerciseServer
from experiments.exercise.session import Session

RESULTS = Path(__file__).resolve().parents[2] / "results" / "exercise"
SECONDS = 15  # per decision: time for two to decide on a loaded machine; the third waits it out


@pytest.fixture
def chromium():
    pw_module = pytest.importorskip("playwright.sync_api", reason="needs the 'app' extra")
    if not (Path(CHROMIUM).is_file() or shutil.which(CHROMIUM)):
        pytest.skip(f"no Chromium at {CHROMIUM} (apt-get install chromium)")
    with pw_module.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def test_a_class_runs_an_exercise_in_chromium(chromium, tmp_path):
    pypdf = pytest.importorskip("pypdf")
    plan = replace(load_plan("street_flood"), decision_seconds=SECONDS)
    server = ExerciseServer(Session(plan, require_code=True), "127.0.0.1", 0).start()
    s = server.session
    s.on_debrief = lambda d: write_results(
        tmp_path, d, "en", lambda m, lang: clock(s.player.model, m, lang)
    )
    errors: list[str] = []

    def page():
        p = chromium.new_context(viewport={"width": 1280, "height": 720}).new_page()
        p.on("pageerror", lambda e: errors.append(str(e)))
        return p

    try:
        trainer = page()
        trainer.goto(f"{server.url}/?key={s.trainer_key}")
        trainer.wait_for_function(
            f"() => document.getElementById('code').innerText === '{s.code}'", timeout=10_000
        )
        trainer.select_option("#speed", "8")
        students = {}
        for name, role in [
            ("Ann", "command"),
            ("Bo", "grid_manager:B-1"),
            ("Cy <i>", "volunteers"),
        ]:
            p = page()
            p.goto(f"{server.url}/join")
            p.wait_for_selector("#role option", state="attached", timeout=10_000)
            if name == "Ann":  # a wrong code first: refused, in words
                p.fill("#code", "000000" if s.code != "000000" else "111111")
                p.fill("#name", name)
                p.select_option("#role", role)
                p.click("#joinbtn")
                p.wait_for_function(
                    "() => document.getElementById('err').innerText.includes('Wrong join code')",
                    timeout=10_000,
                )
            p.fill("#code", s.code)
            p.fill("#name", name)
            p.select_option("#role", role)
            p.click("#joinbtn")
            p.wait_for_selector("#me:not([hidden])", timeout=10_000)
            students[name] = p
        trainer.wait_for_function(
            "() => document.querySelectorAll('#roster tr').length === 4", timeout=10_000
        )
        trainer.click("#start")
        trainer.wait_for_selector(  # the live map, parsed as SVG and redrawn at each poll
            "#map svg.grassroots-map-svg rect", state="attached", timeout=10_000
        )
        seen = ""
        for point in (1, 2):
            ann, bo, cy = students["Ann"], students["Bo"], students["Cy <i>"]
            for p in (ann, bo, cy):  # each page polls on its own: wait for all three
                p.wait_for_function(
                    "seen => { const r = document.querySelector('#round p'); return r && "
                    "r.innerText !== seen && document.querySelectorAll('button.choice')"
                    ".length > 1; }",
                    arg=seen,
                    timeout=60_000,
                )
            seen = ann.locator("#round p").first.inner_text()
            if point == 2:  # the duty officer sees the reports that reached the command
                ann.wait_for_function(
                    "() => document.querySelectorAll('#reports:not([hidden]) #reportlist tr')"
                    ".length > 1",
                    timeout=10_000,
                )
                head = ann.locator("#reportlist tr").first.inner_text()
                assert "Reached the command" in head and "Delay (min)" in head
                assert bo.locator("#reports").is_hidden()  # a grid manager does not
            assert cy.locator("button.choice").count() > 1
            for p in (ann, bo):  # each takes its role's last choice (never the default)
                p.locator("button.choice").last.click()
                p.wait_for_selector("button.choice.picked", timeout=10_000)
            if point == 1:
                trainer.wait_for_function(
                    "() => [...document.querySelectorAll('#roster tr')].filter(r => r.innerText"
                    ".includes('✓')).length === 2",
                    timeout=10_000,
                )
                trainer.screenshot(path=str(RESULTS / "trainer-decision.png"))
            # Cy lets the time run out: the default decides and the run goes on (the next
            # decision point may open before a page polls: watch the session's round number)
            with s.lock:
                number = s.status()["round"]["number"]
            for _ in range((SECONDS + 20) * 10):
                with s.lock:
                    r = s.status()["round"]
                if r is None or r["number"] != number:
                    break
                time.sleep(0.1)
            else:
                raise AssertionError(f"decision point {number} did not close")
        trainer.click("#end")
        trainer.wait_for_selector("#debrief a", timeout=30_000)
        trainer.click("#debrief a")
        trainer.wait_for_selector("h1", timeout=10_000)
        text = trainer.locator("body").inner_text()
        assert "Decisions and their counterfactuals" in text and "Effect on total harm" in text
        assert text.count("time ran out") >= 2 and "Cy <i>" in text
        trainer.screenshot(path=str(RESULTS / "debrief.png"), full_page=True)
        rows = [d for d in s.debrief["decisions"] if d["role"] != "volunteers"]
        assert len(rows) >= 4 and all(d["choice"] != "default" for d in rows[:4])
        assert any(d["effect"]["total_harm"] != 0 for d in rows[:4])
        assert errors == []
        pdf = tmp_path / "after_action.pdf"
        for _ in range(60):  # written after the debrief is made, in the server's thread
            if pdf.is_file() and pdf.stat().st_size:
                break
            time.sleep(0.5)
        first = " ".join(pypdf.PdfReader(pdf).pages[0].extract_text().split())
        assert "Objectives" in first and "Keep harm low" in first and "Keep the hotline" in first
        assert "Front-line command duty officer" in first and "Strengths:" in first
    finally:
        server.stop()


@pytest.fixture(autouse=True)
def results_folder():
    RESULTS.mkdir(parents=True, exist_ok=True)
