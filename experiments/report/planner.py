"""The planner's sections of a sweep report: the decision summary (page 1: the question, the
answer in money and the rule behind it, the structures compared at each volunteer level, the
cost basis, the limits box, then headlines, caveats and every decision factor's levels
ranked) and the harm map of the best and the baseline policy side by side.

Every text comes from the translation catalogue (``report.*`` keys of
``experiments/i18n/locales/<lang>/*.toml``).
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from experiments import costs as cs
from experiments import factors as fc
from experiments import i18n
from experiments import outcomes as oc
from experiments.report import answer as an
from experiments.report import charts
from experiments.report import decision as dc
from experiments.report import money as mn
from experiments.report.limits import limits
from experiments.report.stats import N_RESAMPLES, SEED
from experiments.report.sweep import SweepResults, baseline_of, same, stated_baseline, sweep_setting
from experiments.sweeps.store import SweepStore


@dataclass
class Decision:
    """The decision summary's numbers and words."""

    question: str
    factors: list[str]
    outcomes: list[str]
    rankings: list[dc.FactorRanking] = field(default_factory=list)
    recommendations: list[dc.Recommendation] = field(default_factory=list)
    headlines: list[str] = field(default_factory=list)
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)  # name -> shown numbers
    money_tables: dict[str, pd.DataFrame] = field(default_factory=dict)  # options, steps
    charts: list[charts.Chart] = field(default_factory=list)  # page 1's charts first
    pdf_charts: list[charts.Chart] = field(default_factory=list)  # the one-page PDF's
    caveats: list[str] = field(default_factory=list)
    answer: list[str] = field(default_factory=list)  # page 1: the answer and its rule
    warnings: list[str] = field(default_factory=list)  # page 1: edges, cost sensitivity
    structures: list[str] = field(default_factory=list)  # page 1: structures compared
    cost_basis: str = ""
    limits: list[str] = field(default_factory=list)
    money: mn.Money | None = None
    worlds: Any = None  # worlds.Across: wins and regret across hazards and plausible worlds
    held: dict[str, Any] = field(default_factory=dict)  # stated levels of other factors
    html: str = ""


def cell(v: Any) -> str:
    if v is pd.NA or isinstance(v, (float, np.floating)) and v != v:
        return "–"
    if isinstance(v, (float, np.floating)):
        return dc.num(float(v))
    return html.escape(str(v))


def table_html(frame: pd.DataFrame, rough: bool, css: str = "decision") -> str:
    """Every column of ``frame`` as printed (the CSV holds the same numbers); intervals from
    too few emergencies in grey. (The page puts every table in a box that scrolls sideways
    when the table is wider than the page.)"""
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in frame.columns)
    ci = {i for i, c in enumerate(dc.COLUMNS) if c.endswith(("_low", "_high"))}
    rows = []
    for values in frame.itertuples(index=False):
        cells = "".join(
            f"<td class=rough>{cell(v)}</td>" if rough and i in ci else f"<td>{cell(v)}</td>"
            for i, v in enumerate(values)
        )
        rows.append(f"<tr>{cells}</tr>")
    css = f" class={css}" if css else ""
    return f"<table{css}><tr>{head}</tr>{''.join(rows)}</table>"


def headline(results: SweepResults, r: dc.FactorRanking, lang: str) -> str:
    """The best level against the baseline level on one outcome, in units (shares in
    percentage points), with its CI and how often it was better."""
    best = r.rows[0]
    what = oc.words(r.outcome, lang)
    base = next(row for row in r.rows if same(row.level, r.baseline))
    if best is base:
        text = i18n.text(
            "report.headline.baseline_best",
            lang,
            option=best.label,
            outcome=what,
            value=dc.value_with_ci(r.outcome, best.estimate, lang),
        )
    else:
        d = best.vs_baseline
        text = i18n.text(
            "report.headline.best",
            lang,
            option=best.label,
            outcome=what,
            value=dc.value_with_ci(r.outcome, best.estimate, lang),
            base=base.label,
            base_value=dc.num(dc.shown(r.outcome, base.estimate.mean))
            + dc.unit_suffix(r.outcome, lang),
            change=dc.change_with_ci(r.outcome, d, lang),
            k=d.n_better,
            n=d.n,
        )
    return text[:1].upper() + text[1:]


def decide(
    results: SweepResults,
    baseline: dict[str, Any],
    outcomes: list[str],
    out: Path,
    margin: float = dc.MARGIN,
    n_resamples: int = N_RESAMPLES,
    seed: int = SEED,
    sources: dict[str, str] | None = None,
    costs: cs.Costs | None = None,
    every_world: SweepResults | None = None,
) -> Decision:
    """The decision summary; ``every_world``: the runs of every declared world (``results``
    holds the base world's), for the options' wins and regret across worlds. ``baseline``
    is one level of every list factor (:func:`experiments.report.sweep.resolve_baseline`); a
    stated level of a factor that is not a decision (``--baseline
    organization.structure=siloed`` in a sweep that decides the volunteer team only) is the
    street as it is: the decision is made at that level."""
    from experiments.report import tradeoffs

    lang = results.lang
    t = lambda key, **f: i18n.text(key, lang, **f)  # noqa: E731
    main = oc.main_outcomes(outcomes)
    factors = dc.decision_factors(results)
    sources = sources if sources is not None else {k: "file" for k in baseline}
    held = {k: v for k, v in stated_baseline(baseline, sources).items() if k not in factors}
    view = results.holding(held)
    decision = Decision(
        dc.question(results)
        or t("report.decision.no_question", name=results.manifest.get("sweep", "")),
        factors,
        main,
        held=held,
    )
    derived = [o for o in outcomes if o not in main]
    if derived:
        decision.caveats.append(
            t(
                "report.decision.derived",
                outcomes=t("report.sep").join(oc.label(o, lang) for o in derived),
                of=t("report.sep").join(oc.words(oc.derived_from(o), lang) for o in derived),
            )
        )
    ranking_parts, ranking_charts = rank_all(
        view, decision, baseline, sources, out, margin, n_resamples, seed
    )
    setting = sweep_setting(results.manifest)
    costs = costs if costs is not None else cs.load_costs()
    money = mn.analyse(view, factors, baseline, setting, costs, margin, n_resamples, seed)
    decision.money = money
    if money is not None:
        decision.answer = [an.recommendation(money, lang), an.rule(money, lang, margin)]
        decision.warnings = an.warnings(view, money, lang)
        base_structure = baseline.get(mn.STRUCTURE)
        decision.structures = an.switches_by_level(money, base_structure, lang)
        decision.cost_basis = an.cost_basis(money, setting, lang)
        decision.charts, decision.pdf_charts = tradeoffs.money_charts(
            view, money, out, n_resamples, seed
        )
        decision.money_tables = tradeoffs.money_tables(view, money)
    else:
        decision.answer = [r.sentence for r in decision.recommendations]
        if mn.applies(view, factors):  # priced, but harm has no value to weigh it with
            decision.warnings.append(
                t(
                    "report.money.no_threshold",
                    param=(mn.CASUALTIES if mn.CASUALTIES in view.runs else mn.LETHALITY),
                )
            )
        elif any(f in mn.COSTED for f in factors):
            decision.warnings.append(
                t(
                    "report.money.not_costed",
                    factors=t("report.sep").join(
                        fc.name(f, lang) for f in factors if f not in mn.COSTED
                    ),
                )
            )
        decision.charts = list(ranking_charts)
        decision.pdf_charts = list(ranking_charts[:2])
    if held:
        decision.caveats.append(
            t(
                "report.decision.held",
                levels=t("report.sep").join(fc.value_text(k, v, lang) for k, v in held.items()),
            )
        )
    if every_world is not None:
        from experiments.report.worlds import across

        decision.worlds = across(every_world.holding(held), factors, baseline, money, main[0], lang)
    n = min((r.n for r in decision.rankings), default=0)
    decision.limits = limits(setting, n, lang, worlds=decision.worlds is not None)
    decision.html = page_one_html(decision, lang) + "".join(ranking_parts)
    if money is not None:  # the charts of the margin rule follow its sentences
        decision.charts += ranking_charts
    return decision


def rank_all(
    results: SweepResults,
    decision: Decision,
    baseline: dict[str, Any],
    sources: dict[str, str],
    out: Path,
    margin: float,
    n_resamples: int,
    seed: int,
) -> tuple[list[str], list[charts.Chart]]:
    """Every decision factor's levels ranked on every main outcome, the margin rule's option
    per factor, headlines and caveats; the HTML of the rankings and their charts."""
    lang = results.lang
    t = lambda key, **f: i18n.text(key, lang, **f)  # noqa: E731
    parts = [f"<h3>{html.escape(t('report.decision.without_costs'))}</h3>"]
    made = []
    for factor in decision.factors:
        factor_name = fc.name(factor, lang)
        for k, outcome in enumerate(decision.outcomes):
            r = dc.rank_factor(results, factor, outcome, baseline, lang, n_resamples, seed)
            r.baseline_given = sources.get(factor, "default") != "default"
            decision.rankings.append(r)
            if k == 0:
                rec = dc.recommend(
                    results, r, margin, lang, priced=mn.applies(results, decision.factors)
                )
                decision.recommendations.append(rec)
                idx = next(i for i, row in enumerate(r.rows) if same(row.level, rec.level))
                chart = charts.ranking(
                    out,
                    f"decision_{factor.replace('.', '_')}",
                    t(
                        "report.chart.ranking_title",
                        factor=factor_name,
                        outcome=oc.words(outcome, lang),
                    ),
                    f"{oc.label(outcome, lang)} ({dc.unit_suffix(outcome, lang).strip()})",
                    [row.label for row in r.rows],
                    [scaled(outcome, row.estimate) for row in r.rows],
                    idx,
                    r.n,
                    {
                        "rough": t("report.chart.rough", n=r.n, min=dc.MIN_REPLICATIONS),
                        "caption": t("report.chart.ranking_caption", margin=f"{100 * margin:g}"),
                    },
                )
                made.append(chart)
                parts.append(
                    f"<h3>{html.escape(factor_name)}</h3>"
                    f"<p class=answer>{html.escape(rec.sentence)}</p>" + figure(chart)
                )
                edge = dc.best_at_edge(results, r, lang)
                if edge:
                    decision.caveats.append(edge)
            name = f"decision_{factor.split('.')[-1]}_{outcome}"
            frame = dc.ranking_frame(r, lang)
            decision.tables[name] = frame
            decision.headlines.append(headline(results, r, lang))
            note = "" if r.baseline_given else " " + t("report.decision.first_level_baseline")
            rough = r.n < dc.MIN_REPLICATIONS
            warn = t("report.decision.rough", n=r.n, min=dc.MIN_REPLICATIONS) if rough else ""
            warn = f" <span class=warn>{html.escape(warn)}</span>" if warn else ""
            heading = t(
                "report.decision.table_title",
                factor=factor_name,
                outcome=oc.label(outcome, lang),
                direction=direction(outcome, lang),
            )
            parts.append(
                f"<p><b>{html.escape(heading)}</b>{html.escape(note)}{warn}</p>"
                f"{table_html(frame, rough)}"
            )
    decision.caveats += [
        t(f"report.caveat.{o}") for o in decision.outcomes if i18n.has(f"report.caveat.{o}", lang)
    ]
    decision.caveats.append(t("report.decision.method", margin=f"{100 * margin:g}"))
    if len(decision.factors) > 1:
        decision.caveats.append(t("report.decision.averaged"))
    n = min(r.n for r in decision.rankings)
    if n < dc.MIN_REPLICATIONS:
        decision.caveats.append(t("report.decision.rough", n=n, min=dc.MIN_REPLICATIONS))
    return parts, made


def page_one_html(decision: Decision, lang: str) -> str:
    """The question, the answer, the structures compared, the cost basis, the limits box,
    the page-1 charts, headlines and caveats."""
    e = html.escape
    t = lambda key, **f: i18n.text(key, lang, **f)  # noqa: E731

    def items(lines: list[str], bold: bool = False) -> str:
        return "".join(f"<li><b>{e(x)}</b></li>" if bold else f"<li>{e(x)}</li>" for x in lines)

    out = [
        f"<p class=question>{e(decision.question)}</p>",
        f"<h3>{e(t('report.decision.answer'))}</h3><ul class=answer>"
        f"{items(decision.answer[:1], True)}{items(decision.answer[1:])}</ul>",
    ]
    out += [f"<p class=warn>{e(w)}</p>" for w in decision.warnings]
    if decision.structures:
        out.append(
            f"<h3>{e(t('report.money.structures_title'))}</h3><ul>{items(decision.structures)}</ul>"
        )
    if decision.cost_basis:
        out.append(f"<p class=basis>{e(decision.cost_basis)}</p>")
    if decision.worlds is not None:
        out.append(
            f"<h3>{e(decision.worlds.title)}</h3><p>{e(decision.worlds.lines[0])} "
            f"{e(decision.worlds.assumptions)}</p>"
            f"<ul>{items(decision.worlds.lines[1:-1])}</ul>"
            f"<p class=basis>{e(decision.worlds.lines[-1])}</p>"
        )
    out.append(
        f"<div class=limits><h3>{e(t('report.limits.title'))}</h3>"
        f"<ul>{items(decision.limits)}</ul></div>"
    )
    if decision.money is not None:
        out += [figure(c) for c in decision.charts]
    out.append(f"<h3>{e(t('report.decision.headlines'))}</h3><ul>{items(decision.headlines)}</ul>")
    out.append(f"<h3>{e(t('report.decision.caveats'))}</h3><ul>{items(decision.caveats)}</ul>")
    return "".join(out)


def scaled(outcome: str, e: Any) -> Any:
    """An estimate in shown units (shares in percent)."""
    if not oc.is_share(outcome):
        return e
    return type(e)(100 * e.mean, 100 * e.low, 100 * e.high, e.n)


def direction(outcome: str, lang: str) -> str:
    h = oc.higher_is_better(outcome)
    return i18n.text(
        "report.higher_better"
        if h
        else "report.lower_better"
        if h is False
        else "report.no_direction",
        lang,
    )


def figure(chart: charts.Chart) -> str:
    e = html.escape
    return (
        f'<figure><img src="{chart.data_uri()}" alt="{e(chart.title)}"><figcaption>'
        f"{e(chart.caption)}</figcaption></figure>"
    )


# ---- the map ------------------------------------------------------------------------------


def best_policy(results: SweepResults, outcome: str) -> tuple:
    means = [results.runs_of(p)[outcome].mean() for p in results.policies()]
    order = np.argsort(means)
    return results.policies()[int(order[0] if oc.lower_is_better(outcome) else order[-1])]


def harm_map(
    results: SweepResults, baseline: dict[str, Any], outcome: str, out: Path
) -> charts.Chart | None:
    """Harm by grid in the first replication (the same emergency) of the best policy and its
    baseline, side by side."""
    from sim.scenario import load_scenario
    from sim.township import build_township

    store = SweepStore(results.folder)
    if not store.needs.is_dir() or not baseline or len(results.policies()) < 2:
        return None
    lang = results.lang
    best = best_policy(results, outcome)
    base = baseline_of(results, best, baseline)
    if all(same(a, b) for a, b in zip(best, base)):
        return None
    panels, township = [], None
    for title_key, policy in (("report.map.best", best), ("report.map.baseline", base)):
        runs = results.runs_of(policy).sort_values("replication")
        run = runs.iloc[0]
        needs = store.run_frames("needs", [run["run_id"]], ["grid", "harm"]).get(run["run_id"])
        if needs is None:
            return None
        if township is None:
            point = (results.manifest.get("points") or [{}])[int(run["point"])]
            b = results.manifest.get("base")
            config = load_scenario(
                b if b and Path(b).is_file() else None,
                overrides={**(results.manifest.get("fixed") or {}), **point},
            )
            township = build_township(config, int(run["seed"]))
        harm = np.bincount(
            needs["grid"].to_numpy(int),
            weights=needs["harm"].to_numpy(float),
            minlength=township.n_grids,
        )[: township.n_grids]
        panels.append(
            (
                i18n.text(
                    title_key, lang, policy=results.label(policy), total=f"{harm.sum():,.0f}"
                ),
                harm,
            )
        )
    from experiments.report.district_map import outlines

    shapes = outlines(township)
    caption = "report.map.caption" if shapes is None else "report.map.caption_district"
    return charts.harm_maps(
        out,
        township.graph,
        np.asarray(township.grid_pos, float),
        panels,
        {
            "colour": i18n.text("report.map.colour", lang),
            "title": i18n.text("report.map.title", lang, outcome=oc.label(outcome, lang)),
            "caption": i18n.text(caption, lang),
        },
        shapes,
    )
