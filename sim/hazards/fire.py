"""Fire or accident: a few local incidents at random times and grids, each a burst of
severe needs (fire rescues, medical transports, evacuations) found within minutes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from ..codes import RESCUE
from ..jit import entry
from ..needs import new_need
from ..params import Config, p
from ..registry import HazardSpec, NeedType, need_code, register_hazard
from ..rng import exponential, poisson, random, uniform
from .base import EVACUATION, MEDICAL_TRANSPORT, Hazard

if TYPE_CHECKING:
    from ..view import ModelView


@dataclass(frozen=True)
class FireParams:
    enabled: bool = p(False, "bool", "Fires or accidents occur.", "scenario setting")
    onset_hour: float = p(0.0, "hours", "Onset after wartime begins.", "scenario setting", 0, 1e5)
    duration_hours: float = p(
        24.0,
        "hours",
        "Period over which incidents occur.",
        "assumption: the storm's first day",
        0.1,
        1e4,
        plausible=(6.0, 48.0),
    )
    incidents: int = p(
        3,
        "incidents",
        "Number of incidents.",
        "assumption: a few, from electrical faults in the storm",
        0,
        1000,
        plausible=(1, 10),
    )
    needs_per_incident: float = p(
        6.0,
        "needs",
        "Mean needs per incident.",
        "assumption: a building's households",
        0,
        1000,
        plausible=(3.0, 15.0),
    )
    spread_min: float = p(
        5.0,
        "min",
        "Mean delay of an incident's needs after it breaks out (exponential).",
        "assumption: people are found within minutes",
        0,
        600,
        plausible=(2.0, 15.0),
    )
    rescue_share: float = p(
        0.5,
        "share",
        "Share of an incident's needs that are fire or accident rescues.",
        "assumption: people trapped or hurt on site",
        0,
        1,
        plausible=(0.3, 0.7),
    )
    medical_share: float = p(
        0.2,
        "share",
        "Share that are medical transports (the rest are evacuations).",
        "assumption: smoke inhalation and burns",
        0,
        1,
        plausible=(0.1, 0.3),
    )
    evacuation_severity_low: float = p(
        0.3,
        "0-1",
        "Lowest starting severity of a fire evacuation (uniform between low and high).",
        "assumption: smoke, not flames",
        0,
        1,
        plausible=(0.2, 0.4),
    )
    evacuation_severity_high: float = p(
        0.6,
        "0-1",
        "Highest starting severity of a fire evacuation.",
        "assumption: smoke, not flames",
        0,
        1,
        plausible=(0.5, 0.7),
    )
    severe_severity_low: float = p(
        0.7,
        "0-1",
        "Lowest starting severity of a fire rescue or "
        "medical transport (uniform between low and high).",
        "assumption: life in danger",
        0,
        1,
        plausible=(0.6, 0.8),
    )
    severe_severity_high: float = p(
        1.0,
        "0-1",
        "Highest starting severity of a fire rescue or medical transport.",
        "assumption: life in danger",
        0,
        1,
        plausible=(0.9, 1.0),
    )


class Fire(Hazard):
    def __init__(self, model: ModelView, params: FireParams, seed: np.random.SeedSequence) -> None:
        onset = params.onset_hour * 60
        super().__init__(model, params, seed, onset, onset + params.duration_hours * 60)
        self.times = np.sort(
            self.onset + self.rng.random(params.incidents) * (self.end - self.onset)
        )
        self.grids = self.rng.integers(0, model.township.n_grids, size=params.incidents)
        self.kinds = np.array(
            [need_code(k) for k in ("fire_rescue", "medical_transport", "evacuation")]
        )

    def generate(self, t0: float, t1: float) -> None:
        p = self.p
        shares = np.array(
            [
                p.needs_per_incident,
                p.rescue_share,
                min(p.medical_share, 1.0 - p.rescue_share),
                p.spread_min,
                p.evacuation_severity_low,
                p.evacuation_severity_high,
                p.severe_severity_low,
                p.severe_severity_high,
            ]
        )
        for t, g in zip(self.times.tolist(), self.grids.tolist()):
            if t0 <= t < t1:
                self.add_needs(fire_needs, float(t), g, float(t1), shares, self.kinds, self.code)
                self.model.log(t, "outbreak", self.name, grid=g)

    @staticmethod
    def expected_needs(config: Config) -> float:
        return config.fire.incidents * config.fire.needs_per_incident


@entry
def fire_needs(N, res, S, t, g, t1, shares, kinds, hazard):
    """An incident's needs: a Poisson count, each a fire rescue, a medical transport or an
    evacuation, found an exponential delay after the outbreak (within the step)."""
    k = poisson(S, shares[0])
    if k > len(N.state) - N.meta[0]:
        return k
    for _ in range(k):
        u = random(S)
        kind = kinds[0] if u < shares[1] else (kinds[1] if u < shares[1] + shares[2] else kinds[2])
        if kind == kinds[2]:
            severity = uniform(S, shares[4], shares[5])
        else:
            severity = uniform(S, shares[6], shares[7])
        created = max(t, min(t + exponential(S, shares[3]), t1 - 1e-6))
        new_need(N, res, S, created, g, kind, hazard, severity, -1)
    return 0


register_hazard(
    HazardSpec(
        "fire",
        FireParams,
        Fire,
        need_types=(
            EVACUATION,
            MEDICAL_TRANSPORT,
            NeedType(
                "fire_rescue",
                RESCUE,
                {"en": "fire rescue", "zh": "火灾救援"},
                "needs.fire_rescue_effort_min",
                "needs.fire_rescue_line",
                life_threatening=True,
            ),
        ),
        label={"en": "fire", "zh": "火灾"},
        colour="#E69F00",
        events={"outbreak": {"en": "fire breaks out in grid {grid}", "zh": "网格 {grid} 发生火灾"}},
    )
)
