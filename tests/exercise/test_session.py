"""The exercise session without a browser: joining (limits, codes, names), who may act for
which role, the trainer's key, decision points and their time limit, and the debrief
(deterministic; a decision's counterfactual; the default run)."""

import json
import os
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from experiments.exercise.levers import DEFAULT
from experiments.exercise.pages import JOIN_SCRIPT, TRAINER_SCRIPT, debrief_html
from experiments.exercise.plan import Inject, load_plan
from experiments.exercise.play import play
from experiments.exercise.session import (
    GUESS_WINDOW_S,
    REPORTS_SHOWN,
    WRONG_CODES_IN_ALL,
    WRONG_CODES_PER_ADDRESS,
    Refused,
    Session,
    clean_name,
)
from sim.params import ConfigError

ROOT = Path(__file__).resolve().parents[2]


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture(scope="module")
def plan():
    return replace(load_plan("street_flood"), seats_per_role=1)


def session(plan, **kw) -> tuple[Session, Clock]:
    clock = Clock()
    return Session(plan, clock=clock, **kw), clock


def run_to_round(s: Session) -> None:
    while s.round is None and s.phase != "ended":
        s.tick()


def test_the_shipped_plan_and_its_errors():
    plan = load_plan("street_flood")
    assert plan.roles[0].startswith("grid_manager:") and plan.injects
    assert load_plan("township_typhoon").roles == ("command", "volunteers")
    with pytest.raises(ConfigError, match="no exercise or scenario"):
        load_plan("no_such_exercise")
    with pytest.raises(ConfigError, match="no grid"):
        replace(plan, roles=("grid_manager:Z-99",)).check()


def test_a_session_holds_at_most_the_roles_it_offers(plan):
    s, _ = session(plan)
    for k, role in enumerate(plan.roles):
        s.join("", f"student {k}", role)
    with pytest.raises(Refused) as e:
        s.join("", "one more", plan.roles[0])
    assert e.value.key == "exercise.refused.full"
    with pytest.raises(Refused) as e:
        s.join("", "mayor", "mayor")
    assert e.value.key == "exercise.refused.role"
    assert len(s.students) == len(plan.roles)
    assert all(r["seats_free"] == 0 for r in s.roles_view())


def test_several_students_may_share_a_role_when_the_plan_has_seats(plan):
    s, _ = session(replace(plan, seats_per_role=2))
    s.join("", "a", "command")
    s.join("", "b", "command")
    with pytest.raises(Refused):
        s.join("", "c", "command")


def test_names_are_cleaned_and_escaped_on_every_page(plan):
    assert clean_name("  Ann\x00\n  <b>Lee</b> ") == "Ann <b>Lee</b>"
    assert len(clean_name("x" * 500)) == 40
    with pytest.raises(Refused):
        clean_name(" \t ")
    # the pages write names with textContent, never as HTML
    assert "innerHTML" not in TRAINER_SCRIPT + JOIN_SCRIPT
    s, clock = session(plan)
    token = s.join("", "<script>alert(1)</script>", "command")
    assert s.trainer_view()["roster"][0]["name"] == "<script>alert(1)</script>"  # JSON: data
    s.start()
    run_to_round(s)
    s.decide(token, s.round.choices["command"][-1])
    s.end()
    page = debrief_html(s.debrief)
    assert "<script>alert(1)" not in page and "&lt;script&gt;alert(1)" in page


def test_on_the_network_the_code_and_the_trainer_key_are_required(plan):
    s, _ = session(plan, require_code=True)
    for code in ("", None, "000000x", str((int(s.code) + 1) % 10**6).zfill(6)):
        with pytest.raises(Refused) as e:
            s.join(code, "a", "command")
        assert e.value.status == 403
    assert s.join(s.code, "a", "command")
    for key in ("", None, "guess", s.code):
        with pytest.raises(Refused):
            s.check_trainer(key)
    s.check_trainer(s.trainer_key)
    local, _ = session(plan)  # on 127.0.0.1 the trainer's machine is the classroom
    local.join("", "a", "command")
    local.check_trainer(None)


def test_a_student_acts_only_for_their_own_role(plan):
    s, _ = session(plan)
    grid = s.join("", "grid", "grid_manager:B-1")
    command = s.join("", "cmd", "command")
    s.start()
    run_to_round(s)
    with pytest.raises(Refused) as e:  # a command's choice is not the grid manager's
        s.decide(grid, "fast_track_reports")
    assert e.value.key == "exercise.refused.choice"
    with pytest.raises(Refused) as e:
        s.decide("not-a-token", "fast_track_reports")
    assert e.value.key == "exercise.refused.token"
    s.decide(grid, "door_to_door")
    assert s.round.picks == {"grid_manager:B-1": ("door_to_door", "grid")}
    s.decide(command, "act_locally")
    assert set(s.round.picks) == {"grid_manager:B-1", "command"}


def test_the_default_decides_when_the_time_runs_out(plan):
    s, clock = session(plan)
    a = s.join("", "a", "command")
    s.join("", "b", "volunteers")  # b never decides
    s.start()
    run_to_round(s)
    s.decide(a, "act_locally")
    s.tick()
    assert s.round is not None  # b still has time
    clock.now += plan.decision_seconds + 1
    s.tick()
    assert s.round is None
    last = {d.role: d for d in s.player.decisions}
    assert last["volunteers"].choice == DEFAULT and last["volunteers"].timed_out
    assert last["volunteers"].students == ("b",)
    assert last["command"].choice == "act_locally" and not last["command"].timed_out


def test_pausing_stops_the_clock_of_a_decision(plan):
    s, clock = session(plan)
    s.join("", "a", "command")
    s.start()
    run_to_round(s)
    s.pause()
    clock.now += 10 * plan.decision_seconds
    s.tick()
    s.start()
    s.tick()
    assert s.round is not None and s.status()["round"]["seconds_left"] == plan.decision_seconds


def test_a_trainer_inject_opens_a_decision_point(plan):
    s, _ = session(replace(plan, injects=(), moments=()))
    s.join("", "a", "command")
    s.start()
    for _ in range(5):
        s.tick()
    assert s.round is None
    s.add_inject("A school reports 40 pupils stranded.")
    s.tick()
    assert s.round is not None and "40 pupils" in s.round.words["en"]
    with pytest.raises(Refused):
        s.add_inject("   ")


def exercise(plan, script):
    """Run a whole exercise: at decision point k, the command picks script[k] (None: lets the
    time run out). Returns the session."""
    s, clock = session(plan)
    s.join("", "vol", "volunteers")  # never decides: the default, each time
    token = s.join("", "cmd", "command")
    s.start()
    k = 0
    while s.phase != "ended":
        s.tick()
        if s.round is not None and s.round.number > k:
            k = s.round.number
            pick = script[k - 1] if k - 1 < len(script) else None
            if pick is not None and pick in s.round.choices["command"]:
                s.decide(token, pick)
            clock.now += plan.decision_seconds + 1  # the volunteer leader's time runs out
    return s


SCRIPT = ["act_locally", None, "fast_track_reports", DEFAULT]


def test_the_same_decisions_on_the_same_seed_give_the_same_debrief(plan):
    a = exercise(plan, SCRIPT).debrief
    b = exercise(plan, SCRIPT).debrief
    assert a == b
    command = [d["choice"] for d in a["decisions"] if d["role"] == "command"]
    assert command[:4] == ["act_locally", DEFAULT, "fast_track_reports", DEFAULT]


def test_the_debrief_is_the_same_in_another_process(plan):
    """No order of the session's own (sets, hashes) leaks into the run: another process,
    with other string hashes, makes the same debrief."""
    here = json.dumps(exercise(plan, SCRIPT).debrief, sort_keys=True)
    code = (
        "import json, sys; sys.path.insert(0, 'tests/exercise'); from dataclasses import "
        "replace; from test_session import exercise, SCRIPT; from experiments.exercise."
        "plan import load_plan; print(json.dumps(exercise(replace(load_plan("
        "'street_flood'), seats_per_role=1), SCRIPT).debrief, sort_keys=True))"
    )
    there = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
        env={**os.environ, "PYTHONHASHSEED": "12345", "PYTHONPATH": str(ROOT)},
    ).stdout
    assert there.strip() == here


def test_the_debrief_replays_the_class_run_and_each_counterfactual(plan):
    s = exercise(plan, SCRIPT)
    d = s.debrief
    # the class's run is a function of (config, seed, decisions): replayed, the same
    assert play(plan.config, plan.seed, s.player.decisions).outcomes() == d["class"]
    assert d["default"] == play(plan.config, plan.seed, []).outcomes()
    for row in d["decisions"]:
        if row["choice"] == DEFAULT:  # the counterfactual of a default is the class's run
            assert row["counterfactual"] == d["class"]
            assert row["effect"] == {"total_harm": 0.0, "mean_response_min": 0.0}
        else:
            assert row["counterfactual"] != d["class"]
            assert (
                row["effect"]["total_harm"]
                == d["class"]["total_harm"] - row["counterfactual"]["total_harm"]
            )
    kinds = {e["kind"] for e in d["timeline"]}
    assert kinds == {"moment", "inject", "decision"}
    # after action, by role: the volunteer leader never decided; the command's strengths and
    # areas for improvement are its decisions that moved harm by more than 1% of the default
    roles = {r["role"]: r for r in d["roles"]}
    assert set(roles) == {"volunteers", "command"}
    vol = roles["volunteers"]
    assert vol["decided"] == 0 and vol["timed_out"] == len(vol["improvements"]) > 0
    bar = 0.01 * d["default"]["total_harm"]
    for k, row in enumerate(d["decisions"]):
        if row["role"] == "command" and not row["timed_out"]:
            harm = row["effect"]["total_harm"]
            assert (k in roles["command"]["strengths"]) == (harm <= -bar)
            assert (k in roles["command"]["improvements"]) == (harm >= bar)
    page = debrief_html(d)  # the outcomes, each decision, the harm of both runs, the timeline
    assert "After action: by role" in page
    assert page.count("<polyline") == 2 and "(60 min)" in page
    assert page.count("<tr>") >= 1 + len(d["outcome_keys"]) + len(d["decisions"]) + len(
        d["timeline"]
    )


def test_a_class_that_always_takes_the_default_plays_the_default_run(plan):
    d = exercise(plan, [DEFAULT] * 10).debrief
    assert d["class"] == d["default"]
    assert all(v == 0 for v in d["difference"].values())


def test_ending_early_plays_the_rest_with_the_default(plan):
    s, _ = session(replace(plan, injects=(Inject(1.0, {"en": "x"}),)))
    s.join("", "a", "command")
    s.start()
    run_to_round(s)
    s.end()
    assert s.phase == "ended" and not s.player.running and s.debrief is not None
    with pytest.raises(Refused):
        s.join("", "late", "volunteers")


def test_decisions_apply_in_the_plans_order_of_roles(plan):
    s, _ = session(plan)
    s.join("", "v", "volunteers")
    s.join("", "g", "grid_manager:C-3")
    s.start()
    run_to_round(s)
    assert list(s.round.choices) == ["grid_manager:C-3", "volunteers"]
    s.join("", "c", "command")  # joins during the decision point: still in the plan's order
    assert list(s.round.choices) == [
        r for r in plan.roles if r in ("volunteers", "grid_manager:C-3", "command")
    ]


def test_the_command_sees_each_report_that_reached_it_with_its_delay(plan):
    s, clock = session(plan)
    grid = s.join("", "grid", "grid_manager:B-1")
    command = s.join("", "cmd", "command")
    s.start()
    while s.phase != "ended" and not s.reports("command"):
        run_to_round(s)
        clock.now += plan.decision_seconds + 1
        s.tick()
    shown = s.student_view(command)["reports"]
    assert 0 < len(shown) <= REPORTS_SHOWN
    m = s.player.model
    nd = m.needs
    arrived = np.flatnonzero(nd.reported[: nd.n] <= m.minute)
    latest = arrived[np.argsort(-nd.reported[arrived], kind="stable")][:REPORTS_SHOWN]
    assert [r["grid"] for r in shown] == [m.grid_label(int(nd.grid[i])) for i in latest]
    assert [r["delay_min"] for r in shown] == [
        round(float(nd.reported[i] - nd.detected[i])) for i in latest
    ]
    assert all(r["delay_min"] >= 0 for r in shown)
    assert s.student_view(grid)["reports"] == []  # a grid manager sees their grid, not these


def test_guessing_the_join_code_is_cut_off(plan):
    s, clock = session(plan, require_code=True)
    wrong = str((int(s.code) + 1) % 10**6).zfill(6)
    for _ in range(WRONG_CODES_PER_ADDRESS):
        with pytest.raises(Refused) as e:
            s.join(wrong, "a", "command", "10.0.0.5")
        assert e.value.key == "exercise.refused.code"
    with pytest.raises(Refused) as e:  # from this address even the right code waits
        s.join(s.code, "a", "command", "10.0.0.5")
    assert (e.value.key, e.value.status) == ("exercise.refused.too_many", 429)
    assert s.join(s.code, "b", "volunteers", "10.0.0.6")  # another student is not held up
    clock.now += GUESS_WINDOW_S
    assert s.join(s.code, "a", "command", "10.0.0.5")  # a minute later
    for k in range(WRONG_CODES_IN_ALL):  # and from many addresses together
        with pytest.raises(Refused):
            s.check_code(wrong, f"10.0.1.{k // WRONG_CODES_PER_ADDRESS}")
    with pytest.raises(Refused) as e:
        s.check_code(s.code, "10.0.2.1")
    assert e.value.key == "exercise.refused.too_many"


def test_the_chinese_debrief_names_each_decision_point_in_chinese(plan):
    zh = replace(plan, injects=(Inject(1.0, {"en": "Shelter B is full.", "zh": "B避难点已满。"}),))
    s = exercise(zh, ["act_locally", "fast_track_reports"])
    words = [r["inject_words"] for r in s.debrief["decisions"]]
    assert any("Shelter B is full." in w["en"] and "B避难点已满。" in w["zh"] for w in words)
    page = debrief_html(s.debrief, "zh")
    assert "B避难点已满。" in page and "Shelter B is full." not in page
    assert "Shelter B is full." in debrief_html(s.debrief, "en")


def test_the_trainers_timeline_names_decisions_in_the_sessions_language(plan):
    s, clock = session(plan, lang="zh")
    token = s.join("", "cmd", "command")
    s.start()
    run_to_round(s)
    s.decide(token, "act_locally")
    s.tick()
    decisions = [e["words"] for e in s.trainer_view()["timeline"] if e["kind"] == "decision"]
    assert decisions == ["前线指挥部值班员（报告、热线）: 让网格立即行动，不必等待答复"]  # noqa: RUF001
