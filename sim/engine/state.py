"""The engine's state besides needs, roster and residents: the place, the loop and the
scalar parameters, with the Python that builds and grows them.

The compiled functions take ``N`` (``NeedTable``), ``R`` (``Roster``), ``W`` (``Place``),
``Rs`` (``Residents``), ``Q`` (``Loop``), ``P`` (parameters, indexed by ``Par``) and ``S`` (a
random stream, ``sim/rng.py``).
"""

from __future__ import annotations

from enum import IntEnum
from typing import NamedTuple

import numpy as np

from ..codes import COMMAND, COMMUNITY, DISTRICT, GRID, TOWNSHIP, Office


class Par(IntEnum):
    """The engine's scalar parameters (``P``), set from the configuration by ``Engine``."""

    LOCAL_WAIT = 0
    SILOED = 1
    SILOED_LINES = 2
    HANDOFF_DELAY = 3
    LOCAL_TRAVEL = 4
    GRID_DELAY = 5
    PARTY_ACTIVE_FROM = 6
    PEACE = 7
    MUTUAL_AID_FACTOR = 8
    SPONTANEOUS_SHARE = 9
    COMMAND_ACTIVE = 10
    BATCH = 11
    LOCAL_FIRST = 12
    KNOWS_LOCAL = 13
    AUTONOMY_ESCALATE = 14
    LOSS = 15
    MAX_RESENDS = 16
    RESEND_AFTER = 17
    LOCAL_NEWS_DELAY = 18
    DETERIORATION = 19
    MISMATCH_FACTOR = 20
    URGENCY_PER_TRAVEL = 21
    DUPLICATE_VISIT = 22
    SKILL_EFFORT_GAIN = 23
    COHESION_EFFORT_GAIN = 24
    SHIFT_MIN = 25
    REST_MIN = 26
    ISOLATION = 27
    TEMP_ORGS = 28
    TEMP_ORG_MIN_NEEDS = 29
    TEMP_ORG_PARTY_SHARE = 30
    DETECT_SELF = 31
    DETECT_NEIGHBOUR = 32
    DETECT_GRID_MANAGER = 33
    DETECT_RESIDENT_FACTOR = 34
    PRE_REFORM = 35  # the street before the grid reform (docs/ODD.md, Submodels)
    MISROUTE = 36  # chance a transfer reaches another wrong department
    STALL = 37  # chance a wrong department drops the case
    RECOMPLAINT = 38  # mean minutes before a resident complains again
    TRANSFER_DAYS = 39  # working days to the batch that picks a transfer up (0: HANDOFF_DELAY)
    OFFICE_ORIGIN = 40  # minute 0 of day 0 of the departments' week (day 0 is a weekday)
    OFFICE_OPEN = 41  # minute of the day the departments open
    OFFICE_MIN = 42  # minutes they stay open (1440 with 7 days: always open)
    OFFICE_DAYS = 43  # working days a week
    DISPATCH_ACCURACY = 44  # share of decisions sent to the right unit at once
    REDISPATCH_DELAY = 45  # minutes a misrouted dispatch costs
    DISPATCH_KEY = 46  # the key of the misrouting draws (sim/rng.py keyed)


class Count(IntEnum):
    """Integer counters of the loop (``Loop.counts``)."""

    HEAP = 0
    SEQ = 1
    INBOX = 2
    DUPLICATES = 3
    HANDOFFS = 4
    INITIATIVE = 5
    LOCAL_ACTIONS = 6
    PARTY = 7
    SPONTANEOUS = 8
    LOST = 9
    LOST_FOR_GOOD = 10
    TEMP_ORGS = 11
    NEW_SITES = 12
    ROW_MAX = 13  # an upper bound of the waiting lists' lengths
    REDISPATCHES = 14  # misrouted dispatches sent again
    STALLS = 15  # reports a wrong department dropped (pre-reform street)


class Sum(IntEnum):
    """Float totals of the loop (``Loop.sums``)."""

    NOW = 0
    SHELTERED = 1
    POOL_MINUTES = 2
    HARM = 3


class Place(NamedTuple):
    """The township as the response sees it (``sim/township.py`` keeps it current)."""

    travel: np.ndarray  # minutes between nodes
    node_community: np.ndarray
    grid_community: np.ndarray
    shelters: np.ndarray
    node_comm_min: np.ndarray  # fewest minutes from a node to each community
    comm_order: np.ndarray  # each grid's communities, nearest first
    nearest_shelter: np.ndarray  # of each grid (-1: none; evacuees stay in the grid)
    familiarity: np.ndarray  # of grid managers with their grids
    cohesion: np.ndarray  # of community teams
    willing: np.ndarray  # residents of a grid who may volunteer spontaneously
    party_in_grid: np.ndarray  # party members living in each grid


class Loop(NamedTuple):
    """The event heap, waiting lists, pools of helpers, offices and counters."""

    t: np.ndarray  # the heap: each event's minute, sequence number and slot ...
    seq: np.ndarray
    slot: np.ndarray
    free: np.ndarray  # ... slots not in use (the last len - HEAP of them)
    kind: np.ndarray  # ... and, by slot, its kind and three arguments
    a: np.ndarray
    b: np.ndarray
    c: np.ndarray
    counts: np.ndarray
    sums: np.ndarray
    inbox: np.ndarray  # reports waiting for the next joint meeting
    batch: np.ndarray
    urgency: np.ndarray
    pending: np.ndarray  # reported needs no one could be sent to yet, by community
    pending_n: np.ndarray
    pending_wmax: np.ndarray  # upper bounds of their harm weights, and of their priority ...
    pending_pmax: np.ndarray  # ... at pending_time (it grows with deterioration after)
    pending_time: np.ndarray
    local: np.ndarray  # grid autonomy: needs the community could not meet, by community
    local_n: np.ndarray
    overdue: np.ndarray  # needs waiting past the local wait, by community
    overdue_n: np.ndarray
    seen_head: np.ndarray  # found, unreached needs by community (NeedTable.seen_*)
    seen_tail: np.ndarray
    party_free: np.ndarray  # mobilized party members free in each grid
    spont_free: np.ndarray  # spontaneous volunteers free in each grid
    spont_opened: np.ndarray
    temp_org_at: np.ndarray  # grids with a temporary party organization
    site_count: np.ndarray
    site_members: np.ndarray  # party members a grid's temporary party organization mobilized
    new_sites: np.ndarray  # grids that got one in the last step (NEW_SITES of them)
    office_free: np.ndarray  # each office's handlers' free minutes (a heap per row)
    office_n: np.ndarray
    office_delay: np.ndarray
    level_delay: np.ndarray  # handling minutes by sim.codes.Office
    route: np.ndarray  # offices a report passes, before / after the command convenes
    lines: np.ndarray  # siloed: the line that takes each owning line's needs, by community
    bound: np.ndarray  # scratch per community


def office_rows(n_grids: int, n_communities: int) -> dict[int, int]:
    """The first row of each office level in ``Loop.office_free``: grids, communities, the
    township, the command, then district, city and province."""
    base = n_grids + n_communities
    return {GRID: 0, COMMUNITY: n_grids, TOWNSHIP: base, COMMAND: base + 1,
            DISTRICT: base + 2, DISTRICT + 1: base + 3, DISTRICT + 2: base + 4}


def make_loop(n_grids: int, n_communities: int, handlers: list[int], delays: list[float],
              opens: list[float], level_delay: dict[int, float],
              route: tuple[tuple[int, ...], tuple[int, ...]], lines: np.ndarray) -> Loop:
    cap, width, c = 1024, 64, n_communities
    office_free = np.full((len(handlers), max(handlers)), np.inf)
    for k, (h, t) in enumerate(zip(handlers, opens)):
        office_free[k, :h] = t
    routes = np.full((2, 8), -1, dtype=np.int64)
    for k, offices in enumerate(route):
        routes[k, :len(offices)] = offices
    ints = np.int64
    q = Loop(t=np.zeros(cap), seq=np.zeros(cap, ints), slot=np.zeros(cap, ints),
             free=np.arange(cap, dtype=ints)[::-1].copy(), kind=np.zeros(cap, ints),
             a=np.zeros(cap, ints), b=np.zeros(cap, ints), c=np.zeros(cap, ints),
             counts=np.zeros(len(Count), ints), sums=np.zeros(len(Sum)),
             inbox=np.zeros(width, ints), batch=np.zeros(width, ints), urgency=np.zeros(width),
             pending=np.zeros((c, width), ints), pending_n=np.zeros(c, ints),
             pending_wmax=np.zeros(c), pending_pmax=np.zeros(c), pending_time=np.zeros(c),
             local=np.zeros((c, width), ints), local_n=np.zeros(c, ints),
             overdue=np.zeros((c, width), ints), overdue_n=np.zeros(c, ints),
             seen_head=np.full(c, -1, ints), seen_tail=np.full(c, -1, ints),
             party_free=np.zeros(n_grids, ints), spont_free=np.zeros(n_grids, ints),
             spont_opened=np.zeros(n_grids, np.bool_), temp_org_at=np.zeros(n_grids, np.bool_),
             site_count=np.zeros(n_grids, ints), site_members=np.zeros(n_grids, ints),
             new_sites=np.zeros(n_grids, ints),
             office_free=office_free, office_n=np.array(handlers, dtype=ints),
             office_delay=np.array(delays, dtype=float),
             level_delay=np.array([level_delay[o] for o in Office], dtype=float),
             route=routes, lines=lines, bound=np.zeros(c))
    q.sums[Sum.NOW] = -np.inf
    return q


MAX_PUSH = 8  # events one handler schedules at most, besides a joint meeting's batch


def needs_room(q: Loop, extra: int = 0) -> bool:
    """Whether the loop must grow before `extra` more events are pushed and one more event
    of any kind runs (wider margins than the compiled ``step.room``)."""
    inbox = int(q.counts[Count.INBOX])
    rows = int(q.counts[Count.ROW_MAX]) + inbox + 8
    return (int(q.counts[Count.HEAP]) + extra + 2 * MAX_PUSH + inbox > len(q.t)
            or inbox + 8 > len(q.inbox) or rows > q.pending.shape[1])


def grown(q: Loop, extra: int = 0) -> Loop:
    """The loop with room for `extra` more events and one more event of any kind."""
    inbox = int(q.counts[Count.INBOX])
    heap = int(q.counts[Count.HEAP]) + extra + 2 * MAX_PUSH + inbox
    longest = max(int(q.pending_n.max(initial=0)), int(q.local_n.max(initial=0)),
                  int(q.overdue_n.max(initial=0)))
    q.counts[Count.ROW_MAX] = longest
    rows = longest + inbox + 8
    fields = q._asdict()

    def wider(a: np.ndarray, size: int) -> np.ndarray:
        if a.shape[-1] >= size:
            return a
        b = np.zeros(a.shape[:-1] + (max(size, 2 * a.shape[-1]),), dtype=a.dtype)
        b[..., :a.shape[-1]] = a
        return b

    if heap > len(q.t):
        size = max(heap, 2 * len(q.t))
        for name in ("t", "seq", "slot", "kind", "a", "b", "c"):
            fields[name] = wider(fields[name], size)
        used = int(q.counts[Count.HEAP])  # the new slots are free, the free ones stay so
        fields["free"] = np.concatenate([np.arange(len(q.t), size, dtype=np.int64)[::-1],
                                         q.free[:len(q.t) - used], q.free[len(q.t) - used:]])
    for name in ("inbox", "batch", "urgency"):
        fields[name] = wider(q._asdict()[name], inbox + 8)
    for name in ("pending", "local", "overdue"):
        fields[name] = wider(q._asdict()[name], rows)
    return Loop(**fields)
