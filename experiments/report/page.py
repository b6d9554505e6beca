"""``grassroots report DIR``: a self-contained HTML report of a sweep's or a run's results.

    grassroots report DIR [--baseline KEY=VALUE ...] [--outcomes A,B] [--gain-threshold X]
                          [--margin PCT] [--lang en|zh] [--resamples N] [--seed N] [--quiet]

Writes ``DIR/report/index.html`` (every chart embedded as a PNG data URI, no external CSS,
scripts or fonts: it opens from a USB stick with no network) and each chart as PNG and SVG
beside it. For a sweep (``runs.parquet``): the decision summary first (the sweep file's
question, the recommended option, every level of every decision factor ranked:
:mod:`experiments.report.planner`), trade-offs, the harm map of the best and the baseline
policy, policy comparisons with bootstrap CIs and paired differences from a baseline,
distributions, time-series bands, dose-response, a two-factor heatmap and sensitivity
indices; and ``tables/*.csv``, ``results.xlsx`` and a one-page ``summary.pdf``
(:mod:`experiments.report.exports`). For a run (``summary.json``): the map of harm, the
timeline and the need-stage breakdown. Every text comes from the translation catalogue
(:mod:`experiments.i18n`) in the chosen language.
"""

from __future__ import annotations

import html
import json
import re
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from experiments import costs as cs
from experiments import i18n
from experiments import outcomes as oc
from experiments.provenance import provenance
from experiments.report import charts as rcharts
from experiments.report.decision import MARGIN, question
from experiments.report.stats import LEVEL, N_RESAMPLES, SEED, PairedDifference
from experiments.report.sweep import (
    KEY_OUTCOMES,
    MIN_REPLICATIONS,
    Comparison,
    Finding,
    ReportError,
    SweepResults,
    compare,
    load_results,
    no_negative_zero,
    resolve_baseline,
    sweep_file_data,
    sweep_setting,
)
from experiments.runs.output import atomic_write_text, to_jsonable


@dataclass
class Section:
    title: str
    charts: list[rcharts.Chart] = field(default_factory=list)
    body: str = ""  # HTML under the charts


@dataclass
class Report:
    """What was written, and the numbers the findings came from (for tests and notebooks)."""

    path: Path
    kind: str
    sections: list[Section]
    comparisons: list[Comparison] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    baseline: dict[str, Any] = field(default_factory=dict)
    key_findings: list[str] = field(default_factory=list)
    decision: Any = None  # planner.Decision of a sweep with policy factors
    title: str = ""
    subtitle: str = ""
    lang: str = i18n.DEFAULT
    files: list[Path] = field(default_factory=list)  # exports: PDF, workbook, CSVs
    made: dict[str, Any] = field(default_factory=dict)  # provenance.json: inputs, versions


def fmt(x: float) -> str:
    """4 significant digits; a value that rounds to zero is "0" (never "-0")."""
    if x != x:
        return "n/a"
    text = f"{x:,.4g}"
    return "0" if float(text.replace(",", "")) == 0 else text


def comparison_table(comp: Comparison, lang: str = i18n.DEFAULT) -> str:
    """Each policy's mean and CI and its paired change from the baseline; shares in percent
    and their differences in percentage points."""
    e = html.escape
    t = lambda key, **f: e(i18n.text(key, lang, **f))  # noqa: E731
    share = oc.is_share(comp.outcome)
    scale = 100.0 if share else 1.0
    unit = i18n.text("report.unit.percent", lang) if share else ""
    diff_unit = i18n.text("report.unit.points", lang) if share else ""

    def v(x: float, u: str = unit) -> str:
        return "n/a" if x != x else (no_negative_zero(f"{scale * x:.1f}") + u if share else fmt(x))

    def ci(low: float, high: float, u: str = unit) -> str:
        return (
            "n/a" if low != low else i18n.text("report.range", lang, low=v(low, u), high=v(high, u))
        )

    head = "".join(
        f"<th>{t('report.table.' + k)}</th>"
        for k in ("policy", "runs", "mean", "ci", "change", "change_ci", "better_in")
    )
    rows = []
    for label, est, d in zip(comp.labels, comp.estimates, comp.diffs):
        if d is None:
            change = f"<td colspan=3>{t('report.table.baseline')}</td>"
        else:
            rough = " class=rough" if d.n < MIN_REPLICATIONS else ""
            diff = no_negative_zero(f"{scale * d.diff:+.1f}") + diff_unit if share else fmt(d.diff)
            change = (
                f"<td>{e(diff)} ({rel(d.rel)})</td><td{rough}>"
                f"{e(ci(d.diff_low, d.diff_high, diff_unit))} ("
                f"{t('report.range', low=rel(d.rel_low), high=rel(d.rel_high))})</td>"
                f"<td>{d.n_better} / {d.n}</td>"
            )
        rows.append(
            f"<tr><td>{e(label)}</td><td>{est.n}</td><td>{e(v(est.mean))}</td>"
            f"<td>{e(ci(est.low, est.high))}</td>{change}</tr>"
        )
    return f"<table><tr>{head}</tr>{''.join(rows)}</table>"


def rel(x: float) -> str:
    """A relative change in percent, one decimal, signed; "0.0%" when it rounds to zero."""
    if x != x:
        return "n/a"
    text = f"{100 * x:+.1f}"
    return ("0.0" if float(text) == 0 else text) + "%"


def sweep_sections(
    folder: Path,
    out: Path,
    baseline_arg: dict[str, Any] | None,
    outcomes: list[str] | None,
    gain_threshold: float | None,
    n_resamples: int,
    seed: int,
    lang: str = i18n.DEFAULT,
    margin: float = MARGIN,
    costs: cs.Costs | None = None,
) -> Report:
    """The sweep report's sections, the decision summary first, every "within target" share
    named with the sweep's target time."""
    results = load_results(folder)
    results.lang = lang
    if results.runs.empty:
        raise ReportError(f"{folder}: no successful runs to report on")
    target = sweep_setting(results.manifest).get("time.target_response_min")
    with oc.target_time(float(target) if target is not None else None):
        return _sweep_sections(
            results,
            folder,
            out,
            baseline_arg,
            outcomes,
            gain_threshold,
            n_resamples,
            seed,
            lang,
            margin,
            costs or cs.load_costs(),
        )


def _sweep_sections(
    results: SweepResults,
    folder: Path,
    out: Path,
    baseline_arg: dict[str, Any] | None,
    outcomes: list[str] | None,
    gain_threshold: float | None,
    n_resamples: int,
    seed: int,
    lang: str,
    margin: float,
    costs: cs.Costs,
) -> Report:
    """A further section is one ``sections.append(Section(title, charts, body))`` before
    the return."""
    from experiments.report import exports, planner, tradeoffs
    from experiments.report import sections as sec
    from experiments.report import worlds as wl
    from experiments.report.robustness import robustness_sections, worlds_summary
    from experiments.report.sensitivity import sensitivity
    from experiments.report.summary_pdf import SummaryPage, write_summary_pdf

    t = lambda key, **f: i18n.text(key, lang, **f)  # noqa: E731
    every_world = results if wl.declared(results.manifest) else None
    results = wl.base_world(results)  # run-to-run intervals: seeds within one world
    baseline, sources = resolve_baseline(results, baseline_arg)
    manifest = results.manifest
    declared = manifest.get("outcomes") or sweep_file_data(manifest).get("outcomes") or []
    if outcomes:
        unknown = [o for o in outcomes if o not in results.runs]
        if unknown:
            from sim import OUTCOMES

            valid = ", ".join(o for o in OUTCOMES if o in results.runs)
            raise ReportError(
                f"--outcomes {', '.join(unknown)}: not in runs.parquet; outcomes: {valid}"
            )
    wanted = outcomes or declared or list(KEY_OUTCOMES)
    outcomes = [o for o in wanted if o in results.runs]
    if not outcomes:
        raise ReportError(f"none of the outcomes {', '.join(wanted)} is in runs.parquet")
    main = oc.main_outcomes(outcomes)
    n_reps = results.n_replications()
    n_runs = results.n_per_policy()  # what each chart rests on
    base_text = ", ".join(f"{k} = {v}" for k, v in baseline.items())
    base_sources = t("report.sep").join(
        f"{k} = {v} ({t(f'report.source.{sources[k]}')})" for k, v in baseline.items()
    )
    intro = (
        "<p>"
        + html.escape(
            t(
                "report.intro" if baseline else "report.intro_no_policies",
                sweep=str(manifest.get("sweep", folder.name)),
                design=str(manifest.get("design", "?")),
                runs=len(results.runs),
                failed=results.n_failed,
                reps=n_reps,
                seed=manifest.get("master_seed", "?"),
                baseline=base_sources,
                level=f"{LEVEL:.0%}",
                resamples=f"{n_resamples:,}",
                boot_seed=seed,
            )
        )
        + "</p>"
    )
    if results.partial:
        intro += f"<p class=warn>{html.escape(t('report.partial'))}</p>"
    if n_runs < MIN_REPLICATIONS or n_reps < MIN_REPLICATIONS:
        rough = t("report.decision.rough", n=n_reps, min=MIN_REPLICATIONS)
        intro += f"<p class=warn>{html.escape(rough)}</p>"
    sections: list[Section] = []
    comparisons = [compare(results, o, baseline, n_resamples, seed) for o in main]
    findings = [f for c in comparisons for f in c.findings]
    decision = None
    if results.policy_factors:
        decision = planner.decide(
            results, baseline, outcomes, out, margin, n_resamples, seed, sources, costs, every_world
        )
        worlds = worlds_summary(results, lang)  # a robustness study: across plausible worlds
        if worlds:
            decision.headlines += worlds
            decision.html += (
                f"<h3>{html.escape(t('report.robust.title'))}</h3><ul>"
                + "".join(f"<li>{html.escape(x)}</li>" for x in worlds)
                + "</ul>"
            )
        sections.append(Section(t("report.section.decision"), body=decision.html))
    if decision is None:  # no decision summary: the limits box heads the page instead
        from experiments.report.limits import limits

        box = limits(sweep_setting(manifest), n_reps, lang)
        sections.insert(
            0,
            Section(
                t("report.limits.title"),
                body="<div class=limits><ul>"
                + "".join(f"<li>{html.escape(x)}</li>" for x in box)
                + "</ul></div>",
            ),
        )
    sections.append(Section(t("report.section.design"), body=intro))
    ce_table = None
    if decision is not None and decision.money is not None:
        body = _p(tradeoffs.money_text(decision.money, lang)) + "".join(
            planner.table_html(frame, False, css="") for frame in decision.money_tables.values()
        )
        sections.append(Section(t("report.section.tradeoffs"), body=body))
    else:
        trade_charts, trade_text, ce_table = tradeoffs.plain_tradeoff(
            results, main[0], out, n_resamples, seed
        )
        if trade_charts:
            body = _p(trade_text)
            if ce_table is not None:
                body += planner.table_html(ce_table, False, css="")
            sections.append(Section(t("report.section.tradeoffs"), trade_charts, body))
    harm_outcome = "total_harm" if "total_harm" in results.runs else main[0]
    hmap = planner.harm_map(results, baseline, harm_outcome, out)
    if hmap is not None:
        sections.append(Section(t("report.section.map"), [hmap]))
    multi = len(results.policies()) > 1
    for comp in comparisons if multi else []:
        chart = rcharts.comparison(
            out,
            f"comparison_{comp.outcome}",
            oc.label(comp.outcome, lang),
            oc.unit_text(comp.outcome, lang),
            comp.labels,
            comp.estimates,
            comp.diffs,
            oc.lower_is_better(comp.outcome),
            t("report.baseline_note", baseline=base_text),
            n_runs,
            lang,
        )
        body = (
            comparison_table(comp, lang)
            + "<ul>"
            + "".join(f"<li>{html.escape(f.text)}</li>" for f in comp.findings)
            + "</ul>"
        )
        sections.append(
            Section(
                t("report.section.comparison", outcome=oc.label(comp.outcome, lang)), [chart], body
            )
        )
    baselines = [p for p, d in zip(results.policies(), comparisons[0].diffs) if d is None]
    shown, shown_note = sec.shown_policies(results, main[0], baselines)
    dist, note = sec.distributions(results, out, shown, n_runs)
    sections.append(
        Section(
            t("report.section.distributions"),
            [dist],
            _p(" ".join(x for x in (note, shown_note and f"{shown_note}.") if x)),
        )
    )
    ts = sec.timeseries(results, out, shown, n_runs, shown_note)
    if ts is not None:
        sections.append(Section(t("report.section.timeseries"), [ts]))
    dose = sec.dose_response(results, out, main[0], gain_threshold, n_runs, n_resamples, seed)
    if dose is not None:
        sections.append(Section(t("report.section.dose"), [dose[0]], _p(dose[1])))
    heat = sec.heatmap(results, out, main, n_runs)
    if heat is not None:
        sections.append(Section(t("report.section.heatmap"), [heat]))
    sens, sens_text, sens_warnings = sensitivity(results, out, declared or main[:2])
    if sens:
        sections.append(
            Section(
                t("report.section.sensitivity"),
                sens,
                "".join(_p(x) for x in sens_text)
                + "".join(f"<p class=warn>{html.escape(w)}</p>" for w in sens_warnings),
            )
        )
    sections += [Section(*s) for s in robustness_sections(results, out, lang)]
    # what the command line prints and the PDF answers: the decision, else the sensitivity
    keys = (
        decision.answer + decision.warnings + decision.structures + decision.headlines
        if decision
        else sens_text or [f.text for f in findings[:6]]
    )
    tables = {**decision.tables, **decision.money_tables} if decision else {}
    if decision is not None and decision.worlds is not None:
        keys = (
            keys[: len(decision.answer)] + decision.worlds.lines[1:] + keys[len(decision.answer) :]
        )
        tables["worlds"] = decision.worlds.table
    tables["policy_summary"] = exports.policy_summary(comparisons, lang)
    tables["paired_differences"] = exports.paired_differences(results, comparisons, lang)
    if ce_table is not None:
        tables["cost_effectiveness"] = ce_table
    if decision is not None and decision.money is not None:
        tables["costs"] = exports.cost_table(costs, decision.money.threshold, lang)
    out.mkdir(parents=True, exist_ok=True)
    csvs = exports.write_tables(out, tables)
    xlsx = exports.write_workbook(out / "results.xlsx", results, tables, lang)
    name = str(manifest.get("sweep", folder.name))
    if decision is not None:
        page = SummaryPage(
            t("report.title", name=name),
            decision.question,
            decision.answer,
            decision.warnings,
            t("report.money.structures_title"),
            decision.structures,
            decision.cost_basis,
            decision.pdf_charts,
            t("report.limits.title"),
            decision.limits,
            decision.caveats,
        )
        if decision.worlds is not None:
            page.worlds_title, page.worlds = decision.worlds.title, decision.worlds.lines
    else:
        page = SummaryPage(
            t("report.title", name=name),
            name,
            keys[:3],
            charts=sens[:1],
            limits_title=t("report.limits.title"),
            limits=box,
        )
    pdf = write_summary_pdf(out / "summary.pdf", page, lang)
    files = [pdf, xlsx, *csvs]
    sections.append(
        Section(
            t("report.section.exports"),
            body="<ul>"
            + "".join(
                f'<li><a href="{html.escape(str(p.relative_to(out)))}">'
                f"{html.escape(str(p.relative_to(out)))}</a></li>"
                for p in files
            )
            + "</ul>",
        )
    )
    report = Report(out / "index.html", "sweep", sections, comparisons, findings, baseline, keys)
    report.decision = decision
    report.title = t("report.title", name=str(manifest.get("sweep", folder.name)))
    report.subtitle = question(results)  # the sweep file's question, the page's heading
    report.files = files
    return report


def _p(text: str) -> str:
    return f"<p>{html.escape(text)}</p>" if text else ""


def run_sections(folder: Path, out: Path, lang: str = i18n.DEFAULT) -> Report:
    from experiments.report.run import build_run

    e = html.escape
    t = lambda key, **f: i18n.text(key, lang, **f)  # noqa: E731
    built = build_run(folder, out, lang)
    s = built["summary"]
    units = s.get("outcome_units", {})
    rows = "".join(
        f"<tr><td>{e(oc.label(k, lang))}</td>"
        f"<td>{fmt(v) if isinstance(v, float) else v}</td>"
        f"<td>{e(oc.unit_text(k, lang) or units.get(k, ''))}</td></tr>"
        for k, v in s.get("outcomes", {}).items()
    )
    intro = (
        "<p>"
        + e(
            t(
                "report.run.intro",
                scenario=str(s.get("scenario")),
                seed=s.get("seed"),
                residents=s.get("n_residents") or "?",
                created=str(s.get("created")),
                version=str(s.get("version")),
                revision=str(s.get("git_revision")),
            )
        )
        + "</p>"
    )
    labels, means, counts = built["stages"]
    stage_rows = "".join(
        f"<tr><td>{e(lab)} (n={c})</td>" + "".join(f"<td>{fmt(v)}</td>" for v in m) + "</tr>"
        for lab, m, c in zip(labels, means, counts)
    )
    stage_table = (
        f"<table><tr><th>{e(t('report.run.needs'))}</th>"
        + "".join(
            f"<th>{e(t('report.stage.' + st))} ({e(t('report.unit.min'))})</th>"
            for st in rcharts.STAGES
        )
        + "</tr>"
        + stage_rows
        + "</table>"
    )
    head = "".join(f"<th>{e(t('report.run.' + k))}</th>" for k in ("outcome", "value", "unit"))
    sections = [
        Section(t("report.run.section"), body=intro),
        Section(t("report.run.map"), built["charts"][:1]),
        Section(t("report.run.timeline"), built["charts"][1:2]),
        Section(t("report.run.stages"), built["charts"][2:], stage_table),
        Section(t("report.run.outcomes"), body=f"<table><tr>{head}</tr>{rows}</table>"),
    ]
    report = Report(out / "index.html", "run", sections)
    report.title = t("report.run.title", name=folder.name)
    return report


CSS = """body{font-family:system-ui,sans-serif;max-width:1200px;margin:2em auto;padding:0 1em;
color:#222;line-height:1.45}h1{font-size:1.8em}h2{border-bottom:2px solid #0072B2;padding-top:.5em}
img{max-width:100%;height:auto}figure{margin:1em 0}figcaption{color:#555;font-size:.95em}
table{border-collapse:collapse;margin:1em 0;font-size:.95em}td,th{border:1px solid #ccc;
padding:.25em .6em;text-align:left}th{background:#f0f4f8}.warn{color:#D55E00;font-weight:bold}
nav li{display:inline;margin-right:1em}.rough{color:#999}.question{font-size:1.3em;
font-style:italic}.answer{font-size:1.15em;font-weight:bold;color:#0072B2}
ul.answer{font-size:1.05em}ul.answer li{margin:.3em 0}.basis{color:#444;font-size:.92em}
.limits{border:1px solid #0072B2;border-radius:6px;background:#f3f6fa;padding:.2em 1em;
margin:1em 0}.limits h3{margin:.5em 0}.tablebox{max-width:100%;overflow-x:auto}
.tablebox table{margin:.5em 0}table.decision{font-size:.85em}table.decision th{
min-width:4.5em;max-width:9em;white-space:normal;vertical-align:bottom}
table.decision td:nth-child(2){min-width:14em}"""


def render_html(report: Report, title: str) -> str:
    e = html.escape
    lang = report.lang
    nav = "".join(
        f'<li><a href="#s{i}">{e(s.title)}</a></li>' for i, s in enumerate(report.sections)
    )
    also = i18n.text("report.also", lang)
    parts = []
    for i, s in enumerate(report.sections):
        figures = "".join(
            f'<figure><img src="{c.data_uri()}" alt="{e(c.title)}"><figcaption>{e(c.caption)} '
            f"({e(also)} <code>{e(c.png.name)}</code>, <code>{e(c.svg.name)}</code>)"
            "</figcaption></figure>"
            for c in s.charts
        )
        body = re.sub(r"<table\b", "<div class=tablebox><table", s.body).replace(
            "</table>", "</table></div>"
        )  # a wide table scrolls in its box, not the page
        parts.append(f'<section id="s{i}"><h2>{e(s.title)}</h2>{figures}{body}</section>')
    stamp = datetime.now().astimezone().isoformat(timespec="seconds")
    html_lang = "zh-Hans" if lang == "zh" else lang
    how = report.made or provenance()
    made = i18n.text(
        "report.made", lang, version=how["version"], stamp=stamp, revision=how["git_revision"]
    )
    return (
        f'<!doctype html>\n<html lang="{html_lang}"><head><meta charset="utf-8"><title>'
        f"{e(title)}</title><style>{CSS}</style></head><body><h1>{e(title)}</h1>"
        f"<p>{e(made)}</p><nav><ul>{nav}</ul></nav>{''.join(parts)}</body></html>\n"
    )


def build_report(
    folder: str | Path,
    baseline: dict[str, Any] | None = None,
    outcomes: list[str] | None = None,
    gain_threshold: float | None = None,
    n_resamples: int = N_RESAMPLES,
    seed: int = SEED,
    lang: str = i18n.DEFAULT,
    margin: float = MARGIN,
    costs: str | Path | cs.Costs | None = None,
) -> Report:
    """Write ``folder/report/`` for a sweep or a run folder and return what was written.
    ``costs``: the prices (a :class:`~experiments.costs.Costs`, or a costs file; default
    ``configs/costs.toml``)."""
    folder = Path(folder)
    if not folder.is_dir():
        raise ReportError(f"{folder}: no such folder")
    if lang not in i18n.LANGUAGES:
        raise ReportError(f"--lang {lang}: allowed: {', '.join(i18n.LANGUAGES)}")
    try:
        prices = costs if isinstance(costs, cs.Costs) else cs.load_costs(costs)
    except cs.CostError as e:
        raise ReportError(str(e)) from None
    out = folder / "report"
    for old in [*out.glob("*.png"), *out.glob("*.svg")]:  # charts of an earlier report
        old.unlink()
    if (folder / "summary.json").exists() and not (folder / "runs.parquet").exists():
        report = run_sections(folder, out, lang)
        title = report.title
    else:
        report = sweep_sections(
            folder, out, baseline, outcomes, gain_threshold, n_resamples, seed, lang, margin, prices
        )
        title = report.subtitle or report.title
    report.lang = lang
    report.made = {
        "folder": str(folder),
        "kind": report.kind,
        "lang": lang,
        "baseline": baseline,
        "outcomes": outcomes,
        "gain_threshold": gain_threshold,
        "resamples": n_resamples,
        "seed": seed,
        "margin": margin,
        **provenance(),
        "created": datetime.now().astimezone().isoformat(timespec="seconds"),
    }
    out.mkdir(parents=True, exist_ok=True)
    atomic_write_text(report.path, render_html(report, title))
    report.files.append(
        atomic_write_text(
            out / "provenance.json",
            json.dumps(to_jsonable(report.made), indent=2, allow_nan=False) + "\n",
        )
    )
    return report


__all__ = ["Report", "ReportError", "PairedDifference", "build_report"]
