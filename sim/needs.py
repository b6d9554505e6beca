"""Needs: what an emergency asks of the organization, kept as growable arrays.

A need has a grid, type, required skill, severity, effort (person-minutes), the residents it
concerns, and the times of each stage: created, detected, reported (reached the unit that
decides), dispatched, reached (first responder arrives) and resolved. Each need is in exactly
one state. While unmet (until a responder arrives) its severity grows and harm accrues.
"""

from __future__ import annotations

import numpy as np

# States
CREATED, DETECTED, REPORTED, DISPATCHED, SERVING, RESOLVED = range(6)
STATE_NAMES = ("created", "detected", "reported", "dispatched", "serving", "resolved")

# Skills
GENERAL, RESCUE, MEDICAL, LOGISTICS = range(4)
SKILL_NAMES = ("general", "rescue", "medical", "logistics")

# Need types: name -> (required skill, mean effort in person-minutes, owning line in the
# siloed structure: 0 party building, 1 comprehensive management, 2 civil affairs,
# 3 urban management, 4 letters and visits, 5 emergency management). Efforts: assumption.
NEED_TYPES = {
    "evacuation": (GENERAL, 90.0, 5),
    "rescue": (RESCUE, 180.0, 5),
    "supply": (LOGISTICS, 45.0, 2),
    "testing": (MEDICAL, 15.0, 1),
    "medical_transport": (MEDICAL, 60.0, 1),
    "fire_rescue": (RESCUE, 90.0, 3),
    # Peacetime routine cases (sim/routine.py): effort routine.effort_min, line drawn per case.
    "routine": (GENERAL, 60.0, 1),
}
TYPE_NAMES = tuple(NEED_TYPES)
TYPE_SKILL = np.array([v[0] for v in NEED_TYPES.values()])
TYPE_EFFORT = np.array([v[1] for v in NEED_TYPES.values()])
TYPE_LINE = np.array([v[2] for v in NEED_TYPES.values()])
HAZARDS = ("flood", "fire", "epidemic")

_FLOAT = ("created", "detected", "reported", "dispatched", "reached", "resolved", "severity0",
          "persons", "effort", "harm", "casualty", "weight")
_INT = ("grid", "kind", "hazard", "resident", "state", "n_dispatches", "line", "channel")
CHANNELS = ("resident", "neighbour", "grid_manager")


class Needs:
    """All needs of a run as columns; index = need id."""

    def __init__(self, capacity: int = 256):
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
        ids = np.arange(self.n, self.n + k)
        self.created[ids] = created
        self.grid[ids] = grid
        self.kind[ids] = kind
        self.hazard[ids] = hazard
        self.resident[ids] = resident
        self.vulnerable[ids] = vulnerable
        self.persons[ids] = persons
        self.severity0[ids] = severity0
        self.effort[ids] = effort
        self.weight[ids] = harm_weight
        self.line[ids] = TYPE_LINE[kind]
        self.state[ids] = CREATED
        self.n_dispatches[ids] = 0
        self.harm[ids] = 0.0
        self.casualty[ids] = 0.0
        self.n += k
        return ids


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
