"""Mesa agents: responders (cadres, volunteers, unit staff) and party organizations.

Responders act on events (dispatched, arrived, done, shift over), not on every tick.
Residents are not agents: see ``residents.py``.
"""

from __future__ import annotations

import heapq
import math
from enum import IntEnum

import mesa
import numpy as np

from .needs import GENERAL


class Status(IntEnum):
    """What a responder is doing; array code in ``Roster.status``."""

    IDLE = 0
    TRAVELLING = 1
    SERVING = 2
    RESTING = 3


IDLE, TRAVELLING, SERVING, RESTING = map(int, Status)  # plain ints: fast numpy comparisons


class Responder(mesa.Agent):
    """Anyone the organization can dispatch to a need.

    Static traits live on the agent. Once wartime starts, the dynamic state (where the
    responder is, what it does, its workload) lives in the model's ``Roster`` arrays so that
    dispatch can score every responder at once; the properties below read it.
    """

    role = "responder"
    role_code = -1
    is_cadre = False

    def __init__(self, model: mesa.Model, node: int, community: int, skill: int = GENERAL,
                 skill_level: float = 0.5, line: int = -1) -> None:
        super().__init__(model)
        self.home_node = node
        self.community = community
        self.skill = skill
        self.skill_level = skill_level
        self.line = line  # siloed structure: the line this responder belongs to (-1: all)
        self.initiative = 0.0
        self.trained = False  # reached by rotation training in peacetime
        self.idx = -1  # index in the wartime roster

    @property
    def node(self) -> int:
        return int(self.model.roster.node[self.idx]) if self.idx >= 0 else self.home_node

    @property
    def status(self) -> int:
        return int(self.model.roster.status[self.idx]) if self.idx >= 0 else IDLE

    @property
    def busy_min(self) -> float:
        return float(self.model.roster.busy_min[self.idx]) if self.idx >= 0 else 0.0

    @property
    def served(self) -> int:
        return int(self.model.roster.served[self.idx]) if self.idx >= 0 else 0


class CommunityCadre(Responder):
    """Member of a community (village) team; one of them may be the first secretary."""

    role = "community_cadre"
    role_code = 0
    is_cadre = True

    def __init__(self, *args, first_secretary: bool = False, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.first_secretary = first_secretary


class TownshipCadre(Responder):
    """Township (street) staff; redeployed by need, or fixed to an assigned community."""

    role = "township_cadre"
    role_code = 1
    is_cadre = True


class OrganCadre(Responder):
    """Government-office staff who may register with the community they live in."""

    role = "organ_cadre"
    role_code = 2
    is_cadre = True

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.registered = False


class Volunteer(Responder):
    """Standing-team or professional volunteer."""

    role = "volunteer"
    role_code = 3

    def __init__(self, *args, team: str = "standing", **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.team = team


class UnitStaff(Responder):
    """Staff of a co-located agency, enterprise or market brought into the grid."""

    role = "unit_staff"
    role_code = 4


class GridManager(mesa.Agent):
    """One per grid: finds needs on patrol and is the first step of every report."""

    def __init__(self, model: mesa.Model, grid: int) -> None:
        super().__init__(model)
        self.grid = grid
        self.reports = 0

    @property
    def familiarity(self) -> float:
        """Familiarity with the grid (0-1), kept in the model's per-grid array."""
        return float(self.model.familiarity[self.grid])


class ReportQueue:
    """A reporting level: `handlers` in parallel, each report taking `delay_min`, FIFO."""

    def __init__(self, handlers: int, delay_min: float, opens_at: float = -math.inf) -> None:
        self.delay_min = delay_min
        self.free_at = [opens_at] * handlers
        self.handled = 0
        self.max_wait = 0.0

    def admit(self, t: float) -> float:
        """A report arriving at minute t; returns the minute it leaves this level."""
        start = max(t, self.free_at[0])
        heapq.heapreplace(self.free_at, start + self.delay_min)
        self.handled += 1
        self.max_wait = max(self.max_wait, start - t)
        return start + self.delay_min


class PartyOrganization(mesa.Agent):
    """A party organization with members and a mode (peace/war)."""

    level = "party_organization"

    def __init__(self, model: mesa.Model, node: int, community: int = -1) -> None:
        super().__init__(model)
        self.node = node
        self.community = community
        self.mode = "peace"
        self.members = 0


class TownshipPartyCommittee(PartyOrganization):
    level = "township"


class CommunityPartyOrganization(PartyOrganization):
    level = "community"

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.cohesion = 0.0  # team cohesion of the community's cadres (0-1), set by the model


class GridPartyOrganization(PartyOrganization):
    """Mobilizes party members living in the grid as first responders."""

    level = "grid"

    def __init__(self, *args, grid: int, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.grid = grid
        self.mobilized = 0  # party members available as first responders


class JointMeetingCommittee(PartyOrganization):
    """Neighbourhood joint-meeting committee; becomes the front-line command in wartime."""

    level = "joint_meeting"

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.active_from = math.inf  # minute it is convened as the front-line command


class TemporaryPartyOrganization(PartyOrganization):
    """Set up at an incident site or shelter: unites party members and the masses there."""

    level = "temporary"

    def __init__(self, *args, grid: int, created_min: float, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.grid = grid
        self.created_min = created_min


def gini(values: np.ndarray) -> float:
    """Gini coefficient of non-negative values (0 equal, towards 1 concentrated)."""
    v = np.sort(np.asarray(values, dtype=float))
    if len(v) == 0 or v.sum() <= 0:
        return 0.0
    n = len(v)
    return float((2 * np.arange(1, n + 1) - n - 1) @ v / (n * v.sum()))
