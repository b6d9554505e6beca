"""The planner's map layers: grids (polygons), sites (points) and a flood extent (polygons),
read with geopandas, checked feature by feature and brought into one projected CRS.

Every problem is a :class:`DistrictError` naming the file and the feature, as
``grids.geojson: feature 3 ('Riverside'): self-intersecting polygon near (26.94, 60.53)``.
Features are numbered as GDAL numbers them (QGIS shows the same ``fid``: from 0 in a
GeoJSON file, from 1 in a GeoPackage).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from experiments.district.errors import DistrictError

GRID_FIELDS = {
    "residents": "residents of the grid (a whole number, required)",
    "name": "the grid's name (optional)",
    "community": "the community (village) it belongs to (optional)",
    "elderly_share": "share of residents aged 60+, 0-1 (optional)",
    "lowlying": "true or 1 if flood-prone (optional)",
}
SITE_KINDS = ("community_office", "command_post", "shelter", "unit")
OVERLAP_SHARE = 0.01  # grids whose overlap is above this share of the smaller are refused


@dataclass
class Grids:
    """Checked grid polygons in the district's CRS, with their attributes."""

    geometry: Any  # a GeoSeries
    fid: list[int]
    names: list[str]
    residents: list[int]
    elderly_share: list[float | None]
    lowlying: list[bool]
    community: list[str | None]
    path: str

    def label(self, i: int) -> str:
        return f"feature {self.fid[i]} ({self.names[i]!r})"


@dataclass
class Sites:
    """Checked site points in the district's CRS."""

    geometry: Any
    fid: list[int]
    kind: list[str]
    names: list[str | None]
    community: list[str | None]
    path: str

    def label(self, k: int) -> str:
        name = f" ({self.names[k]!r})" if self.names[k] else ""
        return f"feature {self.fid[k]}{name}"


def read_layer(path: str | Path, role: str) -> Any:
    """A layer of a GeoJSON or GeoPackage file as a GeoDataFrame indexed by feature id: the
    file's only layer, or the one named ``role`` (grids, sites, flood) in a GeoPackage that
    holds several. Refuses an unreadable or empty file and one without a CRS."""
    import geopandas as gpd
    import pyogrio

    where = str(path)
    if not Path(path).is_file():
        raise DistrictError(where, "file not found" if not Path(path).exists() else "not a file")
    try:
        layers = [str(name) for name, _ in pyogrio.list_layers(path)]
    except Exception as e:  # noqa: BLE001 - GDAL's reasons are many; its words say which
        raise DistrictError(
            where, f"cannot read it as a map layer (GeoJSON or GeoPackage): {_first_line(e)}"
        ) from None
    if not layers:
        raise DistrictError(where, "holds no layer")
    layer = layers[0] if len(layers) == 1 else role if role in layers else None
    if layer is None:
        raise DistrictError(
            where, f"holds {len(layers)} layers ({', '.join(layers)}) and none is named '{role}'"
        )
    try:
        frame = gpd.read_file(path, layer=layer, fid_as_index=True, engine="pyogrio")
    except Exception as e:  # noqa: BLE001
        raise DistrictError(where, f"cannot read layer '{layer}': {_first_line(e)}") from None
    if len(frame) == 0:
        raise DistrictError(where, "is empty: no features")
    if frame.crs is None:
        raise DistrictError(
            where,
            "has no coordinate reference system (CRS): save it with "
            "one (EPSG:4326 for longitude and latitude, or the projected CRS "
            "of its coordinates)",
        )
    return frame


def _first_line(error: Exception) -> str:
    text = str(error).strip().splitlines()
    return text[0] if text else type(error).__name__


def check_coordinates(frame: Any, where: str) -> None:
    """Coordinates that a geographic CRS cannot hold (metres labelled as degrees) are a
    wrong CRS."""
    if frame.crs.is_geographic:
        x0, y0, x1, y1 = frame.total_bounds
        if not (-180 <= x0 <= x1 <= 180 and -90 <= y0 <= y1 <= 90):
            raise DistrictError(
                where,
                f"coordinates such as ({x0:.0f}, {y0:.0f}) are not "
                f"longitude and latitude, yet the file's CRS is "
                f"{_crs_name(frame.crs)}: is its CRS wrong? Save it with the "
                f"CRS of its coordinates",
            )


def _crs_name(crs: Any) -> str:
    epsg = crs.to_epsg()
    return f"EPSG:{epsg}" if epsg else crs.name


def _value(row: Any, field: str) -> Any:
    value = row.get(field)
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if hasattr(value, "item"):  # numpy scalar
        value = value.item()
    return value


def _polygon_problem(geom: Any) -> str | None:
    """Why a grid's geometry is not a valid polygon, in words; None if it is."""
    import shapely

    if geom is None or geom.is_empty:
        return "has no geometry"
    if geom.geom_type not in ("Polygon", "MultiPolygon"):
        return f"is a {geom.geom_type}, not a polygon"
    reason = shapely.is_valid_reason(geom)
    if reason == "Valid Geometry":
        return None
    where = ""
    if "[" in reason:  # "Self-intersection[26.93 60.53]"
        x, y = (float(v) for v in reason[reason.index("[") + 1 : reason.index("]")].split()[:2])
        where = f" near ({x:.6g}, {y:.6g})"
        reason = reason[: reason.index("[")]
    if reason.lower().startswith(("self-intersection", "ring self-intersection")):
        return f"self-intersecting polygon{where} (an outline that crosses itself)"
    return f"invalid polygon: {reason.lower()}{where}"


def read_grids(path: str | Path) -> tuple[Grids, Any]:
    """The grid polygons and their attributes (still in the file's CRS), checked: a valid
    polygon each, residents a whole number of at least 1, an elderly share from 0 to 1,
    names that differ. Returns the grids and the file's CRS."""
    frame = read_layer(path, "grids")
    where = str(path)
    check_coordinates(frame, where)
    columns = {c.lower(): c for c in frame.columns if c != "geometry"}
    if "residents" not in columns:
        have = ", ".join(sorted(columns)) or "none"
        raise DistrictError(
            where,
            f"no 'residents' field (the residents of each grid); "
            f"its fields: {have}. Fields read: "
            + "; ".join(f"{k}: {v}" for k, v in GRID_FIELDS.items()),
        )
    fids, names, residents, elderly, low, community = [], [], [], [], [], []
    for fid, row in frame.iterrows():
        fid = int(fid)
        name = _value(row, columns.get("name", "name"))
        name = str(name).strip() if name is not None and str(name).strip() else f"grid {fid}"
        label = f"feature {fid} ({name!r})"
        problem = _polygon_problem(row.geometry)
        if problem:
            raise DistrictError(where, problem, label)
        count = _value(row, columns["residents"])
        if count is None:
            raise DistrictError(where, "missing residents (give the grid's residents)", label)
        if isinstance(count, str) or isinstance(count, bool):
            raise DistrictError(where, f"residents must be a number, got {count!r}", label)
        if count < 0:
            raise DistrictError(where, f"negative residents ({count:g})", label)
        if count == 0:
            raise DistrictError(
                where, "no residents (0): leave an empty grid out, or give its residents", label
            )
        if float(count) != int(count):
            raise DistrictError(where, f"residents must be a whole number, got {count:g}", label)
        share = _value(row, columns["elderly_share"]) if "elderly_share" in columns else None
        if share is not None:
            if isinstance(share, (str, bool)) or not 0 <= share <= 1:
                hint = (
                    f" (a percentage? write {share / 100:g})"
                    if isinstance(share, (int, float))
                    and not isinstance(share, bool)
                    and 1 < share <= 100
                    else ""
                )
                shown = (
                    f"{share:g}"
                    if isinstance(share, (int, float)) and not isinstance(share, bool)
                    else repr(share)
                )
                raise DistrictError(
                    where, f"elderly_share must be a share from 0 to 1, got {shown}{hint}", label
                )
            share = float(share)
        flag = _value(row, columns["lowlying"]) if "lowlying" in columns else None
        if flag is not None and flag not in (True, False, 0, 1):
            raise DistrictError(where, f"lowlying must be true/false or 1/0, got {flag!r}", label)
        comm = _value(row, columns["community"]) if "community" in columns else None
        fids.append(fid)
        names.append(name)
        residents.append(int(count))
        elderly.append(share)
        low.append(bool(flag))
        community.append(None if comm is None else str(comm))
    seen: dict[str, int] = {}
    for fid, name in zip(fids, names):
        if name in seen:
            raise DistrictError(
                where,
                f"the name {name!r} is also feature {seen[name]}'s: "
                "grid names must differ (maps and events name grids)",
                f"feature {fid}",
            )
        seen[name] = fid
    if any(c is not None for c in community) and any(c is None for c in community):
        i = community.index(None)
        raise DistrictError(
            where,
            "no community, while other grids have one (give every grid its community, or none)",
            f"feature {fids[i]} ({names[i]!r})",
        )
    grids = Grids(frame.geometry, fids, names, residents, elderly, low, community, where)
    return grids, frame.crs


def check_overlaps(grids: Grids) -> None:
    """Grids (in a projected CRS) that overlap by more than OVERLAP_SHARE of the smaller."""
    geoms = list(grids.geometry)
    tree = grids.geometry.sindex
    left, right = tree.query(grids.geometry, predicate="intersects")
    for i, j in zip(left.tolist(), right.tolist()):
        if i >= j:
            continue
        area = geoms[i].intersection(geoms[j]).area
        if area > OVERLAP_SHARE * min(geoms[i].area, geoms[j].area):
            raise DistrictError(
                grids.path,
                f"overlaps {grids.label(j)} by {area:,.0f} m² (a place belongs to one grid)",
                grids.label(i),
            )


def read_sites(path: str | Path) -> tuple[Sites, Any]:
    """Offices, the command post, shelters and co-located units: points (a polygon, such as
    a school's outline, stands for its representative point) with a ``kind``."""
    frame = read_layer(path, "sites")
    where = str(path)
    check_coordinates(frame, where)
    columns = {c.lower(): c for c in frame.columns if c != "geometry"}
    if "kind" not in columns:
        raise DistrictError(
            where, f"no 'kind' field: each site's kind, one of {', '.join(SITE_KINDS)}"
        )
    fids, kinds, names, community, points = [], [], [], [], []
    for fid, row in frame.iterrows():
        name = _value(row, columns.get("name", "name"))
        name = str(name).strip() if name is not None and str(name).strip() else None
        label = f"feature {int(fid)}" + (f" ({name!r})" if name else "")
        kind = _value(row, columns["kind"])
        if kind not in SITE_KINDS:
            raise DistrictError(
                where, f"kind must be one of {', '.join(SITE_KINDS)}, got {kind!r}", label
            )
        geom = row.geometry
        if geom is None or geom.is_empty:
            raise DistrictError(where, "has no geometry", label)
        if geom.geom_type in ("Polygon", "MultiPolygon"):
            if not geom.is_valid:
                raise DistrictError(where, _polygon_problem(geom) or "invalid polygon", label)
            geom = geom.representative_point()
        elif geom.geom_type != "Point":
            raise DistrictError(where, f"is a {geom.geom_type}, not a point", label)
        comm = _value(row, columns["community"]) if "community" in columns else None
        fids.append(int(fid))
        kinds.append(kind)
        names.append(name)
        community.append(None if comm is None else str(comm))
        points.append(geom)
    import geopandas as gpd

    geometry = gpd.GeoSeries(points, index=frame.index, crs=frame.crs)
    return Sites(geometry, fids, kinds, names, community, where), frame.crs


def read_flood(path: str | Path) -> Any:
    """The flood extent: polygons (their union), checked like grids."""
    frame = read_layer(path, "flood")
    where = str(path)
    check_coordinates(frame, where)
    for fid, geom in frame.geometry.items():
        problem = _polygon_problem(geom)
        if problem:
            raise DistrictError(where, problem, f"feature {int(fid)}")
    return frame.geometry


def lowlying_from_flood(grids: Grids, flood: Any, min_share: float) -> np.ndarray:
    """Grids with at least ``min_share`` of their area inside the flood extent."""
    extent = flood.union_all()
    return np.array([g.intersection(extent).area >= min_share * g.area for g in grids.geometry])
