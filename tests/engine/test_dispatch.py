"""Decisions and who is sent (sim/engine/dispatch.py), on hand-placed needs: the priority
and its cap, the deciding unit's choice of responder (and its tie-break), an idle
responder's choice of need (and its tie-break), the news of local responses that decides
whether a late report is dispatched again, and the nearest-first search compared with a
scan of every responder."""

from __future__ import annotations

import math

import kernels
import numpy as np
import pytest
from conftest import war_model
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.codes import DETECTED, DISPATCHED, GENERAL, IDLE, REPORTED, TRAVELLING
from sim.engine.state import Count, Par
from sim.registry import need_code

EVACUATION = need_code("evacuation")


def place_need(m, grid=0, severity0=0.5, weight=1.0, created=0.0, kind=EVACUATION):
    eng = m.engine
    return kernels.need(
        eng.N, created, grid, kind, int(m.residents.grid_start[grid]), severity0, 60.0, weight, 1.0
    )


def only(m, *responders):
    """Every other responder off duty; these idle at their home nodes."""
    ro = m.roster
    ro.active_from[:] = np.inf
    for r in responders:
        ro.active_from[r], ro.status[r], ro.node[r] = 0.0, IDLE, ro.home_node[r]


def test_priority_is_severity_capped_at_one_times_the_weight():
    m = war_model(**{"response.deterioration_per_hour": 0.15})
    i = place_need(m, severity0=0.9, weight=2.5)
    p = m.engine.P
    assert kernels.priority(m.engine.N, p, i, 30.0) == pytest.approx((0.9 + 0.075) * 2.5)
    assert kernels.priority(m.engine.N, p, i, 120.0) == pytest.approx(1.0 * 2.5)  # capped
    assert kernels.priority(m.engine.N, p, i, 600.0) == pytest.approx(2.5)


def volunteers_at_one_node(m, k=2):
    ro = m.roster
    vols = np.flatnonzero(ro.anywhere & (ro.skill == GENERAL))[:k]
    node = int(ro.home_node[vols[0]])
    only(m, *vols)
    ro.node[vols] = node
    return vols, node


@pytest.mark.parametrize("first_seen", ["lower", "higher"])
def test_of_equally_near_responders_the_lowest_index_goes(first_seen):
    m = war_model()
    (low, high), node = volunteers_at_one_node(m)
    ro = m.roster
    for r in (low, high):
        kernels.bucket_remove(ro, r)
    for r in (high, low) if first_seen == "lower" else (low, high):  # the last added is
        kernels.bucket_add(ro, m.place, r)  # seen first
    i = place_need(m, grid=0)
    eng = m.engine
    assert kernels.assign(eng.N, eng.R, eng.W, eng.Q, eng.P, i, 0.0, -1)
    assert ro.need[low] == i and ro.status[low] == TRAVELLING
    assert ro.status[high] == IDLE and ro.need[high] == -1


def test_a_skill_mismatch_counts_as_its_extra_effort():
    """A rescue: a matched responder farther away is preferred to a mismatched one nearer,
    while the extra effort of the mismatch exceeds the extra minutes."""
    m = war_model(
        **{
            "response.skill_mismatch_factor": 1.6,
            "population.n_residents": 6000,
            "population.grids_per_community": 6,
        }
    )
    ro, tw = m.roster, m.township
    rescuer = np.flatnonzero(ro.anywhere & ro.professional & (ro.skill == 1))[0]
    other = np.flatnonzero(ro.anywhere & (ro.skill == GENERAL))[0]
    only(m, rescuer, other)
    ro.node[other] = 0
    far = int(np.argmax(tw.travel[0, : tw.n_grids]))
    ro.node[rescuer] = far
    eng = m.engine
    i = kernels.need(eng.N, 0.0, 0, need_code("rescue"), 0, 0.5, 180.0, 1.0, 1.0)
    extra = 0.6 * 180.0
    assert tw.travel[far, 0] < extra  # the farther specialist still arrives "sooner"
    kernels.assign(eng.N, eng.R, eng.W, eng.Q, eng.P, i, 0.0, -1)
    assert ro.need[rescuer] == i


@pytest.mark.parametrize("listed", ["oldest first", "newest first"])
def test_of_equally_urgent_waiting_needs_the_oldest_is_taken(listed):
    m = war_model()
    ro = m.roster
    r = int(np.flatnonzero(ro.anywhere & (ro.skill == GENERAL))[0])
    only(m)
    g = int(ro.home_node[r]) if ro.home_node[r] < m.township.n_grids else 0
    old, new = place_need(m, grid=g), place_need(m, grid=g)
    eng = m.engine
    c = int(m.township.grid_community[g])
    for i in (old, new) if listed == "oldest first" else (new, old):
        eng.N.state[i] = REPORTED
        kernels.add_pending(eng.N, eng.Q, eng.P, c, i, 0.0)
    ro.active_from[r], ro.status[r], ro.node[r] = 0.0, IDLE, g
    kernels.pick(eng.N, eng.R, eng.W, eng.Q, eng.P, eng.S, 0.0, r)
    assert ro.need[r] == old


def test_a_more_urgent_need_is_taken_before_a_nearer_one():
    m = war_model(**{"population.n_residents": 6000, "population.grids_per_community": 6})
    ro, tw = m.roster, m.township
    r = int(np.flatnonzero(ro.anywhere & (ro.skill == GENERAL))[0])
    only(m, r)
    ro.node[r] = 0
    far = int(np.argmax(tw.travel[0, : tw.n_grids]))
    near_need, far_need = (
        place_need(m, grid=0, severity0=0.2),
        place_need(m, grid=far, severity0=0.8),
    )
    eng = m.engine
    ro.status[r] = TRAVELLING  # busy while the needs are reported
    for i in (near_need, far_need):
        eng.N.state[i] = REPORTED
        kernels.add_pending(eng.N, eng.Q, eng.P, int(tw.grid_community[eng.N.grid[i]]), i, 0.0)
    ro.status[r] = IDLE
    kernels.pick(eng.N, eng.R, eng.W, eng.Q, eng.P, eng.S, 0.0, r)
    assert ro.need[r] == far_need


def test_news_of_a_local_response_reaches_the_deciding_unit_after_its_delay():
    """A local response at minute 100 is told to the grid manager after the news delay,
    then climbs the route's offices: a report decided before that dispatches again."""
    m = war_model(
        **{
            "reporting.mechanism": "direct",
            "reporting.local_news_delay_min": 15.0,
            "reporting.grid_delay_min": 2.0,
            "reporting.command_delay_min": 5.0,
        }
    )
    eng = m.engine
    i = place_need(m)
    eng.N.state[i] = DETECTED
    kernels.mark_dispatched(eng.N, eng.Q, eng.P, i, 100.0, math.nan)
    assert eng.N.news_at[i] == 115.0 and eng.N.state[i] == DISPATCHED
    heard = 115.0 + kernels.news_minutes(eng.Q, eng.P, 115.0)
    assert heard == 115.0 + 2.0 + 5.0  # the command convened at minute 60
    assert not kernels.knows_covered(eng.N, eng.Q, eng.P, i, heard - 0.5)
    assert kernels.knows_covered(eng.N, eng.Q, eng.P, i, heard)
    # A report arriving before the news: a duplicated dispatch.
    before = int(eng.Q.counts[Count.DUPLICATES])
    kernels.decide(eng.N, eng.R, eng.W, eng.Q, eng.P, heard - 0.5, i)
    assert eng.Q.counts[Count.DUPLICATES] == before + 1 and eng.N.n_dispatches[i] == 2


def test_joint_meetings_and_grid_autonomy_know_local_responses_at_once():
    for mechanism in ("joint_meeting", "grid_autonomy"):
        m = war_model(**{"reporting.mechanism": mechanism})
        eng = m.engine
        i = place_need(m)
        eng.N.state[i] = DETECTED
        kernels.mark_dispatched(eng.N, eng.Q, eng.P, i, 100.0, math.nan)
        assert kernels.knows_covered(eng.N, eng.Q, eng.P, i, 100.0)


def test_an_escort_ends_at_the_grid_s_nearest_shelter():
    m = war_model(
        **{
            "space.shelters_per_community": 3,
            "population.n_residents": 6000,
            "population.grids_per_community": 3,
        }
    )
    tw, eng = m.township, m.engine
    shelters = np.array(tw.shelter_nodes)
    for g in range(tw.n_grids):
        i = place_need(m, grid=g)
        minutes, shelter = kernels.escort(eng.N, eng.W, i)
        assert minutes == tw.travel[g, shelters].min()
        assert shelter == shelters[tw.travel[g, shelters].argmin()]
    supply = kernels.need(eng.N, 0.0, 0, need_code("supply"), 0, 0.5, 60.0, 1.0, 1.0)
    assert kernels.escort(eng.N, eng.W, supply) == (0.0, -1)


@settings(max_examples=25, deadline=None)
@given(
    seed=st.integers(1, 10_000),
    busy=st.floats(0.0, 0.9),
    moved=st.floats(0.0, 1.0),
    kind=st.sampled_from(["evacuation", "rescue", "supply"]),
)
def test_nearest_first_search_finds_what_a_scan_of_everyone_finds(seed, busy, moved, kind):
    """The deciding unit's choice (the need's community's own responders, then those who
    may go anywhere, community by community nearest first) equals the best of a scan of
    every candidate: soonest arrival, a mismatch counting its extra effort, lowest index."""
    m = war_model(seed, **{"population.n_residents": 12_000, "population.grids_per_community": 3})
    ro, tw, eng = m.roster, m.township, m.engine
    rng = np.random.default_rng(seed)
    for r in np.flatnonzero(ro.on_roster):
        if rng.random() < moved and ro.anywhere[r]:  # idle somewhere else
            kernels.bucket_remove(ro, r)
            ro.node[r] = int(rng.integers(tw.n_nodes))
            kernels.bucket_add(ro, m.place, r)
        if rng.random() < busy:
            kernels.bucket_remove(ro, r)
            ro.status[r] = TRAVELLING
    g = int(rng.integers(tw.n_grids))
    i = kernels.need(
        eng.N, 0.0, g, need_code(kind), int(m.residents.grid_start[g]), 0.5, 90.0, 1.0, 1.0
    )
    c = int(tw.grid_community[g])
    skill = eng.N.type_skill[need_code(kind)]
    extra = (eng.P[Par.MISMATCH_FACTOR] - 1.0) * 90.0
    fixed = ro.fixed_idx[ro.fixed_ptr[c] : ro.fixed_ptr[c + 1]]
    cands = np.union1d(fixed, np.flatnonzero(ro.anywhere & ro.dispatchable))
    cands = cands[(ro.status[cands] == IDLE) & (ro.active_from[cands] <= 0.0)]
    score = tw.travel[ro.node[cands], g] + np.where(
        (skill != GENERAL) & (ro.skill[cands] != skill), extra, 0.0
    )
    expected = cands[np.flatnonzero(score == score.min())[0]] if len(cands) else -1
    sent = kernels.assign(eng.N, eng.R, eng.W, eng.Q, eng.P, i, 0.0, -1)
    assert sent == (expected >= 0)
    if sent:
        assert ro.need[expected] == i
