"""A real district, read from its district file (``space.layout = "district"``).

The file is plain JSON, written by ``grassroots district import`` from a planner's maps and
road network, or by ``grassroots district export`` from a synthetic township
(``experiments/district``); this module only reads and checks it (no geometry is done here):

.. code-block:: json

    {"format": "grassroots-district", "version": 1, "name": "kotka",
     "units": "m", "crs": "EPSG:32635",
     "communities": ["Marttila", "Malminki"],
     "grids": [{"name": "Marttila 1", "residents": 412, "elderly_share": 0.24,
                "lowlying": false, "community": 0, "centroid": [x, y],
                "polygon": [[[[x, y], ...]]]}],
     "sites": [{"kind": "community_office", "name": "...", "community": 0, "host": 3,
                "pos": [x, y]}],
     "edges": [[0, 1, 7.5], ...],
     "streets": [[[x, y], ...], ...]}

Nodes are the grids (``0 .. G-1``, in the order of ``grids``) and then the sites (``G + k``
for ``sites[k]``). A site's ``kind`` is ``community_office`` (exactly one per community),
``command_post`` (exactly one), ``shelter`` or ``unit`` (a co-located agency, enterprise or
market); ``host`` is the grid it stands in, and ``community`` defaults to the host's. Each
edge joins two nodes with the travel minutes between them (on the real road network, for an
imported district); the network must be connected. ``elderly_share`` (0-1) is optional
(default: ``population.share_60plus``); ``lowlying`` defaults to false; ``polygon`` (the
grid's outline as GeoJSON MultiPolygon coordinates) and ``streets`` are only drawn on maps.
Every problem is a :class:`~sim.params.ConfigError` naming the file and the field, such as
``district.json: grids[3] ('Riverside').residents: must be a whole number of at least 1,
got -5``.
"""

from __future__ import annotations

import json
import math
import os
import stat
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import connected_components

from .network import COMMAND, GRID, OFFICE, SHELTER, UNIT, Network
from .params import ConfigError, show_value

FORMAT = "grassroots-district"
VERSION = 1
SITE_KINDS = (OFFICE, COMMAND, SHELTER, UNIT)
MAX_BYTES = 1 << 30  # a city's streets take tens of MB; refuse to read gigabytes


@dataclass(frozen=True)
class District:
    """A checked district file."""

    path: str
    name: str
    network: Network

    @property
    def n_residents(self) -> int:
        residents = self.network.grid_residents
        assert residents is not None  # a district's file gives every grid's residents
        return int(residents.sum())

    @property
    def n_grids(self) -> int:
        return self.network.n_grids

    @property
    def n_nodes(self) -> int:
        return len(self.network.kind)

    @property
    def n_communities(self) -> int:
        return len(self.network.community_names or ())

    @property
    def n_units(self) -> int:
        return self.network.kind.count(UNIT)


def load_district(path: str | os.PathLike, source: str = "") -> District:
    """The district in the file at ``path`` (read once per version of the file); ``source``
    is the scenario that names it, for the error when there is no such file."""
    path = str(path)
    key = "space.district_file"
    if not path:
        raise ConfigError(
            key,
            "layout 'district' needs a district file (space.district_file "
            '= "district.json", relative to the scenario file), written by '
            "`grassroots district import` or `export`",
            source,
        )
    shown = show_value(path, 200)
    try:
        info = os.stat(path)
    except FileNotFoundError:
        raise ConfigError(key, f"file not found: {shown}", source) from None
    except (OSError, ValueError) as e:
        raise ConfigError(
            key, f"cannot read {shown}: {getattr(e, 'strerror', None) or e}", source
        ) from None
    if not stat.S_ISREG(info.st_mode):
        raise ConfigError(key, f"not a regular file: {shown}", source)
    if info.st_size > MAX_BYTES:
        raise ConfigError(
            key,
            f"{shown} is {info.st_size:,} bytes: too large for a district "
            f"file (at most {MAX_BYTES:,})",
            source,
        )
    return _load(path, info.st_mtime_ns, info.st_size)


def district_network(path: str | os.PathLike, n_residents: int | None = None) -> Network:
    """The district's network (fresh arrays: a model may change its own copy), checking that
    ``population.n_residents`` is the district's total."""
    district = load_district(path)
    check_residents(district, n_residents)
    net = district.network
    copy: dict[str, Any] = {
        k: (v.copy() if isinstance(v, np.ndarray) else v) for k, v in vars(net).items()
    }
    return Network(**copy)


def check_residents(district: District, n_residents: int | None, source: str = "") -> None:
    """``population.n_residents`` must be the district's total (the importer writes it into
    the scenario): staff per 1,000 residents and the memory estimate read it."""
    if n_residents is not None and n_residents != district.n_residents:
        raise ConfigError(
            "population.n_residents",
            f"must be the district's residents, "
            f"{district.n_residents:,} (the sum over the grids of "
            f"{district.path}), with space.layout = 'district'; got "
            f"{n_residents:,}",
            source,
        )


@lru_cache(maxsize=8)
def _load(path: str, mtime_ns: int, size: int) -> District:
    try:
        with open(path, encoding="utf-8") as f:
            data = json.load(f)
    except json.JSONDecodeError as e:
        raise _error(path, "", f"not valid JSON: {e}") from None
    except UnicodeDecodeError as e:
        raise _error(path, "", f"not UTF-8 text: {e}") from None
    except IsADirectoryError:
        raise _error(path, "", "is a folder, not a district file") from None
    except OSError as e:
        raise _error(path, "", f"cannot read file: {e.strerror or e}") from None
    except RecursionError:
        raise _error(path, "", "arrays nested too deeply") from None
    return District(path, *_Reader(path).read(data))


def _error(path: str, key: str, message: str) -> ConfigError:
    error = ConfigError(key, message, path) if key else ConfigError(path, message)
    error.key, error.source = key, path
    return error


class _Reader:
    """Checks a parsed district file field by field."""

    def __init__(self, path: str) -> None:
        self.path = path

    def fail(self, key: str, message: str) -> ConfigError:
        return _error(self.path, key, message)

    def read(self, data: Any) -> tuple[str, Network]:
        if not isinstance(data, dict):
            raise self.fail("", f"must be a JSON object, got {show_value(data)}")
        if data.get("format") != FORMAT:
            raise self.fail(
                "format",
                f"must be {FORMAT!r} (a district file), got {show_value(data.get('format'))}",
            )
        if data.get("version") != VERSION:
            raise self.fail("version", f"must be {VERSION}, got {show_value(data.get('version'))}")
        name = data.get("name", "district")
        if not isinstance(name, str) or not name.strip():
            raise self.fail("name", f"must be a non-empty string, got {show_value(name)}")
        units = data.get("units", "m")
        if not isinstance(units, str):
            raise self.fail("units", f"must be a string, got {show_value(units)}")
        communities = self.names(data, "communities")
        grids = self.items(data, "grids", required=True)
        sites = self.items(data, "sites", required=True)
        n_grids, n_communities = len(grids), len(communities)
        kind, community, pos, host = [], [], [], []
        names, residents, elderly, lowlying, polygons = [], [], [], [], []
        for i, grid in enumerate(grids):
            where = self.where("grids", i, grid)
            names.append(self.text(grid, where, "name", f"grid {i + 1}"))
            residents.append(self.count(grid, where, "residents"))
            elderly.append(self.share(grid, where, "elderly_share"))
            low = grid.get("lowlying", False)
            if not isinstance(low, bool):
                raise self.fail(
                    f"{where}.lowlying", f"must be true or false, got {show_value(low)}"
                )
            lowlying.append(low)
            community.append(self.index(grid, where, "community", n_communities, "communities"))
            pos.append(self.point(grid.get("centroid"), f"{where}.centroid"))
            polygons.append(self.polygon(grid.get("polygon"), f"{where}.polygon"))
            kind.append(GRID)
            host.append(i)
        if len(set(names)) < len(names):
            twice = next(n for n in names if names.count(n) > 1)
            raise self.fail(
                "grids",
                f"two grids are named {twice!r}: names must differ (events and maps name grids)",
            )
        offices: dict[int, int] = {}
        commands: list[int] = []
        for k, site in enumerate(sites):
            where = self.where("sites", k, site)
            what = site.get("kind")
            if what not in SITE_KINDS:
                raise self.fail(
                    f"{where}.kind",
                    f"must be one of {', '.join(SITE_KINDS)}, got {show_value(what)}",
                )
            h = self.index(site, where, "host", n_grids, "grids")
            c = self.index(
                site, where, "community", n_communities, "communities", default=community[h]
            )
            if what == OFFICE:
                if c in offices:
                    raise self.fail(
                        f"{where}.community",
                        f"community {communities[c]!r} already has an office (sites[{offices[c]}])",
                    )
                offices[c] = k
            elif what == COMMAND:
                if commands:
                    raise self.fail(
                        f"{where}.kind",
                        f"a second command post (the first is "
                        f"sites[{commands[0]}]): a township has one",
                    )
                commands.append(k)
            kind.append(what)
            community.append(c)
            host.append(h)
            pos.append(self.point(site["pos"], f"{where}.pos") if "pos" in site else pos[h])
        if n_grids == 0:
            raise self.fail("grids", "no grids: a district needs at least one")
        missing = [c for c in range(n_communities) if c not in offices]
        if missing:
            raise self.fail(
                "sites",
                f"community {communities[missing[0]]!r} has no "
                "community_office: every community needs one",
            )
        if not commands:
            raise self.fail("sites", "no command_post: a township needs one")
        empty = sorted(set(range(n_communities)) - set(community[:n_grids]))
        if empty:
            raise self.fail("communities", f"community {communities[empty[0]]!r} has no grid")
        edges = self.edges(data, len(kind))
        self.connected(edges, kind, names, len(kind))
        share = np.array([math.nan if e is None else e for e in elderly])
        net = Network(
            kind=tuple(kind),
            community=np.array(community, dtype=np.int64),
            pos=np.array(pos, dtype=float),
            host=np.array(host, dtype=np.int64),
            lowlying=np.array(lowlying, dtype=bool),
            edges=tuple(edges),
            grid_names=tuple(names),
            community_names=tuple(communities),
            grid_polygons=tuple(polygons) if all(p is not None for p in polygons) else None,
            grid_residents=np.array(residents, dtype=np.int64),
            grid_elderly_share=None if np.isnan(share).all() else share,
            streets=self.streets(data.get("streets")),
            units=units,
        )
        return name, net

    # --- fields ----------------------------------------------------------------------------

    def where(self, field: str, i: int, item: dict[str, Any]) -> str:
        name = item.get("name")
        return f"{field}[{i}]" + (f" ({name!r})" if isinstance(name, str) and name else "")

    def items(self, data: dict[str, Any], field: str, required: bool = False) -> list[dict]:
        value = data.get(field)
        if value is None and not required:
            return []
        if not isinstance(value, list):
            raise self.fail(field, f"must be a list, got {show_value(value)}")
        for i, item in enumerate(value):
            if not isinstance(item, dict):
                raise self.fail(f"{field}[{i}]", f"must be an object, got {show_value(item)}")
        return value

    def names(self, data: dict[str, Any], field: str) -> list[str]:
        value = data.get(field)
        if (
            not isinstance(value, list)
            or not value
            or not all(isinstance(v, str) and v.strip() for v in value)
        ):
            raise self.fail(field, f"must be a non-empty list of names, got {show_value(value)}")
        if len(set(value)) < len(value):
            raise self.fail(field, "two communities have the same name")
        return value

    def text(self, item: dict[str, Any], where: str, key: str, default: str) -> str:
        value = item.get(key, default)
        if not isinstance(value, str) or not value.strip():
            raise self.fail(
                f"{where}.{key}", f"must be a non-empty string, got {show_value(value)}"
            )
        return value

    def count(self, item: dict[str, Any], where: str, key: str) -> int:
        value = item.get(key)
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            got = "nothing" if value is None else show_value(value)
            raise self.fail(f"{where}.{key}", f"must be a whole number of at least 1, got {got}")
        return value

    def share(self, item: dict[str, Any], where: str, key: str) -> float | None:
        value = item.get(key)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 1:
            raise self.fail(
                f"{where}.{key}", f"must be a share from 0 to 1 (or null), got {show_value(value)}"
            )
        return float(value)

    def index(
        self,
        item: dict[str, Any],
        where: str,
        key: str,
        n: int,
        of: str,
        default: int | None = None,
    ) -> int:
        value = item.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < n:
            raise self.fail(
                f"{where}.{key}",
                f"must be the index of one of the {n} {of} (0 to {n - 1}), got {show_value(value)}",
            )
        return value

    def point(self, value: Any, key: str) -> tuple[float, float]:
        if not (
            isinstance(value, list)
            and len(value) == 2
            and all(
                isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)
                for v in value
            )
        ):
            raise self.fail(key, f"must be [x, y], two finite numbers, got {show_value(value)}")
        return float(value[0]), float(value[1])

    def polygon(self, value: Any, key: str) -> list | None:
        """MultiPolygon coordinates: polygons, each a list of rings of [x, y]."""
        if value is None:
            return None
        ok = (
            isinstance(value, list)
            and value
            and all(
                isinstance(poly, list)
                and poly
                and all(isinstance(ring, list) and len(ring) >= 3 for ring in poly)
                for poly in value
            )
        )
        if not ok:
            raise self.fail(
                key,
                "must be MultiPolygon coordinates: a list of polygons, each "
                "a list of rings of at least 3 [x, y] points",
            )
        return [[[self.point(p, key) for p in ring] for ring in poly] for poly in value]

    def streets(self, value: Any) -> tuple | None:
        if value is None:
            return None
        if not isinstance(value, list):
            raise self.fail("streets", f"must be a list of lines, got {show_value(value)}")
        return tuple([self.point(p, f"streets[{i}]") for p in line] for i, line in enumerate(value))

    def edges(self, data: dict[str, Any], n_nodes: int) -> list[tuple[int, int, float]]:
        value = data.get("edges")
        if not isinstance(value, list):
            raise self.fail("edges", f"must be a list of [a, b, minutes], got {show_value(value)}")
        out, seen = [], set()
        for k, edge in enumerate(value):
            ok = (
                isinstance(edge, list)
                and len(edge) == 3
                and all(
                    isinstance(v, int) and not isinstance(v, bool) and 0 <= v < n_nodes
                    for v in edge[:2]
                )
                and isinstance(edge[2], (int, float))
                and not isinstance(edge[2], bool)
            )
            if not ok:
                raise self.fail(
                    f"edges[{k}]",
                    f"must be [a, b, minutes] with nodes 0 to "
                    f"{n_nodes - 1}, got {show_value(edge)}",
                )
            a, b, minutes = edge
            if a == b:
                raise self.fail(f"edges[{k}]", f"joins node {a} to itself")
            if not (math.isfinite(minutes) and minutes > 0):
                raise self.fail(
                    f"edges[{k}]",
                    f"minutes must be a finite number above 0, got {show_value(minutes)}",
                )
            pair = (min(a, b), max(a, b))
            if pair in seen:
                raise self.fail(f"edges[{k}]", f"a second edge between nodes {a} and {b}")
            seen.add(pair)
            out.append((a, b, float(minutes)))
        return out

    def connected(
        self, edges: list[tuple[int, int, float]], kind: list[str], names: list[str], n_nodes: int
    ) -> None:
        rows = [a for a, b, _ in edges] + [b for a, b, _ in edges]
        cols = [b for a, b, _ in edges] + [a for a, b, _ in edges]
        graph = csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(n_nodes, n_nodes))
        _, label = connected_components(graph, directed=False)
        apart = np.flatnonzero(label != label[0])
        if len(apart):
            v = int(apart[0])
            what = (
                f"grid {names[v]!r}" if v < len(names) else f"{kind[v]} (sites[{v - len(names)}])"
            )
            raise self.fail(
                "edges",
                f"the network is not connected: {what} (node {v}) "
                f"cannot be reached from grid {names[0]!r}",
            )
