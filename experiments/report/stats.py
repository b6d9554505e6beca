"""Bootstrap confidence intervals and paired policy differences (common random numbers).

Every interval is a percentile bootstrap drawn from ``np.random.default_rng(seed)``: the
resample indices are ``rng.integers(0, n, size=(n_resamples, n))`` and the bounds are
``np.quantile(stat, [alpha / 2, 1 - alpha / 2])`` (numpy's default linear method). A paired
difference resamples the pairs (replications that share a seed), so the interval of the
difference reflects how consistently one policy beats the other on the *same* emergencies,
not the spread of emergencies.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

N_RESAMPLES = 2000
LEVEL = 0.95
SEED = 20240604  # the report's bootstrap seed (assumption: any fixed value)


@dataclass(frozen=True)
class Estimate:
    """A mean with its percentile-bootstrap interval, over ``n`` runs."""

    mean: float
    low: float
    high: float
    n: int


@dataclass(frozen=True)
class PairedDifference:
    """``policy - baseline`` over ``n`` pairs that share a seed.

    ``diff`` is the mean difference (outcome units), ``rel`` the relative change of the mean
    (``mean(policy) / mean(baseline) - 1``), each with its interval; ``n_better`` and
    ``n_worse`` count the pairs in which the policy did better or worse (ties count as
    neither).
    """

    diff: float
    diff_low: float
    diff_high: float
    rel: float
    rel_low: float
    rel_high: float
    n_better: int
    n_worse: int
    n: int


def _finite(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, dtype=float)
    return x[np.isfinite(x)]


def resample_indices(n: int, n_resamples: int = N_RESAMPLES, seed: int = SEED) -> np.ndarray:
    """The bootstrap's resample indices, shape ``(n_resamples, n)``."""
    rng = np.random.default_rng(seed)
    return rng.integers(0, n, size=(n_resamples, n))


def _bounds(stat: np.ndarray, level: float) -> tuple[float, float]:
    alpha = 1.0 - level
    stat = stat[np.isfinite(stat)]
    if not len(stat):
        return float("nan"), float("nan")
    low, high = np.quantile(stat, [alpha / 2, 1 - alpha / 2])
    return float(low), float(high)


def bootstrap_mean(
    values: np.ndarray, n_resamples: int = N_RESAMPLES, level: float = LEVEL, seed: int = SEED
) -> Estimate:
    """The mean of the finite ``values`` with a percentile-bootstrap interval."""
    x = _finite(values)
    n = len(x)
    if n == 0:
        return Estimate(float("nan"), float("nan"), float("nan"), 0)
    if n == 1:
        return Estimate(float(x[0]), float("nan"), float("nan"), 1)
    means = x[resample_indices(n, n_resamples, seed)].mean(axis=1)
    low, high = _bounds(means, level)
    return Estimate(float(x.mean()), low, high, n)


def paired_difference(
    policy: np.ndarray,
    baseline: np.ndarray,
    lower_is_better: bool = True,
    n_resamples: int = N_RESAMPLES,
    level: float = LEVEL,
    seed: int = SEED,
) -> PairedDifference:
    """Paired difference of two outcome arrays aligned pair by pair (same seed at index i).

    Pairs where either value is missing (nan) are dropped.
    """
    p = np.asarray(policy, dtype=float)
    b = np.asarray(baseline, dtype=float)
    if p.shape != b.shape:
        raise ValueError(f"paired arrays differ in length: {p.shape} vs {b.shape}")
    keep = np.isfinite(p) & np.isfinite(b)
    p, b = p[keep], b[keep]
    n = len(p)
    nan = float("nan")
    if n == 0:
        return PairedDifference(nan, nan, nan, nan, nan, nan, 0, 0, 0)
    d = p - b
    better = d < 0 if lower_is_better else d > 0
    worse = d > 0 if lower_is_better else d < 0
    b_mean = b.mean()
    rel = p.mean() / b_mean - 1 if b_mean != 0 else nan
    if n == 1:
        return PairedDifference(
            float(d[0]), nan, nan, float(rel), nan, nan, int(better.sum()), int(worse.sum()), 1
        )
    idx = resample_indices(n, n_resamples, seed)
    diff_low, diff_high = _bounds(d[idx].mean(axis=1), level)
    with np.errstate(divide="ignore", invalid="ignore"):
        rels = p[idx].mean(axis=1) / b[idx].mean(axis=1) - 1
    rel_low, rel_high = _bounds(rels, level)
    return PairedDifference(
        float(d.mean()),
        diff_low,
        diff_high,
        float(rel),
        rel_low,
        rel_high,
        int(better.sum()),
        int(worse.sum()),
        n,
    )


def quantile_band(frame: np.ndarray, q: tuple[float, ...] = (0.1, 0.5, 0.9)) -> np.ndarray:
    """Quantiles across rows (replications) of a ``(runs, times)`` array, ignoring nan."""
    return np.nanquantile(np.asarray(frame, dtype=float), q, axis=0)


def ecdf(values: np.ndarray, total: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Sorted finite values and the share of ``total`` (default: all values) at or below."""
    x = np.sort(_finite(values))
    total = len(np.asarray(values)) if total is None else total
    return x, np.arange(1, len(x) + 1) / max(total, 1)
