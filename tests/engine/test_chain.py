"""The reporting chain (sim/engine/chain.py): offices as multi-server queues, the routes of
the mechanisms before and after the front-line command convenes, and the news delay."""

from __future__ import annotations

import math

import kernels
import numpy as np
import pytest
from conftest import bare_loop, war_model
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.codes import COMMAND, COMMUNITY, DISTRICT, GRID, TOWNSHIP
from sim.engine.state import Par, office_rows
from sim.registry import MECHANISMS


def test_an_office_with_enough_handlers_only_adds_its_delay():
    q = bare_loop([5], delay=7.0)
    assert [kernels.admit(q, 0, 3.0) for _ in range(5)] == [10.0] * 5


@pytest.mark.parametrize("k", [1, 2, 5, 9])
def test_one_handler_serves_simultaneous_reports_in_turn(k):
    q = bare_loop([1], delay=4.0)
    assert [kernels.admit(q, 0, 10.0) for _ in range(k)] == [10.0 + 4.0 * j
                                                             for j in range(1, k + 1)]


def test_c_handlers_serve_in_batches_of_c():
    q = bare_loop([3], delay=5.0)
    assert [kernels.admit(q, 0, 0.0) for _ in range(8)] == [5.0] * 3 + [10.0] * 3 + [15.0] * 2


def test_an_office_is_closed_until_it_opens():
    q = bare_loop([2], delay=10.0, opens=30.0)
    assert [kernels.admit(q, 0, t) for t in (0.0, 5.0, 6.0, 100.0)] == [40.0, 40.0, 50.0,
                                                                          110.0]


@settings(max_examples=100, deadline=None)
@given(gaps=st.lists(st.floats(0.0, 20.0), min_size=1, max_size=50),
       handlers=st.integers(1, 6), delay=st.floats(0.0, 30.0))
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


ROUTES = {"hierarchical": ([GRID, COMMUNITY, TOWNSHIP], [GRID, COMMUNITY, TOWNSHIP]),
          "direct": ([GRID, TOWNSHIP], [GRID, COMMAND]),
          "joint_meeting": ([GRID], [GRID, COMMAND]),
          "grid_autonomy": ([GRID], [GRID])}


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
    assert offices == [GRID, COMMUNITY, TOWNSHIP, DISTRICT, DISTRICT + 1,
                       DISTRICT + 2][:levels + 1]


def test_news_takes_each_office_s_handling_minutes():
    """The notice of a local response climbs the route without queueing: the sum of the
    handling minutes of its offices, as the route is when it is sent."""
    m = war_model(**{"reporting.mechanism": "direct", "reporting.grid_delay_min": 3.0,
                     "reporting.township_delay_min": 11.0, "reporting.command_delay_min": 4.0})
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
    assert math.isinf(war_model(**{"organization.front_line_command": False}
                                ).engine.command_active)
