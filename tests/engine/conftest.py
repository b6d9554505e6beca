"""A wartime model with no hazard, ready for needs placed by hand."""

from __future__ import annotations

import numpy as np

from sim import Config, GrassrootsModel
from sim.engine.state import CallSources, make_loop

QUIET = {
    "time.peace_days": 0,
    "time.war_hours": 24.0,
    "flood.enabled": False,
    "population.n_residents": 2000,
    "population.residents_per_grid": 1000,
    "population.grids_per_community": 2,
}


def war_model(seed: int = 1, **over) -> GrassrootsModel:
    """A model at the start of wartime (no hazard): every responder active at minute 0."""
    m = GrassrootsModel(Config().with_overrides({**QUIET, **over}), rng=seed)
    m.roster.active_from[m.roster.on_roster] = 0.0
    return m


def bare_loop(handlers: list[int], delay: float = 5.0, opens: float = -np.inf):
    """A loop with one office per entry of `handlers` (and no grids or communities)."""
    n = len(handlers)
    return make_loop(
        0,
        1,
        handlers,
        [delay] * n,
        [opens] * n,
        dict.fromkeys(range(7), delay),
        ((0,), (0,)),
        np.zeros((1, 1), np.int64),
    )


def call_loop(
    handlers: list[int],
    *,
    delay: float = 10.0,
    handling: float = 6.0,
    patience: float = 5.0,
    rate: float = 0.0,
    opens: float = -np.inf,
    seed: int = 7,
):
    """A loop with one office per entry of `handlers` and one source of calls to office 0
    (`rate` calls a minute; 0: the test places calls itself through ``Loop.call_next``)."""
    n = len(handlers)
    streams = np.random.SeedSequence(seed).generate_state(4, np.uint64).reshape(1, 4)
    calls = CallSources(
        np.array([rate]),
        np.zeros((1, 2), np.int64),
        np.full(1, np.inf),
        streams,
        handling,
        patience,
        0.0,
        3,
    )
    q = make_loop(
        0,
        1,
        handlers,
        [delay] * n,
        [opens] * n,
        dict.fromkeys(range(7), delay),
        ((0,), (0,)),
        np.zeros((1, 1), np.int64),
        calls,
    )
    q.row_source[0] = 0  # the source feeds office 0 even at rate 0
    return q
