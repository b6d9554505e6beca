"""The report's charts: each drawn on a ``matplotlib.figure.Figure`` and saved as PNG and SVG.

Colours are the Okabe-Ito palette (safe for the common colour-vision deficiencies); fonts
are large enough to read on a projected slide. A chart drawn from fewer than
``MIN_REPLICATIONS`` replications says so in red on the chart itself.
"""

from __future__ import annotations

import base64
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import matplotlib as mpl
import numpy as np
from matplotlib.figure import Figure

from experiments import i18n
from experiments.report import district_map
from experiments.report.stats import Estimate, PairedDifference
from sim.registry import HAZARDS

OKABE_ITO = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#000000", "#F0E442"]
BETTER, WORSE, UNCLEAR = "#0072B2", "#D55E00", "#999999"
MIN_REPLICATIONS = 10
# CJK fonts, first found wins (Debian: fonts-wqy-microhei, fonts-noto-cjk; installed by
# `make setup` and .ci/run); matplotlib falls back to them glyph by glyph after DejaVu Sans.
CJK_FAMILIES = (
    "WenQuanYi Micro Hei",
    "Noto Sans CJK SC",
    "Noto Sans SC",
    "Source Han Sans SC",
    "Droid Sans Fallback",
    "PingFang SC",
    "Hiragino Sans GB",
    "Microsoft YaHei",
    "SimHei",
)  # the last four: macOS and Windows
CJK_FILES = (
    "wqy-microhei",
    "wqy-zenhei",
    "NotoSansCJK",
    "NotoSansSC",
    "SourceHanSans",
    "DroidSansFallback",
)


def cjk_families() -> list[str]:
    """The CJK font families matplotlib can use, registering system font files its font cache
    does not know yet (a font installed after the cache was built)."""
    from matplotlib import font_manager as fm

    def known() -> list[str]:
        names = {f.name for f in fm.fontManager.ttflist}
        return [f for f in CJK_FAMILIES if f in names]

    if not known():
        for path in fm.findSystemFonts():
            if any(part in Path(path).name for part in CJK_FILES):
                try:
                    fm.fontManager.addfont(path)
                except (OSError, RuntimeError, ValueError):
                    continue
    return known()


STYLE = {
    "font.size": 13,
    "axes.titlesize": 15,
    "axes.labelsize": 13,
    "legend.fontsize": 11,
    "xtick.labelsize": 12,
    "ytick.labelsize": 12,
    "figure.titlesize": 16,
    "axes.prop_cycle": mpl.cycler(color=OKABE_ITO),
    "svg.fonttype": "none",
    "axes.spines.top": False,
    "axes.spines.right": False,
}


@dataclass
class Chart:
    """A saved chart: its name, files and caption."""

    name: str
    title: str
    png: Path
    svg: Path
    caption: str = ""

    def data_uri(self) -> str:
        return "data:image/png;base64," + base64.b64encode(self.png.read_bytes()).decode()


STYLE["font.family"] = ["DejaVu Sans", *cjk_families()]


class _NoBoldNotice(logging.Filter):
    """Drop matplotlib's notice that a CJK fallback font has no bold face (it draws the
    regular one, which is what we want); every other font message passes."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "Failed to find font weight" not in record.getMessage()


logging.getLogger("matplotlib.font_manager").addFilter(_NoBoldNotice())


def new_figure(width: float, height: float) -> Figure:
    with mpl.rc_context(STYLE):
        return Figure(figsize=(width, height), layout="constrained")


def save(fig: Figure, out: Path, name: str, title: str, caption: str = "") -> Chart:
    out.mkdir(parents=True, exist_ok=True)
    png, svg = out / f"{name}.png", out / f"{name}.svg"
    with mpl.rc_context(STYLE):
        fig.savefig(png, format="png", dpi=100)
        fig.savefig(svg, format="svg")
    return Chart(name, title, png, svg, caption)


def few_replications_note(
    fig: Figure, n: int, right: float = 1.0, lang: str = i18n.DEFAULT
) -> None:
    """Say on the chart that it rests on fewer than ``MIN_REPLICATIONS`` replications
    (leaving room for the note at the bottom; ``right``: room at the right edge)."""
    few = n < MIN_REPLICATIONS
    fig.get_layout_engine().set(rect=(0, 0.05 if few else 0, right, 0.95 if few else 1))
    if few:
        fig.text(
            0.01,
            0.005,
            i18n.text("report.chart.rough", lang, n=n, min=MIN_REPLICATIONS),
            color=WORSE,
            fontsize=12,
            ha="left",
            va="bottom",
            fontweight="bold",
        )


def note(ax: Any, text: str) -> None:
    ax.text(
        0.5, 0.5, text, ha="center", va="center", transform=ax.transAxes, color="grey", wrap=True
    )


def comparison(
    out: Path,
    name: str,
    outcome_label: str,
    unit: str,
    labels: list[str],
    estimates: list[Estimate],
    diffs: list[PairedDifference | None],
    lower_is_better: bool,
    baseline_note: str,
    n_reps: int,
    lang: str = i18n.DEFAULT,
) -> Chart:
    """Each policy's mean with its CI (left) and its paired change from the baseline (right).
    Intervals from fewer than ``MIN_REPLICATIONS`` pairs are grey, never called better."""
    t = lambda key, **f: i18n.text(key, lang, **f)  # noqa: E731
    with mpl.rc_context(STYLE):
        fig = new_figure(14, 1.4 + 0.55 * len(labels))
        left, right = fig.subplots(1, 2, sharey=True, width_ratios=[1, 1])
        y = np.arange(len(labels))[::-1]
        for yi, est, d in zip(y, estimates, diffs):
            colour = "#000000" if d is None else _verdict_colour(d, lower_is_better)
            err = [[est.mean - est.low], [est.high - est.mean]] if np.isfinite(est.low) else None
            left.errorbar(est.mean, yi, xerr=err, fmt="o", color=colour, capsize=4, ms=7)
        left.set_yticks(y, labels)
        if all(e.mean >= 0 for e in estimates if np.isfinite(e.mean)):
            left.set_xlim(left=0)  # not truncated: gaps read at their true size
        left.set_xlabel(t("report.chart.mean_axis", unit=unit))
        left.set_title(t("report.chart.mean_title"))
        left.grid(axis="x", alpha=0.3)
        for yi, d in zip(y, diffs):
            if d is None:
                right.text(
                    0,
                    yi,
                    t("report.table.baseline"),
                    ha="center",
                    va="center",
                    fontsize=11,
                    color="#000000",
                )
                continue
            if not np.isfinite(d.rel):
                continue
            err = (
                [[100 * (d.rel - d.rel_low)], [100 * (d.rel_high - d.rel)]]
                if np.isfinite(d.rel_low)
                else None
            )
            right.errorbar(
                100 * d.rel,
                yi,
                xerr=err,
                fmt="s",
                capsize=4,
                ms=7,
                color=_verdict_colour(d, lower_is_better),
            )
            word = "better" if d.n_better >= d.n_worse else "worse"
            count = d.n_better if word == "better" else d.n_worse
            right.annotate(
                t(f"report.chart.{word}_in", k=count, n=d.n),
                (1.0, yi),
                xycoords=("axes fraction", "data"),
                xytext=(6, 0),
                textcoords="offset points",
                va="center",
                fontsize=11,
            )
        right.axvline(0, color="#000000", lw=1)
        right.set_xlabel(t("report.chart.change_axis"))
        right.set_title(t("report.chart.change_title"))
        right.grid(axis="x", alpha=0.3)
        direction = t("report.lower_better" if lower_is_better else "report.higher_better")
        fig.suptitle(t("report.chart.comparison_title", outcome=outcome_label, direction=direction))
        few_replications_note(fig, n_reps, right=0.9, lang=lang)
    caption = t("report.chart.comparison_caption", min=MIN_REPLICATIONS) + " " + baseline_note
    return save(
        fig,
        out,
        name,
        t("report.chart.comparison_title", outcome=outcome_label, direction=direction),
        caption,
    )


def _verdict_colour(d: PairedDifference, lower_is_better: bool) -> str:
    """Blue if the CI of the difference lies on the better side of zero, vermillion if on
    the worse side, grey if it includes zero or rests on too few pairs."""
    if not (np.isfinite(d.diff_low) and np.isfinite(d.diff_high)) or d.n < MIN_REPLICATIONS:
        return UNCLEAR
    if d.diff_high < 0:
        return BETTER if lower_is_better else WORSE
    if d.diff_low > 0:
        return WORSE if lower_is_better else BETTER
    return UNCLEAR


def distributions(
    out: Path,
    curves: dict[str, tuple[np.ndarray, np.ndarray]],
    target_min: float,
    from_need_logs: bool,
    n_reps: int,
    lang: str = i18n.DEFAULT,
) -> Chart:
    """ECDF of response times per policy (need logs), or per-run means when logs are absent."""
    t = lambda key, **f: i18n.text(key, lang, **f)  # noqa: E731
    with mpl.rc_context(STYLE):
        fig = new_figure(12, 6.5)
        ax = fig.subplots()
        for (label, (x, y)), colour in zip(curves.items(), _colours(len(curves))):
            if from_need_logs:
                ax.step(x, y, where="post", label=label, color=colour, lw=2)
            else:
                ax.step(x, y, where="post", label=label, color=colour, lw=2, marker="o", ms=4)
        ax.axvline(
            target_min,
            color="#000000",
            ls="--",
            lw=1.5,
            label=t("report.chart.target", minutes=f"{target_min:g}"),
        )
        ax.set_ylim(0, 1.02)
        if from_need_logs:
            ax.set_xlim(left=0)
        ax.grid(alpha=0.3)
        if from_need_logs:
            ax.set_xlabel(t("report.chart.ecdf_x"))
            ax.set_ylabel(t("report.chart.ecdf_y"))
            ax.set_title(t("report.chart.ecdf_title"))
        else:
            ax.set_xlabel(t("report.chart.ecdf_runs_x"))
            ax.set_ylabel(t("report.chart.ecdf_runs_y"))
            ax.set_title(t("report.chart.ecdf_runs_title"), color=WORSE)
        fig.legend(*ax.get_legend_handles_labels(), loc="outside right center", frameon=False)
        few_replications_note(fig, n_reps, lang=lang)
    caption = t("report.chart.ecdf_caption" if from_need_logs else "report.chart.ecdf_runs_caption")
    return save(fig, out, "distributions", t("report.section.distributions"), caption)


def _colours(n: int) -> list[str]:
    return [OKABE_ITO[i % len(OKABE_ITO)] for i in range(n)]


SERIES = (
    ("backlog", "Backlog (open needs)", "needs"),
    ("cum_harm", "Cumulative harm", "person-hours"),
    ("responders_busy", "Responders deployed", "responders"),
)


def timeseries_bands(
    out: Path,
    bands: dict[str, dict[str, tuple[np.ndarray, np.ndarray]]],
    n_reps: int,
    shown_note: str,
    lang: str = i18n.DEFAULT,
) -> Chart:
    """Median and 10-90% band across replications, per policy, of three series."""
    t = lambda key, **f: i18n.text(key, lang, **f)  # noqa: E731
    with mpl.rc_context(STYLE):
        fig = new_figure(18, 6)
        axes = fig.subplots(1, 3)
        for ax, (column, _title, _unit) in zip(axes, SERIES):
            for (label, series), colour in zip(bands.items(), _colours(len(bands))):
                if column not in series:
                    continue
                hours, q = series[column]
                ax.fill_between(hours, q[0], q[2], color=colour, alpha=0.12, lw=0)
                ax.plot(hours, q[1], color=colour, lw=2, label=label)
            ax.set_title(t(f"report.series.{column}"))
            ax.set_xlabel(t("report.chart.hours"))
            ax.set_ylabel(t(f"report.series_unit.{column}"))
            ax.set_ylim(bottom=0)
            ax.grid(alpha=0.3)
        handles, labels = axes[0].get_legend_handles_labels()
        fig.legend(
            handles, labels, loc="outside lower center", ncols=min(4, len(labels)), frameon=False
        )
        fig.suptitle(t("report.chart.ts_title") + (f" ({shown_note})" if shown_note else ""))
        few_replications_note(fig, n_reps, lang=lang)
    return save(
        fig, out, "timeseries", t("report.section.timeseries"), t("report.chart.ts_caption")
    )


def dose_response(
    out: Path,
    factor_label: str,
    outcome_label: str,
    unit: str,
    lines: dict[str, tuple[np.ndarray, list[Estimate]]],
    marks: dict[str, float | None],
    threshold: float,
    step_text: str,
    n_reps: int,
    lang: str = i18n.DEFAULT,
) -> Chart:
    """An outcome against a numeric factor, CI band per group, with where gains flatten."""
    t = lambda key, **f: i18n.text(key, lang, **f)  # noqa: E731
    with mpl.rc_context(STYLE):
        fig = new_figure(12, 6.5)
        ax = fig.subplots()
        for k, ((label, (x, ests)), colour) in enumerate(zip(lines.items(), _colours(len(lines)))):
            mean = np.array([e.mean for e in ests])
            ax.fill_between(
                x, [e.low for e in ests], [e.high for e in ests], color=colour, alpha=0.2, lw=0
            )
            ax.plot(x, mean, "o-", color=colour, lw=2, label=label)
            mark = marks.get(label)
            if mark is not None:
                ax.axvline(mark, color=colour, ls="--", lw=1.5)
                ax.annotate(
                    t(
                        "report.chart.dose_mark",
                        mark=f"{mark:g}",
                        step=step_text,
                        threshold=f"{threshold:.3g}",
                        unit=unit,
                    ),
                    (mark, 1.0 - 0.12 * k),
                    xycoords=("data", "axes fraction"),
                    xytext=(4, -4),
                    textcoords="offset points",
                    va="top",
                    fontsize=11,
                    color=colour,
                )
        ax.set_xlabel(factor_label)
        ax.set_ylabel(f"{outcome_label} ({unit})")
        ax.set_ylim(bottom=0)  # not truncated: gaps read at their true size
        ax.set_title(t("report.chart.dose_title", outcome=outcome_label))
        ax.grid(alpha=0.3)
        ax.legend(frameon=False, loc="lower left")
        few_replications_note(fig, n_reps, lang=lang)
    caption = t(
        "report.chart.dose_caption", step=step_text, threshold=f"{threshold:.3g}", unit=unit
    )
    return save(fig, out, "dose_response", t("report.section.dose"), caption)


def heatmap(
    out: Path,
    matrices: list[tuple[str, str, np.ndarray]],
    row_label: str,
    rows: list[str],
    col_label: str,
    cols: list[str],
    n_reps: int,
    lang: str = i18n.DEFAULT,
) -> Chart:
    """Mean outcome per cell of two factors, one panel per outcome, values written in."""
    t = lambda key, **f: i18n.text(key, lang, **f)  # noqa: E731
    with mpl.rc_context(STYLE):
        fig = new_figure(7.5 * len(matrices), 1.8 + 0.8 * len(rows))
        axes = np.atleast_1d(fig.subplots(1, len(matrices)))
        for ax, (label, unit, m) in zip(axes, matrices):
            im = ax.imshow(m, cmap="cividis", aspect="auto")
            ax.set_xticks(range(len(cols)), cols, rotation=20, ha="right")
            ax.set_yticks(range(len(rows)), rows)
            ax.set_xlabel(col_label)
            ax.set_ylabel(row_label)
            ax.set_title(label)
            mid = np.nanmean(m)
            for (i, j), v in np.ndenumerate(m):
                ax.text(
                    j,
                    i,
                    f"{v:,.0f}" if abs(v) >= 100 else f"{v:.3g}",
                    ha="center",
                    va="center",
                    fontsize=12,
                    color="white" if v < mid else "black",
                )
            fig.colorbar(im, ax=ax, label=unit)
        fig.suptitle(t("report.chart.heat_title"))
        few_replications_note(fig, n_reps, lang=lang)
    return save(fig, out, "heatmap", t("report.section.heatmap"), t("report.chart.heat_caption"))


def sensitivity(
    out: Path,
    name: str,
    title: str,
    panels: list[dict[str, Any]],
    kind: str,
    lang: str = i18n.DEFAULT,
) -> Chart:
    """Ranked Sobol (S1, ST) or Morris (mu*, sigma) bars with 95% bootstrap CIs."""
    t = lambda key, **f: i18n.text(key, lang, **f)  # noqa: E731
    a, b = (t("report.sens.s1"), t("report.sens.st")) if kind == "sobol" else ("mu*", "sigma")
    with mpl.rc_context(STYLE):
        n_f = max(len(p["factors"]) for p in panels)
        fig = new_figure(8 * len(panels), 2.5 + 0.6 * n_f)
        axes = np.atleast_1d(fig.subplots(1, len(panels)))
        for ax, p in zip(axes, panels):
            y = np.arange(len(p["factors"]))[::-1]
            for offset, key, label, colour in (
                (0.18, "a", a, OKABE_ITO[0]),
                (-0.18, "b", b, OKABE_ITO[1]),
            ):
                v, lo, hi = (np.asarray(p[key + s], dtype=float) for s in ("", "_low", "_high"))
                err = np.vstack([np.clip(v - lo, 0, None), np.clip(hi - v, 0, None)])
                ax.barh(
                    y + offset,
                    v,
                    height=0.36,
                    color=colour,
                    label=label,
                    xerr=np.nan_to_num(err),
                    capsize=3,
                )
            ax.set_yticks(y, p["factors"])
            ax.set_xlabel(
                t("report.sens.sobol_axis")
                if kind == "sobol"
                else t("report.sens.morris_axis", unit=p["unit"])
            )
            ax.set_title(p["title"])
            ax.grid(axis="x", alpha=0.3)
            ax.legend(frameon=False, loc="lower right")
        fig.suptitle(title)
    caption = t(f"report.sens.{kind}_caption")
    return save(fig, out, name, title, caption)


def run_map(
    out: Path,
    graph: Any,
    grid_pos: np.ndarray,
    harm: np.ndarray,
    lowlying: np.ndarray,
    title: str,
    edge_minutes: float,
    lang: str = i18n.DEFAULT,
    shapes: district_map.Outlines | None = None,
) -> Chart:
    """The grid network, each grid coloured by the harm its needs suffered; a district's
    grids (``shapes``) as their outlines, with names, over its streets."""
    t = lambda key, **f: i18n.text(key, lang, **f)  # noqa: E731
    with mpl.rc_context(STYLE):
        fig = new_figure(10, 8.5)
        ax = fig.subplots()
        if shapes is not None:
            sc = district_map.draw(ax, shapes, harm, lowlying)
            fig.colorbar(sc, ax=ax, label=t("report.map.colour"))
            ax.set_title(title)
            return save(fig, out, "map", t("report.run.map"), t("report.run.map_caption_district"))
        n = len(grid_pos)
        for a, b in graph.edges():
            if a < n and b < n:
                ax.plot(*zip(grid_pos[a], grid_pos[b]), color="#BBBBBB", lw=1, zorder=1)
        size = float(np.clip(6000 / max(n, 1), 15, 300))
        sc = ax.scatter(
            grid_pos[:, 0],
            grid_pos[:, 1],
            c=harm,
            cmap="cividis",
            s=size,
            edgecolors=np.where(lowlying, "#56B4E9", "#555555"),
            linewidths=np.where(lowlying, 2.5, 0.5),
            zorder=2,
        )
        fig.colorbar(sc, ax=ax, label=t("report.map.colour"))
        ax.set_aspect("equal")
        ax.set_xlabel(t("report.run.east_west", minutes=f"{edge_minutes:g}"))
        ax.set_ylabel(t("report.run.north_south"))
        ax.set_title(title)
    return save(fig, out, "map", t("report.run.map"), t("report.run.map_caption"))


def run_timeline(
    out: Path,
    hours: np.ndarray,
    ts: Any,
    windows: list[tuple[str, float, float]],
    events: list[tuple[float, str]],
    lang: str = i18n.DEFAULT,
) -> Chart:
    """Backlog, cumulative harm and responders deployed over the emergency, hazards shaded."""
    t = lambda key, **f: i18n.text(key, lang, **f)  # noqa: E731
    with mpl.rc_context(STYLE):
        fig = new_figure(13, 9)
        axes = fig.subplots(3, 1, sharex=True)
        for ax, (column, _title, _unit) in zip(axes, SERIES):
            for label, start, end in windows:
                ax.axvspan(
                    start,
                    end,
                    color=HAZARDS[label].colour if label in HAZARDS else "#999999",
                    alpha=0.15,
                    lw=0,
                    label=t(f"hazard.{label}") if i18n.has(f"hazard.{label}", lang) else label,
                )
            if column in ts:
                ax.plot(
                    hours,
                    ts[column].to_numpy(dtype=float),
                    color=OKABE_ITO[0],
                    lw=2,
                    drawstyle="steps-post",
                )
            else:
                note(ax, t("report.run.not_recorded", column=column))
            for minute, _text in events:
                ax.axvline(minute / 60, color="#999999", lw=0.8, ls=":")
            ax.set_title(t(f"report.series.{column}"))
            ax.set_ylabel(t(f"report.series_unit.{column}"))
            ax.set_ylim(bottom=0)
            ax.grid(alpha=0.3)
        if windows:
            axes[0].legend(frameon=False, loc="upper right")
        axes[-1].set_xlabel(t("report.chart.hours"))
        fig.suptitle(t("report.run.timeline"))
    return save(
        fig,
        out,
        "timeline",
        t("report.run.timeline"),
        t("report.run.timeline_caption_events" if events else "report.run.timeline_caption"),
    )


STAGES = ("detection", "reporting", "dispatch", "travel", "service")


def stage_breakdown(
    out: Path, labels: list[str], means: np.ndarray, counts: list[int], lang: str = i18n.DEFAULT
) -> Chart:
    """Stacked mean minutes per need stage, per need type and for all needs."""
    t = lambda key, **f: i18n.text(key, lang, **f)  # noqa: E731
    with mpl.rc_context(STYLE):
        fig = new_figure(13, 1.8 + 0.7 * len(labels))
        ax = fig.subplots()
        y = np.arange(len(labels))[::-1]
        left = np.zeros(len(labels))
        for k, (stage, colour) in enumerate(zip(STAGES, OKABE_ITO)):
            v = np.nan_to_num(means[:, k])
            ax.barh(y, v, left=left, color=colour, label=t(f"report.stage.{stage}"), height=0.6)
            left += v
        ax.set_yticks(y, [f"{lab} (n={c})" for lab, c in zip(labels, counts)])
        ax.set_xlabel(t("report.run.stage_axis"))
        ax.set_title(t("report.run.stage_title"))
        ax.legend(frameon=False, ncols=5, loc="upper center", bbox_to_anchor=(0.5, -0.12))
        ax.grid(axis="x", alpha=0.3)
    return save(fig, out, "stages", t("report.run.stages"), t("report.run.stage_caption"))


def ranking(
    out: Path,
    name: str,
    title: str,
    xlabel: str,
    labels: list[str],
    estimates: list[Estimate],
    recommended: int,
    n: int,
    words: dict[str, str],
) -> Chart:
    """A decision factor's levels, best first: mean with 95% CI, the recommended one marked.
    Intervals from fewer than ``MIN_REPLICATIONS`` emergencies are grey and say so."""
    rough = n < MIN_REPLICATIONS
    with mpl.rc_context(STYLE):
        fig = new_figure(11, 1.6 + 0.55 * len(labels))
        ax = fig.subplots()
        y = np.arange(len(labels))[::-1]
        for i, (yi, est) in enumerate(zip(y, estimates)):
            colour = UNCLEAR if rough else (BETTER if i == recommended else "#000000")
            err = [[est.mean - est.low], [est.high - est.mean]] if np.isfinite(est.low) else None
            ax.errorbar(
                est.mean,
                yi,
                xerr=err,
                fmt="*" if i == recommended else "o",
                color=colour,
                capsize=4,
                ms=14 if i == recommended else 7,
            )
        ax.set_yticks(y, labels)
        if all(e.mean >= 0 for e in estimates if np.isfinite(e.mean)):
            ax.set_xlim(left=0)  # not truncated: gaps read at their true size
        ax.set_xlabel(xlabel)
        ax.set_title(title)
        ax.grid(axis="x", alpha=0.3)
        if rough:  # a figure label, so the layout keeps room for it
            fig.supxlabel(words["rough"], color=WORSE, fontsize=12, x=0.01, ha="left")
    return save(fig, out, name, title, words["caption"])


def pareto_front(x: np.ndarray, y: np.ndarray, y_lower: bool) -> list[int]:
    """Indices of the points no other point beats on both axes (x lower is better; y lower
    if ``y_lower``), ordered by x."""
    y2 = y if y_lower else -y
    front = [
        i
        for i in range(len(x))
        if not any(
            (x[j] <= x[i] and y2[j] <= y2[i]) and (x[j] < x[i] or y2[j] < y2[i])
            for j in range(len(x))
        )
    ]
    return sorted(front, key=lambda i: x[i])


def harm_maps(
    out: Path,
    graph: Any,
    grid_pos: np.ndarray,
    panels: list[tuple[str, np.ndarray]],
    words: dict[str, str],
    shapes: district_map.Outlines | None = None,
) -> Chart:
    """Harm by grid for two policies side by side on one colour scale (a district's grids
    as their outlines, with names)."""
    with mpl.rc_context(STYLE):
        fig = new_figure(8 * len(panels), 7.5)
        axes = np.atleast_1d(fig.subplots(1, len(panels)))
        n = len(grid_pos)
        vmax = max(float(np.max(h)) for _, h in panels) or 1.0
        size = float(np.clip(6000 / max(n, 1), 15, 300))
        sc = None
        for ax, (title, harm) in zip(axes, panels):
            if shapes is not None:
                sc = district_map.draw(ax, shapes, harm, vmin=0, vmax=vmax)
                ax.set_title(title)
                continue
            for a, b in graph.edges():
                if a < n and b < n:
                    ax.plot(*zip(grid_pos[a], grid_pos[b]), color="#BBBBBB", lw=1, zorder=1)
            sc = ax.scatter(
                grid_pos[:, 0],
                grid_pos[:, 1],
                c=harm,
                cmap="cividis",
                s=size,
                vmin=0,
                vmax=vmax,
                edgecolors="#555555",
                linewidths=0.5,
                zorder=2,
            )
            ax.set_aspect("equal")
            ax.set_xticks([])
            ax.set_yticks([])
            ax.set_title(title)
        fig.colorbar(sc, ax=list(axes), label=words["colour"])
        fig.suptitle(words["title"])
    return save(fig, out, "harm_maps", words["title"], words["caption"])
