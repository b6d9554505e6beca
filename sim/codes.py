"""Codes defined once: the states, roles, offices and event kinds of the engine.

Each is an ``IntEnum`` (readable names for reports, tests and the app) and, below it, the
same codes as plain module constants, which the compiled engine reads as compile-time
constants (and which a numpy scalar compares with faster than with an enum member).
"""

from __future__ import annotations

from enum import IntEnum


class NeedState(IntEnum):
    """Where a need stands (``NeedTable.state``)."""

    CREATED = 0
    DETECTED = 1
    REPORTED = 2
    DISPATCHED = 3
    SERVING = 4
    RESOLVED = 5


class Skill(IntEnum):
    """A responder's specialty, and what a need type requires."""

    GENERAL = 0
    RESCUE = 1
    MEDICAL = 2
    LOGISTICS = 3


class Channel(IntEnum):
    """Who found a need (``NeedTable.channel``)."""

    RESIDENT = 0
    NEIGHBOUR = 1
    GRID_MANAGER = 2


class Status(IntEnum):
    """What a responder is doing (``Roster.status``)."""

    IDLE = 0
    TRAVELLING = 1
    SERVING = 2
    RESTING = 3


class Role(IntEnum):
    """A responder's place in the organization (``Roster.role``)."""

    COMMUNITY_CADRE = 0
    TOWNSHIP_CADRE = 1
    ORGAN_CADRE = 2
    VOLUNTEER = 3
    UNIT_STAFF = 4
    SENT_DOWN_CADRE = 5  # sent down from agencies above the street in an emergency


class Office(IntEnum):
    """The offices a report can pass (``sim/engine/chain.py``), grid manager first."""

    GRID = 0
    COMMUNITY = 1
    TOWNSHIP = 2
    DISTRICT = 3
    CITY = 4
    PROVINCE = 5
    COMMAND = 6


class Pool(IntEnum):
    """Residents who respond in their own grid (``sim/engine/service.py``): the party
    members the grid party organization mobilizes, and spontaneous volunteers (neighbours
    who step forward; mutual-aid organizations multiply them)."""

    PARTY = 0
    SPONTANEOUS = 1


class EpiState(IntEnum):
    """A resident's epidemic state (``Residents.epi``)."""

    SUSCEPTIBLE = 0
    INFECTED = 1
    RECOVERED = 2


class NeedStatus(IntEnum):
    """Whether a resident's need is unmet or met (``Residents.need_state``)."""

    NO_NEED = 0
    UNMET = 1
    MET = 2


class Event(IntEnum):
    """Kinds of event on the engine's heap (``sim/engine/step.py`` runs each)."""

    PICK = 0
    DETECT = 1
    LOCAL_WAIT_OVER = 2
    REPORT = 3
    SEND = 4
    ESCALATE = 5
    ESCALATION_ARRIVES = 6
    DECIDE_BATCH = 7
    ARRIVE = 8
    DONE = 9
    BECAME_FREE = 10
    RESTED = 11
    POOL_ARRIVE = 12
    POOL_DONE = 13
    POOL_FREE = 14
    ON_DUTY_START = 15
    OFF_DUTY = 16
    INTAKE = 17
    REDISPATCH = 18


CREATED, DETECTED, REPORTED, DISPATCHED, SERVING, RESOLVED = map(int, NeedState)
GENERAL, RESCUE, MEDICAL, LOGISTICS = map(int, Skill)
IDLE, TRAVELLING, BUSY, RESTING = map(int, Status)
COMMUNITY_CADRE, TOWNSHIP_CADRE, ORGAN_CADRE, VOLUNTEER, UNIT_STAFF, SENT_DOWN_CADRE = map(
    int, Role
)
GRID, COMMUNITY, TOWNSHIP, DISTRICT, CITY, PROVINCE, COMMAND = map(int, Office)
PARTY_POOL, SPONTANEOUS_POOL = map(int, Pool)
SUSCEPTIBLE, INFECTED, RECOVERED = map(int, EpiState)
NO_NEED, UNMET, MET = map(int, NeedStatus)
(
    PICK,
    DETECT,
    LOCAL_WAIT_OVER,
    REPORT,
    SEND,
    ESCALATE,
    ESCALATION_ARRIVES,
    DECIDE_BATCH,
    ARRIVE,
    DONE,
    BECAME_FREE,
    RESTED,
    POOL_ARRIVE,
    POOL_DONE,
    POOL_FREE,
    ON_DUTY_START,
    OFF_DUTY,
    INTAKE,
    REDISPATCH,
) = map(int, Event)
NONE = -1  # no office, need, responder or community

STATE_NAMES = tuple(s.name.lower() for s in NeedState)
# Who reached a need first (``NeedTable.first_by``; -1: no one yet): a responder of the
# roster by its role (codes 0 .. len(Role) - 1), or a resident of a grid's pool
# (FIRST_POOL + the pool). Their names, as needs.parquet and the outcomes show them.
FIRST_POOL = len(Role)
ARRIVALS = tuple("team_volunteer" if r == Role.VOLUNTEER else r.name.lower() for r in Role) + tuple(
    {Pool.PARTY: "party_member", Pool.SPONTANEOUS: "spontaneous_volunteer"}[p] for p in Pool
)
CHANNELS = tuple(c.name.lower() for c in Channel)
ROLES = tuple(r.name.lower() for r in Role)
OFFICES = tuple(o.name.lower() for o in Office)
# The siloed structure's lines, the pre-reform street's departments (organization.
# siloed_lines of them; beyond six, unnamed).
LINES = (
    "party_building",
    "comprehensive_management",
    "civil_affairs",
    "urban_management",
    "letters_and_visits",
    "emergency_management",
)
