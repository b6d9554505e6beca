"""The after-action report as a PDF, from a debrief made by hand (no model run): the
objectives and whether each was met, strengths and areas for improvement by role, each
decision's counterfactual effect, the timeline; in English and in Chinese (the text is
searchable: TrueType fonts embedded, the CJK fallback for Chinese)."""

from __future__ import annotations

import pytest

from experiments.cli.exercise import write_results
from experiments.exercise.after_action import write_after_action_pdf
from experiments.exercise.plan import ConfigError, objective_from_dict
from experiments.exercise.play import OUTCOME_KEYS

pypdf = pytest.importorskip("pypdf")

CLASS = dict(zip(OUTCOME_KEYS, (9000.0, 80.0, 0.52, 1.0, 560.0, 2930.0), strict=True))
DEFAULT = dict(zip(OUTCOME_KEYS, (9168.0, 84.3, 0.44, 1.0, 578.0, 2930.0), strict=True))


def debrief() -> dict:
    objectives = [
        objective_from_dict(o, "test").judge(CLASS, DEFAULT)
        for o in (
            {
                "outcome": "total_harm",
                "at_most": "default",
                "en": "Keep harm low.",
                "zh": "降低伤害。",
            },
            {"outcome": "peak_backlog", "at_most": 500, "en": "Keep the hotline answered."},
        )
    ]
    decision = {
        "step": 12,
        "minute": 120.0,
        "role": "command",
        "choice": "convene_now",
        "inject": "The road to shelter B is flooded.",
        "students": ["Ann"],
        "timed_out": False,
        "effect": {"total_harm": -150.0, "mean_response_min": -2.5},
    }
    timed_out = {
        **decision,
        "role": "volunteers",
        "choice": "default",
        "students": ["Cy"],
        "timed_out": True,
        "effect": {"total_harm": 0.0, "mean_response_min": 0.0},
    }
    return {
        "exercise": "street_flood",
        "scenario": "street_flood",
        "seed": 1,
        "target_response_min": 60.0,
        "outcome_keys": list(OUTCOME_KEYS),
        "class": CLASS,
        "default": DEFAULT,
        "difference": {k: CLASS[k] - DEFAULT[k] for k in OUTCOME_KEYS},
        "objectives": objectives,
        "decisions": [decision, timed_out],
        "roles": [
            {
                "role": "command",
                "students": ["Ann"],
                "decided": 1,
                "timed_out": 0,
                "strengths": [0],
                "improvements": [],
            },
            {
                "role": "volunteers",
                "students": ["Cy"],
                "decided": 0,
                "timed_out": 1,
                "strengths": [],
                "improvements": [1],
            },
        ],
        "timeline": [
            {
                "minute": 120.0,
                "kind": "inject",
                "words": {
                    "en": "The road to shelter B is flooded.",
                    "zh": "通往B避难点的道路被淹。",
                },
                "cum_harm": 300.0,
                "backlog": 40,
            }
        ]
        * 80,  # enough events to need a second page
    }


def pages(path) -> list[str]:
    return [" ".join(p.extract_text().split()) for p in pypdf.PdfReader(path).pages]


def test_the_english_report_states_objectives_strengths_and_effects(tmp_path):
    found = pages(write_after_action_pdf(tmp_path / "after_action.pdf", debrief(), "en"))
    first = found[0]
    assert "After-action report: street_flood" in first
    assert "Met: Keep harm low." in first and "Not met: Keep the hotline answered." in first
    assert "this run 560; at most 500" in first
    assert "Front-line command duty officer" in first and "Strengths" in first
    assert "Convene the front-line command now (-150)" in first  # Ann's strength
    whole = " ".join(found)
    assert len(found) >= 2 and "Effect on total harm (person-hours) -150.0" in whole
    assert "time ran out: default" in whole and "Timeline" in whole


def test_the_chinese_report_is_in_chinese(tmp_path):
    found = pages(write_after_action_pdf(tmp_path / "after_action.zh.pdf", debrief(), "zh"))
    first = "".join(found[0].split())
    assert (
        "行动后报告" in first and "目标" in first and "达成:降低伤害。" in first.replace("：", ":")
    )
    assert "优点" in first and "待改进" in first
    assert "通往B避难点的道路被淹。" in "".join("".join(found).split())


def test_an_objective_needs_a_known_outcome_one_bound_and_english_words():
    for bad in (
        {"outcome": "happiness", "at_most": 1, "en": "x"},
        {"outcome": "total_harm", "en": "x"},
        {"outcome": "total_harm", "at_most": 1, "at_least": 0, "en": "x"},
        {"outcome": "total_harm", "at_most": "less", "en": "x"},
        {"outcome": "total_harm", "at_most": 1, "zh": "x"},
    ):
        with pytest.raises(ConfigError):
            objective_from_dict(bad, "test")


def test_the_results_folder_has_the_debrief_and_both_reports(tmp_path):
    written = write_results(tmp_path / "ex", debrief(), "zh", lambda m, lang: f"{m:.0f} min")
    assert [p.name for p in written] == ["debrief.html", "after_action.pdf", "after_action.zh.pdf"]
    assert "120 min" in pages(tmp_path / "ex" / "after_action.pdf")[0]
    assert "复盘" in (tmp_path / "ex" / "debrief.html").read_text(encoding="utf-8")


def test_the_debrief_page_states_the_objectives_too():
    from experiments.exercise.pages import debrief_html

    page = debrief_html(debrief(), "en")
    assert "<h2>Objectives</h2>" in page and "Keep harm low." in page
    assert "<b class='worse'>Not met</b>: Keep the hotline answered." in page
    assert "达成" in debrief_html(debrief(), "zh") and "降低伤害。" in debrief_html(debrief(), "zh")
