"""The road network from an OpenStreetMap extract (``.osm.pbf`` through pyrosm, ``.osm``
XML through osmnx) or a GraphML file (osmnx's, with node ``x``/``y``, edge ``length`` in
metres and the graph's ``crs``), as plain arrays in the district's projected CRS.

Roads are taken as two-way (responders walk or ride; one-way rules for cars do not bind
them), and only the largest connected part of the network is kept: a fragment cut off at
the extract's edge cannot carry anyone to the grids.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components, dijkstra

from experiments.district.errors import DistrictError

NETWORK_TYPES = ("walking", "cycling", "driving", "driving+service", "all")


@dataclass
class Roads:
    """Road nodes and segments in a projected CRS (metres)."""

    xy: np.ndarray  # (n, 2)
    u: np.ndarray  # segment ends, indices into xy
    v: np.ndarray
    length_m: np.ndarray
    lines: list[np.ndarray]  # each segment's polyline, for maps
    path: str

    @property
    def n(self) -> int:
        return len(self.xy)

    def metres(self, sources: np.ndarray) -> np.ndarray:
        """Shortest road metres from each of ``sources`` to every node."""
        graph = coo_matrix(
            (
                np.concatenate([self.length_m, self.length_m]),
                (np.concatenate([self.u, self.v]), np.concatenate([self.v, self.u])),
            ),
            shape=(self.n, self.n),
        )
        return dijkstra(graph.tocsr(), directed=False, indices=sources)


def read_roads(path: str | Path, crs: Any, network_type: str = "all") -> Roads:
    """The road network in ``path`` projected to ``crs``, its largest connected part."""
    where = str(path)
    if not Path(path).is_file():
        raise DistrictError(where, "file not found" if not Path(path).exists() else "not a file")
    name = Path(path).name.lower()
    if name.endswith(".osm.pbf") or name.endswith(".pbf"):
        nodes, edges = _pbf(path, network_type)
    elif name.endswith(".osm") or name.endswith(".xml"):
        nodes, edges = _osmnx(path, "xml")
    elif name.endswith(".graphml"):
        nodes, edges = _osmnx(path, "graphml")
    else:
        raise DistrictError(
            where,
            "not a road network file: give an OpenStreetMap extract "
            "(.osm.pbf or .osm) or a GraphML file (.graphml)",
        )
    if nodes is None or edges is None or len(nodes) == 0 or len(edges) == 0:
        raise DistrictError(where, f"holds no roads (network type '{network_type}')")
    nodes = nodes.to_crs(crs)
    edges = edges.to_crs(crs)
    index = {osmid: k for k, osmid in enumerate(nodes.index.tolist())}
    loop = (edges["u"] == edges["v"]) & ~edges.geometry.apply(
        lambda g: g is not None and len(g.coords) > 3
    )  # a loop road needs its bends
    keep = edges["u"].isin(index) & edges["v"].isin(index) & ~loop
    edges = edges[keep]
    u = edges["u"].map(index).to_numpy(np.int64)
    v = edges["v"].map(index).to_numpy(np.int64)
    xy = np.column_stack([nodes.geometry.x.to_numpy(float), nodes.geometry.y.to_numpy(float)])
    if "length" in edges and edges["length"].notna().all():
        length = edges["length"].to_numpy(float)
    else:  # along the projected line (or straight, without a geometry)
        length = np.where(
            edges.geometry.notna(), edges.geometry.length, np.linalg.norm(xy[u] - xy[v], axis=1)
        )
    length = np.maximum(length, 0.1)  # zero-length segments would read as no road
    geoms = list(edges.geometry)
    # a segment once, though a GraphML graph holds it in both directions (summed duplicates
    # would double the road); two roads between the same crossings both stay
    a, b, metres = np.minimum(u, v), np.maximum(u, v), np.round(length, 1)
    order = np.lexsort((metres, b, a))
    first = order[
        np.r_[
            True,
            (np.diff(a[order]) != 0) | (np.diff(b[order]) != 0) | (np.diff(metres[order]) != 0),
        ]
    ]
    first.sort()
    u, v, length = u[first], v[first], length[first]
    geoms = [geoms[k] for k in first]
    lines = [
        np.asarray(g.simplify(2.0).coords) if g is not None else np.array([xy[i], xy[j]])
        for g, i, j in zip(geoms, u, v)
    ]
    xy, u, v, length, piece_of = _at_every_bend(xy, u, v, length, geoms)
    graph = coo_matrix((np.ones(len(u)), (u, v)), shape=(len(xy), len(xy)))
    _, label = connected_components(graph, directed=False)
    main = np.bincount(label).argmax()
    kept = np.flatnonzero(label == main)
    renumber = np.full(len(xy), -1)
    renumber[kept] = np.arange(len(kept))
    inside = label[u] == main
    drawn = np.unique(piece_of[inside])
    return Roads(
        xy=xy[kept],
        u=renumber[u[inside]],
        v=renumber[v[inside]],
        length_m=length[inside],
        lines=[lines[k] for k in drawn],
        path=where,
    )


def _at_every_bend(
    xy: np.ndarray, u: np.ndarray, v: np.ndarray, length: np.ndarray, geoms: list
) -> tuple[np.ndarray, ...]:
    """Segments split at every bend of their lines, each bend a node (as in an extract read
    node by node): a simplified graph (GraphML) and the extract it came from then offer the
    same places for a grid's entrance. Each piece's length is its share of the segment's
    length. Returns the nodes, the pieces' ends and lengths, and each piece's segment."""
    points = [xy]
    pu, pv, plen, piece_of = [], [], [], []
    n = len(xy)
    for k, (i, j, total, g) in enumerate(zip(u.tolist(), v.tolist(), length.tolist(), geoms)):
        coords = np.asarray(g.coords) if g is not None else np.zeros((0, 2))
        if len(coords) <= 2:
            pu.append(i)
            pv.append(j)
            plen.append(total)
            piece_of.append(k)
            continue
        if np.linalg.norm(coords[0] - xy[i]) > np.linalg.norm(coords[0] - xy[j]):
            coords = coords[::-1]  # drawn from v to u
        inner = coords[1:-1]
        ids = list(range(n, n + len(inner)))
        n += len(inner)
        points.append(inner)
        chain = [i, *ids, j]
        steps = np.linalg.norm(np.diff(np.vstack([xy[i], inner, xy[j]]), axis=0), axis=1)
        share = steps / steps.sum() if steps.sum() > 0 else np.full(len(steps), 1 / len(steps))
        pu += chain[:-1]
        pv += chain[1:]
        plen += (np.maximum(share * total, 0.01)).tolist()
        piece_of += [k] * len(steps)
    return (
        np.vstack(points),
        np.array(pu, np.int64),
        np.array(pv, np.int64),
        np.array(plen),
        np.array(piece_of, np.int64),
    )


def _pbf(path: str | Path, network_type: str) -> tuple[Any, Any]:
    """Nodes (indexed by OSM id) and edges (u, v, length, geometry) through pyrosm."""
    try:
        import pyrosm
    except ImportError:
        raise DistrictError(
            str(path), "reading .osm.pbf needs pyrosm: pip install 'grassroots-sim[district]'"
        ) from None
    try:
        osm = pyrosm.OSM(str(path))
        nodes, edges = osm.get_network(network_type=network_type, nodes=True)
    except Exception as e:  # noqa: BLE001 - a damaged extract fails inside pyrosm
        raise DistrictError(
            str(path),
            f"cannot read the OpenStreetMap extract: "
            f"{str(e).splitlines()[0] if str(e) else type(e).__name__}",
        ) from None
    if nodes is None or edges is None:
        return None, None
    return nodes.set_index("id"), edges[["u", "v", "length", "geometry"]]


def _osmnx(path: str | Path, kind: str) -> tuple[Any, Any]:
    """Nodes and edges of an OSM XML or GraphML file through osmnx."""
    try:
        import osmnx as ox
    except ImportError:
        raise DistrictError(
            str(path), f"reading {kind} needs osmnx: pip install 'grassroots-sim[district]'"
        ) from None
    try:
        graph = ox.graph_from_xml(path, retain_all=True) if kind == "xml" else ox.load_graphml(path)
        if graph.number_of_edges() == 0:
            return None, None
        if "crs" not in graph.graph:
            raise DistrictError(
                str(path),
                "has no coordinate reference system (a GraphML "
                "file needs the graph attribute 'crs', as osmnx writes it)",
            )
        nodes, edges = ox.graph_to_gdfs(graph)
    except DistrictError:
        raise
    except Exception as e:  # noqa: BLE001 - a damaged file fails inside osmnx or networkx
        raise DistrictError(
            str(path),
            f"cannot read the road network: "
            f"{str(e).splitlines()[0] if str(e) else type(e).__name__}",
        ) from None
    edges = edges.reset_index()
    return nodes, edges[["u", "v", "length", "geometry"]]
