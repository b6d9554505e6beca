"""What the model's parts (hazards, routine work, outcomes) see of the model: a Protocol.

``sim.model.GrassrootsModel`` builds those parts and hands itself to them; they type their
argument with ``ModelView`` instead of importing the model back, so the modules form no
import cycle.
"""

from __future__ import annotations

from typing import Any, Protocol

import numpy as np

from .engine import Engine, Place
from .needs import NeedTable
from .params import Config
from .residents import Residents
from .roster import Roster
from .township import Township


class ModelView(Protocol):
    config: Config
    township: Township
    residents: Residents
    residents_in: np.ndarray
    place: Place
    roster: Roster
    engine: Engine | None
    hazards: list[Any]
    grid_party_orgs: list[Any]
    events: list[Any]
    minute: float
    peace_steps: int
    trust_before: float
    preparedness_before: float
    routine: Any

    @property
    def needs(self) -> NeedTable: ...

    def log(
        self, minute: float, kind: str, hazard: str = "", grid: int = -1, number: int = -1
    ) -> None: ...
