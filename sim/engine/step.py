"""A step of the response: needs are found, the events of the step run, harm accrues.

Detection: each need not yet found is found within the step with probability
1 - exp(-rate x exposure), where the rate adds the resident's own (scaled by trust and
preparedness), the neighbours' and the grid manager's patrol (scaled by familiarity), at a
time drawn within the exposure and by a channel drawn in proportion to its rate. A found
need is first met locally where it can be (the grid's mobilized party members, a nearby
cadre on initiative, spontaneous volunteers), while its report climbs the chain. In the
pre-reform street no grid manager patrols (the rate is 0) and the report first goes round
the departments (``intake.py``).
"""

from __future__ import annotations

import math

from ..codes import (
    ARRIVE,
    BECAME_FREE,
    BUSY,
    CHANNELS,
    CREATED,
    DECIDE_BATCH,
    DETECT,
    DETECTED,
    DISPATCHED,
    DONE,
    ESCALATE,
    ESCALATION_ARRIVES,
    GENERAL,
    IDLE,
    INTAKE,
    LOCAL_WAIT_OVER,
    OFF_DUTY,
    OFFICES,
    ON_DUTY_START,
    PARTY_POOL,
    PICK,
    POOL_ARRIVE,
    POOL_DONE,
    POOL_FREE,
    REDISPATCH,
    REPORT,
    REPORTED,
    RESOLVED,
    RESTED,
    SEND,
    SPONTANEOUS_POOL,
    TRAVELLING,
    UNMET,
)
from ..detmath import expm1, log1p
from ..jit import entry, jit
from ..needs import N_COUNT, N_UNDETECTED, N_UNREACHED, set_state, severity_integral
from ..rng import index, random
from .chain import all_calls_until
from .dispatch import (
    decide_batch,
    dispatch,
    escalate,
    escalation_arrives,
    line_of,
    line_ok,
    local_wait_over,
    mark_dispatched,
    pick,
    redispatch,
    send,
)
from .distortion import count_severe, known_indicators
from .heap import pop, push
from .intake import FIRST, intake
from .service import (
    arrive,
    became_free,
    done,
    incident_sites,
    open_spontaneous,
    pool_arrive,
    pool_done,
    pool_free,
    rested,
    seen_add,
)
from .state import MAX_PUSH, Count, Par, Sum

# What a step returns: done; an array must grow, then call again to resume (GROW) or to
# start afresh (nothing was done: ROOM).
OK, GROW, ROOM = 0, 1, 2
RESIDENT, NEIGHBOUR, GRID_MANAGER = range(len(CHANNELS))
# The indicator series, a row per step (``GrassrootsModel.series``): the step writes the
# response's indicators (``indicators``); attitudes change only in peacetime and at
# evaluations (the model writes them then: the step carries them forward).
# Severe needs: the true count, the count known at each office level (sim.codes.Office) and
# at the deciding unit (``distortion.known_indicators``); expected casualties in all needs
# and in those whose report reached the deciding unit (the model writes these two).
SERIES = (
    "time_min",
    "day",
    "phase_code",
    "needs_total",
    "backlog",
    "unmet",
    "known_waiting",
    "resolved",
    "responders_busy",
    "responders_active",
    "cum_harm",
    "duplicate_dispatches",
    "temporary_orgs",
    "severe_needs",
    *(f"severe_known_{o}" for o in OFFICES),
    "severe_reported",
    "casualties",
    "casualties_reported",
    "susceptible",
    "infected",
    "recovered",
    "mean_trust",
    "mean_preparedness",
    "mean_familiarity",
    "volunteers",
)
SEVERE_COLUMNS = SERIES.index("severe_needs")
CASUALTY_COLUMNS = SERIES.index("casualties")
EPIDEMIC = SERIES.index("susceptible")
ATTITUDES = SERIES.index("mean_trust")


@jit
def detect(N, W, Rs, Q, P, S, t0, t1):
    """Needs found between t0 and t1: a DETECT event each (the caller has made room for as
    many events as needs not yet found)."""
    r_nb = P[Par.DETECT_RESIDENT_FACTOR] * P[Par.DETECT_NEIGHBOUR]
    k = 0
    for j in range(N.meta[N_UNDETECTED]):
        i = N.undetected[j]
        if N.state[i] != CREATED:
            continue
        start = max(N.created[i], t0)
        exposure = t1 - start
        who = N.resident[i]
        r_self = (
            P[Par.DETECT_RESIDENT_FACTOR]
            * P[Par.DETECT_SELF]
            * 0.5
            * (Rs.trust[who] + Rs.preparedness[who])
        )
        rate = r_self + r_nb + P[Par.DETECT_GRID_MANAGER] * W.familiarity[N.grid[i]]
        p_hit = -expm1(-rate * exposure / 60.0)
        if exposure > 0 and random(S) < p_hit:
            when = start + min(-log1p(-random(S) * p_hit) / rate * 60.0, exposure)
            u = random(S) * rate
            channel = RESIDENT if u < r_self else (NEIGHBOUR if u < r_self + r_nb else GRID_MANAGER)
            push(Q, when, DETECT, i, channel, 0)
        else:
            N.undetected[k] = i
            k += 1
    N.meta[N_UNDETECTED] = k


@jit
def detected(N, R, W, Rs, Q, P, S, t, i, channel):
    """Need i is found at minute t: a local response where one is at hand, and its report
    starts up the chain (in the siloed structure, often after a hand-off to its line; in the
    pre-reform street, through the departments' intake, and no grid manager tells the
    community's idle responders of it)."""
    if N.state[i] != CREATED:
        return
    set_state(N, i, DETECTED)
    N.detected[i] = t
    N.channel[i] = channel
    Rs.need_state[N.resident[i]] = UNMET
    seen_add(N, Q, W.grid_community[N.grid[i]], i)
    if P[Par.PRE_REFORM] != 0.0:
        _first_response(N, R, W, Q, P, S, t, i)
        intake(N, R, W, Q, P, S, t, i, FIRST)
        return
    push(Q, t + P[Par.LOCAL_WAIT], LOCAL_WAIT_OVER, i, 0, 0)
    _first_response(N, R, W, Q, P, S, t, i)
    if P[Par.SILOED] != 0.0:  # the detecting line may not own the need: hand it over
        lines = P[Par.SILOED_LINES]
        if random(S) < (lines - 1.0) / lines:
            Q.counts[Count.HANDOFFS] += 1
            push(Q, t + P[Par.HANDOFF_DELAY], REPORT, i, 0, 0)
            return
    send(N, R, W, Q, P, S, t, i, 0)


@jit
def _first_response(N, R, W, Q, P, S, t, i):
    g = N.grid[i]
    general = N.type_skill[N.kind[i]] == GENERAL
    if general and Q.party_free[g] > 0 and t >= P[Par.PARTY_ACTIVE_FROM]:
        Q.party_free[g] -= 1  # the grid's own party organization: its news is at the grid
        mark_dispatched(N, Q, P, i, t, 0.0)
        push(Q, t + P[Par.GRID_DELAY] + P[Par.LOCAL_TRAVEL], POOL_ARRIVE, PARTY_POOL, g, i)
        return
    # Cadre initiative: the idle cadre of the community nearest the need, of its line.
    c = W.grid_community[g]
    line = line_of(N, W, Q, P, i)
    best, best_travel = -1, 0.0
    for k in range(R.cadre_ptr[c], R.cadre_ptr[c + 1]):
        r = R.cadre_idx[k]
        if R.status[r] == IDLE and R.active_from[r] <= t and line_ok(R, r, line):
            minutes = W.travel[R.node[r], g]
            if best < 0 or minutes < best_travel:
                best, best_travel = r, minutes
    if best >= 0 and random(S) < R.initiative[best]:
        Q.counts[Count.INITIATIVE] += 1
        dispatch(N, R, W, Q, P, best, i, t)
        return
    if general:
        open_spontaneous(W, Q, P, S, g)
        if Q.spont_free[g] > 0:
            Q.spont_free[g] -= 1
            mark_dispatched(N, Q, P, i, t, math.nan)
            push(Q, t + P[Par.LOCAL_TRAVEL], POOL_ARRIVE, SPONTANEOUS_POOL, g, i)
            return
    # An idle self-directed volunteer of the community, drawn at random, looks around.
    n = 0
    for k in range(R.comm_ptr[c], R.comm_ptr[c + 1]):
        n += _self_directed_idle(R, R.comm_idx[k], t)
    if n > 0:
        chosen = index(S, n)
        for k in range(R.comm_ptr[c], R.comm_ptr[c + 1]):
            r = R.comm_idx[k]
            if _self_directed_idle(R, r, t):
                if chosen == 0:
                    pick(N, R, W, Q, P, S, t, r)
                    return
                chosen -= 1


@jit
def _self_directed_idle(R, r, t):
    return R.self_directed[r] and R.status[r] == IDLE and R.active_from[r] <= t


@jit
def _on_duty_start(N, R, Q, t, r):
    """Routine work: while cases wait for dispatch, staff come on duty one after another
    (community cadres first, as the roster lists them) and take the most urgent."""
    if r < len(R.role) and N.by_state[REPORTED] > 0:
        R.active_from[r] = t
        push(Q, t, PICK, r, 0, 0)
        push(Q, t, ON_DUTY_START, r + 1, 0, 0)


@jit
def room(Q):
    """Whether the heap and the lists can take what one more event may add."""
    inbox = Q.counts[Count.INBOX]
    return (
        len(Q.t) - Q.counts[Count.HEAP] - MAX_PUSH - inbox >= 0
        and len(Q.inbox) - inbox - 2 >= 0
        and Q.pending.shape[1] - Q.counts[Count.ROW_MAX] - inbox - 2 >= 0
    )


@jit
def run_until(N, R, W, Rs, Q, P, S, t_end):
    """Run every event strictly before t_end: OK, or GROW when an array must grow first
    (nothing is lost: call again after growing)."""
    while Q.counts[Count.HEAP] > 0 and Q.t[0] < t_end:
        if not room(Q):
            return GROW
        t, slot = pop(Q)
        kind, a, b, c = Q.kind[slot], Q.a[slot], Q.b[slot], Q.c[slot]
        Q.sums[Sum.NOW] = t
        if kind == DETECT:
            detected(N, R, W, Rs, Q, P, S, t, a, b)
        elif kind == SEND:
            send(N, R, W, Q, P, S, t, a, b)
        elif kind == PICK:
            pick(N, R, W, Q, P, S, t, a)
        elif kind == ARRIVE:
            arrive(N, R, W, Q, P, t, a, b)
        elif kind == DONE:
            done(N, R, W, Rs, Q, P, S, t, a, b)
        elif kind == LOCAL_WAIT_OVER:
            local_wait_over(N, R, W, Q, P, t, a)
        elif kind == POOL_ARRIVE:
            pool_arrive(N, W, Q, P, t, a, b, c)
        elif kind == POOL_DONE:
            pool_done(N, W, Rs, Q, P, t, a, b, c)
        elif kind == POOL_FREE:
            pool_free(Q, a, b)
        elif kind == BECAME_FREE:
            became_free(N, R, W, Q, P, S, t, a)
        elif kind == RESTED:
            rested(N, R, W, Q, P, S, t, a)
        elif kind == REPORT:
            send(N, R, W, Q, P, S, t, a, 0)
        elif kind == ESCALATE:
            escalate(N, W, Q, P, t, a)
        elif kind == ESCALATION_ARRIVES:
            escalation_arrives(N, R, W, Q, P, t, a)
        elif kind == DECIDE_BATCH:
            decide_batch(N, R, W, Q, P, t)
        elif kind == ON_DUTY_START:
            _on_duty_start(N, R, Q, t, a)
        elif kind == OFF_DUTY:
            for r in range(len(R.role)):
                R.active_from[r] = math.inf
        elif kind == INTAKE:
            intake(N, R, W, Q, P, S, t, a, b)
        elif kind == REDISPATCH:
            redispatch(N, R, W, Q, P, t, a, b)
    Q.sums[Sum.NOW] = max(Q.sums[Sum.NOW], t_end)
    return OK


@jit
def accrue_harm(N, Q, P, t0, t1):
    """Harm of the step: each need unmet during part of it, weighted, over its severity;
    needs reached leave the list of unreached needs."""
    rate = P[Par.DETERIORATION]
    k = 0
    for j in range(N.meta[N_UNREACHED]):
        i = N.unreached[j]
        created, reached = N.created[i], N.reached[i]
        if not math.isnan(reached) and reached <= t0:
            continue
        if created < t1:
            end = t1 if math.isnan(reached) else min(reached, t1)
            inc = N.weight[i] * severity_integral(
                N.severity0[i], rate, (max(t0, created) - created) / 60.0, (end - created) / 60.0
            )
            N.harm[i] += inc
            Q.sums[Sum.HARM] += inc
        if math.isnan(reached):
            N.unreached[k] = i
            k += 1
    N.meta[N_UNREACHED] = k


@jit
def indicators(N, R, Rs, Q, t, day, series, row):
    """The step's indicators (``SERIES``) into series[row]."""
    out = series[row]
    n = N.meta[N_COUNT]
    busy = active = 0
    for r in range(len(R.role)):
        busy += R.status[r] == TRAVELLING or R.status[r] == BUSY
        active += R.active_from[r] <= t
    out[0], out[1], out[2] = t, day, 1.0
    out[3], out[4] = n, n - N.by_state[RESOLVED]
    out[5] = (
        N.by_state[CREATED] + N.by_state[DETECTED] + N.by_state[REPORTED] + N.by_state[DISPATCHED]
    )
    out[6] = N.by_state[DETECTED] + N.by_state[REPORTED]
    out[7], out[8], out[9] = N.by_state[RESOLVED], busy, active
    out[10] = Q.sums[Sum.HARM]
    out[11], out[12] = Q.counts[Count.DUPLICATES], Q.counts[Count.TEMP_ORGS]
    known_indicators(Q, out, SEVERE_COLUMNS)
    for k in range(3):
        out[EPIDEMIC + k] = Rs.epi_counts[k]
    for k in range(ATTITUDES, len(out)):
        out[k] = series[row - 1, k]


WAR, DUTY = 0, 1  # what ``step`` runs


@entry
def step(N, R, W, Rs, Q, P, S, mode, t0, t1, start, stop, resume, series, row):
    """A step of the response from t0 to t1 (``resume``: a step resumed after growing).

    WAR: needs are found, events run, harm accrues, incident sites get temporary party
    organizations; the indicators into series[row]. DUTY (a routine day): cases are found,
    staff go on duty at `start` and stop taking cases at `stop` (who is on a case finishes
    it; `start` at or after t1: a day off, no one goes on duty)."""
    if not resume:
        if (
            len(Q.t) - Q.counts[Count.HEAP]
            < N.meta[N_UNDETECTED] + 2 * MAX_PUSH + Q.counts[Count.INBOX]
        ):
            return ROOM
        detect(N, W, Rs, Q, P, S, t0, t1)
        if mode == DUTY:
            for r in range(len(R.role)):
                R.shift_min[r] = 0.0
                R.active_from[r] = start if start < t1 else math.inf
            if start < t1:
                push(Q, start, ON_DUTY_START, 0, 0, 0)
                push(Q, stop, OFF_DUTY, 0, 0, 0)
    if run_until(N, R, W, Rs, Q, P, S, t1) == GROW:
        return GROW
    if mode == WAR:
        count_severe(N, Q, P, N.meta[N_COUNT])
        all_calls_until(Q, t1)  # the offices' calls of the step, answered or not
        accrue_harm(N, Q, P, t0, t1)
        incident_sites(N, W, Q, P, S, t1)
        indicators(N, R, Rs, Q, t1, t1 / 1440.0 + start, series, row)
    return OK
