"""The planner's sections of a sweep report: the decision summary (question, answer,
rankings, headlines), trade-offs (two outcomes with the Pareto front, cost-effectiveness of a
numeric factor) and the harm map of the best and the baseline policy side by side.

Every text comes from the translation catalogue (``report.*`` keys of
``experiments/i18n/locales/<lang>/report.toml``).
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from experiments import factors as fc
from experiments import i18n
from experiments.report import charts
from experiments.report import decision as dc
from experiments import outcomes as oc
from experiments.report.stats import N_RESAMPLES, SEED, Estimate, bootstrap_mean
from experiments.report.sweep import SweepResults, baseline_of, same

EFFORT_OUTCOME = "person_hours"  # the x axis of the trade-off chart where no dose is swept
VOLUNTEER_FACTOR = "volunteers.team_size_per_1000"


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
    charts: list[charts.Chart] = field(default_factory=list)
    caveats: list[str] = field(default_factory=list)
    html: str = ""


def cell(v: Any) -> str:
    if v is pd.NA or isinstance(v, (float, np.floating)) and v != v:
        return "–"
    if isinstance(v, (float, np.floating)):
        return dc.num(float(v))
    return html.escape(str(v))


def table_html(frame: pd.DataFrame, rough: bool) -> str:
    """Every column of ``frame`` as printed (the CSV holds the same numbers); intervals from
    too few emergencies in grey."""
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in frame.columns)
    ci = {i for i, c in enumerate(dc.COLUMNS) if c.endswith(("_low", "_high"))}
    rows = []
    for values in frame.itertuples(index=False):
        cells = "".join(f"<td class=rough>{cell(v)}</td>" if rough and i in ci
                        else f"<td>{cell(v)}</td>" for i, v in enumerate(values))
        rows.append(f"<tr>{cells}</tr>")
    return f"<table class=decision><tr>{head}</tr>{''.join(rows)}</table>"


def headline(results: SweepResults, r: dc.FactorRanking, lang: str) -> str:
    """The best level against the baseline level on one outcome, in units (shares in
    percentage points), with its CI and how often it was better."""
    best = r.rows[0]
    what = oc.words(r.outcome, lang)
    base = next(row for row in r.rows if same(row.level, r.baseline))
    if best is base:
        text = i18n.text("report.headline.baseline_best", lang, option=best.label, outcome=what,
                         value=dc.value_with_ci(r.outcome, best.estimate, lang))
    else:
        d = best.vs_baseline
        text = i18n.text("report.headline.best", lang, option=best.label, outcome=what,
                         value=dc.value_with_ci(r.outcome, best.estimate, lang),
                         base=base.label, base_value=dc.num(dc.shown(r.outcome, base.estimate.mean))
                         + dc.unit_suffix(r.outcome, lang),
                         change=dc.change_with_ci(r.outcome, d, lang), k=d.n_better, n=d.n)
    return text[:1].upper() + text[1:]


def decide(results: SweepResults, baseline: dict[str, Any], outcomes: list[str], out: Path,
           margin: float = dc.MARGIN, n_resamples: int = N_RESAMPLES, seed: int = SEED
           ) -> Decision:
    lang = results.lang
    t = lambda key, **f: i18n.text(key, lang, **f)  # noqa: E731
    main = oc.main_outcomes(outcomes)
    factors = dc.decision_factors(results)
    decision = Decision(dc.question(results) or t("report.decision.no_question",
                                                   name=results.manifest.get("sweep", "")),
                        factors, main)
    parts = []
    for factor in factors:
        factor_name = fc.name(factor, lang)
        for k, outcome in enumerate(main):
            r = dc.rank_factor(results, factor, outcome, baseline, lang, n_resamples, seed)
            decision.rankings.append(r)
            if k == 0:
                rec = dc.recommend(results, r, margin, lang)
                decision.recommendations.append(rec)
                idx = next(i for i, row in enumerate(r.rows) if same(row.level, rec.level))
                rough = r.n < dc.MIN_REPLICATIONS
                chart = charts.ranking(
                    out, f"decision_{factor.replace('.', '_')}",
                    t("report.chart.ranking_title", factor=factor_name,
                      outcome=oc.words(outcome, lang)),
                    f"{oc.label(outcome, lang)} ({dc.unit_suffix(outcome, lang).strip()})",
                    [row.label for row in r.rows],
                    [scaled(outcome, row.estimate) for row in r.rows], idx, r.n,
                    {"rough": t("report.chart.rough", n=r.n, min=dc.MIN_REPLICATIONS),
                     "caption": t("report.chart.ranking_caption",
                                  margin=f"{100 * margin:g}")})
                decision.charts.append(chart)
                parts.append(f"<h3>{html.escape(factor_name)}</h3>"
                             f"<p class=answer>{html.escape(rec.sentence)}</p>"
                             + figure(chart))
            name = f"decision_{factor.split('.')[-1]}_{outcome}"
            frame = dc.ranking_frame(r, lang)
            decision.tables[name] = frame
            decision.headlines.append(headline(results, r, lang))
            note = "" if r.baseline_given else " " + t("report.decision.first_level_baseline")
            rough = r.n < dc.MIN_REPLICATIONS
            warn = t("report.decision.rough", n=r.n, min=dc.MIN_REPLICATIONS) if rough else ""
            warn = f" <span class=warn>{html.escape(warn)}</span>" if warn else ""
            heading = t("report.decision.table_title", factor=factor_name,
                        outcome=oc.label(outcome, lang), direction=direction(outcome, lang))
            parts.append(f"<p><b>{html.escape(heading)}</b>{html.escape(note)}{warn}</p>"
                         f"{table_html(frame, rough)}")
    derived = [o for o in outcomes if o not in main]
    if derived:
        decision.caveats.append(t("report.decision.derived", outcomes=i18n.text(
            "report.sep", lang).join(oc.label(o, lang) for o in derived),
            of=i18n.text("report.sep", lang).join(oc.words(oc.derived_from(o), lang)
                                                  for o in derived)))
    decision.caveats += [t(f"report.caveat.{o}") for o in main
                         if i18n.has(f"report.caveat.{o}", lang)]
    decision.caveats.append(t("report.decision.method", margin=f"{100 * margin:g}"))
    if len(factors) > 1:
        decision.caveats.append(t("report.decision.averaged"))
    n = min(r.n for r in decision.rankings)
    if n < dc.MIN_REPLICATIONS:
        decision.caveats.append(t("report.decision.rough", n=n, min=dc.MIN_REPLICATIONS))
    answer = "".join(f"<li><b>{html.escape(r.sentence)}</b></li>"
                     for r in decision.recommendations)
    heads = "".join(f"<li>{html.escape(h)}</li>" for h in decision.headlines)
    caveats = "".join(f"<li>{html.escape(c)}</li>" for c in decision.caveats)
    decision.html = (f"<p class=question>{html.escape(decision.question)}</p>"
                     f"<h3>{html.escape(t('report.decision.answer'))}</h3><ul>{answer}</ul>"
                     f"<h3>{html.escape(t('report.decision.headlines'))}</h3><ul>{heads}</ul>"
                     f"<h3>{html.escape(t('report.decision.caveats'))}</h3><ul>{caveats}</ul>"
                     + "".join(parts))
    return decision


def scaled(outcome: str, e: Any) -> Any:
    """An estimate in shown units (shares in percent)."""
    if not oc.is_share(outcome):
        return e
    return type(e)(100 * e.mean, 100 * e.low, 100 * e.high, e.n)


def direction(outcome: str, lang: str) -> str:
    h = oc.higher_is_better(outcome)
    return i18n.text("report.higher_better" if h else "report.lower_better" if h is False
                     else "report.no_direction", lang)


def figure(chart: charts.Chart) -> str:
    e = html.escape
    return (f'<figure><img src="{chart.data_uri()}" alt="{e(chart.title)}"><figcaption>'
            f"{e(chart.caption)}</figcaption></figure>")


# ---- trade-offs -----------------------------------------------------------------------

def volunteer_hours(results: SweepResults, level: float) -> float:
    """Standing volunteer-hours on call over the emergency: volunteers x wartime hours."""
    from sim.scenario import load_scenario

    base = results.manifest.get("base")
    config = load_scenario(base if base and Path(base).is_file() else None,
                           overrides=results.manifest.get("fixed") or {})
    return float(level) / 1000.0 * config.population.n_residents * config.time.war_hours


def tradeoff(results: SweepResults, outcome: str, out: Path, n_resamples: int = N_RESAMPLES,
             seed: int = SEED) -> tuple[list[charts.Chart], str, pd.DataFrame | None]:
    """The trade-off chart (effort against the main outcome, Pareto front) and, for the
    volunteer team size, harm avoided per extra 1,000 volunteer-hours."""
    lang = results.lang
    t = lambda key, **f: i18n.text(key, lang, **f)  # noqa: E731
    made: list[charts.Chart] = []
    text = ""
    policies = results.policies()
    volunteers = VOLUNTEER_FACTOR in results.policy_factors
    if (volunteers or EFFORT_OUTCOME in results.runs) and outcome != EFFORT_OUTCOME and \
            len(policies) > 1:
        if volunteers:  # the standing team's hours on call: what a larger team costs
            k = results.policy_factors.index(VOLUNTEER_FACTOR)
            xs = [Estimate(h, h, h, 0) for h in (volunteer_hours(results, p[k]) / 1000.0
                                                  for p in policies)]
            x_label = t("report.tradeoff.volunteer_hours")
        else:  # the effort spent on needs
            xs = [bootstrap_mean(results.runs_of(p)[EFFORT_OUTCOME].to_numpy(float),
                                 n_resamples, seed=seed) for p in policies]
            x_label = f"{oc.label(EFFORT_OUTCOME, lang)} ({oc.unit_text(EFFORT_OUTCOME, lang)})"
        ys = [scaled(outcome, bootstrap_mean(results.runs_of(p)[outcome].to_numpy(float),
                                             n_resamples, seed=seed)) for p in policies]
        labels = [results.label(p) for p in policies]
        front = charts.pareto_front(np.array([e.mean for e in xs]),
                                    np.array([e.mean for e in ys]), oc.lower_is_better(outcome))
        made.append(charts.tradeoff(
            out, labels, xs, ys, oc.lower_is_better(outcome),
            {"front": t("report.tradeoff.front"), "x": x_label,
             "y": f"{oc.label(outcome, lang)} ({dc.unit_suffix(outcome, lang).strip()})",
             "title": t("report.tradeoff.title", outcome=oc.words(outcome, lang)),
             "caption": t("report.tradeoff.caption")}, results.n_per_policy(), lang))
        text = t("report.tradeoff.front_is", policies=t("report.sep").join(
            labels[i] for i in front))
    frame = None
    if VOLUNTEER_FACTOR in results.policy_factors and "total_harm" in results.runs:
        levels = sorted(float(v) for v in results.manifest["factors"][VOLUNTEER_FACTOR])
        harm = np.array([dc.per_emergency(results, VOLUNTEER_FACTOR, v, "total_harm").mean()
                         for v in levels])
        hours = np.array([volunteer_hours(results, v) for v in levels])
        with np.errstate(divide="ignore", invalid="ignore"):
            per_k = (harm[:-1] - harm[1:]) / (np.diff(hours) / 1000.0)
        x = np.array(levels[1:])
        frame = pd.DataFrame({
            t("report.ce.col_from"): levels[:-1], t("report.ce.col_to"): levels[1:],
            t("report.ce.col_hours"): np.round(np.diff(hours), 0),
            t("report.ce.col_avoided"): [dc.round_sig(v) for v in harm[:-1] - harm[1:]],
            t("report.ce.col_per_k"): [dc.round_sig(v) for v in per_k]})
        made.append(charts.cost_effectiveness(out, x, per_k, {
            "x": t("report.level_axis." + VOLUNTEER_FACTOR),
            "y": t("report.ce.y"), "title": t("report.ce.title"),
            "caption": t("report.ce.caption")}))
    return made, text, frame


# ---- the map ------------------------------------------------------------------------------

def best_policy(results: SweepResults, outcome: str) -> tuple:
    means = [results.runs_of(p)[outcome].mean() for p in results.policies()]
    order = np.argsort(means)
    return results.policies()[int(order[0] if oc.lower_is_better(outcome) else order[-1])]


def harm_map(results: SweepResults, baseline: dict[str, Any], outcome: str, out: Path
             ) -> charts.Chart | None:
    """Harm by grid in the first replication (the same emergency) of the best policy and its
    baseline, side by side."""
    from sim.scenario import load_scenario
    from sim.township import build_township

    needs_dir = results.folder / "needs"
    if not needs_dir.is_dir() or not baseline or len(results.policies()) < 2:
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
        path = needs_dir / f"run_id={run['run_id']}" / "part.parquet"
        if not path.exists():
            return None
        if township is None:
            point = (results.manifest.get("points") or [{}])[int(run["point"])]
            b = results.manifest.get("base")
            config = load_scenario(b if b and Path(b).is_file() else None,
                                   overrides={**(results.manifest.get("fixed") or {}), **point})
            township = build_township(config, int(run["seed"]))
        needs = pd.read_parquet(path, columns=["grid", "harm"])
        harm = np.bincount(needs["grid"].to_numpy(int), weights=needs["harm"].to_numpy(float),
                           minlength=township.n_grids)[:township.n_grids]
        panels.append((i18n.text(title_key, lang, policy=results.label(policy),
                                 total=f"{harm.sum():,.0f}"), harm))
    return charts.harm_maps(out, township.graph, np.asarray(township.grid_pos, float), panels,
                            {"colour": i18n.text("report.map.colour", lang),
                             "title": i18n.text("report.map.title", lang,
                                                outcome=oc.label(outcome, lang)),
                             "caption": i18n.text("report.map.caption", lang)})
