"""The planner's report (experiments/report/decision.py, planner.py, exports.py): the decision
summary recomputed from runs.parquet, the smallest sufficient dose, exports, Chinese.

Sweep folders here are written from small synthetic runs tables with known effects (no model
runs): replication r shares its noise across every policy (common random numbers).
"""

from __future__ import annotations

import itertools
import json
import logging
import re
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from experiments import i18n
from experiments import outcomes as oc
from experiments.cli.main import main
from experiments.factors import value_text
from experiments.report import charts
from experiments.report.page import build_report
from experiments.report.stats import SEED
from experiments.report.summary_pdf import SummaryPage, write_summary_pdf
from sim.params import ConfigError

N_RESAMPLES = 300
TEAM = "volunteers.team_size_per_1000"
STRUCTURE = "organization.structure"
# mean response (min) by team size: a knee at 5, then less than 2% more from 5 to 30
KNEE = {0: 100.0, 5: 60.0, 10: 59.5, 20: 59.2, 30: 59.0}


def knee_outcomes(point: dict, rng: np.random.Generator, shared: float) -> dict:
    response = (
        KNEE[point[TEAM]] + (5.0 if point[STRUCTURE] == "siloed" else 0.0)
    ) * shared + rng.normal(0, 0.2)
    harm = 50.0 * response
    return {
        "mean_response_min": response,
        "total_harm": harm,
        "casualty_proxy": 0.002 * harm,
        "share_met_within_target": float(np.clip(1.2 - response / 100.0, 0, 1)),
        "person_hours": 500.0 + 12.0 * point[TEAM] + rng.normal(0, 5),
    }


def synthetic_sweep(
    root: Path,
    factors: dict[str, list],
    replications: int,
    make=knee_outcomes,
    question: str | dict = "How many volunteers does the street need?",
    decision: list[str] | None = None,
    baseline: dict | None = None,
) -> Path:
    """A folder shaped like ``grassroots sweep`` output (manifest and runs.parquet only)."""
    points = [dict(zip(factors, v)) for v in itertools.product(*factors.values())]
    rows = []
    for r in range(replications):
        shared = np.random.default_rng([11, r]).lognormal(0, 0.1)  # the emergency's severity
        for i, point in enumerate(points):
            rng = np.random.default_rng([r, i])
            rows.append(
                {
                    "run_id": f"p{i:04d}-r{r:03d}",
                    "point": i,
                    "replication": r,
                    "seed": 1000 + r,
                    **point,
                    **make(point, rng, shared),
                    "status": "ok",
                    "error": "",
                    "duration_s": 0.0,
                }
            )
    runs = pd.DataFrame(rows).sort_values("run_id").reset_index(drop=True)
    runs.to_parquet(root / "runs.parquet", index=False)
    manifest = {
        "sweep": "synthetic",
        "design": "factorial",
        "factors": factors,
        "fixed": {},
        "base": None,
        "master_seed": 1,
        "replications": replications,
        "points": points,
        "n_runs": len(rows),
        "question": question,
        "decision": decision if decision is not None else [TEAM],
        "baseline": baseline if baseline is not None else {TEAM: 0},
    }
    (root / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    return root


FACTORS = {TEAM: list(KNEE), STRUCTURE: ["siloed", "integrated_party"]}
OUTCOMES = ["mean_response_min", "total_harm", "casualty_proxy", "share_met_within_target"]


@pytest.fixture(scope="module")
def knee_report(tmp_path_factory):
    folder = synthetic_sweep(tmp_path_factory.mktemp("knee"), FACTORS, replications=20)
    return folder, build_report(folder, outcomes=OUTCOMES, n_resamples=N_RESAMPLES)


def test_recommends_the_smallest_sufficient_team_size(knee_report):
    _, report = knee_report
    rec = report.decision.recommendations[0]
    assert rec.factor == TEAM and rec.outcome == "mean_response_min"
    assert rec.best == 30 and rec.level == 5, rec.sentence  # the knee, not the largest
    d = rec.diff
    assert 0 < d.rel < 0.05 and d.rel_high <= 0.05  # within 5% of the best, with 95% conf.
    assert "5 volunteers per 1,000" in rec.sentence and "smallest" in rec.sentence
    assert "95% CI" in rec.sentence and not rec.rough
    # the one sentence is the first thing the page says after the question
    html = report.path.read_text(encoding="utf-8")
    assert (
        html.index("<h1>How many volunteers does the street need?</h1>")
        < html.index(html_escape(rec.sentence))
        < html.index("<h2>Policy comparison")
    )


def html_escape(text: str) -> str:
    import html

    return html.escape(text)


def test_a_strict_margin_moves_the_recommendation_past_the_knee(tmp_path):
    folder = synthetic_sweep(tmp_path, FACTORS, replications=20)
    report = build_report(folder, outcomes=OUTCOMES[:1], n_resamples=N_RESAMPLES, margin=0.001)
    assert report.decision.recommendations[0].level > 5


def own_bootstrap(x: np.ndarray) -> tuple[float, float]:
    idx = np.random.default_rng(SEED).integers(0, len(x), size=(N_RESAMPLES, len(x)))
    low, high = np.quantile(x[idx].mean(axis=1), [0.025, 0.975])
    return float(low), float(high)


def own_paired(a: np.ndarray, b: np.ndarray, lower: bool) -> list[float]:
    idx = np.random.default_rng(SEED).integers(0, len(a), size=(N_RESAMPLES, len(a)))
    d = a - b
    low, high = np.quantile(d[idx].mean(axis=1), [0.025, 0.975])
    rel = a.mean() / b.mean() - 1
    rlow, rhigh = np.quantile(a[idx].mean(axis=1) / b[idx].mean(axis=1) - 1, [0.025, 0.975])
    better = int(np.sum(d < 0 if lower else d > 0))
    return [d.mean(), low, high, rel, rlow, rhigh, better, len(a)]


def as_shown(outcome: str, kind: str, x: float) -> float:
    """Shares in percent (one decimal), relative changes in percent (one decimal), other
    values to 3 significant digits (whole numbers from 1,000)."""
    if kind == "rel":
        return round(100 * x, 1)
    if kind == "count":
        return x
    if outcome == "share_met_within_target":
        return round(100 * x, 1)
    return float(round(x)) if abs(x) >= 1000 else float(f"{x:.3g}")


def test_every_number_of_the_decision_summary_is_recomputed_from_runs_parquet(knee_report):
    folder, report = knee_report
    runs = pd.read_parquet(folder / "runs.parquet")
    main_outcomes = ["mean_response_min", "total_harm", "share_met_within_target"]
    seen = set()
    for outcome in main_outcomes:
        lower = outcome != "share_met_within_target"
        table = pd.read_csv(
            folder / "report" / "tables" / f"decision_team_size_per_1000_{outcome}.csv"
        )
        per = {
            lv: runs[runs[TEAM] == lv]
            .groupby("replication")[outcome]
            .mean()
            .sort_index()
            .to_numpy(float)
            for lv in KNEE
        }
        means = {lv: x.mean() for lv, x in per.items()}
        order = sorted(KNEE, key=lambda lv: means[lv] if lower else -means[lv])
        assert list(table.iloc[:, 1]) == [f"{lv} volunteers per 1,000" for lv in order]
        best, base = order[0], 0
        for row, lv in zip(table.itertuples(index=False), order):
            values = list(row)
            expected = [means[lv], *own_bootstrap(per[lv])]
            kinds = ["value"] * 3
            for ref in (best, base):
                if lv == ref:
                    expected += [0.0, np.nan, np.nan, 0.0, np.nan, np.nan, np.nan, np.nan]
                else:
                    expected += own_paired(per[lv], per[ref], lower)
                kinds += ["value"] * 3 + ["rel"] * 3 + ["count"] * 2
            for got, want, kind in zip(values[2:], expected, kinds):
                if want != want:
                    assert got != got
                else:
                    assert got == pytest.approx(as_shown(outcome, kind, want), abs=1e-9), (
                        outcome,
                        lv,
                        kind,
                        got,
                        want,
                    )
        seen.add(outcome)
    assert seen == set(main_outcomes)
    # casualty_proxy is evidence of its own (life-threatening needs' deaths follow survival
    # against the time until reached, not harm): its own table, no caveat of a multiple
    assert list((folder / "report" / "tables").glob("*casualty_proxy*"))
    assert not any("fixed multiple" in c for c in report.decision.caveats)


def test_shares_are_in_percentage_points_and_headlines_carry_units(knee_report):
    _, report = knee_report
    share = [h for h in report.decision.headlines if "target time" in h]
    assert share and " pp " in share[0] and "%" in share[0]
    assert not re.search(r"0\.\d{4}", " ".join(report.decision.headlines))  # no raw 0.4196
    time = [
        h
        for h in report.decision.headlines
        if h.startswith("30 volunteers") and "mean response time" in h
    ]
    assert time and " min" in time[0] and "better in 20 of 20 emergencies" in time[0]


def cells(html_table: str) -> list[list[str]]:
    return [
        [
            re.sub(r"<[^>]+>", "", c).strip()
            for c in re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", row, re.S)
        ]
        for row in re.findall(r"<tr>(.*?)</tr>", html_table, re.S)
    ]


def test_csvs_hold_the_numbers_of_the_html_tables(knee_report):
    folder, report = knee_report
    html = report.path.read_text(encoding="utf-8")
    tables = re.findall(r"<table class=decision>(.*?)</table>", html, re.S)
    assert (
        len(tables) == len(report.decision.tables) == 4
    )  # casualties: no longer derived from harm
    for (name, _), shown in zip(report.decision.tables.items(), tables):
        csv = pd.read_csv(folder / "report" / "tables" / f"{name}.csv")
        rows = cells(shown)
        assert rows[0] == [html_unescape(c) for c in csv.columns] or [
            html_unescape(c) for c in rows[0]
        ] == list(csv.columns)
        for got, want in zip(rows[1:], csv.itertuples(index=False)):
            for g, w in zip(got, want):
                if isinstance(w, str):
                    assert html_unescape(g) == w
                elif w != w:
                    assert g == "–"
                else:
                    assert float(g.replace(",", "")) == pytest.approx(float(w), abs=1e-9)


def html_unescape(text: str) -> str:
    import html

    return html.unescape(text)


def test_workbook_opens_with_pandas_and_holds_runs_summary_and_differences(knee_report):
    folder, _ = knee_report
    sheets = pd.read_excel(folder / "report" / "results.xlsx", sheet_name=None)
    contents = sheets["contents"]  # sheet -> table (and its CSV)
    sheet_of = dict(zip(contents["table"], contents["sheet"]))
    assert {
        "runs",
        "policy_summary",
        "paired_differences",
        "cost_effectiveness",
        "options",
        "costs",
    } <= set(sheet_of)
    runs = pd.read_parquet(folder / "runs.parquet")
    assert len(sheets[sheet_of["runs"]]) == len(runs)
    assert np.allclose(sheets[sheet_of["runs"]]["total_harm"], runs["total_harm"])
    assert len(sheets[sheet_of["policy_summary"]]) == 4 * len(runs["point"].unique())  # outcomes


def pdf_pages(path: Path) -> int:
    data = path.read_bytes()
    assert data.startswith(b"%PDF")
    return len(re.findall(rb"/Type\s*/Page[^s]", data))


def test_summary_pdf_is_one_a4_page(knee_report):
    folder, _ = knee_report
    path = folder / "report" / "summary.pdf"
    assert pdf_pages(path) == 1
    box = re.search(rb"/MediaBox\s*\[\s*0 0 ([\d.]+) ([\d.]+)", path.read_bytes())
    assert (round(float(box[1])), round(float(box[2]))) == (595, 842)  # A4 in points


def test_trade_off_marks_the_pareto_front_and_cost_effectiveness(knee_report):
    folder, report = knee_report
    x = np.array([1.0, 2.0, 3.0, 2.5])
    y = np.array([5.0, 3.0, 1.0, 4.0])  # the last is beaten by (2, 3) on both
    assert charts.pareto_front(x, y, True) == [0, 1, 2]
    assert charts.pareto_front(x, -y, False) == [0, 1, 2]
    ce = pd.read_csv(folder / "report" / "tables" / "cost_effectiveness.csv")
    # the first step (0 -> 5 volunteers) avoids far more harm per 10,000 yuan than any later
    per_10k = ce["harm avoided per 10,000 yuan (person-hours)"].to_numpy(float)
    assert per_10k[0] > 10 * max(per_10k[1:])
    low = ce["per 10,000 yuan: 95% CI low"].to_numpy(float)
    high = ce["per 10,000 yuan: 95% CI high"].to_numpy(float)
    assert np.all(low <= per_10k) and np.all(per_10k <= high)  # each step has its interval
    names = {c.name for c in report.decision.charts}  # on page 1, with the answer in money
    assert {"tradeoff", "cost_effectiveness"} <= names


def test_chinese_report_from_the_command_line(knee_report, tmp_path, capsys):
    folder = synthetic_sweep(
        tmp_path,
        FACTORS,
        replications=12,
        question={"en": "How many volunteers?", "zh": "街道需要多少名志愿者？"},
    )
    assert (
        main(
            [
                "report",
                str(folder),
                "--lang",
                "zh",
                "--quiet",
                "--resamples",
                "200",
                "--outcomes",
                "mean_response_min,total_harm",
            ]
        )
        == 0
    )
    html = (folder / "report" / "index.html").read_text(encoding="utf-8")
    assert '<html lang="zh-Hans">' in html and "<h1>街道需要多少名志愿者？</h1>" in html
    for key in ("report.section.decision", "report.decision.answer", "report.section.tradeoffs"):
        assert i18n.text(key, "zh") in html
    assert "Decision summary" not in html and "Policy comparison" not in html
    assert "每千人 5 名志愿者" in html  # a level in Chinese
    head = pd.read_csv(
        folder / "report" / "tables" / "decision_team_size_per_1000_mean_response_min.csv"
    ).columns
    assert head[0] == "排名"
    assert pdf_pages(folder / "report" / "summary.pdf") == 1
    assert main(["report", str(folder), "--lang", "fr"]) == 2
    assert "invalid choice: 'fr'" in capsys.readouterr().err


def test_charts_render_chinese_without_missing_glyphs(tmp_path, caplog):
    if not charts.cjk_families():
        pytest.skip(
            "no CJK font installed (Debian: apt-get install fonts-wqy-microhei; "
            "make setup and .ci/run install it)"
        )
    from experiments.report.stats import Estimate

    labels = ["层级上报", "网格员直报", "联席会议", "临时党组织"]
    estimates = [Estimate(60 + i, 58 + i, 62 + i, 20) for i in range(4)]
    with warnings.catch_warnings(record=True) as caught, caplog.at_level(logging.WARNING):
        warnings.simplefilter("always")
        chart = charts.ranking(
            tmp_path,
            "zh",
            "上报机制：各方案排序",
            "平均响应时间（分钟）",
            labels,
            estimates,
            1,
            20,
            {"rough": "", "caption": "志愿者"},
        )
        write_summary_pdf(
            tmp_path / "s.pdf",
            SummaryPage(
                "情景实验报告",
                "社区干部如何上报？",
                ["建议：直报"],
                charts=[chart],
                caveats=["网格党组织"],
            ),
            "zh",
        )
    messages = [str(w.message) for w in caught] + [r.getMessage() for r in caplog.records]
    assert not [m for m in messages if "Glyph" in m or "missing" in m], messages
    assert "上报机制" in chart.svg.read_text(encoding="utf-8")  # text kept as text in SVG
    assert pdf_pages(tmp_path / "s.pdf") == 1


def test_outcome_directions_labels_and_derived_outcomes(monkeypatch):
    import sim
    from sim.registry import Outcome

    assert oc.higher_is_better("residents_sheltered") is True
    assert oc.lower_is_better("total_harm") and not oc.lower_is_better("share_met_within_target")
    assert oc.derived_from("casualty_proxy") is None  # survival curve: not a multiple of harm
    # an outcome declared as a transform of another is dropped beside it
    monkeypatch.setitem(
        sim.OUTCOMES,
        "peak_backlog",
        Outcome("peak_backlog", "needs", "Most needs open", False, "total_harm"),
    )
    assert oc.main_outcomes(["total_harm", "casualty_proxy", "peak_backlog"]) == [
        "total_harm",
        "casualty_proxy",
    ]
    assert oc.main_outcomes(["peak_backlog"]) == ["peak_backlog"]  # alone it stays
    assert "(proxy)" in oc.label("casualty_proxy")


def test_outcome_adapter_reads_declarations_with_attributes(monkeypatch):
    """The declarations may become objects with direction and derivation: the adapter
    reads them where present."""
    from dataclasses import dataclass

    import sim

    @dataclass(frozen=True)
    class Outcome:
        name: str
        unit: str
        label: str
        higher_is_better: bool | None
        derived_from: str | None

        def __getitem__(self, i):
            return (self.unit, self.label)[i]

    monkeypatch.setitem(
        sim.OUTCOMES,
        "peak_backlog",
        Outcome("peak_backlog", "needs", "Most needs open", True, "total_harm"),
    )
    assert oc.higher_is_better("peak_backlog") is True
    assert oc.derived_from("peak_backlog") == "total_harm"
    assert oc.unit("peak_backlog") == "needs"


def test_rough_intervals_are_grey_and_never_called_better(tmp_path):
    folder = synthetic_sweep(tmp_path, FACTORS, replications=4)
    report = build_report(folder, outcomes=["mean_response_min"], n_resamples=N_RESAMPLES)
    rec = report.decision.recommendations[0]
    assert rec.rough and "Tentative: only 4 emergencies" in rec.sentence
    html = report.path.read_text(encoding="utf-8")
    assert "<td class=rough>" in html
    assert all(" cuts " not in f.text and "rough" in f.text for f in report.findings)


def test_structures_are_compared_with_each_other(tmp_path):
    """Every level of every decision factor is ranked, the structure too."""
    factors = {
        "reporting.mechanism": ["hierarchical", "direct"],
        STRUCTURE: ["siloed", "integrated", "integrated_party"],
    }
    effect = {
        "siloed": 10.0,
        "integrated": 2.0,
        "integrated_party": 0.0,
        "hierarchical": 8.0,
        "direct": 0.0,
    }

    def make(point, rng, shared):
        response = (50 + effect[point["reporting.mechanism"]] + effect[point[STRUCTURE]]) * shared
        return {
            "mean_response_min": response + rng.normal(0, 0.2),
            "person_hours": 100 + rng.normal(0, 1),
        }

    synthetic_sweep(
        tmp_path,
        factors,
        12,
        make,
        question="Which mechanism and structure?",
        decision=list(factors),
        baseline={"reporting.mechanism": "hierarchical"},
    )
    report = build_report(tmp_path, outcomes=["mean_response_min"], n_resamples=N_RESAMPLES)
    ranks = {r.factor: [row.level for row in r.rows] for r in report.decision.rankings}
    assert ranks[STRUCTURE] == ["integrated_party", "integrated", "siloed"]
    assert ranks["reporting.mechanism"] == ["direct", "hierarchical"]
    structure = next(r for r in report.decision.rankings if r.factor == STRUCTURE)
    assert not structure.baseline_given and structure.baseline == "siloed"
    siloed = structure.rows[-1]
    assert siloed.vs_best.n_better == 0 and siloed.vs_best.n == 12
    # integrated is within 5% of integrated_party: the cheaper option in cost order (the
    # first level stands in for the baseline, then the file's order) is recommended
    rec = next(r for r in report.decision.recommendations if r.factor == STRUCTURE)
    assert rec.level == "integrated"


def test_sweep_file_question_and_decision_are_checked(tmp_path):
    from experiments.sweeps.designs import load_sweep

    path = tmp_path / "s.toml"
    body = '[factors]\n"reporting.mechanism" = ["hierarchical", "direct"]\n'
    path.write_text('question = "Which?"\ndecision = ["reporting.mechanism"]\n' + body)
    sweep = load_sweep(path)
    assert sweep.question == "Which?" and sweep.decision == ["reporting.mechanism"]
    path.write_text('decision = ["organization.structure"]\n' + body)
    with pytest.raises(ConfigError, match="decision"):
        load_sweep(path)
    path.write_text('decision = []\n[question]\nen = "Which?"\nzh = "哪个？"\n' + body)
    assert load_sweep(path).question == {"en": "Which?", "zh": "哪个？"}
    path.write_text("question = 3\n" + body)
    with pytest.raises(ConfigError, match="question"):
        load_sweep(path)


def test_a_stated_structure_is_the_street_the_team_size_is_decided_for(tmp_path, capsys):
    """The volunteer sweep decides the team size only; ``--baseline
    organization.structure=siloed`` makes the decision for a siloed street (the rankings use
    its runs only), and every finding compares with 0 volunteers under the siloed structure."""
    folder = synthetic_sweep(tmp_path, FACTORS, replications=12)
    runs = pd.read_parquet(folder / "runs.parquet")
    default = build_report(folder, outcomes=["mean_response_min"], n_resamples=N_RESAMPLES)
    assert default.baseline == {TEAM: 0, STRUCTURE: "siloed"}
    assert {f.baseline for f in default.findings} == {(0, "siloed")}
    assert default.decision.held == {}
    averaged = {row.level: row.estimate.mean for row in default.decision.rankings[0].rows}
    assert averaged[10] == pytest.approx(runs[runs[TEAM] == 10]["mean_response_min"].mean())
    for structure in ("siloed", "integrated_party"):
        report = build_report(
            folder,
            baseline={STRUCTURE: structure},
            outcomes=["mean_response_min"],
            n_resamples=N_RESAMPLES,
        )
        assert report.decision.held == {STRUCTURE: structure}
        assert report.baseline == {TEAM: 0, STRUCTURE: structure}  # the file's team level
        pick = runs[runs[STRUCTURE] == structure]
        for row in report.decision.rankings[0].rows:
            assert row.estimate.mean == pytest.approx(
                pick[pick[TEAM] == row.level]["mean_response_min"].mean()
            )
        assert any(
            value_text(STRUCTURE, structure) in c and "street as it is" in c
            for c in report.decision.caveats
        )
    assert (
        main(
            [
                "report",
                str(folder),
                "--baseline",
                "organization.structure=siloed",
                "--quiet",
                "--resamples",
                "200",
                "--outcomes",
                "mean_response_min",
            ]
        )
        == 0
    )
    assert "organization.structure = siloed (--baseline)" in (
        folder / "report" / "index.html"
    ).read_text(encoding="utf-8")
