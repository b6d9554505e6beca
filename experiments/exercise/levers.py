"""The roles of an exercise and the choices each role has: every choice is a lever on the
running model (a field of ``GrassrootsModel`` or of its engine), pulled from the moment it
is taken; a lever that changes a setting once (fast-tracking reports, say) is offered until
it is pulled. The first choice of each role is the model's default policy: it changes nothing.

Roles are named ``kind`` or ``kind:place``: ``grid_manager:A-1`` (a grid, by its label),
``party_secretary:A`` (a community, by its letter), ``command`` (the front-line command's
duty officer: reports, hotline, the command itself) and ``volunteers`` (the volunteer team
leader). No lever draws from the model's random streams: a lever is a function of the
model's state (and, for the needs a preventive evacuation creates, of a stream of its own
seeded by the run's seed and the step), so that a run with the same decisions at the same
steps is the same run, and a decision left out changes no other draw (common random numbers).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from sim import GrassrootsModel
from sim.codes import COMMAND, CREATED, DECIDE_BATCH, DETECT, TOWNSHIP_CADRE, Channel
from sim.engine import Par, office_rows
from sim.engine.dispatch import fill_buckets
from sim.hazards.base import make_needs
from sim.jit import call, entry
from sim.needs import N_COUNT, new_need
from sim.registry import need_code
from sim.rng import stream, uniform
from sim.roster import by_community

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
# assumption: a preventive evacuation of a low-lying grid takes this share of its residents
# out of the water's way, so the flood's needs there fall by it from then on; residents leave
# on their own, but each household with a vulnerable member needs an escort (an evacuation
# need, found at once: the cadres know who they are)
EVACUATED_SHARE = 0.7
LEVER_ENTROPY = 0x5EC0  # the levers' own random stream: SeedSequence((this, seed, step))


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


def _flood(m: GrassrootsModel) -> Any:
    """The run's flood while its water can still rise or stand (None otherwise)."""
    for hz in m.hazards:
        if hz.name == "flood" and not hz.ended and m.minute < hz.end:
            return hz
    return None


def _unevacuated(m: GrassrootsModel, role: Role) -> list[int]:
    """The role's low-lying grids not yet evacuated (their flood rate still the full one)."""
    flood = _flood(m)
    if flood is None:
        return []
    full = flood.p.needs_per_1000_per_hour
    return [g for g in role.grids if m.township.lowlying[g] and flood.rate[g] >= full]


def _can_evacuate(m: GrassrootsModel, role: Role) -> bool:
    return bool(_unevacuated(m, role))


@entry
def escort_needs(N, res, S, grids, t, kind, hazard, low, high):
    """One evacuation need at minute t per household with a vulnerable member in `grids`
    (its first vulnerable resident; severity uniform in [low, high]); 0, or the room the
    need table lacks (before any need is made)."""
    total = 0
    for g in grids:
        last = -1
        for r in range(res.grid_start[g], res.grid_start[g] + res.grid_size[g]):
            if res.vulnerable[r] and res.household[r] != last:
                last = res.household[r]
                total += 1
    if total > len(N.state) - N.meta[0]:
        return total
    for g in grids:
        last = -1
        for r in range(res.grid_start[g], res.grid_start[g] + res.grid_size[g]):
            if res.vulnerable[r] and res.household[r] != last:
                last = res.household[r]
                new_need(N, res, S, t, g, kind, hazard, uniform(S, low, high), r)
    return 0


def _evacuate(m: GrassrootsModel, role: Role) -> None:
    """Evacuate the role's low-lying grids now: from now on the flood makes EVACUATED_SHARE
    fewer needs there (``Flood.rate``), and every household with a vulnerable member needs
    an escort to the nearest shelter now (evacuation needs, found at once). The other choice
    is to wait: no escorts now, the flood's needs as they come."""
    grids = np.array(_unevacuated(m, role), dtype=np.int64)
    flood, eng, now = _flood(m), m.engine, m.minute
    S = stream(np.random.SeedSequence((LEVER_ENTROPY, m.seed, m.step_count)))
    first = eng.N.n
    make_needs(
        eng,
        m.residents,
        S,
        escort_needs,
        grids,
        now,
        need_code("evacuation"),
        flood.code,
        flood.p.other_severity_low,
        flood.p.other_severity_high,
    )
    made = np.arange(first, int(eng.N.meta[N_COUNT]), dtype=np.int64)
    eng.push_each(
        np.full(len(made), now), DETECT, made, np.full(len(made), int(Channel.GRID_MANAGER))
    )
    flood.rate[grids] *= 1.0 - EVACUATED_SHARE


def _cadres_fixed(m: GrassrootsModel, role: Role) -> bool:
    R = m.engine.R
    return bool((R.on_roster & (R.role == TOWNSHIP_CADRE) & ~R.anywhere).any())


def _redeploy(m: GrassrootsModel, role: Role) -> None:
    """The township cadres on duty, fixed to their assigned communities until now
    (``organization.dynamic_redeployment`` off), may be sent by need to any community:
    the dispatcher's lists are rebuilt as ``sim.roster.call_up`` builds them."""
    eng = m.engine
    R = eng.R
    R.anywhere[R.on_roster & (R.role == TOWNSHIP_CADRE)] = True
    fixed_ptr, fixed_idx = by_community(R, R.dispatchable & ~R.anywhere)
    eng.R = m.roster = R._replace(fixed_ptr=fixed_ptr, fixed_idx=fixed_idx)
    call(fill_buckets, eng.R, eng.W)


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
        Choice("evacuate_now", _evacuate, _can_evacuate),
    ),
    "command": (
        Choice(DEFAULT, _nothing),
        Choice("convene_now", _command_now, _command_pending),
        Choice("act_locally", _act_locally, _local_wait_long),
        Choice("fast_track_reports", _fast_track, _not_fast_tracked),
        Choice("evacuate_now", _evacuate, _can_evacuate),
        Choice("redeploy_cadres", _redeploy, _cadres_fixed),
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
