"""Wartime response: first responders, decisions, dispatch and service.

A detected need may first be met locally (party members mobilized by the grid party
organization, spontaneous volunteers, a cadre acting on initiative); its report meanwhile
climbs the reporting chain (``reporting.py``) to the unit that decides, which dispatches by
priority, skill match and travel time. A unit that has not yet heard of a local response
dispatches again: a duplicate. Needs that wait longer than ``local_action_after_min`` are
taken up by idle responders of their community, whatever the mechanism. Responders act on
events: dispatched, arrived, done, shift over.

The chain is callable for any need in the model's need table: ``detected`` (a need is found),
``report`` (its report starts up the chain), ``decide`` (the report arrives), ``assign`` (the
deciding unit sends its best responder) and ``act_locally`` (the community acts on its own).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from .agents import IDLE, RESTING, SERVING, TRAVELLING
from .events import EventQueue
from .mobilization import PARTY_POOL, SPONTANEOUS_POOL, ResidentPools
from .needs import (CREATED, DETECTED, DISPATCHED, GENERAL, REPORTED, RESOLVED, SKILL_OF_TYPE,
                    TYPE_NAMES, TYPE_SKILL)
from .needs import SERVING as NEED_SERVING
from .reporting import ReportingChain
from .residents import MET
from .roster import COMMUNITY_CADRE

if TYPE_CHECKING:
    from .world import World

COVERED = (DISPATCHED, NEED_SERVING, RESOLVED)
EVACUATION, TESTING = TYPE_NAMES.index("evacuation"), TYPE_NAMES.index("testing")
NO_NEEDS = np.zeros(0, dtype=np.int64)


def draw_index(rng: np.random.Generator, n: int) -> int:
    """A position drawn uniformly from range(n), from one uniform draw (the compiled engine
    draws it the same way)."""
    return min(n - 1, int(rng.random() * n))


class Response(ResidentPools):
    """Everything between a need's detection and its resolution."""

    def __init__(self, model: World, start_min: float, peace: bool = False) -> None:
        self.m = model
        cfg = model.config
        # Peace mode (routine cases, sim/routine.py): offices are open from the start, no
        # front-line command convenes, no one volunteers spontaneously.
        self.peace = peace
        self.cfg = cfg
        self.rng = model.rng
        self.q = self._make_queue()
        self.q.now = start_min
        rep, org = cfg.reporting, cfg.organization
        self.mechanism = rep.mechanism
        self.siloed = org.structure == "siloed"
        tw = model.township
        self.community_of_grid = tw.grid_community.tolist()  # per-need look-ups
        self.local_wait_min = cfg.response.local_action_after_min
        self.command_active = start_min + org.command_convene_min \
            if org.front_line_command and not peace else math.inf
        model.joint_committee.active_from = self.command_active
        self.chain = ReportingChain(model, self.q, self.rng, start_min, self.command_active,
                                    self.decide, peace=peace)
        self.pending: list[int] = []  # reported needs the deciding unit could not yet send to
        self.local_pending: dict[int, list[int]] = {}  # grid autonomy, per community
        self.overdue: list[list[int]] = [[] for _ in range(tw.n_communities)]
        self.inbox: list[int] = []
        self.known: list[int] = []  # detected needs, compacted to the unmet ones each step
        # Minute the grid manager hears of a local response to a need whose report had not
        # yet been decided: the news climbs the chain from there.
        self.news_at_grid: dict[int, float] = {}
        self.lines = self._lines_per_community() if self.siloed else None
        self.shelters = np.array(tw.shelter_nodes, dtype=np.int64)
        self.n_sheltered = 0.0  # residents escorted to a shelter
        self.n_duplicates = 0
        self.n_handoffs = 0
        self.n_initiative = 0
        self.n_local_actions = 0
        self.init_pools(start_min)
        if self.mechanism == "joint_meeting":
            end = 0.0 if peace else min(self.command_active,
                                        start_min + cfg.time.war_hours * 60)
            t = start_min + rep.joint_meeting_interval_min
            while t < end:
                self.q.at(t, self._joint_meeting)
                t += rep.joint_meeting_interval_min
        if math.isfinite(self.command_active):
            self.q.at(self.command_active, self._command_convened)

    def _make_queue(self) -> EventQueue:
        """The queue the handlers' events run from (the compiled engine's differs)."""
        return EventQueue()

    def detect(self, t0: float, t1: float, patrol_per_hour: float | None = None,
               resident_factor: float = 1.0) -> None:
        """Needs found between t0 and t1 (``GrassrootsModel._detect``)."""
        self.m._detect(t0, t1, patrol_per_hour, resident_factor)

    def war_step(self, t0: float, t1: float) -> None:
        """A wartime step after the hazards: needs are found, events run, harm accrues and
        incident sites get temporary party organizations."""
        m = self.m
        self.detect(t0, t1)
        self.q.run_until(t1)
        m._accrue_harm(t0, t1)
        self.setup_temporary_orgs(t1)
        self.compact_known()

    @property
    def n_lost_reports(self) -> int:
        return self.chain.n_lost

    def _lines_per_community(self) -> np.ndarray:
        """Siloed structure: the line that takes each owning line's needs in each community.
        The owning line where some responder who may serve the community belongs to it; else
        any line (the fallback: whoever of the community is there), so that no need is left
        without anyone allowed to meet it."""
        ro, tw = self.m.roster, self.m.township
        # Every line a need can belong to: the need types' lines, and every line a routine
        # case may be drawn from (organization.siloed_lines), whoever is on the roster.
        n_lines = max(int(self.m.needs.type_line.max()), int(ro.line.max()),
                      self.cfg.organization.siloed_lines - 1, 0) + 1
        table = np.full((tw.n_communities, n_lines), -1, dtype=np.int64)
        for c in range(tw.n_communities):
            present = np.unique(ro.line[np.concatenate([ro.fixed_in_community[c],
                                                        ro.anywhere_idx])])
            for owning in range(table.shape[1]):
                if owning in present:
                    table[c, owning] = owning
        return table

    def line_of(self, i: int) -> int:
        """The line that must serve need i (-1: any line; always -1 unless siloed)."""
        if self.lines is None:
            return -1
        needs = self.m.needs  # as _lines_of, on Python scalars (one need)
        owning = int(needs.line[i])
        if owning < 0:
            return -1
        return int(self.lines[self.community_of_grid[needs.grid[i]], owning])

    def _lines_of(self, ids: np.ndarray) -> np.ndarray:
        needs = self.m.needs
        owning = needs.line[ids]  # -1: a need no line owns
        found = self.lines[self.m.township.grid_community[needs.grid[ids]],
                           np.maximum(owning, 0)]
        return np.where(owning < 0, -1, found)

    # --- mode switch -------------------------------------------------------------------

    def activate(self, r: int, t: float) -> None:
        """Responder r switches to wartime mode at minute t."""
        self.m.roster.active_from[r] = t
        self.q.at(t, self._pick, r)

    def activate_each(self, rs: np.ndarray, ts: np.ndarray) -> None:
        """``activate(rs[k], ts[k])`` for each k, in order."""
        self.m.roster.active_from[rs] = ts
        self.q.at_each(ts, self._pick, rs)

    # --- detection and first response ------------------------------------------------------

    def detected(self, t: float, i: int, channel: int) -> None:
        """Need i is found at minute t (channel: who found it)."""
        needs = self.m.needs
        if needs.state[i] != CREATED:
            return
        needs.state[i] = DETECTED
        needs.detected[i] = t
        needs.channel[i] = channel
        self.known.append(i)
        self.m.residents.need_state[needs.resident[i]] = 1
        self.q.at(t + self.local_wait_min, self._local_wait_over, i)
        self._first_response(t, i)
        if self.siloed:  # the detecting line may not own the need: hand it over
            lines = self.cfg.organization.siloed_lines
            if self.rng.random() < (lines - 1) / lines:
                self.n_handoffs += 1
                self.q.at(t + self.cfg.organization.handoff_delay_min, self.report, i)
                return
        self.report(t, i)

    def report(self, t: float, i: int) -> None:
        """The report of need i starts up the reporting chain at minute t."""
        self.chain.send(t, i, 0)

    def _first_response(self, t: float, i: int) -> None:
        needs, m = self.m.needs, self.m
        g = int(needs.grid[i])
        skill = SKILL_OF_TYPE[needs.kind[i]]
        local = self.cfg.space.local_travel_min
        if skill == GENERAL and self.party_free[g] > 0 \
                and t >= self.party_active_from:
            self.party_free[g] -= 1
            arrive = t + self.cfg.reporting.grid_delay_min + local
            self._mark_dispatched(i, t, news_delay=0.0)  # the grid's own party organization
            self.q.at(arrive, self._pool_arrive, PARTY_POOL, g, i)
            return
        # Cadre initiative: an idle cadre nearby, of the need's line, acts before approval.
        ro = m.roster
        c = self.community_of_grid[g]
        idx = ro.cadres_in_community[c]
        ok = (ro.status[idx] == IDLE) & (ro.active_from[idx] <= t)
        line = self.line_of(i)
        if line >= 0:
            ok &= (ro.line[idx] < 0) | (ro.line[idx] == line)
        idx = idx[ok]
        if len(idx):
            r = int(idx[m.township.travel[ro.node[idx], g].argmin()])
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

    def _self_directed_volunteers(self, t: float, c: int) -> None:
        ro = self.m.roster
        if not ro.any_self_directed:
            return
        idx = ro.in_community[c]
        idle = idx[ro.self_directed[idx] & (ro.status[idx] == IDLE) &
                   (ro.active_from[idx] <= t)]
        if len(idle):
            self._pick(t, int(idle[draw_index(self.rng, len(idle))]))

    # --- decisions ------------------------------------------------------------------------

    def decide(self, t: float, i: int) -> None:
        """The report of need i reaches the unit that decides, at minute t."""
        needs = self.m.needs
        if math.isnan(needs.reported[i]):
            needs.reported[i] = t
        state = needs.state[i]
        if state != DETECTED:
            if state in COVERED and not self._knows_covered(i, t):
                self.assign(i, t)  # a duplicated dispatch: the unit has not heard yet
            return
        needs.state[i] = REPORTED
        if self.mechanism == "grid_autonomy":
            c = self.community_of_grid[needs.grid[i]]
            if not self.assign(i, t, local_community=c):
                self.local_pending.setdefault(c, []).append(i)
                self.q.at(t + self.cfg.reporting.autonomy_escalate_min, self._escalate, i)
            return
        if self.mechanism == "joint_meeting" and t < self.command_active:
            self.inbox.append(i)  # decided at the next joint meeting
            return
        if not self.assign(i, t):
            self.pending.append(i)

    def _knows_covered(self, i: int, t: float) -> bool:
        """Whether the deciding unit has heard, by minute t, that need i is already covered.
        Joint meetings (all units at one table) and grid autonomy (the grid that mobilized
        the local response decides) know; other units hear when the news arrives."""
        if self.mechanism in ("joint_meeting", "grid_autonomy"):
            return True
        news = self.news_at_grid.get(i)
        return news is None or t >= news + self.chain.news_minutes(news)

    def _escalate(self, t: float, i: int) -> None:
        if self.m.needs.state[i] == REPORTED:
            self.chain.escalate(t, i, self._escalation_arrives)

    def _escalation_arrives(self, t: float, i: int) -> None:
        """The escalated report reaches the command: the hop counts as reporting delay."""
        needs = self.m.needs
        if needs.state[i] != REPORTED:
            return
        needs.reported[i] = t
        if not self.assign(i, t):
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
            if self.m.needs.state[i] == REPORTED and not self.assign(int(i), t):
                self.pending.append(int(i))

    # --- dispatch ----------------------------------------------------------------------

    def _priority(self, ids: np.ndarray, t: float) -> np.ndarray:
        needs = self.m.needs
        rate = self.cfg.response.deterioration_per_hour
        sev = np.minimum(1.0, needs.severity0[ids] + rate * (t - needs.created[ids]) / 60.0)
        return sev * needs.weight[ids]

    def assign(self, i: int, t: float, local_community: int = -1) -> bool:
        """The deciding unit sends its best available responder to need i; False if none
        can go. Grid autonomy (`local_community`): only responders now in the community."""
        m, ro = self.m, self.m.roster
        c = self.community_of_grid[m.needs.grid[i]]
        idx = ro.candidates(t, c, self.line_of(i))
        if local_community >= 0:
            idx = idx[m.township.node_community[ro.node[idx]] == local_community]
        return self._send_best(i, t, idx)

    def _send_best(self, i: int, t: float, idx: np.ndarray) -> bool:
        """Send the candidate in `idx` who arrives soonest, counting a skill mismatch as the
        extra effort it costs; False if nobody can get there."""
        if len(idx) == 0:
            return False
        m, needs, ro = self.m, self.m.needs, self.m.roster
        travel = m.township.travel[ro.node[idx], needs.grid[i]]
        skill = SKILL_OF_TYPE[needs.kind[i]]
        mismatch = (ro.skill[idx] != skill) & (skill != GENERAL)
        score = travel + mismatch * (self.cfg.response.skill_mismatch_factor - 1.0) * \
            needs.effort[i]
        if not np.isfinite(score).any():
            return False
        self._dispatch(int(idx[score.argmin()]), i, t)
        return True

    # --- local action ------------------------------------------------------------------------

    def _local_wait_over(self, t: float, i: int) -> None:
        """The need has waited the local wait since it was found: the community acts."""
        if self.m.needs.state[i] in (DETECTED, REPORTED) and not self.act_locally(i, t):
            self.overdue[self.community_of_grid[self.m.needs.grid[i]]].append(i)

    def act_locally(self, i: int, t: float) -> bool:
        """Idle responders of the need's community, told of it by the grid manager, send the
        best of them without waiting for the chain; False if none is free."""
        c = self.community_of_grid[self.m.needs.grid[i]]
        if self._send_best(i, t, self.m.roster.in_community_now(t, c, self.line_of(i))):
            self.n_local_actions += 1
            return True
        return False

    def _mark_dispatched(self, i: int, t: float, news_delay: float | None = None) -> None:
        """Count a dispatch to need i at minute t. A local response (before the deciding
        unit decided) reaches the grid manager's ears after `news_delay` minutes (default
        ``reporting.local_news_delay_min``)."""
        needs = self.m.needs
        needs.n_dispatches[i] += 1
        if needs.n_dispatches[i] > 1:
            self.n_duplicates += 1
        state = needs.state[i]
        if state == DETECTED and i not in self.news_at_grid:
            if news_delay is None:
                news_delay = self.cfg.reporting.local_news_delay_min
            self.news_at_grid[i] = t + news_delay
        if state in (CREATED, DETECTED, REPORTED):
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
        other = self._unmet_here(g, int(ro.line[r])) if g in self.temp_orgs else -1
        if other >= 0:
            spent = t - ro.busy_since[r]  # the wasted trip still counts as work
            ro.busy_min[r] += spent
            ro.shift_min[r] += spent
            self._dispatch(r, other, t)
            return
        self.q.at(t + self.cfg.response.duplicate_visit_min, self._became_free, r)

    def _unmet_here(self, g: int, line: int) -> int:
        """The oldest known need of grid g still waiting, that a responder of `line` may
        serve (-1: none)."""
        needs = self.m.needs
        known = np.asarray(self.known, dtype=np.int64)
        cand = known[(needs.grid[known] == g) &
                     ((needs.state[known] == DETECTED) | (needs.state[known] == REPORTED))]
        if self.lines is not None and line >= 0:
            own = self._lines_of(cand)
            cand = cand[(own < 0) | (own == line)]
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
        if self.m.needs.kind[i] != EVACUATION or len(self.shelters) == 0:
            return 0.0, -1
        minutes = self.m.township.travel[int(self.m.needs.grid[i]), self.shelters]
        k = int(minutes.argmin())
        return float(minutes[k]), int(self.shelters[k])

    def _service_min(self, r: int, i: int) -> float:
        m, needs, ro, resp = self.m, self.m.needs, self.m.roster, self.cfg.response
        skill = SKILL_OF_TYPE[needs.kind[i]]
        factor = 1.0 - resp.skill_effort_gain * ro.skill_level[r]
        if skill != GENERAL and ro.skill[r] != skill:
            factor *= resp.skill_mismatch_factor
        if ro.role[r] == COMMUNITY_CADRE:  # a cohesive team works faster
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
        if needs.kind[i] == TESTING and self.cfg.epidemic.isolation:
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
                self._dispatch(r, int(seen[draw_index(self.rng, len(seen))]), t)
            return
        lists = [self.local_pending.get(int(m.township.node_community[ro.node[r]]), [])]
        if ro.dispatchable[r]:
            lists.append(self.pending)
        if not (lists[0] or lists[-1] or self.overdue[c]):
            return  # nothing waits that this responder may take
        ids = np.concatenate([self._live(lst) for lst in lists] +
                             [self._live(self.overdue[c], DETECTED)])
        if len(ids) == 0:
            return
        gc = m.township.grid_community[needs.grid[ids]]
        ok = (gc == c) | ro.anywhere[r]
        if self.lines is not None and ro.line[r] >= 0:
            own = self._lines_of(ids)
            ok &= (own < 0) | (own == ro.line[r])
        ids = ids[ok]
        if len(ids) == 0:
            return
        travel = m.township.travel[ro.node[r], needs.grid[ids]]
        skill = TYPE_SKILL[needs.kind[ids]]
        mismatch = (skill != GENERAL) & (skill != ro.skill[r])
        # Urgency first; a need the responder is not skilled for counts for less.
        score = self._priority(ids, t) / np.where(
            mismatch, self.cfg.response.skill_mismatch_factor, 1.0) - \
            self.cfg.response.urgency_per_travel_min * travel
        score[~np.isfinite(travel)] = -np.inf
        best = int(score.argmax())
        if np.isfinite(score[best]):
            self._dispatch(r, int(ids[best]), t)

    def _live(self, lst: list[int], lowest: int = REPORTED) -> np.ndarray:
        """The needs of a waiting list still waiting (in a state from `lowest` to REPORTED);
        the list is compacted when mostly stale."""
        if not lst:
            return NO_NEEDS
        arr = np.asarray(lst, dtype=np.int64)
        st = self.m.needs.state[arr]
        live = arr[(st >= lowest) & (st <= REPORTED)]
        if 2 * len(live) < len(arr):
            lst[:] = live.tolist()
        return live
