"""Outcomes: declared once, and honest (issue 9, item 4).

A policy that reaches fewer needs must not look faster: the mean response counts a need never
reached as reached at the end of the emergency. The dispatch delay covers every need sent a
responder, by any path. Outcomes that cannot change (preparedness in wartime) are not reported;
the attack rate is NaN where there is no epidemic.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from sim import Config, simulate
from sim.engine import Sum
from sim.outcomes import OUTCOMES, Outcome, higher_is_better

SMALL = {
    "population.n_residents": 12_000,
    "time.peace_days": 0,
    "time.war_hours": 12.0,
    "flood.duration_hours": 12.0,
}
# Every responder but the grid's own pools (party members, spontaneous volunteers) arrives
# after the emergency: most needs are never reached, those reached are reached fast.
SLOW = {
    "organization.cadre_switch_min": 1440.0,
    "organization.organ_mobilization_min": 1440.0,
    "volunteers.callup_min": 1440.0,
    "organization.command_convene_min": 1440.0,
}
SEEDS = (1, 2, 3)


def _runs(over: dict) -> list[dict]:
    return [simulate(Config().with_overrides({**SMALL, **over}), seed=s).summary() for s in SEEDS]


@pytest.fixture(scope="module")
def staffed():
    return _runs({})


@pytest.fixture(scope="module")
def slow():
    return _runs(SLOW)


def test_unreached_needs_count_in_the_mean_response(staffed, slow):
    """The reached-only mean ranks the policy that reaches a fifth of the needs as the faster;
    the censored mean (the headline) ranks it as what it is."""
    assert np.mean([s["share_reached"] for s in slow]) < 0.4
    assert np.mean([s["share_reached"] for s in staffed]) > 0.9
    reached_only = [
        np.mean([s["mean_response_reached_min"] for s in runs]) for runs in (staffed, slow)
    ]
    assert reached_only[1] < reached_only[0]  # the old definition reverses the ranking
    for good, bad in zip(staffed, slow):  # paired by seed
        assert bad["mean_response_min"] > 2 * good["mean_response_min"]
        assert bad["p90_response_min"] > good["p90_response_min"]
        assert bad["total_harm"] > good["total_harm"]


def test_censored_mean_is_the_mean_with_the_end_for_the_unreached():
    r = simulate(Config().with_overrides({**SMALL, **SLOW}), seed=4)
    log, s = r.needs, r.summary()
    end = r.config.time.war_hours * 60
    reached = log["reached_min"].notna()
    assert 0 < reached.sum() < len(log)
    censored = log["reached_min"].fillna(end) - log["created_min"]
    assert s["mean_response_min"] == pytest.approx(censored.mean())
    assert s["mean_response_reached_min"] == pytest.approx(
        (log["reached_min"] - log["created_min"])[reached].mean()
    )
    assert s["share_reached"] == pytest.approx(reached.mean())
    assert s["p90_response_min"] == pytest.approx(np.percentile(censored, 90))


def test_dispatch_delay_covers_every_dispatched_need(staffed):
    r = simulate(Config().with_overrides(SMALL), seed=1)
    log, s = r.needs, r.summary()
    sent = log["dispatched_min"].notna()
    local = sent & ~(log["dispatched_min"] >= log["reported_min"])  # met before the report
    assert local.sum() > 0.3 * len(log)  # most of them would be left out by a report-based mean
    delay = (log["dispatched_min"] - log["detected_min"])[sent]
    assert (delay >= -1e-9).all()
    assert s["mean_dispatch_delay_min"] == pytest.approx(delay.mean())
    assert all(x["mean_dispatch_delay_min"] > 0 for x in staffed)


def test_preparedness_is_not_reported_after_the_emergency():
    """Nothing changes preparedness in wartime, so an 'after' value would only repeat the
    'before' one."""
    r = simulate(Config().with_overrides(SMALL | {"time.peace_days": 7}), seed=2)
    war = r.timeseries[r.timeseries["phase"] == "war"]
    assert war["mean_preparedness"].nunique() == 1
    assert "preparedness_after" not in r.summary() and "preparedness_after" not in OUTCOMES
    assert r.summary()["preparedness_before"] == pytest.approx(war["mean_preparedness"].iloc[0])


def test_attack_rate_is_nan_without_an_epidemic_and_a_share_with_one():
    s = simulate(Config().with_overrides(SMALL), seed=1).summary()
    assert math.isnan(s["attack_rate"])
    r = simulate(
        Config().with_overrides({**SMALL, "epidemic.enabled": True}), seed=1, keep_model=True
    )
    susceptible = r.model.residents.counts()[0]
    assert r.summary()["attack_rate"] == pytest.approx(1 - susceptible / r.n_residents)
    assert r.summary()["attack_rate"] > 0


# --- declarations ---------------------------------------------------------------------------


def test_every_outcome_is_declared_once_with_unit_label_and_direction():
    s = simulate(Config().with_overrides(SMALL), seed=1).summary()
    # every declared outcome (but a test plugin's, whose hazard is not in this run)
    assert list(s) == [k for k in OUTCOMES if k != "heat_checks_in_time"]
    for name, o in OUTCOMES.items():
        assert isinstance(o, Outcome) and o.name == name and o.unit and o.label
        assert o.higher_is_better in (True, False, None)
        assert o.derived_from is None or o.derived_from in OUTCOMES
    # not a transform of total_harm: life-threatening needs follow the survival curve
    assert OUTCOMES["casualty_proxy"].derived_from is None
    assert higher_is_better("residents_sheltered") is True
    assert all(
        higher_is_better(k) is False for k in ("total_harm", "mean_response_min", "attack_rate")
    )


def test_one_direction_lookup_serves_every_caller():
    """sim.outcomes.higher_is_better is what the report and robustness studies rank by."""
    from experiments import outcomes as oc
    from experiments.sweeps.robustness import ranked_outcome
    from sim.outcomes import higher_is_better

    for name, o in OUTCOMES.items():
        assert higher_is_better(name) is o.higher_is_better is oc.higher_is_better(name)
        if o.higher_is_better is not None:
            assert ranked_outcome(name) is o.higher_is_better
    assert higher_is_better("no_such_outcome") is None
    with pytest.raises(ValueError, match="total_harm"):
        ranked_outcome("needs_total")


# The F8 target (configs/targets/field.toml) reads the busy share in the hourly-step epidemic:
# the share must not depend on the step length, and must grow with the epidemic's load.
EPIDEMIC = {
    "population.n_residents": 3000,
    "time.peace_days": 1,
    "time.war_hours": 48.0,
    "flood.enabled": False,
    "fire.enabled": False,
    "epidemic.enabled": True,
    "routine.cases_per_1000_per_day": 0.0,
}


def test_busy_share_does_not_depend_on_the_step_length_and_grows_with_the_load():
    def busy(infected: int, step: float) -> float:
        over = {**EPIDEMIC, "epidemic.initial_infected": infected, "time.war_step_min": step}
        return simulate(Config().with_overrides(over), seed=1).summary()["responder_utilization"]

    heavy_hourly, heavy_fine = busy(1000, 60.0), busy(1000, 10.0)
    assert heavy_hourly > 0.05
    assert heavy_hourly == pytest.approx(heavy_fine, rel=0.2)
    assert busy(100, 60.0) < heavy_hourly


# --- hand-computed cases ---------------------------------------------------------------------


def test_casualties_of_needs_not_life_threatening_count_at_least_one_person_per_need():
    from sim.registry import need_code
    from sim.survival import need_deaths

    def casualties(harm, persons, lethality):
        response = (
            Config().with_overrides({"response.lethality_per_severe_hour": lethality}).response
        )
        n = len(harm)  # evacuations (not life-threatening) created at 0, never reached
        return need_deaths(
            np.zeros(n),
            np.full(n, np.nan),
            600.0,
            persons,
            np.full(n, need_code("evacuation")),
            harm,
            response,
        )

    harm, lethality = np.array([10.0, 10.0, 0.0]), 0.01
    got = casualties(harm, np.array([1.0, 0.5, 3.0]), lethality)
    one = 1 - np.exp(-0.1)
    assert got == pytest.approx([one, one, 0.0])  # half a person counts as one
    assert casualties(np.array([30.0]), np.array([3.0]), lethality)[0] == pytest.approx(
        3 * (1 - np.exp(-0.1))
    )


def test_handled_locally_counts_needs_sent_to_before_or_without_a_report():
    from sim.outcomes import handled_locally

    nan = np.nan
    dispatched = np.array([5.0, 20.0, 7.0, nan, 9.0])
    reported = np.array([10.0, 10.0, nan, 3.0, 9.0])
    # before its report, never reported (a local response): 2 of 5; at the same minute or
    # after: not local; never sent: not local.
    assert handled_locally(dispatched, reported) == pytest.approx(2 / 5)
    assert np.isnan(handled_locally(np.array([]), np.array([])))


def test_person_hours_are_responders_busy_hours_and_residents_pool_hours():
    r = simulate(
        Config().with_overrides({**SMALL, "organization.structure": "integrated_party"}),
        seed=2,
        keep_model=True,
    )
    m = r.model
    ro, end = m.roster, m.minute
    busy = ro.busy_min + np.where(np.isin(ro.status, (1, 2)), end - ro.busy_since, 0.0)
    pool = m.engine.total(Sum.POOL_MINUTES)
    assert pool > 0 and r.summary()["person_hours"] == pytest.approx(
        (busy[ro.on_roster].sum() + pool) / 60
    )
