"""A township's places and travel minutes as plain data (:class:`Network`): what a generator
makes (``sim/township.py``) and a district file holds (``sim/district.py``), and what
:class:`~sim.township.Township` is built from."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# The kinds of node: grids, community offices, the command post, shelters, co-located units.
GRID, OFFICE, COMMAND, SHELTER, UNIT = "grid", "community_office", "command_post", "shelter", "unit"


@dataclass(frozen=True)
class Network:
    """A township's places and travel minutes as plain data: what a generator makes and a
    district file (``sim/district.py``) holds; :class:`Township` builds itself from it.

    Nodes ``0 .. n_grids - 1`` are the grids; the others are sites (community offices, the
    command post, shelters, co-located units), each standing in a ``host`` grid. Edges join
    two nodes at most once and keep the order given (a flood draws the roads it cuts in
    the order of their lower node, then this one).
    The rest is what a district knows and a generator does not (None for a generated one):
    names and outlines for maps, residents and elderly shares per grid.
    """

    kind: tuple[str, ...]  # per node: GRID, OFFICE, COMMAND, SHELTER, UNIT
    community: np.ndarray  # per node
    pos: np.ndarray  # per node, (n_nodes, 2): where maps draw it
    host: np.ndarray  # per node: the grid it stands in (a grid: itself)
    lowlying: np.ndarray  # per grid
    edges: tuple[tuple[int, int, float], ...]  # (a, b, minutes)
    grid_names: tuple[str, ...] | None = None
    community_names: tuple[str, ...] | None = None
    grid_polygons: tuple | None = None  # per grid: polygons, each a list of rings of (x, y)
    grid_residents: np.ndarray | None = None
    grid_elderly_share: np.ndarray | None = None  # nan: the population's share_60plus
    streets: tuple | None = None  # polylines of (x, y), drawn under the grids
    units: str = "grid spacing"  # of pos and the outlines ("m" for a district)

    @property
    def n_grids(self) -> int:
        return len(self.lowlying)
