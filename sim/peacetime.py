"""Peacetime (day steps): how ordinary work builds capacity for an emergency.

Service visits by the first secretary and the community team build grid managers'
familiarity, residents' trust and the team's cohesion; rotation training raises cadre skill;
organ cadres register with their residential communities and serve there on holidays; the
open affairs platform raises trust; publicity raises preparedness; the standing volunteer
team recruits. Without these, trust and preparedness slowly decay.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from .agents import CommunityCadre, OrganCadre, TownshipCadre, Volunteer

if TYPE_CHECKING:
    from .world import World

# Effect sizes per event (assumption; documented in docs/ODD.md).
VISIT_FAMILIARITY_GAIN = 0.05   # per visit to a grid
VISIT_TRUST_GAIN = 0.004        # per visit, for the grid's residents
VISIT_COHESION_GAIN = 0.01      # per team visit day
TRAINING_SKILL_GAIN = 0.3       # per training round
HOLIDAY_FAMILIARITY_GAIN = 0.002  # per registered organ cadre and holiday, to its community
PLATFORM_TRUST_GAIN = 0.02      # per week of the open affairs platform
PUBLICITY_PREPAREDNESS_GAIN = 0.03  # per publicity event
DAILY_DECAY = 0.003             # trust, preparedness and familiarity drift down per day


def peace_day(m: World, day: int) -> None:
    """One peacetime day."""
    org, rng = m.config.organization, m.rng
    res, tw = m.residents, m.township
    n_grids = tw.n_grids
    weekday = day % 7
    # Service visits (Poisson per grid); the first secretary doubles the team's visits.
    per_day = org.service_visits_per_week / 7.0 * (1.0 if org.first_secretary else 0.5)
    visits = rng.poisson(per_day, size=n_grids).astype(float)
    fam = m.familiarity
    fam += (1 - fam) * (1 - (1 - VISIT_FAMILIARITY_GAIN) ** visits) - DAILY_DECAY * fam
    res.raise_toward_one(res.trust, (VISIT_TRUST_GAIN * visits)[res.grid])
    team_visits = np.bincount(tw.grid_community, weights=visits, minlength=tw.n_communities)
    for cpo in m.community_orgs:
        gain = 1 - (1 - VISIT_COHESION_GAIN) ** team_visits[cpo.community]
        cpo.cohesion += gain * (1 - cpo.cohesion)
    # Rotation training: coverage spread over the peacetime phase.
    cadres = [a for cls in (CommunityCadre, TownshipCadre) for a in m.agents_of(cls)]
    p_train = _daily_probability(org.training_coverage, m.config.time.peace_days)
    for a in cadres:
        if not a.trained and rng.random() < p_train:  # one rotation per cadre
            a.trained = True
            a.skill_level += TRAINING_SKILL_GAIN * (1 - a.skill_level)
            m.n_trained += 1
    # Organ cadres register with their residential community; serve there on holidays.
    p_reg = _daily_probability(org.organ_registration_ratio, m.config.time.peace_days)
    serving = np.zeros(tw.n_communities)
    for a in m.agents_of(OrganCadre):
        if not a.registered and rng.random() < p_reg:
            a.registered = True
        if a.registered and weekday >= 5:
            serving[a.community] += 1
    if serving.any():
        gain = 1 - (1 - HOLIDAY_FAMILIARITY_GAIN) ** serving[tw.grid_community]
        fam += gain * (1 - fam)
    # Open affairs platform: weekly.
    if org.open_affairs_platform and weekday == 0:
        res.raise_toward_one(res.trust, PLATFORM_TRUST_GAIN)
    # Publicity events raise preparedness (their expected effect per day).
    per_day = org.publicity_per_month / 30.0
    res.raise_toward_one(res.preparedness, 1 - (1 - PUBLICITY_PREPAREDNESS_GAIN) ** per_day)
    res.trust -= DAILY_DECAY * res.trust
    res.preparedness -= DAILY_DECAY * res.preparedness
    # The standing volunteer team recruits through publicity and mutual aid.
    # Recruits accrue fractionally: the expected growth, not a lottery, so small rates count.
    team = len(m.agents_of(Volunteer))
    m.recruits_due += m.config.volunteers.recruitment_per_week / 7.0 * team
    while m.recruits_due >= 1.0:
        m.recruits_due -= 1.0
        m.add_volunteer(professional=False)


def _daily_probability(final_share: float, days: int) -> float:
    """Daily chance such that a share `final_share` has acted after `days` days."""
    if days <= 0:
        return 0.0
    if final_share >= 1.0:
        return 1.0
    return 1.0 - (1.0 - final_share) ** (1.0 / days)


def register_organ_cadres_now(m: World) -> None:
    """With no peacetime phase, registration is whatever share the ratio says at once."""
    for a in m.agents_of(OrganCadre):
        a.registered = bool(m.rng.random() < m.config.organization.organ_registration_ratio)
