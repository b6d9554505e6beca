"""Routine cases in peacetime: the daily work that the grid system exists for.

Every peacetime day residents raise routine cases (repairs, disputes, welfare, sanitation).
They go through the same chain as an emergency's needs: the model's detection, the reporting
mechanism's queues (hand-offs between lines in the siloed structure), dispatch and service by
the community and township staff on duty, and, in the integrated_party structure, grid party
members who take cases at the grid. "Combining peacetime and emergency work": handling cases
is how familiarity with the grids, residents' trust, handlers' skill and the community teams'
cohesion grow before an emergency, and how well they are handled (hours to close, share
closed within the deadline) is what field data measure.

The routine work runs on its own need table, roster, response and random stream, swapped into
the model only while a duty day runs: the timeseries, the wartime clock and every emergency
outcome stay about the emergency alone, and with no cases (rate 0) the run is the same as
without routine work.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from .agents import CommunityCadre, TownshipCadre
from .needs import REPORTED, RESOLVED, TYPE_NAMES, Needs, type_lines
from .roster import COMMUNITY_CADRE, Roster

if TYPE_CHECKING:
    from .world import World

ROUTINE_KIND = TYPE_NAMES.index("routine")
NO_HAZARD = -1
STAGES = ("created", "detected", "reported", "dispatched", "reached", "resolved")
STATUSES = ("closed", "unclosed", "open")  # open: not yet filed, or its deadline not reached


class RoutineWork:
    """Routine cases of the peacetime phase and what handling them builds."""

    def __init__(self, model: World, seed: np.random.SeedSequence) -> None:
        self.m = model
        self.p = model.config.routine
        # Cases arrive on their own stream: structures and mechanisms face the same cases.
        cases_ss, behaviour_ss, referral_ss = seed.spawn(3)
        self.case_rng = np.random.default_rng(cases_ss)
        self.referral_rng = np.random.default_rng(referral_ss)
        self.rng = np.random.default_rng(behaviour_ss)
        self.cases = Needs(type_lines(model.config.needs))
        # Routine work is the job of the community and township staff; organ cadres and
        # volunteers are called up only in an emergency.
        staff = [a for cls in (CommunityCadre, TownshipCadre) for a in model.agents_of(cls)]
        with self._on_duty(roster=False):
            self.roster = Roster(staff, n_communities=model.township.n_communities,
                                 redeployable=model.config.organization.dynamic_redeployment,
                                 coordinated=True)
            model.roster = self.roster  # the response reads it (lines per community)
            self.response = model.response_class(model, model.minute, peace=True)
        for a in staff:
            a.idx = -1  # on the roster only while a duty day runs
        self.roster.initiative[:] = 0.0  # routine cases go through the chain
        self._set_party_members()
        self.settled = np.zeros(0, dtype=bool)  # trust, familiarity... already applied
        self.missed = np.zeros(0, dtype=bool)   # not closed within the deadline
        self.referral = np.zeros(0)  # minutes from the visit to closure above the street
        self.start_min = model.minute
        self.end_min = math.nan

    def _set_party_members(self) -> None:
        """Grid party members who take routine cases at the grid (integrated_party only)."""
        free = self.response.party_free
        free[:] = 0
        share = self.p.party_service_share
        for gpo in self.m.grid_party_orgs:
            free[gpo.grid] = self.rng.binomial(gpo.members, share)

    @contextmanager
    def _on_duty(self, roster: bool = True) -> Iterator[None]:
        """The model's chain works on the routine cases (its own table, roster, response and
        random stream) for the duration; then the model is as it was."""
        m = self.m
        saved = m.needs, m.response, m.roster, m.rng
        need_state = m.residents.need_state.copy()
        m.needs, m.rng = self.cases, self.rng
        if roster:
            m.response, m.roster = self.response, self.roster
            for i, a in enumerate(self.roster.agents):
                a.idx = i
        try:
            yield
        finally:
            m.needs, m.response, m.roster, m.rng = saved
            m.residents.need_state[:] = need_state
            if roster:
                for a in self.roster.agents:
                    a.idx = -1

    # --- one peacetime day -----------------------------------------------------------------

    def day(self, t0: float) -> None:
        """The routine work of the day starting at minute t0."""
        p, ro = self.p, self.roster
        t1 = t0 + 1440.0
        ro.skill_level[:] = [a.skill_level for a in ro.agents]  # training in peace_day
        served0 = ro.served.copy()
        with self._on_duty():
            self._raise_cases(t0)
            self.response.detect(t0, t1, patrol_per_hour=p.patrol_find_per_hour,
                                 resident_factor=p.resident_report_factor)
            start = t0 + p.duty_start_hour * 60.0
            ro.shift_min[:] = 0.0
            ro.active_from[:] = start
            self.response.q.at(start, self._on_duty_start)
            self.response.q.at(min(start + p.duty_hours * 60.0, t1 - 1e-6), self._off_duty)
            self.response.q.run_until(t1)
            self.response.compact_known()
        self._settle(t1, ro.served - served0)

    def _raise_cases(self, t0: float) -> None:
        p, m, rng = self.p, self.m, self.case_rng
        res = m.residents
        k = int(rng.poisson(p.cases_per_1000_per_day * res.n / 1000.0))
        if k == 0:
            return
        lo, hi = sorted((p.raised_from_hour, p.raised_until_hour))
        created = np.sort(t0 + 60.0 * rng.uniform(lo, hi, size=k))
        resident = rng.integers(res.n, size=k)
        if m.config.response.effort_distribution == "exponential":
            effort = p.effort_min * rng.exponential(1.0, size=k)
        else:
            effort = p.effort_min * rng.uniform(0.6, 1.4, size=k)
        ids = self.cases.add(created=created, grid=res.grid[resident],
                             kind=np.full(k, ROUTINE_KIND), hazard=NO_HAZARD,
                             resident=resident, vulnerable=res.vulnerable[resident],
                             persons=res.household_size[res.household[resident]].astype(float),
                             severity0=np.zeros(k), effort=effort, harm_weight=np.ones(k))
        # Each line (department) owns an equal share of routine work (siloed structure).
        self.cases.line[ids] = rng.integers(m.config.organization.siloed_lines, size=k)
        self.settled = np.concatenate([self.settled, np.zeros(k, dtype=bool)])
        self.missed = np.concatenate([self.missed, np.zeros(k, dtype=bool)])
        # Cases beyond the grid system's reach (a department above the street must act):
        # after the staff's visit they go up the chain and close after a referral delay.
        # Both draws are made for every case, so the share changes which cases are referred
        # and not the delays (common random numbers).
        beyond = self.referral_rng.random(k) < p.beyond_grid_share
        delay = self.referral_rng.exponential(p.referral_delay_h * 60.0, size=k)
        self.referral = np.concatenate([self.referral, np.where(beyond, delay, 0.0)])

    def _on_duty_start(self, t: float, r: int = 0) -> None:
        """Staff come on duty; while cases wait for dispatch, one after another takes the
        most urgent it may serve (community cadres first, as the roster lists them)."""
        c = self.cases
        if r < self.roster.n and np.any(c.state[:c.n] == REPORTED):
            self.response.activate(r, t)
            self.response.q.at(t, self._on_duty_start, r + 1)

    def _off_duty(self, t: float) -> None:
        """Staff stop taking cases; who is on a case finishes it."""
        self.roster.active_from[:] = math.inf

    # --- what handling builds ----------------------------------------------------------------

    def _settle(self, t: float, served_today: np.ndarray) -> None:
        """Apply what the day's closed and overdue cases did to trust, familiarity, skill and
        cohesion (once per case)."""
        p, m, c = self.p, self.m, self.cases
        res, tw = m.residents, m.township
        n = c.n
        closed_at = self.closed_at()
        handling = closed_at - c.detected[:n]
        deadline = p.closure_deadline_h * 60.0
        closed = (closed_at <= t) & ~self.settled
        overdue = ~self.missed & (c.detected[:n] + deadline <= t) & \
            ~(handling <= deadline)
        # Residents' trust: satisfied when closed soon, not when late or overdue (once).
        happy = closed & ~self.missed & (handling <= p.satisfied_within_h * 60.0)
        unhappy = (closed & ~self.missed & ~happy) | overdue
        self.settled |= closed
        self.missed |= overdue
        up = np.bincount(res.household[c.resident[:n][happy]], minlength=res.n_households)
        down = np.bincount(res.household[c.resident[:n][unhappy]], minlength=res.n_households)
        g_up = np.bincount(c.grid[:n][happy], minlength=tw.n_grids)
        g_down = np.bincount(c.grid[:n][unhappy], minlength=tw.n_grids)
        gain = _compound(p.trust_gain, up)[res.household] + \
            _compound(p.trust_spillover * p.trust_gain, g_up)[res.grid]
        loss = _compound(p.trust_loss, down)[res.household] + \
            _compound(p.trust_spillover * p.trust_loss, g_down)[res.grid]
        res.trust += np.minimum(gain, 1.0) * (1.0 - res.trust)
        res.trust -= np.minimum(loss, 1.0) * res.trust
        # The grid manager and cadres get to know the grids where they close cases.
        fam = m.familiarity
        fam += _compound(p.familiarity_gain, np.bincount(c.grid[:n][closed],
                                                         minlength=tw.n_grids)) * (1 - fam)
        # Learning by doing, up to a cap; a community team works together.
        ro = self.roster
        below = ro.skill_level < p.skill_cap
        ro.skill_level[below] += _compound(p.skill_gain, served_today[below]) * \
            (p.skill_cap - ro.skill_level[below])
        for a, level in zip(ro.agents, ro.skill_level):
            a.skill_level = float(level)
        team = ro.role == COMMUNITY_CADRE
        per_team = np.bincount(ro.community[team], weights=served_today[team],
                               minlength=tw.n_communities)
        team_gain = _compound(p.cohesion_gain, per_team)
        for cpo in m.community_orgs:
            cpo.cohesion += team_gain[cpo.community] * (1 - cpo.cohesion)

    def end(self, t: float) -> None:
        """The emergency begins at minute t: routine work stops (open cases stay open)."""
        self.end_min = t
        for a in self.roster.agents:
            a.idx = -1

    # --- outcomes ----------------------------------------------------------------------------

    def closed_at(self) -> np.ndarray:
        """When each case closes: the staff's visit, plus the referral delay for a case
        beyond the grid's reach (NaN while not served; may lie after the day's end)."""
        c, n = self.cases, self.cases.n
        resolved = np.where(c.state[:n] == RESOLVED, c.resolved[:n], np.nan)
        return resolved + self.referral[:n]

    def status(self) -> np.ndarray:
        """Each case's status code at the end of peacetime (index into STATUSES)."""
        c, n = self.cases, self.cases.n
        closed_at = self.closed_at()
        end = self.end_min if math.isfinite(self.end_min) else math.inf
        closed = (closed_at <= end) & \
            (closed_at - c.detected[:n] <= self.p.closure_deadline_h * 60.0)
        return np.where(closed, 0, np.where(self.missed, 1, 2))

    def outcomes(self) -> dict[str, float]:
        c, n = self.cases, self.cases.n
        st = self.status()
        decided = np.count_nonzero(st < 2)
        # Over the cases closed within the deadline: the rest count as unclosed (F1, F2).
        handling = (self.closed_at() - c.detected[:n])[st == 0]
        days = (self.end_min - self.start_min) / 1440.0
        filed = np.count_nonzero(np.isfinite(c.detected[:n]))
        return {
            "routine_mean_handling_h": float(handling.mean() / 60.0) if len(handling)
            else math.nan,
            "routine_closure_share": float(np.count_nonzero(st == 0) / decided) if decided
            else math.nan,
            "routine_cases_per_1000_per_day": float(filed / (self.m.residents.n / 1000.0) / days)
            if days > 0 else math.nan,
        }

    def log(self) -> pd.DataFrame:
        """One row per routine case: the time of each stage (minutes since wartime began, so
        negative), the owning line and the status at the end of peacetime."""
        c, n = self.cases, self.cases.n
        columns = {"case_id": np.arange(n), "grid": c.grid[:n],
                   "community": self.m.township.grid_community[c.grid[:n]],
                   "line": c.line[:n], "effort_min": c.effort[:n]}
        columns.update({f"{stage}_min": getattr(c, stage)[:n] for stage in STAGES})
        columns["referred"] = self.referral[:n] > 0
        columns["closed_min"] = self.closed_at()
        columns["status"] = pd.Categorical.from_codes(self.status(), STATUSES)
        return pd.DataFrame(columns)


def _compound(gain: float, times: np.ndarray) -> np.ndarray:
    """The share gained toward the bound after `times` steps of `gain` each."""
    out = np.zeros(len(times))
    some = times > 0
    out[some] = -np.expm1(np.log1p(-min(gain, 1.0 - 1e-12)) * times[some])
    return out


def routine_outcomes(m: World) -> dict[str, float]:
    """The routine outcomes of a run (NaN without a peacetime phase)."""
    rw = getattr(m, "routine", None)
    if rw is None or not math.isfinite(rw.end_min):
        return dict.fromkeys(("routine_mean_handling_h", "routine_closure_share",
                              "routine_cases_per_1000_per_day"), math.nan)
    return rw.outcomes()
