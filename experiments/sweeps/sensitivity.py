"""Global sensitivity analysis with SALib, the field's standard implementation.

Designs are drawn in the unit cube (each factor then scaled to its range):

- ``sobol``: Saltelli's extension of the Sobol' sequence (``SALib.sample.sobol``): ``N``
  base samples give ``N (d + 2)`` points, or ``N (2d + 2)`` with second-order indices, in
  SALib's order (per base row: A, AB_1..AB_d, [BA_1..BA_d,] B);
- ``morris``: ``r`` Morris trajectories of ``d + 1`` points on a ``levels`` grid
  (``SALib.sample.morris``).

The indices come from ``SALib.analyze.sobol`` (first-order S1, total ST, optional second
order S2, each with its 95% bootstrap interval) and ``SALib.analyze.morris`` (mu*, with its
interval, and sigma; per unit of the factor's range). An index whose 95% interval is wider
than :data:`MAX_CI_WIDTH`, or whose estimate leaves [0, 1], is flagged with the number of
base samples that would bring the interval under the limit (the width shrinks as
1 / sqrt(N)).
"""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np
import pandas as pd

MAX_CI_WIDTH = 0.1  # widest acceptable 95% interval of a Sobol index (its full width)
N_RESAMPLES = 1000


def salib_seed(master_seed: int) -> int:
    """The seed SALib's samplers and bootstraps get, derived from the sweep's master seed."""
    return int(np.random.SeedSequence(master_seed).generate_state(1)[0])


def _problem(d: int, names: list[str] | None = None) -> dict[str, Any]:
    return {
        "num_vars": d,
        "names": names or [f"x{i}" for i in range(d)],
        "bounds": [[0.0, 1.0]] * d,
    }


def sobol_sample(n: int, d: int, seed: int, second_order: bool = False) -> np.ndarray:
    """Saltelli's design of ``n`` base samples in [0, 1]^d (SALib)."""
    from SALib.sample import sobol

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "balance properties" when n is not a power of 2
        return sobol.sample(_problem(d), n, calc_second_order=second_order, seed=seed)


def morris_sample(r: int, d: int, levels: int, seed: int) -> np.ndarray:
    """``r`` Morris trajectories in [0, 1]^d on a ``levels`` grid (SALib)."""
    from SALib.sample import morris

    return morris.sample(_problem(d), r, num_levels=levels, seed=seed)


def points_per_sample(d: int, second_order: bool) -> int:
    return 2 * d + 2 if second_order else d + 2


def sobol_indices(
    y: np.ndarray, names: list[str], seed: int, second_order: bool = False
) -> pd.DataFrame:
    """S1, ST (and S2) with their 95% interval half-widths from outputs in SALib's order."""
    from SALib.analyze import sobol

    y = np.asarray(y, dtype=float)
    d = len(names)
    rows = y.reshape(-1, points_per_sample(d, second_order))
    rows = rows[np.isfinite(rows).all(axis=1)]  # a failed run drops its base sample
    out = pd.DataFrame({"factor": names})
    if len(rows) < 2 or np.var(rows) == 0:
        for col in ("S1", "S1_conf", "ST", "ST_conf"):
            out[col] = np.nan
        return out.assign(n_base=len(rows))
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        s = sobol.analyze(
            _problem(d, names),
            rows.ravel(),
            calc_second_order=second_order,
            num_resamples=N_RESAMPLES,
            seed=seed,
        )
    for col in ("S1", "S1_conf", "ST", "ST_conf"):
        out[col] = s[col]
    if second_order:  # one column per partner: S2[i, j] for i < j
        for j, other in enumerate(names):
            out[f"S2_{other}"] = s["S2"][:, j]
            out[f"S2_{other}_conf"] = s["S2_conf"][:, j]
    return out.assign(n_base=len(rows))


def morris_effects(
    x_unit: np.ndarray, y: np.ndarray, names: list[str], levels: int, seed: int
) -> pd.DataFrame:
    """mu* (with its 95% interval half-width), mu and sigma per factor (SALib)."""
    from SALib.analyze import morris

    d = len(names)
    x_unit = np.asarray(x_unit, dtype=float).reshape(-1, d + 1, d)
    y = np.asarray(y, dtype=float).reshape(-1, d + 1)
    keep = np.isfinite(y).all(axis=1)  # a failed run drops its trajectory
    out = pd.DataFrame({"factor": names})
    if keep.sum() < 2:
        for col in ("mu_star", "mu_star_conf", "mu", "sigma"):
            out[col] = np.nan
        return out.assign(n_trajectories=int(keep.sum()))
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        s = morris.analyze(
            _problem(d, names),
            x_unit[keep].reshape(-1, d),
            y[keep].ravel(),
            num_resamples=N_RESAMPLES,
            num_levels=levels,
            seed=seed,
        )
    for col in ("mu_star", "mu_star_conf", "mu", "sigma"):
        out[col] = np.asarray(s[col], dtype=float)
    return out.assign(n_trajectories=int(keep.sum()))


def samples_needed(n: int, widest: float, limit: float = MAX_CI_WIDTH) -> int:
    """Base samples for the widest interval to shrink under ``limit`` (width ~ 1/sqrt(N)),
    rounded up to a power of two (the Sobol' sequence's balance)."""
    if not math.isfinite(widest) or widest <= 0:
        return n
    need = n * (widest / limit) ** 2
    return int(2 ** math.ceil(math.log2(max(need, n + 1))))


def converged(indices: pd.DataFrame, limit: float = MAX_CI_WIDTH) -> pd.Series:
    """Per row: both 95% intervals at most ``limit`` wide and both estimates in [0, 1]."""
    width = 2 * indices[["S1_conf", "ST_conf"]]
    est = indices[["S1", "ST"]]
    return (width <= limit).all(axis=1) & ((est >= 0) & (est <= 1)).all(axis=1)


def convergence_warnings(indices: pd.DataFrame, limit: float = MAX_CI_WIDTH) -> list[str]:
    """One line per outcome (and policy) whose Sobol indices are not yet trustworthy: a 95%
    interval wider than ``limit`` or an estimate outside [0, 1]."""
    lines = []
    keys = [
        c
        for c in indices.columns
        if c not in ("factor", "converged") and not c.startswith(("S1", "ST", "S2", "n_base"))
    ]
    for group, block in indices.groupby(keys, sort=False) if keys else [((), indices)]:
        width = 2 * block[["S1_conf", "ST_conf"]].to_numpy(float)
        est = block[["S1", "ST"]].to_numpy(float)
        widest = float(np.nanmax(width)) if np.isfinite(width).any() else math.nan
        outside = (est < 0) | (est > 1)
        if not (widest > limit or outside.any()):
            continue
        n = int(block["n_base"].iloc[0])
        where = ", ".join(f"{k} = {v}" for k, v in zip(keys, np.atleast_1d(group)))
        problems = []
        if widest > limit:
            problems.append(f"95% intervals up to {widest:.2f} wide (limit {limit})")
        if outside.any():
            bad = block["factor"][outside.any(axis=1)].tolist()
            problems.append(f"estimates outside [0, 1] for {', '.join(bad)}")
        need = samples_needed(n, widest, limit) if widest > limit else 4 * n
        lines.append(
            f"WARNING: Sobol indices not converged ({where}): {'; '.join(problems)}"
            f". Increase samples to {need} (now {n} base samples)."
        )
    return lines
