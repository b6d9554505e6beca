"""Peacetime (day steps): how ordinary work builds capacity for an emergency.

Service visits by the first secretary and the community team build grid managers'
familiarity, residents' trust and the team's cohesion; rotation training raises cadre skill;
organ cadres register with their residential communities and serve there on holidays; the
open affairs platform raises trust; publicity raises preparedness; the standing volunteer
team recruits. Without these, trust and preparedness slowly decay. Every effect size is a
parameter of ``PeacetimeParams`` (section ``[peacetime]``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from .agents import CommunityCadre, OrganCadre, TownshipCadre, Volunteer

if TYPE_CHECKING:
    from .world import World


def peace_day(m: World, day: int) -> None:
    """One peacetime day."""
    org, pt, rng = m.config.organization, m.config.peacetime, m.rng
    res, tw = m.residents, m.township
    n_grids = tw.n_grids
    weekday = day % 7
    # Service visits (Poisson per grid); the first secretary doubles the team's visits.
    per_day = org.service_visits_per_week / 7.0 * \
        (1.0 if org.first_secretary else pt.visits_without_first_secretary)
    visits = rng.poisson(per_day, size=n_grids).astype(float)
    fam = m.familiarity
    fam += (1 - fam) * (1 - (1 - pt.visit_familiarity_gain) ** visits) - pt.daily_decay * fam
    res.raise_toward_one(res.trust, (pt.visit_trust_gain * visits)[res.grid])
    team_visits = np.bincount(tw.grid_community, weights=visits, minlength=tw.n_communities)
    for cpo in m.community_orgs:
        gain = 1 - (1 - pt.visit_cohesion_gain) ** team_visits[cpo.community]
        cpo.cohesion += gain * (1 - cpo.cohesion)
    # Rotation training: coverage spread over the peacetime phase.
    cadres = [a for cls in (CommunityCadre, TownshipCadre) for a in m.agents_of(cls)]
    p_train = _daily_probability(org.training_coverage, m.config.time.peace_days)
    for a in cadres:
        if not a.trained and rng.random() < p_train:  # one rotation per cadre
            a.trained = True
            a.skill_level += pt.training_skill_gain * (1 - a.skill_level)
    # Organ cadres register with their residential community; serve there on holidays.
    p_reg = _daily_probability(org.organ_registration_ratio, m.config.time.peace_days)
    serving = np.zeros(tw.n_communities)
    for a in m.agents_of(OrganCadre):
        if not a.registered and rng.random() < p_reg:
            a.registered = True
        if a.registered and weekday >= 5:
            serving[a.community] += 1
    if serving.any():
        gain = 1 - (1 - pt.holiday_familiarity_gain) ** serving[tw.grid_community]
        fam += gain * (1 - fam)
    # Open affairs platform: weekly.
    if org.open_affairs_platform and weekday == 0:
        res.raise_toward_one(res.trust, pt.platform_trust_gain)
    # Publicity events raise preparedness (their expected effect per day).
    per_day = org.publicity_per_month / 30.0
    res.raise_toward_one(res.preparedness, 1 - (1 - pt.publicity_preparedness_gain) ** per_day)
    res.trust -= pt.daily_decay * res.trust
    res.preparedness -= pt.daily_decay * res.preparedness
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
