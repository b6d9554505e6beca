"""The township (or urban street) as a networkx graph of grids, offices, shelters and units.

Nodes are grids, community offices, the township command post, shelters and co-located
units (agencies, enterprises, markets); edges carry travel minutes. Shortest-path minutes
between all nodes are kept as a matrix and recomputed only when a hazard changes the network.
"""

from __future__ import annotations

import math

import networkx as nx
import numpy as np
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import dijkstra

from .params import Config, Layout, PopulationParams, SpaceParams
from .streams import run_streams

GRID, OFFICE, COMMAND, SHELTER, UNIT = "grid", "community_office", "command_post", "shelter", "unit"


class Township:
    """Grids and communities on a travel network, with hazard effects on its edges."""

    def __init__(self, pop: PopulationParams, space: SpaceParams, rng: np.random.Generator):
        self.n_grids = max(1, math.ceil(pop.n_residents / pop.residents_per_grid))
        if space.layout == Layout.LATTICE:
            pos, edges = _lattice(self.n_grids)
        else:
            pos, edges = _random_geometric(self.n_grids, rng)
        self.grid_pos = pos
        self.grid_community = _communities(pos, pop.grids_per_community, space.layout, rng)
        self.n_communities = int(self.grid_community.max()) + 1
        n_low = int(round(space.lowlying_share * self.n_grids))
        # Low-lying grids: the lowest of a smooth random elevation field (spatially correlated).
        elevation = pos @ rng.normal(size=2) + space.elevation_noise * \
            rng.normal(size=self.n_grids)
        self.lowlying = np.zeros(self.n_grids, dtype=bool)
        self.lowlying[np.argsort(elevation)[:n_low]] = True

        g = nx.Graph()
        for i in range(self.n_grids):
            g.add_node(i, kind=GRID, community=int(self.grid_community[i]),
                       lowlying=bool(self.lowlying[i]), pos=tuple(pos[i]))
        scale, spread = space.edge_minutes, space.edge_minutes_spread
        for a, b, length in edges:
            g.add_edge(a, b, minutes=float(scale * length *
                                           rng.uniform(1.0 - spread, 1.0 + spread)))
        self.office_node = np.zeros(self.n_communities, dtype=np.int64)
        self.shelter_nodes: list[int] = []
        self.unit_nodes: list[int] = []
        self.unit_community: list[int] = []
        for c in range(self.n_communities):
            members = np.flatnonzero(self.grid_community == c)
            centre = members[np.argmin(((pos[members] - pos[members].mean(0)) ** 2).sum(1))]
            self.office_node[c] = self._attach(g, OFFICE, int(centre), c,
                                               space.office_access_min)
            for _ in range(space.shelters_per_community):
                host = int(rng.choice(members))
                self.shelter_nodes.append(self._attach(g, SHELTER, host, c,
                                                       space.site_access_min))
            for _ in range(space.colocated_units_per_community):
                host = int(rng.choice(members))
                self.unit_nodes.append(self._attach(g, UNIT, host, c, space.site_access_min))
                self.unit_community.append(c)
        centre = int(np.argmin(((pos - pos.mean(0)) ** 2).sum(1)))
        self.command_node = self._attach(g, COMMAND, centre, int(self.grid_community[centre]),
                                         space.office_access_min)
        self.graph = g
        self.n_nodes = g.number_of_nodes()
        self.node_community = np.array([g.nodes[v]["community"] for v in range(self.n_nodes)],
                                       dtype=np.int64)
        self._base_minutes = {(a, b): d["minutes"] for a, b, d in g.edges(data=True)}
        self.cut_edges: set[tuple[int, int]] = set()
        self.n_path_updates = 0
        self.travel = self._shortest_paths()
        self._base_travel = self.travel

    @staticmethod
    def _attach(g: nx.Graph, kind: str, host: int, community: int, minutes: float) -> int:
        node = g.number_of_nodes()
        g.add_node(node, kind=kind, community=community, lowlying=False,
                   pos=g.nodes[host]["pos"])
        g.add_edge(node, host, minutes=minutes)
        return node

    def _shortest_paths(self) -> np.ndarray:
        rows, cols, vals = [], [], []
        for a, b, d in self.graph.edges(data=True):
            rows += [a, b]
            cols += [b, a]
            vals += [d["minutes"], d["minutes"]]
        m = csr_matrix((vals, (rows, cols)), shape=(self.n_nodes, self.n_nodes))
        self.n_path_updates += 1
        return dijkstra(m, directed=False)

    def flood(self, factor: float, cut_share: float, rng: np.random.Generator) -> None:
        """Raise travel times on edges at low-lying grids and cut a share of them.

        An edge is cut only if the network stays connected (a cut-off grid is reached by
        boat: modelled as the slow factor instead)."""
        low = [(a, b) for a, b in self.graph.edges()
               if self.graph.nodes[a]["lowlying"] or self.graph.nodes[b]["lowlying"]]
        for a, b in low:
            self.graph.edges[a, b]["minutes"] = self._base_minutes[(a, b)] * factor
        n_cut = int(round(cut_share * len(low)))
        if n_cut:
            for k in rng.permutation(len(low))[:n_cut]:
                a, b = low[k]
                minutes = self.graph.edges[a, b]["minutes"]
                self.graph.remove_edge(a, b)
                if nx.has_path(self.graph, a, b):
                    self.cut_edges.add((a, b))
                else:
                    self.graph.add_edge(a, b, minutes=minutes)
        self.travel = self._shortest_paths()

    def restore(self) -> None:
        """Waters recede: cut edges reopen and travel times return to normal."""
        for (a, b), minutes in self._base_minutes.items():
            if not self.graph.has_edge(a, b):
                self.graph.add_edge(a, b)
            self.graph.edges[a, b]["minutes"] = minutes
        self.cut_edges.clear()
        self.travel = self._base_travel  # the network is as it was: no need to recompute

    def node_kinds(self) -> list[str]:
        return [self.graph.nodes[n]["kind"] for n in range(self.n_nodes)]


def _lattice(n: int) -> tuple[np.ndarray, list[tuple[int, int, float]]]:
    cols = max(1, math.ceil(math.sqrt(n)))
    pos = np.array([(i % cols, i // cols) for i in range(n)], dtype=float)
    edges = []
    for i in range(n):
        r, c = divmod(i, cols)
        if c + 1 < cols and i + 1 < n:
            edges.append((i, i + 1, 1.0))
        if i + cols < n:
            edges.append((i, i + cols, 1.0))
    return pos, edges


def _random_geometric(n: int, rng: np.random.Generator) -> tuple[np.ndarray,
                                                                    list[tuple[int, int, float]]]:
    pos = rng.uniform(0, math.sqrt(n), size=(n, 2))  # unit density: typical spacing ~1
    radius = math.sqrt((math.log(max(n, 2)) + 1.5) / math.pi)
    g = nx.random_geometric_graph(n, radius, pos=dict(enumerate(pos)),
                                  seed=int(rng.integers(2**31)))
    comps = [list(c) for c in nx.connected_components(g)]
    while len(comps) > 1:  # join components at their closest pair of nodes
        a_nodes, rest = np.array(comps[0]), np.array([v for c in comps[1:] for v in c])
        d = ((pos[a_nodes][:, None, :] - pos[rest][None, :, :]) ** 2).sum(-1)
        i, j = np.unravel_index(np.argmin(d), d.shape)
        g.add_edge(int(a_nodes[i]), int(rest[j]))
        comps = [list(c) for c in nx.connected_components(g)]
    edges = [(a, b, float(np.linalg.norm(pos[a] - pos[b]))) for a, b in g.edges()]
    return pos, edges


def _communities(pos: np.ndarray, per_community: int, layout: str,
                 rng: np.random.Generator) -> np.ndarray:
    n = len(pos)
    k = max(1, math.ceil(n / per_community))
    if layout == Layout.LATTICE:
        # Blocks of about per_community grids: sx columns by sy rows.
        sx = max(1, round(math.sqrt(per_community)))
        sy = max(1, math.ceil(per_community / sx))
        block = (pos[:, 1] // sy) * (pos[:, 0].max() // sx + 1) + pos[:, 0] // sx
        _, labels = np.unique(block, return_inverse=True)
        return labels.astype(np.int64)
    centres = pos[rng.choice(n, size=k, replace=False)]
    for _ in range(10):  # a few Lloyd iterations: villages as spatial clusters
        labels = np.argmin(((pos[:, None, :] - centres[None]) ** 2).sum(-1), axis=1)
        for c in range(k):
            if np.any(labels == c):
                centres[c] = pos[labels == c].mean(0)
    _, labels = np.unique(labels, return_inverse=True)
    return labels.astype(np.int64)


def build_township(config: Config, seed: int) -> Township:
    """The township of the run of `config` with `seed`, as :class:`GrassrootsModel` builds it
    (from the run's space stream), without building the rest of the model."""
    return Township(config.population, config.space,
                    np.random.default_rng(run_streams(seed).space))
