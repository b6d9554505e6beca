"""The pre-reform street's intake (sim/engine/intake.py) and the deciding unit's misrouted
dispatches (sim/engine/dispatch.py ``misrouted``): office hours and working-day batches
computed by hand, a complaint that goes round the departments, a misrouted dispatch that
comes back after its delay, and routine cases whose reports arrive exactly when the batches
say."""

from __future__ import annotations

import math

import kernels
import numpy as np
import pytest
from conftest import war_model

from sim import Config, simulate
from sim.codes import DETECTED, DISPATCHED, INTAKE, REDISPATCH
from sim.engine.state import Count, Par
from sim.registry import need_code

DAY = 1440.0
OPEN, HOURS = 8.5 * 60, 8 * 60  # 8:30, eight hours: closes at 16:30


def office(
    origin: float = 0.0,
    days: int = 5,
    open_min: float = OPEN,
    length: float = HOURS,
    transfer_days: int = 1,
    handoff: float = 45.0,
) -> np.ndarray:
    p = np.zeros(len(Par))
    p[Par.OFFICE_ORIGIN], p[Par.OFFICE_OPEN], p[Par.OFFICE_MIN] = origin, open_min, length
    p[Par.OFFICE_DAYS], p[Par.TRANSFER_DAYS] = days, transfer_days
    p[Par.HANDOFF_DELAY] = handoff
    return p


def at(day: int, hour: float) -> float:
    return day * DAY + hour * 60


# --- office hours and batches, by hand (day 0 is a Monday, days 5 and 6 the weekend) --------


@pytest.mark.parametrize(
    "t, opens",
    [
        (at(0, 10), at(0, 10)),  # open: at once
        (at(0, 7), at(0, 8.5)),  # before opening: at 8:30
        (at(0, 16.5), at(1, 8.5)),  # closing time is closed: the next morning
        (at(0, 20), at(1, 8.5)),  # evening: the next morning
        (at(4, 20), at(7, 8.5)),  # Friday evening: Monday
        (at(5, 11), at(7, 8.5)),  # Saturday: Monday
        (at(6, 23.9), at(7, 8.5)),  # Sunday night: Monday
        (at(9, 12), at(9, 12)),  # the second week's Wednesday noon
    ],
)
def test_the_office_opens_on_the_next_working_day_at_opening_time(t, opens):
    for origin in (0.0, -28 * DAY):  # the routine work's day 0 is the first peacetime day
        assert kernels.office_opens(office(origin), origin + t) == origin + opens


@pytest.mark.parametrize(
    "t, days, batch",
    [
        (at(0, 10), 1, at(1, 8.5)),  # Monday's transfer: Tuesday's batch
        (at(0, 8.5), 1, at(1, 8.5)),  # even one made at Monday's opening
        (at(3, 15), 1, at(4, 8.5)),  # Thursday: Friday
        (at(4, 10), 1, at(7, 8.5)),  # Friday: Monday
        (at(3, 10), 2, at(7, 8.5)),  # Thursday, two working days: Monday
        (at(0, 10), 5, at(7, 8.5)),  # Monday, five: the next Monday
        (at(1, 10), 6, at(9, 8.5)),  # Tuesday, six: Wednesday of the week after
    ],
)
def test_a_transfer_waits_for_the_batch_so_many_working_days_later(t, days, batch):
    assert kernels.batch_after(office(), t, days) == batch
    p = office(transfer_days=days)
    assert kernels.transfer_arrives(p, t) == batch


def test_six_working_days_a_week_open_on_saturday():
    assert kernels.office_opens(office(days=6), at(5, 11)) == at(5, 11)
    assert kernels.batch_after(office(days=6), at(4, 10), 1) == at(5, 8.5)


def test_always_open_in_an_emergency_and_transfers_take_the_hand_off_delay():
    p = office(days=7, length=DAY, transfer_days=0, handoff=45.0)
    for t in (at(0, 3), at(5, 23), 17.25):
        assert kernels.office_opens(p, t) == t
        assert kernels.transfer_arrives(p, t) == t + 45.0


# --- a complaint going round the departments ---------------------------------------------------


def pre_reform_need(m):
    """A need found at minute 0 in grid 0, its report not yet anywhere."""
    eng = m.engine
    i = kernels.need(
        eng.N, 0.0, 0, need_code("evacuation"), int(m.residents.grid_start[0]), 0.5, 60.0, 1.0, 1.0
    )
    kernels.set_need_state(eng.N, i, DETECTED)
    eng.N.detected[i] = 0.0
    return i


def pending_events(eng) -> list[tuple[float, int, int, int]]:
    """(minute, kind, first and second argument) of the events on the heap, in time order."""
    q = eng.Q
    slots = q.slot[: q.counts[Count.HEAP]]
    return sorted(
        zip(
            q.t[: q.counts[Count.HEAP]].tolist(),
            q.kind[slots].tolist(),
            q.a[slots].tolist(),
            q.b[slots].tolist(),
        )
    )


@pytest.mark.parametrize("stall", [0.0, 1.0])
def test_a_wrong_department_passes_the_need_on_or_drops_it(stall):
    """Twelve lines and certain misrouting: the first department is wrong for most seeds;
    it transfers the need after the hand-off delay, or drops it until the resident calls
    again (stall 1)."""
    wrong = 0
    for seed in range(1, 9):
        m = war_model(
            seed,
            **{
                "organization.structure": "pre_reform",
                "organization.siloed_lines": 12,
                "organization.ownerless_stall_share": stall,
            },
        )
        eng = m.engine
        i = pre_reform_need(m)
        before = eng.count(Count.HANDOFFS)
        kernels.intake_at(eng.N, eng.R, eng.W, eng.Q, eng.P, eng.S, 5.0, i, 0)
        if eng.count(Count.HANDOFFS) == before:
            continue  # the right department at once: the report went up the chain
        wrong += 1
        events = [e for e in pending_events(eng) if e[1] == INTAKE and e[2] == i]
        assert len(events) == 1
        t, _, _, how = events[0]
        if stall:
            assert eng.count(Count.STALLS) == 1 and how == 0 and t > 5.0
        else:
            assert eng.count(Count.STALLS) == 0 and how == 1
            assert t == 5.0 + m.config.organization.handoff_delay_min
    assert wrong >= 5  # 11 of 12 lines are wrong


def test_a_need_met_meanwhile_leaves_the_departments():
    m = war_model(1, **{"organization.structure": "pre_reform"})
    eng = m.engine
    i = pre_reform_need(m)
    kernels.set_need_state(eng.N, i, DISPATCHED)
    heap = eng.count(Count.HEAP)
    kernels.intake_at(eng.N, eng.R, eng.W, eng.Q, eng.P, eng.S, 5.0, i, 1)
    assert eng.count(Count.HEAP) == heap and eng.count(Count.HANDOFFS) == 0


# --- the deciding unit's misrouted dispatch ------------------------------------------------------


def test_a_misrouted_dispatch_comes_back_after_its_delay_and_goes_out_again():
    m = war_model(1, **{"reporting.mechanism": "direct", "reporting.redispatch_min": 30.0})
    eng = m.engine
    i = pre_reform_need(m)
    p = eng.P.copy()
    p[Par.DISPATCH_ACCURACY] = 0.0  # every dispatch wrong
    final = 2  # direct: the grid, the township office; stage 2 decides
    kernels.send(eng.N, eng.R, eng.W, eng.Q, p, eng.S, 20.0, i, final)
    assert eng.N.state[i] == DETECTED and math.isnan(eng.N.dispatched[i])
    assert eng.N.reported[i] == 20.0  # the report had arrived
    assert eng.count(Count.REDISPATCHES) == 1
    assert [e[:3] for e in pending_events(eng) if e[1] == REDISPATCH] == [(50.0, REDISPATCH, i)]
    p[Par.DISPATCH_ACCURACY] = 1.0  # the second dispatch goes right
    kernels.redispatch(eng.N, eng.R, eng.W, eng.Q, p, 50.0, i, 1)
    assert eng.N.state[i] == DISPATCHED and eng.N.dispatched[i] == 50.0
    assert eng.N.reported[i] == 20.0 and eng.count(Count.REDISPATCHES) == 1


def test_full_accuracy_draws_nothing_and_the_pre_reform_street_has_no_dispatch_centre():
    m = war_model(1, **{"reporting.dispatch_accuracy": 1.0})
    assert m.engine.P[Par.DISPATCH_ACCURACY] == 1.0
    m = war_model(1, **{"organization.structure": "pre_reform", "reporting.dispatch_accuracy": 0.5})
    assert m.engine.P[Par.DISPATCH_ACCURACY] == 1.0


# --- routine cases: reports arrive when the batches say --------------------------------------

ROUTINE = {
    "population.n_residents": 6000,
    "time.peace_days": 21,
    "time.war_hours": 1.0,
    "organization.structure": "pre_reform",
    "reporting.mechanism": "direct",
    "reporting.township_handlers_per_10k": 1000.0,  # no queue at the office
    "reporting.loss_per_level": 0.0,
    "organization.ownerless_stall_share": 0.0,
}


def py_opens(t: float, origin: float) -> float:
    """office_opens, by hand: 8:30-16:30, Monday to Friday."""
    day = math.floor((t - origin) / DAY)
    while True:
        start = origin + day * DAY + OPEN
        if day % 7 < 5 and t < start + HOURS:
            return max(t, start)
        day += 1


def py_batch(t: float, origin: float, days: int) -> float:
    day, n = math.floor((t - origin) / DAY), 0
    while n < days:
        day += 1
        n += day % 7 < 5
    return origin + day * DAY + OPEN


@pytest.mark.parametrize("transfer_days", [1, 2])
def test_each_report_reaches_its_department_at_opening_or_after_one_transfer(transfer_days):
    """No misrouting after the first department, no stalls: each case's report reaches the
    township office (10 min, no queue) at the office's opening after it was found, or after
    exactly one transfer, at the batch `transfer_days` working days later."""
    over = {
        **ROUTINE,
        "organization.transfer_misroute_share": 0.0,
        "routine.department_hours": 8.0,
        "routine.duty_start_hour": 8.5,
        "routine.transfer_working_days": transfer_days,
    }
    res = simulate(Config().with_overrides(over), seed=3, keep_model=True)
    log = res.routine_cases
    origin = -21 * DAY
    delay = res.config.reporting.township_delay_min
    reported = log.dropna(subset=["reported_min"])
    assert len(reported) > 100
    direct = transferred = 0
    for found, came in zip(reported["detected_min"], reported["reported_min"]):
        opens = py_opens(found, origin)
        if came == pytest.approx(opens + delay, abs=1e-6):
            direct += 1
        else:
            assert came == pytest.approx(
                py_batch(opens, origin, transfer_days) + delay, abs=1e-6
            ), (found, came)
            transferred += 1
    lines = res.config.organization.siloed_lines
    share = direct / (direct + transferred)
    assert abs(share - 1 / lines) < 0.08, share  # the first department is right 1 in 6


def test_routine_cases_are_dispatched_only_in_office_hours_on_working_days():
    res = simulate(Config().with_overrides(ROUTINE), seed=2, keep_model=True)
    sent = res.routine_cases["dispatched_min"].dropna().to_numpy() + 21 * DAY
    assert len(sent) > 100
    day, minute = np.floor(sent / DAY), np.mod(sent, DAY)
    assert np.all(day % 7 < 5)
    assert np.all((minute >= OPEN) & (minute < OPEN + HOURS))
    assert res.summary()["routine_share_found_by_grid"] == 0.0  # no patrol: complaints only
