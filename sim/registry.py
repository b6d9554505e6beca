"""What plugs into the engine: need types, hazards and reporting mechanisms, each registered
once, with everything the rest of the project reads about it.

A hazard (``HazardSpec``) brings its parameter section, the need types it creates, its
label in each language, its colour, the sentences of its events and the outcomes it adds;
the model, the report, the classroom app, the memory estimate and the ODD read them here.
A reporting mechanism (``Mechanism``) is data the engine interprets: the offices a report
passes before and after the front-line command convenes, and how the deciding unit works.
See CONTRIBUTING.md ("Adding a hazard", "Adding a reporting mechanism").
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, fields
from typing import TYPE_CHECKING, Any

import numpy as np

from .codes import COMMAND, COMMUNITY, DISTRICT, GRID, TOWNSHIP
from .params import MECHANISMS as MECHANISM_NAMES
from .params import register_section

if TYPE_CHECKING:
    from .params import Config


@dataclass(frozen=True)
class Outcome:
    """An outcome every run reports.

    ``higher_is_better`` is True or False for outcomes a planner ranks policies by, None for
    those that only describe the emergency or the run (how many needs, trust before it).
    ``derived_from`` names the outcome this one is computed from (a transform of it, not
    independent evidence).
    """

    name: str
    unit: str
    label: str
    higher_is_better: bool | None
    derived_from: str | None = None


@dataclass(frozen=True)
class NeedType:
    """A kind of need: the skill it asks for, where its mean effort and owning line (siloed
    structure) are set (``section.key``; None: set need by need), and what meeting it does:
    ``escort`` ends it at the nearest shelter, ``isolates`` isolates an infected resident.
    ``life_threatening``: its people's survival falls with the time until a responder
    reaches them (``sim/survival.py``), else their casualty proxy follows its harm."""

    name: str
    skill: int  # sim.codes.Skill
    label: dict[str, str]
    effort_key: str | None = None
    line_key: str | None = None
    escort: bool = False
    isolates: bool = False
    life_threatening: bool = False


@dataclass(frozen=True)
class HazardSpec:
    """A hazard: ``params`` is its parameter section (a frozen dataclass of ``sim.params.p``
    fields with an ``enabled`` switch), ``model`` the class that runs it (``sim.hazards.
    Hazard``), ``events`` the sentence of each event it logs by language (fields in
    braces), ``outcomes`` the outcomes its ``outcomes()`` adds to every run's summary."""

    name: str
    params: Any  # a dataclass type
    model: Any  # a sim.hazards.Hazard subclass
    need_types: tuple[NeedType, ...]
    label: dict[str, str]
    colour: str
    events: dict[str, dict[str, str]] = field(default_factory=dict)
    outcomes: tuple[Outcome, ...] = ()


@dataclass(frozen=True)
class Mechanism:
    """A reporting mechanism, as the engine runs it: ``route(config)`` gives the offices a
    report passes (grid manager first) before and after the front-line command convenes;
    the last office decides. ``batch_before_command``: reports wait for the next joint
    meeting until the command convenes. ``local_first``: the grid's own community decides
    with the responders in it and escalates one hop (to the command, or the township office
    before it convenes) what it cannot meet. ``knows_local_responses``: the deciding unit
    knows of local responses at once (no duplicate dispatch from late news)."""

    name: str
    route: Callable[[Config], tuple[tuple[int, ...], tuple[int, ...]]]
    label: dict[str, str]
    batch_before_command: bool = False
    local_first: bool = False
    knows_local_responses: bool = False

    def decider(self, config: Config, command_active: bool) -> int:
        """The office that decides a report sent now (-1: the next joint meeting)."""
        if self.batch_before_command and not command_active:
            return -1
        return self.route(config)[1 if command_active else 0][-1]


NEED_TYPES: list[NeedType] = []
HAZARDS: dict[str, HazardSpec] = {}
MECHANISMS: dict[str, Mechanism] = {}


def register_need_type(need: NeedType) -> int:
    """Register a need type (once; the same again is a no-op) and return its code."""
    for code, known in enumerate(NEED_TYPES):
        if known.name == need.name:
            if known != need:
                raise ValueError(f"need type {need.name!r} is already registered differently")
            return code
    NEED_TYPES.append(need)
    return len(NEED_TYPES) - 1


def register_hazard(spec: HazardSpec) -> HazardSpec:
    """Register a hazard: its parameter section, its need types and the spec itself."""
    known = HAZARDS.get(spec.name)
    if known is not None:
        if known != spec:
            raise ValueError(f"hazard {spec.name!r} is already registered differently")
        return known
    if "enabled" not in {f.name for f in fields(spec.params)}:
        raise ValueError(f"hazard {spec.name!r}: its parameters need an 'enabled' switch")
    register_section(spec.name, spec.params)
    for need in spec.need_types:
        register_need_type(need)
    HAZARDS[spec.name] = spec
    spec.model.spec = spec
    return spec


def register_mechanism(mechanism: Mechanism) -> Mechanism:
    """Register a reporting mechanism: ``reporting.mechanism`` then accepts its name."""
    if mechanism.name not in MECHANISMS:
        MECHANISMS[mechanism.name] = mechanism
        MECHANISM_NAMES.append(mechanism.name)
    return MECHANISMS[mechanism.name]


def need_code(name: str) -> int:
    for code, need in enumerate(NEED_TYPES):
        if need.name == name:
            return code
    raise KeyError(f"no need type {name!r}; registered: {', '.join(type_names())}")


def type_names() -> tuple[str, ...]:
    return tuple(n.name for n in NEED_TYPES)


def type_arrays(config: Config) -> dict[str, np.ndarray]:
    """Per need type (by code): skill, mean effort, owning line, escort, isolation."""

    def value(key: str | None, default: float) -> float:
        if key is None:
            return default
        section, name = key.split(".")
        return float(getattr(getattr(config, section), name))

    return {
        "skill": np.array([int(n.skill) for n in NEED_TYPES], dtype=np.int64),
        "effort": np.array([value(n.effort_key, np.nan) for n in NEED_TYPES]),
        "line": np.array([value(n.line_key, -1) for n in NEED_TYPES], dtype=np.int64),
        "escort": np.array([n.escort for n in NEED_TYPES], dtype=np.bool_),
        "isolates": np.array([n.isolates for n in NEED_TYPES], dtype=np.bool_),
    }


def label(names: dict[str, str], lang: str) -> str:
    return names.get(lang) or names["en"]


# --- the shipped reporting mechanisms -------------------------------------------------------

UPPER = (DISTRICT, DISTRICT + 1, DISTRICT + 2)  # district, city, province


def _hierarchical(config: Config) -> tuple[tuple[int, ...], tuple[int, ...]]:
    route = (GRID, COMMUNITY, TOWNSHIP, *UPPER)[: config.reporting.levels + 1]
    return route, route


register_mechanism(
    Mechanism("hierarchical", _hierarchical, {"en": "hierarchical", "zh": "逐级上报"})
)
register_mechanism(
    Mechanism(
        "direct", lambda c: ((GRID, TOWNSHIP), (GRID, COMMAND)), {"en": "direct", "zh": "直报"}
    )
)
register_mechanism(
    Mechanism(
        "joint_meeting",
        lambda c: ((GRID,), (GRID, COMMAND)),
        {"en": "joint meeting", "zh": "联席会议"},
        batch_before_command=True,
        knows_local_responses=True,
    )
)
register_mechanism(
    Mechanism(
        "grid_autonomy",
        lambda c: ((GRID,), (GRID,)),
        {"en": "grid autonomy", "zh": "网格自治"},
        local_first=True,
        knows_local_responses=True,
    )
)


def mechanism(name: str) -> Mechanism:
    return MECHANISMS[name]


def hazard_label(name: str, lang: str = "en") -> str:
    spec = HAZARDS.get(name)
    return label(spec.label, lang) if spec else name


def event_text(name: str, kind: str, lang: str, fields: dict[str, Any]) -> str | None:
    """The sentence of hazard `name`'s event `kind` in `lang` (None: it has none)."""
    spec = HAZARDS.get(name)
    templates = spec.events.get(kind) if spec else None
    return label(templates, lang).format(**fields) if templates else None
