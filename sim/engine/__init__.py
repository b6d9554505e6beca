"""The engine: everything between a need's creation and its resolution, compiled.

``Engine`` holds one response's state (the need table, the roster, the loop) and calls the
compiled step (``step.py``), growing arrays between calls when the step asks for it. The
wartime response and the peacetime routine work are two engines on the same township.
The mechanisms are specified in words in docs/ODD.md (Submodels); the modules here:
``chain`` (offices and routes), ``dispatch`` (decisions and who goes), ``service`` (arrival,
service, rest, residents' pools, incident sites) and ``step`` (detection, the event loop,
harm, indicators).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from ..codes import COMMAND, COMMUNITY, DECIDE_BATCH, DISTRICT, GRID, TOWNSHIP
from ..jit import call
from ..needs import N_UNDETECTED, NeedTable
from ..params import Structure
from ..registry import mechanism
from ..roster import Roster
from . import step
from .chain import handlers
from .dispatch import fill_buckets
from .heap import push, push_many
from .state import (
    CALL_START,
    STREET,
    CallSources,
    Count,
    Loop,
    Par,
    Place,
    Sum,
    grown,
    make_loop,
    needs_room,
    office_rows,
)

if TYPE_CHECKING:
    from ..params import Config
    from ..residents import Residents

__all__ = ["Engine", "Place", "Loop", "Par", "Count", "Sum", "lines_apart", "office_rows"]


def lines_apart(config: Config) -> bool:
    """Whether needs are served by their owning line only (siloed, pre-reform)."""
    return config.organization.structure in (Structure.SILOED, Structure.PRE_REFORM)


def siloed_lines(config: Config, ro: Roster, needs: NeedTable, n_communities: int) -> np.ndarray:
    """Siloed structure (and the pre-reform street's departments): the line that takes each
    owning line's needs in each community: the owning line where some responder who may
    serve the community belongs to it, else any line (-1: whoever of the community is
    there), so that no need is left without anyone allowed to meet it."""
    if not lines_apart(config):
        return np.full((n_communities, 1), -1, dtype=np.int64)  # no lines to keep apart
    n_lines = (
        max(
            int(needs.type_line.max(initial=0)),
            int(ro.line.max(initial=0)),
            config.organization.siloed_lines - 1,
            0,
        )
        + 1
    )
    table = np.full((n_communities, n_lines), -1, dtype=np.int64)
    anywhere = ro.line[ro.anywhere & ro.dispatchable]
    for c in range(n_communities):
        present = np.union1d(ro.line[ro.fixed_idx[ro.fixed_ptr[c] : ro.fixed_ptr[c + 1]]], anywhere)
        table[c, present[present >= 0]] = present[present >= 0]
    return table


def withhold_chance(config: Config) -> float:
    """The chance that an office above the grid holds back a severe need's report it passes
    on to another office (``distortion.pass_on``): the base chance per level times the blame
    for bad news, lowered by fault tolerance (by the share of the fear of blame it removes)
    and by front-line inspection (by the share of the front line it covers)."""
    org = config.organization
    chance = (
        config.reporting.withhold_per_level
        * org.blame_for_bad_news
        * (1.0 - org.fault_tolerance_initiative_gain * org.fault_tolerance)
        * (1.0 - org.front_line_inspection)
    )
    return min(1.0, chance)


def call_sources(
    config: Config,
    route: tuple[tuple[int, ...], tuple[int, ...]],
    rows: dict[int, int],
    residents_in: np.ndarray,
    start_min: float,
    command_active: float,
    seed: np.random.SeedSequence,
) -> CallSources:
    """Residents' calls in an emergency (``chain.calls_until``): the street's to the street
    office on the route in force (the command once it convenes where the route passes it
    or a grid escalates to it, else the township office), each community's to its office,
    at the normal rates times the surge factor; a stream per source from `seed`."""
    rep = config.reporting

    def street(offices: tuple[int, ...], fallback: int) -> int:
        office = COMMAND if COMMAND in offices else TOWNSHIP if TOWNSHIP in offices else fallback
        return rows[office]

    per_min = rep.call_surge_factor / 1000 / 1440
    n_comm = len(residents_in)
    rate = (
        np.concatenate(
            [
                [rep.street_calls_per_1000_per_day * residents_in.sum()],
                rep.community_calls_per_1000_per_day * residents_in,
            ]
        )
        * per_min
    )
    where = np.array(
        [
            [street(route[0], TOWNSHIP), street(route[1], COMMAND)],
            *[[rows[COMMUNITY] + c] * 2 for c in range(n_comm)],
        ],
        dtype=np.int64,
    )
    switch = np.full(1 + n_comm, math.inf)
    switch[STREET] = command_active
    streams = seed.generate_state(4 * (1 + n_comm), np.uint64).reshape(-1, 4)
    streams[~streams.any(axis=1), 0] = 1  # xoshiro's state is never all zeros
    return CallSources(
        rate,
        where,
        switch,
        streams,
        rep.call_handling_min,
        rep.call_patience_min,
        start_min,
        math.ceil(config.time.war_hours / 24) + 1,
    )


class Engine:
    """One response: its need table ``N``, roster ``R``, loop ``Q``, parameters ``P`` and
    random stream ``S``, on the place ``W`` and residents ``Rs``.

    Args:
        start_min: when it starts (wartime: 0; routine work: the first peacetime minute).
        peace: routine work: offices are open from the start, no front-line command
            convenes, no one volunteers spontaneously.
        residents_in: residents per community (office sizes).
        patrol_per_hour, resident_factor: detection rates of routine cases (default: the
            detection section's).
        distortion_stream: the random stream of holding back reports (wartime;
            ``distortion.pass_on``).
        calls: the seed of residents' calls to the offices (``call_sources``); None: no
            calls (routine work).
        dispatch_key: the key of the draws that misroute dispatches (``sim.rng.key``).
    """

    def __init__(
        self,
        config: Config,
        needs: NeedTable,
        roster: Roster,
        place: Place,
        residents: Residents,
        stream: np.ndarray,
        *,
        start_min: float,
        residents_in: np.ndarray,
        peace: bool = False,
        patrol_per_hour: float | None = None,
        resident_factor: float = 1.0,
        distortion_stream: np.ndarray | None = None,
        calls: np.random.SeedSequence | None = None,
        dispatch_key: float = 0.0,
    ) -> None:
        cfg, org, rep = config, config.organization, config.reporting
        self.mechanism = mechanism(rep.mechanism)
        pre_reform = org.structure == Structure.PRE_REFORM
        # The grid manager's handling of a report: none in the pre-reform street, where the
        # department a resident reaches takes the report in (``intake.py``).
        grid_delay = 0.0 if pre_reform else rep.grid_delay_min
        # The organization's wartime switch (none in routine work): the command convenes,
        # party members mobilize and temporary party organizations form only after it.
        self.war_switch = -math.inf if peace else start_min + org.wartime_switch_delay_min
        self.command_active = (
            self.war_switch + org.command_convene_min
            if org.front_line_command and not peace
            else math.inf
        )
        n_grids, n_comm = len(place.grid_community), len(place.cohesion)
        n = float(residents_in.sum())
        opens = -math.inf if peace else start_min + org.cadre_switch_min
        rows = office_rows(n_grids, n_comm)
        per_row = (
            [(1, grid_delay, -math.inf)] * n_grids
            + [
                (handlers(rep.community_handlers_per_10k, k), rep.community_delay_min, -math.inf)
                for k in residents_in
            ]
            + [
                (handlers(rep.township_handlers_per_10k, n), rep.township_delay_min, opens),
                (
                    handlers(rep.command_handlers_per_10k, n),
                    rep.command_delay_min,
                    self.command_active,
                ),
            ]
            + [(handlers(rep.upper_handlers_per_10k, n), rep.upper_delay_min, opens)] * 3
        )
        assert len(per_row) == rows[DISTRICT] + 3
        delays = {
            GRID: grid_delay,
            COMMUNITY: rep.community_delay_min,
            TOWNSHIP: rep.township_delay_min,
            COMMAND: rep.command_delay_min,
            **{DISTRICT + k: rep.upper_delay_min for k in range(3)},
        }
        route = self.mechanism.route(cfg)
        sources = (
            None
            if calls is None or peace
            else call_sources(cfg, route, rows, residents_in, start_min, self.command_active, calls)
        )
        self.Q = make_loop(
            n_grids,
            n_comm,
            [h for h, _, _ in per_row],
            [d for _, d, _ in per_row],
            [o for _, _, o in per_row],
            delays,
            route,
            siloed_lines(cfg, roster, needs, n_comm),
            sources,
            roster.n,
            distortion_stream,
        )
        self.Q.sums[Sum.NOW] = start_min
        self.N, self.R, self.W, self.Rs, self.S = needs, roster, place, residents, stream
        call(fill_buckets, roster, place)
        self.P = self._params(cfg, start_min, peace, patrol_per_hour, resident_factor)
        self.P[Par.DISPATCH_KEY] = dispatch_key
        self._no_series = np.zeros((1, len(step.SERIES)))
        if self.mechanism.batch_before_command:  # joint meetings until the command convenes
            end = 0.0 if peace else min(self.command_active, start_min + cfg.time.war_hours * 60)
            t = start_min + rep.joint_meeting_interval_min
            while t < end:
                self.push(t, DECIDE_BATCH)
                t += rep.joint_meeting_interval_min
        if math.isfinite(self.command_active):  # the command decides what has gathered
            self.push(self.command_active, DECIDE_BATCH)

    def _params(
        self, cfg: Config, start: float, peace: bool, patrol: float | None, resident_factor: float
    ) -> np.ndarray:
        org, rep, resp, det, vol, rt = (
            cfg.organization,
            cfg.reporting,
            cfg.response,
            cfg.detection,
            cfg.volunteers,
            cfg.routine,
        )
        mech = self.mechanism
        pre_reform = org.structure == Structure.PRE_REFORM
        values = {
            Par.LOCAL_WAIT: resp.local_action_after_min,
            Par.SILOED: lines_apart(cfg),
            Par.SILOED_LINES: org.siloed_lines,
            Par.HANDOFF_DELAY: org.handoff_delay_min,
            Par.LOCAL_TRAVEL: cfg.space.local_travel_min,
            Par.GRID_DELAY: rep.grid_delay_min,
            Par.PARTY_ACTIVE_FROM: -math.inf if peace else self.war_switch + org.cadre_switch_min,
            Par.PEACE: peace,
            Par.MUTUAL_AID_FACTOR: vol.mutual_aid_factor if org.mutual_aid else 1.0,
            Par.SPONTANEOUS_SHARE: vol.spontaneous_share,
            Par.COMMAND_ACTIVE: self.command_active,
            Par.BATCH: mech.batch_before_command,
            Par.LOCAL_FIRST: mech.local_first,
            Par.KNOWS_LOCAL: mech.knows_local_responses,
            Par.AUTONOMY_ESCALATE: rep.autonomy_escalate_min,
            Par.LOSS: rep.loss_per_level,
            Par.MAX_RESENDS: rep.max_resends,
            Par.RESEND_AFTER: rep.resend_after_min,
            Par.LOCAL_NEWS_DELAY: rep.local_news_delay_min,
            Par.DETERIORATION: resp.deterioration_per_hour,
            Par.MISMATCH_FACTOR: resp.skill_mismatch_factor,
            Par.URGENCY_PER_TRAVEL: resp.urgency_per_travel_min,
            Par.DUPLICATE_VISIT: resp.duplicate_visit_min,
            Par.SKILL_EFFORT_GAIN: resp.skill_effort_gain,
            Par.COHESION_EFFORT_GAIN: resp.cohesion_effort_gain,
            Par.SHIFT_MIN: org.shift_hours * 60,
            Par.REST_MIN: org.rest_hours * 60,
            Par.ISOLATION: cfg.epidemic.isolation,
            Par.TEMP_ORGS: org.temporary_party_orgs,
            Par.TEMP_ORG_MIN_NEEDS: resp.temp_org_min_needs,
            Par.TEMP_ORG_PARTY_SHARE: resp.temp_org_party_share,
            Par.DETECT_SELF: det.self_report_per_hour,
            Par.DETECT_NEIGHBOUR: det.neighbour_report_per_hour
            * (1.0 if org.mutual_aid else det.neighbour_factor_without_mutual_aid),
            # No grid manager patrols the pre-reform street: residents' complaints only.
            Par.DETECT_GRID_MANAGER: 0.0
            if pre_reform
            else det.grid_manager_per_hour
            if patrol is None
            else patrol,
            Par.DETECT_RESIDENT_FACTOR: resident_factor,
            Par.WITHHOLD: 0.0 if peace else withhold_chance(cfg),
            Par.WITHHOLD_MEAN: rep.withhold_mean_min,
            Par.SEVERE: rep.severe_threshold,
            Par.WAR_SWITCH: self.war_switch,
            Par.FATIGUE_RATE: org.fatigue_per_hour,
            Par.FATIGUE_AFTER: org.fatigue_after_hours * 60,
            # The pre-reform street's departments (``intake.py``): in routine work they keep
            # office hours on working days and pick transfers up in a batch; in an emergency
            # they are always open and a transfer takes the hand-off delay.
            Par.PRE_REFORM: pre_reform,
            Par.MISROUTE: org.transfer_misroute_share,
            Par.STALL: org.ownerless_stall_share,
            Par.RECOMPLAINT: rt.recomplaint_days * 1440.0 if peace else rep.resend_after_min,
            Par.TRANSFER_DAYS: rt.transfer_working_days if peace else 0,
            Par.OFFICE_ORIGIN: start,
            Par.OFFICE_OPEN: rt.duty_start_hour * 60.0,
            Par.OFFICE_MIN: rt.department_hours * 60.0 if peace else 1440.0,
            Par.OFFICE_DAYS: rt.department_days_per_week if peace else 7,
            # Unified intake dispatches through one unit, right at once or sent back.
            Par.DISPATCH_ACCURACY: 1.0 if pre_reform else rep.dispatch_accuracy,
            Par.REDISPATCH_DELAY: rt.redispatch_h * 60.0 if peace else rep.redispatch_min,
        }
        p = np.zeros(len(Par))
        for key, value in values.items():
            p[key] = float(value)
        return p

    # --- events --------------------------------------------------------------------------

    @property
    def now(self) -> float:
        return float(self.Q.sums[Sum.NOW])

    def _room(self, extra: int) -> None:
        if needs_room(self.Q, extra):
            self.Q = grown(self.Q, extra)

    def push(self, t: float, kind: int, a: int = 0, b: int = 0, c: int = 0) -> None:
        if t < self.now:
            raise ValueError(f"event at minute {t} is before now ({self.now})")
        self._room(1)
        call(push, self.Q, float(t), int(kind), int(a), int(b), int(c))

    def push_each(
        self, times: np.ndarray, kind: int, a: np.ndarray, b: np.ndarray | None = None
    ) -> None:
        """One event of `kind` per entry, in order."""
        times = np.ascontiguousarray(times, dtype=float)
        if len(times) == 0:
            return
        if times.min() < self.now:
            raise ValueError(f"event at minute {times.min()} is before now ({self.now})")
        self._room(len(times))
        b = np.zeros(len(times), np.int64) if b is None else b
        call(
            push_many,
            self.Q,
            times,
            int(kind),
            np.ascontiguousarray(a, dtype=np.int64),
            np.ascontiguousarray(b, dtype=np.int64),
        )

    # --- steps ---------------------------------------------------------------------------

    def war_step(self, t0: float, t1: float, series: np.ndarray, row: int, day0: float) -> None:
        """A wartime step; its indicators into series[row] (``step.SERIES``; `day0`: the
        day wartime began)."""
        self._step(step.WAR, t0, t1, day0, 0.0, series, row)

    def duty_day(self, t0: float, t1: float, start: float, stop: float) -> None:
        """A routine day: detection, staff on duty from `start` to `stop`, events to t1."""
        self._step(step.DUTY, t0, t1, start, stop, self._no_series, 0)

    def _step(
        self,
        mode: int,
        t0: float,
        t1: float,
        start: float,
        stop: float,
        series: np.ndarray,
        row: int,
    ) -> None:
        resume = False
        while status := call(
            step.step,
            self.N,
            self.R,
            self.W,
            self.Rs,
            self.Q,
            self.P,
            self.S,
            mode,
            t0,
            t1,
            start,
            stop,
            resume,
            series,
            row,
        ):
            self.Q = grown(self.Q, int(self.N.meta[N_UNDETECTED]) + 2)
            resume = status == step.GROW

    # --- counters --------------------------------------------------------------------------

    def calls(self) -> dict[str, float]:
        """Residents' calls to the offices so far: received and answered at the street's
        duty room and at the community offices, the street's worst day's answered share
        (days with calls), and answered calls per community office handler per day."""
        q = self.Q
        street, comm = q.call_count[STREET], q.call_count[1:].sum(axis=0)
        days = q.call_day[q.call_day[:, 0] > 0]
        handlers = sum(
            int(q.office_n[r])
            for s, r in enumerate(q.call_rows[:, 0])
            if s != STREET and q.call_rate[s] > 0
        )
        span = max(self.now - float(q.call_const[CALL_START]), 0.0) / 1440
        return {
            "street_received": float(street[0]),
            "street_answered": float(street[1]),
            "community_received": float(comm[0]),
            "community_answered": float(comm[1]),
            "street_worst_day": float((days[:, 1] / days[:, 0]).min()) if len(days) else math.nan,
            "per_community_handler_day": float(comm[1]) / (handlers * span)
            if handlers and span > 0
            else math.nan,
        }

    def count(self, which: Count) -> int:
        return int(self.Q.counts[which])

    def total(self, which: Sum) -> float:
        return float(self.Q.sums[which])

    @property
    def new_sites(self) -> np.ndarray:
        """Grids that got a temporary party organization in the last step."""
        return self.Q.new_sites[: self.count(Count.NEW_SITES)]
