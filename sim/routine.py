"""Routine cases in peacetime: the daily work that the grid system exists for.

Every peacetime day residents raise routine cases (repairs, disputes, welfare, sanitation).
They go through the same chain as an emergency's needs: detection, the reporting
mechanism's queues (hand-offs between lines in the siloed structure; in the pre-reform
street, the departments' intake, transfers and office hours), dispatch and service
by the community and township staff on duty, and, in the integrated_party structure, grid
party members who take cases at the grid. "Combining peacetime and emergency work":
handling cases is how familiarity with the grids, residents' trust, handlers' skill and the
community teams' cohesion grow before an emergency, and how well they are handled (hours to
close, share closed within the deadline) is what field data measure.

The routine work is its own engine (``sim/engine``): its own case table, roster of staff,
offices and random streams, on the same township: the timeseries and every emergency outcome
stay about the emergency alone, and with no cases (rate 0) the run is the same as without.
"""

from __future__ import annotations

import math
from types import SimpleNamespace
from typing import TYPE_CHECKING, NamedTuple

import numpy as np
import pandas as pd

from .codes import COMMUNITY_CADRE, GENERAL, RESOLVED, TOWNSHIP_CADRE, Channel
from .detmath import expm1, log1p, power
from .engine import Engine
from .jit import call, entry, jit, table
from .needs import add_need, new_table
from .params import Structure
from .registry import NeedType, need_code, register_need_type, type_arrays
from .rng import binomial, exponential, index, key, poisson, random, stream, uniform
from .roster import call_up, make_roster

if TYPE_CHECKING:
    from .view import ModelView

ROUTINE = NeedType("routine", GENERAL, {"en": "routine case", "zh": "日常事务"})
register_need_type(ROUTINE)
NO_HAZARD = -1
STAGES = ("created", "detected", "reported", "dispatched", "reached", "resolved")
STATUSES = ("closed", "unclosed", "open")  # open: not yet filed, or its deadline not reached
OUTCOMES = (
    "routine_mean_handling_h",
    "routine_closure_share",
    "routine_cases_per_1000_per_day",
    "routine_share_found_by_grid",
    "routine_mean_handling_all_h",
)


@table
class CaseBook(NamedTuple):
    """Per case, beside its need-table row: minutes from the visit to closure above the
    street (0: closed by the visit), and whether its effects were applied."""

    referral: np.ndarray
    settled: np.ndarray  # closed, and its trust, familiarity... applied
    missed: np.ndarray  # not closed within the deadline
    open_ids: np.ndarray  # cases not yet final, open_n[0] of them
    open_n: np.ndarray


class RoutineWork:
    """Routine cases of the peacetime phase and what handling them builds."""

    def __init__(self, model: ModelView, seed: np.random.SeedSequence) -> None:
        self.m = model
        self.p = p = model.config.routine
        cfg = model.config
        # (a fourth child keys the misrouting draws: the first three are as they were)
        cases_ss, behaviour_ss, referral_ss, dispatch_ss = seed.spawn(4)
        self.cases_S, self.referral_S = stream(cases_ss), stream(referral_ss)
        main = model.roster
        # Routine work is the job of the community and township staff; organ cadres and
        # volunteers are called up only in an emergency.
        self.staff = np.flatnonzero((main.role == COMMUNITY_CADRE) | (main.role == TOWNSHIP_CADRE))
        traits = {
            k: getattr(main, k)[self.staff]
            for k in (
                "role",
                "community",
                "home_node",
                "skill",
                "skill_level",
                "line",
                "professional",
                "first_secretary",
            )
        }
        tw = model.township
        roster = call_up(
            make_roster(traits, tw.n_communities),
            np.ones(len(self.staff), bool),
            redeployable=cfg.organization.dynamic_redeployment,
            coordinated=True,
        )
        expected = p.cases_per_1000_per_day * model.residents.n / 1000 * cfg.time.peace_days
        needs = new_table(
            type_arrays(cfg),
            cfg.needs.effort_spread,
            cfg.response.effort_distribution == "exponential",
            cfg.response.vulnerable_harm_factor,
            capacity=256 + int(1.2 * expected),
        )
        # Its own residents' need states: routine cases leave the emergency's untouched.
        residents = model.residents._replace(
            need_state=np.zeros_like(model.residents.need_state),
            isolated=np.zeros_like(model.residents.isolated),
        )
        self.engine = Engine(
            cfg,
            needs,
            roster,
            model.place,
            residents,
            stream(behaviour_ss),
            start_min=model.minute,
            residents_in=model.residents_in,
            peace=True,
            patrol_per_hour=p.patrol_find_per_hour,
            resident_factor=p.resident_report_factor,
            dispatch_key=key(dispatch_ss),
        )
        q = self.engine.Q
        for gpo in model.grid_party_orgs:  # grid party members who take cases at the grid
            q.party_free[gpo.grid] = binomial(self.engine.S, gpo.members, p.party_service_share)
        cap = len(needs.state)
        self.book = CaseBook(
            np.zeros(cap),
            np.zeros(cap, bool),
            np.zeros(cap, bool),
            np.zeros(cap, np.int64),
            np.zeros(1, np.int64),
        )
        self.values = np.array(
            [
                p.cases_per_1000_per_day * model.residents.n / 1000.0,
                min(p.raised_from_hour, p.raised_until_hour),
                max(p.raised_from_hour, p.raised_until_hour),
                p.effort_min,
                cfg.organization.siloed_lines,
                p.beyond_grid_share,
                p.referral_delay_h * 60.0,
                p.closure_deadline_h * 60.0,
                p.satisfied_within_h * 60.0,
                p.trust_gain,
                p.trust_loss,
                p.trust_spillover,
                p.familiarity_gain,
                p.skill_gain,
                p.skill_cap,
                p.cohesion_gain,
            ]
        )
        n_hh, n_grids = model.residents.n_households, tw.n_grids
        self.scratch = (np.zeros((2, n_hh)), np.zeros((3, n_grids)), np.zeros(tw.n_communities))
        self.start_min = model.minute
        self.end_min = math.nan

    @property
    def cases(self):  # the case table (a NeedTable)
        return self.engine.N

    # --- one peacetime day -----------------------------------------------------------------

    def day(self, t0: float) -> None:
        """The routine work of the day starting at minute t0."""
        p, eng, main = self.p, self.engine, self.m.roster
        t1 = t0 + 1440.0
        eng.R.skill_level[:] = main.skill_level[self.staff]  # training on the peace day
        served = eng.R.served.copy()
        saved = self.cases_S.copy(), self.referral_S.copy()
        while (
            lack := call(
                raise_cases,
                eng.N,
                self.m.residents,
                self.cases_S,
                self.referral_S,
                self.book,
                float(t0),
                self.values,
                need_code("routine"),
            )
        ) > 0:
            eng.N = eng.N.grown(lack)
            self.book = _grown(self.book, len(eng.N.state))
            self.cases_S[:], self.referral_S[:] = saved
        start = t0 + p.duty_start_hour * 60.0
        hours = p.duty_hours
        if self.m.config.organization.structure == Structure.PRE_REFORM:
            # The departments keep office hours on working days (sim/engine/intake.py).
            hours = p.department_hours
            if round((t0 - self.start_min) / 1440.0) % 7 >= p.department_days_per_week:
                start = t1  # a day off
        eng.duty_day(t0, t1, start, min(start + hours * 60.0, t1 - 1e-6))
        served_today = eng.R.served - served
        call(
            settle,
            eng.N,
            eng.R,
            self.m.place,
            self.m.residents,
            self.book,
            float(t1),
            self.values,
            served_today,
            *self.scratch,
        )
        main.skill_level[self.staff] = eng.R.skill_level

    def end(self, t: float) -> None:
        """The emergency begins at minute t: routine work stops (open cases stay open)."""
        self.end_min = t

    # --- outcomes ----------------------------------------------------------------------------

    def closed_at(self) -> np.ndarray:
        """When each case closes: the staff's visit, plus the referral delay for a case
        beyond the grid's reach (NaN while not served; may lie after the day's end)."""
        c, n = self.cases, self.cases.n
        resolved = np.where(c.state[:n] == RESOLVED, c.resolved[:n], np.nan)
        return resolved + self.book.referral[:n]

    def status(self) -> np.ndarray:
        """Each case's status code at the end of peacetime (index into STATUSES)."""
        c, n = self.cases, self.cases.n
        closed_at = self.closed_at()
        end = self.end_min if math.isfinite(self.end_min) else math.inf
        closed = (closed_at <= end) & (
            closed_at - c.detected[:n] <= self.p.closure_deadline_h * 60.0
        )
        return np.where(closed, 0, np.where(self.book.missed[:n], 1, 2))

    def outcomes(self) -> dict[str, float]:
        c, n = self.cases, self.cases.n
        st = self.status()
        decided = np.count_nonzero(st < 2)
        # Over the cases closed within the deadline: the rest count as unclosed (F1, F2).
        handling = (self.closed_at() - c.detected[:n])[st == 0]
        days = (self.end_min - self.start_min) / 1440.0
        filed = np.isfinite(c.detected[:n])
        # Over every case filed, whatever the deadline: one still open when peacetime ends
        # counts as closed then (censored, as mean_response_min: a structure cannot look
        # faster by closing fewer cases; a lower bound where handling takes days).
        closed_at = np.fmin(self.closed_at(), self.end_min)
        every = (closed_at - c.detected[:n])[filed]
        return {
            "routine_mean_handling_h": float(handling.mean() / 60.0) if len(handling) else math.nan,
            "routine_closure_share": float(np.count_nonzero(st == 0) / decided)
            if decided
            else math.nan,
            "routine_cases_per_1000_per_day": float(
                filed.sum() / (self.m.residents.n / 1000.0) / days
            )
            if days > 0
            else math.nan,
            "routine_share_found_by_grid": float(
                np.mean(c.channel[:n][filed] == Channel.GRID_MANAGER)
            )
            if filed.any()
            else math.nan,
            "routine_mean_handling_all_h": float(every.mean() / 60.0) if len(every) else math.nan,
        }

    def detached(self) -> RoutineWork:
        """A copy that holds what the log and outcomes read, not the model (which is then
        freed by reference counting when a run's result outlives it)."""
        copy = object.__new__(RoutineWork)
        copy.__dict__.update(self.__dict__)
        copy.m = SimpleNamespace(
            township=SimpleNamespace(grid_community=self.m.township.grid_community),
            residents=self.m.residents,
        )
        return copy

    def log(self) -> pd.DataFrame:
        """One row per routine case: the time of each stage (minutes since wartime began, so
        negative), the owning line and the status at the end of peacetime."""
        c, n = self.cases, self.cases.n
        columns = {
            "case_id": np.arange(n),
            "grid": c.grid[:n],
            "community": self.m.township.grid_community[c.grid[:n]],
            "line": c.line[:n],
            "effort_min": c.effort[:n],
        }
        columns.update({f"{stage}_min": getattr(c, stage)[:n] for stage in STAGES})
        columns["referred"] = self.book.referral[:n] > 0
        columns["closed_min"] = self.closed_at()
        columns["status"] = pd.Categorical.from_codes(self.status(), STATUSES)
        return pd.DataFrame(columns)


def routine_outcomes(m: ModelView) -> dict[str, float]:
    """The routine outcomes of a run (NaN without a peacetime phase)."""
    rw = m.routine
    if rw is None or not math.isfinite(rw.end_min):
        return dict.fromkeys(OUTCOMES, math.nan)
    return rw.outcomes()


def _grown(book: CaseBook, cap: int) -> CaseBook:
    def wider(a: np.ndarray) -> np.ndarray:
        b = np.zeros(cap, dtype=a.dtype)
        b[: len(a)] = a
        return b

    return CaseBook(
        wider(book.referral),
        wider(book.settled),
        wider(book.missed),
        wider(book.open_ids),
        book.open_n,
    )


# Indices into RoutineWork.values.
(
    RATE,
    FROM_H,
    UNTIL_H,
    EFFORT,
    LINES,
    BEYOND,
    REFERRAL,
    DEADLINE,
    SATISFIED,
    TRUST_GAIN,
    TRUST_LOSS,
    SPILLOVER,
    FAMILIARITY_GAIN,
    SKILL_GAIN,
    SKILL_CAP,
    COHESION_GAIN,
) = range(16)


@entry
def raise_cases(N, res, S, SR, book, t0, v, kind):
    """The day's cases: a Poisson count, raised at uniform times between the hours, by
    residents drawn at random; each owned by a line drawn at random (siloed structure); a
    share beyond the grid system's reach closes after a referral delay (both draws made for
    every case: the share changes which cases are referred, not the delays)."""
    k = poisson(S, v[RATE])
    if k > len(N.state) - N.meta[0]:
        return k
    spread, first = N.settings[0], N.meta[0]
    top = 1.0  # sorted uniform times: the largest of j uniforms is U^(1/j), downwards
    for j in range(k, 0, -1):
        top *= power(random(S), 1.0 / j)
        N.created[first + j - 1] = t0 + 60.0 * (v[FROM_H] + (v[UNTIL_H] - v[FROM_H]) * top)
    for j in range(k):
        created = N.created[first + j]
        r = index(S, len(res.grid))
        factor = (
            exponential(S, 1.0) if N.settings[1] != 0.0 else uniform(S, 1.0 - spread, 1.0 + spread)
        )
        persons = float(res.household_size[res.household[r]])
        i = add_need(
            N,
            created,
            res.grid[r],
            kind,
            -1,
            r,
            res.vulnerable[r],
            persons,
            0.0,
            v[EFFORT] * factor,
            1.0,
            index(S, int(v[LINES])),
        )
        beyond = random(SR) < v[BEYOND]
        delay = exponential(SR, v[REFERRAL])
        book.referral[i] = delay if beyond else 0.0
        book.settled[i] = book.missed[i] = False
        book.open_ids[book.open_n[0]] = i
        book.open_n[0] += 1
    return 0


@jit
def _compound(gain, times):
    """The share gained toward the bound after `times` steps of `gain` each."""
    if times <= 0:
        return 0.0
    return -expm1(log1p(-min(gain, 1.0 - 1e-12)) * times)


@entry
def settle(N, R, W, res, book, t, v, served_today, by_household, by_grid, per_team):
    """Apply what the day's closed and overdue cases did (once per case): residents'
    trust (satisfied when closed soon, not when late or overdue; neighbours hear of it),
    the grid manager's familiarity where cases closed, handlers' skill (learning by doing,
    up to a cap) and the community teams' cohesion."""
    k = 0
    for j in range(book.open_n[0]):
        i = book.open_ids[j]
        closed_at = N.resolved[i] + book.referral[i] if N.state[i] == RESOLVED else np.nan
        handling = closed_at - N.detected[i]
        closed = closed_at <= t and not book.settled[i]
        overdue = (
            not book.missed[i] and N.detected[i] + v[DEADLINE] <= t and not handling <= v[DEADLINE]
        )
        happy = closed and not book.missed[i] and handling <= v[SATISFIED]
        unhappy = (closed and not book.missed[i] and not happy) or overdue
        hh, g = res.household[N.resident[i]], N.grid[i]
        if happy:
            by_household[0, hh] += 1
            by_grid[0, g] += 1
        elif unhappy:
            by_household[1, hh] += 1
            by_grid[1, g] += 1
        if closed:
            by_grid[2, g] += 1
            book.settled[i] = True
        if overdue:
            book.missed[i] = True
        if not (book.settled[i] and (book.missed[i] or handling <= v[DEADLINE])):
            book.open_ids[k] = i  # not final yet
            k += 1
    book.open_n[0] = k
    # Each count as the share it moves trust: households', then grids' (word of mouth).
    touched = False
    for j in range(len(by_household[0])):
        if by_household[0, j] > 0 or by_household[1, j] > 0:
            by_household[0, j] = _compound(v[TRUST_GAIN], by_household[0, j])
            by_household[1, j] = _compound(v[TRUST_LOSS], by_household[1, j])
    for g in range(len(W.familiarity)):
        touched |= by_grid[0, g] > 0 or by_grid[1, g] > 0
        by_grid[0, g] = _compound(v[SPILLOVER] * v[TRUST_GAIN], by_grid[0, g])
        by_grid[1, g] = _compound(v[SPILLOVER] * v[TRUST_LOSS], by_grid[1, g])
    for r in range(len(res.trust) if touched else 0):
        hh, g = res.household[r], res.grid[r]
        gain = by_household[0, hh] + by_grid[0, g]
        loss = by_household[1, hh] + by_grid[1, g]
        res.trust[r] += min(gain, 1.0) * (1.0 - res.trust[r])
        res.trust[r] -= min(loss, 1.0) * res.trust[r]
    for j in range(len(by_household[0])):
        by_household[0, j] = by_household[1, j] = 0.0
    for g in range(len(W.familiarity)):
        W.familiarity[g] += _compound(v[FAMILIARITY_GAIN], by_grid[2, g]) * (1 - W.familiarity[g])
        by_grid[0, g] = by_grid[1, g] = by_grid[2, g] = 0.0
    for c in range(len(per_team)):
        per_team[c] = 0.0
    for r in range(len(R.role)):
        if R.skill_level[r] < v[SKILL_CAP]:
            R.skill_level[r] += _compound(v[SKILL_GAIN], served_today[r]) * (
                v[SKILL_CAP] - R.skill_level[r]
            )
        if R.role[r] == COMMUNITY_CADRE:
            per_team[R.community[r]] += served_today[r]
    for c in range(len(per_team)):
        W.cohesion[c] += _compound(v[COHESION_GAIN], per_team[c]) * (1 - W.cohesion[c])
