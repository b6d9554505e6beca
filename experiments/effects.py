"""Expected directions of effect (``configs/effects.toml``), read once for the tests and the
ODD's effect table, and measured with paired seeds (common random numbers)."""

from __future__ import annotations

import math
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

EFFECTS_TOML = Path(__file__).resolve().parents[1] / "configs" / "effects.toml"
SCENARIOS = EFFECTS_TOML.parent / "scenarios"
SIGN = {"falls": -1, "rises": +1}


@dataclass(frozen=True)
class Effect:
    label: str
    setting: dict[str, Any]
    control: dict[str, Any]
    treatment: dict[str, Any]
    outcome: str
    direction: int  # -1: the outcome falls from control to treatment; +1: it rises
    seeds: int
    min_agree: int
    asserted: bool = True
    why: str = ""
    setting_name: str = field(default="", compare=False)
    scenario: str | None = None  # a shipped scenario's name (None: the default scenario)

    @property
    def scenario_path(self) -> Path | None:
        return SCENARIOS / f"{self.scenario}.toml" if self.scenario else None

    def arms(self) -> tuple[dict[str, Any], dict[str, Any]]:
        """The overrides of each arm (control, treatment) over the default scenario."""
        return {**self.setting, **self.control}, {**self.setting, **self.control, **self.treatment}


def load_effects(path: Path = EFFECTS_TOML) -> list[Effect]:
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    settings = data.get("settings", {})
    out = []
    for e in data["effect"]:
        seeds = int(e["seeds"])
        setting = dict(settings[e["setting"]])
        scenario = setting.pop("scenario", None)
        out.append(
            Effect(
                label=e["label"],
                setting=setting,
                scenario=scenario,
                control=e["control"],
                treatment=e["treatment"],
                outcome=e["outcome"],
                direction=SIGN[e["direction"]],
                seeds=seeds,
                min_agree=int(e.get("min_agree", seeds - 1)),
                asserted=bool(e.get("asserted", True)),
                why=e.get("why", ""),
                setting_name=e["setting"],
            )
        )
    return out


Runner = Callable[[dict[str, Any], int, Path | None], dict[str, float]]


def measure(effect: Effect, run: Runner) -> dict[str, Any]:
    """The effect over its paired seeds: arm means, the mean paired difference with its
    standard error, and how many seeds moved the expected way. ``run(overrides, seed,
    scenario)`` gives a run's summary (``scenario``: a scenario file, None: the default)."""
    control, treatment = effect.arms()
    where = effect.scenario_path
    before = [run(control, s, where)[effect.outcome] for s in range(1, effect.seeds + 1)]
    after = [run(treatment, s, where)[effect.outcome] for s in range(1, effect.seeds + 1)]
    diffs = [b - a for a, b in zip(before, after)]
    n = len(diffs)
    mean = sum(diffs) / n
    sd = math.sqrt(sum((d - mean) ** 2 for d in diffs) / (n - 1)) if n > 1 else 0.0
    return {
        "label": effect.label,
        "outcome": effect.outcome,
        "expected": effect.direction,
        "setting": effect.setting_name,
        "before": sum(before) / n,
        "after": sum(after) / n,
        "diff": mean,
        "se": sd / math.sqrt(n),
        "agree": sum(1 for d in diffs if d * effect.direction > 0),
        "n": n,
        "asserted": effect.asserted,
        "diffs": diffs,
    }


def summary_runner() -> Runner:
    """A ``run(overrides, seed, scenario=None)`` over a scenario (the default one unless
    given) that runs each arm once."""
    from sim import load_scenario, simulate

    cache: dict[tuple[Any, int], dict[str, float]] = {}

    def run(overrides: dict[str, Any], seed: int, scenario: Path | None = None) -> dict[str, float]:
        cfg = load_scenario(scenario, overrides)
        if (cfg, seed) not in cache:
            cache[cfg, seed] = simulate(cfg, seed=seed).summary()
        return cache[cfg, seed]

    return run
