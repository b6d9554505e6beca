"""Sensitivity charts from a Sobol or Morris sweep: SALib's indices with their intervals.

The indices are the sweep's own (``sobol.csv`` or ``morris.csv``, written by the runner with
SALib: :mod:`experiments.sweeps.sensitivity`), one chart per combination of the sweep's list
factors (policies), one panel per outcome, factors ranked. Sobol: first-order (S1) and total
(ST) indices with SALib's 95% bootstrap intervals, and a warning when an interval is wider
than 0.1 or an index leaves [0, 1]. Morris: mu* with its interval, and sigma. Each panel is
also said in words (:func:`in_words`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from experiments import i18n
from experiments import outcomes as oc
from experiments.factors import value_text
from experiments.report import charts
from experiments.report.sweep import SweepResults
from experiments.sweeps.sensitivity import convergence_warnings


def read_indices(results: SweepResults) -> pd.DataFrame | None:
    """The sweep's ``sobol.csv`` or ``morris.csv``; None before the sweep has finished."""
    kind = results.manifest.get("design")
    path = Path(results.folder) / f"{kind}.csv"
    return pd.read_csv(path) if kind in ("sobol", "morris") and path.exists() else None


def _panel(block: pd.DataFrame, kind: str) -> dict[str, np.ndarray]:
    if kind == "sobol":
        a, a_conf, b, b_conf = (
            block[c].to_numpy(float) for c in ("S1", "S1_conf", "ST", "ST_conf")
        )
    else:
        a, a_conf = block["mu_star"].to_numpy(float), block["mu_star_conf"].to_numpy(float)
        b, b_conf = block["sigma"].to_numpy(float), np.full(len(block), np.nan)
    return {
        "a": a,
        "a_low": a - a_conf,
        "a_high": a + a_conf,
        "b": b,
        "b_low": b - b_conf,
        "b_high": b + b_conf,
    }


TOP = 3  # parameters named in the sentence


def in_words(panel: dict[str, Any], kind: str, outcome: str, where: str, lang: str) -> str:
    """ "Three parameters explain 82% of the variance of total harm: a (ST 0.61, 95% CI
    0.52-0.70), ..." (Sobol; the share is the sum of their first-order indices), or the
    largest elementary effects (Morris), with a warning when the intervals overlap too much
    to rank."""
    t = lambda key, **f: i18n.text(key, lang, **f)  # noqa: E731
    names = panel["factors"]
    key = "b" if kind == "sobol" else "a"
    v, lo, hi = (np.asarray(panel[key + x], dtype=float) for x in ("", "_low", "_high"))
    top = min(TOP, len(names))
    items = t("report.sep").join(
        t(
            f"report.sens.item_{kind}",
            name=names[i],
            value=f"{v[i]:.2f}" if kind == "sobol" else f"{v[i]:.3g}",
            low=f"{lo[i]:.2f}" if kind == "sobol" else f"{lo[i]:.3g}",
            high=f"{hi[i]:.2f}" if kind == "sobol" else f"{hi[i]:.3g}",
        )
        for i in range(top)
    )
    what = oc.words(outcome, lang)
    if kind == "sobol":
        s1 = np.clip(np.nan_to_num(np.asarray(panel["a"], dtype=float)[:top]), 0, 1)
        share = f"{100 * min(1.0, float(s1.sum())):.0f}"
        text = t("report.sens.sobol", n=top, share=share, outcome=what, items=items)
    else:
        text = t("report.sens.morris", n=top, outcome=what, items=items)
    if where:
        text = t("report.sens.where", where=where, text=text)
    overlap = [
        (names[i], names[i + 1])
        for i in range(min(top, len(names) - 1))
        if np.isfinite(lo[i]) and np.isfinite(hi[i + 1]) and lo[i] <= hi[i + 1]
    ]
    if not np.all(np.isfinite(lo[:top])) or overlap:
        pairs = t("report.sep").join(f"{a} / {b}" for a, b in overlap)
        text += " " + t("report.sens.overlap", pairs=pairs or "-")
    return text


def sensitivity(
    results: SweepResults, out: Path, outcomes: list[str]
) -> tuple[list[charts.Chart], list[str], list[str]]:
    """One chart per policy combination (one panel per outcome, factors ranked), the ranking
    in words (one sentence per combination and outcome), and the convergence warnings
    (Sobol)."""
    kind = results.manifest.get("design")
    indices = read_indices(results)
    if indices is None or indices.empty:
        return [], [], []
    lang = results.lang
    policy = [k for k in results.policy_factors if k in indices]
    combos = indices[policy].drop_duplicates().to_dict("records") if policy else [{}]
    made, texts = [], []
    for c, combo in enumerate(combos):
        mask = np.ones(len(indices), dtype=bool)
        for k, v in combo.items():
            mask &= (indices[k] == v).to_numpy()
        panels, shown = [], []
        for outcome in [o for o in outcomes if o in set(indices["outcome"])]:
            block = indices[mask & (indices["outcome"] == outcome).to_numpy()]
            p = _panel(block, kind)
            order = np.argsort(-np.nan_to_num(p["b" if kind == "sobol" else "a"], nan=-np.inf))
            panel = {k: np.asarray(v)[order] for k, v in p.items()}
            names = [f.split(".")[-1].replace("_", " ") for f in block["factor"]]
            panel.update(
                factors=[names[i] for i in order],
                title=oc.label(outcome, lang),
                unit=oc.unit_text(outcome, lang),
            )
            panels.append(panel)
            shown.append(outcome)
        if not panels:
            continue
        where = ", ".join(value_text(k, v, lang) for k, v in combo.items())
        texts += [in_words(p, kind, o, where, lang) for p, o in zip(panels, shown)]
        title = i18n.text(f"report.sens.{kind}_title", lang)
        if where:
            title = i18n.text("report.sens.where", lang, where=where, text=title)
        made.append(charts.sensitivity(out, f"sensitivity_{c}", title, panels, kind, lang))
    warnings = convergence_warnings(indices) if kind == "sobol" else []
    return made, texts, warnings
