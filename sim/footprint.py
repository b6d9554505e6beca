"""A run's peak memory, estimated from its configuration before the model is built.

The terms that grow fastest are the all-pairs travel-minute matrix of the township's network
(``Township.travel``: nodes x nodes float64, from the compiled searches of ``sim/paths.py``)
and, for the ``random_geometric`` layout, the grids x communities distance arrays of the
clustering (``township._communities``). A flood keeps two travel matrices: the dry one
(restored when the water recedes) and the flooded one, updated in place one source's row
and column at a time (the searches' buffers grow with the nodes, not their square). The
rest grows linearly: resident arrays, need records, agents and the networkx graph, with
constants measured with ``tracemalloc`` (see ``tests/test_inputs.py``, which checks the
estimate against measured runs). A district (``space.layout = "district"``)
counts its own grids, communities and sites from its file; its residents are
``population.n_residents``, which must be the district's total.

:func:`check_memory` refuses a configuration whose estimate exceeds a limit (by default half
of the machine's physical memory) with a :class:`ConfigError` that gives both, so that a run
which cannot fit stops at once instead of failing with ``MemoryError`` after minutes.
"""

from __future__ import annotations

import math
import os
import re
from dataclasses import dataclass

from .params import Config, ConfigError

FLOAT_BYTES = 8
# Constants rounded up from the peak resident memory of runs of 30,000 to 300,000 residents.
RESIDENT_BYTES = 160  # resident arrays (~62 B) and the temporaries that build them
NEED_BYTES = 1000  # need columns (161 B) with doubling capacity, events and the result table
AGENT_BYTES = 1500  # a Mesa agent with its attributes and registration
NODE_BYTES = 2500  # a networkx node with its edges and attributes, and per-grid arrays
UNITS = {"": 1, "k": 1 << 10, "m": 1 << 20, "g": 1 << 30, "t": 1 << 40}
DEFAULT_SHARE = 0.5  # of physical memory, when no limit is given
FALLBACK_LIMIT = 8 << 30  # when physical memory cannot be read


@dataclass(frozen=True)
class Footprint:
    """Estimated peak bytes of one run, by term."""

    nodes: int
    travel_matrices: int  # matrices alive at once
    travel: int
    clustering: int
    residents: int
    needs: int
    agents: int
    network: int

    @property
    def total(self) -> int:
        return (
            self.travel + self.clustering + self.residents + self.needs + self.agents + self.network
        )

    def describe(self) -> str:
        one = format_size(self.travel // self.travel_matrices)
        parts = [f"travel matrix {self.travel_matrices} x {one} ({self.nodes:,} nodes)"]
        for name in ("clustering", "residents", "needs", "agents", "network"):
            if getattr(self, name) >= 1 << 20:
                parts.append(f"{name} {format_size(getattr(self, name))}")
        return ", ".join(parts)


def estimate(config: Config) -> Footprint:
    """The estimated peak memory of ``simulate(config)``, by term (no model is built)."""
    pop, space = config.population, config.space
    n = pop.n_residents
    if space.layout == "district":  # its own grids and sites (n is checked to be its total)
        from .district import load_district

        district = load_district(space.district_file)
        grids, communities = district.n_grids, district.n_communities
        nodes, units = district.n_nodes, district.n_units
    else:
        grids = max(1, math.ceil(n / pop.residents_per_grid))
        communities = _communities(grids, pop.grids_per_community, space.layout)
        nodes = (
            grids
            + communities * (1 + space.shelters_per_community + space.colocated_units_per_community)
            + 1
        )
        units = communities * space.colocated_units_per_community
    matrices = 2 if config.flood.enabled else 1
    travel = matrices * nodes * nodes * FLOAT_BYTES
    clustering = 0
    if space.layout == "random_geometric":
        # (grids, communities, 2) differences and their squares, and their (grids,
        # communities) sum, alive together in each Lloyd iteration
        clustering = grids * communities * (2 * 2 + 1) * FLOAT_BYTES
    org, vol = config.organization, config.volunteers
    # Grid managers (none in the pre-reform street) and grid party organizations.
    per_grid = {"integrated_party": 2, "pre_reform": 0}.get(org.structure, 1)
    agents = (
        grids * per_grid
        + communities
        + communities * org.community_cadres_per_community
        + round(n / 1000 * (org.township_cadres_per_1000 + org.organ_cadres_per_1000))
        + round(n / 1000 * vol.team_size_per_1000) * 2  # the team grows in peacetime
        + units * 5
    )
    return Footprint(
        nodes=nodes,
        travel_matrices=matrices,
        travel=travel,
        clustering=clustering,
        residents=n * RESIDENT_BYTES,
        needs=expected_needs(config) * NEED_BYTES,
        agents=agents * AGENT_BYTES,
        network=nodes * NODE_BYTES,
    )


def expected_needs(config: Config) -> int:
    """About how many needs a run creates (an upper-side estimate from each enabled
    hazard's rates: ``Hazard.expected_needs``)."""
    from .registry import HAZARDS

    return math.ceil(
        sum(
            spec.model.expected_needs(config)
            for name, spec in HAZARDS.items()
            if getattr(config, name).enabled
        )
    )


def _communities(grids: int, per_community: int, layout: str) -> int:
    """Communities of the township (``township._communities``): blocks on a lattice."""
    if layout != "lattice":
        return max(1, math.ceil(grids / per_community))
    cols = max(1, math.ceil(math.sqrt(grids)))
    rows = math.ceil(grids / cols)
    sx = max(1, round(math.sqrt(per_community)))
    sy = max(1, math.ceil(per_community / sx))
    return math.ceil(rows / sy) * math.ceil(min(grids, cols) / sx)


def physical_memory() -> int | None:
    """The machine's physical memory in bytes (``MemTotal``), or None if unknown."""
    try:
        return os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (AttributeError, ValueError, OSError):
        return None


def default_limit() -> int:
    """Half of physical memory (or 8 GiB where it cannot be read)."""
    total = physical_memory()
    return int(total * DEFAULT_SHARE) if total else FALLBACK_LIMIT


def parse_size(text: str, source: str = "--max-memory") -> int | None:
    """``"8G"``, ``"500M"``, ``"1.5GiB"``, ``"2048"`` (bytes) as bytes, with binary units
    (K = 1024); ``"none"`` turns the limit off (None)."""
    cleaned = str(text).strip().lower()
    if cleaned in ("none", "off", "unlimited"):
        return None
    match = re.fullmatch(r"(\d+(?:\.\d+)?)\s*([kmgt]?)(i?b)?", cleaned)
    if not match or (match.group(3) == "ib" and not match.group(2)):
        raise ConfigError(
            str(text)[:40],
            "expected a size such as 8G, 500M, 1.5GiB or a "
            "number of bytes (or 'none' for no limit)",
            source,
        )
    size = float(match.group(1)) * UNITS[match.group(2)]
    if not size >= 1 << 20:
        raise ConfigError(str(text)[:40], "must be at least 1M", source)
    return int(size)


def format_size(size: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if size < 1024:
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size:.1f} TiB"


def check_memory(
    config: Config, limit: int | str | None = None, source: str = "--max-memory"
) -> Footprint:
    """Refuse (ConfigError) a configuration whose estimated peak memory is over ``limit``.

    ``limit`` is bytes, a size text (``"8G"``; ``"none"`` for no limit) or None for the
    default, half of physical memory. Returns the estimate. A sweep runner calls it for
    every design point before the first run.
    """
    if limit is None:
        limit = default_limit()
    elif isinstance(limit, str):
        limit = parse_size(limit, source)
    footprint = estimate(config)
    if limit is not None and footprint.total > limit:
        raise ConfigError(
            "estimated peak memory",
            f"{format_size(footprint.total)} "
            f"({footprint.describe()}) is over the limit of {format_size(limit)} ({source}, "
            "default half of physical memory); lower population.n_residents or raise "
            "population.residents_per_grid",
            f"scenario '{config.name}'",
        )
    return footprint
