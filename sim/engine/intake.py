"""Intake in the street before the grid reform: the department a resident happens to reach.

No grid manager takes a found need in and no one owns intake (docs/ODD.md, Submodels, "The
pre-reform street"). The resident's complaint reaches a department (a line) drawn at random,
when its office is open; a department that does not own the need passes it on to the one it
takes for the owner, which is wrong again with chance ``organization.transfer_misroute_share``;
each transfer costs ``organization.handoff_delay_min`` in an emergency and, in routine work,
waits for the next department's batch at the opening of office hours
``routine.transfer_working_days`` working days later. No one tracks a case to closure: a wrong
department drops it with chance ``organization.ownerless_stall_share``, and the resident
complains again after an exponential delay (mean ``routine.recomplaint_days``; in an
emergency ``reporting.resend_after_min``). The owning department's report then climbs the
reporting mechanism's chain as in the other structures.
"""

from __future__ import annotations

import math

from ..codes import DETECTED, INTAKE
from ..jit import jit
from ..rng import exponential, random
from .dispatch import send
from .heap import push
from .state import Count, Par

DAY = 1440.0
FIRST, TRANSFER = 0, 1  # how a complaint reaches a department: from the resident, passed on


@jit
def working(P, day):
    """Whether day `day` (0: the first of the departments' week) is a working day."""
    return day - 7.0 * math.floor(day / 7.0) < P[Par.OFFICE_DAYS]


@jit
def office_opens(P, t):
    """The first minute at or after t at which the departments are open."""
    if P[Par.OFFICE_DAYS] >= 7.0 and P[Par.OFFICE_MIN] >= DAY:
        return t
    origin, start, length = P[Par.OFFICE_ORIGIN], P[Par.OFFICE_OPEN], P[Par.OFFICE_MIN]
    day = math.floor((t - origin) / DAY)
    for k in range(-1, 9):  # from the day before (office hours may run past midnight)
        d = day + k
        if working(P, d):
            opens = origin + d * DAY + start
            if t < opens + length:
                return max(t, opens)
    return math.inf  # no working day in the week


@jit
def batch_after(P, t, days):
    """The opening of office hours `days` (>= 1) working days after the day of minute t,
    when the receiving department picks up the day's transfers."""
    origin = P[Par.OFFICE_ORIGIN]
    d = math.floor((t - origin) / DAY)
    n = 0
    while n < days:
        d += 1
        if working(P, d):
            n += 1
    return origin + d * DAY + P[Par.OFFICE_OPEN]


@jit
def transfer_arrives(P, t):
    """When a case a wrong department passes on at minute t reaches the next department."""
    if P[Par.TRANSFER_DAYS] >= 1.0:
        return batch_after(P, t, P[Par.TRANSFER_DAYS])
    return t + P[Par.HANDOFF_DELAY]


@jit
def intake(N, R, W, Q, P, S, t, i, how):
    """The complaint about need i reaches a department at minute t (`how`: FIRST from the
    resident, TRANSFER passed on by a wrong department). A need met meanwhile leaves the
    departments' hands."""
    if N.state[i] != DETECTED:
        return
    opens = office_opens(P, t)
    if opens > t:  # closed: the complaint waits for office hours
        push(Q, opens, INTAKE, i, how, 0)
        return
    if how == FIRST:
        lines = P[Par.SILOED_LINES]
        wrong = random(S) < (lines - 1.0) / lines
    else:
        wrong = random(S) < P[Par.MISROUTE]
    if not wrong:  # the owning department: its report goes up the chain
        send(N, R, W, Q, P, S, t, i, 0)
        return
    Q.counts[Count.HANDOFFS] += 1
    if random(S) < P[Par.STALL]:  # dropped: the resident complains again later
        Q.counts[Count.STALLS] += 1
        push(Q, t + exponential(S, P[Par.RECOMPLAINT]), INTAKE, i, FIRST, 0)
        return
    push(Q, transfer_arrives(P, t), INTAKE, i, TRANSFER, 0)
