"""Cadres sent down to the communities (organization.sent_down_cadres_per_1000, F14): how
many are created, where they serve, when they arrive, and that they work, counted by hand on
small townships."""

from __future__ import annotations

import numpy as np

from sim import Config, GrassrootsModel, simulate
from sim.agents import SentDownCadre
from sim.codes import Role

# 10,000 residents in 10 grids of 6 per community: 2 communities (6 and 4 grids).
SMALL = {
    "population.n_residents": 10_000,
    "time.peace_days": 3,
    "time.war_hours": 12.0,
    "flood.needs_per_1000_per_hour": 4.0,
    "flood.duration_hours": 12.0,
}


def model(**over) -> GrassrootsModel:
    cfg = Config().with_overrides({**SMALL, **{k.replace("__", "."): v for k, v in over.items()}})
    return GrassrootsModel(cfg, rng=3)


def test_the_number_sent_down_is_the_rate_times_the_residents():
    """16 per 1,000 (Sikoutang's 104 for 6,540, docs/field_data.md F14) of 10,000 residents:
    160 cadres, 80 to each of the 2 communities, at their offices, general skill at an organ
    cadre's level, every line; 0 per 1,000: none, and the roster as before."""
    m = model(organization__sent_down_cadres_per_1000=16.0)
    ro, tw = m.roster, m.township
    sent = ro.role == Role.SENT_DOWN_CADRE
    assert tw.n_communities == 2 and sent.sum() == 160
    assert np.bincount(ro.community[sent]).tolist() == [80, 80]
    assert np.array_equal(ro.home_node[sent], tw.office_node[ro.community[sent]])
    assert np.all(ro.skill_level[sent] == m.config.skills.organ_cadre)
    assert np.all(ro.line[sent] == -1) and np.all(ro.is_cadre[sent])
    assert np.flatnonzero(sent).min() == ro.n - 160  # after everyone else
    base = model()
    assert not np.any(base.roster.role == Role.SENT_DOWN_CADRE)
    assert base.roster.n == ro.n - 160
    for col in ("role", "community", "home_node", "skill", "skill_level"):
        assert np.array_equal(getattr(base.roster, col), getattr(ro, col)[: base.roster.n])
    # odd numbers go to the communities in turn: 25 -> 13 and 12
    odd = model(organization__sent_down_cadres_per_1000=2.5).roster
    assert np.bincount(odd.community[odd.role == Role.SENT_DOWN_CADRE]).tolist() == [13, 12]


def test_they_join_when_the_emergency_begins_and_arrive_after_the_delay():
    """Not on the teams in peacetime (no agent, not joined); at the switch to wartime they
    join, serve only their community and become active sent_down_after_hours later; the
    event log says how many arrive and when; under load they work."""
    m = model(
        organization__sent_down_cadres_per_1000=16.0,
        organization__sent_down_after_hours=5.0,
        flood__needs_per_1000_per_hour=16.0,
        volunteers__team_size_per_1000=0.0,
    )  # under load: they are needed
    sent = np.flatnonzero(m.roster.role == Role.SENT_DOWN_CADRE)
    assert not m.roster.joined[sent].any() and not m.agents_of(SentDownCadre)
    while m.phase == "peace":
        m.step()
    ro = m.roster
    assert ro.on_roster[sent].all() and ro.dispatchable[sent].all()
    assert not ro.anywhere[sent].any()  # fixed to their community
    assert len(m.agents_of(SentDownCadre)) == len(sent)
    assert np.all(ro.active_from[sent] == 300.0)
    assert np.all(ro.initiative[sent] > 0)  # cadres: fault tolerance frees them too
    event = next(e for e in m.events if e.kind == "sent_down")
    assert (event.minute, event.number) == (300.0, 160)
    while m.running:
        m.step()
    assert (m.roster.busy_min[sent] > 0).any() and (m.roster.served[sent] > 0).any()


def test_arriving_later_they_take_fewer_needs():
    """Same seed: sent down after 2 hours they serve more needs than after 10."""

    def served(hours: float) -> int:
        r = simulate(
            Config().with_overrides(
                {
                    **SMALL,
                    "organization.sent_down_cadres_per_1000": 16.0,
                    "organization.sent_down_after_hours": hours,
                    "flood.needs_per_1000_per_hour": 16.0,
                    "volunteers.team_size_per_1000": 0.0,
                }
            ),
            seed=2,
            keep_model=True,
        )
        ro = r.model.roster
        return int(ro.served[ro.role == Role.SENT_DOWN_CADRE].sum())

    early, late = served(2.0), served(10.0)
    assert early > late  # after 10 hours the others have met most needs
