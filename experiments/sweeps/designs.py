"""Sweep files and experimental designs: which parameter points to run, with which seeds.

A sweep file (TOML) names a base scenario, fixed overrides, factors and a design::

    name = "reporting_structure"
    base = "../scenarios/street_flood.toml"   # relative to the sweep file
    replications = 30
    master_seed = 20240601

    [design]
    kind = "factorial"          # factorial | lhs | sobol | morris | robustness
    # samples = 64              # lhs: points; sobol: base samples N; morris: trajectories
    # levels = 4                # morris grid levels
    # second_order = false      # sobol: also second-order indices (N (2d + 2) points)

    [fixed]                     # overrides applied at every point
    "time.war_hours" = 48

    [factors]                   # config keys; a list is crossed, a range is sampled
    "reporting.mechanism" = ["hierarchical", "direct", "joint_meeting", "grid_autonomy"]
    "population.initial_trust" = { low = 0.2, high = 0.8 }

In a ``factorial`` design every factor is a list and the design is their full product. In
``lhs``, ``sobol`` and ``morris`` designs the range factors are sampled (seeded from the
master seed) and any list factors (policies) are crossed with the sample, so policies are
compared on the same uncertain futures. Factor names are checked like a config: a typo is a
:class:`ConfigError` naming the valid keys. Sobol and Morris designs are SALib's
(:mod:`experiments.sweeps.sensitivity`).

A ``robustness`` design names the planner's levers and the uncertain assumptions instead of
``[factors]``; every policy (the levers' levels crossed) is run in every world (a Latin
hypercube of the uncertainties' plausible ranges, see :mod:`experiments.sweeps.uncertainties`)::

    uncertainties = "all"       # or a list of keys, or an [uncertainties] table (before
                                # any [table] header: TOML puts later keys in that table)
    [design]
    kind = "robustness"
    worlds = 200

    [policies]
    "reporting.mechanism" = ["hierarchical", "direct"]
    "organization.structure" = ["siloed", "integrated_party"]
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from scipy.stats import qmc

from sim.params import ConfigError, check_value, param_field, split_key
from sim.scenario import read_toml

from experiments.sweeps.robustness import ranked_outcome
from experiments.sweeps.sensitivity import morris_sample, salib_seed, sobol_sample
from experiments.sweeps.uncertainties import uncertainty_bounds

DESIGNS = ("factorial", "lhs", "sobol", "morris", "robustness")
TOP_KEYS = ("name", "description", "base", "replications", "master_seed", "outcomes",
            "design", "fixed", "factors", "baseline", "policies", "uncertainties")


@dataclass(frozen=True)
class Range:
    """A sampled factor: uniform over [low, high] (rounded for whole-number parameters)."""

    low: float
    high: float
    integer: bool = False

    def scale(self, u: np.ndarray) -> list[Any]:
        x = self.low + np.asarray(u) * (self.high - self.low)
        return [int(round(v)) for v in x] if self.integer else [float(v) for v in x]


@dataclass
class Sweep:
    """A parsed, checked sweep file."""

    name: str
    base: Path | None
    factors: dict[str, list[Any] | Range]
    design: str = "factorial"
    replications: int = 1
    master_seed: int = 0
    samples: int = 16
    levels: int = 4
    second_order: bool = False
    fixed: dict[str, Any] = field(default_factory=dict)
    outcomes: list[str] = field(default_factory=list)
    source: str = ""
    text: str = ""

    @property
    def policies(self) -> dict[str, list[Any]]:
        return {k: v for k, v in self.factors.items() if isinstance(v, list)}

    @property
    def ranges(self) -> dict[str, Range]:
        return {k: v for k, v in self.factors.items() if isinstance(v, Range)}


def load_sweep(path: str | Path, replications: int | None = None) -> Sweep:
    """Read and check a sweep file; ``replications`` overrides the file's count."""
    path = Path(path)
    source = str(path)
    data = read_toml(path)
    for key in data:
        if key not in TOP_KEYS:
            raise ConfigError(key, f"unknown sweep key; allowed: {', '.join(TOP_KEYS)}", source)
    baseline = data.get("baseline", {})  # the policy reports compare against
    if not isinstance(baseline, dict):
        raise ConfigError("baseline", "must be a table of factor = value", source)
    for key, value in baseline.items():
        section, name = split_key(key, source)
        check_value(section, name, value, source)
        levers = data.get("factors") or data.get("policies") or {}
        if key not in levers:
            raise ConfigError(f"baseline.{key}", "must name one of the sweep's factors: "
                              f"{', '.join(levers)}", source)
    design = data.get("design", {})
    if not isinstance(design, dict):
        raise ConfigError("design", "must be a table with kind = ...", source)
    kind = design.get("kind", "factorial")
    if kind not in DESIGNS:
        raise ConfigError("design.kind", f"must be one of {', '.join(DESIGNS)}, got {kind!r}",
                          source)
    base = data.get("base")
    base_path = (path.parent / base).resolve() if base else None
    if base_path is not None and not base_path.is_file():
        raise ConfigError("base", f"file not found: {base_path}", source)
    fixed = {}
    for key, value in data.get("fixed", {}).items():
        section, name = split_key(key, source)
        fixed[f"{section}.{name}"] = check_value(section, name, value, source)
    if kind == "robustness":
        raw_factors = robustness_factors(data, source)
    elif "policies" in data or "uncertainties" in data:
        raise ConfigError("policies" if "policies" in data else "uncertainties",
                          'only a kind = "robustness" design takes policies and uncertainties '
                          "(other designs: [factors])", source)
    else:
        raw_factors = data.get("factors", {})
    if not raw_factors:
        raise ConfigError("factors", "a sweep needs at least one factor", source)
    factors: dict[str, list[Any] | Range] = {}
    for key, spec in raw_factors.items():
        section, name = split_key(key, source)
        full = f"{section}.{name}"
        if isinstance(spec, Range):
            factors[full] = spec
        elif isinstance(spec, list):
            if not spec:
                raise ConfigError(full, "needs at least one value", source)
            factors[full] = [check_value(section, name, v, source) for v in spec]
        elif isinstance(spec, dict) and set(spec) == {"low", "high"}:
            low = check_value(section, name, spec["low"], source)
            high = check_value(section, name, spec["high"], source)
            if isinstance(low, (bool, str)) or not low < high:
                raise ConfigError(full, "a range needs numbers with low < high", source)
            integer = type(param_field(section, name).default) is int
            factors[full] = Range(float(low), float(high), integer)
        else:
            raise ConfigError(full, "must be a list of values or {low = ..., high = ...}",
                              source)
    if kind == "factorial" and any(isinstance(v, Range) for v in factors.values()):
        raise ConfigError("factors", "a factorial design needs lists of values, not ranges",
                          source)
    if kind != "factorial" and not any(isinstance(v, Range) for v in factors.values()):
        raise ConfigError("factors", f"a {kind} design needs at least one range factor",
                          source)
    reps = replications if replications is not None else data.get("replications", 1)
    if not isinstance(reps, int) or reps < 1:
        raise ConfigError("replications", f"must be a whole number >= 1, got {reps!r}", source)
    samples = design.get("worlds" if kind == "robustness" else "samples", 16)
    levels = design.get("levels", 4)
    second_order = design.get("second_order", False)
    if not isinstance(second_order, bool):
        raise ConfigError("design.second_order", f"must be true or false, got {second_order!r}",
                          source)
    for key, value, low in (("design.worlds" if kind == "robustness" else "design.samples",
                             samples, 1), ("design.levels", levels, 2)):
        if not isinstance(value, int) or value < low:
            raise ConfigError(key, f"must be a whole number >= {low}, got {value!r}", source)
    seed = data.get("master_seed", 0)
    if not isinstance(seed, int) or seed < 0:
        raise ConfigError("master_seed", f"must be a whole number >= 0, got {seed!r}", source)
    return Sweep(name=str(data.get("name", path.stem)), base=base_path, factors=factors,
                 design=kind, replications=reps, master_seed=seed, samples=samples,
                 levels=levels, second_order=second_order, fixed=fixed,
                 outcomes=list(data.get("outcomes", [])), source=source, text=path.read_text(encoding="utf-8"))


def robustness_factors(data: dict[str, Any], source: str) -> dict[str, Any]:
    """A robustness file's ``[policies]`` (lists of levels) and ``uncertainties`` (ranges)
    as factors: the policies first, in the file's order."""
    if "factors" in data:
        raise ConfigError("factors", "a robustness design takes [policies] and uncertainties, "
                          "not [factors]", source)
    policies = data.get("policies", {})
    if not isinstance(policies, dict) or not policies or \
            not all(isinstance(v, list) for v in policies.values()):
        raise ConfigError("policies", "a robustness design needs a [policies] table of "
                          "key = [levels]", source)
    for outcome in data.get("outcomes", []):
        try:
            ranked_outcome(outcome)
        except ValueError as e:
            raise ConfigError("outcomes", str(e), source) from None
    keys = {".".join(split_key(k, source)) for k in policies}
    bounds = uncertainty_bounds(data.get("uncertainties"), keys, source)
    return {**policies, **{k: Range(b.low, b.high, b.integer) for k, b in bounds.items()}}


def replication_seeds(master_seed: int, replications: int) -> list[int]:
    """One seed per replication, shared by every design point (common random numbers)."""
    children = np.random.SeedSequence(master_seed).spawn(replications)
    return [int(c.generate_state(1)[0]) for c in children]


def unit_sample(sweep: Sweep) -> np.ndarray:
    """The design over the range factors in the unit cube, one row per sampled point."""
    d = len(sweep.ranges)
    rng = np.random.default_rng(np.random.SeedSequence(sweep.master_seed).spawn(1)[0]
                                .generate_state(2))
    if sweep.design in ("lhs", "robustness"):
        return qmc.LatinHypercube(d=d, seed=rng).random(sweep.samples)
    if sweep.design == "sobol":
        return sobol_sample(sweep.samples, d, salib_seed(sweep.master_seed), sweep.second_order)
    return morris_sample(sweep.samples, d, sweep.levels, salib_seed(sweep.master_seed))


def design_points(sweep: Sweep) -> list[dict[str, Any]]:
    """Every design point as ``{config key: value}``: list factors crossed with the sample."""
    policies = sweep.policies
    combos = [dict(zip(policies, values)) for values in itertools.product(*policies.values())]
    if sweep.design == "factorial":
        return combos
    ranges = sweep.ranges
    unit = unit_sample(sweep)
    columns = {k: r.scale(unit[:, i]) for i, (k, r) in enumerate(ranges.items())}
    sampled = [{k: columns[k][j] for k in ranges} for j in range(len(unit))]
    return [{**combo, **point} for combo in combos for point in sampled]
