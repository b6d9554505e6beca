"""Unit tests, module by module: the building blocks hold to their own definitions.

sim.agents (gini, ReportQueue), sim.needs (severity_integral), sim.events (EventQueue),
sim.township (Township) and sim.residents (Residents).
"""

from __future__ import annotations

import math

import networkx as nx
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import integrate

from sim.agents import ReportQueue, gini
from sim.events import EventQueue
from sim.needs import severity_integral
from sim.params import EpidemicParams, PopulationParams, SpaceParams
from sim.residents import INFECTED, RECOVERED, SUSCEPTIBLE, Residents
from sim.township import Township

# --- sim.agents.gini -----------------------------------------------------------------------


def test_gini_is_zero_for_equal_values():
    assert gini(np.full(10, 3.7)) == pytest.approx(0.0, abs=1e-12)


def test_gini_of_one_holder_among_four_is_three_quarters():
    # Mean absolute difference over all ordered pairs / (2 * mean): 6 / 16 / (2 * 0.25) = 0.75.
    assert gini(np.array([0.0, 0.0, 0.0, 1.0])) == pytest.approx(0.75)
    # The order of the values does not matter.
    assert gini(np.array([0.0, 1.0, 0.0, 0.0])) == pytest.approx(0.75)


def test_gini_of_empty_or_all_zero_is_zero():
    assert gini(np.array([])) == 0.0
    assert gini(np.zeros(5)) == 0.0


@settings(max_examples=50, deadline=None)
@given(st.lists(st.floats(0, 1e3, allow_nan=False, allow_subnormal=False), min_size=1,
                max_size=40),
       st.floats(0.01, 100))
def test_gini_matches_mean_absolute_difference(values, scale):
    v = np.array(values)
    g = gini(v)
    if v.sum() <= 0:
        assert g == 0.0
        return
    expected = np.abs(v[:, None] - v[None, :]).sum() / (2 * len(v) ** 2 * v.mean())
    assert g == pytest.approx(expected, rel=1e-9, abs=1e-9)
    assert -1e-12 <= g <= (len(v) - 1) / len(v) + 1e-12
    assert gini(v * scale) == pytest.approx(g, rel=1e-9, abs=1e-9)  # scale invariant


# --- sim.needs.severity_integral -------------------------------------------------------------


def _numerical_severity_integral(sev0: float, rate: float, a: float, b: float) -> float:
    a = max(a, 0.0)
    if b <= a:
        return 0.0
    points = [(1.0 - sev0) / rate] if rate > 0 and a < (1.0 - sev0) / rate < b else None
    value, _ = integrate.quad(lambda u: min(1.0, sev0 + rate * u), a, b, points=points,
                              epsabs=1e-10, epsrel=1e-10, limit=200)
    return value


# A subnormal rate overflows (1 - sev0) / rate to inf: harmless (the value is still right),
# but numpy warns.
@pytest.mark.filterwarnings("ignore:overflow encountered in divide:RuntimeWarning")
@settings(max_examples=200, deadline=None)
@given(sev0=st.floats(0.0, 1.0), rate=st.floats(0.0, 5.0), a=st.floats(0.0, 48.0),
       length=st.floats(0.0, 48.0))
def test_severity_integral_matches_numerical_integration(sev0, rate, a, length):
    b = a + length
    got = severity_integral(np.array([sev0]), rate, np.array([a]), np.array([b]))[0]
    assert got == pytest.approx(_numerical_severity_integral(sev0, rate, a, b),
                                rel=1e-7, abs=1e-9)


@pytest.mark.filterwarnings("ignore:overflow encountered in divide:RuntimeWarning")
@settings(max_examples=100, deadline=None)
@given(sev0=st.floats(0.0, 1.0), rate=st.floats(0.0, 5.0),
       cuts=st.lists(st.floats(0.0, 30.0), min_size=2, max_size=6))
def test_severity_integral_is_additive_over_windows(sev0, rate, cuts):
    """Harm accrues step by step: the pieces must add up to the whole window."""
    edges = np.sort(np.array(cuts))
    s = np.full(len(edges) - 1, sev0)
    pieces = severity_integral(s, rate, edges[:-1], edges[1:]).sum()
    whole = severity_integral(np.array([sev0]), rate, edges[:1], edges[-1:])[0]
    assert pieces == pytest.approx(whole, rel=1e-9, abs=1e-9)


def test_severity_integral_edge_cases():
    one = np.array([1.0])
    # Already fully severe: the integral is the window length.
    assert severity_integral(np.array([1.0]), 0.5, np.array([2.0]), np.array([5.0]))[0] == \
        pytest.approx(3.0)
    # No deterioration: constant severity.
    assert severity_integral(np.array([0.4]), 0.0, np.array([0.0]), np.array([2.5]))[0] == \
        pytest.approx(1.0)
    # Linear part then flat: sev0=0, rate=1 -> saturates at u=1; [0, 3] gives 0.5 + 2.
    assert severity_integral(np.array([0.0]), 1.0, np.array([0.0]), np.array([3.0]))[0] == \
        pytest.approx(2.5)
    # Empty or reversed windows and negative times (before creation) give no harm.
    assert severity_integral(np.array([0.5]), 1.0, np.array([2.0]), np.array([2.0]))[0] == 0.0
    assert severity_integral(np.array([0.5]), 1.0, np.array([3.0]), np.array([1.0]))[0] == 0.0
    assert severity_integral(one * 0.5, 0.0, np.array([-5.0]), np.array([1.0]))[0] == \
        pytest.approx(0.5)


# --- sim.events.EventQueue -----------------------------------------------------------------


@settings(max_examples=50, deadline=None)
@given(st.lists(st.floats(0.0, 1000.0), min_size=1, max_size=60))
def test_event_queue_runs_in_time_order_ties_in_scheduling_order(times):
    q = EventQueue()
    ran: list[tuple[float, int]] = []
    for k, t in enumerate(times):
        q.at(t, lambda now, k=k: ran.append((now, k)))
    n = q.run_until(math.inf)
    assert n == len(times) and len(q) == 0
    assert ran == sorted(((t, k) for k, t in enumerate(times)))


def test_event_queue_run_until_is_strict_and_refuses_the_past():
    q = EventQueue()
    ran: list[float] = []
    for t in (5.0, 10.0, 10.0, 12.0):
        q.at(t, lambda now: ran.append(now))
    assert q.run_until(10.0) == 1  # events at exactly t_end wait for the next window
    assert ran == [5.0] and len(q) == 3
    assert q.now == 10.0
    with pytest.raises(ValueError):
        q.at(9.99, lambda now: None)
    q.at(10.0, lambda now: ran.append(now))  # "now" itself is allowed
    assert q.run_until(11.0) == 3
    assert ran == [5.0, 10.0, 10.0, 10.0]
    assert q.run_until(20.0) == 1 and ran[-1] == 12.0
    with pytest.raises(ValueError):
        q.at(15.0, lambda now: None)


def test_event_queue_events_scheduled_by_events_run_in_the_same_window():
    q = EventQueue()
    ran: list[tuple[str, float]] = []

    def first(now):
        ran.append(("first", now))
        q.at(now + 1.0, lambda t: ran.append(("child", t)))
        q.at(now + 100.0, lambda t: ran.append(("late", t)))

    q.at(0.0, first)
    q.at(0.5, lambda t: ran.append(("second", t)))
    assert q.run_until(10.0) == 3
    assert ran == [("first", 0.0), ("second", 0.5), ("child", 1.0)]
    assert len(q) == 1


# --- sim.agents.ReportQueue ----------------------------------------------------------------


def test_report_queue_with_enough_handlers_only_adds_the_delay():
    q = ReportQueue(handlers=5, delay_min=7.0)
    assert [q.admit(3.0) for _ in range(5)] == [10.0] * 5
    assert q.max_wait == 0.0 and q.handled == 5


@pytest.mark.parametrize("k", [1, 2, 5, 9])
def test_report_queue_one_handler_serves_simultaneous_reports_in_turn(k):
    q = ReportQueue(handlers=1, delay_min=4.0)
    assert [q.admit(10.0) for _ in range(k)] == [10.0 + 4.0 * j for j in range(1, k + 1)]
    assert q.max_wait == pytest.approx(4.0 * (k - 1))


def test_report_queue_c_handlers_serve_in_batches_of_c():
    q = ReportQueue(handlers=3, delay_min=5.0)
    leave = [q.admit(0.0) for _ in range(8)]
    assert leave == [5.0] * 3 + [10.0] * 3 + [15.0] * 2


def test_report_queue_closed_until_it_opens():
    q = ReportQueue(handlers=2, delay_min=10.0, opens_at=30.0)
    assert q.admit(0.0) == 40.0
    assert q.admit(5.0) == 40.0
    assert q.admit(6.0) == 50.0
    assert q.admit(100.0) == 110.0  # idle by then: no wait


@settings(max_examples=100, deadline=None)
@given(gaps=st.lists(st.floats(0.0, 20.0), min_size=1, max_size=50),
       handlers=st.integers(1, 6), delay=st.floats(0.0, 30.0))
def test_report_queue_is_fifo_multi_server(gaps, handlers, delay):
    """FIFO with c servers and equal service: the j-th report starts when it arrives or when
    report j-c leaves, whichever is later (D/D/c recurrence)."""
    arrivals = np.cumsum(gaps)
    q = ReportQueue(handlers, delay)
    leave = [q.admit(float(t)) for t in arrivals]
    expected: list[float] = []
    for j, t in enumerate(arrivals):
        start = max(t, expected[j - handlers]) if j >= handlers else t
        expected.append(start + delay)
    assert leave == pytest.approx(expected, rel=1e-12, abs=1e-9)
    assert all(b >= a - 1e-9 for a, b in zip(leave, leave[1:]))  # first in, first out
    assert all(out >= t + delay - 1e-9 for out, t in zip(leave, arrivals))
    assert q.handled == len(arrivals)


# --- sim.township.Township -------------------------------------------------------------------


def make_township(n_residents=12_000, residents_per_grid=1000, layout="lattice", seed=3,
                  **space):
    pop = PopulationParams(n_residents=n_residents, residents_per_grid=residents_per_grid)
    return pop, Township(pop, SpaceParams(layout=layout, **space), np.random.default_rng(seed))


def nx_travel(tw: Township) -> np.ndarray:
    d = dict(nx.all_pairs_dijkstra_path_length(tw.graph, weight="minutes"))
    out = np.full((tw.n_nodes, tw.n_nodes), np.inf)
    for a, row in d.items():
        for b, v in row.items():
            out[a, b] = v
    return out


@pytest.mark.parametrize("layout", ["lattice", "random_geometric"])
@pytest.mark.parametrize("n_residents,per_grid", [(12_000, 1000), (7_300, 500), (950, 1000)])
def test_township_structure_and_travel_matrix(layout, n_residents, per_grid):
    pop, tw = make_township(n_residents, per_grid, layout)
    assert tw.n_grids == math.ceil(n_residents / per_grid)
    assert nx.is_connected(tw.graph)
    assert tw.n_nodes == tw.graph.number_of_nodes()
    kinds = tw.node_kinds()
    assert kinds[: tw.n_grids] == ["grid"] * tw.n_grids
    assert kinds.count("community_office") == tw.n_communities
    assert kinds.count("command_post") == 1
    # Communities are labelled 0..k-1 and none is empty.
    assert sorted(set(tw.grid_community.tolist())) == list(range(tw.n_communities))
    assert tw.travel.shape == (tw.n_nodes, tw.n_nodes)
    assert np.all(np.isfinite(tw.travel))
    # Symmetric up to floating-point summation order along a path (~1e-14 min).
    np.testing.assert_allclose(tw.travel, tw.travel.T, rtol=1e-12, atol=1e-9)
    assert np.all(np.diag(tw.travel) == 0)
    assert np.all(tw.travel[~np.eye(tw.n_nodes, dtype=bool)] > 0)
    np.testing.assert_allclose(tw.travel, nx_travel(tw), rtol=1e-12, atol=1e-9)
    assert tw.lowlying.sum() == round(SpaceParams().lowlying_share * tw.n_grids)


@pytest.mark.parametrize("layout", ["lattice", "random_geometric"])
def test_flood_raises_travel_times_and_restore_returns_to_baseline(layout):
    _, tw = make_township(20_000, 1000, layout, seed=11)
    base = tw.travel.copy()
    updates = tw.n_path_updates
    rng = np.random.default_rng(5)
    tw.flood(2.0, 0.0, rng)
    slow = tw.travel.copy()
    assert np.all(slow >= base - 1e-9)
    low = np.flatnonzero(tw.lowlying)
    assert np.all(slow[low][:, low] >= base[low][:, low] - 1e-9)
    # Every edge at a low-lying grid is twice as slow, so some trips get strictly longer.
    assert (slow > base + 1e-9).any()
    lowlying = nx.get_node_attributes(tw.graph, "lowlying")
    for a, b, d in tw.graph.edges(data=True):
        key = (a, b) if (a, b) in tw._base_minutes else (b, a)
        factor = 2.0 if lowlying[a] or lowlying[b] else 1.0
        assert d["minutes"] == pytest.approx(factor * tw._base_minutes[key])
    np.testing.assert_allclose(slow, nx_travel(tw), rtol=1e-12, atol=1e-9)
    # At the peak some roads are cut, yet every place stays reachable.
    tw.flood(2.0, 0.5, rng)
    assert nx.is_connected(tw.graph)
    cut = tw.travel.copy()
    assert np.all(np.isfinite(cut))
    assert np.all(cut >= slow - 1e-9)
    np.testing.assert_allclose(cut, nx_travel(tw), rtol=1e-12, atol=1e-9)
    tw.restore()
    np.testing.assert_array_equal(tw.travel, base)
    assert not tw.cut_edges
    # Shortest paths were recomputed once per flood change, and only then: restoring the
    # network reuses the matrix of the unflooded network.
    assert tw.n_path_updates == updates + 2


def test_township_is_reproducible_from_its_generator():
    _, a = make_township(9_000, 1000, "random_geometric", seed=42)
    _, b = make_township(9_000, 1000, "random_geometric", seed=42)
    np.testing.assert_array_equal(a.travel, b.travel)
    np.testing.assert_array_equal(a.grid_community, b.grid_community)
    np.testing.assert_array_equal(a.lowlying, b.lowlying)


# --- sim.residents.Residents -----------------------------------------------------------------


def make_residents(n=60_000, n_grids=60, seed=7, **pop):
    params = PopulationParams(n_residents=n, **pop)
    return params, Residents(params, n_grids, np.random.default_rng(seed))


@pytest.mark.parametrize("n,n_grids", [(60_000, 60), (3_001, 4), (500, 1), (1_234, 7)])
def test_residents_sizes_and_grids(n, n_grids):
    _, r = make_residents(n, n_grids)
    assert r.n == n
    for name in ("grid", "household", "elderly", "vulnerable", "party_member", "trust",
                 "preparedness", "willingness", "need_state", "epi", "isolated"):
        assert len(getattr(r, name)) == n, name
    assert np.all(np.diff(r.grid) >= 0)  # sorted by grid
    assert r.grid_size.sum() == n and len(r.grid_size) == n_grids
    assert r.grid_size.max() - r.grid_size.min() <= 1
    np.testing.assert_array_equal(r.grid_start, np.concatenate([[0], np.cumsum(r.grid_size)[:-1]]))
    for name in ("trust", "preparedness", "willingness"):
        v = getattr(r, name)
        assert np.all((v >= 0) & (v <= 1)), name
    assert np.all(r.need_state == 0) and np.all(r.epi == SUSCEPTIBLE)


@pytest.mark.parametrize("household_size", [1.0, 2.62, 4.0])
def test_households_lie_within_one_grid(household_size):
    _, r = make_residents(30_000, 30, household_size=household_size)
    # Household ids are consecutive and each household's members share one grid.
    assert r.household[0] == 0 and np.all(np.diff(r.household) >= 0)
    assert np.all(np.diff(r.household) <= 1)
    assert r.n_households == r.household[-1] + 1
    first_grid = np.full(r.n_households, -1)
    first_grid[r.household[::-1]] = r.grid[::-1]
    np.testing.assert_array_equal(first_grid[r.household], r.grid)
    np.testing.assert_array_equal(r.household_size, np.bincount(r.household))
    assert r.household_size.min() >= 1
    # The mean size is the parameter, less a little for households cut at grid boundaries.
    assert r.household_size.mean() == pytest.approx(household_size, rel=0.05)


@pytest.mark.parametrize("share_60plus,share_party,trust", [(0.2, 0.07, 0.5), (0.35, 0.15, 0.8),
                                                            (0.0, 0.0, 0.2)])
def test_resident_shares_are_close_to_parameters(share_60plus, share_party, trust):
    n = 80_000
    params, r = make_residents(n, 80, share_60plus=share_60plus, share_party_members=share_party,
                               initial_trust=trust)

    def close(observed, p, size=n):  # within 5 binomial standard errors
        return abs(observed - p) <= 5 * math.sqrt(p * (1 - p) / size) + 1e-12

    assert close(r.elderly.mean(), share_60plus)
    assert close(r.party_member.mean(), share_party)
    p_vuln = share_60plus * params.share_vulnerable_60plus + \
        (1 - share_60plus) * params.share_vulnerable_under60
    assert close(r.vulnerable.mean(), p_vuln)
    if share_60plus > 0:
        assert close(r.vulnerable[r.elderly].mean(), params.share_vulnerable_60plus,
                     int(r.elderly.sum()))
    assert r.trust.mean() == pytest.approx(trust, abs=0.01)
    assert r.preparedness.mean() == pytest.approx(params.initial_preparedness, abs=0.01)
    assert r.willingness.mean() == pytest.approx(params.willingness_mean, abs=0.01)


def test_epidemic_steps_conserve_residents_and_move_one_way():
    ep = EpidemicParams(enabled=True, r0=3.0, infectious_days=4.0, initial_infected=20)
    _, r = make_residents(20_000, 20)
    rng = np.random.default_rng(1)
    r.seed_infection(ep.initial_infected, ep, rng, 0.0)
    assert r.counts() == (20_000 - 20, 20, 0)
    s_prev, _, r_prev = r.counts()
    for k in range(60):
        new = r.epidemic_step(ep, 0.25, rng, k * 360.0)
        s, i, rec = r.counts()
        assert s + i + rec == r.n
        assert s <= s_prev and rec >= r_prev
        assert s_prev - s == len(new)
        assert np.all(r.epi[new] == INFECTED)
        s_prev, r_prev = s, rec
    assert r.counts()[2] > 0 and np.all(r.infected_at[r.epi == RECOVERED] >= 0)
    assert np.all(np.isnan(r.infected_at[r.epi == SUSCEPTIBLE]))
