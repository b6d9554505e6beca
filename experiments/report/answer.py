"""Page 1 in words: the recommendation in money and the rule behind it, the structures
against the baseline's at each volunteer level, the cost basis, and warnings (a
recommendation at the edge of the levels tested, costs whose plausible range changes it).

Numbers are shown as the tables show them (:func:`experiments.report.decision.num`: never
"-0"); money in yuan (English: "1.23 M yuan" from a million; Chinese: "123 万元" from ten
thousand). Every sentence comes from the catalogue (``report.money.*``).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from experiments import costs as cs
from experiments import i18n
from experiments.factors import short_text, value_text
from experiments.report import decision as dc
from experiments.report.money import HARM, STRUCTURE, VOLUNTEERS, Money, Switch
from experiments.report.sweep import MIN_REPLICATIONS, SweepResults


def yuan(x: float, lang: str, signed: bool = False) -> str:
    """An amount of money: 3 significant digits, in millions (English) or ten thousands
    (Chinese) when large."""
    if x != x:
        return "n/a"
    scale = float(i18n.text("report.money.large_scale", lang))
    if abs(x) >= scale:
        return i18n.text("report.money.yuan_large", lang, x=dc.num(dc.round_sig(x / scale), signed))
    return i18n.text("report.money.yuan", lang, x=dc.num(dc.round_sig(x), signed))


def harm(x: float, lang: str) -> str:
    return f"{dc.num(dc.shown(HARM, x))}{dc.unit_suffix(HARM, lang)}"


def per_10k(x: float) -> str:
    return dc.num(dc.round_sig(x)) if np.isfinite(x) else "n/a"


def option_label(money: Money, i: int, lang: str) -> str:
    return money.labels[i]


def recommendation(money: Money, lang: str) -> str:
    """ "Recommended: integrated structure, 15 volunteers per 1,000: 1.23 M yuan a year;
    1,234 person-hours less harm per emergency than siloed structure, 0 volunteers per 1,000
    (95% CI ...), better in 20 of 20 emergencies.\""""
    t = lambda key, **f: i18n.text(key, lang, **f)  # noqa: E731
    i, b = money.chosen, money.base
    cost = yuan(float(money.cost[i].mean()), lang)
    if i == b:
        return t("report.money.keep", option=money.labels[b], cost=cost)
    from experiments.report.stats import paired_difference

    d = paired_difference(money.harm[i], money.harm[b], True, money.n_resamples)
    text = t(
        "report.money.recommend",
        option=money.labels[i],
        cost=cost,
        extra=yuan(float((money.cost[i] - money.cost[b]).mean()), lang, signed=True),
        change=fewer_more(d, lang),
        base=money.labels[b],
        k=d.n_better,
        n=d.n,
    )
    if d.n < MIN_REPLICATIONS:
        text += t("report.join") + t("report.decision.tentative", n=d.n, min=MIN_REPLICATIONS)
    return text


def fewer_more(d: Any, lang: str) -> str:
    """ "1,234 fewer person-hours of harm (95% CI 1,100 to 1,400)": the reduction as a
    positive number (or "more" when it is an increase)."""
    fewer = d.diff <= 0
    x, low, high = (
        (-d.diff, -d.diff_high, -d.diff_low) if fewer else (d.diff, d.diff_low, d.diff_high)
    )
    unit = dc.unit_suffix(HARM, lang)
    numbers = dict(
        x=dc.num(dc.shown(HARM, x)),
        unit=unit,
        low=dc.num(dc.shown(HARM, low)),
        high=dc.num(dc.shown(HARM, high)),
    )
    if low != low:
        return i18n.text(
            "report.money.fewer_no_ci" if fewer else "report.money.more_no_ci", lang, **numbers
        )
    return i18n.text("report.money.fewer" if fewer else "report.money.more", lang, **numbers)


def rule(money: Money, lang: str, margin: float) -> str:
    t = lambda key, **f: i18n.text(key, lang, **f)  # noqa: E731
    if money.costs.rule == "cheapest_within":
        return t("report.money.rule_cheapest", margin=f"{100 * margin:g}")
    value = 10_000.0 / money.threshold if money.threshold > 0 else float("inf")
    text = t("report.money.rule_net", threshold=per_10k(money.threshold), value=yuan(value, lang))
    if money.chosen_share == money.chosen_share:
        text += t("report.join") + t(
            "report.money.rule_share",
            share=f"{100 * money.chosen_share:.0f}",
            resamples=f"{money.n_resamples:,}",
            n=money.n,
        )
    return text


def structure_short(value: Any, lang: str) -> str:
    return short_text(STRUCTURE, value, lang)


def switches_by_level(money: Money, base_structure: Any, lang: str) -> list[str]:
    """One sentence per volunteer level: each other structure against the baseline's there,
    "At 10 volunteers per 1,000, against siloed: integrated grid 206 fewer person-hours of
    harm (95% CI 75 to 288), better in 20 of 20 emergencies, +17,100 yuan a year; ..."."""
    t = lambda key, **f: i18n.text(key, lang, **f)  # noqa: E731
    levels: dict[Any, list[Switch]] = {}
    for s in money.switches:
        levels.setdefault(s.level, []).append(s)
    out = []
    for level, items in levels.items():
        parts = [
            t(
                "report.money.switch_item",
                new=structure_short(s.structure, lang),
                change=fewer_more(s.diff, lang),
                k=s.diff.n_better,
                n=s.diff.n,
                cost=t("report.money.cost_delta", cost=yuan(s.extra_cost, lang, signed=True)),
            )
            for s in items
        ]
        where = (
            t("report.money.at_level_start", level=value_text(VOLUNTEERS, level, lang))
            if level is not None
            else ""
        )
        out.append(
            t(
                "report.money.switch_level",
                at=where,
                old=structure_short(base_structure, lang),
                items=t("report.money.item_sep").join(parts),
            )
        )
    return out


def in_sentence(name: str) -> str:
    """A name inside a sentence: "Volunteer-hour on call" -> "volunteer-hour on call"."""
    return name[:1].lower() + name[1:] if name[1:2].islower() else name


def cost_basis(money: Money, setting: dict[str, Any], lang: str) -> str:
    t = lambda key, **f: i18n.text(key, lang, **f)  # noqa: E731
    c = money.costs
    residents = float(setting.get("population.n_residents", 0))
    if c.threshold_derived:
        how = t(
            "report.money.threshold_derived",
            value=yuan(c.value_per_casualty_yuan, lang),
            rate=f"{money.casualties_per_hour:g}",
        )
    else:
        how = t("report.money.threshold_set")
    return t(
        "report.money.basis",
        vh=yuan(c.volunteer_hour_yuan, lang),
        sh=yuan(c.staff_hour_yuan, lang),
        tr=yuan(c.training_yuan_per_volunteer, lang),
        ro=yuan(c.reorganization_yuan_per_1000, lang),
        ro_total=yuan(c.reorganization_yuan_per_1000 * residents / 1000.0, lang),
        years=f"{c.horizon_years:g}",
        epy=f"{c.emergencies_per_year:g}",
        hours=f"{float(setting.get('time.war_hours', 0)):g}",
        threshold=per_10k(money.threshold),
        how=how,
    )


def warnings(results: SweepResults, money: Money, lang: str) -> list[str]:
    t = lambda key, **f: i18n.text(key, lang, **f)  # noqa: E731
    out = []
    levels = [float(v) for v in results.manifest["factors"].get(VOLUNTEERS, [])]
    for side, level in money.edges:
        out.append(
            t(
                f"report.money.edge_{side}",
                level=value_text(VOLUNTEERS, level, lang),
                low=dc.num(min(levels)),
                high=dc.num(max(levels)),
            )
        )
    if money.sensitivity:
        by_pick: dict[int, list[str]] = {}
        for name, value, pick in money.sensitivity:
            by_pick.setdefault(pick, []).append(
                t(
                    "report.money.sensitive_item",
                    name=in_sentence(cs.label(name, lang)),
                    value=dc.num(dc.round_sig(value)),
                    unit=cs.unit_text(name, lang),
                )
            )
        out.append(
            t(
                "report.money.sensitive",
                changes=t("report.money.item_sep").join(
                    t(
                        "report.money.sensitive_pick",
                        option=money.labels[pick],
                        items=t("report.sep").join(items),
                    )
                    for pick, items in by_pick.items()
                ),
            )
        )
    else:
        out.append(t("report.money.robust_to_costs"))
    return out


__all__ = ["cost_basis", "recommendation", "rule", "switches_by_level", "warnings", "yuan"]
