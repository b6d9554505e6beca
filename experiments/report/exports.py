"""What a planner takes away from a sweep report: ``report/tables/*.csv`` and
``report/results.xlsx`` for spreadsheets, and ``report/summary.pdf``, one A4 page for a
meeting (:mod:`experiments.report.summary_pdf`).

The CSVs hold the numbers the HTML tables print, in the same units (shares in percent,
their differences in percentage points, relative changes in percent, each column saying
which). The workbook is written with openpyxl (pandas' standard ``.xlsx`` writer); its
sheets have short readable names, each different, and a ``contents`` sheet says which table
(and CSV file) each holds.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

from experiments import costs as cs
from experiments import i18n
from experiments import outcomes as oc
from experiments.report import decision as dc
from experiments.report.sweep import Comparison, SweepResults

SHEET_NAME_MAX = 31  # Excel's limit on sheet names
SHEET_FORBIDDEN = re.compile(r"[\\/*?:\[\]]")  # characters Excel refuses in a sheet name
# short words for long parts of table names (decision_<factor>_<outcome>)
SHORT = {
    "team_size_per_1000": "volunteers",
    "structure": "structure",
    "mechanism": "mechanism",
    "total_harm": "harm",
    "mean_response_min": "response",
    "p90_response_min": "p90 response",
    "share_met_within_target": "within target",
    "casualty_proxy": "casualties",
    "peak_backlog": "backlog",
    "mean_resolution_min": "resolution",
    "person_hours": "effort",
}


def unit_word(outcome: str, lang: str, diff: bool = False) -> str:
    """The unit of an outcome's numbers as the tables show them: "%" for a share, "percentage
    points" for a difference of shares, else the outcome's unit."""
    if oc.is_share(outcome):
        return i18n.text("report.unit.points_name" if diff else "report.unit.percent", lang)
    return oc.unit_text(outcome, lang)


def policy_summary(comparisons: list[Comparison], lang: str) -> pd.DataFrame:
    """Each policy's mean and 95% CI per outcome, as the tables show them (shares in
    percent)."""
    t = lambda key: i18n.text(key, lang)  # noqa: E731
    rows = []
    for comp in comparisons:
        o = comp.outcome
        for label, est in zip(comp.labels, comp.estimates):
            rows.append(
                {
                    t("report.xl.outcome"): oc.label(o, lang),
                    t("report.xl.unit"): unit_word(o, lang),
                    t("report.xl.policy"): label,
                    t("report.xl.runs"): est.n,
                    t("report.xl.mean"): dc.shown(o, est.mean),
                    t("report.xl.low"): dc.shown(o, est.low),
                    t("report.xl.high"): dc.shown(o, est.high),
                }
            )
    return pd.DataFrame(rows)


def paired_differences(
    results: SweepResults, comparisons: list[Comparison], lang: str
) -> pd.DataFrame:
    """Every finding's paired difference, in the tables' units: the difference in the
    outcome's unit (shares: percentage points), the relative difference in percent."""
    t = lambda key: i18n.text(key, lang)  # noqa: E731
    rows = []
    for comp in comparisons:
        o = comp.outcome
        for f in comp.findings:
            d = f.diff
            rows.append(
                {
                    t("report.xl.outcome"): oc.label(o, lang),
                    t("report.xl.unit"): unit_word(o, lang, diff=True),
                    t("report.xl.policy"): results.label(f.policy),
                    t("report.xl.baseline"): results.label(f.baseline),
                    t("report.xl.diff"): dc.shown(o, d.diff),
                    t("report.xl.low"): dc.shown(o, d.diff_low),
                    t("report.xl.high"): dc.shown(o, d.diff_high),
                    t("report.xl.rel"): dc.shown_rel(d.rel),
                    t("report.xl.rel_low"): dc.shown_rel(d.rel_low),
                    t("report.xl.rel_high"): dc.shown_rel(d.rel_high),
                    t("report.xl.better"): d.n_better,
                    t("report.xl.worse"): d.n_worse,
                    t("report.xl.pairs"): d.n,
                    t("report.xl.finding"): f.text,
                }
            )
    return pd.DataFrame(rows)


def cost_table(costs: cs.Costs, threshold: float | None, lang: str) -> pd.DataFrame:
    """Every price the money answer used: its value, unit, plausible range and source."""
    t = lambda key: i18n.text(key, lang)  # noqa: E731
    rows = []
    for name in cs.NAMES:
        meta = cs.meta(name)
        value = getattr(costs, name)
        low, high = meta["plausible"] or (np.nan, np.nan)
        rows.append(
            {
                t("report.cost.col.name"): cs.label(name, lang),
                t("report.cost.col.key"): name,
                t("report.cost.col.value"): value,
                t("report.cost.col.unit"): cs.unit_text(name, lang),
                t("report.cost.col.low"): low,
                t("report.cost.col.high"): high,
                t("report.cost.col.source"): cs.source(name, lang),
            }
        )
    frame = pd.DataFrame(rows)
    if threshold is not None and costs.threshold_derived:
        frame.loc[len(frame)] = [
            t("report.cost.name.threshold_used"),
            "threshold (derived)",
            dc.round_sig(threshold),
            cs.unit_text("threshold_harm_per_10000_yuan", lang),
            np.nan,
            np.nan,
            t("report.cost.source.threshold_used"),
        ]
    return frame


def write_tables(out: Path, tables: dict[str, pd.DataFrame]) -> list[Path]:
    folder = out / "tables"
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("*.csv"):
        old.unlink()
    paths = []
    for name, frame in tables.items():
        path = folder / f"{name}.csv"
        frame.to_csv(path, index=False, encoding="utf-8-sig")  # -sig: Excel reads UTF-8
        paths.append(path)
    return paths


def sheet_name(name: str) -> str:
    """A short readable sheet name for a table (``decision_team_size_per_1000_total_harm``
    -> ``rank volunteers - harm``), at most 31 characters."""
    text = name
    if name.startswith("decision_"):
        rest = name[len("decision_") :]
        factor = next(
            (k for k in sorted(SHORT, key=len, reverse=True) if rest.startswith(k + "_")), ""
        )
        outcome = rest[len(factor) + 1 :] if factor else rest
        text = (
            f"rank {SHORT.get(factor, factor)} - {SHORT.get(outcome, outcome)}"
            if factor
            else f"rank {rest}"
        )
    text = SHEET_FORBIDDEN.sub(" ", text.replace("_", " ")).strip("' ")
    return text[:SHEET_NAME_MAX].rstrip() or "sheet"


def sheet_names(names: list[str]) -> dict[str, str]:
    """Table name -> sheet name: short, readable and each different (a repeated name gets
    " (2)", " (3)"; Excel compares sheet names without case)."""
    out: dict[str, str] = {}
    used: set[str] = set()
    for name in names:
        sheet = sheet_name(name)
        k = 1
        while sheet.lower() in used:
            k += 1
            tag = f" ({k})"
            sheet = sheet_name(name)[: SHEET_NAME_MAX - len(tag)].rstrip() + tag
        used.add(sheet.lower())
        out[name] = sheet
    return out


def write_workbook(
    path: Path, results: SweepResults, tables: dict[str, pd.DataFrame], lang: str = i18n.DEFAULT
) -> Path:
    """A ``contents`` sheet (each sheet's table and CSV file), the runs, and every table."""
    t = lambda key, **f: i18n.text(key, lang, **f)  # noqa: E731
    sheets: dict[str, pd.DataFrame] = {"runs": results.runs, **tables}
    names = sheet_names(["contents", *sheets])
    contents = pd.DataFrame(
        [
            {
                t("report.xl.sheet"): names[name],
                t("report.xl.table"): name,
                t("report.xl.file"): "runs.parquet" if name == "runs" else f"tables/{name}.csv",
                t("report.xl.rows"): len(frame),
            }
            for name, frame in sheets.items()
        ]
    )
    with pd.ExcelWriter(path, engine="openpyxl") as writer:
        contents.to_excel(writer, sheet_name=names["contents"], index=False)
        for name, frame in sheets.items():
            frame.to_excel(writer, sheet_name=names[name], index=False)
    return path
