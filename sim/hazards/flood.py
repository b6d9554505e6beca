"""Flood or typhoon: spatially correlated needs (low-lying grids), rising to a peak (by
default a third of the way through) and receding; evacuation, rescue and supply needs;
slower roads at onset and cut roads at the peak, restored when the water recedes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from ..codes import RESCUE
from ..engine.state import Sum
from ..jit import entry
from ..needs import new_need
from ..params import Config, p
from ..registry import HazardSpec, NeedType, Outcome, need_code, register_hazard
from ..rng import poisson, random, uniform
from .base import EVACUATION, SUPPLY, Hazard

if TYPE_CHECKING:
    from ..view import ModelView


@dataclass(frozen=True)
class FloodParams:
    enabled: bool = p(True, "bool", "A flood or typhoon occurs.", "scenario setting")
    onset_hour: float = p(0.0, "hours", "Onset after wartime begins.", "scenario setting", 0, 1e5)
    duration_hours: float = p(
        48.0,
        "hours",
        "Duration of the rain/surge.",
        "assumption: a typhoon's rain and surge last one to three days",
        0.1,
        1e4,
        plausible=(24.0, 96.0),
    )
    needs_per_1000_per_hour: float = p(
        8.0,
        "needs/1000 residents/hour",
        "Peak rate of new needs in a low-lying grid.",
        "assumption: Typhoon "
        "Lekima (2019) moved about a fifth of affected "
        "residents (usa.fjsen.com/2019-08/12/content_22601573"
        ".htm)",
        0,
        100,
        plausible=(2.0, 20.0),
    )
    upland_factor: float = p(
        0.15,
        "x",
        "Need rate in other grids relative to low-lying ones.",
        "assumption: wind and landslides, not water",
        0,
        1,
        plausible=(0.05, 0.3),
    )
    road_cut_share: float = p(
        0.1,
        "share",
        "Share of edges at low-lying grids cut at peak.",
        "assumption: the deepest underpasses and lanes",
        0,
        1,
        plausible=(0.05, 0.3),
    )
    travel_time_factor: float = p(
        2.0,
        "x",
        "Travel-time multiplier on flooded edges.",
        "assumption: wading or boats",
        1,
        20,
        plausible=(1.5, 4.0),
    )
    severe_share: float = p(
        0.2,
        "share",
        "Share of needs that start severe (rescue).",
        "assumption: most need moving, fewer need rescue",
        0,
        1,
        plausible=(0.1, 0.35),
    )
    supply_share: float = p(
        0.2,
        "share",
        "Share of needs that are supply deliveries to stranded households.",
        "assumption: households that stay but are cut off",
        0,
        1,
        plausible=(0.1, 0.35),
    )
    rescue_severity_low: float = p(
        0.6,
        "0-1",
        "Lowest starting severity of a rescue need (uniform between low and high).",
        "assumption: trapped, in danger",
        0,
        1,
        plausible=(0.5, 0.7),
    )
    rescue_severity_high: float = p(
        0.9,
        "0-1",
        "Highest starting severity of a rescue need.",
        "assumption: trapped, in danger",
        0,
        1,
        plausible=(0.8, 1.0),
    )
    other_severity_low: float = p(
        0.1,
        "0-1",
        "Lowest starting severity of an evacuation or supply need (uniform between low and high).",
        "assumption: inconvenient, not yet dangerous",
        0,
        1,
        plausible=(0.05, 0.2),
    )
    other_severity_high: float = p(
        0.4,
        "0-1",
        "Highest starting severity of an evacuation or supply need.",
        "assumption: inconvenient, not yet dangerous",
        0,
        1,
        plausible=(0.3, 0.5),
    )
    peak_share: float = p(
        1 / 3,
        "share",
        "Share of the duration after which the need rate peaks (triangular profile).",
        "assumption: rain builds up faster than water recedes",
        0,
        1,
        plausible=(0.2, 0.5),
    )
    profile: str = p(
        "triangular",
        "-",
        "Time profile of the need rate: 'triangular' (rises "
        "to a peak at peak_share of the way, then recedes) or 'steady' "
        "(constant: a Poisson stream, for verification).",
        "assumption: a flood rises and recedes",
        choices=("triangular", "steady"),
    )


class Flood(Hazard):
    def __init__(self, model: ModelView, params: FloodParams, seed: np.random.SeedSequence) -> None:
        onset = params.onset_hour * 60
        super().__init__(model, params, seed, onset, onset + params.duration_hours * 60)
        self.peak = self.onset + (self.end - self.onset) * params.peak_share
        self.cut = False
        # Needs per 1,000 residents per hour at full intensity, per grid.
        self.rate = params.needs_per_1000_per_hour * np.where(
            model.township.lowlying, 1.0, params.upland_factor
        )
        self.counts = np.zeros(len(self.rate), dtype=np.int64)
        self.kinds = np.array([need_code(k) for k in ("rescue", "supply", "evacuation")])
        self.shares = np.array(
            [
                params.severe_share,
                min(params.supply_share, 1.0 - params.severe_share),
                params.rescue_severity_low,
                params.rescue_severity_high,
                params.other_severity_low,
                params.other_severity_high,
            ]
        )

    def intensity(self, t: float) -> float:
        """Triangular profile: 0 at onset, 1 at the peak, 0 at the end (or steady: 1)."""
        if self.p.profile == "steady":
            return 1.0
        if t <= self.peak:
            return (t - self.onset) / max(self.peak - self.onset, 1e-9)
        return max(0.0, (self.end - t) / max(self.end - self.peak, 1e-9))

    def start(self, t: float) -> None:
        super().start(t)
        self.model.township.flood(self.p.travel_time_factor, 0.0, self.rng)

    def generate(self, t0: float, t1: float) -> None:
        if t1 <= t0:
            return
        m, p = self.model, self.p
        if not self.cut and t1 > self.peak:
            self.cut = True
            m.township.flood(p.travel_time_factor, p.road_cut_share, self.rng)
            m.log(self.peak, "roads_cut", self.name, number=len(m.township.cut_edges))
        scale = self.intensity(0.5 * (t0 + t1)) * (t1 - t0) / 60.0 / 1000.0
        self.add_needs(
            flood_needs,
            self.rate,
            scale,
            self.counts,
            float(t0),
            float(t1),
            self.shares,
            self.kinds,
            self.code,
        )

    def finish(self, t: float) -> None:
        super().finish(t)
        self.model.township.restore()

    def outcomes(self) -> dict[str, float]:
        m = self.model
        low = float(m.residents.grid_size[m.township.lowlying].sum())
        sheltered = m.engine.total(Sum.SHELTERED) if m.engine is not None else 0.0
        return {"evacuated_share_lowlying": sheltered / max(low, 1.0)}

    @staticmethod
    def expected_needs(config: Config) -> float:
        flood, n = config.flood, config.population.n_residents
        hours = max(0.0, min(flood.duration_hours, config.time.war_hours - flood.onset_hour))
        low = config.space.lowlying_share
        level = 1.0 if flood.profile == "steady" else 0.5  # mean of the rise and fall
        return (
            flood.needs_per_1000_per_hour
            * n
            / 1000
            * hours
            * level
            * (low + flood.upland_factor * (1 - low))
        )


@entry
def flood_needs(N, res, S, rate, scale, counts, t0, t1, shares, kinds, hazard):
    """The needs of [t0, t1): a Poisson count per grid (mean: its rate x residents x
    `scale`), then each need's type (rescue with the severe share, supply, else
    evacuation), initial severity and time."""
    total = 0
    for g in range(len(rate)):
        counts[g] = poisson(S, rate[g] * res.grid_size[g] * scale)
        total += counts[g]
    if total > len(N.state) - N.meta[0]:
        return total
    for g in range(len(rate)):
        for _ in range(counts[g]):
            u = random(S)
            kind = (
                kinds[0] if u < shares[0] else (kinds[1] if u < shares[0] + shares[1] else kinds[2])
            )
            if kind == kinds[0]:
                severity = uniform(S, shares[2], shares[3])
            else:
                severity = uniform(S, shares[4], shares[5])
            created = t0 + random(S) * (t1 - t0)
            new_need(N, res, S, created, g, kind, hazard, severity, -1)
    return 0


register_hazard(
    HazardSpec(
        "flood",
        FloodParams,
        Flood,
        need_types=(
            EVACUATION,
            NeedType(
                "rescue",
                RESCUE,
                {"en": "rescue", "zh": "救援"},
                "needs.rescue_effort_min",
                "needs.rescue_line",
                life_threatening=True,
            ),
            SUPPLY,
        ),
        label={"en": "flood", "zh": "洪涝"},
        colour="#56B4E9",
        events={
            "roads_cut": {"en": "flood peaks: {n} roads cut", "zh": "洪水达到峰值：{n} 条道路中断"}
        },
        outcomes=(
            Outcome(
                "evacuated_share_lowlying",
                "share",
                "Residents escorted to a shelter per resident of the low-lying (flood-prone) grids",
                None,
            ),
        ),
    )
)
