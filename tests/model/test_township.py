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
    roads = {(a, b): m for a, b, m in tw.graph.edges(data="minutes")}
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
        factor = 2.0 if lowlying[a] or lowlying[b] else 1.0
        assert d["minutes"] == pytest.approx(factor * roads[a, b])
    np.testing.assert_allclose(slow, nx_travel(tw), rtol=1e-12, atol=1e-9)
    # At the peak some roads are cut, yet every place stays reachable.
    tw.flood(2.0, 0.5, rng)
    assert nx.is_connected(tw.graph)
    cut = tw.travel.copy()
    assert np.all(np.isfinite(cut))
    assert np.all(cut >= slow - 1e-9)
    np.testing.assert_allclose(cut, nx_travel(tw), rtol=1e-12, atol=1e-9)
    assert len(tw.cut_edges) and not tw.cut_edges & set(tw.graph.edges)
    tw.restore()
    np.testing.assert_array_equal(tw.travel, base)
    assert not tw.cut_edges
    assert dict(((a, b), m) for a, b, m in tw.graph.edges(data="minutes")) == roads
    # Shortest paths were recomputed once per flood change, and only then: restoring the
    # network reuses the matrix of the unflooded network.
    assert tw.n_path_updates == updates + 2


def test_township_is_reproducible_from_its_generator():
    _, a = make_township(9_000, 1000, "random_geometric", seed=42)
    _, b = make_township(9_000, 1000, "random_geometric", seed=42)
    np.testing.assert_array_equal(a.travel, b.travel)
    np.testing.assert_array_equal(a.grid_community, b.grid_community)
    np.testing.assert_array_equal(a.lowlying, b.lowlying)


def flood_road_by_road(g: nx.Graph, base: dict, factor: float, share: float, rng) -> int:
    """The flood on a networkx graph, road by road, as the township once did it: the cut
    roads stay out of `g`; returns how many drawn roads were put back."""
    low = [(a, b) for a, b in g.edges() if g.nodes[a]["lowlying"] or g.nodes[b]["lowlying"]]
    for a, b in low:
        g.edges[a, b]["minutes"] = base[a, b] * factor
    cut = [low[k] for k in rng.permutation(len(low))[: int(round(share * len(low)))]]
    minutes = {e: g.edges[e]["minutes"] for e in cut}
    g.remove_edges_from(cut)
    root = {v: v for v in g}

    def find(x):
        while root[x] != x:
            x = root[x]
        return x

    for a, b in g.edges():
        root[find(a)] = find(b)
    put_back = 0
    for a, b in cut:
        if find(a) != find(b):  # the only way left: it stays open
            root[find(a)] = find(b)
            g.add_edge(a, b, minutes=minutes[a, b])
            put_back += 1
    return put_back


def restore_road_by_road(g: nx.Graph, base: dict) -> None:
    for (a, b), minutes in base.items():
        if not g.has_edge(a, b):
            g.add_edge(a, b)
        g.edges[a, b]["minutes"] = minutes


@pytest.mark.parametrize("layout", ["lattice", "random_geometric"])
def test_floods_change_roads_as_a_graph_changed_road_by_road(layout):
    """The township's roads as arrays give the cuts, and its graph (made before the floods
    or after them) the very order of edges, of a networkx graph changed road by road: which
    roads a flood draws follows that order, in which a road put back comes last."""
    _, tw = make_township(20_000, 500, layout, seed=4)
    _, late = make_township(20_000, 500, layout, seed=4)
    g = nx.Graph()
    for v in range(tw.n_nodes):
        g.add_node(v, lowlying=bool(v < tw.n_grids and tw.network.lowlying[v]))
    for a, b, minutes in tw.network.edges:
        g.add_edge(a, b, minutes=float(minutes))
    base = {(a, b): m for a, b, m in g.edges(data="minutes")}
    early, put_back = tw.graph, 0
    for factor, share in ((2.0, 0.3), (2.5, 0.6), (1.0, 0.0), (3.0, 0.5), (2.0, 0.7)):
        if factor == 1.0:
            tw.restore()
            late.restore()
            restore_road_by_road(g, base)
            continue
        put_back += flood_road_by_road(g, base, factor, share, np.random.default_rng(7))
        tw.flood(factor, share, np.random.default_rng(7))
        late.flood(factor, share, np.random.default_rng(7))
        assert tw.cut_edges == late.cut_edges == set(base) - set(g.edges())
        assert tw.graph is early
        assert list(early.edges(data="minutes")) == list(g.edges(data="minutes"))
        assert [list(early[v]) for v in g] == [list(g[v]) for v in g]
        np.testing.assert_array_equal(late.travel, tw.travel)
    assert put_back and tw.cut_edges
    assert [list(late.graph[v]) for v in g] == [list(g[v]) for v in g]
    assert list(late.graph.edges(data="minutes")) == list(g.edges(data="minutes"))
