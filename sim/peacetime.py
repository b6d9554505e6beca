"""Peacetime (day steps): how ordinary work builds capacity for an emergency.

Service visits by the first secretary and the community team build grid managers'
familiarity, residents' trust and the team's cohesion; rotation training raises cadre skill;
organ cadres register with their residential communities and serve there on holidays; the
open affairs platform raises trust; publicity raises preparedness; the standing volunteer
team recruits (``recruits``). Without these, trust and preparedness slowly decay. Every
effect size is a parameter of ``PeacetimeParams`` (section ``[peacetime]``).
"""

from __future__ import annotations

from enum import IntEnum

import numpy as np

from .codes import COMMUNITY_CADRE, ORGAN_CADRE, TOWNSHIP_CADRE
from .detmath import ipow, power, py
from .jit import entry
from .params import Config
from .rng import poisson, random

WEEKEND = 5  # days 5 and 6 of each week (day 0 is the first peacetime day, a weekday)


class Peace(IntEnum):
    """The peace day's parameters (``peace_values``)."""

    VISITS_PER_DAY = 0
    VISIT_FAMILIARITY = 1
    VISIT_TRUST = 2
    VISIT_COHESION = 3
    DECAY = 4
    TRAINING = 5
    P_TRAIN = 6
    P_REGISTER = 7
    HOLIDAY_FAMILIARITY = 8
    PLATFORM = 9
    PUBLICITY = 10


def daily_probability(final_share: float, days: int) -> float:
    """Daily chance such that a share `final_share` has acted after `days` days."""
    if days <= 0:
        return 0.0
    if final_share >= 1.0:
        return 1.0
    return 1.0 - py(power)(1.0 - final_share, 1.0 / days)


def peace_values(config: Config) -> np.ndarray:
    org, pt, days = config.organization, config.peacetime, config.time.peace_days
    v = np.zeros(len(Peace))
    v[Peace.VISITS_PER_DAY] = (
        org.service_visits_per_week
        / 7.0
        * (1.0 if org.first_secretary else pt.visits_without_first_secretary)
    )
    v[Peace.VISIT_FAMILIARITY] = pt.visit_familiarity_gain
    v[Peace.VISIT_TRUST] = pt.visit_trust_gain
    v[Peace.VISIT_COHESION] = pt.visit_cohesion_gain
    v[Peace.DECAY] = pt.daily_decay
    v[Peace.TRAINING] = pt.training_skill_gain
    v[Peace.P_TRAIN] = daily_probability(org.training_coverage, days)
    v[Peace.P_REGISTER] = daily_probability(org.organ_registration_ratio, days)
    v[Peace.HOLIDAY_FAMILIARITY] = pt.holiday_familiarity_gain
    v[Peace.PLATFORM] = pt.platform_trust_gain if org.open_affairs_platform else 0.0
    # A publicity event's effect, as its expected effect per day.
    v[Peace.PUBLICITY] = 1 - py(power)(
        1 - pt.publicity_preparedness_gain, org.publicity_per_month / 30.0
    )
    return v


@entry
def peace_day(R, W, Rs, S, v, day, visits, serving):
    """One peacetime day (`visits`: scratch per grid, `serving`: per community)."""
    fam, n_grids = W.familiarity, len(W.familiarity)
    for c in range(len(serving)):
        serving[c] = 0.0
    for g in range(n_grids):  # service visits (Poisson per grid)
        visits[g] = poisson(S, v[Peace.VISITS_PER_DAY])
        fam[g] += (1 - fam[g]) * (1 - ipow(1 - v[Peace.VISIT_FAMILIARITY], visits[g])) - v[
            Peace.DECAY
        ] * fam[g]
        serving[W.grid_community[g]] += visits[g]
    for c in range(len(serving)):  # the community team's visits build its cohesion
        W.cohesion[c] += (1 - ipow(1 - v[Peace.VISIT_COHESION], serving[c])) * (1 - W.cohesion[c])
        serving[c] = 0.0
    for r in range(len(R.role)):
        role = R.role[r]
        if (role == COMMUNITY_CADRE or role == TOWNSHIP_CADRE) and not R.trained[r]:
            if random(S) < v[Peace.P_TRAIN]:  # one rotation training per cadre
                R.trained[r] = True
                R.skill_level[r] += v[Peace.TRAINING] * (1 - R.skill_level[r])
        elif role == ORGAN_CADRE:
            if not R.registered[r] and random(S) < v[Peace.P_REGISTER]:
                R.registered[r] = True
            if R.registered[r] and day % 7 >= WEEKEND:  # they serve there on holidays
                serving[R.community[r]] += 1
    for g in range(n_grids):
        c = W.grid_community[g]
        if serving[c] > 0:
            fam[g] += (1 - ipow(1 - v[Peace.HOLIDAY_FAMILIARITY], serving[c])) * (1 - fam[g])
    platform = v[Peace.PLATFORM] if day % 7 == 0 else 0.0  # the open affairs platform, weekly
    for i in range(len(Rs.trust)):
        trust = Rs.trust[i] + v[Peace.VISIT_TRUST] * visits[Rs.grid[i]] * (1 - Rs.trust[i])
        trust += platform * (1 - trust)
        Rs.trust[i] = trust - v[Peace.DECAY] * trust
        prep = Rs.preparedness[i] + v[Peace.PUBLICITY] * (1 - Rs.preparedness[i])
        Rs.preparedness[i] = prep - v[Peace.DECAY] * prep


def recruits(config: Config, team: int) -> list[int]:
    """How many volunteers the standing team recruits on each peacetime day (publicity and
    mutual aid): the expected growth, accrued fractionally, not a lottery."""
    due, out = 0.0, []
    for _ in range(config.time.peace_days):
        due += config.volunteers.recruitment_per_week / 7.0 * team
        k = int(due)
        due -= k
        team += k
        out.append(k)
    return out
