"""The model for other frameworks: an EMA Workbench ``Model``, and a Mesa model whose
``mesa.batch_run`` rows carry the run's outcomes.

EMA Workbench (Kwakkel 2017) sees the model as a function of keyword parameters::

    from ema_workbench import perform_experiments
    from experiments.interop import ema_model

    model = ema_model(uncertainties="all", constants={"population.n_residents": 3000})
    experiments, outcomes = perform_experiments(model, scenarios=100, policies=4)

- **uncertainties**: ``RealParameter`` / ``IntegerParameter`` over the plausible range of
  each parameter (``sim/params.py``), chosen like a robustness sweep's ``uncertainties``
  (``"all"``, a list of keys, or ``{key: {"low": .., "high": ..}}``);
- **levers**: the planner's choices: every parameter with choices in ``organization`` and
  ``reporting`` (``CategoricalParameter``), every switch in ``organization`` and
  ``volunteers`` (``BooleanParameter``) and the volunteer team size, 0-40 per 1,000
  (``RealParameter``); or ``levers={key: [levels] | (low, high)}``;
- **outcomes**: a ``ScalarOutcome`` per declared outcome (``sim.OUTCOMES``), MINIMIZE or
  MAXIMIZE by its direction (INFO for those that only describe the run);
- **constants**: fixed config values, and ``seed`` (default 1: every experiment meets the
  same emergency, as with common random numbers; use EMA's ``ReplicatorModel`` pattern or
  vary it as an uncertainty for replications).

EMA names must be Python identifiers, so ``reporting.mechanism`` is ``reporting__mechanism``
there (the model accepts both). EMA Workbench is imported only by :func:`ema_model`.

``BatchModel`` is :class:`sim.GrassrootsModel` for ``mesa.batch_run``: when the run ends it
adds every outcome to the model variables of the final collection, so the rows of
``batch_run`` (default ``data_collection_period=-1``: the last step) hold the time-series
columns and the outcomes (NaN at earlier steps, or when ``max_steps`` stops it early).
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import numpy as np

from experiments.sweeps.uncertainties import uncertainty_bounds
from sim import OUTCOMES, GrassrootsModel
from sim.outcomes import higher_is_better, summarize
from sim.params import describe
from sim.scenario import load_scenario

TEAM_SIZE_LEVER = (0.0, 40.0)  # volunteers per 1,000: the shipped volunteer sweep's range
LEVER_SECTIONS = {"str": ("organization", "reporting"), "bool": ("organization", "volunteers")}


def ema_name(key: str) -> str:
    return key.replace(".", "__")


def default_levers() -> dict[str, Any]:
    """The planner's levers: structures and mechanisms, switches, the volunteer team."""
    levers: dict[str, Any] = {}
    for r in describe():
        if r["type"] == "str" and r["choices"] and r["section"] in LEVER_SECTIONS["str"]:
            levers[r["key"]] = list(r["choices"])
        elif r["type"] == "bool" and r["section"] in LEVER_SECTIONS["bool"]:
            levers[r["key"]] = [False, True]
    levers["volunteers.team_size_per_1000"] = TEAM_SIZE_LEVER
    return levers


class GrassrootsFunction:
    """One experiment: ``simulate(load_scenario(base, parameters), seed)``'s outcomes.

    A class rather than a closure so that EMA's multiprocessing evaluator can pickle it.
    """

    def __init__(self, base: str | None, outcomes: list[str]) -> None:
        self.base = base
        self.outcomes = outcomes

    def __call__(self, seed: int = 1, **parameters: Any) -> dict[str, float]:
        from sim import simulate

        overrides = {k: v.item() if isinstance(v, np.generic) else v for k, v in parameters.items()}
        config = load_scenario(self.base, overrides=overrides)
        summary = simulate(config, seed=int(seed)).summary()
        return {k: summary[k] for k in self.outcomes}


def ema_model(
    base: str | Path | None = None,
    uncertainties: Any = "all",
    levers: dict[str, Any] | None = None,
    outcomes: list[str] | None = None,
    constants: dict[str, Any] | None = None,
    name: str = "grassroots",
):
    """The model as an ``ema_workbench.Model`` (see the module docstring)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "ipyparallel not installed"
        from ema_workbench import (
            BooleanParameter,
            CategoricalParameter,
            Constant,
            IntegerParameter,
            Model,
            RealParameter,
            ScalarOutcome,
        )

    levers = default_levers() if levers is None else levers
    constants = dict(constants or {})
    lever_keys = set(levers) | set(constants)
    bounds = uncertainty_bounds(uncertainties, lever_keys, "ema_model(uncertainties=...)")
    outcomes = outcomes or list(OUTCOMES)
    model = Model(name, function=GrassrootsFunction(str(base) if base else None, outcomes))
    model.uncertainties = [
        IntegerParameter(ema_name(k), int(b.low), int(b.high))
        if b.integer
        else RealParameter(ema_name(k), b.low, b.high)
        for k, b in bounds.items()
    ]
    made = []
    for key, spec in levers.items():
        if isinstance(spec, tuple):
            integer = next(r for r in describe() if r["key"] == key)["type"] == "int"
            kind = IntegerParameter if integer else RealParameter
            made.append(kind(ema_name(key), spec[0], spec[1]))
        elif sorted(spec, key=str) == [False, True]:
            made.append(BooleanParameter(ema_name(key)))
        else:
            made.append(CategoricalParameter(ema_name(key), list(spec)))
    model.levers = made
    kinds = {True: ScalarOutcome.MAXIMIZE, False: ScalarOutcome.MINIMIZE, None: ScalarOutcome.INFO}
    model.outcomes = [ScalarOutcome(k, kind=kinds[higher_is_better(k)]) for k in outcomes]
    constants.setdefault("seed", 1)
    model.constants = [Constant(ema_name(k), v) for k, v in constants.items()]
    return model


class BatchModel(GrassrootsModel):
    """:class:`sim.GrassrootsModel` whose final collected step also holds the outcomes, for
    ``mesa.batch_run(BatchModel, parameters={...}, rng=[...])``."""

    def step(self) -> None:
        super().step()
        if not self.running and "total_harm" not in self.datacollector.model_vars:
            ts = self.datacollector.get_model_vars_dataframe().reset_index(drop=True)
            n = len(ts)
            for key, value in summarize(self, ts).items():
                self.datacollector.model_vars[key] = [np.nan] * (n - 1) + [value]
