"""The epidemic's lockdown (sim/hazards/epidemic.py): every household's deliveries fall due
every supply interval while it lasts, commerce brings a share of them, the rest are supply
needs of the community; it begins at its hour or at a case threshold and is lifted after its
days. Counts are checked by hand on small townships (common random numbers where two runs
are compared)."""

from __future__ import annotations

import numpy as np
import pytest

from sim import Config, simulate
from sim.hazards.epidemic import Epidemic
from sim.registry import need_code

SUPPLY = need_code("supply")
DAY = 1440.0
# 3,000 residents, six days of an epidemic that lasts (50 infected, a week's infectious
# period) under a lockdown from the start; no peacetime, so nothing else moves the run.
SMALL = {
    "population.n_residents": 3000,
    "time.peace_days": 0,
    "time.war_hours": 144.0,
    "time.war_step_min": 60.0,
    "flood.enabled": False,
    "epidemic.enabled": True,
    "epidemic.initial_infected": 50,
    "epidemic.lockdown": True,
    "epidemic.lockdown_days": 28.0,
    "epidemic.supply_interval_days": 3.0,
    "epidemic.commercial_share": 0.0,
}


def run(seed: int = 1, **over):
    cfg = Config().with_overrides({**SMALL, **{k.replace("__", "."): v for k, v in over.items()}})
    return simulate(cfg, seed=seed, keep_model=True)


def supply_needs(r) -> np.ndarray:
    """Ids of the run's supply needs."""
    nd = r.model.needs
    return np.flatnonzero(nd.kind[: nd.n] == SUPPLY)


def test_every_household_gets_a_delivery_every_interval():
    """Six days, every three days, none through commerce: each household's first delivery
    falls due within the first three days, its second three days later; two each, exactly,
    to the household's first resident, in its grid, with the mild starting severity."""
    r = run()
    m, nd = r.model, r.model.needs
    res = m.residents
    ids = supply_needs(r)
    assert len(ids) == 2 * res.n_households
    who = nd.resident[ids]
    assert np.array_equal(np.sort(who), np.sort(np.repeat(res.household_start, 2)))
    created = nd.created[ids]
    order = np.lexsort((created, who))
    first, second = created[order][0::2], created[order][1::2]
    assert np.all((0.0 <= first) & (first < 3 * DAY))
    np.testing.assert_allclose(second - first, 3 * DAY)
    assert np.array_equal(nd.grid[ids], res.grid[who])
    assert np.all((nd.severity0[ids] >= 0.1) & (nd.severity0[ids] <= 0.3))
    # phases spread over the interval: each day holds about a third of the first deliveries
    per_day = np.bincount((first // DAY).astype(int), minlength=3)
    assert np.all(np.abs(per_day - res.n_households / 3) < 0.15 * res.n_households / 3)
    assert [e.kind for e in m.events if e.kind.startswith("lockdown")] == ["lockdown"]
    assert next(e for e in m.events if e.kind == "lockdown").number == res.n_households


def test_commerce_brings_its_share_and_the_rest_are_needs():
    """A commercial share of 0.11 (Shanghai's delivery riders, docs/field_data.md F16):
    about 89% of the deliveries become needs (binomial, within 4 standard deviations)."""
    r = run(epidemic__commercial_share=0.11)
    n_due = 2 * r.model.residents.n_households
    k = len(supply_needs(r))
    sd = np.sqrt(n_due * 0.11 * 0.89)
    assert abs(k - 0.89 * n_due) < 4 * sd
    assert len(supply_needs(run(epidemic__commercial_share=1.0))) == 0


def test_a_shorter_interval_means_more_deliveries():
    """Every two days over six days: three each."""
    r = run(epidemic__supply_interval_days=2.0)
    assert len(supply_needs(r)) == 3 * r.model.residents.n_households


def test_delivery_effort_sets_the_effort_of_lockdown_deliveries():
    """Same seed, the delivery effort doubled: each delivery's effort doubles exactly (its
    random factor is the same); the mean is the parameter's (uniform factor, mean 1)."""
    a, b = run(), run(epidemic__delivery_effort_min=30.0)
    ia, ib = supply_needs(a), supply_needs(b)
    np.testing.assert_allclose(b.model.needs.effort[ib], 2 * a.model.needs.effort[ia])
    assert abs(a.model.needs.effort[ia].mean() - 15.0) < 0.3


def test_the_lockdown_begins_at_its_hour_and_is_lifted_after_its_days():
    """From hour 24 for three days: each household's one delivery falls due in [24 h, 96 h),
    and no case supply need of a quarantined household appears then (they do before and
    after it)."""
    r = run(
        epidemic__lockdown_start_hour=24.0,
        epidemic__lockdown_days=3.0,
        epidemic__supply_need_share=1.0,
        epidemic__symptom_onset_days=0.5,
    )
    m, nd = r.model, r.model.needs
    ids = supply_needs(r)
    created = nd.created[ids]
    during = (created >= DAY) & (created < 4 * DAY)
    assert np.array_equal(np.sort(nd.resident[ids[during]]), m.residents.household_start)
    assert (created < DAY).sum() > 20 and (created >= 4 * DAY).sum() > 20  # cases' needs
    events = [(e.kind, e.minute) for e in m.events if e.kind.startswith("lockdown")]
    assert events == [("lockdown", DAY), ("lockdown_lifted", 4 * DAY)]


def test_a_case_threshold_starts_the_lockdown_at_the_first_step_after_it():
    """With a threshold of 40 cases (and the start hour far off) the lockdown begins at the
    first hourly step whose start has 40 residents with symptoms."""
    r = run(
        epidemic__lockdown_start_hour=10_000.0,
        epidemic__lockdown_after_cases=40,
        epidemic__symptom_onset_days=1.0,
    )
    m = r.model
    began = next(e.minute for e in m.events if e.kind == "lockdown")
    symptoms = np.sort(m.residents.symptoms_at[np.isfinite(m.residents.symptoms_at)])
    expected = np.ceil(symptoms[39] / 60.0) * 60.0  # the first step start after the 40th
    assert began == expected and 0 < began < 3 * DAY
    created = m.needs.created[supply_needs(r)]  # before it, only the cases' supply needs
    window = (created >= began) & (created < began + 3 * DAY)
    assert window.sum() == m.residents.n_households and (created < began).sum() < 40


def test_the_lockdown_is_lifted_when_no_one_is_infected_any_more():
    """No one infected at onset: the epidemic is over in its first step, and so is the
    lockdown (no delivery after that step)."""
    r = run(epidemic__initial_infected=0)
    m = r.model
    assert [e.kind for e in m.events if e.kind.startswith("lockdown")] == [
        "lockdown",
        "lockdown_lifted",
    ]
    assert np.all(m.needs.created[supply_needs(r)] < 60.0)


def test_without_a_lockdown_nothing_changes_in_the_run():
    """The switch off: the same run whatever the lockdown's other parameters."""
    a = run(epidemic__lockdown=False)
    b = run(
        epidemic__lockdown=False,
        epidemic__supply_interval_days=2.0,
        epidemic__commercial_share=0.5,
        epidemic__delivery_effort_min=40.0,
        epidemic__lockdown_after_cases=5,
    )
    assert repr(sorted(a.summary().items())) == repr(sorted(b.summary().items()))
    assert all(e.kind != "lockdown" for e in a.model.events)


@pytest.mark.parametrize("share", [0.0, 0.11])
def test_expected_needs_counts_the_deliveries(share):
    """The memory estimate's lockdown part covers the deliveries, with room to spare (the
    first interval counts in full)."""
    r = run(epidemic__commercial_share=share)
    cfg = r.model.config
    part = Epidemic.expected_needs(cfg) - Epidemic.expected_needs(
        cfg.with_overrides({"epidemic.lockdown": False})
    )
    assert len(supply_needs(r)) <= part <= 1.6 * len(supply_needs(r))
