"""Harm and inequality: the severity integral behind harm, and the Gini coefficient."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import integrate

from sim.needs import severity_integral as scalar_integral
from sim.outcomes import gini


def severity_integral(sev0, rate, a, b):
    """The compiled scalar integral, over arrays."""
    return np.array([scalar_integral(float(s), float(rate), float(x), float(y))
                     for s, x, y in zip(sev0, a, b)])


def test_gini_is_zero_for_equal_values():
    assert gini(np.full(10, 3.7)) == pytest.approx(0.0, abs=1e-12)


def test_gini_of_one_holder_among_four_is_three_quarters():
    # Mean absolute difference over all ordered pairs / (2 * mean): 6 / 16 / (2 * 0.25) = 0.75.
    assert gini(np.array([0.0, 0.0, 0.0, 1.0])) == pytest.approx(0.75)
    # The order of the values does not matter.
    assert gini(np.array([0.0, 1.0, 0.0, 0.0])) == pytest.approx(0.75)


def test_gini_of_empty_or_all_zero_is_zero():
    assert gini(np.array([])) == 0.0
    assert gini(np.zeros(5)) == 0.0


@settings(max_examples=50, deadline=None)
@given(st.lists(st.floats(0, 1e3, allow_nan=False, allow_subnormal=False), min_size=1,
                max_size=40),
       st.floats(0.01, 100))
def test_gini_matches_mean_absolute_difference(values, scale):
    v = np.array(values)
    g = gini(v)
    if v.sum() <= 0:
        assert g == 0.0
        return
    expected = np.abs(v[:, None] - v[None, :]).sum() / (2 * len(v) ** 2 * v.mean())
    assert g == pytest.approx(expected, rel=1e-9, abs=1e-9)
    assert -1e-12 <= g <= (len(v) - 1) / len(v) + 1e-12
    assert gini(v * scale) == pytest.approx(g, rel=1e-9, abs=1e-9)  # scale invariant


# --- sim.needs.severity_integral -------------------------------------------------------------


def _numerical_severity_integral(sev0: float, rate: float, a: float, b: float) -> float:
    a = max(a, 0.0)
    if b <= a:
        return 0.0
    points = [(1.0 - sev0) / rate] if rate > 0 and a < (1.0 - sev0) / rate < b else None
    value, _ = integrate.quad(lambda u: min(1.0, sev0 + rate * u), a, b, points=points,
                              epsabs=1e-10, epsrel=1e-10, limit=200)
    return value


# A subnormal rate overflows (1 - sev0) / rate to inf: harmless (the value is still right),
# but numpy warns.
@pytest.mark.filterwarnings("ignore:overflow encountered in divide:RuntimeWarning")
@settings(max_examples=200, deadline=None)
@given(sev0=st.floats(0.0, 1.0), rate=st.floats(0.0, 5.0), a=st.floats(0.0, 48.0),
       length=st.floats(0.0, 48.0))
def test_severity_integral_matches_numerical_integration(sev0, rate, a, length):
    b = a + length
    got = severity_integral(np.array([sev0]), rate, np.array([a]), np.array([b]))[0]
    assert got == pytest.approx(_numerical_severity_integral(sev0, rate, a, b),
                                rel=1e-7, abs=1e-9)


@pytest.mark.filterwarnings("ignore:overflow encountered in divide:RuntimeWarning")
@settings(max_examples=100, deadline=None)
@given(sev0=st.floats(0.0, 1.0), rate=st.floats(0.0, 5.0),
       cuts=st.lists(st.floats(0.0, 30.0), min_size=2, max_size=6))
def test_severity_integral_is_additive_over_windows(sev0, rate, cuts):
    """Harm accrues step by step: the pieces must add up to the whole window."""
    edges = np.sort(np.array(cuts))
    s = np.full(len(edges) - 1, sev0)
    pieces = severity_integral(s, rate, edges[:-1], edges[1:]).sum()
    whole = severity_integral(np.array([sev0]), rate, edges[:1], edges[-1:])[0]
    assert pieces == pytest.approx(whole, rel=1e-9, abs=1e-9)


def test_severity_integral_edge_cases():
    one = np.array([1.0])
    # Already fully severe: the integral is the window length.
    assert severity_integral(np.array([1.0]), 0.5, np.array([2.0]), np.array([5.0]))[0] == \
        pytest.approx(3.0)
    # No deterioration: constant severity.
    assert severity_integral(np.array([0.4]), 0.0, np.array([0.0]), np.array([2.5]))[0] == \
        pytest.approx(1.0)
    # Linear part then flat: sev0=0, rate=1 -> saturates at u=1; [0, 3] gives 0.5 + 2.
    assert severity_integral(np.array([0.0]), 1.0, np.array([0.0]), np.array([3.0]))[0] == \
        pytest.approx(2.5)
    # Empty or reversed windows and negative times (before creation) give no harm.
    assert severity_integral(np.array([0.5]), 1.0, np.array([2.0]), np.array([2.0]))[0] == 0.0
    assert severity_integral(np.array([0.5]), 1.0, np.array([3.0]), np.array([1.0]))[0] == 0.0
    assert severity_integral(one * 0.5, 0.0, np.array([-5.0]), np.array([1.0]))[0] == \
        pytest.approx(0.5)


