"""Needs: what an emergency asks of the organization, kept as growable arrays.

A need has a grid, type, required skill, severity, effort (person-minutes), the residents it
concerns, and the times of each stage: created, detected, reported (reached the unit that
decides), dispatched, reached (first responder arrives) and resolved. Each need is in exactly
one state. While unmet (until a responder arrives) its severity grows and harm accrues.
"""

from __future__ import annotations

from enum import IntEnum

import numpy as np

from .params import NeedParams


class NeedState(IntEnum):
    """Where a need stands; array code in ``Needs.state``."""

    CREATED = 0
    DETECTED = 1
    REPORTED = 2
    DISPATCHED = 3
    SERVING = 4
    RESOLVED = 5


class Skill(IntEnum):
    """A responder's specialty, and what a need requires."""

    GENERAL = 0
    RESCUE = 1
    MEDICAL = 2
    LOGISTICS = 3


class HazardKind(IntEnum):
    """Which hazard created a need; array code in ``Needs.hazard``."""

    FLOOD = 0
    FIRE = 1
    EPIDEMIC = 2


class Channel(IntEnum):
    """Who found a need; array code in ``Needs.channel``."""

    RESIDENT = 0
    NEIGHBOUR = 1
    GRID_MANAGER = 2


# Short names for the codes, as the rest of the model uses them: plain ints, since a numpy
# scalar compares with an int more than ten times faster than with an IntEnum member.
CREATED, DETECTED, REPORTED, DISPATCHED, SERVING, RESOLVED = map(int, NeedState)
GENERAL, RESCUE, MEDICAL, LOGISTICS = map(int, Skill)
STATE_NAMES = tuple(s.name.lower() for s in NeedState)
HAZARDS = tuple(h.name.lower() for h in HazardKind)
CHANNELS = tuple(c.name.lower() for c in Channel)

# Need types and the skill each requires; each type's mean effort and owning line (siloed
# structure) are parameters: ``NeedParams.<type>_effort_min`` and ``<type>_line``.
NEED_TYPES = {
    "evacuation": GENERAL,
    "rescue": RESCUE,
    "supply": LOGISTICS,
    "testing": MEDICAL,
    "medical_transport": MEDICAL,
    "fire_rescue": RESCUE,
    # Peacetime routine cases (sim/routine.py): their effort (routine.effort_min) and line
    # (drawn per case) are set case by case, not from NeedParams.
    "routine": GENERAL,
}
TYPE_NAMES = tuple(NEED_TYPES)
TYPE_SKILL = np.array([int(v) for v in NEED_TYPES.values()])
SKILL_OF_TYPE = TYPE_SKILL.tolist()  # per-need look-ups: a list is faster than an array


PER_CASE_TYPES = ("routine",)  # effort and line set per case by their generator


def type_efforts(p: NeedParams) -> np.ndarray:
    """Mean effort (person-minutes) of each need type, indexed like ``TYPE_NAMES`` (NaN for
    the types whose effort is set per case)."""
    return np.array([np.nan if name in PER_CASE_TYPES else getattr(p, f"{name}_effort_min")
                     for name in TYPE_NAMES])


def type_lines(p: NeedParams) -> np.ndarray:
    """Owning line (siloed structure) of each need type, indexed like ``TYPE_NAMES`` (-1 for
    the types whose line is set per case)."""
    return np.array([-1 if name in PER_CASE_TYPES else getattr(p, f"{name}_line")
                     for name in TYPE_NAMES], dtype=np.int64)


_FLOAT = ("created", "detected", "reported", "dispatched", "reached", "resolved", "severity0",
          "persons", "effort", "harm", "weight")
_INT = ("grid", "kind", "hazard", "resident", "state", "n_dispatches", "line", "channel")


class Needs:
    """All needs of a run as columns; index = need id.

    ``type_line`` gives each need type's owning line (siloed structure), see ``type_lines``.
    """

    def __init__(self, type_line: np.ndarray, capacity: int = 256):
        self.type_line = np.asarray(type_line, dtype=np.int64)
        self.n = 0
        self._cap = capacity
        for name in _FLOAT:
            setattr(self, name, np.full(capacity, np.nan))
        for name in _INT:
            setattr(self, name, np.full(capacity, -1, dtype=np.int64))
        self.vulnerable = np.zeros(capacity, dtype=bool)

    def _grow(self, extra: int) -> None:
        cap = self._cap
        while cap < self.n + extra:
            cap *= 2
        if cap == self._cap:
            return
        for name in _FLOAT + _INT + ("vulnerable",):
            old = getattr(self, name)
            fill = np.nan if old.dtype.kind == "f" else (False if old.dtype == bool else -1)
            new = np.full(cap, fill, dtype=old.dtype)
            new[: self.n] = old[: self.n]
            setattr(self, name, new)
        self._cap = cap

    def add(self, *, created: np.ndarray, grid: np.ndarray, kind: np.ndarray, hazard: int,
            resident: np.ndarray, vulnerable: np.ndarray, persons: np.ndarray,
            severity0: np.ndarray, effort: np.ndarray, harm_weight: np.ndarray) -> np.ndarray:
        k = len(created)
        self._grow(k)
        new = slice(self.n, self.n + k)
        self.created[new] = created
        self.grid[new] = grid
        self.kind[new] = kind
        self.hazard[new] = hazard
        self.resident[new] = resident
        self.vulnerable[new] = vulnerable
        self.persons[new] = persons
        self.severity0[new] = severity0
        self.effort[new] = effort
        self.weight[new] = harm_weight
        self.line[new] = self.type_line[kind]
        self.state[new] = CREATED
        self.n_dispatches[new] = 0
        self.harm[new] = 0.0
        self.n += k
        return np.arange(new.start, new.stop)


def severity_integral(sev0: np.ndarray, rate: float, a: np.ndarray, b: np.ndarray
                      ) -> np.ndarray:
    """Integral over hours [a, b] since creation of min(1, sev0 + rate * u) du."""
    a = np.maximum(a, 0.0)
    b = np.maximum(b, a)
    if rate <= 0:
        return np.minimum(sev0, 1.0) * (b - a)
    with np.errstate(over="ignore"):
        sat = np.maximum((1.0 - sev0) / rate, 0.0)  # hours until fully severe
    lin_b = np.minimum(b, sat)
    lin_a = np.minimum(a, sat)
    linear = sev0 * (lin_b - lin_a) + 0.5 * rate * (lin_b**2 - lin_a**2)
    flat = np.maximum(b - np.maximum(a, sat), 0.0)
    return linear + flat
