"""GrassrootsModel: a township's organization in peacetime, then in an emergency.

Each ``step()`` is one day in peacetime and ten minutes (configurable) in wartime. Mesa's
clock counts steps; the model's own clock, ``minute``, counts minutes from the start of
wartime (negative in peacetime). Within a wartime step, reports, arrivals and services run
at exact minutes on the response's event queue.
"""

from __future__ import annotations

import math
from typing import Any

import mesa
import numpy as np

from .agents import (CommunityCadre, CommunityPartyOrganization, GridManager,
                     GridPartyOrganization, JointMeetingCommittee, OrganCadre, Responder,
                     TownshipCadre, TownshipPartyCommittee, UnitStaff, Volunteer, gini)
from .hazards import make_hazards
from .needs import (CREATED, DETECTED, DISPATCHED, GENERAL, LOGISTICS, MEDICAL, REPORTED,
                    RESCUE, RESOLVED, Channel, Needs, severity_integral, type_lines)
from .params import Config, Structure
from .peacetime import peace_day, register_organ_cadres_now
from .residents import Residents
from .engine import DEFAULT_ENGINE, response_class
from .response import Response
from .roster import Roster
from .routine import RoutineWork
from .streams import run_streams
from .township import build_township

MAX_LOG = 2000  # events kept for the event feed


class GrassrootsModel(mesa.Model):
    """The township, its people and organizations, and the emergencies that test them.

    Args:
        config: a resolved ``Config`` (defaults if omitted).
        rng: seed or generator (Mesa's convention: None draws fresh entropy); child streams
            are spawned from it. The seed used is ``self.seed``.
        engine: who runs the response's events (``sim/engine.py``): "compiled" (the default)
            or "python" (the reference); both give the same run.
        **params: overrides as ``{"section.key": value}`` or ``section__key=value``, so that
            ``mesa.batch_run`` and SolaraViz can drive the model with plain keywords.
    """

    def __init__(self, config: Config | None = None, rng: Any = None,
                 engine: str = DEFAULT_ENGINE, **params: Any) -> None:
        self.response_class = response_class(engine)
        self.engine = engine
        if rng is None:  # as in Mesa: fresh entropy; the seed drawn is kept in self.seed
            rng = int(np.random.default_rng().integers(2**63))
        super().__init__(rng=rng)
        cfg = (config or Config()).with_overrides(params, "model parameters")
        self.config = cfg
        seed = int(rng) if isinstance(rng, (int, np.integer)) else \
            int(self.rng.integers(2**63))
        self.seed = seed  # GrassrootsModel(config, rng=model.seed) repeats this run
        streams = run_streams(seed)
        # Hazards draw from their own stream: policies are compared on identical emergencies.
        self.hazard_rngs = [np.random.default_rng(s) for s in streams.hazards.spawn(3)]
        self.rng = np.random.default_rng(streams.behaviour)
        self.township = build_township(cfg, seed)
        self.residents = Residents(cfg.population, self.township.n_grids,
                                   np.random.default_rng(streams.people))
        self.needs = Needs(type_lines(cfg.needs))
        self.events: list[tuple[float, str]] = []
        self.recruits_due = 0.0
        self.minute = -cfg.time.peace_days * 1440.0
        self.phase = "peace"
        self.peace_steps = cfg.time.peace_days
        self.war_steps = math.ceil(cfg.time.war_hours * 60 / cfg.time.war_step_min)
        self.n_steps = self.peace_steps + self.war_steps
        self.step_count = 0
        self.roster: Roster | None = None
        self.response: Response | None = None
        self._build_organization()
        # Routine cases of the peacetime phase (sim/routine.py), on their own random stream.
        self.routine = RoutineWork(self, streams.routine) if self.peace_steps > 0 else None
        self.hazards = make_hazards(self)
        self.cum_harm = 0.0
        self.trust_before = self.preparedness_before = math.nan
        self._attitudes_changed = True
        self.datacollector = TimeSeriesCollector(model_reporters={k: k for k in TIMESERIES})
        if self.peace_steps == 0:
            register_organ_cadres_now(self)
            self._begin_war()
        self._update_indicators()
        self.datacollector.collect(self)

    # --- set-up ------------------------------------------------------------------------

    def _build_organization(self) -> None:
        cfg, tw, res, rng = self.config, self.township, self.residents, self.rng
        org, vol, sk = cfg.organization, cfg.volunteers, cfg.skills
        n = cfg.population.n_residents
        lines = org.siloed_lines if org.structure == Structure.SILOED else 0
        line_of = (lambda k: k % lines) if lines else (lambda k: -1)
        self.familiarity = np.full(tw.n_grids, org.initial_familiarity, dtype=float)
        self.grid_managers = [GridManager(self, g) for g in range(tw.n_grids)]
        self.township_committee = TownshipPartyCommittee(self, node=tw.command_node)
        self.joint_committee = JointMeetingCommittee(self, node=tw.command_node)
        self.community_orgs = [CommunityPartyOrganization(self, node=int(tw.office_node[c]),
                                                          community=c)
                               for c in range(tw.n_communities)]
        for cpo in self.community_orgs:
            cpo.cohesion = org.initial_cohesion
        self.grid_party_orgs: list[GridPartyOrganization] = []
        if org.structure == Structure.INTEGRATED_PARTY:
            for g in range(tw.n_grids):
                gpo = GridPartyOrganization(self, node=g, community=int(tw.grid_community[g]),
                                            grid=g)
                lo, size = res.grid_start[g], res.grid_size[g]
                gpo.members = int(res.party_member[lo:lo + size].sum())
                gpo.mobilized = int(rng.binomial(gpo.members, org.party_member_mobilization))
                self.grid_party_orgs.append(gpo)
        k = 0
        for c in range(tw.n_communities):
            for j in range(org.community_cadres_per_community):
                CommunityCadre(self, int(tw.office_node[c]), c, GENERAL,
                               float(rng.uniform(sk.community_cadre_low,
                                                 sk.community_cadre_high)), line_of(j),
                               first_secretary=org.first_secretary and j == 0)
                k += 1
        for j in range(round(n / 1000 * org.township_cadres_per_1000)):
            # Stationed at the office of the community they are assigned to.
            TownshipCadre(self, int(tw.office_node[j % tw.n_communities]), j % tw.n_communities,
                          GENERAL, float(rng.uniform(sk.township_cadre_low,
                                                     sk.township_cadre_high)), line_of(k))
            k += 1
        for _ in range(round(n / 1000 * org.organ_cadres_per_1000)):
            g = int(rng.integers(tw.n_grids))
            OrganCadre(self, g, int(tw.grid_community[g]), GENERAL, sk.organ_cadre,
                       line_of(k))
            k += 1
        n_vol = round(n / 1000 * vol.team_size_per_1000)
        n_pro = round(n_vol * vol.professional_share)
        for j in range(n_vol):
            self.add_volunteer(professional=j < n_pro, specialty=j % 3)
        if org.colocated_units_integrated:
            for node, c in zip(tw.unit_nodes, tw.unit_community):
                for _ in range(org.staff_per_colocated_unit):
                    UnitStaff(self, node, c, LOGISTICS, sk.unit_staff)

    def add_volunteer(self, professional: bool, specialty: int = 0) -> Volunteer:
        g = int(self.rng.integers(self.township.n_grids))
        skill = (RESCUE, MEDICAL, LOGISTICS)[specialty] if professional else GENERAL
        sk = self.config.skills
        return Volunteer(self, g, int(self.township.grid_community[g]), skill,
                         sk.professional_volunteer if professional else sk.standing_volunteer,
                         team="professional" if professional else "standing")

    def agents_of(self, cls: type) -> list:
        """Agents of exactly this class (Mesa keeps one set per class)."""
        return list(self.agents_by_type.get(cls, ()))

    # --- time ----------------------------------------------------------------------------

    def step(self) -> None:
        if self.step_count >= self.n_steps:
            self.running = False
            return
        if self.phase == "peace":
            peace_day(self, self.step_count)
            if self.routine is not None:
                self.routine.day(self.minute)
            self.minute += 1440.0
            self.step_count += 1
            if self.step_count == self.peace_steps:
                self._begin_war()
        else:
            self._war_step()
            self.step_count += 1
        self._update_indicators()
        self.datacollector.collect(self)
        if self.step_count >= self.n_steps:
            self.running = False

    def _begin_war(self) -> None:
        cfg, org = self.config, self.config.organization
        self.minute = 0.0
        self.phase = "war"
        if self.routine is not None:
            self.routine.end(self.minute)
        res = self.residents
        self.trust_before = float(res.trust.mean())
        self.preparedness_before = float(res.preparedness.mean())
        self._attitudes_changed = True  # the last peace day's changes reach the indicators
        responders = [a for a in self.agents if isinstance(a, Responder)
                      and (not isinstance(a, OrganCadre) or a.registered)]
        initiative = cfg.response.initiative_base + \
            (1 - cfg.response.initiative_base) * org.fault_tolerance_initiative_gain * \
            org.fault_tolerance
        for a in responders:
            a.initiative = initiative if a.is_cadre else 0.0
        self.roster = Roster(responders, n_communities=self.township.n_communities,
                             redeployable=org.dynamic_redeployment,
                             coordinated=cfg.volunteers.coordinated)
        self.response = self.response_class(self, 0.0)
        delays = []
        for a in responders:
            if isinstance(a, CommunityCadre):
                cohesion = self.community_orgs[a.community].cohesion
                delay = org.cadre_switch_min * (org.switch_factor_no_cohesion - cohesion)
            elif isinstance(a, TownshipCadre):
                delay = org.cadre_switch_min
            elif isinstance(a, OrganCadre):
                delay = org.organ_mobilization_min
            else:
                delay = cfg.volunteers.callup_min
            delays.append(delay)
        self.response.activate_each(np.array([a.idx for a in responders], dtype=np.int64),
                                    np.array(delays, dtype=float))
        for unit in [self.township_committee, *self.community_orgs, *self.grid_party_orgs]:
            unit.mode = "war"
        self.log(0.0, "emergency: organization switches to wartime mode")
        if org.front_line_command:
            self.log(org.command_convene_min,
                     "joint-meeting committee convened as the front-line command")

    def _war_step(self) -> None:
        t0 = self.minute
        t1 = t0 + self.config.time.war_step_min
        for hz in self.hazards:
            hz.step(t0, t1)
        self.response.war_step(t0, t1)
        for hz in self.hazards:
            if hz.ended and not hz.evaluated:
                hz.evaluated = True
                self._evaluate(hz, t1)
        self.minute = t1

    def _detect(self, t0: float, t1: float, patrol_per_hour: float | None = None,
                resident_factor: float = 1.0) -> None:
        """Residents, neighbours and grid managers find needs (rates per hour); a fully
        familiar grid manager finds one at `patrol_per_hour` (default: the detection
        section's grid_manager_per_hour), residents and neighbours report at
        `resident_factor` times their detection rates (routine cases)."""
        needs, res, det = self.needs, self.residents, self.config.detection
        n = needs.n
        idx = np.flatnonzero(needs.state[:n] == CREATED)
        if len(idx) == 0:
            return
        start = np.maximum(needs.created[idx], t0)
        exposure = t1 - start
        who = needs.resident[idx]
        r_self = det.self_report_per_hour * 0.5 * (res.trust[who] + res.preparedness[who])
        r_nb = det.neighbour_report_per_hour * \
            (1.0 if self.config.organization.mutual_aid
             else det.neighbour_factor_without_mutual_aid)
        r_gm = (det.grid_manager_per_hour if patrol_per_hour is None else patrol_per_hour) * \
            self.familiarity[needs.grid[idx]]
        r_self, r_nb = resident_factor * r_self, resident_factor * r_nb
        rate = r_self + r_nb + r_gm
        p_hit = -_libm(math.expm1, -rate * exposure / 60.0)
        hit = self.rng.random(len(idx)) < p_hit
        # When, given found within the exposure: an exponential delay truncated to it.
        u = self.rng.random(len(idx))
        when = start + np.minimum(-_libm(math.log1p, -u * p_hit) / rate * 60.0, exposure)
        u = self.rng.random(len(idx)) * rate
        channel = np.where(u < r_self, int(Channel.RESIDENT),
                           np.where(u < r_self + r_nb, int(Channel.NEIGHBOUR),
                                    int(Channel.GRID_MANAGER)))
        order = np.argsort(when[hit], kind="stable")
        self.response.q.at_each(when[hit][order], self.response.detected, idx[hit][order],
                                channel[hit][order])

    def _accrue_harm(self, t0: float, t1: float) -> None:
        needs = self.needs
        n = needs.n
        created, reached = needs.created[:n], needs.reached[:n]
        open_ = (created < t1) & (np.isnan(reached) | (reached > t0))
        ids = np.flatnonzero(open_)
        if len(ids) == 0:
            return
        end = np.where(np.isnan(reached[ids]), t1, np.minimum(reached[ids], t1))
        a = (np.maximum(t0, created[ids]) - created[ids]) / 60.0
        b = (end - created[ids]) / 60.0
        inc = needs.weight[ids] * severity_integral(
            needs.severity0[ids], self.config.response.deterioration_per_hour, a, b)
        needs.harm[ids] += inc
        self.cum_harm += float(inc.sum())

    def _evaluate(self, hazard: Any, t: float) -> None:
        """Front-line evaluation after an emergency: commend cadres who performed; residents
        whose needs were met in time trust the organization more, others less."""
        ro, cfg = self.roster, self.config
        served = ro.served_since_eval
        cadres = ro.is_cadre & (served > 0)
        n_commended = 0
        if cfg.organization.commendation and cadres.any():
            bar = max(1.0, float(np.median(served[cadres])))
            commended = ro.is_cadre & (served >= bar)
            ro.initiative[commended] += cfg.response.commendation_gain * \
                (1 - ro.initiative[commended])
            n_commended = int(commended.sum())
        ro.served_since_eval[:] = 0
        needs, res = self.needs, self.residents
        n = needs.n
        mine = needs.hazard[:n] == hazard.code
        response = needs.reached[:n] - needs.created[:n]
        good = mine & (response <= cfg.time.target_response_min)
        bad = mine & ~good
        change = cfg.organization.evaluation_trust_change
        res.trust[needs.resident[:n][good]] += change * (1 - res.trust[needs.resident[:n][good]])
        res.trust[needs.resident[:n][bad]] -= change * res.trust[needs.resident[:n][bad]]
        self._attitudes_changed = True
        self.log(t, f"front-line evaluation after the {hazard.name}: "
                    f"{n_commended} cadres commended")

    # --- indicators and the event feed ----------------------------------------------------

    def _update_indicators(self) -> None:
        needs, res = self.needs, self.residents
        n = needs.n
        st = needs.state[:n]
        self.time_min = self.minute
        self.day = self.minute / 1440.0 + self.peace_steps
        self.needs_total = n
        by_state = np.bincount(st, minlength=RESOLVED + 1).tolist()
        self.resolved = by_state[RESOLVED]
        self.backlog = n - self.resolved
        self.unmet = sum(by_state[:DISPATCHED + 1])
        self.known_waiting = by_state[DETECTED] + by_state[REPORTED]
        ro = self.roster
        self.responders_busy = ro.busy_count() if ro is not None else 0
        self.responders_active = int(np.count_nonzero(ro.active_from <= self.minute)) \
            if ro is not None else 0
        if self.phase == "peace" or self._attitudes_changed:
            # Trust, preparedness and familiarity change only in peacetime (trust also at
            # evaluations).
            self.mean_trust = float(res.trust.mean())
            self.mean_preparedness = float(res.preparedness.mean())
            self.mean_familiarity = float(self.familiarity.mean())
            self._attitudes_changed = False
        self.volunteers = len(self.agents_by_type.get(Volunteer, ()))
        if self.config.epidemic.enabled or self.step_count == 0:
            self.susceptible, self.infected, self.recovered = res.counts()
        rp = self.response
        self.duplicate_dispatches = rp.n_duplicates if rp else 0
        self.temporary_orgs = len(rp.temp_orgs) if rp else 0
        self.phase_code = 0 if self.phase == "peace" else 1

    def log(self, minute: float, text: str) -> None:
        if len(self.events) < MAX_LOG:
            self.events.append((float(minute), text))

    def clock_label(self, minute: float) -> str:
        total = minute + self.peace_steps * 1440
        day, rem = divmod(total, 1440)
        return f"Day {int(day) + 1} {int(rem // 60):02d}:{int(rem % 60):02d}"

    def grid_label(self, g: int) -> str:
        c = int(self.township.grid_community[g])
        k = int(np.count_nonzero(self.township.grid_community[:g] == c)) + 1
        return f"{_letters(c)}-{k}"

    def workload_gini(self) -> float:
        ro = self.roster
        return gini(ro.busy_min[ro.is_cadre]) if ro is not None else 0.0


class TimeSeriesCollector(mesa.DataCollector):
    """Mesa's DataCollector for model attributes named by string, collected without Mesa's
    per-value ``deepcopy`` and reporter dispatch (a large share of a short run's time): the
    attributes hold Python scalars, which need no copy. Same table as Mesa's."""

    def collect(self, model: mesa.Model) -> None:
        fast = getattr(self, "_fast", None)
        if fast is None:
            super().collect(model)  # the first call validates the reporters
            if self._validated and not self.agent_reporters and \
                    not self.agenttype_reporters and \
                    all(isinstance(r, str) for r in self.model_reporters.values()):
                self._fast = [(self.model_vars[var].append, r)
                              for var, r in self.model_reporters.items()]
            return
        self._collection_steps.append(model.time)
        for append, reporter in fast:
            append(getattr(model, reporter, None))


def _libm(fn: Any, x: np.ndarray) -> np.ndarray:
    """A math-module function of each element: the C library's, as the compiled engine uses
    (numpy's vectorized expm1 and log1p differ from it by an ulp on some CPUs, so a run would
    depend on the machine's instruction set)."""
    return np.fromiter(map(fn, x.tolist()), float, len(x))


def _letters(c: int) -> str:
    s = ""
    c += 1
    while c:
        c, r = divmod(c - 1, 26)
        s = chr(65 + r) + s
    return s


TIMESERIES = ("time_min", "day", "phase_code", "needs_total", "backlog", "unmet",
              "known_waiting", "resolved", "responders_busy", "responders_active", "cum_harm",
              "mean_trust", "mean_preparedness", "mean_familiarity", "volunteers",
              "susceptible", "infected", "recovered", "duplicate_dispatches", "temporary_orgs")
