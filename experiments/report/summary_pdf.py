"""``report/summary.pdf``: one A4 page for a meeting, filled top to bottom.

The question; the answer (the recommendation first, in bold) and its warnings; the structures
compared at each volunteer level; the cost basis; the options across hazards and plausible
worlds (wins, regret, what each interval covers); the key charts side by side, as large as
the rest of the page allows; the limits box; the caveats that still fit (the page says how
many more the report has). Text is wrapped by :func:`experiments.report.wrap.wrap`, which
breaks only at spaces or between Chinese characters and never inside a number or between a
number and its unit. The page is one matplotlib figure (one page by construction) drawn with
the report's fonts; fonts are embedded as TrueType so the text can be searched and copied.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import matplotlib as mpl
import matplotlib.image as mpimg
from matplotlib.patches import FancyBboxPatch

from experiments import i18n
from experiments.report import charts
from experiments.report.wrap import wrap

A4_INCHES = (8.27, 11.69)
PAGE_PT = A4_INCHES[1] * 72
LEFT, RIGHT, TOP, BOTTOM = 0.06, 0.94, 0.97, 0.025
EM = 0.56  # mean width of a Latin character in ems (DejaVu Sans); a wide one counts twice
BOLD = 1.1  # bold text is this much wider
LEADING = 1.2  # line height in ems
GREY, WARN, BLUE = "#444444", charts.WORSE, charts.BETTER


@dataclass
class SummaryPage:
    title: str
    question: str
    answer: list[str]
    warnings: list[str] = field(default_factory=list)
    structures_title: str = ""
    structures: list[str] = field(default_factory=list)
    cost_basis: str = ""
    charts: list[charts.Chart] = field(default_factory=list)
    limits_title: str = ""
    limits: list[str] = field(default_factory=list)
    caveats: list[str] = field(default_factory=list)
    worlds_title: str = ""  # across hazards and plausible worlds: wins, regret, intervals
    worlds: list[str] = field(default_factory=list)


def columns_for(size: float, width: float = RIGHT - LEFT, bold: bool = False) -> int:
    """Columns (a Latin character is one, a Chinese one two) that fit ``width`` of the page
    at ``size`` points."""
    return int(width * A4_INCHES[0] * 72 / (size * EM * (BOLD if bold else 1.0)))


def line_height(size: float) -> float:
    return size * LEADING / PAGE_PT


class Page:
    """A cursor down the page: each block of text is wrapped, drawn and measured."""

    def __init__(self, fig: mpl.figure.Figure) -> None:
        self.fig = fig
        self.y = TOP

    def block(
        self,
        text: str,
        size: float,
        x: float = LEFT,
        bold: bool = False,
        colour: str = "#000000",
        width: float | None = None,
        bullet: str = "",
        dry: bool = False,
    ) -> float:
        """Draw ``text`` from the cursor (unless ``dry``) and return its height."""
        width = (RIGHT - x) if width is None else width
        indent = 0.018 if bullet else 0.0
        lines = wrap(text, columns_for(size, width - indent, bold))
        height = line_height(size) * len(lines) + 0.35 * line_height(size)
        if not dry:
            if bullet:
                self.fig.text(x, self.y, bullet, fontsize=size, va="top", color=colour)
            self.fig.text(
                x + indent,
                self.y,
                "\n".join(lines),
                fontsize=size,
                va="top",
                color=colour,
                fontweight="bold" if bold else "normal",
                linespacing=LEADING,
            )
            self.y -= height
        return height


def write_summary_pdf(path: Path, page: SummaryPage, lang: str = i18n.DEFAULT) -> Path:
    """One A4 page: question, answer, cost basis, structures compared, charts, limits box,
    caveats. The text is laid out once without the charts to measure it; the charts then
    take the room that is left (smaller text if too little is)."""
    style = {**charts.STYLE, "pdf.fonttype": 42}
    with mpl.rc_context(style):
        for sizes in (
            {"question": 12, "answer": 10, "small": 8.5, "tiny": 7.5},
            {"question": 11, "answer": 9, "small": 7.5, "tiny": 6.8},
        ):
            trial = Page(charts.Figure(figsize=A4_INCHES))
            draw(trial, page, sizes, 0.0, lang, caveat_lines=False)
            room = trial.y - BOTTOM - line_height(sizes["tiny"]) * 2 - 0.02
            if room >= 0.22:
                break
        fig = charts.Figure(figsize=A4_INCHES)
        draw(Page(fig), page, sizes, room, lang)
        fig.savefig(path, format="pdf")
    return path


def draw(
    cur: Page,
    page: SummaryPage,
    sizes: dict[str, float],
    room: float,
    lang: str,
    caveat_lines: bool = True,
) -> None:
    fig = cur.fig
    fig.text(LEFT, cur.y, page.title, fontsize=9, color=GREY, va="top")
    cur.y -= line_height(14) * 0.9
    cur.block(page.question, sizes["question"], bold=True)
    heading(cur, i18n.text("report.decision.answer", lang))
    for i, line in enumerate(page.answer):
        cur.block(
            line,
            sizes["answer"] if i == 0 else sizes["small"],
            bold=(i == 0),
            colour=BLUE if i == 0 else "#000000",
        )
    for line in page.warnings:
        cur.block(line, sizes["small"], colour=WARN)
    if page.cost_basis:
        cur.block(page.cost_basis, sizes["tiny"], colour=GREY)
    if page.structures:
        heading(cur, page.structures_title)
        for line in page.structures:
            cur.block(line, sizes["tiny"], bullet="•")
    if page.worlds:
        heading(cur, page.worlds_title)
        cur.block(page.worlds[0], sizes["tiny"], colour=GREY)
        for line in page.worlds[1:-1]:
            cur.block(line, sizes["tiny"], bullet="•")
        cur.block(page.worlds[-1], sizes["tiny"], colour=GREY)
    draw_charts(fig, cur, page.charts[:2], room)
    limits_box(fig, cur, page, sizes["tiny"])
    if caveat_lines:
        caveats(fig, cur, page.caveats, sizes["tiny"], lang)


def heading(cur: Page, text: str, size: float = 11) -> None:
    cur.y -= line_height(size) * 0.25
    cur.block(text, size, bold=True)


def draw_charts(
    fig: mpl.figure.Figure, cur: Page, chart_list: list[charts.Chart], room: float
) -> None:
    """The charts side by side (one: the full width), each as tall as its shape and the
    room allow."""
    if not chart_list or room <= 0.02:
        return
    gap = 0.02
    width = (RIGHT - LEFT - gap * (len(chart_list) - 1)) / len(chart_list)
    tallest = 0.0
    for k, chart in enumerate(chart_list):
        img = mpimg.imread(chart.png)
        aspect = img.shape[0] / img.shape[1] * A4_INCHES[0] / A4_INCHES[1]
        h = min(width * aspect, room)
        w = h / aspect
        x = LEFT + k * (width + gap) + (width - w) / 2
        ax = fig.add_axes((x, cur.y - h - 0.005, w, h))
        ax.imshow(img)
        ax.set_axis_off()
        tallest = max(tallest, h)
    cur.y -= tallest + 0.015


def limits_box(fig: mpl.figure.Figure, cur: Page, page: SummaryPage, size: float) -> None:
    """The limits in a framed, shaded box across the page."""
    if not page.limits:
        return
    top = cur.y
    cur.y -= 0.006
    fig.text(LEFT + 0.015, cur.y, page.limits_title, fontsize=10, fontweight="bold", va="top")
    cur.y -= line_height(10) * 1.6
    for line in page.limits:
        cur.block(line, size, x=LEFT + 0.015, width=RIGHT - LEFT - 0.03, bullet="•")
    bottom = cur.y - 0.004
    fig.patches.append(
        FancyBboxPatch(
            (LEFT, bottom),
            RIGHT - LEFT,
            top - bottom,
            boxstyle="round,pad=0.002,rounding_size=0.006",
            transform=fig.transFigure,
            facecolor="#F3F6FA",
            edgecolor=BLUE,
            linewidth=1.0,
            zorder=-1,
        )
    )
    cur.y = bottom - 0.012


def caveats(fig: mpl.figure.Figure, cur: Page, lines: list[str], size: float, lang: str) -> None:
    """As many caveats as fit above the bottom margin; a last line says how many more the
    report has."""
    if not lines:
        return
    title = cur.block(i18n.text("report.decision.caveats", lang), 10, bold=True, dry=True)
    reserve = line_height(size) * 1.5 if len(lines) > 1 else 0.0  # for "n more"
    if cur.y - title - cur.block(lines[0], size, bullet="•", dry=True) - reserve < BOTTOM:
        cur.block(i18n.text("report.pdf.more_caveats", lang, n=len(lines)), size, colour=GREY)
        return
    heading(cur, i18n.text("report.decision.caveats", lang), 10)
    for k, line in enumerate(lines):
        need = cur.block(line, size, bullet="•", dry=True)
        rest = len(lines) - k
        if cur.y - need < BOTTOM + (line_height(size) * 1.5 if rest > 1 else 0):
            cur.block(i18n.text("report.pdf.more_caveats", lang, n=rest), size, colour=GREY)
            return
        cur.block(line, size, bullet="•", colour=GREY)


__all__ = ["SummaryPage", "write_summary_pdf"]
