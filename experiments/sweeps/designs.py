"""Sweep files and experimental designs: which parameter points to run, with which seeds.

A sweep file (TOML) names a base scenario, fixed overrides, factors and a design::

    name = "reporting_structure"
    base = "../scenarios/street_flood.toml"   # relative to the sweep file
    replications = 30
    master_seed = 20240601

    [design]
    kind = "factorial"          # factorial | lhs | sobol | morris
    # samples = 64              # lhs: points; sobol: base samples N; morris: trajectories
    # levels = 4                # morris grid levels

    [fixed]                     # overrides applied at every point
    "time.war_hours" = 48

    [factors]                   # config keys; a list is crossed, a range is sampled
    "reporting.mechanism" = ["hierarchical", "direct", "joint_meeting", "grid_autonomy"]
    "population.initial_trust" = { low = 0.2, high = 0.8 }

In a ``factorial`` design every factor is a list and the design is their full product. In
``lhs``, ``sobol`` and ``morris`` designs the range factors are sampled (seeded from the
master seed) and any list factors (policies) are crossed with the sample, so policies are
compared on the same uncertain futures. Factor names are checked like a config: a typo is a
:class:`ConfigError` naming the valid keys.
"""

from __future__ import annotations

import itertools
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from scipy.stats import qmc

from sim.params import ConfigError, check_value, param_field, split_key
from sim.scenario import read_toml

DESIGNS = ("factorial", "lhs", "sobol", "morris")
TOP_KEYS = ("name", "description", "base", "replications", "master_seed", "outcomes",
            "design", "fixed", "factors", "baseline", "question", "decision")


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
    fixed: dict[str, Any] = field(default_factory=dict)
    outcomes: list[str] = field(default_factory=list)
    source: str = ""
    text: str = ""
    question: str | dict[str, str] = ""  # the planner's question (reports open with it)
    decision: list[str] = field(default_factory=list)  # the factors that are the choice

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
        if key not in data.get("factors", {}):
            raise ConfigError(f"baseline.{key}", "must name one of the sweep's factors: "
                              f"{', '.join(data.get('factors', {}))}", source)
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
    raw_factors = data.get("factors", {})
    if not raw_factors:
        raise ConfigError("factors", "a sweep needs at least one factor", source)
    factors: dict[str, list[Any] | Range] = {}
    for key, spec in raw_factors.items():
        section, name = split_key(key, source)
        full = f"{section}.{name}"
        if isinstance(spec, list):
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
    samples = design.get("samples", 16)
    levels = design.get("levels", 4)
    for key, value, low in (("design.samples", samples, 1), ("design.levels", levels, 2)):
        if not isinstance(value, int) or value < low:
            raise ConfigError(key, f"must be a whole number >= {low}, got {value!r}", source)
    seed = data.get("master_seed", 0)
    if not isinstance(seed, int) or seed < 0:
        raise ConfigError("master_seed", f"must be a whole number >= 0, got {seed!r}", source)
    question = data.get("question", "")
    if not (isinstance(question, str) or isinstance(question, dict) and all(
            isinstance(v, str) for v in question.values())):
        raise ConfigError("question", "must be a sentence, or a table of sentences by "
                          'language: { en = "...", zh = "..." }', source)
    decision = data.get("decision", [])
    if not isinstance(decision, list) or not all(isinstance(k, str) for k in decision):
        raise ConfigError("decision", "must be a list of factor keys", source)
    lists = [k for k, v in factors.items() if isinstance(v, list)]
    for key in decision:
        if key not in lists:
            raise ConfigError("decision", f"{key!r} is not a list factor of this sweep; list "
                              f"factors: {', '.join(lists) or 'none'}", source)
    return Sweep(name=str(data.get("name", path.stem)), base=base_path, factors=factors,
                 design=kind, replications=reps, master_seed=seed, samples=samples,
                 levels=levels, fixed=fixed, outcomes=list(data.get("outcomes", [])),
                 source=source, text=path.read_text(encoding="utf-8"), question=question,
                 decision=list(decision))


def replication_seeds(master_seed: int, replications: int) -> list[int]:
    """One seed per replication, shared by every design point (common random numbers)."""
    children = np.random.SeedSequence(master_seed).spawn(replications)
    return [int(c.generate_state(1)[0]) for c in children]


def unit_sample(sweep: Sweep) -> np.ndarray:
    """The design over the range factors in the unit cube, one row per sampled point."""
    d = len(sweep.ranges)
    rng = np.random.default_rng(np.random.SeedSequence(sweep.master_seed).spawn(1)[0]
                                .generate_state(2))
    if sweep.design == "lhs":
        return qmc.LatinHypercube(d=d, seed=rng).random(sweep.samples)
    if sweep.design == "sobol":
        return saltelli(sweep.samples, d, rng)
    return morris(sweep.samples, d, sweep.levels, rng)


def saltelli(n: int, d: int, rng: np.random.Generator) -> np.ndarray:
    """Saltelli's scheme without second order: per base row j, A_j, AB_j1..AB_jd, B_j.

    ``n * (d + 2)`` rows; AB_ji is A_j with column i taken from B_j.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "balance properties" when n is not a power of 2
        base = qmc.Sobol(d=2 * d, scramble=True, seed=rng).random(n)
    a, b = base[:, :d], base[:, d:]
    rows = []
    for j in range(n):
        rows.append(a[j])
        for i in range(d):
            ab = a[j].copy()
            ab[i] = b[j, i]
            rows.append(ab)
        rows.append(b[j])
    return np.array(rows)


def morris(r: int, d: int, levels: int, rng: np.random.Generator) -> np.ndarray:
    """``r`` Morris trajectories of ``d + 1`` points on a ``levels`` grid (one factor moves
    by delta = levels / (2 (levels - 1)) at each step, in a random order)."""
    grid = np.arange(levels) / (levels - 1)
    delta = levels / (2 * (levels - 1))
    rows = []
    for _ in range(r):
        x = rng.choice(grid, size=d)
        rows.append(x.copy())
        for i in rng.permutation(d):
            x[i] = x[i] + delta if x[i] + delta <= 1 + 1e-12 else x[i] - delta
            rows.append(x.copy())
    return np.clip(np.array(rows), 0.0, 1.0)


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


def sobol_indices(y: np.ndarray, d: int) -> dict[str, np.ndarray]:
    """First-order (Saltelli 2010) and total (Jansen) indices from outputs in the order of
    :func:`saltelli`: ``y`` has ``n * (d + 2)`` values."""
    y = np.asarray(y, dtype=float).reshape(-1, d + 2)
    fa, fab, fb = y[:, 0], y[:, 1:d + 1], y[:, d + 1]
    var = np.var(np.concatenate([fa, fb]))
    if not np.isfinite(var) or var == 0:
        return {"S1": np.full(d, np.nan), "ST": np.full(d, np.nan)}
    s1 = np.mean(fb[:, None] * (fab - fa[:, None]), axis=0) / var
    st = 0.5 * np.mean((fa[:, None] - fab) ** 2, axis=0) / var
    return {"S1": s1, "ST": st}


def morris_effects(unit: np.ndarray, y: np.ndarray, d: int) -> dict[str, np.ndarray]:
    """Morris screening from trajectories in the order of :func:`morris`: ``mu_star`` (mean
    absolute elementary effect, per unit of the factor's range) and ``sigma`` (their
    standard deviation) for each factor."""
    unit = np.asarray(unit, dtype=float).reshape(-1, d + 1, d)
    y = np.asarray(y, dtype=float).reshape(-1, d + 1)
    effects = np.full((len(unit), d), np.nan)
    for t in range(len(unit)):
        for k in range(d):
            step = unit[t, k + 1] - unit[t, k]
            i = int(np.argmax(np.abs(step)))
            effects[t, i] = (y[t, k + 1] - y[t, k]) / step[i]
    return {"mu_star": np.nanmean(np.abs(effects), axis=0),
            "sigma": np.nanstd(effects, axis=0, ddof=1) if len(unit) > 1 else np.full(d, np.nan)}
