"""The decision summary: every level of every decision factor ranked on the main outcomes,
and the option to recommend.

A *decision factor* is a list factor the sweep file names under ``decision`` (all list
factors when it names none). A level's value in one *emergency* (one pair key: replication
and sampled uncertainties, so common random numbers) is the mean of the outcome over the
level's runs in that emergency, i.e. averaged over the levels of the other list factors.
Two levels are compared emergency by emergency (:func:`experiments.report.stats.
paired_difference`), against the best level and against the baseline level.

The recommendation is the *cheapest sufficient* level: levels in cost order (numeric
factors: smallest first, so the smallest sufficient dose; other factors: the baseline, i.e.
no change, first, then the sweep file's order), and the first whose difference from the best
on the first main outcome is, with 95% confidence, no worse than ``margin`` (relative to the
best level's mean). The best level is always sufficient.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from experiments import i18n
from experiments import outcomes as oc
from experiments.factors import value_text
from experiments.report.stats import (
    N_RESAMPLES,
    SEED,
    Estimate,
    PairedDifference,
    bootstrap_mean,
    paired_difference,
)
from experiments.report.sweep import SweepResults, same, sweep_file_data

MARGIN = 0.05  # default practical margin: within 5% of the best counts as sufficient
MIN_REPLICATIONS = 10  # fewer emergencies than this: intervals are shown as rough


@dataclass
class LevelResult:
    level: Any
    label: str
    estimate: Estimate
    vs_best: PairedDifference | None  # None for the best level itself
    vs_baseline: PairedDifference | None  # None for the baseline level itself


@dataclass
class FactorRanking:
    """One decision factor's levels ranked on one outcome (best first)."""

    factor: str
    outcome: str
    rows: list[LevelResult]
    best: Any
    baseline: Any
    baseline_given: bool  # False: no baseline for this factor, its first level stands in

    @property
    def n(self) -> int:
        return min(r.estimate.n for r in self.rows)


@dataclass
class Recommendation:
    factor: str
    outcome: str
    level: Any
    best: Any
    diff: PairedDifference | None  # the recommended level against the best
    sentence: str
    rough: bool


def decision_factors(results: SweepResults) -> list[str]:
    given = (
        results.manifest.get("decision") or sweep_file_data(results.manifest).get("decision") or []
    )
    chosen = [k for k in given if k in results.policy_factors]
    return chosen or list(results.policy_factors)


def question(results: SweepResults) -> str:
    """The sweep file's question in the report's language: ``question`` is a sentence, or a
    table of sentences by language (``{ en = "...", zh = "..." }``, English the fallback)."""
    given = (
        results.manifest.get("question") or sweep_file_data(results.manifest).get("question") or ""
    )
    if isinstance(given, dict):
        given = given.get(results.lang) or given.get(i18n.DEFAULT) or next(iter(given.values()), "")
    return str(given)


def levels_of(results: SweepResults, factor: str) -> list[Any]:
    return list(results.manifest["factors"][factor])


def is_numeric(levels: list[Any]) -> bool:
    return all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in levels)


def per_emergency(results: SweepResults, factor: str, level: Any, outcome: str) -> pd.Series:
    """The level's outcome in each emergency (pair key), averaged over the other factors."""
    runs = results.runs
    pick = runs[[same(v, level) for v in runs[factor]]]
    return pick.groupby(results.pair_key)[outcome].mean()


def paired(
    a: pd.Series, b: pd.Series, lower: bool, n_resamples: int, seed: int
) -> PairedDifference:
    both = a.to_frame("a").join(b.to_frame("b"), how="inner").sort_index()
    return paired_difference(
        both["a"].to_numpy(float), both["b"].to_numpy(float), lower, n_resamples, seed=seed
    )


def rank_factor(
    results: SweepResults,
    factor: str,
    outcome: str,
    baseline: dict[str, Any],
    lang: str = i18n.DEFAULT,
    n_resamples: int = N_RESAMPLES,
    seed: int = SEED,
) -> FactorRanking:
    lower = oc.lower_is_better(outcome)
    levels = levels_of(results, factor)
    series = {i: per_emergency(results, factor, v, outcome) for i, v in enumerate(levels)}
    means = {i: s.mean() for i, s in series.items()}
    order = sorted(series, key=lambda i: means[i] if lower else -means[i])
    best = order[0]
    given = factor in baseline
    base = next((i for i, v in enumerate(levels) if same(v, baseline[factor])), 0) if given else 0
    rows = []
    for i in order:
        rows.append(
            LevelResult(
                levels[i],
                value_text(factor, levels[i], lang),
                bootstrap_mean(series[i].to_numpy(float), n_resamples, seed=seed),
                None if i == best else paired(series[i], series[best], lower, n_resamples, seed),
                None if i == base else paired(series[i], series[base], lower, n_resamples, seed),
            )
        )
    return FactorRanking(factor, outcome, rows, levels[best], levels[base], given)


def cost_order(results: SweepResults, ranking: FactorRanking) -> list[Any]:
    levels = levels_of(results, ranking.factor)
    if is_numeric(levels):
        return sorted(levels, key=float)
    return [ranking.baseline, *[v for v in levels if not same(v, ranking.baseline)]]


def sufficient(d: PairedDifference | None, lower: bool, margin: float) -> bool:
    """No worse than the best by more than ``margin`` (relative), with 95% confidence."""
    if d is None:
        return True
    bound = d.rel_high if lower else -d.rel_low
    return bool(np.isfinite(bound) and bound <= margin)


def recommend(
    results: SweepResults,
    ranking: FactorRanking,
    margin: float = MARGIN,
    lang: str = i18n.DEFAULT,
    priced: bool = False,
) -> Recommendation:
    """The margin rule's option; ``priced``: the report answers in money, and this sentence
    says it is the pick without costs."""
    lower = oc.lower_is_better(ranking.outcome)
    by_level = {str(r.level): r for r in ranking.rows}
    chosen = next(
        by_level[str(v)]
        for v in cost_order(results, ranking)
        if sufficient(by_level[str(v)].vs_best, lower, margin)
    )
    rough = ranking.n < MIN_REPLICATIONS
    best = by_level[str(ranking.best)]
    t = lambda key, **f: i18n.text(key, lang, **f)  # noqa: E731
    what = oc.words(ranking.outcome, lang)
    numeric = is_numeric(levels_of(results, ranking.factor))
    lead = t("report.decision.lead_without_costs" if priced else "report.decision.lead")
    if chosen is best:
        sentence = t(
            "report.decision.recommend_best",
            option=best.label,
            outcome=what,
            value=value_with_ci(ranking.outcome, best.estimate, lang),
            lead=lead,
        )
    else:
        d = chosen.vs_best
        sentence = t(
            "report.decision.recommend_numeric" if numeric else "report.decision.recommend_cheaper",
            lead=lead,
            option=chosen.label,
            best=best.label,
            outcome=what,
            margin=f"{100 * margin:g}",
            change=change_with_ci(ranking.outcome, d, lang),
        )
    if rough:
        sentence += t("report.join") + t(
            "report.decision.tentative", n=ranking.n, min=MIN_REPLICATIONS
        )
    return Recommendation(
        ranking.factor, ranking.outcome, chosen.level, ranking.best, chosen.vs_best, sentence, rough
    )


def best_at_edge(results: SweepResults, ranking: FactorRanking, lang: str = i18n.DEFAULT) -> str:
    """A warning when a numeric factor's best level is the largest level tested (a larger
    one might be better still), or the smallest when that is above zero; else ""."""
    levels = levels_of(results, ranking.factor)
    if not is_numeric(levels) or len(levels) < 2:
        return ""
    best, values = float(ranking.best), sorted(float(v) for v in levels)
    side = "upper" if best == values[-1] else "lower" if best == values[0] and best > 0 else ""
    if not side:
        return ""
    return i18n.text(
        f"report.decision.best_at_{side}",
        lang,
        level=value_text(ranking.factor, ranking.best, lang),
        outcome=oc.words(ranking.outcome, lang),
    )


# ---- numbers as readers see them (shares in percent and percentage points, units) -------


def round_sig(x: float, digits: int = 3) -> float:
    if x != x or x == 0 or not np.isfinite(x):
        return float(x)
    return float(f"{x:.{digits}g}")


def shown(outcome: str, x: float) -> float:
    """An outcome value as shown: a share in percent (one decimal), else 3 significant
    digits (at least the units: 25,213 stays 25,213). A value that rounds to zero is 0, never
    -0."""
    if oc.is_share(outcome):
        return round(100 * x, 1) + 0.0
    return (float(round(x)) if abs(x) >= 1000 else round_sig(x)) + 0.0


def shown_rel(x: float) -> float:
    return round(100 * x, 1) + 0.0  # + 0.0: -0.0 becomes 0.0


def num(x: float, signed: bool = False) -> str:
    """A shown number with thousands separators, signed if asked; zero is "0" (never "-0" or
    "+0")."""
    if x != x:
        return "n/a"
    if x == 0:
        return "0"
    text = f"{x:+,}" if signed else f"{x:,}"
    return text[:-2] if text.endswith(".0") else text


def unit_suffix(outcome: str, lang: str, diff: bool = False) -> str:
    if oc.is_share(outcome):
        return i18n.text("report.unit.points" if diff else "report.unit.percent", lang)
    u = oc.unit_text(outcome, lang)
    return f" {u}" if u else ""


def value_with_ci(outcome: str, e: Estimate, lang: str) -> str:
    u = unit_suffix(outcome, lang)
    text = f"{num(shown(outcome, e.mean))}{u}"
    if e.low == e.low:
        text += i18n.text(
            "report.ci", lang, low=num(shown(outcome, e.low)), high=num(shown(outcome, e.high)) + u
        )
    return text


def diff_with_ci(outcome: str, d: PairedDifference, lang: str) -> str:
    u = unit_suffix(outcome, lang, diff=True)
    text = f"{num(shown(outcome, d.diff), True)}{u}"
    if d.diff_low == d.diff_low:
        text += i18n.text(
            "report.ci",
            lang,
            low=num(shown(outcome, d.diff_low), True),
            high=num(shown(outcome, d.diff_high), True) + u,
        )
    return text


def change_with_ci(outcome: str, d: PairedDifference, lang: str) -> str:
    """The difference in units and, except for shares (percentage points say it), in
    percent."""
    if oc.is_share(outcome):
        return diff_with_ci(outcome, d, lang)
    return diff_with_ci(outcome, d, lang) + i18n.text("report.sep", lang) + rel_with_ci(d, lang)


def rel_with_ci(d: PairedDifference, lang: str) -> str:
    text = f"{num(shown_rel(d.rel), True)}%"
    if d.rel_low == d.rel_low:
        text += i18n.text(
            "report.ci",
            lang,
            low=num(shown_rel(d.rel_low), True),
            high=num(shown_rel(d.rel_high), True) + "%",
        )
    return text


COLUMNS = (
    "rank",
    "level",
    "mean",
    "mean_low",
    "mean_high",
    "best_diff",
    "best_diff_low",
    "best_diff_high",
    "best_rel",
    "best_rel_low",
    "best_rel_high",
    "best_better",
    "best_n",
    "base_diff",
    "base_diff_low",
    "base_diff_high",
    "base_rel",
    "base_rel_low",
    "base_rel_high",
    "base_better",
    "base_n",
)


def ranking_frame(r: FactorRanking, lang: str = i18n.DEFAULT) -> pd.DataFrame:
    """The ranking as a table of shown numbers (the HTML and the CSV print these): shares in
    percent and percentage points, relative changes in percent."""
    rows = []
    for k, row in enumerate(r.rows, start=1):
        e = row.estimate
        values: list[Any] = [
            k,
            row.label,
            shown(r.outcome, e.mean),
            shown(r.outcome, e.low),
            shown(r.outcome, e.high),
        ]
        for d in (row.vs_best, row.vs_baseline):
            if d is None:
                values += [0.0, np.nan, np.nan, 0.0, np.nan, np.nan, np.nan, np.nan]
            else:
                values += [
                    shown(r.outcome, d.diff),
                    shown(r.outcome, d.diff_low),
                    shown(r.outcome, d.diff_high),
                    shown_rel(d.rel),
                    shown_rel(d.rel_low),
                    shown_rel(d.rel_high),
                    d.n_better,
                    d.n,
                ]
        rows.append(values)
    frame = pd.DataFrame(rows, columns=list(COLUMNS))
    for column in ("best_better", "best_n", "base_better", "base_n"):  # counts, blank if none
        frame[column] = frame[column].astype("Int64")
    return frame.rename(columns={c: column_heading(c, r.outcome, lang) for c in COLUMNS})


def column_heading(column: str, outcome: str, lang: str) -> str:
    if oc.is_share(outcome):
        unit = i18n.text("report.unit.percent_word", lang)
        diff_unit = i18n.text("report.unit.points_word", lang)
    else:
        unit = diff_unit = f"({oc.unit_text(outcome, lang)})" if oc.unit(outcome) else ""
    return i18n.text(f"report.col.{column}", lang, unit=unit, diff_unit=diff_unit)


__all__ = [
    "FactorRanking",
    "MARGIN",
    "Recommendation",
    "decision_factors",
    "question",
    "rank_factor",
    "recommend",
    "ranking_frame",
]
