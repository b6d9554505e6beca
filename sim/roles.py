"""Who responders are and what they are doing: codes kept in the roster's arrays."""

from __future__ import annotations

from enum import IntEnum


class Role(IntEnum):
    """A responder's place in the organization (``Responder.role_code``)."""

    COMMUNITY_CADRE = 0
    TOWNSHIP_CADRE = 1
    ORGAN_CADRE = 2
    VOLUNTEER = 3
    UNIT_STAFF = 4


class ResponderStatus(IntEnum):
    """What a responder is doing in wartime."""

    IDLE = 0
    TRAVELLING = 1
    SERVING = 2
    RESTING = 3
