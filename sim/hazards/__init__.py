"""Hazards: generators of needs on grids over time, and their effects on the network.

Each hazard is one module that registers a ``HazardSpec`` (``sim/registry.py``): its
parameter section, need types, labels, colour, events and outcomes, and a ``Hazard``
subclass (``base.py``) that runs it, whose need generation is compiled. The shipped ones:
``flood`` (flood or typhoon), ``fire`` (fires and accidents) and ``epidemic`` (SIR among
residents). CONTRIBUTING.md shows how to add one from outside the package.
"""

# The shipped hazards register in this order (their codes in NeedTable.hazard), so the
# import order is kept by hand.
# isort: off
from . import flood  # noqa: F401
from . import fire  # noqa: F401
from . import epidemic  # noqa: F401

# isort: on
from .base import EVACUATION, MEDICAL_TRANSPORT, SUPPLY, Hazard, active_hazards, hazard_seed

__all__ = ["EVACUATION", "MEDICAL_TRANSPORT", "SUPPLY", "Hazard", "active_hazards", "hazard_seed"]
