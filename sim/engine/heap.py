"""The event heap: events (minute, kind, a, b, c) run in time order, ties in the order they
were scheduled (a sequence number breaks them, so the order is fully determined).

The heap holds each event's key (minute, sequence) and the slot of its kind and arguments;
sifting moves a hole, not whole events.
"""

from __future__ import annotations

from ..jit import entry, jit, one_version
from .state import Count


@jit
def _before(t, seq, t2, seq2):
    return t < t2 or (t == t2 and seq < seq2)


@one_version
@entry
def push(Q, t, kind, a, b, c):
    """Schedule an event (the caller has made room: ``state.needs_room``)."""
    k = Q.counts[Count.HEAP]
    slot = Q.free[len(Q.free) - 1 - k]  # the free slots fill the end of Q.free
    Q.kind[slot], Q.a[slot], Q.b[slot], Q.c[slot] = kind, a, b, c
    seq = Q.counts[Count.SEQ]
    Q.counts[Count.SEQ] = seq + 1
    Q.counts[Count.HEAP] = k + 1
    while k > 0:
        parent = (k - 1) >> 1
        if not _before(t, seq, Q.t[parent], Q.seq[parent]):
            break
        Q.t[k], Q.seq[k], Q.slot[k] = Q.t[parent], Q.seq[parent], Q.slot[parent]
        k = parent
    Q.t[k], Q.seq[k], Q.slot[k] = t, seq, slot


@entry
def push_many(Q, times, kind, a, b):
    """One event of `kind` per entry, in order (as many ``push`` calls)."""
    for j in range(len(times)):
        push(Q, times[j], kind, a[j], b[j], 0)


@jit
def pop(Q):
    """Remove the earliest event: its minute and slot (free again once read)."""
    t, slot = Q.t[0], Q.slot[0]
    last = Q.counts[Count.HEAP] - 1
    Q.counts[Count.HEAP] = last
    Q.free[len(Q.free) - 1 - last] = slot
    lt, lseq, lslot = Q.t[last], Q.seq[last], Q.slot[last]
    k = 0
    while True:
        child = 2 * k + 1
        if child >= last:
            break
        if child + 1 < last and _before(Q.t[child + 1], Q.seq[child + 1], Q.t[child], Q.seq[child]):
            child += 1
        if not _before(Q.t[child], Q.seq[child], lt, lseq):
            break
        Q.t[k], Q.seq[k], Q.slot[k] = Q.t[child], Q.seq[child], Q.slot[child]
        k = child
    Q.t[k], Q.seq[k], Q.slot[k] = lt, lseq, lslot
    return t, slot
