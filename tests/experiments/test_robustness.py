"""Robustness studies (experiments/sweeps/robustness.py, uncertainties.py, the robustness
design and its report): a synthetic study with a known answer, and a tiny real one."""

from __future__ import annotations

import json
import re
import string
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from scipy.stats import qmc

from experiments import i18n
from experiments import outcomes as oc
from experiments.cli.main import main
from experiments.report.page import build_report
from experiments.report.robustness import robustness_sections, worlds_summary
from experiments.sweeps import uncertainties
from experiments.sweeps.backends import SerialBackend
from experiments.sweeps.designs import load_sweep
from experiments.sweeps.robustness import analyze, wilson
from experiments.sweeps.runner import make_plan, run_sweep
from sim.params import ConfigError, describe

REPO = Path(__file__).resolve().parents[2]
BASE = REPO / "configs" / "scenarios" / "street_flood.toml"


def synthetic_runs(n_worlds: int = 200) -> pd.DataFrame:
    """Three policies in worlds (x, z) drawn by Latin hypercube; total harm (lower is better):
    A beats B iff x > 0.5 (by up to 2 above it, losing by up to 0.5 below it); C is always
    1 worse than B; z does nothing. Two replications with noise far below the effects."""
    u = qmc.LatinHypercube(d=2, seed=np.random.default_rng(4)).random(n_worlds)
    noise = np.random.default_rng(5)
    rows = []
    for w, (x, z) in enumerate(u):
        harm = {"A": 10 - 4 * (x - 0.5) if x > 0.5 else 10 + (0.5 - x), "B": 10.0, "C": 11.0}
        for policy, value in harm.items():
            for r in range(2):
                rows.append(
                    {
                        "run_id": f"{policy}-{w:04d}-{r}",
                        "replication": r,
                        "reporting.mechanism": policy,
                        "u.x": x,
                        "u.z": z,
                        "total_harm": value + noise.normal(0, 1e-3),
                        "status": "ok",
                    }
                )
    return pd.DataFrame(rows)


@pytest.fixture(scope="module")
def synthetic():
    runs = synthetic_runs()
    return runs, analyze(
        runs, ["reporting.mechanism"], ["u.x", "u.z"], ["total_harm"], seed=1, units={"u.x": "min"}
    )


def test_share_of_worlds_won_and_its_interval(synthetic):
    runs, res = synthetic
    ab = next(p for p in res["pairs"] if (p["a"], p["b"]) == (0, 1))
    truth = (runs.drop_duplicates("u.x")["u.x"] > 0.5).mean()
    assert ab["n_worlds"] == 200 and ab["share_a_wins"] == pytest.approx(truth, abs=0.01)
    lo, hi = ab["share_a_wins_ci"]
    assert lo < truth < hi and hi - lo < 0.15
    assert ab["diff_p10"] < 0 < ab["diff_p90"]  # A - B: lower harm above x = 0.5
    assert ab["flips"]
    bc = next(p for p in res["pairs"] if (p["a"], p["b"]) == (1, 2))
    assert bc["share_a_wins"] == 1.0 and not bc["flips"] and "scenario_discovery" not in bc
    assert bc["diff_median"] == pytest.approx(-1.0, abs=0.01)


def test_wilson_interval_matches_the_textbook_formula():
    lo, hi = wilson(8, 10)  # Wilson (1927); e.g. Newcombe (1998), table I: 0.4902-0.9433
    assert (lo, hi) == (pytest.approx(0.4902, abs=1e-4), pytest.approx(0.9433, abs=1e-4))
    assert wilson(0, 10)[0] == 0.0 and wilson(10, 10)[1] == 1.0


def test_regret_and_the_minimax_regret_policy(synthetic):
    _, res = synthetic
    regret = {r["policy"]: r for r in res["regret"]}
    assert regret[0]["max"] == pytest.approx(0.5, abs=0.02)  # A, in worlds with x near 0
    assert regret[1]["max"] == pytest.approx(2.0, abs=0.02)  # B, in worlds with x near 1
    assert regret[2]["max"] == pytest.approx(3.0, abs=0.02)  # C is never best
    assert regret[2]["share_best"] == 0.0
    assert regret[0]["share_best"] + regret[1]["share_best"] == pytest.approx(1.0)
    assert res["minimax_regret"]["total_harm"] == 0


def test_prim_box_finds_the_flip_at_one_half(synthetic):
    _, res = synthetic
    sd = next(p for p in res["pairs"] if (p["a"], p["b"]) == (0, 1))["scenario_discovery"]
    assert (sd["no_worse"], sd["than"]) in ((0, 1), (1, 0))
    box = sd["boxes"][0]
    assert set(box["limits"]) == {"u.x"}  # z does nothing
    lo, hi = box["limits"]["u.x"]
    edge = lo if sd["no_worse"] == 0 else hi  # A no worse above 0.5, B below it
    assert edge == pytest.approx(0.5, abs=0.05)
    assert box["coverage"] > 0.9 and box["density"] > 0.9
    assert "u.x is " in box["text"] and "coverage" in box["text"]
    assert sd["feature_scores"]["u.x"] > 5 * sd["feature_scores"]["u.z"]


def test_uncertainties_all_takes_every_plausible_range_but_the_policies(monkeypatch):
    rows = describe()
    fake = [
        {**r, "plausible": (2.0, 15.0)}
        if r["key"] == "reporting.command_delay_min"
        else {**r, "plausible": (0.0, 0.5)}
        if r["key"] == "population.initial_trust"
        else {**r, "plausible": None}
        for r in rows
    ]
    monkeypatch.setattr(uncertainties, "describe", lambda: fake)
    got = uncertainties.uncertainty_bounds("all", {"population.initial_trust"})
    assert got == {"reporting.command_delay_min": (2.0, 15.0, False)}
    with pytest.raises(ConfigError, match="no plausible range"):
        uncertainties.uncertainty_bounds(["organization.siloed_lines"], set())
    with pytest.raises(ConfigError, match="also a policy"):
        uncertainties.uncertainty_bounds(
            {"population.initial_trust": {"low": 0.1, "high": 0.9}}, {"population.initial_trust"}
        )


TINY = """name = "tiny-robust"
base = "{base}"
replications = 1
master_seed = 5
outcomes = ["total_harm", "mean_response_min"]

[uncertainties]
"population.initial_trust" = {{ low = 0.2, high = 0.8 }}
"flood.needs_per_1000_per_hour" = {{ low = 4, high = 16 }}

[design]
kind = "robustness"
worlds = 4

[fixed]
"population.n_residents" = 2000
"time.peace_days" = 2
"time.war_hours" = 6

[policies]
"reporting.mechanism" = ["hierarchical", "direct"]
"""


def test_tiny_robustness_sweep_resumes_to_the_same_answer(tmp_path):
    path = tmp_path / "tiny.toml"
    path.write_text(TINY.format(base=BASE), encoding="utf-8")
    plan = make_plan(load_sweep(path))
    assert plan.n_runs == 2 * 4 and plan.sweep.design == "robustness"
    # every policy meets the same four worlds with the same seed
    worlds = [tuple(p[k] for k in plan.sweep.ranges) for p in plan.points]
    assert worlds[:4] == worlds[4:] and len(set(worlds)) == 4
    out = tmp_path / "out"
    table = run_sweep(plan, out, SerialBackend(), quiet=True, timeseries=False)
    assert (table["status"] == "ok").all() and table["seed"].nunique() == 1
    first = json.loads((out / "robustness.json").read_text())
    assert len(first["policies"]) == 2 and first["worlds"] == 4
    assert {p["outcome"] for p in first["pairs"]} == {"total_harm", "mean_response_min"}
    assert all(
        p["n_worlds"] == 4 and p["a_wins"] + p["b_wins"] + p["ties"] == 4 for p in first["pairs"]
    )
    assert set(first["minimax_regret"]) == {"total_harm", "mean_response_min"}
    # kill-and-resume: two runs and the answers are lost; --resume runs only those two
    parts = sorted((out / "parts").glob("*.parquet"))
    rows = pd.concat([pd.read_parquet(f) for f in parts]).sort_values("run_id")
    for f in parts:
        f.unlink()
    rows.iloc[:-2].to_parquet(out / "parts" / "kept.parquet", index=False)  # any table of rows
    (out / "runs.parquet").unlink()
    (out / "robustness.json").unlink()
    calls = []
    backend = SerialBackend()
    real = backend.run
    backend.run = lambda fn, tasks: real(fn, (calls.append(t["run_id"]) or t for t in tasks))
    again = run_sweep(plan, out, backend, resume=True, quiet=True, timeseries=False)
    assert len(calls) == 2
    cols = [c for c in table.columns if c != "duration_s"]
    pd.testing.assert_frame_equal(again[cols], table[cols])
    assert json.loads((out / "robustness.json").read_text()) == first
    report = build_report(out, n_resamples=200)
    titles = [sec.title for sec in report.sections]
    assert {"Robustness: share of worlds won", "Robustness: regret"} <= set(titles)
    page = report.path.read_text(encoding="utf-8")
    assert "least maximum regret" in page and "A better in" in page
    # the decision summary says how the minimax-regret policy fares across the worlds
    best = first["minimax_regret"]["total_harm"]
    label = first["policies"][best]["label"]
    pair = next(p for p in first["pairs"] if p["outcome"] == "total_harm")
    won = pair["a_wins"] if pair["a"] == best else pair["b_wins"]
    summary = report.sections[0].body
    assert "Across plausible worlds" in summary
    assert f"{label} has the least maximum regret over 4 plausible worlds" in summary
    assert f"in {won / 4:.0%} of worlds" in summary


def test_report_draws_where_the_ranking_flips(synthetic, tmp_path):
    runs, res = synthetic
    (tmp_path / "robustness.json").write_text(
        json.dumps({**res, "worlds": 200, "replications": 2}), encoding="utf-8"
    )
    results = SimpleNamespace(folder=tmp_path, runs=runs)
    sections = robustness_sections(results, tmp_path / "report")
    title, charts, body = sections[2]
    assert title == "Robustness: where the ranking flips" and len(charts) == 1
    assert charts[0].png.is_file()
    assert "u.x" in charts[0].svg.read_text(encoding="utf-8")
    assert "is no worse when u.x is" in body


def test_a_robustness_file_needs_policies_and_known_uncertainties(tmp_path):
    bad = TINY.format(base=BASE).replace(
        '"flood.needs_per_1000_per_hour"', '"flood.needs_per_1000_per_hr"'
    )
    (tmp_path / "bad.toml").write_text(bad, encoding="utf-8")
    with pytest.raises(ConfigError, match="needs_per_1000_per_hour"):  # names the valid keys
        load_sweep(tmp_path / "bad.toml")
    no_policies = TINY.format(base=BASE).split("[policies]")[0]
    (tmp_path / "none.toml").write_text(no_policies, encoding="utf-8")
    with pytest.raises(ConfigError, match="policies"):
        load_sweep(tmp_path / "none.toml")


def test_shipped_robustness_sweep_samples_plausible_ranges():
    sweep = load_sweep(REPO / "configs" / "sweeps" / "robustness.toml")
    assert sweep.design == "robustness" and make_plan(sweep).n_runs == 12 * 200
    rows = {r["key"]: r for r in describe()}
    trust = sweep.ranges["population.initial_trust"]
    assert (trust.low, trust.high) == rows["population.initial_trust"]["plausible"]


def english_fragments() -> set[str]:
    """The fixed English text of the robustness study's sentence templates (the words
    around the ``{fields}``), as far as a phrase of two or more words."""
    found = set()
    for key, template in i18n.catalogue("en").items():
        if key.startswith("report.robust."):
            for literal, _, _, _ in string.Formatter().parse(template):
                found |= {
                    f.strip()
                    for f in re.split(r"[(),:;.]", literal or "")
                    if len(f.strip().split()) >= 2
                }
    return found


@pytest.fixture(scope="module")
def named_study():
    """The synthetic study with real names: the mechanisms for A, B and C, and catalogued
    uncertainties (the flip is on the township office delay)."""
    runs = synthetic_runs(120).rename(
        columns={"u.x": "reporting.township_delay_min", "u.z": "population.initial_trust"}
    )
    runs["reporting.mechanism"] = runs["reporting.mechanism"].map(
        {"A": "direct", "B": "hierarchical", "C": "joint_meeting"}
    )
    uncertain = ["reporting.township_delay_min", "population.initial_trust"]
    res = analyze(
        runs,
        ["reporting.mechanism"],
        uncertain,
        ["total_harm"],
        seed=1,
        units={"reporting.township_delay_min": "min", "population.initial_trust": "0-1"},
    )
    return runs, res


def test_robustness_sections_in_chinese_are_built_from_the_data(named_study, tmp_path):
    runs, res = named_study
    (tmp_path / "robustness.json").write_text(
        json.dumps({**res, "worlds": 120, "replications": 2}), encoding="utf-8"
    )
    results = SimpleNamespace(folder=tmp_path, runs=runs)
    zh = robustness_sections(results, tmp_path / "report", "zh")
    en = robustness_sections(results, tmp_path / "report_en", "en")
    t = lambda key, **f: i18n.text(key, "zh", **f)  # noqa: E731
    assert [title for title, _, _ in zh] == [
        t("report.robust.section.shares"),
        t("report.robust.section.regret"),
        t("report.robust.section.flips"),
    ]
    (_, _, shares), (_, regret, minimax), (_, flips, where) = zh
    assert t("report.robust.col.a_better") in shares and "总伤害" in shares
    # regret: the minimax-regret policy (direct) in Chinese, on the chart too
    assert "<b>直报</b>" in minimax and "的最大遗憾最小" in minimax
    assert t("report.robust.max_regret") in regret[0].svg.read_text(encoding="utf-8")
    # scenario discovery: the box in words from its limits, with the catalogue's name
    sd = next(p for p in res["pairs"] if p.get("scenario_discovery"))["scenario_discovery"]
    box = sd["boxes"][0]
    ((lo, hi),) = box["limits"].values()
    above = res["policies"][sd["no_worse"]]["levers"]["reporting.mechanism"] == "direct"
    edge = t(
        "report.robust.box_above" if above else "report.robust.box_below",
        name="街道（乡镇）办公室每份报告处理时间",
        value=f"{lo if above else hi:.3g} 分钟",
    )
    assert edge in where
    assert "采用 " in where and "覆盖率" in where and "密度" in where
    assert "街道（乡镇）办公室每份报告处理时间" in flips[0].svg.read_text(encoding="utf-8")
    # no English sentence template, nor the English sentence robustness.json keeps
    zh_text = " ".join(body + " ".join(c.caption for c in charts) for _, charts, body in zh)
    summary = " ".join(worlds_summary(results, "zh"))
    leftovers = {f for f in english_fragments() if f in zh_text or f in summary}
    assert not leftovers and box["text"] not in zh_text + summary
    assert "直报" in summary and "例外情形：采用" in summary
    # the English report says the same thing in English (and as robustness.json keeps it)
    assert box["text"] in en[2][2].replace("&#x27;", "'")


def test_chinese_robustness_report_from_the_command_line(tmp_path):
    path = tmp_path / "tiny.toml"
    path.write_text(TINY.format(base=BASE), encoding="utf-8")
    out = tmp_path / "out"
    run_sweep(make_plan(load_sweep(path)), out, SerialBackend(), quiet=True, timeseries=False)
    assert main(["report", str(out), "--lang", "zh", "--quiet", "--resamples", "200"]) == 0
    page = (out / "report" / "index.html").read_text(encoding="utf-8")
    text = re.sub(r"data:[^\"]+", "", page)  # the charts' images
    t = lambda key, **f: i18n.text(key, "zh", **f)  # noqa: E731
    for key in (
        "report.robust.title",
        "report.robust.section.shares",
        "report.robust.section.regret",
        "report.robust.section.flips",
    ):
        assert t(key) in text
    assert "的最大遗憾最小" in text and "层级上报" in text and "直报" in text
    data = json.loads((out / "robustness.json").read_text(encoding="utf-8"))
    flips = [p for p in data["pairs"] if p.get("scenario_discovery")]
    if any(p["scenario_discovery"]["boxes"] for p in flips):
        assert "覆盖率" in text and "密度" in text
    leftovers = {f for f in english_fragments() if f in text}
    assert not leftovers
    assert not any(b["text"] in text for p in flips for b in p["scenario_discovery"]["boxes"])


def test_outcome_text_of_a_study_comes_from_experiments_outcomes(synthetic, tmp_path, monkeypatch):
    """robustness.json and the report name outcomes by experiments.outcomes (label, words),
    the report's one source of outcome text, in every language."""
    runs, _ = synthetic
    monkeypatch.setattr(oc, "label", lambda o, lang=i18n.DEFAULT: f"LABEL[{o}:{lang}]")
    monkeypatch.setattr(oc, "words", lambda o, lang=i18n.DEFAULT: f"WORDS[{o}:{lang}]")
    res = analyze(runs, ["reporting.mechanism"], ["u.x", "u.z"], ["total_harm"], seed=1)
    assert res["outcomes"][0]["label"] == "LABEL[total_harm:en]"
    boxes = [b for p in res["pairs"] for b in (p.get("scenario_discovery") or {}).get("boxes", [])]
    assert boxes and all("WORDS[total_harm:en] is no worse" in b["text"] for b in boxes)
    (tmp_path / "robustness.json").write_text(
        json.dumps({**res, "worlds": 200, "replications": 2}), encoding="utf-8"
    )
    sections = robustness_sections(
        SimpleNamespace(folder=tmp_path, runs=runs), tmp_path / "report", "zh"
    )
    assert "LABEL[total_harm:zh]" in sections[0][2] and "LABEL[total_harm:zh]" in sections[1][2]
    assert "WORDS[total_harm:zh]" in sections[2][2]
