"""Arrival, service, rest; residents who respond in their own grid; incident sites.

A responder who arrives at a need still waiting serves it; an evacuation ends at the
nearest shelter. One who arrives at a need already met has made a needless trip: a
temporary party organization on site sends it to another waiting need there, else it loses
``response.duplicate_visit_min``. After ``organization.shift_hours`` of work a responder
rests; past ``organization.fatigue_after_hours`` of work since the last rest it serves more
slowly (``fatigue``). The grid party organization's mobilized members and spontaneous
volunteers (pools per grid) go at once, serve, escort evacuees and walk back. Grids with
several open needs become incident sites with a temporary party organization, which
mobilizes more of both.
"""

from __future__ import annotations

import numpy as np

from ..codes import (
    BECAME_FREE,
    BUSY,
    COMMUNITY_CADRE,
    DETECTED,
    DISPATCHED,
    DONE,
    FIRST_POOL,
    GENERAL,
    INFECTED,
    MET,
    PARTY_POOL,
    POOL_DONE,
    POOL_FREE,
    REPORTED,
    RESOLVED,
    RESTED,
    RESTING,
    SERVING,
    TRAVELLING,
)
from ..jit import jit
from ..needs import N_UNREACHED, set_state
from ..rng import binomial
from .dispatch import dispatch, line_of, pick, set_idle
from .heap import push
from .state import Count, Par, Sum


@jit
def escort(N, W, i):
    """An evacuation ends at the grid's nearest shelter: the escort's minutes and the
    shelter (-1 where the township has none: evacuees go to safe ground in the grid)."""
    g = N.grid[i]
    shelter = W.nearest_shelter[g]
    if not N.type_escort[N.kind[i]] or shelter < 0:
        return 0.0, -1
    return W.travel[g, shelter], shelter


# --- the community's found, unreached needs -----------------------------------------------


@jit
def seen_add(N, Q, c, i):
    N.seen_next[i], N.seen_prev[i] = -1, Q.seen_tail[c]
    if Q.seen_tail[c] >= 0:
        N.seen_next[Q.seen_tail[c]] = i
    else:
        Q.seen_head[c] = i
    Q.seen_tail[c] = i


@jit
def _seen_remove(N, W, Q, i):
    c = W.grid_community[N.grid[i]]
    after, before = N.seen_next[i], N.seen_prev[i]
    if before >= 0:
        N.seen_next[before] = after
    else:
        Q.seen_head[c] = after
    if after >= 0:
        N.seen_prev[after] = before
    else:
        Q.seen_tail[c] = before


@jit
def _start_service(N, W, Q, t, i, who):
    """The first helper reaches need i at minute t: `who` is its kind (sim.codes.ARRIVALS)."""
    set_state(N, i, SERVING)
    N.reached[i] = t
    N.first_by[i] = who
    _seen_remove(N, W, Q, i)


@jit
def _unmet_here(N, W, Q, P, g, line):
    """The oldest need of grid g still waiting that a responder of `line` may serve
    (-1: none), from its community's found, unreached needs."""
    best = -1
    j = Q.seen_head[W.grid_community[g]]
    while j >= 0:
        if (
            N.grid[j] == g
            and (N.state[j] == DETECTED or N.state[j] == REPORTED)
            and (best < 0 or j < best)
        ):
            own = line_of(N, W, Q, P, j)
            if line < 0 or own < 0 or own == line:
                best = j
        j = N.seen_next[j]
    return best


# --- responders -------------------------------------------------------------------------------


@jit
def service_min(N, R, W, P, r, i):
    """Minutes responder r works on need i: its effort, less for skill, more for a skill
    mismatch, less in a cohesive community team."""
    skill = N.type_skill[N.kind[i]]
    factor = 1.0 - P[Par.SKILL_EFFORT_GAIN] * R.skill_level[r]
    if skill != GENERAL and R.skill[r] != skill:
        factor *= P[Par.MISMATCH_FACTOR]
    if R.role[r] == COMMUNITY_CADRE:
        factor *= 1.0 - P[Par.COHESION_EFFORT_GAIN] * W.cohesion[R.community[r]]
    return N.effort[i] * factor


@jit
def fatigue(R, Q, P, r, t):
    """The effort multiplier of responder r starting a service at minute t: 1 + the fatigue
    rate per hour worked (busy minutes, the trip to this need included) since its last rest
    or idle spell as long as a rest, beyond ``organization.fatigue_after_hours``."""
    worked = Q.worked[r] + max(t - R.busy_since[r], 0.0)
    return 1.0 + P[Par.FATIGUE_RATE] * max(worked - P[Par.FATIGUE_AFTER], 0.0) / 60.0


@jit
def _trip_began(R, Q, P, r):
    """Responder r's trip began at R.busy_since[r]: an idle spell before it as long as a
    rest was one, for fatigue (the shift's rest rule counts busy minutes only)."""
    if R.busy_since[r] - Q.idle_from[r] >= P[Par.REST_MIN]:
        Q.worked[r] = 0.0
    Q.idle_from[r] = np.inf


@jit
def arrive(N, R, W, Q, P, t, r, i):
    g = N.grid[i]
    R.node[r] = g
    _trip_began(R, Q, P, r)
    if N.state[i] == DISPATCHED:
        _start_service(N, W, Q, t, i, R.role[r])
        R.status[r] = BUSY
        tired = fatigue(R, Q, P, r, t)
        Q.counts[Count.SERVICES] += 1
        Q.sums[Sum.FATIGUE] += tired
        push(Q, t + service_min(N, R, W, P, r, i) * tired + escort(N, W, i)[0], DONE, r, i, 0)
        return
    other = _unmet_here(N, W, Q, P, g, R.line[r]) if Q.temp_org_at[g] else -1
    if other >= 0:  # the temporary party organization on site redirects the responder
        spent = t - R.busy_since[r]  # the wasted trip still counts as work
        R.busy_min[r] += spent
        R.shift_min[r] += spent
        Q.worked[r] += spent
        dispatch(N, R, W, Q, P, r, other, t)
        return
    push(Q, t + P[Par.DUPLICATE_VISIT], BECAME_FREE, r, 0, 0)


@jit
def resolve(N, W, Rs, Q, P, t, i):
    set_state(N, i, RESOLVED)
    N.resolved[i] = t
    res = N.resident[i]
    Rs.need_state[res] = MET
    if escort(N, W, i)[1] >= 0:
        Q.sums[Sum.SHELTERED] += N.persons[i]
    if N.type_isolates[N.kind[i]] and P[Par.ISOLATION] != 0.0:
        Rs.isolated[res] = Rs.epi[res] == INFECTED


@jit
def done(N, R, W, Rs, Q, P, S, t, r, i):
    shelter = escort(N, W, i)[1]
    if shelter >= 0:  # the evacuees' escort ends at the shelter
        R.node[r] = shelter
    resolve(N, W, Rs, Q, P, t, i)
    R.served[r] += 1
    R.served_since_eval[r] += 1
    became_free(N, R, W, Q, P, S, t, r)


@jit
def became_free(N, R, W, Q, P, S, t, r):
    if R.status[r] == TRAVELLING or R.status[r] == BUSY:
        spent = t - R.busy_since[r]
        R.busy_min[r] += spent
        R.shift_min[r] += spent
        Q.worked[r] += spent
    R.need[r] = -1
    if R.shift_min[r] >= P[Par.SHIFT_MIN]:
        R.status[r] = RESTING
        push(Q, t + P[Par.REST_MIN], RESTED, r, 0, 0)
        return
    Q.idle_from[r] = t
    set_idle(R, W, r)
    pick(N, R, W, Q, P, S, t, r)


@jit
def rested(N, R, W, Q, P, S, t, r):
    R.shift_min[r] = 0.0
    Q.worked[r], Q.idle_from[r] = 0.0, t
    set_idle(R, W, r)
    pick(N, R, W, Q, P, S, t, r)


# --- residents who respond in their own grid -----------------------------------------------


@jit
def pool_arrive(N, W, Q, P, t, pool, g, i):
    if N.state[i] == DISPATCHED:
        _start_service(N, W, Q, t, i, FIRST_POOL + pool)
        factor = P[Par.MISMATCH_FACTOR] if N.type_skill[N.kind[i]] != GENERAL else 1.0
        minutes = N.effort[i] * factor + escort(N, W, i)[0]
        Q.sums[Sum.POOL_MINUTES] += minutes
        push(Q, t + minutes, POOL_DONE, pool, g, i)
    else:
        push(Q, t + P[Par.DUPLICATE_VISIT], POOL_FREE, pool, g, 0)


@jit
def pool_done(N, W, Rs, Q, P, t, pool, g, i):
    resolve(N, W, Rs, Q, P, t, i)
    Q.counts[Count.PARTY if pool == PARTY_POOL else Count.SPONTANEOUS] += 1
    back = escort(N, W, i)[0]  # after an escort, the helper walks back to the grid
    if back > 0:
        Q.sums[Sum.POOL_MINUTES] += back
        push(Q, t + back, POOL_FREE, pool, g, 0)
    else:
        pool_free(Q, pool, g)


@jit
def pool_free(Q, pool, g):
    if pool == PARTY_POOL:
        Q.party_free[g] += 1
    else:
        Q.spont_free[g] += 1


@jit
def open_spontaneous(W, Q, P, S, g):
    """Neighbours see the first need of their grid: willing residents step forward (not for
    the routine cases of peacetime)."""
    if Q.spont_opened[g] or P[Par.PEACE] != 0.0:
        return
    Q.spont_opened[g] = True
    share = min(1.0, P[Par.SPONTANEOUS_SHARE] * P[Par.MUTUAL_AID_FACTOR])
    Q.spont_free[g] += binomial(S, int(W.willing[g]), share)


@jit
def incident_sites(N, W, Q, P, S, t):
    """Grids with at least ``response.temp_org_min_needs`` found, unreached needs get a
    temporary party organization (in grid order), which mobilizes more party members and
    spontaneous volunteers there; ``Loop.new_sites`` lists them."""
    Q.counts[Count.NEW_SITES] = 0
    if P[Par.TEMP_ORGS] == 0.0 or t < P[Par.WAR_SWITCH]:  # none before the wartime switch
        return
    for j in range(N.meta[N_UNREACHED]):
        i = N.unreached[j]
        if N.state[i] >= DETECTED and N.state[i] <= DISPATCHED:
            Q.site_count[N.grid[i]] += 1
    for g in range(len(Q.site_count)):
        if Q.site_count[g] >= P[Par.TEMP_ORG_MIN_NEEDS] and not Q.temp_org_at[g]:
            Q.temp_org_at[g] = True
            Q.counts[Count.TEMP_ORGS] += 1
            Q.new_sites[Q.counts[Count.NEW_SITES]] = g
            Q.counts[Count.NEW_SITES] += 1
            extra_party = binomial(S, W.party_in_grid[g], P[Par.TEMP_ORG_PARTY_SHARE])
            extra_spont = binomial(S, int(W.willing[g]), P[Par.SPONTANEOUS_SHARE])
            Q.site_members[g] = extra_party
            open_spontaneous(W, Q, P, S, g)
            Q.party_free[g] += extra_party
            Q.spont_free[g] += extra_spont
        Q.site_count[g] = 0
