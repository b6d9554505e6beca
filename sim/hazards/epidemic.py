"""Epidemic: SIR among residents, on households, grids and the whole township, with
isolation of cases found by testing; each new case's needs (testing, supply delivery to its
quarantined household, medical transport of severe elderly cases) appear with its symptoms.

A lockdown (``lockdown``) keeps every household at home: each needs supplies every few days,
and with the commercial last mile collapsed (Shanghai, April 2022: docs/field_data.md F16)
most of them fall to the community as supply needs.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from ..codes import INFECTED, MEDICAL, RECOVERED, SUSCEPTIBLE
from ..detmath import expm1
from ..jit import call, entry, jit
from ..needs import new_need
from ..params import Config, p
from ..registry import HazardSpec, NeedType, Outcome, need_code, register_hazard
from ..rng import exponential, index, random, uniform
from .base import MEDICAL_TRANSPORT, SUPPLY, Hazard

if TYPE_CHECKING:
    from ..view import ModelView


@dataclass(frozen=True)
class EpidemicParams:
    enabled: bool = p(False, "bool", "An epidemic spreads among residents.", "scenario setting")
    onset_hour: float = p(0.0, "hours", "Onset after wartime begins.", "scenario setting", 0, 1e5)
    r0: float = p(
        2.5,
        "-",
        "Basic reproduction number.",
        "assumption (COVID-19 ancestral strain estimates 2-3)",
        0,
        20,
        plausible=(1.5, 4.0),
    )
    infectious_days: float = p(
        7.0,
        "days",
        "Mean infectious period.",
        "assumption: COVID-19 estimates 5-10 days",
        0.1,
        100,
        plausible=(4.0, 10.0),
    )
    initial_infected: int = p(
        10,
        "residents",
        "Infected residents at onset.",
        "assumption: a cluster found late",
        0,
        1_000_000,
        plausible=(1, 50),
    )
    symptom_onset_days: float = p(
        3.0,
        "days",
        "Mean time from infection to symptoms, when the case's needs appear.",
        "assumption: COVID-19 incubation 2-6 days",
        0,
        30,
        plausible=(2.0, 6.0),
    )
    household_share: float = p(
        0.4,
        "share",
        "Share of transmission within households.",
        "assumption: close contacts dominate",
        0,
        1,
        plausible=(0.2, 0.6),
    )
    grid_share: float = p(
        0.4,
        "share",
        "Share of transmission within the grid (the rest mixes across the township).",
        "assumption: neighbours and shared spaces",
        0,
        1,
        plausible=(0.2, 0.6),
    )
    test_need_share: float = p(
        0.5,
        "share",
        "Share of new infections that create a testing need.",
        "assumption: symptomatic cases asking for a test",
        0,
        1,
        plausible=(0.2, 0.8),
    )
    supply_need_share: float = p(
        0.3,
        "share",
        "Share of new infections whose quarantined household needs supply delivery.",
        "assumption: households without stocks",
        0,
        1,
        plausible=(0.1, 0.5),
    )
    severe_share_60plus: float = p(
        0.1,
        "share",
        "Share of infected 60+ residents who need medical transport.",
        "assumption: severe illness in the elderly",
        0,
        1,
        plausible=(0.03, 0.2),
    )
    mild_severity_low: float = p(
        0.1,
        "0-1",
        "Lowest starting severity of a testing or supply need (uniform between low and high).",
        "assumption: mild illness or quarantine",
        0,
        1,
        plausible=(0.05, 0.2),
    )
    mild_severity_high: float = p(
        0.3,
        "0-1",
        "Highest starting severity of a testing or supply need.",
        "assumption: mild illness or quarantine",
        0,
        1,
        plausible=(0.2, 0.4),
    )
    severe_severity_low: float = p(
        0.6,
        "0-1",
        "Lowest starting severity of a medical transport (uniform between low and high).",
        "assumption: an elderly case getting worse",
        0,
        1,
        plausible=(0.5, 0.7),
    )
    severe_severity_high: float = p(
        0.9,
        "0-1",
        "Highest starting severity of a medical transport.",
        "assumption: an elderly case getting worse",
        0,
        1,
        plausible=(0.8, 1.0),
    )
    isolation: bool = p(
        True, "bool", "Cases found through served testing needs isolate.", "policy lever"
    )
    isolation_effect: float = p(
        0.8,
        "share",
        "Reduction of an isolated case's transmission.",
        "assumption: home isolation, not perfect",
        0,
        1,
        plausible=(0.5, 0.95),
    )
    lockdown: bool = p(
        False,
        "bool",
        "A lockdown: every household stays at home and needs "
        "supplies delivered every supply_interval_days; commerce still brings "
        "commercial_share of them, the rest are supply needs of the community "
        "(in place of the supply needs of quarantined cases).",
        "policy lever; Wuhan, 2020; Shanghai, April-May 2022 (docs/field_data.md F16)",
    )
    lockdown_start_hour: float = p(
        0.0,
        "hours",
        "The lockdown begins this long after the "
        "epidemic's onset, or earlier when lockdown_after_cases is "
        "reached.",
        "scenario setting",
        0,
        1e5,
    )
    lockdown_after_cases: int = p(
        0,
        "cases",
        "The lockdown begins at the first step after "
        "this many residents have fallen ill (shown symptoms); 0: "
        "no case threshold, lockdown_start_hour alone.",
        "policy lever",
        0,
        10_000_000,
    )
    lockdown_days: float = p(
        28.0,
        "days",
        "The lockdown is lifted after this long, or when no resident is infected any more.",
        "scenario setting; "
        "Shanghai's city-wide lockdown lasted about two months (April-May "
        "2022), Wuhan's 76 days (23 January - 8 April 2020)",
        0.01,
        3650,
    )
    supply_interval_days: float = p(
        3.0,
        "days",
        "A locked-down household needs a supply "
        "delivery this often; its first falls due uniformly within "
        "the first interval (its stocks run out at different "
        "times).",
        "Honghu, Hubei, February 2020: wartime closed "
        "management delivered purchases to each household once "
        "every three days; Kunshan, Jiangsu, April 2022: a "
        "household could shop once every two days "
        "(docs/field_data.md); plausible up to a week, a weekly "
        "government pack",
        0.05,
        365,
        plausible=(2.0, 7.0),
    )
    commercial_share: float = p(
        0.11,
        "share",
        "Share of a locked-down household's deliveries "
        "that commerce still brings; the rest are supply needs of the "
        "community.",
        "Shanghai, April 2022: delivery riders fell from "
        "about 100,000 to 11,000 (0.11), fresh-produce trucks from about "
        "3,000 to 600 a day (0.2) (docs/field_data.md F16); riders are "
        "the last mile to the door that the need stands for, trucks "
        "only bring goods into the city",
        0,
        1,
        plausible=(0.11, 0.2),
    )
    delivery_effort_min: float = p(
        15.0,
        "person-min",
        "Mean effort of a lockdown delivery at "
        "the household (receiving at the gate, disinfecting, sorting "
        "and carrying to the door), in place of "
        "needs.supply_effort_min.",
        "between two Shanghai reports of "
        "April 2022: about 3.5 person-min a household for a "
        "government pack (7 volunteers, 1,400 households in a day) "
        "and about 48 for vegetables sorted, bagged and carried to "
        "elderly residents (20 people, an afternoon, 100 packs) "
        "(docs/field_data.md); about their geometric mean",
        1,
        10080,
        plausible=(4.0, 45.0),
    )


class Epidemic(Hazard):
    def __init__(
        self, model: ModelView, params: EpidemicParams, seed: np.random.SeedSequence
    ) -> None:
        onset = params.onset_hour * 60
        super().__init__(
            model, params, seed, onset, max(model.config.time.war_hours * 60, onset + 1)
        )
        res = model.residents
        self.scratch = np.zeros(res.n, dtype=np.int64)  # residents: infected, then new
        self.flags = np.zeros(res.n, dtype=np.int8)
        self.by_household = np.zeros(res.n_households)
        self.by_grid = np.zeros(len(res.grid_size))
        self.kinds = np.array([need_code(k) for k in ("testing", "supply", "medical_transport")])
        ep = params
        self.values = np.array(
            [
                ep.r0 / ep.infectious_days,
                ep.infectious_days,
                ep.household_share,
                ep.grid_share,
                ep.isolation_effect,
                ep.symptom_onset_days,
                ep.test_need_share,
                ep.supply_need_share,
                ep.severe_share_60plus,
                ep.mild_severity_low,
                ep.mild_severity_high,
                ep.severe_severity_low,
                ep.severe_severity_high,
            ]
        )
        # The lockdown: when it is in force (minutes; inf: not yet), each household's next
        # delivery, and what a delivery asks (values indexed by INTERVAL_MIN ...).
        self.lock_from = self.lock_until = math.inf
        self.due = np.full(res.n_households, math.inf)
        self.lock_values = np.array(
            [
                ep.supply_interval_days * 1440.0,
                ep.commercial_share,
                ep.delivery_effort_min,
                ep.mild_severity_low,
                ep.mild_severity_high,
            ]
        )

    def start(self, t: float) -> None:
        super().start(t)
        call(
            seed_infection,
            self.model.residents,
            self.S,
            self.p.initial_infected,
            float(t),
            self.values,
            self.scratch,
        )

    def generate(self, t0: float, t1: float) -> None:
        if t1 <= t0:
            return
        res = self.model.residents
        if self.p.lockdown and not math.isfinite(self.lock_from):
            self._lockdown_due(t0, t1)
        call(
            sir_step,
            res,
            self.S,
            (t1 - t0) / 1440.0,
            float(t0),
            self.values,
            self.scratch,
            self.by_household,
            self.by_grid,
        )
        over = res.epi_counts[INFECTED] == 0
        if over and not self.ended:
            self.end = t1
        self.add_needs(
            case_needs,
            float(t0),
            float(t1),
            self.values,
            self.kinds,
            self.flags,
            self.scratch,
            self.code,
            self.lock_from,
            self.lock_until,
        )
        if t1 > self.lock_from and t0 < self.lock_until:
            self.add_needs(
                lockdown_needs,
                float(t0),
                float(t1),
                self.lock_until,
                self.lock_values,
                self.due,
                int(self.kinds[1]),
                self.code,
            )
            if t1 >= self.lock_until or over:  # its time is up, or no one is infected
                self.lock_until = min(self.lock_until, t1)
                self.model.log(self.lock_until, "lockdown_lifted", self.name)

    def _lockdown_due(self, t0: float, t1: float) -> None:
        """The lockdown begins in this step if its hour has come or the cases reached the
        threshold by t0; each household's first delivery falls due within an interval."""
        ep, res = self.p, self.model.residents
        at = self.onset + ep.lockdown_start_hour * 60.0
        if (
            ep.lockdown_after_cases > 0
            and np.count_nonzero(res.symptoms_at <= t0) >= ep.lockdown_after_cases
        ):
            at = min(at, t0)
        if at >= t1:
            return
        self.lock_from = max(at, t0)
        self.lock_until = self.lock_from + ep.lockdown_days * 1440.0
        self.due[:] = self.lock_from + self.rng.uniform(
            0.0, self.lock_values[INTERVAL_MIN], res.n_households
        )
        self.model.log(self.lock_from, "lockdown", self.name, number=res.n_households)

    def outcomes(self) -> dict[str, float]:
        s, i, r = self.model.residents.counts()
        return {"attack_rate": (i + r) / max(s + i + r, 1) if self.started else math.nan}

    @staticmethod
    def expected_needs(config: Config) -> float:
        epi, pop = config.epidemic, config.population  # a resident is infected at most once
        cases = pop.n_residents * (
            epi.test_need_share + epi.supply_need_share + epi.severe_share_60plus * pop.share_60plus
        )
        if not epi.lockdown:
            return cases
        days = min(epi.lockdown_days, config.time.war_hours / 24.0)
        return cases + pop.n_residents / pop.household_size * (1.0 - epi.commercial_share) * (
            days / epi.supply_interval_days + 1.0
        )


# Indices into Epidemic.values and Epidemic.lock_values.
(
    BETA,
    INFECTIOUS_DAYS,
    HOUSEHOLD_SHARE,
    GRID_SHARE,
    ISOLATION_EFFECT,
    ONSET_DAYS,
    TEST_SHARE,
    SUPPLY_SHARE,
    SEVERE_SHARE,
    MILD_LOW,
    MILD_HIGH,
    SEVERE_LOW,
    SEVERE_HIGH,
) = range(13)
INTERVAL_MIN, COMMERCIAL_SHARE, DELIVERY_EFFORT, LOCK_MILD_LOW, LOCK_MILD_HIGH = range(5)


@jit
def _infect(res, S, r, t, v):
    res.epi[r] = INFECTED
    res.epi_counts[SUSCEPTIBLE] -= 1
    res.epi_counts[INFECTED] += 1
    res.infected_at[r] = t
    res.symptoms_at[r] = t + exponential(S, v[ONSET_DAYS] * 1440.0)


@entry
def seed_infection(res, S, k, t, v, scratch):
    """k susceptible residents, drawn without replacement, are infected at minute t."""
    n = 0
    for r in range(len(res.epi)):
        if res.epi[r] == SUSCEPTIBLE:
            scratch[n] = r
            n += 1
    for j in range(min(k, n)):  # a partial Fisher-Yates shuffle
        pick = j + index(S, n - j)
        scratch[j], scratch[pick] = scratch[pick], scratch[j]
        _infect(res, S, scratch[j], t, v)


@entry
def sir_step(res, S, dt_days, t, v, scratch, by_household, by_grid):
    """One step from minute t: each susceptible is infected with probability
    1 - exp(-force), the force from infectious members of its household (excluding
    itself), its grid and the township (isolated cases count for less); each infected
    recovers with probability 1 - exp(-dt / infectious period)."""
    n, n_inf, total = len(res.epi), 0, 0.0
    for r in range(n):
        if res.epi[r] == INFECTED:
            w = 1.0 - v[ISOLATION_EFFECT] if res.isolated[r] else 1.0
            by_household[res.household[r]] += w
            by_grid[res.grid[r]] += w
            total += w
            scratch[n_inf] = r
            n_inf += 1
    if n_inf == 0:
        return
    community = max(0.0, 1.0 - v[HOUSEHOLD_SHARE] - v[GRID_SHARE])
    scale = v[BETA] * dt_days
    n_new = n_inf
    for r in range(n):
        if res.epi[r] != SUSCEPTIBLE:
            continue
        g, size = res.grid[r], res.household_size[res.household[r]]
        grid_prev = by_grid[g] / max(res.grid_size[g], 1)
        # A resident who lives alone has no household contacts: that share mixes in the grid.
        home = by_household[res.household[r]] / (size - 1) if size > 1 else grid_prev
        force = scale * (
            v[HOUSEHOLD_SHARE] * home + v[GRID_SHARE] * grid_prev + community * total / n
        )
        if random(S) < -expm1(-force):
            scratch[n_new] = r
            n_new += 1
    p_recover = -expm1(-dt_days / v[INFECTIOUS_DAYS])
    for j in range(n_inf):
        r = scratch[j]
        by_household[res.household[r]] = 0.0
        by_grid[res.grid[r]] = 0.0
        if random(S) < p_recover:
            res.epi[r] = RECOVERED
            res.epi_counts[INFECTED] -= 1
            res.epi_counts[RECOVERED] += 1
            res.isolated[r] = False
    for j in range(n_inf, n_new):
        _infect(res, S, scratch[j], t + random(S) * dt_days * 1440.0, v)


@entry
def case_needs(N, res, S, t0, t1, v, kinds, flags, scratch, hazard, lock_from, lock_until):
    """Needs of the cases whose symptoms appear in [t0, t1): a test with the test share,
    supplies for the quarantined household with the supply share (not while a lockdown
    from lock_from to lock_until delivers to every household), and for a resident 60+ a
    medical transport with the severe share."""
    k = total = 0
    for r in range(len(res.epi)):
        if t0 <= res.symptoms_at[r] < t1:
            f = (random(S) < v[TEST_SHARE]) + 2 * (random(S) < v[SUPPLY_SHARE])
            if res.elderly[r] and random(S) < v[SEVERE_SHARE]:
                f += 4
            if lock_from <= min(max(res.symptoms_at[r], t0), t1 - 1e-6) < lock_until:
                f &= ~2  # the household is on the lockdown's deliveries
            flags[k] = f
            scratch[k] = r
            total += (f & 1) + ((f >> 1) & 1) + ((f >> 2) & 1)
            k += 1
    if total > len(N.state) - N.meta[0]:
        return total
    for j in range(k):
        r = scratch[j]
        created = min(max(res.symptoms_at[r], t0), t1 - 1e-6)
        for bit in range(3):
            if (flags[j] >> bit) & 1:
                lo, hi = (
                    (v[SEVERE_LOW], v[SEVERE_HIGH]) if bit == 2 else (v[MILD_LOW], v[MILD_HIGH])
                )
                new_need(N, res, S, created, res.grid[r], kinds[bit], hazard, uniform(S, lo, hi), r)
    return 0


@entry
def lockdown_needs(N, res, S, t0, t1, lock_until, v, due, kind, hazard):
    """The deliveries that fall due in [t0, t1) before the lockdown is lifted: each
    household's every supply interval (``due``: its next). Commerce brings one with the
    commercial share; the others are supply needs of the household's first resident, with
    a mild starting severity and the lockdown delivery's mean effort."""
    end = min(t1, lock_until)
    total = 0
    for h in range(len(due)):
        d = due[h]
        while d < end:
            total += 1
            d += v[INTERVAL_MIN]
    if total > len(N.state) - N.meta[0]:
        return total
    for h in range(len(due)):
        while due[h] < end:
            if random(S) >= v[COMMERCIAL_SHARE]:
                r = res.household_start[h]
                i = new_need(
                    N,
                    res,
                    S,
                    due[h],
                    res.grid[r],
                    kind,
                    hazard,
                    uniform(S, v[LOCK_MILD_LOW], v[LOCK_MILD_HIGH]),
                    r,
                )
                N.effort[i] *= v[DELIVERY_EFFORT] / N.type_effort[kind]
            due[h] += v[INTERVAL_MIN]
    return 0


register_hazard(
    HazardSpec(
        "epidemic",
        EpidemicParams,
        Epidemic,
        need_types=(
            NeedType(
                "testing",
                MEDICAL,
                {"en": "testing", "zh": "检测"},
                "needs.testing_effort_min",
                "needs.testing_line",
                isolates=True,
            ),
            SUPPLY,
            MEDICAL_TRANSPORT,
        ),
        label={"en": "epidemic", "zh": "疫情"},
        colour="#CC79A7",
        events={
            "lockdown": {
                "en": "lockdown: {n} households stay at home, supplies delivered",
                "zh": "封控：{n} 户居民足不出户，物资送上门",
            },
            "lockdown_lifted": {"en": "lockdown lifted", "zh": "封控解除"},
        },
        outcomes=(
            Outcome(
                "attack_rate", "share", "Residents ever infected (epidemic; NaN without one)", False
            ),
        ),
    )
)
