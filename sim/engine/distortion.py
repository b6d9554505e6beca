"""What each level of the reporting chain knows, and how it distorts bad news.

A report of a need reaches the offices of its route one after another (``chain.route``);
each office level learns of the need when the report reaches it (``learn``). In wartime an
office above the grid that passes the report of a severe need on to another office may hold
it back (``pass_on``): with probability ``P[Par.WITHHOLD]`` (``reporting.withhold_per_level``
x ``organization.blame_for_bad_news``, lowered by fault tolerance and front-line inspection:
``engine.withhold_chance``) the report leaves the office an exponential time of mean
``reporting.withhold_mean_min`` later than it would have. The need is not lost: the levels
above do not know of it meanwhile, and its community may still act on it (local action).
These draws come from a stream of their own (``Loop.distortion``), so holding back changes
no other draw of the run.
A need counts as severe if its starting severity is at least ``reporting.severe_threshold``.

Per level (``Loop.levels``, columns ``state.Level``): severe needs known and their lag since
creation, reports lost on the way in, reports held back, reports passed on and their minutes
at the office. docs/ODD.md (Submodels, "Distortion up the hierarchy") says it in words.
"""

from __future__ import annotations

from ..codes import GRID
from ..jit import jit
from ..rng import exponential, random
from .state import Count, Level, Par


@jit
def severe(N, P, i):
    """Whether need i is severe (bad news): its starting severity is at the threshold."""
    return N.severity0[i] >= P[Par.SEVERE]


@jit
def learn(N, Q, P, level, i, t):
    """The report of need i reaches the office at `level` at minute t: the level knows of
    it (once)."""
    bit = 1 << level
    if N.levels_known[i] & bit:
        return
    N.levels_known[i] |= bit
    if severe(N, P, i):
        Q.levels[level, Level.KNOWN] += 1
        Q.levels[level, Level.KNOWN_LAG] += t - N.created[i]


@jit
def pass_on(N, Q, P, level, i, t, done, onward):
    """The report of need i reached the office at `level` at minute t and is handled by
    minute `done`: the minute it leaves. With `onward` (another office comes after this
    one) an office above the grid may hold a severe need's report back."""
    leave = done
    if (
        onward
        and level != GRID
        and P[Par.WITHHOLD] > 0.0
        and severe(N, P, i)
        and random(Q.distortion) < P[Par.WITHHOLD]
    ):
        leave = done + exponential(Q.distortion, P[Par.WITHHOLD_MEAN])
        N.levels_withheld[i] |= 1 << level
        Q.levels[level, Level.WITHHELD] += 1
    passed(N, Q, P, level, i, t, leave)
    return leave


@jit
def passed(N, Q, P, level, i, t, leave):
    """The report of need i reached the office at `level` at minute t and leaves it at
    minute `leave`."""
    learn(N, Q, P, level, i, t)
    Q.levels[level, Level.PASSED] += 1
    Q.levels[level, Level.PASSED_MIN] += leave - t


@jit
def lost(Q, level):
    """A report was lost on its way into the office at `level`."""
    Q.levels[level, Level.LOST] += 1


@jit
def decided(N, Q, P, i):
    """The report of need i reached the unit that decides, for the first time."""
    if severe(N, P, i):
        Q.counts[Count.SEVERE_REPORTED] += 1


@jit
def count_severe(N, Q, P, n):
    """Count the severe needs among those created since the last call (n: needs so far)."""
    for i in range(Q.counts[Count.SEVERE_SCANNED], n):
        if severe(N, P, i):
            Q.counts[Count.SEVERE] += 1
    Q.counts[Count.SEVERE_SCANNED] = n


@jit
def known_indicators(Q, out, first):
    """The true count of severe needs, the count known at each office level and at the
    deciding unit, into out[first:] (``step.SERIES``: ``severe_needs`` onwards)."""
    out[first] = Q.counts[Count.SEVERE]
    for level in range(Q.levels.shape[0]):
        out[first + 1 + level] = Q.levels[level, Level.KNOWN]
    out[first + 1 + Q.levels.shape[0]] = Q.counts[Count.SEVERE_REPORTED]
