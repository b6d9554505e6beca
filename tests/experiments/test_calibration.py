"""Calibration and validation against field data (experiments/calibration/)."""

from __future__ import annotations

import json
import math
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from experiments.calibration.targets import (
    DEFAULT_TARGETS,
    MISSING_PENALTY,
    Expression,
    band_loss,
    load_targets,
)
from experiments.calibration.validate import seeds_for, simulate_targets, validation_table
from experiments.cli.main import main
from sim.params import ConfigError
from sim.scenario import load_scenario

REPO = Path(__file__).resolve().parents[2]
SMALL = ["--set", "population.n_residents=3000", "--set", "time.peace_days=7"]
ROUTINE = (
    'scenario = "street_flood"\noverrides = { "organization.structure" = "integrated", '
    '"flood.enabled" = false, "time.war_hours" = 1.0 }\n'
)
GOOD = f"""
[volume]
outcome = "routine_cases_per_1000_per_day"
{ROUTINE}value = 1.5
band = [0.7, 2.3]
source = "F3: test"
use = "calibrate"
"""


def cli(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


# --- expressions and the loss ---------------------------------------------------------------


def test_expression_over_outcomes_and_parameters():
    e = Expression("1000 * residents_sheltered / (population.n_residents - 2) + -1")
    assert e.outcomes == {"residents_sheltered"} and e.params == {"population.n_residents"}
    assert e.evaluate({"residents_sheltered": 5.0}, {"population.n_residents": 1002}) == 4.0
    assert math.isnan(
        Expression("needs_total / needs_resolved").evaluate(
            {"needs_total": 3.0, "needs_resolved": 0.0}, {}
        )
    )


@pytest.mark.parametrize(
    "text, words",
    [
        ("__import__('os').system('true')", "not allowed"),
        ("needs_total ** 2", "not allowed"),
        ("needs_total if 1 else 2", "not allowed"),
        ("'text'", "only numbers"),
        ("True + needs_total", "only numbers"),
        ("a.b.c", "not allowed"),
        ("no_such_outcome", "unknown outcome"),
        ("needs_total +", "not an expression"),
    ],
)
def test_expression_refuses_anything_but_arithmetic(text, words):
    with pytest.raises(ValueError, match=words):
        Expression(text)


def test_expression_refuses_unknown_parameter():
    with pytest.raises(ConfigError, match="population.n_people"):
        Expression("population.n_people / 2")


def test_band_loss_is_distance_in_band_widths():
    assert band_loss(1.5, (1.0, 2.0)) == 0.0
    assert band_loss(1.0, (1.0, 2.0)) == 0.0
    assert band_loss(0.5, (1.0, 2.0)) == pytest.approx(0.5)
    assert band_loss(4.0, (1.0, 3.0)) == pytest.approx(0.5)
    assert band_loss(math.nan, (1.0, 2.0)) == MISSING_PENALTY


@given(x=st.floats(-1e6, 1e6), low=st.floats(-1e3, 1e3), width=st.floats(1e-3, 1e3))
def test_band_loss_zero_exactly_inside_and_grows_outside(x, low, width):
    band = (low, low + width)
    loss = band_loss(x, band)
    assert loss >= 0
    assert (loss == 0) == (band[0] <= x <= band[1])
    if x > band[1]:
        assert band_loss(x + width, band) == pytest.approx(loss + 1, rel=1e-6, abs=1e-6)


# --- the targets file ---------------------------------------------------------------------


def test_a_wartime_calibrate_target_names_the_parameter_fitted_to_it():
    ts = load_targets(DEFAULT_TARGETS)
    wartime = [t for t in ts.used_for("calibrate") if t.phase == "wartime"]
    assert wartime and all(t.fits for t in wartime)
    assert {t.phase for t in ts.used_for("validate")} == {"wartime"}


def test_shipped_targets_load():
    ts = load_targets(DEFAULT_TARGETS)
    assert len(ts.targets) >= 6
    assert {t.source.split(":")[0] for t in ts.targets} >= {"F1", "F2", "F3", "F4", "F9"}
    assert ts.used_for("calibrate")


BAD_TARGETS = {
    "unknown key": (GOOD.replace("use =", "weight = 2\nuse ="), "volume.weight"),
    "unknown outcome": (
        GOOD.replace("routine_cases_per_1000_per_day", "cases", 1),
        "volume.outcome",
    ),
    "unsafe outcome": (
        GOOD.replace('"routine_cases_per_1000_per_day"', '"open(1)"', 1),
        "volume.outcome",
    ),
    "bad override key": (
        GOOD.replace("organization.structure", "organization.shape"),
        "volume.overrides.organization.shape",
    ),
    "bad override value": (
        GOOD.replace('"integrated"', '"matrix"'),
        "volume.overrides.organization.structure",
    ),
    "bad use": (GOOD.replace('"calibrate"', '"fit"'), "volume.use"),
    "value outside band": (GOOD.replace("value = 1.5", "value = 3.0"), "volume.value"),
    "bad band": (GOOD.replace("[0.7, 2.3]", "[2.3, 0.7]"), "volume.band"),
    "missing source": (GOOD.replace('source = "F3: test"\n', ""), "volume.source"),
    "unknown scenario": (GOOD.replace('"street_flood"', '"street_fog"'), "volume.scenario"),
    "unknown fitted parameter": (
        GOOD.replace("use =", 'fits = ["routine.effort"]\nuse ='),
        "volume.fits",
    ),
}


@pytest.mark.parametrize("command", ["validate", "calibrate"])
@pytest.mark.parametrize("case", BAD_TARGETS)
def test_bad_targets_file_exits_2_naming_file_and_key(tmp_path, capsys, case, command):
    text, key = BAD_TARGETS[case]
    path = tmp_path / "targets.toml"
    path.write_text(text)
    argv = (
        ["validate", "--targets", str(path), "--out", str(tmp_path / "v")]
        if command == "validate"
        else [
            "calibrate",
            str(path),
            "--params",
            "routine.effort_min",
            "--budget",
            "2",
            "--out",
            str(tmp_path / "c"),
        ]
    )
    code, out, err = cli(capsys, *argv)
    assert code == 2
    assert str(path) in err and key in err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "c").exists() and not (tmp_path / "v").exists()


@pytest.mark.parametrize(
    "param, words",
    [
        ("organization.structure", "no plausible range"),
        ("volunteers.team_size_per_1000", "no plausible range"),  # a policy lever
        ("routine.effort", "unknown key"),
    ],
)
def test_calibrate_refuses_a_parameter_without_plausible_range(tmp_path, capsys, param, words):
    code, _, err = cli(
        capsys, "calibrate", "--params", param, "--budget", "2", "--out", str(tmp_path / "c")
    )
    assert code == 2 and param in err and words in err


# --- validation ---------------------------------------------------------------------------


def test_validate_table_and_strict_exit(tmp_path, capsys):
    path = tmp_path / "targets.toml"
    path.write_text(
        GOOD
        + GOOD.replace("[volume]", "[impossible]")
        .replace("[0.7, 2.3]", "[50.0, 60.0]")
        .replace("1.5", "55.0")
    )
    args = ["validate", "--targets", str(path), "--seeds", "2", "--quiet", *SMALL]
    code, out, _ = cli(capsys, *args, "--out", str(tmp_path / "a"))
    assert code == 0
    assert "volume" in out and "impossible" in out and "calibrate: 1 of 2" in out
    doc = json.loads((tmp_path / "a" / "validation.json").read_text())
    rows = {r["target"]: r for r in doc["rows"]}
    volume = rows["volume"]
    assert len(volume["values"]) == 2 and volume["inside"] and not rows["impossible"]["inside"]
    assert volume["ci_low"] <= volume["mean"] <= volume["ci_high"]
    # Both targets read the same runs: the same setting gives the same values.
    assert volume["values"] == rows["impossible"]["values"]
    code, _, _ = cli(capsys, *args, "--out", str(tmp_path / "b"), "--strict")
    assert code == 1


def test_validate_runs_a_target_over_parameters_without_simulating(tmp_path, capsys):
    path = tmp_path / "targets.toml"
    path.write_text(
        '[grid]\noutcome = "1000 / population.residents_per_grid"\n'
        'scenario = "street_flood"\nvalue = 1.0\nband = [0.8, 1.6]\n'
        'source = "F5"\nuse = "validate"\n'
    )
    code, out, _ = cli(
        capsys,
        "validate",
        "--targets",
        str(path),
        "--seeds",
        "3",
        "--quiet",
        "--out",
        str(tmp_path / "v"),
        "--set",
        "population.residents_per_grid=500",
    )
    assert code == 0
    row = json.loads((tmp_path / "v" / "validation.json").read_text())["rows"][0]
    assert row["values"] == [2.0, 2.0, 2.0] and not row["inside"]


def test_calibrate_targets_stay_inside_their_bands_in_the_shipped_scenarios():
    """The shipped scenarios (with their calibrated values) reproduce every calibrate target
    (2 seeds): fails when a model change drifts them out; rerun scripts/calibrate-shipped."""
    targets = load_targets(DEFAULT_TARGETS).used_for("calibrate")
    rows = validation_table(targets, simulate_targets(targets, seeds_for(2)))
    outside = [(r["target"], r["mean"], r["band"]) for r in rows if not r["inside"]]
    assert not outside, f"outside their bands: {outside}"


# --- calibration --------------------------------------------------------------------------


def n_complete(db: Path) -> int:
    try:
        with sqlite3.connect(db) as con:
            return con.execute("select count(*) from trials where state = 'COMPLETE'").fetchone()[0]
    except sqlite3.Error:
        return 0


def test_sigkilled_calibration_resumes_where_it_was(tmp_path):
    targets = tmp_path / "targets.toml"
    targets.write_text(
        GOOD
        + GOOD.replace("[volume]", "[handling]")
        .replace("routine_cases_per_1000_per_day", "routine_mean_handling_h", 1)
        .replace("[0.7, 2.3]", "[4.0, 7.0]")
        .replace("value = 1.5", "value = 6.5")
    )
    out = tmp_path / "cal"
    budget = 12
    cmd = [
        sys.executable,
        "-m",
        "experiments.cli",
        "calibrate",
        str(targets),
        "--params",
        "routine.cases_per_1000_per_day",
        "routine.effort_min",
        "--budget",
        str(budget),
        "--seeds",
        "2",
        "--out",
        str(out),
        "--quiet",
        *SMALL,
    ]
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.Popen(
        cmd, cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None:
        if n_complete(out / "study.db") >= 3:
            break
        time.sleep(0.05)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    killed_at = n_complete(out / "study.db")
    assert 3 <= killed_at < budget
    assert not (out / "trials.parquet").exists()
    import optuna

    before = {
        t.number: t.params
        for t in optuna.load_study(
            study_name="calibration", storage=f"sqlite:///{out / 'study.db'}"
        ).trials
        if t.state.name == "COMPLETE"
    }

    done = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    trials = pd.read_parquet(out / "trials.parquet")
    complete = trials[trials["state"] == "COMPLETE"]
    assert len(complete) == budget  # only the remaining budget ran
    kept = complete.set_index("trial").loc[list(before)]
    for number, params in before.items():  # the trials done before the kill are kept
        assert {k: kept.loc[number, k] for k in params} == params
    assert (trials["state"] != "RUNNING").all()
    # Trial 0 is the scenario's own values: what calibration changes is measured from there.
    first = complete.set_index("trial").loc[0]
    assert first["routine.effort_min"] == load_scenario(None).routine.effort_min
    # The fitted values form a scenario that loads, inside the plausible ranges.
    config = load_scenario(out / "calibrated.toml")
    best = complete.loc[complete["loss"].idxmin()]
    assert config.routine.effort_min == pytest.approx(best["routine.effort_min"], rel=1e-5)
    assert 20.0 <= config.routine.effort_min <= 180.0
    assert best["loss"] <= first["loss"]
    assert "data:image/png;base64," in (out / "report" / "index.html").read_text()
    # Run again (in this process): nothing is left to run.
    assert main(cmd[3:]) == 0
    assert len(pd.read_parquet(out / "trials.parquet")) == len(trials)


def test_resuming_with_other_parameters_is_refused(tmp_path, capsys):
    targets = tmp_path / "targets.toml"
    targets.write_text(GOOD)
    args = [
        "calibrate",
        str(targets),
        "--budget",
        "1",
        "--seeds",
        "1",
        "--out",
        str(tmp_path / "c"),
        "--quiet",
        *SMALL,
    ]
    assert cli(capsys, *args, "--params", "routine.effort_min")[0] == 0
    code, _, err = cli(capsys, *args, "--params", "routine.duty_hours")
    assert code == 2 and "different calibration" in err


def test_shipped_scenarios_hold_the_recorded_calibration():
    """configs/targets/calibration.json (written by scripts/calibrate-shipped) and the values
    in every shipped scenario file agree, each value inside its plausible range."""
    from experiments.calibration.shipped import RECORD
    from sim.scenario import SCENARIO_DIR

    record = json.loads(RECORD.read_text())
    for path in sorted(SCENARIO_DIR.glob("*.toml")):
        flat = load_scenario(path).flat()
        text = path.read_text()
        for key, value in record["fitted"].items():
            lo, hi = record["ranges"][key]
            assert flat[key] == pytest.approx(value, rel=1e-3), (path.name, key)
            assert lo <= flat[key] <= hi
            assert f"{key.split('.')[1]} = " in text and "calibrated against F1" in text


def test_set_in_scenario_replaces_or_adds_a_key():
    from experiments.calibration.shipped import set_in_scenario

    text = "name = 'x'\n\n[routine]\neffort_min = 60.0  # old\n\n[flood]\nenabled = true\n"
    new = set_in_scenario(text, "routine.effort_min", "90.0", "new")
    assert "effort_min = 90.0  # new" in new and "# old" not in new and "[flood]" in new
    new = set_in_scenario(new, "routine.duty_hours", "8.5", "c")
    assert new.index("duty_hours = 8.5") < new.index("[flood]")
    new = set_in_scenario(new, "volunteers.callup_min", "30.0", "c")
    import tomllib

    data = tomllib.loads(new)
    assert data["routine"] == {"effort_min": 90.0, "duty_hours": 8.5}
    assert data["volunteers"] == {"callup_min": 30.0} and data["flood"] == {"enabled": True}


def test_validate_prints_peacetime_and_wartime_apart_and_inputs_as_inputs(tmp_path, capsys):
    path = tmp_path / "targets.toml"
    war = GOOD.replace("[volume]", "[war_volume]") + 'phase = "wartime"\n'
    held = war.replace("[war_volume]", "[war_held_out]").replace(
        'use = "calibrate"', 'use = "validate"'
    )
    given = war.replace("[war_volume]", "[war_given]").replace('use = "calibrate"', 'use = "input"')
    path.write_text(GOOD + war + held + given)
    code, out, _ = cli(
        capsys,
        "validate",
        "--targets",
        str(path),
        "--seeds",
        "2",
        "--quiet",
        *SMALL,
        "--out",
        str(tmp_path / "a"),
    )
    assert code == 0
    titles = [line for line in out.splitlines() if "inside their band" in line]
    assert [t.split(":")[0] for t in titles] == [
        "peacetime, calibrated (fitted to these)",
        "wartime, calibrated (fitted to these)",
        "wartime, validation (held out, not fitted)",
        "wartime, inputs (a parameter was set from the figure",
    ]
    assert "wartime validate: 1 of 1" in out and "input" not in out.splitlines()[-1]
    rows = json.loads((tmp_path / "a" / "validation.json").read_text())["rows"]
    assert {r["target"]: (r["phase"], r["use"]) for r in rows}["war_given"] == ("wartime", "input")


def test_a_target_with_an_unknown_phase_is_refused(tmp_path):
    path = tmp_path / "targets.toml"
    path.write_text(GOOD + 'phase = "aftermath"\n')
    with pytest.raises(ConfigError, match="volume.phase.*peacetime, wartime"):
        load_targets(path)


def test_a_phase_selects_its_calibrate_targets_and_enters_the_study_s_signature():
    from experiments.calibration.calibrate import calibration_targets, make_plan

    key = "reporting.community_calls_per_1000_per_day"
    war = make_plan(DEFAULT_TARGETS, [key], 1, phase="wartime")
    fitted = calibration_targets(war.targets_path, war.phase)
    assert fitted and {t.phase for t in fitted} == {"wartime"}
    assert all(key in t.fits for t in fitted)
    peace = calibration_targets(war.targets_path, "peacetime")
    assert peace and {t.phase for t in peace} == {"peacetime"}
    assert len(calibration_targets(war.targets_path)) == len(fitted) + len(peace)
    assert war.signature()["phase"] == "wartime"
    assert make_plan(DEFAULT_TARGETS, [key], 1).signature()["phase"] is None
