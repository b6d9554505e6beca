"""Trade-offs: what each option costs against the harm (or the main outcome) it leaves.

With prices (:mod:`experiments.report.money`): each option's cost a year in yuan against its
harm per emergency, and the harm each step up the volunteer levels avoids per 10,000 yuan,
with intervals and the rule's threshold; tables of both. Without (a sweep whose decision
factors have no price): the standing volunteer-hours on call, or the response effort, against
the main outcome, and harm avoided per extra 1,000 volunteer-hours.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from experiments import i18n
from experiments import outcomes as oc
from experiments.factors import value_text
from experiments.report import charts
from experiments.report import decision as dc
from experiments.report import planner_charts as pc
from experiments.report.answer import structure_short, yuan
from experiments.report.money import STRUCTURE, VOLUNTEERS, Money
from experiments.report.stats import N_RESAMPLES, SEED, Estimate, bootstrap_mean
from experiments.report.sweep import SweepResults, sweep_setting

EFFORT_OUTCOME = "person_hours"  # the x axis of the trade-off chart where no dose is swept


def scaled(outcome: str, e: Estimate) -> Estimate:
    """An estimate in shown units (shares in percent)."""
    if not oc.is_share(outcome):
        return e
    return Estimate(100 * e.mean, 100 * e.low, 100 * e.high, e.n)


def level_number(value: object) -> str:
    return dc.num(float(value)) if isinstance(value, (int, float)) else str(value)


# ---- with money ---------------------------------------------------------------------------

A4_SIZE = (6.4, 5.6)  # inches: the one-page PDF's versions, side by side at half its width


def money_charts(
    results: SweepResults, money: Money, out: Path, n_resamples: int = N_RESAMPLES, seed: int = SEED
) -> tuple[list[charts.Chart], list[charts.Chart]]:
    """The cost-effectiveness of each step (when a volunteer level is decided) and the
    trade-off of cost against harm: for the page, and smaller for the one-page PDF
    (``*_a4.png``)."""
    lang = results.lang
    t = lambda key, **f: i18n.text(key, lang, **f)  # noqa: E731
    page, a4 = [], []
    n = money.n
    if money.steps:
        groups: dict[str, list[tuple[str, Estimate]]] = {}
        for s in money.steps:
            groups.setdefault(s.group, []).append(
                (
                    t("report.money.step", low=level_number(s.low), high=level_number(s.high)),
                    Estimate(s.per_10k, s.per_10k_low, s.per_10k_high, n),
                )
            )
        words = {
            "title": t("report.money.ce_title"),
            "x": t("report.money.ce_x"),
            "y": t("report.money.ce_y"),
            "threshold": t(
                "report.money.ce_threshold", threshold=dc.num(dc.round_sig(money.threshold))
            ),
            "caption": t("report.money.ce_caption"),
        }
        page.append(pc.cost_effectiveness(out, groups, money.threshold, words, n, lang))
        a4.append(
            pc.cost_effectiveness(
                out, groups, money.threshold, words, n, lang, A4_SIZE, "cost_effectiveness_a4"
            )
        )
    scale = float(i18n.text("report.money.large_scale", lang))
    points = []
    for i in range(len(money.options)):
        structure = money.level_of(i, STRUCTURE)
        level = money.level_of(i, VOLUNTEERS)
        group = (
            structure_short(structure, lang) if structure is not None else t("report.money.options")
        )
        label = level_number(level) if level is not None else money.labels[i]
        x = bootstrap_mean(money.cost[i] / scale, n_resamples, seed=seed)
        y = bootstrap_mean(money.harm[i], n_resamples, seed=seed)
        points.append(pc.Point(x, y, group, label))
    words = {
        "title": t("report.money.tradeoff_title"),
        "x": t("report.money.tradeoff_x"),
        "y": f"{oc.label('total_harm', lang)} ({oc.unit_text('total_harm', lang)})",
        "front": t("report.tradeoff.front"),
        "baseline": t("report.money.legend_baseline", option=short_label(money, money.base, lang)),
        "recommended": t(
            "report.money.legend_recommended", option=short_label(money, money.chosen, lang)
        ),
        "labels": t("report.money.legend_numbers") if VOLUNTEERS in money.factors else "",
        "caption": t("report.money.tradeoff_caption"),
    }
    marks = {"baseline": money.base, "recommended": money.chosen}
    page.append(pc.tradeoff(out, points, True, words, n, marks, lang))
    a4.append(pc.tradeoff(out, points, True, words, n, marks, lang, A4_SIZE, "tradeoff_a4"))
    return page, a4


def short_label(money: Money, i: int, lang: str) -> str:
    """An option in few words: "integrated grid, 10 volunteers per 1,000"."""
    parts = []
    for f, v in zip(money.factors, money.options[i]):
        parts.append(structure_short(v, lang) if f == STRUCTURE else value_text(f, v, lang))
    return i18n.text("report.sep", lang).join(parts)


def money_tables(results: SweepResults, money: Money) -> dict[str, pd.DataFrame]:
    """``options``: every option's cost a year and harm; ``cost_effectiveness``: each step."""
    lang = results.lang
    t = lambda key, **f: i18n.text(key, lang, **f)  # noqa: E731
    h, c = money.harm.mean(axis=1), money.cost.mean(axis=1)
    epy = money.costs.emergencies_per_year
    value = 10_000.0 / money.threshold if money.threshold > 0 else np.inf
    rows = []
    for i in np.argsort(c, kind="stable"):
        avoided = epy * (h[money.base] - h[i])
        extra = c[i] - c[money.base]
        rows.append(
            {
                t("report.money.col.option"): money.labels[i],
                t("report.money.col.cost"): round(float(c[i])),
                t("report.money.col.extra"): round(float(extra)),
                t("report.money.col.harm"): dc.shown("total_harm", float(h[i])),
                t("report.money.col.avoided"): dc.shown("total_harm", float(avoided)),
                t("report.money.col.net"): round(float(value * avoided - extra))
                if np.isfinite(value)
                else np.nan,
                t("report.money.col.chosen"): t("report.money.yes") if i == money.chosen else "",
            }
        )
    options = pd.DataFrame(rows)
    steps = pd.DataFrame(
        [
            {
                t("report.money.col.group"): s.group,
                t("report.money.col.from"): s.low,
                t("report.money.col.to"): s.high,
                t("report.money.col.step_cost"): round(s.extra_cost),
                t("report.money.col.step_avoided"): dc.shown("total_harm", s.avoided),
                t("report.money.col.per_10k"): dc.round_sig(s.per_10k) + 0.0,
                t("report.money.col.per_10k_low"): dc.round_sig(s.per_10k_low) + 0.0,
                t("report.money.col.per_10k_high"): dc.round_sig(s.per_10k_high) + 0.0,
                t("report.money.col.above"): t("report.money.yes")
                if s.per_10k >= money.threshold
                else t("report.money.no"),
            }
            for s in money.steps
        ]
    )
    tables = {"options": options}
    if len(steps):
        tables["cost_effectiveness"] = steps
    return tables


def money_text(money: Money, lang: str) -> str:
    return i18n.text(
        "report.money.tables_intro",
        lang,
        value=yuan(10_000.0 / money.threshold, lang) if money.threshold > 0 else "∞",
    )


# ---- without money ------------------------------------------------------------------------


def volunteer_hours(results: SweepResults, level: float) -> float:
    """Standing volunteer-hours on call over the emergency: volunteers x wartime hours."""
    setting = sweep_setting(results.manifest)
    return (
        float(level)
        / 1000.0
        * float(setting["population.n_residents"])
        * float(setting["time.war_hours"])
    )


def plain_tradeoff(
    results: SweepResults, outcome: str, out: Path, n_resamples: int = N_RESAMPLES, seed: int = SEED
) -> tuple[list[charts.Chart], str, pd.DataFrame | None]:
    """The trade-off chart (volunteer-hours or response effort against the main outcome,
    Pareto front) and, for the volunteer team size, harm avoided per extra 1,000
    volunteer-hours."""
    lang = results.lang
    t = lambda key, **f: i18n.text(key, lang, **f)  # noqa: E731
    made: list[charts.Chart] = []
    text = ""
    policies = results.policies()
    factors = results.policy_factors
    volunteers = VOLUNTEERS in factors
    if (
        (volunteers or EFFORT_OUTCOME in results.runs)
        and outcome != EFFORT_OUTCOME
        and len(policies) > 1
    ):
        points = []
        for p in policies:
            if volunteers:
                h = volunteer_hours(results, p[factors.index(VOLUNTEERS)]) / 1000.0
                x = Estimate(h, h, h, 0)
            else:
                x = bootstrap_mean(
                    results.runs_of(p)[EFFORT_OUTCOME].to_numpy(float), n_resamples, seed=seed
                )
            y = scaled(
                outcome,
                bootstrap_mean(results.runs_of(p)[outcome].to_numpy(float), n_resamples, seed=seed),
            )
            if volunteers:
                rest = [k for k in factors if k != VOLUNTEERS]
                group = results.label(p, rest) if rest else t("report.money.options")
                label = level_number(p[factors.index(VOLUNTEERS)])
            elif len(factors) > 1:
                group = results.label(p, factors[:1])
                label = results.label(p, factors[1:])
            else:
                group, label = t("report.money.options"), results.label(p)
            points.append(pc.Point(x, y, group, label))
        x_label = (
            t("report.tradeoff.volunteer_hours")
            if volunteers
            else f"{oc.label(EFFORT_OUTCOME, lang)} ({oc.unit_text(EFFORT_OUTCOME, lang)})"
        )
        words = {
            "front": t("report.tradeoff.front"),
            "x": x_label,
            "y": f"{oc.label(outcome, lang)} ({dc.unit_suffix(outcome, lang).strip()})",
            "title": t("report.tradeoff.title", outcome=oc.words(outcome, lang)),
            "labels": t("report.money.legend_numbers") if volunteers else "",
            "caption": t("report.tradeoff.caption"),
        }
        made.append(
            pc.tradeoff(
                out, points, oc.lower_is_better(outcome), words, results.n_per_policy(), lang=lang
            )
        )
        front = charts.pareto_front(
            np.array([p.x.mean for p in points]),
            np.array([p.y.mean for p in points]),
            oc.lower_is_better(outcome),
        )
        text = t(
            "report.tradeoff.front_is",
            policies=t("report.sep").join(results.label(policies[i]) for i in front),
        )
    frame = None
    if volunteers and "total_harm" in results.runs:
        levels = sorted(float(v) for v in results.manifest["factors"][VOLUNTEERS])
        harm = np.array(
            [dc.per_emergency(results, VOLUNTEERS, v, "total_harm").mean() for v in levels]
        )
        hours = np.array([volunteer_hours(results, v) for v in levels])
        with np.errstate(divide="ignore", invalid="ignore"):
            per_k = (harm[:-1] - harm[1:]) / (np.diff(hours) / 1000.0)
        frame = pd.DataFrame(
            {
                t("report.ce.col_from"): levels[:-1],
                t("report.ce.col_to"): levels[1:],
                t("report.ce.col_hours"): np.round(np.diff(hours), 0),
                t("report.ce.col_avoided"): [dc.round_sig(v) + 0.0 for v in harm[:-1] - harm[1:]],
                t("report.ce.col_per_k"): [dc.round_sig(v) + 0.0 for v in per_k],
            }
        )
    return made, text, frame


__all__ = ["money_charts", "money_tables", "plain_tradeoff", "volunteer_hours"]
