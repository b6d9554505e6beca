"""The uncertainties of a robustness study and their ranges, from the parameter definitions.

A robustness sweep names the uncertain assumptions it samples in one of three ways::

    uncertainties = "all"                       # every parameter with a plausible range
    uncertainties = ["reporting.command_delay_min", "flood.needs_per_1000_per_hour"]

    [uncertainties]                             # a table: per key "plausible" or a range
    "reporting.command_delay_min" = "plausible"
    "flood.needs_per_1000_per_hour" = { low = 4, high = 16 }

A key's range is its ``plausible`` range in ``sim/params.py`` (what a careful modeller would
still believe) unless the file gives ``{low, high}``. ``"all"`` leaves out the sweep's
policies (the levers a planner chooses) and parameters without a plausible range (policies,
switches, scenario settings).
"""

from __future__ import annotations

from typing import Any, NamedTuple

from sim.params import ConfigError, check_value, describe, param_field, split_key


class Bounds(NamedTuple):
    """A sampled uncertainty: uniform over [low, high], whole numbers if ``integer``."""

    low: float
    high: float
    integer: bool


def plausible_rows() -> dict[str, dict[str, Any]]:
    """Every numeric parameter with a plausible range, by dotted key."""
    return {
        r["key"]: r
        for r in describe()
        if r.get("plausible") is not None and r["type"] in ("int", "float")
    }


def _bounds(key: str, spec: Any, source: str) -> Bounds:
    section, name = split_key(key, source)
    full = f"{section}.{name}"
    integer = type(param_field(section, name).default) is int
    if spec == "plausible":
        plausible = next(r for r in describe() if r["key"] == full).get("plausible")
        if plausible is None:
            raise ConfigError(
                f"uncertainties.{full}",
                "has no plausible range in sim/params.py "
                "(a policy or setting): give { low = ..., high = ... }",
                source,
            )
        low, high = plausible
    elif isinstance(spec, dict) and set(spec) == {"low", "high"}:
        low = check_value(section, name, spec["low"], source)
        high = check_value(section, name, spec["high"], source)
    else:
        raise ConfigError(
            f"uncertainties.{full}", 'must be "plausible" or { low = ..., high = ... }', source
        )
    if isinstance(low, (bool, str)) or isinstance(high, (bool, str)) or not low < high:
        raise ConfigError(f"uncertainties.{full}", "a range needs numbers with low < high", source)
    return Bounds(float(low), float(high), integer)


def uncertainty_bounds(spec: Any, policies: set[str], source: str = "") -> dict[str, Bounds]:
    """The uncertainties a sweep file's ``uncertainties`` value names, with their ranges."""
    if spec == "all":
        chosen: dict[str, Any] = {k: "plausible" for k in plausible_rows() if k not in policies}
        if not chosen:
            raise ConfigError(
                "uncertainties",
                '"all": no parameter outside the policies has a plausible range in sim/params.py',
                source,
            )
    elif isinstance(spec, list) and all(isinstance(k, str) for k in spec):
        chosen = dict.fromkeys(spec, "plausible")
    elif isinstance(spec, dict):
        chosen = dict(spec)
    else:
        raise ConfigError(
            "uncertainties",
            'must be "all", a list of parameter keys, or a '
            'table of key = "plausible" | { low, high }',
            source,
        )
    if not chosen:
        raise ConfigError("uncertainties", "a robustness study needs at least one", source)
    bounds = {}
    for key, value in chosen.items():
        b = _bounds(key, value, source)
        full = ".".join(split_key(key, source))
        if full in policies:
            raise ConfigError(
                f"uncertainties.{full}",
                "is also a policy: a parameter is either chosen by the planner or uncertain",
                source,
            )
        bounds[full] = b
    return bounds
