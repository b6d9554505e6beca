"""The reporting chain: the offices a need's report climbs to the unit that decides.

Each office is a queue of parallel handlers, each report taking a fixed number of minutes;
handlers scale with the residents an office serves (``handlers``). Which offices a report
passes is the mechanism's route (``sim.registry.Mechanism``), one before and one after the
front-line command convenes: ``Loop.route``. Above the grid a report may be lost at each
office; it is re-sent a few times, then lost for good (``dispatch.send``).
"""

from __future__ import annotations

from ..codes import COMMAND, COMMUNITY, GRID, NONE, TOWNSHIP
from ..jit import jit
from .state import Par


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
    handler takes it (the row's handlers are a heap of their free minutes)."""
    free = Q.office_free[row]
    n = Q.office_n[row]
    start = max(t, free[0])
    done = start + Q.office_delay[row]
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
    return done


@jit
def escalation_office(P, t):
    """Where a grid escalates what it cannot meet: the command once it convenes."""
    return COMMAND if t >= P[Par.COMMAND_ACTIVE] else TOWNSHIP
