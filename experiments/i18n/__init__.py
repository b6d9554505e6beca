"""Translations: one catalogue for every user-facing text (reports, the classroom app).

The catalogue is a set of TOML files under ``locales/<lang>/``, one per area
(``terms.toml``: the domain's own words, shared by all; ``report.toml``; ``app.toml``), each a
flat table of ``key = "text"``. Keys are dotted (``term.grid_manager``, ``report.title``);
texts may hold ``{name}`` fields filled by :func:`text`. English is the reference language:
every key exists in ``en``; a key missing from another language falls back to English, and
``missing_keys`` lists them (a test keeps the list empty for shipped languages).
"""

from __future__ import annotations

import tomllib
from functools import cache
from pathlib import Path
from typing import Any

LOCALES = Path(__file__).resolve().parent / "locales"
LANGUAGES = ("en", "zh")
DEFAULT = "en"


@cache
def catalogue(lang: str) -> dict[str, str]:
    """Every key of a language, merged from its area files."""
    if lang not in LANGUAGES:
        raise ValueError(f"unknown language {lang!r}; allowed: {', '.join(LANGUAGES)}")
    merged: dict[str, str] = {}
    for path in sorted((LOCALES / lang).glob("*.toml")):
        with open(path, "rb") as f:
            for key, value in tomllib.load(f).items():
                if key in merged:
                    raise ValueError(f"{path}: key {key!r} is defined twice in {lang}")
                merged[key] = value
    return merged


def text(key: str, lang: str = DEFAULT, **fields: Any) -> str:
    """The text of ``key`` in ``lang`` (English where it has none), with ``fields`` filled.
    ``hazard.<name>`` and ``need.<type>`` are the registered hazards' and need types' own
    labels (``sim/registry.py``)."""
    found = catalogue(lang).get(key)
    if found is None:
        found = catalogue(DEFAULT).get(key) or _registered(key, lang)
    if found is None:
        raise KeyError(f"no text for {key!r} in the catalogue ({LOCALES})")
    return found.format(**fields) if fields else found


def _registered(key: str, lang: str) -> str | None:
    from sim.registry import HAZARDS, NEED_TYPES, label

    area, _, name = key.partition(".")
    if area == "hazard" and name in HAZARDS:
        return label(HAZARDS[name].label, lang)
    if area == "need":
        found = [n for n in NEED_TYPES if n.name == name]
        return label(found[0].label, lang) if found else None
    return None


def has(key: str, lang: str = DEFAULT) -> bool:
    return key in catalogue(lang) or key in catalogue(DEFAULT) or _registered(key, lang) is not None


def missing_keys(lang: str) -> list[str]:
    """English keys that ``lang`` does not translate."""
    return sorted(set(catalogue(DEFAULT)) - set(catalogue(lang)))
