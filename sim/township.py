"""The township (or urban street): grids, offices, shelters and units on a network of roads.

Nodes are grids, community offices, the township command post, shelters and co-located
units (agencies, enterprises, markets); edges (roads) carry travel minutes. The township
keeps its roads as arrays (what a run needs: a flood slows and cuts them at numpy's and
compiled code's speed); ``Township.graph`` is the same network as a networkx graph, made
when first asked for (maps, reports, tests) and changed with the roads. Shortest-path minutes
between all nodes are kept as a matrix; when a hazard slows or cuts roads, only the rows of
the nodes some of whose shortest paths used a changed road are recomputed. For dispatch that
does not scan every responder (``sim/engine/dispatch.py``), it also keeps, from each node,
the nearest minutes to each community, and each grid's communities nearest first.
"""

from __future__ import annotations

import math

import networkx as nx
import numpy as np

from .detmath import log, py
from .district import district_network
from .jit import call
from .network import COMMAND, GRID, OFFICE, SHELTER, UNIT, Network
from .params import Config, Layout, PopulationParams, SpaceParams
from .paths import bucket_width, kept_roads, nearest_communities, tight_sources, write_paths
from .streams import run_streams

__all__ = [
    "COMMAND",
    "GRID",
    "OFFICE",
    "SHELTER",
    "UNIT",
    "Network",
    "Township",
    "generate",
    "build_township",
]
# Sources whose shortest paths were once computed at once: which of a pair's two searches
# gives its minutes follows these blocks still (``sim/paths.py``), so results stay the same.
PATH_BLOCK = 256
# A road may be on a shortest path from a node if its ends' minutes from there differ by its
# length within this share of (1 + its minutes): rounding, not a real difference.
TIGHT = 1e-9


class Township:
    """Grids and communities on a travel network, with hazard effects on its edges.

    ``Township(pop, space, rng)`` generates the network (layouts 'lattice' and
    'random_geometric') or reads the district file (layout 'district'); either way the
    township is built from a :class:`Network` (:meth:`from_network`)."""

    def __init__(self, pop: PopulationParams, space: SpaceParams, rng: np.random.Generator):
        if space.layout == Layout.DISTRICT:
            network = district_network(space.district_file, pop.n_residents)
        else:
            network = generate(pop, space, rng)
        self._build(network)

    @classmethod
    def from_network(cls, network: Network) -> Township:
        """The township of a network (a generator's or a district's)."""
        township = cls.__new__(cls)
        township._build(network)
        return township

    def _build(self, net: Network) -> None:
        self.network = net
        self.n_grids = net.n_grids
        self.grid_pos = net.pos[: self.n_grids]
        self.grid_community = net.community[: self.n_grids]
        self.n_communities = int(self.grid_community.max()) + 1
        self.lowlying = net.lowlying
        self.grid_names = net.grid_names
        self.grid_polygons = net.grid_polygons
        self.grid_residents = net.grid_residents
        self.grid_elderly_share = net.grid_elderly_share
        self.n_nodes = n = len(net.kind)
        self.office_node = np.zeros(self.n_communities, dtype=np.int64)
        self.shelter_nodes: list[int] = []
        self.unit_nodes: list[int] = []
        self.unit_community: list[int] = []
        self.command_node = -1
        for v, kind in enumerate(net.kind):
            if kind == OFFICE:
                self.office_node[net.community[v]] = v
            elif kind == SHELTER:
                self.shelter_nodes.append(v)
            elif kind == UNIT:
                self.unit_nodes.append(v)
                self.unit_community.append(int(net.community[v]))
            elif kind == COMMAND:
                self.command_node = v
        self.node_community = np.array(net.community, dtype=np.int64)
        self._site = np.array(net.kind) != GRID
        # The roads as arrays, each from its lower node to its higher (as networkx lists
        # them): base and current minutes, open or cut, and when it was (re)opened, which
        # orders the roads from a node as a networkx graph's would (:meth:`_roads`).
        edges = np.array(net.edges, dtype=np.float64).reshape(-1, 3)
        ends = edges[:, :2].astype(np.int64)
        self._a, self._b = ends.min(1), ends.max(1)
        if len(np.unique(self._a * n + self._b)) < len(edges):
            raise ValueError("a network has at most one edge between two nodes")
        self._base = edges[:, 2].copy()
        self._minutes = edges[:, 2].copy()
        self._open = np.ones(len(edges), dtype=np.bool_)
        self._opened = np.arange(len(edges), dtype=np.int64)
        self._clock = len(edges)
        self._first = self._roads()  # the roads in their first order (:meth:`restore`)
        low = np.zeros(n, dtype=np.bool_)
        low[: self.n_grids] = net.lowlying
        self._low_road = low[self._a] | low[self._b]
        self._graph: nx.Graph | None = None
        self.cut_edges: set[tuple[int, int]] = set()
        self.n_path_updates = 0
        self.n_rows_recomputed = 0
        self.travel = self._shortest_paths()
        self._base_travel: np.ndarray | None = None  # kept from the first flood on
        members = np.argsort(self.node_community, kind="stable")
        self._members = (
            members,
            np.searchsorted(self.node_community[members], np.arange(self.n_communities)),
        )
        self.node_comm_min = np.zeros((self.n_nodes, self.n_communities))
        self.comm_order = np.zeros((self.n_grids, self.n_communities), dtype=np.int64)
        self.nearest_shelter = np.full(self.n_grids, -1, dtype=np.int64)
        self._nearest_communities()

    def _roads(self) -> np.ndarray:
        """The open roads in the order a networkx graph of the network, changed as the roads
        were, lists its edges: by lower node, then by when the road was last (re)opened."""
        order = np.lexsort((self._opened, self._a))
        return order[self._open[order]]

    def _reopen(self, roads: np.ndarray) -> None:
        """Open `roads` again, in this order (after every road opened before)."""
        self._open[roads] = True
        self._opened[roads] = self._clock + np.arange(len(roads))
        self._clock += len(roads)

    @property
    def graph(self) -> nx.Graph:
        """The network as a networkx graph, roads as they are now (a flood's slower and cut
        roads), for maps, reports and tests: the township works on arrays of its roads. Made
        when first asked for; a flood or its end changes the same graph."""
        if self._graph is None:
            net, n_grids = self.network, self.n_grids
            self._graph = nx.Graph()
            self._graph.add_nodes_from(
                (
                    v,
                    {
                        "kind": kind,
                        "community": int(net.community[v]),
                        "lowlying": bool(v < n_grids and net.lowlying[v]),
                        "pos": tuple(net.pos[v]),
                    },
                )
                for v, kind in enumerate(net.kind)
            )
            self._sync_graph()
        return self._graph

    def _sync_graph(self) -> None:
        """The graph's edges as the roads are (if the graph was made): added in the order
        the roads were (re)opened, so that each node lists its neighbours as it would have
        had the graph been changed road by road."""
        g = self._graph
        if g is None:
            return
        g.clear_edges()
        roads = np.flatnonzero(self._open)
        roads = roads[np.argsort(self._opened[roads])]
        g.add_edges_from(
            (a, b, {"minutes": minutes})
            for a, b, minutes in zip(
                self._a[roads].tolist(), self._b[roads].tolist(), self._minutes[roads].tolist()
            )
        )

    def _shortest_paths(
        self, sources: np.ndarray | None = None, into: np.ndarray | None = None
    ) -> np.ndarray:
        """Minutes between `sources` (default: every node) and every node, written as rows
        and columns into `into` (default: a new matrix). A dead end (an office, shelter or
        unit on its one access road) is on no other node's path: paths are searched among
        the rest, once per start, then extended along the access roads
        (``sim/paths.py``)."""
        self.n_path_updates += 1
        n = self.n_nodes
        live = self._open
        a, b, road = self._a[live], self._b[live], self._minutes[live]
        leaf = (np.bincount(a, minlength=n) + np.bincount(b, minlength=n) == 1) & self._site
        leaves, core = np.flatnonzero(leaf), np.flatnonzero(~leaf)
        other, via = np.empty(n, dtype=np.int64), np.empty(n)
        other[a], other[b], via[a], via[b] = b, a, road, road  # a dead end is on one road
        host, access = other[leaves], via[leaves]
        position = np.full(n, -1, dtype=np.int64)
        position[core] = np.arange(len(core))
        start, add = position.copy(), np.zeros(n)
        start[leaves], add[leaves] = position[host], access  # a dead end starts at its host
        # The core's roads both ways as a CSR matrix, each row's columns in order.
        inner = ~(leaf[a] | leaf[b])
        rows = position[np.concatenate((a[inner], b[inner]))]
        cols = position[np.concatenate((b[inner], a[inner]))]
        order = np.argsort(rows * len(core) + cols, kind="stable")
        indices, minutes = cols[order], np.concatenate((road[inner], road[inner]))[order]
        indptr = np.zeros(len(core) + 1, dtype=np.int64)
        np.cumsum(np.bincount(rows, minlength=len(core)), out=indptr[1:])
        d = np.empty((n, n)) if into is None else into
        sources = np.arange(n) if sources is None else np.asarray(sources, dtype=np.int64)
        rank = np.full(n, -1, dtype=np.int64)
        rank[sources] = np.arange(len(sources)) // PATH_BLOCK
        width, ring = bucket_width(minutes)
        call(
            write_paths,
            (indptr, indices, minutes),
            core,
            (leaves, host, access),
            (start, add, leaf),
            sources[np.argsort(start[sources], kind="stable")],
            rank,
            width,
            d,
            (
                np.empty(len(core)),
                np.empty(len(core), dtype=np.bool_),
                np.empty(len(minutes) + 1),
                np.empty(len(minutes) + 1, dtype=np.int64),
                np.empty(n),
                np.empty(ring, dtype=np.int64),
                np.empty(len(minutes) + 1, dtype=np.int64),
            ),
        )
        return d

    def _nearest_communities(self) -> None:
        """From each node, the fewest minutes to any node of each community; each grid's
        communities in order of those minutes; each grid's nearest shelter (in place: the
        engine holds these arrays)."""
        members, starts = self._members
        call(
            nearest_communities,
            self.travel,
            members,
            np.append(starts, len(members)),
            np.array(self.shelter_nodes, dtype=np.int64),
            self.node_comm_min,
            self.nearest_shelter,
        )
        self.comm_order[:] = np.argsort(self.node_comm_min[: self.n_grids], axis=1, kind="stable")

    def _update(self, changed: np.ndarray, before: np.ndarray) -> None:
        """Recompute travel after roads got slower or were cut (`changed`: the roads,
        `before`: their minutes before): only rows of sources with a shortest path along a
        changed road."""
        d = self.travel
        tight = np.zeros(self.n_nodes, dtype=np.bool_)
        if len(changed):
            call(tight_sources, d, self._a[changed], self._b[changed], before, TIGHT, tight)
        sources = np.flatnonzero(tight)
        if len(sources):
            self._shortest_paths(sources, into=d)
            self.n_rows_recomputed += len(sources)
        self._nearest_communities()

    def flood(self, factor: float, cut_share: float, rng: np.random.Generator) -> None:
        """Raise travel times on edges at low-lying grids and cut a share of them.

        An edge is cut only if the network stays connected (a cut-off grid is reached by
        boat: modelled as the slow factor instead): the drawn edges are removed, then those
        that would reconnect a cut-off part are put back, in the order drawn."""
        if self._base_travel is None:
            self._base_travel = self.travel.copy()
        roads = self._roads()
        low = roads[self._low_road[roads]]
        before = self._minutes[low]
        self._minutes[low] = self._base[low] * factor
        slower = self._minutes[low] != before
        drawn = low[rng.permutation(len(low))[: int(round(cut_share * len(low)))]]
        self._open[drawn] = False
        kept = np.zeros(len(drawn), dtype=np.bool_)
        call(
            kept_roads, self._a, self._b, self._open, drawn, np.empty(self.n_nodes, np.int64), kept
        )
        self._reopen(drawn[kept])  # the only way left: it stays open
        cut = drawn[~kept]
        self.cut_edges.update(zip(self._a[cut].tolist(), self._b[cut].tolist()))
        self._sync_graph()
        self._update(
            np.concatenate((low[slower], cut)),
            np.concatenate((before[slower], self._minutes[cut])),
        )

    def restore(self) -> None:
        """Waters recede: cut edges reopen and travel times return to normal."""
        self._reopen(self._first[~self._open[self._first]])
        self._minutes[:] = self._base
        self.cut_edges.clear()
        self._sync_graph()
        if self._base_travel is not None:  # as it was: no need to recompute
            self.travel[:] = self._base_travel
            self._nearest_communities()

    def node_kinds(self) -> list[str]:
        return list(self.network.kind)


def generate(pop: PopulationParams, space: SpaceParams, rng: np.random.Generator) -> Network:
    """A synthetic township: grids of about ``residents_per_grid`` residents on a lattice
    (urban street blocks) or a random geometric graph (rural villages), in communities,
    with an office in each community's most central grid, shelters and co-located units in
    random grids of it, and the command post in the most central grid."""
    n_grids = max(1, math.ceil(pop.n_residents / pop.residents_per_grid))
    if space.layout == Layout.LATTICE:
        pos, grid_edges = _lattice(n_grids)
    else:
        pos, grid_edges = _random_geometric(n_grids, rng)
    grid_community = _communities(pos, pop.grids_per_community, space.layout, rng)
    n_communities = int(grid_community.max()) + 1
    n_low = int(round(space.lowlying_share * n_grids))
    # Low-lying grids: the lowest of a smooth random elevation field (spatially correlated).
    elevation = (pos * rng.normal(size=2)).sum(1) + space.elevation_noise * rng.normal(size=n_grids)
    lowlying = np.zeros(n_grids, dtype=bool)
    lowlying[np.argsort(elevation)[:n_low]] = True
    scale, spread = space.edge_minutes, space.edge_minutes_spread
    # Drawn at once: the very numbers of a draw per road in turn.
    lengths = np.array([length for _, _, length in grid_edges], dtype=np.float64)
    minutes = scale * lengths * rng.uniform(1.0 - spread, 1.0 + spread, size=len(lengths))
    edges = [(a, b, m) for (a, b, _), m in zip(grid_edges, minutes.tolist())]
    kind, community, host = [GRID] * n_grids, grid_community.tolist(), list(range(n_grids))

    def attach(site: str, grid: int, c: int, minutes: float) -> None:
        edges.append((len(kind), grid, minutes))
        kind.append(site)
        community.append(c)
        host.append(grid)

    # A site's grid: members[rng.integers(len(members))] is what rng.choice(members) draws,
    # without its checks.
    for c in range(n_communities):
        members = np.flatnonzero(grid_community == c)
        centre = members[np.argmin(_squared(pos[members] - pos[members].mean(0)).sum(1))]
        attach(OFFICE, int(centre), c, space.office_access_min)
        for _ in range(space.shelters_per_community):
            attach(SHELTER, int(members[rng.integers(len(members))]), c, space.site_access_min)
        for _ in range(space.colocated_units_per_community):
            attach(UNIT, int(members[rng.integers(len(members))]), c, space.site_access_min)
    centre = int(np.argmin(_squared(pos - pos.mean(0)).sum(1)))
    attach(COMMAND, centre, int(grid_community[centre]), space.office_access_min)
    host_arr = np.array(host, dtype=np.int64)
    return Network(
        kind=tuple(kind),
        community=np.array(community, dtype=np.int64),
        pos=pos[host_arr],
        host=host_arr,
        lowlying=lowlying,
        edges=tuple(edges),
    )


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


def _squared(x: np.ndarray) -> np.ndarray:
    """x * x (numpy's power could call the C library's pow)."""
    return x * x


def _distance(a: np.ndarray, b: np.ndarray) -> float:
    """Euclidean distance by plain arithmetic and a square root (both correctly rounded
    everywhere), not a BLAS dot product whose order of operations depends on the CPU."""
    dx, dy = float(a[0] - b[0]), float(a[1] - b[1])
    return math.sqrt(dx * dx + dy * dy)


def _random_geometric(
    n: int, rng: np.random.Generator
) -> tuple[np.ndarray, list[tuple[int, int, float]]]:
    pos = rng.uniform(0, math.sqrt(n), size=(n, 2))  # unit density: typical spacing ~1
    radius = math.sqrt((py(log)(float(max(n, 2))) + 1.5) / math.pi)
    g = nx.random_geometric_graph(
        n, radius, pos=dict(enumerate(pos)), seed=int(rng.integers(2**31))
    )
    comps = [list(c) for c in nx.connected_components(g)]
    while len(comps) > 1:  # join components at their closest pair of nodes
        a_nodes, rest = np.array(comps[0]), np.array([v for c in comps[1:] for v in c])
        d = _squared(pos[a_nodes][:, None, :] - pos[rest][None, :, :]).sum(-1)
        i, j = np.unravel_index(np.argmin(d), d.shape)
        g.add_edge(int(a_nodes[i]), int(rest[j]))
        comps = [list(c) for c in nx.connected_components(g)]
    edges = [(a, b, _distance(pos[a], pos[b])) for a, b in g.edges()]
    return pos, edges


def _communities(
    pos: np.ndarray, per_community: int, layout: str, rng: np.random.Generator
) -> np.ndarray:
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
        labels = np.argmin(_squared(pos[:, None, :] - centres[None]).sum(-1), axis=1)
        for c in range(k):
            if np.any(labels == c):
                centres[c] = pos[labels == c].mean(0)
    _, labels = np.unique(labels, return_inverse=True)
    return labels.astype(np.int64)


def build_township(config: Config, seed: int) -> Township:
    """The township of the run of `config` with `seed`, as :class:`GrassrootsModel` builds it
    (from the run's space stream), without building the rest of the model."""
    return Township(config.population, config.space, np.random.default_rng(run_streams(seed).space))
