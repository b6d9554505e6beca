"""One engine: the compiled code and the same source run as Python (``NUMBA_DISABLE_JIT=1``,
for debugging and coverage) give the same run, bit for bit, for every structure,
mechanism and hazard."""

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
    "siloed-hierarchical": {"organization.structure": "siloed",
                            "reporting.mechanism": "hierarchical",
                            "reporting.loss_per_level": 0.3, "reporting.max_resends": 1},
    "integrated-direct-fire": {"organization.structure": "integrated",
                               "reporting.mechanism": "direct", "fire.enabled": True,
                               "volunteers.coordinated": False,
                               "space.shelters_per_community": 2},
    "party-joint-epidemic": {"organization.structure": "integrated_party",
                             "reporting.mechanism": "joint_meeting", "flood.enabled": False,
                             "epidemic.enabled": True, "epidemic.symptom_onset_days": 0.2,
                             "epidemic.initial_infected": 40, "time.war_step_min": 60.0},
    "autonomy-rests": {"reporting.mechanism": "grid_autonomy",
                       "organization.shift_hours": 2.0, "space.layout": "random_geometric",
                       "response.effort_distribution": "exponential"},
}
SCRIPT = """
import json, sys
from sim import Config, simulate
cases, out = json.loads(sys.argv[1]), sys.argv[2]
for name, over in cases.items():
    r = simulate(Config().with_overrides(over), seed=3)
    r.outcomes.to_parquet(f"{out}/{name}-outcomes.parquet")
    r.timeseries.to_parquet(f"{out}/{name}-timeseries.parquet")
    r.needs.to_parquet(f"{out}/{name}-needs.parquet")
    r.routine_cases.to_parquet(f"{out}/{name}-routine.parquet")
"""


@pytest.fixture(scope="module")
def python_runs(tmp_path_factory):
    out = tmp_path_factory.mktemp("python-engine")
    cases = {k: {**SMALL, **v} for k, v in CASES.items()}
    env = {**os.environ, "NUMBA_DISABLE_JIT": "1", "PYTHONPATH": str(ROOT)}
    subprocess.run([sys.executable, "-c", SCRIPT, json.dumps(cases), str(out)], check=True,
                   env=env, cwd=ROOT, timeout=900)
    return out


@pytest.mark.parametrize("name", list(CASES))
def test_the_source_run_as_python_gives_the_compiled_run(python_runs, name):
    r = simulate(Config().with_overrides({**SMALL, **CASES[name]}), seed=3)
    frames = {"outcomes": r.outcomes, "timeseries": r.timeseries, "needs": r.needs,
              "routine": r.routine_cases}
    assert len(r.needs) > 30
    for what, frame in frames.items():
        expected = pd.read_parquet(python_runs / f"{name}-{what}.parquet")
        pd.testing.assert_frame_equal(frame, expected, check_exact=True,
                                      check_categorical=False, obj=f"{name} {what}")


def test_events_scheduled_in_the_past_are_refused():
    from sim import GrassrootsModel
    m = GrassrootsModel(Config().with_overrides({"time.peace_days": 0}), rng=1)
    m.step()
    with pytest.raises(ValueError, match="before now"):
        m.engine.push(m.minute - 5.0, PICK, 0)
    with pytest.raises(ValueError, match="before now"):
        m.engine.push_each(np.array([m.minute - 5.0]), PICK, np.array([0]))
