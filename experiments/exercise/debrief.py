"""The debrief: the class's run against the default policy on the same seed (common random
numbers), and for each decision its counterfactual (the same run with only that decision
replaced by the default) with the decision's effect on total harm and mean response time;
the timeline of injects, decisions and outcomes.

The debrief is data (a dict that JSON can hold); ``page.debrief_html`` draws it.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from .plan import Plan
from .play import OUTCOME_KEYS, Decision, Player, play

EFFECT_KEYS = ("total_harm", "mean_response_min")
SERIES_EVERY_MIN = 60.0
NOTABLE_SHARE = 0.01  # assumption: an effect above 1% of the default run's harm is notable


def build_debrief(plan: Plan, live: Player, timeline: list[dict[str, Any]]) -> dict[str, Any]:
    """The debrief of a finished live run (``live``: the class's player, run to its end)."""
    decisions = live.decisions
    class_outcomes = live.outcomes()
    default = play(plan.config, plan.seed, [])
    default_outcomes = default.outcomes()
    rows = []
    for k, d in enumerate(decisions):
        if d.is_default:  # the counterfactual is the class's run itself
            counterfactual = class_outcomes
        else:
            others = [e if j != k else _as_default(e) for j, e in enumerate(decisions)]
            counterfactual = play(plan.config, plan.seed, others).outcomes()
        rows.append(
            {
                **d.to_dict(),
                "counterfactual": counterfactual,
                "effect": {key: class_outcomes[key] - counterfactual[key] for key in EFFECT_KEYS},
            }
        )
    return {
        "exercise": plan.name,
        "scenario": plan.config.name,
        "seed": plan.seed,
        "target_response_min": plan.config.time.target_response_min,
        "outcome_keys": list(OUTCOME_KEYS),
        "class": class_outcomes,
        "default": default_outcomes,
        "difference": {k: class_outcomes[k] - default_outcomes[k] for k in OUTCOME_KEYS},
        "objectives": [o.judge(class_outcomes, default_outcomes) for o in plan.objectives],
        "decisions": rows,
        "roles": after_action(rows, default_outcomes["total_harm"]),
        "timeline": [{k: v for k, v in e.items()} for e in timeline],
        "series": {"class": _hourly(live), "default": _hourly(default)},
    }


def after_action(rows: list[dict[str, Any]], default_harm: float) -> list[dict[str, Any]]:
    """Per role that had students: who, the decisions taken and let run out, its strengths
    (decisions that lowered total harm by more than NOTABLE_SHARE of the default run's) and
    areas for improvement (decisions that raised it as much, and decision points where the
    time ran out)."""
    bar = NOTABLE_SHARE * default_harm
    out: dict[str, dict[str, Any]] = {}
    for k, r in enumerate(rows):
        role = out.setdefault(
            r["role"],
            {
                "role": r["role"],
                "students": [],
                "decided": 0,
                "timed_out": 0,
                "strengths": [],
                "improvements": [],
            },
        )
        role["students"] += [s for s in r["students"] if s not in role["students"]]
        role["timed_out" if r["timed_out"] else "decided"] += 1
        if r["timed_out"]:
            role["improvements"].append(k)
        elif r["effect"]["total_harm"] <= -bar:
            role["strengths"].append(k)
        elif r["effect"]["total_harm"] >= bar:
            role["improvements"].append(k)
    return list(out.values())


def _as_default(d: Decision) -> Decision:
    return replace(d, choice="default")


def _hourly(player: Player) -> list[list[float]]:
    """(hour, cumulative harm, backlog) each hour of the emergency."""
    out, next_min = [], 0.0
    for minute, harm, backlog in player.harm:
        if minute >= next_min:
            out.append([minute / 60.0, round(harm, 2), backlog])
            next_min += SERIES_EVERY_MIN
    return out
