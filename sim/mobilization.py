"""Residents who respond in their own grid: party members and spontaneous volunteers.

The grid party organization (integrated_party structure) keeps a pool of mobilized party
members; neighbours step forward as spontaneous volunteers when their grid's first need is
found; a temporary party organization set up at an incident site mobilizes more of both.
Pooled helpers go at once, serve, escort evacuees to a shelter and walk back.
"""

from __future__ import annotations

import math

import numpy as np

from .agents import TemporaryPartyOrganization
from .needs import DETECTED, DISPATCHED, GENERAL, REPORTED, SKILL_OF_TYPE

PARTY_POOL, SPONTANEOUS_POOL = 0, 1


class ResidentPools:
    """Pools of helpers per grid; mixed into ``Response``, whose event queue, generator,
    service and resolution they use."""

    def init_pools(self, start_min: float) -> None:
        m, cfg = self.m, self.cfg
        n_grids = m.township.n_grids
        self.n_party_responses = 0
        self.n_spontaneous_responses = 0
        self.pool_minutes = 0.0
        self.temp_orgs: dict[int, TemporaryPartyOrganization] = {}
        self.party_free = np.zeros(n_grids, dtype=np.int64)
        self.spont_free = np.zeros(n_grids, dtype=np.int64)
        self.spont_opened = np.zeros(n_grids, dtype=bool)
        self.temp_org_at = np.zeros(n_grids, dtype=bool)  # grids in temp_orgs
        # In peace (routine cases) party members are on hand at once.
        self.party_active_from = -math.inf if self.peace \
            else start_min + cfg.organization.cadre_switch_min
        if cfg.organization.structure == "integrated_party":
            for gpo in m.grid_party_orgs:
                self.party_free[gpo.grid] = gpo.mobilized
        res = m.residents
        willing = (res.willingness > cfg.volunteers.willing_threshold) & ~res.vulnerable
        self.willing = np.bincount(res.grid, weights=willing, minlength=n_grids)

    def _open_spontaneous(self, g: int) -> None:
        """Neighbours see the first need of their grid: willing residents step forward (not
        for the routine cases of peacetime)."""
        if self.spont_opened[g] or self.peace:
            return
        self.spont_opened[g] = True
        vol = self.cfg.volunteers
        boost = vol.mutual_aid_factor if self.cfg.organization.mutual_aid else 1.0
        self.spont_free[g] += int(self.rng.binomial(int(self.willing[g]),
                                                    min(1.0, vol.spontaneous_share * boost)))

    def _pool_arrive(self, t: float, pool: int, g: int, i: int) -> None:
        needs = self.m.needs
        if needs.state[i] == DISPATCHED:
            self._start_service(t, i)
            factor = self.cfg.response.skill_mismatch_factor \
                if SKILL_OF_TYPE[needs.kind[i]] != GENERAL else 1.0
            minutes = needs.effort[i] * factor + self._escort(i)[0]
            self.pool_minutes += minutes
            self.q.at(t + minutes, self._pool_done, pool, g, i)
        else:
            self.q.at(t + self.cfg.response.duplicate_visit_min, self._pool_free, pool, g)

    def _pool_done(self, t: float, pool: int, g: int, i: int) -> None:
        self._resolve(t, i)
        if pool == PARTY_POOL:
            self.n_party_responses += 1
        else:
            self.n_spontaneous_responses += 1
        back = self._escort(i)[0]  # after an escort, the helper walks back to the grid
        if back > 0:
            self.pool_minutes += back
            self.q.at(t + back, self._pool_free, pool, g)
        else:
            self._pool_free(t, pool, g)

    def _pool_free(self, t: float, pool: int, g: int) -> None:
        if pool == PARTY_POOL:
            self.party_free[g] += 1
        else:
            self.spont_free[g] += 1

    # --- temporary party organizations ---------------------------------------------------

    def setup_temporary_orgs(self, t: float) -> None:
        """Incident sites (grids with several unmet needs) get a temporary party organization,
        which mobilizes more party members and spontaneous volunteers there."""
        if not self.cfg.organization.temporary_party_orgs:
            return
        needs, m = self.m.needs, self.m
        n = needs.n
        st = needs.state[:n]
        open_ = (st >= DETECTED) & (st <= DISPATCHED)  # the states DETECTED..DISPATCHED
        counts = np.bincount(needs.grid[:n][open_], minlength=m.township.n_grids)
        for g in np.flatnonzero(counts >= self.cfg.response.temp_org_min_needs):
            g = int(g)
            if g not in self.temp_orgs:
                self.open_site(g, t)

    def open_site(self, g: int, t: float) -> None:
        """A temporary party organization is set up in grid g at minute t."""
        m, resp = self.m, self.cfg.response
        org = TemporaryPartyOrganization(m, node=g, community=int(
            m.township.grid_community[g]), grid=g, created_min=t)
        self.temp_orgs[g] = org
        self.temp_org_at[g] = True
        party_here = int(np.count_nonzero(m.residents.party_member[
            m.residents.grid_start[g]: m.residents.grid_start[g] + m.residents.grid_size[g]]))
        extra_party = int(self.rng.binomial(party_here, resp.temp_org_party_share))
        extra_spont = int(self.rng.binomial(int(self.willing[g]),
                                            self.cfg.volunteers.spontaneous_share))
        org.members = extra_party
        self._open_spontaneous(g)
        self.party_free[g] += extra_party
        self.spont_free[g] += extra_spont
