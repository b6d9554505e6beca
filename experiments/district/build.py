"""A district from the planner's files: grid polygons, site points, a road network and an
optional flood extent, made into the plain data of a district file (``sim/district.py``).

How the real geometry becomes the model's network:

- Each grid joins the road network at its **entrance**: the road node inside the grid
  nearest its centre (or, when no road enters it, the nearest road node within
  ``max_access_m`` of its outline; none there is an error naming the grid).
- Grids whose outlines touch are **neighbours**; the edge between two neighbours takes the
  minutes of the shortest road route between their entrances at ``speed_kmh``. Parts of the
  district that touch nowhere (an island) are joined where the road route between them is
  shortest. Travel between any two places is then the shortest path over these edges.
- Each site (office, command post, shelter, unit) stands in the grid that contains it and
  is joined to that grid's entrance by the road route from its nearest road node, plus the
  straight walk to that node.
- **Communities**: a grid field ``community``; else each community office's catchment (a
  grid belongs to the office nearest by road); else clusters of about
  ``grids_per_community`` neighbouring grids. A community without an office gets one at its
  most central grid, a district without a command post gets one at its most central grid
  (with the scenario's ``office_access_min``), and the import says so.
- **Low-lying** grids: the grid field ``lowlying``, or at least ``flood_min_share`` of the
  grid inside the flood extent.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from experiments.district.errors import DistrictError
from experiments.district.layers import (
    Grids,
    Sites,
    check_overlaps,
    lowlying_from_flood,
    read_flood,
    read_grids,
    read_sites,
)
from experiments.district.roads import Roads, read_roads
from sim.district import FORMAT, VERSION
from sim.model import community_letters

MIN_EDGE_MIN = 0.5  # a trip between two places takes at least half a minute


@dataclass
class ImportOptions:
    """How the planner's files become a district (each is a ``district import`` option)."""

    speed_kmh: float = 5.0  # assumption: walking pace; 6 min between neighbouring grids
    #                         of the synthetic street is about 500 m at this pace
    max_access_m: float = 250.0  # how far a grid or site may lie from the nearest road
    flood_min_share: float = 0.25  # of a grid's area inside the flood extent: low-lying
    network_type: str = "all"  # the roads of an .osm.pbf extract (pyrosm's types): all
    #                          roads and paths (responders walk, cycle and drive)
    grids_per_community: int = 6  # for clusters, when nothing says the communities
    office_access_min: float = 2.0  # an office or command post placed by the import
    crs: str | None = None  # the district's projected CRS (default: the grids', or UTM)


@dataclass
class Imported:
    """A district file's data, and what the import had to decide on its own."""

    data: dict[str, Any]
    notes: list[str] = field(default_factory=list)


def import_district(
    grids_path: str | Path,
    roads_path: str | Path,
    sites_path: str | Path | None = None,
    flood_path: str | Path | None = None,
    name: str = "district",
    options: ImportOptions | None = None,
) -> Imported:
    """The district of the planner's files (raises :class:`DistrictError`)."""
    import shapely

    opt = options or ImportOptions()
    grids, crs = read_grids(grids_path)
    sites = read_sites(sites_path)[0] if sites_path is not None else None
    flood = read_flood(flood_path) if flood_path is not None else None
    target = _projected_crs(grids, crs, opt.crs)
    grids.geometry = grids.geometry.to_crs(target)
    check_overlaps(grids)
    if sites is not None:
        sites.geometry = sites.geometry.to_crs(target)
    roads = read_roads(roads_path, target, opt.network_type)
    _check_same_place(grids, roads, crs, opt.max_access_m)
    notes: list[str] = []
    speed = opt.speed_kmh * 1000 / 60  # metres a minute
    polys = list(grids.geometry)
    centre = np.array([_centre(p) for p in polys])
    points = shapely.points(roads.xy)
    tree = shapely.STRtree(points)
    entrance = np.array(
        [
            _entrance(grids, i, p, centre[i], tree, roads, opt.max_access_m)
            for i, p in enumerate(polys)
        ]
    )
    site_host, site_node, site_walk = _place_sites(sites, grids, tree, roads, opt)
    sources = np.unique(np.concatenate([entrance, site_node]).astype(np.int64))
    metres = roads.metres(sources)
    row = {int(s): k for k, s in enumerate(sources)}

    def minutes(a: int, b: int, walk: float = 0.0) -> float:
        return max(MIN_EDGE_MIN, (metres[row[a], b] + walk) / speed)

    pairs = _neighbours(grids)
    pairs = _join_apart(pairs, entrance, metres, row, len(polys))
    edges: list[list[Any]] = [
        [i, j, round(float(minutes(entrance[i], entrance[j])), 4)] for i, j in pairs
    ]
    community, names, office_of = _communities(
        grids, sites, entrance, site_node, metres, row, centre, opt
    )
    lowlying = list(grids.lowlying)
    if flood is not None:
        in_flood = lowlying_from_flood(grids, flood.to_crs(target), opt.flood_min_share)
        lowlying = [a or bool(b) for a, b in zip(lowlying, in_flood)]
    if not any(lowlying):
        notes.append(
            "no grid is low-lying (no 'lowlying' field set and no flood extent "
            "covering a grid): a flood slows no road"
        )
    site_rows = _site_rows(
        sites,
        site_host,
        site_node,
        site_walk,
        community,
        names,
        office_of,
        centre,
        minutes,
        entrance,
        notes,
        opt,
    )
    n_grids = len(polys)
    for k, site in enumerate(site_rows):
        edges.append([n_grids + k, site.pop("host_grid"), site.pop("minutes")])
    data = {
        "format": FORMAT,
        "version": VERSION,
        "name": name,
        "units": "m",
        "crs": target.to_string(),
        "communities": names,
        "grids": [
            {
                "name": grids.names[i],
                "residents": grids.residents[i],
                "elderly_share": grids.elderly_share[i],
                "lowlying": lowlying[i],
                "community": int(community[i]),
                "centroid": _xy(centre[i]),
                "polygon": _coords(polys[i]),
            }
            for i in range(n_grids)
        ],
        "sites": site_rows,
        "edges": edges,
        "streets": _streets(roads, grids),
        "source": {
            "made_by": "grassroots district import",
            "files": {
                role: _file_record(p)
                for role, p in (
                    ("grids", grids_path),
                    ("sites", sites_path),
                    ("roads", roads_path),
                    ("flood", flood_path),
                )
                if p is not None
            },
            "options": asdict(opt),
            "notes": notes,
        },
    }
    return Imported(data, notes)


# --- places ------------------------------------------------------------------------------


def _projected_crs(grids: Grids, crs: Any, chosen: str | None) -> Any:
    """The district's CRS, in metres: as chosen, the grids' own if projected in metres,
    else the UTM zone of the grids."""
    from pyproj import CRS

    if chosen:
        try:
            target = CRS.from_user_input(chosen)
        except Exception as e:  # noqa: BLE001 - pyproj's CRSError and its kin
            raise DistrictError("--crs", f"not a coordinate reference system: {e}") from None
        if not target.is_projected:
            raise DistrictError(
                "--crs", f"{chosen} is not projected: give one in metres (such as a UTM zone)"
            )
        return target
    if crs.is_projected and all(a.unit_name in ("metre", "meter") for a in crs.axis_info):
        return crs
    return grids.geometry.to_crs("EPSG:4326").estimate_utm_crs()


def _check_same_place(grids: Grids, roads: Roads, crs: Any, max_access_m: float) -> None:
    """Grids and roads that lie apart: one of the files has the wrong CRS."""
    x0, y0, x1, y1 = grids.geometry.total_bounds
    rx0, ry0 = roads.xy.min(0)
    rx1, ry1 = roads.xy.max(0)
    gap = math.hypot(max(rx0 - x1, x0 - rx1, 0.0), max(ry0 - y1, y0 - ry1, 0.0))
    if gap > max_access_m:
        epsg = crs.to_epsg()
        raise DistrictError(
            grids.path,
            f"the grids lie {gap / 1000:,.1f} km from the road "
            f"network of {roads.path}: is the grids' CRS right (the file says "
            f"{'EPSG:' + str(epsg) if epsg else crs.name}), and does the "
            "extract cover the district?",
        )


def _centre(poly: Any) -> np.ndarray:
    """Where a grid is drawn and its label goes: its centroid, or a point surely inside it."""
    point = poly.centroid if poly.contains(poly.centroid) else poly.representative_point()
    return np.array([point.x, point.y])


def _entrance(
    grids: Grids,
    i: int,
    poly: Any,
    centre: np.ndarray,
    tree: Any,
    roads: Roads,
    max_access_m: float,
) -> int:
    """The road node where grid i joins the network."""
    inside = tree.query(poly, predicate="contains")
    if len(inside):
        return int(inside[np.argmin(np.linalg.norm(roads.xy[inside] - centre, axis=1))])
    near, dist = tree.query_nearest(poly, max_distance=max_access_m, return_distance=True)
    if not len(near):
        raise DistrictError(
            grids.path,
            f"no road access: no road of the network lies inside "
            f"the grid or within {max_access_m:g} m of it (--max-access-m)",
            grids.label(i),
        )
    return int(near[np.argmin(dist)])


def _place_sites(
    sites: Sites | None, grids: Grids, tree: Any, roads: Roads, opt: ImportOptions
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per site: its host grid, its nearest road node, and the metres to that node."""
    if sites is None:
        return np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0)
    import shapely

    grid_tree = shapely.STRtree(list(grids.geometry))
    host, node, walk = [], [], []
    for k, point in enumerate(sites.geometry):
        inside = grid_tree.query(point, predicate="within")
        if len(inside):
            host.append(int(inside[0]))
        else:
            near, dist = grid_tree.query_nearest(
                point, max_distance=opt.max_access_m, return_distance=True
            )
            if not len(near):
                far = float(shapely.distance(point, shapely.union_all(list(grids.geometry))))
                raise DistrictError(
                    sites.path,
                    f"lies {far:,.0f} m outside every grid (a site stands in a grid)",
                    sites.label(k),
                )
            host.append(int(near[np.argmin(dist)]))
        near, dist = tree.query_nearest(point, max_distance=opt.max_access_m, return_distance=True)
        if not len(near):
            raise DistrictError(
                sites.path,
                f"no road access: no road of the network within "
                f"{opt.max_access_m:g} m (--max-access-m)",
                sites.label(k),
            )
        node.append(int(near[np.argmin(dist)]))
        walk.append(float(np.min(dist)))
    return np.array(host, np.int64), np.array(node, np.int64), np.array(walk)


def _neighbours(grids: Grids) -> list[tuple[int, int]]:
    """Pairs of grids whose outlines touch (within a metre)."""
    tree = grids.geometry.sindex
    left, right = tree.query(grids.geometry, predicate="dwithin", distance=1.0)
    return sorted({(int(a), int(b)) for a, b in zip(left, right) if a < b})


def _join_apart(
    pairs: list[tuple[int, int]],
    entrance: np.ndarray,
    metres: np.ndarray,
    row: dict[int, int],
    n: int,
) -> list[tuple[int, int]]:
    """Join the parts of the district that touch nowhere, at their shortest road route."""
    parent = list(range(n))

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b in pairs:
        parent[find(a)] = find(b)
    pairs = list(pairs)
    while len({find(i) for i in range(n)}) > 1:
        root = find(0)
        mine = [i for i in range(n) if find(i) == root]
        other = [i for i in range(n) if find(i) != root]
        d = metres[[row[int(entrance[i])] for i in mine]][:, entrance[other]]
        a, b = np.unravel_index(np.argmin(d), d.shape)
        i, j = sorted((mine[a], other[b]))
        pairs.append((i, j))
        parent[find(i)] = find(j)
    return sorted(pairs)


def _communities(
    grids: Grids,
    sites: Sites | None,
    entrance: np.ndarray,
    site_node: np.ndarray,
    metres: np.ndarray,
    row: dict[int, int],
    centre: np.ndarray,
    opt: ImportOptions,
) -> tuple[np.ndarray, list[str], dict[int, int]]:
    """Each grid's community, the communities' names, and the community of each office
    that defines one (by its site number)."""
    if grids.community[0] is not None:
        names = list(dict.fromkeys(grids.community))
        return np.array([names.index(c) for c in grids.community]), names, {}
    offices = (
        [k for k in range(len(site_node)) if sites.kind[k] == "community_office"]
        if sites is not None
        else []
    )
    if offices:  # each office's catchment: the grids nearest it by road
        names = [
            sites.community[k] or sites.names[k] or f"community {n + 1}"
            for n, k in enumerate(offices)
        ]
        if len(set(names)) < len(names):
            twice = next(x for x in names if names.count(x) > 1)
            raise DistrictError(
                sites.path, f"two community offices are named {twice!r}: give each its community"
            )
        d = np.stack([metres[row[int(site_node[k])]][entrance] for k in offices])
        community = d.argmin(0)
        for n, k in enumerate(offices):
            if not np.any(community == n):
                raise DistrictError(
                    sites.path,
                    "no grid is nearer this office than "
                    "another: give the grids a 'community' field",
                    sites.label(k),
                )
        return community, names, {k: n for n, k in enumerate(offices)}
    return (*_clusters(centre, opt.grids_per_community), {})


def _clusters(centre: np.ndarray, per_community: int) -> tuple[np.ndarray, list[str]]:
    """About ``per_community`` neighbouring grids each: k-means on the grids' centres from
    farthest-point starts (deterministic), communities numbered from the first grid."""
    n = len(centre)
    k = max(1, math.ceil(n / per_community))
    start = [int(np.argmin(np.linalg.norm(centre - centre.mean(0), axis=1)))]
    while len(start) < k:
        d = np.min(np.linalg.norm(centre[:, None] - centre[start][None], axis=2), axis=1)
        start.append(int(np.argmax(d)))
    means = centre[start].copy()
    for _ in range(30):
        label = np.argmin(np.linalg.norm(centre[:, None] - means[None], axis=2), axis=1)
        for c in range(k):
            if np.any(label == c):
                means[c] = centre[label == c].mean(0)
    _, first = np.unique(label, return_index=True)
    order = np.argsort(np.argsort(first))  # numbered in order of their first grid
    label = order[np.searchsorted(np.unique(label), label)]
    return label, [community_letters(c) for c in range(label.max() + 1)]


def _site_rows(
    sites: Sites | None,
    site_host: np.ndarray,
    site_node: np.ndarray,
    site_walk: np.ndarray,
    community: np.ndarray,
    names: list[str],
    office_of: dict[int, int],
    centre: np.ndarray,
    minutes: Any,
    entrance: np.ndarray,
    notes: list[str],
    opt: ImportOptions,
) -> list[dict[str, Any]]:
    """The sites in the model's order: each community's office, shelters and units, then
    the command post; offices and the command post placed where the files have none."""
    rows: dict[str, list[dict[str, Any]]] = {
        "community_office": [],
        "shelter": [],
        "unit": [],
        "command_post": [],
    }
    for k in range(len(site_host)):
        kind, host = sites.kind[k], int(site_host[k])
        own = sites.community[k]
        if own is not None and own not in names:
            raise DistrictError(
                sites.path,
                f"community {own!r} is none of the grids' communities ({', '.join(names)})",
                sites.label(k),
            )
        c = (
            office_of[k]
            if k in office_of
            else names.index(own)
            if own is not None
            else int(community[host])
        )
        if kind == "community_office" and any(
            r["community"] == c for r in rows["community_office"]
        ):
            raise DistrictError(
                sites.path, f"a second office for community {names[c]!r}", sites.label(k)
            )
        if kind == "command_post" and rows["command_post"]:
            raise DistrictError(
                sites.path, "a second command post (a township has one)", sites.label(k)
            )
        point = sites.geometry.iloc[k]
        rows[kind].append(
            {
                "kind": kind,
                "name": sites.names[k] or f"{kind} {k + 1}",
                "community": c,
                "host": host,
                "pos": [round(point.x, 1), round(point.y, 1)],
                "host_grid": host,
                "minutes": round(
                    float(minutes(int(site_node[k]), int(entrance[host]), float(site_walk[k]))), 4
                ),
            }
        )
    for c, name in enumerate(names):
        if not any(r["community"] == c for r in rows["community_office"]):
            members = np.flatnonzero(community == c)
            host = int(
                members[
                    np.argmin(np.linalg.norm(centre[members] - centre[members].mean(0), axis=1))
                ]
            )
            rows["community_office"].append(
                _placed("community_office", f"{name} office", c, host, centre, opt)
            )
            notes.append(
                f"community {name!r} has no community_office in the sites: placed "
                f"at its most central grid"
            )
    if not rows["command_post"]:
        host = int(np.argmin(np.linalg.norm(centre - centre.mean(0), axis=1)))
        rows["command_post"].append(
            _placed("command_post", "command post", int(community[host]), host, centre, opt)
        )
        notes.append("no command_post in the sites: placed at the most central grid")
    ordered = []
    for c in range(len(names)):
        for kind in ("community_office", "shelter", "unit"):
            ordered += [r for r in rows[kind] if r["community"] == c]
    return ordered + rows["command_post"]


def _placed(
    kind: str, name: str, c: int, host: int, centre: np.ndarray, opt: ImportOptions
) -> dict[str, Any]:
    return {
        "kind": kind,
        "name": name,
        "community": c,
        "host": host,
        "pos": _xy(centre[host]),
        "host_grid": host,
        "minutes": opt.office_access_min,
    }


# --- writing -------------------------------------------------------------------------------


def _xy(p: Any) -> list[float]:
    return [round(float(p[0]), 1), round(float(p[1]), 1)]


def _coords(poly: Any) -> list:
    """MultiPolygon coordinates, simplified to a metre (for maps only)."""
    simple = poly.simplify(1.0, preserve_topology=True)
    parts = list(simple.geoms) if simple.geom_type == "MultiPolygon" else [simple]
    return [[[_xy(c) for c in ring.coords] for ring in (p.exterior, *p.interiors)] for p in parts]


def _streets(roads: Roads, grids: Grids) -> list:
    """The road segments near the grids (for maps)."""
    x0, y0, x1, y1 = grids.geometry.total_bounds
    pad = 200.0
    out = []
    for line in roads.lines:
        if (
            line[:, 0].max() >= x0 - pad
            and line[:, 0].min() <= x1 + pad
            and line[:, 1].max() >= y0 - pad
            and line[:, 1].min() <= y1 + pad
        ):
            out.append([_xy(c) for c in line])
    return out


def _file_record(path: str | Path) -> dict[str, str]:
    digest = hashlib.sha256(Path(path).read_bytes()).hexdigest()
    return {"file": Path(path).name, "sha256": digest}
