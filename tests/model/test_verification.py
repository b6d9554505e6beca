"""Verification against known results in degenerate settings (issue 6, part 2).

Each test loads a config from configs/verification/ and compares the model with a result
computed independently here: Erlang C for the M/M/c queue, the sum of per-level delays for
the reporting chain, the SIR final-size relation, and networkx shortest paths for travel.
"""

from __future__ import annotations

import math
from pathlib import Path

import networkx as nx
import numpy as np
import pandas as pd
import pytest
from scipy.optimize import brentq

from sim import GrassrootsModel, load_scenario, simulate

VERIFY = Path(__file__).resolve().parents[2] / "configs" / "verification"
INITIAL_COHESION = 0.3  # CommunityPartyOrganization.cohesion with peace_days = 0
SERVICE_MEAN = 90.0 * (1 - 0.25 * INITIAL_COHESION)  # evacuation effort x cohesion factor


# --- queueing: M/M/c ------------------------------------------------------------------------


def erlang_c_wait(lam: float, mu: float, c: int) -> float:
    """Mean wait in queue of an M/M/c queue (Erlang C), computed in log space."""
    a = lam / mu
    rho = a / c
    assert rho < 1
    terms = [k * math.log(a) - math.lgamma(k + 1) for k in range(c)]
    top = c * math.log(a) - math.lgamma(c + 1) - math.log(1 - rho)
    mx = max(max(terms), top)
    s = sum(math.exp(x - mx) for x in terms)
    t = math.exp(top - mx)
    return (t / (s + t)) / (c * mu - lam)


def test_erlang_c_reference_values():
    # M/M/1: Wq = rho / (mu - lam); M/M/2 at rho = 0.5: Wq = 1/3 (mu = 1).
    assert erlang_c_wait(0.5, 1.0, 1) == pytest.approx(1.0)
    assert erlang_c_wait(1.0, 1.0, 2) == pytest.approx(1 / 3)


QUEUE_STEP_MIN = 240.0  # events run at exact minutes; long steps only save step overhead
QUEUE_WARMUP_H = 20.0  # needs created earlier are discarded (the queue starts empty)
QUEUE_BATCHES = 10  # batch means per run, for the standard error


def _queue_waits(load: float, hours: float, seed: int, c: int) -> np.ndarray:
    """Waits (dispatched - reported, minutes) of the needs created after the warm-up."""
    cfg = load_scenario(VERIFY / "queue_mmc.toml")
    lam_h = load * c / (SERVICE_MEAN / 60)  # one grid of 1,000 residents
    cfg = cfg.with_overrides(
        {
            "organization.community_cadres_per_community": c,
            "flood.needs_per_1000_per_hour": lam_h,
            "time.war_hours": hours,
            "time.war_step_min": QUEUE_STEP_MIN,
        }
    )
    r = simulate(cfg, seed=seed, keep_model=True)
    m = r.model
    assert m.township.n_grids == 1 and m.township.n_communities == 1
    assert m.roster.n == c  # the cadres are the only servers
    n = r.needs
    keep = (n.created_min >= QUEUE_WARMUP_H * 60) & n.dispatched_min.notna()
    assert n.dispatched_min.notna().mean() > 0.99  # the queue is stable: (nearly) all served
    return (n.dispatched_min - n.reported_min)[keep].to_numpy()


def queue_mean_wait(c: int, load: float, hours: float, seeds) -> tuple[float, float]:
    """Mean wait over independent runs, and its standard error from the spread of batch
    means (QUEUE_BATCHES per run)."""
    batch_means = []
    for seed in seeds:
        waits = _queue_waits(load, hours, seed, c)
        assert np.all(waits >= -1e-9)
        batch_means += [b.mean() for b in np.array_split(waits, QUEUE_BATCHES)]
    batch_means = np.array(batch_means)
    return float(batch_means.mean()), float(batch_means.std(ddof=1) / math.sqrt(len(batch_means)))


# Loads where customers wait over 20 minutes (Erlang C 83.3 min for one server at load 0.5,
# 21.0 min for five at 0.7), long horizons (3,000-10,000 needs per run) and several seeds:
# three standard errors are 10-15% of the wait, while a service rate off by 10% moves the
# expected wait by 24-89% (the power check below).
@pytest.mark.parametrize(
    "c,load,hours,seeds", [(1, 0.5, 8000.0, (1, 2, 3, 4, 5)), (5, 0.7, 4000.0, (1, 2, 3, 4))]
)
def test_queue_mean_wait_matches_erlang_c(c, load, hours, seeds):
    mu = 1 / SERVICE_MEAN
    lam = load * c * mu
    expected = erlang_c_wait(lam, mu, c)
    mean, se = queue_mean_wait(c, load, hours, seeds)
    tolerance = 3 * se
    print(
        f"c {c}, load {load}: mean wait {mean:.3f} min (s.e. {se:.3f}), Erlang C {expected:.3f} min"
    )
    # Power: a model whose service rate were 10% off either way would fail this test.
    for wrong_mu in (1.1 * mu, mu / 1.1):
        wrong = erlang_c_wait(lam, wrong_mu, c) if lam < c * wrong_mu else math.inf
        assert abs(wrong - expected) > tolerance + 1.0, (wrong_mu, wrong, tolerance)
    assert 0.03 * expected < tolerance < 0.25 * expected  # a spread, estimated
    assert abs(mean - expected) <= tolerance, (load, mean, expected, se)


# --- reporting chain ------------------------------------------------------------------------

CHAIN = {
    "hierarchical": ("grid", "community", "township"),
    "direct": ("grid", "command"),
    "joint_meeting": ("grid", "command"),
    "grid_autonomy": ("grid",),
}
UPPER = ("upper", "upper", "upper")  # district, city, province: reporting.upper_delay_min


def _check_sum_of_levels(cfg, levels: tuple[str, ...], seed: int = 3) -> None:
    expected = sum(getattr(cfg.reporting, f"{level}_delay_min") for level in levels)
    r = simulate(cfg, seed=seed)
    n = r.needs
    delay = (n.reported_min - n.detected_min).dropna().to_numpy()
    assert len(delay) > 50
    # Exactly the sum unless two reports met at one grid manager (rare at this need rate).
    exact = np.isclose(delay, expected)
    assert exact.mean() >= 0.95, (levels, expected, np.unique(delay.round(3)))
    assert np.median(delay) == pytest.approx(expected)
    assert delay.min() == pytest.approx(expected)


@pytest.mark.parametrize("mechanism", list(CHAIN))
def test_reporting_delay_is_sum_of_levels(mechanism):
    cfg = load_scenario(VERIFY / "reporting_chain.toml", {"reporting.mechanism": mechanism})
    _check_sum_of_levels(cfg, CHAIN[mechanism])


@pytest.mark.parametrize("levels", [1, 2, 3, 4, 5])
def test_hierarchical_delay_is_sum_of_its_levels_at_every_depth(levels):
    """reporting.levels offices above the grid: community, township, then district, city and
    province; without queueing the delay is the sum of the levels' delays."""
    cfg = load_scenario(
        VERIFY / "reporting_chain.toml",
        {"reporting.mechanism": "hierarchical", "reporting.levels": levels},
    )
    _check_sum_of_levels(cfg, (("grid", "community", "township") + UPPER)[: levels + 1])


def test_each_extra_level_lengthens_reporting_with_queues():
    """At the default street (offices with queues and losses), every extra level adds to
    the mean reporting delay on every seed (common random numbers)."""
    means = []
    for levels in (1, 2, 3, 4, 5):
        row = []
        for seed in (1, 2):
            cfg = load_scenario(
                None,
                {
                    "reporting.mechanism": "hierarchical",
                    "reporting.levels": levels,
                    "time.peace_days": 0,
                    "time.war_hours": 24.0,
                },
            )
            row.append(simulate(cfg, seed=seed).summary()["mean_reporting_delay_min"])
        means.append(row)
    means = np.array(means)
    print("mean reporting delay by levels 1-5 (rows), seeds (columns):", means.round(1))
    assert np.all(np.diff(means, axis=0) > 0), means


def _command_wait(n_residents: int, per_10k: float, need_rate: float = 0.2) -> float:
    """Mean wait at the front-line command; 0.2 needs/1000/h keep one handler of 30,000
    residents at load 0.7 (6 reports an hour, 7 minutes each)."""
    cfg = load_scenario(
        VERIFY / "reporting_chain.toml",
        {
            "reporting.mechanism": "direct",
            "reporting.command_handlers_per_10k": per_10k,
            "population.n_residents": n_residents,
            "flood.needs_per_1000_per_hour": need_rate,
            "time.war_hours": 48.0,
        },
    )
    n = pd.concat([simulate(cfg, seed=seed).needs for seed in (5, 6)])
    delay = (n.reported_min - n.detected_min).dropna()
    return float(delay.mean() - cfg.reporting.grid_delay_min - cfg.reporting.command_delay_min)


def test_top_level_congests_with_fewer_handlers():
    waits = [_command_wait(30_000, per_10k) for per_10k in (1.0, 0.67, 0.34)]  # 3, 2, 1
    print("top-level wait with 3, 2, 1 handlers:", [round(w, 2) for w in waits])
    assert waits[0] >= -1e-9
    assert waits[0] < waits[1] < waits[2], waits


def test_office_capacity_scales_with_the_residents():
    """Handlers per 10,000 residents: the same per-resident need rate does not jam the
    command of a larger street (a fixed handful of handlers would: see the next test)."""
    waits = [_command_wait(n, 0.34) for n in (30_000, 60_000, 120_000)]  # 1, 2, 4 handlers
    fixed = [_command_wait(n, 0.34 * 30_000 / n) for n in (30_000, 60_000, 120_000)]
    print("top-level wait, scaled / one handler:", np.round(waits, 2), np.round(fixed, 2))
    assert waits[2] <= waits[1] <= waits[0], waits
    assert fixed[2] > fixed[1] > fixed[0] and fixed[2] > waits[0] + 30, fixed


# --- epidemic: SIR final size -------------------------------------------------------------


def sir_final_size(r0: float, s0: float) -> float:
    """Share ever infected z: 1 - z = s0 exp(-R0 z) (initial infected included in z)."""
    return brentq(lambda z: 1 - z - s0 * math.exp(-r0 * z), 1 - s0 + 1e-12, 1.0)


SIR_SEEDS = (11, 12, 13, 14, 15, 16)
SIR_K = 4.0  # standard errors: with 6 seeds, |t_5| > 4 has probability 1%


def sir_expected(cfg, r0: float) -> float:
    """The final size of the model's discrete-time SIR: per step an infective recovers with
    probability p = 1 - exp(-dt/D) and exerts force beta dt, so over its infectious life it
    exerts beta dt / p; with escape probability exp(-force) per step (Reed-Frost), the
    final-size relation holds with that R exactly in the large-population limit."""
    ep, n = cfg.epidemic, cfg.population.n_residents
    dt = cfg.time.war_step_min / 1440
    r_eff = (r0 / ep.infectious_days) * dt / -math.expm1(-dt / ep.infectious_days)
    return sir_final_size(r_eff, 1 - ep.initial_infected / n)


def within_spread(attacks: np.ndarray, expected: float) -> tuple[bool, float, float]:
    """Is the mean attack rate over seeds within SIR_K standard errors of the expected one?"""
    mean = float(attacks.mean())
    se = float(attacks.std(ddof=1) / math.sqrt(len(attacks)))
    return abs(mean - expected) <= SIR_K * se, mean, se


@pytest.mark.parametrize("r0", [1.5, 2.5, 4.0])
def test_sir_final_size(r0):
    cfg = load_scenario(VERIFY / "sir_final_size.toml", {"epidemic.r0": r0})
    n = cfg.population.n_residents
    attacks = []
    for seed in SIR_SEEDS:
        r = simulate(cfg, seed=seed, keep_model=True)
        s, i, _ = r.model.residents.counts()
        assert i <= 0.001 * n  # (nearly) burnt out
        attacks.append(1 - s / n)
    attacks = np.array(attacks)
    expected = sir_expected(cfg, r0)
    ok, mean, se = within_spread(attacks, expected)
    print(
        f"R0 {r0}: attack {mean:.4f} (s.e. {se:.4f}, {len(attacks)} seeds), "
        f"final-size relation {expected:.4f}"
    )
    assert ok, (r0, mean, se, expected)
    # The tolerance is tight enough to catch an R0 off by 10% either way.
    for wrong in (0.9 * r0, 1.1 * r0):
        assert not within_spread(attacks, sir_expected(cfg, wrong))[0], wrong


# --- travel ---------------------------------------------------------------------------------


def _independent_paths(graph: nx.Graph, n: int) -> np.ndarray:
    out = np.full((n, n), np.inf)
    for src, lengths in nx.all_pairs_dijkstra_path_length(graph, weight="minutes"):
        for dst, d in lengths.items():
            out[src, dst] = d
    return out


def test_travel_is_shortest_path_before_and_after_cuts():
    """The travel minutes are the networkx shortest paths of the graph as it is (before and
    after the flood cuts roads), and a responder's trip (dispatched -> reached) is that
    path from where it waited, plus the local travel within the grid."""
    cfg = load_scenario(VERIFY / "travel.toml")
    model = GrassrootsModel(cfg, rng=7)
    tw = model.township
    version, paths = -1, None
    trips: dict[int, tuple[float, bool]] = {}  # need -> (expected minutes, after a cut)
    while model.running:
        ro = model.roster
        idle = {
            int(r): (int(ro.node[r]), float(ro.busy_min[r])) for r in np.flatnonzero(ro.status == 0)
        }
        model.step()  # a hazard changes roads at the start of a step, before any dispatch
        if version != tw.n_path_updates:  # the network changed: recompute
            paths, version = _independent_paths(tw.graph, tw.n_nodes), tw.n_path_updates
            assert np.allclose(tw.travel, paths)
        nd = model.needs
        for r, (node, busy) in idle.items():  # sent this step from where it waited, and
            i = int(ro.need[r])  # nothing else done in the step
            if (
                i >= 0
                and nd.dispatched[i] >= model.minute - cfg.time.war_step_min
                and ro.busy_min[r] == busy
                and ro.busy_since[r] == nd.dispatched[i]
            ):
                trips[i] = (
                    paths[node, nd.grid[i]] + cfg.space.local_travel_min,
                    bool(tw.cut_edges),
                )
    nd = model.needs
    checked = {False: 0, True: 0}
    for i, (expected, after) in trips.items():
        if nd.n_dispatches[i] == 1 and not math.isnan(nd.reached[i]):
            assert nd.reached[i] - nd.dispatched[i] == pytest.approx(expected), i
            checked[after] += 1
    assert checked[False] > 20 and checked[True] > 20, checked
