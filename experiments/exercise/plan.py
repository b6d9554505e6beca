"""An exercise plan: the scenario and seed it runs, the roles it offers, the key moments and
scripted injects that open decision points, and the time a decision may take. Plans are TOML
files in ``configs/exercises/`` (``street_flood.toml`` shows every key)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sim import GrassrootsModel
from sim.params import Config, ConfigError
from sim.scenario import CONFIG_DIR, SCENARIO_DIR, apply_overrides, load_scenario, read_toml

from .levers import resolve_role

EXERCISE_DIR = CONFIG_DIR / "exercises"
MOMENTS = ("hazard_start", "road_cut", "command", "backlog_peak")
PLAN_KEYS = (
    "name",
    "description",
    "scenario",
    "seed",
    "decision_seconds",
    "seats_per_role",
    "roles",
    "moments",
    "set",
    "injects",
)


@dataclass(frozen=True)
class Inject:
    """A scripted event at ``hour`` of the emergency, in words of each language."""

    hour: float
    words: dict[str, str]

    def text(self, lang: str) -> str:
        return self.words.get(lang) or self.words["en"]


@dataclass
class Plan:
    name: str
    config: Config
    seed: int = 1
    roles: tuple[str, ...] = ("command", "volunteers")
    moments: tuple[str, ...] = ("hazard_start", "road_cut", "backlog_peak")
    injects: tuple[Inject, ...] = ()
    decision_seconds: float = 90.0
    seats_per_role: int = 1
    description: str = ""
    overrides: dict[str, Any] = field(default_factory=dict)

    def check(self) -> Plan:
        """Raise ConfigError for a role the township has not or an unknown moment."""
        model = GrassrootsModel(
            self.config.with_overrides({"time.peace_days": 0, "time.war_hours": 1.0}, "plan check"),
            rng=0,
        )
        for key in self.roles:
            try:
                resolve_role(model, key)
            except ValueError as e:
                raise ConfigError("roles", str(e), self.name) from None
        if len(set(self.roles)) != len(self.roles):
            raise ConfigError("roles", "a role is listed twice", self.name)
        for m in self.moments:
            if m not in MOMENTS:
                raise ConfigError(
                    "moments", f"unknown {m!r}; allowed: {', '.join(MOMENTS)}", self.name
                )
        if self.seats_per_role < 1 or self.decision_seconds <= 0:
            raise ConfigError("seats_per_role", "seats and decision seconds must be > 0", self.name)
        return self


def load_plan(arg: str | None = None, seed: int | None = None) -> Plan:
    """The plan of a shipped exercise (``street_flood``), an exercise file, or a shipped
    scenario played with the default roles (``township_typhoon``)."""
    name = arg or "street_flood"
    path = Path(name)
    if not path.is_file():
        path = EXERCISE_DIR / f"{name}.toml"
    if not path.is_file():
        scenario = SCENARIO_DIR / f"{name}.toml"
        if not scenario.is_file():
            known = sorted(
                p.stem for p in [*EXERCISE_DIR.glob("*.toml"), *SCENARIO_DIR.glob("*.toml")]
            )
            raise ConfigError(
                "--scenario",
                f"no exercise or scenario {name!r}; shipped: {', '.join(dict.fromkeys(known))}",
            )
        plan = Plan(name, load_scenario(scenario))
    else:
        plan = plan_from_dict(read_toml(path), str(path))
    if seed is not None:
        plan.seed = seed
    return plan.check()


def plan_from_dict(data: dict[str, Any], source: str) -> Plan:
    unknown = sorted(set(data) - set(PLAN_KEYS))
    if unknown:
        raise ConfigError(unknown[0], f"unknown key; allowed: {', '.join(PLAN_KEYS)}", source)
    scenario = data.get("scenario")
    config = load_scenario(None if scenario is None else SCENARIO_DIR / f"{scenario}.toml")
    overrides = dict(data.get("set", {}))
    if overrides:
        config = apply_overrides(config, overrides, source=source)
    injects = tuple(
        Inject(float(i["hour"]), {k: str(v) for k, v in i.items() if k != "hour"})
        for i in data.get("injects", [])
    )
    for inject in injects:
        if "en" not in inject.words:
            raise ConfigError("injects", "each inject needs its English words (en = ...)", source)
    return Plan(
        name=str(data.get("name", Path(source).stem)),
        config=config,
        seed=int(data.get("seed", 1)),
        roles=tuple(data.get("roles", Plan.roles)),
        moments=tuple(data.get("moments", Plan.moments)),
        injects=injects,
        decision_seconds=float(data.get("decision_seconds", 90.0)),
        seats_per_role=int(data.get("seats_per_role", 1)),
        description=str(data.get("description", "")),
        overrides=overrides,
    )
