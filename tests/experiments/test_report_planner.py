"""The planner's example end to end: the shipped planner sweep (structure x volunteer team,
both decisions), made tiny, then its report in English and Chinese. Page 1 of summary.pdf is
read as text: the answer in money, the structures compared with their intervals, the cost
basis and the limits box must be on it.

Simulated numbers are not asserted (the model engine is being rewritten; its random streams
will change): only structure, direction and formatting.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pandas as pd
import pytest
from pypdf import PdfReader

from experiments import i18n
from experiments.report import money as mn
from experiments.report.page import build_report

ROOT = Path(__file__).resolve().parents[2]
PLANNER = ROOT / "configs" / "sweeps" / "planner.toml"
N_RESAMPLES = 300
# a few hundred residents, a short peacetime and emergency, three team sizes, 3 replications
TINY = {"population.n_residents": 400, "population.residents_per_grid": 100,
        "time.peace_days": 2, "time.war_hours": 12.0}
LEVELS = [0, 10, 20]


def toml_value(v) -> str:
    if isinstance(v, str):
        return '"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(v, list):
        return "[" + ", ".join(toml_value(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{ " + ", ".join(f'"{k}" = {toml_value(x)}' for k, x in v.items()) + " }"
    return repr(v)


def tiny_planner_file(folder: Path) -> Path:
    """The shipped planner sweep with its question, decision and baseline, at a tiny size."""
    data = tomllib.loads(PLANNER.read_text(encoding="utf-8"))
    lines = [f"{k} = {toml_value(data[k])}" for k in
             ("name", "description", "decision", "master_seed", "outcomes", "baseline")]
    lines += [f'base = "{(PLANNER.parent / data["base"]).resolve()}"', "replications = 3",
              "[question]", *[f"{k} = {toml_value(v)}" for k, v in data["question"].items()],
              "[design]", 'kind = "factorial"',
              "[fixed]", *[f'"{k}" = {toml_value(v)}' for k, v in TINY.items()],
              "[factors]", '"organization.structure" = ' +
              toml_value(data["factors"]["organization.structure"]),
              f'"volunteers.team_size_per_1000" = {toml_value(LEVELS)}']
    path = folder / "planner.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def planner_sweep(tmp_path_factory):
    from experiments.sweeps.backends import SerialBackend
    from experiments.sweeps.designs import load_sweep
    from experiments.sweeps.runner import make_plan, run_sweep

    root = tmp_path_factory.mktemp("planner")
    out = root / "out"
    run_sweep(make_plan(load_sweep(tiny_planner_file(root))), out, SerialBackend(), quiet=True)
    return out


@pytest.fixture(scope="module")
def planner_en(planner_sweep):
    return build_report(planner_sweep, n_resamples=N_RESAMPLES)


def page_one(path: Path) -> str:
    reader = PdfReader(path)
    assert len(reader.pages) == 1
    return reader.pages[0].extract_text()


def flat(text: str, lang: str = "en") -> str:
    """The page's text with line breaks undone (Chinese lines join without a space)."""
    return re.sub(r"\s*\n\s*", "" if lang == "zh" else " ", text)


def test_the_planner_sweep_declares_both_decisions_and_the_street_as_it_is():
    data = tomllib.loads(PLANNER.read_text(encoding="utf-8"))
    assert data["decision"] == ["organization.structure", "volunteers.team_size_per_1000"]
    assert data["factors"]["organization.structure"] == ["pre_reform", "siloed", "integrated",
                                                         "integrated_party"]
    assert data["baseline"] == {"organization.structure": "siloed",
                                "volunteers.team_size_per_1000": 0}
    assert {"en", "zh"} <= set(data["question"])


def test_page_one_of_the_pdf_answers_both_halves_with_money(planner_sweep, planner_en):
    text = flat(page_one(planner_sweep / "report" / "summary.pdf"))
    decision = planner_en.decision
    assert decision.money is not None
    # the answer: one option (a structure and a team size) with its cost in yuan and the rule
    assert re.search(r"Recommended: .*(siloed|integrated).* volunteers per 1,000: [\d,.]+ "
                     r"(M )?yuan a year", text), text[:600]
    assert "Rule: the option with the highest net benefit" in text
    # the structures compared at each team size, in words, with intervals and counts
    for level in LEVELS:
        m = re.search(rf"At {level} volunteers per 1,000, against siloed departments: "
                      r"(pre-reform [^;]+; )?integrated grid: [\d,.]+ (fewer|more) person-hours of harm "
                      r"\(95% CI -?[\d,.]+ to -?[\d,.]+\), better in \d+ of 3 emergencies, "
                      r"[+-]?[\d,.]+ (M )?yuan a year", text)
        assert m, (level, text)
    # the cost basis and the limits box
    assert "Cost basis (yuan; configs/costs.toml" in text
    assert "What these numbers cover, and what they do not" in text
    assert "synthetic township of 400 residents" in text
    assert "run-to-run variation over 3 emergencies" in text
    assert re.search(r"fitted to \d+ (routine peacetime )?figures", text)
    assert "within 60 min (time.target_response_min)" in text


def test_every_comparison_is_against_the_stated_baseline(planner_en):
    assert planner_en.baseline == {"organization.structure": "siloed",
                                   "volunteers.team_size_per_1000": 0}
    assert planner_en.findings
    for f in planner_en.findings:
        assert f.baseline == ("siloed", 0), f.text
    # the structures are compared level by level with the baseline's structure
    money = planner_en.decision.money
    assert {(s.structure, s.level) for s in money.switches} == {
        (s, lv) for s in ("pre_reform", "integrated", "integrated_party") for lv in LEVELS}
    assert all(s.diff.n == 3 for s in money.switches)


def test_money_tables_and_charts(planner_sweep, planner_en):
    tables = planner_sweep / "report" / "tables"
    options = pd.read_csv(tables / "options.csv")
    assert len(options) == 4 * len(LEVELS)  # four structures
    assert (options["recommended"] == "yes").sum() == 1
    assert options["cost a year (yuan)"].is_monotonic_increasing  # cheapest first
    steps = pd.read_csv(tables / "cost_effectiveness.csv")
    assert len(steps) == 4 * (len(LEVELS) - 1)  # each structure, each step up
    costs = pd.read_csv(tables / "costs.csv")
    assert {"volunteer_hour_yuan", "staff_hour_yuan", "training_yuan_per_volunteer",
            "reorganization_yuan_per_1000"} <= set(costs["key (configs/costs.toml)"])
    assert costs["source or assumption"].str.len().min() > 10
    names = [c.name for c in planner_en.decision.charts]
    assert names[:2] == ["cost_effectiveness", "tradeoff"]  # page 1, before the rankings
    html = planner_en.path.read_text(encoding="utf-8")
    assert html.index("What these numbers cover") < html.index("<h2>How these numbers")


def test_the_chinese_report_answers_on_page_one(planner_sweep):
    report = build_report(planner_sweep, n_resamples=N_RESAMPLES, lang="zh")
    text = flat(page_one(planner_sweep / "report" / "summary.pdf"), "zh")
    assert report.decision.question in text
    assert re.search(r"建议：.*每千人 \d+ 名志愿者：每年 [\d,.]+ (万)?元", text), text[:400]
    assert re.search(r"每千人 10 名志愿者时，与条块分割相比：(改革前[^；]+；)?一网统管：伤害(减少|增加) [\d,.]+ 人·小时"
                     r"（95% 置信区间 -?[\d,.]+ 至 -?[\d,.]+）", text), text
    for key in ("report.limits.title", "report.money.structures_title"):
        assert i18n.text(key, "zh") in text
    assert "成本依据（元" in text and "60 分钟" in text
    assert "Recommended" not in text and "Cost basis" not in text


def test_baseline_option_sets_one_factor_and_keeps_the_file_s_others(planner_sweep):
    report = build_report(planner_sweep, n_resamples=N_RESAMPLES,
                          baseline={"organization.structure": "integrated"})
    assert report.baseline == {"organization.structure": "integrated",
                               "volunteers.team_size_per_1000": 0}
    assert {f.baseline for f in report.findings} == {("integrated", 0)}
    assert {s.structure for s in report.decision.money.switches} == {
        "pre_reform", "siloed", "integrated_party"}


def test_money_applies_only_when_every_decision_has_a_price(planner_sweep):
    from experiments.report.sweep import load_results

    results = load_results(planner_sweep)
    assert mn.applies(results, ["organization.structure", "volunteers.team_size_per_1000"])
    assert not mn.applies(results, ["reporting.mechanism", "organization.structure"])
