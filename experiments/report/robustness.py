"""The report's robustness sections, from a robustness sweep's ``robustness.json``.

- **Share of worlds won**: for each pair of policies and each outcome, the share of worlds
  in which the first is better, with its 95% Wilson interval;
- **Regret**: each policy's median and maximum regret over worlds, the minimax-regret
  policy marked;
- **Where the ranking flips**: for each pair that flips in more than 5% of worlds, the
  worlds as points on the two uncertainties with the highest feature scores, coloured by the
  winner, with the first PRIM box drawn over them and described in words.

Each section is returned as ``(title, charts, HTML body)`` for the page to lay out.
"""

from __future__ import annotations

import html
import math
import json
from pathlib import Path
from typing import Any

import matplotlib as mpl
import numpy as np
import pandas as pd
from matplotlib.patches import Rectangle

from experiments import i18n
from experiments.report import charts
from experiments.report import outcomes as oc
from experiments.report.sweep import SweepResults
from experiments.sweeps.robustness import ranked_outcome, wilson, world_values

MAX_SCATTERS = 6  # flipping pairs drawn (the most balanced first)


def read_robustness(folder: Path) -> dict[str, Any] | None:
    path = Path(folder) / "robustness.json"
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else None


def _short(label: str) -> str:
    return ", ".join(part.split(" = ", 1)[-1] for part in label.split(", "))


def share_chart(data: dict[str, Any], out: Path) -> charts.Chart:
    labels = [_short(p["label"]) for p in data["policies"]]
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
            ax.barh(y, share, color=colours, xerr=np.vstack([share - lo, hi - share]),
                    capsize=3)
            ax.axvline(0.5, color="grey", lw=1, ls="--")
            ax.set_xlim(0, 1)
            ax.set_yticks(y, [f"{labels[p['a']]}  vs  {labels[p['b']]}" for p in pairs])
            ax.set_xlabel("share of worlds in which the first is better")
            ax.set_title(oc.label(outcome))
        fig.suptitle("Share of plausible worlds won, per pair of policies")
    caption = (f"{data['worlds']} worlds (Latin hypercube of the plausible ranges), "
               f"{data['replications']} replication(s) each, the same seeds for every policy. "
               f"Whiskers: 95% Wilson interval. Grey: the ranking flips in more than "
               f"{data['flip_share']:.0%} of worlds.")
    return charts.save(fig, out, "robustness_shares", "Share of worlds won", caption)


def regret_chart(data: dict[str, Any], out: Path) -> charts.Chart:
    labels = [_short(p["label"]) for p in data["policies"]]
    outcomes = [o["name"] for o in data["outcomes"]]
    with mpl.rc_context(charts.STYLE):
        fig = charts.new_figure(6 * len(outcomes) + 3, 1.6 + 0.45 * len(labels))
        axes = np.atleast_1d(fig.subplots(1, len(outcomes), sharey=True))
        for ax, outcome in zip(axes, outcomes):
            rows = sorted((r for r in data["regret"] if r["outcome"] == outcome),
                          key=lambda r: r["policy"])
            y = np.arange(len(rows))[::-1]
            best = data["minimax_regret"].get(outcome)
            ax.barh(y, [r["median"] for r in rows], color=charts.OKABE_ITO[0], height=0.6,
                    label="median regret")
            ax.scatter([r["max"] for r in rows], y, color=charts.WORSE, marker="D", zorder=3,
                       label="maximum regret")
            for yi, r in zip(y, rows):
                if r["policy"] == best:
                    ax.annotate("least max. regret", (r["max"], yi), xytext=(6, 0),
                                textcoords="offset points", va="center", fontsize=11)
            ax.set_yticks(y, [labels[r["policy"]] for r in rows])
            ax.set_xlabel(f"regret ({oc.unit_text(outcome)})")
            ax.set_title(oc.label(outcome))
            ax.legend(frameon=False, loc="lower right")
        fig.suptitle("Regret: how far each policy falls short of the best in each world")
    return charts.save(fig, out, "robustness_regret", "Regret per policy",
                       "Regret in a world = the best policy's outcome there minus this "
                       "policy's (in the outcome's unit); median over worlds (bar) and "
                       "maximum (diamond).")


def flip_chart(results: SweepResults, data: dict[str, Any], pair: dict[str, Any],
               out: Path, i: int) -> charts.Chart | None:
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
    labels = [_short(p["label"]) for p in data["policies"]]
    with mpl.rc_context(charts.STYLE):
        fig = charts.new_figure(9, 7)
        ax = fig.subplots()
        xs = x.loc[both.index]
        for mask, who, colour in ((better > 0, pair["a"], charts.OKABE_ITO[0]),
                                  (better < 0, pair["b"], charts.OKABE_ITO[1]),
                                  (better == 0, None, charts.UNCLEAR)):
            if mask.any():
                ax.scatter(xs.loc[mask, keys[0]], xs.loc[mask, keys[1]], s=28, color=colour,
                           label=f"{labels[who]} better" if who is not None else "tie")
        if sd["boxes"]:
            lims = sd["boxes"][0]["limits"]
            (x0, x1), (y0, y1) = (lims.get(k, [xs[k].min(), xs[k].max()]) for k in keys)
            ax.add_patch(Rectangle((x0, y0), x1 - x0, y1 - y0, fill=False, lw=2.5,
                                   ls="--", color="black", label="PRIM box"))
        ax.set_xlabel(keys[0])
        ax.set_ylabel(keys[1])
        ax.legend(frameon=False, loc="upper left", bbox_to_anchor=(1, 1))
        ax.set_title(f"{oc.label(outcome)}:\n{labels[pair['a']]} vs {labels[pair['b']]}",
                     fontsize=13)
    caption = (f"Each point is a world, placed on the two uncertainties with the highest "
               f"feature scores ({', '.join(f'{k}: {scores.get(k, 0):.2f}' for k in keys)}).")
    return charts.save(fig, out, f"robustness_flip_{i}", "Where the ranking flips", caption)


def worlds_summary(results: SweepResults, lang: str = "en") -> list[str]:
    """For the decision summary: per outcome, the policy with the least maximum regret, the
    share of plausible worlds in which it beats each other policy (95% CI), and where that
    ranking flips (the first PRIM box in words). Empty without ``robustness.json``."""
    data = read_robustness(results.folder)
    if data is None:
        return []
    t = lambda key, **f: i18n.text(key, lang, **f)  # noqa: E731
    labels = [p["label"] for p in data["policies"]]
    lines = []
    for outcome, best in data["minimax_regret"].items():
        share_best = next((r["share_best"] for r in data["regret"]
                           if r["outcome"] == outcome and r["policy"] == best), math.nan)
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
            where = " ".join(b["text"] for b in flip.get("boxes", [])[:1])
            wins.append(t("report.robust.wins", other=other, share=f"{share:.0%}",
                          low=f"{low:.0%}", high=f"{high:.0%}")
                        + (" " + t("report.robust.flips", where=where) if where else ""))
        n = next(o["n_worlds"] for o in data["outcomes"] if o["name"] == outcome)
        lines.append(t("report.robust.best", outcome=oc.label(outcome, lang),
                       policy=labels[best], n=n, share_best=f"{share_best:.0%}")
                     + " " + " ".join(wins))
    return lines


def robustness_sections(results: SweepResults, out: Path
                        ) -> list[tuple[str, list[charts.Chart], str]]:
    """The robustness sections of a sweep report (none without ``robustness.json``)."""
    data = read_robustness(results.folder)
    if data is None:
        return []
    e = html.escape
    labels = [p["label"] for p in data["policies"]]
    rows = "".join(
        f"<tr><td>{e(oc.label(o['name']))}</td><td>{e(labels[p['a']])}</td><td>{e(labels[p['b']])}</td>"
        f"<td>{p['share_a_wins']:.0%} ({p['share_a_wins_ci'][0]:.0%} to "
        f"{p['share_a_wins_ci'][1]:.0%})</td><td>{p['diff_median']:,.4g} ({p['diff_p10']:,.4g} "
        f"to {p['diff_p90']:,.4g})</td></tr>"
        for o in data["outcomes"] for p in data["pairs"] if p["outcome"] == o["name"])
    shares = ("<table><tr><th>outcome</th><th>A</th><th>B</th><th>A better in (95% CI)</th>"
              "<th>A - B: median (10th to 90th percentile)</th></tr>" + rows + "</table>")
    minimax = "".join(f"<li>{e(oc.label(o))}: <b>{e(labels[p])}</b> has the least "
                      f"maximum regret.</li>" for o, p in data["minimax_regret"].items())
    flips = sorted((p for p in data["pairs"] if p.get("scenario_discovery")),
                   key=lambda p: -min(p["a_wins"], p["b_wins"]))
    flip_charts = [c for i, p in enumerate(flips[:MAX_SCATTERS])
                   if (c := flip_chart(results, data, p, out, i)) is not None]
    texts = "".join(f"<li>{e(b['text'])}</li>" for p in flips
                    for b in p["scenario_discovery"]["boxes"])
    n_plain = sum(1 for p in flips if not p["scenario_discovery"]["boxes"])
    if n_plain:
        texts += (f"<li>{n_plain} of the {len(flips)} flipping comparisons have no box of at "
                  "most three uncertainties in which the flip holds in 80% of worlds.</li>")
    none = "<p>No pair's ranking flips in more than " \
        f"{data['flip_share']:.0%} of worlds.</p>" if not flips else ""
    return [("Robustness: share of worlds won", [share_chart(data, out)], shares),
            ("Robustness: regret", [regret_chart(data, out)], f"<ul>{minimax}</ul>"),
            ("Robustness: where the ranking flips", flip_charts,
             none + (f"<ul>{texts}</ul>" if texts else ""))]
