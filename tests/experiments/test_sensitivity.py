"""Global sensitivity with SALib (experiments/sweeps/sensitivity.py) on functions whose
indices are known, and the warning when intervals are too wide."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from experiments.sweeps.sensitivity import (
    converged,
    convergence_warnings,
    morris_effects,
    morris_sample,
    samples_needed,
    sobol_indices,
    sobol_sample,
)

NAMES = ["x1", "x2", "x3"]


def ishigami(u: np.ndarray, a: float = 7.0, b: float = 0.1) -> np.ndarray:
    x = -math.pi + 2 * math.pi * u  # the unit cube scaled to [-pi, pi]^3
    return np.sin(x[:, 0]) + a * np.sin(x[:, 1]) ** 2 + b * x[:, 2] ** 4 * np.sin(x[:, 0])


def ishigami_indices(a: float = 7.0, b: float = 0.1) -> tuple[np.ndarray, np.ndarray]:
    """Analytic first-order and total indices (Ishigami & Homma 1990)."""
    v1 = 0.5 * (1 + b * math.pi**4 / 5) ** 2
    v2 = a**2 / 8
    v13 = b**2 * math.pi**8 * (1 / 18 - 1 / 50)
    var = v1 + v2 + v13
    return np.array([v1, v2, 0.0]) / var, np.array([v1 + v13, v2, v13]) / var


def test_sobol_indices_of_the_ishigami_function_with_intervals():
    u = sobol_sample(2048, 3, seed=7)
    idx = sobol_indices(ishigami(u), NAMES, seed=7)
    s1, st = ishigami_indices()
    np.testing.assert_allclose(idx["S1"], s1, atol=0.03)
    np.testing.assert_allclose(idx["ST"], st, atol=0.03)
    # the true value lies within (a little more than) the reported 95% interval
    assert (np.abs(idx["ST"] - st) <= 1.5 * idx["ST_conf"] + 0.01).all()
    assert (idx["S1_conf"] > 0).all() and (idx["S1_conf"] < 0.1).all()


def test_second_order_index_of_ishigami_is_x1_with_x3():
    u = sobol_sample(1024, 3, seed=3, second_order=True)
    assert len(u) == 1024 * (2 * 3 + 2)
    idx = sobol_indices(ishigami(u), NAMES, seed=3, second_order=True).set_index("factor")
    v13 = 0.01 * math.pi**8 * (1 / 18 - 1 / 50)
    var = 0.5 * (1 + 0.1 * math.pi**4 / 5) ** 2 + 49 / 8 + v13
    assert idx.loc["x1", "S2_x3"] == pytest.approx(v13 / var, abs=0.08)
    assert abs(idx.loc["x1", "S2_x2"]) < 0.08


def test_sobol_indices_of_a_linear_function():
    # y = x1 + 2 x2 on the unit cube: S1 = ST = (1/5, 4/5, 0)
    u = sobol_sample(1024, 3, seed=1)
    idx = sobol_indices(u[:, 0] + 2 * u[:, 1], NAMES, seed=1)
    np.testing.assert_allclose(idx["S1"], [0.2, 0.8, 0.0], atol=0.03)
    np.testing.assert_allclose(idx["ST"], [0.2, 0.8, 0.0], atol=0.03)


def test_sobol_design_is_seeded():
    assert np.array_equal(sobol_sample(16, 3, seed=5), sobol_sample(16, 3, seed=5))
    assert not np.array_equal(sobol_sample(16, 3, seed=5), sobol_sample(16, 3, seed=6))


def test_morris_effects_of_a_linear_function():
    # y = 3 x1 - x2: every elementary effect of x1 is 3, of x2 is -1, of x3 is 0
    x = morris_sample(6, 3, 4, seed=5)
    eff = morris_effects(x, 3 * x[:, 0] - x[:, 1], NAMES, 4, seed=5)
    np.testing.assert_allclose(eff["mu_star"], [3, 1, 0], atol=1e-9)
    np.testing.assert_allclose(eff["mu"], [3, -1, 0], atol=1e-9)
    np.testing.assert_allclose(eff["sigma"], [0, 0, 0], atol=1e-9)


def test_too_few_samples_are_flagged_with_the_samples_needed():
    u = sobol_sample(16, 3, seed=2)
    idx = sobol_indices(ishigami(u), NAMES, seed=2).assign(outcome="y")
    lines = convergence_warnings(idx)
    assert len(lines) == 1 and "Increase samples to" in lines[0] and "outcome = y" in lines[0]
    widest = 2 * idx[["S1_conf", "ST_conf"]].to_numpy().max()
    need = samples_needed(16, widest)
    assert need >= 16 * (widest / 0.1) ** 2 and need & (need - 1) == 0  # a power of two
    # With that many base samples the intervals are in fact under the limit.
    big = sobol_indices(ishigami(sobol_sample(need, 3, seed=2)), NAMES, seed=2)
    assert 2 * big[["S1_conf", "ST_conf"]].to_numpy().max() < 0.1
    assert convergence_warnings(big.assign(outcome="y")) == []
    assert converged(big).all() and not converged(idx).all()


def test_an_index_outside_zero_one_is_flagged():
    idx = pd.DataFrame(
        {
            "factor": ["a"],
            "S1": [-0.2],
            "S1_conf": [0.01],
            "ST": [0.5],
            "ST_conf": [0.01],
            "n_base": [64],
            "outcome": ["y"],
        }
    )
    (line,) = convergence_warnings(idx)
    assert "outside [0, 1] for a" in line
