"""One engine: the compiled code and the same source run as Python (``NUMBA_DISABLE_JIT=1``,
for debugging and coverage) give the same run, bit for bit, for every structure,
mechanism and hazard; and a run does not depend on the last digit of the C library's
exp, expm1, log, log1p or pow (docs/ODD.md, "Reproducibility across machines")."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim import Config, simulate
from sim.codes import PICK

ROOT = Path(__file__).resolve().parents[2]
SMALL = {"population.n_residents": 3000, "time.peace_days": 3, "time.war_hours": 12.0}
CASES = {
    "siloed-hierarchical": {
        "organization.structure": "siloed",
        "reporting.mechanism": "hierarchical",
        "reporting.loss_per_level": 0.3,
        "reporting.max_resends": 1,
    },
    "integrated-direct-fire": {
        "organization.structure": "integrated",
        "reporting.mechanism": "direct",
        "fire.enabled": True,
        "volunteers.coordinated": False,
        "space.shelters_per_community": 2,
    },
    "party-joint-epidemic": {
        "organization.structure": "integrated_party",
        "reporting.mechanism": "joint_meeting",
        "flood.enabled": False,
        "epidemic.enabled": True,
        "epidemic.symptom_onset_days": 0.2,
        "epidemic.initial_infected": 40,
        "time.war_step_min": 60.0,
    },
    "autonomy-rests": {
        "reporting.mechanism": "grid_autonomy",
        "organization.shift_hours": 2.0,
        "space.layout": "random_geometric",
        "response.effort_distribution": "exponential",
    },
    # Every hazard at once, with the draws' other branches: Poisson above a mean of 10
    # (an incident's needs), binomial above 10 (spontaneous volunteers), gamma below shape 1
    # (trust 0.1 x concentration 8 = 0.8).
    "all-hazards": {
        "fire.enabled": True,
        "fire.needs_per_incident": 15.0,
        "fire.incidents": 4,
        "epidemic.enabled": True,
        "epidemic.initial_infected": 40,
        "epidemic.symptom_onset_days": 0.2,
        "volunteers.spontaneous_share": 0.3,
        "population.willingness_mean": 0.6,
        "population.initial_trust": 0.1,
    },
}
# What the C library may return differently on another machine: each function one unit in
# the last place up. PERTURB names what a run replaces before importing the model: "libm"
# the C library's functions (math's and numpy's), "detmath" the model's own (to show that
# the comparison sees a change of one unit in the last place when there is one to see).
SCRIPT = """
import json, math, os, sys
import numpy as np


def up(f):
    return lambda *a, **k: np.nextafter(f(*a, **k), np.inf)


perturb = os.environ.get("PERTURB", "")
if perturb == "libm":
    for name in ("exp", "expm1", "log", "log1p", "pow"):
        setattr(math, name, (lambda f: lambda *a: math.nextafter(f(*a), math.inf))(
            getattr(math, name)))
    for name in ("exp", "expm1", "log", "log1p", "power"):
        setattr(np, name, up(getattr(np, name)))
from sim import Config, simulate
if perturb == "detmath":
    from sim import detmath
    originals = {getattr(detmath, f): up(getattr(detmath, f))
                 for f in ("exp", "expm1", "log", "log1p", "power", "ipow")}
    for module in [m for k, m in sys.modules.items() if k.split(".")[0] == "sim"]:
        for name, value in list(vars(module).items()):
            if callable(value) and value in originals:
                setattr(module, name, originals[value])
cases, out = json.loads(sys.argv[1]), sys.argv[2]
for name, over in cases.items():
    r = simulate(Config().with_overrides(over), seed=3)
    r.outcomes.to_parquet(f"{out}/{name}-outcomes.parquet")
    r.timeseries.to_parquet(f"{out}/{name}-timeseries.parquet")
    r.needs.to_parquet(f"{out}/{name}-needs.parquet")
    r.routine_cases.to_parquet(f"{out}/{name}-routine.parquet")
"""


FRAMES = ("outcomes", "timeseries", "needs", "routine")


def _python_runs(out: Path, perturb: str = "") -> Path:
    cases = {k: {**SMALL, **v} for k, v in CASES.items()}
    env = {**os.environ, "NUMBA_DISABLE_JIT": "1", "PYTHONPATH": str(ROOT), "PERTURB": perturb}
    subprocess.run(
        [sys.executable, "-c", SCRIPT, json.dumps(cases), str(out)],
        check=True,
        env=env,
        cwd=ROOT,
        timeout=900,
    )
    return out


@pytest.fixture(scope="module")
def python_runs(tmp_path_factory):
    return _python_runs(tmp_path_factory.mktemp("python-engine"))


@pytest.mark.parametrize("name", list(CASES))
def test_the_source_run_as_python_gives_the_compiled_run(python_runs, name):
    r = simulate(Config().with_overrides({**SMALL, **CASES[name]}), seed=3)
    frames = {
        "outcomes": r.outcomes,
        "timeseries": r.timeseries,
        "needs": r.needs,
        "routine": r.routine_cases,
    }
    assert len(r.needs) > 30
    for what, frame in frames.items():
        expected = pd.read_parquet(python_runs / f"{name}-{what}.parquet")
        pd.testing.assert_frame_equal(
            frame, expected, check_exact=True, check_categorical=False, obj=f"{name} {what}"
        )


def test_a_run_does_not_depend_on_the_c_library_s_last_digit(python_runs, tmp_path):
    """Every case run as Python with exp, expm1, log, log1p and pow (math's and numpy's)
    one unit in the last place off gives the same run, bit for bit; the same change to the
    model's own functions (sim/detmath.py) changes it, so the comparison would see one."""
    (tmp_path / "libm").mkdir()
    (tmp_path / "own").mkdir()
    moved = _python_runs(tmp_path / "libm", "libm")
    own = _python_runs(tmp_path / "own", "detmath")
    changed = []
    for name in CASES:
        for what in FRAMES:
            expected = pd.read_parquet(python_runs / f"{name}-{what}.parquet")
            pd.testing.assert_frame_equal(
                pd.read_parquet(moved / f"{name}-{what}.parquet"),
                expected,
                check_exact=True,
                obj=f"{name} {what}",
            )
            if not pd.read_parquet(own / f"{name}-{what}.parquet").equals(expected):
                changed.append(f"{name} {what}")
    assert len(changed) >= len(CASES), changed  # each case's run moves with the model's own


def test_events_scheduled_in_the_past_are_refused():
    from sim import GrassrootsModel

    m = GrassrootsModel(Config().with_overrides({"time.peace_days": 0}), rng=1)
    m.step()
    with pytest.raises(ValueError, match="before now"):
        m.engine.push(m.minute - 5.0, PICK, 0)
    with pytest.raises(ValueError, match="before now"):
        m.engine.push_each(np.array([m.minute - 5.0]), PICK, np.array([0]))
