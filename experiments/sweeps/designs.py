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

A ``factorial`` design may also declare the *worlds* its options are run in (the planner's
decision across hazards and plausible assumptions, :mod:`experiments.sweeps.worlds`)::

    [worlds]
    scenarios = ["../scenarios/township_typhoon.toml"]  # other hazards, besides base
    sample = 8                  # plausible worlds: a Latin hypercube of [uncertainties]

    [uncertainties]
    "flood.road_cut_share" = "plausible"

Every option then meets every world with the same replication seeds: options x worlds x
replications runs; world 0 is the base scenario as given.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from scipy.stats import qmc

from experiments.sweeps.robustness import ranked_outcome
from experiments.sweeps.sensitivity import (
    morris_sample,
    points_per_sample,
    salib_seed,
    sobol_sample,
)
from experiments.sweeps.uncertainties import uncertainty_bounds
from experiments.sweeps.worlds import World, Worlds, parse_worlds, world_list
from sim.params import ConfigError, check_value, param_field, split_key
from sim.scenario import read_toml

DESIGNS = ("factorial", "lhs", "sobol", "morris", "robustness")
TOP_KEYS = (
    "name",
    "description",
    "base",
    "replications",
    "master_seed",
    "outcomes",
    "design",
    "fixed",
    "factors",
    "baseline",
    "question",
    "decision",
    "policies",
    "uncertainties",
    "worlds",
)
# The keys a [design] table may hold, per kind.
DESIGN_KEYS: dict[str, tuple[str, ...]] = {
    "factorial": ("kind",),
    "lhs": ("kind", "samples"),
    "sobol": ("kind", "samples", "second_order"),
    "morris": ("kind", "samples", "levels"),
    "robustness": ("kind", "worlds"),
}
MAX_RUNS = 100_000  # design points x replications: a larger sweep is refused up front
MAX_LEVELS = 1000  # Morris grid levels
MAX_SEED = 2**128 - 1
DEFAULT_OUTCOMES = ["total_harm", "mean_response_min"]  # Sobol and Morris tables


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
    baseline: dict[str, Any] = field(default_factory=dict)
    description: str = ""
    question: str | dict[str, str] = ""  # the planner's question (reports open with it)
    decision: list[str] = field(default_factory=list)  # the factors that are the choice
    worlds: Worlds | None = None  # a factorial design's hazards and plausible worlds

    @property
    def policies(self) -> dict[str, list[Any]]:
        return {k: v for k, v in self.factors.items() if isinstance(v, list)}

    @property
    def ranges(self) -> dict[str, Range]:
        return {k: v for k, v in self.factors.items() if isinstance(v, Range)}

    @property
    def n_points(self) -> int:
        """The number of design points, counted without building them."""
        combos = math.prod(len(v) for v in self.policies.values())
        d = len(self.ranges)
        per_future = {
            "factorial": 1,
            "lhs": self.samples,
            "robustness": self.samples,
            "sobol": self.samples * points_per_sample(d, self.second_order),
            "morris": self.samples * (d + 1),
        }[self.design]
        return combos * per_future * (self.worlds.n if self.worlds else 1)

    @property
    def n_runs(self) -> int:
        return self.n_points * self.replications


def load_sweep(
    path: str | Path, replications: int | None = None, max_runs: int = MAX_RUNS
) -> Sweep:
    """Read and check a whole sweep file; ``replications`` overrides the file's count.

    Every key, type and value is checked, and the design's size (points x replications) is
    counted and refused above ``max_runs``, before anything is built or run: any problem is
    a :class:`ConfigError` naming the file and the key.
    """
    path = Path(path)
    source = str(path)
    data = read_toml(path)
    for key in data:
        if key not in TOP_KEYS:
            raise ConfigError(key, f"unknown sweep key; allowed: {', '.join(TOP_KEYS)}", source)
    name = _text(data, "name", path.stem, source)
    description = _text(data, "description", "", source)
    base = data.get("base")
    base_path = None
    if base is not None:
        if not isinstance(base, str) or not base.strip():
            raise ConfigError("base", f"must be the path of a scenario file, got {base!r}", source)
        try:
            base_path = (path.parent / base).resolve()
            found = base_path.is_file()
        except (OSError, ValueError) as e:
            raise ConfigError("base", f"not a usable path: {base!r} ({e})", source) from None
        if not found:
            raise ConfigError("base", f"file not found: {base_path}", source)
    kind, samples, levels, second_order = _design(data.get("design", {}), source)
    fixed = {
        key: check_value(*split_key(key, source), value, source)
        for key, value in _param_table(data, "fixed", source).items()
    }
    if kind == "robustness":
        factors = _robustness_factors(data, source)
    elif "policies" in data or ("uncertainties" in data and "worlds" not in data):
        raise ConfigError(
            "policies" if "policies" in data else "uncertainties",
            'only a kind = "robustness" design takes policies and uncertainties '
            "(other designs: [factors]; a factorial design's [worlds] table "
            "takes [uncertainties])",
            source,
        )
    else:
        factors = _factors(_param_table(data, "factors", source), kind, source)
    worlds = None
    if "worlds" in data:
        if kind != "factorial":
            raise ConfigError(
                "worlds",
                "only a factorial design takes [worlds] (a robustness design samples its own)",
                source,
            )
        worlds = parse_worlds(data, path.parent, set(factors), source)
    overlap = [k for k in fixed if k in factors]
    if overlap:
        raise ConfigError(f"fixed.{overlap[0]}", "is also a factor: give it in one place", source)
    baseline = _baseline(_param_table(data, "baseline", source), factors, source)
    outcomes = _outcomes(data.get("outcomes", []), source)
    question, decision = _question(data, factors, source)
    for outcome in outcomes if kind == "robustness" else []:
        try:
            ranked_outcome(outcome)
        except ValueError as e:
            raise ConfigError("outcomes", str(e), source) from None
    if replications is None:
        reps = _whole(data, "replications", 1, 1, None, source)
    else:
        reps = replications
        if isinstance(reps, bool) or not isinstance(reps, int) or reps < 1:
            raise ConfigError("--replications", f"must be a whole number >= 1, got {reps!r}")
    seed = _whole(data, "master_seed", 0, 0, MAX_SEED, source)
    sweep = Sweep(
        name=name,
        base=base_path,
        factors=factors,
        design=kind,
        replications=reps,
        master_seed=seed,
        samples=samples,
        levels=levels,
        second_order=second_order,
        fixed=fixed,
        outcomes=outcomes,
        source=source,
        text=path.read_text(encoding="utf-8"),
        baseline=baseline,
        description=description,
        question=question,
        decision=decision,
        worlds=worlds,
    )
    if sweep.n_runs > max_runs:
        key = (
            "factors"
            if sweep.n_points > max_runs
            else "replications"
            if replications is None
            else "--replications"
        )
        raise ConfigError(
            key,
            f"the design has {sweep.n_points:,} points x {reps:,} "
            f"replications = {sweep.n_runs:,} runs, more than the limit of "
            f"{max_runs:,}: sweep fewer points or replications",
            source,
        )
    return sweep


def _question(
    data: dict[str, Any], factors: dict[str, list[Any] | Range], source: str
) -> tuple[str | dict[str, str], list[str]]:
    """The planner's question (a sentence, or a table of sentences by language) and the
    decision factors (list factors of the sweep)."""
    question = data.get("question", "")
    if not (
        isinstance(question, str)
        or isinstance(question, dict)
        and all(isinstance(v, str) for v in question.values())
    ):
        raise ConfigError(
            "question",
            "must be a sentence, or a table of sentences by "
            f'language: {{ en = "...", zh = "..." }}, got {question!r}',
            source,
        )
    decision = data.get("decision", [])
    if not isinstance(decision, list) or not all(isinstance(k, str) for k in decision):
        raise ConfigError("decision", f"must be a list of factor keys, got {decision!r}", source)
    lists = [k for k, v in factors.items() if isinstance(v, list)]
    for key in decision:
        if key not in lists:
            raise ConfigError(
                "decision",
                f"{key!r} is not a list factor of this sweep; list "
                f"factors: {', '.join(lists) or '(none)'}",
                source,
            )
    return question, list(decision)


def _text(data: dict[str, Any], key: str, default: str, source: str) -> str:
    value = data.get(key, default)
    if not isinstance(value, str):
        raise ConfigError(key, f"must be a string, got {value!r}", source)
    return value


def _whole(
    data: dict[str, Any],
    key: str,
    default: int,
    low: int,
    high: int | None,
    source: str,
    table: str = "",
) -> int:
    """A whole-number key (not a boolean) between ``low`` and ``high``."""
    value = data.get(key, default)
    label = f"{table}.{key}" if table else key
    if (
        isinstance(value, bool)
        or not isinstance(value, int)
        or value < low
        or (high is not None and value > high)
    ):
        allowed = f">= {low}" if high is None else f"from {low} to {high:,}"
        shown = (
            repr(value)
            if not isinstance(value, int) or value.bit_length() < 200
            else f"a number of {value.bit_length()} bits"
        )
        raise ConfigError(label, f"must be a whole number {allowed}, got {shown}", source)
    return value


def _design(design: Any, source: str) -> tuple[str, int, int, bool]:
    """The ``[design]`` table: kind, samples (a robustness design's worlds), levels and
    second_order; keys the kind does not use refused."""
    if not isinstance(design, dict):
        raise ConfigError("design", f"must be a table with kind = ..., got {design!r}", source)
    kind = design.get("kind", "factorial")
    if kind not in DESIGNS:
        raise ConfigError(
            "design.kind", f"must be one of {', '.join(DESIGNS)}, got {kind!r}", source
        )
    for key in design:
        if key not in DESIGN_KEYS[kind]:
            raise ConfigError(
                f"design.{key}",
                f"unknown key for a {kind} design; allowed: {', '.join(DESIGN_KEYS[kind])}",
                source,
            )
    samples = _whole(
        design, "worlds" if kind == "robustness" else "samples", 16, 1, MAX_RUNS, source, "design"
    )
    levels = _whole(design, "levels", 4, 2, MAX_LEVELS, source, "design")
    second_order = design.get("second_order", False)
    if not isinstance(second_order, bool):
        raise ConfigError(
            "design.second_order", f"must be true or false, got {second_order!r}", source
        )
    return kind, samples, levels, second_order


def _param_table(data: dict[str, Any], table: str, source: str) -> dict[str, Any]:
    """A table of ``section.key = ...`` with its keys normalized (``section__key`` is
    ``section.key``); a parameter given twice under two spellings is refused."""
    raw = data.get(table, {})
    if not isinstance(raw, dict):
        raise ConfigError(table, f'must be a table of "section.key" = ..., got {raw!r}', source)
    out: dict[str, Any] = {}
    spelt: dict[str, str] = {}
    for key, value in raw.items():
        try:
            section, name = split_key(key, source)
        except ConfigError as e:  # the same message, with the table in the key
            message = str(e).removeprefix(f"{source}: {key}: ")
            raise ConfigError(f"{table}.{key}", message, source) from None
        full = f"{section}.{name}"
        if full in out:
            raise ConfigError(
                f"{table}.{key}", f"the same parameter as {spelt[full]!r}: give it once", source
            )
        out[full], spelt[full] = value, key
    return out


def _factors(raw: dict[str, Any], kind: str, source: str) -> dict[str, list[Any] | Range]:
    if not raw:
        raise ConfigError("factors", "a sweep needs at least one factor", source)
    factors: dict[str, list[Any] | Range] = {}
    for full, spec in raw.items():
        section, name = full.split(".", 1)
        if isinstance(spec, list):
            if not spec:
                raise ConfigError(f"factors.{full}", "needs at least one value", source)
            factors[full] = [check_value(section, name, v, source) for v in spec]
        elif isinstance(spec, dict) and set(spec) == {"low", "high"}:
            low = check_value(section, name, spec["low"], source)
            high = check_value(section, name, spec["high"], source)
            if isinstance(low, (bool, str)) or not low < high:
                raise ConfigError(
                    f"factors.{full}", "a range needs numbers with low < high", source
                )
            integer = type(param_field(section, name).default) is int
            factors[full] = Range(float(low), float(high), integer)
        else:
            raise ConfigError(
                f"factors.{full}",
                f"must be a list of values or {{low = ..., high = ...}}, got {spec!r}",
                source,
            )
    has_range = any(isinstance(v, Range) for v in factors.values())
    if kind == "factorial" and has_range:
        raise ConfigError("factors", "a factorial design needs lists of values, not ranges", source)
    if kind != "factorial" and not has_range:
        raise ConfigError("factors", f"a {kind} design needs at least one range factor", source)
    return factors


def _robustness_factors(data: dict[str, Any], source: str) -> dict[str, list[Any] | Range]:
    """A robustness file's ``[policies]`` (lists of levels, crossed) and ``uncertainties``
    (ranges, sampled) as factors: the policies first, in the file's order."""
    if "factors" in data:
        raise ConfigError(
            "factors",
            "a robustness design takes [policies] and uncertainties, not [factors]",
            source,
        )
    raw = _param_table(data, "policies", source)
    if not raw:
        raise ConfigError(
            "policies", "a robustness design needs a [policies] table of key = [levels]", source
        )
    policies = _factors(raw, "factorial", source)
    bounds = uncertainty_bounds(data.get("uncertainties"), set(policies), source)
    return {**policies, **{k: Range(b.low, b.high, b.integer) for k, b in bounds.items()}}


def _baseline(
    raw: dict[str, Any], factors: dict[str, list[Any] | Range], source: str
) -> dict[str, Any]:
    """The policy reports compare against: a level of list factors."""
    baseline = {}
    for full, value in raw.items():
        section, name = full.split(".", 1)
        value = check_value(section, name, value, source)
        levels = factors.get(full)
        if not isinstance(levels, list):
            lists = [k for k, v in factors.items() if isinstance(v, list)]
            raise ConfigError(
                f"baseline.{full}",
                f"must name one of the sweep's list factors: {', '.join(lists) or '(none)'}",
                source,
            )
        if value not in levels:
            raise ConfigError(
                f"baseline.{full}",
                f"{value!r} is not one of the factor's levels: {', '.join(map(repr, levels))}",
                source,
            )
        baseline[full] = value
    return baseline


def _outcomes(raw: Any, source: str) -> list[str]:
    from sim.outcomes import OUTCOMES

    if not isinstance(raw, list) or not all(isinstance(o, str) for o in raw):
        raise ConfigError(
            "outcomes", f'must be a list of outcome names, e.g. ["total_harm"], got {raw!r}', source
        )
    for outcome in raw:
        if outcome not in OUTCOMES:
            raise ConfigError(
                "outcomes", f"unknown outcome {outcome!r}; allowed: {', '.join(OUTCOMES)}", source
            )
    if len(set(raw)) != len(raw):
        raise ConfigError("outcomes", "names an outcome twice", source)
    return list(raw)


def replication_seeds(master_seed: int, replications: int) -> list[int]:
    """One seed per replication, shared by every design point (common random numbers)."""
    children = np.random.SeedSequence(master_seed).spawn(replications)
    return [int(c.generate_state(1)[0]) for c in children]


def unit_sample(sweep: Sweep) -> np.ndarray:
    """The design over the range factors in the unit cube, one row per sampled point."""
    d = len(sweep.ranges)
    rng = np.random.default_rng(
        np.random.SeedSequence(sweep.master_seed).spawn(1)[0].generate_state(2)
    )
    if sweep.design in ("lhs", "robustness"):
        return qmc.LatinHypercube(d=d, seed=rng).random(sweep.samples)
    if sweep.design == "sobol":
        return sobol_sample(sweep.samples, d, salib_seed(sweep.master_seed), sweep.second_order)
    return morris_sample(sweep.samples, d, sweep.levels, salib_seed(sweep.master_seed))


def sweep_worlds(sweep: Sweep) -> list[World]:
    """The worlds a factorial sweep's options meet (one, the base, without [worlds])."""
    if sweep.worlds is None:
        return [World(0, "", str(sweep.base) if sweep.base else None, {})]
    return world_list(sweep.worlds, sweep.base, sweep.master_seed, sweep.fixed)


def design_points(sweep: Sweep) -> list[dict[str, Any]]:
    """Every design point as ``{config key: value}``: list factors crossed with the sample."""
    policies = sweep.policies
    combos = [dict(zip(policies, values)) for values in itertools.product(*policies.values())]
    if sweep.design == "factorial":
        if sweep.worlds is None:
            return combos
        return [{**combo, **world.values} for world in sweep_worlds(sweep) for combo in combos]
    ranges = sweep.ranges
    unit = unit_sample(sweep)
    columns = {k: r.scale(unit[:, i]) for i, (k, r) in enumerate(ranges.items())}
    sampled = [{k: columns[k][j] for k in ranges} for j in range(len(unit))]
    return [{**combo, **point} for combo in combos for point in sampled]
