"""What a planner reads in the report: each readability defect of issue 22 where a test can
see it. Chinese lines never break inside a number or between a number and its unit; xlsx
sheet names are unique and readable, with a contents sheet; paired_differences.csv is in the
tables' units (percent, and the column says so); no "-0" anywhere in the tables; wide HTML
tables scroll inside their box; the trade-off chart's labels do not overlap and every colour
and marker has a legend entry.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from browser import CHROMIUM, CHROMIUM_ARGS
from hypothesis import given, settings
from hypothesis import strategies as st
from matplotlib.lines import Line2D
from test_report_decision import FACTORS, STRUCTURE, TEAM, synthetic_sweep

from experiments.report import exports
from experiments.report import planner_charts as pc
from experiments.report.page import CSS, build_report
from experiments.report.stats import Estimate
from experiments.report.wrap import columns, tokens, wrap

N_RESAMPLES = 300
NUMBER = re.compile(r"[-+]?\d[\d,]*(?:\.\d+)?%?")
ZH_UNITS = ["分钟", "人·小时", "万元", "元", "个百分点", "名", "次"]


# ---- Chinese wrapping -------------------------------------------------------------------


def test_the_line_that_split_a_number_from_its_minutes_stays_whole():
    """The defect: text cut every 46 characters wherever it fell ("+2." / "96 分钟")."""
    text = (
        "建议：每千人 5 名志愿者，即在平均响应时间上与最优水平（每千人 30 名志愿者）"
        "相差不超过 5% 的"
        "最小水平：与最优相比 +2.96 分钟（95% 置信区间 +1.86 至 +2.2 分钟），+2.9%。"
    )
    for width in range(20, 100):
        lines = wrap(text, width)
        assert "".join(lines).replace(" ", "") == text.replace(" ", "")
        joined = "\n".join(lines)
        for number in ("+2.96 分钟", "+2.2 分钟", "30 名", "95%", "+1.86", "5%"):
            assert number in joined, (width, lines)


cjk = st.sampled_from(
    list("建议每千人名志愿者在平均响应时间上与最优水平相比置信区间至突发事件中有次更好")
)
punct = st.sampled_from(list("，。；：（）、"))
number = st.builds(
    lambda sign, whole, frac: f"{sign}{whole:,}{frac}",
    st.sampled_from(["", "+", "-"]),
    st.integers(0, 2_000_000),
    st.sampled_from(["", ".5", ".96", ".04"]),
)
quantity = st.builds(
    lambda n, gap, unit: f"{n}{gap}{unit}",
    number,
    st.sampled_from(["", " "]),
    st.sampled_from(ZH_UNITS),
)
piece = st.one_of(cjk, cjk, punct, number, quantity, st.just(" "))


@settings(max_examples=300, deadline=None)
@given(st.lists(piece, min_size=1, max_size=40), st.integers(8, 60))
def test_chinese_wrapping_never_splits_a_number_or_its_unit(pieces, width):
    text = "".join(pieces)
    lines = wrap(text, width)
    # nothing lost or added but the spaces at the breaks
    assert "".join(lines).replace(" ", "") == text.replace(" ", "")
    # a line is at most `width` columns unless it holds one unbreakable unit
    for line in lines:
        assert columns(line) <= width or len([t for t in tokens(line) if not t.isspace()]) == 1
    # every quantity and every number of the text is whole on one line
    for p in pieces:
        if any(ch.isdigit() for ch in p):
            core = p.strip()
            assert any(core in line for line in lines) or any(
                core.replace(" ", "") in line.replace(" ", "") for line in lines
            ), (p, lines)
    # no line starts with closing punctuation
    assert not any(line[:1] in "，。；：）、" for line in lines[1:] if line)


# ---- xlsx sheet names -------------------------------------------------------------------


def test_sheet_names_are_unique_readable_and_listed():
    names = [
        "contents",
        "runs",
        "decision_team_size_per_1000_total_harm",
        "decision_team_size_per_1000_share_met_within_target",
        "decision_team_size_per_1000_mean_response_min",
        "decision_team_size_per_1000_p90_response_min",
        "decision_structure_share_met_within_target",
        "decision_a_very_long_factor_name_that_goes_on_total_harm",
        "decision_a_very_long_factor_name_that_goes_on_mean_response_min",
        "policy_summary",
        "paired_differences",
        "cost_effectiveness",
        "Runs",
    ]
    sheets = exports.sheet_names(names)
    shown = list(sheets.values())
    assert len({s.lower() for s in shown}) == len(names)  # Excel ignores case
    assert all(0 < len(s) <= 31 and not re.search(r"[\\/*?:\[\]]", s) for s in shown)
    assert sheets["decision_team_size_per_1000_total_harm"] == "rank volunteers - harm"
    assert (
        sheets["decision_team_size_per_1000_share_met_within_target"]
        == "rank volunteers - within target"
    )
    assert not any(s.endswith(("_", "-", " ")) for s in shown)


@pytest.fixture(scope="module")
def knee(tmp_path_factory):
    folder = synthetic_sweep(tmp_path_factory.mktemp("knee"), FACTORS, replications=12)
    return folder, build_report(
        folder,
        n_resamples=N_RESAMPLES,
        outcomes=["mean_response_min", "total_harm", "share_met_within_target"],
    )


def test_the_workbook_has_a_contents_sheet_for_every_sheet(knee):
    folder, report = knee
    sheets = pd.read_excel(folder / "report" / "results.xlsx", sheet_name=None)
    contents = sheets["contents"]
    assert list(sheets)[0] == "contents"
    assert set(contents["sheet"]) | {"contents"} == set(sheets)
    for _table, file in zip(contents["table"], contents["file"]):
        assert file == "runs.parquet" or (folder / "report" / file).is_file()


# ---- units of paired_differences.csv ------------------------------------------------------


def test_paired_differences_are_in_percent_and_percentage_points(knee):
    folder, report = knee
    csv = pd.read_csv(folder / "report" / "tables" / "paired_differences.csv")
    for column in (
        "relative difference (%)",
        "relative: 95% CI low (%)",
        "relative: 95% CI high (%)",
    ):
        assert column in csv.columns
    by_text = {f.text: f for f in report.findings}
    assert len(csv) == len(report.findings)
    for _, row in csv.iterrows():
        f = by_text[row["finding"]]
        assert row["relative difference (%)"] == pytest.approx(round(100 * f.diff.rel, 1), abs=1e-9)
        assert row["relative: 95% CI low (%)"] == pytest.approx(
            round(100 * f.diff.rel_low, 1), abs=1e-9
        )
        if f.outcome == "share_met_within_target":
            assert row["unit"] == "percentage points"
            diff = round(100 * f.diff.diff, 1)
            assert row["difference (in the unit column's unit)"] == pytest.approx(diff, abs=1e-9)
            assert f"{abs(diff):.1f}" in f.text  # the same number as the sentence
        else:
            assert row["unit"] in ("min", "person-hours")
    summary = pd.read_csv(folder / "report" / "tables" / "policy_summary.csv")
    shares = summary[summary["unit"] == "%"]
    assert len(shares) and shares["mean"].between(0, 100).all() and shares["mean"].max() > 1


# ---- no "-0" --------------------------------------------------------------------------------


def tiny_negative(point, rng, shared):
    """Two policies that differ by a hair: differences round to zero."""
    hair = -1e-7 if point[STRUCTURE] == "integrated_party" else 0.0
    return {
        "mean_response_min": 50.0 * shared + hair,
        "total_harm": 1000.0 * shared + hair,
        "share_met_within_target": 0.5 + hair,
        "person_hours": 100.0 + hair,
    }


NEGATIVE_ZERO = re.compile(r"(?<![\w.])[-−]0(?:\.0+)?(?![\d.])")


def test_no_minus_zero_in_any_table(tmp_path):
    folder = synthetic_sweep(
        tmp_path,
        {STRUCTURE: ["siloed", "integrated_party"], TEAM: [0]},
        replications=10,
        make=tiny_negative,
        decision=[STRUCTURE],
        baseline={STRUCTURE: "siloed"},
    )
    report = build_report(
        folder,
        n_resamples=N_RESAMPLES,
        outcomes=["mean_response_min", "total_harm", "share_met_within_target"],
    )
    html = report.path.read_text(encoding="utf-8")
    cells = re.findall(r"<td[^>]*>(.*?)</td>", html)
    assert cells and not [c for c in cells if NEGATIVE_ZERO.search(c)]
    for sentence in report.key_findings + [f.text for f in report.findings]:
        assert not NEGATIVE_ZERO.search(sentence), sentence
    for path in (folder / "report" / "tables").glob("*.csv"):
        text = path.read_text(encoding="utf-8-sig")
        assert not re.search(r"(^|,)-0(\.0+)?(,|$)", text, re.M), path.name


# ---- wide HTML tables -----------------------------------------------------------------------


def test_every_html_table_scrolls_inside_its_box(knee):
    _, report = knee
    html = report.path.read_text(encoding="utf-8")
    assert ".tablebox{max-width:100%;overflow-x:auto}" in CSS.replace("\n", "")
    opened = [m.start() for m in re.finditer(r"<table\b", html)]
    assert opened
    for start in opened:
        assert html[:start].endswith("<div class=tablebox>"), html[start - 60 : start + 40]
    # the widest table (21 columns) gets headings that may wrap instead of stretching it
    assert "table.decision th{" in CSS.replace("\n", "") and "white-space:normal" in CSS


# ---- the trade-off chart --------------------------------------------------------------------


def dense_points() -> list[pc.Point]:
    """Two structures with nine team sizes close together (where labels used to collide)."""
    points = []
    for k, group in enumerate(("siloed departments", "integrated grid + party organizations")):
        for level in range(0, 45, 5):
            harm = 700 + 4000 * np.exp(-level / 3) + 30 * k
            cost = 0.05 + 0.008 * level + 0.01 * k
            points.append(
                pc.Point(
                    Estimate(cost, cost, cost, 0),
                    Estimate(harm, harm - 40, harm + 40, 20),
                    group,
                    str(level),
                )
            )
    return points


def test_trade_off_labels_never_overlap_and_every_style_has_a_legend_entry():
    points = dense_points()
    words = {
        "title": "t",
        "x": "x",
        "y": "y",
        "front": "Pareto front",
        "caption": "",
        "baseline": "baseline",
        "recommended": "recommended",
        "labels": "numbers",
    }
    fig = pc.draw_tradeoff(points, True, words, 20, {"baseline": 0, "recommended": 3})
    renderer = fig.canvas.get_renderer()
    ax = fig.axes[0]
    labels = [t for t in ax.texts if t.get_text()]
    assert len(labels) >= 6  # most points keep a label
    boxes = [t.get_window_extent(renderer) for t in labels]
    for i, a in enumerate(boxes):
        for b in boxes[i + 1 :]:
            assert not (a.x0 < b.x1 and b.x0 < a.x1 and a.y0 < b.y1 and b.y0 < a.y1)
    legend = fig.legends[0]
    entries = {t.get_text() for t in legend.get_texts()}
    assert {
        "siloed departments",
        "integrated grid + party organizations",
        "Pareto front",
        "baseline",
        "recommended",
    } <= entries
    styles = {
        (line.get_color(), line.get_marker())
        for line in legend.legend_handles
        if isinstance(line, Line2D)
    }
    drawn = {
        (line.get_color(), line.get_marker())
        for line in ax.get_lines()
        if line.get_marker() not in (None, "None", "", "_", "|")  # "_", "|": error caps
        and line.get_linestyle() in ("None", "none", "")
    }
    assert drawn <= styles | {(c, m) for c, m in drawn if c in ("#000000", "black")}


def test_cost_effectiveness_chart_has_a_legend_for_each_structure_and_the_threshold():
    groups = {
        "siloed departments": [
            ("0→5", Estimate(900, 500, 1500, 20)),
            ("5→10", Estimate(3, -1, 8, 20)),
        ],
        "integrated grid": [("0→5", Estimate(400, 200, 700, 20)), ("5→10", Estimate(2, -2, 6, 20))],
    }
    fig = pc.draw_cost_effectiveness(
        groups,
        4.8,
        {"title": "t", "x": "x", "y": "y", "threshold": "threshold 4.8", "caption": ""},
        20,
    )
    entries = {t.get_text() for t in fig.legends[0].get_texts()}
    assert entries == {"siloed departments", "integrated grid", "threshold 4.8"}


def test_the_report_fits_1280_pixels_in_a_browser(knee):
    """Measured in headless Chromium (as tests/test_app.py; skipped without it): at 1280 px
    the page does not scroll sideways; a wide table scrolls inside its own box."""
    if not Path(CHROMIUM).is_file():
        pytest.skip(f"no Chromium at {CHROMIUM} (apt-get install -y chromium)")
    sync_playwright = pytest.importorskip("playwright.sync_api").sync_playwright
    _, report = knee
    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=CHROMIUM,
            args=CHROMIUM_ARGS,
        )
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 800})
            page.goto(report.path.as_uri())
            assert page.evaluate("document.documentElement.scrollWidth") <= 1280
            boxes = page.evaluate("""[...document.querySelectorAll('table')].map(t => {
                const box = t.parentElement.getBoundingClientRect();
                return [box.right, t.parentElement.scrollWidth > t.parentElement.clientWidth];
            })""")
            assert boxes and all(right <= 1280 for right, _ in boxes)
            assert any(scrolls for _, scrolls in boxes)  # the 21-column tables scroll
        finally:
            browser.close()
