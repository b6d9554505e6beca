"""The roster: every responder's traits and state as arrays, which the engine works on.

Responders are Mesa agents (``sim/agents.py``) whose attributes read these arrays. Index
lists per community (compressed rows: ``ptr[c]:ptr[c + 1]`` into ``idx``) let a need look at
its community's people, not the whole roster; responders who may serve anywhere wait, when
idle, in a list per community they are in (``any_*``), searched nearest first.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

from .codes import IDLE, ORGAN_CADRE, RESTING, SENT_DOWN_CADRE, TOWNSHIP_CADRE, VOLUNTEER, Skill
from .jit import table

TRAITS = {
    "role": np.int64,
    "community": np.int64,
    "home_node": np.int64,
    "skill": np.int64,
    "skill_level": float,
    "line": np.int64,
    "professional": np.bool_,
    "first_secretary": np.bool_,
}


@table
class Roster(NamedTuple):
    role: np.ndarray  # sim.codes.Role
    community: np.ndarray  # home (or assigned) community
    home_node: np.ndarray
    skill: np.ndarray  # sim.codes.Skill
    skill_level: np.ndarray
    line: np.ndarray  # siloed structure: the responder's line (-1: all)
    professional: np.ndarray
    first_secretary: np.ndarray
    is_cadre: np.ndarray
    trained: np.ndarray  # reached by rotation training
    registered: np.ndarray  # organ cadre registered with its residential community
    joined: np.ndarray  # on the team (volunteers recruited in peacetime join later)
    on_roster: np.ndarray  # called up in this emergency
    initiative: np.ndarray
    anywhere: np.ndarray  # the command may send them to any community
    self_directed: np.ndarray  # volunteers who pick needs they see
    dispatchable: np.ndarray
    status: np.ndarray  # sim.codes.Status
    active_from: np.ndarray
    need: np.ndarray
    node: np.ndarray
    busy_min: np.ndarray
    busy_since: np.ndarray
    shift_min: np.ndarray
    served: np.ndarray
    served_since_eval: np.ndarray
    cadre_ptr: np.ndarray  # cadres by community
    cadre_idx: np.ndarray
    fixed_ptr: np.ndarray  # dispatchable responders who serve only their community
    fixed_idx: np.ndarray
    comm_ptr: np.ndarray  # everyone by community
    comm_idx: np.ndarray
    disp_ptr: np.ndarray  # dispatchable responders by community
    disp_idx: np.ndarray
    any_head: np.ndarray  # idle anywhere-responders by the community they are in and skill
    any_count: np.ndarray  # how many there are of each skill
    any_next: np.ndarray
    any_prev: np.ndarray
    any_bucket: np.ndarray

    @property
    def n(self) -> int:
        return len(self.role)

    def busy_count(self) -> int:
        return int(np.count_nonzero((self.status != IDLE) & (self.status != RESTING)))


def is_cadre(role: np.ndarray) -> np.ndarray:
    """Community, township, organ and sent-down cadres (not volunteers or unit staff)."""
    return (role <= ORGAN_CADRE) | (role == SENT_DOWN_CADRE)


def make_roster(traits: dict[str, Any], n_communities: int) -> Roster:
    """A roster of responders with these traits (lists as long as the roster), not yet on
    duty: ``call_up`` makes it ready for dispatch."""
    cols: dict[str, np.ndarray] = {
        k: np.array(traits[k], dtype=dtype) for k, dtype in TRAITS.items()
    }
    n = len(cols["role"])
    zeros = np.zeros(n, dtype=np.int64)
    empty = np.zeros(0, dtype=np.int64)
    ptr = np.zeros(n_communities + 1, dtype=np.int64)
    return Roster(
        **cols,
        is_cadre=is_cadre(cols["role"]),
        trained=np.zeros(n, np.bool_),
        registered=np.zeros(n, np.bool_),
        joined=np.ones(n, np.bool_),
        on_roster=np.zeros(n, np.bool_),
        initiative=np.zeros(n),
        anywhere=np.zeros(n, np.bool_),
        self_directed=np.zeros(n, np.bool_),
        dispatchable=np.zeros(n, np.bool_),
        status=zeros.copy(),
        active_from=np.full(n, np.inf),
        need=zeros - 1,
        node=cols["home_node"].copy(),
        busy_min=np.zeros(n),
        busy_since=np.zeros(n),
        shift_min=np.zeros(n),
        served=zeros.copy(),
        served_since_eval=zeros.copy(),
        cadre_ptr=ptr,
        cadre_idx=empty,
        fixed_ptr=ptr,
        fixed_idx=empty,
        comm_ptr=ptr,
        comm_idx=empty,
        disp_ptr=ptr,
        disp_idx=empty,
        any_head=np.full((n_communities, len(Skill)), -1, dtype=np.int64),
        any_count=np.zeros(len(Skill), dtype=np.int64),
        any_next=zeros - 1,
        any_prev=zeros - 1,
        any_bucket=zeros - 1,
    )


def call_up(ro: Roster, members: np.ndarray, *, redeployable: bool, coordinated: bool) -> Roster:
    """The roster ready for dispatch with `members` (a mask) on it: who may go anywhere
    (redeployable township cadres, coordinated volunteers), who directs themselves
    (uncoordinated volunteers) and the index lists."""
    ro.on_roster[:] = members
    ro.anywhere[:] = members & (
        ((ro.role == TOWNSHIP_CADRE) & redeployable) | ((ro.role == VOLUNTEER) & coordinated)
    )
    ro.self_directed[:] = members & (ro.role == VOLUNTEER) & (not coordinated)
    ro.dispatchable[:] = members & ~ro.self_directed

    ro = ro._replace(
        **dict(
            zip(
                (
                    "cadre_ptr",
                    "cadre_idx",
                    "fixed_ptr",
                    "fixed_idx",
                    "comm_ptr",
                    "comm_idx",
                    "disp_ptr",
                    "disp_idx",
                ),
                (
                    *by_community(ro, members & ro.is_cadre),
                    *by_community(ro, ro.dispatchable & ~ro.anywhere),
                    *by_community(ro, members),
                    *by_community(ro, ro.dispatchable),
                ),
            )
        )
    )
    ro.any_head[:] = -1  # the engine fills these lists (sim/engine/dispatch.py)
    ro.any_bucket[:] = -1
    ro.any_count[:] = 0
    return ro


def by_community(ro: Roster, mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The responders of `mask` listed by community: (ptr, idx), community c's responders
    being idx[ptr[c]:ptr[c + 1]] in roster order."""
    idx = np.flatnonzero(mask)
    idx = idx[np.argsort(ro.community[idx], kind="stable")]
    ptr = np.searchsorted(ro.community[idx], np.arange(len(ro.any_head) + 1)).astype(np.int64)
    return ptr, idx.astype(np.int64)
