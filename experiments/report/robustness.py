"""The report's robustness sections, from a robustness sweep's ``robustness.json``, in the
report's language.

- **Share of worlds won**: for each pair of policies and each outcome, the share of worlds
  in which the first is better, with its 95% Wilson interval;
- **Regret**: each policy's median and maximum regret over worlds, the minimax-regret
  policy marked;
- **Where the ranking flips**: for each pair that flips in more than 5% of worlds, the
  worlds as points on the two uncertainties with the highest feature scores, coloured by the
  winner, with the first PRIM box drawn over them and described in words.

Words are built here from the file's data (policy levers, outcome names, box limits), not
read from its English sentences, so that every language reads the same study.
Each section is returned as ``(title, charts, HTML body)`` for the page to lay out.
"""

from __future__ import annotations

import html
import json
import math
from pathlib import Path
from typing import Any

import matplotlib as mpl
import numpy as np
import pandas as pd
from matplotlib.patches import Rectangle

from experiments import factors as fc
from experiments import i18n
from experiments import outcomes as oc
from experiments.report import charts
from experiments.report.sweep import SweepResults
from experiments.sweeps.robustness import (
    DENSITY_TARGET,
    MAX_BOX_DIMENSIONS,
    flip_sentence,
    ranked_outcome,
    wilson,
    world_values,
)

MAX_SCATTERS = 6  # flipping pairs drawn (the most balanced first)


def read_robustness(folder: Path) -> dict[str, Any] | None:
    path = Path(folder) / "robustness.json"
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else None


def policy_labels(data: dict[str, Any], lang: str) -> list[str]:
    """Each policy's label in the report's language, from its levers."""
    return [fc.policy_text(p["levers"], lang) for p in data["policies"]]


def uncertainty_units(data: dict[str, Any]) -> dict[str, str]:
    """The uncertainties' units: ``units``, else (a file written before it) ``ranges``."""
    return data.get("units") or {
        k: r.get("unit", "") for k, r in (data.get("ranges") or {}).items()
    }


def box_sentence(
    data: dict[str, Any], outcome: str, discovery: dict[str, Any], box: dict[str, Any], lang: str
) -> str:
    """A PRIM box of a flipping pair in words, in the report's language."""
    levers = [p["levers"] for p in data["policies"]]
    return flip_sentence(
        levers[discovery["no_worse"]],
        levers[discovery["than"]],
        outcome,
        box,
        uncertainty_units(data),
        lang,
    )


def share_chart(data: dict[str, Any], out: Path, lang: str) -> charts.Chart:
    t = lambda key, **f: i18n.text(key, lang, **f)  # noqa: E731
    labels = policy_labels(data, lang)
    outcomes = [o["name"] for o in data["outcomes"]]
    n_pairs = max(1, len(data["pairs"]) // max(1, len(outcomes)))
    with mpl.rc_context(charts.STYLE):
        fig = charts.new_figure(7 * len(outcomes) + 3, 1.6 + 0.45 * n_pairs)
        axes = np.atleast_1d(fig.subplots(1, len(outcomes), sharey=True))
        for ax, outcome in zip(axes, outcomes):
            pairs = [p for p in data["pairs"] if p["outcome"] == outcome]
            y = np.arange(len(pairs))[::-1]
            share = np.array([p["share_a_wins"] for p in pairs], float)
            lo = np.array([p["share_a_wins_ci"][0] for p in pairs], float)
            hi = np.array([p["share_a_wins_ci"][1] for p in pairs], float)
            colours = [charts.UNCLEAR if p["flips"] else charts.BETTER for p in pairs]
            ax.barh(y, share, color=colours, xerr=np.vstack([share - lo, hi - share]), capsize=3)
            ax.axvline(0.5, color="grey", lw=1, ls="--")
            ax.set_xlim(0, 1)
            ax.set_yticks(
                y, [t("report.robust.vs", a=labels[p["a"]], b=labels[p["b"]]) for p in pairs]
            )
            ax.set_xlabel(t("report.robust.share_axis"))
            ax.set_title(oc.label(outcome, lang))
        fig.suptitle(t("report.robust.share_title"))
    caption = t(
        "report.robust.share_caption",
        worlds=data["worlds"],
        reps=data["replications"],
        share=f"{data['flip_share']:.0%}",
    )
    return charts.save(fig, out, "robustness_shares", t("report.robust.share_chart"), caption)


def regret_chart(data: dict[str, Any], out: Path, lang: str) -> charts.Chart:
    t = lambda key, **f: i18n.text(key, lang, **f)  # noqa: E731
    labels = policy_labels(data, lang)
    outcomes = [o["name"] for o in data["outcomes"]]
    with mpl.rc_context(charts.STYLE):
        fig = charts.new_figure(6 * len(outcomes) + 3, 1.6 + 0.45 * len(labels))
        axes = np.atleast_1d(fig.subplots(1, len(outcomes), sharey=True))
        for ax, outcome in zip(axes, outcomes):
            rows = sorted(
                (r for r in data["regret"] if r["outcome"] == outcome), key=lambda r: r["policy"]
            )
            y = np.arange(len(rows))[::-1]
            best = data["minimax_regret"].get(outcome)
            ax.barh(
                y,
                [r["median"] for r in rows],
                color=charts.OKABE_ITO[0],
                height=0.6,
                label=t("report.robust.median_regret"),
            )
            ax.scatter(
                [r["max"] for r in rows],
                y,
                color=charts.WORSE,
                marker="D",
                zorder=3,
                label=t("report.robust.max_regret"),
            )
            for yi, r in zip(y, rows):
                if r["policy"] == best:
                    ax.annotate(
                        t("report.robust.least_max"),
                        (r["max"], yi),
                        xytext=(6, 0),
                        textcoords="offset points",
                        va="center",
                        fontsize=11,
                    )
            ax.set_yticks(y, [labels[r["policy"]] for r in rows])
            ax.set_xlabel(t("report.robust.regret_axis", unit=oc.unit_text(outcome, lang)))
            ax.set_title(oc.label(outcome, lang))
            ax.legend(frameon=False, loc="lower right")
        fig.suptitle(t("report.robust.regret_title"))
    return charts.save(
        fig,
        out,
        "robustness_regret",
        t("report.robust.regret_chart"),
        t("report.robust.regret_caption"),
    )


def flip_chart(
    results: SweepResults, data: dict[str, Any], pair: dict[str, Any], out: Path, i: int, lang: str
) -> charts.Chart | None:
    t = lambda key, **f: i18n.text(key, lang, **f)  # noqa: E731
    sd = pair["scenario_discovery"]
    scores = sd.get("feature_scores") or {}
    keys = sorted(scores, key=lambda k: -scores[k])[:2]
    if len(keys) < 2:
        keys = (keys + [k for k in data["uncertainties"] if k not in keys])[:2]
    if len(keys) < 2:
        return None
    policies = [k for k in data["policies"][0]["levers"]]
    outcome = pair["outcome"]
    table = pd.DataFrame([p["levers"] for p in data["policies"]])
    values, x = world_values(results.runs, policies, data["uncertainties"], outcome, table)
    both = values[[pair["a"], pair["b"]]].dropna()
    better = (both[pair["a"]] - both[pair["b"]]) * (1 if ranked_outcome(outcome) else -1)
    labels = policy_labels(data, lang)
    with mpl.rc_context(charts.STYLE):
        fig = charts.new_figure(9, 7)
        ax = fig.subplots()
        xs = x.loc[both.index]
        for mask, who, colour in (
            (better > 0, pair["a"], charts.OKABE_ITO[0]),
            (better < 0, pair["b"], charts.OKABE_ITO[1]),
            (better == 0, None, charts.UNCLEAR),
        ):
            if mask.any():
                ax.scatter(
                    xs.loc[mask, keys[0]],
                    xs.loc[mask, keys[1]],
                    s=28,
                    color=colour,
                    label=t("report.robust.better", policy=labels[who])
                    if who is not None
                    else t("report.robust.tie"),
                )
        if sd["boxes"]:
            lims = sd["boxes"][0]["limits"]
            (x0, x1), (y0, y1) = (lims.get(k, [xs[k].min(), xs[k].max()]) for k in keys)
            ax.add_patch(
                Rectangle(
                    (x0, y0),
                    x1 - x0,
                    y1 - y0,
                    fill=False,
                    lw=2.5,
                    ls="--",
                    color="black",
                    label=t("report.robust.prim_box"),
                )
            )
        ax.set_xlabel(fc.name(keys[0], lang))
        ax.set_ylabel(fc.name(keys[1], lang))
        ax.legend(frameon=False, loc="upper left", bbox_to_anchor=(1, 1))
        ax.set_title(
            oc.label(outcome, lang)
            + "\n"
            + t("report.robust.vs", a=labels[pair["a"]], b=labels[pair["b"]]),
            fontsize=13,
        )
    scored = t("report.sep").join(f"{fc.name(k, lang)}: {scores.get(k, 0):.2f}" for k in keys)
    return charts.save(
        fig,
        out,
        f"robustness_flip_{i}",
        t("report.robust.flip_chart"),
        t("report.robust.flip_caption", scores=scored),
    )


def worlds_summary(results: SweepResults, lang: str = i18n.DEFAULT) -> list[str]:
    """For the decision summary: per outcome, the policy with the least maximum regret, the
    share of plausible worlds in which it beats each other policy (95% CI), and where that
    ranking flips (the first PRIM box in words). Empty without ``robustness.json``."""
    data = read_robustness(results.folder)
    if data is None:
        return []
    t = lambda key, **f: i18n.text(key, lang, **f)  # noqa: E731
    labels = policy_labels(data, lang)
    lines = []
    for outcome, best in data["minimax_regret"].items():
        share_best = next(
            (
                r["share_best"]
                for r in data["regret"]
                if r["outcome"] == outcome and r["policy"] == best
            ),
            math.nan,
        )
        wins = []
        for p in data["pairs"]:
            if p["outcome"] != outcome or best not in (p["a"], p["b"]):
                continue
            first = p["a"] == best
            won = p["a_wins"] if first else p["b_wins"]
            share = won / max(p["n_worlds"], 1)
            low, high = wilson(won, p["n_worlds"])
            other = labels[p["b"] if first else p["a"]]
            flip = p.get("scenario_discovery") or {}
            where = " ".join(
                box_sentence(data, outcome, flip, b, lang) for b in flip.get("boxes", [])[:1]
            )
            wins.append(
                t(
                    "report.robust.wins",
                    other=other,
                    share=f"{share:.0%}",
                    low=f"{low:.0%}",
                    high=f"{high:.0%}",
                )
                + (" " + t("report.robust.flips", where=where) if where else "")
            )
        n = next(o["n_worlds"] for o in data["outcomes"] if o["name"] == outcome)
        lines.append(
            t(
                "report.robust.best",
                outcome=oc.label(outcome, lang),
                policy=labels[best],
                n=n,
                share_best=f"{share_best:.0%}",
            )
            + " "
            + " ".join(wins)
        )
    return lines


def share_row(pair: dict[str, Any], outcome: str, labels: list[str], lang: str) -> str:
    """A table row: outcome, A, B, the share of worlds in which A is better (95% CI), and the
    difference A - B (median, 10th to 90th percentile)."""
    e = html.escape
    low, high = pair["share_a_wins_ci"]
    share = i18n.text("report.range", lang, low=f"{low:.0%}", high=f"{high:.0%}")
    diff = i18n.text(
        "report.range", lang, low=f"{pair['diff_p10']:,.4g}", high=f"{pair['diff_p90']:,.4g}"
    )
    cells = (
        outcome,
        labels[pair["a"]],
        labels[pair["b"]],
        f"{pair['share_a_wins']:.0%} ({share})",
        f"{pair['diff_median']:,.4g} ({diff})",
    )
    return "<tr>" + "".join(f"<td>{e(c)}</td>" for c in cells) + "</tr>"


def robustness_sections(
    results: SweepResults, out: Path, lang: str = i18n.DEFAULT
) -> list[tuple[str, list[charts.Chart], str]]:
    """The robustness sections of a sweep report (none without ``robustness.json``)."""
    data = read_robustness(results.folder)
    if data is None:
        return []
    e = html.escape
    t = lambda key, **f: i18n.text(key, lang, **f)  # noqa: E731
    labels = policy_labels(data, lang)
    rows = "".join(
        share_row(p, oc.label(o["name"], lang), labels, lang)
        for o in data["outcomes"]
        for p in data["pairs"]
        if p["outcome"] == o["name"]
    )
    head = "".join(
        f"<th>{e(t(f'report.robust.col.{c}'))}</th>"
        for c in ("outcome", "a", "b", "a_better", "diff")
    )
    shares = f"<table><tr>{head}</tr>{rows}</table>"
    minimax = "".join(
        "<li>"
        + t("report.robust.minimax", outcome=e(oc.label(o, lang)), policy=f"<b>{e(labels[p])}</b>")
        + "</li>"
        for o, p in data["minimax_regret"].items()
    )
    flips = sorted(
        (p for p in data["pairs"] if p.get("scenario_discovery")),
        key=lambda p: -min(p["a_wins"], p["b_wins"]),
    )
    flip_charts = [
        c
        for i, p in enumerate(flips[:MAX_SCATTERS])
        if (c := flip_chart(results, data, p, out, i, lang)) is not None
    ]
    texts = "".join(
        f"<li>{e(box_sentence(data, p['outcome'], p['scenario_discovery'], b, lang))}</li>"
        for p in flips
        for b in p["scenario_discovery"]["boxes"]
    )
    n_plain = sum(1 for p in flips if not p["scenario_discovery"]["boxes"])
    if n_plain:
        texts += (
            "<li>"
            + e(
                t(
                    "report.robust.no_box",
                    n=n_plain,
                    total=len(flips),
                    dims=MAX_BOX_DIMENSIONS,
                    density=f"{DENSITY_TARGET:.0%}",
                )
            )
            + "</li>"
        )
    none = (
        ""
        if flips
        else "<p>" + e(t("report.robust.no_flips", share=f"{data['flip_share']:.0%}")) + "</p>"
    )
    return [
        (t("report.robust.section.shares"), [share_chart(data, out, lang)], shares),
        (t("report.robust.section.regret"), [regret_chart(data, out, lang)], f"<ul>{minimax}</ul>"),
        (
            t("report.robust.section.flips"),
            flip_charts,
            none + (f"<ul>{texts}</ul>" if texts else ""),
        ),
    ]
