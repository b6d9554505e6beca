"""Baseline regression: shipped scenarios at fixed seeds must reproduce tests/baseline.json.

A deliberate change to the model is recorded with ``python -m experiments.docs.baseline --refresh``
(never automatically); the test prints, per changed outcome, baseline, now and relative change.
"""

from __future__ import annotations

import pytest

from experiments.docs import baseline as bl


@pytest.fixture(scope="module")
def stored():
    return bl.load()


def test_baseline_covers_every_shipped_scenario(stored):
    assert sorted(stored["scenarios"]) == sorted(p.stem for p in bl.scenario_paths()), (
        "scenarios changed: run `python -m experiments.docs.baseline --refresh`"
    )


@pytest.mark.parametrize("path", bl.scenario_paths(), ids=lambda p: p.stem)
def test_scenario_matches_baseline(stored, path):
    base = stored["scenarios"].get(path.stem)
    if base is None:
        pytest.fail(
            f"{path.stem} has no baseline: run `python -m experiments.docs.baseline --refresh`"
        )
    now = bl.run_scenario(path, stored["seed"])
    lines = bl.diff_scenario(path.stem, base, now, stored.get("rtol", bl.RTOL))
    assert not lines, (
        "outcomes changed from tests/baseline.json (refresh with "
        "`python -m experiments.docs.baseline --refresh` if intended):\n" + "\n".join(lines)
    )


def test_diff_is_readable():
    lines = bl.diff_scenario("s", {"a": 1.0, "b": 2.0, "c": None}, {"a": 1.0, "b": 2.2, "c": None})
    assert lines == ["  s.b: baseline 2.0, now 2.2, relative change +1.000e-01"]
    assert bl.diff_scenario("s", {"a": 1.0}, {"a": 1.0 + 1e-12}) == []
