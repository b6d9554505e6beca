"""A run of an exercise: the model stepped one step at a time through its public API, with
the class's decisions pulled at the steps they were taken (``Decision.step``: before the
model's step number ``step``). The same configuration, seed and decisions give the same run;
a decision left out gives the counterfactual (common random numbers up to that step).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass, field

from sim import GrassrootsModel
from sim.outcomes import summarize
from sim.params import Config

from .levers import DEFAULT, apply_choice, resolve_role

OUTCOME_KEYS = (
    "total_harm",
    "mean_response_min",
    "share_met_within_target",
    "share_reached",
    "peak_backlog",
    "needs_total",
)


@dataclass(frozen=True)
class Decision:
    """A role's choice at a decision point: taken before the model's step ``step`` (its
    clock then read ``minute``); ``timed_out``: the time ran out and the default decided."""

    step: int
    minute: float
    role: str
    choice: str
    inject: str = ""
    students: tuple[str, ...] = ()
    timed_out: bool = False
    inject_words: dict[str, str] = field(default_factory=dict)  # ``inject`` by language

    @property
    def is_default(self) -> bool:
        return self.choice == DEFAULT

    def to_dict(self) -> dict:
        d = asdict(self)
        d["students"] = list(self.students)
        return d


class Player:
    """Steps one model and pulls decisions as they come (``decide``)."""

    def __init__(self, config: Config, seed: int) -> None:
        self.config, self.seed = config, seed
        self.model = GrassrootsModel(config, rng=seed)
        self.decisions: list[Decision] = []
        self.harm: list[tuple[float, float, int]] = []  # (minute, cum_harm, backlog)

    def decide(self, decision: Decision) -> None:
        m = self.model
        if decision.step != m.step_count:
            raise ValueError(f"decision for step {decision.step} at step {m.step_count}")
        if not decision.is_default:
            apply_choice(m, resolve_role(m, decision.role), decision.choice)
        self.decisions.append(decision)

    def step(self) -> None:
        m = self.model
        m.step()
        if m.phase == "war":
            self.harm.append((m.minute, float(m.cum_harm), int(m.backlog)))

    @property
    def running(self) -> bool:
        return bool(self.model.running)

    def outcomes(self) -> dict[str, float]:
        found = summarize(self.model, self.model.timeseries())
        return {k: float(found[k]) for k in OUTCOME_KEYS}


def play(config: Config, seed: int, decisions: Iterable[Decision]) -> Player:
    """The whole run with these decisions (each at its step), to the end."""
    due: dict[int, list[Decision]] = {}
    for d in decisions:
        due.setdefault(d.step, []).append(d)
    player = Player(config, seed)
    while True:
        for d in due.pop(player.model.step_count, []):
            player.decide(d)
        if not player.running:
            break
        player.step()
    if due:
        raise ValueError(f"decisions after the run's end (steps {sorted(due)})")
    return player
