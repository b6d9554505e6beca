"""grassroots-sim: grassroots organizations responding to emergencies (Mesa model)."""

from .model import GrassrootsModel
from .outcomes import OUTCOMES
from .params import Config, ConfigError, describe
from .run import Result, simulate

try:
    from .scenario import load_scenario
except ImportError:  # pragma: no cover - written alongside
    load_scenario = None  # type: ignore[assignment]

__all__ = ["Config", "ConfigError", "GrassrootsModel", "OUTCOMES", "Result", "describe",
           "load_scenario", "simulate"]
