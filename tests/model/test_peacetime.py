"""Peacetime levers: each effect size moves the state it builds, in its direction, within its
plausible range (issue 9, items 1 and 5). Common random numbers: the same seed throughout."""

from __future__ import annotations

import numpy as np
import pytest

from sim import Config, GrassrootsModel
from sim.codes import COMMUNITY_CADRE, TOWNSHIP_CADRE
from sim.params import describe

PEACE = {
    "population.n_residents": 6000,
    "time.peace_days": 28,
    "time.war_hours": 1.0,
    "flood.enabled": False,
}


def _state_after_peace(over: dict, seed: int = 3) -> dict[str, float]:
    m = GrassrootsModel(Config().with_overrides({**PEACE, **over}), rng=seed)
    for _ in range(m.peace_steps):
        m.step()
    ro = m.roster
    cadres = (ro.role == COMMUNITY_CADRE) | (ro.role == TOWNSHIP_CADRE)
    return {
        "trust": float(m.residents.trust.mean()),
        "preparedness": float(m.residents.preparedness.mean()),
        "familiarity": float(m.place.familiarity.mean()),
        "cohesion": float(np.mean([c.cohesion for c in m.community_orgs])),
        "skill": float(ro.skill_level[cadres].mean()),
    }


def _plausible(key: str) -> tuple[float, float]:
    return next(r["plausible"] for r in describe() if r["key"] == key)


@pytest.mark.parametrize(
    "key,state,sign",
    [
        ("peacetime.visit_familiarity_gain", "familiarity", +1),
        ("peacetime.holiday_familiarity_gain", "familiarity", +1),
        ("peacetime.visit_trust_gain", "trust", +1),
        ("peacetime.platform_trust_gain", "trust", +1),
        ("peacetime.publicity_preparedness_gain", "preparedness", +1),
        ("peacetime.visit_cohesion_gain", "cohesion", +1),
        ("peacetime.training_skill_gain", "skill", +1),
        ("peacetime.daily_decay", "trust", -1),
        ("peacetime.daily_decay", "familiarity", -1),
        ("organization.initial_familiarity", "familiarity", +1),
        ("organization.initial_cohesion", "cohesion", +1),
    ],
)
def test_peacetime_effect_moves_its_state(key, state, sign):
    lo, hi = _plausible(key)
    low, high = _state_after_peace({key: lo})[state], _state_after_peace({key: hi})[state]
    assert sign * (high - low) > 0, (key, state, low, high)


def test_plausible_peacetime_can_build_trust_in_four_weeks():
    """At the plausible high end, four weeks of visits and an open platform raise trust by
    several points; at the default the gain is small (docs/ODD.md, peacetime)."""
    start = GrassrootsModel(Config().with_overrides(PEACE), rng=3).residents.trust.mean()
    default = _state_after_peace({})["trust"]
    strong = _state_after_peace(
        {
            "peacetime.visit_trust_gain": _plausible("peacetime.visit_trust_gain")[1],
            "peacetime.platform_trust_gain": _plausible("peacetime.platform_trust_gain")[1],
            "peacetime.daily_decay": _plausible("peacetime.daily_decay")[0],
        }
    )["trust"]
    print(
        f"trust after 28 days: start {start:.3f}, default {default:.3f}, "
        f"plausible high {strong:.3f}"
    )
    assert strong - start > 0.1
    assert strong > default


# --- hand-computed days ----------------------------------------------------------------------


def _quiet_peace(**over):
    """A peacetime with one lever at a time: no visits, no decay, no publicity."""
    base = {
        **PEACE,
        "organization.service_visits_per_week": 0.0,
        "peacetime.daily_decay": 0.0,
        "organization.publicity_per_month": 0.0,
        "organization.open_affairs_platform": False,
        "routine.cases_per_1000_per_day": 0.0,
        "organization.training_coverage": 0.0,
        "organization.organ_registration_ratio": 0.0,
    }
    return GrassrootsModel(Config().with_overrides({**base, **over}), rng=5)


def test_registered_organ_cadres_serve_their_community_on_days_five_and_six_of_each_week():
    m = _quiet_peace(**{"peacetime.holiday_familiarity_gain": 0.01})
    organ = m.roster.role == 2
    m.roster.registered[organ] = True
    rose = []
    for _day in range(14):
        before = m.place.familiarity.copy()
        m.step()
        rose.append(bool(np.any(m.place.familiarity > before)))
    assert [d for d, r in enumerate(rose) if r] == [5, 6, 12, 13]


def test_the_open_affairs_platform_meets_on_the_first_day_of_each_week():
    m = _quiet_peace(
        **{"organization.open_affairs_platform": True, "peacetime.platform_trust_gain": 0.02}
    )
    rose = []
    for _day in range(14):
        before = m.residents.trust.copy()
        m.step()
        rose.append(bool(np.all(m.residents.trust > before)))
        if rose[-1]:  # every resident moves 2% of the way to full trust
            np.testing.assert_allclose(m.residents.trust, before + 0.02 * (1 - before))
    assert [d for d, r in enumerate(rose) if r] == [0, 7]


@pytest.mark.parametrize("share,days", [(0.5, 28), (0.9, 10), (0.2, 3)])
def test_the_daily_chance_compounds_to_the_share_by_the_end_of_peacetime(share, days):
    from sim.peacetime import daily_probability

    p = daily_probability(share, days)
    assert 1 - (1 - p) ** days == pytest.approx(share)
    assert daily_probability(1.0, days) == 1.0 and daily_probability(share, 0) == 0.0
