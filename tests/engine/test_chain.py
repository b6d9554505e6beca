"""The reporting chain (sim/engine/chain.py): offices as multi-server queues, the routes of
the mechanisms before and after the front-line command convenes, and the news delay; what
each level knows, loses and holds back (sim/engine/distortion.py)."""

from __future__ import annotations

import math

import kernels
import numpy as np
import pytest
from conftest import bare_loop, call_loop, war_model
from hypothesis import given, settings
from hypothesis import strategies as st

from sim import rng
from sim.codes import COMMAND, COMMUNITY, CREATED, DETECTED, DISTRICT, GRID, TOWNSHIP
from sim.engine.state import STREET, Count, Level, Par, office_rows
from sim.registry import MECHANISMS
from sim.rng import exponential


def test_an_office_with_enough_handlers_only_adds_its_delay():
    q = bare_loop([5], delay=7.0)
    assert [kernels.admit(q, 0, 3.0) for _ in range(5)] == [10.0] * 5


@pytest.mark.parametrize("k", [1, 2, 5, 9])
def test_one_handler_serves_simultaneous_reports_in_turn(k):
    q = bare_loop([1], delay=4.0)
    assert [kernels.admit(q, 0, 10.0) for _ in range(k)] == [
        10.0 + 4.0 * j for j in range(1, k + 1)
    ]


def test_c_handlers_serve_in_batches_of_c():
    q = bare_loop([3], delay=5.0)
    assert [kernels.admit(q, 0, 0.0) for _ in range(8)] == [5.0] * 3 + [10.0] * 3 + [15.0] * 2


def test_an_office_is_closed_until_it_opens():
    q = bare_loop([2], delay=10.0, opens=30.0)
    assert [kernels.admit(q, 0, t) for t in (0.0, 5.0, 6.0, 100.0)] == [40.0, 40.0, 50.0, 110.0]


@settings(max_examples=100, deadline=None)
@given(
    gaps=st.lists(st.floats(0.0, 20.0), min_size=1, max_size=50),
    handlers=st.integers(1, 6),
    delay=st.floats(0.0, 30.0),
)
def test_an_office_is_a_fifo_multi_server_queue(gaps, handlers, delay):
    """FIFO with c servers and equal service: the j-th report starts when it arrives or when
    report j-c leaves, whichever is later (D/D/c recurrence)."""
    arrivals = np.cumsum(gaps)
    q = bare_loop([handlers], delay=delay)
    leave = [kernels.admit(q, 0, float(t)) for t in arrivals]
    expected: list[float] = []
    for j, t in enumerate(arrivals):
        start = max(t, expected[j - handlers]) if j >= handlers else t
        expected.append(start + delay)
    assert leave == pytest.approx(expected, rel=1e-12, abs=1e-9)


ROUTES = {
    "hierarchical": ([GRID, COMMUNITY, TOWNSHIP], [GRID, COMMUNITY, TOWNSHIP]),
    "direct": ([GRID, TOWNSHIP], [GRID, COMMAND]),
    "joint_meeting": ([GRID], [GRID, COMMAND]),
    "grid_autonomy": ([GRID], [GRID]),
}


@pytest.mark.parametrize("mechanism", list(ROUTES))
def test_each_mechanism_routes_through_its_offices(mechanism):
    m = war_model(**{"reporting.mechanism": mechanism})
    q, p = m.engine.Q, m.engine.P
    convened = p[Par.COMMAND_ACTIVE]
    for before_after, t in zip(ROUTES[mechanism], (convened - 1.0, convened)):
        offices = []
        while (office := kernels.route(q, p, len(offices), t)) >= 0:
            offices.append(office)
        assert offices == before_after, (t, offices)


@pytest.mark.parametrize("levels", [1, 2, 3, 4, 5])
def test_hierarchical_climbs_as_many_offices_as_levels(levels):
    m = war_model(**{"reporting.mechanism": "hierarchical", "reporting.levels": levels})
    offices = []
    while (office := kernels.route(m.engine.Q, m.engine.P, len(offices), 0.0)) >= 0:
        offices.append(office)
    assert (
        offices == [GRID, COMMUNITY, TOWNSHIP, DISTRICT, DISTRICT + 1, DISTRICT + 2][: levels + 1]
    )


def test_news_takes_each_office_s_handling_minutes():
    """The notice of a local response climbs the route without queueing: the sum of the
    handling minutes of its offices, as the route is when it is sent."""
    m = war_model(
        **{
            "reporting.mechanism": "direct",
            "reporting.grid_delay_min": 3.0,
            "reporting.township_delay_min": 11.0,
            "reporting.command_delay_min": 4.0,
        }
    )
    q, p = m.engine.Q, m.engine.P
    convened = p[Par.COMMAND_ACTIVE]
    assert kernels.news_minutes(q, p, convened - 1.0) == 3.0 + 11.0
    assert kernels.news_minutes(q, p, convened) == 3.0 + 4.0


def test_office_rows_cover_every_office_once():
    rows = office_rows(5, 2)
    assert sorted(rows.values()) == list(range(5, 5 + 2 + 5)) or rows[GRID] == 0
    assert rows[COMMUNITY] == 5 and rows[TOWNSHIP] == 7 and rows[COMMAND] == 8
    assert [rows[DISTRICT + k] for k in range(3)] == [9, 10, 11]
    assert set(MECHANISMS) == set(ROUTES)
    assert math.isinf(war_model(**{"organization.front_line_command": False}).engine.command_active)


# --- holding back bad news, and what each level knows (sim/engine/distortion.py) -------------


def _report(m, severity0: float, t: float = 0.0) -> int:
    """A need found at minute t whose report starts up the chain (no one to send to it)."""
    eng = m.engine
    m.roster.active_from[:] = np.inf
    i = kernels.need(eng.N, t, 0, 0, int(m.residents.grid_start[0]), severity0, 60.0, 1.0, 1.0)
    eng.N.state[i], eng.N.detected[i] = DETECTED, t
    eng.N.by_state[CREATED] -= 1
    eng.N.by_state[DETECTED] += 1
    kernels.send(eng.N, eng.R, eng.W, eng.Q, eng.P, eng.S, t, i, 0)
    return i


def _run(m, t: float = 10_000.0) -> None:
    eng = m.engine
    kernels.run_until(eng.N, eng.R, eng.W, eng.Rs, eng.Q, eng.P, eng.S, t)


HIERARCHY = {
    "reporting.mechanism": "hierarchical",
    "reporting.levels": 2,
    "reporting.loss_per_level": 0.0,
    "reporting.grid_delay_min": 2.0,
    "reporting.community_delay_min": 10.0,
    "reporting.township_delay_min": 10.0,
    "organization.cadre_switch_min": 30.0,
    "reporting.withhold_mean_min": 300.0,
}


def test_a_community_holding_back_a_severe_report_delays_what_the_township_knows():
    """Grid (2 min) -> community (10 min) -> township (10 min, open from minute 30, decides).
    Held back for certain, the report leaves the community at 12 + E, E the exponential
    drawn from the holding-back stream; the township, which decides, does not hold back."""
    m = war_model(**HIERARCHY)
    eng = m.engine
    eng.P[Par.WITHHOLD] = 1.0
    s = eng.Q.distortion.copy()
    rng.random(s)  # the draw that decides
    held = rng.exponential(s, 300.0)
    i = _report(m, 0.8)
    _run(m)
    assert eng.N.reported[i] == max(12.0 + held, 30.0) + 10.0
    levels = eng.Q.levels
    assert levels[[GRID, COMMUNITY, TOWNSHIP], Level.KNOWN].tolist() == [1, 1, 1]
    assert levels[[GRID, COMMUNITY, TOWNSHIP], Level.KNOWN_LAG].tolist() == [0.0, 2.0, 12.0 + held]
    assert levels[:, Level.WITHHELD].tolist() == [0, 1, 0, 0, 0, 0, 0]
    assert levels[COMMUNITY, Level.PASSED_MIN] == 10.0 + held
    assert eng.N.levels_withheld[i] == 1 << COMMUNITY
    assert eng.N.levels_known[i] == (1 << GRID) | (1 << COMMUNITY) | (1 << TOWNSHIP)
    assert eng.Q.counts[Count.SEVERE_REPORTED] == 1


def test_only_severe_needs_are_held_back_and_only_on_their_way_up():
    """A need below the severe threshold goes through in 2 + 10, then waits for the township
    office to open (30) and takes its 10; with direct reporting the township decides, so
    nothing is held back even for certain."""
    m = war_model(**HIERARCHY)
    m.engine.P[Par.WITHHOLD] = 1.0
    before = m.engine.Q.distortion.copy()
    i = _report(m, 0.3)
    _run(m)
    assert m.engine.N.reported[i] == 40.0
    assert (m.engine.Q.distortion == before).all()  # no draw for good news
    assert m.engine.Q.levels[:, Level.KNOWN].sum() == 0  # not severe: not counted
    direct = war_model(**{**HIERARCHY, "reporting.mechanism": "direct"})
    direct.engine.P[Par.WITHHOLD] = 1.0
    j = _report(direct, 0.9)
    _run(direct, 50.0)  # before the command convenes: grid -> township, which decides
    assert direct.engine.N.reported[j] == 40.0
    assert direct.engine.Q.levels[:, Level.WITHHELD].sum() == 0


def test_lost_reports_are_counted_at_the_level_they_were_going_into():
    m = war_model(**{**HIERARCHY, "reporting.loss_per_level": 1.0, "reporting.max_resends": 2})
    _report(m, 0.8)
    _run(m)
    levels = m.engine.Q.levels
    assert levels[:, Level.LOST].tolist() == [0, 3, 0, 0, 0, 0, 0]  # sent three times
    assert levels[COMMUNITY, Level.KNOWN] == 0 and levels[GRID, Level.KNOWN] == 1


def test_the_chance_of_holding_back_multiplies_blame_and_is_cut_by_tolerance_and_inspection():
    from conftest import QUIET

    from sim import Config, GrassrootsModel
    from sim.engine import withhold_chance

    cfg = Config().with_overrides(
        {
            "reporting.withhold_per_level": 0.2,
            "organization.blame_for_bad_news": 2.0,
            "organization.fault_tolerance": 0.5,
            "organization.fault_tolerance_initiative_gain": 0.5,
            "organization.front_line_inspection": 0.25,
        }
    )
    assert withhold_chance(cfg) == pytest.approx(0.2 * 2.0 * (1 - 0.25) * (1 - 0.25))
    assert withhold_chance(cfg.with_overrides({"organization.blame_for_bad_news": 0.0})) == 0
    assert withhold_chance(cfg.with_overrides({"organization.front_line_inspection": 1.0})) == 0
    assert (
        withhold_chance(
            cfg.with_overrides(
                {"organization.blame_for_bad_news": 5.0, "reporting.withhold_per_level": 1.0}
            )
        )
        == 1.0
    )
    m = GrassrootsModel(
        Config().with_overrides(
            {**QUIET, "time.peace_days": 1, "reporting.withhold_per_level": 0.2}
        ),
        rng=1,
    )
    assert m.routine.engine.P[Par.WITHHOLD] == 0.0  # routine work: none
    m.run()
    assert m.engine.P[Par.WITHHOLD] == pytest.approx(withhold_chance(m.config))
    assert withhold_chance(m.config) > 0


# --- residents' calls: the surge at the hotline and the office -------------------------------


def test_an_answered_call_delays_the_report_behind_it():
    q = call_loop([1], delay=10.0, handling=6.0, patience=1e9)
    q.call_next[0] = 2.0  # a call at minute 2, answered at once: the handler is busy to 8
    assert kernels.admit(q, 0, 3.0) == 8.0 + 10.0
    assert q.call_count[0].tolist() == [1, 1]


def test_a_caller_who_would_wait_past_their_patience_hangs_up_and_takes_no_time():
    q = call_loop([1], delay=10.0, handling=6.0, patience=1e-9)
    assert kernels.admit(q, 0, 0.0) == 10.0
    q.call_next[0] = 2.0  # would wait 8 minutes for the handler: hangs up
    assert kernels.admit(q, 0, 3.0) == 20.0  # the next report is not delayed by it
    assert q.call_count[0].tolist() == [1, 0]


def test_a_call_that_finds_a_free_handler_is_answered_and_the_report_takes_the_next():
    q = call_loop([2], delay=10.0, handling=6.0, patience=1e-9)
    assert kernels.admit(q, 0, 0.0) == 10.0  # one handler busy to 10
    q.call_next[0] = 2.0  # the other is free: answered, busy 2-8
    assert kernels.admit(q, 0, 3.0) == 18.0  # the first handler free is at 8
    assert q.call_count[0].tolist() == [1, 1]


def test_a_call_after_the_report_does_not_delay_it_and_is_counted_when_its_time_comes():
    q = call_loop([1], delay=10.0, handling=6.0, patience=1e9)
    q.call_next[0] = 5.0
    assert kernels.admit(q, 0, 3.0) == 13.0
    assert q.call_count[0].tolist() == [0, 0]
    kernels.all_calls_until(q, 100.0)  # waits 8 minutes for the handler, within patience
    assert q.call_count[0].tolist() == [1, 1] and q.office_free[0, 0] == 13.0 + 6.0
    assert q.call_day[0].tolist() == [1, 1, 0, 0]  # the street's first day


def test_calls_wait_for_a_closed_office_and_hang_up_if_it_opens_too_late():
    q = call_loop([1], delay=10.0, handling=6.0, patience=1e-9, opens=30.0)
    q.call_next[0] = 2.0
    kernels.all_calls_until(q, 100.0)
    assert q.call_count[0].tolist() == [1, 0] and q.office_free[0, 0] == 30.0


@settings(max_examples=60, deadline=None)
@given(
    gaps=st.lists(st.floats(0.0, 30.0), min_size=1, max_size=40),
    handlers=st.integers(1, 4),
    rate=st.floats(0.01, 1.0),
    patience=st.floats(0.1, 60.0),
    seed=st.integers(0, 2**32 - 1),
)
def test_calls_and_reports_are_served_in_order_of_arrival(gaps, handlers, rate, patience, seed):
    """Against a plain FIFO multi-server queue with reneging, written out here: the same
    calls (the source's stream replayed) and reports in time order, each taking the first
    free handler; a caller who would wait past their patience leaves without service."""
    reports = np.cumsum(gaps)
    end = float(reports[-1]) + 60.0
    q = call_loop([handlers], delay=10.0, handling=6.0, patience=patience, rate=rate, seed=seed)
    leave = [kernels.admit(q, 0, float(t)) for t in reports]
    kernels.all_calls_until(q, end)

    stream = np.random.SeedSequence(seed).generate_state(4, np.uint64)
    events, a = [], exponential(stream, 1.0 / rate)
    while a < end:
        events.append((a, 0, exponential(stream, patience)))
        a += exponential(stream, 1.0 / rate)
    events += [(float(t), 1, 0.0) for t in reports]
    events.sort(key=lambda e: (e[0], e[1]))
    free = [-math.inf] * handlers
    expected, received, answered = [], 0, 0
    for t, is_report, wait_max in events:
        k = min(range(handlers), key=lambda j: free[j])
        start = max(t, free[k])
        if is_report:
            free[k] = start + 10.0
            expected.append(free[k])
        else:
            received += 1
            if start - t <= wait_max:
                free[k] = start + 6.0
                answered += 1
    assert leave == pytest.approx(expected, rel=1e-12, abs=1e-9)
    assert q.call_count[0].tolist() == [received, answered]
    assert q.call_day[:, :2].sum(axis=0).tolist() == [received, answered]


STREET_OFFICE = {
    "hierarchical": (TOWNSHIP, TOWNSHIP),
    "direct": (TOWNSHIP, COMMAND),
    "joint_meeting": (TOWNSHIP, COMMAND),
    "grid_autonomy": (TOWNSHIP, COMMAND),
}


@pytest.mark.parametrize("mechanism", list(STREET_OFFICE))
def test_calls_reach_the_street_office_on_the_route_in_force_and_each_community_office(mechanism):
    m = war_model(
        **{
            "reporting.mechanism": mechanism,
            "reporting.call_surge_factor": 3.0,
            "reporting.street_calls_per_1000_per_day": 2.0,
            "reporting.community_calls_per_1000_per_day": 10.0,
        }
    )
    q, tw = m.engine.Q, m.township
    rows = office_rows(tw.n_grids, tw.n_communities)
    assert q.call_rows[STREET].tolist() == [rows[o] for o in STREET_OFFICE[mechanism]]
    assert q.call_switch[STREET] == m.engine.command_active
    assert q.call_rows[1:].tolist() == [[rows[COMMUNITY] + c] * 2 for c in range(tw.n_communities)]
    per_min = 3.0 / 1000 / 1440
    assert q.call_rate[STREET] == pytest.approx(2.0 * m.residents_in.sum() * per_min)
    np.testing.assert_allclose(q.call_rate[1:], 10.0 * m.residents_in * per_min)
    assert q.row_source[rows[COMMUNITY] + 1] == 2 and q.row_source[rows[GRID]] == -1


def test_the_street_s_calls_move_to_the_command_when_it_convenes():
    m = war_model(
        **{
            "reporting.mechanism": "direct",
            "reporting.community_calls_per_1000_per_day": 0.0,
            "reporting.street_calls_per_1000_per_day": 1000.0,
        }
    )
    q, eng = m.engine.Q, m.engine
    rows = office_rows(m.township.n_grids, m.township.n_communities)
    township, command = q.office_free[rows[TOWNSHIP]].copy(), q.office_free[rows[COMMAND]].copy()
    kernels.all_calls_until(q, eng.command_active)
    assert (q.office_free[rows[COMMAND]] == command).all()  # none has reached the command
    assert (q.office_free[rows[TOWNSHIP]] != township).any()
    township = q.office_free[rows[TOWNSHIP]].copy()
    kernels.all_calls_until(q, eng.command_active + 600.0)
    assert (q.office_free[rows[TOWNSHIP]] == township).all()
    assert (q.office_free[rows[COMMAND]] != command).any()


def test_routine_work_has_no_calls_and_no_calls_without_rates():
    m = war_model(**{"time.peace_days": 2, "time.war_hours": 6.0})
    m.step()
    assert m.routine is not None and not m.routine.engine.Q.call_rate.any()
    off = war_model(
        **{
            "reporting.street_calls_per_1000_per_day": 0.0,
            "reporting.community_calls_per_1000_per_day": 0.0,
        }
    )
    assert not off.engine.Q.call_rate.any() and (off.engine.Q.row_source == -1).all()
    assert np.isinf(off.engine.Q.call_next).all()
