"""The sweep report's chart sections beyond the policy comparison: distributions, time-series
bands, dose-response and the two-factor heatmap. Each returns a chart (or None when the
sweep cannot support it) and a short note for the page."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from experiments import factors as fc
from experiments import i18n
from experiments import outcomes as oc
from experiments.factors import value_text
from experiments.report import charts
from experiments.report.stats import N_RESAMPLES, SEED, bootstrap_mean, ecdf, quantile_band
from experiments.report.sweep import SweepResults, same
from experiments.sweeps.store import SweepStore

MAX_LINES = 7  # policies drawn on one chart: more would not be told apart
DOSE_FACTOR = "volunteers.team_size_per_1000"
DOSE_STEP = {DOSE_FACTOR: (5.0, "5 more volunteers per 1,000")}


def target_minutes(manifest: dict[str, Any]) -> float:
    """The sweep's target response time: its base scenario with its fixed values."""
    from sim import Config
    from sim.scenario import load_scenario

    try:
        base = manifest.get("base")
        config = load_scenario(
            base if base and Path(base).is_file() else None, overrides=manifest.get("fixed") or {}
        )
        return float(config.time.target_response_min)
    except Exception:  # noqa: BLE001 - a moved base file: fall back to the default
        return float(Config().time.target_response_min)


def shown_policies(
    results: SweepResults, outcome: str, baselines: list[tuple]
) -> tuple[list[tuple], str]:
    """At most ``MAX_LINES`` policies: all, or the baseline and the best and worst three."""
    policies = results.policies()
    if len(policies) <= MAX_LINES:
        return policies, ""
    means = [results.runs_of(p)[outcome].mean() for p in policies]
    order = [policies[i] for i in np.argsort(means)]
    if not oc.lower_is_better(outcome):
        order = order[::-1]
    chosen = [baselines[0]] if baselines else []
    for p in order[:3] + order[-3:]:
        if not any(p == c for c in chosen):
            chosen.append(p)
    return chosen, i18n.text(
        "report.shown_note",
        results.lang,
        k=len(chosen),
        n=len(policies),
        outcome=oc.words(outcome, results.lang),
    )


def run_ids_by_policy(results: SweepResults, policies: list[tuple]) -> dict[tuple, list[str]]:
    return {p: results.runs_of(p)["run_id"].astype(str).tolist() for p in policies}


def distributions(
    results: SweepResults, out: Path, policies: list[tuple], n_reps: int
) -> tuple[charts.Chart, str]:
    target = target_minutes(results.manifest)
    store = SweepStore(results.folder)
    curves: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    from_logs = store.needs.is_dir()
    if from_logs:
        for policy, ids in run_ids_by_policy(results, policies).items():
            logs = store.run_frames("needs", ids, ["created_min", "reached_min"])
            if not logs:
                from_logs = False
                break
            needs = pd.concat(logs.values(), ignore_index=True)
            response = (needs["reached_min"] - needs["created_min"]).to_numpy(float)
            curves[results.label(policy)] = ecdf(response, total=len(response))
    if not from_logs:
        curves = {
            results.label(p): ecdf(results.runs_of(p)["mean_response_min"].to_numpy(float))
            for p in policies
        }
    note = "" if from_logs else i18n.text("report.no_need_logs", results.lang)
    return charts.distributions(out, curves, target, from_logs, n_reps, results.lang), note


def timeseries(
    results: SweepResults, out: Path, policies: list[tuple], n_reps: int, shown_note: str
) -> charts.Chart | None:
    store = SweepStore(results.folder)
    if not store.timeseries.is_dir():
        return None
    columns = ["time_min", *[c for c, _, _ in charts.SERIES]]
    bands: dict[str, dict[str, tuple[np.ndarray, np.ndarray]]] = {}
    for policy, ids in run_ids_by_policy(results, policies).items():
        frames = store.run_frames("timeseries", ids)
        if not frames:
            continue
        long = pd.concat([f.assign(run=r) for r, f in frames.items()], ignore_index=True)
        long = long[long["time_min"] >= 0]  # wartime: minutes since the emergency began
        series = {}
        for column in columns[1:]:
            if column in long:
                wide = long.pivot_table(index="run", columns="time_min", values=column)
                series[column] = (
                    wide.columns.to_numpy(float) / 60.0,
                    quantile_band(wide.to_numpy()),
                )
        bands[results.label(policy)] = series
    if not bands:
        return None
    return charts.timeseries_bands(out, bands, n_reps, shown_note, results.lang)


def factor_axis_label(key: str) -> str:
    """``volunteers.team_size_per_1000`` as "team size per 1000 (volunteers/1000 residents)"."""
    from sim.params import param_field

    section, name = key.split(".", 1)
    try:
        unit = param_field(section, name).metadata.get("unit", "")
    except StopIteration:
        unit = ""
    return name.replace("_", " ") + (f" ({unit})" if unit and unit != "-" else "")


def dose_factor(results: SweepResults) -> str | None:
    """The numeric list factor with at least three levels (volunteer team size first)."""
    numeric = [
        k
        for k in results.policy_factors
        if len(results.manifest["factors"][k]) >= 3
        and all(
            isinstance(v, (int, float)) and not isinstance(v, bool)
            for v in results.manifest["factors"][k]
        )
    ]
    return DOSE_FACTOR if DOSE_FACTOR in numeric else (numeric[0] if numeric else None)


def dose_response(
    results: SweepResults,
    out: Path,
    outcome: str,
    threshold: float | None,
    n_reps: int,
    n_resamples: int = N_RESAMPLES,
    seed: int = SEED,
) -> tuple[charts.Chart, str] | None:
    factor = dose_factor(results)
    if factor is None:
        return None
    levels = sorted(float(v) for v in results.manifest["factors"][factor])
    lang = results.lang
    if factor in DOSE_STEP:
        step, step_text = DOSE_STEP[factor][0], i18n.text("report.dose.step_volunteers", lang)
    else:
        step, step_text = (
            float(min(np.diff(levels))),
            i18n.text("report.dose.step", lang, factor=factor.split(".")[-1]),
        )
    others = [k for k in results.policy_factors if k != factor]
    groups = results.runs.groupby(others, sort=False) if others else [((), results.runs)]
    lines, marks, texts = {}, {}, []
    lower = oc.lower_is_better(outcome)
    for key, frame in groups:
        key = key if isinstance(key, tuple) else (key,)
        label = i18n.text("report.sep", lang).join(
            value_text(k, v, lang) for k, v in zip(others, key)
        ) or i18n.text("report.all_runs", lang)
        x = np.array([lv for lv in levels if any(same(lv, v) for v in frame[factor])])
        ests = [
            bootstrap_mean(
                frame[[same(lv, v) for v in frame[factor]]][outcome].to_numpy(float),
                n_resamples,
                seed=seed,
            )
            for lv in x
        ]
        means = np.array([e.mean for e in ests])
        if threshold is None:  # default: 2% of the outcome at the lowest level (assumption)
            threshold = 0.02 * abs(means[0])
        gains = (means[:-1] - means[1:]) * step / np.diff(x)
        gains = gains if lower else -gains
        # the first level from which every further step gains less than the threshold
        above = np.flatnonzero(~(gains < threshold))
        start = above[-1] + 1 if len(above) else 0
        marks[label] = float(x[start]) if start < len(gains) else None
        lines[label] = (x, ests)
        where = (
            i18n.text("report.dose.from", lang, level=f"{marks[label]:g}")
            if marks[label] is not None
            else i18n.text("report.dose.nowhere", lang)
        )
        texts.append(
            i18n.text(
                "report.dose.text",
                lang,
                label=label,
                step=step_text,
                threshold=f"{threshold:.3g}",
                unit=oc.unit_text(outcome, lang),
                outcome=oc.words(outcome, lang),
                where=where,
            )
        )
    axis = f"report.level_axis.{factor}"
    chart = charts.dose_response(
        out,
        i18n.text(axis, lang) if i18n.has(axis, lang) else factor_axis_label(factor),
        oc.label(outcome, lang),
        oc.unit_text(outcome, lang),
        lines,
        marks,
        threshold,
        step_text,
        n_reps,
        lang,
    )
    return chart, " ".join(texts)


def heatmap(
    results: SweepResults, out: Path, outcomes: list[str], n_reps: int
) -> charts.Chart | None:
    """The first two list factors with two or more levels, one panel per outcome."""
    factors = [k for k in results.policy_factors if len(results.manifest["factors"][k]) >= 2]
    if len(factors) < 2:
        return None
    rows_key, cols_key = factors[:2]
    rows = results.manifest["factors"][rows_key]
    cols = results.manifest["factors"][cols_key]
    matrices = []
    for outcome in outcomes[:2]:
        m = np.full((len(rows), len(cols)), np.nan)
        for i, r in enumerate(rows):
            for j, c in enumerate(cols):
                sel = results.runs[
                    [
                        same(a, r) and same(b, c)
                        for a, b in zip(results.runs[rows_key], results.runs[cols_key])
                    ]
                ]
                m[i, j] = sel[outcome].mean() if len(sel) else np.nan
        matrices.append((oc.label(outcome, results.lang), oc.unit_text(outcome, results.lang), m))
    lang = results.lang
    return charts.heatmap(
        out,
        matrices,
        fc.name(rows_key, lang),
        [value_text(rows_key, r, lang) for r in rows],
        fc.name(cols_key, lang),
        [value_text(cols_key, c, lang) for c in cols],
        n_reps,
        lang,
    )
