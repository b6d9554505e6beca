"""The reporting chain: the offices a need's report climbs to the unit that decides.

Each office is a queue of parallel handlers, each report taking a fixed number of minutes;
handlers scale with the residents an office serves (``handlers``). Which offices a report
passes is the mechanism's route (``sim.registry.Mechanism``), one before and one after the
front-line command convenes: ``Loop.route``. Above the grid a report may be lost at each
office; it is re-sent a few times, then lost for good (``dispatch.send``).

Residents also call the offices with requests that are not needs of the emergency (the
surge at the hotline and the office, ``calls_until``): the calls take the same handlers in
arrival order with the reports, and a caller not answered within their patience hangs up.
"""

from __future__ import annotations

from ..codes import COMMAND, COMMUNITY, GRID, NONE, TOWNSHIP
from ..jit import jit
from ..rng import exponential
from .state import CALL_HANDLING, CALL_PATIENCE, CALL_START, STREET, Par


def handlers(per_10k: float, residents: float) -> int:
    """Parallel handlers of an office serving `residents` (at least one)."""
    return max(1, round(per_10k * residents / 10_000))


@jit
def route(Q, P, stage, t):
    """The office of hop `stage` of a report there at minute t (NONE: it has arrived)."""
    if stage >= Q.route.shape[1]:
        return NONE
    return Q.route[1 if t >= P[Par.COMMAND_ACTIVE] else 0, stage]


@jit
def news_minutes(Q, P, t):
    """Minutes a short notice sent from a grid at minute t takes to reach the unit that
    decides: each office's handling time, without queueing."""
    total, stage = 0.0, 0
    level = route(Q, P, stage, t)
    while level != NONE:
        total += Q.level_delay[level]
        stage += 1
        level = route(Q, P, stage, t)
    return total


@jit
def office_row(W, level, g):
    """The row in ``Loop.office_free`` of the office at `level` for a report from grid g
    (``state.office_rows``)."""
    if level == GRID:
        return g
    n_grids, n_communities = len(W.grid_community), len(W.cohesion)
    if level == COMMUNITY:
        return n_grids + W.grid_community[g]
    if level == TOWNSHIP:
        return n_grids + n_communities
    if level == COMMAND:
        return n_grids + n_communities + 1
    return n_grids + n_communities + 2 + (level - 3)


@jit
def admit(Q, row, t):
    """A report arriving at an office at minute t: the minute it leaves. The first free
    handler takes it, after the calls that reached the office before it."""
    s = Q.row_source[row]
    if s >= 0:
        calls_until(Q, s, t)
    done = max(t, Q.office_free[row, 0]) + Q.office_delay[row]
    _occupy(Q, row, done)
    return done


@jit
def _occupy(Q, row, done):
    """The first free handler of the office is busy until `done` (the row's handlers are a
    heap of their free minutes)."""
    free = Q.office_free[row]
    n = Q.office_n[row]
    free[0] = done
    k = 0
    while True:
        child = 2 * k + 1
        if child >= n:
            break
        if child + 1 < n and free[child + 1] < free[child]:
            child += 1
        if free[child] >= free[k]:
            break
        free[child], free[k] = free[k], free[child]
        k = child


# --- residents' calls: the surge at the hotline and the office ------------------------------


@jit
def calls_until(Q, s, t):
    """The calls of source s (``state.CallSources``) that arrive before minute t, in order.

    Calls arrive as a Poisson stream (``Loop.call_rate``), each with an exponential patience
    (mean CALL_PATIENCE minutes), on the source's own random stream. Offices serve in order
    of arrival, so a call's wait is known when it arrives: the first free handler of its
    office, after every earlier call and report, takes it then. A caller whose wait would
    exceed their patience hangs up and takes no handler's time (the call is unanswered);
    else the handler is busy CALL_HANDLING minutes. A report arriving later waits behind
    the answered calls: this is exact FIFO, without an event per call."""
    if Q.call_next[s] >= t:
        return
    stream = Q.call_stream[s]
    mean_gap = 1.0 / Q.call_rate[s]
    days = len(Q.call_day)
    kind = 0 if s == STREET else 2
    while Q.call_next[s] < t:
        a = Q.call_next[s]
        row = Q.call_rows[s, 0 if a < Q.call_switch[s] else 1]
        patience = exponential(stream, Q.call_const[CALL_PATIENCE])
        day = min(max(int((a - Q.call_const[CALL_START]) // 1440.0), 0), days - 1)
        Q.call_count[s, 0] += 1
        Q.call_day[day, kind] += 1
        start = max(a, Q.office_free[row, 0])
        if start - a <= patience:
            _occupy(Q, row, start + Q.call_const[CALL_HANDLING])
            Q.call_count[s, 1] += 1
            Q.call_day[day, kind + 1] += 1
        Q.call_next[s] = a + exponential(stream, mean_gap)


@jit
def all_calls_until(Q, t):
    """Every source's calls that arrive before minute t (at the end of a step)."""
    for s in range(len(Q.call_rate)):
        calls_until(Q, s, t)


@jit
def escalation_office(P, t):
    """Where a grid escalates what it cannot meet: the command once it convenes."""
    return COMMAND if t >= P[Par.COMMAND_ACTIVE] else TOWNSHIP
