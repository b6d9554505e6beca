"""What a choice does to total harm over several seeds: each (role, choice) taken at one hour
of an exercise plan's emergency, against the default policy on the same seed (common random
numbers), the paired difference's mean, standard error and how many seeds it lowered.

    python -m experiments.exercise.effects                     # street flood, hour 2, seeds 1-10
    python -m experiments.exercise.effects --hour 8 --seeds 20 command:act_locally

A seed on which the role does not have the choice then (community B without low-lying grids,
say) is left out and counted.
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Iterable

import numpy as np

from .levers import choices_for, resolve_role
from .plan import Plan, load_plan
from .play import Decision, Player, play

DEFAULT_CHOICES = (
    "party_secretary:B/evacuate_now",
    "command/evacuate_now",
    "command/redeploy_cadres",
)


def harm_effects(
    plan: Plan, hour: float, seeds: Iterable[int], choices: Iterable[tuple[str, str]]
) -> dict[tuple[str, str], list[float]]:
    """Per (role, choice): total harm with it minus without, one value per seed that has it."""
    out: dict[tuple[str, str], list[float]] = {c: [] for c in choices}
    for seed in seeds:
        default = play(plan.config, seed, []).outcomes()["total_harm"]
        at = Player(plan.config, seed)
        while at.running and (at.model.phase == "peace" or at.model.minute < hour * 60):
            at.step()
        for role, choice in out:
            if choice not in choices_for(at.model, resolve_role(at.model, role)):
                continue
            taken = Decision(at.model.step_count, at.model.minute, role, choice)
            out[(role, choice)].append(
                play(plan.config, seed, [taken]).outcomes()["total_harm"] - default
            )
    return out


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("choices", nargs="*", default=DEFAULT_CHOICES, help="ROLE/CHOICE ...")
    ap.add_argument("--plan", default="street_flood")
    ap.add_argument("--hour", type=float, default=2.0)
    ap.add_argument("--seeds", type=int, default=10)
    args = ap.parse_args(argv)
    pairs = [tuple(c.split("/", 1)) for c in args.choices]
    found = harm_effects(load_plan(args.plan), args.hour, range(1, args.seeds + 1), pairs)
    print(f"{args.plan}, hour {args.hour:g}, seeds 1-{args.seeds}: change in total harm")
    for (role, choice), v in found.items():
        d = np.array(v)
        if len(d) < 2:
            print(f"  {role} {choice}: on {len(d)} seeds only")
            continue
        se = d.std(ddof=1) / math.sqrt(len(d))
        print(
            f"  {role} {choice}: {d.mean():+,.0f} +- {se:,.0f} (s.e.), lower on "
            f"{int((d < 0).sum())} of {len(d)} seeds ({args.seeds - len(d)} without the choice)"
        )


if __name__ == "__main__":
    main()
