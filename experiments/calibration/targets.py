"""Calibration targets: field figures (docs/field_data.md) as data, checked like configs.

A targets file (``configs/targets/field.toml``) holds one table per target::

    [routine_handling_h]
    outcome = "routine_mean_handling_h"        # an outcome, or an expression (below)
    scenario = "street_flood"                  # a shipped scenario, or a path (from this file)
    overrides = { "organization.structure" = "integrated", "flood.enabled" = false }
    value = 6.5                                # the reported figure
    band = [4.0, 7.0]                          # what counts as reproducing it
    source = "F1: Dongcheng district, Beijing, 2015 (handmsg.com/...)"
    use = "calibrate"                          # or "validate", or "input"
    phase = "peacetime"                        # or "wartime" (default: peacetime)

``use``: "calibrate" targets are fitted (``grassroots calibrate``); "validate" targets are
only compared (held out); "input" figures are what a parameter was set from, shown for
reference and never counted as validation (equal by construction).

An expression is ``+ - * /`` over numbers, outcome names (``residents_sheltered``) and
parameters written ``section.key`` (``population.n_residents``), parsed with :mod:`ast`; no
other syntax is accepted and nothing is passed to ``eval``. An unknown key, outcome,
parameter or override stops with a :class:`~sim.params.ConfigError` naming the file and the
target's key (exit status 2 on the command line).
"""

from __future__ import annotations

import ast
import math
import operator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sim.outcomes import OUTCOMES
from sim.params import Config, ConfigError, split_key
from sim.scenario import SCENARIO_DIR, load_scenario, read_toml

TARGET_DIR = SCENARIO_DIR.parent / "targets"
DEFAULT_TARGETS = TARGET_DIR / "field.toml"
USES = ("calibrate", "validate", "input")
PHASES = ("peacetime", "wartime")
REQUIRED = ("outcome", "scenario", "value", "band", "source", "use")
OPTIONAL = ("overrides", "label", "phase", "fits")
MISSING_PENALTY = 10.0  # loss of a target whose simulated value is undefined (NaN)

_OPS = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
}


class Expression:
    """``+ - * /`` over numbers, outcomes and ``section.key`` parameters, checked on parsing."""

    def __init__(self, text: str) -> None:
        self.text = text
        try:
            tree = ast.parse(text.strip(), mode="eval")
        except SyntaxError as e:
            raise ValueError(f"not an expression: {e.msg}") from None
        self.outcomes: set[str] = set()
        self.params: set[str] = set()
        self.tree = self._check(tree.body)

    def _check(self, node: ast.AST) -> ast.AST:
        if isinstance(node, ast.BinOp) and type(node.op) in _OPS:
            self._check(node.left)
            self._check(node.right)
        elif isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
            self._check(node.operand)
        elif isinstance(node, ast.Constant):
            if isinstance(node.value, bool) or not isinstance(node.value, (int, float)):
                raise ValueError(f"only numbers are allowed as constants, got {node.value!r}")
        elif isinstance(node, ast.Name):
            if node.id not in OUTCOMES:
                raise ValueError(f"unknown outcome '{node.id}'; outcomes: {', '.join(OUTCOMES)}")
            self.outcomes.add(node.id)
        elif isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
            key = f"{node.value.id}.{node.attr}"
            split_key(key)  # raises ConfigError for an unknown section or key
            self.params.add(key)
        else:
            raise ValueError(
                f"'{ast.unparse(node)}' is not allowed: use numbers, outcome "
                "names, section.key parameters and + - * /"
            )
        return node

    def evaluate(self, outcomes: dict[str, float], params: dict[str, Any]) -> float:
        """The value for one run's outcomes and its resolved parameters (``Config.flat()``);
        NaN when a division by zero or a NaN outcome leaves it undefined."""

        def ev(node: ast.AST) -> float:
            if isinstance(node, ast.BinOp):
                a, b = ev(node.left), ev(node.right)
                if isinstance(node.op, ast.Div) and b == 0:
                    return math.nan
                return _OPS[type(node.op)](a, b)
            if isinstance(node, ast.UnaryOp):
                v = ev(node.operand)
                return -v if isinstance(node.op, ast.USub) else v
            if isinstance(node, ast.Constant):
                return float(node.value)
            if isinstance(node, ast.Name):
                return float(outcomes[node.id])
            return float(params[f"{node.value.id}.{node.attr}"])  # ast.Attribute

        return float(ev(self.tree))


@dataclass(frozen=True)
class Target:
    """One field figure and the model setting that reproduces it."""

    name: str
    outcome: Expression
    scenario: Path
    overrides: dict[str, Any]
    value: float
    band: tuple[float, float]
    source: str
    use: str
    label: str = ""
    phase: str = "peacetime"
    fits: tuple[str, ...] = ()  # parameters fitted to this target (a calibrate target)

    @property
    def width(self) -> float:
        return self.band[1] - self.band[0]

    def loss(self, simulated: float) -> float:
        """Distance from the band in band widths (0 inside it)."""
        return band_loss(simulated, self.band)

    def inside(self, simulated: float) -> bool:
        return math.isfinite(simulated) and self.band[0] <= simulated <= self.band[1]

    def setting(self, scenario: Path | None = None) -> tuple[str, tuple]:
        """What identifies the runs this target needs: scenario file and overrides."""
        path = scenario or self.scenario
        return str(path), tuple(sorted((k, repr(v)) for k, v in self.overrides.items()))


def band_loss(simulated: float, band: tuple[float, float]) -> float:
    """Distance of `simulated` from ``band = (low, high)`` scaled by its width; 0 inside,
    MISSING_PENALTY when the value is undefined."""
    low, high = band
    if not math.isfinite(simulated):
        return MISSING_PENALTY
    return max(low - simulated, 0.0, simulated - high) / (high - low)


def point_distance(simulated: float, target: Target) -> float:
    """Distance from the reported value in band widths (breaks ties inside the bands)."""
    if not math.isfinite(simulated):
        return MISSING_PENALTY
    return abs(simulated - target.value) / target.width


@dataclass
class TargetSet:
    path: Path
    targets: list[Target] = field(default_factory=list)

    def used_for(self, use: str) -> list[Target]:
        return [t for t in self.targets if t.use == use]


def load_targets(path: str | Path = DEFAULT_TARGETS) -> TargetSet:
    """Read and check a targets file; raise ConfigError naming the file and key."""
    path = Path(path)
    source = str(path)
    data = read_toml(path)
    if not data:
        raise ConfigError("", "no targets (one [table] per target)", source)
    targets = [_target(name, entry, path) for name, entry in data.items()]
    return TargetSet(path, targets)


def _target(name: str, entry: Any, path: Path) -> Target:
    source = str(path)
    if not isinstance(entry, dict):
        raise ConfigError(name, "must be a table ([name]) of target keys", source)
    unknown = sorted(set(entry) - set(REQUIRED) - set(OPTIONAL))
    if unknown:
        raise ConfigError(
            f"{name}.{unknown[0]}",
            f"unknown key; allowed: {', '.join(REQUIRED + OPTIONAL)}",
            source,
        )
    for key in REQUIRED:
        if key not in entry:
            raise ConfigError(f"{name}.{key}", "missing", source)
    for key in ("outcome", "scenario", "source", "use"):
        if not isinstance(entry[key], str):
            raise ConfigError(f"{name}.{key}", f"must be a string, got {entry[key]!r}", source)
    try:
        expr = Expression(entry["outcome"])
    except (ValueError, ConfigError) as e:
        raise ConfigError(f"{name}.outcome", str(e), source) from None
    if entry["use"] not in USES:
        raise ConfigError(
            f"{name}.use", f"must be one of {', '.join(USES)}, got {entry['use']!r}", source
        )
    phase = entry.get("phase", "peacetime")
    if phase not in PHASES:
        raise ConfigError(
            f"{name}.phase", f"must be one of {', '.join(PHASES)}, got {phase!r}", source
        )
    value = entry["value"]
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ConfigError(f"{name}.value", f"must be a finite number, got {value!r}", source)
    band = entry["band"]
    if not (
        isinstance(band, list)
        and len(band) == 2
        and all(
            isinstance(b, (int, float)) and not isinstance(b, bool) and math.isfinite(b)
            for b in band
        )
        and band[0] < band[1]
    ):
        raise ConfigError(
            f"{name}.band", f"must be [low, high] with low < high, got {band!r}", source
        )
    if not band[0] <= value <= band[1]:
        raise ConfigError(f"{name}.value", f"{value} lies outside its band {band}", source)
    overrides = entry.get("overrides", {})
    if not isinstance(overrides, dict):
        raise ConfigError(f"{name}.overrides", 'must be a table of "section.key" = value', source)
    scenario = resolve_scenario(entry["scenario"], path.parent, f"{name}.scenario", source)
    config = check_setting(scenario, overrides, f"{name}.overrides", source)
    fits = entry.get("fits", [])
    known = config.flat()
    if not (isinstance(fits, list) and all(isinstance(k, str) and k in known for k in fits)):
        raise ConfigError(
            f"{name}.fits", f"must be a list of parameters (section.key), got {fits!r}", source
        )
    return Target(
        name=name,
        outcome=expr,
        scenario=scenario,
        overrides=dict(overrides),
        value=float(value),
        band=(float(band[0]), float(band[1])),
        source=entry["source"],
        use=entry["use"],
        label=str(entry.get("label", "")),
        phase=phase,
        fits=tuple(fits),
    )


def resolve_scenario(text: str, folder: Path, key: str, source: str) -> Path:
    """A shipped scenario name (``street_flood``) or a path relative to the targets file."""
    shipped = SCENARIO_DIR / f"{text.removesuffix('.toml')}.toml"
    if "/" not in text and shipped.is_file():
        return shipped
    path = (folder / text).resolve()
    if path.is_file():
        return path
    names = ", ".join(sorted(p.stem for p in SCENARIO_DIR.glob("*.toml")))
    raise ConfigError(key, f"no scenario '{text}' (shipped: {names}; or a path)", source)


def check_setting(scenario: Path, overrides: dict[str, Any], key: str, source: str) -> Config:
    """Load the scenario with the overrides; a bad override is an error at `key`."""
    try:
        return load_scenario(scenario, overrides)
    except ConfigError as e:
        if e.source and e.source != "override":  # the scenario file itself is bad
            raise
        raise ConfigError(f"{key}.{e.key}", str(e).split(": ", 1)[-1], source) from None
