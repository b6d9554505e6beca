"""The worlds a factorial sweep's options are run in: hazards and plausible assumptions.

A factorial sweep (the planner's options) may declare::

    [worlds]
    scenarios = ["../scenarios/township_typhoon.toml"]   # other hazards, besides base
    sample = 8                                            # plausible worlds

    [uncertainties]                                       # what a plausible world varies
    "flood.road_cut_share" = "plausible"

The worlds, numbered in this order:

- world 0: the sweep's ``base`` scenario as given (its stated values);
- one world per further scenario, as given;
- ``sample`` plausible worlds: a Latin hypercube of the uncertainties' ranges (seeded from the
  sweep's master seed, so the same file always draws the same worlds), the j-th applied to
  the scenarios in turn (base, then each further scenario, then base again...).

Every option meets every world with the same replication seeds (common random numbers).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from scipy.stats import qmc

from experiments.sweeps.uncertainties import Bounds, uncertainty_bounds
from sim.params import ConfigError

WORLDS_KEYS = ("scenarios", "sample")
WORLD_STREAM = 7  # the world sample's seed stream (spawn key) under the master seed


@dataclass(frozen=True)
class Worlds:
    """A sweep's ``[worlds]`` table, checked."""

    scenarios: list[Path] = field(default_factory=list)  # besides the base scenario
    sample: int = 0
    uncertainties: dict[str, Bounds] = field(default_factory=dict)

    @property
    def n(self) -> int:
        return 1 + len(self.scenarios) + self.sample


@dataclass(frozen=True)
class World:
    """One world: a scenario file and the uncertain values set in it (none: as given)."""

    index: int
    scenario: str  # the scenario file's stem, e.g. "street_flood"
    base: str | None  # the scenario file
    values: dict[str, Any]  # the uncertainties' values (a scenario's own where not sampled)
    sampled: bool = False


def parse_worlds(data: dict[str, Any], folder: Path, factors: set[str], source: str) -> Worlds:
    """The ``[worlds]`` table and, for a sample, the ``[uncertainties]`` table."""
    raw = data["worlds"]
    if not isinstance(raw, dict):
        raise ConfigError("worlds", "must be a table: scenarios = [...], sample = N", source)
    for key in raw:
        if key not in WORLDS_KEYS:
            raise ConfigError(
                f"worlds.{key}", f"unknown key; allowed: {', '.join(WORLDS_KEYS)}", source
            )
    files = raw.get("scenarios", [])
    if not isinstance(files, list) or not all(isinstance(f, str) and f.strip() for f in files):
        raise ConfigError(
            "worlds.scenarios",
            f"must be a list of scenario files (relative to the sweep file), got {files!r}",
            source,
        )
    scenarios = []
    for f in files:
        path = (folder / f).resolve()
        if not path.is_file():
            raise ConfigError("worlds.scenarios", f"file not found: {path}", source)
        scenarios.append(path)
    sample = raw.get("sample", 0)
    if isinstance(sample, bool) or not isinstance(sample, int) or not 0 <= sample <= 10_000:
        raise ConfigError(
            "worlds.sample", f"must be a whole number from 0 to 10,000, got {sample!r}", source
        )
    bounds: dict[str, Bounds] = {}
    if sample:
        if "uncertainties" not in data:
            raise ConfigError(
                "worlds.sample",
                "a sample of plausible worlds needs an "
                "[uncertainties] table (what the worlds vary)",
                source,
            )
        bounds = uncertainty_bounds(data["uncertainties"], factors, source)
    elif "uncertainties" in data:
        raise ConfigError("uncertainties", "no world samples them: set worlds.sample", source)
    return Worlds(scenarios, sample, bounds)


def sample_values(worlds: Worlds, master_seed: int) -> list[dict[str, Any]]:
    """The plausible worlds' uncertain values: a Latin hypercube, the same for the same
    master seed (its own seed stream, apart from the replication seeds)."""
    if not worlds.sample:
        return []
    seq = np.random.SeedSequence(master_seed, spawn_key=(WORLD_STREAM,))
    unit = qmc.LatinHypercube(d=len(worlds.uncertainties), seed=np.random.default_rng(seq)).random(
        worlds.sample
    )
    out = []
    for row in unit:
        values = {}
        for u, (key, b) in zip(row, worlds.uncertainties.items()):
            x = b.low + float(u) * (b.high - b.low)
            values[key] = int(round(x)) if b.integer else x
        out.append(values)
    return out


def world_list(
    worlds: Worlds, base: Path | None, master_seed: int, fixed: dict[str, Any] | None = None
) -> list[World]:
    """Every world, numbered: the base scenario, the other scenarios, the sampled worlds.
    A world as given carries its scenario's own values of the uncertainties (with the
    sweep's ``fixed`` values), so every run states the values it ran with."""
    from sim.scenario import load_scenario

    files = [base, *worlds.scenarios]
    out = []
    for i, f in enumerate(files):
        flat = load_scenario(f, overrides=fixed or {}).flat()
        out.append(
            World(
                i,
                Path(f).stem if f else "default",
                str(f) if f else None,
                {k: flat[k] for k in worlds.uncertainties},
            )
        )
    for j, values in enumerate(sample_values(worlds, master_seed)):
        f = files[j % len(files)]
        out.append(
            World(len(out), Path(f).stem if f else "default", str(f) if f else None, values, True)
        )
    return out
