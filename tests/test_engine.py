"""The compiled engine (sim/kernel.py) reproduces the Python reference (sim/response.py and
its mixins) bit for bit: the same outcomes, time series, need log and routine-case log for
every mechanism, structure and hazard, and for configurations drawn at random."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings, strategies as st

from sim import simulate
from sim.engine import ENGINES, response_class
from sim.model import GrassrootsModel
from sim.params import Config, MECHANISMS, STRUCTURES
from sim.scenario import SCENARIO_DIR, load_scenario, shipped_or_path

from test_model_invariants import small_configs


def assert_same_run(over: dict, seed: int, base: str | None = None) -> None:
    config = load_scenario(shipped_or_path(base, SCENARIO_DIR), overrides=over) if base else \
        Config().with_overrides(over)
    ref = simulate(config, seed=seed, engine="python")
    fast = simulate(config, seed=seed, engine="compiled")
    pd.testing.assert_frame_equal(ref.outcomes, fast.outcomes, check_exact=True)
    pd.testing.assert_frame_equal(ref.timeseries, fast.timeseries, check_exact=True)
    pd.testing.assert_frame_equal(ref.needs, fast.needs, check_exact=True)
    pd.testing.assert_frame_equal(ref.events, fast.events)
    if ref.routine_cases is not None:
        pd.testing.assert_frame_equal(ref.routine_cases, fast.routine_cases, check_exact=True)


@pytest.mark.parametrize("mechanism", MECHANISMS)
@pytest.mark.parametrize("structure", STRUCTURES)
def test_every_structure_and_mechanism_runs_the_same_on_both_engines(structure, mechanism):
    assert_same_run({"organization.structure": structure, "reporting.mechanism": mechanism,
                     "population.n_residents": 8000, "time.peace_days": 5,
                     "time.war_hours": 24.0}, seed=3)


@pytest.mark.parametrize("scenario", ["street_flood", "street_epidemic", "township_typhoon"])
def test_shipped_scenarios_run_the_same_on_both_engines(scenario):
    assert_same_run({"time.peace_days": 3, "time.war_hours": 24.0}, seed=5, base=scenario)


def test_jammed_lossy_chains_with_self_directed_volunteers_run_the_same():
    """The rarer paths: lost and re-sent reports, reports lost for good, local action on
    overdue needs, self-directed volunteers, shelters and escorts, fires, rests."""
    assert_same_run({"population.n_residents": 8000, "time.peace_days": 2,
                     "time.war_hours": 36.0, "reporting.loss_per_level": 0.3,
                     "reporting.max_resends": 1, "reporting.township_delay_min": 30.0,
                     "volunteers.coordinated": False, "space.shelters_per_community": 1,
                     "fire.enabled": True, "organization.shift_hours": 2.0,
                     "response.local_action_after_min": 30.0}, seed=9)


def test_more_lines_than_the_routine_roster_has_run_the_same():
    """Routine cases are drawn from every line (organization.siloed_lines), including lines
    no community or township cadre belongs to: they fall back to any line, on both engines
    (a table narrower than the lines once failed here)."""
    assert_same_run({"population.n_residents": 3000, "time.war_hours": 12.0,
                     "time.peace_days": 3, "organization.structure": "siloed",
                     "organization.siloed_lines": 12}, seed=1)


@settings(max_examples=8, deadline=None)
@given(small_configs(), st.integers(1, 2**31 - 1))
def test_random_configurations_run_the_same_on_both_engines(over, seed):
    assert_same_run(over, seed)


def test_the_compiled_engine_is_the_default_and_names_are_checked():
    m = GrassrootsModel(Config().with_overrides({"time.peace_days": 0,
                                                 "time.war_hours": 1.0}), rng=1)
    assert m.engine == "compiled" and type(m.response) is response_class("compiled")
    assert set(ENGINES) == {"compiled", "python"}
    with pytest.raises(ValueError, match="compiled, python"):
        GrassrootsModel(Config(), rng=1, engine="fortran")


def test_events_scheduled_in_the_past_are_refused_by_both_engines():
    for engine in ENGINES:
        m = GrassrootsModel(Config().with_overrides({"time.peace_days": 0}), rng=1,
                            engine=engine)
        m.step()
        with pytest.raises(ValueError, match="before now"):
            m.response.q.at(m.minute - 5.0, m.response._pick, 0)
        with pytest.raises(ValueError, match="before now"):
            m.response.q.at_each(np.array([m.minute - 5.0]), m.response.detected,
                                 np.array([0]), np.array([0]))
