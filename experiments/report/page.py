"""``grassroots report DIR``: a self-contained HTML report of a sweep's or a run's results.

    grassroots report DIR [--baseline KEY=VALUE ...] [--outcomes A,B] [--gain-threshold X]
                          [--resamples N] [--seed N] [--quiet]

Writes ``DIR/report/index.html`` (every chart embedded as a PNG data URI, no external CSS,
scripts or fonts: it opens from a USB stick with no network) and each chart as PNG and SVG
beside it. For a sweep (``runs.parquet``): policy comparisons with bootstrap CIs and paired
differences from a baseline, findings in words, distributions, time-series bands,
dose-response, a two-factor heatmap and sensitivity indices. For a run (``summary.json``):
the map of harm, the timeline and the need-stage breakdown.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from experiments.report import charts as rcharts
from experiments.runs.output import atomic_write_text, package_version
from experiments.report.sweep import (
    HIGHER_IS_BETTER,
    KEY_OUTCOMES,
    Comparison,
    Finding,
    ReportError,
    compare,
    key_findings,
    load_results,
    outcome_label,
    outcome_unit,
    resolve_baseline,
    sweep_file_data,
)
from experiments.report.stats import LEVEL, N_RESAMPLES, SEED, PairedDifference


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


def fmt(x: float) -> str:
    return "n/a" if x != x else f"{x:,.4g}"


def ci_text(low: float, high: float) -> str:
    return "n/a" if low != low else f"{fmt(low)} to {fmt(high)}"


def comparison_table(comp: Comparison) -> str:
    e = html.escape
    head = ("<tr><th>policy</th><th>runs</th><th>mean</th><th>95% CI</th><th>change from "
            "baseline</th><th>95% CI of the change</th><th>better in</th></tr>")
    rows = []
    for label, est, d in zip(comp.labels, comp.estimates, comp.diffs):
        if d is None:
            change = "<td colspan=3>baseline</td>"
        else:
            change = (f"<td>{fmt(d.diff)} ({rel(d.rel)})</td><td>{ci_text(d.diff_low, d.diff_high)}"
                      f" ({rel(d.rel_low)} to {rel(d.rel_high)})</td>"
                      f"<td>{d.n_better} of {d.n}</td>")
        rows.append(f"<tr><td>{e(label)}</td><td>{est.n}</td><td>{fmt(est.mean)}</td>"
                    f"<td>{ci_text(est.low, est.high)}</td>{change}</tr>")
    return f"<table>{head}{''.join(rows)}</table>"


def rel(x: float) -> str:
    return "n/a" if x != x else f"{100 * x:+.1f}%"


def sweep_sections(folder: Path, out: Path, baseline_arg: dict[str, Any] | None,
                   outcomes: list[str] | None, gain_threshold: float | None,
                   n_resamples: int, seed: int) -> Report:
    from experiments.report import sections as sec
    from experiments.report.robustness import robustness_sections
    from experiments.report.sensitivity import sensitivity

    results = load_results(folder)
    if results.runs.empty:
        raise ReportError(f"{folder}: no successful runs to report on")
    baseline, source = resolve_baseline(results, baseline_arg)
    manifest = results.manifest
    declared = manifest.get("outcomes") or sweep_file_data(manifest).get("outcomes") or []
    if outcomes:
        unknown = [o for o in outcomes if o not in results.runs]
        if unknown:
            from sim import OUTCOMES

            valid = ", ".join(o for o in OUTCOMES if o in results.runs)
            raise ReportError(f"--outcomes {', '.join(unknown)}: not in runs.parquet; "
                              f"outcomes: {valid}")
    wanted = outcomes or declared or list(KEY_OUTCOMES)
    outcomes = [o for o in wanted if o in results.runs]
    if not outcomes:
        raise ReportError(f"none of the outcomes {', '.join(wanted)} is in runs.parquet")
    n_reps = results.n_replications()
    n_runs = results.n_per_policy()  # what each chart rests on
    base_text = ", ".join(f"{k} = {v}" for k, v in baseline.items()) or "none"
    intro = (f"<p>Sweep <b>{html.escape(str(manifest.get('sweep', folder.name)))}</b> "
             f"({html.escape(str(manifest.get('design', '?')))} design): {len(results.runs)} "
             f"successful runs, {results.n_failed} failed, {n_reps} replications per design "
             f"point, master seed {manifest.get('master_seed', '?')}. Baseline: "
             f"<b>{html.escape(base_text)}</b> ({html.escape(source)}); each policy is compared "
             f"with the baseline level and its own other factors, on the same seeds (common "
             f"random numbers). Intervals: {LEVEL:.0%} percentile bootstrap, {n_resamples:,} "
             f"resamples, seed {seed}.</p>")
    if results.partial:
        intro += "<p class=warn>The sweep has not finished: this report uses the runs so far.</p>"
    if not results.range_factors and n_reps < rcharts.MIN_REPLICATIONS:
        intro += (f"<p class=warn>Only {n_reps} replications per design point: intervals are "
                  f"rough; run at least {rcharts.MIN_REPLICATIONS}.</p>")
    elif n_runs < rcharts.MIN_REPLICATIONS:
        intro += (f"<p class=warn>Only {n_runs} runs per policy: intervals are rough.</p>")
    comparisons = [compare(results, o, baseline, n_resamples, seed) for o in outcomes]
    findings = [f for c in comparisons for f in c.findings]
    keys = key_findings(comparisons)
    summary = Section("Key findings", body=intro + (
        "<ul>" + "".join(f"<li>{html.escape(t)}</li>" for t in keys) + "</ul>" if keys else ""))
    sections = [summary]
    multi = len(results.policies()) > 1
    for comp in comparisons if multi else []:
        chart = rcharts.comparison(
            out, f"comparison_{comp.outcome}", outcome_label(comp.outcome),
            outcome_unit(comp.outcome), comp.labels, comp.estimates, comp.diffs,
            comp.outcome not in HIGHER_IS_BETTER, f"Baseline: {base_text}.", n_runs)
        body = comparison_table(comp) + "<ul>" + "".join(
            f"<li>{html.escape(f.text)}</li>" for f in comp.findings) + "</ul>"
        sections.append(Section(f"Policy comparison: {outcome_label(comp.outcome)}", [chart],
                                body))
    baselines = [p for p, d in zip(results.policies(), comparisons[0].diffs) if d is None]
    shown, shown_note = sec.shown_policies(results, outcomes[0], baselines)
    dist, note = sec.distributions(results, out, shown, n_runs)
    sections.append(Section("Response-time distributions", [dist],
                            _p(" ".join(t for t in (note, shown_note and f"Shown: {shown_note}.")
                                        if t))))
    ts = sec.timeseries(results, out, shown, n_runs, shown_note)
    if ts is not None:
        sections.append(Section("Time series with bands", [ts]))
    dose = sec.dose_response(results, out, outcomes[0], gain_threshold, n_runs, n_resamples,
                             seed)
    if dose is not None:
        sections.append(Section("Dose-response", [dose[0]], _p(dose[1])))
    heat = sec.heatmap(results, out, outcomes, n_runs)
    if heat is not None:
        sections.append(Section("Two-factor heatmap", [heat]))
    sens, sens_warnings = sensitivity(results, out, declared or outcomes[:2])
    if sens:
        sections.append(Section("Sensitivity", sens, "".join(
            f"<p class=warn>{html.escape(w)}</p>" for w in sens_warnings)))
    sections += [Section(*s) for s in robustness_sections(results, out)]
    return Report(out / "index.html", "sweep", sections, comparisons, findings, baseline, keys)


def _p(text: str) -> str:
    return f"<p>{html.escape(text)}</p>" if text else ""


def run_sections(folder: Path, out: Path) -> Report:
    from experiments.report.run import build_run

    built = build_run(folder, out)
    s = built["summary"]
    units = s.get("outcome_units", {})
    rows = "".join(f"<tr><td>{html.escape(k)}</td><td>{fmt(v) if isinstance(v, float) else v}"
                   f"</td><td>{html.escape(units.get(k, ''))}</td></tr>"
                   for k, v in s.get("outcomes", {}).items())
    intro = (f"<p>Scenario <b>{html.escape(str(s.get('scenario')))}</b>, seed {s.get('seed')}, "
             f"{s.get('n_residents') or '?'} residents; made {html.escape(str(s.get('created')))}"
             f" by version {html.escape(str(s.get('version')))} at git revision "
             f"{html.escape(str(s.get('git_revision')))}. One run: no intervals (run a sweep "
             f"for those).</p>")
    labels, means, counts = built["stages"]
    stage_rows = "".join(
        f"<tr><td>{html.escape(lab)} (n={c})</td>" + "".join(f"<td>{fmt(v)}</td>" for v in m)
        + "</tr>" for lab, m, c in zip(labels, means, counts))
    stage_table = ("<table><tr><th>needs</th>" + "".join(f"<th>{st} (min)</th>" for st in
                                                         rcharts.STAGES) + "</tr>"
                   + stage_rows + "</table>")
    sections = [Section("Run", body=intro),
                Section("Map of harm", built["charts"][:1]),
                Section("Timeline", built["charts"][1:2]),
                Section("Need stages", built["charts"][2:], stage_table),
                Section("Outcomes", body=f"<table><tr><th>outcome</th><th>value</th><th>unit"
                                         f"</th></tr>{rows}</table>")]
    return Report(out / "index.html", "run", sections)


CSS = """body{font-family:system-ui,sans-serif;max-width:1200px;margin:2em auto;padding:0 1em;
color:#222;line-height:1.45}h1{font-size:1.8em}h2{border-bottom:2px solid #0072B2;padding-top:.5em}
img{max-width:100%;height:auto}figure{margin:1em 0}figcaption{color:#555;font-size:.95em}
table{border-collapse:collapse;margin:1em 0;font-size:.95em}td,th{border:1px solid #ccc;
padding:.25em .6em;text-align:left}th{background:#f0f4f8}.warn{color:#D55E00;font-weight:bold}
nav li{display:inline;margin-right:1em}"""


def render_html(report: Report, title: str) -> str:
    e = html.escape
    nav = "".join(f'<li><a href="#s{i}">{e(s.title)}</a></li>'
                  for i, s in enumerate(report.sections))
    parts = []
    for i, s in enumerate(report.sections):
        figures = "".join(
            f'<figure><img src="{c.data_uri()}" alt="{e(c.title)}"><figcaption>{e(c.caption)} '
            f"(also <code>{e(c.png.name)}</code>, <code>{e(c.svg.name)}</code>)</figcaption>"
            "</figure>" for c in s.charts)
        parts.append(f'<section id="s{i}"><h2>{e(s.title)}</h2>{figures}{s.body}</section>')
    stamp = datetime.now().astimezone().isoformat(timespec="seconds")
    return (f'<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><title>{e(title)}'
            f"</title><style>{CSS}</style></head><body><h1>{e(title)}</h1>"
            f"<p>grassroots-sim {e(package_version())}, report made {e(stamp)}.</p>"
            f"<nav><ul>{nav}</ul></nav>{''.join(parts)}</body></html>\n")


def build_report(folder: str | Path, baseline: dict[str, Any] | None = None,
                 outcomes: list[str] | None = None, gain_threshold: float | None = None,
                 n_resamples: int = N_RESAMPLES, seed: int = SEED) -> Report:
    """Write ``folder/report/`` for a sweep or a run folder and return what was written."""
    folder = Path(folder)
    if not folder.is_dir():
        raise ReportError(f"{folder}: no such folder")
    out = folder / "report"
    for old in [*out.glob("*.png"), *out.glob("*.svg")]:  # charts of an earlier report
        old.unlink()
    if (folder / "summary.json").exists() and not (folder / "runs.parquet").exists():
        report = run_sections(folder, out)
        title = f"Run report: {folder.name}"
    else:
        report = sweep_sections(folder, out, baseline, outcomes, gain_threshold, n_resamples,
                                seed)
        title = f"Sweep report: {folder.name}"
    out.mkdir(parents=True, exist_ok=True)
    atomic_write_text(report.path, render_html(report, title))
    return report




__all__ = ["Report", "ReportError", "PairedDifference", "build_report"]
