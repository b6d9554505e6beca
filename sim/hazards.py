"""Hazards: generators of needs on grids over time, and their effects on the network.

- Flood / typhoon: spatially correlated (low-lying grids), rising to a peak (by default a
  third of the way through); evacuation, rescue and supply needs; slower and cut roads.
- Fire / accident: a few local incidents, each with a burst of severe needs.
- Epidemic: SIR among residents; new infections create testing, supply-delivery (quarantined
  households) and medical-transport needs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from .kernel import flood_needs
from .needs import TYPE_NAMES, HazardKind, type_efforts

if TYPE_CHECKING:
    from .world import World

KIND = {name: k for k, name in enumerate(TYPE_NAMES)}


class Hazard:
    """Base: a hazard with an onset and an end (minutes since wartime began)."""

    name = "hazard"

    def __init__(self, model: World, onset_min: float, end_min: float) -> None:
        self.m = model
        # Each hazard draws from its own stream: the same flood under every policy, even when
        # an epidemic's course (which depends on the response) runs beside it.
        self.code = int(HazardKind[self.name.upper()])
        self.rng = model.hazard_rngs[self.code]
        self.effort = type_efforts(model.config.needs)
        self.onset = onset_min
        self.end = end_min
        self.started = False
        self.ended = False
        self.evaluated = False

    def step(self, t0: float, t1: float) -> None:
        if not self.started and t1 > self.onset:
            self.started = True
            self.start(max(t0, self.onset))
        if self.started and not self.ended:
            self.generate(max(t0, self.onset), min(t1, self.end))
            if t1 >= self.end:
                self.ended = True
                self.finish(self.end)

    def start(self, t: float) -> None:
        self.m.log(t, f"{self.name} begins")

    def generate(self, t0: float, t1: float) -> None:
        raise NotImplementedError

    def finish(self, t: float) -> None:
        self.m.log(t, f"{self.name} ends")

    def add_needs(self, grid: np.ndarray, created: np.ndarray, kind: np.ndarray,
                  severity0: np.ndarray, resident: np.ndarray | None = None) -> np.ndarray:
        """Create needs; affected residents are drawn from their grids if not given."""
        m = self.m
        res = m.residents
        rng = self.rng
        if resident is None:
            resident = res.grid_start[grid] + (rng.random(len(grid)) * res.grid_size[grid]) \
                .astype(np.int64)
        vulnerable = res.vulnerable[resident]
        persons = res.household_size[res.household[resident]].astype(float)
        if m.config.response.effort_distribution == "exponential":
            effort = self.effort[kind] * rng.exponential(1.0, size=len(grid))
        else:
            spread = m.config.needs.effort_spread
            effort = self.effort[kind] * rng.uniform(1.0 - spread, 1.0 + spread, size=len(grid))
        weight = persons * np.where(vulnerable, m.config.response.vulnerable_harm_factor, 1.0)
        order = np.argsort(created, kind="stable")
        return m.needs.add(created=created[order], grid=grid[order], kind=kind[order],
                           hazard=self.code, resident=resident[order],
                           vulnerable=vulnerable[order], persons=persons[order],
                           severity0=severity0[order], effort=effort[order],
                           harm_weight=weight[order])


class Flood(Hazard):
    name = "flood"

    def __init__(self, model: World) -> None:
        p = model.config.flood
        super().__init__(model, p.onset_hour * 60, (p.onset_hour + p.duration_hours) * 60)
        self.p = p
        self.peak = self.onset + (self.end - self.onset) * p.peak_share
        self.cut = False
        # Needs per 1,000 residents per hour at full intensity, per grid.
        self.rate = p.needs_per_1000_per_hour * np.where(model.township.lowlying, 1.0,
                                                         p.upland_factor)

    def intensity(self, t: float) -> float:
        """Triangular profile: 0 at onset, 1 at the peak, 0 at the end (or steady: 1)."""
        if self.p.profile == "steady":
            return 1.0
        if t <= self.peak:
            return (t - self.onset) / max(self.peak - self.onset, 1e-9)
        return max(0.0, (self.end - t) / max(self.end - self.peak, 1e-9))

    def start(self, t: float) -> None:
        super().start(t)
        self.m.township.flood(self.p.travel_time_factor, 0.0, self.rng)

    def generate(self, t0: float, t1: float) -> None:
        if t1 <= t0:
            return
        m, p = self.m, self.p
        if not self.cut and t1 > self.peak:
            self.cut = True
            m.township.flood(p.travel_time_factor, p.road_cut_share, self.rng)
            m.log(self.peak, f"flood peaks: {len(m.township.cut_edges)} roads cut")
        level = self.intensity(0.5 * (t0 + t1))
        lam = self.rate * level * m.residents.grid_size / 1000.0 * (t1 - t0) / 60.0
        if m.engine == "compiled":  # the same draws, in sim/kernel.py
            self._generate_compiled(lam, t0, t1)
            return
        counts = self.rng.poisson(lam)
        if counts.sum() == 0:
            return
        grid = np.repeat(np.arange(len(counts)), counts)
        k = len(grid)
        u = self.rng.random(k)
        supply_share = min(p.supply_share, 1.0 - p.severe_share)
        kind = np.where(u < p.severe_share, KIND["rescue"],
                        np.where(u < p.severe_share + supply_share, KIND["supply"],
                                 KIND["evacuation"]))
        severity0 = np.where(kind == KIND["rescue"],
                             self.rng.uniform(p.rescue_severity_low, p.rescue_severity_high, k),
                             self.rng.uniform(p.other_severity_low, p.other_severity_high, k))
        created = t0 + self.rng.random(k) * (t1 - t0)
        self.add_needs(grid, created, kind, severity0)

    def _generate_compiled(self, lam: np.ndarray, t0: float, t1: float) -> None:
        m, p, res, cfg = self.m, self.p, self.m.residents, self.m.config
        (created, grid, kind, resident, vulnerable, persons, severity0, effort,
         weight) = flood_needs(
            self.rng, lam, res.grid_start, res.grid_size, res.vulnerable, res.household,
            res.household_size, self.effort, float(t0), float(t1), p.severe_share,
            min(p.supply_share, 1.0 - p.severe_share), KIND["rescue"], KIND["supply"],
            KIND["evacuation"], p.rescue_severity_low, p.rescue_severity_high,
            p.other_severity_low, p.other_severity_high,
            cfg.response.effort_distribution == "exponential", cfg.needs.effort_spread,
            cfg.response.vulnerable_harm_factor)
        if len(created):
            m.needs.add(created=created, grid=grid, kind=kind, hazard=self.code,
                        resident=resident, vulnerable=vulnerable, persons=persons,
                        severity0=severity0, effort=effort, harm_weight=weight)

    def finish(self, t: float) -> None:
        super().finish(t)
        self.m.township.restore()


class Fire(Hazard):
    name = "fire"

    def __init__(self, model: World) -> None:
        p = model.config.fire
        super().__init__(model, p.onset_hour * 60, (p.onset_hour + p.duration_hours) * 60)
        rng = self.rng
        self.times = np.sort(self.onset + rng.random(p.incidents) * (self.end - self.onset))
        self.grids = rng.integers(0, model.township.n_grids, size=p.incidents)
        self.p = p

    def generate(self, t0: float, t1: float) -> None:
        m, p = self.m, self.p
        for t, g in zip(self.times, self.grids):
            if not (t0 <= t < t1):
                continue
            k = int(self.rng.poisson(p.needs_per_incident))
            if k == 0:
                continue
            u = self.rng.random(k)
            medical_share = min(p.medical_share, 1.0 - p.rescue_share)
            kind = np.where(u < p.rescue_share, KIND["fire_rescue"],
                            np.where(u < p.rescue_share + medical_share,
                                     KIND["medical_transport"], KIND["evacuation"]))
            severity0 = np.where(kind == KIND["evacuation"],
                                 self.rng.uniform(p.evacuation_severity_low,
                                                  p.evacuation_severity_high, k),
                                 self.rng.uniform(p.severe_severity_low,
                                                  p.severe_severity_high, k))
            created = np.minimum(t + self.rng.exponential(p.spread_min, k), t1 - 1e-6)
            created = np.maximum(created, t)
            self.add_needs(np.full(k, g), created, kind, severity0)
            m.log(float(t), f"fire breaks out in grid {m.grid_label(int(g))}")


class Epidemic(Hazard):
    name = "epidemic"

    def __init__(self, model: World) -> None:
        p = model.config.epidemic
        end = model.config.time.war_hours * 60
        super().__init__(model, p.onset_hour * 60, max(end, p.onset_hour * 60 + 1))
        self.p = p

    def start(self, t: float) -> None:
        super().start(t)
        self.m.residents.seed_infection(self.p.initial_infected, self.p, self.rng, t)

    def generate(self, t0: float, t1: float) -> None:
        if t1 <= t0:
            return
        m, p, res = self.m, self.p, self.m.residents
        res.epidemic_step(p, (t1 - t0) / 1440.0, self.rng, t0)
        if res.counts()[1] == 0 and not self.ended:
            self.end = t1
        ill = res.symptomatic_between(t0, t1)
        if len(ill) == 0:
            return
        rng = self.rng
        groups = []
        for kind, share in (("testing", p.test_need_share), ("supply", p.supply_need_share)):
            groups.append((ill[rng.random(len(ill)) < share], kind,
                           (p.mild_severity_low, p.mild_severity_high)))
        old = ill[res.elderly[ill]]
        groups.append((old[rng.random(len(old)) < p.severe_share_60plus], "medical_transport",
                       (p.severe_severity_low, p.severe_severity_high)))
        for who, kind, (lo, hi) in groups:
            if len(who) == 0:
                continue
            created = np.clip(res.symptoms_at[who], t0, t1 - 1e-6)
            self.add_needs(res.grid[who], created, np.full(len(who), KIND[kind]),
                           rng.uniform(lo, hi, len(who)), resident=who)


def make_hazards(model: World) -> list[Hazard]:
    cfg = model.config
    hazards: list[Hazard] = []
    if cfg.flood.enabled:
        hazards.append(Flood(model))
    if cfg.fire.enabled:
        hazards.append(Fire(model))
    if cfg.epidemic.enabled:
        hazards.append(Epidemic(model))
    return hazards
