"""The after-action report as a PDF (A4, English or Chinese): the objectives and whether the
class met them; the class's run against the default policy's; strengths and areas for
improvement by role; each decision's counterfactual effect; the timeline.

Drawn from the debrief (``debrief.build_debrief``) with the planner's page tools
(``experiments.report.summary_pdf``: a cursor down the page that wraps text, the report's
fonts with the CJK fallback, TrueType embedded so the text can be searched and copied), one
matplotlib figure a page, collected by ``PdfPages``; a block that does not fit the page
starts the next one.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import matplotlib as mpl
from matplotlib.backends.backend_pdf import PdfPages

from experiments.i18n import text
from experiments.report import charts
from experiments.report.summary_pdf import (
    A4_INCHES,
    BOTTOM,
    GREY,
    LEFT,
    RIGHT,
    Page,
    heading,
    line_height,
)

from .pages import choice_words, event_words, inject_words, role_words

BODY, SMALL = 10.0, 9.0
MET, NOT_MET = charts.BETTER, charts.WORSE
VALUE_DIGITS = {"share_met_within_target": 2, "share_reached": 2}


class Report:
    """Pages of one PDF: ``fit(height)`` starts a new page when the cursor has less room."""

    def __init__(self, pdf: PdfPages, title: str, lang: str) -> None:
        self.pdf, self.title, self.lang = pdf, title, lang
        self.n = 0
        self.cur = self._new()

    def _new(self) -> Page:
        self.n += 1
        fig = charts.Figure(figsize=A4_INCHES)
        fig.text(
            RIGHT,
            BOTTOM - 0.012,
            f"{self.title} · {text('exercise.page', self.lang, n=self.n)}",
            fontsize=7.5,
            color=GREY,
            ha="right",
        )
        return Page(fig)

    def fit(self, height: float) -> Page:
        if self.cur.y - height < BOTTOM + 0.01:
            self.flush()
            self.cur = self._new()
        return self.cur

    def block(self, words: str, size: float = BODY, **kw: Any) -> None:
        self.fit(self.cur.block(words, size, dry=True, **kw)).block(words, size, **kw)

    def heading(self, words: str, size: float = 12) -> None:
        self.fit(line_height(size) * 3 + line_height(BODY) * 2)
        heading(self.cur, words, size)

    def flush(self) -> None:
        self.pdf.savefig(self.cur.fig)


def write_after_action_pdf(
    path: Path, d: dict[str, Any], lang: str = "en", clock: Callable[[float], str] | None = None
) -> Path:
    """The after-action report of debrief ``d`` as a PDF at ``path`` (``clock(minute)``
    names the model's time; default: hours)."""

    def T(key: str, **fields: Any) -> str:
        return text(key, lang, **fields)

    def when(minute: float) -> str:
        return clock(minute) if clock else f"{minute / 60:.1f} h"

    title = f"{T('exercise.report')}: {d['exercise']}"
    with mpl.rc_context({**charts.STYLE, "pdf.fonttype": 42}), PdfPages(path) as pdf:
        rep = Report(pdf, title, lang)
        rep.block(title, 16, bold=True)
        rep.block(f"{d['scenario']} · seed {int(d['seed'])}", SMALL, colour=GREY)
        objectives(rep, d, T)
        runs(rep, d, T)
        roles(rep, d, T, when, lang)
        decisions(rep, d, T, when, lang)
        rep.heading(T("exercise.timeline"))
        for ev in d["timeline"]:
            rep.block(
                f"{when(ev['minute'])} · {event_words(ev, lang)} · {T('exercise.harm')} "
                f"{ev['cum_harm']:,.0f} · {T('exercise.backlog')} {ev['backlog']}",
                SMALL,
                bullet="•",
            )
        rep.flush()
    return path


def objectives(rep: Report, d: dict[str, Any], T: Callable[..., str]) -> None:
    if not d.get("objectives"):
        return
    rep.heading(T("exercise.objectives"))
    for o in d["objectives"]:
        words = o["words"].get(rep.lang) or o["words"]["en"]
        verdict = T("exercise.met" if o["met"] else "exercise.not_met")
        digits = VALUE_DIGITS.get(o["outcome"], 0)
        measured = T(
            "exercise.objective_value",
            value=f"{o['value']:,.{digits}f}",
            side=T("exercise.at_most" if o["at_most"] else "exercise.at_least"),
            bound=f"{o['bound']:,.{digits}f}",
        )
        rep.block(
            f"{verdict}: {words}", BODY, bold=True, bullet="•", colour=MET if o["met"] else NOT_MET
        )
        rep.block(
            f"{T('exercise.outcome.' + o['outcome'], target=_target(d))}: {measured}",
            SMALL,
            x=LEFT + 0.018,
            colour=GREY,
        )


def runs(rep: Report, d: dict[str, Any], T: Callable[..., str]) -> None:
    """The outcomes of both runs and their difference, as a table of text."""
    rep.heading(T("exercise.runs"))
    cols = (0.66, 0.79, RIGHT)
    head = [T("exercise.class_run"), T("exercise.default_run"), T("exercise.difference")]
    cur = rep.fit(line_height(SMALL) * 2)
    for x, words in zip(cols, head, strict=True):
        cur.fig.text(x, cur.y, words, fontsize=SMALL, ha="right", va="top", fontweight="bold")
    cur.y -= line_height(SMALL) * 1.4
    for k in d["outcome_keys"]:
        label = T("exercise.outcome." + k, target=_target(d))
        cur = rep.fit(cur.block(label, SMALL, width=0.5, dry=True))
        top = cur.y
        for x, value in zip(cols, (d["class"][k], d["default"][k]), strict=False):
            cur.fig.text(x, top, f"{value:,.2f}", fontsize=SMALL, ha="right", va="top")
        cur.fig.text(
            cols[2], top, f"{d['difference'][k]:+,.2f}", fontsize=SMALL, ha="right", va="top"
        )
        cur.block(label, SMALL, width=0.5)


def roles(rep: Report, d: dict[str, Any], T: Callable[..., str], when: Callable, lang: str) -> None:
    """Strengths and areas for improvement of each role that had students."""
    rep.heading(T("exercise.after_action"))
    rep.block(T("exercise.after_action_note"), SMALL, colour=GREY)
    for role in d.get("roles", []):
        rep.block(role_words(role["role"], lang), BODY, bold=True)
        rep.block(
            f"{T('exercise.students')}: {', '.join(role['students'])} · {T('exercise.decided')} "
            f"{role['decided']} · {T('exercise.timeouts')} {role['timed_out']}",
            SMALL,
            colour=GREY,
        )
        for key in ("strengths", "improvements"):
            found = [_decision_line(d["decisions"][k], T, when, lang) for k in role[key]]
            rep.block(
                f"{T('exercise.' + key)}: {'' if found else T('exercise.none')}",
                SMALL,
                bold=True,
                x=LEFT + 0.018,
            )
            for line in found:
                rep.block(line, SMALL, x=LEFT + 0.018, bullet="•")


def decisions(
    rep: Report, d: dict[str, Any], T: Callable[..., str], when: Callable, lang: str
) -> None:
    """Each decision with its counterfactual effect on harm and response time."""
    rep.heading(T("exercise.decisions"))
    if not d["decisions"]:
        rep.block(T("exercise.no_decisions"), SMALL)
        return
    rep.block(T("exercise.debrief_intro"), SMALL, colour=GREY)
    for r in d["decisions"]:
        who = f" ({', '.join(r['students'])})" if r["students"] else ""
        rep.block(
            f"{when(r['minute'])} · {inject_words(r, lang)} · {role_words(r['role'], lang)}{who}: "
            f"{choice_words(r['role'].partition(':')[0], r['choice'], lang)}"
            + (f" ({T('exercise.timed_out')})" if r["timed_out"] else ""),
            SMALL,
            bullet="•",
        )
        rep.block(
            f"{T('exercise.effect_harm')} {r['effect']['total_harm']:+,.1f} · "
            f"{T('exercise.effect_response')} {r['effect']['mean_response_min']:+,.2f}",
            SMALL,
            x=LEFT + 0.018,
            colour=GREY,
        )
    rep.block(T("exercise.unfilled"), SMALL, colour=GREY)


def _decision_line(r: dict[str, Any], T: Callable[..., str], when: Callable, lang: str) -> str:
    what = (
        T("exercise.timed_out")
        if r["timed_out"]
        else f"{choice_words(r['role'].partition(':')[0], r['choice'], lang)} "
        f"({r['effect']['total_harm']:+,.0f})"
    )
    return f"{when(r['minute'])} · {inject_words(r, lang)}: {what}"


def _target(d: dict[str, Any]) -> str:
    return f"{d.get('target_response_min', math.nan):g}"


__all__ = ["write_after_action_pdf"]
