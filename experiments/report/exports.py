"""What a planner takes away from a sweep report: ``report/tables/*.csv`` and
``report/results.xlsx`` for spreadsheets, and ``report/summary.pdf``, one A4 page for a
meeting (the question, the answer, the key chart and the caveats).

The CSVs hold the numbers the HTML tables print. The workbook is written with openpyxl
(pandas' standard ``.xlsx`` writer); the PDF is one matplotlib figure (one page by
construction) drawn with the report's fonts, so Chinese renders too.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import matplotlib as mpl
import matplotlib.image as mpimg
import pandas as pd

from experiments import i18n
from experiments.report import charts
from experiments.report.sweep import Comparison, SweepResults
from experiments import outcomes as oc

A4_INCHES = (8.27, 11.69)
SHEET_NAME_MAX = 31  # Excel's limit on sheet names


def policy_summary(comparisons: list[Comparison], lang: str) -> pd.DataFrame:
    t = lambda key: i18n.text(key, lang)  # noqa: E731
    rows = []
    for comp in comparisons:
        for label, est in zip(comp.labels, comp.estimates):
            rows.append({t("report.xl.outcome"): oc.label(comp.outcome, lang),
                         t("report.xl.unit"): oc.unit(comp.outcome),
                         t("report.xl.policy"): label, t("report.xl.runs"): est.n,
                         t("report.xl.mean"): est.mean, t("report.xl.low"): est.low,
                         t("report.xl.high"): est.high})
    return pd.DataFrame(rows)


def paired_differences(results: SweepResults, comparisons: list[Comparison], lang: str
                       ) -> pd.DataFrame:
    t = lambda key: i18n.text(key, lang)  # noqa: E731
    rows = []
    for comp in comparisons:
        for f in comp.findings:
            d = f.diff
            rows.append({t("report.xl.outcome"): oc.label(comp.outcome, lang),
                         t("report.xl.unit"): oc.unit(comp.outcome),
                         t("report.xl.policy"): results.label(f.policy),
                         t("report.xl.baseline"): results.label(f.baseline),
                         t("report.xl.diff"): d.diff, t("report.xl.low"): d.diff_low,
                         t("report.xl.high"): d.diff_high, t("report.xl.rel"): d.rel,
                         t("report.xl.rel_low"): d.rel_low, t("report.xl.rel_high"): d.rel_high,
                         t("report.xl.better"): d.n_better, t("report.xl.worse"): d.n_worse,
                         t("report.xl.pairs"): d.n, t("report.xl.finding"): f.text})
    return pd.DataFrame(rows)


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


def write_workbook(path: Path, results: SweepResults, tables: dict[str, pd.DataFrame]) -> Path:
    """Runs, the policy summary, the paired differences and every decision table."""
    sheets: dict[str, pd.DataFrame] = {"runs": results.runs, **tables}
    used: set[str] = set()
    with pd.ExcelWriter(path, engine="openpyxl") as writer:
        for name, frame in sheets.items():
            sheet = name[:SHEET_NAME_MAX]
            k = 1
            while sheet in used:
                k += 1
                sheet = f"{name[:SHEET_NAME_MAX - 3]}_{k}"
            used.add(sheet)
            frame.to_excel(writer, sheet_name=sheet, index=False)
    return path


def write_summary_pdf(path: Path, title: str, question: str, answer: list[str],
                      key_charts: list[charts.Chart], caveats: list[str], lang: str) -> Path:
    """One A4 page: the question, the answer, the key chart and the caveats."""
    width = 46 if lang == "zh" else 95  # characters per line at these font sizes
    small = 58 if lang == "zh" else 115

    def wrap(text: str, n: int = width) -> str:
        if any(ord(c) >= 0x2E80 for c in text):  # CJK: no spaces, break anywhere
            return "\n".join(text[i:i + n] for i in range(0, len(text), n))
        return "\n".join(textwrap.wrap(text, n))

    t = lambda key: i18n.text(key, lang)  # noqa: E731
    with mpl.rc_context(charts.STYLE):
        fig = charts.Figure(figsize=A4_INCHES)
        y = 0.965
        fig.text(0.06, y, title, fontsize=15, fontweight="bold", va="top")
        y -= 0.04
        for heading, lines, size in ((t("report.decision.question"), [question], 11),
                                     (t("report.decision.answer"), answer, 10)):
            fig.text(0.06, y, heading, fontsize=12, fontweight="bold", va="top")
            y -= 0.022
            for line in lines:
                block = wrap(line)
                fig.text(0.08, y, block, fontsize=size, va="top")
                y -= 0.016 * (block.count("\n") + 1) + 0.008
        room = (y - 0.22) / max(len(key_charts), 1)  # the rest is left for the caveats
        for chart in key_charts:
            img = mpimg.imread(chart.png)
            aspect = img.shape[0] / img.shape[1] * A4_INCHES[0] / A4_INCHES[1]
            h = min(0.88 * aspect, 0.45, room - 0.01)
            ax = fig.add_axes((0.06, y - h - 0.01, 0.88, h))
            ax.imshow(img)
            ax.set_axis_off()
            y -= h + 0.02
        fig.text(0.06, y, t("report.decision.caveats"), fontsize=12, fontweight="bold",
                 va="top")
        y -= 0.022
        for line in caveats:
            block = wrap(line, small)
            fig.text(0.08, y, "• " + block, fontsize=8.5, va="top")
            y -= 0.013 * (block.count("\n") + 1) + 0.006
        fig.savefig(path, format="pdf")
    return path
