"""A hazard added from outside the package (examples/heatwave): it registers, runs through
``simulate`` and ``grassroots run``, creates its needs, reports its outcome, survives a
trip to another process, and the rest of the project reads it from the registry."""

from __future__ import annotations

import json
import pickle
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import sim
from sim.footprint import expected_needs
from sim.registry import HAZARDS

ROOT = Path(__file__).resolve().parents[2]
SCENARIO = ROOT / "examples" / "heatwave" / "heatwave.toml"
SMALL = {"population.n_residents": 6000, "time.peace_days": 2, "time.war_hours": 48.0}


@pytest.fixture(scope="module")
def config():
    return sim.load_scenario(SCENARIO, overrides=SMALL)


def test_the_plugin_registers_its_section_need_type_and_outcome(config):
    assert "heatwave" in HAZARDS and config.heatwave.enabled
    assert "heat_checks_in_time" in sim.OUTCOMES
    assert any(r["key"] == "heatwave.checks_per_day" for r in sim.describe())
    assert config.plugins and config.plugins[0].endswith("heatwave.py")


def test_a_heat_wave_creates_welfare_checks_for_elderly_residents_alone(config):
    r = sim.simulate(config, seed=3, keep_model=True)
    needs, m = r.needs, r.model
    assert len(needs) > 20 and set(needs["type"].astype(str)) == {"welfare_check"}
    res = m.residents
    who = m.needs.resident[: m.needs.n]
    assert np.all(res.elderly[who]) and np.all(res.household_size[res.household[who]] == 1)
    assert 0.0 <= r.summary()["heat_checks_in_time"] <= 1.0
    # More checks per day: more needs (the same residents and emergency otherwise).
    more = sim.simulate(config.with_overrides({"heatwave.checks_per_day": 0.6}), seed=3)
    assert len(more.needs) > 1.5 * len(needs)
    assert expected_needs(config) > 0
    assert [e.hazard for e in m.events if e.kind == "begins"] == ["heatwave"]


def test_a_configuration_with_a_plugin_survives_another_process(config):
    again = pickle.loads(pickle.dumps(config))
    assert again == config and again.heatwave.checks_per_day == config.heatwave.checks_per_day
    code = (
        "import pickle, sys; from sim import simulate; "
        "c = pickle.loads(sys.stdin.buffer.read()); "
        "print(simulate(c, seed=3).summary()['needs_total'])"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        input=pickle.dumps(config),
        capture_output=True,
        check=True,
        cwd=ROOT,
        timeout=600,
    )
    assert (
        float(out.stdout.decode().split()[-1])
        == sim.simulate(config, seed=3).summary()["needs_total"]
    )


def test_grassroots_run_takes_the_plugin_scenario(tmp_path):
    out = tmp_path / "run"
    sets = [a for k, v in SMALL.items() for a in ("--set", f"{k}={v}")]
    subprocess.run(
        [
            sys.executable,
            "-m",
            "experiments.cli",
            "run",
            str(SCENARIO),
            "--out",
            str(out),
            "--quiet",
            *sets,
        ],
        check=True,
        cwd=ROOT,
        timeout=600,
    )
    summary = json.loads((out / "summary.json").read_text())
    assert summary["outcomes"]["needs_total"] > 20
    assert "heat_checks_in_time" in summary["outcomes"]
    assert summary["parameters"]["heatwave"]["enabled"] is True


def test_a_sweep_from_a_driver_with_a_plugin_has_its_outcomes_in_every_worker(config, tmp_path):
    """The driver loaded the plugin (``config``); a sweep of another scenario run in
    spawned workers has the same columns (the plugin's outcome, empty) as run in the driver."""
    from experiments.sweeps.backends import ProcessBackend, SerialBackend
    from experiments.sweeps.designs import load_sweep
    from experiments.sweeps.runner import make_plan, run_sweep

    sweep = tmp_path / "tiny.toml"
    sweep.write_text(
        f'name = "tiny"\nbase = "{ROOT / "configs" / "scenarios" / "street_flood.toml"}"\n'
        'replications = 2\nmaster_seed = 3\n\n[design]\nkind = "factorial"\n\n[fixed]\n'
        '"population.n_residents" = 2000\n"time.peace_days" = 2\n"time.war_hours" = 6\n\n'
        '[factors]\n"reporting.mechanism" = ["hierarchical", "direct"]\n',
        encoding="utf-8",
    )
    tables = [
        run_sweep(make_plan(load_sweep(sweep)), tmp_path / name, backend, quiet=True)
        .drop(columns="duration_s")
        .sort_values("run_id")
        .reset_index(drop=True)
        for name, backend in (
            ("serial", SerialBackend()),
            ("pool", ProcessBackend(2, start_method="spawn")),  # workers that load it anew
        )
    ]
    assert all(o.name in tables[0].columns for o in HAZARDS["heatwave"].outcomes)
    pd.testing.assert_frame_equal(tables[1], tables[0])
