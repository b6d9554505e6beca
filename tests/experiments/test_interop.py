"""The model in other frameworks (experiments/interop.py): EMA Workbench's perform_experiments
and Mesa's batch_run with the outcomes."""

from __future__ import annotations

import warnings

import mesa
import numpy as np
import pandas as pd
import pytest

from experiments.interop import BatchModel, ema_model
from sim import Config, simulate
from sim.scenario import load_scenario

SMALL = {"population.n_residents": 3000, "time.peace_days": 2, "time.war_hours": 6.0}
UNCERTAIN = {
    "population.initial_trust": {"low": 0.2, "high": 0.8},
    "flood.needs_per_1000_per_hour": {"low": 4, "high": 16},
    "organization.community_cadres_per_community": {"low": 3, "high": 9},
}


def test_ema_perform_experiments_runs_ten_experiments():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from ema_workbench import (
            CategoricalParameter,
            IntegerParameter,
            RealParameter,
            ScalarOutcome,
            perform_experiments,
        )

    model = ema_model(
        uncertainties=UNCERTAIN,
        constants=SMALL,
        outcomes=["total_harm", "mean_response_min", "share_met_within_target"],
    )
    kinds = {type(p) for p in model.uncertainties}
    assert kinds == {RealParameter, IntegerParameter}
    levers = {p.name: p for p in model.levers}
    assert isinstance(levers["reporting__mechanism"], CategoricalParameter)
    assert isinstance(levers["volunteers__team_size_per_1000"], RealParameter)
    outcome_kinds = {o.name: o.kind for o in model.outcomes}
    assert outcome_kinds["total_harm"] == ScalarOutcome.MINIMIZE
    assert outcome_kinds["share_met_within_target"] == ScalarOutcome.MAXIMIZE

    # a seeded Latin hypercube: the same ten experiments on every run of the test
    experiments, outcomes = perform_experiments(
        model, 10, uncertainty_sampling_kwargs={"rng": 42}, lever_sampling_kwargs={"rng": 43}
    )
    assert len(experiments) == 10
    assert set(outcomes) == {"total_harm", "mean_response_min", "share_met_within_target"}
    assert all(np.isfinite(v).all() and len(v) == 10 for v in outcomes.values())
    assert experiments["population__initial_trust"].between(0.2, 0.8).all()
    # each experiment is the run simulate() gives for its parameters (and seed 1)
    row = experiments.iloc[3]
    overrides = {
        **SMALL,
        **{
            k.replace("__", "."): row[k]
            for k in (
                "population__initial_trust",
                "flood__needs_per_1000_per_hour",
                "organization__community_cadres_per_community",
            )
        },
    }
    overrides["organization.community_cadres_per_community"] = int(
        overrides["organization.community_cadres_per_community"]
    )
    ref = simulate(load_scenario(None, overrides=overrides), seed=1).summary()
    assert outcomes["total_harm"][3] == pytest.approx(ref["total_harm"])
    # more needs per hour (same seed) means more harm: the uncertainty reaches the model
    order = np.argsort(experiments["flood__needs_per_1000_per_hour"].to_numpy())
    assert outcomes["total_harm"][order[-3:]].mean() > outcomes["total_harm"][order[:3]].mean()


def test_mesa_batch_run_returns_the_outcomes():
    params = {"reporting.mechanism": ["direct", "hierarchical"], **SMALL}
    rows = mesa.batch_run(
        BatchModel,
        parameters=params,
        rng=[1],
        max_steps=1000,
        number_processes=1,
        data_collection_period=-1,
        display_progress=False,
    )
    frame = pd.DataFrame(rows)
    assert len(frame) == 2
    for _, row in frame.iterrows():
        cfg = Config().with_overrides({**SMALL, "reporting.mechanism": row["reporting.mechanism"]})
        ref = simulate(cfg, seed=1)
        for key in ("total_harm", "mean_response_min", "needs_total", "peak_backlog"):
            assert row[key] == pytest.approx(ref.summary()[key]), key
        assert row["backlog"] == ref.timeseries.iloc[-1]["backlog"]  # the time series too
