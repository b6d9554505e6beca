"""The planner's charts: the trade-off (what each option costs against the harm it leaves)
and the cost-effectiveness of each step up the volunteer levels.

Every colour and marker has a legend entry; point labels are placed where they overlap no
other label and no point (a label that fits nowhere is left out, and the caption says the
table lists every option).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import matplotlib as mpl
import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.text import Text

from experiments import i18n
from experiments.report.charts import (
    BETTER,
    MIN_REPLICATIONS,
    OKABE_ITO,
    STYLE,
    WORSE,
    Chart,
    new_figure,
    pareto_front,
    save,
)
from experiments.report.stats import Estimate

MARKERS = ("o", "s", "^", "D", "v", "P", "X", "h")
# where a label may sit around its point (offset in points, alignment), tried in order
PLACES = (
    (7, 5, "left", "bottom"),
    (7, -5, "left", "top"),
    (-7, 5, "right", "bottom"),
    (-7, -5, "right", "top"),
    (0, 9, "center", "bottom"),
    (0, -9, "center", "top"),
    (14, 0, "left", "center"),
    (-14, 0, "right", "center"),
    (12, 16, "left", "bottom"),
    (-12, 16, "right", "bottom"),
    (12, -16, "left", "top"),
    (-12, -16, "right", "top"),
    (0, 22, "center", "bottom"),
    (0, -22, "center", "top"),
)


@dataclass
class Point:
    """One option on the trade-off chart: its group (colour and marker in the legend) and the
    short label written beside it."""

    x: Estimate
    y: Estimate
    group: str
    label: str


def rough_note(fig: Figure, n: int, lang: str) -> None:
    """Say above the chart (the legend is below) that it rests on fewer than
    ``MIN_REPLICATIONS`` replications."""
    if n < MIN_REPLICATIONS:
        fig.suptitle(
            i18n.text("report.chart.rough", lang, n=n, min=MIN_REPLICATIONS),
            color=WORSE,
            fontsize=12,
            fontweight="bold",
            x=0.01,
            ha="left",
        )


def group_styles(groups: list[str]) -> dict[str, tuple[str, str]]:
    """A colour and a marker per group, in order of appearance."""
    ordered = list(dict.fromkeys(groups))
    return {
        g: (OKABE_ITO[i % len(OKABE_ITO)], MARKERS[i % len(MARKERS)]) for i, g in enumerate(ordered)
    }


def _overlaps(a, b) -> bool:
    return a.x0 < b.x1 and b.x0 < a.x1 and a.y0 < b.y1 and b.y0 < a.y1


def place_labels(
    fig: Figure,
    ax,
    xy: np.ndarray,
    texts: list[str],
    fontsize: float = 10,
    order: list[int] | None = None,
) -> list[Text | None]:
    """Write ``texts[i]`` beside point ``xy[i]`` (data coordinates) where it overlaps no
    label already placed, no point and stays inside the axes; None where no place fits."""
    canvas = fig.canvas if isinstance(fig.canvas, FigureCanvasAgg) else FigureCanvasAgg(fig)
    fig.draw_without_rendering()  # the layout is final: display coordinates hold
    renderer = canvas.get_renderer()
    box = ax.get_window_extent(renderer)
    points = ax.transData.transform(xy)
    from matplotlib.transforms import Bbox

    occupied = [
        Bbox.from_bounds(px - 5, py - 5, 10, 10)
        for px, py in points
        if np.isfinite(px) and np.isfinite(py)
    ]
    placed: list[Text | None] = [None] * len(texts)
    for i in order if order is not None else range(len(texts)):
        if not texts[i] or not np.all(np.isfinite(points[i])):
            continue
        for dx, dy, ha, va in PLACES:
            t = ax.annotate(
                texts[i],
                xy[i],
                xytext=(dx, dy),
                textcoords="offset points",
                ha=ha,
                va=va,
                fontsize=fontsize,
            )
            bb = t.get_window_extent(renderer).expanded(1.04, 1.08)
            inside = box.x0 <= bb.x0 and bb.x1 <= box.x1 and box.y0 <= bb.y0 and bb.y1 <= box.y1
            if inside and not any(_overlaps(bb, o) for o in occupied):
                occupied.append(bb)
                placed[i] = t
                break
            t.remove()
    return placed


def draw_tradeoff(
    points: list[Point],
    y_lower: bool,
    words: dict[str, str],
    n: int,
    marks: dict[str, int] | None = None,
    lang: str = i18n.DEFAULT,
    size: tuple[float, float] = (12, 8),
) -> Figure:
    """Every option: cost (x) against the main outcome (y), one colour and marker per group
    (a line through the group's options in cost order), the Pareto front dashed, and the
    options in ``marks`` (``{"baseline": i, "recommended": j}``) ringed; a legend for each."""
    marks = marks or {}
    xm = np.array([p.x.mean for p in points])
    ym = np.array([p.y.mean for p in points])
    front = pareto_front(xm, ym, y_lower)
    styles = group_styles([p.group for p in points])
    with mpl.rc_context(STYLE):
        fig = new_figure(*size)
        small = size[0] < 9  # the one-page PDF's version: fewer words, one legend column
        ax = fig.subplots()
        handles = []
        for group, (colour, marker) in styles.items():
            idx = sorted((i for i, p in enumerate(points) if p.group == group), key=lambda i: xm[i])
            for i in idx:
                p = points[i]
                ax.errorbar(
                    p.x.mean,
                    p.y.mean,
                    xerr=[[p.x.mean - p.x.low], [p.x.high - p.x.mean]]
                    if np.isfinite(p.x.low)
                    else None,
                    yerr=[[p.y.mean - p.y.low], [p.y.high - p.y.mean]]
                    if np.isfinite(p.y.low)
                    else None,
                    fmt=marker,
                    color=colour,
                    capsize=3,
                    ms=7,
                    alpha=0.9,
                )
            if len(idx) > 1:
                ax.plot(xm[idx], ym[idx], color=colour, lw=1, alpha=0.6)
            handles.append(Line2D([], [], color=colour, marker=marker, lw=1, ms=7, label=group))
        if len(front) > 1:
            ax.plot(xm[front], ym[front], color="#000000", lw=1.5, ls="--", zorder=0)
            handles.append(Line2D([], [], color="#000000", lw=1.5, ls="--", label=words["front"]))
        for key, marker, size in (("baseline", "o", 18), ("recommended", "*", 24)):
            if key in marks:
                i = marks[key]
                ax.plot(
                    xm[i],
                    ym[i],
                    marker=marker,
                    ms=size,
                    mfc="none",
                    mec="#000000",
                    color="#000000",
                    mew=1.5,
                    ls="none",
                )
                handles.append(
                    Line2D(
                        [],
                        [],
                        marker=marker,
                        ms=12,
                        mfc="none",
                        mec="#000000",
                        mew=1.5,
                        ls="none",
                        label=words[key],
                    )
                )
        ax.set_xlabel(words["x"])
        ax.set_ylabel(words["y"])
        ax.set_title(words["title"])
        ax.set_ylim(bottom=0)
        ax.set_xlim(left=min(0.0, float(np.nanmin(xm))) if len(xm) else 0.0)
        ax.margins(x=0.08, y=0.08)
        ax.grid(alpha=0.3)
        if words.get("labels"):
            handles.append(Line2D([], [], ls="none", label=words["labels"]))
        fig.legend(
            handles=handles,
            loc="outside lower center",
            ncols=1 if small else 2,
            frameon=False,
            fontsize=10 if small else 11,
        )
        rough_note(fig, n, lang)
        order = [*front, *[i for i in range(len(points)) if i not in front]]
        place_labels(fig, ax, np.column_stack([xm, ym]), [p.label for p in points], 10, order)
    return fig


def tradeoff(
    out: Path,
    points: list[Point],
    y_lower: bool,
    words: dict[str, str],
    n: int,
    marks: dict[str, int] | None = None,
    lang: str = i18n.DEFAULT,
    size: tuple[float, float] = (12, 8),
    name: str = "tradeoff",
) -> Chart:
    fig = draw_tradeoff(points, y_lower, words, n, marks, lang, size)
    return save(fig, out, name, words["title"], words["caption"])


def draw_cost_effectiveness(
    groups: dict[str, list[tuple[str, Estimate]]],
    threshold: float,
    words: dict[str, str],
    n: int,
    lang: str = i18n.DEFAULT,
    size: tuple[float, float] = (12, 7),
) -> Figure:
    """Harm avoided per 10,000 yuan by each step up the volunteer levels, one colour and
    marker per group (structure), 95% bootstrap intervals, and the threshold the rule buys
    at: a step above the line is worth its cost."""
    styles = group_styles(list(groups))
    steps = list(dict.fromkeys(label for items in groups.values() for label, _ in items))
    with mpl.rc_context(STYLE):
        fig = new_figure(*size)
        small = size[0] < 9
        ax = fig.subplots()
        width = 0.5 / max(len(groups), 1)
        handles = []
        values = []
        for k, (group, items) in enumerate(groups.items()):
            colour, marker = styles[group]
            x = (
                np.array([steps.index(label) for label, _ in items], float)
                + (k - (len(groups) - 1) / 2) * width
            )
            est = [e for _, e in items]
            y = np.array([e.mean for e in est])
            low = np.array([e.low for e in est])
            high = np.array([e.high for e in est])
            err = np.vstack(
                [np.where(np.isfinite(low), y - low, 0), np.where(np.isfinite(high), high - y, 0)]
            )
            ax.errorbar(
                x,
                y,
                yerr=np.clip(err, 0, None),
                fmt=marker + "-",
                color=colour,
                capsize=4,
                ms=7,
                lw=1.5,
            )
            handles.append(Line2D([], [], color=colour, marker=marker, lw=1.5, label=group))
            values += [v for v in (*y, *low, *high) if np.isfinite(v)]
        if np.isfinite(threshold):
            ax.axhline(threshold, color=BETTER, ls="--", lw=1.5)
            handles.append(Line2D([], [], color=BETTER, ls="--", lw=1.5, label=words["threshold"]))
        ax.axhline(0, color="#000000", lw=0.8)
        # linear within the threshold (where the decision is), logarithmic beyond it: the
        # first step may avoid a hundred times more harm per yuan than the last
        linthresh = threshold if np.isfinite(threshold) and threshold > 0 else 1.0
        if values and max(abs(v) for v in values) > 10 * linthresh:
            ax.set_yscale("symlog", linthresh=linthresh)
        ax.set_xticks(range(len(steps)), steps)
        ax.set_xlabel(words["x"])
        ax.set_ylabel(words["y"])
        ax.set_title(words["title"])
        ax.grid(alpha=0.3)
        if small and len(steps) > 4:
            ax.tick_params(axis="x", labelrotation=30)
        fig.legend(
            handles=handles,
            loc="outside lower center",
            ncols=1 if small else 2,
            frameon=False,
            fontsize=10 if small else 11,
        )
        rough_note(fig, n, lang)
    return fig


def cost_effectiveness(
    out: Path,
    groups: dict[str, list[tuple[str, Estimate]]],
    threshold: float,
    words: dict[str, str],
    n: int,
    lang: str = i18n.DEFAULT,
    size: tuple[float, float] = (12, 7),
    name: str = "cost_effectiveness",
) -> Chart:
    fig = draw_cost_effectiveness(groups, threshold, words, n, lang, size)
    return save(fig, out, name, words["title"], words["caption"])


__all__ = [
    "Point",
    "cost_effectiveness",
    "draw_cost_effectiveness",
    "draw_tradeoff",
    "place_labels",
    "tradeoff",
]
