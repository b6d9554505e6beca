"""Prices (experiments/costs.py, configs/costs.toml), the money rule
(experiments/report/money.py) and the limits box (experiments/report/limits.py), on
constructed numbers: no model runs."""

from __future__ import annotations

import re
import tomllib

import numpy as np
import pytest
from test_report_decision import FACTORS, TEAM, synthetic_sweep

from experiments import costs as cs
from experiments import i18n
from experiments.calibration.targets import DEFAULT_TARGETS, load_targets
from experiments.report import money as mn
from experiments.report.limits import limits
from experiments.report.page import build_report


def test_shipped_costs_file_shows_the_declared_defaults():
    """configs/costs.toml ships every key commented out, with the declared default: the file
    and experiments/costs.py cannot drift apart."""
    text = cs.COSTS_FILE.read_text(encoding="utf-8")
    shown = dict(re.findall(r"^# (\w+) = (.+)$", text, re.M))
    assert set(shown) == set(cs.NAMES)
    for name, value in shown.items():
        assert tomllib.loads(f"v = {value}")["v"] == getattr(cs.Costs(), name), name
    assert cs.load_costs() == cs.Costs()  # nothing uncommented


def test_every_price_has_a_unit_a_plausible_range_and_a_source_in_both_languages():
    for name in cs.NAMES:
        meta = cs.meta(name)
        default = getattr(cs.Costs(), name)
        if meta["plausible"]:
            low, high = meta["plausible"]
            assert low <= default <= high, name
        for lang in i18n.LANGUAGES:
            assert cs.label(name, lang) and len(cs.source(name, lang)) > 8
    for name in (
        "volunteer_hour_yuan",
        "staff_hour_yuan",
        "training_yuan_per_volunteer",
        "reorganization_yuan_per_1000",
    ):
        assert "yuan" in cs.meta(name)["unit"] and cs.meta(name)["plausible"]


def test_a_costs_file_overrides_and_unknown_keys_name_the_valid_ones(tmp_path):
    path = tmp_path / "costs.toml"
    path.write_text('volunteer_hour_yuan = 40\nrule = "cheapest_within"\n')
    costs = cs.load_costs(path)
    assert costs.volunteer_hour_yuan == 40.0 and costs.rule == "cheapest_within"
    assert costs.staff_hour_yuan == cs.Costs().staff_hour_yuan
    path.write_text("volunteer_hour = 40\n")
    with pytest.raises(cs.CostError, match="allowed: volunteer_hour_yuan, staff_hour_yuan"):
        cs.load_costs(path)
    path.write_text("staff_hour_yuan = -1\n")
    with pytest.raises(cs.CostError, match="staff_hour_yuan: must be from 0"):
        cs.load_costs(path)
    path.write_text('rule = "cheapest"\n')
    with pytest.raises(cs.CostError, match="net_benefit, cheapest_within"):
        cs.load_costs(path)


def test_the_derived_threshold_values_harm_by_expected_casualties():
    costs = cs.Costs()
    # 10,000 yuan / (1,036,420 yuan x 0.002 casualties per person-hour) = 4.82 person-hours
    assert costs.threshold(0.002) == pytest.approx(10_000 / (1_036_420 * 0.002))
    assert costs.replace(threshold_harm_per_10000_yuan=7.0).threshold(0.002) == 7.0
    assert costs.threshold(0.0) == float("inf")


# ---- the rule -------------------------------------------------------------------------------


def options(harm: list[float], cost: list[float], n: int = 12, noise: float = 0.0):
    rng = np.random.default_rng(3)
    h = np.array(harm, float)[:, None] * (1 + noise * rng.normal(size=(1, n)))
    c = np.repeat(np.array(cost, float)[:, None], n, axis=1)
    return h, c


def test_net_benefit_buys_steps_only_while_they_avoid_enough_harm_per_yuan():
    # harm falls steeply, then slowly; each step costs 100,000 yuan a year
    h, c = options([5000, 1000, 900, 895, 893], [0, 1e5, 2e5, 3e5, 4e5])
    costs = cs.Costs(threshold_harm_per_10000_yuan=5.0)  # 50 person-hours per step needed
    assert mn.choose(h, c, 0, costs, 5.0, 0.05) == 2  # 4000 and 100 avoided; 5 is too few
    assert mn.choose(h, c, 0, costs, 1e9, 0.05) == 0  # nothing is worth it: keep the baseline
    assert mn.choose(h, c, 0, costs, 0.0, 0.05) == 4  # money is no object: the least harm
    # a dearer option that avoids less harm is never bought
    h2, c2 = options([5000, 1000, 1200], [0, 1e5, 2e5])
    assert mn.choose(h2, c2, 0, costs, 0.001, 0.05) == 1


def test_cheapest_within_takes_the_cheapest_option_near_the_least_harm():
    h, c = options([5000, 1000, 990, 985], [0, 1e5, 2e5, 3e5], noise=0.001)
    costs = cs.Costs(rule="cheapest_within")
    assert mn.choose(h, c, 0, costs, 5.0, 0.05) == 1
    assert mn.choose(h, c, 0, costs, 5.0, 0.001) > 1


def test_the_largest_level_tested_is_flagged(tmp_path):
    """Harm keeps falling steeply up to the largest team size: the report warns that the
    recommendation sits at the edge of the levels tested."""

    def steep(point, rng, shared):
        harm = 20_000.0 * shared / (1 + point[TEAM]) + rng.normal(0, 1)
        return {"total_harm": harm, "mean_response_min": 60.0, "person_hours": 100.0}

    folder = synthetic_sweep(
        tmp_path, {TEAM: [0, 5, 10]}, 12, steep, decision=[TEAM], baseline={TEAM: 0}
    )
    report = build_report(
        folder,
        outcomes=["total_harm"],
        n_resamples=300,
        costs=cs.Costs(threshold_harm_per_10000_yuan=0.01),
    )
    money = report.decision.money
    assert money.level_of(money.chosen, TEAM) == 10 and money.edges == [("upper", 10)]
    assert any("largest size tested" in w for w in report.decision.warnings)
    assert any("is the largest tested" in c for c in report.decision.caveats)


def test_costs_whose_plausible_range_moves_the_answer_are_named(tmp_path):
    folder = synthetic_sweep(tmp_path, FACTORS, 12, decision=[TEAM], baseline={TEAM: 0})
    report = build_report(folder, outcomes=["total_harm"], n_resamples=300)
    money = report.decision.money
    names = {name for name, _, _ in money.sensitivity}
    text = " ".join(report.decision.warnings)
    if names:
        assert "Within the plausible range of the costs, one at a time, the answer changes" in text
        assert all(cs.label(n).lower() in text.lower() for n in names)
    else:
        assert "holds across the plausible range of every cost" in text


# ---- the limits box -------------------------------------------------------------------------


def test_limits_are_written_from_the_configuration_and_the_targets():
    from sim import Config

    setting = Config().flat()
    setting.update(
        {
            "population.n_residents": 12_000,
            "time.target_response_min": 45.0,
            "time.war_hours": 48.0,
            "flood.enabled": True,
            "fire.enabled": False,
            "epidemic.enabled": False,
        }
    )
    lines = limits(setting, 7, "en")
    text = " ".join(lines)
    assert "synthetic township of 12,000 residents in 12 grids" in text
    assert "one per scenario, here a flood in a 48-hour emergency" in text
    assert "within 45 min (time.target_response_min)" in text
    assert "run-to-run variation over 7 emergencies" in text
    fitted = load_targets(DEFAULT_TARGETS).used_for("calibrate")
    refs = {t.source.split(":")[0] for t in fitted}
    routine = all(t.phase == "peacetime" for t in fitted)
    assert (
        f"fitted to {len(fitted)} routine peacetime figures only"
        if routine
        else f"fitted to {len(fitted)} figures"
    ) in text
    assert all(ref in text for ref in refs)
    zh = " ".join(limits(setting, 7, "zh"))
    assert "12,000 名居民" in zh and "45 分钟" in zh and "7 次突发事件" in zh
    setting["fire.enabled"] = True
    assert "Hazards: this scenario's 2 (flood, fire)" in " ".join(limits(setting, 7, "en"))


def test_within_target_shares_name_the_sweep_s_target_time(tmp_path):
    from sim import Config

    folder = synthetic_sweep(tmp_path, FACTORS, 12)
    manifest = folder / "manifest.json"
    import json

    data = json.loads(manifest.read_text())
    data["resolved_base"] = {**Config().flat(), "time.target_response_min": 45.0}
    manifest.write_text(json.dumps(data))
    report = build_report(folder, outcomes=["share_met_within_target"], n_resamples=300)
    html = report.path.read_text(encoding="utf-8")
    assert "within the target time (45 min)" in html and "(60 min)" not in html


def test_without_a_value_for_harm_there_is_no_money_answer_and_the_page_says_why(tmp_path):
    import json

    import pandas as pd

    from sim import Config

    folder = synthetic_sweep(tmp_path, FACTORS, 12, decision=[TEAM], baseline={TEAM: 0})
    runs = pd.read_parquet(folder / "runs.parquet")
    runs[mn.CASUALTIES] = 0.0  # no expected deaths in any run
    runs.to_parquet(folder / "runs.parquet", index=False)
    data = json.loads((folder / "manifest.json").read_text())
    data["resolved_base"] = {**Config().flat(), mn.LETHALITY: 0.0}
    (folder / "manifest.json").write_text(json.dumps(data))
    report = build_report(folder, outcomes=["total_harm"], n_resamples=300)
    assert report.decision.money is None
    assert any(mn.CASUALTIES in w for w in report.decision.warnings)
    # without casualty_proxy in the runs (an older sweep), the lethality of harm
    runs.drop(columns=[mn.CASUALTIES]).to_parquet(folder / "runs.parquet", index=False)
    report = build_report(folder, outcomes=["total_harm"], n_resamples=300)
    assert report.decision.money is None
    assert any(mn.LETHALITY in w for w in report.decision.warnings)
    set_threshold = build_report(
        folder,
        outcomes=["total_harm"],
        n_resamples=300,
        costs=cs.Costs(threshold_harm_per_10000_yuan=5.0),
    )
    assert set_threshold.decision.money is not None


def test_harm_is_valued_at_the_sweep_s_expected_deaths_per_person_hour_of_harm(tmp_path):
    """Life-threatening needs' deaths follow survival against the time until reached, not
    harm: the derived threshold takes the sweep's casualty_proxy over its total_harm (the
    synthetic sweep's is 0.002 per person-hour), not a parameter."""
    import pandas as pd

    from experiments.report.sweep import load_results

    folder = synthetic_sweep(tmp_path, FACTORS, 6, decision=[TEAM], baseline={TEAM: 0})
    results = load_results(folder)
    assert mn.casualties_per_harm_hour(results, {mn.LETHALITY: 0.5}) == pytest.approx(0.002)
    runs = pd.read_parquet(folder / "runs.parquet")
    runs.loc[runs[TEAM] == 30, mn.CASUALTIES] *= 3  # more deaths per hour of harm somewhere
    expected = runs[mn.CASUALTIES].sum() / runs["total_harm"].sum()
    results.runs = runs
    assert mn.casualties_per_harm_hour(results, {}) == pytest.approx(expected)
    assert mn.casualties_per_harm_hour(results, {}) > 0.002
