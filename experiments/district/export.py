"""The synthetic township of a scenario and seed as a district file: the same network node
for node and edge for edge (travel minutes as drawn), residents as the model splits them,
grids named as the model names them, and outlines for maps (unit squares on a lattice,
Voronoi cells around the villages of a random geometric township). Run with the seed it
was exported with, the exported scenario gives exactly the synthetic scenario's run (the
township is all that the run's space stream draws); other seeds keep this township and draw
the rest anew.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from sim.district import FORMAT, VERSION
from sim.model import community_letters
from sim.params import Config, Layout
from sim.township import Township, build_township


def export_township(config: Config, seed: int) -> dict[str, Any]:
    """The district data of ``config``'s township with ``seed``."""
    if config.space.layout == Layout.DISTRICT:
        raise ValueError("the scenario's township is a district already")
    tw = build_township(config, seed)
    net = tw.network
    n = config.population.n_residents
    residents = np.diff(np.linspace(0, n, tw.n_grids + 1).round().astype(np.int64))
    letters = [community_letters(c) for c in range(tw.n_communities)]
    seen = np.zeros(tw.n_communities, dtype=np.int64)
    names = []
    for c in tw.grid_community.tolist():
        seen[c] += 1
        names.append(f"{letters[c]}-{seen[c]}")
    polygons = _outlines(tw, config.space.layout)
    grids = [
        {
            "name": names[g],
            "residents": int(residents[g]),
            "elderly_share": None,
            "lowlying": bool(tw.lowlying[g]),
            "community": int(tw.grid_community[g]),
            "centroid": [float(x) for x in tw.grid_pos[g]],
            "polygon": polygons[g],
        }
        for g in range(tw.n_grids)
    ]
    count: dict[str, int] = {}
    sites = []
    for v in range(tw.n_grids, tw.n_nodes):
        kind = net.kind[v]
        count[kind] = count.get(kind, 0) + 1
        sites.append(
            {
                "kind": kind,
                "name": f"{kind.replace('_', ' ')} {count[kind]}",
                "community": int(net.community[v]),
                "host": int(net.host[v]),
                "pos": [float(x) for x in net.pos[v]],
            }
        )
    return {
        "format": FORMAT,
        "version": VERSION,
        "name": f"{config.name}-seed{seed}",
        "units": "grid spacing",
        "crs": None,
        "communities": letters,
        "grids": grids,
        "sites": sites,
        "edges": [[int(a), int(b), float(m)] for a, b, m in net.edges],
        "source": {
            "made_by": "grassroots district export",
            "scenario": config.name,
            "seed": seed,
            "layout": config.space.layout,
        },
    }


def _outlines(tw: Township, layout: str) -> list[list]:
    """Each grid's outline as MultiPolygon coordinates."""
    pos = np.asarray(tw.grid_pos, dtype=float)
    if layout == Layout.LATTICE:
        return [
            [
                [
                    [
                        [x - 0.5, y - 0.5],
                        [x + 0.5, y - 0.5],
                        [x + 0.5, y + 0.5],
                        [x - 0.5, y + 0.5],
                        [x - 0.5, y - 0.5],
                    ]
                ]
            ]
            for x, y in pos.tolist()
        ]
    import shapely

    lo, hi = pos.min(0) - 0.5, pos.max(0) + 0.5
    box = shapely.box(*lo, *hi)
    cells = shapely.voronoi_polygons(shapely.MultiPoint(pos), extend_to=box)
    out: list[list] = [[] for _ in range(len(pos))]
    for cell in cells.geoms:
        clipped = cell.intersection(box)
        inside = np.flatnonzero(shapely.contains_xy(cell, pos[:, 0], pos[:, 1]))
        g = (
            int(inside[0])
            if len(inside)
            else int(np.argmin(np.linalg.norm(pos - np.array(clipped.centroid.coords[0]), axis=1)))
        )
        out[g] = [[[list(map(float, c)) for c in clipped.exterior.coords]]]
    for g, outline in enumerate(out):  # a village on top of another: a small square
        if not outline:
            x, y = pos[g]
            out[g] = [
                [
                    [
                        [x - 0.2, y - 0.2],
                        [x + 0.2, y - 0.2],
                        [x + 0.2, y + 0.2],
                        [x - 0.2, y + 0.2],
                        [x - 0.2, y - 0.2],
                    ]
                ]
            ]
    return out
