"""The engine's internal functions, callable from tests (the engine compiles them without
the wrappers Python needs to call them; these compiled entry points call them)."""

from __future__ import annotations

import numba
import numpy as np

from sim.engine import chain, dispatch, heap, intake, service, step

entry = numba.njit(_nrt=False, error_model="numpy")  # not cached: sim changes under it
from sim.needs import add_need, set_state


@entry
def pop_all(Q, times, slots):
    """Pop every event: their minutes and first arguments in order; how many."""
    k = 0
    while Q.counts[0] > 0:
        t, slot = heap.pop(Q)
        times[k], slots[k] = t, Q.a[slot]
        k += 1
    return k


@entry
def admit(Q, row, t):
    return chain.admit(Q, row, t)


@entry
def route(Q, P, stage, t):
    return chain.route(Q, P, stage, t)


@entry
def news_minutes(Q, P, t):
    return chain.news_minutes(Q, P, t)


@entry
def priority(N, P, i, t):
    return dispatch.priority(N, P, i, t)


@entry
def assign(N, R, W, Q, P, i, t, local):
    return dispatch.assign(N, R, W, Q, P, i, t, local)


@entry
def pick(N, R, W, Q, P, S, t, r):
    dispatch.pick(N, R, W, Q, P, S, t, r)


@entry
def add_pending(N, Q, P, c, i, t):
    dispatch.add_pending(N, Q, P, c, i, t)


@entry
def decide(N, R, W, Q, P, t, i):
    dispatch.decide(N, R, W, Q, P, t, i)


@entry
def mark_dispatched(N, Q, P, i, t, news_delay):
    dispatch.mark_dispatched(N, Q, P, i, t, news_delay)


@entry
def knows_covered(N, Q, P, i, t):
    return dispatch._knows_covered(N, Q, P, i, t)


@entry
def escort(N, W, i):
    return service.escort(N, W, i)


@entry
def detected(N, R, W, Rs, Q, P, S, t, i, channel):
    step.detected(N, R, W, Rs, Q, P, S, t, i, channel)


@entry
def run_until(N, R, W, Rs, Q, P, S, t):
    return step.run_until(N, R, W, Rs, Q, P, S, t)


@entry
def need(N, created, grid, kind, resident, severity0, effort, weight, persons):
    """Add a need of a hazard with code 0, owned by its type's line."""
    return add_need(
        N, created, grid, kind, 0, resident, False, persons, severity0, effort, weight, -2
    )


def empty_times(n: int = 4096) -> tuple[np.ndarray, np.ndarray]:
    return np.zeros(n), np.zeros(n, dtype=np.int64)


@entry
def service_min(N, R, W, P, r, i):
    return service.service_min(N, R, W, P, r, i)


@entry
def sites(N, W, Q, P, S, t):
    service.incident_sites(N, W, Q, P, S, t)


@entry
def bucket_add(R, W, r):
    dispatch.bucket_add(R, W, r)


@entry
def bucket_remove(R, r):
    dispatch.bucket_remove(R, r)


@entry
def send(N, R, W, Q, P, S, t, i, stage):
    dispatch.send(N, R, W, Q, P, S, t, i, stage)


def calls_until(Q, s, t):
    chain.calls_until(Q, s, t)


@entry
def all_calls_until(Q, t):
    chain.all_calls_until(Q, t)


@entry
def fatigue(R, Q, P, r, t):
    return service.fatigue(R, Q, P, r, t)


@entry
def arrive(N, R, W, Q, P, t, r, i):
    service.arrive(N, R, W, Q, P, t, r, i)


@entry
def office_opens(P, t):
    return intake.office_opens(P, t)


@entry
def batch_after(P, t, days):
    return intake.batch_after(P, t, days)


@entry
def transfer_arrives(P, t):
    return intake.transfer_arrives(P, t)


@entry
def intake_at(N, R, W, Q, P, S, t, i, how):
    intake.intake(N, R, W, Q, P, S, t, i, how)


@entry
def set_need_state(N, i, state):
    set_state(N, i, state)


@entry
def redispatch(N, R, W, Q, P, t, i, attempt):
    dispatch.redispatch(N, R, W, Q, P, t, i, attempt)
