"""The event heap (sim/engine/heap.py): time order, ties in scheduling order, growth."""

from __future__ import annotations

import kernels
import numpy as np
from conftest import bare_loop
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.engine.heap import push
from sim.engine.state import grown, needs_room


@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(0.0, 1000.0), min_size=1, max_size=3000))
def test_events_pop_in_time_order_ties_in_scheduling_order(times):
    q = bare_loop([1])
    for k, t in enumerate(times):
        if needs_room(q, 1):
            q = grown(q, 1)  # the heap grows as Python makes room: nothing is lost
        push(q, float(t), 0, k, 0, 0)
    out_t, out_a = kernels.empty_times(len(times))
    assert kernels.pop_all(q, out_t, out_a) == len(times)
    assert list(zip(out_t, out_a)) == sorted((t, k) for k, t in enumerate(times))


def test_slots_are_reused_once_popped():
    q = bare_loop([1])
    for _round in range(3):
        for k in range(1000):
            push(q, float(1000 - k), 0, k, 0, 0)
        out_t, out_a = kernels.empty_times(1000)
        kernels.pop_all(q, out_t, out_a)
        assert np.all(np.diff(out_t) >= 0)
    assert len(q.t) == 1024  # three rounds of 1,000 events fit the first 1,024 slots
