"""Reports reaching the unit that decides, and who is sent to which need.

The deciding unit sends its best available responder: the one who arrives soonest, a skill
mismatch counting as the extra effort it costs (ties: the lowest roster index). Candidates
are the need's community's own responders and those who may go anywhere; the latter wait,
when idle, in a list per community they are in, searched nearest first (``Place.
comm_order``), so that a decision does not scan every responder. An idle responder takes the
most urgent waiting need it may serve (priority: severity x harm weight, less for a skill
mismatch, less a little per minute of travel; ties: the oldest need). Needs that wait longer
than the local wait are taken up by idle responders of their community (``act_locally``).
"""

from __future__ import annotations

import math

import numpy as np

from ..codes import (
    ARRIVE,
    DETECTED,
    DISPATCHED,
    ESCALATE,
    ESCALATION_ARRIVES,
    GENERAL,
    IDLE,
    NONE,
    REDISPATCH,
    REPORTED,
    SEND,
    TRAVELLING,
)
from ..jit import entry, jit
from ..needs import set_state
from ..rng import index, keyed, random
from .chain import admit, escalation_office, news_minutes, office_row, route
from .distortion import decided, lost, pass_on, passed
from .heap import push
from .state import Count, Par


@jit
def line_of(N, W, Q, P, i):
    """The line that must serve need i (-1: any line; always -1 unless lines are kept apart:
    siloed, pre-reform)."""
    if P[Par.SILOED] == 0.0 or N.line[i] < 0:
        return -1
    return Q.lines[W.grid_community[N.grid[i]], N.line[i]]


@jit
def line_ok(R, r, line):
    return line < 0 or R.line[r] < 0 or R.line[r] == line


@jit
def priority(N, P, i, t):
    sev = N.severity0[i] + P[Par.DETERIORATION] * (t - N.created[i]) / 60.0
    return min(1.0, sev) * N.weight[i]


# --- idle responders who may go anywhere, by the community they are in ---------------------


@jit
def bucket_add(R, W, r):
    c, s = W.node_community[R.node[r]], R.skill[r]
    R.any_bucket[r], R.any_prev[r], R.any_next[r] = c, -1, R.any_head[c, s]
    if R.any_head[c, s] >= 0:
        R.any_prev[R.any_head[c, s]] = r
    R.any_head[c, s] = r
    R.any_count[s] += 1


@jit
def bucket_remove(R, r):
    c = R.any_bucket[r]
    if c < 0:
        return
    after, before = R.any_next[r], R.any_prev[r]
    if before >= 0:
        R.any_next[before] = after
    else:
        R.any_head[c, R.skill[r]] = after
    if after >= 0:
        R.any_prev[after] = before
    R.any_bucket[r] = -1
    R.any_count[R.skill[r]] -= 1


@entry
def fill_buckets(R, W):
    """The idle responders who may go anywhere, in the lists of where they are."""
    for r in range(len(R.role) - 1, -1, -1):
        if R.anywhere[r] and R.status[r] == IDLE and R.any_bucket[r] < 0:
            bucket_add(R, W, r)


@jit
def set_idle(R, W, r):
    R.status[r] = IDLE
    if R.anywhere[r]:
        bucket_add(R, W, r)


# --- dispatch -----------------------------------------------------------------------------


@jit
def mark_dispatched(N, Q, P, i, t, news_delay):
    """Count a dispatch to need i at minute t. A local response (before the deciding unit
    decided) reaches the grid manager's ears after `news_delay` minutes (NaN:
    ``reporting.local_news_delay_min``)."""
    N.n_dispatches[i] += 1
    if N.n_dispatches[i] > 1:
        Q.counts[Count.DUPLICATES] += 1
    state = N.state[i]
    if state == DETECTED and math.isnan(N.news_at[i]):
        N.news_at[i] = t + (P[Par.LOCAL_NEWS_DELAY] if math.isnan(news_delay) else news_delay)
    if state <= REPORTED:
        set_state(N, i, DISPATCHED)
        N.dispatched[i] = t


@jit
def dispatch(N, R, W, Q, P, r, i, t):
    """Send responder r to need i at minute t."""
    mark_dispatched(N, Q, P, i, t, np.nan)
    bucket_remove(R, r)
    R.status[r], R.need[r], R.busy_since[r] = TRAVELLING, i, t
    push(Q, t + W.travel[R.node[r], N.grid[i]] + P[Par.LOCAL_TRAVEL], ARRIVE, r, i, 0)


@jit
def _consider(N, R, W, P, r, g, skill, extra, line, t, local, best, best_score):
    """Candidate r against the best so far (a lower score, or an equal one at a lower
    index, wins)."""
    if R.status[r] != IDLE or R.active_from[r] > t or not line_ok(R, r, line):
        return best, best_score
    if local >= 0 and W.node_community[R.node[r]] != local:
        return best, best_score
    score = W.travel[R.node[r], g] + (extra if skill != GENERAL and R.skill[r] != skill else 0.0)
    if np.isfinite(score) and (
        best < 0 or score < best_score or (score == best_score and r < best)
    ):
        return r, score
    return best, best_score


@jit
def send_best(N, R, W, Q, P, i, t, ptr, idx, local, anywhere):
    """Send the responder who arrives soonest at need i among the idle, active ones of
    idx[ptr[c]:ptr[c + 1]] (c: the need's community) and, with `anywhere`, those who may go
    anywhere; `local` >= 0: only responders now in that community. False if none can go.

    Those who may go anywhere are searched community by community, nearest first, until
    no one there can arrive sooner: first those of the need's skill, then (counting the
    mismatch's extra effort) the others."""
    g = N.grid[i]
    c = W.grid_community[g]
    line = line_of(N, W, Q, P, i)
    skill = N.type_skill[N.kind[i]]
    extra = (P[Par.MISMATCH_FACTOR] - 1.0) * N.effort[i]
    best, best_score = -1, np.inf
    for k in range(ptr[c], ptr[c + 1]):
        best, best_score = _consider(
            N, R, W, P, idx[k], g, skill, extra, line, t, local, best, best_score
        )
    if anywhere:
        for matched in (True, False):
            if skill == GENERAL and not matched:
                break  # every skill meets a general need: one search
            best, best_score = _search(
                N, R, W, P, g, skill, extra, line, t, local, matched, best, best_score
            )
    if best < 0:
        return False
    dispatch(N, R, W, Q, P, best, i, t)
    return True


@jit
def _search(N, R, W, P, g, skill, extra, line, t, local, matched, best, best_score):
    """The idle anywhere-responders of the need's skill (`matched`; every skill for a
    general need) or of the other skills, nearest communities first."""
    add = 0.0 if matched else extra
    left = 0  # idle ones of the skills searched not yet seen: none left, no need to go on
    for s in range(R.any_head.shape[1]):
        if (s == skill) == matched or skill == GENERAL:
            left += R.any_count[s]
    for k in range(len(W.cohesion) if left > 0 else 0):
        c2 = local if local >= 0 else W.comm_order[g, k]
        if best >= 0 and W.node_comm_min[g, c2] + add > best_score:
            break  # no one there can arrive sooner
        for s in range(R.any_head.shape[1]):
            if (s == skill) != matched and skill != GENERAL:
                continue
            r = R.any_head[c2, s]
            while r >= 0:
                best, best_score = _consider(
                    N, R, W, P, r, g, skill, extra, line, t, local, best, best_score
                )
                r = R.any_next[r]
                left -= 1
        if local >= 0 or left <= 0:
            break
    return best, best_score


@jit
def assign(N, R, W, Q, P, i, t, local):
    """The deciding unit sends its best available responder to need i."""
    return send_best(N, R, W, Q, P, i, t, R.fixed_ptr, R.fixed_idx, local, True)


@jit
def act_locally(N, R, W, Q, P, i, t):
    """Idle responders of the need's community, told of it by the grid manager, send the
    best of them without waiting for the chain."""
    if send_best(N, R, W, Q, P, i, t, R.disp_ptr, R.disp_idx, -1, False):
        Q.counts[Count.LOCAL_ACTIONS] += 1
        return True
    return False


@jit
def local_wait_over(N, R, W, Q, P, t, i):
    state = N.state[i]
    if (state == DETECTED or state == REPORTED) and not act_locally(N, R, W, Q, P, i, t):
        _append(Q, Q.overdue, Q.overdue_n, W.grid_community[N.grid[i]], i)


# --- reports on their way and at the deciding unit -----------------------------------------


@jit
def send(N, R, W, Q, P, S, t, i, stage):
    """The report of need i enters hop `stage` at minute t; above the grid it may be lost
    (and re-sent, up to ``reporting.max_resends`` times), and a severe need's report may be
    held back (``distortion.pass_on``)."""
    level = route(Q, P, stage, t)
    if level == NONE:
        if not misrouted(N, Q, P, t, i, 0):
            decide(N, R, W, Q, P, t, i)
        return
    loss = P[Par.LOSS]
    if stage > 0 and loss > 0 and random(S) < loss:
        Q.counts[Count.LOST] += 1
        lost(Q, level)
        if N.resends[i] >= P[Par.MAX_RESENDS]:
            Q.counts[Count.LOST_FOR_GOOD] += 1  # the need waits for local action
            return
        N.resends[i] += 1
        push(Q, t + P[Par.RESEND_AFTER], SEND, i, stage, 0)
        return
    done = admit(Q, office_row(W, level, N.grid[i]), t)
    onward = route(Q, P, stage + 1, done) != NONE  # the office passes it to another
    push(Q, pass_on(N, Q, P, level, i, t, done, onward), SEND, i, stage + 1, 0)


@jit
def misrouted(N, Q, P, t, i, attempt):
    """Whether the deciding unit's `attempt`-th dispatch of need i, whose report is there at
    minute t, goes to a wrong unit (chance 1 - ``reporting.dispatch_accuracy``; only a need
    no one has been sent to): the report has arrived, and the need is dispatched again after
    the re-dispatch delay (wrong again with the same chance). The draw is keyed by the need
    and the attempt (``rng.keyed``), not taken from the run's stream: the same needs are
    misrouted in two arms of a comparison, and the stream's other draws stay common."""
    if N.state[i] != DETECTED or P[Par.DISPATCH_ACCURACY] >= 1.0:
        return False
    if keyed(P[Par.DISPATCH_KEY], i, attempt) < P[Par.DISPATCH_ACCURACY]:
        return False
    if math.isnan(N.reported[i]):  # the report is there: the deciding unit knows of it
        N.reported[i] = t
        decided(N, Q, P, i)
    Q.counts[Count.REDISPATCHES] += 1
    push(Q, t + P[Par.REDISPATCH_DELAY], REDISPATCH, i, attempt + 1, 0)
    return True


@jit
def redispatch(N, R, W, Q, P, t, i, attempt):
    """A misrouted dispatch of need i came back at minute t: the deciding unit sends it
    again (its `attempt`-th dispatch)."""
    if not misrouted(N, Q, P, t, i, attempt):
        decide(N, R, W, Q, P, t, i)


@jit
def decide(N, R, W, Q, P, t, i):
    """The report of need i reaches the unit that decides, at minute t."""
    if math.isnan(N.reported[i]):
        N.reported[i] = t
        decided(N, Q, P, i)
    state = N.state[i]
    if state != DETECTED:
        if state >= DISPATCHED and not _knows_covered(N, Q, P, i, t):
            assign(N, R, W, Q, P, i, t, -1)  # a duplicated dispatch: it has not heard yet
        return
    set_state(N, i, REPORTED)
    c = W.grid_community[N.grid[i]]
    if P[Par.LOCAL_FIRST] != 0.0:
        if not assign(N, R, W, Q, P, i, t, c):
            _append(Q, Q.local, Q.local_n, c, i)
            push(Q, t + P[Par.AUTONOMY_ESCALATE], ESCALATE, i, 0, 0)
        return
    if P[Par.BATCH] != 0.0 and t < P[Par.COMMAND_ACTIVE]:
        Q.inbox[Q.counts[Count.INBOX]] = i  # decided at the next joint meeting
        Q.counts[Count.INBOX] += 1
        return
    if not assign(N, R, W, Q, P, i, t, -1):
        add_pending(N, Q, P, c, i, t)


@jit
def _knows_covered(N, Q, P, i, t):
    """Whether the deciding unit has heard, by minute t, that need i is already covered."""
    if P[Par.KNOWS_LOCAL] != 0.0:
        return True
    news = N.news_at[i]
    return math.isnan(news) or t >= news + news_minutes(Q, P, news)


@jit
def escalate(N, W, Q, P, t, i):
    """Grid autonomy: what the community could not meet goes one hop up."""
    if N.state[i] == REPORTED:
        level = escalation_office(P, t)
        done = admit(Q, office_row(W, level, N.grid[i]), t)
        passed(N, Q, P, level, i, t, done)
        push(Q, done, ESCALATION_ARRIVES, i, 0, 0)


@jit
def escalation_arrives(N, R, W, Q, P, t, i):
    """The escalated report reaches the command: the hop counts as reporting delay."""
    if N.state[i] != REPORTED:
        return
    N.reported[i] = t
    if not assign(N, R, W, Q, P, i, t, -1):
        add_pending(N, Q, P, W.grid_community[N.grid[i]], i, t)


@jit
def decide_batch(N, R, W, Q, P, t):
    """All gathered reports decided together: most urgent first, no duplicates."""
    k = Q.counts[Count.INBOX]
    ids, urgency = Q.batch, Q.urgency
    for j in range(k):
        ids[j] = Q.inbox[j]
        urgency[j] = priority(N, P, ids[j], t)
    Q.counts[Count.INBOX] = 0
    for j in range(1, k):  # stable insertion sort, most urgent first
        i, u, h = ids[j], urgency[j], j - 1
        while h >= 0 and urgency[h] < u:
            ids[h + 1], urgency[h + 1] = ids[h], urgency[h]
            h -= 1
        ids[h + 1], urgency[h + 1] = i, u
    for j in range(k):
        i = ids[j]
        if N.state[i] == REPORTED and not assign(N, R, W, Q, P, i, t, -1):
            add_pending(N, Q, P, W.grid_community[N.grid[i]], i, t)


# --- waiting lists ----------------------------------------------------------------------------


@jit
def _append(Q, rows, counts, c, i):
    rows[c, counts[c]] = i
    counts[c] += 1
    Q.counts[Count.ROW_MAX] = max(Q.counts[Count.ROW_MAX], counts[c])


@jit
def add_pending(N, Q, P, c, i, t):
    """Need i waits for a free responder: the community's bounds of weight and priority."""
    _append(Q, Q.pending, Q.pending_n, c, i)
    Q.pending_pmax[c] = max(_pending_bound(Q, P, c, t), priority(N, P, i, t))
    Q.pending_time[c] = t
    Q.pending_wmax[c] = max(Q.pending_wmax[c], N.weight[i])


@jit
def _pending_bound(Q, P, c, t):
    """An upper bound of the priority of community c's pending needs at minute t: their
    maximum when last known, grown since as fast as severity deteriorates, at most their
    largest weight (priority: severity capped at 1, times the weight)."""
    grown = Q.pending_wmax[c] * P[Par.DETERIORATION] * max(t - Q.pending_time[c], 0.0) / 60.0
    return min(Q.pending_wmax[c], Q.pending_pmax[c] + grown)


@jit
def _waiting(N, i, lowest):
    return N.state[i] >= lowest and N.state[i] <= REPORTED


@jit
def _compact(N, rows, row, n, lowest):
    """Drop the needs no longer waiting from rows[row, :n] when most are; the new length."""
    live = 0
    for j in range(n):
        live += _waiting(N, rows[row, j], lowest)
    if 2 * live >= n:
        return n
    k = 0
    for j in range(n):
        i = rows[row, j]
        if _waiting(N, i, lowest):
            rows[row, k] = i
            k += 1
    return k


@jit
def _scan(N, R, W, Q, P, t, r, rows, row, n, lowest, best, best_score):
    """The most urgent need in rows[row, :n] still waiting that responder r may take,
    against the best so far (ties: the oldest need)."""
    c = R.community[r]
    for j in range(n):
        i = rows[row, j]
        if not _waiting(N, i, lowest):
            continue
        if W.grid_community[N.grid[i]] != c and not R.anywhere[r]:
            continue
        if P[Par.SILOED] != 0.0 and not line_ok(R, r, line_of(N, W, Q, P, i)):
            continue
        travel = W.travel[R.node[r], N.grid[i]]
        if not np.isfinite(travel):
            continue
        skill = N.type_skill[N.kind[i]]
        mismatch = skill != GENERAL and skill != R.skill[r]
        score = (
            priority(N, P, i, t) / (P[Par.MISMATCH_FACTOR] if mismatch else 1.0)
            - P[Par.URGENCY_PER_TRAVEL] * travel
        )
        if best < 0 or score > best_score or (score == best_score and i < best):
            best, best_score = i, score
    return best, best_score


@jit
def _scan_pending(N, R, W, Q, P, t, r, c, best, best_score):
    """`_scan` of community c's pending list, which is compacted and its bounds made
    exact."""
    best, best_score = _scan(
        N, R, W, Q, P, t, r, Q.pending, c, Q.pending_n[c], REPORTED, best, best_score
    )
    n = _compact(N, Q.pending, c, Q.pending_n[c], REPORTED)
    Q.pending_n[c] = n
    wmax = pmax = 0.0
    for j in range(n):
        i = Q.pending[c, j]
        if _waiting(N, i, REPORTED):
            wmax = max(wmax, N.weight[i])
            pmax = max(pmax, priority(N, P, i, t))
    Q.pending_wmax[c], Q.pending_pmax[c], Q.pending_time[c] = wmax, pmax, t
    return best, best_score


@jit
def _pending_anywhere(N, R, W, Q, P, t, r, best, best_score):
    """The best pending need of any community for a responder who may go anywhere: the
    community with the highest upper bound of what it holds (``_pending_bound``, less the
    fewest minutes to it) first, then every other whose bound can still beat the best."""
    u = P[Par.URGENCY_PER_TRAVEL]
    top = -1
    for c in range(len(Q.pending_n)):
        if Q.pending_n[c] > 0:
            Q.bound[c] = _pending_bound(Q, P, c, t) - u * W.node_comm_min[R.node[r], c]
            if top < 0 or Q.bound[c] > Q.bound[top]:
                top = c
    if top < 0:
        return best, best_score
    best, best_score = _scan_pending(N, R, W, Q, P, t, r, top, best, best_score)
    for c in range(len(Q.pending_n)):
        if c != top and Q.pending_n[c] > 0 and (best < 0 or Q.bound[c] >= best_score):
            best, best_score = _scan_pending(N, R, W, Q, P, t, r, c, best, best_score)
    return best, best_score


@jit
def pick(N, R, W, Q, P, S, t, r):
    """An idle responder takes the most urgent waiting need it may serve: from the grid-
    autonomy list of the community it is in, the pending lists (if the command dispatches
    it) and its community's overdue needs. A self-directed volunteer takes, at random, one
    of the unmet needs it sees around it, not knowing who else goes."""
    if R.status[r] != IDLE or R.active_from[r] > t:
        return
    c = R.community[r]
    if R.self_directed[r]:
        n, j = 0, Q.seen_head[c]
        while j >= 0:
            n, j = n + 1, N.seen_next[j]
        if n > 0:
            j = Q.seen_head[c]
            for _ in range(index(S, n)):
                j = N.seen_next[j]
            dispatch(N, R, W, Q, P, r, j, t)
        return
    here = W.node_community[R.node[r]]
    best, best_score = -1, -np.inf
    if here >= 0:
        best, best_score = _scan(
            N, R, W, Q, P, t, r, Q.local, here, Q.local_n[here], REPORTED, best, best_score
        )
        Q.local_n[here] = _compact(N, Q.local, here, Q.local_n[here], REPORTED)
    if R.dispatchable[r]:
        if R.anywhere[r]:
            best, best_score = _pending_anywhere(N, R, W, Q, P, t, r, best, best_score)
        elif Q.pending_n[c]:
            best, best_score = _scan_pending(N, R, W, Q, P, t, r, c, best, best_score)
    best, best_score = _scan(
        N, R, W, Q, P, t, r, Q.overdue, c, Q.overdue_n[c], DETECTED, best, best_score
    )
    Q.overdue_n[c] = _compact(N, Q.overdue, c, Q.overdue_n[c], DETECTED)
    if best >= 0:
        dispatch(N, R, W, Q, P, r, best, t)
