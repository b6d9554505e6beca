"""The calibration's report page: targets against simulated values, and the loss trace.

Writes ``DIR/report/index.html`` with the charts embedded (the same self-contained page as
``grassroots report``) and each chart as PNG and SVG beside it.
"""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from experiments.calibration.targets import Target
from experiments.report import charts as rcharts
from experiments.report.page import Report, Section, render_html
from experiments.runs.output import atomic_write_text


def targets_chart(
    out: Path, targets: list[Target], table: pd.DataFrame, best: int
) -> rcharts.Chart:
    """Each target's band and reported value, with the first and the best trial's means."""
    fig = rcharts.new_figure(9, 1.2 + 1.1 * len(targets))
    axes = fig.subplots(len(targets), 1, squeeze=False)[:, 0]
    first = table[table["trial"] == 0]
    chosen = table[table["trial"] == best]
    for ax, t in zip(axes, targets):
        col = f"sim:{t.name}"
        lo, hi = t.band
        ax.axvspan(lo, hi, color="#56B4E9", alpha=0.3, label="band")
        ax.axvline(t.value, color="#0072B2", lw=2, label="reported")
        done = table[table["state"] == "COMPLETE"]
        if col in done:
            ax.plot(done[col], np.zeros(len(done)), "|", color="grey", ms=12, label="trials")
        if len(first) and col in first:
            ax.plot(first[col], [0], "o", color="#D55E00", ms=9, label="before")
        if len(chosen) and col in chosen:
            ax.plot(chosen[col], [0], "D", color="#009E73", ms=9, label="calibrated")
        ax.set_yticks([])
        ax.set_title(f"{t.label or t.name} ({t.source.split(':', 1)[0]})", loc="left", fontsize=12)
    axes[0].legend(loc="upper right", ncols=5, fontsize=9, frameon=False)
    return rcharts.save(
        fig,
        out,
        "targets",
        "Targets and simulated values",
        "Each target's band (shaded) and reported value (line); the simulated "
        "mean over the seeds of every trial (ticks), the scenario's values "
        "before calibration (circle) and the calibrated ones (diamond).",
    )


def trace_chart(out: Path, table: pd.DataFrame) -> rcharts.Chart:
    done = table[table["state"] == "COMPLETE"].sort_values("trial")
    fig = rcharts.new_figure(9, 4.5)
    ax = fig.subplots()
    ax.plot(done["trial"], done["loss"], "o", color="grey", ms=4, label="trial")
    ax.step(
        done["trial"],
        done["loss"].cummin(),
        where="post",
        color="#0072B2",
        lw=2,
        label="best so far",
    )
    ax.set_xlabel("trial")
    ax.set_ylabel("loss (band widths)")
    if (done["loss"] > 0).all() and done["loss"].max() / done["loss"].min() > 100:
        ax.set_yscale("log")
    ax.legend(frameon=False)
    return rcharts.save(
        fig,
        out,
        "loss_trace",
        "Trace of the loss",
        "Loss of each trial (distance from the bands in band widths, plus "
        "0.01 x the distance from the reported values) and the best so far.",
    )


def write_report(
    folder: Path, table: pd.DataFrame, targets: list[Target], plan: Any, best: int
) -> Path:
    out = folder / "report"
    charts = [targets_chart(out, targets, table, best), trace_chart(out, table)]
    e = html.escape
    row = table[table["trial"] == best].iloc[0]
    first = table[table["trial"] == 0]
    params = "".join(
        f"<tr><td><code>{e(k)}</code></td><td>{lo:g}–{hi:g}</td>"
        f"<td>{first.iloc[0][k]:.4g}</td><td>{row[k]:.4g}</td></tr>"
        if len(first)
        else f"<tr><td><code>{e(k)}</code></td><td>{lo:g}–{hi:g}</td>"
        f"<td>n/a</td><td>{row[k]:.4g}</td></tr>"
        for k, (lo, hi) in plan.ranges.items()
    )
    tgt = "".join(
        f"<tr><td>{e(t.label or t.name)}</td><td>{e(t.source)}</td>"
        f"<td>{t.band[0]:g}–{t.band[1]:g}</td><td>{row.get(f'sim:{t.name}', np.nan):.4g}</td>"
        "</tr>"
        for t in targets
    )
    body = (
        f"<p>Best trial {best} of {int((table['state'] == 'COMPLETE').sum())}, loss "
        f"{row['loss']:.4g}, {len(plan.seeds)} seeds per trial.</p>"
        "<table><tr><th>parameter</th><th>plausible range</th><th>before</th>"
        f"<th>calibrated</th></tr>{params}</table>"
        "<table><tr><th>target</th><th>source</th><th>band</th><th>calibrated mean</th>"
        f"</tr>{tgt}</table>"
    )
    sections = [Section("Targets", charts[:1], body), Section("Loss", charts[1:])]
    report = Report(path=out / "index.html", kind="calibration", sections=sections)
    atomic_write_text(report.path, render_html(report, f"Calibration: {folder.name}"))
    return report.path
