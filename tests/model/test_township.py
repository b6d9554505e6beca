"""The township: structure, travel as shortest paths, and what a flood does to roads."""

from __future__ import annotations

import math

import networkx as nx
import numpy as np
import pytest

from sim.params import PopulationParams, SpaceParams
from sim.township import Township


def make_township(n_residents=12_000, residents_per_grid=1000, layout="lattice", seed=3, **space):
    pop = PopulationParams(n_residents=n_residents, residents_per_grid=residents_per_grid)
    return pop, Township(pop, SpaceParams(layout=layout, **space), np.random.default_rng(seed))


def nx_travel(tw: Township) -> np.ndarray:
    d = dict(nx.all_pairs_dijkstra_path_length(tw.graph, weight="minutes"))
    out = np.full((tw.n_nodes, tw.n_nodes), np.inf)
    for a, row in d.items():
        for b, v in row.items():
            out[a, b] = v
    return out


@pytest.mark.parametrize("layout", ["lattice", "random_geometric"])
@pytest.mark.parametrize("n_residents,per_grid", [(12_000, 1000), (7_300, 500), (950, 1000)])
def test_township_structure_and_travel_matrix(layout, n_residents, per_grid):
    pop, tw = make_township(n_residents, per_grid, layout)
    assert tw.n_grids == math.ceil(n_residents / per_grid)
    assert nx.is_connected(tw.graph)
    assert tw.n_nodes == tw.graph.number_of_nodes()
    kinds = tw.node_kinds()
    assert kinds[: tw.n_grids] == ["grid"] * tw.n_grids
    assert kinds.count("community_office") == tw.n_communities
    assert kinds.count("command_post") == 1
    # Communities are labelled 0..k-1 and none is empty.
    assert sorted(set(tw.grid_community.tolist())) == list(range(tw.n_communities))
    assert tw.travel.shape == (tw.n_nodes, tw.n_nodes)
    assert np.all(np.isfinite(tw.travel))
    # Symmetric up to floating-point summation order along a path (~1e-14 min).
    np.testing.assert_allclose(tw.travel, tw.travel.T, rtol=1e-12, atol=1e-9)
    assert np.all(np.diag(tw.travel) == 0)
    assert np.all(tw.travel[~np.eye(tw.n_nodes, dtype=bool)] > 0)
    np.testing.assert_allclose(tw.travel, nx_travel(tw), rtol=1e-12, atol=1e-9)
    assert tw.lowlying.sum() == round(SpaceParams().lowlying_share * tw.n_grids)


@pytest.mark.parametrize("layout", ["lattice", "random_geometric"])
def test_flood_raises_travel_times_and_restore_returns_to_baseline(layout):
    _, tw = make_township(20_000, 1000, layout, seed=11)
    base = tw.travel.copy()
    updates = tw.n_path_updates
    rng = np.random.default_rng(5)
    tw.flood(2.0, 0.0, rng)
    slow = tw.travel.copy()
    assert np.all(slow >= base - 1e-9)
    low = np.flatnonzero(tw.lowlying)
    assert np.all(slow[low][:, low] >= base[low][:, low] - 1e-9)
    # Every edge at a low-lying grid is twice as slow, so some trips get strictly longer.
    assert (slow > base + 1e-9).any()
    lowlying = nx.get_node_attributes(tw.graph, "lowlying")
    for a, b, d in tw.graph.edges(data=True):
        key = (a, b) if (a, b) in tw._base_minutes else (b, a)
        factor = 2.0 if lowlying[a] or lowlying[b] else 1.0
        assert d["minutes"] == pytest.approx(factor * tw._base_minutes[key])
    np.testing.assert_allclose(slow, nx_travel(tw), rtol=1e-12, atol=1e-9)
    # At the peak some roads are cut, yet every place stays reachable.
    tw.flood(2.0, 0.5, rng)
    assert nx.is_connected(tw.graph)
    cut = tw.travel.copy()
    assert np.all(np.isfinite(cut))
    assert np.all(cut >= slow - 1e-9)
    np.testing.assert_allclose(cut, nx_travel(tw), rtol=1e-12, atol=1e-9)
    tw.restore()
    np.testing.assert_array_equal(tw.travel, base)
    assert not tw.cut_edges
    # Shortest paths were recomputed once per flood change, and only then: restoring the
    # network reuses the matrix of the unflooded network.
    assert tw.n_path_updates == updates + 2


def test_township_is_reproducible_from_its_generator():
    _, a = make_township(9_000, 1000, "random_geometric", seed=42)
    _, b = make_township(9_000, 1000, "random_geometric", seed=42)
    np.testing.assert_array_equal(a.travel, b.travel)
    np.testing.assert_array_equal(a.grid_community, b.grid_community)
    np.testing.assert_array_equal(a.lowlying, b.lowlying)
