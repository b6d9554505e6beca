"""GrassrootsModel: a township's organization in peacetime, then in an emergency.

Each ``step()`` is one day in peacetime and ten minutes (configurable) in wartime. Mesa's
clock counts steps; the model's own clock, ``minute``, counts minutes from the start of
wartime (negative in peacetime). Within a wartime step the compiled engine runs reports,
arrivals and services at exact minutes (``sim/engine``).
"""

from __future__ import annotations

import math
from typing import Any

import mesa
import numpy as np
import pandas as pd
from mesa.time import EventGenerator, Priority, Schedule

from .agents import (
    AGENT_CLASSES,
    CommunityPartyOrganization,
    GridManager,
    GridPartyOrganization,
    JointMeetingCommittee,
    TemporaryPartyOrganization,
    TownshipPartyCommittee,
)
from .codes import (
    COMMUNITY_CADRE,
    GENERAL,
    LOGISTICS,
    MEDICAL,
    ORGAN_CADRE,
    PICK,
    RESCUE,
    SENT_DOWN_CADRE,
    TOWNSHIP_CADRE,
    UNIT_STAFF,
    VOLUNTEER,
    Role,
)
from .engine import Engine, Place, lines_apart
from .engine.state import Count
from .engine.step import ATTITUDES, CASUALTY_COLUMNS, SERIES
from .eventlog import LogEvent, render
from .footprint import expected_needs
from .hazards import active_hazards
from .jit import call
from .needs import NeedTable, new_table
from .params import Config, Structure
from .peacetime import peace_day, peace_values, recruits
from .registry import type_arrays
from .residents import make_residents
from .rng import key, stream
from .roster import call_up, make_roster
from .routine import RoutineWork
from .streams import run_streams
from .survival import DeathTally
from .township import build_township

MAX_LOG = 2000  # events kept for the event feed
NEW_SITES = int(Count.NEW_SITES)
TIMESERIES = SERIES
REAL = frozenset(
    (
        "time_min",
        "day",
        "cum_harm",
        "casualties",
        "casualties_reported",
        "mean_trust",
        "mean_preparedness",
        "mean_familiarity",
    )
)  # the others count


class GrassrootsModel(mesa.Model):
    """The township, its people and organizations, and the emergencies that test them.

    Args:
        config: a resolved ``Config`` (defaults if omitted).
        rng: seed or generator (Mesa's convention: None draws fresh entropy); child streams
            are spawned from it. The seed used is ``self.seed``.
        **params: overrides as ``{"section.key": value}`` or ``section__key=value``, so that
            ``mesa.batch_run`` and SolaraViz can drive the model with plain keywords.
    """

    def __init__(self, config: Config | None = None, rng: Any = None, **params: Any) -> None:
        if rng is None:  # as in Mesa: fresh entropy; the seed drawn is kept in self.seed
            rng = int(np.random.default_rng().integers(2**63))
        super().__init__(rng=rng)
        cfg = (config or Config()).with_overrides(params, "model parameters")
        self.config = cfg
        seed = int(rng) if isinstance(rng, (int, np.integer)) else int(self.rng.integers(2**63))
        self.seed = seed  # GrassrootsModel(config, rng=model.seed) repeats this run
        streams = run_streams(seed)
        # (spawning more children leaves the first ones as they were)
        build_seed, engine_seed, distortion_seed, self._calls_seed, dispatch_seed = (
            streams.behaviour.spawn(5)
        )
        self._dispatch_key = key(dispatch_seed)
        build = np.random.default_rng(build_seed)
        self.S = stream(engine_seed)  # the engine's own random numbers (sim/rng.py)
        self._distortion_S = stream(distortion_seed)  # holding back reports
        tw = self.township = build_township(cfg, seed)
        res = self.residents = make_residents(
            cfg.population,
            tw.n_grids,
            np.random.default_rng(streams.people),
            tw.grid_residents,
            tw.grid_elderly_share,
        )
        self.residents_in = np.bincount(
            tw.grid_community, weights=res.grid_size, minlength=tw.n_communities
        )
        willing = (res.willingness > cfg.volunteers.willing_threshold) & ~res.vulnerable
        org = cfg.organization
        self.place = Place(
            travel=tw.travel,
            node_community=tw.node_community,
            grid_community=tw.grid_community,
            shelters=np.array(tw.shelter_nodes, np.int64),
            node_comm_min=tw.node_comm_min,
            comm_order=tw.comm_order,
            nearest_shelter=tw.nearest_shelter,
            familiarity=np.full(tw.n_grids, org.initial_familiarity),
            cohesion=np.full(tw.n_communities, org.initial_cohesion),
            willing=np.bincount(res.grid, weights=willing, minlength=tw.n_grids),
            party_in_grid=np.bincount(
                res.grid, weights=res.party_member, minlength=tw.n_grids
            ).astype(np.int64),
        )
        self.events: list[LogEvent] = []
        self.minute = -cfg.time.peace_days * 1440.0
        self.phase = "peace"
        self.peace_steps = cfg.time.peace_days
        self.war_steps = math.ceil(cfg.time.war_hours * 60 / cfg.time.war_step_min)
        self.n_steps = self.peace_steps + self.war_steps
        self.step_count = 0
        self._build_organization(build)
        self._needs = new_table(
            type_arrays(cfg),
            cfg.needs.effort_spread,
            cfg.response.effort_distribution == "exponential",
            cfg.response.vulnerable_harm_factor,
            capacity=256 + int(1.2 * expected_needs(cfg)),
        )
        self._deaths = DeathTally(cfg.response)  # the series' expected deaths so far
        self.engine: Engine | None = None
        self.routine = RoutineWork(self, streams.routine) if self.peace_steps > 0 else None
        self._peace = (peace_values(cfg), np.zeros(tw.n_grids), np.zeros(tw.n_communities))
        self.hazards = active_hazards(self, streams.hazards)
        self.trust_before = self.preparedness_before = math.nan
        self._war_step_min = float(cfg.time.war_step_min)
        self._day0 = float(self.peace_steps)
        self.series = np.zeros((self.n_steps + 1, len(TIMESERIES)))
        self.datacollector = SeriesCollector(model_reporters={k: k for k in TIMESERIES})
        if self.peace_steps == 0:  # registration is whatever share the ratio says at once
            organ = self.roster.role == ORGAN_CADRE
            self.roster.registered[organ] = build.random(organ.sum()) < org.organ_registration_ratio
            self._begin_war()
        self._record()
        self.datacollector.collect(self)

    # --- set-up ------------------------------------------------------------------------

    def _build_organization(self, rng: np.random.Generator) -> None:
        cfg, tw = self.config, self.township
        org, vol, sk = cfg.organization, cfg.volunteers, cfg.skills
        n = cfg.population.n_residents
        # The street before the grid reform has no grid managers (docs/ODD.md, Submodels).
        self.grid_managers = (
            [GridManager(self, g) for g in range(tw.n_grids)]
            if org.structure != Structure.PRE_REFORM
            else []
        )
        self.township_committee = TownshipPartyCommittee(self, node=tw.command_node)
        self.joint_committee = JointMeetingCommittee(self, node=tw.command_node)
        self.community_orgs = [
            CommunityPartyOrganization(self, node=int(tw.office_node[c]), community=c)
            for c in range(tw.n_communities)
        ]
        self.grid_party_orgs: list[GridPartyOrganization] = []
        if org.structure == Structure.INTEGRATED_PARTY:
            members = self.place.party_in_grid
            mobilized = rng.binomial(members, org.party_member_mobilization)
            self.grid_party_orgs = [
                GridPartyOrganization(
                    self,
                    node=g,
                    community=int(tw.grid_community[g]),
                    grid=g,
                    members=int(members[g]),
                    mobilized=int(mobilized[g]),
                )
                for g in range(tw.n_grids)
            ]
        # The roster: community cadres (the first of each team may be the first secretary),
        # township cadres (stationed at the offices of the communities in turn), organ
        # cadres, the standing volunteer team (professionals first; the recruits of
        # peacetime last), the staff of co-located units and the cadres sent down to the
        # communities in an emergency (they join when it begins). In the siloed structure (and
        # the pre-reform street's departments) cadres' lines go round the lines; sent-down
        # cadres serve every line.
        n_comm, team = tw.n_communities, org.community_cadres_per_community
        n_town = round(n / 1000 * org.township_cadres_per_1000)
        n_organ = round(n / 1000 * org.organ_cadres_per_1000)
        n_vol = round(n / 1000 * vol.team_size_per_1000)
        n_pro = round(n_vol * vol.professional_share)
        n_sent = round(n / 1000 * org.sent_down_cadres_per_1000)
        sent_c = np.arange(n_sent) % n_comm  # the communities in turn
        self.recruits = recruits(cfg, n_vol)
        n_team = n_vol + sum(self.recruits)
        j = np.tile(np.arange(team), n_comm)
        town_c = np.arange(n_town) % n_comm
        organ_g = rng.integers(tw.n_grids, size=n_organ)
        vol_g = rng.integers(tw.n_grids, size=n_team)
        pro = np.arange(n_team) < n_pro
        staff = org.staff_per_colocated_unit if org.colocated_units_integrated else 0
        unit_nodes = np.repeat(np.array(tw.unit_nodes, dtype=np.int64), staff)
        unit_c = np.repeat(np.array(tw.unit_community, dtype=np.int64), staff)
        cadre_c = np.concatenate(
            [np.repeat(np.arange(n_comm), team), town_c, tw.grid_community[organ_g]]
        )
        n_cadres = len(cadre_c)
        lines = org.siloed_lines if lines_apart(cfg) else 0
        place = np.arange(n_cadres)  # community cadres: their place in the team
        place[: len(j)] = j
        line = place % lines if lines else np.full(n_cadres, -1)
        n_units = len(unit_nodes)
        traits = {
            "role": np.repeat(
                [
                    COMMUNITY_CADRE,
                    TOWNSHIP_CADRE,
                    ORGAN_CADRE,
                    VOLUNTEER,
                    UNIT_STAFF,
                    SENT_DOWN_CADRE,
                ],
                [n_comm * team, n_town, n_organ, n_team, n_units, n_sent],
            ),
            "community": np.concatenate([cadre_c, tw.grid_community[vol_g], unit_c, sent_c]),
            "home_node": np.concatenate(
                [
                    tw.office_node[cadre_c[: n_comm * team + n_town]],
                    organ_g,
                    vol_g,
                    unit_nodes,
                    tw.office_node[sent_c],
                ]
            ),
            "skill": np.concatenate(
                [
                    np.full(n_cadres, GENERAL),
                    np.where(
                        pro, np.array([RESCUE, MEDICAL, LOGISTICS])[np.arange(n_team) % 3], GENERAL
                    ),
                    np.full(n_units, LOGISTICS),
                    np.full(n_sent, GENERAL),
                ]
            ),
            "skill_level": np.concatenate(
                [
                    rng.uniform(sk.community_cadre_low, sk.community_cadre_high, n_comm * team),
                    rng.uniform(sk.township_cadre_low, sk.township_cadre_high, n_town),
                    np.full(n_organ, sk.organ_cadre),
                    np.where(pro, sk.professional_volunteer, sk.standing_volunteer),
                    np.full(n_units, sk.unit_staff),
                    np.full(n_sent, sk.organ_cadre),
                ]
            ),
            "line": np.concatenate([line, np.full(n_team + n_units + n_sent, -1)]),
            "professional": np.concatenate(
                [np.zeros(n_cadres, bool), pro, np.zeros(n_units + n_sent, bool)]
            ),
            "first_secretary": np.concatenate(
                [
                    (j == 0) & org.first_secretary,
                    np.zeros(len(cadre_c) - len(j) + n_team + n_units + n_sent, bool),
                ]
            ),
        }
        self.roster = make_roster(traits, tw.n_communities)
        self._next_recruit = n_cadres + n_vol
        self.roster.joined[self._next_recruit : n_cadres + n_team] = False
        self.roster.joined[self.roster.role == SENT_DOWN_CADRE] = False  # until wartime
        for r in np.flatnonzero(self.roster.joined).tolist():
            AGENT_CLASSES[Role(int(self.roster.role[r]))](self, r)

    def agents_of(self, cls: type) -> list:
        """Agents of exactly this class (Mesa keeps one set per class)."""
        return list(self.agents_by_type.get(cls, ()))

    @property
    def needs(self) -> NeedTable:
        """The emergency's needs."""
        return self.engine.N if self.engine is not None else self._needs

    # --- time ----------------------------------------------------------------------------

    def step(self) -> None:
        if self.step_count >= self.n_steps:
            self.running = False
            return
        self._advance()
        self.datacollector.collect(self)
        self.running = self.step_count < self.n_steps

    def run(self) -> None:
        """Every remaining step at once (what ``simulate`` does), without Mesa's event
        machinery per step; Mesa's clock then shows the steps taken."""
        k = 0
        while self.step_count < self.n_steps:
            self._advance()
            k += 1
        self.datacollector.collect_rows(self, k)
        self.steps += k
        self.time += k
        self._default_schedule.stop()  # type: ignore[has-type]
        self._default_schedule = EventGenerator(
            self,
            self._do_step,
            Schedule(interval=1.0, start=self.time + 1.0),
            priority=Priority.HIGH,
        ).start()
        self.running = False

    def _advance(self) -> None:
        if self.phase == "peace":
            day = self.step_count
            values, visits, serving = self._peace
            call(
                peace_day,
                self.roster,
                self.place,
                self.residents,
                self.S,
                values,
                day,
                visits,
                serving,
            )
            self._join(self.recruits[day])
            if self.routine is not None:
                self.routine.day(self.minute)
            self.minute += 1440.0
            self.step_count += 1
            if self.step_count == self.peace_steps:
                self._begin_war()
            self._record()
            return
        t0 = self.minute
        t1 = t0 + self._war_step_min
        for hz in self.hazards:
            hz.step(t0, t1)
        self.step_count += 1
        engine = self.engine
        assert engine is not None  # wartime
        engine.war_step(t0, t1, self.series, self.step_count, self._day0)
        self.minute = t1
        self._record_casualties()  # at the step's end: a need not yet reached counts to t1
        if engine.Q.counts[NEW_SITES]:
            for g in engine.new_sites.tolist():
                TemporaryPartyOrganization(
                    self,
                    node=g,
                    community=int(self.township.grid_community[g]),
                    grid=g,
                    created_min=t1,
                    members=int(engine.Q.site_members[g]),
                )
        for hz in self.hazards:
            if hz.ended and not hz.evaluated:
                hz.evaluated = True
                self._evaluate(hz, t1)
                self._record_attitudes()
        if self.joint_committee.mode != "war" and t1 >= engine.command_active:
            self.joint_committee.mode = "war"

    def _join(self, k: int) -> None:
        """k recruits join the standing volunteer team."""
        for r in range(self._next_recruit, self._next_recruit + k):
            self.roster.joined[r] = True
            AGENT_CLASSES[Role.VOLUNTEER](self, r)
        self._next_recruit += k

    def _begin_war(self) -> None:
        cfg, org, ro = self.config, self.config.organization, self.roster
        self.minute = 0.0
        self.phase = "war"
        if self.routine is not None:
            self.routine.end(self.minute)
        self.trust_before = float(self.residents.trust.mean())
        self.preparedness_before = float(self.residents.preparedness.mean())
        switch = org.wartime_switch_delay_min
        sent = np.flatnonzero(ro.role == SENT_DOWN_CADRE)
        for r in sent.tolist():  # sent down to the communities: on their teams from arrival
            ro.joined[r] = True
            AGENT_CLASSES[Role.SENT_DOWN_CADRE](self, r)
        members = ro.joined & ((ro.role != ORGAN_CADRE) | ro.registered)
        resp = cfg.response
        initiative = (
            resp.initiative_base
            + (1 - resp.initiative_base) * org.fault_tolerance_initiative_gain * org.fault_tolerance
        )
        ro.initiative[:] = np.where(members & ro.is_cadre, initiative, 0.0)
        self.roster = ro = call_up(
            ro,
            members,
            redeployable=org.dynamic_redeployment,
            coordinated=cfg.volunteers.coordinated,
        )
        self.engine = Engine(
            cfg,
            self._needs,
            ro,
            self.place,
            self.residents,
            self.S,
            start_min=0.0,
            residents_in=self.residents_in,
            distortion_stream=self._distortion_S,
            calls=self._calls_seed,
            dispatch_key=self._dispatch_key,
        )
        self.joint_committee.active_from = self.engine.command_active
        for gpo in self.grid_party_orgs:
            self.engine.Q.party_free[gpo.grid] = gpo.mobilized
        # Each unit takes time to switch mode; a cohesive community team switches faster.
        # Until the organization's wartime switch (organization.wartime_switch_delay_min
        # after the warning that begins wartime) it works as in peacetime: the community and
        # township staff take what reaches them, as they take routine cases; the organ
        # cadres, the standing volunteer team and the units' staff are called up, and the
        # grid party organizations mobilize (Engine), only at the switch.
        cohesion = self.place.cohesion[ro.community]
        delay = np.select(
            [
                ro.role == COMMUNITY_CADRE,
                ro.role == TOWNSHIP_CADRE,
                ro.role == ORGAN_CADRE,
                ro.role == SENT_DOWN_CADRE,
            ],
            [
                org.cadre_switch_min * (org.switch_factor_no_cohesion - cohesion),
                np.full(ro.n, org.cadre_switch_min),
                np.full(ro.n, switch + org.organ_mobilization_min),
                np.full(ro.n, switch + org.sent_down_after_hours * 60.0),
            ],
            switch + cfg.volunteers.callup_min,
        )
        idx = np.flatnonzero(members)
        ro.active_from[idx] = delay[idx]
        self.engine.push_each(delay[idx], PICK, idx)
        for unit in [self.township_committee, *self.community_orgs, *self.grid_party_orgs]:
            unit.mode = "war"
        self.log(switch, "wartime")
        if org.front_line_command:
            self.log(self.engine.command_active, "command")
        if len(sent):
            self.log(switch + org.sent_down_after_hours * 60.0, "sent_down", number=len(sent))

    def _evaluate(self, hazard: Any, t: float) -> None:
        """Front-line evaluation after an emergency: commend cadres who performed; residents
        whose needs were met in time trust the organization more, others less."""
        ro, cfg = self.roster, self.config
        served = ro.served_since_eval
        cadres = ro.is_cadre & ro.on_roster & (served > 0)
        n_commended = 0
        if cfg.organization.commendation and cadres.any():
            bar = max(1.0, float(np.median(served[cadres])))
            commended = ro.is_cadre & ro.on_roster & (served >= bar)
            ro.initiative[commended] += cfg.response.commendation_gain * (
                1 - ro.initiative[commended]
            )
            n_commended = int(commended.sum())
        served[:] = 0
        nd, res = self.needs, self.residents
        n = nd.n
        mine = nd.hazard[:n] == hazard.code
        response = nd.reached[:n] - nd.created[:n]
        good = mine & (response <= cfg.time.target_response_min)
        bad = mine & ~good
        change = cfg.organization.evaluation_trust_change
        res.trust[nd.resident[:n][good]] += change * (1 - res.trust[nd.resident[:n][good]])
        res.trust[nd.resident[:n][bad]] -= change * res.trust[nd.resident[:n][bad]]
        self.log(t, "evaluation", hazard.name, number=n_commended)

    # --- indicators and the event log -----------------------------------------------------

    def timeseries(self) -> pd.DataFrame:
        """The indicator series so far, a row per step (counts as integers)."""
        k = self.step_count + 1
        data: dict[str, np.ndarray] = {"step": np.arange(k)}
        for j, name in enumerate(SERIES):
            column = self.series[:k, j]
            data[name] = column if name in REAL else column.astype(np.int64)
        data["phase"] = np.where(data["phase_code"] == 1, "war", "peace")
        return pd.DataFrame(data)

    def _record(self) -> None:
        """The indicators of a peacetime step, or of the start (the engine writes those of
        a wartime step)."""
        row = self.series[self.step_count]
        row[:3] = self.minute, self.minute / 1440.0 + self.peace_steps, self.phase == "war"
        row[SERIES.index("susceptible") : ATTITUDES] = self.residents.epi_counts
        self._record_attitudes()

    def _record_casualties(self) -> None:
        """Expected deaths so far (``sim.survival.DeathTally``; a need not yet reached counts
        as reached now): in all needs, and in those whose report has reached the deciding
        unit."""
        row = self.series[self.step_count]
        row[CASUALTY_COLUMNS : CASUALTY_COLUMNS + 2] = self._deaths.at(self.needs, self.minute)

    def _record_attitudes(self) -> None:
        res, ro = self.residents, self.roster
        self.series[self.step_count, ATTITUDES:] = (
            res.trust.mean(),
            res.preparedness.mean(),
            self.place.familiarity.mean(),
            np.count_nonzero(ro.joined & (ro.role == VOLUNTEER)),
        )

    def log(
        self, minute: float, kind: str, hazard: str = "", grid: int = -1, number: int = -1
    ) -> None:
        if len(self.events) < MAX_LOG:
            self.events.append(LogEvent(float(minute), kind, hazard, grid, number))

    def sentence(self, event: LogEvent, lang: str = "en") -> str:
        return render(event, lang, self.grid_label)

    def clock_label(self, minute: float) -> str:
        total = minute + self.peace_steps * 1440
        day, rem = divmod(total, 1440)
        return f"Day {int(day) + 1} {int(rem // 60):02d}:{int(rem % 60):02d}"

    def grid_label(self, g: int) -> str:
        if self.township.grid_names is not None:  # a district's own names
            return self.township.grid_names[g]
        c = int(self.township.grid_community[g])
        k = int(np.count_nonzero(self.township.grid_community[:g] == c)) + 1
        return f"{community_letters(c)}-{k}"

    def __getattr__(self, name: str) -> Any:  # the latest indicators, for Mesa reporters
        column = TIMESERIES.index(name) if name in TIMESERIES else -1
        if column < 0 or "series" not in self.__dict__:
            raise AttributeError(name)
        return float(self.series[self.__dict__["step_count"], column])


class SeriesCollector(mesa.DataCollector):
    """Mesa's DataCollector over the model's indicator series (``GrassrootsModel.series``,
    filled by the engine each step): the same table as Mesa's, without Mesa's per-value
    reporter calls."""

    def collect(self, model: mesa.Model) -> None:
        self._collection_steps.append(model.time)
        row = model.series[model.step_count]
        for name, value in zip(TIMESERIES, row.tolist()):
            self.model_vars.setdefault(name, []).append(value if name in REAL else int(value))

    def collect_rows(self, model: mesa.Model, k: int) -> None:
        """The last k steps at once (``GrassrootsModel.run``)."""
        rows = model.series[model.step_count - k + 1 : model.step_count + 1]
        self._collection_steps.extend(model.time + np.arange(1, k + 1, dtype=float))
        for name, column in zip(TIMESERIES, rows.T):
            self.model_vars.setdefault(name, []).extend(
                column.tolist() if name in REAL else column.astype(np.int64).tolist()
            )


def community_letters(c: int) -> str:
    """A, B, ..., Z, AA, ...: a community's letters, as synthetic grids are named."""
    s = ""
    c += 1
    while c:
        c, r = divmod(c - 1, 26)
        s = chr(65 + r) + s
    return s
