"""Directions of effect that docs/model.md and the seed article lead planners to expect.

The expectations are defined once, in ``configs/effects.toml`` (read by
``experiments/effects.py``; docs/ODD.md's effect table shows the same ones measured). Each
compares two arms over PAIRED seeds (common random numbers: the same seeds in both arms, and
hazards draw from their own streams, so both arms face the same emergency) and asserts that
the mean paired difference has the expected sign and that most seeds agree. Runs are cached
by (config, seed), so arms shared between effects run once.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from experiments.effects import load_effects, measure, summary_runner

EFFECTS = load_effects()
RUN = summary_runner()


@pytest.mark.parametrize("effect", [e for e in EFFECTS if e.asserted], ids=lambda e: e.label)
def test_expected_direction(effect):
    m = measure(effect, RUN)
    assert np.all(np.isfinite(m["diffs"])), m
    msg = (
        f"{effect.outcome}: control {m['before']:.4g}, treatment {m['after']:.4g}; "
        f"paired differences {np.round(m['diffs'], 4).tolist()}"
    )
    assert m["diff"] * effect.direction > 0, msg
    assert m["agree"] >= effect.min_agree, msg


def test_every_effect_names_a_known_outcome_setting_and_parameter():
    from sim import OUTCOMES, load_scenario

    for e in EFFECTS:
        assert e.outcome in OUTCOMES, e.label
        for arm in e.arms():
            load_scenario(e.scenario_path, arm)  # every key and value is checked
        assert e.treatment and 1 <= e.min_agree <= e.seeds and e.why, e.label


def _effect(label: str):
    return next(e for e in EFFECTS if e.label == label)


def test_hierarchical_reporting_takes_more_than_twice_as_long_as_direct():
    m = measure(_effect("direct reporting (vs hierarchical)"), RUN)
    assert m["before"] > 2 * m["after"]  # three levels with queues vs one hop


def test_joint_meetings_never_dispatch_twice():
    e = _effect("joint meetings: no duplicated dispatch (vs direct)")
    _, treatment = e.arms()
    assert all(
        RUN(treatment, s)["duplicate_dispatches"] == 0 for s in range(1, e.seeds + 1)
    )  # docs/model.md: they decide together


def test_volunteers_reduce_harm_in_the_lockdown_beyond_the_95_percent_interval():
    """Issue 20: in street_epidemic (a lockdown), 30 volunteers per 1,000 against none reduce
    total harm by more than the 95% t-interval of the paired differences over 10 seeds."""
    m = measure(_effect("standing volunteer team 0 -> 30 per 1,000, lockdown epidemic"), RUN)
    d = np.array(m["diffs"])
    half = stats.t.ppf(0.975, len(d) - 1) * d.std(ddof=1) / math.sqrt(len(d))
    assert len(d) == 10 and d.mean() + half < 0, (d.mean(), half)
