"""Invariants that every run must satisfy, whatever the configuration and seed.

Property tests draw small random configurations (structure, reporting mechanism, volunteer
team, layout, hazards, toggles) and seeds, run the model, and check conservation, the
life cycle of needs, the responders' bookkeeping and the time series. A few degenerate
settings are checked against the values they must reduce to.
"""

from __future__ import annotations

import math
import os

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sim import Config, GrassrootsModel, simulate
from sim.codes import (
    ARRIVALS,
    DISPATCHED,
    IDLE,
    OFFICES,
    RESOLVED,
    RESTING,
    STATE_NAMES,
    TRAVELLING,
)
from sim.codes import BUSY as SERVING
from sim.codes import SERVING as NEED_SERVING
from sim.engine import Count
from sim.needs import severity_integral
from sim.params import LAYOUTS, MECHANISMS, STRUCTURES

EXAMPLES = int(os.environ.get("INVARIANT_EXAMPLES", "12"))
PROPERTY = settings(
    max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
STAGES = ("created_min", "detected_min", "dispatched_min", "reached_min", "resolved_min")


@st.composite
def small_configs(draw) -> dict:
    """Overrides for a small but complete run (a few thousand residents, under a day)."""
    over = {
        "population.n_residents": draw(st.integers(3000, 6000)),
        "time.peace_days": draw(st.integers(0, 5)),
        "time.war_hours": draw(st.sampled_from([12.0, 18.0, 24.0])),
        "organization.structure": draw(st.sampled_from(STRUCTURES)),
        "organization.siloed_lines": draw(st.sampled_from([2, 6, 12])),
        "reporting.mechanism": draw(st.sampled_from(MECHANISMS)),
        "volunteers.team_size_per_1000": draw(st.sampled_from([0.0, 5.0, 10.0, 30.0])),
        "volunteers.coordinated": draw(st.booleans()),
        "organization.front_line_command": draw(st.booleans()),
        "organization.dynamic_redeployment": draw(st.booleans()),
        "organization.mutual_aid": draw(st.booleans()),
        "organization.temporary_party_orgs": draw(st.booleans()),
        "organization.colocated_units_integrated": draw(st.booleans()),
        "space.layout": draw(st.sampled_from(LAYOUTS)),
        "flood.needs_per_1000_per_hour": draw(st.sampled_from([2.0, 8.0, 25.0])),
        "response.effort_distribution": draw(st.sampled_from(["uniform", "exponential"])),
        "reporting.loss_per_level": draw(st.sampled_from([0.0, 0.02, 0.3])),
        "reporting.levels": draw(st.sampled_from([1, 2, 5])),
        "organization.blame_for_bad_news": draw(st.sampled_from([0.0, 1.0, 5.0])),
        "organization.front_line_inspection": draw(st.sampled_from([0.0, 0.5])),
        "reporting.withhold_mean_min": draw(st.sampled_from([30.0, 720.0])),
        "organization.wartime_switch_delay_min": draw(st.sampled_from([0.0, 120.0, 600.0])),
        "reporting.call_surge_factor": draw(st.sampled_from([1.0, 2.0, 7.0])),
        "reporting.call_patience_min": draw(st.sampled_from([0.5, 5.0, 60.0])),
        "organization.fatigue_per_hour": draw(st.sampled_from([0.0, 0.07, 0.5])),
    }
    if draw(st.booleans()):
        over["fire.enabled"] = True
    if draw(st.booleans()):
        over.update(
            {
                "epidemic.enabled": True,
                "epidemic.symptom_onset_days": 0.3,
                "epidemic.initial_infected": 30,
                "epidemic.r0": 4.0,
                "epidemic.isolation": draw(st.booleans()),
            }
        )
    return over


seeds = st.integers(1, 2**31 - 1)


def run(over: dict, seed: int):
    return simulate(Config().with_overrides(over), seed=seed, keep_model=True)


# --- residents -----------------------------------------------------------------------------


@PROPERTY
@given(small_configs(), seeds)
def test_residents_are_conserved(over, seed):
    res = run(over, seed)
    m, ts = res.model, res.timeseries
    n = over["population.n_residents"]
    assert res.n_residents == n == m.residents.n
    # Susceptible + infected + recovered is everyone, at every step; nobody loses immunity.
    np.testing.assert_array_equal(ts["susceptible"] + ts["infected"] + ts["recovered"], n)
    assert (ts["susceptible"].diff().dropna() <= 0).all()
    assert (ts["recovered"].diff().dropna() >= 0).all()
    assert set(np.unique(m.residents.need_state)) <= {0, 1, 2}
    assert set(np.unique(m.residents.epi)) <= {0, 1, 2}
    # need_state follows the resident's needs: unmet only if one was found, met only if one
    # was resolved, none if none was ever found.
    log = res.needs
    found = np.zeros(n, bool)
    found[m.needs.resident[: m.needs.n][log["detected_min"].notna().to_numpy()]] = True
    met = np.zeros(n, bool)
    met[m.needs.resident[: m.needs.n][log["resolved_min"].notna().to_numpy()]] = True
    ns = m.residents.need_state
    assert np.all(found[ns == 1]) and np.all(met[ns == 2]) and not np.any(found[ns == 0])
    s = res.summary()
    if over.get("epidemic.enabled"):
        assert s["attack_rate"] == pytest.approx(1 - ts["susceptible"].iloc[-1] / n)
    else:  # no epidemic: no attack rate (not a rate of 0 that averages into sweeps)
        assert math.isnan(s["attack_rate"])


# --- needs ---------------------------------------------------------------------------------


def check_need_log(res) -> None:
    log, m = res.needs, res.model
    cfg = res.config
    war_end = m.war_steps * cfg.time.war_step_min
    n = len(log)
    assert n == m.needs.n == res.summary()["needs_total"]
    assert log["need_id"].tolist() == list(range(n))
    assert set(log["state"].astype(str)) <= set(STATE_NAMES)
    assert not log["state"].isna().any()
    t = {c: log[c].to_numpy() for c in (*STAGES, "reported_min")}
    assert np.all(np.isfinite(t["created_min"]))
    assert np.all((t["created_min"] >= 0) & (t["created_min"] < war_end))
    for c in (*STAGES[1:], "reported_min"):
        x = t[c][np.isfinite(t[c])]
        assert np.all(x < war_end), c
    # Each stage needs the one before; the times are ordered; no delay is negative.
    for earlier, later in zip(STAGES, STAGES[1:]):
        assert np.all(np.isfinite(t[earlier])[np.isfinite(t[later])]), (earlier, later)
        both = np.isfinite(t[earlier]) & np.isfinite(t[later])
        assert np.all(t[later][both] >= t[earlier][both] - 1e-9), (earlier, later)
    rep = np.isfinite(t["reported_min"])
    assert np.all(np.isfinite(t["detected_min"])[rep])
    assert np.all(t["reported_min"][rep] >= t["detected_min"][rep] - 1e-9)
    # A responder sent needs at least the local travel to reach the household.
    reached = np.isfinite(t["reached_min"])
    assert np.all(
        t["reached_min"][reached] - t["dispatched_min"][reached]
        >= cfg.space.local_travel_min - 1e-9
    )
    # Each need is in exactly the state its stage times say.
    state = log["state"].astype(str).to_numpy()
    fin = {c: np.isfinite(v) for c, v in t.items()}
    expected = np.select(
        [
            fin["resolved_min"],
            fin["reached_min"],
            fin["dispatched_min"],
            fin["reported_min"],
            fin["detected_min"],
        ],
        ["resolved", "serving", "dispatched", "reported", "detected"],
        "created",
    )
    # A misrouted need waits at the detected stage to be sent again, its report arrived
    # (sim/engine/dispatch.py, misrouted): only then may a reported need show as detected.
    resent = (expected == "reported") & (state == "detected")
    assert (
        not resent.any()
        or (
            m.engine.count(Count.REDISPATCHES)
            + (m.routine.engine.count(Count.REDISPATCHES) if m.routine is not None else 0)
        )
        > 0
    )
    expected[resent] = "detected"
    np.testing.assert_array_equal(state, expected)
    # Counts nest: resolved <= reached <= dispatched <= detected <= created.
    counts = [int(fin[c].sum()) for c in reversed(STAGES)]
    assert counts == sorted(counts)
    s = res.summary()
    assert s["needs_resolved"] == fin["resolved_min"].sum()
    assert s["needs_reached"] == fin["reached_min"].sum()
    assert s["needs_resolved"] <= s["needs_reached"] <= s["needs_total"]
    # Who reached each need first: a kind for every need reached, none for the others; the
    # outcomes count them by kind.
    first = log["first_by"]
    np.testing.assert_array_equal(first.notna().to_numpy(), fin["reached_min"])
    assert list(first.cat.categories) == list(ARRIVALS)
    counts = first.value_counts()
    assert sum(s[f"first_by_{k}"] for k in ARRIVALS) == s["needs_reached"]
    assert all(s[f"first_by_{k}"] == counts.get(k, 0) for k in ARRIVALS)
    # Expected deaths: per need in [0, persons], summed in the outcomes.
    deaths = log["expected_deaths"].to_numpy()
    assert np.all((deaths >= 0) & (deaths <= np.maximum(log["persons"].to_numpy(), 1) + 1e-12))
    assert s["casualty_proxy"] == pytest.approx(deaths.sum(), rel=1e-12, abs=1e-12)
    assert s["expected_deaths_life_threatening"] == pytest.approx(
        deaths[log["life_threatening"].to_numpy()].sum(), rel=1e-12, abs=1e-12
    )
    for k in (
        "share_met_within_target",
        "share_handled_locally",
        "responder_utilization",
        "workload_gini",
        "community_workload_gini",
        "share_reached",
    ):
        assert 0.0 <= s[k] <= 1.0 or (math.isnan(s[k]) and n == 0), k
    for k in (
        "mean_detection_delay_min",
        "mean_reporting_delay_min",
        "mean_dispatch_delay_min",
        "mean_travel_min",
        "mean_response_min",
        "mean_response_reached_min",
        "mean_resolution_min",
        "total_harm",
        "casualty_proxy",
        "duplicate_dispatches",
        "lost_reports",
        "person_hours",
    ):
        assert math.isnan(s[k]) or s[k] >= 0, k
    assert s["share_reached"] == pytest.approx(fin["reached_min"].sum() / n) or n == 0
    if n:
        # Censored at the end: a need never reached counts as reached when the emergency ends.
        censored = np.where(reached, t["reached_min"], war_end) - t["created_min"]
        assert s["mean_response_min"] == pytest.approx(censored.mean())
        assert censored.min() - 1e-9 <= s["p90_response_min"] <= censored.max() + 1e-9
    if fin["reached_min"].any():
        assert s["mean_response_reached_min"] == pytest.approx(
            np.mean(t["reached_min"][reached] - t["created_min"][reached])
        )
        if np.all(reached):  # nothing censored: the two means agree
            assert s["mean_response_min"] == pytest.approx(s["mean_response_reached_min"])
    if fin["dispatched_min"].any():  # every dispatched need, by whatever path
        sent = fin["dispatched_min"]
        assert s["mean_dispatch_delay_min"] == pytest.approx(
            np.mean(t["dispatched_min"][sent] - t["detected_min"][sent])
        )
    # Every extra dispatch to a need is a duplicate, and only those are.
    dispatches = log["dispatches"].to_numpy()
    assert np.all((dispatches > 0) == fin["dispatched_min"])
    assert s["duplicate_dispatches"] == np.maximum(dispatches - 1, 0).sum()


@PROPERTY
@given(small_configs(), seeds)
def test_need_life_cycle_is_consistent(over, seed):
    check_need_log(run(over, seed))


@PROPERTY
@given(small_configs(), seeds)
def test_harm_is_the_integral_of_unmet_severity(over, seed):
    """Harm accrues step by step; summed, it equals the closed-form integral from creation
    until the first responder arrives (or the run ends)."""
    res = run(over, seed)
    m, cfg = res.model, res.config
    nd = m.needs
    n = nd.n
    war_end = m.war_steps * cfg.time.war_step_min
    until = np.where(np.isnan(nd.reached[:n]), war_end, nd.reached[:n])
    expected = nd.weight[:n] * np.array(
        [
            severity_integral(s0, cfg.response.deterioration_per_hour, 0.0, h)
            for s0, h in zip(nd.severity0[:n], (until - nd.created[:n]) / 60.0)
        ]
    )
    np.testing.assert_allclose(nd.harm[:n], expected, rtol=1e-9, atol=1e-9)
    assert np.all(nd.harm[:n] >= 0)
    s = res.summary()
    assert s["total_harm"] == pytest.approx(nd.harm[:n].sum(), rel=1e-12, abs=1e-9)
    assert res.timeseries["cum_harm"].iloc[-1] == pytest.approx(s["total_harm"], rel=1e-9, abs=1e-9)
    assert 0 <= s["casualty_proxy"] <= nd.persons[:n].sum() + 1e-9


# --- responders ----------------------------------------------------------------------------


def check_roster(m: GrassrootsModel) -> None:
    ro, nd = m.roster, m.needs
    st_ = ro.status
    assert np.all(np.isin(st_, (IDLE, TRAVELLING, SERVING, RESTING)))
    on_need = (st_ == TRAVELLING) | (st_ == SERVING)
    # A responder has a need exactly while travelling to or serving it.
    np.testing.assert_array_equal(ro.need >= 0, on_need)
    assert np.all(ro.need < nd.n)
    # Only responders who have switched to wartime mode are out.
    assert np.all(ro.active_from[st_ != IDLE] <= m.minute)
    # No need is served by two responders at once; a server is where the need is.
    serving = np.flatnonzero(st_ == SERVING)
    served_needs = ro.need[serving]
    assert len(np.unique(served_needs)) == len(served_needs)
    assert np.all(nd.state[served_needs] == NEED_SERVING)
    assert np.all(ro.node[serving] == nd.grid[served_needs])
    # Travellers head to needs that were dispatched; no need has more responders on it than
    # dispatches were made to it.
    travelling = ro.need[st_ == TRAVELLING]
    assert np.all(nd.state[travelling] >= DISPATCHED)
    per_need = np.bincount(ro.need[on_need], minlength=nd.n)
    assert np.all(per_need <= nd.n_dispatches[: nd.n])
    # Nobody has been busy longer than the wartime that has passed since they were active.
    elapsed = np.clip(m.minute - ro.active_from, 0, None)
    assert np.all(ro.busy_min >= 0)
    assert np.all(ro.busy_min <= elapsed + 1e-6)
    assert m.responders_busy == int(on_need.sum())


@PROPERTY
@given(small_configs(), seeds)
def test_responders_are_in_one_place_at_a_time(over, seed):
    m = GrassrootsModel(Config().with_overrides(over), rng=seed)
    while m.running:
        m.step()
        if m.phase == "war":
            check_roster(m)
    assert m.step_count == m.n_steps
    served = m.roster.served.sum()
    assert served <= np.count_nonzero(m.needs.state[: m.needs.n] == RESOLVED)


@PROPERTY
@given(small_configs(), seeds)
def test_calls_are_counted_once_and_answered_at_most_once(over, seed):
    """Every call to the offices is received once, on one day, and answered at most once;
    the shares are in [0, 1]; fatigue never speeds a responder up."""
    res = run(over, seed)
    q, s = res.model.engine.Q, res.summary()
    received, answered = q.call_count[:, 0], q.call_count[:, 1]
    assert (answered >= 0).all() and (answered <= received).all()
    assert q.call_day[:, 0].sum() == received[0] and q.call_day[:, 1].sum() == answered[0]
    assert q.call_day[:, 2].sum() == received[1:].sum()
    assert q.call_day[:, 3].sum() == answered[1:].sum()
    assert s["calls_received"] == received.sum()
    for key in (
        "share_calls_answered",
        "share_hotline_calls_answered",
        "worst_day_hotline_answered",
    ):
        assert math.isnan(s[key]) or 0.0 <= s[key] <= 1.0, key
    assert (
        math.isnan(s["worst_day_hotline_answered"])
        or s["worst_day_hotline_answered"] <= s["share_hotline_calls_answered"] + 1e-12
    )
    assert math.isnan(s["mean_fatigue_factor"]) or s["mean_fatigue_factor"] >= 1.0
    if over["organization.fatigue_per_hour"] == 0.0:
        assert math.isnan(s["mean_fatigue_factor"]) or s["mean_fatigue_factor"] == 1.0


# --- time series ---------------------------------------------------------------------------


@PROPERTY
@given(small_configs(), seeds)
def test_timeseries_monotone_and_consistent(over, seed):
    res = run(over, seed)
    ts, cfg = res.timeseries, res.config
    peace, war = cfg.time.peace_days, math.ceil(cfg.time.war_hours * 60 / cfg.time.war_step_min)
    assert res.n_steps == peace + war
    assert len(ts) == peace + war + 1  # the initial state, then one row per step
    assert ts["step"].tolist() == list(range(len(ts)))
    assert (ts["time_min"].diff().dropna() > 0).all()
    assert (ts["phase_code"].diff().dropna() >= 0).all()
    # The row where the war begins, then one row per wartime step (with peace_days = 0 the
    # initial row is already in war: see test_initial_row_at_zero_peace_days_is_in_war).
    assert (ts["phase_code"].iloc[1:] == 1).sum() == war + (1 if peace > 0 else 0)
    assert (ts["time_min"] == 0).sum() == 1
    for col in ("needs_total", "cum_harm", "resolved", "duplicate_dispatches", "temporary_orgs"):
        assert (ts[col].diff().dropna() >= -1e-9).all(), col
    # No needs before the emergency.
    assert (ts.loc[ts["phase_code"] == 0, "needs_total"] == 0).all()
    np.testing.assert_array_equal(ts["backlog"], ts["needs_total"] - ts["resolved"])
    assert (ts["unmet"] <= ts["backlog"]).all()
    assert (ts["known_waiting"] <= ts["unmet"]).all()
    assert (ts["responders_busy"] <= ts["responders_active"]).all()
    assert ((ts["mean_trust"] >= 0) & (ts["mean_trust"] <= 1)).all()
    s = res.summary()
    last = ts.iloc[-1]
    assert s["needs_total"] == last["needs_total"]
    assert s["needs_resolved"] == last["resolved"]
    assert s["duplicate_dispatches"] == last["duplicate_dispatches"]
    assert s["temporary_party_orgs"] == last["temporary_orgs"]
    assert s["peak_backlog"] == ts.loc[ts["phase_code"] == 1, "backlog"].max()


@PROPERTY
@given(small_configs(), seeds)
def test_no_level_knows_of_more_severe_needs_than_exist_or_than_the_level_below(over, seed):
    """What each office level knows of severe needs (sim/engine/distortion.py): never more
    than there are, never more than the grid knows, and up a hierarchical chain never more
    than the level below; counts only grow; the last row agrees with the summary."""
    res = run(over, seed)
    ts, s, cfg = res.timeseries, res.summary(), res.config
    known = {o: ts[f"severe_known_{o}"] for o in OFFICES}
    for col in (
        "severe_needs",
        "severe_reported",
        "casualties",
        "casualties_reported",
        *(f"severe_known_{o}" for o in OFFICES),
    ):
        assert (ts[col].diff().dropna() >= -1e-9).all(), col
    assert (known["grid"] <= ts["severe_needs"]).all()
    for o in OFFICES:
        assert (known[o] <= known["grid"]).all(), o
    assert (ts["severe_reported"] <= known["grid"]).all()
    if cfg.reporting.mechanism == "hierarchical":
        chain = OFFICES[: cfg.reporting.levels + 1]
        for below, above in zip(chain, chain[1:]):
            assert (known[above] <= known[below]).all(), (below, above)
    assert ts["severe_needs"].iloc[-1] == s["severe_needs"]
    assert (ts["casualties_reported"] <= ts["casualties"] + 1e-12).all()
    assert ts["casualties"].iloc[-1] == pytest.approx(s["casualty_proxy"], rel=1e-12)
    nd = res.needs
    severe = nd["severity"] >= cfg.reporting.severe_threshold
    assert ts["severe_reported"].iloc[-1] == (severe & nd["reported_min"].notna()).sum()
    # Nothing is held back without blame, and nothing is lost: a held-back report is late.
    if cfg.organization.blame_for_bad_news == 0.0:
        assert s["severe_withheld_share"] in (0.0,) or math.isnan(s["severe_withheld_share"])
    assert s["lost_reports"] == sum(s[f"lost_reports_{o}"] for o in OFFICES[1:])


def test_initial_row_at_zero_peace_days_is_in_war():
    res = run({"population.n_residents": 3000, "time.peace_days": 0, "time.war_hours": 6.0}, 1)
    row = res.timeseries.iloc[0]
    assert row["phase_code"] == 1
    assert row["time_min"] == 0.0


# --- degenerate settings -------------------------------------------------------------------


def test_reporting_delay_of_a_chain_without_queueing_is_the_sum_of_levels():
    """docs/model.md (Credibility): fixed per-level delays, no queueing and no loss give
    their sum."""
    over = {
        "population.n_residents": 6000,
        "time.peace_days": 2,
        "time.war_hours": 18.0,
        "organization.structure": "integrated",
        "reporting.mechanism": "hierarchical",
        "reporting.loss_per_level": 0.0,
        "reporting.community_handlers_per_10k": 1000.0,
        "reporting.township_handlers_per_10k": 1000.0,
        "organization.cadre_switch_min": 0.0,
        "reporting.grid_delay_min": 0.0,
    }
    res = run(over, 3)
    d = (res.needs["reported_min"] - res.needs["detected_min"]).dropna()
    rep = res.config.reporting
    assert len(d) > 50
    np.testing.assert_allclose(d, rep.community_delay_min + rep.township_delay_min, atol=1e-9)


@pytest.mark.parametrize("mechanism", MECHANISMS)
def test_every_report_pays_at_least_its_levels_delays(mechanism):
    over = {
        "population.n_residents": 6000,
        "time.peace_days": 2,
        "time.war_hours": 18.0,
        "organization.structure": "integrated",
        "reporting.mechanism": mechanism,
    }
    res = run(over, 5)
    rep = res.config.reporting
    d = (res.needs["reported_min"] - res.needs["detected_min"]).dropna()
    floor = {
        "hierarchical": rep.grid_delay_min + rep.community_delay_min + rep.township_delay_min,
        "direct": rep.grid_delay_min + min(rep.command_delay_min, rep.township_delay_min),
        "joint_meeting": rep.grid_delay_min,
        "grid_autonomy": rep.grid_delay_min,
    }[mechanism]
    assert len(d) > 20
    assert d.min() >= floor - 1e-9


def test_no_hazard_means_no_needs_and_no_harm():
    over = {
        "population.n_residents": 4000,
        "time.peace_days": 3,
        "time.war_hours": 12.0,
        "flood.enabled": False,
    }
    res = run(over, 1)
    s = res.summary()
    assert s["needs_total"] == 0 and s["total_harm"] == 0 and s["duplicate_dispatches"] == 0
    assert (res.timeseries["backlog"] == 0).all()
    assert isinstance(res.needs, pd.DataFrame) and len(res.needs) == 0
