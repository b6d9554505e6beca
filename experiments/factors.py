"""How the factors of a study read in a language: a factor's name, its levels, a policy, a
quantity in a factor's unit.

A *factor* is a config key a sweep varies (a policy lever such as ``reporting.mechanism``) or
samples (an uncertainty such as ``population.initial_trust``). Its name comes from the
catalogue (``report.factor.<key>``), else it is the key itself. A level reads as a domain term
(``mechanism.direct``: "direct reporting"), else a catalogue pattern (``report.level.<key>``:
"30 volunteers per 1,000"), else "<value> <the key's last part>".

Shared by the report and the robustness study (:mod:`experiments.sweeps.robustness`), so it
sits outside both.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from experiments import i18n

TERMS = {"reporting.mechanism": "mechanism", "organization.structure": "structure"}
FACTOR_WORDS = {  # config key -> how a value reads in a label (without a catalogue pattern)
    "reporting.mechanism": "{} reporting",
    "organization.structure": "{} structure",
    "volunteers.team_size_per_1000": "{} volunteers per 1,000",
}
DIMENSIONLESS = {"share", "0-1", "x", "-", "probability"}  # units a number is shown without


def name(key: str, lang: str = i18n.DEFAULT) -> str:
    """A factor's name for titles and axes: "Reporting mechanism", else the key."""
    found = f"report.factor.{key}"
    return i18n.text(found, lang) if i18n.has(found, lang) else key


def name_in_sentence(key: str, lang: str = i18n.DEFAULT) -> str:
    """A factor's name inside a sentence: the name with a lower-case first letter (not for a
    key, nor for a name that starts with an abbreviation)."""
    text = name(key, lang)
    return text[:1].lower() + text[1:] if text != key and text[1:2].islower() else text


def value_text(key: str, value: Any, lang: str = i18n.DEFAULT) -> str:
    """How a factor's value reads in a label: "direct reporting", "30 volunteers per 1,000"."""
    if isinstance(value, (float, np.floating)) and float(value).is_integer():
        value = int(value)
    term = f"{TERMS.get(key, key)}.{value}"
    if key in TERMS and i18n.has(term, lang):
        return i18n.text(term, lang)
    text = str(value).replace("_", " ")
    if i18n.has(f"report.level.{key}", lang):
        return i18n.text(f"report.level.{key}", lang, value=text)
    return FACTOR_WORDS.get(key, key.split(".")[-1].replace("_", " ") + " {}").format(text)


SHORT = {"organization.structure": "report.structure_short"}  # catalogue keys of short forms


def short_text(key: str, value: Any, lang: str = i18n.DEFAULT) -> str:
    """A level in few words where the catalogue has a short form ("integrated grid" for
    ``organization.structure = integrated``), else :func:`value_text`."""
    found = f"{SHORT[key]}.{value}" if key in SHORT else ""
    return (
        i18n.text(found, lang) if found and i18n.has(found, lang) else value_text(key, value, lang)
    )


def policy_text(levers: dict[str, Any], lang: str = i18n.DEFAULT) -> str:
    """A policy (one level of each lever) as a label: "direct reporting, siloed structure"."""
    parts = [value_text(k, v, lang) for k, v in levers.items()]
    return i18n.text("report.sep", lang).join(parts) or i18n.text("report.all_runs", lang)


def unit_text(unit: str, lang: str = i18n.DEFAULT) -> str:
    """A factor's unit as readers see it after a number: "min", "per hour"; nothing for a
    share, a 0-1 scale, a factor or a probability."""
    if unit in DIMENSIONLESS:
        return ""
    found = f"report.unit.{unit}"
    return i18n.text(found, lang) if i18n.has(found, lang) else unit


def quantity(value: float, unit: str, lang: str = i18n.DEFAULT) -> str:
    """A factor's value with its unit: "6.5 min", "1,250 persons", "0.35"."""
    text = f"{value:,.3g}" if abs(value) < 1000 else f"{value:,.0f}"
    shown = unit_text(unit, lang)
    return f"{text} {shown}" if shown else text
