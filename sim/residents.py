"""Residents as arrays: many residents must not cost a Python call each per step.

Residents are sorted by grid and grouped in households inside a grid. State that matters:
age group, vulnerability, party membership, trust, preparedness, willingness to help, need
state and epidemic state (SIR, ``sim/hazards/epidemic.py``). ``Residents`` is what the
compiled engine reads and changes.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from .jit import call, table
from .params import PopulationParams
from .rng import fill_beta, stream


@table
class Residents(NamedTuple):
    grid: np.ndarray
    grid_start: np.ndarray  # first resident of each grid
    grid_size: np.ndarray
    household: np.ndarray
    household_start: np.ndarray  # first resident of each household
    household_size: np.ndarray
    elderly: np.ndarray
    vulnerable: np.ndarray
    party_member: np.ndarray
    trust: np.ndarray
    preparedness: np.ndarray
    willingness: np.ndarray
    need_state: np.ndarray  # sim.codes.NeedStatus
    epi: np.ndarray  # sim.codes.EpiState
    isolated: np.ndarray
    infected_at: np.ndarray
    symptoms_at: np.ndarray
    epi_counts: np.ndarray  # residents in each epidemic state

    @property
    def n(self) -> int:
        return len(self.grid)

    @property
    def n_households(self) -> int:
        return len(self.household_size)

    def counts(self) -> tuple[int, int, int]:
        """Susceptible, infected and recovered residents."""
        s, i, r = self.epi_counts.tolist()
        return s, i, r


def make_residents(
    pop: PopulationParams,
    n_grids: int,
    rng: np.random.Generator,
    grid_residents: np.ndarray | None = None,
    grid_elderly_share: np.ndarray | None = None,
) -> Residents:
    """The township's residents: ``grid_residents`` in each grid (a district's counts, which
    add up to ``pop.n_residents``), or else ``pop.n_residents`` split evenly across grids
    (sizes differ by at most one); each is 60+ with the grid's ``grid_elderly_share`` (nan,
    or no array: ``pop.share_60plus``)."""
    n = pop.n_residents
    if grid_residents is None:
        bounds = np.linspace(0, n, n_grids + 1).round().astype(np.int64)
        per_grid = bounds[1:] - bounds[:-1]  # sizes differ by at most one
    else:
        per_grid = np.asarray(grid_residents, dtype=np.int64)
        if len(per_grid) != n_grids or per_grid.sum() != n:
            raise ValueError(
                f"grid_residents: {len(per_grid)} grids of {per_grid.sum()} "
                f"residents for {n_grids} grids of {n}"
            )
    grid = np.repeat(np.arange(n_grids), per_grid)
    grid_size = np.bincount(grid, minlength=n_grids)
    grid_start = np.concatenate([[0], np.cumsum(grid_size)[:-1]])
    # Households: consecutive residents in a grid, sizes 1 + Poisson(mean - 1).
    sizes = 1 + rng.poisson(max(pop.household_size - 1.0, 0.0), size=n)
    starts = np.zeros(n, dtype=bool)
    starts[np.minimum(np.cumsum(sizes) - sizes, n - 1)] = True
    starts[grid_start] = True  # a household never spans two grids
    household = np.cumsum(starts) - 1
    share_60plus: float | np.ndarray = pop.share_60plus
    if grid_elderly_share is not None:  # the same draws, compared with each grid's share
        share_60plus = np.where(np.isnan(grid_elderly_share), pop.share_60plus, grid_elderly_share)[
            grid
        ]
    elderly = rng.random(n) < share_60plus
    p_vuln = np.where(elderly, pop.share_vulnerable_60plus, pop.share_vulnerable_under60)
    vulnerable = rng.random(n) < p_vuln
    party_member = rng.random(n) < pop.share_party_members
    k = pop.attitude_concentration
    # Attitudes from the engine's generator (sim/rng.py), which needs no C math library
    # (numpy's Beta draws pass through it), on a stream seeded from this one.
    S = stream(np.random.SeedSequence(int(rng.integers(2**63))))
    return Residents(
        grid=grid.astype(np.int64),
        grid_start=grid_start.astype(np.int64),
        grid_size=grid_size.astype(np.int64),
        household=household.astype(np.int64),
        household_start=np.flatnonzero(starts).astype(np.int64),
        household_size=np.bincount(household).astype(np.int64),
        elderly=elderly,
        vulnerable=vulnerable,
        party_member=party_member,
        trust=_beta(S, pop.initial_trust, n, k),
        preparedness=_beta(S, pop.initial_preparedness, n, k),
        willingness=_beta(S, pop.willingness_mean, n, k),
        need_state=np.zeros(n, dtype=np.int8),
        epi=np.zeros(n, dtype=np.int8),
        isolated=np.zeros(n, dtype=bool),
        infected_at=np.full(n, np.nan),
        symptoms_at=np.full(n, np.inf),
        epi_counts=np.array([n, 0, 0], dtype=np.int64),
    )


def _beta(S: np.ndarray, mean: float, n: int, concentration: float) -> np.ndarray:
    """Values in [0, 1] with the given mean (Beta with fixed concentration; a mean of 0 or 1
    gives that value to everyone)."""
    if not 0.0 < mean < 1.0:
        return np.full(n, min(max(mean, 0.0), 1.0))
    out = np.empty(n)
    call(fill_beta, S, mean * concentration, (1.0 - mean) * concentration, out)
    return out
