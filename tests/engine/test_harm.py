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
    return np.array(
        [scalar_integral(float(s), float(rate), float(x), float(y)) for s, x, y in zip(sev0, a, b)]
    )


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
@given(
    st.lists(st.floats(0, 1e3, allow_nan=False, allow_subnormal=False), min_size=1, max_size=40),
    st.floats(0.01, 100),
)
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
    value, _ = integrate.quad(
        lambda u: min(1.0, sev0 + rate * u),
        a,
        b,
        points=points,
        epsabs=1e-10,
        epsrel=1e-10,
        limit=200,
    )
    return value


# A subnormal rate overflows (1 - sev0) / rate to inf: harmless (the value is still right),
# but numpy warns.
@pytest.mark.filterwarnings("ignore:overflow encountered in divide:RuntimeWarning")
@settings(max_examples=200, deadline=None)
@given(
    sev0=st.floats(0.0, 1.0),
    rate=st.floats(0.0, 5.0),
    a=st.floats(0.0, 48.0),
    length=st.floats(0.0, 48.0),
)
def test_severity_integral_matches_numerical_integration(sev0, rate, a, length):
    b = a + length
    got = severity_integral(np.array([sev0]), rate, np.array([a]), np.array([b]))[0]
    assert got == pytest.approx(_numerical_severity_integral(sev0, rate, a, b), rel=1e-7, abs=1e-9)


@pytest.mark.filterwarnings("ignore:overflow encountered in divide:RuntimeWarning")
@settings(max_examples=100, deadline=None)
@given(
    sev0=st.floats(0.0, 1.0),
    rate=st.floats(0.0, 5.0),
    cuts=st.lists(st.floats(0.0, 30.0), min_size=2, max_size=6),
)
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
    assert severity_integral(np.array([1.0]), 0.5, np.array([2.0]), np.array([5.0]))[
        0
    ] == pytest.approx(3.0)
    # No deterioration: constant severity.
    assert severity_integral(np.array([0.4]), 0.0, np.array([0.0]), np.array([2.5]))[
        0
    ] == pytest.approx(1.0)
    # Linear part then flat: sev0=0, rate=1 -> saturates at u=1; [0, 3] gives 0.5 + 2.
    assert severity_integral(np.array([0.0]), 1.0, np.array([0.0]), np.array([3.0]))[
        0
    ] == pytest.approx(2.5)
    # Empty or reversed windows and negative times (before creation) give no harm.
    assert severity_integral(np.array([0.5]), 1.0, np.array([2.0]), np.array([2.0]))[0] == 0.0
    assert severity_integral(np.array([0.5]), 1.0, np.array([3.0]), np.array([1.0]))[0] == 0.0
    assert severity_integral(one * 0.5, 0.0, np.array([-5.0]), np.array([1.0]))[0] == pytest.approx(
        0.5
    )


# --- sim.survival: survival against the time until reached -----------------------------------


def _curve(**over):
    from sim import Config
    from sim.survival import knots

    response = Config().with_overrides({f"response.{k}": v for k, v in over.items()}).response
    return response, *knots(response)


def test_the_survival_curve_passes_through_its_knots():
    from sim.survival import cumulative_hazard, survival

    _, hours, hazard = _curve()
    assert list(hours) == [0.5, 24.0, 48.0]
    assert survival(0.0, hours, hazard) == 1.0
    assert survival(0.5, hours, hazard) == pytest.approx(0.99, rel=1e-14)
    assert survival(24.0, hours, hazard) == pytest.approx(0.81, rel=1e-14)
    assert survival(48.0, hours, hazard) == pytest.approx(0.37, rel=1e-14)
    # between knots the cumulative hazard is linear: at 12 h, -ln S = H(0.5) + 11.5/23.5 x
    # (H(24) - H(0.5))
    h05, h24 = -np.log(0.99), -np.log(0.81)
    assert cumulative_hazard(12.0, hours, hazard) == pytest.approx(
        h05 + (h24 - h05) * 11.5 / 23.5, rel=1e-13
    )
    assert cumulative_hazard(0.25, hours, hazard) == pytest.approx(h05 / 2, rel=1e-13)
    # beyond 48 h the 24-48 h death rate continues: S(72) = 0.37 x 0.37 / 0.81 = 0.169
    assert survival(72.0, hours, hazard) == pytest.approx(0.37 * 0.37 / 0.81, rel=1e-13)
    assert survival(96.0, hours, hazard) == pytest.approx(0.37 * (0.37 / 0.81) ** 2, rel=1e-13)


@settings(max_examples=200, deadline=None)
@given(
    s30=st.floats(0.001, 1.0),
    s24=st.floats(0.001, 1.0),
    s48=st.floats(0.001, 1.0),
    a=st.floats(0.0, 200.0),
    b=st.floats(0.0, 200.0),
)
def test_survival_never_rises_with_the_delay(s30, s24, s48, a, b):
    """Whatever the parameters (even out of order), S is non-increasing and in [0, 1]."""
    from sim.survival import survival

    _, hours, hazard = _curve(survival_30min=s30, survival_24h=s24, survival_48h=s48)
    early, late = min(a, b), max(a, b)
    s_early, s_late = survival(early, hours, hazard), survival(late, hours, hazard)
    assert 0.0 <= s_late <= s_early <= 1.0


def test_expected_deaths_of_a_life_threatening_need_follow_the_time_until_reached():
    from sim.registry import need_code
    from sim.survival import need_deaths

    response, _, _ = _curve()
    rescue, evacuation = need_code("rescue"), need_code("evacuation")
    created = np.array([100.0, 100.0, 100.0, 100.0, 100.0, 3000.0, 100.0])
    reached = np.array([100.0, 130.0, 100.0 + 24 * 60, 100.0 + 48 * 60, np.nan, np.nan, 130.0])
    persons = np.array([3.0, 3.0, 2.0, 1.0, 4.0, 2.0, 3.0])
    kind = np.array([rescue] * 6 + [evacuation])
    harm = np.array([0.0] * 6 + [5.0])
    end = 100.0 + 72 * 60  # the emergency's end
    got = need_deaths(created, reached, end, persons, kind, harm, response)
    assert got[0] == 0.0  # reached at once
    assert got[1] == pytest.approx(3 * 0.01, rel=1e-12)  # 30 min: 1% of 3 persons
    assert got[2] == pytest.approx(2 * 0.19, rel=1e-12)  # a day: 19%
    assert got[3] == pytest.approx(1 * 0.63, rel=1e-12)  # two days: 63%
    # never reached: counted at the end's delay, 72 h for the first, 22 h for the later one
    assert got[4] == pytest.approx(4 * (1 - 0.37 * 0.37 / 0.81), rel=1e-12)
    from sim.survival import survival

    _, hours, hazard = _curve()
    assert got[5] == pytest.approx(2 * (1 - survival((end - 3000.0) / 60, hours, hazard)))
    # not life-threatening: the lethality of its harm, not the delay
    lethality = response.lethality_per_severe_hour
    assert got[6] == pytest.approx(3 * (1 - np.exp(-lethality * 5.0 / 3)), rel=1e-12)


def test_each_knot_parameter_moves_the_deaths_at_its_delay():
    from sim.survival import survival

    base = _curve()[1:]
    for name, at in (("survival_30min", 0.5), ("survival_24h", 24.0), ("survival_48h", 48.0)):
        lower = _curve(**{name: 0.2})[1:]
        assert survival(at, *lower) == pytest.approx(0.2)
        assert survival(at, *lower) < survival(at, *base)
