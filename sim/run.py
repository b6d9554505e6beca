"""A run as a pure function of (configuration, seed)."""

from __future__ import annotations

import gc
from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd

from .engine import DEFAULT_ENGINE
from .model import GrassrootsModel
from .outcomes import OUTCOMES, need_log, summarize
from .params import Config


@dataclass
class Result:
    """What a run produced: one-row outcomes, the time series, the need log and the log of
    peacetime routine cases (None without a peacetime phase)."""

    outcomes: pd.DataFrame
    timeseries: pd.DataFrame
    needs: pd.DataFrame
    events: pd.DataFrame
    config: Config
    seed: int
    n_residents: int
    n_steps: int
    model: GrassrootsModel | None = None
    routine_cases: pd.DataFrame | None = None

    @property
    def outcome_units(self) -> dict[str, str]:
        return {k: o.unit for k, o in OUTCOMES.items()}

    def summary(self) -> dict[str, float]:
        return self.outcomes.iloc[0].to_dict()


def simulate(config: Config | None = None, seed: int = 1,
             progress: Callable[[int, int], None] | None = None,
             keep_model: bool = False, engine: str = DEFAULT_ENGINE) -> Result:
    """Run one scenario to the end with the given seed (`engine`: see ``sim/engine.py``;
    both give the same result)."""
    config = config or Config()
    # The cyclic garbage collector is paused during the run: a run makes hundreds of
    # thousands of short-lived tuples (events), which trigger collections that find nothing
    # (about 5% of a run's time); reference counting still frees them at once.
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        model = GrassrootsModel(config, rng=int(seed), engine=engine)
        while model.running:
            model.step()
            if progress is not None:
                progress(model.step_count, model.n_steps)
    finally:
        if was_enabled:
            gc.enable()
    ts = model.datacollector.get_model_vars_dataframe().reset_index(names="step")
    ts["phase"] = ts["phase_code"].map({0: "peace", 1: "war"})
    outcomes = summarize(model, ts)
    events = pd.DataFrame(model.events, columns=["minute", "text"])
    return Result(outcomes=pd.DataFrame([outcomes]), timeseries=ts, needs=need_log(model),
                  events=events, config=config, seed=int(seed),
                  n_residents=model.residents.n, n_steps=model.step_count,
                  model=model if keep_model else None,
                  routine_cases=model.routine.log() if model.routine is not None else None)


def warm_engine() -> None:
    """Compile the compiled engine's kernel, or load it from numba's cache (about a minute
    the first time on a machine, then about a second): a tiny run that reaches every entry
    point. Sweeps call it before starting workers, which then inherit it."""
    simulate(Config().with_overrides({"population.n_residents": 1000, "time.peace_days": 1,
                                      "time.war_hours": 1.0}), seed=1, engine="compiled")
