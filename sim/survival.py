"""Survival against the time to rescue: the expected deaths of each need.

The people of a life-threatening need (``NeedType.life_threatening``: rescue, fire rescue,
medical transport) survive with probability S(t), t the hours from the need's onset to the
first responder's arrival; a need never reached counts at the end of the emergency (its
people are not dropped, and a policy cannot look safer by reaching fewer needs). S is the
survival of trapped people against the time until they were freed after the Tangshan
earthquake, 1976 (CRED 1989; docs/field_data.md F18), given at three knots,
``response.survival_30min``, ``survival_24h`` and ``survival_48h``. Between them the
cumulative hazard H = -ln S is linear, from H(0) = 0 (a constant death rate within each
segment: S passes through every knot and never rises); beyond the last knot the last
segment's rate continues. A Weibull curve cannot pass through the three knots (the shape
fitted to 0.5-24 h is about 0.8, to 24-48 h about 2.2), hence the piecewise curve.

Expected deaths of a life-threatening need: persons x (1 - S(t)). Other needs keep the
casualty proxy of their harm: persons x (1 - exp(-lethality x harm / persons)), at least one
person. Both from ``sim/detmath.py``: the same bits on every machine.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from .detmath import exp, expm1, log, py
from .jit import call, entry, jit
from .registry import NEED_TYPES

if TYPE_CHECKING:
    from .needs import NeedTable
    from .params import ResponseParams

KNOT_HOURS = (0.5, 24.0, 48.0)


def knots(response: ResponseParams) -> tuple[np.ndarray, np.ndarray]:
    """The curve's knots: hours, and the cumulative hazard at each (never falling, so that
    survival never rises even where the parameters say otherwise)."""
    s = (response.survival_30min, response.survival_24h, response.survival_48h)
    hazard = np.maximum.accumulate(np.array([-py(log)(float(x)) for x in s]))
    return np.array(KNOT_HOURS), hazard


@entry
def cumulative_hazard(hours, knot_hours, knot_hazard):
    """H(hours) = -ln S(hours): linear between (0, 0) and the knots, the last segment's
    rate beyond them."""
    if not hours > 0.0:
        return 0.0
    t0, h0 = 0.0, 0.0
    n = len(knot_hours)
    for k in range(n):
        if hours <= knot_hours[k]:
            return h0 + (knot_hazard[k] - h0) * (hours - t0) / (knot_hours[k] - t0)
        t0, h0 = knot_hours[k], knot_hazard[k]
    if n > 1:
        rate = (knot_hazard[n - 1] - knot_hazard[n - 2]) / (knot_hours[n - 1] - knot_hours[n - 2])
    else:
        rate = knot_hazard[0] / knot_hours[0]
    return h0 + rate * (hours - t0)


@entry
def survival(hours, knot_hours, knot_hazard):
    """S(hours): the share who survive when reached this many hours after the onset."""
    return exp(-cumulative_hazard(hours, knot_hours, knot_hazard))


@jit
def need_death(created, reached, end, persons, life, harm, lethality, knot_hours, knot_hazard):
    """The expected deaths of one need (minutes; `end`: a need not reached counts then)."""
    people = max(persons, 1.0)
    if life:
        t = end if math.isnan(reached) else reached
        h = cumulative_hazard((t - created) / 60.0, knot_hours, knot_hazard)
        return -people * expm1(-h)
    return -people * expm1(-lethality * harm / people)


@entry
def expected_deaths(
    created, reached, end, persons, life, harm, lethality, knot_hours, knot_hazard, out
):
    """out[i]: the expected deaths of need i (minutes; `end`: when the emergency ended)."""
    for i in range(len(out)):
        out[i] = need_death(
            created[i],
            reached[i],
            end,
            float(persons[i]),
            life[i],
            harm[i],
            lethality,
            knot_hours,
            knot_hazard,
        )


@entry
def tally(
    created,
    reached,
    reported,
    persons,
    kind,
    harm,
    n,
    now,
    life,
    lethality,
    knot_hours,
    knot_hazard,
    open_,
    pending,
    pending_deaths,
    sums,
    counts,
):
    """One step of ``DeathTally``: needs created since the last call (up to n) join the
    open ones; an open need reached leaves them with its expected deaths fixed (counted as
    reported at once or when its report arrives); the open ones count as reached `now`.
    sums: fixed, fixed and reported, open, open and reported; counts: needs seen, open,
    pending a report."""
    for i in range(counts[0], n):
        open_[counts[1]] = i
        counts[1] += 1
    counts[0] = n
    kept, open_all, open_reported = 0, 0.0, 0.0
    for j in range(counts[1]):
        i = open_[j]
        d = need_death(
            created[i],
            reached[i],
            now,
            float(persons[i]),
            life[kind[i]],
            harm[i],
            lethality,
            knot_hours,
            knot_hazard,
        )
        if math.isnan(reached[i]):
            open_[kept] = i
            kept += 1
            open_all += d
            if math.isfinite(reported[i]):
                open_reported += d
        else:
            sums[0] += d
            if math.isfinite(reported[i]):
                sums[1] += d
            else:
                pending[counts[2]] = i
                pending_deaths[counts[2]] = d
                counts[2] += 1
    counts[1] = kept
    kept = 0
    for j in range(counts[2]):
        if math.isfinite(reported[pending[j]]):
            sums[1] += pending_deaths[j]
        else:
            pending[kept] = pending[j]
            pending_deaths[kept] = pending_deaths[j]
            kept += 1
    counts[2] = kept
    sums[2] = open_all
    sums[3] = open_reported


def life_table() -> np.ndarray:
    """Whether each need type (by its code) is life-threatening."""
    return np.array([t.life_threatening for t in NEED_TYPES], dtype=np.bool_)


def life_threatening(kind: np.ndarray) -> np.ndarray:
    """Whether each need (by its type code) is life-threatening."""
    return life_table()[kind]


def need_deaths(
    created: np.ndarray,
    reached: np.ndarray,
    end: float,
    persons: np.ndarray,
    kind: np.ndarray,
    harm: np.ndarray,
    response: ResponseParams,
) -> np.ndarray:
    """The expected deaths of each need (see the module's docstring)."""
    hours, hazard = knots(response)
    out = np.zeros(len(created))
    call(
        expected_deaths,
        np.ascontiguousarray(created, dtype=float),
        np.ascontiguousarray(reached, dtype=float),
        float(end),
        np.ascontiguousarray(persons, dtype=float),
        life_threatening(kind),
        np.ascontiguousarray(harm, dtype=float),
        float(response.lethality_per_severe_hour),
        hours,
        hazard,
        out,
    )
    return out


class DeathTally:
    """Expected deaths so far, step by step (the time series' ``casualties`` and
    ``casualties_reported``), at a cost in the needs still open rather than in all needs: a
    need's expected deaths are fixed once it is reached (its time to rescue and its harm
    stop changing), so it leaves the open ones then, and counts as reported once its report
    reaches the deciding unit (``tally``)."""

    def __init__(self, response: ResponseParams) -> None:
        self.hours, self.hazard = knots(response)
        self.lethality = float(response.lethality_per_severe_hour)
        self.life = life_table()
        self.open = self.pending = np.zeros(0, np.int64)
        self.pending_deaths = np.zeros(0)
        self.sums = np.zeros(4)
        self.counts = np.zeros(3, np.int64)

    def at(self, nd: NeedTable, now: float) -> tuple[float, float]:
        """(expected deaths in all needs, in needs reported) at minute `now`; a need not
        yet reached counts as reached now."""
        if len(self.open) < nd.n:  # room for every need (the need table may have grown)
            self.open, self.pending, self.pending_deaths = (
                _grown(a, len(nd.created)) for a in (self.open, self.pending, self.pending_deaths)
            )
        call(
            tally,
            nd.created,
            nd.reached,
            nd.reported,
            nd.persons,
            nd.kind,
            nd.harm,
            nd.n,
            float(now),
            self.life,
            self.lethality,
            self.hours,
            self.hazard,
            self.open,
            self.pending,
            self.pending_deaths,
            self.sums,
            self.counts,
        )
        s = self.sums
        return s[0] + s[2], s[1] + s[3]


def _grown(a: np.ndarray, size: int) -> np.ndarray:
    out = np.zeros(size, a.dtype)
    out[: len(a)] = a
    return out
