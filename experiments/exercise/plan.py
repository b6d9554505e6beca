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
from .play import OUTCOME_KEYS

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
    "objectives",
)
OBJECTIVE_KEYS = ("outcome", "at_most", "at_least")


@dataclass(frozen=True)
class Inject:
    """A scripted event at ``hour`` of the emergency, in words of each language."""

    hour: float
    words: dict[str, str]

    def text(self, lang: str) -> str:
        return self.words.get(lang) or self.words["en"]


@dataclass(frozen=True)
class Objective:
    """What the class should achieve, in words of each language, and how the after-action
    report tells whether it did: the run's ``outcome`` (a key of ``play.OUTCOME_KEYS``) is
    ``at_most`` or ``at_least`` a bound, a number or ``"default"`` (the default run's)."""

    outcome: str
    bound: float | str
    at_most: bool
    words: dict[str, str]

    def text(self, lang: str) -> str:
        return self.words.get(lang) or self.words["en"]

    def judge(self, run: dict[str, float], default: dict[str, float]) -> dict[str, Any]:
        """The objective as data: its words, the run's value, the bound it had, and met."""
        bound = default[self.outcome] if self.bound == "default" else float(self.bound)
        value = run[self.outcome]
        return {
            "words": dict(self.words),
            "outcome": self.outcome,
            "at_most": self.at_most,
            "bound": bound,
            "value": value,
            "met": value <= bound if self.at_most else value >= bound,
        }


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
    objectives: tuple[Objective, ...] = ()
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
    objectives = tuple(objective_from_dict(o, source) for o in data.get("objectives", []))
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
        objectives=objectives,
        overrides=overrides,
    )


def objective_from_dict(data: dict[str, Any], source: str) -> Objective:
    outcome = data.get("outcome")
    if outcome not in OUTCOME_KEYS:
        raise ConfigError(
            "objectives", f"outcome {outcome!r}; allowed: {', '.join(OUTCOME_KEYS)}", source
        )
    sides = [k for k in ("at_most", "at_least") if k in data]
    if len(sides) != 1:
        raise ConfigError("objectives", "each objective needs at_most or at_least", source)
    bound = data[sides[0]]
    if not (bound == "default" or isinstance(bound, int | float)):
        raise ConfigError("objectives", f'{sides[0]} is a number or "default"', source)
    words = {k: str(v) for k, v in data.items() if k not in OBJECTIVE_KEYS}
    if "en" not in words:
        raise ConfigError("objectives", "each objective needs its English words (en = ...)", source)
    return Objective(str(outcome), bound, sides[0] == "at_most", words)
