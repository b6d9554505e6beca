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
TINY = {
    "population.n_residents": 400,
    "population.residents_per_grid": 100,
    "time.peace_days": 2,
    "time.war_hours": 12.0,
}
LEVELS = [0, 10, 20]
SAMPLE = 2  # plausible worlds, besides the shipped scenarios as given


def toml_value(v) -> str:
    if isinstance(v, str):
        return '"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(v, list):
        return "[" + ", ".join(toml_value(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{ " + ", ".join(f'"{k}" = {toml_value(x)}' for k, x in v.items()) + " }"
    return repr(v)


def tiny_planner_file(folder: Path) -> Path:
    """The shipped planner sweep with its question, decision, baseline and worlds (its
    scenarios and uncertainties, fewer sampled worlds), at a tiny size."""
    data = tomllib.loads(PLANNER.read_text(encoding="utf-8"))
    lines = [
        f"{k} = {toml_value(data[k])}"
        for k in ("name", "description", "decision", "master_seed", "outcomes", "baseline")
    ]
    lines += [
        f'base = "{(PLANNER.parent / data["base"]).resolve()}"',
        "replications = 3",
        "[question]",
        *[f"{k} = {toml_value(v)}" for k, v in data["question"].items()],
        "[design]",
        'kind = "factorial"',
        "[fixed]",
        *[f'"{k}" = {toml_value(v)}' for k, v in TINY.items()],
        "[factors]",
        '"organization.structure" = ' + toml_value(data["factors"]["organization.structure"]),
        f'"volunteers.team_size_per_1000" = {toml_value(LEVELS)}',
        "[worlds]",
        "scenarios = "
        + toml_value([str((PLANNER.parent / f).resolve()) for f in data["worlds"]["scenarios"]]),
        f"sample = {SAMPLE}",
        "[uncertainties]",
        *[f'"{k}" = {toml_value(v)}' for k, v in data["uncertainties"].items()],
    ]
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
    assert data["factors"]["organization.structure"] == [
        "pre_reform",
        "siloed",
        "integrated",
        "integrated_party",
    ]
    assert data["baseline"] == {
        "organization.structure": "siloed",
        "volunteers.team_size_per_1000": 0,
    }
    assert {"en", "zh"} <= set(data["question"])


def test_page_one_of_the_pdf_answers_both_halves_with_money(planner_sweep, planner_en):
    text = flat(page_one(planner_sweep / "report" / "summary.pdf"))
    decision = planner_en.decision
    assert decision.money is not None
    # the answer: one option (a structure and a team size) with its cost in yuan and the rule
    assert re.search(
        r"Recommended: .*(siloed|integrated).* volunteers per 1,000: [\d,.]+ "
        r"(M )?yuan a year",
        text,
    ), text[:600]
    assert "Rule: the option with the highest net benefit" in text
    # the structures compared at each team size, in words, with intervals and counts
    for level in LEVELS:
        m = re.search(
            rf"At {level} volunteers per 1,000, against siloed departments: "
            r"(pre-reform [^;]+; )?integrated grid: [\d,.]+ (fewer|more) "
            r"person-hours of harm "
            r"\(95% CI -?[\d,.]+ to -?[\d,.]+\), better in \d+ of 3 emergencies, "
            r"[+-]?[\d,.]+ (M )?yuan a year",
            text,
        )
        assert m, (level, text)
    # the cost basis and the limits box
    assert "Cost basis (yuan; configs/costs.toml" in text
    assert "What these numbers cover, and what they do not" in text
    assert "synthetic township of 400 residents" in text
    assert "run-to-run variation over 3 emergencies" in text
    assert re.search(r"fitted to \d+ (routine peacetime )?figures", text)
    assert "within 60 min (time.target_response_min)" in text


def test_every_comparison_is_against_the_stated_baseline(planner_en):
    assert planner_en.baseline == {
        "organization.structure": "siloed",
        "volunteers.team_size_per_1000": 0,
    }
    assert planner_en.findings
    for f in planner_en.findings:
        assert f.baseline == ("siloed", 0), f.text
    # the structures are compared level by level with the baseline's structure
    money = planner_en.decision.money
    assert {(s.structure, s.level) for s in money.switches} == {
        (s, lv) for s in ("pre_reform", "integrated", "integrated_party") for lv in LEVELS
    }
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
    assert {
        "volunteer_hour_yuan",
        "staff_hour_yuan",
        "training_yuan_per_volunteer",
        "reorganization_yuan_per_1000",
    } <= set(costs["key (configs/costs.toml)"])
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
    assert re.search(
        r"每千人 10 名志愿者时，与条块分割相比：(改革前[^；]+；)?一网统管："
        r"伤害(减少|增加) [\d,.]+ 人·小时"
        r"（95% 置信区间 -?[\d,.]+ 至 -?[\d,.]+）",
        text,
    ), text
    for key in ("report.limits.title", "report.money.structures_title"):
        assert i18n.text(key, "zh") in text
    assert "成本依据（元" in text and "60 分钟" in text
    assert "Recommended" not in text and "Cost basis" not in text


def test_baseline_option_sets_one_factor_and_keeps_the_file_s_others(planner_sweep):
    report = build_report(
        planner_sweep, n_resamples=N_RESAMPLES, baseline={"organization.structure": "integrated"}
    )
    assert report.baseline == {
        "organization.structure": "integrated",
        "volunteers.team_size_per_1000": 0,
    }
    assert {f.baseline for f in report.findings} == {("integrated", 0)}
    assert {s.structure for s in report.decision.money.switches} == {
        "pre_reform",
        "siloed",
        "integrated_party",
    }


def test_money_applies_only_when_every_decision_has_a_price(planner_sweep):
    from experiments.report.sweep import load_results

    results = load_results(planner_sweep)
    assert mn.applies(results, ["organization.structure", "volunteers.team_size_per_1000"])
    assert not mn.applies(results, ["reporting.mechanism", "organization.structure"])


# ---- across hazards and plausible worlds -------------------------------------------------

N_WORLDS = 1 + 1 + SAMPLE  # the street flood and the township typhoon as given, and a sample


def test_page_one_ranks_the_options_across_worlds_apart_from_run_to_run(planner_sweep):
    report = build_report(planner_sweep, n_resamples=N_RESAMPLES)  # English, file's baseline
    text = flat(page_one(planner_sweep / "report" / "summary.pdf"))
    assert "Across hazards and plausible worlds" in text
    assert (
        f"Every option was run in the same {N_WORLDS} worlds: street flood and township "
        f"typhoon as given, and {SAMPLE} plausible worlds drawn from the plausible ranges "
        "of 10 assumptions" in text
    )
    assert re.search(
        rf"\(recommended[^)]*\): best in \d+ of {N_WORLDS} worlds \(\d+%; 95% CI \d+% "
        r"to \d+%\); regret: mean [\d,.]+ (M )?yuan a year, at most [\d,.]+ (M )?"
        "yuan a year",
        text,
    ), text
    # every structure at the recommended team size, and the option with the least maximum
    # regret, are shown
    worlds = report.decision.worlds
    assert len(worlds.lines) >= 2 + 4
    assert "least maximum regret" in text
    html = report.path.read_text(encoding="utf-8")
    assert "The assumptions a plausible world varies: peak rate of flood needs" in html
    # what each interval covers, separately
    assert (
        "What each interval covers: the interval of a share of worlds (95% Wilson, over "
        f"the {N_WORLDS} worlds) covers which world the street may be in: the hazards and "
        "the plausible parameter values." in text
    )
    assert (
        "cover run-to-run variation only: the 3 emergencies (seeds) within one world, the "
        "street flood as given" in text
    )
    table = pd.read_csv(planner_sweep / "report" / "tables" / "worlds.csv")
    assert len(table) == 4 * len(LEVELS)
    assert (table["worlds"] == N_WORLDS).all()
    assert table["worlds in which best"].sum() >= N_WORLDS  # ties count for each
    assert (table["largest regret (yuan a year)"] >= table["mean regret (yuan a year)"]).all()


def test_the_chinese_page_one_ranks_the_options_across_worlds(planner_sweep):
    build_report(planner_sweep, n_resamples=N_RESAMPLES, lang="zh")
    text = flat(page_one(planner_sweep / "report" / "summary.pdf"), "zh")
    assert "跨灾种与可能情景" in text and "每种区间涵盖什么" in text
    assert re.search(
        rf"（建议方案[^）]*）：在 {N_WORLDS} 个情景中有 \d+ 个最佳（\d+%；"
        r"95% 置信区间 \d+% 至 \d+%）；遗憾值：平均每年 ?[\d,.]+ (万)?元",
        text,
    ), text
    assert "Across hazards" not in text


def test_every_option_meets_every_world_with_the_same_seeds(planner_sweep):
    from experiments.sweeps.store import read_runs

    runs = read_runs(planner_sweep)
    assert set(runs["world"]) == set(range(N_WORLDS))
    assert set(runs["scenario"]) == {"street_flood", "township_typhoon"}
    seeds = runs.groupby("world")["seed"].apply(lambda s: tuple(sorted(set(s))))
    assert seeds.nunique() == 1 and len(seeds.iloc[0]) == 3  # common random numbers
    per = runs.groupby(["world", "organization.structure", "volunteers.team_size_per_1000"]).size()
    assert len(per) == N_WORLDS * 4 * len(LEVELS) and (per == 3).all()


def test_the_world_sample_is_drawn_from_the_master_seed(tmp_path):
    from experiments.sweeps.designs import load_sweep, sweep_worlds

    def worlds(seed: int):
        text = tiny_planner_file(tmp_path).read_text(encoding="utf-8")
        path = tmp_path / f"planner_{seed}.toml"
        path.write_text(
            re.sub(r"master_seed = \d+", f"master_seed = {seed}", text), encoding="utf-8"
        )
        return sweep_worlds(load_sweep(path))

    first, again, other = worlds(1), worlds(1), worlds(2)
    assert first == again
    assert [w.values for w in first[2:]] != [w.values for w in other[2:]]
    assert [w.values for w in first[:2]] == [w.values for w in other[:2]]  # as given
    assert [(w.scenario, w.sampled) for w in first] == [
        ("street_flood", False),
        ("township_typhoon", False),
        ("street_flood", True),
        ("township_typhoon", True),
    ]
    shipped = tomllib.loads(PLANNER.read_text(encoding="utf-8"))
    assert set(first[2].values) == set(shipped["uncertainties"])
    sweep = load_sweep(tmp_path / "planner_1.toml")
    for w in first[2:]:
        for key, value in w.values.items():
            b = sweep.worlds.uncertainties[key]
            assert b.low <= value <= b.high


def test_wins_and_regret_of_a_known_table():
    from experiments.report.sweep import SweepResults
    from experiments.report.worlds import by_world, standing

    # three worlds, three options, lower is better; two replications in each world
    means = {0: [10.0, 8.0, 9.0], 1: [5.0, 7.0, 5.0], 2: [1.0, 3.0, 2.0]}
    rows = [
        {
            "world": w,
            "option": o,
            "replication": r,
            "status": "ok",
            "total_harm": v + (0.5 if r == 0 else -0.5),
        }
        for w, values in means.items()
        for o, v in enumerate(values)
        for r in (0, 1)
    ]
    results = SweepResults(
        Path("."), {"factors": {"option": [0, 1, 2]}}, pd.DataFrame(rows), 0, ["option"], []
    )
    table = pd.DataFrame({"option": [0, 1, 2]})
    values = by_world(results, ["option"], "total_harm", table)
    assert values.to_numpy().tolist() == list(means.values())
    got = {s.option: s for s in standing(values, higher=False)}
    # world 0: option 1 best (regrets 2, 0, 1); world 1: options 0 and 2 tie (0, 2, 0);
    # world 2: option 0 best (0, 2, 1)
    assert [(got[o].wins, got[o].n) for o in range(3)] == [(2, 3), (1, 3), (1, 3)]
    assert got[0].regret_mean == pytest.approx(2 / 3) and got[0].regret_max == 2
    assert got[1].regret_mean == pytest.approx(4 / 3) and got[1].regret_max == 2
    assert got[2].regret_mean == pytest.approx(2 / 3) and got[2].regret_max == 1
    assert got[0].share == pytest.approx(2 / 3)
    assert got[0].low < 2 / 3 < got[0].high and 0 < got[1].low < got[1].high < 1
    # higher is better: the other side of every comparison
    flipped = {s.option: s for s in standing(values, higher=True)}
    assert [flipped[o].wins for o in range(3)] == [1, 2, 0]
    assert flipped[2].regret_max == 2


@pytest.mark.parametrize(
    "table, message",
    [
        (
            "[worlds]\nsample = 2\n",
            "worlds.sample: a sample of plausible worlds needs an [uncertainties] table",
        ),
        ('[worlds]\nscenarios = ["nowhere.toml"]\n', "worlds.scenarios: file not found"),
        ("[worlds]\nsample = -1\n", "worlds.sample: must be a whole number from 0 to 10,000"),
        ("[worlds]\nplaces = 2\n", "worlds.places: unknown key; allowed: scenarios, sample"),
        (
            "[worlds]\nsample = 2\n[uncertainties]\n"
            '"volunteers.team_size_per_1000" = { low = 0, high = 40 }\n',
            "is also a policy",
        ),
        (
            '[uncertainties]\n"flood.road_cut_share" = "plausible"\n',
            "a factorial design's [worlds] table takes [uncertainties]",
        ),
    ],
)
def test_a_bad_worlds_table_is_refused_naming_the_key(tmp_path, table, message):
    from experiments.sweeps.designs import load_sweep
    from sim.params import ConfigError

    path = tmp_path / "sweep.toml"
    path.write_text(
        f'base = "{(PLANNER.parent / "../scenarios/street_flood.toml").resolve()}"\n'
        '[factors]\n"volunteers.team_size_per_1000" = [0, 10]\n' + table,
        encoding="utf-8",
    )
    with pytest.raises(ConfigError, match=re.escape(message)):
        load_sweep(path)
