"""Needs: what an emergency (or a routine day) asks of the organization, as growable arrays.

A need has a grid, type, severity, effort (person-minutes), the household it concerns, and
the times of each stage: created, detected, reported (reached the unit that decides),
dispatched, reached (first responder arrives) and resolved; who found it (``channel``) and
who reached it first (``first_by``). Each need is in exactly one
state (``sim.codes.NeedState``). While unmet its severity grows and harm accrues.

``NeedTable`` is both what Python reads and what the compiled engine works on. Besides the
columns it keeps two lists the engine passes each step instead of the whole table: the needs
not yet found (``undetected``) and those not yet reached (``unreached``).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from .codes import CREATED
from .jit import entry, jit, table
from .rng import exponential, index, uniform

N_COUNT, N_UNDETECTED, N_UNREACHED = range(3)  # NeedTable.meta
EFFORT_SPREAD, EXPONENTIAL_EFFORT, VULNERABLE_FACTOR = range(3)  # NeedTable.settings

_FLOAT = (
    "created",
    "detected",
    "reported",
    "dispatched",
    "reached",
    "resolved",
    "severity0",
    "persons",
    "effort",
    "weight",
    "harm",
    "news_at",
)
_INT = (
    "state",
    "grid",
    "kind",
    "hazard",
    "resident",
    "channel",
    "first_by",
    "n_dispatches",
    "line",
    "resends",
    "seen_next",
    "seen_prev",
    "undetected",
    "unreached",
    "levels_known",
    "levels_withheld",
)


@table
class NeedTable(NamedTuple):
    """Every need of a run (or of the routine cases) as columns; index = need id."""

    meta: np.ndarray  # int64: count, lengths of the undetected and unreached lists
    by_state: np.ndarray  # int64: needs in each state
    settings: np.ndarray  # float: effort spread, exponential effort, vulnerable harm factor
    type_skill: np.ndarray  # per need type (sim/registry.py)
    type_effort: np.ndarray
    type_line: np.ndarray
    type_escort: np.ndarray
    type_isolates: np.ndarray
    created: np.ndarray
    detected: np.ndarray
    reported: np.ndarray
    dispatched: np.ndarray
    reached: np.ndarray
    resolved: np.ndarray
    severity0: np.ndarray
    persons: np.ndarray
    effort: np.ndarray
    weight: np.ndarray
    harm: np.ndarray
    news_at: np.ndarray  # when the grid manager hears of a local response
    state: np.ndarray
    grid: np.ndarray
    kind: np.ndarray
    hazard: np.ndarray
    resident: np.ndarray
    channel: np.ndarray
    first_by: np.ndarray  # who reached it first (sim.codes.ARRIVALS; -1: no one yet)
    n_dispatches: np.ndarray
    line: np.ndarray  # owning line (siloed structure; -1: none)
    resends: np.ndarray  # of its report, after losses
    seen_next: np.ndarray  # the community's list of found, unreached needs (engine)
    seen_prev: np.ndarray
    undetected: np.ndarray  # ids, N_UNDETECTED of them
    unreached: np.ndarray  # ids, N_UNREACHED of them
    vulnerable: np.ndarray
    levels_known: np.ndarray  # offices its report reached (bit sim.codes.Office)
    levels_withheld: np.ndarray  # offices that held its report back (same bits)

    @property
    def n(self) -> int:
        return int(self.meta[N_COUNT])

    def room(self) -> int:
        return len(self.state) - self.n

    def grown(self, extra: int) -> NeedTable:
        """A copy with room for `extra` more needs (capacity doubled as needed)."""
        cap = len(self.state)
        while cap - self.n < extra:
            cap *= 2
        if cap == len(self.state):
            return self
        new = {}
        for name, a in self._asdict().items():
            if name in _FLOAT or name in _INT or name == "vulnerable":
                b = np.full(cap, np.nan if a.dtype.kind == "f" else 0, dtype=a.dtype)
                b[: len(a)] = a
                a = b
            new[name] = a
        return NeedTable(**new)


def new_table(
    types: dict[str, np.ndarray],
    effort_spread: float,
    exponential_effort: bool,
    vulnerable_factor: float,
    capacity: int = 256,
) -> NeedTable:
    """An empty table for the need types of ``sim.registry.type_arrays``."""
    cols = {name: np.full(capacity, np.nan) for name in _FLOAT}
    cols.update({name: np.zeros(capacity, dtype=np.int64) for name in _INT})
    return NeedTable(
        meta=np.zeros(3, dtype=np.int64),
        by_state=np.zeros(6, dtype=np.int64),
        settings=np.array([effort_spread, float(exponential_effort), vulnerable_factor]),
        type_skill=types["skill"],
        type_effort=types["effort"],
        type_line=types["line"],
        type_escort=types["escort"],
        type_isolates=types["isolates"],
        vulnerable=np.zeros(capacity, np.bool_),
        **cols,
    )


@jit
def add_need(
    N, created, grid, kind, hazard, resident, vulnerable, persons, severity0, effort, weight, line
):
    """Append a need (the caller has made room: ``NeedTable.room``); its id."""
    i = N.meta[N_COUNT]
    N.meta[N_COUNT] = i + 1
    N.created[i] = created
    N.grid[i] = grid
    N.kind[i] = kind
    N.hazard[i] = hazard
    N.resident[i] = resident
    N.vulnerable[i] = vulnerable
    N.persons[i] = persons
    N.severity0[i] = severity0
    N.effort[i] = effort
    N.weight[i] = weight
    N.line[i] = N.type_line[kind] if line == -2 else line
    N.state[i] = CREATED
    N.by_state[CREATED] += 1
    N.n_dispatches[i] = 0
    N.resends[i] = 0
    N.levels_known[i] = 0
    N.levels_withheld[i] = 0
    N.harm[i] = 0.0
    N.detected[i] = np.nan  # the stages' times start unknown
    N.reported[i] = np.nan
    N.dispatched[i] = np.nan
    N.reached[i] = np.nan
    N.resolved[i] = np.nan
    N.news_at[i] = np.nan
    N.channel[i] = -1
    N.first_by[i] = -1
    N.undetected[N.meta[N_UNDETECTED]] = i
    N.meta[N_UNDETECTED] += 1
    N.unreached[N.meta[N_UNREACHED]] = i
    N.meta[N_UNREACHED] += 1
    return i


@jit
def new_need(N, res, s, created, grid, kind, hazard, severity0, resident):
    """A hazard's need: the affected resident drawn in the grid (unless given, >= 0), the
    effort around the type's mean, the harm weight from the household and vulnerability."""
    if resident < 0:
        resident = res.grid_start[grid] + index(s, res.grid_size[grid])
    if N.settings[EXPONENTIAL_EFFORT] != 0.0:
        factor = exponential(s, 1.0)
    else:
        spread = N.settings[EFFORT_SPREAD]
        factor = uniform(s, 1.0 - spread, 1.0 + spread)
    vulnerable = res.vulnerable[resident]
    persons = float(res.household_size[res.household[resident]])
    weight = persons * (N.settings[VULNERABLE_FACTOR] if vulnerable else 1.0)
    return add_need(
        N,
        created,
        grid,
        kind,
        hazard,
        resident,
        vulnerable,
        persons,
        severity0,
        N.type_effort[kind] * factor,
        weight,
        -2,
    )


@entry
def severity_integral(sev0, rate, a, b):
    """Integral over hours [a, b] since creation of min(1, sev0 + rate * u) du."""
    a = max(a, 0.0)
    b = max(b, a)
    if rate <= 0:
        return min(sev0, 1.0) * (b - a)
    sat = max((1.0 - sev0) / rate, 0.0)  # hours until fully severe
    lin_b, lin_a = min(b, sat), min(a, sat)
    linear = sev0 * (lin_b - lin_a) + 0.5 * rate * (lin_b * lin_b - lin_a * lin_a)
    return linear + max(b - max(a, sat), 0.0)


@jit
def set_state(N, i, state):
    """Move need i to `state`, keeping the counts by state."""
    N.by_state[N.state[i]] -= 1
    N.by_state[state] += 1
    N.state[i] = state
