"""A run as a pure function of (configuration, seed)."""

from __future__ import annotations

import gc
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property, partial

import numpy as np
import pandas as pd

from .eventlog import COLUMNS
from .jit import forget
from .model import GrassrootsModel
from .outcomes import OUTCOMES, need_log_inputs, need_table, summarize
from .params import Config


@dataclass
class Result:
    """What a run produced: one-row outcomes, the time series, the event log (fields and
    the English sentence), the need log and the log of peacetime routine cases (None
    without a peacetime phase). The two logs are built when first read (a sweep that
    keeps only outcomes does not pay for them)."""

    outcomes: pd.DataFrame
    timeseries: pd.DataFrame
    events: pd.DataFrame
    config: Config
    seed: int
    n_residents: int
    n_steps: int
    model: GrassrootsModel | None = None
    logs: dict[str, Callable[[], pd.DataFrame | None]] = field(default_factory=dict, repr=False)

    @cached_property
    def needs(self) -> pd.DataFrame:
        """One row per need: the time of each stage (``sim.outcomes.need_log``)."""
        needs = self.logs.pop("needs")()
        assert needs is not None
        return needs

    @cached_property
    def routine_cases(self) -> pd.DataFrame | None:
        return self.logs.pop("routine_cases")()

    @property
    def outcome_units(self) -> dict[str, str]:
        return {k: o.unit for k, o in OUTCOMES.items()}

    def summary(self) -> dict[str, float]:
        return self.outcomes.iloc[0].to_dict()


def simulate(
    config: Config | None = None,
    seed: int = 1,
    progress: Callable[[int, int], None] | None = None,
    keep_model: bool = False,
) -> Result:
    """Run one scenario to the end with the given seed. With `progress`, the model steps
    one Mesa step at a time and reports ``progress(steps done, steps)`` after each."""
    config = config or Config()
    # The cyclic garbage collector is paused during the run: it finds nothing to collect in
    # the model's arrays and would cost several percent of a short run. The model (Mesa's
    # agents and the model refer to each other) is garbage once the run is over unless it is
    # kept: it is collected at once, while all of it is still in the youngest generation (a
    # cheap collection), so that thousands of runs in one process do not pile up old models.
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        result = _run(config, int(seed), progress, keep_model)
    finally:
        forget()  # the compiled code's references to this run's arrays (sim/jit.py)
        if was_enabled:
            gc.enable()
    if was_enabled and not keep_model:
        gc.collect(0)
    return result


def _run(
    config: Config, seed: int, progress: Callable[[int, int], None] | None, keep_model: bool
) -> Result:
    model = GrassrootsModel(config, rng=seed)
    if progress is None:
        model.run()
    while model.running:
        model.step()
        progress(model.step_count, model.n_steps)  # type: ignore[misc]
    ts = model.timeseries()
    events = pd.DataFrame(
        {
            **{c: [getattr(e, c) for e in model.events] for c in COLUMNS},
            "text": [model.sentence(e) for e in model.events],
        }
    )
    routine = model.routine
    # The logs are built when first read, from what they need, not from the model.
    logs: dict[str, Callable[[], pd.DataFrame | None]] = {
        "needs": partial(need_table, *need_log_inputs(model)),
        "routine_cases": routine.detached().log if routine is not None else _none,
    }
    return Result(
        outcomes=_one_row(summarize(model, ts)),
        timeseries=ts,
        events=events,
        config=config,
        seed=seed,
        n_residents=model.residents.n,
        n_steps=model.step_count,
        model=model if keep_model else None,
        logs=logs,
    )


def _one_row(values: dict[str, float]) -> pd.DataFrame:
    """``pd.DataFrame([values])``: the same table, about ten times faster when every value
    is a float (one float block)."""
    if all(type(v) is float for v in values.values()):
        return pd.DataFrame(np.array([list(values.values())], dtype=float), columns=list(values))
    return pd.DataFrame([values])


def _none() -> None:
    return None


def warm_engine() -> None:
    """Compile the engine, or load it from numba's cache (about a minute the first time on
    a machine, then about a second): a tiny run of every shipped hazard. Sweeps call it
    before starting workers, which then inherit it."""
    simulate(
        Config().with_overrides(
            {
                "population.n_residents": 1000,
                "time.peace_days": 1,
                "time.war_hours": 2.0,
                "fire.enabled": True,
                "epidemic.enabled": True,
            }
        ),
        seed=1,
    )
