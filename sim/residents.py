"""Residents as arrays: many residents must not cost a Python call each per step.

Residents are sorted by grid and grouped in households inside a grid. State that matters:
age group, vulnerability, party membership, trust, preparedness, willingness to help,
need state and epidemic state (SIR, with isolation of cases found by testing).
"""

from __future__ import annotations

from enum import IntEnum

import numpy as np

from .params import EpidemicParams, PopulationParams


class EpiState(IntEnum):
    """A resident's epidemic state (SIR); array code in ``Residents.epi``."""

    SUSCEPTIBLE = 0
    INFECTED = 1
    RECOVERED = 2


class NeedStatus(IntEnum):
    """Whether a resident's need is unmet or met; array code in ``Residents.need_state``."""

    NO_NEED = 0
    UNMET = 1
    MET = 2


# Plain ints: a numpy scalar compares with an int much faster than with an IntEnum member.
SUSCEPTIBLE, INFECTED, RECOVERED = map(int, EpiState)
NO_NEED, UNMET, MET = map(int, NeedStatus)


class Residents:
    """Struct of arrays, one entry per resident, sorted by grid."""

    def __init__(self, pop: PopulationParams, n_grids: int, rng: np.random.Generator):
        n = pop.n_residents
        self.n = n
        # Residents split evenly across grids (grid sizes differ by at most one).
        self.grid = np.repeat(np.arange(n_grids), np.diff(np.linspace(0, n, n_grids + 1)
                                                          .round().astype(np.int64)))
        self.grid_size = np.bincount(self.grid, minlength=n_grids)
        self.grid_start = np.concatenate([[0], np.cumsum(self.grid_size)[:-1]])
        # Households: consecutive residents in a grid, sizes 1 + Poisson(mean - 1).
        sizes = 1 + rng.poisson(max(pop.household_size - 1.0, 0.0), size=n)
        starts = np.zeros(n, dtype=bool)
        starts[np.minimum(np.cumsum(sizes) - sizes, n - 1)] = True
        starts[self.grid_start] = True  # a household never spans two grids
        self.household = np.cumsum(starts) - 1
        self.n_households = int(self.household[-1]) + 1 if n else 0
        self.household_size = np.bincount(self.household, minlength=self.n_households)
        self.elderly = rng.random(n) < pop.share_60plus
        p_vuln = np.where(self.elderly, pop.share_vulnerable_60plus, pop.share_vulnerable_under60)
        self.vulnerable = rng.random(n) < p_vuln
        self.party_member = rng.random(n) < pop.share_party_members
        k = pop.attitude_concentration
        self.trust = _beta_mean(rng, pop.initial_trust, n, k)
        self.preparedness = _beta_mean(rng, pop.initial_preparedness, n, k)
        self.willingness = _beta_mean(rng, pop.willingness_mean, n, k)
        self.need_state = np.zeros(n, dtype=np.int8)
        self.epi = np.zeros(n, dtype=np.int8)
        self.isolated = np.zeros(n, dtype=bool)
        self.infected_at = np.full(n, np.nan)
        self.symptoms_at = np.full(n, np.inf)

    def raise_toward_one(self, values: np.ndarray, gain: np.ndarray | float) -> None:
        """values += gain * (1 - values), in place (gain per resident or scalar)."""
        values += gain * (1.0 - values)

    # --- epidemic (SIR among residents on households, grids and the township) ---

    def _infect(self, who: np.ndarray, t: float, onset_days: float,
                rng: np.random.Generator) -> None:
        self.epi[who] = INFECTED
        self.infected_at[who] = t
        self.symptoms_at[who] = t + rng.exponential(onset_days * 1440.0, size=len(who))

    def seed_infection(self, k: int, ep: EpidemicParams, rng: np.random.Generator,
                       t: float) -> np.ndarray:
        sus = np.flatnonzero(self.epi == SUSCEPTIBLE)
        chosen = rng.choice(sus, size=min(k, len(sus)), replace=False)
        self._infect(chosen, t, ep.symptom_onset_days, rng)
        return chosen

    def symptomatic_between(self, t0: float, t1: float) -> np.ndarray:
        """Residents whose symptoms (and so their needs) appear in [t0, t1)."""
        return np.flatnonzero((self.symptoms_at >= t0) & (self.symptoms_at < t1))

    def epidemic_step(self, ep: EpidemicParams, dt_days: float, rng: np.random.Generator,
                      t: float) -> np.ndarray:
        """One SIR step from minute t; returns the indices of newly infected residents."""
        inf = np.flatnonzero(self.epi == INFECTED)
        if len(inf) == 0:
            return np.empty(0, dtype=np.int64)
        weight = np.where(self.isolated[inf], 1.0 - ep.isolation_effect, 1.0)
        beta = ep.r0 / ep.infectious_days  # per day
        community_share = max(0.0, 1.0 - ep.household_share - ep.grid_share)
        hh_inf = np.bincount(self.household[inf], weights=weight, minlength=self.n_households)
        grid_inf = np.bincount(self.grid[inf], weights=weight, minlength=len(self.grid_size))
        grid_prev = grid_inf / np.maximum(self.grid_size, 1)
        sus = np.flatnonzero(self.epi == SUSCEPTIBLE)
        hh, g = self.household[sus], self.grid[sus]
        hh_n = self.household_size[hh]
        # Household contacts exclude oneself (susceptibles carry no weight); a resident who
        # lives alone has no household contacts: that share mixes in the grid instead.
        hh_term = np.where(hh_n > 1, hh_inf[hh] / np.maximum(hh_n - 1, 1), grid_prev[g])
        force = beta * dt_days * (ep.household_share * hh_term + ep.grid_share * grid_prev[g]
                                  + community_share * weight.sum() / self.n)
        new = sus[rng.random(len(sus)) < -np.expm1(-force)]
        recover = inf[rng.random(len(inf)) < -np.expm1(-dt_days / ep.infectious_days)]
        self.epi[recover] = RECOVERED
        self.isolated[recover] = False
        self._infect(new, t + rng.random(len(new)) * dt_days * 1440.0, ep.symptom_onset_days,
                     rng)
        return new

    def counts(self) -> tuple[int, int, int]:
        s = int(np.count_nonzero(self.epi == SUSCEPTIBLE))
        i = int(np.count_nonzero(self.epi == INFECTED))
        return s, i, self.n - s - i


def _beta_mean(rng: np.random.Generator, mean: float, n: int, concentration: float
               ) -> np.ndarray:
    """Values in [0, 1] with the given mean (Beta with fixed concentration)."""
    if mean <= 0.0:
        return np.zeros(n)
    if mean >= 1.0:
        return np.ones(n)
    return rng.beta(mean * concentration, (1.0 - mean) * concentration, size=n)
