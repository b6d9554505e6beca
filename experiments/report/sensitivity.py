"""Sensitivity charts from a Sobol or Morris sweep: SALib's indices with their intervals.

The indices are the sweep's own (``sobol.csv`` or ``morris.csv``, written by the runner with
SALib: :mod:`experiments.sweeps.sensitivity`), one chart per combination of the sweep's list
factors (policies), one panel per outcome, factors ranked. Sobol: first-order (S1) and total
(ST) indices with SALib's 95% bootstrap intervals, and a warning when an interval is wider
than 0.1 or an index leaves [0, 1]. Morris: mu* with its interval, and sigma.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from experiments.report import charts
from experiments.report.sweep import SweepResults, outcome_label, outcome_unit, value_text
from experiments.sweeps.sensitivity import convergence_warnings


def read_indices(results: SweepResults) -> pd.DataFrame | None:
    """The sweep's ``sobol.csv`` or ``morris.csv``; None before the sweep has finished."""
    kind = results.manifest.get("design")
    path = Path(results.folder) / f"{kind}.csv"
    return pd.read_csv(path) if kind in ("sobol", "morris") and path.exists() else None


def _panel(block: pd.DataFrame, kind: str) -> dict[str, np.ndarray]:
    if kind == "sobol":
        a, a_conf, b, b_conf = (block[c].to_numpy(float) for c in
                                ("S1", "S1_conf", "ST", "ST_conf"))
    else:
        a, a_conf = block["mu_star"].to_numpy(float), block["mu_star_conf"].to_numpy(float)
        b, b_conf = block["sigma"].to_numpy(float), np.full(len(block), np.nan)
    return {"a": a, "a_low": a - a_conf, "a_high": a + a_conf,
            "b": b, "b_low": b - b_conf, "b_high": b + b_conf}


def sensitivity(results: SweepResults, out: Path, outcomes: list[str]
                ) -> tuple[list[charts.Chart], list[str]]:
    """One chart per policy combination, and the convergence warnings (Sobol)."""
    kind = results.manifest.get("design")
    indices = read_indices(results)
    if indices is None or indices.empty:
        return [], []
    policy = [k for k in results.policy_factors if k in indices]
    combos = indices[policy].drop_duplicates().to_dict("records") if policy else [{}]
    made = []
    for c, combo in enumerate(combos):
        mask = np.ones(len(indices), dtype=bool)
        for k, v in combo.items():
            mask &= (indices[k] == v).to_numpy()
        panels = []
        for outcome in [o for o in outcomes if o in set(indices["outcome"])]:
            block = indices[mask & (indices["outcome"] == outcome).to_numpy()]
            p = _panel(block, kind)
            order = np.argsort(-np.nan_to_num(p["b" if kind == "sobol" else "a"], nan=-np.inf))
            panel = {k: np.asarray(v)[order] for k, v in p.items()}
            names = [f.split(".")[-1].replace("_", " ") for f in block["factor"]]
            panel.update(factors=[names[i] for i in order], title=outcome_label(outcome),
                         unit=outcome_unit(outcome))
            panels.append(panel)
        if not panels:
            continue
        where = ", ".join(value_text(k, v) for k, v in combo.items())
        title = ("Sobol indices" if kind == "sobol" else "Morris screening") + \
            (f" under {where}" if where else "")
        made.append(charts.sensitivity(out, f"sensitivity_{c}", title, panels, kind))
    warnings = convergence_warnings(indices) if kind == "sobol" else []
    return made, warnings
