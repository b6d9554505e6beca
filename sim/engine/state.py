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
from ..jit import table
from ..rng import exponential


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
    WITHHOLD = 35  # chance an office passing a severe need's report on holds it back
    WITHHOLD_MEAN = 36  # mean minutes a held-back report waits
    SEVERE = 37  # starting severity from which a need counts as severe
    WAR_SWITCH = 38  # the organization's wartime switch (minute)
    FATIGUE_RATE = 39  # effort multiplier grows by this per hour worked past FATIGUE_AFTER
    FATIGUE_AFTER = 40  # minutes of work since the last rest
    PRE_REFORM = 41  # the street before the grid reform (docs/ODD.md, Submodels)
    MISROUTE = 42  # chance a transfer reaches another wrong department
    STALL = 43  # chance a wrong department drops the case
    RECOMPLAINT = 44  # mean minutes before a resident complains again
    TRANSFER_DAYS = 45  # working days to the batch that picks a transfer up (0: HANDOFF_DELAY)
    OFFICE_ORIGIN = 46  # minute 0 of day 0 of the departments' week (day 0 is a weekday)
    OFFICE_OPEN = 47  # minute of the day the departments open
    OFFICE_MIN = 48  # minutes they stay open (1440 with 7 days: always open)
    OFFICE_DAYS = 49  # working days a week
    DISPATCH_ACCURACY = 50  # share of decisions sent to the right unit at once
    REDISPATCH_DELAY = 51  # minutes a misrouted dispatch costs
    DISPATCH_KEY = 52  # the key of the misrouting draws (sim/rng.py keyed)


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
    SEVERE = 14  # severe needs created so far (counted by ``step.indicators``)
    SEVERE_SCANNED = 15  # needs counted so far
    SEVERE_REPORTED = 16  # severe needs whose report reached the deciding unit
    SERVICES = 17  # services begun by responders on the roster (their FATIGUE summed)
    REDISPATCHES = 18  # misrouted dispatches sent again
    STALLS = 19  # reports a wrong department dropped (pre-reform street)


class Sum(IntEnum):
    """Float totals of the loop (``Loop.sums``)."""

    NOW = 0
    SHELTERED = 1
    POOL_MINUTES = 2
    HARM = 3
    FATIGUE = 4  # the effort multipliers of those services (Count.SERVICES)


class Level(IntEnum):
    """Columns of ``Loop.levels``: per office level (``sim.codes.Office``), what its office
    learned and did (``sim/engine/distortion.py``)."""

    KNOWN = 0  # severe needs whose report reached the level's office
    KNOWN_LAG = 1  # their minutes from creation to reaching it, summed
    LOST = 2  # reports lost on the way into the office
    WITHHELD = 3  # severe needs' reports the office held back
    PASSED = 4  # reports the office passed on (to the next office, or to decide)
    PASSED_MIN = 5  # their minutes from reaching the office to leaving it, summed


@table
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


@table
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
    # Residents' calls besides the needs' reports (``chain.calls_until``), by source (0: the
    # street's duty room; 1 + c: community c's office): calls a minute, the next call's
    # minute, the minute its calls move from the first office row to the second, its own
    # random stream, calls received and answered, and the same by day (street received,
    # answered, communities received, answered); the office row each source feeds
    # (row_source: -1 none), and CALL_HANDLING, CALL_PATIENCE, CALL_START.
    call_rate: np.ndarray
    call_next: np.ndarray
    call_switch: np.ndarray
    call_rows: np.ndarray
    call_stream: np.ndarray
    call_count: np.ndarray
    call_day: np.ndarray
    call_const: np.ndarray
    row_source: np.ndarray
    # Fatigue (``service.fatigue``), by responder: busy minutes since the last rest or idle
    # spell as long as one, and the minute it last became idle (inf: busy since).
    worked: np.ndarray
    idle_from: np.ndarray
    level_delay: np.ndarray  # handling minutes by sim.codes.Office
    route: np.ndarray  # offices a report passes, before / after the command convenes
    lines: np.ndarray  # siloed: the line that takes each owning line's needs, by community
    bound: np.ndarray  # scratch per community
    levels: np.ndarray  # per office level, the columns of ``Level``
    distortion: np.ndarray  # the random stream of holding back (sim/rng.py)


CALL_HANDLING, CALL_PATIENCE, CALL_START = range(3)  # Loop.call_const
STREET = 0  # the street's call source; community c's is 1 + c


class CallSources(NamedTuple):
    """Residents' calls to the offices (``chain.calls_until``): each source's calls a minute,
    its office rows before and after `switch` (a minute per source), its random stream
    (``sim/rng.py``), the handling and mean patience minutes of a call, the minute calls
    start and the days they are counted over."""

    rate: np.ndarray
    rows: np.ndarray
    switch: np.ndarray
    streams: np.ndarray
    handling_min: float
    patience_min: float
    start: float
    days: int


def office_rows(n_grids: int, n_communities: int) -> dict[int, int]:
    """The first row of each office level in ``Loop.office_free``: grids, communities, the
    township, the command, then district, city and province."""
    base = n_grids + n_communities
    return {
        GRID: 0,
        COMMUNITY: n_grids,
        TOWNSHIP: base,
        COMMAND: base + 1,
        DISTRICT: base + 2,
        DISTRICT + 1: base + 3,
        DISTRICT + 2: base + 4,
    }


def make_loop(
    n_grids: int,
    n_communities: int,
    handlers: list[int],
    delays: list[float],
    opens: list[float],
    level_delay: dict[int, float],
    route: tuple[tuple[int, ...], tuple[int, ...]],
    lines: np.ndarray,
    calls: CallSources | None = None,
    n_responders: int = 0,
    distortion: np.ndarray | None = None,
) -> Loop:
    """An empty loop; `distortion`: the random stream of holding back reports (its own, so
    that holding back leaves every other draw as it was; none: never drawn from)."""
    cap, width, c = 1024, 64, n_communities
    office_free = np.full((len(handlers), max(handlers)), np.inf)
    for k, (h, t) in enumerate(zip(handlers, opens)):
        office_free[k, :h] = t
    routes = np.full((2, 8), -1, dtype=np.int64)
    for k, offices in enumerate(route):
        routes[k, : len(offices)] = offices
    ints = np.int64
    if calls is None:  # no calls: one source that never calls
        calls = CallSources(
            np.zeros(1),
            np.zeros((1, 2), ints),
            np.full(1, np.inf),
            np.ones((1, 4), np.uint64),
            0.0,
            1.0,
            0.0,
            1,
        )
    row_source = np.full(len(handlers), -1, dtype=ints)
    for s, rows in enumerate(calls.rows):
        if calls.rate[s] > 0:
            row_source[rows] = s
    q = Loop(
        t=np.zeros(cap),
        seq=np.zeros(cap, ints),
        slot=np.zeros(cap, ints),
        free=np.arange(cap, dtype=ints)[::-1].copy(),
        kind=np.zeros(cap, ints),
        a=np.zeros(cap, ints),
        b=np.zeros(cap, ints),
        c=np.zeros(cap, ints),
        counts=np.zeros(len(Count), ints),
        sums=np.zeros(len(Sum)),
        inbox=np.zeros(width, ints),
        batch=np.zeros(width, ints),
        urgency=np.zeros(width),
        pending=np.zeros((c, width), ints),
        pending_n=np.zeros(c, ints),
        pending_wmax=np.zeros(c),
        pending_pmax=np.zeros(c),
        pending_time=np.zeros(c),
        local=np.zeros((c, width), ints),
        local_n=np.zeros(c, ints),
        overdue=np.zeros((c, width), ints),
        overdue_n=np.zeros(c, ints),
        seen_head=np.full(c, -1, ints),
        seen_tail=np.full(c, -1, ints),
        party_free=np.zeros(n_grids, ints),
        spont_free=np.zeros(n_grids, ints),
        spont_opened=np.zeros(n_grids, np.bool_),
        temp_org_at=np.zeros(n_grids, np.bool_),
        site_count=np.zeros(n_grids, ints),
        site_members=np.zeros(n_grids, ints),
        new_sites=np.zeros(n_grids, ints),
        office_free=office_free,
        office_n=np.array(handlers, dtype=ints),
        office_delay=np.array(delays, dtype=float),
        call_rate=np.asarray(calls.rate, dtype=float),
        call_next=np.full(len(calls.rate), np.inf),
        call_switch=np.asarray(calls.switch, dtype=float),
        call_rows=np.asarray(calls.rows, dtype=ints),
        call_stream=np.asarray(calls.streams, dtype=np.uint64).copy(),
        call_count=np.zeros((len(calls.rate), 2), ints),
        call_day=np.zeros((max(calls.days, 1), 4), ints),
        call_const=np.array([calls.handling_min, calls.patience_min, calls.start]),
        row_source=row_source,
        worked=np.zeros(n_responders),
        idle_from=np.full(n_responders, -np.inf),
        level_delay=np.array([level_delay[o] for o in Office], dtype=float),
        route=routes,
        lines=lines,
        bound=np.zeros(c),
        levels=np.zeros((len(Office), len(Level))),
        distortion=np.array([1, 0, 0, 0], np.uint64) if distortion is None else distortion,
    )
    q.sums[Sum.NOW] = -np.inf
    for src in np.flatnonzero(q.call_rate > 0):  # each source's first call
        q.call_next[src] = calls.start + exponential(q.call_stream[src], 1.0 / q.call_rate[src])
    return q


MAX_PUSH = 8  # events one handler schedules at most, besides a joint meeting's batch


def needs_room(q: Loop, extra: int = 0) -> bool:
    """Whether the loop must grow before `extra` more events are pushed and one more event
    of any kind runs (wider margins than the compiled ``step.room``)."""
    inbox = int(q.counts[Count.INBOX])
    rows = int(q.counts[Count.ROW_MAX]) + inbox + 8
    return (
        int(q.counts[Count.HEAP]) + extra + 2 * MAX_PUSH + inbox > len(q.t)
        or inbox + 8 > len(q.inbox)
        or rows > q.pending.shape[1]
    )


def grown(q: Loop, extra: int = 0) -> Loop:
    """The loop with room for `extra` more events and one more event of any kind."""
    inbox = int(q.counts[Count.INBOX])
    heap = int(q.counts[Count.HEAP]) + extra + 2 * MAX_PUSH + inbox
    longest = max(
        int(q.pending_n.max(initial=0)),
        int(q.local_n.max(initial=0)),
        int(q.overdue_n.max(initial=0)),
    )
    q.counts[Count.ROW_MAX] = longest
    rows = longest + inbox + 8
    fields = q._asdict()

    def wider(a: np.ndarray, size: int) -> np.ndarray:
        if a.shape[-1] >= size:
            return a
        b = np.zeros(a.shape[:-1] + (max(size, 2 * a.shape[-1]),), dtype=a.dtype)
        b[..., : a.shape[-1]] = a
        return b

    if heap > len(q.t):
        size = max(heap, 2 * len(q.t))
        for name in ("t", "seq", "slot", "kind", "a", "b", "c"):
            fields[name] = wider(fields[name], size)
        used = int(q.counts[Count.HEAP])  # the new slots are free, the free ones stay so
        fields["free"] = np.concatenate(
            [
                np.arange(len(q.t), size, dtype=np.int64)[::-1],
                q.free[: len(q.t) - used],
                q.free[len(q.t) - used :],
            ]
        )
    for name in ("inbox", "batch", "urgency"):
        fields[name] = wider(q._asdict()[name], inbox + 8)
    for name in ("pending", "local", "overdue"):
        fields[name] = wider(q._asdict()[name], rows)
    return Loop(**fields)
