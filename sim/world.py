"""What the model's parts (hazards, peacetime, response) see of the model: a Protocol.

:class:`sim.model.GrassrootsModel` builds those parts and hands itself to them; they type
their argument with :class:`World` instead of importing the model back, so the model's
modules form no import cycle.
"""

from __future__ import annotations

from typing import Any, Protocol

import numpy as np

from .agents import (CommunityPartyOrganization, GridManager, GridPartyOrganization,
                     JointMeetingCommittee, Volunteer)
from .needs import Needs
from .params import Config
from .residents import Residents
from .roster import Roster
from .township import Township


class World(Protocol):
    config: Config
    township: Township
    residents: Residents
    needs: Needs
    roster: Roster | None
    response: Any  # sim.response.Response, which takes a World itself
    response_class: Any  # the engine's Response class (sim/engine.py)
    engine: str  # "compiled" or "python" (sim/engine.py)
    rng: np.random.Generator
    hazard_rngs: list[np.random.Generator]
    minute: float
    familiarity: np.ndarray
    n_trained: int
    recruits_due: float
    trust_before: float
    preparedness_before: float
    grid_managers: list[GridManager]
    joint_committee: JointMeetingCommittee
    community_orgs: list[CommunityPartyOrganization]
    grid_party_orgs: list[GridPartyOrganization]

    def log(self, minute: float, text: str) -> None: ...

    def agents_of(self, cls: type) -> list: ...

    def add_volunteer(self, professional: bool, specialty: int = 0) -> Volunteer: ...

    def grid_label(self, g: int) -> str: ...

    def workload_gini(self) -> float: ...
