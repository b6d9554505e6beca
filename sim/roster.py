"""The wartime roster: every dispatchable responder's state as arrays, for fast dispatch."""

from __future__ import annotations

import numpy as np

from enum import IntEnum

from .agents import IDLE, RESTING, Responder


class Role(IntEnum):
    """A responder's place in the organization; array code in ``Roster.role``
    (``Responder.role_code``)."""

    COMMUNITY_CADRE = 0
    TOWNSHIP_CADRE = 1
    ORGAN_CADRE = 2
    VOLUNTEER = 3
    UNIT_STAFF = 4


# Plain ints: a numpy scalar compares with an int much faster than with an IntEnum member.
COMMUNITY_CADRE, TOWNSHIP_CADRE, ORGAN_CADRE, VOLUNTEER, UNIT_STAFF = map(int, Role)


class Roster:
    """Arrays indexed by roster position; ``agents[i]`` is the Mesa agent behind entry i."""

    def __init__(self, agents: list[Responder], *, n_communities: int, redeployable: bool,
                 coordinated: bool):
        self.agents = agents
        for i, a in enumerate(agents):
            a.idx = i
        n = len(agents)
        self.n = n
        self.role = np.array([a.role_code for a in agents], dtype=np.int64)
        self.community = np.array([a.community for a in agents], dtype=np.int64)
        self.skill = np.array([a.skill for a in agents], dtype=np.int64)
        self.skill_level = np.array([a.skill_level for a in agents], dtype=float)
        self.line = np.array([a.line for a in agents], dtype=np.int64)
        self.initiative = np.array([a.initiative for a in agents], dtype=float)
        self.node = np.array([a.home_node for a in agents], dtype=np.int64)
        self.status = np.full(n, IDLE, dtype=np.int64)
        self.active_from = np.full(n, np.inf)
        self.need = np.full(n, -1, dtype=np.int64)
        self.busy_min = np.zeros(n)
        self.busy_since = np.zeros(n)
        self.shift_min = np.zeros(n)
        self.served = np.zeros(n, dtype=np.int64)
        self.served_since_eval = np.zeros(n, dtype=np.int64)
        self.is_cadre = self.role <= ORGAN_CADRE
        # Who the command can send anywhere: redeployable township cadres and coordinated
        # volunteers. Everyone else serves only their own community.
        self.anywhere = ((self.role == TOWNSHIP_CADRE) & redeployable) | \
            ((self.role == VOLUNTEER) & coordinated)
        # Self-directed volunteers are not dispatched by anyone: they pick needs they see.
        self.self_directed = (self.role == VOLUNTEER) & (not coordinated)
        self.dispatchable = ~self.self_directed
        # Index arrays so that a need looks at its community's people, not the whole roster.
        n_comm = n_communities
        order = np.argsort(self.community, kind="stable")
        bounds = np.searchsorted(self.community[order], np.arange(n_comm + 1))
        self.in_community = [order[bounds[c]:bounds[c + 1]] for c in range(n_comm)]
        self.fixed_in_community = [ix[~self.anywhere[ix]] for ix in self.in_community]
        self.cadres_in_community = [ix[self.is_cadre[ix]] for ix in self.in_community]
        self.anywhere_idx = np.flatnonzero(self.anywhere & self.dispatchable)
        self.any_self_directed = bool(self.self_directed.any())

    def candidates(self, t: float, community: int, line: int) -> np.ndarray:
        """Indices of responders the deciding unit may send now to a need in `community`:
        those of the community, and those who may go anywhere."""
        idx = np.concatenate([self.fixed_in_community[community], self.anywhere_idx])
        ok = (self.status[idx] == IDLE) & (self.active_from[idx] <= t) & self.dispatchable[idx]
        if line >= 0:
            ok &= (self.line[idx] < 0) | (self.line[idx] == line)
        return idx[ok]

    def in_community_now(self, t: float, community: int, line: int) -> np.ndarray:
        """Indices of idle, active responders of `community` itself (its cadres, the township
        cadres assigned to it, its registered organ cadres, volunteers and unit staff), who
        hear of its needs from the grid managers; `line` as in ``candidates``."""
        idx = self.in_community[community]
        ok = (self.status[idx] == IDLE) & (self.active_from[idx] <= t) & self.dispatchable[idx]
        if line >= 0:
            ok &= (self.line[idx] < 0) | (self.line[idx] == line)
        return idx[ok]

    def busy_count(self) -> int:
        return int(np.count_nonzero((self.status != IDLE) & (self.status != RESTING)))
