"""Mesa agents: responders (cadres, volunteers, unit staff), grid managers and party
organizations, as views over the engine's arrays.

A responder's traits and state live in the model's ``Roster`` (``sim/roster.py``), which
the compiled engine changes; its agent's attributes read them. Residents are not agents:
see ``residents.py``.
"""

from __future__ import annotations

import math
from typing import Any

import mesa

from .codes import Role


def _column(name: str, kind: type) -> property:
    return property(
        lambda self: kind(getattr(self.model.roster, name)[self.idx]),
        doc=f"``Roster.{name}`` of this responder.",
    )


class Responder(mesa.Agent):
    """Anyone the organization can dispatch to a need (``idx``: its row in the roster)."""

    role = Role.VOLUNTEER

    def __init__(self, model: mesa.Model, idx: int) -> None:
        super().__init__(model)
        self.idx = idx

    community = _column("community", int)
    home_node = _column("home_node", int)
    node = _column("node", int)
    status = _column("status", int)
    skill = _column("skill", int)
    skill_level = _column("skill_level", float)
    line = _column("line", int)
    initiative = _column("initiative", float)
    busy_min = _column("busy_min", float)
    served = _column("served", int)
    trained = _column("trained", bool)

    @property
    def is_cadre(self) -> bool:
        return self.role <= Role.ORGAN_CADRE or self.role == Role.SENT_DOWN_CADRE


class CommunityCadre(Responder):
    """Member of a community (village) team; one of them may be the first secretary."""

    role = Role.COMMUNITY_CADRE
    first_secretary = _column("first_secretary", bool)


class TownshipCadre(Responder):
    """Township (street) staff; redeployed by need, or fixed to an assigned community."""

    role = Role.TOWNSHIP_CADRE


class OrganCadre(Responder):
    """Government-office staff who may register with the community they live in."""

    role = Role.ORGAN_CADRE
    registered = _column("registered", bool)


class SentDownCadre(Responder):
    """A cadre sent down from an agency above the street to a community in an emergency:
    on its team from its arrival, without the local familiarity of the community's own."""

    role = Role.SENT_DOWN_CADRE


class Volunteer(Responder):
    """Standing-team or professional volunteer."""

    role = Role.VOLUNTEER

    @property
    def team(self) -> str:
        return "professional" if self.model.roster.professional[self.idx] else "standing"


class UnitStaff(Responder):
    """Staff of a co-located agency, enterprise or market brought into the grid."""

    role = Role.UNIT_STAFF


AGENT_CLASSES = {
    Role.COMMUNITY_CADRE: CommunityCadre,
    Role.TOWNSHIP_CADRE: TownshipCadre,
    Role.ORGAN_CADRE: OrganCadre,
    Role.VOLUNTEER: Volunteer,
    Role.UNIT_STAFF: UnitStaff,
    Role.SENT_DOWN_CADRE: SentDownCadre,
}


class GridManager(mesa.Agent):
    """One per grid: finds needs on patrol and is the first step of every report."""

    def __init__(self, model: mesa.Model, grid: int) -> None:
        super().__init__(model)
        self.grid = grid

    @property
    def familiarity(self) -> float:
        """Familiarity with the grid (0-1), kept in the model's per-grid array."""
        return float(self.model.place.familiarity[self.grid])


class PartyOrganization(mesa.Agent):
    """A party organization with members and a mode (peace/war)."""

    level = "party_organization"

    def __init__(self, model: mesa.Model, node: int, community: int = -1, **attrs: Any) -> None:
        super().__init__(model)
        self.node = node
        self.community = community
        self.mode = "peace"
        self.members = 0
        for key, value in attrs.items():
            setattr(self, key, value)


class TownshipPartyCommittee(PartyOrganization):
    level = "township"


class CommunityPartyOrganization(PartyOrganization):
    level = "community"

    @property
    def cohesion(self) -> float:
        """Team cohesion of the community's cadres (0-1), kept in the model's arrays."""
        return float(self.model.place.cohesion[self.community])


class GridPartyOrganization(PartyOrganization):
    """Mobilizes party members living in the grid as first responders (``grid``,
    ``mobilized``)."""

    level = "grid"


class JointMeetingCommittee(PartyOrganization):
    """Neighbourhood joint-meeting committee; becomes the front-line command in wartime."""

    level = "joint_meeting"
    active_from = math.inf  # minute it is convened as the front-line command


class TemporaryPartyOrganization(PartyOrganization):
    """Set up at an incident site or shelter: unites party members and the masses there
    (``grid``, ``created_min``)."""

    level = "temporary"
