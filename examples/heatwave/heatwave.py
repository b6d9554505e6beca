"""A heat wave: a hazard defined outside the package, as a plugin (CONTRIBUTING.md).

During a heat wave elderly residents who live alone are the ones at risk: a resident
found distressed or not answering needs a welfare check (a visit, water, a cool room, a
call to the clinic). Each elderly resident living alone needs one at a rate that is
highest in the afternoon. Everything the rest of the project needs to know about it is
registered below: its parameter section ``[heatwave]``, its need type, its labels and
colour, and an outcome of its own.

Run it with ``grassroots run examples/heatwave/heatwave.toml`` (the scenario names this
file under ``plugins``), or from Python after importing this file.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from sim.codes import GENERAL
from sim.hazards import Hazard
from sim.jit import plugin
from sim.needs import new_need
from sim.params import Config, p
from sim.registry import HazardSpec, NeedType, Outcome, need_code, register_hazard
from sim.rng import random, uniform


@dataclass(frozen=True)
class HeatwaveParams:
    enabled: bool = p(False, "bool", "A heat wave occurs.", "scenario setting")
    onset_hour: float = p(0.0, "hours", "Onset after wartime begins.", "scenario setting", 0, 1e5)
    duration_hours: float = p(
        72.0,
        "hours",
        "Length of the heat wave.",
        "assumption: heat warnings in eastern China typically last three to five days",
        1,
        1e4,
        plausible=(48.0, 120.0),
    )
    checks_per_day: float = p(
        0.25,
        "1/day",
        "Rate at which an elderly resident living "
        "alone needs a welfare check during the heat wave (daily "
        "mean).",
        "assumption: about one in four each day of a severe heat wave",
        0,
        24,
        plausible=(0.1, 0.6),
    )
    afternoon_share: float = p(
        0.5,
        "share",
        "Share of the day's checks needed between noon and 18:00, the hottest hours.",
        "assumption: the afternoon's six hours are the hottest and the busiest for heat illness",
        0.25,
        1,
        plausible=(0.3, 0.7),
    )
    severity_low: float = p(
        0.3,
        "0-1",
        "Lowest starting severity of a welfare check (uniform between low and high).",
        "assumption: dehydration before heat stroke",
        0,
        1,
        plausible=(0.2, 0.4),
    )
    severity_high: float = p(
        0.7,
        "0-1",
        "Highest starting severity of a welfare check.",
        "assumption: heat exhaustion short of heat stroke",
        0,
        1,
        plausible=(0.5, 0.9),
    )
    welfare_check_effort_min: float = p(
        40.0,
        "person-min",
        "Mean effort of a welfare check.",
        "assumption: a visit with water and a call",
        1,
        1440,
        plausible=(20.0, 90.0),
    )
    welfare_check_line: int = p(
        2, "line", "Line that owns welfare checks (siloed).", "seed article (civil affairs)", 0, 11
    )
    checked_within_h: float = p(
        2.0,
        "hours",
        "Time within which a welfare check counts as in time (the outcome heat_checks_in_time).",
        "assumption: heat exhaustion turns to heat stroke within hours",
        0.1,
        48,
        plausible=(1.0, 4.0),
    )


class Heatwave(Hazard):
    def __init__(self, model: Any, params: HeatwaveParams, seed: np.random.SeedSequence) -> None:
        onset = params.onset_hour * 60
        super().__init__(model, params, seed, onset, onset + params.duration_hours * 60)
        res = model.residents
        self.alone = np.flatnonzero(res.elderly & (res.household_size[res.household] == 1))
        self.flags = np.zeros(len(self.alone), dtype=np.int8)
        self.kind = need_code("welfare_check")

    def generate(self, t0: float, t1: float) -> None:
        p, day = self.p, 1440.0
        hour = (t0 + self.model.peace_steps * day) % day / 60.0
        afternoon = 12.0 <= hour < 18.0
        share = p.afternoon_share / 6.0 if afternoon else (1.0 - p.afternoon_share) / 18.0
        chance = -math.expm1(-p.checks_per_day * share * (t1 - t0) / 60.0)  # share: per hour
        self.add_needs(
            heat_needs,
            self.alone,
            self.flags,
            chance,
            float(t0),
            float(t1),
            p.severity_low,
            p.severity_high,
            self.kind,
            self.code,
        )

    def outcomes(self) -> dict[str, float]:
        nd = self.model.needs
        n = nd.n
        mine = nd.kind[:n] == self.kind
        if not mine.any():
            return {"heat_checks_in_time": math.nan}
        late = nd.reached[:n][mine] - nd.created[:n][mine]
        return {"heat_checks_in_time": float(np.mean(late <= self.p.checked_within_h * 60))}

    @staticmethod
    def expected_needs(config: Config) -> float:
        hw, pop = config.heatwave, config.population
        alone = pop.n_residents * pop.share_60plus * 0.1  # an upper side of those alone
        return alone * hw.checks_per_day * hw.duration_hours / 24.0


@plugin
def heat_needs(N, res, S, alone, flags, chance, t0, t1, low, high, kind, hazard):
    """Each elderly resident living alone needs a check in [t0, t1) with `chance`."""
    k = 0
    for j in range(len(alone)):
        flags[j] = random(S) < chance
        k += flags[j]
    if k > len(N.state) - N.meta[0]:
        return k
    for j in range(len(alone)):
        if flags[j]:
            r = alone[j]
            new_need(
                N,
                res,
                S,
                t0 + random(S) * (t1 - t0),
                res.grid[r],
                kind,
                hazard,
                uniform(S, low, high),
                r,
            )
    return 0


register_hazard(
    HazardSpec(
        "heatwave",
        HeatwaveParams,
        Heatwave,
        need_types=(
            NeedType(
                "welfare_check",
                GENERAL,
                {"en": "welfare check", "zh": "上门探视"},
                "heatwave.welfare_check_effort_min",
                "heatwave.welfare_check_line",
            ),
        ),
        label={"en": "heat wave", "zh": "高温热浪"},
        colour="#D55E00",
        outcomes=(
            Outcome(
                "heat_checks_in_time",
                "share",
                "Welfare checks of elderly residents "
                "living alone reached within the heat wave's target time",
                True,
            ),
        ),
    )
)
