"""The roles of an exercise and the choices each role has: every choice is a lever on the
running model (a field of ``GrassrootsModel`` or of its engine), pulled from the moment it
is taken; a lever that changes a setting once (fast-tracking reports, say) is offered until
it is pulled. The first choice of each role is the model's default policy: it changes nothing.

Roles are named ``kind`` or ``kind:place``: ``grid_manager:A-1`` (a grid, by its label),
``party_secretary:A`` (a community, by its letter), ``command`` (the front-line command's
duty officer: reports, hotline, the command itself) and ``volunteers`` (the volunteer team
leader). Nothing here draws random numbers: a lever is a function of the model's state, so
that a run with the same decisions at the same steps is the same run.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from sim import GrassrootsModel
from sim.codes import COMMAND, CREATED, DECIDE_BATCH, DETECT, Channel
from sim.engine import Par, office_rows

DEFAULT = "default"
ROLE_KINDS = ("grid_manager", "party_secretary", "command", "volunteers")
DOOR_TO_DOOR_FAMILIARITY = 1.0  # assumption: a manager who checks every door knows the grid
DOOR_TO_DOOR_MIN = 60.0  # assumption: a grid manager checks a grid's households in an hour
CADRE_VISITS_MIN = 120.0  # assumption: the community's cadres walk its grids in two hours
CADRE_VISIT_GAIN = 0.5  # assumption: cadres' visits take a community's grids halfway to 1
LOCAL_WAIT_NOW_MIN = 10.0  # assumption: "act now" leaves a grid ten minutes for news
FAST_TRACK_FACTOR = 0.5  # assumption: a short form halves each office's handling minutes
STANDBY_SHARE = 0.3  # assumption: a call-out brings this share of willing residents
SHIFT_EXTENSION = 1.5  # assumption: "hold the shift" lengthens it by half


@dataclass(frozen=True)
class Role:
    """One role the scenario offers: ``key`` (``grid_manager:A-1``), its kind, and the grids
    it answers for (all of them for the command and the volunteer team)."""

    key: str
    kind: str
    grids: tuple[int, ...]

    @property
    def place(self) -> str:
        return self.key.partition(":")[2]


@dataclass(frozen=True)
class Choice:
    key: str
    apply: Callable[[GrassrootsModel, Role], None]
    offered: Callable[[GrassrootsModel, Role], bool] = lambda m, r: True


def resolve_role(model: GrassrootsModel, key: str) -> Role:
    """The role ``key`` names on this model's township; ValueError for an unknown one."""
    kind, _, place = key.partition(":")
    if kind not in ROLE_KINDS:
        raise ValueError(f"unknown role {key!r}; kinds: {', '.join(ROLE_KINDS)}")
    n_grids = model.township.n_grids
    labels = [model.grid_label(g) for g in range(n_grids)]
    if kind == "grid_manager":
        if place not in labels:
            raise ValueError(
                f"role {key!r}: no grid {place!r} (grids: {labels[0]}, {labels[1]}, ...)"
            )
        return Role(key, kind, (labels.index(place),))
    if kind == "party_secretary":
        grids = tuple(g for g in range(n_grids) if labels[g].partition("-")[0] == place)
        if not grids:
            raise ValueError(f"role {key!r}: no community {place!r} (A, B, ...)")
        return Role(key, kind, grids)
    return Role(kind, kind, tuple(range(n_grids)))


# --- the levers ------------------------------------------------------------------------


def _nothing(m: GrassrootsModel, role: Role) -> None:
    """The default policy: the model goes on as it would."""


def sweep(m: GrassrootsModel, grids: tuple[int, ...], minutes: float) -> int:
    """A door-to-door sweep of the grids: each need there not yet found is found by the
    sweep (a DETECT event by the grid manager's channel), evenly over the next ``minutes``,
    unless someone finds it first. Returns how many the sweep will find."""
    nd, now = m.needs, m.minute
    n = nd.n
    hidden = np.flatnonzero(
        (nd.state[:n] == CREATED) & np.isin(nd.grid[:n], grids) & (nd.created[:n] <= now)
    )
    k = len(hidden)
    if k:
        times = now + minutes * np.arange(1, k + 1) / k
        m.engine.push_each(times, DETECT, hidden, np.full(k, int(Channel.GRID_MANAGER)))
    return k


def _door_to_door(m: GrassrootsModel, role: Role) -> None:
    """The grid manager checks every household within the hour (``sweep``), and from then
    on patrols as a manager who knows the grid fully (``Place.familiarity``)."""
    sweep(m, role.grids, DOOR_TO_DOOR_MIN)
    g = list(role.grids)
    m.place.familiarity[g] = np.maximum(m.place.familiarity[g], DOOR_TO_DOOR_FAMILIARITY)


def _cadre_visits(m: GrassrootsModel, role: Role) -> None:
    """Community cadres walk the community's grids within two hours (``sweep``); each
    grid's familiarity goes halfway to 1."""
    sweep(m, role.grids, CADRE_VISITS_MIN)
    g = list(role.grids)
    m.place.familiarity[g] += CADRE_VISIT_GAIN * (1 - m.place.familiarity[g])


def _party_members(m: GrassrootsModel, role: Role) -> None:
    """The party members of the grids are called out (``organization.
    party_member_mobilization`` of them, again): free helpers in each grid's pool."""
    share = m.config.organization.party_member_mobilization
    for g in role.grids:
        m.engine.Q.party_free[g] += int(round(share * m.place.party_in_grid[g]))


def _command_now(m: GrassrootsModel, role: Role) -> None:
    """The front-line command convenes now instead of at ``command_convene_min``."""
    eng, now = m.engine, m.minute
    row = office_rows(m.township.n_grids, len(m.place.cohesion))[COMMAND]
    free = eng.Q.office_free[row]
    free[free > now] = np.minimum(free[free > now], now)
    eng.P[Par.COMMAND_ACTIVE] = now
    eng.command_active = now
    m.joint_committee.active_from = now
    eng.push(now, DECIDE_BATCH)  # what has gathered for the joint meeting is decided now


def _command_pending(m: GrassrootsModel, role: Role) -> bool:
    return (
        m.engine is not None
        and math.isfinite(m.engine.command_active)
        and m.minute < m.engine.command_active
    )


def _local_wait_long(m: GrassrootsModel, role: Role) -> bool:
    return m.engine.P[Par.LOCAL_WAIT] > LOCAL_WAIT_NOW_MIN


def _not_fast_tracked(m: GrassrootsModel, role: Role) -> bool:
    return bool(m.engine.Q.level_delay[0] >= m.config.reporting.grid_delay_min)


def _shift_as_planned(m: GrassrootsModel, role: Role) -> bool:
    return bool(m.engine.P[Par.SHIFT_MIN] <= m.config.organization.shift_hours * 60)


def _grid_not_known(m: GrassrootsModel, role: Role) -> bool:
    return bool((m.place.familiarity[list(role.grids)] < DOOR_TO_DOOR_FAMILIARITY).any())


def _act_locally(m: GrassrootsModel, role: Role) -> None:
    """Grids act on a found need without waiting for the chain's answer
    (``response.local_action_after_min`` shortened)."""
    m.engine.P[Par.LOCAL_WAIT] = min(m.engine.P[Par.LOCAL_WAIT], LOCAL_WAIT_NOW_MIN)


def _fast_track(m: GrassrootsModel, role: Role) -> None:
    """Reports pass every office on a short form: each office's handling minutes halve."""
    eng = m.engine
    eng.Q.office_delay[:] *= FAST_TRACK_FACTOR
    eng.Q.level_delay[:] *= FAST_TRACK_FACTOR


def _standby(m: GrassrootsModel, role: Role) -> None:
    """The team leader calls out the standby list: a share of the willing residents of
    every grid join its pool of helpers (``Loop.spont_free``) at once."""
    m.engine.Q.spont_free[:] += np.round(STANDBY_SHARE * m.place.willing).astype(np.int64)


def _hold_shift(m: GrassrootsModel, role: Role) -> None:
    """Responders stay on past their shift (``organization.shift_hours`` lengthened)."""
    m.engine.P[Par.SHIFT_MIN] *= SHIFT_EXTENSION


CHOICES: dict[str, tuple[Choice, ...]] = {
    "grid_manager": (
        Choice(DEFAULT, _nothing),
        Choice("door_to_door", _door_to_door, _grid_not_known),
        Choice("call_party_members", _party_members),
    ),
    "party_secretary": (
        Choice(DEFAULT, _nothing),
        Choice("call_party_members", _party_members),
        Choice("cadre_visits", _cadre_visits),
    ),
    "command": (
        Choice(DEFAULT, _nothing),
        Choice("convene_now", _command_now, _command_pending),
        Choice("act_locally", _act_locally, _local_wait_long),
        Choice("fast_track_reports", _fast_track, _not_fast_tracked),
    ),
    "volunteers": (
        Choice(DEFAULT, _nothing),
        Choice("call_standby", _standby),
        Choice("hold_shift", _hold_shift, _shift_as_planned),
    ),
}


def choices_for(model: GrassrootsModel, role: Role) -> list[str]:
    """The choices the role has now (the default first)."""
    if model.engine is None:
        return [DEFAULT]
    return [c.key for c in CHOICES[role.kind] if c.offered(model, role)]


def apply_choice(model: GrassrootsModel, role: Role, choice: str) -> None:
    """Pull the lever of ``choice``; ValueError if the role does not have it now."""
    if choice not in choices_for(model, role):
        raise ValueError(
            f"{role.key}: no choice {choice!r} now; choices: {', '.join(choices_for(model, role))}"
        )
    next(c for c in CHOICES[role.kind] if c.key == choice).apply(model, role)
