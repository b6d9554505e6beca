"""The base of every hazard: onset and end, the step, compiled need generation with room
made in the need table, its own random streams."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

from ..codes import GENERAL, LOGISTICS, MEDICAL
from ..jit import call
from ..registry import HAZARDS, HazardSpec, NeedType
from ..rng import stream

if TYPE_CHECKING:
    from ..params import Config
    from ..view import ModelView


# Need types more than one shipped hazard creates.
EVACUATION = NeedType(
    "evacuation",
    GENERAL,
    {"en": "evacuation", "zh": "转移疏散"},
    "needs.evacuation_effort_min",
    "needs.evacuation_line",
    escort=True,
)
SUPPLY = NeedType(
    "supply",
    LOGISTICS,
    {"en": "supply delivery", "zh": "物资保障"},
    "needs.supply_effort_min",
    "needs.supply_line",
)
MEDICAL_TRANSPORT = NeedType(
    "medical_transport",
    MEDICAL,
    {"en": "medical transport", "zh": "就医转运"},
    "needs.medical_transport_effort_min",
    "needs.medical_transport_line",
    life_threatening=True,
)


class Hazard:
    """A hazard in a run: onset and end (minutes since wartime began), what it does at its
    start, each step and its end. ``spec`` is set when the hazard is registered."""

    spec: ClassVar[HazardSpec]

    def __init__(
        self,
        model: ModelView,
        params: Any,
        seed: np.random.SeedSequence,
        onset_min: float,
        end_min: float,
    ) -> None:
        self.model = model
        self.p = params
        self.code = list(HAZARDS).index(self.spec.name)
        kernel_seed, numpy_seed = seed.spawn(2)
        self.S = stream(kernel_seed)  # for its compiled need generation
        self.rng = np.random.default_rng(numpy_seed)  # for what it does in Python
        self.onset, self.end = onset_min, end_min
        self.started = self.ended = self.evaluated = False

    @property
    def name(self) -> str:
        return self.spec.name

    def step(self, t0: float, t1: float) -> None:
        if not self.started and t1 > self.onset:
            self.started = True
            self.start(max(t0, self.onset))
        if self.started and not self.ended:
            self.generate(max(t0, self.onset), min(t1, self.end))
            if t1 >= self.end:
                self.ended = True
                self.finish(self.end)

    def start(self, t: float) -> None:
        self.model.log(t, "begins", self.name)

    def generate(self, t0: float, t1: float) -> None:
        raise NotImplementedError

    def finish(self, t: float) -> None:
        self.model.log(t, "ends", self.name)

    def add_needs(self, generator: Callable[..., int], *args: Any) -> None:
        """Run a compiled need generator on the hazard's stream (``make_needs``)."""
        engine = self.model.engine
        assert engine is not None, "needs are created in wartime"
        make_needs(engine, self.model.residents, self.S, generator, *args)

    def outcomes(self) -> dict[str, float]:
        """The values of the spec's outcomes in this run."""
        return {}

    @staticmethod
    def expected_needs(config: Config) -> float:
        """About how many needs a run creates (for the memory estimate)."""
        return 0.0


def make_needs(
    engine: Any, residents: Any, S: np.ndarray, generator: Callable[..., int], *args: Any
) -> None:
    """Run a compiled need generator ``generator(N, residents, S, *args)`` on the engine's
    need table with stream ``S``: it returns 0, or the room it lacks before it has created
    any need (the table grows and the generator runs again from the same random numbers)."""
    saved = S.copy()
    while (lack := call(generator, engine.N, residents, S, *args)) > 0:
        engine.N = engine.N.grown(lack)
        S[:] = saved


def active_hazards(model: ModelView, seed: np.random.SeedSequence) -> list[Hazard]:
    """The enabled hazards of the model's configuration, each on its own stream."""
    out = []
    for name, spec in HAZARDS.items():
        params = getattr(model.config, name)
        if params.enabled:
            out.append(spec.model(model, params, hazard_seed(seed, name)))
    return out


def hazard_seed(seed: np.random.SeedSequence, name: str) -> np.random.SeedSequence:
    """A hazard's own stream, keyed by its name: hazards registered later change no other
    hazard's draws."""
    key = int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "little")
    return np.random.SeedSequence(seed.entropy, spawn_key=(*seed.spawn_key, key))
