"""A district's real geometry on the report's maps: grid outlines coloured by a value, their
names, low-lying grids outlined in blue, and the streets beneath (a township read from a
district file, ``space.layout = "district"``). A generated township has no outlines: the
maps draw it as dots on its network (``charts.run_map``, ``charts.harm_maps``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from matplotlib.collections import LineCollection, PatchCollection
from matplotlib.patches import PathPatch
from matplotlib.path import Path as MplPath

LOWLYING = "#56B4E9"
MAX_NAMED = 80  # more grids than this: colours only, names would cover the map


@dataclass(frozen=True)
class Outlines:
    """What a map needs of a district: per grid its outline, name and centre; the streets."""

    polygons: tuple
    names: tuple[str, ...]
    centres: np.ndarray
    streets: tuple | None


def outlines(township: Any) -> Outlines | None:
    """The outlines of a township read from a district file (None for a generated one, or a
    district file without outlines)."""
    if getattr(township, "grid_polygons", None) is None:
        return None
    return Outlines(
        township.grid_polygons,
        township.grid_names,
        np.asarray(township.grid_pos, dtype=float),
        township.network.streets,
    )


def _path(polygons: list) -> MplPath:
    """One path of a grid's polygons and their holes."""
    vertices, codes = [], []
    for polygon in polygons:
        for ring in polygon:
            vertices += list(ring)
            codes += [MplPath.MOVETO] + [MplPath.LINETO] * (len(ring) - 2) + [MplPath.CLOSEPOLY]
    return MplPath(np.asarray(vertices, dtype=float), codes)


def draw(
    ax: Any,
    shapes: Outlines,
    values: np.ndarray,
    lowlying: np.ndarray | None = None,
    vmin: float | None = None,
    vmax: float | None = None,
    cmap: str = "cividis",
) -> Any:
    """Grids coloured by ``values`` (returns the collection, for a colour bar)."""
    if shapes.streets:
        ax.add_collection(
            LineCollection(
                [np.asarray(s) for s in shapes.streets],
                colors="#FFFFFF",
                alpha=0.45,
                linewidths=0.7,
                zorder=3,
            )
        )
    patches = [PathPatch(_path(p)) for p in shapes.polygons]
    low = np.zeros(len(patches), dtype=bool) if lowlying is None else np.asarray(lowlying)
    grids = PatchCollection(
        patches,
        cmap=cmap,
        zorder=2,
        edgecolors=np.where(low, LOWLYING, "#555555"),
        linewidths=np.where(low, 2.5, 0.6),
    )
    grids.set_array(np.asarray(values, dtype=float))
    grids.set_clim(vmin, vmax)
    ax.add_collection(grids)
    if len(patches) <= MAX_NAMED:
        size = 9 if len(patches) <= 40 else 7
        box = {"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none", "alpha": 0.75}
        for (x, y), name in zip(shapes.centres, shapes.names):  # text, also in the SVG
            ax.text(x, y, name, fontsize=size, ha="center", va="center", zorder=4, bbox=box)
    every = np.concatenate(
        [np.asarray(ring, dtype=float) for p in shapes.polygons for poly in p for ring in poly]
    )
    ax.set_xlim(every[:, 0].min(), every[:, 0].max())
    ax.set_ylim(every[:, 1].min(), every[:, 1].max())
    ax.set_aspect("equal")
    ax.set_xticks([])
    ax.set_yticks([])
    return grids
