"""The response's mechanisms (issue 9): each with a test that fails if the mechanism is off.

- Re-sends of lost reports are capped: a chain that loses every report finishes.
- Needs waiting on a jammed chain are taken up locally: no need stays unreached for six hours
  while most responders who could reach it are idle.
- Siloed lines per community with a fallback: every need has someone allowed to meet it.
- Duplicated dispatches come from what the deciding unit has heard, not from a fixed chance.
- The grid-autonomy escalation hop counts as reporting delay.
- Pooled helpers walk back to their grid after escorting evacuees to a shelter.
- The wartime switch (issue 20): until it, no call-up, no party mobilization, no temporary
  party organization, no command; a switch later than the hazard's onset slows the response.
"""

from __future__ import annotations

import signal

import kernels
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sim import Config, GrassrootsModel, simulate
from sim.agents import TemporaryPartyOrganization
from sim.codes import DETECTED, DISPATCHED, REPORTED, Role, Status
from sim.engine.state import Count, Par
from sim.params import MECHANISMS, STRUCTURES
from sim.registry import type_names

SMALL = {"population.n_residents": 6000, "time.peace_days": 0, "time.war_hours": 24.0}
# Heavy flood, no standing team, slow single-handler offices: reports jam, responders wait.
JAMMED = {
    **SMALL,
    "flood.needs_per_1000_per_hour": 20.0,
    "volunteers.team_size_per_1000": 0.0,
    "reporting.community_handlers_per_10k": 0.5,
    "reporting.township_handlers_per_10k": 0.5,
    "reporting.command_handlers_per_10k": 0.5,
    "reporting.community_delay_min": 30.0,
    "reporting.township_delay_min": 30.0,
    "reporting.command_delay_min": 20.0,
}


def run(over: dict, seed: int = 1):
    return simulate(Config().with_overrides(over), seed=seed, keep_model=True)


# --- lost reports ------------------------------------------------------------------------


def test_a_chain_that_loses_every_report_finishes():
    """Loss 1 with immediate re-sends used to loop forever at one minute."""
    over = {
        **SMALL,
        "flood.needs_per_1000_per_hour": 20.0,
        "reporting.loss_per_level": 1.0,
        "reporting.resend_after_min": 0.0,
        "reporting.mechanism": "hierarchical",
    }

    def too_slow(*_):
        raise TimeoutError("the run did not finish in 60 s")

    old = signal.signal(signal.SIGALRM, too_slow)
    signal.alarm(60)
    try:
        res = run(over)
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)
    m, cfg = res.model, res.config
    eng = m.engine
    detected = int(res.needs["detected_min"].notna().sum())
    assert detected > 50
    # Every report is lost at its first level above the grid, then re-sent max_resends
    # times and lost for good (but those still queued at their grid manager at the end).
    assert res.needs["reported_min"].isna().all()
    lost_for_good = eng.count(Count.LOST_FOR_GOOD)
    assert 0.9 * detected <= lost_for_good <= detected
    assert eng.count(Count.LOST) == lost_for_good * (cfg.reporting.max_resends + 1)
    # The needs are met all the same: locally, without any report arriving.
    assert eng.count(Count.LOCAL_ACTIONS) > 0
    assert res.summary()["needs_reached"] > 0.5 * detected


# --- local action ------------------------------------------------------------------------


def unreached_while_idle(m: GrassrootsModel, hours: float = 6.0) -> list[tuple[int, float]]:
    """Needs known for more than `hours` and not reached, while more than half the responders
    who could reach them (of their community, allowed by line, active, not resting, on a
    passable road) are idle: (need, idle share)."""
    nd, ro, tw = m.needs, m.roster, m.township
    n = nd.n
    waiting = np.flatnonzero(
        np.isin(nd.state[:n], (DETECTED, REPORTED, DISPATCHED))
        & (m.minute - nd.detected[:n] > hours * 60)
    )
    bad = []
    for i in waiting:
        c = int(tw.grid_community[nd.grid[i]])
        idx = ro.comm_idx[ro.comm_ptr[c] : ro.comm_ptr[c + 1]]
        line = line_of(m, int(i))
        ok = (ro.active_from[idx] <= m.minute) & (ro.status[idx] != Status.RESTING)
        ok &= ~ro.self_directed[idx] & np.isfinite(tw.travel[ro.node[idx], nd.grid[i]])
        if line >= 0:
            ok &= (ro.line[idx] < 0) | (ro.line[idx] == line)
        idx = idx[ok]
        if len(idx):
            share = float(np.mean(ro.status[idx] == Status.IDLE))
            if share > 0.5:
                bad.append((int(i), share))
    return bad


@pytest.mark.parametrize(
    "over,jammed",
    [
        ({"reporting.mechanism": "hierarchical", "reporting.levels": 3}, True),
        ({"reporting.mechanism": "direct", "organization.front_line_command": False}, True),
        (
            {
                "reporting.mechanism": "joint_meeting",
                "organization.front_line_command": False,
                "reporting.joint_meeting_interval_min": 600.0,
            },
            True,
        ),
        ({"reporting.mechanism": "grid_autonomy", "organization.structure": "siloed"}, False),
        (
            {
                "reporting.mechanism": "hierarchical",
                "organization.structure": "siloed",
                "reporting.loss_per_level": 0.3,
            },
            True,
        ),
    ],
    ids=[
        "hierarchical-3",
        "direct-no-command",
        "joint-meeting-10h",
        "autonomy-siloed",
        "hierarchical-siloed-lossy",
    ],
)
def test_no_need_waits_six_hours_while_most_who_could_reach_it_are_idle(over, jammed):
    m = GrassrootsModel(Config().with_overrides({**JAMMED, **over}), rng=2)
    checked = 0
    while m.running:
        m.step()
        bad = unreached_while_idle(m)
        assert not bad, (m.minute, bad[:5])
        checked += 1
    assert checked == m.war_steps
    if jammed:  # a real stress test: reports queue for hours and the community acts
        assert m.engine.count(Count.LOCAL_ACTIONS) > 20


# The grid's structures: in the pre-reform street no grid manager tells the community's idle
# responders of a need waiting on the chain (no local action; docs/ODD.md, Submodels, "The
# pre-reform street"), so its needs may wait beside idle responders by design
# (test_the_pre_reform_street_has_no_local_action).
GRID_STRUCTURES = [s for s in STRUCTURES if s != "pre_reform"]


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    mechanism=st.sampled_from(MECHANISMS),
    structure=st.sampled_from(GRID_STRUCTURES),
    wait=st.sampled_from([15.0, 60.0, 180.0]),
    loss=st.sampled_from([0.0, 0.3, 1.0]),
    rate=st.sampled_from([8.0, 20.0, 40.0]),
    seed=st.integers(1, 2**31 - 1),
)
def test_no_idle_waiting_whatever_the_setting(mechanism, structure, wait, loss, rate, seed):
    over = {
        **JAMMED,
        "population.n_residents": 4000,
        "time.war_hours": 18.0,
        "reporting.mechanism": mechanism,
        "organization.structure": structure,
        "response.local_action_after_min": wait,
        "reporting.loss_per_level": loss,
        "flood.needs_per_1000_per_hour": rate,
    }
    m = GrassrootsModel(Config().with_overrides(over), rng=seed)
    while m.running:
        m.step()
        bad = unreached_while_idle(m)
        assert not bad, (m.minute, bad[:5])


def test_the_local_wait_is_what_stops_the_idle_waiting():
    """Without local action (a wait longer than the run) the same jam leaves needs unreached
    for hours beside idle responders: the invariant above tests the mechanism."""
    over = {
        **JAMMED,
        "reporting.mechanism": "joint_meeting",
        "organization.front_line_command": False,
        "reporting.joint_meeting_interval_min": 600.0,
        "response.local_action_after_min": 10080.0,
    }
    m = GrassrootsModel(Config().with_overrides(over), rng=2)
    found = 0
    while m.running:
        m.step()
        found += len(unreached_while_idle(m))
    assert found > 0


def test_the_pre_reform_street_has_no_local_action():
    """No grid manager: a need whose report is lost for good waits for whoever sees it (a
    cadre on initiative, neighbours), never for the community's idle responders."""
    over = {
        **SMALL,
        "flood.needs_per_1000_per_hour": 20.0,
        "reporting.loss_per_level": 1.0,
        "reporting.resend_after_min": 1.0,
        "organization.structure": "pre_reform",
    }
    res = run(over)
    eng = res.model.engine
    assert eng.count(Count.LOST_FOR_GOOD) > 0 and eng.count(Count.LOCAL_ACTIONS) == 0
    assert eng.count(Count.HANDOFFS) > 0  # the departments passed needs on
    assert res.needs["detected_by"].astype(str).ne("grid_manager").all()  # no patrol
    grid = run({**over, "organization.structure": "siloed"}).model.engine
    assert grid.count(Count.LOCAL_ACTIONS) > 0


def test_a_shorter_local_wait_reaches_needs_sooner_on_a_jammed_chain():
    """Without grid party members (who meet most needs at once in integrated_party)."""
    over = {
        **JAMMED,
        "reporting.mechanism": "hierarchical",
        "reporting.levels": 4,
        "organization.structure": "integrated",
    }
    seeds = range(1, 7)
    fast = [
        run({**over, "response.local_action_after_min": 30.0}, s).summary()["mean_response_min"]
        for s in seeds
    ]
    slow = [
        run({**over, "response.local_action_after_min": 180.0}, s).summary()["mean_response_min"]
        for s in seeds
    ]
    # Paired by seed (about 30 minutes sooner, sd 17 over 20 seeds): sooner on average, and
    # in all but at most one seed.
    assert np.mean(fast) < np.mean(slow) - 10.0
    assert sum(a < b for a, b in zip(fast, slow)) >= len(seeds) - 1


# --- siloed lines --------------------------------------------------------------------------

THIN_SILOS = {
    **SMALL,
    "organization.structure": "siloed",
    "organization.community_cadres_per_community": 3,
    "organization.township_cadres_per_1000": 0.0,
    "organization.organ_cadres_per_1000": 0.0,
    "organization.colocated_units_integrated": False,
    "volunteers.team_size_per_1000": 0.0,
    "flood.needs_per_1000_per_hour": 2.0,
    "fire.enabled": True,
    "fire.incidents": 6,
}


@pytest.mark.parametrize("lines", [2, 6, 12])
def test_siloed_every_need_type_has_someone_allowed_in_every_community(lines):
    """Three cadres per community cannot cover six lines: the lines a community lacks fall
    back to any of its cadres, and cadres get lines within their own community."""
    m = GrassrootsModel(
        Config().with_overrides({**THIN_SILOS, "organization.siloed_lines": lines}), rng=1
    )
    ro, table = m.roster, m.engine.Q.lines
    for c in range(m.township.n_communities):
        have = ro.line[ro.comm_idx[ro.comm_ptr[c] : ro.comm_ptr[c + 1]]]
        assert len(set(have.tolist())) == min(3, lines)  # lines assigned within the community
        for kind, name in enumerate(type_names()):
            if m.needs.type_line[kind] < 0:
                continue  # routine cases: a line drawn case by case
            line = int(table[c, m.needs.type_line[kind]])
            allowed = (have < 0) | (have == line) if line >= 0 else np.ones(len(have), bool)
            assert allowed.any(), (c, name, line)


def test_siloed_with_thin_communities_meets_every_need():
    over = {
        **THIN_SILOS,
        "time.war_hours": 72.0,
        "flood.duration_hours": 24.0,
        "fire.duration_hours": 24.0,
    }
    res = run(over, 3)
    log = res.needs
    assert len(log) > 80
    detected = log["detected_min"].notna()
    assert detected.all()
    assert log["reached_min"].notna().all(), (
        log[log["reached_min"].isna()].groupby("type", observed=True).size()
    )


def test_siloed_initiative_obeys_the_lines():
    """A cadre acting on initiative belongs to the need's line (or the line is missing): a
    need of each type found in each grid, every cadre willing and idle."""
    m = GrassrootsModel(
        Config().with_overrides(
            {
                **SMALL,
                "organization.structure": "siloed",
                "response.initiative_base": 1.0,
                "volunteers.spontaneous_share": 0.0,
            }
        ),
        rng=4,
    )
    ro, eng = m.roster, m.engine
    acted = 0
    for g in range(m.township.n_grids):
        for kind in range(len(type_names())):
            if m.needs.type_line[kind] < 0:
                continue
            ro.active_from[ro.on_roster] = 0.0
            ro.status[:] = Status.IDLE
            eng.Q.party_free[:] = 0
            i = kernels.need(
                eng.N, 0.0, g, kind, int(m.residents.grid_start[g]), 0.5, 60.0, 1.0, 1.0
            )
            kernels.detected(eng.N, eng.R, eng.W, eng.Rs, eng.Q, eng.P, eng.S, 0.0, i, 0)
            sent = np.flatnonzero(ro.need == i)
            if len(sent):
                acted += 1
                need_line = line_of(m, i)
                assert need_line < 0 or ro.line[sent[0]] in (-1, need_line)
            ro.need[:] = -1
    assert acted > 20


def line_of(m: GrassrootsModel, i: int) -> int:
    """The line that must serve need i (-1: any), from the engine's table."""
    owning = int(m.needs.line[i])
    if m.config.organization.structure not in ("siloed", "pre_reform") or owning < 0:
        return -1
    return int(m.engine.Q.lines[m.township.grid_community[m.needs.grid[i]], owning])


# --- duplicates ----------------------------------------------------------------------------


def test_a_unit_that_hears_at_once_never_dispatches_twice():
    """Duplicates follow from the news of local responses arriving after the report: with no
    news delay the deciding unit always knows; the later the news, the more duplicates."""
    dups = {}
    for delay in (0.0, 15.0, 60.0):
        dups[delay] = [
            run({**SMALL, "reporting.local_news_delay_min": delay}, s).summary()[
                "duplicate_dispatches"
            ]
            for s in (1, 2, 3)
        ]
    assert dups[0.0] == [0, 0, 0], dups
    # Later news overtakes fewer reports: never fewer duplicates, more over the seeds.
    assert all(a < b <= c for a, b, c in zip(dups[0.0], dups[15.0], dups[60.0])), dups
    assert sum(dups[60.0]) > sum(dups[15.0]), dups


def test_hierarchical_duplicates_less_than_direct_because_news_overtakes_slow_reports():
    direct = [
        run({**SMALL, "reporting.mechanism": "direct"}, s).summary()["duplicate_dispatches"]
        for s in (1, 2, 3)
    ]
    hier = [
        run(
            {
                **SMALL,
                "reporting.mechanism": "hierarchical",
                "reporting.community_handlers_per_10k": 2.0,
            },
            s,
        ).summary()["duplicate_dispatches"]
        for s in (1, 2, 3)
    ]
    assert all(h < d for h, d in zip(hier, direct)), (hier, direct)


# --- grid autonomy -------------------------------------------------------------------------


def test_grid_autonomy_escalation_counts_as_reporting_delay():
    over = {
        **JAMMED,
        "reporting.mechanism": "grid_autonomy",
        "organization.community_cadres_per_community": 1,
    }
    delay = {}
    for wait in (5.0, 60.0):
        res = run({**over, "reporting.autonomy_escalate_min": wait}, 1)
        d = (res.needs["reported_min"] - res.needs["detected_min"]).dropna()
        rep = res.config.reporting
        # Escalated reports: the grid's own wait, then the hop to the command.
        assert (d >= rep.grid_delay_min + wait + rep.command_delay_min - 1e-9).sum() >= 10
        delay[wait] = d.mean()
    assert delay[60.0] > delay[5.0] + 2, delay  # the hop is not free


# --- resident pools ------------------------------------------------------------------------


# --- readable state ------------------------------------------------------------------------


def test_roles_and_statuses_are_enums_with_the_old_codes():
    m = GrassrootsModel(Config().with_overrides({**SMALL, "time.war_hours": 2.0}), rng=1)
    while m.running:
        m.step()
    ro = m.roster
    assert set(np.unique(ro.role)) <= set(Role)
    assert set(np.unique(ro.status)) <= set(Status)
    from sim.codes import COMMUNITY_CADRE, IDLE, RESTING, VOLUNTEER

    assert (IDLE, RESTING, COMMUNITY_CADRE, VOLUNTEER) == (0, 3, 0, 3)


def test_a_mechanism_registered_from_outside_routes_reports_through_its_offices():
    """CONTRIBUTING.md's example: a street hotline, grid manager then the township office,
    whether or not the command has convened; without queueing its reporting delay is the
    sum of their handling minutes."""
    from test_verification import VERIFY

    from sim.codes import GRID, TOWNSHIP
    from sim.params import MECHANISMS as NAMES
    from sim.registry import MECHANISMS, Mechanism, register_mechanism
    from sim.scenario import load_scenario

    register_mechanism(
        Mechanism(
            "street_hotline",
            lambda c: ((GRID, TOWNSHIP), (GRID, TOWNSHIP)),
            {"en": "street hotline", "zh": "街道热线"},
        )
    )
    try:
        cfg = load_scenario(
            VERIFY / "reporting_chain.toml", {"reporting.mechanism": "street_hotline"}
        )
        delay = (simulate(cfg, seed=3).needs.eval("reported_min - detected_min")).dropna()
    finally:  # the other tests see the shipped mechanisms only
        del MECHANISMS["street_hotline"]
        NAMES.remove("street_hotline")
    assert len(delay) > 50
    assert np.median(delay) == cfg.reporting.grid_delay_min + cfg.reporting.township_delay_min


# --- the wartime switch -------------------------------------------------------------------

SWITCH = {
    "population.n_residents": 6000,
    "time.peace_days": 0,
    "time.war_hours": 18.0,
    "flood.onset_hour": 1.0,
    "flood.needs_per_1000_per_hour": 8.0,
    "flood.profile": "steady",
}


def test_until_the_wartime_switch_the_organization_works_as_in_peacetime():
    """Community and township cadres at their usual delays; organ cadres, volunteers and
    units' staff, party members and the command only after the switch."""
    switch = 300.0
    over = {**SWITCH, "organization.wartime_switch_delay_min": switch}
    m, m0 = (GrassrootsModel(Config().with_overrides(o), rng=3) for o in (over, SWITCH))
    ro, org = m.roster, m.config.organization
    routine = np.isin(ro.role, (Role.COMMUNITY_CADRE, Role.TOWNSHIP_CADRE)) & ro.on_roster
    called = ~np.isin(ro.role, (Role.COMMUNITY_CADRE, Role.TOWNSHIP_CADRE)) & ro.on_roster
    assert routine.any() and called.any()
    np.testing.assert_array_equal(ro.active_from[routine], m0.roster.active_from[routine])
    np.testing.assert_array_equal(ro.active_from[called], m0.roster.active_from[called] + switch)
    assert m.engine.command_active == switch + org.command_convene_min
    assert m.engine.P[Par.PARTY_ACTIVE_FROM] == switch + org.cadre_switch_min
    m.run()
    sites = [a.created_min for a in m.agents_of(TemporaryPartyOrganization)]
    assert sites and min(sites) >= switch
    assert min(e.minute for e in m.events if e.kind == "wartime") == switch


def test_a_switch_later_than_the_hazard_s_onset_delays_the_response():
    """The flood begins an hour after the warning at full strength; a switch six hours
    after the warning leaves the first five hours of needs to the community and township
    staff alone (about an hour more to reach each of them; ten minutes more on average)."""
    late = {**SWITCH, "organization.wartime_switch_delay_min": 360.0}
    for seed in (1, 2, 3):
        on_time, slow = (simulate(Config().with_overrides(o), seed=seed) for o in (SWITCH, late))
        a, b = on_time.summary(), slow.summary()
        assert a["needs_total"] == b["needs_total"]  # the same flood
        assert b["mean_response_min"] > a["mean_response_min"] + 10.0, seed
        assert b["total_harm"] > a["total_harm"], seed
        early = [
            r.needs.query("created_min < 360").eval("reached_min - created_min").mean()
            for r in (on_time, slow)
        ]
        assert early[1] > early[0] + 30.0, (seed, early)
