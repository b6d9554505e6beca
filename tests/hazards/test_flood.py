"""The flood (sim/hazards/flood.py): where and when its needs appear, what it does to the
roads and that the roads come back when the water recedes."""

from __future__ import annotations

import numpy as np

from sim import Config, GrassrootsModel, simulate

SMALL = {
    "population.n_residents": 12_000,
    "time.peace_days": 0,
    "time.war_hours": 12.0,
    "flood.duration_hours": 6.0,
    "flood.road_cut_share": 0.3,
}


def test_roads_slow_at_onset_are_cut_at_the_peak_and_come_back_when_the_water_recedes():
    m = GrassrootsModel(Config().with_overrides(SMALL), rng=4)
    tw = m.township
    dry = tw.travel.copy()
    flood = m.hazards[0]
    seen_cut = False
    while m.running:
        m.step()
        if flood.started and not flood.ended:
            assert np.all(tw.travel >= dry - 1e-9)
            seen_cut |= bool(tw.cut_edges)
    assert flood.ended and seen_cut
    np.testing.assert_array_equal(tw.travel, dry)
    assert not tw.cut_edges
    assert [e.kind for e in m.events if e.hazard == "flood"] == [
        "begins",
        "roads_cut",
        "ends",
        "evaluation",
    ]


def test_needs_come_mostly_from_low_lying_grids_and_rise_to_the_peak():
    r = simulate(
        Config().with_overrides({**SMALL, "flood.duration_hours": 12.0}), seed=2, keep_model=True
    )
    needs, tw = r.needs, r.model.township
    per_resident = needs.groupby(tw.lowlying[needs["grid"]]).size()
    low_share = tw.lowlying.mean()
    rate_low = per_resident[True] / low_share
    rate_up = per_resident[False] / (1 - low_share)
    assert rate_up < 0.3 * rate_low  # flood.upland_factor 0.15
    hours = needs["created_min"] // 60
    counts = np.bincount(hours.astype(int), minlength=12)
    assert counts[3:5].sum() > counts[:2].sum() and counts[3:5].sum() > counts[10:].sum()
