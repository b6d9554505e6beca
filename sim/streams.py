"""The random streams of one run, spawned from its seed (``SeedSequence.spawn``).

Each part of the model draws from its own stream, so a part can be rebuilt on its own (the
township of a stored run, from its config and seed) and a change in one part's draws leaves
the others' unchanged (policies are compared on identical emergencies).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np


class RunStreams(NamedTuple):
    space: np.random.SeedSequence  # the township's layout and road network
    people: np.random.SeedSequence  # residents' attributes
    hazards: np.random.SeedSequence  # the emergencies (spawned again, one per hazard)
    behaviour: np.random.SeedSequence  # everything the organizations and people do
    routine: np.random.SeedSequence  # peacetime routine cases (sim/routine.py)


def run_streams(seed: int) -> RunStreams:
    """The streams of the run with this seed."""
    # Spawning more children leaves the first ones as they were.
    return RunStreams(*np.random.SeedSequence(seed).spawn(5))
