"""The compiled shortest paths (sim/paths.py) give the very bits of the block-wise scipy
computation they replaced: rows and columns of a block of sources at a time, a dead end's
paths from its host."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import dijkstra

from sim.network import GRID
from sim.params import PopulationParams, SpaceParams
from sim.paths import BUCKET_SPREAD, bucket_width, nearest_communities, tight_sources
from sim.township import PATH_BLOCK, TIGHT, Township


def make_township(n_residents, layout, seed=7, per_grid=500):
    pop = PopulationParams(n_residents=n_residents, residents_per_grid=per_grid)
    return Township(pop, SpaceParams(layout=layout), np.random.default_rng(seed))


def reference_paths(tw: Township, sources: np.ndarray, d: np.ndarray) -> None:
    """The scipy version: `sources` PATH_BLOCK at a time, rows then columns."""
    g, n = tw.graph, tw.n_nodes
    leaf = np.array([g.degree(v) == 1 and g.nodes[v]["kind"] != GRID for v in range(n)])
    leaves, core = np.flatnonzero(leaf), np.flatnonzero(~leaf)
    host = np.array([next(iter(g[v])) for v in leaves], dtype=np.int64)
    access = np.array([g.edges[v, h]["minutes"] for v, h in zip(leaves, host)])
    position = np.full(n, -1)
    position[core] = np.arange(len(core))
    rows, cols, minutes = [], [], []
    for a, b, m in g.edges(data="minutes"):
        rows += [a, b]
        cols += [b, a]
        minutes += [m, m]
    matrix = csr_matrix((minutes, (rows, cols)), shape=(n, n))[core][:, core]
    for lo in range(0, len(sources), PATH_BLOCK):
        block = sources[lo : lo + PATH_BLOCK]
        via, add = block.copy(), np.zeros(len(block))
        dead = leaf[block]
        k = np.searchsorted(leaves, block[dead])
        via[dead], add[dead] = host[k], access[k]
        starts, back = np.unique(position[via], return_inverse=True)
        rows = np.empty((len(block), n))
        rows[:, core] = dijkstra(matrix, directed=False, indices=starts)[back]
        rows[:, core] += add[:, None]
        rows[:, leaves] = rows[:, host] + access
        rows[np.flatnonzero(dead), block[dead]] = 0.0
        d[block, :] = rows
        d[:, block] = rows.T


@pytest.mark.parametrize("layout", ["lattice", "random_geometric"])
def test_paths_are_the_block_wise_scipy_bits(layout):
    tw = make_township(300_000, layout)  # more than two blocks of sources
    assert tw.n_nodes > 2 * PATH_BLOCK
    expected = np.empty_like(tw.travel)
    reference_paths(tw, np.arange(tw.n_nodes), expected)
    np.testing.assert_array_equal(tw.travel, expected)
    # Each pair's minutes come from one of its two searches, which differ in the last bit.
    assert not np.array_equal(tw.travel, tw.travel.T)
    # After a flood, some sources are searched again, into the matrix as it is.
    tw.flood(2.0, 0.4, np.random.default_rng(3))
    expected = tw.travel.copy()
    sources = np.arange(5, tw.n_nodes, 3)
    tw._shortest_paths(sources, into=tw.travel)
    reference_paths(tw, sources, expected)
    np.testing.assert_array_equal(tw.travel, expected)


def test_buckets_only_where_roads_are_alike():
    assert bucket_width(np.array([2.0, 3.0, 5.0])) == (1.0, 8)  # 5 + 3 buckets, rounded up
    assert bucket_width(np.array([2.0, 3.0, 4.5])) == (1.0, 8)
    assert bucket_width(np.array([1.0, BUCKET_SPREAD])) == (0.5, 64)
    assert bucket_width(np.array([1.0, 2 * BUCKET_SPREAD])) == (0.0, 1)
    assert bucket_width(np.array([])) == (0.0, 1)
    assert bucket_width(np.array([0.0, 1.0])) == (0.0, 1)


def test_tight_sources_and_nearest_communities_as_numpy_computes_them():
    tw = make_township(40_000, "lattice")
    d = tw.travel
    # Two pairs of nodes at a difference that a road would make for node 3.
    edges = [(a, b, abs(d[3, a] - d[3, b])) for a, b in ((10, 40), (25, 90))]
    expected = np.zeros(tw.n_nodes, dtype=bool)
    for a, b, m in edges:
        expected |= np.abs(np.abs(d[:, a] - d[:, b]) - m) <= TIGHT * (1.0 + m)
    a, b, m = (np.array(x) for x in zip(*edges))
    out = np.ones(tw.n_nodes, dtype=np.bool_)
    tight_sources(d, a.astype(np.int64), b.astype(np.int64), m.astype(float), TIGHT, out)
    np.testing.assert_array_equal(out, expected)
    assert 0 < out.sum() < tw.n_nodes
    members, starts = tw._members
    bounds = np.append(starts, len(members))
    shelters = np.array(tw.shelter_nodes, dtype=np.int64)
    comm_min = np.empty((tw.n_nodes, tw.n_communities))
    nearest = np.full(tw.n_grids, -1, dtype=np.int64)
    nearest_communities(d, members, bounds, shelters, comm_min, nearest)
    for c in range(tw.n_communities):
        np.testing.assert_array_equal(
            comm_min[:, c], d[:, members[bounds[c] : bounds[c + 1]]].min(1)
        )
    np.testing.assert_array_equal(nearest, shelters[d[: tw.n_grids, shelters].argmin(1)])
    none = np.full(tw.n_grids, -1, dtype=np.int64)
    nearest_communities(d, members, bounds, shelters[:0], comm_min, none)
    assert (none == -1).all()  # no shelters: evacuees stay in their grid
