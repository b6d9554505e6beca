"""A minute-resolution event queue for what happens between steps.

Mesa's own clock advances one unit per ``step()`` (a day in peacetime, ten minutes in
wartime), which is what ``batch_run`` and SolaraViz drive. Inside a step, reports arriving,
responders arriving and services ending happen at exact minutes; this queue orders them.
"""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Callable
from typing import Any


class EventQueue:
    """Events (minute, callback, args) run in time order; ties run in scheduling order."""

    def __init__(self) -> None:
        self._heap: list[tuple[float, int, Callable[..., Any], tuple]] = []
        self._seq = itertools.count()
        self.now = float("-inf")

    def at(self, t: float, fn: Callable[..., Any], *args: Any) -> None:
        # A Python float key: numpy scalars (a minute read from an array) compare several
        # times slower in the heap, and the events' arithmetic on them is slower too.
        t = float(t)
        if t < self.now:
            raise ValueError(f"event at minute {t} is before now ({self.now})")
        heapq.heappush(self._heap, (t, next(self._seq), fn, args))

    def at_each(self, times: Any, fn: Callable[..., Any], *columns: Any) -> None:
        """``at(times[k], fn, columns[0][k], columns[1][k], ...)`` for each k, in order (the
        columns: integer arguments)."""
        for t, *args in zip(times, *columns):
            self.at(float(t), fn, *map(int, args))

    def run_until(self, t_end: float) -> int:
        """Run every event strictly before t_end; return how many ran."""
        n = 0
        heap = self._heap
        while heap and heap[0][0] < t_end:
            t, _, fn, args = heapq.heappop(heap)
            self.now = t
            fn(t, *args)
            n += 1
        self.now = max(self.now, t_end)
        return n

    def __len__(self) -> int:
        return len(self._heap)
