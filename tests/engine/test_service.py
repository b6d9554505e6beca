"""Arrival, service, rest, residents' pools and incident sites (sim/engine/service.py)."""

from __future__ import annotations

import kernels
import numpy as np
import pytest
from conftest import war_model

from sim.codes import ARRIVALS, COMMUNITY_CADRE, DETECTED, IDLE, RESOLVED, RESTING, VOLUNTEER
from sim.engine.state import Count, Par, Sum
from sim.registry import need_code

EVACUATION, RESCUE = need_code("evacuation"), need_code("rescue")


def test_service_minutes_fall_with_skill_and_cohesion_and_rise_with_a_mismatch():
    m = war_model(
        **{
            "response.skill_effort_gain": 0.4,
            "response.cohesion_effort_gain": 0.25,
            "response.skill_mismatch_factor": 1.6,
        }
    )
    ro, eng = m.roster, m.engine
    cadre = int(np.flatnonzero(ro.role == COMMUNITY_CADRE)[0])
    ro.skill_level[cadre] = 0.5
    m.place.cohesion[ro.community[cadre]] = 0.4
    general = kernels.need(eng.N, 0.0, 0, EVACUATION, 0, 0.5, 100.0, 1.0, 1.0)
    rescue = kernels.need(eng.N, 0.0, 0, RESCUE, 0, 0.5, 100.0, 1.0, 1.0)
    team = 1 - 0.25 * 0.4
    assert kernels.service_min(eng.N, eng.R, eng.W, eng.P, cadre, general) == pytest.approx(
        100.0 * (1 - 0.4 * 0.5) * team
    )
    assert kernels.service_min(eng.N, eng.R, eng.W, eng.P, cadre, rescue) == pytest.approx(
        100.0 * (1 - 0.4 * 0.5) * 1.6 * team
    )


def test_a_responder_rests_after_its_shift_and_comes_back():
    m = war_model(
        **{
            "organization.shift_hours": 1.0,
            "organization.rest_hours": 2.0,
            "volunteers.team_size_per_1000": 0.0,
        }
    )
    ro, eng = m.roster, m.engine
    r = int(np.flatnonzero(ro.role == COMMUNITY_CADRE)[0])
    ro.active_from[:] = np.inf
    ro.active_from[r] = 0.0
    i = kernels.need(eng.N, 0.0, 0, EVACUATION, 0, 0.5, 200.0, 1.0, 1.0)
    eng.N.state[i] = DETECTED
    kernels.assign(eng.N, eng.R, eng.W, eng.Q, eng.P, i, 0.0, -1)
    kernels.run_until(eng.N, eng.R, eng.W, eng.Rs, eng.Q, eng.P, eng.S, 2000.0)
    done = eng.N.resolved[i]
    assert eng.N.state[i] == RESOLVED and ro.shift_min[r] == 0.0 and ro.status[r] == IDLE
    assert ro.busy_min[r] == pytest.approx(done)  # travel and service, from minute 0
    m2 = war_model(
        **{
            "organization.shift_hours": 1.0,
            "organization.rest_hours": 2.0,
            "volunteers.team_size_per_1000": 0.0,
        }
    )
    ro2, eng2 = m2.roster, m2.engine
    ro2.active_from[:] = np.inf
    ro2.active_from[r] = 0.0
    i = kernels.need(eng2.N, 0.0, 0, EVACUATION, 0, 0.5, 200.0, 1.0, 1.0)
    eng2.N.state[i] = DETECTED
    kernels.assign(eng2.N, eng2.R, eng2.W, eng2.Q, eng2.P, i, 0.0, -1)
    kernels.run_until(eng2.N, eng2.R, eng2.W, eng2.Rs, eng2.Q, eng2.P, eng2.S, done + 1.0)
    assert ro2.status[r] == RESTING  # worked over an hour: rests
    kernels.run_until(eng2.N, eng2.R, eng2.W, eng2.Rs, eng2.Q, eng2.P, eng2.S, done + 120.0 + 1.0)
    assert ro2.status[r] == IDLE and ro2.shift_min[r] == 0.0


@pytest.mark.parametrize(
    ("worked_h", "trip_min", "expected"),
    [
        (0.0, 30.0, 1.0),
        (7.5, 30.0, 1.0),
        (8.0, 30.0, 1.0 + 0.1 * 0.5),
        (10.0, 0.0, 1.0 + 0.1 * 2),
        (11.5, 30.0, 1.0 + 0.1 * 4),
    ],
)
def test_fatigue_grows_with_each_hour_worked_past_the_threshold(worked_h, trip_min, expected):
    """1 + rate x (hours worked since the last rest, this trip included, - threshold)."""
    m = war_model(**{"organization.fatigue_per_hour": 0.1, "organization.fatigue_after_hours": 8.0})
    ro, eng = m.roster, m.engine
    r = int(np.flatnonzero(ro.role == COMMUNITY_CADRE)[0])
    eng.Q.worked[r], ro.busy_since[r] = worked_h * 60, 100.0
    assert kernels.fatigue(ro, eng.Q, eng.P, r, 100.0 + trip_min) == pytest.approx(expected)


def _tired_arrival(idle_min: float, fatigue_per_hour: float = 0.1):
    """A cadre who worked 9 hours, then was idle `idle_min` minutes from minute 0, then
    travelled 60 minutes to a need: the minute its service ends, and its plain service."""
    m = war_model(
        **{
            "organization.fatigue_per_hour": fatigue_per_hour,
            "organization.fatigue_after_hours": 8.0,
            "organization.rest_hours": 6.0,
            "space.shelters_per_community": 0,
        }
    )
    ro, eng = m.roster, m.engine
    r = int(np.flatnonzero(ro.role == COMMUNITY_CADRE)[0])
    i = kernels.need(eng.N, 0.0, 0, EVACUATION, 0, 0.5, 100.0, 1.0, 1.0)
    eng.N.state[i] = DETECTED
    kernels.mark_dispatched(eng.N, eng.Q, eng.P, i, idle_min, 0.0)
    eng.Q.worked[r], eng.Q.idle_from[r], ro.busy_since[r] = 9 * 60.0, 0.0, idle_min
    base = kernels.service_min(eng.N, eng.R, eng.W, eng.P, r, i)
    kernels.arrive(eng.N, eng.R, eng.W, eng.Q, eng.P, idle_min + 60.0, r, i)
    times, slots = kernels.empty_times()
    k = kernels.pop_all(eng.Q, times, slots)
    return times[:k], idle_min + 60.0, base, eng


def test_a_tired_responder_serves_longer_and_the_factor_is_counted():
    times, arrived, base, eng = _tired_arrival(idle_min=30.0)
    assert np.abs(times - (arrived + base * 1.2)).min() < 1e-9  # 10 h worked: 2 past 8
    assert eng.Q.counts[Count.SERVICES] == 1
    assert eng.Q.sums[Sum.FATIGUE] == pytest.approx(1.2)


def test_an_idle_spell_as_long_as_a_rest_is_a_rest_for_fatigue():
    times, arrived, base, eng = _tired_arrival(idle_min=6 * 60.0)
    assert np.abs(times - (arrived + base)).min() < 1e-9  # only the hour's trip: fresh
    assert eng.Q.sums[Sum.FATIGUE] == 1.0


def test_without_fatigue_service_is_as_before():
    times, arrived, base, eng = _tired_arrival(idle_min=30.0, fatigue_per_hour=0.0)
    assert np.abs(times - (arrived + base)).min() < 1e-9


def test_pooled_helpers_escort_evacuees_and_walk_back_before_they_are_free_again():
    m = war_model(
        **{"organization.structure": "integrated_party", "space.shelters_per_community": 1}
    )
    eng = m.engine
    ro = m.roster
    ro.active_from[:] = np.inf  # no one else: the grid's party members take it
    g = 0
    eng.Q.party_free[:] = 0
    eng.Q.party_free[g] = 1
    i = kernels.need(
        eng.N, 100.0, g, EVACUATION, int(m.residents.grid_start[g]), 0.3, 60.0, 1.0, 1.0
    )
    kernels.detected(eng.N, eng.R, eng.W, eng.Rs, eng.Q, eng.P, eng.S, 100.0, i, 0)
    assert eng.Q.party_free[g] == 0
    back, _ = kernels.escort(eng.N, eng.W, i)
    assert back > 0
    arrive = 100.0 + eng.P[Par.GRID_DELAY] + eng.P[Par.LOCAL_TRAVEL]
    free_again = arrive + 60.0 + back + back  # served, escorted, walked back
    kernels.run_until(eng.N, eng.R, eng.W, eng.Rs, eng.Q, eng.P, eng.S, free_again - 0.01)
    assert eng.N.reached[i] == arrive and eng.N.resolved[i] == pytest.approx(arrive + 60 + back)
    assert eng.Q.party_free[g] == 0  # still walking back
    kernels.run_until(eng.N, eng.R, eng.W, eng.Rs, eng.Q, eng.P, eng.S, free_again + 0.01)
    assert eng.Q.party_free[g] == 1 and eng.Q.counts[Count.PARTY] == 1
    assert eng.Q.sums[2] == pytest.approx(60.0 + 2 * back)  # pool minutes


def test_a_grid_with_enough_open_needs_gets_one_temporary_party_organization():
    m = war_model(**{"response.temp_org_min_needs": 3})
    eng = m.engine
    for g, k in ((0, 3), (1, 2)):
        for _ in range(k):
            i = kernels.need(
                eng.N, 0.0, g, EVACUATION, int(m.residents.grid_start[g]), 0.3, 60.0, 1.0, 1.0
            )
            eng.N.state[i] = DETECTED
    kernels.sites(eng.N, eng.W, eng.Q, eng.P, eng.S, 10.0)
    assert eng.Q.temp_org_at.tolist()[:2] == [True, False]
    assert eng.Q.counts[Count.TEMP_ORGS] == 1 and list(eng.new_sites) == [0]
    kernels.sites(eng.N, eng.W, eng.Q, eng.P, eng.S, 20.0)
    assert eng.Q.counts[Count.TEMP_ORGS] == 1 and len(eng.new_sites) == 0  # once per grid


@pytest.mark.parametrize("site", [True, False])
def test_a_needless_trip_is_redirected_by_the_temporary_party_organization_on_site(site):
    """A responder arriving at a need someone else met: with a temporary party organization
    in the grid it is sent at once to the first-found need still waiting there; without
    one it loses the duplicate visit's minutes and waits for the need's report to reach the
    deciding unit."""
    m = war_model(
        **{
            "volunteers.team_size_per_1000": 0.0,
            "volunteers.spontaneous_share": 0.0,
            "organization.structure": "integrated",
            "response.initiative_base": 0.0,
            "organization.fault_tolerance": 0.0,
            "reporting.loss_per_level": 0.0,
        }
    )
    ro, eng = m.roster, m.engine
    r = int(np.flatnonzero(ro.role == COMMUNITY_CADRE)[0])
    ro.active_from[:] = np.inf
    ro.active_from[r] = 0.0
    met, waiting = (
        kernels.need(eng.N, 0.0, 0, EVACUATION, 0, 0.3, 60.0, 1.0, 1.0) for _ in range(2)
    )
    for i in (met, waiting):
        kernels.detected(eng.N, eng.R, eng.W, eng.Rs, eng.Q, eng.P, eng.S, 0.0, i, 0)
    eng.Q.temp_org_at[0] = site
    kernels.assign(eng.N, eng.R, eng.W, eng.Q, eng.P, met, 0.0, -1)
    arrival = m.township.travel[ro.home_node[r], 0] + eng.P[Par.LOCAL_TRAVEL]
    eng.N.state[met] = RESOLVED  # someone else met it meanwhile
    kernels.run_until(eng.N, eng.R, eng.W, eng.Rs, eng.Q, eng.P, eng.S, 1.0e4)
    if site:
        assert eng.N.dispatched[waiting] == pytest.approx(arrival)
    else:
        assert eng.N.dispatched[waiting] >= arrival + eng.P[Par.DUPLICATE_VISIT]
    assert eng.N.state[waiting] == RESOLVED


# --- who reached each need first ---------------------------------------------------------------


def _detect_needs(m, k: int, t: float = 60.0) -> list[int]:
    """k evacuations found at minute t (after the party organizations' switch), grid by
    grid."""
    eng = m.engine
    ids = []
    for j in range(k):
        g = j % m.township.n_grids
        i = kernels.need(
            eng.N, t, g, EVACUATION, int(m.residents.grid_start[g]) + j, 0.5, 30.0, 1.0, 1.0
        )
        kernels.detected(eng.N, eng.R, eng.W, eng.Rs, eng.Q, eng.P, eng.S, t, i, 0)
        ids.append(i)
    return ids


def test_where_only_volunteers_respond_every_first_arrival_is_a_volunteer():
    m = war_model(
        **{
            "organization.structure": "integrated",
            "volunteers.spontaneous_share": 0.0,
            "volunteers.team_size_per_1000": 10.0,
        }
    )
    ro, eng = m.roster, m.engine
    ro.active_from[ro.role != VOLUNTEER] = np.inf  # cadres and unit staff do not come
    assert (ro.on_roster & (ro.role == VOLUNTEER)).sum() >= 10
    ids = _detect_needs(m, 12)
    kernels.run_until(eng.N, eng.R, eng.W, eng.Rs, eng.Q, eng.P, eng.S, 3000.0)
    assert np.all(eng.N.state[ids] == RESOLVED)
    assert set(eng.N.first_by[ids]) == {ARRIVALS.index("team_volunteer")}


@pytest.mark.parametrize(
    "pool,name", [("party", "party_member"), ("spontaneous", "spontaneous_volunteer")]
)
def test_a_grid_s_own_helpers_are_its_first_arrivals(pool, name):
    m = war_model(**{"organization.structure": "integrated_party"})
    ro, eng = m.roster, m.engine
    ro.active_from[:] = np.inf  # no responder of the roster: only the grid's own residents
    eng.Q.party_free[:] = 1 if pool == "party" else 0
    if pool == "spontaneous":
        eng.Q.spont_opened[:] = True  # opened, with one neighbour ready in each grid
        eng.Q.spont_free[:] = 1
    ids = _detect_needs(m, m.township.n_grids)
    kernels.run_until(eng.N, eng.R, eng.W, eng.Rs, eng.Q, eng.P, eng.S, 600.0)
    assert np.all(eng.N.state[ids] == RESOLVED)
    assert set(eng.N.first_by[ids]) == {ARRIVALS.index(name)}


def test_the_first_arrival_is_kept_when_a_duplicate_arrives_later():
    m = war_model(**{"organization.structure": "integrated"})
    ro, eng = m.roster, m.engine
    cadres = np.flatnonzero(ro.on_roster & (ro.role == COMMUNITY_CADRE))
    ro.active_from[:] = np.inf
    ro.active_from[cadres[:2]] = 0.0
    i = kernels.need(eng.N, 0.0, 0, EVACUATION, 0, 0.5, 60.0, 1.0, 1.0)
    eng.N.state[i] = DETECTED
    kernels.assign(eng.N, eng.R, eng.W, eng.Q, eng.P, i, 0.0, -1)
    kernels.run_until(eng.N, eng.R, eng.W, eng.Rs, eng.Q, eng.P, eng.S, 1.0)
    kernels.assign(eng.N, eng.R, eng.W, eng.Q, eng.P, i, 1.0, -1)  # a second one, too late
    kernels.run_until(eng.N, eng.R, eng.W, eng.Rs, eng.Q, eng.P, eng.S, 600.0)
    assert eng.N.n_dispatches[i] == 2 and eng.N.state[i] == RESOLVED
    assert eng.N.first_by[i] == ARRIVALS.index("community_cadre")
