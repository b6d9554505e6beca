"""The planner's options in money: what each costs a year, what it buys, and the option to
recommend by a stated rule (:mod:`experiments.costs` holds the prices).

An *option* is one combination of the decision factors' levels (a structure and a volunteer
team size). Its harm in one emergency is the mean of ``total_harm`` over its runs there (the
other factors' levels averaged), and its cost a year is :func:`option_costs`. Options are
compared with the baseline option on the same emergencies (common random numbers).

Rules (``rule`` in the costs file):

- ``net_benefit``: the option with the highest harm avoided a year, valued at
  ``10,000 / threshold`` yuan a person-hour, minus its extra cost a year. Equivalently: a
  further step (more volunteers, another structure) is bought only while it avoids at least
  ``threshold`` person-hours of harm per 10,000 yuan.
- ``cheapest_within``: the cheapest option whose harm is, with 95% confidence, at most
  ``margin`` worse than the least harmful option's.

Money is reported only where every decision factor has a price (the volunteer team and the
structure); a sweep that also decides, say, the reporting mechanism gets no money answer.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from experiments import costs as cs
from experiments import i18n
from experiments.factors import short_text
from experiments.report import decision as dc
from experiments.report.stats import (
    N_RESAMPLES,
    SEED,
    PairedDifference,
    paired_difference,
    resample_indices,
)
from experiments.report.sweep import SweepResults, same

STRUCTURE = "organization.structure"
VOLUNTEERS = "volunteers.team_size_per_1000"
HARM = "total_harm"
EFFORT = "person_hours"
COSTED = (STRUCTURE, VOLUNTEERS)
CASUALTIES = "casualty_proxy"  # expected deaths (sim/survival.py)
# Without casualty_proxy in the runs (an older sweep): the lethality of harm, which gives
# the expected deaths per person-hour of harm of the needs that are not life-threatening.
LETHALITY = "response.lethality_per_severe_hour"


@dataclass
class Step:
    """One step up the volunteer levels within a group (a structure): harm avoided per
    10,000 yuan, with its bootstrap interval."""

    group: str
    low: Any
    high: Any
    extra_cost: float  # yuan a year
    avoided: float  # person-hours a year
    per_10k: float
    per_10k_low: float
    per_10k_high: float


@dataclass
class Switch:
    """Another structure instead of the baseline's at one volunteer level."""

    structure: Any
    level: Any
    diff: PairedDifference  # harm per emergency, this structure minus the baseline's
    extra_cost: float  # yuan a year


@dataclass
class Money:
    factors: list[str]
    options: list[tuple]
    labels: list[str]
    harm: np.ndarray  # (options, emergencies): person-hours per emergency
    cost: np.ndarray  # (options, emergencies): yuan a year
    base: int
    costs: cs.Costs
    threshold: float  # person-hours of harm per 10,000 yuan
    casualties_per_hour: float
    chosen: int
    chosen_share: float  # share of bootstrap resamples that choose the same option
    n_resamples: int
    steps: list[Step] = field(default_factory=list)
    switches: list[Switch] = field(default_factory=list)
    sensitivity: list[tuple[str, float, int]] = field(default_factory=list)  # changes
    edges: list[tuple[str, Any]] = field(default_factory=list)  # ("upper"|"lower", level)

    def level_of(self, i: int, key: str) -> Any:
        return self.options[i][self.factors.index(key)] if key in self.factors else None

    @property
    def n(self) -> int:
        return self.harm.shape[1]


def applies(results: SweepResults, factors: list[str]) -> bool:
    """Money is reported when every decision factor has a price and the runs hold harm."""
    return bool(factors) and all(f in COSTED for f in factors) and HARM in results.runs


def per_emergency(results: SweepResults, factors: list[str], outcome: str) -> pd.DataFrame:
    """Options (rows, the decision factors' levels) by emergencies (columns)."""
    runs = results.runs.copy()
    for f in factors:  # levels as given in the manifest (20 and 20.0 are one level)
        levels = results.manifest["factors"][f]
        runs[f] = [next(lv for lv in levels if same(lv, v)) for v in runs[f]]
    table = runs.groupby([*factors, *results.pair_key])[outcome].mean().unstack(results.pair_key)
    order = {
        f: {str(v): i for i, v in enumerate(results.manifest["factors"][f])} for f in factors
    }  # the sweep file's order of levels
    keys = sorted(
        table.index,
        key=lambda k: tuple(
            order[f][str(v)] for f, v in zip(factors, k if isinstance(k, tuple) else (k,))
        ),
    )
    return table.reindex(keys).dropna(axis=1)


def option_costs(
    results: SweepResults,
    factors: list[str],
    options: list[tuple],
    effort: np.ndarray,
    setting: dict[str, Any],
    costs: cs.Costs,
    baseline: dict[str, Any],
) -> np.ndarray:
    """Each option's cost a year in each emergency (yuan): the standing team's training and
    hours on call, the response effort at the staff rate, reorganizing (spread over the
    horizon) when the structure is not the baseline's."""
    residents = float(setting.get("population.n_residents", 0))
    war_hours = float(setting.get("time.war_hours", 0))
    epy = costs.emergencies_per_year
    out = np.zeros_like(effort, dtype=float)
    for i, option in enumerate(options):
        levels = dict(zip(factors, option))
        team = float(levels.get(VOLUNTEERS, setting.get(VOLUNTEERS, 0.0)))
        volunteers = team / 1000.0 * residents
        fixed = (
            volunteers * costs.training_yuan_per_volunteer
            + epy * volunteers * war_hours * costs.volunteer_hour_yuan
        )
        if STRUCTURE in levels and not same(
            levels[STRUCTURE], baseline.get(STRUCTURE, levels[STRUCTURE])
        ):
            fixed += costs.reorganization_yuan_per_1000 * residents / 1000.0 / costs.horizon_years
        out[i] = fixed + epy * effort[i] * costs.staff_hour_yuan
    return out


def choose(
    harm: np.ndarray,
    cost: np.ndarray,
    base: int,
    costs: cs.Costs,
    threshold: float,
    margin: float,
    n_resamples: int = N_RESAMPLES,
    seed: int = SEED,
) -> int:
    """The option the rule picks from per-emergency harm and cost (options x emergencies)."""
    h, c = harm.mean(axis=1), cost.mean(axis=1)
    if costs.rule == "cheapest_within":
        best = int(np.argmin(h))
        for i in np.argsort(c, kind="stable"):
            d = paired_difference(harm[i], harm[best], True, n_resamples, seed=seed)
            if i == best or dc.sufficient(d, True, margin):
                return int(i)
        return best
    return int(np.argmax(net_benefit(h, c, base, costs, threshold)))


def net_benefit(
    h: np.ndarray, c: np.ndarray, base: int, costs: cs.Costs, threshold: float
) -> np.ndarray:
    """Harm avoided a year against the baseline, valued at 10,000 / threshold yuan a
    person-hour, minus the extra cost a year; ties go to the cheaper option."""
    value = 10_000.0 / threshold if threshold > 0 else np.inf
    avoided = costs.emergencies_per_year * (h[base] - h)
    with np.errstate(invalid="ignore"):
        nb = value * avoided - (c - c[base]) if np.isfinite(value) else -h
    return nb - 1e-9 * c  # the cheaper of two equal options


def chosen_share(
    harm: np.ndarray,
    cost: np.ndarray,
    base: int,
    costs: cs.Costs,
    threshold: float,
    chosen: int,
    n_resamples: int,
    seed: int,
) -> float:
    """The share of bootstrap resamples of the emergencies in which the net-benefit rule
    picks the same option."""
    n = harm.shape[1]
    if n < 2:
        return float("nan")
    idx = resample_indices(n, n_resamples, seed)
    h = harm[:, idx].mean(axis=2)  # (options, resamples)
    c = cost[:, idx].mean(axis=2)
    picks = [
        int(np.argmax(net_benefit(h[:, r], c[:, r], base, costs, threshold)))
        for r in range(idx.shape[0])
    ]
    return float(np.mean(np.array(picks) == chosen))


def ratio_ci(
    avoided: np.ndarray, extra: np.ndarray, n_resamples: int, seed: int
) -> tuple[float, float, float]:
    """Mean harm avoided per 10,000 yuan of mean extra cost, with a bootstrap interval."""

    def ratio(a: np.ndarray, e: np.ndarray) -> np.ndarray:
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(e > 0, 10_000.0 * a / e, np.nan)

    point = float(ratio(np.array(avoided.mean()), np.array(extra.mean())))
    if len(avoided) < 2:
        return point, float("nan"), float("nan")
    idx = resample_indices(len(avoided), n_resamples, seed)
    r = ratio(avoided[idx].mean(axis=1), extra[idx].mean(axis=1))
    r = r[np.isfinite(r)]
    if not len(r):
        return point, float("nan"), float("nan")
    low, high = np.quantile(r, [0.025, 0.975])
    return point, float(low), float(high)


def casualties_per_harm_hour(results: SweepResults, setting: dict[str, Any]) -> float:
    """The sweep's expected deaths per person-hour of harm: its runs' casualty_proxy over
    their total_harm (life-threatening needs' deaths follow survival against the time until
    reached, not harm, so no parameter gives this ratio); without casualty_proxy, the
    lethality of harm (``LETHALITY``)."""
    runs = results.runs
    if CASUALTIES in runs:
        both = runs[[CASUALTIES, HARM]].dropna()
        harm = float(both[HARM].sum())
        return float(both[CASUALTIES].sum()) / harm if harm > 0 else 0.0
    return float(setting.get(LETHALITY, 0.0))


def analyse(
    results: SweepResults,
    factors: list[str],
    baseline: dict[str, Any],
    setting: dict[str, Any],
    costs: cs.Costs,
    margin: float = dc.MARGIN,
    n_resamples: int = N_RESAMPLES,
    seed: int = SEED,
) -> Money | None:
    """Costs, the recommendation, the steps between volunteer levels, the structures
    against the baseline's at each level, and how the recommendation moves across the
    plausible range of each cost."""
    if not applies(results, factors):
        return None
    harm_t = per_emergency(results, factors, HARM)
    if harm_t.shape[1] == 0 or harm_t.shape[0] < 2:
        return None
    effort_t = (
        per_emergency(results, factors, EFFORT).reindex(index=harm_t.index, columns=harm_t.columns)
        if EFFORT in results.runs
        else harm_t * 0.0
    )
    options = [k if isinstance(k, tuple) else (k,) for k in harm_t.index]
    harm = harm_t.to_numpy(float)
    effort = np.nan_to_num(effort_t.to_numpy(float))
    base_option = tuple(baseline[f] for f in factors)
    base = next(
        (i for i, o in enumerate(options) if all(same(a, b) for a, b in zip(o, base_option))), None
    )
    if base is None:  # every run of the baseline option failed: nothing to price against
        return None
    casualties = casualties_per_harm_hour(results, setting)
    threshold = costs.threshold(casualties)
    if costs.rule == "net_benefit" and not np.isfinite(threshold):
        return None  # nothing to value harm with: the caller says so
    cost = option_costs(results, factors, options, effort, setting, costs, baseline)
    chosen = choose(harm, cost, base, costs, threshold, margin, n_resamples, seed)
    share = (
        chosen_share(harm, cost, base, costs, threshold, chosen, n_resamples, seed)
        if costs.rule == "net_benefit"
        else float("nan")
    )
    labels = [
        i18n.text("report.sep", results.lang).join(
            short_text(f, v, results.lang) for f, v in zip(factors, o)
        )
        for o in options
    ]
    money = Money(
        factors,
        options,
        labels,
        harm,
        cost,
        base,
        costs,
        threshold,
        casualties,
        chosen,
        share,
        n_resamples,
    )
    money.steps = steps(money, results.lang, n_resamples, seed)
    money.switches = switches(money, baseline, n_resamples, seed)
    money.sensitivity = sensitivity(
        results, money, effort, setting, baseline, margin, n_resamples, seed
    )
    money.edges = edges(results, money)
    return money


def groups(money: Money) -> dict[Any, list[int]]:
    """Option indices by structure (one group when the structure is not decided), each
    ordered by volunteer level."""
    out: dict[Any, list[int]] = {}
    for i in range(len(money.options)):
        out.setdefault(money.level_of(i, STRUCTURE), []).append(i)
    for key in out:
        out[key].sort(key=lambda i: float(money.level_of(i, VOLUNTEERS) or 0.0))
    return out


def steps(money: Money, lang: str, n_resamples: int, seed: int) -> list[Step]:
    if VOLUNTEERS not in money.factors:
        return []
    out = []
    epy = money.costs.emergencies_per_year
    for structure, members in groups(money).items():
        name = (
            short_text(STRUCTURE, structure, lang)
            if structure is not None
            else i18n.text("report.all_runs", lang)
        )
        for a, b in zip(members, members[1:]):
            avoided = epy * (money.harm[a] - money.harm[b])
            extra = money.cost[b] - money.cost[a]
            point, low, high = ratio_ci(avoided, extra, n_resamples, seed)
            out.append(
                Step(
                    name,
                    money.level_of(a, VOLUNTEERS),
                    money.level_of(b, VOLUNTEERS),
                    float(extra.mean()),
                    float(avoided.mean()),
                    point,
                    low,
                    high,
                )
            )
    return out


def switches(money: Money, baseline: dict[str, Any], n_resamples: int, seed: int) -> list[Switch]:
    """Each other structure against the baseline's, at every volunteer level."""
    if STRUCTURE not in money.factors:
        return []
    base_structure = baseline[STRUCTURE]
    out = []
    by_level: dict[Any, dict[Any, int]] = {}
    for i in range(len(money.options)):
        level = money.level_of(i, VOLUNTEERS)
        by_level.setdefault(level, {})[money.level_of(i, STRUCTURE)] = i
    for level in sorted(by_level, key=lambda v: float(v or 0.0)):
        row = by_level[level]
        ref = next((i for s, i in row.items() if same(s, base_structure)), None)
        if ref is None:
            continue
        for structure, i in row.items():
            if i == ref:
                continue
            d = paired_difference(money.harm[i], money.harm[ref], True, n_resamples, seed=seed)
            out.append(Switch(structure, level, d, float((money.cost[i] - money.cost[ref]).mean())))
    return out


def sensitivity(
    results: SweepResults,
    money: Money,
    effort: np.ndarray,
    setting: dict[str, Any],
    baseline: dict[str, Any],
    margin: float,
    n_resamples: int,
    seed: int,
) -> list[tuple[str, float, int]]:
    """The costs whose plausible low or high value changes the recommendation (one at a
    time): (name, value, the option then chosen)."""
    changes = []
    for name in cs.NAMES:
        plausible = cs.meta(name)["plausible"]
        if not plausible:
            continue
        for value in plausible:
            if value == getattr(money.costs, name):
                continue
            other = money.costs.replace(**{name: value})
            cost = option_costs(
                results, money.factors, money.options, effort, setting, other, baseline
            )
            pick = choose(
                money.harm,
                cost,
                money.base,
                other,
                other.threshold(money.casualties_per_hour),
                margin,
                n_resamples,
                seed,
            )
            if pick != money.chosen:
                changes.append((name, float(value), pick))
    return changes


def edges(results: SweepResults, money: Money) -> list[tuple[str, Any]]:
    """Whether the recommended team size is the largest tested (a larger one might be better
    still) or the smallest, when that is not zero."""
    if VOLUNTEERS not in money.factors:
        return []
    levels = sorted(float(v) for v in results.manifest["factors"][VOLUNTEERS])
    level = float(money.level_of(money.chosen, VOLUNTEERS))
    out = []
    if len(levels) > 1 and level == levels[-1]:
        out.append(("upper", money.level_of(money.chosen, VOLUNTEERS)))
    if len(levels) > 1 and level == levels[0] and levels[0] > 0:
        out.append(("lower", money.level_of(money.chosen, VOLUNTEERS)))
    return out
