"""What readers are told of each outcome: unit, label, direction, what it derives from.

One adapter over the outcome declarations of :mod:`sim.outcomes` (``unit``, ``label``,
``higher_is_better``, ``derived_from``); an undeclared name has no unit, no direction and
itself as its label. Labels shown to readers come from the translation catalogue
(``report.outcome.<name>``), else the declared (English) label.

The one source of outcome text for the report and the robustness study
(:mod:`experiments.sweeps.robustness`), so it sits outside both.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from experiments import i18n

# The target response time (minutes) of the results being described: labels of "within
# target" shares name it ("... within the target time (60 min)"). Set by the report from the
# sweep's configuration; the model's default where nothing set it.
_TARGET_MIN: ContextVar[float | None] = ContextVar("target_min", default=None)


@contextmanager
def target_time(minutes: float | None) -> Iterator[None]:
    """Name ``minutes`` as the target time in labels and sentences inside this block."""
    token = _TARGET_MIN.set(minutes)
    try:
        yield
    finally:
        _TARGET_MIN.reset(token)


def target_minutes() -> float:
    minutes = _TARGET_MIN.get()
    if minutes is None:
        from sim import Config

        minutes = Config().time.target_response_min
    return float(minutes)


def _with_target(text: str) -> str:
    return text.replace("{target}", f"{target_minutes():g}") if "{target}" in text else text


def declaration(outcome: str) -> Any:
    from sim import OUTCOMES

    return OUTCOMES.get(outcome)


def unit(outcome: str) -> str:
    o = declaration(outcome)
    return "" if o is None else o.unit


def higher_is_better(outcome: str) -> bool | None:
    """True, False, or None for an outcome that is neither good nor bad (a count of needs)."""
    from sim.outcomes import higher_is_better as declared

    return declared(outcome)


def lower_is_better(outcome: str) -> bool:
    """The direction used to rank (outcomes without a direction rank lower-first)."""
    return higher_is_better(outcome) is not True


def derived_from(outcome: str) -> str | None:
    o = declaration(outcome)
    return None if o is None else o.derived_from


def is_share(outcome: str) -> bool:
    return unit(outcome) == "share"


def label(outcome: str, lang: str = i18n.DEFAULT) -> str:
    """A short name for titles and axes: "Mean response time"."""
    key = f"report.outcome.{outcome}"
    if i18n.has(key, lang):
        return _with_target(i18n.text(key, lang))
    o = declaration(outcome)
    return outcome if o is None else o.label


def words(outcome: str, lang: str = i18n.DEFAULT) -> str:
    """The outcome inside a sentence: "mean response time" (``report.what.<name>``), else
    the label with a lower-case first letter."""
    key = f"report.what.{outcome}"
    if i18n.has(key, lang):
        return _with_target(i18n.text(key, lang))
    text = label(outcome, lang)
    return text[:1].lower() + text[1:] if text[1:2].islower() else text


def unit_text(outcome: str, lang: str = i18n.DEFAULT) -> str:
    """The unit as readers see it: "min", "percentage points" for shares."""
    u = unit(outcome)
    key = f"report.unit.{u}"
    return i18n.text(key, lang) if i18n.has(key, lang) else u


def main_outcomes(outcomes: list[str]) -> list[str]:
    """The outcomes without those derived from another one in the list (so a finding is not
    repeated under a multiple of itself)."""
    return [o for o in outcomes if derived_from(o) not in outcomes]
