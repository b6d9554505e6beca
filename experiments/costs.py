"""What a planner's options cost, in yuan: the one declared place for the prices the report
uses (the model itself knows nothing of money).

Each price is a field below with its unit, allowed range and plausible range; where each
default comes from (a source, or "assumption" and the reasoning) is reader-facing text in the
translation catalogue (``report.cost.source.<name>``, English and Chinese). A TOML file
overrides them: ``configs/costs.toml`` (shipped with every key commented out), or the file
given to ``grassroots report --costs FILE``. An unknown key is an error that names the valid
ones.

An option's cost is counted per year, against the baseline option (the street as it is):

- the standing volunteer team: ``training_yuan_per_volunteer`` for each volunteer, and each
  emergency ``volunteer_hour_yuan`` for every volunteer-hour on call (volunteers x the
  emergency's hours);
- the response's work: each emergency, the response effort (``person_hours``, everyone's hours
  on needs) at ``staff_hour_yuan``;
- reorganizing: ``reorganization_yuan_per_1000`` per 1,000 residents, once, when the option's
  structure is not the baseline's, spread over ``horizon_years``;

with ``emergencies_per_year`` emergencies like the scenario's a year. Harm avoided is counted
per year the same way. The recommendation rule weighs harm against money at
``threshold_harm_per_10000_yuan`` person-hours of harm per 10,000 yuan; ``"derived"`` takes it
from the value of an expected casualty and the model's casualties per person-hour of harm.
"""

from __future__ import annotations

import dataclasses
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from experiments import i18n

COSTS_FILE = Path(__file__).resolve().parent.parent / "configs" / "costs.toml"
RULES = ("net_benefit", "cheapest_within")
DERIVED = "derived"


def c(
    default: Any,
    unit: str,
    low: float | None = None,
    high: float | None = None,
    plausible: tuple[float, float] | None = None,
    choices: tuple[str, ...] | None = None,
) -> Any:
    """A cost field with its unit, allowed range and plausible range (what a careful planner
    would still believe; the report checks whether its answer holds across it)."""
    return field(
        default=default,
        metadata={
            "unit": unit,
            "low": low,
            "high": high,
            "plausible": plausible,
            "choices": choices,
        },
    )


@dataclass(frozen=True)
class Costs:
    volunteer_hour_yuan: float = c(25.0, "yuan/volunteer-hour", 0, 1000, (15.0, 40.0))
    staff_hour_yuan: float = c(60.0, "yuan/staff-hour", 0, 2000, (35.0, 100.0))
    training_yuan_per_volunteer: float = c(
        600.0, "yuan/volunteer/year", 0, 100_000, (200.0, 1500.0)
    )
    reorganization_yuan_per_1000: float = c(
        30_000.0, "yuan/1000 residents", 0, 10_000_000, (10_000.0, 80_000.0)
    )
    horizon_years: float = c(5.0, "years", 1, 50, (3.0, 10.0))
    emergencies_per_year: float = c(1.0, "emergencies/year", 0.01, 100, (0.2, 2.0))
    value_per_casualty_yuan: float = c(
        1_036_420.0, "yuan/casualty", 0, 1e9, (1_036_420.0, 5_000_000.0)
    )
    threshold_harm_per_10000_yuan: float | str = c(DERIVED, "person-hours/10000 yuan", 0, 1e9)
    rule: str = c("net_benefit", "-", choices=RULES)

    def threshold(self, casualties_per_harm_hour: float) -> float:
        """Person-hours of harm that 10,000 yuan must avoid to be worth spending."""
        if self.threshold_harm_per_10000_yuan != DERIVED:
            return float(self.threshold_harm_per_10000_yuan)
        value = self.value_per_casualty_yuan * casualties_per_harm_hour
        return 10_000.0 / value if value > 0 else float("inf")

    @property
    def threshold_derived(self) -> bool:
        return self.threshold_harm_per_10000_yuan == DERIVED

    def replace(self, **changes: Any) -> Costs:
        return dataclasses.replace(self, **changes)


NAMES = tuple(f.name for f in dataclasses.fields(Costs))


class CostError(ValueError):
    """A costs file or value the report cannot use."""


def check(name: str, value: Any, source: str = "") -> Any:
    """One value checked against its declaration (a number in range, or one of the
    choices)."""
    where = f"{source}: " if source else ""
    if name not in NAMES:
        raise CostError(f"{where}{name}: unknown cost; allowed: {', '.join(NAMES)}")
    meta = next(f for f in dataclasses.fields(Costs) if f.name == name).metadata
    if meta["choices"]:
        if value not in meta["choices"]:
            raise CostError(
                f"{where}{name}: must be one of {', '.join(meta['choices'])}, got {value!r}"
            )
        return value
    if name == "threshold_harm_per_10000_yuan" and value == DERIVED:
        return value
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value != value:
        raise CostError(f"{where}{name}: must be a number ({meta['unit']}), got {value!r}")
    if not meta["low"] <= value <= meta["high"]:
        raise CostError(
            f"{where}{name}: must be from {meta['low']:g} to {meta['high']:g} "
            f"({meta['unit']}), got {value!r}"
        )
    return float(value)


def load_costs(path: str | Path | None = None) -> Costs:
    """The defaults, overridden by ``path`` (default ``configs/costs.toml`` if it exists)."""
    if path is None:
        path = COSTS_FILE if COSTS_FILE.is_file() else None
    if path is None:
        return Costs()
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise CostError(f"{path}: no such costs file") from None
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as e:
        raise CostError(f"{path}: not a readable TOML file: {e}") from None
    return Costs(**{k: check(k, v, str(path)) for k, v in data.items()})


def meta(name: str) -> dict[str, Any]:
    return dict(next(f for f in dataclasses.fields(Costs) if f.name == name).metadata)


def label(name: str, lang: str = i18n.DEFAULT) -> str:
    return i18n.text(f"report.cost.name.{name}", lang)


def source(name: str, lang: str = i18n.DEFAULT) -> str:
    return i18n.text(f"report.cost.source.{name}", lang)


def unit_text(name: str, lang: str = i18n.DEFAULT) -> str:
    return i18n.text(f"report.cost.unit.{name}", lang)


__all__ = [
    "COSTS_FILE",
    "CostError",
    "Costs",
    "NAMES",
    "RULES",
    "check",
    "label",
    "load_costs",
    "meta",
    "source",
    "unit_text",
]
