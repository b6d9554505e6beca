"""Wartime response: first responders, the reporting chain, dispatch and service.

A detected need may first be met locally (party members mobilized by the grid party
organization, spontaneous volunteers, a cadre acting on initiative); its report meanwhile
travels the reporting mechanism's chain of queues to the unit that decides, which dispatches
by priority, skill match and travel time. Responders act on events: dispatched, arrived,
done, shift over.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from .agents import IDLE, RESTING, SERVING, TRAVELLING, ReportQueue, TemporaryPartyOrganization
from .events import EventQueue
from .needs import (CREATED, DETECTED, DISPATCHED, GENERAL, LOGISTICS, REPORTED, RESOLVED,
                    TYPE_NAMES, TYPE_SKILL)
from .needs import SERVING as NEED_SERVING
from .residents import MET

if TYPE_CHECKING:
    from .world import World

PARTY_POOL, SPONTANEOUS_POOL = 0, 1
TEMP_ORG_MIN_NEEDS = 3  # unmet needs in a grid that make it an incident site (assumption)


class Response:
    """Everything between a need's detection and its resolution."""

    def __init__(self, model: World, t_war: float, peace: bool = False) -> None:
        self.m = model
        cfg = model.config
        # Peace mode (routine cases, sim/routine.py): offices are open from the start, no
        # front-line command convenes, no one volunteers spontaneously.
        self.peace = peace
        self.cfg = cfg
        self.rng = model.rng
        self.q = EventQueue()
        self.q.now = t_war
        self.t_war = t_war
        rep, org = cfg.reporting, cfg.organization
        self.mechanism = rep.mechanism
        self.siloed = org.structure == "siloed"
        tw = model.township
        self.grid_queue = [ReportQueue(1, rep.grid_delay_min) for _ in range(tw.n_grids)]
        self.community_queue = [ReportQueue(rep.community_handlers, rep.community_delay_min)
                                for _ in range(tw.n_communities)]
        self.township_queue = ReportQueue(rep.township_handlers, rep.township_delay_min,
                                          opens_at=-math.inf if peace
                                          else t_war + org.cadre_switch_min)
        self.command_active = t_war + org.command_convene_min \
            if org.front_line_command and not peace else math.inf
        model.joint_committee.active_from = self.command_active
        self.command_queue = ReportQueue(rep.command_handlers, rep.command_delay_min,
                                         opens_at=self.command_active)
        self.pending: list[int] = []
        self.local_pending: dict[int, list[int]] = {}
        self.inbox: list[int] = []
        self.known: list[int] = []  # detected needs, compacted to the unmet ones each step
        self.shelters = np.array(tw.shelter_nodes, dtype=np.int64)
        self.n_sheltered = 0.0  # residents escorted to a shelter
        self.n_duplicates = 0
        self.n_lost_reports = 0
        self.n_handoffs = 0
        # Every trip: (responder, need, from node, sent minute, arrival minute).
        self.trips: list[tuple[int, int, int, float, float]] = []
        self.n_initiative = 0
        self.n_party_responses = 0
        self.n_spontaneous_responses = 0
        self.pool_minutes = 0.0
        self.temp_orgs: dict[int, TemporaryPartyOrganization] = {}
        # Pools of residents who respond in their own grid (counts per grid).
        self.party_free = np.zeros(tw.n_grids, dtype=np.int64)
        self.spont_free = np.zeros(tw.n_grids, dtype=np.int64)
        self.spont_opened = np.zeros(tw.n_grids, dtype=bool)
        self.party_active_from = -math.inf if peace else t_war + org.cadre_switch_min
        if org.structure == "integrated_party":
            for gpo in model.grid_party_orgs:
                self.party_free[gpo.grid] = gpo.mobilized
        res = model.residents
        willing = (res.willingness > 0.5) & ~res.vulnerable
        self.willing = np.bincount(res.grid, weights=willing, minlength=tw.n_grids)
        if self.mechanism == "joint_meeting":
            end = 0.0 if peace else min(self.command_active, t_war + cfg.time.war_hours * 60)
            t = t_war + rep.joint_meeting_interval_min
            while t < end:
                self.q.at(t, self._joint_meeting)
                t += rep.joint_meeting_interval_min
        if math.isfinite(self.command_active):
            self.q.at(self.command_active, self._command_convened)

    # --- mode switch -------------------------------------------------------------------

    def activate(self, r: int, t: float) -> None:
        """Responder r switches to wartime mode at minute t."""
        self.m.roster.active_from[r] = t
        self.q.at(t, self._pick, r)

    # --- detection and first response ------------------------------------------------------

    def detected(self, t: float, i: int, channel: int) -> None:
        needs = self.m.needs
        if needs.state[i] != CREATED:
            return
        needs.state[i] = DETECTED
        needs.detected[i] = t
        needs.channel[i] = channel
        self.known.append(i)
        self.m.residents.need_state[needs.resident[i]] = 1
        self._first_response(t, i)
        if self.siloed:  # the detecting line may not own the need: hand it over
            lines = self.cfg.organization.siloed_lines
            if self.rng.random() < (lines - 1) / lines:
                self.n_handoffs += 1
                self.q.at(t + self.cfg.organization.handoff_delay_min, self._send_event, i, 0)
                return
        self._send(t, i, 0)

    def _first_response(self, t: float, i: int) -> None:
        needs, m = self.m.needs, self.m
        g = int(needs.grid[i])
        skill = TYPE_SKILL[needs.kind[i]]
        local = self.cfg.space.local_travel_min
        if skill == GENERAL and self.party_free[g] > 0 \
                and t >= self.party_active_from:
            self.party_free[g] -= 1
            arrive = t + self.cfg.reporting.grid_delay_min + local
            self._mark_dispatched(i, t)
            self.q.at(arrive, self._pool_arrive, PARTY_POOL, g, i)
            return
        # Cadre initiative: an idle cadre nearby acts before approval arrives.
        ro = m.roster
        c = int(m.township.grid_community[g])
        idx = ro.cadres_in_community[c]
        idx = idx[(ro.status[idx] == IDLE) & (ro.active_from[idx] <= t)]
        if len(idx):
            r = int(idx[np.argmin(m.township.travel[ro.node[idx], g])])
            if self.rng.random() < ro.initiative[r]:
                self.n_initiative += 1
                self._dispatch(r, i, t)
                return
        if skill == GENERAL:
            self._open_spontaneous(g)
            if self.spont_free[g] > 0:
                self.spont_free[g] -= 1
                self._mark_dispatched(i, t)
                self.q.at(t + local, self._pool_arrive, SPONTANEOUS_POOL, g, i)
                return
        self._self_directed_volunteers(t, c)

    def _open_spontaneous(self, g: int) -> None:
        """Neighbours see the first need of their grid: willing residents step forward."""
        if self.spont_opened[g] or self.peace:
            return
        self.spont_opened[g] = True
        share = self.cfg.volunteers.spontaneous_share
        boost = 1.5 if self.cfg.organization.mutual_aid else 1.0
        self.spont_free[g] += int(self.rng.binomial(int(self.willing[g]),
                                                    min(1.0, share * boost)))

    def _self_directed_volunteers(self, t: float, c: int) -> None:
        ro = self.m.roster
        if not ro.any_self_directed:
            return
        idx = ro.in_community[c]
        idle = idx[ro.self_directed[idx] & (ro.status[idx] == IDLE) &
                   (ro.active_from[idx] <= t)]
        if len(idle):
            self._pick(t, int(self.rng.choice(idle)))

    # --- reporting chain ---------------------------------------------------------------

    def _route(self, stage: int, t: float) -> ReportQueue | None:
        """The queue of hop `stage` for the mechanism (None: the report has arrived)."""
        mech = self.mechanism
        if mech == "hierarchical":
            return None if stage > 2 else ("grid", "community", "township")[stage]
        if mech == "grid_autonomy":
            return "grid" if stage == 0 else None
        if stage == 0:
            return "grid"
        if stage == 1:
            if t >= self.command_active:
                return "command"
            return "township" if mech == "direct" else None
        return None

    def _send(self, t: float, i: int, stage: int) -> None:
        """The report of need i enters hop `stage` at minute t."""
        level = self._route(stage, t)
        if level is None:
            self._decide(t, i)
            return
        if stage > 0 and self.rng.random() < self.cfg.reporting.loss_per_level:
            self.n_lost_reports += 1  # lost on the way up: re-sent later
            self.q.at(t + self.cfg.reporting.resend_after_min, self._send_event, i, stage)
            return
        queue = self._queue(level, i)
        self.q.at(queue.admit(t), self._send_event, i, stage + 1)

    def _send_event(self, t: float, i: int, stage: int) -> None:
        self._send(t, i, stage)

    def _queue(self, level: str, i: int) -> ReportQueue:
        g = int(self.m.needs.grid[i])
        if level == "grid":
            self.m.grid_managers[g].reports += 1
            return self.grid_queue[g]
        if level == "community":
            return self.community_queue[int(self.m.township.grid_community[g])]
        return self.township_queue if level == "township" else self.command_queue

    def _decide(self, t: float, i: int) -> None:
        """The report reaches the unit that decides."""
        needs = self.m.needs
        if math.isnan(needs.reported[i]):
            needs.reported[i] = t
        state = needs.state[i]
        if state != DETECTED:
            if state in (DISPATCHED, NEED_SERVING) and not self._notices_duplicate():
                self._assign(i, t)  # a duplicated dispatch
            return
        needs.state[i] = REPORTED
        if self.mechanism == "grid_autonomy":
            c = int(self.m.township.grid_community[needs.grid[i]])
            if not self._assign(i, t, local_community=c):
                self.local_pending.setdefault(c, []).append(i)
                self.q.at(t + self.cfg.reporting.autonomy_escalate_min, self._escalate, i)
            return
        if self.mechanism == "joint_meeting" and t < self.command_active:
            self.inbox.append(i)  # decided at the next joint meeting
            return
        if not self._assign(i, t):
            self.pending.append(i)

    def _notices_duplicate(self) -> bool:
        if self.mechanism in ("joint_meeting", "grid_autonomy"):
            return True  # all units decide together / the grid decided itself
        return self.rng.random() < self.cfg.reporting.duplicate_check

    def _escalate(self, t: float, i: int) -> None:
        needs = self.m.needs
        if needs.state[i] != REPORTED:
            return
        # Escalated to the front-line command (or township office) in one hop.
        level = "command" if t >= self.command_active else "township"
        queue = self._queue(level, i)
        self.q.at(queue.admit(t), self._escalation_arrives, i)

    def _escalation_arrives(self, t: float, i: int) -> None:
        if self.m.needs.state[i] == REPORTED and not self._assign(i, t):
            self.pending.append(i)

    def _joint_meeting(self, t: float) -> None:
        self._decide_batch(t)

    def _command_convened(self, t: float) -> None:
        self.m.joint_committee.mode = "war"
        self._decide_batch(t)

    def _decide_batch(self, t: float) -> None:
        """All gathered reports decided together: most urgent first, no duplicates."""
        if not self.inbox:
            return
        ids = np.array(self.inbox)
        self.inbox = []
        for i in ids[np.argsort(-self._priority(ids, t), kind="stable")]:
            if self.m.needs.state[i] == REPORTED and not self._assign(int(i), t):
                self.pending.append(int(i))

    # --- dispatch ----------------------------------------------------------------------

    def _priority(self, ids: np.ndarray, t: float) -> np.ndarray:
        needs = self.m.needs
        rate = self.cfg.response.deterioration_per_hour
        sev = np.minimum(1.0, needs.severity0[ids] + rate * (t - needs.created[ids]) / 60.0)
        return sev * needs.weight[ids]

    def _assign(self, i: int, t: float, local_community: int = -1) -> bool:
        """Send the best available responder to need i; False if none can go."""
        m, needs, ro = self.m, self.m.needs, self.m.roster
        g = int(needs.grid[i])
        c = int(m.township.grid_community[g])
        line = int(needs.line[i]) if self.siloed else -1
        idx = ro.candidates(t, c, line)
        if local_community >= 0:  # grid autonomy: only resources in the community
            idx = idx[m.township.node_community[ro.node[idx]] == local_community]
        if len(idx) == 0:
            return False
        travel = m.township.travel[ro.node[idx], g]
        skill = TYPE_SKILL[needs.kind[i]]
        mismatch = (ro.skill[idx] != skill) & (skill != GENERAL)
        score = travel + mismatch * (self.cfg.response.skill_mismatch_factor - 1.0) * \
            needs.effort[i]
        if not np.isfinite(score).any():
            return False
        self._dispatch(int(idx[np.argmin(score)]), i, t)
        return True

    def _mark_dispatched(self, i: int, t: float) -> None:
        needs = self.m.needs
        needs.n_dispatches[i] += 1
        if needs.n_dispatches[i] > 1:
            self.n_duplicates += 1
        if needs.state[i] in (CREATED, DETECTED, REPORTED):
            needs.state[i] = DISPATCHED
            needs.dispatched[i] = t

    def _dispatch(self, r: int, i: int, t: float) -> None:
        m, ro = self.m, self.m.roster
        g = int(m.needs.grid[i])
        self._mark_dispatched(i, t)
        ro.status[r] = TRAVELLING
        ro.need[r] = i
        ro.busy_since[r] = t
        arrive = t + m.township.travel[ro.node[r], g] + self.cfg.space.local_travel_min
        self.trips.append((r, i, int(ro.node[r]), t, arrive))
        self.q.at(arrive, self._arrive, r, i)

    def _arrive(self, t: float, r: int, i: int) -> None:
        m, needs, ro = self.m, self.m.needs, self.m.roster
        g = int(needs.grid[i])
        ro.node[r] = g
        if needs.state[i] == DISPATCHED:
            self._start_service(t, i)
            ro.status[r] = SERVING
            escort, _ = self._escort(i)
            self.q.at(t + self._service_min(r, i) + escort, self._done, r, i)
            return
        # Needless trip: a temporary party organization on site redirects the responder.
        other = self._unmet_here(g) if g in self.temp_orgs else -1
        if other >= 0:
            spent = t - ro.busy_since[r]  # the wasted trip still counts as work
            ro.busy_min[r] += spent
            ro.shift_min[r] += spent
            self._dispatch(r, other, t)
            return
        self.q.at(t + self.cfg.response.duplicate_visit_min, self._became_free, r)

    def _unmet_here(self, g: int) -> int:
        needs = self.m.needs
        known = np.asarray(self.known, dtype=np.int64)
        cand = known[(needs.grid[known] == g) &
                     ((needs.state[known] == DETECTED) | (needs.state[known] == REPORTED))]
        return int(cand.min()) if len(cand) else -1

    def compact_known(self) -> None:
        """Keep only unmet needs in the list of known needs (once a step)."""
        known = np.asarray(self.known, dtype=np.int64)
        self.known = known[self.m.needs.state[known] <= DISPATCHED].tolist()

    def _start_service(self, t: float, i: int) -> None:
        needs = self.m.needs
        needs.state[i] = NEED_SERVING
        needs.reached[i] = t

    def _escort(self, i: int) -> tuple[float, int]:
        """An evacuation ends at the nearest shelter: the escort's minutes, and the shelter
        (-1 where the township has none: evacuees go to safe ground in the grid)."""
        if TYPE_NAMES[self.m.needs.kind[i]] != "evacuation" or len(self.shelters) == 0:
            return 0.0, -1
        minutes = self.m.township.travel[int(self.m.needs.grid[i]), self.shelters]
        k = int(np.argmin(minutes))
        return float(minutes[k]), int(self.shelters[k])

    def _service_min(self, r: int, i: int) -> float:
        m, needs, ro, resp = self.m, self.m.needs, self.m.roster, self.cfg.response
        skill = TYPE_SKILL[needs.kind[i]]
        factor = 1.0 - resp.skill_effort_gain * ro.skill_level[r]
        if skill != GENERAL and ro.skill[r] != skill:
            factor *= resp.skill_mismatch_factor
        if ro.role[r] == 0:  # community cadres: a cohesive team works faster
            factor *= 1.0 - resp.cohesion_effort_gain * \
                m.community_orgs[int(ro.community[r])].cohesion
        return float(needs.effort[i] * factor)

    def _done(self, t: float, r: int, i: int) -> None:
        shelter = self._escort(i)[1]
        if shelter >= 0:  # the evacuees' escort ends at the shelter
            self.m.roster.node[r] = shelter
        self._resolve(t, i)
        self.m.roster.served[r] += 1
        self.m.roster.served_since_eval[r] += 1
        self._became_free(t, r)

    def _resolve(self, t: float, i: int) -> None:
        m, needs = self.m, self.m.needs
        needs.state[i] = RESOLVED
        needs.resolved[i] = t
        res = int(needs.resident[i])
        m.residents.need_state[res] = MET
        if self._escort(i)[1] >= 0:
            self.n_sheltered += needs.persons[i]
        if TYPE_NAMES[needs.kind[i]] == "testing" and self.cfg.epidemic.isolation:
            m.residents.isolated[res] = m.residents.epi[res] == 1

    def _became_free(self, t: float, r: int) -> None:
        ro = self.m.roster
        if ro.status[r] in (TRAVELLING, SERVING):
            spent = t - ro.busy_since[r]
            ro.busy_min[r] += spent
            ro.shift_min[r] += spent
        ro.need[r] = -1
        if ro.shift_min[r] >= self.cfg.organization.shift_hours * 60:
            ro.status[r] = RESTING
            self.q.at(t + self.cfg.organization.rest_hours * 60, self._rested, r)
            return
        ro.status[r] = IDLE
        self._pick(t, r)

    def _rested(self, t: float, r: int) -> None:
        ro = self.m.roster
        ro.shift_min[r] = 0.0
        ro.status[r] = IDLE
        self._pick(t, r)

    def _pick(self, t: float, r: int) -> None:
        """An idle responder takes the most urgent waiting need it may serve."""
        m, needs, ro = self.m, self.m.needs, self.m.roster
        if ro.status[r] != IDLE or ro.active_from[r] > t:
            return
        c = int(ro.community[r])
        if ro.self_directed[r]:  # sees unmet needs around it, not knowing who else goes
            known = np.sort(np.asarray(self.known, dtype=np.int64))
            st = needs.state[known]
            seen = known[(m.township.grid_community[needs.grid[known]] == c) &
                         (st >= DETECTED) & (st <= DISPATCHED)]
            if len(seen):
                self._dispatch(r, int(self.rng.choice(seen)), t)
            return
        lists = [self.local_pending.get(int(m.township.node_community[ro.node[r]]), [])]
        if ro.dispatchable[r]:
            lists.append(self.pending)
        ids = np.concatenate([self._live(lst) for lst in lists])
        if len(ids) == 0:
            return
        gc = m.township.grid_community[needs.grid[ids]]
        ok = (gc == c) | ro.anywhere[r]
        if self.siloed and ro.line[r] >= 0:
            ok &= needs.line[ids] == ro.line[r]
        ids = ids[ok]
        if len(ids) == 0:
            return
        travel = m.township.travel[ro.node[r], needs.grid[ids]]
        skill = TYPE_SKILL[needs.kind[ids]]
        mismatch = (skill != GENERAL) & (skill != ro.skill[r])
        # Urgency first; a need the responder is not skilled for counts for less.
        score = self._priority(ids, t) / np.where(
            mismatch, self.cfg.response.skill_mismatch_factor, 1.0) - 1e-4 * travel
        score[~np.isfinite(travel)] = -np.inf
        best = int(np.argmax(score))
        if np.isfinite(score[best]):
            self._dispatch(r, int(ids[best]), t)

    def _live(self, lst: list[int]) -> np.ndarray:
        """The needs of a waiting list still waiting; the list is compacted when mostly stale."""
        arr = np.asarray(lst, dtype=np.int64)
        live = arr[self.m.needs.state[arr] == REPORTED]
        if 2 * len(live) < len(arr):
            lst[:] = live.tolist()
        return live

    # --- resident pools ----------------------------------------------------------------

    def _pool_arrive(self, t: float, pool: int, g: int, i: int) -> None:
        needs = self.m.needs
        if needs.state[i] == DISPATCHED:
            self._start_service(t, i)
            factor = self.cfg.response.skill_mismatch_factor \
                if TYPE_SKILL[needs.kind[i]] != GENERAL else 1.0
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
        open_ = np.isin(needs.state[:n], (DETECTED, REPORTED, DISPATCHED))
        counts = np.bincount(needs.grid[:n][open_], minlength=m.township.n_grids)
        for g in np.flatnonzero(counts >= TEMP_ORG_MIN_NEEDS):
            g = int(g)
            if g in self.temp_orgs:
                continue
            org = TemporaryPartyOrganization(m, node=g, community=int(
                m.township.grid_community[g]), grid=g, created_min=t)
            self.temp_orgs[g] = org
            party_here = int(np.count_nonzero(m.residents.party_member[
                m.residents.grid_start[g]: m.residents.grid_start[g] + m.residents.grid_size[g]]))
            extra_party = int(self.rng.binomial(party_here, 0.1))
            extra_spont = int(self.rng.binomial(int(self.willing[g]),
                                                self.cfg.volunteers.spontaneous_share))
            org.members = extra_party
            self._open_spontaneous(g)
            self.party_free[g] += extra_party
            self.spont_free[g] += extra_spont
