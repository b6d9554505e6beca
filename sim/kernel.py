"""The response's event loop, compiled with numba: the ``compiled`` engine.

The handlers of ``response.py`` (detection, first response, decisions, dispatch, service),
``reporting.py`` (the offices' queues, losses and re-sends), ``mobilization.py`` (pooled
party members and spontaneous volunteers) and the duty day of ``routine.py``, on arrays and
an array-backed event heap. The Python classes are the reference and the specification: this
module does exactly what they do, in the same order and with the same random draws from the
same generator (numba draws from a ``numpy.random.Generator`` exactly as numpy does), so a
run gives bit-identical output with either engine (``tests/test_engine.py``).

An event is (minute, sequence number, kind, a, b, c); ties in time run in scheduling order.
The loop returns to Python when a step's events are done, or when an array needs to grow
(``GROW``), which ``sim/engine.py`` does before calling again.

State comes in five named tuples (``sim/engine.py`` builds them): ``N`` the need table,
``R`` the roster and who may serve where (CSR index lists per community), ``W`` the world
(travel, residents, resident pools, the offices' queues), ``Q`` the event heap, waiting lists
and counters, and ``P`` the scalar parameters (indices below).
"""

from __future__ import annotations

import math
from collections import namedtuple

import numba
import numpy as np

from .needs import (CREATED, DETECTED, DISPATCHED, GENERAL, REPORTED, RESOLVED, SERVING,
                    TYPE_NAMES)
from .residents import MET

# --- event kinds (the Python handler each stands for: sim/engine.py EVENT_CODES) ----------
(PICK, DETECT, LOCAL_WAIT_OVER, REPORT, SEND, ESCALATE, ESCALATION_ARRIVES, JOINT_MEETING,
 COMMAND_CONVENED, ARRIVE, DONE, BECAME_FREE, RESTED, POOL_ARRIVE, POOL_DONE, POOL_FREE,
 ON_DUTY_START, OFF_DUTY) = range(18)

# --- responder status, roles, pools (as in agents.py, roster.py, mobilization.py) ---------
IDLE, TRAVELLING, BUSY_SERVING, RESTING = 0, 1, 2, 3
COMMUNITY_CADRE = 0
PARTY_POOL, SPONTANEOUS_POOL = 0, 1
EVACUATION, TESTING = TYPE_NAMES.index("evacuation"), TYPE_NAMES.index("testing")

# --- reporting levels (reporting.py: grid, LEVELS, command) and mechanisms ----------------
NONE, GRID, COMMUNITY, TOWNSHIP, DISTRICT, CITY, PROVINCE, COMMAND = -1, 0, 1, 2, 3, 4, 5, 6
HIERARCHICAL, DIRECT, JOINT_MEETING_MECH, GRID_AUTONOMY = 0, 1, 2, 3
MECHANISM_CODES = {"hierarchical": HIERARCHICAL, "direct": DIRECT,
                   "joint_meeting": JOINT_MEETING_MECH, "grid_autonomy": GRID_AUTONOMY}

# --- indices into P -----------------------------------------------------------------------
PARAMS = ("local_wait", "siloed", "siloed_lines", "handoff_delay", "local_travel",
          "grid_delay", "party_active_from", "peace", "mutual_aid", "mutual_aid_factor",
          "spontaneous_share", "mechanism", "command_active", "autonomy_escalate", "levels",
          "loss", "max_resends", "resend_after", "local_news_delay", "deterioration",
          "mismatch_factor", "urgency_per_travel", "duplicate_visit", "skill_effort_gain",
          "cohesion_effort_gain", "shift_min", "rest_min", "isolation", "temp_orgs",
          "temp_org_min_needs")
(P_LOCAL_WAIT, P_SILOED, P_SILOED_LINES, P_HANDOFF_DELAY, P_LOCAL_TRAVEL, P_GRID_DELAY,
 P_PARTY_ACTIVE_FROM, P_PEACE, P_MUTUAL_AID, P_MUTUAL_AID_FACTOR, P_SPONTANEOUS_SHARE,
 P_MECHANISM, P_COMMAND_ACTIVE, P_AUTONOMY_ESCALATE, P_LEVELS, P_LOSS, P_MAX_RESENDS,
 P_RESEND_AFTER, P_LOCAL_NEWS_DELAY, P_DETERIORATION, P_MISMATCH_FACTOR,
 P_URGENCY_PER_TRAVEL, P_DUPLICATE_VISIT, P_SKILL_EFFORT_GAIN, P_COHESION_EFFORT_GAIN,
 P_SHIFT_MIN, P_REST_MIN, P_ISOLATION, P_TEMP_ORGS, P_TEMP_ORG_MIN_NEEDS) = range(len(PARAMS))

# --- indices into Q.counts (integers) and Q.sums (floats) ---------------------------------
COUNTS = ("heap", "seq", "pending", "inbox", "duplicates", "handoffs", "initiative",
          "local_actions", "party_responses", "spontaneous_responses", "lost",
          "lost_for_good", "open_from")
(C_HEAP, C_SEQ, C_PENDING, C_INBOX, C_DUPLICATES, C_HANDOFFS, C_INITIATIVE,
 C_LOCAL_ACTIONS, C_PARTY, C_SPONTANEOUS, C_LOST, C_LOST_FOR_GOOD, C_OPEN_FROM) = \
    range(len(COUNTS))
SUMS = ("now", "sheltered", "pool_minutes")
S_NOW, S_SHELTERED, S_POOL_MINUTES = range(len(SUMS))

OK, GROW = 0, 1  # what run_until returns

Needs = namedtuple("Needs", "n state grid kind resident created detected reported dispatched "
                   "reached resolved channel n_dispatches effort severity0 weight line "
                   "persons harm news_at resends")
# Who finds needs (GrassrootsModel._detect): residents' trust and preparedness, the grid
# managers' familiarity with their grids, and the rates (indices D_* into `rates`).
# Scratch per need: p_hit, hit, when, and the ids of the needs waiting to be found.
Finders = namedtuple("Finders", "trust preparedness familiarity rates p_hit hit when waiting")
D_SELF, D_NEIGHBOUR, D_GRID_MANAGER, D_RESIDENT_FACTOR = range(4)
# What a step hands back besides its events (indices into `out`): the status, how many
# needs accrued harm (their increments in `harm_inc`), how many grids may now get a
# temporary party organization (in `new_sites`).
O_STATUS, O_HARMED, O_SITES = range(3)
Roster = namedtuple("Roster", "n status active_from need node busy_min busy_since shift_min "
                    "served served_since_eval initiative skill skill_level line role "
                    "community anywhere self_directed dispatchable cadre_ptr cadre_idx "
                    "cand_ptr cand_idx comm_ptr comm_idx disp_ptr disp_idx")
World = namedtuple("World", "travel node_community grid_community shelters lines type_skill "
                   "need_state isolated epi cohesion willing party_free spont_free "
                   "spont_opened temp_org_at site_count q_free q_delay level_delay n_grids "
                   "n_communities")
Loop = namedtuple("Loop", "t seq kind a b c counts sums pending2d inbox batch urgency local "
                  "local_n overdue overdue_n")

# Without numba's reference counting (``_nrt=False``): with it, every call that passes these
# tuples of arrays counts references to each array twice (~0.2 us a call, which made the
# loop as slow as Python). The kernel allocates no array, so it needs none. One cost: numba
# unboxes the random generator into a record that holds a reference to it, and without
# reference counting never releases it: about 40 KB a run stay allocated (the process
# backend of sweeps replaces its workers every few thousand runs for this).
# numpy's error model: a float division by zero gives inf or nan, as in the Python engine.
jit = numba.njit(cache=True, nogil=True, _nrt=False, error_model="numpy")


# --- the event heap (keys (minute, sequence) are unique: any valid heap pops in order) -----

@jit
def _before(Q, x, y):
    return Q.t[x] < Q.t[y] or (Q.t[x] == Q.t[y] and Q.seq[x] < Q.seq[y])


@jit
def _swap(Q, x, y):
    Q.t[x], Q.t[y] = Q.t[y], Q.t[x]
    Q.seq[x], Q.seq[y] = Q.seq[y], Q.seq[x]
    Q.kind[x], Q.kind[y] = Q.kind[y], Q.kind[x]
    Q.a[x], Q.a[y] = Q.a[y], Q.a[x]
    Q.b[x], Q.b[y] = Q.b[y], Q.b[x]
    Q.c[x], Q.c[y] = Q.c[y], Q.c[x]


@jit
def push(Q, t, kind, a, b, c):
    """Schedule an event; the caller has made room (see ``room``)."""
    k = Q.counts[C_HEAP]
    Q.t[k] = t
    Q.seq[k] = Q.counts[C_SEQ]
    Q.kind[k] = kind
    Q.a[k] = a
    Q.b[k] = b
    Q.c[k] = c
    Q.counts[C_SEQ] += 1
    Q.counts[C_HEAP] = k + 1
    while k > 0:
        parent = (k - 1) >> 1
        if _before(Q, k, parent):
            _swap(Q, k, parent)
            k = parent
        else:
            break


@jit
def push_many(Q, times, kind, a, b):
    """Schedule one event of `kind` per entry, in order (as many ``push`` calls)."""
    for j in range(len(times)):
        push(Q, times[j], kind, a[j], b[j], 0)


@jit
def _pop(Q):
    """Move the earliest event to the end of the heap's used part and return its slot."""
    last = Q.counts[C_HEAP] - 1
    _swap(Q, 0, last)
    Q.counts[C_HEAP] = last
    k = 0
    while True:
        child = 2 * k + 1
        if child >= last:
            break
        if child + 1 < last and _before(Q, child + 1, child):
            child += 1
        if _before(Q, child, k):
            _swap(Q, child, k)
            k = child
        else:
            break
    return last


# --- the reporting chain (reporting.py) ----------------------------------------------------

@jit
def _route(P, stage, t):
    mech = P[P_MECHANISM]
    if mech == HIERARCHICAL:
        return stage if stage <= P[P_LEVELS] else NONE
    if mech == GRID_AUTONOMY:
        return GRID if stage == 0 else NONE
    if stage == 0:
        return GRID
    if stage == 1:
        if t >= P[P_COMMAND_ACTIVE]:
            return COMMAND
        return TOWNSHIP if mech == DIRECT else NONE
    return NONE


@jit
def _news_minutes(W, P, t):
    total = 0.0
    stage = 0
    level = _route(P, stage, t)
    while level != NONE:
        total += W.level_delay[level]
        stage += 1
        level = _route(P, stage, t)
    return total


@jit
def _queue(N, W, level, i):
    """Row of W.q_free of the office at `level` for need i's report: grids first, then
    communities, then the township, command, district, city and province offices."""
    g = N.grid[i]
    if level == GRID:
        return g
    if level == COMMUNITY:
        return W.n_grids + W.grid_community[g]
    base = W.n_grids + W.n_communities
    if level == TOWNSHIP:
        return base
    if level == COMMAND:
        return base + 1
    return base + 2 + (level - DISTRICT)


@jit
def _admit(W, q, t):
    """A report arriving at office q at minute t: the minute it leaves (ReportQueue.admit)."""
    free = W.q_free[q]
    h = 0
    for k in range(1, len(free)):
        if free[k] < free[h]:
            h = k
    start = max(t, free[h])
    free[h] = start + W.q_delay[q]
    return start + W.q_delay[q]


@jit
def _send(N, R, W, Q, P, rng, t, i, stage):
    level = _route(P, stage, t)
    if level == NONE:
        _decide(N, R, W, Q, P, rng, t, i)
        return
    loss = P[P_LOSS]
    if stage > 0 and loss > 0 and rng.random() < loss:
        Q.counts[C_LOST] += 1
        sent = N.resends[i]
        if sent >= P[P_MAX_RESENDS]:
            Q.counts[C_LOST_FOR_GOOD] += 1
            return
        N.resends[i] = sent + 1
        push(Q, t + P[P_RESEND_AFTER], SEND, i, stage, 0)
        return
    push(Q, _admit(W, _queue(N, W, level, i), t), SEND, i, stage + 1, 0)


# --- lines (siloed structure) --------------------------------------------------------------

@jit
def _line_of(N, W, P, i):
    if P[P_SILOED] == 0.0:
        return -1
    owning = N.line[i]
    if owning < 0:
        return -1
    return W.lines[W.grid_community[N.grid[i]], owning]


@jit
def _line_ok(R, r, line):
    return line < 0 or R.line[r] < 0 or R.line[r] == line


# --- detection and first response ------------------------------------------------------------

@jit
def _detected(N, R, W, Q, P, rng, t, i, channel):
    if N.state[i] != CREATED:
        return
    N.state[i] = DETECTED
    N.detected[i] = t
    N.channel[i] = channel
    W.need_state[N.resident[i]] = 1
    push(Q, t + P[P_LOCAL_WAIT], LOCAL_WAIT_OVER, i, 0, 0)
    _first_response(N, R, W, Q, P, rng, t, i)
    if P[P_SILOED] != 0.0:
        lines = P[P_SILOED_LINES]
        if rng.random() < (lines - 1) / lines:
            Q.counts[C_HANDOFFS] += 1
            push(Q, t + P[P_HANDOFF_DELAY], REPORT, i, 0, 0)
            return
    _send(N, R, W, Q, P, rng, t, i, 0)


@jit
def _first_response(N, R, W, Q, P, rng, t, i):
    g = N.grid[i]
    skill = W.type_skill[N.kind[i]]
    local = P[P_LOCAL_TRAVEL]
    if skill == GENERAL and W.party_free[g] > 0 and t >= P[P_PARTY_ACTIVE_FROM]:
        W.party_free[g] -= 1
        arrive = t + P[P_GRID_DELAY] + local
        _mark_dispatched(N, Q, P, i, t, 0.0)
        push(Q, arrive, POOL_ARRIVE, PARTY_POOL, g, i)
        return
    # Cadre initiative: the idle cadre of the community nearest the need, of its line.
    c = W.grid_community[g]
    line = _line_of(N, W, P, i)
    best, best_travel = -1, 0.0
    for k in range(R.cadre_ptr[c], R.cadre_ptr[c + 1]):
        r = R.cadre_idx[k]
        if R.status[r] == IDLE and R.active_from[r] <= t and _line_ok(R, r, line):
            minutes = W.travel[R.node[r], g]
            if best < 0 or minutes < best_travel:
                best, best_travel = r, minutes
    if best >= 0:
        if rng.random() < R.initiative[best]:
            Q.counts[C_INITIATIVE] += 1
            _dispatch(N, R, W, Q, P, best, i, t)
            return
    if skill == GENERAL:
        _open_spontaneous(W, P, rng, g)
        if W.spont_free[g] > 0:
            W.spont_free[g] -= 1
            _mark_dispatched(N, Q, P, i, t, np.nan)
            push(Q, t + local, POOL_ARRIVE, SPONTANEOUS_POOL, g, i)
            return
    _self_directed_volunteers(N, R, W, Q, P, rng, t, c)


@jit
def _open_spontaneous(W, P, rng, g):
    if W.spont_opened[g] or P[P_PEACE] != 0.0:
        return
    W.spont_opened[g] = True
    boost = P[P_MUTUAL_AID_FACTOR] if P[P_MUTUAL_AID] != 0.0 else 1.0
    W.spont_free[g] += rng.binomial(int(W.willing[g]), min(1.0, P[P_SPONTANEOUS_SHARE] * boost))


@jit
def _self_directed_volunteers(N, R, W, Q, P, rng, t, c):
    """An idle self-directed volunteer of the community, drawn at random, looks around."""
    n = 0
    for k in range(R.comm_ptr[c], R.comm_ptr[c + 1]):
        n += _self_directed_idle(R, R.comm_idx[k], t)
    if n == 0:
        return
    chosen = _draw_index(rng, n)
    for k in range(R.comm_ptr[c], R.comm_ptr[c + 1]):
        r = R.comm_idx[k]
        if _self_directed_idle(R, r, t):
            if chosen == 0:
                _pick(N, R, W, Q, P, rng, t, r)
                return
            chosen -= 1


@jit
def _draw_index(rng, n):
    """As response.draw_index."""
    return min(n - 1, int(rng.random() * n))


@jit
def _self_directed_idle(R, r, t):
    return R.self_directed[r] and R.status[r] == IDLE and R.active_from[r] <= t


# --- decisions -------------------------------------------------------------------------------

@jit
def _decide(N, R, W, Q, P, rng, t, i):
    if math.isnan(N.reported[i]):
        N.reported[i] = t
    state = N.state[i]
    if state != DETECTED:
        if (state == DISPATCHED or state == SERVING or state == RESOLVED) and \
                not _knows_covered(N, W, P, i, t):
            _assign(N, R, W, Q, P, i, t, -1)  # a duplicated dispatch
        return
    N.state[i] = REPORTED
    mech = P[P_MECHANISM]
    if mech == GRID_AUTONOMY:
        c = W.grid_community[N.grid[i]]
        if not _assign(N, R, W, Q, P, i, t, c):
            _append_community(Q.local, Q.local_n, c, i)
            push(Q, t + P[P_AUTONOMY_ESCALATE], ESCALATE, i, 0, 0)
        return
    if mech == JOINT_MEETING_MECH and t < P[P_COMMAND_ACTIVE]:
        Q.inbox[Q.counts[C_INBOX]] = i
        Q.counts[C_INBOX] += 1
        return
    if not _assign(N, R, W, Q, P, i, t, -1):
        _append_pending(Q, i)


@jit
def _knows_covered(N, W, P, i, t):
    mech = P[P_MECHANISM]
    if mech == JOINT_MEETING_MECH or mech == GRID_AUTONOMY:
        return True
    news = N.news_at[i]
    return math.isnan(news) or t >= news + _news_minutes(W, P, news)


@jit
def _escalate(N, W, Q, P, t, i):
    if N.state[i] == REPORTED:
        level = COMMAND if t >= P[P_COMMAND_ACTIVE] else TOWNSHIP
        push(Q, _admit(W, _queue(N, W, level, i), t), ESCALATION_ARRIVES, i, 0, 0)


@jit
def _escalation_arrives(N, R, W, Q, P, t, i):
    if N.state[i] != REPORTED:
        return
    N.reported[i] = t
    if not _assign(N, R, W, Q, P, i, t, -1):
        _append_pending(Q, i)


@jit
def _priority(N, P, i, t):
    sev = N.severity0[i] + P[P_DETERIORATION] * (t - N.created[i]) / 60.0
    return min(1.0, sev) * N.weight[i]


@jit
def _decide_batch(N, R, W, Q, P, t):
    """All gathered reports decided together: most urgent first, no duplicates."""
    k = Q.counts[C_INBOX]
    if k == 0:
        return
    ids, urgency = Q.batch, Q.urgency
    for j in range(k):
        ids[j] = Q.inbox[j]
        urgency[j] = _priority(N, P, ids[j], t)
    Q.counts[C_INBOX] = 0
    _sort_most_urgent_first(ids, urgency, k)
    for j in range(k):
        i = ids[j]
        if N.state[i] == REPORTED and not _assign(N, R, W, Q, P, i, t, -1):
            _append_pending(Q, i)


@jit
def _sort_most_urgent_first(ids, urgency, k):
    """Stable insertion sort of ids[:k] by descending urgency (equal ones keep their order,
    as numpy's stable argsort of the negated urgency)."""
    for j in range(1, k):
        i, u = ids[j], urgency[j]
        h = j - 1
        while h >= 0 and urgency[h] < u:
            ids[h + 1], urgency[h + 1] = ids[h], urgency[h]
            h -= 1
        ids[h + 1], urgency[h + 1] = i, u


# --- dispatch ---------------------------------------------------------------------------------

@jit
def _assign(N, R, W, Q, P, i, t, local_community):
    """The deciding unit sends its best available responder (Response.assign): those of
    the need's community and those who may go anywhere; with grid autonomy
    (`local_community`), only those now in the community."""
    c = W.grid_community[N.grid[i]]
    return _send_best(N, R, W, Q, P, i, t, R.cand_ptr[c], R.cand_ptr[c + 1], R.cand_idx,
                      local_community)


@jit
def _send_best(N, R, W, Q, P, i, t, lo, hi, pool, local_community):
    """Send the idle, active responder of pool[lo:hi] (of the need's line) who arrives
    soonest, a skill mismatch counting as its extra effort (Response._send_best); False if
    nobody can get there."""
    line = _line_of(N, W, P, i)
    g = N.grid[i]
    skill = W.type_skill[N.kind[i]]
    extra = (P[P_MISMATCH_FACTOR] - 1.0) * N.effort[i]
    best, best_score = -1, np.inf
    for k in range(lo, hi):
        r = pool[k]
        if R.status[r] != IDLE or R.active_from[r] > t or not _line_ok(R, r, line):
            continue
        if local_community >= 0 and W.node_community[R.node[r]] != local_community:
            continue
        best, best_score = _better(R, W, r, g, skill, extra, best, best_score)
    if best < 0:
        return False
    _dispatch(N, R, W, Q, P, best, i, t)
    return True


@jit
def _better(R, W, r, g, skill, extra, best, best_score):
    """The sooner of the best so far and candidate r (a skill mismatch counting as its extra
    effort); the first of equals stays, as numpy's argmin keeps it."""
    mismatch = 1.0 if (R.skill[r] != skill and skill != GENERAL) else 0.0
    score = W.travel[R.node[r], g] + mismatch * extra
    if np.isfinite(score) and (best < 0 or score < best_score):
        return r, score
    return best, best_score


@jit
def _mark_dispatched(N, Q, P, i, t, news_delay):
    N.n_dispatches[i] += 1
    if N.n_dispatches[i] > 1:
        Q.counts[C_DUPLICATES] += 1
    state = N.state[i]
    if state == DETECTED and math.isnan(N.news_at[i]):
        N.news_at[i] = t + (P[P_LOCAL_NEWS_DELAY] if math.isnan(news_delay) else news_delay)
    if state == CREATED or state == DETECTED or state == REPORTED:
        N.state[i] = DISPATCHED
        N.dispatched[i] = t


@jit
def _dispatch(N, R, W, Q, P, r, i, t):
    g = N.grid[i]
    _mark_dispatched(N, Q, P, i, t, np.nan)
    R.status[r] = TRAVELLING
    R.need[r] = i
    R.busy_since[r] = t
    push(Q, t + W.travel[R.node[r], g] + P[P_LOCAL_TRAVEL], ARRIVE, r, i, 0)


# --- local action -----------------------------------------------------------------------------

@jit
def _local_wait_over(N, R, W, Q, P, t, i):
    state = N.state[i]
    if (state == DETECTED or state == REPORTED) and not _act_locally(N, R, W, Q, P, i, t):
        _append_community(Q.overdue, Q.overdue_n, W.grid_community[N.grid[i]], i)


@jit
def _act_locally(N, R, W, Q, P, i, t):
    """Idle responders of the need's community send the best of them (Response.act_locally)."""
    c = W.grid_community[N.grid[i]]
    if _send_best(N, R, W, Q, P, i, t, R.disp_ptr[c], R.disp_ptr[c + 1], R.disp_idx, -1):
        Q.counts[C_LOCAL_ACTIONS] += 1
        return True
    return False


# --- arrival, service, rest --------------------------------------------------------------------

@jit
def _escort(N, W, i):
    """Minutes to the nearest shelter of an evacuation and the shelter (-1: none)."""
    if N.kind[i] != EVACUATION or len(W.shelters) == 0:
        return 0.0, -1
    g = N.grid[i]
    k = 0
    for j in range(1, len(W.shelters)):
        if W.travel[g, W.shelters[j]] < W.travel[g, W.shelters[k]]:
            k = j
    return W.travel[g, W.shelters[k]], W.shelters[k]


@jit
def _arrive(N, R, W, Q, P, t, r, i):
    g = N.grid[i]
    R.node[r] = g
    if N.state[i] == DISPATCHED:
        N.state[i] = SERVING
        N.reached[i] = t
        R.status[r] = BUSY_SERVING
        escort = _escort(N, W, i)[0]
        push(Q, t + _service_min(N, R, W, P, r, i) + escort, DONE, r, i, 0)
        return
    other = _unmet_here(N, W, P, g, R.line[r]) if W.temp_org_at[g] else -1
    if other >= 0:  # a temporary party organization on site redirects the responder
        spent = t - R.busy_since[r]
        R.busy_min[r] += spent
        R.shift_min[r] += spent
        _dispatch(N, R, W, Q, P, r, other, t)
        return
    push(Q, t + P[P_DUPLICATE_VISIT], BECAME_FREE, r, 0, 0)


@jit
def _unmet_here(N, W, P, g, line):
    """The oldest need of grid g still waiting that a responder of `line` may serve."""
    for j in range(N.n):
        if N.grid[j] != g or not (N.state[j] == DETECTED or N.state[j] == REPORTED):
            continue
        if P[P_SILOED] != 0.0 and line >= 0:
            own = _line_of(N, W, P, j)
            if own >= 0 and own != line:
                continue
        return j
    return -1


@jit
def _service_min(N, R, W, P, r, i):
    skill = W.type_skill[N.kind[i]]
    factor = 1.0 - P[P_SKILL_EFFORT_GAIN] * R.skill_level[r]
    if skill != GENERAL and R.skill[r] != skill:
        factor *= P[P_MISMATCH_FACTOR]
    if R.role[r] == COMMUNITY_CADRE:
        factor *= 1.0 - P[P_COHESION_EFFORT_GAIN] * W.cohesion[R.community[r]]
    return N.effort[i] * factor


@jit
def _done(N, R, W, Q, P, rng, t, r, i):
    shelter = _escort(N, W, i)[1]
    if shelter >= 0:
        R.node[r] = shelter
    _resolve(N, W, Q, P, t, i)
    R.served[r] += 1
    R.served_since_eval[r] += 1
    _became_free(N, R, W, Q, P, rng, t, r)


@jit
def _resolve(N, W, Q, P, t, i):
    N.state[i] = RESOLVED
    N.resolved[i] = t
    res = N.resident[i]
    W.need_state[res] = MET
    if _escort(N, W, i)[1] >= 0:
        Q.sums[S_SHELTERED] += N.persons[i]
    if N.kind[i] == TESTING and P[P_ISOLATION] != 0.0:
        W.isolated[res] = W.epi[res] == 1


@jit
def _became_free(N, R, W, Q, P, rng, t, r):
    if R.status[r] == TRAVELLING or R.status[r] == BUSY_SERVING:
        spent = t - R.busy_since[r]
        R.busy_min[r] += spent
        R.shift_min[r] += spent
    R.need[r] = -1
    if R.shift_min[r] >= P[P_SHIFT_MIN]:
        R.status[r] = RESTING
        push(Q, t + P[P_REST_MIN], RESTED, r, 0, 0)
        return
    R.status[r] = IDLE
    _pick(N, R, W, Q, P, rng, t, r)


@jit
def _pick(N, R, W, Q, P, rng, t, r):
    """An idle responder takes the most urgent waiting need it may serve."""
    if R.status[r] != IDLE or R.active_from[r] > t:
        return
    c = R.community[r]
    if R.self_directed[r]:  # sees unmet needs around it, not knowing who else goes
        n = 0  # one of the needs it sees, drawn at random (their order: by id)
        for j in range(N.n):
            n += _seen(N, W, c, j)
        if n == 0:
            return
        chosen = _draw_index(rng, n)
        for j in range(N.n):
            if _seen(N, W, c, j):
                if chosen == 0:
                    _dispatch(N, R, W, Q, P, r, j, t)
                    return
                chosen -= 1
        return
    here = W.node_community[R.node[r]]
    best, best_score = -1, -np.inf
    # Waiting lists in Response._pick's order: the grid-autonomy list of the community the
    # responder is in, the deciding unit's list (if it dispatches), the community's overdue.
    if here >= 0:
        best, best_score = _scan_list(N, R, W, P, t, r, c, Q.local, here, Q.local_n[here],
                                      REPORTED, best, best_score)
        Q.local_n[here] = _compact(N, Q.local, here, Q.local_n[here], REPORTED)
    if R.dispatchable[r]:
        best, best_score = _scan_list(N, R, W, P, t, r, c, Q.pending2d, 0,
                                      Q.counts[C_PENDING], REPORTED, best, best_score)
        Q.counts[C_PENDING] = _compact(N, Q.pending2d, 0, Q.counts[C_PENDING], REPORTED)
    best, best_score = _scan_list(N, R, W, P, t, r, c, Q.overdue, c, Q.overdue_n[c],
                                  DETECTED, best, best_score)
    Q.overdue_n[c] = _compact(N, Q.overdue, c, Q.overdue_n[c], DETECTED)
    if best >= 0:
        _dispatch(N, R, W, Q, P, r, best, t)


@jit
def _seen(N, W, c, j):
    """Whether a self-directed volunteer of community c sees need j (found, not met)."""
    st = N.state[j]
    return W.grid_community[N.grid[j]] == c and st >= DETECTED and st <= DISPATCHED


@jit
def _scan_list(N, R, W, P, t, r, c, rows, row, k, lowest, best, best_score):
    """The most urgent need in rows[row, :k] still waiting that responder r may take (the
    first of equals, as numpy's argmax keeps it), against the best so far."""
    for j in range(k):
        i = rows[row, j]
        st = N.state[i]
        if st < lowest or st > REPORTED:
            continue
        if W.grid_community[N.grid[i]] != c and not R.anywhere[r]:
            continue
        if P[P_SILOED] != 0.0 and R.line[r] >= 0:
            own = _line_of(N, W, P, i)
            if own >= 0 and own != R.line[r]:
                continue
        travel = W.travel[R.node[r], N.grid[i]]
        if not np.isfinite(travel):
            continue
        skill = W.type_skill[N.kind[i]]
        mismatch = skill != GENERAL and skill != R.skill[r]
        score = _priority(N, P, i, t) / (P[P_MISMATCH_FACTOR] if mismatch else 1.0) - \
            P[P_URGENCY_PER_TRAVEL] * travel
        if score > best_score:
            best, best_score = i, score
    return best, best_score


@jit
def _compact(N, rows, row, n, lowest):
    """Drop the needs no longer waiting from rows[row, :n], when most are (Response._live);
    the new length."""
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
def _waiting(N, i, lowest):
    return N.state[i] >= lowest and N.state[i] <= REPORTED


@jit
def _append_pending(Q, i):
    Q.pending2d[0, Q.counts[C_PENDING]] = i
    Q.counts[C_PENDING] += 1


@jit
def _append_community(rows, counts, c, i):
    rows[c, counts[c]] = i
    counts[c] += 1


# --- resident pools (mobilization.py) ------------------------------------------------------------

@jit
def _pool_arrive(N, W, Q, P, t, pool, g, i):
    if N.state[i] == DISPATCHED:
        N.state[i] = SERVING
        N.reached[i] = t
        factor = P[P_MISMATCH_FACTOR] if W.type_skill[N.kind[i]] != GENERAL else 1.0
        minutes = N.effort[i] * factor + _escort(N, W, i)[0]
        Q.sums[S_POOL_MINUTES] += minutes
        push(Q, t + minutes, POOL_DONE, pool, g, i)
    else:
        push(Q, t + P[P_DUPLICATE_VISIT], POOL_FREE, pool, g, 0)


@jit
def _pool_done(N, W, Q, P, t, pool, g, i):
    _resolve(N, W, Q, P, t, i)
    if pool == PARTY_POOL:
        Q.counts[C_PARTY] += 1
    else:
        Q.counts[C_SPONTANEOUS] += 1
    back = _escort(N, W, i)[0]  # after an escort, the helper walks back to the grid
    if back > 0:
        Q.sums[S_POOL_MINUTES] += back
        push(Q, t + back, POOL_FREE, pool, g, 0)
    else:
        _pool_free(W, pool, g)


@jit
def _pool_free(W, pool, g):
    if pool == PARTY_POOL:
        W.party_free[g] += 1
    else:
        W.spont_free[g] += 1


# --- routine duty day (routine.py) -----------------------------------------------------------------

@jit
def _on_duty_start(N, R, Q, t, r):
    if r >= R.n:
        return
    for j in range(N.n):
        if N.state[j] == REPORTED:
            R.active_from[r] = t
            push(Q, t, PICK, r, 0, 0)
            push(Q, t, ON_DUTY_START, r + 1, 0, 0)
            return


# --- the loop -------------------------------------------------------------------------------------

# --- a wartime step: detection, events, harm, incident sites (GrassrootsModel._war_step) --

@jit
def detect(N, Q, rng, F, t0, t1):
    """Needs found between t0 and t1 (GrassrootsModel._detect, draw for draw): each waiting
    need is found with probability 1 - exp(-rate x exposure), at a time drawn within the
    exposure, by the channel drawn in proportion to its rate; a DETECT event each, in id
    order (which pops as the Python engine's pushes in time order do: ties in time keep id
    order in both)."""
    r_nb = F.rates[D_RESIDENT_FACTOR] * F.rates[D_NEIGHBOUR]
    waiting = F.waiting
    k = 0
    for i in range(_open_from(N, Q, t0), N.n):
        if N.state[i] == CREATED:
            waiting[k] = i
            k += 1
    for j in range(k):  # the first draw, for every waiting need: whether it is found
        i = waiting[j]
        exposure, rate, r_self = _exposure(N, F, t0, t1, i, r_nb)
        F.p_hit[i] = -math.expm1(-rate * exposure / 60.0)
        F.hit[i] = rng.random() < F.p_hit[i]
    for j in range(k):  # the second: when, given found within the exposure
        i = waiting[j]
        u = rng.random()
        if F.hit[i]:
            exposure, rate, r_self = _exposure(N, F, t0, t1, i, r_nb)
            start = max(N.created[i], t0)
            F.when[i] = start + min(-math.log1p(-u * F.p_hit[i]) / rate * 60.0, exposure)
    for j in range(k):  # the third: by whom
        i = waiting[j]
        exposure, rate, r_self = _exposure(N, F, t0, t1, i, r_nb)
        u = rng.random() * rate
        if F.hit[i]:
            channel = 0 if u < r_self else (1 if u < r_self + r_nb else 2)
            push(Q, F.when[i], DETECT, i, channel, 0)


@jit
def _open_from(N, Q, t0):
    """The lowest need id that may still be unmet after minute t0: every need below it was
    reached by t0 (which stays true), so the per-step passes start there."""
    lo = Q.counts[C_OPEN_FROM]
    while lo < N.n and N.reached[lo] <= t0:  # False for NaN: not reached
        lo += 1
    Q.counts[C_OPEN_FROM] = lo
    return lo


@jit
def _exposure(N, F, t0, t1, i, r_nb):
    rates = F.rates
    start = max(N.created[i], t0)
    who = N.resident[i]
    r_self = rates[D_SELF] * 0.5 * (F.trust[who] + F.preparedness[who])
    r_gm = rates[D_GRID_MANAGER] * F.familiarity[N.grid[i]]
    r_self = rates[D_RESIDENT_FACTOR] * r_self
    return t1 - start, r_self + r_nb + r_gm, r_self


@jit
def war_step(N, R, W, Q, P, rng, F, t0, t1, found, harm_inc, harmed, new_sites, out):
    """One wartime step after the hazards (GrassrootsModel._war_step): needs are found
    (unless `found`: a step resumed after growing), events run to t1, harm accrues (the
    increments in harm_inc, the needs in harmed: the caller sums them as numpy does) and the
    grids with enough open needs for a temporary party organization are listed."""
    if not found:
        detect(N, Q, rng, F, t0, t1)
    out[O_STATUS] = run_until(N, R, W, Q, P, rng, t1)
    if out[O_STATUS] == GROW:
        return
    out[O_HARMED] = _accrue_harm(N, Q, P, t0, t1, harm_inc, harmed)
    out[O_SITES] = _incident_sites(N, W, Q, P, new_sites)


@jit
def _accrue_harm(N, Q, P, t0, t1, harm_inc, harmed):
    """GrassrootsModel._accrue_harm on each need unmet during part of the step."""
    rate = P[P_DETERIORATION]
    k = 0
    for i in range(_open_from(N, Q, t0), N.n):
        created, reached = N.created[i], N.reached[i]
        if not (created < t1 and (math.isnan(reached) or reached > t0)):
            continue
        end = t1 if math.isnan(reached) else min(reached, t1)
        a = (max(t0, created) - created) / 60.0
        b = (end - created) / 60.0
        inc = N.weight[i] * _severity_integral(N.severity0[i], rate, a, b)
        N.harm[i] += inc
        harm_inc[k] = inc
        harmed[k] = i
        k += 1
    return k


@jit
def _severity_integral(sev0, rate, a, b):
    """needs.severity_integral for one need."""
    a = max(a, 0.0)
    b = max(b, a)
    if rate <= 0:
        return min(sev0, 1.0) * (b - a)
    sat = max((1.0 - sev0) / rate, 0.0)
    lin_b = min(b, sat)
    lin_a = min(a, sat)
    linear = sev0 * (lin_b - lin_a) + 0.5 * rate * (lin_b ** 2 - lin_a ** 2)
    flat = max(b - max(a, sat), 0.0)
    return linear + flat


@jit
def _incident_sites(N, W, Q, P, new_sites):
    """Grids with at least temp_org_min_needs open needs and no temporary party
    organization yet, in order (ResidentPools.setup_temporary_orgs)."""
    if P[P_TEMP_ORGS] == 0.0:
        return 0
    open_here = W.site_count
    for g in range(len(open_here)):
        open_here[g] = 0
    for i in range(Q.counts[C_OPEN_FROM], N.n):  # needs below were reached: not open
        if N.state[i] >= DETECTED and N.state[i] <= DISPATCHED:
            open_here[N.grid[i]] += 1
    k = 0
    for g in range(len(open_here)):
        if open_here[g] >= P[P_TEMP_ORG_MIN_NEEDS] and not W.temp_org_at[g]:
            new_sites[k] = g
            k += 1
    return k


R_MAX_PUSH = 4  # events a handler schedules besides a decided batch


@jit
def _room(Q):
    """Whether the heap and the waiting lists can take what one more event may add."""
    heap_room = len(Q.t) - Q.counts[C_HEAP] - 8 - Q.counts[C_INBOX] - R_MAX_PUSH
    list_room = Q.pending2d.shape[1] - Q.counts[C_PENDING] - 2 - Q.counts[C_INBOX]
    inbox_room = len(Q.inbox) - Q.counts[C_INBOX] - 2
    longest = 0
    for c in range(len(Q.local_n)):
        longest = max(longest, Q.local_n[c], Q.overdue_n[c])
    community_room = Q.local.shape[1] - 2 - longest
    return heap_room >= 0 and list_room >= 0 and inbox_room >= 0 and community_room >= 0


@jit
def run_until(N, R, W, Q, P, rng, t_end):
    """Run every event strictly before t_end (EventQueue.run_until): OK when done, GROW when
    an array must grow first (nothing is lost: call again after growing)."""
    while Q.counts[C_HEAP] > 0 and Q.t[0] < t_end:
        if not _room(Q):
            return GROW
        k = _pop(Q)
        t = Q.t[k]
        kind, a, b, c = Q.kind[k], Q.a[k], Q.b[k], Q.c[k]
        Q.sums[S_NOW] = t
        if kind == DETECT:
            _detected(N, R, W, Q, P, rng, t, a, b)
        elif kind == SEND:
            _send(N, R, W, Q, P, rng, t, a, b)
        elif kind == PICK:
            _pick(N, R, W, Q, P, rng, t, a)
        elif kind == ARRIVE:
            _arrive(N, R, W, Q, P, t, a, b)
        elif kind == DONE:
            _done(N, R, W, Q, P, rng, t, a, b)
        elif kind == LOCAL_WAIT_OVER:
            _local_wait_over(N, R, W, Q, P, t, a)
        elif kind == POOL_ARRIVE:
            _pool_arrive(N, W, Q, P, t, a, b, c)
        elif kind == POOL_DONE:
            _pool_done(N, W, Q, P, t, a, b, c)
        elif kind == POOL_FREE:
            _pool_free(W, a, b)
        elif kind == BECAME_FREE:
            _became_free(N, R, W, Q, P, rng, t, a)
        elif kind == RESTED:
            R.shift_min[a] = 0.0
            R.status[a] = IDLE
            _pick(N, R, W, Q, P, rng, t, a)
        elif kind == REPORT:
            _send(N, R, W, Q, P, rng, t, a, 0)
        elif kind == ESCALATE:
            _escalate(N, W, Q, P, t, a)
        elif kind == ESCALATION_ARRIVES:
            _escalation_arrives(N, R, W, Q, P, t, a)
        elif kind == JOINT_MEETING or kind == COMMAND_CONVENED:
            _decide_batch(N, R, W, Q, P, t)
        elif kind == ON_DUTY_START:
            _on_duty_start(N, R, Q, t, a)
        elif kind == OFF_DUTY:
            for r in range(R.n):
                R.active_from[r] = np.inf
    Q.sums[S_NOW] = max(Q.sums[S_NOW], t_end)
    return OK


# --- the flood's needs (hazards.Flood.generate), compiled for the compiled engine ---------------

# This one allocates its results, so it keeps numba's reference counting; it is called from
# Python once a step, never from the functions above.
jit_alloc = numba.njit(cache=True, error_model="numpy")


@jit_alloc
def flood_needs(rng, lam, grid_start, grid_size, vulnerable, household, household_size,
                type_effort, t0, t1, severe_share, supply_share, rescue, supply, evacuation,
                rescue_low, rescue_high, other_low, other_high, exponential_effort, spread,
                vulnerable_factor):
    """The needs a flood creates in [t0, t1), draw for draw as Flood.generate and
    Hazard.add_needs: a Poisson count per grid (mean `lam`), then each need's type, initial
    severity, creation time, resident and effort, in the same order of draws. Returns their
    columns sorted by creation time (stable), or empty columns."""
    counts = np.empty(len(lam), dtype=np.int64)
    for g in range(len(lam)):
        counts[g] = rng.poisson(lam[g])
    k = counts.sum()
    grid = np.empty(k, dtype=np.int64)
    j = 0
    for g in range(len(lam)):
        for _ in range(counts[g]):
            grid[j] = g
            j += 1
    kind = np.empty(k, dtype=np.int64)
    for j in range(k):
        u = rng.random()
        kind[j] = rescue if u < severe_share else (
            supply if u < severe_share + supply_share else evacuation)
    severity0 = np.empty(k)
    for j in range(k):  # both draws are made for every need, as np.where of two arrays
        severity0[j] = rng.uniform(rescue_low, rescue_high)
    for j in range(k):
        other = rng.uniform(other_low, other_high)
        if kind[j] != rescue:
            severity0[j] = other
    created = np.empty(k)
    for j in range(k):
        created[j] = t0 + rng.random() * (t1 - t0)
    resident = np.empty(k, dtype=np.int64)
    for j in range(k):
        resident[j] = grid_start[grid[j]] + np.int64(rng.random() * grid_size[grid[j]])
    effort = np.empty(k)
    for j in range(k):
        draw = rng.exponential(1.0) if exponential_effort else rng.uniform(1.0 - spread,
                                                                            1.0 + spread)
        effort[j] = type_effort[kind[j]] * draw
    vuln = np.empty(k, dtype=np.bool_)
    persons = np.empty(k)
    weight = np.empty(k)
    for j in range(k):
        vuln[j] = vulnerable[resident[j]]
        persons[j] = float(household_size[household[resident[j]]])
        weight[j] = persons[j] * (vulnerable_factor if vuln[j] else 1.0)
    order = np.argsort(created, kind="mergesort")
    return (created[order], grid[order], kind[order], resident[order], vuln[order],
            persons[order], severity0[order], effort[order], weight[order])
