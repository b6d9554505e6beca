"""grassroots-sim: grassroots organizations responding to emergencies (Mesa model)."""

from . import hazards  # noqa: F401  the shipped hazards register themselves
from .model import GrassrootsModel
from .outcomes import OUTCOMES
from .params import Config, ConfigError, describe
from .registry import HazardSpec, Mechanism, NeedType, register_hazard, register_mechanism
from .run import Result, simulate
from .scenario import load_scenario

__all__ = [
    "Config",
    "ConfigError",
    "GrassrootsModel",
    "HazardSpec",
    "Mechanism",
    "NeedType",
    "OUTCOMES",
    "Result",
    "describe",
    "load_scenario",
    "register_hazard",
    "register_mechanism",
    "simulate",
]
