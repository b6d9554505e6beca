"""Residents: sizes, households within grids, shares close to their parameters."""

from __future__ import annotations

import math

import numpy as np
import pytest

from sim.codes import SUSCEPTIBLE
from sim.params import PopulationParams
from sim.residents import make_residents as build


def make_residents(n=60_000, n_grids=60, seed=7, **pop):
    params = PopulationParams(n_residents=n, **pop)
    return params, build(params, n_grids, np.random.default_rng(seed))


@pytest.mark.parametrize("n,n_grids", [(60_000, 60), (3_001, 4), (500, 1), (1_234, 7)])
def test_residents_sizes_and_grids(n, n_grids):
    _, r = make_residents(n, n_grids)
    assert r.n == n
    for name in (
        "grid",
        "household",
        "elderly",
        "vulnerable",
        "party_member",
        "trust",
        "preparedness",
        "willingness",
        "need_state",
        "epi",
        "isolated",
    ):
        assert len(getattr(r, name)) == n, name
    assert np.all(np.diff(r.grid) >= 0)  # sorted by grid
    assert r.grid_size.sum() == n and len(r.grid_size) == n_grids
    assert r.grid_size.max() - r.grid_size.min() <= 1
    np.testing.assert_array_equal(r.grid_start, np.concatenate([[0], np.cumsum(r.grid_size)[:-1]]))
    for name in ("trust", "preparedness", "willingness"):
        v = getattr(r, name)
        assert np.all((v >= 0) & (v <= 1)), name
    assert np.all(r.need_state == 0) and np.all(r.epi == SUSCEPTIBLE)


@pytest.mark.parametrize("household_size", [1.0, 2.62, 4.0])
def test_households_lie_within_one_grid(household_size):
    _, r = make_residents(30_000, 30, household_size=household_size)
    # Household ids are consecutive and each household's members share one grid.
    assert r.household[0] == 0 and np.all(np.diff(r.household) >= 0)
    assert np.all(np.diff(r.household) <= 1)
    assert r.n_households == r.household[-1] + 1
    first_grid = np.full(r.n_households, -1)
    first_grid[r.household[::-1]] = r.grid[::-1]
    np.testing.assert_array_equal(first_grid[r.household], r.grid)
    np.testing.assert_array_equal(r.household_size, np.bincount(r.household))
    assert r.household_size.min() >= 1
    # The mean size is the parameter, less a little for households cut at grid boundaries.
    assert r.household_size.mean() == pytest.approx(household_size, rel=0.05)


@pytest.mark.parametrize(
    "share_60plus,share_party,trust", [(0.2, 0.07, 0.5), (0.35, 0.15, 0.8), (0.0, 0.0, 0.2)]
)
def test_resident_shares_are_close_to_parameters(share_60plus, share_party, trust):
    n = 80_000
    params, r = make_residents(
        n, 80, share_60plus=share_60plus, share_party_members=share_party, initial_trust=trust
    )

    def close(observed, p, size=n):  # within 5 binomial standard errors
        return abs(observed - p) <= 5 * math.sqrt(p * (1 - p) / size) + 1e-12

    assert close(r.elderly.mean(), share_60plus)
    assert close(r.party_member.mean(), share_party)
    p_vuln = (
        share_60plus * params.share_vulnerable_60plus
        + (1 - share_60plus) * params.share_vulnerable_under60
    )
    assert close(r.vulnerable.mean(), p_vuln)
    if share_60plus > 0:
        assert close(
            r.vulnerable[r.elderly].mean(), params.share_vulnerable_60plus, int(r.elderly.sum())
        )
    assert r.trust.mean() == pytest.approx(trust, abs=0.01)
    assert r.preparedness.mean() == pytest.approx(params.initial_preparedness, abs=0.01)
    assert r.willingness.mean() == pytest.approx(params.willingness_mean, abs=0.01)
